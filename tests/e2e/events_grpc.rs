//! Events over gRPC (EV-2, EV-3): the stream carries the same events, ids and cursors as the REST
//! feed and the webhook deliveries, resumes from a cursor, and beats while idle.

use std::time::Duration;

use aftersales_grpc::{EventServiceClient, pb};
use serde_json::json;
use tokio_stream::StreamExt;
use tonic::Code;

use crate::common::{TestApp, VINS, authed};
use crate::events::{Receiver, whole_feed};

fn stream_request(store: &str, after: &str) -> pb::StreamEventsRequest {
    pb::StreamEventsRequest { store: store.into(), after: after.into(), types: vec![], heartbeat_seconds: 1 }
}

// EV-2, EV-3
#[tokio::test]
async fn ev_2_the_stream_the_feed_and_the_webhooks_carry_the_same_events_and_resume_from_a_cursor() {
    let app = TestApp::spawn_with(|c| {
        c.webhook_allow_private = true;
        c.webhook_interval_ms = 50;
    })
    .await;
    let store = app.seed_store("SH001").await;
    let dms = app.token("dms-1", &["integration"], &[&store]);
    let mut grpc = EventServiceClient::new(app.grpc_channel.clone());
    let receiver = Receiver::failing_first(0);
    let url = receiver.start().await;
    let created = grpc
        .create_webhook_subscription(authed(
            &dms,
            pb::CreateWebhookSubscriptionRequest {
                store: store.clone(),
                url,
                event_types: vec![],
                active: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(created.secret.as_deref().is_some_and(|s| s.starts_with("whsec_")));

    let customer = app.seed_customer(&store, "赵敏", "13600003333").await;
    let mut stream = grpc.stream_events(authed(&dms, stream_request(&store, ""))).await.unwrap().into_inner();
    let first = stream.next().await.unwrap().unwrap();
    let Some(pb::stream_events_response::Item::Event(event)) = first.item else {
        panic!("the backlog first: {first:?}")
    };
    assert_eq!((event.r#type.as_str(), event.sequence), ("customer.created", 1));
    // Live: the next commit arrives on the open stream.
    app.seed_vehicle(&store, customer["id"].as_str().unwrap(), VINS[2], "沪C11111").await;
    let mut live = Vec::new();
    let mut beat = None;
    while beat.is_none() {
        let item =
            tokio::time::timeout(Duration::from_secs(10), stream.next()).await.unwrap().unwrap().unwrap();
        match item.item {
            Some(pb::stream_events_response::Item::Event(e)) => live.push((e, item.cursor)),
            Some(pb::stream_events_response::Item::Heartbeat(_)) => beat = Some(item.cursor),
            None => panic!("an empty item"),
        }
    }
    assert_eq!(
        live.iter().map(|(e, _)| e.r#type.as_str()).collect::<Vec<_>>(),
        ["vehicle.added", "vehicle.odometer_recorded"]
    );
    let reached = live.last().map(|(_, c)| c.as_str());
    assert_eq!(beat.as_deref(), reached, "a heartbeat carries the cursor reached");
    drop(stream);

    // The same ids and sequences on every channel.
    let feed = whole_feed(&app, &store, &dms).await;
    let feed_ids: Vec<String> = feed.iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    let streamed: Vec<String> =
        std::iter::once(event.id.clone()).chain(live.iter().map(|(e, _)| e.id.clone())).collect();
    assert_eq!(feed_ids, streamed);
    let listed = grpc
        .list_events(authed(
            &dms,
            pb::ListEventsRequest {
                store: store.clone(),
                after: String::new(),
                types: vec![],
                page_size: 0,
                wait_seconds: 0,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.events.iter().map(|e| e.id.clone()).collect::<Vec<_>>(), feed_ids);
    assert_eq!(
        listed.events[0].data.as_ref().unwrap().fields["marketing_consent"].kind,
        feed[0]["data"]["marketing_consent"].as_bool().map(pb_bool)
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while receiver.seen.lock().unwrap().len() < feed_ids.len() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let hooked: Vec<String> = receiver
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|(h, _)| h["webhook-id"].to_str().unwrap().to_string())
        .collect();
    assert_eq!(hooked, feed_ids, "one delivery per event, in order");

    // Resuming from the first event's cursor (REST's `next_cursor` works the same) starts after it.
    let cursor =
        app.get(&format!("/v1/stores/{store}/events?page_size=1"), &dms).await.body["next_cursor"].clone();
    let mut resumed = grpc
        .stream_events(authed(&dms, stream_request(&store, cursor.as_str().unwrap())))
        .await
        .unwrap()
        .into_inner();
    let next = resumed.next().await.unwrap().unwrap();
    let Some(pb::stream_events_response::Item::Event(again)) = next.item else { panic!("{next:?}") };
    assert_eq!((again.id.as_str(), again.sequence), (feed_ids[1].as_str(), 2));
}

fn pb_bool(b: bool) -> prost_types::value::Kind {
    prost_types::value::Kind::BoolValue(b)
}

// EV-2, EV-3: roles, stores and arguments are checked before a stream opens.
#[tokio::test]
async fn ev_2_a_stream_or_subscription_outside_the_callers_reach_is_refused() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let other = app.seed_store("BJ001").await;
    let dms = app.token("dms-1", &["integration"], &[&store]);
    let mut grpc = EventServiceClient::new(app.grpc_channel.clone());
    let code = |r: Result<tonic::Response<tonic::Streaming<pb::StreamEventsResponse>>, tonic::Status>| {
        r.unwrap_err().code()
    };
    assert_eq!(code(grpc.stream_events(authed(&dms, stream_request(&other, ""))).await), Code::NotFound);
    assert_eq!(
        code(grpc.stream_events(authed(&app.advisor(&store), stream_request(&store, ""))).await),
        Code::PermissionDenied
    );
    assert_eq!(
        code(grpc.stream_events(authed(&dms, stream_request(&store, "not-a-cursor"))).await),
        Code::InvalidArgument
    );
    let mut bad = stream_request(&store, "");
    bad.heartbeat_seconds = 31;
    assert_eq!(code(grpc.stream_events(authed(&dms, bad)).await), Code::InvalidArgument);

    // Subscriptions over gRPC: private targets refused, the secret shown once, a masked pause.
    let refused = grpc
        .create_webhook_subscription(authed(
            &dms,
            pb::CreateWebhookSubscriptionRequest {
                store: store.clone(),
                url: "http://127.0.0.1/h".into(),
                event_types: vec![],
                active: None,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    let sub = grpc
        .create_webhook_subscription(authed(
            &dms,
            pb::CreateWebhookSubscriptionRequest {
                store: store.clone(),
                url: "https://dms.example.com/hooks".into(),
                event_types: vec!["work_order.delivered".into()],
                active: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let got = grpc
        .get_webhook_subscription(authed(
            &dms,
            pb::GetWebhookSubscriptionRequest { store: store.clone(), id: sub.id.clone() },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(got.secret.is_none());
    let paused = grpc
        .update_webhook_subscription(authed(
            &dms,
            pb::UpdateWebhookSubscriptionRequest {
                store: store.clone(),
                id: sub.id.clone(),
                url: String::new(),
                event_types: vec![],
                active: false,
                update_mask: Some(prost_types::FieldMask { paths: vec!["active".into()] }),
                etag: sub.etag.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(!paused.active);
    assert_eq!(paused.event_types, ["work_order.delivered"], "unmasked fields stay");
    let rest = app.get(&format!("/v1/stores/{store}/webhook-subscriptions/{}", sub.id), &dms).await.body;
    assert_eq!(rest["active"], json!(false));
    assert_eq!(rest["etag"], json!(paused.etag));
    grpc.delete_webhook_subscription(authed(
        &dms,
        pb::DeleteWebhookSubscriptionRequest { store: store.clone(), id: sub.id.clone() },
    ))
    .await
    .unwrap();
    let gone = grpc
        .get_webhook_subscription(authed(&dms, pb::GetWebhookSubscriptionRequest { store, id: sub.id }))
        .await
        .unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
}

// EV-1..EV-3 "done when": a work order from open to delivered, the same events with the same ids
// and sequences on the feed, the gRPC stream (live) and the webhook receiver.
#[tokio::test]
async fn ev_1_a_delivered_order_reaches_the_feed_the_stream_and_the_webhooks_alike() {
    let app = TestApp::spawn_with(|c| {
        c.webhook_allow_private = true;
        c.webhook_interval_ms = 50;
    })
    .await;
    let shop = crate::work_orders::shop(&app).await;
    let dms = app.token("dms-1", &["integration"], &[&shop.store]);
    let start =
        app.get(&format!("/v1/stores/{}/events?page_size=500", shop.store), &dms).await.body["next_cursor"]
            .as_str()
            .unwrap()
            .to_string();
    let receiver = Receiver::failing_first(0);
    let url = receiver.start().await;
    let subs = format!("/v1/stores/{}/webhook-subscriptions", shop.store);
    assert_eq!(app.post(&subs, &dms, json!({"url": url})).await.status, reqwest::StatusCode::CREATED);
    let mut grpc = EventServiceClient::new(app.grpc_channel.clone());
    let mut stream =
        grpc.stream_events(authed(&dms, stream_request(&shop.store, &start))).await.unwrap().into_inner();

    let delivered = shop.delivered(&app).await;
    let page =
        app.get(&format!("/v1/stores/{}/events?page_size=500&after={start}", shop.store), &dms).await.body;
    let feed: Vec<(String, i64)> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["id"].as_str().unwrap().to_string(), e["sequence"].as_i64().unwrap()))
        .collect();
    assert!(feed.iter().any(|(id, _)| {
        page["events"].as_array().unwrap().iter().any(|e| {
            e["id"] == json!(id)
                && e["type"] == "work_order.delivered"
                && e["resource"]["id"] == delivered["id"]
        })
    }));
    let mut streamed = Vec::new();
    while streamed.len() < feed.len() {
        let item =
            tokio::time::timeout(Duration::from_secs(10), stream.next()).await.unwrap().unwrap().unwrap();
        if let Some(pb::stream_events_response::Item::Event(e)) = item.item {
            streamed.push((e.id, e.sequence));
        }
    }
    assert_eq!(streamed, feed, "the stream carries the feed's events, ids and sequences, in order");
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    while receiver.seen.lock().unwrap().len() < feed.len() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut hooked: Vec<(String, i64)> = receiver
        .seen
        .lock()
        .unwrap()
        .iter()
        .map(|(h, body)| {
            let e: serde_json::Value = serde_json::from_str(body).unwrap();
            assert_eq!(h["webhook-id"].to_str().unwrap(), e["id"].as_str().unwrap());
            (e["id"].as_str().unwrap().to_string(), e["sequence"].as_i64().unwrap())
        })
        .collect();
    // Deliveries of different records may overtake each other; one record's arrive in order.
    let mut last_of: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    for (_, body) in receiver.seen.lock().unwrap().iter() {
        let e: serde_json::Value = serde_json::from_str(body).unwrap();
        let key = format!("{}:{}", e["resource"]["type"], e["resource"]["id"]);
        let seq = e["sequence"].as_i64().unwrap();
        assert!(last_of.insert(key.clone(), seq).is_none_or(|before| before < seq), "{key} out of order");
    }
    hooked.sort_by_key(|(_, seq)| *seq);
    assert_eq!(hooked, feed, "each event delivered once, with its id and sequence");
}

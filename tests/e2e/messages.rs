//! Messages to customers (issue 13) from outside, on both databases: the rules decided at the
//! moment of sending (call hours, marketing consent, caps, a WeChat consent to spend) and what
//! the store's figures count. `message_providers.rs` sends through the providers' local peers.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aftersales_grpc::{MessageServiceClient, pb};
use axum::Json;
use axum::extract::{Query, State};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, TestClock, authed};
use crate::work_orders::shop;

/// The customer's messages once none is queued any more (or after 10 s).
pub(crate) async fn settled(app: &TestApp, store: &str, token: &str, customer: &str) -> Vec<Value> {
    let path = format!("/v1/stores/{store}/customers/{customer}/messages");
    for _ in 0..200 {
        let page = app.get(&path, token).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        let messages = page.body["messages"].as_array().unwrap().clone();
        if !messages.is_empty() && messages.iter().all(|m| m["status"] != "queued") {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("messages never left the queue: {:?}", app.get(&path, token).await.body);
}

// CF-5, issue 13: an invitation registered at 22:00 goes out at the next call-hours start; by
// then a customer who withdrew consent is suppressed with the reason, and a second marketing
// message the same day is over the cap.
#[tokio::test]
async fn invitations_wait_for_call_hours_and_keep_to_consent_and_caps() {
    let clock = TestClock::at("2026-12-07T14:00:00Z"); // 22:00 in Shanghai
    let app = TestApp::spawn_at_with(clock.clone(), |c| c.message_interval_ms = 20).await;
    let shop = shop(&app).await;
    let other =
        app.seed_customer(&shop.store, "李娜", "13900001111").await["id"].as_str().unwrap().to_string();
    for customer in [&shop.customer, &other] {
        crate::campaigns::set_consent(&app, &shop.store, customer, true).await;
    }
    let letters = format!("/v1/stores/{}/letters", shop.store);
    let invite = |customer: &str| json!({"customer_id": customer, "kind": "invitation", "subject": "冬季保养节", "channel": "sms"});
    for customer in [&shop.customer, &other, &shop.customer] {
        let sent = app.post(&letters, &shop.supervisor, invite(customer)).await;
        assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
    }
    crate::campaigns::set_consent(&app, &shop.store, &other, false).await;
    let all = format!("/v1/stores/{}/messages?purpose=marketing", shop.store);
    let queued = app.get(&all, &shop.supervisor).await.body["messages"].as_array().unwrap().clone();
    assert_eq!(queued.len(), 3);
    for m in &queued {
        assert_eq!(
            (m["status"].as_str(), m["planned_at"].as_str()),
            (Some("queued"), Some("2026-12-08T01:00:00Z"))
        );
        assert_eq!(
            m["text"],
            format!(
                "{}您好，SH001 4S店诚邀您参加：冬季保养节。回复T退订",
                if m["customer_id"] == json!(shop.customer) { "张伟" } else { "李娜" }
            )
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let still = app.get(&format!("{all}&status=queued"), &shop.supervisor).await.body;
    assert_eq!(still["messages"].as_array().unwrap().len(), 3, "nothing goes out at night");

    clock.set("2026-12-08T01:00:00Z"); // 09:00
    let first = settled(&app, &shop.store, &shop.supervisor, &shop.customer).await;
    let mut outcomes: Vec<(String, String)> = first
        .iter()
        .map(|m| (m["status"].as_str().unwrap().into(), m["suppressed_reason"].as_str().unwrap_or("").into()))
        .collect();
    outcomes.sort();
    assert_eq!(outcomes, vec![("sent".into(), "".into()), ("suppressed".into(), "daily_cap_reached".into())]);
    let withdrawn = settled(&app, &shop.store, &shop.supervisor, &other).await;
    assert_eq!(
        (withdrawn[0]["status"].as_str(), withdrawn[0]["suppressed_reason"].as_str()),
        (Some("suppressed"), Some("no_marketing_consent"))
    );
    assert_eq!(withdrawn[0]["attempts"], 1, "decided at the moment of sending");
    let filtered =
        app.get(&format!("/v1/stores/{}/messages?status=suppressed", shop.store), &shop.supervisor).await;
    assert_eq!(filtered.body["messages"].as_array().unwrap().len(), 2);
    // FU-9 and HQ-1 count them by purpose, on the day they were asked for (the 7th, local).
    let summary =
        app.get(&format!("/v1/stores/{}/summaries/2026-12", shop.store), &shop.supervisor).await.body;
    let counted = &summary["figures"]["messages"]["marketing"];
    assert_eq!(
        (counted["sent"].as_u64(), counted["suppressed"].as_u64(), counted["queued"].as_u64()),
        (Some(1), Some(2), Some(0)),
        "{summary:?}"
    );
    let hq = app.token("hq-1", &["hq_analyst"], &["*"]);
    let analytics = app.get("/v1/analytics/follow-up?period=2026-12", &hq).await.body;
    let sh = analytics["stores"].as_array().unwrap().iter().find(|s| s["store"] == "SH001").unwrap().clone();
    assert_eq!(&sh["figures"]["messages"]["marketing"], counted);
    assert_eq!(sh["figures"]["messages"]["service"]["sent"], 0);
    let other_store = app.seed_store("SH002").await;
    let outsider = app.supervisor(&other_store);
    assert_eq!(
        app.get(&all, &outsider).await.status,
        StatusCode::NOT_FOUND,
        "no store sees another's messages"
    );
    let id = first[0]["id"].as_str().unwrap();
    let elsewhere = app.get(&format!("/v1/stores/{other_store}/messages/{id}"), &outsider).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
}

/// The WeChat API on loopback: hands out access tokens for the right AppID and secret, calls the
/// first one expired (42001) once it is used, and records the subscription messages sent with a
/// valid token.
#[derive(Clone, Default)]
struct WechatPeer {
    tokens: Arc<AtomicUsize>,
    expired_once: Arc<AtomicBool>,
    sends: Arc<Mutex<Vec<Value>>>,
}

async fn wechat_token(
    State(peer): State<WechatPeer>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Json<Value> {
    let right = q.get("grant_type").map(String::as_str) == Some("client_credential")
        && q.get("appid").map(String::as_str) == Some("wx-app-1")
        && q.get("secret").map(String::as_str) == Some("wx-secret-1");
    if !right {
        return Json(json!({"errcode": 40013, "errmsg": "invalid appid"}));
    }
    let n = peer.tokens.fetch_add(1, Ordering::SeqCst) + 1;
    Json(json!({"access_token": format!("tok-{n}"), "expires_in": 7200}))
}

async fn wechat_send(
    State(peer): State<WechatPeer>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let current = format!("tok-{}", peer.tokens.load(Ordering::SeqCst));
    if q.get("access_token") != Some(&current) {
        return Json(json!({"errcode": 40001, "errmsg": "invalid credential"}));
    }
    if !peer.expired_once.swap(true, Ordering::SeqCst) {
        return Json(json!({"errcode": 42001, "errmsg": "access_token expired"}));
    }
    peer.sends.lock().unwrap().push(body);
    Json(json!({"errcode": 0, "errmsg": "ok", "msgid": 1_700_000_000_000_001_u64}))
}

// AP-5, issue 13: the day before a visit the reminder goes by WeChat where the store has a WeChat
// template; it spends exactly one of the customer's one-time consents, and with none left the
// next reminder is suppressed; an expired access token is fetched again.
#[tokio::test]
async fn a_wechat_reminder_spends_exactly_one_consent_and_none_left_suppresses_the_next() {
    let peer = WechatPeer::default();
    let routes = axum::Router::new()
        .route("/cgi-bin/token", axum::routing::get(wechat_token))
        .route("/cgi-bin/message/subscribe/send", axum::routing::post(wechat_send))
        .with_state(peer.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, routes).await });

    let clock = TestClock::at(crate::appointments::FRIDAY);
    let app = crate::appointments::setup_with(clock.clone(), crate::appointments::capacity(1, 0, 1), |c| {
        c.wechat_app_id = Some("wx-app-1".into());
        c.wechat_app_secret = Some("wx-secret-1".into());
        c.wechat_endpoint = url;
        c.message_interval_ms = 20;
    })
    .await;
    let (customer, _) = crate::appointments::customer_with_car(&app).await;
    let sup = app.supervisor("SH001");
    let template = json!({"code": "appointment_reminder", "channel": "wechat_subscribe",
        "provider_template_id": "tmpl-remind", "provider_parameters": ["thing1", "date2", "time3"],
        "text": "{name}您好，您预约了{date} {time}到店"});
    let made = app.post("/v1/stores/SH001/message-templates", &sup, template).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let consents = format!("/v1/stores/SH001/customers/{customer}/wechat-consents");
    let adv = app.advisor("SH001");
    let granted = app.post(&consents, &adv, json!({"openid": "o-wang", "template_id": "tmpl-remind"})).await;
    assert_eq!(
        (granted.status, granted.body["available"].as_u64()),
        (StatusCode::CREATED, Some(1)),
        "{:?}",
        granted.body
    );
    let mut grpc = MessageServiceClient::new(app.grpc_channel.clone());
    let other = grpc
        .grant_wechat_consents(authed(
            &adv,
            pb::GrantWechatConsentsRequest {
                store: "SH001".into(),
                customer_id: customer.clone(),
                openid: "o-wang".into(),
                template_id: "tmpl-other".into(),
                count: Some(2),
                request_id: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((other.template_id.as_str(), other.available), ("tmpl-other", 2));
    let bad = app
        .post(&consents, &adv, json!({"openid": "o wang", "template_id": "tmpl-remind", "count": 51}))
        .await;
    assert_eq!(bad.fields(), vec!["openid", "count"]);

    for start in ["10:00", "11:00"] {
        let visit = crate::appointments::visit(&["maintenance"], &crate::appointments::at(start), &customer);
        let booked = crate::appointments::book(&app, &adv, visit).await;
        assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.body);
    }
    clock.set("2026-12-06T02:00:00Z"); // Sunday 10:00 in Shanghai, the eve of the visits
    assert_eq!(app.services().appointments.send_reminders().await.unwrap(), 2);
    let messages = settled(&app, "SH001", &adv, &customer).await;
    let mut outcomes: Vec<(String, String, String)> = messages
        .iter()
        .map(|m| {
            let field = |k: &str| m[k].as_str().unwrap_or("").to_string();
            (field("status"), field("suppressed_reason"), field("provider_message_id"))
        })
        .collect();
    outcomes.sort();
    assert_eq!(
        outcomes,
        vec![
            ("sent".into(), "".into(), "1700000000000001".into()),
            ("suppressed".into(), "no_subscription_consent".into(), "".into()),
        ]
    );
    assert!(
        messages.iter().all(|m| m["channel"] == "wechat_subscribe" && m["source"]["kind"] == "appointment")
    );
    let sends = peer.sends.lock().unwrap().clone();
    assert_eq!(sends.len(), 1, "{sends:?}");
    assert_eq!(
        (sends[0]["touser"].as_str(), sends[0]["template_id"].as_str()),
        (Some("o-wang"), Some("tmpl-remind"))
    );
    assert_eq!(sends[0]["data"]["thing1"], json!({"value": "王小明"}));
    assert_eq!(sends[0]["data"]["date2"], json!({"value": "12月7日"}));
    assert_eq!(peer.tokens.load(Ordering::SeqCst), 2, "the expired token was fetched again, once");
    // The one consent is spent: a new one makes the balance 1, not 2.
    let again = app.post(&consents, &adv, json!({"openid": "o-wang", "template_id": "tmpl-remind"})).await;
    assert_eq!(again.body["available"], 1, "{:?}", again.body);
}

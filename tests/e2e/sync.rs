//! Incremental sync (EV-2, API "events"): every list takes `updated_since` and answers exactly the
//! records changed after that instant, on a clock the test sets.

use aftersales_grpc::{CustomerServiceClient, pb};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, TestClock, VINS, authed};
use crate::work_orders::shop;

const BEFORE: &str = "2026-11-02T02:00:00Z";
const CUT: &str = "2026-11-02T02:30:00Z";
const AFTER: &str = "2026-11-02T03:00:00Z";

/// What a list answers under `key`, all pages: each record's id and when it last changed (its
/// `updated_at`, or the time an append-only record was made).
async fn listed(app: &TestApp, path: &str, key: &str, token: &str) -> Vec<(String, String)> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let (mut out, mut next) = (Vec::new(), String::new());
    loop {
        let page = app.get(&format!("{path}{sep}page_size=2&page_token={next}"), token).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {:?}", page.body);
        for r in page.body[key].as_array().unwrap() {
            let at = ["updated_at", "contacted_at", "sent_at", "submitted_at"]
                .iter()
                .find_map(|f| r[*f].as_str())
                .unwrap_or_else(|| panic!("{path}: no change time in {r}"));
            out.push((r["id"].as_str().unwrap().to_string(), at.to_string()));
        }
        next = page.body["next_page_token"].as_str().unwrap_or_default().to_string();
        if next.is_empty() {
            return out;
        }
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

// EV-2: each of the eight lists, before and after the cut, on REST; customers on gRPC as well.
#[tokio::test]
async fn ev_2_updated_since_answers_exactly_the_records_changed_after_the_instant_on_every_list() {
    let clock = TestClock::at(BEFORE);
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await;
    let (store, sup) = (shop.store.clone(), shop.supervisor.clone());
    let other = app.seed_customer(&store, "钱七", "13500004444").await;
    let old_order = shop.create(&app, 30_000).await;
    let kept_order = shop.create(&app, 30_100).await;
    let visit = json!({"customer_id": shop.customer, "purpose": "咨询保养价格", "channel": "in_person"});
    let old_task = app.post(&format!("/v1/stores/{store}/visits"), &sup, visit.clone()).await.body;
    let contact = json!({"customer_id": shop.customer, "channel": "phone", "outcome": "reached"});
    let old_contact =
        app.post(&format!("/v1/stores/{store}/contact-records"), &sup, contact.clone()).await.body;
    let complaint = json!({"customer_id": shop.customer, "summary": "等待时间过长"});
    let old_complaint =
        app.post(&format!("/v1/stores/{store}/complaints"), &sup, complaint.clone()).await.body;
    let kept_complaint =
        app.post(&format!("/v1/stores/{store}/complaints"), &sup, complaint.clone()).await.body;
    let letter =
        json!({"customer_id": shop.customer, "kind": "notice", "subject": "保养提醒", "channel": "post"});
    let old_letter = app.post(&format!("/v1/stores/{store}/letters"), &sup, letter.clone()).await.body;
    for made in [&other, &old_order, &kept_order, &old_task, &old_contact, &old_complaint, &old_letter] {
        assert!(made["id"].is_string(), "{made:?}");
    }

    clock.set(AFTER);
    let customer_path = format!("/v1/stores/{store}/customers/{}", shop.customer);
    let etag = app.get(&customer_path, &sup).await.body["etag"].as_str().unwrap().to_string();
    let changed = app
        .send(
            reqwest::Method::PATCH,
            &customer_path,
            Some(&sup),
            Some(json!({"address": "上海市浦东新区"})),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    let new_vehicle = app.seed_vehicle(&store, &shop.customer, VINS[3], "沪D22222").await;
    let entry = app
        .post(
            &format!("{}/{}/inspections/entry", shop.orders(), id(&old_order)),
            &sup,
            json!({"methods": ["visual"], "findings": "无", "condition": {"exterior_marks": "无", "fuel_level": "half", "valuables": "无"}}),
        )
        .await;
    assert_eq!(entry.status, StatusCode::CREATED, "{:?}", entry.body);
    let new_task = app.post(&format!("/v1/stores/{store}/visits"), &sup, visit).await.body;
    let new_contact = app.post(&format!("/v1/stores/{store}/contact-records"), &sup, contact).await.body;
    let resolved = app
        .post(
            &format!("/v1/stores/{store}/complaints/{}/resolve", id(&old_complaint)),
            &sup,
            json!({"solution": "致歉并赠送保养"}),
        )
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{:?}", resolved.body);
    let new_letter = app.post(&format!("/v1/stores/{store}/letters"), &sup, letter).await.body;

    let since = format!("updated_since={}", CUT.replace(':', "%3A"));
    let later = format!("updated_since={}", "2026-11-02T04:00:00Z".replace(':', "%3A"));
    // Each list: records that must be in the answer, and records that must not.
    let lists: Vec<(String, &str, Vec<String>, Vec<String>)> = vec![
        (format!("/v1/stores/{store}/customers"), "customers", vec![shop.customer.clone()], vec![id(&other)]),
        (format!("{customer_path}/vehicles"), "vehicles", vec![id(&new_vehicle)], vec![shop.vehicle.clone()]),
        (shop.orders(), "work_orders", vec![id(&old_order)], vec![id(&kept_order)]),
        (
            format!("{}/{}/inspections", shop.orders(), id(&old_order)),
            "inspections",
            vec![id(&entry.body)],
            vec![],
        ),
        (
            format!("/v1/stores/{store}/follow-up-tasks"),
            "follow_up_tasks",
            vec![id(&new_task)],
            vec![id(&old_task)],
        ),
        (
            format!("/v1/stores/{store}/contact-records"),
            "contact_records",
            vec![id(&new_contact)],
            vec![id(&old_contact)],
        ),
        (
            format!("/v1/stores/{store}/complaints"),
            "complaints",
            vec![id(&old_complaint)],
            vec![id(&kept_complaint)],
        ),
        (format!("/v1/stores/{store}/letters"), "letters", vec![id(&new_letter)], vec![id(&old_letter)]),
    ];
    let cut = chrono::DateTime::parse_from_rfc3339(CUT).unwrap();
    let after_cut = |at: &str| chrono::DateTime::parse_from_rfc3339(at).unwrap() > cut;
    for (path, key, changed, unchanged) in &lists {
        let sep = if path.contains('?') { '&' } else { '?' };
        let got: Vec<String> = listed(&app, &format!("{path}{sep}{since}"), key, &sup)
            .await
            .into_iter()
            .map(|(i, _)| i)
            .collect();
        // Exactly: the full list's records changed after the cut, in the same order.
        let all = listed(&app, path, key, &sup).await;
        let expected: Vec<String> =
            all.iter().filter(|(_, at)| after_cut(at)).map(|(i, _)| i.clone()).collect();
        assert_eq!(got, expected, "{path} since the cut");
        assert!(
            changed.iter().all(|c| got.contains(c)),
            "{path}: {changed:?} changed after the cut, got {got:?}"
        );
        assert!(
            unchanged.iter().all(|u| !got.contains(u)),
            "{path}: {unchanged:?} did not change, got {got:?}"
        );
        assert!(
            listed(&app, &format!("{path}{sep}{later}"), key, &sup).await.is_empty(),
            "{path}: nothing changed later"
        );
    }
    let bad = app.get(&format!("/v1/stores/{store}/customers?updated_since=yesterday"), &sup).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{:?}", bad.body);

    // gRPC reads the same instant the same way.
    let mut grpc = CustomerServiceClient::new(app.grpc_channel.clone());
    let answer = grpc
        .list_customers(authed(
            &sup,
            pb::ListCustomersRequest {
                store: store.clone(),
                updated_since: Some(prost_types::Timestamp { seconds: cut.timestamp(), nanos: 0 }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        answer.customers.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        vec![shop.customer.clone()]
    );
}

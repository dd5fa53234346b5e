//! Complaints (FU-6): escalation after two store days, exactly once across server processes;
//! same-day notice; return visit.

use aftersales_grpc::FollowUpServiceClient;
use aftersales_grpc::pb;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, TestClock, authed};
use crate::work_orders::shop;

async fn setup(clock: std::sync::Arc<TestClock>) -> (TestApp, crate::work_orders::Shop, String) {
    let app = TestApp::spawn_at(clock).await;
    let shop = shop(&app).await;
    let staff = format!("/v1/stores/{}/staff", shop.store);
    app.post(&staff, &shop.supervisor, json!({"id": "fu-1", "name": "陈回访", "roles": ["followup_agent"]}))
        .await;
    let agent = app.token("fu-1", &["followup_agent"], &[&shop.store]);
    (app, shop, agent)
}

async fn raise(app: &TestApp, store: &str, customer: &str, agent: &str, on_the_spot: Option<&str>) -> Value {
    let mut body = json!({"customer_id": customer, "summary": "交车后刹车仍有异响"});
    if let Some(solution) = on_the_spot {
        body["solved_on_the_spot"] = json!(solution);
    }
    let res = app.post(&format!("/v1/stores/{store}/complaints"), agent, body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{:?}", res.body);
    res.body
}

// FU-6: the whole story of one complaint.
#[tokio::test]
async fn an_unresolved_complaint_escalates_after_two_store_days_and_closes_with_a_return_visit() {
    let clock = TestClock::at("2026-11-27T15:30:00Z"); // 23:30 on the 27th in Shanghai
    let (app, shop, agent) = setup(clock.clone()).await;
    let complaint = raise(&app, &shop.store, &shop.customer, &agent, None).await;
    let path = format!("/v1/stores/{}/complaints/{}", shop.store, complaint["id"].as_str().unwrap());
    assert_eq!(complaint["status"], "open");

    clock.set("2026-11-29T15:59:59Z"); // the end of day 2: still in time
    assert_eq!(app.services().complaints.escalate_due().await.unwrap(), 0);
    clock.set("2026-11-29T16:00:00Z"); // day 3 begins at the store's midnight
    assert_eq!(app.services().complaints.escalate_due().await.unwrap(), 1);
    assert_eq!(app.services().complaints.escalate_due().await.unwrap(), 0, "once");
    let escalated =
        app.get(&format!("/v1/stores/{}/complaints?status=escalated", shop.store), &shop.supervisor).await;
    assert_eq!(escalated.body["complaints"][0]["id"], complaint["id"]);
    assert_eq!(escalated.body["complaints"][0]["history"][1]["actor"], "system");

    let early_close = app.post(&format!("{path}/close"), &shop.supervisor, json!({})).await;
    assert_eq!(early_close.code(), "complaint.invalid_transition");
    clock.set("2026-11-30T02:00:00Z");
    let resolved = app
        .post(&format!("{path}/resolve"), &shop.supervisor, json!({"solution": "免费更换刹车片并做四轮定位"}))
        .await;
    assert_eq!(resolved.body["status"], "resolved", "{:?}", resolved.body);
    clock.set("2026-11-30T15:59:00Z"); // 23:59 the same store day
    let told = app.post(&format!("{path}/notify-customer"), &shop.supervisor, json!({})).await;
    assert_eq!(told.body["notice_breach"], false);
    // FU-6, issue 13: the answer is sent too, at the next call-hours start (09:00 the next day).
    let sent = app
        .get(&format!("/v1/stores/{}/customers/{}/messages", shop.store, shop.customer), &shop.supervisor)
        .await;
    let answer = sent.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["template"] == "complaint_answer")
        .cloned();
    let answer = answer.unwrap_or_else(|| panic!("no answer message: {:?}", sent.body));
    assert_eq!(
        (answer["planned_at"].as_str(), answer["source"]["id"].as_str()),
        (Some("2026-12-01T01:00:00Z"), complaint["id"].as_str())
    );
    let closed = app.post(&format!("{path}/close"), &shop.supervisor, json!({})).await;
    assert_eq!(closed.body["status"], "closed", "{:?}", closed.body);
    let steps: Vec<&str> =
        closed.body["history"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(steps, vec!["open", "escalate", "resolve", "notify_customer", "close"]);

    let visit = app
        .get(
            &format!(
                "/v1/stores/{}/follow-up-tasks/{}",
                shop.store,
                closed.body["return_visit_task"].as_str().unwrap()
            ),
            &agent,
        )
        .await;
    assert_eq!(visit.body["kind"], "return_visit");
    assert_eq!(
        (visit.body["due_from"].as_str(), visit.body["due_to"].as_str()),
        (Some("2026-12-01"), Some("2026-12-03"))
    );
    assert_eq!(visit.body["assignee"], "fu-1");

    let mut client = FollowUpServiceClient::new(app.grpc_channel.clone());
    let grpc = client
        .get_complaint(authed(
            &agent,
            pb::GetComplaintRequest {
                store: shop.store.clone(),
                complaint_id: complaint["id"].as_str().unwrap().into(),
                etag: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((grpc.status, grpc.history.len()), (pb::ComplaintStatus::Closed as i32, 5));
}

// FU-6: the customer is told on the day of the solution; the next store day is a breach.
#[tokio::test]
async fn telling_the_customer_the_next_store_day_is_flagged_and_on_the_spot_answers_count_as_told() {
    let clock = TestClock::at("2026-11-27T02:00:00Z");
    let (app, shop, agent) = setup(clock.clone()).await;
    let late = raise(&app, &shop.store, &shop.customer, &agent, None).await;
    let path = format!("/v1/stores/{}/complaints/{}", shop.store, late["id"].as_str().unwrap());
    app.post(&format!("{path}/resolve"), &agent, json!({"solution": "已调整"})).await;
    clock.set("2026-11-27T16:00:00Z"); // the next day in Shanghai
    let told = app.post(&format!("{path}/notify-customer"), &agent, json!({})).await;
    assert_eq!(told.body["notice_breach"], true);

    let spot = raise(&app, &shop.store, &shop.customer, &agent, Some("当场解释了磨合期异响")).await;
    assert_eq!((spot["status"].as_str(), spot["notice_breach"].as_bool()), (Some("resolved"), Some(false)));
    assert!(spot["customer_notified_at"].is_string());
    let technician = app.token("tech-1", &["technician"], &[&shop.store]);
    let refused = app
        .post(
            &format!("/v1/stores/{}/complaints", shop.store),
            &technician,
            json!({"customer_id": shop.customer, "summary": "x"}),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
}

// FU-6: two server processes on one database never escalate the same complaint twice.
#[tokio::test]
async fn two_server_processes_escalate_each_complaint_exactly_once() {
    let clock = TestClock::at("2026-11-27T02:00:00Z");
    let (app, shop, agent) = setup(clock.clone()).await;
    let mut ids = Vec::new();
    for _ in 0..5 {
        ids.push(
            raise(&app, &shop.store, &shop.customer, &agent, None).await["id"].as_str().unwrap().to_string(),
        );
    }
    let replica = app.replica(clock.clone()).await;
    clock.set("2026-11-30T02:00:00Z");
    let (a, b) =
        tokio::join!(app.services().complaints.escalate_due(), replica.services().complaints.escalate_due());
    assert_eq!(a.unwrap() + b.unwrap(), 5, "each escalated by exactly one process");
    for id in ids {
        let c = app.get(&format!("/v1/stores/{}/complaints/{id}", shop.store), &shop.supervisor).await.body;
        let escalations =
            c["history"].as_array().unwrap().iter().filter(|e| e["action"] == "escalate").count();
        assert_eq!((c["status"].as_str(), escalations), (Some("escalated"), 1));
    }
}

// FU-6: each complaint says when it escalates (the store-local midnight after day 2), on both
// fronts, and the supervisor lists those escalating within a day or already escalated.
#[tokio::test]
async fn a_complaint_shows_when_it_escalates_and_the_supervisor_sees_those_near_it() {
    let clock = TestClock::at("2026-11-27T15:30:00Z"); // 23:30 on the 27th in Shanghai
    let (app, shop, agent) = setup(clock.clone()).await;
    let first = raise(&app, &shop.store, &shop.customer, &agent, None).await;
    assert_eq!(first["escalates_at"], "2026-11-29T16:00:00Z", "00:00 on the 30th, store time");
    clock.set("2026-11-27T17:00:00Z"); // 01:00 on the 28th
    let second = raise(&app, &shop.store, &shop.customer, &agent, None).await;
    assert_eq!(second["escalates_at"], "2026-11-30T16:00:00Z");
    let spot = raise(&app, &shop.store, &shop.customer, &agent, Some("当场解释并试车")).await;
    assert_eq!(spot["status"], "resolved");

    let watch = format!("/v1/stores/{}/complaints?escalating=true", shop.store);
    let ids = |body: &Value| -> Vec<String> {
        body["complaints"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
    };
    clock.set("2026-11-28T17:00:00Z"); // the first escalates in 23 hours, the second in 47
    let near = app.get(&watch, &shop.supervisor).await;
    assert_eq!(near.status, StatusCode::OK, "{:?}", near.body);
    assert_eq!(ids(&near.body), vec![first["id"].as_str().unwrap()], "within a day; resolved ones never");
    clock.set("2026-11-29T17:00:00Z"); // the first escalates now; the second is within a day
    assert_eq!(app.services().complaints.escalate_due().await.unwrap(), 1);
    let both = app.get(&watch, &shop.supervisor).await;
    assert_eq!(ids(&both.body), vec![first["id"].as_str().unwrap(), second["id"].as_str().unwrap()]);
    assert_eq!(app.get(&watch, &agent).await.status, StatusCode::FORBIDDEN, "the supervisor's list");

    let mut client = FollowUpServiceClient::new(app.grpc_channel.clone());
    let listed = client
        .list_complaints(authed(
            &shop.supervisor,
            pb::ListComplaintsRequest { store: shop.store.clone(), escalating: true, ..Default::default() },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.complaints.len(), 2);
    let at = listed.complaints[1].escalates_at.as_ref().unwrap();
    assert_eq!(
        chrono::DateTime::from_timestamp(at.seconds, 0).unwrap().to_rfc3339(),
        "2026-11-30T16:00:00+00:00"
    );
    let denied = client
        .list_complaints(authed(
            &agent,
            pb::ListComplaintsRequest { store: shop.store.clone(), escalating: true, ..Default::default() },
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
}

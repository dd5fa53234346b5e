//! The agent's worklist as a plan of the day's calls (FU-5) and who may follow up a visit (FU-3).

use aftersales_grpc::FollowUpServiceClient;
use aftersales_grpc::pb;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, TestClock, authed};

async fn staff(app: &TestApp, store: &str, id: &str, roles: Value) {
    let res = app
        .post(
            &format!("/v1/stores/{store}/staff"),
            &app.supervisor(store),
            json!({"id": id, "name": id, "roles": roles}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{:?}", res.body);
}

/// A customer with a preferred contact time, and a visit that gives them a first follow-up.
async fn visited(app: &TestApp, store: &str, name: &str, phone: &str, preferred: Option<&str>) -> Value {
    let id = app.seed_customer(store, name, phone).await["id"].as_str().unwrap().to_string();
    if let Some(p) = preferred {
        let res = app
            .patch(
                &format!("/v1/stores/{store}/customers/{id}"),
                &app.advisor(store),
                json!({"preferred_contact_time": p}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{:?}", res.body);
    }
    let visit = app
        .post(
            &format!("/v1/stores/{store}/visits"),
            &app.advisor(store),
            json!({"customer_id": id, "purpose": "咨询保养", "channel": "in_person"}),
        )
        .await;
    assert_eq!(visit.status, StatusCode::CREATED, "{:?}", visit.body);
    visit.body
}

fn planned_for(items: &Value, task: &Value) -> String {
    items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["task"]["id"] == task["id"])
        .and_then(|i| i["next_call_at"].as_str())
        .unwrap_or_default()
        .to_string()
}

// FU-5: calls are planned on the requested day (not from now), inside the call hours and the
// customer's preferred time, spread over the hours, and a no-answer moves the next attempt later.
#[tokio::test]
async fn fu5_the_worklist_plans_each_call_on_the_day_in_the_customers_time() {
    let clock = TestClock::at("2026-11-27T02:00:00Z"); // Friday 27th, 10:00 in Shanghai
    let app = TestApp::spawn_at(clock.clone()).await;
    let store = app.seed_store("SH001").await;
    staff(&app, &store, "fu-1", json!(["followup_agent"])).await;
    let evening = visited(&app, &store, "王芳", "13900000001", Some("晚上下班后")).await;
    let plain = visited(&app, &store, "李强", "13900000002", None).await;
    let other = visited(&app, &store, "赵敏", "13900000003", Some("随时")).await;
    assert_eq!(evening["due_from"], "2026-11-30");
    let agent = app.token("fu-1", &["followup_agent"], &[&store]);
    let worklist = |day: &str| format!("/v1/stores/{store}/follow-up-tasks/worklist?day={day}");

    // Asked two days ahead: every call falls on Monday the 30th, none today.
    let monday = app.get(&worklist("2026-11-30"), &agent).await;
    assert_eq!(monday.status, StatusCode::OK, "{:?}", monday.body);
    let items = &monday.body["items"];
    assert_eq!(items.as_array().map(Vec::len), Some(3));
    assert_eq!(planned_for(items, &evening), "2026-11-30T10:00:00Z", "18:00 local: the customer's evening");
    let (a, b) = (planned_for(items, &plain), planned_for(items, &other));
    let mut mornings = vec![a.clone(), b.clone()];
    mornings.sort();
    assert_eq!(
        mornings,
        vec!["2026-11-30T01:00:00Z", "2026-11-30T01:15:00Z"],
        "09:00 and 09:15, one call each"
    );
    let times: Vec<&str> =
        items.as_array().unwrap().iter().filter_map(|i| i["next_call_at"].as_str()).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "in the order the calls are made");

    // On Monday at 09:00 the first call is not answered; the retry is two hours later at least.
    clock.set("2026-11-30T01:00:00Z");
    let first = if a < b { &plain } else { &other };
    let res = app
        .post(
            &format!("/v1/stores/{store}/contact-records"),
            &agent,
            json!({"customer_id": first["customer_id"], "task_id": first["id"], "channel": "phone",
                   "outcome": "no_answer"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{:?}", res.body);
    clock.set("2026-11-30T01:05:00Z");
    let again = app.get(&worklist("2026-11-30"), &agent).await.body;
    assert_eq!(planned_for(&again["items"], first), "2026-11-30T03:00:00Z", "11:00 local, a later slot");

    // The same plan over gRPC.
    let grpc = FollowUpServiceClient::new(app.grpc_channel.clone())
        .get_worklist(authed(
            &agent,
            pb::GetWorklistRequest { store: store.clone(), day: "2026-11-30".into(), ..Default::default() },
        ))
        .await
        .unwrap()
        .into_inner();
    let rest: Vec<String> = again["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            format!("{}@{}", i["task"]["id"].as_str().unwrap(), i["next_call_at"].as_str().unwrap_or(""))
        })
        .collect();
    let over_grpc: Vec<String> = grpc
        .items
        .iter()
        .map(|i| {
            let at = i.next_call_at.as_ref().map(|t| {
                chrono::DateTime::from_timestamp(t.seconds, 0)
                    .unwrap()
                    .format("%Y-%m-%dT%H:%M:%SZ")
                    .to_string()
            });
            format!("{}@{}", i.task.as_ref().unwrap().id, at.unwrap_or_default())
        })
        .collect();
    assert_eq!(over_grpc, rest);
}

// FU-3: nobody follows up a visit they received, neither when the task is born nor when a
// supervisor reassigns it (a named agent who may not take it is passed over for an independent one); reading another agent's worklist is the supervisor's.
#[tokio::test]
async fn fu3_a_visit_is_never_reassigned_to_the_person_who_received_it() {
    let clock = TestClock::at("2026-11-27T02:00:00Z");
    let app = TestApp::spawn_at(clock.clone()).await;
    let store = app.seed_store("SH001").await;
    staff(&app, &store, "fu-1", json!(["followup_agent"])).await;
    staff(&app, &store, "fu-2", json!(["followup_agent"])).await;
    let customer = app.seed_customer(&store, "张伟", "13812345678").await;
    let receiver = app.token("fu-1", &["followup_agent"], &[&store]);
    let visit = app
        .post(
            &format!("/v1/stores/{store}/visits"),
            &receiver,
            json!({"customer_id": customer["id"], "purpose": "咨询", "channel": "phone"}),
        )
        .await;
    assert_eq!(visit.body["assignee"], "fu-2", "{:?}", visit.body);
    let reassign = |to: &str| json!({"from_agent": "fu-2", "absent_from": "2026-11-27", "absent_to": "2026-12-31", "to_agent": to});
    let path = format!("/v1/stores/{store}/follow-up-tasks/reassign");
    let sup = app.supervisor(&store);
    let task_path = format!("/v1/stores/{store}/follow-up-tasks/{}", visit.body["id"].as_str().unwrap());
    // Named the receiver, with nobody else independent: the task stays where it is.
    let kept = app.post(&path, &sup, reassign("fu-1")).await;
    assert_eq!(kept.status, StatusCode::OK, "{:?}", kept.body);
    assert_eq!(kept.body["follow_up_tasks"], json!([]));
    assert_eq!(app.get(&task_path, &sup).await.body["assignee"], "fu-2", "never the receiver");

    // With a third agent, the task the receiver may not take goes to her instead (over gRPC).
    staff(&app, &store, "fu-3", json!(["followup_agent"])).await;
    let moved = FollowUpServiceClient::new(app.grpc_channel.clone())
        .reassign_tasks(authed(
            &sup,
            pb::ReassignTasksRequest {
                store: store.clone(),
                from_agent: "fu-2".into(),
                absent_from: "2026-11-27".into(),
                absent_to: "2026-12-31".into(),
                to_agent: Some("fu-1".into()),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let assignees: Vec<Option<String>> = moved.follow_up_tasks.iter().map(|t| t.assignee.clone()).collect();
    assert_eq!(assignees, vec![Some("fu-3".to_string())]);
    assert_eq!(app.get(&task_path, &sup).await.body["assignee"], "fu-3");

    // Another agent's worklist is for the supervisor only.
    let others = format!("/v1/stores/{store}/follow-up-tasks/worklist?agent=fu-2&day=2026-11-30");
    assert_eq!(app.get(&others, &receiver).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get(&others, &sup).await.status, StatusCode::OK);
}

// FU-5: the worklist is the day's plan, bounded by the day's call slots (36 with the default call
// hours) and paged: never more than a page, every planned call once, in the order of the calls.
#[tokio::test]
async fn fu5_the_worklist_holds_what_the_day_can_and_never_answers_more_than_a_page() {
    let clock = TestClock::at("2026-11-27T02:00:00Z");
    let app = TestApp::spawn_at(clock.clone()).await;
    let store = app.seed_store("SH001").await;
    staff(&app, &store, "fu-1", json!(["followup_agent"])).await;
    let customer = app.seed_customer(&store, "张伟", "13812345678").await;
    for _ in 0..40 {
        let visit = app
            .post(
                &format!("/v1/stores/{store}/visits"),
                &app.advisor(&store),
                json!({"customer_id": customer["id"], "purpose": "咨询", "channel": "phone"}),
            )
            .await;
        assert_eq!(visit.status, StatusCode::CREATED, "{:?}", visit.body);
    }
    let agent = app.token("fu-1", &["followup_agent"], &[&store]);
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut token = String::new();
    for _ in 0..10 {
        let path = format!(
            "/v1/stores/{store}/follow-up-tasks/worklist?day=2026-11-30&page_size=10&page_token={token}"
        );
        let page = app.get(&path, &agent).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        let items = page.body["items"].as_array().unwrap();
        assert!(items.len() <= 10, "never more than a page");
        for item in items {
            seen.push((
                item["next_call_at"].as_str().unwrap().to_string(),
                item["task"]["id"].as_str().unwrap().to_string(),
            ));
        }
        token = page.body["next_page_token"].as_str().unwrap().to_string();
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(seen.len(), 36, "the day holds 36 calls; the other 4 wait for the next day");
    let mut sorted = seen.clone();
    sorted.sort();
    assert_eq!(seen, sorted, "in the order of the calls");
    sorted.dedup_by(|a, b| a.1 == b.1);
    assert_eq!(sorted.len(), 36, "each call once");
    let over = app.get(&format!("/v1/stores/{store}/follow-up-tasks/worklist?page_size=501"), &agent).await;
    assert_eq!(over.fields(), vec!["page_size"]);
}

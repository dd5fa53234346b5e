//! Follow-up tasks and contact records over REST and gRPC (FU-1..FU-5), on a set clock.

use std::sync::Arc;

use aftersales_grpc::FollowUpServiceClient;
use aftersales_grpc::pb;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, TestClock, authed};
use crate::work_orders::{Shop, shop};

/// Adds follow-up agents to the staff list; `adv-1` is an agent too but advises the orders.
pub(crate) async fn agents(app: &TestApp, shop: &Shop) {
    for (id, roles) in [
        ("fu-1", json!(["followup_agent"])),
        ("fu-2", json!(["followup_agent"])),
        ("adv-1", json!(["advisor", "followup_agent"])),
    ] {
        let res = app
            .post(
                &format!("/v1/stores/{}/staff", shop.store),
                &shop.supervisor,
                json!({"id": id, "name": id, "roles": roles}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{:?}", res.body);
    }
}

/// Delivers an order, with the clock moved to `deliver_at` just before the handover.
pub(crate) async fn deliver_at(app: &TestApp, shop: &Shop, clock: &TestClock, deliver_at: &str) -> Value {
    let approved = shop.approved(app, 30_000).await;
    let worked = shop.worked(app, &approved).await;
    shop.exit_inspection(app, &worked, true).await;
    shop.step(app, &approved, "notify-customer", &shop.advisor, json!({})).await;
    clock.set(deliver_at);
    let done = shop
        .step(
            app,
            &approved,
            "deliver",
            &shop.advisor,
            json!({"walkaround_notes": "环车检查",
            "amount_paid_fen": 56_000, "payment_method": "cash"}),
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    done.body
}

pub(crate) async fn first_task(app: &TestApp, shop: &Shop, order: &Value) -> Value {
    let tasks = app
        .get(
            &format!("/v1/stores/{}/follow-up-tasks?customer_id={}", shop.store, shop.customer),
            &shop.supervisor,
        )
        .await;
    tasks.body["follow_up_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["work_order_id"] == order["id"] && t["kind"] == "first_follow_up")
        .cloned()
        .unwrap_or_else(|| panic!("no first follow-up for {}: {:?}", order["id"], tasks.body))
}

// FU-1: day 3 to day 7 in store-local days; the day turns at the store's midnight, across a month end.
#[tokio::test]
async fn the_first_follow_up_window_turns_at_the_stores_midnight() {
    let clock = TestClock::at("2026-11-27T02:00:00Z");
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await;
    agents(&app, &shop).await;
    let before = deliver_at(&app, &shop, &clock, "2026-11-27T15:59:59Z").await; // 23:59:59 in Shanghai
    let task = first_task(&app, &shop, &before).await;
    assert_eq!(
        (task["due_from"].as_str(), task["due_to"].as_str()),
        (Some("2026-11-30"), Some("2026-12-04"))
    );
    assert_ne!(task["assignee"], "adv-1", "FU-3: never the order's advisor");
    clock.set("2026-11-27T12:00:00Z");
    let after = deliver_at(&app, &shop, &clock, "2026-11-27T16:00:00Z").await; // midnight: the 28th
    let task = first_task(&app, &shop, &after).await;
    assert_eq!(
        (task["due_from"].as_str(), task["due_to"].as_str()),
        (Some("2026-12-01"), Some("2026-12-05"))
    );
}

// FU-1: the same rule in another time zone.
#[tokio::test]
async fn the_first_follow_up_window_follows_the_stores_own_time_zone() {
    let clock = TestClock::at("2026-11-27T08:00:00Z");
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await;
    let berlin = app
        .send(
            reqwest::Method::PATCH,
            &format!("/v1/stores/{}", shop.store),
            Some(&app.admin()),
            Some(json!({"timezone": "Europe/Berlin"})),
            &[],
        )
        .await;
    assert_eq!(berlin.status, StatusCode::OK);
    agents(&app, &shop).await;
    let late = deliver_at(&app, &shop, &clock, "2026-11-27T22:59:59Z").await; // 23:59:59 in Berlin
    let task = first_task(&app, &shop, &late).await;
    assert_eq!(task["due_from"], "2026-11-30");
    clock.set("2026-11-27T12:00:00Z");
    let next = deliver_at(&app, &shop, &clock, "2026-11-27T23:00:00Z").await; // midnight in Berlin
    assert_eq!(first_task(&app, &shop, &next).await["due_from"], "2026-12-01");
}

// FU-2, FU-3, FU-4, FU-5
#[tokio::test]
async fn an_agent_works_the_first_follow_up_and_the_second_is_scheduled_with_its_topics() {
    let clock = TestClock::at("2026-11-27T02:00:00Z");
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await;
    agents(&app, &shop).await;
    let order = deliver_at(&app, &shop, &clock, "2026-11-27T06:00:00Z").await;
    let task = first_task(&app, &shop, &order).await;
    let agent_id = task["assignee"].as_str().unwrap().to_string();
    let other_id = if agent_id == "fu-1" { "fu-2" } else { "fu-1" };
    let agent = app.token(&agent_id, &["followup_agent"], &[&shop.store]);
    let other = app.token(other_id, &["followup_agent"], &[&shop.store]);

    // FU-5: not on the worklist before its window; on it from day 3; overdue after day 7.
    let worklist =
        |day: &'static str| format!("/v1/stores/{}/follow-up-tasks/worklist?day={day}", shop.store);
    assert_eq!(app.get(&worklist("2026-11-29"), &agent).await.body["items"], json!([]));
    clock.set("2026-11-30T00:30:00Z"); // 08:30 local: before the call hours
    let due = app.get(&worklist("2026-11-30"), &agent).await.body;
    assert_eq!(due["items"][0]["task"]["id"], task["id"]);
    assert_eq!(due["items"][0]["overdue"], false);
    assert_eq!(due["items"][0]["next_call_at"], "2026-11-30T01:00:00Z", "09:00 local, the first call window");
    assert_eq!(
        app.get(&worklist("2026-12-04"), &agent).await.body["items"][0]["overdue"],
        false,
        "day 7: still on time"
    );
    assert_eq!(
        app.get(&worklist("2026-12-05"), &agent).await.body["items"][0]["overdue"],
        true,
        "day 8: overdue"
    );
    assert_eq!(app.get(&worklist("2026-11-30"), &other).await.body["items"], json!([]), "one agent per task");

    let contact = |outcome: &str, completes: bool| {
        json!({"customer_id": shop.customer, "task_id": task["id"], "channel": "phone", "outcome": outcome,
               "topics": ["维修质量", "服务态度"], "satisfaction": 5, "completes_task": completes})
    };
    let records = format!("/v1/stores/{}/contact-records", shop.store);
    let not_reached = app.post(&records, &agent, contact("no_answer", true)).await;
    assert_eq!(
        not_reached.fields(),
        vec!["completes_task"],
        "a task is done only when the customer was reached"
    );
    assert_eq!(app.post(&records, &agent, contact("no_answer", false)).await.status, StatusCode::CREATED);
    let someone_else = app.post(&records, &other, contact("reached", true)).await;
    assert_eq!(someone_else.code(), "follow_up_task.assigned_elsewhere");
    clock.set("2026-12-01T03:00:00Z"); // the 1st, local
    let done = app.post(&records, &agent, contact("reached", true)).await;
    assert_eq!(done.status, StatusCode::CREATED, "{:?}", done.body);

    let closed = app
        .get(&format!("/v1/stores/{}/follow-up-tasks/{}", shop.store, task["id"].as_str().unwrap()), &agent)
        .await
        .body;
    assert_eq!(closed["status"], "done");
    let all = app
        .get(&format!("/v1/stores/{}/follow-up-tasks?customer_id={}", shop.store, shop.customer), &agent)
        .await
        .body;
    let second = all["follow_up_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "second_follow_up")
        .unwrap()
        .clone();
    assert_eq!(
        (second["due_from"].as_str(), second["due_to"].as_str()),
        (Some("2026-12-08"), Some("2026-12-15"))
    );
    assert_eq!(
        second["topics_covered"],
        json!(["维修质量", "服务态度"]),
        "FU-2: shown so they are not repeated"
    );
    assert_eq!(second["previous_task"], task["id"]);
    assert_ne!(second["assignee"], "adv-1");
    let register = app.get(&format!("{records}?customer_id={}", shop.customer), &shop.supervisor).await.body;
    assert_eq!(register["contact_records"].as_array().unwrap().len(), 2);

    // The same worklist over gRPC.
    let mut client = FollowUpServiceClient::new(app.grpc_channel.clone());
    let second_agent = second["assignee"].as_str().unwrap().to_string();
    let grpc = client
        .get_worklist(authed(
            &shop.supervisor,
            pb::GetWorklistRequest {
                store: shop.store.clone(),
                agent: second_agent.clone(),
                day: "2026-12-08".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let rest = app
        .get(
            &format!(
                "/v1/stores/{}/follow-up-tasks/worklist?agent={second_agent}&day=2026-12-08",
                shop.store
            ),
            &shop.supervisor,
        )
        .await
        .body;
    assert_eq!(grpc.items.len(), 1);
    // FU-2: day 7 to day 14 after the first was done (the 1st): not before the 8th, overdue from the 16th.
    let second_list = |day: &'static str| {
        format!("/v1/stores/{}/follow-up-tasks/worklist?agent={second_agent}&day={day}", shop.store)
    };
    let on = |body: &Value| {
        body["items"].as_array().map(|items| items.iter().map(|i| i["overdue"].clone()).collect::<Vec<_>>())
    };
    assert_eq!(on(&app.get(&second_list("2026-12-07"), &shop.supervisor).await.body), Some(vec![]), "day 6");
    assert_eq!(
        on(&app.get(&second_list("2026-12-15"), &shop.supervisor).await.body),
        Some(vec![json!(false)]),
        "day 14"
    );
    assert_eq!(
        on(&app.get(&second_list("2026-12-16"), &shop.supervisor).await.body),
        Some(vec![json!(true)]),
        "day 15"
    );
    assert_eq!(json!(grpc.items[0].task.as_ref().unwrap().id), rest["items"][0]["task"]["id"]);
    let technician = app.token("tech-1", &["technician"], &[&shop.store]);
    assert_eq!(
        app.post(&records, &technician, contact("reached", false)).await.status,
        StatusCode::FORBIDDEN
    );
}

// FU-3: work is balanced among the active agents.
#[tokio::test]
async fn first_follow_ups_are_spread_over_the_agents() {
    let clock = TestClock::at("2026-11-27T02:00:00Z");
    let app = TestApp::spawn_at(Arc::clone(&clock)).await;
    let shop = shop(&app).await;
    agents(&app, &shop).await;
    let mut assignees = Vec::new();
    for hour in 3..7 {
        let order = deliver_at(&app, &shop, &clock, &format!("2026-11-27T0{hour}:00:00Z")).await;
        assignees.push(first_task(&app, &shop, &order).await["assignee"].as_str().unwrap().to_string());
    }
    assignees.sort();
    assert_eq!(assignees, vec!["fu-1", "fu-1", "fu-2", "fu-2"]);
}

// FU-5: closed as unreachable only after attempts over five days, with the fallback on record.
#[tokio::test]
async fn a_task_closes_unreachable_only_after_five_days_of_attempts() {
    let clock = TestClock::at("2026-11-27T02:00:00Z");
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await;
    agents(&app, &shop).await;
    let order = deliver_at(&app, &shop, &clock, "2026-11-27T06:00:00Z").await;
    let task = first_task(&app, &shop, &order).await;
    let agent = app.token(task["assignee"].as_str().unwrap(), &["followup_agent"], &[&shop.store]);
    let records = format!("/v1/stores/{}/contact-records", shop.store);
    let attempt = json!({"customer_id": shop.customer, "task_id": task["id"], "channel": "phone", "outcome": "no_answer"});
    let close = format!(
        "/v1/stores/{}/follow-up-tasks/{}/close-unreachable",
        shop.store,
        task["id"].as_str().unwrap()
    );
    for at in ["2026-11-30T02:00:00Z", "2026-12-04T02:00:00Z"] {
        clock.set(at);
        assert_eq!(app.post(&records, &agent, attempt.clone()).await.status, StatusCode::CREATED);
    }
    let early = app.post(&close, &agent, json!({"fallback_channel": "sms"})).await;
    assert_eq!(early.code(), "follow_up_task.too_early_unreachable", "{:?}", early.body);
    clock.set("2026-12-05T02:00:00Z");
    app.post(&records, &agent, attempt).await;
    let by_phone = app.post(&close, &agent, json!({"fallback_channel": "phone"})).await;
    assert_eq!(by_phone.fields(), vec!["fallback_channel"]);
    let closed =
        app.post(&close, &agent, json!({"fallback_channel": "sms", "notes": "已发短信请客户回电"})).await;
    assert_eq!(closed.body["status"], "unreachable", "{:?}", closed.body);
    let register = app.get(&format!("{records}?task_id={}", task["id"].as_str().unwrap()), &agent).await.body;
    let last = register["contact_records"].as_array().unwrap().last().unwrap().clone();
    assert_eq!((last["channel"].as_str(), last["notes"].as_str()), (Some("sms"), Some("已发短信请客户回电")));
}

// FU-3: a supervisor moves an absent agent's tasks in bulk, never to the advisor, on record.
#[tokio::test]
async fn a_supervisor_moves_an_absent_agents_tasks_in_bulk() {
    let clock = TestClock::at("2026-11-27T02:00:00Z");
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await;
    agents(&app, &shop).await;
    for hour in 3..7 {
        deliver_at(&app, &shop, &clock, &format!("2026-11-27T0{hour}:00:00Z")).await;
    }
    let reassign = format!("/v1/stores/{}/follow-up-tasks/reassign", shop.store);
    let body = json!({"from_agent": "fu-1", "absent_from": "2026-11-30", "absent_to": "2026-12-06"});
    let agent = app.token("fu-2", &["followup_agent"], &[&shop.store]);
    assert_eq!(app.post(&reassign, &agent, body.clone()).await.status, StatusCode::FORBIDDEN);
    let moved = app.post(&reassign, &shop.supervisor, body).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    let moved = moved.body["follow_up_tasks"].as_array().unwrap().clone();
    assert_eq!(moved.len(), 2);
    assert!(moved.iter().all(|t| t["assignee"] == "fu-2"), "the advisor adv-1 never gets them");
    let left = app
        .get(
            &format!("/v1/stores/{}/follow-up-tasks?assignee=fu-1&status=open", shop.store),
            &shop.supervisor,
        )
        .await;
    assert_eq!(left.body["follow_up_tasks"], json!([]));
    let trail = app
        .get(
            &format!("/v1/stores/{}/audit-events?resource_type=follow_up_task", shop.store),
            &shop.supervisor,
        )
        .await;
    let moves = trail.body["audit_events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "task.reassign")
        .count();
    assert_eq!(moves, 2);
}

// FU-4: the register exports as CSV that Excel opens in Chinese.
#[tokio::test]
async fn the_contact_register_exports_as_csv_for_excel() {
    let clock = TestClock::at("2026-11-27T02:00:00Z");
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await;
    agents(&app, &shop).await;
    let agent = app.token("fu-1", &["followup_agent"], &[&shop.store]);
    let body = json!({"customer_id": shop.customer, "channel": "phone", "direction": "inbound", "outcome": "reached",
        "topics": ["维修质量", "价格"], "satisfaction": 4, "notes": "客户咨询保养, 价格\"偏高\""});
    assert_eq!(
        app.post(&format!("/v1/stores/{}/contact-records", shop.store), &agent, body).await.status,
        StatusCode::CREATED
    );
    let res = app
        .http
        .get(format!("{}/v1/stores/{}/contact-records/export", app.base, shop.store))
        .bearer_auth(&shop.supervisor)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let bytes = res.bytes().await.unwrap();
    assert_eq!(&bytes[..3], &[0xEF, 0xBB, 0xBF], "a byte-order mark, so Excel reads UTF-8");
    let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(&header[..3], &["时间", "客户", "电话"]);
    let row: Vec<String> = reader.records().next().unwrap().unwrap().iter().map(String::from).collect();
    assert_eq!((row[1].as_str(), row[2].as_str(), row[4].as_str()), ("张伟", "13812345678", "inbound"));
    assert_eq!((row[6].as_str(), row[7].as_str()), ("维修质量；价格", "4"));
    assert_eq!(row[8], "客户咨询保养, 价格\"偏高\"", "commas and quotes survive");
}

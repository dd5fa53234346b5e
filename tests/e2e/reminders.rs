//! Maintenance and declined-work reminders born with a delivery (FU-10, WO-11), on a set clock.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{TestApp, TestClock};
use crate::work_orders::{Shop, new_order, shop};

/// Takes a level-1 maintenance order to delivery, with its last line declined by the customer.
pub(crate) async fn deliver_maintenance(app: &TestApp, shop: &Shop, km: u32) -> Value {
    let mut body = new_order(shop, km);
    body["repair_category"] = json!("level1_maintenance");
    body["promised_at"] = json!("2027-06-01T00:00:00Z"); // ahead of the set clock
    body["lines"].as_array_mut().unwrap().push(
        json!({"kind": "part", "code": "P-AC-F", "description": "更换空调滤芯", "quantity": 1, "unit_price_fen": 9000}),
    );
    let order = app.post(&shop.orders(), &shop.advisor, body).await;
    assert_eq!(order.status, StatusCode::CREATED, "{:?}", order.body);
    let order = order.body;
    let id = order["id"].as_str().unwrap();
    let entry = app
        .post(
            &format!("{}/{id}/inspections/entry", shop.orders()),
            &shop.advisor,
            json!({"methods": ["visual"], "findings": "到保养里程",
                   "condition": {"exterior_marks": "无", "fuel_level": "half", "valuables": "无"}}),
        )
        .await;
    assert_eq!(entry.status, StatusCode::CREATED, "{:?}", entry.body);
    let quoted = shop.step(app, &order, "submit-quote", &shop.advisor, json!({})).await;
    let lines = quoted.body["lines"].as_array().unwrap().clone();
    let decisions: Vec<Value> = lines
        .iter()
        .map(|l| {
            let keep = l["code"] != "P-AC-F";
            json!({"line_id": l["id"], "approved": keep, "reason": if keep { Value::Null } else { json!("下次再换") }})
        })
        .collect();
    let approved = shop
        .step(
            app,
            &order,
            "approve",
            &shop.advisor,
            json!({"estimate_version": 1, "method": "in_person", "decisions": decisions}),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
    let worked = shop.worked(app, &approved.body).await;
    assert_eq!(shop.exit_inspection(app, &worked, true).await.status, StatusCode::CREATED);
    shop.step(app, &order, "notify-customer", &shop.advisor, json!({})).await;
    let delivered = shop
        .step(
            app,
            &order,
            "deliver",
            &shop.advisor,
            json!({"walkaround_notes": "环车检查", "amount_paid_fen": 56_000, "payment_method": "cash"}),
        )
        .await;
    assert_eq!(delivered.status, StatusCode::OK, "{:?}", delivered.body);
    delivered.body
}

pub(crate) async fn tasks(app: &TestApp, shop: &Shop, kind: &str) -> Vec<Value> {
    let res = app
        .get(
            &format!("/v1/stores/{}/follow-up-tasks?customer_id={}", shop.store, shop.customer),
            &shop.supervisor,
        )
        .await;
    res.body["follow_up_tasks"].as_array().unwrap().iter().filter(|t| t["kind"] == kind).cloned().collect()
}

// FU-10: the reminder falls ahead of the maintenance, due by date or projected mileage, whichever
// comes first; a later maintenance replaces it; declined work (WO-11) is brought up again.
#[tokio::test]
async fn a_maintenance_schedules_the_next_reminder_and_the_declined_work_comes_up_again() {
    let clock = TestClock::at("2026-11-27T02:00:00Z");
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await;
    let staff = app
        .post(
            &format!("/v1/stores/{}/staff", shop.store),
            &shop.supervisor,
            json!({"id": "fu-1", "name": "陈回访", "roles": ["followup_agent"]}),
        )
        .await;
    assert_eq!(staff.status, StatusCode::CREATED, "{:?}", staff.body);
    let vehicle_path =
        format!("/v1/stores/{}/customers/{}/vehicles/{}", shop.store, shop.customer, shop.vehicle);
    let etag = app.get(&vehicle_path, &shop.advisor).await.body["etag"].as_str().unwrap().to_string();
    let registered = app
        .send(
            Method::PATCH,
            &vehicle_path,
            Some(&shop.advisor),
            Some(json!({"registration_date": "2025-11-27"})),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(registered.status, StatusCode::OK, "{:?}", registered.body);

    // 36,500 km in a year is 100 km a day: the next 5,000 km take 50 days, well before 6 months.
    let order = deliver_maintenance(&app, &shop, 36_500).await;
    let vehicle = app.get(&vehicle_path, &shop.advisor).await.body;
    assert_eq!(
        (vehicle["last_service_date"].as_str(), vehicle["last_service_km"].as_u64()),
        (Some("2026-11-27"), Some(36_500))
    );
    let reminders = tasks(&app, &shop, "maintenance_reminder").await;
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    let first = &reminders[0];
    assert_eq!(
        (first["due_from"].as_str(), first["due_to"].as_str()),
        (Some("2027-01-09"), Some("2027-01-16"))
    );
    assert_eq!(first["work_order_id"], order["id"]);
    assert_ne!(first["assignee"], "adv-1", "FU-3: not the order's advisor");
    // FU-10: a car not back 30 days after the maintenance fell due is followed as lapsing.
    let lapsing = tasks(&app, &shop, "lapsing").await;
    assert_eq!(lapsing.len(), 1, "{lapsing:?}");
    assert_eq!(
        (lapsing[0]["due_from"].as_str(), lapsing[0]["due_to"].as_str()),
        (Some("2027-02-15"), Some("2027-02-22"))
    );
    assert_eq!(lapsing[0]["assignee"], "fu-1");
    let on_list =
        |day: &str| format!("/v1/stores/{}/follow-up-tasks/worklist?agent=fu-1&day={day}", shop.store);
    let kinds = |body: &Value| {
        body["items"].as_array().unwrap().iter().map(|i| i["task"]["kind"].clone()).collect::<Vec<_>>()
    };
    assert!(
        !kinds(&app.get(&on_list("2027-02-14"), &shop.supervisor).await.body).contains(&json!("lapsing"))
    );
    assert!(kinds(&app.get(&on_list("2027-02-15"), &shop.supervisor).await.body).contains(&json!("lapsing")));
    let declined = tasks(&app, &shop, "declined_reminder").await;
    assert_eq!(declined.len(), 1);
    assert_eq!(declined[0]["subjects"], json!(["更换空调滤芯"]));
    assert_eq!(
        (declined[0]["due_from"].as_str(), declined[0]["due_to"].as_str()),
        (Some("2026-12-27"), Some("2027-01-03"))
    );

    // The car comes back early for its maintenance: the old reminder gives way to the new one.
    clock.set("2026-12-20T02:00:00Z");
    deliver_maintenance(&app, &shop, 38_000).await;
    let reminders = tasks(&app, &shop, "maintenance_reminder").await;
    let status = |id: &Value| reminders.iter().find(|t| &t["id"] == id).map(|t| t["status"].clone());
    assert_eq!(status(&first["id"]), Some(json!("cancelled")));
    let open: Vec<&Value> = reminders.iter().filter(|t| t["status"] == "open").collect();
    assert_eq!(open.len(), 1, "one reminder per car: {reminders:?}");
    assert!(open[0]["due_to"].as_str() > Some("2027-01-16"));
    let lapsing_now = tasks(&app, &shop, "lapsing").await;
    let first_lapse = lapsing_now.iter().find(|t| t["id"] == lapsing[0]["id"]).unwrap();
    assert_eq!(first_lapse["status"], "cancelled", "the car came back: it is not lapsing");
    assert_eq!(lapsing_now.iter().filter(|t| t["status"] == "open").count(), 1);
}

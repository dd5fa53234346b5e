//! The 三包 tracker on the order (issue 14, item 6), over REST and gRPC on both databases: a car's
//! repairs inside its periods give its owner rights, which the order and the advisor's list show
//! and an event announces.

use aftersales_grpc::{WorkOrderServiceClient, WorkshopServiceClient, pb};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, TestClock, authed};
use crate::work_orders::{Shop, new_order, shop};

/// Records the car's purchase invoice date, `days` before the clock.
async fn bought(app: &TestApp, shop: &Shop, start: chrono::DateTime<chrono::Utc>, days: i64) {
    let day = (start - chrono::Duration::days(days)).date_naive();
    let path = format!("/v1/stores/{}/customers/{}/vehicles/{}", shop.store, shop.customer, shop.vehicle);
    let res = app.patch(&path, &shop.advisor, json!({"purchase_date": day})).await;
    assert_eq!(res.status, StatusCode::OK, "{:?}", res.body);
    assert_eq!(res.body["purchase_date"], day.to_string());
}

/// An order for the car with one warranty labour line repairing `fault` on the brakes.
pub fn brake_repair(shop: &Shop, km: u32, fault: &str, serious: bool) -> Value {
    let mut body = new_order(shop, km);
    body["lines"] = json!([{
        "kind": "labour", "code": "BRK-01", "description": "制动系统检修", "hours": 2.0, "rate_fen": 12000,
        "payer": "manufacturer_warranty", "fault_code": fault,
        "sanbao": {"system": "brakes", "serious_safety": serious}
    }]);
    body
}

/// Takes an order from open to delivered; nothing is due from the customer.
async fn deliver(app: &TestApp, shop: &Shop, order: &Value) -> Value {
    let approved = shop.approve_all(app, order).await;
    let worked = shop.worked(app, &approved).await;
    shop.exit_inspection(app, &worked, true).await;
    shop.step(app, &approved, "notify-customer", &shop.advisor, json!({})).await;
    let nothing = json!({"walkaround_notes": "环车检查", "amount_paid_fen": 0, "payment_method": "waived"});
    let done = shop.step(app, &approved, "deliver", &shop.advisor, nothing).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    done.body
}

pub fn rights(order: &Value) -> Vec<(String, Option<String>)> {
    order["sanbao"]["rights"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|r| (r["right"].as_str().unwrap().to_string(), r["reason"].as_str().map(str::to_string)))
                .collect()
        })
        .unwrap_or_default()
}

// Issue 14 (done when 5), 令第43号 第二十四条（一）: the third repair of a serious safety fault inside
// the 三包 period gives the owner a replacement or refund, shown on the order at reception, on the
// advisor's list and announced.
#[tokio::test]
async fn a_third_repair_of_a_serious_safety_fault_gives_a_replacement_or_refund() {
    let start = chrono::Utc::now();
    let app = TestApp::spawn_at(TestClock::at(&start.to_rfc3339())).await;
    let shop = shop(&app).await;
    let unknown = shop.create_with(&app, brake_repair(&shop, 30_000, "C1001", true)).await;
    assert_eq!(unknown["sanbao"], Value::Null, "no purchase date on the file: nothing counted");
    let cancelled = shop.step(&app, &unknown, "cancel", &shop.advisor, json!({"reason": "客户改约"})).await;
    assert_eq!(cancelled.status, StatusCode::OK);
    bought(&app, &shop, start, 200).await;

    let first = shop.create_with(&app, brake_repair(&shop, 30_100, "C1001", true)).await;
    assert_eq!(first["sanbao"]["in_sanbao"], true, "{:?}", first["sanbao"]);
    assert_eq!(
        first["sanbao"]["repairs_by_fault"],
        json!([{"fault": "C1001", "repairs": 1}]),
        "the cancelled one counts nothing"
    );
    deliver(&app, &shop, &first).await;
    let second = shop.create_with(&app, brake_repair(&shop, 30_200, "C1001", true)).await;
    assert_eq!(second["sanbao"]["serious_safety_repairs"], 2);
    assert!(rights(&second).is_empty(), "two repairs give no right yet: {:?}", second["sanbao"]);
    deliver(&app, &shop, &second).await;

    let third = shop.create_with(&app, brake_repair(&shop, 30_300, "C1001", true)).await;
    assert_eq!(third["sanbao"]["repairs_by_fault"], json!([{"fault": "C1001", "repairs": 3}]));
    assert_eq!(
        rights(&third),
        vec![("replace_or_refund".to_string(), Some("serious_safety_after_two_repairs".to_string()))]
    );
    let listed = app.get(&format!("{}?sanbao_rights=true", shop.orders()), &shop.advisor).await;
    let ids: Vec<&str> =
        listed.body["work_orders"].as_array().unwrap().iter().map(|o| o["id"].as_str().unwrap()).collect();
    assert_eq!(ids, vec![third["id"].as_str().unwrap()], "the advisor's list shows the car with a right");
    let feed = crate::events::whole_feed(&app, &shop.store, &shop.supervisor).await;
    let announced: Vec<&Value> = feed.iter().filter(|e| e["type"] == "work_order.sanbao_right").collect();
    assert_eq!(announced.len(), 1, "{announced:?}");
    assert_eq!(announced[0]["resource"]["id"], third["id"]);
    assert_eq!(announced[0]["data"]["rights"][0]["reason"], "serious_safety_after_two_repairs");

    let mut grpc = WorkOrderServiceClient::new(app.grpc_channel.clone());
    let got = grpc
        .get_work_order(authed(
            &shop.advisor,
            pb::GetWorkOrderRequest {
                store: shop.store.clone(),
                work_order_id: third["id"].as_str().unwrap().into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let standing = got.sanbao.unwrap();
    assert_eq!(
        (standing.rights[0].right, standing.rights[0].reason),
        (pb::RightKind::ReplaceOrRefund as i32, pb::RightReason::SeriousSafetyAfterTwoRepairs as i32)
    );
    assert_eq!(got.lines[0].sanbao.unwrap().system, pb::SanbaoSystem::Brakes as i32);
}

// Issue 14 (done when 5), the 包修期 clause: a repair in the 包修期 that takes more than 5 days gives a
// substitute car or a transport allowance, counted from the customer's agreement.
#[tokio::test]
async fn a_repair_past_five_days_gives_a_substitute_car() {
    let start = chrono::Utc::now();
    let clock = TestClock::at(&start.to_rfc3339());
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await;
    bought(&app, &shop, start, 400).await;
    let order = shop.create_with(&app, brake_repair(&shop, 30_000, "C2002", false)).await;
    let approved = shop.approve_all(&app, &order).await;
    assert!(rights(&approved).is_empty());
    clock.set(&(start + chrono::Duration::days(5) - chrono::Duration::hours(1)).to_rfc3339());
    let started = shop.step(&app, &approved, "start", &shop.technician, json!({"plate": "沪A12345"})).await;
    assert_eq!(started.body["sanbao"]["repair_days"], 5);
    assert!(rights(&started.body).is_empty(), "5 days is not more than 5");
    clock.set(&(start + chrono::Duration::days(6)).to_rfc3339());
    let line = approved["lines"][0]["id"].clone();
    let done = shop.step(&app, &approved, "complete-line", &shop.technician, json!({"line_id": line})).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert_eq!(rights(&done.body), vec![("substitute_car".to_string(), None)]);
    assert_eq!(done.body["sanbao"]["rights"][0]["days"], 6);
    let feed = crate::events::whole_feed(&app, &shop.store, &shop.supervisor).await;
    assert_eq!(feed.iter().filter(|e| e["type"] == "work_order.sanbao_right").count(), 1);
    let tagged_labour = json!({"kind": "labour", "code": "X", "description": "x", "hours": 1, "rate_fen": 1,
                               "sanbao": {"system": "engine", "replacement": "assembly"}});
    let mut body = new_order(&shop, 31_000);
    body["lines"] = json!([tagged_labour]);
    let refused = app.post(&shop.orders(), &shop.advisor, body).await;
    assert_eq!(
        refused.fields(),
        vec!["lines[0].fault_code", "lines[0].sanbao.replacement"],
        "{:?}",
        refused.body
    );
}

/// The month's comebacks as headquarters counts them for SH001.
async fn comebacks(app: &TestApp) -> u64 {
    let hq = app.token("hq-1", &["hq_analyst"], &["*"]);
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let figures = app.get(&format!("/v1/analytics/follow-up?period={month}"), &hq).await.body;
    let sh = figures["stores"].as_array().unwrap().iter().find(|s| s["store"] == "SH001").cloned();
    sh.and_then(|s| s["comebacks"].as_u64()).unwrap_or(0)
}

// Issue 14 (item 7), WO-9: a car back while an earlier order's warranty covers it is suggested as
// a comeback; the advisor dismisses with a reason (kept) or confirms (counted as a comeback).
#[tokio::test]
async fn a_comeback_is_suggested_and_the_advisor_confirms_or_dismisses_it() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let first = shop.delivered(&app).await;
    let back = shop.create(&app, 30_500).await;
    let s = &back["comeback_suggestion"];
    assert_eq!((s["of"].clone(), s["status"].as_str()), (first["id"].clone(), Some("suggested")), "{s:?}");
    assert_eq!(s["warranty_until_km"], 32_000);
    assert_eq!(back["comeback_of"], Value::Null, "a suggestion until the advisor confirms");
    let silent =
        shop.step(&app, &back, "decide-comeback", &shop.advisor, json!({"decision": "dismiss"})).await;
    assert_eq!(silent.fields(), vec!["reason"]);
    let why = json!({"decision": "dismiss", "reason": "本次为常规保养，与上次刹车维修无关"});
    let dismissed = shop.step(&app, &back, "decide-comeback", &shop.advisor, why).await;
    assert_eq!(dismissed.status, StatusCode::OK, "{:?}", dismissed.body);
    let d = &dismissed.body["comeback_suggestion"];
    assert_eq!((d["status"].as_str(), d["decided_by"].as_str()), (Some("dismissed"), Some("adv-1")), "{d:?}");
    assert_eq!(d["reason"], "本次为常规保养，与上次刹车维修无关");
    let again =
        shop.step(&app, &back, "decide-comeback", &shop.advisor, json!({"decision": "confirm"})).await;
    assert_eq!(again.code(), "work_order.no_comeback_suggested");
    let before = comebacks(&app).await;

    let noise = shop.create(&app, 30_800).await;
    let mut grpc = WorkshopServiceClient::new(app.grpc_channel.clone());
    let confirmed = grpc
        .decide_comeback(authed(
            &shop.advisor,
            pb::DecideComebackRequest {
                store: shop.store.clone(),
                work_order_id: noise["id"].as_str().unwrap().into(),
                decision: pb::ComebackDecision::Confirm as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(confirmed.comeback_of.as_deref(), first["id"].as_str());
    assert_eq!(confirmed.comeback_suggestion.unwrap().status, pb::SuggestionStatus::Confirmed as i32);
    assert_eq!(comebacks(&app).await, before + 1, "a confirmed comeback counts for headquarters");
    let outside = shop.create(&app, 33_000).await;
    assert_eq!(outside["comeback_suggestion"], Value::Null, "past the warranty's 2,000 km");
}

// Issue 14, the early-failure clause: a brake failure within 60 days and 3,000 km of the purchase
// gives a replacement or a refund at once.
#[tokio::test]
async fn an_early_brake_failure_gives_a_replacement_or_refund() {
    let start = chrono::Utc::now();
    let app = TestApp::spawn_at(TestClock::at(&start.to_rfc3339())).await;
    let shop = shop(&app).await;
    let bought_on = (start - chrono::Duration::days(20)).date_naive();
    let car = json!({"vin": crate::common::VINS[1], "plate": "沪B67890", "make": "大众", "model": "朗逸",
                     "mileage_km": 800, "purchase_date": bought_on});
    let added = app
        .post(&format!("/v1/stores/{}/customers/{}/vehicles", shop.store, shop.customer), &shop.advisor, car)
        .await;
    assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
    let mut body = brake_repair(&shop, 900, "C3003", true);
    body["vehicle_id"] = added.body["id"].clone();
    body["lines"][0]["sanbao"]["early_failure"] = json!("brake_failure");
    let order = shop.create_with(&app, body).await;
    assert_eq!(rights(&order), vec![("replace_or_refund".to_string(), Some("early_failure".to_string()))]);
    // The store may give longer periods, never shorter than the regulation's.
    let store = format!("/v1/stores/{}", shop.store);
    let short = json!({"periods": {"warranty_years": 3, "warranty_km": 60000, "sanbao_years": 2, "sanbao_km": 40000}});
    assert_eq!(app.patch(&store, &app.admin(), short).await.fields(), vec!["periods.sanbao_km"]);
    let long = json!({"periods": {"warranty_years": 4, "warranty_km": 100000, "sanbao_years": 3, "sanbao_km": 60000}});
    let set = app.patch(&store, &app.admin(), long).await;
    assert_eq!(set.body["workshop"]["periods"]["sanbao_years"], 3, "{:?}", set.body);
}

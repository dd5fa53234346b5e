//! Work orders and inspections over REST: WO-1..WO-11, IN-1..IN-4, CF-6.
//! Over 600 lines: the `Shop` fixture every work-order test file shares lives beside the journey
//! it was made for.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{Answer, TestApp, VINS};

/// A store with a customer and a car, and tokens for each role.
pub struct Shop {
    pub store: String,
    pub customer: String,
    pub vehicle: String,
    pub advisor: String,
    pub technician: String,
    pub inspector: String,
    pub supervisor: String,
}

pub async fn shop(app: &TestApp) -> Shop {
    let store = app.seed_store("SH001").await;
    let customer = app.seed_customer(&store, "张伟", "13812345678").await["id"].as_str().unwrap().to_string();
    let vehicle =
        app.seed_vehicle(&store, &customer, VINS[0], "沪A12345").await["id"].as_str().unwrap().to_string();
    Shop {
        advisor: app.advisor(&store),
        technician: app.token("tech-1", &["technician"], &[&store]),
        inspector: app.token("insp-1", &["inspector"], &[&store]),
        supervisor: app.supervisor(&store),
        store,
        customer,
        vehicle,
    }
}

pub fn promised_in(hours: i64) -> String {
    (chrono::Utc::now() + chrono::Duration::hours(hours)).to_rfc3339()
}

pub fn new_order(shop: &Shop, km: u32) -> Value {
    json!({
        "customer_id": shop.customer, "vehicle_id": shop.vehicle,
        "fault_description": "刹车时有异响，方向盘抖动", "intake_mileage_km": km, "fuel_level": "half",
        "repair_category": "minor_repair", "promised_at": promised_in(240),
        "lines": [
            {"kind": "labour", "code": "BRK-01", "description": "检查并更换前刹车片", "hours": 1.5, "rate_fen": 12000},
            {"kind": "part", "code": "P-BRK-F", "description": "前刹车片", "quantity": 1, "unit_price_fen": 38000,
             "old_part": "given_to_customer"}
        ]
    })
}

impl Shop {
    pub fn orders(&self) -> String {
        format!("/v1/stores/{}/work-orders", self.store)
    }

    pub async fn create(&self, app: &TestApp, km: u32) -> Value {
        self.create_with(app, new_order(self, km)).await
    }

    /// Opens an order from a request body of the test's own.
    pub async fn create_with(&self, app: &TestApp, body: Value) -> Value {
        let res = app.post(&self.orders(), &self.advisor, body).await;
        assert_eq!(res.status, StatusCode::CREATED, "{:?}", res.body);
        res.body
    }

    pub async fn step(&self, app: &TestApp, order: &Value, step: &str, token: &str, body: Value) -> Answer {
        let path = format!("{}/{}/{step}", self.orders(), order["id"].as_str().unwrap());
        app.post(&path, token, body).await
    }

    /// Takes an order from open to approved (entry inspection, quote, all lines approved).
    pub async fn approved(&self, app: &TestApp, km: u32) -> Value {
        self.approved_with(app, new_order(self, km)).await
    }

    /// Like [`Shop::approved`], from a request body of the test's own.
    pub async fn approved_with(&self, app: &TestApp, body: Value) -> Value {
        let order = self.create_with(app, body).await;
        self.approve_all(app, &order).await
    }

    /// Takes an open order to approved: entry inspection, quote, every line approved.
    pub async fn approve_all(&self, app: &TestApp, order: &Value) -> Value {
        let order = order.clone();
        let id = order["id"].as_str().unwrap();
        let entry = app
            .post(
                &format!("{}/{id}/inspections/entry", self.orders()),
                &self.advisor,
                json!({"methods": ["inquiry", "visual"], "findings": "前刹车片磨损到极限",
                       "condition": {"exterior_marks": "右后门划痕", "fuel_level": "half", "valuables": "无"}}),
            )
            .await;
        assert_eq!(entry.status, StatusCode::CREATED, "{:?}", entry.body);
        let quoted = self.step(app, &order, "submit-quote", &self.advisor, json!({})).await;
        assert_eq!(quoted.status, StatusCode::OK, "{:?}", quoted.body);
        let decisions: Vec<Value> = quoted.body["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| json!({"line_id": l["id"], "approved": true}))
            .collect();
        let approved = self
            .step(
                app,
                &order,
                "approve",
                &self.advisor,
                json!({"estimate_version": 1, "method": "in_person", "decisions": decisions}),
            )
            .await;
        assert_eq!(approved.status, StatusCode::OK, "{:?}", approved.body);
        approved.body
    }

    /// Works every approved line and completes the work.
    pub async fn worked(&self, app: &TestApp, order: &Value) -> Value {
        let fresh = app
            .get(&format!("{}/{}", self.orders(), order["id"].as_str().unwrap()), &self.advisor)
            .await
            .body;
        if fresh["status"] == "approved" {
            let started =
                self.step(app, &fresh, "start", &self.technician, json!({"plate": "沪A12345"})).await;
            assert_eq!(started.status, StatusCode::OK, "{:?}", started.body);
        }
        for line in fresh["lines"].as_array().unwrap().iter().filter(|l| l["status"] == "approved") {
            let done = self
                .step(app, &fresh, "complete-line", &self.technician, json!({"line_id": line["id"]}))
                .await;
            assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
        }
        let completed = self
            .step(app, &fresh, "complete-work", &self.technician, json!({"self_check_notes": "试车无异响"}))
            .await;
        assert_eq!(completed.status, StatusCode::OK, "{:?}", completed.body);
        completed.body
    }

    /// Takes a new order all the way: approved, worked, passed, customer told, delivered and paid.
    pub async fn delivered(&self, app: &TestApp) -> Value {
        let approved = self.approved(app, 30_000).await;
        let worked = self.worked(app, &approved).await;
        self.exit_inspection(app, &worked, true).await;
        self.step(app, &approved, "notify-customer", &self.advisor, json!({})).await;
        let body =
            json!({"walkaround_notes": "环车检查", "amount_paid_fen": 56_000, "payment_method": "cash"});
        let done = self.step(app, &approved, "deliver", &self.advisor, body).await;
        assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
        done.body
    }

    pub async fn exit_inspection(&self, app: &TestApp, order: &Value, pass: bool) -> Answer {
        let results: Vec<Value> = order["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|l| l["status"] == "done")
            .enumerate()
            .map(|(i, l)| json!({"line_id": l["id"], "passed": pass || i > 0, "notes": "逐项检验"}))
            .collect();
        app.post(
            &format!("{}/{}/inspections/exit", self.orders(), order["id"].as_str().unwrap()),
            &self.inspector,
            json!({"results": results}),
        )
        .await
    }
}

// WO-1, WO-3, WO-4, WO-5, WO-8, WO-9, WO-10, WO-11, IN-1, IN-2, IN-4, CF-6
#[tokio::test]
async fn a_car_goes_from_reception_to_delivery_with_a_rework_on_the_way() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let order = shop.create(&app, 30_000).await;
    let year = chrono::Utc::now().format("%Y");
    assert_eq!(order["number"], format!("SH001-{year}-000001"));
    assert_eq!(order["status"], "open");
    // Nothing agreed yet, and the quote shows what it holds (issue 14).
    assert_eq!(
        order["totals"],
        json!({"labour_fen": 0, "parts_fen": 0, "total_fen": 0, "pending_fen": 56000,
               "quoted_labour_fen": 18000, "quoted_parts_fen": 38000, "by_payer": [],
               "quoted_by_payer": [{"payer": "customer", "labour_fen": 18000, "parts_fen": 38000, "total_fen": 56000}]})
    );
    let vehicle = app
        .get(
            &format!("/v1/stores/{}/customers/{}/vehicles/{}", shop.store, shop.customer, shop.vehicle),
            &shop.advisor,
        )
        .await;
    assert_eq!(vehicle.body["mileage_km"], 30_000, "CF-6: the intake mileage is recorded");

    let quoted = shop.step(&app, &order, "submit-quote", &shop.advisor, json!({})).await;
    assert_eq!(quoted.body["status"], "awaiting_approval");
    let lines = quoted.body["lines"].as_array().unwrap().clone();
    let all = json!({"estimate_version": 1, "method": "in_person",
        "decisions": lines.iter().map(|l| json!({"line_id": l["id"], "approved": true})).collect::<Vec<_>>()});
    let too_early = shop.step(&app, &order, "approve", &shop.advisor, all.clone()).await;
    assert_eq!(too_early.status, StatusCode::CONFLICT);
    assert!(too_early.body["detail"].as_str().unwrap().contains("entry inspection"), "{:?}", too_early.body);

    let entry = app
        .post(
            &format!("{}/{}/inspections/entry", shop.orders(), order["id"].as_str().unwrap()),
            &shop.advisor,
            json!({"methods": ["inquiry", "road_test"], "findings": "前刹车片磨损", "confirmed_category": "minor_repair"}),
        )
        .await;
    assert_eq!(entry.status, StatusCode::CREATED, "{:?}", entry.body);
    let approved = shop.step(&app, &order, "approve", &shop.advisor, all).await;
    assert_eq!(approved.body["status"], "approved", "{:?}", approved.body);
    assert_eq!(approved.body["totals"]["total_fen"], 56_000);

    let wrong_car = shop.step(&app, &order, "start", &shop.technician, json!({"plate": "沪B99999"})).await;
    assert_eq!(wrong_car.code(), "work_order.plate_mismatch");
    let started = shop.step(&app, &order, "start", &shop.technician, json!({"plate": "沪A 12345"})).await;
    assert_eq!(started.body["status"], "in_progress");

    let proposed = shop
        .step(&app, &order, "propose-lines", &shop.technician, json!({"finding": "刹车油含水量超标",
            "lines": [{"kind": "part", "code": "P-DOT4", "description": "刹车油 DOT4", "quantity": 1.5, "unit_price_fen": 6000}]}))
        .await;
    assert_eq!(proposed.body["estimate_version"], 2, "{:?}", proposed.body);
    assert_eq!(proposed.body["totals"]["pending_fen"], 9_000);
    let extra = proposed.body["lines"][2]["id"].clone();
    let not_yet = shop.step(&app, &order, "complete-line", &shop.technician, json!({"line_id": extra})).await;
    assert_eq!(not_yet.code(), "work_order.line_not_approved");
    let waiting = app.get(&format!("{}?awaiting_decision=true", shop.orders()), &shop.supervisor).await;
    assert_eq!(waiting.body["work_orders"].as_array().unwrap().len(), 1);
    let agreed = shop
        .step(
            &app,
            &order,
            "record-approval",
            &shop.advisor,
            json!({"estimate_version": 2, "method": "phone",
            "decisions": [{"line_id": extra, "approved": true}]}),
        )
        .await;
    assert_eq!(agreed.body["totals"]["total_fen"], 65_000, "{:?}", agreed.body);

    let completed = shop.worked(&app, &agreed.body).await;
    assert_eq!(completed["status"], "work_completed");
    let by_advisor = app
        .post(
            &format!("{}/{}/inspections/exit", shop.orders(), order["id"].as_str().unwrap()),
            &shop.advisor,
            json!({"results": []}),
        )
        .await;
    assert_eq!(by_advisor.status, StatusCode::FORBIDDEN, "IN-2: inspectors only");
    let failed = shop.exit_inspection(&app, &completed, false).await;
    assert_eq!(
        (failed.status, &failed.body["passed"]),
        (StatusCode::CREATED, &json!(false)),
        "{:?}",
        failed.body
    );
    let back =
        app.get(&format!("{}/{}", shop.orders(), order["id"].as_str().unwrap()), &shop.advisor).await.body;
    assert_eq!((back["status"].as_str(), back["rework_count"].as_u64()), (Some("in_progress"), Some(1)));

    let reworked = shop.worked(&app, &back).await;
    let passed = shop.exit_inspection(&app, &reworked, true).await;
    assert_eq!(passed.body["kind"], "rework", "IN-2: the next one is a rework inspection");
    assert_eq!(passed.body["certificate_number"], format!("SH001-HG-{year}-000001"));
    assert_eq!(
        (passed.body["warranty_km"].as_u64(), passed.body["warranty_days"].as_u64()),
        (Some(2_000), Some(10))
    );

    let no_notes = shop
        .step(
            &app,
            &order,
            "deliver",
            &shop.advisor,
            json!({"walkaround_notes": "x", "amount_paid_fen": 65_000, "payment_method": "cash"}),
        )
        .await;
    assert_eq!(
        no_notes.code(),
        "work_order.invalid_transition",
        "not ready for pickup before the customer is told"
    );
    let ready = shop.step(&app, &order, "notify-customer", &shop.advisor, json!({})).await;
    let short = shop
        .step(
            &app,
            &order,
            "deliver",
            &shop.advisor,
            json!({"walkaround_notes": "环车检查", "discount_fen": 5_000,
            "amount_paid_fen": 59_000, "payment_method": "wechat_pay"}),
        )
        .await;
    assert_eq!(short.fields(), vec!["amount_paid_fen"], "WO-10: the payment settles the amount due exactly");
    assert_eq!(ready.body["status"], "ready_for_pickup");
    let delivered = shop
        .step(
            &app,
            &order,
            "deliver",
            &shop.advisor,
            json!({"walkaround_notes": "陪同客户环车检查，讲解刹车磨合注意事项",
                "discount_fen": 5_000, "amount_paid_fen": 60_000, "payment_method": "wechat_pay"}),
        )
        .await;
    assert_eq!(delivered.body["status"], "delivered", "{:?}", delivered.body);
    let settlement = &delivered.body["settlement"];
    assert_eq!(settlement["number"], format!("SH001-JS-{year}-000001"));
    assert_eq!(settlement["certificate_number"], passed.body["certificate_number"]);
    assert_eq!(
        (settlement["labour_fen"].as_i64(), settlement["parts_fen"].as_i64()),
        (Some(18_000), Some(47_000))
    );
    assert_eq!(
        (settlement["total_fen"].as_i64(), settlement["amount_due_fen"].as_i64()),
        (Some(65_000), Some(60_000))
    );
    assert_eq!(settlement["labour"][0]["hours"], 1.5);
    assert_eq!(settlement["parts"][1]["quantity"], 1.5);
    assert_eq!(settlement["parts"][0]["old_part"], "given_to_customer");
    assert_eq!(settlement["customer_phone"], "138****5678");
    assert_eq!(settlement["repair_category"], "minor_repair");
    let after = shop.step(&app, &order, "cancel", &shop.advisor, json!({"reason": "x"})).await;
    assert_eq!(after.status, StatusCode::CONFLICT, "a delivered order, and its settlement, never change");
    assert_eq!(delivered.body["warranty_until_km"], 32_000);
    let until = (chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive()
        + chrono::Days::new(10))
    .to_string();
    assert_eq!(delivered.body["warranty_until_date"], until);
    let path: Vec<&str> = delivered.body["status_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["to"].as_str().unwrap())
        .collect();
    assert_eq!(path.first(), Some(&"awaiting_approval"));
    assert_eq!(path.last(), Some(&"delivered"));
    assert!(path.contains(&"in_progress"));
    let inspections = app
        .get(&format!("{}/{}/inspections", shop.orders(), order["id"].as_str().unwrap()), &shop.advisor)
        .await;
    let kinds: Vec<&str> = inspections.body["inspections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["entry", "exit", "rework"]);
}

// WO-3: every refused move names the state and changes nothing.
#[tokio::test]
async fn illegal_moves_are_refused_and_leave_the_order_unchanged() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let order = shop.create(&app, 30_000).await;
    let path = format!("{}/{}", shop.orders(), order["id"].as_str().unwrap());
    let before = app.get(&path, &shop.advisor).await.body;
    for (step, token, body) in [
        ("approve", &shop.advisor, json!({"estimate_version": 0, "method": "phone", "decisions": []})),
        ("start", &shop.technician, json!({"plate": "沪A12345"})),
        ("complete-work", &shop.technician, json!({"self_check_notes": "ok"})),
        ("notify-customer", &shop.advisor, json!({})),
        (
            "deliver",
            &shop.advisor,
            json!({"walkaround_notes": "ok", "amount_paid_fen": 0, "payment_method": "waived"}),
        ),
    ] {
        let refused = shop.step(&app, &order, step, token, body).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{step}: {:?}", refused.body);
        assert!(
            refused.body["detail"].as_str().unwrap().contains("open"),
            "{step} names the state: {:?}",
            refused.body
        );
    }
    assert_eq!(app.get(&path, &shop.advisor).await.body, before);
    let cancelled = shop.step(&app, &order, "cancel", &shop.advisor, json!({"reason": "客户不修了"})).await;
    assert_eq!(cancelled.body["status"], "cancelled");
    let again = shop.step(&app, &order, "submit-quote", &shop.advisor, json!({})).await;
    assert!(again.body["detail"].as_str().unwrap().contains("cancelled"));
}

// WO-3: the role table on the workflow.
#[tokio::test]
async fn each_step_is_refused_to_the_roles_that_may_not_take_it() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let order = shop.create(&app, 30_000).await;
    let agent = app.token("fu-1", &["followup_agent"], &[&shop.store]);
    assert_eq!(
        app.post(&shop.orders(), &shop.technician, new_order(&shop, 30_000)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        shop.step(&app, &order, "submit-quote", &shop.technician, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        shop.step(&app, &order, "submit-quote", &agent, json!({})).await.status,
        StatusCode::FORBIDDEN
    );
    let approved = shop.approved(&app, 31_000).await;
    assert_eq!(
        shop.step(&app, &approved, "start", &shop.advisor, json!({"plate": "沪A12345"})).await.status,
        StatusCode::FORBIDDEN,
        "the technician starts the work"
    );
    assert_eq!(app.get(&shop.orders(), &agent).await.status, StatusCode::OK, "follow-up agents read orders");
    let hq = app.token("hq", &["hq_analyst"], &["*"]);
    assert_eq!(app.get(&shop.orders(), &hq).await.status, StatusCode::FORBIDDEN);
}

// WO-1: per-store, per-year numbers stay unique and gap-free under concurrent creates, and none
// of 64 concurrent creates fails: the number is taken inside each transaction, not raced for.
#[tokio::test]
async fn concurrent_creates_get_unique_gap_free_numbers() {
    const CREATES: usize = 64;
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let path = shop.orders();
    let creates = (0..CREATES).map(|_| app.post(&path, &shop.advisor, new_order(&shop, 30_000)));
    let answers = futures_util::future::join_all(creates).await;
    let mut numbers: Vec<String> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
            a.body["number"].as_str().unwrap().to_string()
        })
        .collect();
    numbers.sort();
    let year = chrono::Utc::now().format("%Y");
    let expected: Vec<String> = (1..=CREATES).map(|n| format!("SH001-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected);
    // HQ-2: the day counter moved by each concurrent create lost none of them.
    let hq = app.token("hq-1", &["hq_analyst"], &["*"]);
    let figures = app.get(&format!("/v1/analytics/follow-up?period={year}&stores=SH001"), &hq).await.body;
    assert_eq!(figures["stores"][0]["work_orders"], CREATES, "{figures:?}");
    let other = app.seed_store("BJ001").await;
    let c = app.seed_customer(&other, "李娜", "13912345678").await["id"].as_str().unwrap().to_string();
    let v = app.seed_vehicle(&other, &c, VINS[1], "京A12345").await["id"].as_str().unwrap().to_string();
    let mut body = new_order(&shop, 30_000);
    body["customer_id"] = json!(c);
    body["vehicle_id"] = json!(v);
    let first = app.post(&format!("/v1/stores/{other}/work-orders"), &app.advisor(&other), body).await;
    assert_eq!(first.body["number"], format!("BJ001-{year}-000001"), "each store counts on its own");
}

// WO-11, GEN-2
#[tokio::test]
async fn of_two_concurrent_approvals_of_one_version_exactly_one_wins() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let order = shop.create(&app, 30_000).await;
    let id = order["id"].as_str().unwrap();
    app.post(
        &format!("{}/{id}/inspections/entry", shop.orders()),
        &shop.advisor,
        json!({"methods": ["visual"], "findings": "ok"}),
    )
    .await;
    let quoted = shop.step(&app, &order, "submit-quote", &shop.advisor, json!({})).await.body;
    let decisions: Vec<Value> = quoted["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| json!({"line_id": l["id"], "approved": true}))
        .collect();
    let body = json!({"estimate_version": 1, "method": "in_person", "decisions": decisions});
    let answers = futures_util::future::join_all(
        (0..2).map(|_| shop.step(&app, &order, "approve", &shop.advisor, body.clone())),
    )
    .await;
    let statuses: Vec<StatusCode> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses.iter().filter(|s| **s == StatusCode::OK).count(), 1, "{statuses:?}");
    assert!(answers.iter().any(|a| a.code() == "work_order.invalid_transition"), "{:?}", answers[1].body);
    let now = app.get(&format!("{}/{id}", shop.orders()), &shop.advisor).await.body;
    assert_eq!(now["approvals"].as_array().unwrap().len(), 1);
}

// GEN-2: a retried step with the same key is answered once.
#[tokio::test]
async fn a_step_retried_with_the_same_idempotency_key_happens_once() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let order = shop.approved(&app, 30_000).await;
    let path = format!("{}/{}/start", shop.orders(), order["id"].as_str().unwrap());
    let key = [("Idempotency-Key", "start-1")];
    let body = json!({"plate": "沪A12345"});
    let first = app.send(Method::POST, &path, Some(&shop.technician), Some(body.clone()), &key).await;
    let again = app.send(Method::POST, &path, Some(&shop.technician), Some(body), &key).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body, again.body);
    assert_eq!(again.body["status_events"].as_array().unwrap().len(), 3);
}

// IN-3
#[tokio::test]
async fn a_submitted_inspection_cannot_be_deleted_inside_the_retention_period() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let order = shop.create(&app, 30_000).await;
    let id = order["id"].as_str().unwrap();
    let entry = app
        .post(
            &format!("{}/{id}/inspections/entry", shop.orders()),
            &shop.advisor,
            json!({"methods": ["visual"], "findings": "ok"}),
        )
        .await;
    let path = format!("{}/{id}/inspections/{}", shop.orders(), entry.body["id"].as_str().unwrap());
    let by_advisor = app.send(Method::DELETE, &path, Some(&shop.advisor), None, &[]).await;
    assert_eq!(by_advisor.status, StatusCode::FORBIDDEN);
    let by_supervisor = app.send(Method::DELETE, &path, Some(&shop.supervisor), None, &[]).await;
    assert_eq!(by_supervisor.status, StatusCode::CONFLICT);
    assert_eq!(by_supervisor.code(), "inspection.retained");
    let second = app
        .post(
            &format!("{}/{id}/inspections/entry", shop.orders()),
            &shop.advisor,
            json!({"methods": ["visual"], "findings": "again"}),
        )
        .await;
    assert_eq!(second.code(), "inspection.already_submitted", "append-only");
    let list = app.get(&format!("{}/{id}/inspections", shop.orders()), &shop.advisor).await;
    assert_eq!(list.body["inspections"].as_array().unwrap().len(), 1);
}

// WO-9
#[tokio::test]
async fn a_comeback_is_accepted_only_inside_the_original_warranty() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let delivered = shop.delivered(&app).await;
    assert_eq!(delivered["warranty_until_km"], 32_000);

    let mut outside = new_order(&shop, 32_001);
    outside["comeback_of"] = delivered["id"].clone();
    let refused = app.post(&shop.orders(), &shop.advisor, outside).await;
    assert_eq!(refused.code(), "work_order.comeback_outside_warranty", "{:?}", refused.body);
    let mut inside = new_order(&shop, 31_500);
    inside["comeback_of"] = delivered["id"].clone();
    let comeback = app.post(&shop.orders(), &shop.advisor, inside).await;
    assert_eq!(comeback.status, StatusCode::CREATED, "{:?}", comeback.body);
    assert_eq!(comeback.body["comeback_of"], delivered["id"]);
    let mut lower = new_order(&shop, 100);
    lower["comeback_of"] = delivered["id"].clone();
    assert_eq!(app.post(&shop.orders(), &shop.advisor, lower).await.code(), "odometer.reading_lower", "CF-6");
}

// WO-1, WO-3: what a supervisor watches.
#[tokio::test]
async fn supervisors_list_overdue_orders_and_filter_by_state_plate_and_date() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let mut late = new_order(&shop, 30_000);
    late["promised_at"] = json!(promised_in(0));
    let late = app.post(&shop.orders(), &shop.advisor, late).await.body;
    shop.create(&app, 30_000).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let overdue = app.get(&format!("{}?overdue=true", shop.orders()), &shop.supervisor).await;
    let ids: Vec<&Value> = overdue.body["work_orders"].as_array().unwrap().iter().map(|o| &o["id"]).collect();
    assert_eq!(ids, vec![&late["id"]]);
    let by_plate =
        app.get(&format!("{}?plate=%E6%B2%AAA12345&status=open", shop.orders()), &shop.supervisor).await;
    assert_eq!(by_plate.body["work_orders"].as_array().unwrap().len(), 2);
    let today = chrono::Utc::now().with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let tomorrow = today.succ_opt().unwrap();
    let dated = app
        .get(&format!("{}?created_from={today}&created_to={today}", shop.orders()), &shop.supervisor)
        .await;
    assert_eq!(dated.body["work_orders"].as_array().unwrap().len(), 2);
    let none = app.get(&format!("{}?created_from={tomorrow}", shop.orders()), &shop.supervisor).await;
    assert_eq!(none.body["work_orders"], json!([]));
    let bad = app.get(&format!("{}?status=flying", shop.orders()), &shop.supervisor).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    let bad_vin = app.get(&format!("{}?vin=null", shop.orders()), &shop.supervisor).await;
    assert_eq!(bad_vin.fields(), vec!["vin"]);
}

// Store isolation on the workflow routes.
#[tokio::test]
async fn another_stores_work_orders_answer_not_found() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let order = shop.create(&app, 30_000).await;
    let id = order["id"].as_str().unwrap();
    app.seed_store("BJ001").await;
    let nosy = app.token("nosy", &["advisor", "technician", "inspector", "supervisor"], &["BJ001"]);
    for (method, path, body) in [
        (Method::GET, format!("{}/{id}", shop.orders()), None),
        (Method::GET, shop.orders(), None),
        (Method::POST, format!("{}/{id}/submit-quote", shop.orders()), Some(json!({}))),
        (Method::POST, format!("{}/{id}/cancel", shop.orders()), Some(json!({"reason": "x"}))),
        (Method::GET, format!("{}/{id}/inspections", shop.orders()), None),
        (
            Method::POST,
            format!("{}/{id}/inspections/entry", shop.orders()),
            Some(json!({"methods": ["visual"], "findings": "x"})),
        ),
        (Method::GET, format!("/v1/stores/BJ001/work-orders/{id}"), None),
    ] {
        let answer = app.send(method.clone(), &path, Some(&nosy), body, &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}: {:?}", answer.body);
    }
    assert_eq!(app.get(&format!("{}/{id}", shop.orders()), &shop.advisor).await.body["status"], "open");
}

// CF-2: a file is due within 2 store-local days of the first intake; the day ends at the store's midnight.
#[tokio::test]
async fn files_still_incomplete_two_store_days_after_intake_are_listed_for_the_supervisor() {
    let clock = crate::common::TestClock::at("2026-11-20T02:00:00Z"); // 10:00 in Shanghai
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await; // 张伟: name and phone only, the car without type, colour or registration
    let complete = app
        .post(
            &format!("/v1/stores/{}/customers", shop.store),
            &shop.advisor,
            json!({"name": "李娜", "phone": "13912345678",
            "address": "上海市闵行区", "preferred_channel": "phone", "preferred_contact_time": "工作日晚上"}),
        )
        .await
        .body;
    let car = app
        .post(&format!("/v1/stores/{}/customers/{}/vehicles", shop.store, complete["id"].as_str().unwrap()), &shop.advisor,
            json!({"vin": VINS[1], "plate": "沪B12345", "make": "大众", "model": "帕萨特", "vehicle_type": "sedan", "color": "黑",
                   "registration_date": "2022-05-01", "mileage_km": 10_000}))
        .await
        .body;
    shop.create(&app, 30_000).await;
    let mut other = new_order(&shop, 20_000);
    other["customer_id"] = complete["id"].clone();
    other["vehicle_id"] = car["id"].clone();
    assert_eq!(app.post(&shop.orders(), &shop.advisor, other).await.status, StatusCode::CREATED);

    let list = format!("/v1/stores/{}/supervisor/incomplete-files", shop.store);
    clock.set("2026-11-22T15:59:59Z"); // 23:59:59 on day 2 in Shanghai: still in time
    assert_eq!(app.get(&list, &shop.supervisor).await.body["files"], json!([]));
    clock.set("2026-11-22T16:00:00Z"); // midnight: day 3 has begun
    let overdue = app.get(&list, &shop.supervisor).await;
    let files = overdue.body["files"].as_array().unwrap();
    assert_eq!(files.len(), 1, "{:?}", overdue.body);
    assert_eq!(files[0]["customer_name"], "张伟");
    assert_eq!(files[0]["due_on"], "2026-11-22");
    assert_eq!(
        files[0]["missing"],
        json!([
            "address",
            "preferred_channel",
            "preferred_contact_time",
            "vehicle_type",
            "color",
            "registration_date"
        ])
    );
    assert_eq!(app.get(&list, &shop.advisor).await.status, StatusCode::FORBIDDEN, "supervisors only");

    let path = format!("/v1/stores/{}/customers/{}", shop.store, shop.customer);
    app.patch(
        &path,
        &shop.advisor,
        json!({"address": "上海市浦东新区", "preferred_channel": "wechat", "preferred_contact_time": "周末"}),
    )
    .await;
    app.patch(
        &format!("{path}/vehicles/{}", shop.vehicle),
        &shop.advisor,
        json!({"vehicle_type": "suv", "color": "白", "registration_date": "2021-03-01"}),
    )
    .await;
    assert_eq!(app.get(&list, &shop.supervisor).await.body["files"], json!([]), "completed files drop off");
}

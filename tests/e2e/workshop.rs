//! The workshop as stores run it (issue 14), over REST and gRPC on both databases: an accident
//! repair claimed from the insurer, a manufacturer warranty claim, the finance desk's void (红冲)
//! with its e-health correction, and technicians clocking on a line.

use std::time::Duration;

use aftersales_grpc::{WorkshopServiceClient, pb};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{Answer, TestApp, TestClock, authed};
use crate::ehealth::{KEY, Peer, SECRET};
use crate::work_orders::{Shop, new_order, shop};

/// Gives the store its insurers (admin).
pub(crate) async fn insurers(app: &TestApp, shop: &Shop) {
    let res = app
        .patch(
            &format!("/v1/stores/{}", shop.store),
            &app.admin(),
            json!({"insurers": ["中国人保", "平安保险"]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{:?}", res.body);
    assert_eq!(res.body["workshop"]["insurers"], json!(["中国人保", "平安保险"]));
}

/// Moves the order's insurance claim as the advisor.
pub(crate) async fn claim(shop: &Shop, app: &TestApp, order: &Value, body: Value) -> Answer {
    let path = format!("{}/{}/insurance-claim", shop.orders(), order["id"].as_str().unwrap());
    app.post(&path, &shop.advisor, body).await
}

// Issue 14 (done when 1): an accident repair with an insurer share, the customer's own share, a
// deposit; insurance lines never pass the assessment without a supplement (增项定损).
#[tokio::test]
async fn an_accident_repair_settles_the_insurers_share_as_a_receivable() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    insurers(&app, &shop).await;
    let mut body = new_order(&shop, 30_000);
    body["lines"][1]["payer"] = json!("insurance");
    let order = shop.create_with(&app, body).await;
    let deposit = json!({"amount_fen": 5_000, "method": "cash", "deposit": true});
    assert_eq!(shop.step(&app, &order, "take-payment", &shop.advisor, deposit).await.status, StatusCode::OK);

    let unknown =
        json!({"step": "report", "insurer": "邻居保险", "policy_number": "PDAA2026", "claim_number": "RC-1"});
    assert_eq!(claim(&shop, &app, &order, unknown).await.fields(), vec!["insurer"]);
    let early = json!({"step": "assess", "assessed_fen": 38_000, "assessed_on": "2026-12-07"});
    assert_eq!(claim(&shop, &app, &order, early).await.code(), "work_order.claim_invalid_transition");
    let report =
        json!({"step": "report", "insurer": "平安保险", "policy_number": "PDAA2026", "claim_number": "RC-1"});
    assert_eq!(claim(&shop, &app, &order, report).await.body["insurance_claim"]["status"], "reported");
    let assess = json!({"step": "assess", "assessed_fen": 38_000, "assessed_on": "2026-12-07"});
    let assessed = claim(&shop, &app, &order, assess).await;
    assert_eq!(assessed.body["insurance_claim"]["status"], "assessed", "{:?}", assessed.body);

    let approved = shop.approve_all(&app, &order).await;
    shop.step(&app, &approved, "start", &shop.technician, json!({"plate": "沪A12345"})).await;
    let bracket = json!({"finding": "右前大灯支架断裂", "lines": [
        {"kind": "part", "code": "P-HL-BR", "description": "大灯支架", "quantity": 1, "unit_price_fen": 6_000, "payer": "insurance"}
    ]});
    let over = shop.step(&app, &approved, "propose-lines", &shop.technician, bracket.clone()).await;
    assert_eq!(over.code(), "work_order.insurance_over_assessment", "{:?}", over.body);
    let supplement = json!({"step": "supplement", "amount_fen": 6_000, "reason": "大灯支架增项"});
    assert_eq!(claim(&shop, &app, &order, supplement).await.status, StatusCode::OK);
    let proposed = shop.step(&app, &approved, "propose-lines", &shop.technician, bracket).await;
    assert_eq!(proposed.status, StatusCode::OK, "{:?}", proposed.body);
    let extra = proposed.body["lines"][2]["id"].clone();
    let decided = json!({"estimate_version": 2, "method": "phone", "decisions": [{"line_id": extra, "approved": true}]});
    assert_eq!(
        shop.step(&app, &approved, "record-approval", &shop.advisor, decided).await.status,
        StatusCode::OK
    );
    let worked = shop.worked(&app, &approved).await;
    shop.exit_inspection(&app, &worked, true).await;
    shop.step(&app, &approved, "notify-customer", &shop.advisor, json!({})).await;
    let rest =
        json!({"walkaround_notes": "环车检查", "amount_paid_fen": 13_000, "payment_method": "wechat_pay"});
    let done = shop.step(&app, &approved, "deliver", &shop.advisor, rest).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    let s = &done.body["settlement"];
    assert_eq!((s["total_fen"].as_i64(), s["amount_due_fen"].as_i64()), (Some(62_000), Some(18_000)));
    assert_eq!(
        s["receivables"],
        json!([{"payer": "insurance", "labour_fen": 0, "parts_fen": 44_000, "total_fen": 44_000}])
    );
    let paid: Vec<(i64, bool)> = s["payments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["amount_fen"].as_i64().unwrap(), p["deposit"].as_bool().unwrap()))
        .collect();
    assert_eq!(paid, vec![(5_000, true), (13_000, false)], "the customer's share in two payments");

    let list = app.get(&format!("/v1/stores/{}/claims", shop.store), &shop.supervisor).await;
    assert_eq!(list.status, StatusCode::OK, "{:?}", list.body);
    let row = &list.body["claims"][0];
    assert_eq!(
        (row["kind"].as_str(), row["status"].as_str(), row["insurer"].as_str(), row["claimed_fen"].as_i64()),
        (Some("insurance"), Some("assessed"), Some("平安保险"), Some(44_000))
    );
    assert_eq!(row["age_days"], 0);
    let mut grpc = WorkshopServiceClient::new(app.grpc_channel.clone());
    let step = |step| pb::InsuranceClaimStepRequest {
        store: shop.store.clone(),
        work_order_id: order["id"].as_str().unwrap().into(),
        step: Some(step),
        ..Default::default()
    };
    use pb::insurance_claim_step_request::Step;
    let too_much = grpc
        .insurance_claim_step(authed(
            &shop.advisor,
            step(Step::Approve(pb::ApproveClaim { approved_fen: 44_001 })),
        ))
        .await
        .unwrap_err();
    assert_eq!(too_much.code(), tonic::Code::InvalidArgument, "{too_much:?}");
    grpc.insurance_claim_step(authed(
        &shop.advisor,
        step(Step::Approve(pb::ApproveClaim { approved_fen: 44_000 })),
    ))
    .await
    .unwrap();
    let paid = grpc
        .insurance_claim_step(authed(
            &shop.advisor,
            step(Step::Pay(pb::PayInsuranceClaim { paid_fen: 44_000, paid_on: "2026-12-20".into() })),
        ))
        .await
        .unwrap()
        .into_inner();
    let c = paid.insurance_claim.unwrap();
    assert_eq!((c.status, c.paid_fen), (pb::InsuranceClaimStatus::Paid as i32, Some(44_000)));
    let open = grpc
        .list_open_claims(authed(
            &shop.supervisor,
            pb::ListOpenClaimsRequest { store: shop.store.clone(), ..Default::default() },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(open.claims.is_empty(), "a paid claim is no longer open: {open:?}");
}

// Issue 14: insurance lines are not settled without a claim the insurer assessed.
#[tokio::test]
async fn insurance_lines_wait_for_the_loss_assessment() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    insurers(&app, &shop).await;
    let mut body = new_order(&shop, 30_000);
    body["lines"][1]["payer"] = json!("insurance");
    let approved = shop.approved_with(&app, body).await;
    let worked = shop.worked(&app, &approved).await;
    shop.exit_inspection(&app, &worked, true).await;
    shop.step(&app, &approved, "notify-customer", &shop.advisor, json!({})).await;
    let pay = json!({"walkaround_notes": "环车检查", "amount_paid_fen": 18_000, "payment_method": "cash"});
    let refused = shop.step(&app, &approved, "deliver", &shop.advisor, pay.clone()).await;
    assert_eq!(refused.code(), "work_order.insurance_claim_missing", "{:?}", refused.body);
    let report =
        json!({"step": "report", "insurer": "中国人保", "policy_number": "P-9", "claim_number": "C-9"});
    claim(&shop, &app, &approved, report).await;
    let reported = shop.step(&app, &approved, "deliver", &shop.advisor, pay.clone()).await;
    assert_eq!(reported.code(), "work_order.insurance_claim_missing", "reported is not assessed");
    let low = json!({"step": "assess", "assessed_fen": 30_000, "assessed_on": "2026-12-07"});
    claim(&shop, &app, &approved, low).await;
    let over = shop.step(&app, &approved, "deliver", &shop.advisor, pay.clone()).await;
    assert_eq!(over.code(), "work_order.insurance_over_assessment", "{:?}", over.body);
    let more = json!({"step": "supplement", "amount_fen": 8_000, "reason": "配件差价"});
    claim(&shop, &app, &approved, more).await;
    assert_eq!(shop.step(&app, &approved, "deliver", &shop.advisor, pay).await.status, StatusCode::OK);
}

// Issue 14 (done when 3): a warranty line creates a manufacturer claim naming its operation code,
// fault code and the replaced part's serial; the part is kept for the manufacturer.
#[tokio::test]
async fn a_warranty_line_creates_a_manufacturer_claim() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let mut body = new_order(&shop, 30_000);
    body["lines"][0]["payer"] = json!("manufacturer_warranty");
    body["lines"][1]["payer"] = json!("manufacturer_warranty");
    let refused = app.post(&shop.orders(), &shop.advisor, body.clone()).await;
    assert_eq!(
        refused.fields(),
        vec!["lines[0].fault_code", "lines[1].fault_code", "lines[1].old_part"],
        "{:?}",
        refused.body
    );
    body["lines"][0]["fault_code"] = json!("C1234");
    body["lines"][1]["fault_code"] = json!("C1234");
    body["lines"][1].as_object_mut().unwrap().remove("old_part");
    let approved = shop.approved_with(&app, body).await;
    assert_eq!(approved["lines"][1]["old_part"], "retained_for_claim");
    let started = shop.step(&app, &approved, "start", &shop.technician, json!({"plate": "沪A12345"})).await;
    assert_eq!(started.status, StatusCode::OK);
    let (labour, part) = (approved["lines"][0]["id"].clone(), approved["lines"][1]["id"].clone());
    let no_serial =
        shop.step(&app, &approved, "complete-line", &shop.technician, json!({"line_id": part})).await;
    assert_eq!(no_serial.fields(), vec!["part_serial"]);
    let on_labour = json!({"line_id": labour, "part_serial": "SN-1"});
    assert_eq!(
        shop.step(&app, &approved, "complete-line", &shop.technician, on_labour).await.fields(),
        vec!["part_serial"]
    );
    let with = json!({"line_id": part, "part_serial": "BRK-2026-000871"});
    assert_eq!(
        shop.step(&app, &approved, "complete-line", &shop.technician, with).await.status,
        StatusCode::OK
    );
    let worked = shop.worked(&app, &approved).await;
    shop.exit_inspection(&app, &worked, true).await;
    shop.step(&app, &approved, "notify-customer", &shop.advisor, json!({})).await;
    let nothing = json!({"walkaround_notes": "环车检查", "amount_paid_fen": 0, "payment_method": "waived"});
    let done = shop.step(&app, &approved, "deliver", &shop.advisor, nothing).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    let c = &done.body["warranty_claim"];
    assert_eq!((c["status"].as_str(), c["total_fen"].as_i64()), (Some("open"), Some(56_000)));
    let items: Vec<(&str, &str, &str, Option<&str>)> = c["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["kind"].as_str().unwrap(),
                i["code"].as_str().unwrap(),
                i["fault_code"].as_str().unwrap(),
                i["part_serial"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        items,
        vec![("labour", "BRK-01", "C1234", None), ("part", "P-BRK-F", "C1234", Some("BRK-2026-000871"))]
    );
    assert_eq!(c["items"][0]["hours_hundredths"], 150);

    let mut grpc = WorkshopServiceClient::new(app.grpc_channel.clone());
    use pb::warranty_claim_step_request::Step;
    let step = |step| pb::WarrantyClaimStepRequest {
        store: shop.store.clone(),
        work_order_id: approved["id"].as_str().unwrap().into(),
        step: Some(step),
        ..Default::default()
    };
    let early = grpc
        .warranty_claim_step(authed(&shop.advisor, step(Step::Approve(pb::ApproveClaim { approved_fen: 1 }))))
        .await
        .unwrap_err();
    assert_eq!(early.code(), tonic::Code::FailedPrecondition);
    let submitted = grpc
        .warranty_claim_step(authed(
            &shop.advisor,
            step(Step::Submit(pb::SubmitWarrantyClaim { manufacturer_claim_number: "SVW-CL-0091".into() })),
        ))
        .await
        .unwrap()
        .into_inner();
    let c = submitted.warranty_claim.unwrap();
    assert_eq!(
        (c.status, c.items[1].part_serial.as_deref()),
        (pb::WarrantyClaimStatus::Submitted as i32, Some("BRK-2026-000871"))
    );
    let list = app.get(&format!("/v1/stores/{}/claims", shop.store), &shop.supervisor).await.body;
    assert_eq!(
        (list["claims"][0]["kind"].as_str(), list["claims"][0]["claim_number"].as_str()),
        (Some("warranty"), Some("SVW-CL-0091"))
    );
}

// Issue 14 (done when 2), WO-12: a settlement voided after delivery keeps both documents, takes a
// new number, leaves an audit entry and an event, and the platform receives a correction.
#[tokio::test]
async fn a_voided_settlement_is_replaced_and_the_ehealth_record_corrected() {
    let (peer, url) = Peer::start(vec![]).await;
    let app = TestApp::spawn_with(move |c| {
        c.ehealth_endpoint = Some(url);
        c.ehealth_app_key = Some(KEY.into());
        c.ehealth_app_secret = Some(SECRET.into());
        c.ehealth_interval_ms = 20;
        c.ehealth_retry_base_ms = 50;
    })
    .await;
    let shop = shop(&app).await;
    let order = shop.delivered(&app).await;
    let old = order["settlement"]["number"].as_str().unwrap().to_string();
    let record = format!("{}/{}/ehealth-record", shop.orders(), order["id"].as_str().unwrap());
    let uploaded = |settlement: String| {
        let (app, path, token) = (&app, record.clone(), shop.advisor.clone());
        async move {
            for _ in 0..200 {
                let now = app.get(&path, &token).await.body;
                if now["status"] == "uploaded" && now["record"]["settlement_number"] == settlement.as_str() {
                    return now;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("never uploaded with {settlement}");
        }
    };
    uploaded(old.clone()).await;

    let void = json!({"reason": "折扣漏录，红冲重开", "discount_fen": 6_000, "payment_method": "cash"});
    let advisor = shop.step(&app, &order, "void-settlement", &shop.advisor, void.clone()).await;
    assert_eq!(advisor.status, StatusCode::FORBIDDEN, "a supervisor's step");
    let no_method = json!({"reason": "折扣漏录", "discount_fen": 6_000});
    assert_eq!(
        shop.step(&app, &order, "void-settlement", &shop.supervisor, no_method).await.fields(),
        vec!["payment_method"]
    );
    let voided = shop.step(&app, &order, "void-settlement", &shop.supervisor, void).await;
    assert_eq!(voided.status, StatusCode::OK, "{:?}", voided.body);
    let (now, was) = (&voided.body["settlement"], &voided.body["voided_settlements"][0]);
    let new = now["number"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert!(new.starts_with("SH001-JS-"), "{new}");
    assert_eq!(was["settlement"]["number"], old.as_str());
    assert_eq!(was["reversal_number"], format!("{old}-R"));
    assert_eq!(was["replaced_by"], new.as_str());
    assert_eq!(
        (now["discount_fen"].as_i64(), now["amount_due_fen"].as_i64(), now["amount_paid_fen"].as_i64()),
        (Some(6_000), Some(50_000), Some(50_000)),
        "the discount refunded"
    );
    assert_eq!(now["payments"].as_array().unwrap().last().unwrap()["amount_fen"], -6_000);
    uploaded(new.clone()).await;
    let corrected = peer.received.lock().unwrap().last().unwrap().corrects_cost_list_code.clone();
    assert_eq!(corrected.as_deref(), Some(old.as_str()), "sent as a correction of what the platform holds");
    let again =
        shop.step(&app, &order, "void-settlement", &shop.supervisor, json!({"reason": "再次核对"})).await;
    assert_eq!(again.status, StatusCode::OK, "a corrected settlement may itself be voided");
    let trail = app
        .get(
            &format!("/v1/stores/SH001/audit-events?resource_id={}", order["id"].as_str().unwrap()),
            &shop.supervisor,
        )
        .await;
    let voids = trail.body["audit_events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "work_order.void_settlement");
    assert_eq!(voids.count(), 2, "{:?}", trail.body);
    let events = crate::events::whole_feed(&app, "SH001", &shop.supervisor).await;
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["type"].as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "work_order.settlement_voided").count(), 2, "{kinds:?}");

    let latest = again.body["settlement"]["number"].as_str().unwrap().to_string();
    uploaded(latest.clone()).await;
    {
        let received = peer.received.lock().unwrap();
        let last = received.last().unwrap();
        assert_eq!(last.cost_list_code, latest);
        assert_eq!(last.corrects_cost_list_code.as_deref(), Some(new.as_str()), "the correction corrected");
        assert_eq!(received[0].corrects_cost_list_code, None, "the first upload is no correction");
    }
    let open = shop.create(&app, 31_000).await;
    let not_delivered =
        shop.step(&app, &open, "void-settlement", &shop.supervisor, json!({"reason": "x"})).await;
    assert_eq!(not_delivered.code(), "work_order.invalid_transition");
}

// Issue 14 (done when 4): two technicians on one line; actual hours are the sum of their clock-on
// periods, a pause included; the technician's queue shows what is dispatched to them.
#[tokio::test]
async fn two_technicians_on_one_line_sum_their_clocked_periods() {
    let start = chrono::Utc::now();
    let clock = TestClock::at(&start.to_rfc3339());
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await;
    let second = app.token("tech-2", &["technician"], &[&shop.store]);
    let approved = shop.approved(&app, 30_000).await;
    let line = approved["lines"][0]["id"].clone();
    let dispatched = shop
        .step(
            &app,
            &approved,
            "dispatch",
            &shop.advisor,
            json!({"line_id": line, "technician": "tech-1", "bay": "B3"}),
        )
        .await;
    assert_eq!(dispatched.status, StatusCode::OK, "{:?}", dispatched.body);
    assert_eq!(dispatched.body["lines"][0]["bay"], "B3");
    let by_technician = shop
        .step(&app, &approved, "dispatch", &shop.technician, json!({"line_id": line, "technician": "tech-1"}))
        .await;
    assert_eq!(by_technician.status, StatusCode::FORBIDDEN);
    let queue = format!("/v1/stores/{}/technicians/tech-1/queue", shop.store);
    let mine = app.get(&queue, &shop.technician).await;
    assert_eq!(mine.status, StatusCode::OK, "{:?}", mine.body);
    assert_eq!(
        (mine.body["items"][0]["line_id"].clone(), mine.body["items"][0]["bay"].as_str()),
        (line.clone(), Some("B3"))
    );
    assert_eq!(app.get(&queue, &second).await.status, StatusCode::FORBIDDEN, "another technician's queue");
    let theirs = app.get(&format!("/v1/stores/{}/technicians/tech-2/queue", shop.store), &second).await;
    assert_eq!(theirs.body["items"], json!([]));

    let early = shop.step(&app, &approved, "clock-on", &shop.technician, json!({"line_id": line})).await;
    assert_eq!(early.code(), "work_order.invalid_transition", "not in the workshop yet");
    shop.step(&app, &approved, "start", &shop.technician, json!({"plate": "沪A12345"})).await;
    let at = |minutes: i64| clock.set(&(start + chrono::Duration::minutes(minutes)).to_rfc3339());
    let on = || shop.step(&app, &approved, "clock-on", &shop.technician, json!({"line_id": line}));
    let off = || shop.step(&app, &approved, "clock-off", &shop.technician, json!({"line_id": line}));
    assert_eq!(on().await.status, StatusCode::OK);
    assert_eq!(on().await.code(), "work_order.already_clocked_on");
    at(10);
    let mut grpc = WorkshopServiceClient::new(app.grpc_channel.clone());
    let clock_request = pb::ClockRequest {
        store: shop.store.clone(),
        work_order_id: approved["id"].as_str().unwrap().into(),
        line_id: line.as_str().unwrap().into(),
        ..Default::default()
    };
    grpc.clock_on(authed(&second, clock_request.clone())).await.unwrap();
    at(40);
    assert_eq!(off().await.status, StatusCode::OK);
    assert_eq!(off().await.code(), "work_order.not_clocked_on");
    at(70);
    let off_grpc = grpc.clock_off(authed(&second, clock_request)).await.unwrap().into_inner();
    assert!((off_grpc.lines[0].actual_hours - 1.67).abs() < 1e-9, "40 + 60 minutes: {:?}", off_grpc.lines[0]);
    at(80);
    on().await;
    at(95);
    let done = shop.step(&app, &approved, "complete-line", &shop.technician, json!({"line_id": line})).await;
    assert_eq!(done.status, StatusCode::OK);
    let l = &done.body["lines"][0];
    assert_eq!(l["actual_hours"], 1.92, "40 + 60 + 15 minutes, the last closed by completing the line");
    assert_eq!(l["clock"].as_array().unwrap().len(), 3);
    assert_eq!(
        done.body["technician_hours"],
        json!([
            {"technician": "tech-1", "quoted_hours_hundredths": 150, "actual_hours_hundredths": 92},
            {"technician": "tech-2", "quoted_hours_hundredths": 0, "actual_hours_hundredths": 100}
        ])
    );
    assert_eq!(
        app.get(&queue, &shop.technician).await.body["items"],
        json!([]),
        "done work leaves the queue"
    );
}

// Issue 14, tenancy: another store's staff see none of these lists or steps.
#[tokio::test]
async fn claims_and_queues_stay_inside_their_store() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    insurers(&app, &shop).await;
    let order = shop.create(&app, 30_000).await;
    let report =
        json!({"step": "report", "insurer": "中国人保", "policy_number": "P-1", "claim_number": "C-1"});
    claim(&shop, &app, &order, report.clone()).await;
    let line = order["lines"][0]["id"].clone();
    shop.step(&app, &order, "dispatch", &shop.advisor, json!({"line_id": line, "technician": "tech-1"}))
        .await;
    let other = app.seed_store("BJ002").await;
    let (their_supervisor, their_advisor) = (app.supervisor(&other), app.advisor(&other));
    let theirs = app.get(&format!("/v1/stores/{}/claims", shop.store), &their_supervisor).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND, "another store is not even there: {:?}", theirs.body);
    let own = app.get(&format!("/v1/stores/{other}/claims"), &their_supervisor).await;
    assert_eq!(own.body["claims"], json!([]));
    let queue = app.get(&format!("/v1/stores/{other}/technicians/tech-1/queue"), &their_advisor).await;
    assert_eq!(queue.body["items"], json!([]));
    let foreign = app
        .post(
            &format!("/v1/stores/{other}/work-orders/{}/insurance-claim", order["id"].as_str().unwrap()),
            &their_advisor,
            report,
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{:?}", foreign.body);
    assert_eq!(
        app.get(&format!("/v1/stores/{}/claims", shop.store), &shop.supervisor).await.body["claims"][0]["claim_number"],
        "C-1"
    );
}

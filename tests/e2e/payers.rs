//! Who pays each line (issue 14, item 1), over REST and gRPC on both databases: a quote shows the
//! quoted amounts by payer before the customer signs, the agreed ones after; the customer pays
//! their own share at the counter and the insurer's share is a receivable on the settlement.

use aftersales_grpc::{WorkOrderServiceClient, pb};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, authed};
use crate::work_orders::{new_order, shop};

// Issue 14: an accident repair: labour the customer pays, a part the insurer pays.
#[tokio::test]
async fn each_payer_sees_its_share_and_the_insurers_is_a_receivable() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let mut body = new_order(&shop, 30_000);
    body["lines"][1]["payer"] = json!("insurance");
    let order = shop.create_with(&app, body.clone()).await;
    let t = &order["totals"];
    assert_eq!(
        (t["labour_fen"].as_i64(), t["quoted_labour_fen"].as_i64(), t["quoted_parts_fen"].as_i64()),
        (Some(0), Some(18_000), Some(38_000))
    );
    assert_eq!(
        t["quoted_by_payer"],
        json!([{"payer": "customer", "labour_fen": 18_000, "parts_fen": 0, "total_fen": 18_000},
               {"payer": "insurance", "labour_fen": 0, "parts_fen": 38_000, "total_fen": 38_000}])
    );
    assert_eq!(t["by_payer"], json!([]), "nothing agreed before the customer signs");
    let mut wrong = body.clone();
    wrong["lines"][0]["payer"] = json!("the_neighbour");
    let refused = app.post(&shop.orders(), &shop.advisor, wrong).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{:?}", refused.body);

    let approved = shop.approved_with(&app, body).await;
    assert_eq!(approved["totals"]["by_payer"], approved["totals"]["quoted_by_payer"]);
    let worked = shop.worked(&app, &approved).await;
    shop.exit_inspection(&app, &worked, true).await;
    shop.step(&app, &approved, "notify-customer", &shop.advisor, json!({})).await;
    // The insurer's share is settled once it assessed the loss (定损).
    crate::workshop::insurers(&app, &shop).await;
    let report =
        json!({"step": "report", "insurer": "中国人保", "policy_number": "P-1", "claim_number": "C-1"});
    crate::workshop::claim(&shop, &app, &approved, report).await;
    let assess = json!({"step": "assess", "assessed_fen": 38_000, "assessed_on": "2026-12-07"});
    crate::workshop::claim(&shop, &app, &approved, assess).await;
    let everything =
        json!({"walkaround_notes": "环车检查", "amount_paid_fen": 56_000, "payment_method": "cash"});
    let too_much = shop.step(&app, &approved, "deliver", &shop.advisor, everything).await;
    assert_eq!(too_much.fields(), vec!["amount_paid_fen"], "{:?}", too_much.body);
    let own_share =
        json!({"walkaround_notes": "环车检查", "amount_paid_fen": 18_000, "payment_method": "wechat_pay"});
    let done = shop.step(&app, &approved, "deliver", &shop.advisor, own_share).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    let settlement = &done.body["settlement"];
    assert_eq!(
        (settlement["total_fen"].as_i64(), settlement["amount_due_fen"].as_i64()),
        (Some(56_000), Some(18_000))
    );
    assert_eq!(
        settlement["receivables"],
        json!([{"payer": "insurance", "labour_fen": 0, "parts_fen": 38_000, "total_fen": 38_000}])
    );
    let id = approved["id"].as_str().unwrap();
    let document = app.get(&format!("{}/{id}/documents/settlement", shop.orders()), &shop.advisor).await;
    let html = document.body.as_str().unwrap_or_default().to_string();
    assert!(html.contains("保险公司应付") && html.contains("380.00"), "{html}");

    let mut grpc = WorkOrderServiceClient::new(app.grpc_channel.clone());
    let got = grpc
        .get_work_order(authed(
            &shop.advisor,
            pb::GetWorkOrderRequest { store: shop.store.clone(), work_order_id: id.into() },
        ))
        .await
        .unwrap()
        .into_inner();
    let payers: Vec<i32> = got.lines.iter().map(|l| l.payer).collect();
    assert_eq!(payers, vec![pb::Payer::Customer as i32, pb::Payer::Insurance as i32]);
    let totals = got.totals.unwrap();
    assert_eq!(
        totals.by_payer.iter().map(|s| (s.payer, s.total_fen)).collect::<Vec<_>>(),
        vec![(pb::Payer::Customer as i32, 18_000), (pb::Payer::Insurance as i32, 38_000)]
    );
    let receivables = got.settlement.unwrap().receivables;
    assert_eq!((receivables.len(), receivables[0].parts_fen), (1, 38_000));
}

// Issue 14: a line sent over gRPC names its payer; none is the customer.
#[tokio::test]
async fn grpc_lines_carry_their_payer() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let mut grpc = WorkOrderServiceClient::new(app.grpc_channel.clone());
    let line = |payer: pb::Payer| pb::LineInput {
        kind: pb::LineKind::Labour as i32,
        code: "BRK-01".into(),
        description: "检查刹车".into(),
        hours: Some(1.0),
        rate_fen: Some(10_000),
        payer: payer as i32,
        fault_code: Some("C1234".into()),
        ..Default::default()
    };
    let created = grpc
        .create_work_order(authed(
            &shop.advisor,
            pb::CreateWorkOrderRequest {
                store: shop.store.clone(),
                customer_id: shop.customer.clone(),
                vehicle_id: shop.vehicle.clone(),
                fault_description: "刹车异响".into(),
                intake_mileage_km: 30_000,
                fuel_level: pb::FuelLevel::Half as i32,
                repair_category: pb::RepairCategory::MinorRepair as i32,
                promised_at: Some(prost_types::Timestamp {
                    seconds: chrono::Utc::now().timestamp() + 864_000,
                    nanos: 0,
                }),
                lines: vec![line(pb::Payer::Unspecified), line(pb::Payer::ManufacturerWarranty)],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let payers: Vec<i32> = created.lines.iter().map(|l| l.payer).collect();
    assert_eq!(payers, vec![pb::Payer::Customer as i32, pb::Payer::ManufacturerWarranty as i32]);
    let rest: Value = app.get(&format!("{}/{}", shop.orders(), created.id), &shop.advisor).await.body;
    assert_eq!(rest["lines"][1]["payer"], "manufacturer_warranty");
}

// Issue 14: a deposit at reception and a part payment before handover; delivery asks only the
// rest, the settlement lists every payment; a waived or late payment is refused; gRPC alike.
#[tokio::test]
async fn a_deposit_and_a_part_payment_leave_only_the_rest_for_delivery() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let order = shop.create(&app, 30_000).await;
    let deposit = json!({"amount_fen": 10_000, "method": "cash", "deposit": true});
    let taken = shop.step(&app, &order, "take-payment", &shop.advisor, deposit).await;
    assert_eq!(taken.status, StatusCode::OK, "{:?}", taken.body);
    assert_eq!(taken.body["payments"][0]["deposit"], true);
    let waived = shop
        .step(&app, &order, "take-payment", &shop.advisor, json!({"amount_fen": 1, "method": "waived"}))
        .await;
    assert_eq!(waived.fields(), vec!["method"]);
    let technician = shop
        .step(&app, &order, "take-payment", &shop.technician, json!({"amount_fen": 1, "method": "cash"}))
        .await;
    assert_eq!(technician.status, StatusCode::FORBIDDEN);
    let id = order["id"].as_str().unwrap().to_string();
    let mut grpc = WorkOrderServiceClient::new(app.grpc_channel.clone());
    let part = grpc
        .take_payment(authed(
            &shop.advisor,
            pb::TakePaymentRequest {
                store: shop.store.clone(),
                work_order_id: id.clone(),
                amount_fen: 20_000,
                method: pb::PaymentMethod::WechatPay as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(part.payments.iter().map(|p| p.amount_fen).collect::<Vec<_>>(), vec![10_000, 20_000]);

    let approved = shop.approve_all(&app, &order).await;
    let worked = shop.worked(&app, &approved).await;
    shop.exit_inspection(&app, &worked, true).await;
    shop.step(&app, &approved, "notify-customer", &shop.advisor, json!({})).await;
    let all_again =
        json!({"walkaround_notes": "环车检查", "amount_paid_fen": 56_000, "payment_method": "cash"});
    let refused = shop.step(&app, &approved, "deliver", &shop.advisor, all_again).await;
    assert_eq!(refused.fields(), vec!["amount_paid_fen"], "{:?}", refused.body);
    assert!(refused.body.to_string().contains("26000"), "{:?}", refused.body);
    let rest = json!({"walkaround_notes": "环车检查", "amount_paid_fen": 26_000, "payment_method": "alipay"});
    let done = shop.step(&app, &approved, "deliver", &shop.advisor, rest).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    let s = &done.body["settlement"];
    assert_eq!((s["amount_due_fen"].as_i64(), s["amount_paid_fen"].as_i64()), (Some(56_000), Some(56_000)));
    let methods: Vec<&str> =
        s["payments"].as_array().unwrap().iter().map(|p| p["method"].as_str().unwrap()).collect();
    assert_eq!(methods, vec!["cash", "wechat_pay", "alipay"]);
    let late = shop
        .step(&app, &approved, "take-payment", &shop.advisor, json!({"amount_fen": 1, "method": "cash"}))
        .await;
    assert_eq!(late.code(), "work_order.invalid_transition");
}

// Issue 14: the customer's share is paid in full before handover, unless the customer is a fleet
// account with credit (挂账, granted by a supervisor to a file naming its company), which leaves
// the rest on account; gRPC alike.
#[tokio::test]
async fn a_fleet_account_with_credit_leaves_the_rest_on_account() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let file = format!("/v1/stores/{}/customers/{}", shop.store, shop.customer);
    let grant = json!({"credit_account": true});
    assert_eq!(app.patch(&file, &shop.advisor, grant.clone()).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.patch(&file, &shop.supervisor, grant.clone()).await.fields(), vec!["credit_account"]);

    let approved = shop.approved(&app, 30_000).await;
    let worked = shop.worked(&app, &approved).await;
    shop.exit_inspection(&app, &worked, true).await;
    shop.step(&app, &approved, "notify-customer", &shop.advisor, json!({})).await;
    let part = json!({"walkaround_notes": "环车检查", "amount_paid_fen": 20_000, "payment_method": "cash"});
    let walk_in = shop.step(&app, &approved, "deliver", &shop.advisor, part.clone()).await;
    assert_eq!(walk_in.fields(), vec!["amount_paid_fen"], "no credit: the whole share is paid");
    let on_account =
        json!({"walkaround_notes": "环车检查", "amount_paid_fen": 0, "payment_method": "on_account"});
    let refused = shop.step(&app, &approved, "deliver", &shop.advisor, on_account).await;
    assert!(refused.fields().contains(&"payment_method".to_string()), "{:?}", refused.body);

    let fleet = json!({"company": "浦东物流有限公司", "credit_account": true});
    let granted = app.patch(&file, &shop.supervisor, fleet).await;
    assert_eq!(granted.status, StatusCode::OK, "{:?}", granted.body);
    assert_eq!(granted.body["credit_account"], true);
    let done = shop.step(&app, &approved, "deliver", &shop.advisor, part).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    let s = &done.body["settlement"];
    assert_eq!(
        (s["amount_due_fen"].as_i64(), s["amount_paid_fen"].as_i64(), s["on_account_fen"].as_i64()),
        (Some(56_000), Some(20_000), Some(36_000))
    );
    let id = approved["id"].as_str().unwrap();
    let html = app.get(&format!("{}/{id}/documents/settlement", shop.orders()), &shop.advisor).await.body;
    assert!(html.as_str().unwrap_or_default().contains("客户挂账"), "{html}");
    let mut grpc = WorkOrderServiceClient::new(app.grpc_channel.clone());
    let got = grpc
        .get_work_order(authed(
            &shop.advisor,
            pb::GetWorkOrderRequest { store: shop.store.clone(), work_order_id: id.into() },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.settlement.unwrap().on_account_fen, 36_000);
}

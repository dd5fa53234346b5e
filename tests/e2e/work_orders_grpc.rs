//! The workflow over gRPC, and parity with REST (WO-3, WO-9, WO-10, IN-2, IN-3).

use aftersales_grpc::pb;
use aftersales_grpc::{InspectionServiceClient, WorkOrderServiceClient};
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{TestApp, authed, status_details};
use crate::work_orders::shop;

fn in_hours(h: i64) -> Option<prost_types::Timestamp> {
    let at = chrono::Utc::now() + chrono::Duration::hours(h);
    Some(prost_types::Timestamp { seconds: at.timestamp(), nanos: 0 })
}

// WO-1, WO-3, WO-4, WO-9, WO-10, WO-11, IN-1, IN-2, IN-3
#[tokio::test]
async fn a_car_goes_from_reception_to_delivery_over_grpc_and_reads_the_same_over_rest() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let mut orders = WorkOrderServiceClient::new(app.grpc_channel.clone());
    let mut inspections = InspectionServiceClient::new(app.grpc_channel.clone());
    let s = shop.store.clone();

    let created = orders
        .create_work_order(authed(
            &shop.advisor,
            pb::CreateWorkOrderRequest {
                store: s.clone(),
                customer_id: shop.customer.clone(),
                vehicle_id: shop.vehicle.clone(),
                fault_description: "发动机故障灯亮".into(),
                intake_mileage_km: 40_000,
                fuel_level: pb::FuelLevel::Quarter.into(),
                repair_category: pb::RepairCategory::Level2Maintenance.into(),
                promised_at: in_hours(6),
                lines: vec![pb::LineInput {
                    kind: pb::LineKind::Labour.into(),
                    code: "L2-MAINT".into(),
                    description: "二级维护".into(),
                    hours: Some(2.25),
                    rate_fen: Some(15_000),
                    ..Default::default()
                }],
                comeback_of: None,
                request_id: "wo-grpc-1".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let id = created.id.clone();
    assert_eq!(created.totals.as_ref().unwrap().pending_fen, 33_750);

    inspections
        .submit_entry_inspection(authed(
            &shop.advisor,
            pb::SubmitEntryInspectionRequest {
                store: s.clone(),
                work_order_id: id.clone(),
                methods: vec![pb::InspectionMethod::Instrument.into()],
                findings: "故障码 P0300".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let quoted = orders
        .submit_quote(authed(
            &shop.advisor,
            pb::SubmitQuoteRequest { store: s.clone(), work_order_id: id.clone(), ..Default::default() },
        ))
        .await
        .unwrap()
        .into_inner();
    let approve = pb::ApproveWorkOrderRequest {
        store: s.clone(),
        work_order_id: id.clone(),
        etag: quoted.etag.clone(),
        estimate_version: 1,
        method: pb::ApprovalMethod::SignedLink.into(),
        decisions: quoted
            .lines
            .iter()
            .map(|l| pb::LineDecision { line_id: l.id.clone(), approved: true, reason: None })
            .collect(),
        ..Default::default()
    };
    orders.approve_work_order(authed(&shop.advisor, approve.clone())).await.unwrap();

    // The same step again: refused on both fronts with the same code.
    let again = orders
        .approve_work_order(authed(
            &shop.advisor,
            pb::ApproveWorkOrderRequest { etag: String::new(), ..approve },
        ))
        .await
        .unwrap_err();
    assert_eq!(again.code(), tonic::Code::FailedPrecondition);
    let rest_again = app
        .post(
            &format!("{}/{id}/approve", shop.orders()),
            &shop.advisor,
            json!({"estimate_version": 1, "method": "phone",
            "decisions": [{"line_id": quoted.lines[0].id, "approved": true}]}),
        )
        .await;
    assert_eq!(rest_again.status, StatusCode::CONFLICT);
    assert_eq!(status_details(&again).0, rest_again.code());

    orders
        .start_work(authed(
            &shop.technician,
            pb::StartWorkRequest {
                store: s.clone(),
                work_order_id: id.clone(),
                plate: "沪A12345".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    orders
        .complete_line(authed(
            &shop.technician,
            pb::CompleteLineRequest {
                store: s.clone(),
                work_order_id: id.clone(),
                line_id: quoted.lines[0].id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    let completed = orders
        .complete_work(authed(
            &shop.technician,
            pb::CompleteWorkRequest {
                store: s.clone(),
                work_order_id: id.clone(),
                self_check_notes: "复查无故障码".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();

    let exit = pb::SubmitExitInspectionRequest {
        store: s.clone(),
        work_order_id: id.clone(),
        results: vec![pb::LineResult { line_id: completed.lines[0].id.clone(), passed: true, notes: None }],
        road_test: None,
        request_id: String::new(),
    };
    let by_advisor =
        inspections.submit_exit_inspection(authed(&shop.advisor, exit.clone())).await.unwrap_err();
    assert_eq!(by_advisor.code(), tonic::Code::PermissionDenied, "IN-2: inspectors only");
    let no_road_test =
        inspections.submit_exit_inspection(authed(&shop.inspector, exit.clone())).await.unwrap_err();
    assert_eq!(status_details(&no_road_test).1, vec!["road_test"], "level-2 maintenance needs a road test");
    let passed = inspections
        .submit_exit_inspection(authed(
            &shop.inspector,
            pb::SubmitExitInspectionRequest {
                road_test: Some(pb::RoadTest { passed: true, notes: Some("5 公里路试正常".into()) }),
                ..exit
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((passed.warranty_km, passed.warranty_days), (Some(5_000), Some(30)));

    orders
        .notify_customer(authed(
            &shop.advisor,
            pb::NotifyCustomerRequest { store: s.clone(), work_order_id: id.clone(), ..Default::default() },
        ))
        .await
        .unwrap();
    let delivered = orders
        .deliver_work_order(authed(
            &shop.advisor,
            pb::DeliverWorkOrderRequest {
                store: s.clone(),
                work_order_id: id.clone(),
                walkaround_notes: "已陪同客户环车检查".into(),
                amount_paid_fen: 33_750,
                payment_method: pb::PaymentMethod::Alipay.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(delivered.status, pb::WorkOrderStatus::Delivered as i32);
    assert_eq!(delivered.warranty_until_km, Some(45_000));
    let settlement = delivered.settlement.clone().unwrap();
    assert_eq!((settlement.amount_paid_fen, settlement.labour[0].hours), (33_750, 2.25));

    let rest = app.get(&format!("{}/{id}", shop.orders()), &shop.advisor).await.body;
    assert_eq!(rest["number"], delivered.number);
    assert_eq!(rest["status"], "delivered");
    assert_eq!(rest["etag"], delivered.etag);
    assert_eq!(rest["certificate_number"], json!(delivered.certificate_number));
    assert_eq!(rest["warranty_until_date"], json!(delivered.warranty_until_date));
    assert_eq!(rest["totals"]["total_fen"], delivered.totals.unwrap().total_fen);
    assert_eq!(rest["lines"][0]["hours"], 2.25);
    assert_eq!(rest["status_events"].as_array().unwrap().len(), delivered.status_events.len());
    assert_eq!(rest["settlement"]["number"], settlement.number);
    assert_eq!(rest["settlement"]["payment_method"], "alipay");

    let listed = inspections
        .list_inspections(authed(
            &shop.advisor,
            pb::ListInspectionsRequest { store: s.clone(), work_order_id: id.clone(), updated_since: None },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.inspections.len(), 2);
    let kept = inspections
        .delete_inspection(authed(
            &shop.supervisor,
            pb::DeleteInspectionRequest {
                store: s.clone(),
                work_order_id: id.clone(),
                inspection_id: listed.inspections[0].id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (kept.code(), status_details(&kept).0.as_str()),
        (tonic::Code::FailedPrecondition, "inspection.retained")
    );

    let overdue = orders
        .list_work_orders(authed(
            &shop.supervisor,
            pb::ListWorkOrdersRequest {
                store: s,
                status: pb::WorkOrderStatus::Delivered.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(overdue.work_orders.len(), 1);
}

// GEN-2, and the fronts read their inputs alike: `etag: "*"` means any version on gRPC as
// `If-Match: *` does on REST, and a timestamp with negative nanos is refused naming the field,
// not read as a whole second.
#[tokio::test]
async fn grpc_reads_any_version_and_refuses_unnormalised_timestamps_as_rest_does() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let mut orders = WorkOrderServiceClient::new(app.grpc_channel.clone());
    let create = |promised_at| pb::CreateWorkOrderRequest {
        store: shop.store.clone(),
        customer_id: shop.customer.clone(),
        vehicle_id: shop.vehicle.clone(),
        fault_description: "异响".into(),
        intake_mileage_km: 40_000,
        fuel_level: pb::FuelLevel::Half.into(),
        repair_category: pb::RepairCategory::MinorRepair.into(),
        promised_at,
        lines: vec![],
        comeback_of: None,
        request_id: String::new(),
    };
    let mut bad = in_hours(6);
    if let Some(ts) = bad.as_mut() {
        ts.nanos = -1;
    }
    let refused = orders.create_work_order(authed(&shop.advisor, create(bad))).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert_eq!(status_details(&refused).1, vec!["promised_at.nanos"]);

    let first =
        orders.create_work_order(authed(&shop.advisor, create(in_hours(6)))).await.unwrap().into_inner();
    let second =
        orders.create_work_order(authed(&shop.advisor, create(in_hours(6)))).await.unwrap().into_inner();
    let cancelled = orders
        .cancel_work_order(authed(
            &shop.advisor,
            pb::CancelWorkOrderRequest {
                store: shop.store.clone(),
                work_order_id: first.id.clone(),
                etag: "*".into(),
                reason: "客户改期".into(),
                request_id: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(cancelled.status, pb::WorkOrderStatus::Cancelled as i32);
    let rest = app
        .send(
            reqwest::Method::POST,
            &format!("/v1/stores/{}/work-orders/{}/cancel", shop.store, second.id),
            Some(&shop.advisor),
            Some(json!({"reason": "客户改期"})),
            &[("If-Match", "*")],
        )
        .await;
    assert_eq!(rest.status, StatusCode::OK, "If-Match: * on REST, as etag \"*\" on gRPC");
    let empty = app
        .send(
            reqwest::Method::POST,
            &format!("/v1/stores/{}/work-orders/{}/cancel", shop.store, first.id),
            Some(&shop.advisor),
            Some(json!({"reason": "客户改期"})),
            &[("If-Match", "")],
        )
        .await;
    assert_eq!((empty.status, empty.fields()), (StatusCode::BAD_REQUEST, vec!["If-Match".to_string()]));
    assert_eq!(rest.body["status"], "cancelled");
}

//! Diagnosis in `open`: the advisor builds and revises the estimate before the customer signs,
//! and re-quotes after the customer turns the quote down (WO-1, WO-11).

use aftersales_grpc::WorkOrderServiceClient;
use aftersales_grpc::pb;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::authed;
use crate::work_orders::{new_order, shop};

fn labour(code: &str, hours: f64) -> Value {
    json!({"kind": "labour", "code": code, "description": format!("工时 {code}"), "hours": hours, "rate_fen": 10000})
}

// WO-1, WO-11: an order opened with no lines gets them in `open`; each revision is a new
// estimate version; a quote turned down goes back to `open` and is quoted again; the customer
// signs only the version they saw.
#[tokio::test]
async fn wo1_an_order_opened_without_lines_is_estimated_revised_and_requoted() {
    let app = crate::common::TestApp::spawn().await;
    let shop = shop(&app).await;
    let mut body = new_order(&shop, 30_000);
    body["lines"] = json!([]);
    let opened = app.post(&shop.orders(), &shop.advisor, body).await;
    assert_eq!(opened.status, StatusCode::CREATED, "{:?}", opened.body);
    let order = opened.body;
    let empty = shop.step(&app, &order, "submit-quote", &shop.advisor, json!({})).await;
    assert_eq!(empty.status, StatusCode::CONFLICT, "nothing to quote yet");

    let revise = |body: Value| shop.step(&app, &order, "revise-estimate", &shop.advisor, body);
    let first = revise(json!({"add": [labour("DIAG-01", 0.5), labour("BRK-01", 1.5)]})).await;
    assert_eq!(first.status, StatusCode::OK, "{:?}", first.body);
    assert_eq!(
        (first.body["status"].as_str(), first.body["estimate_version"].as_u64()),
        (Some("open"), Some(1))
    );
    let lines = first.body["lines"].as_array().unwrap().clone();
    let (diag, brake) = (lines[0]["id"].clone(), lines[1]["id"].clone());
    let second =
        revise(json!({"change": [{"line_id": brake, "line": labour("BRK-01", 2.0)}], "remove": [diag]}))
            .await;
    assert_eq!(second.status, StatusCode::OK, "{:?}", second.body);
    assert_eq!(second.body["estimate_version"], 2);
    assert_eq!(second.body["lines"].as_array().map(Vec::len), Some(1));
    assert_eq!(second.body["lines"][0]["id"], brake, "a changed line keeps its id");
    assert_eq!(second.body["lines"][0]["amount_fen"], 20_000);
    let nothing = revise(json!({})).await;
    assert_eq!(nothing.fields(), vec!["add"]);
    let stranger = revise(json!({"remove": [uuid::Uuid::now_v7()]})).await;
    assert_eq!(stranger.fields(), vec!["remove[0]"]);
    let technician = shop.step(&app, &order, "revise-estimate", &shop.technician, json!({})).await;
    assert_eq!(technician.status, StatusCode::FORBIDDEN);

    let entry = app
        .post(
            &format!("{}/{}/inspections/entry", shop.orders(), order["id"].as_str().unwrap()),
            &shop.advisor,
            json!({"methods": ["inquiry"], "findings": "前刹车片磨损"}),
        )
        .await;
    assert_eq!(entry.status, StatusCode::CREATED, "{:?}", entry.body);
    let quoted = shop.step(&app, &order, "submit-quote", &shop.advisor, json!({})).await;
    assert_eq!(
        (quoted.body["status"].as_str(), quoted.body["estimate_version"].as_u64()),
        (Some("awaiting_approval"), Some(3))
    );

    // The customer turns it down as it stands: the advisor adds a cheaper option and re-quotes.
    let requote = revise(json!({"add": [labour("BRK-02", 1.0)]})).await;
    assert_eq!(requote.status, StatusCode::OK, "{:?}", requote.body);
    assert_eq!(
        (requote.body["status"].as_str(), requote.body["estimate_version"].as_u64()),
        (Some("open"), Some(4))
    );
    let again = shop.step(&app, &order, "submit-quote", &shop.advisor, json!({})).await;
    assert_eq!(again.body["estimate_version"], 5);
    let decisions: Vec<Value> = again.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            if l["id"] == brake {
                json!({"line_id": l["id"], "approved": false, "reason": "先做便宜的"})
            } else {
                json!({"line_id": l["id"], "approved": true})
            }
        })
        .collect();
    let stale = shop
        .step(
            &app,
            &order,
            "approve",
            &shop.advisor,
            json!({"estimate_version": 3, "method": "in_person", "decisions": decisions}),
        )
        .await;
    assert_eq!(stale.code(), "work_order.estimate_outdated", "the customer must sign what they saw");
    let signed = shop
        .step(
            &app,
            &order,
            "approve",
            &shop.advisor,
            json!({"estimate_version": 5, "method": "in_person", "decisions": decisions}),
        )
        .await;
    assert_eq!(signed.status, StatusCode::OK, "{:?}", signed.body);
    assert_eq!(signed.body["status"], "approved");
    let after = revise(json!({"add": [labour("X-1", 1.0)]})).await;
    assert_eq!((after.status, after.code()), (StatusCode::CONFLICT, "work_order.invalid_transition"));
}

// WO-1 over gRPC: the same revision, with the same answer as REST would give.
#[tokio::test]
async fn wo1_the_estimate_is_revised_over_grpc() {
    let app = crate::common::TestApp::spawn().await;
    let shop = shop(&app).await;
    let mut body = new_order(&shop, 30_000);
    body["lines"] = json!([]);
    let order = app.post(&shop.orders(), &shop.advisor, body).await.body;
    let mut client = WorkOrderServiceClient::new(app.grpc_channel.clone());
    let line = pb::LineInput {
        kind: pb::LineKind::Labour.into(),
        code: "BRK-01".into(),
        description: "更换前刹车片".into(),
        hours: Some(1.5),
        rate_fen: Some(12_000),
        ..Default::default()
    };
    let revised = client
        .revise_estimate(authed(
            &shop.advisor,
            pb::ReviseEstimateRequest {
                store: shop.store.clone(),
                work_order_id: order["id"].as_str().unwrap().into(),
                add: vec![line],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((revised.estimate_version, revised.lines.len()), (1, 1));
    assert_eq!(revised.lines[0].amount_fen, 18_000);
    let bad = client
        .revise_estimate(authed(
            &shop.advisor,
            pb::ReviseEstimateRequest {
                store: shop.store.clone(),
                work_order_id: order["id"].as_str().unwrap().into(),
                remove: vec!["not-an-id".into()],
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    let rest = app.get(&format!("{}/{}", shop.orders(), order["id"].as_str().unwrap()), &shop.advisor).await;
    assert_eq!(rest.body["lines"][0]["id"], revised.lines[0].id.as_str());
}

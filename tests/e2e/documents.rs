//! Accessory list, signatures and the printable documents (WO-7, WO-10, IN-2).

use aftersales_grpc::WorkOrderServiceClient;
use aftersales_grpc::pb;
use reqwest::StatusCode;
use serde_json::json;

use crate::common::{TestApp, authed};
use crate::work_orders::{new_order, shop};

async fn page(app: &TestApp, path: &str, token: &str) -> (StatusCode, String, String) {
    let res = app.http.get(format!("{}{path}", app.base)).bearer_auth(token).send().await.unwrap();
    let status = res.status();
    let kind = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    (status, kind, res.text().await.unwrap())
}

// WO-7, WO-10, IN-2
#[tokio::test]
async fn the_customer_gets_four_printable_documents_with_what_they_signed() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let mut body = new_order(&shop, 30_000);
    body["fault_description"] = json!("异响 <script>alert(1)</script> & 抖动");
    let order = app.post(&shop.orders(), &shop.advisor, body).await.body;
    let id = order["id"].as_str().unwrap().to_string();
    let docs = format!("{}/{id}/documents", shop.orders());

    let early = shop
        .step(
            &app,
            &order,
            "record-signature",
            &shop.advisor,
            json!({"document": "accessory_list", "signer": "张伟", "method": "signature_pad"}),
        )
        .await;
    assert_eq!(early.status, StatusCode::CONFLICT, "no list to sign yet");
    let listed = shop
        .step(&app, &order, "record-accessories", &shop.advisor, json!({"items": [
            {"name": "备胎", "stored_at": "配件库 A-3"}, {"name": "车载充电器", "quantity": 2, "stored_at": "前台保险柜"}]}))
        .await;
    assert_eq!(listed.body["accessories"].as_array().unwrap().len(), 2, "{:?}", listed.body);
    for document in ["work_order", "accessory_list"] {
        let signed = shop
            .step(
                &app,
                &order,
                "record-signature",
                &shop.advisor,
                json!({"document": document, "signer": "张伟", "method": "signature_pad"}),
            )
            .await;
        assert_eq!(signed.status, StatusCode::OK, "{:?}", signed.body);
    }

    let (status, kind, html) = page(&app, &format!("{docs}/work-order"), &shop.advisor).await;
    assert_eq!((status, kind.as_str()), (StatusCode::OK, "text/html; charset=utf-8"));
    for text in [
        "任务委托书",
        order["number"].as_str().unwrap(),
        "张伟",
        "13812345678",
        "沪A12345",
        "小修",
        "前刹车片",
        "180.00",
        "380.00",
        "客户签字：张伟",
    ] {
        assert!(html.contains(text), "work order shows {text}");
    }
    let fault = html.find("异响").map(|i| &html[i..(i + 80).min(html.len())]).unwrap_or("");
    assert!(
        !html.contains("<script>") && fault.contains("alert(1)"),
        "customer text is escaped, not dropped: {fault}"
    );
    let (_, _, tech_view) = page(&app, &format!("{docs}/work-order"), &shop.technician).await;
    assert!(tech_view.contains("138****5678") && !tech_view.contains("13812345678"), "CF-5 on paper too");
    let (_, _, list) = page(&app, &format!("{docs}/accessory-list"), &shop.advisor).await;
    for text in ["附件交接清单", "备胎", "配件库 A-3", "车载充电器", "未归还", "客户签字：张伟"]
    {
        assert!(list.contains(text), "accessory list shows {text}");
    }
    let (status, _, _) = page(&app, &format!("{docs}/certificate"), &shop.advisor).await;
    assert_eq!(status, StatusCode::CONFLICT, "no certificate before a passed exit inspection");
    let (status, _, _) = page(&app, &format!("{docs}/invoice"), &shop.advisor).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // The certificate names the inspector as the staff list knows them.
    let staff = app
        .post(
            &format!("/v1/stores/{}/staff", shop.store),
            &shop.supervisor,
            json!({"id": "insp-1", "name": "赵检验", "roles": ["inspector"]}),
        )
        .await;
    assert_eq!(staff.status, StatusCode::CREATED);

    // Through to delivery, including the inspection the certificate needs.
    let entry = app
        .post(
            &format!("{}/{id}/inspections/entry", shop.orders()),
            &shop.advisor,
            json!({"methods": ["visual"], "findings": "刹车片磨损"}),
        )
        .await;
    assert_eq!(entry.status, StatusCode::CREATED);
    let quoted = shop.step(&app, &order, "submit-quote", &shop.advisor, json!({})).await.body;
    let decisions: Vec<_> = quoted["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| json!({"line_id": l["id"], "approved": true}))
        .collect();
    shop.step(
        &app,
        &order,
        "approve",
        &shop.advisor,
        json!({"estimate_version": 1, "method": "in_person", "decisions": decisions}),
    )
    .await;
    let worked = shop.worked(&app, &order).await;
    shop.exit_inspection(&app, &worked, true).await;
    shop.step(&app, &order, "notify-customer", &shop.advisor, json!({})).await;
    let pay = json!({"walkaround_notes": "环车检查", "discount_fen": 1_000, "amount_paid_fen": 55_000, "payment_method": "wechat_pay"});
    let unconfirmed = shop.step(&app, &order, "deliver", &shop.advisor, pay.clone()).await;
    assert_eq!(unconfirmed.fields(), vec!["accessories_returned"], "WO-7: the accessories go back first");
    let mut confirmed = pay;
    confirmed["accessories_returned"] = json!(true);
    let delivered = shop.step(&app, &order, "deliver", &shop.advisor, confirmed).await;
    assert_eq!(delivered.body["status"], "delivered", "{:?}", delivered.body);
    assert!(delivered.body["accessories"].as_array().unwrap().iter().all(|a| a["returned_at"].is_string()));
    shop.step(
        &app,
        &order,
        "record-signature",
        &shop.advisor,
        json!({"document": "settlement", "signer": "张伟", "method": "paper"}),
    )
    .await;

    let (_, _, certificate) = page(&app, &format!("{docs}/certificate"), &shop.advisor).await;
    for text in [
        "机动车维修竣工出厂合格证",
        delivered.body["certificate_number"].as_str().unwrap(),
        "2000 公里或 10 日",
        "质量检验员（签章）：赵检验",
        "合格",
    ] {
        assert!(certificate.contains(text), "certificate shows {text}");
    }
    let (_, _, settlement) = page(&app, &format!("{docs}/settlement"), &shop.advisor).await;
    for text in [
        "机动车维修结算清单",
        delivered.body["settlement"]["number"].as_str().unwrap(),
        "560.00",
        "10.00",
        "550.00",
        "微信支付",
        "交客户带走",
        "138****5678",
        "客户签字：张伟",
    ] {
        assert!(settlement.contains(text), "settlement shows {text}");
    }
    let (_, _, returned) = page(&app, &format!("{docs}/accessory-list"), &shop.advisor).await;
    assert!(!returned.contains("未归还"), "the list shows the items handed back");

    let mut client = WorkOrderServiceClient::new(app.grpc_channel.clone());
    let grpc = client
        .get_document(authed(
            &shop.advisor,
            pb::GetDocumentRequest {
                store: shop.store.clone(),
                work_order_id: id,
                kind: pb::DocumentKind::Settlement.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((grpc.content_type.as_str(), grpc.content), ("text/html; charset=utf-8", settlement));
}

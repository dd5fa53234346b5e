//! Numbers taken by concurrent writes: WO-1 with GEN-2.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::TestApp;
use crate::work_orders::{new_order, shop};

// WO-1, GEN-2: concurrent creates of one store are applied in groups sharing one transaction. A
// group in which some writes fail (twins racing on one idempotency key) still numbers every
// order that was made exactly once, gap-free, and answers each twin as it would alone.
#[tokio::test]
async fn failures_among_concurrent_creates_leave_the_numbers_gap_free() {
    const PLAIN: usize = 24;
    const SAME_BODY_TWINS: usize = 8;
    const OTHER_BODY_TWINS: usize = 4;
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let path = shop.orders();
    let mut requests = Vec::new();
    for i in 0..PLAIN {
        requests.push((None, new_order(&shop, 30_000), format!("plain-{i}")));
    }
    for i in 0..SAME_BODY_TWINS {
        // One body for both: a retry sends the same bytes.
        let (key, body) = (format!("twin-{i}"), new_order(&shop, 30_000));
        for _ in 0..2 {
            requests.push((Some(key.clone()), body.clone(), key.clone()));
        }
    }
    for i in 0..OTHER_BODY_TWINS {
        let key = format!("clash-{i}");
        for side in ["左", "右"] {
            let mut body = new_order(&shop, 30_000);
            body["fault_description"] = json!(format!("{side}前轮异响"));
            requests.push((Some(key.clone()), body, key.clone()));
        }
    }
    let sends = requests.iter().map(|(key, body, _)| {
        let headers: Vec<(&str, &str)> = key.iter().map(|k| ("Idempotency-Key", k.as_str())).collect();
        let (app, path, token, body) = (&app, &path, &shop.advisor, body.clone());
        async move { app.send(Method::POST, path, Some(token), Some(body), &headers).await }
    });
    let answers = futures_util::future::join_all(sends).await;
    let mut made = std::collections::BTreeMap::<String, String>::new();
    let mut by_key = std::collections::BTreeMap::<&str, Vec<_>>::new();
    for ((_, _, label), answer) in requests.iter().zip(&answers) {
        by_key.entry(label.as_str()).or_default().push(answer);
        if answer.status == StatusCode::CREATED {
            let number = answer.body["number"].as_str().unwrap().to_string();
            let id = answer.body["id"].as_str().unwrap().to_string();
            assert_eq!(
                made.insert(id, number.clone()).unwrap_or(number.clone()),
                number,
                "one id, one number"
            );
        }
    }
    for (label, twins) in &by_key {
        let created = twins.iter().filter(|a| a.status == StatusCode::CREATED).count();
        if label.starts_with("twin-") {
            assert_eq!(created, 2, "{label}: a replay answers like the first: {twins:?}");
            assert_eq!(twins[0].body["id"], twins[1].body["id"], "{label}");
        } else if label.starts_with("clash-") {
            assert_eq!(created, 1, "{label}: {twins:?}");
            let refused = twins.iter().find(|a| a.status != StatusCode::CREATED).unwrap();
            assert_eq!(refused.code(), "idempotency_key.reused", "{label}: {:?}", refused.body);
        } else {
            assert_eq!(created, 1, "{label}: {twins:?}");
        }
    }
    let orders = PLAIN + SAME_BODY_TWINS + OTHER_BODY_TWINS;
    let mut numbers: Vec<_> = made.into_values().collect();
    numbers.sort();
    let year = chrono::Utc::now().format("%Y");
    let expected: Vec<String> = (1..=orders).map(|n| format!("SH001-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected);
    let listed = app.get(&format!("{path}?page_size=100"), &shop.advisor).await;
    assert_eq!(listed.body["work_orders"].as_array().unwrap().len(), orders, "{:?}", listed.body);
}

// WO-10, IN-2, GEN-2: exits and deliveries of different orders at once take their certificate and
// settlement numbers in groups too; every one succeeds and the numbers stay gap-free.
#[tokio::test]
async fn concurrent_exits_and_deliveries_number_certificates_and_settlements_gap_free() {
    const ORDERS: usize = 8;
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let mut worked = Vec::new();
    for _ in 0..ORDERS {
        let approved = shop.approved(&app, 30_000).await;
        worked.push(shop.worked(&app, &approved).await);
    }
    let exits =
        futures_util::future::join_all(worked.iter().map(|o| shop.exit_inspection(&app, o, true))).await;
    let mut certificates: Vec<String> = exits
        .iter()
        .map(|a| {
            assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
            a.body["certificate_number"].as_str().unwrap().to_string()
        })
        .collect();
    certificates.sort();
    let year = chrono::Utc::now().format("%Y");
    let expected: Vec<String> = (1..=ORDERS).map(|n| format!("SH001-HG-{year}-{n:06}")).collect();
    assert_eq!(certificates, expected);
    let mut ready = Vec::new();
    for order in &worked {
        let told = shop.step(&app, order, "notify-customer", &shop.advisor, json!({})).await;
        assert_eq!(told.status, StatusCode::OK, "{:?}", told.body);
        ready.push(told.body);
    }
    let deliveries = ready.iter().map(|o| {
        let paid = o["totals"]["total_fen"].as_u64().unwrap();
        let body = json!({"walkaround_notes": "环车检查", "amount_paid_fen": paid, "payment_method": "cash"});
        shop.step(&app, o, "deliver", &shop.advisor, body)
    });
    let delivered = futures_util::future::join_all(deliveries).await;
    let mut settlements: Vec<String> = delivered
        .iter()
        .map(|a| {
            assert_eq!(a.status, StatusCode::OK, "{:?}", a.body);
            a.body["settlement"]["number"].as_str().unwrap().to_string()
        })
        .collect();
    settlements.sort();
    let expected: Vec<String> = (1..=ORDERS).map(|n| format!("SH001-JS-{year}-{n:06}")).collect();
    assert_eq!(settlements, expected);
}

// CF-1, GEN-2: a burst of customer files in one store is written in shared transactions; every
// file is created once, each is found by its name and the last four digits of its phone (the
// search terms go in with it), and a file with a clashing key still answers as alone.
#[tokio::test]
async fn a_burst_of_new_customer_files_is_created_and_indexed_whole() {
    const FILES: usize = 40;
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let path = format!("/v1/stores/{store}/customers");
    // The last four reuse the first four keys with another body (an address more).
    let body = |i: usize| {
        let n = i % (FILES - 4);
        let mut b = json!({"name": format!("客户{n:02}号"), "phone": format!("1380000{n:04}")});
        if i >= FILES - 4 {
            b["address"] = json!("上海市");
        }
        b
    };
    let creates =
        (0..FILES).map(|i| {
            let key = format!("file-{}", i % (FILES - 4));
            let (app, path, token) = (&app, &path, &token);
            async move {
                app.send(Method::POST, path, Some(token), Some(body(i)), &[("Idempotency-Key", &key)]).await
            }
        });
    let answers = futures_util::future::join_all(creates).await;
    let refused = answers.iter().filter(|a| a.status != StatusCode::CREATED).count();
    for a in answers.iter().filter(|a| a.status != StatusCode::CREATED) {
        assert_eq!(a.code(), "idempotency_key.reused", "{:?}", a.body);
    }
    assert_eq!(refused, 4, "one of each pair sharing a key is refused");
    for i in 0..FILES - 4 {
        let found = app.get(&format!("{path}?q=1380000{i:04}"), &token).await;
        let names: Vec<_> = found.body["customers"].as_array().unwrap().iter().map(|c| &c["name"]).collect();
        assert_eq!(names, vec![&json!(format!("客户{i:02}号"))], "{:?}", found.body);
    }
    let listed = app.get(&format!("{path}?page_size=100"), &token).await;
    assert_eq!(listed.body["customers"].as_array().unwrap().len(), FILES - 4);
}

// Issue 13 defect, found as a rare 500 on PostgreSQL: the message worker finishing a send took the
// store's event sequence before its counter rows, a business write the other way round, and the
// two deadlocked. Every write now takes counters first; messages finishing beside concurrent
// creates in one store answer every request, none 500.
#[tokio::test]
async fn messages_finishing_beside_concurrent_writes_never_deadlock() {
    const ORDERS: usize = 8;
    let clock = crate::common::TestClock::at("2026-12-07T02:00:00Z"); // 10:00 in Shanghai
    let app = TestApp::spawn_at_with(clock, |c| c.message_interval_ms = 2).await;
    let shop = shop(&app).await;
    let mut quoted = Vec::new();
    for _ in 0..ORDERS {
        quoted.push(crate::approval_links::quoted(&app, &shop).await);
    }
    for round in 0..6 {
        let sends = quoted.iter().map(|order| {
            let path = format!("{}/{}/approval-links/send", shop.orders(), order["id"].as_str().unwrap());
            let (app, token) = (&app, &shop.advisor);
            async move { app.send(Method::POST, &path, Some(token), Some(json!({})), &[]).await }
        });
        let creates = (0..ORDERS).map(|_| {
            let (app, path, token, body) = (&app, shop.orders(), &shop.advisor, new_order(&shop, 30_000));
            async move { app.send(Method::POST, &path, Some(token), Some(body), &[]).await }
        });
        let (sent, created) =
            tokio::join!(futures_util::future::join_all(sends), futures_util::future::join_all(creates));
        for answer in sent.iter().chain(&created) {
            assert!(answer.status.is_success(), "round {round}: {} {:?}", answer.status, answer.body);
        }
    }
}

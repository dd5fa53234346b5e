//! Events for integrations over REST (EV-1..EV-3): the feed, its order under concurrency, and
//! signed webhook deliveries to a receiver on 127.0.0.1 verified with the independent
//! `standardwebhooks` library.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode as AxumStatus};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, VINS};
use crate::work_orders::shop;

/// Reads the whole feed from the beginning, page by page.
pub async fn whole_feed(app: &TestApp, store: &str, token: &str) -> Vec<Value> {
    let mut events = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app.get(&format!("/v1/stores/{store}/events?page_size=50&after={cursor}"), token).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        let batch = page.body["events"].as_array().unwrap().clone();
        let next = page.body["next_cursor"].as_str().unwrap().to_string();
        if batch.is_empty() {
            if !cursor.is_empty() {
                assert_eq!(next, cursor, "an empty page keeps the cursor");
            }
            return events;
        }
        events.extend(batch);
        cursor = next;
    }
}

fn assert_gap_free(events: &[Value]) {
    let ids: HashSet<&str> = events.iter().map(|e| e["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), events.len(), "an event was read twice");
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e["sequence"], json!(i + 1), "gap or disorder at {i}: {e}");
    }
}

// EV-1, EV-2
#[tokio::test]
async fn ev_1_a_work_order_from_open_to_delivered_is_announced_once_in_order_without_personal_data() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let dms = app.token("dms-1", &["integration"], &[&shop.store]);
    let delivered = shop.delivered(&app).await;

    let events = whole_feed(&app, &shop.store, &dms).await;
    assert_gap_free(&events);
    let order_id = delivered["id"].as_str().unwrap();
    let of_order: Vec<&str> = events
        .iter()
        .filter(|e| e["resource"]["type"] == "work_order" && e["resource"]["id"] == order_id)
        .map(|e| e["type"].as_str().unwrap())
        .collect();
    let expected = [
        "work_order.created",
        "work_order.awaiting_approval",
        "work_order.approval_recorded",
        "work_order.approved",
        "work_order.in_progress",
        "work_order.work_completed",
        "inspection.certificate_issued",
        "work_order.ready_for_pickup",
        "work_order.settlement_frozen",
        "work_order.delivered",
        "work_order.ehealth_status_changed",
    ];
    let mut at = 0;
    for want in expected {
        let found = of_order[at..].iter().position(|t| *t == want).map(|p| p + at);
        at = found.unwrap_or_else(|| panic!("{want} missing or out of order in {of_order:?}")) + 1;
        assert_eq!(of_order.iter().filter(|t| **t == want).count(), 1, "{want} announced twice");
    }
    let last = events.iter().rfind(|e| e["type"] == "work_order.delivered").unwrap();
    assert_eq!(last["data"]["settlement_number"], delivered["settlement"]["number"]);
    assert_eq!(last["resource"]["etag"], delivered["etag"]);
    assert_eq!(last["actor"], "adv-1");
    for kind in ["customer.created", "vehicle.added", "inspection.entry_recorded", "follow_up_task.created"] {
        assert!(events.iter().any(|e| e["type"] == kind), "{kind} missing");
    }
    // PIPL minimisation: no name, phone, plate or VIN in any event.
    let text = serde_json::to_string(&events).unwrap();
    for personal in ["张伟", "13812345678", "138****5678", "沪A12345", VINS[0]] {
        assert!(!text.contains(personal), "{personal} leaked into an event");
    }

    // Filtered by type, and closed to roles and stores it is not for.
    let only = app.get(&format!("/v1/stores/{}/events?types=work_order.delivered", shop.store), &dms).await;
    assert_eq!(only.body["events"].as_array().unwrap().len(), 1);
    let unknown = app.get(&format!("/v1/stores/{}/events?types=work_order.exploded", shop.store), &dms).await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(unknown.body.to_string().contains("types"));
    assert_eq!(
        app.get(&format!("/v1/stores/{}/events", shop.store), &shop.advisor).await.status,
        StatusCode::FORBIDDEN
    );
    let other = app.seed_store("BJ001").await;
    assert_eq!(app.get(&format!("/v1/stores/{other}/events"), &dms).await.status, StatusCode::NOT_FOUND);
}

// EV-2: a long poll answers as soon as an event commits.
#[tokio::test]
async fn ev_2_a_waiting_read_answers_when_the_next_event_commits() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let dms = app.token("dms-1", &["integration"], &[&store]);
    let cursor = app.get(&format!("/v1/stores/{store}/events"), &dms).await.body["next_cursor"].clone();
    let started = std::time::Instant::now();
    let path = format!("/v1/stores/{store}/events?wait=20&after={}", cursor.as_str().unwrap());
    let waiting = app.get(&path, &dms);
    let write = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        app.seed_customer(&store, "李娜", "13900001111").await
    };
    let (page, _) = tokio::join!(waiting, write);
    assert_eq!(page.body["events"][0]["type"], "customer.created", "{:?}", page.body);
    assert!(started.elapsed() < Duration::from_secs(15), "the wait ended with the commit, not the timeout");
    let bad = app.get(&format!("/v1/stores/{store}/events?wait=31"), &dms).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
}

// EV-1 and API "events": eight concurrent writers, one reader tailing the feed, nothing skipped.
#[tokio::test]
async fn ev_1_eight_concurrent_writers_and_a_tailing_reader_see_every_event_once_in_order() {
    let app = TestApp::spawn_with(|c| c.database_max_connections = 12).await;
    let store = app.seed_store("SH001").await;
    let dms = app.token("dms-1", &["integration"], &[&store]);
    let advisor = app.advisor(&store);
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (app, store, dms, done) = (&app, store.clone(), dms.clone(), done.clone());
        async move {
            let (mut seen, mut cursor) = (Vec::new(), String::new());
            loop {
                let finished = done.load(std::sync::atomic::Ordering::SeqCst);
                let page = app
                    .get(&format!("/v1/stores/{store}/events?after={cursor}&page_size=7&wait=1"), &dms)
                    .await;
                let batch = page.body["events"].as_array().unwrap().clone();
                cursor = page.body["next_cursor"].as_str().unwrap().to_string();
                if batch.is_empty() && finished {
                    return seen;
                }
                seen.extend(batch);
            }
        }
    };
    let writers = async {
        let mut handles = Vec::new();
        for w in 0..8 {
            let (http, base, store, advisor) =
                (app.http.clone(), app.base.clone(), store.clone(), advisor.clone());
            handles.push(tokio::spawn(async move {
                for i in 0..10 {
                    let phone = format!("139{w:02}{i:06}");
                    let res = http
                        .post(format!("{base}/v1/stores/{store}/customers"))
                        .bearer_auth(&advisor)
                        .json(&json!({"name": format!("客户{w}-{i}"), "phone": phone}))
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(res.status(), StatusCode::CREATED);
                }
            }));
        }
        for h in handles {
            h.await.unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
    };
    let (seen, ()) = tokio::join!(reader, writers);
    assert_gap_free(&seen);
    assert_eq!(seen.iter().filter(|e| e["type"] == "customer.created").count(), 80);
    assert_eq!(seen.len(), whole_feed(&app, &store, &dms).await.len(), "the tail saw all the feed holds");
}

/// A webhook receiver on 127.0.0.1: answers 500 to the first `fail_first` attempts of each
/// `webhook-id`, then 200, and keeps every request.
#[derive(Clone, Default)]
pub struct Receiver {
    pub seen: Arc<Mutex<Vec<(HeaderMap, String)>>>,
    tries: Arc<Mutex<HashMap<String, u32>>>,
    fail_first: u32,
}

impl Receiver {
    /// A receiver that fails each delivery's first `n` attempts.
    pub fn failing_first(n: u32) -> Self {
        Self { fail_first: n, ..Self::default() }
    }

    /// Listens on a free port; answers the URL to subscribe.
    pub async fn start(&self) -> String {
        let me = self.clone();
        let app = axum::Router::new().route(
            "/hooks",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let me = me.clone();
                async move {
                    let id =
                        headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                    me.seen.lock().unwrap().push((headers, body));
                    let mut tries = me.tries.lock().unwrap();
                    let n = tries.entry(id).or_default();
                    *n += 1;
                    if *n <= me.fail_first { AxumStatus::INTERNAL_SERVER_ERROR } else { AxumStatus::OK }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}/hooks")
    }
}

// EV-3
#[tokio::test]
async fn ev_3_a_delivery_is_signed_retried_after_failures_and_logged_with_one_webhook_id() {
    let app = TestApp::spawn_with(|c| {
        c.webhook_allow_private = true;
        c.webhook_interval_ms = 50;
        c.webhook_schedule = "200ms,200ms,200ms".into();
    })
    .await;
    let store = app.seed_store("SH001").await;
    let dms = app.token("dms-1", &["integration"], &[&store]);
    let receiver = Receiver::failing_first(2);
    let url = receiver.start().await;
    let subs = format!("/v1/stores/{store}/webhook-subscriptions");
    let created = app.post(&subs, &dms, json!({"url": url, "event_types": ["customer.created"]})).await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let secret = created.body["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"));
    let sub_path = format!("{subs}/{}", created.body["id"].as_str().unwrap());
    assert!(app.get(&sub_path, &dms).await.body.get("secret").is_none(), "the secret is shown once");

    let customer = app.seed_customer(&store, "王芳", "13700002222").await;
    app.seed_vehicle(&store, customer["id"].as_str().unwrap(), VINS[1], "沪B54321").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while receiver.seen.lock().unwrap().len() < 3 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seen = receiver.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3, "two failures and one success, and no vehicle event (not subscribed)");
    let hook = standardwebhooks::Webhook::new(&secret).unwrap();
    let ids: HashSet<String> =
        seen.iter().map(|(h, _)| h["webhook-id"].to_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 1, "every attempt carries the event's id");
    for (headers, body) in &seen {
        hook.verify(body.as_bytes(), headers).expect("the signature verifies");
        let event: Value = serde_json::from_str(body).unwrap();
        assert_eq!(event["type"], "customer.created");
        assert_eq!(headers["webhook-id"].to_str().unwrap(), event["id"].as_str().unwrap());
        assert!(!body.contains("王芳") && !body.contains("13700002222"));
        let tampered = body.replace("customer.created", "customer.merged");
        assert!(hook.verify(tampered.as_bytes(), headers).is_err(), "a tampered body fails");
    }
    let (headers, body) = &seen[0];
    let mut old = headers.clone();
    let stale = headers["webhook-timestamp"].to_str().unwrap().parse::<i64>().unwrap() - 3600;
    old.insert("webhook-timestamp", stale.to_string().parse().unwrap());
    assert!(hook.verify(body.as_bytes(), &old).is_err(), "an old timestamp fails");

    let mut log = app.get(&format!("{sub_path}/deliveries"), &dms).await;
    for _ in 0..40 {
        // The third attempt is logged when it starts and answered when it ends: wait for both.
        if log.body["deliveries"].as_array().is_some_and(|d| d.len() == 3 && !d[2]["status_code"].is_null()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        log = app.get(&format!("{sub_path}/deliveries"), &dms).await;
    }
    let codes: Vec<Value> =
        log.body["deliveries"].as_array().unwrap().iter().map(|d| d["status_code"].clone()).collect();
    assert_eq!(codes, vec![json!(500), json!(500), json!(200)], "{:?}", log.body);
    let attempts: Vec<Value> =
        log.body["deliveries"].as_array().unwrap().iter().map(|d| d["attempt"].clone()).collect();
    assert_eq!(attempts, vec![json!(1), json!(2), json!(3)]);

    // Rotation: the new secret is shown once and both sign during the overlap.
    let etag = app.get(&sub_path, &dms).await.body["etag"].as_str().unwrap().to_string();
    let rotated = app
        .send(
            reqwest::Method::POST,
            &format!("{sub_path}/rotate-secret"),
            Some(&dms),
            None,
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK, "{:?}", rotated.body);
    assert_ne!(rotated.body["secret"], json!(secret));
    assert!(rotated.body["previous_secret_until"].is_string());
}

// EV-3: no server-side request forgery through a subscription.
#[tokio::test]
async fn ev_3_a_subscription_to_a_private_address_is_refused_unless_allowed() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let dms = app.token("dms-1", &["integration"], &[&store]);
    let subs = format!("/v1/stores/{store}/webhook-subscriptions");
    for url in [
        "http://127.0.0.1/hooks",
        "https://127.0.0.1/hooks",
        "https://10.0.0.8/h",
        "https://[::1]/h",
        "https://localhost/h",
    ] {
        let res = app.post(&subs, &dms, json!({"url": url})).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{url}: {:?}", res.body);
        assert!(res.body.to_string().contains("url"), "{:?}", res.body);
    }
    let ok = app.post(&subs, &dms, json!({"url": "https://dms.example.com/hooks", "event_types": []})).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{:?}", ok.body);
    let bad_type =
        app.post(&subs, &dms, json!({"url": "https://dms.example.com/h", "event_types": ["nope.x"]})).await;
    assert_eq!(bad_type.status, StatusCode::BAD_REQUEST);
    let advisor = app.advisor(&store);
    assert_eq!(app.get(&subs, &advisor).await.status, StatusCode::FORBIDDEN);
    let list = app.get(&subs, &dms).await;
    assert_eq!(list.body["webhook_subscriptions"].as_array().unwrap().len(), 1);
    assert!(list.body["webhook_subscriptions"][0].get("secret").is_none());
}

// EV-3: an endpoint answering 410 is disabled, which is itself an event; resuming clears why.
#[tokio::test]
async fn ev_3_an_endpoint_answering_410_disables_its_subscription_and_says_so() {
    let app = TestApp::spawn_with(|c| {
        c.webhook_allow_private = true;
        c.webhook_interval_ms = 50;
    })
    .await;
    let store = app.seed_store("SH001").await;
    let dms = app.token("dms-1", &["integration"], &[&store]);
    let gone = axum::Router::new().route("/hooks", axum::routing::post(|| async { AxumStatus::GONE }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, gone).await });
    let subs = format!("/v1/stores/{store}/webhook-subscriptions");
    let sub = app.post(&subs, &dms, json!({"url": url})).await.body;
    let path = format!("{subs}/{}", sub["id"].as_str().unwrap());
    app.seed_customer(&store, "孙丽", "13400005555").await;
    app.seed_customer(&store, "周强", "13400006666").await;
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    let mut now = app.get(&path, &dms).await.body;
    while now["active"] == json!(true) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
        now = app.get(&path, &dms).await.body;
    }
    assert_eq!(now["active"], json!(false), "{now:?}");
    assert_eq!(now["disabled_reason"], "gone");
    let disabled: Vec<Value> = whole_feed(&app, &store, &dms)
        .await
        .into_iter()
        .filter(|e| e["type"] == "webhook_subscription.disabled")
        .collect();
    assert_eq!(disabled.len(), 1, "announced once");
    assert_eq!(disabled[0]["resource"]["id"], sub["id"]);
    assert_eq!(disabled[0]["data"]["reason"], "gone");
    // Nothing more is sent to a disabled endpoint.
    let sent =
        app.get(&format!("{path}/deliveries"), &dms).await.body["deliveries"].as_array().unwrap().len();
    app.seed_customer(&store, "吴刚", "13400007777").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let log = app.get(&format!("{path}/deliveries"), &dms).await.body;
    assert_eq!(log["deliveries"].as_array().unwrap().len(), sent, "{log:?}");
    assert!(log["deliveries"].as_array().unwrap().iter().all(|d| d["status_code"] == 410), "{log:?}");

    let etag = now["etag"].as_str().unwrap().to_string();
    let resumed = app
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(&dms),
            Some(json!({"active": true})),
            &[("If-Match", &etag)],
        )
        .await;
    assert_eq!(resumed.status, StatusCode::OK, "{:?}", resumed.body);
    assert_eq!(resumed.body["active"], json!(true));
    assert!(resumed.body["disabled_reason"].is_null());
}

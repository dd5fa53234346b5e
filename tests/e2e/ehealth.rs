//! The repair e-health record (WO-12): queued at delivery, uploaded to a local peer that speaks
//! the documented protocol, retried with backoff, never sent twice.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aftersales_domain::model::ehealth::{AttemptOutcome, EhealthRecord};
use aftersales_domain::ports::EhealthPlatform;
use aftersales_server::ehealth::{RepairRecordBody, signature};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::common::TestApp;
use crate::work_orders::{Shop, shop};

pub(crate) const KEY: &str = "group-key";
pub(crate) const SECRET: &str = "province-secret-for-tests";

/// A province platform on loopback: checks the signature, records bodies, answers as scripted.
#[derive(Clone, Default)]
pub(crate) struct Peer {
    pub(crate) received: Arc<Mutex<Vec<RepairRecordBody>>>,
    script: Arc<Mutex<Vec<(StatusCode, Value)>>>,
}

async fn receive(
    State(peer): State<Peer>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> (StatusCode, axum::Json<Value>) {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    if header("x-app-key") != KEY || header("x-signature") != signature(SECRET, &header("x-timestamp"), &body)
    {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({"code": 401, "message": "bad signature"})));
    }
    let Ok(record) = serde_json::from_slice::<RepairRecordBody>(&body) else {
        return (StatusCode::BAD_REQUEST, axum::Json(json!({"code": 400, "message": "bad body"})));
    };
    peer.received.lock().unwrap().push(record);
    let next = peer.script.lock().unwrap().pop();
    let (status, answer) = next.unwrap_or((StatusCode::OK, json!({"code": 0, "message": "ok"})));
    (status, axum::Json(answer))
}

impl Peer {
    /// Starts the peer; `script` answers are used last-first, then every call is accepted.
    pub(crate) async fn start(mut script: Vec<(StatusCode, Value)>) -> (Peer, String) {
        script.reverse();
        let peer = Peer { script: Arc::new(Mutex::new(script)), ..Peer::default() };
        let app = axum::Router::new()
            .route("/v1/repair-records", axum::routing::post(receive))
            .with_state(peer.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (peer, url)
    }
}

async fn delivered(app: &TestApp, shop: &Shop) -> Value {
    shop.delivered(app).await
}

async fn wait_for_status(app: &TestApp, shop: &Shop, order: &Value, want: &str) -> Value {
    let path = format!("{}/{}/ehealth-record", shop.orders(), order["id"].as_str().unwrap());
    for _ in 0..200 {
        let now = app.get(&path, &shop.advisor).await.body;
        if now["status"] == want {
            return now;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("upload never became {want}: {:?}", app.get(&path, &shop.advisor).await.body);
}

fn with_platform(url: String) -> impl FnOnce(&mut aftersales_server::config::Config) {
    move |c| {
        c.ehealth_endpoint = Some(url);
        c.ehealth_app_key = Some(KEY.into());
        c.ehealth_app_secret = Some(SECRET.into());
        c.ehealth_interval_ms = 20;
        c.ehealth_retry_base_ms = 50;
    }
}

// WO-12
#[tokio::test]
async fn a_delivered_orders_record_is_uploaded_after_a_retry() {
    let (peer, url) = Peer::start(vec![(StatusCode::SERVICE_UNAVAILABLE, json!({"code": 503}))]).await;
    let app = TestApp::spawn_with(with_platform(url)).await;
    let shop = shop(&app).await;
    let order = delivered(&app, &shop).await;
    let upload = wait_for_status(&app, &shop, &order, "uploaded").await;
    assert_eq!(upload["attempts"], 2, "one 503, then accepted: {upload:?}");
    assert_eq!(upload["record"]["settlement_number"], order["settlement"]["number"]);
    let received = peer.received.lock().unwrap();
    assert_eq!(received.len(), 2);
    let body = &received[1];
    assert_eq!(body.vin, "LSVAU218XN2183294");
    assert_eq!(body.vehicle_plate_number, "沪A12345");
    assert_eq!(body.cost_list_code, order["settlement"]["number"].as_str().unwrap());
    assert_eq!(body.repair_mileage, 30_000);
    assert_eq!(body.working_hours, "1.50");
    assert_eq!(
        (body.parts_list[0].parts_code.as_str(), body.parts_list[0].parts_quantity.as_str()),
        ("P-BRK-F", "1.000")
    );
    assert_eq!(body.repair_project_list[0].repair_project, "检查并更换前刹车片");
    assert_eq!(body.company_name, "SH001 4S店");
}

// WO-12
#[tokio::test]
async fn a_record_the_platform_refuses_is_marked_failed_with_its_reason() {
    let (_peer, url) =
        Peer::start(vec![(StatusCode::OK, json!({"code": 1001, "message": "VIN 不存在"}))]).await;
    let app = TestApp::spawn_with(with_platform(url)).await;
    let shop = shop(&app).await;
    let order = delivered(&app, &shop).await;
    let upload = wait_for_status(&app, &shop, &order, "failed").await;
    assert_eq!(upload["attempts"], 1);
    assert!(upload["last_error"].as_str().unwrap().contains("VIN 不存在"), "{upload:?}");
}

/// Counts uploads per settlement number, slowly enough that two workers overlap.
#[derive(Default)]
struct Counting {
    seen: Mutex<HashMap<String, usize>>,
    calls: AtomicUsize,
}

#[async_trait::async_trait]
impl EhealthPlatform for Counting {
    async fn upload(&self, record: &EhealthRecord) -> AttemptOutcome {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(30)).await;
        *self.seen.lock().unwrap().entry(record.settlement_number.clone()).or_default() += 1;
        AttemptOutcome::Accepted
    }
}

// WO-12: workers racing for the queue never send a record twice.
#[tokio::test]
async fn two_workers_racing_for_the_queue_send_each_record_once() {
    let app = TestApp::spawn().await; // no platform configured: records wait in the queue
    let shop = shop(&app).await;
    let mut orders = Vec::new();
    for _ in 0..3 {
        orders.push(delivered(&app, &shop).await);
    }
    let platform = Counting::default();
    let services = app.services();
    let (a, b) = tokio::join!(
        services.ehealth.process_due(&platform, 10),
        services.ehealth.process_due(&platform, 10)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 3);
    let seen = platform.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 3);
    assert!(seen.values().all(|n| *n == 1), "{seen:?}");
    assert_eq!(services.ehealth.process_due(&platform, 10).await.unwrap(), 0, "nothing is due any more");
    let status = app
        .get(
            &format!("{}/{}/ehealth-record", shop.orders(), orders[0]["id"].as_str().unwrap()),
            &shop.advisor,
        )
        .await;
    assert_eq!(status.body["status"], "uploaded");
}

// WO-12, the kind issue 13 found: a worker whose batch outlasts half its lease gives the rest
// back rather than upload what another replica may have taken meanwhile. Two workers, a slow
// platform that checks each signature: every record is uploaded exactly once, on its first attempt.
#[tokio::test]
async fn two_workers_with_a_slow_platform_upload_each_record_once() {
    let arrivals: Arc<Mutex<HashMap<String, u32>>> = Arc::default();
    let seen = arrivals.clone();
    let slow = axum::Router::new().route(
        "/v1/repair-records",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let seen = seen.clone();
            async move {
                let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
                if header("x-signature") != signature(SECRET, &header("x-timestamp"), &body) {
                    return (StatusCode::UNAUTHORIZED, axum::Json(json!({"code": 401})));
                }
                let record: RepairRecordBody = serde_json::from_slice(&body).unwrap();
                *seen.lock().unwrap().entry(record.cost_list_code).or_default() += 1;
                tokio::time::sleep(Duration::from_millis(800)).await;
                (StatusCode::OK, axum::Json(json!({"code": 0})))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, slow).await });
    let app = TestApp::spawn_with(|c| {
        with_platform(url.clone())(c);
        c.ehealth_interval_ms = 3_600_000; // the server's own worker stays idle
        c.ehealth_timeout_ms = 1_000; // a 7 s lease: ten 0.8 s uploads outlast it
    })
    .await;
    let shop = shop(&app).await;
    let mut orders = Vec::new();
    for _ in 0..10 {
        orders.push(delivered(&app, &shop).await);
    }
    let platform = aftersales_server::ehealth::HttpPlatform::new(
        &url,
        KEY.into(),
        SECRET.into(),
        Duration::from_secs(1),
    )
    .unwrap();
    let all_uploaded = || async {
        let mut done = true;
        for order in &orders {
            let path = format!("{}/{}/ehealth-record", shop.orders(), order["id"].as_str().unwrap());
            done &= app.get(&path, &shop.advisor).await.body["status"] == "uploaded";
        }
        done
    };
    let worker = || async {
        let deadline = std::time::Instant::now() + Duration::from_secs(40);
        while std::time::Instant::now() < deadline {
            app.services().ehealth.process_due(&platform, 50).await.unwrap();
            if all_uploaded().await {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::join!(worker(), worker());
    let seen = arrivals.lock().unwrap().clone();
    for order in &orders {
        let path = format!("{}/{}/ehealth-record", shop.orders(), order["id"].as_str().unwrap());
        let upload = app.get(&path, &shop.advisor).await.body;
        let number = order["settlement"]["number"].as_str().unwrap();
        assert_eq!(
            (upload["status"].as_str(), upload["attempts"].as_u64(), seen.get(number).copied()),
            (Some("uploaded"), Some(1), Some(1)),
            "{upload:?}"
        );
    }
}

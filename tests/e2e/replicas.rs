//! Replicas and crashes (EV-3): a server process killed with SIGKILL in the middle of its webhook
//! deliveries leaves them to another process on the same database, which sends them again with the
//! same `webhook-id` once the leases run out; the delivery log holds every request a receiver saw.

use std::collections::HashMap;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode as AxumStatus};
use serde_json::json;

use crate::common::{SECRET, TestApp, server_binary};

/// Counts each `webhook-id` as it arrives, and answers slowly, so a killed sender leaves
/// requests in flight.
async fn slow_receiver(arrivals: Arc<Mutex<HashMap<String, u32>>>) -> String {
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap| {
            let arrivals = arrivals.clone();
            async move {
                let id =
                    headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                *arrivals.lock().unwrap().entry(id).or_default() += 1;
                tokio::time::sleep(Duration::from_millis(400)).await;
                AxumStatus::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/hooks")
}

// EV-3, issue 10 item 6: at least once, never unlogged, after a SIGKILL.
#[tokio::test]
async fn ev_3_a_process_killed_mid_delivery_leaves_its_deliveries_to_another_with_the_same_webhook_id() {
    // This process's own worker stays idle: the child process takes the deliveries first.
    let app = TestApp::spawn_with(|c| {
        c.webhook_allow_private = true;
        c.webhook_interval_ms = 3_600_000;
    })
    .await;
    let store = app.seed_store("SH001").await;
    let dms = app.token("dms-1", &["integration"], &[&store]);
    let arrivals = Arc::new(Mutex::new(HashMap::new()));
    let url = slow_receiver(arrivals.clone()).await;
    let sub = app.post(&format!("/v1/stores/{store}/webhook-subscriptions"), &dms, json!({"url": url})).await;
    assert_eq!(sub.status, reqwest::StatusCode::CREATED, "{:?}", sub.body);
    let log_path =
        format!("/v1/stores/{store}/webhook-subscriptions/{}/deliveries", sub.body["id"].as_str().unwrap());
    for i in 0..12 {
        app.seed_customer(&store, &format!("客户{i}"), &format!("1370000{i:04}")).await;
    }

    let mut child = Command::new(server_binary())
        .arg("serve")
        .env("AFTERSALES_DATABASE_URL", &app.config.database_url)
        .env("AFTERSALES_HTTP_ADDR", "127.0.0.1:0")
        .env("AFTERSALES_GRPC_ADDR", "127.0.0.1:0")
        .env("AFTERSALES_JWT_SECRET", SECRET)
        .env("AFTERSALES_DEMO", "false")
        .env("AFTERSALES_LOG", "warn")
        .env("AFTERSALES_WEBHOOK_ALLOW_PRIVATE", "true")
        .env("AFTERSALES_WEBHOOK_INTERVAL_MS", "50")
        .env("AFTERSALES_WEBHOOK_TIMEOUT_MS", "1000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server binary starts");
    let deadline = Instant::now() + Duration::from_secs(30);
    while arrivals.lock().unwrap().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(!arrivals.lock().unwrap().is_empty(), "the child process started delivering");
    child.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    child.wait().expect("the child exits");
    let before_kill: u32 = arrivals.lock().unwrap().values().sum();

    // This process takes over; the killed one's leases run out (2 x 1 s timeout + 5 s) first.
    let transport = aftersales_server::webhooks::HttpTransport::new(Duration::from_secs(2), true).unwrap();
    let feed = crate::events::whole_feed(&app, &store, &dms).await;
    let ids: Vec<String> = feed.iter().map(|e| e["id"].as_str().unwrap().to_string()).collect();
    assert_eq!(ids.len(), 12);
    let deadline = Instant::now() + Duration::from_secs(40);
    while ids.iter().any(|id| !arrivals.lock().unwrap().contains_key(id)) || sent_again(&arrivals) == 0 {
        assert!(
            Instant::now() < deadline,
            "every event arrives after the crash: {:?}",
            arrivals.lock().unwrap()
        );
        app.services().events.deliver_due(&transport, 50).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let mut logged: HashMap<String, u32> = HashMap::new();
    let (mut token, mut stopped) = (String::new(), 0);
    loop {
        let page = app.get(&format!("{log_path}?page_size=100&page_token={token}"), &dms).await.body;
        for a in page["deliveries"].as_array().unwrap() {
            *logged.entry(a["event_id"].as_str().unwrap().to_string()).or_default() += 1;
            stopped += usize::from(a["status_code"].is_null());
        }
        token = page["next_page_token"].as_str().unwrap_or_default().to_string();
        if token.is_empty() {
            break;
        }
    }
    let seen = arrivals.lock().unwrap().clone();
    for id in &ids {
        let (got, log) = (seen[id], logged.get(id).copied().unwrap_or(0));
        assert!(got >= 1, "{id} never arrived");
        assert!(got <= log, "{id} arrived {got} times but {log} attempts are logged");
    }
    assert!(
        before_kill >= 1 && stopped >= 1,
        "the killed process's attempts stay in the log without an answer"
    );
    assert!(sent_again(&arrivals) >= 1, "a delivery cut by the kill was sent again with the same webhook-id");
}

/// How many events arrived more than once.
fn sent_again(arrivals: &Mutex<HashMap<String, u32>>) -> usize {
    arrivals.lock().unwrap().values().filter(|n| **n > 1).count()
}

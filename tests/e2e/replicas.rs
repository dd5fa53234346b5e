//! Replicas and crashes (EV-3, issue 11): a server process killed with SIGKILL in the middle of
//! its background work leaves it to the other processes on the same database, which take it over
//! once the leases run out; the logs hold every request a receiver saw, and nothing is done twice
//! beyond a logged retry.

use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode as AxumStatus};
use serde_json::json;

use crate::common::{TestApp, server_command};

/// Counts each `webhook-id` as it arrives, and answers slowly, so a killed sender leaves
/// requests in flight.
async fn slow_receiver(arrivals: Arc<Mutex<HashMap<String, u32>>>, delay: Duration) -> String {
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap| {
            let arrivals = arrivals.clone();
            async move {
                let id =
                    headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
                *arrivals.lock().unwrap().entry(id).or_default() += 1;
                tokio::time::sleep(delay).await;
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
    let url = slow_receiver(arrivals.clone(), Duration::from_millis(400)).await;
    let sub = app.post(&format!("/v1/stores/{store}/webhook-subscriptions"), &dms, json!({"url": url})).await;
    assert_eq!(sub.status, reqwest::StatusCode::CREATED, "{:?}", sub.body);
    let log_path =
        format!("/v1/stores/{store}/webhook-subscriptions/{}/deliveries", sub.body["id"].as_str().unwrap());
    for i in 0..12 {
        app.seed_customer(&store, &format!("客户{i}"), &format!("1370000{i:04}")).await;
    }

    let mut child = replica(&app, &[]);
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

/// A server process on `app`'s database with short job intervals, its output discarded.
fn replica(app: &TestApp, env: &[(&str, &str)]) -> std::process::Child {
    let mut command = server_command(app);
    command
        .env("AFTERSALES_LOG", "warn")
        .env("AFTERSALES_WEBHOOK_ALLOW_PRIVATE", "true")
        .env("AFTERSALES_WEBHOOK_INTERVAL_MS", "50")
        .env("AFTERSALES_WEBHOOK_TIMEOUT_MS", "1000")
        .env("AFTERSALES_JOBS_INTERVAL_MS", "100")
        .env("AFTERSALES_DATABASE_MAX_CONNECTIONS", "4")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    command.spawn().expect("the server binary starts")
}

// Issue 11 item 5: three replicas, one killed mid-work; complaint escalations, e-health uploads
// and webhook deliveries are each done, none twice beyond its logged attempts.
#[tokio::test]
async fn three_replicas_share_the_background_work_and_one_killed_mid_work_loses_and_doubles_nothing() {
    // Everything is made three days ago, so the complaints are due for escalation now.
    let then = (chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339();
    let app = TestApp::spawn_at_with(crate::common::TestClock::at(&then), |c| {
        c.webhook_allow_private = true;
        c.webhook_interval_ms = 3_600_000;
        c.jobs_interval_ms = 3_600_000;
    })
    .await;
    let shop = crate::work_orders::shop(&app).await;
    let store = shop.store.clone();
    let dms = app.token("dms-1", &["integration"], &[&store]);
    let arrivals = Arc::new(Mutex::new(HashMap::new()));
    let url = slow_receiver(arrivals.clone(), Duration::from_millis(100)).await;
    // A subscription receives what happens after it is made.
    let earlier = crate::events::whole_feed(&app, &store, &dms).await.len();
    let sub = app.post(&format!("/v1/stores/{store}/webhook-subscriptions"), &dms, json!({"url": url})).await;
    assert_eq!(sub.status, reqwest::StatusCode::CREATED, "{:?}", sub.body);
    let log_path =
        format!("/v1/stores/{store}/webhook-subscriptions/{}/deliveries", sub.body["id"].as_str().unwrap());

    let mut orders = Vec::new();
    for _ in 0..3 {
        orders.push(shop.delivered(&app).await);
    }
    let staff = format!("/v1/stores/{store}/staff");
    app.post(&staff, &shop.supervisor, json!({"id": "fu-1", "name": "陈回访", "roles": ["followup_agent"]}))
        .await;
    let agent = app.token("fu-1", &["followup_agent"], &[&store]);
    let mut complaints = Vec::new();
    for i in 0..4 {
        let body = json!({"customer_id": shop.customer, "summary": format!("交车后异响 {i}")});
        let res = app.post(&format!("/v1/stores/{store}/complaints"), &agent, body).await;
        assert_eq!(res.status, reqwest::StatusCode::CREATED, "{:?}", res.body);
        complaints.push(res.body["id"].as_str().unwrap().to_string());
    }
    for i in 0..8 {
        app.seed_customer(&store, &format!("客户{i}"), &format!("1370000{i:04}")).await;
    }

    let (peer, platform) = crate::ehealth::Peer::start(Vec::new()).await;
    let env = [
        ("AFTERSALES_EHEALTH_ENDPOINT", platform.as_str()),
        ("AFTERSALES_EHEALTH_APP_KEY", crate::ehealth::KEY),
        ("AFTERSALES_EHEALTH_APP_SECRET", crate::ehealth::SECRET),
        ("AFTERSALES_EHEALTH_INTERVAL_MS", "50"),
        ("AFTERSALES_EHEALTH_TIMEOUT_MS", "1000"),
    ];
    let mut replicas: Vec<_> = (0..3).map(|_| replica(&app, &env)).collect();
    let deadline = Instant::now() + Duration::from_secs(30);
    while arrivals.lock().unwrap().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!arrivals.lock().unwrap().is_empty(), "the replicas started delivering");
    let mut killed = replicas.remove(0);
    killed.kill().expect("SIGKILL");
    killed.wait().expect("the killed replica exits");

    // The other two finish everything, the killed one's leases (2 x 1 s + 5 s) included.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut waiting_for = String::new();
    let (feed, records) = loop {
        assert!(Instant::now() < deadline, "the work is finished; still waiting for {waiting_for}");
        tokio::time::sleep(Duration::from_millis(200)).await;
        let escalated =
            app.get(&format!("/v1/stores/{store}/complaints?status=escalated"), &shop.supervisor).await;
        if escalated.body["complaints"].as_array().map_or(0, Vec::len) < complaints.len() {
            waiting_for = format!("escalations: {:?}", escalated.body);
            continue;
        }
        let mut records = Vec::new();
        for order in &orders {
            let path = format!("{}/{}/ehealth-record", shop.orders(), order["id"].as_str().unwrap());
            records.push(app.get(&path, &shop.advisor).await.body);
        }
        if records.iter().any(|r| r["status"] != "uploaded") {
            waiting_for = format!("uploads: {records:?}");
            continue;
        }
        let feed = crate::events::whole_feed(&app, &store, &dms).await.split_off(earlier);
        let seen = arrivals.lock().unwrap().clone();
        if feed.iter().all(|e| seen.contains_key(e["id"].as_str().unwrap())) {
            break (feed, records);
        }
        let missing: Vec<_> = feed.iter().filter(|e| !seen.contains_key(e["id"].as_str().unwrap())).collect();
        waiting_for = format!("{} of {} events: {:?}", missing.len(), feed.len(), missing.first());
    };
    for mut replica in replicas {
        replica.kill().expect("stop");
        replica.wait().expect("stopped");
    }

    // Complaints: each escalated exactly once, whichever replica did it.
    for id in &complaints {
        let escalations = feed
            .iter()
            .filter(|e| e["type"] == "complaint.escalated" && e["resource"]["id"] == id.as_str())
            .count();
        assert_eq!(escalations, 1, "complaint {id} escalated once");
    }
    // E-health: every record uploaded, never more often than its attempts count.
    let uploads: Vec<String> =
        peer.received.lock().unwrap().iter().map(|u| u.cost_list_code.clone()).collect();
    for record in &records {
        let number = record["record"]["settlement_number"].as_str().unwrap();
        let sent = uploads.iter().filter(|u| *u == number).count();
        let attempts = usize::try_from(record["attempts"].as_u64().unwrap()).unwrap();
        assert!(sent >= 1 && sent <= attempts, "{number}: sent {sent} times, {attempts} attempts counted");
    }
    // Webhooks: every event arrived, never more often than its logged attempts.
    let mut logged: HashMap<String, u32> = HashMap::new();
    let mut token = String::new();
    loop {
        let page = app.get(&format!("{log_path}?page_size=100&page_token={token}"), &dms).await.body;
        for a in page["deliveries"].as_array().unwrap() {
            *logged.entry(a["event_id"].as_str().unwrap().to_string()).or_default() += 1;
        }
        token = page["next_page_token"].as_str().unwrap_or_default().to_string();
        if token.is_empty() {
            break;
        }
    }
    let seen = arrivals.lock().unwrap().clone();
    for event in &feed {
        let id = event["id"].as_str().unwrap();
        let (got, log) = (seen.get(id).copied().unwrap_or(0), logged.get(id).copied().unwrap_or(0));
        assert!(got >= 1 && got <= log, "{id}: arrived {got} times, {log} attempts logged");
    }
}

//! PostgreSQL restarted under load (issue 11): while clients keep writing, the database stops and
//! starts again. The server recovers by itself, `/readyz` answers 503 while the database is away
//! and 200 after, every failed write answered 503 `unavailable` (retryable), and no acknowledged
//! write is lost. It stops the machine's PostgreSQL, so it is its own test target, outside
//! `make test`: `make replicas-test` runs it alone (CI does, after the suites).

#![allow(clippy::unwrap_used, clippy::expect_used, dead_code)]

#[path = "../e2e/common/mod.rs"]
mod common;

use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use common::TestApp;

/// The machine's PostgreSQL cluster version (`/etc/postgresql/<version>`).
fn cluster() -> String {
    std::fs::read_dir("/etc/postgresql")
        .expect("a Debian PostgreSQL cluster")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .max()
        .expect("a cluster version")
}

fn pg_ctl(action: &str) {
    let ok = Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &cluster(), "main", action, "-m", "fast"])
        .status()
        .expect("pg_ctlcluster runs")
        .success();
    assert!(ok, "pg_ctlcluster {action}");
}

async fn ready(app: &TestApp) -> Option<StatusCode> {
    let res = app.http.get(format!("{}/readyz", app.base)).timeout(Duration::from_secs(15)).send().await;
    res.ok().map(|r| r.status())
}

async fn wait_ready(app: &TestApp, want: StatusCode, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let got = ready(app).await;
        if got == Some(want) {
            return;
        }
        assert!(Instant::now() < deadline, "/readyz never answered {want}: last {got:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_server_rides_out_a_postgresql_restart_under_load_and_loses_no_acknowledged_write() {
    assert!(
        std::env::var("AFTERSALES_TEST_DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")),
        "this test restarts PostgreSQL: set AFTERSALES_TEST_DATABASE_URL (make replicas-test does)"
    );
    let app = Arc::new(TestApp::spawn().await);
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    wait_ready(&app, StatusCode::OK, Duration::from_secs(5)).await;

    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let refused = Arc::new(Mutex::new(Vec::<(StatusCode, String)>::new()));
    let running = Arc::new(AtomicBool::new(true));
    let mut writers = Vec::new();
    for w in 0..4u32 {
        let (app, token, store) = (app.clone(), token.clone(), store.clone());
        let (acknowledged, refused, running) = (acknowledged.clone(), refused.clone(), running.clone());
        writers.push(tokio::spawn(async move {
            let mut i = 0u32;
            while running.load(Ordering::Relaxed) {
                i += 1;
                let body = json!({"name": format!("客户{w}-{i}"), "phone": format!("139{w:02}{i:06}")});
                let res = app.post(&format!("/v1/stores/{store}/customers"), &token, body).await;
                if res.status == StatusCode::CREATED {
                    acknowledged.lock().unwrap().push(res.body["id"].as_str().unwrap().to_string());
                } else {
                    refused.lock().unwrap().push((res.status, res.code().to_string()));
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = acknowledged.lock().unwrap().len();
    assert!(before > 0, "writes go through before the restart");

    pg_ctl("stop");
    let stopped = std::panic::AssertUnwindSafe(wait_ready(
        &app,
        StatusCode::SERVICE_UNAVAILABLE,
        Duration::from_secs(30),
    ));
    let away = futures_util::FutureExt::catch_unwind(stopped).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    pg_ctl("start");
    // Checked after the start, so a failed check never leaves the machine without its database.
    assert!(away.is_ok(), "/readyz answers 503 while PostgreSQL is stopped");
    wait_ready(&app, StatusCode::OK, Duration::from_secs(60)).await;
    let at_recovery = acknowledged.lock().unwrap().len();
    let deadline = Instant::now() + Duration::from_secs(30);
    while acknowledged.lock().unwrap().len() < at_recovery + 20 {
        assert!(Instant::now() < deadline, "writes go through again after the restart");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    running.store(false, Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }

    let refused = refused.lock().unwrap().clone();
    assert!(!refused.is_empty(), "some writes met the stopped database");
    for (status, code) in &refused {
        assert_eq!((status, code.as_str()), (&StatusCode::SERVICE_UNAVAILABLE, "unavailable"));
    }
    let acknowledged = acknowledged.lock().unwrap().clone();
    for id in &acknowledged {
        let read = app.get(&format!("/v1/stores/{store}/customers/{id}"), &token).await;
        assert_eq!(read.status, StatusCode::OK, "acknowledged customer {id} is kept");
    }
    println!(
        "{} writes acknowledged ({before} before the stop), {} refused with 503 while the database was away",
        acknowledged.len(),
        refused.len()
    );
}

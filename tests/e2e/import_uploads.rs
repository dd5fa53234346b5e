//! Uploaded sheets stream through (issue 15, "safe at any size"): an upload goes to the object
//! store as it arrives and the worker stages it piece by piece, so a large sheet never sits whole
//! in the server's memory; one cut short or refused leaves nothing behind.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::common::{Killed, TestApp, free_port, server_command, wait_until_up};
use crate::import_jobs::{finished_at, upload};
use crate::work_orders::shop;

/// The files under the store's import directory of the object store.
fn sheets_kept(object_store: &str) -> Vec<PathBuf> {
    let dir = Path::new(object_store).join("imports/SH001");
    match std::fs::read_dir(&dir) {
        Ok(entries) => entries.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// Whether the store's sheets are all gone within a few seconds (a sheet is removed just after
/// its job's end is recorded).
pub async fn sheets_removed(object_store: &str) -> bool {
    for _ in 0..50 {
        if sheets_kept(object_store).is_empty() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

/// The most memory the process has held resident, bytes.
fn high_water_mark(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kb: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kb * 1024
}

// Issue 15: a 96 MiB upload after a 16 MiB one raises the server's memory high-water mark by
// far less than its size, through the upload, the worker's staging and the job; the sheet is
// removed at the end.
#[tokio::test]
async fn a_large_sheet_streams_through_the_server_without_being_held_whole() {
    // This process's own worker stays away: the child server runs the job.
    let app = TestApp::spawn_with(|c| c.import_interval_ms = 3_600_000).await;
    let shop = shop(&app).await;
    let http = format!("127.0.0.1:{}", free_port());
    let child = server_command(&app)
        .env("AFTERSALES_HTTP_ADDR", &http)
        .env("AFTERSALES_GRPC_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("AFTERSALES_OBJECT_STORE_URL", &app.config.object_store_url)
        .env("AFTERSALES_IMPORT_INTERVAL_MS", "50")
        .env("AFTERSALES_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the server starts");
    let child = Killed(child);
    let client = reqwest::Client::new();
    let base = format!("http://{http}");
    let send = |bytes: Vec<u8>| {
        let form = Form::new().part("file", Part::bytes(bytes).file_name("old-dms.csv"));
        client
            .post(format!("{base}/v1/stores/SH001/imports"))
            .bearer_auth(&shop.supervisor)
            .multipart(form)
            .send()
    };
    wait_until_up(&client, &format!("{base}/healthz")).await;

    // A sheet whose header no column matches: the job reads the header and ends.
    let sheet = |size: usize| {
        let line = b"0123456789,abcdefghij,0123456789,abcdefghij\n";
        let mut sheet = b"junk\n".to_vec();
        while sheet.len() + line.len() <= size {
            sheet.extend_from_slice(line);
        }
        sheet
    };
    // A 16 MiB sheet first, so that what any upload needs once (buffers, the allocator's
    // arenas) is already counted.
    let first = send(sheet(16 << 20)).await.unwrap();
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    let first: serde_json::Value = first.json().await.unwrap();
    finished_at(&client, &base, &shop.supervisor, first["id"].as_str().unwrap()).await;
    let before = high_water_mark(child.0.id());

    // Then one six times as large.
    const SIZE: usize = 96 << 20;
    let answer = send(sheet(SIZE)).await.unwrap();
    assert_eq!(answer.status(), StatusCode::ACCEPTED);
    let job: serde_json::Value = answer.json().await.unwrap();
    let job = finished_at(&client, &base, &shop.supervisor, job["id"].as_str().unwrap()).await;
    let grown = high_water_mark(child.0.id()).saturating_sub(before);
    let removed = sheets_removed(&app.config.object_store_url).await;
    drop(child);
    assert_eq!(job["counts"]["rows"], 0, "{job}");
    assert!(
        // Held whole, it would be its size at least (twice: received, then staged).
        (grown as usize) < SIZE / 2,
        "a {} MiB sheet raised the high-water mark by {} MiB",
        SIZE >> 20,
        grown >> 20
    );
    assert!(removed, "the sheets are removed once their jobs end");
}

// Issue 15: a sheet over the limit streamed over gRPC is refused as too large, naming the limit,
// and neither a job nor a part of the sheet is left behind.
#[tokio::test]
async fn a_sheet_over_the_limit_is_refused_and_leaves_nothing_behind() {
    use aftersales_grpc::{ImportServiceClient, pb};
    let app = TestApp::spawn_with(|c| c.import_interval_ms = 3_600_000).await;
    let shop = shop(&app).await;
    let mut client = ImportServiceClient::new(app.grpc_channel.clone());
    const MIB: usize = 1024 * 1024;
    let pieces = (0..=aftersales_domain::app::MAX_UPLOAD / MIB).map(|i| pb::StartImportRequest {
        store: if i == 0 { "SH001".into() } else { String::new() },
        file_name: if i == 0 { "huge.csv".into() } else { String::new() },
        data: vec![b'x'; MIB],
        ..Default::default()
    });
    let refused = client
        .start_import(crate::common::authed(&shop.supervisor, tokio_stream::iter(pieces)))
        .await
        .expect_err("too large");
    assert_eq!(crate::common::status_details(&refused).0, "payload_too_large", "{refused:?}");
    assert!(refused.message().contains(&aftersales_domain::app::MAX_UPLOAD.to_string()), "{refused:?}");
    assert!(sheets_kept(&app.config.object_store_url).is_empty(), "nothing of the sheet is kept");
    let jobs = app.get("/v1/stores/SH001/imports", &shop.supervisor).await.body;
    assert_eq!(jobs["imports"], serde_json::json!([]), "no job");
}

// Issue 15: the sheet is stored as it arrives, before the parts after it are read: when one of
// those is refused, the stored sheet is removed, and a second file part is refused.
#[tokio::test]
async fn a_refused_part_after_the_sheet_removes_the_sheet() {
    let app = TestApp::spawn_with(|c| c.import_interval_ms = 3_600_000).await;
    let shop = shop(&app).await;
    let sheet = b"name,phone,vin,make,model\n".to_vec();
    let (status, body) =
        upload(&app, &shop.supervisor, "a.csv", sheet.clone(), &[("dry_run", "maybe")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["field"], "dry_run", "{body}");
    assert!(sheets_kept(&app.config.object_store_url).is_empty(), "the refused upload's sheet is removed");

    let form = Form::new()
        .part("file", Part::bytes(sheet.clone()).file_name("a.csv"))
        .part("file", Part::bytes(sheet).file_name("b.csv"));
    let url = format!("{}/v1/stores/SH001/imports", app.base);
    let res =
        reqwest::Client::new().post(url).bearer_auth(&shop.supervisor).multipart(form).send().await.unwrap();
    let status = res.status();
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["errors"][0]["field"], "file", "{body}");
    assert!(sheets_kept(&app.config.object_store_url).is_empty(), "neither sheet is kept");

    // The same sheet alone is queued, and run.
    let (status, job) =
        upload(&app, &shop.supervisor, "a.csv", b"name,phone,vin,make,model\n".to_vec(), &[]).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(sheets_kept(&app.config.object_store_url).len(), 1, "the queued sheet waits for the worker");
}

// Issue 15: a sheet is stored as it arrives, and a client that goes away in the middle of it
// leaves nothing behind: the part stored so far is removed, and no job is made.
#[tokio::test]
async fn a_client_gone_in_the_middle_of_its_sheet_leaves_nothing_behind() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn_with(|c| c.import_interval_ms = 3_600_000).await;
    let shop = shop(&app).await;
    let addr = app.base.trim_start_matches("http://").to_string();
    let mut conn = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /v1/stores/SH001/imports HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: multipart/form-data; boundary=XyZ\r\nContent-Length: 100000000\r\n\r\n\
         --XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\
         Content-Type: text/csv\r\n\r\nname,phone,vin\r\n",
        shop.supervisor
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    // 12 MiB: more than two of the object store's 5 MiB parts.
    let lines = b"0123456789,abcdefghij,0123456789\r\n".repeat(32 * 1024);
    for _ in 0..12 {
        conn.write_all(&lines).await.unwrap();
    }
    let mut stored = false;
    for _ in 0..100 {
        if !sheets_kept(&app.config.object_store_url).is_empty() {
            stored = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(stored, "the sheet is being stored before it has all arrived");
    drop(conn);
    assert!(sheets_removed(&app.config.object_store_url).await, "what was stored is removed");
    let jobs = app.get("/v1/stores/SH001/imports", &shop.supervisor).await.body;
    assert_eq!(jobs["imports"], serde_json::json!([]), "no job");
}

//! Attachments (WO-14) from outside, on both databases and on both object stores: the local
//! directory of the in-process server, and an S3 bucket on a local S3 server (`moto`) behind the
//! server binary run as its own process with the `AWS_*` settings production uses. The same
//! journey runs against each: stored once by content, read back byte-identical, listed with the
//! entry inspection, refused to another store, 413 and 415 with their codes, shown as thumbnails
//! on the work order and through the approval link.

use std::process::{Child, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

use crate::common::{Killed, TestApp, free_port, server_command, wait_until_up};
use crate::work_orders::shop;

/// A real photo: a PNG of `width` x `height`, or the same as a JPEG.
fn photo(width: u32, height: u32, jpeg: bool) -> Vec<u8> {
    let image =
        image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 128]));
    let mut out = std::io::Cursor::new(Vec::new());
    let format = if jpeg { image::ImageFormat::Jpeg } else { image::ImageFormat::Png };
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// Answer of a raw request: status, headers, bytes.
struct Raw {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    bytes: Vec<u8>,
}

impl Raw {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.bytes).unwrap_or(Value::Null)
    }
}

async fn upload(http: &reqwest::Client, url: &str, token: &str, to: &str, bytes: Vec<u8>) -> Raw {
    let form =
        Form::new().text("attached_to", to.to_string()).part("file", Part::bytes(bytes).file_name("p.jpg"));
    let res = http.post(url).bearer_auth(token).multipart(form).send().await.unwrap();
    Raw { status: res.status(), headers: res.headers().clone(), bytes: res.bytes().await.unwrap().to_vec() }
}

async fn get(http: &reqwest::Client, url: &str, token: Option<&str>) -> Raw {
    let mut req = http.get(url);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.unwrap();
    Raw { status: res.status(), headers: res.headers().clone(), bytes: res.bytes().await.unwrap().to_vec() }
}

/// The journey, against the server at `base` (which stores bytes where `objects` counts them);
/// `app` seeds the records on the same database.
async fn journey<F, Fut>(app: &TestApp, base: &str, objects: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let http = &app.http;
    let shop = shop(app).await;
    let order = shop.create(app, 30_000).await;
    let id = order["id"].as_str().unwrap();
    let files = format!("{base}{}/{id}/attachments", shop.orders());
    let before = objects().await;

    // Stored once: the same bytes twice on the entry inspection answer the one attachment.
    let png = photo(800, 600, false);
    let first = upload(http, &files, &shop.advisor, "entry_inspection", png.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.json());
    let again = upload(http, &files, &shop.advisor, "entry_inspection", png.clone()).await;
    assert_eq!(again.status, StatusCode::OK, "{:?}", again.json());
    assert_eq!(again.json()["id"], first.json()["id"]);
    assert_eq!(first.json()["content_type"], "png");
    assert_eq!(objects().await, before + 1, "same bytes, one object");
    let jpeg = photo(1200, 900, true);
    let second = upload(http, &files, &shop.advisor, "entry_inspection", jpeg.clone()).await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(objects().await, before + 2);

    // Read back byte-identical, with the sniffed type.
    let content = format!("{files}/{}/content", first.json()["id"].as_str().unwrap());
    let back = get(http, &content, Some(&shop.technician)).await;
    assert_eq!(back.status, StatusCode::OK);
    assert_eq!(back.bytes, png, "byte-identical");
    assert_eq!(back.headers["content-type"], "image/png");
    assert_eq!(back.headers["x-content-type-options"], "nosniff");

    // Listed with the inspection, and by record.
    let entry = app
        .post(
            &format!("{}/{id}/inspections/entry", shop.orders()),
            &shop.advisor,
            json!({"methods": ["visual"], "findings": "右后门划痕"}),
        )
        .await;
    assert_eq!(entry.status, StatusCode::CREATED, "{:?}", entry.body);
    let inspections =
        get(http, &format!("{base}{}/{id}/inspections", shop.orders()), Some(&shop.advisor)).await.json();
    let listed: Vec<&Value> =
        inspections["entry_attachments"].as_array().unwrap().iter().map(|a| &a["id"]).collect();
    assert_eq!(listed, vec![&first.json()["id"], &second.json()["id"]]);
    let only = get(http, &format!("{files}?attached_to=entry_inspection&page_size=1"), Some(&shop.advisor))
        .await
        .json();
    assert_eq!(only["attachments"].as_array().map(Vec::len), Some(1));
    assert!(!only["next_page_token"].as_str().unwrap().is_empty());

    // Never served to another store, nor uploaded into it.
    let other = app.seed_store("BJ001").await;
    let stranger = app.token("nosy", &["advisor", "supervisor"], &[&other]);
    assert_eq!(get(http, &content, Some(&stranger)).await.status, StatusCode::NOT_FOUND);
    let theirs = upload(http, &files, &stranger, "entry_inspection", png.clone()).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    assert_eq!(get(http, &content, None).await.status, StatusCode::UNAUTHORIZED);

    // Clear refusals: too large, not an image, a record not on the order, a role that may not.
    let huge = vec![0xFFu8; 20 * 1024 * 1024];
    let big = upload(http, &files, &shop.advisor, "entry_inspection", huge).await;
    assert_eq!(
        (big.status, big.json()["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
    let text = upload(http, &files, &shop.advisor, "entry_inspection", b"just some text".to_vec()).await;
    assert_eq!(
        (text.status, text.json()["code"].as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, Some("unsupported_media_type"))
    );
    let stray =
        upload(http, &files, &shop.advisor, &format!("line:{}", uuid::Uuid::now_v7()), png.clone()).await;
    assert_eq!(stray.json()["errors"][0]["field"], "attached_to");
    let agent = app.token("fu-1", &["followup_agent"], &[&shop.store]);
    assert_eq!(
        upload(http, &files, &agent, "entry_inspection", png.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(objects().await, before + 2, "nothing refused was stored");

    // The technician photographs the old part; the approval link shows it with its line.
    let part = order["lines"][1]["id"].as_str().unwrap();
    let old_part = photo(320, 240, true);
    let pictured = upload(http, &files, &shop.technician, &format!("part:{part}"), old_part.clone()).await;
    assert_eq!(pictured.status, StatusCode::CREATED, "{:?}", pictured.json());
    let labour = order["lines"][0]["id"].as_str().unwrap();
    let not_part = upload(http, &files, &shop.technician, &format!("part:{labour}"), old_part.clone()).await;
    assert_eq!(not_part.json()["errors"][0]["field"], "attached_to");
    shop.step(app, &order, "submit-quote", &shop.advisor, json!({})).await;
    let link =
        app.post(&format!("{}/{id}/approval-links", shop.orders()), &shop.advisor, json!({})).await.body;
    let path = link["path"].as_str().unwrap();
    let view = get(http, &format!("{base}{path}"), None).await.json();
    let photos = &view["lines"][1]["photos"];
    assert_eq!(photos, &json!([pictured.json()["id"]]), "{view}");
    let through =
        get(http, &format!("{base}{path}/photos/{}", pictured.json()["id"].as_str().unwrap()), None).await;
    assert_eq!((through.status, through.bytes == old_part), (StatusCode::OK, true));
    let entry_photo =
        get(http, &format!("{base}{path}/photos/{}", first.json()["id"].as_str().unwrap()), None).await;
    assert_eq!(entry_photo.status, StatusCode::NOT_FOUND, "the link shows the lines' photos only");

    // The work order document shows the entry photos as thumbnails.
    let page =
        get(http, &format!("{base}{}/{id}/documents/work-order", shop.orders()), Some(&shop.advisor)).await;
    let html = String::from_utf8(page.bytes).unwrap();
    assert_eq!(html.matches("<img class=\"thumb\"").count(), 2, "{}", &html[..html.len().min(2000)]);
    assert!(html.contains("src=\"data:image/jpeg;base64,"));
    assert!(html.len() < png.len() + jpeg.len(), "thumbnails, not the photos");
}

/// Files under `dir`, recursively.
fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries.flatten().map(|e| if e.path().is_dir() { count_files(&e.path()) } else { 1 }).sum()
        })
        .unwrap_or(0)
}

// WO-14, IN-3, GEN-1: the local directory (the default, `make run`).
#[tokio::test]
async fn wo_14_photos_are_stored_once_read_back_listed_and_kept_to_their_store() {
    let app = TestApp::spawn().await;
    let dir = std::path::PathBuf::from(&app.config.object_store_url);
    journey(&app, &app.base, || {
        let dir = dir.clone();
        async move { count_files(&dir) }
    })
    .await;
}

/// A local S3 server (moto), stopped on drop.
struct Moto(Child, u16);

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `moto_server` from `AFTERSALES_TEST_MOTO_SERVER`, or the one `make test` installs under target/.
fn moto_binary() -> std::path::PathBuf {
    if let Some(path) = std::env::var_os("AFTERSALES_TEST_MOTO_SERVER") {
        return path.into();
    }
    let bin = crate::common::server_binary();
    let target = bin.parent().and_then(|p| p.parent()).unwrap();
    let moto = target.join("moto-venv/bin/moto_server");
    assert!(
        moto.exists(),
        "{} is missing: `make test` installs it (pip install 'moto[server]')",
        moto.display()
    );
    moto
}

// WO-14: the same journey with the bytes in an S3 bucket (`s3://bucket/prefix`), the server
// binary configured as in production through the AWS_* variables, against moto.
#[tokio::test]
async fn wo_14_the_same_holds_with_an_s3_bucket() {
    // Only the server on the bucket runs imports.
    let app = TestApp::spawn_with(|c| c.import_interval_ms = 3_600_000).await;
    let port = free_port();
    let moto = Moto(
        std::process::Command::new(moto_binary())
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("moto_server starts"),
        port,
    );
    let s3 = format!("http://127.0.0.1:{}", moto.1);
    wait_until_up(&app.http, &s3).await;
    let bucket = format!("{s3}/attachments-test");
    assert!(app.http.put(&bucket).send().await.unwrap().status().is_success(), "bucket created");

    let http_port = free_port();
    let mut command = server_command(&app);
    command
        .env("AFTERSALES_HTTP_ADDR", format!("127.0.0.1:{http_port}"))
        .env("AFTERSALES_LOG", "warn")
        .env("AFTERSALES_OBJECT_STORE_URL", "s3://attachments-test/store-files")
        .env("AWS_ENDPOINT", &s3)
        .env("AWS_ALLOW_HTTP", "true")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "test-key")
        .env("AWS_SECRET_ACCESS_KEY", "test-secret")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let _server = Killed(command.spawn().expect("the server binary starts"));
    let base = format!("http://127.0.0.1:{http_port}");
    wait_until_up(&app.http, &format!("{base}/readyz")).await;

    let http = app.http.clone();
    let list = format!("{bucket}?list-type=2&prefix=store-files/");
    journey(&app, &base, || {
        let (http, list) = (http.clone(), list.clone());
        async move {
            let body = http.get(&list).send().await.unwrap().text().await.unwrap();
            body.matches("<Key>").count()
        }
    })
    .await;

    // Issue 15: an import sheet larger than a part (5 MiB) goes up to the bucket and comes back
    // to the worker in parts; it is removed once its job is done.
    let note = "x".repeat(12 << 20);
    let sheet = format!(
        "name,phone,vin,make,model,备注\n王五,13700000001,{},大众,朗逸,{note}\n",
        crate::import_jobs::vin(44)
    );
    let supervisor = app.supervisor("SH001");
    let form = Form::new().part("file", Part::bytes(sheet.into_bytes()).file_name("客户.csv"));
    let res = http
        .post(format!("{base}/v1/stores/SH001/imports"))
        .bearer_auth(&supervisor)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let job: Value = res.json().await.unwrap();
    let job = crate::import_jobs::finished_at(&http, &base, &supervisor, job["id"].as_str().unwrap()).await;
    assert_eq!((job["status"].as_str(), job["counts"]["created"].as_u64()), (Some("done"), Some(1)), "{job}");
    // The sheet is removed just after the job's end is recorded.
    let sheets = format!("{bucket}?list-type=2&prefix=store-files/imports/");
    let mut body = String::new();
    for _ in 0..50 {
        body = http.get(&sheets).send().await.unwrap().text().await.unwrap();
        if !body.contains("<Key>") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(body.matches("<Key>").count(), 0, "the sheet is removed: {body}");
}

// WO-14 over gRPC: a client-streamed upload, the content streamed back, the same rules as REST.
#[tokio::test]
async fn wo_14_uploads_stream_over_grpc_with_the_same_rules() {
    use aftersales_grpc::{AttachmentServiceClient, pb};

    use crate::common::{authed, status_details};
    let app = TestApp::spawn_with(|c| c.attachment_max_bytes = 1024 * 1024).await;
    let shop = shop(&app).await;
    let order = shop.create(&app, 30_000).await;
    let id = order["id"].as_str().unwrap().to_string();
    let mut client = AttachmentServiceClient::new(app.grpc_channel.clone());
    let pieces = |bytes: &[u8], to: &str| -> Vec<pb::UploadAttachmentRequest> {
        bytes
            .chunks(16 * 1024)
            .enumerate()
            .map(|(i, data)| pb::UploadAttachmentRequest {
                store: if i == 0 { shop.store.clone() } else { String::new() },
                work_order_id: if i == 0 { id.clone() } else { String::new() },
                attached_to: if i == 0 { to.to_string() } else { String::new() },
                file_name: None,
                data: data.to_vec(),
            })
            .collect()
    };
    let jpeg = photo(900, 700, true);
    assert!(jpeg.len() > 16 * 1024, "several pieces");
    let uploader = client.clone();
    let send = |token: String, msgs: Vec<pb::UploadAttachmentRequest>| {
        let mut client = uploader.clone();
        async move { client.upload_attachment(authed(&token, tokio_stream::iter(msgs))).await }
    };
    let made = send(shop.advisor.clone(), pieces(&jpeg, "entry_inspection")).await.unwrap().into_inner();
    assert_eq!((made.created, made.content_type.as_str()), (true, "image/jpeg"));
    let again = send(shop.advisor.clone(), pieces(&jpeg, "entry_inspection")).await.unwrap().into_inner();
    assert_eq!((again.created, again.id.as_str()), (false, made.id.as_str()));

    let mut stream = client
        .get_attachment_content(authed(
            &shop.technician,
            pb::GetAttachmentContentRequest {
                store: shop.store.clone(),
                work_order_id: id.clone(),
                attachment_id: made.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let mut back = Vec::new();
    while let Some(chunk) = stream.message().await.unwrap() {
        back.extend_from_slice(&chunk.data);
    }
    assert_eq!(back, jpeg, "byte-identical");

    let rest = app.get(&format!("{}/{id}/attachments", shop.orders()), &shop.advisor).await.body;
    let listed = client
        .list_attachments(authed(
            &shop.advisor,
            pb::ListAttachmentsRequest {
                store: shop.store.clone(),
                work_order_id: id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest["attachments"][0]["id"], listed.attachments[0].id);
    assert_eq!(rest["attachments"][0]["sha256"], listed.attachments[0].sha256);
    let mut inspections = aftersales_grpc::InspectionServiceClient::new(app.grpc_channel.clone());
    let with_photos = inspections
        .list_inspections(authed(
            &shop.advisor,
            pb::ListInspectionsRequest {
                store: shop.store.clone(),
                work_order_id: id.clone(),
                updated_since: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let rest_list = app.get(&format!("{}/{id}/inspections", shop.orders()), &shop.advisor).await.body;
    assert_eq!(with_photos.entry_attachments.len(), 1, "listed with the inspections, as on REST");
    assert_eq!(rest_list["entry_attachments"][0]["id"], with_photos.entry_attachments[0].id);

    let big = send(shop.advisor.clone(), pieces(&vec![0xFF; 1024 * 1024 + 1], "entry_inspection"))
        .await
        .unwrap_err();
    assert_eq!(
        (big.code(), status_details(&big).0.as_str()),
        (tonic::Code::InvalidArgument, "payload_too_large")
    );
    let text = send(shop.advisor.clone(), pieces(b"plain text", "entry_inspection")).await.unwrap_err();
    assert_eq!(status_details(&text).0, "unsupported_media_type");
    let agent = app.token("fu-1", &["followup_agent"], &[&shop.store]);
    let denied = send(agent, pieces(&jpeg, "entry_inspection")).await.unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    let stranger = app.token("nosy", &["advisor"], &["BJ001"]);
    let hidden = send(stranger, pieces(&jpeg, "entry_inspection")).await.unwrap_err();
    assert_eq!(hidden.code(), tonic::Code::NotFound);
}

// WO-14, GEN-2: eight uploads of the same bytes to one record at once are one attachment and one
// object; every upload answers it.
#[tokio::test]
async fn wo_14_racing_uploads_of_the_same_bytes_make_one_attachment() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let order = shop.create(&app, 30_000).await;
    let files = format!("{}{}/{}/attachments", app.base, shop.orders(), order["id"].as_str().unwrap());
    let png = photo(400, 300, false);
    let answers = futures_util::future::join_all(
        (0..8).map(|_| upload(&app.http, &files, &shop.advisor, "entry_inspection", png.clone())),
    )
    .await;
    let ids: std::collections::BTreeSet<String> =
        answers.iter().map(|a| a.json()["id"].as_str().unwrap_or("none").to_string()).collect();
    assert_eq!(ids.len(), 1, "{:?}", answers.iter().map(|a| (a.status, a.json())).collect::<Vec<_>>());
    assert_eq!(answers.iter().filter(|a| a.status == StatusCode::CREATED).count(), 1);
    let listed = get(&app.http, &files, Some(&shop.advisor)).await.json();
    assert_eq!(listed["attachments"].as_array().map(Vec::len), Some(1));
    assert_eq!(count_files(std::path::Path::new(&app.config.object_store_url)), 1);
}

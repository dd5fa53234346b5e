//! Moving a store in over the API (issue 15): a sheet uploaded as `multipart/form-data` is an
//! import job a worker runs; its progress and counts, and its report as CSV.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::common::TestApp;
use crate::work_orders::shop;

/// A valid VIN for `n` (ISO 3779 check digit computed).
pub fn vin(n: u32) -> String {
    let body = format!("LSV{:08}{:06}", n / 1_000_000, n % 1_000_000);
    let value = |c: char| match c {
        '0'..='9' => c.to_digit(10).unwrap(),
        'A'..='H' => c as u32 - 'A' as u32 + 1,
        'J'..='R' => c as u32 - 'J' as u32 + 1,
        _ => c as u32 - 'S' as u32 + 2,
    };
    const WEIGHTS: [u32; 17] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];
    let sum: u32 = body.chars().zip(WEIGHTS).map(|(c, w)| value(c) * w).sum();
    let check = match sum % 11 {
        10 => 'X',
        d => char::from_digit(d, 10).unwrap(),
    };
    format!("{}{check}{}", &body[..8], &body[9..])
}

/// Uploads `bytes` as `name` to import into SH001; answers the status and body.
pub async fn upload(
    app: &TestApp,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
    fields: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()));
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    let url = format!("{}/v1/stores/SH001/imports", app.base);
    let res = reqwest::Client::new().post(url).bearer_auth(token).multipart(form).send().await.unwrap();
    let status = res.status();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// Waits until the job is done (or failed); answers it.
pub async fn finished(app: &TestApp, token: &str, id: &str) -> Value {
    finished_at(&app.http, &app.base, token, id).await
}

/// [`finished`], on the server at `base` (another process's).
pub async fn finished_at(http: &reqwest::Client, base: &str, token: &str, id: &str) -> Value {
    let url = format!("{base}/v1/stores/SH001/imports/{id}");
    for _ in 0..600 {
        let job: Value = http.get(&url).bearer_auth(token).send().await.unwrap().json().await.unwrap();
        if job["status"] == "done" || job["status"] == "failed" {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("import {id} did not finish");
}

// Issue 15: an upload answers 202 with a job; the worker runs it; the job shows progress and the
// counts the file holds; the report names each bad row's column and rule; a dry run writes no
// record; an advisor may not import.
#[tokio::test]
async fn an_uploaded_sheet_is_a_job_with_progress_counts_and_a_report() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let mut sheet = String::from("客户姓名,手机,车架号,品牌,车型\n");
    for n in 0..600u32 {
        match n {
            // Bad rows: a phone too short, a VIN with a wrong check digit.
            7 => sheet.push_str("坏,123,,,\n"),
            300 => sheet.push_str(&format!("坏车,1390000{n:04},LSV00000000000000,大众,朗逸\n")),
            _ => sheet.push_str(&format!("客户{n},1390000{n:04},{},大众,朗逸\n", vin(n))),
        }
    }
    let advisor = app.token("adv-1", &["advisor"], &["SH001"]);
    let (denied, _) = upload(&app, &advisor, "客户.csv", sheet.clone().into_bytes(), &[]).await;
    assert_eq!(denied, StatusCode::FORBIDDEN);

    let (status, dry) =
        upload(&app, &shop.supervisor, "客户.csv", sheet.clone().into_bytes(), &[("dry_run", "true")]).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{dry}");
    assert_eq!(dry["status"], "queued");
    let dry = finished(&app, &shop.supervisor, dry["id"].as_str().unwrap()).await;
    assert_eq!(dry["counts"]["created"], 598, "{dry}");
    let none = app.get("/v1/stores/SH001/customers?q=13900000001", &shop.supervisor).await.body;
    assert_eq!(none["customers"], Value::Array(vec![]), "a dry run writes nothing");

    let (status, job) =
        upload(&app, &shop.supervisor, "客户.csv", sheet.into_bytes(), &[("on_duplicate", "merge")]).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id = job["id"].as_str().unwrap().to_string();
    let job = finished(&app, &shop.supervisor, &id).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["committed_row"], 601, "the header and 600 rows");
    let counts = &job["counts"];
    assert_eq!(
        (counts["rows"].as_u64(), counts["created"].as_u64(), counts["refused"].as_u64()),
        (Some(600), Some(598), Some(2))
    );
    let found = app.get("/v1/stores/SH001/customers?q=13900000599", &shop.supervisor).await.body;
    assert_eq!(found["customers"][0]["name"], "客户599");

    let report = app
        .http
        .get(format!("{}/v1/stores/SH001/imports/{id}/report", app.base))
        .bearer_auth(&shop.supervisor)
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), StatusCode::OK);
    assert!(report.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let bytes = report.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM, for Excel");
    let mut lines = csv::Reader::from_reader(&bytes[3..]);
    let named: Vec<(String, String, String)> = lines
        .records()
        .map(|r| r.unwrap())
        .map(|r| (r[0].to_string(), r[1].to_string(), r[3].to_string()))
        .collect();
    assert_eq!(
        named,
        vec![("9".into(), "phone".into(), "phone".into()), ("302".into(), "vin".into(), "vin".into())]
    );

    let listed = app.get("/v1/stores/SH001/imports", &shop.supervisor).await.body;
    assert_eq!(listed["imports"].as_array().unwrap().len(), 2);
    let trail = app.get("/v1/stores/SH001/audit-events?resource_type=import", &shop.supervisor).await.body;
    let actions: Vec<&str> =
        trail["audit_events"].as_array().unwrap().iter().filter_map(|e| e["action"].as_str()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "import.start").count(), 2, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| **a == "import.finish").count(), 2, "{actions:?}");
    app.seed_store("SH002").await;
    let other = app.get(&format!("/v1/stores/SH002/imports/{id}"), &app.supervisor("SH002")).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND, "never another store's");
}

// Issue 15: an uploaded sheet is removed from the object store once its job has ended; a job
// whose sheet the store lost ends as failed, saying so, instead of being leased again forever.
#[tokio::test]
async fn a_sheet_is_removed_when_its_job_ends_and_a_lost_one_fails_the_job() {
    // This server's worker looks once at startup and then not for an hour: the jobs wait.
    let mut app = TestApp::spawn_with(|c| c.import_interval_ms = 3_600_000).await;
    let shop = shop(&app).await;
    let sheet = format!(
        "name,phone,vin,make,model
王五,13700000001,{},大众,朗逸
",
        vin(43)
    );
    let (_, kept) = upload(&app, &shop.supervisor, "a.csv", sheet.clone().into_bytes(), &[]).await;
    let (_, lost) = upload(&app, &shop.supervisor, "b.csv", sheet.into_bytes(), &[("dry_run", "true")]).await;
    let file_of = |job: &Value| {
        std::path::Path::new(&app.config.object_store_url)
            .join(format!("imports/SH001/{}", job["id"].as_str().unwrap()))
    };
    let (kept_file, lost_file) = (file_of(&kept), file_of(&lost));
    assert!(kept_file.exists() && lost_file.exists(), "the sheets wait in the object store");
    std::fs::remove_file(&lost_file).unwrap();

    // A replica that looks often runs both.
    app.config.import_interval_ms = 50;
    let replica = app.replica(std::sync::Arc::new(aftersales_domain::ports::SystemClock)).await;
    let done = finished(&replica, &shop.supervisor, kept["id"].as_str().unwrap()).await;
    assert_eq!((done["status"].as_str(), done["counts"]["created"].as_u64()), (Some("done"), Some(1)));
    assert!(
        crate::import_uploads::sheets_removed(&app.config.object_store_url).await,
        "the sheet is removed once its job is done"
    );
    let failed = finished(&replica, &shop.supervisor, lost["id"].as_str().unwrap()).await;
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(failed["error"].as_str().unwrap().contains("missing"), "{failed}");
    app.shutdown().await;
}

// Issue 15: the same over gRPC: a sheet streamed in is a job; its progress, counts and report,
// the store's list; an advisor may not import.
#[tokio::test]
async fn grpc_imports_stream_a_sheet_in_and_answer_the_job_and_its_report() {
    use aftersales_grpc::{ImportServiceClient, pb};
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let mut client = ImportServiceClient::new(app.grpc_channel.clone());
    let sheet = format!("name,phone,vin,make,model\n王五,13700000001,{},大众,朗逸\n坏,12,,,\n", vin(42));
    let pieces = |store: &str| {
        let bytes = sheet.as_bytes();
        let (head, tail) = bytes.split_at(10);
        vec![
            pb::StartImportRequest {
                store: store.into(),
                file_name: "客户.csv".into(),
                dry_run: false,
                on_duplicate: "merge".into(),
                data: head.to_vec(),
                // Empty: customers, proto3's default.
                kind: String::new(),
            },
            pb::StartImportRequest { data: tail.to_vec(), ..Default::default() },
        ]
    };
    let advisor = app.token("adv-1", &["advisor"], &["SH001"]);
    let denied =
        client.start_import(crate::common::authed(&advisor, tokio_stream::iter(pieces("SH001")))).await;
    assert_eq!(denied.unwrap_err().code(), tonic::Code::PermissionDenied);
    let job = client
        .start_import(crate::common::authed(&shop.supervisor, tokio_stream::iter(pieces("SH001"))))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((job.status.as_str(), job.on_duplicate.as_str()), ("queued", "merge"));
    let done = finished(&app, &shop.supervisor, &job.id).await;
    assert_eq!(done["counts"]["created"], 1, "{done}");
    let got = client
        .get_import(crate::common::authed(
            &shop.supervisor,
            pb::GetImportRequest { store: "SH001".into(), import_id: job.id.clone() },
        ))
        .await
        .unwrap()
        .into_inner();
    let counts = got.counts.unwrap();
    assert_eq!((got.status.as_str(), counts.rows, counts.created, counts.refused), ("done", 2, 1, 1));
    let mut report = client
        .get_import_report(crate::common::authed(
            &shop.supervisor,
            pb::GetImportRequest { store: "SH001".into(), import_id: job.id.clone() },
        ))
        .await
        .unwrap()
        .into_inner();
    let mut named = Vec::new();
    while let Some(p) = report.message().await.unwrap() {
        named.push((p.row, p.column, p.rule));
    }
    assert_eq!(named, vec![(3, "phone".to_string(), "phone".to_string())]);
    let list = client
        .list_imports(crate::common::authed(
            &shop.supervisor,
            pb::ListImportsRequest { store: "SH001".into(), page_size: 10, page_token: String::new() },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.imports.len(), 1);

    // Service history by the same stream (`kind`); a kind it does not know is refused, named.
    let history = format!(
        "order_number,vin,delivered_date,mileage_km,repair_category,line_kind,description,quantity,unit_price\n\
         OLD-9,{},2024-05-05,9000,小修,配件,灯泡,2,15\n",
        crate::common::VINS[0]
    );
    let one = |kind: &str| {
        let first = pb::StartImportRequest {
            store: "SH001".into(),
            file_name: "历史.csv".into(),
            kind: kind.into(),
            data: history.clone().into_bytes(),
            ..Default::default()
        };
        crate::common::authed(&shop.supervisor, tokio_stream::iter(vec![first]))
    };
    let refused = client.start_import(one("orders")).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert_eq!(crate::common::status_details(&refused).1, vec!["kind".to_string()]);
    let job = client.start_import(one("service_history")).await.unwrap().into_inner();
    assert_eq!(job.kind, "service_history");
    let done = finished(&app, &shop.supervisor, &job.id).await;
    assert_eq!(
        (done["status"].as_str(), done["counts"]["created"].as_u64()),
        (Some("done"), Some(1)),
        "{done}"
    );
}

// Issue 15: one resource as an XLSX workbook, the whole store as a ZIP with a manifest; only the
// supervisor exports, and each export is audited.
#[tokio::test]
async fn exports_are_the_supervisors_audited_as_xlsx_per_resource_or_a_zip() {
    use std::io::Read;
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let get = |path: &str, token: &str| {
        let url = format!("{}{path}", app.base);
        let req = app.http.get(url).bearer_auth(token.to_string());
        async move { req.send().await.unwrap() }
    };
    assert_eq!(get("/v1/stores/SH001/export", &shop.advisor).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(get("/v1/stores/SH001/export/customers", &shop.advisor).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        get("/v1/stores/SH001/export/stores", &shop.supervisor).await.status(),
        StatusCode::BAD_REQUEST
    );

    let book = get("/v1/stores/SH001/export/customers", &shop.supervisor).await;
    assert_eq!(book.status(), StatusCode::OK);
    let length: usize = book.headers()["content-length"].to_str().unwrap().parse().unwrap();
    let bytes = book.bytes().await.unwrap().to_vec();
    assert_eq!(bytes.len(), length, "the workbook is sent whole from its file");
    let mut xlsx = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut sheet = String::new();
    xlsx.by_name("xl/worksheets/sheet1.xml").unwrap().read_to_string(&mut sheet).unwrap();
    let mut strings = String::new();
    if let Ok(mut shared) = xlsx.by_name("xl/sharedStrings.xml") {
        shared.read_to_string(&mut strings).unwrap();
    }
    let text = sheet + &strings;
    assert!(
        text.contains("张伟") && text.contains("13812345678") && text.contains(crate::common::VINS[0]),
        "{text}"
    );

    let all = get("/v1/stores/SH001/export", &shop.supervisor).await;
    assert_eq!(all.headers()["content-type"], "application/zip");
    let bytes = all.bytes().await.unwrap().to_vec();
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut manifest = String::new();
    archive.by_name("manifest.json").unwrap().read_to_string(&mut manifest).unwrap();
    let manifest: Value = serde_json::from_str(&manifest).unwrap();
    let files: Vec<(&str, u64)> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["name"].as_str().unwrap(), f["rows"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        files,
        vec![
            ("customers.csv", 1),
            ("work_orders.csv", 0),
            ("service_history.csv", 0),
            ("follow_ups.csv", 0),
            ("complaints.csv", 0)
        ]
    );
    let trail = app.get("/v1/stores/SH001/audit-events?resource_type=store", &shop.supervisor).await.body;
    let exports =
        trail["audit_events"].as_array().unwrap().iter().filter(|e| e["action"] == "data.export").count();
    assert_eq!(exports, 2, "each export audited");
}

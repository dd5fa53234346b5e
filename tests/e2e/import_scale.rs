//! Moving a store in at scale (issue 15): a generated sheet of 100,000 rows (2% bad, 1%
//! repeated), as XLSX and as GB18030 CSV, one import run whole and one killed with SIGKILL at
//! about half and started again; both end with the same records, the same counts and the same
//! report. Then the store's export, imported into an empty store, gives the same files back.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::common::TestApp;
use crate::import_jobs::vin;

/// Rows of the generated sheet: 10,000 in the suite (a debug build); the acceptance run of
/// `make import-acceptance` sets 100,000 on a release build.
fn rows() -> u32 {
    std::env::var("AFTERSALES_IMPORT_ROWS").ok().and_then(|n| n.parse().ok()).unwrap_or(10_000)
}

/// One generated row and, for a bad or repeated one, the (column, rule) the report must name.
fn row(i: u32) -> ([String; 7], Option<(&'static str, &'static str)>) {
    let good = [
        format!("客户{i}"),
        format!("139{i:08}"),
        String::new(),
        vin(i),
        "大众".to_string(),
        "朗逸".to_string(),
        format!("2023-{:02}-{:02}", i % 12 + 1, i % 28 + 1),
    ];
    let mut cells = good;
    let expected = match (i % 50, i % 100) {
        (7, _) => match i % 200 {
            7 => {
                cells[1] = "12345".into();
                Some(("phone", "phone"))
            }
            57 => {
                // A wrong check digit (the 9th character).
                let good = vin(i);
                let wrong = if good.as_bytes()[8] == b'0' { '1' } else { '0' };
                cells[3] = format!("{}{wrong}{}", &good[..8], &good[9..]);
                Some(("vin", "vin"))
            }
            107 => {
                cells[6] = "15/03/2024".into();
                Some(("purchase_date", "date"))
            }
            _ => {
                cells[4] = String::new();
                Some(("make", "required"))
            }
        },
        // A car met ten rows earlier: the same VIN.
        (_, 13) => {
            cells[3] = vin(i - 10);
            Some(("vin", "duplicate_in_file"))
        }
        _ => None,
    };
    (cells, expected)
}

const HEADER: [&str; 7] = ["客户姓名", "手机", "车牌号", "车架号", "品牌", "车型", "购车日期"];

/// Runs the import command; answers its summary line.
fn import(app: &TestApp, file: &std::path::Path, store: &str) -> String {
    crate::imports::run_import(app, "customers", file, store, &[])
}

fn command(app: &TestApp, file: &std::path::Path, store: &str) -> Command {
    crate::imports::import_command(app, "customers", file, store)
}

/// The store's only import job.
async fn job(app: &TestApp, store: &str) -> serde_json::Value {
    let list = app.get(&format!("/v1/stores/{store}/imports"), &app.supervisor(store)).await.body;
    list["imports"].get(0).cloned().unwrap_or(serde_json::Value::Null)
}

/// The report of the store's import: (row, column, rule) per line.
async fn report(app: &TestApp, store: &str, id: &str) -> Vec<(u64, String, String)> {
    let url = format!("{}/v1/stores/{store}/imports/{id}/report", app.base);
    let bytes =
        app.http.get(url).bearer_auth(app.supervisor(store)).send().await.unwrap().bytes().await.unwrap();
    let mut lines = csv::Reader::from_reader(&bytes[3..]);
    lines
        .records()
        .map(|r| r.unwrap())
        .map(|r| (r[0].parse().unwrap(), r[1].to_string(), r[3].to_string()))
        .collect()
}

/// The store's export: each CSV file's lines after the header, sorted, and the manifest.
async fn export(app: &TestApp, store: &str) -> (Vec<String>, serde_json::Value, Vec<u8>) {
    let url = format!("{}/v1/stores/{store}/export", app.base);
    // No overall deadline: a big store's export streams for as long as it takes.
    let res = reqwest::Client::new().get(url).bearer_auth(app.supervisor(store)).send().await.unwrap();
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
    let mut manifest = String::new();
    zip.by_name("manifest.json").unwrap().read_to_string(&mut manifest).unwrap();
    let mut customers = Vec::new();
    zip.by_name("customers.csv").unwrap().read_to_end(&mut customers).unwrap();
    assert!(customers.starts_with(b"\xEF\xBB\xBF"), "a BOM, for Excel");
    let mut lines: Vec<String> =
        String::from_utf8(customers.clone()).unwrap().lines().skip(1).map(str::to_string).collect();
    lines.sort();
    (lines, serde_json::from_str(&manifest).unwrap(), customers)
}

// Issue 15 (done when): 100,000 rows with 2% bad and 1% repeated import with a correct report,
// from XLSX and from GB18030 CSV alike; a run killed with SIGKILL at about half and started again
// ends with exactly the records of an uninterrupted run; an export imported into an empty store
// gives the same customer files back.
#[tokio::test]
async fn a_hundred_thousand_rows_import_alike_whole_or_killed_and_round_trip_through_an_export() {
    let app = TestApp::spawn().await;
    let rows = rows();
    for store in ["SH001", "SH002", "SH003"] {
        app.seed_store(store).await;
    }
    let dir = std::env::temp_dir().join(format!("aftersales-scale-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let (mut csv_text, mut expected) = (HEADER.join(",") + "\r\n", Vec::new());
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, name) in HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *name).unwrap();
    }
    for i in 0..rows {
        let (cells, problem) = row(i);
        let number = u64::from(i) + 2;
        if let Some((column, rule)) = problem {
            expected.push((number, column.to_string(), rule.to_string()));
        }
        csv_text.push_str(&cells.join(","));
        csv_text.push_str("\r\n");
        for (c, value) in cells.iter().enumerate() {
            if !value.is_empty() {
                sheet.write_string(i + 1, c as u16, value).unwrap();
            }
        }
    }
    let xlsx = dir.join("客户.xlsx");
    book.save(&xlsx).unwrap();
    let gb = dir.join("客户.csv");
    std::fs::write(&gb, encoding_rs::GB18030.encode(&csv_text).0).unwrap();
    let refused = expected.len() as u64;

    // Whole, from XLSX.
    let whole = import(&app, &xlsx, "SH002");
    assert!(whole.contains(&format!("{rows} rows")), "{whole}");
    let done = job(&app, "SH002").await;
    let counts = done["counts"].clone();
    assert_eq!(counts["rows"], rows);
    assert_eq!(counts["refused"], refused, "{counts}");
    assert_eq!(counts["created"], u64::from(rows) - refused, "{counts}");
    assert_eq!(counts["problems"], refused, "one problem per bad row");
    let named = report(&app, "SH002", done["id"].as_str().unwrap()).await;
    assert_eq!(named, expected, "every bad row named with its column and rule");

    // From GB18030 CSV, killed with SIGKILL at about half, then started again.
    let mut child = command(&app, &gb, "SH001").stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let mut killed_at = 0;
    for _ in 0..6000 {
        let progress = job(&app, "SH001").await["committed_row"].as_u64().unwrap_or(0);
        if progress >= u64::from(rows) / 2 {
            child.kill().unwrap();
            killed_at = progress;
            break;
        }
        assert!(child.try_wait().unwrap().is_none(), "the import ended before it was killed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.wait().unwrap();
    assert!(killed_at > 0 && killed_at < u64::from(rows), "killed midway: {killed_at}");
    let stopped = job(&app, "SH001").await;
    assert_eq!(stopped["status"], "running", "a killed run leaves its job to resume");
    let resumed = import(&app, &gb, "SH001");
    assert!(resumed.contains("resumed after row"), "{resumed}");
    let again = job(&app, "SH001").await;
    assert_eq!(again["counts"], counts, "the same counts as the whole run");
    assert_eq!(report(&app, "SH001", again["id"].as_str().unwrap()).await, expected);
    let (killed_files, manifest, raw) = export(&app, "SH001").await;
    let (whole_files, _, _) = export(&app, "SH002").await;
    assert_eq!(killed_files.len() as u64, u64::from(rows) - refused);
    assert!(killed_files == whole_files, "exactly the same customer files and cars");
    assert_eq!(manifest["files"][0]["rows"], u64::from(rows) - refused, "{manifest}");

    // Round trip: the export's customer table into an empty store.
    let exported = dir.join("export-customers.csv");
    std::fs::write(&exported, raw).unwrap();
    let into_empty = import(&app, &exported, "SH003");
    assert!(into_empty.contains("0 refused"), "{into_empty}");
    let (round_trip, _, _) = export(&app, "SH003").await;
    assert!(round_trip == killed_files, "the same files after export and import");
    std::fs::remove_dir_all(&dir).ok();
}

//! Moving a store in (issue 15): `aftersales import customers`, run as a store's office would
//! run it, on the suite's database (SQLite or PostgreSQL).

use std::process::Command;

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{SECRET, TestApp, server_binary};
use crate::work_orders::shop;

/// `aftersales import KIND FILE --store STORE` on `app`'s database.
pub fn import_command(app: &TestApp, kind: &str, file: &std::path::Path, store: &str) -> Command {
    let mut cmd = Command::new(server_binary());
    cmd.args(["import", kind])
        .arg(file)
        .args(["--store", store])
        .env("AFTERSALES_DATABASE_URL", &app.config.database_url)
        .env("AFTERSALES_JWT_SECRET", SECRET)
        .env("AFTERSALES_DEMO", "false")
        .env_remove("RUST_LOG");
    cmd
}

/// Runs an import to its end, which must be a success; answers its summary line.
pub fn run_import(app: &TestApp, kind: &str, file: &std::path::Path, store: &str, extra: &[&str]) -> String {
    let out = import_command(app, kind, file, store).args(extra).output().expect("the server binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    stdout
}

/// Runs a customer import into SH001; answers its summary line.
fn import(app: &TestApp, file: &std::path::Path, extra: &[&str]) -> String {
    run_import(app, "customers", file, "SH001", extra)
}

/// The report's rows: row, column and rule.
fn report(path: &std::path::Path) -> Vec<(String, String, String)> {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM, for Excel");
    let mut rows = csv::Reader::from_reader(&bytes[3..]);
    rows.records()
        .map(|r| r.unwrap())
        .map(|r| (r[0].to_string(), r[1].to_string(), r[3].to_string()))
        .collect()
}

// Issue 15: a GB18030 sheet with Chinese headers; bad rows are named with their column and rule
// and not written, a duplicate inside the file and a car already on file are reported, and a
// second run of the same file writes nothing twice.
#[tokio::test]
async fn a_gb18030_sheet_imports_with_a_row_level_report_and_runs_again_safely() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let sheet = "客户姓名,手机,车牌号,车架号,品牌,车型,购车日期\r\n\
                 李娜,13912345678,沪B67890,LFV2A21K7G3000001,大众,帕萨特,2024/3/15\r\n\
                 王芳,1391234,沪C11111,LSGPC52U5AF000002,别克,君威,2024-05-01\r\n\
                 赵强,13700000000,,LSGPC52U5AF000003,别克,君威,\r\n\
                 李娜,139-1234-5678,,,,,\r\n\
                 张伟,13812340000,沪A12345,LSVAU218XN2183294,大众,朗逸,\r\n\
                 陈静,13600000000,,,,,\r\n\
                 张伟,13812345678,,,,,\r\n";
    let (gb, _, lossy) = encoding_rs::GB18030.encode(sheet);
    assert!(!lossy);
    let dir = std::env::temp_dir().join(format!("aftersales-import-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("customers.csv");
    std::fs::write(&file, &gb).unwrap();

    let dry = import(&app, &file, &["--dry-run"]);
    assert!(dry.contains("7 rows") && dry.contains("2 created") && dry.contains("dry run"), "{dry}");
    let before = app.get("/v1/stores/SH001/customers?q=李娜", &shop.supervisor).await.body;
    assert_eq!(before["customers"], Value::Array(vec![]), "a dry run writes nothing");

    let first = import(&app, &file, &[]);
    assert!(first.contains("2 created") && first.contains("5 refused"), "{first}");
    let rows = report(&dir.join("customers.report.csv"));
    let named: Vec<(&str, &str, &str)> =
        rows.iter().map(|(r, c, k)| (r.as_str(), c.as_str(), k.as_str())).collect();
    assert_eq!(
        named,
        vec![
            ("3", "phone", "phone"),
            ("4", "vin", "vin"),
            ("5", "phone", "duplicate_in_file"),
            ("6", "vin", "duplicate_on_file"),
            ("8", "phone", "duplicate_on_file")
        ]
    );
    let found = app.get("/v1/stores/SH001/customers?q=李娜", &shop.supervisor).await;
    assert_eq!(found.status, StatusCode::OK);
    let files = found.body["customers"].as_array().unwrap().clone();
    assert_eq!(files.len(), 1, "{files:?}");
    let id = files[0]["id"].as_str().unwrap();
    let cars = app.get(&format!("/v1/stores/SH001/customers/{id}/vehicles"), &shop.supervisor).await.body;
    assert_eq!(
        (cars["vehicles"][0]["vin"].as_str(), cars["vehicles"][0]["purchase_date"].as_str()),
        (Some("LFV2A21K7G3000001"), Some("2024-03-15"))
    );

    let again = import(&app, &file, &[]);
    assert!(again.contains("already imported: nothing written") && again.contains("2 created"), "{again}");
    let still = app.get("/v1/stores/SH001/customers?q=李娜", &shop.supervisor).await.body;
    assert_eq!(still["customers"].as_array().unwrap().len(), 1, "no row written twice");
    let trail = app.get("/v1/stores/SH001/audit-events?resource_type=customer", &shop.supervisor).await.body;
    let by_import =
        trail["audit_events"].as_array().unwrap().iter().filter(|e| e["actor"] == "import").count();
    assert_eq!(by_import, 2, "each file written once, audited under the import");

    // Merging: a known customer's new car joins their file; a known car's file gets what it lacked.
    let merge = "name,phone,plate,vin,make,model,purchase_date\n\
                 张伟,13812345678,,WVWZZZ1J70W000003,大众,高尔夫,\n\
                 张伟,13812345678,,LSVAU218XN2183294,大众,朗逸,2023-06-01\n";
    let merge_file = dir.join("merge.csv");
    std::fs::write(&merge_file, merge).unwrap();
    let merged = import(&app, &merge_file, &["--on-duplicate", "merge"]);
    assert!(merged.contains("2 merged") && merged.contains("0 created"), "{merged}");
    let path = format!("/v1/stores/SH001/customers/{}/vehicles", shop.customer);
    let cars = app.get(&path, &shop.supervisor).await.body["vehicles"].as_array().unwrap().clone();
    let vins: Vec<(&str, Option<&str>)> =
        cars.iter().map(|c| (c["vin"].as_str().unwrap(), c["purchase_date"].as_str())).collect();
    assert_eq!(vins, vec![("LSVAU218XN2183294", Some("2023-06-01")), ("WVWZZZ1J70W000003", None)]);
    let twice = import(&app, &merge_file, &["--on-duplicate", "merge"]);
    assert!(twice.contains("2 merged"), "{twice}");
    let again = app.get(&path, &shop.supervisor).await.body["vehicles"].as_array().unwrap().len();
    assert_eq!(again, 2, "merged once");
    std::fs::remove_dir_all(&dir).ok();
}

// Issue 15: an XLSX workbook's first sheet, as Excel keeps it: phones as numbers, dates as dates.
#[tokio::test]
async fn an_xlsx_sheet_imports_with_numbers_and_dates_read_as_excel_shows_them() {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let dir = std::env::temp_dir().join(format!("aftersales-import-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("客户.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (c, name) in ["客户姓名", "手机", "车架号", "品牌", "车型", "购车日期"].into_iter().enumerate()
    {
        sheet.write_string(0, c as u16, name).unwrap();
    }
    let day = Format::new().set_num_format("yyyy/m/d");
    sheet.write_string(1, 0, "周杰").unwrap();
    sheet.write_number(1, 1, 13_512_345_678.0).unwrap();
    sheet.write_string(1, 2, "LFV2A21K7G3000001").unwrap();
    sheet.write_string(1, 3, "大众").unwrap();
    sheet.write_string(1, 4, "途观").unwrap();
    sheet.write_datetime_with_format(1, 5, ExcelDateTime::from_ymd(2025, 1, 8).unwrap(), &day).unwrap();
    sheet.write_string(2, 0, "吴敏").unwrap();
    sheet.write_number(2, 1, 13_612_345_678.0).unwrap();
    sheet.write_string(2, 2, "LSGPC52U5AF000003").unwrap();
    sheet.write_string(3, 0, "郑爽").unwrap();
    sheet.write_string(3, 1, "137 1234 5678").unwrap();
    book.save(&file).unwrap();

    let summary = import(&app, &file, &[]);
    assert!(
        summary.contains("3 rows") && summary.contains("2 created") && summary.contains("1 refused"),
        "{summary}"
    );
    let rows = report(&dir.join("客户.report.csv"));
    let named: Vec<(&str, &str)> = rows.iter().map(|(r, c, _)| (r.as_str(), c.as_str())).collect();
    assert_eq!(named, vec![("3", "vin"), ("3", "make"), ("3", "model")]);
    let found = app.get("/v1/stores/SH001/customers?q=13512345678", &shop.supervisor).await.body;
    let id = found["customers"][0]["id"].as_str().expect("the file by its phone").to_string();
    let cars = app.get(&format!("/v1/stores/SH001/customers/{id}/vehicles"), &shop.supervisor).await.body;
    assert_eq!(cars["vehicles"][0]["purchase_date"], "2025-01-08");
    std::fs::remove_dir_all(&dir).ok();
}

// Issue 15: batches are written two at a time on PostgreSQL; a second car of a phone whose file
// the batch before created (still committing) joins that file, in a dry run and a real one alike.
#[tokio::test]
async fn a_second_car_joins_a_file_the_batch_before_created() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let mut sheet = String::from("name,phone,vin,make,model\n");
    for n in 0..600u32 {
        // Row 251 (the first batch's last) and row 252 (the second's first) share a phone; so do
        // rows 2 and 600, batches apart.
        let phone = match n {
            250 => 13_800_000_249,
            598 => 13_800_000_000,
            n => 13_800_000_000 + u64::from(n),
        };
        sheet.push_str(&format!("客户{n},{phone},{},大众,朗逸\n", crate::import_jobs::vin(9000 + n)));
    }
    let dir = std::env::temp_dir().join(format!("aftersales-carry-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cars.csv");
    std::fs::write(&file, sheet).unwrap();
    let dry = import(&app, &file, &["--dry-run"]);
    assert!(dry.contains("598 created") && dry.contains("2 merged"), "{dry}");
    let done = import(&app, &file, &[]);
    assert!(done.contains("598 created") && done.contains("2 merged"), "{done}");
    for phone in ["13800000249", "13800000000"] {
        let found = app.get(&format!("/v1/stores/SH001/customers?q={phone}"), &shop.supervisor).await.body;
        let files = found["customers"].as_array().unwrap();
        assert_eq!(files.len(), 1, "one file for {phone}: {files:?}");
        let id = files[0]["id"].as_str().unwrap();
        let cars = app.get(&format!("/v1/stores/SH001/customers/{id}/vehicles"), &shop.supervisor).await.body;
        assert_eq!(cars["vehicles"].as_array().unwrap().len(), 2, "both cars on the file of {phone}");
    }
    std::fs::remove_dir_all(&dir).ok();
}

//! Moving a store's service history in (issue 15): past delivered orders, a row per line, as
//! `aftersales import history` and as an upload; they are the car's history and its maintenance
//! clock (CF-1), and no follow-up is born for them (FU-1). Export then import into an empty
//! store gives the same files and history back.

use std::io::Read;

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::{TestApp, VINS};
use crate::import_jobs::{finished, upload, vin};
use crate::work_orders::shop;

/// Runs `aftersales import KIND FILE --store STORE`; answers its summary line.
fn import(app: &TestApp, kind: &str, file: &std::path::Path, store: &str, extra: &[&str]) -> String {
    crate::imports::run_import(app, kind, file, store, extra)
}

/// The report file's (row, column, rule) lines.
fn report(path: &std::path::Path) -> Vec<(u64, String, String)> {
    let bytes = std::fs::read(path).unwrap();
    let mut rows = csv::Reader::from_reader(&bytes[3..]);
    rows.records()
        .map(|r| r.unwrap())
        .map(|r| (r[0].parse().unwrap(), r[1].to_string(), r[3].to_string()))
        .collect()
}

/// A store's delivered orders of a car, by number: (number, category, total due, paid).
async fn orders_of(app: &TestApp, store: &str, vin: &str) -> Vec<(String, String, i64, i64)> {
    let url = format!("/v1/stores/{store}/work-orders?vin={vin}&status=delivered");
    let list = app.get(&url, &app.supervisor(store)).await.body;
    let mut out: Vec<_> = list["work_orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let s = &o["settlement"];
            (
                o["number"].as_str().unwrap().to_string(),
                o["repair_category"].as_str().unwrap().to_string(),
                s["amount_due_fen"].as_i64().unwrap(),
                s["amount_paid_fen"].as_i64().unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

/// The export's CSV files of `store` by name, each line after the header, sorted.
async fn export(app: &TestApp, store: &str) -> std::collections::BTreeMap<String, (Vec<u8>, Vec<String>)> {
    let url = format!("{}/v1/stores/{store}/export", app.base);
    let res = app.http.get(url).bearer_auth(app.supervisor(store)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
    let mut out = std::collections::BTreeMap::new();
    for name in ["customers.csv", "service_history.csv"] {
        let mut raw = Vec::new();
        zip.by_name(name).unwrap().read_to_end(&mut raw).unwrap();
        let mut lines: Vec<String> =
            String::from_utf8(raw.clone()).unwrap().lines().skip(1).map(str::to_string).collect();
        lines.sort();
        out.insert(name.to_string(), (raw, lines));
    }
    out
}

// Issue 15 (CF-1, FU-1, WO-8, WO-9): a GB18030 history sheet with Chinese headers, a row per
// line. Good orders become delivered, settled orders of their cars; a bad row refuses its whole
// order and every one of its rows is named; no follow-up, reminder or e-health upload is born;
// the car's last service and odometer move; a second run writes nothing twice.
#[tokio::test]
async fn past_orders_import_as_history_without_follow_ups() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let dir = std::env::temp_dir().join(format!("aftersales-history-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let (car, unknown) = (vin(7001), vin(7002));
    let customers = dir.join("customers.csv");
    std::fs::write(
        &customers,
        format!("name,phone,vin,make,model,purchase_date\n李娜,13912345678,{car},大众,帕萨特,2023-01-05\n"),
    )
    .unwrap();
    assert!(import(&app, "customers", &customers, "SH001", &[]).contains("1 created"));

    let mine = VINS[0];
    let sheet = format!(
        "工单号,车架号,进厂日期,交车日期,进厂里程,维修类别,故障描述,服务顾问,项目类型,项目代码,项目名称,数量,单价,金额,优惠,应收金额,付款方式\r\n\
         H-001,{car},2025/3/1,2025/3/2,\"10,000\",一级维护,首保,王工,工时,M-01,更换机油,1.5,120,180,0,489.60,微信支付\r\n\
         H-001,{car},2025/3/1,2025/3/2,\"10,000\",一级维护,首保,王工,配件,P-OIL,机油,4.5,68.80,309.60,0,489.60,微信支付\r\n\
         H-002,{car},2025/9/9,2025/9/10,15000,二级维护,二保,王工,工时,M-02,二级维护,3,100,300,50,250,现金\r\n\
         H-003,{mine},2024/6/1,2024/6/1,8000,小修,异响,,工时,B-01,检查,1,80,,,,\r\n\
         H-004,{unknown},2025/1/1,2025/1/2,5000,小修,,,工时,B-01,检查,1,80,,,,\r\n\
         H-004,{unknown},2025/1/1,2025/1/2,5000,小修,,,配件,P-01,螺丝,2,1,,,,\r\n\
         H-005,{car},2024/1/1,2024/1/1,6000,小修,,,配件,P-02,灯泡,2,15,31,,,\r\n\
         H-005,{car},2024/1/1,2024/1/1,6000,小修,,,工时,B-02,更换,0.5,80,,,,\r\n\
         H-006,{car},2099/1/1,2099/1/1,90000,小修,,,工时,B-01,检查,1,80,,,,\r\n\
         H-001,{car},2025/3/1,2025/3/2,10000,一级维护,,,工时,M-01,更换机油,1,120,,,,\r\n"
    );
    let (gb, _, lossy) = encoding_rs::GB18030.encode(&sheet);
    assert!(!lossy);
    let file = dir.join("history.csv");
    std::fs::write(&file, &gb).unwrap();

    let dry = import(&app, "history", &file, "SH001", &["--dry-run"]);
    assert!(dry.contains("10 rows") && dry.contains("4 created") && dry.contains("dry run"), "{dry}");
    assert_eq!(orders_of(&app, "SH001", &car).await, vec![], "a dry run writes nothing");

    let first = import(&app, "history", &file, "SH001", &[]);
    assert!(
        first.contains("10 rows") && first.contains("4 created") && first.contains("6 refused"),
        "{first}"
    );
    let named = report(&dir.join("history.report.csv"));
    let expected = vec![
        (6, "vin".to_string(), "vehicle.not_found".to_string()),
        (7, String::new(), "order_refused".to_string()),
        (8, "amount".to_string(), "amount.mismatch".to_string()),
        (9, String::new(), "order_refused".to_string()),
        (10, "delivered_date".to_string(), "date.future".to_string()),
        (11, "order_number".to_string(), "duplicate_in_file".to_string()),
    ];
    assert_eq!(named, expected, "every refused row named, with its column and rule");
    assert_eq!(
        orders_of(&app, "SH001", &car).await,
        vec![
            ("H-001".into(), "level1_maintenance".into(), 48_960, 48_960),
            ("H-002".into(), "level2_maintenance".into(), 25_000, 25_000)
        ],
        "delivered, settled in full, money exact to the fen"
    );
    assert_eq!(orders_of(&app, "SH001", mine).await.len(), 1);

    // The order itself: its lines done, warranty from the delivery day (WO-9), advisor kept.
    let url = format!("/v1/stores/SH001/work-orders?vin={car}&status=delivered");
    let orders = app.get(&url, &shop.supervisor).await.body["work_orders"].as_array().unwrap().clone();
    let h1 = orders.iter().find(|o| o["number"] == "H-001").unwrap();
    assert_eq!(h1["advisor"], "王工");
    assert_eq!(h1["lines"].as_array().unwrap().len(), 2);
    assert!(h1["lines"].as_array().unwrap().iter().all(|l| l["status"] == "done"));
    assert_eq!(h1["warranty_until_date"], "2025-03-12", "level-1: 10 days from delivery");
    assert_eq!(h1["settlement"]["payment_method"], "wechat_pay");
    let id = h1["id"].as_str().unwrap();
    let upload_of =
        app.get(&format!("/v1/stores/SH001/work-orders/{id}/ehealth-record"), &shop.supervisor).await;
    assert_eq!(upload_of.status, StatusCode::NOT_FOUND, "no e-health upload for a past delivery");

    // No follow-up of any kind is born for a past delivery (FU-1).
    let tasks = app.get("/v1/stores/SH001/follow-up-tasks", &shop.supervisor).await.body;
    assert_eq!(tasks["follow_up_tasks"], Value::Array(vec![]), "{tasks}");

    // The car's maintenance clock and odometer (CF-1, CF-6).
    let files = app.get("/v1/stores/SH001/customers?q=李娜", &shop.supervisor).await.body;
    let owner = files["customers"][0]["id"].as_str().unwrap().to_string();
    let cars = app.get(&format!("/v1/stores/SH001/customers/{owner}/vehicles"), &shop.supervisor).await.body;
    let v = &cars["vehicles"][0];
    assert_eq!(
        (v["last_service_date"].as_str(), v["last_service_km"].as_u64()),
        (Some("2025-09-10"), Some(15_000))
    );
    assert_eq!(v["mileage_km"], 15_000);
    assert!(v["next_maintenance_due_date"].as_str().is_some_and(|d| d > "2025-09-10"), "{v}");

    // Run again: already imported. Another file naming H-001 again: reported, or skipped.
    let again = import(&app, "history", &file, "SH001", &[]);
    assert!(again.contains("already imported: nothing written"), "{again}");
    let overlap = dir.join("overlap.csv");
    std::fs::write(
        &overlap,
        format!(
            "order_number,vin,delivered_date,mileage_km,repair_category\nH-001,{car},2025-03-02,10000,level1_maintenance\nSH001-2025-000001,{car},2025-03-02,10000,minor_repair\n"
        ),
    )
    .unwrap();
    let reported = import(&app, "history", &overlap, "SH001", &[]);
    assert!(reported.contains("2 refused"), "{reported}");
    let named = report(&dir.join("overlap.report.csv"));
    let rules: Vec<&str> = named.iter().map(|(_, _, r)| r.as_str()).collect();
    assert_eq!(rules, vec!["duplicate_on_file", "order_number.reserved"]);
    let skipped = import(&app, "history", &overlap, "SH001", &["--on-duplicate", "skip"]);
    assert!(skipped.contains("1 skipped") && skipped.contains("1 refused"), "{skipped}");
    assert_eq!(orders_of(&app, "SH001", &car).await.len(), 2, "no order written twice");

    // The audit trail names the import as the writer of each order.
    let trail =
        app.get("/v1/stores/SH001/audit-events?resource_type=work_order", &shop.supervisor).await.body;
    let imported = trail["audit_events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "work_order.import")
        .count();
    assert_eq!(imported, 3);

    // Uploaded as a job, into a store whose cars came the same way; then the round trip.
    app.seed_store("SH002").await;
    let exported = export(&app, "SH001").await;
    let (raw_customers, customer_lines) = &exported["customers.csv"];
    let (raw_history, history_lines) = &exported["service_history.csv"];
    assert_eq!(history_lines.len(), 4, "a line per row: {history_lines:?}");
    let into = |name: &str, raw: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, raw).unwrap();
        path
    };
    let moved = import(&app, "customers", &into("c.csv", raw_customers), "SH002", &[]);
    assert!(moved.contains("0 refused"), "{moved}");
    let moved = import(&app, "history", &into("h.csv", raw_history), "SH002", &[]);
    assert!(moved.contains("4 created") && moved.contains("0 refused"), "{moved}");
    let back = export(&app, "SH002").await;
    assert_eq!(&back["customers.csv"].1, customer_lines, "the same customer files");
    assert_eq!(&back["service_history.csv"].1, history_lines, "the same history");
    std::fs::remove_dir_all(&dir).ok();
}

// Issue 15: a history sheet uploaded over REST with `kind=service_history` runs as a job like a
// customer sheet; a bad kind is refused naming the field.
#[tokio::test]
async fn a_history_sheet_uploads_as_a_job() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let sheet = format!(
        "order_number,vin,delivered_date,mileage_km,repair_category,line_kind,description,quantity,unit_price\n\
         OLD-1,{},2024-05-05,9000,minor_repair,part,灯泡,2,15\n\
         OLD-2,{},2024-05-06,9100,小修,part,灯泡,x,15\n",
        VINS[0], VINS[0]
    );
    let (status, bad) =
        upload(&app, &shop.supervisor, "h.csv", sheet.clone().into_bytes(), &[("kind", "orders")]).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    assert!(bad.to_string().contains("kind"), "{bad}");
    let (status, job) =
        upload(&app, &shop.supervisor, "h.csv", sheet.into_bytes(), &[("kind", "service_history")]).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    assert_eq!(job["kind"], "service_history");
    let done = finished(&app, &shop.supervisor, job["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!((done["counts"]["created"].as_u64(), done["counts"]["refused"].as_u64()), (Some(1), Some(1)));
    assert_eq!(
        orders_of(&app, "SH001", VINS[0]).await,
        vec![("OLD-1".into(), "minor_repair".into(), 3000, 3000)]
    );
}

// Issue 15 with issue 14 (令第43号 第二十四条（四）): repairs a store made before it moved in count
// toward the car's 三包 standing. Four past repairs of one fault imported with their fault code
// and tag make the first repair after the move the fifth: the owner may ask for a replacement or
// a refund. The export writes the tag back in the sheet's layout.
#[tokio::test]
async fn imported_repairs_count_toward_the_cars_sanbao_standing() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let today = chrono::Utc::now().date_naive();
    let path = format!("/v1/stores/SH001/customers/{}/vehicles/{}", shop.customer, shop.vehicle);
    let bought = app
        .patch(&path, &shop.advisor, serde_json::json!({"purchase_date": today - chrono::Days::new(200)}))
        .await;
    assert_eq!(bought.status, StatusCode::OK, "{:?}", bought.body);

    let mut sheet = "工单号,车架号,交车日期,进厂里程,维修类别,项目类型,项目代码,项目名称,数量,单价,故障代码,三包系统,更换类型\n".to_string();
    for (n, days) in [150u64, 120, 90, 60].into_iter().enumerate() {
        let day = today - chrono::Days::new(days);
        let replaced = if n == 0 { "主要零部件" } else { "" };
        sheet += &format!(
            "OLD-{n},{},{day},{},小修,配件,P-BRK,制动分泵,1,300,BRK-02,制动系统,{replaced}\n",
            VINS[0],
            20_000 + n * 1_000
        );
    }
    let dir = std::env::temp_dir().join(format!("aftersales-sanbao-{}", uuid::Uuid::now_v7()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("history.csv");
    std::fs::write(&file, sheet).unwrap();
    let summary = import(&app, "history", &file, "SH001", &[]);
    assert!(summary.contains("4 created") && summary.contains("0 refused"), "{summary}");

    let fifth = shop.create_with(&app, crate::sanbao::brake_repair(&shop, 30_000, "BRK-02", false)).await;
    assert_eq!(
        fifth["sanbao"]["repairs_by_fault"],
        serde_json::json!([{"fault": "BRK-02", "repairs": 5}]),
        "{:?}",
        fifth["sanbao"]
    );
    assert!(
        crate::sanbao::rights(&fifth)
            .contains(&("replace_or_refund".into(), Some("same_problem_over4_repairs".into()))),
        "{:?}",
        fifth["sanbao"]
    );

    let history = &export(&app, "SH001").await["service_history.csv"].1;
    assert_eq!(history.len(), 4, "{history:?}");
    assert!(history.iter().all(|l| l.contains(",BRK-02,brakes,false,")), "{history:?}");
    assert_eq!(history.iter().filter(|l| l.contains(",brakes,false,main_part,")).count(), 1, "{history:?}");
    std::fs::remove_dir_all(&dir).ok();
}

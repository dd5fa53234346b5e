//! Customer files over REST: CF-1, CF-4, CF-5, CF-6, GEN-1, GEN-2.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{TestApp, VINS};

// CF-1
#[tokio::test]
async fn a_created_customer_reads_back_with_an_etag_and_location_of_truth() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let created = app
        .post(
            &format!("/v1/stores/{store}/customers"),
            &token,
            json!({"name": "张伟", "phone": "+86 138-1234-5678", "address": "上海市浦东新区", "company": "浦东物流",
                   "preferred_channel": "wechat", "marketing_consent": true, "consent_method": "written"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["phone"], "13812345678");
    assert_eq!(created.body["etag"], "v1");
    assert_eq!(created.headers["etag"], "\"v1\"");
    let id = created.body["id"].as_str().unwrap();
    let read = app.get(&format!("/v1/stores/{store}/customers/{id}"), &token).await;
    assert_eq!(read.status, StatusCode::OK);
    assert_eq!(read.body, created.body);
}

// CF-4
#[tokio::test]
async fn a_bad_vin_plate_or_phone_is_refused_naming_each_field() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let bad_phone = app
        .post(&format!("/v1/stores/{store}/customers"), &token, json!({"name": "张伟", "phone": "12345"}))
        .await;
    assert_eq!(bad_phone.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad_phone.fields(), vec!["phone"]);
    assert_eq!(bad_phone.headers["content-type"], "application/problem+json");

    let customer = app.seed_customer(&store, "张伟", "13812345678").await;
    let id = customer["id"].as_str().unwrap();
    let bad = app
        .post(
            &format!("/v1/stores/{store}/customers/{id}/vehicles"),
            &token,
            json!({"vin": "LSVAU2181N2183294", "plate": "AA12345", "make": "大众", "model": "朗逸"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.fields(), vec!["vin", "plate"]);
    assert!(bad.body["errors"][0]["message"].as_str().unwrap().contains("check digit"));
}

// GEN-2
#[tokio::test]
async fn the_same_idempotency_key_creates_one_customer_and_a_different_body_is_refused() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let path = format!("/v1/stores/{store}/customers");
    let body = json!({"name": "张伟", "phone": "13812345678"});
    let key = [("Idempotency-Key", "create-zhang-1")];
    let first = app.send(Method::POST, &path, Some(&token), Some(body.clone()), &key).await;
    let again = app.send(Method::POST, &path, Some(&token), Some(body), &key).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(first.body, again.body);
    let list = app.get(&path, &token).await;
    assert_eq!(list.body["customers"].as_array().unwrap().len(), 1);

    let other = app
        .send(Method::POST, &path, Some(&token), Some(json!({"name": "李娜", "phone": "13912345678"})), &key)
        .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.code(), "idempotency_key.reused");
}

// GEN-2
#[tokio::test]
async fn concurrent_retries_with_one_key_create_exactly_one_customer() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let path = format!("/v1/stores/{store}/customers");
    let body = json!({"name": "张伟", "phone": "13812345678"});
    let key = [("Idempotency-Key", "burst-1")];
    let tries = (0..6).map(|_| app.send(Method::POST, &path, Some(&token), Some(body.clone()), &key));
    let answers = futures_util::future::join_all(tries).await;
    let ids: std::collections::BTreeSet<_> = answers
        .iter()
        .map(|a| {
            assert_eq!(a.status, StatusCode::CREATED, "{:?}", a.body);
            a.body["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 1);
    assert_eq!(app.get(&path, &token).await.body["customers"].as_array().unwrap().len(), 1);
}

// GEN-2
#[tokio::test]
async fn a_stale_if_match_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let c = app.seed_customer(&store, "张伟", "13812345678").await;
    let path = format!("/v1/stores/{store}/customers/{}", c["id"].as_str().unwrap());
    let first = app
        .send(Method::PATCH, &path, Some(&token), Some(json!({"address": "上海"})), &[("If-Match", "\"v1\"")])
        .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(first.body["etag"], "v2");
    let stale = app
        .send(Method::PATCH, &path, Some(&token), Some(json!({"address": "北京"})), &[("If-Match", "\"v1\"")])
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(stale.code(), "etag_mismatch");
    assert_eq!(app.get(&path, &token).await.body["address"], "上海");
}

// GEN-2
#[tokio::test]
async fn of_two_concurrent_edits_from_the_same_version_exactly_one_wins() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let c = app.seed_customer(&store, "张伟", "13812345678").await;
    let path = format!("/v1/stores/{store}/customers/{}", c["id"].as_str().unwrap());
    let edits = ["上海", "北京", "广州", "深圳"].map(|city| {
        app.send(
            Method::PATCH,
            &path,
            Some(&token),
            Some(json!({"address": city})),
            &[("If-Match", "\"v1\"")],
        )
    });
    let answers = futures_util::future::join_all(edits).await;
    let won: Vec<_> = answers.iter().filter(|a| a.status == StatusCode::OK).collect();
    assert_eq!(won.len(), 1, "{:?}", answers.iter().map(|a| a.status).collect::<Vec<_>>());
    assert!(
        answers.iter().all(|a| a.status == StatusCode::OK || a.status == StatusCode::PRECONDITION_FAILED)
    );
    let now = app.get(&path, &token).await;
    assert_eq!(now.body["address"], won[0].body["address"]);
    assert_eq!(now.body["etag"], "v2");
}

// GEN-2
#[tokio::test]
async fn concurrent_edits_of_different_fields_without_if_match_all_land() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let c = app.seed_customer(&store, "张伟", "13812345678").await;
    let path = format!("/v1/stores/{store}/customers/{}", c["id"].as_str().unwrap());
    let patches = [
        json!({"address": "上海市浦东新区"}),
        json!({"company": "浦东物流"}),
        json!({"preferred_contact_time": "工作日晚上"}),
        json!({"wanted_services": "保养提醒"}),
    ];
    let answers =
        futures_util::future::join_all(patches.iter().map(|p| app.patch(&path, &token, p.clone()))).await;
    assert!(
        answers.iter().all(|a| a.status == StatusCode::OK),
        "{:?}",
        answers.iter().map(|a| &a.body).collect::<Vec<_>>()
    );
    let now = app.get(&path, &token).await.body;
    assert_eq!(
        (&now["address"], &now["company"], &now["preferred_contact_time"], &now["wanted_services"]),
        (&json!("上海市浦东新区"), &json!("浦东物流"), &json!("工作日晚上"), &json!("保养提醒")),
        "no edit was lost"
    );
    assert_eq!(now["etag"], "v5");
}

// CF-5
#[tokio::test]
async fn phones_are_masked_for_technicians_and_whole_for_advisors() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let c = app.seed_customer(&store, "张伟", "13812345678").await;
    let path = format!("/v1/stores/{store}/customers/{}", c["id"].as_str().unwrap());
    let tech = app.get(&path, &app.token("tech-1", &["technician"], &[&store])).await;
    assert_eq!(tech.body["phone"], "138****5678");
    assert_eq!(tech.body["phone_masked"], true);
    let list = app
        .get(&format!("/v1/stores/{store}/customers"), &app.token("tech-1", &["technician"], &[&store]))
        .await;
    assert_eq!(list.body["customers"][0]["phone"], "138****5678");
    let adv = app.get(&path, &app.advisor(&store)).await;
    assert_eq!(adv.body["phone"], "13812345678");
}

// CF-5
#[tokio::test]
async fn consent_changes_are_recorded_with_how_and_when_and_need_a_method() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let c = app.seed_customer(&store, "张伟", "13812345678").await;
    let path = format!("/v1/stores/{store}/customers/{}", c["id"].as_str().unwrap());
    let no_method = app.patch(&path, &token, json!({"marketing_consent": true})).await;
    assert_eq!(no_method.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_method.fields(), vec!["consent_method"]);
    let given =
        app.patch(&path, &token, json!({"marketing_consent": true, "consent_method": "in_person"})).await;
    assert_eq!(given.body["marketing_consent"], true);
    let withdrawn =
        app.patch(&path, &token, json!({"marketing_consent": false, "consent_method": "sms"})).await;
    assert_eq!(withdrawn.body["marketing_consent"], false);
    let history = app.get(&format!("{path}/consent-events"), &token).await;
    let events = history.body["consent_events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(
        (events[0]["granted"].as_bool(), events[0]["method"].as_str()),
        (Some(true), Some("in_person"))
    );
    assert_eq!((events[1]["granted"].as_bool(), events[1]["method"].as_str()), (Some(false), Some("sms")));
}

// CF-6, CF-1
#[tokio::test]
async fn odometer_readings_only_go_up_and_the_next_maintenance_follows_the_cycle() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let c = app.seed_customer(&store, "张伟", "13812345678").await;
    let cid = c["id"].as_str().unwrap();
    let v = app
        .post(
            &format!("/v1/stores/{store}/customers/{cid}/vehicles"),
            &token,
            json!({"vin": VINS[0], "plate": "沪A12345", "make": "大众", "model": "朗逸", "vehicle_type": "sedan",
                   "mileage_km": 20000, "maintenance_cycle_km": 7500, "maintenance_cycle_months": 6,
                   "last_service_date": "2026-08-31", "last_service_km": 18000}),
        )
        .await;
    assert_eq!(v.status, StatusCode::CREATED, "{:?}", v.body);
    assert_eq!(v.body["next_maintenance_due_date"], "2027-02-28");
    assert_eq!(v.body["next_maintenance_due_km"], 25500);
    let odo = format!(
        "/v1/stores/{store}/customers/{cid}/vehicles/{}/record-odometer",
        v.body["id"].as_str().unwrap()
    );
    let lower = app.post(&odo, &token, json!({"mileage_km": 19000})).await;
    assert_eq!(lower.status, StatusCode::CONFLICT);
    assert_eq!(lower.code(), "odometer.reading_lower");
    let higher = app.post(&odo, &token, json!({"mileage_km": 21000})).await;
    assert_eq!(higher.body["mileage_km"], 21000);
    let fixed =
        app.post(&odo, &token, json!({"mileage_km": 2100, "correction": true, "note": "一位数录错"})).await;
    assert_eq!(fixed.status, StatusCode::OK, "{:?}", fixed.body);
    assert_eq!(fixed.body["mileage_km"], 2100);
    let negative = app.post(&odo, &token, json!({"mileage_km": -5})).await;
    assert_eq!(negative.status, StatusCode::BAD_REQUEST);
    assert_eq!(negative.fields(), vec!["mileage_km"]);
}

// CF-6, GEN-2
#[tokio::test]
async fn concurrent_odometer_readings_keep_the_highest_and_never_clash() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let c = app.seed_customer(&store, "张伟", "13812345678").await;
    let cid = c["id"].as_str().unwrap();
    let v = app.seed_vehicle(&store, cid, VINS[0], "沪A12345").await;
    let odo =
        format!("/v1/stores/{store}/customers/{cid}/vehicles/{}/record-odometer", v["id"].as_str().unwrap());
    let readings = [21_000, 23_000, 22_000, 24_000];
    let answers = futures_util::future::join_all(
        readings.iter().map(|km| app.post(&odo, &token, json!({"mileage_km": km}))),
    )
    .await;
    for a in &answers {
        assert!(
            a.status == StatusCode::OK || a.code() == "odometer.reading_lower",
            "a reading either lands or is lower than one that landed first: {:?}",
            a.body
        );
    }
    let vehicle = app.get(&odo.replace("/record-odometer", ""), &token).await;
    assert_eq!(vehicle.body["mileage_km"], 24_000);
}

// CF-6
#[tokio::test]
async fn a_vin_is_on_one_file_per_store_but_may_be_in_another_store() {
    let app = TestApp::spawn().await;
    let sh = app.seed_store("SH001").await;
    let bj = app.seed_store("BJ001").await;
    let a = app.seed_customer(&sh, "张伟", "13812345678").await;
    let b = app.seed_customer(&sh, "李娜", "13912345678").await;
    app.seed_vehicle(&sh, a["id"].as_str().unwrap(), VINS[0], "沪A12345").await;
    let again = app
        .post(
            &format!("/v1/stores/{sh}/customers/{}/vehicles", b["id"].as_str().unwrap()),
            &app.advisor(&sh),
            json!({"vin": VINS[0], "make": "大众", "model": "朗逸"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "vehicle.already_exists");
    let elsewhere = app.seed_customer(&bj, "张伟", "13812345678").await;
    app.seed_vehicle(&bj, elsewhere["id"].as_str().unwrap(), VINS[0], "沪A12345").await;
}

// CF-6, CF-5
#[tokio::test]
async fn merging_two_files_moves_the_vehicles_and_keeps_an_opt_out() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let keep = app
        .post(
            &format!("/v1/stores/{store}/customers"),
            &token,
            json!({"name": "张伟", "phone": "13812345678", "marketing_consent": true, "consent_method": "written"}),
        )
        .await
        .body;
    let dup = app.seed_customer(&store, "张 伟", "13812345678").await;
    let (keep_id, dup_id) = (keep["id"].as_str().unwrap(), dup["id"].as_str().unwrap());
    app.seed_vehicle(&store, dup_id, VINS[1], "沪B12345").await;

    let merged = app
        .post(&format!("/v1/stores/{store}/customers/{keep_id}/merge"), &token, json!({"source_id": dup_id}))
        .await;
    assert_eq!(merged.status, StatusCode::OK, "{:?}", merged.body);
    assert_eq!(merged.body["marketing_consent"], false, "the duplicate never consented");
    let vehicles = app.get(&format!("/v1/stores/{store}/customers/{keep_id}/vehicles"), &token).await;
    assert_eq!(vehicles.body["vehicles"][0]["vin"], VINS[1]);
    let gone = app.get(&format!("/v1/stores/{store}/customers/{dup_id}"), &token).await;
    assert_eq!(gone.body["merged_into"], keep_id);
    let list = app.get(&format!("/v1/stores/{store}/customers"), &token).await;
    assert_eq!(list.body["customers"].as_array().unwrap().len(), 1);
    let edit =
        app.patch(&format!("/v1/stores/{store}/customers/{dup_id}"), &token, json!({"name": "x"})).await;
    assert_eq!(edit.code(), "customer.merged");
    let self_merge = app
        .post(&format!("/v1/stores/{store}/customers/{keep_id}/merge"), &token, json!({"source_id": keep_id}))
        .await;
    assert_eq!(self_merge.status, StatusCode::BAD_REQUEST);
}

// CF-1
#[tokio::test]
async fn customers_are_found_by_name_phone_plate_or_vin_and_paged_stably() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let zhang = app.seed_customer(&store, "张伟", "13812345678").await;
    let li = app.seed_customer(&store, "Li Na", "13987654321").await;
    app.seed_customer(&store, "王芳", "13700001111").await;
    app.seed_vehicle(&store, li["id"].as_str().unwrap(), VINS[2], "粤B D12345").await;
    let find = |q: &str| format!("/v1/stores/{store}/customers?{q}");
    let names = |a: &crate::common::Answer| -> Vec<String> {
        a.body["customers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(names(&app.get(&find("q=%E5%BC%A0"), &token).await), vec!["张伟"]);
    assert_eq!(names(&app.get(&find("q=li%20na"), &token).await), vec!["Li Na"]);
    // The phone whole or its last four digits, as a desk asks for it; not digits from the middle.
    assert_eq!(names(&app.get(&find("q=4321"), &token).await), vec!["Li Na"]);
    assert_eq!(names(&app.get(&find("q=139-8765-4321"), &token).await), vec!["Li Na"]);
    assert!(names(&app.get(&find("q=5432"), &token).await).is_empty());
    // The VIN whole or its last 6 or 8; the plate with or without its province.
    assert_eq!(names(&app.get(&find("q=af000002"), &token).await), vec!["Li Na"]);
    assert_eq!(names(&app.get(&find("q=000002"), &token).await), vec!["Li Na"]);
    assert_eq!(names(&app.get(&find("q=%E7%B2%A4B%20D12345"), &token).await), vec!["Li Na"]);
    assert_eq!(names(&app.get(&find("q=BD12345"), &token).await), vec!["Li Na"]);
    assert_eq!(names(&app.get(&find("plate=%E7%B2%A4BD12345"), &token).await), vec!["Li Na"]);
    assert_eq!(names(&app.get(&find(&format!("vin={}", VINS[2])), &token).await), vec!["Li Na"]);
    assert!(names(&app.get(&find("q=%25"), &token).await).is_empty(), "% is literal, not a wildcard");
    let bad = app.get(&find("plate=nope"), &token).await;
    assert_eq!(bad.fields(), vec!["plate"]);

    let first = app.get(&find("page_size=2"), &token).await;
    assert_eq!(names(&first).len(), 2);
    let tok = first.body["next_page_token"].as_str().unwrap().to_string();
    assert!(!tok.is_empty());
    app.seed_customer(&store, "赵六", "13600002222").await;
    let second = app.get(&find(&format!("page_size=2&page_token={tok}")), &token).await;
    assert_eq!(names(&second), vec!["王芳", "赵六"]);
    assert_eq!(names(&first)[0], zhang["name"].as_str().unwrap());
    let bad_token = app.get(&find("page_token=zzz"), &token).await;
    assert_eq!(bad_token.fields(), vec!["page_token"]);
}

// GEN-1
#[tokio::test]
async fn every_write_is_in_the_audit_trail_with_its_changed_fields() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let c = app.seed_customer(&store, "张伟", "13812345678").await;
    let id = c["id"].as_str().unwrap();
    app.patch(
        &format!("/v1/stores/{store}/customers/{id}"),
        &app.advisor(&store),
        json!({"address": "上海", "company": ""}),
    )
    .await;
    let sup = app.supervisor(&store);
    let trail = app.get(&format!("/v1/stores/{store}/audit-events?resource_id={id}"), &sup).await;
    assert_eq!(trail.status, StatusCode::OK);
    let events = trail.body["audit_events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0]["action"], "customer.create");
    assert_eq!(events[1]["action"], "customer.update");
    assert_eq!(events[1]["actor"], "adv-1");
    assert_eq!(events[1]["changed_fields"], json!(["address", "company"]));

    // Consent sent but unchanged is not a change; a real one is (CF-5).
    let path = format!("/v1/stores/{store}/customers/{id}");
    let adv = app.advisor(&store);
    app.patch(&path, &adv, json!({"marketing_consent": false, "consent_method": "sms", "name": "张伟"}))
        .await;
    app.patch(&path, &adv, json!({"marketing_consent": true, "consent_method": "written"})).await;
    let trail = app.get(&format!("/v1/stores/{store}/audit-events?resource_id={id}"), &sup).await;
    let events = trail.body["audit_events"].as_array().unwrap();
    assert_eq!(events[2]["changed_fields"], json!(["name"]));
    assert_eq!(events[3]["changed_fields"], json!(["marketing_consent"]));
    let denied = app.get(&format!("/v1/stores/{store}/audit-events"), &app.advisor(&store)).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}

// CF-1, CF-6: the search index follows every change: a renamed file is found by its new name
// only, and after a merge the surviving file is found by the merged file's plate.
#[tokio::test]
async fn search_follows_renames_and_merges() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let keep = app.seed_customer(&store, "张伟", "13812345678").await["id"].as_str().unwrap().to_string();
    let dup = app.seed_customer(&store, "张 伟", "13812340000").await["id"].as_str().unwrap().to_string();
    app.seed_vehicle(&store, &dup, VINS[1], "沪B54321").await;
    let ids = |a: &crate::common::Answer| -> Vec<String> {
        a.body["customers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap().to_string())
            .collect()
    };
    let find = |q: &str| format!("/v1/stores/{store}/customers?q={q}");
    let renamed =
        app.patch(&format!("/v1/stores/{store}/customers/{keep}"), &token, json!({"name": "张伟强"})).await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    assert_eq!(ids(&app.get(&find("%E4%BC%9F%E5%BC%BA"), &token).await), vec![keep.clone()], "伟强");
    assert_eq!(
        ids(&app.get(&find("%E5%BC%A0%E4%BC%9F"), &token).await).len(),
        2,
        "张伟: both files, newest first"
    );
    assert_eq!(ids(&app.get(&find("%E5%BC%A0%E4%BC%9F"), &token).await)[0], dup);
    let merged = app
        .post(&format!("/v1/stores/{store}/customers/{keep}/merge"), &token, json!({"source_id": dup}))
        .await;
    assert_eq!(merged.status, StatusCode::OK, "{:?}", merged.body);
    assert_eq!(ids(&app.get(&find("B54321"), &token).await), vec![keep.clone()], "the merged file's car");
    assert_eq!(
        ids(&app.get(&find("0000"), &token).await),
        Vec::<String>::new(),
        "a merged-away file is gone"
    );
}

// CF-4, GEN-2: a plate longer than the schema allows is refused as sent, even when it is only
// spaces (which would otherwise read as "no plate"), and before the etag is looked at.
#[tokio::test]
async fn a_plate_past_the_limit_is_refused_as_sent_whatever_the_etag() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let c = app.seed_customer(&store, "张伟", "13812345678").await;
    let cid = c["id"].as_str().unwrap();
    let vehicles = format!("/v1/stores/{store}/customers/{cid}/vehicles");
    let spaces = "\u{3000}".repeat(17);
    let add = app
        .post(
            &vehicles,
            &token,
            json!({"vin": VINS[0], "plate": spaces, "make": "大众", "model": "朗逸",
                                        "mileage_km": 1000}),
        )
        .await;
    assert_eq!((add.status, add.fields()), (StatusCode::BAD_REQUEST, vec!["plate".to_string()]));
    let v = app.seed_vehicle(&store, cid, VINS[0], "沪A12345").await;
    let path = format!("{vehicles}/{}", v["id"].as_str().unwrap());
    let patch = app
        .send(
            reqwest::Method::PATCH,
            &path,
            Some(&token),
            Some(json!({"plate": spaces})),
            &[("If-Match", "v0")],
        )
        .await;
    assert_eq!((patch.status, patch.fields()), (StatusCode::BAD_REQUEST, vec!["plate".to_string()]));
}

// CF-6: every distance a client sends is bounded as the schema says (2,000,000 km), on every
// operation that takes one, and the bound is checked before the etag.
#[tokio::test]
async fn every_distance_past_the_limit_is_refused_naming_its_field() {
    let app = TestApp::spawn().await;
    let shop = crate::work_orders::shop(&app).await;
    let (store, cid, token) = (&shop.store, &shop.customer, &shop.advisor);
    let over = 2_000_001u32;
    let vehicles = format!("/v1/stores/{store}/customers/{cid}/vehicles");
    let car = format!("{vehicles}/{}", shop.vehicle);
    let refused = |a: &crate::common::Answer, field: &str| {
        assert_eq!(
            (a.status, a.fields()),
            (StatusCode::BAD_REQUEST, vec![field.to_string()]),
            "{:?}",
            a.body
        );
    };
    for field in ["mileage_km", "last_service_km"] {
        let mut body = json!({"vin": VINS[1], "make": "大众", "model": "朗逸", "mileage_km": 1000});
        body[field] = json!(over);
        refused(&app.post(&vehicles, token, body).await, field);
    }
    let patch = app
        .send(
            reqwest::Method::PATCH,
            &car,
            Some(token),
            Some(json!({"last_service_km": over})),
            &[("If-Match", "v0")],
        )
        .await;
    refused(&patch, "last_service_km");
    refused(
        &app.post(&format!("{car}/record-odometer"), token, json!({"mileage_km": over})).await,
        "mileage_km",
    );
    let order = crate::work_orders::new_order(&shop, over);
    refused(&app.post(&format!("/v1/stores/{store}/work-orders"), token, order).await, "intake_mileage_km");
    let ok = app.post(&format!("{car}/record-odometer"), token, json!({"mileage_km": 2_000_000})).await;
    assert_eq!(ok.status, StatusCode::OK, "the limit itself is a reading: {:?}", ok.body);
}

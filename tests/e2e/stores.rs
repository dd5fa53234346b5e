//! Stores and staff lists over REST and gRPC.

use aftersales_grpc::pb;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{TestApp, authed};

// CF-2, FU-1, FU-2, FU-5, FU-6, FU-7: a new store starts with the regulation's day limits.
#[tokio::test]
async fn an_admin_creates_a_store_with_the_regulation_defaults_and_changes_its_settings() {
    let app = TestApp::spawn().await;
    let admin = app.admin();
    let created = app.post("/v1/stores", &admin, json!({"code": "sh002", "name": "上海闵行4S店"})).await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["code"], "SH002");
    assert_eq!(created.body["timezone"], "Asia/Shanghai");
    assert_eq!(
        created.body["call_hours"],
        json!([{"start": "09:00", "end": "12:00"}, {"start": "14:00", "end": "20:00"}])
    );
    assert_eq!(created.body["sla"]["first_follow_up_from_day"], 3);
    assert_eq!(created.body["sla"]["complaint_escalation_days"], 2);

    let dup = app.post("/v1/stores", &admin, json!({"code": "SH002", "name": "x"})).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert_eq!(dup.code(), "store.already_exists");

    let bad = app
        .post(
            "/v1/stores",
            &admin,
            json!({"code": "S", "name": "", "timezone": "Mars/Base",
        "call_hours": [{"start": "14:00", "end": "09:00"}]}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.fields(), vec!["code", "name", "timezone", "call_hours[0]"]);

    let changed = app
        .send(
            Method::PATCH,
            "/v1/stores/SH002",
            Some(&admin),
            Some(json!({"timezone": "Europe/Berlin", "sla": {"complaint_escalation_days": 3}})),
            &[("If-Match", "\"v1\"")],
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["timezone"], "Europe/Berlin");
    assert_eq!(changed.body["sla"]["complaint_escalation_days"], 3);
    assert_eq!(changed.body["sla"]["first_follow_up_to_day"], 7);
    let stale = app
        .send(
            Method::PATCH,
            "/v1/stores/SH002",
            Some(&admin),
            Some(json!({"name": "x"})),
            &[("If-Match", "\"v1\"")],
        )
        .await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);

    let grpc = app
        .stores_grpc()
        .get_store(authed(&app.advisor("SH002"), pb::GetStoreRequest { store: "SH002".into() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((grpc.timezone.as_str(), grpc.sla.unwrap().complaint_escalation_days), ("Europe/Berlin", 3));
}

#[tokio::test]
async fn supervisors_keep_the_staff_list_with_store_roles_only() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let sup = app.supervisor(&store);
    let path = format!("/v1/stores/{store}/staff");
    let added =
        app.post(&path, &sup, json!({"id": "fu-001", "name": "陈回访", "roles": ["followup_agent"]})).await;
    assert_eq!(added.status, StatusCode::CREATED);
    assert_eq!(added.body["active"], true);
    let admin_role = app.post(&path, &sup, json!({"id": "x", "name": "x", "roles": ["admin"]})).await;
    assert_eq!(admin_role.fields(), vec!["roles[0]"]);
    let unknown_role = app.post(&path, &sup, json!({"id": "x", "name": "x", "roles": ["boss"]})).await;
    assert_eq!(unknown_role.fields(), vec!["roles[0]"]);
    let dup = app.post(&path, &sup, json!({"id": "fu-001", "name": "x", "roles": ["advisor"]})).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);

    let away = app.patch(&format!("{path}/fu-001"), &sup, json!({"active": false})).await;
    assert_eq!((away.body["active"].as_bool(), away.body["etag"].as_str()), (Some(false), Some("v2")));

    let mut client = app.stores_grpc();
    let created = client
        .create_staff_member(authed(
            &sup,
            pb::CreateStaffMemberRequest {
                store: store.clone(),
                id: "adv-001".into(),
                name: "李顾问".into(),
                roles: vec![pb::Role::Advisor.into(), pb::Role::Supervisor.into()],
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(created.active);
    let listed = app.get(&path, &app.advisor(&store)).await;
    let ids: Vec<_> = listed.body["staff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, vec!["adv-001", "fu-001"]);
    assert_eq!(listed.body["staff"][0]["roles"], json!(["advisor", "supervisor"]));
    let grpc_list = client
        .list_staff(authed(&sup, pb::ListStaffRequest { store, ..Default::default() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(grpc_list.staff.len(), 2);
}

//! A token never reaches another store's data; such a record answers exactly like a missing one
//! (DOMAIN.md "Who works with it", API.md "Auth").

use aftersales_grpc::pb;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{TestApp, VINS, authed};

/// Every REST route with a method and body, for the store and ids given.
fn routes(store: &str, customer: &str, vehicle: &str, staff: &str) -> Vec<(Method, String, Option<Value>)> {
    let c = format!("/v1/stores/{store}/customers/{customer}");
    let v = format!("{c}/vehicles/{vehicle}");
    vec![
        (Method::GET, format!("/v1/stores/{store}"), None),
        (Method::PATCH, format!("/v1/stores/{store}"), Some(json!({"name": "x"}))),
        (
            Method::POST,
            format!("/v1/stores/{store}/staff"),
            Some(json!({"id": "s1", "name": "x", "roles": ["advisor"]})),
        ),
        (Method::GET, format!("/v1/stores/{store}/staff"), None),
        (Method::GET, format!("/v1/stores/{store}/staff/{staff}"), None),
        (Method::PATCH, format!("/v1/stores/{store}/staff/{staff}"), Some(json!({"active": false}))),
        (Method::GET, format!("/v1/stores/{store}/audit-events"), None),
        (
            Method::POST,
            format!("/v1/stores/{store}/customers"),
            Some(json!({"name": "x", "phone": "13812345678"})),
        ),
        (Method::GET, format!("/v1/stores/{store}/customers"), None),
        (Method::GET, format!("/v1/stores/{store}/customers?q=13812345678"), None),
        (Method::GET, format!("/v1/stores/{store}/customers?vin={}", VINS[0]), None),
        (Method::GET, c.clone(), None),
        (Method::PATCH, c.clone(), Some(json!({"address": "x"}))),
        (
            Method::POST,
            format!("{c}/merge"),
            Some(json!({"source_id": "0190f6a4-0000-7000-8000-000000000000"})),
        ),
        (Method::GET, format!("{c}/consent-events"), None),
        (Method::POST, format!("{c}/vehicles"), Some(json!({"vin": VINS[3], "make": "x", "model": "y"}))),
        (Method::GET, format!("{c}/vehicles"), None),
        (Method::GET, v.clone(), None),
        (Method::PATCH, v.clone(), Some(json!({"color": "红"}))),
        (Method::POST, format!("{v}/record-odometer"), Some(json!({"mileage_km": 99999}))),
    ]
}

#[tokio::test]
async fn a_token_for_one_store_gets_not_found_for_every_rest_route_of_another() {
    let app = TestApp::spawn().await;
    let mine = app.seed_store("SH001").await;
    let theirs = app.seed_store("BJ001").await;
    let customer = app.seed_customer(&theirs, "张伟", "13812345678").await;
    let cid = customer["id"].as_str().unwrap().to_string();
    let vehicle = app.seed_vehicle(&theirs, &cid, VINS[0], "京A12345").await;
    let vid = vehicle["id"].as_str().unwrap().to_string();
    let staff = app
        .post(
            &format!("/v1/stores/{theirs}/staff"),
            &app.supervisor(&theirs),
            json!({"id": "adv-9", "name": "x", "roles": ["advisor"]}),
        )
        .await;
    assert_eq!(staff.status, StatusCode::CREATED);

    // Every role of a store, and admin, but only for SH001.
    let token =
        app.token("nosy", &["advisor", "supervisor", "technician", "followup_agent", "admin"], &[&mine]);
    let missing_store = routes("ZZ999", &cid, &vid, "adv-9");
    for (i, (method, path, body)) in routes(&theirs, &cid, &vid, "adv-9").into_iter().enumerate() {
        let answer = app.send(method.clone(), &path, Some(&token), body.clone(), &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}: {:?}", answer.body);
        let (m2, p2, b2) = &missing_store[i];
        let missing = app.send(m2.clone(), p2, Some(&token), b2.clone(), &[]).await;
        // Each request has its own trace id; everything else must be the same.
        let untraced = |mut body: serde_json::Value| {
            assert!(body.get("trace_id").is_some_and(serde_json::Value::is_string), "{body}");
            body.as_object_mut().map(|o| o.remove("trace_id"));
            body
        };
        assert_eq!(
            untraced(answer.body),
            untraced(missing.body),
            "{method} {path} must answer exactly as a store that does not exist"
        );
    }

    // Their ids under my store are just as absent.
    for (method, path, body) in routes(&mine, &cid, &vid, "adv-9")
        .into_iter()
        .filter(|(_, p, _)| p.contains(&cid) || p.contains("adv-9"))
    {
        let answer = app.send(method.clone(), &path, Some(&token), body, &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}: {:?}", answer.body);
    }
    let search = app.get(&format!("/v1/stores/{mine}/customers?vin={}", VINS[0]), &token).await;
    assert_eq!(search.body["customers"], json!([]));
    let stores = app.get("/v1/stores", &token).await;
    assert_eq!(stores.body["stores"].as_array().unwrap().len(), 1);
    assert_eq!(stores.body["stores"][0]["code"], "SH001");

    // Nothing of theirs changed.
    let theirs_now = app.get(&format!("/v1/stores/{theirs}/customers/{cid}"), &app.advisor(&theirs)).await;
    assert_eq!(theirs_now.body, customer);
}

#[tokio::test]
async fn a_token_for_one_store_gets_not_found_for_every_grpc_method_of_another() {
    let app = TestApp::spawn().await;
    let mine = app.seed_store("SH001").await;
    let theirs = app.seed_store("BJ001").await;
    let customer = app.seed_customer(&theirs, "张伟", "13812345678").await;
    let cid = customer["id"].as_str().unwrap().to_string();
    let vid = app.seed_vehicle(&theirs, &cid, VINS[0], "京A12345").await["id"].as_str().unwrap().to_string();
    let token = app.token("nosy", &["advisor", "supervisor", "technician", "admin"], &[&mine]);
    let t = token.as_str();
    let s = theirs.clone();
    let mut stores = app.stores_grpc();
    let mut customers = app.customers_grpc();
    let codes = vec![
        ("GetStore", stores.get_store(authed(t, pb::GetStoreRequest { store: s.clone() })).await.err()),
        (
            "UpdateStore",
            stores
                .update_store(authed(
                    t,
                    pb::UpdateStoreRequest {
                        store: Some(pb::Store { code: s.clone(), name: "x".into(), ..Default::default() }),
                        update_mask: Some(prost_types::FieldMask { paths: vec!["name".into()] }),
                        etag: String::new(),
                    },
                ))
                .await
                .err(),
        ),
        (
            "ListStaff",
            stores
                .list_staff(authed(t, pb::ListStaffRequest { store: s.clone(), ..Default::default() }))
                .await
                .err(),
        ),
        (
            "CreateStaffMember",
            stores
                .create_staff_member(authed(
                    t,
                    pb::CreateStaffMemberRequest {
                        store: s.clone(),
                        id: "x".into(),
                        name: "x".into(),
                        roles: vec![pb::Role::Advisor.into()],
                        ..Default::default()
                    },
                ))
                .await
                .err(),
        ),
        (
            "ListAuditEvents",
            stores
                .list_audit_events(authed(
                    t,
                    pb::ListAuditEventsRequest { store: s.clone(), ..Default::default() },
                ))
                .await
                .err(),
        ),
        (
            "GetCustomer",
            customers
                .get_customer(authed(
                    t,
                    pb::GetCustomerRequest { store: s.clone(), customer_id: cid.clone() },
                ))
                .await
                .err(),
        ),
        (
            "ListCustomers",
            customers
                .list_customers(authed(
                    t,
                    pb::ListCustomersRequest { store: s.clone(), ..Default::default() },
                ))
                .await
                .err(),
        ),
        (
            "CreateCustomer",
            customers
                .create_customer(authed(
                    t,
                    pb::CreateCustomerRequest {
                        store: s.clone(),
                        name: "x".into(),
                        phone: "13812345678".into(),
                        ..Default::default()
                    },
                ))
                .await
                .err(),
        ),
        (
            "UpdateCustomer",
            customers
                .update_customer(authed(
                    t,
                    pb::UpdateCustomerRequest {
                        store: s.clone(),
                        customer: Some(pb::Customer {
                            id: cid.clone(),
                            name: "x".into(),
                            ..Default::default()
                        }),
                        update_mask: Some(prost_types::FieldMask { paths: vec!["name".into()] }),
                        ..Default::default()
                    },
                ))
                .await
                .err(),
        ),
        (
            "MergeCustomers",
            customers
                .merge_customers(authed(
                    t,
                    pb::MergeCustomersRequest {
                        store: s.clone(),
                        target_id: cid.clone(),
                        source_id: uuid::Uuid::now_v7().to_string(),
                        request_id: String::new(),
                    },
                ))
                .await
                .err(),
        ),
        (
            "ListConsentEvents",
            customers
                .list_consent_events(authed(
                    t,
                    pb::ListConsentEventsRequest { store: s.clone(), customer_id: cid.clone() },
                ))
                .await
                .err(),
        ),
        (
            "AddVehicle",
            customers
                .add_vehicle(authed(
                    t,
                    pb::AddVehicleRequest {
                        store: s.clone(),
                        customer_id: cid.clone(),
                        vin: VINS[3].into(),
                        make: "x".into(),
                        model: "y".into(),
                        ..Default::default()
                    },
                ))
                .await
                .err(),
        ),
        (
            "ListVehicles",
            customers
                .list_vehicles(authed(
                    t,
                    pb::ListVehiclesRequest {
                        store: s.clone(),
                        customer_id: cid.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .err(),
        ),
        (
            "GetVehicle",
            customers
                .get_vehicle(authed(
                    t,
                    pb::GetVehicleRequest {
                        store: s.clone(),
                        customer_id: cid.clone(),
                        vehicle_id: vid.clone(),
                    },
                ))
                .await
                .err(),
        ),
        (
            "UpdateVehicle",
            customers
                .update_vehicle(authed(
                    t,
                    pb::UpdateVehicleRequest {
                        store: s.clone(),
                        customer_id: cid.clone(),
                        vehicle: Some(pb::Vehicle {
                            id: vid.clone(),
                            color: Some("红".into()),
                            ..Default::default()
                        }),
                        update_mask: Some(prost_types::FieldMask { paths: vec!["color".into()] }),
                        etag: String::new(),
                    },
                ))
                .await
                .err(),
        ),
        (
            "RecordOdometer",
            customers
                .record_odometer(authed(
                    t,
                    pb::RecordOdometerRequest {
                        store: s.clone(),
                        customer_id: cid.clone(),
                        vehicle_id: vid.clone(),
                        mileage_km: 99999,
                        ..Default::default()
                    },
                ))
                .await
                .err(),
        ),
    ];
    for (method, status) in codes {
        let status = status.unwrap_or_else(|| panic!("{method} answered another store's data"));
        assert_eq!(status.code(), tonic::Code::NotFound, "{method}: {status:?}");
    }
    let listed = stores.list_stores(authed(t, pb::ListStoresRequest::default())).await.unwrap().into_inner();
    assert_eq!(listed.stores.iter().map(|s| s.code.as_str()).collect::<Vec<_>>(), vec!["SH001"]);
}

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

/// The appointment routes of `store` (capacity, availability, the day, one appointment, each
/// step), with bodies that would pass validation.
fn appointment_routes(store: &str, appointment: &str) -> Vec<(Method, String, Option<Value>)> {
    let a = format!("/v1/stores/{store}/appointments/{appointment}");
    let start = crate::appointments::at("15:00");
    vec![
        (Method::GET, format!("/v1/stores/{store}/capacity"), None),
        (Method::PUT, format!("/v1/stores/{store}/capacity"), Some(json!({}))),
        (
            Method::GET,
            format!(
                "/v1/stores/{store}/availability?from=2026-12-07&to=2026-12-07&service_types=maintenance"
            ),
            None,
        ),
        (
            Method::POST,
            format!("/v1/stores/{store}/appointments"),
            Some(json!({"service_types": ["maintenance"], "start": start, "channel": "app"})),
        ),
        (Method::GET, format!("/v1/stores/{store}/appointments?date=2026-12-07"), None),
        (Method::GET, a.clone(), None),
        (Method::POST, format!("{a}/confirm"), Some(json!({}))),
        (Method::POST, format!("{a}/reschedule"), Some(json!({"start": start}))),
        (Method::POST, format!("{a}/cancel"), Some(json!({"by": "customer"}))),
        (
            Method::POST,
            format!("{a}/check-in"),
            Some(json!({"intake_mileage_km": 1000, "repair_category": "minor_repair", "promised_at": start})),
        ),
    ]
}

// GEN-1 for appointments: another store's token finds none of them, exactly as if the store did
// not exist, and changes nothing.
#[tokio::test]
async fn a_token_for_one_store_gets_not_found_for_every_appointment_route_of_another() {
    use crate::appointments::{FRIDAY, at, customer_with_car, setup};
    let capacity = json!({
        "bays": {"general": 1},
        "advisors": ["adv-0"],
        "services": [{"code": "maintenance", "name": "常规保养", "minutes": 60, "bay": "general"}],
    });
    let app = setup(crate::common::TestClock::at(FRIDAY), capacity).await;
    let (customer, _) = customer_with_car(&app).await;
    let theirs = app
        .post(
            "/v1/stores/SH001/appointments",
            &app.advisor("SH001"),
            json!({"service_types": ["maintenance"], "start": at("10:00"), "channel": "app",
                   "visitor": {"customer_id": customer, "fault_description": "保养"}}),
        )
        .await;
    assert_eq!(theirs.status, StatusCode::CREATED, "{:?}", theirs.body);
    let id = theirs.body["id"].as_str().unwrap();
    let mine = app.seed_store("BJ001").await;
    let token = app.token("nosy", &["advisor", "supervisor", "admin"], &[&mine]);
    let missing = appointment_routes("ZZ999", id);
    for (i, (method, path, body)) in appointment_routes("SH001", id).into_iter().enumerate() {
        let answer = app.send(method.clone(), &path, Some(&token), body, &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}: {:?}", answer.body);
        let (m2, p2, b2) = &missing[i];
        let absent = app.send(m2.clone(), p2, Some(&token), b2.clone(), &[]).await;
        let untraced = |mut body: Value| {
            body.as_object_mut().map(|o| o.remove("trace_id"));
            body
        };
        assert_eq!(
            untraced(answer.body),
            untraced(absent.body),
            "{method} {path} must answer exactly as a store that does not exist"
        );
    }
    // Under my own store their appointment is just as absent.
    for (method, path, body) in appointment_routes(&mine, id).into_iter().filter(|(_, p, _)| p.contains(id)) {
        let answer = app.send(method.clone(), &path, Some(&token), body, &[]).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{method} {path}: {:?}", answer.body);
    }
    let now = app.get(&format!("/v1/stores/SH001/appointments/{id}"), &app.advisor("SH001")).await;
    assert_eq!(now.body, theirs.body);
}

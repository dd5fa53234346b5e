//! The two fronts give the same results and the same error kinds for the same use case.

use aftersales_grpc::pb;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, VINS, authed, status_details};

fn rfc3339(ts: &Option<prost_types::Timestamp>) -> Value {
    match ts {
        None => Value::Null,
        Some(t) => {
            let at = chrono::DateTime::from_timestamp(t.seconds, u32::try_from(t.nanos).unwrap()).unwrap();
            json!(at)
        }
    }
}

fn opt(s: &Option<String>) -> Value {
    s.as_ref().map_or(Value::Null, |v| json!(v))
}

/// Renders a proto enum name as its JSON string (`CONTACT_CHANNEL_SMS` -> `sms`), or null if unspecified.
fn enum_json(name: &str, prefix: &str) -> Value {
    match name.strip_prefix(prefix) {
        Some("UNSPECIFIED") | None => Value::Null,
        Some(rest) => json!(rest.to_lowercase()),
    }
}

/// Renders a gRPC customer in the REST JSON shape.
fn customer_json(c: &pb::Customer) -> Value {
    let channel = enum_json(
        pb::ContactChannel::try_from(c.preferred_channel).unwrap().as_str_name(),
        "CONTACT_CHANNEL_",
    );
    json!({
        "id": c.id, "store": c.store, "name": c.name, "phone": c.phone, "phone_masked": c.phone_masked,
        "address": opt(&c.address), "company": opt(&c.company), "preferred_channel": channel,
        "credit_account": c.credit_account,
        "preferred_contact_time": opt(&c.preferred_contact_time), "wanted_services": opt(&c.wanted_services),
        "marketing_consent": c.marketing_consent, "marketing_consent_changed_at": rfc3339(&c.marketing_consent_changed_at),
        "merged_into": opt(&c.merged_into), "etag": c.etag,
        "created_at": rfc3339(&c.created_at), "updated_at": rfc3339(&c.updated_at),
    })
}

/// Renders a gRPC vehicle in the REST JSON shape.
fn vehicle_json(v: &pb::Vehicle) -> Value {
    let kind = enum_json(pb::VehicleType::try_from(v.vehicle_type).unwrap().as_str_name(), "VEHICLE_TYPE_");
    json!({
        "id": v.id, "store": v.store, "customer_id": v.customer_id, "vin": v.vin, "plate": opt(&v.plate),
        "make": v.make, "model": v.model, "vehicle_type": kind, "color": opt(&v.color),
        "registration_date": opt(&v.registration_date), "purchase_date": opt(&v.purchase_date), "mileage_km": v.mileage_km,
        "maintenance_cycle_km": v.maintenance_cycle_km, "maintenance_cycle_months": v.maintenance_cycle_months,
        "last_service_date": opt(&v.last_service_date), "last_service_km": v.last_service_km,
        "next_maintenance_due_date": opt(&v.next_maintenance_due_date), "next_maintenance_due_km": v.next_maintenance_due_km,
        "owner_since": v.owner_since, "etag": v.etag,
        "created_at": rfc3339(&v.created_at), "updated_at": rfc3339(&v.updated_at),
    })
}

/// Compares instants at microsecond precision (PostgreSQL keeps microseconds).
fn normalise(mut v: Value) -> Value {
    if let Value::Object(map) = &mut v {
        for (key, value) in map.iter_mut() {
            if key.ends_with("_at")
                && let Some(s) = value.as_str()
            {
                let at = chrono::DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&chrono::Utc);
                *value = json!(at.timestamp_micros());
            }
        }
    }
    v
}

// CF-1
#[tokio::test]
async fn a_customer_created_over_rest_reads_back_identically_over_grpc() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let rest = app
        .post(
            &format!("/v1/stores/{store}/customers"),
            &token,
            json!({"name": "张伟", "phone": "13812345678", "address": "上海", "preferred_channel": "sms",
                   "marketing_consent": true, "consent_method": "phone", "wanted_services": "保养提醒"}),
        )
        .await
        .body;
    let id = rest["id"].as_str().unwrap().to_string();
    let grpc = app
        .customers_grpc()
        .get_customer(authed(
            &token,
            pb::GetCustomerRequest { store: store.clone(), customer_id: id.clone() },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(normalise(customer_json(&grpc)), normalise(rest));

    let vehicle = app.seed_vehicle(&store, &id, VINS[0], "沪A12345").await;
    let grpc_vehicle = app
        .customers_grpc()
        .get_vehicle(authed(
            &token,
            pb::GetVehicleRequest {
                store,
                customer_id: id,
                vehicle_id: vehicle["id"].as_str().unwrap().into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(normalise(vehicle_json(&grpc_vehicle)), normalise(vehicle));
}

// CF-1
#[tokio::test]
async fn a_customer_created_over_grpc_reads_back_identically_over_rest() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let mut client = app.customers_grpc();
    let created = client
        .create_customer(authed(
            &token,
            pb::CreateCustomerRequest {
                store: store.clone(),
                name: "李娜".into(),
                phone: "021-6888 1234".into(),
                company: Some("浦东物流".into()),
                preferred_channel: pb::ContactChannel::Wechat.into(),
                request_id: "grpc-create-1".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let rest = app.get(&format!("/v1/stores/{store}/customers/{}", created.id), &token).await;
    assert_eq!(rest.status, StatusCode::OK);
    assert_eq!(normalise(rest.body), normalise(customer_json(&created)));

    let vehicle = client
        .add_vehicle(authed(
            &token,
            pb::AddVehicleRequest {
                store: store.clone(),
                customer_id: created.id.clone(),
                vin: VINS[1].into(),
                plate: Some("沪AD12345".into()),
                make: "比亚迪".into(),
                model: "汉".into(),
                vehicle_type: pb::VehicleType::Sedan.into(),
                registration_date: Some("2024-03-15".into()),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(vehicle.next_maintenance_due_date.as_deref(), Some("2024-09-15"));
    let rest_vehicles =
        app.get(&format!("/v1/stores/{store}/customers/{}/vehicles", created.id), &token).await;
    assert_eq!(normalise(rest_vehicles.body["vehicles"][0].clone()), normalise(vehicle_json(&vehicle)));

    // A retry with the same request_id answers the same customer.
    let again = client
        .create_customer(authed(
            &token,
            pb::CreateCustomerRequest {
                store: store.clone(),
                name: "李娜".into(),
                phone: "021-6888 1234".into(),
                company: Some("浦东物流".into()),
                preferred_channel: pb::ContactChannel::Wechat.into(),
                request_id: "grpc-create-1".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.id, created.id);
}

// CF-4, CF-6, GEN-2
#[tokio::test]
async fn both_fronts_refuse_the_same_inputs_with_the_same_error_kind() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let mut client = app.customers_grpc();

    let rest =
        app.post(&format!("/v1/stores/{store}/customers"), &token, json!({"name": "", "phone": "12"})).await;
    let grpc = client
        .create_customer(authed(
            &token,
            pb::CreateCustomerRequest {
                store: store.clone(),
                name: String::new(),
                phone: "12".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(rest.status, StatusCode::BAD_REQUEST);
    assert_eq!(grpc.code(), tonic::Code::InvalidArgument);
    assert_eq!(status_details(&grpc), (rest.code().to_string(), rest.fields()));

    let c = app.seed_customer(&store, "张伟", "13812345678").await;
    let cid = c["id"].as_str().unwrap().to_string();
    let v = app.seed_vehicle(&store, &cid, VINS[0], "沪A12345").await;
    let vid = v["id"].as_str().unwrap().to_string();
    let rest = app
        .post(
            &format!("/v1/stores/{store}/customers/{cid}/vehicles/{vid}/record-odometer"),
            &token,
            json!({"mileage_km": 10}),
        )
        .await;
    let grpc = client
        .record_odometer(authed(
            &token,
            pb::RecordOdometerRequest {
                store: store.clone(),
                customer_id: cid.clone(),
                vehicle_id: vid.clone(),
                mileage_km: 10,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(rest.status, StatusCode::CONFLICT);
    assert_eq!(grpc.code(), tonic::Code::FailedPrecondition);
    assert_eq!(status_details(&grpc).0, rest.code());

    // A stale etag: 412 on REST, ABORTED on gRPC.
    app.patch(&format!("/v1/stores/{store}/customers/{cid}"), &token, json!({"address": "上海"})).await;
    let grpc = client
        .update_customer(authed(
            &token,
            pb::UpdateCustomerRequest {
                store: store.clone(),
                customer: Some(pb::Customer {
                    id: cid.clone(),
                    address: Some("北京".into()),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask { paths: vec!["address".into()] }),
                etag: "v1".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(grpc.code(), tonic::Code::Aborted);
    assert_eq!(status_details(&grpc).0, "etag_mismatch");
    let fresh = client
        .update_customer(authed(
            &token,
            pb::UpdateCustomerRequest {
                store: store.clone(),
                customer: Some(pb::Customer {
                    id: cid.clone(),
                    address: Some("北京".into()),
                    ..Default::default()
                }),
                update_mask: Some(prost_types::FieldMask { paths: vec!["address".into()] }),
                etag: "v2".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (fresh.address.as_deref(), fresh.name.as_str(), fresh.etag.as_str()),
        (Some("北京"), "张伟", "v3")
    );

    // An unknown enum number and a bad mask path name their fields.
    let grpc = client
        .create_customer(authed(
            &token,
            pb::CreateCustomerRequest {
                store: store.clone(),
                name: "x".into(),
                phone: "13812345678".into(),
                preferred_channel: 99,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status_details(&grpc).1, vec!["preferred_channel"]);
    let grpc = client
        .update_customer(authed(
            &token,
            pb::UpdateCustomerRequest {
                store,
                customer: Some(pb::Customer { id: cid, ..Default::default() }),
                update_mask: Some(prost_types::FieldMask { paths: vec!["id".into()] }),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status_details(&grpc).1, vec!["update_mask"]);
}

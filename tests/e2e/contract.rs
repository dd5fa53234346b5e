//! The published contract: OpenAPI document, docs page, probes, gRPC health and reflection, and
//! hostile input that must never produce a server error or an undocumented answer.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_stream::StreamExt;

use crate::common::{TestApp, VINS};

#[tokio::test]
async fn the_openapi_document_lists_every_route_with_auth_and_error_answers() {
    let app = TestApp::spawn().await;
    let doc = app.send(Method::GET, "/openapi.json", None, None, &[]).await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let paths = doc.body["paths"].as_object().unwrap();
    for path in [
        "/v1/stores",
        "/v1/stores/{store}",
        "/v1/stores/{store}/staff",
        "/v1/stores/{store}/staff/{staff_id}",
        "/v1/stores/{store}/audit-events",
        "/v1/stores/{store}/customers",
        "/v1/stores/{store}/customers/{customer_id}",
        "/v1/stores/{store}/customers/{customer_id}/merge",
        "/v1/stores/{store}/customers/{customer_id}/consent-events",
        "/v1/stores/{store}/customers/{customer_id}/vehicles",
        "/v1/stores/{store}/customers/{customer_id}/vehicles/{vehicle_id}",
        "/v1/stores/{store}/customers/{customer_id}/vehicles/{vehicle_id}/record-odometer",
        "/v1/stores/{store}/work-orders",
        "/v1/stores/{store}/work-orders/{work_order_id}",
        "/v1/stores/{store}/work-orders/{work_order_id}/approve",
        "/v1/stores/{store}/work-orders/{work_order_id}/deliver",
        "/v1/stores/{store}/work-orders/{work_order_id}/inspections/exit",
        "/v1/stores/{store}/work-orders/{work_order_id}/inspections/{inspection_id}",
        "/healthz",
        "/readyz",
    ] {
        assert!(paths.contains_key(path), "{path} missing from the OpenAPI document");
    }
    assert_eq!(doc.body["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");
    let create = &paths["/v1/stores/{store}/customers"]["post"];
    assert_eq!(create["security"], json!([{"bearer": []}]));
    for status in ["201", "400", "401", "403", "404", "409", "422"] {
        assert!(create["responses"].get(status).is_some(), "create customer documents {status}");
    }
    // Error answers are shared under components/responses, each a problem+json body.
    let conflict = create["responses"]["409"]["$ref"].as_str().unwrap_or_default();
    let answer = doc.body.pointer(conflict.trim_start_matches('#')).cloned().unwrap_or_default();
    assert_eq!(
        answer["content"]["application/problem+json"]["schema"]["$ref"], "#/components/schemas/Problem",
        "409 answer {conflict}"
    );
    assert!(doc.body["components"]["schemas"]["CreateCustomer"]["properties"]["phone"].is_object());
    // Every reference resolves: a client generator or fuzzer must never meet a dangling $ref.
    fn refs(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(map) => {
                for (k, child) in map {
                    if k == "$ref" {
                        out.push(child.as_str().unwrap_or_default().to_string());
                    }
                    refs(child, out);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| refs(i, out)),
            Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
        }
    }
    let mut all = Vec::new();
    refs(&doc.body, &mut all);
    assert!(all.len() > 50);
    for reference in all {
        let target = reference.strip_prefix("#/components/").map(|r| format!("/components/{r}"));
        let found = target.and_then(|pointer| doc.body.pointer(&pointer));
        assert!(found.is_some_and(Value::is_object), "dangling reference {reference}");
    }

    let docs = app.http.get(format!("{}/docs/", app.base)).send().await.unwrap();
    assert_eq!(docs.status(), StatusCode::OK);
    let html = docs.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "docs page is the vendored Swagger UI");
    let bundle = app.http.get(format!("{}/docs/swagger-ui-bundle.js", app.base)).send().await.unwrap();
    assert_eq!(bundle.status(), StatusCode::OK, "docs assets are served offline");
}

#[tokio::test]
async fn probes_answer_and_grpc_serves_health_and_reflection() {
    let app = TestApp::spawn().await;
    assert_eq!(app.send(Method::GET, "/healthz", None, None, &[]).await.status, StatusCode::OK);
    assert_eq!(app.send(Method::GET, "/readyz", None, None, &[]).await.body["status"], "ok");

    let mut health = tonic_health::pb::health_client::HealthClient::new(app.grpc_channel.clone());
    let answer = health
        .check(tonic_health::pb::HealthCheckRequest { service: "aftersales.v1.CustomerService".into() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.status, tonic_health::pb::health_check_response::ServingStatus::Serving as i32);

    use tonic_reflection::pb::v1::ServerReflectionRequest;
    use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
    use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
    use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;
    let mut reflection = ServerReflectionClient::new(app.grpc_channel.clone());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut stream =
        reflection.server_reflection_info(tokio_stream::iter(vec![request])).await.unwrap().into_inner();
    let reply = stream.next().await.unwrap().unwrap();
    let Some(MessageResponse::ListServicesResponse(list)) = reply.message_response else {
        panic!("expected a service list");
    };
    let names: Vec<_> = list.service.iter().map(|s| s.name.as_str()).collect();
    for expected in [
        "aftersales.v1.StoreService",
        "aftersales.v1.CustomerService",
        "aftersales.v1.WorkOrderService",
        "aftersales.v1.InspectionService",
        "grpc.health.v1.Health",
    ] {
        assert!(names.contains(&expected), "{expected} not listed: {names:?}");
    }
    // What grpcurl does next: fetch the service's descriptor, so it can call with no proto file.
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol("aftersales.v1.CustomerService".into())),
    };
    let mut stream =
        reflection.server_reflection_info(tokio_stream::iter(vec![request])).await.unwrap().into_inner();
    let reply = stream.next().await.unwrap().unwrap();
    let Some(MessageResponse::FileDescriptorResponse(files)) = reply.message_response else {
        panic!("expected file descriptors");
    };
    let methods: Vec<String> = files
        .file_descriptor_proto
        .iter()
        .map(|bytes| <prost_types::FileDescriptorProto as prost::Message>::decode(bytes.as_slice()).unwrap())
        .flat_map(|file| file.service)
        .filter(|service| service.name() == "CustomerService")
        .flat_map(|service| service.method.into_iter().map(|m| m.name().to_string()))
        .collect();
    for rpc in [
        "CreateCustomer",
        "GetCustomer",
        "ListCustomers",
        "UpdateCustomer",
        "MergeCustomers",
        "AddVehicle",
        "UpdateVehicle",
        "ListVehicles",
        "RecordOdometer",
    ] {
        assert!(methods.iter().any(|m| m == rpc), "{rpc} missing from the reflected descriptor: {methods:?}");
    }

    // The same through the older v1alpha service, which many clients still ask.
    {
        use tonic_reflection::pb::v1alpha::ServerReflectionRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_client::ServerReflectionClient;
        use tonic_reflection::pb::v1alpha::server_reflection_request::MessageRequest;
        use tonic_reflection::pb::v1alpha::server_reflection_response::MessageResponse;
        let mut alpha = ServerReflectionClient::new(app.grpc_channel.clone());
        let requests = vec![
            ServerReflectionRequest {
                host: String::new(),
                message_request: Some(MessageRequest::ListServices(String::new())),
            },
            ServerReflectionRequest {
                host: String::new(),
                message_request: Some(MessageRequest::FileContainingSymbol(
                    "aftersales.v1.WorkOrderService".into(),
                )),
            },
        ];
        let mut stream =
            alpha.server_reflection_info(tokio_stream::iter(requests)).await.unwrap().into_inner();
        let Some(MessageResponse::ListServicesResponse(list)) =
            stream.next().await.unwrap().unwrap().message_response
        else {
            panic!("expected a service list over v1alpha");
        };
        let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
        assert!(names.contains(&"aftersales.v1.WorkOrderService".to_string()), "{names:?}");
        let Some(MessageResponse::FileDescriptorResponse(files)) =
            stream.next().await.unwrap().unwrap().message_response
        else {
            panic!("expected the file descriptor over v1alpha");
        };
        assert!(!files.file_descriptor_proto.is_empty());
    }
}

#[tokio::test]
async fn shutting_down_stops_both_listeners_cleanly() {
    let mut app = TestApp::spawn().await;
    let http_addr = app.base.trim_start_matches("http://").to_string();
    assert_eq!(app.send(Method::GET, "/healthz", None, None, &[]).await.status, StatusCode::OK);
    app.shutdown().await;
    assert!(tokio::net::TcpStream::connect(&http_addr).await.is_err(), "REST still accepts after shutdown");
}

#[tokio::test]
async fn malformed_oversized_and_mistyped_bodies_get_clear_client_errors() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.advisor(&store);
    let url = format!("{}/v1/stores/{store}/customers", app.base);
    let raw = |body: String, content_type: &'static str| {
        app.http.post(&url).bearer_auth(&token).header("content-type", content_type).body(body).send()
    };
    let broken = raw("{\"name\":".into(), "application/json").await.unwrap();
    assert_eq!(broken.status(), StatusCode::BAD_REQUEST);
    let form = raw("name=x".into(), "application/x-www-form-urlencoded").await.unwrap();
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = raw(
        format!("{{\"name\":\"{}\",\"phone\":\"13812345678\"}}", "张".repeat(600_000)),
        "application/json",
    )
    .await
    .unwrap();
    assert_eq!(huge.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(huge.headers()["content-type"], "application/problem+json");

    let typed = app
        .post(&format!("/v1/stores/{store}/customers"), &token, json!({"name": 5, "phone": "13812345678"}))
        .await;
    assert_eq!(typed.fields(), vec!["name"]);
    let extra = app
        .post(
            &format!("/v1/stores/{store}/customers"),
            &token,
            json!({"name": "x", "phone": "13812345678", "nmae": 1}),
        )
        .await;
    assert_eq!(extra.status, StatusCode::BAD_REQUEST, "unknown fields are refused, so typos do not vanish");
    let bad_id = app.get(&format!("/v1/stores/{store}/customers/not-a-uuid"), &token).await;
    assert_eq!(bad_id.fields(), vec!["customer_id"]);
    let nowhere = app.get("/v2/nothing", &token).await;
    assert_eq!(nowhere.status, StatusCode::NOT_FOUND);
    let wrong_method =
        app.send(Method::DELETE, &format!("/v1/stores/{store}/customers"), Some(&token), None, &[]).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
}

/// Values a careless or hostile client might send in any field.
fn hostile_values() -> Vec<Value> {
    vec![
        json!(null),
        json!(""),
        json!(-1),
        json!(4_294_967_296_u64),
        json!(1.5),
        json!(true),
        json!([]),
        json!({}),
        json!("'; DROP TABLE customers; --"),
        json!("\u{0000}\u{202e}"),
        json!("9999-99-99"),
        json!("x".repeat(5000)),
    ]
}

#[tokio::test]
async fn no_hostile_field_value_on_any_write_route_makes_the_server_fail() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.token("sup", &["supervisor", "advisor", "admin"], &["*", &store]);
    let c = app.seed_customer(&store, "张伟", "13812345678").await;
    let cid = c["id"].as_str().unwrap();
    let v = app.seed_vehicle(&store, cid, VINS[0], "沪A12345").await;
    let vid = v["id"].as_str().unwrap();
    let base_customer = json!({"name": "张伟", "phone": "13812345678", "address": "a", "company": "b",
        "preferred_channel": "sms", "marketing_consent": true, "consent_method": "phone"});
    let base_vehicle = json!({"vin": VINS[1], "plate": "沪B12345", "make": "m", "model": "n", "vehicle_type": "suv",
        "registration_date": "2024-01-01", "mileage_km": 1, "maintenance_cycle_km": 5000, "maintenance_cycle_months": 6});
    let writes = vec![
        (Method::POST, format!("/v1/stores/{store}/customers"), base_customer.clone()),
        (Method::PATCH, format!("/v1/stores/{store}/customers/{cid}"), base_customer),
        (Method::POST, format!("/v1/stores/{store}/customers/{cid}/vehicles"), base_vehicle.clone()),
        (Method::PATCH, format!("/v1/stores/{store}/customers/{cid}/vehicles/{vid}"), base_vehicle),
        (
            Method::POST,
            format!("/v1/stores/{store}/customers/{cid}/vehicles/{vid}/record-odometer"),
            json!({"mileage_km": 99999, "correction": false, "note": "x", "source": "customer"}),
        ),
        (Method::POST, format!("/v1/stores/{store}/customers/{cid}/merge"), json!({"source_id": cid})),
        (
            Method::POST,
            "/v1/stores".to_string(),
            json!({"code": "GZ001", "name": "x", "timezone": "Asia/Shanghai",
            "call_hours": [{"start": "09:00", "end": "10:00"}], "sla": {"file_open_days": 2}}),
        ),
        (
            Method::PATCH,
            format!("/v1/stores/{store}"),
            json!({"name": "x", "timezone": "UTC", "sla": {"event_letter_days": 2}}),
        ),
        (
            Method::POST,
            format!("/v1/stores/{store}/staff"),
            json!({"id": "s-1", "name": "x", "roles": ["advisor"], "active": true}),
        ),
    ];
    let mut tried = 0;
    for (method, path, base) in writes {
        let fields: Vec<String> = base.as_object().unwrap().keys().cloned().collect();
        for field in fields {
            for value in hostile_values() {
                let mut body = base.clone();
                body[&field] = value.clone();
                let answer = app.send(method.clone(), &path, Some(&token), Some(body), &[]).await;
                tried += 1;
                assert!(
                    answer.status.is_success() || answer.status.is_client_error(),
                    "{method} {path} with {field}={value}: {} {:?}",
                    answer.status,
                    answer.body
                );
                if answer.status.is_client_error() {
                    assert!(!answer.code().is_empty(), "{method} {path} {field}: error without a code");
                }
            }
        }
    }
    assert!(tried > 300);
    assert_eq!(app.send(Method::GET, "/readyz", None, None, &[]).await.status, StatusCode::OK);
}

#[tokio::test]
async fn no_hostile_query_or_path_value_makes_the_server_fail() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.token("sup", &["supervisor", "advisor"], &[&store]);
    let c = app.seed_customer(&store, "张伟", "13812345678").await;
    let cid = c["id"].as_str().unwrap();
    let hostile = ["%00", "%25", "%27%3B--", "%E2%80%AE", "_", "%C3%28", "x%20y", &"9".repeat(300)];
    for value in hostile {
        for path in [
            format!("/v1/stores/{store}/customers?q={value}"),
            format!("/v1/stores/{store}/customers?plate={value}"),
            format!("/v1/stores/{store}/customers?vin={value}"),
            format!("/v1/stores/{store}/customers?page_token={value}"),
            format!("/v1/stores/{store}/customers?page_size={value}"),
            format!(
                "/v1/stores/{store}/audit-events?actor={value}&resource_type={value}&resource_id={value}"
            ),
            format!("/v1/stores/{store}/staff/{value}"),
            format!("/v1/stores/{value}/customers"),
            format!("/v1/stores/{store}/customers/{value}"),
            format!("/v1/stores/{store}/customers/{cid}/vehicles/{value}"),
        ] {
            let answer = app.get(&path, &token).await;
            assert!(
                answer.status.is_success() || answer.status.is_client_error(),
                "GET {path}: {} {:?}",
                answer.status,
                answer.body
            );
        }
    }
}

// API: what the document declares, the server takes. Whole-number JSON numbers are integers
// (JSON Schema counts 7705.0 as the integer 7705), and each enum is declared once with the
// values its field takes (the visit channel has no `email`; the customer's preferred one does).
#[tokio::test]
async fn whole_numbers_are_integers_and_each_enum_is_declared_as_its_field_takes_it() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let customer = app.seed_customer(&store, "张伟", "13812345678").await;
    let id = customer["id"].as_str().unwrap();
    let vehicle = app
        .post(
            &format!("/v1/stores/{store}/customers/{id}/vehicles"),
            &app.advisor(&store),
            json!({"vin": VINS[0], "plate": "沪A12345", "make": "大众", "model": "朗逸", "mileage_km": 7705.0}),
        )
        .await;
    assert_eq!(vehicle.status, StatusCode::CREATED, "{:?}", vehicle.body);
    assert_eq!(vehicle.body["mileage_km"], 7705);
    let fraction = app
        .post(
            &format!("/v1/stores/{store}/customers/{id}/vehicles"),
            &app.advisor(&store),
            json!({"vin": VINS[1], "make": "大众", "model": "朗逸", "mileage_km": 7705.5}),
        )
        .await;
    assert_eq!(fraction.fields(), vec!["mileage_km"]);

    let doc = app.send(Method::GET, "/openapi.json", None, None, &[]).await.body;
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["ContactChannel"]["enum"].as_array().unwrap().contains(&json!("email")));
    let visit_channels = schemas["FollowUpChannel"]["enum"].as_array().unwrap().clone();
    assert!(!visit_channels.contains(&json!("email")), "{visit_channels:?}");
    for channel in visit_channels {
        let res = app
            .post(
                &format!("/v1/stores/{store}/visits"),
                &app.advisor(&store),
                json!({"customer_id": id, "purpose": "咨询", "channel": channel}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{channel}: {:?}", res.body);
    }
    let email = app
        .post(
            &format!("/v1/stores/{store}/visits"),
            &app.advisor(&store),
            json!({"customer_id": id, "purpose": "咨询", "channel": "email"}),
        )
        .await;
    assert_eq!(email.fields(), vec!["channel"]);
    // Lists take the page token the document describes, and headers are never declared nullable.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for op in item.as_object().unwrap().values() {
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["name"] == "page_token" {
                    assert_eq!(p["schema"]["format"], "page-token", "{path}");
                }
                if p["in"] == "header" {
                    assert_eq!(p["schema"]["type"], "string", "{path} {}", p["name"]);
                }
            }
        }
    }
}

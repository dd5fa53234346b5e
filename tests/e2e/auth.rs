//! Tokens and the role x action table (API.md "Auth", DOMAIN.md roles).

use aftersales_grpc::pb;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::common::{TestApp, authed, status_details};

#[tokio::test]
async fn requests_without_a_valid_token_are_unauthenticated_on_both_fronts() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let path = format!("/v1/stores/{store}/customers");
    let none = app.send(Method::GET, &path, None, None, &[]).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.headers["www-authenticate"], "Bearer");
    let garbage = app.get(&path, "not-a-jwt").await;
    assert_eq!(garbage.status, StatusCode::UNAUTHORIZED);
    // Same claims, another secret.
    let other = aftersales_server::config::Config {
        jwt_secret: Some("some-other-secret-entirely-0123456789".into()),
        ..app.config.clone()
    };
    let forged = aftersales_server::jwt::mint(
        &other,
        &aftersales_server::jwt::TokenRequest {
            sub: "x".into(),
            name: "x".into(),
            roles: vec!["supervisor".into()],
            stores: vec![store.clone()],
            ttl: std::time::Duration::from_secs(600),
        },
    )
    .unwrap();
    assert_eq!(app.get(&path, &forged).await.status, StatusCode::UNAUTHORIZED);

    let err = app
        .customers_grpc()
        .list_customers(tonic::Request::new(pb::ListCustomersRequest {
            store: store.clone(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unauthenticated);
    let err = app
        .customers_grpc()
        .list_customers(authed(&forged, pb::ListCustomersRequest { store, ..Default::default() }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unauthenticated);
    assert_eq!(status_details(&err).0, "unauthenticated");
}

#[tokio::test]
async fn the_role_table_is_enforced_on_both_fronts() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let customers = format!("/v1/stores/{store}/customers");
    let body = json!({"name": "张伟", "phone": "13812345678"});
    let tech = app.token("tech-1", &["technician"], &[&store]);
    let hq = app.token("hq-1", &["hq_analyst"], &["*"]);
    let agent = app.token("fu-1", &["followup_agent"], &[&store]);
    let integration = app.token("dms", &["integration"], &[&store]);

    assert_eq!(app.post(&customers, &tech, body.clone()).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.post(&customers, &agent, body.clone()).await.status, StatusCode::FORBIDDEN);
    let by_dms = app.post(&customers, &integration, body.clone()).await;
    assert_eq!(by_dms.status, StatusCode::CREATED);
    let denied = app.get(&customers, &hq).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN, "HQ sees no customer records");
    assert_eq!(denied.code(), "permission_denied");
    assert_eq!(app.get(&customers, &tech).await.status, StatusCode::OK);

    let cid = by_dms.body["id"].as_str().unwrap();
    let merge = app.post(&format!("{customers}/{cid}/merge"), &agent, json!({"source_id": cid})).await;
    assert_eq!(merge.status, StatusCode::FORBIDDEN);
    let new_store =
        app.post("/v1/stores", &app.supervisor(&store), json!({"code": "GZ001", "name": "x"})).await;
    assert_eq!(new_store.status, StatusCode::FORBIDDEN);
    let staff = app
        .post(
            &format!("/v1/stores/{store}/staff"),
            &app.advisor(&store),
            json!({"id": "x", "name": "x", "roles": ["advisor"]}),
        )
        .await;
    assert_eq!(staff.status, StatusCode::FORBIDDEN);

    let err = app
        .customers_grpc()
        .create_customer(authed(
            &tech,
            pb::CreateCustomerRequest {
                store: store.clone(),
                name: "张伟".into(),
                phone: "13812345678".into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
    let err = app
        .customers_grpc()
        .list_customers(authed(&hq, pb::ListCustomersRequest { store, ..Default::default() }))
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied);
}

/// An HS256 token with the suite's secret and hand-set claims and header, as an attacker who
/// knows the secret's format (or a misconfigured issuer) might send.
fn forged(app: &TestApp, claims: serde_json::Value, kid: Option<&str>) -> String {
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = kid.map(str::to_string);
    let mut body = json!({"sub": "sup-1", "name": "x", "roles": ["supervisor"], "stores": ["SH001"],
                          "iss": app.config.jwt_issuer, "aud": app.config.jwt_audience});
    let now = chrono::Utc::now().timestamp();
    body["iat"] = json!(now);
    body["exp"] = json!(now + 7200);
    for (k, v) in claims.as_object().unwrap() {
        body[k] = v.clone();
    }
    let key = jsonwebtoken::EncodingKey::from_secret(crate::common::SECRET.as_bytes());
    jsonwebtoken::encode(&header, &body, &key).unwrap()
}

// API "Auth": time claims are honoured (`nbf`, a future `iat`), a `kid` means nothing in HS256
// mode, and an oversized token is refused before parsing; 401 / UNAUTHENTICATED on both fronts.
#[tokio::test]
async fn tokens_not_yet_valid_with_a_kid_or_oversized_are_refused_on_both_fronts() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let hour = chrono::Utc::now().timestamp() + 3600;
    let good = forged(&app, json!({}), None);
    let bad = [
        ("nbf an hour ahead", forged(&app, json!({"nbf": hour}), None)),
        ("iat an hour ahead", forged(&app, json!({"iat": hour}), None)),
        ("a kid in HS256 mode", forged(&app, json!({}), Some("key-1"))),
        ("a 9 KB token", forged(&app, json!({"name": "x".repeat(9 * 1024)}), None)),
    ];
    let path = format!("/v1/stores/{store}/customers");
    assert_eq!(app.get(&path, &good).await.status, StatusCode::OK, "the control token passes");
    let list = || pb::ListCustomersRequest { store: store.clone(), ..Default::default() };
    assert!(app.customers_grpc().list_customers(authed(&good, list())).await.is_ok());
    for (what, token) in bad {
        let res = app.get(&path, &token).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{what}: {:?}", res.body);
        let err = app.customers_grpc().list_customers(authed(&token, list())).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::Unauthenticated, "{what} over gRPC");
    }
}

//! Operations (issue 11): Prometheus metrics that move with traffic on both fronts, request
//! budgets per token subject and per client address, and the trace id a caller can quote.

use std::collections::HashMap;

use aftersales_grpc::pb;
use reqwest::{Method, StatusCode};

use crate::common::{TestApp, authed};

/// The samples of one scrape: `name{labels}` to value.
async fn scrape(app: &TestApp) -> HashMap<String, f64> {
    let res = reqwest::get(format!("{}/metrics", app.base)).await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let kind = res.headers()["content-type"].to_str().unwrap().to_string();
    assert!(kind.starts_with("text/plain"), "{kind}");
    let text = res.text().await.unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.rsplit_once(' '))
        .filter_map(|(series, value)| Some((series.to_string(), value.parse().ok()?)))
        .collect()
}

/// The sum of every series of `name` whose labels include all of `labels`.
fn total(samples: &HashMap<String, f64>, name: &str, labels: &[&str]) -> f64 {
    samples
        .iter()
        .filter(|(series, _)| {
            (series.as_str() == name || series.starts_with(&format!("{name}{{")))
                && labels.iter().all(|l| series.contains(l))
        })
        .map(|(_, v)| v)
        .sum()
}

#[tokio::test]
async fn metrics_count_each_route_and_status_on_both_fronts_and_show_the_pool_and_queues() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.supervisor(&store);
    let rest_route = r#"route="/v1/stores/{store}/customers""#;
    let grpc_route = r#"route="/aftersales.v1.CustomerService/ListCustomers""#;
    let before = scrape(&app).await;

    for _ in 0..7 {
        assert_eq!(app.get(&format!("/v1/stores/{store}/customers"), &token).await.status, StatusCode::OK);
    }
    let missing = app.get(&format!("/v1/stores/{store}/customers/{}", uuid::Uuid::now_v7()), &token).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    let mut grpc = app.customers_grpc();
    for _ in 0..5 {
        let req = pb::ListCustomersRequest { store: store.clone(), ..Default::default() };
        grpc.list_customers(authed(&token, req)).await.unwrap();
    }
    let refused = grpc
        .list_customers(authed(
            &token,
            pb::ListCustomersRequest { store: "ZZ999".into(), ..Default::default() },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::NotFound);

    let after = scrape(&app).await;
    let moved = |labels: &[&str]| {
        total(&after, "aftersales_requests_total", labels)
            - total(&before, "aftersales_requests_total", labels)
    };
    // Other tests share the process-wide recorder, so their requests may add to these series.
    assert!(moved(&[r#"front="rest""#, rest_route, r#"status="200""#]) >= 7.0);
    assert!(
        moved(&[
            r#"front="rest""#,
            r#"route="/v1/stores/{store}/customers/{customer_id}""#,
            r#"status="404""#
        ]) >= 1.0
    );
    assert!(moved(&[r#"front="grpc""#, grpc_route, r#"status="0""#]) >= 5.0);
    assert!(moved(&[r#"front="grpc""#, grpc_route, r#"status="5""#]) >= 1.0);
    assert!(total(&after, "aftersales_request_duration_seconds_count", &[rest_route]) >= 7.0);
    assert!(
        total(&after, "aftersales_request_duration_seconds_bucket", &[grpc_route, r#"le="+Inf""#]) >= 5.0
    );
    // The scrape itself is in flight while it renders.
    assert!(after.keys().any(|s| s.starts_with("aftersales_requests_in_flight{")));
    assert!(after.keys().any(|s| s.starts_with("aftersales_build_info{") && s.contains("version=")));
    assert!(total(&after, "aftersales_db_pool_max_connections", &[]) >= 1.0);
    assert!(after.contains_key(r#"aftersales_db_pool_connections{state="idle"}"#));
    for queue in ["ehealth_uploads", "webhook_deliveries", "complaint_escalations"] {
        assert!(after.contains_key(&format!(r#"aftersales_queue_depth{{queue="{queue}"}}"#)), "{queue}");
        assert!(after.contains_key(&format!(r#"aftersales_queue_oldest_due_seconds{{queue="{queue}"}}"#)));
    }
    assert_eq!(after.get("aftersales_db_up"), Some(&1.0));
}

#[tokio::test]
async fn a_subject_over_its_budget_gets_429_with_retry_after_on_rest_and_resource_exhausted_on_grpc() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limit_per_second = 1;
        c.rate_limit_burst = 3;
    })
    .await;
    let store = app.seed_store("SH001").await;
    let busy = app.token("dms-busy", &["supervisor"], &[&store]);
    let other = app.token("dms-calm", &["supervisor"], &[&store]);
    let path = format!("/v1/stores/{store}/customers");

    let mut answers = Vec::new();
    for _ in 0..6 {
        answers.push(app.get(&path, &busy).await);
    }
    let limited: Vec<_> = answers.iter().filter(|a| a.status == StatusCode::TOO_MANY_REQUESTS).collect();
    assert!(!limited.is_empty(), "a burst past the budget is refused");
    let first = limited[0];
    assert_eq!(first.code(), "rate_limited");
    let wait: u64 = first.headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=2).contains(&wait), "Retry-After {wait}");
    assert_eq!(first.headers["content-type"], "application/problem+json");

    // Another subject is unaffected, on both fronts.
    assert_eq!(app.get(&path, &other).await.status, StatusCode::OK);
    let req =
        |token: &str| authed(token, pb::ListCustomersRequest { store: store.clone(), ..Default::default() });
    app.customers_grpc().list_customers(req(&other)).await.unwrap();

    // The same budget holds on gRPC.
    let status = app.customers_grpc().list_customers(req(&busy)).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
    let details = tonic_types::StatusExt::get_error_details(&status);
    let retry = details.retry_info().and_then(|r| r.retry_delay).unwrap_or_default();
    assert!(retry > std::time::Duration::ZERO && retry <= std::time::Duration::from_secs(1), "{retry:?}");
    assert_eq!(crate::common::status_details(&status).0, "rate_limited");

    // Probes and the scrape are never limited.
    for _ in 0..20 {
        assert_eq!(reqwest::get(format!("{}/healthz", app.base)).await.unwrap().status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn requests_without_a_token_spend_their_address_budget_and_probes_are_exempt() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limit_anonymous_per_second = 1;
        c.rate_limit_anonymous_burst = 2;
    })
    .await;
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(app.send(Method::GET, "/openapi.json", None, None, &[]).await.status);
    }
    assert_eq!(&statuses[..2], &[StatusCode::OK, StatusCode::OK]);
    assert!(statuses[2..].contains(&StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
    for path in ["/healthz", "/readyz", "/metrics"] {
        for _ in 0..5 {
            assert_eq!(app.send(Method::GET, path, None, None, &[]).await.status, StatusCode::OK, "{path}");
        }
    }
    // A caller with a token has its own budget, not the address's.
    let store = app.seed_store("SH001").await;
    let token = app.supervisor(&store);
    assert_eq!(app.get(&format!("/v1/stores/{store}"), &token).await.status, StatusCode::OK);
}

#[tokio::test]
async fn an_error_body_quotes_the_trace_id_of_the_callers_traceparent_or_a_new_one() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let token = app.supervisor(&store);
    let path = format!("/v1/stores/{store}/customers/{}", uuid::Uuid::now_v7());
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let traced = app.send(Method::GET, &path, Some(&token), None, &[("traceparent", traceparent)]).await;
    assert_eq!(traced.status, StatusCode::NOT_FOUND);
    assert_eq!(traced.body["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");

    let fresh = app.get(&path, &token).await.body["trace_id"].as_str().unwrap().to_string();
    let again = app.get(&path, &token).await.body["trace_id"].as_str().unwrap().to_string();
    assert!(fresh.len() == 32 && fresh.chars().all(|c| c.is_ascii_hexdigit()), "{fresh}");
    assert_ne!(fresh, again, "each request without a traceparent starts its own trace");

    // A malformed traceparent is ignored, not continued.
    let bad = app.send(Method::GET, &path, Some(&token), None, &[("traceparent", "00-zz-11-01")]).await;
    assert_ne!(bad.body["trace_id"], "zz");
    assert_eq!(bad.body["trace_id"].as_str().map(str::len), Some(32));
}

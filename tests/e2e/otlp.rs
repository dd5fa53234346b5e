//! Traces (issue 11): a server process with `AFTERSALES_OTLP_ENDPOINT` set exports its spans to a
//! collector (here an in-process OTLP/gRPC receiver): the request's server span continues the
//! caller's `traceparent` on REST and gRPC, with a database child span and the service's
//! resource attributes. Unset, nothing is exported.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aftersales_grpc::pb;
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::KeyValue;
use opentelemetry_proto::tonic::common::v1::any_value::Value as Any;
use opentelemetry_proto::tonic::trace::v1::Span;
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use reqwest::{Method, StatusCode};

use crate::common::{TestApp, authed, server_command};

/// A span as received, with its resource's attributes.
type ReceivedSpan = (Vec<KeyValue>, Span);

/// What the collector received.
#[derive(Default, Clone)]
struct Received(Arc<Mutex<Vec<ReceivedSpan>>>);

#[tonic::async_trait]
impl TraceService for Received {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let mut spans = self.0.lock().unwrap();
        for resource_spans in request.into_inner().resource_spans {
            let resource = resource_spans.resource.map(|r| r.attributes).unwrap_or_default();
            for scope in resource_spans.scope_spans {
                spans.extend(scope.spans.into_iter().map(|s| (resource.clone(), s)));
            }
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
    }
}

async fn collector() -> (Received, String) {
    let received = Received::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let service = TraceServiceServer::new(received.clone());
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(service)
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener)),
    );
    (received, format!("http://{addr}"))
}

fn text(attributes: &[KeyValue], key: &str) -> Option<String> {
    attributes.iter().find(|a| a.key == key).and_then(|a| match a.value.as_ref()?.value.as_ref()? {
        Any::StringValue(s) => Some(s.clone()),
        Any::IntValue(i) => Some(i.to_string()),
        Any::BoolValue(b) => Some(b.to_string()),
        Any::DoubleValue(_)
        | Any::ArrayValue(_)
        | Any::KvlistValue(_)
        | Any::BytesValue(_)
        | Any::StringValueStrindex(_) => None,
    })
}

/// The JSON lines a server process wrote.
type Logs = Arc<Mutex<Vec<serde_json::Value>>>;

/// Starts the server binary on `app`'s database and returns it with its REST and gRPC addresses,
/// read from its JSON start-up line, and the lines it writes after that.
fn serve(app: &TestApp, otlp: Option<&str>) -> (Child, String, String, Logs) {
    let mut command = server_command(app);
    command
        .env("AFTERSALES_LOG", "info")
        .env("AFTERSALES_LOG_FORMAT", "json")
        .env("AFTERSALES_ENVIRONMENT", "e2e")
        .env("OTEL_BSP_SCHEDULE_DELAY", "100")
        .env("AFTERSALES_WEBHOOK_ALLOW_PRIVATE", "true")
        .env("AFTERSALES_WEBHOOK_INTERVAL_MS", "100")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(endpoint) = otlp {
        command.env("AFTERSALES_OTLP_ENDPOINT", endpoint);
    }
    let mut child = command.spawn().expect("the server binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let listening = lines
        .by_ref()
        .map_while(Result::ok)
        .map(|l| serde_json::from_str::<serde_json::Value>(&l).unwrap_or_default())
        .find(|l| l["fields"]["message"] == "aftersales listening")
        .expect("the server says where it listens");
    // Keep reading, so the child never blocks on a full pipe.
    let logs = Logs::default();
    let kept = logs.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            kept.lock().unwrap().push(serde_json::from_str(&line).unwrap_or_default());
        }
    });
    let addr = |key: &str| listening["fields"][key].as_str().unwrap().to_string();
    (child, addr("http_addr"), addr("grpc_addr"), logs)
}

/// Creates a webhook subscription through the server at `http` with `traceparent`, and checks
/// that the line it logs for it names the trace.
async fn a_logged_line_names_the_trace(app: &TestApp, http: &str, store: &str, logs: &Logs) {
    let trace = "5bf92f3577b34da6a3ce929d0e0e4799";
    let res = app
        .http
        .post(format!("http://{http}/v1/stores/{store}/webhook-subscriptions"))
        .bearer_auth(app.token("dms-2", &["integration"], &[store]))
        .header("traceparent", format!("00-{trace}-00f067aa0ba902b7-01"))
        .json(&serde_json::json!({"url": "http://127.0.0.1:9/hooks"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let line = logs
            .lock()
            .unwrap()
            .iter()
            .find(|l| l["fields"]["message"] == "webhook subscription created")
            .cloned();
        if let Some(line) = line {
            assert_eq!(line["trace_id"], trace, "{line}");
            return;
        }
        assert!(Instant::now() < deadline, "the request logged its line");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn terminate(mut child: Child) {
    // SIGTERM: the server drains and flushes the spans still buffered.
    let _ = Command::new("kill").arg("-TERM").arg(child.id().to_string()).status();
    let deadline = Instant::now() + Duration::from_secs(15);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test]
async fn spans_reach_the_collector_with_the_callers_trace_id_and_a_database_child() {
    // This process's own webhook worker stays idle: the replica sends, and traces it.
    let app = TestApp::spawn_with(|c| {
        c.webhook_allow_private = true;
        c.webhook_interval_ms = 3_600_000;
    })
    .await;
    let store = app.seed_store("SH001").await;
    let token = app.supervisor(&store);
    let (received, endpoint) = collector().await;
    // A webhook receiver, so the replica has an outbound call to trace.
    let hook = axum::Router::new().route("/hooks", axum::routing::post(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hooks", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, hook).await });
    let dms = app.token("dms-1", &["integration"], &[&store]);
    let sub = app
        .post(
            &format!("/v1/stores/{store}/webhook-subscriptions"),
            &dms,
            serde_json::json!({"url": hook_url}),
        )
        .await;
    assert_eq!(sub.status, StatusCode::CREATED, "{:?}", sub.body);
    let (child, http, grpc, logs) = serve(&app, Some(&endpoint));
    a_logged_line_names_the_trace(&app, &http, &store, &logs).await;

    let rest_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let traceparent = format!("00-{rest_trace}-00f067aa0ba902b7-01");
    let res = app
        .http
        .get(format!("http://{http}/v1/stores/{store}/customers"))
        .bearer_auth(&token)
        .header("traceparent", &traceparent)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);

    let grpc_trace = "0af7651916cd43dd8448eb211c80319c";
    let channel =
        tonic::transport::Channel::from_shared(format!("http://{grpc}")).unwrap().connect().await.unwrap();
    let mut req = authed(&token, pb::ListCustomersRequest { store: store.clone(), ..Default::default() });
    req.metadata_mut().insert("traceparent", format!("00-{grpc_trace}-b7ad6b7169203331-01").parse().unwrap());
    aftersales_grpc::CustomerServiceClient::new(channel).list_customers(req).await.unwrap();

    let deadline = Instant::now() + Duration::from_secs(20);
    let find = |trace: &str| -> Vec<ReceivedSpan> {
        received.0.lock().unwrap().iter().filter(|(_, s)| hex(&s.trace_id) == trace).cloned().collect()
    };
    let sent = || {
        received.0.lock().unwrap().iter().any(|(_, s)| {
            s.name == "POST webhook"
                && text(&s.attributes, "http.response.status_code").as_deref() == Some("200")
        })
    };
    app.seed_customer(&store, "王芳", "13900001111").await; // an event to deliver
    while (find(rest_trace).len() < 2 || find(grpc_trace).len() < 2 || !sent()) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    terminate(child);
    assert!(sent(), "the webhook sent is a client span with its answer's status");
    // The workers' idle polling exports nothing: every database span belongs to some trace.
    let orphans: Vec<_> = received
        .0
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, s)| text(&s.attributes, "db.operation.name").is_some() && s.parent_span_id.is_empty())
        .map(|(_, s)| s.name.clone())
        .collect();
    assert!(orphans.is_empty(), "database spans without a parent: {orphans:?}");

    let rest = find(rest_trace);
    let server = rest
        .iter()
        .find(|(_, s)| s.kind == SpanKind::Server as i32)
        .unwrap_or_else(|| panic!("a server span in the caller's trace: {rest:?}"));
    assert_eq!(server.1.name, "GET /v1/stores/{store}/customers");
    assert_eq!(hex(&server.1.parent_span_id), "00f067aa0ba902b7", "continues the caller's span");
    assert_eq!(text(&server.1.attributes, "route").as_deref(), Some("/v1/stores/{store}/customers"));
    assert_eq!(text(&server.1.attributes, "store").as_deref(), Some("SH001"));
    assert_eq!(text(&server.1.attributes, "status").as_deref(), Some("200"));
    let resource = &server.0;
    assert_eq!(text(resource, "service.name").as_deref(), Some("aftersales"));
    assert_eq!(text(resource, "deployment.environment.name").as_deref(), Some("e2e"));
    assert!(text(resource, "service.version").is_some());
    let db: Vec<_> = rest
        .iter()
        .filter(|(_, s)| s.kind == SpanKind::Client as i32 && s.parent_span_id == server.1.span_id)
        .collect();
    let operations: Vec<_> =
        db.iter().filter_map(|(_, s)| text(&s.attributes, "db.operation.name")).collect();
    assert!(
        operations.contains(&"list_customers".to_string()),
        "database spans under the server span: {operations:?}"
    );
    assert!(db.iter().all(|(_, s)| text(&s.attributes, "db.system.name").is_some()));

    let grpc = find(grpc_trace);
    let server = grpc.iter().find(|(_, s)| s.kind == SpanKind::Server as i32).expect("the gRPC call's span");
    assert_eq!(server.1.name, "POST /aftersales.v1.CustomerService/ListCustomers");
    assert_eq!(hex(&server.1.parent_span_id), "b7ad6b7169203331");
    assert_eq!(text(&server.1.attributes, "store").as_deref(), Some("SH001"));
    assert!(grpc.iter().any(|(_, s)| s.parent_span_id == server.1.span_id), "a database span under it");
}

#[tokio::test]
async fn without_an_endpoint_nothing_is_exported_and_requests_still_answer() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let (received, _endpoint) = collector().await;
    // The collector runs but the server is not told of it.
    let (child, http, _, logs) = serve(&app, None);
    a_logged_line_names_the_trace(&app, &http, &store, &logs).await;
    let res = app
        .http
        .request(Method::GET, format!("http://{http}/v1/stores/{store}"))
        .bearer_auth(app.supervisor(&store))
        .header("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    terminate(child);
    assert!(received.0.lock().unwrap().is_empty());
}

//! One tower layer around both fronts: a server span per request that continues the caller's W3C
//! trace (`traceparent` in HTTP headers or gRPC metadata, which travel as the same HTTP/2
//! headers), the trace id for logs and error bodies, and the RED metrics per route and status.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use axum::extract::MatchedPath;
use axum::http::{HeaderMap, Request, Response};
use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing::Instrument;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use uuid::Uuid;

/// Which front a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Front {
    /// REST/JSON over HTTP/1.1 or h2c.
    Rest,
    /// gRPC over h2c.
    Grpc,
}

impl Front {
    /// The `front` label and span field.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Rest => "rest",
            Self::Grpc => "grpc",
        }
    }
}

/// Wraps a front's service in [`Observed`].
#[derive(Debug, Clone, Copy)]
pub struct ObserveLayer {
    front: Front,
    exporting: bool,
}

impl ObserveLayer {
    /// A layer for `front`; `exporting` says whether an OpenTelemetry layer is installed.
    pub fn new(front: Front, exporting: bool) -> Self {
        Self { front, exporting }
    }
}

impl<S> tower::Layer<S> for ObserveLayer {
    type Service = Observed<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Observed { inner, layer: *self }
    }
}

/// A service whose requests are traced and counted.
#[derive(Debug, Clone)]
pub struct Observed<S> {
    inner: S,
    layer: ObserveLayer,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, R> tower::Service<Request<B>> for Observed<S>
where
    S: tower::Service<Request<B>, Response = Response<R>> + Send,
    S::Future: Send + 'static,
    S::Error: 'static,
    B: Send,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let front = self.layer.front;
        let route = route_of(front, &req);
        let parent = TraceContextPropagator::new().extract(&Headers(req.headers()));
        let incoming = parent.span().span_context().clone();
        // The route, never the raw URI: queries can hold names and phones. Without a collector
        // the span is a debug one: an info span costs its fields' formatting on every request
        // (about 8% of a read's throughput), and log lines get the trace id from
        // `telemetry::WithTraceId` anyway.
        let (span, trace_id) = if self.layer.exporting {
            let span = tracing::info_span!(
                "request",
                otel.name = %format_args!("{} {}", req.method(), route),
                otel.kind = "server",
                otel.status_code = Empty,
                front = front.as_str(),
                route = %route,
                status = Empty,
                store = Empty,
                resource_id = Empty,
                trace_id = Empty,
                request_id = Empty,
            );
            // The exported span takes the caller's trace, or starts one; log lines say the same.
            let _ = span.set_parent(parent);
            let trace_id = span.context().span().span_context().trace_id().to_string();
            span.record("trace_id", trace_id.as_str());
            (span, trace_id)
        } else {
            let trace_id = if incoming.is_valid() {
                incoming.trace_id().to_string()
            } else {
                Uuid::new_v4().simple().to_string()
            };
            let span = tracing::debug_span!(
                "request",
                route = %route,
                trace_id = %trace_id,
                store = Empty,
                resource_id = Empty,
                request_id = Empty,
            );
            (span, trace_id)
        };
        if let Some(id) = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()) {
            span.record("request_id", id);
        }
        if front == Front::Rest {
            let (store, resource) = path_ids(req.uri().path());
            if let Some(store) = store {
                span.record("store", store);
            }
            if let Some(resource) = resource {
                span.record("resource_id", tracing::field::display(resource));
            }
        }

        let in_flight = crate::metrics::InFlight::start(front, &route);
        let started = Instant::now();
        let answer = {
            let _entered = span.enter();
            self.inner.call(req)
        };
        let work = async move {
            let result = answer.await;
            let status = match &result {
                Ok(response) => status_of(front, response),
                Err(_) => "error".to_string(),
            };
            let current = tracing::Span::current();
            current.record("status", status.as_str());
            if is_server_error(front, &status) {
                current.record("otel.status_code", "ERROR");
            }
            in_flight.finish(&status, started.elapsed());
            result
        };
        Box::pin(aftersales_rest::error::TRACE_ID.scope(trace_id, work.instrument(span)))
    }
}

/// The label a request is counted under: the matched REST route or the gRPC method, so the
/// number of series stays bounded whatever paths clients send.
fn route_of<B>(front: Front, req: &Request<B>) -> String {
    match front {
        Front::Rest => req
            .extensions()
            .get::<MatchedPath>()
            .map_or_else(|| "unmatched".into(), |p| p.as_str().to_string()),
        Front::Grpc => {
            let path = req.uri().path();
            let known =
                path.strip_prefix('/').and_then(|p| p.split_once('/')).is_some_and(|(service, method)| {
                    (service.starts_with("aftersales.v1.") || service.starts_with("grpc."))
                        && !method.is_empty()
                        && method.chars().all(|c| c.is_ascii_alphanumeric())
                });
            if known { path.to_string() } else { "unmatched".into() }
        }
    }
}

/// The store code and the last id in a REST path, e.g. `/v1/stores/SH001/work-orders/{uuid}`.
fn path_ids(path: &str) -> (Option<&str>, Option<Uuid>) {
    let mut segments = path.split('/');
    let store = segments.by_ref().skip_while(|s| *s != "stores").nth(1);
    let resource = path.split('/').filter_map(|s| Uuid::parse_str(s).ok()).next_back();
    (store, resource)
}

/// The HTTP status, or the gRPC status code (sent in the headers of a trailers-only answer, which
/// is how tonic answers a failed call; a call that answers data ends with status 0 in trailers).
fn status_of<R>(front: Front, response: &Response<R>) -> String {
    match front {
        Front::Rest => response.status().as_u16().to_string(),
        Front::Grpc => {
            response.headers().get("grpc-status").and_then(|v| v.to_str().ok()).unwrap_or("0").to_string()
        }
    }
}

fn is_server_error(front: Front, status: &str) -> bool {
    match front {
        Front::Rest => status.starts_with('5') || status == "error",
        // INTERNAL, UNAVAILABLE, DATA_LOSS, UNKNOWN.
        Front::Grpc => matches!(status, "13" | "14" | "15" | "2" | "error"),
    }
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(axum::http::HeaderName::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rest_path_names_its_store_and_last_id() {
        let id = Uuid::now_v7();
        let path = format!("/v1/stores/SH001/work-orders/{id}/lines");
        let (store, resource) = path_ids(&path);
        assert_eq!((store, resource), (Some("SH001"), Some(id)));
        assert_eq!(path_ids("/healthz"), (None, None));
    }

    #[test]
    fn unknown_grpc_paths_share_one_label() {
        let req = |path: &str| Request::builder().uri(path).body(()).unwrap_or_default();
        let known = "/aftersales.v1.WorkOrderService/GetWorkOrder";
        assert_eq!(route_of(Front::Grpc, &req(known)), known);
        for garbage in ["/x.Y/Z", "/aftersales.v1.A/b%20c", "/", "/aftersales.v1.WorkOrderService/"] {
            assert_eq!(route_of(Front::Grpc, &req(garbage)), "unmatched", "{garbage}");
        }
    }
}

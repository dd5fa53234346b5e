//! Prometheus metrics through the `metrics` facade: RED figures per front, route and status,
//! requests in flight, the database pool, the background queues and build info. `GET /metrics`
//! renders them in the Prometheus text format.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use aftersales_domain::ports::Clock;
use aftersales_persistence::SeaRepository;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::observe::Front;

const REQUESTS: &str = "aftersales_requests_total";
const DURATION: &str = "aftersales_request_duration_seconds";
const IN_FLIGHT: &str = "aftersales_requests_in_flight";

/// Latency buckets in seconds: a read answers in about a millisecond, a long poll in 30 s.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process-wide recorder once (servers started again in one process share it).
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let built = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(DURATION.into()), BUCKETS)
                .and_then(PrometheusBuilder::install_recorder);
            match built {
                Ok(handle) => {
                    metrics::gauge!("aftersales_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
                    Some(handle)
                }
                Err(error) => {
                    tracing::error!(%error, "metrics recorder not installed: /metrics answers 503");
                    None
                }
            }
        })
        .as_ref()
}

/// Drains the histograms' sample buffers every 5 s until `stop`: they grow between scrapes, and
/// a deployment that never scrapes must not grow without end.
pub async fn upkeep(mut stop: tokio::sync::watch::Receiver<bool>) {
    loop {
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(5)) => {
                if let Some(handle) = install() {
                    handle.run_upkeep();
                }
            }
            _ = stop.wait_for(|s| *s) => break,
        }
    }
}

/// A request in flight: counted up when made, down when dropped, so a request whose client
/// hung up (its future dropped unfinished) leaves the gauge as it found it.
pub struct InFlight {
    front: &'static str,
    route: String,
}

impl InFlight {
    /// Counts a request as in flight.
    pub fn start(front: Front, route: &str) -> Self {
        let guard = Self { front: front.as_str(), route: route.to_string() };
        metrics::gauge!(IN_FLIGHT, "front" => guard.front, "route" => guard.route.clone()).increment(1.0);
        guard
    }

    /// Counts the finished request and its latency.
    pub fn finish(&self, status: &str, took: Duration) {
        let labels = [
            ("front", self.front.to_string()),
            ("route", self.route.clone()),
            ("status", status.to_string()),
        ];
        metrics::counter!(REQUESTS, &labels).increment(1);
        metrics::histogram!(DURATION, &labels).record(took.as_secs_f64());
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!(IN_FLIGHT, "front" => self.front, "route" => std::mem::take(&mut self.route))
            .decrement(1.0);
    }
}

/// Counts a request refused for being over its budget.
pub fn rate_limited(scope: &'static str) {
    metrics::counter!("aftersales_rate_limited_total", "scope" => scope).increment(1);
}

/// What a scrape reads besides the counters kept as requests pass.
#[derive(Clone)]
pub struct Scrape {
    /// The database whose pool and queues are sampled.
    pub repo: Arc<SeaRepository>,
    /// "Now", for the queues' ages.
    pub clock: Arc<dyn Clock>,
}

impl Scrape {
    /// Samples the pool and the queues, then renders every metric.
    pub async fn render(&self) -> Response {
        let Some(handle) = install() else {
            return (StatusCode::SERVICE_UNAVAILABLE, "metrics recorder not installed\n").into_response();
        };
        let pool = self.repo.pool_stats();
        metrics::gauge!("aftersales_db_pool_connections", "state" => "idle").set(f64::from(pool.idle));
        metrics::gauge!("aftersales_db_pool_connections", "state" => "in_use")
            .set(f64::from(pool.size.saturating_sub(pool.idle)));
        metrics::gauge!("aftersales_db_pool_max_connections").set(f64::from(pool.max));
        match self.repo.queue_stats(self.clock.now()).await {
            Ok(queues) => {
                metrics::gauge!("aftersales_db_up").set(1.0);
                for q in queues {
                    #[allow(clippy::cast_precision_loss)] // counts far below 2^52
                    let (depth, age) = (q.depth as f64, q.oldest_due_seconds as f64);
                    metrics::gauge!("aftersales_queue_depth", "queue" => q.name).set(depth);
                    metrics::gauge!("aftersales_queue_oldest_due_seconds", "queue" => q.name).set(age);
                }
            }
            Err(error) => {
                // The scrape still answers: a database outage is what operators most need to see.
                metrics::gauge!("aftersales_db_up").set(0.0);
                tracing::warn!(%error, "queue figures not sampled");
            }
        }
        handle.run_upkeep();
        let mut response = handle.render().into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        );
        response
    }
}

/// The `/metrics` route, for the REST listener or a listener of its own.
pub fn router(scrape: Scrape) -> axum::Router {
    axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let scrape = scrape.clone();
            async move { scrape.render().await }
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(text: &str, series: &str) -> Option<f64> {
        text.lines().find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
    }

    #[test]
    fn a_request_dropped_unfinished_leaves_the_in_flight_gauge_as_it_found_it() {
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            let route = "/v1/stores/{store}/events";
            let series = r#"aftersales_requests_in_flight{front="rest",route="/v1/stores/{store}/events"}"#;
            let hung_up = InFlight::start(Front::Rest, route);
            let answered = InFlight::start(Front::Rest, route);
            assert_eq!(sample(&handle.render(), series), Some(2.0));
            drop(hung_up);
            answered.finish("200", Duration::from_millis(3));
            drop(answered);
            let text = handle.render();
            assert_eq!(sample(&text, series), Some(0.0));
            let counted =
                r#"aftersales_requests_total{front="rest",route="/v1/stores/{store}/events",status="200"}"#;
            assert_eq!(sample(&text, counted), Some(1.0), "only the answered one is counted");
        });
    }
}

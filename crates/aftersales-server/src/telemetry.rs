//! Structured logs with an env filter, plain or JSON, and OpenTelemetry traces exported over OTLP
//! when a collector is configured. Without one nothing is exported and no exporter runs; trace
//! ids still continue the caller's `traceparent`, so logs and error bodies carry them either way.

use opentelemetry::KeyValue;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{Config, LogFormat};

static EXPORTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether this process exports spans (its request spans then take their trace from OpenTelemetry).
pub fn exporting() -> bool {
    EXPORTING.load(std::sync::atomic::Ordering::Relaxed)
}

/// Keeps the trace exporter alive; [`Telemetry::shutdown`] sends the spans still buffered.
#[derive(Debug, Default)]
pub struct Telemetry {
    provider: Option<SdkTracerProvider>,
}

impl Telemetry {
    /// Whether spans are exported to a collector.
    pub fn exporting(&self) -> bool {
        self.provider.is_some()
    }

    /// Flushes and stops the exporter (on shutdown, so the last requests' spans are not lost).
    pub fn shutdown(&self) {
        if let Some(provider) = &self.provider
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "trace exporter did not shut down cleanly");
        }
    }
}

/// The collector to export to: `AFTERSALES_OTLP_ENDPOINT`, else the standard
/// `OTEL_EXPORTER_OTLP_ENDPOINT`; none means no export.
pub fn otlp_endpoint(config: &Config) -> Option<String> {
    config
        .otlp_endpoint
        .clone()
        .or_else(|| std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok())
        .filter(|e| !e.trim().is_empty())
}

/// Installs the global subscriber; `AFTERSALES_LOG` (or `RUST_LOG`) sets the filter. Call it
/// inside the runtime: the OTLP exporter's gRPC channel runs on it.
pub fn init(config: &Config) -> Telemetry {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .or_else(|| {
            EnvFilter::try_new(format!("{},sqlx=warn,sea_orm=warn,sqlx::postgres::notice=warn", config.log))
                .ok()
        })
        .unwrap_or_else(|| EnvFilter::new("info"));
    // Colour only on a terminal: escape codes cost formatting and litter collected logs.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
    let fmt = tracing_subscriber::fmt::layer().with_ansi(ansi);
    let format = tracing_subscriber::fmt::format().with_target(false).with_ansi(ansi);
    // Every line logged while a request is answered names its trace id.
    let fmt = match config.log_format {
        LogFormat::Json => fmt.json().event_format(WithTraceId { inner: format.json(), json: true }).boxed(),
        LogFormat::Plain => fmt.event_format(WithTraceId { inner: format, json: false }).boxed(),
    };
    let (provider, error) = match otlp_endpoint(config) {
        None => (None, None),
        Some(endpoint) => match tracer_provider(config, &endpoint) {
            Ok(provider) => (Some(provider), None),
            Err(error) => (None, Some(error)),
        },
    };
    // Each layer has its own filter: the database spans (debug) go to the collector only, so
    // without one they are never even created, and log lines never pay for them.
    let otel = provider.as_ref().map(|p| {
        tracing_opentelemetry::layer()
            .with_tracer(p.tracer("aftersales"))
            .with_tracked_inactivity(false)
            .with_filter(EnvFilter::new("info,aftersales_persistence=debug,sqlx=warn,sea_orm=warn,h2=warn"))
    });
    // A second init (tests) is harmless: keep the first subscriber.
    let _ = tracing_subscriber::registry().with(fmt.with_filter(filter)).with(otel).try_init();
    if let Some(error) = error {
        tracing::error!(%error, "OTLP exporter not started: traces are not exported");
    } else if provider.is_some() {
        EXPORTING.store(true, std::sync::atomic::Ordering::Relaxed);
        tracing::info!("exporting traces over OTLP");
    }
    Telemetry { provider }
}

/// An event format that adds the trace id of the request being answered (the task-local the
/// request layer sets) to each line: a top-level `trace_id` member in JSON, a `trace_id=` prefix
/// in plain lines.
struct WithTraceId<F> {
    inner: F,
    json: bool,
}

impl<S, N, F> tracing_subscriber::fmt::FormatEvent<S, N> for WithTraceId<F>
where
    S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>,
    N: for<'a> tracing_subscriber::fmt::FormatFields<'a> + 'static,
    F: tracing_subscriber::fmt::FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &tracing_subscriber::fmt::FmtContext<'_, S, N>,
        mut writer: tracing_subscriber::fmt::format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let Ok(trace_id) = aftersales_rest::error::TRACE_ID.try_with(Clone::clone) else {
            return self.inner.format_event(ctx, writer, event);
        };
        if !self.json {
            write!(writer, "trace_id={trace_id} ")?;
            return self.inner.format_event(ctx, writer, event);
        }
        let mut line = String::new();
        self.inner.format_event(ctx, tracing_subscriber::fmt::format::Writer::new(&mut line), event)?;
        match line.strip_prefix('{') {
            Some(rest) => write!(writer, "{{\"trace_id\":\"{trace_id}\",{rest}"),
            None => writer.write_str(&line),
        }
    }
}

fn tracer_provider(config: &Config, endpoint: &str) -> Result<SdkTracerProvider, String> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .map_err(|e| e.to_string())?;
    let resource = Resource::builder()
        .with_service_name("aftersales")
        .with_attributes([
            KeyValue::new("service.version", env!("CARGO_PKG_VERSION")),
            KeyValue::new("deployment.environment.name", config.environment.clone()),
        ])
        .build();
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(resource)
        .with_sampler(NoIdlePolling)
        .build())
}

/// Samples every trace, except a database span with no parent: the background workers poll
/// their queues every second or so, and a trace per empty poll would bury the real ones. Their
/// outbound calls (a webhook sent, a record uploaded) are traces of their own.
#[derive(Debug, Clone)]
struct NoIdlePolling;

impl opentelemetry_sdk::trace::ShouldSample for NoIdlePolling {
    fn should_sample(
        &self,
        parent_context: Option<&opentelemetry::Context>,
        trace_id: opentelemetry::trace::TraceId,
        name: &str,
        span_kind: &opentelemetry::trace::SpanKind,
        attributes: &[KeyValue],
        links: &[opentelemetry::trace::Link],
    ) -> opentelemetry_sdk::trace::SamplingResult {
        use opentelemetry::trace::TraceContextExt;
        let parented = parent_context.is_some_and(|cx| cx.span().span_context().is_valid());
        if !parented && attributes.iter().any(|kv| kv.key.as_str() == "db.operation.name") {
            return opentelemetry_sdk::trace::SamplingResult {
                decision: opentelemetry_sdk::trace::SamplingDecision::Drop,
                attributes: Vec::new(),
                trace_state: opentelemetry::trace::TraceState::default(),
            };
        }
        opentelemetry_sdk::trace::Sampler::ParentBased(Box::new(opentelemetry_sdk::trace::Sampler::AlwaysOn))
            .should_sample(parent_context, trace_id, name, span_kind, attributes, links)
    }
}

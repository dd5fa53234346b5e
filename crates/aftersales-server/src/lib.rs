//! The `aftersales` service: configuration, telemetry, and startup wiring both listeners (REST and
//! gRPC) to one set of application services.

pub mod config;
pub mod demo;
pub mod ehealth;
pub mod import;
pub mod jobs;
pub mod jwt;
pub mod listen;
pub mod messages;
pub mod metrics;
pub mod observe;
pub mod ratelimit;
pub mod seed;
pub mod telemetry;
pub mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use aftersales_domain::app::{Services, Settings};
use aftersales_domain::auth::Authenticator;
use aftersales_domain::ports::{Clock, SystemClock};
use aftersales_persistence::{SeaRepository, SetupError, backend_name, connect, migrate};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::jwt::{JwtAuthenticator, JwtSetupError};

/// Why the service could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Database connection or migration.
    #[error(transparent)]
    Database(#[from] SetupError),
    /// Token verification setup.
    #[error(transparent)]
    Jwt(#[from] JwtSetupError),
    /// A listener could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// gRPC reflection setup.
    #[error("grpc setup: {0}")]
    Grpc(String),
    /// The attachment store could not be opened.
    #[error(transparent)]
    Blobs(#[from] aftersales_persistence::blobs::BlobConfigError),
    /// Demo data could not be created.
    #[error("demo data: {0}")]
    Demo(String),
    /// A server task failed.
    #[error("server: {0}")]
    Serve(String),
}

/// A running service: its bound addresses and a handle to stop it.
pub struct RunningServer {
    /// Where REST listens.
    pub http_addr: SocketAddr,
    /// Where gRPC listens.
    pub grpc_addr: SocketAddr,
    /// The application services (tests use them for fixtures).
    pub services: Services,
    stop: watch::Sender<bool>,
    http: JoinHandle<std::io::Result<()>>,
    grpc: JoinHandle<Result<(), tonic::transport::Error>>,
}

impl RunningServer {
    /// Stops accepting, lets requests in flight finish, and waits for both servers.
    pub async fn shutdown(self) -> Result<(), StartError> {
        let _ = self.stop.send(true);
        self.wait().await
    }

    /// Waits until both servers have stopped.
    pub async fn wait(self) -> Result<(), StartError> {
        let http = self.http.await.map_err(|e| StartError::Serve(e.to_string()))?;
        http.map_err(|e| StartError::Serve(e.to_string()))?;
        let grpc = self.grpc.await.map_err(|e| StartError::Serve(e.to_string()))?;
        grpc.map_err(|e| StartError::Serve(e.to_string()))
    }

    /// Returns a sender that stops the servers when `true` is sent.
    pub fn stopper(&self) -> watch::Sender<bool> {
        self.stop.clone()
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, StartError> {
    TcpListener::bind(addr).await.map_err(|source| StartError::Bind { addr, source })
}

/// Connects, migrates, and starts both listeners; returns once they accept connections.
pub async fn start(config: &Config) -> Result<RunningServer, StartError> {
    start_with_clock(config, Arc::new(SystemClock)).await
}

/// Like [`start`], with a chosen clock (tests set "now").
pub async fn start_with_clock(config: &Config, clock: Arc<dyn Clock>) -> Result<RunningServer, StartError> {
    let db = connect(&config.database_url, config.database_max_connections).await?;
    migrate(&db).await?;
    tracing::info!(backend = backend_name(&db), "database ready");
    let schedule = aftersales_domain::model::webhook::parse_schedule(&config.webhook_schedule)
        .map_err(|e| StartError::Serve(format!("webhook schedule: {e}")))?;
    let webhook_timeout = Duration::from_millis(config.webhook_timeout_ms);
    let ehealth_timeout = Duration::from_millis(config.ehealth_timeout_ms);
    let settings = Settings {
        ehealth_province: config.ehealth_province.clone(),
        ehealth_retry_base: Duration::from_millis(config.ehealth_retry_base_ms),
        // Longer than an upload may take, as for webhooks below.
        ehealth_lease: ehealth_timeout * 2 + Duration::from_secs(5),
        webhooks: aftersales_domain::app::WebhookSettings {
            allow_private: config.webhook_allow_private,
            schedule,
            // Longer than a send may take, so a live worker never loses its lease mid-send.
            lease: webhook_timeout * 2 + Duration::from_secs(5),
        },
        feed_max_wait: Duration::from_secs(config.events_max_wait_seconds),
        attachment_max_bytes: config.attachment_max_bytes,
        // Longer than a send may take, so a live worker never loses its lease mid-send.
        message_lease: Duration::from_millis(config.message_timeout_ms) * 2 + Duration::from_secs(5),
        message_retry_base: Duration::from_millis(config.message_retry_base_ms),
        approval_url: config.approval_url.clone(),
    };
    let repo = Arc::new(SeaRepository::new(db));
    let blobs = Arc::new(aftersales_persistence::blobs::ObjectBlobStore::open(&config.object_store_url)?);
    let services = Services::with_settings(repo.clone(), blobs, clock.clone(), settings);
    let subjects = Arc::new(ratelimit::Limiter::new(
        ratelimit::Budget { per_second: config.rate_limit_per_second, burst: config.rate_limit_burst },
        "subject",
    ));
    let addresses = Arc::new(ratelimit::AddressBudgets {
        tokenless: Arc::new(ratelimit::Limiter::new(
            ratelimit::Budget {
                per_second: config.rate_limit_anonymous_per_second,
                burst: config.rate_limit_anonymous_burst,
            },
            "address",
        )),
        approval: Arc::new(ratelimit::Limiter::per_minute(
            ratelimit::MinuteBudget {
                per_minute: config.rate_limit_approval_per_minute,
                burst: config.rate_limit_approval_burst,
            },
            "approval_link",
        )),
    });
    let auth: Arc<dyn Authenticator> = Arc::new(ratelimit::RateLimitedAuthenticator::new(
        Arc::new(JwtAuthenticator::from_config(config)?),
        subjects.clone(),
    ));
    metrics::install();
    let scrape = metrics::Scrape { repo, clock };
    let exporting = telemetry::exporting();
    if config.demo {
        demo::seed_if_empty(&services).await.map_err(|e| StartError::Demo(e.to_string()))?;
    }

    let http_listener = bind(config.http_addr).await?;
    let grpc_listener = bind(config.grpc_addr).await?;
    let http_addr =
        http_listener.local_addr().map_err(|source| StartError::Bind { addr: config.http_addr, source })?;
    let grpc_addr =
        grpc_listener.local_addr().map_err(|source| StartError::Bind { addr: config.grpc_addr, source })?;
    let (stop, stopped) = watch::channel(false);
    let limits = listen::Limits {
        header_read_timeout: Duration::from_millis(config.header_read_timeout_ms),
        per_client: config.max_connections_per_client,
    };

    let mut app =
        aftersales_rest::app(aftersales_rest::AppState { services: services.clone(), auth: auth.clone() });
    if config.metrics_addr.is_none() {
        app = app.merge(metrics::router(scrape.clone()));
    }
    app = app.merge(messages::receipt_routes(services.clone(), config));
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    // The last layer is the outermost: an id first, then the span that names it, then budgets.
    let observed = config.request_telemetry.then_some(exporting);
    let app = app
        .layer(axum::middleware::from_fn_with_state(addresses.clone(), ratelimit::anonymous))
        .layer(tower::util::option_layer(
            observed.map(|e| observe::ObserveLayer::new(observe::Front::Rest, e)),
        ))
        .layer(tower_http::request_id::PropagateRequestIdLayer::new(request_id.clone()))
        .layer(tower_http::request_id::SetRequestIdLayer::new(
            request_id,
            tower_http::request_id::MakeRequestUuid,
        ));
    let http_incoming = listen::accept(http_listener, limits, stopped.clone());
    let http = tokio::spawn(listen::serve_http(http_incoming, app, limits, stopped.clone()));

    let routes =
        aftersales_grpc::routes(services.clone(), auth).await.map_err(|e| StartError::Grpc(e.to_string()))?;
    let grpc_incoming = tokio_stream::StreamExt::map(
        tokio_stream::wrappers::ReceiverStream::new(listen::accept(grpc_listener, limits, stopped.clone())),
        Ok::<_, std::io::Error>,
    );
    let mut grpc_stop = stopped;
    let grpc = tokio::spawn(async move {
        tonic::transport::Server::builder()
            .http2_keepalive_interval(Some(Duration::from_secs(30)))
            .http2_keepalive_timeout(Some(Duration::from_secs(10)))
            // Windows large enough that a streamed export never waits on flow control on a LAN.
            .initial_connection_window_size(Some(4 * 1024 * 1024))
            .initial_stream_window_size(Some(1024 * 1024))
            .layer(tower::util::option_layer(
                observed.map(|e| observe::ObserveLayer::new(observe::Front::Grpc, e)),
            ))
            .add_routes(routes)
            .serve_with_incoming_shutdown(grpc_incoming, async move {
                let _ = grpc_stop.wait_for(|s| *s).await;
            })
            .await
    });

    if let Some(addr) = config.metrics_addr {
        let listener = bind(addr).await?;
        let mut stop_metrics = stop.subscribe();
        tokio::spawn(async move {
            let serve = axum::serve(listener, metrics::router(scrape)).with_graceful_shutdown(async move {
                let _ = stop_metrics.wait_for(|s| *s).await;
            });
            if let Err(error) = serve.await {
                tracing::error!(%error, "metrics listener stopped");
            }
        });
    }
    tokio::spawn(ratelimit::prune_every_minute(subjects, addresses, stop.subscribe()));
    tokio::spawn(metrics::upkeep(stop.subscribe()));
    tokio::spawn(jobs::run(
        services.clone(),
        Duration::from_millis(config.jobs_interval_ms),
        stop.subscribe(),
    ));
    let transport = webhooks::HttpTransport::new(webhook_timeout, config.webhook_allow_private)
        .map_err(|e| StartError::Serve(format!("webhook client: {e}")))?;
    tokio::spawn(webhooks::run_worker(
        services.clone(),
        transport,
        Duration::from_millis(config.webhook_interval_ms),
        stop.subscribe(),
    ));
    tokio::spawn(import::worker::run_worker(
        services.clone(),
        Duration::from_millis(config.import_interval_ms),
        stop.subscribe(),
    ));
    let providers = Arc::new(messages::Providers::from_config(config).map_err(StartError::Serve)?);
    tokio::spawn(messages::run_worker(
        services.clone(),
        providers,
        Duration::from_millis(config.message_interval_ms),
        stop.subscribe(),
    ));
    match (&config.ehealth_endpoint, &config.ehealth_app_key, &config.ehealth_app_secret) {
        (Some(endpoint), Some(key), Some(secret)) => {
            let platform = ehealth::HttpPlatform::new(endpoint, key.clone(), secret.clone(), ehealth_timeout)
                .map_err(|e| StartError::Serve(format!("e-health client: {e}")))?;
            let interval = Duration::from_millis(config.ehealth_interval_ms);
            tokio::spawn(ehealth::run_worker(services.clone(), platform, interval, stop.subscribe()));
            tracing::info!(province = %config.ehealth_province, "e-health upload worker running");
        }
        _ => tracing::warn!("AFTERSALES_EHEALTH_ENDPOINT is not set: e-health records queue until it is"),
    }
    tracing::info!(%http_addr, %grpc_addr, "aftersales listening");
    Ok(RunningServer { http_addr, grpc_addr, services, stop, http, grpc })
}

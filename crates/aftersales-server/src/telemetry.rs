//! Structured logs with an env filter, plain or JSON.

use tracing_subscriber::EnvFilter;

use crate::config::Config;

/// Installs the global subscriber; `AFTERSALES_LOG` (or `RUST_LOG`) sets the filter.
pub fn init(config: &Config) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .or_else(|| {
            EnvFilter::try_new(format!("{},sqlx=warn,sea_orm=warn,sqlx::postgres::notice=warn", config.log))
                .ok()
        })
        .unwrap_or_else(|| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    // A second init (tests) is harmless: keep the first subscriber.
    let _ = if config.log_format == crate::config::LogFormat::Json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

//! Configuration: compiled-in defaults, then an optional TOML file, then `AFTERSALES_*` variables.

use std::net::SocketAddr;
use std::path::PathBuf;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Token signature algorithms the service can be pinned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum JwtAlgorithm {
    /// HMAC-SHA256 with a shared secret (one deployment minting its own tokens).
    HS256,
    /// RSA-SHA256 with public keys from an identity provider's JWKS.
    RS256,
    /// ECDSA P-256 with public keys from an identity provider's JWKS.
    ES256,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    Plain,
    /// One JSON object a line, for log collectors.
    Json,
}

/// A setting that is text even when it looks like a number: figment reads an environment value
/// of digits as a number, and Tencent's SmsSdkAppId (or a numeric app key or secret) is digits.
#[derive(Deserialize)]
#[serde(untagged)]
enum Text {
    Str(String),
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

fn optional_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(Option::<Text>::deserialize(d)?.map(|t| match t {
        Text::Str(s) => s,
        Text::Unsigned(n) => n.to_string(),
        Text::Signed(n) => n.to_string(),
        Text::Float(f) => f.to_string(),
    }))
}

fn optional_secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<SecretString>, D::Error> {
    Ok(optional_text(d)?.map(SecretString::from))
}

/// Which SMS provider sends (issue 13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmsProvider {
    /// Logs and takes every message: development and `make run`.
    Log,
    /// Tencent Cloud SMS.
    Tencent,
    /// Alibaba Cloud SMS.
    Aliyun,
}

/// Every setting; see the README's configuration table.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct Config {
    /// REST listener.
    pub http_addr: SocketAddr,
    /// gRPC listener (h2c).
    pub grpc_addr: SocketAddr,
    /// `sqlite://path` or `postgres://user@host/db`.
    pub database_url: String,
    /// Where attachment bytes go (WO-14): a local directory, or `s3://bucket/prefix` with the
    /// `AWS_*` variables (endpoint, keys, region) of the S3-compatible service.
    pub object_store_url: String,
    /// The largest attachment accepted, bytes.
    pub attachment_max_bytes: usize,
    /// Connection pool size (per process; keep processes x pool under PostgreSQL's `max_connections`).
    pub database_max_connections: u32,
    /// Algorithm every token must use.
    pub jwt_algorithm: JwtAlgorithm,
    /// HS256 secret (at least 32 characters).
    #[serde(skip_serializing)]
    pub jwt_secret: Option<SecretString>,
    /// RS256/ES256: a JWKS file whose keys are selected by the token's `kid`.
    pub jwt_jwks_file: Option<PathBuf>,
    /// Required `iss`.
    pub jwt_issuer: String,
    /// Required `aud`.
    pub jwt_audience: String,
    /// Clock leeway for `exp`/`iat`, in seconds.
    pub jwt_leeway_seconds: u64,
    /// Log filter, e.g. `info` or `aftersales=debug,info`.
    pub log: String,
    /// `plain` or `json`.
    pub log_format: LogFormat,
    /// Create a demo store with staff when the database is empty, and print a token.
    pub demo: bool,
    /// The province e-health platform's base URL (WO-12); uploads queue but wait while unset.
    pub ehealth_endpoint: Option<String>,
    /// The province whose platform that is.
    pub ehealth_province: String,
    /// The store group's app key at the platform.
    #[serde(default, deserialize_with = "optional_text")]
    pub ehealth_app_key: Option<String>,
    /// The app secret that signs each request.
    #[serde(skip_serializing, default, deserialize_with = "optional_secret")]
    pub ehealth_app_secret: Option<SecretString>,
    /// How often the upload worker looks for due records, in milliseconds.
    pub ehealth_interval_ms: u64,
    /// The first wait after a failed upload, in milliseconds; it doubles each time.
    pub ehealth_retry_base_ms: u64,
    /// How long the platform has to answer an upload, in milliseconds.
    pub ehealth_timeout_ms: u64,
    /// How often scheduled jobs (complaint escalation) run, in milliseconds.
    pub jobs_interval_ms: u64,
    /// The longest a feed read waits for a first event, in seconds (1 to 30; clients may ask less).
    pub events_max_wait_seconds: u64,
    /// How often the webhook worker looks for events and due deliveries, in milliseconds.
    pub webhook_interval_ms: u64,
    /// How long a webhook endpoint has to answer, in milliseconds.
    pub webhook_timeout_ms: u64,
    /// The waits before each retry of a failed delivery, e.g. `5s,5m,30m,2h,5h,10h,10h`.
    pub webhook_schedule: String,
    /// Whether subscriptions may target loopback, private or link-local addresses and plain
    /// http (tests and `make run` only: otherwise a subscription could reach internal services).
    pub webhook_allow_private: bool,
    /// How long a client has to send its first bytes and, on REST, each request's headers.
    pub header_read_timeout_ms: u64,
    /// Connections one client address may hold open at once, on each listener.
    pub max_connections_per_client: usize,
    /// An OTLP/gRPC collector, e.g. `http://otel-collector:4317`; unset: no traces are exported
    /// (`OTEL_EXPORTER_OTLP_ENDPOINT` is honoured too).
    pub otlp_endpoint: Option<String>,
    /// `deployment.environment.name` on exported traces, e.g. `production`.
    pub environment: String,
    /// Per-request spans and metrics on both fronts; off only to measure what they cost
    /// (`make bench`), since `/metrics` then counts no requests.
    pub request_telemetry: bool,
    /// Serve `/metrics` on a listener of its own instead of the REST port.
    pub metrics_addr: Option<SocketAddr>,
    /// Requests a second one token subject may make, sustained, on both fronts (0: no limit).
    pub rate_limit_per_second: u32,
    /// Requests one subject may make at once after a quiet spell.
    pub rate_limit_burst: u32,
    /// Requests a second one client address may make without a token (0: no limit).
    pub rate_limit_anonymous_per_second: u32,
    /// Requests one address may make at once without a token.
    pub rate_limit_anonymous_burst: u32,
    /// Requests a minute one client address may make to the approval links, with or without any
    /// header, so tokens cannot be guessed (0: no limit) (WO-13).
    pub rate_limit_approval_per_minute: u32,
    /// Approval-link requests one address may make at once.
    pub rate_limit_approval_burst: u32,
    /// Which provider sends SMS (issue 13).
    pub sms_provider: SmsProvider,
    /// The SMS provider's base URL; its production address by default.
    pub sms_endpoint: Option<String>,
    /// The SMS account's key id (Tencent SecretId, Alibaba AccessKeyId).
    #[serde(default, deserialize_with = "optional_text")]
    pub sms_secret_id: Option<String>,
    /// The SMS account's secret (Tencent SecretKey, Alibaba AccessKeySecret).
    #[serde(skip_serializing, default, deserialize_with = "optional_secret")]
    pub sms_secret_key: Option<SecretString>,
    /// Tencent's SmsSdkAppId.
    #[serde(default, deserialize_with = "optional_text")]
    pub sms_app_id: Option<String>,
    /// The approved SMS signature (短信签名).
    #[serde(default, deserialize_with = "optional_text")]
    pub sms_sign_name: Option<String>,
    /// Tencent's region.
    pub sms_region: String,
    /// The mini-program's AppID, for WeChat subscription messages; unset: the log provider.
    #[serde(default, deserialize_with = "optional_text")]
    pub wechat_app_id: Option<String>,
    /// The mini-program's AppSecret.
    #[serde(skip_serializing, default, deserialize_with = "optional_secret")]
    pub wechat_app_secret: Option<SecretString>,
    /// WeChat's API base URL.
    pub wechat_endpoint: String,
    /// The token WeChat signs its pushes (delivery events) with; unset: pushes are refused.
    #[serde(skip_serializing, default, deserialize_with = "optional_secret")]
    pub wechat_push_token: Option<SecretString>,
    /// The token the SMS providers' receipt callbacks carry (`?token=`); unset: refused.
    #[serde(skip_serializing, default, deserialize_with = "optional_secret")]
    pub message_receipt_token: Option<SecretString>,
    /// The URL an approval link message carries, `{token}` where the token goes (WO-13): the
    /// customer app's page, or this service's `/v1/approval/{token}` behind its public address.
    pub approval_url: String,
    /// How often the sending worker looks for due messages, in milliseconds.
    pub message_interval_ms: u64,
    /// How often the import worker looks for uploaded sheets to run, in milliseconds (issue 15).
    pub import_interval_ms: u64,
    /// How long a provider has to answer a send, in milliseconds.
    pub message_timeout_ms: u64,
    /// The first wait after a send that failed for a passing reason, in milliseconds; doubles.
    pub message_retry_base_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            http_addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            grpc_addr: SocketAddr::from(([127, 0, 0, 1], 50051)),
            database_url: "sqlite://aftersales.db".into(),
            object_store_url: "data/attachments".into(),
            attachment_max_bytes: aftersales_domain::model::attachment::DEFAULT_MAX_BYTES,
            // Chosen by measurement: see the README's pool-size table.
            database_max_connections: 16,
            jwt_algorithm: JwtAlgorithm::HS256,
            jwt_secret: None,
            jwt_jwks_file: None,
            jwt_issuer: "aftersales".into(),
            jwt_audience: "aftersales".into(),
            jwt_leeway_seconds: 30,
            log: "info".into(),
            log_format: LogFormat::Plain,
            demo: false,
            ehealth_endpoint: None,
            ehealth_province: "shanghai".into(),
            ehealth_app_key: None,
            ehealth_app_secret: None,
            ehealth_interval_ms: 5_000,
            ehealth_retry_base_ms: 30_000,
            ehealth_timeout_ms: 15_000,
            jobs_interval_ms: 60_000,
            events_max_wait_seconds: 30,
            webhook_interval_ms: 1_000,
            webhook_timeout_ms: 15_000,
            webhook_schedule: "5s,5m,30m,2h,5h,10h,10h".into(),
            webhook_allow_private: false,
            header_read_timeout_ms: 10_000,
            max_connections_per_client: 256,
            otlp_endpoint: None,
            environment: "development".into(),
            request_telemetry: true,
            metrics_addr: None,
            // A DMS paging through a store's records stays well inside this; a runaway loop does not.
            rate_limit_per_second: 100,
            rate_limit_burst: 500,
            rate_limit_anonymous_per_second: 20,
            rate_limit_anonymous_burst: 100,
            rate_limit_approval_per_minute: 30,
            rate_limit_approval_burst: 20,
            sms_provider: SmsProvider::Log,
            sms_endpoint: None,
            sms_secret_id: None,
            sms_secret_key: None,
            sms_app_id: None,
            sms_sign_name: None,
            sms_region: "ap-guangzhou".into(),
            wechat_app_id: None,
            wechat_app_secret: None,
            wechat_endpoint: "https://api.weixin.qq.com".into(),
            wechat_push_token: None,
            message_receipt_token: None,
            approval_url: "http://127.0.0.1:8080/v1/approval/{token}".into(),
            message_interval_ms: 1_000,
            import_interval_ms: 1_000,
            message_timeout_ms: 10_000,
            message_retry_base_ms: 30_000,
        }
    }
}

/// Configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value has the wrong form.
    #[error("configuration: {0}")]
    Load(#[from] Box<figment::Error>),
    /// The values do not make a working service.
    #[error("configuration: {0}")]
    Invalid(String),
}

impl Config {
    /// Loads defaults, then `file` (or `AFTERSALES_CONFIG`) if given, then the environment.
    pub fn load(file: Option<PathBuf>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        let file = file.or_else(|| std::env::var_os("AFTERSALES_CONFIG").map(PathBuf::from));
        if let Some(path) = file {
            figment = figment.merge(Toml::file_exact(path));
        }
        let config: Config = figment
            .merge(Env::prefixed("AFTERSALES_").ignore(&["config"]))
            .extract()
            .map_err(|e| ConfigError::Load(Box::new(e)))?;
        config.validate()?;
        Ok(config)
    }

    /// Checks that the settings fit together.
    pub fn validate(&self) -> Result<(), ConfigError> {
        use secrecy::ExposeSecret;
        match self.jwt_algorithm {
            JwtAlgorithm::HS256 => match &self.jwt_secret {
                Some(secret) if secret.expose_secret().len() >= 32 => {}
                Some(_) => {
                    return Err(ConfigError::Invalid(
                        "AFTERSALES_JWT_SECRET must be at least 32 characters".into(),
                    ));
                }
                None => {
                    return Err(ConfigError::Invalid(
                        "AFTERSALES_JWT_SECRET is required with HS256 (or set AFTERSALES_JWT_ALGORITHM and AFTERSALES_JWT_JWKS_FILE)"
                            .into(),
                    ));
                }
            },
            JwtAlgorithm::RS256 | JwtAlgorithm::ES256 => {
                if self.jwt_jwks_file.is_none() {
                    return Err(ConfigError::Invalid(format!(
                        "AFTERSALES_JWT_JWKS_FILE is required with {:?}",
                        self.jwt_algorithm
                    )));
                }
            }
        }
        if self.ehealth_endpoint.is_some()
            && (self.ehealth_app_key.is_none() || self.ehealth_app_secret.is_none())
        {
            return Err(ConfigError::Invalid(
                "AFTERSALES_EHEALTH_ENDPOINT needs AFTERSALES_EHEALTH_APP_KEY and AFTERSALES_EHEALTH_APP_SECRET".into(),
            ));
        }
        if self.header_read_timeout_ms == 0 {
            return Err(ConfigError::Invalid("AFTERSALES_HEADER_READ_TIMEOUT_MS must be at least 1".into()));
        }
        if self.max_connections_per_client == 0 {
            return Err(ConfigError::Invalid(
                "AFTERSALES_MAX_CONNECTIONS_PER_CLIENT must be at least 1".into(),
            ));
        }
        if self.jobs_interval_ms == 0 {
            return Err(ConfigError::Invalid("AFTERSALES_JOBS_INTERVAL_MS must be at least 1".into()));
        }
        if !(1..=30).contains(&self.events_max_wait_seconds) {
            // At least 1: an idle gRPC stream waits this long between heartbeats.
            return Err(ConfigError::Invalid(
                "AFTERSALES_EVENTS_MAX_WAIT_SECONDS must be between 1 and 30".into(),
            ));
        }
        if self.webhook_interval_ms == 0 || self.webhook_timeout_ms == 0 {
            return Err(ConfigError::Invalid(
                "AFTERSALES_WEBHOOK_INTERVAL_MS and AFTERSALES_WEBHOOK_TIMEOUT_MS must be at least 1".into(),
            ));
        }
        aftersales_domain::model::webhook::parse_schedule(&self.webhook_schedule)
            .map_err(|e| ConfigError::Invalid(format!("AFTERSALES_WEBHOOK_SCHEDULE: {e}")))?;
        if self.ehealth_interval_ms == 0 || self.ehealth_timeout_ms == 0 {
            return Err(ConfigError::Invalid(
                "AFTERSALES_EHEALTH_INTERVAL_MS and AFTERSALES_EHEALTH_TIMEOUT_MS must be at least 1".into(),
            ));
        }
        if self.import_interval_ms == 0 {
            return Err(ConfigError::Invalid("AFTERSALES_IMPORT_INTERVAL_MS must be at least 1".into()));
        }
        if self.message_interval_ms == 0 || self.message_timeout_ms == 0 {
            return Err(ConfigError::Invalid(
                "AFTERSALES_MESSAGE_INTERVAL_MS and AFTERSALES_MESSAGE_TIMEOUT_MS must be at least 1".into(),
            ));
        }
        if !self.approval_url.contains("{token}") {
            return Err(ConfigError::Invalid("AFTERSALES_APPROVAL_URL must contain {token}".into()));
        }
        if self.wechat_app_id.is_some() != self.wechat_app_secret.is_some() {
            return Err(ConfigError::Invalid(
                "AFTERSALES_WECHAT_APP_ID and AFTERSALES_WECHAT_APP_SECRET go together".into(),
            ));
        }
        crate::messages::Providers::from_config(self).map_err(ConfigError::Invalid)?;
        if self.database_max_connections == 0 {
            return Err(ConfigError::Invalid(
                "AFTERSALES_DATABASE_MAX_CONNECTIONS must be at least 1".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_format_is_parsed_where_it_enters_and_a_wrong_one_names_the_key() {
        let read = |format: &str| {
            Figment::from(Serialized::defaults(Config::default()))
                .merge(("log_format", format))
                .extract::<Config>()
                .map_err(|e| e.to_string())
        };
        assert_eq!(read("json").map(|c| c.log_format).ok(), Some(LogFormat::Json));
        let err = read("xml").err().unwrap_or_default();
        assert!(err.contains("log_format") && err.contains("plain"), "{err}");
    }

    // Issue 13: an id or secret of digits, as the environment gives it, is read as text.
    #[test]
    fn ids_and_secrets_of_digits_are_read_as_text() {
        use secrecy::ExposeSecret;
        let config = Figment::from(Serialized::defaults(Config::default()))
            .merge(("sms_app_id", 1_400_000_001_u64))
            .merge(("ehealth_app_key", 42_i64))
            .merge(("message_receipt_token", 123_456_u64))
            .extract::<Config>()
            .map_err(|e| e.to_string());
        let config = config.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(config.sms_app_id.as_deref(), Some("1400000001"));
        assert_eq!(config.ehealth_app_key.as_deref(), Some("42"));
        assert_eq!(
            config.message_receipt_token.map(|s| s.expose_secret().to_string()).as_deref(),
            Some("123456")
        );
    }
}

//! Sending messages to customers (issue 13): the providers behind the domain's port (Tencent
//! Cloud or Alibaba Cloud SMS, WeChat subscription messages, and a `log` provider for
//! development), the leased sending worker, and the endpoints the providers post their delivery
//! receipts to.

pub mod aliyun;
pub mod tencent;
pub mod wechat;

use std::sync::Arc;
use std::time::Duration;

use aftersales_domain::app::Services;
use aftersales_domain::model::message::{MessageChannel, Outgoing, Receipt, SendOutcome};
use aftersales_domain::ports::MessageProvider;
use async_trait::async_trait;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::watch;

use crate::config::{Config, SmsProvider};

/// Logs what it would send and takes it: development and `make run`. Logs no text and no
/// recipient, only ids, at info level.
pub struct LogProvider;

impl LogProvider {
    fn send(message: &Outgoing) -> SendOutcome {
        tracing::info!(
            message = %message.message_id,
            channel = message.channel.as_str(),
            template = message.provider_template_id.as_deref().unwrap_or("-"),
            parameters = message.parameters.len(),
            "message handed to the log provider"
        );
        SendOutcome::Accepted {
            provider: "log".into(),
            provider_message_id: format!("log-{}", message.message_id),
        }
    }
}

/// The SMS account in use.
pub enum Sms {
    /// Development.
    Log,
    /// Tencent Cloud.
    Tencent(tencent::TencentSms),
    /// Alibaba Cloud.
    Aliyun(aliyun::AliyunSms),
}

/// Every channel's provider behind the domain's one door.
pub struct Providers {
    /// SMS.
    pub sms: Sms,
    /// WeChat subscription messages; the log provider while unset.
    pub wechat: Option<wechat::WechatSubscribe>,
}

#[async_trait]
impl MessageProvider for Providers {
    async fn send(&self, message: &Outgoing) -> SendOutcome {
        match (message.channel, &self.sms, &self.wechat) {
            (MessageChannel::Sms, Sms::Tencent(p), _) => p.send(message).await,
            (MessageChannel::Sms, Sms::Aliyun(p), _) => p.send(message).await,
            (MessageChannel::WechatSubscribe, _, Some(p)) => p.send(message).await,
            (MessageChannel::Sms, Sms::Log, _) | (MessageChannel::WechatSubscribe, _, None) => {
                LogProvider::send(message)
            }
            (MessageChannel::WechatWork | MessageChannel::Letter, _, _) => {
                SendOutcome::Refused(format!("no provider sends the {} channel", message.channel.as_str()))
            }
        }
    }
}

impl Providers {
    /// The providers the configuration names.
    pub fn from_config(config: &Config) -> Result<Self, String> {
        let timeout = Duration::from_millis(config.message_timeout_ms);
        let missing = |key: &str| {
            format!("AFTERSALES_{key} is required with AFTERSALES_SMS_PROVIDER={:?}", config.sms_provider)
        };
        let secret_id = || config.sms_secret_id.clone().ok_or_else(|| missing("SMS_SECRET_ID"));
        let secret_key = || config.sms_secret_key.clone().ok_or_else(|| missing("SMS_SECRET_KEY"));
        let sign_name = || config.sms_sign_name.clone().ok_or_else(|| missing("SMS_SIGN_NAME"));
        let sms = match config.sms_provider {
            SmsProvider::Log => Sms::Log,
            SmsProvider::Tencent => Sms::Tencent(tencent::TencentSms::new(
                tencent::TencentSettings {
                    endpoint: config
                        .sms_endpoint
                        .clone()
                        .unwrap_or_else(|| "https://sms.tencentcloudapi.com".into()),
                    secret_id: secret_id()?,
                    secret_key: secret_key()?,
                    app_id: config.sms_app_id.clone().ok_or_else(|| missing("SMS_APP_ID"))?,
                    sign_name: sign_name()?,
                    region: config.sms_region.clone(),
                },
                timeout,
            )?),
            SmsProvider::Aliyun => Sms::Aliyun(aliyun::AliyunSms::new(
                config.sms_endpoint.clone().unwrap_or_else(|| "https://dysmsapi.aliyuncs.com".into()),
                secret_id()?,
                secret_key()?,
                sign_name()?,
                timeout,
            )?),
        };
        let wechat = match (&config.wechat_app_id, &config.wechat_app_secret) {
            (Some(id), Some(secret)) => Some(wechat::WechatSubscribe::new(
                config.wechat_endpoint.clone(),
                id.clone(),
                secret.clone(),
                timeout,
            )?),
            _ => None,
        };
        Ok(Self { sms, wechat })
    }
}

/// A provider's answer worth reading; a network failure, a 5xx or a 429 is a passing failure,
/// to retry later. Records the status on the current client span.
pub(crate) fn readable(
    sent: Result<reqwest::Response, reqwest::Error>,
    provider: &str,
) -> Result<reqwest::Response, SendOutcome> {
    let response = sent.map_err(|e| SendOutcome::Retry(format!("{provider} unreachable: {e}")))?;
    let status = response.status();
    tracing::Span::current().record("http.response.status_code", status.as_u16());
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(SendOutcome::Retry(format!("{provider} answered {status}")));
    }
    Ok(response)
}

/// Runs the sending worker until `stop` turns true: every `interval`, due messages are sent; a
/// full batch is followed at once by the next.
pub async fn run_worker(
    services: Services,
    providers: Arc<Providers>,
    interval: Duration,
    stop: watch::Receiver<bool>,
) {
    const BATCH: u64 = 20;
    crate::jobs::every(interval, stop, || async {
        match services.messages.process_due(providers.as_ref(), BATCH).await {
            Ok(0) => false,
            Ok(n) => {
                tracing::info!(taken = n, "messages processed");
                n as u64 == BATCH
            }
            Err(e) => {
                tracing::warn!(error = %e, "message worker step failed");
                false
            }
        }
    })
    .await;
}

/// Compares two secrets in time independent of where they differ.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// What the receipt endpoints need.
#[derive(Clone)]
struct ReceiptState {
    services: Services,
    token: Option<Arc<SecretString>>,
    wechat_token: Option<Arc<SecretString>>,
}

/// The SMS providers' callbacks carry the deployment's receipt token in the URL they were given.
#[derive(Deserialize)]
struct TokenQuery {
    token: Option<String>,
}

/// WeChat's push signature, and its URL check.
#[derive(Deserialize)]
struct WechatQuery {
    signature: Option<String>,
    timestamp: Option<String>,
    nonce: Option<String>,
    echostr: Option<String>,
}

/// The endpoints providers post delivery receipts to (not part of the client API, so not in the
/// OpenAPI document): `/v1/message-receipts/{tencent-sms,aliyun-sms}?token=…` and
/// `/v1/message-receipts/wechat` (WeChat's own signature).
pub fn receipt_routes(services: Services, config: &Config) -> Router {
    let state = ReceiptState {
        services,
        token: config.message_receipt_token.clone().map(Arc::new),
        wechat_token: config.wechat_push_token.clone().map(Arc::new),
    };
    Router::new()
        .route("/v1/message-receipts/tencent-sms", post(tencent_receipts))
        .route("/v1/message-receipts/aliyun-sms", post(aliyun_receipts))
        .route("/v1/message-receipts/wechat", post(wechat_receipts).get(wechat_check))
        .with_state(state)
}

/// A receipt refused, and why.
struct Refused(StatusCode, String);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        (self.0, axum::Json(json!({ "error": self.1 }))).into_response()
    }
}

fn refused(status: StatusCode, why: &str) -> Refused {
    Refused(status, why.to_string())
}

fn token_holds(state: &ReceiptState, query: &TokenQuery) -> Result<(), Refused> {
    match (&state.token, query.token.as_deref()) {
        (None, _) => Err(refused(
            StatusCode::NOT_FOUND,
            "receipts are off: AFTERSALES_MESSAGE_RECEIPT_TOKEN is not set",
        )),
        (Some(t), Some(given)) if same_secret(t.expose_secret(), given) => Ok(()),
        _ => Err(refused(StatusCode::UNAUTHORIZED, "bad receipt token")),
    }
}

async fn apply(state: &ReceiptState, parsed: Result<Vec<Receipt>, String>) -> Result<usize, Refused> {
    let receipts =
        parsed.map_err(|e| refused(StatusCode::BAD_REQUEST, &format!("unreadable receipts: {e}")))?;
    state.services.messages.record_receipts(&receipts).await.map_err(|e| {
        tracing::warn!(error = %e, "receipts not recorded");
        refused(StatusCode::SERVICE_UNAVAILABLE, "receipts not recorded; send them again")
    })
}

/// One SMS provider's receipt callback: the token, the provider's format, the provider's "taken".
async fn sms_receipts(
    state: &ReceiptState,
    query: &TokenQuery,
    body: &[u8],
    parse: fn(&[u8]) -> Result<Vec<Receipt>, String>,
    taken: serde_json::Value,
) -> Response {
    if let Err(r) = token_holds(state, query) {
        return r.into_response();
    }
    match apply(state, parse(body)).await {
        Ok(_) => axum::Json(taken).into_response(),
        Err(r) => r.into_response(),
    }
}

async fn tencent_receipts(
    State(state): State<ReceiptState>,
    Query(q): Query<TokenQuery>,
    body: axum::body::Bytes,
) -> Response {
    sms_receipts(&state, &q, &body, tencent::receipts, json!({ "result": 0, "errmsg": "OK" })).await
}

async fn aliyun_receipts(
    State(state): State<ReceiptState>,
    Query(q): Query<TokenQuery>,
    body: axum::body::Bytes,
) -> Response {
    sms_receipts(&state, &q, &body, aliyun::receipts, json!({ "code": 0, "msg": "成功" })).await
}

fn wechat_signed(state: &ReceiptState, q: &WechatQuery) -> Result<(), Refused> {
    let Some(token) = &state.wechat_token else {
        return Err(refused(
            StatusCode::NOT_FOUND,
            "WeChat pushes are off: AFTERSALES_WECHAT_PUSH_TOKEN is not set",
        ));
    };
    let part = |v: &Option<String>| v.clone().unwrap_or_default();
    if wechat::signed(token.expose_secret(), &part(&q.timestamp), &part(&q.nonce), &part(&q.signature)) {
        Ok(())
    } else {
        Err(refused(StatusCode::UNAUTHORIZED, "bad signature"))
    }
}

/// WeChat's check of the server URL: echo `echostr` when the signature holds.
async fn wechat_check(State(state): State<ReceiptState>, Query(q): Query<WechatQuery>) -> Response {
    match wechat_signed(&state, &q) {
        Ok(()) => q.echostr.unwrap_or_default().into_response(),
        Err(r) => r.into_response(),
    }
}

async fn wechat_receipts(
    State(state): State<ReceiptState>,
    Query(q): Query<WechatQuery>,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = wechat_signed(&state, &q) {
        return r.into_response();
    }
    match apply(&state, wechat::receipts(&body)).await {
        Ok(_) => "success".into_response(),
        Err(r) => r.into_response(),
    }
}

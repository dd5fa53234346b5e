//! The webhook transport (Standard Webhooks, standardwebhooks.com) and its worker (EV-3).
//!
//! Each delivery is a POST of the event JSON with `webhook-id` (the event id), `webhook-timestamp`
//! (Unix seconds) and `webhook-signature`: `v1,` and the base64 HMAC-SHA256, keyed with the
//! base64-decoded part of the `whsec_` secret, of `{id}.{timestamp}.{body}`; one signature per
//! signing secret, space-separated, while a rotated secret still signs.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use aftersales_domain::app::Services;
use aftersales_domain::model::webhook::{AttemptResult, is_private};
use aftersales_domain::ports::WebhookTransport;
use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use tokio::sync::watch;

/// Sends deliveries over HTTP(S).
pub struct HttpTransport {
    client: reqwest::Client,
    allow_private: bool,
}

impl HttpTransport {
    /// A transport whose requests time out after `timeout`; redirects are not followed, so an
    /// endpoint cannot bounce a delivery to an internal address.
    pub fn new(timeout: Duration, allow_private: bool) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("aftersales-webhooks/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, allow_private })
    }

    /// Refuses a URL whose host resolves to an address no webhook may reach.
    async fn check_target(&self, url: &str) -> Result<(), String> {
        if self.allow_private {
            return Ok(());
        }
        let parsed = reqwest::Url::parse(url).map_err(|e| format!("bad url: {e}"))?;
        let host = parsed.host_str().ok_or("url has no host")?.trim_matches(['[', ']']).to_string();
        let port = parsed.port_or_known_default().unwrap_or(443);
        let addrs: Vec<IpAddr> = match host.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|e| format!("cannot resolve host: {e}"))?
                .map(|a| a.ip())
                .collect(),
        };
        if addrs.is_empty() || addrs.iter().any(|ip| is_private(*ip)) {
            return Err("host resolves to a loopback, private or link-local address".into());
        }
        Ok(())
    }
}

/// The `webhook-signature` header value for `secrets` over one delivery.
pub fn signature(secrets: &[String], id: &str, timestamp: i64, body: &str) -> String {
    let content = format!("{id}.{timestamp}.{body}");
    secrets
        .iter()
        .filter_map(|secret| {
            let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap_or(secret)).ok()?;
            let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
            mac.update(content.as_bytes());
            Some(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[async_trait]
impl WebhookTransport for HttpTransport {
    // A client span of its own (no URL: a receiver's URL can hold a token).
    #[tracing::instrument(name = "webhook.send", skip_all, fields(
        otel.name = "POST webhook", otel.kind = "client", webhook.event_id = %event_id,
        http.response.status_code = tracing::field::Empty))]
    async fn send(&self, url: &str, secrets: &[String], event_id: uuid::Uuid, body: &str) -> AttemptResult {
        let started = Instant::now();
        let elapsed = |started: Instant| u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        if let Err(error) = self.check_target(url).await {
            return AttemptResult { status_code: None, latency_ms: elapsed(started), error: Some(error) };
        }
        let id = event_id.to_string();
        let timestamp = chrono::Utc::now().timestamp();
        let request = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature(secrets, &id, timestamp, body))
            .body(body.to_string());
        match request.send().await {
            Ok(answer) => AttemptResult {
                status_code: Some(answer.status().as_u16()).inspect(|code| {
                    tracing::Span::current().record("http.response.status_code", code);
                }),
                latency_ms: elapsed(started),
                error: None,
            },
            Err(e) => {
                let why =
                    if e.is_timeout() { "timed out".to_string() } else { format!("request failed: {e}") };
                AttemptResult { status_code: None, latency_ms: elapsed(started), error: Some(why) }
            }
        }
    }
}

/// Runs the delivery worker until `stop` turns true: every `interval` (at once after a busy
/// round), new events become deliveries and due deliveries are sent.
pub async fn run_worker(
    services: Services,
    transport: HttpTransport,
    interval: Duration,
    stop: watch::Receiver<bool>,
) {
    crate::jobs::every(interval, stop, || async {
        match services.events.deliver_due(&transport, 50).await {
            Ok(n) => n > 0,
            Err(e) => {
                tracing::warn!(error = %e, "webhook worker step failed");
                false
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    // The Standard Webhooks specification's own example: secret, id, timestamp, body and signature.
    #[test]
    fn ev_3_signatures_match_the_specification_example() {
        let secret = vec!["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_string()];
        let body = r#"{"test": 2432232314}"#;
        let got = signature(&secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body);
        assert_eq!(got, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn a_rotated_secret_signs_beside_the_new_one() {
        let secrets = vec![
            format!("whsec_{}", STANDARD.encode([1u8; 32])),
            format!("whsec_{}", STANDARD.encode([2u8; 32])),
        ];
        let got = signature(&secrets, "id", 1, "{}");
        assert_eq!(got.split(' ').count(), 2);
        assert!(got.split(' ').all(|s| s.starts_with("v1,")));
    }
}

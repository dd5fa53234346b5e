//! Webhook subscriptions and their deliveries (EV-3): who is told, how often a failure is
//! retried, and when an endpoint is given up.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::value::StoreCode;
use crate::{DomainError, Result};

crate::value::uuid_id!(
    /// A webhook subscription's id.
    SubscriptionId
);

/// How long the old secret still signs after a rotation, so receivers switch without a gap.
pub const ROTATION_OVERLAP: chrono::Duration = chrono::Duration::hours(24);
/// How long an endpoint may fail without one success before it is disabled.
pub const GIVE_UP_AFTER: chrono::Duration = chrono::Duration::days(5);
/// The longest URL a subscription takes.
pub const MAX_URL: usize = 2_000;
/// The retry waits after each failed attempt (Svix's schedule): the last retry comes about 28 hours
/// after the first attempt; an endpoint still failing after five days is disabled.
pub const DEFAULT_SCHEDULE: &[Duration] = &[
    Duration::from_secs(5),
    Duration::from_secs(5 * 60),
    Duration::from_secs(30 * 60),
    Duration::from_secs(2 * 3600),
    Duration::from_secs(5 * 3600),
    Duration::from_secs(10 * 3600),
    Duration::from_secs(10 * 3600),
];

/// A store's subscription to some of its event types.
#[derive(Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Id.
    pub id: SubscriptionId,
    /// Store.
    pub store: StoreCode,
    /// Where deliveries are POSTed.
    pub url: String,
    /// The event types delivered; all when empty.
    pub event_types: Vec<String>,
    /// Whether deliveries are made.
    pub active: bool,
    /// The signing secret, `whsec_` and base64.
    pub secret: String,
    /// The secret before the last rotation, still signing until `previous_until`.
    pub previous_secret: Option<String>,
    /// Until when the previous secret signs too.
    pub previous_until: Option<DateTime<Utc>>,
    /// Why it was disabled by the service (`gone`, `failing`), if it was.
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed.
    pub failing_since: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl std::fmt::Debug for Subscription {
    // The secrets stay out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Subscription")
            .field("id", &self.id)
            .field("store", &self.store)
            .field("url", &self.url)
            .field("event_types", &self.event_types)
            .field("active", &self.active)
            .field("version", &self.version)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    /// Whether an event of this type is delivered.
    pub fn wants(&self, event_type: &str) -> bool {
        self.event_types.is_empty() || self.event_types.iter().any(|t| t == event_type)
    }

    /// The secrets that sign a delivery at `now`: the current one, and the previous one during
    /// the overlap after a rotation.
    pub fn signing_secrets(&self, now: DateTime<Utc>) -> Vec<String> {
        let mut secrets = vec![self.secret.clone()];
        if let (Some(old), Some(until)) = (&self.previous_secret, self.previous_until)
            && now < until
        {
            secrets.push(old.clone());
        }
        secrets
    }
}

/// Checks a subscription URL's form: `https`, or `http` where private targets are allowed (tests,
/// `make run`); the address it resolves to is checked by the transport.
pub fn check_url(url: &str, allow_private: bool) -> Result<()> {
    let bad = |why: &str| Err(DomainError::invalid("url", why));
    if url.len() > MAX_URL {
        return bad("must be at most 2000 characters");
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return bad("must be an absolute https URL");
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("must be an absolute https URL");
    }
    match scheme {
        "https" => {}
        "http" if allow_private => {}
        _ => return bad("must be an https URL"),
    }
    let host = host.rsplit('@').next().unwrap_or(host);
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(v6),
        None => host.split(':').next().unwrap_or(host),
    };
    let local = name.eq_ignore_ascii_case("localhost") || name.to_ascii_lowercase().ends_with(".localhost");
    let private = name.parse::<std::net::IpAddr>().is_ok_and(is_private);
    if !allow_private && (local || private) {
        return bad("must not point at a loopback, private or link-local address");
    }
    Ok(())
}

/// Whether an address is one no webhook may reach unless private targets are allowed:
/// loopback, private, link-local, unspecified, shared (CGNAT) or unique-local.
pub fn is_private(ip: std::net::IpAddr) -> bool {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || (a == 100 && (64..128).contains(&b))
        }
        std::net::IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80
                || v6.to_ipv4_mapped().is_some_and(|v4| is_private(std::net::IpAddr::V4(v4)))
        }
    }
}

/// The state of one event's delivery to one subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Waiting for its next attempt.
    Pending,
    /// An attempt was answered 2xx.
    Succeeded,
    /// Given up: the schedule ran out or the subscription was disabled.
    Failed,
}

impl DeliveryStatus {
    /// The stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    /// Parses the stored form.
    pub fn parse(raw: &str) -> Result<Self> {
        match raw {
            "pending" => Ok(Self::Pending),
            "succeeded" => Ok(Self::Succeeded),
            "failed" => Ok(Self::Failed),
            _ => Err(DomainError::Internal(format!("unknown delivery status {raw}"))),
        }
    }
}

/// One event to send to one subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// Id.
    pub id: uuid::Uuid,
    /// The subscription.
    pub subscription_id: SubscriptionId,
    /// Store.
    pub store: StoreCode,
    /// The event (`webhook-id`).
    pub event_id: uuid::Uuid,
    /// The event's sequence.
    pub sequence: i64,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Attempts made, counting the one a worker holds the lease for.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt_at: DateTime<Utc>,
}

/// What one attempt got back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptResult {
    /// The HTTP status, when the endpoint answered.
    pub status_code: Option<u16>,
    /// How long it took.
    pub latency_ms: u64,
    /// Why it failed, when it did without an answer (timeout, refused, bad address).
    pub error: Option<String>,
}

impl AttemptResult {
    /// Whether the endpoint took the delivery: any 2xx.
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|c| (200..300).contains(&c))
    }
}

/// What the service does after an attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// Done.
    Succeeded,
    /// Try again at this instant.
    RetryAt(DateTime<Utc>),
    /// The schedule ran out: give this delivery up.
    GiveUp,
    /// Disable the subscription (`gone` after a 410, `failing` after five days), giving up its
    /// pending deliveries.
    Disable(&'static str),
}

/// Decides what follows an attempt (EV-3): success ends it; 410 disables the subscription; an
/// endpoint failing for five days is disabled; otherwise the next wait of the schedule, or give
/// up when it ran out.
pub fn next_step(
    result: &AttemptResult,
    attempts_made: u32,
    failing_since: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    schedule: &[Duration],
) -> NextStep {
    if result.succeeded() {
        return NextStep::Succeeded;
    }
    if result.status_code == Some(410) {
        return NextStep::Disable("gone");
    }
    if failing_since.is_some_and(|since| now - since >= GIVE_UP_AFTER) {
        return NextStep::Disable("failing");
    }
    let index = usize::try_from(attempts_made.saturating_sub(1)).unwrap_or(usize::MAX);
    match schedule.get(index) {
        Some(wait) => NextStep::RetryAt(now + chrono::Duration::from_std(*wait).unwrap_or(GIVE_UP_AFTER)),
        None => NextStep::GiveUp,
    }
}

/// Parses a retry schedule such as `5s,5m,30m,2h` (s, m, h suffixes).
pub fn parse_schedule(raw: &str) -> std::result::Result<Vec<Duration>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|part| {
            let (n, unit) = part.split_at(part.find(|c: char| !c.is_ascii_digit()).unwrap_or(part.len()));
            let n: u64 = n.parse().map_err(|_| format!("`{part}` is not a duration like 5s, 5m or 2h"))?;
            match unit {
                "ms" => Ok(Duration::from_millis(n)),
                "s" | "" => Ok(Duration::from_secs(n)),
                "m" => Ok(Duration::from_secs(n * 60)),
                "h" => Ok(Duration::from_secs(n * 3600)),
                _ => Err(format!("`{part}` is not a duration like 5s, 5m or 2h")),
            }
        })
        .collect()
}

/// One logged attempt, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryAttempt {
    /// Id (time-ordered).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub id: uuid::Uuid,
    /// The event (`webhook-id`).
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub event_id: uuid::Uuid,
    /// Its type.
    pub event_type: String,
    /// Its sequence.
    pub sequence: i64,
    /// 1 for the first attempt of this delivery.
    pub attempt: u32,
    /// The HTTP status, when the endpoint answered.
    pub status_code: Option<u16>,
    /// How long it took.
    pub latency_ms: u64,
    /// Why it failed without an answer.
    pub error: Option<String>,
    /// When.
    pub attempted_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(code: Option<u16>) -> AttemptResult {
        AttemptResult { status_code: code, latency_ms: 1, error: None }
    }

    // EV-3: 2xx succeeds, 410 disables, other failures follow the schedule and then give up.
    #[test]
    fn ev_3_the_schedule_decides_each_retry() {
        let now = Utc::now();
        let s = DEFAULT_SCHEDULE;
        assert_eq!(next_step(&result(Some(204)), 1, None, now, s), NextStep::Succeeded);
        assert_eq!(next_step(&result(Some(410)), 1, None, now, s), NextStep::Disable("gone"));
        assert_eq!(
            next_step(&result(Some(500)), 1, Some(now), now, s),
            NextStep::RetryAt(now + chrono::Duration::seconds(5))
        );
        assert_eq!(
            next_step(&result(None), 2, Some(now), now, s),
            NextStep::RetryAt(now + chrono::Duration::minutes(5))
        );
        assert_eq!(next_step(&result(Some(500)), 8, Some(now), now, s), NextStep::GiveUp);
        let long_ago = now - chrono::Duration::days(5);
        assert_eq!(next_step(&result(Some(503)), 3, Some(long_ago), now, s), NextStep::Disable("failing"));
        let total: u64 = s.iter().map(Duration::as_secs).sum();
        assert_eq!(total, 5 + 5 * 60 + 30 * 60 + (2 + 5 + 10 + 10) * 3600, "the issue's schedule");
    }

    #[test]
    fn ev_3_a_url_must_be_https_unless_private_targets_are_allowed() {
        assert!(check_url("https://dms.example.com/hooks", false).is_ok());
        assert!(check_url("http://dms.example.com/hooks", false).is_err());
        assert!(check_url("http://127.0.0.1:8080/hooks", true).is_ok());
        for private in [
            "https://127.0.0.1/h",
            "https://10.1.2.3/h",
            "https://[::1]:8443/h",
            "https://169.254.169.254/",
            "https://localhost/h",
            "https://u@192.168.1.1/",
        ] {
            assert!(check_url(private, false).is_err(), "{private}");
        }
        assert!(check_url("ftp://x", true).is_err());
        assert!(check_url("https:///nohost", false).is_err());
        assert!(check_url(&format!("https://a.example/{}", "x".repeat(MAX_URL)), false).is_err());
    }

    #[test]
    fn a_schedule_reads_seconds_minutes_and_hours() {
        assert_eq!(
            parse_schedule("5s, 5m,2h").unwrap(),
            vec![Duration::from_secs(5), Duration::from_secs(300), Duration::from_secs(7200)]
        );
        assert!(parse_schedule("5 parsecs").is_err());
    }

    #[test]
    fn the_old_secret_signs_until_the_overlap_ends() {
        let now = Utc::now();
        let mut s = Subscription {
            id: SubscriptionId::generate(),
            store: StoreCode::parse("SH001").unwrap(),
            url: "https://x.example".into(),
            event_types: vec!["work_order.delivered".into()],
            active: true,
            secret: "whsec_new".into(),
            previous_secret: Some("whsec_old".into()),
            previous_until: Some(now + ROTATION_OVERLAP),
            disabled_reason: None,
            failing_since: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        assert_eq!(s.signing_secrets(now).len(), 2);
        s.previous_until = Some(now);
        assert_eq!(s.signing_secrets(now), vec!["whsec_new".to_string()]);
        assert!(s.wants("work_order.delivered") && !s.wants("customer.created"));
        assert!(!format!("{s:?}").contains("whsec"));
    }
}

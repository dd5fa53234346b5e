//! The event feed and webhook subscriptions (EV-2, EV-3), and the delivery worker's step.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use serde::{Deserialize, Serialize};

use super::{Core, check_etag};
use crate::auth::{Action, Principal};
use crate::model::event::{Event, check_types};
use crate::model::webhook::{
    DeliveryAttempt, NextStep, ROTATION_OVERLAP, Subscription, SubscriptionId, check_url, next_step,
};
use crate::paging::{Page, PageRequest, encode_token};
use crate::ports::WebhookTransport;
use crate::value::{Etag, StoreCode};
use crate::{DomainError, Result};

/// The longest a feed read waits for a first event.
pub const MAX_WAIT: Duration = Duration::from_secs(30);
/// The most events one feed page answers.
pub const MAX_EVENTS: u64 = 500;
/// Events per page when the client does not say.
pub const DEFAULT_EVENTS: u64 = 100;
/// The most event types a filter or a subscription names.
pub const MAX_TYPES: usize = 64;

/// A feed read as a client asks for it; both fronts fill it whole.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedQuery {
    /// The cursor of the last event seen; the beginning when absent.
    pub after: Option<String>,
    /// Only these types; all when empty.
    pub types: Vec<String>,
    /// At most this many events (default 100, at most 500).
    pub page_size: Option<i64>,
    /// Wait up to this many seconds (at most 30) for a first event when there is none.
    pub wait_seconds: Option<i64>,
}

/// One page of the feed.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedPage {
    /// The events after the cursor, in sequence order.
    pub events: Vec<Event>,
    /// Where the next read starts: after the last event, or the same cursor when none was new.
    pub next_cursor: String,
}

/// Encodes a store sequence as the opaque cursor every channel uses.
pub fn cursor_of(sequence: i64) -> String {
    encode_token(&format!("ev:{sequence}"))
}

/// Reads a cursor a client sent, naming `field`; absent or empty is the beginning.
pub fn parse_cursor(field: &str, raw: Option<&str>) -> Result<i64> {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else { return Ok(0) };
    let bad = || DomainError::invalid(field, "is not a cursor this service issued");
    let page = PageRequest::parse(None, Some(raw)).map_err(|_| bad())?;
    page.after
        .as_deref()
        .and_then(|k| k.strip_prefix("ev:"))
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .ok_or_else(bad)
}

/// A new subscription as a client asks for it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateSubscription {
    /// Where deliveries are POSTed: `https` (or `http` where private targets are allowed).
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub url: String,
    /// Event types to deliver; all when empty or absent.
    #[serde(default)]
    pub event_types: Vec<String>,
    /// Whether deliveries start at once (default true).
    pub active: Option<bool>,
}

/// A change to a subscription; absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateSubscription {
    /// New URL.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub url: Option<String>,
    /// New event types (empty: all).
    pub event_types: Option<Vec<String>>,
    /// Pause (false) or resume (true); resuming a disabled subscription clears why.
    pub active: Option<bool>,
}

/// Where a replay starts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReplaySubscription {
    /// Re-send the events after this cursor; from the beginning when absent.
    #[cfg_attr(feature = "openapi", schema(max_length = 64, pattern = r"^[A-Za-z0-9_-]*$"))]
    pub after: Option<String>,
}

/// Events: the feed, subscriptions and the delivery worker.
#[derive(Clone)]
pub struct EventService {
    core: Arc<Core>,
}

impl EventService {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// Reads the store's events after a cursor (EV-2), waiting for the first if asked.
    pub async fn feed(&self, who: &Principal, store: &StoreCode, query: &FeedQuery) -> Result<FeedPage> {
        let FeedQuery { after, types, page_size, wait_seconds } = query;
        who.authorize(Action::ReadEvents, store, "store")?;
        let after = parse_cursor("after", after.as_deref())?;
        check_event_types("types", types)?;
        let limit = match page_size {
            None | Some(0) => DEFAULT_EVENTS,
            Some(n) if (1..=MAX_EVENTS as i64).contains(n) => *n as u64,
            Some(_) => {
                return Err(DomainError::invalid("page_size", format!("must be between 1 and {MAX_EVENTS}")));
            }
        };
        let wait = match wait_seconds {
            None => Duration::ZERO,
            Some(s) if (0..=MAX_WAIT.as_secs() as i64).contains(s) => Duration::from_secs(*s as u64),
            Some(_) => return Err(DomainError::invalid("wait", "must be between 0 and 30 seconds")),
        };
        self.core.store(who, store).await?;
        // A long poll may answer early with an empty page: the client simply asks again.
        let wait = wait.min(self.core.settings.feed_max_wait);
        let events = self.core.repo.read_events(store, after, types, limit, wait).await?;
        let next_cursor = cursor_of(events.last().map_or(after, |e| e.sequence));
        Ok(FeedPage { events, next_cursor })
    }

    /// Creates a subscription; the answer is the only time its secret is shown.
    pub async fn create(
        &self,
        who: &Principal,
        store: &StoreCode,
        cmd: &CreateSubscription,
    ) -> Result<Subscription> {
        let CreateSubscription { url, event_types, active } = cmd;
        who.authorize(Action::ManageWebhooks, store, "store")?;
        check_url(url.trim(), self.core.settings.webhooks.allow_private)?;
        check_event_types("event_types", event_types)?;
        self.core.store(who, store).await?;
        let now = self.core.now();
        let subscription = Subscription {
            id: SubscriptionId::generate(),
            store: store.clone(),
            url: url.trim().to_string(),
            event_types: event_types.clone(),
            active: active.unwrap_or(true),
            secret: new_secret(),
            previous_secret: None,
            previous_until: None,
            disabled_reason: None,
            failing_since: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        self.core.repo.insert_subscription(&subscription).await?;
        tracing::info!(store = %store, subscription = %subscription.id, "webhook subscription created");
        Ok(subscription)
    }

    /// Reads a subscription (its secret is never shown again).
    pub async fn get(&self, who: &Principal, store: &StoreCode, id: SubscriptionId) -> Result<Subscription> {
        who.authorize(Action::ManageWebhooks, store, "webhook_subscription")?;
        self.load(who, store, id).await
    }

    /// Lists a store's subscriptions.
    pub async fn list(
        &self,
        who: &Principal,
        store: &StoreCode,
        page: &PageRequest,
    ) -> Result<Page<Subscription>> {
        who.authorize(Action::ManageWebhooks, store, "store")?;
        self.core.store(who, store).await?;
        self.core.repo.list_subscriptions(store, page).await
    }

    /// Changes a subscription's URL, types or activity.
    pub async fn update(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: SubscriptionId,
        if_match: Option<&Etag>,
        cmd: &UpdateSubscription,
    ) -> Result<Subscription> {
        let UpdateSubscription { url, event_types, active } = cmd;
        who.authorize(Action::ManageWebhooks, store, "webhook_subscription")?;
        if let Some(url) = url {
            check_url(url.trim(), self.core.settings.webhooks.allow_private)?;
        }
        if let Some(types) = event_types {
            check_event_types("event_types", types)?;
        }
        let current = self.load(who, store, id).await?;
        check_etag("webhook_subscription", current.version, if_match)?;
        let mut next = current.clone();
        if let Some(url) = url {
            next.url = url.trim().to_string();
        }
        if let Some(types) = event_types {
            next.event_types = types.clone();
        }
        if let Some(active) = active {
            next.active = *active;
            if *active {
                next.disabled_reason = None;
                next.failing_since = None;
            }
        }
        self.save(next, &current).await
    }

    /// Issues a new secret; the old one keeps signing for 24 hours beside it.
    pub async fn rotate_secret(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: SubscriptionId,
        if_match: Option<&Etag>,
    ) -> Result<Subscription> {
        who.authorize(Action::ManageWebhooks, store, "webhook_subscription")?;
        let current = self.load(who, store, id).await?;
        check_etag("webhook_subscription", current.version, if_match)?;
        let now = self.core.now();
        let mut next = current.clone();
        next.previous_secret = Some(current.secret.clone());
        next.previous_until = Some(now + ROTATION_OVERLAP);
        next.secret = new_secret();
        self.save(next, &current).await
    }

    /// Deletes a subscription with its deliveries and log.
    pub async fn delete(&self, who: &Principal, store: &StoreCode, id: SubscriptionId) -> Result<()> {
        who.authorize(Action::ManageWebhooks, store, "webhook_subscription")?;
        self.core.store(who, store).await?;
        if self.core.repo.delete_subscription(store, id).await? {
            Ok(())
        } else {
            Err(DomainError::NotFound { resource: "webhook_subscription" })
        }
    }

    /// Sends the store's events after a cursor to the subscription again (receivers deduplicate
    /// by `webhook-id`).
    pub async fn replay(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: SubscriptionId,
        cmd: &ReplaySubscription,
    ) -> Result<()> {
        let ReplaySubscription { after } = cmd;
        who.authorize(Action::ManageWebhooks, store, "webhook_subscription")?;
        let after = parse_cursor("after", after.as_deref())?;
        self.load(who, store, id).await?;
        self.core.repo.replay_subscription(store, id, after).await
    }

    /// A subscription's delivery log: every attempt, oldest first.
    pub async fn attempts(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: SubscriptionId,
        page: &PageRequest,
    ) -> Result<Page<DeliveryAttempt>> {
        who.authorize(Action::ManageWebhooks, store, "webhook_subscription")?;
        self.load(who, store, id).await?;
        self.core.repo.list_attempts(store, id, page).await
    }

    /// The worker's step: turns new events into deliveries, then sends up to `batch` due ones
    /// through `transport`, concurrently; answers how many were attempted. Deliveries are leased,
    /// so replicas share the work and one killed mid-send leaves its lease to run out.
    pub async fn deliver_due(&self, transport: &dyn WebhookTransport, batch: u64) -> Result<usize> {
        let settings = &self.core.settings.webhooks;
        self.core.repo.fan_out(self.core.now(), 500).await?;
        let claimed = self.core.repo.claim_deliveries(self.core.now(), settings.lease, batch).await?;
        let attempted = claimed.len();
        let sends = claimed.into_iter().map(|claim| async move {
            let now = self.core.now();
            let body = serde_json::to_string(&claim.event).map_err(|e| DomainError::Internal(e.to_string()))?;
            let secrets = claim.subscription.signing_secrets(now);
            let result = transport.send(&claim.subscription.url, &secrets, claim.event.id, &body).await;
            let now = self.core.now();
            let attempts = claim.delivery.attempts;
            let failing_since = claim.subscription.failing_since.or(Some(now));
            let step = next_step(&result, attempts, failing_since, now, &settings.schedule);
            if let NextStep::Disable(reason) = step {
                tracing::warn!(store = %claim.delivery.store, subscription = %claim.subscription.id, reason, "webhook subscription disabled");
            }
            if !self.core.repo.finish_delivery(&claim, &result, &step, now).await? {
                tracing::warn!(delivery = %claim.delivery.id, "webhook lease ran out during a delivery");
            }
            Ok::<_, DomainError>(())
        });
        for outcome in futures_util::future::join_all(sends).await {
            outcome?;
        }
        Ok(attempted)
    }

    async fn load(&self, who: &Principal, store: &StoreCode, id: SubscriptionId) -> Result<Subscription> {
        self.core.store(who, store).await?;
        self.core
            .repo
            .get_subscription(store, id)
            .await?
            .ok_or(DomainError::NotFound { resource: "webhook_subscription" })
    }

    async fn save(&self, mut next: Subscription, current: &Subscription) -> Result<Subscription> {
        next.version = current.version + 1;
        next.updated_at = self.core.now();
        self.core.repo.update_subscription(&next, current.version).await?;
        Ok(next)
    }
}

fn check_event_types(field: &str, types: &[String]) -> Result<()> {
    if types.len() > MAX_TYPES {
        return Err(DomainError::invalid(field, format!("must name at most {MAX_TYPES} types")));
    }
    check_types(field, types)
}

/// A new signing secret: `whsec_` and the base64 of 32 random bytes.
fn new_secret() -> String {
    let mut bytes = Vec::with_capacity(32);
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    bytes.extend_from_slice(uuid::Uuid::new_v4().as_bytes());
    format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_and_a_foreign_one_is_refused() {
        assert_eq!(parse_cursor("after", Some(&cursor_of(42))).unwrap(), 42);
        assert_eq!(parse_cursor("after", None).unwrap(), 0);
        assert!(parse_cursor("after", Some(&encode_token("x"))).is_err());
        assert!(parse_cursor("after", Some("garbage!")).is_err());
    }

    #[test]
    fn ev_3_a_secret_is_whsec_and_at_least_24_random_bytes() {
        let s = new_secret();
        let raw =
            base64::engine::general_purpose::STANDARD.decode(s.strip_prefix("whsec_").unwrap()).unwrap();
        assert!(raw.len() >= 24);
        assert_ne!(s, new_secret());
    }
}

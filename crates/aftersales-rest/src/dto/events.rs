//! Bodies of the event feed and webhook subscriptions (EV-2, EV-3).

use aftersales_domain::app::FeedPage;
use aftersales_domain::model::event::Event;
use aftersales_domain::model::webhook::{DeliveryAttempt, Subscription};
use aftersales_domain::value::Etag;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// One page of the feed.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventPage {
    /// Events after the cursor, in sequence order.
    pub events: Vec<Event>,
    /// Pass as `after` for the next read; the same cursor when nothing was new.
    pub next_cursor: String,
}

impl From<FeedPage> for EventPage {
    fn from(p: FeedPage) -> Self {
        let FeedPage { events, next_cursor } = p;
        Self { events, next_cursor }
    }
}

/// A webhook subscription; `secret` only in the answers that create or rotate it.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionDto {
    /// Id.
    pub id: Uuid,
    /// Store code.
    pub store: String,
    /// Where deliveries go.
    pub url: String,
    /// Types delivered; all when empty.
    pub event_types: Vec<String>,
    /// Whether deliveries are made.
    pub active: bool,
    /// Why the service disabled it (`gone`, `failing`).
    pub disabled_reason: Option<String>,
    /// Since when every attempt has failed.
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the secret before the last rotation still signs.
    pub previous_secret_until: Option<DateTime<Utc>>,
    /// The signing secret (`whsec_...`): shown once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// Version tag for `If-Match`.
    pub etag: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl SubscriptionDto {
    /// The subscription with its secret, for the answer that issued it.
    pub fn revealed(s: Subscription) -> Self {
        let secret = s.secret.clone();
        Self { secret: Some(secret), ..Self::from(s) }
    }
}

impl From<Subscription> for SubscriptionDto {
    fn from(s: Subscription) -> Self {
        let Subscription {
            id,
            store,
            url,
            event_types,
            active,
            secret: _,
            previous_secret: _,
            previous_until,
            disabled_reason,
            failing_since,
            version,
            created_at,
            updated_at,
        } = s;
        Self {
            id: id.0,
            store: store.to_string(),
            url,
            event_types,
            active,
            disabled_reason,
            failing_since,
            previous_secret_until: previous_until,
            secret: None,
            etag: Etag::render(version),
            created_at,
            updated_at,
        }
    }
}

list_dto!(
    /// A page of subscriptions.
    SubscriptionList, webhook_subscriptions, SubscriptionDto
);

list_dto!(
    /// A page of the delivery log.
    DeliveryAttemptList, deliveries, DeliveryAttempt
);

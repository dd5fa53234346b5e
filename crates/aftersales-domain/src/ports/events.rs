//! The ports of events (EV-1..EV-3): the feed, webhook subscriptions and their leased deliveries,
//! and the transport that sends a signed delivery.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::LeaseToken;
use crate::Result;
use crate::model::event::Event;
use crate::model::webhook::{
    AttemptResult, Delivery, DeliveryAttempt, NextStep, Subscription, SubscriptionId,
};
use crate::paging::{Page, PageRequest};
use crate::value::StoreCode;

/// A delivery a worker leased, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct ClaimedDelivery {
    /// The delivery.
    pub delivery: Delivery,
    /// Its subscription (URL, secrets).
    pub subscription: Subscription,
    /// The event to send.
    pub event: Event,
    /// This attempt's log row, written when it was leased.
    pub attempt: uuid::Uuid,
    /// The lease.
    pub lease: LeaseToken,
}

/// Events as stored: the feed, subscriptions and deliveries.
#[async_trait]
pub trait EventStore: Send + Sync {
    /// One store's events after sequence `after`, in order, of `types` (all when empty), at most
    /// `limit`. When there are none yet, waits up to `wait` for the first to commit.
    async fn read_events(
        &self,
        store: &StoreCode,
        after: i64,
        types: &[String],
        limit: u64,
        wait: Duration,
    ) -> Result<Vec<Event>>;
    /// Saves a new subscription; it receives the events that commit after it.
    async fn insert_subscription(&self, subscription: &Subscription) -> Result<()>;
    /// Reads a subscription.
    async fn get_subscription(&self, store: &StoreCode, id: SubscriptionId) -> Result<Option<Subscription>>;
    /// Lists a store's subscriptions, oldest first.
    async fn list_subscriptions(&self, store: &StoreCode, page: &PageRequest) -> Result<Page<Subscription>>;
    /// Saves a changed subscription if still at `expected_version`.
    async fn update_subscription(&self, subscription: &Subscription, expected_version: i64) -> Result<()>;
    /// Deletes a subscription with its deliveries and log; answers whether it existed.
    async fn delete_subscription(&self, store: &StoreCode, id: SubscriptionId) -> Result<bool>;
    /// Sends the store's events after `after` to the subscription again.
    async fn replay_subscription(&self, store: &StoreCode, id: SubscriptionId, after: i64) -> Result<()>;
    /// A subscription's attempts, oldest first.
    async fn list_attempts(
        &self,
        store: &StoreCode,
        id: SubscriptionId,
        page: &PageRequest,
    ) -> Result<Page<DeliveryAttempt>>;
    /// Turns committed events into deliveries for every active subscription that wants them;
    /// answers how many deliveries were made. Safe to run on every replica at once.
    async fn fan_out(&self, now: DateTime<Utc>, limit: u64) -> Result<usize>;
    /// Leases up to `limit` due deliveries, each the earliest unfinished one of its record for its
    /// subscription, so one record's events arrive in order.
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u64,
    ) -> Result<Vec<ClaimedDelivery>>;
    /// Logs an attempt and applies its next step, if the lease is still held; answers whether it was.
    async fn finish_delivery(
        &self,
        claimed: &ClaimedDelivery,
        result: &AttemptResult,
        step: &NextStep,
        now: DateTime<Utc>,
    ) -> Result<bool>;
}

/// Sends one delivery (the Standard Webhooks protocol).
#[async_trait]
pub trait WebhookTransport: Send + Sync {
    /// POSTs `body` to `url`, signed with each of `secrets`, as event `event_id`.
    async fn send(&self, url: &str, secrets: &[String], event_id: uuid::Uuid, body: &str) -> AttemptResult;
}

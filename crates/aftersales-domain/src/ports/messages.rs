//! The ports of messages to customers (issue 13): the queue the sending worker leases from, the
//! templates, the WeChat consent ledger, and the providers that send. Messages, templates and
//! consents are written as ops ([`super::Op::InsertMessage`] and the others) in the transaction
//! of the step that asks for them; the worker's and the receipts' changes through this port.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::LeaseToken;
use crate::Result;
use crate::model::message::{
    AlreadySent, CountWindows, MessageChannel, MessageFilter, MessageId, OutboundMessage, Outgoing, Purpose,
    Receipt, ReceiptOutcome, SendOutcome, Template,
};
use crate::paging::{Page, PageRequest};
use crate::value::{CustomerId, StoreCode};

/// Messages, templates and consents.
#[async_trait]
pub trait MessageStore: Send + Sync {
    /// One message of a store.
    async fn get_message(&self, store: &StoreCode, id: MessageId) -> Result<Option<OutboundMessage>>;

    /// A store's messages, oldest first, paged by id.
    async fn list_messages(
        &self,
        store: &StoreCode,
        filter: &MessageFilter,
        page: &PageRequest,
    ) -> Result<Page<OutboundMessage>>;

    /// The newest version of a store's template for a code and channel.
    async fn latest_template(
        &self,
        store: &StoreCode,
        code: &str,
        channel: MessageChannel,
    ) -> Result<Option<Template>>;

    /// One version of a store's template.
    async fn template_version(
        &self,
        store: &StoreCode,
        code: &str,
        channel: MessageChannel,
        version: u32,
    ) -> Result<Option<Template>>;

    /// A store's templates, every version, by code, channel and version; paged.
    async fn list_templates(&self, store: &StoreCode, page: &PageRequest) -> Result<Page<Template>>;

    /// Leases up to `limit` queued messages planned at or before `now`, counting the attempt as
    /// each is taken, so a crash mid-send never sends more often than the attempts say.
    async fn claim_due_messages(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: u64,
    ) -> Result<Vec<(OutboundMessage, LeaseToken)>>;

    /// What a customer was sent of `purpose` (sent or delivered) in the day and month windows.
    async fn sent_count(
        &self,
        store: &StoreCode,
        customer: CustomerId,
        purpose: Purpose,
        windows: CountWindows,
    ) -> Result<AlreadySent>;

    /// Takes one unspent one-time consent of the customer for the provider's `template_id` for
    /// `message` (or the one it took on an earlier attempt) and answers the openid it was given
    /// under; none when none is left. A consent is taken by one message only, whatever races.
    async fn take_consent(
        &self,
        store: &StoreCode,
        customer: CustomerId,
        template_id: &str,
        message: MessageId,
        now: DateTime<Utc>,
    ) -> Result<Option<String>>;

    /// Unspent consents of a customer for the provider's `template_id`.
    async fn available_consents(
        &self,
        store: &StoreCode,
        customer: CustomerId,
        template_id: &str,
    ) -> Result<u32>;

    /// Saves the worker's outcome if its lease still holds; a final state is announced
    /// (`message.status_changed`). False when the lease was lost.
    async fn finish_message(&self, message: &OutboundMessage, lease: &LeaseToken) -> Result<bool>;

    /// Applies a provider's receipt to the message it names, in whichever store.
    async fn apply_receipt(&self, receipt: &Receipt) -> Result<ReceiptOutcome>;
}

/// Sends messages: the store group's SMS and WeChat providers behind one door.
#[async_trait]
pub trait MessageProvider: Send + Sync {
    /// Sends one message; never panics, every failure is an outcome.
    async fn send(&self, message: &Outgoing) -> SendOutcome;
}

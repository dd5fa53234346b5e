//! Messages to customers (issue 13): one outbound message model for every channel, created in the
//! transaction of the business step that asks for it, sent later by a leased worker through the
//! store's provider, and followed to delivery by the provider's receipts.
//!
//! `rules` holds what is checked before sending (consent, quiet hours, caps); `template` the
//! store's texts with their named parameters.

pub mod rules;
pub mod template;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub use rules::{AlreadySent, CountWindows, counted_on, next_allowed, rules};
pub use template::{
    CreateTemplate, KNOWN_TEMPLATES, KnownTemplate, MAX_TEMPLATE_CHARS, Template, known_template,
    template_parameters,
};

use crate::value::{CustomerId, StoreCode, uuid_id};

uuid_id!(
    /// Identifies an outbound message.
    MessageId
);

/// Declares a string enum with its wire names, `as_str` and `parse`.
macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant),+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The wire name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            /// Parses a wire name, naming `field` on failure.
            pub fn parse(field: &str, raw: &str) -> crate::Result<Self> {
                match raw { $($wire => Ok($name::$variant),)+ _ => Err(crate::DomainError::invalid(
                    field, format!("must be one of: {}", [$($wire),+].join(", ")))) }
            }
        }
    };
}

wire_enum!(
    /// Why a message is sent: service messages need no marketing consent, marketing ones do.
    Purpose {
        /// About the customer's own car and visit (reminders, "your car is ready", follow-up).
        Service = "service",
        /// Invitations and offers (FU-7).
        Marketing = "marketing",
    }
);

wire_enum!(
    /// How a message reaches the customer.
    MessageChannel {
        /// SMS through the store group's provider (Tencent Cloud or Alibaba Cloud).
        Sms = "sms",
        /// A WeChat one-time subscription message; each needs a consent the customer gave.
        WechatSubscribe = "wechat_subscribe",
        /// WeCom (企业微信) to the customer's contact.
        WechatWork = "wechat_work",
        /// A posted letter.
        Letter = "letter",
    }
);

wire_enum!(
    /// Why a message was not sent.
    Suppressed {
        /// Marketing without the customer's current consent (CF-5).
        NoMarketingConsent = "no_marketing_consent",
        /// The customer already had the day's allowance.
        DailyCapReached = "daily_cap_reached",
        /// The customer already had the month's allowance.
        MonthlyCapReached = "monthly_cap_reached",
        /// A WeChat subscription message without an unspent one-time consent for its template.
        NoSubscriptionConsent = "no_subscription_consent",
        /// Nowhere to send it: no mobile number for an SMS, or the file was merged away or removed.
        NoRecipient = "no_recipient",
        /// What it was about no longer stands: the appointment was cancelled, the reminder's task
        /// closed (the car came back, say) before it went out.
        Withdrawn = "withdrawn",
    }
);

wire_enum!(
    /// Where a message stands.
    MessageStatus {
        /// Waiting for its time and the worker.
        Queued = "queued",
        /// Handed to the provider.
        Sent = "sent",
        /// The provider says it arrived.
        Delivered = "delivered",
        /// The provider refused it, it did not arrive, or every attempt failed.
        Failed = "failed",
        /// Not sent, and never will be; the reason is recorded.
        Suppressed = "suppressed",
    }
);

/// How many messages of one purpose one customer may get (WeCom's limits by default: 1 a day,
/// 4 a month for marketing; service messages have room for a visit's few).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caps {
    /// Per store-local day.
    pub per_day: u32,
    /// Per store-local month.
    pub per_month: u32,
}

impl Caps {
    /// The defaults for a purpose.
    pub fn default_for(purpose: Purpose) -> Self {
        match purpose {
            Purpose::Marketing => Self { per_day: 1, per_month: 4 },
            Purpose::Service => Self { per_day: 5, per_month: 30 },
        }
    }
}

/// The record of the business step that asked for a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageSource {
    /// Its kind: `follow_up_task`, `letter` or `appointment`.
    pub kind: String,
    /// Its id.
    pub id: String,
}

/// Attempts before a message that keeps failing for passing reasons is given up.
pub const MAX_ATTEMPTS: u32 = 8;

/// One message to one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundMessage {
    /// Id.
    pub id: MessageId,
    /// Store.
    pub store: StoreCode,
    /// To whom.
    pub customer_id: CustomerId,
    /// Service or marketing (the template's code decides).
    pub purpose: Purpose,
    /// Channel.
    pub channel: MessageChannel,
    /// The template's code, e.g. `follow_up_unreachable`.
    pub template: String,
    /// The template version it was made with (0: the built-in text).
    pub template_version: u32,
    /// The template's named parameters.
    pub parameters: BTreeMap<String, String>,
    /// The text as the customer reads it.
    pub text: String,
    /// The business step that asked for it.
    pub source: Option<MessageSource>,
    /// When it may go out at the earliest (moved out of quiet hours, or to the next retry).
    pub planned_at: DateTime<Utc>,
    /// Where it stands.
    pub status: MessageStatus,
    /// Why it was suppressed.
    pub suppressed: Option<Suppressed>,
    /// The provider that took it (`log`, `tencent_sms`, `aliyun_sms`, `wechat`).
    pub provider: Option<String>,
    /// The provider's id for it, which its receipts name.
    pub provider_message_id: Option<String>,
    /// Sending attempts so far, each counted before it is made.
    pub attempts: u32,
    /// What went wrong last, in the provider's words.
    pub last_error: Option<String>,
    /// When the provider took it.
    pub sent_at: Option<DateTime<Utc>>,
    /// When the provider said it arrived (or did not).
    pub delivered_at: Option<DateTime<Utc>>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// What a business step asks to send.
#[derive(Debug, Clone)]
pub struct MessageRequest {
    /// Store.
    pub store: StoreCode,
    /// To whom.
    pub customer_id: CustomerId,
    /// The template's code.
    pub template: &'static str,
    /// The channels to use, in order of preference: the first the store has a template for wins,
    /// else the last (the fallback, SMS where the step allows it) with the built-in text.
    pub channels: Vec<MessageChannel>,
    /// The parameters, all of the code's.
    pub parameters: BTreeMap<String, String>,
    /// The asking record.
    pub source: Option<MessageSource>,
    /// Not before this instant (a reminder for its day); now when unset. Either way it goes at
    /// the first instant inside call hours.
    pub not_before: Option<DateTime<Utc>>,
}

impl MessageRequest {
    /// A request of `template` to a customer on `channels` (in order of preference, the last the
    /// fallback), linked to the record `(kind, id)` that asks for it; no parameters yet.
    pub fn new(
        store: &StoreCode,
        customer_id: CustomerId,
        template: &'static str,
        channels: Vec<MessageChannel>,
        (kind, id): (&str, String),
    ) -> Self {
        Self {
            store: store.clone(),
            customer_id,
            template,
            channels,
            parameters: BTreeMap::new(),
            source: Some(MessageSource { kind: kind.to_string(), id }),
            not_before: None,
        }
    }

    /// With one more parameter.
    pub fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.parameters.insert(name.to_string(), value.into());
        self
    }

    /// To go out no sooner than `at`.
    pub fn after(mut self, at: DateTime<Utc>) -> Self {
        self.not_before = Some(at);
        self
    }
}

/// Who a message goes to, as the provider addresses them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// A mobile number in E.164 form (`+8613812345678`).
    Phone(String),
    /// A WeChat user's openid under the store group's mini-program.
    Openid(String),
}

/// A message as a provider sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// Our id, for the provider's reference fields.
    pub message_id: MessageId,
    /// Channel.
    pub channel: MessageChannel,
    /// To whom.
    pub to: Recipient,
    /// The rendered text (providers with their own templates ignore it).
    pub text: String,
    /// The provider's pre-approved template.
    pub provider_template_id: Option<String>,
    /// The parameters under the provider's names, in the order the text uses them.
    pub parameters: Vec<(String, String)>,
}

/// A provider's answer to one send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Taken; receipts will name `provider_message_id`.
    Accepted {
        /// The provider's name.
        provider: String,
        /// The provider's id.
        provider_message_id: String,
    },
    /// A passing failure (network, 5xx, rate limit): try again later.
    Retry(String),
    /// Refused for good (bad number, unapproved template, the user refused).
    Refused(String),
}

/// A provider's delivery report for one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    /// The provider's name.
    pub provider: String,
    /// The provider's id of the message.
    pub provider_message_id: String,
    /// Whether it arrived.
    pub delivered: bool,
    /// The provider's status text.
    pub detail: String,
    /// When the provider says it happened (now, when it does not say).
    pub at: DateTime<Utc>,
}

/// What a receipt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReceiptOutcome {
    /// It moved its message to delivered or failed.
    Applied,
    /// Its message had it already, or is not out with the provider.
    Unchanged,
    /// No message has that provider id (yet: a receipt may overtake the worker's own record of
    /// the send).
    Unknown,
}

/// How long after a receipt's time an unknown provider id may still be a send whose record is
/// not committed yet: such a receipt is asked for again rather than dropped.
pub const RECEIPT_GRACE: Duration = Duration::minutes(10);

/// Filters of a message list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageFilter {
    /// One customer's messages.
    pub customer_id: Option<CustomerId>,
    /// In this state.
    pub status: Option<MessageStatus>,
    /// Of this purpose.
    pub purpose: Option<Purpose>,
    /// On this channel.
    pub channel: Option<MessageChannel>,
}

/// One-time WeChat subscription consents a customer gave for one of the provider's templates
/// (the mini-program's `wx.requestSubscribeMessage`): each allows one message, and is spent on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentGrant {
    /// Store.
    pub store: StoreCode,
    /// The customer.
    pub customer_id: CustomerId,
    /// The customer's openid under the store group's mini-program.
    pub openid: String,
    /// The provider's template id the consents are for.
    pub template_id: String,
    /// How many messages they allow.
    pub count: u32,
    /// When the customer gave them.
    pub granted_at: DateTime<Utc>,
}

/// Records consents a customer gave in the mini-program.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GrantConsents {
    /// The customer's openid under the store group's mini-program.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9_-]{1,64}$"))]
    pub openid: String,
    /// The WeChat template id the customer subscribed to.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9_-]{1,64}$"))]
    pub template_id: String,
    /// How many messages the customer allowed at once (1 to 50, default 1).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 50))]
    pub count: Option<u32>,
}

/// Whether `raw` is a provider's identifier: 1 to 64 letters, digits, `_` or `-`.
pub fn is_provider_id(raw: &str) -> bool {
    !raw.is_empty()
        && raw.len() <= 64
        && raw.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

impl GrantConsents {
    /// Checks the command; answers the grant.
    pub fn validate(
        &self,
        store: &StoreCode,
        customer_id: CustomerId,
        now: DateTime<Utc>,
    ) -> crate::Result<ConsentGrant> {
        let mut v = crate::error::Validator::new();
        if !is_provider_id(&self.openid) {
            v.push("openid", "must be 1 to 64 letters, digits, _ or -");
        }
        if !is_provider_id(&self.template_id) {
            v.push("template_id", "must be 1 to 64 letters, digits, _ or -");
        }
        let count = self.count.unwrap_or(1);
        if !(1..=50).contains(&count) {
            v.push("count", "must be 1 to 50");
        }
        v.finish()?;
        Ok(ConsentGrant {
            store: store.clone(),
            customer_id,
            openid: self.openid.clone(),
            template_id: self.template_id.clone(),
            count,
            granted_at: now,
        })
    }
}

/// The wait before retry `attempt` (1-based): doubling from `base`, at most an hour.
fn backoff(base: std::time::Duration, attempt: u32) -> Duration {
    let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
    let wait = base.saturating_mul(factor).min(std::time::Duration::from_secs(3600));
    Duration::from_std(wait).unwrap_or(Duration::hours(1))
}

impl OutboundMessage {
    /// A queued message from a template, planned at the first allowed instant from `now`.
    pub fn queue(
        request: &MessageRequest,
        template: &Template,
        planned_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> crate::Result<Self> {
        let text = template.render(&request.parameters)?;
        Ok(Self {
            id: MessageId::generate(),
            store: request.store.clone(),
            customer_id: request.customer_id,
            purpose: template.purpose,
            channel: template.channel,
            template: template.code.clone(),
            template_version: template.version,
            parameters: request.parameters.clone(),
            text,
            source: request.source.clone(),
            planned_at,
            status: MessageStatus::Queued,
            suppressed: None,
            provider: None,
            provider_message_id: None,
            attempts: 0,
            last_error: None,
            sent_at: None,
            delivered_at: None,
            created_at: now,
            updated_at: now,
        })
    }

    /// Not sent, for `reason`; it never will be.
    pub fn suppress(&mut self, reason: Suppressed, now: DateTime<Utc>) {
        self.status = MessageStatus::Suppressed;
        self.suppressed = Some(reason);
        self.updated_at = now;
    }

    /// Put back for `at` without a send (quiet hours came): the attempt taken for it is given back.
    pub fn postpone(&mut self, at: DateTime<Utc>, now: DateTime<Utc>) {
        self.attempts = self.attempts.saturating_sub(1);
        self.planned_at = at;
        self.updated_at = now;
    }

    /// Records the provider's answer to the attempt just made.
    pub fn record_attempt(
        &mut self,
        outcome: SendOutcome,
        now: DateTime<Utc>,
        retry_base: std::time::Duration,
    ) {
        self.updated_at = now;
        match outcome {
            SendOutcome::Accepted { provider, provider_message_id } => {
                self.status = MessageStatus::Sent;
                self.provider = Some(provider);
                self.provider_message_id = Some(provider_message_id);
                self.sent_at = Some(now);
                self.last_error = None;
            }
            SendOutcome::Retry(why) if self.attempts < MAX_ATTEMPTS => {
                self.planned_at = now + backoff(retry_base, self.attempts);
                self.last_error = Some(why);
            }
            SendOutcome::Retry(why) | SendOutcome::Refused(why) => {
                self.status = MessageStatus::Failed;
                self.last_error = Some(why);
            }
        }
    }

    /// Applies a delivery receipt; false when it changes nothing (a repeat, or a message that
    /// is not out with the provider).
    pub fn apply_receipt(&mut self, receipt: &Receipt) -> bool {
        if self.status != MessageStatus::Sent {
            return false;
        }
        self.status = if receipt.delivered { MessageStatus::Delivered } else { MessageStatus::Failed };
        self.delivered_at = Some(receipt.at);
        if !receipt.delivered {
            self.last_error = Some(receipt.detail.clone());
        }
        self.updated_at = receipt.at;
        true
    }
}

/// A mobile number as SMS providers address it; none for a landline.
pub fn sms_number(phone: &crate::value::Phone) -> Option<String> {
    let digits = phone.as_str();
    (digits.len() == 11 && digits.starts_with('1')).then(|| format!("+86{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> OutboundMessage {
        let store = StoreCode::parse("SH001").unwrap_or_else(|e| panic!("{e}"));
        let template = known_template("follow_up_unreachable", &store, MessageChannel::Sms)
            .unwrap_or_else(|| panic!("built-in template"));
        let request = MessageRequest {
            store,
            customer_id: CustomerId::generate(),
            template: "follow_up_unreachable",
            channels: vec![MessageChannel::Sms],
            parameters: [("name", "张先生"), ("store", "浦东店")]
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            source: None,
            not_before: None,
        };
        let now = Utc::now();
        OutboundMessage::queue(&request, &template, now, now).unwrap_or_else(|e| panic!("{e}"))
    }

    // Issue 13: a passing failure is retried with a doubling wait until the attempts run out; a
    // refusal fails at once; a receipt moves only a sent message, once.
    #[test]
    fn a_message_moves_from_queued_to_sent_to_delivered_and_fails_after_its_attempts() {
        let base = std::time::Duration::from_secs(30);
        let now = Utc::now();
        let mut m = message();
        assert!(m.text.contains("张先生") && m.text.contains("浦东店"), "{}", m.text);
        m.attempts = 1;
        m.record_attempt(SendOutcome::Retry("503".into()), now, base);
        assert_eq!((m.status, m.planned_at), (MessageStatus::Queued, now + Duration::seconds(30)));
        m.attempts = 2;
        m.record_attempt(SendOutcome::Retry("503".into()), now, base);
        assert_eq!(m.planned_at, now + Duration::seconds(60));
        m.attempts = MAX_ATTEMPTS;
        let mut last = m.clone();
        last.record_attempt(SendOutcome::Retry("503".into()), now, base);
        assert_eq!(last.status, MessageStatus::Failed);
        let mut refused = message();
        refused.attempts = 1;
        refused.record_attempt(SendOutcome::Refused("bad number".into()), now, base);
        assert_eq!(
            (refused.status, refused.last_error.as_deref()),
            (MessageStatus::Failed, Some("bad number"))
        );

        let receipt = Receipt {
            provider: "tencent_sms".into(),
            provider_message_id: "sid-1".into(),
            delivered: true,
            detail: "DELIVRD".into(),
            at: now,
        };
        assert!(!m.clone().apply_receipt(&receipt), "a queued message takes no receipt");
        m.record_attempt(
            SendOutcome::Accepted { provider: "tencent_sms".into(), provider_message_id: "sid-1".into() },
            now,
            base,
        );
        assert_eq!(m.status, MessageStatus::Sent);
        assert!(m.apply_receipt(&receipt));
        assert_eq!(m.status, MessageStatus::Delivered);
        assert!(!m.apply_receipt(&receipt), "a repeated receipt changes nothing");
    }

    #[test]
    fn only_mobiles_take_an_sms() {
        let mobile = crate::value::Phone::parse("138 1234 5678").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sms_number(&mobile).as_deref(), Some("+8613812345678"));
        let landline = crate::value::Phone::parse("021-62345678").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sms_number(&landline), None);
    }
}

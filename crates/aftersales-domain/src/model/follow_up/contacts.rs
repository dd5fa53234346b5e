//! Contact records: each call, message or visit, with its outcome (FU-4, FU-5).

use super::*;

/// How a contact went (FU-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContactOutcome {
    /// Spoke with the customer.
    Reached,
    /// Nobody answered.
    NoAnswer,
    /// The number was wrong.
    WrongNumber,
    /// The customer declined to talk.
    Refused,
}

/// The contact's channel (FU-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FollowUpChannel {
    /// A call.
    Phone,
    /// A text message.
    Sms,
    /// WeChat.
    Wechat,
    /// A letter.
    Letter,
    /// At the store.
    InPerson,
}

/// How the message went out to a customer who could not be reached (FU-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FallbackChannel {
    /// A text message.
    Sms,
    /// A letter.
    Letter,
}

impl From<FallbackChannel> for FollowUpChannel {
    fn from(c: FallbackChannel) -> Self {
        match c {
            FallbackChannel::Sms => Self::Sms,
            FallbackChannel::Letter => Self::Letter,
        }
    }
}

/// Who started the contact (FU-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The store called.
    Outbound,
    /// The customer called or came.
    Inbound,
}

/// One contact with a customer (追踪服务记录, FU-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRecord {
    /// Id.
    pub id: ContactId,
    /// Store.
    pub store: StoreCode,
    /// The customer.
    pub customer_id: CustomerId,
    /// The task it works on, if any.
    pub task_id: Option<TaskId>,
    /// Channel.
    pub channel: FollowUpChannel,
    /// Direction.
    pub direction: Direction,
    /// Outcome.
    pub outcome: ContactOutcome,
    /// Topics talked about.
    pub topics: Vec<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Satisfaction 1-5, when asked.
    pub satisfaction: Option<u8>,
    /// The agent (staff id).
    pub agent: String,
    /// When.
    pub contacted_at: DateTime<Utc>,
}

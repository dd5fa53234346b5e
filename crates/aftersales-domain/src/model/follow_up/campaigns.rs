//! Campaigns and the letter register (FU-7, FU-8).

use super::*;

/// An event the store invites customers to (联谊活动, 优惠服务, 免费服务; FU-7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    /// Id.
    pub id: CampaignId,
    /// Store.
    pub store: StoreCode,
    /// Name.
    pub name: String,
    /// What kind of event.
    pub kind: CampaignKind,
    /// The event's store-local day.
    pub event_date: NaiveDate,
    /// Whether each call is followed by a letter.
    pub letter_wanted: bool,
    /// The customers invited.
    pub customers: Vec<CustomerId>,
    /// The customers asked for but not invited, and why (CF-5).
    #[serde(default)]
    pub left_out: Vec<LeftOut>,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A customer a campaign did not invite, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeftOut {
    /// The customer.
    pub customer_id: CustomerId,
    /// Why.
    pub reason: LeftOutReason,
}

/// Why a customer was not invited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeftOutReason {
    /// The customer has not consented to marketing contact, or withdrew it (CF-5).
    NoMarketingConsent,
}

/// The kind of event (FU-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    /// 联谊活动.
    SocialEvent,
    /// 优惠服务.
    Discount,
    /// 免费服务.
    FreeService,
}

/// What a letter is (FU-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LetterKind {
    /// A notice.
    Notice,
    /// An invitation.
    Invitation,
    /// A reply.
    Reply,
}

/// How a letter went out (FU-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LetterChannel {
    /// By post.
    Post,
    /// By e-mail.
    Email,
    /// By WeChat.
    Wechat,
    /// By text message.
    Sms,
}

/// A registered letter (追踪服务信函登记表, FU-8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letter {
    /// Id.
    pub id: LetterId,
    /// Store.
    pub store: StoreCode,
    /// The customer.
    pub customer_id: CustomerId,
    /// What it is.
    pub kind: LetterKind,
    /// Subject.
    pub subject: String,
    /// How it went out.
    pub channel: LetterChannel,
    /// The task it fulfils, if any.
    pub task_id: Option<TaskId>,
    /// Who sent it.
    pub sent_by: String,
    /// When.
    pub sent_at: DateTime<Utc>,
}

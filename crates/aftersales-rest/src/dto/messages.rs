//! Messages to customers, their templates and WeChat consent balances (issue 13).

use aftersales_domain::app::ConsentBalance;
use aftersales_domain::model::message::{
    MessageChannel, MessageSource, MessageStatus, OutboundMessage, Purpose, Suppressed, Template,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

/// A message to a customer and where it stands.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageDto {
    /// Id.
    pub id: Uuid,
    /// To whom.
    pub customer_id: Uuid,
    /// Service or marketing.
    pub purpose: Purpose,
    /// Channel.
    pub channel: MessageChannel,
    /// The template's code.
    pub template: String,
    /// The template version it was made with (0: the built-in text).
    pub template_version: u32,
    /// The template's parameters.
    pub parameters: BTreeMap<String, String>,
    /// The text as the customer reads it.
    pub text: String,
    /// The business step that asked for it.
    pub source: Option<MessageSource>,
    /// When it goes out at the earliest (moved into call hours, or to the next retry).
    pub planned_at: DateTime<Utc>,
    /// `queued`, `sent`, `delivered`, `failed` or `suppressed`.
    pub status: MessageStatus,
    /// Why it was suppressed.
    pub suppressed_reason: Option<Suppressed>,
    /// The provider that took it.
    pub provider: Option<String>,
    /// The provider's id for it.
    pub provider_message_id: Option<String>,
    /// Sending attempts so far.
    pub attempts: u32,
    /// What went wrong last.
    pub last_error: Option<String>,
    /// When the provider took it.
    pub sent_at: Option<DateTime<Utc>>,
    /// When the provider reported it arrived (or not).
    pub delivered_at: Option<DateTime<Utc>>,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<OutboundMessage> for MessageDto {
    fn from(m: OutboundMessage) -> Self {
        let OutboundMessage {
            id,
            store: _,
            customer_id,
            purpose,
            channel,
            template,
            template_version,
            parameters,
            text,
            source,
            planned_at,
            status,
            suppressed,
            provider,
            provider_message_id,
            attempts,
            last_error,
            sent_at,
            delivered_at,
            created_at,
            updated_at,
        } = m;
        Self {
            id: id.0,
            customer_id: customer_id.0,
            purpose,
            channel,
            template,
            template_version,
            parameters,
            text,
            source,
            planned_at,
            status,
            suppressed_reason: suppressed,
            provider,
            provider_message_id,
            attempts,
            last_error,
            sent_at,
            delivered_at,
            created_at,
            updated_at,
        }
    }
}

list_dto!(
    /// A page of messages.
    MessageList, messages, MessageDto
);

/// A version of a store's message template.
#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateDto {
    /// The code the business steps send.
    pub code: String,
    /// Service or marketing (the code's).
    pub purpose: Purpose,
    /// Channel.
    pub channel: MessageChannel,
    /// Version, from 1.
    pub version: u32,
    /// The text with its `{parameters}`.
    pub text: String,
    /// The provider's template id.
    pub provider_template_id: Option<String>,
    /// The provider's names of the text's parameters, in order.
    pub provider_parameters: Vec<String>,
    /// Who made this version.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

impl From<Template> for TemplateDto {
    fn from(t: Template) -> Self {
        let Template {
            store: _,
            code,
            purpose,
            channel,
            version,
            text,
            provider_template_id,
            provider_parameters,
            created_by,
            created_at,
        } = t;
        Self {
            code,
            purpose,
            channel,
            version,
            text,
            provider_template_id,
            provider_parameters,
            created_by,
            created_at,
        }
    }
}

list_dto!(
    /// A page of template versions.
    TemplateList, templates, TemplateDto
);

/// A customer's unspent WeChat consents for one template.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentBalanceDto {
    /// The WeChat template id.
    pub template_id: String,
    /// Messages the consents still allow.
    pub available: u32,
}

impl From<ConsentBalance> for ConsentBalanceDto {
    fn from(b: ConsentBalance) -> Self {
        let ConsentBalance { template_id, available } = b;
        Self { template_id, available }
    }
}

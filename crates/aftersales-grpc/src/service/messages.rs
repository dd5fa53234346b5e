//! `MessageService` (issue 13): messages to customers, templates and WeChat consents.

use aftersales_domain::app::ConsentBalance;
use aftersales_domain::model::message::{
    CreateTemplate, GrantConsents, MessageChannel, MessageFilter, MessageId, MessageStatus, OutboundMessage,
    Purpose, Suppressed, Template,
};
use aftersales_domain::value::CustomerId;
use tonic::{Request, Response};

use super::{Adapter, Answer, answer, may};
use crate::convert::{self, EnumField, enum_num, ts};
use crate::pb;
use crate::status::{invalid, to_status};

impl From<OutboundMessage> for pb::Message {
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
        let (source_type, source_id) = source.map(|s| (s.kind, s.id)).unwrap_or_default();
        Self {
            id: id.to_string(),
            customer_id: customer_id.to_string(),
            purpose: pb::MessagePurpose::from(purpose).into(),
            channel: pb::MessageChannel::from(channel).into(),
            template,
            template_version,
            parameters: parameters.into_iter().collect(),
            text,
            source_type,
            source_id,
            planned_at: ts(planned_at),
            status: pb::MessageStatus::from(status).into(),
            suppressed_reason: enum_num::<Suppressed, pb::SuppressedReason>(suppressed),
            provider: provider.unwrap_or_default(),
            provider_message_id: provider_message_id.unwrap_or_default(),
            attempts,
            last_error: last_error.unwrap_or_default(),
            sent_at: sent_at.and_then(ts),
            delivered_at: delivered_at.and_then(ts),
            created_at: ts(created_at),
            updated_at: ts(updated_at),
        }
    }
}

impl From<Template> for pb::MessageTemplate {
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
            purpose: pb::MessagePurpose::from(purpose).into(),
            channel: pb::MessageChannel::from(channel).into(),
            version,
            text,
            provider_template_id: provider_template_id.unwrap_or_default(),
            provider_parameters,
            created_by,
            created_at: ts(created_at),
        }
    }
}

impl From<ConsentBalance> for pb::WechatConsentBalance {
    fn from(b: ConsentBalance) -> Self {
        let ConsentBalance { template_id, available } = b;
        Self { template_id, available }
    }
}

#[tonic::async_trait]
impl pb::message_service_server::MessageService for Adapter {
    async fn list_messages(&self, req: Request<pb::ListMessagesRequest>) -> Answer<pb::ListMessagesResponse> {
        let who = self.caller(&req)?;
        let pb::ListMessagesRequest {
            store,
            customer_id,
            status,
            purpose,
            channel,
            page_size,
            page_token,
            updated_since,
        } = req.into_inner();
        let store = convert::store_code(&store)?;
        let customer_id = match customer_id.as_str() {
            "" => None,
            raw => Some(CustomerId::parse("customer_id", raw).map_err(to_status)?),
        };
        let filter = MessageFilter {
            customer_id,
            status: MessageStatus::from_proto(status)?,
            purpose: Purpose::from_proto(purpose)?,
            channel: MessageChannel::from_proto(channel)?,
        };
        let page = convert::page_since(page_size, &page_token, updated_since)?;
        let list = self.services.messages.list(&who, &store, &filter, &page).await.map_err(to_status)?;
        Ok(Response::new(pb::ListMessagesResponse {
            messages: list.items.into_iter().map(Into::into).collect(),
            next_page_token: list.next_page_token.unwrap_or_default(),
        }))
    }

    async fn get_message(&self, req: Request<pb::GetMessageRequest>) -> Answer<pb::Message> {
        let who = self.caller(&req)?;
        let pb::GetMessageRequest { store, message_id } = req.into_inner();
        let store = convert::store_code(&store)?;
        let id = MessageId::parse("message_id", &message_id).map_err(to_status)?;
        answer(self.services.messages.get(&who, &store, id).await)
    }

    async fn create_message_template(
        &self,
        req: Request<pb::CreateMessageTemplateRequest>,
    ) -> Answer<pb::MessageTemplate> {
        let who = self.caller(&req)?;
        let pb::CreateMessageTemplateRequest {
            store,
            code,
            channel,
            text,
            provider_template_id,
            provider_parameters,
            request_id,
        } = req.into_inner();
        let store = convert::store_code(&store)?;
        may::<CreateTemplate>(&who, Some(&store))?;
        let cmd = CreateTemplate {
            code,
            channel: MessageChannel::from_proto(channel)?.ok_or_else(|| invalid("channel", "is required"))?,
            text,
            provider_template_id,
            provider_parameters: (!provider_parameters.is_empty()).then_some(provider_parameters),
        };
        let key = convert::request_id(&request_id)?;
        answer(self.services.messages.create_template(&who, &store, cmd, key).await)
    }

    async fn list_message_templates(
        &self,
        req: Request<pb::ListMessageTemplatesRequest>,
    ) -> Answer<pb::ListMessageTemplatesResponse> {
        let who = self.caller(&req)?;
        let pb::ListMessageTemplatesRequest { store, page_size, page_token } = req.into_inner();
        let store = convert::store_code(&store)?;
        let page = convert::page(page_size, &page_token)?;
        let list = self.services.messages.list_templates(&who, &store, &page).await.map_err(to_status)?;
        Ok(Response::new(pb::ListMessageTemplatesResponse {
            templates: list.items.into_iter().map(Into::into).collect(),
            next_page_token: list.next_page_token.unwrap_or_default(),
        }))
    }

    async fn grant_wechat_consents(
        &self,
        req: Request<pb::GrantWechatConsentsRequest>,
    ) -> Answer<pb::WechatConsentBalance> {
        let who = self.caller(&req)?;
        let pb::GrantWechatConsentsRequest { store, customer_id, openid, template_id, count, request_id } =
            req.into_inner();
        let store = convert::store_code(&store)?;
        may::<GrantConsents>(&who, Some(&store))?;
        let customer = CustomerId::parse("customer_id", &customer_id).map_err(to_status)?;
        let key = convert::request_id(&request_id)?;
        let cmd = GrantConsents { openid, template_id, count };
        answer(self.services.messages.grant_consents(&who, &store, customer, cmd, key).await)
    }
}

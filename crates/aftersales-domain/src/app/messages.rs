//! Messages to customers (issue 13): business steps queue them in their own transaction
//! ([`Core::message`]); the sending worker leases the due ones, checks the rules again at the
//! moment of sending (quiet hours, consent, caps, a WeChat consent to spend) and hands them to the
//! provider; the providers' receipts mark them delivered or failed. People list them, keep the
//! store's templates and record the customer's WeChat consents.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::{Core, IdempotencyKey};
use crate::auth::{Action, Principal};
use crate::model::customer::Customer;
use crate::model::message::{
    Caps, CountWindows, CreateTemplate, GrantConsents, MessageChannel, MessageFilter, MessageId,
    MessageRequest, OutboundMessage, Outgoing, RECEIPT_GRACE, Receipt, ReceiptOutcome, Recipient,
    SendOutcome, Suppressed, Template, known_template, next_allowed, rules, sms_number,
};
use crate::model::store::Store;
use crate::paging::{Page, PageRequest};
use crate::ports::{ChangeSet, MessageProvider, Op};
use crate::value::{CustomerId, StoreCode};
use crate::{DomainError, Result};

/// A customer's unspent consents for one WeChat template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConsentBalance {
    /// The WeChat template id.
    pub template_id: String,
    /// Messages it still allows.
    pub available: u32,
}

/// What the worker decided for one leased message before any send.
enum Decision {
    Retry(String),
    Send(Outgoing),
    Suppress(Suppressed),
    Postpone(chrono::DateTime<chrono::Utc>),
    Fail(String),
}

/// Messages, templates and consents.
#[derive(Clone)]
pub struct MessageService {
    core: Arc<Core>,
}

impl MessageService {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// A store's messages, filtered, oldest first (issue 13).
    pub async fn list(
        &self,
        who: &Principal,
        store: &StoreCode,
        filter: &MessageFilter,
        page: &PageRequest,
    ) -> Result<Page<OutboundMessage>> {
        who.authorize(Action::ReadMessages, store, "store")?;
        self.core.store(who, store).await?;
        self.core.repo.list_messages(store, filter, page).await
    }

    /// One message.
    pub async fn get(&self, who: &Principal, store: &StoreCode, id: MessageId) -> Result<OutboundMessage> {
        who.authorize(Action::ReadMessages, store, "message")?;
        self.core.store(who, store).await?;
        self.core.repo.get_message(store, id).await?.ok_or(DomainError::NotFound { resource: "message" })
    }

    /// Saves a new version of a store's template for a code and channel; messages queued from now
    /// on use it (issue 13).
    pub async fn create_template(
        &self,
        who: &Principal,
        store: &StoreCode,
        cmd: CreateTemplate,
        key: Option<IdempotencyKey>,
    ) -> Result<Template> {
        who.authorize(Action::ManageMessages, store, "store")?;
        let core = &self.core;
        // Checked once before the store is read, so bad input answers 400 whatever the store.
        cmd.validate(store, 1, &who.sub, core.now())?;
        core.write_once(who, store, "message_template.create", key, &cmd, || async {
            core.store(who, store).await?;
            let latest = core.repo.latest_template(store, &cmd.code, cmd.channel).await?;
            let version = latest.map_or(1, |t| t.version + 1);
            let template = cmd.validate(store, version, &who.sub, core.now())?;
            let id = format!("{}/{}/{}", template.code, template.channel.as_str(), version);
            let audit = core.audit(who, store, "message_template.create", "message_template", id, vec![]);
            Ok((template.clone(), ChangeSet::of(Op::InsertTemplate(Box::new(template)), audit)))
        })
        .await
    }

    /// A store's templates, every version.
    pub async fn list_templates(
        &self,
        who: &Principal,
        store: &StoreCode,
        page: &PageRequest,
    ) -> Result<Page<Template>> {
        who.authorize(Action::ReadMessages, store, "store")?;
        self.core.store(who, store).await?;
        self.core.repo.list_templates(store, page).await
    }

    /// Records one-time WeChat subscription consents the customer gave (issue 13).
    pub async fn grant_consents(
        &self,
        who: &Principal,
        store: &StoreCode,
        customer: CustomerId,
        cmd: GrantConsents,
        key: Option<IdempotencyKey>,
    ) -> Result<ConsentBalance> {
        who.authorize(Action::WriteCustomer, store, "customer")?;
        let core = &self.core;
        cmd.validate(store, customer, core.now())?;
        core.write_once(who, store, "wechat_consent.grant", key, &(customer, &cmd), || async {
            core.store(who, store).await?;
            let file = core
                .repo
                .get_customer(store, customer)
                .await?
                .ok_or(DomainError::NotFound { resource: "customer" })?;
            file.ensure_live()?;
            let grant = cmd.validate(store, customer, core.now())?;
            let before = core.repo.available_consents(store, customer, &grant.template_id).await?;
            let balance =
                ConsentBalance { template_id: grant.template_id.clone(), available: before + grant.count };
            let audit = core.audit(
                who,
                store,
                "wechat_consent.grant",
                "customer",
                customer,
                vec!["wechat_consents".into()],
            );
            Ok((balance, ChangeSet::of(Op::GrantConsents(Box::new(grant)), audit)))
        })
        .await
    }

    /// Sends up to `batch` due messages through `provider`; answers how many were taken. Each is
    /// leased first, with its attempt counted, so replicas never send one twice and a crash
    /// mid-send leaves no more sends than attempts.
    pub async fn process_due(&self, provider: &dyn MessageProvider, batch: u64) -> Result<usize> {
        let core = &self.core;
        let claimed = core.repo.claim_due_messages(core.now(), core.settings.message_lease, batch).await?;
        let taken = claimed.len();
        // A send started past half the lease could outlive it, and another replica could take
        // the message meanwhile: the rest of the batch is given back (attempt included) instead.
        let started = std::time::Instant::now();
        for (mut message, lease) in claimed {
            let now = core.now();
            if started.elapsed() > core.settings.message_lease / 2 {
                message.postpone(message.planned_at, now);
                core.repo.finish_message(&message, &lease).await?;
                continue;
            }
            // One message's trouble (the database away a moment) is that message's retry, not
            // the batch's: the rest still go.
            let decided = self.decide(&message).await.unwrap_or_else(|e| {
                tracing::warn!(message = %message.id, error = %e, "message not decided; retried later");
                Decision::Retry(e.to_string())
            });
            match decided {
                Decision::Retry(why) => {
                    message.record_attempt(SendOutcome::Retry(why), now, core.settings.message_retry_base)
                }
                Decision::Send(outgoing) => {
                    let outcome = provider.send(&outgoing).await;
                    message.record_attempt(outcome, core.now(), core.settings.message_retry_base);
                }
                Decision::Suppress(reason) => message.suppress(reason, now),
                Decision::Postpone(at) => message.postpone(at, now),
                Decision::Fail(why) => {
                    message.record_attempt(SendOutcome::Refused(why), now, core.settings.message_retry_base)
                }
            }
            if !core.repo.finish_message(&message, &lease).await? {
                tracing::warn!(store = %message.store, message = %message.id, "message lease expired during the send");
            }
        }
        Ok(taken)
    }

    /// The rules at the moment of sending, and the recipient.
    async fn decide(&self, message: &OutboundMessage) -> Result<Decision> {
        let core = &self.core;
        let now = core.now();
        let Some(shop) = core.repo.get_store(&message.store).await? else {
            return Ok(Decision::Fail("the store no longer exists".into()));
        };
        let allowed = next_allowed(now, shop.timezone, &shop.call_hours);
        if allowed > now {
            return Ok(Decision::Postpone(allowed));
        }
        if self.withdrawn(message).await? {
            return Ok(Decision::Suppress(Suppressed::Withdrawn));
        }
        let customer = core.repo.get_customer(&message.store, message.customer_id).await?;
        let Some(customer) = customer.filter(|c| c.merged_into.is_none()) else {
            return Ok(Decision::Suppress(Suppressed::NoRecipient));
        };
        let windows = CountWindows::around(now, shop.timezone);
        let sent =
            core.repo.sent_count(&message.store, message.customer_id, message.purpose, windows).await?;
        if let Err(reason) =
            rules(message.purpose, customer.marketing_consent, sent, Caps::default_for(message.purpose))
        {
            return Ok(Decision::Suppress(reason));
        }
        let template = match message.template_version {
            0 => known_template(&message.template, &message.store, message.channel),
            v => core.repo.template_version(&message.store, &message.template, message.channel, v).await?,
        };
        let Some(template) = template else {
            return Ok(Decision::Fail(format!(
                "template {} v{} is gone",
                message.template, message.template_version
            )));
        };
        // An approval link is made as it goes out, so its token rests nowhere (WO-13); before the
        // recipient, so a link no longer wanted spends no WeChat consent.
        let (mut parameters, mut text) = (message.parameters.clone(), message.text.clone());
        if message.template == "approval_link" {
            let links = super::ApprovalLinkService::new(core.clone());
            let Some(url) = links.make_for(message).await? else {
                return Ok(Decision::Suppress(Suppressed::Withdrawn));
            };
            parameters.insert("link".into(), url);
            match template.render(&parameters) {
                Ok(rendered) => text = rendered,
                Err(e) => return Ok(Decision::Fail(format!("the template does not render: {e}"))),
            }
        }
        self.recipient(message, &customer, &template).await.map(|to| match to {
            Ok(to) => Decision::Send(Outgoing {
                message_id: message.id,
                channel: message.channel,
                to,
                text,
                provider_template_id: template.provider_template_id.clone(),
                parameters: template.provider_values(&parameters),
            }),
            Err(decision) => decision,
        })
    }

    /// Whether what the message is about no longer stands: a reminder of an appointment no longer
    /// booked, or of a reminder task no longer open.
    async fn withdrawn(&self, message: &OutboundMessage) -> Result<bool> {
        let Some(source) = &message.source else { return Ok(false) };
        let repo = &self.core.repo;
        Ok(match source.kind.as_str() {
            "appointment" => {
                let id = crate::model::appointment::AppointmentId::parse("source.id", &source.id)?;
                let booking = repo.get_appointment(&message.store, id).await?;
                booking.is_none_or(|b| b.status != crate::model::appointment::AppointmentStatus::Booked)
            }
            "reminder_task" => {
                let id = crate::model::follow_up::TaskId::parse("source.id", &source.id)?;
                let task = repo.get_task(&message.store, id).await?;
                task.is_none_or(|t| t.status != crate::model::follow_up::TaskStatus::Open)
            }
            _ => false,
        })
    }

    /// Where the message goes: the file's mobile for an SMS, the openid of a consent it spends
    /// for a WeChat subscription message.
    async fn recipient(
        &self,
        message: &OutboundMessage,
        customer: &Customer,
        template: &Template,
    ) -> Result<std::result::Result<Recipient, Decision>> {
        Ok(match message.channel {
            MessageChannel::Sms => sms_number(&customer.phone)
                .map(Recipient::Phone)
                .ok_or(Decision::Suppress(Suppressed::NoRecipient)),
            MessageChannel::WechatSubscribe => {
                let Some(template_id) = template.provider_template_id.as_deref() else {
                    return Ok(Err(Decision::Fail("the WeChat template has no provider template id".into())));
                };
                let now = self.core.now();
                let taken = self
                    .core
                    .repo
                    .take_consent(&message.store, message.customer_id, template_id, message.id, now)
                    .await?;
                taken.map(Recipient::Openid).ok_or(Decision::Suppress(Suppressed::NoSubscriptionConsent))
            }
            MessageChannel::WechatWork | MessageChannel::Letter => {
                Err(Decision::Fail(format!("no provider sends the {} channel", message.channel.as_str())))
            }
        })
    }

    /// Applies providers' delivery receipts; answers how many changed a message. Repeats change
    /// nothing, and so do receipts of messages the service never sent; but one of a provider id not
    /// on record yet, from the last minutes, may have overtaken the worker's record of its send:
    /// then the batch answers `Unavailable` once the rest is applied, so the provider sends it again.
    pub async fn record_receipts(&self, receipts: &[Receipt]) -> Result<usize> {
        let (mut changed, mut early) = (0, 0);
        let recent = self.core.now() - RECEIPT_GRACE;
        for receipt in receipts {
            match self.core.repo.apply_receipt(receipt).await? {
                ReceiptOutcome::Applied => changed += 1,
                ReceiptOutcome::Unknown if receipt.at > recent => early += 1,
                ReceiptOutcome::Unknown | ReceiptOutcome::Unchanged => {}
            }
        }
        if early > 0 {
            return Err(DomainError::Unavailable(format!(
                "{early} receipts name sends not on record yet; send them again"
            )));
        }
        Ok(changed)
    }
}

impl Core {
    /// The op that tells a customer on file what `request` asks, with the customer's name and
    /// the store's added to its parameters; none when the file is gone.
    pub(crate) async fn tell(&self, shop: &Store, mut request: MessageRequest) -> Result<Option<Op>> {
        let Some(customer) = self.repo.get_customer(&shop.code, request.customer_id).await? else {
            return Ok(None);
        };
        // Every message has them; a step's own parameter of the same name wins.
        request.parameters.entry("store".into()).or_insert_with(|| shop.name.clone());
        request.parameters.entry("name".into()).or_insert_with(|| customer.name.clone());
        self.message(shop, request).await.map(Some)
    }

    /// The op that queues the message a business step asks for: the store's newest template of
    /// the first channel it has one for, else the built-in text on the last channel; planned at
    /// the first instant inside the store's call hours (issue 13).
    pub(crate) async fn message(&self, shop: &Store, request: MessageRequest) -> Result<Op> {
        let mut chosen = None;
        for channel in &request.channels {
            if let Some(t) = self.repo.latest_template(&shop.code, request.template, *channel).await? {
                chosen = Some(t);
                break;
            }
        }
        // The last channel is the fallback (SMS, where the step allows it): it needs no consent.
        let fallback = request.channels.last().copied().unwrap_or(MessageChannel::Sms);
        let template = match chosen {
            Some(t) => t,
            None => known_template(request.template, &shop.code, fallback).ok_or_else(|| {
                DomainError::Internal(format!("unknown message template {}", request.template))
            })?,
        };
        let now = self.now();
        let from = request.not_before.map_or(now, |at| at.max(now));
        let planned = next_allowed(from, shop.timezone, &shop.call_hours);
        let message = OutboundMessage::queue(&request, &template, planned, now)?;
        Ok(Op::InsertMessage(Box::new(message)))
    }
}

//! Remote approval by link (WO-13). The advisor issues, lists and revokes a work order's links;
//! the customer, holding only the token, reads the lines awaiting their decision and decides
//! each. The decision is the WO-11 approval with method `signed_link`, saved with the link's use
//! in one change, so a link decides once even when two taps race.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::Core;
use crate::auth::{Action, Principal};
use crate::model::approval_link::{
    ApprovalLink, ApprovalLinkId, DEFAULT_TTL_HOURS, LINK_PATH, new_token, token_hash, well_formed,
};
use crate::model::attachment::{AttachedTo, Attachment};
use crate::model::message::{MessageChannel, MessageRequest};
use crate::model::work_order::{
    Approval, ApprovalMethod, LineDecision, LineKind, LineStatus, Urgency, WorkOrder, WorkOrderId,
    WorkOrderStatus,
};
use crate::paging::{Page, PageRequest};
use crate::ports::{ChangeSet, Op};
use crate::value::StoreCode;
use crate::{DomainError, Result};

const LINK_NOT_FOUND: DomainError = DomainError::NotFound { resource: "approval_link" };

/// Issues a link to the current estimate (WO-13).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IssueApprovalLink {
    /// Hours until it expires (default 24, at most 168).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 168))]
    pub ttl_hours: Option<u32>,
}

/// Sends the customer a link to the current estimate by SMS or WeChat (WO-13): the link is made
/// when the message goes out, so its token is never stored, not even in the message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendApprovalLink {
    /// Hours the link works once sent (default 24, at most 168).
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 168))]
    pub ttl_hours: Option<u32>,
}

/// Stands in a queued approval link message for the link made as it goes out.
pub const LINK_TO_COME: &str = "（链接）";

/// The customer's decisions through a link: one per line awaiting a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LinkDecisions {
    /// One decision per line awaiting one; a decline may say why.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub decisions: Vec<LineDecision>,
}

/// A link just issued: the only time its token is seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedLink {
    /// The link as stored.
    pub link: ApprovalLink,
    /// The token; the customer's app opens `path`.
    pub token: String,
    /// `/v1/approval/{token}`.
    pub path: String,
}

/// A line as the customer sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AwaitingLine {
    /// Line id, to decide on.
    pub line_id: crate::model::work_order::LineId,
    /// Labour or part.
    pub kind: LineKind,
    /// What is done, or the part's name.
    pub name: String,
    /// The line's amount, fen.
    pub amount_fen: i64,
    /// The finding it comes from.
    pub finding: Option<String>,
    /// Red, yellow or green.
    pub urgency: Option<Urgency>,
    /// Photos of the finding or part, read through the link.
    pub photos: Vec<crate::model::attachment::AttachmentId>,
}

/// What a link shows: that order's lines awaiting a decision, the store and the plate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovalView {
    /// The link's id.
    pub link_id: ApprovalLinkId,
    /// The store's name.
    pub store_name: String,
    /// The customer's own name.
    pub customer_name: String,
    /// The car's plate.
    pub plate: Option<String>,
    /// The work order's number.
    pub work_order_number: String,
    /// The estimate version shown.
    pub estimate_version: u32,
    /// When the link stops working.
    pub expires_at: DateTime<Utc>,
    /// The lines to decide.
    pub lines: Vec<AwaitingLine>,
    /// Labour of those lines, fen.
    pub labour_fen: i64,
    /// Parts of those lines, fen.
    pub parts_fen: i64,
}

/// What the customer is told after deciding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionReceipt {
    /// The link's id.
    pub link_id: ApprovalLinkId,
    /// The estimate version decided.
    pub estimate_version: u32,
    /// Lines agreed.
    pub approved: usize,
    /// Lines declined.
    pub declined: usize,
    /// The amount agreed, fen.
    pub approved_fen: i64,
    /// When it was recorded.
    pub recorded_at: DateTime<Utc>,
}

/// Approval links.
#[derive(Clone)]
pub struct ApprovalLinkService {
    core: Arc<Core>,
}

impl ApprovalLinkService {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    async fn order(&self, store: &StoreCode, id: WorkOrderId) -> Result<WorkOrder> {
        self.core
            .repo
            .get_work_order(store, id)
            .await?
            .ok_or(DomainError::NotFound { resource: "work_order" })
    }

    /// Issues a link to the order's current estimate; the token is in this answer only.
    pub async fn issue(
        &self,
        who: &Principal,
        store: &StoreCode,
        order_id: WorkOrderId,
        cmd: IssueApprovalLink,
    ) -> Result<IssuedLink> {
        let IssueApprovalLink { ttl_hours } = cmd;
        who.authorize(Action::FrontDeskStep, store, "work_order")?;
        self.core.store(who, store).await?;
        let order = self.order(store, order_id).await?;
        let token = new_token();
        let link = ApprovalLink::issue(
            &order,
            &token,
            ttl_hours.unwrap_or(DEFAULT_TTL_HOURS),
            &who.sub,
            self.core.now(),
        )?;
        let audit = self.core.audit(who, store, "approval_link.issue", "approval_link", link.id, vec![]);
        let op = Op::PutApprovalLink { link: Box::new(link.clone()), before: None };
        self.core.repo.apply(ChangeSet::of(op, audit)).await?;
        let path = format!("{LINK_PATH}{token}");
        Ok(IssuedLink { link, token, path })
    }

    /// Queues the link's message to the customer; the link itself is made as the message goes
    /// out, for the estimate then current (WO-13, issue 13).
    pub async fn send(
        &self,
        who: &Principal,
        store: &StoreCode,
        order_id: WorkOrderId,
        cmd: SendApprovalLink,
        key: Option<super::IdempotencyKey>,
    ) -> Result<crate::model::message::OutboundMessage> {
        who.authorize(Action::FrontDeskStep, store, "work_order")?;
        let ttl = cmd.ttl_hours.unwrap_or(DEFAULT_TTL_HOURS);
        let core = &self.core;
        core.write_once(who, store, "approval_link.send", key, &(order_id, &cmd), || async move {
            let shop = core.store(who, store).await?;
            let order = self.order(store, order_id).await?;
            // Checked now as the link will be then: a valid TTL, and lines awaiting a decision.
            ApprovalLink::issue(&order, "", ttl, &who.sub, core.now())?;
            let channels = vec![MessageChannel::WechatSubscribe, MessageChannel::Sms];
            let plate = order.plate.as_ref().map(ToString::to_string).unwrap_or_default();
            let request = MessageRequest::new(
                store,
                order.customer_id,
                "approval_link",
                channels,
                ("work_order", order_id.to_string()),
            )
            .with("plate", plate)
            .with("link", LINK_TO_COME)
            .with("hours", ttl.to_string());
            let op =
                core.tell(&shop, request).await?.ok_or(DomainError::NotFound { resource: "customer" })?;
            let Op::InsertMessage(message) = &op else {
                return Err(DomainError::Internal("a message op was expected".into()));
            };
            let message = (**message).clone();
            let audit = core.audit(who, store, "approval_link.send", "work_order", order_id, vec![]);
            Ok((message, ChangeSet::of(op, audit)))
        })
        .await
    }

    /// Makes the link a queued approval link message carries, as it goes out: for the estimate
    /// then current, audited as `system`. Answers its URL, or `None` when nothing waits for the
    /// customer's decision any more.
    pub(crate) async fn make_for(
        &self,
        message: &crate::model::message::OutboundMessage,
    ) -> Result<Option<String>> {
        let Some(source) = message.source.as_ref().filter(|s| s.kind == "work_order") else {
            return Ok(None);
        };
        let order_id = WorkOrderId::parse("source.id", &source.id)?;
        let Some(order) = self.core.repo.get_work_order(&message.store, order_id).await? else {
            return Ok(None);
        };
        let ttl = message.parameters.get("hours").and_then(|h| h.parse().ok()).unwrap_or(DEFAULT_TTL_HOURS);
        let token = new_token();
        let Ok(link) = ApprovalLink::issue(&order, &token, ttl, "system", self.core.now()) else {
            return Ok(None);
        };
        let audit = self.core.audit_as(
            "system",
            &message.store,
            "approval_link.issue",
            "approval_link",
            link.id,
            vec![],
        );
        let op = Op::PutApprovalLink { link: Box::new(link), before: None };
        self.core.repo.apply(ChangeSet::of(op, audit)).await?;
        Ok(Some(self.core.settings.approval_url.replace("{token}", &token)))
    }

    /// The order's links, oldest first, without their tokens.
    pub async fn list(
        &self,
        who: &Principal,
        store: &StoreCode,
        order_id: WorkOrderId,
        page: &PageRequest,
    ) -> Result<Page<ApprovalLink>> {
        who.authorize(Action::ReadWorkOrder, store, "work_order")?;
        self.core.store(who, store).await?;
        self.order(store, order_id).await?;
        self.core.repo.links_of(store, order_id, page).await
    }

    /// Revokes a link; revoking again answers it unchanged.
    pub async fn revoke(
        &self,
        who: &Principal,
        store: &StoreCode,
        order_id: WorkOrderId,
        link_id: ApprovalLinkId,
    ) -> Result<ApprovalLink> {
        who.authorize(Action::FrontDeskStep, store, "work_order")?;
        self.core.store(who, store).await?;
        self.core
            .write_latest(false, || async move {
                let current =
                    self.core.repo.get_link(store, order_id, link_id).await?.ok_or(LINK_NOT_FOUND)?;
                let mut next = current.clone();
                next.revoke(self.core.now());
                if next == current {
                    return Ok((next, ChangeSet::default()));
                }
                let audit = self.core.audit(
                    who,
                    store,
                    "approval_link.revoke",
                    "approval_link",
                    link_id,
                    vec!["revoked_at".into()],
                );
                let op = Op::PutApprovalLink { link: Box::new(next.clone()), before: Some(current.version) };
                Ok((next, ChangeSet::of(op, audit)))
            })
            .await
    }

    /// The link of `token` and its order, if the link still opens it at `now`.
    async fn open_link(&self, token: &str, now: DateTime<Utc>) -> Result<(ApprovalLink, WorkOrder)> {
        if !well_formed(token) {
            return Err(LINK_NOT_FOUND);
        }
        let hash = token_hash(token);
        let found = self.core.repo.link_by_token_hash(&hash).await?.ok_or(LINK_NOT_FOUND)?;
        let order = self.order(&found.store, found.work_order_id).await?;
        // The link again, read after the order: a decision through it that committed between the
        // two reads then shows as `used`, not as an order with nothing left to decide.
        let link = self.core.repo.link_by_token_hash(&hash).await?.ok_or(LINK_NOT_FOUND)?;
        link.check(&order, now).map_err(|invalid| invalid.into_error())?;
        Ok((link, order))
    }

    /// What the customer's app shows for `token` (no other credential).
    pub async fn view(&self, token: &str) -> Result<ApprovalView> {
        let (link, order) = self.open_link(token, self.core.now()).await?;
        let store = self.core.repo.get_store(&link.store).await?.ok_or(LINK_NOT_FOUND)?;
        let customer = self.core.repo.get_customer(&link.store, order.customer_id).await?;
        let photos = self.line_photos(&link.store, &order).await?;
        let lines: Vec<AwaitingLine> = order
            .lines
            .iter()
            .filter(|l| l.status == LineStatus::Proposed)
            .map(|l| AwaitingLine {
                line_id: l.id,
                kind: l.kind,
                name: l.description.clone(),
                amount_fen: l.amount_fen,
                finding: l.finding.clone(),
                urgency: l.urgency,
                photos: photos.iter().filter(|(line, _)| *line == l.id).map(|(_, a)| a.id).collect(),
            })
            .collect();
        let sum = |kind| lines.iter().filter(|l| l.kind == kind).map(|l| l.amount_fen).sum();
        Ok(ApprovalView {
            link_id: link.id,
            store_name: store.name,
            customer_name: customer.map(|c| c.name).unwrap_or_default(),
            plate: order.plate.as_ref().map(ToString::to_string),
            work_order_number: order.number.clone(),
            estimate_version: link.estimate_version,
            expires_at: link.expires_at,
            labour_fen: sum(LineKind::Labour),
            parts_fen: sum(LineKind::Part),
            lines,
        })
    }

    /// The photos of the order's lines awaiting a decision, with their line.
    async fn line_photos(
        &self,
        store: &StoreCode,
        order: &WorkOrder,
    ) -> Result<Vec<(crate::model::work_order::LineId, Attachment)>> {
        let all = crate::paging::all_pages(|page| async move {
            self.core.repo.attachments_of(store, order.id, None, &page).await
        })
        .await?;
        Ok(all
            .into_iter()
            .filter_map(|a| match a.attached_to {
                AttachedTo::Line { line_id } | AttachedTo::Part { line_id } => Some((line_id, a)),
                AttachedTo::EntryInspection | AttachedTo::Signature { .. } => None,
            })
            .filter(|(line, _)| order.lines.iter().any(|l| l.id == *line && l.status == LineStatus::Proposed))
            .collect())
    }

    /// A photo the link shows (one of a line awaiting a decision), with its bytes.
    pub async fn photo(
        &self,
        token: &str,
        id: crate::model::attachment::AttachmentId,
    ) -> Result<(Attachment, Vec<u8>)> {
        let (link, order) = self.open_link(token, self.core.now()).await?;
        let photos = self.line_photos(&link.store, &order).await?;
        let (_, attachment) = photos
            .into_iter()
            .find(|(_, a)| a.id == id)
            .ok_or(DomainError::NotFound { resource: "attachment" })?;
        let bytes = self.core.bytes_of(&attachment).await?;
        Ok((attachment, bytes))
    }

    /// Records the customer's decisions through `token`, from `client_address`.
    pub async fn decide(
        &self,
        token: &str,
        cmd: LinkDecisions,
        client_address: Option<String>,
    ) -> Result<DecisionReceipt> {
        let LinkDecisions { decisions } = cmd;
        let (decisions, client_address) = (&decisions, &client_address);
        self.core
            .write_latest(false, || async move {
                let now = self.core.now();
                let (link, order) = self.open_link(token, now).await?;
                let actor = format!("approval_link:{}", link.id);
                let approval = Approval {
                    estimate_version: link.estimate_version,
                    method: ApprovalMethod::SignedLink,
                    decisions: decisions.clone(),
                    recorded_by: actor.clone(),
                    recorded_at: now,
                    link_id: Some(link.id),
                    client_address: client_address.clone(),
                };
                let mut next = order.clone();
                let action = if order.status == WorkOrderStatus::AwaitingApproval {
                    next.approve(approval)?;
                    "work_order.approve"
                } else {
                    next.record_approval(approval)?;
                    "work_order.record_approval"
                };
                next.version = order.version + 1;
                next.updated_at = now;
                let mut used = link.clone();
                used.mark_used(now);
                let decided: Vec<_> =
                    next.lines.iter().filter(|l| decisions.iter().any(|d| d.line_id == l.id)).collect();
                let receipt = DecisionReceipt {
                    link_id: link.id,
                    estimate_version: link.estimate_version,
                    approved: decided.iter().filter(|l| l.status == LineStatus::Approved).count(),
                    declined: decided.iter().filter(|l| l.status == LineStatus::Declined).count(),
                    approved_fen: decided
                        .iter()
                        .filter(|l| l.status == LineStatus::Approved)
                        .map(|l| l.amount_fen)
                        .sum(),
                    recorded_at: now,
                };
                let store = &link.store;
                let audit = vec![
                    self.core.audit_as(&actor, store, action, "work_order", order.id, vec!["status".into()]),
                    self.core.audit_as(
                        &actor,
                        store,
                        "approval_link.use",
                        "approval_link",
                        link.id,
                        vec!["used_at".into()],
                    ),
                ];
                let ops = vec![
                    Op::UpdateWorkOrder { order: Box::new(next), before: Box::new(order) },
                    Op::PutApprovalLink { link: Box::new(used), before: Some(link.version) },
                ];
                Ok((receipt, ChangeSet { ops, audit, ..ChangeSet::default() }))
            })
            .await
    }
}

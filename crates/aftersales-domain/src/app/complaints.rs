//! Complaints (FU-6): raised, answered on the spot or escalated after two store days, resolved,
//! the customer told the same day, closed with a return visit.

use std::collections::HashMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::follow_ups::TaskPlan;

/// How far ahead the supervisor's escalation list looks (FU-6).
const ESCALATION_WATCH: chrono::Duration = chrono::Duration::hours(24);
use super::{Core, IdempotencyKey, check_etag};
use crate::auth::{Action, Principal};
use crate::error::Validator;
use crate::model::follow_up::{
    Complaint, ComplaintId, ComplaintStatus, ContactId, TaskKind, escalation_instant,
};
use crate::model::message::{MessageChannel, MessageRequest};
use crate::model::store::Store;
use crate::model::work_order::WorkOrderId;
use crate::paging::{Page, PageRequest};
use crate::ports::{ChangeSet, ComplaintFilter, Op};
use crate::value::{CustomerId, Etag, StoreCode};
use crate::{DomainError, Result};

const NOT_FOUND: DomainError = DomainError::NotFound { resource: "complaint" };

/// Raises a complaint (FU-6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct OpenComplaint {
    /// The customer.
    pub customer_id: CustomerId,
    /// The contact it was raised in.
    pub contact_id: Option<ContactId>,
    /// The work order it concerns.
    pub work_order_id: Option<WorkOrderId>,
    /// What the customer complains about.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub summary: String,
    /// The solution given on the spot, when there was one (the customer is told at once).
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub solved_on_the_spot: Option<String>,
}

/// Records a complaint's solution (FU-6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ResolveComplaint {
    /// The solution.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub solution: String,
}

/// Use cases on complaints.
#[derive(Clone)]
pub struct ComplaintService {
    core: Arc<Core>,
}

impl ComplaintService {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    async fn load(&self, store: &StoreCode, id: ComplaintId) -> Result<Complaint> {
        self.core.repo.get_complaint(store, id).await?.ok_or(NOT_FOUND)
    }

    /// Raises a complaint; one solved on the spot is resolved and the customer told at once.
    pub async fn open(
        &self,
        who: &Principal,
        store: &StoreCode,
        cmd: OpenComplaint,
        key: Option<IdempotencyKey>,
    ) -> Result<Complaint> {
        who.authorize(Action::FollowUpWork, store, "store")?;
        let mut v = Validator::new();
        let summary = v.text("summary", &cmd.summary, crate::error::limits::TEXT);
        if let Some(solution) = &cmd.solved_on_the_spot {
            v.text("solved_on_the_spot", solution, crate::error::limits::TEXT);
        }
        v.finish()?;
        let core = &self.core;
        core.write_once(who, store, "complaint.create", key, &cmd, || async {
            let shop = core.store(who, store).await?;
            core.repo
                .get_customer(store, cmd.customer_id)
                .await?
                .ok_or(DomainError::NotFound { resource: "customer" })?;
            let now = core.now();
            let mut complaint = Complaint {
                id: ComplaintId::generate(),
                store: store.clone(),
                customer_id: cmd.customer_id,
                contact_id: cmd.contact_id,
                work_order_id: cmd.work_order_id,
                summary: summary.clone(),
                status: ComplaintStatus::Open,
                opened_at: now,
                escalates_at: escalation_instant(now, shop.timezone, shop.sla.complaint_escalation_days),
                escalated_at: None,
                solution: None,
                resolved_at: None,
                customer_notified_at: None,
                notice_breach: false,
                return_visit_task: None,
                history: vec![],
                version: 1,
            };
            complaint.history.push(crate::model::follow_up::ComplaintEvent {
                action: "open".into(),
                actor: who.sub.clone(),
                at: now,
                note: Some(summary.clone()),
            });
            if let Some(solution) = &cmd.solved_on_the_spot {
                complaint.resolve(solution, &who.sub, now)?;
                complaint.notify_customer(shop.timezone, &who.sub, now)?;
            }
            let audit = core.audit(who, store, "complaint.create", "complaint", complaint.id, vec![]);
            Ok((complaint.clone(), ChangeSet::of(Op::InsertComplaint(Box::new(complaint)), audit)))
        })
        .await
    }

    /// Reads a complaint with its whole history.
    pub async fn get(&self, who: &Principal, store: &StoreCode, id: ComplaintId) -> Result<Complaint> {
        who.authorize(Action::ReadFollowUp, store, "complaint")?;
        self.load(store, id).await
    }

    /// Lists complaints, optionally in one state; `escalating` is the supervisor's list of
    /// unresolved complaints that escalate within a day or already did (FU-6).
    pub async fn list(
        &self,
        who: &Principal,
        store: &StoreCode,
        status: Option<ComplaintStatus>,
        escalating: bool,
        page: &PageRequest,
    ) -> Result<Page<Complaint>> {
        who.authorize(Action::ReadFollowUp, store, "store")?;
        if escalating {
            who.authorize(Action::SupervisorLists, store, "store")?;
        }
        self.core.store(who, store).await?;
        let filter = ComplaintFilter {
            status,
            escalates_before: escalating.then(|| self.core.now() + ESCALATION_WATCH),
        };
        self.core.repo.list_complaints(store, &filter, page).await
    }

    async fn step(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: ComplaintId,
        name: &'static str,
        if_match: Option<Etag>,
        apply: impl Fn(&mut Complaint, &Store) -> Result<Vec<Op>>,
    ) -> Result<Complaint> {
        who.authorize(Action::FollowUpWork, store, "complaint")?;
        let (core, if_match, apply) = (&self.core, if_match.as_ref(), &apply);
        core.write_latest(if_match.is_some(), || async move {
            let shop = core.store(who, store).await?;
            let current = self.load(store, id).await?;
            check_etag("complaint", current.version, if_match)?;
            let mut next = current.clone();
            let mut ops = apply(&mut next, &shop)?;
            next.version = current.version + 1;
            ops.insert(
                0,
                Op::UpdateComplaint { complaint: Box::new(next.clone()), before: Box::new(current.clone()) },
            );
            let audit =
                core.audit(who, store, &format!("complaint.{name}"), "complaint", id, vec!["status".into()]);
            Ok((
                next,
                ChangeSet { ops, audit: vec![audit], idempotency: None, number: None, store_zone: None },
            ))
        })
        .await
    }

    /// Records the solution.
    pub async fn resolve(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: ComplaintId,
        cmd: ResolveComplaint,
        if_match: Option<Etag>,
    ) -> Result<Complaint> {
        let now = self.core.now();
        self.step(who, store, id, "resolve", if_match, |c, _| {
            c.resolve(&cmd.solution, &who.sub, now).map(|()| vec![])
        })
        .await
    }

    /// Records that the customer was told; a later store day than the solution is a breach.
    pub async fn notify_customer(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: ComplaintId,
        if_match: Option<Etag>,
    ) -> Result<Complaint> {
        let now = self.core.now();
        who.authorize(Action::FollowUpWork, store, "complaint")?;
        // The answer is queued with the step: decided outside it, since finding the template reads.
        let shop = self.core.store(who, store).await?;
        let customer = self.load(store, id).await?.customer_id;
        let channels = vec![MessageChannel::WechatSubscribe, MessageChannel::Sms];
        let request =
            MessageRequest::new(store, customer, "complaint_answer", channels, ("complaint", id.to_string()));
        let answer = self.core.tell(&shop, request).await?;
        self.step(who, store, id, "notify_customer", if_match, |c, shop| {
            c.notify_customer(shop.timezone, &who.sub, now).map(|()| answer.clone().into_iter().collect())
        })
        .await
    }

    /// Closes a resolved complaint the customer was told about, planning the return visit.
    pub async fn close(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: ComplaintId,
        if_match: Option<Etag>,
    ) -> Result<Complaint> {
        who.authorize(Action::FollowUpWork, store, "complaint")?;
        let shop = self.core.store(who, store).await?;
        let current = self.load(store, id).await?;
        let today = self.core.now().with_timezone(&shop.timezone).date_naive();
        let advisor = match current.work_order_id {
            Some(order) => self.core.repo.get_work_order(store, order).await?.map(|o| (order, o.advisor)),
            None => None,
        };
        let plan = TaskPlan {
            kind: TaskKind::ReturnVisit,
            customer_id: current.customer_id,
            order: advisor.as_ref().map(|(id, a)| (*id, a.as_str())),
            received_by: None,
            from_day: today,
            previous: None,
            topics: vec![],
            window: None,
            campaign_id: None,
        };
        let visit = self.core.plan_task(&shop, plan).await?;
        let now = self.core.now();
        self.step(who, store, id, "close", if_match, |c, _| {
            c.close(visit.id, &who.sub, now)?;
            Ok(vec![Op::InsertTask(Box::new(visit.clone()))])
        })
        .await
    }

    /// Escalates every open complaint past its store's limit to the supervisor (FU-6); returns how
    /// many it escalated. Safe to run in several processes at once: each escalation is a
    /// version-checked update, so exactly one process makes it.
    pub async fn escalate_due(&self) -> Result<usize> {
        let now = self.core.now();
        // Anything unresolved for a day is a candidate; each store's own limit and zone decide.
        let candidates = self.core.repo.open_complaints_escalating_by(now, 500).await?;
        let mut stores: HashMap<StoreCode, Option<Store>> = HashMap::new();
        let mut escalated = 0;
        for complaint in candidates {
            if let std::collections::hash_map::Entry::Vacant(slot) = stores.entry(complaint.store.clone()) {
                slot.insert(self.core.repo.get_store(&complaint.store).await?);
            }
            let Some(Some(shop)) = stores.get(&complaint.store) else { continue };
            let tz = shop.timezone;
            if !complaint.escalation_due(now, tz, shop.sla.complaint_escalation_days) {
                continue;
            }
            let mut next = complaint.clone();
            next.escalate(now)?;
            next.version += 1;
            let audit = self.core.audit_as(
                "system",
                &complaint.store,
                "complaint.escalate",
                "complaint",
                complaint.id,
                vec!["status".into()],
            );
            let op = Op::UpdateComplaint { complaint: Box::new(next), before: Box::new(complaint.clone()) };
            match self.core.repo.apply(ChangeSet::of(op, audit)).await {
                Ok(_) => escalated += 1,
                // Another process escalated it, or someone resolved it meanwhile.
                Err(DomainError::StaleEtag { .. }) => {}
                Err(other) => return Err(other),
            }
        }
        if escalated > 0 {
            tracing::info!(escalated, "complaints escalated to supervisors");
        }
        Ok(escalated)
    }
}

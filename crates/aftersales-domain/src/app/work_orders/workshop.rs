//! The workshop as stores run it (issue 14): claims to the insurer and the manufacturer, the
//! finance desk's void (红冲), dispatch and clock-on, and the lists that follow them.

use super::*;
use crate::model::work_order::{
    ClockLine, DecideComeback, DispatchLine, InsuranceClaimStep, VoidSettlement, WarrantyClaimStep,
    WorkOrderLine,
};

/// Which claim an [`OpenClaim`] row is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ClaimKind {
    /// The insurer's (保险理赔).
    Insurance,
    /// The manufacturer's (索赔).
    Warranty,
}

/// A claim still waiting for the insurer or the manufacturer, as the supervisor follows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OpenClaim {
    /// The order.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub work_order_id: WorkOrderId,
    /// Its number.
    pub work_order_number: String,
    /// Insurance or warranty.
    pub kind: ClaimKind,
    /// Its status: `reported`, `assessed`, `approved` (insurance); `open`, `submitted`,
    /// `approved` (warranty).
    pub status: String,
    /// The insurer, for an insurance claim.
    pub insurer: Option<String>,
    /// The insurer's or the manufacturer's claim number, once known.
    pub claim_number: Option<String>,
    /// What is claimed, fen: the insurance lines, or the warranty claim's total.
    pub claimed_fen: i64,
    /// When the claim was opened.
    pub opened_at: DateTime<Utc>,
    /// Whole days since.
    pub age_days: i64,
}

/// A line in a technician's queue: dispatched to them on an order in the workshop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QueueItem {
    /// The order.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub work_order_id: WorkOrderId,
    /// Its number.
    pub work_order_number: String,
    /// The order's state.
    pub status: WorkOrderStatus,
    /// The plate, for finding the car.
    pub plate: Option<String>,
    /// When the car is promised back.
    pub promised_at: DateTime<Utc>,
    /// The line.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub line_id: LineId,
    /// Operation or part code.
    pub code: String,
    /// What to do.
    pub description: String,
    /// The bay.
    pub bay: Option<String>,
    /// Hours quoted, in hundredths.
    pub quoted_hours_hundredths: u32,
    /// Hours clocked so far by everyone, in hundredths.
    pub actual_hours_hundredths: u32,
    /// Whether this technician is clocked on it now.
    pub clocked_on: bool,
}

/// The open claims of one order, as rows.
fn open_claims(o: &WorkOrder, now: DateTime<Utc>) -> Vec<OpenClaim> {
    let row = |kind, status: &str, opened_at: DateTime<Utc>| OpenClaim {
        work_order_id: o.id,
        work_order_number: o.number.clone(),
        kind,
        status: status.to_string(),
        insurer: None,
        claim_number: None,
        claimed_fen: 0,
        opened_at,
        age_days: (now - opened_at).num_days().max(0),
    };
    let mut rows = Vec::new();
    if let Some(c) = o.insurance_claim.as_ref().filter(|c| c.is_open()) {
        rows.push(OpenClaim {
            insurer: Some(c.insurer.clone()),
            claim_number: Some(c.claim_number.clone()),
            claimed_fen: o.insurance_quoted_fen(),
            ..row(ClaimKind::Insurance, c.status.as_str(), c.reported_at)
        });
    }
    if let Some(c) = o.warranty_claim.as_ref().filter(|c| c.is_open()) {
        rows.push(OpenClaim {
            claim_number: c.manufacturer_claim_number.clone(),
            claimed_fen: c.total_fen,
            ..row(ClaimKind::Warranty, c.status.as_str(), c.created_at)
        });
    }
    rows
}

/// The lines of `o` dispatched to `technician` and still to do.
fn queue_items(o: &WorkOrder, technician: &str) -> Vec<QueueItem> {
    let mine = |l: &&WorkOrderLine| {
        l.technician.as_deref() == Some(technician)
            && matches!(l.status, LineStatus::Approved | LineStatus::Proposed)
    };
    o.lines
        .iter()
        .filter(mine)
        .map(|l| QueueItem {
            work_order_id: o.id,
            work_order_number: o.number.clone(),
            status: o.status,
            plate: o.plate.as_ref().map(ToString::to_string),
            promised_at: o.promised_at,
            line_id: l.id,
            code: l.code.clone(),
            description: l.description.clone(),
            bay: l.bay.clone(),
            quoted_hours_hundredths: l.hours_hundredths,
            actual_hours_hundredths: l.actual_hours_hundredths(),
            clocked_on: l.clocked_on().any(|t| t == technician),
        })
        .collect()
}

impl WorkOrderService {
    /// Moves the order's insurance claim: report, assess (定损), supplement (增项定损), approve,
    /// pay, reject (issue 14).
    pub async fn insurance_claim(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        cmd: InsuranceClaimStep,
    ) -> Result<WorkOrder> {
        self.step(who, store, step, (Action::FrontDeskStep, "insurance_claim"), &cmd, |o, shop, now| {
            o.insurance_claim_step(&cmd, &shop.workshop.insurers, &who.sub, now)
        })
        .await
    }

    /// Moves the manufacturer's warranty claim of a delivered order (issue 14).
    pub async fn warranty_claim(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        cmd: WarrantyClaimStep,
    ) -> Result<WorkOrder> {
        self.step(who, store, step, (Action::FrontDeskStep, "warranty_claim"), &cmd, |o, _, now| {
            o.warranty_claim_step(&cmd, &who.sub, now)
        })
        .await
    }

    /// Confirms the comeback link suggested at the opening (WO-9) or dismisses it with a reason.
    pub async fn decide_comeback(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        cmd: DecideComeback,
    ) -> Result<WorkOrder> {
        self.step(who, store, step, (Action::FrontDeskStep, "decide_comeback"), &cmd, |o, _, now| {
            o.decide_comeback(&cmd, &who.sub, now)
        })
        .await
    }

    /// Gives a line to a technician and a bay (派工).
    pub async fn dispatch(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        cmd: DispatchLine,
    ) -> Result<WorkOrder> {
        self.step(who, store, step, (Action::DispatchWork, "dispatch"), &cmd, |o, _, now| {
            o.dispatch(&cmd, &who.sub, now)
        })
        .await
    }

    /// Clocks the calling technician on a line.
    pub async fn clock_on(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        cmd: ClockLine,
    ) -> Result<WorkOrder> {
        self.step(who, store, step, (Action::WorkshopStep, "clock_on"), &cmd, |o, _, now| {
            o.clock_on(cmd.line_id, &who.sub, now)
        })
        .await
    }

    /// Clocks the calling technician off a line: a pause, or the end of their part.
    pub async fn clock_off(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        cmd: ClockLine,
    ) -> Result<WorkOrder> {
        self.step(who, store, step, (Action::WorkshopStep, "clock_off"), &cmd, |o, _, now| {
            o.clock_off(cmd.line_id, &who.sub, now)
        })
        .await
    }

    /// Voids a delivered order's settlement (红冲) and issues a new one with a new number; both
    /// stay on record, and the e-health record is sent again as a correction (issue 14, WO-12).
    pub async fn void_settlement(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        cmd: VoidSettlement,
    ) -> Result<WorkOrder> {
        who.authorize(Action::VoidSettlement, store, "work_order")?;
        let Step { id, if_match, key } = step;
        let core = &self.core;
        let (if_match, cmd) = (if_match.as_ref(), &cmd);
        core.write_once(who, store, "work_order.void_settlement", key, &(id, cmd), || async move {
            let shop = core.store(who, store).await?;
            let current = self.load(store, id).await?;
            check_etag("work_order", current.version, if_match)?;
            let now = core.now();
            let tz = shop.timezone;
            let today = now.with_timezone(&tz).date_naive();
            let mut next = current.clone();
            let number = format!("{store}-JS-{}-{NUMBER_SLOT}", today.year());
            next.void_settlement(cmd, number, &who.sub, now)?;
            next.version = current.version + 1;
            next.updated_at = now;
            let audit = core.audit(
                who,
                store,
                "work_order.void_settlement",
                "work_order",
                id,
                vec!["settlement".into(), "voided_settlements".into()],
            );
            let record =
                EhealthRecord::of(&next, &shop.name, next.created_at.with_timezone(&tz).date_naive(), today)
                    .ok_or_else(|| DomainError::Internal("settled order has no e-health record".into()))?;
            let earlier = core.repo.get_ehealth_upload(store, id).await?;
            // The record the platform holds is corrected: the one uploaded, or, while a correction
            // still waits, the one that correction was for; a record never sent is just replaced.
            let held = earlier.as_ref().and_then(|u| match u.status {
                UploadStatus::Uploaded => Some(u.record.settlement_number.clone()),
                UploadStatus::Pending | UploadStatus::Failed => u.record.corrects.clone(),
            });
            let upload = EhealthUpload {
                work_order_id: id,
                store: store.clone(),
                province: core.settings.ehealth_province.clone(),
                record: EhealthRecord { corrects: held, ..record },
                status: UploadStatus::Pending,
                attempts: 0,
                next_attempt_at: now,
                last_error: None,
                uploaded_at: None,
                created_at: earlier.map_or(now, |u| u.created_at),
            };
            let ops = vec![
                Op::UpdateWorkOrder { order: Box::new(next.clone()), before: Box::new(current.clone()) },
                Op::RequeueEhealthUpload(Box::new(upload)),
            ];
            let number = Self::next_number(&shop, "settlement", today.year());
            let changes = ChangeSet {
                ops,
                audit: vec![audit],
                idempotency: None,
                number: Some(number),
                store_zone: None,
            };
            Ok((next, changes))
        })
        .await
    }

    /// The claims still waiting for an insurer or a manufacturer, oldest order first, with their
    /// age: the supervisor's list (issue 14).
    pub async fn open_claims(
        &self,
        who: &Principal,
        store: &StoreCode,
        page: &PageRequest,
    ) -> Result<Page<OpenClaim>> {
        who.authorize(Action::SupervisorLists, store, "store")?;
        let filter = WorkOrderFilter { open_claims: true, ..WorkOrderFilter::default() };
        let orders = self.core.repo.list_work_orders(store, &filter, page).await?;
        let now = self.core.now();
        let next_page_token = orders.next_page_token;
        let items = orders.items.iter().flat_map(|o| open_claims(o, now)).collect();
        Ok(Page { items, next_page_token })
    }

    /// A technician's queue: the lines dispatched to them on orders not yet handed back, a page
    /// of orders at a time. A technician reads only their own.
    pub async fn technician_queue(
        &self,
        who: &Principal,
        store: &StoreCode,
        technician: &str,
        page: &PageRequest,
    ) -> Result<Page<QueueItem>> {
        who.authorize(Action::ReadWorkOrder, store, "store")?;
        let mut v = Validator::new();
        crate::model::store::check_staff_id(&mut v, technician);
        v.finish()?;
        if who.roles.iter().all(|r| *r == crate::auth::Role::Technician) && who.sub != technician {
            return Err(DomainError::PermissionDenied {
                action: "work_order.technician_queue",
                allowed: "the technician themself, or advisor, supervisor, integration".into(),
            });
        }
        let filter =
            WorkOrderFilter { technician: Some(technician.to_string()), ..WorkOrderFilter::default() };
        let orders = self.core.repo.list_work_orders(store, &filter, page).await?;
        let next_page_token = orders.next_page_token;
        let items = orders.items.iter().flat_map(|o| queue_items(o, technician)).collect();
        Ok(Page { items, next_page_token })
    }
}

// Stays whole because every step goes through the private `step` helper and order load (issue 9).
//! Work orders and inspections: the reception-to-delivery workflow (WO-1..WO-11, IN-1..IN-3).

use std::sync::Arc;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::follow_ups::TaskPlan;
use super::{Core, IdempotencyKey, check_etag};
use crate::auth::{Action, Command, Principal};
use crate::error::Validator;
use crate::model::customer::{CustomerView, OdometerReading, OdometerSource, Vehicle, missing_file_items};
use crate::model::ehealth::{EhealthRecord, EhealthUpload, UploadStatus};
use crate::model::follow_up::{
    FollowUpTask, TaskKind, TaskStatus, lapsing_window, maintenance_reminder_window, projected_mileage_day,
};
use crate::model::inspection::{
    Inspection, InspectionId, InspectionKind, SubmitEntryInspection, SubmitExitInspection, check_entry,
    check_exit,
};
use crate::model::store::{Store, check_text};
use crate::model::work_order::LineStatus;
use crate::model::work_order::{AccessoryInput, Signature, SignatureMethod, SignedDocument};
use crate::model::work_order::{
    Approval, ApprovalMethod, FuelLevel, LineDecision, LineId, LineInput, LineOrigin, Payment, PaymentMethod,
    RepairCategory, SettlementParties, WorkOrder, WorkOrderFilter, WorkOrderId, WorkOrderStatus, build_line,
};
use crate::paging::{Page, PageRequest, all_pages};
use crate::ports::{ChangeSet, NUMBER_SLOT, NumberRequest, Op};
use crate::value::{CustomerId, Etag, Plate, RecordId, StoreCode, VehicleId, Vin, non_empty};
use crate::{DomainError, Result};

const NOT_FOUND: DomainError = DomainError::NotFound { resource: "work_order" };

/// Opens a work order (WO-1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateWorkOrder {
    /// The customer's file.
    pub customer_id: CustomerId,
    /// The car (on that file).
    pub vehicle_id: VehicleId,
    /// The customer's own account of the fault.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub fault_description: String,
    /// Odometer at intake; recorded as a reading (CF-6).
    pub intake_mileage_km: u32,
    /// Fuel at intake.
    pub fuel_level: Option<FuelLevel>,
    /// Repair category (WO-2).
    pub repair_category: RepairCategory,
    /// When the car is promised back.
    pub promised_at: DateTime<Utc>,
    /// The lines to quote.
    #[serde(default)]
    pub lines: Vec<LineInput>,
    /// An earlier order of this car this one comes back for, inside its warranty (WO-9).
    pub comeback_of: Option<WorkOrderId>,
}

/// The customer's decisions on an estimate version (WO-11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordDecisions {
    /// The estimate version the customer saw.
    pub estimate_version: u32,
    /// How they decided.
    pub method: ApprovalMethod,
    /// One decision per line.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub decisions: Vec<LineDecision>,
}

/// Cancels an order before work starts (WO-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CancelWorkOrder {
    /// Why.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
    pub reason: String,
}

/// Starts work once the technician checked the plate (WO-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StartWork {
    /// The plate the technician read on the car (the VIN for a car without plates).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 17))]
    pub plate: String,
}

/// Revises the estimate before the customer signs (WO-1, WO-11): lines added, changed, removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviseEstimate {
    /// New lines.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    pub add: Vec<LineInput>,
    /// Lines changed in place (same id).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    pub change: Vec<LineChange>,
    /// Lines taken off the estimate.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    pub remove: Vec<LineId>,
}

/// One line of the estimate, changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LineChange {
    /// The line.
    pub line_id: LineId,
    /// What it is now.
    pub line: LineInput,
}

/// Adds lines from a finding during work (WO-5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProposeLines {
    /// What the technician found.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub finding: String,
    /// The lines that would fix it.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub lines: Vec<LineInput>,
}

/// Marks an approved line as worked (WO-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CompleteLine {
    /// The line.
    pub line_id: LineId,
}

/// Closes the work with the technician's self-check (WO-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CompleteWork {
    /// What the technician checked.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub self_check_notes: String,
}

/// Hands the car back and settles (WO-10, IN-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeliverWorkOrder {
    /// The walk-around with the customer: questions answered, usage advice given (IN-4).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub walkaround_notes: String,
    /// Discount, fen; default 0.
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub discount_fen: Option<i64>,
    /// Amount paid, fen: the total less the discount.
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub amount_paid_fen: i64,
    /// How the customer paid.
    pub payment_method: PaymentMethod,
    /// The customer confirms the listed accessories were handed back (WO-7); required when there are any.
    pub accessories_returned: Option<bool>,
}

/// Lists items the customer leaves with the store (WO-7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordAccessories {
    /// The items.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub items: Vec<AccessoryInput>,
}

/// Records the customer's signature on a document (WO-7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordSignature {
    /// What was signed.
    pub document: SignedDocument,
    /// Who signed.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub signer: String,
    /// How.
    pub method: SignatureMethod,
}

/// A step with no input (submit-quote, notify-customer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NoInput {}

/// A document the customer keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    /// 任务委托书 (WO-1, WO-7).
    WorkOrder,
    /// 附件交接清单 (WO-7).
    AccessoryList,
    /// 竣工出厂合格证 (IN-2).
    Certificate,
    /// 结算清单 (WO-10).
    Settlement,
}

/// Everything a document shows, as one caller may see it.
#[derive(Debug, Clone)]
pub struct DocumentData {
    /// The store.
    pub store: Store,
    /// The order.
    pub order: WorkOrder,
    /// The customer, phone masked for roles that do not need it.
    pub customer: CustomerView,
    /// The car.
    pub vehicle: Vehicle,
    /// The passed exit inspection, for the certificate.
    pub exit_inspection: Option<Inspection>,
    /// The service advisor's name (their id when not on the staff list).
    pub advisor_name: String,
    /// The exit inspector's name, for the certificate.
    pub inspector_name: Option<String>,
}

/// A customer file still incomplete after the days CF-2 allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncompleteFile {
    /// The customer.
    pub customer_id: CustomerId,
    /// Their name.
    pub customer_name: String,
    /// The car of the first intake.
    pub vehicle_id: VehicleId,
    /// The first intake's work order number.
    pub work_order_number: String,
    /// When the customer first came in.
    pub first_intake_at: DateTime<Utc>,
    /// The store-local day by which the file was due.
    pub due_on: NaiveDate,
    /// What the file still lacks (CF-1).
    pub missing: Vec<String>,
}

/// How far back the CF-2 list looks for intakes.
const INCOMPLETE_FILE_WINDOW_DAYS: u64 = 180;

/// Raw list filters as clients send them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkOrderQuery {
    /// State.
    pub status: Option<WorkOrderStatus>,
    /// Advisor (staff id).
    pub advisor: Option<String>,
    /// Plate.
    pub plate: Option<String>,
    /// VIN.
    pub vin: Option<String>,
    /// Received on or after this store-local day.
    pub created_from: Option<NaiveDate>,
    /// Received on or before this store-local day.
    pub created_to: Option<NaiveDate>,
    /// Only orders past their promised time.
    pub overdue: bool,
    /// Only orders with lines waiting for the customer.
    pub awaiting_decision: bool,
}

impl WorkOrderQuery {
    /// Whether the query asks for a supervisor's watch list (overdue, awaiting decision), which
    /// only a supervisor may read.
    pub fn is_supervisor_list(&self) -> bool {
        self.overdue || self.awaiting_decision
    }
}

/// Use cases on work orders and their inspections.
#[derive(Clone)]
pub struct WorkOrderService {
    core: Arc<Core>,
}

/// Returns the first instant of a store-local day.
fn local_midnight(tz: Tz, day: NaiveDate) -> Option<DateTime<Utc>> {
    day.and_hms_opt(0, 0, 0)?.and_local_timezone(tz).earliest().map(|t| t.with_timezone(&Utc))
}

impl WorkOrderService {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    async fn load(&self, store: &StoreCode, id: WorkOrderId) -> Result<WorkOrder> {
        self.core.repo.get_work_order(store, id).await?.ok_or(NOT_FOUND)
    }

    /// The next number of a per-store, per-year sequence (WO-1, IN-2), taken in the write's own
    /// transaction; until then [`NUMBER_SLOT`] stands for it.
    fn next_number(store: &Store, kind: &str, year: i32) -> NumberRequest {
        NumberRequest { store: store.code.clone(), name: format!("{kind}:{year}") }
    }

    /// Opens a work order with a gap-free per-store number; the intake mileage is recorded (WO-1, CF-6).
    pub async fn create(
        &self,
        who: &Principal,
        store: &StoreCode,
        cmd: CreateWorkOrder,
        key: Option<IdempotencyKey>,
    ) -> Result<WorkOrder> {
        who.authorize(Action::CreateWorkOrder, store, "store")?;
        let mut v = Validator::new();
        let fault = check_text(&mut v, "fault_description", &cmd.fault_description, 2000);
        let lines: Vec<_> = cmd
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| build_line(&mut v, &format!("lines[{i}]"), l, LineOrigin::Initial, 0, None))
            .collect();
        if cmd.promised_at < self.core.now() - chrono::Duration::hours(1) {
            v.push("promised_at", "must not be in the past");
        }
        v.finish()?;
        let core = &self.core;
        core.write_once(who, store, "work_order.create", key, &cmd, || async {
            let shop = core.store(who, store).await?;
            let customer = core.repo.get_customer(store, cmd.customer_id).await?;
            let customer = customer.ok_or(DomainError::NotFound { resource: "customer" })?;
            customer.ensure_live()?;
            let vehicle = core
                .repo
                .get_vehicle(store, cmd.vehicle_id)
                .await?
                .filter(|v| v.customer_id == customer.id)
                .ok_or(DomainError::NotFound { resource: "vehicle" })?;
            if cmd.intake_mileage_km < vehicle.mileage_km {
                return Err(DomainError::FailedPrecondition {
                    code: "odometer.reading_lower",
                    message: format!(
                        "intake_mileage_km {} is lower than the vehicle's last reading {}; check the odometer (CF-6)",
                        cmd.intake_mileage_km, vehicle.mileage_km
                    ),
                });
            }
            let now = core.now();
            let tz = shop.timezone;
            let today = now.with_timezone(&tz).date_naive();
            if let Some(earlier) = cmd.comeback_of {
                let original = core.repo.get_work_order(store, earlier).await?;
                let original = original.ok_or_else(|| DomainError::invalid("comeback_of", "no such work order"))?;
                original.accepts_comeback(vehicle.id, today, cmd.intake_mileage_km)?;
            }
            let number = Self::next_number(&shop, "work_order", today.year());
            let order = WorkOrder {
                id: WorkOrderId::generate(),
                store: store.clone(),
                number: format!("{store}-{}-{NUMBER_SLOT}", today.year()),
                customer_id: customer.id,
                vehicle_id: vehicle.id,
                plate: vehicle.plate.as_ref().map(|p| p.to_string()),
                vin: vehicle.vin.to_string(),
                advisor: who.sub.clone(),
                status: WorkOrderStatus::Open,
                fault_description: fault.clone(),
                intake_mileage_km: cmd.intake_mileage_km,
                fuel_level: cmd.fuel_level,
                repair_category: cmd.repair_category,
                promised_at: cmd.promised_at,
                lines: lines.clone(),
                estimate_version: 0,
                approvals: vec![],
                entry_inspected: false,
                rework_count: 0,
                exit_passed: false,
                certificate_number: None,
                self_check_notes: None,
                cancel_reason: None,
                comeback_of: cmd.comeback_of,
                delivered_at: None,
                warranty: None,
                walkaround_notes: None,
                settlement: None,
                accessories: vec![],
                signatures: vec![],
                events: vec![],
                version: 1,
                created_at: now,
                updated_at: now,
            };
            let mut moved = vehicle.clone();
            moved.mileage_km = cmd.intake_mileage_km;
            moved.version += 1;
            moved.updated_at = now;
            let reading = OdometerReading {
                id: RecordId::generate(),
                store: store.clone(),
                vehicle_id: vehicle.id,
                mileage_km: cmd.intake_mileage_km,
                source: OdometerSource::Store,
                correction: false,
                note: Some(format!("intake {}", order.number)),
                recorded_by: who.sub.clone(),
                recorded_at: now,
            };
            let mut ops = vec![Op::InsertWorkOrder(Box::new(order.clone())), Op::InsertOdometer(reading)];
            if moved.mileage_km != vehicle.mileage_km {
                ops.push(Op::UpdateVehicle { vehicle: moved, expected_version: vehicle.version });
            }
            let changes = ChangeSet {
                ops,
                audit: vec![core.audit(who, store, "work_order.create", "work_order", order.id, vec![])],
                idempotency: None,
                number: Some(number),
                store_zone: Some((store.clone(), tz)),
            };
            Ok((order, changes))
        })
        .await
    }

    /// Reads a work order.
    pub async fn get(&self, who: &Principal, store: &StoreCode, id: WorkOrderId) -> Result<WorkOrder> {
        who.authorize(Action::ReadWorkOrder, store, "work_order")?;
        self.load(store, id).await
    }

    /// Lists work orders, oldest first, filtered.
    pub async fn list(
        &self,
        who: &Principal,
        store: &StoreCode,
        query: &WorkOrderQuery,
        page: &PageRequest,
    ) -> Result<Page<WorkOrder>> {
        who.authorize(Action::ReadWorkOrder, store, "store")?;
        if query.is_supervisor_list() {
            who.authorize(Action::SupervisorLists, store, "store")?;
        }
        let shop = self.core.store(who, store).await?;
        let tz = shop.timezone;
        let mut v = Validator::new();
        crate::model::store::check_staff_filter(&mut v, "advisor", query.advisor.as_deref());
        let plate = non_empty(query.plate.clone()).and_then(|p| v.check("plate", Plate::parse(&p)));
        let vin = non_empty(query.vin.clone()).and_then(|p| v.check("vin", Vin::parse(&p)));
        v.finish()?;
        let filter = WorkOrderFilter {
            status: query.status,
            advisor: non_empty(query.advisor.clone()),
            plate: plate.map(|p| p.to_string()),
            vin: vin.map(|v| v.to_string()),
            created_from: query.created_from.and_then(|d| local_midnight(tz, d)),
            created_to: query.created_to.and_then(|d| d.succ_opt()).and_then(|d| local_midnight(tz, d)),
            overdue_at: query.overdue.then(|| self.core.now()),
            awaiting_decision: query.awaiting_decision,
        };
        self.core.repo.list_work_orders(store, &filter, page).await
    }

    /// Runs one state-machine step: load, check the etag, let the order decide, save (WO-3).
    #[allow(clippy::too_many_arguments)]
    async fn step<C: Serialize>(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        action: Action,
        name: &'static str,
        cmd: &C,
        if_match: Option<Etag>,
        key: Option<IdempotencyKey>,
        apply: impl Fn(&mut WorkOrder, &Store, DateTime<Utc>) -> Result<()>,
    ) -> Result<WorkOrder> {
        who.authorize(action, store, "work_order")?;
        let core = &self.core;
        let (apply, if_match) = (&apply, if_match.as_ref());
        core.write_once(who, store, &format!("work_order.{name}"), key, &(id, cmd), || async move {
            let shop = core.store(who, store).await?;
            let current = self.load(store, id).await?;
            check_etag("work_order", current.version, if_match)?;
            let now = core.now();
            let mut next = current.clone();
            apply(&mut next, &shop, now)?;
            next.version = current.version + 1;
            next.updated_at = now;
            let audit = core.audit(
                who,
                store,
                &format!("work_order.{name}"),
                "work_order",
                id,
                vec!["status".into()],
            );
            let op = Op::UpdateWorkOrder { order: Box::new(next.clone()), expected_version: current.version };
            Ok((next, ChangeSet::of(op, audit)))
        })
        .await
    }

    /// Gives the customer the quote (WO-3).
    pub async fn submit_quote(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        if_match: Option<Etag>,
        key: Option<IdempotencyKey>,
    ) -> Result<WorkOrder> {
        self.step(
            who,
            store,
            id,
            Action::FrontDeskStep,
            "submit_quote",
            &NoInput {},
            if_match,
            key,
            |o, _, now| o.submit_quote(&who.sub, now),
        )
        .await
    }

    /// Records the customer's signature on the quote, per line (WO-11); needs the entry inspection.
    pub async fn approve(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        cmd: RecordDecisions,
        if_match: Option<Etag>,
        key: Option<IdempotencyKey>,
    ) -> Result<WorkOrder> {
        self.step(who, store, id, Action::FrontDeskStep, "approve", &cmd, if_match, key, |o, _, now| {
            o.approve(approval(who, &cmd, now))
        })
        .await
    }

    /// Records the customer's decision on lines proposed during work (WO-5, WO-11).
    pub async fn record_approval(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        cmd: RecordDecisions,
        if_match: Option<Etag>,
        key: Option<IdempotencyKey>,
    ) -> Result<WorkOrder> {
        self.step(
            who,
            store,
            id,
            Action::FrontDeskStep,
            "record_approval",
            &cmd,
            if_match,
            key,
            |o, _, now| o.record_approval(approval(who, &cmd, now)),
        )
        .await
    }

    /// Cancels an order before work starts (WO-3).
    pub async fn cancel(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        cmd: CancelWorkOrder,
        if_match: Option<Etag>,
        key: Option<IdempotencyKey>,
    ) -> Result<WorkOrder> {
        let mut v = Validator::new();
        crate::model::store::check_optional_text(&mut v, "reason", Some(&cmd.reason), 500);
        v.finish()?;
        self.step(who, store, id, Action::FrontDeskStep, "cancel", &cmd, if_match, key, |o, _, now| {
            o.cancel(&cmd.reason, &who.sub, now)
        })
        .await
    }

    /// Starts work after the plate check (WO-4).
    pub async fn start(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        cmd: StartWork,
        if_match: Option<Etag>,
        key: Option<IdempotencyKey>,
    ) -> Result<WorkOrder> {
        self.step(who, store, id, Action::WorkshopStep, "start", &cmd, if_match, key, |o, _, now| {
            o.start(&cmd.plate, &who.sub, now)
        })
        .await
    }

    /// Adds lines from a finding; they wait for the customer's approval (WO-5).
    pub async fn propose_lines(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        cmd: ProposeLines,
        if_match: Option<Etag>,
        key: Option<IdempotencyKey>,
    ) -> Result<WorkOrder> {
        let mut v = Validator::new();
        let finding = check_text(&mut v, "finding", &cmd.finding, 2000);
        let lines: Vec<_> = cmd
            .lines
            .iter()
            .enumerate()
            .map(|(i, l)| {
                build_line(
                    &mut v,
                    &format!("lines[{i}]"),
                    l,
                    LineOrigin::Additional,
                    0,
                    Some(finding.clone()),
                )
            })
            .collect();
        v.finish()?;
        self.step(who, store, id, Action::WorkshopStep, "propose_lines", &cmd, if_match, key, |o, _, now| {
            // Fresh ids on every attempt: a retried step must not reuse the ones of a lost race.
            let fresh = lines.iter().cloned().map(|mut l| {
                l.id = LineId::generate();
                l
            });
            o.propose_lines(fresh.collect(), &who.sub, now)
        })
        .await
    }

    /// Revises the estimate in `open` (diagnosis) or after a quote, which then goes back to
    /// `open` to be quoted again (WO-1, WO-11).
    pub async fn revise_estimate(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        cmd: ReviseEstimate,
        if_match: Option<Etag>,
        key: Option<IdempotencyKey>,
    ) -> Result<WorkOrder> {
        let mut v = Validator::new();
        if cmd.add.len() > 200 || cmd.change.len() > 200 || cmd.remove.len() > 200 {
            v.push("add", "at most 200 lines each to add, change or remove");
        }
        let build = |v: &mut Validator, field: String, l: &LineInput| {
            build_line(v, &field, l, LineOrigin::Initial, 0, None)
        };
        let add: Vec<_> =
            cmd.add.iter().enumerate().map(|(i, l)| build(&mut v, format!("add[{i}]"), l)).collect();
        let change: Vec<_> = cmd
            .change
            .iter()
            .enumerate()
            .map(|(i, c)| (c.line_id, build(&mut v, format!("change[{i}].line"), &c.line)))
            .collect();
        v.finish()?;
        self.step(
            who,
            store,
            id,
            ReviseEstimate::ACTION,
            "revise_estimate",
            &cmd,
            if_match,
            key,
            |o, _, now| {
                // Fresh ids on every attempt: a retried step must not reuse the ones of a lost race.
                let fresh = add.iter().cloned().map(|mut l| {
                    l.id = LineId::generate();
                    l
                });
                o.revise_estimate(fresh.collect(), change.clone(), &cmd.remove, &who.sub, now)
            },
        )
        .await
    }

    /// Marks an approved line as worked (WO-5).
    pub async fn complete_line(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        cmd: CompleteLine,
        if_match: Option<Etag>,
        key: Option<IdempotencyKey>,
    ) -> Result<WorkOrder> {
        self.step(who, store, id, Action::WorkshopStep, "complete_line", &cmd, if_match, key, |o, _, now| {
            o.complete_line(cmd.line_id, &who.sub, now)
        })
        .await
    }

    /// Closes the work with the technician's self-check (WO-3).
    pub async fn complete_work(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        cmd: CompleteWork,
        if_match: Option<Etag>,
        key: Option<IdempotencyKey>,
    ) -> Result<WorkOrder> {
        let mut v = Validator::new();
        crate::model::store::check_optional_text(
            &mut v,
            "self_check_notes",
            Some(&cmd.self_check_notes),
            2000,
        );
        v.finish()?;
        self.step(who, store, id, Action::WorkshopStep, "complete_work", &cmd, if_match, key, |o, _, now| {
            o.complete_work(&cmd.self_check_notes, &who.sub, now)
        })
        .await
    }

    /// Lists customer files still incomplete more than the store's `file_open_days` after the
    /// customer's first intake, oldest first (CF-2). Looks back 180 days.
    pub async fn incomplete_files(&self, who: &Principal, store: &StoreCode) -> Result<Vec<IncompleteFile>> {
        who.authorize(Action::SupervisorLists, store, "store")?;
        let shop = self.core.store(who, store).await?;
        let tz = shop.timezone;
        let today = self.core.now().with_timezone(&tz).date_naive();
        // An intake on day D is due by the end of D + file_open_days: overdue once that day is over.
        let Some(cutoff_day) = today.checked_sub_days(Days::new(u64::from(shop.sla.file_open_days))) else {
            return Ok(vec![]);
        };
        let window_start = cutoff_day.checked_sub_days(Days::new(INCOMPLETE_FILE_WINDOW_DAYS));
        let filter = WorkOrderFilter {
            created_to: local_midnight(tz, cutoff_day),
            created_from: window_start.and_then(|d| local_midnight(tz, d)),
            ..WorkOrderFilter::default()
        };
        let filter = &filter;
        let mut first_intakes: Vec<WorkOrder> = Vec::new();
        for order in
            all_pages(|page| async move { self.core.repo.list_work_orders(store, filter, &page).await })
                .await?
        {
            if !first_intakes.iter().any(|o| o.customer_id == order.customer_id) {
                first_intakes.push(order);
            }
        }
        let mut files = Vec::new();
        for order in first_intakes {
            let customer = self.core.repo.get_customer(store, order.customer_id).await?;
            let vehicle = self.core.repo.get_vehicle(store, order.vehicle_id).await?;
            let (Some(customer), Some(vehicle)) = (customer, vehicle) else { continue };
            let missing = missing_file_items(&customer, &vehicle);
            if missing.is_empty() || customer.merged_into.is_some() {
                continue;
            }
            let intake_day = order.created_at.with_timezone(&tz).date_naive();
            files.push(IncompleteFile {
                customer_id: customer.id,
                customer_name: customer.name,
                vehicle_id: vehicle.id,
                work_order_number: order.number,
                first_intake_at: order.created_at,
                due_on: intake_day
                    .checked_add_days(Days::new(u64::from(shop.sla.file_open_days)))
                    .unwrap_or(intake_day),
                missing: missing.into_iter().map(String::from).collect(),
            });
        }
        Ok(files)
    }

    /// Gathers what a document shows; refuses a document that does not exist yet (a certificate
    /// before the passed exit inspection, a settlement before delivery).
    pub async fn document(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        kind: DocumentKind,
    ) -> Result<DocumentData> {
        who.authorize(Action::ReadWorkOrder, store, "work_order")?;
        let shop = self.core.store(who, store).await?;
        let order = self.load(store, id).await?;
        let missing = match kind {
            DocumentKind::WorkOrder => None,
            DocumentKind::AccessoryList => {
                order.accessories.is_empty().then_some("no accessories were listed")
            }
            DocumentKind::Certificate => {
                order.certificate_number.is_none().then_some("no exit inspection has passed")
            }
            DocumentKind::Settlement => order.settlement.is_none().then_some("the order is not settled"),
        };
        if let Some(why) = missing {
            return Err(DomainError::FailedPrecondition {
                code: "document.not_available",
                message: format!("this document does not exist yet: {why}"),
            });
        }
        let customer = self.core.repo.get_customer(store, order.customer_id).await?;
        let vehicle = self.core.repo.get_vehicle(store, order.vehicle_id).await?;
        let (Some(customer), Some(vehicle)) = (customer, vehicle) else {
            return Err(DomainError::Internal("work order refers to a missing customer or vehicle".into()));
        };
        let exit_inspection = match kind {
            DocumentKind::Certificate => self
                .core
                .repo
                .list_inspections(store, id)
                .await?
                .into_iter()
                .rev()
                .find(|i| i.passed == Some(true)),
            DocumentKind::WorkOrder | DocumentKind::AccessoryList | DocumentKind::Settlement => None,
        };
        let advisor_name = self.staff_name(store, &order.advisor).await?;
        let inspector_name = match &exit_inspection {
            Some(i) => Some(self.staff_name(store, &i.inspector).await?),
            None => None,
        };
        Ok(DocumentData {
            store: shop,
            order,
            customer: customer.for_viewer(who.can(Action::SeeFullPhone)),
            vehicle,
            exit_inspection,
            advisor_name,
            inspector_name,
        })
    }

    /// Returns a staff member's name as printed, or their id when they are not on the list.
    async fn staff_name(&self, store: &StoreCode, id: &str) -> Result<String> {
        Ok(self.core.repo.get_staff(store, id).await?.map_or_else(|| id.to_string(), |s| s.name))
    }

    /// Lists items the customer leaves with the store (WO-7).
    pub async fn record_accessories(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        cmd: RecordAccessories,
        if_match: Option<Etag>,
        key: Option<IdempotencyKey>,
    ) -> Result<WorkOrder> {
        self.step(
            who,
            store,
            id,
            Action::FrontDeskStep,
            "record_accessories",
            &cmd,
            if_match,
            key,
            |o, _, now| o.add_accessories(&cmd.items, &who.sub, now),
        )
        .await
    }

    /// Records the customer's signature on the order, the accessory list or the settlement (WO-7).
    pub async fn record_signature(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        cmd: RecordSignature,
        if_match: Option<Etag>,
        key: Option<IdempotencyKey>,
    ) -> Result<WorkOrder> {
        self.step(
            who,
            store,
            id,
            Action::FrontDeskStep,
            "record_signature",
            &cmd,
            if_match,
            key,
            |o, _, now| {
                o.sign(Signature {
                    document: cmd.document,
                    signer: cmd.signer.clone(),
                    method: cmd.method,
                    signed_at: now,
                    recorded_by: who.sub.clone(),
                })
            },
        )
        .await
    }

    /// Tells the customer the car is ready (WO-3).
    pub async fn notify_customer(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        if_match: Option<Etag>,
        key: Option<IdempotencyKey>,
    ) -> Result<WorkOrder> {
        self.step(
            who,
            store,
            id,
            Action::FrontDeskStep,
            "notify_customer",
            &NoInput {},
            if_match,
            key,
            |o, _, now| o.notify_customer(&who.sub, now),
        )
        .await
    }

    /// The reminders a delivery schedules, in its transaction: the next maintenance, replacing the
    /// vehicle's earlier reminder, and the declined work (FU-10, WO-11). A maintenance order also
    /// restarts the vehicle's maintenance clock.
    async fn reminders(
        &self,
        shop: &Store,
        order: &WorkOrder,
        vehicle: &Vehicle,
        today: NaiveDate,
    ) -> Result<Vec<Op>> {
        let core = &self.core;
        let now = core.now();
        let mut ops = Vec::new();
        let plan = |kind, window| TaskPlan {
            kind,
            customer_id: order.customer_id,
            order: Some((order.id, order.advisor.as_str())),
            received_by: None,
            from_day: today,
            previous: None,
            topics: vec![],
            window,
            campaign_id: None,
        };
        let mut car = vehicle.clone();
        if matches!(
            order.repair_category,
            RepairCategory::Level1Maintenance | RepairCategory::Level2Maintenance
        ) {
            car.last_service_date = Some(today);
            car.last_service_km = Some(order.intake_mileage_km);
            car.version += 1;
            car.updated_at = now;
            ops.push(Op::UpdateVehicle { vehicle: car.clone(), expected_version: vehicle.version });
        }
        let due = car.next_maintenance();
        // With neither a service nor a registration on record, nothing says when it falls due.
        let known = car.last_service_date.or(car.registration_date).is_some();
        let mileage = car.mileage_km.max(order.intake_mileage_km);
        let projected = projected_mileage_day(car.registration_date, today, mileage, due.km);
        let lead = shop.sla.maintenance_reminder_lead_days;
        let window = maintenance_reminder_window(due.date, projected, today, lead).filter(|_| known);
        if let Some(window) = window {
            let open = core.open_tasks_of(&shop.code, order.customer_id).await?;
            // The car is back: its earlier reminder and lapsing follow-up give way to the new ones.
            let replaced =
                |t: &FollowUpTask| matches!(t.kind, TaskKind::MaintenanceReminder | TaskKind::Lapsing);
            for old in open.into_iter().filter(replaced) {
                let Some(of) = old.work_order_id else { continue };
                let same_car =
                    core.repo.get_work_order(&shop.code, of).await?.is_some_and(|o| o.vehicle_id == car.id);
                if same_car {
                    let cancelled = old.closed(TaskStatus::Cancelled, now);
                    ops.push(Op::UpdateTask { task: Box::new(cancelled), expected_version: old.version });
                }
            }
            let mut task = core.plan_task(shop, plan(TaskKind::MaintenanceReminder, Some(window))).await?;
            let by_date = due.date.map(|d| format!("{d} or ")).unwrap_or_default();
            task.subjects = vec![format!("maintenance due by {by_date}{} km", due.km)];
            // Scheduled now, off every worklist until its window: cancelled above when the car
            // comes back for maintenance, so only a car that did not is followed as lapsing.
            let lapse = plan(TaskKind::Lapsing, Some(lapsing_window(window.1, &shop.sla)));
            let mut lapsing = core.plan_task(shop, lapse).await?;
            lapsing.subjects = vec![format!("maintenance was due by {}", window.1)];
            ops.push(Op::InsertTask(Box::new(task)));
            ops.push(Op::InsertTask(Box::new(lapsing)));
        }
        let declined: Vec<String> = order
            .lines
            .iter()
            .filter(|l| l.status == LineStatus::Declined)
            .map(|l| l.description.clone())
            .collect();
        if !declined.is_empty() {
            let mut task = core.plan_task(shop, plan(TaskKind::DeclinedReminder, None)).await?;
            task.subjects = declined;
            ops.push(Op::InsertTask(Box::new(task)));
        }
        Ok(ops)
    }

    /// Hands the car back and freezes the settlement; the warranty starts on the store-local day
    /// (WO-9, WO-10, IN-4).
    pub async fn deliver(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        cmd: DeliverWorkOrder,
        if_match: Option<Etag>,
        key: Option<IdempotencyKey>,
    ) -> Result<WorkOrder> {
        who.authorize(Action::FrontDeskStep, store, "work_order")?;
        let mut v = Validator::new();
        crate::model::store::check_optional_text(
            &mut v,
            "walkaround_notes",
            Some(&cmd.walkaround_notes),
            2000,
        );
        v.finish()?;
        let payment = Payment {
            discount_fen: cmd.discount_fen.unwrap_or(0),
            amount_paid_fen: cmd.amount_paid_fen,
            method: cmd.payment_method,
        };
        let core = &self.core;
        let (if_match, payment, notes) = (if_match.as_ref(), &payment, cmd.walkaround_notes.as_str());
        core.write_once(who, store, "work_order.deliver", key, &(id, &cmd), || async move {
            let shop = core.store(who, store).await?;
            let current = self.load(store, id).await?;
            check_etag("work_order", current.version, if_match)?;
            let customer = core.repo.get_customer(store, current.customer_id).await?;
            let vehicle = core.repo.get_vehicle(store, current.vehicle_id).await?;
            let (Some(customer), Some(vehicle)) = (customer, vehicle) else {
                return Err(DomainError::Internal(
                    "work order refers to a missing customer or vehicle".into(),
                ));
            };
            let now = core.now();
            let today = now.with_timezone(&shop.timezone).date_naive();
            let mut next = current.clone();
            next.deliver(notes, cmd.accessories_returned.unwrap_or(false), today, &who.sub, now)?;
            let number = Self::next_number(&shop, "settlement", today.year());
            let parties = SettlementParties {
                store_name: shop.name.clone(),
                customer_name: customer.name.clone(),
                customer_phone: customer.phone.masked(),
                customer_company: customer.company.clone(),
                vehicle_model: format!("{} {}", vehicle.make, vehicle.model),
            };
            next.settle(parties, format!("{store}-JS-{}-{NUMBER_SLOT}", today.year()), payment)?;
            next.version = current.version + 1;
            next.updated_at = now;
            let audit = core.audit(
                who,
                store,
                "work_order.deliver",
                "work_order",
                id,
                vec!["status".into(), "settlement".into()],
            );
            let tz = shop.timezone;
            let record =
                EhealthRecord::of(&next, &shop.name, next.created_at.with_timezone(&tz).date_naive(), today)
                    .ok_or_else(|| DomainError::Internal("settled order has no e-health record".into()))?;
            // Queued in the same transaction as the delivery: no delivered order is ever left out (WO-12).
            let upload = EhealthUpload {
                work_order_id: id,
                store: store.clone(),
                province: core.settings.ehealth_province.clone(),
                record,
                status: UploadStatus::Pending,
                attempts: 0,
                next_attempt_at: now,
                last_error: None,
                uploaded_at: None,
                created_at: now,
            };
            let ops = vec![
                Op::UpdateWorkOrder { order: Box::new(next.clone()), expected_version: current.version },
                Op::InsertEhealthUpload(Box::new(upload)),
            ];
            // The first follow-up is born with the delivery, in the same transaction (FU-1, FU-3).
            let plan = TaskPlan {
                kind: TaskKind::FirstFollowUp,
                customer_id: next.customer_id,
                order: Some((id, &next.advisor)),
                received_by: None,
                from_day: today,
                previous: None,
                topics: vec![],
                window: None,
                campaign_id: None,
            };
            let first = core.plan_task(&shop, plan).await?;
            let reminders = self.reminders(&shop, &next, &vehicle, today).await?;
            let ops = [ops, vec![Op::InsertTask(Box::new(first))], reminders].concat();
            Ok((
                next,
                ChangeSet {
                    ops,
                    audit: vec![audit],
                    idempotency: None,
                    number: Some(number),
                    store_zone: None,
                },
            ))
        })
        .await
    }

    /// Submits the entry inspection, which confirms the category (IN-1).
    pub async fn submit_entry_inspection(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        cmd: SubmitEntryInspection,
        key: Option<IdempotencyKey>,
    ) -> Result<Inspection> {
        who.authorize(Action::EntryInspection, store, "work_order")?;
        let core = &self.core;
        core.write_once(who, store, "inspection.entry", key, &(id, &cmd), || async {
            let order = self.load(store, id).await?;
            check_entry(&order, &cmd)?;
            let now = core.now();
            let inspection = Inspection {
                id: InspectionId::generate(),
                store: store.clone(),
                work_order_id: id,
                kind: InspectionKind::Entry,
                inspector: who.sub.clone(),
                submitted_at: now,
                methods: cmd.methods.clone(),
                findings: Some(cmd.findings.trim().to_string()),
                condition: cmd.condition.clone(),
                confirmed_category: Some(cmd.confirmed_category.unwrap_or(order.repair_category)),
                results: vec![],
                road_test: None,
                passed: None,
                certificate_number: None,
                warranty: None,
            };
            let mut next = order.clone();
            next.entry_inspected = true;
            next.repair_category = cmd.confirmed_category.unwrap_or(order.repair_category);
            next.version += 1;
            next.updated_at = now;
            let changes = ChangeSet {
                ops: vec![
                    Op::InsertInspection(Box::new(inspection.clone())),
                    Op::UpdateWorkOrder { order: Box::new(next), expected_version: order.version },
                ],
                audit: vec![core.audit(
                    who,
                    store,
                    "inspection.entry",
                    "work_order",
                    id,
                    vec!["entry_inspected".into()],
                )],
                idempotency: None,
                number: None,
                store_zone: None,
            };
            Ok((inspection, changes))
        })
        .await
    }

    /// Submits an exit (or rework) inspection: pass issues the certificate, fail sends the car
    /// back to rework (IN-2). Inspectors only.
    pub async fn submit_exit_inspection(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        cmd: SubmitExitInspection,
        key: Option<IdempotencyKey>,
    ) -> Result<Inspection> {
        who.authorize(Action::ExitInspection, store, "work_order")?;
        let core = &self.core;
        core.write_once(who, store, "inspection.exit", key, &(id, &cmd), || async {
            let shop = core.store(who, store).await?;
            let order = self.load(store, id).await?;
            if order.status != WorkOrderStatus::WorkCompleted {
                return Err(DomainError::FailedPrecondition {
                    code: "work_order.invalid_transition",
                    message: format!(
                        "cannot inspect a work order that is {}: only completed work is inspected",
                        order.status.as_str()
                    ),
                });
            }
            let (passed, failed) = check_exit(&order, &cmd)?;
            let now = core.now();
            let mut ops = Vec::new();
            let mut number = None;
            let certificate = if passed {
                let year = now.with_timezone(&shop.timezone).year();
                number = Some(Self::next_number(&shop, "certificate", year));
                Some(format!("{store}-HG-{year}-{NUMBER_SLOT}"))
            } else {
                None
            };
            let inspection = Inspection {
                id: InspectionId::generate(),
                store: store.clone(),
                work_order_id: id,
                kind: if order.rework_count == 0 { InspectionKind::Exit } else { InspectionKind::Rework },
                inspector: who.sub.clone(),
                submitted_at: now,
                methods: vec![],
                findings: None,
                condition: None,
                confirmed_category: None,
                results: cmd.results.clone(),
                road_test: cmd.road_test.clone(),
                passed: Some(passed),
                certificate_number: certificate.clone(),
                warranty: passed.then(|| order.repair_category.warranty()),
            };
            let mut next = order.clone();
            next.apply_exit_inspection(passed, &failed, certificate, &who.sub, now)?;
            next.version += 1;
            next.updated_at = now;
            ops.push(Op::InsertInspection(Box::new(inspection.clone())));
            ops.push(Op::UpdateWorkOrder { order: Box::new(next), expected_version: order.version });
            let action = if passed { "inspection.exit_passed" } else { "inspection.exit_failed" };
            let audit = vec![core.audit(who, store, action, "work_order", id, vec!["status".into()])];
            Ok((inspection, ChangeSet { ops, audit, idempotency: None, number, store_zone: None }))
        })
        .await
    }

    /// Lists a work order's inspections, oldest first.
    pub async fn inspections(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
    ) -> Result<Vec<Inspection>> {
        who.authorize(Action::ReadWorkOrder, store, "work_order")?;
        self.load(store, id).await?;
        self.core.repo.list_inspections(store, id).await
    }

    /// Deletes an inspection, which the 3-year retention refuses while it runs (IN-3).
    pub async fn delete_inspection(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        inspection: InspectionId,
    ) -> Result<()> {
        who.authorize(Action::DeleteInspection, store, "inspection")?;
        let found = self
            .core
            .repo
            .get_inspection(store, inspection)
            .await?
            .filter(|i| i.work_order_id == id)
            .ok_or(DomainError::NotFound { resource: "inspection" })?;
        found.ensure_deletable(self.core.now())?;
        let audit = self.core.audit(who, store, "inspection.delete", "inspection", inspection, vec![]);
        self.core
            .repo
            .apply(ChangeSet::of(Op::DeleteInspection { store: store.clone(), id: inspection }, audit))
            .await
            .map(|_| ())
    }
}

fn approval(who: &Principal, cmd: &RecordDecisions, now: DateTime<Utc>) -> Approval {
    Approval {
        estimate_version: cmd.estimate_version,
        method: cmd.method,
        decisions: cmd.decisions.clone(),
        recorded_by: who.sub.clone(),
        recorded_at: now,
    }
}

//! Work orders and inspections: the reception-to-delivery workflow (WO-1..WO-11, IN-1..IN-3).

use std::sync::Arc;

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::follow_ups::TaskPlan;
use super::{Core, IdempotencyKey, check_etag};
use crate::auth::{Action, Command, Principal};
use crate::error::Validator;
use crate::model::customer::{CustomerView, OdometerSource, RecordOdometer, Vehicle, missing_file_items};
use crate::model::ehealth::{EhealthRecord, EhealthUpload, UploadStatus};
use crate::model::follow_up::{
    FollowUpTask, TaskKind, TaskStatus, lapsing_window, maintenance_reminder_window, projected_mileage_day,
};
use crate::model::inspection::{
    Inspection, InspectionId, InspectionKind, SubmitEntryInspection, SubmitExitInspection, check_entry,
    check_exit,
};
use crate::model::message::{MessageChannel, MessageRequest};
use crate::model::store::Store;
use crate::model::work_order::LineStatus;
use crate::model::work_order::Opening;
use crate::model::work_order::{AccessoryInput, Signature, SignatureMethod, SignedDocument};
use crate::model::work_order::{
    Approval, ApprovalMethod, FuelLevel, LineDecision, LineId, LineInput, LineOrigin, Payment, PaymentMethod,
    RepairCategory, SettlementParties, WorkOrder, WorkOrderFilter, WorkOrderId, WorkOrderStatus, build_line,
};
use crate::paging::{Page, PageRequest, all_pages};
use crate::ports::{ChangeSet, NUMBER_SLOT, NumberRequest, Op};
use crate::value::{CustomerId, Etag, Plate, StoreCode, VehicleId, Vin, non_empty};
use crate::{DomainError, Result};

mod commands;
mod delivery;
mod documents;
mod inspections;
mod sanbao;
mod workshop;

pub use commands::*;
pub use workshop::*;

const NOT_FOUND: DomainError = DomainError::NotFound { resource: "work_order" };

/// How far back the CF-2 list looks for intakes.
const INCOMPLETE_FILE_WINDOW_DAYS: u64 = 180;

/// Use cases on work orders and their inspections.
#[derive(Clone)]
pub struct WorkOrderService {
    core: Arc<Core>,
}

/// Checks an opening's input; answers the fault text and the built lines.
pub(crate) fn check_opening(
    cmd: &CreateWorkOrder,
    now: DateTime<Utc>,
) -> Result<(String, Vec<crate::model::work_order::WorkOrderLine>)> {
    let mut v = Validator::new();
    v.km("intake_mileage_km", Some(cmd.intake_mileage_km));
    let fault = v.text("fault_description", &cmd.fault_description, crate::error::limits::TEXT);
    let lines: Vec<_> = cmd
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| build_line(&mut v, &format!("lines[{i}]"), l, LineOrigin::Initial, 0, None))
        .collect();
    if cmd.promised_at < now - chrono::Duration::hours(1) {
        v.push("promised_at", "must not be in the past");
    }
    v.finish()?;
    Ok((fault, lines))
}

/// Decides the opening of a work order in `shop` (WO-1, CF-6): the order, its intake reading, and
/// the change set that takes its number; `appointment` links it to the booking it comes from.
pub(crate) async fn open_order(
    core: &Core,
    who: &Principal,
    shop: &Store,
    cmd: &CreateWorkOrder,
    (fault, lines): (String, Vec<crate::model::work_order::WorkOrderLine>),
    appointment: Option<crate::model::appointment::AppointmentId>,
) -> Result<(WorkOrder, ChangeSet)> {
    let store = &shop.code;
    let customer = core.repo.get_customer(store, cmd.customer_id).await?;
    let customer = customer.ok_or(DomainError::NotFound { resource: "customer" })?;
    customer.ensure_live()?;
    let vehicle = core
        .repo
        .get_vehicle(store, cmd.vehicle_id)
        .await?
        .filter(|v| v.customer_id == customer.id)
        .ok_or(DomainError::NotFound { resource: "vehicle" })?;
    let now = core.now();
    let tz = shop.timezone;
    let today = now.with_timezone(&tz).date_naive();
    if let Some(earlier) = cmd.comeback_of {
        let original = core.repo.get_work_order(store, earlier).await?;
        let original = original.ok_or_else(|| DomainError::invalid("comeback_of", "no such work order"))?;
        original.accepts_comeback(vehicle.id, today, cmd.intake_mileage_km)?;
    }
    let number = WorkOrderService::next_number(shop, "work_order", today.year());
    let order = WorkOrder::open(Opening {
        vehicle: &vehicle,
        advisor: &who.sub,
        fault_description: fault,
        intake_mileage_km: cmd.intake_mileage_km,
        fuel_level: cmd.fuel_level,
        repair_category: cmd.repair_category,
        promised_at: cmd.promised_at,
        lines,
        comeback_of: cmd.comeback_of,
        number: format!("{store}-{}-{NUMBER_SLOT}", today.year()),
        appointment_id: appointment,
        now,
    });
    // CF-6 as for any reading: the intake mileage never goes below the car's last one.
    let intake = RecordOdometer {
        mileage_km: cmd.intake_mileage_km,
        source: Some(OdometerSource::Store),
        correction: None,
        note: Some(format!("intake {}", order.number)),
    };
    let (moved, reading) = vehicle.read_odometer("intake_mileage_km", &intake, &who.sub, now)?;
    // At reception the advisor sees the earlier order still under warranty the car may be back
    // for (WO-9), and what its earlier repairs give its owner (三包).
    let (earlier, standing) = sanbao::at_opening(core, shop, &order, &moved, now).await?;
    let mut order = order;
    order.suggest_comeback(&earlier, today);
    order.sanbao = standing;
    let mut ops = vec![Op::InsertWorkOrder(Box::new(order.clone())), Op::InsertOdometer(reading)];
    if moved.mileage_km != vehicle.mileage_km {
        ops.push(Op::UpdateVehicle { vehicle: moved, before: Box::new(vehicle.clone()) });
    }
    let changes = ChangeSet {
        ops,
        audit: vec![core.audit(who, store, "work_order.create", "work_order", order.id, vec![])],
        idempotency: None,
        number: Some(number),
        store_zone: Some((store.clone(), tz)),
    };
    Ok((order, changes))
}

/// Returns the first instant of a store-local day.
pub(crate) fn local_midnight(tz: Tz, day: NaiveDate) -> Option<DateTime<Utc>> {
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
        let checked = check_opening(&cmd, self.core.now())?;
        let core = &self.core;
        core.write_once(who, store, "work_order.create", key, &cmd, || async {
            let shop = core.store(who, store).await?;
            open_order(core, who, &shop, &cmd, checked.clone(), None).await
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
            sanbao_rights: query.sanbao_rights,
            ..WorkOrderFilter::default()
        };
        self.core.repo.list_work_orders(store, &filter, page).await
    }

    /// Runs one state-machine step: load, check the etag, let the order decide, save (WO-3).
    async fn step<C: Serialize>(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        names: (Action, &'static str),
        cmd: &C,
        apply: impl Fn(&mut WorkOrder, &Store, DateTime<Utc>) -> Result<()>,
    ) -> Result<WorkOrder> {
        self.step_telling(who, store, step, names, cmd, None, apply).await
    }

    /// [`Self::step`], telling the customer by `tell`'s template in the same change (issue 13).
    #[allow(clippy::too_many_arguments)] // `step`'s own, and the message it sends
    async fn step_telling<C: Serialize>(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        (action, name): (Action, &'static str),
        cmd: &C,
        tell: Option<&'static str>,
        apply: impl Fn(&mut WorkOrder, &Store, DateTime<Utc>) -> Result<()>,
    ) -> Result<WorkOrder> {
        let Step { id, if_match, key } = step;
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
            // Lines the insurer is asked to pay never grow past its assessment (增项定损 first).
            if next.insurance_quoted_fen() > current.insurance_quoted_fen() {
                next.check_insurance_cover()?;
            }
            if sanbao::sanbao_touched(&current, &next) {
                let vehicle = core.repo.get_vehicle(store, next.vehicle_id).await?;
                if let Some(vehicle) = vehicle {
                    next.sanbao = sanbao::standing_of(core, &shop, &next, &vehicle, now).await?;
                }
            }
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
            let op = Op::UpdateWorkOrder { order: Box::new(next.clone()), before: Box::new(current.clone()) };
            let mut changes = ChangeSet::of(op, audit);
            if let Some(template) = tell {
                let plate = next.plate.as_ref().map(ToString::to_string).unwrap_or_default();
                let channels = vec![MessageChannel::WechatSubscribe, MessageChannel::Sms];
                let request = MessageRequest::new(
                    store,
                    next.customer_id,
                    template,
                    channels,
                    ("work_order", id.to_string()),
                )
                .with("plate", plate)
                .with("number", next.number.clone());
                changes.ops.extend(core.tell(&shop, request).await?);
            }
            Ok((next, changes))
        })
        .await
    }

    /// Gives the customer the quote (WO-3).
    pub async fn submit_quote(&self, who: &Principal, store: &StoreCode, step: Step) -> Result<WorkOrder> {
        self.step(who, store, step, (Action::FrontDeskStep, "submit_quote"), &NoInput {}, |o, _, now| {
            o.submit_quote(&who.sub, now)
        })
        .await
    }

    /// Records the customer's signature on the quote, per line (WO-11); needs the entry inspection.
    pub async fn approve(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        cmd: RecordDecisions,
    ) -> Result<WorkOrder> {
        self.step(who, store, step, (Action::FrontDeskStep, "approve"), &cmd, |o, _, now| {
            o.approve(approval(who, &cmd, now))
        })
        .await
    }

    /// Records the customer's decision on lines proposed during work (WO-5, WO-11).
    pub async fn record_approval(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        cmd: RecordDecisions,
    ) -> Result<WorkOrder> {
        self.step(who, store, step, (Action::FrontDeskStep, "record_approval"), &cmd, |o, _, now| {
            o.record_approval(approval(who, &cmd, now))
        })
        .await
    }

    /// Cancels an order before work starts (WO-3).
    pub async fn cancel(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        cmd: CancelWorkOrder,
    ) -> Result<WorkOrder> {
        let mut v = Validator::new();
        v.optional_text("reason", Some(&cmd.reason), crate::error::limits::NOTE);
        v.finish()?;
        self.step(who, store, step, (Action::FrontDeskStep, "cancel"), &cmd, |o, _, now| {
            o.cancel(&cmd.reason, &who.sub, now)
        })
        .await
    }

    /// Starts work after the plate check (WO-4).
    pub async fn start(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        cmd: StartWork,
    ) -> Result<WorkOrder> {
        self.step(who, store, step, (Action::WorkshopStep, "start"), &cmd, |o, _, now| {
            o.start(&cmd.plate, &who.sub, now)
        })
        .await
    }

    /// Adds lines from a finding; they wait for the customer's approval (WO-5).
    pub async fn propose_lines(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        cmd: ProposeLines,
    ) -> Result<WorkOrder> {
        let mut v = Validator::new();
        let finding = v.text("finding", &cmd.finding, crate::error::limits::TEXT);
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
        self.step(who, store, step, (Action::WorkshopStep, "propose_lines"), &cmd, |o, _, now| {
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
        step: Step,
        cmd: ReviseEstimate,
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
        self.step(who, store, step, (ReviseEstimate::ACTION, "revise_estimate"), &cmd, |o, _, now| {
            // Fresh ids on every attempt: a retried step must not reuse the ones of a lost race.
            let fresh = add.iter().cloned().map(|mut l| {
                l.id = LineId::generate();
                l
            });
            o.revise_estimate(fresh.collect(), change.clone(), &cmd.remove, &who.sub, now)
        })
        .await
    }

    /// Marks an approved line as worked (WO-5).
    pub async fn complete_line(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        cmd: CompleteLine,
    ) -> Result<WorkOrder> {
        self.step(who, store, step, (Action::WorkshopStep, "complete_line"), &cmd, |o, _, now| {
            o.complete_line(cmd.line_id, cmd.part_serial.clone(), &who.sub, now)
        })
        .await
    }

    /// Closes the work with the technician's self-check (WO-3).
    pub async fn complete_work(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        cmd: CompleteWork,
    ) -> Result<WorkOrder> {
        let mut v = Validator::new();
        v.optional_text("self_check_notes", Some(&cmd.self_check_notes), crate::error::limits::TEXT);
        v.finish()?;
        self.step(who, store, step, (Action::WorkshopStep, "complete_work"), &cmd, |o, _, now| {
            o.complete_work(&cmd.self_check_notes, &who.sub, now)
        })
        .await
    }

    /// Lists items the customer leaves with the store (WO-7).
    pub async fn record_accessories(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        cmd: RecordAccessories,
    ) -> Result<WorkOrder> {
        self.step(who, store, step, (Action::FrontDeskStep, "record_accessories"), &cmd, |o, _, now| {
            o.add_accessories(&cmd.items, &who.sub, now)
        })
        .await
    }

    /// Records the customer's signature on the order, the accessory list or the settlement (WO-7).
    pub async fn record_signature(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        cmd: RecordSignature,
    ) -> Result<WorkOrder> {
        self.step(who, store, step, (Action::FrontDeskStep, "record_signature"), &cmd, |o, _, now| {
            o.sign(Signature {
                document: cmd.document,
                signer: cmd.signer.clone(),
                method: cmd.method,
                signed_at: now,
                recorded_by: who.sub.clone(),
            })
        })
        .await
    }

    /// Takes a deposit at reception or a part payment before handover; delivery asks only what
    /// is still due (issue 14).
    pub async fn take_payment(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        cmd: crate::model::work_order::TakePayment,
    ) -> Result<WorkOrder> {
        self.step(who, store, step, (Action::FrontDeskStep, "take_payment"), &cmd, |o, _, now| {
            o.take_payment(&cmd, &who.sub, now)
        })
        .await
    }

    /// Tells the customer the car is ready (WO-3).
    pub async fn notify_customer(&self, who: &Principal, store: &StoreCode, step: Step) -> Result<WorkOrder> {
        let names = (Action::FrontDeskStep, "notify_customer");
        self.step_telling(who, store, step, names, &NoInput {}, Some("car_ready"), |o, _, now| {
            o.notify_customer(&who.sub, now)
        })
        .await
    }
}

fn approval(who: &Principal, cmd: &RecordDecisions, now: DateTime<Utc>) -> Approval {
    Approval {
        estimate_version: cmd.estimate_version,
        method: cmd.method,
        decisions: cmd.decisions.clone(),
        recorded_by: who.sub.clone(),
        recorded_at: now,
        link_id: None,
        client_address: None,
    }
}

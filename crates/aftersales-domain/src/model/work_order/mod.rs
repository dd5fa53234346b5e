//! Work orders (任务委托书): the reception-to-delivery workflow and its rules (WO-1..WO-11).

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Validator;
use crate::model::customer::Vehicle;
use crate::value::uuid_id;
use crate::value::{CustomerId, Plate, StoreCode, VehicleId, Vin};
use crate::{DomainError, Result};

mod approval;
mod claims;
mod comeback;
mod dispatch;
mod handover;
mod history;
mod lines;
mod sanbao;
mod settlement;
#[cfg(test)]
mod tests;

pub use approval::*;
pub use claims::*;
pub use comeback::*;
pub use dispatch::*;
pub use handover::*;
pub use history::*;
pub use lines::*;
pub use sanbao::*;
pub use settlement::*;

uuid_id!(
    /// Identifies a work order.
    WorkOrderId
);
uuid_id!(
    /// Identifies a line of a work order.
    LineId
);

/// Repair category (维修类别, WO-2); it decides the warranty (WO-9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RepairCategory {
    /// 整车修理.
    Overhaul,
    /// 总成修理.
    AssemblyRepair,
    /// 二级维护.
    Level2Maintenance,
    /// 一级维护.
    Level1Maintenance,
    /// 小修.
    MinorRepair,
    /// 专项修理.
    SpecialRepair,
}

/// A warranty period: whichever of the distance or the days runs out first (WO-9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarrantyTerms {
    /// Kilometres from the delivery mileage.
    pub km: u32,
    /// Days from the delivery date.
    pub days: u32,
}

impl RepairCategory {
    /// Returns the warranty terms of 《机动车维修管理规定》 for this category (WO-9).
    pub fn warranty(self) -> WarrantyTerms {
        match self {
            Self::Overhaul | Self::AssemblyRepair => WarrantyTerms { km: 20_000, days: 100 },
            Self::Level2Maintenance => WarrantyTerms { km: 5_000, days: 30 },
            Self::Level1Maintenance | Self::MinorRepair | Self::SpecialRepair => {
                WarrantyTerms { km: 2_000, days: 10 }
            }
        }
    }

    /// Whether the exit inspection must include a road test (IN-2).
    pub fn needs_road_test(self) -> bool {
        matches!(self, Self::Overhaul | Self::AssemblyRepair | Self::Level2Maintenance)
    }

    /// Returns the Chinese name printed on documents.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Overhaul => "整车修理",
            Self::AssemblyRepair => "总成修理",
            Self::Level2Maintenance => "二级维护",
            Self::Level1Maintenance => "一级维护",
            Self::MinorRepair => "小修",
            Self::SpecialRepair => "专项修理",
        }
    }
}

/// Where a warranty ends, fixed at delivery (WO-9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarrantyEnd {
    /// Last store-local day covered.
    pub until_date: NaiveDate,
    /// Last odometer reading covered.
    pub until_km: u32,
}

impl WarrantyEnd {
    /// Computes the end from the delivery day and mileage (WO-9).
    pub fn from_delivery(category: RepairCategory, delivered_on: NaiveDate, delivered_km: u32) -> Self {
        let terms = category.warranty();
        Self {
            until_date: delivered_on
                .checked_add_days(Days::new(u64::from(terms.days)))
                .unwrap_or(delivered_on),
            until_km: delivered_km.saturating_add(terms.km),
        }
    }

    /// Whether a car back on `day` with `km` on the clock is still covered (WO-9: both must hold).
    pub fn covers(&self, day: NaiveDate, km: u32) -> bool {
        day <= self.until_date && km <= self.until_km
    }
}

/// The states of a work order (WO-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WorkOrderStatus {
    /// Received; diagnosis and quote.
    Open,
    /// Quote given, waiting for the customer.
    AwaitingApproval,
    /// Customer signed.
    Approved,
    /// In the workshop.
    InProgress,
    /// All approved lines done, self-check recorded.
    WorkCompleted,
    /// Exit inspection passed, customer notified.
    ReadyForPickup,
    /// Handed back and settled.
    Delivered,
    /// Cancelled before work started.
    Cancelled,
}

impl WorkOrderStatus {
    /// Returns the wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::AwaitingApproval => "awaiting_approval",
            Self::Approved => "approved",
            Self::InProgress => "in_progress",
            Self::WorkCompleted => "work_completed",
            Self::ReadyForPickup => "ready_for_pickup",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
        }
    }
}

/// Fuel gauge at intake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FuelLevel {
    /// Reserve.
    Empty,
    /// A quarter.
    Quarter,
    /// Half.
    Half,
    /// Three quarters.
    ThreeQuarters,
    /// Full.
    Full,
}

/// A move of the state machine, kept for the record (WO-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusEvent {
    /// The step, e.g. `submit_quote`.
    pub action: String,
    /// From.
    pub from: WorkOrderStatus,
    /// To.
    pub to: WorkOrderStatus,
    /// Who.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
    /// A reason or note, where the step has one.
    pub note: Option<String>,
}

/// A work order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkOrder {
    /// Id.
    pub id: WorkOrderId,
    /// Store.
    pub store: StoreCode,
    /// Human number, unique per store, e.g. `SH001-2026-000123`.
    pub number: String,
    /// Customer.
    pub customer_id: CustomerId,
    /// Vehicle.
    pub vehicle_id: VehicleId,
    /// Plate on the vehicle at intake, for the technician's check (WO-4).
    pub plate: Option<Plate>,
    /// VIN at intake.
    pub vin: Vin,
    /// The service advisor (staff id).
    pub advisor: String,
    /// State (WO-3).
    pub status: WorkOrderStatus,
    /// The customer's own account of the fault (WO-1).
    pub fault_description: String,
    /// Odometer at intake.
    pub intake_mileage_km: u32,
    /// Fuel at intake.
    pub fuel_level: Option<FuelLevel>,
    /// Repair category (WO-2).
    pub repair_category: RepairCategory,
    /// When the car is promised back.
    pub promised_at: DateTime<Utc>,
    /// Lines of work and parts.
    pub lines: Vec<WorkOrderLine>,
    /// Current estimate version; 0 before the first quote (WO-11).
    pub estimate_version: u32,
    /// Customer decisions, oldest first (WO-11).
    pub approvals: Vec<Approval>,
    /// Whether an entry inspection was submitted (IN-1).
    pub entry_inspected: bool,
    /// Failed exit inspections so far (IN-2).
    pub rework_count: u32,
    /// Whether the latest exit inspection passed (IN-2).
    pub exit_passed: bool,
    /// Completion certificate number, once issued (IN-2).
    pub certificate_number: Option<String>,
    /// Technician's self-check notes (WO-3).
    pub self_check_notes: Option<String>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// The earlier order this is a comeback of (WO-9).
    pub comeback_of: Option<WorkOrderId>,
    /// When the car was handed back.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Where the warranty ends, fixed at delivery (WO-9).
    pub warranty: Option<WarrantyEnd>,
    /// Walk-around notes, questions and usage advice at pickup (IN-4).
    pub walkaround_notes: Option<String>,
    /// The settlement, frozen at delivery (WO-10).
    pub settlement: Option<Settlement>,
    /// Items left with the store (WO-7).
    #[serde(default)]
    pub accessories: Vec<Accessory>,
    /// Customer signatures (WO-7).
    #[serde(default)]
    pub signatures: Vec<Signature>,
    /// Moves so far (WO-3).
    pub events: Vec<StatusEvent>,
    /// The booking this order was opened from at check-in (AP-4).
    #[serde(default)]
    pub appointment_id: Option<crate::model::appointment::AppointmentId>,
    /// Deposits and part payments taken before handover (issue 14).
    #[serde(default)]
    pub payments: Vec<PaymentRecord>,
    /// The insurer's claim for an accident repair (issue 14).
    #[serde(default)]
    pub insurance_claim: Option<InsuranceClaim>,
    /// The manufacturer's claim for the warranty lines, built at delivery (issue 14).
    #[serde(default)]
    pub warranty_claim: Option<WarrantyClaim>,
    /// Settlements voided (红冲), oldest first; the current one is `settlement` (issue 14).
    #[serde(default)]
    pub voided_settlements: Vec<VoidedSettlement>,
    /// The car's 三包 standing, counted when the order's repairs change (issue 14).
    #[serde(default)]
    pub sanbao: Option<SanbaoStanding>,
    /// An earlier order of the car still under warranty, suggested as the one this comes back
    /// for (issue 14).
    #[serde(default)]
    pub comeback_suggestion: Option<ComebackSuggestion>,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Received.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Filters for listing work orders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkOrderFilter {
    /// Only in these states.
    pub status: Option<WorkOrderStatus>,
    /// Only this advisor's.
    pub advisor: Option<String>,
    /// Only this plate.
    pub plate: Option<String>,
    /// Only this VIN.
    pub vin: Option<String>,
    /// Received at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Received before.
    pub created_to: Option<DateTime<Utc>>,
    /// Only orders past their promised time and not yet handed back, as of this instant.
    pub overdue_at: Option<DateTime<Utc>>,
    /// Only orders with lines waiting for the customer's decision.
    pub awaiting_decision: bool,
    /// Only orders with an insurance or warranty claim still open (issue 14).
    pub open_claims: bool,
    /// Only orders not yet handed back or cancelled with a line dispatched to this technician
    /// (issue 14).
    pub technician: Option<String>,
    /// Only orders whose car's 三包 counts give the owner a right (issue 14).
    pub sanbao_rights: bool,
}

/// What opening a work order takes: the car as received, and the advisor's intake (WO-1, WO-2).
#[derive(Debug, Clone)]
pub struct Opening<'a> {
    /// The car; its owner's file is the order's customer.
    pub vehicle: &'a Vehicle,
    /// The advisor who receives it.
    pub advisor: &'a str,
    /// What the customer reports.
    pub fault_description: String,
    /// The odometer at intake.
    pub intake_mileage_km: u32,
    /// The fuel gauge at intake, if read.
    pub fuel_level: Option<FuelLevel>,
    /// The repair category.
    pub repair_category: RepairCategory,
    /// When the car is promised back.
    pub promised_at: DateTime<Utc>,
    /// The estimate's lines.
    pub lines: Vec<WorkOrderLine>,
    /// The earlier order this one reworks under warranty, if any (WO-9).
    pub comeback_of: Option<WorkOrderId>,
    /// The number, or the slot standing for it until the write takes it.
    pub number: String,
    /// The booking it is opened from, at check-in (AP-4).
    pub appointment_id: Option<crate::model::appointment::AppointmentId>,
    /// When.
    pub now: DateTime<Utc>,
}

impl WorkOrder {
    /// Opens an order for a received car: open, nothing approved, inspected or delivered yet (WO-1).
    pub fn open(opening: Opening<'_>) -> Self {
        let Opening {
            vehicle,
            advisor,
            fault_description,
            intake_mileage_km,
            fuel_level,
            repair_category,
            promised_at,
            lines,
            comeback_of,
            number,
            appointment_id,
            now,
        } = opening;
        WorkOrder {
            id: WorkOrderId::generate(),
            store: vehicle.store.clone(),
            number,
            customer_id: vehicle.customer_id,
            vehicle_id: vehicle.id,
            plate: vehicle.plate.clone(),
            vin: vehicle.vin.clone(),
            advisor: advisor.to_string(),
            status: WorkOrderStatus::Open,
            fault_description,
            intake_mileage_km,
            fuel_level,
            repair_category,
            promised_at,
            lines,
            estimate_version: 0,
            approvals: vec![],
            entry_inspected: false,
            rework_count: 0,
            exit_passed: false,
            certificate_number: None,
            self_check_notes: None,
            cancel_reason: None,
            comeback_of,
            delivered_at: None,
            warranty: None,
            walkaround_notes: None,
            settlement: None,
            accessories: vec![],
            signatures: vec![],
            events: vec![],
            appointment_id,
            payments: vec![],
            insurance_claim: None,
            warranty_claim: None,
            voided_settlements: vec![],
            sanbao: None,
            comeback_suggestion: None,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}

fn refuse(step: &str, status: WorkOrderStatus, why: &str) -> DomainError {
    DomainError::FailedPrecondition {
        code: "work_order.invalid_transition",
        message: format!("cannot {step} a work order that is {}: {why}", status.as_str()),
    }
}

impl WorkOrder {
    /// Returns the money totals (WO-8).
    pub fn totals(&self) -> Totals {
        totals(&self.lines)
    }

    fn require(&self, step: &str, allowed: &[WorkOrderStatus], why: &str) -> Result<()> {
        if allowed.contains(&self.status) { Ok(()) } else { Err(refuse(step, self.status, why)) }
    }

    fn record(
        &mut self,
        action: &str,
        to: WorkOrderStatus,
        actor: &str,
        at: DateTime<Utc>,
        note: Option<String>,
    ) {
        self.events.push(StatusEvent {
            action: action.to_string(),
            from: self.status,
            to,
            actor: actor.to_string(),
            at,
            note,
        });
        self.status = to;
    }

    /// Cancels an order before work starts, with a reason (WO-3).
    pub fn cancel(&mut self, reason: &str, actor: &str, at: DateTime<Utc>) -> Result<()> {
        self.require(
            "cancel",
            &[WorkOrderStatus::Open, WorkOrderStatus::AwaitingApproval, WorkOrderStatus::Approved],
            "work has started",
        )?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(DomainError::invalid("reason", "a cancellation needs a reason"));
        }
        self.cancel_reason = Some(reason.to_string());
        self.record("cancel", WorkOrderStatus::Cancelled, actor, at, Some(reason.to_string()));
        Ok(())
    }

    /// Starts work once the technician confirmed the plate matches the car (WO-4).
    pub fn start(&mut self, confirmed_plate: &str, actor: &str, at: DateTime<Utc>) -> Result<()> {
        self.require("start", &[WorkOrderStatus::Approved], "only an approved order goes into the workshop")?;
        let seen: String = confirmed_plate.chars().filter(|c| !c.is_whitespace() && *c != '·').collect();
        let expected = self.plate.as_ref().map_or_else(|| self.vin.to_string(), Plate::to_string);
        if !seen.eq_ignore_ascii_case(&expected) {
            return Err(DomainError::FailedPrecondition {
                code: "work_order.plate_mismatch",
                message: format!(
                    "the plate confirmed ({seen}) is not the one on the order; check the car before starting (WO-4)"
                ),
            });
        }
        self.record("start", WorkOrderStatus::InProgress, actor, at, None);
        Ok(())
    }

    /// Closes the work with the technician's self-check (WO-3).
    pub fn complete_work(&mut self, self_check: &str, actor: &str, at: DateTime<Utc>) -> Result<()> {
        self.require("complete-work", &[WorkOrderStatus::InProgress], "only work in progress is completed")?;
        if self.lines.iter().any(|l| l.status == LineStatus::Proposed) {
            return Err(refuse(
                "complete-work",
                self.status,
                "proposed lines still wait for the customer's decision",
            ));
        }
        if self.lines.iter().any(|l| l.status == LineStatus::Approved) {
            return Err(refuse("complete-work", self.status, "approved lines are not done yet"));
        }
        let notes = self_check.trim();
        if notes.is_empty() {
            return Err(DomainError::invalid("self_check_notes", "the technician's self-check is required"));
        }
        self.self_check_notes = Some(notes.to_string());
        self.exit_passed = false;
        self.record("complete_work", WorkOrderStatus::WorkCompleted, actor, at, None);
        Ok(())
    }

    /// Applies a submitted exit inspection: pass issues the certificate, fail sends the car back (IN-2).
    pub fn apply_exit_inspection(
        &mut self,
        passed: bool,
        failed_lines: &[LineId],
        certificate: Option<String>,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.require("inspect", &[WorkOrderStatus::WorkCompleted], "only completed work is inspected")?;
        if passed {
            self.exit_passed = true;
            self.certificate_number = certificate;
            let status = self.status;
            self.record("exit_inspection_passed", status, actor, at, None);
        } else {
            for id in failed_lines {
                if let Ok(line) = self.line_mut(*id, "results") {
                    line.status = LineStatus::Approved;
                }
            }
            self.rework_count += 1;
            self.exit_passed = false;
            self.record("exit_inspection_failed", WorkOrderStatus::InProgress, actor, at, None);
        }
        Ok(())
    }

    /// Checks that a new order for the same car may be a comeback of this one (WO-9).
    pub fn accepts_comeback(&self, vehicle: VehicleId, day: NaiveDate, km: u32) -> Result<()> {
        if self.vehicle_id != vehicle {
            return Err(DomainError::invalid("comeback_of", "is an order for another vehicle"));
        }
        let outside = |why: String| DomainError::FailedPrecondition {
            code: "work_order.comeback_outside_warranty",
            message: why,
        };
        match (self.status, self.warranty) {
            (WorkOrderStatus::Delivered, Some(w)) if w.covers(day, km) => Ok(()),
            (WorkOrderStatus::Delivered, Some(w)) => Err(outside(format!(
                "order {} was under warranty until {} or {} km, whichever came first (WO-9)",
                self.number, w.until_date, w.until_km
            ))),
            _ => Err(outside(format!(
                "order {} was never delivered, so it has no warranty (WO-9)",
                self.number
            ))),
        }
    }
}

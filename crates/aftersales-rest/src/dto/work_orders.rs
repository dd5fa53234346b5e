//! Response bodies of work orders and inspections.

use aftersales_domain::model::inspection::{
    Inspection, InspectionKind, InspectionMethod, LineResult, RoadTest, VehicleCondition,
};
use aftersales_domain::model::work_order::{Accessory, Signature};
use aftersales_domain::model::work_order::{
    Approval, ApprovalMethod, FuelLevel, LineDecision, LineKind, LineOrigin, LineStatus, OldPartDisposition,
    Payer, RepairCategory, Totals, Urgency, WorkOrder, WorkOrderLine, WorkOrderStatus,
};
use aftersales_domain::model::work_order::{
    ClockPeriod, ComebackSuggestion, InsuranceClaim, LineSanbao, SanbaoStanding, TechnicianHours,
    VoidedSettlement, WarrantyClaim, hours_by_technician,
};
use aftersales_domain::value::Etag;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::SettlementDto;

/// One line of a work order.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkOrderLineDto {
    /// Id.
    pub id: Uuid,
    /// Labour or part.
    pub kind: LineKind,
    /// Operation or part code.
    pub code: String,
    /// Description or part name.
    pub description: String,
    /// Labour hours (labour lines).
    pub hours: Option<f64>,
    /// Labour rate per hour, fen.
    pub rate_fen: Option<i64>,
    /// Part quantity (part lines).
    pub quantity: Option<f64>,
    /// Part unit price, fen.
    pub unit_price_fen: Option<i64>,
    /// Old-part disposition (WO-6).
    pub old_part: Option<OldPartDisposition>,
    /// Amount, fen (WO-8).
    pub amount_fen: i64,
    /// Initial or additional (WO-5).
    pub origin: LineOrigin,
    /// Proposed, approved, declined or done.
    pub status: LineStatus,
    /// Technician.
    pub technician: Option<String>,
    /// The finding it comes from.
    pub finding: Option<String>,
    /// The estimate version that first showed it (WO-11).
    pub estimate_version: u32,
    /// The customer's reason for declining.
    pub decline_reason: Option<String>,
    /// Red, yellow or green, as the advisor rates it (WO-13).
    pub urgency: Option<Urgency>,
    /// Who pays it (issue 14).
    pub payer: Payer,
    /// The fault code it repairs.
    pub fault_code: Option<String>,
    /// The replaced part's serial (warranty parts).
    pub part_serial: Option<String>,
    /// The bay it is dispatched to.
    pub bay: Option<String>,
    /// Technicians' clock-on periods (issue 14).
    pub clock: Vec<ClockPeriod>,
    /// Hours clocked by everyone, closed periods (issue 14).
    pub actual_hours: f64,
    /// How it bears on the 三包 counts (issue 14).
    pub sanbao: Option<LineSanbao>,
}

impl From<WorkOrderLine> for WorkOrderLineDto {
    fn from(l: WorkOrderLine) -> Self {
        let actual = l.actual_hours_hundredths();
        let WorkOrderLine {
            kind,
            id,
            code,
            description,
            hours_hundredths,
            rate_fen,
            quantity_milli,
            unit_price_fen,
            old_part,
            amount_fen,
            origin,
            status,
            technician,
            finding,
            estimate_version,
            decline_reason,
            urgency,
            payer,
            fault_code,
            part_serial,
            bay,
            clock,
            sanbao,
        } = l;
        let labour = kind == LineKind::Labour;
        Self {
            id: id.0,
            kind,
            code,
            description,
            hours: labour.then(|| f64::from(hours_hundredths) / 100.0),
            rate_fen: labour.then_some(rate_fen),
            quantity: (!labour).then(|| f64::from(quantity_milli) / 1000.0),
            unit_price_fen: (!labour).then_some(unit_price_fen),
            old_part,
            amount_fen,
            origin,
            status,
            technician,
            finding,
            estimate_version,
            decline_reason,
            urgency,
            payer,
            fault_code,
            part_serial,
            bay,
            clock,
            actual_hours: f64::from(actual) / 100.0,
            sanbao,
        }
    }
}

/// A settlement voided by the finance desk (红冲), kept on record (issue 14).
#[derive(Debug, Serialize, ToSchema)]
pub struct VoidedSettlementDto {
    /// The settlement as it was issued.
    pub settlement: SettlementDto,
    /// The reversal document's number.
    pub reversal_number: String,
    /// Why it was voided.
    pub reason: String,
    /// Who voided it.
    pub voided_by: String,
    /// When.
    pub voided_at: DateTime<Utc>,
    /// The settlement issued in its place.
    pub replaced_by: String,
}

impl From<VoidedSettlement> for VoidedSettlementDto {
    fn from(v: VoidedSettlement) -> Self {
        let VoidedSettlement { settlement, reversal_number, reason, voided_by, voided_at, replaced_by } = v;
        Self { settlement: settlement.into(), reversal_number, reason, voided_by, voided_at, replaced_by }
    }
}

/// A recorded customer decision (WO-11).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApprovalDto {
    /// The estimate version the customer saw.
    pub estimate_version: u32,
    /// How.
    pub method: ApprovalMethod,
    /// Each line decided.
    pub decisions: Vec<LineDecision>,
    /// Who recorded it.
    pub recorded_by: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
    /// The approval link it came through (method `signed_link`, WO-13).
    pub link_id: Option<Uuid>,
    /// The address the link was used from.
    pub client_address: Option<String>,
}

impl From<Approval> for ApprovalDto {
    fn from(a: Approval) -> Self {
        let Approval {
            estimate_version,
            method,
            decisions,
            recorded_by,
            recorded_at,
            link_id,
            client_address,
        } = a;
        Self {
            estimate_version,
            method,
            decisions,
            recorded_by,
            recorded_at,
            link_id: link_id.map(|l| l.0),
            client_address,
        }
    }
}

/// A move of the state machine (WO-3).
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusEventDto {
    /// The step.
    pub action: String,
    /// From.
    pub from: WorkOrderStatus,
    /// To.
    pub to: WorkOrderStatus,
    /// Who.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Reason or note.
    pub note: Option<String>,
}

/// A work order.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkOrderDto {
    /// Id.
    pub id: Uuid,
    /// Store code.
    pub store: String,
    /// Number, unique per store (WO-1).
    pub number: String,
    /// Customer.
    pub customer_id: Uuid,
    /// Vehicle.
    pub vehicle_id: Uuid,
    /// Plate at intake.
    pub plate: Option<String>,
    /// VIN.
    pub vin: String,
    /// Service advisor.
    pub advisor: String,
    /// State (WO-3).
    pub status: WorkOrderStatus,
    /// The customer's account of the fault.
    pub fault_description: String,
    /// Odometer at intake.
    pub intake_mileage_km: u32,
    /// Fuel at intake.
    pub fuel_level: Option<FuelLevel>,
    /// Repair category (WO-2).
    pub repair_category: RepairCategory,
    /// Promised back.
    pub promised_at: DateTime<Utc>,
    /// Lines.
    pub lines: Vec<WorkOrderLineDto>,
    /// Totals, fen (WO-8).
    pub totals: Totals,
    /// Current estimate version (WO-11).
    pub estimate_version: u32,
    /// Customer decisions, oldest first.
    pub approvals: Vec<ApprovalDto>,
    /// Entry inspection submitted (IN-1).
    pub entry_inspected: bool,
    /// Failed exit inspections (IN-2).
    pub rework_count: u32,
    /// Latest exit inspection passed.
    pub exit_passed: bool,
    /// Completion certificate number (IN-2).
    pub certificate_number: Option<String>,
    /// Technician's self-check.
    pub self_check_notes: Option<String>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// The order this is a comeback of (WO-9).
    pub comeback_of: Option<Uuid>,
    /// The booking this order was opened from at check-in (AP-4).
    pub appointment_id: Option<Uuid>,
    /// Deposits and part payments taken before handover (issue 14).
    pub payments: Vec<aftersales_domain::model::work_order::PaymentRecord>,
    /// The insurer's claim (issue 14).
    pub insurance_claim: Option<InsuranceClaim>,
    /// The manufacturer's warranty claim, built at delivery (issue 14).
    pub warranty_claim: Option<WarrantyClaim>,
    /// Settlements voided (红冲), oldest first (issue 14).
    pub voided_settlements: Vec<VoidedSettlementDto>,
    /// Each technician's quoted and clocked hours (issue 14).
    pub technician_hours: Vec<TechnicianHours>,
    /// The car's 三包 standing: counts, and the owner's rights (issue 14).
    pub sanbao: Option<SanbaoStanding>,
    /// An earlier order still under warranty this one may be a comeback of, for the advisor to
    /// confirm or dismiss (issue 14).
    pub comeback_suggestion: Option<ComebackSuggestion>,
    /// When it was handed back.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Warranty end date, store-local (WO-9).
    pub warranty_until_date: Option<NaiveDate>,
    /// Warranty end odometer (WO-9).
    pub warranty_until_km: Option<u32>,
    /// Walk-around notes (IN-4).
    pub walkaround_notes: Option<String>,
    /// The settlement, frozen at delivery (WO-10).
    pub settlement: Option<SettlementDto>,
    /// Items left with the store (WO-7).
    pub accessories: Vec<Accessory>,
    /// Customer signatures (WO-7).
    pub signatures: Vec<Signature>,
    /// Every move so far.
    pub status_events: Vec<StatusEventDto>,
    /// Version tag.
    pub etag: String,
    /// Received.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<WorkOrder> for WorkOrderDto {
    fn from(o: WorkOrder) -> Self {
        let totals = o.totals();
        let WorkOrder {
            id,
            store,
            number,
            customer_id,
            vehicle_id,
            plate,
            vin,
            advisor,
            status,
            fault_description,
            intake_mileage_km,
            fuel_level,
            repair_category,
            promised_at,
            lines,
            estimate_version,
            approvals,
            entry_inspected,
            rework_count,
            exit_passed,
            certificate_number,
            self_check_notes,
            cancel_reason,
            comeback_of,
            appointment_id,
            delivered_at,
            warranty,
            walkaround_notes,
            settlement,
            accessories,
            signatures,
            events,
            version,
            created_at,
            updated_at,
            payments,
            insurance_claim,
            warranty_claim,
            voided_settlements,
            sanbao,
            comeback_suggestion,
        } = o;
        let technician_hours = hours_by_technician(&lines);
        Self {
            id: id.0,
            store: store.to_string(),
            number,
            customer_id: customer_id.0,
            vehicle_id: vehicle_id.0,
            plate: plate.map(|p| p.to_string()),
            vin: vin.to_string(),
            advisor,
            status,
            fault_description,
            intake_mileage_km,
            fuel_level,
            repair_category,
            promised_at,
            lines: lines.into_iter().map(Into::into).collect(),
            totals,
            estimate_version,
            approvals: approvals.into_iter().map(Into::into).collect(),
            entry_inspected,
            rework_count,
            exit_passed,
            certificate_number,
            self_check_notes,
            cancel_reason,
            comeback_of: comeback_of.map(|id| id.0),
            appointment_id: appointment_id.map(|id| id.0),
            payments,
            insurance_claim,
            warranty_claim,
            voided_settlements: voided_settlements.into_iter().map(Into::into).collect(),
            technician_hours,
            sanbao,
            comeback_suggestion,
            delivered_at,
            warranty_until_date: warranty.map(|w| w.until_date),
            warranty_until_km: warranty.map(|w| w.until_km),
            walkaround_notes,
            settlement: settlement.map(Into::into),
            accessories,
            signatures,
            status_events: events
                .into_iter()
                .map(|e| StatusEventDto {
                    action: e.action,
                    from: e.from,
                    to: e.to,
                    actor: e.actor,
                    at: e.at,
                    note: e.note,
                })
                .collect(),
            etag: Etag::render(version),
            created_at,
            updated_at,
        }
    }
}

/// A submitted inspection (IN-1..IN-3).
#[derive(Debug, Serialize, ToSchema)]
pub struct InspectionDto {
    /// Id.
    pub id: Uuid,
    /// Work order.
    pub work_order_id: Uuid,
    /// Entry, exit or rework.
    pub kind: InspectionKind,
    /// Who inspected.
    pub inspector: String,
    /// When.
    pub submitted_at: DateTime<Utc>,
    /// Entry: methods used.
    pub methods: Vec<InspectionMethod>,
    /// Entry: findings.
    pub findings: Option<String>,
    /// Entry: the car's condition.
    pub condition: Option<VehicleCondition>,
    /// Entry: confirmed category.
    pub confirmed_category: Option<RepairCategory>,
    /// Exit: one result per worked line.
    pub results: Vec<LineResult>,
    /// Exit: road test.
    pub road_test: Option<RoadTest>,
    /// Exit: passed.
    pub passed: Option<bool>,
    /// Exit: completion certificate number.
    pub certificate_number: Option<String>,
    /// Exit: warranty km on the certificate (WO-9).
    pub warranty_km: Option<u32>,
    /// Exit: warranty days on the certificate (WO-9).
    pub warranty_days: Option<u32>,
}

impl From<Inspection> for InspectionDto {
    fn from(i: Inspection) -> Self {
        let Inspection {
            id,
            work_order_id,
            kind,
            inspector,
            submitted_at,
            methods,
            findings,
            condition,
            confirmed_category,
            results,
            road_test,
            passed,
            certificate_number,
            warranty,
            store: _,
        } = i;
        Self {
            id: id.0,
            work_order_id: work_order_id.0,
            kind,
            inspector,
            submitted_at,
            methods,
            findings,
            condition,
            confirmed_category,
            results,
            road_test,
            passed,
            certificate_number,
            warranty_km: warranty.map(|w| w.km),
            warranty_days: warranty.map(|w| w.days),
        }
    }
}

list_dto!(
    /// A page of work orders.
    WorkOrderList, work_orders, WorkOrderDto
);

/// A work order's inspections, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct InspectionList {
    /// The inspections.
    pub inspections: Vec<InspectionDto>,
    /// The photos and files of the entry inspection (the first 100; all through
    /// `.../attachments?attached_to=entry_inspection`) (WO-14).
    pub entry_attachments: Vec<super::AttachmentDto>,
}

list_dto!(
    /// A page of open insurance and warranty claims (issue 14).
    OpenClaimList, claims, aftersales_domain::app::OpenClaim
);

list_dto!(
    /// A page of a technician's queue (issue 14).
    TechnicianQueue, items, aftersales_domain::app::QueueItem
);

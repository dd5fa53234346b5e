//! Response bodies of work orders, inspections, settlement, e-health uploads and incomplete files.

use aftersales_domain::app::IncompleteFile;
use aftersales_domain::model::ehealth::{EhealthUpload, UploadStatus};
use aftersales_domain::model::inspection::{
    Inspection, InspectionKind, InspectionMethod, LineResult, RoadTest, VehicleCondition,
};
use aftersales_domain::model::work_order::{Accessory, PaymentMethod, Settlement, Signature};
use aftersales_domain::model::work_order::{
    ApprovalMethod, FuelLevel, LineDecision, LineKind, LineOrigin, LineStatus, OldPartDisposition,
    RepairCategory, Totals, WorkOrder, WorkOrderLine, WorkOrderStatus,
};
use aftersales_domain::value::Etag;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

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
}

impl From<WorkOrderLine> for WorkOrderLineDto {
    fn from(l: WorkOrderLine) -> Self {
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
        }
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
        } = o;
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
            approvals: approvals
                .into_iter()
                .map(|a| ApprovalDto {
                    estimate_version: a.estimate_version,
                    method: a.method,
                    decisions: a.decisions,
                    recorded_by: a.recorded_by,
                    recorded_at: a.recorded_at,
                })
                .collect(),
            entry_inspected,
            rework_count,
            exit_passed,
            certificate_number,
            self_check_notes,
            cancel_reason,
            comeback_of: comeback_of.map(|id| id.0),
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
}

/// A labour line as settled.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettledLabourDto {
    /// Operation code.
    pub code: String,
    /// What was done.
    pub description: String,
    /// Hours.
    pub hours: f64,
    /// Rate per hour, fen.
    pub rate_fen: i64,
    /// Amount, fen.
    pub amount_fen: i64,
}

/// A part as settled.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettledPartDto {
    /// Part code.
    pub code: String,
    /// Part name.
    pub name: String,
    /// Quantity.
    pub quantity: f64,
    /// Unit price, fen.
    pub unit_price_fen: i64,
    /// Amount, fen.
    pub amount_fen: i64,
    /// Old-part disposition (WO-6).
    pub old_part: Option<OldPartDisposition>,
}

/// The settlement (结算清单, JT/T 1133), frozen at delivery (WO-10).
#[derive(Debug, Serialize, ToSchema)]
pub struct SettlementDto {
    /// Settlement number.
    pub number: String,
    /// Settled.
    pub settled_at: DateTime<Utc>,
    /// Store code.
    pub store_code: String,
    /// Store name.
    pub store_name: String,
    /// Customer name.
    pub customer_name: String,
    /// Customer phone, masked.
    pub customer_phone: String,
    /// Company.
    pub customer_company: Option<String>,
    /// Plate.
    pub plate: Option<String>,
    /// VIN.
    pub vin: String,
    /// Make and model.
    pub vehicle_model: String,
    /// Repair category.
    pub repair_category: RepairCategory,
    /// When the car came in.
    pub intake_at: DateTime<Utc>,
    /// Odometer at intake.
    pub intake_mileage_km: u32,
    /// Certificate number.
    pub certificate_number: String,
    /// Labour.
    pub labour: Vec<SettledLabourDto>,
    /// Parts.
    pub parts: Vec<SettledPartDto>,
    /// Labour total, fen.
    pub labour_fen: i64,
    /// Parts total, fen.
    pub parts_fen: i64,
    /// Total, fen.
    pub total_fen: i64,
    /// Discount, fen.
    pub discount_fen: i64,
    /// Amount due, fen.
    pub amount_due_fen: i64,
    /// Amount paid, fen.
    pub amount_paid_fen: i64,
    /// Payment method.
    pub payment_method: PaymentMethod,
    /// Warranty end date (WO-9).
    pub warranty_until_date: NaiveDate,
    /// Warranty end odometer (WO-9).
    pub warranty_until_km: u32,
}

impl From<Settlement> for SettlementDto {
    fn from(s: Settlement) -> Self {
        let Settlement {
            number,
            settled_at,
            store_code,
            store_name,
            customer_name,
            customer_phone,
            customer_company,
            plate,
            vin,
            vehicle_model,
            repair_category,
            intake_at,
            intake_mileage_km,
            certificate_number,
            labour,
            parts,
            labour_fen,
            parts_fen,
            total_fen,
            discount_fen,
            amount_due_fen,
            amount_paid_fen,
            payment_method,
            warranty_until_date,
            warranty_until_km,
        } = s;
        Self {
            number,
            settled_at,
            store_code,
            store_name,
            customer_name,
            customer_phone,
            customer_company,
            plate,
            vin,
            vehicle_model,
            repair_category,
            intake_at,
            intake_mileage_km,
            certificate_number,
            labour: labour
                .into_iter()
                .map(|l| SettledLabourDto {
                    code: l.code,
                    description: l.description,
                    hours: f64::from(l.hours_hundredths) / 100.0,
                    rate_fen: l.rate_fen,
                    amount_fen: l.amount_fen,
                })
                .collect(),
            parts: parts
                .into_iter()
                .map(|p| SettledPartDto {
                    code: p.code,
                    name: p.name,
                    quantity: f64::from(p.quantity_milli) / 1000.0,
                    unit_price_fen: p.unit_price_fen,
                    amount_fen: p.amount_fen,
                    old_part: p.old_part,
                })
                .collect(),
            labour_fen,
            parts_fen,
            total_fen,
            discount_fen,
            amount_due_fen,
            amount_paid_fen,
            payment_method,
            warranty_until_date,
            warranty_until_km,
        }
    }
}

/// The 13 JT/T 1132 elements as uploaded (WO-12).
#[derive(Debug, Serialize, ToSchema)]
pub struct EhealthRecordDto {
    /// Repair company.
    pub company: String,
    /// VIN.
    pub vin: String,
    /// Plate.
    pub plate: String,
    /// Intake date.
    pub intake_date: NaiveDate,
    /// Intake mileage, km.
    pub intake_mileage_km: u32,
    /// Settlement date.
    pub settlement_date: NaiveDate,
    /// Settlement number.
    pub settlement_number: String,
    /// Fault description.
    pub fault_description: String,
    /// Repair items.
    pub repair_items: Vec<String>,
    /// Labour hours.
    pub labour_hours: f64,
    /// Part names.
    pub part_names: Vec<String>,
    /// Part codes.
    pub part_codes: Vec<String>,
    /// Part quantities.
    pub part_quantities: Vec<f64>,
}

/// An order's e-health upload and where it stands (WO-12).
#[derive(Debug, Serialize, ToSchema)]
pub struct EhealthUploadDto {
    /// The order.
    pub work_order_id: Uuid,
    /// Province platform.
    pub province: String,
    /// Pending, uploaded or failed.
    pub status: UploadStatus,
    /// Attempts so far.
    pub attempts: u32,
    /// Next attempt, while pending.
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the platform accepted it.
    pub uploaded_at: Option<DateTime<Utc>>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// What is uploaded.
    pub record: EhealthRecordDto,
}

impl From<EhealthUpload> for EhealthUploadDto {
    fn from(u: EhealthUpload) -> Self {
        let EhealthUpload {
            record,
            work_order_id,
            province,
            status,
            attempts,
            next_attempt_at,
            last_error,
            uploaded_at,
            created_at,
            store: _,
        } = u;
        let r = record;
        Self {
            work_order_id: work_order_id.0,
            province,
            status,
            attempts,
            next_attempt_at,
            last_error,
            uploaded_at,
            created_at,
            record: EhealthRecordDto {
                company: r.company,
                vin: r.vin,
                plate: r.plate,
                intake_date: r.intake_date,
                intake_mileage_km: r.intake_mileage_km,
                settlement_date: r.settlement_date,
                settlement_number: r.settlement_number,
                fault_description: r.fault_description,
                repair_items: r.repair_items,
                labour_hours: f64::from(r.labour_hours_hundredths) / 100.0,
                part_names: r.part_names,
                part_codes: r.part_codes,
                part_quantities: r.part_quantities_milli.iter().map(|q| f64::from(*q) / 1000.0).collect(),
            },
        }
    }
}

/// A customer file still incomplete after the days CF-2 allows.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncompleteFileDto {
    /// Customer.
    pub customer_id: Uuid,
    /// Name.
    pub customer_name: String,
    /// The car of the first intake.
    pub vehicle_id: Uuid,
    /// The first intake's work order number.
    pub work_order_number: String,
    /// When the customer first came in.
    pub first_intake_at: DateTime<Utc>,
    /// The store-local day the file was due.
    pub due_on: NaiveDate,
    /// What the file still lacks (CF-1).
    pub missing: Vec<String>,
}

impl From<IncompleteFile> for IncompleteFileDto {
    fn from(f: IncompleteFile) -> Self {
        let IncompleteFile {
            customer_id,
            customer_name,
            vehicle_id,
            work_order_number,
            first_intake_at,
            due_on,
            missing,
        } = f;
        Self {
            customer_id: customer_id.0,
            customer_name,
            vehicle_id: vehicle_id.0,
            work_order_number,
            first_intake_at,
            due_on,
            missing,
        }
    }
}

/// Customer files overdue for completion (CF-2).
#[derive(Debug, Serialize, ToSchema)]
pub struct IncompleteFileList {
    /// Oldest intake first.
    pub files: Vec<IncompleteFileDto>,
}

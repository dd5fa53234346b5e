// Stays whole because every resource's wire types share its conversions and schemas (issue 9).
//! Response bodies, and their conversions from domain entities.

use aftersales_domain::app::{IncompleteFile, StoreFigures, SummaryView};
use aftersales_domain::auth::Role;
use aftersales_domain::model::audit::AuditEvent;
use aftersales_domain::model::customer::{
    ConsentEvent, ConsentMethod, ContactChannel, CustomerView, Vehicle, VehicleType,
};
use aftersales_domain::model::ehealth::{EhealthUpload, UploadStatus};
use aftersales_domain::model::follow_up::{
    Campaign, CampaignKind, Complaint, ComplaintEvent, ComplaintStatus, LeftOut, Letter, LetterChannel,
    LetterKind,
};
use aftersales_domain::model::follow_up::{
    ContactOutcome, ContactRecord, Direction, FollowUpChannel, FollowUpTask, TaskKind, TaskStatus,
};
use aftersales_domain::model::inspection::{
    Inspection, InspectionKind, InspectionMethod, LineResult, RoadTest, VehicleCondition,
};
use aftersales_domain::model::store::{SlaSettings, StaffMember, Store};
use aftersales_domain::model::summary::{FollowUpFigures, Summary};
use aftersales_domain::model::work_order::{Accessory, PaymentMethod, Settlement, Signature};
use aftersales_domain::model::work_order::{
    ApprovalMethod, FuelLevel, LineDecision, LineKind, LineOrigin, LineStatus, OldPartDisposition,
    RepairCategory, Totals, WorkOrder, WorkOrderLine, WorkOrderStatus,
};
use aftersales_domain::paging::Page;
use aftersales_domain::value::Etag;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A call window, store-local.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallWindowDto {
    /// Start, `HH:MM`.
    pub start: String,
    /// End, `HH:MM`.
    pub end: String,
}

/// A store and its settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreDto {
    /// Code, e.g. `SH001`.
    pub code: String,
    /// Name.
    pub name: String,
    /// IANA time zone.
    pub timezone: String,
    /// Call windows (FU-5).
    pub call_hours: Vec<CallWindowDto>,
    /// Day limits.
    pub sla: SlaSettings,
    /// Version tag for `If-Match`.
    pub etag: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Store> for StoreDto {
    fn from(s: Store) -> Self {
        Self {
            code: s.code.to_string(),
            name: s.name,
            timezone: s.timezone.name().to_string(),
            call_hours: s
                .call_hours
                .iter()
                .map(|w| CallWindowDto {
                    start: w.start.format("%H:%M").to_string(),
                    end: w.end.format("%H:%M").to_string(),
                })
                .collect(),
            sla: s.sla,
            etag: Etag::render(s.version),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A staff member.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffDto {
    /// Store code.
    pub store: String,
    /// Staff id (token `sub`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Store roles.
    pub roles: Vec<Role>,
    /// Currently working.
    pub active: bool,
    /// Version tag.
    pub etag: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<StaffMember> for StaffDto {
    fn from(s: StaffMember) -> Self {
        Self {
            store: s.store.to_string(),
            id: s.id,
            name: s.name,
            roles: s.roles,
            active: s.active,
            etag: Etag::render(s.version),
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

/// A customer file.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerDto {
    /// Id.
    pub id: Uuid,
    /// Store code.
    pub store: String,
    /// Full name.
    pub name: String,
    /// Phone; masked (`138****5678`) for roles that do not need it (CF-5).
    pub phone: String,
    /// Whether `phone` is masked.
    pub phone_masked: bool,
    /// Address.
    pub address: Option<String>,
    /// Company, for fleet customers.
    pub company: Option<String>,
    /// Preferred channel.
    pub preferred_channel: Option<ContactChannel>,
    /// Preferred contact time.
    pub preferred_contact_time: Option<String>,
    /// Services the customer wants.
    pub wanted_services: Option<String>,
    /// Consent to marketing contact (CF-5).
    pub marketing_consent: bool,
    /// When consent last changed.
    pub marketing_consent_changed_at: Option<DateTime<Utc>>,
    /// The file this one was merged into, if any (CF-6).
    pub merged_into: Option<Uuid>,
    /// Version tag for `If-Match`.
    pub etag: String,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<CustomerView> for CustomerDto {
    fn from(view: CustomerView) -> Self {
        let c = view.customer;
        Self {
            id: c.id.0,
            store: c.store.to_string(),
            name: c.name,
            phone: c.phone.as_str().to_string(),
            phone_masked: view.phone_masked,
            address: c.address,
            company: c.company,
            preferred_channel: c.preferred_channel,
            preferred_contact_time: c.preferred_contact_time,
            wanted_services: c.wanted_services,
            marketing_consent: c.marketing_consent,
            marketing_consent_changed_at: c.marketing_consent_changed_at,
            merged_into: c.merged_into.map(|id| id.0),
            etag: Etag::render(c.version),
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// A vehicle.
#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleDto {
    /// Id.
    pub id: Uuid,
    /// Store code.
    pub store: String,
    /// Owner's file.
    pub customer_id: Uuid,
    /// VIN.
    pub vin: String,
    /// Plate.
    pub plate: Option<String>,
    /// Make.
    pub make: String,
    /// Model.
    pub model: String,
    /// Kind.
    pub vehicle_type: Option<VehicleType>,
    /// Colour.
    pub color: Option<String>,
    /// First registration.
    pub registration_date: Option<NaiveDate>,
    /// Highest odometer reading.
    pub mileage_km: u32,
    /// Maintenance interval, km.
    pub maintenance_cycle_km: u32,
    /// Maintenance interval, months.
    pub maintenance_cycle_months: u32,
    /// Last maintenance.
    pub last_service_date: Option<NaiveDate>,
    /// Odometer at the last maintenance.
    pub last_service_km: Option<u32>,
    /// Next maintenance due by date (CF-1).
    pub next_maintenance_due_date: Option<NaiveDate>,
    /// Next maintenance due by odometer (CF-1).
    pub next_maintenance_due_km: u32,
    /// Owner since.
    pub owner_since: NaiveDate,
    /// Version tag.
    pub etag: String,
    /// Added.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Vehicle> for VehicleDto {
    fn from(v: Vehicle) -> Self {
        let due = v.next_maintenance();
        Self {
            id: v.id.0,
            store: v.store.to_string(),
            customer_id: v.customer_id.0,
            vin: v.vin.to_string(),
            plate: v.plate.map(|p| p.to_string()),
            make: v.make,
            model: v.model,
            vehicle_type: v.vehicle_type,
            color: v.color,
            registration_date: v.registration_date,
            mileage_km: v.mileage_km,
            maintenance_cycle_km: v.maintenance_cycle_km,
            maintenance_cycle_months: v.maintenance_cycle_months,
            last_service_date: v.last_service_date,
            last_service_km: v.last_service_km,
            next_maintenance_due_date: due.date,
            next_maintenance_due_km: due.km,
            owner_since: v.owner_since,
            etag: Etag::render(v.version),
            created_at: v.created_at,
            updated_at: v.updated_at,
        }
    }
}

/// One change of marketing consent.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentEventDto {
    /// Id.
    pub id: Uuid,
    /// Given or withdrawn.
    pub granted: bool,
    /// How.
    pub method: ConsentMethod,
    /// Who recorded it.
    pub recorded_by: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

impl From<ConsentEvent> for ConsentEventDto {
    fn from(e: ConsentEvent) -> Self {
        Self {
            id: e.id.0,
            granted: e.granted,
            method: e.method,
            recorded_by: e.recorded_by,
            recorded_at: e.recorded_at,
        }
    }
}

/// One audit entry (GEN-1).
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventDto {
    /// Id.
    pub id: Uuid,
    /// Store code.
    pub store: String,
    /// Who.
    pub actor: String,
    /// What, e.g. `customer.update`.
    pub action: String,
    /// Kind of record.
    pub resource_type: String,
    /// Its id.
    pub resource_id: String,
    /// Fields changed.
    pub changed_fields: Vec<String>,
    /// When.
    pub occurred_at: DateTime<Utc>,
}

impl From<AuditEvent> for AuditEventDto {
    fn from(a: AuditEvent) -> Self {
        Self {
            id: a.id.0,
            store: a.store.to_string(),
            actor: a.actor,
            action: a.action,
            resource_type: a.resource_type,
            resource_id: a.resource_id,
            changed_fields: a.changed_fields,
            occurred_at: a.occurred_at,
        }
    }
}

macro_rules! list_dto {
    ($(#[$doc:meta])* $name:ident, $field:ident, $item:ty) => {
        $(#[$doc])*
        #[derive(Debug, Serialize, ToSchema)]
        pub struct $name {
            /// This page's items.
            pub $field: Vec<$item>,
            /// Token for the next page; empty at the end.
            pub next_page_token: String,
        }

        impl<T: Into<$item>> From<Page<T>> for $name {
            fn from(page: Page<T>) -> Self {
                Self {
                    $field: page.items.into_iter().map(Into::into).collect(),
                    next_page_token: page.next_page_token.unwrap_or_default(),
                }
            }
        }
    };
}

list_dto!(
    /// A page of stores.
    StoreList, stores, StoreDto
);
list_dto!(
    /// A page of staff.
    StaffList, staff, StaffDto
);
list_dto!(
    /// A page of customer files.
    CustomerList, customers, CustomerDto
);
list_dto!(
    /// A page of vehicles.
    VehicleList, vehicles, VehicleDto
);
list_dto!(
    /// A page of audit events.
    AuditEventList, audit_events, AuditEventDto
);

/// A customer's consent history, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentEventList {
    /// The changes.
    pub consent_events: Vec<ConsentEventDto>,
}

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
        let labour = l.kind == LineKind::Labour;
        Self {
            id: l.id.0,
            kind: l.kind,
            code: l.code,
            description: l.description,
            hours: labour.then(|| f64::from(l.hours_hundredths) / 100.0),
            rate_fen: labour.then_some(l.rate_fen),
            quantity: (!labour).then(|| f64::from(l.quantity_milli) / 1000.0),
            unit_price_fen: (!labour).then_some(l.unit_price_fen),
            old_part: l.old_part,
            amount_fen: l.amount_fen,
            origin: l.origin,
            status: l.status,
            technician: l.technician,
            finding: l.finding,
            estimate_version: l.estimate_version,
            decline_reason: l.decline_reason,
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
        Self {
            id: o.id.0,
            store: o.store.to_string(),
            number: o.number,
            customer_id: o.customer_id.0,
            vehicle_id: o.vehicle_id.0,
            plate: o.plate,
            vin: o.vin,
            advisor: o.advisor,
            status: o.status,
            fault_description: o.fault_description,
            intake_mileage_km: o.intake_mileage_km,
            fuel_level: o.fuel_level,
            repair_category: o.repair_category,
            promised_at: o.promised_at,
            lines: o.lines.into_iter().map(Into::into).collect(),
            totals,
            estimate_version: o.estimate_version,
            approvals: o
                .approvals
                .into_iter()
                .map(|a| ApprovalDto {
                    estimate_version: a.estimate_version,
                    method: a.method,
                    decisions: a.decisions,
                    recorded_by: a.recorded_by,
                    recorded_at: a.recorded_at,
                })
                .collect(),
            entry_inspected: o.entry_inspected,
            rework_count: o.rework_count,
            exit_passed: o.exit_passed,
            certificate_number: o.certificate_number,
            self_check_notes: o.self_check_notes,
            cancel_reason: o.cancel_reason,
            comeback_of: o.comeback_of.map(|id| id.0),
            delivered_at: o.delivered_at,
            warranty_until_date: o.warranty.map(|w| w.until_date),
            warranty_until_km: o.warranty.map(|w| w.until_km),
            walkaround_notes: o.walkaround_notes,
            settlement: o.settlement.map(Into::into),
            accessories: o.accessories,
            signatures: o.signatures,
            status_events: o
                .events
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
            etag: Etag::render(o.version),
            created_at: o.created_at,
            updated_at: o.updated_at,
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
        Self {
            id: i.id.0,
            work_order_id: i.work_order_id.0,
            kind: i.kind,
            inspector: i.inspector,
            submitted_at: i.submitted_at,
            methods: i.methods,
            findings: i.findings,
            condition: i.condition,
            confirmed_category: i.confirmed_category,
            results: i.results,
            road_test: i.road_test,
            passed: i.passed,
            certificate_number: i.certificate_number,
            warranty_km: i.warranty.map(|w| w.km),
            warranty_days: i.warranty.map(|w| w.days),
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
        Self {
            number: s.number,
            settled_at: s.settled_at,
            store_code: s.store_code,
            store_name: s.store_name,
            customer_name: s.customer_name,
            customer_phone: s.customer_phone,
            customer_company: s.customer_company,
            plate: s.plate,
            vin: s.vin,
            vehicle_model: s.vehicle_model,
            repair_category: s.repair_category,
            intake_at: s.intake_at,
            intake_mileage_km: s.intake_mileage_km,
            certificate_number: s.certificate_number,
            labour: s
                .labour
                .into_iter()
                .map(|l| SettledLabourDto {
                    code: l.code,
                    description: l.description,
                    hours: f64::from(l.hours_hundredths) / 100.0,
                    rate_fen: l.rate_fen,
                    amount_fen: l.amount_fen,
                })
                .collect(),
            parts: s
                .parts
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
            labour_fen: s.labour_fen,
            parts_fen: s.parts_fen,
            total_fen: s.total_fen,
            discount_fen: s.discount_fen,
            amount_due_fen: s.amount_due_fen,
            amount_paid_fen: s.amount_paid_fen,
            payment_method: s.payment_method,
            warranty_until_date: s.warranty_until_date,
            warranty_until_km: s.warranty_until_km,
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
        let r = u.record;
        Self {
            work_order_id: u.work_order_id.0,
            province: u.province,
            status: u.status,
            attempts: u.attempts,
            next_attempt_at: u.next_attempt_at,
            last_error: u.last_error,
            uploaded_at: u.uploaded_at,
            created_at: u.created_at,
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
        Self {
            customer_id: f.customer_id.0,
            customer_name: f.customer_name,
            vehicle_id: f.vehicle_id.0,
            work_order_number: f.work_order_number,
            first_intake_at: f.first_intake_at,
            due_on: f.due_on,
            missing: f.missing,
        }
    }
}

/// Customer files overdue for completion (CF-2).
#[derive(Debug, Serialize, ToSchema)]
pub struct IncompleteFileList {
    /// Oldest intake first.
    pub files: Vec<IncompleteFileDto>,
}

/// A follow-up task (FU-1..FU-3).
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpTaskDto {
    /// Id.
    pub id: Uuid,
    /// Store code.
    pub store: String,
    /// Why it exists.
    pub kind: TaskKind,
    /// The customer to contact.
    pub customer_id: Uuid,
    /// The order it follows.
    pub work_order_id: Option<Uuid>,
    /// The task whose completion created it.
    pub previous_task: Option<Uuid>,
    /// The agent (staff id); never the order's advisor.
    pub assignee: Option<String>,
    /// First store-local day of the window.
    pub due_from: NaiveDate,
    /// Deadline, store-local.
    pub due_to: NaiveDate,
    /// Open, done, unreachable or cancelled.
    pub status: TaskStatus,
    /// Topics already covered, not to repeat (FU-2).
    pub topics_covered: Vec<String>,
    /// What the call is to bring up, such as the declined work (FU-10).
    pub subjects: Vec<String>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Version tag.
    pub etag: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<FollowUpTask> for FollowUpTaskDto {
    fn from(t: FollowUpTask) -> Self {
        Self {
            id: t.id.0,
            store: t.store.to_string(),
            kind: t.kind,
            customer_id: t.customer_id.0,
            work_order_id: t.work_order_id.map(|w| w.0),
            previous_task: t.previous_task.map(|p| p.0),
            assignee: t.assignee,
            due_from: t.due_from,
            due_to: t.due_to,
            status: t.status,
            topics_covered: t.topics_covered,
            subjects: t.subjects,
            closed_at: t.closed_at,
            etag: Etag::render(t.version),
            created_at: t.created_at,
        }
    }
}

/// A task on an agent's worklist (FU-5).
#[derive(Debug, Serialize, ToSchema)]
pub struct WorklistItemDto {
    /// The task.
    pub task: FollowUpTaskDto,
    /// Past its deadline.
    pub overdue: bool,
    /// The next moment inside the store's call hours.
    pub next_call_at: Option<DateTime<Utc>>,
}

/// An agent's worklist for a day, deadline first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Worklist {
    /// The tasks, in the order of the calls.
    pub items: Vec<WorklistItemDto>,
    /// Token for the next page; empty at the end.
    pub next_page_token: String,
}

/// A contact with a customer (FU-4).
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactRecordDto {
    /// Id.
    pub id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// The task it worked on.
    pub task_id: Option<Uuid>,
    /// Channel.
    pub channel: FollowUpChannel,
    /// Direction.
    pub direction: Direction,
    /// Outcome.
    pub outcome: ContactOutcome,
    /// Topics.
    pub topics: Vec<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Satisfaction 1-5.
    pub satisfaction: Option<u8>,
    /// The agent.
    pub agent: String,
    /// When.
    pub contacted_at: DateTime<Utc>,
}

impl From<ContactRecord> for ContactRecordDto {
    fn from(c: ContactRecord) -> Self {
        Self {
            id: c.id.0,
            customer_id: c.customer_id.0,
            task_id: c.task_id.map(|t| t.0),
            channel: c.channel,
            direction: c.direction,
            outcome: c.outcome,
            topics: c.topics,
            notes: c.notes,
            satisfaction: c.satisfaction,
            agent: c.agent,
            contacted_at: c.contacted_at,
        }
    }
}

list_dto!(
    /// A page of follow-up tasks.
    FollowUpTaskList, follow_up_tasks, FollowUpTaskDto
);
list_dto!(
    /// A page of contact records.
    ContactRecordList, contact_records, ContactRecordDto
);

/// A complaint with its whole history (FU-6).
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintDto {
    /// Id.
    pub id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// The contact it was raised in.
    pub contact_id: Option<Uuid>,
    /// The work order it concerns.
    pub work_order_id: Option<Uuid>,
    /// What the customer complains about.
    pub summary: String,
    /// Open, escalated, resolved or closed.
    pub status: ComplaintStatus,
    /// Raised.
    pub opened_at: DateTime<Utc>,
    /// Handed to the supervisor.
    pub escalated_at: Option<DateTime<Utc>>,
    /// When it escalates to the supervisor if still unresolved (FU-6, store-local 2-day rule).
    pub escalates_at: Option<DateTime<Utc>>,
    /// The solution.
    pub solution: Option<String>,
    /// When the solution was found.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the customer was told.
    pub customer_notified_at: Option<DateTime<Utc>>,
    /// Told later than the day of the solution.
    pub notice_breach: bool,
    /// The return visit planned at closing.
    pub return_visit_task: Option<Uuid>,
    /// Every step.
    pub history: Vec<ComplaintEvent>,
    /// Version tag.
    pub etag: String,
}

impl From<Complaint> for ComplaintDto {
    fn from(c: Complaint) -> Self {
        Self {
            id: c.id.0,
            customer_id: c.customer_id.0,
            contact_id: c.contact_id.map(|x| x.0),
            work_order_id: c.work_order_id.map(|x| x.0),
            summary: c.summary,
            status: c.status,
            opened_at: c.opened_at,
            escalated_at: c.escalated_at,
            escalates_at: c.escalates_at,
            solution: c.solution,
            resolved_at: c.resolved_at,
            customer_notified_at: c.customer_notified_at,
            notice_breach: c.notice_breach,
            return_visit_task: c.return_visit_task.map(|t| t.0),
            history: c.history,
            etag: Etag::render(c.version),
        }
    }
}

list_dto!(
    /// A page of complaints.
    ComplaintList, complaints, ComplaintDto
);

/// A submitted summary (FU-9).
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryDto {
    /// Store code.
    pub store: String,
    /// The month or year.
    pub period: String,
    /// Figures as submitted.
    pub figures: FollowUpFigures,
    /// The supervisor's written report.
    pub report: String,
    /// Who submitted it.
    pub submitted_by: String,
    /// When.
    pub submitted_at: DateTime<Utc>,
}

impl From<Summary> for SummaryDto {
    fn from(s: Summary) -> Self {
        Self {
            store: s.store.to_string(),
            period: s.period,
            figures: s.figures,
            report: s.report,
            submitted_by: s.submitted_by,
            submitted_at: s.submitted_at,
        }
    }
}

/// A period's figures: live until submitted, frozen after (FU-9).
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryViewDto {
    /// The period.
    pub period: String,
    /// The figures.
    pub figures: FollowUpFigures,
    /// The archived summary, once submitted.
    pub submitted: Option<SummaryDto>,
}

impl From<SummaryView> for SummaryViewDto {
    fn from(v: SummaryView) -> Self {
        Self { period: v.period, figures: v.figures, submitted: v.submitted.map(Into::into) }
    }
}

/// One store's follow-up figures for headquarters; no personal data (HQ-1).
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreFiguresDto {
    /// Store code.
    pub store: String,
    /// The period.
    pub period: String,
    /// FU-9 figures.
    pub figures: FollowUpFigures,
    /// FU-1 on-time share.
    pub first_follow_up_on_time_rate: Option<f64>,
    /// FU-2 on-time share.
    pub second_follow_up_on_time_rate: Option<f64>,
    /// Campaign calls made in time, share of those due (FU-7).
    pub campaign_call_on_time_rate: Option<f64>,
    /// Campaign letters sent within their 2 days, share of those due (FU-7).
    pub campaign_letter_on_time_rate: Option<f64>,
    /// FU-6: complaints handled without escalation, share.
    pub complaints_within_limit_rate: Option<f64>,
    /// Work orders received.
    pub work_orders: u64,
    /// Comebacks (WO-9).
    pub comebacks: u64,
    /// Comeback share.
    pub comeback_rate: Option<f64>,
}

impl From<StoreFigures> for StoreFiguresDto {
    fn from(f: StoreFigures) -> Self {
        Self {
            store: f.store,
            period: f.period,
            figures: f.figures,
            first_follow_up_on_time_rate: f.first_follow_up_on_time_rate,
            second_follow_up_on_time_rate: f.second_follow_up_on_time_rate,
            campaign_call_on_time_rate: f.campaign_call_on_time_rate,
            campaign_letter_on_time_rate: f.campaign_letter_on_time_rate,
            complaints_within_limit_rate: f.complaints_within_limit_rate,
            work_orders: f.work_orders,
            comebacks: f.comebacks,
            comeback_rate: f.comeback_rate,
        }
    }
}

/// Headquarters' figures, one entry per store.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpAnalytics {
    /// The stores.
    pub stores: Vec<StoreFiguresDto>,
}

/// A campaign (FU-7).
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignDto {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: CampaignKind,
    /// The event's store-local day.
    pub event_date: NaiveDate,
    /// Each call is followed by a letter.
    pub letter_wanted: bool,
    /// Customers invited.
    pub customer_ids: Vec<Uuid>,
    /// Customers asked for but not invited, and why (CF-5: no marketing consent).
    pub left_out: Vec<LeftOut>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<Campaign> for CampaignDto {
    fn from(c: Campaign) -> Self {
        Self {
            id: c.id.0,
            name: c.name,
            kind: c.kind,
            event_date: c.event_date,
            letter_wanted: c.letter_wanted,
            customer_ids: c.customers.into_iter().map(|x| x.0).collect(),
            left_out: c.left_out,
            created_at: c.created_at,
        }
    }
}

/// A registered letter (FU-8).
#[derive(Debug, Serialize, ToSchema)]
pub struct LetterDto {
    /// Id.
    pub id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// Kind.
    pub kind: LetterKind,
    /// Subject.
    pub subject: String,
    /// Channel.
    pub channel: LetterChannel,
    /// The task it fulfilled.
    pub task_id: Option<Uuid>,
    /// Who sent it.
    pub sent_by: String,
    /// When.
    pub sent_at: DateTime<Utc>,
}

impl From<Letter> for LetterDto {
    fn from(l: Letter) -> Self {
        Self {
            id: l.id.0,
            customer_id: l.customer_id.0,
            kind: l.kind,
            subject: l.subject,
            channel: l.channel,
            task_id: l.task_id.map(|t| t.0),
            sent_by: l.sent_by,
            sent_at: l.sent_at,
        }
    }
}

list_dto!(
    /// A page of the letter register.
    LetterList, letters, LetterDto
);

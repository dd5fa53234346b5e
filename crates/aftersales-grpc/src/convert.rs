// Stays whole because it is the one enum and timestamp conversion table of every service (issue 9).
//! Conversions between protobuf messages and domain types.

use aftersales_domain::app::IdempotencyKey;
use aftersales_domain::app::{DocumentKind, StoreFigures, SummaryView};
use aftersales_domain::auth::Role;
use aftersales_domain::model::audit::AuditEvent;
use aftersales_domain::model::customer::{
    ConsentEvent, ConsentMethod, ContactChannel, CustomerView, OdometerSource, Vehicle, VehicleType,
};
use aftersales_domain::model::ehealth::{EhealthUpload, UploadStatus};
use aftersales_domain::model::follow_up::{CampaignKind, LetterChannel, LetterKind};
use aftersales_domain::model::follow_up::{
    ComplaintStatus, ContactOutcome, Direction, FollowUpChannel as FollowUpContactChannel, TaskKind,
    TaskStatus,
};
use aftersales_domain::model::inspection::{Inspection, InspectionKind, InspectionMethod};
use aftersales_domain::model::store::{CallWindowInput, SlaPatch, SlaSettings, StaffMember, Store};
use aftersales_domain::model::summary::{FollowUpFigures, Summary};
use aftersales_domain::model::work_order::{
    ApprovalMethod, FuelLevel, LineKind, LineOrigin, LineStatus, OldPartDisposition, RepairCategory,
    WorkOrder, WorkOrderLine, WorkOrderStatus,
};
use aftersales_domain::model::work_order::{PaymentMethod, Settlement, SignatureMethod, SignedDocument};
use aftersales_domain::paging::PageRequest;
use aftersales_domain::value::{CustomerId, Etag, StoreCode, VehicleId};
use chrono::{DateTime, NaiveDate, Utc};
use prost_types::{FieldMask, Timestamp};
use tonic::Status;

use crate::pb;
use crate::status::{invalid, to_status};

/// Converts an instant to a protobuf timestamp.
pub fn ts(at: DateTime<Utc>) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    })
}

/// Parses the `store` field.
pub fn store_code(raw: &str) -> Result<StoreCode, Status> {
    StoreCode::parse(raw).map_err(|e| invalid("store", e))
}

/// Parses a customer id field.
pub fn customer_id(field: &str, raw: &str) -> Result<CustomerId, Status> {
    CustomerId::parse(field, raw).map_err(to_status)
}

/// Parses a vehicle id field.
pub fn vehicle_id(raw: &str) -> Result<VehicleId, Status> {
    VehicleId::parse("vehicle_id", raw).map_err(to_status)
}

/// Parses `page_size` / `page_token`.
pub fn page(size: i32, token: &str) -> Result<PageRequest, Status> {
    PageRequest::parse(Some(i64::from(size)), Some(token)).map_err(to_status)
}

/// Parses `request_id` as an idempotency key.
pub fn request_id(raw: &str) -> Result<Option<IdempotencyKey>, Status> {
    IdempotencyKey::parse_optional(Some(raw))
        .map_err(|_| invalid("request_id", "must be 1 to 255 visible ASCII characters"))
}

/// Parses an optional `etag` field.
pub fn etag(raw: &str) -> Result<Option<Etag>, Status> {
    if raw.is_empty() { Ok(None) } else { Etag::parse(raw).map(Some).map_err(to_status) }
}

/// Parses an optional `YYYY-MM-DD` field.
pub fn date(field: &str, raw: Option<&str>) -> Result<Option<NaiveDate>, Status> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| invalid(field, "must be a date as YYYY-MM-DD")),
    }
}

/// Returns `Some(value)` for a non-empty string.
pub fn non_empty(raw: &str) -> Option<String> {
    if raw.is_empty() { None } else { Some(raw.to_string()) }
}

/// An update mask: names the fields to change; an empty mask means every populated field (AIP-134).
pub struct Mask(Vec<String>);

impl Mask {
    /// Checks the mask's paths against those the message allows.
    pub fn new(mask: Option<FieldMask>, allowed: &[&str]) -> Result<Self, Status> {
        let paths = mask.map(|m| m.paths).unwrap_or_default();
        for path in &paths {
            let root = path.split('.').next().unwrap_or_default();
            if !allowed.contains(&path.as_str()) && !allowed.contains(&root) {
                return Err(invalid("update_mask", format!("'{path}' is not a field that can be updated")));
            }
        }
        Ok(Self(paths))
    }

    /// Whether `path` is to be changed; `populated` says whether the message carries a value.
    pub fn has(&self, path: &str, populated: bool) -> bool {
        if self.0.is_empty() { populated } else { self.0.iter().any(|p| p == path) }
    }

    /// Whether the mask names `path` itself or one of its sub-fields.
    pub fn touches(&self, path: &str, populated: bool) -> bool {
        if self.0.is_empty() {
            populated
        } else {
            self.0.iter().any(|p| p == path || p.strip_prefix(path).is_some_and(|rest| rest.starts_with('.')))
        }
    }

    /// Whether `path.sub` (or the whole `path`) is named.
    pub fn sub(&self, path: &str, sub: &str, populated: bool) -> bool {
        if self.0.is_empty() {
            populated
        } else {
            self.0.iter().any(|p| p == path || *p == format!("{path}.{sub}"))
        }
    }
}

macro_rules! enum_map {
    ($domain:ident, $proto:ident, $field:literal, [$($variant:ident),+ $(,)?]) => {
        impl From<$domain> for pb::$proto {
            fn from(value: $domain) -> Self {
                match value {
                    $($domain::$variant => pb::$proto::$variant,)+
                }
            }
        }

        impl EnumField for $domain {
            fn from_proto(raw: i32) -> Result<Option<Self>, Status> {
                match pb::$proto::try_from(raw) {
                    Ok(pb::$proto::Unspecified) => Ok(None),
                    $(Ok(pb::$proto::$variant) => Ok(Some($domain::$variant)),)+
                    Err(_) => Err(invalid($field, format!("{raw} is not a known value"))),
                }
            }
        }
    };
}

/// A domain enum carried as an `i32` protobuf enum field.
pub trait EnumField: Sized {
    /// Converts; `UNSPECIFIED` is `None`, an unknown number is INVALID_ARGUMENT.
    fn from_proto(raw: i32) -> Result<Option<Self>, Status>;
}

enum_map!(
    Role,
    Role,
    "roles",
    [Advisor, Technician, Inspector, FollowupAgent, Supervisor, HqAnalyst, Integration, Admin]
);
enum_map!(ContactChannel, ContactChannel, "preferred_channel", [Phone, Sms, Wechat, Email, Letter]);
enum_map!(ConsentMethod, ConsentMethod, "consent_method", [InPerson, Phone, Written, Online, Sms]);
enum_map!(
    VehicleType,
    VehicleType,
    "vehicle_type",
    [Sedan, Hatchback, Wagon, Suv, Mpv, Pickup, Van, Truck, Bus, Other]
);
enum_map!(OdometerSource, OdometerSource, "source", [Store, Customer, Telematics]);
enum_map!(
    WorkOrderStatus,
    WorkOrderStatus,
    "status",
    [Open, AwaitingApproval, Approved, InProgress, WorkCompleted, ReadyForPickup, Delivered, Cancelled]
);
enum_map!(
    RepairCategory,
    RepairCategory,
    "repair_category",
    [Overhaul, AssemblyRepair, Level2Maintenance, Level1Maintenance, MinorRepair, SpecialRepair]
);
enum_map!(FuelLevel, FuelLevel, "fuel_level", [Empty, Quarter, Half, ThreeQuarters, Full]);
enum_map!(LineKind, LineKind, "kind", [Labour, Part]);
enum_map!(LineOrigin, LineOrigin, "origin", [Initial, Additional]);
enum_map!(LineStatus, LineStatus, "status", [Proposed, Approved, Declined, Done]);
enum_map!(
    OldPartDisposition,
    OldPartDisposition,
    "old_part",
    [ReturnedToStores, GivenToCustomer, Recycled, NotApplicable]
);
enum_map!(ApprovalMethod, ApprovalMethod, "method", [InPerson, Phone, SignedLink]);
enum_map!(
    PaymentMethod,
    PaymentMethod,
    "payment_method",
    [Cash, BankCard, WechatPay, Alipay, BankTransfer, Insurance, Waived]
);
enum_map!(SignedDocument, SignedDocument, "document", [WorkOrder, AccessoryList, Settlement]);
enum_map!(SignatureMethod, SignatureMethod, "method", [SignaturePad, Paper, SignedLink]);
enum_map!(DocumentKind, DocumentKind, "kind", [WorkOrder, AccessoryList, Certificate, Settlement]);
enum_map!(
    TaskKind,
    TaskKind,
    "kind",
    [
        FirstFollowUp,
        SecondFollowUp,
        ReturnVisit,
        CampaignCall,
        CampaignLetter,
        MaintenanceReminder,
        DeclinedReminder,
        Lapsing
    ]
);
enum_map!(ComplaintStatus, ComplaintStatus, "status", [Open, Escalated, Resolved, Closed]);
enum_map!(CampaignKind, CampaignKind, "kind", [SocialEvent, Discount, FreeService]);
enum_map!(LetterKind, LetterKind, "kind", [Notice, Invitation, Reply]);
enum_map!(LetterChannel, LetterChannel, "channel", [Post, Email, Wechat, Sms]);
enum_map!(TaskStatus, TaskStatus, "status", [Open, Done, Unreachable, Cancelled]);
enum_map!(FollowUpContactChannel, FollowUpChannel, "channel", [Phone, Sms, Wechat, Letter, InPerson]);
enum_map!(Direction, Direction, "direction", [Outbound, Inbound]);
enum_map!(ContactOutcome, ContactOutcome, "outcome", [Reached, NoAnswer, WrongNumber, Refused]);
enum_map!(InspectionKind, InspectionKind, "kind", [Entry, Exit, Rework]);
enum_map!(InspectionMethod, InspectionMethod, "methods", [Inquiry, Visual, Instrument, RoadTest]);

/// Converts an optional domain enum to its protobuf number (0 for none).
pub fn enum_num<T: Into<P>, P: Into<i32>>(value: Option<T>) -> i32 {
    value.map(|v| v.into().into()).unwrap_or(0)
}

/// Converts call windows to their input form.
pub fn call_windows(windows: &[pb::CallWindow]) -> Vec<CallWindowInput> {
    windows.iter().map(|w| CallWindowInput { start: w.start.clone(), end: w.end.clone() }).collect()
}

/// Converts SLA settings where zero means "keep".
pub fn sla_patch(sla: &pb::SlaSettings, mask: Option<(&Mask, &str)>) -> SlaPatch {
    let pick = |name: &str, v: u32| match mask {
        Some((m, root)) => m.sub(root, name, v != 0).then_some(v),
        None => (v != 0).then_some(v),
    };
    SlaPatch {
        file_open_days: pick("file_open_days", sla.file_open_days),
        first_follow_up_from_day: pick("first_follow_up_from_day", sla.first_follow_up_from_day),
        first_follow_up_to_day: pick("first_follow_up_to_day", sla.first_follow_up_to_day),
        second_follow_up_from_day: pick("second_follow_up_from_day", sla.second_follow_up_from_day),
        second_follow_up_to_day: pick("second_follow_up_to_day", sla.second_follow_up_to_day),
        unreachable_after_days: pick("unreachable_after_days", sla.unreachable_after_days),
        complaint_escalation_days: pick("complaint_escalation_days", sla.complaint_escalation_days),
        event_call_lead_days: pick("event_call_lead_days", sla.event_call_lead_days),
        event_letter_days: pick("event_letter_days", sla.event_letter_days),
    }
}

fn sla(s: &SlaSettings) -> pb::SlaSettings {
    pb::SlaSettings {
        file_open_days: s.file_open_days,
        first_follow_up_from_day: s.first_follow_up_from_day,
        first_follow_up_to_day: s.first_follow_up_to_day,
        second_follow_up_from_day: s.second_follow_up_from_day,
        second_follow_up_to_day: s.second_follow_up_to_day,
        unreachable_after_days: s.unreachable_after_days,
        complaint_escalation_days: s.complaint_escalation_days,
        event_call_lead_days: s.event_call_lead_days,
        event_letter_days: s.event_letter_days,
    }
}

impl From<Store> for pb::Store {
    fn from(s: Store) -> Self {
        Self {
            code: s.code.to_string(),
            name: s.name,
            timezone: s.timezone.name().to_string(),
            call_hours: s
                .call_hours
                .iter()
                .map(|w| pb::CallWindow {
                    start: w.start.format("%H:%M").to_string(),
                    end: w.end.format("%H:%M").to_string(),
                })
                .collect(),
            sla: Some(sla(&s.sla)),
            etag: Etag::render(s.version),
            created_at: ts(s.created_at),
            updated_at: ts(s.updated_at),
        }
    }
}

impl From<StaffMember> for pb::StaffMember {
    fn from(s: StaffMember) -> Self {
        Self {
            store: s.store.to_string(),
            id: s.id,
            name: s.name,
            roles: s.roles.into_iter().map(|r| pb::Role::from(r).into()).collect(),
            active: s.active,
            etag: Etag::render(s.version),
            created_at: ts(s.created_at),
            updated_at: ts(s.updated_at),
        }
    }
}

impl From<CustomerView> for pb::Customer {
    fn from(view: CustomerView) -> Self {
        let c = view.customer;
        Self {
            id: c.id.to_string(),
            store: c.store.to_string(),
            name: c.name,
            phone: c.phone.as_str().to_string(),
            phone_masked: view.phone_masked,
            address: c.address,
            company: c.company,
            preferred_channel: enum_num::<_, pb::ContactChannel>(c.preferred_channel),
            preferred_contact_time: c.preferred_contact_time,
            wanted_services: c.wanted_services,
            marketing_consent: c.marketing_consent,
            marketing_consent_changed_at: c.marketing_consent_changed_at.and_then(ts),
            merged_into: c.merged_into.map(|id| id.to_string()),
            etag: Etag::render(c.version),
            created_at: ts(c.created_at),
            updated_at: ts(c.updated_at),
        }
    }
}

impl From<Vehicle> for pb::Vehicle {
    fn from(v: Vehicle) -> Self {
        let due = v.next_maintenance();
        Self {
            id: v.id.to_string(),
            store: v.store.to_string(),
            customer_id: v.customer_id.to_string(),
            vin: v.vin.to_string(),
            plate: v.plate.map(|p| p.to_string()),
            make: v.make,
            model: v.model,
            vehicle_type: enum_num::<_, pb::VehicleType>(v.vehicle_type),
            color: v.color,
            registration_date: v.registration_date.map(|d| d.to_string()),
            mileage_km: v.mileage_km,
            maintenance_cycle_km: v.maintenance_cycle_km,
            maintenance_cycle_months: v.maintenance_cycle_months,
            last_service_date: v.last_service_date.map(|d| d.to_string()),
            last_service_km: v.last_service_km,
            next_maintenance_due_date: due.date.map(|d| d.to_string()),
            next_maintenance_due_km: due.km,
            owner_since: v.owner_since.to_string(),
            etag: Etag::render(v.version),
            created_at: ts(v.created_at),
            updated_at: ts(v.updated_at),
        }
    }
}

impl From<ConsentEvent> for pb::ConsentEvent {
    fn from(e: ConsentEvent) -> Self {
        Self {
            id: e.id.to_string(),
            granted: e.granted,
            method: pb::ConsentMethod::from(e.method).into(),
            recorded_by: e.recorded_by,
            recorded_at: ts(e.recorded_at),
        }
    }
}

impl From<AuditEvent> for pb::AuditEvent {
    fn from(a: AuditEvent) -> Self {
        Self {
            id: a.id.to_string(),
            store: a.store.to_string(),
            actor: a.actor,
            action: a.action,
            resource_type: a.resource_type,
            resource_id: a.resource_id,
            changed_fields: a.changed_fields,
            occurred_at: ts(a.occurred_at),
        }
    }
}

impl From<WorkOrderLine> for pb::WorkOrderLine {
    fn from(l: WorkOrderLine) -> Self {
        let labour = l.kind == LineKind::Labour;
        Self {
            id: l.id.to_string(),
            kind: pb::LineKind::from(l.kind).into(),
            code: l.code,
            description: l.description,
            hours: labour.then(|| f64::from(l.hours_hundredths) / 100.0),
            rate_fen: labour.then_some(l.rate_fen),
            quantity: (!labour).then(|| f64::from(l.quantity_milli) / 1000.0),
            unit_price_fen: (!labour).then_some(l.unit_price_fen),
            old_part: enum_num::<_, pb::OldPartDisposition>(l.old_part),
            amount_fen: l.amount_fen,
            origin: pb::LineOrigin::from(l.origin).into(),
            status: pb::LineStatus::from(l.status).into(),
            technician: l.technician,
            finding: l.finding,
            estimate_version: l.estimate_version,
            decline_reason: l.decline_reason,
        }
    }
}

impl From<WorkOrder> for pb::WorkOrder {
    fn from(o: WorkOrder) -> Self {
        let t = o.totals();
        Self {
            id: o.id.to_string(),
            store: o.store.to_string(),
            number: o.number,
            customer_id: o.customer_id.to_string(),
            vehicle_id: o.vehicle_id.to_string(),
            plate: o.plate,
            vin: o.vin,
            advisor: o.advisor,
            status: pb::WorkOrderStatus::from(o.status).into(),
            fault_description: o.fault_description,
            intake_mileage_km: o.intake_mileage_km,
            fuel_level: enum_num::<_, pb::FuelLevel>(o.fuel_level),
            repair_category: pb::RepairCategory::from(o.repair_category).into(),
            promised_at: ts(o.promised_at),
            lines: o.lines.into_iter().map(Into::into).collect(),
            totals: Some(pb::Totals {
                labour_fen: t.labour_fen,
                parts_fen: t.parts_fen,
                total_fen: t.total_fen,
                pending_fen: t.pending_fen,
            }),
            estimate_version: o.estimate_version,
            approvals: o
                .approvals
                .into_iter()
                .map(|a| pb::Approval {
                    estimate_version: a.estimate_version,
                    method: pb::ApprovalMethod::from(a.method).into(),
                    decisions: a
                        .decisions
                        .into_iter()
                        .map(|d| pb::LineDecision {
                            line_id: d.line_id.to_string(),
                            approved: d.approved,
                            reason: d.reason,
                        })
                        .collect(),
                    recorded_by: a.recorded_by,
                    recorded_at: ts(a.recorded_at),
                })
                .collect(),
            entry_inspected: o.entry_inspected,
            rework_count: o.rework_count,
            exit_passed: o.exit_passed,
            certificate_number: o.certificate_number,
            self_check_notes: o.self_check_notes,
            cancel_reason: o.cancel_reason,
            comeback_of: o.comeback_of.map(|id| id.to_string()),
            delivered_at: o.delivered_at.and_then(ts),
            warranty_until_date: o.warranty.map(|w| w.until_date.to_string()),
            warranty_until_km: o.warranty.map(|w| w.until_km),
            walkaround_notes: o.walkaround_notes,
            status_events: o
                .events
                .into_iter()
                .map(|e| pb::StatusEvent {
                    action: e.action,
                    from: pb::WorkOrderStatus::from(e.from).into(),
                    to: pb::WorkOrderStatus::from(e.to).into(),
                    actor: e.actor,
                    at: ts(e.at),
                    note: e.note,
                })
                .collect(),
            etag: Etag::render(o.version),
            created_at: ts(o.created_at),
            updated_at: ts(o.updated_at),
            settlement: o.settlement.map(Into::into),
            accessories: o
                .accessories
                .into_iter()
                .map(|a| pb::Accessory {
                    name: a.name,
                    quantity: a.quantity,
                    stored_at: a.stored_at,
                    returned_at: a.returned_at.and_then(ts),
                })
                .collect(),
            signatures: o
                .signatures
                .into_iter()
                .map(|g| pb::Signature {
                    document: pb::SignedDocument::from(g.document).into(),
                    signer: g.signer,
                    method: pb::SignatureMethod::from(g.method).into(),
                    signed_at: ts(g.signed_at),
                    recorded_by: g.recorded_by,
                })
                .collect(),
        }
    }
}

impl From<Settlement> for pb::Settlement {
    fn from(s: Settlement) -> Self {
        Self {
            number: s.number,
            settled_at: ts(s.settled_at),
            store_code: s.store_code,
            store_name: s.store_name,
            customer_name: s.customer_name,
            customer_phone: s.customer_phone,
            customer_company: s.customer_company,
            plate: s.plate,
            vin: s.vin,
            vehicle_model: s.vehicle_model,
            repair_category: pb::RepairCategory::from(s.repair_category).into(),
            intake_at: ts(s.intake_at),
            intake_mileage_km: s.intake_mileage_km,
            certificate_number: s.certificate_number,
            labour: s
                .labour
                .into_iter()
                .map(|l| pb::SettledLabour {
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
                .map(|p| pb::SettledPart {
                    code: p.code,
                    name: p.name,
                    quantity: f64::from(p.quantity_milli) / 1000.0,
                    unit_price_fen: p.unit_price_fen,
                    amount_fen: p.amount_fen,
                    old_part: enum_num::<_, pb::OldPartDisposition>(p.old_part),
                })
                .collect(),
            labour_fen: s.labour_fen,
            parts_fen: s.parts_fen,
            total_fen: s.total_fen,
            discount_fen: s.discount_fen,
            amount_due_fen: s.amount_due_fen,
            amount_paid_fen: s.amount_paid_fen,
            payment_method: pb::PaymentMethod::from(s.payment_method).into(),
            warranty_until_date: s.warranty_until_date.to_string(),
            warranty_until_km: s.warranty_until_km,
        }
    }
}

impl From<Inspection> for pb::Inspection {
    fn from(i: Inspection) -> Self {
        Self {
            id: i.id.to_string(),
            work_order_id: i.work_order_id.to_string(),
            kind: pb::InspectionKind::from(i.kind).into(),
            inspector: i.inspector,
            submitted_at: ts(i.submitted_at),
            methods: i.methods.into_iter().map(|m| pb::InspectionMethod::from(m).into()).collect(),
            findings: i.findings,
            condition: i.condition.map(|c| pb::VehicleCondition {
                exterior_marks: c.exterior_marks,
                fuel_level: enum_num::<_, pb::FuelLevel>(c.fuel_level),
                valuables: c.valuables,
            }),
            confirmed_category: enum_num::<_, pb::RepairCategory>(i.confirmed_category),
            results: i
                .results
                .into_iter()
                .map(|r| pb::LineResult { line_id: r.line_id.to_string(), passed: r.passed, notes: r.notes })
                .collect(),
            road_test: i.road_test.map(|t| pb::RoadTest { passed: t.passed, notes: t.notes }),
            passed: i.passed,
            certificate_number: i.certificate_number,
            warranty_km: i.warranty.map(|w| w.km),
            warranty_days: i.warranty.map(|w| w.days),
        }
    }
}

impl From<EhealthUpload> for pb::EhealthUpload {
    fn from(u: EhealthUpload) -> Self {
        let r = u.record;
        Self {
            work_order_id: u.work_order_id.to_string(),
            province: u.province,
            status: match u.status {
                UploadStatus::Pending => pb::UploadStatus::Pending,
                UploadStatus::Uploaded => pb::UploadStatus::Uploaded,
                UploadStatus::Failed => pb::UploadStatus::Failed,
            }
            .into(),
            attempts: u.attempts,
            next_attempt_at: ts(u.next_attempt_at),
            last_error: u.last_error,
            uploaded_at: u.uploaded_at.and_then(ts),
            created_at: ts(u.created_at),
            record: Some(pb::EhealthRecord {
                company: r.company,
                vin: r.vin,
                plate: r.plate,
                intake_date: r.intake_date.to_string(),
                intake_mileage_km: r.intake_mileage_km,
                settlement_date: r.settlement_date.to_string(),
                settlement_number: r.settlement_number,
                fault_description: r.fault_description,
                repair_items: r.repair_items,
                labour_hours: f64::from(r.labour_hours_hundredths) / 100.0,
                part_names: r.part_names,
                part_codes: r.part_codes,
                part_quantities: r.part_quantities_milli.iter().map(|q| f64::from(*q) / 1000.0).collect(),
            }),
        }
    }
}

impl From<FollowUpFigures> for pb::FollowUpFigures {
    fn from(f: FollowUpFigures) -> Self {
        Self {
            tasks_due: f.tasks_due,
            done_on_time: f.done_on_time,
            done_late: f.done_late,
            unreachable: f.unreachable,
            still_open: f.still_open,
            first_follow_ups_due: f.first_follow_ups_due,
            first_follow_ups_on_time: f.first_follow_ups_on_time,
            second_follow_ups_due: f.second_follow_ups_due,
            second_follow_ups_on_time: f.second_follow_ups_on_time,
            complaints_opened: f.complaints_opened,
            complaints_resolved: f.complaints_resolved,
            complaints_escalated: f.complaints_escalated,
            complaint_notice_breaches: f.complaint_notice_breaches,
            median_hours_to_resolution: f.median_hours_to_resolution,
            satisfaction_answers: f.satisfaction_answers,
            satisfaction_mean: f.satisfaction_mean,
            satisfaction_distribution: f.satisfaction_distribution.to_vec(),
            letters: f.letters,
            campaign_calls_due: f.campaign_calls_due,
            campaign_calls_on_time: f.campaign_calls_on_time,
            campaign_letters_due: f.campaign_letters_due,
            campaign_letters_on_time: f.campaign_letters_on_time,
        }
    }
}

impl From<Summary> for pb::Summary {
    fn from(s: Summary) -> Self {
        Self {
            store: s.store.to_string(),
            period: s.period,
            figures: Some(s.figures.into()),
            report: s.report,
            submitted_by: s.submitted_by,
            submitted_at: ts(s.submitted_at),
        }
    }
}

impl From<SummaryView> for pb::SummaryView {
    fn from(v: SummaryView) -> Self {
        Self { period: v.period, figures: Some(v.figures.into()), submitted: v.submitted.map(Into::into) }
    }
}

impl From<StoreFigures> for pb::StoreFigures {
    fn from(f: StoreFigures) -> Self {
        Self {
            store: f.store,
            period: f.period,
            figures: Some(f.figures.into()),
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

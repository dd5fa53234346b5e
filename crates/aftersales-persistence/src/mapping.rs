//! Conversions between domain entities and rows.

use aftersales_domain::model::audit::AuditEvent;
use aftersales_domain::model::customer::{ConsentEvent, Customer, OdometerReading, Vehicle};
use aftersales_domain::model::store::{StaffMember, Store, parse_timezone};
use aftersales_domain::model::work_order::WorkOrderStatus;
use aftersales_domain::ports::IdempotencyRecord;
use aftersales_domain::value::{CustomerId, Phone, Plate, RecordId, StoreCode, VehicleId, Vin};
use aftersales_domain::{DomainError, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

use aftersales_domain::model::ehealth::EhealthUpload;
use aftersales_domain::model::follow_up::{Campaign, Complaint, ContactRecord, FollowUpTask, Letter};
use aftersales_domain::model::inspection::Inspection;
use aftersales_domain::model::summary::Summary;
use aftersales_domain::model::work_order::{LineStatus, WorkOrder, WorkOrderId};

use crate::entities::{
    audit, consent, contact, customer, ehealth_upload, idempotency, inspection, odometer, staff, store, task,
    vehicle, work_order,
};

fn corrupt(what: &str, detail: impl std::fmt::Display) -> DomainError {
    DomainError::Internal(format!("stored {what} does not decode: {detail}"))
}

/// Encodes a value as the JSON text kept in a text column.
pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| DomainError::Internal(e.to_string()))
}

/// Decodes the JSON text of a column; `what` names the record in the error.
pub(crate) fn from_json<T: DeserializeOwned>(what: &str, raw: &str) -> Result<T> {
    serde_json::from_str(raw).map_err(|e| corrupt(what, e))
}

/// Encodes a unit enum as its snake_case wire name.
pub(crate) fn enum_str<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn parse_enum<T: DeserializeOwned>(what: &str, raw: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(raw.to_string())).map_err(|e| corrupt(what, e))
}

fn code(raw: &str) -> Result<StoreCode> {
    StoreCode::parse(raw).map_err(|e| corrupt("store code", e))
}

fn km(value: i64) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

pub(crate) fn store_row(s: &Store) -> Result<store::Model> {
    Ok(store::Model {
        code: s.code.to_string(),
        name: s.name.clone(),
        timezone: s.timezone.name().to_string(),
        call_hours: to_json(&s.call_hours)?,
        sla: to_json(&s.sla)?,
        workshop: to_json(&s.workshop)?,
        version: s.version,
        created_at: s.created_at,
        updated_at: s.updated_at,
    })
}

/// A stored store's time zone, without reading the rest of its settings.
pub(crate) fn store_zone(m: &store::Model) -> Result<chrono_tz::Tz> {
    parse_timezone(&m.timezone).map_err(|e| corrupt("time zone", e))
}

pub(crate) fn store_from(m: store::Model) -> Result<Store> {
    let timezone = store_zone(&m)?;
    Ok(Store {
        code: code(&m.code)?,
        name: m.name,
        timezone,
        call_hours: from_json("call hours", &m.call_hours)?,
        sla: from_json("sla", &m.sla)?,
        workshop: from_json("workshop settings", &m.workshop)?,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

pub(crate) fn staff_row(s: &StaffMember) -> Result<staff::Model> {
    Ok(staff::Model {
        store: s.store.to_string(),
        id: s.id.clone(),
        name: s.name.clone(),
        roles: to_json(&s.roles)?,
        active: s.active,
        version: s.version,
        created_at: s.created_at,
        updated_at: s.updated_at,
    })
}

pub(crate) fn staff_from(m: staff::Model) -> Result<StaffMember> {
    Ok(StaffMember {
        store: code(&m.store)?,
        id: m.id,
        name: m.name,
        roles: from_json("roles", &m.roles)?,
        active: m.active,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

pub(crate) fn customer_row(c: &Customer) -> customer::Model {
    customer::Model {
        id: c.id.0,
        store: c.store.to_string(),
        name: c.name.clone(),
        phone: c.phone.as_str().to_string(),
        address: c.address.clone(),
        company: c.company.clone(),
        preferred_channel: c.preferred_channel.as_ref().map(enum_str),
        preferred_contact_time: c.preferred_contact_time.clone(),
        wanted_services: c.wanted_services.clone(),
        marketing_consent: c.marketing_consent,
        marketing_consent_changed_at: c.marketing_consent_changed_at,
        merged_into: c.merged_into.map(|id| id.0),
        credit_account: c.credit_account,
        version: c.version,
        created_at: c.created_at,
        updated_at: c.updated_at,
    }
}

pub(crate) fn customer_from(m: customer::Model) -> Result<Customer> {
    Ok(Customer {
        id: CustomerId(m.id),
        store: code(&m.store)?,
        name: m.name,
        phone: Phone::parse(&m.phone).map_err(|e| corrupt("phone", e))?,
        address: m.address,
        company: m.company,
        preferred_channel: m.preferred_channel.map(|c| parse_enum("channel", &c)).transpose()?,
        preferred_contact_time: m.preferred_contact_time,
        wanted_services: m.wanted_services,
        marketing_consent: m.marketing_consent,
        marketing_consent_changed_at: m.marketing_consent_changed_at,
        merged_into: m.merged_into.map(CustomerId),
        credit_account: m.credit_account,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

pub(crate) fn vehicle_row(v: &Vehicle) -> vehicle::Model {
    vehicle::Model {
        id: v.id.0,
        store: v.store.to_string(),
        customer_id: v.customer_id.0,
        vin: v.vin.as_str().to_string(),
        plate: v.plate.as_ref().map(|p| p.as_str().to_string()),
        make: v.make.clone(),
        model: v.model.clone(),
        vehicle_type: v.vehicle_type.as_ref().map(enum_str),
        color: v.color.clone(),
        registration_date: v.registration_date,
        purchase_date: v.purchase_date,
        mileage_km: i64::from(v.mileage_km),
        maintenance_cycle_km: i64::from(v.maintenance_cycle_km),
        maintenance_cycle_months: i32::try_from(v.maintenance_cycle_months).unwrap_or(i32::MAX),
        last_service_date: v.last_service_date,
        last_service_km: v.last_service_km.map(i64::from),
        owner_since: v.owner_since,
        version: v.version,
        created_at: v.created_at,
        updated_at: v.updated_at,
    }
}

pub(crate) fn vehicle_from(m: vehicle::Model) -> Result<Vehicle> {
    Ok(Vehicle {
        id: VehicleId(m.id),
        store: code(&m.store)?,
        customer_id: CustomerId(m.customer_id),
        vin: Vin::parse(&m.vin).map_err(|e| corrupt("vin", e))?,
        plate: m.plate.map(|p| Plate::parse(&p).map_err(|e| corrupt("plate", e))).transpose()?,
        make: m.make,
        model: m.model,
        vehicle_type: m.vehicle_type.map(|t| parse_enum("vehicle type", &t)).transpose()?,
        color: m.color,
        registration_date: m.registration_date,
        purchase_date: m.purchase_date,
        mileage_km: km(m.mileage_km),
        maintenance_cycle_km: km(m.maintenance_cycle_km),
        maintenance_cycle_months: u32::try_from(m.maintenance_cycle_months).unwrap_or(0),
        last_service_date: m.last_service_date,
        last_service_km: m.last_service_km.map(km),
        owner_since: m.owner_since,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

pub(crate) fn odometer_row(r: &OdometerReading) -> odometer::Model {
    odometer::Model {
        id: r.id.0,
        store: r.store.to_string(),
        vehicle_id: r.vehicle_id.0,
        mileage_km: i64::from(r.mileage_km),
        source: enum_str(&r.source),
        correction: r.correction,
        note: r.note.clone(),
        recorded_by: r.recorded_by.clone(),
        recorded_at: r.recorded_at,
    }
}

pub(crate) fn consent_row(c: &ConsentEvent) -> consent::Model {
    consent::Model {
        id: c.id.0,
        store: c.store.to_string(),
        customer_id: c.customer_id.0,
        granted: c.granted,
        method: enum_str(&c.method),
        recorded_by: c.recorded_by.clone(),
        recorded_at: c.recorded_at,
    }
}

pub(crate) fn consent_from(m: consent::Model) -> Result<ConsentEvent> {
    Ok(ConsentEvent {
        id: RecordId(m.id),
        store: code(&m.store)?,
        customer_id: CustomerId(m.customer_id),
        granted: m.granted,
        method: parse_enum("consent method", &m.method)?,
        recorded_by: m.recorded_by,
        recorded_at: m.recorded_at,
    })
}

pub(crate) fn audit_row(a: &AuditEvent) -> Result<audit::Model> {
    Ok(audit::Model {
        id: a.id.0,
        store: a.store.to_string(),
        actor: a.actor.clone(),
        action: a.action.clone(),
        resource_type: a.resource_type.clone(),
        resource_id: a.resource_id.clone(),
        changed_fields: to_json(&a.changed_fields)?,
        occurred_at: a.occurred_at,
    })
}

pub(crate) fn audit_from(m: audit::Model) -> Result<AuditEvent> {
    Ok(AuditEvent {
        id: RecordId(m.id),
        store: code(&m.store)?,
        actor: m.actor,
        action: m.action,
        resource_type: m.resource_type,
        resource_id: m.resource_id,
        changed_fields: from_json("changed fields", &m.changed_fields)?,
        occurred_at: m.occurred_at,
    })
}

pub(crate) fn idempotency_row(r: &IdempotencyRecord) -> Result<idempotency::Model> {
    Ok(idempotency::Model {
        store: r.store.to_string(),
        principal: r.principal.clone(),
        key: r.key.clone(),
        fingerprint: r.fingerprint.clone(),
        response: to_json(&r.response)?,
        created_at: r.created_at,
    })
}

pub(crate) fn idempotency_from(m: idempotency::Model) -> Result<IdempotencyRecord> {
    Ok(IdempotencyRecord {
        store: code(&m.store)?,
        principal: m.principal,
        key: m.key,
        fingerprint: m.fingerprint,
        response: from_json("idempotent response", &m.response)?,
        created_at: m.created_at,
    })
}

pub(crate) fn work_order_row(o: &WorkOrder) -> Result<work_order::Model> {
    let pending = o.lines.iter().filter(|l| l.status == LineStatus::Proposed).count();
    Ok(work_order::Model {
        id: o.id.0,
        store: o.store.to_string(),
        number: o.number.clone(),
        customer_id: o.customer_id.0,
        vehicle_id: o.vehicle_id.0,
        plate: o.plate.as_ref().map(ToString::to_string),
        vin: o.vin.to_string(),
        advisor: o.advisor.clone(),
        status: o.status.as_str().to_string(),
        promised_at: o.promised_at,
        pending_lines: i32::try_from(pending).unwrap_or(i32::MAX),
        open_claims: o.insurance_claim.as_ref().is_some_and(|c| c.is_open())
            || o.warranty_claim.as_ref().is_some_and(|c| c.is_open()),
        technicians: technicians_column(o),
        sanbao_rights: o.sanbao.as_ref().is_some_and(|s| s.has_rights()),
        document: to_json(o)?,
        version: o.version,
        created_at: o.created_at,
        updated_at: o.updated_at,
    })
}

/// The technicians an open order's lines are dispatched to, each between spaces (` T01 T02 `),
/// so a filter matches a whole id; empty once the order is handed back or cancelled.
fn technicians_column(o: &WorkOrder) -> String {
    if matches!(o.status, WorkOrderStatus::Delivered | WorkOrderStatus::Cancelled) {
        return String::new();
    }
    let ids: std::collections::BTreeSet<&str> =
        o.lines.iter().filter_map(|l| l.technician.as_deref()).collect();
    if ids.is_empty() {
        return String::new();
    }
    format!(" {} ", ids.into_iter().collect::<Vec<_>>().join(" "))
}

pub(crate) fn work_order_from(m: work_order::Model) -> Result<WorkOrder> {
    from_json("work order", &m.document)
}

pub(crate) fn inspection_row(i: &Inspection) -> Result<inspection::Model> {
    Ok(inspection::Model {
        id: i.id.0,
        store: i.store.to_string(),
        work_order_id: i.work_order_id.0,
        kind: enum_str(&i.kind),
        inspector: i.inspector.clone(),
        submitted_at: i.submitted_at,
        document: to_json(i)?,
    })
}

pub(crate) fn inspection_from(m: inspection::Model) -> Result<Inspection> {
    from_json("inspection", &m.document)
}

pub(crate) fn ehealth_row(u: &EhealthUpload) -> Result<ehealth_upload::Model> {
    Ok(ehealth_upload::Model {
        work_order_id: u.work_order_id.0,
        store: u.store.to_string(),
        province: u.province.clone(),
        record: to_json(&u.record)?,
        status: u.status.as_str().to_string(),
        attempts: i32::try_from(u.attempts).unwrap_or(i32::MAX),
        next_attempt_at: u.next_attempt_at,
        lease_until: None,
        lease_owner: None,
        last_error: u.last_error.clone(),
        uploaded_at: u.uploaded_at,
        created_at: u.created_at,
    })
}

pub(crate) fn ehealth_from(m: ehealth_upload::Model) -> Result<EhealthUpload> {
    Ok(EhealthUpload {
        work_order_id: WorkOrderId(m.work_order_id),
        store: code(&m.store)?,
        province: m.province,
        record: from_json("e-health record", &m.record)?,
        status: parse_enum("upload status", &m.status)?,
        attempts: u32::try_from(m.attempts).unwrap_or(0),
        next_attempt_at: m.next_attempt_at,
        last_error: m.last_error,
        uploaded_at: m.uploaded_at,
        created_at: m.created_at,
    })
}

pub(crate) fn task_row(t: &FollowUpTask) -> Result<task::Model> {
    Ok(task::Model {
        id: t.id.0,
        store: t.store.to_string(),
        kind: enum_str(&t.kind),
        customer_id: t.customer_id.0,
        work_order_id: t.work_order_id.map(|w| w.0),
        assignee: t.assignee.clone(),
        status: t.status.as_str().to_string(),
        due_from: t.due_from,
        due_to: t.due_to,
        document: to_json(t)?,
        version: t.version,
        created_at: t.created_at,
        updated_at: t.updated_at,
    })
}

pub(crate) fn task_from(m: task::Model) -> Result<FollowUpTask> {
    from_json("follow-up task", &m.document)
}

pub(crate) fn contact_row(c: &ContactRecord) -> Result<contact::Model> {
    Ok(contact::Model {
        id: c.id.0,
        store: c.store.to_string(),
        customer_id: c.customer_id.0,
        task_id: c.task_id.map(|t| t.0),
        agent: c.agent.clone(),
        contacted_at: c.contacted_at,
        document: to_json(c)?,
    })
}

pub(crate) fn contact_from(m: contact::Model) -> Result<ContactRecord> {
    from_json("contact record", &m.document)
}

pub(crate) fn complaint_row(c: &Complaint) -> Result<crate::entities::complaint::Model> {
    Ok(crate::entities::complaint::Model {
        id: c.id.0,
        store: c.store.to_string(),
        customer_id: c.customer_id.0,
        status: c.status.as_str().to_string(),
        opened_at: c.opened_at,
        escalates_at: c.escalates_at,
        document: to_json(c)?,
        version: c.version,
        updated_at: Some(c.changed_at()),
    })
}

pub(crate) fn complaint_from(m: crate::entities::complaint::Model) -> Result<Complaint> {
    let mut complaint: Complaint = from_json("complaint", &m.document)?;
    // Complaints opened before the instant was kept have it from the migration's backfill.
    complaint.escalates_at = complaint.escalates_at.or(m.escalates_at);
    Ok(complaint)
}

pub(crate) fn campaign_from(m: crate::entities::campaign::Model) -> Result<Campaign> {
    from_json("campaign", &m.document)
}

pub(crate) fn letter_from(m: crate::entities::letter::Model) -> Result<Letter> {
    from_json("letter", &m.document)
}

pub(crate) fn summary_from(m: crate::entities::summary::Model) -> Result<Summary> {
    from_json("summary", &m.document)
}

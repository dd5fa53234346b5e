//! Events for integrations (EV-1): what a consumer may act on, derived from every change set in the
//! write path, with a catalogue of every type and its data fields. No event carries personal data
//! (a name, phone, address, plate or VIN): consumers read those through the API with their own
//! token (PIPL minimisation).

mod derive;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::value::StoreCode;

pub use derive::{
    appointment_changed, derive_ops, ehealth_status_changed, message_status_changed, subscription_disabled,
};

/// One change a consumer may act on, as every channel carries it (the feed, the gRPC stream and
/// webhook deliveries).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Event {
    /// Id (UUIDv7); also the webhook `webhook-id`, so receivers can deduplicate.
    #[cfg_attr(feature = "openapi", schema(value_type = String, format = Uuid))]
    pub id: uuid::Uuid,
    /// Type from the catalogue, e.g. `work_order.ready_for_pickup`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Store.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub store: StoreCode,
    /// Per store, strictly increasing, no gaps visible to a reader; 0 until stored.
    pub sequence: i64,
    /// The record that changed.
    pub resource: EventResource,
    /// When the change was made.
    pub occurred_at: DateTime<Utc>,
    /// Who made it: a staff id, a client's subject, or `system` for the jobs.
    pub actor: String,
    /// What a consumer needs to decide (status, human numbers, dates, amounts in fen); the fields
    /// of each type are in the catalogue.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub data: serde_json::Value,
}

/// The record an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EventResource {
    /// Kind of record, e.g. `work_order`.
    #[serde(rename = "type")]
    pub resource_type: String,
    /// Its id.
    pub id: String,
    /// Its etag after the change; absent for records that are never changed (contact records,
    /// letters, inspections).
    pub etag: Option<String>,
}

/// One entry of the catalogue: a type, what it means and the fields of its `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventKind {
    /// The type, e.g. `work_order.delivered`.
    pub name: &'static str,
    /// When it is emitted.
    pub about: &'static str,
    /// The fields of its `data`.
    pub fields: &'static [&'static str],
}

const ORDER: &[&str] = &["number", "status", "previous_status"];

/// Every event type, with its data fields: the README and the OpenAPI `webhooks` section list it.
pub const CATALOGUE: &[EventKind] = &[
    kind("customer.created", "A customer file was opened.", &["marketing_consent"]),
    kind(
        "customer.updated",
        "A customer file changed; the names of the changed fields.",
        &["changed_fields"],
    ),
    kind(
        "customer.consent_changed",
        "Marketing consent was given or withdrawn (CF-5).",
        &["marketing_consent"],
    ),
    kind("customer.merged", "A duplicate file was merged into another (CF-6).", &["merged_into"]),
    kind("vehicle.added", "A vehicle was added to a customer file.", &["customer_id"]),
    kind(
        "vehicle.updated",
        "A vehicle changed; the names of the changed fields.",
        &["customer_id", "changed_fields"],
    ),
    kind(
        "vehicle.odometer_recorded",
        "An odometer reading was recorded.",
        &["mileage_km", "source", "correction"],
    ),
    kind(
        "work_order.created",
        "A work order was opened (WO-1).",
        &["number", "status", "customer_id", "vehicle_id", "repair_category", "promised_at"],
    ),
    kind("work_order.awaiting_approval", "The quote was given to the customer (WO-3).", ORDER),
    kind("work_order.approved", "The customer approved the work (WO-3).", ORDER),
    kind("work_order.in_progress", "Work started (WO-3).", ORDER),
    kind("work_order.work_completed", "The technician finished (WO-3).", ORDER),
    kind("work_order.ready_for_pickup", "The car passed its exit inspection and can be collected.", ORDER),
    kind(
        "work_order.delivered",
        "The car was handed back (WO-3).",
        &["number", "status", "previous_status", "delivered_at", "settlement_number", "amount_due_fen"],
    ),
    kind("work_order.cancelled", "The work order was cancelled.", ORDER),
    kind(
        "work_order.lines_proposed",
        "A new estimate version awaits the customer's decision (WO-11).",
        &["number", "estimate_version", "pending_fen"],
    ),
    kind(
        "work_order.approval_recorded",
        "The customer's decision on an estimate version was recorded (WO-11).",
        &["number", "estimate_version", "approved_lines", "declined_lines", "total_fen"],
    ),
    kind(
        "work_order.settlement_frozen",
        "The settlement was frozen at delivery (WO-10).",
        &[
            "number",
            "settlement_number",
            "labour_fen",
            "parts_fen",
            "total_fen",
            "discount_fen",
            "amount_due_fen",
            "amount_paid_fen",
            "payment_method",
        ],
    ),
    kind(
        "work_order.settlement_voided",
        "A delivered order's settlement was voided (红冲) and a new one issued (issue 14).",
        &["number", "voided_settlement_number", "reversal_number", "settlement_number", "amount_due_fen"],
    ),
    kind(
        "work_order.sanbao_right",
        "The car's repairs gave its owner a new 三包 right: a substitute car, or a replacement or refund (issue 14).",
        &["number", "vehicle_id", "rights"],
    ),
    kind(
        "work_order.claim_changed",
        "An insurance or manufacturer warranty claim was opened or moved (issue 14).",
        &["number", "claim", "claim_status", "previous_claim_status"],
    ),
    kind("work_order.updated", "Another part of a work order changed.", &["number", "changed_fields"]),
    kind("appointment.held", "A start time is held while the customer confirms (AP-3).", APPOINTMENT),
    kind("appointment.booked", "An appointment was booked, or its hold confirmed (AP-3).", APPOINTMENT),
    kind("appointment.rescheduled", "A booking moved to another start time (AP-4).", APPOINTMENT),
    kind(
        "appointment.cancelled",
        "A booking was cancelled by the customer or the store (AP-4).",
        APPOINTMENT,
    ),
    kind("appointment.checked_in", "The booked car arrived (AP-4).", APPOINTMENT),
    kind(
        "appointment.reminder_due",
        "Tomorrow's visit: the app or SMS channel reminds the customer (AP-5).",
        APPOINTMENT,
    ),
    kind("appointment.no_show", "The booked car did not come by the grace time (AP-4).", APPOINTMENT),
    kind(
        "work_order.ehealth_status_changed",
        "The e-health upload was queued, made or given up (WO-12).",
        &["ehealth_status", "attempts"],
    ),
    kind(
        "inspection.entry_recorded",
        "The entry inspection was submitted (IN-1).",
        &["work_order_id", "kind"],
    ),
    kind("inspection.exit_passed", "An exit inspection passed (IN-2).", &["work_order_id", "kind"]),
    kind(
        "inspection.exit_failed",
        "An exit inspection failed; the car goes back to work (IN-2).",
        &["work_order_id", "kind"],
    ),
    kind(
        "inspection.certificate_issued",
        "The completion certificate was issued (IN-2).",
        &["work_order_id", "certificate_number"],
    ),
    kind("inspection.deleted", "An inspection past its retention period was deleted (IN-3).", &[]),
    kind(
        "follow_up_task.created",
        "A follow-up task was planned (FU-1..FU-7).",
        &["kind", "customer_id", "work_order_id", "campaign_id", "assignee", "due_from", "due_to"],
    ),
    kind("follow_up_task.assigned", "A task was given to an agent.", &["assignee", "previous_assignee"]),
    kind("follow_up_task.done", "A task was done.", &["kind", "customer_id"]),
    kind(
        "follow_up_task.closed_unreachable",
        "A task was closed: the customer could not be reached (FU-5).",
        &["kind", "customer_id"],
    ),
    kind("follow_up_task.cancelled", "A task was cancelled.", &["kind", "customer_id"]),
    kind(
        "contact_record.created",
        "A contact with a customer was recorded.",
        &["customer_id", "task_id", "channel", "direction", "outcome", "satisfaction"],
    ),
    kind(
        "complaint.opened",
        "A complaint was opened (FU-6).",
        &["customer_id", "work_order_id", "status", "escalates_at"],
    ),
    kind("complaint.escalated", "A complaint was escalated (FU-6).", &["status"]),
    kind("complaint.resolved", "A complaint was resolved (FU-6).", &["status"]),
    kind(
        "complaint.customer_notified",
        "The customer was told the solution (FU-6).",
        &["status", "notice_breach"],
    ),
    kind("complaint.closed", "A complaint was closed (FU-6).", &["status"]),
    kind("campaign.created", "A campaign was created (FU-7).", &["kind", "event_date", "customers"]),
    kind(
        "letter.registered",
        "A letter or SMS was registered (FU-8).",
        &["customer_id", "kind", "channel", "task_id"],
    ),
    kind(
        "message.queued",
        "A business step queued a message to a customer (issue 13); it goes out in call hours.",
        &["customer_id", "purpose", "channel", "kind", "planned_at", "source_type", "source_id"],
    ),
    kind(
        "message.status_changed",
        "A message was sent, delivered, failed or suppressed (issue 13).",
        &["customer_id", "purpose", "channel", "status", "suppressed_reason", "attempts"],
    ),
    kind("summary.submitted", "A monthly or yearly summary was archived (FU-9).", &["period"]),
    kind(
        "webhook_subscription.disabled",
        "A subscription was disabled: its endpoint answered 410 or failed for five days (EV-3).",
        &["reason"],
    ),
];

/// What every appointment event says: no customer, no phone, no plate.
const APPOINTMENT: &[&str] =
    &["status", "start", "bay", "minutes", "service_types", "channel", "cancelled_by"];

const fn kind(name: &'static str, about: &'static str, fields: &'static [&'static str]) -> EventKind {
    EventKind { name, about, fields }
}

/// The catalogue entry of a type, if it is one.
pub fn kind_of(name: &str) -> Option<&'static EventKind> {
    CATALOGUE.iter().find(|k| k.name == name)
}

/// Checks a list of event types a client sent (a feed filter, a subscription), naming `field`.
pub fn check_types(field: &str, types: &[String]) -> crate::Result<()> {
    match types.iter().find(|t| kind_of(t).is_none()) {
        Some(t) => Err(crate::DomainError::invalid(field, format!("`{t}` is not an event type"))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests;

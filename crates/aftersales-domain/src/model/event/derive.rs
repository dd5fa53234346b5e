//! Events are the difference a change set makes (EV-1): each op is read with the state it replaces,
//! so no service has to remember to announce what it did, and nothing is announced that the
//! transaction does not write.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::{Value, json};

use super::{Event, EventResource};
use crate::model::appointment::{Appointment, AppointmentStatus};
use crate::model::audit::AuditEvent;
use crate::model::ehealth::EhealthUpload;
use crate::model::follow_up::{ComplaintStatus, TaskStatus};
use crate::model::inspection::InspectionKind;
use crate::model::message::OutboundMessage;
use crate::model::webhook::Subscription;
use crate::model::work_order::{WorkOrder, WorkOrderStatus};
use crate::ports::Op;
use crate::value::{Etag, StoreCode, VehicleId};

/// Fields that change on every write and say nothing a consumer acts on.
const BOOKKEEPING: &[&str] = &["version", "updated_at"];

/// The events of a change set's ops, in their order, with the actor and time of its audit
/// entries; the write path derives them from the ops as written, numbers filled in.
pub fn derive_ops(ops: &[Op], audit: &[AuditEvent]) -> Vec<Event> {
    let first = audit.first();
    let actor = first.map_or("system", |a| a.actor.as_str());
    let read = ops
        .iter()
        .filter_map(|op| if let Op::InsertOdometer(r) = op { Some(r.vehicle_id) } else { None })
        .collect();
    let mut out = Out { actor, at: first.map(|a| a.occurred_at), events: Vec::new(), read };
    for op in ops {
        out.op(op);
    }
    out.events
}

/// The event of an e-health upload's new status (WO-12); the upload job writes it with the status.
pub fn ehealth_status_changed(upload: &EhealthUpload, at: DateTime<Utc>) -> Event {
    let mut out = Out { actor: "system", at: Some(at), events: Vec::new(), read: Vec::new() };
    out.ehealth(upload, at);
    out.events.remove(0)
}

/// The event of a message that reached a final state, or was sent (issue 13); no text, no
/// parameters: those may name the customer.
pub fn message_status_changed(m: &OutboundMessage, at: DateTime<Utc>) -> Event {
    let mut out = Out { actor: "system", at: Some(at), events: Vec::new(), read: Vec::new() };
    let data = json!({
        "customer_id": m.customer_id,
        "purpose": m.purpose,
        "channel": m.channel,
        "status": m.status,
        "suppressed_reason": m.suppressed,
        "attempts": m.attempts,
    });
    out.push("message.status_changed", &m.store, ("message", m.id.to_string(), None), at, data);
    out.events.remove(0)
}

/// The event of a subscription the service disabled (EV-3): `gone` after a 410, `failing` after
/// five days without a success.
pub fn subscription_disabled(subscription: &Subscription, reason: &str, at: DateTime<Utc>) -> Event {
    let mut out = Out { actor: "system", at: Some(at), events: Vec::new(), read: Vec::new() };
    let resource = ("webhook_subscription", subscription.id.to_string(), Some(subscription.version + 1));
    out.push("webhook_subscription.disabled", &subscription.store, resource, at, json!({ "reason": reason }));
    out.events.remove(0)
}

/// The event of an appointment's step (AP-3, AP-4), written in the same transaction; `before`
/// is the appointment as it was (none for a new one).
pub fn appointment_changed(
    store: &StoreCode,
    before: Option<&Appointment>,
    after: &Appointment,
    actor: &str,
    at: DateTime<Utc>,
) -> Event {
    use AppointmentStatus as S;
    let reminded = before.is_some_and(|b| b.reminded_at.is_none()) && after.reminded_at.is_some();
    let event_type = match (before.map(|b| b.status), after.status) {
        _ if reminded => "appointment.reminder_due",
        (Some(S::Booked), S::Booked) => "appointment.rescheduled",
        (_, S::Booked) => "appointment.booked",
        (_, S::Held) => "appointment.held",
        (_, S::CheckedIn) => "appointment.checked_in",
        (_, S::Cancelled) => "appointment.cancelled",
        (_, S::NoShow) => "appointment.no_show",
    };
    let data = json!({
        "status": after.status.as_str(),
        "start": after.start,
        "bay": after.bay.as_str(),
        "minutes": after.minutes,
        "service_types": after.services,
        "channel": after.channel,
        "cancelled_by": after.cancelled_by,
    });
    let mut out = Out { actor, at: Some(at), events: Vec::new(), read: Vec::new() };
    out.push(event_type, store, ("appointment", after.id.to_string(), Some(after.version)), at, data);
    out.events.remove(0)
}

struct Out<'a> {
    actor: &'a str,
    at: Option<DateTime<Utc>>,
    events: Vec<Event>,
    /// Vehicles whose reading the same ops record: `vehicle.odometer_recorded` announces their
    /// new mileage, so `vehicle.updated` does not say it again.
    read: Vec<VehicleId>,
}

impl Out<'_> {
    fn push(
        &mut self,
        event_type: &str,
        store: &StoreCode,
        resource: (&str, String, Option<i64>),
        fallback: DateTime<Utc>,
        data: Value,
    ) {
        let (resource_type, id, version) = resource;
        self.events.push(Event {
            id: uuid::Uuid::now_v7(),
            event_type: event_type.to_string(),
            store: store.clone(),
            sequence: 0,
            resource: EventResource {
                resource_type: resource_type.to_string(),
                id,
                etag: version.map(Etag::render),
            },
            occurred_at: self.at.unwrap_or(fallback),
            actor: self.actor.to_string(),
            data,
        });
    }

    fn op(&mut self, op: &Op) {
        match op {
            Op::PlaceAppointment { store, appointment, before, at, .. } => {
                let event = appointment_changed(store, before.as_deref(), appointment, self.actor, *at);
                self.events.push(event);
            }
            Op::UpdateAppointment { store, appointment, before } => {
                let at = self.at.or(appointment.history.last().map(|c| c.at)).unwrap_or(appointment.start);
                self.events.push(appointment_changed(store, Some(before), appointment, self.actor, at));
            }
            Op::InsertStore(_)
            | Op::UpdateStore { .. }
            | Op::InsertStaff(_)
            | Op::UpdateStaff { .. }
            | Op::InsertConsent(_)
            | Op::MoveCustomerRecords { .. }
            | Op::PutApprovalLink { .. }
            | Op::InsertAttachment(_)
            | Op::InsertTemplate(_)
            | Op::GrantConsents(_)
            | Op::PutImport { .. }
            | Op::InsertImportProblems { .. } => {}
            Op::InsertMessage(m) => {
                let data = json!({
                    "customer_id": m.customer_id,
                    "purpose": m.purpose,
                    "channel": m.channel,
                    "kind": m.template,
                    "planned_at": m.planned_at,
                    "source_type": m.source.as_ref().map(|s| s.kind.clone()),
                    "source_id": m.source.as_ref().map(|s| s.id.clone()),
                });
                self.push(
                    "message.queued",
                    &m.store,
                    ("message", m.id.to_string(), None),
                    m.created_at,
                    data,
                );
            }
            Op::InsertCustomer(c) => {
                let data = json!({ "marketing_consent": c.marketing_consent });
                self.push(
                    "customer.created",
                    &c.store,
                    ("customer", c.id.to_string(), Some(c.version)),
                    c.updated_at,
                    data,
                );
            }
            Op::UpdateCustomer { customer: c, before } => {
                let res = || ("customer", c.id.to_string(), Some(c.version));
                if c.merged_into.is_some() && before.merged_into.is_none() {
                    let data = json!({ "merged_into": c.merged_into });
                    return self.push("customer.merged", &c.store, res(), c.updated_at, data);
                }
                if c.marketing_consent != before.marketing_consent {
                    let data = json!({ "marketing_consent": c.marketing_consent });
                    self.push("customer.consent_changed", &c.store, res(), c.updated_at, data);
                }
                let consent = ["marketing_consent", "marketing_consent_changed_at"];
                let fields: Vec<String> = changed_fields(before.as_ref(), c)
                    .into_iter()
                    .filter(|f| !consent.contains(&f.as_str()))
                    .collect();
                if !fields.is_empty() {
                    self.push(
                        "customer.updated",
                        &c.store,
                        res(),
                        c.updated_at,
                        json!({ "changed_fields": fields }),
                    );
                }
            }
            Op::InsertVehicle(v) => {
                let data = json!({ "customer_id": v.customer_id });
                self.push(
                    "vehicle.added",
                    &v.store,
                    ("vehicle", v.id.to_string(), Some(v.version)),
                    v.updated_at,
                    data,
                );
            }
            Op::UpdateVehicle { vehicle: v, before } => {
                let mut fields = changed_fields(before.as_ref(), v);
                if self.read.contains(&v.id) {
                    fields.retain(|f| f != "mileage_km");
                }
                if !fields.is_empty() {
                    let data = json!({ "customer_id": v.customer_id, "changed_fields": fields });
                    self.push(
                        "vehicle.updated",
                        &v.store,
                        ("vehicle", v.id.to_string(), Some(v.version)),
                        v.updated_at,
                        data,
                    );
                }
            }
            Op::InsertOdometer(r) => {
                let data =
                    json!({ "mileage_km": r.mileage_km, "source": r.source, "correction": r.correction });
                self.push(
                    "vehicle.odometer_recorded",
                    &r.store,
                    ("vehicle", r.vehicle_id.to_string(), None),
                    r.recorded_at,
                    data,
                );
            }
            Op::InsertWorkOrder(o) => {
                let data = json!({
                    "number": o.number,
                    "status": o.status.as_str(),
                    "customer_id": o.customer_id,
                    "vehicle_id": o.vehicle_id,
                    "repair_category": o.repair_category,
                    "promised_at": o.promised_at,
                });
                self.push("work_order.created", &o.store, order_res(o), o.updated_at, data);
                if let Some(s) = o.sanbao.as_ref().filter(|s| s.has_rights()) {
                    let listed: Vec<Value> =
                        s.rights.iter().map(|r| json!({ "right": r.right, "reason": r.reason })).collect();
                    let data = json!({ "number": o.number, "vehicle_id": o.vehicle_id, "rights": listed });
                    self.push("work_order.sanbao_right", &o.store, order_res(o), o.updated_at, data);
                }
            }
            Op::UpdateWorkOrder { order, before } => self.work_order(order, before),
            Op::InsertInspection(i) => {
                let event_type = match (i.kind, i.passed) {
                    (InspectionKind::Entry, _) => "inspection.entry_recorded",
                    (_, Some(true)) => "inspection.exit_passed",
                    _ => "inspection.exit_failed",
                };
                let data = json!({ "work_order_id": i.work_order_id, "kind": i.kind });
                self.push(event_type, &i.store, ("inspection", i.id.to_string(), None), i.submitted_at, data);
            }
            Op::DeleteInspection { store, id } => {
                let at = self.at.unwrap_or_else(Utc::now);
                self.push("inspection.deleted", store, ("inspection", id.to_string(), None), at, json!({}));
            }
            Op::InsertEhealthUpload(u) => self.ehealth(u, u.created_at),
            Op::RequeueEhealthUpload(u) => self.ehealth(u, u.next_attempt_at),
            Op::InsertTask(t) => {
                let data = json!({
                    "kind": t.kind,
                    "customer_id": t.customer_id,
                    "work_order_id": t.work_order_id,
                    "campaign_id": t.campaign_id,
                    "assignee": t.assignee,
                    "due_from": t.due_from,
                    "due_to": t.due_to,
                });
                self.push(
                    "follow_up_task.created",
                    &t.store,
                    ("follow_up_task", t.id.to_string(), Some(t.version)),
                    t.updated_at,
                    data,
                );
            }
            Op::UpdateTask { task: t, before } => {
                let res = || ("follow_up_task", t.id.to_string(), Some(t.version));
                if t.assignee != before.assignee && t.status == TaskStatus::Open {
                    let data = json!({ "assignee": t.assignee, "previous_assignee": before.assignee });
                    self.push("follow_up_task.assigned", &t.store, res(), t.updated_at, data);
                }
                if t.status != before.status {
                    let event_type = match t.status {
                        TaskStatus::Done => "follow_up_task.done",
                        TaskStatus::Unreachable => "follow_up_task.closed_unreachable",
                        TaskStatus::Cancelled => "follow_up_task.cancelled",
                        TaskStatus::Open => return,
                    };
                    let data = json!({ "kind": t.kind, "customer_id": t.customer_id });
                    self.push(event_type, &t.store, res(), t.updated_at, data);
                }
            }
            Op::InsertContact(c) => {
                let data = json!({
                    "customer_id": c.customer_id,
                    "task_id": c.task_id,
                    "channel": c.channel,
                    "direction": c.direction,
                    "outcome": c.outcome,
                    "satisfaction": c.satisfaction,
                });
                self.push(
                    "contact_record.created",
                    &c.store,
                    ("contact_record", c.id.to_string(), None),
                    c.contacted_at,
                    data,
                );
            }
            Op::InsertCampaign(c) => {
                let data =
                    json!({ "kind": c.kind, "event_date": c.event_date, "customers": c.customers.len() });
                self.push(
                    "campaign.created",
                    &c.store,
                    ("campaign", c.id.to_string(), None),
                    c.created_at,
                    data,
                );
            }
            Op::InsertLetter(l) => {
                let data = json!({ "customer_id": l.customer_id, "kind": l.kind, "channel": l.channel, "task_id": l.task_id });
                self.push("letter.registered", &l.store, ("letter", l.id.to_string(), None), l.sent_at, data);
            }
            Op::InsertSummary(s) => {
                let data = json!({ "period": s.period });
                self.push(
                    "summary.submitted",
                    &s.store,
                    ("summary", s.period.clone(), None),
                    s.submitted_at,
                    data,
                );
            }
            Op::InsertComplaint(c) => {
                let data = json!({
                    "customer_id": c.customer_id,
                    "work_order_id": c.work_order_id,
                    "status": c.status.as_str(),
                    "escalates_at": c.escalates_at,
                });
                self.push(
                    "complaint.opened",
                    &c.store,
                    ("complaint", c.id.to_string(), Some(c.version)),
                    c.opened_at,
                    data,
                );
            }
            Op::UpdateComplaint { complaint: c, before } => {
                let at = self.at.unwrap_or(c.opened_at);
                let res = || ("complaint", c.id.to_string(), Some(c.version));
                if c.status != before.status {
                    let event_type = match c.status {
                        ComplaintStatus::Escalated => "complaint.escalated",
                        ComplaintStatus::Resolved => "complaint.resolved",
                        ComplaintStatus::Closed => "complaint.closed",
                        ComplaintStatus::Open => "",
                    };
                    if !event_type.is_empty() {
                        self.push(event_type, &c.store, res(), at, json!({ "status": c.status.as_str() }));
                    }
                }
                if c.customer_notified_at.is_some() && before.customer_notified_at.is_none() {
                    let data = json!({ "status": c.status.as_str(), "notice_breach": c.notice_breach });
                    self.push("complaint.customer_notified", &c.store, res(), at, data);
                }
            }
        }
    }

    fn ehealth(&mut self, u: &EhealthUpload, at: DateTime<Utc>) {
        let data = json!({ "ehealth_status": u.status.as_str(), "attempts": u.attempts });
        self.push(
            "work_order.ehealth_status_changed",
            &u.store,
            ("work_order", u.work_order_id.to_string(), None),
            at,
            data,
        );
    }

    /// A work order's events, in the order a consumer reads them: the decision and the quote,
    /// the certificate, the settlement, then the state reached.
    fn work_order(&mut self, o: &WorkOrder, before: &WorkOrder) {
        let at = o.updated_at;
        let before_events = self.events.len();
        if o.estimate_version > before.estimate_version {
            let data = json!({ "number": o.number, "estimate_version": o.estimate_version, "pending_fen": o.totals().pending_fen });
            self.push("work_order.lines_proposed", &o.store, order_res(o), at, data);
        }
        if let Some(approval) = o.approvals.get(before.approvals.len()) {
            let approved = approval.decisions.iter().filter(|d| d.approved).count();
            let data = json!({
                "number": o.number,
                "estimate_version": approval.estimate_version,
                "approved_lines": approved,
                "declined_lines": approval.decisions.len() - approved,
                "total_fen": o.totals().total_fen,
            });
            self.push("work_order.approval_recorded", &o.store, order_res(o), at, data);
        }
        if let (Some(number), None) = (&o.certificate_number, &before.certificate_number) {
            let data = json!({ "work_order_id": o.id, "certificate_number": number });
            self.push("inspection.certificate_issued", &o.store, order_res(o), at, data);
        }
        if let (Some(s), None) = (&o.settlement, &before.settlement) {
            let data = json!({
                "number": o.number,
                "settlement_number": s.number,
                "labour_fen": s.labour_fen,
                "parts_fen": s.parts_fen,
                "total_fen": s.total_fen,
                "discount_fen": s.discount_fen,
                "amount_due_fen": s.amount_due_fen,
                "amount_paid_fen": s.amount_paid_fen,
                "payment_method": s.payment_method,
            });
            self.push("work_order.settlement_frozen", &o.store, order_res(o), at, data);
        }
        if let (Some(s), Some(voided)) =
            (&o.settlement, o.voided_settlements.get(before.voided_settlements.len()))
        {
            let data = json!({
                "number": o.number,
                "voided_settlement_number": voided.settlement.number,
                "reversal_number": voided.reversal_number,
                "settlement_number": s.number,
                "amount_due_fen": s.amount_due_fen,
            });
            self.push("work_order.settlement_voided", &o.store, order_res(o), at, data);
        }
        let rights = |w: &WorkOrder| w.sanbao.as_ref().map(|s| s.rights.clone()).unwrap_or_default();
        let (now_rights, had) = (rights(o), rights(before));
        if now_rights.iter().any(|r| !had.contains(r)) {
            let listed: Vec<Value> =
                now_rights.iter().map(|r| json!({ "right": r.right, "reason": r.reason })).collect();
            let data = json!({ "number": o.number, "vehicle_id": o.vehicle_id, "rights": listed });
            self.push("work_order.sanbao_right", &o.store, order_res(o), at, data);
        }
        let claims = [
            (
                "insurance",
                before.insurance_claim.as_ref().map(|c| c.status.as_str()),
                o.insurance_claim.as_ref().map(|c| c.status.as_str()),
            ),
            (
                "warranty",
                before.warranty_claim.as_ref().map(|c| c.status.as_str()),
                o.warranty_claim.as_ref().map(|c| c.status.as_str()),
            ),
        ];
        for (claim, was, now) in claims {
            if was != now {
                let data = json!({ "number": o.number, "claim": claim, "claim_status": now, "previous_claim_status": was });
                self.push("work_order.claim_changed", &o.store, order_res(o), at, data);
            }
        }
        if o.status != before.status {
            let mut data = json!({
                "number": o.number,
                "status": o.status.as_str(),
                "previous_status": before.status.as_str(),
            });
            if o.status == WorkOrderStatus::Delivered {
                data["delivered_at"] = json!(o.delivered_at);
                data["settlement_number"] = json!(o.settlement.as_ref().map(|s| &s.number));
                data["amount_due_fen"] = json!(o.settlement.as_ref().map(|s| s.amount_due_fen));
            }
            self.push(&format!("work_order.{}", o.status.as_str()), &o.store, order_res(o), at, data);
        }
        if self.events.len() == before_events {
            let fields = changed_fields(before, o);
            if !fields.is_empty() {
                let data = json!({ "number": o.number, "changed_fields": fields });
                self.push("work_order.updated", &o.store, order_res(o), at, data);
            }
        }
    }
}

fn order_res(o: &WorkOrder) -> (&'static str, String, Option<i64>) {
    ("work_order", o.id.to_string(), Some(o.version))
}

/// The names of the top-level fields two states of a record differ in, bookkeeping aside. Only
/// names: the values may be personal.
fn changed_fields<T: Serialize>(before: &T, after: &T) -> Vec<String> {
    let (Ok(Value::Object(b)), Ok(Value::Object(a))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return vec![];
    };
    a.iter()
        .filter(|(k, v)| !BOOKKEEPING.contains(&k.as_str()) && b.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect()
}

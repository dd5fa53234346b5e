//! Conversions between protobuf messages and domain types.

use aftersales_domain::app::IdempotencyKey;
use aftersales_domain::app::{DocumentKind, StoreFigures, SummaryView};
use aftersales_domain::auth::Role;
use aftersales_domain::model::appointment::{AppointmentStatus, BayKind, CancelledBy, Channel};
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
use aftersales_domain::model::message::{MessageChannel, MessageStatus, Purpose, Suppressed};
use aftersales_domain::model::store::{CallWindowInput, SlaPatch, SlaSettings, StaffMember, Store};
use aftersales_domain::model::summary::{FollowUpFigures, Summary};
use aftersales_domain::model::work_order::{
    Approval, PaymentMethod, Settlement, SignatureMethod, SignedDocument,
};
use aftersales_domain::model::work_order::{
    ApprovalMethod, FuelLevel, LineKind, LineOrigin, LineStatus, OldPartDisposition, Payer, RepairCategory,
    Urgency, WorkOrder, WorkOrderLine, WorkOrderStatus,
};
use aftersales_domain::paging::PageRequest;
use aftersales_domain::value::{CustomerId, Etag, StoreCode, VehicleId};
use chrono::{DateTime, NaiveDate, Utc};
use prost_types::{FieldMask, Timestamp};
use tonic::Status;

use crate::pb;
use crate::status::{invalid, to_status};

mod appointments;
mod customers;
mod events;
mod follow_ups;
mod stores;
mod summaries;
mod work_orders;

pub use appointments::{capacity, visitor};
pub use events::subscription;

/// Converts an instant to a protobuf timestamp.
pub fn ts(at: DateTime<Utc>) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    })
}

/// Parses the `store` field.
pub fn store_code(raw: &str) -> Result<StoreCode, Status> {
    let code = StoreCode::parse(raw).map_err(|e| invalid("store", e))?;
    // The request span names its store, as REST's does from the path (a store code is no PII).
    tracing::Span::current().record("store", code.as_str());
    Ok(code)
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

/// Parses `page_size` / `page_token` and a list's `updated_since` (incremental sync).
pub fn page_since(size: i32, token: &str, since: Option<Timestamp>) -> Result<PageRequest, Status> {
    Ok(page(size, token)?.changed_after(optional_instant("updated_since", since)?))
}

/// Reads a required timestamp field, naming it.
pub fn instant(field: &str, ts: Option<Timestamp>) -> Result<DateTime<Utc>, Status> {
    optional_instant(field, ts)?.ok_or_else(|| invalid(field, "is required"))
}

/// Reads an optional timestamp field, naming it.
pub fn optional_instant(field: &str, ts: Option<Timestamp>) -> Result<Option<DateTime<Utc>>, Status> {
    let Some(ts) = ts else { return Ok(None) };
    // Negative or oversized nanos are not a normalised Timestamp: refused, not read as 0.
    let nanos = u32::try_from(ts.nanos)
        .ok()
        .filter(|n| *n < 1_000_000_000)
        .ok_or_else(|| invalid(&format!("{field}.nanos"), "must be between 0 and 999,999,999"))?;
    DateTime::from_timestamp(ts.seconds, nanos)
        .map(Some)
        .ok_or_else(|| invalid(field, "is not a valid instant"))
}

/// Parses `request_id` as an idempotency key.
pub fn request_id(raw: &str) -> Result<Option<IdempotencyKey>, Status> {
    IdempotencyKey::parse_optional("request_id", Some(raw)).map_err(to_status)
}

/// Parses an optional `etag` field.
pub fn etag(raw: &str) -> Result<Option<Etag>, Status> {
    Etag::parse_condition("etag", Some(raw)).map_err(to_status)
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
    [ReturnedToStores, GivenToCustomer, Recycled, NotApplicable, RetainedForClaim]
);
enum_map!(ApprovalMethod, ApprovalMethod, "method", [InPerson, Phone, SignedLink]);
enum_map!(Urgency, Urgency, "urgency", [Red, Yellow, Green]);
enum_map!(
    PaymentMethod,
    PaymentMethod,
    "payment_method",
    [Cash, BankCard, WechatPay, Alipay, BankTransfer, Insurance, Waived, OnAccount]
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
enum_map!(BayKind, BayKind, "bay", [General, QuickService, BodyPaint]);
enum_map!(AppointmentStatus, AppointmentStatus, "status", [Held, Booked, CheckedIn, Cancelled, NoShow]);
enum_map!(Channel, BookingChannel, "channel", [App, Phone, WalkIn]);
enum_map!(CancelledBy, CancelledBy, "by", [Customer, Store]);
enum_map!(Direction, Direction, "direction", [Outbound, Inbound]);
enum_map!(ContactOutcome, ContactOutcome, "outcome", [Reached, NoAnswer, WrongNumber, Refused]);
enum_map!(InspectionKind, InspectionKind, "kind", [Entry, Exit, Rework]);
enum_map!(InspectionMethod, InspectionMethod, "methods", [Inquiry, Visual, Instrument, RoadTest]);
enum_map!(Purpose, MessagePurpose, "purpose", [Service, Marketing]);
enum_map!(Payer, Payer, "payer", [Customer, Insurance, ManufacturerWarranty, Internal, Goodwill]);
enum_map!(MessageChannel, MessageChannel, "channel", [Sms, WechatSubscribe, WechatWork, Letter]);
enum_map!(MessageStatus, MessageStatus, "status", [Queued, Sent, Delivered, Failed, Suppressed]);
enum_map!(
    Suppressed,
    SuppressedReason,
    "suppressed_reason",
    [NoMarketingConsent, DailyCapReached, MonthlyCapReached, NoSubscriptionConsent, NoRecipient, Withdrawn]
);

// After `enum_map!`, which it uses.
mod workshop;

pub use workshop::line_sanbao;

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

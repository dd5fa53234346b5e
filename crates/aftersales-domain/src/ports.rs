//! Ports: what the application services need from the outside (storage, time).

mod appointments;
mod approval_links;
mod attachments;
mod events;
mod imports;
mod messages;
pub use appointments::AppointmentStore;
pub use approval_links::ApprovalLinkStore;
pub use attachments::{AttachmentReads, BlobStore, Chunks};
pub use events::{ClaimedDelivery, EventStore, WebhookTransport};
pub use imports::{ImportStore, Predecessor};
pub use messages::{MessageProvider, MessageStore};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::auth::StoreAccess;
use crate::model::appointment::Appointment;
use crate::model::audit::{AuditEvent, AuditFilter};
use crate::model::customer::{ConsentEvent, Customer, CustomerFilter, OdometerReading, Vehicle};
use crate::model::ehealth::{AttemptOutcome, EhealthRecord, EhealthUpload};
use crate::model::follow_up::{Campaign, CampaignId, Letter};
use crate::model::follow_up::{
    Complaint, ComplaintId, ComplaintStatus, ContactRecord, FollowUpTask, TaskId, TaskStatus,
};
use crate::model::import::Problem;
use crate::model::import_job::ImportJob;
use crate::model::inspection::{Inspection, InspectionId};
use crate::model::store::{StaffMember, Store};
use crate::model::summary::Summary;
use crate::model::work_order::{WorkOrder, WorkOrderFilter, WorkOrderId};
use crate::paging::{Page, PageRequest};
use crate::value::{CustomerId, StoreCode, VehicleId, Vin};

/// The source of "now", so tests can set it.
pub trait Clock: Send + Sync {
    /// Returns the current instant.
    fn now(&self) -> DateTime<Utc>;
}

/// The wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// Filters for follow-up tasks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskFilter {
    /// Only this agent's.
    pub assignee: Option<String>,
    /// Only in this state.
    pub status: Option<TaskStatus>,
    /// Only tasks whose window has opened by this store-local day (due or overdue).
    pub due_by: Option<chrono::NaiveDate>,
    /// Only this customer's.
    pub customer_id: Option<CustomerId>,
    /// Only tasks whose deadline falls in `[from, to)` (store-local days), e.g. a month's.
    pub due_within: Option<(chrono::NaiveDate, chrono::NaiveDate)>,
}

/// Filters for complaints.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ComplaintFilter {
    /// Only in this state.
    pub status: Option<ComplaintStatus>,
    /// Only unresolved ones (open or escalated) that escalate before this instant (FU-6).
    pub escalates_before: Option<DateTime<Utc>>,
}

/// Filters for contact records.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactFilter {
    /// Only this customer's.
    pub customer_id: Option<CustomerId>,
    /// Only this task's.
    pub task_id: Option<TaskId>,
    /// Only this agent's.
    pub agent: Option<String>,
    /// Only contacts made in `[from, to)`.
    pub contacted_within: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

/// Proof that a worker holds a lease on a queued item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseToken(pub uuid::Uuid);

/// A province's repair e-health platform (WO-12); implemented by an adapter per province.
#[async_trait]
pub trait EhealthPlatform: Send + Sync {
    /// Uploads one record; says whether it was accepted, should be retried, or was refused.
    async fn upload(&self, record: &EhealthRecord) -> AttemptOutcome;
}

/// A stored answer to an idempotent request (GEN-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    /// Store the request was made in.
    pub store: StoreCode,
    /// Who made it.
    pub principal: String,
    /// The client's key.
    pub key: String,
    /// Hash of the operation and its command.
    pub fingerprint: String,
    /// The answer, as the domain returned it.
    pub response: serde_json::Value,
    /// When it was first made.
    pub created_at: DateTime<Utc>,
}

/// One change to apply; updates carry the version they were decided on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// Insert a store.
    InsertStore(Store),
    /// Update a store if still at `expected_version`.
    UpdateStore {
        /// The new state.
        store: Store,
        /// The version it was read at.
        expected_version: i64,
    },
    /// Insert a staff member.
    InsertStaff(StaffMember),
    /// Update a staff member if still at `expected_version`.
    UpdateStaff {
        /// The new state.
        staff: StaffMember,
        /// The version it was read at.
        expected_version: i64,
    },
    /// Insert a customer file.
    InsertCustomer(Customer),
    /// Update a customer file if still at the version it was read at.
    UpdateCustomer {
        /// The new state.
        customer: Customer,
        /// The state it was read at: its version is the one expected, and events are the
        /// difference between the two (EV-1).
        before: Box<Customer>,
    },
    /// Insert a vehicle.
    InsertVehicle(Vehicle),
    /// Update a vehicle if still at the version it was read at.
    UpdateVehicle {
        /// The new state.
        vehicle: Vehicle,
        /// The state it was read at: its version is the one expected, and events are the
        /// difference between the two (EV-1).
        before: Box<Vehicle>,
    },
    /// Append an odometer reading.
    InsertOdometer(OdometerReading),
    /// Append a consent change.
    InsertConsent(ConsentEvent),
    /// Insert a follow-up task.
    InsertTask(Box<FollowUpTask>),
    /// Update a follow-up task if still at the version it was read at.
    UpdateTask {
        /// The new state.
        task: Box<FollowUpTask>,
        /// The state it was read at: its version is the one expected, and events are the
        /// difference between the two (EV-1).
        before: Box<FollowUpTask>,
    },
    /// Append a contact record.
    InsertContact(Box<ContactRecord>),
    /// Insert a campaign (FU-7).
    InsertCampaign(Box<Campaign>),
    /// Register a letter (FU-8).
    InsertLetter(Box<Letter>),
    /// Archive a submitted summary (FU-9); a second for the same period is refused.
    InsertSummary(Box<Summary>),
    /// Insert a complaint.
    InsertComplaint(Box<Complaint>),
    /// Update a complaint if still at the version it was read at.
    UpdateComplaint {
        /// The new state.
        complaint: Box<Complaint>,
        /// The state it was read at: its version is the one expected, and events are the
        /// difference between the two (EV-1).
        before: Box<Complaint>,
    },
    /// Queue an e-health upload (WO-12).
    InsertEhealthUpload(Box<EhealthUpload>),
    /// Puts an order's e-health upload back in the queue with a corrected record (issue 14).
    RequeueEhealthUpload(Box<EhealthUpload>),
    /// Start an import job (`before` none), or advance it past a committed batch if it still
    /// stands at row `before` (issue 15): two runs of one import cannot both write a batch.
    PutImport {
        /// The new state.
        job: Box<ImportJob>,
        /// The committed row it was read at.
        before: Option<u64>,
    },
    /// Append problems of an import's report, each at its row and order within the row.
    InsertImportProblems {
        /// Store.
        store: StoreCode,
        /// The import.
        import: uuid::Uuid,
        /// The problems with their (row, order) positions.
        problems: Vec<((u64, u32), Problem)>,
    },
    /// Insert a work order.
    InsertWorkOrder(Box<WorkOrder>),
    /// Update a work order if still at the version it was read at.
    UpdateWorkOrder {
        /// The new state.
        order: Box<WorkOrder>,
        /// The state it was read at: its version is the one expected, and events are the
        /// difference between the two (EV-1).
        before: Box<WorkOrder>,
    },
    /// Append a submitted inspection (IN-3: never updated).
    InsertInspection(Box<Inspection>),
    /// Delete an inspection past its retention period (IN-3).
    DeleteInspection {
        /// Store.
        store: StoreCode,
        /// Inspection.
        id: InspectionId,
    },
    /// Move every vehicle and consent record of one file to another (CF-6 merge).
    MoveCustomerRecords {
        /// Store.
        store: StoreCode,
        /// From this file.
        from: CustomerId,
        /// To this file.
        to: CustomerId,
    },
    /// Insert an appointment, or move one (`before` set, version-checked), if its place is
    /// still free at `at` under the store's capacity lock, which this op takes first and holds
    /// to commit; so it goes first in its change set (AP-3).
    PlaceAppointment {
        /// Store.
        store: StoreCode,
        /// The new state.
        appointment: Box<Appointment>,
        /// The state it was read at, when it is moved.
        before: Option<Box<Appointment>>,
        /// The store's zone, for its hours.
        zone: chrono_tz::Tz,
        /// When the check is made (lapsed holds free their place).
        at: DateTime<Utc>,
    },
    /// Update an appointment that keeps its place, if still at `before`'s version.
    UpdateAppointment {
        /// Store.
        store: StoreCode,
        /// The new state.
        appointment: Box<Appointment>,
        /// The state it was read at.
        before: Box<Appointment>,
    },
    /// Insert an attachment's record; its bytes are stored first, by content (WO-14).
    InsertAttachment(Box<crate::model::attachment::Attachment>),
    /// Queue a message to a customer (issue 13).
    InsertMessage(Box<crate::model::message::OutboundMessage>),
    /// Save a new version of a store's message template; a version taken meanwhile clashes.
    InsertTemplate(Box<crate::model::message::Template>),
    /// Record one-time WeChat subscription consents a customer gave (issue 13).
    GrantConsents(Box<crate::model::message::ConsentGrant>),
    /// Insert an approval link, or update one if still at `before`'s version (WO-13).
    PutApprovalLink {
        /// The new state.
        link: Box<crate::model::approval_link::ApprovalLink>,
        /// The version it was read at, when it is updated.
        before: Option<i64>,
    },
}

/// Stands for the number a change set takes from its sequence ([`ChangeSet::number`]) in every
/// text of the change and of its answer, until the repository takes the number inside the
/// transaction and fills it in. No input may hold control characters, so it never meets data.
pub const NUMBER_SLOT: &str = "\u{1}seq\u{1}";

/// A number to take from a per-store sequence inside the write's transaction: the sequence row is
/// locked until commit, so concurrent writers wait instead of clashing, and a rolled-back write
/// takes its number back with it (gap-free, WO-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberRequest {
    /// Store.
    pub store: StoreCode,
    /// Sequence name, e.g. `work_order:2026`.
    pub name: String,
}

/// Renders a taken number as it appears in human numbers (`SH001-2026-000123`).
pub fn render_number(seq: i64) -> String {
    format!("{seq:06}")
}

/// Whether a value carries a [`NUMBER_SLOT`] still to be filled.
pub fn holds_number<T: Serialize>(value: &T) -> bool {
    // A value that cannot be written out carries nothing; filling it would fail the same way.
    serde_json::to_string(value).is_ok_and(|json| json.contains(&escaped_slot()))
}

/// The slot as serde_json writes it inside a string: its control characters as `\u0001`.
fn escaped_slot() -> String {
    NUMBER_SLOT.replace('\u{1}', "\\u0001")
}

/// Fills a taken number into every [`NUMBER_SLOT`] of a value.
pub fn fill_number<T: Serialize + serde::de::DeserializeOwned>(value: &T, seq: i64) -> Result<T> {
    let internal = |e: serde_json::Error| crate::DomainError::Internal(format!("number slot: {e}"));
    let json = serde_json::to_string(value).map_err(internal)?;
    let filled = json.replace(&escaped_slot(), &render_number(seq));
    serde_json::from_str(&filled).map_err(internal)
}

/// Everything one write changes, applied in one transaction or not at all.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChangeSet {
    /// Record changes, in order.
    pub ops: Vec<Op>,
    /// Audit entries for them (GEN-1).
    pub audit: Vec<AuditEvent>,
    /// The stored answer, when the request carried an idempotency key.
    pub idempotency: Option<IdempotencyRecord>,
    /// The sequence number this change takes, filled into its [`NUMBER_SLOT`]s.
    pub number: Option<NumberRequest>,
    /// The store's time zone as the service read it, so the counters of the change (HQ-2) need
    /// not read the store again.
    #[serde(skip)]
    pub store_zone: Option<(StoreCode, chrono_tz::Tz)>,
}

impl ChangeSet {
    /// Starts a change set with one op and its audit entry.
    pub fn of(op: Op, audit: AuditEvent) -> Self {
        Self { ops: vec![op], audit: vec![audit], idempotency: None, number: None, store_zone: None }
    }

    /// A change set of ops counted in a store whose zone the service already read.
    pub fn counted(ops: Vec<Op>, audit: AuditEvent, store: &StoreCode, zone: chrono_tz::Tz) -> Self {
        Self {
            ops,
            audit: vec![audit],
            idempotency: None,
            number: None,
            store_zone: Some((store.clone(), zone)),
        }
    }
}

/// Writing: every change is one change set, applied atomically.
#[async_trait]
pub trait Writes: Send + Sync {
    /// Checks that the database answers.
    async fn ping(&self) -> Result<()>;
    /// Applies a change set atomically; a stale update fails with `StaleEtag`. Answers the number
    /// taken for [`ChangeSet::number`], if it asked for one.
    async fn apply(&self, changes: ChangeSet) -> Result<Option<i64>>;
    /// Finds a stored idempotent answer.
    async fn find_idempotency(
        &self,
        store: &StoreCode,
        principal: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>>;
}

/// Stores and their staff.
#[async_trait]
pub trait StoreReads: Send + Sync {
    /// Reads a store.
    async fn get_store(&self, code: &StoreCode) -> Result<Option<Store>>;
    /// Lists the stores a token reaches, by code.
    async fn list_stores(&self, access: &StoreAccess, page: &PageRequest) -> Result<Page<Store>>;
    /// Reads a staff member.
    async fn get_staff(&self, store: &StoreCode, id: &str) -> Result<Option<StaffMember>>;
    /// Lists a store's staff, by id.
    async fn list_staff(&self, store: &StoreCode, page: &PageRequest) -> Result<Page<StaffMember>>;
}

/// Customer files, their cars and consent history.
#[async_trait]
pub trait CustomerReads: Send + Sync {
    /// Reads a customer file.
    async fn get_customer(&self, store: &StoreCode, id: CustomerId) -> Result<Option<Customer>>;
    /// Reads several customer files at once; those not found are left out.
    async fn get_customers(&self, store: &StoreCode, ids: &[CustomerId]) -> Result<Vec<Customer>>;
    /// Lists live (not merged) customer files, newest last.
    async fn list_customers(
        &self,
        store: &StoreCode,
        filter: &CustomerFilter,
        page: &PageRequest,
    ) -> Result<Page<Customer>>;
    /// Lists a customer's consent history, oldest first.
    async fn list_consent_events(&self, store: &StoreCode, customer: CustomerId)
    -> Result<Vec<ConsentEvent>>;
    /// Reads a vehicle.
    async fn get_vehicle(&self, store: &StoreCode, id: VehicleId) -> Result<Option<Vehicle>>;
    /// Finds a vehicle by VIN.
    async fn find_vehicle_by_vin(&self, store: &StoreCode, vin: &Vin) -> Result<Option<Vehicle>>;
    /// Lists a customer's vehicles.
    async fn list_vehicles(
        &self,
        store: &StoreCode,
        customer: CustomerId,
        page: &PageRequest,
    ) -> Result<Page<Vehicle>>;
}

/// Work orders and their inspections.
#[async_trait]
pub trait WorkOrderReads: Send + Sync {
    /// Reads a work order.
    async fn get_work_order(&self, store: &StoreCode, id: WorkOrderId) -> Result<Option<WorkOrder>>;
    /// Lists work orders, oldest first.
    async fn list_work_orders(
        &self,
        store: &StoreCode,
        filter: &WorkOrderFilter,
        page: &PageRequest,
    ) -> Result<Page<WorkOrder>>;
    /// Lists a work order's inspections, oldest first.
    async fn list_inspections(&self, store: &StoreCode, order: WorkOrderId) -> Result<Vec<Inspection>>;
    /// Reads an inspection.
    async fn get_inspection(&self, store: &StoreCode, id: InspectionId) -> Result<Option<Inspection>>;
}

/// Follow-up tasks, contacts, complaints, campaigns, letters and summaries.
#[async_trait]
pub trait FollowUpReads: Send + Sync {
    /// Reads a follow-up task.
    async fn get_task(&self, store: &StoreCode, id: TaskId) -> Result<Option<FollowUpTask>>;
    /// Lists follow-up tasks by id.
    async fn list_tasks(
        &self,
        store: &StoreCode,
        filter: &TaskFilter,
        page: &PageRequest,
    ) -> Result<Page<FollowUpTask>>;
    /// An agent's open tasks whose window has opened by `day`, deadline first, at most `limit`
    /// (FU-5), read from the (store, assignee, status, deadline) index.
    async fn worklist_tasks(
        &self,
        store: &StoreCode,
        assignee: &str,
        day: chrono::NaiveDate,
        limit: u64,
    ) -> Result<Vec<FollowUpTask>>;
    /// The latest contact on each of these tasks, for planning the next attempt (FU-5).
    async fn last_contacts(
        &self,
        store: &StoreCode,
        tasks: &[TaskId],
    ) -> Result<Vec<(TaskId, DateTime<Utc>)>>;
    /// Counts open tasks per assignee, for balancing (FU-3).
    async fn open_task_counts(&self, store: &StoreCode) -> Result<Vec<(String, u64)>>;
    /// Lists contact records, newest last.
    async fn list_contacts(
        &self,
        store: &StoreCode,
        filter: &ContactFilter,
        page: &PageRequest,
    ) -> Result<Page<ContactRecord>>;
    /// Reads a complaint.
    async fn get_complaint(&self, store: &StoreCode, id: ComplaintId) -> Result<Option<Complaint>>;
    /// Lists a store's complaints by id, optionally in one state.
    async fn list_complaints(
        &self,
        store: &StoreCode,
        filter: &ComplaintFilter,
        page: &PageRequest,
    ) -> Result<Page<Complaint>>;
    /// Open complaints whose escalation instant has come by `now`, oldest first, across stores (FU-6).
    async fn open_complaints_escalating_by(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<Complaint>>;
    /// Reads a campaign.
    async fn get_campaign(&self, store: &StoreCode, id: CampaignId) -> Result<Option<Campaign>>;
    /// Lists registered letters, oldest first.
    async fn list_letters(&self, store: &StoreCode, page: &PageRequest) -> Result<Page<Letter>>;
    /// Reads a submitted summary.
    async fn get_summary(&self, store: &StoreCode, period: &str) -> Result<Option<Summary>>;
}

/// Headquarters' reads across stores (HQ-1, HQ-2).
#[async_trait]
pub trait AnalyticsReads: Send + Sync {
    /// Reads the counters of `stores` for one store-local month or year, per store and metric
    /// (HQ-2).
    async fn rollup_counts(
        &self,
        stores: &[StoreCode],
        period: crate::model::summary::Period,
    ) -> Result<Vec<(StoreCode, String, i64)>>;
    /// Lists the complaints raised in each window: a store and its `[from, to)`, one read for
    /// many stores (each in its own time zone).
    async fn complaints_opened_within(
        &self,
        windows: &[(StoreCode, DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<Vec<Complaint>>;
}

/// The leased e-health upload queue (WO-12).
#[async_trait]
pub trait EhealthQueue: Send + Sync {
    /// Reads an order's e-health upload.
    async fn get_ehealth_upload(
        &self,
        store: &StoreCode,
        order: WorkOrderId,
    ) -> Result<Option<EhealthUpload>>;
    /// Leases up to `limit` uploads that are due, for `lease` from `now`; another worker (or
    /// replica) cannot lease them until the lease runs out (WO-12).
    async fn claim_due_uploads(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: u64,
    ) -> Result<Vec<(EhealthUpload, LeaseToken)>>;
    /// Stores an attempt's result if the lease is still held; returns whether it was.
    async fn finish_upload(&self, upload: &EhealthUpload, lease: &LeaseToken) -> Result<bool>;
}

/// The audit trail.
#[async_trait]
pub trait AuditReads: Send + Sync {
    /// Lists audit events, oldest first.
    async fn list_audit(
        &self,
        store: &StoreCode,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEvent>>;
}

/// Storage: every port of one aggregate at once. Every read of a store-owned record takes the
/// store, so no query can cross stores.
pub trait Repository:
    AppointmentStore
    + ApprovalLinkStore
    + AttachmentReads
    + Writes
    + StoreReads
    + CustomerReads
    + WorkOrderReads
    + FollowUpReads
    + AnalyticsReads
    + EhealthQueue
    + AuditReads
    + EventStore
    + MessageStore
    + ImportStore
{
}

impl<
    T: AppointmentStore
        + ApprovalLinkStore
        + AttachmentReads
        + Writes
        + StoreReads
        + CustomerReads
        + WorkOrderReads
        + FollowUpReads
        + AnalyticsReads
        + EhealthQueue
        + AuditReads
        + EventStore
        + MessageStore
        + ImportStore,
> Repository for T
{
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wo_1_a_slot_is_found_and_filled_wherever_it_sits() {
        let value = vec![format!("SH001-2026-{NUMBER_SLOT}"), "plain".to_string()];
        assert!(holds_number(&value));
        assert!(!holds_number(&vec!["SH001-2026-000001".to_string()]));
        let filled = fill_number(&value, 42).ok();
        assert_eq!(filled, Some(vec!["SH001-2026-000042".to_string(), "plain".to_string()]));
        assert!(!holds_number(&filled));
    }
}

//! Application services: one method per use case, called by both fronts.
//!
//! Each method takes the caller, checks the permission table and the store, validates the
//! command, lets the entities decide, and hands one [`ChangeSet`] to the repository.

mod appointments;
mod approval_links;
mod attachments;
mod audit;
mod complaints;
mod customer_checks;
mod customers;
mod ehealth;
mod events;
mod exports;
mod follow_ups;
mod import_history;
mod import_jobs;
mod imports;
mod messages;
mod stores;
mod summaries;
mod work_orders;

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

pub use appointments::{
    AppointmentService, AppointmentStep, BookAppointment, CancelAppointment, CheckIn, ConfirmBooking,
    DayQuery, MAX_AVAILABILITY_DAYS, NewCustomerInput, RescheduleAppointment, VisitorInput,
};
pub use approval_links::{
    ApprovalLinkService, ApprovalView, AwaitingLine, DecisionReceipt, IssueApprovalLink, IssuedLink,
    LinkDecisions, SendApprovalLink,
};
pub use attachments::{AttachmentService, Upload};
pub use audit::AuditService;
pub use complaints::{ComplaintService, OpenComplaint, ResolveComplaint};
pub use customers::CustomerQuery;
pub use customers::CustomerService;
pub use ehealth::EhealthService;
pub use events::{
    CreateSubscription, EventService, FeedPage, FeedQuery, ReplaySubscription, UpdateSubscription, cursor_of,
    parse_cursor,
};
pub use exports::{ExportPage, ExportResource, ExportService};
pub use follow_ups::{
    CloseUnreachable, FollowUpService, ReassignTasks, Reassignment, RecordContact, WorklistItem,
};
pub use follow_ups::{CreateCampaign, RecordVisit, SendLetter};
pub use import_jobs::{ImportUpload, MAX_UPLOAD, OnDuplicate, ReceivedSheet};
pub use imports::{ImportBatch, ImportCarry, PreparedBatch};
pub use messages::{ConsentBalance, MessageService};
pub use stores::StoreService;
pub use summaries::{StoreFigures, SubmitSummary, SummaryService, SummaryView};
pub use work_orders::{
    CancelWorkOrder, CompleteLine, CompleteWork, CreateWorkOrder, DeliverWorkOrder, DocumentData,
    DocumentKind, IncompleteFile, LineChange, NoInput, ProposeLines, RecordAccessories, RecordDecisions,
    RecordSignature, ReviseEstimate, StartWork, Step, WorkOrderQuery, WorkOrderService,
};
pub use work_orders::{ClaimKind, OpenClaim, QueueItem};

use crate::auth::{Action, Command, Principal};
use crate::model::audit::AuditEvent;
use crate::model::store::Store;
use crate::ports::{ChangeSet, Clock, IdempotencyRecord, Repository};
use crate::value::{CustomerId, Etag, RecordId, StoreCode};
use crate::{DomainError, Result};

/// Declares the action of the permission table each command needs (see [`Command`]).
macro_rules! commands {
    ($($action:ident: $($command:ty),+;)+) => {
        $($(impl Command for $command {
            const ACTION: Action = Action::$action;
        })+)+
    };
}

commands! {
    CreateStore: crate::model::store::CreateStore;
    UpdateStore: crate::model::store::UpdateStore;
    ManageStaff: crate::model::store::CreateStaff, crate::model::store::UpdateStaff;
    WriteCustomer: crate::model::customer::CreateCustomer, crate::model::customer::UpdateCustomer,
        crate::model::customer::AddVehicle, crate::model::customer::UpdateVehicle;
    MergeCustomers: crate::model::customer::MergeCustomers;
    RecordOdometer: crate::model::customer::RecordOdometer;
    CreateWorkOrder: CreateWorkOrder, CheckIn;
    ManageCapacity: crate::model::appointment::Capacity;
    BookAppointment: BookAppointment, ConfirmBooking, RescheduleAppointment, CancelAppointment;
    FrontDeskStep: IssueApprovalLink, approval_links::SendApprovalLink, LinkDecisions, RecordDecisions, CancelWorkOrder, RecordAccessories, RecordSignature, DeliverWorkOrder, NoInput,
        ReviseEstimate, crate::model::work_order::TakePayment, crate::model::work_order::InsuranceClaimStep,
        crate::model::work_order::WarrantyClaimStep, crate::model::work_order::DecideComeback;
    WorkshopStep: StartWork, ProposeLines, CompleteLine, CompleteWork, crate::model::work_order::ClockLine;
    DispatchWork: crate::model::work_order::DispatchLine;
    VoidSettlement: crate::model::work_order::VoidSettlement;
    EntryInspection: crate::model::inspection::SubmitEntryInspection;
    ExitInspection: crate::model::inspection::SubmitExitInspection;
    FollowUpWork: RecordContact, CloseUnreachable, SendLetter, OpenComplaint, ResolveComplaint;
    SupervisorLists: ReassignTasks, CreateCampaign, SubmitSummary;
    RecordVisit: RecordVisit;
    ManageWebhooks: events::CreateSubscription, events::UpdateSubscription, events::ReplaySubscription;
    ManageMessages: crate::model::message::CreateTemplate;
    WriteCustomer: crate::model::message::GrantConsents;
}

/// Every application service, sharing one repository and clock.
#[derive(Clone)]
pub struct Services {
    /// Capacity, availability and appointments.
    pub appointments: AppointmentService,
    /// Remote approval links (WO-13).
    pub approval_links: ApprovalLinkService,
    /// Photos and files on work orders (WO-14).
    pub attachments: AttachmentService,
    /// Stores and staff.
    pub stores: StoreService,
    /// Customer files and vehicles.
    pub customers: CustomerService,
    /// The audit trail.
    pub audit: AuditService,
    /// Work orders and inspections.
    pub work_orders: WorkOrderService,
    /// The e-health upload queue.
    pub ehealth: EhealthService,
    /// Follow-up tasks and contact records.
    pub follow_ups: FollowUpService,
    /// Complaints.
    pub complaints: ComplaintService,
    /// Summaries and headquarters figures.
    pub summaries: SummaryService,
    /// The event feed and webhook subscriptions.
    pub events: EventService,
    /// Messages to customers, their templates and WeChat consents.
    pub messages: MessageService,
    /// Exports of a store's whole data (issue 15).
    pub exports: ExportService,
    core: Arc<Core>,
}

impl Services {
    /// Wires the services to a repository, a blob store and a clock, with default settings.
    pub fn new(
        repo: Arc<dyn Repository>,
        blobs: Arc<dyn crate::ports::BlobStore>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self::with_settings(repo, blobs, clock, Settings::default())
    }

    /// Wires the services with explicit settings.
    pub fn with_settings(
        repo: Arc<dyn Repository>,
        blobs: Arc<dyn crate::ports::BlobStore>,
        clock: Arc<dyn Clock>,
        settings: Settings,
    ) -> Self {
        let core = Arc::new(Core { repo, blobs, clock, settings });
        Self {
            appointments: AppointmentService::new(core.clone()),
            approval_links: ApprovalLinkService::new(core.clone()),
            attachments: AttachmentService::new(core.clone()),
            stores: StoreService::new(core.clone()),
            customers: CustomerService::new(core.clone()),
            audit: AuditService::new(core.clone()),
            work_orders: WorkOrderService::new(core.clone()),
            ehealth: EhealthService::new(core.clone()),
            follow_ups: FollowUpService::new(core.clone()),
            complaints: ComplaintService::new(core.clone()),
            summaries: SummaryService::new(core.clone()),
            events: EventService::new(core.clone()),
            messages: MessageService::new(core.clone()),
            exports: ExportService::new(core.clone()),
            core,
        }
    }

    /// Checks that storage answers (readiness).
    pub async fn ready(&self) -> Result<()> {
        self.core.repo.ping().await
    }
}

/// Deployment settings the rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// The province whose e-health platform receives records (WO-12).
    pub ehealth_province: String,
    /// The first wait after a failed upload; it doubles each time (WO-12).
    pub ehealth_retry_base: std::time::Duration,
    /// How long a worker holds an upload it took: longer than an upload may take, so a live
    /// worker keeps it, and short enough that a crashed one's uploads are soon taken over.
    pub ehealth_lease: std::time::Duration,
    /// Webhook deliveries (EV-3).
    pub webhooks: WebhookSettings,
    /// The longest a feed read waits for a first event, whatever the client asked (at most 30 s):
    /// shorter where a proxy cuts idle requests sooner.
    pub feed_max_wait: std::time::Duration,
    /// The largest attachment accepted, bytes (WO-14).
    pub attachment_max_bytes: usize,
    /// The URL an approval link message carries, with `{token}` where the token goes (WO-13):
    /// the customer's app, or this service's `/v1/approval/{token}`.
    pub approval_url: String,
    /// How long the sending worker holds a message it took (longer than a send may take).
    pub message_lease: std::time::Duration,
    /// The first wait after a send that failed for a passing reason; it doubles each time.
    pub message_retry_base: std::time::Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            ehealth_province: "shanghai".into(),
            ehealth_retry_base: std::time::Duration::from_secs(30),
            ehealth_lease: std::time::Duration::from_secs(35),
            webhooks: WebhookSettings::default(),
            feed_max_wait: events::MAX_WAIT,
            attachment_max_bytes: crate::model::attachment::DEFAULT_MAX_BYTES,
            approval_url: "http://127.0.0.1:8080/v1/approval/{token}".into(),
            message_lease: std::time::Duration::from_secs(35),
            message_retry_base: std::time::Duration::from_secs(30),
        }
    }
}

/// How webhooks are delivered (EV-3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Whether subscriptions may point at loopback, private or link-local addresses (and plain
    /// http): tests and `make run` only.
    pub allow_private: bool,
    /// The waits before each retry; given up when they run out.
    pub schedule: Vec<std::time::Duration>,
    /// How long a worker holds a delivery it claimed (longer than the send timeout).
    pub lease: std::time::Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private: false,
            schedule: crate::model::webhook::DEFAULT_SCHEDULE.to_vec(),
            lease: std::time::Duration::from_secs(60),
        }
    }
}

/// What every service shares.
pub(crate) struct Core {
    pub(crate) repo: Arc<dyn Repository>,
    pub(crate) blobs: Arc<dyn crate::ports::BlobStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) settings: Settings,
}

/// A client's idempotency key (REST `Idempotency-Key`, gRPC `request_id`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// Parses a key: 1 to 255 visible ASCII characters.
    pub fn parse(raw: &str) -> Result<Self> {
        let ok = (1..=255).contains(&raw.len()) && raw.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self(raw.to_string()))
        } else {
            Err(DomainError::invalid("idempotency_key", "must be 1 to 255 visible ASCII characters"))
        }
    }

    /// Parses an optional key as either front receives it (`Idempotency-Key` on REST,
    /// `request_id` on gRPC), treating empty as absent; errors name `field`.
    pub fn parse_optional(field: &str, raw: Option<&str>) -> Result<Option<Self>> {
        raw.filter(|k| !k.is_empty()).map(|k| Self::parse_named(field, k)).transpose()
    }

    /// Parses a key that was sent, naming `field` on failure.
    pub fn parse_named(field: &str, raw: &str) -> Result<Self> {
        Self::parse(raw).map_err(|_| DomainError::invalid(field, "must be 1 to 255 visible ASCII characters"))
    }
}

impl Core {
    /// Returns "now" at microsecond precision, the finest PostgreSQL keeps, so that an answer
    /// given at write time equals the record read back later.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now().trunc_subsecs(6)
    }

    /// Returns the store, or NotFound when it does not exist or the caller cannot reach it.
    pub(crate) async fn store(&self, who: &Principal, code: &StoreCode) -> Result<Store> {
        if !who.reaches(code) {
            return Err(DomainError::NotFound { resource: "store" });
        }
        self.repo.get_store(code).await?.ok_or(DomainError::NotFound { resource: "store" })
    }

    pub(crate) fn audit(
        &self,
        who: &Principal,
        store: &StoreCode,
        action: &str,
        resource_type: &str,
        resource_id: impl ToString,
        changed_fields: Vec<String>,
    ) -> AuditEvent {
        self.audit_as(&who.sub, store, action, resource_type, resource_id, changed_fields)
    }

    /// An audit entry of `actor`, a person or `system` for a job (GEN-1).
    pub(crate) fn audit_as(
        &self,
        actor: &str,
        store: &StoreCode,
        action: &str,
        resource_type: &str,
        resource_id: impl ToString,
        changed_fields: Vec<String>,
    ) -> AuditEvent {
        AuditEvent {
            id: RecordId::generate(),
            store: store.clone(),
            actor: actor.to_string(),
            action: action.to_string(),
            resource_type: resource_type.to_string(),
            resource_id: resource_id.to_string(),
            changed_fields,
            occurred_at: self.now(),
        }
    }

    /// Every open task of a customer, all pages.
    pub(crate) async fn open_tasks_of(
        &self,
        store: &StoreCode,
        customer: CustomerId,
    ) -> Result<Vec<crate::model::follow_up::FollowUpTask>> {
        let filter = crate::ports::TaskFilter {
            status: Some(crate::model::follow_up::TaskStatus::Open),
            customer_id: Some(customer),
            ..Default::default()
        };
        let filter = &filter;
        crate::paging::all_pages(|page| async move { self.repo.list_tasks(store, filter, &page).await }).await
    }

    /// Cancels a customer's open marketing tasks in the change being built, each audited: their
    /// consent was withdrawn, and an opt-out is honoured at once (CF-5). Returns how many.
    pub(crate) async fn cancel_marketing_tasks(
        &self,
        who: &Principal,
        store: &StoreCode,
        customer: CustomerId,
        changes: &mut ChangeSet,
    ) -> Result<usize> {
        let now = self.now();
        let marketing: Vec<_> = self
            .open_tasks_of(store, customer)
            .await?
            .into_iter()
            .filter(|t| t.kind.is_marketing())
            .collect();
        for task in &marketing {
            let cancelled = task.closed(crate::model::follow_up::TaskStatus::Cancelled, now);
            changes.ops.push(crate::ports::Op::UpdateTask {
                task: Box::new(cancelled),
                before: Box::new(task.clone()),
            });
            changes.audit.push(self.audit(
                who,
                store,
                "follow_up_task.cancel.consent_withdrawn",
                "follow_up_task",
                task.id,
                vec!["status".into()],
            ));
        }
        Ok(marketing.len())
    }

    /// Applies a read-decide-write step. When the client pinned no etag, a clash with a concurrent
    /// write re-runs the step on the newer version rather than failing: a partial update re-applied
    /// there loses nothing. A pinned etag keeps the clash (412 / ABORTED) (GEN-2).
    pub(crate) async fn write_latest<T, F, Fut>(&self, pinned: bool, mut step: F) -> Result<T>
    where
        T: Serialize + DeserializeOwned,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(T, ChangeSet)>>,
    {
        // Every round of a clash has a winner, so N simultaneous writers need at most N rounds.
        const ATTEMPTS: u32 = 20;
        let mut attempt = 1;
        loop {
            let (value, changes) = step().await?;
            match self.repo.apply(changes).await {
                Ok(None) => return Ok(value),
                // The number taken in the transaction goes into the answer too.
                Ok(Some(seq)) => return crate::ports::fill_number(&value, seq),
                Err(DomainError::StaleEtag { .. }) if !pinned && attempt < ATTEMPTS => attempt += 1,
                Err(DomainError::StaleEtag { resource, .. }) if !pinned => {
                    return Err(DomainError::Unavailable(format!(
                        "{resource} is being changed by others right now; retry"
                    )));
                }
                Err(other) => return Err(other),
            }
        }
    }

    /// Runs a write at most once per idempotency key (GEN-2).
    ///
    /// A first request runs `decide` and stores its answer in the same transaction as its
    /// changes. A replay with the same command returns the stored answer and writes nothing; a
    /// different command under the same key is refused. A concurrent twin that loses the race on
    /// the key's unique index reads the winner's answer. `decide` may run again when a concurrent
    /// write changed what it read (see [`Core::write_latest`]).
    pub(crate) async fn write_once<C, T, F, Fut>(
        &self,
        who: &Principal,
        store: &StoreCode,
        operation: &str,
        key: Option<IdempotencyKey>,
        command: &C,
        mut decide: F,
    ) -> Result<T>
    where
        C: Serialize,
        T: Serialize + DeserializeOwned,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(T, ChangeSet)>>,
    {
        let Some(IdempotencyKey(key)) = key else {
            return self.write_latest(false, decide).await;
        };
        let fingerprint = fingerprint(operation, command)?;
        if let Some(done) = self.repo.find_idempotency(store, &who.sub, &key).await? {
            return replay(done, &fingerprint);
        }
        let stamped = self
            .write_latest(false, || {
                let decided = decide();
                let record = IdempotencyRecord {
                    store: store.clone(),
                    principal: who.sub.clone(),
                    key: key.clone(),
                    fingerprint: fingerprint.clone(),
                    response: serde_json::Value::Null,
                    created_at: self.now(),
                };
                async move {
                    let (value, mut changes) = decided.await?;
                    let response =
                        serde_json::to_value(&value).map_err(|e| DomainError::Internal(e.to_string()))?;
                    changes.idempotency = Some(IdempotencyRecord { response, ..record });
                    Ok((value, changes))
                }
            })
            .await;
        match stamped {
            Err(DomainError::AlreadyExists { resource: "idempotency_key", .. }) => {
                match self.repo.find_idempotency(store, &who.sub, &key).await? {
                    Some(done) => replay(done, &fingerprint),
                    None => Err(DomainError::Internal("idempotency record vanished".into())),
                }
            }
            other => other,
        }
    }
}

fn fingerprint<C: Serialize>(operation: &str, command: &C) -> Result<String> {
    let body = serde_json::to_vec(command).map_err(|e| DomainError::Internal(e.to_string()))?;
    let mut hash = Sha256::new();
    hash.update(operation.as_bytes());
    hash.update([0]);
    hash.update(&body);
    Ok(crate::value::hex(&hash.finalize()))
}

fn replay<T: DeserializeOwned>(done: IdempotencyRecord, fingerprint: &str) -> Result<T> {
    if done.fingerprint != fingerprint {
        return Err(DomainError::IdempotencyKeyReused);
    }
    serde_json::from_value(done.response).map_err(|e| DomainError::Internal(format!("stored answer: {e}")))
}

/// Checks a client's `If-Match` against the version just read (GEN-2).
pub(crate) fn check_etag(resource: &'static str, current: i64, if_match: Option<&Etag>) -> Result<()> {
    match if_match {
        Some(Etag(expected)) if *expected != current => {
            Err(DomainError::StaleEtag { resource, current: Etag::render(current) })
        }
        _ => Ok(()),
    }
}

/// Lists the fields a patch command sets (those not null), for the audit trail (GEN-1).
///
/// Derived from the command itself, so a field added to a command is audited without a second list.
pub(crate) fn set_fields<C: Serialize>(patch: &C) -> Vec<String> {
    match serde_json::to_value(patch) {
        Ok(serde_json::Value::Object(fields)) => {
            fields.into_iter().filter(|(_, value)| !value.is_null()).map(|(name, _)| name).collect()
        }
        _ => Vec::new(),
    }
}

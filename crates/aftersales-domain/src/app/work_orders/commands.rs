//! The commands of the work-order workflow, as both fronts send them, and their answers.

use super::*;

/// Opens a work order (WO-1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateWorkOrder {
    /// The customer's file.
    pub customer_id: CustomerId,
    /// The car (on that file).
    pub vehicle_id: VehicleId,
    /// The customer's own account of the fault.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub fault_description: String,
    /// Odometer at intake; recorded as a reading (CF-6).
    #[cfg_attr(feature = "openapi", schema(maximum = 2000000))]
    pub intake_mileage_km: u32,
    /// Fuel at intake.
    pub fuel_level: Option<FuelLevel>,
    /// Repair category (WO-2).
    pub repair_category: RepairCategory,
    /// When the car is promised back.
    pub promised_at: DateTime<Utc>,
    /// The lines to quote.
    #[serde(default)]
    pub lines: Vec<LineInput>,
    /// An earlier order of this car this one comes back for, inside its warranty (WO-9).
    pub comeback_of: Option<WorkOrderId>,
}

/// The customer's decisions on an estimate version (WO-11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordDecisions {
    /// The estimate version the customer saw.
    pub estimate_version: u32,
    /// How they decided.
    pub method: ApprovalMethod,
    /// One decision per line.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub decisions: Vec<LineDecision>,
}

/// Cancels an order before work starts (WO-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CancelWorkOrder {
    /// Why.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
    pub reason: String,
}

/// Starts work once the technician checked the plate (WO-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct StartWork {
    /// The plate the technician read on the car (the VIN for a car without plates).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 17))]
    pub plate: String,
}

/// Revises the estimate before the customer signs (WO-1, WO-11): lines added, changed, removed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReviseEstimate {
    /// New lines.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    pub add: Vec<LineInput>,
    /// Lines changed in place (same id).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    pub change: Vec<LineChange>,
    /// Lines taken off the estimate.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 200))]
    pub remove: Vec<LineId>,
}

/// One line of the estimate, changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LineChange {
    /// The line.
    pub line_id: LineId,
    /// What it is now.
    pub line: LineInput,
}

/// Adds lines from a finding during work (WO-5).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProposeLines {
    /// What the technician found.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub finding: String,
    /// The lines that would fix it.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub lines: Vec<LineInput>,
}

/// Marks an approved line as worked (WO-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CompleteLine {
    /// The line.
    pub line_id: LineId,
    /// The replaced part's serial; required for a warranty part (issue 14).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
    pub part_serial: Option<String>,
}

/// Closes the work with the technician's self-check (WO-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CompleteWork {
    /// What the technician checked.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub self_check_notes: String,
}

/// Hands the car back and settles (WO-10, IN-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DeliverWorkOrder {
    /// The walk-around with the customer: questions answered, usage advice given (IN-4).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub walkaround_notes: String,
    /// Discount, fen; default 0.
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub discount_fen: Option<i64>,
    /// Amount paid, fen: the total less the discount.
    #[cfg_attr(feature = "openapi", schema(minimum = 0))]
    pub amount_paid_fen: i64,
    /// How the customer paid.
    pub payment_method: PaymentMethod,
    /// The customer confirms the listed accessories were handed back (WO-7); required when there are any.
    pub accessories_returned: Option<bool>,
}

/// Lists items the customer leaves with the store (WO-7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordAccessories {
    /// The items.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub items: Vec<AccessoryInput>,
}

/// Records the customer's signature on a document (WO-7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordSignature {
    /// What was signed.
    pub document: SignedDocument,
    /// Who signed.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub signer: String,
    /// How.
    pub method: SignatureMethod,
}

/// A step with no input (submit-quote, notify-customer).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NoInput {}

/// The target of one step on a work order, as both fronts receive it: which order, the etag the
/// caller last saw (`If-Match`, or the gRPC `etag`) and the retry key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The work order.
    pub id: WorkOrderId,
    /// Refuse the step if the order changed since this version.
    pub if_match: Option<Etag>,
    /// Makes a retried step safe.
    pub key: Option<IdempotencyKey>,
}

/// A document the customer keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    /// 任务委托书 (WO-1, WO-7).
    WorkOrder,
    /// 附件交接清单 (WO-7).
    AccessoryList,
    /// 竣工出厂合格证 (IN-2).
    Certificate,
    /// 结算清单 (WO-10).
    Settlement,
}

/// Everything a document shows, as one caller may see it.
#[derive(Debug, Clone)]
pub struct DocumentData {
    /// The store.
    pub store: Store,
    /// The order.
    pub order: WorkOrder,
    /// The customer, phone masked for roles that do not need it.
    pub customer: CustomerView,
    /// The car.
    pub vehicle: Vehicle,
    /// The passed exit inspection, for the certificate.
    pub exit_inspection: Option<Inspection>,
    /// The service advisor's name (their id when not on the staff list).
    pub advisor_name: String,
    /// The exit inspector's name, for the certificate.
    pub inspector_name: Option<String>,
    /// The entry-inspection photos a browser shows (JPEG, PNG), for the work order (WO-14).
    pub entry_photos: Vec<(crate::model::attachment::ContentType, Vec<u8>)>,
}

/// A customer file still incomplete after the days CF-2 allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncompleteFile {
    /// The customer.
    pub customer_id: CustomerId,
    /// Their name.
    pub customer_name: String,
    /// The car of the first intake.
    pub vehicle_id: VehicleId,
    /// The first intake's work order number.
    pub work_order_number: String,
    /// When the customer first came in.
    pub first_intake_at: DateTime<Utc>,
    /// The store-local day by which the file was due.
    pub due_on: NaiveDate,
    /// What the file still lacks (CF-1).
    pub missing: Vec<String>,
}

/// Raw list filters as clients send them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkOrderQuery {
    /// State.
    pub status: Option<WorkOrderStatus>,
    /// Advisor (staff id).
    pub advisor: Option<String>,
    /// Plate.
    pub plate: Option<String>,
    /// VIN.
    pub vin: Option<String>,
    /// Received on or after this store-local day.
    pub created_from: Option<NaiveDate>,
    /// Received on or before this store-local day.
    pub created_to: Option<NaiveDate>,
    /// Only orders past their promised time.
    pub overdue: bool,
    /// Only orders with lines waiting for the customer.
    pub awaiting_decision: bool,
    /// Only orders whose car's 三包 counts give the owner a right (issue 14).
    pub sanbao_rights: bool,
}

impl WorkOrderQuery {
    /// Whether the query asks for a supervisor's watch list (overdue, awaiting decision), which
    /// only a supervisor may read.
    pub fn is_supervisor_list(&self) -> bool {
        self.overdue || self.awaiting_decision
    }
}

// Stays whole because the state machine reaches into lines, approvals and settlement (issue 9).
//! Work orders (任务委托书): the reception-to-delivery workflow and its rules (WO-1..WO-11).

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Validator;
use crate::value::uuid_id;
use crate::value::{CustomerId, StoreCode, VehicleId};
use crate::{DomainError, Result};

uuid_id!(
    /// Identifies a work order.
    WorkOrderId
);
uuid_id!(
    /// Identifies a line of a work order.
    LineId
);

/// Repair category (维修类别, WO-2); it decides the warranty (WO-9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RepairCategory {
    /// 整车修理.
    Overhaul,
    /// 总成修理.
    AssemblyRepair,
    /// 二级维护.
    Level2Maintenance,
    /// 一级维护.
    Level1Maintenance,
    /// 小修.
    MinorRepair,
    /// 专项修理.
    SpecialRepair,
}

/// A warranty period: whichever of the distance or the days runs out first (WO-9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarrantyTerms {
    /// Kilometres from the delivery mileage.
    pub km: u32,
    /// Days from the delivery date.
    pub days: u32,
}

impl RepairCategory {
    /// Returns the warranty terms of 《机动车维修管理规定》 for this category (WO-9).
    pub fn warranty(self) -> WarrantyTerms {
        match self {
            Self::Overhaul | Self::AssemblyRepair => WarrantyTerms { km: 20_000, days: 100 },
            Self::Level2Maintenance => WarrantyTerms { km: 5_000, days: 30 },
            Self::Level1Maintenance | Self::MinorRepair | Self::SpecialRepair => {
                WarrantyTerms { km: 2_000, days: 10 }
            }
        }
    }

    /// Whether the exit inspection must include a road test (IN-2).
    pub fn needs_road_test(self) -> bool {
        matches!(self, Self::Overhaul | Self::AssemblyRepair | Self::Level2Maintenance)
    }

    /// Returns the Chinese name printed on documents.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Overhaul => "整车修理",
            Self::AssemblyRepair => "总成修理",
            Self::Level2Maintenance => "二级维护",
            Self::Level1Maintenance => "一级维护",
            Self::MinorRepair => "小修",
            Self::SpecialRepair => "专项修理",
        }
    }
}

/// Where a warranty ends, fixed at delivery (WO-9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarrantyEnd {
    /// Last store-local day covered.
    pub until_date: NaiveDate,
    /// Last odometer reading covered.
    pub until_km: u32,
}

impl WarrantyEnd {
    /// Computes the end from the delivery day and mileage (WO-9).
    pub fn from_delivery(category: RepairCategory, delivered_on: NaiveDate, delivered_km: u32) -> Self {
        let terms = category.warranty();
        Self {
            until_date: delivered_on
                .checked_add_days(Days::new(u64::from(terms.days)))
                .unwrap_or(delivered_on),
            until_km: delivered_km.saturating_add(terms.km),
        }
    }

    /// Whether a car back on `day` with `km` on the clock is still covered (WO-9: both must hold).
    pub fn covers(&self, day: NaiveDate, km: u32) -> bool {
        day <= self.until_date && km <= self.until_km
    }
}

/// The states of a work order (WO-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WorkOrderStatus {
    /// Received; diagnosis and quote.
    Open,
    /// Quote given, waiting for the customer.
    AwaitingApproval,
    /// Customer signed.
    Approved,
    /// In the workshop.
    InProgress,
    /// All approved lines done, self-check recorded.
    WorkCompleted,
    /// Exit inspection passed, customer notified.
    ReadyForPickup,
    /// Handed back and settled.
    Delivered,
    /// Cancelled before work started.
    Cancelled,
}

impl WorkOrderStatus {
    /// Returns the wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::AwaitingApproval => "awaiting_approval",
            Self::Approved => "approved",
            Self::InProgress => "in_progress",
            Self::WorkCompleted => "work_completed",
            Self::ReadyForPickup => "ready_for_pickup",
            Self::Delivered => "delivered",
            Self::Cancelled => "cancelled",
        }
    }
}

/// Fuel gauge at intake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FuelLevel {
    /// Reserve.
    Empty,
    /// A quarter.
    Quarter,
    /// Half.
    Half,
    /// Three quarters.
    ThreeQuarters,
    /// Full.
    Full,
}

/// Labour or a part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Work, priced by hours and rate.
    Labour,
    /// A part, priced by quantity and unit price.
    Part,
}

/// Whether a line was on the first quote or added during work (WO-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LineOrigin {
    /// On the first quote.
    Initial,
    /// Added from a finding during work.
    Additional,
}

/// Where a line stands (WO-5, WO-11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    /// Waiting for the customer's decision.
    Proposed,
    /// The customer agreed; it may be worked.
    Approved,
    /// The customer said no; kept on record.
    Declined,
    /// Worked.
    Done,
}

/// What happened to the replaced part (WO-6, old-for-new).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum OldPartDisposition {
    /// Handed back to the stores department (old for new).
    ReturnedToStores,
    /// The customer took it.
    GivenToCustomer,
    /// Sent for recycling.
    Recycled,
    /// Nothing was replaced.
    NotApplicable,
}

/// How the customer gave a decision (WO-11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ApprovalMethod {
    /// At the counter, signed.
    InPerson,
    /// On the phone.
    Phone,
    /// Through a signed link.
    SignedLink,
}

/// One line of work or one part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkOrderLine {
    /// Id.
    pub id: LineId,
    /// Labour or part.
    pub kind: LineKind,
    /// Operation code (labour) or part code (part).
    pub code: String,
    /// What is done, or the part's name.
    pub description: String,
    /// Labour hours in hundredths (150 = 1.5 h).
    pub hours_hundredths: u32,
    /// Labour rate per hour, fen.
    pub rate_fen: i64,
    /// Part quantity in thousandths (4500 = 4.5 L).
    pub quantity_milli: u32,
    /// Part unit price, fen.
    pub unit_price_fen: i64,
    /// What happened to the old part (parts only).
    pub old_part: Option<OldPartDisposition>,
    /// The line's amount, fen, computed (WO-8).
    pub amount_fen: i64,
    /// On the first quote or added later.
    pub origin: LineOrigin,
    /// Where it stands.
    pub status: LineStatus,
    /// Technician assigned.
    pub technician: Option<String>,
    /// The finding it comes from (additional lines, WO-5).
    pub finding: Option<String>,
    /// The estimate version that first showed it.
    pub estimate_version: u32,
    /// Why the customer declined it.
    pub decline_reason: Option<String>,
}

/// A line as a client describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    /// Labour or part.
    pub kind: LineKind,
    /// Operation code or part code.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 32))]
    pub code: String,
    /// Description or part name.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub description: String,
    /// Labour hours, up to 2 decimals (labour only).
    pub hours: Option<f64>,
    /// Labour rate per hour, fen (labour only).
    pub rate_fen: Option<i64>,
    /// Part quantity, up to 3 decimals (parts only).
    pub quantity: Option<f64>,
    /// Part unit price, fen (parts only).
    pub unit_price_fen: Option<i64>,
    /// Old-part disposition (parts only).
    pub old_part: Option<OldPartDisposition>,
    /// Technician to do it (staff id).
    pub technician: Option<String>,
}

/// Largest price or rate accepted, fen (10 million yuan).
pub const MAX_PRICE_FEN: i64 = 1_000_000_000;

/// Converts a decimal quantity to an integer count of `1/scale` units, refusing finer fractions.
fn fixed(v: &mut Validator, field: &str, value: f64, scale: u32, max: f64) -> u32 {
    let scaled = value * f64::from(scale);
    let rounded = scaled.round();
    if !value.is_finite() || value <= 0.0 || value > max {
        v.push(field, format!("must be more than 0 and at most {max}"));
        return 0;
    }
    if (scaled - rounded).abs() > 1e-6 {
        let decimals = scale.ilog10();
        v.push(field, format!("must have at most {decimals} decimals"));
        return 0;
    }
    // In range: `rounded` is a positive integer below u32::MAX.
    rounded as u32
}

/// Divides rounding half away from zero, so amounts are exact to the fen (WO-8).
pub fn div_round(numerator: i128, denominator: i128) -> i128 {
    let half = denominator / 2;
    if numerator >= 0 { (numerator + half) / denominator } else { (numerator - half) / denominator }
}

/// Computes a labour line's amount: hours x rate, rounded to the fen (WO-8).
pub fn labour_amount(hours_hundredths: u32, rate_fen: i64) -> i64 {
    i64::try_from(div_round(i128::from(hours_hundredths) * i128::from(rate_fen), 100)).unwrap_or(i64::MAX)
}

/// Computes a part line's amount: quantity x unit price, rounded to the fen (WO-8).
pub fn part_amount(quantity_milli: u32, unit_price_fen: i64) -> i64 {
    i64::try_from(div_round(i128::from(quantity_milli) * i128::from(unit_price_fen), 1000))
        .unwrap_or(i64::MAX)
}

/// Builds a line from client input; errors are recorded under `field` (e.g. `lines[2]`).
pub fn build_line(
    v: &mut Validator,
    field: &str,
    input: &LineInput,
    origin: LineOrigin,
    estimate_version: u32,
    finding: Option<String>,
) -> WorkOrderLine {
    let code = input.code.trim();
    if code.is_empty() || code.chars().count() > 32 || crate::value::has_control_chars(code) {
        v.push(format!("{field}.code"), "must be 1 to 32 characters");
    }
    let description =
        crate::model::store::check_text(v, &format!("{field}.description"), &input.description, 200);
    let price = |v: &mut Validator, name: &str, value: Option<i64>| match value {
        Some(p) if (0..=MAX_PRICE_FEN).contains(&p) => p,
        Some(_) => {
            v.push(format!("{field}.{name}"), format!("must be between 0 and {MAX_PRICE_FEN} fen"));
            0
        }
        None => {
            v.push(format!("{field}.{name}"), "is required");
            0
        }
    };
    let forbid = |v: &mut Validator, name: &str, present: bool, kind: &str| {
        if present {
            v.push(format!("{field}.{name}"), format!("does not apply to a {kind} line"));
        }
    };
    let (mut hours_hundredths, mut rate_fen, mut quantity_milli, mut unit_price_fen) = (0, 0, 0, 0);
    let mut old_part = None;
    match input.kind {
        LineKind::Labour => {
            match input.hours {
                Some(h) => hours_hundredths = fixed(v, &format!("{field}.hours"), h, 100, 1000.0),
                None => v.push(format!("{field}.hours"), "is required for labour"),
            }
            rate_fen = price(v, "rate_fen", input.rate_fen);
            forbid(v, "quantity", input.quantity.is_some(), "labour");
            forbid(v, "unit_price_fen", input.unit_price_fen.is_some(), "labour");
            forbid(v, "old_part", input.old_part.is_some(), "labour");
        }
        LineKind::Part => {
            match input.quantity {
                Some(q) => quantity_milli = fixed(v, &format!("{field}.quantity"), q, 1000, 100_000.0),
                None => v.push(format!("{field}.quantity"), "is required for a part"),
            }
            unit_price_fen = price(v, "unit_price_fen", input.unit_price_fen);
            old_part = Some(input.old_part.unwrap_or(OldPartDisposition::ReturnedToStores));
            forbid(v, "hours", input.hours.is_some(), "part");
            forbid(v, "rate_fen", input.rate_fen.is_some(), "part");
        }
    }
    let technician = crate::value::non_empty(input.technician.clone());
    if let Some(t) = &technician
        && !crate::model::store::is_staff_id(t)
    {
        v.push(format!("{field}.technician"), "is not a staff id");
    }
    let amount_fen = match input.kind {
        LineKind::Labour => labour_amount(hours_hundredths, rate_fen),
        LineKind::Part => part_amount(quantity_milli, unit_price_fen),
    };
    WorkOrderLine {
        id: LineId::generate(),
        kind: input.kind,
        code: code.to_string(),
        description,
        hours_hundredths,
        rate_fen,
        quantity_milli,
        unit_price_fen,
        old_part,
        amount_fen,
        origin,
        status: LineStatus::Proposed,
        technician,
        finding,
        estimate_version,
        decline_reason: None,
    }
}

/// Money totals of a work order, fen (WO-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Totals {
    /// Labour the customer agreed to (approved and done lines).
    pub labour_fen: i64,
    /// Parts the customer agreed to.
    pub parts_fen: i64,
    /// Labour plus parts.
    pub total_fen: i64,
    /// Still waiting for a decision (proposed lines).
    pub pending_fen: i64,
}

/// Sums the lines: agreed (approved, done) and pending (proposed); declined lines count nowhere.
pub fn totals(lines: &[WorkOrderLine]) -> Totals {
    let mut t = Totals::default();
    for line in lines {
        match (line.status, line.kind) {
            (LineStatus::Approved | LineStatus::Done, LineKind::Labour) => t.labour_fen += line.amount_fen,
            (LineStatus::Approved | LineStatus::Done, LineKind::Part) => t.parts_fen += line.amount_fen,
            (LineStatus::Proposed, LineKind::Labour | LineKind::Part) => t.pending_fen += line.amount_fen,
            (LineStatus::Declined, LineKind::Labour | LineKind::Part) => {}
        }
    }
    t.total_fen = t.labour_fen + t.parts_fen;
    t
}

/// One decision of the customer on one line (WO-11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LineDecision {
    /// The line.
    pub line_id: LineId,
    /// Agreed (true) or declined (false).
    pub approved: bool,
    /// Why, for a decline.
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub reason: Option<String>,
}

/// A recorded customer approval of an estimate version (WO-11).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
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

/// How the customer paid (WO-10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    /// 现金.
    Cash,
    /// 银行卡.
    BankCard,
    /// 微信支付.
    WechatPay,
    /// 支付宝.
    Alipay,
    /// 转账.
    BankTransfer,
    /// 保险理赔.
    Insurance,
    /// Nothing to pay (e.g. a warranty comeback).
    Waived,
}

impl PaymentMethod {
    /// Returns the Chinese name printed on the settlement.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Cash => "现金",
            Self::BankCard => "银行卡",
            Self::WechatPay => "微信支付",
            Self::Alipay => "支付宝",
            Self::BankTransfer => "转账",
            Self::Insurance => "保险理赔",
            Self::Waived => "免费",
        }
    }
}

/// A labour line as settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettledLabour {
    /// Operation code.
    pub code: String,
    /// What was done.
    pub description: String,
    /// Hours in hundredths.
    pub hours_hundredths: u32,
    /// Rate per hour, fen.
    pub rate_fen: i64,
    /// Amount, fen.
    pub amount_fen: i64,
}

/// A part as settled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SettledPart {
    /// Part code.
    pub code: String,
    /// Part name.
    pub name: String,
    /// Quantity in thousandths.
    pub quantity_milli: u32,
    /// Unit price, fen.
    pub unit_price_fen: i64,
    /// Amount, fen.
    pub amount_fen: i64,
    /// What happened to the old part (WO-6).
    pub old_part: Option<OldPartDisposition>,
}

/// The settlement (结算清单, JT/T 1133), frozen at delivery and never changed (WO-10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Settlement {
    /// Settlement number, unique per store.
    pub number: String,
    /// When it was settled.
    pub settled_at: DateTime<Utc>,
    /// Store code.
    pub store_code: String,
    /// Store name.
    pub store_name: String,
    /// Customer name.
    pub customer_name: String,
    /// Customer phone, masked.
    pub customer_phone: String,
    /// Company, for fleet customers.
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
    /// Completion certificate number.
    pub certificate_number: String,
    /// Labour, line by line.
    pub labour: Vec<SettledLabour>,
    /// Parts, line by line.
    pub parts: Vec<SettledPart>,
    /// Labour total, fen.
    pub labour_fen: i64,
    /// Parts total, fen.
    pub parts_fen: i64,
    /// Labour plus parts, fen.
    pub total_fen: i64,
    /// Discount, fen.
    pub discount_fen: i64,
    /// Amount due, fen.
    pub amount_due_fen: i64,
    /// Amount paid, fen.
    pub amount_paid_fen: i64,
    /// How it was paid.
    pub payment_method: PaymentMethod,
    /// Warranty end (WO-9).
    pub warranty_until_date: NaiveDate,
    /// Warranty end odometer (WO-9).
    pub warranty_until_km: u32,
}

/// Who is named on a settlement, as they were at delivery (WO-10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementParties {
    /// Store name.
    pub store_name: String,
    /// Customer name.
    pub customer_name: String,
    /// Customer phone, masked.
    pub customer_phone: String,
    /// Customer company.
    pub customer_company: Option<String>,
    /// Make and model.
    pub vehicle_model: String,
}

/// What the front desk records about the payment at delivery (WO-10).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// Discount, fen.
    pub discount_fen: i64,
    /// Amount paid, fen.
    pub amount_paid_fen: i64,
    /// How.
    pub method: PaymentMethod,
}

/// Checks a payment against the agreed total and returns the amount due (WO-8, WO-10).
pub fn check_payment(total_fen: i64, payment: &Payment) -> Result<i64> {
    let mut v = Validator::new();
    if !(0..=total_fen).contains(&payment.discount_fen) {
        v.push("discount_fen", format!("must be between 0 and the total of {total_fen} fen"));
    }
    let due = total_fen - payment.discount_fen.clamp(0, total_fen);
    if payment.amount_paid_fen != due {
        v.push("amount_paid_fen", format!("must equal the amount due, {due} fen"));
    }
    if (due == 0) != (payment.method == PaymentMethod::Waived) {
        v.push(
            "payment_method",
            if due == 0 { "must be waived when nothing is due" } else { "waived is only for nothing due" },
        );
    }
    v.finish()?;
    Ok(due)
}

/// An item left with the store for a long repair (附件交接清单, WO-7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Accessory {
    /// What it is.
    pub name: String,
    /// How many.
    pub quantity: u32,
    /// Where the store keeps it.
    pub stored_at: String,
    /// When it was handed back.
    pub returned_at: Option<DateTime<Utc>>,
}

/// An item as the advisor lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AccessoryInput {
    /// What it is.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// How many; default 1.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1000))]
    pub quantity: Option<u32>,
    /// Where the store keeps it.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub stored_at: String,
}

/// A document the customer signs (WO-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SignedDocument {
    /// The work order (任务委托书).
    WorkOrder,
    /// The accessory handover list (附件交接清单).
    AccessoryList,
    /// The settlement (结算清单).
    Settlement,
}

/// How a signature was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SignatureMethod {
    /// On a signature pad at the counter.
    SignaturePad,
    /// On paper, scanned.
    Paper,
    /// Through a signed link.
    SignedLink,
}

/// A customer's signature on a document (WO-7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Signature {
    /// What was signed.
    pub document: SignedDocument,
    /// Who signed.
    pub signer: String,
    /// How.
    pub method: SignatureMethod,
    /// When.
    pub signed_at: DateTime<Utc>,
    /// Who recorded it.
    pub recorded_by: String,
}

/// A move of the state machine, kept for the record (WO-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusEvent {
    /// The step, e.g. `submit_quote`.
    pub action: String,
    /// From.
    pub from: WorkOrderStatus,
    /// To.
    pub to: WorkOrderStatus,
    /// Who.
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
    /// A reason or note, where the step has one.
    pub note: Option<String>,
}

/// A work order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkOrder {
    /// Id.
    pub id: WorkOrderId,
    /// Store.
    pub store: StoreCode,
    /// Human number, unique per store, e.g. `SH001-2026-000123`.
    pub number: String,
    /// Customer.
    pub customer_id: CustomerId,
    /// Vehicle.
    pub vehicle_id: VehicleId,
    /// Plate on the vehicle at intake, for the technician's check (WO-4).
    pub plate: Option<String>,
    /// VIN at intake.
    pub vin: String,
    /// The service advisor (staff id).
    pub advisor: String,
    /// State (WO-3).
    pub status: WorkOrderStatus,
    /// The customer's own account of the fault (WO-1).
    pub fault_description: String,
    /// Odometer at intake.
    pub intake_mileage_km: u32,
    /// Fuel at intake.
    pub fuel_level: Option<FuelLevel>,
    /// Repair category (WO-2).
    pub repair_category: RepairCategory,
    /// When the car is promised back.
    pub promised_at: DateTime<Utc>,
    /// Lines of work and parts.
    pub lines: Vec<WorkOrderLine>,
    /// Current estimate version; 0 before the first quote (WO-11).
    pub estimate_version: u32,
    /// Customer decisions, oldest first (WO-11).
    pub approvals: Vec<Approval>,
    /// Whether an entry inspection was submitted (IN-1).
    pub entry_inspected: bool,
    /// Failed exit inspections so far (IN-2).
    pub rework_count: u32,
    /// Whether the latest exit inspection passed (IN-2).
    pub exit_passed: bool,
    /// Completion certificate number, once issued (IN-2).
    pub certificate_number: Option<String>,
    /// Technician's self-check notes (WO-3).
    pub self_check_notes: Option<String>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// The earlier order this is a comeback of (WO-9).
    pub comeback_of: Option<WorkOrderId>,
    /// When the car was handed back.
    pub delivered_at: Option<DateTime<Utc>>,
    /// Where the warranty ends, fixed at delivery (WO-9).
    pub warranty: Option<WarrantyEnd>,
    /// Walk-around notes, questions and usage advice at pickup (IN-4).
    pub walkaround_notes: Option<String>,
    /// The settlement, frozen at delivery (WO-10).
    pub settlement: Option<Settlement>,
    /// Items left with the store (WO-7).
    #[serde(default)]
    pub accessories: Vec<Accessory>,
    /// Customer signatures (WO-7).
    #[serde(default)]
    pub signatures: Vec<Signature>,
    /// Moves so far (WO-3).
    pub events: Vec<StatusEvent>,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Received.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Filters for listing work orders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkOrderFilter {
    /// Only in these states.
    pub status: Option<WorkOrderStatus>,
    /// Only this advisor's.
    pub advisor: Option<String>,
    /// Only this plate.
    pub plate: Option<String>,
    /// Only this VIN.
    pub vin: Option<String>,
    /// Received at or after.
    pub created_from: Option<DateTime<Utc>>,
    /// Received before.
    pub created_to: Option<DateTime<Utc>>,
    /// Only orders past their promised time and not yet handed back, as of this instant.
    pub overdue_at: Option<DateTime<Utc>>,
    /// Only orders with lines waiting for the customer's decision.
    pub awaiting_decision: bool,
}

fn refuse(step: &str, status: WorkOrderStatus, why: &str) -> DomainError {
    DomainError::FailedPrecondition {
        code: "work_order.invalid_transition",
        message: format!("cannot {step} a work order that is {}: {why}", status.as_str()),
    }
}

impl WorkOrder {
    /// Returns the money totals (WO-8).
    pub fn totals(&self) -> Totals {
        totals(&self.lines)
    }

    fn require(&self, step: &str, allowed: &[WorkOrderStatus], why: &str) -> Result<()> {
        if allowed.contains(&self.status) { Ok(()) } else { Err(refuse(step, self.status, why)) }
    }

    fn line_mut(&mut self, id: LineId, field: &str) -> Result<&mut WorkOrderLine> {
        self.lines
            .iter_mut()
            .find(|l| l.id == id)
            .ok_or_else(|| DomainError::invalid(field, format!("line {id} is not on this work order")))
    }

    fn record(
        &mut self,
        action: &str,
        to: WorkOrderStatus,
        actor: &str,
        at: DateTime<Utc>,
        note: Option<String>,
    ) {
        self.events.push(StatusEvent {
            action: action.to_string(),
            from: self.status,
            to,
            actor: actor.to_string(),
            at,
            note,
        });
        self.status = to;
    }

    /// Gives the customer the quote: every line is proposed in a new estimate version (WO-3, WO-11).
    pub fn submit_quote(&mut self, actor: &str, at: DateTime<Utc>) -> Result<()> {
        self.require("submit-quote", &[WorkOrderStatus::Open], "only an open order is quoted")?;
        if self.lines.is_empty() {
            return Err(refuse("submit-quote", self.status, "the quote has no lines"));
        }
        self.estimate_version += 1;
        self.record("submit_quote", WorkOrderStatus::AwaitingApproval, actor, at, None);
        Ok(())
    }

    /// Applies the customer's per-line decisions on the version they saw (WO-11).
    fn decide(&mut self, version_seen: u32, decisions: &[LineDecision], proposed_only: bool) -> Result<()> {
        if version_seen != self.estimate_version {
            return Err(DomainError::FailedPrecondition {
                code: "work_order.estimate_outdated",
                message: format!(
                    "the customer saw estimate version {version_seen}, but the current one is {}; show them the new one",
                    self.estimate_version
                ),
            });
        }
        if decisions.is_empty() {
            return Err(DomainError::invalid("decisions", "needs at least one line decision"));
        }
        let mut v = Validator::new();
        for (i, d) in decisions.iter().enumerate() {
            if decisions[..i].iter().any(|e| e.line_id == d.line_id) {
                v.push(format!("decisions[{i}].line_id"), "is decided twice");
            }
            if !d.approved && d.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                v.push(format!("decisions[{i}].reason"), "a decline needs the customer's reason");
            }
            crate::model::store::check_optional_text(
                &mut v,
                &format!("decisions[{i}].reason"),
                d.reason.as_deref(),
                500,
            );
        }
        v.finish()?;
        for (i, d) in decisions.iter().enumerate() {
            let line = self.line_mut(d.line_id, &format!("decisions[{i}].line_id"))?;
            if proposed_only && line.status != LineStatus::Proposed {
                return Err(DomainError::invalid(
                    format!("decisions[{i}].line_id"),
                    "only a proposed line waits for a decision",
                ));
            }
            line.status = if d.approved { LineStatus::Approved } else { LineStatus::Declined };
            line.decline_reason = if d.approved { None } else { crate::value::non_empty(d.reason.clone()) };
        }
        Ok(())
    }

    /// Records the customer's signature on the quote; needs the entry inspection (WO-3, WO-11, IN-1).
    pub fn approve(&mut self, approval: Approval) -> Result<()> {
        self.require("approve", &[WorkOrderStatus::AwaitingApproval], "only a quoted order is approved")?;
        if !self.entry_inspected {
            return Err(refuse("approve", self.status, "the entry inspection (IN-1) has not been submitted"));
        }
        let mut next = self.clone();
        next.decide(approval.estimate_version, &approval.decisions, false)?;
        if next.lines.iter().any(|l| l.status == LineStatus::Proposed) {
            return Err(DomainError::invalid("decisions", "every line of the quote needs a decision"));
        }
        if !next.lines.iter().any(|l| l.status == LineStatus::Approved) {
            return Err(refuse("approve", self.status, "every line was declined; cancel the order instead"));
        }
        let (actor, at) = (approval.recorded_by.clone(), approval.recorded_at);
        next.approvals.push(approval);
        next.record("approve", WorkOrderStatus::Approved, &actor, at, None);
        *self = next;
        Ok(())
    }

    /// Cancels an order before work starts, with a reason (WO-3).
    pub fn cancel(&mut self, reason: &str, actor: &str, at: DateTime<Utc>) -> Result<()> {
        self.require(
            "cancel",
            &[WorkOrderStatus::Open, WorkOrderStatus::AwaitingApproval, WorkOrderStatus::Approved],
            "work has started",
        )?;
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(DomainError::invalid("reason", "a cancellation needs a reason"));
        }
        self.cancel_reason = Some(reason.to_string());
        self.record("cancel", WorkOrderStatus::Cancelled, actor, at, Some(reason.to_string()));
        Ok(())
    }

    /// Starts work once the technician confirmed the plate matches the car (WO-4).
    pub fn start(&mut self, confirmed_plate: &str, actor: &str, at: DateTime<Utc>) -> Result<()> {
        self.require("start", &[WorkOrderStatus::Approved], "only an approved order goes into the workshop")?;
        let seen: String = confirmed_plate.chars().filter(|c| !c.is_whitespace() && *c != '·').collect();
        let expected = self.plate.clone().unwrap_or_else(|| self.vin.clone());
        if !seen.eq_ignore_ascii_case(&expected) {
            return Err(DomainError::FailedPrecondition {
                code: "work_order.plate_mismatch",
                message: format!(
                    "the plate confirmed ({seen}) is not the one on the order; check the car before starting (WO-4)"
                ),
            });
        }
        self.record("start", WorkOrderStatus::InProgress, actor, at, None);
        Ok(())
    }

    /// Revises the estimate before the customer signs: lines added, changed (same id) or removed,
    /// a new estimate version each time. A quote already given goes back to `open` to be quoted
    /// again, so the customer never signs a version they did not see (WO-1, WO-11).
    pub fn revise_estimate(
        &mut self,
        add: Vec<WorkOrderLine>,
        change: Vec<(LineId, WorkOrderLine)>,
        remove: &[LineId],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.require(
            "revise-estimate",
            &[WorkOrderStatus::Open, WorkOrderStatus::AwaitingApproval],
            "the estimate is revised only before the customer signs",
        )?;
        if add.is_empty() && change.is_empty() && remove.is_empty() {
            return Err(DomainError::invalid("add", "add, change or remove at least one line"));
        }
        let mut v = Validator::new();
        for (i, (id, _)) in change.iter().enumerate() {
            if !self.lines.iter().any(|l| l.id == *id) {
                v.push(format!("change[{i}].line_id"), format!("line {id} is not on this work order"));
            } else if change[..i].iter().any(|(other, _)| other == id) || remove.contains(id) {
                v.push(format!("change[{i}].line_id"), "is changed or removed twice");
            }
        }
        for (i, id) in remove.iter().enumerate() {
            if !self.lines.iter().any(|l| l.id == *id) {
                v.push(format!("remove[{i}]"), format!("line {id} is not on this work order"));
            } else if remove[..i].contains(id) {
                v.push(format!("remove[{i}]"), "is removed twice");
            }
        }
        v.finish()?;
        self.estimate_version += 1;
        let version = self.estimate_version;
        self.lines.retain(|l| !remove.contains(&l.id));
        for (id, mut line) in change {
            if let Some(slot) = self.lines.iter_mut().find(|l| l.id == id) {
                line.id = id;
                line.origin = slot.origin;
                line.estimate_version = version;
                *slot = line;
            }
        }
        for line in &mut self.lines {
            // Everything on the revised estimate waits for the customer again.
            line.status = LineStatus::Proposed;
            line.decline_reason = None;
        }
        self.lines.extend(add.into_iter().map(|mut l| {
            l.estimate_version = version;
            l
        }));
        let note = Some(format!("estimate version {version}"));
        self.record("revise_estimate", WorkOrderStatus::Open, actor, at, note);
        Ok(())
    }

    /// Adds lines found during work; they stay proposed until the customer decides (WO-5).
    pub fn propose_lines(&mut self, lines: Vec<WorkOrderLine>, actor: &str, at: DateTime<Utc>) -> Result<()> {
        self.require("propose-lines", &[WorkOrderStatus::InProgress], "lines are added only during work")?;
        if lines.is_empty() {
            return Err(DomainError::invalid("lines", "needs at least one line"));
        }
        self.estimate_version += 1;
        let version = self.estimate_version;
        self.lines.extend(lines.into_iter().map(|mut l| {
            l.estimate_version = version;
            l
        }));
        let status = self.status;
        self.record("propose_lines", status, actor, at, None);
        Ok(())
    }

    /// Records the customer's decision on proposed lines (WO-5, WO-11).
    pub fn record_approval(&mut self, approval: Approval) -> Result<()> {
        self.require("record-approval", &[WorkOrderStatus::InProgress], "nothing waits for a decision")?;
        let mut next = self.clone();
        next.decide(approval.estimate_version, &approval.decisions, true)?;
        let (actor, at) = (approval.recorded_by.clone(), approval.recorded_at);
        next.approvals.push(approval);
        let status = next.status;
        next.record("record_approval", status, &actor, at, None);
        *self = next;
        Ok(())
    }

    /// Marks an approved line as worked; proposed or declined lines cannot be (WO-5).
    pub fn complete_line(&mut self, line: LineId, actor: &str, at: DateTime<Utc>) -> Result<()> {
        self.require(
            "complete-line",
            &[WorkOrderStatus::InProgress],
            "lines are worked only in the workshop",
        )?;
        let target = self.line_mut(line, "line_id")?;
        match target.status {
            LineStatus::Approved => target.status = LineStatus::Done,
            LineStatus::Done => {}
            LineStatus::Proposed | LineStatus::Declined => {
                return Err(DomainError::FailedPrecondition {
                    code: "work_order.line_not_approved",
                    message: format!(
                        "line {line} is {}; only a line the customer approved may be worked (WO-5)",
                        match target.status {
                            LineStatus::Proposed => "proposed",
                            LineStatus::Approved | LineStatus::Done | LineStatus::Declined => "declined",
                        }
                    ),
                });
            }
        }
        let status = self.status;
        self.record("complete_line", status, actor, at, Some(line.to_string()));
        Ok(())
    }

    /// Closes the work with the technician's self-check (WO-3).
    pub fn complete_work(&mut self, self_check: &str, actor: &str, at: DateTime<Utc>) -> Result<()> {
        self.require("complete-work", &[WorkOrderStatus::InProgress], "only work in progress is completed")?;
        if self.lines.iter().any(|l| l.status == LineStatus::Proposed) {
            return Err(refuse(
                "complete-work",
                self.status,
                "proposed lines still wait for the customer's decision",
            ));
        }
        if self.lines.iter().any(|l| l.status == LineStatus::Approved) {
            return Err(refuse("complete-work", self.status, "approved lines are not done yet"));
        }
        let notes = self_check.trim();
        if notes.is_empty() {
            return Err(DomainError::invalid("self_check_notes", "the technician's self-check is required"));
        }
        self.self_check_notes = Some(notes.to_string());
        self.exit_passed = false;
        self.record("complete_work", WorkOrderStatus::WorkCompleted, actor, at, None);
        Ok(())
    }

    /// Applies a submitted exit inspection: pass issues the certificate, fail sends the car back (IN-2).
    pub fn apply_exit_inspection(
        &mut self,
        passed: bool,
        failed_lines: &[LineId],
        certificate: Option<String>,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.require("inspect", &[WorkOrderStatus::WorkCompleted], "only completed work is inspected")?;
        if passed {
            self.exit_passed = true;
            self.certificate_number = certificate;
            let status = self.status;
            self.record("exit_inspection_passed", status, actor, at, None);
        } else {
            for id in failed_lines {
                if let Ok(line) = self.line_mut(*id, "results") {
                    line.status = LineStatus::Approved;
                }
            }
            self.rework_count += 1;
            self.exit_passed = false;
            self.record("exit_inspection_failed", WorkOrderStatus::InProgress, actor, at, None);
        }
        Ok(())
    }

    /// Tells the customer the car is ready; needs the passed exit inspection (WO-3).
    pub fn notify_customer(&mut self, actor: &str, at: DateTime<Utc>) -> Result<()> {
        self.require("notify-customer", &[WorkOrderStatus::WorkCompleted], "the work is not completed")?;
        if !self.exit_passed || self.certificate_number.is_none() {
            return Err(refuse("notify-customer", self.status, "the exit inspection has not passed (IN-2)"));
        }
        self.record("notify_customer", WorkOrderStatus::ReadyForPickup, actor, at, None);
        Ok(())
    }

    /// Hands the car back; refused without a passed exit inspection and certificate (WO-10).
    /// The warranty starts on the store-local `delivered_on` day (WO-9).
    pub fn deliver(
        &mut self,
        walkaround_notes: &str,
        accessories_returned: bool,
        delivered_on: NaiveDate,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.require("deliver", &[WorkOrderStatus::ReadyForPickup], "the car is not ready for pickup")?;
        if !self.exit_passed || self.certificate_number.is_none() {
            return Err(refuse("deliver", self.status, "no passed exit inspection and certificate (WO-10)"));
        }
        if !self.accessories.is_empty() && !accessories_returned {
            return Err(DomainError::invalid(
                "accessories_returned",
                "the customer confirms the listed accessories were handed back (WO-7)",
            ));
        }
        let notes = walkaround_notes.trim();
        if notes.is_empty() {
            return Err(DomainError::invalid(
                "walkaround_notes",
                "the walk-around with the customer is recorded (IN-4)",
            ));
        }
        self.walkaround_notes = Some(notes.to_string());
        self.delivered_at = Some(at);
        for item in &mut self.accessories {
            item.returned_at = Some(at);
        }
        self.warranty =
            Some(WarrantyEnd::from_delivery(self.repair_category, delivered_on, self.intake_mileage_km));
        self.record("deliver", WorkOrderStatus::Delivered, actor, at, None);
        Ok(())
    }

    /// Lists items the customer leaves with the store (WO-7); before the car is handed back.
    pub fn add_accessories(
        &mut self,
        items: &[AccessoryInput],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        use WorkOrderStatus::{Cancelled, Delivered};
        if matches!(self.status, Delivered | Cancelled) {
            return Err(refuse("record-accessories", self.status, "the car is no longer with the store"));
        }
        let mut v = Validator::new();
        if items.is_empty() {
            v.push("items", "needs at least one item");
        }
        let added: Vec<Accessory> = items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                let name =
                    crate::model::store::check_text(&mut v, &format!("items[{i}].name"), &item.name, 100);
                let stored_at = crate::model::store::check_text(
                    &mut v,
                    &format!("items[{i}].stored_at"),
                    &item.stored_at,
                    100,
                );
                let quantity = item.quantity.unwrap_or(1);
                if !(1..=1000).contains(&quantity) {
                    v.push(format!("items[{i}].quantity"), "must be between 1 and 1000");
                }
                Accessory { name, quantity, stored_at, returned_at: None }
            })
            .collect();
        v.finish()?;
        self.accessories.extend(added);
        let status = self.status;
        self.record("record_accessories", status, actor, at, None);
        Ok(())
    }

    /// Records the customer's signature on a document (WO-7).
    pub fn sign(&mut self, signature: Signature) -> Result<()> {
        let needs = match signature.document {
            SignedDocument::WorkOrder => None,
            SignedDocument::AccessoryList => {
                self.accessories.is_empty().then_some("there is no accessory list")
            }
            SignedDocument::Settlement => self.settlement.is_none().then_some("there is no settlement yet"),
        };
        if self.status == WorkOrderStatus::Cancelled {
            return Err(refuse("record-signature", self.status, "the order was cancelled"));
        }
        if let Some(why) = needs {
            return Err(refuse("record-signature", self.status, why));
        }
        let signer = signature.signer.trim();
        if signer.is_empty() || signer.chars().count() > 100 || crate::value::has_control_chars(signer) {
            return Err(DomainError::invalid("signer", "must be the signer's name, 1 to 100 characters"));
        }
        self.signatures.push(Signature { signer: signer.to_string(), ..signature });
        Ok(())
    }

    /// Freezes the settlement of a just-delivered order (WO-10); the order never changes again.
    pub fn settle(&mut self, parties: SettlementParties, number: String, payment: &Payment) -> Result<()> {
        let (Some(warranty), Some(certificate), Some(settled_at)) =
            (self.warranty, self.certificate_number.clone(), self.delivered_at)
        else {
            return Err(refuse("settle", self.status, "the order is not delivered"));
        };
        let totals = self.totals();
        let due = check_payment(totals.total_fen, payment)?;
        let agreed = |l: &&WorkOrderLine| matches!(l.status, LineStatus::Done | LineStatus::Approved);
        self.settlement = Some(Settlement {
            number,
            settled_at,
            store_code: self.store.to_string(),
            store_name: parties.store_name,
            customer_name: parties.customer_name,
            customer_phone: parties.customer_phone,
            customer_company: parties.customer_company,
            plate: self.plate.clone(),
            vin: self.vin.clone(),
            vehicle_model: parties.vehicle_model,
            repair_category: self.repair_category,
            intake_at: self.created_at,
            intake_mileage_km: self.intake_mileage_km,
            certificate_number: certificate,
            labour: self
                .lines
                .iter()
                .filter(agreed)
                .filter(|l| l.kind == LineKind::Labour)
                .map(|l| SettledLabour {
                    code: l.code.clone(),
                    description: l.description.clone(),
                    hours_hundredths: l.hours_hundredths,
                    rate_fen: l.rate_fen,
                    amount_fen: l.amount_fen,
                })
                .collect(),
            parts: self
                .lines
                .iter()
                .filter(agreed)
                .filter(|l| l.kind == LineKind::Part)
                .map(|l| SettledPart {
                    code: l.code.clone(),
                    name: l.description.clone(),
                    quantity_milli: l.quantity_milli,
                    unit_price_fen: l.unit_price_fen,
                    amount_fen: l.amount_fen,
                    old_part: l.old_part,
                })
                .collect(),
            labour_fen: totals.labour_fen,
            parts_fen: totals.parts_fen,
            total_fen: totals.total_fen,
            discount_fen: payment.discount_fen,
            amount_due_fen: due,
            amount_paid_fen: payment.amount_paid_fen,
            payment_method: payment.method,
            warranty_until_date: warranty.until_date,
            warranty_until_km: warranty.until_km,
        });
        Ok(())
    }

    /// Checks that a new order for the same car may be a comeback of this one (WO-9).
    pub fn accepts_comeback(&self, vehicle: VehicleId, day: NaiveDate, km: u32) -> Result<()> {
        if self.vehicle_id != vehicle {
            return Err(DomainError::invalid("comeback_of", "is an order for another vehicle"));
        }
        let outside = |why: String| DomainError::FailedPrecondition {
            code: "work_order.comeback_outside_warranty",
            message: why,
        };
        match (self.status, self.warranty) {
            (WorkOrderStatus::Delivered, Some(w)) if w.covers(day, km) => Ok(()),
            (WorkOrderStatus::Delivered, Some(w)) => Err(outside(format!(
                "order {} was under warranty until {} or {} km, whichever came first (WO-9)",
                self.number, w.until_date, w.until_km
            ))),
            _ => Err(outside(format!(
                "order {} was never delivered, so it has no warranty (WO-9)",
                self.number
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{CustomerId, StoreCode, VehicleId};

    fn labour(hours: f64, rate: i64) -> LineInput {
        LineInput {
            kind: LineKind::Labour,
            code: "OP-1".into(),
            description: "更换机油".into(),
            hours: Some(hours),
            rate_fen: Some(rate),
            quantity: None,
            unit_price_fen: None,
            old_part: None,
            technician: None,
        }
    }

    fn part(quantity: f64, price: i64) -> LineInput {
        LineInput {
            kind: LineKind::Part,
            code: "P-1".into(),
            description: "机油".into(),
            hours: None,
            rate_fen: None,
            quantity: Some(quantity),
            unit_price_fen: Some(price),
            old_part: None,
            technician: None,
        }
    }

    fn line(input: &LineInput) -> Result<WorkOrderLine> {
        let mut v = Validator::new();
        let l = build_line(&mut v, "lines[0]", input, LineOrigin::Initial, 0, None);
        v.finish().map(|()| l)
    }

    // WO-8
    #[test]
    fn amounts_are_exact_fen_rounded_half_up() {
        assert_eq!(line(&labour(1.5, 12_000)).unwrap().amount_fen, 18_000);
        assert_eq!(line(&labour(0.33, 10_001)).unwrap().amount_fen, 3_300); // 3300.33
        assert_eq!(line(&part(4.5, 6_999)).unwrap().amount_fen, 31_496); // 31495.5
        assert_eq!(line(&part(0.001, 1)).unwrap().amount_fen, 0);
    }

    // WO-8
    #[test]
    fn finer_fractions_and_misplaced_fields_are_refused_by_name() {
        let err = line(&labour(1.005, 100)).unwrap_err();
        assert_eq!(err.field_errors()[0].field, "lines[0].hours");
        let mut wrong = labour(1.0, 100);
        wrong.quantity = Some(2.0);
        assert_eq!(line(&wrong).unwrap_err().field_errors()[0].field, "lines[0].quantity");
        assert_eq!(line(&part(1.0, -5)).unwrap_err().field_errors()[0].field, "lines[0].unit_price_fen");
    }

    // WO-8, WO-10
    #[test]
    fn a_payment_must_settle_the_amount_due_exactly() {
        let pay = |discount, paid, method| Payment { discount_fen: discount, amount_paid_fen: paid, method };
        assert_eq!(check_payment(56_000, &pay(1_000, 55_000, PaymentMethod::WechatPay)), Ok(55_000));
        let short = check_payment(56_000, &pay(0, 55_999, PaymentMethod::Cash)).unwrap_err();
        assert_eq!(short.field_errors()[0].field, "amount_paid_fen");
        let too_much_off = check_payment(56_000, &pay(56_001, 0, PaymentMethod::Waived)).unwrap_err();
        assert_eq!(too_much_off.field_errors()[0].field, "discount_fen");
        assert_eq!(check_payment(0, &pay(0, 0, PaymentMethod::Waived)), Ok(0));
        assert!(check_payment(0, &pay(0, 0, PaymentMethod::Cash)).is_err());
    }

    // WO-9
    #[test]
    fn warranty_follows_the_category() {
        let day: NaiveDate = "2026-11-27".parse().unwrap();
        let overhaul = WarrantyEnd::from_delivery(RepairCategory::Overhaul, day, 50_000);
        assert_eq!(overhaul, WarrantyEnd { until_date: "2027-03-07".parse().unwrap(), until_km: 70_000 });
        let l2 = WarrantyEnd::from_delivery(RepairCategory::Level2Maintenance, day, 50_000);
        assert_eq!((l2.until_date.to_string(), l2.until_km), ("2026-12-27".into(), 55_000));
        let minor = WarrantyEnd::from_delivery(RepairCategory::MinorRepair, day, 50_000);
        assert_eq!((minor.until_date.to_string(), minor.until_km), ("2026-12-07".into(), 52_000));
    }

    // WO-9: whichever comes first.
    #[test]
    fn a_comeback_is_covered_only_while_both_date_and_distance_hold() {
        let end = WarrantyEnd { until_date: "2026-12-07".parse().unwrap(), until_km: 52_000 };
        assert!(end.covers("2026-12-07".parse().unwrap(), 52_000));
        assert!(!end.covers("2026-12-08".parse().unwrap(), 50_001));
        assert!(!end.covers("2026-12-01".parse().unwrap(), 52_001));
    }

    fn at() -> DateTime<Utc> {
        "2026-11-27T02:00:00Z".parse().unwrap()
    }

    fn order() -> WorkOrder {
        let mut v = Validator::new();
        let lines = vec![
            build_line(&mut v, "lines[0]", &labour(1.0, 10_000), LineOrigin::Initial, 0, None),
            build_line(&mut v, "lines[1]", &part(1.0, 5_000), LineOrigin::Initial, 0, None),
        ];
        WorkOrder {
            id: WorkOrderId::generate(),
            store: StoreCode::parse("SH001").unwrap(),
            number: "SH001-2026-000001".into(),
            customer_id: CustomerId(uuid::Uuid::now_v7()),
            vehicle_id: VehicleId(uuid::Uuid::now_v7()),
            plate: Some("沪A12345".into()),
            vin: "LSVAU218XN2183294".into(),
            advisor: "adv-1".into(),
            status: WorkOrderStatus::Open,
            fault_description: "刹车异响".into(),
            intake_mileage_km: 20_000,
            fuel_level: None,
            repair_category: RepairCategory::MinorRepair,
            promised_at: at(),
            lines,
            estimate_version: 0,
            approvals: vec![],
            entry_inspected: false,
            rework_count: 0,
            exit_passed: false,
            certificate_number: None,
            self_check_notes: None,
            cancel_reason: None,
            comeback_of: None,
            delivered_at: None,
            warranty: None,
            walkaround_notes: None,
            settlement: None,
            accessories: vec![],
            signatures: vec![],
            events: vec![],
            version: 1,
            created_at: at(),
            updated_at: at(),
        }
    }

    fn approval(o: &WorkOrder, approve: &[bool]) -> Approval {
        Approval {
            estimate_version: o.estimate_version,
            method: ApprovalMethod::InPerson,
            decisions: o
                .lines
                .iter()
                .zip(approve)
                .map(|(l, ok)| LineDecision {
                    line_id: l.id,
                    approved: *ok,
                    reason: (!ok).then(|| "太贵".into()),
                })
                .collect(),
            recorded_by: "adv-1".into(),
            recorded_at: at(),
        }
    }

    type Step = Box<dyn Fn(&mut WorkOrder) -> Result<()>>;

    /// Tries every step on a copy; returns the names of the steps that succeeded.
    fn allowed_steps(o: &WorkOrder) -> Vec<&'static str> {
        let first = o.lines[0].id;
        let steps: Vec<(&'static str, Step)> = vec![
            ("submit_quote", Box::new(|w| w.submit_quote("a", at()))),
            ("approve", Box::new(|w| w.approve(approval(w, &[true, true])))),
            ("cancel", Box::new(|w| w.cancel("客户改约", "a", at()))),
            ("start", Box::new(|w| w.start("沪A12345", "t", at()))),
            ("complete_line", Box::new(move |w| w.complete_line(first, "t", at()))),
            ("complete_work", Box::new(|w| w.complete_work("自检合格", "t", at()))),
            ("notify_customer", Box::new(|w| w.notify_customer("a", at()))),
            ("deliver", Box::new(|w| w.deliver("陪同环车检查", false, at().date_naive(), "a", at()))),
        ];
        steps
            .into_iter()
            .filter(|(name, step)| {
                let mut copy = o.clone();
                match step(&mut copy) {
                    Ok(()) => true,
                    Err(e) => {
                        assert_eq!(&copy, o, "refused {name} must change nothing");
                        if e.code() == "work_order.invalid_transition" {
                            assert!(e.to_string().contains(o.status.as_str()), "{e} names the state");
                        }
                        false
                    }
                }
            })
            .map(|(name, _)| name)
            .collect()
    }

    // WO-3, WO-4, WO-5, WO-10, WO-11, IN-1, IN-2
    #[test]
    fn the_state_machine_allows_exactly_the_regulated_moves() {
        let mut o = order();
        assert_eq!(allowed_steps(&o), vec!["submit_quote", "cancel"]);
        o.submit_quote("a", at()).unwrap();
        assert_eq!(o.estimate_version, 1);
        assert_eq!(allowed_steps(&o), vec!["cancel"], "approval needs the entry inspection (IN-1)");
        o.entry_inspected = true;
        assert_eq!(allowed_steps(&o), vec!["approve", "cancel"]);
        o.approve(approval(&o, &[true, false])).unwrap();
        assert_eq!(o.lines[1].status, LineStatus::Declined);
        assert_eq!(allowed_steps(&o), vec!["cancel", "start"]);
        assert!(o.clone().start("沪B99999", "t", at()).is_err(), "WO-4: another plate is refused");
        o.start("沪A 12345", "t", at()).unwrap();
        assert_eq!(allowed_steps(&o), vec!["complete_line"]);
        o.complete_line(o.lines[0].id, "t", at()).unwrap();
        assert!(
            o.clone().complete_line(o.lines[1].id, "t", at()).is_err(),
            "WO-5: a declined line is not worked"
        );
        assert_eq!(allowed_steps(&o), vec!["complete_line", "complete_work"]);
        o.complete_work("自检合格", "t", at()).unwrap();
        assert_eq!(allowed_steps(&o), Vec::<&str>::new(), "notify needs the passed exit inspection");
        o.apply_exit_inspection(true, &[], Some("SH001-HG-2026-000001".into()), "i", at()).unwrap();
        assert_eq!(allowed_steps(&o), vec!["notify_customer"]);
        o.notify_customer("a", at()).unwrap();
        assert_eq!(allowed_steps(&o), vec!["deliver"]);
        o.deliver("陪同环车检查", false, at().date_naive(), "a", at()).unwrap();
        assert_eq!(o.warranty.unwrap().until_km, 22_000, "minor repair: 2,000 km (WO-9)");
        assert_eq!(allowed_steps(&o), Vec::<&str>::new());
        let path: Vec<_> = o.events.iter().map(|e| e.to.as_str()).collect();
        assert_eq!(path.first(), Some(&"awaiting_approval"));
        assert_eq!(path.last(), Some(&"delivered"));
    }

    // IN-2, WO-3
    #[test]
    fn a_failed_exit_inspection_sends_the_order_back_to_rework_and_counts_it() {
        let mut o = order();
        o.entry_inspected = true;
        o.submit_quote("a", at()).unwrap();
        o.approve(approval(&o, &[true, true])).unwrap();
        o.start("沪A12345", "t", at()).unwrap();
        let ids: Vec<_> = o.lines.iter().map(|l| l.id).collect();
        for id in &ids {
            o.complete_line(*id, "t", at()).unwrap();
        }
        o.complete_work("ok", "t", at()).unwrap();
        o.apply_exit_inspection(false, &[ids[1]], None, "i", at()).unwrap();
        assert_eq!((o.status, o.rework_count), (WorkOrderStatus::InProgress, 1));
        assert_eq!(o.lines[1].status, LineStatus::Approved, "the failed line is to be worked again");
        assert!(o.clone().complete_work("ok", "t", at()).is_err());
    }

    // WO-11
    #[test]
    fn a_decision_on_an_outdated_estimate_is_refused_and_every_line_needs_one() {
        let mut o = order();
        o.entry_inspected = true;
        o.submit_quote("a", at()).unwrap();
        let mut stale = approval(&o, &[true, true]);
        stale.estimate_version = 0;
        assert_eq!(o.clone().approve(stale).unwrap_err().code(), "work_order.estimate_outdated");
        let mut partial = approval(&o, &[true, true]);
        partial.decisions.pop();
        assert_eq!(o.clone().approve(partial).unwrap_err().field_errors()[0].field, "decisions");
        let none = approval(&o, &[false, false]);
        assert_eq!(o.clone().approve(none).unwrap_err().code(), "work_order.invalid_transition");
        let mut no_reason = approval(&o, &[true, false]);
        no_reason.decisions[1].reason = None;
        assert_eq!(o.approve(no_reason).unwrap_err().field_errors()[0].field, "decisions[1].reason");
    }

    // WO-5, WO-11
    #[test]
    fn lines_found_during_work_wait_for_the_customer() {
        let mut o = order();
        o.entry_inspected = true;
        o.submit_quote("a", at()).unwrap();
        o.approve(approval(&o, &[true, true])).unwrap();
        o.start("沪A12345", "t", at()).unwrap();
        let mut v = Validator::new();
        let extra = build_line(
            &mut v,
            "lines[0]",
            &part(2.0, 3_000),
            LineOrigin::Additional,
            0,
            Some("刹车片磨损".into()),
        );
        let extra_id = extra.id;
        o.propose_lines(vec![extra], "t", at()).unwrap();
        assert_eq!(o.estimate_version, 2);
        assert_eq!(o.totals().pending_fen, 6_000);
        assert_eq!(
            o.clone().complete_line(extra_id, "t", at()).unwrap_err().code(),
            "work_order.line_not_approved"
        );
        let decision = Approval {
            estimate_version: 2,
            method: ApprovalMethod::Phone,
            decisions: vec![LineDecision { line_id: extra_id, approved: true, reason: None }],
            recorded_by: "adv-1".into(),
            recorded_at: at(),
        };
        o.record_approval(decision).unwrap();
        o.complete_line(extra_id, "t", at()).unwrap();
        assert_eq!(
            o.totals(),
            Totals { labour_fen: 10_000, parts_fen: 11_000, total_fen: 21_000, pending_fen: 0 }
        );
    }

    proptest::proptest! {
        // WO-8: totals are the exact sum of the agreed lines, whatever their order.
        #[test]
        fn totals_are_the_sum_of_agreed_lines(amounts in proptest::collection::vec((0i64..10_000_000, 0u8..4, proptest::bool::ANY), 0..40)) {
            let lines: Vec<WorkOrderLine> = amounts.iter().map(|(amount, status, is_part)| {
                let mut l = line(&labour(1.0, 1)).unwrap();
                l.amount_fen = *amount;
                l.kind = if *is_part { LineKind::Part } else { LineKind::Labour };
                l.status = [LineStatus::Proposed, LineStatus::Approved, LineStatus::Declined, LineStatus::Done][*status as usize];
                l
            }).collect();
            let t = totals(&lines);
            let agreed: i64 = lines.iter().filter(|l| matches!(l.status, LineStatus::Approved | LineStatus::Done)).map(|l| l.amount_fen).sum();
            let pending: i64 = lines.iter().filter(|l| l.status == LineStatus::Proposed).map(|l| l.amount_fen).sum();
            proptest::prop_assert_eq!(t.total_fen, agreed);
            proptest::prop_assert_eq!(t.labour_fen + t.parts_fen, agreed);
            proptest::prop_assert_eq!(t.pending_fen, pending);
            let mut reversed = lines.clone();
            reversed.reverse();
            proptest::prop_assert_eq!(totals(&reversed), t);
        }

        // WO-8: rounding never drifts more than half a fen from the exact product.
        #[test]
        fn line_amounts_are_within_half_a_fen(hundredths in 1u32..100_000, rate in 0i64..MAX_PRICE_FEN) {
            let amount = labour_amount(hundredths, rate);
            let exact = i128::from(hundredths) * i128::from(rate);
            proptest::prop_assert!((i128::from(amount) * 100 - exact).abs() <= 50);
        }
    }
}

//! Lines of a work order: labour and parts, their amounts with exact rounding, and totals
//! (WO-3, WO-8).

use super::*;

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
    /// Kept for the manufacturer's warranty claim (索赔旧件), who may ask for it back.
    RetainedForClaim,
}

/// How urgent the advisor rates a line, as the customer's app colours it (WO-13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Urgency {
    /// A safety matter: do it now.
    Red,
    /// Soon.
    Yellow,
    /// Can wait; good to know.
    Green,
}

/// Who pays a line (issue 14): the customer, an insurer after its loss assessment (保险理赔), the
/// manufacturer under warranty (索赔), the store itself, or the store as a goodwill gesture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Payer {
    /// The customer (the default).
    #[default]
    Customer,
    /// The insurer: a receivable once the order is settled.
    Insurance,
    /// The manufacturer, under warranty: a receivable.
    ManufacturerWarranty,
    /// The store's own cost (internal work, a used car being prepared).
    Internal,
    /// The store, as goodwill to the customer.
    Goodwill,
}

impl Payer {
    /// Every payer, in the order totals list them.
    pub const ALL: [Payer; 5] =
        [Payer::Customer, Payer::Insurance, Payer::ManufacturerWarranty, Payer::Internal, Payer::Goodwill];

    /// Returns the Chinese name printed on the settlement.
    pub fn label_zh(self) -> &'static str {
        match self {
            Self::Customer => "客户自付",
            Self::Insurance => "保险公司",
            Self::ManufacturerWarranty => "厂家索赔",
            Self::Internal => "内部结算",
            Self::Goodwill => "善意维修",
        }
    }
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
    /// How urgent the advisor rates it.
    #[serde(default)]
    pub urgency: Option<Urgency>,
    /// Who pays it (lines saved before payers were kept are the customer's).
    #[serde(default)]
    pub payer: Payer,
    /// The fault code the line repairs (the manufacturer's, for warranty and 三包 counts).
    #[serde(default)]
    pub fault_code: Option<String>,
    /// The replaced part's serial, recorded when the line is completed (warranty parts).
    #[serde(default)]
    pub part_serial: Option<String>,
    /// The workshop bay it is dispatched to (派工).
    #[serde(default)]
    pub bay: Option<String>,
    /// Technicians' clock-on periods, oldest first (issue 14).
    #[serde(default)]
    pub clock: Vec<ClockPeriod>,
    /// How the line bears on the 三包 counts (issue 14).
    #[serde(default)]
    pub sanbao: Option<LineSanbao>,
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
    /// How urgent the advisor rates it (red, yellow, green), shown to the customer (WO-13).
    #[serde(default)]
    pub urgency: Option<Urgency>,
    /// Who pays it; the customer when absent (issue 14).
    #[serde(default)]
    pub payer: Option<Payer>,
    /// The fault code it repairs; required on a warranty line (issue 14).
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 32))]
    pub fault_code: Option<String>,
    /// How the line bears on the 三包 counts: its system, a serious safety fault, what it
    /// replaces; needs a fault code (issue 14).
    #[serde(default)]
    pub sanbao: Option<LineSanbao>,
}

/// Largest price or rate accepted, fen (10 million yuan).
pub const MAX_PRICE_FEN: i64 = 1_000_000_000;

/// Converts a decimal quantity to an integer count of `1/scale` units, refusing finer fractions.
pub(super) fn fixed(v: &mut Validator, field: &str, value: f64, scale: u32, max: f64) -> u32 {
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
    let description = v.text(&format!("{field}.description"), &input.description, crate::error::limits::LINE);
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
    let warranty = input.payer == Some(Payer::ManufacturerWarranty);
    let fault_code = crate::value::non_empty(input.fault_code.clone()).map(|c| c.trim().to_string());
    match &fault_code {
        Some(c) if c.chars().count() > 32 || crate::value::has_control_chars(c) => {
            v.push(format!("{field}.fault_code"), "must be 1 to 32 characters");
        }
        None if warranty => v.push(format!("{field}.fault_code"), "is required on a warranty line"),
        None if input.sanbao.is_some() => {
            v.push(format!("{field}.fault_code"), "is required for the 三包 counts: they count per problem");
        }
        _ => {}
    }
    if let Some(tag) = input.sanbao {
        match (tag.replacement, input.kind) {
            (Some(_), LineKind::Labour) => {
                v.push(format!("{field}.sanbao.replacement"), "a labour line replaces nothing");
            }
            (Some(Replacement::Assembly), LineKind::Part) if !tag.system.is_assembly() => v.push(
                format!("{field}.sanbao.replacement"),
                "only an engine, transmission, power battery or drive motor is replaced as an assembly",
            ),
            _ => {}
        }
    }
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
            // A warranty part goes back to the manufacturer on request: the store keeps it.
            let kept = if warranty {
                OldPartDisposition::RetainedForClaim
            } else {
                OldPartDisposition::ReturnedToStores
            };
            old_part = Some(input.old_part.unwrap_or(kept));
            if warranty && old_part != Some(OldPartDisposition::RetainedForClaim) {
                v.push(
                    format!("{field}.old_part"),
                    "a warranty part is retained for the manufacturer's claim",
                );
            }
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
        urgency: input.urgency,
        payer: input.payer.unwrap_or_default(),
        fault_code,
        part_serial: None,
        bay: None,
        clock: vec![],
        sanbao: input.sanbao,
    }
}

/// One payer's share of a work order, fen (issue 14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PayerShare {
    /// Who pays.
    pub payer: Payer,
    /// Labour, fen.
    pub labour_fen: i64,
    /// Parts, fen.
    pub parts_fen: i64,
    /// Labour plus parts, fen.
    pub total_fen: i64,
}

/// Money totals of a work order, fen (WO-8).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
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
    /// Labour quoted, agreed or awaiting a decision (declined lines aside): what a quote shows
    /// before the customer signs (issue 14).
    pub quoted_labour_fen: i64,
    /// Parts quoted likewise.
    pub quoted_parts_fen: i64,
    /// The agreed amounts by payer, each payer with a line agreed.
    pub by_payer: Vec<PayerShare>,
    /// The quoted amounts by payer, each payer with a line quoted.
    pub quoted_by_payer: Vec<PayerShare>,
}

impl Totals {
    /// The agreed share of `payer`; zero when it pays no line.
    pub fn share_of(&self, payer: Payer) -> i64 {
        self.by_payer.iter().filter(|s| s.payer == payer).map(|s| s.total_fen).sum()
    }
}

/// Adds a line's amount to its payer's share, keeping the shares in [`Payer::ALL`] order.
fn add_share(shares: &mut Vec<PayerShare>, line: &WorkOrderLine) {
    let i = match shares.iter().position(|s| s.payer == line.payer) {
        Some(i) => i,
        None => {
            shares.push(PayerShare { payer: line.payer, labour_fen: 0, parts_fen: 0, total_fen: 0 });
            shares.sort_by_key(|s| s.payer);
            shares.iter().position(|s| s.payer == line.payer).unwrap_or(0)
        }
    };
    let share = &mut shares[i];
    match line.kind {
        LineKind::Labour => share.labour_fen += line.amount_fen,
        LineKind::Part => share.parts_fen += line.amount_fen,
    }
    share.total_fen += line.amount_fen;
}

/// Sums the lines: agreed (approved, done), pending (proposed) and quoted (both), overall and
/// by payer; declined lines count nowhere.
pub fn totals(lines: &[WorkOrderLine]) -> Totals {
    let mut t = Totals::default();
    for line in lines {
        let agreed = matches!(line.status, LineStatus::Approved | LineStatus::Done);
        match (line.status, line.kind) {
            (LineStatus::Approved | LineStatus::Done, LineKind::Labour) => t.labour_fen += line.amount_fen,
            (LineStatus::Approved | LineStatus::Done, LineKind::Part) => t.parts_fen += line.amount_fen,
            (LineStatus::Proposed, LineKind::Labour | LineKind::Part) => t.pending_fen += line.amount_fen,
            (LineStatus::Declined, LineKind::Labour | LineKind::Part) => continue,
        }
        match line.kind {
            LineKind::Labour => t.quoted_labour_fen += line.amount_fen,
            LineKind::Part => t.quoted_parts_fen += line.amount_fen,
        }
        add_share(&mut t.quoted_by_payer, line);
        if agreed {
            add_share(&mut t.by_payer, line);
        }
    }
    t.total_fen = t.labour_fen + t.parts_fen;
    t
}

impl WorkOrder {
    pub(super) fn line_mut(&mut self, id: LineId, field: &str) -> Result<&mut WorkOrderLine> {
        self.lines
            .iter_mut()
            .find(|l| l.id == id)
            .ok_or_else(|| DomainError::invalid(field, format!("line {id} is not on this work order")))
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

    /// Marks an approved line as worked, with the replaced part's serial where a warranty claim
    /// needs it; proposed or declined lines cannot be (WO-5). Whoever is still clocked on it is
    /// clocked off.
    pub fn complete_line(
        &mut self,
        line: LineId,
        part_serial: Option<String>,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.require(
            "complete-line",
            &[WorkOrderStatus::InProgress],
            "lines are worked only in the workshop",
        )?;
        let serial = crate::value::non_empty(part_serial);
        let target = self.line_mut(line, "line_id")?;
        let mut v = Validator::new();
        match &serial {
            Some(_) if target.kind == LineKind::Labour => {
                v.push("part_serial", "does not apply to a labour line");
            }
            Some(s) if s.chars().count() > 64 || crate::value::has_control_chars(s) => {
                v.push("part_serial", "must be 1 to 64 characters");
            }
            None if target.kind == LineKind::Part
                && target.payer == Payer::ManufacturerWarranty
                && target.part_serial.is_none() =>
            {
                v.push("part_serial", "is required for a warranty part: the manufacturer's claim names it");
            }
            _ => {}
        }
        v.finish()?;
        if serial.is_some() {
            target.part_serial = serial;
        }
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
        self.clock_off_line(line, at);
        let status = self.status;
        self.record("complete_line", status, actor, at, Some(line.to_string()));
        Ok(())
    }
}

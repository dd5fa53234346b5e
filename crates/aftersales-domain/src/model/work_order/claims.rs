//! Claims on a work order (issue 14): the insurer's (保险理赔, after its loss assessment 定损) and
//! the manufacturer's warranty claim (索赔) built from the warranty lines.

use super::*;

/// Where an insurance claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InsuranceClaimStatus {
    /// Reported to the insurer (报案).
    Reported,
    /// The insurer assessed the loss (定损).
    Assessed,
    /// The insurer approved an amount.
    Approved,
    /// The insurer paid.
    Paid,
    /// The insurer refused.
    Rejected,
}

impl InsuranceClaimStatus {
    /// Returns the wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reported => "reported",
            Self::Assessed => "assessed",
            Self::Approved => "approved",
            Self::Paid => "paid",
            Self::Rejected => "rejected",
        }
    }
}

/// A supplementary assessment (增项定损): the insurer agreed to more after a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Supplement {
    /// Amount added to the assessment, fen.
    pub amount_fen: i64,
    /// What it covers.
    pub reason: String,
    /// Who recorded it.
    pub recorded_by: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// The insurer's claim for an accident repair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct InsuranceClaim {
    /// The insurer, one of the store's list.
    pub insurer: String,
    /// Policy number.
    pub policy_number: String,
    /// The insurer's claim (报案) number.
    pub claim_number: String,
    /// Where it stands.
    pub status: InsuranceClaimStatus,
    /// The loss assessment, fen (定损金额).
    pub assessed_fen: Option<i64>,
    /// The day of the assessment.
    pub assessed_on: Option<NaiveDate>,
    /// Supplementary assessments, oldest first.
    pub supplements: Vec<Supplement>,
    /// The amount the insurer approved, fen.
    pub approved_fen: Option<i64>,
    /// The amount the insurer paid, fen.
    pub paid_fen: Option<i64>,
    /// The day it paid.
    pub paid_on: Option<NaiveDate>,
    /// Why the insurer refused.
    pub rejection_reason: Option<String>,
    /// When it was reported.
    pub reported_at: DateTime<Utc>,
    /// When it last moved.
    pub updated_at: DateTime<Utc>,
}

impl InsuranceClaim {
    /// What the insurer agreed to cover so far: the assessment and its supplements, fen.
    pub fn cover_fen(&self) -> Option<i64> {
        self.assessed_fen.map(|a| a + self.supplements.iter().map(|s| s.amount_fen).sum::<i64>())
    }

    /// Whether the claim still waits for the insurer.
    pub fn is_open(&self) -> bool {
        matches!(
            self.status,
            InsuranceClaimStatus::Reported | InsuranceClaimStatus::Assessed | InsuranceClaimStatus::Approved
        )
    }
}

/// A move of an insurance claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub enum InsuranceClaimStep {
    /// Reports the accident to the insurer: opens the claim.
    Report {
        /// The insurer, one of the store's list.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
        insurer: String,
        /// Policy number.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
        policy_number: String,
        /// The insurer's claim number.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
        claim_number: String,
    },
    /// Records the insurer's loss assessment (定损).
    Assess {
        /// Amount, fen.
        #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000_000))]
        assessed_fen: i64,
        /// The day of the assessment.
        assessed_on: NaiveDate,
    },
    /// Records a supplementary assessment (增项定损).
    Supplement {
        /// Amount added, fen.
        #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 1_000_000_000))]
        amount_fen: i64,
        /// What it covers.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
        reason: String,
    },
    /// Records the amount the insurer approved.
    Approve {
        /// Amount, fen, at most the assessment and its supplements.
        #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000_000))]
        approved_fen: i64,
    },
    /// Records the insurer's payment.
    Pay {
        /// Amount, fen.
        #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000_000))]
        paid_fen: i64,
        /// The day it arrived.
        paid_on: NaiveDate,
    },
    /// Records the insurer's refusal.
    Reject {
        /// Why.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
        reason: String,
    },
}

/// Where a manufacturer warranty claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum WarrantyClaimStatus {
    /// Built at delivery; not yet sent to the manufacturer.
    Open,
    /// Sent to the manufacturer.
    Submitted,
    /// The manufacturer approved an amount.
    Approved,
    /// The manufacturer paid.
    Paid,
    /// The manufacturer refused.
    Rejected,
}

impl WarrantyClaimStatus {
    /// Returns the wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Submitted => "submitted",
            Self::Approved => "approved",
            Self::Paid => "paid",
            Self::Rejected => "rejected",
        }
    }
}

/// One warranty line as claimed: labour by operation code, or a part with its serial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WarrantyClaimItem {
    /// The line.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub line_id: LineId,
    /// Labour or part.
    pub kind: LineKind,
    /// Operation code (labour) or part code (part).
    pub code: String,
    /// The manufacturer's fault code.
    pub fault_code: String,
    /// Labour hours in hundredths (labour).
    pub hours_hundredths: u32,
    /// Quantity in thousandths (part).
    pub quantity_milli: u32,
    /// The replaced part's serial (part).
    pub part_serial: Option<String>,
    /// Amount, fen.
    pub amount_fen: i64,
}

/// The claim to the manufacturer for the warranty lines of a delivered order (索赔).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WarrantyClaim {
    /// Where it stands.
    pub status: WarrantyClaimStatus,
    /// The manufacturer's number, once submitted.
    pub manufacturer_claim_number: Option<String>,
    /// Odometer at intake.
    pub mileage_km: u32,
    /// The claimed lines.
    pub items: Vec<WarrantyClaimItem>,
    /// What is claimed, fen.
    pub total_fen: i64,
    /// What the manufacturer approved, fen.
    pub approved_fen: Option<i64>,
    /// What it paid, fen.
    pub paid_fen: Option<i64>,
    /// Why it refused.
    pub rejection_reason: Option<String>,
    /// When it was built.
    pub created_at: DateTime<Utc>,
    /// When it last moved.
    pub updated_at: DateTime<Utc>,
}

impl WarrantyClaim {
    /// Whether the claim still waits for the manufacturer.
    pub fn is_open(&self) -> bool {
        matches!(
            self.status,
            WarrantyClaimStatus::Open | WarrantyClaimStatus::Submitted | WarrantyClaimStatus::Approved
        )
    }
}

/// A move of a warranty claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "step", rename_all = "snake_case", deny_unknown_fields)]
pub enum WarrantyClaimStep {
    /// Records that the claim went to the manufacturer, with its number there.
    Submit {
        /// The manufacturer's claim number.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
        manufacturer_claim_number: String,
    },
    /// Records the amount the manufacturer approved.
    Approve {
        /// Amount, fen, at most the claimed total.
        #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000_000))]
        approved_fen: i64,
    },
    /// Records the manufacturer's payment.
    Pay {
        /// Amount, fen.
        #[cfg_attr(feature = "openapi", schema(minimum = 0, maximum = 1_000_000_000))]
        paid_fen: i64,
    },
    /// Records the manufacturer's refusal.
    Reject {
        /// Why.
        #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
        reason: String,
    },
}

fn claim_refused(kind: &str, status: &str, step: &str) -> DomainError {
    DomainError::FailedPrecondition {
        code: "work_order.claim_invalid_transition",
        message: format!("cannot {step} a {kind} claim that is {status}"),
    }
}

fn amount(v: &mut Validator, field: &str, fen: i64, least: i64) -> i64 {
    if !(least..=MAX_PRICE_FEN).contains(&fen) {
        v.push(field, format!("must be {least} to {MAX_PRICE_FEN} fen"));
    }
    fen
}

fn code_text(v: &mut Validator, field: &str, raw: &str) -> String {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > 64 || crate::value::has_control_chars(text) {
        v.push(field, "must be 1 to 64 characters");
    }
    text.to_string()
}

impl WorkOrder {
    /// The insurance lines quoted (declined aside), fen: what the insurer is asked to cover.
    pub fn insurance_quoted_fen(&self) -> i64 {
        self.totals()
            .quoted_by_payer
            .iter()
            .filter(|s| s.payer == Payer::Insurance)
            .map(|s| s.total_fen)
            .sum()
    }

    /// Refuses insurance lines beyond the insurer's assessment and its supplements (增项定损).
    pub fn check_insurance_cover(&self) -> Result<()> {
        let Some(cover) = self.insurance_claim.as_ref().and_then(InsuranceClaim::cover_fen) else {
            return Ok(());
        };
        let quoted = self.insurance_quoted_fen();
        if quoted > cover {
            return Err(DomainError::FailedPrecondition {
                code: "work_order.insurance_over_assessment",
                message: format!(
                    "insurance lines come to {quoted} fen, more than the {cover} fen the insurer assessed; \
                     record a supplementary assessment (增项定损) or let the customer pay the rest"
                ),
            });
        }
        Ok(())
    }

    /// Refuses to settle insurance lines without a claim the insurer has assessed and not refused.
    pub(super) fn check_insurance_settles(&self) -> Result<()> {
        if self.totals().share_of(Payer::Insurance) == 0 {
            return Ok(());
        }
        let missing = |why: &str| DomainError::FailedPrecondition {
            code: "work_order.insurance_claim_missing",
            message: format!("insurance lines are settled only {why}"),
        };
        match &self.insurance_claim {
            None => Err(missing("with an insurance claim on the order")),
            Some(c) if c.status == InsuranceClaimStatus::Rejected => Err(missing(
                "while the claim stands: the insurer refused it, so the lines need another payer",
            )),
            Some(c) if c.assessed_fen.is_none() => Err(missing("after the insurer's loss assessment (定损)")),
            Some(_) => self.check_insurance_cover(),
        }
    }

    /// Moves the insurance claim; `insurers` is the store's list (issue 14).
    pub fn insurance_claim_step(
        &mut self,
        step: &InsuranceClaimStep,
        insurers: &[String],
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        if self.status == WorkOrderStatus::Cancelled {
            return Err(refuse("claim for", self.status, "it was cancelled"));
        }
        let mut v = Validator::new();
        let status = self.insurance_claim.as_ref().map(|c| c.status);
        let refused = |name: &str| {
            claim_refused("insurance", status.map_or("not reported", InsuranceClaimStatus::as_str), name)
        };
        use InsuranceClaimStatus as S;
        let name = match step {
            InsuranceClaimStep::Report { insurer, policy_number, claim_number } => {
                if status.is_some_and(|s| s != S::Rejected) {
                    return Err(refused("report"));
                }
                let insurer = insurer.trim();
                if !insurers.iter().any(|i| i == insurer) {
                    let list = if insurers.is_empty() { "none yet".to_string() } else { insurers.join(", ") };
                    v.push("insurer", format!("is not on the store's list of insurers ({list})"));
                }
                let policy = code_text(&mut v, "policy_number", policy_number);
                let claim = code_text(&mut v, "claim_number", claim_number);
                v.finish()?;
                self.insurance_claim = Some(InsuranceClaim {
                    insurer: insurer.to_string(),
                    policy_number: policy,
                    claim_number: claim,
                    status: S::Reported,
                    assessed_fen: None,
                    assessed_on: None,
                    supplements: vec![],
                    approved_fen: None,
                    paid_fen: None,
                    paid_on: None,
                    rejection_reason: None,
                    reported_at: at,
                    updated_at: at,
                });
                "insurance_claim_reported"
            }
            InsuranceClaimStep::Assess { assessed_fen, assessed_on } => {
                let claim = self.insurance_claim.as_mut().filter(|c| c.status == S::Reported);
                let claim = claim.ok_or_else(|| refused("assess"))?;
                let fen = amount(&mut v, "assessed_fen", *assessed_fen, 1);
                v.finish()?;
                claim.assessed_fen = Some(fen);
                claim.assessed_on = Some(*assessed_on);
                claim.status = S::Assessed;
                "insurance_claim_assessed"
            }
            InsuranceClaimStep::Supplement { amount_fen, reason } => {
                let claim = self.insurance_claim.as_mut().filter(|c| c.status == S::Assessed);
                let claim = claim.ok_or_else(|| refused("supplement"))?;
                let fen = amount(&mut v, "amount_fen", *amount_fen, 1);
                let reason = v.text("reason", reason, crate::error::limits::LINE);
                v.finish()?;
                claim.supplements.push(Supplement {
                    amount_fen: fen,
                    reason,
                    recorded_by: actor.to_string(),
                    recorded_at: at,
                });
                "insurance_claim_supplemented"
            }
            InsuranceClaimStep::Approve { approved_fen } => {
                let claim = self.insurance_claim.as_mut().filter(|c| c.status == S::Assessed);
                let claim = claim.ok_or_else(|| refused("approve"))?;
                let cover = claim.cover_fen().unwrap_or(0);
                let fen = amount(&mut v, "approved_fen", *approved_fen, 0);
                if fen > cover {
                    v.push("approved_fen", format!("must not exceed the {cover} fen assessed"));
                }
                v.finish()?;
                claim.approved_fen = Some(fen);
                claim.status = S::Approved;
                "insurance_claim_approved"
            }
            InsuranceClaimStep::Pay { paid_fen, paid_on } => {
                let claim = self.insurance_claim.as_mut().filter(|c| c.status == S::Approved);
                let claim = claim.ok_or_else(|| refused("pay"))?;
                let fen = amount(&mut v, "paid_fen", *paid_fen, 0);
                v.finish()?;
                claim.paid_fen = Some(fen);
                claim.paid_on = Some(*paid_on);
                claim.status = S::Paid;
                "insurance_claim_paid"
            }
            InsuranceClaimStep::Reject { reason } => {
                let claim =
                    self.insurance_claim.as_mut().filter(|c| matches!(c.status, S::Reported | S::Assessed));
                let claim = claim.ok_or_else(|| refused("reject"))?;
                let reason = v.text("reason", reason, crate::error::limits::LINE);
                v.finish()?;
                claim.rejection_reason = Some(reason);
                claim.status = S::Rejected;
                "insurance_claim_rejected"
            }
        };
        if let Some(c) = self.insurance_claim.as_mut() {
            c.updated_at = at;
        }
        let status = self.status;
        self.record(name, status, actor, at, None);
        Ok(())
    }

    /// Builds the manufacturer claim from the warranty lines worked (issue 14); none without any.
    pub(super) fn build_warranty_claim(&self, at: DateTime<Utc>) -> Result<Option<WarrantyClaim>> {
        let worked = |l: &&WorkOrderLine| {
            l.payer == Payer::ManufacturerWarranty
                && matches!(l.status, LineStatus::Done | LineStatus::Approved)
        };
        let mut items = Vec::new();
        for l in self.lines.iter().filter(worked) {
            let serial = l.part_serial.clone();
            if l.kind == LineKind::Part && serial.is_none() {
                return Err(DomainError::FailedPrecondition {
                    code: "work_order.warranty_part_serial_missing",
                    message: format!(
                        "warranty part {} ({}) has no serial of the replaced part; record it when the line is completed",
                        l.code, l.description
                    ),
                });
            }
            items.push(WarrantyClaimItem {
                line_id: l.id,
                kind: l.kind,
                code: l.code.clone(),
                fault_code: l.fault_code.clone().unwrap_or_default(),
                hours_hundredths: l.hours_hundredths,
                quantity_milli: l.quantity_milli,
                part_serial: serial,
                amount_fen: l.amount_fen,
            });
        }
        if items.is_empty() {
            return Ok(None);
        }
        Ok(Some(WarrantyClaim {
            status: WarrantyClaimStatus::Open,
            manufacturer_claim_number: None,
            mileage_km: self.intake_mileage_km,
            total_fen: items.iter().map(|i| i.amount_fen).sum(),
            items,
            approved_fen: None,
            paid_fen: None,
            rejection_reason: None,
            created_at: at,
            updated_at: at,
        }))
    }

    /// Moves the manufacturer claim of a delivered order (issue 14).
    pub fn warranty_claim_step(
        &mut self,
        step: &WarrantyClaimStep,
        actor: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let mut v = Validator::new();
        let status = self.warranty_claim.as_ref().map(|c| c.status);
        let refused = |name: &str| {
            claim_refused("warranty", status.map_or("not built", WarrantyClaimStatus::as_str), name)
        };
        use WarrantyClaimStatus as S;
        let (from, step_name) = match step {
            WarrantyClaimStep::Submit { .. } => (S::Open, "submit"),
            WarrantyClaimStep::Approve { .. } => (S::Submitted, "approve"),
            WarrantyClaimStep::Pay { .. } => (S::Approved, "pay"),
            WarrantyClaimStep::Reject { .. } => (S::Submitted, "reject"),
        };
        let claim =
            self.warranty_claim.as_mut().filter(|c| c.status == from).ok_or_else(|| refused(step_name))?;
        let name = match step {
            WarrantyClaimStep::Submit { manufacturer_claim_number } => {
                let number = code_text(&mut v, "manufacturer_claim_number", manufacturer_claim_number);
                v.finish()?;
                claim.manufacturer_claim_number = Some(number);
                claim.status = S::Submitted;
                "warranty_claim_submitted"
            }
            WarrantyClaimStep::Approve { approved_fen } => {
                let fen = amount(&mut v, "approved_fen", *approved_fen, 0);
                if fen > claim.total_fen {
                    v.push("approved_fen", format!("must not exceed the {} fen claimed", claim.total_fen));
                }
                v.finish()?;
                claim.approved_fen = Some(fen);
                claim.status = S::Approved;
                "warranty_claim_approved"
            }
            WarrantyClaimStep::Pay { paid_fen } => {
                let fen = amount(&mut v, "paid_fen", *paid_fen, 0);
                v.finish()?;
                claim.paid_fen = Some(fen);
                claim.status = S::Paid;
                "warranty_claim_paid"
            }
            WarrantyClaimStep::Reject { reason } => {
                let reason = v.text("reason", reason, crate::error::limits::LINE);
                v.finish()?;
                claim.rejection_reason = Some(reason);
                claim.status = S::Rejected;
                "warranty_claim_rejected"
            }
        };
        claim.updated_at = at;
        let status = self.status;
        self.record(name, status, actor, at, None);
        Ok(())
    }
}

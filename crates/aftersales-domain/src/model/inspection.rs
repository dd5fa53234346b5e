//! Inspections (检验): entry, exit and rework inspections, append-only once submitted (IN-1..IN-3).

use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Validator;
use crate::model::work_order::{
    FuelLevel, LineId, LineStatus, RepairCategory, WarrantyTerms, WorkOrder, WorkOrderId,
};
use crate::value::{StoreCode, uuid_id};
use crate::{DomainError, Result};

uuid_id!(
    /// Identifies an inspection.
    InspectionId
);

/// Which inspection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InspectionKind {
    /// 进厂检验, before approval (IN-1).
    Entry,
    /// 出厂检验, after the work (IN-2).
    Exit,
    /// An exit inspection after a failed one (IN-2).
    Rework,
}

/// How the entry inspection was done (IN-1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum InspectionMethod {
    /// 询问.
    Inquiry,
    /// 实地观察.
    Visual,
    /// 仪器检测.
    Instrument,
    /// 路试.
    RoadTest,
}

/// The car's condition at intake (IN-1).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VehicleCondition {
    /// Scratches, dents and the like.
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub exterior_marks: Option<String>,
    /// Fuel gauge.
    pub fuel_level: Option<FuelLevel>,
    /// Valuables left in the car.
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub valuables: Option<String>,
}

/// One approved line checked at the exit inspection (IN-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LineResult {
    /// The line.
    pub line_id: LineId,
    /// Passed or not.
    pub passed: bool,
    /// Notes.
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub notes: Option<String>,
}

/// The road test of an exit inspection (IN-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RoadTest {
    /// Passed or not.
    pub passed: bool,
    /// Notes.
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub notes: Option<String>,
}

/// A submitted inspection; never changed afterwards (IN-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspection {
    /// Id.
    pub id: InspectionId,
    /// Store.
    pub store: StoreCode,
    /// Work order.
    pub work_order_id: WorkOrderId,
    /// Entry, exit or rework.
    pub kind: InspectionKind,
    /// Who inspected (staff id).
    pub inspector: String,
    /// When it was submitted.
    pub submitted_at: DateTime<Utc>,
    /// Entry: methods used.
    pub methods: Vec<InspectionMethod>,
    /// Entry: what was found.
    pub findings: Option<String>,
    /// Entry: the car's condition.
    pub condition: Option<VehicleCondition>,
    /// Entry: the category it confirms (WO-2).
    pub confirmed_category: Option<RepairCategory>,
    /// Exit: one result per worked line.
    pub results: Vec<LineResult>,
    /// Exit: the road test, where the category needs one.
    pub road_test: Option<RoadTest>,
    /// Exit: whether everything passed.
    pub passed: Option<bool>,
    /// Exit: the completion certificate number, when passed.
    pub certificate_number: Option<String>,
    /// Exit: the warranty printed on the certificate (WO-9).
    pub warranty: Option<WarrantyTerms>,
}

/// Submits the entry inspection (IN-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubmitEntryInspection {
    /// Methods used (at least one).
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub methods: Vec<InspectionMethod>,
    /// What was found.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub findings: String,
    /// The car's condition.
    pub condition: Option<VehicleCondition>,
    /// The category it confirms; default the order's.
    pub confirmed_category: Option<RepairCategory>,
}

/// Submits an exit (or rework) inspection (IN-2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubmitExitInspection {
    /// One result per worked line.
    pub results: Vec<LineResult>,
    /// The road test, required for overhaul, assembly repair and level-2 maintenance.
    pub road_test: Option<RoadTest>,
}

/// How long original inspection records are kept (IN-3).
pub const RETENTION_YEARS: u32 = 3;

impl Inspection {
    /// Refuses deletion inside the retention period (IN-3).
    pub fn ensure_deletable(&self, now: DateTime<Utc>) -> Result<()> {
        let until = self
            .submitted_at
            .checked_add_months(Months::new(RETENTION_YEARS * 12))
            .unwrap_or(self.submitted_at);
        if now < until {
            return Err(DomainError::FailedPrecondition {
                code: "inspection.retained",
                message: format!(
                    "inspection records are kept {RETENTION_YEARS} years (IN-3); this one may not be deleted before {}",
                    until.date_naive()
                ),
            });
        }
        Ok(())
    }
}

/// Checks an entry inspection against its order (IN-1).
pub fn check_entry(order: &WorkOrder, cmd: &SubmitEntryInspection) -> Result<()> {
    use crate::model::work_order::WorkOrderStatus::{AwaitingApproval, Open};
    if order.entry_inspected {
        return Err(DomainError::FailedPrecondition {
            code: "inspection.already_submitted",
            message: "the entry inspection was already submitted; records are append-only (IN-3)".into(),
        });
    }
    if !matches!(order.status, Open | AwaitingApproval) {
        return Err(DomainError::FailedPrecondition {
            code: "work_order.invalid_transition",
            message: format!(
                "the entry inspection comes before approval; the order is {}",
                order.status.as_str()
            ),
        });
    }
    let mut v = Validator::new();
    if cmd.methods.is_empty() {
        v.push("methods", "needs at least one method");
    }
    v.text("findings", &cmd.findings, crate::error::limits::TEXT);
    if let Some(c) = &cmd.condition {
        v.optional_text("condition.exterior_marks", c.exterior_marks.as_deref(), crate::error::limits::NOTE);
        v.optional_text("condition.valuables", c.valuables.as_deref(), crate::error::limits::NOTE);
    }
    v.finish()
}

/// Checks an exit inspection against its order: one result per worked line, and the road test
/// the category needs (IN-2). Returns whether it passed and the lines that failed.
pub fn check_exit(order: &WorkOrder, cmd: &SubmitExitInspection) -> Result<(bool, Vec<LineId>)> {
    let worked: Vec<LineId> =
        order.lines.iter().filter(|l| l.status == LineStatus::Done).map(|l| l.id).collect();
    let mut v = Validator::new();
    for (i, r) in cmd.results.iter().enumerate() {
        if !worked.contains(&r.line_id) {
            v.push(format!("results[{i}].line_id"), "is not a worked line of this order");
        } else if cmd.results[..i].iter().any(|e| e.line_id == r.line_id) {
            v.push(format!("results[{i}].line_id"), "has a result already");
        }
        v.optional_text(&format!("results[{i}].notes"), r.notes.as_deref(), crate::error::limits::NOTE);
    }
    for id in &worked {
        if !cmd.results.iter().any(|r| r.line_id == *id) {
            v.push("results", format!("line {id} has no result; every worked line is checked item by item"));
        }
    }
    if order.repair_category.needs_road_test() && cmd.road_test.is_none() {
        v.push("road_test", format!("is required for {}", order.repair_category.label_zh()));
    }
    v.finish()?;
    let failed: Vec<LineId> = cmd.results.iter().filter(|r| !r.passed).map(|r| r.line_id).collect();
    let road_ok = cmd.road_test.as_ref().is_none_or(|t| t.passed);
    Ok((failed.is_empty() && road_ok, failed))
}

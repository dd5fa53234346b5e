//! The customer's approval of the estimate and of added work, line by line (WO-4, WO-5).

use super::*;

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
    /// The approval link it came through (method `signed_link`, WO-13).
    #[serde(default)]
    pub link_id: Option<crate::model::approval_link::ApprovalLinkId>,
    /// The client address the link was used from.
    #[serde(default)]
    pub client_address: Option<String>,
}

impl WorkOrder {
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
            v.optional_text(
                &format!("decisions[{i}].reason"),
                d.reason.as_deref(),
                crate::error::limits::NOTE,
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
}

//! Complaints and their history: escalation, notice, solution, return visit (FU-6).

use super::*;

/// Where a complaint stands (FU-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ComplaintStatus {
    /// Being handled.
    Open,
    /// Unresolved past the limit; the supervisor has it.
    Escalated,
    /// A solution was found.
    Resolved,
    /// Done, with the return visit planned.
    Closed,
}

impl ComplaintStatus {
    /// Returns the wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Escalated => "escalated",
            Self::Resolved => "resolved",
            Self::Closed => "closed",
        }
    }
}

/// One step in a complaint's history, kept whole (FU-6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComplaintEvent {
    /// The step.
    pub action: String,
    /// Who (`system` for automatic escalation).
    pub actor: String,
    /// When.
    pub at: DateTime<Utc>,
    /// What was said or decided.
    pub note: Option<String>,
}

/// When a complaint opened at `opened_at` escalates if unresolved: the store-local midnight that
/// ends its `days`-th day after the day it was opened, so day `days` is still in time (FU-6).
pub fn escalation_instant(opened_at: DateTime<Utc>, tz: Tz, days: u32) -> Option<DateTime<Utc>> {
    let opened = opened_at.with_timezone(&tz).date_naive();
    let first_late_day = opened.checked_add_days(Days::new(u64::from(days) + 1))?;
    first_late_day.and_hms_opt(0, 0, 0)?.and_local_timezone(tz).earliest().map(|t| t.with_timezone(&Utc))
}

/// A customer complaint (FU-6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Complaint {
    /// Id.
    pub id: ComplaintId,
    /// Store.
    pub store: StoreCode,
    /// The customer.
    pub customer_id: CustomerId,
    /// The contact it was raised in.
    pub contact_id: Option<ContactId>,
    /// The work order it concerns.
    pub work_order_id: Option<WorkOrderId>,
    /// What the customer complains about.
    pub summary: String,
    /// Where it stands.
    pub status: ComplaintStatus,
    /// When it was raised.
    pub opened_at: DateTime<Utc>,
    /// When it escalates to the supervisor if still unresolved: the store-local midnight after the
    /// store's limit (FU-6). Fixed when it is opened.
    #[serde(default)]
    pub escalates_at: Option<DateTime<Utc>>,
    /// When it went to the supervisor.
    pub escalated_at: Option<DateTime<Utc>>,
    /// The solution.
    pub solution: Option<String>,
    /// When the solution was found.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the customer was told.
    pub customer_notified_at: Option<DateTime<Utc>>,
    /// The customer was told later than the day of the solution (FU-6).
    pub notice_breach: bool,
    /// The return visit planned at closing.
    pub return_visit_task: Option<TaskId>,
    /// Every step, oldest first.
    pub history: Vec<ComplaintEvent>,
    /// Optimistic-concurrency version.
    pub version: i64,
}

impl Complaint {
    /// When it last changed: its opening or the latest step of its history (incremental sync).
    pub fn changed_at(&self) -> DateTime<Utc> {
        let steps = [self.escalated_at, self.resolved_at, self.customer_notified_at];
        self.history
            .iter()
            .map(|e| e.at)
            .chain(steps.into_iter().flatten())
            .fold(self.opened_at, DateTime::max)
    }

    fn refuse(&self, step: &str, why: &str) -> DomainError {
        DomainError::FailedPrecondition {
            code: "complaint.invalid_transition",
            message: format!("cannot {step} a complaint that is {}: {why}", self.status.as_str()),
        }
    }

    fn log(&mut self, action: &str, actor: &str, at: DateTime<Utc>, note: Option<String>) {
        self.history.push(ComplaintEvent { action: action.into(), actor: actor.into(), at, note });
    }

    /// Whether it is due to escalate: still open at its escalation instant (FU-6).
    pub fn escalation_due(&self, now: DateTime<Utc>, tz: Tz, days: u32) -> bool {
        let at = self.escalates_at.or_else(|| escalation_instant(self.opened_at, tz, days));
        self.status == ComplaintStatus::Open && at.is_some_and(|at| now >= at)
    }

    /// Hands it to the supervisor (FU-6); automatic.
    pub fn escalate(&mut self, at: DateTime<Utc>) -> Result<()> {
        if self.status != ComplaintStatus::Open {
            return Err(self.refuse("escalate", "only an open complaint escalates"));
        }
        self.status = ComplaintStatus::Escalated;
        self.escalated_at = Some(at);
        self.log("escalate", "system", at, Some("unresolved past the limit; the supervisor has it".into()));
        Ok(())
    }

    /// Records the solution (FU-6).
    pub fn resolve(&mut self, solution: &str, actor: &str, at: DateTime<Utc>) -> Result<()> {
        if !matches!(self.status, ComplaintStatus::Open | ComplaintStatus::Escalated) {
            return Err(self.refuse("resolve", "it already has a solution"));
        }
        let solution = solution.trim();
        if solution.is_empty() {
            return Err(DomainError::invalid("solution", "must not be empty"));
        }
        self.status = ComplaintStatus::Resolved;
        self.solution = Some(solution.to_string());
        self.resolved_at = Some(at);
        self.log("resolve", actor, at, Some(solution.to_string()));
        Ok(())
    }

    /// Records that the customer was told; later than the day of the solution is a breach (FU-6).
    pub fn notify_customer(&mut self, tz: Tz, actor: &str, at: DateTime<Utc>) -> Result<()> {
        let Some(resolved_at) = self.resolved_at.filter(|_| self.status == ComplaintStatus::Resolved) else {
            return Err(self.refuse("notify the customer of", "there is no solution yet"));
        };
        if self.customer_notified_at.is_some() {
            return Err(self.refuse("notify the customer of", "the customer was already told"));
        }
        self.customer_notified_at = Some(at);
        self.notice_breach =
            at.with_timezone(&tz).date_naive() != resolved_at.with_timezone(&tz).date_naive();
        let note = self.notice_breach.then(|| "told after the day of the solution".to_string());
        self.log("notify_customer", actor, at, note);
        Ok(())
    }

    /// Closes it once the customer was told; the caller plans the return visit (FU-6).
    pub fn close(&mut self, return_visit: TaskId, actor: &str, at: DateTime<Utc>) -> Result<()> {
        if self.status != ComplaintStatus::Resolved || self.customer_notified_at.is_none() {
            return Err(self.refuse("close", "it needs a solution the customer was told about"));
        }
        self.status = ComplaintStatus::Closed;
        self.return_visit_task = Some(return_visit);
        self.log("close", actor, at, None);
        Ok(())
    }
}

// Stays whole because tasks, contacts, campaigns and complaints share id and window types.
//! Follow-up service (追踪服务): tasks on the regulation's schedule and contact records
//! (FU-1..FU-5).

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::model::store::{CallWindow, SlaSettings, StaffMember};
use crate::model::work_order::WorkOrderId;
use crate::value::uuid_id;
use crate::value::{CustomerId, StoreCode};
use crate::{DomainError, Result};

uuid_id!(
    /// Identifies a follow-up task.
    TaskId
);
uuid_id!(
    /// Identifies a contact record.
    ContactId
);
uuid_id!(
    /// Identifies a complaint.
    ComplaintId
);
uuid_id!(
    /// Identifies a campaign.
    CampaignId
);
uuid_id!(
    /// Identifies a registered letter.
    LetterId
);

/// Why a task exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    /// After a delivery or visit (FU-1).
    FirstFollowUp,
    /// After the first follow-up was done (FU-2).
    SecondFollowUp,
    /// After a complaint was resolved (处理后回访, FU-6).
    ReturnVisit,
    /// Invite a customer to an event, at least 14 days before it (FU-7).
    CampaignCall,
    /// Send the event letter within 2 days of the call (FU-7).
    CampaignLetter,
    /// Remind the customer of the next maintenance, ahead of it (FU-10).
    MaintenanceReminder,
    /// Bring up again the work the customer declined (FU-10, WO-11).
    DeclinedReminder,
    /// Follow a customer whose car missed its maintenance (FU-10); cancelled if the car comes back.
    Lapsing,
}

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    /// To be done.
    Open,
    /// Done.
    Done,
    /// Closed without reaching the customer (FU-5).
    Unreachable,
    /// No longer needed.
    Cancelled,
}

impl TaskStatus {
    /// Returns the wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Done => "done",
            Self::Unreachable => "unreachable",
            Self::Cancelled => "cancelled",
        }
    }
}

/// A follow-up task: one customer, one agent, a window of store-local days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpTask {
    /// Id.
    pub id: TaskId,
    /// Store.
    pub store: StoreCode,
    /// Why it exists.
    pub kind: TaskKind,
    /// The customer to contact.
    pub customer_id: CustomerId,
    /// The order it follows, if any.
    pub work_order_id: Option<WorkOrderId>,
    /// The task whose completion created it (FU-2).
    pub previous_task: Option<TaskId>,
    /// The campaign it belongs to (FU-7).
    #[serde(default)]
    pub campaign_id: Option<CampaignId>,
    /// The agent (staff id); none when the store has no agent to give it to (FU-3).
    pub assignee: Option<String>,
    /// Staff who may never follow this up, as it is an independent check: the order's advisor,
    /// whoever received the visit (FU-3). Kept with the task, so reassignment applies it too.
    #[serde(default)]
    pub not_by: Vec<String>,
    /// First store-local day of the window.
    pub due_from: NaiveDate,
    /// Last store-local day of the window: the deadline.
    pub due_to: NaiveDate,
    /// Where it stands.
    pub status: TaskStatus,
    /// Topics already covered, not to be repeated (FU-2).
    pub topics_covered: Vec<String>,
    /// What the call is to bring up, such as the declined work (FU-10).
    #[serde(default)]
    pub subjects: Vec<String>,
    /// When it was done or closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl TaskKind {
    /// Marketing contact, which needs the customer's marketing consent (CF-5); every other kind
    /// is service contact.
    pub fn is_marketing(self) -> bool {
        match self {
            Self::CampaignCall | Self::CampaignLetter => true,
            Self::FirstFollowUp
            | Self::SecondFollowUp
            | Self::ReturnVisit
            | Self::MaintenanceReminder
            | Self::DeclinedReminder
            | Self::Lapsing => false,
        }
    }
}

impl LetterKind {
    /// An invitation is marketing and needs consent (CF-5); notices and replies are service.
    pub fn is_marketing(self) -> bool {
        match self {
            Self::Invitation => true,
            Self::Notice | Self::Reply => false,
        }
    }
}

impl FollowUpTask {
    /// The task closed as `status` (done, unreachable or cancelled) at `at`, one version on.
    pub fn closed(&self, status: TaskStatus, at: DateTime<Utc>) -> Self {
        let mut next = self.clone();
        next.status = status;
        next.closed_at = Some(at);
        next.version += 1;
        next.updated_at = at;
        next
    }
}

/// Returns the first follow-up window: day 3 to day 7 after the store-local day of the event (FU-1).
pub fn first_window(event_day: NaiveDate, sla: &SlaSettings) -> (NaiveDate, NaiveDate) {
    window(event_day, sla.first_follow_up_from_day, sla.first_follow_up_to_day)
}

/// Returns the return-visit window after a complaint is closed: the next day to day 3 (FU-6).
pub fn return_visit_window(closed_day: NaiveDate) -> (NaiveDate, NaiveDate) {
    window(closed_day, 1, 3)
}

/// Returns a campaign call window: from today to `lead_days` before the event; refused when the
/// event is too close to call in time (FU-7).
pub fn campaign_call_window(
    today: NaiveDate,
    event: NaiveDate,
    lead_days: u32,
) -> Result<(NaiveDate, NaiveDate)> {
    let last_call = event.checked_sub_days(Days::new(u64::from(lead_days))).unwrap_or(event);
    if last_call < today {
        return Err(DomainError::invalid(
            "event_date",
            format!(
                "customers are phoned at least {lead_days} days before the event (FU-7); the last day to call would be {last_call}"
            ),
        ));
    }
    Ok((today, last_call))
}

/// Returns the letter window after a campaign call: the same day to `days` after (FU-7).
pub fn campaign_letter_window(call_day: NaiveDate, days: u32) -> (NaiveDate, NaiveDate) {
    window(call_day, 0, days)
}

/// Returns the lapsing follow-up window: from `lapse_after_days` after the maintenance fell due,
/// for a week (FU-10).
pub fn lapsing_window(maintenance_due: NaiveDate, sla: &SlaSettings) -> (NaiveDate, NaiveDate) {
    window(maintenance_due, sla.lapse_after_days, sla.lapse_after_days.saturating_add(7))
}

/// Returns the declined-work reminder window, counted from the delivery day (FU-10).
pub fn declined_reminder_window(delivery_day: NaiveDate, sla: &SlaSettings) -> (NaiveDate, NaiveDate) {
    window(delivery_day, sla.declined_reminder_from_day, sla.declined_reminder_to_day)
}

/// Projects the day the odometer reaches `target_km`, at the average daily distance driven since
/// first registration; `None` when there is no history to project from (FU-10).
pub fn projected_mileage_day(
    registered: Option<NaiveDate>,
    today: NaiveDate,
    mileage_km: u32,
    target_km: u32,
) -> Option<NaiveDate> {
    if mileage_km >= target_km {
        return Some(today);
    }
    let days_driven = (today - registered?).num_days();
    if days_driven <= 0 || mileage_km == 0 {
        return None;
    }
    let per_day = f64::from(mileage_km) / days_driven as f64;
    let days_left = (f64::from(target_km - mileage_km) / per_day).floor();
    // Beyond about 27 years the projection means nothing; the date limit decides.
    if days_left > 10_000.0 {
        return None;
    }
    today.checked_add_days(Days::new(days_left as u64))
}

/// Returns the maintenance reminder window: from `lead_days` before the maintenance falls due (by
/// date or projected mileage, whichever comes first) to that day, never starting before tomorrow;
/// `None` when neither limit is known (FU-10).
pub fn maintenance_reminder_window(
    due_date: Option<NaiveDate>,
    projected_day: Option<NaiveDate>,
    today: NaiveDate,
    lead_days: u32,
) -> Option<(NaiveDate, NaiveDate)> {
    let due = match (due_date, projected_day) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    let tomorrow = today.succ_opt()?;
    let due = due.max(tomorrow);
    let from = due.checked_sub_days(Days::new(u64::from(lead_days))).unwrap_or(due).max(tomorrow);
    Some((from, due))
}

/// Returns the second follow-up window: day 7 to day 14 after the first was done (FU-2).
pub fn second_window(first_done_day: NaiveDate, sla: &SlaSettings) -> (NaiveDate, NaiveDate) {
    window(first_done_day, sla.second_follow_up_from_day, sla.second_follow_up_to_day)
}

fn window(day: NaiveDate, from: u32, to: u32) -> (NaiveDate, NaiveDate) {
    let add = |n: u32| day.checked_add_days(Days::new(u64::from(n))).unwrap_or(day);
    (add(from), add(to))
}

/// Picks the agent for a task: an active follow-up agent who is not the order's advisor (a
/// follow-up is an independent check), with the fewest open tasks, ties by id (FU-3).
pub fn choose_agent<'a>(
    staff: &'a [StaffMember],
    not_by: &[String],
    open_load: impl Fn(&str) -> u64,
) -> Option<&'a StaffMember> {
    staff
        .iter()
        .filter(|s| s.active && s.roles.contains(&crate::auth::Role::FollowupAgent))
        .filter(|s| !not_by.contains(&s.id))
        .min_by(|a, b| open_load(&a.id).cmp(&open_load(&b.id)).then_with(|| a.id.cmp(&b.id)))
}

/// Returns the next instant, from `now`, inside the store's call hours (FU-5).
pub fn next_call_time(now: DateTime<Utc>, tz: Tz, call_hours: &[CallWindow]) -> Option<DateTime<Utc>> {
    let local = now.with_timezone(&tz);
    for offset in 0..8u64 {
        let day = local.date_naive().checked_add_days(Days::new(offset))?;
        for window in call_hours {
            let start = at_local(tz, day, window.start)?;
            let end = at_local(tz, day, window.end)?;
            if now < start {
                return Some(start);
            }
            if now < end {
                return Some(now);
            }
        }
    }
    None
}

fn at_local(tz: Tz, day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&day.and_time(time)).earliest().map(|t| t.with_timezone(&Utc))
}

/// Checks that a task may close as unreachable: failed attempts spanning at least `days`
/// store-local days, and the customer never reached (FU-5).
pub fn check_unreachable(attempt_days: &[NaiveDate], reached: bool, days: u32) -> Result<()> {
    if reached {
        return Err(DomainError::FailedPrecondition {
            code: "follow_up_task.reached",
            message: "the customer was reached on this task; complete it instead".into(),
        });
    }
    let (Some(first), Some(last)) = (attempt_days.iter().min(), attempt_days.iter().max()) else {
        return Err(DomainError::FailedPrecondition {
            code: "follow_up_task.too_early_unreachable",
            message: "no attempt to reach the customer is on record (FU-5)".into(),
        });
    };
    if (*last - *first).num_days() < i64::from(days) {
        return Err(DomainError::FailedPrecondition {
            code: "follow_up_task.too_early_unreachable",
            message: format!(
                "attempts must span {days} days before the task closes as unreachable (FU-5); the first was on {first}"
            ),
        });
    }
    Ok(())
}

/// How a contact went (FU-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ContactOutcome {
    /// Spoke with the customer.
    Reached,
    /// Nobody answered.
    NoAnswer,
    /// The number was wrong.
    WrongNumber,
    /// The customer declined to talk.
    Refused,
}

/// The contact's channel (FU-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FollowUpChannel {
    /// A call.
    Phone,
    /// A text message.
    Sms,
    /// WeChat.
    Wechat,
    /// A letter.
    Letter,
    /// At the store.
    InPerson,
}

/// How the message went out to a customer who could not be reached (FU-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FallbackChannel {
    /// A text message.
    Sms,
    /// A letter.
    Letter,
}

impl From<FallbackChannel> for FollowUpChannel {
    fn from(c: FallbackChannel) -> Self {
        match c {
            FallbackChannel::Sms => Self::Sms,
            FallbackChannel::Letter => Self::Letter,
        }
    }
}

/// Who started the contact (FU-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// The store called.
    Outbound,
    /// The customer called or came.
    Inbound,
}

/// One contact with a customer (追踪服务记录, FU-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactRecord {
    /// Id.
    pub id: ContactId,
    /// Store.
    pub store: StoreCode,
    /// The customer.
    pub customer_id: CustomerId,
    /// The task it works on, if any.
    pub task_id: Option<TaskId>,
    /// Channel.
    pub channel: FollowUpChannel,
    /// Direction.
    pub direction: Direction,
    /// Outcome.
    pub outcome: ContactOutcome,
    /// Topics talked about.
    pub topics: Vec<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Satisfaction 1-5, when asked.
    pub satisfaction: Option<u8>,
    /// The agent (staff id).
    pub agent: String,
    /// When.
    pub contacted_at: DateTime<Utc>,
}

/// An event the store invites customers to (联谊活动, 优惠服务, 免费服务; FU-7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    /// Id.
    pub id: CampaignId,
    /// Store.
    pub store: StoreCode,
    /// Name.
    pub name: String,
    /// What kind of event.
    pub kind: CampaignKind,
    /// The event's store-local day.
    pub event_date: NaiveDate,
    /// Whether each call is followed by a letter.
    pub letter_wanted: bool,
    /// The customers invited.
    pub customers: Vec<CustomerId>,
    /// The customers asked for but not invited, and why (CF-5).
    #[serde(default)]
    pub left_out: Vec<LeftOut>,
    /// Who created it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A customer a campaign did not invite, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LeftOut {
    /// The customer.
    pub customer_id: CustomerId,
    /// Why.
    pub reason: LeftOutReason,
}

/// Why a customer was not invited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LeftOutReason {
    /// The customer has not consented to marketing contact, or withdrew it (CF-5).
    NoMarketingConsent,
}

/// The kind of event (FU-7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CampaignKind {
    /// 联谊活动.
    SocialEvent,
    /// 优惠服务.
    Discount,
    /// 免费服务.
    FreeService,
}

/// What a letter is (FU-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LetterKind {
    /// A notice.
    Notice,
    /// An invitation.
    Invitation,
    /// A reply.
    Reply,
}

/// How a letter went out (FU-8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LetterChannel {
    /// By post.
    Post,
    /// By e-mail.
    Email,
    /// By WeChat.
    Wechat,
    /// By text message.
    Sms,
}

/// A registered letter (追踪服务信函登记表, FU-8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Letter {
    /// Id.
    pub id: LetterId,
    /// Store.
    pub store: StoreCode,
    /// The customer.
    pub customer_id: CustomerId,
    /// What it is.
    pub kind: LetterKind,
    /// Subject.
    pub subject: String,
    /// How it went out.
    pub channel: LetterChannel,
    /// The task it fulfils, if any.
    pub task_id: Option<TaskId>,
    /// Who sent it.
    pub sent_by: String,
    /// When.
    pub sent_at: DateTime<Utc>,
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    // FU-10: whichever comes first, the date or the projected mileage.
    #[test]
    fn the_maintenance_reminder_falls_on_the_earlier_of_date_and_projected_mileage() {
        let today = d("2026-11-27");
        // 36,500 km over 365 days is 100 km a day: 5,000 km more takes 50 days.
        let projected = projected_mileage_day(Some(d("2025-11-27")), today, 36_500, 41_500);
        assert_eq!(projected, Some(d("2027-01-16")));
        assert_eq!(
            maintenance_reminder_window(Some(d("2027-05-27")), projected, today, 7),
            Some((d("2027-01-09"), d("2027-01-16"))),
            "the mileage comes first"
        );
        // A car that hardly moves: the date comes first.
        let slow = projected_mileage_day(Some(d("2025-11-27")), today, 1_000, 6_000);
        assert_eq!(
            maintenance_reminder_window(Some(d("2027-05-27")), slow, today, 7),
            Some((d("2027-05-20"), d("2027-05-27")))
        );
        // Already past due: remind from tomorrow.
        assert_eq!(
            maintenance_reminder_window(Some(d("2026-10-01")), None, today, 7),
            Some((d("2026-11-28"), d("2026-11-28")))
        );
        assert_eq!(projected_mileage_day(None, today, 10_000, 15_000), None, "no history to project from");
        assert_eq!(maintenance_reminder_window(None, None, today, 7), None);
    }

    // FU-10: declined work comes up again a month after delivery.
    #[test]
    fn declined_work_is_brought_up_a_month_later() {
        let sla = SlaSettings::default();
        assert_eq!(declined_reminder_window(d("2026-11-27"), &sla), (d("2026-12-27"), d("2027-01-03")));
        assert_eq!(lapsing_window(d("2027-01-16"), &sla), (d("2027-02-15"), d("2027-02-22")), "lapsing");
    }
    use crate::auth::Role;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn complaint(opened: &str) -> Complaint {
        Complaint {
            id: ComplaintId::generate(),
            store: StoreCode::parse("SH001").unwrap(),
            customer_id: CustomerId(uuid::Uuid::now_v7()),
            contact_id: None,
            work_order_id: None,
            summary: "刹车仍有异响".into(),
            status: ComplaintStatus::Open,
            opened_at: opened.parse().unwrap(),
            escalates_at: None,
            escalated_at: None,
            solution: None,
            resolved_at: None,
            customer_notified_at: None,
            notice_breach: false,
            return_visit_task: None,
            history: vec![],
            version: 1,
        }
    }

    // FU-6: unresolved within 2 store-local days escalates; day 2 is still in time.
    #[test]
    fn a_complaint_escalates_once_two_store_days_have_passed() {
        let tz = chrono_tz::Asia::Shanghai;
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let c = complaint("2026-11-27T15:30:00Z"); // 23:30 on the 27th in Shanghai
        assert_eq!(
            escalation_instant(c.opened_at, tz, 2),
            Some(at("2026-11-29T16:00:00Z")),
            "00:00 on the 30th"
        );
        assert!(!c.escalation_due(at("2026-11-29T15:59:59Z"), tz, 2), "the 29th is still in time");
        assert!(c.escalation_due(at("2026-11-29T16:00:00Z"), tz, 2));
        let berlin = chrono_tz::Europe::Berlin; // 16:30 on the 27th in Berlin
        assert!(!c.escalation_due(at("2026-11-29T20:00:00Z"), berlin, 2));
        assert_eq!(escalation_instant(c.opened_at, berlin, 2), Some(at("2026-11-29T23:00:00Z")));
    }

    // FU-6: told on the day of the solution is in time; the next store day is a breach.
    #[test]
    fn telling_the_customer_after_the_day_of_the_solution_is_a_breach() {
        let tz = chrono_tz::Asia::Shanghai;
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let mut same_day = complaint("2026-11-27T02:00:00Z");
        same_day.resolve("更换刹车片", "sup", at("2026-11-27T03:00:00Z")).unwrap();
        same_day.notify_customer(tz, "sup", at("2026-11-27T15:59:59Z")).unwrap();
        assert!(!same_day.notice_breach);
        let mut late = complaint("2026-11-27T02:00:00Z");
        late.resolve("更换刹车片", "sup", at("2026-11-27T03:00:00Z")).unwrap();
        late.notify_customer(tz, "sup", at("2026-11-27T16:00:00Z")).unwrap();
        assert!(late.notice_breach);
        assert!(late.close(TaskId::generate(), "sup", at("2026-11-28T01:00:00Z")).is_ok());
        let mut early = complaint("2026-11-27T02:00:00Z");
        assert!(early.close(TaskId::generate(), "sup", at("2026-11-28T01:00:00Z")).is_err());
        assert_eq!(early.status, ComplaintStatus::Open);
    }

    // FU-5: attempts over 5 days, never reached.
    #[test]
    fn a_task_closes_unreachable_only_after_attempts_over_five_days() {
        let days = |list: &[&str]| list.iter().map(|d| day(d)).collect::<Vec<_>>();
        assert!(check_unreachable(&days(&["2026-11-30", "2026-12-04"]), false, 5).is_err(), "4 days apart");
        assert!(check_unreachable(&days(&["2026-11-30", "2026-12-02", "2026-12-05"]), false, 5).is_ok());
        assert!(check_unreachable(&days(&["2026-11-30", "2026-12-05"]), true, 5).is_err(), "reached");
        assert!(check_unreachable(&[], false, 5).is_err());
    }

    // FU-7: at least 14 days before the event; day 14 itself is still in time.
    #[test]
    fn campaign_calls_end_fourteen_days_before_the_event() {
        assert_eq!(
            campaign_call_window(day("2026-11-27"), day("2026-12-11"), 14).unwrap(),
            (day("2026-11-27"), day("2026-11-27"))
        );
        let late = campaign_call_window(day("2026-11-27"), day("2026-12-10"), 14).unwrap_err();
        assert_eq!(late.field_errors()[0].field, "event_date");
        assert_eq!(campaign_letter_window(day("2026-11-30"), 2), (day("2026-11-30"), day("2026-12-02")));
    }

    // FU-1: day 3 to day 7, across a month end.
    #[test]
    fn the_first_follow_up_is_due_from_day_3_to_day_7() {
        let sla = SlaSettings::default();
        assert_eq!(first_window(day("2026-11-27"), &sla), (day("2026-11-30"), day("2026-12-04")));
        assert_eq!(first_window(day("2026-02-26"), &sla), (day("2026-03-01"), day("2026-03-05")));
    }

    // FU-2: day 7 to day 14 after the first was done, across a year end.
    #[test]
    fn the_second_follow_up_is_due_from_day_7_to_day_14() {
        let sla = SlaSettings::default();
        assert_eq!(second_window(day("2026-12-25"), &sla), (day("2027-01-01"), day("2027-01-08")));
    }

    fn agent(id: &str, active: bool) -> StaffMember {
        StaffMember {
            store: StoreCode::parse("SH001").unwrap(),
            id: id.into(),
            name: id.into(),
            roles: vec![Role::FollowupAgent],
            active,
            version: 1,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        }
    }

    // FU-3
    #[test]
    fn the_agent_is_never_the_advisor_and_the_least_loaded_wins() {
        let staff = vec![agent("fu-1", true), agent("fu-2", true), agent("fu-3", false)];
        let load = |id: &str| if id == "fu-1" { 3 } else { 1 };
        assert_eq!(choose_agent(&staff, &[], load).unwrap().id, "fu-2");
        assert_eq!(choose_agent(&staff, &["fu-2".into()], load).unwrap().id, "fu-1", "never the advisor");
        assert!(choose_agent(&staff[2..], &[], load).is_none(), "inactive agents get no work");
    }

    // FU-5: calls only inside call hours, in the store's time zone.
    #[test]
    fn the_next_call_time_falls_inside_the_call_hours() {
        let hours = crate::model::store::default_call_hours();
        let tz = chrono_tz::Asia::Shanghai;
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        // 08:00 local -> 09:00 local; 10:30 -> now; 12:30 -> 14:00; 21:00 -> next day 09:00.
        assert_eq!(next_call_time(at("2026-11-27T00:00:00Z"), tz, &hours), Some(at("2026-11-27T01:00:00Z")));
        assert_eq!(next_call_time(at("2026-11-27T02:30:00Z"), tz, &hours), Some(at("2026-11-27T02:30:00Z")));
        assert_eq!(next_call_time(at("2026-11-27T04:30:00Z"), tz, &hours), Some(at("2026-11-27T06:00:00Z")));
        assert_eq!(next_call_time(at("2026-11-27T13:00:00Z"), tz, &hours), Some(at("2026-11-28T01:00:00Z")));
        let berlin = chrono_tz::Europe::Berlin;
        assert_eq!(
            next_call_time(at("2026-11-27T07:00:00Z"), berlin, &hours),
            Some(at("2026-11-27T08:00:00Z"))
        );
    }
}

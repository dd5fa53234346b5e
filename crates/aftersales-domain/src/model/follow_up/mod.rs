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

mod campaigns;
mod complaints;
mod contacts;
#[cfg(test)]
mod tests;

pub use campaigns::*;
pub use complaints::*;
pub use contacts::*;

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

//! Follow-up service (追踪服务): tasks on the regulation's schedule and contact records
//! (FU-1..FU-5).

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::model::store::{CallWindow, SlaSettings, StaffMember};
use crate::model::work_order::WorkOrderId;
use crate::value::{CustomerId, StoreCode};
use crate::{DomainError, Result};

macro_rules! follow_up_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String, format = Uuid))]
        #[serde(transparent)]
        pub struct $name(pub uuid::Uuid);

        impl $name {
            /// Creates a new time-ordered id.
            pub fn generate() -> Self {
                Self(uuid::Uuid::now_v7())
            }

            /// Parses an id, naming `field` on failure.
            pub fn parse(field: &str, raw: &str) -> Result<Self> {
                uuid::Uuid::parse_str(raw.trim()).map(Self).map_err(|_| DomainError::invalid(field, "must be a UUID"))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

follow_up_id!(
    /// Identifies a follow-up task.
    TaskId
);
follow_up_id!(
    /// Identifies a contact record.
    ContactId
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
    /// The agent (staff id); none when the store has no agent to give it to (FU-3).
    pub assignee: Option<String>,
    /// First store-local day of the window.
    pub due_from: NaiveDate,
    /// Last store-local day of the window: the deadline.
    pub due_to: NaiveDate,
    /// Where it stands.
    pub status: TaskStatus,
    /// Topics already covered, not to be repeated (FU-2).
    pub topics_covered: Vec<String>,
    /// When it was done or closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// Returns the first follow-up window: day 3 to day 7 after the store-local day of the event (FU-1).
pub fn first_window(event_day: NaiveDate, sla: &SlaSettings) -> (NaiveDate, NaiveDate) {
    window(event_day, sla.first_follow_up_from_day, sla.first_follow_up_to_day)
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
    advisor: Option<&str>,
    open_load: impl Fn(&str) -> u64,
) -> Option<&'a StaffMember> {
    staff
        .iter()
        .filter(|s| s.active && s.roles.contains(&crate::auth::Role::FollowupAgent))
        .filter(|s| Some(s.id.as_str()) != advisor)
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
pub enum ContactChannel {
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
    pub channel: ContactChannel,
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Role;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
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
        assert_eq!(choose_agent(&staff, None, load).unwrap().id, "fu-2");
        assert_eq!(choose_agent(&staff, Some("fu-2"), load).unwrap().id, "fu-1", "never the advisor");
        assert!(choose_agent(&staff[2..], None, load).is_none(), "inactive agents get no work");
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

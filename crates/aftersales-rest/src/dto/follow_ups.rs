//! Response bodies of follow-up tasks, the worklist, contacts, complaints, campaigns and letters.

use aftersales_domain::model::follow_up::{
    Campaign, CampaignKind, Complaint, ComplaintEvent, ComplaintStatus, LeftOut, Letter, LetterChannel,
    LetterKind,
};
use aftersales_domain::model::follow_up::{
    ContactOutcome, ContactRecord, Direction, FollowUpChannel, FollowUpTask, TaskKind, TaskStatus,
};
use aftersales_domain::value::Etag;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A follow-up task (FU-1..FU-3).
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpTaskDto {
    /// Id.
    pub id: Uuid,
    /// Store code.
    pub store: String,
    /// Why it exists.
    pub kind: TaskKind,
    /// The customer to contact.
    pub customer_id: Uuid,
    /// The order it follows.
    pub work_order_id: Option<Uuid>,
    /// The task whose completion created it.
    pub previous_task: Option<Uuid>,
    /// The campaign a campaign call or letter task belongs to (FU-7).
    pub campaign_id: Option<Uuid>,
    /// The agent (staff id); never the order's advisor.
    pub assignee: Option<String>,
    /// First store-local day of the window.
    pub due_from: NaiveDate,
    /// Deadline, store-local.
    pub due_to: NaiveDate,
    /// Open, done, unreachable or cancelled.
    pub status: TaskStatus,
    /// Topics already covered, not to repeat (FU-2).
    pub topics_covered: Vec<String>,
    /// What the call is to bring up, such as the declined work (FU-10).
    pub subjects: Vec<String>,
    /// When it was closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Version tag.
    pub etag: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed (what `updated_since` compares).
    pub updated_at: DateTime<Utc>,
}

impl From<FollowUpTask> for FollowUpTaskDto {
    fn from(t: FollowUpTask) -> Self {
        let FollowUpTask {
            id,
            store,
            kind,
            customer_id,
            work_order_id,
            previous_task,
            assignee,
            due_from,
            due_to,
            status,
            topics_covered,
            subjects,
            closed_at,
            version,
            created_at,
            campaign_id,
            // Internal: whom the planner kept it from (FU-3).
            not_by: _,
            updated_at,
        } = t;
        Self {
            id: id.0,
            store: store.to_string(),
            kind,
            customer_id: customer_id.0,
            work_order_id: work_order_id.map(|w| w.0),
            campaign_id: campaign_id.map(|c| c.0),
            previous_task: previous_task.map(|p| p.0),
            assignee,
            due_from,
            due_to,
            status,
            topics_covered,
            subjects,
            closed_at,
            etag: Etag::render(version),
            created_at,
            updated_at,
        }
    }
}

/// A task on an agent's worklist (FU-5).
#[derive(Debug, Serialize, ToSchema)]
pub struct WorklistItemDto {
    /// The task.
    pub task: FollowUpTaskDto,
    /// Past its deadline.
    pub overdue: bool,
    /// The next moment inside the store's call hours.
    pub next_call_at: Option<DateTime<Utc>>,
}

/// An agent's worklist for a day, deadline first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Worklist {
    /// The tasks, in the order of the calls.
    pub items: Vec<WorklistItemDto>,
    /// Token for the next page; empty at the end.
    pub next_page_token: String,
}

/// A contact with a customer (FU-4).
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactRecordDto {
    /// Id.
    pub id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// The task it worked on.
    pub task_id: Option<Uuid>,
    /// Channel.
    pub channel: FollowUpChannel,
    /// Direction.
    pub direction: Direction,
    /// Outcome.
    pub outcome: ContactOutcome,
    /// Topics.
    pub topics: Vec<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Satisfaction 1-5.
    pub satisfaction: Option<u8>,
    /// The agent.
    pub agent: String,
    /// When.
    pub contacted_at: DateTime<Utc>,
}

impl From<ContactRecord> for ContactRecordDto {
    fn from(c: ContactRecord) -> Self {
        let ContactRecord {
            id,
            customer_id,
            task_id,
            channel,
            direction,
            outcome,
            topics,
            notes,
            satisfaction,
            agent,
            contacted_at,
            store: _,
        } = c;
        Self {
            id: id.0,
            customer_id: customer_id.0,
            task_id: task_id.map(|t| t.0),
            channel,
            direction,
            outcome,
            topics,
            notes,
            satisfaction,
            agent,
            contacted_at,
        }
    }
}

list_dto!(
    /// A page of follow-up tasks.
    FollowUpTaskList, follow_up_tasks, FollowUpTaskDto
);

list_dto!(
    /// A page of contact records.
    ContactRecordList, contact_records, ContactRecordDto
);

/// A complaint with its whole history (FU-6).
#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintDto {
    /// Id.
    pub id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// The contact it was raised in.
    pub contact_id: Option<Uuid>,
    /// The work order it concerns.
    pub work_order_id: Option<Uuid>,
    /// What the customer complains about.
    pub summary: String,
    /// Open, escalated, resolved or closed.
    pub status: ComplaintStatus,
    /// Raised.
    pub opened_at: DateTime<Utc>,
    /// Handed to the supervisor.
    pub escalated_at: Option<DateTime<Utc>>,
    /// When it escalates to the supervisor if still unresolved (FU-6, store-local 2-day rule).
    pub escalates_at: Option<DateTime<Utc>>,
    /// The solution.
    pub solution: Option<String>,
    /// When the solution was found.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When the customer was told.
    pub customer_notified_at: Option<DateTime<Utc>>,
    /// Told later than the day of the solution.
    pub notice_breach: bool,
    /// The return visit planned at closing.
    pub return_visit_task: Option<Uuid>,
    /// Every step.
    pub history: Vec<ComplaintEvent>,
    /// Version tag.
    pub etag: String,
    /// Last changed (what `updated_since` compares).
    pub updated_at: DateTime<Utc>,
}

impl From<Complaint> for ComplaintDto {
    fn from(c: Complaint) -> Self {
        let updated_at = c.changed_at();
        let Complaint {
            id,
            customer_id,
            contact_id,
            work_order_id,
            summary,
            status,
            opened_at,
            escalated_at,
            escalates_at,
            solution,
            resolved_at,
            customer_notified_at,
            notice_breach,
            return_visit_task,
            history,
            version,
            store: _,
        } = c;
        Self {
            id: id.0,
            customer_id: customer_id.0,
            contact_id: contact_id.map(|x| x.0),
            work_order_id: work_order_id.map(|x| x.0),
            summary,
            status,
            opened_at,
            escalated_at,
            escalates_at,
            solution,
            resolved_at,
            customer_notified_at,
            notice_breach,
            return_visit_task: return_visit_task.map(|t| t.0),
            history,
            etag: Etag::render(version),
            updated_at,
        }
    }
}

list_dto!(
    /// A page of complaints.
    ComplaintList, complaints, ComplaintDto
);

/// A campaign (FU-7).
#[derive(Debug, Serialize, ToSchema)]
pub struct CampaignDto {
    /// Id.
    pub id: Uuid,
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: CampaignKind,
    /// The event's store-local day.
    pub event_date: NaiveDate,
    /// Each call is followed by a letter.
    pub letter_wanted: bool,
    /// Customers invited.
    pub customer_ids: Vec<Uuid>,
    /// Customers asked for but not invited, and why (CF-5: no marketing consent).
    pub left_out: Vec<LeftOut>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl From<Campaign> for CampaignDto {
    fn from(c: Campaign) -> Self {
        let Campaign {
            id,
            name,
            kind,
            event_date,
            letter_wanted,
            customers,
            left_out,
            created_at,
            store: _,
            created_by: _,
        } = c;
        Self {
            id: id.0,
            name,
            kind,
            event_date,
            letter_wanted,
            customer_ids: customers.into_iter().map(|x| x.0).collect(),
            left_out,
            created_at,
        }
    }
}

/// A registered letter (FU-8).
#[derive(Debug, Serialize, ToSchema)]
pub struct LetterDto {
    /// Id.
    pub id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// Kind.
    pub kind: LetterKind,
    /// Subject.
    pub subject: String,
    /// Channel.
    pub channel: LetterChannel,
    /// The task it fulfilled.
    pub task_id: Option<Uuid>,
    /// Who sent it.
    pub sent_by: String,
    /// When.
    pub sent_at: DateTime<Utc>,
}

impl From<Letter> for LetterDto {
    fn from(l: Letter) -> Self {
        let Letter { id, customer_id, kind, subject, channel, task_id, sent_by, sent_at, store: _ } = l;
        Self {
            id: id.0,
            customer_id: customer_id.0,
            kind,
            subject,
            channel,
            task_id: task_id.map(|t| t.0),
            sent_by,
            sent_at,
        }
    }
}

list_dto!(
    /// A page of the letter register.
    LetterList, letters, LetterDto
);

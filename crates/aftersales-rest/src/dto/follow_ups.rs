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
}

impl From<FollowUpTask> for FollowUpTaskDto {
    fn from(t: FollowUpTask) -> Self {
        Self {
            id: t.id.0,
            store: t.store.to_string(),
            kind: t.kind,
            customer_id: t.customer_id.0,
            work_order_id: t.work_order_id.map(|w| w.0),
            previous_task: t.previous_task.map(|p| p.0),
            assignee: t.assignee,
            due_from: t.due_from,
            due_to: t.due_to,
            status: t.status,
            topics_covered: t.topics_covered,
            subjects: t.subjects,
            closed_at: t.closed_at,
            etag: Etag::render(t.version),
            created_at: t.created_at,
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
        Self {
            id: c.id.0,
            customer_id: c.customer_id.0,
            task_id: c.task_id.map(|t| t.0),
            channel: c.channel,
            direction: c.direction,
            outcome: c.outcome,
            topics: c.topics,
            notes: c.notes,
            satisfaction: c.satisfaction,
            agent: c.agent,
            contacted_at: c.contacted_at,
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
}

impl From<Complaint> for ComplaintDto {
    fn from(c: Complaint) -> Self {
        Self {
            id: c.id.0,
            customer_id: c.customer_id.0,
            contact_id: c.contact_id.map(|x| x.0),
            work_order_id: c.work_order_id.map(|x| x.0),
            summary: c.summary,
            status: c.status,
            opened_at: c.opened_at,
            escalated_at: c.escalated_at,
            escalates_at: c.escalates_at,
            solution: c.solution,
            resolved_at: c.resolved_at,
            customer_notified_at: c.customer_notified_at,
            notice_breach: c.notice_breach,
            return_visit_task: c.return_visit_task.map(|t| t.0),
            history: c.history,
            etag: Etag::render(c.version),
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
        Self {
            id: c.id.0,
            name: c.name,
            kind: c.kind,
            event_date: c.event_date,
            letter_wanted: c.letter_wanted,
            customer_ids: c.customers.into_iter().map(|x| x.0).collect(),
            left_out: c.left_out,
            created_at: c.created_at,
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
        Self {
            id: l.id.0,
            customer_id: l.customer_id.0,
            kind: l.kind,
            subject: l.subject,
            channel: l.channel,
            task_id: l.task_id.map(|t| t.0),
            sent_by: l.sent_by,
            sent_at: l.sent_at,
        }
    }
}

list_dto!(
    /// A page of the letter register.
    LetterList, letters, LetterDto
);

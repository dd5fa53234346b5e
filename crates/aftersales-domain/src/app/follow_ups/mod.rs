//! The follow-up service: tasks on the regulation's schedule, worklists and contact records
//! (FU-1..FU-5).

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Core, IdempotencyKey};
use crate::auth::{Action, Principal};
use crate::error::Validator;
use crate::model::call_plan::{CallRequest, plan_calls, slots_in_day};
use crate::model::follow_up::declined_reminder_window;
use crate::model::follow_up::{
    Campaign, CampaignId, CampaignKind, LeftOut, LeftOutReason, Letter, LetterChannel, LetterId, LetterKind,
    campaign_call_window, campaign_letter_window, check_unreachable,
};
use crate::model::follow_up::{
    ContactId, ContactOutcome, ContactRecord, Direction, FollowUpChannel, FollowUpTask, TaskId, TaskKind,
    TaskStatus, choose_agent, first_window, return_visit_window, second_window,
};
use crate::model::message::{MessageChannel, MessageRequest};
use crate::model::store::{StaffMember, Store};
use crate::model::work_order::WorkOrderId;
use crate::paging::{Page, PageRequest, all_pages};
use crate::ports::{ChangeSet, ContactFilter, Op, TaskFilter};
use crate::value::{CustomerId, StoreCode};
use crate::{DomainError, Result};

mod campaigns;
mod contacts;

const TASK_NOT_FOUND: DomainError = DomainError::NotFound { resource: "follow_up_task" };

/// Marketing contact with a customer who has not consented to it (CF-5).
pub(crate) fn no_marketing_consent() -> DomainError {
    DomainError::FailedPrecondition {
        code: "customer.no_marketing_consent",
        message: "the customer has not consented to marketing contact (CF-5)".into(),
    }
}

/// Records a contact with a customer (FU-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordContact {
    /// The customer.
    pub customer_id: CustomerId,
    /// The task this contact works on, if any.
    pub task_id: Option<TaskId>,
    /// Channel.
    pub channel: FollowUpChannel,
    /// Who started it; default outbound.
    pub direction: Option<Direction>,
    /// How it went.
    pub outcome: ContactOutcome,
    /// Topics talked about.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(max_items = 20))]
    pub topics: Vec<String>,
    /// Notes.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub notes: Option<String>,
    /// Satisfaction 1-5.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 5))]
    pub satisfaction: Option<u8>,
    /// Closes the task as done (the customer must have been reached).
    pub completes_task: Option<bool>,
}

/// Closes a task as unreachable after the fallback message (FU-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CloseUnreachable {
    /// How the fallback went out: `sms` or `letter`.
    pub fallback_channel: crate::model::follow_up::FallbackChannel,
    /// What the message said.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub notes: Option<String>,
}

/// Creates a campaign and a call task per invited customer (FU-7).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateCampaign {
    /// Name.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// What kind of event.
    pub kind: CampaignKind,
    /// The event's store-local day; at least 14 days ahead.
    pub event_date: NaiveDate,
    /// The customers invited.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 5000))]
    pub customer_ids: Vec<CustomerId>,
    /// Whether each call is followed by a letter within 2 days.
    pub letter_wanted: bool,
}

/// Records a visit or consultation, which the first follow-up follows (FU-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordVisit {
    /// The customer.
    pub customer_id: CustomerId,
    /// What they came for.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
    pub purpose: String,
    /// At the store, or a call.
    pub channel: FollowUpChannel,
}

/// Registers a letter sent to a customer (FU-8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SendLetter {
    /// The customer.
    pub customer_id: CustomerId,
    /// Notice, invitation or reply.
    pub kind: LetterKind,
    /// Subject.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 200))]
    pub subject: String,
    /// How it went out.
    pub channel: LetterChannel,
    /// The letter task it fulfils.
    pub task_id: Option<TaskId>,
}

/// Moves an absent agent's open tasks to others (FU-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ReassignTasks {
    /// The absent agent.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
    pub from_agent: String,
    /// First store-local day of the absence.
    pub absent_from: NaiveDate,
    /// Last store-local day of the absence.
    pub absent_to: NaiveDate,
    /// One agent to take them all; default: spread over the other active agents.
    pub to_agent: Option<String>,
}

/// What a reassignment moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reassignment {
    /// Each moved task, as it is now.
    pub moved: Vec<FollowUpTask>,
}

/// Where an item stands in the day's order of calls: planned ones by time, then the rest; the
/// task id breaks ties, so the order is total and pages are stable.
type WorklistKey = (bool, i64, TaskId);

fn worklist_key(item: &WorklistItem) -> WorklistKey {
    (item.next_call_at.is_none(), item.next_call_at.map_or(0, |t| t.timestamp_micros()), item.task.id)
}

fn render_worklist_key((unplanned, at, id): &WorklistKey) -> String {
    format!("{}:{at}:{id}", u8::from(*unplanned))
}

/// Reads a page token's key; one that does not parse starts from the beginning.
fn parse_worklist_key(raw: &str) -> WorklistKey {
    let mut parts = raw.splitn(3, ':');
    let unplanned = parts.next() == Some("1");
    let at = parts.next().and_then(|p| p.parse().ok()).unwrap_or(i64::MIN);
    let id =
        parts.next().and_then(|p| TaskId::parse("page_token", p).ok()).unwrap_or(TaskId(uuid::Uuid::nil()));
    (unplanned, at, id)
}

/// A task on an agent's worklist, with when to call (FU-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorklistItem {
    /// The task.
    pub task: FollowUpTask,
    /// Past its deadline.
    pub overdue: bool,
    /// When to call: a slot on the requested day inside the call hours and the customer's
    /// preferred time, at least two hours after an unanswered attempt; none when the day has no
    /// slot left (FU-5).
    pub next_call_at: Option<DateTime<Utc>>,
}

impl Core {
    /// Lists a store's whole staff.
    pub(crate) async fn all_staff(&self, store: &StoreCode) -> Result<Vec<StaffMember>> {
        all_pages(|page| async move { self.repo.list_staff(store, &page).await }).await
    }

    /// Plans a follow-up task: its window and its agent, never the order's advisor (FU-1..FU-3).
    pub(crate) async fn plan_task(&self, store: &Store, plan: TaskPlan<'_>) -> Result<FollowUpTask> {
        let TaskPlan {
            kind,
            customer_id,
            order,
            received_by,
            from_day,
            previous,
            topics,
            window,
            campaign_id,
        } = plan;
        // One independence rule for every task: never the advisor of the order, nor who received
        // the visit, nor anyone the task it follows excluded (FU-3).
        let mut not_by: Vec<String> = previous.map(|p| p.not_by.clone()).unwrap_or_default();
        not_by.extend(order.map(|(_, advisor)| advisor.to_string()));
        not_by.extend(received_by.map(str::to_string));
        not_by.sort();
        not_by.dedup();
        let staff = self.all_staff(&store.code).await?;
        let load = self.repo.open_task_counts(&store.code).await?;
        let open = |id: &str| load.iter().find(|(a, _)| a == id).map_or(0, |(_, n)| *n);
        let assignee = choose_agent(&staff, &not_by, open).map(|s| s.id.clone());
        let (due_from, due_to) = match (window, kind) {
            (Some(window), _) => window,
            (None, TaskKind::FirstFollowUp) => first_window(from_day, &store.sla),
            (None, TaskKind::SecondFollowUp) => second_window(from_day, &store.sla),
            (None, TaskKind::ReturnVisit) => return_visit_window(from_day),
            (None, TaskKind::CampaignCall) => (from_day, from_day),
            (None, TaskKind::CampaignLetter) => campaign_letter_window(from_day, store.sla.event_letter_days),
            (None, TaskKind::DeclinedReminder) => declined_reminder_window(from_day, &store.sla),
            (None, TaskKind::MaintenanceReminder | TaskKind::Lapsing) => {
                return Err(DomainError::Internal(
                    "a maintenance reminder or lapsing task needs its window".into(),
                ));
            }
        };
        let now = self.now();
        Ok(FollowUpTask {
            id: TaskId::generate(),
            store: store.code.clone(),
            kind,
            customer_id,
            work_order_id: order.map(|(id, _)| id),
            previous_task: previous.map(|t| t.id),
            campaign_id,
            assignee,
            not_by,
            due_from,
            due_to,
            status: TaskStatus::Open,
            topics_covered: topics,
            subjects: vec![],
            closed_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }
}

/// What a new follow-up task is for.
pub(crate) struct TaskPlan<'a> {
    /// First or second follow-up.
    pub(crate) kind: TaskKind,
    /// The customer.
    pub(crate) customer_id: CustomerId,
    /// The order it follows and that order's advisor, who may not get the task.
    pub(crate) order: Option<(WorkOrderId, &'a str)>,
    /// Who received the visit it follows, who may not get the task either (FU-3).
    pub(crate) received_by: Option<&'a str>,
    /// The store-local day the window counts from.
    pub(crate) from_day: NaiveDate,
    /// The task whose completion created it.
    pub(crate) previous: Option<&'a FollowUpTask>,
    /// Topics already covered.
    pub(crate) topics: Vec<String>,
    /// A window set by the caller (campaigns), instead of the kind's own.
    pub(crate) window: Option<(NaiveDate, NaiveDate)>,
    /// The campaign the task belongs to.
    pub(crate) campaign_id: Option<crate::model::follow_up::CampaignId>,
}

/// Use cases of the follow-up service.
#[derive(Clone)]
pub struct FollowUpService {
    core: Arc<Core>,
}

impl FollowUpService {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// Reads a task.
    pub async fn get_task(&self, who: &Principal, store: &StoreCode, id: TaskId) -> Result<FollowUpTask> {
        who.authorize(Action::ReadFollowUp, store, "follow_up_task")?;
        self.core.repo.get_task(store, id).await?.ok_or(TASK_NOT_FOUND)
    }

    /// Lists tasks by id, filtered.
    pub async fn list_tasks(
        &self,
        who: &Principal,
        store: &StoreCode,
        filter: &TaskFilter,
        page: &PageRequest,
    ) -> Result<Page<FollowUpTask>> {
        who.authorize(Action::ReadFollowUp, store, "store")?;
        let mut v = Validator::new();
        crate::model::store::check_staff_filter(&mut v, "assignee", filter.assignee.as_deref());
        v.finish()?;
        self.core.store(who, store).await?;
        self.core.repo.list_tasks(store, filter, page).await
    }

    /// Returns the agent's plan for a store-local day (FU-5): the open tasks due or overdue that the
    /// day's call slots can hold, most urgent first, each planned in a slot; in the order of the
    /// calls, a page at a time. The rest wait for the following days. Defaults: the caller, today.
    pub async fn worklist(
        &self,
        who: &Principal,
        store: &StoreCode,
        agent: Option<&str>,
        day: Option<NaiveDate>,
        page: &PageRequest,
    ) -> Result<Page<WorklistItem>> {
        who.authorize(Action::FollowUpWork, store, "store")?;
        let mut v = Validator::new();
        crate::model::store::check_staff_filter(&mut v, "agent", agent);
        v.finish()?;
        let agent = agent.filter(|a| !a.is_empty());
        if agent.is_some_and(|a| a != who.sub) {
            // Another agent's worklist is the supervisor's view (FU-3 reassignment).
            who.authorize(Action::SupervisorLists, store, "store")?;
        }
        let shop = self.core.store(who, store).await?;
        let tz = shop.timezone;
        let now = self.core.now();
        let day = day.unwrap_or_else(|| now.with_timezone(&tz).date_naive());
        let capacity = slots_in_day(day, tz, &shop.call_hours).max(1) as u64;
        let tasks = self.core.repo.worklist_tasks(store, agent.unwrap_or(&who.sub), day, capacity).await?;
        let requests = self.call_requests(store, &tasks).await?;
        let planned = plan_calls(day, tz, &shop.call_hours, now, &requests);
        let mut items: Vec<WorklistItem> = tasks
            .into_iter()
            .zip(planned)
            .map(|(task, next_call_at)| WorklistItem { overdue: task.due_to < day, next_call_at, task })
            .collect();
        // In the order the agent makes the calls; those with no slot left today come last.
        items.sort_by_key(worklist_key);
        let rest: Vec<WorklistItem> = match &page.after {
            Some(after) => {
                items.into_iter().filter(|i| worklist_key(i) > parse_worklist_key(after)).collect()
            }
            None => items,
        };
        Ok(Page::from_overfetch(rest, page.size, |i| render_worklist_key(&worklist_key(i))))
    }

    /// What planning each task's call needs: the customer's preferred time and the last attempt.
    async fn call_requests(&self, store: &StoreCode, tasks: &[FollowUpTask]) -> Result<Vec<CallRequest>> {
        let repo = &self.core.repo;
        let ids: Vec<TaskId> = tasks.iter().map(|t| t.id).collect();
        let last: HashMap<TaskId, DateTime<Utc>> =
            repo.last_contacts(store, &ids).await?.into_iter().collect();
        let mut customer_ids: Vec<CustomerId> = tasks.iter().map(|t| t.customer_id).collect();
        customer_ids.sort();
        customer_ids.dedup();
        let preferred: HashMap<CustomerId, Option<String>> = repo
            .get_customers(store, &customer_ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c.preferred_contact_time))
            .collect();
        Ok(tasks
            .iter()
            .map(|t| CallRequest {
                preferred: preferred.get(&t.customer_id).cloned().flatten(),
                last_attempt: last.get(&t.id).copied(),
            })
            .collect())
    }

    /// Moves an absent agent's open tasks whose window meets the absence to another agent, or
    /// spreads them over the other active agents; never to the order's advisor (FU-3).
    pub async fn reassign(
        &self,
        who: &Principal,
        store: &StoreCode,
        cmd: ReassignTasks,
    ) -> Result<Reassignment> {
        who.authorize(Action::SupervisorLists, store, "store")?;
        let mut v = Validator::new();
        if !crate::model::store::is_staff_id(&cmd.from_agent) {
            v.push("from_agent", "is not a staff id");
        }
        if cmd.to_agent.as_deref().is_some_and(|to| !crate::model::store::is_staff_id(to)) {
            v.push("to_agent", "is not a staff id");
        }
        v.finish()?;
        if cmd.absent_to < cmd.absent_from {
            return Err(DomainError::invalid("absent_to", "must not be before absent_from"));
        }
        self.core.store(who, store).await?;
        let staff = self.core.all_staff(store).await?;
        if let Some(to) = &cmd.to_agent {
            let ok = staff
                .iter()
                .any(|s| &s.id == to && s.active && s.roles.contains(&crate::auth::Role::FollowupAgent));
            if !ok || to == &cmd.from_agent {
                return Err(DomainError::invalid("to_agent", "must be another active follow-up agent"));
            }
        }
        let filter = TaskFilter {
            assignee: Some(cmd.from_agent.clone()),
            status: Some(TaskStatus::Open),
            ..TaskFilter::default()
        };
        // Every open task moves, not only a first page of them.
        let filter = &filter;
        let open =
            all_pages(|page| async move { self.core.repo.list_tasks(store, filter, &page).await }).await?;
        let mut load: Vec<(String, u64)> = self.core.repo.open_task_counts(store).await?;
        let others: Vec<StaffMember> = staff.into_iter().filter(|s| s.id != cmd.from_agent).collect();
        let now = self.core.now();
        let mut moved = Vec::new();
        let mut ops = Vec::new();
        let mut audit = Vec::new();
        for task in open.into_iter().filter(|t| t.due_from <= cmd.absent_to && t.due_to >= cmd.absent_from) {
            // The task's own exclusions, and the order's advisor for tasks saved before they were kept.
            let mut not_by = task.not_by.clone();
            if let Some(order) = task.work_order_id
                && let Some(o) = self.core.repo.get_work_order(store, order).await?
            {
                not_by.push(o.advisor);
            }
            let target = match &cmd.to_agent {
                Some(to) if !not_by.contains(to) => Some(to.clone()),
                // The named agent may not take this one: another independent agent does (FU-3).
                Some(_) | None => {
                    let open = |id: &str| load.iter().find(|(a, _)| a == id).map_or(0, |(_, n)| *n);
                    choose_agent(&others, &not_by, open).map(|s| s.id.clone())
                }
            };
            let Some(target) = target else { continue };
            match load.iter_mut().find(|(a, _)| *a == target) {
                Some((_, n)) => *n += 1,
                None => load.push((target.clone(), 1)),
            }
            let mut next = task.clone();
            next.assignee = Some(target);
            next.version += 1;
            next.updated_at = now;
            audit.push(self.core.audit(
                who,
                store,
                "task.reassign",
                "follow_up_task",
                task.id,
                vec!["assignee".into()],
            ));
            ops.push(Op::UpdateTask { task: Box::new(next.clone()), before: Box::new(task.clone()) });
            moved.push(next);
        }
        if !ops.is_empty() {
            self.core
                .repo
                .apply(ChangeSet { ops, audit, idempotency: None, number: None, store_zone: None })
                .await?;
        }
        Ok(Reassignment { moved })
    }

    /// Records a visit or consultation as an inbound contact; the first follow-up follows it (FU-1).
    pub async fn record_visit(
        &self,
        who: &Principal,
        store: &StoreCode,
        cmd: RecordVisit,
        key: Option<IdempotencyKey>,
    ) -> Result<FollowUpTask> {
        who.authorize(Action::RecordVisit, store, "store")?;
        let mut v = Validator::new();
        let purpose = v.text("purpose", &cmd.purpose, crate::error::limits::NOTE);
        v.finish()?;
        let core = &self.core;
        core.write_once(who, store, "visit.create", key, &cmd, || async {
            let shop = core.store(who, store).await?;
            core.repo
                .get_customer(store, cmd.customer_id)
                .await?
                .ok_or(DomainError::NotFound { resource: "customer" })?;
            let now = core.now();
            let contact = ContactRecord {
                id: ContactId::generate(),
                store: store.clone(),
                customer_id: cmd.customer_id,
                task_id: None,
                channel: cmd.channel,
                direction: Direction::Inbound,
                outcome: ContactOutcome::Reached,
                topics: vec![],
                notes: Some(purpose.clone()),
                satisfaction: None,
                agent: who.sub.clone(),
                contacted_at: now,
            };
            let plan = TaskPlan {
                kind: TaskKind::FirstFollowUp,
                customer_id: cmd.customer_id,
                order: None,
                // Whoever received the visit does not follow it up (FU-3).
                received_by: Some(&who.sub),
                from_day: now.with_timezone(&shop.timezone).date_naive(),
                previous: None,
                topics: vec![],
                window: None,
                campaign_id: None,
            };
            let task = core.plan_task(&shop, plan).await?;
            let audit = core.audit(who, store, "visit.create", "customer", cmd.customer_id, vec![]);
            let ops = vec![Op::InsertContact(Box::new(contact)), Op::InsertTask(Box::new(task.clone()))];
            Ok((task, ChangeSet::counted(ops, audit, store, shop.timezone)))
        })
        .await
    }
}

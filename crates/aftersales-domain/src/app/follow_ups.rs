//! The follow-up service: tasks on the regulation's schedule, worklists and contact records
//! (FU-1..FU-5).

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::{Core, IdempotencyKey};
use crate::auth::{Action, Principal};
use crate::error::Validator;
use crate::model::follow_up::check_unreachable;
use crate::model::follow_up::{
    ContactChannel, ContactId, ContactOutcome, ContactRecord, Direction, FollowUpTask, TaskId, TaskKind,
    TaskStatus, choose_agent, first_window, next_call_time, return_visit_window, second_window,
};
use crate::model::store::{StaffMember, Store, check_optional_text};
use crate::model::work_order::WorkOrderId;
use crate::paging::{Page, PageRequest};
use crate::ports::{ChangeSet, ContactFilter, Op, TaskFilter};
use crate::value::{CustomerId, StoreCode};
use crate::{DomainError, Result};

const TASK_NOT_FOUND: DomainError = DomainError::NotFound { resource: "follow_up_task" };

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
    pub channel: ContactChannel,
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
    pub fallback_channel: ContactChannel,
    /// What the message said.
    #[cfg_attr(feature = "openapi", schema(max_length = 2000))]
    pub notes: Option<String>,
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

/// A task on an agent's worklist, with when to call (FU-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorklistItem {
    /// The task.
    pub task: FollowUpTask,
    /// Past its deadline.
    pub overdue: bool,
    /// The next moment inside the store's call hours.
    pub next_call_at: Option<DateTime<Utc>>,
}

fn timezone(store: &Store) -> Tz {
    store.timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
}

impl Core {
    /// Lists a store's whole staff.
    pub(crate) async fn all_staff(&self, store: &StoreCode) -> Result<Vec<StaffMember>> {
        let mut staff = Vec::new();
        let mut page = PageRequest { size: 500, after: None };
        loop {
            let batch = self.repo.list_staff(store, &page).await?;
            staff.extend(batch.items);
            match batch.next_page_token {
                Some(token) => page = PageRequest::parse(Some(500), Some(&token))?,
                None => return Ok(staff),
            }
        }
    }

    /// Plans a follow-up task: its window and its agent, never the order's advisor (FU-1..FU-3).
    pub(crate) async fn plan_task(&self, store: &Store, plan: TaskPlan<'_>) -> Result<FollowUpTask> {
        let TaskPlan { kind, customer_id, order, from_day, previous, topics } = plan;
        let staff = self.all_staff(&store.code).await?;
        let load = self.repo.open_task_counts(&store.code).await?;
        let open = |id: &str| load.iter().find(|(a, _)| a == id).map_or(0, |(_, n)| *n);
        let assignee = choose_agent(&staff, order.map(|(_, advisor)| advisor), open).map(|s| s.id.clone());
        let (due_from, due_to) = match kind {
            TaskKind::FirstFollowUp => first_window(from_day, &store.sla),
            TaskKind::SecondFollowUp => second_window(from_day, &store.sla),
            TaskKind::ReturnVisit => return_visit_window(from_day),
        };
        let now = self.now();
        Ok(FollowUpTask {
            id: TaskId::generate(),
            store: store.code.clone(),
            kind,
            customer_id,
            work_order_id: order.map(|(id, _)| id),
            previous_task: previous.map(|t| t.id),
            assignee,
            due_from,
            due_to,
            status: TaskStatus::Open,
            topics_covered: topics,
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
    /// The store-local day the window counts from.
    pub(crate) from_day: NaiveDate,
    /// The task whose completion created it.
    pub(crate) previous: Option<&'a FollowUpTask>,
    /// Topics already covered.
    pub(crate) topics: Vec<String>,
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
        self.core.store(who, store).await?;
        self.core.repo.list_tasks(store, filter, page).await
    }

    /// Returns an agent's open tasks due or overdue on a store-local day, deadline first, each
    /// with the next moment inside the call hours (FU-5). Defaults: the caller, today.
    pub async fn worklist(
        &self,
        who: &Principal,
        store: &StoreCode,
        agent: Option<&str>,
        day: Option<NaiveDate>,
    ) -> Result<Vec<WorklistItem>> {
        who.authorize(Action::FollowUpWork, store, "store")?;
        let shop = self.core.store(who, store).await?;
        let tz = timezone(&shop);
        let now = self.core.now();
        let day = day.unwrap_or_else(|| now.with_timezone(&tz).date_naive());
        let filter = TaskFilter {
            assignee: Some(agent.unwrap_or(&who.sub).to_string()),
            status: Some(TaskStatus::Open),
            due_by: Some(day),
            customer_id: None,
        };
        let mut tasks = Vec::new();
        let mut page = PageRequest { size: 500, after: None };
        loop {
            let batch = self.core.repo.list_tasks(store, &filter, &page).await?;
            tasks.extend(batch.items);
            match batch.next_page_token {
                Some(token) => page = PageRequest::parse(Some(500), Some(&token))?,
                None => break,
            }
        }
        tasks.sort_by(|a, b| a.due_to.cmp(&b.due_to).then(a.id.cmp(&b.id)));
        let call_at = next_call_time(now, tz, &shop.call_hours);
        Ok(tasks
            .into_iter()
            .map(|task| WorklistItem { overdue: task.due_to < day, next_call_at: call_at, task })
            .collect())
    }

    /// Records a contact; completing a first follow-up creates the second, with the topics
    /// covered so the agent does not repeat them (FU-2, FU-4).
    pub async fn record_contact(
        &self,
        who: &Principal,
        store: &StoreCode,
        cmd: RecordContact,
        key: Option<IdempotencyKey>,
    ) -> Result<ContactRecord> {
        who.authorize(Action::FollowUpWork, store, "store")?;
        let mut v = Validator::new();
        if cmd.topics.len() > 20 {
            v.push("topics", "at most 20 topics");
        }
        for (i, t) in cmd.topics.iter().enumerate() {
            crate::model::store::check_text(&mut v, &format!("topics[{i}]"), t, 50);
        }
        check_optional_text(&mut v, "notes", cmd.notes.as_deref(), 2000);
        if cmd.satisfaction.is_some_and(|s| !(1..=5).contains(&s)) {
            v.push("satisfaction", "must be 1 to 5");
        }
        let completes = cmd.completes_task.unwrap_or(false);
        if completes && cmd.task_id.is_none() {
            v.push("completes_task", "needs task_id");
        }
        if completes && cmd.outcome != ContactOutcome::Reached {
            v.push("completes_task", "a task is done only when the customer was reached");
        }
        v.finish()?;
        let core = &self.core;
        core.write_once(who, store, "contact.create", key, &cmd, || async {
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
                task_id: cmd.task_id,
                channel: cmd.channel,
                direction: cmd.direction.unwrap_or(Direction::Outbound),
                outcome: cmd.outcome,
                topics: cmd.topics.iter().map(|t| t.trim().to_string()).collect(),
                notes: crate::value::non_empty(cmd.notes.clone()),
                satisfaction: cmd.satisfaction,
                agent: who.sub.clone(),
                contacted_at: now,
            };
            let mut ops = vec![Op::InsertContact(Box::new(contact.clone()))];
            if let Some(task_id) = cmd.task_id {
                let task = core.repo.get_task(store, task_id).await?.ok_or(TASK_NOT_FOUND)?;
                if task.customer_id != cmd.customer_id {
                    return Err(DomainError::invalid("task_id", "is a task for another customer"));
                }
                if task.status != TaskStatus::Open {
                    return Err(DomainError::FailedPrecondition {
                        code: "follow_up_task.closed",
                        message: format!(
                            "the task is {}; record the contact without it",
                            task.status.as_str()
                        ),
                    });
                }
                let supervisor = who.can(Action::SupervisorLists);
                if !supervisor && task.assignee.as_deref() != Some(who.sub.as_str()) {
                    return Err(DomainError::FailedPrecondition {
                        code: "follow_up_task.assigned_elsewhere",
                        message: "the task is assigned to another agent (FU-3)".into(),
                    });
                }
                if completes {
                    let mut done = task.clone();
                    done.status = TaskStatus::Done;
                    done.closed_at = Some(now);
                    done.version += 1;
                    done.updated_at = now;
                    ops.push(Op::UpdateTask { task: Box::new(done), expected_version: task.version });
                    if task.kind == TaskKind::FirstFollowUp {
                        let advisor = match task.work_order_id {
                            Some(id) => core.repo.get_work_order(store, id).await?.map(|o| o.advisor),
                            None => None,
                        };
                        let order = task.work_order_id.zip(advisor.as_deref());
                        let mut covered = task.topics_covered.clone();
                        covered.extend(contact.topics.iter().cloned());
                        let today = now.with_timezone(&timezone(&shop)).date_naive();
                        let plan = TaskPlan {
                            kind: TaskKind::SecondFollowUp,
                            customer_id: task.customer_id,
                            order,
                            from_day: today,
                            previous: Some(&task),
                            topics: covered,
                        };
                        let second = core.plan_task(&shop, plan).await?;
                        ops.push(Op::InsertTask(Box::new(second)));
                    }
                }
            }
            let audit = core.audit(who, store, "contact.create", "customer", cmd.customer_id, vec![]);
            Ok((contact, ChangeSet { ops, audit: vec![audit], idempotency: None }))
        })
        .await
    }

    /// Closes a task as unreachable: the fallback SMS or letter is recorded, after failed
    /// attempts spanning the store's `unreachable_after_days` (FU-5).
    pub async fn close_unreachable(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: TaskId,
        cmd: CloseUnreachable,
        key: Option<IdempotencyKey>,
    ) -> Result<FollowUpTask> {
        who.authorize(Action::FollowUpWork, store, "follow_up_task")?;
        if !matches!(cmd.fallback_channel, ContactChannel::Sms | ContactChannel::Letter) {
            return Err(DomainError::invalid("fallback_channel", "must be sms or letter (FU-5)"));
        }
        let mut v = Validator::new();
        check_optional_text(&mut v, "notes", cmd.notes.as_deref(), 2000);
        v.finish()?;
        let core = &self.core;
        core.write_once(who, store, "task.close_unreachable", key, &(id, &cmd), || async {
            let shop = core.store(who, store).await?;
            let tz = timezone(&shop);
            let task = core.repo.get_task(store, id).await?.ok_or(TASK_NOT_FOUND)?;
            if task.status != TaskStatus::Open {
                return Err(DomainError::FailedPrecondition {
                    code: "follow_up_task.closed",
                    message: format!("the task is {}", task.status.as_str()),
                });
            }
            let filter = ContactFilter { task_id: Some(id), ..ContactFilter::default() };
            let attempts =
                core.repo.list_contacts(store, &filter, &PageRequest { size: 500, after: None }).await?.items;
            let reached = attempts.iter().any(|c| c.outcome == ContactOutcome::Reached);
            let days: Vec<NaiveDate> =
                attempts.iter().map(|c| c.contacted_at.with_timezone(&tz).date_naive()).collect();
            check_unreachable(&days, reached, shop.sla.unreachable_after_days)?;
            let now = core.now();
            let fallback = ContactRecord {
                id: ContactId::generate(),
                store: store.clone(),
                customer_id: task.customer_id,
                task_id: Some(id),
                channel: cmd.fallback_channel,
                direction: Direction::Outbound,
                outcome: ContactOutcome::NoAnswer,
                topics: vec![],
                notes: crate::value::non_empty(cmd.notes.clone())
                    .or_else(|| Some("unreachable: fallback sent".into())),
                satisfaction: None,
                agent: who.sub.clone(),
                contacted_at: now,
            };
            let mut closed = task.clone();
            closed.status = TaskStatus::Unreachable;
            closed.closed_at = Some(now);
            closed.version += 1;
            closed.updated_at = now;
            let audit =
                core.audit(who, store, "task.close_unreachable", "follow_up_task", id, vec!["status".into()]);
            let ops = vec![
                Op::InsertContact(Box::new(fallback)),
                Op::UpdateTask { task: Box::new(closed.clone()), expected_version: task.version },
            ];
            Ok((closed, ChangeSet { ops, audit: vec![audit], idempotency: None }))
        })
        .await
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
        let open =
            self.core.repo.list_tasks(store, &filter, &PageRequest { size: 500, after: None }).await?.items;
        let mut load: Vec<(String, u64)> = self.core.repo.open_task_counts(store).await?;
        let others: Vec<StaffMember> = staff.into_iter().filter(|s| s.id != cmd.from_agent).collect();
        let now = self.core.now();
        let mut moved = Vec::new();
        let mut ops = Vec::new();
        let mut audit = Vec::new();
        for task in open.into_iter().filter(|t| t.due_from <= cmd.absent_to && t.due_to >= cmd.absent_from) {
            let advisor = match task.work_order_id {
                Some(order) => self.core.repo.get_work_order(store, order).await?.map(|o| o.advisor),
                None => None,
            };
            let target = match &cmd.to_agent {
                Some(to) if Some(to) != advisor.as_ref() => Some(to.clone()),
                Some(_) | None => {
                    let open = |id: &str| load.iter().find(|(a, _)| a == id).map_or(0, |(_, n)| *n);
                    choose_agent(&others, advisor.as_deref(), open).map(|s| s.id.clone())
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
            ops.push(Op::UpdateTask { task: Box::new(next.clone()), expected_version: task.version });
            moved.push(next);
        }
        if !ops.is_empty() {
            self.core.repo.apply(ChangeSet { ops, audit, idempotency: None }).await?;
        }
        Ok(Reassignment { moved })
    }

    /// Returns the register for export: every matching record (at most 10,000) with its customer
    /// as the caller may see them (FU-4, CF-5).
    pub async fn export_contacts(
        &self,
        who: &Principal,
        store: &StoreCode,
        filter: &ContactFilter,
    ) -> Result<Vec<(ContactRecord, Option<crate::model::customer::CustomerView>)>> {
        who.authorize(Action::ReadFollowUp, store, "store")?;
        self.core.store(who, store).await?;
        let full_phone = who.can(Action::SeeFullPhone);
        let mut customers: std::collections::HashMap<
            CustomerId,
            Option<crate::model::customer::CustomerView>,
        > = std::collections::HashMap::new();
        let mut rows = Vec::new();
        let mut page = PageRequest { size: 500, after: None };
        while rows.len() < 10_000 {
            let batch = self.core.repo.list_contacts(store, filter, &page).await?;
            for record in batch.items {
                if let std::collections::hash_map::Entry::Vacant(slot) = customers.entry(record.customer_id) {
                    let found = self.core.repo.get_customer(store, record.customer_id).await?;
                    slot.insert(found.map(|c| c.for_viewer(full_phone)));
                }
                let customer = customers.get(&record.customer_id).cloned().flatten();
                rows.push((record, customer));
            }
            match batch.next_page_token {
                Some(token) => page = PageRequest::parse(Some(500), Some(&token))?,
                None => break,
            }
        }
        Ok(rows)
    }

    /// Lists contact records, filtered (the register, FU-4).
    pub async fn list_contacts(
        &self,
        who: &Principal,
        store: &StoreCode,
        filter: &ContactFilter,
        page: &PageRequest,
    ) -> Result<Page<ContactRecord>> {
        who.authorize(Action::ReadFollowUp, store, "store")?;
        self.core.store(who, store).await?;
        self.core.repo.list_contacts(store, filter, page).await
    }
}

//! Contact records: recording calls and visits, closing unreachable tasks, the register and its
//! export (FU-4, FU-5).

use super::*;

impl FollowUpService {
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
            v.text(&format!("topics[{i}]"), t, crate::error::limits::LABEL);
        }
        v.optional_text("notes", cmd.notes.as_deref(), crate::error::limits::TEXT);
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
                    let done = task.closed(TaskStatus::Done, now);
                    ops.push(Op::UpdateTask { task: Box::new(done), before: Box::new(task.clone()) });
                    if let (TaskKind::CampaignCall, Some(campaign_id)) = (task.kind, task.campaign_id)
                        && core.repo.get_campaign(store, campaign_id).await?.is_some_and(|c| c.letter_wanted)
                    {
                        let today = now.with_timezone(&shop.timezone).date_naive();
                        let plan = TaskPlan {
                            kind: TaskKind::CampaignLetter,
                            customer_id: task.customer_id,
                            order: None,
                            received_by: None,
                            from_day: today,
                            previous: Some(&task),
                            topics: vec![],
                            window: None,
                            campaign_id: Some(campaign_id),
                        };
                        let mut letter_task = core.plan_task(&shop, plan).await?;
                        // The agent who made the call writes the letter.
                        letter_task.assignee = task.assignee.clone();
                        ops.push(Op::InsertTask(Box::new(letter_task)));
                    }
                    if task.kind == TaskKind::FirstFollowUp {
                        let advisor = match task.work_order_id {
                            Some(id) => core.repo.get_work_order(store, id).await?.map(|o| o.advisor),
                            None => None,
                        };
                        let order = task.work_order_id.zip(advisor.as_deref());
                        let mut covered = task.topics_covered.clone();
                        covered.extend(contact.topics.iter().cloned());
                        let today = now.with_timezone(&shop.timezone).date_naive();
                        let plan = TaskPlan {
                            kind: TaskKind::SecondFollowUp,
                            customer_id: task.customer_id,
                            order,
                            received_by: None,
                            from_day: today,
                            previous: Some(&task),
                            topics: covered,
                            window: None,
                            campaign_id: None,
                        };
                        let second = core.plan_task(&shop, plan).await?;
                        ops.push(Op::InsertTask(Box::new(second)));
                    }
                }
            }
            let audit = core.audit(who, store, "contact.create", "customer", cmd.customer_id, vec![]);
            Ok((
                contact,
                ChangeSet { ops, audit: vec![audit], idempotency: None, number: None, store_zone: None },
            ))
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
        let mut v = Validator::new();
        v.optional_text("notes", cmd.notes.as_deref(), crate::error::limits::TEXT);
        v.finish()?;
        let core = &self.core;
        core.write_once(who, store, "task.close_unreachable", key, &(id, &cmd), || async {
            let shop = core.store(who, store).await?;
            let tz = shop.timezone;
            let task = core.repo.get_task(store, id).await?.ok_or(TASK_NOT_FOUND)?;
            if task.status != TaskStatus::Open {
                return Err(DomainError::FailedPrecondition {
                    code: "follow_up_task.closed",
                    message: format!("the task is {}", task.status.as_str()),
                });
            }
            let filter = ContactFilter { task_id: Some(id), ..ContactFilter::default() };
            let attempts = core
                .repo
                .list_contacts(store, &filter, &PageRequest { size: 500, ..PageRequest::default() })
                .await?
                .items;
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
                channel: cmd.fallback_channel.into(),
                direction: Direction::Outbound,
                outcome: ContactOutcome::NoAnswer,
                topics: vec![],
                notes: crate::value::non_empty(cmd.notes.clone())
                    .or_else(|| Some("unreachable: fallback sent".into())),
                satisfaction: None,
                agent: who.sub.clone(),
                contacted_at: now,
            };
            let closed = task.closed(TaskStatus::Unreachable, now);
            let audit =
                core.audit(who, store, "task.close_unreachable", "follow_up_task", id, vec!["status".into()]);
            let mut ops = vec![
                Op::InsertContact(Box::new(fallback)),
                Op::UpdateTask { task: Box::new(closed.clone()), before: Box::new(task.clone()) },
            ];
            // The fallback SMS is sent, not only recorded (FU-5, issue 13); a letter is posted.
            if cmd.fallback_channel == crate::model::follow_up::FallbackChannel::Sms {
                let source = ("follow_up_task", id.to_string());
                let sms = vec![MessageChannel::Sms];
                let request =
                    MessageRequest::new(store, task.customer_id, "follow_up_unreachable", sms, source);
                ops.extend(core.tell(&shop, request).await?);
            }
            Ok((closed, ChangeSet::counted(ops, audit, store, tz)))
        })
        .await
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
        let mut v = Validator::new();
        crate::model::store::check_staff_filter(&mut v, "agent", filter.agent.as_deref());
        v.finish()?;
        self.core.store(who, store).await?;
        let full_phone = who.can(Action::SeeFullPhone);
        let mut customers: std::collections::HashMap<
            CustomerId,
            Option<crate::model::customer::CustomerView>,
        > = std::collections::HashMap::new();
        let mut rows = Vec::new();
        let mut page = PageRequest { size: 500, ..PageRequest::default() };
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
        let mut v = Validator::new();
        crate::model::store::check_staff_filter(&mut v, "agent", filter.agent.as_deref());
        v.finish()?;
        self.core.store(who, store).await?;
        self.core.repo.list_contacts(store, filter, page).await
    }
}

//! Campaigns and the letter register (FU-7, FU-8).

use super::*;

impl FollowUpService {
    /// Creates a campaign with one call task per customer, due at least 14 days before the event (FU-7).
    pub async fn create_campaign(
        &self,
        who: &Principal,
        store: &StoreCode,
        cmd: CreateCampaign,
        key: Option<IdempotencyKey>,
    ) -> Result<Campaign> {
        who.authorize(Action::SupervisorLists, store, "store")?;
        let mut v = Validator::new();
        let name = v.text("name", &cmd.name, crate::error::limits::NAME);
        if cmd.customer_ids.is_empty() || cmd.customer_ids.len() > 5000 {
            v.push("customer_ids", "needs 1 to 5000 customers");
        }
        v.finish()?;
        let core = &self.core;
        core.write_once(who, store, "campaign.create", key, &cmd, || async {
            let shop = core.store(who, store).await?;
            let now = core.now();
            let today = now.with_timezone(&shop.timezone).date_naive();
            let window = campaign_call_window(today, cmd.event_date, shop.sla.event_call_lead_days)?;
            // A campaign is marketing: customers without current consent are left out (CF-5).
            let mut invited = Vec::with_capacity(cmd.customer_ids.len());
            let mut left_out = Vec::new();
            for (i, id) in cmd.customer_ids.iter().enumerate() {
                let field = || format!("customer_ids[{i}]");
                let customer = core
                    .repo
                    .get_customer(store, *id)
                    .await?
                    .ok_or_else(|| DomainError::invalid(field(), "no such customer in this store"))?;
                if customer.merged_into.is_some() {
                    return Err(DomainError::invalid(field(), "was merged into another file; use that file"));
                }
                if invited.contains(id) || left_out.iter().any(|l: &LeftOut| l.customer_id == *id) {
                    return Err(DomainError::invalid(field(), "is listed twice"));
                }
                if customer.marketing_consent {
                    invited.push(*id);
                } else {
                    left_out.push(LeftOut { customer_id: *id, reason: LeftOutReason::NoMarketingConsent });
                }
            }
            let campaign = Campaign {
                id: CampaignId::generate(),
                store: store.clone(),
                name: name.clone(),
                kind: cmd.kind,
                event_date: cmd.event_date,
                letter_wanted: cmd.letter_wanted,
                customers: invited.clone(),
                left_out,
                created_by: who.sub.clone(),
                created_at: now,
            };
            let mut ops = vec![Op::InsertCampaign(Box::new(campaign.clone()))];
            let mut load: Vec<(String, u64)> = core.repo.open_task_counts(store).await?;
            let staff = core.all_staff(store).await?;
            for customer in &invited {
                let open = |id: &str| load.iter().find(|(a, _)| a == id).map_or(0, |(_, n)| *n);
                let assignee = choose_agent(&staff, &[], open).map(|s| s.id.clone());
                if let Some(a) = &assignee {
                    match load.iter_mut().find(|(x, _)| x == a) {
                        Some((_, n)) => *n += 1,
                        None => load.push((a.clone(), 1)),
                    }
                }
                ops.push(Op::InsertTask(Box::new(FollowUpTask {
                    id: TaskId::generate(),
                    store: store.clone(),
                    kind: TaskKind::CampaignCall,
                    customer_id: *customer,
                    work_order_id: None,
                    previous_task: None,
                    campaign_id: Some(campaign.id),
                    assignee,
                    not_by: vec![],
                    due_from: window.0,
                    due_to: window.1,
                    status: TaskStatus::Open,
                    topics_covered: vec![],
                    subjects: vec![],
                    closed_at: None,
                    version: 1,
                    created_at: now,
                    updated_at: now,
                })));
            }
            let audit = core.audit(who, store, "campaign.create", "campaign", campaign.id, vec![]);
            Ok((campaign, ChangeSet::counted(ops, audit, store, shop.timezone)))
        })
        .await
    }

    /// Registers a letter; one that fulfils a campaign letter task completes it (FU-7, FU-8).
    pub async fn send_letter(
        &self,
        who: &Principal,
        store: &StoreCode,
        cmd: SendLetter,
        key: Option<IdempotencyKey>,
    ) -> Result<Letter> {
        who.authorize(Action::FollowUpWork, store, "store")?;
        let mut v = Validator::new();
        let subject = v.text("subject", &cmd.subject, crate::error::limits::LINE);
        v.finish()?;
        let core = &self.core;
        core.write_once(who, store, "letter.create", key, &cmd, || async {
            let shop = core.store(who, store).await?;
            let customer = core
                .repo
                .get_customer(store, cmd.customer_id)
                .await?
                .ok_or(DomainError::NotFound { resource: "customer" })?;
            if cmd.kind.is_marketing() && !customer.marketing_consent {
                return Err(no_marketing_consent());
            }
            let now = core.now();
            let letter = Letter {
                id: LetterId::generate(),
                store: store.clone(),
                customer_id: cmd.customer_id,
                kind: cmd.kind,
                subject: subject.clone(),
                channel: cmd.channel,
                task_id: cmd.task_id,
                sent_by: who.sub.clone(),
                sent_at: now,
            };
            let mut ops = vec![Op::InsertLetter(Box::new(letter.clone()))];
            // An SMS or WeChat letter is sent, not only registered (issue 13).
            let channels = match cmd.channel {
                LetterChannel::Sms => vec![MessageChannel::Sms],
                LetterChannel::Wechat => vec![MessageChannel::WechatSubscribe],
                LetterChannel::Post | LetterChannel::Email => vec![],
            };
            if !channels.is_empty() {
                let template = match cmd.kind {
                    LetterKind::Notice => "letter_notice",
                    LetterKind::Invitation => "letter_invitation",
                    LetterKind::Reply => "letter_reply",
                };
                let source = ("letter", letter.id.to_string());
                let request = MessageRequest::new(store, customer.id, template, channels, source)
                    .with("subject", subject.clone());
                ops.extend(core.tell(&shop, request).await?);
            }
            if let Some(task_id) = cmd.task_id {
                let task = core.repo.get_task(store, task_id).await?.ok_or(TASK_NOT_FOUND)?;
                if task.customer_id != cmd.customer_id
                    || task.kind != TaskKind::CampaignLetter
                    || task.status != TaskStatus::Open
                {
                    return Err(DomainError::invalid(
                        "task_id",
                        "is not an open letter task for this customer",
                    ));
                }
                let done = task.closed(TaskStatus::Done, now);
                ops.push(Op::UpdateTask { task: Box::new(done), before: Box::new(task.clone()) });
            }
            let audit = core.audit(who, store, "letter.create", "letter", letter.id, vec![]);
            Ok((
                letter,
                ChangeSet { ops, audit: vec![audit], idempotency: None, number: None, store_zone: None },
            ))
        })
        .await
    }

    /// Lists the letter register, oldest first (FU-8).
    pub async fn list_letters(
        &self,
        who: &Principal,
        store: &StoreCode,
        page: &PageRequest,
    ) -> Result<Page<Letter>> {
        who.authorize(Action::ReadFollowUp, store, "store")?;
        self.core.store(who, store).await?;
        self.core.repo.list_letters(store, page).await
    }
}

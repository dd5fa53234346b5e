//! Delivery: the frozen settlement, the warranty, and the reminders it schedules (WO-9, WO-10,
//! FU-10).

use super::*;

/// The message of a reminder task (FU-10, issue 13): to go out at the first call hour of its
/// window, unless the task is closed by then (the car came back, the agent reached the customer).
fn reminder_message(
    shop: &Store,
    order: &WorkOrder,
    task: &FollowUpTask,
    template: &'static str,
) -> MessageRequest {
    let start = chrono::TimeZone::from_local_datetime(
        &shop.timezone,
        &task.due_from.and_time(chrono::NaiveTime::MIN),
    )
    .earliest();
    let plate = order.plate.as_ref().map(ToString::to_string).unwrap_or_default();
    let channels = vec![MessageChannel::WechatSubscribe, MessageChannel::Sms];
    let request = MessageRequest::new(
        &shop.code,
        order.customer_id,
        template,
        channels,
        ("reminder_task", task.id.to_string()),
    )
    .with("plate", plate);
    match start {
        Some(at) => request.after(at.with_timezone(&Utc)),
        None => request,
    }
}

impl WorkOrderService {
    /// The reminders a delivery schedules, in its transaction: the next maintenance, replacing the
    /// vehicle's earlier reminder, and the declined work (FU-10, WO-11). A maintenance order also
    /// restarts the vehicle's maintenance clock.
    async fn reminders(
        &self,
        shop: &Store,
        order: &WorkOrder,
        vehicle: &Vehicle,
        today: NaiveDate,
    ) -> Result<Vec<Op>> {
        let core = &self.core;
        let now = core.now();
        let mut ops = Vec::new();
        let plan = |kind, window| TaskPlan {
            kind,
            customer_id: order.customer_id,
            order: Some((order.id, order.advisor.as_str())),
            received_by: None,
            from_day: today,
            previous: None,
            topics: vec![],
            window,
            campaign_id: None,
        };
        let mut car = vehicle.clone();
        if matches!(
            order.repair_category,
            RepairCategory::Level1Maintenance | RepairCategory::Level2Maintenance
        ) {
            car.last_service_date = Some(today);
            car.last_service_km = Some(order.intake_mileage_km);
            car.version += 1;
            car.updated_at = now;
            ops.push(Op::UpdateVehicle { vehicle: car.clone(), before: Box::new(vehicle.clone()) });
        }
        let due = car.next_maintenance();
        // With neither a service nor a registration on record, nothing says when it falls due.
        let known = car.last_service_date.or(car.registration_date).is_some();
        let mileage = car.mileage_km.max(order.intake_mileage_km);
        let projected = projected_mileage_day(car.registration_date, today, mileage, due.km);
        let lead = shop.sla.maintenance_reminder_lead_days;
        let window = maintenance_reminder_window(due.date, projected, today, lead).filter(|_| known);
        if let Some(window) = window {
            let open = core.open_tasks_of(&shop.code, order.customer_id).await?;
            // The car is back: its earlier reminder and lapsing follow-up give way to the new ones.
            let replaced =
                |t: &FollowUpTask| matches!(t.kind, TaskKind::MaintenanceReminder | TaskKind::Lapsing);
            for old in open.into_iter().filter(replaced) {
                let Some(of) = old.work_order_id else { continue };
                let same_car =
                    core.repo.get_work_order(&shop.code, of).await?.is_some_and(|o| o.vehicle_id == car.id);
                if same_car {
                    let cancelled = old.closed(TaskStatus::Cancelled, now);
                    ops.push(Op::UpdateTask { task: Box::new(cancelled), before: Box::new(old.clone()) });
                }
            }
            let mut task = core.plan_task(shop, plan(TaskKind::MaintenanceReminder, Some(window))).await?;
            let by_date = due.date.map(|d| format!("{d} or ")).unwrap_or_default();
            task.subjects = vec![format!("maintenance due by {by_date}{} km", due.km)];
            // Scheduled now, off every worklist until its window: cancelled above when the car
            // comes back for maintenance, so only a car that did not is followed as lapsing.
            let lapse = plan(TaskKind::Lapsing, Some(lapsing_window(window.1, &shop.sla)));
            let mut lapsing = core.plan_task(shop, lapse).await?;
            lapsing.subjects = vec![format!("maintenance was due by {}", window.1)];
            let due_text = match due.date {
                Some(d) => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
                None => format!("{}公里", due.km),
            };
            let request = reminder_message(shop, order, &task, "maintenance_reminder").with("due", due_text);
            ops.extend(core.tell(shop, request).await?);
            ops.push(Op::InsertTask(Box::new(task)));
            ops.push(Op::InsertTask(Box::new(lapsing)));
        }
        let declined: Vec<String> = order
            .lines
            .iter()
            .filter(|l| l.status == LineStatus::Declined)
            .map(|l| l.description.clone())
            .collect();
        if !declined.is_empty() {
            let mut task = core.plan_task(shop, plan(TaskKind::DeclinedReminder, None)).await?;
            let items: String = declined.join("、").chars().take(40).collect();
            task.subjects = declined;
            let request = reminder_message(shop, order, &task, "declined_reminder").with("items", items);
            ops.extend(core.tell(shop, request).await?);
            ops.push(Op::InsertTask(Box::new(task)));
        }
        Ok(ops)
    }

    /// Hands the car back and freezes the settlement; the warranty starts on the store-local day
    /// (WO-9, WO-10, IN-4).
    pub async fn deliver(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: Step,
        cmd: DeliverWorkOrder,
    ) -> Result<WorkOrder> {
        who.authorize(Action::FrontDeskStep, store, "work_order")?;
        let Step { id, if_match, key } = step;
        let mut v = Validator::new();
        v.optional_text("walkaround_notes", Some(&cmd.walkaround_notes), crate::error::limits::TEXT);
        v.finish()?;
        let core = &self.core;
        let (if_match, cmd, notes) = (if_match.as_ref(), &cmd, cmd.walkaround_notes.as_str());
        core.write_once(who, store, "work_order.deliver", key, &(id, &cmd), || async move {
            let shop = core.store(who, store).await?;
            let current = self.load(store, id).await?;
            check_etag("work_order", current.version, if_match)?;
            let customer = core.repo.get_customer(store, current.customer_id).await?;
            let vehicle = core.repo.get_vehicle(store, current.vehicle_id).await?;
            let (Some(customer), Some(vehicle)) = (customer, vehicle) else {
                return Err(DomainError::Internal(
                    "work order refers to a missing customer or vehicle".into(),
                ));
            };
            let now = core.now();
            let today = now.with_timezone(&shop.timezone).date_naive();
            let mut next = current.clone();
            next.deliver(notes, cmd.accessories_returned.unwrap_or(false), today, &who.sub, now)?;
            let number = Self::next_number(&shop, "settlement", today.year());
            let parties = SettlementParties {
                store_name: shop.name.clone(),
                customer_name: customer.name.clone(),
                customer_phone: customer.phone.masked(),
                customer_company: customer.company.clone(),
                vehicle_model: format!("{} {}", vehicle.make, vehicle.model),
            };
            // A fleet account with credit may leave the rest on account (issue 14).
            let payment = Payment {
                discount_fen: cmd.discount_fen.unwrap_or(0),
                amount_paid_fen: cmd.amount_paid_fen,
                method: cmd.payment_method,
                credit: customer.credit_account,
            };
            next.settle(parties, format!("{store}-JS-{}-{NUMBER_SLOT}", today.year()), &payment)?;
            if super::sanbao::sanbao_touched(&current, &next) {
                next.sanbao = super::sanbao::standing_of(core, &shop, &next, &vehicle, now).await?;
            }
            next.version = current.version + 1;
            next.updated_at = now;
            let audit = core.audit(
                who,
                store,
                "work_order.deliver",
                "work_order",
                id,
                vec!["status".into(), "settlement".into()],
            );
            let tz = shop.timezone;
            let record =
                EhealthRecord::of(&next, &shop.name, next.created_at.with_timezone(&tz).date_naive(), today)
                    .ok_or_else(|| DomainError::Internal("settled order has no e-health record".into()))?;
            // Queued in the same transaction as the delivery: no delivered order is ever left out (WO-12).
            let upload = EhealthUpload {
                work_order_id: id,
                store: store.clone(),
                province: core.settings.ehealth_province.clone(),
                record,
                status: UploadStatus::Pending,
                attempts: 0,
                next_attempt_at: now,
                last_error: None,
                uploaded_at: None,
                created_at: now,
            };
            let ops = vec![
                Op::UpdateWorkOrder { order: Box::new(next.clone()), before: Box::new(current.clone()) },
                Op::InsertEhealthUpload(Box::new(upload)),
            ];
            // The first follow-up is born with the delivery, in the same transaction (FU-1, FU-3).
            let plan = TaskPlan {
                kind: TaskKind::FirstFollowUp,
                customer_id: next.customer_id,
                order: Some((id, &next.advisor)),
                received_by: None,
                from_day: today,
                previous: None,
                topics: vec![],
                window: None,
                campaign_id: None,
            };
            let first = core.plan_task(&shop, plan).await?;
            let reminders = self.reminders(&shop, &next, &vehicle, today).await?;
            let ops = [ops, vec![Op::InsertTask(Box::new(first))], reminders].concat();
            Ok((
                next,
                ChangeSet {
                    ops,
                    audit: vec![audit],
                    idempotency: None,
                    number: Some(number),
                    store_zone: None,
                },
            ))
        })
        .await
    }
}

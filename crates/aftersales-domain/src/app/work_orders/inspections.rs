//! Entry, exit and rework inspections, append-only (IN-1..IN-3).

use super::*;

impl WorkOrderService {
    /// Submits the entry inspection, which confirms the category (IN-1).
    pub async fn submit_entry_inspection(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        cmd: SubmitEntryInspection,
        key: Option<IdempotencyKey>,
    ) -> Result<Inspection> {
        who.authorize(Action::EntryInspection, store, "work_order")?;
        let core = &self.core;
        core.write_once(who, store, "inspection.entry", key, &(id, &cmd), || async {
            let order = self.load(store, id).await?;
            check_entry(&order, &cmd)?;
            let now = core.now();
            let inspection = Inspection {
                id: InspectionId::generate(),
                store: store.clone(),
                work_order_id: id,
                kind: InspectionKind::Entry,
                inspector: who.sub.clone(),
                submitted_at: now,
                methods: cmd.methods.clone(),
                findings: Some(cmd.findings.trim().to_string()),
                condition: cmd.condition.clone(),
                confirmed_category: Some(cmd.confirmed_category.unwrap_or(order.repair_category)),
                results: vec![],
                road_test: None,
                passed: None,
                certificate_number: None,
                warranty: None,
            };
            let mut next = order.clone();
            next.entry_inspected = true;
            next.repair_category = cmd.confirmed_category.unwrap_or(order.repair_category);
            next.version += 1;
            next.updated_at = now;
            let changes = ChangeSet {
                ops: vec![
                    Op::InsertInspection(Box::new(inspection.clone())),
                    Op::UpdateWorkOrder { order: Box::new(next), before: Box::new(order.clone()) },
                ],
                audit: vec![core.audit(
                    who,
                    store,
                    "inspection.entry",
                    "work_order",
                    id,
                    vec!["entry_inspected".into()],
                )],
                idempotency: None,
                number: None,
                store_zone: None,
            };
            Ok((inspection, changes))
        })
        .await
    }

    /// Submits an exit (or rework) inspection: pass issues the certificate, fail sends the car
    /// back to rework (IN-2). Inspectors only.
    pub async fn submit_exit_inspection(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        cmd: SubmitExitInspection,
        key: Option<IdempotencyKey>,
    ) -> Result<Inspection> {
        who.authorize(Action::ExitInspection, store, "work_order")?;
        let core = &self.core;
        core.write_once(who, store, "inspection.exit", key, &(id, &cmd), || async {
            let shop = core.store(who, store).await?;
            let order = self.load(store, id).await?;
            if order.status != WorkOrderStatus::WorkCompleted {
                return Err(DomainError::FailedPrecondition {
                    code: "work_order.invalid_transition",
                    message: format!(
                        "cannot inspect a work order that is {}: only completed work is inspected",
                        order.status.as_str()
                    ),
                });
            }
            let (passed, failed) = check_exit(&order, &cmd)?;
            let now = core.now();
            let mut ops = Vec::new();
            let mut number = None;
            let certificate = if passed {
                let year = now.with_timezone(&shop.timezone).year();
                number = Some(Self::next_number(&shop, "certificate", year));
                Some(format!("{store}-HG-{year}-{NUMBER_SLOT}"))
            } else {
                None
            };
            let inspection = Inspection {
                id: InspectionId::generate(),
                store: store.clone(),
                work_order_id: id,
                kind: if order.rework_count == 0 { InspectionKind::Exit } else { InspectionKind::Rework },
                inspector: who.sub.clone(),
                submitted_at: now,
                methods: vec![],
                findings: None,
                condition: None,
                confirmed_category: None,
                results: cmd.results.clone(),
                road_test: cmd.road_test.clone(),
                passed: Some(passed),
                certificate_number: certificate.clone(),
                warranty: passed.then(|| order.repair_category.warranty()),
            };
            let mut next = order.clone();
            next.apply_exit_inspection(passed, &failed, certificate, &who.sub, now)?;
            next.version += 1;
            next.updated_at = now;
            ops.push(Op::InsertInspection(Box::new(inspection.clone())));
            ops.push(Op::UpdateWorkOrder { order: Box::new(next), before: Box::new(order.clone()) });
            let action = if passed { "inspection.exit_passed" } else { "inspection.exit_failed" };
            let audit = vec![core.audit(who, store, action, "work_order", id, vec!["status".into()])];
            Ok((inspection, ChangeSet { ops, audit, idempotency: None, number, store_zone: None }))
        })
        .await
    }

    /// Lists a work order's inspections, oldest first.
    pub async fn inspections(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        updated_since: Option<DateTime<Utc>>,
    ) -> Result<Vec<Inspection>> {
        who.authorize(Action::ReadWorkOrder, store, "work_order")?;
        self.load(store, id).await?;
        let all = self.core.repo.list_inspections(store, id).await?;
        // Inspections are never changed (IN-3): one made after the instant is one changed after it.
        Ok(all.into_iter().filter(|i| updated_since.is_none_or(|since| i.submitted_at > since)).collect())
    }

    /// Deletes an inspection, which the 3-year retention refuses while it runs (IN-3).
    pub async fn delete_inspection(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: WorkOrderId,
        inspection: InspectionId,
    ) -> Result<()> {
        who.authorize(Action::DeleteInspection, store, "inspection")?;
        let found = self
            .core
            .repo
            .get_inspection(store, inspection)
            .await?
            .filter(|i| i.work_order_id == id)
            .ok_or(DomainError::NotFound { resource: "inspection" })?;
        found.ensure_deletable(self.core.now())?;
        let audit = self.core.audit(who, store, "inspection.delete", "inspection", inspection, vec![]);
        self.core
            .repo
            .apply(ChangeSet::of(Op::DeleteInspection { store: store.clone(), id: inspection }, audit))
            .await
            .map(|_| ())
    }
}

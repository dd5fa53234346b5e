//! Applying change sets: one transaction each, numbers and counters taken in it (the counters
//! themselves are in `counters`).

use aftersales_domain::model::event::{self, Event};

use crate::entities::{campaign, complaint, letter, search, summary};
use aftersales_domain::model::rollup::{
    appointment_buckets, contact_buckets, letter_buckets, message_buckets, tallies, task_buckets,
    weighted_tallies, work_order_buckets,
};
use aftersales_domain::model::search::{customer_terms, vehicle_terms};
use aftersales_domain::ports::{ChangeSet, IdempotencyRecord, NumberRequest, Op, fill_number, holds_number};
use aftersales_domain::value::{Etag, StoreCode};
use aftersales_domain::{DomainError, Result};
use async_trait::async_trait;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
    QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use crate::counters::{Moves, Zones, counted_store};
use crate::entities::{
    consent, counter, customer, ehealth_upload, idempotency, inspection, staff, store, task, vehicle,
    work_order,
};
use crate::mapping::*;
use crate::{SeaRepository, db_err, read_err};
use aftersales_domain::model::customer::Customer;
use aftersales_domain::ports::Writes;

#[async_trait]
impl Writes for SeaRepository {
    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "ping", otel.kind = "client", db.operation.name = "ping", db.system.name = crate::backend_name(&self.db)))]
    async fn ping(&self) -> Result<()> {
        self.db.ping().await.map_err(|e| DomainError::Unavailable(e.to_string()))
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "apply", otel.kind = "client", db.operation.name = "apply", db.system.name = crate::backend_name(&self.db)))]
    async fn apply(&self, changes: ChangeSet) -> Result<Option<i64>> {
        match crate::batch::group_of(&changes) {
            Some(group) => self.groups.submit(self, group, changes).await,
            None => self.apply_alone(changes).await,
        }
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "find_idempotency", otel.kind = "client", db.operation.name = "find_idempotency", db.system.name = crate::backend_name(&self.db)))]
    async fn find_idempotency(
        &self,
        store: &StoreCode,
        principal: &str,
        key: &str,
    ) -> Result<Option<IdempotencyRecord>> {
        idempotency::Entity::find_by_id((store.to_string(), principal.to_string(), key.to_string()))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(idempotency_from)
            .transpose()
    }
}

impl SeaRepository {
    /// Applies one change set in a transaction of its own.
    pub(crate) async fn apply_alone(&self, changes: ChangeSet) -> Result<Option<i64>> {
        let mut zones = self.zones(std::slice::from_ref(&changes)).await?;
        let txn = self.db.begin().await.map_err(read_err)?;
        let mut moves = Moves::default();
        let (taken, events) = apply_in(&txn, changes, &mut zones, &mut moves).await?;
        moves.apply(&txn).await?;
        crate::events::append(&txn, events).await?;
        txn.commit().await.map_err(read_err)?;
        self.committed.notify_waiters();
        Ok(taken)
    }

    /// The time zones the change sets count in. They are read before the transaction: on SQLite
    /// a transaction that reads first cannot take the write lock later without failing busy.
    pub(crate) async fn zones(&self, sets: &[ChangeSet]) -> Result<Zones> {
        let mut zones = Zones(sets.iter().filter_map(|c| c.store_zone.clone()).collect());
        for store in sets.iter().flat_map(|c| c.ops.iter().filter_map(counted_store)) {
            zones.of(&self.db, store).await?;
        }
        Ok(zones)
    }
}

/// Writes one change set inside a transaction; the counter moves are gathered, not applied, and
/// its events (EV-1) are answered, derived from the ops as written (numbers filled), for the
/// caller to append last.
async fn apply_in(
    txn: &DatabaseTransaction,
    changes: ChangeSet,
    zones: &mut Zones,
    moves: &mut Moves,
) -> Result<(Option<i64>, Vec<Event>)> {
    let ChangeSet { mut ops, audit, idempotency, number, store_zone: _ } = changes;
    // The sequence and counter rows are shared by every writer of the store and stay locked
    // until commit, so everything that does not need them goes first: the records before the
    // first one carrying the number, the audit entries without it.
    let first_numbered = ops.iter().position(|op| number.is_some() && holds_number(op)).unwrap_or(ops.len());
    let numbered = ops.split_off(first_numbered);
    let mut events = event::derive_ops(&ops, &audit);
    for op in ops {
        apply_op(txn, op, zones, moves).await?;
    }
    let mut numbered_audit = Vec::new();
    for entry in &audit {
        if number.is_some() && holds_number(entry) {
            numbered_audit.push(entry.clone());
        } else {
            insert(txn, "audit_event", audit_row(entry)?.into_active_model().reset_all()).await?;
        }
    }
    let taken = match &number {
        Some(request) => Some(take_numbers(txn, request, 1).await?),
        None => None,
    };
    let numbered = numbered.into_iter().map(|op| filled(op, taken)).collect::<Result<Vec<_>>>()?;
    events.extend(event::derive_ops(&numbered, &audit));
    for op in numbered {
        apply_op(txn, op, zones, moves).await?;
    }
    for entry in numbered_audit {
        let entry = filled(entry, taken)?;
        insert(txn, "audit_event", audit_row(&entry)?.into_active_model().reset_all()).await?;
    }
    if let Some(record) = idempotency {
        let record = filled(record, taken)?;
        insert(txn, "idempotency_key", idempotency_row(&record)?.into_active_model().reset_all()).await?;
    }
    Ok((taken, events))
}

pub(crate) async fn update_checked<A>(
    txn: &DatabaseTransaction,
    resource: &'static str,
    active: A,
    filter: Condition,
    expected_version: i64,
    version_col: impl ColumnTrait,
) -> Result<()>
where
    A: ActiveModelTrait + Send,
{
    let result = A::Entity::update_many()
        .set(active)
        .filter(filter.add(version_col.eq(expected_version)))
        .exec(txn)
        .await
        .map_err(|e| db_err(resource, e))?;
    if result.rows_affected == 1 {
        Ok(())
    } else {
        // Someone wrote between our read and this update (GEN-2).
        Err(DomainError::StaleEtag { resource, current: Etag::render(expected_version + 1) })
    }
}

pub(crate) async fn insert<A>(txn: &DatabaseTransaction, resource: &'static str, active: A) -> Result<()>
where
    A: ActiveModelTrait + Send,
{
    A::Entity::insert(active).exec_without_returning(txn).await.map_err(|e| db_err(resource, e))?;
    Ok(())
}

pub(crate) async fn apply_op(
    txn: &DatabaseTransaction,
    op: Op,
    zones: &mut Zones,
    moves: &mut Moves,
) -> Result<()> {
    match op {
        Op::InsertStore(s) => insert(txn, "store", store_row(&s)?.into_active_model().reset_all()).await,
        Op::UpdateStore { store: s, expected_version } => {
            let filter = Condition::all().add(store::Column::Code.eq(s.code.as_str()));
            let row = store_row(&s)?.into_active_model().reset_all();
            update_checked(txn, "store", row, filter, expected_version, store::Column::Version).await
        }
        Op::InsertStaff(s) => insert(txn, "staff", staff_row(&s)?.into_active_model().reset_all()).await,
        Op::UpdateStaff { staff: s, expected_version } => {
            let filter = Condition::all()
                .add(staff::Column::Store.eq(s.store.as_str()))
                .add(staff::Column::Id.eq(s.id.as_str()));
            let row = staff_row(&s)?.into_active_model().reset_all();
            update_checked(txn, "staff", row, filter, expected_version, staff::Column::Version).await
        }
        Op::InsertCustomer(c) => {
            insert(txn, "customer", customer_row(&c).into_active_model().reset_all()).await?;
            // A new file has no terms yet: nothing to replace.
            insert_terms(txn, &c.store, c.id.0, c.id.0, customer_terms(&c)).await
        }
        Op::UpdateCustomer { customer: c, before } => {
            let filter = Condition::all()
                .add(customer::Column::Store.eq(c.store.as_str()))
                .add(customer::Column::Id.eq(c.id.0));
            let row = customer_row(&c).into_active_model().reset_all();
            update_checked(txn, "customer", row, filter, before.version, customer::Column::Version).await?;
            index_terms(txn, &c.store, c.id.0, c.id.0, customer_terms(&c)).await
        }
        Op::InsertVehicle(v) => {
            insert(txn, "vehicle", vehicle_row(&v).into_active_model().reset_all()).await?;
            insert_terms(txn, &v.store, v.customer_id.0, v.id.0, vehicle_terms(&v)).await
        }
        Op::UpdateVehicle { vehicle: v, before } => {
            let filter = Condition::all()
                .add(vehicle::Column::Store.eq(v.store.as_str()))
                .add(vehicle::Column::Id.eq(v.id.0));
            let row = vehicle_row(&v).into_active_model().reset_all();
            update_checked(txn, "vehicle", row, filter, before.version, vehicle::Column::Version).await?;
            index_terms(txn, &v.store, v.customer_id.0, v.id.0, vehicle_terms(&v)).await
        }
        Op::InsertOdometer(r) => {
            insert(txn, "odometer_reading", odometer_row(&r).into_active_model().reset_all()).await
        }
        Op::InsertConsent(c) => {
            insert(txn, "consent_event", consent_row(&c).into_active_model().reset_all()).await
        }
        Op::InsertTask(t) => {
            insert(txn, "follow_up_task", task_row(&t)?.into_active_model().reset_all()).await?;
            let tz = zones.of(txn, &t.store).await?;
            {
                moves.add(&t.store, tallies(&[], &task_buckets(&t, tz)));
                Ok(())
            }
        }
        Op::UpdateTask { task: t, before } => {
            let filter = Condition::all()
                .add(task::Column::Store.eq(t.store.as_str()))
                .add(task::Column::Id.eq(t.id.0));
            let row = task_row(&t)?.into_active_model().reset_all();
            update_checked(txn, "follow_up_task", row, filter, before.version, task::Column::Version).await?;
            // The checked update proves the row was still at `before`, so its counts need no read.
            let tz = zones.of(txn, &t.store).await?;
            let before = task_buckets(&before, tz);
            {
                moves.add(&t.store, tallies(&before, &task_buckets(&t, tz)));
                Ok(())
            }
        }
        Op::InsertContact(c) => {
            insert(txn, "contact_record", contact_row(&c)?.into_active_model().reset_all()).await?;
            let tz = zones.of(txn, &c.store).await?;
            {
                moves.add(&c.store, tallies(&[], &contact_buckets(&c, tz)));
                Ok(())
            }
        }
        Op::InsertCampaign(c) => {
            let row = campaign::Model {
                id: c.id.0,
                store: c.store.to_string(),
                document: to_json(&*c)?,
                event_date: c.event_date,
            };
            insert(txn, "campaign", row.into_active_model().reset_all()).await
        }
        Op::InsertLetter(l) => {
            let row = letter::Model {
                id: l.id.0,
                store: l.store.to_string(),
                document: to_json(&*l)?,
                sent_at: l.sent_at,
            };
            insert(txn, "letter", row.into_active_model().reset_all()).await?;
            let tz = zones.of(txn, &l.store).await?;
            {
                moves.add(&l.store, tallies(&[], &letter_buckets(&l, tz)));
                Ok(())
            }
        }
        Op::InsertSummary(summary_record) => {
            let row = summary::Model {
                store: summary_record.store.to_string(),
                period: summary_record.period.clone(),
                document: to_json(&*summary_record)?,
                submitted_at: summary_record.submitted_at,
            };
            insert(txn, "summary", row.into_active_model().reset_all()).await
        }
        Op::InsertComplaint(c) => {
            insert(txn, "complaint", complaint_row(&c)?.into_active_model().reset_all()).await
        }
        Op::UpdateComplaint { complaint: c, before } => {
            let filter = Condition::all()
                .add(complaint::Column::Store.eq(c.store.as_str()))
                .add(complaint::Column::Id.eq(c.id.0));
            let row = complaint_row(&c)?.into_active_model().reset_all();
            update_checked(txn, "complaint", row, filter, before.version, complaint::Column::Version).await
        }
        Op::InsertEhealthUpload(u) => {
            insert(txn, "ehealth_upload", ehealth_row(&u)?.into_active_model().reset_all()).await
        }
        Op::RequeueEhealthUpload(u) => {
            // Replaced whole: a worker still holding the old row's lease finds it gone and
            // records nothing over the correction.
            ehealth_upload::Entity::delete_many()
                .filter(ehealth_upload::Column::Store.eq(u.store.as_str()))
                .filter(ehealth_upload::Column::WorkOrderId.eq(u.work_order_id.0))
                .exec(txn)
                .await
                .map_err(|e| db_err("ehealth_upload", e))?;
            insert(txn, "ehealth_upload", ehealth_row(&u)?.into_active_model().reset_all()).await
        }
        Op::InsertWorkOrder(o) => {
            insert(txn, "work_order", work_order_row(&o)?.into_active_model().reset_all()).await?;
            // The counted fields (opening day, comeback) never change after the insert.
            let tz = zones.of(txn, &o.store).await?;
            {
                moves.add(&o.store, tallies(&[], &work_order_buckets(&o, tz)));
                Ok(())
            }
        }
        Op::UpdateWorkOrder { order, before } => {
            let filter = Condition::all()
                .add(work_order::Column::Store.eq(order.store.as_str()))
                .add(work_order::Column::Id.eq(order.id.0));
            let row = work_order_row(&order)?.into_active_model().reset_all();
            update_checked(txn, "work_order", row, filter, before.version, work_order::Column::Version)
                .await?;
            if order.comeback_of != before.comeback_of {
                // The zone was read before the transaction began (`counted_store`).
                let tz = zones.of(txn, &order.store).await?;
                moves.add(
                    &order.store,
                    tallies(&work_order_buckets(&before, tz), &work_order_buckets(&order, tz)),
                );
            }
            Ok(())
        }
        Op::InsertInspection(i) => {
            insert(txn, "inspection", inspection_row(&i)?.into_active_model().reset_all()).await
        }
        Op::PlaceAppointment { store, appointment, before, zone, at } => {
            crate::appointments::place(txn, &store, &appointment, before.as_deref(), zone, at).await?;
            let was = before.as_deref().map(|b| appointment_buckets(b, zone)).unwrap_or_default();
            moves.add(&store, weighted_tallies(&was, &appointment_buckets(&appointment, zone)));
            Ok(())
        }
        Op::UpdateAppointment { store, appointment, before } => {
            crate::appointments::update(txn, &store, &appointment, &before).await?;
            // The zone was read before the transaction began (see `zones`).
            let tz = zones.of(txn, &store).await?;
            moves.add(
                &store,
                weighted_tallies(&appointment_buckets(&before, tz), &appointment_buckets(&appointment, tz)),
            );
            Ok(())
        }
        Op::PutApprovalLink { link, before } => crate::approval_links::put(txn, &link, before).await,
        Op::InsertAttachment(a) => crate::attachments::insert(txn, &a).await,
        Op::InsertMessage(m) => {
            crate::messages::insert_message(txn, &m).await?;
            let tz = zones.of(txn, &m.store).await?;
            moves.add(&m.store, tallies(&[], &message_buckets(&m, tz)));
            Ok(())
        }
        Op::InsertTemplate(t) => crate::messages::insert_template(txn, &t).await,
        Op::GrantConsents(g) => crate::messages::grant_consents(txn, &g).await,
        Op::PutImport { job, before } => crate::imports::put(txn, &job, before).await,
        Op::InsertImportProblems { store, import, problems } => {
            crate::imports::insert_problems(txn, &store, import, &problems).await
        }
        Op::DeleteInspection { store, id } => {
            inspection::Entity::delete_many()
                .filter(inspection::Column::Store.eq(store.as_str()))
                .filter(inspection::Column::Id.eq(id.0))
                .exec(txn)
                .await
                .map_err(|e| db_err("inspection", e))?;
            Ok(())
        }
        Op::MoveCustomerRecords { store, from, to } => {
            // The moved cars' search terms now find the surviving file. They are reached by their
            // cars (the (store, source) index), not by a scan of the store's terms for the owner.
            let cars: Vec<Uuid> = vehicle::Entity::find()
                .select_only()
                .column(vehicle::Column::Id)
                .filter(vehicle::Column::Store.eq(store.as_str()))
                .filter(vehicle::Column::CustomerId.eq(from.0))
                .into_tuple()
                .all(txn)
                .await
                .map_err(read_err)?;
            if !cars.is_empty() {
                search::Entity::update_many()
                    .col_expr(search::Column::CustomerId, Expr::value(to.0))
                    .filter(search::Column::Store.eq(store.as_str()))
                    .filter(search::Column::Source.is_in(cars))
                    .exec(txn)
                    .await
                    .map_err(|e| db_err("customer_search", e))?;
            }
            vehicle::Entity::update_many()
                .col_expr(vehicle::Column::CustomerId, Expr::value(to.0))
                .filter(vehicle::Column::Store.eq(store.as_str()))
                .filter(vehicle::Column::CustomerId.eq(from.0))
                .exec(txn)
                .await
                .map_err(|e| db_err("vehicle", e))?;
            consent::Entity::update_many()
                .col_expr(consent::Column::CustomerId, Expr::value(to.0))
                .filter(consent::Column::Store.eq(store.as_str()))
                .filter(consent::Column::CustomerId.eq(from.0))
                .exec(txn)
                .await
                .map_err(|e| db_err("consent_event", e))?;
            Ok(())
        }
    }
}

/// Replaces the search terms one file or car is found under (CF-1), in the transaction that
/// changed it.
async fn index_terms(
    txn: &DatabaseTransaction,
    store: &StoreCode,
    customer: Uuid,
    source: Uuid,
    terms: Vec<String>,
) -> Result<()> {
    search::Entity::delete_many()
        .filter(search::Column::Store.eq(store.as_str()))
        .filter(search::Column::Source.eq(source))
        .exec(txn)
        .await
        .map_err(|e| db_err("customer_search", e))?;
    insert_terms(txn, store, customer, source, terms).await
}

async fn insert_terms<C: sea_orm::ConnectionTrait>(
    db: &C,
    store: &StoreCode,
    customer: Uuid,
    source: Uuid,
    terms: Vec<String>,
) -> Result<()> {
    let rows = term_rows(store, customer, source, terms);
    for chunk in rows.chunks(200) {
        search::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing()
            .exec_without_returning(db)
            .await
            .map_err(|e| db_err("customer_search", e))?;
    }
    Ok(())
}

/// The rows of the terms one file or car is found under (CF-1).
pub(crate) fn term_rows(
    store: &StoreCode,
    customer: Uuid,
    source: Uuid,
    terms: Vec<String>,
) -> Vec<search::ActiveModel> {
    let store = store.to_string();
    terms
        .into_iter()
        .map(|term| {
            search::Model { store: store.clone(), term, customer_id: customer, source }
                .into_active_model()
                .reset_all()
        })
        .collect()
}

/// The rows of a new customer file's own terms (its name and phone).
pub(crate) fn customer_term_rows(c: &Customer) -> Vec<search::ActiveModel> {
    term_rows(&c.store, c.id.0, c.id.0, customer_terms(c))
}

/// A value with the taken number filled in, if one was taken.
pub(crate) fn filled<T: serde::Serialize + serde::de::DeserializeOwned>(
    value: T,
    taken: Option<i64>,
) -> Result<T> {
    match taken {
        Some(seq) => fill_number(&value, seq),
        None => Ok(value),
    }
}

/// Takes the next `n` numbers of a per-store sequence with one statement in the transaction:
/// `INSERT ... ON CONFLICT DO UPDATE SET value = value + n RETURNING value`; answers the first.
/// The row stays locked until commit, so concurrent writers queue instead of clashing, and a
/// rollback gives the numbers back.
pub(crate) async fn take_numbers(txn: &DatabaseTransaction, request: &NumberRequest, n: i64) -> Result<i64> {
    let row = counter::ActiveModel {
        store: sea_orm::Set(request.store.to_string()),
        name: sea_orm::Set(request.name.clone()),
        value: sea_orm::Set(n),
    };
    let next = Expr::col((counter::Entity, counter::Column::Value)).add(n);
    let taken = counter::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([counter::Column::Store, counter::Column::Name])
                .value(counter::Column::Value, next)
                .to_owned(),
        )
        .exec_with_returning(txn)
        .await
        .map_err(|e| db_err("sequence", e))?;
    Ok(taken.value - n + 1)
}

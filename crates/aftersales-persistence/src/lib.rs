// Stays whole because `impl Repository` is one trait impl (one per aggregate comes with issue 9).
//! Storage for Aftersales on SQLite or PostgreSQL through sea-orm.
//!
//! [`SeaRepository`] implements the domain's [`Repository`] port. Every query of a store-owned
//! table filters on the store, and every write of a change set runs in one transaction.

mod entities;
mod mapping;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::entities::{campaign, complaint, letter, rollup, search, summary};
use aftersales_domain::auth::StoreAccess;
use aftersales_domain::model::audit::{AuditEvent, AuditFilter};
use aftersales_domain::model::customer::{ConsentEvent, Customer, CustomerFilter, Vehicle};
use aftersales_domain::model::ehealth::{EhealthUpload, UploadStatus};
use aftersales_domain::model::follow_up::{
    Campaign, CampaignId, Complaint, ComplaintId, ComplaintStatus, ContactRecord, FollowUpTask, Letter,
    TaskId, TaskStatus,
};
use aftersales_domain::model::inspection::{Inspection, InspectionId};
use aftersales_domain::model::rollup::{
    Tally, contact_buckets, letter_buckets, tallies, task_buckets, work_order_buckets,
};
use aftersales_domain::model::search::{customer_terms, query_term, vehicle_terms};
use aftersales_domain::model::store::{StaffMember, Store};
use aftersales_domain::model::summary::Summary;
use aftersales_domain::model::work_order::{WorkOrder, WorkOrderFilter, WorkOrderId, WorkOrderStatus};
use aftersales_domain::paging::{Page, PageRequest};
use aftersales_domain::ports::{
    ChangeSet, ComplaintFilter, ContactFilter, IdempotencyRecord, LeaseToken, NumberRequest, Op, Repository,
    TaskFilter, fill_number, holds_number,
};
use aftersales_domain::value::{CustomerId, Etag, StoreCode, VehicleId, Vin};
use aftersales_domain::{DomainError, Result};
use aftersales_migrations::{Migrator, MigratorTrait};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectOptions, Database, DatabaseConnection,
    DatabaseTransaction, DbErr, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Select,
    SqlErr, TransactionTrait,
};
use uuid::Uuid;

use crate::entities::{
    audit, consent, contact, counter, customer, ehealth_upload, idempotency, inspection, staff, store, task,
    vehicle, work_order,
};
use crate::mapping::*;

/// Errors opening or migrating the database.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The database could not be reached or opened.
    #[error("cannot connect to the database: {0}")]
    Connect(#[source] DbErr),
    /// A migration failed.
    #[error("migration failed: {0}")]
    Migrate(#[source] DbErr),
}

/// Opens a connection pool; SQLite files are created when missing.
pub async fn connect(url: &str, max_connections: u32) -> Result<DatabaseConnection, SetupError> {
    let mut options = ConnectOptions::new(url.to_string());
    options
        .max_connections(max_connections)
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        // Well inside the 30 s request deadline: a request that waits this long for a connection
        // answers 503 `unavailable` (retryable) instead of timing out without a reason.
        .acquire_timeout(Duration::from_secs(10))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o| {
            o.create_if_missing(true)
                .foreign_keys(true)
                .journal_mode(sea_orm::sqlx::sqlite::SqliteJournalMode::Wal)
                .busy_timeout(Duration::from_secs(10))
        });
    Database::connect(options).await.map_err(SetupError::Connect)
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), SetupError> {
    Migrator::up(db, None).await.map_err(SetupError::Migrate)
}

/// The sea-orm implementation of the domain's repository port.
#[derive(Clone)]
pub struct SeaRepository {
    db: DatabaseConnection,
}

impl SeaRepository {
    /// Wraps an open (and migrated) connection.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Refreshes the planner's statistics after a bulk load, so the indexes are used at once.
    pub async fn analyze(&self) -> Result<()> {
        use sea_orm::ConnectionTrait;
        self.db.execute_unprepared("ANALYZE").await.map_err(read_err)?;
        Ok(())
    }

    /// Loads generated records in one transaction, moving the month and year counters exactly
    /// as the application's own writes do (HQ-2); used by `aftersales seed`.
    pub async fn bulk_load(
        &self,
        customers: &[Customer],
        tasks: &[FollowUpTask],
        contacts: &[ContactRecord],
    ) -> Result<()> {
        let txn = self.db.begin().await.map_err(read_err)?;
        // Chunks stay under SQLite's bound-parameter limit.
        for chunk in customers.chunks(400) {
            let rows = chunk.iter().map(|c| customer_row(c).into_active_model().reset_all());
            customer::Entity::insert_many(rows).exec_without_returning(&txn).await.map_err(read_err)?;
        }
        // Search terms in multi-row inserts across files, as the write path would index them.
        let terms: Vec<search::ActiveModel> = customers
            .iter()
            .flat_map(|c| {
                customer_terms(c).into_iter().map(|term| {
                    search::Model { store: c.store.to_string(), term, customer_id: c.id.0, source: c.id.0 }
                        .into_active_model()
                        .reset_all()
                })
            })
            .collect();
        for chunk in terms.chunks(1000) {
            search::Entity::insert_many(chunk.to_vec())
                .on_conflict_do_nothing()
                .exec_without_returning(&txn)
                .await
                .map_err(read_err)?;
        }
        for chunk in tasks.chunks(400) {
            let rows = chunk
                .iter()
                .map(|t| task_row(t).map(|r| r.into_active_model().reset_all()))
                .collect::<Result<Vec<_>>>()?;
            task::Entity::insert_many(rows).exec_without_returning(&txn).await.map_err(read_err)?;
        }
        for chunk in contacts.chunks(400) {
            let rows = chunk
                .iter()
                .map(|c| contact_row(c).map(|r| r.into_active_model().reset_all()))
                .collect::<Result<Vec<_>>>()?;
            contact::Entity::insert_many(rows).exec_without_returning(&txn).await.map_err(read_err)?;
        }
        let mut zones: BTreeMap<StoreCode, chrono_tz::Tz> = BTreeMap::new();
        let mut moves = Moves::default();
        let records = tasks
            .iter()
            .map(|t| (&t.store, Either::Task(t)))
            .chain(contacts.iter().map(|c| (&c.store, Either::Contact(c))));
        for (store, record) in records {
            let tz = match zones.get(store) {
                Some(tz) => *tz,
                None => {
                    let tz = store_tz(&txn, store).await?;
                    zones.insert(store.clone(), tz);
                    tz
                }
            };
            let buckets = match record {
                Either::Task(t) => task_buckets(t, tz),
                Either::Contact(c) => contact_buckets(c, tz),
            };
            moves.add(store, tallies(&[], &buckets));
        }
        moves.apply(&txn).await?;
        txn.commit().await.map_err(read_err)
    }

    /// The FU-9 figures of one store read the way they were before the counters: every task,
    /// contact and complaint of the period loaded and counted (registered letters left out). The
    /// baseline of the HQ-2 benchmark.
    pub async fn figures_by_scanning(
        &self,
        store: &Store,
        from: chrono::NaiveDate,
        to: chrono::NaiveDate,
    ) -> Result<aftersales_domain::model::summary::FollowUpFigures> {
        let tz = store.timezone;
        let start = |d: chrono::NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .and_then(|t| t.and_local_timezone(tz).earliest())
                .map(|t| t.with_timezone(&Utc))
                .ok_or_else(|| DomainError::Internal(format!("no local midnight on {d}")))
        };
        let tasks = task::Entity::find()
            .filter(task::Column::Store.eq(store.code.as_str()))
            .filter(task::Column::DueTo.gte(from))
            .filter(task::Column::DueTo.lt(to))
            .all(&self.db)
            .await
            .map_err(read_err)?
            .into_iter()
            .map(task_from)
            .collect::<Result<Vec<_>>>()?;
        let contacts = contact::Entity::find()
            .filter(contact::Column::Store.eq(store.code.as_str()))
            .filter(contact::Column::ContactedAt.gte(start(from)?))
            .filter(contact::Column::ContactedAt.lt(start(to)?))
            .all(&self.db)
            .await
            .map_err(read_err)?
            .into_iter()
            .map(contact_from)
            .collect::<Result<Vec<_>>>()?;
        let complaints =
            self.complaints_opened_within(&[(store.code.clone(), start(from)?, start(to)?)]).await?;
        Ok(aftersales_domain::model::summary::figures(&tasks, &complaints, &contacts, &[], tz))
    }
}

/// Maps a database error; `resource` names what a unique clash is about.
fn db_err(resource: &'static str, err: DbErr) -> DomainError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(_)) => {
            DomainError::AlreadyExists { resource, detail: "a record with the same identity exists".into() }
        }
        Some(SqlErr::ForeignKeyConstraintViolation(_)) => DomainError::FailedPrecondition {
            code: "reference.missing",
            message: format!("{resource} refers to a record that does not exist"),
        },
        _ if matches!(err, DbErr::Conn(_) | DbErr::ConnectionAcquire(_)) => {
            DomainError::Unavailable(err.to_string())
        }
        _ => DomainError::Internal(err.to_string()),
    }
}

fn read_err(err: DbErr) -> DomainError {
    db_err("record", err)
}

fn after_uuid(page: &PageRequest) -> Result<Option<Uuid>> {
    page.after
        .as_deref()
        .map(|raw| {
            Uuid::parse_str(raw)
                .map_err(|_| DomainError::invalid("page_token", "is not a token for this list"))
        })
        .transpose()
}

fn limit(page: &PageRequest) -> u64 {
    page.size + 1
}

/// Reads one keyset page of a table keyed by UUIDv7: the rows after the page token, in id order.
async fn uuid_page<E, T>(
    db: &DatabaseConnection,
    query: Select<E>,
    id: E::Column,
    page: &PageRequest,
    from: impl Fn(E::Model) -> Result<T>,
    key: impl Fn(&T) -> String,
) -> Result<Page<T>>
where
    E: EntityTrait,
{
    let mut query = query.order_by_asc(id).limit(limit(page));
    if let Some(after) = after_uuid(page)? {
        query = query.filter(id.gt(after));
    }
    let rows = query.all(db).await.map_err(read_err)?;
    let items = rows.into_iter().map(from).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.size, key))
}

async fn update_checked<A>(
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

async fn insert<A>(txn: &DatabaseTransaction, resource: &'static str, active: A) -> Result<()>
where
    A: ActiveModelTrait + Send,
{
    A::Entity::insert(active).exec_without_returning(txn).await.map_err(|e| db_err(resource, e))?;
    Ok(())
}

/// A record of either kind the counters count in a bulk load.
enum Either<'a> {
    Task(&'a FollowUpTask),
    Contact(&'a ContactRecord),
}

/// The store's time zone, which decides the local day a record counts on.
async fn store_tz<C: sea_orm::ConnectionTrait>(db: &C, code: &StoreCode) -> Result<chrono_tz::Tz> {
    match store::Entity::find_by_id(code.to_string()).one(db).await.map_err(read_err)? {
        Some(row) => Ok(store_from(row)?.timezone),
        None => Err(DomainError::NotFound { resource: "store" }),
    }
}

/// The time zones of the stores one transaction counts in, each read once.
#[derive(Default)]
struct Zones(BTreeMap<StoreCode, chrono_tz::Tz>);

impl Zones {
    async fn of<C: sea_orm::ConnectionTrait>(&mut self, db: &C, code: &StoreCode) -> Result<chrono_tz::Tz> {
        if let Some(tz) = self.0.get(code) {
            return Ok(*tz);
        }
        let tz = store_tz(db, code).await?;
        self.0.insert(code.clone(), tz);
        Ok(tz)
    }
}

/// The store whose month and year counters an op moves, if it moves any.
fn counted_store(op: &Op) -> Option<&StoreCode> {
    match op {
        Op::InsertTask(t) | Op::UpdateTask { task: t, .. } => Some(&t.store),
        Op::InsertContact(c) => Some(&c.store),
        Op::InsertLetter(l) => Some(&l.store),
        Op::InsertWorkOrder(o) => Some(&o.store),
        Op::InsertStore(_)
        | Op::UpdateStore { .. }
        | Op::InsertStaff(_)
        | Op::UpdateStaff { .. }
        | Op::InsertCustomer(_)
        | Op::UpdateCustomer { .. }
        | Op::InsertVehicle(_)
        | Op::UpdateVehicle { .. }
        | Op::InsertOdometer(_)
        | Op::InsertConsent(_)
        | Op::InsertCampaign(_)
        | Op::InsertSummary(_)
        | Op::InsertComplaint(_)
        | Op::UpdateComplaint { .. }
        | Op::InsertEhealthUpload(_)
        | Op::UpdateWorkOrder { .. }
        | Op::InsertInspection(_)
        | Op::DeleteInspection { .. }
        | Op::MoveCustomerRecords { .. } => None,
    }
}

/// The counter moves of one transaction, merged; applied last and in key order, so that two
/// transactions always lock shared counter rows in the same order and never deadlock on them.
#[derive(Default)]
struct Moves(BTreeMap<(StoreCode, String, String), i64>);

impl Moves {
    fn add(&mut self, store: &StoreCode, tallies: Vec<Tally>) {
        for t in tallies {
            *self.0.entry((store.clone(), t.period.to_string(), t.metric)).or_default() += t.delta;
        }
    }

    /// Moves the store's month and year counters (HQ-2) with multi-row upserts, in the
    /// transaction of the change they count.
    async fn apply<C: sea_orm::ConnectionTrait>(self, db: &C) -> Result<()> {
        let rows: Vec<rollup::ActiveModel> = self
            .0
            .into_iter()
            .filter(|(_, delta)| *delta != 0)
            .map(|((store, period, metric), n)| {
                rollup::Model { store: store.to_string(), period, metric, n }.into_active_model().reset_all()
            })
            .collect();
        let add = Expr::col((rollup::Entity, rollup::Column::N))
            .add(Expr::col((Alias::new("excluded"), rollup::Column::N)));
        // Chunks stay under SQLite's bound-parameter limit.
        for chunk in rows.chunks(200) {
            rollup::Entity::insert_many(chunk.to_vec())
                .on_conflict(
                    OnConflict::columns([
                        rollup::Column::Store,
                        rollup::Column::Period,
                        rollup::Column::Metric,
                    ])
                    .value(rollup::Column::N, add.clone())
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await
                .map_err(|e| db_err("rollup", e))?;
        }
        Ok(())
    }
}

async fn apply_op(txn: &DatabaseTransaction, op: Op, zones: &mut Zones, moves: &mut Moves) -> Result<()> {
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
        Op::UpdateCustomer { customer: c, expected_version } => {
            let filter = Condition::all()
                .add(customer::Column::Store.eq(c.store.as_str()))
                .add(customer::Column::Id.eq(c.id.0));
            let row = customer_row(&c).into_active_model().reset_all();
            update_checked(txn, "customer", row, filter, expected_version, customer::Column::Version).await?;
            index_terms(txn, &c.store, c.id.0, c.id.0, customer_terms(&c)).await
        }
        Op::InsertVehicle(v) => {
            insert(txn, "vehicle", vehicle_row(&v).into_active_model().reset_all()).await?;
            insert_terms(txn, &v.store, v.customer_id.0, v.id.0, vehicle_terms(&v)).await
        }
        Op::UpdateVehicle { vehicle: v, expected_version } => {
            let filter = Condition::all()
                .add(vehicle::Column::Store.eq(v.store.as_str()))
                .add(vehicle::Column::Id.eq(v.id.0));
            let row = vehicle_row(&v).into_active_model().reset_all();
            update_checked(txn, "vehicle", row, filter, expected_version, vehicle::Column::Version).await?;
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
        Op::UpdateTask { task: t, expected_version } => {
            let filter = Condition::all()
                .add(task::Column::Store.eq(t.store.as_str()))
                .add(task::Column::Id.eq(t.id.0));
            let before = task::Entity::find().filter(filter.clone()).one(txn).await.map_err(read_err)?;
            let row = task_row(&t)?.into_active_model().reset_all();
            update_checked(txn, "follow_up_task", row, filter, expected_version, task::Column::Version)
                .await?;
            let tz = zones.of(txn, &t.store).await?;
            let before = match before {
                Some(row) => task_buckets(&task_from(row)?, tz),
                None => vec![],
            };
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
        Op::UpdateComplaint { complaint: c, expected_version } => {
            let filter = Condition::all()
                .add(complaint::Column::Store.eq(c.store.as_str()))
                .add(complaint::Column::Id.eq(c.id.0));
            let row = complaint_row(&c)?.into_active_model().reset_all();
            update_checked(txn, "complaint", row, filter, expected_version, complaint::Column::Version).await
        }
        Op::InsertEhealthUpload(u) => {
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
        Op::UpdateWorkOrder { order, expected_version } => {
            let filter = Condition::all()
                .add(work_order::Column::Store.eq(order.store.as_str()))
                .add(work_order::Column::Id.eq(order.id.0));
            let row = work_order_row(&order)?.into_active_model().reset_all();
            update_checked(txn, "work_order", row, filter, expected_version, work_order::Column::Version)
                .await
        }
        Op::InsertInspection(i) => {
            insert(txn, "inspection", inspection_row(&i)?.into_active_model().reset_all()).await
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
    let rows: Vec<search::ActiveModel> = terms
        .into_iter()
        .map(|term| {
            search::Model { store: store.to_string(), term, customer_id: customer, source }
                .into_active_model()
                .reset_all()
        })
        .collect();
    for chunk in rows.chunks(200) {
        search::Entity::insert_many(chunk.to_vec())
            .on_conflict_do_nothing()
            .exec_without_returning(db)
            .await
            .map_err(|e| db_err("customer_search", e))?;
    }
    Ok(())
}

/// A value with the taken number filled in, if one was taken.
fn filled<T: serde::Serialize + serde::de::DeserializeOwned>(value: T, taken: Option<i64>) -> Result<T> {
    match taken {
        Some(seq) => fill_number(&value, seq),
        None => Ok(value),
    }
}

/// Takes the next number of a per-store sequence with one statement in the transaction:
/// `INSERT ... ON CONFLICT DO UPDATE SET value = value + 1 RETURNING value`. The row stays locked
/// until commit, so concurrent writers queue instead of clashing, and a rollback gives it back.
async fn take_number(txn: &DatabaseTransaction, request: &NumberRequest) -> Result<i64> {
    let row = counter::ActiveModel {
        store: sea_orm::Set(request.store.to_string()),
        name: sea_orm::Set(request.name.clone()),
        value: sea_orm::Set(1),
    };
    let next = Expr::col((counter::Entity, counter::Column::Value)).add(1);
    let taken = counter::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([counter::Column::Store, counter::Column::Name])
                .value(counter::Column::Value, next)
                .to_owned(),
        )
        .exec_with_returning(txn)
        .await
        .map_err(|e| db_err("sequence", e))?;
    Ok(taken.value)
}

#[async_trait]
impl Repository for SeaRepository {
    async fn ping(&self) -> Result<()> {
        self.db.ping().await.map_err(|e| DomainError::Unavailable(e.to_string()))
    }

    async fn apply(&self, changes: ChangeSet) -> Result<Option<i64>> {
        let ChangeSet { ops, audit, idempotency, number, store_zone } = changes;
        // The zones are read before the transaction: on SQLite a transaction that reads first
        // cannot take the write lock later without failing busy.
        let mut zones = Zones(store_zone.into_iter().collect());
        for store in ops.iter().filter_map(counted_store) {
            zones.of(&self.db, store).await?;
        }
        let txn = self.db.begin().await.map_err(read_err)?;
        // The sequence and counter rows are shared by every writer of the store and stay
        // locked until commit, so everything that does not need them goes first: the records
        // before the first one carrying the number, the audit entries without it.
        let mut ops = ops.into_iter().peekable();
        let mut moves = Moves::default();
        let mut numbered_audit = Vec::new();
        while let Some(op) = ops.next_if(|op| number.is_none() || !holds_number(op)) {
            apply_op(&txn, op, &mut zones, &mut moves).await?;
        }
        for event in audit {
            if number.is_some() && holds_number(&event) {
                numbered_audit.push(event);
            } else {
                insert(&txn, "audit_event", audit_row(&event)?.into_active_model().reset_all()).await?;
            }
        }
        let taken = match &number {
            Some(request) => Some(take_number(&txn, request).await?),
            None => None,
        };
        for op in ops {
            apply_op(&txn, filled(op, taken)?, &mut zones, &mut moves).await?;
        }
        for event in numbered_audit {
            let event = filled(event, taken)?;
            insert(&txn, "audit_event", audit_row(&event)?.into_active_model().reset_all()).await?;
        }
        if let Some(record) = idempotency {
            let record = filled(record, taken)?;
            insert(&txn, "idempotency_key", idempotency_row(&record)?.into_active_model().reset_all())
                .await?;
        }
        moves.apply(&txn).await?;
        txn.commit().await.map_err(read_err)?;
        Ok(taken)
    }

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

    async fn get_store(&self, code: &StoreCode) -> Result<Option<Store>> {
        store::Entity::find_by_id(code.to_string())
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(store_from)
            .transpose()
    }

    async fn list_stores(&self, access: &StoreAccess, page: &PageRequest) -> Result<Page<Store>> {
        let mut query = store::Entity::find().order_by_asc(store::Column::Code).limit(limit(page));
        if let StoreAccess::Only(codes) = access {
            query = query.filter(store::Column::Code.is_in(codes.iter().map(|c| c.to_string())));
        }
        if let Some(after) = &page.after {
            query = query.filter(store::Column::Code.gt(after.as_str()));
        }
        let rows = query.all(&self.db).await.map_err(read_err)?;
        let items = rows.into_iter().map(store_from).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page.size, |s| s.code.to_string()))
    }

    async fn get_staff(&self, store: &StoreCode, id: &str) -> Result<Option<StaffMember>> {
        staff::Entity::find_by_id((store.to_string(), id.to_string()))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(staff_from)
            .transpose()
    }

    async fn list_staff(&self, store: &StoreCode, page: &PageRequest) -> Result<Page<StaffMember>> {
        let mut query = staff::Entity::find()
            .filter(staff::Column::Store.eq(store.as_str()))
            .order_by_asc(staff::Column::Id)
            .limit(limit(page));
        if let Some(after) = &page.after {
            query = query.filter(staff::Column::Id.gt(after.as_str()));
        }
        let rows = query.all(&self.db).await.map_err(read_err)?;
        let items = rows.into_iter().map(staff_from).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page.size, |s| s.id.clone()))
    }

    async fn get_customer(&self, store: &StoreCode, id: CustomerId) -> Result<Option<Customer>> {
        customer::Entity::find()
            .filter(customer::Column::Store.eq(store.as_str()))
            .filter(customer::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(customer_from)
            .transpose()
    }

    async fn list_customers(
        &self,
        store: &StoreCode,
        filter: &CustomerFilter,
        page: &PageRequest,
    ) -> Result<Page<Customer>> {
        let vehicles_where = |cond: Condition| {
            Query::select()
                .column(vehicle::Column::CustomerId)
                .from(vehicle::Entity)
                .cond_where(Condition::all().add(vehicle::Column::Store.eq(store.as_str())).add(cond))
                .to_owned()
        };
        let mut cond = Condition::all()
            .add(customer::Column::Store.eq(store.as_str()))
            .add(customer::Column::MergedInto.is_null());
        let searching = filter.q.as_deref().and_then(query_term);
        if let Some(term) = &searching {
            // One index lookup of the term (CF-1), not a scan of the store.
            let found = Query::select()
                .column(search::Column::CustomerId)
                .from(search::Entity)
                .cond_where(
                    Condition::all()
                        .add(search::Column::Store.eq(store.as_str()))
                        .add(search::Column::Term.eq(term.as_str())),
                )
                .to_owned();
            cond = cond.add(customer::Column::Id.in_subquery(found));
        }
        if let Some(plate) = &filter.plate {
            cond = cond.add(customer::Column::Id.in_subquery(vehicles_where(
                Condition::all().add(vehicle::Column::Plate.eq(plate.as_str())),
            )));
        }
        if let Some(vin) = &filter.vin {
            cond = cond
                .add(customer::Column::Id.in_subquery(vehicles_where(
                    Condition::all().add(vehicle::Column::Vin.eq(vin.as_str())),
                )));
        }
        let query = customer::Entity::find().filter(cond);
        if searching.is_some() {
            // Search results come newest first: the file a desk is looking for is most often recent.
            let mut query = query.order_by_desc(customer::Column::Id).limit(limit(page));
            if let Some(after) = after_uuid(page)? {
                query = query.filter(customer::Column::Id.lt(after));
            }
            let rows = query.all(&self.db).await.map_err(read_err)?;
            let items = rows.into_iter().map(customer_from).collect::<Result<Vec<_>>>()?;
            return Ok(Page::from_overfetch(items, page.size, |c| c.id.to_string()));
        }
        uuid_page(&self.db, query, customer::Column::Id, page, customer_from, |c| c.id.to_string()).await
    }

    async fn list_consent_events(
        &self,
        store: &StoreCode,
        customer: CustomerId,
    ) -> Result<Vec<ConsentEvent>> {
        consent::Entity::find()
            .filter(consent::Column::Store.eq(store.as_str()))
            .filter(consent::Column::CustomerId.eq(customer.0))
            .order_by_asc(consent::Column::Id)
            .all(&self.db)
            .await
            .map_err(read_err)?
            .into_iter()
            .map(consent_from)
            .collect()
    }

    async fn get_vehicle(&self, store: &StoreCode, id: VehicleId) -> Result<Option<Vehicle>> {
        vehicle::Entity::find()
            .filter(vehicle::Column::Store.eq(store.as_str()))
            .filter(vehicle::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(vehicle_from)
            .transpose()
    }

    async fn find_vehicle_by_vin(&self, store: &StoreCode, vin: &Vin) -> Result<Option<Vehicle>> {
        vehicle::Entity::find()
            .filter(vehicle::Column::Store.eq(store.as_str()))
            .filter(vehicle::Column::Vin.eq(vin.as_str()))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(vehicle_from)
            .transpose()
    }

    async fn list_vehicles(
        &self,
        store: &StoreCode,
        customer: CustomerId,
        page: &PageRequest,
    ) -> Result<Page<Vehicle>> {
        let query = vehicle::Entity::find()
            .filter(vehicle::Column::Store.eq(store.as_str()))
            .filter(vehicle::Column::CustomerId.eq(customer.0));
        uuid_page(&self.db, query, vehicle::Column::Id, page, vehicle_from, |v| v.id.to_string()).await
    }

    async fn get_work_order(&self, store: &StoreCode, id: WorkOrderId) -> Result<Option<WorkOrder>> {
        work_order::Entity::find()
            .filter(work_order::Column::Store.eq(store.as_str()))
            .filter(work_order::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(work_order_from)
            .transpose()
    }

    async fn list_work_orders(
        &self,
        store: &StoreCode,
        filter: &WorkOrderFilter,
        page: &PageRequest,
    ) -> Result<Page<WorkOrder>> {
        let mut cond = Condition::all().add(work_order::Column::Store.eq(store.as_str()));
        if let Some(status) = filter.status {
            cond = cond.add(work_order::Column::Status.eq(status.as_str()));
        }
        if let Some(advisor) = &filter.advisor {
            cond = cond.add(work_order::Column::Advisor.eq(advisor.as_str()));
        }
        if let Some(plate) = &filter.plate {
            cond = cond.add(work_order::Column::Plate.eq(plate.as_str()));
        }
        if let Some(vin) = &filter.vin {
            cond = cond.add(work_order::Column::Vin.eq(vin.as_str()));
        }
        if let Some(from) = filter.created_from {
            cond = cond.add(work_order::Column::CreatedAt.gte(from));
        }
        if let Some(to) = filter.created_to {
            cond = cond.add(work_order::Column::CreatedAt.lt(to));
        }
        if let Some(at) = filter.overdue_at {
            cond = cond.add(work_order::Column::PromisedAt.lt(at)).add(
                work_order::Column::Status
                    .is_not_in([WorkOrderStatus::Delivered.as_str(), WorkOrderStatus::Cancelled.as_str()]),
            );
        }
        if filter.awaiting_decision {
            cond = cond.add(work_order::Column::PendingLines.gt(0));
        }
        let query = work_order::Entity::find().filter(cond);
        uuid_page(&self.db, query, work_order::Column::Id, page, work_order_from, |o| o.id.to_string()).await
    }

    async fn list_inspections(&self, store: &StoreCode, order: WorkOrderId) -> Result<Vec<Inspection>> {
        inspection::Entity::find()
            .filter(inspection::Column::Store.eq(store.as_str()))
            .filter(inspection::Column::WorkOrderId.eq(order.0))
            .order_by_asc(inspection::Column::Id)
            .all(&self.db)
            .await
            .map_err(read_err)?
            .into_iter()
            .map(inspection_from)
            .collect()
    }

    async fn get_inspection(&self, store: &StoreCode, id: InspectionId) -> Result<Option<Inspection>> {
        inspection::Entity::find()
            .filter(inspection::Column::Store.eq(store.as_str()))
            .filter(inspection::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(inspection_from)
            .transpose()
    }

    async fn get_task(&self, store: &StoreCode, id: TaskId) -> Result<Option<FollowUpTask>> {
        task::Entity::find()
            .filter(task::Column::Store.eq(store.as_str()))
            .filter(task::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(task_from)
            .transpose()
    }

    async fn list_tasks(
        &self,
        store: &StoreCode,
        filter: &TaskFilter,
        page: &PageRequest,
    ) -> Result<Page<FollowUpTask>> {
        let mut cond = Condition::all().add(task::Column::Store.eq(store.as_str()));
        if let Some(a) = &filter.assignee {
            cond = cond.add(task::Column::Assignee.eq(a.as_str()));
        }
        if let Some(s) = filter.status {
            cond = cond.add(task::Column::Status.eq(s.as_str()));
        }
        if let Some(day) = filter.due_by {
            cond = cond.add(task::Column::DueFrom.lte(day));
        }
        if let Some(c) = filter.customer_id {
            cond = cond.add(task::Column::CustomerId.eq(c.0));
        }
        let query = task::Entity::find().filter(cond);
        uuid_page(&self.db, query, task::Column::Id, page, task_from, |t| t.id.to_string()).await
    }

    async fn open_task_counts(&self, store: &StoreCode) -> Result<Vec<(String, u64)>> {
        let rows: Vec<(Option<String>, i64)> = task::Entity::find()
            .select_only()
            .column(task::Column::Assignee)
            .column_as(task::Column::Id.count(), "open")
            .filter(task::Column::Store.eq(store.as_str()))
            .filter(task::Column::Status.eq(TaskStatus::Open.as_str()))
            .group_by(task::Column::Assignee)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(read_err)?;
        Ok(rows.into_iter().filter_map(|(a, n)| a.map(|a| (a, u64::try_from(n).unwrap_or(0)))).collect())
    }

    async fn worklist_tasks(
        &self,
        store: &StoreCode,
        assignee: &str,
        day: chrono::NaiveDate,
        limit: u64,
    ) -> Result<Vec<FollowUpTask>> {
        task::Entity::find()
            .filter(task::Column::Store.eq(store.as_str()))
            .filter(task::Column::Assignee.eq(assignee))
            .filter(task::Column::Status.eq(TaskStatus::Open.as_str()))
            .filter(task::Column::DueFrom.lte(day))
            .order_by_asc(task::Column::DueTo)
            .order_by_asc(task::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(read_err)?
            .into_iter()
            .map(task_from)
            .collect()
    }

    async fn last_contacts(
        &self,
        store: &StoreCode,
        tasks: &[TaskId],
    ) -> Result<Vec<(TaskId, DateTime<Utc>)>> {
        let mut latest: BTreeMap<Uuid, DateTime<Utc>> = BTreeMap::new();
        for chunk in tasks.chunks(500) {
            let rows: Vec<(Option<Uuid>, DateTime<Utc>)> = contact::Entity::find()
                .select_only()
                .column(contact::Column::TaskId)
                .column(contact::Column::ContactedAt)
                .filter(contact::Column::Store.eq(store.as_str()))
                .filter(contact::Column::TaskId.is_in(chunk.iter().map(|t| t.0)))
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(read_err)?;
            for (task, at) in rows {
                if let Some(task) = task {
                    let entry = latest.entry(task).or_insert(at);
                    *entry = Ord::max(*entry, at);
                }
            }
        }
        Ok(latest.into_iter().map(|(task, at)| (TaskId(task), at)).collect())
    }

    async fn get_customers(&self, store: &StoreCode, ids: &[CustomerId]) -> Result<Vec<Customer>> {
        let mut found = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let rows = customer::Entity::find()
                .filter(customer::Column::Store.eq(store.as_str()))
                .filter(customer::Column::Id.is_in(chunk.iter().map(|c| c.0)))
                .all(&self.db)
                .await
                .map_err(read_err)?;
            for row in rows {
                found.push(customer_from(row)?);
            }
        }
        Ok(found)
    }

    async fn list_contacts(
        &self,
        store: &StoreCode,
        filter: &ContactFilter,
        page: &PageRequest,
    ) -> Result<Page<ContactRecord>> {
        let mut cond = Condition::all().add(contact::Column::Store.eq(store.as_str()));
        if let Some(c) = filter.customer_id {
            cond = cond.add(contact::Column::CustomerId.eq(c.0));
        }
        if let Some(t) = filter.task_id {
            cond = cond.add(contact::Column::TaskId.eq(t.0));
        }
        if let Some(a) = &filter.agent {
            cond = cond.add(contact::Column::Agent.eq(a.as_str()));
        }
        let query = contact::Entity::find().filter(cond);
        uuid_page(&self.db, query, contact::Column::Id, page, contact_from, |c| c.id.to_string()).await
    }

    async fn get_complaint(&self, store: &StoreCode, id: ComplaintId) -> Result<Option<Complaint>> {
        complaint::Entity::find()
            .filter(complaint::Column::Store.eq(store.as_str()))
            .filter(complaint::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(complaint_from)
            .transpose()
    }

    async fn list_complaints(
        &self,
        store: &StoreCode,
        filter: &ComplaintFilter,
        page: &PageRequest,
    ) -> Result<Page<Complaint>> {
        let mut query = complaint::Entity::find().filter(complaint::Column::Store.eq(store.as_str()));
        if let Some(s) = filter.status {
            query = query.filter(complaint::Column::Status.eq(s.as_str()));
        }
        if let Some(before) = filter.escalates_before {
            let unresolved = [ComplaintStatus::Open.as_str(), ComplaintStatus::Escalated.as_str()];
            query = query
                .filter(complaint::Column::Status.is_in(unresolved))
                .filter(complaint::Column::EscalatesAt.lt(before));
        }
        uuid_page(&self.db, query, complaint::Column::Id, page, complaint_from, |c| c.id.to_string()).await
    }

    async fn open_complaints_escalating_by(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<Complaint>> {
        complaint::Entity::find()
            .filter(complaint::Column::Status.eq(ComplaintStatus::Open.as_str()))
            .filter(complaint::Column::EscalatesAt.lte(now))
            .order_by_asc(complaint::Column::EscalatesAt)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(read_err)?
            .into_iter()
            .map(complaint_from)
            .collect()
    }

    async fn rollup_counts(
        &self,
        stores: &[StoreCode],
        period: aftersales_domain::model::summary::Period,
    ) -> Result<Vec<(StoreCode, String, i64)>> {
        if stores.is_empty() {
            return Ok(vec![]);
        }
        let rows: Vec<(String, String, i64)> = rollup::Entity::find()
            .select_only()
            .column(rollup::Column::Store)
            .column(rollup::Column::Metric)
            .column(rollup::Column::N)
            .filter(rollup::Column::Store.is_in(stores.iter().map(StoreCode::to_string)))
            .filter(rollup::Column::Period.eq(period.to_string()))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(read_err)?;
        rows.into_iter()
            .map(|(store, metric, n)| {
                let code = StoreCode::parse(&store)
                    .map_err(|e| DomainError::Internal(format!("stored rollup store code: {e}")))?;
                Ok((code, metric, n))
            })
            .collect()
    }

    async fn complaints_opened_within(
        &self,
        windows: &[(StoreCode, DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<Vec<Complaint>> {
        let mut out = Vec::new();
        // Bounded OR lists keep the statement small; each arm is a range of the
        // (store, opened_at) index.
        for chunk in windows.chunks(200) {
            let mut any = Condition::any();
            for (store, from, to) in chunk {
                any = any.add(
                    Condition::all()
                        .add(complaint::Column::Store.eq(store.as_str()))
                        .add(complaint::Column::OpenedAt.gte(*from))
                        .add(complaint::Column::OpenedAt.lt(*to)),
                );
            }
            let rows = complaint::Entity::find().filter(any).all(&self.db).await.map_err(read_err)?;
            for row in rows {
                out.push(complaint_from(row)?);
            }
        }
        Ok(out)
    }

    async fn get_campaign(&self, store: &StoreCode, id: CampaignId) -> Result<Option<Campaign>> {
        campaign::Entity::find()
            .filter(campaign::Column::Store.eq(store.as_str()))
            .filter(campaign::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(campaign_from)
            .transpose()
    }

    async fn list_letters(&self, store: &StoreCode, page: &PageRequest) -> Result<Page<Letter>> {
        let query = letter::Entity::find().filter(letter::Column::Store.eq(store.as_str()));
        uuid_page(&self.db, query, letter::Column::Id, page, letter_from, |l| l.id.to_string()).await
    }

    async fn get_summary(&self, store: &StoreCode, period: &str) -> Result<Option<Summary>> {
        summary::Entity::find_by_id((store.to_string(), period.to_string()))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(summary_from)
            .transpose()
    }

    async fn get_ehealth_upload(
        &self,
        store: &StoreCode,
        order: WorkOrderId,
    ) -> Result<Option<EhealthUpload>> {
        ehealth_upload::Entity::find()
            .filter(ehealth_upload::Column::Store.eq(store.as_str()))
            .filter(ehealth_upload::Column::WorkOrderId.eq(order.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(ehealth_from)
            .transpose()
    }

    async fn claim_due_uploads(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: u64,
    ) -> Result<Vec<(EhealthUpload, LeaseToken)>> {
        use ehealth_upload::Column as C;
        let owner = Uuid::now_v7();
        let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(2));
        let claimable = || {
            Condition::all()
                .add(C::Status.eq(UploadStatus::Pending.as_str()))
                .add(C::NextAttemptAt.lte(now))
                .add(Condition::any().add(C::LeaseUntil.is_null()).add(C::LeaseUntil.lt(now)))
        };
        let due = Query::select()
            .column(C::WorkOrderId)
            .from(ehealth_upload::Entity)
            .cond_where(claimable())
            .order_by(C::NextAttemptAt, sea_orm::Order::Asc)
            .limit(limit)
            .to_owned();
        // The claimable condition is repeated outside the subquery: PostgreSQL re-checks it on a row
        // that a concurrent claim changed, so a second worker takes nothing.
        ehealth_upload::Entity::update_many()
            .col_expr(C::LeaseUntil, Expr::value(until))
            .col_expr(C::LeaseOwner, Expr::value(owner))
            .filter(C::WorkOrderId.in_subquery(due))
            .filter(claimable())
            .exec(&self.db)
            .await
            .map_err(read_err)?;
        let rows = ehealth_upload::Entity::find()
            .filter(C::LeaseOwner.eq(owner))
            .all(&self.db)
            .await
            .map_err(read_err)?;
        rows.into_iter().map(|m| Ok((ehealth_from(m)?, LeaseToken(owner)))).collect()
    }

    async fn finish_upload(&self, upload: &EhealthUpload, lease: &LeaseToken) -> Result<bool> {
        use ehealth_upload::Column as C;
        let result = ehealth_upload::Entity::update_many()
            .col_expr(C::Status, Expr::value(upload.status.as_str()))
            .col_expr(C::Attempts, Expr::value(i32::try_from(upload.attempts).unwrap_or(i32::MAX)))
            .col_expr(C::NextAttemptAt, Expr::value(upload.next_attempt_at))
            .col_expr(C::LastError, Expr::value(upload.last_error.clone()))
            .col_expr(C::UploadedAt, Expr::value(upload.uploaded_at))
            .col_expr(C::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(C::LeaseOwner, Expr::value(Option::<Uuid>::None))
            .filter(C::Store.eq(upload.store.as_str()))
            .filter(C::WorkOrderId.eq(upload.work_order_id.0))
            .filter(C::LeaseOwner.eq(lease.0))
            .exec(&self.db)
            .await
            .map_err(read_err)?;
        Ok(result.rows_affected == 1)
    }

    async fn list_audit(
        &self,
        store: &StoreCode,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEvent>> {
        let mut query = audit::Entity::find().filter(audit::Column::Store.eq(store.as_str()));
        if let Some(t) = &filter.resource_type {
            query = query.filter(audit::Column::ResourceType.eq(t.as_str()));
        }
        if let Some(id) = &filter.resource_id {
            query = query.filter(audit::Column::ResourceId.eq(id.as_str()));
        }
        if let Some(actor) = &filter.actor {
            query = query.filter(audit::Column::Actor.eq(actor.as_str()));
        }
        uuid_page(&self.db, query, audit::Column::Id, page, audit_from, |a| a.id.to_string()).await
    }
}

/// Returns the backend name, for logs.
pub fn backend_name(db: &DatabaseConnection) -> &'static str {
    match db.get_database_backend() {
        sea_orm::DatabaseBackend::Postgres => "postgres",
        sea_orm::DatabaseBackend::Sqlite => "sqlite",
        sea_orm::DatabaseBackend::MySql => "mysql",
        #[allow(unreachable_patterns)]
        _ => "other",
    }
}

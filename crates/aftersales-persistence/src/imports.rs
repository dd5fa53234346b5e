//! Import jobs and their reports (issue 15): a document per job with its committed row as the
//! version a batch checks, report lines keyed by (import, row, position), the look-ups a batch of
//! rows makes at once, and a batch's one transaction.

use aftersales_domain::Result;
use aftersales_domain::model::customer::{Customer, Vehicle};
use aftersales_domain::model::import::Problem;
use aftersales_domain::model::import_job::{ImportJob, ImportKind, ImportStatus};
use aftersales_domain::paging::{Page, PageRequest};
use aftersales_domain::ports::{ChangeSet, ImportStore, Op, Predecessor};
use aftersales_domain::value::{CustomerId, Phone, StoreCode, Vin};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Statement,
};
use uuid::Uuid;

use crate::entities::{customer, vehicle, work_order};
use crate::mapping::{customer_from, from_json, to_json, vehicle_from};
use crate::{SeaRepository, any_of, read_err, uuid_page};

/// The tables.
pub(crate) mod entities {
    /// Import jobs.
    pub mod job {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "import_jobs")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub id: Uuid,
            pub store: String,
            pub status: String,
            pub committed_row: i64,
            pub uploaded: bool,
            pub lease_owner: Option<Uuid>,
            pub lease_until: Option<DateTimeUtc>,
            pub document: String,
            pub updated_at: DateTimeUtc,
        }
        no_relations!();
    }

    /// Report lines.
    pub mod problem {
        use sea_orm::entity::prelude::*;

        #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
        #[sea_orm(table_name = "import_problems")]
        pub struct Model {
            #[sea_orm(primary_key, auto_increment = false)]
            pub store: String,
            #[sea_orm(primary_key, auto_increment = false)]
            pub import_id: Uuid,
            #[sea_orm(primary_key, auto_increment = false)]
            pub row_number: i64,
            #[sea_orm(primary_key, auto_increment = false)]
            pub position: i32,
            pub document: String,
        }
        no_relations!();
    }
}

use entities::{job, problem};

/// A row number as the database keeps it.
fn row_i64(row: u64) -> i64 {
    i64::try_from(row).unwrap_or(i64::MAX)
}

fn job_from(m: job::Model) -> Result<ImportJob> {
    from_json("import job", &m.document)
}

fn status_str(status: ImportStatus) -> String {
    status.as_str().to_string()
}

/// Inserts `job`, or advances it if it still stands at row `before`.
pub(crate) async fn put(txn: &DatabaseTransaction, job: &ImportJob, before: Option<u64>) -> Result<()> {
    let row = job::Model {
        id: job.id,
        store: job.store.to_string(),
        status: status_str(job.status),
        committed_row: row_i64(job.committed_row),
        uploaded: job.upload.is_some(),
        lease_owner: None,
        lease_until: None,
        document: to_json(job)?,
        updated_at: job.updated_at,
    };
    let mut active = row.into_active_model().reset_all();
    match before {
        None => crate::writes::insert(txn, "import", active).await,
        Some(at) => {
            // The lease is the worker's to keep; a batch leaves it as it is.
            active.lease_owner = sea_orm::ActiveValue::NotSet;
            active.lease_until = sea_orm::ActiveValue::NotSet;
            let filter = Condition::all()
                .add(job::Column::Store.eq(job.store.as_str()))
                .add(job::Column::Id.eq(job.id));
            crate::writes::update_checked(
                txn,
                "import",
                active,
                filter,
                row_i64(at),
                job::Column::CommittedRow,
            )
            .await
        }
    }
}

/// Appends report lines.
pub(crate) async fn insert_problems(
    txn: &DatabaseTransaction,
    store: &StoreCode,
    import: Uuid,
    problems: &[((u64, u32), Problem)],
) -> Result<()> {
    let mut rows = Vec::with_capacity(problems.len());
    for ((row, position), p) in problems {
        let model = problem::Model {
            import_id: import,
            row_number: row_i64(*row),
            position: i32::try_from(*position).unwrap_or(i32::MAX),
            store: store.to_string(),
            document: to_json(p)?,
        };
        rows.push(model.into_active_model().reset_all());
    }
    crate::batch::insert_runs(txn, "import_problem", &rows, crate::batch::ROWS).await
}

#[async_trait]
impl ImportStore for SeaRepository {
    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_import", otel.kind = "client", db.operation.name = "get_import", db.system.name = crate::backend_name(&self.db)))]
    async fn get_import(&self, store: &StoreCode, id: Uuid) -> Result<Option<ImportJob>> {
        job::Entity::find()
            .filter(job::Column::Store.eq(store.as_str()))
            .filter(job::Column::Id.eq(id))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(job_from)
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "list_imports", otel.kind = "client", db.operation.name = "list_imports", db.system.name = crate::backend_name(&self.db)))]
    async fn list_imports(&self, store: &StoreCode, page: &PageRequest) -> Result<Page<ImportJob>> {
        let query = job::Entity::find().filter(job::Column::Store.eq(store.as_str()));
        uuid_page(&self.db, query, (job::Column::Id, job::Column::UpdatedAt), page, job_from, |j| {
            j.id.to_string()
        })
        .await
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "import_problems", otel.kind = "client", db.operation.name = "import_problems", db.system.name = crate::backend_name(&self.db)))]
    async fn import_problems(
        &self,
        store: &StoreCode,
        import: Uuid,
        (row, position): (u64, u32),
        limit: u64,
    ) -> Result<Vec<((u64, u32), Problem)>> {
        let (row, position) = (row_i64(row), i32::try_from(position).unwrap_or(i32::MAX));
        let after = Condition::any().add(problem::Column::RowNumber.gt(row)).add(
            Condition::all()
                .add(problem::Column::RowNumber.eq(row))
                .add(problem::Column::Position.gt(position)),
        );
        let rows = problem::Entity::find()
            .filter(problem::Column::Store.eq(store.as_str()))
            .filter(problem::Column::ImportId.eq(import))
            .filter(after)
            .order_by_asc(problem::Column::RowNumber)
            .order_by_asc(problem::Column::Position)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(read_err)?;
        rows.into_iter()
            .map(|m| {
                let at = (u64::try_from(m.row_number).unwrap_or(0), u32::try_from(m.position).unwrap_or(0));
                Ok((at, from_json("import problem", &m.document)?))
            })
            .collect()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "vehicles_by_vins", otel.kind = "client", db.operation.name = "vehicles_by_vins", db.system.name = crate::backend_name(&self.db)))]
    async fn vehicles_by_vins(&self, store: &StoreCode, vins: &[Vin]) -> Result<Vec<Vehicle>> {
        let vins: Vec<&str> = vins.iter().map(Vin::as_str).collect();
        let query = vehicle::Entity::find().filter(vehicle::Column::Store.eq(store.as_str()));
        any_of(&self.db, query, vehicle::Column::Vin, &vins, vehicle_from).await
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "vehicles_of_customers", otel.kind = "client", db.operation.name = "vehicles_of_customers", db.system.name = crate::backend_name(&self.db)))]
    async fn vehicles_of_customers(
        &self,
        store: &StoreCode,
        customers: &[CustomerId],
    ) -> Result<Vec<Vehicle>> {
        let ids: Vec<Uuid> = customers.iter().map(|c| c.0).collect();
        let query = vehicle::Entity::find()
            .filter(vehicle::Column::Store.eq(store.as_str()))
            .order_by_asc(vehicle::Column::Id);
        any_of(&self.db, query, vehicle::Column::CustomerId, &ids, vehicle_from).await
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "customers_by_phones", otel.kind = "client", db.operation.name = "customers_by_phones", db.system.name = crate::backend_name(&self.db)))]
    async fn customers_by_phones(&self, store: &StoreCode, phones: &[Phone]) -> Result<Vec<Customer>> {
        let phones: Vec<&str> = phones.iter().map(Phone::as_str).collect();
        let query = customer::Entity::find()
            .filter(customer::Column::Store.eq(store.as_str()))
            .filter(customer::Column::MergedInto.is_null())
            .order_by_asc(customer::Column::CreatedAt);
        any_of(&self.db, query, customer::Column::Phone, &phones, customer_from).await
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "work_order_numbers", otel.kind = "client", db.operation.name = "work_order_numbers", db.system.name = crate::backend_name(&self.db)))]
    async fn work_order_numbers(&self, store: &StoreCode, numbers: &[String]) -> Result<Vec<String>> {
        let query = work_order::Entity::find().filter(work_order::Column::Store.eq(store.as_str()));
        any_of(&self.db, query, work_order::Column::Number, numbers, |m| Ok(m.number)).await
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "claim_import", otel.kind = "client", db.operation.name = "claim_import", db.system.name = crate::backend_name(&self.db)))]
    async fn claim_import(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
    ) -> Result<Option<(ImportJob, Uuid)>> {
        use job::Column as C;
        let owner = Uuid::now_v7();
        let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(1));
        let open = || {
            Condition::all()
                .add(C::Uploaded.eq(true))
                .add(C::Status.is_in([status_str(ImportStatus::Queued), status_str(ImportStatus::Running)]))
                .add(Condition::any().add(C::LeaseUntil.is_null()).add(C::LeaseUntil.lt(now)))
        };
        let picked = Query::select()
            .column(C::Id)
            .from(job::Entity)
            .cond_where(open())
            .order_by(C::Id, Order::Asc)
            .limit(1)
            .to_owned();
        // The open condition is repeated outside the subquery: PostgreSQL re-checks it on a row a
        // concurrent claim changed, so a second worker takes nothing.
        job::Entity::update_many()
            .col_expr(C::LeaseUntil, Expr::value(until))
            .col_expr(C::LeaseOwner, Expr::value(owner))
            .filter(C::Id.in_subquery(picked))
            .filter(open())
            .exec(&self.db)
            .await
            .map_err(read_err)?;
        let row =
            job::Entity::find().filter(C::LeaseOwner.eq(owner)).one(&self.db).await.map_err(read_err)?;
        row.map(|m| Ok((job_from(m)?, owner))).transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "renew_import", otel.kind = "client", db.operation.name = "renew_import", db.system.name = crate::backend_name(&self.db)))]
    async fn renew_import(&self, id: Uuid, owner: Uuid, until: DateTime<Utc>) -> Result<bool> {
        use job::Column as C;
        let done = job::Entity::update_many()
            .col_expr(C::LeaseUntil, Expr::value(until))
            .filter(C::Id.eq(id))
            .filter(C::LeaseOwner.eq(owner))
            .exec(&self.db)
            .await
            .map_err(read_err)?;
        Ok(done.rows_affected == 1)
    }

    fn concurrent_batches(&self) -> bool {
        self.db.get_database_backend() == sea_orm::DbBackend::Postgres
    }

    async fn apply_batch(&self, sets: Vec<ChangeSet>, after: Option<Predecessor>) -> Result<()> {
        let progress = sets.iter().flat_map(|set| &set.ops).find_map(|op| {
            if let Op::PutImport { job, .. } = op { Some((job.kind, job.counts.rows)) } else { None }
        });
        self.apply_together_after(sets, after).await?;
        // The batch has committed: statistics left stale only slow the next look-ups.
        if let Some((kind, rows)) = progress
            && self.db.get_database_backend() == sea_orm::DbBackend::Postgres
            && let Err(e) = self.refresh_statistics(kind, rows).await
        {
            tracing::warn!(error = %e, "the import's tables could not be analyzed");
        }
        Ok(())
    }
}

impl SeaRepository {
    /// PostgreSQL plans its look-ups (the batch's reads by VIN, phone and order number, each
    /// foreign-key check) from the tables' statistics. A table loaded from empty has none until
    /// autovacuum's analyze a minute on, and until then every look-up scans a table that grows by
    /// the batch (at 20,000 rows the import ran at half its speed). So a table the import grows
    /// is analyzed when the import's rows so far are more than twice what its statistics last
    /// counted: after about the 1st, 3rd, 7th... batch into an empty table, as it doubles, and
    /// not at all into a table already larger than the import (analyzing 80,000 customers took
    /// 160 ms a time, a quarter of the import's database time).
    async fn refresh_statistics(
        &self,
        kind: ImportKind,
        rows: u64,
    ) -> std::result::Result<(), sea_orm::DbErr> {
        let grown: &[&str] = match kind {
            ImportKind::Customers => &["customers", "vehicles"],
            ImportKind::ServiceHistory => &["work_orders"],
        };
        let listed = grown.iter().map(|t| format!("'{t}'::regclass")).collect::<Vec<_>>().join(", ");
        // reltuples is -1 for a table never analyzed.
        let sql = format!(
            "SELECT relname::text AS name FROM pg_class WHERE oid IN ({listed}) AND (reltuples < 0 OR reltuples * 2 < {rows})"
        );
        let stale = self.db.query_all_raw(Statement::from_string(DbBackend::Postgres, sql)).await?;
        let mut names = Vec::new();
        for row in stale {
            let name: String = row.try_get("", "name")?;
            // Only the names listed above reach the statement.
            if let Some(table) = grown.iter().find(|t| **t == name) {
                names.push(*table);
            }
        }
        if !names.is_empty() {
            self.db.execute_unprepared(&format!("ANALYZE {}", names.join(", "))).await?;
        }
        Ok(())
    }
}

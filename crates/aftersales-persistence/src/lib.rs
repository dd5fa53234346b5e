//! Storage for Aftersales on SQLite or PostgreSQL through sea-orm.
//!
//! [`SeaRepository`] implements the domain's [`Repository`] port. Every query of a store-owned
//! table filters on the store, and every write of a change set runs in one transaction.

#[macro_use]
mod entities;
mod mapping;

mod analytics;
mod appointments;
mod approval_links;
mod attachments;
mod audit_trail;
mod batch;
pub mod blobs;
mod bulk;
mod counters;
mod customers;
mod ehealth;
mod events;
mod follow_ups;
mod imports;
mod messages;
mod ops;
pub use ops::{PoolStats, QueueStats};
mod stores;
mod webhooks;
mod work_orders;
mod writes;

use std::time::Duration;

use aftersales_domain::paging::{Page, PageRequest};
use aftersales_domain::{DomainError, Result};
use aftersales_migrations::{Migrator, MigratorTrait};
use sea_orm::{
    ColumnTrait, ConnectOptions, Database, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Select, SqlErr,
};
use uuid::Uuid;

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
        // A connection in use is known to be alive; pinging it on every checkout cost a round
        // trip per statement outside a transaction. Only one idle for longer than HikariCP's
        // bypass window (500 ms) is pinged, so one cut by a restart or a proxy is replaced.
        .test_before_acquire_if_idle_for(Duration::from_millis(500))
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
    groups: std::sync::Arc<batch::Groups>,
    /// Woken after every commit, so a feed read waiting for events answers at once.
    committed: std::sync::Arc<tokio::sync::Notify>,
}

impl SeaRepository {
    /// Wraps an open (and migrated) connection.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db, groups: Default::default(), committed: Default::default() }
    }

    /// Refreshes the planner's statistics after a bulk load, so the indexes are used at once.
    pub async fn analyze(&self) -> Result<()> {
        use sea_orm::ConnectionTrait;
        self.db.execute_unprepared("ANALYZE").await.map_err(read_err)?;
        Ok(())
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
        _ if unreachable(&err) => DomainError::Unavailable(err.to_string()),
        _ => DomainError::Internal(err.to_string()),
    }
}

/// Whether an error says the database is away (a retry may succeed) rather than that the
/// statement is wrong: no connection, a connection cut mid-statement, a server shutting down,
/// a transaction the database rolled back to break a deadlock.
fn unreachable(err: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx::Error};
    if matches!(err, DbErr::Conn(_) | DbErr::ConnectionAcquire(_)) {
        return true;
    }
    let (DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e))) = err else {
        return false;
    };
    // SQLSTATE class 08 (connection exception), 57P01..57P03 (shutdown, restart), and class 40
    // (a deadlock victim or a serialization failure: rolled back whole, so a retry is safe).
    let shutdown = |code: &str| code.starts_with("08") || code.starts_with("57P") || code.starts_with("40");
    matches!(
        &**e,
        Error::Io(_) | Error::Tls(_) | Error::PoolTimedOut | Error::PoolClosed | Error::WorkerCrashed
    ) || matches!(&**e, Error::Database(db) if db.code().is_some_and(|c| shutdown(&c)))
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

/// The rows of `query` whose `column` is one of `keys`, mapped by `from`; 500 keys to a
/// statement, well under SQLite's bound-parameter limit.
async fn any_of<E, V, T>(
    db: &DatabaseConnection,
    query: Select<E>,
    column: E::Column,
    keys: &[V],
    from: impl Fn(E::Model) -> Result<T>,
) -> Result<Vec<T>>
where
    E: EntityTrait,
    V: Clone + Into<sea_orm::Value>,
{
    let mut found = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(500) {
        let rows =
            query.clone().filter(column.is_in(chunk.iter().cloned())).all(db).await.map_err(read_err)?;
        for row in rows {
            found.push(from(row)?);
        }
    }
    Ok(found)
}

/// Reads one keyset page of a table keyed by UUIDv7: the rows after the page token, in id order,
/// changed after the page's `updated_since` by the `changed` column (every list takes it, EV-2).
async fn uuid_page<E, T>(
    db: &DatabaseConnection,
    query: Select<E>,
    (id, changed): (E::Column, E::Column),
    page: &PageRequest,
    from: impl Fn(E::Model) -> Result<T>,
    key: impl Fn(&T) -> String,
) -> Result<Page<T>>
where
    E: EntityTrait,
{
    let mut query = changed_since(query, changed, page).order_by_asc(id).limit(limit(page));
    if let Some(after) = after_uuid(page)? {
        query = query.filter(id.gt(after));
    }
    let rows = query.all(db).await.map_err(read_err)?;
    let items = rows.into_iter().map(from).collect::<Result<Vec<_>>>()?;
    Ok(Page::from_overfetch(items, page.size, key))
}

/// Keeps the rows whose `changed` column is after the page's `updated_since`, if it has one.
fn changed_since<E: EntityTrait>(
    query: Select<E>,
    changed: impl ColumnTrait,
    page: &PageRequest,
) -> Select<E> {
    match page.updated_since {
        Some(since) => query.filter(changed.gt(since)),
        None => query,
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sea_orm::RuntimeErr;
    use sea_orm::sqlx::Error;

    use super::*;

    // API "errors": a connection the database cut mid-statement answers 503 (retry), not 500.
    #[test]
    fn a_cut_connection_is_unavailable_and_a_bad_statement_is_internal() {
        let cut = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let cut = DbErr::Query(RuntimeErr::SqlxError(Arc::new(Error::Io(cut))));
        assert!(matches!(read_err(cut), DomainError::Unavailable(_)));
        let timed_out = DbErr::Exec(RuntimeErr::SqlxError(Arc::new(Error::PoolTimedOut)));
        assert!(matches!(read_err(timed_out), DomainError::Unavailable(_)));
        let wrong = DbErr::Query(RuntimeErr::SqlxError(Arc::new(Error::RowNotFound)));
        assert!(matches!(read_err(wrong), DomainError::Internal(_)));
    }
}

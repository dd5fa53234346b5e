//! The ports of imports (issue 15): jobs and their reports, written as [`super::Op::PutImport`]
//! and [`super::Op::InsertImportProblems`], the look-ups a batch of rows makes at once, and the
//! batch's one transaction.

use async_trait::async_trait;
use uuid::Uuid;

use super::ChangeSet;
use crate::Result;
use crate::model::customer::{Customer, Vehicle};
use crate::model::import::Problem;
use crate::model::import_job::ImportJob;
use crate::paging::{Page, PageRequest};
use crate::value::{CustomerId, Phone, StoreCode, Vin};

/// Resolves once the batch before has ended: true when it committed.
pub type Predecessor = std::pin::Pin<Box<dyn std::future::Future<Output = bool> + Send>>;

/// Import jobs, their reports and batched writes.
#[async_trait]
pub trait ImportStore: Send + Sync {
    /// One import job of a store.
    async fn get_import(&self, store: &StoreCode, id: Uuid) -> Result<Option<ImportJob>>;

    /// A store's import jobs, paged by id.
    async fn list_imports(&self, store: &StoreCode, page: &PageRequest) -> Result<Page<ImportJob>>;

    /// Up to `limit` problems of an import's report after position `after` (row, then order
    /// within the row), in sheet order, with their positions.
    async fn import_problems(
        &self,
        store: &StoreCode,
        import: Uuid,
        after: (u64, u32),
        limit: u64,
    ) -> Result<Vec<((u64, u32), Problem)>>;

    /// The cars of a store with any of these VINs.
    async fn vehicles_by_vins(&self, store: &StoreCode, vins: &[Vin]) -> Result<Vec<Vehicle>>;

    /// The cars on any of these customer files.
    async fn vehicles_of_customers(
        &self,
        store: &StoreCode,
        customers: &[CustomerId],
    ) -> Result<Vec<Vehicle>>;

    /// The live customer files of a store with any of these phones.
    async fn customers_by_phones(&self, store: &StoreCode, phones: &[Phone]) -> Result<Vec<Customer>>;

    /// Which of these work-order numbers a store already holds.
    async fn work_order_numbers(&self, store: &StoreCode, numbers: &[String]) -> Result<Vec<String>>;

    /// Leases an uploaded job with work left whose lease is free or lapsed, until `now` +
    /// `lease`; answers it with the lease's token.
    async fn claim_import(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        lease: std::time::Duration,
    ) -> Result<Option<(ImportJob, Uuid)>>;

    /// Extends the lease `owner` holds on a job; false when it was lost.
    async fn renew_import(&self, id: Uuid, owner: Uuid, until: chrono::DateTime<chrono::Utc>)
    -> Result<bool>;

    /// Whether two batches' transactions can run at once (PostgreSQL; SQLite has one writer).
    fn concurrent_batches(&self) -> bool;

    /// Applies the change sets of one batch in one transaction, all or none. With `after`, the
    /// records are written at once and the import's job only once `after` says the batch before
    /// committed (false: it did not, and this one rolls back).
    async fn apply_batch(&self, sets: Vec<ChangeSet>, after: Option<Predecessor>) -> Result<()>;
}

//! Import jobs (issue 15): a sheet received into the object store as it arrives and queued as a
//! job, leased by a worker that renews its lease, read and listed with its report, and ended once
//! every row is accounted for. The batches a job writes are in `imports.rs`.

use serde::{Deserialize, Serialize};

use super::*;
use crate::model::import::Problem;
use crate::model::import_job::{ImportJob, ImportKind, ImportStatus, NewImport};
use crate::ports::{Chunks, Op};

/// What to do with a row whose car (by VIN) or customer (by phone) is already on file.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDuplicate {
    /// Fill what the car's file lacks (plate, registration and purchase dates), or add the
    /// row's car to the customer's file.
    Merge,
    /// Leave it.
    Skip,
    /// Leave it and name the row in the report.
    Report,
}

impl OnDuplicate {
    /// Reads the wire name.
    pub fn parse(raw: &str) -> Result<Self> {
        match raw {
            "merge" => Ok(OnDuplicate::Merge),
            "skip" => Ok(OnDuplicate::Skip),
            "report" => Ok(OnDuplicate::Report),
            _ => Err(DomainError::invalid("on_duplicate", "must be merge, skip or report")),
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OnDuplicate::Merge => "merge",
            OnDuplicate::Skip => "skip",
            OnDuplicate::Report => "report",
        }
    }
}

/// The largest sheet an upload may be: about a million rows of CSV.
pub const MAX_UPLOAD: usize = 128 * 1024 * 1024;

/// An uploaded sheet, received into the object store ([`CustomerService::receive_sheet`]) and not
/// yet queued: its key, which only the receiving service makes. Dropped unqueued (the request
/// refused, or cancelled because the client went away), it removes the sheet.
pub struct ReceivedSheet {
    /// The job's id to be.
    id: uuid::Uuid,
    key: String,
    /// Where the sheet is, until it is queued or removed.
    blobs: Option<std::sync::Arc<dyn crate::ports::BlobStore>>,
}

impl std::fmt::Debug for ReceivedSheet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceivedSheet").field("id", &self.id).field("key", &self.key).finish()
    }
}

impl Drop for ReceivedSheet {
    fn drop(&mut self) {
        if let Some(blobs) = self.blobs.take() {
            blobs.delete_soon(std::mem::take(&mut self.key));
        }
    }
}

/// An uploaded sheet and how to import it.
#[derive(Debug)]
pub struct ImportUpload {
    /// The file's name, as the client sent it (the bytes say XLSX or CSV).
    pub file_name: String,
    /// The sheet, received.
    pub sheet: ReceivedSheet,
    /// What the sheet holds.
    pub kind: ImportKind,
    /// Check everything, write nothing.
    pub dry_run: bool,
    /// What to do with a car or customer already on file.
    pub on_duplicate: OnDuplicate,
}

impl CustomerService {
    /// Starts an import job (supervisor), audited (GEN-1); an existing job of the same id is
    /// answered as it stands, to be resumed.
    pub async fn start_import(
        &self,
        who: &Principal,
        store: &StoreCode,
        new: NewImport,
    ) -> Result<ImportJob> {
        who.authorize(Action::ImportData, store, "store")?;
        self.core.store(who, store).await?;
        if let Some(job) = self.core.repo.get_import(store, new.id).await? {
            return Ok(job);
        }
        self.record_start(who, store, ImportJob::new(store, new, &who.sub, self.core.now())).await
    }

    /// Writes a new job, audited (GEN-1).
    async fn record_start(&self, who: &Principal, store: &StoreCode, job: ImportJob) -> Result<ImportJob> {
        let audit = self.core.audit(who, store, "import.start", "import", job.id, vec![]);
        let op = Op::PutImport { job: Box::new(job.clone()), before: None };
        self.core.repo.apply(ChangeSet::of(op, audit)).await?;
        Ok(job)
    }

    /// Receives an uploaded sheet into the object store as it arrives (supervisor), at most
    /// [`MAX_UPLOAD`] bytes, never held whole in memory; [`Self::upload_import`] queues it, or
    /// [`Self::discard_sheet`] drops it when the rest of the request is refused.
    pub async fn receive_sheet(
        &self,
        who: &Principal,
        store: &StoreCode,
        sheet: Chunks<'_>,
    ) -> Result<ReceivedSheet> {
        who.authorize(Action::ImportData, store, "store")?;
        self.core.store(who, store).await?;
        let id = uuid::Uuid::now_v7();
        let key = format!("imports/{store}/{id}");
        self.core.blobs.put_chunks(&key, sheet, MAX_UPLOAD).await?;
        Ok(ReceivedSheet { id, key, blobs: Some(self.core.blobs.clone()) })
    }

    /// Removes a received sheet that will not be queued, before answering.
    pub async fn discard_sheet(&self, mut sheet: ReceivedSheet) {
        sheet.blobs = None;
        if let Err(e) = self.core.blobs.delete(&sheet.key).await {
            tracing::warn!(error = %e, "a refused upload's sheet could not be removed");
        }
    }

    /// Queues a received sheet as an import job (supervisor), audited (GEN-1); a worker runs it.
    pub async fn upload_import(
        &self,
        who: &Principal,
        store: &StoreCode,
        upload: ImportUpload,
    ) -> Result<ImportJob> {
        let ImportUpload { file_name, mut sheet, kind, dry_run, on_duplicate } = upload;
        let checked = who.authorize(Action::ImportData, store, "store").and_then(|()| {
            // A sheet is queued in the store it was received for.
            if sheet.key.starts_with(&format!("imports/{store}/")) {
                Ok(())
            } else {
                Err(DomainError::invalid("file", "was received for another store"))
            }
        });
        if let Err(e) = checked {
            self.discard_sheet(sheet).await;
            return Err(e);
        }
        // From here a cancelled request leaves the sheet: the job may have been written, and a
        // job without its sheet would fail.
        sheet.blobs = None;
        let new = NewImport { id: sheet.id, kind, file_name, dry_run, on_duplicate };
        let mut job = ImportJob::new(store, new, &who.sub, self.core.now());
        job.upload = Some(sheet.key.clone());
        let queued = self.record_start(who, store, job).await;
        if queued.is_err() {
            self.discard_sheet(sheet).await;
        }
        queued
    }

    /// Leases the next uploaded job with work left, with its sheet piece by piece (the import
    /// worker); none when the object store has lost it, for the worker to end the job as failed
    /// rather than lease it again forever.
    pub async fn claim_import(
        &self,
        lease: std::time::Duration,
    ) -> Result<Option<(ImportJob, uuid::Uuid, Option<Chunks<'static>>)>> {
        let Some((job, owner)) = self.core.repo.claim_import(self.core.now(), lease).await? else {
            return Ok(None);
        };
        let sheet = match &job.upload {
            Some(key) => self.core.blobs.get_chunks(key).await?,
            None => None,
        };
        Ok(Some((job, owner, sheet)))
    }

    /// Extends the worker's lease on a job; false when another worker took it.
    pub async fn renew_import(
        &self,
        id: uuid::Uuid,
        owner: uuid::Uuid,
        lease: std::time::Duration,
    ) -> Result<bool> {
        let until =
            self.core.now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(1));
        self.core.repo.renew_import(id, owner, until).await
    }

    /// Reads an import job (supervisor).
    pub async fn get_import(&self, who: &Principal, store: &StoreCode, id: uuid::Uuid) -> Result<ImportJob> {
        who.authorize(Action::ImportData, store, "import")?;
        self.core.repo.get_import(store, id).await?.ok_or(DomainError::NotFound { resource: "import" })
    }

    /// Lists a store's import jobs (supervisor).
    pub async fn list_imports(
        &self,
        who: &Principal,
        store: &StoreCode,
        page: &crate::paging::PageRequest,
    ) -> Result<crate::paging::Page<ImportJob>> {
        who.authorize(Action::ImportData, store, "store")?;
        self.core.store(who, store).await?;
        self.core.repo.list_imports(store, page).await
    }

    /// An import's whole report in sheet order (supervisor), read a thousand lines at a time.
    pub async fn import_report(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: uuid::Uuid,
    ) -> Result<Vec<Problem>> {
        who.authorize(Action::ImportData, store, "import")?;
        let mut problems = Vec::new();
        let mut after = (0, 0);
        loop {
            let page = self.core.repo.import_problems(store, id, after, 1000).await?;
            let Some((last, _)) = page.last() else { break };
            after = *last;
            problems.extend(page.into_iter().map(|(_, p)| p));
        }
        Ok(problems)
    }

    /// Ends an import job: every row accounted for, or failed with `error`; audited (GEN-1).
    pub async fn finish_import(
        &self,
        who: &Principal,
        store: &StoreCode,
        job: &mut ImportJob,
        error: Option<String>,
    ) -> Result<()> {
        who.authorize(Action::ImportData, store, "import")?;
        job.status = if error.is_some() { ImportStatus::Failed } else { ImportStatus::Done };
        job.error = error;
        job.updated_at = self.core.now();
        let audit = self.core.audit(who, store, "import.finish", "import", job.id, vec!["status".into()]);
        let op = Op::PutImport { job: Box::new(job.clone()), before: Some(job.committed_row) };
        self.core.repo.apply(ChangeSet::of(op, audit)).await?;
        // The uploaded sheet has served: the records and the report are in the database. A
        // sheet left by a failed removal is only storage, never read again.
        if let Some(key) = &job.upload
            && let Err(e) = self.core.blobs.delete(key).await
        {
            tracing::warn!(import = %job.id, error = %e, "an import's uploaded sheet could not be removed");
        }
        Ok(())
    }
}

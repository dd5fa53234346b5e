//! An import job (issue 15): what is being moved in, how far it has got and what it counted. The
//! job is the import's checkpoint: each batch of rows is written in one transaction with the job
//! advanced past its last row, so a run killed midway resumes after the last committed batch and
//! no row is written twice (the import's id and the row number are the key).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::app::OnDuplicate;
use crate::value::StoreCode;

/// What a sheet holds.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    /// Customer files with their cars.
    Customers,
    /// Past delivered orders, a row per line (the cars must be on file).
    ServiceHistory,
}

/// Where a job stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportStatus {
    /// Uploaded, waiting for a worker.
    Queued,
    /// Rows are being written (or a killed run waits to be resumed).
    Running,
    /// Every row read and accounted for.
    Done,
    /// Stopped for good: the file could not be read.
    Failed,
}

impl ImportKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Customers => "customers",
            ImportKind::ServiceHistory => "service_history",
        }
    }

    /// Reads the wire name.
    pub fn parse(raw: &str) -> crate::Result<Self> {
        match raw {
            "customers" => Ok(ImportKind::Customers),
            "service_history" => Ok(ImportKind::ServiceHistory),
            _ => Err(crate::DomainError::invalid("kind", "must be customers or service_history")),
        }
    }
}

impl ImportStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Queued => "queued",
            ImportStatus::Running => "running",
            ImportStatus::Done => "done",
            ImportStatus::Failed => "failed",
        }
    }
}

/// What an import counted, equal to what the file holds: `rows` = `created` + `merged` +
/// `skipped` + `refused`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportCounts {
    /// Data rows read (blank rows aside).
    pub rows: u64,
    /// Rows written as a new file (would be, in a dry run).
    pub created: u64,
    /// Rows whose car or customer was on file and was merged into it.
    pub merged: u64,
    /// Rows whose car or customer was on file and was left.
    pub skipped: u64,
    /// Rows refused, each named in the report.
    pub refused: u64,
    /// Problems in the report (a refused row may have several).
    pub problems: u64,
}

/// An import of one sheet into one store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportJob {
    /// Id: made from the file's hash for the command line (the same file is the same import),
    /// a new id for an upload.
    pub id: Uuid,
    /// The store moved into.
    pub store: StoreCode,
    /// What the sheet holds.
    pub kind: ImportKind,
    /// Where it stands.
    pub status: ImportStatus,
    /// The file's name as uploaded (or its path's last part).
    pub file_name: String,
    /// Check everything, write no record.
    pub dry_run: bool,
    /// What to do with a car or customer already on file.
    pub on_duplicate: OnDuplicate,
    /// The last sheet row whose outcome is written; a resumed run starts after it.
    pub committed_row: u64,
    /// The counts through `committed_row`.
    pub counts: ImportCounts,
    /// Why it failed, when it did.
    #[serde(default)]
    pub error: Option<String>,
    /// Who started it.
    pub created_by: String,
    /// When it was started.
    pub created_at: DateTime<Utc>,
    /// When its last batch was written.
    pub updated_at: DateTime<Utc>,
    /// Where an uploaded sheet's bytes are kept (the object store's key); none for a command-line
    /// import, which reads its own file.
    #[serde(default)]
    pub upload: Option<String>,
}

/// A new job, not started.
pub struct NewImport {
    /// Its id.
    pub id: Uuid,
    /// What the sheet holds.
    pub kind: ImportKind,
    /// The file's name.
    pub file_name: String,
    /// Write nothing.
    pub dry_run: bool,
    /// What to do with a duplicate on file.
    pub on_duplicate: OnDuplicate,
}

/// Reads an import's id as a client sends it.
pub fn parse_id(raw: &str) -> crate::Result<Uuid> {
    Uuid::parse_str(raw).map_err(|_| crate::DomainError::invalid("import_id", "must be a UUID"))
}

impl ImportJob {
    /// A queued job of `store` started by `by` at `now`.
    pub fn new(store: &StoreCode, new: NewImport, by: &str, now: DateTime<Utc>) -> Self {
        let NewImport { id, kind, file_name, dry_run, on_duplicate } = new;
        Self {
            id,
            store: store.clone(),
            kind,
            status: ImportStatus::Queued,
            file_name,
            dry_run,
            on_duplicate,
            committed_row: 0,
            counts: ImportCounts::default(),
            error: None,
            created_by: by.to_string(),
            created_at: now,
            updated_at: now,
            upload: None,
        }
    }

    /// Whether a worker has anything left to do.
    pub fn is_open(&self) -> bool {
        matches!(self.status, ImportStatus::Queued | ImportStatus::Running)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Issue 15: a job is open until done or failed; a new one starts at row 0 with no counts.
    #[test]
    fn a_new_job_is_queued_at_row_zero() {
        let store = StoreCode::parse("SH001").expect("a store code");
        let new = NewImport {
            id: Uuid::nil(),
            kind: ImportKind::Customers,
            file_name: "客户.xlsx".into(),
            dry_run: false,
            on_duplicate: OnDuplicate::Merge,
        };
        let mut job = ImportJob::new(&store, new, "sup", Utc::now());
        assert_eq!(
            (job.status, job.committed_row, job.counts),
            (ImportStatus::Queued, 0, ImportCounts::default())
        );
        assert!(job.is_open());
        job.status = ImportStatus::Done;
        assert!(!job.is_open());
    }
}

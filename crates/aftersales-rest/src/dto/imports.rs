//! Import jobs (issue 15) as the API shows them.

use aftersales_domain::app::OnDuplicate;
use aftersales_domain::model::import_job::{ImportCounts, ImportJob, ImportKind, ImportStatus};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// An import of one sheet into one store, with its progress and counts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportJobDto {
    /// Id.
    pub id: Uuid,
    /// What the sheet holds.
    pub kind: ImportKind,
    /// `queued`, `running`, `done` or `failed`.
    pub status: ImportStatus,
    /// The sheet's file name.
    pub file_name: String,
    /// Checks only: no record is written.
    pub dry_run: bool,
    /// What is done with a car or customer already on file.
    pub on_duplicate: OnDuplicate,
    /// The last sheet row accounted for (the header is row 1): the progress.
    pub committed_row: u64,
    /// The counts so far; when done, equal to what the file holds.
    pub counts: ImportCounts,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// Who started it.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When its last batch was written.
    pub updated_at: DateTime<Utc>,
}

impl From<ImportJob> for ImportJobDto {
    fn from(job: ImportJob) -> Self {
        let ImportJob {
            id,
            store: _,
            kind,
            status,
            file_name,
            dry_run,
            on_duplicate,
            committed_row,
            counts,
            error,
            created_by,
            created_at,
            updated_at,
            upload: _,
        } = job;
        Self {
            id,
            kind,
            status,
            file_name,
            dry_run,
            on_duplicate,
            committed_row,
            counts,
            error,
            created_by,
            created_at,
            updated_at,
        }
    }
}

list_dto!(
    /// A page of a store's imports.
    ImportList, imports, ImportJobDto
);

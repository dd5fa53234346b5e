//! Moving a store in (issue 15): a customer sheet from an old DMS run through the domain's
//! checks into batches of a few hundred rows, each written in one transaction with the import's
//! job advanced past it; from the command line (`aftersales import customers FILE`, with a
//! progress bar, a summary and a report file) and for uploads (a leased job, see [`worker`]).
//! A run killed midway resumes after its last committed batch.

mod batches;
mod sheet;
pub mod worker;

use batches::Batches;

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use aftersales_domain::app::{ImportBatch, OnDuplicate, Services};
use aftersales_domain::auth::{Principal, Role, StoreAccess};
use aftersales_domain::model::import::{Column, Header, Problem, SeenInFile, check_customer_row, map_header};
use aftersales_domain::model::import_history::{
    Gathered, HistoryColumn, HistoryGatherer, HistoryOrder, check_history_row,
};
use aftersales_domain::model::import_job::{ImportCounts, ImportJob, ImportKind, ImportStatus, NewImport};
use aftersales_domain::value::StoreCode;
use sha2::{Digest, Sha256};

/// Data rows per batch: one transaction each.
const BATCH: usize = 500;

/// Why an import stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file or the report could not be read or written.
    #[error("{0}: {1}")]
    Io(PathBuf, std::io::Error),
    /// The sheet is not CSV.
    #[error("the file is not CSV: {0}")]
    Csv(#[from] csv::Error),
    /// The sheet is not XLSX.
    #[error("the file is not XLSX: {0}")]
    Xlsx(#[from] calamine::XlsxError),
    /// The store code is not one.
    #[error("--store: {0}")]
    Store(String),
    /// A write failed for a reason no row explains (the database is away, or another run of
    /// the same import wrote first); run again to resume.
    #[error("import stopped at row {0}: {1}")]
    Write(u64, aftersales_domain::DomainError),
}

impl ImportError {
    /// Whether the file itself is at fault, so running again cannot help.
    pub fn is_the_files(&self) -> bool {
        matches!(self, ImportError::Csv(_) | ImportError::Xlsx(_))
    }
}

/// What to import, and how.
#[derive(Debug, Clone)]
pub struct ImportPlan {
    /// The sheet.
    pub file: PathBuf,
    /// The store it moves into.
    pub store: String,
    /// What the sheet holds.
    pub kind: ImportKind,
    /// Check everything, write nothing.
    pub dry_run: bool,
    /// What to do with a car already on file.
    pub on_duplicate: OnDuplicate,
    /// Where the report goes (default: beside the file, `.report.csv`).
    pub report: Option<PathBuf>,
}

/// How a command-line import ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The counts, equal to what the file holds.
    pub counts: ImportCounts,
    /// The row an interrupted earlier run had committed, where this run resumed (0: from the
    /// start).
    pub resumed_after: u64,
    /// An earlier run had finished the same import: nothing was written.
    pub already_done: bool,
    /// Where the report is.
    pub report: PathBuf,
}

/// The import's identity: the file's SHA-256 with what it holds and the duplicate choice, so
/// the same file run again the same way is the same import.
fn identity(path: &Path, kind: ImportKind, on_duplicate: OnDuplicate) -> Result<uuid::Uuid, ImportError> {
    let io = |e| ImportError::Io(path.to_path_buf(), e);
    let mut file = BufReader::new(File::open(path).map_err(io)?);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    hasher.update(format!("{on_duplicate:?}").as_bytes());
    // Customer sheets hash as they did before history came, so their runs still resume.
    if kind != ImportKind::Customers {
        hasher.update(kind.as_str().as_bytes());
    }
    let mut id = [0u8; 16];
    id.copy_from_slice(&hasher.finalize()[..16]);
    Ok(uuid::Builder::from_random_bytes(id).into_uuid())
}

/// The principal an import writes as: a supervisor of its store.
pub fn importer(store: &StoreCode, sub: &str) -> Principal {
    Principal {
        sub: sub.into(),
        name: sub.into(),
        roles: [Role::Supervisor].into_iter().collect(),
        stores: StoreAccess::Only(BTreeSet::from([store.clone()])),
    }
}

/// Runs (or resumes) `job` over the sheet at `file`, batch by batch, then ends it; rows up to
/// the job's committed row are read again only for the in-file duplicate checks. When the job
/// is not `recorded` (a command-line dry run) the report stays in memory and is answered;
/// otherwise it is in the database. `progress` hears of each committed batch.
pub async fn run(
    services: &Services,
    who: &Principal,
    (job, file, recorded): (&mut ImportJob, &Path, bool),
    progress: impl FnMut(&ImportJob),
) -> Result<Vec<Problem>, ImportError> {
    let mut rows = sheet::spawn_reader(file.to_path_buf());
    let first = rows.recv().await.transpose()?.map(|(_, cells)| cells);
    let mut out = Batches::new(services, who, (job, recorded), progress);
    let Some(first) = first else {
        out.header_refused(Vec::new()).await?;
        out.drain().await?;
        finish(services, who, out.job, recorded).await?;
        return Ok(out.kept);
    };
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let read = match out.job.kind {
        ImportKind::Customers => match map_header::<Column>(&first) {
            Ok(header) => customers(&header, &mut rows, &mut out).await,
            Err(found) => out.header_refused(found).await,
        },
        ImportKind::ServiceHistory => match map_header::<HistoryColumn>(&first) {
            Ok(header) => history(&header, &mut rows, &mut out).await,
            Err(found) => out.header_refused(found).await,
        },
    };
    read?;
    out.drain().await?;
    finish(services, who, out.job, recorded).await?;
    Ok(out.kept)
}

/// Reads a customer sheet's rows into batches.
async fn customers<P: FnMut(&ImportJob)>(
    header: &Header,
    rows: &mut sheet::Rows,
    out: &mut Batches<'_, P>,
) -> Result<(), ImportError> {
    let mut seen = SeenInFile::default();
    let mut batch = ImportBatch::default();
    while let Some(next) = rows.recv().await {
        let (number, record) = next?;
        let cells: Vec<&str> = record.iter().map(String::as_str).collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let checked =
            check_customer_row(header, number, &cells).and_then(|mut row| match seen.duplicate(&mut row) {
                Some(duplicate) => Err(vec![duplicate]),
                None => Ok(row),
            });
        if number <= out.job.committed_row {
            continue;
        }
        match checked {
            Ok(row) => batch.rows.push(row),
            Err(found) => {
                batch.refused += 1;
                batch.problems.extend(found);
            }
        }
        batch.through_row = number;
        if batch.rows.len() + batch.refused as usize >= BATCH {
            out.customers(std::mem::take(&mut batch)).await?;
        }
    }
    if batch.through_row > 0 {
        out.customers(batch).await?;
    }
    Ok(())
}

/// Reads a service-history sheet's rows, gathered into whole orders, into batches: a batch ends
/// only where an order does, so the checkpoint never splits one.
async fn history<P: FnMut(&ImportJob)>(
    header: &Header<HistoryColumn>,
    rows: &mut sheet::Rows,
    out: &mut Batches<'_, P>,
) -> Result<(), ImportError> {
    let mut gatherer = HistoryGatherer::default();
    let mut batch = ImportBatch::<HistoryOrder>::default();
    let mut size = 0u64;
    let committed = out.job.committed_row;
    let add = |gathered: Gathered, batch: &mut ImportBatch<HistoryOrder>, size: &mut u64| {
        let last = gathered.last_row();
        if last <= committed {
            return;
        }
        match gathered {
            Gathered::Order(order) => {
                *size += order.row_numbers.len() as u64;
                batch.rows.push(*order);
            }
            Gathered::Refused { rows, problems, .. } => {
                *size += rows;
                batch.refused += rows;
                batch.problems.extend(problems);
            }
        }
        batch.through_row = last;
    };
    while let Some(next) = rows.recv().await {
        let (number, record) = next?;
        let cells: Vec<&str> = record.iter().map(String::as_str).collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let checked = check_history_row(header, number, &cells);
        let order_number = header.cell(&cells, HistoryColumn::OrderNumber);
        if let Some(gathered) = gatherer.push(order_number, number, checked) {
            add(gathered, &mut batch, &mut size);
            if size >= BATCH as u64 {
                size = 0;
                out.history(std::mem::take(&mut batch)).await?;
            }
        }
    }
    if let Some(gathered) = gatherer.finish() {
        add(gathered, &mut batch, &mut size);
    }
    if batch.through_row > 0 {
        out.history(batch).await?;
    }
    Ok(())
}

/// Ends the job: recorded, or only in memory.
async fn finish(
    services: &Services,
    who: &Principal,
    job: &mut ImportJob,
    recorded: bool,
) -> Result<(), ImportError> {
    let store = job.store.clone();
    let row = job.committed_row;
    if !recorded {
        job.status = ImportStatus::Done;
        return Ok(());
    }
    services.customers.finish_import(who, &store, job, None).await.map_err(|e| ImportError::Write(row, e))
}

/// Imports a sheet (customers, or service history) into a store as its supervisor would, with a
/// progress bar on stderr; a run of a file an interrupted run left resumes after its last
/// committed batch.
pub async fn import_sheet(services: &Services, plan: ImportPlan) -> Result<Summary, ImportError> {
    let store = StoreCode::parse(&plan.store).map_err(ImportError::Store)?;
    let who = importer(&store, "import");
    let report = plan.report.clone().unwrap_or_else(|| plan.file.with_extension("report.csv"));
    let new = NewImport {
        id: identity(&plan.file, plan.kind, plan.on_duplicate)?,
        kind: plan.kind,
        file_name: plan.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        dry_run: plan.dry_run,
        on_duplicate: plan.on_duplicate,
    };
    let recorded = !plan.dry_run;
    let mut job = if recorded {
        services.customers.start_import(&who, &store, new).await.map_err(|e| ImportError::Write(0, e))?
    } else {
        ImportJob::new(&store, new, &who.sub, chrono::Utc::now())
    };
    let (resumed_after, already_done) = (job.committed_row, job.status == ImportStatus::Done);
    let progress = indicatif::ProgressBar::new_spinner().with_style(
        indicatif::ProgressStyle::with_template("{spinner} row {pos}, {per_sec}, {elapsed} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let mut problems = Vec::new();
    if !already_done {
        let path = plan.file.as_path();
        problems =
            run(services, &who, (&mut job, path, recorded), |j| progress.set_position(j.committed_row))
                .await?;
    }
    progress.finish_and_clear();
    if recorded {
        let row = job.committed_row;
        problems = services
            .customers
            .import_report(&who, &store, job.id)
            .await
            .map_err(|e| ImportError::Write(row, e))?;
    }
    let io = |e| ImportError::Io(report.clone(), e);
    let out = std::io::BufWriter::new(File::create(&report).map_err(io)?);
    let out = aftersales_rest::routes::imports::write_report(out, &problems)?;
    out.into_inner().map_err(|e| io(e.into_error()))?.sync_all().map_err(io)?;
    Ok(Summary { counts: job.counts, resumed_after, already_done, report })
}

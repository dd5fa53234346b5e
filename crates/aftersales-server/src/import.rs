//! `aftersales import customers FILE` (issue 15): a customer sheet from an old DMS, as XLSX (its
//! first sheet) or CSV in UTF-8 (with or without a byte-order mark) or GB18030 (which Chinese
//! Excel still writes), streamed row by row (a reader thread feeds a bounded channel) through the
//! domain's checks and the same use cases as the API, with a progress bar, a summary and a
//! row-level report (CSV with a BOM, for Excel).

use std::collections::BTreeSet;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use aftersales_domain::app::{OnDuplicate, RowOutcome, Services};
use aftersales_domain::auth::{Principal, Role, StoreAccess};
use aftersales_domain::model::import::{Problem, SeenInFile, check_customer_row, map_header};
use aftersales_domain::value::StoreCode;
use sha2::{Digest, Sha256};

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
    /// A write failed for a reason no row explains (the database is away).
    #[error("import stopped at row {0}: {1}")]
    Write(u64, aftersales_domain::DomainError),
}

/// What to import, and how.
#[derive(Debug, Clone)]
pub struct ImportPlan {
    /// The sheet.
    pub file: PathBuf,
    /// The store it moves into.
    pub store: String,
    /// Check everything, write nothing.
    pub dry_run: bool,
    /// What to do with a car already on file.
    pub on_duplicate: OnDuplicate,
    /// Where the report goes (default: beside the file, `.report.csv`).
    pub report: Option<PathBuf>,
}

/// The counts of an import, equal to what the file holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Data rows read.
    pub rows: u64,
    /// Rows written (would be, in a dry run).
    pub created: u64,
    /// Rows an earlier run of the same file wrote.
    pub already_imported: u64,
    /// Rows whose car was on file and was filled in.
    pub merged: u64,
    /// Rows whose car was on file and was left.
    pub skipped: u64,
    /// Rows refused, each named in the report.
    pub refused: u64,
    /// Problems in the report.
    pub problems: u64,
    /// Where the report is.
    pub report: PathBuf,
}

/// The bytes looked at to tell UTF-8 from GB18030.
const SNIFF: usize = 64 * 1024;

/// UTF-8 when the first bytes are (a character cut at the end aside), GB18030 otherwise.
fn encoding_of(head: &[u8]) -> &'static encoding_rs::Encoding {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    match std::str::from_utf8(head) {
        Ok(_) => encoding_rs::UTF_8,
        Err(e) if e.error_len().is_none() => encoding_rs::UTF_8,
        Err(_) => encoding_rs::GB18030,
    }
}

/// The import's identity: the file's SHA-256, so the same file run again is the same import.
fn identity(path: &Path) -> Result<String, ImportError> {
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
    Ok(hasher.finalize().iter().take(12).map(|b| format!("{b:02x}")).collect())
}

/// Opens the sheet as decoded text, streamed.
fn open_text(path: &Path) -> Result<impl Read, ImportError> {
    let io = |e| ImportError::Io(path.to_path_buf(), e);
    let mut file = File::open(path).map_err(io)?;
    let mut head = vec![0u8; SNIFF];
    let mut filled = 0;
    while filled < SNIFF {
        let n = file.read(&mut head[filled..]).map_err(io)?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    head.truncate(filled);
    let encoding = encoding_of(&head);
    let bytes = std::io::Cursor::new(head).chain(BufReader::new(file));
    Ok(encoding_rs_io::DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .build(bytes))
}

/// A sheet's rows with their row numbers (the header is row 1), or why reading stopped.
type Rows = tokio::sync::mpsc::Receiver<Result<(u64, Vec<String>), ImportError>>;

/// Reads the sheet on a thread of its own, a bounded channel ahead of the writes: XLSX by its
/// extension, CSV otherwise.
fn spawn_reader(path: PathBuf) -> Rows {
    let (tx, rx) = tokio::sync::mpsc::channel(512);
    let xlsx = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    std::thread::spawn(move || {
        let send = |row| tx.blocking_send(Ok(row)).is_ok();
        let read = if xlsx { read_xlsx(&path, send) } else { read_csv(&path, send) };
        if let Err(e) = read {
            let _ = tx.blocking_send(Err(e));
        }
    });
    rx
}

/// Streams a CSV sheet's records; stops early when `send` says no one listens.
fn read_csv(path: &Path, mut send: impl FnMut((u64, Vec<String>)) -> bool) -> Result<(), ImportError> {
    let mut sheet = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(open_text(path)?);
    for (i, record) in sheet.records().enumerate() {
        if !send((i as u64 + 1, record?.iter().map(str::to_string).collect())) {
            break;
        }
    }
    Ok(())
}

/// A cell as the sheet shows it: whole numbers without a fraction (phones are often numbers),
/// dates as `YYYY-MM-DD`.
fn cell_text(value: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef as D;
    match value {
        D::Int(i) => i.to_string(),
        D::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        D::Float(f) => f.to_string(),
        D::String(s) | D::DateTimeIso(s) | D::DurationIso(s) => s.clone(),
        D::SharedString(s) => (*s).to_string(),
        D::Bool(b) => b.to_string(),
        D::DateTime(d) => d.as_datetime().map(|t| t.date().to_string()).unwrap_or_default(),
        D::Error(_) | D::Empty => String::new(),
    }
}

/// Streams the first worksheet of an XLSX workbook cell by cell, a row at a time.
fn read_xlsx(path: &Path, mut send: impl FnMut((u64, Vec<String>)) -> bool) -> Result<(), ImportError> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(path)?;
    let Some(first) = book.sheet_names().first().cloned() else { return Ok(()) };
    let mut cells = book.worksheet_cells_reader(&first)?;
    let mut row: Option<(u64, Vec<String>)> = None;
    while let Some(cell) = cells.next_cell()? {
        let (r, c) = cell.get_position();
        let number = u64::from(r) + 1;
        if row.as_ref().is_some_and(|(n, _)| *n != number)
            && let Some(done) = row.take()
            && !send(done)
        {
            return Ok(());
        }
        let (_, values) = row.get_or_insert_with(|| (number, Vec::new()));
        let c = c as usize;
        if values.len() <= c {
            values.resize(c + 1, String::new());
        }
        values[c] = cell_text(cell.get_value());
    }
    if let Some(last) = row {
        send(last);
    }
    Ok(())
}

/// Writes the report: a BOM, then row, column, value, rule and message per problem.
fn write_report(path: &Path, problems: &[Problem]) -> Result<(), ImportError> {
    let io = |e| ImportError::Io(path.to_path_buf(), e);
    let mut out = std::io::BufWriter::new(File::create(path).map_err(io)?);
    std::io::Write::write_all(&mut out, b"\xEF\xBB\xBF").map_err(io)?;
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(["行号 row", "列 column", "值 value", "规则 rule", "说明 message"])?;
    for p in problems {
        csv.write_record([p.row.to_string().as_str(), &p.column, &p.value, &p.rule, &p.message])?;
    }
    csv.flush().map_err(io)
}

/// Imports a customer sheet into a store as its supervisor would, with a progress bar on stderr.
pub async fn import_customers(services: &Services, plan: ImportPlan) -> Result<Summary, ImportError> {
    let store = StoreCode::parse(&plan.store).map_err(ImportError::Store)?;
    let who = Principal {
        sub: "import".into(),
        name: "import".into(),
        roles: [Role::Supervisor].into_iter().collect(),
        stores: StoreAccess::Only(BTreeSet::from([store.clone()])),
    };
    let import = identity(&plan.file)?;
    let report = plan.report.clone().unwrap_or_else(|| plan.file.with_extension("report.csv"));
    let mut rows = spawn_reader(plan.file.clone());
    let progress = indicatif::ProgressBar::new_spinner().with_style(
        indicatif::ProgressStyle::with_template("{spinner} {pos} rows, {per_sec}, {elapsed} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let mut summary = Summary { report: report.clone(), ..Summary::default() };
    let mut problems: Vec<Problem> = Vec::new();
    let header = match rows.recv().await.transpose()? {
        Some((_, first)) => map_header(&first.iter().map(String::as_str).collect::<Vec<_>>()),
        None => Err(vec![Problem {
            row: 1,
            column: String::new(),
            value: String::new(),
            rule: "header.missing".into(),
            message: "the file is empty".into(),
        }]),
    };
    let header = match header {
        Ok(h) => h,
        Err(found) => {
            summary.problems = found.len() as u64;
            write_report(&report, &found)?;
            return Ok(summary);
        }
    };
    let mut seen = SeenInFile::default();
    while let Some(next) = rows.recv().await {
        let (number, record) = next?;
        summary.rows += 1;
        progress.inc(1);
        let cells: Vec<&str> = record.iter().map(String::as_str).collect();
        if cells.iter().all(|c| c.trim().is_empty()) {
            summary.rows -= 1;
            continue;
        }
        let row = match check_customer_row(&header, number, &cells) {
            Ok(row) => row,
            Err(found) => {
                summary.refused += 1;
                problems.extend(found);
                continue;
            }
        };
        if let Some(duplicate) = seen.duplicate(&row) {
            summary.refused += 1;
            problems.push(duplicate);
            continue;
        }
        let outcome = services
            .customers
            .import_row(&who, &store, (&import, row, plan.on_duplicate, plan.dry_run))
            .await;
        match outcome {
            Ok(RowOutcome::Created) => summary.created += 1,
            Ok(RowOutcome::AlreadyImported) => summary.already_imported += 1,
            Ok(RowOutcome::Merged) => summary.merged += 1,
            Ok(RowOutcome::Skipped) => summary.skipped += 1,
            Ok(RowOutcome::Reported(p)) => {
                summary.refused += 1;
                problems.push(p);
            }
            // The database away or a fault stops the import, which resumes where it stopped when
            // run again; a row the rules refuse is the row's problem.
            Err(
                e @ (aftersales_domain::DomainError::Unavailable(_)
                | aftersales_domain::DomainError::Internal(_)),
            ) => {
                return Err(ImportError::Write(number, e));
            }
            Err(e) => {
                summary.refused += 1;
                let fields = e.field_errors();
                let column = fields.first().map(|f| f.field.clone()).unwrap_or_default();
                let message = fields.first().map_or_else(|| e.public_message(), |f| f.message.clone());
                problems.push(Problem { row: number, column, value: String::new(), rule: e.code(), message });
            }
        }
    }
    progress.finish_and_clear();
    summary.problems = problems.len() as u64;
    write_report(&report, &problems)?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Issue 15: UTF-8 with or without a BOM, a character cut at the sniff's end, or GB18030.
    #[test]
    fn the_encoding_is_told_from_the_first_bytes() {
        assert_eq!(encoding_of("客户姓名,手机".as_bytes()), encoding_rs::UTF_8);
        assert_eq!(encoding_of(b"\xEF\xBB\xBFname,phone"), encoding_rs::UTF_8);
        let cut = &"客户".as_bytes()[..4];
        assert_eq!(encoding_of(cut), encoding_rs::UTF_8);
        let (gb, _, _) = encoding_rs::GB18030.encode("客户姓名,手机");
        assert_eq!(encoding_of(&gb), encoding_rs::GB18030);
    }
}

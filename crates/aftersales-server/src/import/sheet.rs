//! Reading a sheet (issue 15): XLSX (its first worksheet, cell by cell) or CSV in UTF-8 (with or
//! without a byte-order mark) or GB18030 (which Chinese Excel still writes), streamed on a thread
//! of its own into a bounded channel, a row at a time.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use super::ImportError;

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
pub(crate) type Rows = tokio::sync::mpsc::Receiver<Result<(u64, Vec<String>), ImportError>>;

/// Whether the file starts as a ZIP archive does, as every XLSX workbook does.
fn is_zip(path: &Path) -> Result<bool, ImportError> {
    let mut head = [0u8; 4];
    let mut file = File::open(path).map_err(|e| ImportError::Io(path.to_path_buf(), e))?;
    let n = file.read(&mut head).map_err(|e| ImportError::Io(path.to_path_buf(), e))?;
    Ok(n == 4 && head == *b"PK\x03\x04")
}

/// Reads the sheet on a thread of its own, a bounded channel ahead of the writes: XLSX when its
/// bytes are a ZIP archive (whatever its name says), CSV otherwise.
pub(crate) fn spawn_reader(path: PathBuf) -> Rows {
    let (tx, rx) = tokio::sync::mpsc::channel(512);
    std::thread::spawn(move || {
        let send = |row| tx.blocking_send(Ok(row)).is_ok();
        let read = match is_zip(&path) {
            Ok(true) => read_xlsx(&path, send),
            Ok(false) => read_csv(&path, send),
            Err(e) => Err(e),
        };
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

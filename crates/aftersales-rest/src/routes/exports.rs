//! `/v1/stores/{store}/export` (issue 15): a store's whole data as a ZIP of CSV files (UTF-8 with
//! a BOM, for Excel) with a `manifest.json`, written as it streams, a page of records at a time;
//! and one resource as an XLSX workbook. Supervisor only; audited before any row leaves.

use std::io::{Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex, PoisonError};

use aftersales_domain::app::{ExportResource, Services};
use aftersales_domain::auth::Principal;
use aftersales_domain::value::StoreCode;
use axum::body::Body;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, Caller, store_code};
use crate::params::*;

/// Routes of exports.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_all)).routes(routes!(export_one))
}

/// The bytes the ZIP writer has written and the stream has not yet sent.
#[derive(Clone, Default)]
struct Pending(Arc<Mutex<Vec<u8>>>);

impl Pending {
    fn take(&self) -> Bytes {
        Bytes::from(std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner)))
    }
}

impl Write for Pending {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn io_error(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(e.to_string())
}

type Chunks = tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>;

/// Writes the ZIP into `out` as it goes; an error ends the stream with it (the client sees a
/// cut download, never a short file that looks whole).
async fn write_zip(services: Services, who: Principal, store: StoreCode, out: Chunks) {
    if let Err(e) = zip_into(&services, &who, &store, &out).await {
        tracing::warn!(store = %store, error = %e, "export stopped");
        let _ = out.send(Err(e)).await;
    }
}

async fn zip_into(
    services: &Services,
    who: &Principal,
    store: &StoreCode,
    out: &Chunks,
) -> std::io::Result<()> {
    let pending = Pending::default();
    let mut zip = zip::ZipWriter::new_stream(pending.clone());
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut files = Vec::new();
    for resource in ExportResource::ALL {
        let name = format!("{}.csv", resource.as_str());
        zip.start_file(name.as_str(), options).map_err(io_error)?;
        zip.write_all(b"\xEF\xBB\xBF")?;
        let mut csv = csv::Writer::from_writer(&mut zip);
        csv.write_record(resource.header())?;
        let (mut rows, mut after) = (0u64, None);
        loop {
            let (records, next) =
                services.exports.page(who, store, resource, after.as_deref()).await.map_err(io_error)?;
            rows += records.len() as u64;
            for record in records {
                csv.write_record(record)?;
            }
            csv.flush()?;
            send(out, pending.take()).await?;
            match next {
                Some(token) => after = Some(token),
                None => break,
            }
        }
        drop(csv);
        files.push(serde_json::json!({ "name": name, "resource": resource.as_str(), "rows": rows, "columns": resource.header() }));
    }
    let manifest = serde_json::json!({
        "format": "aftersales-export/1",
        "store": store.as_str(),
        "exported_at": chrono::Utc::now().to_rfc3339(),
        "exported_by": who.sub,
        "encoding": "UTF-8 with BOM",
        "files": files,
    });
    zip.start_file("manifest.json", options).map_err(io_error)?;
    zip.write_all(serde_json::to_string_pretty(&manifest).map_err(io_error)?.as_bytes())?;
    zip.finish().map_err(io_error)?;
    send(out, pending.take()).await
}

async fn send(out: &Chunks, bytes: Bytes) -> std::io::Result<()> {
    if bytes.is_empty() {
        return Ok(());
    }
    out.send(Ok(bytes)).await.map_err(|_| io_error("the client went away"))
}

/// A store's whole data (supervisor): customer files with their cars (in the import's layout),
/// work orders, follow-up tasks and complaints, each a CSV file, and `manifest.json` naming
/// them with their row counts. Streamed; audited. Phones are unmasked only for roles that may
/// see them.
#[utoipa::path(get, path = "/v1/stores/{store}/export", tag = "imports",
    params(StoreParam),
    responses((status = 200, description = "The ZIP", content_type = "application/zip", body = Vec<u8>)))]
async fn export_all(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
) -> ApiResult<Response> {
    let store = store_code(&store)?;
    s.services.exports.start(&who, &store, &ExportResource::ALL).await?;
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let disposition = format!("attachment; filename=\"{store}-export.zip\"");
    tokio::spawn(write_zip(s.services.clone(), who, store, tx));
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    Ok((
        [(header::CONTENT_TYPE, "application/zip".to_string()), (header::CONTENT_DISPOSITION, disposition)],
        body,
    )
        .into_response())
}

/// One resource of a store as an XLSX workbook (supervisor): `customers`, `work_orders`,
/// `service_history`, `follow_ups` or `complaints`. Audited.
#[utoipa::path(get, path = "/v1/stores/{store}/export/{resource}", tag = "imports",
    params(StoreParam, ExportResourceParam),
    responses((status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
async fn export_one(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, resource)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let store = store_code(&store)?;
    let resource = ExportResource::parse(&resource)?;
    s.services.exports.start(&who, &store, &[resource]).await?;
    let internal = |e: rust_xlsxwriter::XlsxError| {
        ApiError::from(aftersales_domain::DomainError::Internal(e.to_string()))
    };
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet_with_constant_memory();
    sheet.set_name(resource.as_str()).map_err(internal)?;
    for (c, name) in resource.header().into_iter().enumerate() {
        sheet.write_string(0, c as u16, name).map_err(internal)?;
    }
    let (mut row, mut after) = (1u32, None);
    loop {
        let (records, next) = s.services.exports.page(&who, &store, resource, after.as_deref()).await?;
        for record in records {
            for (c, value) in record.iter().enumerate() {
                sheet.write_string(row, c as u16, value).map_err(internal)?;
            }
            row += 1;
        }
        match next {
            Some(token) => after = Some(token),
            None => break,
        }
    }
    // The workbook is put together in a file removed as it is made (the worksheet's rows are in
    // one already), off the request threads, then sent from it: never held whole in memory.
    let failed = |e: std::io::Error| ApiError::from(aftersales_domain::DomainError::Internal(e.to_string()));
    let saved = tokio::task::spawn_blocking(move || -> ApiResult<std::fs::File> {
        let mut file = tempfile::tempfile().map_err(failed)?;
        book.save_to_writer(&mut file).map_err(internal)?;
        file.seek(SeekFrom::Start(0)).map_err(failed)?;
        Ok(file)
    });
    let file = saved.await.map_err(|e| failed(io_error(e)))??;
    let length = file.metadata().map_err(failed)?.len().to_string();
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file)));
    let disposition = format!("attachment; filename=\"{store}-{}.xlsx\"", resource.as_str());
    let kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string();
    let headers = [
        (header::CONTENT_TYPE, kind),
        (header::CONTENT_DISPOSITION, disposition),
        (header::CONTENT_LENGTH, length),
    ];
    Ok((headers, body).into_response())
}

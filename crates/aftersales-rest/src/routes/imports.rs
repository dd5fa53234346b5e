//! `/v1/stores/{store}/imports` (issue 15): a sheet uploaded as `multipart/form-data` becomes an
//! import job (202) a worker runs; its progress and counts, and its row-level report as CSV with
//! a byte-order mark, for Excel.

use aftersales_domain::DomainError;
use aftersales_domain::app::{ImportUpload, OnDuplicate, ReceivedSheet};
use aftersales_domain::auth::{Action, Principal};
use aftersales_domain::model::import::Problem;
use aftersales_domain::model::import_job::{ImportKind, parse_id};
use aftersales_domain::value::StoreCode;
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use utoipa::ToSchema;
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::dto::{ImportJobDto, ImportList};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, Caller, PageParams, store_code};
use crate::params::*;
use crate::{AppState, multipart};

/// Routes of imports.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        // The upload checks its own limit as it reads, so the JSON limit is lifted.
        .routes(routes!(upload, list).layer(DefaultBodyLimit::disable()))
        .routes(routes!(get_import))
        .routes(routes!(report))
}

/// The upload form.
#[derive(ToSchema)]
#[allow(dead_code)] // Describes the form for the document; the handler reads the parts.
struct ImportForm {
    /// The sheet: `.xlsx` (its first worksheet) or `.csv` (UTF-8, with or without a BOM, or
    /// GB18030), with a header row naming the columns in Chinese or English.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// `true`: check every row and write no record; the report is the answer.
    #[schema(pattern = "^(true|false)$")]
    dry_run: Option<String>,
    /// A car (by VIN) or customer (by phone) already on file: `merge`, `skip` or `report`
    /// (default). For service history, an order already on file (by number) is skipped by
    /// `merge` and `skip`.
    #[schema(pattern = "^(merge|skip|report)$")]
    on_duplicate: Option<String>,
    /// What the sheet holds: `customers` (default), or `service_history`: past delivered
    /// orders, a row per line (工单号/order_number, 车架号/vin, 交车日期/delivered_date,
    /// 进厂里程/mileage_km, 维修类别/repair_category, 项目名称/description, 数量/quantity,
    /// 单价/unit_price in yuan...), of cars already on file; no follow-up is born for them.
    #[schema(pattern = "^(customers|service_history)$")]
    kind: Option<String>,
}

/// Uploads a customer or service-history sheet to import (supervisor). Answers 202 with the job, which a worker
/// runs in batches; `GET` it for progress and counts, and its `report` for the rows refused.
#[utoipa::path(post, path = "/v1/stores/{store}/imports", tag = "imports",
    params(StoreParam),
    request_body(content = inline(ImportForm), content_type = "multipart/form-data"),
    responses((status = 202, description = "Queued", body = ImportJobDto)))]
async fn upload(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let store = store_code(&store)?;
    // The role first: a caller that may not import learns nothing of the form.
    who.authorize(Action::ImportData, &store, "store")?;
    let mut form = multipart::form(form)?;
    let mut sheet = None;
    let options = match read_form(&s, &who, &store, &mut form, &mut sheet).await {
        Ok(options) => options,
        Err(e) => {
            if let Some((_, sheet)) = sheet {
                s.services.customers.discard_sheet(sheet).await;
            }
            return Err(e);
        }
    };
    let (kind, dry_run, on_duplicate) = options;
    let (file_name, sheet) = sheet.ok_or_else(|| ApiError::invalid("file", "is required"))?;
    let upload = ImportUpload { file_name, sheet, kind, dry_run, on_duplicate };
    let job = s.services.customers.upload_import(&who, &store, upload).await?;
    Ok((StatusCode::ACCEPTED, Json(ImportJobDto::from(job))).into_response())
}

/// Reads the upload's parts in the order sent: the sheet goes to the object store as it arrives
/// (into `sheet`, for the caller to drop if a later part is refused); answers the options.
async fn read_form(
    s: &AppState,
    who: &Principal,
    store: &StoreCode,
    form: &mut Multipart,
    sheet: &mut Option<(String, ReceivedSheet)>,
) -> ApiResult<(ImportKind, bool, OnDuplicate)> {
    let (mut kind, mut dry_run, mut on_duplicate) = (ImportKind::Customers, false, OnDuplicate::Report);
    while let Some(mut field) = form.next_field().await.map_err(multipart::malformed)? {
        match field.name() {
            Some("file") => {
                if sheet.is_some() {
                    return Err(ApiError::invalid("file", "is sent more than once"));
                }
                let name = field.file_name().unwrap_or_default().to_string();
                match s.services.customers.receive_sheet(who, store, multipart::chunks(&mut field)).await {
                    Ok(received) => *sheet = Some((name, received)),
                    Err(e @ DomainError::TooLarge { limit }) => {
                        multipart::drain(field, limit).await;
                        return Err(e.into());
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Some("dry_run") => {
                dry_run = match field.text().await.map_err(multipart::malformed)?.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(ApiError::invalid("dry_run", "must be true or false")),
                };
            }
            Some("on_duplicate") => {
                on_duplicate = OnDuplicate::parse(&field.text().await.map_err(multipart::malformed)?)?;
            }
            Some("kind") => kind = ImportKind::parse(&field.text().await.map_err(multipart::malformed)?)?,
            Some(other) => return Err(ApiError::invalid(other, "is not a field of the upload")),
            None => return Err(ApiError::invalid("body", "a part has no name")),
        }
    }
    Ok((kind, dry_run, on_duplicate))
}

/// A store's imports, by id (supervisor).
#[utoipa::path(get, path = "/v1/stores/{store}/imports", tag = "imports",
    params(StoreParam, PageParams),
    responses((status = 200, description = "A page of imports", body = ImportList)))]
async fn list(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<ImportList>> {
    let store = store_code(&store)?;
    Ok(Json(s.services.customers.list_imports(&who, &store, &page.request()?).await?.into()))
}

/// An import's progress and counts (supervisor).
#[utoipa::path(get, path = "/v1/stores/{store}/imports/{import_id}", tag = "imports",
    params(StoreParam, ImportParam),
    responses((status = 200, description = "The import", body = ImportJobDto)))]
async fn get_import(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<ImportJobDto>> {
    let (store, id) = (store_code(&store)?, parse_id(&id)?);
    Ok(Json(s.services.customers.get_import(&who, &store, id).await?.into()))
}

/// Writes a report: a BOM (Excel reads UTF-8 by it), then row, column, value, rule and message
/// per problem; the command line writes the same file.
pub fn write_report<W: std::io::Write>(mut out: W, problems: &[Problem]) -> Result<W, csv::Error> {
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut csv = csv::Writer::from_writer(out);
    csv.write_record(["行号 row", "列 column", "值 value", "规则 rule", "说明 message"])?;
    for p in problems {
        csv.write_record([p.row.to_string().as_str(), &p.column, &p.value, &p.rule, &p.message])?;
    }
    csv.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// An import's row-level report so far (supervisor): CSV with a BOM, one line per problem
/// (row, column, value, rule, message), for an office worker to fix the sheet in Excel.
#[utoipa::path(get, path = "/v1/stores/{store}/imports/{import_id}/report", tag = "imports",
    params(StoreParam, ImportParam),
    responses((status = 200, description = "The report", content_type = "text/csv", body = String)))]
async fn report(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let (store, id) = (store_code(&store)?, parse_id(&id)?);
    let job = s.services.customers.get_import(&who, &store, id).await?;
    let problems = s.services.customers.import_report(&who, &store, job.id).await?;
    let body = write_report(Vec::new(), &problems)
        .map_err(|e| ApiError::from(aftersales_domain::DomainError::Internal(e.to_string())))?;
    let disposition = format!("attachment; filename=\"import-{}-report.csv\"", job.id);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

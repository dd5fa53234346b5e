//! `/v1/stores/{store}/work-orders/{id}/attachments` (WO-14): upload as `multipart/form-data`,
//! list, and read back the bytes; and the photos an approval link shows (WO-13).

use aftersales_domain::app::Upload;
use aftersales_domain::auth::Action;
use aftersales_domain::model::attachment::{AttachedTo, Attachment, AttachmentId};
use aftersales_domain::model::work_order::WorkOrderId;
use aftersales_domain::value::StoreCode;
use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::{OpenApiRouter, UtoipaMethodRouterExt};
use utoipa_axum::routes;

use crate::dto::{AttachmentDto, AttachmentList};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiPath, ApiQuery, Caller, PageParams, store_code};
use crate::params::*;
use crate::{AppState, multipart};

/// Routes of attachments.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        // The upload enforces the attachment limit itself as it reads, so the JSON limit is lifted.
        .routes(routes!(upload, list).layer(DefaultBodyLimit::disable()))
        .routes(routes!(content))
        .routes(routes!(link_photo))
}

fn ids(store: &str, id: &str) -> Result<(StoreCode, WorkOrderId), ApiError> {
    Ok((store_code(store)?, WorkOrderId::parse("work_order_id", id)?))
}

/// The upload form.
#[derive(ToSchema)]
#[allow(dead_code)] // Describes the form for the document; the handler reads the parts.
struct UploadForm {
    /// `entry_inspection`, `line:<line id>`, `part:<line id>` or `signature:<document>`.
    #[schema(
        pattern = r"^(entry_inspection|(line|part):[0-9a-fA-F-]{36}|signature:(work_order|accessory_list|settlement))$"
    )]
    attached_to: String,
    /// The file: JPEG, PNG, HEIC or PDF, sniffed from its bytes; at most the store's limit
    /// (default 10 MiB).
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// Attaches a photo or PDF to the entry inspection, a finding's line, a part or a signed
/// document. The type is sniffed from the bytes (415 otherwise); over the limit answers 413. The
/// same bytes on the same record answer the attachment already there (200); the same bytes
/// anywhere are stored once.
#[utoipa::path(post, path = "/v1/stores/{store}/work-orders/{work_order_id}/attachments", tag = "work orders",
    params(StoreParam, WorkOrderParam),
    request_body(content = inline(UploadForm), content_type = "multipart/form-data"),
    responses((status = 201, description = "Attached", body = AttachmentDto),
              (status = 200, description = "These bytes were already attached to this record", body = AttachmentDto)))]
async fn upload(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    form: Result<Multipart, MultipartRejection>,
) -> ApiResult<Response> {
    let (store, id) = ids(&store, &id)?;
    // The role first: a caller that may not upload learns nothing of the form.
    who.authorize(Action::AttachFiles, &store, "work_order")?;
    let mut form = multipart::form(form)?;
    let limit = s.services.attachments.max_bytes();
    let (mut attached_to, mut file, mut file_name) = (None, None, None);
    while let Some(field) = form.next_field().await.map_err(multipart::malformed)? {
        match field.name() {
            Some("attached_to") => {
                let text = field.text().await.map_err(multipart::malformed)?;
                attached_to = Some(AttachedTo::parse(&text)?);
            }
            Some("file") => {
                file_name = field.file_name().map(str::to_string);
                file = Some(multipart::read_file(field, limit).await?);
            }
            Some(other) => return Err(ApiError::invalid(other, "is not a field of the upload")),
            None => return Err(ApiError::invalid("body", "a part has no name")),
        }
    }
    let attached_to = attached_to.ok_or_else(|| ApiError::invalid("attached_to", "is required"))?;
    let bytes = file.ok_or_else(|| ApiError::invalid("file", "is required"))?;
    let upload = Upload { attached_to, file_name, bytes };
    let (attachment, created) = s.services.attachments.upload(&who, &store, id, upload).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(AttachmentDto::from(attachment))).into_response())
}

/// Attachment filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AttachmentQuery {
    /// Only those of one record: `entry_inspection`, `line:<id>`, `part:<id>`, `signature:<document>`.
    #[param(
        pattern = r"^(entry_inspection|(line|part):[0-9a-fA-F-]{36}|signature:(work_order|accessory_list|settlement))$"
    )]
    attached_to: Option<String>,
}

/// The order's attachments, oldest first.
#[utoipa::path(get, path = "/v1/stores/{store}/work-orders/{work_order_id}/attachments", tag = "work orders",
    params(StoreParam, WorkOrderParam, AttachmentQuery, PageParams),
    responses((status = 200, description = "A page of attachments", body = AttachmentList)))]
async fn list(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<AttachmentQuery>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<AttachmentList>> {
    let (store, id) = ids(&store, &id)?;
    let to = q.attached_to.as_deref().map(AttachedTo::parse).transpose()?;
    Ok(Json(s.services.attachments.list(&who, &store, id, to, &page.request()?).await?.into()))
}

/// The bytes, as stored, with their sniffed type; never another store's.
fn serve(attachment: &Attachment, bytes: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, attachment.content_type.mime().to_string()),
            (header::ETAG, format!("\"{}\"", attachment.sha256)),
            (header::CACHE_CONTROL, "private, max-age=86400, immutable".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CONTENT_DISPOSITION, "inline".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// Reads an attachment's bytes back, byte for byte.
#[utoipa::path(get, path = "/v1/stores/{store}/work-orders/{work_order_id}/attachments/{attachment_id}/content", tag = "work orders",
    params(StoreParam, WorkOrderParam, AttachmentParam),
    responses((status = 200, description = "The file", content_type = "application/octet-stream", body = Vec<u8>)))]
async fn content(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id, attachment)): ApiPath<(String, String, String)>,
) -> ApiResult<Response> {
    let (store, id) = ids(&store, &id)?;
    let attachment = AttachmentId::parse("attachment_id", &attachment)?;
    let (found, bytes) = s.services.attachments.content(&who, &store, id, attachment).await?;
    Ok(serve(&found, bytes))
}

/// A photo of a line the approval link shows (no JWT: the token alone) (WO-13).
#[utoipa::path(get, path = "/v1/approval/{token}/photos/{attachment_id}", tag = "approval", security(()),
    params(ApprovalTokenParam, AttachmentParam),
    responses((status = 200, description = "The photo", content_type = "application/octet-stream", body = Vec<u8>),
              (status = 410, description = "The link no longer works; the code says why", body = crate::error::Problem)))]
async fn link_photo(
    State(s): State<AppState>,
    ApiPath((token, attachment)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let attachment = AttachmentId::parse("attachment_id", &attachment)?;
    let (found, bytes) = s.services.approval_links.photo(&token, attachment).await?;
    Ok(serve(&found, bytes))
}

//! `/v1/stores/{store}/work-orders` and their inspections (WO-1..WO-11, IN-1..IN-3).

use aftersales_domain::app::{
    CancelWorkOrder, CompleteLine, CompleteWork, CreateWorkOrder, DeliverWorkOrder, ProposeLines,
    RecordDecisions, ReviseEstimate, StartWork, WorkOrderQuery,
};
use aftersales_domain::app::{DocumentKind, RecordAccessories, RecordSignature, Step};
use aftersales_domain::model::inspection::{InspectionId, SubmitEntryInspection, SubmitExitInspection};
use aftersales_domain::model::work_order::{
    ClockLine, DecideComeback, DispatchLine, InsuranceClaimStep, TakePayment, VoidSettlement,
    WarrantyClaimStep, WorkOrderId, WorkOrderStatus,
};
use aftersales_domain::value::StoreCode;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::with_etag;
use crate::AppState;
use crate::dto::{
    EhealthUploadDto, IncompleteFileList, InspectionDto, InspectionList, OpenClaimList, TechnicianQueue,
    WorkOrderDto, WorkOrderList,
};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, IdemKey, IfMatch, PageParams, store_code};
use crate::params::*;

/// Routes for work orders and inspections.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_work_order, list_work_orders))
        .routes(routes!(get_work_order))
        .routes(routes!(submit_quote))
        .routes(routes!(approve))
        .routes(routes!(revise_estimate))
        .routes(routes!(cancel))
        .routes(routes!(take_payment))
        .routes(routes!(start))
        .routes(routes!(propose_lines))
        .routes(routes!(record_approval))
        .routes(routes!(complete_line))
        .routes(routes!(complete_work))
        .routes(routes!(notify_customer))
        .routes(routes!(deliver))
        .routes(routes!(record_accessories))
        .routes(routes!(record_signature))
        .routes(routes!(list_inspections))
        .routes(routes!(submit_entry_inspection))
        .routes(routes!(submit_exit_inspection))
        .routes(routes!(delete_inspection))
        .routes(routes!(get_ehealth_record))
        .routes(routes!(get_document))
        .routes(routes!(list_incomplete_files))
        .routes(routes!(insurance_claim))
        .routes(routes!(warranty_claim))
        .routes(routes!(void_settlement))
        .routes(routes!(decide_comeback))
        .routes(routes!(dispatch))
        .routes(routes!(clock_on))
        .routes(routes!(clock_off))
        .routes(routes!(list_open_claims))
        .routes(routes!(technician_queue))
}

fn ids(store: &str, id: &str) -> Result<(StoreCode, WorkOrderId), ApiError> {
    Ok((store_code(store)?, WorkOrderId::parse("work_order_id", id)?))
}

fn order(status: StatusCode, order: aftersales_domain::model::work_order::WorkOrder) -> Response {
    let dto = WorkOrderDto::from(order);
    with_etag(status, &dto.etag.clone(), dto)
}

/// Work order list filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct WorkOrderListQuery {
    /// Only in this state.
    status: Option<WorkOrderStatus>,
    /// Only this advisor's (staff id).
    #[param(max_length = 64, pattern = r"^[^\s/]*$")]
    advisor: Option<String>,
    /// Only this plate.
    #[param(max_length = 16, pattern = r"^[^\u0000-\u001F\u007F]*$")]
    plate: Option<String>,
    /// Only this VIN.
    #[param(pattern = r"^([A-HJ-NPR-Za-hj-npr-z0-9]{17})?$")]
    vin: Option<String>,
    /// Received on or after this store-local day.
    created_from: Option<NaiveDate>,
    /// Received on or before this store-local day.
    created_to: Option<NaiveDate>,
    /// Only orders past their promised time and not handed back.
    overdue: Option<bool>,
    /// Only orders with lines waiting for the customer's decision.
    awaiting_decision: Option<bool>,
    /// Only orders whose car's 三包 counts give the owner a right: the advisor's list (issue 14).
    sanbao_rights: Option<bool>,
    /// Page size (1–500, default 50).
    #[param(minimum = 0, maximum = 500)]
    page_size: Option<i64>,
    /// Token of the next page.
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    page_token: Option<String>,
    /// Only records changed after this instant (RFC 3339), for incremental sync.
    #[param(value_type = Option<String>, format = DateTime)]
    updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// Opens a work order with a per-store number; the intake mileage is recorded (WO-1, CF-6).
#[utoipa::path(post, path = "/v1/stores/{store}/work-orders", tag = "work orders",
    params(StoreParam,
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe", pattern = r"^[!-~]{1,255}$")),
    request_body = CreateWorkOrder,
    responses((status = 201, description = "Created", body = WorkOrderDto)))]
async fn create_work_order(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    IdemKey(key): IdemKey,
    ApiJson(cmd): ApiJson<CreateWorkOrder>,
) -> ApiResult<Response> {
    Ok(order(StatusCode::CREATED, s.services.work_orders.create(&who, &store_code(&store)?, cmd, key).await?))
}

/// Lists work orders, oldest first; supervisors find overdue orders and lines waiting for approval here.
#[utoipa::path(get, path = "/v1/stores/{store}/work-orders", tag = "work orders",
    params(StoreParam, WorkOrderListQuery),
    responses((status = 200, description = "A page of work orders", body = WorkOrderList)))]
async fn list_work_orders(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(q): ApiQuery<WorkOrderListQuery>,
) -> ApiResult<axum::Json<WorkOrderList>> {
    let page =
        PageParams { page_size: q.page_size, page_token: q.page_token, updated_since: q.updated_since }
            .request()?;
    let query = WorkOrderQuery {
        status: q.status,
        advisor: q.advisor,
        plate: q.plate,
        vin: q.vin,
        created_from: q.created_from,
        created_to: q.created_to,
        overdue: q.overdue.unwrap_or(false),
        awaiting_decision: q.awaiting_decision.unwrap_or(false),
        sanbao_rights: q.sanbao_rights.unwrap_or(false),
    };
    Ok(axum::Json(s.services.work_orders.list(&who, &store_code(&store)?, &query, &page).await?.into()))
}

/// Reads a work order with its lines, totals, approvals and status events.
#[utoipa::path(get, path = "/v1/stores/{store}/work-orders/{work_order_id}", tag = "work orders",
    params(StoreParam,
           WorkOrderParam),
    responses((status = 200, description = "The work order", body = WorkOrderDto)))]
async fn get_work_order(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let (store, id) = ids(&store, &id)?;
    Ok(order(StatusCode::OK, s.services.work_orders.get(&who, &store, id).await?))
}

/// Declares a state-machine step: `POST .../work-orders/{id}/<path>`; a refused move answers 409.
macro_rules! step {
    ($fn:ident, $path:literal, $doc:literal, $method:ident) => {
        #[doc = $doc]
        #[utoipa::path(post, path = concat!("/v1/stores/{store}/work-orders/{work_order_id}/", $path), tag = "work orders",
            params(StoreParam,
                   WorkOrderParam,
                   ("If-Match" = Option<String>, Header, description = "Refuse the step if the order changed since this etag", pattern = r#"^(\*|(W/)?"?v[0-9]{1,18}"?)$"#),
                   ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried step safe", pattern = r"^[!-~]{1,255}$")),
            responses((status = 200, description = "The work order after the step", body = WorkOrderDto)))]
        async fn $fn(
            State(s): State<AppState>,
            Caller(who): Caller,
            ApiPath((store, id)): ApiPath<(String, String)>,
            IfMatch(etag): IfMatch,
            IdemKey(key): IdemKey,
        ) -> ApiResult<Response> {
            let (store, id) = ids(&store, &id)?;
            Ok(order(StatusCode::OK, s.services.work_orders.$method(&who, &store, Step { id, if_match: etag, key }).await?))
        }
    };
    ($fn:ident, $path:literal, $doc:literal, $method:ident, $body:ty) => {
        #[doc = $doc]
        #[utoipa::path(post, path = concat!("/v1/stores/{store}/work-orders/{work_order_id}/", $path), tag = "work orders",
            params(StoreParam,
                   WorkOrderParam,
                   ("If-Match" = Option<String>, Header, description = "Refuse the step if the order changed since this etag", pattern = r#"^(\*|(W/)?"?v[0-9]{1,18}"?)$"#),
                   ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried step safe", pattern = r"^[!-~]{1,255}$")),
            request_body = $body,
            responses((status = 200, description = "The work order after the step", body = WorkOrderDto)))]
        async fn $fn(
            State(s): State<AppState>,
            Caller(who): Caller,
            ApiPath((store, id)): ApiPath<(String, String)>,
            IfMatch(etag): IfMatch,
            IdemKey(key): IdemKey,
            ApiJson(cmd): ApiJson<$body>,
        ) -> ApiResult<Response> {
            let (store, id) = ids(&store, &id)?;
            Ok(order(StatusCode::OK, s.services.work_orders.$method(&who, &store, Step { id, if_match: etag, key }, cmd).await?))
        }
    };
}

step!(
    submit_quote,
    "submit-quote",
    "Gives the customer the quote: open -> awaiting_approval (WO-3).",
    submit_quote
);
step!(
    approve,
    "approve",
    "Records the customer's per-line approval of the estimate version they saw; needs the entry inspection (WO-11, IN-1).",
    approve,
    RecordDecisions
);
step!(
    revise_estimate,
    "revise-estimate",
    "Adds, changes or removes lines of the estimate before the customer signs, a new estimate version each time; a quote already given goes back to open to be quoted again (WO-1, WO-11).",
    revise_estimate,
    ReviseEstimate
);
step!(
    cancel,
    "cancel",
    "Cancels the order before work starts, with a reason (WO-3).",
    cancel,
    CancelWorkOrder
);
step!(start, "start", "Starts work once the technician confirmed the plate (WO-4).", start, StartWork);
step!(
    take_payment,
    "take-payment",
    "Takes a deposit at reception or a part payment before handover; delivery then asks only what is still due (issue 14).",
    take_payment,
    TakePayment
);
step!(
    propose_lines,
    "propose-lines",
    "Adds lines from a finding during work; they stay proposed until the customer decides (WO-5).",
    propose_lines,
    ProposeLines
);
step!(
    record_approval,
    "record-approval",
    "Records the customer's decision on proposed lines (WO-5, WO-11).",
    record_approval,
    RecordDecisions
);
step!(
    complete_line,
    "complete-line",
    "Marks an approved line as worked (WO-5).",
    complete_line,
    CompleteLine
);
step!(
    complete_work,
    "complete-work",
    "Closes the work with the technician's self-check (WO-3).",
    complete_work,
    CompleteWork
);
step!(
    notify_customer,
    "notify-customer",
    "Tells the customer the car is ready; needs the passed exit inspection (WO-3).",
    notify_customer
);
step!(
    record_accessories,
    "record-accessories",
    "Lists items the customer leaves with the store and where they are kept (WO-7).",
    record_accessories,
    RecordAccessories
);
step!(
    record_signature,
    "record-signature",
    "Records the customer's signature on the work order, the accessory list or the settlement (WO-7).",
    record_signature,
    RecordSignature
);
step!(
    deliver,
    "deliver",
    "Hands the car back after the walk-around; refused without a passed exit inspection and certificate (WO-10, IN-4).",
    deliver,
    DeliverWorkOrder
);

step!(
    insurance_claim,
    "insurance-claim",
    "Moves the insurer's claim: `report` opens it (insurer from the store's list), `assess` records the loss assessment (定损), `supplement` a supplementary one (增项定损), then `approve`, `pay` or `reject`; insurance lines never exceed the assessment (issue 14).",
    insurance_claim,
    InsuranceClaimStep
);
step!(
    warranty_claim,
    "warranty-claim",
    "Moves the manufacturer's warranty claim built at delivery: `submit`, `approve`, `pay` or `reject` (issue 14).",
    warranty_claim,
    WarrantyClaimStep
);
step!(
    void_settlement,
    "void-settlement",
    "Voids the settlement of a delivered order (红冲, supervisor) and issues a new one with a new number, with corrected payers or discount; both stay on record and the e-health record is sent again as a correction (issue 14).",
    void_settlement,
    VoidSettlement
);
step!(
    decide_comeback,
    "decide-comeback",
    "Confirms the comeback link suggested at the opening, for a car back while an earlier order's warranty covers it (WO-9), or dismisses it with a reason, which is kept (issue 14).",
    decide_comeback,
    DecideComeback
);
step!(
    dispatch,
    "dispatch",
    "Gives a line to a technician and a bay (派工, issue 14).",
    dispatch,
    DispatchLine
);
step!(
    clock_on,
    "clock-on",
    "Clocks the calling technician on an approved line of an order in the workshop (issue 14).",
    clock_on,
    ClockLine
);
step!(
    clock_off,
    "clock-off",
    "Clocks the calling technician off a line: a pause, or the end of their part (issue 14).",
    clock_off,
    ClockLine
);

/// Lists the insurance and warranty claims still waiting for the insurer or the manufacturer,
/// with their age (supervisor, issue 14).
#[utoipa::path(get, path = "/v1/stores/{store}/claims", tag = "work orders",
    params(StoreParam, PageParams),
    responses((status = 200, description = "A page of open claims", body = OpenClaimList)))]
async fn list_open_claims(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(q): ApiQuery<PageParams>,
) -> ApiResult<axum::Json<OpenClaimList>> {
    let page = q.request()?;
    Ok(axum::Json(s.services.work_orders.open_claims(&who, &store_code(&store)?, &page).await?.into()))
}

/// A technician's queue: the lines dispatched to them on orders not yet handed back (issue 14).
#[utoipa::path(get, path = "/v1/stores/{store}/technicians/{technician}/queue", tag = "work orders",
    params(StoreParam,
           ("technician" = String, Path, description = "Staff id"),
           PageParams),
    responses((status = 200, description = "A page of the queue", body = TechnicianQueue)))]
async fn technician_queue(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, technician)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<PageParams>,
) -> ApiResult<axum::Json<TechnicianQueue>> {
    let page = q.request()?;
    let queue =
        s.services.work_orders.technician_queue(&who, &store_code(&store)?, &technician, &page).await?;
    Ok(axum::Json(queue.into()))
}

/// The incremental-sync filter of a list that is not paged.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct SinceQuery {
    /// Only records changed after this instant (RFC 3339), for incremental sync.
    #[param(value_type = Option<String>, format = DateTime)]
    updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// Lists a work order's inspections, oldest first.
#[utoipa::path(get, path = "/v1/stores/{store}/work-orders/{work_order_id}/inspections", tag = "inspections",
    params(StoreParam,
           WorkOrderParam,
           SinceQuery),
    responses((status = 200, description = "The inspections", body = InspectionList)))]
async fn list_inspections(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    ApiQuery(q): ApiQuery<SinceQuery>,
) -> ApiResult<axum::Json<InspectionList>> {
    let (store, id) = ids(&store, &id)?;
    let list = s.services.work_orders.inspections(&who, &store, id, q.updated_since).await?;
    let photos = s.services.attachments.of_entry_inspection(&who, &store, id).await?;
    Ok(axum::Json(InspectionList {
        inspections: list.into_iter().map(Into::into).collect(),
        entry_attachments: photos.into_iter().map(Into::into).collect(),
    }))
}

/// Submits the entry inspection, before approval (IN-1).
#[utoipa::path(post, path = "/v1/stores/{store}/work-orders/{work_order_id}/inspections/entry", tag = "inspections",
    params(StoreParam,
           WorkOrderParam,
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried submission safe", pattern = r"^[!-~]{1,255}$")),
    request_body = SubmitEntryInspection,
    responses((status = 201, description = "Submitted; append-only from now on (IN-3)", body = InspectionDto)))]
async fn submit_entry_inspection(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    IdemKey(key): IdemKey,
    ApiJson(cmd): ApiJson<SubmitEntryInspection>,
) -> ApiResult<(StatusCode, axum::Json<InspectionDto>)> {
    let (store, id) = ids(&store, &id)?;
    let inspection = s.services.work_orders.submit_entry_inspection(&who, &store, id, cmd, key).await?;
    Ok((StatusCode::CREATED, axum::Json(inspection.into())))
}

/// Submits an exit (or rework) inspection: all pass issues the certificate, any fail sends the
/// order back to rework (IN-2). Inspectors only.
#[utoipa::path(post, path = "/v1/stores/{store}/work-orders/{work_order_id}/inspections/exit", tag = "inspections",
    params(StoreParam,
           WorkOrderParam,
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried submission safe", pattern = r"^[!-~]{1,255}$")),
    request_body = SubmitExitInspection,
    responses((status = 201, description = "Submitted; append-only from now on (IN-3)", body = InspectionDto)))]
async fn submit_exit_inspection(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    IdemKey(key): IdemKey,
    ApiJson(cmd): ApiJson<SubmitExitInspection>,
) -> ApiResult<(StatusCode, axum::Json<InspectionDto>)> {
    let (store, id) = ids(&store, &id)?;
    let inspection = s.services.work_orders.submit_exit_inspection(&who, &store, id, cmd, key).await?;
    Ok((StatusCode::CREATED, axum::Json(inspection.into())))
}

/// Deletes an inspection; refused while the 3-year retention runs (IN-3).
#[utoipa::path(delete, path = "/v1/stores/{store}/work-orders/{work_order_id}/inspections/{inspection_id}", tag = "inspections",
    params(StoreParam,
           WorkOrderParam,
           InspectionParam),
    responses((status = 204, description = "Deleted (only past the retention period)")))]
async fn delete_inspection(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id, inspection)): ApiPath<(String, String, String)>,
) -> ApiResult<StatusCode> {
    let (store, id) = ids(&store, &id)?;
    let inspection = InspectionId::parse("inspection_id", &inspection)?;
    s.services.work_orders.delete_inspection(&who, &store, id, inspection).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Shows the order's e-health record and its upload status (WO-12); exists once delivered.
#[utoipa::path(get, path = "/v1/stores/{store}/work-orders/{work_order_id}/ehealth-record", tag = "work orders",
    params(StoreParam,
           WorkOrderParam),
    responses((status = 200, description = "The record and its upload", body = EhealthUploadDto)))]
async fn get_ehealth_record(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
) -> ApiResult<axum::Json<EhealthUploadDto>> {
    let (store, id) = ids(&store, &id)?;
    Ok(axum::Json(s.services.ehealth.status(&who, &store, id).await?.into()))
}

/// Renders a document the customer keeps, as a printable HTML page with Chinese labels:
/// `work-order`, `accessory-list`, `certificate` (after a passed exit inspection) or `settlement`
/// (after delivery).
#[utoipa::path(get, path = "/v1/stores/{store}/work-orders/{work_order_id}/documents/{kind}", tag = "work orders",
    params(StoreParam,
           WorkOrderParam,
           ("kind" = inline(DocumentKind), Path, description = "Which document")),
    responses((status = 200, description = "The page", content_type = "text/html", body = String)))]
async fn get_document(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id, kind)): ApiPath<(String, String, DocumentKind)>,
) -> ApiResult<Response> {
    let (store, id) = ids(&store, &id)?;
    let data = s.services.work_orders.document(&who, &store, id, kind).await?;
    let html = aftersales_documents::render(kind, &data, chrono::Utc::now())
        .map_err(|e| ApiError::from(aftersales_domain::DomainError::Internal(e.to_string())))?;
    Ok(([(axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response())
}

/// Lists customer files still incomplete after the store's `file_open_days` (default 2) past the
/// first intake, oldest first (CF-2). Supervisors.
#[utoipa::path(get, path = "/v1/stores/{store}/supervisor/incomplete-files", tag = "work orders",
    params(StoreParam),
    responses((status = 200, description = "Files overdue for completion", body = IncompleteFileList)))]
async fn list_incomplete_files(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
) -> ApiResult<axum::Json<IncompleteFileList>> {
    let files = s.services.work_orders.incomplete_files(&who, &store_code(&store)?).await?;
    Ok(axum::Json(IncompleteFileList { files: files.into_iter().map(Into::into).collect() }))
}

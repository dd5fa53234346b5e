//! Remote approval (WO-13): the advisor's `/v1/stores/{store}/work-orders/{id}/approval-links`,
//! and the customer's `/v1/approval/{token}`, which takes no JWT: the token alone opens that
//! order's lines awaiting a decision, and nothing else.

use aftersales_domain::app::{IssueApprovalLink, LinkDecisions, SendApprovalLink};
use aftersales_domain::model::approval_link::ApprovalLinkId;
use aftersales_domain::model::work_order::WorkOrderId;
use aftersales_domain::value::StoreCode;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::dto::{ApprovalLinkDto, ApprovalLinkList, ApprovalViewDto, DecisionReceiptDto, IssuedLinkDto};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, ClientAddr, IdemKey, PageParams, store_code};
use crate::params::*;

/// Routes of approval links, the store's and the customer's.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(issue, list))
        .routes(routes!(revoke))
        .routes(routes!(send))
        .routes(routes!(view))
        .routes(routes!(decide))
}

fn order_ids(store: &str, id: &str) -> Result<(StoreCode, WorkOrderId), ApiError> {
    Ok((store_code(store)?, WorkOrderId::parse("work_order_id", id)?))
}

/// Issues a link to the order's current estimate, for the customer's app (advisor). The answer
/// is the only place the token appears: only its hash is stored. A retry issues another link;
/// revoke the one not sent.
#[utoipa::path(post, path = "/v1/stores/{store}/work-orders/{work_order_id}/approval-links", tag = "work orders",
    params(StoreParam, WorkOrderParam),
    request_body = IssueApprovalLink,
    responses((status = 201, description = "The link and its token", body = IssuedLinkDto)))]
async fn issue(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    ApiJson(cmd): ApiJson<IssueApprovalLink>,
) -> ApiResult<(StatusCode, Json<IssuedLinkDto>)> {
    let (store, id) = order_ids(&store, &id)?;
    let issued = s.services.approval_links.issue(&who, &store, id, cmd).await?;
    Ok((StatusCode::CREATED, Json(issued.into())))
}

/// Sends the customer a link by SMS or WeChat (advisor): the message is queued for call hours and
/// the link made as it goes out, for the estimate then current, so its token is never stored.
#[utoipa::path(post, path = "/v1/stores/{store}/work-orders/{work_order_id}/approval-links/send", tag = "work orders",
    params(StoreParam, WorkOrderParam,
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried send safe", pattern = r"^[!-~]{1,255}$")),
    request_body = SendApprovalLink,
    responses((status = 202, description = "The message, queued", body = crate::dto::MessageDto)))]
async fn send(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    IdemKey(key): IdemKey,
    ApiJson(cmd): ApiJson<SendApprovalLink>,
) -> ApiResult<(StatusCode, Json<crate::dto::MessageDto>)> {
    let (store, id) = order_ids(&store, &id)?;
    let message = s.services.approval_links.send(&who, &store, id, cmd, key).await?;
    Ok((StatusCode::ACCEPTED, Json(message.into())))
}

/// The order's links, oldest first, without tokens.
#[utoipa::path(get, path = "/v1/stores/{store}/work-orders/{work_order_id}/approval-links", tag = "work orders",
    params(StoreParam, WorkOrderParam, PageParams),
    responses((status = 200, description = "A page of links", body = ApprovalLinkList)))]
async fn list(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<ApprovalLinkList>> {
    let (store, id) = order_ids(&store, &id)?;
    Ok(Json(s.services.approval_links.list(&who, &store, id, &page.request()?).await?.into()))
}

/// Revokes a link: from now on it answers 410 `approval_link.revoked`. Revoking again changes
/// nothing.
#[utoipa::path(post, path = "/v1/stores/{store}/work-orders/{work_order_id}/approval-links/{link_id}/revoke", tag = "work orders",
    params(StoreParam, WorkOrderParam, ApprovalLinkParam),
    responses((status = 200, description = "The link, revoked", body = ApprovalLinkDto)))]
async fn revoke(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id, link)): ApiPath<(String, String, String)>,
) -> ApiResult<Json<ApprovalLinkDto>> {
    let (store, id) = order_ids(&store, &id)?;
    let link = ApprovalLinkId::parse("link_id", &link)?;
    Ok(Json(s.services.approval_links.revoke(&who, &store, id, link).await?.into()))
}

/// The customer's view through the link (no JWT): the store, the customer's name, the plate and
/// the lines awaiting a decision. A link used, expired, revoked, or of an estimate since revised
/// answers 410 with a code saying which.
#[utoipa::path(get, path = "/v1/approval/{token}", tag = "approval", security(()),
    params(ApprovalTokenParam),
    responses((status = 200, description = "What the customer decides on", body = ApprovalViewDto),
              (status = 410, description = "The link no longer works: `approval_link.used`, `.expired`, `.revoked`, `.outdated` or `.decided`", body = crate::error::Problem)))]
async fn view(
    State(s): State<AppState>,
    ApiPath(token): ApiPath<String>,
) -> ApiResult<Json<ApprovalViewDto>> {
    Ok(Json(s.services.approval_links.view(&token).await?.into()))
}

/// The customer approves or declines each line (a decline may say why), recorded as the WO-11
/// approval with method `signed_link`, the link's id and the client address; once per link.
#[utoipa::path(post, path = "/v1/approval/{token}/decisions", tag = "approval", security(()),
    params(ApprovalTokenParam),
    request_body = LinkDecisions,
    responses((status = 200, description = "Recorded", body = DecisionReceiptDto),
              (status = 410, description = "The link no longer works; the code says why", body = crate::error::Problem)))]
async fn decide(
    State(s): State<AppState>,
    ApiPath(token): ApiPath<String>,
    ClientAddr(client): ClientAddr,
    ApiJson(cmd): ApiJson<LinkDecisions>,
) -> ApiResult<Json<DecisionReceiptDto>> {
    Ok(Json(s.services.approval_links.decide(&token, cmd, client).await?.into()))
}

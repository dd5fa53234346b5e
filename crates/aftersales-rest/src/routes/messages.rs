//! Messages to customers (issue 13): `/v1/stores/{store}/messages` with filters, a customer's own
//! under `/customers/{id}/messages`, the store's templates, and the customer's WeChat consents.

use aftersales_domain::model::message::{
    CreateTemplate, GrantConsents, MessageChannel, MessageFilter, MessageId, MessageStatus, Purpose,
};
use aftersales_domain::value::CustomerId;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::dto::{ConsentBalanceDto, MessageDto, MessageList, TemplateDto, TemplateList};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, IdemKey, PageParams, store_code};
use crate::params::*;

/// Routes of messages, templates and consents.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_messages))
        .routes(routes!(get_message))
        .routes(routes!(customer_messages))
        .routes(routes!(create_template, list_templates))
        .routes(routes!(grant_consents))
}

/// Message list filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct MessageQuery {
    /// Only this customer's.
    #[param(value_type = Option<String>, format = Uuid)]
    customer_id: Option<uuid::Uuid>,
    /// Only in this state.
    status: Option<MessageStatus>,
    /// Only of this purpose.
    purpose: Option<Purpose>,
    /// Only on this channel.
    channel: Option<MessageChannel>,
    /// Page size (1–500, default 50).
    #[param(minimum = 0, maximum = 500)]
    page_size: Option<i64>,
    /// Token of the next page.
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    page_token: Option<String>,
    /// Only messages changed after this instant (RFC 3339), for incremental sync.
    #[param(value_type = Option<String>, format = DateTime)]
    updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// Lists a store's messages, oldest first, with what became of each (advisor, follow-up agent,
/// supervisor, integration).
#[utoipa::path(get, path = "/v1/stores/{store}/messages", tag = "messages",
    params(StoreParam, MessageQuery),
    responses((status = 200, description = "A page of messages", body = MessageList)))]
async fn list_messages(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(q): ApiQuery<MessageQuery>,
) -> ApiResult<Json<MessageList>> {
    let MessageQuery { customer_id, status, purpose, channel, page_size, page_token, updated_since } = q;
    let page = PageParams { page_size, page_token, updated_since }.request()?;
    let filter = MessageFilter { customer_id: customer_id.map(CustomerId), status, purpose, channel };
    Ok(Json(s.services.messages.list(&who, &store_code(&store)?, &filter, &page).await?.into()))
}

/// One message.
#[utoipa::path(get, path = "/v1/stores/{store}/messages/{message_id}", tag = "messages",
    params(StoreParam, MessageParam),
    responses((status = 200, description = "The message", body = MessageDto)))]
async fn get_message(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
) -> ApiResult<Json<MessageDto>> {
    let id = MessageId::parse("message_id", &id)?;
    Ok(Json(s.services.messages.get(&who, &store_code(&store)?, id).await?.into()))
}

/// What was sent to one customer, oldest first: the file's message history.
#[utoipa::path(get, path = "/v1/stores/{store}/customers/{customer_id}/messages", tag = "messages",
    params(StoreParam, CustomerParam, PageParams),
    responses((status = 200, description = "A page of the customer's messages", body = MessageList)))]
async fn customer_messages(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, customer)): ApiPath<(String, String)>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<MessageList>> {
    let filter = MessageFilter {
        customer_id: Some(CustomerId::parse("customer_id", &customer)?),
        ..MessageFilter::default()
    };
    Ok(Json(s.services.messages.list(&who, &store_code(&store)?, &filter, &page.request()?).await?.into()))
}

/// Saves a new version of the store's template for a code and channel; messages queued from now
/// on use it. The text may use only the code's parameters (supervisor, admin).
#[utoipa::path(post, path = "/v1/stores/{store}/message-templates", tag = "messages",
    params(StoreParam,
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe", pattern = r"^[!-~]{1,255}$")),
    request_body = CreateTemplate,
    responses((status = 201, description = "The new version", body = TemplateDto)))]
async fn create_template(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    IdemKey(key): IdemKey,
    ApiJson(cmd): ApiJson<CreateTemplate>,
) -> ApiResult<(StatusCode, Json<TemplateDto>)> {
    let template = s.services.messages.create_template(&who, &store_code(&store)?, cmd, key).await?;
    Ok((StatusCode::CREATED, Json(template.into())))
}

/// The store's templates, every version.
#[utoipa::path(get, path = "/v1/stores/{store}/message-templates", tag = "messages",
    params(StoreParam, PageParams),
    responses((status = 200, description = "A page of template versions", body = TemplateList)))]
async fn list_templates(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<Json<TemplateList>> {
    Ok(Json(s.services.messages.list_templates(&who, &store_code(&store)?, &page.request()?).await?.into()))
}

/// Records one-time WeChat subscription consents the customer gave in the mini-program; each
/// allows one message of that template and is spent when it is sent (advisor, supervisor,
/// integration).
#[utoipa::path(post, path = "/v1/stores/{store}/customers/{customer_id}/wechat-consents", tag = "messages",
    params(StoreParam, CustomerParam,
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried grant safe", pattern = r"^[!-~]{1,255}$")),
    request_body = GrantConsents,
    responses((status = 201, description = "The customer's unspent consents for the template", body = ConsentBalanceDto)))]
async fn grant_consents(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, customer)): ApiPath<(String, String)>,
    IdemKey(key): IdemKey,
    ApiJson(cmd): ApiJson<GrantConsents>,
) -> ApiResult<(StatusCode, Json<ConsentBalanceDto>)> {
    let customer = CustomerId::parse("customer_id", &customer)?;
    let balance = s.services.messages.grant_consents(&who, &store_code(&store)?, customer, cmd, key).await?;
    Ok((StatusCode::CREATED, Json(balance.into())))
}

//! `/v1/stores/{store}/events` (the feed, EV-2) and `/v1/stores/{store}/webhook-subscriptions`
//! (EV-3).

use aftersales_domain::app::{CreateSubscription, FeedQuery, ReplaySubscription, UpdateSubscription};
use aftersales_domain::model::webhook::SubscriptionId;
use aftersales_domain::value::StoreCode;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::with_etag;
use crate::AppState;
use crate::dto::{DeliveryAttemptList, EventPage, SubscriptionDto, SubscriptionList};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, IfMatch, PageParams, store_code};
use crate::params::*;

/// Routes for events and webhooks.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(read_events))
        .routes(routes!(create_subscription, list_subscriptions))
        .routes(routes!(get_subscription, update_subscription, delete_subscription))
        .routes(routes!(rotate_secret))
        .routes(routes!(list_deliveries))
        .routes(routes!(replay))
}

fn ids(store: &str, id: &str) -> Result<(StoreCode, SubscriptionId), ApiError> {
    Ok((store_code(store)?, SubscriptionId::parse("subscription_id", id)?))
}

fn subscription(status: StatusCode, dto: SubscriptionDto) -> Response {
    with_etag(status, &dto.etag.clone(), dto)
}

/// Feed parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct FeedParams {
    /// The `next_cursor` of the previous read; the beginning when absent.
    #[param(max_length = 64, pattern = r"^[A-Za-z0-9_-]*$")]
    after: Option<String>,
    /// Only these types, comma-separated (see the `webhooks` section for the catalogue).
    #[param(max_length = 4000, pattern = r"^[a-z_.,]*$")]
    types: Option<String>,
    /// Events per page (1–500, default 100).
    #[param(minimum = 0, maximum = 500)]
    page_size: Option<i64>,
    /// Seconds to wait for a first event when there is none (long poll, at most 30).
    #[param(minimum = 0, maximum = 30)]
    wait: Option<i64>,
}

/// Reads the store's events after a cursor, in order (integration, supervisor).
#[utoipa::path(get, path = "/v1/stores/{store}/events", tag = "events",
    params(StoreParam, FeedParams),
    responses((status = 200, description = "Events after the cursor", body = EventPage)))]
async fn read_events(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(q): ApiQuery<FeedParams>,
) -> ApiResult<axum::Json<EventPage>> {
    let FeedParams { after, types, page_size, wait } = q;
    let types = types.unwrap_or_default().split(',').filter(|t| !t.is_empty()).map(str::to_string).collect();
    let query = FeedQuery { after, types, page_size, wait_seconds: wait };
    Ok(axum::Json(s.services.events.feed(&who, &store_code(&store)?, &query).await?.into()))
}

/// Subscribes an endpoint; the answer shows the signing secret, once.
#[utoipa::path(post, path = "/v1/stores/{store}/webhook-subscriptions", tag = "webhooks",
    params(StoreParam),
    request_body = CreateSubscription,
    responses((status = 201, description = "Created, with its secret", body = SubscriptionDto)))]
async fn create_subscription(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiJson(cmd): ApiJson<CreateSubscription>,
) -> ApiResult<Response> {
    let created = s.services.events.create(&who, &store_code(&store)?, &cmd).await?;
    Ok(subscription(StatusCode::CREATED, SubscriptionDto::revealed(created)))
}

/// Lists the store's subscriptions.
#[utoipa::path(get, path = "/v1/stores/{store}/webhook-subscriptions", tag = "webhooks",
    params(StoreParam, PageParams),
    responses((status = 200, description = "A page of subscriptions", body = SubscriptionList)))]
async fn list_subscriptions(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<axum::Json<SubscriptionList>> {
    let page = page.request()?;
    Ok(axum::Json(s.services.events.list(&who, &store_code(&store)?, &page).await?.into()))
}

/// Reads a subscription (without its secret).
#[utoipa::path(get, path = "/v1/stores/{store}/webhook-subscriptions/{subscription_id}", tag = "webhooks",
    params(StoreParam, SubscriptionParam),
    responses((status = 200, description = "The subscription", body = SubscriptionDto)))]
async fn get_subscription(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let (store, id) = ids(&store, &id)?;
    Ok(subscription(StatusCode::OK, s.services.events.get(&who, &store, id).await?.into()))
}

/// Changes a subscription's URL, types or activity; `active: true` resumes a disabled one.
#[utoipa::path(patch, path = "/v1/stores/{store}/webhook-subscriptions/{subscription_id}", tag = "webhooks",
    params(StoreParam, SubscriptionParam,
           ("If-Match" = Option<String>, Header, description = "Refuse the change if the subscription changed since this etag", pattern = r#"^(\*|(W/)?"?v[0-9]{1,18}"?)$"#)),
    request_body = UpdateSubscription,
    responses((status = 200, description = "The subscription", body = SubscriptionDto)))]
async fn update_subscription(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    IfMatch(etag): IfMatch,
    ApiJson(cmd): ApiJson<UpdateSubscription>,
) -> ApiResult<Response> {
    let (store, id) = ids(&store, &id)?;
    let changed = s.services.events.update(&who, &store, id, etag.as_ref(), &cmd).await?;
    Ok(subscription(StatusCode::OK, changed.into()))
}

/// Deletes a subscription with its delivery log.
#[utoipa::path(delete, path = "/v1/stores/{store}/webhook-subscriptions/{subscription_id}", tag = "webhooks",
    params(StoreParam, SubscriptionParam),
    responses((status = 204, description = "Deleted")))]
async fn delete_subscription(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
) -> ApiResult<StatusCode> {
    let (store, id) = ids(&store, &id)?;
    s.services.events.delete(&who, &store, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Issues a new secret, shown once; the old one signs beside it for 24 hours.
#[utoipa::path(post, path = "/v1/stores/{store}/webhook-subscriptions/{subscription_id}/rotate-secret", tag = "webhooks",
    params(StoreParam, SubscriptionParam,
           ("If-Match" = Option<String>, Header, description = "Refuse if the subscription changed since this etag", pattern = r#"^(\*|(W/)?"?v[0-9]{1,18}"?)$"#)),
    responses((status = 200, description = "The subscription with its new secret", body = SubscriptionDto)))]
async fn rotate_secret(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    IfMatch(etag): IfMatch,
) -> ApiResult<Response> {
    let (store, id) = ids(&store, &id)?;
    let rotated = s.services.events.rotate_secret(&who, &store, id, etag.as_ref()).await?;
    Ok(subscription(StatusCode::OK, SubscriptionDto::revealed(rotated)))
}

/// Lists a subscription's delivery attempts, oldest first: event, attempt, status code, latency, error.
#[utoipa::path(get, path = "/v1/stores/{store}/webhook-subscriptions/{subscription_id}/deliveries", tag = "webhooks",
    params(StoreParam, SubscriptionParam, PageParams),
    responses((status = 200, description = "A page of attempts", body = DeliveryAttemptList)))]
async fn list_deliveries(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<axum::Json<DeliveryAttemptList>> {
    let (store, id) = ids(&store, &id)?;
    let page = page.request()?;
    Ok(axum::Json(s.services.events.attempts(&who, &store, id, &page).await?.into()))
}

/// Sends the store's events after a cursor to the subscription again (same `webhook-id`s).
#[utoipa::path(post, path = "/v1/stores/{store}/webhook-subscriptions/{subscription_id}/replay", tag = "webhooks",
    params(StoreParam, SubscriptionParam),
    request_body = ReplaySubscription,
    responses((status = 202, description = "Queued")))]
async fn replay(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    ApiJson(cmd): ApiJson<ReplaySubscription>,
) -> ApiResult<StatusCode> {
    let (store, id) = ids(&store, &id)?;
    s.services.events.replay(&who, &store, id, &cmd).await?;
    Ok(StatusCode::ACCEPTED)
}

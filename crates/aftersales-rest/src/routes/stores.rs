//! `/v1/stores` and `/v1/stores/{store}/staff`.

use aftersales_domain::model::store::{CreateStaff, CreateStore, UpdateStaff, UpdateStore};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::with_etag;
use crate::AppState;
use crate::dto::{StaffDto, StaffList, StoreDto, StoreList};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, IdemKey, IfMatch, PageParams, store_code};
use crate::params::*;

/// Routes for stores and staff.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_store, list_stores))
        .routes(routes!(get_store, update_store))
        .routes(routes!(create_staff, list_staff))
        .routes(routes!(get_staff, update_staff))
}

/// Creates a store (admin).
#[utoipa::path(post, path = "/v1/stores", tag = "stores",
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe", pattern = r"^[!-~]{1,255}$")),
    request_body = CreateStore,
    responses((status = 201, description = "Created", body = StoreDto)))]
async fn create_store(
    State(s): State<AppState>,
    Caller(who): Caller,
    IdemKey(key): IdemKey,
    ApiJson(cmd): ApiJson<CreateStore>,
) -> ApiResult<Response> {
    let store = StoreDto::from(s.services.stores.create(&who, cmd, key).await?);
    Ok(with_etag(StatusCode::CREATED, &store.etag.clone(), store))
}

/// Lists the stores the token reaches.
#[utoipa::path(get, path = "/v1/stores", tag = "stores", params(PageParams),
    responses((status = 200, description = "A page of stores", body = StoreList)))]
async fn list_stores(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<axum::Json<StoreList>> {
    Ok(axum::Json(s.services.stores.list(&who, &page.request()?).await?.into()))
}

/// Reads a store.
#[utoipa::path(get, path = "/v1/stores/{store}", tag = "stores",
    params(StoreParam),
    responses((status = 200, description = "The store", body = StoreDto)))]
async fn get_store(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
) -> ApiResult<Response> {
    let store = StoreDto::from(s.services.stores.get(&who, &store_code(&store)?).await?);
    Ok(with_etag(StatusCode::OK, &store.etag.clone(), store))
}

/// Changes a store's settings (admin).
#[utoipa::path(patch, path = "/v1/stores/{store}", tag = "stores",
    params(StoreParam,
           ("If-Match" = Option<String>, Header, description = "Refuse the change if the store changed since this etag", pattern = r#"^(\*|(W/)?"?v[0-9]{1,18}"?)$"#)),
    request_body = UpdateStore,
    responses((status = 200, description = "The changed store", body = StoreDto)))]
async fn update_store(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    IfMatch(etag): IfMatch,
    ApiJson(cmd): ApiJson<UpdateStore>,
) -> ApiResult<Response> {
    let store = StoreDto::from(s.services.stores.update(&who, &store_code(&store)?, cmd, etag).await?);
    Ok(with_etag(StatusCode::OK, &store.etag.clone(), store))
}

/// Adds a person to the staff list (supervisor, admin).
#[utoipa::path(post, path = "/v1/stores/{store}/staff", tag = "staff",
    params(StoreParam,
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe", pattern = r"^[!-~]{1,255}$")),
    request_body = CreateStaff,
    responses((status = 201, description = "Created", body = StaffDto)))]
async fn create_staff(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    IdemKey(key): IdemKey,
    ApiJson(cmd): ApiJson<CreateStaff>,
) -> ApiResult<Response> {
    let staff = StaffDto::from(s.services.stores.create_staff(&who, &store_code(&store)?, cmd, key).await?);
    Ok(with_etag(StatusCode::CREATED, &staff.etag.clone(), staff))
}

/// Lists a store's staff.
#[utoipa::path(get, path = "/v1/stores/{store}/staff", tag = "staff",
    params(StoreParam, PageParams),
    responses((status = 200, description = "A page of staff", body = StaffList)))]
async fn list_staff(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<axum::Json<StaffList>> {
    Ok(axum::Json(s.services.stores.list_staff(&who, &store_code(&store)?, &page.request()?).await?.into()))
}

/// Reads a staff member.
#[utoipa::path(get, path = "/v1/stores/{store}/staff/{staff_id}", tag = "staff",
    params(StoreParam, StaffParam),
    responses((status = 200, description = "The staff member", body = StaffDto)))]
async fn get_staff(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let staff = StaffDto::from(s.services.stores.get_staff(&who, &store_code(&store)?, &id).await?);
    Ok(with_etag(StatusCode::OK, &staff.etag.clone(), staff))
}

/// Changes a staff member (supervisor, admin).
#[utoipa::path(patch, path = "/v1/stores/{store}/staff/{staff_id}", tag = "staff",
    params(StoreParam, StaffParam,
           ("If-Match" = Option<String>, Header, description = "Refuse the change if it changed since this etag", pattern = r#"^(\*|(W/)?"?v[0-9]{1,18}"?)$"#)),
    request_body = UpdateStaff,
    responses((status = 200, description = "The changed staff member", body = StaffDto)))]
async fn update_staff(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    IfMatch(etag): IfMatch,
    ApiJson(cmd): ApiJson<UpdateStaff>,
) -> ApiResult<Response> {
    let staff =
        StaffDto::from(s.services.stores.update_staff(&who, &store_code(&store)?, &id, cmd, etag).await?);
    Ok(with_etag(StatusCode::OK, &staff.etag.clone(), staff))
}

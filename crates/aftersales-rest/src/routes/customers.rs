//! `/v1/stores/{store}/customers` and their vehicles (CF-1, CF-4..CF-6).

use aftersales_domain::app::CustomerQuery;
use aftersales_domain::model::customer::{
    AddVehicle, CreateCustomer, MergeCustomers, RecordOdometer, UpdateCustomer, UpdateVehicle,
};
use aftersales_domain::value::CustomerId;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::with_etag;
use crate::AppState;
use crate::dto::{ConsentEventDto, ConsentEventList, CustomerDto, CustomerList, VehicleDto, VehicleList};
use crate::error::ApiResult;
use crate::extract::{
    ApiJson, ApiPath, ApiQuery, Caller, IdemKey, IfMatch, PageParams, customer_id, store_code, vehicle_id,
};
use crate::params::*;

/// Routes for customer files and vehicles.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_customer, list_customers))
        .routes(routes!(get_customer, update_customer))
        .routes(routes!(merge_customers))
        .routes(routes!(list_consent_events))
        .routes(routes!(add_vehicle, list_vehicles))
        .routes(routes!(get_vehicle, update_vehicle))
        .routes(routes!(record_odometer))
}

/// Customer list filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct CustomerListQuery {
    /// Free text over name, phone, plate and VIN.
    #[param(max_length = 100, pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$")]
    q: Option<String>,
    /// Exact plate, e.g. `沪A12345`.
    #[param(max_length = 16, pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$")]
    plate: Option<String>,
    /// Exact VIN.
    #[param(pattern = r"^([A-HJ-NPR-Za-hj-npr-z0-9]{17})?$")]
    vin: Option<String>,
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

/// Merges another file into this one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
struct MergeRequest {
    /// The duplicate file, merged away into the one in the path.
    source_id: Uuid,
}

impl aftersales_domain::auth::Command for MergeRequest {
    const ACTION: aftersales_domain::auth::Action =
        <MergeCustomers as aftersales_domain::auth::Command>::ACTION;
}

/// Opens a customer file (CF-1).
#[utoipa::path(post, path = "/v1/stores/{store}/customers", tag = "customers",
    params(StoreParam,
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe", pattern = r"^[!-~]{1,255}$")),
    request_body = CreateCustomer,
    responses((status = 201, description = "Created", body = CustomerDto)))]
async fn create_customer(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    IdemKey(key): IdemKey,
    ApiJson(cmd): ApiJson<CreateCustomer>,
) -> ApiResult<Response> {
    let c = CustomerDto::from(s.services.customers.create(&who, &store_code(&store)?, cmd, key).await?);
    Ok(with_etag(StatusCode::CREATED, &c.etag.clone(), c))
}

/// Lists customer files, newest last; merged files are left out.
#[utoipa::path(get, path = "/v1/stores/{store}/customers", tag = "customers",
    params(StoreParam, CustomerListQuery),
    responses((status = 200, description = "A page of customer files", body = CustomerList)))]
async fn list_customers(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(q): ApiQuery<CustomerListQuery>,
) -> ApiResult<axum::Json<CustomerList>> {
    let page =
        PageParams { page_size: q.page_size, page_token: q.page_token, updated_since: q.updated_since }
            .request()?;
    let query = CustomerQuery { q: q.q, plate: q.plate, vin: q.vin };
    Ok(axum::Json(s.services.customers.list(&who, &store_code(&store)?, &query, &page).await?.into()))
}

/// Reads a customer file.
#[utoipa::path(get, path = "/v1/stores/{store}/customers/{customer_id}", tag = "customers",
    params(StoreParam, CustomerParam),
    responses((status = 200, description = "The customer file", body = CustomerDto)))]
async fn get_customer(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let c = CustomerDto::from(s.services.customers.get(&who, &store_code(&store)?, customer_id(&id)?).await?);
    Ok(with_etag(StatusCode::OK, &c.etag.clone(), c))
}

/// Changes a customer file; `marketing_consent` changes need `consent_method` (CF-5).
#[utoipa::path(patch, path = "/v1/stores/{store}/customers/{customer_id}", tag = "customers",
    params(StoreParam, CustomerParam,
           ("If-Match" = Option<String>, Header, description = "Refuse the change if the file changed since this etag", pattern = r#"^(\*|(W/)?"?v[0-9]{1,18}"?)$"#)),
    request_body = UpdateCustomer,
    responses((status = 200, description = "The changed file", body = CustomerDto)))]
async fn update_customer(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    IfMatch(etag): IfMatch,
    ApiJson(cmd): ApiJson<UpdateCustomer>,
) -> ApiResult<Response> {
    let store = store_code(&store)?;
    let c = CustomerDto::from(s.services.customers.update(&who, &store, customer_id(&id)?, cmd, etag).await?);
    Ok(with_etag(StatusCode::OK, &c.etag.clone(), c))
}

/// Merges a duplicate file into this one, with its whole history (CF-6).
#[utoipa::path(post, path = "/v1/stores/{store}/customers/{customer_id}/merge", tag = "customers",
    params(StoreParam, SurvivingCustomerParam,
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried merge safe", pattern = r"^[!-~]{1,255}$")),
    request_body = MergeRequest,
    responses((status = 200, description = "The surviving file", body = CustomerDto)))]
async fn merge_customers(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    IdemKey(key): IdemKey,
    ApiJson(body): ApiJson<MergeRequest>,
) -> ApiResult<Response> {
    let cmd = MergeCustomers { source_id: CustomerId(body.source_id), target_id: customer_id(&id)? };
    let c = CustomerDto::from(s.services.customers.merge(&who, &store_code(&store)?, cmd, key).await?);
    Ok(with_etag(StatusCode::OK, &c.etag.clone(), c))
}

/// Lists a customer's marketing-consent history, oldest first (CF-5).
#[utoipa::path(get, path = "/v1/stores/{store}/customers/{customer_id}/consent-events", tag = "customers",
    params(StoreParam, CustomerParam),
    responses((status = 200, description = "The consent history", body = ConsentEventList)))]
async fn list_consent_events(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
) -> ApiResult<axum::Json<ConsentEventList>> {
    let events = s.services.customers.consent_history(&who, &store_code(&store)?, customer_id(&id)?).await?;
    Ok(axum::Json(ConsentEventList {
        consent_events: events.into_iter().map(ConsentEventDto::from).collect(),
    }))
}

/// Adds a vehicle to a customer file (CF-4, CF-6).
#[utoipa::path(post, path = "/v1/stores/{store}/customers/{customer_id}/vehicles", tag = "vehicles",
    params(StoreParam, CustomerParam,
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe", pattern = r"^[!-~]{1,255}$")),
    request_body = AddVehicle,
    responses((status = 201, description = "Created", body = VehicleDto)))]
async fn add_vehicle(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    IdemKey(key): IdemKey,
    ApiJson(cmd): ApiJson<AddVehicle>,
) -> ApiResult<Response> {
    let store = store_code(&store)?;
    let v =
        VehicleDto::from(s.services.customers.add_vehicle(&who, &store, customer_id(&id)?, cmd, key).await?);
    Ok(with_etag(StatusCode::CREATED, &v.etag.clone(), v))
}

/// Lists a customer's vehicles.
#[utoipa::path(get, path = "/v1/stores/{store}/customers/{customer_id}/vehicles", tag = "vehicles",
    params(StoreParam, CustomerParam, PageParams),
    responses((status = 200, description = "A page of vehicles", body = VehicleList)))]
async fn list_vehicles(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<axum::Json<VehicleList>> {
    let store = store_code(&store)?;
    let page = s.services.customers.list_vehicles(&who, &store, customer_id(&id)?, &page.request()?).await?;
    Ok(axum::Json(page.into()))
}

/// Reads a vehicle, with its next maintenance due (CF-1).
#[utoipa::path(get, path = "/v1/stores/{store}/customers/{customer_id}/vehicles/{vehicle_id}", tag = "vehicles",
    params(StoreParam, CustomerParam,
           VehicleParam),
    responses((status = 200, description = "The vehicle", body = VehicleDto)))]
async fn get_vehicle(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, cid, vid)): ApiPath<(String, String, String)>,
) -> ApiResult<Response> {
    let store = store_code(&store)?;
    let v = VehicleDto::from(
        s.services.customers.get_vehicle(&who, &store, customer_id(&cid)?, vehicle_id(&vid)?).await?,
    );
    Ok(with_etag(StatusCode::OK, &v.etag.clone(), v))
}

/// Changes a vehicle's description or maintenance plan; the VIN never changes.
#[utoipa::path(patch, path = "/v1/stores/{store}/customers/{customer_id}/vehicles/{vehicle_id}", tag = "vehicles",
    params(StoreParam, CustomerParam,
           VehicleParam,
           ("If-Match" = Option<String>, Header, description = "Refuse the change if the vehicle changed since this etag", pattern = r#"^(\*|(W/)?"?v[0-9]{1,18}"?)$"#)),
    request_body = UpdateVehicle,
    responses((status = 200, description = "The changed vehicle", body = VehicleDto)))]
async fn update_vehicle(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, cid, vid)): ApiPath<(String, String, String)>,
    IfMatch(etag): IfMatch,
    ApiJson(cmd): ApiJson<UpdateVehicle>,
) -> ApiResult<Response> {
    let store = store_code(&store)?;
    let (cid, vid) = (customer_id(&cid)?, vehicle_id(&vid)?);
    let v = VehicleDto::from(s.services.customers.update_vehicle(&who, &store, cid, vid, cmd, etag).await?);
    Ok(with_etag(StatusCode::OK, &v.etag.clone(), v))
}

/// Records an odometer reading; lower readings need `correction` and a `note` (CF-6).
#[utoipa::path(post, path = "/v1/stores/{store}/customers/{customer_id}/vehicles/{vehicle_id}/record-odometer", tag = "vehicles",
    params(StoreParam, CustomerParam,
           VehicleParam,
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried reading safe", pattern = r"^[!-~]{1,255}$")),
    request_body = RecordOdometer,
    responses((status = 200, description = "The vehicle with its new mileage", body = VehicleDto)))]
async fn record_odometer(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, cid, vid)): ApiPath<(String, String, String)>,
    IdemKey(key): IdemKey,
    ApiJson(cmd): ApiJson<RecordOdometer>,
) -> ApiResult<Response> {
    let store = store_code(&store)?;
    let (cid, vid) = (customer_id(&cid)?, vehicle_id(&vid)?);
    let v = VehicleDto::from(s.services.customers.record_odometer(&who, &store, cid, vid, cmd, key).await?);
    Ok(with_etag(StatusCode::OK, &v.etag.clone(), v))
}

//! `/v1/stores/{store}/capacity`, `/availability` and `/appointments` (AP-1..AP-5).

use aftersales_domain::app::{
    AppointmentStep, BookAppointment, CancelAppointment, CheckIn, ConfirmBooking, DayQuery,
    RescheduleAppointment,
};
use aftersales_domain::model::appointment::{Appointment, AppointmentId, Capacity};
use aftersales_domain::value::StoreCode;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::with_etag;
use crate::AppState;
use crate::dto::{AppointmentDto, AppointmentList, AvailabilityDto};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, IdemKey, IfMatch, PageParams, store_code};
use crate::params::*;

/// Routes for capacity, availability and appointments.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_capacity, put_capacity))
        .routes(routes!(availability))
        .routes(routes!(book, list_day))
        .routes(routes!(get_appointment))
        .routes(routes!(confirm))
        .routes(routes!(reschedule))
        .routes(routes!(cancel))
        .routes(routes!(check_in))
}

fn ids(store: &str, id: &str) -> Result<(StoreCode, AppointmentId), ApiError> {
    Ok((store_code(store)?, AppointmentId::parse("appointment_id", id)?))
}

fn answer(status: StatusCode, appointment: Appointment) -> Response {
    let dto = AppointmentDto::from(appointment);
    with_etag(status, &dto.etag.clone(), dto)
}

/// Reads the store's service capacity (AP-1).
#[utoipa::path(get, path = "/v1/stores/{store}/capacity", tag = "appointments",
    params(StoreParam),
    responses((status = 200, description = "The capacity", body = Capacity)))]
async fn get_capacity(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
) -> ApiResult<axum::Json<Capacity>> {
    Ok(axum::Json(s.services.appointments.capacity(&who, &store_code(&store)?).await?))
}

/// Replaces the store's service capacity: hours, closed dates, bays by kind, the advisors who
/// receive arrivals (active staff), service types and the booking rules' times (AP-1).
/// Supervisors and admins.
#[utoipa::path(put, path = "/v1/stores/{store}/capacity", tag = "appointments",
    params(StoreParam),
    request_body = Capacity,
    responses((status = 200, description = "The capacity as saved", body = Capacity)))]
async fn put_capacity(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiJson(capacity): ApiJson<Capacity>,
) -> ApiResult<axum::Json<Capacity>> {
    Ok(axum::Json(s.services.appointments.set_capacity(&who, &store_code(&store)?, capacity).await?))
}

/// Availability filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AvailabilityQuery {
    /// First store-local day.
    from: NaiveDate,
    /// Last store-local day (at most 31 days from `from`).
    to: NaiveDate,
    /// Service type codes, comma-separated; one bay kind for all.
    #[param(min_length = 1, max_length = 500, pattern = r"^[^,\s]+(,[^,\s]+)*$")]
    service_types: String,
}

/// The free start times for the service types, computed from the bookings: within the hours,
/// on the grid, after the lead time, inside the booking window, with a bay of the kind free for
/// the whole visit and an advisor free at arrival (AP-2).
#[utoipa::path(get, path = "/v1/stores/{store}/availability", tag = "appointments",
    params(StoreParam, AvailabilityQuery),
    responses((status = 200, description = "Free starts", body = AvailabilityDto)))]
async fn availability(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(q): ApiQuery<AvailabilityQuery>,
) -> ApiResult<axum::Json<AvailabilityDto>> {
    let AvailabilityQuery { from, to, service_types } = q;
    let codes: Vec<String> = service_types.split(',').map(str::to_string).collect();
    let starts = s.services.appointments.availability(&who, &store_code(&store)?, from, to, &codes).await?;
    Ok(axum::Json(AvailabilityDto { starts }))
}

/// Holds (`hold: true`, for the store's hold time) or books a free start; of concurrent
/// attempts at the last place one wins and the others answer 409 `appointment.slot_taken` (AP-3).
#[utoipa::path(post, path = "/v1/stores/{store}/appointments", tag = "appointments",
    params(StoreParam,
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried booking safe", pattern = r"^[!-~]{1,255}$")),
    request_body = BookAppointment,
    responses((status = 201, description = "Held or booked", body = AppointmentDto)))]
async fn book(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    IdemKey(key): IdemKey,
    ApiJson(cmd): ApiJson<BookAppointment>,
) -> ApiResult<Response> {
    Ok(answer(StatusCode::CREATED, s.services.appointments.book(&who, &store_code(&store)?, cmd, key).await?))
}

/// The advisor's day filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct DayParams {
    /// The store-local day of arrival.
    date: NaiveDate,
    /// Only this advisor's arrivals (staff id).
    #[param(max_length = 64, pattern = r"^[^\s/]*$")]
    advisor: Option<String>,
}

/// The advisor's day: the appointments arriving on `date`, by time, in every state (AP-5).
#[utoipa::path(get, path = "/v1/stores/{store}/appointments", tag = "appointments",
    params(StoreParam, DayParams, PageParams),
    responses((status = 200, description = "A page of arrivals", body = AppointmentList)))]
async fn list_day(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(q): ApiQuery<DayParams>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<axum::Json<AppointmentList>> {
    let DayParams { date, advisor } = q;
    let query = DayQuery { advisor: aftersales_domain::value::non_empty(advisor) };
    let list =
        s.services.appointments.day(&who, &store_code(&store)?, date, &query, &page.request()?).await?;
    Ok(axum::Json(list.into()))
}

/// Reads an appointment.
#[utoipa::path(get, path = "/v1/stores/{store}/appointments/{appointment_id}", tag = "appointments",
    params(StoreParam, AppointmentParam),
    responses((status = 200, description = "The appointment", body = AppointmentDto)))]
async fn get_appointment(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
) -> ApiResult<Response> {
    let (store, id) = ids(&store, &id)?;
    Ok(answer(StatusCode::OK, s.services.appointments.get(&who, &store, id).await?))
}

/// Declares a step: `POST .../appointments/{id}/<path>`; a refused move answers 409.
macro_rules! step {
    ($fn:ident, $path:literal, $doc:literal, $method:ident, $body:ty) => {
        #[doc = $doc]
        #[utoipa::path(post, path = concat!("/v1/stores/{store}/appointments/{appointment_id}/", $path), tag = "appointments",
            params(StoreParam,
                   AppointmentParam,
                   ("If-Match" = Option<String>, Header, description = "Refuse the step if the appointment changed since this etag", pattern = r#"^(\*|(W/)?"?v[0-9]{1,18}"?)$"#),
                   ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried step safe", pattern = r"^[!-~]{1,255}$")),
            request_body = $body,
            responses((status = 200, description = "The appointment after the step", body = AppointmentDto)))]
        async fn $fn(
            State(s): State<AppState>,
            Caller(who): Caller,
            ApiPath((store, id)): ApiPath<(String, String)>,
            IfMatch(if_match): IfMatch,
            IdemKey(key): IdemKey,
            ApiJson(cmd): ApiJson<$body>,
        ) -> ApiResult<Response> {
            let (store, id) = ids(&store, &id)?;
            let step = AppointmentStep { id, if_match, key };
            Ok(answer(StatusCode::OK, s.services.appointments.$method(&who, &store, step, cmd).await?))
        }
    };
}

step!(
    confirm,
    "confirm",
    "Books a hold that has not lapsed, with who is coming if the hold did not say (AP-3).",
    confirm,
    ConfirmBooking
);
step!(
    reschedule,
    "reschedule",
    "Moves a booking to another free start; it stays booked, with history (AP-4).",
    reschedule,
    RescheduleAppointment
);
step!(
    cancel,
    "cancel",
    "Cancels: the customer until the cut-off (default 2 h before), the store at any time with a reason (AP-4).",
    cancel,
    CancelAppointment
);
step!(
    check_in,
    "check-in",
    "The car arrived: opens its work order filled from the booking, linked both ways (AP-4, WO-1).",
    check_in,
    CheckIn
);

//! `/v1/stores/{store}/summaries` (FU-9) and `/v1/analytics/follow-up` (HQ-1).

use aftersales_domain::app::SubmitSummary;
use aftersales_domain::value::StoreCode;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::dto::{FollowUpAnalytics, SummaryDto, SummaryViewDto};
use crate::error::{ApiError, ApiResult};
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, store_code};
use crate::params::*;

/// Routes for summaries and analytics.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(submit_summary))
        .routes(routes!(get_summary))
        .routes(routes!(follow_up_analytics))
}

/// A period's follow-up figures: live, or as archived once submitted (FU-9). Supervisors.
#[utoipa::path(get, path = "/v1/stores/{store}/summaries/{period}", tag = "follow-up",
    params(StoreParam,
           PeriodParam),
    responses((status = 200, description = "The figures", body = SummaryViewDto)))]
async fn get_summary(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, period)): ApiPath<(String, String)>,
) -> ApiResult<axum::Json<SummaryViewDto>> {
    Ok(axum::Json(s.services.summaries.get(&who, &store_code(&store)?, &period).await?.into()))
}

/// Submits a finished period's summary with the written report; archived and never changed (FU-9).
#[utoipa::path(post, path = "/v1/stores/{store}/summaries", tag = "follow-up",
    params(StoreParam),
    request_body = SubmitSummary,
    responses((status = 201, description = "Archived", body = SummaryDto)))]
async fn submit_summary(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiJson(cmd): ApiJson<SubmitSummary>,
) -> ApiResult<(StatusCode, axum::Json<SummaryDto>)> {
    let summary = s.services.summaries.submit(&who, &store_code(&store)?, cmd).await?;
    Ok((StatusCode::CREATED, axum::Json(summary.into())))
}

/// Analytics parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AnalyticsQuery {
    /// `YYYY-MM` or `YYYY`.
    #[param(pattern = r"^[0-9]{4}(-[0-9]{2})?$")]
    period: String,
    /// Comma-separated store codes; default every store the token reaches.
    #[param(pattern = r"^[A-Za-z0-9_,-]*$")]
    stores: Option<String>,
}

/// Follow-up figures per store for headquarters: FU-9 figures, SLA compliance for FU-1, FU-2 and
/// FU-6, and comebacks (WO-9). No personal data. `hq_analyst` tokens.
#[utoipa::path(get, path = "/v1/analytics/follow-up", tag = "analytics", params(AnalyticsQuery),
    responses((status = 200, description = "One entry per store", body = FollowUpAnalytics)))]
async fn follow_up_analytics(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<axum::Json<FollowUpAnalytics>> {
    let stores: Option<Vec<StoreCode>> = match q.stores.as_deref().filter(|s| !s.is_empty()) {
        Some(list) => Some(
            list.split(',')
                .map(|c| StoreCode::parse(c).map_err(|e| ApiError::invalid("stores", e)))
                .collect::<Result<_, _>>()?,
        ),
        None => None,
    };
    let figures = s.services.summaries.headquarters(&who, stores.as_deref(), &q.period).await?;
    Ok(axum::Json(FollowUpAnalytics { stores: figures.into_iter().map(Into::into).collect() }))
}

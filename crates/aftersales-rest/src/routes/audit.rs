//! `/v1/stores/{store}/audit-events` (GEN-1).

use aftersales_domain::model::audit::AuditFilter;
use aftersales_domain::value::non_empty;
use axum::extract::State;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::AppState;
use crate::dto::AuditEventList;
use crate::error::ApiResult;
use crate::extract::{ApiPath, ApiQuery, Caller, PageParams, store_code};
use crate::params::*;

/// Routes for the audit trail.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_audit_events))
}

/// Audit trail filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct AuditQuery {
    /// Only this kind of record (`customer`, `vehicle`, `store`, `staff`).
    #[param(max_length = 32, pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$")]
    resource_type: Option<String>,
    /// Only this record.
    #[param(max_length = 64, pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$")]
    resource_id: Option<String>,
    /// Only this actor (staff id).
    #[param(max_length = 64, pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$")]
    actor: Option<String>,
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

/// Lists a store's audit events, oldest first (supervisor).
#[utoipa::path(get, path = "/v1/stores/{store}/audit-events", tag = "audit",
    params(StoreParam, AuditQuery),
    responses((status = 200, description = "A page of audit events", body = AuditEventList)))]
async fn list_audit_events(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<axum::Json<AuditEventList>> {
    let page =
        PageParams { page_size: q.page_size, page_token: q.page_token, updated_since: q.updated_since }
            .request()?;
    let filter = AuditFilter {
        resource_type: non_empty(q.resource_type),
        resource_id: non_empty(q.resource_id),
        actor: non_empty(q.actor),
    };
    Ok(axum::Json(s.services.audit.list(&who, &store_code(&store)?, &filter, &page).await?.into()))
}

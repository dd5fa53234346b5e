//! `/v1/stores/{store}/follow-up-tasks` and `/contact-records` (FU-1..FU-5).

use aftersales_domain::app::RecordContact;
use aftersales_domain::model::follow_up::{TaskId, TaskStatus};
use aftersales_domain::ports::{ContactFilter, TaskFilter};
use aftersales_domain::value::CustomerId;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::AppState;
use crate::dto::{
    ContactRecordDto, ContactRecordList, FollowUpTaskDto, FollowUpTaskList, Worklist, WorklistItemDto,
};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, IdemKey, PageParams, store_code};

/// Routes for the follow-up service.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tasks))
        .routes(routes!(worklist))
        .routes(routes!(get_task))
        .routes(routes!(record_contact, list_contacts))
}

/// Task filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct TaskQuery {
    /// Only this agent's (staff id).
    #[param(max_length = 64, pattern = r"^[^\s/]*$")]
    assignee: Option<String>,
    /// Only in this state.
    status: Option<TaskStatus>,
    /// Only this customer's.
    customer_id: Option<Uuid>,
    /// Page size (1–500, default 50).
    #[param(minimum = 0, maximum = 500)]
    page_size: Option<i64>,
    /// Token of the next page.
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    page_token: Option<String>,
}

/// Lists follow-up tasks.
#[utoipa::path(get, path = "/v1/stores/{store}/follow-up-tasks", tag = "follow-up",
    params(("store" = String, Path, description = "Store code", pattern = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,15}$"), TaskQuery),
    responses((status = 200, description = "A page of tasks", body = FollowUpTaskList)))]
async fn list_tasks(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(q): ApiQuery<TaskQuery>,
) -> ApiResult<axum::Json<FollowUpTaskList>> {
    let page = PageParams { page_size: q.page_size, page_token: q.page_token }.request()?;
    let filter = TaskFilter {
        assignee: aftersales_domain::value::non_empty(q.assignee),
        status: q.status,
        due_by: None,
        customer_id: q.customer_id.map(CustomerId),
    };
    Ok(axum::Json(s.services.follow_ups.list_tasks(&who, &store_code(&store)?, &filter, &page).await?.into()))
}

/// Worklist parameters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct WorklistQuery {
    /// The agent (default: the caller).
    #[param(max_length = 64, pattern = r"^[^\s/]*$")]
    agent: Option<String>,
    /// The store-local day (default: today).
    day: Option<NaiveDate>,
}

/// An agent's open tasks due or overdue on a day, deadline first, with the next call time inside
/// the store's call hours (FU-5).
#[utoipa::path(get, path = "/v1/stores/{store}/follow-up-tasks/worklist", tag = "follow-up",
    params(("store" = String, Path, description = "Store code", pattern = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,15}$"), WorklistQuery),
    responses((status = 200, description = "The worklist", body = Worklist)))]
async fn worklist(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(q): ApiQuery<WorklistQuery>,
) -> ApiResult<axum::Json<Worklist>> {
    let agent = aftersales_domain::value::non_empty(q.agent);
    let items = s.services.follow_ups.worklist(&who, &store_code(&store)?, agent.as_deref(), q.day).await?;
    Ok(axum::Json(Worklist {
        items: items
            .into_iter()
            .map(|i| WorklistItemDto {
                task: i.task.into(),
                overdue: i.overdue,
                next_call_at: i.next_call_at,
            })
            .collect(),
    }))
}

/// Reads a follow-up task.
#[utoipa::path(get, path = "/v1/stores/{store}/follow-up-tasks/{task_id}", tag = "follow-up",
    params(("store" = String, Path, description = "Store code", pattern = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,15}$"),
           ("task_id" = Uuid, Path, description = "Task id", pattern = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")),
    responses((status = 200, description = "The task", body = FollowUpTaskDto)))]
async fn get_task(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
) -> ApiResult<axum::Json<FollowUpTaskDto>> {
    let id = TaskId::parse("task_id", &id)?;
    Ok(axum::Json(s.services.follow_ups.get_task(&who, &store_code(&store)?, id).await?.into()))
}

/// Records a contact; `completes_task` closes the task, and a completed first follow-up creates
/// the second (FU-2, FU-4).
#[utoipa::path(post, path = "/v1/stores/{store}/contact-records", tag = "follow-up",
    params(("store" = String, Path, description = "Store code", pattern = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,15}$"),
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried record safe", pattern = r"^[!-~]{1,255}$")),
    request_body = RecordContact,
    responses((status = 201, description = "Recorded", body = ContactRecordDto)))]
async fn record_contact(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    IdemKey(key): IdemKey,
    ApiJson(cmd): ApiJson<RecordContact>,
) -> ApiResult<(StatusCode, axum::Json<ContactRecordDto>)> {
    let record = s.services.follow_ups.record_contact(&who, &store_code(&store)?, cmd, key).await?;
    Ok((StatusCode::CREATED, axum::Json(record.into())))
}

/// Contact register filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ContactQuery {
    /// Only this customer's.
    customer_id: Option<Uuid>,
    /// Only this task's.
    task_id: Option<Uuid>,
    /// Only this agent's.
    #[param(max_length = 64, pattern = r"^[^\s/]*$")]
    agent: Option<String>,
    /// Page size (1–500, default 50).
    #[param(minimum = 0, maximum = 500)]
    page_size: Option<i64>,
    /// Token of the next page.
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    page_token: Option<String>,
}

/// Lists contact records, oldest first (the register, FU-4).
#[utoipa::path(get, path = "/v1/stores/{store}/contact-records", tag = "follow-up",
    params(("store" = String, Path, description = "Store code", pattern = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,15}$"), ContactQuery),
    responses((status = 200, description = "A page of contact records", body = ContactRecordList)))]
async fn list_contacts(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(q): ApiQuery<ContactQuery>,
) -> ApiResult<axum::Json<ContactRecordList>> {
    let page = PageParams { page_size: q.page_size, page_token: q.page_token }.request()?;
    let filter = ContactFilter {
        customer_id: q.customer_id.map(CustomerId),
        task_id: q.task_id.map(TaskId),
        agent: aftersales_domain::value::non_empty(q.agent),
    };
    Ok(axum::Json(
        s.services.follow_ups.list_contacts(&who, &store_code(&store)?, &filter, &page).await?.into(),
    ))
}

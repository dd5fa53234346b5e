//! `/v1/stores/{store}/follow-up-tasks` and `/contact-records` (FU-1..FU-5).

use aftersales_domain::app::{
    CloseUnreachable, OpenComplaint, ReassignTasks, RecordContact, ResolveComplaint,
};
use aftersales_domain::app::{CreateCampaign, RecordVisit, SendLetter};
use aftersales_domain::model::follow_up::{ComplaintId, ComplaintStatus, TaskId, TaskStatus};
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
use crate::dto::{CampaignDto, ComplaintDto, ComplaintList, LetterDto, LetterList};
use crate::dto::{
    ContactRecordDto, ContactRecordList, FollowUpTaskDto, FollowUpTaskList, Worklist, WorklistItemDto,
};
use crate::error::ApiResult;
use crate::extract::{ApiJson, ApiPath, ApiQuery, Caller, IdemKey, IfMatch, PageParams, store_code};
use crate::params::*;

/// Routes for the follow-up service.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tasks))
        .routes(routes!(worklist))
        .routes(routes!(get_task))
        .routes(routes!(record_contact, list_contacts))
        .routes(routes!(export_contacts))
        .routes(routes!(close_unreachable))
        .routes(routes!(reassign))
        .routes(routes!(create_campaign))
        .routes(routes!(record_visit))
        .routes(routes!(send_letter, list_letters))
        .routes(routes!(open_complaint, list_complaints))
        .routes(routes!(get_complaint))
        .routes(routes!(resolve_complaint))
        .routes(routes!(notify_complaint_customer))
        .routes(routes!(close_complaint))
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
    /// Only records changed after this instant (RFC 3339), for incremental sync.
    #[param(value_type = Option<String>, format = DateTime)]
    updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// Lists follow-up tasks.
#[utoipa::path(get, path = "/v1/stores/{store}/follow-up-tasks", tag = "follow-up",
    params(StoreParam, TaskQuery),
    responses((status = 200, description = "A page of tasks", body = FollowUpTaskList)))]
async fn list_tasks(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(q): ApiQuery<TaskQuery>,
) -> ApiResult<axum::Json<FollowUpTaskList>> {
    let page =
        PageParams { page_size: q.page_size, page_token: q.page_token, updated_since: q.updated_since }
            .request()?;
    let filter = TaskFilter {
        assignee: aftersales_domain::value::non_empty(q.assignee),
        status: q.status,
        due_by: None,
        customer_id: q.customer_id.map(CustomerId),
        due_within: None,
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
    /// Page size (1–500, default 50).
    #[param(minimum = 0, maximum = 500)]
    page_size: Option<i64>,
    /// Token of the next page.
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    page_token: Option<String>,
}

/// An agent's plan for a day (FU-5): the open tasks due or overdue that the day's call slots hold,
/// most urgent first, each planned in a slot, in the order of the calls; paged.
#[utoipa::path(get, path = "/v1/stores/{store}/follow-up-tasks/worklist", tag = "follow-up",
    params(StoreParam, WorklistQuery),
    responses((status = 200, description = "The worklist", body = Worklist)))]
async fn worklist(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(q): ApiQuery<WorklistQuery>,
) -> ApiResult<axum::Json<Worklist>> {
    let agent = aftersales_domain::value::non_empty(q.agent);
    // A day's plan, not a record list: it has no `updated_since`.
    let page =
        PageParams { page_size: q.page_size, page_token: q.page_token, updated_since: None }.request()?;
    let plan =
        s.services.follow_ups.worklist(&who, &store_code(&store)?, agent.as_deref(), q.day, &page).await?;
    Ok(axum::Json(Worklist {
        next_page_token: plan.next_page_token.unwrap_or_default(),
        items: plan
            .items
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
    params(StoreParam,
           TaskParam),
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
    params(StoreParam,
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
    /// Only records changed after this instant (RFC 3339), for incremental sync.
    #[param(value_type = Option<String>, format = DateTime)]
    updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

/// Lists contact records, oldest first (the register, FU-4).
#[utoipa::path(get, path = "/v1/stores/{store}/contact-records", tag = "follow-up",
    params(StoreParam, ContactQuery),
    responses((status = 200, description = "A page of contact records", body = ContactRecordList)))]
async fn list_contacts(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(q): ApiQuery<ContactQuery>,
) -> ApiResult<axum::Json<ContactRecordList>> {
    let page =
        PageParams { page_size: q.page_size, page_token: q.page_token, updated_since: q.updated_since }
            .request()?;
    let filter = ContactFilter {
        customer_id: q.customer_id.map(CustomerId),
        task_id: q.task_id.map(TaskId),
        agent: aftersales_domain::value::non_empty(q.agent),
        contacted_within: None,
    };
    Ok(axum::Json(
        s.services.follow_ups.list_contacts(&who, &store_code(&store)?, &filter, &page).await?.into(),
    ))
}

/// Raises a complaint; `solved_on_the_spot` resolves it and records that the customer was told (FU-6).
#[utoipa::path(post, path = "/v1/stores/{store}/complaints", tag = "follow-up",
    params(StoreParam,
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe", pattern = r"^[!-~]{1,255}$")),
    request_body = OpenComplaint,
    responses((status = 201, description = "Raised", body = ComplaintDto)))]
async fn open_complaint(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    IdemKey(key): IdemKey,
    ApiJson(cmd): ApiJson<OpenComplaint>,
) -> ApiResult<(StatusCode, axum::Json<ComplaintDto>)> {
    let complaint = s.services.complaints.open(&who, &store_code(&store)?, cmd, key).await?;
    Ok((StatusCode::CREATED, axum::Json(complaint.into())))
}

/// Complaint filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ComplaintQuery {
    /// Only in this state (`escalated`: the supervisor's list).
    status: Option<ComplaintStatus>,
    /// Supervisor only: unresolved complaints that escalate within a day or already did (FU-6).
    escalating: Option<bool>,
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

/// Lists complaints.
#[utoipa::path(get, path = "/v1/stores/{store}/complaints", tag = "follow-up",
    params(StoreParam, ComplaintQuery),
    responses((status = 200, description = "A page of complaints", body = ComplaintList)))]
async fn list_complaints(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(q): ApiQuery<ComplaintQuery>,
) -> ApiResult<axum::Json<ComplaintList>> {
    let page =
        PageParams { page_size: q.page_size, page_token: q.page_token, updated_since: q.updated_since }
            .request()?;
    Ok(axum::Json(
        s.services
            .complaints
            .list(&who, &store_code(&store)?, q.status, q.escalating.unwrap_or(false), &page)
            .await?
            .into(),
    ))
}

fn complaint_ids(
    store: &str,
    id: &str,
) -> Result<(aftersales_domain::value::StoreCode, ComplaintId), crate::error::ApiError> {
    Ok((store_code(store)?, ComplaintId::parse("complaint_id", id)?))
}

/// Reads a complaint with its whole history.
#[utoipa::path(get, path = "/v1/stores/{store}/complaints/{complaint_id}", tag = "follow-up",
    params(StoreParam,
           ComplaintParam),
    responses((status = 200, description = "The complaint", body = ComplaintDto)))]
async fn get_complaint(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
) -> ApiResult<axum::Json<ComplaintDto>> {
    let (store, id) = complaint_ids(&store, &id)?;
    Ok(axum::Json(s.services.complaints.get(&who, &store, id).await?.into()))
}

/// Records the solution (FU-6).
#[utoipa::path(post, path = "/v1/stores/{store}/complaints/{complaint_id}/resolve", tag = "follow-up",
    params(StoreParam,
           ComplaintParam,
           ("If-Match" = Option<String>, Header, description = "Refuse if it changed since this etag", pattern = r#"^(\*|(W/)?"?v[0-9]{1,18}"?)$"#)),
    request_body = ResolveComplaint,
    responses((status = 200, description = "Resolved", body = ComplaintDto)))]
async fn resolve_complaint(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    IfMatch(etag): IfMatch,
    ApiJson(cmd): ApiJson<ResolveComplaint>,
) -> ApiResult<axum::Json<ComplaintDto>> {
    let (store, id) = complaint_ids(&store, &id)?;
    Ok(axum::Json(s.services.complaints.resolve(&who, &store, id, cmd, etag).await?.into()))
}

/// Records that the customer was told; a later store day than the solution is flagged as a breach (FU-6).
#[utoipa::path(post, path = "/v1/stores/{store}/complaints/{complaint_id}/notify-customer", tag = "follow-up",
    params(StoreParam,
           ComplaintParam,
           ("If-Match" = Option<String>, Header, description = "Refuse if it changed since this etag", pattern = r#"^(\*|(W/)?"?v[0-9]{1,18}"?)$"#)),
    responses((status = 200, description = "Recorded", body = ComplaintDto)))]
async fn notify_complaint_customer(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    IfMatch(etag): IfMatch,
) -> ApiResult<axum::Json<ComplaintDto>> {
    let (store, id) = complaint_ids(&store, &id)?;
    Ok(axum::Json(s.services.complaints.notify_customer(&who, &store, id, etag).await?.into()))
}

/// Closes a resolved complaint the customer was told about, creating the return-visit task (FU-6).
#[utoipa::path(post, path = "/v1/stores/{store}/complaints/{complaint_id}/close", tag = "follow-up",
    params(StoreParam,
           ComplaintParam,
           ("If-Match" = Option<String>, Header, description = "Refuse if it changed since this etag", pattern = r#"^(\*|(W/)?"?v[0-9]{1,18}"?)$"#)),
    responses((status = 200, description = "Closed", body = ComplaintDto)))]
async fn close_complaint(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    IfMatch(etag): IfMatch,
) -> ApiResult<axum::Json<ComplaintDto>> {
    let (store, id) = complaint_ids(&store, &id)?;
    Ok(axum::Json(s.services.complaints.close(&who, &store, id, etag).await?.into()))
}

/// Closes a task as unreachable after attempts over the store's `unreachable_after_days`, with the
/// fallback SMS or letter on record (FU-5).
#[utoipa::path(post, path = "/v1/stores/{store}/follow-up-tasks/{task_id}/close-unreachable", tag = "follow-up",
    params(StoreParam,
           TaskParam,
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried close safe", pattern = r"^[!-~]{1,255}$")),
    request_body = CloseUnreachable,
    responses((status = 200, description = "Closed as unreachable", body = FollowUpTaskDto)))]
async fn close_unreachable(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath((store, id)): ApiPath<(String, String)>,
    IdemKey(key): IdemKey,
    ApiJson(cmd): ApiJson<CloseUnreachable>,
) -> ApiResult<axum::Json<FollowUpTaskDto>> {
    let id = TaskId::parse("task_id", &id)?;
    Ok(axum::Json(
        s.services.follow_ups.close_unreachable(&who, &store_code(&store)?, id, cmd, key).await?.into(),
    ))
}

/// Moves an absent agent's open tasks to another agent, or spreads them; never to the order's
/// advisor; each move is audited (FU-3). Supervisors.
#[utoipa::path(post, path = "/v1/stores/{store}/follow-up-tasks/reassign", tag = "follow-up",
    params(StoreParam),
    request_body = ReassignTasks,
    responses((status = 200, description = "The moved tasks", body = FollowUpTaskList)))]
async fn reassign(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiJson(cmd): ApiJson<ReassignTasks>,
) -> ApiResult<axum::Json<FollowUpTaskList>> {
    let moved = s.services.follow_ups.reassign(&who, &store_code(&store)?, cmd).await?.moved;
    Ok(axum::Json(FollowUpTaskList {
        follow_up_tasks: moved.into_iter().map(Into::into).collect(),
        next_page_token: String::new(),
    }))
}

/// Export filters.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// Only this customer's.
    customer_id: Option<Uuid>,
    /// Only this agent's.
    #[param(max_length = 64, pattern = r"^[^\s/]*$")]
    agent: Option<String>,
}

/// Exports the contact register (追踪服务登记表) as CSV, UTF-8 with a byte-order mark so Excel
/// opens the Chinese text correctly (FU-4). At most 10,000 rows.
#[utoipa::path(get, path = "/v1/stores/{store}/contact-records/export", tag = "follow-up",
    params(StoreParam, ExportQuery),
    responses((status = 200, description = "The register", content_type = "text/csv", body = String)))]
async fn export_contacts(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let store = store_code(&store)?;
    let filter = ContactFilter {
        customer_id: q.customer_id.map(CustomerId),
        task_id: None,
        agent: aftersales_domain::value::non_empty(q.agent),
        contacted_within: None,
    };
    let rows = s.services.follow_ups.export_contacts(&who, &store, &filter).await?;
    let internal = |e: String| crate::error::ApiError::from(aftersales_domain::DomainError::Internal(e));
    let mut out = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    out.write_record([
        "时间",
        "客户",
        "电话",
        "渠道",
        "方向",
        "结果",
        "话题",
        "满意度",
        "备注",
        "回访员",
        "任务",
    ])
    .map_err(|e| internal(e.to_string()))?;
    for (r, customer) in rows {
        let (name, phone) = customer.map_or((String::new(), String::new()), |c| {
            (c.customer.name.clone(), c.customer.phone.as_str().to_string())
        });
        out.write_record([
            r.contacted_at.to_rfc3339(),
            name,
            phone,
            serde_plain(&r.channel),
            serde_plain(&r.direction),
            serde_plain(&r.outcome),
            r.topics.join("；"),
            r.satisfaction.map(|n| n.to_string()).unwrap_or_default(),
            r.notes.unwrap_or_default(),
            r.agent,
            r.task_id.map(|t| t.to_string()).unwrap_or_default(),
        ])
        .map_err(|e| internal(e.to_string()))?;
    }
    let bytes = out.into_inner().map_err(|e| internal(e.to_string()))?;
    let disposition = format!("attachment; filename=\"contact-register-{store}.csv\"");
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

/// Renders an enum as its wire name.
fn serde_plain<T: serde::Serialize>(value: &T) -> String {
    if let Ok(serde_json::Value::String(s)) = serde_json::to_value(value) { s } else { String::new() }
}

/// Creates a campaign and a call task per invited customer, due at least 14 days before the event (FU-7). Supervisors.
#[utoipa::path(post, path = "/v1/stores/{store}/campaigns", tag = "follow-up",
    params(StoreParam,
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried create safe", pattern = r"^[!-~]{1,255}$")),
    request_body = CreateCampaign,
    responses((status = 201, description = "Created", body = CampaignDto)))]
async fn create_campaign(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    IdemKey(key): IdemKey,
    ApiJson(cmd): ApiJson<CreateCampaign>,
) -> ApiResult<(StatusCode, axum::Json<CampaignDto>)> {
    let campaign = s.services.follow_ups.create_campaign(&who, &store_code(&store)?, cmd, key).await?;
    Ok((StatusCode::CREATED, axum::Json(campaign.into())))
}

/// Records a visit or consultation; answers the first follow-up task it creates (FU-1).
#[utoipa::path(post, path = "/v1/stores/{store}/visits", tag = "follow-up",
    params(StoreParam,
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried record safe", pattern = r"^[!-~]{1,255}$")),
    request_body = RecordVisit,
    responses((status = 201, description = "The follow-up task", body = FollowUpTaskDto)))]
async fn record_visit(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    IdemKey(key): IdemKey,
    ApiJson(cmd): ApiJson<RecordVisit>,
) -> ApiResult<(StatusCode, axum::Json<FollowUpTaskDto>)> {
    let task = s.services.follow_ups.record_visit(&who, &store_code(&store)?, cmd, key).await?;
    Ok((StatusCode::CREATED, axum::Json(task.into())))
}

/// Registers a letter; one that fulfils a campaign letter task completes it (FU-7, FU-8).
#[utoipa::path(post, path = "/v1/stores/{store}/letters", tag = "follow-up",
    params(StoreParam,
           ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried record safe", pattern = r"^[!-~]{1,255}$")),
    request_body = SendLetter,
    responses((status = 201, description = "Registered", body = LetterDto)))]
async fn send_letter(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    IdemKey(key): IdemKey,
    ApiJson(cmd): ApiJson<SendLetter>,
) -> ApiResult<(StatusCode, axum::Json<LetterDto>)> {
    let letter = s.services.follow_ups.send_letter(&who, &store_code(&store)?, cmd, key).await?;
    Ok((StatusCode::CREATED, axum::Json(letter.into())))
}

/// Lists the letter register (FU-8).
#[utoipa::path(get, path = "/v1/stores/{store}/letters", tag = "follow-up",
    params(StoreParam, PageParams),
    responses((status = 200, description = "A page of letters", body = LetterList)))]
async fn list_letters(
    State(s): State<AppState>,
    Caller(who): Caller,
    ApiPath(store): ApiPath<String>,
    ApiQuery(page): ApiQuery<PageParams>,
) -> ApiResult<axum::Json<LetterList>> {
    Ok(axum::Json(
        s.services.follow_ups.list_letters(&who, &store_code(&store)?, &page.request()?).await?.into(),
    ))
}

//! problem+json (RFC 9457) answers, mapped exhaustively from the domain error.

use aftersales_domain::{DomainError, FieldError};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

tokio::task_local! {
    /// The trace id of the request being answered, set around each request by the server's
    /// telemetry layer, so a user can quote it from the error body.
    pub static TRACE_ID: String;
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// Stable machine code, e.g. `customer.not_found`.
    pub code: String,
    /// For bad input: each field and what is wrong with it.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(value_type = Vec<FieldErrorBody>)]
    pub errors: Vec<FieldError>,
    /// The W3C trace id of this request (the caller's `traceparent` continued, or a new one), to
    /// quote when reporting the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(pattern = "^[0-9a-f]{32}$")]
    pub trace_id: Option<String>,
}

/// One bad field.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldErrorBody {
    /// The field path as the client spelled it.
    pub field: String,
    /// What is wrong with it.
    pub message: String,
}

/// An error answer from a handler.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    problem: Box<Problem>,
    retry_after: Option<std::time::Duration>,
}

impl ApiError {
    /// Builds an answer for a failure that only the HTTP layer knows (413, 415, 405).
    pub fn http(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Self::build(status, code.to_string(), detail.into(), Vec::new())
    }

    /// Builds a 400 for one bad field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        DomainError::invalid(field, message).into()
    }

    fn build(status: StatusCode, code: String, detail: String, errors: Vec<FieldError>) -> Self {
        let title = status.canonical_reason().unwrap_or("Error").to_string();
        Self {
            status,
            problem: Box::new(Problem {
                kind: format!("urn:aftersales:problem:{code}"),
                title,
                status: status.as_u16(),
                detail,
                code,
                errors,
                trace_id: TRACE_ID.try_with(Clone::clone).ok(),
            }),
            retry_after: None,
        }
    }
}

/// Returns the HTTP status for a domain error, from the domain's one table.
pub fn status_of(err: &DomainError) -> StatusCode {
    StatusCode::from_u16(err.wire().http).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

impl From<DomainError> for ApiError {
    fn from(err: DomainError) -> Self {
        let status = status_of(&err);
        if status.is_server_error() {
            tracing::error!(error = %err, code = %err.code(), "request failed");
        }
        let mut answer = Self::build(status, err.code(), err.public_message(), err.field_errors().to_vec());
        answer.retry_after = err.retry_after();
        answer
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(*self.problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(wait) = self.retry_after {
            // Whole seconds, rounded up (RFC 9110): never tell a client to come back too early.
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        response
    }
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

//! problem+json (RFC 9457) answers, mapped exhaustively from the domain error.

use aftersales_domain::{DomainError, FieldError};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

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
            }),
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
        Self::build(status, err.code(), err.public_message(), err.field_errors().to_vec())
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
        response
    }
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

//! One module per resource, each with its own router.

pub mod appointments;
pub mod approval_links;
pub mod attachments;
pub mod audit;
pub mod customers;
pub mod events;
pub mod exports;
pub mod follow_ups;
pub mod imports;
pub mod messages;
pub mod ops;
pub mod stores;
pub mod summaries;
pub mod work_orders;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Answers a single resource with its `ETag` header.
pub(crate) fn with_etag<T: Serialize>(status: StatusCode, etag: &str, body: T) -> Response {
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("\"{etag}\"")) {
        response.headers_mut().insert(header::ETAG, value);
    }
    response
}

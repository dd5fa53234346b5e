//! Reading `multipart/form-data` uploads (attachments, import sheets): the form or a 415, a
//! malformed part as a 400 naming the body, and a file part read up to a limit (413 beyond it).

use aftersales_domain::DomainError;
use aftersales_domain::ports::Chunks;
use axum::extract::Multipart;
use axum::extract::multipart::{Field, MultipartError, MultipartRejection};
use axum::http::StatusCode;

use crate::error::ApiError;

/// The form, or 415 for a request that is not `multipart/form-data`.
pub(crate) fn form(form: Result<Multipart, MultipartRejection>) -> Result<Multipart, ApiError> {
    form.map_err(|e| {
        ApiError::http(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("send multipart/form-data: {}", e.body_text()),
        )
    })
}

/// A malformed form. (No body limit applies to upload routes: sizes are checked as parts are
/// read.)
pub(crate) fn malformed(e: MultipartError) -> ApiError {
    ApiError::invalid("body", malformed_text(&e))
}

/// A file part's bytes, at most `limit` of them; beyond it 413, after the rest of the part is
/// drained (up to a bound), so that the client, still sending, gets the answer rather than a
/// connection cut mid-request.
pub(crate) async fn read_file(mut field: Field<'_>, limit: usize) -> Result<Vec<u8>, ApiError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(malformed)? {
        if bytes.len() + chunk.len() > limit {
            drain(field, bytes.len() + chunk.len()).await;
            return Err(ApiError::from(DomainError::TooLarge { limit }));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// A file part's bytes as they arrive, for the object store to take piece by piece.
pub(crate) fn chunks<'a>(field: &'a mut Field<'_>) -> Chunks<'a> {
    Box::pin(futures_util::stream::unfold(Some(field), |field| async move {
        let field = field?;
        match field.chunk().await {
            Ok(Some(chunk)) => Some((Ok(chunk.to_vec()), Some(field))),
            Ok(None) => None,
            // The stream ends after its error.
            Err(e) => Some((Err(DomainError::invalid("body", malformed_text(&e))), None)),
        }
    }))
}

/// Why a form is malformed, in the client's words.
fn malformed_text(e: &MultipartError) -> String {
    format!("malformed multipart/form-data: {}", e.body_text())
}

/// Reads and drops the rest of an oversized part, up to a bound.
pub(crate) async fn drain(mut field: Field<'_>, mut seen: usize) {
    /// Beyond this the connection is cut: nobody sends a file that large in good faith.
    const DRAIN_BOUND: usize = 64 * 1024 * 1024;
    while seen < DRAIN_BOUND {
        match field.chunk().await {
            Ok(Some(chunk)) => seen += chunk.len(),
            Ok(None) | Err(_) => break,
        }
    }
}

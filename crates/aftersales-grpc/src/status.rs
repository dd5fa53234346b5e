//! Maps domain errors to gRPC statuses with `google.rpc.ErrorInfo` and `BadRequest` details.

use std::collections::HashMap;

use aftersales_domain::DomainError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The ErrorInfo domain of every error this service returns.
pub const ERROR_DOMAIN: &str = "aftersales";

/// Returns the gRPC code for a domain error (API.md table).
pub fn code_of(err: &DomainError) -> Code {
    match err {
        DomainError::Invalid(_) | DomainError::IdempotencyKeyReused => Code::InvalidArgument,
        DomainError::Unauthenticated(_) => Code::Unauthenticated,
        DomainError::PermissionDenied { .. } => Code::PermissionDenied,
        DomainError::NotFound { .. } => Code::NotFound,
        DomainError::AlreadyExists { .. } => Code::AlreadyExists,
        DomainError::FailedPrecondition { .. } => Code::FailedPrecondition,
        DomainError::StaleEtag { .. } => Code::Aborted,
        DomainError::Unavailable(_) => Code::Unavailable,
        DomainError::Internal(_) => Code::Internal,
    }
}

/// Converts a domain error into a status carrying its stable code and field violations.
pub fn to_status(err: DomainError) -> Status {
    let code = code_of(&err);
    if matches!(code, Code::Internal | Code::Unavailable) {
        tracing::error!(error = %err, code = %err.code(), "rpc failed");
    }
    let mut details = ErrorDetails::with_error_info(err.code(), ERROR_DOMAIN, HashMap::new());
    for field in err.field_errors() {
        details.add_bad_request_violation(field.field.clone(), field.message.clone());
    }
    if matches!(err, DomainError::IdempotencyKeyReused) {
        details.add_bad_request_violation("request_id", "was already used with a different request");
    }
    Status::with_error_details(code, err.public_message(), details)
}

/// Builds an INVALID_ARGUMENT status for one field.
pub fn invalid(field: &str, message: impl Into<String>) -> Status {
    to_status(DomainError::invalid(field, message))
}

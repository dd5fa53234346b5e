//! Maps domain errors to gRPC statuses with `google.rpc.ErrorInfo` and `BadRequest` details.

use std::collections::HashMap;

use aftersales_domain::DomainError;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The ErrorInfo domain of every error this service returns.
pub const ERROR_DOMAIN: &str = "aftersales";

/// Returns the gRPC code for a domain error, from the domain's one table.
pub fn code_of(err: &DomainError) -> Code {
    Code::from_i32(err.wire().grpc)
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
        details.add_bad_request_violation("request_id", err.public_message());
    }
    if let Some(wait) = err.retry_after() {
        details.set_retry_info(Some(wait));
    }
    Status::with_error_details(code, err.public_message(), details)
}

/// Builds an INVALID_ARGUMENT status for one field.
pub fn invalid(field: &str, message: impl Into<String>) -> Status {
    to_status(DomainError::invalid(field, message))
}

#[cfg(test)]
mod tests {
    use aftersales_domain::error::grpc_code;
    use tonic::Code;

    #[test]
    fn the_domain_table_numbers_are_the_grpc_codes_they_name() {
        for (number, code) in [
            (grpc_code::INVALID_ARGUMENT, Code::InvalidArgument),
            (grpc_code::NOT_FOUND, Code::NotFound),
            (grpc_code::ALREADY_EXISTS, Code::AlreadyExists),
            (grpc_code::PERMISSION_DENIED, Code::PermissionDenied),
            (grpc_code::RESOURCE_EXHAUSTED, Code::ResourceExhausted),
            (grpc_code::FAILED_PRECONDITION, Code::FailedPrecondition),
            (grpc_code::ABORTED, Code::Aborted),
            (grpc_code::INTERNAL, Code::Internal),
            (grpc_code::UNAVAILABLE, Code::Unavailable),
            (grpc_code::UNAUTHENTICATED, Code::Unauthenticated),
        ] {
            assert_eq!(Code::from_i32(number), code);
        }
    }
}

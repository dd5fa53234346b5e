//! The error taxonomy shared by every layer; each front maps it exhaustively.

use serde::{Deserialize, Serialize};

/// A problem with one input field, named as the client spelled it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field path, e.g. `vehicles[0].vin`.
    pub field: String,
    /// What is wrong with it, in plain words.
    pub message: String,
}

impl FieldError {
    /// Creates a field error.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Every way a use case can fail; `code()` is stable and machine-readable.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum DomainError {
    /// The request is malformed; each offending field is named.
    #[error("invalid input: {}", summary(.0))]
    Invalid(Vec<FieldError>),
    /// No credentials, or credentials that do not verify.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// The caller's roles do not allow this action.
    #[error("permission denied: {action} needs one of the roles {allowed}")]
    PermissionDenied {
        /// The action that was refused.
        action: &'static str,
        /// The roles that may do it, for the message.
        allowed: String,
    },
    /// The record does not exist, or belongs to a store the caller cannot see.
    #[error("{resource} not found")]
    NotFound {
        /// The kind of record, e.g. `customer`.
        resource: &'static str,
    },
    /// A record with the same identity already exists.
    #[error("{resource} already exists: {detail}")]
    AlreadyExists {
        /// The kind of record.
        resource: &'static str,
        /// Which identity clashed.
        detail: String,
    },
    /// The record is not in a state that allows this step.
    #[error("{message}")]
    FailedPrecondition {
        /// Stable code, e.g. `odometer.reading_lower`.
        code: &'static str,
        /// What is wrong and what the current state is.
        message: String,
    },
    /// What the request names existed but is no longer valid (an approval link used, expired,
    /// revoked or outdated).
    #[error("{message}")]
    Gone {
        /// Stable code, e.g. `approval_link.expired`.
        code: &'static str,
        /// What happened and what to do.
        message: String,
    },
    /// An uploaded file is larger than the limit (WO-14).
    #[error("the file is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The limit, bytes.
        limit: usize,
    },
    /// An uploaded file is of a type not accepted (WO-14).
    #[error("the file's type is not accepted: send {accepted}")]
    UnsupportedType {
        /// What is accepted, for the message.
        accepted: &'static str,
    },
    /// The `If-Match` / `etag` the client sent is not the current one.
    #[error("{resource} was changed by someone else: current etag is {current}")]
    StaleEtag {
        /// The kind of record.
        resource: &'static str,
        /// The etag now stored.
        current: String,
    },
    /// The idempotency key was used before with a different request.
    #[error("idempotency key was already used with a different request")]
    IdempotencyKeyReused,
    /// The caller has spent its request budget; it may try again after `retry_after`.
    #[error("too many requests: try again in {} s", .retry_after.as_secs().max(1))]
    RateLimited {
        /// How long until the next request is allowed.
        retry_after: std::time::Duration,
    },
    /// The database (or another dependency) cannot be reached.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A fault that is not the caller's; details are logged, not returned.
    #[error("internal error: {0}")]
    Internal(String),
}

fn summary(errors: &[FieldError]) -> String {
    errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
}

impl DomainError {
    /// Builds an `Invalid` error for a single field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    /// Returns the stable machine code clients branch on.
    pub fn code(&self) -> String {
        match self {
            Self::Invalid(_) => "invalid_argument".into(),
            Self::Unauthenticated(_) => "unauthenticated".into(),
            Self::PermissionDenied { .. } => "permission_denied".into(),
            Self::NotFound { resource } => format!("{resource}.not_found"),
            Self::AlreadyExists { resource, .. } => format!("{resource}.already_exists"),
            Self::FailedPrecondition { code, .. } | Self::Gone { code, .. } => (*code).into(),
            Self::StaleEtag { .. } => "etag_mismatch".into(),
            Self::TooLarge { .. } => "payload_too_large".into(),
            Self::UnsupportedType { .. } => "unsupported_media_type".into(),
            Self::IdempotencyKeyReused => "idempotency_key.reused".into(),
            Self::RateLimited { .. } => "rate_limited".into(),
            Self::Unavailable(_) => "unavailable".into(),
            Self::Internal(_) => "internal".into(),
        }
    }

    /// How this error travels on each front: the one table both read (API.md, "Errors"), so
    /// the HTTP status and the gRPC code of an error cannot drift apart.
    pub fn wire(&self) -> Wire {
        use grpc_code::*;
        let (http, grpc) = match self {
            Self::Invalid(_) => (400, INVALID_ARGUMENT),
            Self::Unauthenticated(_) => (401, UNAUTHENTICATED),
            Self::PermissionDenied { .. } => (403, PERMISSION_DENIED),
            Self::NotFound { .. } => (404, NOT_FOUND),
            Self::AlreadyExists { .. } => (409, ALREADY_EXISTS),
            Self::FailedPrecondition { .. } => (409, FAILED_PRECONDITION),
            Self::Gone { .. } => (410, FAILED_PRECONDITION),
            Self::StaleEtag { .. } => (412, ABORTED),
            Self::TooLarge { .. } => (413, INVALID_ARGUMENT),
            Self::UnsupportedType { .. } => (415, INVALID_ARGUMENT),
            Self::IdempotencyKeyReused => (422, INVALID_ARGUMENT),
            Self::RateLimited { .. } => (429, RESOURCE_EXHAUSTED),
            Self::Unavailable(_) => (503, UNAVAILABLE),
            Self::Internal(_) => (500, INTERNAL),
        };
        Wire { http, grpc }
    }

    /// How long the caller should wait before trying again, when the error says so.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        if let Self::RateLimited { retry_after } = self { Some(*retry_after) } else { None }
    }

    /// Returns the field errors, if this is an input error.
    pub fn field_errors(&self) -> &[FieldError] {
        if let Self::Invalid(errors) = self { errors } else { &[] }
    }

    /// Returns a message safe to show a client (internal details withheld).
    pub fn public_message(&self) -> String {
        if let Self::Internal(_) = self {
            "internal error".into()
        } else if let Self::Unavailable(_) = self {
            "service unavailable, try again later".into()
        } else {
            self.to_string()
        }
    }
}

/// An error's status on each front.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wire {
    /// The HTTP status code.
    pub http: u16,
    /// The gRPC status code, as numbered by `google.rpc.Code`.
    pub grpc: i32,
}

/// The `google.rpc.Code` numbers the table uses (the domain knows no gRPC crate).
pub mod grpc_code {
    /// `INVALID_ARGUMENT`.
    pub const INVALID_ARGUMENT: i32 = 3;
    /// `NOT_FOUND`.
    pub const NOT_FOUND: i32 = 5;
    /// `ALREADY_EXISTS`.
    pub const ALREADY_EXISTS: i32 = 6;
    /// `PERMISSION_DENIED`.
    pub const PERMISSION_DENIED: i32 = 7;
    /// `RESOURCE_EXHAUSTED`.
    pub const RESOURCE_EXHAUSTED: i32 = 8;
    /// `FAILED_PRECONDITION`.
    pub const FAILED_PRECONDITION: i32 = 9;
    /// `ABORTED`.
    pub const ABORTED: i32 = 10;
    /// `INTERNAL`.
    pub const INTERNAL: i32 = 13;
    /// `UNAVAILABLE`.
    pub const UNAVAILABLE: i32 = 14;
    /// `UNAUTHENTICATED`.
    pub const UNAUTHENTICATED: i32 = 16;
}

/// The length limits of text fields, in characters. The OpenAPI schema states the same numbers
/// (`max_length` takes literals only), and `make fuzz-api` checks the two agree.
pub mod limits {
    /// A person's or a store's name.
    pub const NAME: usize = 100;
    /// A plate as sent, before spaces are dropped.
    pub const PLATE: usize = 16;
    /// A car's make, model or colour.
    pub const LABEL: usize = 50;
    /// One line: an address, a subject, a line's description.
    pub const LINE: usize = 200;
    /// A short note.
    pub const NOTE: usize = 500;
    /// Free text: a finding, a solution, a report of a call.
    pub const TEXT: usize = 2000;
    /// A summary's written report.
    pub const REPORT: usize = 20_000;
    /// A resource type.
    pub const KIND: usize = 32;
    /// A staff or resource id.
    pub const ID: usize = 64;
    /// The highest odometer reading taken as real, in km; the schema states it as `maximum`.
    pub const MAX_KM: u32 = 2_000_000;
}

/// Result alias for domain operations.
pub type Result<T, E = DomainError> = std::result::Result<T, E>;

/// Collects field errors so a request reports all its problems at once.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    /// Creates an empty validator.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records an error on `field`.
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// Returns the parsed value, or records its error under `field` and returns `None`.
    pub fn check<T>(&mut self, field: &str, parsed: Result<T, String>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(message) => {
                self.push(field, message);
                None
            }
        }
    }

    /// Checks a required name-like field: non-empty after trimming, at most `max` characters as
    /// sent (the schema's limit; padding is no way past it), no control characters; returns it
    /// trimmed.
    pub fn text(&mut self, field: &str, value: &str, max: usize) -> String {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            self.push(field, "must not be empty");
        } else {
            self.optional_text(field, Some(value), max);
        }
        trimmed.to_string()
    }

    /// Checks an optional free-text field: at most `max` characters, no control characters.
    pub fn optional_text(&mut self, field: &str, value: Option<&str>, max: usize) {
        let Some(text) = value else { return };
        if text.chars().count() > max {
            self.push(field, format!("must be at most {max} characters"));
        } else if crate::value::has_control_chars(text) {
            self.push(field, "must not contain control characters");
        }
    }

    /// Checks a distance in km: at most [`limits::MAX_KM`], as the schema says.
    pub fn km(&mut self, field: &str, value: Option<u32>) {
        if value.is_some_and(|km| km > limits::MAX_KM) {
            self.push(field, format!("must be at most {} km", limits::MAX_KM));
        }
    }

    /// Returns `Ok(())` when nothing was recorded, else every recorded error.
    pub fn finish(self) -> Result<()> {
        if self.errors.is_empty() { Ok(()) } else { Err(DomainError::Invalid(self.errors)) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_limit_counts_what_was_sent() {
        let mut v = Validator::new();
        assert_eq!(v.text("name", " 张伟 ", 4), "张伟");
        v.text("name", &format!("{}{}", "a".repeat(99), " ".repeat(5)), 100);
        assert_eq!(v.finish().map_err(|e| e.field_errors()[0].field.clone()), Err("name".to_string()));
    }
}

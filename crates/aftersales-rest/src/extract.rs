//! Extractors that turn a request into domain inputs, answering problem+json when they cannot.

use aftersales_domain::app::IdempotencyKey;
use aftersales_domain::auth::{Command, Principal};
use aftersales_domain::paging::PageRequest;
use aftersales_domain::value::{CustomerId, Etag, StoreCode, VehicleId};
use axum::RequestExt;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRef, FromRequest, FromRequestParts, Query, RawPathParams, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use bytes::Bytes;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;

use crate::AppState;
use crate::error::ApiError;

/// The authenticated caller (`Authorization: Bearer <JWT>`).
pub struct Caller(pub Principal);

impl<S> FromRequestParts<S> for Caller
where
    AppState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(who) = parts.extensions.get::<Principal>() {
            return Ok(Caller(who.clone()));
        }
        let state = AppState::from_ref(state);
        let header = parts.headers.get(header::AUTHORIZATION).map(|h| h.to_str().unwrap_or_default());
        let who = state.auth.authenticate(aftersales_domain::auth::bearer_token(header)?)?;
        // Kept for the body extractor, which checks the role before it reads the body.
        parts.extensions.insert(who.clone());
        Ok(Caller(who))
    }
}

/// The client's address as the connection shows it (approval decisions record it, WO-13).
pub struct ClientAddr(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(ClientAddr(peer.map(|c| c.0.ip().to_string())))
    }
}

/// A command's JSON body; errors name the offending field. The caller's role for the command is
/// checked first (the `Caller` extractor runs before it), so a caller that may not take an action
/// learns nothing of its body's shape.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned + Command,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(mut req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if let Some(who) = req.extensions().get::<Principal>().cloned() {
            let params = req.extract_parts::<RawPathParams>().await.ok();
            let store = params.as_ref().and_then(|p| p.iter().find(|(k, _)| *k == "store").map(|(_, v)| v));
            match store {
                Some(raw) => who.may::<T>(Some(&store_code(raw)?))?,
                None => who.may::<T>(None)?,
            }
        }
        let is_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .is_some_and(|mime| {
                let mime = mime.trim();
                mime == "application/json" || mime.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::http(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "request body must be application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_error)?;
        let mut value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::invalid("body", strip_position(&format!("malformed JSON: {e}"))))?;
        whole_numbers_as_integers(&mut value);
        match serde_path_to_error::deserialize(value) {
            Ok(value) => Ok(ApiJson(value)),
            Err(err) => {
                let path = err.path().to_string();
                let inner = err.into_inner();
                let field = if path == "." || path.is_empty() { "body".to_string() } else { path };
                let message = if inner.is_syntax() || inner.is_eof() {
                    format!("malformed JSON: {inner}")
                } else {
                    inner.to_string()
                };
                Err(ApiError::invalid(&field, strip_position(&message)))
            }
        }
    }
}

/// JSON has one number type: `7705.0` is the integer 7705 to JSON Schema, so an integer field
/// takes it. Whole floats become integers before the typed read; fractions stay as they are.
fn whole_numbers_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                && f.abs() < 9.0e15
            {
                // Exact in both types below 2^53; larger whole floats stay floats.
                *value = if f < 0.0 { Value::from(f as i64) } else { Value::from(f as u64) };
            }
        }
        Value::Array(items) => items.iter_mut().for_each(whole_numbers_as_integers),
        Value::Object(map) => map.values_mut().for_each(whole_numbers_as_integers),
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {}
    }
}

/// Drops serde's "at line 1 column 7" suffix, which means nothing to a client's field.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

fn body_error(rejection: BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::http(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "request body is too large")
    } else {
        ApiError::http(StatusCode::BAD_REQUEST, "invalid_argument", rejection.body_text())
    }
}

/// Query parameters; errors name the parameter.
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state).await.map(|Query(v)| ApiQuery(v)).map_err(|e| {
            ApiError::invalid("query", e.body_text().replace("Failed to deserialize query string: ", ""))
        })
    }
}

/// The optional `Idempotency-Key` header (GEN-2).
pub struct IdemKey(pub Option<IdempotencyKey>);

impl<S: Send + Sync> FromRequestParts<S> for IdemKey {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let raw = match parts.headers.get("idempotency-key") {
            None => return Ok(IdemKey(None)),
            Some(v) => {
                v.to_str().map_err(|_| ApiError::invalid("Idempotency-Key", "must be visible ASCII"))?
            }
        };
        Ok(IdemKey(Some(IdempotencyKey::parse_named("Idempotency-Key", raw)?)))
    }
}

/// The optional `If-Match` header (GEN-2); `*` means any version.
pub struct IfMatch(pub Option<Etag>);

impl<S: Send + Sync> FromRequestParts<S> for IfMatch {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let Some(value) = parts.headers.get(header::IF_MATCH) else {
            return Ok(IfMatch(None));
        };
        let raw = value.to_str().map_err(|_| ApiError::invalid("If-Match", "must be an etag"))?;
        // A header sent empty is not a precondition left out: HTTP has no empty If-Match.
        if raw.trim().is_empty() {
            return Err(ApiError::invalid("If-Match", "must be an etag or *"));
        }
        Ok(IfMatch(Etag::parse_condition("If-Match", Some(raw))?))
    }
}

/// `page_size` and `page_token`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// How many items at most (1–500, default 50).
    #[param(minimum = 0, maximum = 500)]
    pub page_size: Option<i64>,
    /// The `next_page_token` of the previous page.
    #[param(pattern = r"^[A-Za-z0-9_-]*$")]
    pub page_token: Option<String>,
    /// Only records changed after this instant (RFC 3339), for incremental sync.
    #[param(value_type = Option<String>, format = DateTime)]
    pub updated_since: Option<chrono::DateTime<chrono::Utc>>,
}

impl PageParams {
    /// Converts into a domain page request.
    pub fn request(&self) -> Result<PageRequest, ApiError> {
        Ok(PageRequest::parse(self.page_size, self.page_token.as_deref())?.changed_after(self.updated_since))
    }
}

/// Parses the `{store}` path segment.
pub fn store_code(raw: &str) -> Result<StoreCode, ApiError> {
    StoreCode::parse(raw).map_err(|e| ApiError::invalid("store", e))
}

/// Parses a customer id path segment.
pub fn customer_id(raw: &str) -> Result<CustomerId, ApiError> {
    Ok(CustomerId::parse("customer_id", raw)?)
}

/// Parses a vehicle id path segment.
pub fn vehicle_id(raw: &str) -> Result<VehicleId, ApiError> {
    Ok(VehicleId::parse("vehicle_id", raw)?)
}

/// Path parameters; a bad segment answers problem+json.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(v)| ApiPath(v))
            .map_err(|e| ApiError::invalid("path", e.body_text()))
    }
}

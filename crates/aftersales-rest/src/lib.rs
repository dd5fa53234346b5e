//! The REST/JSON front of Aftersales: axum routes that convert requests into domain commands,
//! call the shared application services, and answer JSON or problem+json.

mod contract;
pub mod dto;
pub mod error;
pub mod extract;
mod multipart;
mod params;
pub mod routes;

use std::sync::Arc;
use std::time::Duration;

use aftersales_domain::app::Services;
use aftersales_domain::auth::Authenticator;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi as _, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{ApiError, FieldErrorBody, Problem};

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The application services.
    pub services: Services,
    /// Verifies bearer tokens.
    pub auth: Arc<dyn Authenticator>,
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Aftersales API",
        description = "After-sales backend for 4S dealerships: stores and staff, customer files and vehicles, \
                       work orders from reception to delivery with inspections and the e-health upload, follow-up \
                       with complaints, campaigns, letters and summaries, messages to customers (SMS and WeChat) with their delivery, and PII-free headquarters figures. \
                       Every store-owned record lives under `/v1/stores/{store}`; a token never sees another store's data.",
        version = "1.0.0"
    ),
    components(schemas(Problem, FieldErrorBody)),
    tags(
        (name = "stores", description = "Stores and their settings"),
        (name = "staff", description = "Store staff lists"),
        (name = "customers", description = "Customer files (CF-1..CF-6)"),
        (name = "vehicles", description = "Vehicles on customer files"),
        (name = "audit", description = "The audit trail (GEN-1)"),
        (name = "work orders", description = "The reception-to-delivery workflow (WO-1..WO-11)"),
        (name = "inspections", description = "Entry, exit and rework inspections (IN-1..IN-3)"),
        (name = "follow-up", description = "Follow-up tasks, contacts, complaints and summaries (FU-1..FU-9)"),
        (name = "appointments", description = "Service capacity, availability and bookings (AP-1..AP-5)"),
        (name = "approval", description = "The customer's approval link: the token alone, no JWT (WO-13)"),
        (name = "messages", description = "Messages to customers: SMS and WeChat with consent, call hours, templates and delivery receipts"),
        (name = "analytics", description = "Headquarters figures, no personal data (HQ-1)"),
        (name = "operations", description = "Probes"),
    )
)]
struct ApiDoc;

/// Adds the bearer scheme and the problem+json answers every operation can give.
struct ApiConventions;

const ERROR_ANSWERS: &[(&str, &str)] = &[
    ("400", "Bad input; `errors` names each field"),
    ("401", "No token, or a token that does not verify"),
    ("403", "The token's roles do not allow this"),
    ("404", "Not found, or in a store the token does not reach"),
    ("409", "Already exists, or the record's state forbids this step"),
    ("412", "The `If-Match` etag is stale"),
    ("413", "Request body too large"),
    ("415", "Request body is not JSON"),
    ("422", "Idempotency key reused with a different request"),
    ("429", "Over the caller's request budget; `Retry-After` says when to come back"),
    ("500", "Internal error"),
    ("503", "Database unavailable"),
];

/// The name under `components/responses` of the error answer with `status`.
fn error_answer(status: &str) -> String {
    format!("Error{status}")
}

impl Modify for ApiConventions {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("JWT").build(),
            ),
        );
        // Each error answer is written once under `components/responses` and referenced from every
        // operation: inline, the document held a copy per operation and answer (about 1,800).
        for (status, description) in ERROR_ANSWERS {
            let schema = RefOr::Ref(utoipa::openapi::Ref::from_schema_name(Problem::name()));
            let answer = ResponseBuilder::new()
                .description(*description)
                .content("application/problem+json", ContentBuilder::new().schema(Some(schema)).build())
                .build();
            components.responses.insert(error_answer(status), RefOr::T(answer));
        }
        for item in openapi.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post, &mut item.patch, &mut item.put, &mut item.delete]
                .into_iter()
                .flatten()
            {
                let public = op
                    .security
                    .as_ref()
                    .is_some_and(|s| s.iter().all(|r| r == &SecurityRequirement::default()));
                if !public {
                    op.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
                }
                for (status, _) in ERROR_ANSWERS {
                    op.responses.responses.entry((*status).to_string()).or_insert_with(|| {
                        RefOr::Ref(utoipa::openapi::Ref::from_response_name(error_answer(status)))
                    });
                }
            }
        }
    }
}

/// Builds the routes and the OpenAPI document that describes them, before the contract's
/// conventions ([`contract::tighten`]) are applied.
fn routes() -> (Router<AppState>, OpenApi) {
    let (router, mut api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::ops::router())
        .merge(routes::stores::router())
        .merge(routes::customers::router())
        .merge(routes::audit::router())
        .merge(routes::work_orders::router())
        .merge(routes::follow_ups::router())
        .merge(routes::summaries::router())
        .merge(routes::events::router())
        .merge(routes::appointments::router())
        .merge(routes::approval_links::router())
        .merge(routes::attachments::router())
        .merge(routes::messages::router())
        .merge(routes::imports::router())
        .merge(routes::exports::router())
        .split_for_parts();
    // Applied after the merge: the derive's own modifiers run before any route is known.
    ApiConventions.modify(&mut api);
    (router, api)
}

/// Returns the OpenAPI document (for `aftersales openapi` and tests).
pub fn openapi() -> OpenApi {
    contract::tighten(routes().1)
}

/// The OpenAPI document as the server serves it: JSON written once at startup. The document is
/// built, tightened as JSON and dropped here, so the server never holds it as a structure beside
/// its text (that copy and a second round trip were the process's high-water mark).
fn openapi_json(api: OpenApi) -> axum::body::Bytes {
    // Serializing a generated document cannot fail (its map keys are strings); `null` would show it.
    let mut doc = serde_json::to_value(&api).unwrap_or_default();
    drop(api);
    contract::tighten_document(&mut doc);
    axum::body::Bytes::from(doc.to_string())
}

/// Builds the complete REST application: routes, docs, and the middleware every answer needs
/// (panics and deadlines answered as problem+json, the body limit). Request ids, spans and
/// metrics are the server's: it wraps both fronts in the same layers.
pub fn app(state: AppState) -> Router {
    let (router, api) = routes();
    let document = openapi_json(api);
    let served = move || {
        let document = document.clone();
        async move { ([(axum::http::header::CONTENT_TYPE, "application/json")], document) }
    };
    router
        .route("/openapi.json", axum::routing::get(served))
        .merge(SwaggerUi::new("/docs").config(utoipa_swagger_ui::Config::from("/openapi.json")))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
        .layer(
            ServiceBuilder::new()
                .layer(CatchPanicLayer::custom(|_| {
                    ApiError::from(aftersales_domain::DomainError::Internal("handler panicked".into()))
                        .into_response()
                }))
                .layer(TimeoutLayer::with_status_code(
                    StatusCode::SERVICE_UNAVAILABLE,
                    Duration::from_secs(30),
                ))
                .layer(DefaultBodyLimit::max(MAX_BODY_BYTES)),
        )
}

async fn not_found() -> Response {
    ApiError::http(StatusCode::NOT_FOUND, "not_found", "no such route").into_response()
}

async fn method_not_allowed() -> Response {
    ApiError::http(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "method not allowed on this route")
        .into_response()
}

//! The Aftersales domain: value types, entities, rules, the permission table, ports and the
//! application services that both fronts (REST and gRPC) call.
//!
//! Nothing here knows about HTTP, gRPC or SQL; CI checks that with `cargo tree`.

pub mod app;
pub mod auth;
pub mod error;
pub mod model;
pub mod paging;
pub mod ports;
pub mod value;

pub use error::{DomainError, FieldError, Result};

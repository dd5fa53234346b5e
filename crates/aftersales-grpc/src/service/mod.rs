//! Service adapters: each method converts, calls the application service, converts back.

mod analytics;
mod appointments;
mod approval_links;
mod attachments;
mod customers;
mod events;
mod follow_ups;
mod imports;
mod messages;
mod stores;
mod work_orders;
mod workshop;

use std::sync::Arc;

use aftersales_domain::app::Services;
use aftersales_domain::auth::{Authenticator, Command, Principal};
use aftersales_domain::value::StoreCode;
use tonic::{Request, Status};

use crate::status::to_status;

/// Implements every generated service trait on the shared application services.
#[derive(Clone)]
pub struct Adapter {
    pub(crate) services: Services,
    pub(crate) auth: Arc<dyn Authenticator>,
}

impl Adapter {
    /// Authenticates the `authorization: Bearer <JWT>` metadata.
    pub(crate) fn caller<T>(&self, req: &Request<T>) -> Result<Principal, Status> {
        let header = req.metadata().get("authorization").map(|v| v.to_str().unwrap_or_default());
        let token = aftersales_domain::auth::bearer_token(header).map_err(to_status)?;
        self.auth.authenticate(token).map_err(to_status)
    }
}

/// Checks the caller's role for a command before its fields are converted, so a caller learns
/// nothing of the shape of an action it may not take (the service checks it again).
pub(crate) fn may<C: Command>(who: &Principal, store: Option<&StoreCode>) -> Result<(), Status> {
    who.may::<C>(store).map_err(to_status)
}

/// Shorthand for a unary answer.
pub(crate) type Answer<T> = Result<tonic::Response<T>, Status>;

/// Wraps a domain result as a unary answer.
pub(crate) fn answer<D, P: From<D>>(result: aftersales_domain::Result<D>) -> Answer<P> {
    result.map(|d| tonic::Response::new(P::from(d))).map_err(to_status)
}

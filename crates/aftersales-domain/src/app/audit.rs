//! Reading the audit trail (GEN-1).

use std::sync::Arc;

use super::Core;
use crate::Result;
use crate::auth::{Action, Principal};
use crate::error::Validator;
use crate::model::audit::{AuditEvent, AuditFilter};
use crate::paging::{Page, PageRequest};
use crate::value::StoreCode;

/// Reads the audit trail of a store.
#[derive(Clone)]
pub struct AuditService {
    core: Arc<Core>,
}

impl AuditService {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// Lists a store's audit events, oldest first (supervisors).
    pub async fn list(
        &self,
        who: &Principal,
        store: &StoreCode,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEvent>> {
        who.authorize(Action::ReadAudit, store, "store")?;
        let mut v = Validator::new();
        v.optional_text("resource_type", filter.resource_type.as_deref(), crate::error::limits::KIND);
        v.optional_text("resource_id", filter.resource_id.as_deref(), crate::error::limits::ID);
        v.optional_text("actor", filter.actor.as_deref(), crate::error::limits::ID);
        v.finish()?;
        self.core.store(who, store).await?;
        self.core.repo.list_audit(store, filter, page).await
    }
}

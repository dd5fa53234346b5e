//! The audit trail.

use aftersales_domain::Result;
use aftersales_domain::model::audit::{AuditEvent, AuditFilter};
use aftersales_domain::paging::{Page, PageRequest};
use aftersales_domain::value::StoreCode;
use async_trait::async_trait;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::entities::audit;
use crate::mapping::*;
use crate::{SeaRepository, uuid_page};
use aftersales_domain::ports::AuditReads;

#[async_trait]
impl AuditReads for SeaRepository {
    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "list_audit", otel.kind = "client", db.operation.name = "list_audit", db.system.name = crate::backend_name(&self.db)))]
    async fn list_audit(
        &self,
        store: &StoreCode,
        filter: &AuditFilter,
        page: &PageRequest,
    ) -> Result<Page<AuditEvent>> {
        let mut query = audit::Entity::find().filter(audit::Column::Store.eq(store.as_str()));
        if let Some(t) = &filter.resource_type {
            query = query.filter(audit::Column::ResourceType.eq(t.as_str()));
        }
        if let Some(id) = &filter.resource_id {
            query = query.filter(audit::Column::ResourceId.eq(id.as_str()));
        }
        if let Some(actor) = &filter.actor {
            query = query.filter(audit::Column::Actor.eq(actor.as_str()));
        }
        uuid_page(&self.db, query, (audit::Column::Id, audit::Column::OccurredAt), page, audit_from, |a| {
            a.id.to_string()
        })
        .await
    }
}

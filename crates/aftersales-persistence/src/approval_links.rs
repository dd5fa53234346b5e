//! Approval links (WO-13): a document per link, with the token's hash as its unique key.

use aftersales_domain::Result;
use aftersales_domain::model::approval_link::{ApprovalLink, ApprovalLinkId};
use aftersales_domain::model::work_order::WorkOrderId;
use aftersales_domain::paging::{Page, PageRequest};
use aftersales_domain::ports::ApprovalLinkStore;
use aftersales_domain::value::StoreCode;
use async_trait::async_trait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
};

use crate::entities::approval_link;
use crate::mapping::{from_json, to_json};
use crate::{SeaRepository, read_err, uuid_page};

fn row(link: &ApprovalLink) -> Result<approval_link::Model> {
    Ok(approval_link::Model {
        id: link.id.0,
        store: link.store.as_str().to_string(),
        work_order_id: link.work_order_id.0,
        token_hash: link.token_hash.clone(),
        document: to_json(link)?,
        version: link.version,
        updated_at: link.used_at.or(link.revoked_at).unwrap_or(link.created_at),
    })
}

fn from(m: approval_link::Model) -> Result<ApprovalLink> {
    from_json("approval link", &m.document)
}

/// Inserts `link`, or updates it if still at version `before`.
pub(crate) async fn put(txn: &DatabaseTransaction, link: &ApprovalLink, before: Option<i64>) -> Result<()> {
    let active = row(link)?.into_active_model();
    match before {
        None => crate::writes::insert(txn, "approval_link", active.reset_all()).await,
        Some(version) => {
            let filter = Condition::all()
                .add(approval_link::Column::Store.eq(link.store.as_str()))
                .add(approval_link::Column::Id.eq(link.id.0));
            crate::writes::update_checked(
                txn,
                "approval_link",
                active.reset_all(),
                filter,
                version,
                approval_link::Column::Version,
            )
            .await
        }
    }
}

#[async_trait]
impl ApprovalLinkStore for SeaRepository {
    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "link_by_token_hash", otel.kind = "client", db.operation.name = "link_by_token_hash", db.system.name = crate::backend_name(&self.db)))]
    async fn link_by_token_hash(&self, token_hash: &str) -> Result<Option<ApprovalLink>> {
        approval_link::Entity::find()
            .filter(approval_link::Column::TokenHash.eq(token_hash))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(from)
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_link", otel.kind = "client", db.operation.name = "get_link", db.system.name = crate::backend_name(&self.db)))]
    async fn get_link(
        &self,
        store: &StoreCode,
        order: WorkOrderId,
        id: ApprovalLinkId,
    ) -> Result<Option<ApprovalLink>> {
        approval_link::Entity::find()
            .filter(approval_link::Column::Store.eq(store.as_str()))
            .filter(approval_link::Column::WorkOrderId.eq(order.0))
            .filter(approval_link::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(from)
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "links_of", otel.kind = "client", db.operation.name = "links_of", db.system.name = crate::backend_name(&self.db)))]
    async fn links_of(
        &self,
        store: &StoreCode,
        order: WorkOrderId,
        page: &PageRequest,
    ) -> Result<Page<ApprovalLink>> {
        let query = approval_link::Entity::find()
            .filter(approval_link::Column::Store.eq(store.as_str()))
            .filter(approval_link::Column::WorkOrderId.eq(order.0));
        let columns = (approval_link::Column::Id, approval_link::Column::UpdatedAt);
        uuid_page(&self.db, query, columns, page, from, |l| l.id.to_string()).await
    }
}

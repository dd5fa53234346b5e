//! Attachment records (WO-14), read within a store's work order.

use aftersales_domain::Result;
use aftersales_domain::model::attachment::{AttachedTo, Attachment, AttachmentId};
use aftersales_domain::model::work_order::WorkOrderId;
use aftersales_domain::paging::{Page, PageRequest};
use aftersales_domain::ports::AttachmentReads;
use aftersales_domain::value::StoreCode;
use async_trait::async_trait;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter,
};

use crate::entities::attachment;
use crate::mapping::{from_json, to_json};
use crate::{SeaRepository, read_err, uuid_page};

fn from(m: attachment::Model) -> Result<Attachment> {
    from_json("attachment", &m.document)
}

/// Inserts an attachment's record.
pub(crate) async fn insert(txn: &DatabaseTransaction, a: &Attachment) -> Result<()> {
    let row = attachment::Model {
        id: a.id.0,
        store: a.store.as_str().to_string(),
        work_order_id: a.work_order_id.0,
        attached_to: a.attached_to.key(),
        sha256: a.sha256.clone(),
        document: to_json(a)?,
        created_at: a.created_at,
    };
    crate::writes::insert(txn, "attachment", row.into_active_model().reset_all()).await
}

#[async_trait]
impl AttachmentReads for SeaRepository {
    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_attachment", otel.kind = "client", db.operation.name = "get_attachment", db.system.name = crate::backend_name(&self.db)))]
    async fn get_attachment(
        &self,
        store: &StoreCode,
        order: WorkOrderId,
        id: AttachmentId,
    ) -> Result<Option<Attachment>> {
        attachment::Entity::find()
            .filter(attachment::Column::Store.eq(store.as_str()))
            .filter(attachment::Column::WorkOrderId.eq(order.0))
            .filter(attachment::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(from)
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "attachments_of", otel.kind = "client", db.operation.name = "attachments_of", db.system.name = crate::backend_name(&self.db)))]
    async fn attachments_of(
        &self,
        store: &StoreCode,
        order: WorkOrderId,
        to: Option<AttachedTo>,
        page: &PageRequest,
    ) -> Result<Page<Attachment>> {
        let mut query = attachment::Entity::find()
            .filter(attachment::Column::Store.eq(store.as_str()))
            .filter(attachment::Column::WorkOrderId.eq(order.0));
        if let Some(to) = to {
            query = query.filter(attachment::Column::AttachedTo.eq(to.key()));
        }
        let columns = (attachment::Column::Id, attachment::Column::CreatedAt);
        uuid_page(&self.db, query, columns, page, from, |a| a.id.to_string()).await
    }
}

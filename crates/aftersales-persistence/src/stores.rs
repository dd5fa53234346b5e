//! Stores and their staff.

use aftersales_domain::Result;
use aftersales_domain::auth::StoreAccess;
use aftersales_domain::model::store::{StaffMember, Store};
use aftersales_domain::paging::{Page, PageRequest};
use aftersales_domain::value::StoreCode;
use async_trait::async_trait;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entities::{staff, store};
use crate::mapping::*;
use crate::{SeaRepository, limit, read_err};
use aftersales_domain::ports::StoreReads;

#[async_trait]
impl StoreReads for SeaRepository {
    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_store", otel.kind = "client", db.operation.name = "get_store", db.system.name = crate::backend_name(&self.db)))]
    async fn get_store(&self, code: &StoreCode) -> Result<Option<Store>> {
        store::Entity::find_by_id(code.to_string())
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(store_from)
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "list_stores", otel.kind = "client", db.operation.name = "list_stores", db.system.name = crate::backend_name(&self.db)))]
    async fn list_stores(&self, access: &StoreAccess, page: &PageRequest) -> Result<Page<Store>> {
        let query = crate::changed_since(store::Entity::find(), store::Column::UpdatedAt, page);
        let mut query = query.order_by_asc(store::Column::Code).limit(limit(page));
        if let StoreAccess::Only(codes) = access {
            query = query.filter(store::Column::Code.is_in(codes.iter().map(|c| c.to_string())));
        }
        if let Some(after) = &page.after {
            query = query.filter(store::Column::Code.gt(after.as_str()));
        }
        let rows = query.all(&self.db).await.map_err(read_err)?;
        let items = rows.into_iter().map(store_from).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page.size, |s| s.code.to_string()))
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_staff", otel.kind = "client", db.operation.name = "get_staff", db.system.name = crate::backend_name(&self.db)))]
    async fn get_staff(&self, store: &StoreCode, id: &str) -> Result<Option<StaffMember>> {
        staff::Entity::find_by_id((store.to_string(), id.to_string()))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(staff_from)
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "list_staff", otel.kind = "client", db.operation.name = "list_staff", db.system.name = crate::backend_name(&self.db)))]
    async fn list_staff(&self, store: &StoreCode, page: &PageRequest) -> Result<Page<StaffMember>> {
        let mut query = crate::changed_since(staff::Entity::find(), staff::Column::UpdatedAt, page)
            .filter(staff::Column::Store.eq(store.as_str()))
            .order_by_asc(staff::Column::Id)
            .limit(limit(page));
        if let Some(after) = &page.after {
            query = query.filter(staff::Column::Id.gt(after.as_str()));
        }
        let rows = query.all(&self.db).await.map_err(read_err)?;
        let items = rows.into_iter().map(staff_from).collect::<Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, page.size, |s| s.id.clone()))
    }
}

//! Customer files, cars and consent history.

use crate::entities::search;
use aftersales_domain::Result;
use aftersales_domain::model::customer::{ConsentEvent, Customer, CustomerFilter, Vehicle};
use aftersales_domain::model::search::query_term;
use aftersales_domain::paging::{Page, PageRequest};
use aftersales_domain::value::{CustomerId, StoreCode, VehicleId, Vin};
use async_trait::async_trait;
use sea_orm::sea_query::Query;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::entities::{consent, customer, vehicle};
use crate::mapping::*;
use crate::{SeaRepository, after_uuid, limit, read_err, uuid_page};
use aftersales_domain::ports::CustomerReads;

#[async_trait]
impl CustomerReads for SeaRepository {
    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_customer", otel.kind = "client", db.operation.name = "get_customer", db.system.name = crate::backend_name(&self.db)))]
    async fn get_customer(&self, store: &StoreCode, id: CustomerId) -> Result<Option<Customer>> {
        customer::Entity::find()
            .filter(customer::Column::Store.eq(store.as_str()))
            .filter(customer::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(customer_from)
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_customers", otel.kind = "client", db.operation.name = "get_customers", db.system.name = crate::backend_name(&self.db)))]
    async fn get_customers(&self, store: &StoreCode, ids: &[CustomerId]) -> Result<Vec<Customer>> {
        let ids: Vec<uuid::Uuid> = ids.iter().map(|c| c.0).collect();
        let query = customer::Entity::find().filter(customer::Column::Store.eq(store.as_str()));
        crate::any_of(&self.db, query, customer::Column::Id, &ids, customer_from).await
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "list_customers", otel.kind = "client", db.operation.name = "list_customers", db.system.name = crate::backend_name(&self.db)))]
    async fn list_customers(
        &self,
        store: &StoreCode,
        filter: &CustomerFilter,
        page: &PageRequest,
    ) -> Result<Page<Customer>> {
        let vehicles_where = |cond: Condition| {
            Query::select()
                .column(vehicle::Column::CustomerId)
                .from(vehicle::Entity)
                .cond_where(Condition::all().add(vehicle::Column::Store.eq(store.as_str())).add(cond))
                .to_owned()
        };
        let mut cond = Condition::all()
            .add(customer::Column::Store.eq(store.as_str()))
            .add(customer::Column::MergedInto.is_null());
        let searching = filter.q.as_deref().and_then(query_term);
        if let Some(term) = &searching {
            // One index lookup of the term (CF-1), not a scan of the store.
            let found = Query::select()
                .column(search::Column::CustomerId)
                .from(search::Entity)
                .cond_where(
                    Condition::all()
                        .add(search::Column::Store.eq(store.as_str()))
                        .add(search::Column::Term.eq(term.as_str())),
                )
                .to_owned();
            cond = cond.add(customer::Column::Id.in_subquery(found));
        }
        if let Some(plate) = &filter.plate {
            cond = cond.add(customer::Column::Id.in_subquery(vehicles_where(
                Condition::all().add(vehicle::Column::Plate.eq(plate.as_str())),
            )));
        }
        if let Some(vin) = &filter.vin {
            cond = cond
                .add(customer::Column::Id.in_subquery(vehicles_where(
                    Condition::all().add(vehicle::Column::Vin.eq(vin.as_str())),
                )));
        }
        let query = customer::Entity::find().filter(cond);
        if searching.is_some() {
            // Search results come newest first: the file a desk is looking for is most often recent.
            let query = crate::changed_since(query, customer::Column::UpdatedAt, page);
            let mut query = query.order_by_desc(customer::Column::Id).limit(limit(page));
            if let Some(after) = after_uuid(page)? {
                query = query.filter(customer::Column::Id.lt(after));
            }
            let rows = query.all(&self.db).await.map_err(read_err)?;
            let items = rows.into_iter().map(customer_from).collect::<Result<Vec<_>>>()?;
            return Ok(Page::from_overfetch(items, page.size, |c| c.id.to_string()));
        }
        uuid_page(
            &self.db,
            query,
            (customer::Column::Id, customer::Column::UpdatedAt),
            page,
            customer_from,
            |c| c.id.to_string(),
        )
        .await
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "list_consent_events", otel.kind = "client", db.operation.name = "list_consent_events", db.system.name = crate::backend_name(&self.db)))]
    async fn list_consent_events(
        &self,
        store: &StoreCode,
        customer: CustomerId,
    ) -> Result<Vec<ConsentEvent>> {
        consent::Entity::find()
            .filter(consent::Column::Store.eq(store.as_str()))
            .filter(consent::Column::CustomerId.eq(customer.0))
            .order_by_asc(consent::Column::Id)
            .all(&self.db)
            .await
            .map_err(read_err)?
            .into_iter()
            .map(consent_from)
            .collect()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_vehicle", otel.kind = "client", db.operation.name = "get_vehicle", db.system.name = crate::backend_name(&self.db)))]
    async fn get_vehicle(&self, store: &StoreCode, id: VehicleId) -> Result<Option<Vehicle>> {
        vehicle::Entity::find()
            .filter(vehicle::Column::Store.eq(store.as_str()))
            .filter(vehicle::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(vehicle_from)
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "find_vehicle_by_vin", otel.kind = "client", db.operation.name = "find_vehicle_by_vin", db.system.name = crate::backend_name(&self.db)))]
    async fn find_vehicle_by_vin(&self, store: &StoreCode, vin: &Vin) -> Result<Option<Vehicle>> {
        vehicle::Entity::find()
            .filter(vehicle::Column::Store.eq(store.as_str()))
            .filter(vehicle::Column::Vin.eq(vin.as_str()))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(vehicle_from)
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "list_vehicles", otel.kind = "client", db.operation.name = "list_vehicles", db.system.name = crate::backend_name(&self.db)))]
    async fn list_vehicles(
        &self,
        store: &StoreCode,
        customer: CustomerId,
        page: &PageRequest,
    ) -> Result<Page<Vehicle>> {
        let query = vehicle::Entity::find()
            .filter(vehicle::Column::Store.eq(store.as_str()))
            .filter(vehicle::Column::CustomerId.eq(customer.0));
        uuid_page(
            &self.db,
            query,
            (vehicle::Column::Id, vehicle::Column::UpdatedAt),
            page,
            vehicle_from,
            |v| v.id.to_string(),
        )
        .await
    }
}

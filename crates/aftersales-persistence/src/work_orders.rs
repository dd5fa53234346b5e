//! Work orders and inspections.

use aftersales_domain::Result;
use aftersales_domain::model::inspection::{Inspection, InspectionId};
use aftersales_domain::model::work_order::{WorkOrder, WorkOrderFilter, WorkOrderId, WorkOrderStatus};
use aftersales_domain::paging::{Page, PageRequest};
use aftersales_domain::value::StoreCode;
use async_trait::async_trait;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder};

use crate::entities::{inspection, work_order};
use crate::mapping::*;
use crate::{SeaRepository, read_err, uuid_page};
use aftersales_domain::ports::WorkOrderReads;

#[async_trait]
impl WorkOrderReads for SeaRepository {
    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_work_order", otel.kind = "client", db.operation.name = "get_work_order", db.system.name = crate::backend_name(&self.db)))]
    async fn get_work_order(&self, store: &StoreCode, id: WorkOrderId) -> Result<Option<WorkOrder>> {
        work_order::Entity::find()
            .filter(work_order::Column::Store.eq(store.as_str()))
            .filter(work_order::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(work_order_from)
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "list_work_orders", otel.kind = "client", db.operation.name = "list_work_orders", db.system.name = crate::backend_name(&self.db)))]
    async fn list_work_orders(
        &self,
        store: &StoreCode,
        filter: &WorkOrderFilter,
        page: &PageRequest,
    ) -> Result<Page<WorkOrder>> {
        let mut cond = Condition::all().add(work_order::Column::Store.eq(store.as_str()));
        if let Some(status) = filter.status {
            cond = cond.add(work_order::Column::Status.eq(status.as_str()));
        }
        if let Some(advisor) = &filter.advisor {
            cond = cond.add(work_order::Column::Advisor.eq(advisor.as_str()));
        }
        if let Some(plate) = &filter.plate {
            cond = cond.add(work_order::Column::Plate.eq(plate.as_str()));
        }
        if let Some(vin) = &filter.vin {
            cond = cond.add(work_order::Column::Vin.eq(vin.as_str()));
        }
        if let Some(from) = filter.created_from {
            cond = cond.add(work_order::Column::CreatedAt.gte(from));
        }
        if let Some(to) = filter.created_to {
            cond = cond.add(work_order::Column::CreatedAt.lt(to));
        }
        if let Some(at) = filter.overdue_at {
            cond = cond.add(work_order::Column::PromisedAt.lt(at)).add(
                work_order::Column::Status
                    .is_not_in([WorkOrderStatus::Delivered.as_str(), WorkOrderStatus::Cancelled.as_str()]),
            );
        }
        if filter.awaiting_decision {
            cond = cond.add(work_order::Column::PendingLines.gt(0));
        }
        if filter.sanbao_rights {
            cond = cond.add(work_order::Column::SanbaoRights.eq(true));
        }
        if filter.open_claims {
            cond = cond.add(work_order::Column::OpenClaims.eq(true));
        }
        if let Some(technician) = &filter.technician {
            // Staff ids have no spaces (`is_staff_id`) but may hold LIKE's wildcards: escaped.
            let escaped: String = technician
                .chars()
                .flat_map(|c| if matches!(c, '!' | '%' | '_') { vec!['!', c] } else { vec![c] })
                .collect();
            let pattern = sea_orm::sea_query::LikeExpr::new(format!("% {escaped} %")).escape('!');
            cond = cond.add(work_order::Column::Technicians.like(pattern));
        }
        let query = work_order::Entity::find().filter(cond);
        uuid_page(
            &self.db,
            query,
            (work_order::Column::Id, work_order::Column::UpdatedAt),
            page,
            work_order_from,
            |o| o.id.to_string(),
        )
        .await
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "list_inspections", otel.kind = "client", db.operation.name = "list_inspections", db.system.name = crate::backend_name(&self.db)))]
    async fn list_inspections(&self, store: &StoreCode, order: WorkOrderId) -> Result<Vec<Inspection>> {
        inspection::Entity::find()
            .filter(inspection::Column::Store.eq(store.as_str()))
            .filter(inspection::Column::WorkOrderId.eq(order.0))
            .order_by_asc(inspection::Column::Id)
            .all(&self.db)
            .await
            .map_err(read_err)?
            .into_iter()
            .map(inspection_from)
            .collect()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_inspection", otel.kind = "client", db.operation.name = "get_inspection", db.system.name = crate::backend_name(&self.db)))]
    async fn get_inspection(&self, store: &StoreCode, id: InspectionId) -> Result<Option<Inspection>> {
        inspection::Entity::find()
            .filter(inspection::Column::Store.eq(store.as_str()))
            .filter(inspection::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(inspection_from)
            .transpose()
    }
}

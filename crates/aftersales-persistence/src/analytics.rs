//! Headquarters' reads across stores.

use crate::entities::{complaint, rollup};
use aftersales_domain::model::follow_up::Complaint;
use aftersales_domain::value::StoreCode;
use aftersales_domain::{DomainError, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect};

use crate::mapping::*;
use crate::{SeaRepository, read_err};
use aftersales_domain::ports::AnalyticsReads;

#[async_trait]
impl AnalyticsReads for SeaRepository {
    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "rollup_counts", otel.kind = "client", db.operation.name = "rollup_counts", db.system.name = crate::backend_name(&self.db)))]
    async fn rollup_counts(
        &self,
        stores: &[StoreCode],
        period: aftersales_domain::model::summary::Period,
    ) -> Result<Vec<(StoreCode, String, i64)>> {
        if stores.is_empty() {
            return Ok(vec![]);
        }
        let rows: Vec<(String, String, i64)> = rollup::Entity::find()
            .select_only()
            .column(rollup::Column::Store)
            .column(rollup::Column::Metric)
            .column(rollup::Column::N)
            .filter(rollup::Column::Store.is_in(stores.iter().map(StoreCode::to_string)))
            .filter(rollup::Column::Period.eq(period.to_string()))
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(read_err)?;
        rows.into_iter()
            .map(|(store, metric, n)| {
                let code = StoreCode::parse(&store)
                    .map_err(|e| DomainError::Internal(format!("stored rollup store code: {e}")))?;
                Ok((code, metric, n))
            })
            .collect()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "complaints_opened_within", otel.kind = "client", db.operation.name = "complaints_opened_within", db.system.name = crate::backend_name(&self.db)))]
    async fn complaints_opened_within(
        &self,
        windows: &[(StoreCode, DateTime<Utc>, DateTime<Utc>)],
    ) -> Result<Vec<Complaint>> {
        let mut out = Vec::new();
        // Bounded OR lists keep the statement small; each arm is a range of the
        // (store, opened_at) index.
        for chunk in windows.chunks(200) {
            let mut any = Condition::any();
            for (store, from, to) in chunk {
                any = any.add(
                    Condition::all()
                        .add(complaint::Column::Store.eq(store.as_str()))
                        .add(complaint::Column::OpenedAt.gte(*from))
                        .add(complaint::Column::OpenedAt.lt(*to)),
                );
            }
            let rows = complaint::Entity::find().filter(any).all(&self.db).await.map_err(read_err)?;
            for row in rows {
                out.push(complaint_from(row)?);
            }
        }
        Ok(out)
    }
}

//! The leased e-health upload queue.

use aftersales_domain::Result;
use aftersales_domain::model::ehealth::{EhealthUpload, UploadStatus};
use aftersales_domain::model::event::ehealth_status_changed;
use aftersales_domain::model::work_order::WorkOrderId;
use aftersales_domain::ports::LeaseToken;
use aftersales_domain::value::StoreCode;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, TransactionTrait};
use uuid::Uuid;

use crate::entities::ehealth_upload;
use crate::mapping::*;
use crate::{SeaRepository, read_err};
use aftersales_domain::ports::EhealthQueue;

#[async_trait]
impl EhealthQueue for SeaRepository {
    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_ehealth_upload", otel.kind = "client", db.operation.name = "get_ehealth_upload", db.system.name = crate::backend_name(&self.db)))]
    async fn get_ehealth_upload(
        &self,
        store: &StoreCode,
        order: WorkOrderId,
    ) -> Result<Option<EhealthUpload>> {
        ehealth_upload::Entity::find()
            .filter(ehealth_upload::Column::Store.eq(store.as_str()))
            .filter(ehealth_upload::Column::WorkOrderId.eq(order.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(ehealth_from)
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "claim_due_uploads", otel.kind = "client", db.operation.name = "claim_due_uploads", db.system.name = crate::backend_name(&self.db)))]
    async fn claim_due_uploads(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: u64,
    ) -> Result<Vec<(EhealthUpload, LeaseToken)>> {
        use ehealth_upload::Column as C;
        let owner = Uuid::now_v7();
        let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(2));
        let claimable = || {
            Condition::all()
                .add(C::Status.eq(UploadStatus::Pending.as_str()))
                .add(C::NextAttemptAt.lte(now))
                .add(Condition::any().add(C::LeaseUntil.is_null()).add(C::LeaseUntil.lt(now)))
        };
        let due = Query::select()
            .column(C::WorkOrderId)
            .from(ehealth_upload::Entity)
            .cond_where(claimable())
            .order_by(C::NextAttemptAt, sea_orm::Order::Asc)
            .limit(limit)
            .to_owned();
        // The claimable condition is repeated outside the subquery: PostgreSQL re-checks it on a row
        // that a concurrent claim changed, so a second worker takes nothing.
        // The attempt is counted as it is taken (`EhealthUpload::start_attempt`), before the send.
        ehealth_upload::Entity::update_many()
            .col_expr(C::LeaseUntil, Expr::value(until))
            .col_expr(C::LeaseOwner, Expr::value(owner))
            .col_expr(C::Attempts, Expr::col(C::Attempts).add(1))
            .filter(C::WorkOrderId.in_subquery(due))
            .filter(claimable())
            .exec(&self.db)
            .await
            .map_err(read_err)?;
        let rows = ehealth_upload::Entity::find()
            .filter(C::LeaseOwner.eq(owner))
            .all(&self.db)
            .await
            .map_err(read_err)?;
        rows.into_iter().map(|m| Ok((ehealth_from(m)?, LeaseToken(owner)))).collect()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "finish_upload", otel.kind = "client", db.operation.name = "finish_upload", db.system.name = crate::backend_name(&self.db)))]
    async fn finish_upload(&self, upload: &EhealthUpload, lease: &LeaseToken) -> Result<bool> {
        use ehealth_upload::Column as C;
        let txn = self.db.begin().await.map_err(read_err)?;
        let result = ehealth_upload::Entity::update_many()
            .col_expr(C::Status, Expr::value(upload.status.as_str()))
            .col_expr(C::Attempts, Expr::value(i32::try_from(upload.attempts).unwrap_or(i32::MAX)))
            .col_expr(C::NextAttemptAt, Expr::value(upload.next_attempt_at))
            .col_expr(C::LastError, Expr::value(upload.last_error.clone()))
            .col_expr(C::UploadedAt, Expr::value(upload.uploaded_at))
            .col_expr(C::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(C::LeaseOwner, Expr::value(Option::<Uuid>::None))
            .filter(C::Store.eq(upload.store.as_str()))
            .filter(C::WorkOrderId.eq(upload.work_order_id.0))
            .filter(C::LeaseOwner.eq(lease.0))
            .exec(&txn)
            .await
            .map_err(read_err)?;
        let held = result.rows_affected == 1;
        // A retry keeps the upload pending; made or given up is news for the integrations (EV-1).
        if held && upload.status != UploadStatus::Pending {
            let at = upload.uploaded_at.unwrap_or_else(Utc::now);
            crate::events::append(&txn, vec![ehealth_status_changed(upload, at)]).await?;
        }
        txn.commit().await.map_err(read_err)?;
        self.committed.notify_waiters();
        Ok(held)
    }
}

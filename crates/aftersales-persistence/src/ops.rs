//! Figures for operators (metrics): the connection pool and the background queues' depth and age.
//! Not a domain port: nothing in the workflow depends on them.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Select};

use crate::entities::{complaint, ehealth_upload, webhook_delivery};
use crate::{SeaRepository, read_err};
use aftersales_domain::Result;
use aftersales_domain::model::ehealth::UploadStatus;
use aftersales_domain::model::follow_up::ComplaintStatus;
use aftersales_domain::model::webhook::DeliveryStatus;

/// The connection pool right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Open connections.
    pub size: u32,
    /// Open connections not in use.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

/// One background queue: how much waits and since when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueStats {
    /// `ehealth_uploads`, `webhook_deliveries` or `complaint_escalations`.
    pub name: &'static str,
    /// Items due now or later that are not done.
    pub depth: u64,
    /// How long the oldest due item has been due (zero when none is).
    pub oldest_due_seconds: u64,
}

impl SeaRepository {
    /// The pool's open and idle connections.
    pub fn pool_stats(&self) -> PoolStats {
        fn of<DB: sqlx::Database>(pool: &sqlx::Pool<DB>) -> PoolStats {
            PoolStats {
                size: pool.size(),
                idle: u32::try_from(pool.num_idle()).unwrap_or(u32::MAX),
                max: pool.options().get_max_connections(),
            }
        }
        match &self.db {
            db if db.get_database_backend() == sea_orm::DbBackend::Postgres => {
                of(db.get_postgres_connection_pool())
            }
            db => of(db.get_sqlite_connection_pool()),
        }
    }

    /// Every background queue's depth and the age of its oldest due item, across stores.
    pub async fn queue_stats(&self, now: DateTime<Utc>) -> Result<Vec<QueueStats>> {
        let uploads = ehealth_upload::Entity::find()
            .filter(ehealth_upload::Column::Status.eq(UploadStatus::Pending.as_str()));
        let deliveries = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()));
        let escalations = complaint::Entity::find()
            .filter(complaint::Column::Status.eq(ComplaintStatus::Open.as_str()))
            .filter(complaint::Column::EscalatesAt.is_not_null());
        Ok(vec![
            queue(&self.db, "ehealth_uploads", uploads, ehealth_upload::Column::NextAttemptAt, now).await?,
            queue(&self.db, "webhook_deliveries", deliveries, webhook_delivery::Column::NextAttemptAt, now)
                .await?,
            queue(&self.db, "complaint_escalations", escalations, complaint::Column::EscalatesAt, now)
                .await?,
        ])
    }
}

async fn queue<E: EntityTrait>(
    db: &DatabaseConnection,
    name: &'static str,
    select: Select<E>,
    due: E::Column,
    now: DateTime<Utc>,
) -> Result<QueueStats> {
    let due_now = select.clone().filter(due.lte(now));
    let depth: Option<i64> = select
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "n")
        .into_tuple()
        .one(db)
        .await
        .map_err(read_err)?;
    let oldest: Option<Option<DateTime<Utc>>> =
        due_now.select_only().column_as(due.min(), "oldest").into_tuple().one(db).await.map_err(read_err)?;
    let oldest_due_seconds =
        oldest.flatten().map_or(0, |at| u64::try_from((now - at).num_seconds()).unwrap_or(0));
    Ok(QueueStats { name, depth: depth.map_or(0, |n| u64::try_from(n).unwrap_or(0)), oldest_due_seconds })
}

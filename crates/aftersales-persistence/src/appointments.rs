//! A store's capacity and its appointments (AP-1..AP-4). A booking is decided under the store's
//! capacity lock: its first statement (the change set's first op) writes the store's capacity row, which PostgreSQL keeps
//! locked to commit and which on SQLite takes the write lock before anything is read (a SQLite
//! transaction that reads first cannot take it later without failing busy). So of concurrent
//! attempts at the last place, each sees the ones committed before it, and exactly one wins.

use aftersales_domain::model::appointment::{
    Appointment, AppointmentId, AppointmentStatus, BayKind, Capacity, Need, Occupied, Refusal,
    capacity_not_set, check_start,
};
use aftersales_domain::ports::AppointmentStore;
use aftersales_domain::value::StoreCode;
use aftersales_domain::{DomainError, Result};
use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entities::{appointment, capacity};
use crate::{SeaRepository, db_err, read_err};

fn decode<T: serde::de::DeserializeOwned>(document: &str) -> Result<T> {
    serde_json::from_str(document).map_err(|e| DomainError::Internal(format!("stored document: {e}")))
}

fn encode<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| DomainError::Internal(format!("document: {e}")))
}

async fn between<C: ConnectionTrait>(
    db: &C,
    store: &StoreCode,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Appointment>> {
    appointment::Entity::find()
        .filter(appointment::Column::Store.eq(store.as_str()))
        .filter(appointment::Column::StartAt.lt(to))
        .filter(appointment::Column::EndAt.gt(from))
        .order_by_asc(appointment::Column::StartAt)
        .all(db)
        .await
        .map_err(read_err)?
        .iter()
        .map(|m| decode(&m.document))
        .collect()
}

/// A booked appointment's columns availability reads: start, end, bay kind, advisor.
type OccupancyRow = (DateTime<Utc>, DateTime<Utc>, Option<String>, Option<String>);

/// What the bookings overlapping `[from, to)` occupy at `now`, but `except`: booked ones read
/// from their columns alone, holds (few, and short-lived) from their documents, kept while live.
async fn occupancy<C: ConnectionTrait>(
    db: &C,
    store: &StoreCode,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    now: DateTime<Utc>,
    except: Option<AppointmentId>,
) -> Result<Vec<Occupied>> {
    use sea_orm::QuerySelect;
    let window = || {
        let mut q = appointment::Entity::find()
            .filter(appointment::Column::Store.eq(store.as_str()))
            .filter(appointment::Column::StartAt.lt(to))
            .filter(appointment::Column::EndAt.gt(from));
        if let Some(id) = except {
            q = q.filter(appointment::Column::Id.ne(id.0));
        }
        q
    };
    let booked: Vec<OccupancyRow> = window()
        .filter(appointment::Column::Status.eq(AppointmentStatus::Booked.as_str()))
        .select_only()
        .column(appointment::Column::StartAt)
        .column(appointment::Column::EndAt)
        .column(appointment::Column::Bay)
        .column(appointment::Column::Advisor)
        .into_tuple()
        .all(db)
        .await
        .map_err(read_err)?;
    let mut out = Vec::with_capacity(booked.len());
    for (start, end, bay, advisor) in booked {
        let bay: BayKind = serde_json::from_value(serde_json::Value::String(bay.unwrap_or_default()))
            .map_err(|e| DomainError::Internal(format!("stored bay kind: {e}")))?;
        out.push(Occupied { start, end, bay, advisor });
    }
    let held = window()
        .filter(appointment::Column::Status.eq(AppointmentStatus::Held.as_str()))
        .all(db)
        .await
        .map_err(read_err)?;
    for row in held {
        let hold: Appointment = decode(&row.document)?;
        if hold.occupies(now) {
            out.push(hold.occupied());
        }
    }
    Ok(out)
}

/// Takes the store's capacity lock (written first, held to commit), checks that `visit`'s place
/// is free at `now` among the other appointments occupying the store, and saves it: inserted, or
/// in place of `before` if still at its version. The advisor the service chose must still be
/// free; if another took them meanwhile the clash re-runs the booking (a stale etag), which
/// picks another.
pub(crate) async fn place(
    txn: &sea_orm::DatabaseTransaction,
    store: &StoreCode,
    visit: &Appointment,
    before: Option<&Appointment>,
    tz: Tz,
    now: DateTime<Utc>,
) -> Result<()> {
    let locked = capacity::Entity::update_many()
        .col_expr(capacity::Column::UpdatedAt, Expr::col(capacity::Column::UpdatedAt))
        .filter(capacity::Column::Store.eq(store.as_str()))
        .exec(txn)
        .await
        .map_err(read_err)?;
    if locked.rows_affected != 1 {
        return Err(capacity_not_set());
    }
    let row = capacity::Entity::find_by_id(store.as_str().to_string())
        .one(txn)
        .await
        .map_err(read_err)?
        .ok_or_else(capacity_not_set)?;
    let capacity: Capacity = decode(&row.document)?;
    // Everything that can share a bay or the arrival step with the visit (a visit never starts
    // within a grid step of another's arrival unless both are counted).
    let reach = Duration::minutes(i64::from(capacity.granularity_minutes.max(1))).max(Duration::hours(1));
    let occupied = occupancy(txn, store, (visit.start - reach, visit.end()), now, Some(visit.id)).await?;
    let need = Need { bay: visit.bay, minutes: visit.minutes };
    let free = check_start(&capacity, tz, now, need, visit.start, &occupied).map_err(Refusal::into_error)?;
    if !visit.advisor.as_deref().is_some_and(|a| free.contains(&a)) {
        return Err(stale(visit.version));
    }
    match before {
        Some(before) => update(txn, store, visit, before).await,
        None => {
            let row = appointment::ActiveModel {
                id: Set(visit.id.0),
                store: Set(store.as_str().to_string()),
                status: Set(visit.status.as_str().to_string()),
                start_at: Set(visit.start),
                end_at: Set(visit.end()),
                document: Set(encode(visit)?),
                version: Set(visit.version),
                created_at: Set(now),
                updated_at: Set(now),
                bay: Set(Some(visit.bay.as_str().to_string())),
                advisor: Set(visit.advisor.clone()),
            };
            appointment::Entity::insert(row).exec(txn).await.map_err(|e| db_err("appointment", e))?;
            Ok(())
        }
    }
}

fn stale(version: i64) -> DomainError {
    DomainError::StaleEtag {
        resource: "appointment",
        current: aftersales_domain::value::Etag::render(version),
    }
}

/// Saves `changed` in place of `before` if it is still at `before`'s version.
pub(crate) async fn update(
    txn: &sea_orm::DatabaseTransaction,
    store: &StoreCode,
    changed: &Appointment,
    before: &Appointment,
) -> Result<()> {
    use appointment::Column as C;
    let at =
        changed.history.last().map_or(changed.start, |c| c.at).max(changed.reminded_at.unwrap_or_default());
    let result = appointment::Entity::update_many()
        .col_expr(C::Status, Expr::value(changed.status.as_str()))
        .col_expr(C::StartAt, Expr::value(changed.start))
        .col_expr(C::EndAt, Expr::value(changed.end()))
        .col_expr(C::Document, Expr::value(encode(changed)?))
        .col_expr(C::Version, Expr::value(changed.version))
        .col_expr(C::Bay, Expr::value(changed.bay.as_str()))
        .col_expr(C::Advisor, Expr::value(changed.advisor.clone()))
        .col_expr(C::UpdatedAt, Expr::value(at))
        .filter(C::Store.eq(store.as_str()))
        .filter(C::Id.eq(changed.id.0))
        .filter(C::Version.eq(before.version))
        .exec(txn)
        .await
        .map_err(read_err)?;
    if result.rows_affected != 1 {
        return Err(stale(before.version + 1));
    }
    Ok(())
}

#[async_trait]
impl AppointmentStore for SeaRepository {
    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_capacity", otel.kind = "client", db.operation.name = "get_capacity", db.system.name = crate::backend_name(&self.db)))]
    async fn get_capacity(&self, store: &StoreCode) -> Result<Option<Capacity>> {
        let row =
            capacity::Entity::find_by_id(store.as_str().to_string()).one(&self.db).await.map_err(read_err)?;
        row.map(|m| decode(&m.document)).transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "put_capacity", otel.kind = "client", db.operation.name = "put_capacity", db.system.name = crate::backend_name(&self.db)))]
    async fn put_capacity(&self, store: &StoreCode, value: &Capacity, at: DateTime<Utc>) -> Result<()> {
        let row = capacity::ActiveModel {
            store: Set(store.as_str().to_string()),
            document: Set(encode(value)?),
            updated_at: Set(at),
        };
        capacity::Entity::insert(row)
            .on_conflict(
                OnConflict::column(capacity::Column::Store)
                    .update_columns([capacity::Column::Document, capacity::Column::UpdatedAt])
                    .to_owned(),
            )
            .exec(&self.db)
            .await
            .map_err(|e| db_err("capacity", e))?;
        Ok(())
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "appointments_between", otel.kind = "client", db.operation.name = "appointments_between", db.system.name = crate::backend_name(&self.db)))]
    async fn appointments_between(
        &self,
        store: &StoreCode,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Appointment>> {
        between(&self.db, store, from, to).await
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "occupancy_between", otel.kind = "client", db.operation.name = "occupancy_between", db.system.name = crate::backend_name(&self.db)))]
    async fn occupancy_between(
        &self,
        store: &StoreCode,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Occupied>> {
        occupancy(&self.db, store, (from, to), now, None).await
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_appointment", otel.kind = "client", db.operation.name = "get_appointment", db.system.name = crate::backend_name(&self.db)))]
    async fn get_appointment(&self, store: &StoreCode, id: AppointmentId) -> Result<Option<Appointment>> {
        appointment::Entity::find()
            .filter(appointment::Column::Store.eq(store.as_str()))
            .filter(appointment::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(|m| decode(&m.document))
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "booked_starting", otel.kind = "client", db.operation.name = "booked_starting", db.system.name = crate::backend_name(&self.db)))]
    async fn booked_starting(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<(StoreCode, Appointment)>> {
        use sea_orm::QuerySelect;
        appointment::Entity::find()
            .filter(appointment::Column::Status.eq(AppointmentStatus::Booked.as_str()))
            .filter(appointment::Column::StartAt.gte(from))
            .filter(appointment::Column::StartAt.lt(to))
            .order_by_asc(appointment::Column::StartAt)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(read_err)?
            .iter()
            .map(|m| {
                let store = StoreCode::parse(&m.store).map_err(DomainError::Internal)?;
                Ok((store, decode(&m.document)?))
            })
            .collect()
    }
}

//! Webhook subscriptions, their leased deliveries and the attempt log (EV-3).
//!
//! Events become deliveries by a fan-out that moves each subscription's `fanned_out` mark with a
//! compare-and-set in the same transaction as the inserted deliveries, so replicas racing on it
//! make each delivery once. A delivery is then leased like an e-health upload; only the earliest
//! unfinished delivery of a record for a subscription can be leased, so one record's events
//! arrive in order.

use std::time::Duration;

use aftersales_domain::model::event::{Event, subscription_disabled};
use aftersales_domain::model::webhook::{
    AttemptResult, Delivery, DeliveryAttempt, DeliveryStatus, NextStep, Subscription, SubscriptionId,
};
use aftersales_domain::paging::{Page, PageRequest};
use aftersales_domain::ports::{ClaimedDelivery, EventStore, LeaseToken};
use aftersales_domain::value::{Etag, StoreCode};
use aftersales_domain::{DomainError, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, Condition, EntityTrait, IntoActiveModel, QueryFilter, TransactionTrait};
use uuid::Uuid;

use crate::entities::{
    event, webhook_attempt as attempt, webhook_delivery as delivery, webhook_subscription as sub,
};
use crate::events::event_from;
use crate::mapping::to_json;
use crate::{SeaRepository, db_err, read_err, uuid_page};

/// What an attempt's log row says until its answer is written: still being sent, or its worker
/// stopped (the lease runs out and another worker tries again).
const IN_FLIGHT: &str = "no answer recorded: in flight, or its worker stopped";

fn sub_row(s: &Subscription, fanned_out: i64) -> Result<sub::Model> {
    Ok(sub::Model {
        id: s.id.0,
        store: s.store.to_string(),
        url: s.url.clone(),
        event_types: to_json(&s.event_types)?,
        active: s.active,
        secret: s.secret.clone(),
        previous_secret: s.previous_secret.clone(),
        previous_until: s.previous_until,
        disabled_reason: s.disabled_reason.clone(),
        failing_since: s.failing_since,
        fanned_out,
        version: s.version,
        created_at: s.created_at,
        updated_at: s.updated_at,
    })
}

fn sub_from(m: sub::Model) -> Result<Subscription> {
    let corrupt = |what: &str| DomainError::Internal(format!("stored subscription {}: bad {what}", m.id));
    Ok(Subscription {
        id: SubscriptionId(m.id),
        store: StoreCode::parse(&m.store).map_err(|_| corrupt("store"))?,
        url: m.url.clone(),
        event_types: serde_json::from_str(&m.event_types).map_err(|_| corrupt("event types"))?,
        active: m.active,
        secret: m.secret.clone(),
        previous_secret: m.previous_secret.clone(),
        previous_until: m.previous_until,
        disabled_reason: m.disabled_reason.clone(),
        failing_since: m.failing_since,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

fn delivery_from(m: &delivery::Model) -> Result<Delivery> {
    Ok(Delivery {
        id: m.id,
        subscription_id: SubscriptionId(m.subscription_id),
        store: StoreCode::parse(&m.store)
            .map_err(|_| DomainError::Internal("stored delivery: bad store".into()))?,
        event_id: m.event_id,
        sequence: m.sequence,
        status: DeliveryStatus::parse(&m.status)?,
        attempts: u32::try_from(m.attempts).unwrap_or(0),
        next_attempt_at: m.next_attempt_at,
    })
}

fn attempt_from(m: attempt::Model) -> DeliveryAttempt {
    DeliveryAttempt {
        id: m.id,
        event_id: m.event_id,
        event_type: m.event_type,
        sequence: m.sequence,
        attempt: u32::try_from(m.attempt).unwrap_or(0),
        status_code: m.status_code.and_then(|c| u16::try_from(c).ok()),
        latency_ms: u64::try_from(m.latency_ms).unwrap_or(0),
        error: m.error,
        attempted_at: m.attempted_at,
    }
}

fn new_delivery(s: &sub::Model, e: &Event, now: DateTime<Utc>) -> delivery::ActiveModel {
    delivery::Model {
        id: Uuid::now_v7(),
        subscription_id: s.id,
        store: s.store.clone(),
        event_id: e.id,
        sequence: e.sequence,
        resource_key: format!("{}:{}", e.resource.resource_type, e.resource.id).chars().take(100).collect(),
        status: DeliveryStatus::Pending.as_str().into(),
        attempts: 0,
        next_attempt_at: now,
        lease_owner: None,
        lease_until: None,
        last_status_code: None,
        last_error: None,
        created_at: now,
    }
    .into_active_model()
}

#[async_trait]
impl EventStore for SeaRepository {
    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "read_events", otel.kind = "client", db.operation.name = "read_events", db.system.name = crate::backend_name(&self.db)))]
    async fn read_events(
        &self,
        store: &StoreCode,
        after: i64,
        types: &[String],
        limit: u64,
        wait: Duration,
    ) -> Result<Vec<Event>> {
        self.read_events_waiting(store, after, types, limit, wait).await
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "insert_subscription", otel.kind = "client", db.operation.name = "insert_subscription", db.system.name = crate::backend_name(&self.db)))]
    async fn insert_subscription(&self, s: &Subscription) -> Result<()> {
        let from = Self::last_sequence(&self.db, &s.store).await?;
        sub::Entity::insert(sub_row(s, from)?.into_active_model())
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| db_err("webhook_subscription", e))?;
        Ok(())
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_subscription", otel.kind = "client", db.operation.name = "get_subscription", db.system.name = crate::backend_name(&self.db)))]
    async fn get_subscription(&self, store: &StoreCode, id: SubscriptionId) -> Result<Option<Subscription>> {
        sub::Entity::find()
            .filter(sub::Column::Store.eq(store.as_str()))
            .filter(sub::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(sub_from)
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "list_subscriptions", otel.kind = "client", db.operation.name = "list_subscriptions", db.system.name = crate::backend_name(&self.db)))]
    async fn list_subscriptions(&self, store: &StoreCode, page: &PageRequest) -> Result<Page<Subscription>> {
        let query = sub::Entity::find().filter(sub::Column::Store.eq(store.as_str()));
        uuid_page(
            &self.db,
            query,
            (sub::Column::Id, sub::Column::UpdatedAt),
            page,
            sub_from,
            |s: &Subscription| s.id.to_string(),
        )
        .await
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "update_subscription", otel.kind = "client", db.operation.name = "update_subscription", db.system.name = crate::backend_name(&self.db)))]
    async fn update_subscription(&self, s: &Subscription, expected_version: i64) -> Result<()> {
        use sub::Column as C;
        let result = sub::Entity::update_many()
            .col_expr(C::Url, Expr::value(s.url.clone()))
            .col_expr(C::EventTypes, Expr::value(to_json(&s.event_types)?))
            .col_expr(C::Active, Expr::value(s.active))
            .col_expr(C::Secret, Expr::value(s.secret.clone()))
            .col_expr(C::PreviousSecret, Expr::value(s.previous_secret.clone()))
            .col_expr(C::PreviousUntil, Expr::value(s.previous_until))
            .col_expr(C::DisabledReason, Expr::value(s.disabled_reason.clone()))
            .col_expr(C::FailingSince, Expr::value(s.failing_since))
            .col_expr(C::Version, Expr::value(s.version))
            .col_expr(C::UpdatedAt, Expr::value(s.updated_at))
            .filter(C::Store.eq(s.store.as_str()))
            .filter(C::Id.eq(s.id.0))
            .filter(C::Version.eq(expected_version))
            .exec(&self.db)
            .await
            .map_err(read_err)?;
        if result.rows_affected == 1 {
            Ok(())
        } else {
            Err(DomainError::StaleEtag {
                resource: "webhook_subscription",
                current: Etag::render(expected_version + 1),
            })
        }
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "delete_subscription", otel.kind = "client", db.operation.name = "delete_subscription", db.system.name = crate::backend_name(&self.db)))]
    async fn delete_subscription(&self, store: &StoreCode, id: SubscriptionId) -> Result<bool> {
        // Its deliveries and attempts go with it (ON DELETE CASCADE).
        let gone = sub::Entity::delete_many()
            .filter(sub::Column::Store.eq(store.as_str()))
            .filter(sub::Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .map_err(read_err)?;
        Ok(gone.rows_affected == 1)
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "replay_subscription", otel.kind = "client", db.operation.name = "replay_subscription", db.system.name = crate::backend_name(&self.db)))]
    async fn replay_subscription(&self, store: &StoreCode, id: SubscriptionId, after: i64) -> Result<()> {
        sub::Entity::update_many()
            .col_expr(sub::Column::FannedOut, Expr::value(after))
            .filter(sub::Column::Store.eq(store.as_str()))
            .filter(sub::Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .map_err(read_err)?;
        Ok(())
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "list_attempts", otel.kind = "client", db.operation.name = "list_attempts", db.system.name = crate::backend_name(&self.db)))]
    async fn list_attempts(
        &self,
        store: &StoreCode,
        id: SubscriptionId,
        page: &PageRequest,
    ) -> Result<Page<DeliveryAttempt>> {
        let query = attempt::Entity::find()
            .filter(attempt::Column::Store.eq(store.as_str()))
            .filter(attempt::Column::SubscriptionId.eq(id.0));
        let from = |m| Ok(attempt_from(m));
        uuid_page(
            &self.db,
            query,
            (attempt::Column::Id, attempt::Column::AttemptedAt),
            page,
            from,
            |a: &DeliveryAttempt| a.id.to_string(),
        )
        .await
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "fan_out", otel.kind = "client", db.operation.name = "fan_out", db.system.name = crate::backend_name(&self.db)))]
    async fn fan_out(&self, now: DateTime<Utc>, limit: u64) -> Result<usize> {
        let subs =
            sub::Entity::find().filter(sub::Column::Active.eq(true)).all(&self.db).await.map_err(read_err)?;
        let mut made = 0;
        for s in subs {
            let store = StoreCode::parse(&s.store)
                .map_err(|_| DomainError::Internal("stored subscription: bad store".into()))?;
            let events = self.read_events_once(&store, s.fanned_out, &[], limit).await?;
            let Some(last) = events.last().map(|e| e.sequence) else { continue };
            let wanted = sub_from(s.clone())?;
            let deliveries: Vec<_> = events
                .iter()
                .filter(|e| wanted.wants(&e.event_type))
                .map(|e| new_delivery(&s, e, now))
                .collect();
            let txn = self.db.begin().await.map_err(read_err)?;
            crate::batch::insert_runs(&txn, "webhook_delivery", &deliveries, crate::batch::ROWS).await?;
            // Another replica that fanned these events out first moved the mark: ours rolls back.
            let moved = sub::Entity::update_many()
                .col_expr(sub::Column::FannedOut, Expr::value(last))
                .filter(sub::Column::Id.eq(s.id))
                .filter(sub::Column::FannedOut.eq(s.fanned_out))
                .exec(&txn)
                .await
                .map_err(read_err)?;
            if moved.rows_affected == 1 {
                txn.commit().await.map_err(read_err)?;
                made += deliveries.len();
            }
        }
        Ok(made)
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "claim_deliveries", otel.kind = "client", db.operation.name = "claim_deliveries", db.system.name = crate::backend_name(&self.db)))]
    async fn claim_deliveries(
        &self,
        now: DateTime<Utc>,
        lease: Duration,
        limit: u64,
    ) -> Result<Vec<ClaimedDelivery>> {
        use delivery::Column as C;
        let owner = Uuid::now_v7();
        let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(1));
        let claimable = || {
            Condition::all()
                .add(C::Status.eq(DeliveryStatus::Pending.as_str()))
                .add(C::NextAttemptAt.lte(now))
                .add(Condition::any().add(C::LeaseUntil.is_null()).add(C::LeaseUntil.lt(now)))
        };
        let earlier = Alias::new("earlier");
        let earlier_pending = Query::select()
            .expr(Expr::val(1))
            .from_as(delivery::Entity, earlier.clone())
            .and_where(
                Expr::col((earlier.clone(), C::SubscriptionId)).equals((delivery::Entity, C::SubscriptionId)),
            )
            .and_where(
                Expr::col((earlier.clone(), C::ResourceKey)).equals((delivery::Entity, C::ResourceKey)),
            )
            .and_where(Expr::col((earlier.clone(), C::Status)).eq(DeliveryStatus::Pending.as_str()))
            .and_where(Expr::col((earlier, C::Sequence)).lt(Expr::col((delivery::Entity, C::Sequence))))
            .to_owned();
        let active = Query::select()
            .column(sub::Column::Id)
            .from(sub::Entity)
            .and_where(Expr::col(sub::Column::Active).eq(true))
            .to_owned();
        let due = Query::select()
            .column(C::Id)
            .from(delivery::Entity)
            .cond_where(claimable())
            .and_where(Expr::exists(earlier_pending).not())
            .and_where(Expr::col(C::SubscriptionId).in_subquery(active))
            .order_by(C::NextAttemptAt, sea_orm::Order::Asc)
            .limit(limit)
            .to_owned();
        // The claimable condition is repeated outside the subquery: PostgreSQL re-checks it on a
        // row a concurrent claim changed, so a second worker takes nothing.
        // The attempt is counted when it is leased, so a worker killed mid-send still counted it.
        delivery::Entity::update_many()
            .col_expr(C::LeaseUntil, Expr::value(until))
            .col_expr(C::LeaseOwner, Expr::value(owner))
            .col_expr(C::Attempts, Expr::col(C::Attempts).add(1))
            .filter(C::Id.in_subquery(due))
            .filter(claimable())
            .exec(&self.db)
            .await
            .map_err(read_err)?;
        let rows =
            delivery::Entity::find().filter(C::LeaseOwner.eq(owner)).all(&self.db).await.map_err(read_err)?;
        // One read each for the leased rows' subscriptions and events, not one per row.
        let sub_ids: Vec<Uuid> = rows.iter().map(|r| r.subscription_id).collect();
        let event_ids: Vec<Uuid> = rows.iter().map(|r| r.event_id).collect();
        let subs = sub::Entity::find()
            .filter(sub::Column::Id.is_in(sub_ids))
            .all(&self.db)
            .await
            .map_err(read_err)?;
        let events = event::Entity::find()
            .filter(event::Column::Id.is_in(event_ids))
            .all(&self.db)
            .await
            .map_err(read_err)?;
        let (mut claimed, mut log) = (Vec::with_capacity(rows.len()), Vec::with_capacity(rows.len()));
        for row in rows {
            let subscription = subs.iter().find(|s| s.id == row.subscription_id);
            let event = events.iter().find(|e| e.id == row.event_id);
            if let (Some(s), Some(e)) = (subscription, event) {
                let attempt = Uuid::now_v7();
                // Logged before it is sent: a receiver never sees more requests than the log holds.
                log.push(
                    attempt::Model {
                        id: attempt,
                        subscription_id: s.id,
                        delivery_id: row.id,
                        store: row.store.clone(),
                        event_id: e.id,
                        sequence: e.sequence,
                        event_type: e.event_type.clone(),
                        attempt: row.attempts,
                        status_code: None,
                        latency_ms: 0,
                        error: Some(IN_FLIGHT.into()),
                        attempted_at: now,
                    }
                    .into_active_model(),
                );
                claimed.push(ClaimedDelivery {
                    delivery: delivery_from(&row)?,
                    subscription: sub_from(s.clone())?,
                    event: event_from(e.clone())?,
                    attempt,
                    lease: LeaseToken(owner),
                });
            }
        }
        if !log.is_empty() {
            attempt::Entity::insert_many(log).exec_without_returning(&self.db).await.map_err(read_err)?;
        }
        Ok(claimed)
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "finish_delivery", otel.kind = "client", db.operation.name = "finish_delivery", db.system.name = crate::backend_name(&self.db)))]
    async fn finish_delivery(
        &self,
        claimed: &ClaimedDelivery,
        result: &AttemptResult,
        step: &NextStep,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        use delivery::Column as C;
        let ClaimedDelivery { delivery: d, subscription: s, event: _, attempt: attempt_id, lease } = claimed;
        let (status, next_at) = match step {
            NextStep::Succeeded => (DeliveryStatus::Succeeded, d.next_attempt_at),
            NextStep::RetryAt(at) => (DeliveryStatus::Pending, *at),
            NextStep::GiveUp | NextStep::Disable(_) => (DeliveryStatus::Failed, d.next_attempt_at),
        };
        let txn = self.db.begin().await.map_err(read_err)?;
        // The subscription row first, in every finish: concurrent finishes of one subscription
        // then queue on it instead of each holding a delivery the other needs (a deadlock).
        let failing_since = match step {
            NextStep::Succeeded => None,
            NextStep::RetryAt(_) | NextStep::GiveUp | NextStep::Disable(_) => {
                Some(s.failing_since.unwrap_or(now))
            }
        };
        let mut update = sub::Entity::update_many()
            .col_expr(sub::Column::FailingSince, Expr::value(failing_since))
            .filter(sub::Column::Id.eq(s.id.0));
        if let NextStep::Disable(reason) = step {
            update = update
                .col_expr(sub::Column::Active, Expr::value(false))
                .col_expr(sub::Column::DisabledReason, Expr::value(reason.to_string()))
                .col_expr(sub::Column::Version, Expr::col(sub::Column::Version).add(1))
                .col_expr(sub::Column::UpdatedAt, Expr::value(now))
                .filter(sub::Column::Active.eq(true));
        }
        let changed = update.exec(&txn).await.map_err(read_err)?;
        let done = delivery::Entity::update_many()
            .col_expr(C::Status, Expr::value(status.as_str()))
            .col_expr(C::NextAttemptAt, Expr::value(next_at))
            .col_expr(C::LastStatusCode, Expr::value(result.status_code.map(i32::from)))
            .col_expr(C::LastError, Expr::value(result.error.clone()))
            .col_expr(C::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
            .col_expr(C::LeaseOwner, Expr::value(Option::<Uuid>::None))
            .filter(C::Id.eq(d.id))
            .filter(C::LeaseOwner.eq(lease.0))
            .exec(&txn)
            .await
            .map_err(read_err)?;
        // The attempt's log row, written at the lease, gets its answer (even when the lease ran
        // out meanwhile: the request was sent).
        attempt::Entity::update_many()
            .col_expr(attempt::Column::StatusCode, Expr::value(result.status_code.map(i32::from)))
            .col_expr(
                attempt::Column::LatencyMs,
                Expr::value(i64::try_from(result.latency_ms).unwrap_or(i64::MAX)),
            )
            .col_expr(attempt::Column::Error, Expr::value(result.error.clone()))
            .filter(attempt::Column::Id.eq(*attempt_id))
            .exec(&txn)
            .await
            .map_err(read_err)?;
        if let (NextStep::Disable(reason), 1) = (step, changed.rows_affected) {
            delivery::Entity::update_many()
                .col_expr(C::Status, Expr::value(DeliveryStatus::Failed.as_str()))
                .filter(C::SubscriptionId.eq(s.id.0))
                .filter(C::Status.eq(DeliveryStatus::Pending.as_str()))
                .exec(&txn)
                .await
                .map_err(read_err)?;
            crate::events::append(&txn, vec![subscription_disabled(s, reason, now)]).await?;
        }
        txn.commit().await.map_err(read_err)?;
        self.committed.notify_waiters();
        Ok(done.rows_affected == 1)
    }
}

//! The outbox (EV-1): every change set's events are appended in its own transaction, and the feed
//! reads them in store sequence order (EV-2).
//!
//! A store's sequence is taken from its counter row as the last statement before commit. The row
//! stays locked until the commit, so the transaction that takes 42 waits until the one holding 41
//! committed: a reader that sees 42 always sees 41, and a cursor never passes an event that will
//! commit later (the classic outbox skip).

use std::time::Duration;

use aftersales_domain::model::event::{Event, EventResource};
use aftersales_domain::ports::NumberRequest;
use aftersales_domain::value::StoreCode;
use aftersales_domain::{DomainError, Result};
use sea_orm::{
    ColumnTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect,
};

use crate::entities::event;
use crate::mapping::to_json;
use crate::writes::take_numbers;
use crate::{SeaRepository, read_err};

/// The counter row every store's events are numbered from.
const SEQUENCE: &str = "events";
/// How often a waiting feed read looks again for events another process committed.
const POLL: Duration = Duration::from_millis(200);

/// Numbers the events of one transaction from their stores' sequences and appends them; call it
/// last, just before the commit, so the sequence row is held only for the commit.
pub(crate) async fn append(txn: &DatabaseTransaction, mut events: Vec<Event>) -> Result<()> {
    let mut stores: Vec<StoreCode> = Vec::new();
    for e in &events {
        if !stores.contains(&e.store) {
            stores.push(e.store.clone());
        }
    }
    for store in stores {
        let n = events.iter().filter(|e| e.store == store).count() as i64;
        let mut next =
            take_numbers(txn, &NumberRequest { store: store.clone(), name: SEQUENCE.into() }, n).await?;
        for e in events.iter_mut().filter(|e| e.store == store) {
            e.sequence = next;
            next += 1;
        }
    }
    let rows = events.iter().map(|e| row(e).map(|m| m.into_active_model())).collect::<Result<Vec<_>>>()?;
    crate::batch::insert_runs(txn, "event", &rows, crate::batch::ROWS).await
}

fn row(e: &Event) -> Result<event::Model> {
    Ok(event::Model {
        id: e.id,
        store: e.store.to_string(),
        sequence: e.sequence,
        event_type: e.event_type.clone(),
        resource_type: e.resource.resource_type.clone(),
        resource_id: e.resource.id.clone(),
        resource_etag: e.resource.etag.clone(),
        occurred_at: e.occurred_at,
        actor: e.actor.chars().take(64).collect(),
        data: to_json(&e.data)?,
    })
}

pub(crate) fn event_from(m: event::Model) -> Result<Event> {
    let corrupt = |what: &str| DomainError::Internal(format!("stored event {}: bad {what}", m.id));
    Ok(Event {
        id: m.id,
        event_type: m.event_type.clone(),
        store: StoreCode::parse(&m.store).map_err(|_| corrupt("store"))?,
        sequence: m.sequence,
        resource: EventResource {
            resource_type: m.resource_type.clone(),
            id: m.resource_id.clone(),
            etag: m.resource_etag.clone(),
        },
        occurred_at: m.occurred_at,
        actor: m.actor.clone(),
        data: serde_json::from_str(&m.data).map_err(|_| corrupt("data"))?,
    })
}

impl SeaRepository {
    /// One page of a store's events after `after`; waits up to `wait` for the first, woken by
    /// this process's commits and looking again every 200 ms for other processes'.
    pub(crate) async fn read_events_waiting(
        &self,
        store: &StoreCode,
        after: i64,
        types: &[String],
        limit: u64,
        wait: Duration,
    ) -> Result<Vec<Event>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Armed before the read, so a commit between the read and the wait still wakes it.
            let notified = self.committed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let events = self.read_events_once(store, after, types, limit).await?;
            let now = tokio::time::Instant::now();
            if !events.is_empty() || now >= deadline {
                return Ok(events);
            }
            let nap = (deadline - now).min(POLL);
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep(nap) => {}
            }
        }
    }

    pub(crate) async fn read_events_once(
        &self,
        store: &StoreCode,
        after: i64,
        types: &[String],
        limit: u64,
    ) -> Result<Vec<Event>> {
        let mut query = event::Entity::find()
            .filter(event::Column::Store.eq(store.as_str()))
            .filter(event::Column::Sequence.gt(after));
        if !types.is_empty() {
            query = query.filter(event::Column::EventType.is_in(types.iter().map(String::as_str)));
        }
        let rows =
            query.order_by_asc(event::Column::Sequence).limit(limit).all(&self.db).await.map_err(read_err)?;
        rows.into_iter().map(event_from).collect()
    }

    /// The store's last sequence, 0 before its first event.
    pub(crate) async fn last_sequence<C: sea_orm::ConnectionTrait>(db: &C, store: &StoreCode) -> Result<i64> {
        let last = event::Entity::find()
            .filter(event::Column::Store.eq(store.as_str()))
            .order_by_desc(event::Column::Sequence)
            .one(db)
            .await
            .map_err(read_err)?;
        Ok(last.map_or(0, |m| m.sequence))
    }
}

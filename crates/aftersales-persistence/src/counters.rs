//! The store counters (HQ-2) a transaction moves: which store an op counts in, the stores'
//! time zones read once per transaction, and the merged moves applied last, in key order.

use std::collections::BTreeMap;

use aftersales_domain::model::rollup::Tally;
use aftersales_domain::ports::Op;
use aftersales_domain::value::StoreCode;
use aftersales_domain::{DomainError, Result};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict};
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel};

use crate::entities::{rollup, store};
use crate::mapping::store_zone;
use crate::{db_err, read_err};

/// The store's time zone, which decides the local day a record counts on.
pub(crate) async fn store_tz<C: sea_orm::ConnectionTrait>(db: &C, code: &StoreCode) -> Result<chrono_tz::Tz> {
    match store::Entity::find_by_id(code.to_string()).one(db).await.map_err(read_err)? {
        Some(row) => store_zone(&row),
        None => Err(DomainError::NotFound { resource: "store" }),
    }
}

/// The time zones of the stores one transaction counts in, each read once.
#[derive(Default)]
pub(crate) struct Zones(pub(crate) BTreeMap<StoreCode, chrono_tz::Tz>);

impl Zones {
    pub(crate) async fn of<C: sea_orm::ConnectionTrait>(
        &mut self,
        db: &C,
        code: &StoreCode,
    ) -> Result<chrono_tz::Tz> {
        if let Some(tz) = self.0.get(code) {
            return Ok(*tz);
        }
        let tz = store_tz(db, code).await?;
        self.0.insert(code.clone(), tz);
        Ok(tz)
    }
}

/// The store whose month and year counters an op moves, if it moves any.
pub(crate) fn counted_store(op: &Op) -> Option<&StoreCode> {
    match op {
        Op::InsertTask(t) | Op::UpdateTask { task: t, .. } => Some(&t.store),
        Op::InsertContact(c) => Some(&c.store),
        Op::InsertLetter(l) => Some(&l.store),
        Op::InsertMessage(m) => Some(&m.store),
        Op::InsertWorkOrder(o) => Some(&o.store),
        // A comeback confirmed after the opening moves the store's comeback count (HQ-1).
        Op::UpdateWorkOrder { order, before } if order.comeback_of != before.comeback_of => {
            Some(&order.store)
        }
        Op::PlaceAppointment { store, .. } | Op::UpdateAppointment { store, .. } => Some(store),
        Op::InsertStore(_)
        | Op::UpdateStore { .. }
        | Op::InsertStaff(_)
        | Op::UpdateStaff { .. }
        | Op::InsertCustomer(_)
        | Op::UpdateCustomer { .. }
        | Op::InsertVehicle(_)
        | Op::UpdateVehicle { .. }
        | Op::InsertOdometer(_)
        | Op::InsertConsent(_)
        | Op::InsertCampaign(_)
        | Op::InsertSummary(_)
        | Op::InsertComplaint(_)
        | Op::UpdateComplaint { .. }
        | Op::InsertEhealthUpload(_)
        | Op::RequeueEhealthUpload(_)
        | Op::UpdateWorkOrder { .. }
        | Op::InsertInspection(_)
        | Op::DeleteInspection { .. }
        | Op::MoveCustomerRecords { .. }
        | Op::PutApprovalLink { .. }
        | Op::InsertAttachment(_)
        | Op::InsertTemplate(_)
        | Op::GrantConsents(_)
        | Op::PutImport { .. }
        | Op::InsertImportProblems { .. } => None,
    }
}

/// The counter moves of one transaction, merged; applied last and in key order, so that two
/// transactions always lock shared counter rows in the same order and never deadlock on them.
#[derive(Default)]
pub(crate) struct Moves(BTreeMap<(StoreCode, String, String), i64>);

impl Moves {
    pub(crate) fn add(&mut self, store: &StoreCode, tallies: Vec<Tally>) {
        for t in tallies {
            *self.0.entry((store.clone(), t.period.to_string(), t.metric)).or_default() += t.delta;
        }
    }

    /// Moves the store's month and year counters (HQ-2) with multi-row upserts, in the
    /// transaction of the change they count.
    pub(crate) async fn apply<C: sea_orm::ConnectionTrait>(self, db: &C) -> Result<()> {
        let rows: Vec<rollup::ActiveModel> = self
            .0
            .into_iter()
            .filter(|(_, delta)| *delta != 0)
            .map(|((store, period, metric), n)| {
                rollup::Model { store: store.to_string(), period, metric, n }.into_active_model().reset_all()
            })
            .collect();
        let add = Expr::col((rollup::Entity, rollup::Column::N))
            .add(Expr::col((Alias::new("excluded"), rollup::Column::N)));
        // Chunks stay under SQLite's bound-parameter limit.
        for chunk in rows.chunks(200) {
            rollup::Entity::insert_many(chunk.to_vec())
                .on_conflict(
                    OnConflict::columns([
                        rollup::Column::Store,
                        rollup::Column::Period,
                        rollup::Column::Metric,
                    ])
                    .value(rollup::Column::N, add.clone())
                    .to_owned(),
                )
                .exec_without_returning(db)
                .await
                .map_err(|e| db_err("rollup", e))?;
        }
        Ok(())
    }
}

//! Bulk loading of generated records (`aftersales seed`), counted as the write path counts them.

use std::collections::BTreeMap;

use aftersales_domain::Result;
use aftersales_domain::model::customer::Customer;
use aftersales_domain::model::follow_up::{ContactRecord, FollowUpTask};
use aftersales_domain::model::rollup::{contact_buckets, tallies, task_buckets};
use aftersales_domain::value::StoreCode;
use sea_orm::{ActiveModelTrait, EntityTrait, IntoActiveModel, TransactionTrait};

use crate::counters::{Moves, store_tz};
use crate::entities::{contact, customer, search, task};
use crate::mapping::*;
use crate::writes::customer_term_rows;
use crate::{SeaRepository, read_err};

/// A record of either kind the counters count in a bulk load.
enum Either<'a> {
    Task(&'a FollowUpTask),
    Contact(&'a ContactRecord),
}

impl SeaRepository {
    /// Loads generated records in one transaction, moving the month and year counters exactly
    /// as the application's own writes do (HQ-2); used by `aftersales seed`.
    pub async fn bulk_load(
        &self,
        customers: &[Customer],
        tasks: &[FollowUpTask],
        contacts: &[ContactRecord],
    ) -> Result<()> {
        let txn = self.db.begin().await.map_err(read_err)?;
        // Chunks stay under SQLite's bound-parameter limit.
        for chunk in customers.chunks(400) {
            let rows = chunk.iter().map(|c| customer_row(c).into_active_model().reset_all());
            customer::Entity::insert_many(rows).exec_without_returning(&txn).await.map_err(read_err)?;
        }
        // Search terms in multi-row inserts across files, as the write path would index them.
        let terms: Vec<_> = customers.iter().flat_map(customer_term_rows).collect();
        for chunk in terms.chunks(1000) {
            search::Entity::insert_many(chunk.to_vec())
                .on_conflict_do_nothing()
                .exec_without_returning(&txn)
                .await
                .map_err(read_err)?;
        }
        for chunk in tasks.chunks(400) {
            let rows = chunk
                .iter()
                .map(|t| task_row(t).map(|r| r.into_active_model().reset_all()))
                .collect::<Result<Vec<_>>>()?;
            task::Entity::insert_many(rows).exec_without_returning(&txn).await.map_err(read_err)?;
        }
        for chunk in contacts.chunks(400) {
            let rows = chunk
                .iter()
                .map(|c| contact_row(c).map(|r| r.into_active_model().reset_all()))
                .collect::<Result<Vec<_>>>()?;
            contact::Entity::insert_many(rows).exec_without_returning(&txn).await.map_err(read_err)?;
        }
        let mut zones: BTreeMap<StoreCode, chrono_tz::Tz> = BTreeMap::new();
        let mut moves = Moves::default();
        let records = tasks
            .iter()
            .map(|t| (&t.store, Either::Task(t)))
            .chain(contacts.iter().map(|c| (&c.store, Either::Contact(c))));
        for (store, record) in records {
            let tz = match zones.get(store) {
                Some(tz) => *tz,
                None => {
                    let tz = store_tz(&txn, store).await?;
                    zones.insert(store.clone(), tz);
                    tz
                }
            };
            let buckets = match record {
                Either::Task(t) => task_buckets(t, tz),
                Either::Contact(c) => contact_buckets(c, tz),
            };
            moves.add(store, tallies(&[], &buckets));
        }
        moves.apply(&txn).await?;
        txn.commit().await.map_err(read_err)
    }
}

//! Group commit of a store's numbered writes and of its creates.
//!
//! A gap-free number (WO-1) is a row every numbered write of the store locks until its commit,
//! so one store's creates are serial through the commit's disk flush. Here the numbered writes
//! one process receives for the same sequence while a transaction on it runs are queued and then
//! applied together in the next transaction: one lock and one flush for the whole group. Writes
//! that only insert (a new customer file, a contact record) are grouped the same way per store,
//! so a burst of them shares transactions and multi-row inserts. A group in which any write fails
//! is rolled back whole and its writes are applied one by one instead, so each answers exactly as
//! it would have alone and none is lost or numbered twice.
//!
//! Nothing waits for a group to fill: the first write of an idle queue starts at once, and groups
//! form only from the writes that arrive while a transaction of the queue runs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use aftersales_domain::model::rollup::{tallies, work_order_buckets};
use aftersales_domain::ports::{ChangeSet, NumberRequest, Op, Predecessor};
use aftersales_domain::{DomainError, Result};
use sea_orm::{ActiveModelTrait, DatabaseTransaction, EntityTrait, IntoActiveModel, TransactionTrait};
use tokio::sync::oneshot;

use crate::counters::{Moves, Zones};
use crate::entities::search;
use crate::mapping::{audit_row, customer_row, idempotency_row, odometer_row, vehicle_row, work_order_row};
use crate::writes::{apply_op, customer_term_rows, filled, take_numbers, term_rows};
use crate::{SeaRepository, db_err, read_err};
use aftersales_domain::model::search::vehicle_terms;

/// Most rows per multi-row insert, well under SQLite's bound-parameter limit.
pub(crate) const ROWS: usize = 32;

/// Splits rows into runs of power-of-two lengths, longest first, at most `max` (a power of two).
/// Every distinct length is a statement the driver prepares and keeps per connection, so lengths
/// from a set of six keep that cache small (the bench's memory high-water mark fell from 84.6 to
/// 78.7 MB).
fn runs<T>(rows: &[T], max: usize) -> impl Iterator<Item = &[T]> {
    let mut rest = rows;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let len = rest.len().min(max);
        let run = 1 << len.ilog2();
        let (head, tail) = rest.split_at(run);
        rest = tail;
        Some(head)
    })
}

/// Most writes applied in one transaction; bounds the time a group holds the sequence row.
const MAX_GROUP: usize = 32;

/// Runners of one store's creates at a time. They share no row, so two groups in flight let
/// PostgreSQL work on both (search terms and indexes) at once; a sequence has one runner, as a
/// second would only queue on its row.
const CREATE_RUNNERS: usize = 2;

/// The queues of grouped writes: per sequence (store and sequence name) or per store's creates
/// (store and an empty name).
#[derive(Default)]
pub(crate) struct Groups {
    queues: Mutex<HashMap<(String, String), Queue>>,
}

/// The writes waiting in one queue and how many runners serve it.
#[derive(Default)]
struct Queue {
    waiting: Vec<Waiting>,
    running: usize,
}

/// How many runners a queue may have.
fn runners(queue: &(String, String)) -> usize {
    if queue.1.is_empty() { CREATE_RUNNERS } else { 1 }
}

/// A write waiting for its group, and where its answer goes.
struct Waiting {
    changes: ChangeSet,
    answer: oneshot::Sender<Result<Option<i64>>>,
}

/// The group a change set joins: its number's sequence, or its store's creates when it only
/// inserts records; `None` for a write that changes existing records (it runs alone).
pub(crate) fn group_of(changes: &ChangeSet) -> Option<(String, String)> {
    // A booking's step takes the capacity lock or checks a version: it stands alone.
    let booking = |op: &Op| matches!(op, Op::PlaceAppointment { .. } | Op::UpdateAppointment { .. });
    if changes.ops.iter().any(booking) {
        return None;
    }
    if let Some(NumberRequest { store, name }) = &changes.number {
        return Some((store.to_string(), name.clone()));
    }
    let store = &changes.audit.first()?.store;
    changes.ops.iter().all(inserts_only).then(|| (store.to_string(), String::new()))
}

/// Whether an op only adds a record (nothing it writes can be stale).
fn inserts_only(op: &Op) -> bool {
    match op {
        Op::InsertStaff(_)
        | Op::InsertCustomer(_)
        | Op::InsertVehicle(_)
        | Op::InsertOdometer(_)
        | Op::InsertConsent(_)
        | Op::InsertTask(_)
        | Op::InsertContact(_)
        | Op::InsertCampaign(_)
        | Op::InsertLetter(_)
        | Op::InsertComplaint(_)
        | Op::InsertWorkOrder(_)
        | Op::InsertInspection(_) => true,
        // A store is not grouped under itself; summaries and uploads are rare.
        Op::InsertStore(_)
        | Op::InsertSummary(_)
        | Op::InsertEhealthUpload(_)
        | Op::RequeueEhealthUpload(_)
        | Op::UpdateStore { .. }
        | Op::UpdateStaff { .. }
        | Op::UpdateCustomer { .. }
        | Op::UpdateVehicle { .. }
        | Op::UpdateTask { .. }
        | Op::UpdateComplaint { .. }
        | Op::UpdateWorkOrder { .. }
        | Op::DeleteInspection { .. }
        | Op::MoveCustomerRecords { .. }
        | Op::PlaceAppointment { .. }
        | Op::UpdateAppointment { .. }
        | Op::PutApprovalLink { .. }
        | Op::InsertAttachment(_)
        | Op::InsertMessage(_)
        | Op::InsertTemplate(_)
        | Op::GrantConsents(_)
        | Op::PutImport { .. }
        | Op::InsertImportProblems { .. } => false,
    }
}

impl Groups {
    /// Queues a grouped write and waits for its answer; starts the sequence's runner if idle.
    pub(crate) async fn submit(
        &self,
        repo: &SeaRepository,
        sequence: (String, String),
        changes: ChangeSet,
    ) -> Result<Option<i64>> {
        let (answer, answered) = oneshot::channel();
        let start = {
            let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
            let queue = queues.entry(sequence.clone()).or_default();
            queue.waiting.push(Waiting { changes, answer });
            let start = queue.running < runners(&sequence);
            if start {
                queue.running += 1;
            }
            start
        };
        if start {
            // A task of its own, so a client that hangs up does not abandon the others' writes.
            let repo = repo.clone();
            tokio::spawn(async move { run(repo, sequence).await });
        }
        answered.await.map_err(|_| DomainError::Unavailable("the write was interrupted; retry".into()))?
    }

    /// Takes the next group of a queue, or retires the calling runner when none waits.
    fn next_group(&self, sequence: &(String, String)) -> Vec<Waiting> {
        let mut queues = self.queues.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(queue) = queues.get_mut(sequence) else { return Vec::new() };
        if queue.waiting.is_empty() {
            Self::retire(&mut queues, sequence);
            return Vec::new();
        }
        let take = queue.waiting.len().min(MAX_GROUP);
        queue.waiting.drain(..take).collect()
    }

    /// Counts a runner out; the last one out removes the queue with whatever still waits in it.
    fn retire(queues: &mut HashMap<(String, String), Queue>, sequence: &(String, String)) {
        if let Some(queue) = queues.get_mut(sequence) {
            queue.running = queue.running.saturating_sub(1);
            if queue.running == 0 {
                queues.remove(sequence);
            }
        }
    }
}

/// Retires a runner that ends abnormally (a panic), so the next write starts a new one; if it was
/// the last, the writes still queued fail `unavailable` (retryable) instead of waiting forever. A
/// runner that ends normally was retired by [`Groups::next_group`] under the lock.
struct Retire {
    groups: Arc<Groups>,
    sequence: (String, String),
    armed: bool,
}

impl Drop for Retire {
    fn drop(&mut self) {
        if self.armed {
            let mut queues = self.groups.queues.lock().unwrap_or_else(PoisonError::into_inner);
            Groups::retire(&mut queues, &self.sequence);
        }
    }
}

/// Applies a sequence's queued writes group after group until none waits.
async fn run(repo: SeaRepository, sequence: (String, String)) {
    let mut retire = Retire { groups: repo.groups.clone(), sequence: sequence.clone(), armed: true };
    loop {
        let group = repo.groups.next_group(&sequence);
        if group.is_empty() {
            retire.armed = false;
            return;
        }
        let (sets, answers): (Vec<_>, Vec<_>) = group.into_iter().map(|w| (w.changes, w.answer)).unzip();
        tracing::debug!(store = %sequence.0, sequence = %sequence.1, writes = sets.len(), "write group");
        let results = apply_group(&repo, sets).await;
        for (answer, result) in answers.into_iter().zip(results) {
            // A caller that went away no longer needs its answer; its write stands.
            let _ = answer.send(result);
        }
    }
}

/// Applies a group in one transaction, or each write alone when the group fails.
async fn apply_group(repo: &SeaRepository, mut sets: Vec<ChangeSet>) -> Vec<Result<Option<i64>>> {
    if sets.len() == 1 {
        let only = sets.remove(0);
        return vec![repo.apply_alone(only).await];
    }
    match repo.apply_together(sets.clone()).await {
        Ok(taken) => taken.into_iter().map(Ok).collect(),
        Err(err) => {
            tracing::debug!(error = %err, writes = sets.len(), "write group failed; applying alone");
            let mut results = Vec::with_capacity(sets.len());
            for changes in sets {
                results.push(repo.apply_alone(changes).await);
            }
            results
        }
    }
}

impl SeaRepository {
    /// Applies the change sets of one group in one transaction, all or none, and answers each
    /// one's number. The group's numbers are taken with one statement, and the records are
    /// written table by table in multi-row inserts: the k-th op of every set after the
    /// (k-1)-th, so each set's own order stands.
    pub(crate) async fn apply_together(&self, sets: Vec<ChangeSet>) -> Result<Vec<Option<i64>>> {
        self.apply_together_after(sets, None).await
    }

    /// [`SeaRepository::apply_together`], with an import's job written only once `after` (the
    /// batch before) has committed: the records go in beside that batch's transaction.
    pub(crate) async fn apply_together_after(
        &self,
        sets: Vec<ChangeSet>,
        after: Option<Predecessor>,
    ) -> Result<Vec<Option<i64>>> {
        let mut zones = self.zones(&sets).await?;
        let txn = self.db.begin().await.map_err(read_err)?;
        let numbered: i64 = sets.iter().filter(|c| c.number.is_some()).map(|_| 1).sum();
        let mut next = match sets.iter().find_map(|c| c.number.as_ref()) {
            Some(request) => Some(take_numbers(&txn, request, numbered).await?),
            None => None,
        };
        let mut taken = Vec::with_capacity(sets.len());
        let (mut columns, mut audits, mut keys, mut events) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        // An import's job is written after the records: the next batch's transaction, started
        // beside this one, writes its records and waits for this one's commit before its job.
        let mut jobs = Vec::new();
        for set in sets {
            let ChangeSet { ops, audit, idempotency, number, store_zone: _ } = set;
            let seq = match number {
                Some(_) => next.inspect(|n| next = Some(n + 1)),
                None => None,
            };
            let ops = ops.into_iter().map(|op| filled(op, seq)).collect::<Result<Vec<_>>>()?;
            // Derived from the ops as written, numbers filled in.
            events.extend(aftersales_domain::model::event::derive_ops(&ops, &audit));
            for (k, op) in ops.into_iter().enumerate() {
                if let Op::PutImport { .. } = op {
                    jobs.push(op);
                    continue;
                }
                // The job, taken out above, may leave a position empty.
                while columns.len() <= k {
                    columns.push(Vec::new());
                }
                columns[k].push(op);
            }
            for event in audit {
                audits.push(audit_row(&filled(event, seq)?)?.into_active_model().reset_all());
            }
            if let Some(record) = idempotency {
                keys.push(idempotency_row(&filled(record, seq)?)?.into_active_model().reset_all());
            }
            taken.push(seq);
        }
        let mut moves = Moves::default();
        for ops in columns {
            apply_column(&txn, ops, &mut zones, &mut moves).await?;
        }
        // Nothing this transaction holds is what the batch before needs: it has not yet touched
        // the job's row, the counters or the event sequence, and its rows are its own.
        if let Some(before) = after
            && !before.await
        {
            return Err(DomainError::Unavailable("the batch before was not written".into()));
        }
        for op in jobs {
            apply_op(&txn, op, &mut zones, &mut moves).await?;
        }
        insert_runs(&txn, "audit_event", &audits, ROWS).await?;
        insert_runs(&txn, "idempotency_key", &keys, ROWS).await?;
        moves.apply(&txn).await?;
        crate::events::append(&txn, events).await?;
        txn.commit().await.map_err(read_err)?;
        self.committed.notify_waiters();
        Ok(taken)
    }
}

/// Writes the ops standing at one position of a group's sets: the inserts the hot creates and
/// imports make (customer files and their cars with their search terms, orders and their intake
/// readings) in multi-row inserts, files first (a car further down may join a file of an earlier
/// set), then anything else one by one, in order.
async fn apply_column(
    txn: &DatabaseTransaction,
    ops: Vec<Op>,
    zones: &mut Zones,
    moves: &mut Moves,
) -> Result<()> {
    let (mut files, mut cars, mut orders, mut readings, mut terms, mut rest) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for op in ops {
        if let Op::InsertCustomer(c) = &op {
            // A new file or car has no terms yet: nothing to replace (CF-1).
            terms.extend(customer_term_rows(c));
            files.push(customer_row(c).into_active_model().reset_all());
        } else if let Op::InsertVehicle(v) = &op {
            terms.extend(term_rows(&v.store, v.customer_id.0, v.id.0, vehicle_terms(v)));
            cars.push(vehicle_row(v).into_active_model().reset_all());
        } else if let Op::InsertWorkOrder(o) = &op {
            orders.push(work_order_row(o)?.into_active_model().reset_all());
            let tz = zones.of(txn, &o.store).await?;
            moves.add(&o.store, tallies(&[], &work_order_buckets(o, tz)));
        } else if let Op::InsertOdometer(r) = &op {
            readings.push(odometer_row(r).into_active_model().reset_all());
        } else {
            rest.push(op);
        }
    }
    insert_runs(txn, "customer", &files, ROWS).await?;
    insert_runs(txn, "vehicle", &cars, ROWS).await?;
    // Terms of new files and cars only, each list deduplicated: no row can clash, so a plain
    // insert, without ON CONFLICT's speculative insertion (a look-up of the key before each row).
    for chunk in runs(&terms, ROWS * 4) {
        search::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(txn)
            .await
            .map_err(|e| db_err("customer_search", e))?;
    }
    insert_runs(txn, "work_order", &orders, ROWS).await?;
    insert_runs(txn, "odometer_reading", &readings, ROWS).await?;
    for op in rest {
        apply_op(txn, op, zones, moves).await?;
    }
    Ok(())
}

/// Inserts rows in power-of-two runs; `resource` names what a unique clash is about.
pub(crate) async fn insert_runs<A>(
    txn: &DatabaseTransaction,
    resource: &'static str,
    rows: &[A],
    max: usize,
) -> Result<()>
where
    A: ActiveModelTrait + Clone + Send,
{
    for run in runs(rows, max) {
        A::Entity::insert_many(run.to_vec())
            .exec_without_returning(txn)
            .await
            .map_err(|e| db_err(resource, e))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::runs;

    #[test]
    fn runs_are_powers_of_two_longest_first_and_cover_every_row() {
        let rows: Vec<u32> = (0..45).collect();
        let lengths: Vec<usize> = runs(&rows, 32).map(<[u32]>::len).collect();
        assert_eq!(lengths, vec![32, 8, 4, 1]);
        assert_eq!(runs(&rows, 32).flatten().copied().collect::<Vec<_>>(), rows);
        assert_eq!(runs(&rows[..0], 32).count(), 0);
        let many: Vec<u32> = (0..70).collect();
        assert_eq!(runs(&many, 32).map(<[u32]>::len).collect::<Vec<_>>(), vec![32, 32, 4, 2]);
    }
}

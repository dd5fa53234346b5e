//! Where an import run's batches go. On PostgreSQL customer batches are pipelined two deep: while
//! one batch's transaction runs, the next is read, decided and started beside it (one core each);
//! the next writes its records at once and its job (the checkpoint) only once the first has
//! committed, and rolls back if the first did not, so the checkpoint still advances batch by
//! batch and a killed run resumes as before. Past orders are written one batch at a time: an
//! order's car may be moved by the batch before.

use aftersales_domain::app::{ImportBatch, ImportCarry, Services};
use aftersales_domain::auth::Principal;
use aftersales_domain::model::import::Problem;
use aftersales_domain::model::import_history::HistoryOrder;
use aftersales_domain::model::import_job::ImportJob;
use aftersales_domain::ports::Predecessor;

use super::ImportError;

/// A batch whose transaction runs: the job as it will stand once it commits, and word of its
/// end for the batch after it.
struct InFlight {
    write: tokio::task::JoinHandle<aftersales_domain::Result<Vec<Problem>>>,
    through: u64,
    job: ImportJob,
    ended: tokio::sync::watch::Receiver<Option<bool>>,
}

/// A run's batches: written with the job advanced past them, the problems kept in memory when
/// the job is not recorded.
pub(super) struct Batches<'a, P> {
    services: &'a Services,
    who: &'a Principal,
    /// The job as the batches decided so far leave it.
    pub(super) job: &'a mut ImportJob,
    recorded: bool,
    /// A dry run's problems.
    pub(super) kept: Vec<Problem>,
    progress: P,
    carry: ImportCarry,
    /// The job as its last committed batch left it.
    committed: ImportJob,
    in_flight: Option<InFlight>,
}

impl<'a, P: FnMut(&ImportJob)> Batches<'a, P> {
    pub(super) fn new(
        services: &'a Services,
        who: &'a Principal,
        (job, recorded): (&'a mut ImportJob, bool),
        progress: P,
    ) -> Self {
        let committed = job.clone();
        let carry = ImportCarry::default();
        Self { services, who, job, recorded, kept: Vec::new(), progress, carry, committed, in_flight: None }
    }

    /// A header the sheet's kind cannot read: its problems are the report (once: a resumed job
    /// wrote them).
    pub(super) async fn header_refused(&mut self, mut found: Vec<Problem>) -> Result<(), ImportError> {
        if self.job.committed_row > 0 {
            return Ok(());
        }
        if found.is_empty() {
            found.push(Problem {
                row: 1,
                column: String::new(),
                value: String::new(),
                rule: "header.missing".into(),
                message: "the file is empty".into(),
            });
        }
        self.customers(ImportBatch { problems: found, through_row: 1, ..ImportBatch::default() }).await
    }

    /// Decides a batch of customer rows and starts its transaction, then waits for the one
    /// before; only the database away, a fault, or another run of the import stops it.
    pub(super) async fn customers(&mut self, batch: ImportBatch) -> Result<(), ImportError> {
        let (store, through) = (self.job.store.clone(), batch.through_row);
        let customers = &self.services.customers;
        let prepared = customers
            .prepare_import_batch(self.who, &store, (self.job, batch, self.recorded), &mut self.carry)
            .await;
        let prepared = match prepared {
            Ok(prepared) => prepared,
            Err(e) => {
                // What is in flight still commits (or not) on its own; the caller stops.
                *self.job = self.committed.clone();
                return Err(ImportError::Write(through, e));
            }
        };
        if prepared.after_committed {
            self.drain().await?;
        }
        let services = self.services.clone();
        let after = self.in_flight.as_ref().map(|before| {
            let mut ended = before.ended.clone();
            let committed: Predecessor = Box::pin(async move {
                // A dropped sender (the task gone) is a batch that did not commit.
                ended.wait_for(Option::is_some).await.map(|v| *v == Some(true)).unwrap_or(false)
            });
            committed
        });
        let (tell, ended) = tokio::sync::watch::channel(None);
        let write = tokio::spawn(async move {
            let done = services.customers.write_import_batch(prepared, after).await;
            tell.send_replace(Some(done.is_ok()));
            done
        });
        let next = InFlight { write, through, job: self.job.clone(), ended };
        if let Some(before) = self.in_flight.replace(next) {
            self.settle(before).await?;
        }
        // One writer (SQLite): nothing to gain, and the next batch must not take the lock first.
        if !self.services.customers.import_pipelined() {
            self.drain().await?;
        }
        Ok(())
    }

    /// Writes a batch of past orders in its own transaction, after any batch in flight.
    pub(super) async fn history(&mut self, batch: ImportBatch<HistoryOrder>) -> Result<(), ImportError> {
        self.drain().await?;
        let (store, through) = (self.job.store.clone(), batch.through_row);
        let job = &mut *self.job;
        let done =
            self.services.customers.import_history_batch(self.who, &store, (job, batch, self.recorded)).await;
        let snapshot = self.job.clone();
        self.ended(snapshot, through, done)
    }

    /// Waits for the batch in flight, if any.
    pub(super) async fn drain(&mut self) -> Result<(), ImportError> {
        match self.in_flight.take() {
            Some(last) => self.settle(last).await,
            None => Ok(()),
        }
    }

    /// Waits for a batch's transaction and takes its outcome.
    async fn settle(&mut self, batch: InFlight) -> Result<(), ImportError> {
        let InFlight { write, through, job, ended: _ } = batch;
        let done =
            write.await.unwrap_or_else(|e| Err(aftersales_domain::DomainError::Internal(e.to_string())));
        self.ended(job, through, done)
    }

    /// Keeps a written batch's problems (a dry run's) and tells the progress; after a failed
    /// batch the job stands as the last committed one left it.
    fn ended(
        &mut self,
        job: ImportJob,
        through: u64,
        done: aftersales_domain::Result<Vec<Problem>>,
    ) -> Result<(), ImportError> {
        match done {
            Ok(found) => {
                if !self.recorded {
                    self.kept.extend(found);
                }
                (self.progress)(&job);
                self.committed = job;
                Ok(())
            }
            Err(e) => {
                *self.job = self.committed.clone();
                Err(ImportError::Write(through, e))
            }
        }
    }
}

//! Moving a store in (issue 15): checked rows of a customer sheet written as customer files and
//! their cars, a batch at a time, by the same rules and builders as the API. Each batch is one
//! transaction that also advances the import's job past the batch's last row and appends its
//! report lines, so a run killed midway resumes after the last committed batch and writes no row
//! twice (the import's id and the row number are the key). A car already on file (by VIN), or a
//! customer already on file (by phone), is skipped, reported or merged, as the caller chose:
//! merging fills what the car's file lacks, or adds the row's car to the customer's file.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::customer_checks::{check_new_customer, check_new_vehicle};
use super::*;
use crate::model::customer::Vehicle;
use crate::model::import::{CustomerRow, Problem};
use crate::model::import_job::{ImportJob, ImportKind, ImportStatus, NewImport};
use crate::ports::{Chunks, Op};
use crate::value::{CustomerId, Phone, Vin};

/// What to do with a row whose car (by VIN) or customer (by phone) is already on file.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnDuplicate {
    /// Fill what the car's file lacks (plate, registration and purchase dates), or add the
    /// row's car to the customer's file.
    Merge,
    /// Leave it.
    Skip,
    /// Leave it and name the row in the report.
    Report,
}

impl OnDuplicate {
    /// Reads the wire name.
    pub fn parse(raw: &str) -> Result<Self> {
        match raw {
            "merge" => Ok(OnDuplicate::Merge),
            "skip" => Ok(OnDuplicate::Skip),
            "report" => Ok(OnDuplicate::Report),
            _ => Err(DomainError::invalid("on_duplicate", "must be merge, skip or report")),
        }
    }

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OnDuplicate::Merge => "merge",
            OnDuplicate::Skip => "skip",
            OnDuplicate::Report => "report",
        }
    }
}

/// The largest sheet an upload may be: about a million rows of CSV.
pub const MAX_UPLOAD: usize = 128 * 1024 * 1024;

/// An uploaded sheet, received into the object store ([`CustomerService::receive_sheet`]) and not
/// yet queued: its key, which only the receiving service makes. Dropped unqueued (the request
/// refused, or cancelled because the client went away), it removes the sheet.
pub struct ReceivedSheet {
    /// The job's id to be.
    id: uuid::Uuid,
    key: String,
    /// Where the sheet is, until it is queued or removed.
    blobs: Option<std::sync::Arc<dyn crate::ports::BlobStore>>,
}

impl std::fmt::Debug for ReceivedSheet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceivedSheet").field("id", &self.id).field("key", &self.key).finish()
    }
}

impl Drop for ReceivedSheet {
    fn drop(&mut self) {
        if let Some(blobs) = self.blobs.take() {
            blobs.delete_soon(std::mem::take(&mut self.key));
        }
    }
}

/// An uploaded sheet and how to import it.
#[derive(Debug)]
pub struct ImportUpload {
    /// The file's name, as the client sent it (the bytes say XLSX or CSV).
    pub file_name: String,
    /// The sheet, received.
    pub sheet: ReceivedSheet,
    /// What the sheet holds.
    pub kind: ImportKind,
    /// Check everything, write nothing.
    pub dry_run: bool,
    /// What to do with a car or customer already on file.
    pub on_duplicate: OnDuplicate,
}

/// Rows of a sheet read since the last batch: what the sheet checks passed (a customer row, a
/// past order), in order, and the problems of the rows they refused.
#[derive(Debug)]
pub struct ImportBatch<R = CustomerRow> {
    /// Checked rows (or orders gathered from them).
    pub rows: Vec<R>,
    /// Problems of the refused rows.
    pub problems: Vec<Problem>,
    /// Rows refused by the sheet checks.
    pub refused: u64,
    /// The last sheet row the batch accounts for.
    pub through_row: u64,
}

impl<R> Default for ImportBatch<R> {
    fn default() -> Self {
        Self { rows: Vec::new(), problems: Vec::new(), refused: 0, through_row: 0 }
    }
}

/// What became of one row.
enum Outcome {
    /// A new file, by its phone.
    Created(String, CustomerId),
    Merged,
    Skipped,
    Refused(Vec<Problem>),
}

/// The problem a rule of the API finds in a row, at the field it names.
fn refused(row: &CustomerRow, e: &DomainError) -> Vec<Problem> {
    let value = |field: &str| {
        let car = row.vehicle.as_ref();
        match field {
            "name" => row.customer.name.clone(),
            "phone" => row.customer.phone.clone(),
            "vin" => car.map(|c| c.vin.clone()).unwrap_or_default(),
            "plate" => car.and_then(|c| c.plate.clone()).unwrap_or_default(),
            "make" => car.map(|c| c.make.clone()).unwrap_or_default(),
            "model" => car.map(|c| c.model.clone()).unwrap_or_default(),
            _ => String::new(),
        }
    };
    let problem = |column: &str, message: String| Problem {
        row: row.row,
        column: column.to_string(),
        value: value(column),
        rule: e.code(),
        message,
    };
    match e.field_errors() {
        [] => vec![problem("", e.public_message())],
        fields => fields.iter().map(|f| problem(&f.field, f.message.clone())).collect(),
    }
}

fn on_file(row: &CustomerRow, column: &str, value: &str, message: &str) -> Outcome {
    Outcome::Refused(vec![Problem {
        row: row.row,
        column: column.into(),
        value: value.into(),
        rule: "duplicate_on_file".into(),
        message: message.into(),
    }])
}

/// What one batch reads once: the cars on file by VIN and the live files by phone, to which the
/// batch's own new files are added as it goes.
struct OnRecord {
    cars: HashMap<String, Vehicle>,
    files: HashMap<String, CustomerId>,
    /// Files known only from the carry: the batch before may not have committed them.
    carried: std::collections::HashSet<CustomerId>,
    /// A car of this batch joins a carried file: its foreign key needs that file committed.
    joins_carried: bool,
}

/// The files an import created that its next batch may not read back yet, by phone: the previous
/// batch's, whose transaction may still be committing while the next is prepared (a second car of
/// a phone joins the file), or in a dry run every batch's, none of which is written.
#[derive(Debug, Default)]
pub struct ImportCarry {
    files: HashMap<String, CustomerId>,
}

/// A batch ready to write: its records with the job advanced past it and its report lines, and
/// its problems in sheet order.
#[derive(Debug)]
pub struct PreparedBatch {
    sets: Vec<ChangeSet>,
    /// The batch's problems, in sheet order.
    pub problems: Vec<Problem>,
    /// A car of the batch joins a file the batch before created: the batch is written only
    /// once that one has committed (a foreign key sees committed files only).
    pub after_committed: bool,
}

impl CustomerService {
    /// Starts an import job (supervisor), audited (GEN-1); an existing job of the same id is
    /// answered as it stands, to be resumed.
    pub async fn start_import(
        &self,
        who: &Principal,
        store: &StoreCode,
        new: NewImport,
    ) -> Result<ImportJob> {
        who.authorize(Action::ImportData, store, "store")?;
        self.core.store(who, store).await?;
        if let Some(job) = self.core.repo.get_import(store, new.id).await? {
            return Ok(job);
        }
        self.record_start(who, store, ImportJob::new(store, new, &who.sub, self.core.now())).await
    }

    /// Writes a new job, audited (GEN-1).
    async fn record_start(&self, who: &Principal, store: &StoreCode, job: ImportJob) -> Result<ImportJob> {
        let audit = self.core.audit(who, store, "import.start", "import", job.id, vec![]);
        let op = Op::PutImport { job: Box::new(job.clone()), before: None };
        self.core.repo.apply(ChangeSet::of(op, audit)).await?;
        Ok(job)
    }

    /// Receives an uploaded sheet into the object store as it arrives (supervisor), at most
    /// [`MAX_UPLOAD`] bytes, never held whole in memory; [`Self::upload_import`] queues it, or
    /// [`Self::discard_sheet`] drops it when the rest of the request is refused.
    pub async fn receive_sheet(
        &self,
        who: &Principal,
        store: &StoreCode,
        sheet: Chunks<'_>,
    ) -> Result<ReceivedSheet> {
        who.authorize(Action::ImportData, store, "store")?;
        self.core.store(who, store).await?;
        let id = uuid::Uuid::now_v7();
        let key = format!("imports/{store}/{id}");
        self.core.blobs.put_chunks(&key, sheet, MAX_UPLOAD).await?;
        Ok(ReceivedSheet { id, key, blobs: Some(self.core.blobs.clone()) })
    }

    /// Removes a received sheet that will not be queued, before answering.
    pub async fn discard_sheet(&self, mut sheet: ReceivedSheet) {
        sheet.blobs = None;
        if let Err(e) = self.core.blobs.delete(&sheet.key).await {
            tracing::warn!(error = %e, "a refused upload's sheet could not be removed");
        }
    }

    /// Queues a received sheet as an import job (supervisor), audited (GEN-1); a worker runs it.
    pub async fn upload_import(
        &self,
        who: &Principal,
        store: &StoreCode,
        upload: ImportUpload,
    ) -> Result<ImportJob> {
        let ImportUpload { file_name, mut sheet, kind, dry_run, on_duplicate } = upload;
        let checked = who.authorize(Action::ImportData, store, "store").and_then(|()| {
            // A sheet is queued in the store it was received for.
            if sheet.key.starts_with(&format!("imports/{store}/")) {
                Ok(())
            } else {
                Err(DomainError::invalid("file", "was received for another store"))
            }
        });
        if let Err(e) = checked {
            self.discard_sheet(sheet).await;
            return Err(e);
        }
        // From here a cancelled request leaves the sheet: the job may have been written, and a
        // job without its sheet would fail.
        sheet.blobs = None;
        let new = NewImport { id: sheet.id, kind, file_name, dry_run, on_duplicate };
        let mut job = ImportJob::new(store, new, &who.sub, self.core.now());
        job.upload = Some(sheet.key.clone());
        let queued = self.record_start(who, store, job).await;
        if queued.is_err() {
            self.discard_sheet(sheet).await;
        }
        queued
    }

    /// Leases the next uploaded job with work left, with its sheet piece by piece (the import
    /// worker); none when the object store has lost it, for the worker to end the job as failed
    /// rather than lease it again forever.
    pub async fn claim_import(
        &self,
        lease: std::time::Duration,
    ) -> Result<Option<(ImportJob, uuid::Uuid, Option<Chunks<'static>>)>> {
        let Some((job, owner)) = self.core.repo.claim_import(self.core.now(), lease).await? else {
            return Ok(None);
        };
        let sheet = match &job.upload {
            Some(key) => self.core.blobs.get_chunks(key).await?,
            None => None,
        };
        Ok(Some((job, owner, sheet)))
    }

    /// Extends the worker's lease on a job; false when another worker took it.
    pub async fn renew_import(
        &self,
        id: uuid::Uuid,
        owner: uuid::Uuid,
        lease: std::time::Duration,
    ) -> Result<bool> {
        let until =
            self.core.now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(1));
        self.core.repo.renew_import(id, owner, until).await
    }

    /// Reads an import job (supervisor).
    pub async fn get_import(&self, who: &Principal, store: &StoreCode, id: uuid::Uuid) -> Result<ImportJob> {
        who.authorize(Action::ImportData, store, "import")?;
        self.core.repo.get_import(store, id).await?.ok_or(DomainError::NotFound { resource: "import" })
    }

    /// Lists a store's import jobs (supervisor).
    pub async fn list_imports(
        &self,
        who: &Principal,
        store: &StoreCode,
        page: &crate::paging::PageRequest,
    ) -> Result<crate::paging::Page<ImportJob>> {
        who.authorize(Action::ImportData, store, "store")?;
        self.core.store(who, store).await?;
        self.core.repo.list_imports(store, page).await
    }

    /// An import's whole report in sheet order (supervisor), read a thousand lines at a time.
    pub async fn import_report(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: uuid::Uuid,
    ) -> Result<Vec<Problem>> {
        who.authorize(Action::ImportData, store, "import")?;
        let mut problems = Vec::new();
        let mut after = (0, 0);
        loop {
            let page = self.core.repo.import_problems(store, id, after, 1000).await?;
            let Some((last, _)) = page.last() else { break };
            after = *last;
            problems.extend(page.into_iter().map(|(_, p)| p));
        }
        Ok(problems)
    }

    /// Ends an import job: every row accounted for, or failed with `error`; audited (GEN-1).
    pub async fn finish_import(
        &self,
        who: &Principal,
        store: &StoreCode,
        job: &mut ImportJob,
        error: Option<String>,
    ) -> Result<()> {
        who.authorize(Action::ImportData, store, "import")?;
        job.status = if error.is_some() { ImportStatus::Failed } else { ImportStatus::Done };
        job.error = error;
        job.updated_at = self.core.now();
        let audit = self.core.audit(who, store, "import.finish", "import", job.id, vec!["status".into()]);
        let op = Op::PutImport { job: Box::new(job.clone()), before: Some(job.committed_row) };
        self.core.repo.apply(ChangeSet::of(op, audit)).await?;
        // The uploaded sheet has served: the records and the report are in the database. A
        // sheet left by a failed removal is only storage, never read again.
        if let Some(key) = &job.upload
            && let Err(e) = self.core.blobs.delete(key).await
        {
            tracing::warn!(import = %job.id, error = %e, "an import's uploaded sheet could not be removed");
        }
        Ok(())
    }

    /// Writes one batch of import `job` (supervisor) in one transaction with the job advanced
    /// past it: its records (none in a dry run) and, when the job is `recorded`, the job and the
    /// batch's report lines. Answers the batch's problems in sheet order.
    pub async fn import_batch(
        &self,
        who: &Principal,
        store: &StoreCode,
        (job, batch, recorded): (&mut ImportJob, ImportBatch, bool),
    ) -> Result<Vec<Problem>> {
        let prepared = self
            .prepare_import_batch(who, store, (job, batch, recorded), &mut ImportCarry::default())
            .await?;
        self.write_import_batch(prepared, None).await
    }

    /// Decides one batch of import `job` (supervisor) against what is on file and what `carry`
    /// holds, and advances the job past it; nothing is written until
    /// [`CustomerService::write_import_batch`]. The batch's transaction may run beside the
    /// previous batch's: it waits for that one's commit only at the job's row, at its end.
    pub async fn prepare_import_batch(
        &self,
        who: &Principal,
        store: &StoreCode,
        (job, batch, recorded): (&mut ImportJob, ImportBatch, bool),
        carry: &mut ImportCarry,
    ) -> Result<PreparedBatch> {
        who.authorize(Action::ImportData, store, "store")?;
        let ImportBatch { rows, mut problems, refused: refused_before, through_row } = batch;
        let mut record = self.on_record(store, &rows, carry).await?;
        let (mut sets, counts) = (Vec::new(), &mut job.counts);
        counts.rows += refused_before + rows.len() as u64;
        counts.refused += refused_before;
        let mut created = HashMap::new();
        for row in rows {
            match self.import_row(who, store, &row, job.on_duplicate, &mut record, &mut sets) {
                Outcome::Created(phone, id) => {
                    counts.created += 1;
                    created.insert(phone, id);
                }
                Outcome::Merged => counts.merged += 1,
                Outcome::Skipped => counts.skipped += 1,
                Outcome::Refused(found) => {
                    counts.refused += 1;
                    problems.extend(found);
                }
            }
        }
        if !job.dry_run {
            carry.files.clear();
        }
        carry.files.extend(created);
        let mut prepared = self.seal(store, (job, problems, sets, through_row, recorded));
        prepared.after_committed = record.joins_carried;
        Ok(prepared)
    }

    /// Whether a batch may be written beside the one before (the database allows two writers).
    pub fn import_pipelined(&self) -> bool {
        self.core.repo.concurrent_batches()
    }

    /// Writes a prepared batch in one transaction, its job's checkpoint only once `after` (the
    /// batch before, still committing) has; answers its problems.
    pub async fn write_import_batch(
        &self,
        prepared: PreparedBatch,
        after: Option<crate::ports::Predecessor>,
    ) -> Result<Vec<Problem>> {
        let PreparedBatch { sets, problems, after_committed: _ } = prepared;
        if !sets.is_empty() {
            self.core.repo.apply_batch(sets, after).await?;
        } else if let Some(before) = after
            && !before.await
        {
            return Err(DomainError::Unavailable("the batch before was not written".into()));
        }
        Ok(problems)
    }

    /// Ends a batch of import `job`: its records (none in a dry run) written in one transaction
    /// with the job advanced past `through_row` and, when the job is `recorded`, the batch's
    /// report lines. Answers the batch's problems in sheet order.
    pub(super) async fn commit(
        &self,
        store: &StoreCode,
        batch: (&mut ImportJob, Vec<Problem>, Vec<ChangeSet>, u64, bool),
    ) -> Result<Vec<Problem>> {
        let prepared = self.seal(store, batch);
        self.write_import_batch(prepared, None).await
    }

    /// A batch's writes made ready: the job advanced past `through_row` (the previous committed
    /// row its version) and, when it is `recorded`, the job and the report lines added.
    fn seal(
        &self,
        store: &StoreCode,
        (job, mut problems, mut sets, through_row, recorded): (
            &mut ImportJob,
            Vec<Problem>,
            Vec<ChangeSet>,
            u64,
            bool,
        ),
    ) -> PreparedBatch {
        problems.sort_by_key(|p| p.row);
        job.counts.problems += problems.len() as u64;
        if job.dry_run {
            sets.clear();
        }
        let before = job.committed_row;
        job.committed_row = through_row;
        job.status = ImportStatus::Running;
        job.updated_at = self.core.now();
        if recorded {
            let mut order: (u64, u32) = (0, 0);
            let lines = problems
                .iter()
                .map(|p| {
                    order = if order.0 == p.row { (p.row, order.1 + 1) } else { (p.row, 0) };
                    (order, p.clone())
                })
                .collect();
            let lines = Op::InsertImportProblems { store: store.clone(), import: job.id, problems: lines };
            let ops = vec![Op::PutImport { job: Box::new(job.clone()), before: Some(before) }, lines];
            sets.push(ChangeSet { ops, ..ChangeSet::default() });
        }
        PreparedBatch { sets, problems, after_committed: false }
    }

    /// Reads once what a batch's rows may find on file, or in `carry` (files not yet readable).
    async fn on_record(
        &self,
        store: &StoreCode,
        rows: &[CustomerRow],
        carry: &ImportCarry,
    ) -> Result<OnRecord> {
        let vins: Vec<Vin> =
            rows.iter().filter_map(|r| r.vehicle.as_ref()).filter_map(|v| Vin::parse(&v.vin).ok()).collect();
        let phones: Vec<Phone> = rows.iter().filter_map(|r| Phone::parse(&r.customer.phone).ok()).collect();
        let repo = &self.core.repo;
        let cars = repo.vehicles_by_vins(store, &vins).await?;
        let files = repo.customers_by_phones(store, &phones).await?;
        let mut record = OnRecord {
            cars: cars.into_iter().map(|v| (v.vin.to_string(), v)).collect(),
            files: files.into_iter().map(|c| (c.phone.as_str().to_string(), c.id)).collect(),
            carried: Default::default(),
            joins_carried: false,
        };
        // Only the batch's own phones: a dry run's carry holds every file of the run.
        for phone in &phones {
            if let Some(id) = carry.files.get(phone.as_str())
                && let std::collections::hash_map::Entry::Vacant(slot) =
                    record.files.entry(phone.as_str().to_string())
            {
                slot.insert(*id);
                record.carried.insert(*id);
            }
        }
        Ok(record)
    }

    /// Decides one row against what is on record and adds its writes to `sets`.
    fn import_row(
        &self,
        who: &Principal,
        store: &StoreCode,
        row: &CustomerRow,
        on_duplicate: OnDuplicate,
        record: &mut OnRecord,
        sets: &mut Vec<ChangeSet>,
    ) -> Outcome {
        let checked = check_new_customer(&row.customer)
            .and_then(|c| row.vehicle.as_ref().map(check_new_vehicle).transpose().map(|v| (c, v)));
        let (customer, vehicle) = match checked {
            Ok(checked) => checked,
            Err(e) => return Outcome::Refused(refused(row, &e)),
        };
        let core = &self.core;
        let audit = |action: &str, kind: &str, id: String| core.audit(who, store, action, kind, id, vec![]);
        if let (Some(car), Some(cmd)) = (&vehicle, &row.vehicle)
            && let Some(existing) = record.cars.get(car.vin.as_str())
        {
            return match on_duplicate {
                OnDuplicate::Skip => Outcome::Skipped,
                OnDuplicate::Report => on_file(row, "vin", &cmd.vin, "the car is already on file"),
                OnDuplicate::Merge => {
                    let mut next = existing.clone();
                    next.plate = next.plate.or_else(|| car_plate(cmd));
                    next.registration_date = next.registration_date.or(cmd.registration_date);
                    next.purchase_date = next.purchase_date.or(cmd.purchase_date);
                    // Nothing to fill (or filled by an earlier run): nothing is written.
                    if next != *existing {
                        next.version += 1;
                        next.updated_at = core.now();
                        let fields = vec!["plate".into(), "registration_date".into(), "purchase_date".into()];
                        let audit = core.audit(who, store, "vehicle.update", "vehicle", next.id, fields);
                        let op =
                            Op::UpdateVehicle { vehicle: next.clone(), before: Box::new(existing.clone()) };
                        sets.push(ChangeSet::of(op, audit));
                    }
                    Outcome::Merged
                }
            };
        }
        if let Some(owner) = record.files.get(customer.1.as_str()).copied() {
            // A second car of a phone met earlier in the sheet joins its file, whatever was chosen
            // for duplicates: the file is this import's own.
            let message = "a customer file with this phone is on record";
            match (row.second_car_of, on_duplicate) {
                (Some(_), _) | (None, OnDuplicate::Merge) => {}
                (None, OnDuplicate::Skip) => return Outcome::Skipped,
                (None, OnDuplicate::Report) => return on_file(row, "phone", &row.customer.phone, message),
            }
            if let (Some(car), Some(cmd)) = (vehicle, &row.vehicle) {
                record.joins_carried |= record.carried.contains(&owner);
                let (vehicle, ops) = self.new_vehicle(who, store, owner, car, cmd);
                let audit = audit("vehicle.create", "vehicle", vehicle.id.to_string());
                record.cars.insert(vehicle.vin.to_string(), vehicle);
                sets.push(ChangeSet { ops, audit: vec![audit], ..ChangeSet::default() });
            }
            return Outcome::Merged;
        }
        let (file, mut ops) = self.new_customer(who, store, &row.customer, customer);
        let mut audits = vec![audit("customer.create", "customer", file.id.to_string())];
        if let (Some(car), Some(cmd)) = (vehicle, &row.vehicle) {
            let (vehicle, car_ops) = self.new_vehicle(who, store, file.id, car, cmd);
            audits.push(audit("vehicle.create", "vehicle", vehicle.id.to_string()));
            ops.extend(car_ops);
            record.cars.insert(vehicle.vin.to_string(), vehicle);
        }
        let phone = file.phone.as_str().to_string();
        record.files.insert(phone.clone(), file.id);
        sets.push(ChangeSet { ops, audit: audits, ..ChangeSet::default() });
        Outcome::Created(phone, file.id)
    }
}

/// The row's plate, when it is one (checked before).
fn car_plate(cmd: &crate::model::customer::AddVehicle) -> Option<crate::value::Plate> {
    cmd.plate.as_deref().and_then(|p| crate::value::Plate::parse(p).ok())
}

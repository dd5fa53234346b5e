//! Moving a store in (issue 15): checked rows of a customer sheet written as customer files and
//! their cars, a batch at a time, by the same rules and builders as the API. Each batch is one
//! transaction that also advances the import's job past the batch's last row and appends its
//! report lines, so a run killed midway resumes after the last committed batch and writes no row
//! twice (the import's id and the row number are the key). A car already on file (by VIN), or a
//! customer already on file (by phone), is skipped, reported or merged, as the caller chose:
//! merging fills what the car's file lacks, or adds the row's car to the customer's file.
//! The jobs that run these batches (upload, lease, report, end) are in `import_jobs.rs`.

use std::collections::HashMap;

use super::customer_checks::{check_new_customer, check_new_vehicle};
use super::import_jobs::OnDuplicate;
use super::*;
use crate::model::customer::Vehicle;
use crate::model::import::{CustomerRow, Problem};
use crate::model::import_job::{ImportJob, ImportStatus};
use crate::ports::Op;
use crate::value::{CustomerId, Phone, Vin};

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

//! Moving a store's service history in (issue 15): past delivered orders gathered from a sheet,
//! written a batch at a time as delivered, settled orders of cars on file. They are the car's
//! history (CF-1), move its odometer and, for maintenance, its last service and so its next
//! maintenance due; they start nothing a delivery here starts (FU-1: no follow-up is born for a
//! past delivery, no reminder, no e-health upload). An order already on file (by number) is
//! skipped or reported; there is nothing in it to merge.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDate, NaiveTime, TimeZone};

use super::*;
use crate::model::customer::{OdometerReading, OdometerSource, Vehicle};
use crate::model::import::Problem;
use crate::model::import_history::{HistoryColumn, HistoryOrder};
use crate::model::import_job::ImportJob;
use crate::model::work_order::{PastDelivery, RepairCategory, SettlementParties, WorkOrder};
use crate::ports::Op;
use crate::value::{RecordId, Vin};

/// The instant a store-local day is kept at: its noon, which no offset moves to another day.
fn noon(tz: chrono_tz::Tz, day: NaiveDate) -> Option<chrono::DateTime<chrono::Utc>> {
    tz.from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(12, 0, 0)?))
        .earliest()
        .map(|t| t.with_timezone(&chrono::Utc))
}

/// What one batch of orders reads once (the cars by VIN and their owners' files), and the cars
/// as its orders leave them.
struct Cars {
    on_file: HashMap<String, Vehicle>,
    owners: HashMap<crate::value::CustomerId, crate::model::customer::Customer>,
    moved: HashMap<String, Vehicle>,
}

impl CustomerService {
    /// Writes one batch of past orders of import `job` (supervisor) in one transaction with the
    /// job advanced past it, as [`CustomerService::import_batch`] does for customer rows.
    /// Counts are of rows: an order's rows are created, skipped or refused together.
    pub async fn import_history_batch(
        &self,
        who: &Principal,
        store: &StoreCode,
        (job, batch, recorded): (&mut ImportJob, ImportBatch<HistoryOrder>, bool),
    ) -> Result<Vec<Problem>> {
        who.authorize(Action::ImportData, store, "store")?;
        let shop = self.core.store(who, store).await?;
        let ImportBatch { rows: orders, mut problems, refused: refused_before, through_row } = batch;
        let repo = &self.core.repo;
        let vins: Vec<Vin> = orders.iter().filter_map(|o| Vin::parse(&o.head.vin).ok()).collect();
        let on_file = repo.vehicles_by_vins(store, &vins).await?;
        let owners: Vec<_> =
            on_file.iter().map(|v| v.customer_id).collect::<HashSet<_>>().into_iter().collect();
        let owners: HashMap<_, _> =
            repo.get_customers(store, &owners).await?.into_iter().map(|c| (c.id, c)).collect();
        let numbers: Vec<String> = orders.iter().map(|o| o.head.number.clone()).collect();
        let taken: HashSet<String> = repo.work_order_numbers(store, &numbers).await?.into_iter().collect();
        let mut cars = Cars {
            on_file: on_file.into_iter().map(|v| (v.vin.to_string(), v)).collect(),
            owners,
            moved: HashMap::new(),
        };
        let now = self.core.now();
        let today = now.with_timezone(&shop.timezone).date_naive();
        let own_prefix = format!("{store}-");
        let mut sets = Vec::new();
        let counts = &mut job.counts;
        counts.rows += refused_before + orders.iter().map(|o| o.row_numbers.len() as u64).sum::<u64>();
        counts.refused += refused_before;
        for order in orders {
            let rows = order.row_numbers.len() as u64;
            let head = &order.head;
            let vin = Vin::parse(&head.vin).map(|v| v.to_string()).unwrap_or_default();
            let refusal = if head.delivered_date > today {
                let day = head.delivered_date.to_string();
                Some(order.refused(
                    HistoryColumn::DeliveredDate,
                    &day,
                    "date.future",
                    "a past delivery is not after today",
                ))
            } else if head.number.starts_with(&own_prefix) {
                let message = "numbers beginning with the store's code are the store's own: keep the old system's number";
                Some(order.refused(
                    HistoryColumn::OrderNumber,
                    &head.number,
                    "order_number.reserved",
                    message,
                ))
            } else if taken.contains(&head.number) {
                match job.on_duplicate {
                    OnDuplicate::Skip | OnDuplicate::Merge => {
                        counts.skipped += rows;
                        continue;
                    }
                    OnDuplicate::Report => Some(order.refused(
                        HistoryColumn::OrderNumber,
                        &head.number,
                        "duplicate_on_file",
                        "an order with this number is on file",
                    )),
                }
            } else if !cars.on_file.contains_key(&vin) {
                let message = "no car with this VIN is on file: import the customer sheet first";
                Some(order.refused(HistoryColumn::Vin, &head.vin, "vehicle.not_found", message))
            } else {
                None
            };
            if let Some(found) = refusal {
                counts.refused += rows;
                problems.extend(found);
                continue;
            }
            match self.past_order(who, &shop, (order, vin), &mut cars) {
                Ok(set) => {
                    counts.created += rows;
                    sets.push(set);
                }
                Err(found) => {
                    counts.refused += rows;
                    problems.extend(found);
                }
            }
        }
        for (vin, moved) in cars.moved {
            let Some(before) = cars.on_file.get(&vin) else { continue };
            let mut next = moved;
            next.version = before.version + 1;
            next.updated_at = now;
            let fields = vec!["mileage_km".into(), "last_service_date".into(), "last_service_km".into()];
            let audit = self.core.audit(who, store, "vehicle.update", "vehicle", next.id, fields);
            sets.push(ChangeSet::of(
                Op::UpdateVehicle { vehicle: next, before: Box::new(before.clone()) },
                audit,
            ));
        }
        self.commit(store, (job, problems, sets, through_row, recorded)).await
    }

    /// One past order's writes: the delivered order and its intake reading; the car as the order
    /// leaves it is kept in `cars` for one update at the end of the batch.
    fn past_order(
        &self,
        who: &Principal,
        shop: &crate::model::store::Store,
        (order, vin): (HistoryOrder, String),
        cars: &mut Cars,
    ) -> std::result::Result<ChangeSet, Vec<Problem>> {
        let core = &self.core;
        let tz = shop.timezone;
        let (Some(vehicle), Some(intake_at), Some(delivered_at)) =
            (cars.on_file.get(&vin), noon(tz, order.head.intake_date), noon(tz, order.head.delivered_date))
        else {
            let day = order.head.delivered_date.to_string();
            return Err(order.refused(
                HistoryColumn::DeliveredDate,
                &day,
                "date",
                "no such day in the store's time zone",
            ));
        };
        let owner = cars.owners.get(&vehicle.customer_id);
        let parties = SettlementParties {
            store_name: shop.name.clone(),
            customer_name: owner.map(|c| c.name.clone()).unwrap_or_default(),
            customer_phone: owner.map(|c| c.phone.masked()).unwrap_or_default(),
            customer_company: owner.and_then(|c| c.company.clone()),
            vehicle_model: format!("{} {}", vehicle.make, vehicle.model),
        };
        let head = order.head.clone();
        let refusal = order.clone();
        let past = PastDelivery {
            vehicle,
            order,
            parties,
            intake_at,
            delivered_at,
            actor: &who.sub,
            now: core.now(),
        };
        let built = WorkOrder::from_history(past);
        let o = built.map_err(|e| {
            refusal.refused(HistoryColumn::OrderNumber, &head.number, &e.code(), &e.public_message())
        })?;
        let car = cars.moved.entry(vin).or_insert_with(|| vehicle.clone());
        car.mileage_km = car.mileage_km.max(head.mileage_km);
        let maintenance =
            matches!(head.category, RepairCategory::Level1Maintenance | RepairCategory::Level2Maintenance);
        if maintenance && car.last_service_date.is_none_or(|d| d <= head.delivered_date) {
            car.last_service_date = Some(head.delivered_date);
            car.last_service_km = Some(head.mileage_km);
        }
        let reading = OdometerReading {
            id: RecordId::generate(),
            store: shop.code.clone(),
            vehicle_id: o.vehicle_id,
            mileage_km: head.mileage_km,
            source: OdometerSource::Store,
            correction: false,
            note: Some(format!("intake {}", o.number)),
            recorded_by: who.sub.clone(),
            recorded_at: intake_at,
        };
        let audit = core.audit(who, &shop.code, "work_order.import", "work_order", o.id, vec![]);
        Ok(ChangeSet {
            ops: vec![Op::InsertWorkOrder(Box::new(o)), Op::InsertOdometer(reading)],
            audit: vec![audit],
            ..ChangeSet::default()
        })
    }
}

//! Moving a store in (issue 15): one checked row of a customer sheet written as a customer file
//! and its car, through the same use cases as the API. Each write carries the import's id and
//! the row number as its idempotency key, so an import run again after a crash writes no row
//! twice. A car already on file (by VIN), or a customer already on file (by phone), is skipped,
//! reported or merged, as the caller chose: merging fills what the car's file lacks, or adds the
//! row's car to the customer's file.

use serde::{Deserialize, Serialize};

use super::*;
use crate::model::customer::UpdateVehicle;
use crate::model::import::{CustomerRow, Problem};
use crate::value::Vin;

/// What to do with a row whose car (by VIN) is already on file.
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

/// What became of one row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowOutcome {
    /// Written (or, in a dry run, would be).
    Created,
    /// Written by an earlier run of the same import.
    AlreadyImported,
    /// The car was on file; what it lacked was filled in.
    Merged,
    /// The car was on file; left as it is.
    Skipped,
    /// The car was on file; the report names the row.
    Reported(Problem),
}

impl CustomerService {
    /// The live customer file with exactly this phone, if any; the search index finds it by its
    /// digits.
    async fn on_file_by_phone(
        &self,
        store: &StoreCode,
        phone: &str,
    ) -> Result<Option<crate::model::customer::Customer>> {
        let Ok(phone) = crate::value::Phone::parse(phone) else { return Ok(None) };
        let filter = crate::model::customer::CustomerFilter {
            q: Some(phone.as_str().to_string()),
            ..Default::default()
        };
        let page = crate::paging::PageRequest { size: 20, ..Default::default() };
        let found = self.core.repo.list_customers(store, &filter, &page).await?;
        Ok(found.items.into_iter().find(|c| c.phone.as_str() == phone.as_str()))
    }
}

fn key(import: &str, row: u64, what: &str) -> Result<IdempotencyKey> {
    IdempotencyKey::parse(&format!("import:{import}:{row}:{what}"))
}

impl CustomerService {
    /// Writes one checked row of import `import` (supervisor); nothing when `dry_run`.
    pub async fn import_row(
        &self,
        who: &Principal,
        store: &StoreCode,
        (import, row, on_duplicate, dry_run): (&str, CustomerRow, OnDuplicate, bool),
    ) -> Result<RowOutcome> {
        who.authorize(Action::ImportData, store, "store")?;
        let CustomerRow { row: number, customer, vehicle } = row;
        let (customer_key, vehicle_key) = (key(import, number, "customer")?, key(import, number, "vehicle")?);
        let repo = &self.core.repo;
        let done = repo.find_idempotency(store, &who.sub, customer_key.0.as_str()).await?.is_some();
        if !done && let Some(car) = &vehicle {
            let vin = Vin::parse(&car.vin).map_err(|e| DomainError::invalid("vin", e))?;
            if let Some(existing) = repo.find_vehicle_by_vin(store, &vin).await? {
                return match on_duplicate {
                    OnDuplicate::Skip => Ok(RowOutcome::Skipped),
                    OnDuplicate::Report => Ok(RowOutcome::Reported(Problem {
                        row: number,
                        column: "vin".into(),
                        value: car.vin.clone(),
                        rule: "duplicate_on_file".into(),
                        message: "the car is already on file".into(),
                    })),
                    OnDuplicate::Merge => {
                        let fill = UpdateVehicle {
                            plate: car.plate.clone().filter(|_| existing.plate.is_none()),
                            registration_date: car
                                .registration_date
                                .filter(|_| existing.registration_date.is_none()),
                            purchase_date: car.purchase_date.filter(|_| existing.purchase_date.is_none()),
                            ..UpdateVehicle::default()
                        };
                        // Nothing to fill (or filled by an earlier run): nothing is written.
                        if !dry_run && fill != UpdateVehicle::default() {
                            self.update_vehicle(who, store, existing.customer_id, existing.id, fill, None)
                                .await?;
                        }
                        Ok(RowOutcome::Merged)
                    }
                };
            }
        }
        if !done && let Some(owner) = self.on_file_by_phone(store, &customer.phone).await? {
            return match on_duplicate {
                OnDuplicate::Skip => Ok(RowOutcome::Skipped),
                OnDuplicate::Report => Ok(RowOutcome::Reported(Problem {
                    row: number,
                    column: "phone".into(),
                    value: customer.phone.clone(),
                    rule: "duplicate_on_file".into(),
                    message: "a customer file with this phone is on record".into(),
                })),
                OnDuplicate::Merge => {
                    if let (Some(car), false) = (vehicle, dry_run) {
                        self.add_vehicle(who, store, owner.id, car, Some(vehicle_key)).await?;
                    }
                    Ok(RowOutcome::Merged)
                }
            };
        }
        if dry_run {
            return Ok(RowOutcome::Created);
        }
        let file = self.create(who, store, customer, Some(customer_key)).await?;
        if let Some(car) = vehicle {
            self.add_vehicle(who, store, file.customer.id, car, Some(vehicle_key)).await?;
        }
        Ok(if done { RowOutcome::AlreadyImported } else { RowOutcome::Created })
    }
}

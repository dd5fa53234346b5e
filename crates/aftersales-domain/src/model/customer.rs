//! Customer files (客户档案): customers, their vehicles, odometer readings and consent (CF-1..CF-6).

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::value::{CustomerId, Phone, Plate, RecordId, StoreCode, VehicleId, Vin};
use crate::{DomainError, Result};

/// How a customer prefers to be contacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ContactChannel {
    /// A phone call.
    Phone,
    /// A text message.
    Sms,
    /// WeChat.
    Wechat,
    /// E-mail.
    Email,
    /// A letter.
    Letter,
}

/// How consent to marketing contact was given or withdrawn (CF-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ConsentMethod {
    /// Face to face at the store.
    InPerson,
    /// On the phone.
    Phone,
    /// On paper, signed.
    Written,
    /// In an app or on a web page.
    Online,
    /// By text message (e.g. replying TD to opt out).
    Sms,
}

/// The kind of vehicle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum VehicleType {
    /// Saloon car.
    Sedan,
    /// Hatchback.
    Hatchback,
    /// Estate car.
    Wagon,
    /// Sport utility vehicle.
    Suv,
    /// Multi-purpose vehicle.
    Mpv,
    /// Pick-up truck.
    Pickup,
    /// Van.
    Van,
    /// Truck.
    Truck,
    /// Bus or coach.
    Bus,
    /// Anything else.
    Other,
}

/// Where an odometer reading came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OdometerSource {
    /// Read at the store (intake, service).
    Store,
    /// Told by the customer.
    Customer,
    /// From a connected-car or DMS feed.
    Telematics,
}

/// A customer file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Customer {
    /// Id.
    pub id: CustomerId,
    /// The store that keeps the file.
    pub store: StoreCode,
    /// Full name.
    pub name: String,
    /// Main phone number.
    pub phone: Phone,
    /// Postal address.
    pub address: Option<String>,
    /// Company, for fleet customers.
    pub company: Option<String>,
    /// Preferred contact channel.
    pub preferred_channel: Option<ContactChannel>,
    /// Preferred contact time, in the customer's words ("weekday evenings").
    pub preferred_contact_time: Option<String>,
    /// Services the customer wants (CF-1).
    pub wanted_services: Option<String>,
    /// Consent to marketing contact, kept apart from service contact (CF-5).
    pub marketing_consent: bool,
    /// When consent was last given or withdrawn.
    pub marketing_consent_changed_at: Option<DateTime<Utc>>,
    /// Set when this file was merged into another (CF-6); it then only points there.
    pub merged_into: Option<CustomerId>,
    /// A fleet account with credit (挂账): its share may be left on account at handover (issue 14).
    pub credit_account: bool,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// When the file was opened.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

impl Customer {
    /// Returns the file with its phone masked unless `full` (CF-5).
    pub fn for_viewer(mut self, full: bool) -> CustomerView {
        if !full {
            self.phone = self.phone.to_masked();
        }
        CustomerView { customer: self, phone_masked: !full }
    }

    /// Refuses changes to a file that was merged away.
    pub fn ensure_live(&self) -> Result<()> {
        match self.merged_into {
            Some(target) => Err(DomainError::FailedPrecondition {
                code: "customer.merged",
                message: format!("customer file was merged into {target}; use that file"),
            }),
            None => Ok(()),
        }
    }
}

/// A customer file as one caller may see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerView {
    /// The file, its phone masked for roles that do not need it.
    pub customer: Customer,
    /// Whether `customer.phone` is masked.
    pub phone_masked: bool,
}

/// Opens a customer file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateCustomer {
    /// Full name.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// Main phone number.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[0-9+()\s-]{7,20}$"))]
    pub phone: String,
    /// Postal address.
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub address: Option<String>,
    /// Company, for fleet customers.
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub company: Option<String>,
    /// Preferred contact channel.
    pub preferred_channel: Option<ContactChannel>,
    /// Preferred contact time.
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub preferred_contact_time: Option<String>,
    /// Services the customer wants.
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub wanted_services: Option<String>,
    /// Consent to marketing contact; default false.
    pub marketing_consent: Option<bool>,
    /// How consent was given; required when consent is true.
    pub consent_method: Option<ConsentMethod>,
}

/// Changes a customer file; absent fields stay, empty text clears an optional field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateCustomer {
    /// New name.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: Option<String>,
    /// New phone.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[0-9+()\s-]{7,20}$"))]
    pub phone: Option<String>,
    /// New address ("" clears it).
    #[cfg_attr(feature = "openapi", schema(max_length = 200))]
    pub address: Option<String>,
    /// New company ("" clears it).
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub company: Option<String>,
    /// New preferred channel.
    pub preferred_channel: Option<ContactChannel>,
    /// New preferred time ("" clears it).
    #[cfg_attr(feature = "openapi", schema(max_length = 100))]
    pub preferred_contact_time: Option<String>,
    /// New wanted services ("" clears it).
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub wanted_services: Option<String>,
    /// Give or withdraw marketing consent (CF-5); recorded in the consent history.
    pub marketing_consent: Option<bool>,
    /// How the consent change was made; required with `marketing_consent`.
    pub consent_method: Option<ConsentMethod>,
    /// Give or take back credit (挂账) to a fleet account, one naming its company (supervisor).
    #[serde(default)]
    pub credit_account: Option<bool>,
}

/// One change of marketing consent (CF-5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEvent {
    /// Id.
    pub id: RecordId,
    /// Store.
    pub store: StoreCode,
    /// Customer.
    pub customer_id: CustomerId,
    /// Given (true) or withdrawn (false).
    pub granted: bool,
    /// How.
    pub method: ConsentMethod,
    /// Who recorded it.
    pub recorded_by: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// Default maintenance interval in km, used when a vehicle is added without one.
pub const DEFAULT_CYCLE_KM: u32 = 5_000;
/// Default maintenance interval in months.
pub const DEFAULT_CYCLE_MONTHS: u32 = 6;

/// A vehicle on a customer file; its identity is the VIN (CF-6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vehicle {
    /// Id.
    pub id: VehicleId,
    /// Store.
    pub store: StoreCode,
    /// The current owner's file.
    pub customer_id: CustomerId,
    /// VIN.
    pub vin: Vin,
    /// Plate; a brand-new car may have none yet.
    pub plate: Option<Plate>,
    /// Make.
    pub make: String,
    /// Model.
    pub model: String,
    /// Kind.
    pub vehicle_type: Option<VehicleType>,
    /// Colour.
    pub color: Option<String>,
    /// First registration.
    pub registration_date: Option<NaiveDate>,
    /// The purchase invoice's date (购车发票日期), from which the 包修期 and 三包 periods run.
    #[serde(default)]
    pub purchase_date: Option<NaiveDate>,
    /// Highest odometer reading so far (CF-6).
    pub mileage_km: u32,
    /// Maintenance interval in km.
    pub maintenance_cycle_km: u32,
    /// Maintenance interval in months.
    pub maintenance_cycle_months: u32,
    /// Date of the last maintenance.
    pub last_service_date: Option<NaiveDate>,
    /// Odometer at the last maintenance.
    pub last_service_km: Option<u32>,
    /// Since when the current owner holds it (CF-6).
    pub owner_since: NaiveDate,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// When it was added.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// When the next maintenance is due, by date and by mileage, whichever comes first (CF-1, FU-10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceDue {
    /// Due date, when a start date is known.
    pub date: Option<NaiveDate>,
    /// Due odometer reading.
    pub km: u32,
}

impl Vehicle {
    /// Computes the next maintenance from the last service (or registration) and the cycle.
    pub fn next_maintenance(&self) -> MaintenanceDue {
        next_maintenance(
            self.last_service_date.or(self.registration_date),
            self.last_service_km.unwrap_or(0),
            self.maintenance_cycle_km,
            self.maintenance_cycle_months,
        )
    }
}

/// Returns the due date `months` after `since` and the due mileage `cycle_km` after `since_km`.
pub fn next_maintenance(
    since: Option<NaiveDate>,
    since_km: u32,
    cycle_km: u32,
    months: u32,
) -> MaintenanceDue {
    MaintenanceDue {
        date: since.and_then(|d| d.checked_add_months(Months::new(months))),
        km: since_km.saturating_add(cycle_km),
    }
}

/// Adds a vehicle to a customer file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct AddVehicle {
    /// VIN.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-HJ-NPR-Za-hj-npr-z0-9]{17}$"))]
    pub vin: String,
    /// Plate.
    #[cfg_attr(feature = "openapi", schema(max_length = 16))]
    pub plate: Option<String>,
    /// Make.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 50))]
    pub make: String,
    /// Model.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 50))]
    pub model: String,
    /// Kind.
    pub vehicle_type: Option<VehicleType>,
    /// Colour.
    #[cfg_attr(feature = "openapi", schema(max_length = 50))]
    pub color: Option<String>,
    /// First registration, `YYYY-MM-DD`.
    pub registration_date: Option<NaiveDate>,
    /// The purchase invoice's date (购车发票日期): the 包修期 and 三包 periods run from it.
    #[serde(default)]
    pub purchase_date: Option<NaiveDate>,
    /// Odometer now.
    #[cfg_attr(feature = "openapi", schema(maximum = 2000000))]
    pub mileage_km: Option<u32>,
    /// Maintenance interval in km.
    #[cfg_attr(feature = "openapi", schema(minimum = 500, maximum = 100000))]
    pub maintenance_cycle_km: Option<u32>,
    /// Maintenance interval in months.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 60))]
    pub maintenance_cycle_months: Option<u32>,
    /// Last maintenance date, for cars serviced before this system.
    pub last_service_date: Option<NaiveDate>,
    /// Odometer at the last maintenance.
    #[cfg_attr(feature = "openapi", schema(maximum = 2000000))]
    pub last_service_km: Option<u32>,
}

/// Changes a vehicle; the VIN never changes (it is the identity) and mileage only via readings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateVehicle {
    /// New plate ("" clears it).
    #[cfg_attr(feature = "openapi", schema(max_length = 16))]
    pub plate: Option<String>,
    /// New make.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 50))]
    pub make: Option<String>,
    /// New model.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 50))]
    pub model: Option<String>,
    /// New kind.
    pub vehicle_type: Option<VehicleType>,
    /// New colour ("" clears it).
    #[cfg_attr(feature = "openapi", schema(max_length = 50))]
    pub color: Option<String>,
    /// New registration date.
    pub registration_date: Option<NaiveDate>,
    /// New purchase invoice date (三包).
    #[serde(default)]
    pub purchase_date: Option<NaiveDate>,
    /// New interval in km.
    #[cfg_attr(feature = "openapi", schema(minimum = 500, maximum = 100000))]
    pub maintenance_cycle_km: Option<u32>,
    /// New interval in months.
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 60))]
    pub maintenance_cycle_months: Option<u32>,
    /// New last service date.
    pub last_service_date: Option<NaiveDate>,
    /// New last service mileage.
    #[cfg_attr(feature = "openapi", schema(maximum = 2000000))]
    pub last_service_km: Option<u32>,
}

/// An odometer reading (CF-6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OdometerReading {
    /// Id.
    pub id: RecordId,
    /// Store.
    pub store: StoreCode,
    /// Vehicle.
    pub vehicle_id: VehicleId,
    /// Reading in km.
    pub mileage_km: u32,
    /// Source.
    pub source: OdometerSource,
    /// Whether this corrects a wrong, higher earlier reading.
    pub correction: bool,
    /// Why, for a correction.
    pub note: Option<String>,
    /// Who recorded it.
    pub recorded_by: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// Records an odometer reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RecordOdometer {
    /// Reading in km.
    #[cfg_attr(feature = "openapi", schema(maximum = 2000000))]
    pub mileage_km: u32,
    /// Source; default `store`.
    pub source: Option<OdometerSource>,
    /// Set to record a lower reading that corrects a mistake.
    pub correction: Option<bool>,
    /// Why; required for a correction.
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub note: Option<String>,
}

/// Checks a new reading against the current one: readings only go up unless corrected (CF-6).
pub fn check_odometer(field: &str, current_km: u32, reading: &RecordOdometer) -> Result<()> {
    let correction = reading.correction.unwrap_or(false);
    if correction && reading.note.as_deref().is_none_or(|n| n.trim().is_empty()) {
        return Err(DomainError::invalid("note", "a correction needs a note saying why"));
    }
    if reading.mileage_km < current_km && !correction {
        return Err(DomainError::FailedPrecondition {
            code: "odometer.reading_lower",
            message: format!(
                "{field} {} is lower than the vehicle's current reading {current_km}; odometer readings only \
                 go up unless recorded as a correction",
                reading.mileage_km
            ),
        });
    }
    Ok(())
}

impl Vehicle {
    /// Takes a reading under the CF-6 rule (`field` names it in errors): the car as it reads now,
    /// and the reading to append.
    pub fn read_odometer(
        &self,
        field: &str,
        reading: &RecordOdometer,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(Vehicle, OdometerReading)> {
        check_odometer(field, self.mileage_km, reading)?;
        let mut next = self.clone();
        next.mileage_km = reading.mileage_km;
        next.version = self.version + 1;
        next.updated_at = now;
        let record = OdometerReading {
            id: RecordId::generate(),
            store: self.store.clone(),
            vehicle_id: self.id,
            mileage_km: reading.mileage_km,
            source: reading.source.unwrap_or(OdometerSource::Store),
            correction: reading.correction.unwrap_or(false),
            note: crate::value::non_empty(reading.note.clone()),
            recorded_by: by.to_string(),
            recorded_at: now,
        };
        Ok((next, record))
    }
}

/// Merges one customer file into another (CF-6).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MergeCustomers {
    /// The file that is merged away.
    pub source_id: CustomerId,
    /// The file that stays and receives the history.
    pub target_id: CustomerId,
}

/// Returns the consent that survives a merge: an opt-out on either file is honoured (CF-5).
pub fn merged_consent(target: &Customer, source: &Customer) -> bool {
    target.marketing_consent && source.marketing_consent
}

/// Returns what a file still lacks by CF-1 (the customer's address and contact preferences, the
/// car's plate, type, colour and registration date); empty when complete (CF-2).
pub fn missing_file_items(customer: &Customer, vehicle: &Vehicle) -> Vec<&'static str> {
    [
        ("address", customer.address.is_some()),
        ("preferred_channel", customer.preferred_channel.is_some()),
        ("preferred_contact_time", customer.preferred_contact_time.is_some()),
        ("plate", vehicle.plate.is_some()),
        ("vehicle_type", vehicle.vehicle_type.is_some()),
        ("color", vehicle.color.is_some()),
        ("registration_date", vehicle.registration_date.is_some()),
    ]
    .into_iter()
    .filter(|(_, present)| !present)
    .map(|(item, _)| item)
    .collect()
}

/// Filters for listing customer files.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerFilter {
    /// Free text over name, phone, plate and VIN.
    pub q: Option<String>,
    /// Exact plate.
    pub plate: Option<Plate>,
    /// Exact VIN.
    pub vin: Option<Vin>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    // CF-1, FU-10
    #[test]
    fn next_maintenance_counts_the_cycle_from_the_last_service() {
        let due = next_maintenance(Some(date("2026-01-31")), 12_000, 5_000, 6);
        assert_eq!(due, MaintenanceDue { date: Some(date("2026-07-31")), km: 17_000 });
    }

    // CF-1: month ends clamp rather than spill into the next month.
    #[test]
    fn next_maintenance_clamps_to_the_end_of_a_short_month() {
        let due = next_maintenance(Some(date("2025-08-31")), 0, 10_000, 6);
        assert_eq!(due.date, Some(date("2026-02-28")));
    }

    #[test]
    fn next_maintenance_without_any_date_has_only_a_mileage() {
        let due = next_maintenance(None, 0, 5_000, 6);
        assert_eq!(due, MaintenanceDue { date: None, km: 5_000 });
    }

    fn reading(km: u32, correction: bool, note: Option<&str>) -> RecordOdometer {
        RecordOdometer {
            mileage_km: km,
            source: None,
            correction: Some(correction),
            note: note.map(Into::into),
        }
    }

    // CF-6
    #[test]
    fn odometer_readings_only_go_up() {
        assert!(check_odometer("mileage_km", 10_000, &reading(10_000, false, None)).is_ok());
        assert!(check_odometer("mileage_km", 10_000, &reading(10_001, false, None)).is_ok());
        let err = check_odometer("mileage_km", 10_000, &reading(9_999, false, None)).unwrap_err();
        assert_eq!(err.code(), "odometer.reading_lower");
    }

    // CF-6
    #[test]
    fn a_lower_reading_is_accepted_only_as_a_correction_with_a_note() {
        assert!(check_odometer("mileage_km", 10_000, &reading(1_000, true, Some("typo at intake"))).is_ok());
        let err = check_odometer("mileage_km", 10_000, &reading(1_000, true, None)).unwrap_err();
        assert_eq!(err.field_errors()[0].field, "note");
    }

    proptest::proptest! {
        // CF-6: whatever the numbers, a lower uncorrected reading never passes.
        #[test]
        fn no_uncorrected_reading_below_the_current_passes(current in 0u32..2_000_000, new in 0u32..2_000_000) {
            let ok = check_odometer("mileage_km", current, &reading(new, false, None)).is_ok();
            proptest::prop_assert_eq!(ok, new >= current);
        }
    }
}

//! The checks of a new or changed customer file and car (CF-1, CF-4), shared by the API's use
//! cases and the import's batches (issue 15), so both refuse the same input the same way.

use crate::error::Validator;
use crate::model::customer::{AddVehicle, CreateCustomer};
use crate::value::{Phone, Plate, Vin, non_empty};
use crate::{DomainError, Result};

pub(super) fn check_cycle(v: &mut Validator, km: Option<u32>, months: Option<u32>) {
    if km.is_some_and(|km| !(500..=100_000).contains(&km)) {
        v.push("maintenance_cycle_km", "must be between 500 and 100000 km");
    }
    if months.is_some_and(|m| !(1..=60).contains(&m)) {
        v.push("maintenance_cycle_months", "must be between 1 and 60 months");
    }
}

/// A new file's name and phone, checked with its other fields (CF-1); each problem names its
/// field.
pub(super) fn check_new_customer(cmd: &CreateCustomer) -> Result<(String, Phone)> {
    let mut v = Validator::new();
    let name = v.text("name", &cmd.name, crate::error::limits::NAME);
    let phone = v.check("phone", Phone::parse(&cmd.phone));
    if cmd.marketing_consent.unwrap_or(false) && cmd.consent_method.is_none() {
        v.push("consent_method", "is required when marketing_consent is true");
    }
    check_optional_lengths(
        &mut v,
        &cmd.address,
        &cmd.company,
        &cmd.preferred_contact_time,
        &cmd.wanted_services,
    );
    v.finish()?;
    let phone = phone.ok_or_else(|| DomainError::Internal("validated phone missing".into()))?;
    Ok((name, phone))
}

/// A new car's checked identity (CF-4).
#[derive(Debug, Clone)]
pub(super) struct CheckedVehicle {
    pub(super) vin: Vin,
    pub(super) plate: Option<Plate>,
    pub(super) make: String,
    pub(super) model: String,
}

/// A new car's fields, checked; each problem names its field.
pub(super) fn check_new_vehicle(cmd: &AddVehicle) -> Result<CheckedVehicle> {
    let mut v = Validator::new();
    v.km("mileage_km", cmd.mileage_km);
    v.km("last_service_km", cmd.last_service_km);
    let vin = v.check("vin", Vin::parse(&cmd.vin));
    // The sent length counts, as the schema says: spaces are not a way past the limit.
    v.optional_text("plate", cmd.plate.as_deref(), crate::error::limits::PLATE);
    let plate = non_empty(cmd.plate.clone()).and_then(|p| v.check("plate", Plate::parse(&p)));
    let make = v.text("make", &cmd.make, crate::error::limits::LABEL);
    let model = v.text("model", &cmd.model, crate::error::limits::LABEL);
    check_cycle(&mut v, cmd.maintenance_cycle_km, cmd.maintenance_cycle_months);
    v.optional_text("color", cmd.color.as_deref(), crate::error::limits::LABEL);
    v.finish()?;
    let vin = vin.ok_or_else(|| DomainError::Internal("validated vin missing".into()))?;
    Ok(CheckedVehicle { vin, plate, make, model })
}

pub(super) fn check_optional_lengths(
    v: &mut Validator,
    address: &Option<String>,
    company: &Option<String>,
    preferred_contact_time: &Option<String>,
    wanted_services: &Option<String>,
) {
    for (field, value, max) in [
        ("address", address, 200),
        ("company", company, 100),
        ("preferred_contact_time", preferred_contact_time, 100),
        ("wanted_services", wanted_services, 500),
    ] {
        v.optional_text(field, value.as_deref(), max);
    }
}

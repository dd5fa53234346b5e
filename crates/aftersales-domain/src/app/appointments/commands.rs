//! The commands of appointments (AP-1..AP-4), as both fronts receive them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Validator, limits};
use crate::model::appointment::{CancelledBy, Channel, NewCustomer, Visitor};
use crate::model::work_order::{FuelLevel, RepairCategory};
use crate::value::{CustomerId, Phone, Plate, VehicleId, Vin, non_empty};

/// Holds or books a start time (AP-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BookAppointment {
    /// The service type codes wanted; one bay kind for all of them.
    #[cfg_attr(feature = "openapi", schema(min_items = 1, max_items = 10))]
    pub service_types: Vec<String>,
    /// The start, one of the free start times.
    pub start: DateTime<Utc>,
    /// How the booking is made.
    pub channel: Channel,
    /// Hold the place for the store's hold time (default 10 min) instead of booking at once.
    #[serde(default)]
    pub hold: bool,
    /// Who is coming; needed to book, optional to hold.
    pub visitor: Option<VisitorInput>,
}

/// Who is coming, with which car and why (AP-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VisitorInput {
    /// The customer's file; or `new_customer`.
    pub customer_id: Option<CustomerId>,
    /// A customer without a file yet; or `customer_id`.
    pub new_customer: Option<NewCustomerInput>,
    /// A car on the customer's file; or `plate` / `vin`.
    pub vehicle_id: Option<VehicleId>,
    /// The car's plate.
    #[cfg_attr(feature = "openapi", schema(max_length = 16))]
    pub plate: Option<String>,
    /// The car's VIN.
    #[cfg_attr(feature = "openapi", schema(max_length = 17))]
    pub vin: Option<String>,
    /// The customer's own account of the fault.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 2000))]
    pub fault_description: String,
}

/// A new customer's name and phone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewCustomerInput {
    /// Full name.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// Phone number.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[0-9+()\s-]{7,20}$"))]
    pub phone: String,
}

/// Confirms a hold (AP-3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfirmBooking {
    /// Who is coming, if the hold did not say.
    pub visitor: Option<VisitorInput>,
}

/// Moves a booking (AP-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RescheduleAppointment {
    /// The new start, one of the free start times.
    pub start: DateTime<Utc>,
}

/// Cancels a hold or a booking (AP-4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CancelAppointment {
    /// Who cancels: the customer until the cut-off, the store with a reason.
    pub by: CancelledBy,
    /// Why; required when the store cancels.
    #[cfg_attr(feature = "openapi", schema(max_length = 500))]
    pub reason: Option<String>,
}

/// Records the car's arrival and opens its work order from the booking (AP-4, WO-1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CheckIn {
    /// Odometer at intake (CF-6).
    #[cfg_attr(feature = "openapi", schema(maximum = 2000000))]
    pub intake_mileage_km: u32,
    /// Fuel at intake.
    pub fuel_level: Option<FuelLevel>,
    /// Repair category (WO-2).
    pub repair_category: RepairCategory,
    /// When the car is promised back.
    pub promised_at: DateTime<Utc>,
    /// The customer's file, when the booking was for a new customer (open it first).
    pub customer_id: Option<CustomerId>,
    /// The car on that file, when the booking did not name one.
    pub vehicle_id: Option<VehicleId>,
}

impl VisitorInput {
    /// Checks the input on its own; the caller then resolves the file and the car.
    pub(crate) fn check(&self, v: &mut Validator, field: &str) -> Visitor {
        let VisitorInput { customer_id, new_customer, vehicle_id, plate, vin, fault_description } = self;
        let fault = v.text(&format!("{field}.fault_description"), fault_description, limits::TEXT);
        let new_customer = match (customer_id, new_customer) {
            (Some(_), Some(_)) | (None, None) => {
                v.push(
                    format!("{field}.customer_id"),
                    "name the customer's file or a new customer, one of them",
                );
                None
            }
            (Some(_), None) => None,
            (None, Some(NewCustomerInput { name, phone })) => {
                let name = v.text(&format!("{field}.new_customer.name"), name, limits::NAME);
                let phone = v.check(&format!("{field}.new_customer.phone"), Phone::parse(phone));
                phone.map(|phone| NewCustomer { name, phone })
            }
        };
        let plate =
            non_empty(plate.clone()).and_then(|p| v.check(&format!("{field}.plate"), Plate::parse(&p)));
        let vin = non_empty(vin.clone()).and_then(|p| v.check(&format!("{field}.vin"), Vin::parse(&p)));
        Visitor {
            customer_id: *customer_id,
            new_customer,
            vehicle_id: *vehicle_id,
            plate,
            vin,
            fault_description: fault,
        }
    }
}

//! Response bodies of customer files, cars and consent history.

use aftersales_domain::model::customer::{
    ConsentEvent, ConsentMethod, ContactChannel, CustomerView, Vehicle, VehicleType,
};
use aftersales_domain::value::Etag;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// A customer file.
#[derive(Debug, Serialize, ToSchema)]
pub struct CustomerDto {
    /// Id.
    pub id: Uuid,
    /// Store code.
    pub store: String,
    /// Full name.
    pub name: String,
    /// Phone; masked (`138****5678`) for roles that do not need it (CF-5).
    pub phone: String,
    /// Whether `phone` is masked.
    pub phone_masked: bool,
    /// Address.
    pub address: Option<String>,
    /// Company, for fleet customers.
    pub company: Option<String>,
    /// Preferred channel.
    pub preferred_channel: Option<ContactChannel>,
    /// Preferred contact time.
    pub preferred_contact_time: Option<String>,
    /// Services the customer wants.
    pub wanted_services: Option<String>,
    /// Consent to marketing contact (CF-5).
    pub marketing_consent: bool,
    /// When consent last changed.
    pub marketing_consent_changed_at: Option<DateTime<Utc>>,
    /// The file this one was merged into, if any (CF-6).
    pub merged_into: Option<Uuid>,
    /// A fleet account with credit (挂账, issue 14).
    pub credit_account: bool,
    /// Version tag for `If-Match`.
    pub etag: String,
    /// Opened.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<CustomerView> for CustomerDto {
    fn from(view: CustomerView) -> Self {
        let CustomerView { customer, phone_masked } = view;
        let aftersales_domain::model::customer::Customer {
            id,
            store,
            name,
            phone,
            address,
            company,
            preferred_channel,
            preferred_contact_time,
            wanted_services,
            marketing_consent,
            marketing_consent_changed_at,
            merged_into,
            credit_account,
            version,
            created_at,
            updated_at,
        } = customer;
        Self {
            id: id.0,
            store: store.to_string(),
            name,
            phone: phone.as_str().to_string(),
            phone_masked,
            address,
            company,
            preferred_channel,
            preferred_contact_time,
            wanted_services,
            marketing_consent,
            marketing_consent_changed_at,
            merged_into: merged_into.map(|id| id.0),
            credit_account,
            etag: Etag::render(version),
            created_at,
            updated_at,
        }
    }
}

/// A vehicle.
#[derive(Debug, Serialize, ToSchema)]
pub struct VehicleDto {
    /// Id.
    pub id: Uuid,
    /// Store code.
    pub store: String,
    /// Owner's file.
    pub customer_id: Uuid,
    /// VIN.
    pub vin: String,
    /// Plate.
    pub plate: Option<String>,
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
    /// The purchase invoice's date; the 三包 periods run from it.
    pub purchase_date: Option<NaiveDate>,
    /// Highest odometer reading.
    pub mileage_km: u32,
    /// Maintenance interval, km.
    pub maintenance_cycle_km: u32,
    /// Maintenance interval, months.
    pub maintenance_cycle_months: u32,
    /// Last maintenance.
    pub last_service_date: Option<NaiveDate>,
    /// Odometer at the last maintenance.
    pub last_service_km: Option<u32>,
    /// Next maintenance due by date (CF-1).
    pub next_maintenance_due_date: Option<NaiveDate>,
    /// Next maintenance due by odometer (CF-1).
    pub next_maintenance_due_km: u32,
    /// Owner since.
    pub owner_since: NaiveDate,
    /// Version tag.
    pub etag: String,
    /// Added.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Vehicle> for VehicleDto {
    fn from(v: Vehicle) -> Self {
        let due = v.next_maintenance();
        let Vehicle {
            id,
            store,
            customer_id,
            vin,
            plate,
            make,
            model,
            vehicle_type,
            color,
            registration_date,
            purchase_date,
            mileage_km,
            maintenance_cycle_km,
            maintenance_cycle_months,
            last_service_date,
            last_service_km,
            owner_since,
            version,
            created_at,
            updated_at,
        } = v;
        Self {
            id: id.0,
            store: store.to_string(),
            customer_id: customer_id.0,
            vin: vin.to_string(),
            plate: plate.map(|p| p.to_string()),
            make,
            model,
            vehicle_type,
            color,
            registration_date,
            purchase_date,
            mileage_km,
            maintenance_cycle_km,
            maintenance_cycle_months,
            last_service_date,
            last_service_km,
            next_maintenance_due_date: due.date,
            next_maintenance_due_km: due.km,
            owner_since,
            etag: Etag::render(version),
            created_at,
            updated_at,
        }
    }
}

/// One change of marketing consent.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentEventDto {
    /// Id.
    pub id: Uuid,
    /// Given or withdrawn.
    pub granted: bool,
    /// How.
    pub method: ConsentMethod,
    /// Who recorded it.
    pub recorded_by: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

impl From<ConsentEvent> for ConsentEventDto {
    fn from(e: ConsentEvent) -> Self {
        let ConsentEvent { id, granted, method, recorded_by, recorded_at, store: _, customer_id: _ } = e;
        Self { id: id.0, granted, method, recorded_by, recorded_at }
    }
}

list_dto!(
    /// A page of customer files.
    CustomerList, customers, CustomerDto
);

list_dto!(
    /// A page of vehicles.
    VehicleList, vehicles, VehicleDto
);

/// A customer's consent history, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentEventList {
    /// The changes.
    pub consent_events: Vec<ConsentEventDto>,
}

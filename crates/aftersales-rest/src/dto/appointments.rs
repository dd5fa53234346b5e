//! Response bodies of appointments and availability (AP-1..AP-5).

use aftersales_domain::model::appointment::{
    Appointment, AppointmentStatus, BayKind, CancelledBy, Change, Channel, NewCustomer, Visitor,
};
use aftersales_domain::value::Etag;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// The free start times of a range (AP-2).
#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityDto {
    /// Free starts, UTC, in order.
    pub starts: Vec<DateTime<Utc>>,
}

/// One step of an appointment's history.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentChangeDto {
    /// State after the step.
    pub status: AppointmentStatus,
    /// Start after the step.
    pub start: DateTime<Utc>,
    /// When.
    pub at: DateTime<Utc>,
    /// Reason, where given.
    pub reason: Option<String>,
}

/// A new customer's name and phone.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewCustomerDto {
    /// Name.
    pub name: String,
    /// Phone.
    pub phone: String,
}

/// Who is coming, with which car and why.
#[derive(Debug, Serialize, ToSchema)]
pub struct VisitorDto {
    /// The customer's file.
    pub customer_id: Option<Uuid>,
    /// A customer without a file yet.
    pub new_customer: Option<NewCustomerDto>,
    /// The car on the file.
    pub vehicle_id: Option<Uuid>,
    /// Plate.
    pub plate: Option<String>,
    /// VIN.
    pub vin: Option<String>,
    /// The customer's account of the fault.
    pub fault_description: String,
}

/// An appointment (AP-3, AP-4).
#[derive(Debug, Serialize, ToSchema)]
pub struct AppointmentDto {
    /// Id.
    pub id: Uuid,
    /// State.
    pub status: AppointmentStatus,
    /// Arrival, UTC.
    pub start: DateTime<Utc>,
    /// When the bay is free again.
    pub end: DateTime<Utc>,
    /// The bay kind it takes.
    pub bay: BayKind,
    /// Planned minutes.
    pub minutes: u32,
    /// Service type codes.
    pub service_types: Vec<String>,
    /// How it was made.
    pub channel: Channel,
    /// When a hold lapses.
    pub hold_expires_at: Option<DateTime<Utc>>,
    /// Who cancelled.
    pub cancelled_by: Option<CancelledBy>,
    /// Who is coming; set once booked.
    pub visitor: Option<VisitorDto>,
    /// The advisor receiving the car.
    pub advisor: Option<String>,
    /// The work order check-in opened.
    pub work_order_id: Option<Uuid>,
    /// When the day-before reminder went out.
    pub reminded_at: Option<DateTime<Utc>>,
    /// Every step.
    pub history: Vec<AppointmentChangeDto>,
    /// Version tag for `If-Match`.
    pub etag: String,
}

list_dto!(
    /// A page of the advisor's day.
    AppointmentList, appointments, AppointmentDto
);

impl From<Appointment> for AppointmentDto {
    fn from(a: Appointment) -> Self {
        let end = a.end();
        let Appointment {
            id,
            status,
            start,
            bay,
            minutes,
            services,
            channel,
            hold_expires_at,
            cancelled_by,
            history,
            version,
            reminded_at,
            visitor,
            advisor,
            work_order_id,
        } = a;
        Self {
            id: id.0,
            status,
            start,
            end,
            bay,
            minutes,
            service_types: services,
            channel,
            hold_expires_at,
            cancelled_by,
            visitor: visitor.map(Into::into),
            advisor,
            work_order_id: work_order_id.map(|w| w.0),
            reminded_at,
            history: history
                .into_iter()
                .map(|Change { status, start, at, reason }| AppointmentChangeDto {
                    status,
                    start,
                    at,
                    reason,
                })
                .collect(),
            etag: Etag::render(version),
        }
    }
}

impl From<Visitor> for VisitorDto {
    fn from(v: Visitor) -> Self {
        let Visitor { customer_id, new_customer, vehicle_id, plate, vin, fault_description } = v;
        Self {
            customer_id: customer_id.map(|c| c.0),
            new_customer: new_customer.map(|NewCustomer { name, phone }| NewCustomerDto {
                name,
                phone: phone.as_str().to_string(),
            }),
            vehicle_id: vehicle_id.map(|v| v.0),
            plate: plate.map(|p| p.to_string()),
            vin: vin.map(|v| v.to_string()),
            fault_description,
        }
    }
}

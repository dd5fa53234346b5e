//! Appointments (AP-1..AP-6): a store's capacity, the free start times computed from the bookings,
//! and the booking's states. Every move not listed in AP-4 is refused and changes nothing.

pub mod availability;
pub mod capacity;
#[cfg(test)]
mod tests;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

pub use availability::{Need, Occupied, Refusal, capacity_not_set, check_start, free_starts, need};
pub use capacity::{BayKind, CLOSED_DATE_TWICE, Capacity, Hours, ServiceType, closed_date_set};

use crate::DomainError;
use crate::model::work_order::WorkOrderId;
use crate::value::{CustomerId, Phone, Plate, VehicleId, Vin, uuid_id};

uuid_id!(
    /// An appointment's id.
    AppointmentId
);

/// Where an appointment stands (AP-4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AppointmentStatus {
    /// Kept for a customer who is confirming, until the hold expires.
    Held,
    /// Booked.
    Booked,
    /// The car arrived; a work order was opened from the booking.
    CheckedIn,
    /// Cancelled by the customer or the store.
    Cancelled,
    /// Not checked in by the grace time.
    NoShow,
}

/// How the booking was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The customer's app.
    App,
    /// A phone call to the store.
    Phone,
    /// At the counter.
    WalkIn,
}

/// Who cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CancelledBy {
    /// The customer, before the cut-off.
    Customer,
    /// The store, with a reason.
    Store,
}

/// One step of an appointment's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The state after the step.
    pub status: AppointmentStatus,
    /// The start after the step.
    pub start: DateTime<Utc>,
    /// When.
    pub at: DateTime<Utc>,
    /// A reason, where one was given.
    pub reason: Option<String>,
}

/// A new customer's name and phone, for a booking made before they have a file (AP-3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCustomer {
    /// Full name.
    pub name: String,
    /// Phone number.
    pub phone: Phone,
}

/// Who is coming, with which car and why (AP-3); a booking has one, a hold may not yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visitor {
    /// The customer's file, for a known customer.
    pub customer_id: Option<CustomerId>,
    /// A new customer's name and phone (CF-2's clock starts at the visit).
    pub new_customer: Option<NewCustomer>,
    /// The car, when it is on the customer's file.
    pub vehicle_id: Option<VehicleId>,
    /// Its plate, as the customer gave it.
    pub plate: Option<Plate>,
    /// Its VIN, as the customer gave it.
    pub vin: Option<Vin>,
    /// The customer's own account of the fault.
    pub fault_description: String,
}

/// What a new appointment is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    /// What it occupies.
    pub need: Need,
    /// The service type codes.
    pub services: Vec<String>,
    /// Arrival.
    pub start: DateTime<Utc>,
    /// How it is made.
    pub channel: Channel,
    /// Held this long instead of booked at once.
    pub hold_minutes: Option<u32>,
    /// Who is coming, if known yet.
    pub visitor: Option<Visitor>,
    /// The advisor receiving the car.
    pub advisor: String,
}

/// A booking of the store's capacity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    /// Its id.
    pub id: AppointmentId,
    /// Where it stands.
    pub status: AppointmentStatus,
    /// Arrival, UTC.
    pub start: DateTime<Utc>,
    /// What it needs: one bay kind for so many minutes.
    pub bay: BayKind,
    /// The services' minutes added up.
    pub minutes: u32,
    /// The service type codes.
    pub services: Vec<String>,
    /// How it was made.
    pub channel: Channel,
    /// When a hold lapses (held only).
    pub hold_expires_at: Option<DateTime<Utc>>,
    /// Who cancelled, when cancelled.
    pub cancelled_by: Option<CancelledBy>,
    /// Every step, first to last.
    pub history: Vec<Change>,
    /// Bumped by every change; its etag is `v<version>`.
    pub version: i64,
    /// When the day-before reminder went out (AP-5).
    #[serde(default)]
    pub reminded_at: Option<DateTime<Utc>>,
    /// Who is coming; set when booked.
    #[serde(default)]
    pub visitor: Option<Visitor>,
    /// The advisor who receives the car, chosen among those free at arrival.
    #[serde(default)]
    pub advisor: Option<String>,
    /// The work order check-in opened.
    #[serde(default)]
    pub work_order_id: Option<WorkOrderId>,
}

impl Appointment {
    /// A new appointment as `booking` asks: held, or booked at once, which needs the visitor
    /// (AP-3).
    pub fn new(booking: Booking, now: DateTime<Utc>) -> crate::Result<Self> {
        let Booking { need, services, start, channel, hold_minutes, visitor, advisor } = booking;
        let (status, hold_expires_at) = match hold_minutes {
            Some(m) => (AppointmentStatus::Held, Some(now + Duration::minutes(i64::from(m)))),
            None if visitor.is_none() => return Err(missing_visitor()),
            None => (AppointmentStatus::Booked, None),
        };
        Ok(Self {
            id: AppointmentId::generate(),
            status,
            start,
            bay: need.bay,
            minutes: need.minutes,
            services,
            channel,
            hold_expires_at,
            cancelled_by: None,
            history: vec![Change { status, start, at: now, reason: None }],
            version: 1,
            reminded_at: None,
            visitor,
            advisor: Some(advisor),
            work_order_id: None,
        })
    }

    /// When the bay is free again.
    pub fn end(&self) -> DateTime<Utc> {
        self.start + Duration::minutes(i64::from(self.minutes))
    }

    /// Whether it takes capacity at `now`: booked, or held and not yet lapsed.
    pub fn occupies(&self, now: DateTime<Utc>) -> bool {
        match self.status {
            AppointmentStatus::Booked => true,
            AppointmentStatus::Held => self.hold_expires_at.is_some_and(|until| now < until),
            AppointmentStatus::CheckedIn | AppointmentStatus::Cancelled | AppointmentStatus::NoShow => false,
        }
    }

    /// What it occupies, for availability.
    pub fn occupied(&self) -> Occupied {
        Occupied { start: self.start, end: self.end(), bay: self.bay, advisor: self.advisor.clone() }
    }

    fn step(&mut self, status: AppointmentStatus, now: DateTime<Utc>, reason: Option<String>) {
        self.status = status;
        self.history.push(Change { status, start: self.start, at: now, reason });
    }

    fn refuse(&self, action: &str) -> DomainError {
        DomainError::FailedPrecondition {
            code: "appointment.invalid_transition",
            message: format!("cannot {action} an appointment that is {}", self.status.as_str()),
        }
    }

    /// Confirms a hold that has not lapsed, with the visitor if the hold had none (AP-3).
    pub fn book(&mut self, visitor: Option<Visitor>, now: DateTime<Utc>) -> crate::Result<()> {
        match self.status {
            AppointmentStatus::Held if self.occupies(now) => {
                if let Some(v) = visitor {
                    self.visitor = Some(v);
                }
                if self.visitor.is_none() {
                    return Err(missing_visitor());
                }
                self.hold_expires_at = None;
                self.step(AppointmentStatus::Booked, now, None);
                Ok(())
            }
            AppointmentStatus::Held => Err(DomainError::FailedPrecondition {
                code: "appointment.hold_expired",
                message: "the hold has lapsed and its place is free again: book anew".into(),
            }),
            AppointmentStatus::Booked
            | AppointmentStatus::CheckedIn
            | AppointmentStatus::Cancelled
            | AppointmentStatus::NoShow => Err(self.refuse("book")),
        }
    }

    /// Moves a booking to `start`, received by `advisor` (checked free by the caller); it stays
    /// booked (AP-4).
    pub fn reschedule(
        &mut self,
        start: DateTime<Utc>,
        advisor: String,
        now: DateTime<Utc>,
    ) -> crate::Result<()> {
        if self.status != AppointmentStatus::Booked {
            return Err(self.refuse("reschedule"));
        }
        self.start = start;
        self.advisor = Some(advisor);
        self.step(AppointmentStatus::Booked, now, None);
        Ok(())
    }

    /// Cancels: a customer until `cutoff_minutes` before the start, the store at any time with
    /// a reason (AP-4).
    pub fn cancel(
        &mut self,
        by: CancelledBy,
        reason: Option<String>,
        capacity: &Capacity,
        now: DateTime<Utc>,
    ) -> crate::Result<()> {
        if !matches!(self.status, AppointmentStatus::Held | AppointmentStatus::Booked) {
            return Err(self.refuse("cancel"));
        }
        let cutoff = self.start - Duration::minutes(i64::from(capacity.cutoff_minutes));
        match by {
            CancelledBy::Customer if now > cutoff => {
                return Err(DomainError::FailedPrecondition {
                    code: "appointment.past_cutoff",
                    message: format!(
                        "customers may cancel until {} minutes before the start; call the store",
                        capacity.cutoff_minutes
                    ),
                });
            }
            CancelledBy::Store if reason.as_deref().is_none_or(|r| r.trim().is_empty()) => {
                return Err(DomainError::invalid("reason", "the store gives a reason when it cancels"));
            }
            CancelledBy::Customer | CancelledBy::Store => {}
        }
        self.cancelled_by = Some(by);
        self.step(AppointmentStatus::Cancelled, now, reason);
        Ok(())
    }

    /// The car arrived and `order` was opened from the booking (AP-4).
    pub fn check_in(&mut self, order: WorkOrderId, now: DateTime<Utc>) -> crate::Result<()> {
        if self.status != AppointmentStatus::Booked {
            return Err(self.refuse("check in"));
        }
        self.work_order_id = Some(order);
        self.step(AppointmentStatus::CheckedIn, now, None);
        Ok(())
    }

    /// Whether the no-show job marks it now: booked and not checked in by the grace time.
    pub fn no_show_due(&self, capacity: &Capacity, now: DateTime<Utc>) -> bool {
        self.status == AppointmentStatus::Booked
            && now >= self.start + Duration::minutes(i64::from(capacity.grace_minutes))
    }

    /// Marks a no-show (the job, after [`Appointment::no_show_due`]).
    pub fn mark_no_show(&mut self, capacity: &Capacity, now: DateTime<Utc>) -> crate::Result<()> {
        if !self.no_show_due(capacity, now) {
            return Err(self.refuse("mark as no-show"));
        }
        self.step(AppointmentStatus::NoShow, now, None);
        Ok(())
    }
}

impl Appointment {
    /// Whether the day-before reminder is due (AP-5): booked, not yet reminded, and `now` is on
    /// the store-local day before the visit or later, but before it.
    pub fn reminder_due(&self, tz: chrono_tz::Tz, now: DateTime<Utc>) -> bool {
        let visit_day = self.start.with_timezone(&tz).date_naive();
        let today = now.with_timezone(&tz).date_naive();
        self.status == AppointmentStatus::Booked
            && self.reminded_at.is_none()
            && now < self.start
            && visit_day.pred_opt().is_some_and(|eve| today >= eve)
    }

    /// Records that the reminder went out.
    pub fn mark_reminded(&mut self, tz: chrono_tz::Tz, now: DateTime<Utc>) -> crate::Result<()> {
        if !self.reminder_due(tz, now) {
            return Err(self.refuse("remind of"));
        }
        self.reminded_at = Some(now);
        Ok(())
    }
}

fn missing_visitor() -> DomainError {
    DomainError::invalid(
        "customer_id",
        "a booking names the customer's file or a new customer's name and phone",
    )
}

impl AppointmentStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Booked => "booked",
            Self::CheckedIn => "checked_in",
            Self::Cancelled => "cancelled",
            Self::NoShow => "no_show",
        }
    }
}

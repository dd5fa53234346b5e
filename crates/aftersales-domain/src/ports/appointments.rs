//! The port of appointments (AP-1..AP-5): capacity and the reads availability and the jobs need.
//! Bookings are written as [`super::Op::PlaceAppointment`] and [`super::Op::UpdateAppointment`].

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;
use crate::model::appointment::{Appointment, AppointmentId, Capacity, Occupied};
use crate::value::StoreCode;

/// A store's capacity and its appointments.
#[async_trait]
pub trait AppointmentStore: Send + Sync {
    /// The store's capacity, if it has set one.
    async fn get_capacity(&self, store: &StoreCode) -> Result<Option<Capacity>>;

    /// Replaces the store's capacity.
    async fn put_capacity(&self, store: &StoreCode, capacity: &Capacity, at: DateTime<Utc>) -> Result<()>;

    /// The store's appointments whose visit overlaps `[from, to)`, every state.
    async fn appointments_between(
        &self,
        store: &StoreCode,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<Appointment>>;

    /// What the store's bookings overlapping `[from, to)` occupy at `now`: booked ones, and
    /// holds not yet lapsed (AP-2).
    async fn occupancy_between(
        &self,
        store: &StoreCode,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Occupied>>;

    /// Reads one appointment.
    async fn get_appointment(&self, store: &StoreCode, id: AppointmentId) -> Result<Option<Appointment>>;

    /// Booked appointments of every store starting in `[from, to)`, earliest first: the
    /// no-show and reminder jobs' candidates.
    async fn booked_starting(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        limit: u64,
    ) -> Result<Vec<(StoreCode, Appointment)>>;
}

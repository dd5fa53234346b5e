//! Appointments (AP-1..AP-4): the store's capacity, its free start times, and booking.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::Core;
use crate::auth::{Action, Principal};
use crate::model::appointment::{Appointment, Capacity, Channel, capacity_not_set, free_starts, need};
use crate::model::store::Store;
use crate::value::StoreCode;
use crate::{DomainError, Result};

/// The longest range one availability answer covers.
pub const MAX_AVAILABILITY_DAYS: i64 = 31;

/// A request to hold or book a start time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookAppointment {
    /// The service type codes wanted.
    pub service_types: Vec<String>,
    /// The start, one of the free start times.
    pub start: DateTime<Utc>,
    /// How the booking is made.
    pub channel: Channel,
    /// Hold it for the store's hold time instead of booking at once.
    pub hold: bool,
}

/// Capacity, availability and booking.
#[derive(Clone)]
pub struct AppointmentService {
    core: Arc<Core>,
}

impl AppointmentService {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    async fn store(&self, store: &StoreCode) -> Result<Store> {
        self.core.repo.get_store(store).await?.ok_or(DomainError::NotFound { resource: "store" })
    }

    async fn capacity_of(&self, store: &StoreCode) -> Result<Capacity> {
        self.core.repo.get_capacity(store).await?.ok_or_else(capacity_not_set)
    }

    /// The store's capacity (AP-1).
    pub async fn capacity(&self, who: &Principal, store: &StoreCode) -> Result<Capacity> {
        who.authorize(Action::ReadAvailability, store, "store")?;
        self.store(store).await?;
        self.capacity_of(store).await
    }

    /// Replaces the store's capacity, after checking it (AP-1).
    pub async fn set_capacity(
        &self,
        who: &Principal,
        store: &StoreCode,
        capacity: Capacity,
    ) -> Result<Capacity> {
        who.authorize(Action::ManageCapacity, store, "store")?;
        self.store(store).await?;
        capacity.validate()?;
        self.core.repo.put_capacity(store, &capacity, self.core.now()).await?;
        Ok(capacity)
    }

    /// The free start times for `service_types` from `from` to `to`, store-local dates (AP-2).
    pub async fn availability(
        &self,
        who: &Principal,
        store: &StoreCode,
        from: NaiveDate,
        to: NaiveDate,
        service_types: &[String],
    ) -> Result<Vec<DateTime<Utc>>> {
        who.authorize(Action::ReadAvailability, store, "store")?;
        if to < from || (to - from).num_days() >= MAX_AVAILABILITY_DAYS {
            return Err(DomainError::invalid(
                "to",
                format!("must be from `from` to {MAX_AVAILABILITY_DAYS} days after it"),
            ));
        }
        let shop = self.store(store).await?;
        let capacity = self.capacity_of(store).await?;
        let need = need(&capacity, service_types)?;
        let now = self.core.now();
        // A day either side: store-local days are not UTC days.
        let start = from.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or(now) - Duration::days(1);
        let end = to.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or(now) + Duration::days(2);
        let occupied: Vec<_> = self
            .core
            .repo
            .appointments_between(store, start, end)
            .await?
            .iter()
            .filter(|a| a.occupies(now))
            .map(Appointment::occupied)
            .collect();
        Ok(free_starts(&capacity, shop.timezone, now, need, from, to, &occupied))
    }

    /// Holds or books a start time; of concurrent attempts at the last place exactly one wins
    /// (AP-3).
    pub async fn book(
        &self,
        who: &Principal,
        store: &StoreCode,
        cmd: BookAppointment,
    ) -> Result<Appointment> {
        who.authorize(Action::BookAppointment, store, "store")?;
        let BookAppointment { service_types, start, channel, hold } = cmd;
        let shop = self.store(store).await?;
        let capacity = self.capacity_of(store).await?;
        let need = need(&capacity, &service_types)?;
        let now = self.core.now();
        let appointment =
            Appointment::new(need, service_types, start, channel, hold.then_some(&capacity), now);
        self.core.repo.insert_appointment(store, &appointment, shop.timezone, now).await?;
        Ok(appointment)
    }
}

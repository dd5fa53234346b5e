//! Appointments (AP-1..AP-4): the store's capacity, its free start times, and booking.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};

use super::Core;
use crate::auth::{Action, Principal};
use std::collections::HashMap;

use chrono_tz::Tz;

use crate::model::appointment::{
    Appointment, AppointmentId, CancelledBy, Capacity, Channel, capacity_not_set, free_starts, need,
};
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
        self.core.repo.insert_appointment(store, &appointment, shop.timezone, now, &who.sub).await?;
        Ok(appointment)
    }

    async fn load(&self, store: &StoreCode, id: AppointmentId, if_match: Option<i64>) -> Result<Appointment> {
        let found = self
            .core
            .repo
            .get_appointment(store, id)
            .await?
            .ok_or(DomainError::NotFound { resource: "appointment" })?;
        match if_match {
            Some(version) if version != found.version => Err(DomainError::StaleEtag {
                resource: "appointment",
                current: crate::value::Etag::render(found.version),
            }),
            Some(_) | None => Ok(found),
        }
    }

    async fn save(
        &self,
        actor: &str,
        store: &StoreCode,
        before: &Appointment,
        mut after: Appointment,
        moved: Option<Tz>,
    ) -> Result<Appointment> {
        after.version = before.version + 1;
        self.core.repo.update_appointment(store, before, &after, self.core.now(), moved, actor).await?;
        Ok(after)
    }

    /// Reads one appointment.
    pub async fn get(&self, who: &Principal, store: &StoreCode, id: AppointmentId) -> Result<Appointment> {
        who.authorize(Action::BookAppointment, store, "appointment")?;
        self.load(store, id, None).await
    }

    /// The advisor's day (AP-5): the store's appointments arriving on `date` (store-local), by
    /// time, in every state.
    pub async fn day(&self, who: &Principal, store: &StoreCode, date: NaiveDate) -> Result<Vec<Appointment>> {
        who.authorize(Action::BookAppointment, store, "store")?;
        let shop = self.store(store).await?;
        let midnight = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .and_then(|t| t.and_local_timezone(shop.timezone).earliest())
                .map(|t| t.with_timezone(&Utc))
        };
        let (Some(from), Some(to)) = (midnight(date), date.succ_opt().and_then(midnight)) else {
            return Err(DomainError::invalid("date", "is not a day of the store's calendar"));
        };
        let mut arriving: Vec<_> = self
            .core
            .repo
            .appointments_between(store, from, to)
            .await?
            .into_iter()
            .filter(|a| from <= a.start && a.start < to)
            .collect();
        arriving.sort_by_key(|a| a.start);
        Ok(arriving)
    }

    /// Moves a booking to a free start (AP-4), checked under the capacity lock like a booking.
    pub async fn reschedule(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: AppointmentId,
        if_match: Option<i64>,
        start: DateTime<Utc>,
    ) -> Result<Appointment> {
        who.authorize(Action::BookAppointment, store, "appointment")?;
        let shop = self.store(store).await?;
        let before = self.load(store, id, if_match).await?;
        let mut after = before.clone();
        after.reschedule(start, self.core.now())?;
        self.save(&who.sub, store, &before, after, Some(shop.timezone)).await
    }

    /// Cancels (AP-4): for the customer until the cut-off, for the store with a reason.
    pub async fn cancel(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: AppointmentId,
        if_match: Option<i64>,
        by: CancelledBy,
        reason: Option<String>,
    ) -> Result<Appointment> {
        who.authorize(Action::BookAppointment, store, "appointment")?;
        let capacity = self.capacity_of(store).await?;
        let before = self.load(store, id, if_match).await?;
        let mut after = before.clone();
        after.cancel(by, reason, &capacity, self.core.now())?;
        self.save(&who.sub, store, &before, after, None).await
    }

    /// Records the car's arrival (AP-4).
    pub async fn check_in(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: AppointmentId,
        if_match: Option<i64>,
    ) -> Result<Appointment> {
        who.authorize(Action::BookAppointment, store, "appointment")?;
        let before = self.load(store, id, if_match).await?;
        let mut after = before.clone();
        after.check_in(self.core.now())?;
        self.save(&who.sub, store, &before, after, None).await
    }

    /// A job's pass over the bookings of every store starting in `[from, to)`: `step` answers
    /// the changed booking where one is due, each saved version-checked; one another replica
    /// changed meanwhile is left to it. Returns how many changed.
    async fn sweep(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        step: impl Fn(&Appointment, Tz, &Capacity) -> Option<Result<Appointment>>,
    ) -> Result<usize> {
        let mut stores: HashMap<StoreCode, Option<(Tz, Capacity)>> = HashMap::new();
        let mut changed = 0;
        for (store, before) in self.core.repo.booked_starting(from, to, 500).await? {
            if !stores.contains_key(&store) {
                let tz = self.core.repo.get_store(&store).await?.map(|s| s.timezone);
                let capacity = self.core.repo.get_capacity(&store).await?;
                stores.insert(store.clone(), tz.zip(capacity));
            }
            let Some(Some((tz, capacity))) = stores.get(&store) else { continue };
            let Some(after) = step(&before, *tz, capacity).transpose()? else { continue };
            match self.save("system", &store, &before, after, None).await {
                Ok(_) => changed += 1,
                Err(DomainError::StaleEtag { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(changed)
    }

    /// The no-show job (AP-4): marks every booking not checked in by its store's grace time;
    /// returns how many.
    pub async fn mark_no_shows(&self) -> Result<usize> {
        let now = self.core.now();
        self.sweep(now - Duration::days(7), now, |before, _, capacity| {
            before.no_show_due(capacity, now).then(|| {
                let mut after = before.clone();
                after.mark_no_show(capacity, now).map(|()| after)
            })
        })
        .await
    }

    /// The reminder job (AP-5): every booking whose store-local eve has come gets its
    /// `appointment.reminder_due` event once; returns how many.
    pub async fn send_reminders(&self) -> Result<usize> {
        let now = self.core.now();
        // Visits up to two days ahead: the eve of any of them is at most that far back.
        self.sweep(now, now + Duration::days(2), |before, tz, _| {
            before.reminder_due(tz, now).then(|| {
                let mut after = before.clone();
                after.mark_reminded(tz, now).map(|()| after)
            })
        })
        .await
    }
}

//! Appointments (AP-1..AP-5): the store's capacity, its free start times, booking and its steps,
//! the advisor's day, and the no-show and reminder jobs. Every write is one change set: the
//! booking or its move takes the store's capacity lock first (see [`Op::PlaceAppointment`]),
//! check-in opens the work order in the same transaction, and each step is audited and
//! announced (GEN-1, EV-1) and safe to retry with an idempotency key (GEN-2).

mod commands;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Tz;

pub use commands::{
    BookAppointment, CancelAppointment, CheckIn, ConfirmBooking, NewCustomerInput, RescheduleAppointment,
    VisitorInput,
};

use super::work_orders::{CreateWorkOrder, check_opening, open_order};
use super::{Core, IdempotencyKey};
use crate::auth::{Action, Principal};
use crate::error::Validator;
use crate::model::appointment::{
    Appointment, AppointmentId, Booking, Capacity, Need, Refusal, Visitor, capacity_not_set, check_start,
    free_starts, need,
};
use crate::model::message::{MessageChannel, MessageRequest};
use crate::model::store::Store;
use crate::paging::{Page, PageRequest};
use crate::ports::{ChangeSet, Op};
use crate::value::{Etag, StoreCode};
use crate::{DomainError, Result};

/// The longest range one availability answer covers.
pub const MAX_AVAILABILITY_DAYS: i64 = 31;

/// Filters of the advisor's day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayQuery {
    /// Only the arrivals this advisor receives.
    pub advisor: Option<String>,
}

/// Capacity, availability and booking.
#[derive(Clone)]
pub struct AppointmentService {
    core: Arc<Core>,
}

/// A step on one appointment: which, the etag it was read at, the retry key.
#[derive(Debug, Clone)]
pub struct AppointmentStep {
    /// The appointment.
    pub id: AppointmentId,
    /// The client's `If-Match`, if any.
    pub if_match: Option<Etag>,
    /// The client's idempotency key, if any.
    pub key: Option<IdempotencyKey>,
}

impl AppointmentService {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    async fn capacity_of(&self, store: &StoreCode) -> Result<Capacity> {
        self.core.repo.get_capacity(store).await?.ok_or_else(capacity_not_set)
    }

    /// The store's capacity (AP-1).
    pub async fn capacity(&self, who: &Principal, store: &StoreCode) -> Result<Capacity> {
        who.authorize(Action::ReadAvailability, store, "store")?;
        self.core.store(who, store).await?;
        self.capacity_of(store).await
    }

    /// Replaces the store's capacity, after checking it; every advisor must be on the store's
    /// staff list (AP-1).
    pub async fn set_capacity(
        &self,
        who: &Principal,
        store: &StoreCode,
        capacity: Capacity,
    ) -> Result<Capacity> {
        who.authorize(Action::ManageCapacity, store, "store")?;
        self.core.store(who, store).await?;
        capacity.validate()?;
        let mut v = Validator::new();
        for (i, advisor) in capacity.advisors.iter().enumerate() {
            let staff = self.core.repo.get_staff(store, advisor).await?;
            if !staff.is_some_and(|s| s.active) {
                v.push(format!("advisors[{i}]"), "is not active staff of this store");
            }
        }
        v.finish()?;
        self.core.repo.put_capacity(store, &capacity, self.core.now()).await?;
        Ok(capacity)
    }

    /// What occupies the store around a visit of `need` at `start`, other than `except`.
    async fn occupied_around(
        &self,
        store: &StoreCode,
        start: DateTime<Utc>,
        need: Need,
        except: Option<AppointmentId>,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::model::appointment::Occupied>> {
        let end = start + Duration::minutes(i64::from(need.minutes));
        Ok(self
            .core
            .repo
            .appointments_between(store, start - Duration::hours(1), end)
            .await?
            .iter()
            .filter(|a| Some(a.id) != except && a.occupies(now))
            .map(Appointment::occupied)
            .collect())
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
        let shop = self.core.store(who, store).await?;
        let capacity = self.capacity_of(store).await?;
        let need = need(&capacity, service_types)?;
        let now = self.core.now();
        // A day either side: store-local days are not UTC days.
        let start = from.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or(now) - Duration::days(1);
        let end = to.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).unwrap_or(now) + Duration::days(2);
        let occupied = self.core.repo.occupancy_between(store, start, end, now).await?;
        Ok(free_starts(&capacity, shop.timezone, now, need, from, to, &occupied))
    }

    /// Checks a visitor and resolves its car against the customer's file: a plate or VIN of a
    /// car on the file names that car.
    async fn visitor(&self, store: &StoreCode, input: &VisitorInput, field: &str) -> Result<Visitor> {
        let mut v = Validator::new();
        let mut visitor = input.check(&mut v, field);
        v.finish()?;
        if let Some(id) = visitor.customer_id {
            let customer = self.core.repo.get_customer(store, id).await?;
            customer.ok_or(DomainError::NotFound { resource: "customer" })?.ensure_live()?;
        }
        match visitor.vehicle_id {
            Some(id) => {
                let car = self.core.repo.get_vehicle(store, id).await?;
                let car = car.filter(|c| visitor.customer_id == Some(c.customer_id));
                let car = car.ok_or(DomainError::NotFound { resource: "vehicle" })?;
                visitor.plate = car.plate.clone();
                visitor.vin = Some(car.vin.clone());
            }
            None => {
                if let Some(customer) = visitor.customer_id {
                    // The car on the file with that VIN or plate; with neither, the file's only car.
                    let page = PageRequest::default();
                    let cars = self.core.repo.list_vehicles(store, customer, &page).await?.items;
                    let named = cars.iter().find(|c| {
                        visitor.vin.as_ref() == Some(&c.vin)
                            || (visitor.plate.is_some() && visitor.plate == c.plate)
                    });
                    let only = cars
                        .first()
                        .filter(|_| visitor.vin.is_none() && visitor.plate.is_none() && cars.len() == 1);
                    if let Some(car) = named.or(only) {
                        visitor.vehicle_id = Some(car.id);
                        visitor.plate = car.plate.clone();
                        visitor.vin = Some(car.vin.clone());
                    }
                }
            }
        }
        Ok(visitor)
    }

    /// Holds or books a start time; of concurrent attempts at the last place exactly one wins,
    /// the others answer `appointment.slot_taken` (AP-3).
    pub async fn book(
        &self,
        who: &Principal,
        store: &StoreCode,
        cmd: BookAppointment,
        key: Option<IdempotencyKey>,
    ) -> Result<Appointment> {
        who.authorize(Action::BookAppointment, store, "store")?;
        let shop = self.core.store(who, store).await?;
        let BookAppointment { service_types, start, channel, hold, visitor } = &cmd;
        let visitor = match visitor {
            Some(input) => Some(self.visitor(store, input, "visitor").await?),
            None if *hold => None,
            None => {
                return Err(DomainError::invalid(
                    "visitor",
                    "a booking says who is coming; or hold the place",
                ));
            }
        };
        let action = if *hold { "appointment.hold" } else { "appointment.book" };
        let core = &self.core;
        core.write_once(who, store, action, key, &cmd, || async {
            let capacity = self.capacity_of(store).await?;
            let need = need(&capacity, service_types)?;
            let now = core.now();
            let occupied = self.occupied_around(store, *start, need, None, now).await?;
            let free = check_start(&capacity, shop.timezone, now, need, *start, &occupied)
                .map_err(Refusal::into_error)?;
            let advisor = free.first().map(|a| (*a).to_string()).unwrap_or_default();
            let booking = Booking {
                need,
                services: service_types.clone(),
                start: *start,
                channel: *channel,
                hold_minutes: hold.then_some(capacity.hold_minutes),
                visitor: visitor.clone(),
                advisor,
            };
            let appointment = Appointment::new(booking, now)?;
            let op = place(&shop, &appointment, None, now);
            let audit = core.audit(who, store, action, "appointment", appointment.id, vec![]);
            Ok((appointment, ChangeSet::of(op, audit)))
        })
        .await
    }

    async fn load(
        &self,
        store: &StoreCode,
        id: AppointmentId,
        if_match: Option<&Etag>,
    ) -> Result<Appointment> {
        let found = self.core.repo.get_appointment(store, id).await?;
        let found = found.ok_or(DomainError::NotFound { resource: "appointment" })?;
        super::check_etag("appointment", found.version, if_match)?;
        Ok(found)
    }

    /// Reads one appointment.
    pub async fn get(&self, who: &Principal, store: &StoreCode, id: AppointmentId) -> Result<Appointment> {
        who.authorize(Action::BookAppointment, store, "appointment")?;
        self.core.store(who, store).await?;
        self.load(store, id, None).await
    }

    /// The advisor's day (AP-5): the store's appointments arriving on `date` (store-local), by
    /// time, in every state; paged.
    pub async fn day(
        &self,
        who: &Principal,
        store: &StoreCode,
        date: NaiveDate,
        query: &DayQuery,
        page: &PageRequest,
    ) -> Result<Page<Appointment>> {
        who.authorize(Action::BookAppointment, store, "store")?;
        let shop = self.core.store(who, store).await?;
        let mut v = Validator::new();
        crate::model::store::check_staff_filter(&mut v, "advisor", query.advisor.as_deref());
        v.finish()?;
        let midnight = |d: NaiveDate| super::work_orders::local_midnight(shop.timezone, d);
        let (Some(from), Some(to)) = (midnight(date), date.succ_opt().and_then(midnight)) else {
            return Err(DomainError::invalid("date", "is not a day of the store's calendar"));
        };
        let key = |a: &Appointment| format!("{}|{}", a.start.format("%Y-%m-%dT%H:%M:%S%.6fZ"), a.id);
        let mut arriving: Vec<_> = self
            .core
            .repo
            .appointments_between(store, from, to)
            .await?
            .into_iter()
            .filter(|a| from <= a.start && a.start < to)
            .filter(|a| query.advisor.as_deref().is_none_or(|x| a.advisor.as_deref() == Some(x)))
            .filter(|a| page.after.as_deref().is_none_or(|after| key(a).as_str() > after))
            .filter(|a| page.updated_since.is_none_or(|since| a.history.last().is_some_and(|c| c.at > since)))
            .collect();
        arriving.sort_by_key(key);
        arriving.truncate(usize::try_from(page.size).unwrap_or(usize::MAX).saturating_add(1));
        Ok(Page::from_overfetch(arriving, page.size, key))
    }

    /// Runs one step on an appointment: load at the pinned etag, let `decide` change it, save
    /// version-checked, once per idempotency key.
    async fn step<C: serde::Serialize>(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: AppointmentStep,
        action: &'static str,
        cmd: &C,
        decide: impl Fn(&Appointment, &Store, &Capacity, DateTime<Utc>) -> Result<(Appointment, ChangeSet)>
        + Send
        + Sync,
    ) -> Result<Appointment> {
        who.authorize(Action::BookAppointment, store, "appointment")?;
        let shop = self.core.store(who, store).await?;
        let AppointmentStep { id, if_match, key } = step;
        let core = &self.core;
        core.write_once(who, store, action, key, cmd, || async {
            let before = self.load(store, id, if_match.as_ref()).await?;
            let capacity = self.capacity_of(store).await?;
            let (mut after, mut changes) = decide(&before, &shop, &capacity, core.now())?;
            after.version = before.version + 1;
            let fields = vec!["status".to_string()];
            changes.audit.insert(0, core.audit(who, store, action, "appointment", id, fields));
            for op in &mut changes.ops {
                if let Op::PlaceAppointment { appointment, .. } | Op::UpdateAppointment { appointment, .. } =
                    op
                {
                    appointment.version = after.version;
                }
            }
            Ok((after, changes))
        })
        .await
    }

    /// Confirms a hold (AP-3): booked, with the visitor if the hold had none.
    pub async fn confirm(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: AppointmentStep,
        cmd: ConfirmBooking,
    ) -> Result<Appointment> {
        let visitor = match &cmd.visitor {
            Some(input) => Some(self.visitor(store, input, "visitor").await?),
            None => None,
        };
        self.step(who, store, step, "appointment.confirm", &cmd, |before, _, _, now| {
            let mut after = before.clone();
            after.book(visitor.clone(), now)?;
            Ok((after.clone(), only(update(store, before, &after))))
        })
        .await
    }

    /// Moves a booking to a free start (AP-4), checked under the capacity lock like a booking.
    pub async fn reschedule(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: AppointmentStep,
        cmd: RescheduleAppointment,
    ) -> Result<Appointment> {
        let id = step.id;
        let found = self.load(store, id, None).await;
        // The free advisors at the new start are read before the step, outside its closure.
        let free = match found {
            Ok(before) => {
                let capacity = self.capacity_of(store).await?;
                let now = self.core.now();
                let need = Need { bay: before.bay, minutes: before.minutes };
                let occupied = self.occupied_around(store, cmd.start, need, Some(id), now).await?;
                let shop = self.core.store(who, store).await?;
                check_start(&capacity, shop.timezone, now, need, cmd.start, &occupied)
                    .map(|f| f.first().map(|a| (*a).to_string()))
                    .map_err(Refusal::into_error)
            }
            Err(e) => Err(e),
        };
        self.step(who, store, step, "appointment.reschedule", &cmd, |before, shop, _, now| {
            let advisor = free.clone()?.unwrap_or_default();
            let mut after = before.clone();
            after.reschedule(cmd.start, advisor, now)?;
            Ok((after.clone(), only(place(shop, &after, Some(before), now))))
        })
        .await
    }

    /// Cancels (AP-4): for the customer until the cut-off, for the store with a reason.
    pub async fn cancel(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: AppointmentStep,
        cmd: CancelAppointment,
    ) -> Result<Appointment> {
        let mut v = Validator::new();
        v.optional_text("reason", cmd.reason.as_deref(), crate::error::limits::NOTE);
        v.finish()?;
        self.step(who, store, step, "appointment.cancel", &cmd, |before, _, capacity, now| {
            let mut after = before.clone();
            after.cancel(cmd.by, crate::value::non_empty(cmd.reason.clone()), capacity, now)?;
            Ok((after.clone(), only(update(store, before, &after))))
        })
        .await
    }

    /// Records the car's arrival (AP-4) and opens its work order from the booking in the same
    /// transaction, the two linked both ways (WO-1).
    pub async fn check_in(
        &self,
        who: &Principal,
        store: &StoreCode,
        step: AppointmentStep,
        cmd: CheckIn,
    ) -> Result<Appointment> {
        who.authorize(Action::CreateWorkOrder, store, "store")?;
        let before = self.load(store, step.id, None).await?;
        let opening = order_from(&before, &cmd)?;
        let checked = check_opening(&opening, self.core.now())?;
        let core = &self.core;
        // Decided outside `step`'s closure: opening the order reads the file and the car.
        let shop = core.store(who, store).await?;
        let (order, changes) = open_order(core, who, &shop, &opening, checked, Some(before.id)).await?;
        self.step(who, store, step, "appointment.check_in", &cmd, |before, _, _, now| {
            let mut after = before.clone();
            after.check_in(order.id, now)?;
            let mut changes = changes.clone();
            changes.ops.insert(0, update(store, before, &after));
            Ok((after, changes))
        })
        .await
    }

    /// A job's pass over the bookings of every store starting in `[from, to)`: `step` answers
    /// the changed booking where one is due, each saved version-checked as `action`; one another
    /// replica changed meanwhile is left to it. With `remind`, the customer on file is sent the
    /// reminder in the same change (AP-5, issue 13). Returns how many changed.
    async fn sweep(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        action: &str,
        remind: bool,
        step: impl Fn(&Appointment, Tz, &Capacity) -> Option<Result<Appointment>>,
    ) -> Result<usize> {
        let mut stores: HashMap<StoreCode, Option<(Store, Capacity)>> = HashMap::new();
        let mut changed = 0;
        for (store, before) in self.core.repo.booked_starting(from, to, 500).await? {
            if !stores.contains_key(&store) {
                let shop = self.core.repo.get_store(&store).await?;
                let capacity = self.core.repo.get_capacity(&store).await?;
                stores.insert(store.clone(), shop.zip(capacity));
            }
            let Some(Some((shop, capacity))) = stores.get(&store) else { continue };
            let Some(mut after) = step(&before, shop.timezone, capacity).transpose()? else { continue };
            after.version = before.version + 1;
            let audit = self.core.audit_as("system", &store, action, "appointment", before.id, vec![]);
            let mut changes = ChangeSet::of(update(&store, &before, &after), audit);
            if remind && let Some(message) = self.reminder(shop, &after).await? {
                changes.ops.push(message);
            }
            match self.core.repo.apply(changes).await {
                Ok(_) => changed += 1,
                Err(DomainError::StaleEtag { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(changed)
    }

    /// The reminder message of a booking whose customer is on file: by WeChat where the store
    /// has a WeChat template for it, else by SMS (AP-5, issue 13).
    async fn reminder(&self, shop: &Store, booking: &Appointment) -> Result<Option<Op>> {
        let Some(customer_id) = booking.visitor.as_ref().and_then(|v| v.customer_id) else { return Ok(None) };
        let local = booking.start.with_timezone(&shop.timezone);
        let (date, time) = (local.format("%-m月%-d日").to_string(), local.format("%H:%M").to_string());
        let channels = vec![MessageChannel::WechatSubscribe, MessageChannel::Sms];
        let source = ("appointment", booking.id.to_string());
        let request = MessageRequest::new(&shop.code, customer_id, "appointment_reminder", channels, source)
            .with("date", date)
            .with("time", time);
        self.core.tell(shop, request).await
    }

    /// The no-show job (AP-4): marks every booking not checked in by its store's grace time;
    /// returns how many.
    pub async fn mark_no_shows(&self) -> Result<usize> {
        let now = self.core.now();
        self.sweep(now - Duration::days(7), now, "appointment.no_show", false, |before, _, capacity| {
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
        self.sweep(now, now + Duration::days(2), "appointment.remind", true, |before, tz, _| {
            before.reminder_due(tz, now).then(|| {
                let mut after = before.clone();
                after.mark_reminded(tz, now).map(|()| after)
            })
        })
        .await
    }
}

/// The op that books or moves `appointment` under the capacity lock.
fn place(shop: &Store, appointment: &Appointment, before: Option<&Appointment>, at: DateTime<Utc>) -> Op {
    Op::PlaceAppointment {
        store: shop.code.clone(),
        appointment: Box::new(appointment.clone()),
        before: before.map(|b| Box::new(b.clone())),
        zone: shop.timezone,
        at,
    }
}

/// A change set of one op; the step adds its audit entry.
fn only(op: Op) -> ChangeSet {
    ChangeSet { ops: vec![op], ..ChangeSet::default() }
}

/// The op that saves a step keeping the appointment's place.
fn update(store: &StoreCode, before: &Appointment, after: &Appointment) -> Op {
    Op::UpdateAppointment {
        store: store.clone(),
        appointment: Box::new(after.clone()),
        before: Box::new(before.clone()),
    }
}

/// The work order check-in opens, filled from the booking; the customer's file and car come
/// from the booking or, for a new customer, from the check-in.
fn order_from(booking: &Appointment, cmd: &CheckIn) -> Result<CreateWorkOrder> {
    let CheckIn { intake_mileage_km, fuel_level, repair_category, promised_at, customer_id, vehicle_id } =
        cmd;
    let visitor = booking.visitor.as_ref();
    let customer_id = customer_id.or(visitor.and_then(|v| v.customer_id)).ok_or_else(|| {
        DomainError::invalid("customer_id", "the booking is for a new customer: open their file and name it")
    })?;
    let vehicle_id = vehicle_id.or(visitor.and_then(|v| v.vehicle_id)).ok_or_else(|| {
        DomainError::invalid("vehicle_id", "the booking names no car on the file: add it and name it")
    })?;
    let fault = visitor.map(|v| v.fault_description.clone()).unwrap_or_default();
    Ok(CreateWorkOrder {
        customer_id,
        vehicle_id,
        fault_description: format!("{fault} [{}]", booking.services.join(", ")),
        intake_mileage_km: *intake_mileage_km,
        fuel_level: *fuel_level,
        repair_category: *repair_category,
        promised_at: *promised_at,
        lines: Vec::new(),
        comeback_of: None,
    })
}

//! Availability (AP-2), computed from the bookings themselves, never from a slot table that could
//! drift: a start time is free when the store is open for the whole booking, it is within the lead
//! time and the booking window, a bay of the right kind is free for the whole duration, and an
//! advisor is free to receive the customer at arrival.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::capacity::{BayKind, Capacity};
use crate::DomainError;

/// What one booking (held or booked) occupies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occupied {
    /// Arrival.
    pub start: DateTime<Utc>,
    /// End of the bay's use.
    pub end: DateTime<Utc>,
    /// The bay kind it holds.
    pub bay: BayKind,
    /// The advisor receiving it, once assigned.
    pub advisor: Option<String>,
}

/// What a booking of `services` needs: its bay kind and duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    /// The one bay kind every service of the booking needs.
    pub bay: BayKind,
    /// The services' minutes added up.
    pub minutes: u32,
}

/// The need of a booking of the service types `codes` (one bay for the whole visit: services that
/// need different bay kinds are booked separately).
pub fn need(capacity: &Capacity, codes: &[String]) -> crate::Result<Need> {
    if codes.is_empty() {
        return Err(DomainError::invalid("service_types", "name at least one service type"));
    }
    let mut bay = None;
    let mut minutes = 0u32;
    for (i, code) in codes.iter().enumerate() {
        let Some(service) = capacity.service(code) else {
            return Err(DomainError::invalid(
                format!("service_types[{i}]"),
                "is not a service type of this store",
            ));
        };
        if bay.is_some_and(|b| b != service.bay) {
            return Err(DomainError::invalid(
                format!("service_types[{i}]"),
                "needs another bay kind than the others: book it separately",
            ));
        }
        bay = Some(service.bay);
        minutes = minutes.saturating_add(service.minutes);
    }
    if minutes > super::capacity::MAX_SERVICE_MINUTES {
        return Err(DomainError::invalid("service_types", "add up to more than a day"));
    }
    Ok(Need { bay: bay.unwrap_or(BayKind::General), minutes })
}

/// Why a start time cannot be booked (for the conflict a booking answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Closed, outside the hours, off the granularity, too soon or too far ahead.
    NotOffered,
    /// Every bay of the kind, or every advisor, is taken then.
    Taken,
}

impl Refusal {
    /// The conflict a booking answers.
    pub fn into_error(self) -> DomainError {
        let (code, message) = match self {
            Self::Taken => {
                ("appointment.slot_taken", "that start time was taken meanwhile: ask for availability again")
            }
            Self::NotOffered => {
                ("appointment.not_offered", "the store does not offer that start time for these services")
            }
        };
        DomainError::FailedPrecondition { code, message: message.into() }
    }
}

/// The error when a store has no capacity yet.
pub fn capacity_not_set() -> DomainError {
    DomainError::FailedPrecondition {
        code: "capacity.not_set",
        message: "the store has not set its service capacity yet".into(),
    }
}

/// Whether a booking of `need` may start at `start`, given what is `occupied` (excluding the
/// booking being moved, if any); answers the advisors free to receive it, in the store's order.
pub fn check_start<'a>(
    capacity: &'a Capacity,
    tz: Tz,
    now: DateTime<Utc>,
    need: Need,
    start: DateTime<Utc>,
    occupied: &[Occupied],
) -> Result<Vec<&'a str>, Refusal> {
    let local = start.with_timezone(&tz);
    let date = local.date_naive();
    let hours = capacity.hours_on(date).ok_or(Refusal::NotOffered)?;
    let end = start + Duration::minutes(i64::from(need.minutes));
    let open = at(tz, date, hours.open).ok_or(Refusal::NotOffered)?;
    let close = at(tz, date, hours.close).ok_or(Refusal::NotOffered)?;
    let step = i64::from(capacity.granularity_minutes.max(1));
    let on_grid = (start - open).num_seconds() % (step * 60) == 0;
    let soonest = now + Duration::minutes(i64::from(capacity.lead_minutes));
    let latest = now + Duration::days(i64::from(capacity.window_days));
    if start < open || end > close || !on_grid || start < soonest || start > latest {
        return Err(Refusal::NotOffered);
    }
    let bays = capacity.bays.get(&need.bay).copied().unwrap_or(0);
    if peak_overlap(occupied, need.bay, start, end) >= bays {
        return Err(Refusal::Taken);
    }
    // An advisor receives each arrival for one step of the grid.
    let reception_end = start + Duration::minutes(step);
    let arriving: Vec<_> = occupied
        .iter()
        .filter(|o| o.start < reception_end && start < o.start + Duration::minutes(step))
        .collect();
    if arriving.len() >= capacity.advisors.len() {
        return Err(Refusal::Taken);
    }
    let busy = |name: &str| arriving.iter().any(|o| o.advisor.as_deref() == Some(name));
    let mut free: Vec<&str> = capacity.advisors.iter().map(String::as_str).filter(|a| !busy(a)).collect();
    // Arrivals no listed advisor receives (one left the list since) still take someone's time.
    let listed = |a: &Option<String>| a.as_deref().is_some_and(|a| capacity.advisors.iter().any(|x| x == a));
    let unlisted = arriving.iter().filter(|o| !listed(&o.advisor)).count();
    free.truncate(free.len().saturating_sub(unlisted));
    if free.is_empty() {
        return Err(Refusal::Taken);
    }
    Ok(free)
}

/// The most bookings of `bay` in use at one instant within `[start, end)`.
fn peak_overlap(occupied: &[Occupied], bay: BayKind, start: DateTime<Utc>, end: DateTime<Utc>) -> u32 {
    let mut edges: Vec<(DateTime<Utc>, i32)> = occupied
        .iter()
        .filter(|o| o.bay == bay && o.start < end && start < o.end)
        .flat_map(|o| [(o.start.max(start), 1), (o.end.min(end), -1)])
        .collect();
    // Ends before starts at the same instant: a bay freed at 10:00 can be taken at 10:00.
    edges.sort();
    let (mut now, mut peak) = (0i32, 0i32);
    for (_, delta) in edges {
        now += delta;
        peak = peak.max(now);
    }
    u32::try_from(peak).unwrap_or(0)
}

/// The free start times of a booking of `need` from `from` to `to` (store-local dates,
/// inclusive), in order.
pub fn free_starts(
    capacity: &Capacity,
    tz: Tz,
    now: DateTime<Utc>,
    need: Need,
    from: NaiveDate,
    to: NaiveDate,
    occupied: &[Occupied],
) -> Vec<DateTime<Utc>> {
    let mut starts = Vec::new();
    let step = Duration::minutes(i64::from(capacity.granularity_minutes.max(1)));
    // Each start is checked against the bookings near it only: sorted by arrival, those that can
    // overlap `[start, end)` arrive within the longest booking before its end. A month of a busy
    // store is thousands of bookings and starts; this keeps it to the handful at each.
    let mut near: Vec<Occupied> = occupied.to_vec();
    near.sort_by_key(|o| o.start);
    let longest = near.iter().map(|o| o.end - o.start).max().unwrap_or_default().max(step);
    let mut date = from;
    while date <= to {
        if let Some(hours) = capacity.hours_on(date)
            && let (Some(open), Some(close)) = (at(tz, date, hours.open), at(tz, date, hours.close))
        {
            let mut start = open;
            while start + Duration::minutes(i64::from(need.minutes)) <= close {
                let end = start + Duration::minutes(i64::from(need.minutes)).max(step);
                let lo = near.partition_point(|o| o.start < start - longest);
                let hi = near.partition_point(|o| o.start < end);
                if check_start(capacity, tz, now, need, start, &near[lo..hi.max(lo)]).is_ok() {
                    starts.push(start);
                }
                start += step;
            }
        }
        let Some(next) = date.succ_opt() else { break };
        date = next;
    }
    starts
}

/// A store-local wall time as an instant (the earlier one when a clock change repeats it; none
/// when it skips it).
fn at(tz: Tz, date: NaiveDate, time: chrono::NaiveTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&date.and_time(time)).earliest().map(|t| t.with_timezone(&Utc))
}

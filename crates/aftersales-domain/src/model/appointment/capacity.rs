//! A store's service capacity (AP-1): opening hours, closed dates, bays by kind, the advisors who
//! receive arrivals, service types, and the booking rules' times.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::error::Validator;

/// The kind of workshop bay a service needs; a booking only ever takes a bay of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BayKind {
    /// Mechanical work and maintenance.
    General,
    /// Quick service (oil change, tyres).
    QuickService,
    /// Body and paint (钣喷).
    BodyPaint,
}

/// A service customers can book, and what it occupies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ServiceType {
    /// Stable code, e.g. `maintenance`.
    pub code: String,
    /// Name shown to customers, e.g. `常规保养`.
    pub name: String,
    /// Planned duration in minutes.
    pub minutes: u32,
    /// The bay kind it needs.
    pub bay: BayKind,
}

/// One day's opening hours, store-local; `open < close`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Hours {
    /// Opening time, `HH:MM` or `HH:MM:SS`.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?$"))]
    pub open: NaiveTime,
    /// Closing time: every booking ends by then.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]+)?)?$"))]
    pub close: NaiveTime,
}

/// Everything availability is computed from, besides the bookings themselves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default, deny_unknown_fields)]
pub struct Capacity {
    /// Hours per weekday, Monday first; `None` is closed all day.
    pub week: [Option<Hours>; 7],
    /// Dates the store is closed (holidays), store-local; each once.
    #[serde(deserialize_with = "distinct_dates")]
    pub closed_dates: BTreeSet<NaiveDate>,
    /// Bays by kind.
    pub bays: BTreeMap<BayKind, u32>,
    /// Staff ids of the advisors who receive arrivals (from the store's staff list).
    pub advisors: Vec<String>,
    /// Bookable services.
    pub services: Vec<ServiceType>,
    /// Start times are multiples of this many minutes from opening (default 15).
    pub granularity_minutes: u32,
    /// The earliest start is this far ahead of now (default 120).
    pub lead_minutes: u32,
    /// The latest start is this many days ahead (default 30).
    pub window_days: u32,
    /// How long a hold keeps its place (default 10).
    pub hold_minutes: u32,
    /// Customers may cancel until this long before the start (default 120).
    pub cutoff_minutes: u32,
    /// Not checked in this long after the start is a no-show (default 30).
    pub grace_minutes: u32,
}

/// Why a list of closed dates is refused when one repeats.
pub const CLOSED_DATE_TWICE: &str = "a closed date is listed twice";

/// The closed dates as a set; `None` when one is listed twice (both fronts refuse that).
pub fn closed_date_set(dates: &[NaiveDate]) -> Option<BTreeSet<NaiveDate>> {
    let set: BTreeSet<NaiveDate> = dates.iter().copied().collect();
    (set.len() == dates.len()).then_some(set)
}

/// The set, refusing a date given twice (the document promises distinct items).
fn distinct_dates<'de, D: serde::Deserializer<'de>>(de: D) -> Result<BTreeSet<NaiveDate>, D::Error> {
    let dates = Vec::<NaiveDate>::deserialize(de)?;
    closed_date_set(&dates).ok_or_else(|| serde::de::Error::custom(CLOSED_DATE_TWICE))
}

impl Default for Capacity {
    fn default() -> Self {
        let day = |h1, h2| NaiveTime::from_hms_opt(h1, 0, 0).zip(NaiveTime::from_hms_opt(h2, 0, 0));
        let weekday = day(8, 18).map(|(open, close)| Hours { open, close });
        let saturday = day(9, 17).map(|(open, close)| Hours { open, close });
        Self {
            week: [weekday, weekday, weekday, weekday, weekday, saturday, None],
            closed_dates: BTreeSet::new(),
            bays: BTreeMap::new(),
            advisors: Vec::new(),
            services: Vec::new(),
            granularity_minutes: 15,
            lead_minutes: 120,
            window_days: 30,
            hold_minutes: 10,
            cutoff_minutes: 120,
            grace_minutes: 30,
        }
    }
}

/// The most of anything one store declares: far beyond any real workshop, small enough that an
/// availability answer stays cheap.
pub const MAX_BAYS_PER_KIND: u32 = 200;
/// A booking's services may add up to at most this (a day's work).
pub const MAX_SERVICE_MINUTES: u32 = 24 * 60;

impl Capacity {
    /// The hours on `date`, or `None` when the store is closed that day.
    pub fn hours_on(&self, date: NaiveDate) -> Option<Hours> {
        if self.closed_dates.contains(&date) {
            return None;
        }
        self.week[date.weekday().num_days_from_monday() as usize]
    }

    /// The service type with `code`.
    pub fn service(&self, code: &str) -> Option<&ServiceType> {
        self.services.iter().find(|s| s.code == code)
    }

    /// Checks that the capacity is usable; each problem names its field.
    pub fn validate(&self) -> crate::Result<()> {
        let mut v = Validator::new();
        for (i, hours) in self.week.iter().enumerate() {
            if let Some(h) = hours
                && h.open >= h.close
            {
                v.push(format!("week[{i}]"), "must open before it closes");
            }
        }
        for (kind, n) in &self.bays {
            if *n > MAX_BAYS_PER_KIND {
                v.push(format!("bays.{}", kind.as_str()), format!("at most {MAX_BAYS_PER_KIND}"));
            }
        }
        let mut codes = BTreeSet::new();
        for (i, s) in self.services.iter().enumerate() {
            if s.code.trim().is_empty() || !codes.insert(s.code.as_str()) {
                v.push(format!("services[{i}].code"), "must be present and unique");
            }
            // Any length: a visit may end between two start times; the next one starts on the grid.
            if s.minutes == 0 || s.minutes > MAX_SERVICE_MINUTES {
                v.push(format!("services[{i}].minutes"), format!("must be 1 to {MAX_SERVICE_MINUTES}"));
            }
        }
        if !matches!(self.granularity_minutes, 5 | 10 | 15 | 20 | 30 | 60) {
            v.push("granularity_minutes", "must be 5, 10, 15, 20, 30 or 60");
        }
        if self.window_days == 0 || self.window_days > 365 {
            v.push("window_days", "must be 1 to 365");
        }
        if self.hold_minutes == 0 || self.hold_minutes > 60 {
            v.push("hold_minutes", "must be 1 to 60");
        }
        for (field, minutes) in [
            ("lead_minutes", self.lead_minutes),
            ("cutoff_minutes", self.cutoff_minutes),
            ("grace_minutes", self.grace_minutes),
        ] {
            if minutes > 7 * 24 * 60 {
                v.push(field, "must be at most a week");
            }
        }
        v.finish()
    }
}

impl BayKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::General => "general",
            Self::QuickService => "quick_service",
            Self::BodyPaint => "body_paint",
        }
    }
}

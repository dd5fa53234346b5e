//! The follow-up figures of a store and period (FU-9) and the period they cover: what the
//! counters (`rollup`) and the summaries (`summary`) both speak of, so neither imports the other's
//! types back.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::model::follow_up::{Complaint, ComplaintStatus};
use crate::{DomainError, Result};

/// A month (`2026-11`) or a year (`2026`), in store-local days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Period {
    /// One calendar month.
    Month {
        /// Year.
        year: i32,
        /// Month, 1-12.
        month: u32,
    },
    /// One calendar year.
    Year(i32),
}

impl Period {
    /// Parses `YYYY-MM` or `YYYY`.
    pub fn parse(raw: &str) -> Result<Self> {
        let bad = || DomainError::invalid("period", "must be a month as YYYY-MM or a year as YYYY");
        match raw.trim().split_once('-') {
            Some((y, m)) => {
                let (year, month) =
                    (y.parse::<i32>().map_err(|_| bad())?, m.parse::<u32>().map_err(|_| bad())?);
                if !(2000..=2100).contains(&year) || !(1..=12).contains(&month) || m.len() != 2 {
                    return Err(bad());
                }
                Ok(Self::Month { year, month })
            }
            None => {
                let year = raw.trim().parse::<i32>().map_err(|_| bad())?;
                if (2000..=2100).contains(&year) { Ok(Self::Year(year)) } else { Err(bad()) }
            }
        }
    }

    /// Returns the first day and the day after the last.
    pub fn days(self) -> (NaiveDate, NaiveDate) {
        let first = |y: i32, m: u32| NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN);
        match self {
            Self::Month { year, month: 12 } => (first(year, 12), first(year + 1, 1)),
            Self::Month { year, month } => (first(year, month), first(year, month + 1)),
            Self::Year(year) => (first(year, 1), first(year + 1, 1)),
        }
    }

    /// Returns the instants the period spans in a store's zone.
    pub fn instants(self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let (from, to) = self.days();
        let at = |d: NaiveDate| {
            d.and_hms_opt(0, 0, 0)
                .and_then(|t| t.and_local_timezone(tz).earliest())
                .map_or(DateTime::<Utc>::MIN_UTC, |t| t.with_timezone(&Utc))
        };
        (at(from), at(to))
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Month { year, month } => write!(f, "{year}-{month:02}"),
            Self::Year(year) => write!(f, "{year}"),
        }
    }
}

/// The follow-up figures of one store and period (FU-9); no personal data.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FollowUpFigures {
    /// Tasks whose deadline falls in the period.
    pub tasks_due: u64,
    /// Of those, done by the deadline.
    pub done_on_time: u64,
    /// Done after the deadline.
    pub done_late: u64,
    /// Closed as unreachable.
    pub unreachable: u64,
    /// Still open.
    pub still_open: u64,
    /// First follow-ups due (FU-1).
    pub first_follow_ups_due: u64,
    /// First follow-ups done on time (FU-1).
    pub first_follow_ups_on_time: u64,
    /// Second follow-ups due (FU-2).
    pub second_follow_ups_due: u64,
    /// Second follow-ups done on time (FU-2).
    pub second_follow_ups_on_time: u64,
    /// Campaign calls due (FU-7).
    pub campaign_calls_due: u64,
    /// Campaign calls made at least 14 days before the event (FU-7).
    pub campaign_calls_on_time: u64,
    /// Campaign letters due (FU-7).
    pub campaign_letters_due: u64,
    /// Campaign letters sent within 2 days of the call (FU-7).
    pub campaign_letters_on_time: u64,
    /// Complaints raised in the period.
    pub complaints_opened: u64,
    /// Of those, resolved.
    pub complaints_resolved: u64,
    /// Of those, escalated (not resolved within the limit, FU-6).
    pub complaints_escalated: u64,
    /// Of those, the customer told later than the day of the solution (FU-6).
    pub complaint_notice_breaches: u64,
    /// Median hours from raising to solution.
    pub median_hours_to_resolution: Option<f64>,
    /// Contacts with a satisfaction score.
    pub satisfaction_answers: u64,
    /// Mean score, 1-5.
    pub satisfaction_mean: Option<f64>,
    /// How many gave 1, 2, 3, 4 and 5.
    pub satisfaction_distribution: [u64; 5],
    /// Letters sent (FU-8).
    pub letters: u64,
    /// Messages to customers asked for in the period, by purpose and what became of them
    /// (issue 13); absent from summaries archived before messages were sent.
    #[serde(default)]
    pub messages: MessageFigures,
}

/// Messages to customers of one purpose, counted on the day they were asked for (issue 13).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PurposeMessages {
    /// Still waiting for call hours or a retry.
    pub queued: u64,
    /// Handed to the provider (delivered ones included).
    pub sent: u64,
    /// Of those, reported arrived.
    pub delivered: u64,
    /// Refused by the provider, not arrived, or out of attempts.
    pub failed: u64,
    /// Not sent: no consent, over a cap, no recipient.
    pub suppressed: u64,
}

/// Messages to customers by purpose (issue 13); counts only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MessageFigures {
    /// Service messages.
    pub service: PurposeMessages,
    /// Marketing messages.
    pub marketing: PurposeMessages,
}

impl MessageFigures {
    /// Adds `n` messages of `purpose` now in `status` (their wire names, as counted).
    pub fn add(&mut self, purpose: &str, status: &str, n: u64) {
        let p = match purpose {
            "service" => &mut self.service,
            "marketing" => &mut self.marketing,
            _ => return,
        };
        match status {
            "queued" => p.queued += n,
            "sent" => p.sent += n,
            "delivered" => {
                p.sent += n;
                p.delivered += n;
            }
            "failed" => p.failed += n,
            "suppressed" => p.suppressed += n,
            _ => {}
        }
    }
}

/// The complaint figures of a period: opened, escalated, breaches, resolved and the median time to
/// resolution (FU-6, FU-9).
pub fn complaint_figures(complaints: &[Complaint]) -> FollowUpFigures {
    let mut f = FollowUpFigures::default();
    let mut hours: Vec<f64> = Vec::new();
    for c in complaints {
        f.complaints_opened += 1;
        f.complaints_escalated += u64::from(c.escalated_at.is_some());
        f.complaint_notice_breaches += u64::from(c.notice_breach);
        if let Some(resolved) =
            c.resolved_at.filter(|_| matches!(c.status, ComplaintStatus::Resolved | ComplaintStatus::Closed))
        {
            f.complaints_resolved += 1;
            // Minutes are exact in f64 at these magnitudes.
            hours.push((resolved - c.opened_at).num_minutes() as f64 / 60.0);
        }
    }
    hours.sort_by(f64::total_cmp);
    f.median_hours_to_resolution = match hours.len() {
        0 => None,
        n if n % 2 == 1 => Some(hours[n / 2]),
        n => Some((hours[n / 2 - 1] + hours[n / 2]) / 2.0),
    };
    f
}

/// `part` as a share of `whole`; none of nothing.
pub fn share(part: u64, whole: u64) -> Option<f64> {
    // Counts are far below 2^52: exact as floats.
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// A store's appointments of a period, counted on their visit day (AP-6); no personal data.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AppointmentFigures {
    /// Appointments booked (a hold that lapsed never was).
    pub booked: u64,
    /// Of those, checked in.
    pub kept: u64,
    /// Cancelled, by the customer or the store.
    pub cancelled: u64,
    /// Not checked in by the grace time.
    pub no_show: u64,
    /// No-shows, share of those booked.
    pub no_show_rate: Option<f64>,
    /// Hours from booking to visit, on average.
    pub average_lead_hours: Option<f64>,
    /// Work orders opened at an appointment's check-in.
    pub work_orders_from_booking: u64,
    /// Those, share of all the period's work orders.
    pub booking_share_of_work_orders: Option<f64>,
}

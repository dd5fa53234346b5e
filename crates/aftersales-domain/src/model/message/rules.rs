//! The rules checked before a message goes out (issue 13): marketing needs current consent
//! (CF-5), nothing goes out in the customer's quiet hours (the store's call hours by default: a
//! message planned outside them waits for the next window), and a per-customer cap per day and
//! month.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::{Caps, Purpose, Suppressed};
use crate::model::store::CallWindow;

/// What the customer has had already, counted on store-local days and months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AlreadySent {
    /// On the day the message would go out.
    pub that_day: u32,
    /// In that month.
    pub that_month: u32,
}

/// The first instant at or after `at` inside one of the store's windows (store-local), looking a
/// week ahead; `at` itself when there are no windows (nothing is quiet then).
pub fn next_allowed(at: DateTime<Utc>, tz: Tz, windows: &[CallWindow]) -> DateTime<Utc> {
    if windows.is_empty() {
        return at;
    }
    let local = at.with_timezone(&tz);
    for offset in 0..8 {
        let Some(day) = local.date_naive().checked_add_signed(Duration::days(offset)) else { break };
        for w in windows {
            let (Some(start), Some(end)) = (instant(tz, day, w.start), instant(tz, day, w.end)) else {
                continue;
            };
            if at < end {
                return at.max(start);
            }
        }
    }
    at
}

fn instant(tz: Tz, day: NaiveDate, time: chrono::NaiveTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&day.and_time(time)).earliest().map(|t| t.with_timezone(&Utc))
}

/// The store-local day and month a send at `at` counts on.
pub fn counted_on(at: DateTime<Utc>, tz: Tz) -> (NaiveDate, (i32, u32)) {
    let day = at.with_timezone(&tz).date_naive();
    (day, (day.year(), day.month()))
}

/// The store-local day and month around an instant, as UTC ranges `[from, to)`, over which what
/// a customer was sent is counted against the caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountWindows {
    /// The day.
    pub day: (DateTime<Utc>, DateTime<Utc>),
    /// The month.
    pub month: (DateTime<Utc>, DateTime<Utc>),
}

impl CountWindows {
    /// The windows around `at` in the store's zone.
    pub fn around(at: DateTime<Utc>, tz: Tz) -> Self {
        let (day, (year, month)) = counted_on(at, tz);
        let midnight = |d: NaiveDate| instant(tz, d, chrono::NaiveTime::MIN).unwrap_or(at);
        let next_day = day.succ_opt().unwrap_or(day);
        let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(day);
        let next_first = if month == 12 {
            NaiveDate::from_ymd_opt(year + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(year, month + 1, 1)
        }
        .unwrap_or(day);
        Self { day: (midnight(day), midnight(next_day)), month: (midnight(first), midnight(next_first)) }
    }
}

/// Whether a message of `purpose` may go out: consent first, then the caps for what the customer
/// already had on that day and month.
pub fn rules(
    purpose: Purpose,
    marketing_consent: bool,
    sent: AlreadySent,
    caps: Caps,
) -> Result<(), Suppressed> {
    if purpose == Purpose::Marketing && !marketing_consent {
        Err(Suppressed::NoMarketingConsent)
    } else if sent.that_day >= caps.per_day {
        Err(Suppressed::DailyCapReached)
    } else if sent.that_month >= caps.per_month {
        Err(Suppressed::MonthlyCapReached)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono_tz::Asia::Shanghai;

    use super::*;
    use crate::model::store::default_call_hours;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or_default()
    }

    // Issue 13: planned at 22:00 local, a message goes out at the next call-hours start (09:00);
    // inside a window it goes at once; in the lunch gap at 14:00.
    #[test]
    fn a_message_planned_in_quiet_hours_waits_for_the_next_window() {
        let hours = default_call_hours();
        // 22:00 Shanghai on 2026-12-07 is 14:00 UTC.
        assert_eq!(next_allowed(utc("2026-12-07T14:00:00Z"), Shanghai, &hours), utc("2026-12-08T01:00:00Z"));
        assert_eq!(next_allowed(utc("2026-12-07T02:30:00Z"), Shanghai, &hours), utc("2026-12-07T02:30:00Z"));
        assert_eq!(next_allowed(utc("2026-12-07T04:30:00Z"), Shanghai, &hours), utc("2026-12-07T06:00:00Z"));
        // 07:00 local: the day's first window.
        assert_eq!(next_allowed(utc("2026-12-06T23:00:00Z"), Shanghai, &hours), utc("2026-12-07T01:00:00Z"));
        assert_eq!(next_allowed(utc("2026-12-07T14:00:00Z"), Shanghai, &[]), utc("2026-12-07T14:00:00Z"));
    }

    // CF-5, issue 13: marketing without consent is suppressed before any cap; caps count per day
    // and month; service messages need no consent.
    #[test]
    fn marketing_needs_consent_and_every_message_keeps_to_the_caps() {
        let none = AlreadySent::default();
        let marketing = Caps::default_for(Purpose::Marketing);
        assert_eq!(rules(Purpose::Marketing, false, none, marketing), Err(Suppressed::NoMarketingConsent));
        assert_eq!(rules(Purpose::Marketing, true, none, marketing), Ok(()));
        let one_today = AlreadySent { that_day: 1, that_month: 1 };
        assert_eq!(rules(Purpose::Marketing, true, one_today, marketing), Err(Suppressed::DailyCapReached));
        let four = AlreadySent { that_day: 0, that_month: 4 };
        assert_eq!(rules(Purpose::Marketing, true, four, marketing), Err(Suppressed::MonthlyCapReached));
        assert_eq!(rules(Purpose::Service, false, one_today, Caps::default_for(Purpose::Service)), Ok(()));
        assert_eq!(
            counted_on(utc("2026-11-30T16:30:00Z"), Shanghai),
            (utc("2026-12-01T00:00:00Z").date_naive(), (2026, 12))
        );
        let w = CountWindows::around(utc("2026-11-30T16:30:00Z"), Shanghai);
        assert_eq!(w.day, (utc("2026-11-30T16:00:00Z"), utc("2026-12-01T16:00:00Z")));
        assert_eq!(w.month, (utc("2026-11-30T16:00:00Z"), utc("2026-12-31T16:00:00Z")));
    }
}

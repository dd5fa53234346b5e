//! Planning the day's calls of a worklist (FU-5): each call on the requested store-local day,
//! inside the store's call hours, in the customer's preferred time where it overlaps them,
//! spread over the hours, and a retry after no answer on a later slot.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

use super::store::CallWindow;

/// How long one planned call takes on the agent's day.
pub const CALL_SLOT: Duration = Duration::minutes(15);

/// The least time between an unanswered attempt and the next one, so the retry falls in a later
/// part of the day rather than a minute later.
pub const RETRY_GAP: Duration = Duration::hours(2);

/// What planning one call needs to know.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallRequest {
    /// The customer's preferred contact time, in their words (`上午`, `weekday evenings`, `18:00-20:00`).
    pub preferred: Option<String>,
    /// The last attempt on this task that did not finish it (a no-answer).
    pub last_attempt: Option<DateTime<Utc>>,
}

/// A time of day range, start inclusive, end exclusive.
type Range = (NaiveTime, NaiveTime);

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

/// Reads a customer's preferred contact time into ranges of the day, or `None` when it says
/// nothing about time (then any call hour will do). Explicit ranges (`18:00-20:00`) win over
/// words; a weekday or weekend qualifier that does not match `day` makes it say nothing.
pub fn preferred_ranges(text: &str, day: NaiveDate) -> Option<Vec<Range>> {
    let t = text.to_lowercase();
    let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
    let wants_weekday = ["weekday", "工作日", "周一至周五", "平日"].iter().any(|w| t.contains(w));
    let wants_weekend = ["weekend", "周末", "双休"].iter().any(|w| t.contains(w));
    if (wants_weekday && weekend) || (wants_weekend && !weekend) {
        return None;
    }
    let explicit = explicit_ranges(&t);
    if !explicit.is_empty() {
        return Some(explicit);
    }
    let words: [(&[&str], Range); 4] = [
        (&["上午", "早上", "morning"], (hm(6, 0), hm(12, 0))),
        (&["中午", "noon", "lunch"], (hm(11, 0), hm(14, 0))),
        (&["下午", "afternoon"], (hm(12, 0), hm(18, 0))),
        (&["晚上", "傍晚", "evening", "night"], (hm(18, 0), hm(23, 59))),
    ];
    let ranges: Vec<Range> =
        words.iter().filter(|(keys, _)| keys.iter().any(|k| t.contains(k))).map(|(_, r)| *r).collect();
    (!ranges.is_empty()).then_some(ranges)
}

/// Finds `HH:MM-HH:MM` (also with `~`, `～`, `至`, `到` or ` to `) in the text.
fn explicit_ranges(text: &str) -> Vec<Range> {
    let normalised = text.replace(['~', '～', '—', '–'], "-").replace(" to ", "-").replace(['至', '到'], "-");
    let mut ranges = Vec::new();
    for token in normalised.split(|c: char| c.is_whitespace() || c == ',' || c == '，' || c == ';') {
        if let Some((a, b)) = token.split_once('-')
            && let (Ok(start), Ok(end)) =
                (NaiveTime::parse_from_str(a.trim(), "%H:%M"), NaiveTime::parse_from_str(b.trim(), "%H:%M"))
            && start < end
        {
            ranges.push((start, end));
        }
    }
    ranges
}

fn at_local(tz: Tz, day: NaiveDate, time: NaiveTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&day.and_time(time)).earliest().map(|t| t.with_timezone(&Utc))
}

/// Every slot of the day not before `now`, in order, with its local time of day.
fn slot_starts(
    day: NaiveDate,
    tz: Tz,
    call_hours: &[CallWindow],
    now: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, NaiveTime)> {
    let mut slots = Vec::new();
    for window in call_hours {
        let mut local = window.start;
        while local < window.end {
            if let Some(start) = at_local(tz, day, local)
                && start >= now
            {
                slots.push((start, local));
            }
            let (next, wrapped) = local.overflowing_add_signed(CALL_SLOT);
            if wrapped != 0 || next <= local {
                break;
            }
            local = next;
        }
    }
    slots
}

/// How many calls the store-local `day` holds: its slots in the call hours (from midnight, not
/// from now), so a day's worklist is bounded by what an agent can do in it.
pub fn slots_in_day(day: NaiveDate, tz: Tz, call_hours: &[CallWindow]) -> usize {
    let midnight = day.and_hms_opt(0, 0, 0).and_then(|t| tz.from_local_datetime(&t).earliest());
    let Some(start) = midnight.map(|t| t.with_timezone(&Utc)) else { return 0 };
    slot_starts(day, tz, call_hours, start).len()
}

/// Plans one call per request on the store-local `day`, in request order (most urgent first).
///
/// Every planned time is a slot start inside the call hours of that day, not before `now`, and
/// at least [`RETRY_GAP`] after the request's last unanswered attempt. A request whose preferred
/// time overlaps the call hours gets a slot there if one is free. Slots are handed out first come,
/// each once; when there are more calls than slots, the least used slot is shared. `None` where no
/// slot of the day remains (the call moves to another day's list).
pub fn plan_calls(
    day: NaiveDate,
    tz: Tz,
    call_hours: &[CallWindow],
    now: DateTime<Utc>,
    requests: &[CallRequest],
) -> Vec<Option<DateTime<Utc>>> {
    let mut slots: Vec<(DateTime<Utc>, NaiveTime, u32)> =
        slot_starts(day, tz, call_hours, now).into_iter().map(|(at, local)| (at, local, 0)).collect();
    requests
        .iter()
        .map(|request| {
            let not_before = request.last_attempt.map(|t| t + RETRY_GAP);
            let fits = |slot: &(DateTime<Utc>, NaiveTime, u32)| not_before.is_none_or(|nb| slot.0 >= nb);
            let ranges = request.preferred.as_deref().and_then(|p| preferred_ranges(p, day));
            let preferred = |slot: &(DateTime<Utc>, NaiveTime, u32)| {
                ranges.as_ref().is_some_and(|rs| rs.iter().any(|(a, b)| slot.1 >= *a && slot.1 < *b))
            };
            let has_preferred = slots.iter().any(|s| fits(s) && preferred(s));
            let candidates =
                slots.iter_mut().filter(|s| fits(s) && (!has_preferred || preferred(s))).collect::<Vec<_>>();
            // The first free slot, or the least used one; ties go to the earliest.
            let chosen = candidates.into_iter().min_by_key(|s| (s.2, s.0))?;
            chosen.2 += 1;
            Some(chosen.0)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::store::default_call_hours;

    const SHANGHAI: Tz = chrono_tz::Asia::Shanghai;

    fn local(day: &str, time: &str) -> DateTime<Utc> {
        let d: NaiveDate = day.parse().unwrap();
        at_local(SHANGHAI, d, NaiveTime::parse_from_str(time, "%H:%M").unwrap()).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    // FU-5: a call for a later day is planned on that day, not from now.
    #[test]
    fn calls_fall_on_the_requested_day_inside_call_hours() {
        let now = local("2026-11-27", "10:00");
        let planned =
            plan_calls(day("2026-11-30"), SHANGHAI, &default_call_hours(), now, &[CallRequest::default()]);
        assert_eq!(planned, vec![Some(local("2026-11-30", "09:00"))]);
        let today =
            plan_calls(day("2026-11-27"), SHANGHAI, &default_call_hours(), now, &[CallRequest::default()]);
        assert_eq!(today, vec![Some(local("2026-11-27", "10:00"))], "not before now");
        let late = local("2026-11-27", "20:00");
        assert_eq!(
            plan_calls(day("2026-11-27"), SHANGHAI, &default_call_hours(), late, &[CallRequest::default()]),
            vec![None],
            "the day's call hours are over"
        );
    }

    // FU-5: several calls are spread over the hours, each slot once while slots last.
    #[test]
    fn calls_are_spread_over_the_slots() {
        let now = local("2026-11-27", "06:00");
        let requests = vec![CallRequest::default(); 3];
        let planned = plan_calls(day("2026-11-27"), SHANGHAI, &default_call_hours(), now, &requests);
        assert_eq!(
            planned,
            vec![
                Some(local("2026-11-27", "09:00")),
                Some(local("2026-11-27", "09:15")),
                Some(local("2026-11-27", "09:30"))
            ]
        );
        // 9 hours of call time hold 36 slots; the 37th call shares the first slot.
        let many = plan_calls(
            day("2026-11-27"),
            SHANGHAI,
            &default_call_hours(),
            now,
            &vec![CallRequest::default(); 37],
        );
        assert_eq!(many[35], Some(local("2026-11-27", "19:45")));
        assert_eq!(many[36], Some(local("2026-11-27", "09:00")));
    }

    // FU-5: the customer's preferred time is honoured where it overlaps the call hours.
    #[test]
    fn the_customers_preferred_time_is_honoured() {
        let now = local("2026-11-27", "06:00"); // a Friday
        let req = |p: &str| CallRequest { preferred: Some(p.into()), last_attempt: None };
        let planned = plan_calls(
            day("2026-11-27"),
            SHANGHAI,
            &default_call_hours(),
            now,
            &[
                req("晚上"),
                req("下午3点以后 15:00-17:00"),
                req("weekday evenings"),
                req("周末上午"),
                req("随时"),
            ],
        );
        assert_eq!(
            planned,
            vec![
                Some(local("2026-11-27", "18:00")),
                Some(local("2026-11-27", "15:00")),
                Some(local("2026-11-27", "18:15")),
                Some(local("2026-11-27", "09:00")),
                Some(local("2026-11-27", "09:15")),
            ]
        );
        // Outside the call hours entirely: never called in the customer's rest time, any call hour.
        let night =
            plan_calls(day("2026-11-27"), SHANGHAI, &default_call_hours(), now, &[req("22:00-23:00")]);
        assert_eq!(night, vec![Some(local("2026-11-27", "09:00"))]);
    }

    // FU-5: the default call hours hold 36 calls of 15 minutes a day.
    #[test]
    fn a_day_holds_as_many_calls_as_its_slots() {
        assert_eq!(slots_in_day(day("2026-11-27"), SHANGHAI, &default_call_hours()), 36);
    }

    // FU-5: after a no-answer the next attempt is planned at least two hours later.
    #[test]
    fn a_no_answer_moves_the_next_attempt_to_a_later_slot() {
        let now = local("2026-11-27", "09:05");
        let req = CallRequest { preferred: None, last_attempt: Some(local("2026-11-27", "09:00")) };
        let planned =
            plan_calls(day("2026-11-27"), SHANGHAI, &default_call_hours(), now, std::slice::from_ref(&req));
        assert_eq!(planned, vec![Some(local("2026-11-27", "11:00"))]);
        let evening = CallRequest { preferred: None, last_attempt: Some(local("2026-11-27", "19:00")) };
        assert_eq!(
            plan_calls(day("2026-11-27"), SHANGHAI, &default_call_hours(), now, &[evening]),
            vec![None]
        );
    }

    #[test]
    fn preferences_are_read_from_chinese_and_english_words_and_ranges() {
        let friday = day("2026-11-27");
        let saturday = day("2026-11-28");
        assert_eq!(preferred_ranges("上午", friday), Some(vec![(hm(6, 0), hm(12, 0))]));
        assert_eq!(preferred_ranges("18:00~20:00", friday), Some(vec![(hm(18, 0), hm(20, 0))]));
        assert_eq!(preferred_ranges("weekday evenings", saturday), None);
        assert_eq!(preferred_ranges("周末下午", saturday), Some(vec![(hm(12, 0), hm(18, 0))]));
        assert_eq!(preferred_ranges("any time", friday), None);
    }
}

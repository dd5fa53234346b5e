//! Per-store counters kept in the same transaction as the records they count, so that
//! headquarters' figures read one row per store and metric instead of scanning raw records
//! (HQ-2). A record counts on a store-local day, in that day's month and in its year, because the
//! figures are only ever read by whole months and years (FU-9).

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::model::appointment::{Appointment, AppointmentStatus};
use crate::model::figures::{AppointmentFigures, share};
use crate::model::figures::{FollowUpFigures, Period, complaint_figures};
use crate::model::follow_up::{
    Complaint, ContactRecord, FollowUpChannel, FollowUpTask, Letter, TaskKind, TaskStatus,
};
use crate::model::message::OutboundMessage;
use crate::model::work_order::WorkOrder;

/// A counter: a store-local day and what is counted on it.
pub type Bucket = (NaiveDate, String);

/// A change to one counter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// The store-local month or year counted.
    pub period: Period,
    /// What is counted.
    pub metric: String,
    /// How much it moves.
    pub delta: i64,
}

fn local_day(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The month and the year a day falls in: the keys of its counters.
pub fn periods_of(day: NaiveDate) -> [Period; 2] {
    [Period::Month { year: day.year(), month: day.month() }, Period::Year(day.year())]
}

fn kind_key(kind: TaskKind) -> &'static str {
    match kind {
        TaskKind::FirstFollowUp => "first_follow_up",
        TaskKind::SecondFollowUp => "second_follow_up",
        TaskKind::ReturnVisit => "return_visit",
        TaskKind::CampaignCall => "campaign_call",
        TaskKind::CampaignLetter => "campaign_letter",
        TaskKind::MaintenanceReminder => "maintenance_reminder",
        TaskKind::DeclinedReminder => "declined_reminder",
        TaskKind::Lapsing => "lapsing",
    }
}

/// Where a task stands for the figures: done on time is done by its deadline, store-local (FU-9).
fn outcome(t: &FollowUpTask, tz: Tz) -> &'static str {
    match t.status {
        TaskStatus::Done if t.closed_at.is_some_and(|c| local_day(c, tz) <= t.due_to) => "on_time",
        TaskStatus::Done => "late",
        TaskStatus::Unreachable => "unreachable",
        TaskStatus::Open => "open",
        TaskStatus::Cancelled => "cancelled",
    }
}

/// A task counts on its deadline day, by kind and outcome.
pub fn task_buckets(t: &FollowUpTask, tz: Tz) -> Vec<Bucket> {
    vec![(t.due_to, format!("task.{}.{}", kind_key(t.kind), outcome(t, tz)))]
}

/// A contact counts its satisfaction score, and a letter sent as a contact, on its day.
pub fn contact_buckets(c: &ContactRecord, tz: Tz) -> Vec<Bucket> {
    let day = local_day(c.contacted_at, tz);
    let mut out = Vec::new();
    if let Some(score) = c.satisfaction.filter(|s| (1..=5).contains(s)) {
        out.push((day, format!("satisfaction.{score}")));
    }
    if c.channel == FollowUpChannel::Letter {
        out.push((day, "letter".to_string()));
    }
    out
}

/// A registered letter counts on the day it went out (FU-8).
pub fn letter_buckets(l: &Letter, tz: Tz) -> Vec<Bucket> {
    vec![(local_day(l.sent_at, tz), "letter".to_string())]
}

/// A work order counts on the day it was opened; a comeback also as such (WO-9), and one opened
/// at an appointment's check-in as from a booking (AP-6).
pub fn work_order_buckets(o: &WorkOrder, tz: Tz) -> Vec<Bucket> {
    let day = local_day(o.created_at, tz);
    let mut out = vec![(day, "work_order".to_string())];
    if o.comeback_of.is_some() {
        out.push((day, "comeback".to_string()));
    }
    if o.appointment_id.is_some() {
        out.push((day, "work_order.from_booking".to_string()));
    }
    out
}

/// A message counts on the store-local day it was asked for, by purpose and where it stands
/// (issue 13); its sending moves the counter in the worker's transaction.
pub fn message_buckets(m: &OutboundMessage, tz: Tz) -> Vec<Bucket> {
    vec![(local_day(m.created_at, tz), format!("message.{}.{}", m.purpose.as_str(), m.status.as_str()))]
}

/// A counter with the amount it counts (a sum of minutes, say) rather than one.
pub type Weighted = (NaiveDate, String, i64);

/// An appointment counts on its store-local visit day once it was booked (a lapsed hold never
/// was): booked, then how it ended (kept, cancelled, no-show; still booked counts no outcome),
/// and the minutes from booking to visit, for the average lead time (AP-6).
pub fn appointment_buckets(a: &Appointment, tz: Tz) -> Vec<Weighted> {
    let Some(booked_at) = a.history.iter().find(|c| c.status == AppointmentStatus::Booked).map(|c| c.at)
    else {
        return Vec::new();
    };
    let day = local_day(a.start, tz);
    let mut out = vec![
        (day, "appointment.booked".to_string(), 1),
        (day, "appointment.lead_minutes".to_string(), (a.start - booked_at).num_minutes().max(0)),
    ];
    let outcome = match a.status {
        AppointmentStatus::CheckedIn => Some("appointment.kept"),
        AppointmentStatus::Cancelled => Some("appointment.cancelled"),
        AppointmentStatus::NoShow => Some("appointment.no_show"),
        AppointmentStatus::Held | AppointmentStatus::Booked => None,
    };
    out.extend(outcome.map(|m| (day, m.to_string(), 1)));
    out
}

/// The counter moves that take a record from `before` to `after`.
pub fn tallies(before: &[Bucket], after: &[Bucket]) -> Vec<Tally> {
    let one = |b: &[Bucket]| b.iter().map(|(day, metric)| (*day, metric.clone(), 1)).collect::<Vec<_>>();
    weighted_tallies(&one(before), &one(after))
}

/// The counter moves that take a record from `before` to `after`, each by its weight.
pub fn weighted_tallies(before: &[Weighted], after: &[Weighted]) -> Vec<Tally> {
    let mut out: Vec<Tally> = Vec::new();
    let moves = before.iter().map(|b| (b, -1)).chain(after.iter().map(|b| (b, 1)));
    for ((day, metric, weight), sign) in moves {
        for period in periods_of(*day) {
            let delta = sign * weight;
            match out.iter_mut().find(|t| t.period == period && t.metric == *metric) {
                Some(t) => t.delta += delta,
                None => out.push(Tally { period, metric: metric.clone(), delta }),
            }
        }
    }
    out.retain(|t| t.delta != 0);
    out
}

/// A store's appointment figures of a period, from its counters (AP-6).
pub fn appointment_figures(counts: &[(String, i64)]) -> AppointmentFigures {
    let get = |name: &str| {
        u64::try_from(counts.iter().filter(|(m, _)| m == name).map(|(_, n)| *n).sum::<i64>()).unwrap_or(0)
    };
    let (booked, no_show) = (get("appointment.booked"), get("appointment.no_show"));
    let (work_orders, from_booking) = (get("work_order"), get("work_order.from_booking"));
    AppointmentFigures {
        booked,
        kept: get("appointment.kept"),
        cancelled: get("appointment.cancelled"),
        no_show,
        no_show_rate: share(no_show, booked),
        average_lead_hours: share(get("appointment.lead_minutes"), booked.saturating_mul(60)),
        work_orders_from_booking: from_booking,
        booking_share_of_work_orders: share(from_booking, work_orders),
    }
}

/// Work orders and comebacks of a period, from its counters.
pub fn work_order_counts(counts: &[(String, i64)]) -> (u64, u64) {
    let get = |name: &str| counts.iter().filter(|(m, _)| m == name).map(|(_, n)| *n).sum::<i64>();
    (u64::try_from(get("work_order")).unwrap_or(0), u64::try_from(get("comeback")).unwrap_or(0))
}

/// The FU-9 figures from a period's summed counters and its complaints (complaints are few, and
/// their median needs each one).
pub fn figures_from_counts(counts: &[(String, i64)], complaints: &[Complaint]) -> FollowUpFigures {
    let mut f = complaint_figures(complaints);
    let mut score_sum = 0u64;
    for (metric, n) in counts {
        let n = u64::try_from(*n).unwrap_or(0);
        let parts: Vec<&str> = metric.split('.').collect();
        match parts.as_slice() {
            ["task", kind, outcome] => {
                f.tasks_due += n;
                let on_time = *outcome == "on_time";
                match *outcome {
                    "on_time" => f.done_on_time += n,
                    "late" => f.done_late += n,
                    "unreachable" => f.unreachable += n,
                    "open" => f.still_open += n,
                    _ => {}
                }
                let (due, done) = match *kind {
                    "first_follow_up" => (&mut f.first_follow_ups_due, &mut f.first_follow_ups_on_time),
                    "second_follow_up" => (&mut f.second_follow_ups_due, &mut f.second_follow_ups_on_time),
                    "campaign_call" => (&mut f.campaign_calls_due, &mut f.campaign_calls_on_time),
                    "campaign_letter" => (&mut f.campaign_letters_due, &mut f.campaign_letters_on_time),
                    _ => continue,
                };
                *due += n;
                if on_time {
                    *done += n;
                }
            }
            ["satisfaction", score] => {
                if let Ok(s @ 1..=5) = score.parse::<u8>() {
                    f.satisfaction_answers += n;
                    f.satisfaction_distribution[usize::from(s - 1)] += n;
                    score_sum += n * u64::from(s);
                }
            }
            ["letter"] => f.letters += n,
            ["message", purpose, status] => f.messages.add(purpose, status, n),
            _ => {}
        }
    }
    // Counts stay far below 2^52, so the division is exact enough for a mean.
    f.satisfaction_mean =
        (f.satisfaction_answers > 0).then(|| score_sum as f64 / f.satisfaction_answers as f64);
    f
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::model::follow_up::TaskId;
    use crate::model::summary::figures;
    use crate::value::{CustomerId, StoreCode};

    /// Applies the moves from `before` to `after` to the counters, as the repository does.
    fn fold(counters: &mut Vec<Tally>, before: &[Bucket], after: &[Bucket]) {
        for t in tallies(before, after) {
            match counters.iter_mut().find(|c| c.period == t.period && c.metric == t.metric) {
                Some(c) => c.delta += t.delta,
                None => counters.push(t),
            }
        }
    }

    fn task(kind: TaskKind, due_to: &str) -> FollowUpTask {
        let at = Utc.with_ymd_and_hms(2026, 11, 2, 2, 0, 0).single().unwrap_or_default();
        FollowUpTask {
            id: TaskId::generate(),
            store: StoreCode::parse("SH001").unwrap_or_else(|e| panic!("{e}")),
            kind,
            customer_id: CustomerId(uuid::Uuid::now_v7()),
            work_order_id: None,
            previous_task: None,
            campaign_id: None,
            assignee: None,
            not_by: vec![],
            due_from: due_to.parse().unwrap_or_default(),
            due_to: due_to.parse().unwrap_or_default(),
            status: TaskStatus::Open,
            topics_covered: vec![],
            subjects: vec![],
            closed_at: None,
            version: 1,
            created_at: at,
            updated_at: at,
        }
    }

    // HQ-2: a record counts in the month and the year of its store-local day; a move inside the
    // month moves no counter, across months two, across years four.
    #[test]
    fn a_record_counts_in_its_month_and_its_year() {
        let day = |s: &str| s.parse::<NaiveDate>().unwrap();
        let (nov, dec) = (Period::Month { year: 2026, month: 11 }, Period::Month { year: 2026, month: 12 });
        assert_eq!(periods_of(day("2026-11-30")), [nov, Period::Year(2026)]);
        let bucket = |d: &str| vec![(day(d), "work_order".to_string())];
        let tally = |period, delta| Tally { period, metric: "work_order".into(), delta };
        assert!(tallies(&bucket("2026-11-03"), &bucket("2026-11-30")).is_empty());
        let moved = tallies(&bucket("2026-11-30"), &bucket("2026-12-01"));
        assert_eq!(moved, vec![tally(nov, -1), tally(dec, 1)]);
        let moved = tallies(&bucket("2026-12-31"), &bucket("2027-01-01"));
        assert_eq!(moved.len(), 4);
        assert!(moved.contains(&tally(Period::Year(2026), -1)));
        assert!(moved.contains(&tally(Period::Year(2027), 1)));
    }

    // HQ-2: counters moved on every change sum to what a direct count over the records gives (FU-9).
    #[test]
    fn counters_kept_through_every_change_equal_a_direct_count() {
        let tz = chrono_tz::Asia::Shanghai;
        let mut counters: Vec<Tally> = Vec::new();
        let mut apply = |before: &[Bucket], after: &[Bucket]| fold(&mut counters, before, after);
        let mut tasks = vec![
            task(TaskKind::FirstFollowUp, "2026-11-09"),
            task(TaskKind::FirstFollowUp, "2026-11-09"),
            task(TaskKind::SecondFollowUp, "2026-11-20"),
            task(TaskKind::CampaignCall, "2026-11-15"),
        ];
        for t in &tasks {
            apply(&[], &task_buckets(t, tz));
        }
        // Done by the deadline's store-local midnight (15:59 UTC), done a day late, cancelled.
        let closes = [
            (0, TaskStatus::Done, Utc.with_ymd_and_hms(2026, 11, 9, 15, 59, 0)),
            (1, TaskStatus::Done, Utc.with_ymd_and_hms(2026, 11, 9, 16, 0, 0)),
            (3, TaskStatus::Cancelled, Utc.with_ymd_and_hms(2026, 11, 10, 1, 0, 0)),
        ];
        for (i, status, at) in closes {
            let before = task_buckets(&tasks[i], tz);
            tasks[i].status = status;
            tasks[i].closed_at = at.single();
            apply(&before, &task_buckets(&tasks[i], tz));
        }
        let of = |period: Period| -> Vec<(String, i64)> {
            counters.iter().filter(|c| c.period == period).map(|c| (c.metric.clone(), c.delta)).collect()
        };
        let counted = figures_from_counts(&of(Period::Month { year: 2026, month: 11 }), &[]);
        assert_eq!(counted, figures(&tasks, &[], &[], &[], tz));
        assert_eq!(figures_from_counts(&of(Period::Year(2026)), &[]), counted, "the year holds the month");
        assert_eq!((counted.first_follow_ups_due, counted.first_follow_ups_on_time), (2, 1));
        assert_eq!((counted.done_on_time, counted.done_late, counted.still_open), (1, 1, 1));
        assert_eq!((counted.campaign_calls_due, counted.tasks_due), (1, 4));
        assert!(counters.iter().all(|c| c.delta >= 0), "no counter goes negative: {counters:?}");
    }

    // Issue 13, HQ-2: a message counts once, on the day it was asked for, and moves with its
    // status: queued, then sent, then delivered counts one sent and one delivered; a suppressed
    // marketing message counts as such.
    #[test]
    fn a_message_moves_its_counter_from_queued_to_delivered() {
        use crate::model::message::{
            MessageChannel, MessageRequest, MessageStatus, OutboundMessage, known_template,
        };
        let tz = chrono_tz::Asia::Shanghai;
        let store = StoreCode::parse("SH001").unwrap_or_else(|e| panic!("{e}"));
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 17, 0, 0).single().unwrap_or_default(); // Dec 1st local
        let queue = |code: &'static str| {
            let template =
                known_template(code, &store, MessageChannel::Sms).unwrap_or_else(|| panic!("{code}"));
            let parameters = [("name", "张"), ("store", "店"), ("subject", "讲堂")]
                .into_iter()
                .filter(|(k, _)| template.text.contains(&format!("{{{k}}}")))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let request = MessageRequest {
                store: store.clone(),
                customer_id: CustomerId(uuid::Uuid::now_v7()),
                template: code,
                channels: vec![MessageChannel::Sms],
                parameters,
                source: None,
                not_before: None,
            };
            OutboundMessage::queue(&request, &template, at, at).unwrap_or_else(|e| panic!("{e}"))
        };
        let mut counters: Vec<Tally> = Vec::new();
        let mut apply = |before: &[Bucket], after: &[Bucket]| fold(&mut counters, before, after);
        let mut service = queue("follow_up_unreachable");
        apply(&[], &message_buckets(&service, tz));
        for status in [MessageStatus::Sent, MessageStatus::Delivered] {
            let before = message_buckets(&service, tz);
            service.status = status;
            apply(&before, &message_buckets(&service, tz));
        }
        let mut marketing = queue("letter_invitation");
        apply(&[], &message_buckets(&marketing, tz));
        let before = message_buckets(&marketing, tz);
        marketing.status = MessageStatus::Suppressed;
        apply(&before, &message_buckets(&marketing, tz));
        let month: Vec<(String, i64)> = counters
            .iter()
            .filter(|c| c.period == Period::Month { year: 2026, month: 12 })
            .map(|c| (c.metric.clone(), c.delta))
            .collect();
        let f = figures_from_counts(&month, &[]).messages;
        assert_eq!((f.service.queued, f.service.sent, f.service.delivered), (0, 1, 1));
        assert_eq!((f.marketing.suppressed, f.marketing.sent), (1, 0));
        assert!(counters.iter().all(|c| c.delta >= 0), "no counter goes negative: {counters:?}");
    }
}

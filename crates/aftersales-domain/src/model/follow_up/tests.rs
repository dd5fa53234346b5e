//! Unit tests of the follow-up rules.

use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

// FU-10: whichever comes first, the date or the projected mileage.
#[test]
fn the_maintenance_reminder_falls_on_the_earlier_of_date_and_projected_mileage() {
    let today = d("2026-11-27");
    // 36,500 km over 365 days is 100 km a day: 5,000 km more takes 50 days.
    let projected = projected_mileage_day(Some(d("2025-11-27")), today, 36_500, 41_500);
    assert_eq!(projected, Some(d("2027-01-16")));
    assert_eq!(
        maintenance_reminder_window(Some(d("2027-05-27")), projected, today, 7),
        Some((d("2027-01-09"), d("2027-01-16"))),
        "the mileage comes first"
    );
    // A car that hardly moves: the date comes first.
    let slow = projected_mileage_day(Some(d("2025-11-27")), today, 1_000, 6_000);
    assert_eq!(
        maintenance_reminder_window(Some(d("2027-05-27")), slow, today, 7),
        Some((d("2027-05-20"), d("2027-05-27")))
    );
    // Already past due: remind from tomorrow.
    assert_eq!(
        maintenance_reminder_window(Some(d("2026-10-01")), None, today, 7),
        Some((d("2026-11-28"), d("2026-11-28")))
    );
    assert_eq!(projected_mileage_day(None, today, 10_000, 15_000), None, "no history to project from");
    assert_eq!(maintenance_reminder_window(None, None, today, 7), None);
}

// FU-10: declined work comes up again a month after delivery.
#[test]
fn declined_work_is_brought_up_a_month_later() {
    let sla = SlaSettings::default();
    assert_eq!(declined_reminder_window(d("2026-11-27"), &sla), (d("2026-12-27"), d("2027-01-03")));
    assert_eq!(lapsing_window(d("2027-01-16"), &sla), (d("2027-02-15"), d("2027-02-22")), "lapsing");
}
use crate::auth::Role;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn complaint(opened: &str) -> Complaint {
    Complaint {
        id: ComplaintId::generate(),
        store: StoreCode::parse("SH001").unwrap(),
        customer_id: CustomerId(uuid::Uuid::now_v7()),
        contact_id: None,
        work_order_id: None,
        summary: "刹车仍有异响".into(),
        status: ComplaintStatus::Open,
        opened_at: opened.parse().unwrap(),
        escalates_at: None,
        escalated_at: None,
        solution: None,
        resolved_at: None,
        customer_notified_at: None,
        notice_breach: false,
        return_visit_task: None,
        history: vec![],
        version: 1,
    }
}

// FU-6: unresolved within 2 store-local days escalates; day 2 is still in time.
#[test]
fn a_complaint_escalates_once_two_store_days_have_passed() {
    let tz = chrono_tz::Asia::Shanghai;
    let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    let c = complaint("2026-11-27T15:30:00Z"); // 23:30 on the 27th in Shanghai
    assert_eq!(escalation_instant(c.opened_at, tz, 2), Some(at("2026-11-29T16:00:00Z")), "00:00 on the 30th");
    assert!(!c.escalation_due(at("2026-11-29T15:59:59Z"), tz, 2), "the 29th is still in time");
    assert!(c.escalation_due(at("2026-11-29T16:00:00Z"), tz, 2));
    let berlin = chrono_tz::Europe::Berlin; // 16:30 on the 27th in Berlin
    assert!(!c.escalation_due(at("2026-11-29T20:00:00Z"), berlin, 2));
    assert_eq!(escalation_instant(c.opened_at, berlin, 2), Some(at("2026-11-29T23:00:00Z")));
}

// FU-6: told on the day of the solution is in time; the next store day is a breach.
#[test]
fn telling_the_customer_after_the_day_of_the_solution_is_a_breach() {
    let tz = chrono_tz::Asia::Shanghai;
    let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    let mut same_day = complaint("2026-11-27T02:00:00Z");
    same_day.resolve("更换刹车片", "sup", at("2026-11-27T03:00:00Z")).unwrap();
    same_day.notify_customer(tz, "sup", at("2026-11-27T15:59:59Z")).unwrap();
    assert!(!same_day.notice_breach);
    let mut late = complaint("2026-11-27T02:00:00Z");
    late.resolve("更换刹车片", "sup", at("2026-11-27T03:00:00Z")).unwrap();
    late.notify_customer(tz, "sup", at("2026-11-27T16:00:00Z")).unwrap();
    assert!(late.notice_breach);
    assert!(late.close(TaskId::generate(), "sup", at("2026-11-28T01:00:00Z")).is_ok());
    let mut early = complaint("2026-11-27T02:00:00Z");
    assert!(early.close(TaskId::generate(), "sup", at("2026-11-28T01:00:00Z")).is_err());
    assert_eq!(early.status, ComplaintStatus::Open);
}

// FU-5: attempts over 5 days, never reached.
#[test]
fn a_task_closes_unreachable_only_after_attempts_over_five_days() {
    let days = |list: &[&str]| list.iter().map(|d| day(d)).collect::<Vec<_>>();
    assert!(check_unreachable(&days(&["2026-11-30", "2026-12-04"]), false, 5).is_err(), "4 days apart");
    assert!(check_unreachable(&days(&["2026-11-30", "2026-12-02", "2026-12-05"]), false, 5).is_ok());
    assert!(check_unreachable(&days(&["2026-11-30", "2026-12-05"]), true, 5).is_err(), "reached");
    assert!(check_unreachable(&[], false, 5).is_err());
}

// FU-7: at least 14 days before the event; day 14 itself is still in time.
#[test]
fn campaign_calls_end_fourteen_days_before_the_event() {
    assert_eq!(
        campaign_call_window(day("2026-11-27"), day("2026-12-11"), 14).unwrap(),
        (day("2026-11-27"), day("2026-11-27"))
    );
    let late = campaign_call_window(day("2026-11-27"), day("2026-12-10"), 14).unwrap_err();
    assert_eq!(late.field_errors()[0].field, "event_date");
    assert_eq!(campaign_letter_window(day("2026-11-30"), 2), (day("2026-11-30"), day("2026-12-02")));
}

// FU-1: day 3 to day 7, across a month end.
#[test]
fn the_first_follow_up_is_due_from_day_3_to_day_7() {
    let sla = SlaSettings::default();
    assert_eq!(first_window(day("2026-11-27"), &sla), (day("2026-11-30"), day("2026-12-04")));
    assert_eq!(first_window(day("2026-02-26"), &sla), (day("2026-03-01"), day("2026-03-05")));
}

// FU-2: day 7 to day 14 after the first was done, across a year end.
#[test]
fn the_second_follow_up_is_due_from_day_7_to_day_14() {
    let sla = SlaSettings::default();
    assert_eq!(second_window(day("2026-12-25"), &sla), (day("2027-01-01"), day("2027-01-08")));
}

fn agent(id: &str, active: bool) -> StaffMember {
    StaffMember {
        store: StoreCode::parse("SH001").unwrap(),
        id: id.into(),
        name: id.into(),
        roles: vec![Role::FollowupAgent],
        active,
        version: 1,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

// FU-3
#[test]
fn the_agent_is_never_the_advisor_and_the_least_loaded_wins() {
    let staff = vec![agent("fu-1", true), agent("fu-2", true), agent("fu-3", false)];
    let load = |id: &str| if id == "fu-1" { 3 } else { 1 };
    assert_eq!(choose_agent(&staff, &[], load).unwrap().id, "fu-2");
    assert_eq!(choose_agent(&staff, &["fu-2".into()], load).unwrap().id, "fu-1", "never the advisor");
    assert!(choose_agent(&staff[2..], &[], load).is_none(), "inactive agents get no work");
}

// FU-5: calls only inside call hours, in the store's time zone.
#[test]
fn the_next_call_time_falls_inside_the_call_hours() {
    let hours = crate::model::store::default_call_hours();
    let tz = chrono_tz::Asia::Shanghai;
    let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
    // 08:00 local -> 09:00 local; 10:30 -> now; 12:30 -> 14:00; 21:00 -> next day 09:00.
    assert_eq!(next_call_time(at("2026-11-27T00:00:00Z"), tz, &hours), Some(at("2026-11-27T01:00:00Z")));
    assert_eq!(next_call_time(at("2026-11-27T02:30:00Z"), tz, &hours), Some(at("2026-11-27T02:30:00Z")));
    assert_eq!(next_call_time(at("2026-11-27T04:30:00Z"), tz, &hours), Some(at("2026-11-27T06:00:00Z")));
    assert_eq!(next_call_time(at("2026-11-27T13:00:00Z"), tz, &hours), Some(at("2026-11-28T01:00:00Z")));
    let berlin = chrono_tz::Europe::Berlin;
    assert_eq!(next_call_time(at("2026-11-27T07:00:00Z"), berlin, &hours), Some(at("2026-11-27T08:00:00Z")));
}

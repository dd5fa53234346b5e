use chrono::{DateTime, Duration, NaiveDate, Utc};
use chrono_tz::Asia::Shanghai;
use proptest::prelude::*;

use super::*;

fn capacity(general: u32, body: u32, advisors: usize) -> Capacity {
    let service =
        |code: &str, minutes, bay| ServiceType { code: code.into(), name: code.into(), minutes, bay };
    Capacity {
        bays: [(BayKind::General, general), (BayKind::BodyPaint, body)].into_iter().collect(),
        advisors: (0..advisors).map(|i| format!("adv-{i}")).collect(),
        services: vec![
            service("maintenance", 60, BayKind::General),
            service("diagnosis", 30, BayKind::General),
            service("body", 120, BayKind::BodyPaint),
        ],
        ..Capacity::default()
    }
}

/// Monday 2026-12-07 in Shanghai; "now" is the Friday before, so the lead time never bites.
const DAY: &str = "2026-12-07";
fn now() -> DateTime<Utc> {
    "2026-12-04T01:00:00Z".parse().unwrap_or_default()
}
fn local(hhmm: &str) -> DateTime<Utc> {
    format!("{DAY}T{hhmm}:00+08:00")
        .parse::<DateTime<chrono::FixedOffset>>()
        .map(|t| t.to_utc())
        .unwrap_or_default()
}
fn day() -> NaiveDate {
    DAY.parse().unwrap_or_default()
}
fn codes(c: &[&str]) -> Vec<String> {
    c.iter().map(|s| (*s).to_string()).collect()
}

// AP-2
#[test]
fn the_free_starts_fit_the_hours_the_grid_and_the_duration() {
    let cap = capacity(2, 0, 1);
    let need = need(&cap, &codes(&["maintenance"])).unwrap_or(Need { bay: BayKind::General, minutes: 0 });
    let starts = free_starts(&cap, Shanghai, now(), need, day(), day(), &[]);
    // 08:00 to 17:00 (the last that ends by 18:00) every 15 minutes.
    assert_eq!(starts.len(), 37);
    assert_eq!((starts.first(), starts.last()), (Some(&local("08:00")), Some(&local("17:00"))));
    // Sunday is closed, and so is a closed date.
    let sunday: NaiveDate = "2026-12-06".parse().unwrap_or_default();
    assert!(free_starts(&cap, Shanghai, now(), need, sunday, sunday, &[]).is_empty());
    let mut holiday = cap.clone();
    holiday.closed_dates.insert(day());
    assert!(free_starts(&holiday, Shanghai, now(), need, day(), day(), &[]).is_empty());
    // Nothing sooner than the lead time, nothing beyond the window.
    let at_nine: DateTime<Utc> = local("09:00");
    let soon = free_starts(&cap, Shanghai, at_nine, need, day(), day(), &[]);
    assert_eq!(soon.first(), Some(&local("11:00")));
    let far = day() + Duration::days(31);
    assert!(free_starts(&cap, Shanghai, now(), need, far, far, &[]).is_empty());
}

// AP-1, AP-2: two general bays and one advisor.
#[test]
fn availability_shrinks_by_exactly_what_the_bookings_take() {
    let cap = capacity(2, 0, 1);
    let maintenance =
        need(&cap, &codes(&["maintenance"])).unwrap_or(Need { bay: BayKind::General, minutes: 0 });
    let before = free_starts(&cap, Shanghai, now(), maintenance, day(), day(), &[]);
    // One booking at 10:00: the advisor is busy receiving it at 10:00, a bay is still free.
    let one = [Occupied { start: local("10:00"), end: local("11:00"), bay: BayKind::General, advisor: None }];
    let after = free_starts(&cap, Shanghai, now(), maintenance, day(), day(), &one);
    assert_eq!(before.len() - after.len(), 1);
    assert!(!after.contains(&local("10:00")) && after.contains(&local("10:15")));
    // A second one at 10:15 fills both bays from 10:15 to 11:00.
    let two = [
        one[0].clone(),
        Occupied { start: local("10:15"), end: local("11:15"), bay: BayKind::General, advisor: None },
    ];
    let after_two = free_starts(&cap, Shanghai, now(), maintenance, day(), day(), &two);
    for blocked in ["09:30", "10:00", "10:15", "10:45"] {
        assert!(!after_two.contains(&local(blocked)), "{blocked}");
    }
    assert!(after_two.contains(&local("09:00")) && after_two.contains(&local("11:00")));
    assert_eq!(check_start(&cap, Shanghai, now(), maintenance, local("10:30"), &two), Err(Refusal::Taken));
    assert_eq!(
        check_start(&cap, Shanghai, now(), maintenance, local("10:07"), &[]),
        Err(Refusal::NotOffered)
    );
}

// AP-1: a body-paint booking never takes a general bay, and the other way round.
#[test]
fn a_booking_takes_only_a_bay_of_the_kind_its_services_need() {
    let no_body_bay = capacity(2, 0, 2);
    let body = need(&no_body_bay, &codes(&["body"])).unwrap_or(Need { bay: BayKind::General, minutes: 0 });
    assert_eq!(body.bay, BayKind::BodyPaint);
    assert!(free_starts(&no_body_bay, Shanghai, now(), body, day(), day(), &[]).is_empty());

    let cap = capacity(1, 1, 2);
    let general = need(&cap, &codes(&["maintenance", "diagnosis"]))
        .unwrap_or(Need { bay: BayKind::BodyPaint, minutes: 0 });
    assert_eq!((general.bay, general.minutes), (BayKind::General, 90));
    let painting =
        [Occupied { start: local("10:00"), end: local("12:00"), bay: BayKind::BodyPaint, advisor: None }];
    assert!(check_start(&cap, Shanghai, now(), general, local("10:15"), &painting).is_ok());
    assert_eq!(check_start(&cap, Shanghai, now(), body, local("11:00"), &painting), Err(Refusal::Taken));
    // Services that need different bays are booked separately; unknown ones are named.
    let mixed = need(&cap, &codes(&["maintenance", "body"])).err();
    assert_eq!(mixed.as_ref().map(|e| e.field_errors()[0].field.as_str()), Some("service_types[1]"));
    assert!(need(&cap, &codes(&["wash"])).is_err() && need(&cap, &[]).is_err());
}

fn visitor() -> Visitor {
    Visitor {
        customer_id: None,
        new_customer: None,
        vehicle_id: None,
        plate: None,
        vin: None,
        fault_description: "异响".into(),
    }
}

fn booking(cap: &Capacity, start: &str, hold: bool) -> Booking {
    Booking {
        need: need(cap, &codes(&["maintenance"])).unwrap_or(Need { bay: BayKind::General, minutes: 60 }),
        services: codes(&["maintenance"]),
        start: local(start),
        channel: Channel::App,
        hold_minutes: hold.then_some(cap.hold_minutes),
        visitor: (!hold).then(visitor),
        advisor: "adv-0".into(),
    }
}

fn booked(cap: &Capacity, start: &str) -> Appointment {
    Appointment::new(booking(cap, start, false), now()).unwrap_or_else(|e| panic!("{e}"))
}

// AP-3, AP-4
#[test]
fn a_hold_lapses_and_frees_its_place_and_a_lapsed_hold_cannot_be_booked() {
    let cap = capacity(1, 0, 1);
    let mut held = Appointment::new(booking(&cap, "10:00", true), now()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(held.visitor, None, "a hold may not know who is coming yet");
    let mut nobody = booking(&cap, "10:00", false);
    nobody.visitor = None;
    assert!(Appointment::new(nobody, now()).is_err(), "a booking does");
    assert_eq!(held.status, AppointmentStatus::Held);
    assert!(held.occupies(now() + Duration::minutes(9)));
    assert!(!held.occupies(now() + Duration::minutes(10)), "the hold lapses after 10 minutes");
    let lapsed = held.clone();
    let mut late = held.clone();
    assert_eq!(
        late.book(Some(visitor()), now() + Duration::minutes(10)).err().map(|e| e.code()),
        Some("appointment.hold_expired".into())
    );
    assert_eq!(late, lapsed, "a refused move changes nothing");
    assert!(held.clone().book(None, now() + Duration::minutes(5)).is_err(), "confirmed without a visitor");
    assert!(held.book(Some(visitor()), now() + Duration::minutes(5)).is_ok());
    assert_eq!((held.status, held.hold_expires_at, held.history.len()), (AppointmentStatus::Booked, None, 2));
}

// AP-4
#[test]
fn cancelling_keeps_to_the_cut_off_for_customers_and_needs_a_reason_from_the_store() {
    let cap = capacity(1, 0, 1);
    let mut a = booked(&cap, "10:00");
    let after_cutoff = local("08:01");
    let code = |r: crate::Result<()>| r.err().map(|e| e.code());
    assert_eq!(
        code(a.clone().cancel(CancelledBy::Customer, None, &cap, after_cutoff)),
        Some("appointment.past_cutoff".into())
    );
    assert_eq!(
        code(a.clone().cancel(CancelledBy::Store, Some(" ".into()), &cap, after_cutoff)),
        Some("invalid_argument".into())
    );
    assert!(
        a.clone().cancel(CancelledBy::Customer, None, &cap, local("08:00")).is_ok(),
        "at the cut-off still"
    );
    assert!(a.cancel(CancelledBy::Store, Some("举升机故障".into()), &cap, after_cutoff).is_ok());
    assert_eq!((a.status, a.cancelled_by), (AppointmentStatus::Cancelled, Some(CancelledBy::Store)));
    assert!(!a.occupies(now()));
}

// AP-4: every move outside the diagram is refused and changes nothing.
#[test]
fn only_the_moves_of_the_state_diagram_are_allowed() {
    let cap = capacity(1, 0, 1);
    let mut a = booked(&cap, "10:00");
    assert!(!a.no_show_due(&cap, local("10:29")) && a.no_show_due(&cap, local("10:30")));
    assert!(a.clone().mark_no_show(&cap, local("10:29")).is_err());
    assert!(a.reschedule(local("11:00"), "adv-0".into(), now()).is_ok());
    assert_eq!((a.status, a.start, a.history.len()), (AppointmentStatus::Booked, local("11:00"), 2));
    let order = crate::model::work_order::WorkOrderId::generate();
    assert!(a.check_in(order, local("10:55")).is_ok());
    assert_eq!(a.work_order_id, Some(order));
    let done = a.clone();
    for refused in [
        a.book(Some(visitor()), local("11:00")),
        a.reschedule(local("12:00"), "adv-0".into(), local("11:00")),
        a.cancel(CancelledBy::Store, Some("x".into()), &cap, local("11:00")),
        a.check_in(order, local("11:00")),
        a.mark_no_show(&cap, local("12:00")),
    ] {
        assert_eq!(refused.err().map(|e| e.code()), Some("appointment.invalid_transition".into()));
    }
    assert_eq!(a, done);
    let mut absent = booked(&cap, "10:00");
    assert!(absent.mark_no_show(&cap, local("10:30")).is_ok());
    assert!(absent.check_in(order, local("10:31")).is_err());
}

#[test]
fn a_capacity_names_each_bad_field() {
    let mut cap = capacity(1, 0, 1);
    cap.granularity_minutes = 7;
    cap.services[0].minutes = 0;
    cap.services.push(cap.services[1].clone());
    let fields: Vec<String> = cap
        .validate()
        .err()
        .map(|e| e.field_errors().iter().map(|f| f.field.clone()).collect())
        .unwrap_or_default();
    for field in ["granularity_minutes", "services[0].minutes", "services[3].code"] {
        assert!(fields.iter().any(|f| f == field), "{field}: {fields:?}");
    }
    assert!(capacity(2, 1, 1).validate().is_ok());
}

proptest! {
    // AP-3: bookings made only where `check_start` allows them never put more cars in a kind's
    // bays at any minute than there are bays, nor more arrivals in one step than advisors;
    // and the starts offered are exactly those `check_start` accepts.
    #[test]
    fn capacity_is_never_given_twice(
        general in 0u32..4, body in 0u32..3, advisors in 0usize..3,
        attempts in proptest::collection::vec((0usize..3, 0i64..40), 0..40),
    ) {
        let cap = capacity(general, body, advisors);
        let kinds = [codes(&["maintenance"]), codes(&["diagnosis"]), codes(&["body"])];
        let mut taken: Vec<Occupied> = Vec::new();
        for (kind, slot) in attempts {
            let n = need(&cap, &kinds[kind]).unwrap_or(Need { bay: BayKind::General, minutes: 60 });
            let start = local("08:00") + Duration::minutes(slot * 15);
            if let Ok(free) = check_start(&cap, Shanghai, now(), n, start, &taken) {
                let advisor = free.first().map(|a| (*a).to_string());
                prop_assert!(advisor.is_some(), "a start is only free with an advisor free");
                taken.push(Occupied { start, end: start + Duration::minutes(i64::from(n.minutes)), bay: n.bay, advisor });
            }
        }
        for minute in 0..(10 * 60) {
            let t = local("08:00") + Duration::minutes(minute);
            for (kind, bays) in [(BayKind::General, general), (BayKind::BodyPaint, body)] {
                let in_use = taken.iter().filter(|o| o.bay == kind && o.start <= t && t < o.end).count();
                prop_assert!(in_use <= bays as usize, "{in_use} cars in {bays} {kind:?} bays at {t}");
            }
            let arriving = taken.iter().filter(|o| o.start <= t && t < o.start + Duration::minutes(15)).count();
            prop_assert!(arriving <= advisors, "{arriving} arrivals for {advisors} advisors at {t}");
            for name in &cap.advisors {
                let theirs = taken
                    .iter()
                    .filter(|o| o.advisor.as_ref() == Some(name) && o.start <= t && t < o.start + Duration::minutes(15))
                    .count();
                prop_assert!(theirs <= 1, "{name} receives {theirs} arrivals at {t}");
            }
        }
        // The starts offered are exactly those `check_start` accepts against every booking: the
        // search that looks only at the bookings near each start misses none.
        for kind in &kinds {
            let n = need(&cap, kind).unwrap_or(Need { bay: BayKind::General, minutes: 60 });
            let offered = free_starts(&cap, Shanghai, now(), n, day(), day(), &taken);
            let every: Vec<_> = (0..40)
                .map(|slot| local("08:00") + Duration::minutes(slot * 15))
                .filter(|start| check_start(&cap, Shanghai, now(), n, *start, &taken).is_ok())
                .collect();
            prop_assert_eq!(offered, every);
        }
    }
}

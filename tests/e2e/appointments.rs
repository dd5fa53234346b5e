//! Appointments (AP-1..AP-3) through the application services on the real database, both
//! backends: capacity, availability computed from the bookings, and the capacity lock. The
//! REST and gRPC fronts come next (issue 12); these tests drive the same services they will call.

use std::collections::{BTreeMap, BTreeSet};

use aftersales_domain::app::BookAppointment;
use aftersales_domain::auth::{Principal, Role, StoreAccess};
use aftersales_domain::model::appointment::{BayKind, Capacity, Channel, ServiceType};
use aftersales_domain::value::StoreCode;
use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::common::{TestApp, TestClock};

const MONDAY: &str = "2026-12-07";

fn at(hhmm: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(&format!("{MONDAY}T{hhmm}:00+08:00")).unwrap().to_utc()
}

fn monday() -> NaiveDate {
    MONDAY.parse().unwrap()
}

fn who(store: &str, role: Role) -> Principal {
    Principal {
        sub: format!("{}-1", role.as_str()),
        name: String::new(),
        roles: BTreeSet::from([role]),
        stores: StoreAccess::Only(BTreeSet::from([StoreCode::parse(store).unwrap()])),
    }
}

fn capacity(general: u32, body: u32, advisors: usize) -> Capacity {
    let service =
        |code: &str, minutes, bay| ServiceType { code: code.into(), name: code.into(), minutes, bay };
    Capacity {
        bays: BTreeMap::from([(BayKind::General, general), (BayKind::BodyPaint, body)]),
        advisors: (0..advisors).map(|i| format!("adv-{i}")).collect(),
        services: vec![
            service("maintenance", 60, BayKind::General),
            service("body", 120, BayKind::BodyPaint),
        ],
        ..Capacity::default()
    }
}

async fn setup(cap: Capacity) -> (TestApp, StoreCode) {
    // Friday before: the lead time and the window never bite on Monday.
    let app = TestApp::spawn_at(TestClock::at("2026-12-04T01:00:00Z")).await;
    let store = StoreCode::parse(&app.seed_store("SH001").await).unwrap();
    let supervisor = who(store.as_str(), Role::Supervisor);
    app.services().appointments.set_capacity(&supervisor, &store, cap).await.unwrap();
    (app, store)
}

fn book(services: &[&str], start: DateTime<Utc>) -> BookAppointment {
    BookAppointment {
        service_types: services.iter().map(|s| (*s).to_string()).collect(),
        start,
        channel: Channel::App,
        hold: false,
    }
}

// AP-1, AP-2: two general bays and one advisor; a body-paint booking never takes a general bay.
#[tokio::test]
async fn availability_shrinks_by_exactly_the_bookings_and_keeps_bay_kinds_apart() {
    let (app, store) = setup(capacity(2, 1, 1)).await;
    let advisor = who(store.as_str(), Role::Advisor);
    let svc = &app.services().appointments;
    let free = |services: &'static [&'static str]| {
        let (advisor, store) = (advisor.clone(), store.clone());
        let codes: Vec<String> = services.iter().map(|s| (*s).to_string()).collect();
        async move { svc.availability(&advisor, &store, monday(), monday(), &codes).await.unwrap() }
    };
    let before = free(&["maintenance"]).await;
    assert_eq!(before.len(), 37, "08:00 to 17:00 every 15 minutes");
    svc.book(&advisor, &store, book(&["maintenance"], at("10:00"))).await.unwrap();
    let after = free(&["maintenance"]).await;
    assert_eq!(before.len() - after.len(), 1, "the advisor receives one arrival at 10:00");
    assert!(!after.contains(&at("10:00")));

    // Body and paint has its own bay: booking it leaves the general starts as they were.
    let body_before = free(&["body"]).await;
    svc.book(&advisor, &store, book(&["body"], at("13:00"))).await.unwrap();
    let general_after = free(&["maintenance"]).await;
    assert_eq!(general_after.len(), after.len() - 1, "only the 13:00 arrival is gone");
    let body_after = free(&["body"]).await;
    assert!(body_after.len() < body_before.len() && !body_after.contains(&at("12:00")));
    assert!(body_after.contains(&at("15:00")), "the body bay is free again from 15:00");

    // A start the store does not offer, and an unknown service, are refused by name.
    let odd = svc.book(&advisor, &store, book(&["maintenance"], at("10:07"))).await.unwrap_err();
    assert_eq!(odd.code(), "appointment.not_offered");
    let unknown = svc.book(&advisor, &store, book(&["wash"], at("11:00"))).await.unwrap_err();
    assert_eq!(unknown.field_errors()[0].field, "service_types[0]");
}

// AP-3: 30 concurrent bookings of the last free place: exactly one wins.
#[tokio::test]
async fn thirty_concurrent_bookings_of_the_last_place_end_with_exactly_one() {
    let (app, store) = setup(capacity(2, 0, 2)).await;
    let advisor = who(store.as_str(), Role::Advisor);
    let svc = app.services().appointments.clone();
    svc.book(&advisor, &store, book(&["maintenance"], at("10:00"))).await.unwrap();
    let attempts: Vec<_> = (0..30)
        .map(|_| {
            let (svc, advisor, store) = (svc.clone(), advisor.clone(), store.clone());
            tokio::spawn(async move { svc.book(&advisor, &store, book(&["maintenance"], at("10:00"))).await })
        })
        .collect();
    let mut won = 0;
    let mut codes = Vec::new();
    for attempt in attempts {
        match attempt.await.unwrap() {
            Ok(_) => won += 1,
            Err(e) => codes.push(e.code()),
        }
    }
    assert_eq!(won, 1, "{codes:?}");
    assert_eq!(codes.len(), 29);
    assert!(codes.iter().all(|c| c == "appointment.slot_taken"), "{codes:?}");
    let free =
        svc.availability(&advisor, &store, monday(), monday(), &["maintenance".to_string()]).await.unwrap();
    assert!(!free.contains(&at("10:00")) && !free.contains(&at("10:30")));
}

// AP-3: a hold keeps its place for ten minutes, then frees it.
#[tokio::test]
async fn a_hold_keeps_its_place_until_it_lapses() {
    let clock = TestClock::at("2026-12-04T01:00:00Z");
    let app = TestApp::spawn_at(clock.clone()).await;
    let store = StoreCode::parse(&app.seed_store("SH001").await).unwrap();
    let svc = &app.services().appointments;
    svc.set_capacity(&who(store.as_str(), Role::Supervisor), &store, capacity(1, 0, 1)).await.unwrap();
    let app_backend = who(store.as_str(), Role::Integration);
    let mut held = book(&["maintenance"], at("09:00"));
    held.hold = true;
    let hold = svc.book(&app_backend, &store, held).await.unwrap();
    assert_eq!(hold.hold_expires_at, Some("2026-12-04T01:10:00Z".parse().unwrap()));
    let second = svc.book(&app_backend, &store, book(&["maintenance"], at("09:00"))).await.unwrap_err();
    assert_eq!(second.code(), "appointment.slot_taken");
    clock.set("2026-12-04T01:10:00Z");
    svc.book(&app_backend, &store, book(&["maintenance"], at("09:00"))).await.unwrap();
}

// AP-1: only supervisors and admins keep the capacity; a bad one names its field; another
// store's capacity is not found; technicians cannot read availability.
#[tokio::test]
async fn capacity_is_kept_by_supervisors_and_checked_field_by_field() {
    let (app, store) = setup(capacity(1, 0, 1)).await;
    let svc = &app.services().appointments;
    let advisor = who(store.as_str(), Role::Advisor);
    let refused = svc.set_capacity(&advisor, &store, capacity(3, 0, 1)).await.unwrap_err();
    assert_eq!(refused.code(), "permission_denied");
    let mut bad = capacity(1, 0, 1);
    bad.granularity_minutes = 7;
    let invalid = svc.set_capacity(&who(store.as_str(), Role::Supervisor), &store, bad).await.unwrap_err();
    assert_eq!(invalid.field_errors()[0].field, "granularity_minutes");
    assert_eq!(svc.capacity(&advisor, &store).await.unwrap(), capacity(1, 0, 1));
    let other = StoreCode::parse("BJ001").unwrap();
    assert_eq!(svc.capacity(&advisor, &other).await.unwrap_err().code(), "store.not_found");
    let technician = who(store.as_str(), Role::Technician);
    let codes = ["maintenance".to_string()];
    let denied = svc.availability(&technician, &store, monday(), monday(), &codes).await.unwrap_err();
    assert_eq!(denied.code(), "permission_denied");
    let too_long = svc.availability(&advisor, &store, monday(), monday() + Duration::days(31), &codes).await;
    assert_eq!(too_long.unwrap_err().field_errors()[0].field, "to");
}

// AP-4 and AP-5 through the services: reschedule under the lock, cancel around the cut-off,
// check-in, the no-show job, stale versions, and the advisor's day.
#[tokio::test]
async fn each_move_of_an_appointment_keeps_to_ap_4() {
    use aftersales_domain::model::appointment::{AppointmentStatus, CancelledBy};
    let clock = TestClock::at("2026-12-04T01:00:00Z");
    let app = TestApp::spawn_at(clock.clone()).await;
    let store = StoreCode::parse(&app.seed_store("SH001").await).unwrap();
    let svc = &app.services().appointments;
    svc.set_capacity(&who(store.as_str(), Role::Supervisor), &store, capacity(1, 0, 1)).await.unwrap();
    let advisor = who(store.as_str(), Role::Advisor);
    let first = svc.book(&advisor, &store, book(&["maintenance"], at("10:00"))).await.unwrap();
    let second = svc.book(&advisor, &store, book(&["maintenance"], at("14:00"))).await.unwrap();

    // Moving onto a taken place is refused and changes nothing; onto a free one frees the old.
    let clash = svc.reschedule(&advisor, &store, first.id, Some(1), at("14:30")).await.unwrap_err();
    assert_eq!(clash.code(), "appointment.slot_taken");
    assert_eq!(svc.get(&advisor, &store, first.id).await.unwrap(), first);
    let moved = svc.reschedule(&advisor, &store, first.id, Some(1), at("11:00")).await.unwrap();
    assert_eq!((moved.start, moved.version, moved.history.len()), (at("11:00"), 2, 2));
    let stale = svc.reschedule(&advisor, &store, first.id, Some(1), at("12:00")).await.unwrap_err();
    assert_eq!(stale.code(), "etag_mismatch");
    let codes = ["maintenance".to_string()];
    let free = svc.availability(&advisor, &store, monday(), monday(), &codes).await.unwrap();
    assert!(free.contains(&at("10:00")) && !free.contains(&at("11:30")));

    // The advisor's day lists both arrivals by time.
    let day = svc.day(&advisor, &store, monday()).await.unwrap();
    assert_eq!(day.iter().map(|a| a.start).collect::<Vec<_>>(), vec![at("11:00"), at("14:00")]);

    // Cancelling: the customer until the cut-off (2 h), the store with a reason.
    clock.set(&at("12:01").to_rfc3339());
    let late = svc.cancel(&advisor, &store, second.id, None, CancelledBy::Customer, None).await.unwrap_err();
    assert_eq!(late.code(), "appointment.past_cutoff");
    let cancelled = svc
        .cancel(&advisor, &store, second.id, None, CancelledBy::Store, Some("技师请假".into()))
        .await
        .unwrap();
    assert_eq!(cancelled.status, AppointmentStatus::Cancelled);

    // The first car arrives late but within the grace time; a new one never does.
    let third = {
        clock.set("2026-12-04T01:00:00Z");
        svc.book(&advisor, &store, book(&["maintenance"], at("15:00"))).await.unwrap()
    };
    clock.set(&at("11:20").to_rfc3339());
    assert_eq!(
        svc.check_in(&advisor, &store, first.id, None).await.unwrap().status,
        AppointmentStatus::CheckedIn
    );
    clock.set(&at("15:29").to_rfc3339());
    assert_eq!(svc.mark_no_shows().await.unwrap(), 0, "still within the grace time");
    clock.set(&at("15:30").to_rfc3339());
    assert_eq!(svc.mark_no_shows().await.unwrap(), 1);
    assert_eq!(svc.mark_no_shows().await.unwrap(), 0, "once");
    assert_eq!(svc.get(&advisor, &store, third.id).await.unwrap().status, AppointmentStatus::NoShow);
    let again = svc.check_in(&advisor, &store, third.id, None).await.unwrap_err();
    assert_eq!(again.code(), "appointment.invalid_transition");

    // Each step reached the integrations' feed with the appointment's etag (EV-1).
    let dms = app.token("dms-1", &["integration"], &[store.as_str()]);
    let feed = crate::events::whole_feed(&app, store.as_str(), &dms).await;
    let steps = |id: &str| -> Vec<String> {
        feed.iter()
            .filter(|e| e["resource"]["type"] == "appointment" && e["resource"]["id"] == id)
            .map(|e| e["type"].as_str().unwrap().trim_start_matches("appointment.").to_string())
            .collect()
    };
    assert_eq!(steps(&first.id.to_string()), ["booked", "rescheduled", "checked_in"]);
    assert_eq!(steps(&second.id.to_string()), ["booked", "cancelled"]);
    assert_eq!(steps(&third.id.to_string()), ["booked", "no_show"]);
    let no_show = feed.iter().find(|e| e["type"] == "appointment.no_show").unwrap();
    assert_eq!(
        (no_show["actor"].as_str(), no_show["resource"]["etag"].as_str()),
        (Some("system"), Some("v2"))
    );
    assert_eq!(no_show["data"]["bay"], "general");

    // Another store's appointment is not found.
    let other = who("BJ001", Role::Advisor);
    let hidden = svc.get(&other, &StoreCode::parse("BJ001").unwrap(), first.id).await.unwrap_err();
    assert_eq!(hidden.code(), "appointment.not_found");
}

// AP-5: the reminder is due from the store-local day before the visit, once.
#[tokio::test]
async fn the_day_before_the_visit_a_reminder_is_due_once() {
    let clock = TestClock::at("2026-12-04T01:00:00Z");
    let app = TestApp::spawn_at(clock.clone()).await;
    let store = StoreCode::parse(&app.seed_store("SH001").await).unwrap();
    let svc = &app.services().appointments;
    svc.set_capacity(&who(store.as_str(), Role::Supervisor), &store, capacity(1, 0, 1)).await.unwrap();
    let advisor = who(store.as_str(), Role::Advisor);
    let visit = svc.book(&advisor, &store, book(&["maintenance"], at("10:00"))).await.unwrap();
    assert_eq!(svc.send_reminders().await.unwrap(), 0, "Friday: not yet");
    clock.set("2026-12-05T15:59:59Z"); // 23:59:59 on Saturday in Shanghai
    assert_eq!(svc.send_reminders().await.unwrap(), 0, "still two days ahead");
    clock.set("2026-12-05T16:00:00Z"); // Sunday begins in Shanghai
    assert_eq!(svc.send_reminders().await.unwrap(), 1);
    assert_eq!(svc.send_reminders().await.unwrap(), 0, "once");
    let reminded = svc.get(&advisor, &store, visit.id).await.unwrap();
    assert_eq!(reminded.reminded_at, Some("2026-12-05T16:00:00Z".parse().unwrap()));
    let dms = app.token("dms-1", &["integration"], &[store.as_str()]);
    let feed = crate::events::whole_feed(&app, store.as_str(), &dms).await;
    let reminder = feed.iter().find(|e| e["type"] == "appointment.reminder_due").expect("the reminder event");
    assert_eq!(reminder["resource"]["id"], visit.id.to_string());
    assert_eq!(reminder["data"]["start"], serde_json::json!(at("10:00")));
}

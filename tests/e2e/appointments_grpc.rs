//! The appointment journey over gRPC `AppointmentService` (AP-1..AP-4), against the same server
//! and rules as `appointments.rs` over REST: capacity, availability, hold, confirm, reschedule,
//! cancel around the cut-off, check-in opening the work order, retries, and the refusals with
//! the same reason codes as REST's problem `code`.

use aftersales_grpc::AppointmentServiceClient;
use aftersales_grpc::pb;
use serde_json::json;

use crate::appointments::{FRIDAY, MONDAY, at, customer_with_car, setup};
use crate::common::{TestClock, authed, status_details};

fn ts(rfc3339: &str) -> Option<prost_types::Timestamp> {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap();
    Some(prost_types::Timestamp { seconds: t.timestamp(), nanos: 0 })
}

fn visitor(customer: &str) -> Option<pb::Visitor> {
    Some(pb::Visitor {
        customer_id: Some(customer.into()),
        fault_description: "刹车异响".into(),
        ..Default::default()
    })
}

// AP-1..AP-4 over gRPC; each answer and refusal as REST gives it (parity).
#[tokio::test]
async fn the_appointment_journey_over_grpc_matches_rest() {
    let clock = TestClock::at(FRIDAY);
    let capacity = json!({
        "bays": {"general": 1},
        "advisors": ["adv-0"],
        "services": [{"code": "maintenance", "name": "常规保养", "minutes": 60, "bay": "general"}],
    });
    let app = setup(clock.clone(), capacity).await;
    let (customer, car) = customer_with_car(&app).await;
    let adv = app.advisor("SH001");
    let sup = app.supervisor("SH001");
    let mut client = AppointmentServiceClient::new(app.grpc_channel.clone());

    // The capacity reads back as REST set it; a bad one names its field.
    let read = client
        .get_capacity(authed(&adv, pb::GetCapacityRequest { store: "SH001".into() }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (read.week.len(), read.advisors.clone(), read.granularity_minutes),
        (7, vec!["adv-0".to_string()], 15)
    );
    assert_eq!(read.week[0].open_time, "08:00");
    let mut bad = read.clone();
    bad.hold_minutes = 0;
    let refused = client
        .set_capacity(authed(&sup, pb::SetCapacityRequest { store: "SH001".into(), capacity: Some(bad) }))
        .await
        .unwrap_err();
    assert_eq!(status_details(&refused).1, vec!["hold_minutes"]);
    let mut twice = read.clone();
    twice.closed_dates = vec!["2026-12-25".into(), "2026-12-25".into()];
    let refused = client
        .set_capacity(authed(&sup, pb::SetCapacityRequest { store: "SH001".into(), capacity: Some(twice) }))
        .await
        .unwrap_err();
    assert_eq!(status_details(&refused).1, vec!["closed_dates"], "as on REST");
    let denied = client
        .set_capacity(authed(
            &adv,
            pb::SetCapacityRequest { store: "SH001".into(), capacity: Some(read.clone()) },
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    let same = client
        .set_capacity(authed(
            &sup,
            pb::SetCapacityRequest { store: "SH001".into(), capacity: Some(read.clone()) },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(same, read, "what is read back is what is written");

    // Availability equals REST's.
    let free = |client: &mut AppointmentServiceClient<_>| {
        let req = pb::GetAvailabilityRequest {
            store: "SH001".into(),
            from: MONDAY.into(),
            to: MONDAY.into(),
            service_types: vec!["maintenance".into()],
        };
        let adv = adv.clone();
        let mut client = client.clone();
        async move { client.get_availability(authed(&adv, req)).await.unwrap().into_inner().starts.len() }
    };
    let rest = app
        .get(
            &format!("/v1/stores/SH001/availability?from={MONDAY}&to={MONDAY}&service_types=maintenance"),
            &adv,
        )
        .await;
    assert_eq!(free(&mut client).await, rest.body["starts"].as_array().unwrap().len());

    // Hold, then confirm with the visitor; a retry of the booking under one request_id books once.
    let hold = pb::BookAppointmentRequest {
        store: "SH001".into(),
        service_types: vec!["maintenance".into()],
        start: ts(&at("10:00")),
        channel: pb::BookingChannel::App.into(),
        hold: true,
        visitor: None,
        request_id: "hold-1".into(),
    };
    let held = client.book_appointment(authed(&adv, hold.clone())).await.unwrap().into_inner();
    let again = client.book_appointment(authed(&adv, hold.clone())).await.unwrap().into_inner();
    assert_eq!(held, again);
    assert_eq!(held.status(), pb::AppointmentStatus::Held);
    let taken = client
        .book_appointment(authed(
            &adv,
            pb::BookAppointmentRequest {
                hold: false,
                visitor: visitor(&customer),
                request_id: String::new(),
                ..hold.clone()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (taken.code(), status_details(&taken).0.as_str()),
        (tonic::Code::FailedPrecondition, "appointment.slot_taken")
    );
    let confirmed = client
        .confirm_appointment(authed(
            &adv,
            pb::ConfirmAppointmentRequest {
                store: "SH001".into(),
                appointment_id: held.id.clone(),
                etag: held.etag.clone(),
                request_id: String::new(),
                visitor: visitor(&customer),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((confirmed.status(), confirmed.etag.as_str()), (pb::AppointmentStatus::Booked, "v2"));
    assert_eq!(
        confirmed.visitor.as_ref().and_then(|v| v.vehicle_id.clone()),
        Some(car.clone()),
        "the file's only car"
    );
    let rest_view = app.get(&format!("/v1/stores/SH001/appointments/{}", held.id), &adv).await.body;
    assert_eq!(rest_view["etag"], "v2");
    assert_eq!(rest_view["visitor"]["vehicle_id"], car);

    // Reschedule with a stale etag: ABORTED as REST's 412; with the current one: moved.
    let move_to = |etag: &str, start: &str| pb::RescheduleAppointmentRequest {
        store: "SH001".into(),
        appointment_id: held.id.clone(),
        etag: etag.into(),
        request_id: String::new(),
        start: ts(start),
    };
    let stale = client.reschedule_appointment(authed(&adv, move_to("v1", &at("11:00")))).await.unwrap_err();
    assert_eq!(stale.code(), tonic::Code::Aborted);
    let moved =
        client.reschedule_appointment(authed(&adv, move_to("v2", &at("11:00")))).await.unwrap().into_inner();
    assert_eq!((moved.start, moved.history.len()), (ts(&at("11:00")), 3));

    // Cancel past the cut-off as the customer: refused as on REST.
    clock.set(&at("09:30"));
    let cancel = pb::CancelAppointmentRequest {
        store: "SH001".into(),
        appointment_id: held.id.clone(),
        by: pb::CancelledBy::Customer.into(),
        ..Default::default()
    };
    let late = client.cancel_appointment(authed(&adv, cancel)).await.unwrap_err();
    assert_eq!(status_details(&late).0, "appointment.past_cutoff");

    // Check-in opens the order; the day lists it with the order linked.
    clock.set(&at("11:05"));
    let checked = client
        .check_in_appointment(authed(
            &adv,
            pb::CheckInAppointmentRequest {
                store: "SH001".into(),
                appointment_id: held.id.clone(),
                intake_mileage_km: 12600,
                repair_category: pb::RepairCategory::MinorRepair.into(),
                promised_at: ts(&at("17:00")),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(checked.status(), pb::AppointmentStatus::CheckedIn);
    let order = checked.work_order_id.clone().unwrap();
    let day = client
        .list_arrivals(authed(
            &adv,
            pb::ListArrivalsRequest { store: "SH001".into(), date: MONDAY.into(), ..Default::default() },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(day.appointments, vec![checked.clone()]);
    let rest_order = app.get(&format!("/v1/stores/SH001/work-orders/{order}"), &adv).await.body;
    assert_eq!(rest_order["appointment_id"], held.id);

    // Another store's token finds nothing of this store, on every method (GEN-1).
    let other = app.token("nosy", &["advisor", "supervisor", "admin"], &["BJ001"]);
    let (s, id) = (String::from("SH001"), held.id.clone());
    let t = other.as_str();
    let answers = [
        (
            "GetCapacity",
            client.get_capacity(authed(t, pb::GetCapacityRequest { store: s.clone() })).await.err(),
        ),
        (
            "SetCapacity",
            client
                .set_capacity(authed(t, pb::SetCapacityRequest { store: s.clone(), ..Default::default() }))
                .await
                .err(),
        ),
        (
            "GetAvailability",
            client
                .get_availability(authed(
                    t,
                    pb::GetAvailabilityRequest {
                        store: s.clone(),
                        from: MONDAY.into(),
                        to: MONDAY.into(),
                        service_types: vec!["maintenance".into()],
                    },
                ))
                .await
                .err(),
        ),
        (
            "GetAppointment",
            client
                .get_appointment(authed(
                    t,
                    pb::GetAppointmentRequest { store: s.clone(), appointment_id: id.clone() },
                ))
                .await
                .err(),
        ),
        (
            "ListArrivals",
            client
                .list_arrivals(authed(
                    t,
                    pb::ListArrivalsRequest { store: s.clone(), date: MONDAY.into(), ..Default::default() },
                ))
                .await
                .err(),
        ),
        (
            "ConfirmAppointment",
            client
                .confirm_appointment(authed(
                    t,
                    pb::ConfirmAppointmentRequest {
                        store: s.clone(),
                        appointment_id: id.clone(),
                        ..Default::default()
                    },
                ))
                .await
                .err(),
        ),
        (
            "CancelAppointment",
            client
                .cancel_appointment(authed(
                    t,
                    pb::CancelAppointmentRequest {
                        store: s.clone(),
                        appointment_id: id.clone(),
                        by: pb::CancelledBy::Customer.into(),
                        ..Default::default()
                    },
                ))
                .await
                .err(),
        ),
    ];
    for (method, status) in answers {
        let status = status.unwrap_or_else(|| panic!("{method} answered another store's data"));
        assert_eq!(status.code(), tonic::Code::NotFound, "{method}: {status:?}");
    }
}

// AP-3, AP-4 over gRPC: a lapsed hold cannot be confirmed, a customer cancels before the cut-off,
// and the no-show the job marks reads the same on both fronts.
#[tokio::test]
async fn holds_lapse_cancellations_and_no_shows_over_grpc_match_rest() {
    let clock = TestClock::at(FRIDAY);
    let capacity = json!({
        "bays": {"general": 2},
        "advisors": ["adv-0", "adv-1"],
        "services": [{"code": "maintenance", "name": "常规保养", "minutes": 60, "bay": "general"}],
    });
    let app = setup(clock.clone(), capacity).await;
    let (customer, _) = customer_with_car(&app).await;
    let adv = app.advisor("SH001");
    let mut client = AppointmentServiceClient::new(app.grpc_channel.clone());
    let book = |start: &str, hold: bool| pb::BookAppointmentRequest {
        store: "SH001".into(),
        service_types: vec!["maintenance".into()],
        start: ts(&at(start)),
        channel: pb::BookingChannel::Phone.into(),
        hold,
        visitor: (!hold).then(|| visitor(&customer)).flatten(),
        request_id: String::new(),
    };
    let held = client.book_appointment(authed(&adv, book("09:00", true))).await.unwrap().into_inner();
    clock.set("2026-12-04T01:11:00Z");
    let lapsed = client
        .confirm_appointment(authed(
            &adv,
            pb::ConfirmAppointmentRequest {
                store: "SH001".into(),
                appointment_id: held.id.clone(),
                etag: held.etag.clone(),
                request_id: String::new(),
                visitor: visitor(&customer),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(status_details(&lapsed).0, "appointment.hold_expired");

    let kept = client.book_appointment(authed(&adv, book("10:00", false))).await.unwrap().into_inner();
    let missed = client.book_appointment(authed(&adv, book("11:00", false))).await.unwrap().into_inner();
    let cancelled = client
        .cancel_appointment(authed(
            &adv,
            pb::CancelAppointmentRequest {
                store: "SH001".into(),
                appointment_id: kept.id.clone(),
                etag: kept.etag.clone(),
                by: pb::CancelledBy::Customer.into(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (cancelled.status(), cancelled.cancelled_by()),
        (pb::AppointmentStatus::Cancelled, pb::CancelledBy::Customer)
    );

    clock.set(&at("11:30"));
    assert_eq!(app.services().appointments.mark_no_shows().await.unwrap(), 1);
    let read = client
        .get_appointment(authed(
            &adv,
            pb::GetAppointmentRequest { store: "SH001".into(), appointment_id: missed.id.clone() },
        ))
        .await
        .unwrap()
        .into_inner();
    let rest = app.get(&format!("/v1/stores/SH001/appointments/{}", missed.id), &adv).await.body;
    assert_eq!((read.status(), rest["status"].as_str()), (pb::AppointmentStatus::NoShow, Some("no_show")));
    assert_eq!(read.etag, rest["etag"].as_str().unwrap());
}

//! Appointments (AP-1..AP-5) from outside, over REST, on both databases: capacity, availability
//! computed from the bookings, the capacity lock under 30 concurrent bookings, every step of
//! AP-4 with its refusals, retries, the advisor's day, check-in opening the work order, and the
//! no-show and reminder jobs. `appointments_grpc.rs` runs the same journey over gRPC.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{TestApp, TestClock};

pub const MONDAY: &str = "2026-12-07";
/// Friday before Monday, 09:00 in Shanghai: the lead time and the window never bite on Monday.
pub const FRIDAY: &str = "2026-12-04T01:00:00Z";

/// A Monday wall time in Shanghai, as RFC 3339 UTC.
pub fn at(hhmm: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(&format!("{MONDAY}T{hhmm}:00+08:00"))
        .unwrap()
        .to_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) fn capacity(general: u32, body: u32, advisors: usize) -> Value {
    json!({
        "bays": {"general": general, "body_paint": body},
        "advisors": (0..advisors).map(|i| format!("adv-{i}")).collect::<Vec<_>>(),
        "services": [
            {"code": "maintenance", "name": "常规保养", "minutes": 60, "bay": "general"},
            {"code": "body", "name": "钣金喷漆", "minutes": 120, "bay": "body_paint"},
        ],
    })
}

/// A store with `advisors` advisors on its staff list and `capacity` set; answers the app.
pub async fn setup(clock: std::sync::Arc<TestClock>, capacity: Value) -> TestApp {
    setup_with(clock, capacity, |_| {}).await
}

/// Like [`setup`], with the configuration adjusted first.
pub async fn setup_with(
    clock: std::sync::Arc<TestClock>,
    capacity: Value,
    adjust: impl FnOnce(&mut aftersales_server::config::Config),
) -> TestApp {
    let app = TestApp::spawn_at_with(clock, adjust).await;
    let store = app.seed_store("SH001").await;
    let sup = app.supervisor(&store);
    for advisor in capacity["advisors"].as_array().unwrap() {
        let staff = json!({"id": advisor, "name": "顾问", "roles": ["advisor"]});
        let added = app.post(&format!("/v1/stores/{store}/staff"), &sup, staff).await;
        assert_eq!(added.status, StatusCode::CREATED, "{:?}", added.body);
    }
    let put = app.send(Method::PUT, "/v1/stores/SH001/capacity", Some(&sup), Some(capacity), &[]).await;
    assert_eq!(put.status, StatusCode::OK, "{:?}", put.body);
    app
}

/// A known customer with a car; answers (customer id, vehicle id).
pub async fn customer_with_car(app: &TestApp) -> (String, String) {
    let customer = app.seed_customer("SH001", "王小明", "13800138000").await;
    let id = customer["id"].as_str().unwrap().to_string();
    let car = app.seed_vehicle("SH001", &id, crate::common::VINS[0], "沪A12345").await;
    (id, car["id"].as_str().unwrap().to_string())
}

pub(crate) fn visit(services: &[&str], start: &str, customer: &str) -> Value {
    json!({
        "service_types": services,
        "start": start,
        "channel": "app",
        "visitor": {"customer_id": customer, "fault_description": "刹车异响"},
    })
}

async fn free(app: &TestApp, token: &str, services: &str) -> Vec<String> {
    let path = format!("/v1/stores/SH001/availability?from={MONDAY}&to={MONDAY}&service_types={services}");
    let res = app.get(&path, token).await;
    assert_eq!(res.status, StatusCode::OK, "{:?}", res.body);
    res.body["starts"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

pub(crate) async fn book(app: &TestApp, token: &str, body: Value) -> crate::common::Answer {
    app.post("/v1/stores/SH001/appointments", token, body).await
}

// AP-1, AP-2: two general bays and one advisor; a body-paint booking never takes a general bay.
#[tokio::test]
async fn availability_shrinks_by_exactly_the_bookings_and_keeps_bay_kinds_apart() {
    let app = setup(TestClock::at(FRIDAY), capacity(2, 1, 1)).await;
    let (customer, _) = customer_with_car(&app).await;
    let adv = app.advisor("SH001");
    let before = free(&app, &adv, "maintenance").await;
    assert_eq!(before.len(), 37, "08:00 to 17:00 every 15 minutes");
    let first = book(&app, &adv, visit(&["maintenance"], &at("10:00"), &customer)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    assert_eq!(
        (first.body["status"].as_str(), first.body["advisor"].as_str()),
        (Some("booked"), Some("adv-0"))
    );
    let after = free(&app, &adv, "maintenance").await;
    assert_eq!(before.len() - after.len(), 1, "the advisor receives one arrival at 10:00");
    assert!(!after.contains(&at("10:00")));

    // Body and paint has its own bay: booking it leaves the general bays as they were.
    let body_before = free(&app, &adv, "body").await;
    let body = book(&app, &adv, visit(&["body"], &at("13:00"), &customer)).await;
    assert_eq!((body.status, body.body["bay"].as_str()), (StatusCode::CREATED, Some("body_paint")));
    let general_after = free(&app, &adv, "maintenance").await;
    assert_eq!(general_after.len(), after.len() - 1, "only the 13:00 arrival is gone");
    let body_after = free(&app, &adv, "body").await;
    assert!(body_after.len() < body_before.len() && !body_after.contains(&at("12:00")));
    assert!(body_after.contains(&at("15:00")), "the body bay is free again from 15:00");

    // Refusals name their reason or field and change nothing.
    let odd = book(&app, &adv, visit(&["maintenance"], &at("10:07"), &customer)).await;
    assert_eq!((odd.status, odd.code()), (StatusCode::CONFLICT, "appointment.not_offered"));
    let unknown = book(&app, &adv, visit(&["wash"], &at("11:00"), &customer)).await;
    assert_eq!(unknown.fields(), vec!["service_types[0]"]);
    let nobody =
        book(&app, &adv, json!({"service_types": ["maintenance"], "start": at("11:00"), "channel": "app"}))
            .await;
    assert_eq!(nobody.fields(), vec!["visitor"]);
    let both = json!({"service_types": ["maintenance"], "start": at("11:00"), "channel": "phone",
        "visitor": {"customer_id": customer, "new_customer": {"name": "李", "phone": "13900139000"}, "fault_description": "x"}});
    assert_eq!(book(&app, &adv, both).await.fields(), vec!["visitor.customer_id"]);
    let bad_phone = json!({"service_types": ["maintenance"], "start": at("11:00"), "channel": "phone",
        "visitor": {"new_customer": {"name": "李", "phone": "12345"}, "fault_description": "x"}});
    assert_eq!(book(&app, &adv, bad_phone).await.fields(), vec!["visitor.new_customer.phone"]);
    assert_eq!(free(&app, &adv, "maintenance").await, general_after);
}

// AP-3: 30 concurrent bookings of the last free place: exactly one wins, 29 answer 409.
#[tokio::test]
async fn thirty_concurrent_bookings_of_the_last_place_end_with_exactly_one() {
    let app = setup(TestClock::at(FRIDAY), capacity(2, 0, 2)).await;
    let (customer, _) = customer_with_car(&app).await;
    let adv = app.advisor("SH001");
    let first = book(&app, &adv, visit(&["maintenance"], &at("10:00"), &customer)).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let attempts: Vec<_> = (0..30)
        .map(|_| {
            let (http, url) = (app.http.clone(), format!("{}/v1/stores/SH001/appointments", app.base));
            let (adv, body) = (adv.clone(), visit(&["maintenance"], &at("10:00"), &customer));
            tokio::spawn(async move {
                let res = http.post(url).bearer_auth(adv).json(&body).send().await.unwrap();
                let status = res.status();
                (status, res.json::<Value>().await.unwrap())
            })
        })
        .collect();
    let mut won = 0;
    let mut refused = Vec::new();
    for attempt in attempts {
        let (status, body) = attempt.await.unwrap();
        match status {
            StatusCode::CREATED => won += 1,
            status => refused.push((status, body["code"].as_str().unwrap_or_default().to_string())),
        }
    }
    assert_eq!(won, 1, "{refused:?}");
    assert_eq!(refused.len(), 29);
    assert!(
        refused.iter().all(|(s, c)| *s == StatusCode::CONFLICT && c == "appointment.slot_taken"),
        "{refused:?}"
    );
    let left = free(&app, &adv, "maintenance").await;
    assert!(!left.contains(&at("10:00")) && !left.contains(&at("10:30")));
    let day = app.get(&format!("/v1/stores/SH001/appointments?date={MONDAY}"), &adv).await;
    let advisors: Vec<_> =
        day.body["appointments"].as_array().unwrap().iter().map(|a| a["advisor"].clone()).collect();
    assert_eq!(advisors, vec![json!("adv-0"), json!("adv-1")], "each arrival has its own advisor");
}

// AP-3, GEN-2: a hold keeps its place for ten minutes, then frees it; a retried booking never
// books twice; a confirmed hold is booked with who is coming.
#[tokio::test]
async fn holds_lapse_and_retried_bookings_book_once() {
    let clock = TestClock::at(FRIDAY);
    let app = setup(clock.clone(), capacity(1, 0, 1)).await;
    let (customer, _) = customer_with_car(&app).await;
    let backend = app.token("app-backend", &["integration"], &["SH001"]);
    let hold =
        json!({"service_types": ["maintenance"], "start": at("09:00"), "channel": "app", "hold": true});
    let held = book(&app, &backend, hold.clone()).await;
    assert_eq!(held.status, StatusCode::CREATED, "{:?}", held.body);
    assert_eq!(
        (held.body["status"].as_str(), held.body["hold_expires_at"].as_str()),
        (Some("held"), Some("2026-12-04T01:10:00Z"))
    );
    let second = book(&app, &backend, visit(&["maintenance"], &at("09:00"), &customer)).await;
    assert_eq!(second.code(), "appointment.slot_taken");
    let id = held.body["id"].as_str().unwrap();
    let confirm = format!("/v1/stores/SH001/appointments/{id}/confirm");
    let no_visitor = app.post(&confirm, &backend, json!({})).await;
    assert_eq!(no_visitor.fields(), vec!["customer_id"]);
    clock.set("2026-12-04T01:10:00Z");
    let late = app
        .post(&confirm, &backend, json!({"visitor": {"customer_id": customer, "fault_description": "保养"}}))
        .await;
    assert_eq!((late.status, late.code()), (StatusCode::CONFLICT, "appointment.hold_expired"));

    // The place is free again; a retried booking under one key books it once.
    let key = [("Idempotency-Key", "book-0900-1")];
    let body = visit(&["maintenance"], &at("09:00"), &customer);
    let once = app
        .send(Method::POST, "/v1/stores/SH001/appointments", Some(&backend), Some(body.clone()), &key)
        .await;
    let twice =
        app.send(Method::POST, "/v1/stores/SH001/appointments", Some(&backend), Some(body), &key).await;
    assert_eq!((once.status, twice.status), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(once.body, twice.body);
    let other =
        app.send(Method::POST, "/v1/stores/SH001/appointments", Some(&backend), Some(hold), &key).await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    let day = app.get(&format!("/v1/stores/SH001/appointments?date={MONDAY}"), &backend).await;
    let states: Vec<_> =
        day.body["appointments"].as_array().unwrap().iter().map(|a| a["status"].clone()).collect();
    assert_eq!(states, vec![json!("held"), json!("booked")], "the lapsed hold and one booking");
}

// AP-4, AP-5, WO-1: reschedule under the lock, cancel around the cut-off, check-in opening the
// work order, the no-show job, stale etags, the advisor's day, and the events of each step.
#[tokio::test]
async fn each_move_of_an_appointment_keeps_to_ap_4() {
    let clock = TestClock::at(FRIDAY);
    let app = setup(clock.clone(), capacity(1, 0, 1)).await;
    let (customer, car) = customer_with_car(&app).await;
    let adv = app.advisor("SH001");
    let first = book(&app, &adv, visit(&["maintenance"], &at("10:00"), &customer)).await.body;
    let second = book(&app, &adv, visit(&["maintenance"], &at("14:00"), &customer)).await.body;
    let path =
        |a: &Value, step: &str| format!("/v1/stores/SH001/appointments/{}/{step}", a["id"].as_str().unwrap());
    let pinned = |etag: &str| [("If-Match", format!("\"{etag}\""))];
    let post = |p: String, body: Value, headers: Vec<(&'static str, String)>| {
        let app = &app;
        let adv = adv.clone();
        async move {
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.send(Method::POST, &p, Some(&adv), Some(body), &h).await
        }
    };

    // Onto a taken place: refused, nothing changed; onto a free one: moved, the old one freed.
    let clash = post(path(&first, "reschedule"), json!({"start": at("14:30")}), pinned("v1").to_vec()).await;
    assert_eq!((clash.status, clash.code()), (StatusCode::CONFLICT, "appointment.slot_taken"));
    let unchanged =
        app.get(&format!("/v1/stores/SH001/appointments/{}", first["id"].as_str().unwrap()), &adv).await;
    assert_eq!(unchanged.body, first);
    let moved = post(path(&first, "reschedule"), json!({"start": at("11:00")}), pinned("v1").to_vec()).await;
    assert_eq!(moved.status, StatusCode::OK, "{:?}", moved.body);
    assert_eq!(
        (moved.body["start"].as_str(), moved.body["etag"].as_str()),
        (Some(at("11:00").as_str()), Some("v2"))
    );
    assert_eq!(moved.headers["etag"], "\"v2\"");
    let stale = post(path(&first, "reschedule"), json!({"start": at("12:00")}), pinned("v1").to_vec()).await;
    assert_eq!(stale.status, StatusCode::PRECONDITION_FAILED);
    let left = free(&app, &adv, "maintenance").await;
    assert!(left.contains(&at("10:00")) && !left.contains(&at("11:30")));

    // The advisor's day, by time, for the store and for its advisor; paged.
    let day = app
        .get(&format!("/v1/stores/SH001/appointments?date={MONDAY}&advisor=adv-0&page_size=1"), &adv)
        .await;
    assert_eq!(day.body["appointments"][0]["start"].as_str(), Some(at("11:00").as_str()));
    let token = day.body["next_page_token"].as_str().unwrap();
    let next =
        app.get(&format!("/v1/stores/SH001/appointments?date={MONDAY}&page_token={token}"), &adv).await;
    assert_eq!(next.body["appointments"][0]["start"].as_str(), Some(at("14:00").as_str()));
    assert_eq!(next.body["next_page_token"], "");
    let nobody = app.get(&format!("/v1/stores/SH001/appointments?date={MONDAY}&advisor=adv-9"), &adv).await;
    assert_eq!(nobody.body["appointments"], json!([]));

    // Cancelling: the customer until the cut-off (2 h), the store with a reason.
    clock.set(&at("12:01"));
    let late = post(path(&second, "cancel"), json!({"by": "customer"}), vec![]).await;
    assert_eq!((late.status, late.code()), (StatusCode::CONFLICT, "appointment.past_cutoff"));
    let no_reason = post(path(&second, "cancel"), json!({"by": "store"}), vec![]).await;
    assert_eq!(no_reason.fields(), vec!["reason"]);
    let cancelled = post(path(&second, "cancel"), json!({"by": "store", "reason": "技师请假"}), vec![]).await;
    assert_eq!(
        (cancelled.body["status"].as_str(), cancelled.body["cancelled_by"].as_str()),
        (Some("cancelled"), Some("store"))
    );

    // The first car arrives within the grace time: check-in opens its work order, linked.
    clock.set(FRIDAY);
    let third = book(&app, &adv, visit(&["maintenance"], &at("15:00"), &customer)).await.body;
    clock.set(&at("11:20"));
    let check_in =
        json!({"intake_mileage_km": 12500, "repair_category": "minor_repair", "promised_at": at("17:00")});
    let checked =
        post(path(&first, "check-in"), check_in.clone(), vec![("Idempotency-Key", "ci-1".into())]).await;
    assert_eq!(checked.status, StatusCode::OK, "{:?}", checked.body);
    let again =
        post(path(&first, "check-in"), check_in.clone(), vec![("Idempotency-Key", "ci-1".into())]).await;
    assert_eq!(again.body, checked.body, "a retried check-in opens no second order");
    assert_eq!(checked.body["status"], "checked_in");
    let order_id = checked.body["work_order_id"].as_str().unwrap();
    let order = app.get(&format!("/v1/stores/SH001/work-orders/{order_id}"), &adv).await.body;
    assert_eq!(order["appointment_id"], first["id"]);
    assert_eq!(
        (order["vehicle_id"].as_str(), order["intake_mileage_km"].as_i64()),
        (Some(car.as_str()), Some(12500))
    );
    assert!(order["fault_description"].as_str().unwrap().starts_with("刹车异响"));
    assert!(order["number"].as_str().unwrap().starts_with("SH001-2026-"));
    let orders = app.get("/v1/stores/SH001/work-orders", &adv).await;
    assert_eq!(orders.body["work_orders"].as_array().unwrap().len(), 1);

    // Not checked in by the grace time: the job marks a no-show, once; then nothing moves it.
    clock.set(&at("15:29"));
    assert_eq!(app.services().appointments.mark_no_shows().await.unwrap(), 0, "still within the grace time");
    clock.set(&at("15:30"));
    assert_eq!(app.services().appointments.mark_no_shows().await.unwrap(), 1);
    assert_eq!(app.services().appointments.mark_no_shows().await.unwrap(), 0, "once");
    let refused = post(path(&third, "check-in"), check_in, vec![]).await;
    assert_eq!((refused.status, refused.code()), (StatusCode::CONFLICT, "appointment.invalid_transition"));

    // AP-6: headquarters counts them on their visit day, on both fronts, with no personal data.
    let hq = app.token("hq-1", &["hq_analyst"], &["*"]);
    let figures = app.get("/v1/analytics/follow-up?period=2026-12&stores=SH001", &hq).await;
    assert_eq!(figures.status, StatusCode::OK, "{:?}", figures.body);
    let seen = &figures.body["stores"][0]["appointments"];
    assert_eq!(
        [
            &seen["booked"],
            &seen["kept"],
            &seen["cancelled"],
            &seen["no_show"],
            &seen["work_orders_from_booking"]
        ],
        [3, 1, 1, 1, 1].map(|n| json!(n)).each_ref()
    );
    assert_eq!(seen["booking_share_of_work_orders"], 1.0);
    let no_show_rate = seen["no_show_rate"].as_f64().unwrap();
    assert!((no_show_rate - 1.0 / 3.0).abs() < 1e-9, "{seen}");
    // Booked Friday 09:00 for Monday 11:00 (moved), 14:00 and 15:00: 74, 77 and 78 hours ahead.
    let lead = seen["average_lead_hours"].as_f64().unwrap();
    assert!((lead - (74.0 + 77.0 + 78.0) / 3.0).abs() < 0.02, "{seen}");
    let mut analytics = aftersales_grpc::AnalyticsServiceClient::new(app.grpc_channel.clone());
    let over_grpc = analytics
        .get_follow_up_figures(crate::common::authed(
            &hq,
            aftersales_grpc::pb::GetFollowUpFiguresRequest {
                period: "2026-12".into(),
                stores: vec!["SH001".into()],
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let grpc = over_grpc.stores[0].appointments.unwrap();
    assert_eq!((grpc.booked, grpc.kept, grpc.cancelled, grpc.no_show), (3, 1, 1, 1));
    assert_eq!(grpc.average_lead_hours, Some(lead));

    // Each step reached the integrations' feed with the appointment's etag (EV-1), and the trail.
    let dms = app.token("dms-1", &["integration"], &["SH001"]);
    let feed = crate::events::whole_feed(&app, "SH001", &dms).await;
    let steps = |a: &Value| -> Vec<String> {
        feed.iter()
            .filter(|e| e["resource"]["type"] == "appointment" && e["resource"]["id"] == a["id"])
            .map(|e| e["type"].as_str().unwrap().trim_start_matches("appointment.").to_string())
            .collect()
    };
    assert_eq!(steps(&first), ["booked", "rescheduled", "checked_in"]);
    assert_eq!(steps(&second), ["booked", "cancelled"]);
    assert_eq!(steps(&third), ["booked", "no_show"]);
    let no_show = feed.iter().find(|e| e["type"] == "appointment.no_show").unwrap();
    assert_eq!(
        (no_show["actor"].as_str(), no_show["resource"]["etag"].as_str()),
        (Some("system"), Some("v2"))
    );
    assert!(feed.iter().any(|e| e["type"] == "work_order.created"));
    let trail =
        app.get("/v1/stores/SH001/audit-events?resource_type=appointment", &app.supervisor("SH001")).await;
    let actions: Vec<_> = trail.body["audit_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_string())
        .collect();
    for action in [
        "appointment.book",
        "appointment.reschedule",
        "appointment.cancel",
        "appointment.check_in",
        "appointment.no_show",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action} in {actions:?}");
    }
}

// AP-3, AP-4: a new customer books by name and phone; check-in wants their file first.
#[tokio::test]
async fn a_new_customer_books_by_name_and_phone_and_is_filed_at_check_in() {
    let clock = TestClock::at(FRIDAY);
    let app = setup(clock.clone(), capacity(1, 0, 1)).await;
    let adv = app.advisor("SH001");
    let body = json!({"service_types": ["maintenance"], "start": at("10:00"), "channel": "phone",
        "visitor": {"new_customer": {"name": "李四", "phone": "139 0013 9000"}, "plate": "沪B 67890", "fault_description": "空调不凉"}});
    let booked = book(&app, &adv, body).await;
    assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.body);
    assert_eq!(booked.body["visitor"]["new_customer"]["phone"], "13900139000");
    assert_eq!(booked.body["visitor"]["plate"], "沪B67890");
    clock.set(&at("10:05"));
    let path = format!("/v1/stores/SH001/appointments/{}/check-in", booked.body["id"].as_str().unwrap());
    let check_in = json!({"intake_mileage_km": 30000, "repair_category": "level1_maintenance", "promised_at": at("16:00")});
    let unfiled = app.post(&path, &adv, check_in.clone()).await;
    assert_eq!(unfiled.fields(), vec!["customer_id"]);
    let (customer, car) = customer_with_car(&app).await;
    let mut filed = check_in;
    filed["customer_id"] = json!(customer);
    filed["vehicle_id"] = json!(car);
    let checked = app.post(&path, &adv, filed).await;
    assert_eq!(checked.status, StatusCode::OK, "{:?}", checked.body);
    assert!(checked.body["work_order_id"].is_string());
}

// AP-1: only supervisors and admins keep the capacity, checked field by field; another store's
// is not found; technicians cannot read availability; a range is at most 31 days.
#[tokio::test]
async fn capacity_is_kept_by_supervisors_and_checked_field_by_field() {
    let app = setup(TestClock::at(FRIDAY), capacity(1, 0, 1)).await;
    let adv = app.advisor("SH001");
    let sup = app.supervisor("SH001");
    let put = |token: &str, body: Value| {
        let (app, token) = (&app, token.to_string());
        async move { app.send(Method::PUT, "/v1/stores/SH001/capacity", Some(&token), Some(body), &[]).await }
    };
    assert_eq!(put(&adv, capacity(3, 0, 1)).await.status, StatusCode::FORBIDDEN);
    let mut bad = capacity(1, 0, 1);
    bad["granularity_minutes"] = json!(7);
    assert_eq!(put(&sup, bad).await.fields(), vec!["granularity_minutes"]);
    let mut twice = capacity(1, 0, 1);
    twice["closed_dates"] = json!(["2026-12-25", "2026-12-25"]);
    assert_eq!(put(&sup, twice).await.fields(), vec!["closed_dates"]);
    let stranger = capacity(1, 0, 3);
    assert_eq!(put(&sup, stranger).await.fields(), vec!["advisors[1]", "advisors[2]"]);
    let read = app.get("/v1/stores/SH001/capacity", &adv).await;
    assert_eq!(
        (read.body["bays"]["general"].as_u64(), read.body["granularity_minutes"].as_u64()),
        (Some(1), Some(15))
    );
    let other = app.get("/v1/stores/BJ001/capacity", &app.advisor("BJ001")).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    let tech = app.token("tech-1", &["technician"], &["SH001"]);
    let denied = app
        .get(
            &format!("/v1/stores/SH001/availability?from={MONDAY}&to={MONDAY}&service_types=maintenance"),
            &tech,
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let long = app
        .get(
            &format!("/v1/stores/SH001/availability?from={MONDAY}&to=2027-01-08&service_types=maintenance"),
            &adv,
        )
        .await;
    assert_eq!(long.fields(), vec!["to"]);
}

// AP-5: the reminder is due from the store-local day before the visit, once.
#[tokio::test]
async fn the_day_before_the_visit_a_reminder_is_due_once() {
    let clock = TestClock::at(FRIDAY);
    let app = setup(clock.clone(), capacity(1, 0, 1)).await;
    let (customer, _) = customer_with_car(&app).await;
    let adv = app.advisor("SH001");
    let visit = book(&app, &adv, visit(&["maintenance"], &at("10:00"), &customer)).await.body;
    let svc = &app.services().appointments;
    assert_eq!(svc.send_reminders().await.unwrap(), 0, "Friday: not yet");
    clock.set("2026-12-05T15:59:59Z"); // 23:59:59 on Saturday in Shanghai
    assert_eq!(svc.send_reminders().await.unwrap(), 0, "still two days ahead");
    clock.set("2026-12-05T16:00:00Z"); // Sunday begins in Shanghai
    assert_eq!(svc.send_reminders().await.unwrap(), 1);
    assert_eq!(svc.send_reminders().await.unwrap(), 0, "once");
    let id = visit["id"].as_str().unwrap();
    let reminded = app.get(&format!("/v1/stores/SH001/appointments/{id}"), &adv).await;
    assert_eq!(reminded.body["reminded_at"], "2026-12-05T16:00:00Z");
    let dms = app.token("dms-1", &["integration"], &["SH001"]);
    let feed = crate::events::whole_feed(&app, "SH001", &dms).await;
    let reminder = feed.iter().find(|e| e["type"] == "appointment.reminder_due").expect("the reminder event");
    assert_eq!(reminder["resource"]["id"], visit["id"]);
    assert_eq!(reminder["data"]["start"].as_str(), Some(at("10:00").as_str()));
    assert!(reminder["data"].get("visitor").is_none(), "no personal data in events");
}

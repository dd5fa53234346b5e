//! Messages to customers (issue 13) from outside, on both databases: the rules decided at the
//! moment of sending (call hours, marketing consent, caps, a WeChat consent to spend) and what
//! the store's figures count. `message_providers.rs` sends through the providers' local peers.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aftersales_grpc::{MessageServiceClient, pb};
use axum::Json;
use axum::extract::{Query, State};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, TestClock, authed};
use crate::work_orders::shop;

/// One message once it left the queue (or as it is after 10 s).
pub(crate) async fn out_of_queue(app: &TestApp, store: &str, token: &str, id: &str) -> Value {
    let path = format!("/v1/stores/{store}/messages/{id}");
    let mut message = Value::Null;
    for _ in 0..200 {
        message = app.get(&path, token).await.body;
        if message["status"] != "queued" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    message
}

/// The customer's messages once none is queued any more (or after 10 s).
pub(crate) async fn settled(app: &TestApp, store: &str, token: &str, customer: &str) -> Vec<Value> {
    let path = format!("/v1/stores/{store}/customers/{customer}/messages");
    for _ in 0..200 {
        let page = app.get(&path, token).await;
        assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
        let messages = page.body["messages"].as_array().unwrap().clone();
        if !messages.is_empty() && messages.iter().all(|m| m["status"] != "queued") {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("messages never left the queue: {:?}", app.get(&path, token).await.body);
}

// CF-5, issue 13: an invitation registered at 22:00 goes out at the next call-hours start; by
// then a customer who withdrew consent is suppressed with the reason, and a second marketing
// message the same day is over the cap.
#[tokio::test]
async fn invitations_wait_for_call_hours_and_keep_to_consent_and_caps() {
    let clock = TestClock::at("2026-12-07T14:00:00Z"); // 22:00 in Shanghai
    let app = TestApp::spawn_at_with(clock.clone(), |c| c.message_interval_ms = 20).await;
    let shop = shop(&app).await;
    let other =
        app.seed_customer(&shop.store, "李娜", "13900001111").await["id"].as_str().unwrap().to_string();
    for customer in [&shop.customer, &other] {
        crate::campaigns::set_consent(&app, &shop.store, customer, true).await;
    }
    let letters = format!("/v1/stores/{}/letters", shop.store);
    let invite = |customer: &str| json!({"customer_id": customer, "kind": "invitation", "subject": "冬季保养节", "channel": "sms"});
    for customer in [&shop.customer, &other, &shop.customer] {
        let sent = app.post(&letters, &shop.supervisor, invite(customer)).await;
        assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
    }
    crate::campaigns::set_consent(&app, &shop.store, &other, false).await;
    let all = format!("/v1/stores/{}/messages?purpose=marketing", shop.store);
    let queued = app.get(&all, &shop.supervisor).await.body["messages"].as_array().unwrap().clone();
    assert_eq!(queued.len(), 3);
    for m in &queued {
        assert_eq!(
            (m["status"].as_str(), m["planned_at"].as_str()),
            (Some("queued"), Some("2026-12-08T01:00:00Z"))
        );
        assert_eq!(
            m["text"],
            format!(
                "{}您好，SH001 4S店诚邀您参加：冬季保养节。回复T退订",
                if m["customer_id"] == json!(shop.customer) { "张伟" } else { "李娜" }
            )
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let still = app.get(&format!("{all}&status=queued"), &shop.supervisor).await.body;
    assert_eq!(still["messages"].as_array().unwrap().len(), 3, "nothing goes out at night");

    clock.set("2026-12-08T01:00:00Z"); // 09:00
    let first = settled(&app, &shop.store, &shop.supervisor, &shop.customer).await;
    let mut outcomes: Vec<(String, String)> = first
        .iter()
        .map(|m| (m["status"].as_str().unwrap().into(), m["suppressed_reason"].as_str().unwrap_or("").into()))
        .collect();
    outcomes.sort();
    assert_eq!(outcomes, vec![("sent".into(), "".into()), ("suppressed".into(), "daily_cap_reached".into())]);
    let withdrawn = settled(&app, &shop.store, &shop.supervisor, &other).await;
    assert_eq!(
        (withdrawn[0]["status"].as_str(), withdrawn[0]["suppressed_reason"].as_str()),
        (Some("suppressed"), Some("no_marketing_consent"))
    );
    assert_eq!(withdrawn[0]["attempts"], 1, "decided at the moment of sending");
    let filtered =
        app.get(&format!("/v1/stores/{}/messages?status=suppressed", shop.store), &shop.supervisor).await;
    assert_eq!(filtered.body["messages"].as_array().unwrap().len(), 2);
    // FU-9 and HQ-1 count them by purpose, on the day they were asked for (the 7th, local).
    let summary =
        app.get(&format!("/v1/stores/{}/summaries/2026-12", shop.store), &shop.supervisor).await.body;
    let counted = &summary["figures"]["messages"]["marketing"];
    assert_eq!(
        (counted["sent"].as_u64(), counted["suppressed"].as_u64(), counted["queued"].as_u64()),
        (Some(1), Some(2), Some(0)),
        "{summary:?}"
    );
    let hq = app.token("hq-1", &["hq_analyst"], &["*"]);
    let analytics = app.get("/v1/analytics/follow-up?period=2026-12", &hq).await.body;
    let sh = analytics["stores"].as_array().unwrap().iter().find(|s| s["store"] == "SH001").unwrap().clone();
    assert_eq!(&sh["figures"]["messages"]["marketing"], counted);
    assert_eq!(sh["figures"]["messages"]["service"]["sent"], 0);
    let other_store = app.seed_store("SH002").await;
    let outsider = app.supervisor(&other_store);
    assert_eq!(
        app.get(&all, &outsider).await.status,
        StatusCode::NOT_FOUND,
        "no store sees another's messages"
    );
    let id = first[0]["id"].as_str().unwrap();
    let elsewhere = app.get(&format!("/v1/stores/{other_store}/messages/{id}"), &outsider).await;
    assert_eq!(elsewhere.status, StatusCode::NOT_FOUND);
}

/// The WeChat API on loopback: hands out access tokens for the right AppID and secret, calls the
/// first one expired (42001) once it is used, and records the subscription messages sent with a
/// valid token.
#[derive(Clone, Default)]
struct WechatPeer {
    tokens: Arc<AtomicUsize>,
    expired_once: Arc<AtomicBool>,
    sends: Arc<Mutex<Vec<Value>>>,
}

async fn wechat_token(
    State(peer): State<WechatPeer>,
    Query(q): Query<std::collections::HashMap<String, String>>,
) -> Json<Value> {
    let right = q.get("grant_type").map(String::as_str) == Some("client_credential")
        && q.get("appid").map(String::as_str) == Some("wx-app-1")
        && q.get("secret").map(String::as_str) == Some("wx-secret-1");
    if !right {
        return Json(json!({"errcode": 40013, "errmsg": "invalid appid"}));
    }
    let n = peer.tokens.fetch_add(1, Ordering::SeqCst) + 1;
    Json(json!({"access_token": format!("tok-{n}"), "expires_in": 7200}))
}

async fn wechat_send(
    State(peer): State<WechatPeer>,
    Query(q): Query<std::collections::HashMap<String, String>>,
    Json(body): Json<Value>,
) -> Json<Value> {
    let current = format!("tok-{}", peer.tokens.load(Ordering::SeqCst));
    if q.get("access_token") != Some(&current) {
        return Json(json!({"errcode": 40001, "errmsg": "invalid credential"}));
    }
    if !peer.expired_once.swap(true, Ordering::SeqCst) {
        return Json(json!({"errcode": 42001, "errmsg": "access_token expired"}));
    }
    peer.sends.lock().unwrap().push(body);
    Json(json!({"errcode": 0, "errmsg": "ok", "msgid": 1_700_000_000_000_001_u64}))
}

// AP-5, issue 13: the day before a visit the reminder goes by WeChat where the store has a WeChat
// template; it spends exactly one of the customer's one-time consents, and with none left the
// next reminder is suppressed; an expired access token is fetched again.
#[tokio::test]
async fn a_wechat_reminder_spends_exactly_one_consent_and_none_left_suppresses_the_next() {
    let peer = WechatPeer::default();
    let routes = axum::Router::new()
        .route("/cgi-bin/token", axum::routing::get(wechat_token))
        .route("/cgi-bin/message/subscribe/send", axum::routing::post(wechat_send))
        .with_state(peer.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, routes).await });

    let clock = TestClock::at(crate::appointments::FRIDAY);
    let app = crate::appointments::setup_with(clock.clone(), crate::appointments::capacity(1, 0, 1), |c| {
        c.wechat_app_id = Some("wx-app-1".into());
        c.wechat_app_secret = Some("wx-secret-1".into());
        c.wechat_endpoint = url;
        c.wechat_push_token = Some("push-token-for-tests".into());
        c.message_interval_ms = 20;
    })
    .await;
    let (customer, _) = crate::appointments::customer_with_car(&app).await;
    let sup = app.supervisor("SH001");
    let template = json!({"code": "appointment_reminder", "channel": "wechat_subscribe",
        "provider_template_id": "tmpl-remind", "provider_parameters": ["thing1", "date2", "time3"],
        "text": "{name}您好，您预约了{date} {time}到店"});
    let made = app.post("/v1/stores/SH001/message-templates", &sup, template).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let consents = format!("/v1/stores/SH001/customers/{customer}/wechat-consents");
    let adv = app.advisor("SH001");
    let granted = app.post(&consents, &adv, json!({"openid": "o-wang", "template_id": "tmpl-remind"})).await;
    assert_eq!(
        (granted.status, granted.body["available"].as_u64()),
        (StatusCode::CREATED, Some(1)),
        "{:?}",
        granted.body
    );
    let mut grpc = MessageServiceClient::new(app.grpc_channel.clone());
    let other = grpc
        .grant_wechat_consents(authed(
            &adv,
            pb::GrantWechatConsentsRequest {
                store: "SH001".into(),
                customer_id: customer.clone(),
                openid: "o-wang".into(),
                template_id: "tmpl-other".into(),
                count: Some(2),
                request_id: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((other.template_id.as_str(), other.available), ("tmpl-other", 2));
    let bad = app
        .post(&consents, &adv, json!({"openid": "o wang", "template_id": "tmpl-remind", "count": 51}))
        .await;
    assert_eq!(bad.fields(), vec!["openid", "count"]);

    for start in ["10:00", "11:00"] {
        let visit = crate::appointments::visit(&["maintenance"], &crate::appointments::at(start), &customer);
        let booked = crate::appointments::book(&app, &adv, visit).await;
        assert_eq!(booked.status, StatusCode::CREATED, "{:?}", booked.body);
    }
    clock.set("2026-12-06T02:00:00Z"); // Sunday 10:00 in Shanghai, the eve of the visits
    assert_eq!(app.services().appointments.send_reminders().await.unwrap(), 2);
    let messages = settled(&app, "SH001", &adv, &customer).await;
    let mut outcomes: Vec<(String, String, String)> = messages
        .iter()
        .map(|m| {
            let field = |k: &str| m[k].as_str().unwrap_or("").to_string();
            (field("status"), field("suppressed_reason"), field("provider_message_id"))
        })
        .collect();
    outcomes.sort();
    assert_eq!(
        outcomes,
        vec![
            ("sent".into(), "".into(), "1700000000000001".into()),
            ("suppressed".into(), "no_subscription_consent".into(), "".into()),
        ]
    );
    assert!(
        messages.iter().all(|m| m["channel"] == "wechat_subscribe" && m["source"]["kind"] == "appointment")
    );
    let sends = peer.sends.lock().unwrap().clone();
    assert_eq!(sends.len(), 1, "{sends:?}");
    assert_eq!(
        (sends[0]["touser"].as_str(), sends[0]["template_id"].as_str()),
        (Some("o-wang"), Some("tmpl-remind"))
    );
    assert_eq!(sends[0]["data"]["thing1"], json!({"value": "王小明"}));
    assert_eq!(sends[0]["data"]["date2"], json!({"value": "12月7日"}));
    assert_eq!(peer.tokens.load(Ordering::SeqCst), 2, "the expired token was fetched again, once");
    // WeChat's push says it arrived; signed with the push token, checked before anything is read.
    let sent_id =
        messages.iter().find(|m| m["status"] == "sent").unwrap()["id"].as_str().unwrap().to_string();
    let push = json!({"ToUserName": "gh_1", "FromUserName": "o-wang", "CreateTime": 1_765_000_000, "MsgType": "event",
        "Event": "subscribe_msg_sent_event",
        "List": {"TemplateId": "tmpl-remind", "MsgID": "1700000000000001", "ErrorCode": "0", "ErrorStatus": "success"}});
    let signature =
        aftersales_server::messages::wechat::push_signature("push-token-for-tests", "1765000000", "n1");
    let pushed = |sig: String| {
        let path = format!("/v1/message-receipts/wechat?signature={sig}&timestamp=1765000000&nonce=n1");
        let push = push.clone();
        let app = &app;
        async move { app.send(reqwest::Method::POST, &path, None, Some(push), &[]).await }
    };
    assert_eq!(pushed("0".repeat(40)).await.status, StatusCode::UNAUTHORIZED);
    let taken = pushed(signature).await;
    assert_eq!((taken.status, taken.body.as_str()), (StatusCode::OK, Some("success")), "{:?}", taken.body);
    let delivered = app.get(&format!("/v1/stores/SH001/messages/{sent_id}"), &adv).await.body;
    assert_eq!(delivered["status"], "delivered", "{delivered:?}");
    // The one consent is spent: a new one makes the balance 1, not 2.
    let again = app.post(&consents, &adv, json!({"openid": "o-wang", "template_id": "tmpl-remind"})).await;
    assert_eq!(again.body["available"], 1, "{:?}", again.body);
}

/// The customer's messages of one template, oldest first.
async fn of_template(app: &TestApp, store: &str, token: &str, customer: &str, template: &str) -> Vec<Value> {
    let page = app.get(&format!("/v1/stores/{store}/customers/{customer}/messages"), token).await.body;
    page["messages"].as_array().unwrap().iter().filter(|m| m["template"] == template).cloned().collect()
}

// FU-10, issue 13: a delivery schedules the maintenance and declined-work reminders' messages for
// the first call hour of their windows; a car back for maintenance before then replaces its
// reminder, and the old message is withdrawn rather than sent.
#[tokio::test]
async fn reminder_messages_wait_for_their_window_and_a_replaced_reminder_is_withdrawn() {
    let clock = TestClock::at("2026-11-27T02:00:00Z");
    let app = TestApp::spawn_at_with(clock.clone(), |c| c.message_interval_ms = 20).await;
    let shop = shop(&app).await;
    crate::reminders::deliver_maintenance(&app, &shop, 30_000).await;
    let task = crate::reminders::tasks(&app, &shop, "maintenance_reminder").await[0].clone();
    let reminders =
        of_template(&app, &shop.store, &shop.advisor, &shop.customer, "maintenance_reminder").await;
    assert_eq!(reminders.len(), 1, "{reminders:?}");
    let first = &reminders[0];
    let window_start =
        chrono::NaiveDate::parse_from_str(task["due_from"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    // 09:00 in Shanghai on the window's first day.
    let expected = format!("{}T01:00:00Z", window_start);
    assert_eq!(
        (first["status"].as_str(), first["planned_at"].as_str()),
        (Some("queued"), Some(expected.as_str()))
    );
    assert_eq!(first["source"], json!({"kind": "reminder_task", "id": task["id"]}));
    assert!(first["text"].as_str().unwrap().contains("沪A12345"), "{first:?}");
    let declined = of_template(&app, &shop.store, &shop.advisor, &shop.customer, "declined_reminder").await;
    assert_eq!(declined.len(), 1);
    assert!(declined[0]["text"].as_str().unwrap().contains("更换空调滤芯"), "{:?}", declined[0]);

    // The car comes back for its maintenance a month later: the reminder is replaced.
    clock.set("2026-12-28T02:00:00Z");
    crate::reminders::deliver_maintenance(&app, &shop, 35_000).await;
    clock.set(&expected);
    let withdrawn = out_of_queue(&app, &shop.store, &shop.advisor, first["id"].as_str().unwrap()).await;
    assert_eq!(
        (withdrawn["status"].as_str(), withdrawn["suppressed_reason"].as_str()),
        (Some("suppressed"), Some("withdrawn")),
        "{withdrawn:?}"
    );
}

// AP-5, issue 13: a reminder queued on the eve waits for call hours; the booking cancelled
// meanwhile withdraws it.
#[tokio::test]
async fn a_reminder_of_a_booking_cancelled_before_it_went_out_is_withdrawn() {
    let clock = TestClock::at(crate::appointments::FRIDAY);
    let app = crate::appointments::setup_with(clock.clone(), crate::appointments::capacity(1, 0, 1), |c| {
        c.message_interval_ms = 20;
    })
    .await;
    let (customer, _) = crate::appointments::customer_with_car(&app).await;
    let adv = app.advisor("SH001");
    let visit = crate::appointments::visit(&["maintenance"], &crate::appointments::at("10:00"), &customer);
    let booked = crate::appointments::book(&app, &adv, visit).await.body;
    clock.set("2026-12-05T16:00:00Z"); // Sunday 00:00 in Shanghai: the reminder is due, at night
    assert_eq!(app.services().appointments.send_reminders().await.unwrap(), 1);
    let queued = of_template(&app, "SH001", &adv, &customer, "appointment_reminder").await;
    assert_eq!(queued[0]["planned_at"], "2026-12-06T01:00:00Z", "it waits for 09:00");
    let cancel = format!("/v1/stores/SH001/appointments/{}/cancel", booked["id"].as_str().unwrap());
    let cancelled = app.post(&cancel, &adv, json!({"by": "store", "reason": "技师请假"})).await;
    assert_eq!(cancelled.body["status"], "cancelled", "{:?}", cancelled.body);
    clock.set("2026-12-06T01:00:00Z");
    let messages = settled(&app, "SH001", &adv, &customer).await;
    assert_eq!(
        (messages[0]["status"].as_str(), messages[0]["suppressed_reason"].as_str()),
        (Some("suppressed"), Some("withdrawn"))
    );
}

// Issue 13: templates are versioned per code and channel, the same on both fronts; only a
// supervisor keeps them; a bad one is refused naming the field; the idempotency key holds.
#[tokio::test]
async fn templates_are_versioned_alike_on_rest_and_grpc() {
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let sup = app.supervisor(&store);
    let mut grpc = MessageServiceClient::new(app.grpc_channel.clone());
    let create = |code: &str, token: &str| {
        authed(
            token,
            pb::CreateMessageTemplateRequest {
                store: store.clone(),
                code: code.into(),
                channel: pb::MessageChannel::Sms as i32,
                text: "{name}您好，爱车{plate}已可取车".into(),
                provider_template_id: Some("2000001".into()),
                provider_parameters: vec![],
                request_id: "tmpl-1".into(),
            },
        )
    };
    let first = grpc.create_message_template(create("car_ready", &sup)).await.unwrap().into_inner();
    assert_eq!((first.version, first.purpose), (1, pb::MessagePurpose::Service as i32));
    let replay = grpc.create_message_template(create("car_ready", &sup)).await.unwrap().into_inner();
    assert_eq!(replay.version, 1, "a retried create makes no second version");
    let advisor = app.advisor(&store);
    let denied = grpc.create_message_template(create("car_ready", &advisor)).await.unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    let mut bad = create("coupon_blast", &sup);
    bad.get_mut().request_id = String::new();
    let refused = grpc.create_message_template(bad).await.unwrap_err();
    assert_eq!(crate::common::status_details(&refused).1, vec!["code"]);

    let body = json!({"code": "car_ready", "channel": "sms", "text": "{name}：{plate}好了"});
    let second = app.post(&format!("/v1/stores/{store}/message-templates"), &sup, body).await;
    assert_eq!(
        (second.status, second.body["version"].as_u64()),
        (StatusCode::CREATED, Some(2)),
        "{:?}",
        second.body
    );
    let listed = grpc
        .list_message_templates(authed(
            &sup,
            pb::ListMessageTemplatesRequest { store: store.clone(), ..Default::default() },
        ))
        .await
        .unwrap()
        .into_inner();
    let versions: Vec<u32> = listed.templates.iter().map(|t| t.version).collect();
    assert_eq!(versions, vec![1, 2]);
    let rest = app.get(&format!("/v1/stores/{store}/message-templates"), &advisor).await.body;
    assert_eq!(rest["templates"][1]["text"], listed.templates[1].text);
    let missing =
        pb::GetMessageRequest { store: store.clone(), message_id: uuid::Uuid::now_v7().to_string() };
    assert_eq!(grpc.get_message(authed(&sup, missing)).await.unwrap_err().code(), tonic::Code::NotFound);
}

//! Messages through the providers (issue 13), on both databases: local peers that speak Tencent
//! Cloud SMS and Alibaba Cloud SMS and check their signatures as the providers document them,
//! delivery receipts on the callbacks, and a sender killed mid-send.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aftersales_grpc::{MessageServiceClient, pb};
use aftersales_server::messages::tencent::tc3_authorization;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, TestClock, authed};
use crate::follow_ups::{agents, deliver_at, first_task};
use crate::messages::settled;
use crate::work_orders::shop;

/// What the Alibaba peer recorded: each send's form parameters.
type Sends = Arc<Mutex<Vec<std::collections::BTreeMap<String, String>>>>;

const SECRET_ID: &str = "AKIDtestsecretid0001";
const SECRET_KEY: &str = "tencent-secret-key-for-tests";
const APP_ID: &str = "1400000001";
const RECEIPT_TOKEN: &str = "receipt-token-for-tests";

/// A Tencent Cloud SMS endpoint on loopback: checks every request's TC3-HMAC-SHA256 signature
/// over its host, content type and body as Tencent does, records the sends, and answers each
/// with a `SerialNo`.
#[derive(Clone, Default)]
pub(crate) struct TencentPeer {
    pub(crate) sends: Arc<Mutex<Vec<Value>>>,
    refused: Arc<AtomicUsize>,
}

async fn tencent_send(
    State(peer): State<TencentPeer>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Json<Value> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let timestamp: i64 = header("x-tc-timestamp").parse().unwrap_or(0);
    let payload = String::from_utf8_lossy(&body).to_string();
    let expected = tc3_authorization(SECRET_ID, SECRET_KEY, "sms", &header("host"), timestamp, &payload);
    let well_formed = header("x-tc-action") == "SendSms"
        && header("x-tc-version") == "2021-01-11"
        && header("content-type") == "application/json; charset=utf-8";
    if header("authorization") != expected || !well_formed {
        peer.refused.fetch_add(1, Ordering::SeqCst);
        return Json(json!({"Response": {"Error": {"Code": "AuthFailure.SignatureFailure",
            "Message": "The provided credentials could not be validated."}, "RequestId": "r-0"}}));
    }
    let request: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let serial = {
        let mut sends = peer.sends.lock().unwrap();
        sends.push(request.clone());
        format!("sid-{}", sends.len())
    };
    Json(
        json!({"Response": {"SendStatusSet": [{"SerialNo": serial, "PhoneNumber": request["PhoneNumberSet"][0],
        "Fee": 1, "SessionContext": request["SessionContext"], "Code": "Ok", "Message": "send success",
        "IsoCode": "CN"}], "RequestId": "r-1"}}),
    )
}

impl TencentPeer {
    pub(crate) async fn start() -> (TencentPeer, String) {
        let peer = TencentPeer::default();
        let app = axum::Router::new().route("/", axum::routing::post(tencent_send)).with_state(peer.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (peer, url)
    }
}

pub(crate) fn with_tencent(url: String) -> impl FnOnce(&mut aftersales_server::config::Config) {
    move |c| {
        c.sms_provider = aftersales_server::config::SmsProvider::Tencent;
        c.sms_endpoint = Some(url);
        c.sms_secret_id = Some(SECRET_ID.into());
        c.sms_secret_key = Some(SECRET_KEY.into());
        c.sms_app_id = Some(APP_ID.into());
        c.sms_sign_name = Some("浦东4S店".into());
        c.message_receipt_token = Some(RECEIPT_TOKEN.into());
        c.message_interval_ms = 20;
    }
}

// FU-5, issue 13: an unreachable follow-up closes with an SMS queued in the same step, sent
// through Tencent Cloud SMS to a peer that verifies the signature, and marked delivered by the
// provider's receipt; the same on gRPC; events name no personal data.
#[tokio::test]
async fn an_unreachable_follow_up_sends_its_sms_through_tencent_and_a_receipt_marks_it_delivered() {
    let (peer, url) = TencentPeer::start().await;
    let clock = TestClock::at("2026-11-27T02:00:00Z");
    let app = TestApp::spawn_at_with(clock.clone(), with_tencent(url.clone())).await;
    let shop = shop(&app).await;
    agents(&app, &shop).await;
    let templates = format!("/v1/stores/{}/message-templates", shop.store);
    let template = json!({"code": "follow_up_unreachable", "channel": "sms", "provider_template_id": "1234567",
        "text": "{name}您好，{store}多次致电未能联系上您，方便时请回电。"});
    let made = app.post(&templates, &shop.supervisor, template.clone()).await;
    assert_eq!(
        (made.status, made.body["version"].as_u64()),
        (StatusCode::CREATED, Some(1)),
        "{:?}",
        made.body
    );
    let unknown = app
        .post(
            &templates,
            &shop.supervisor,
            json!({"code": "follow_up_unreachable", "channel": "sms",
        "text": "{name}，送您{coupon}"}),
        )
        .await;
    assert_eq!(unknown.fields(), vec!["text"], "{:?}", unknown.body);
    assert_eq!(app.post(&templates, &shop.advisor, template).await.status, StatusCode::FORBIDDEN);

    let order = deliver_at(&app, &shop, &clock, "2026-11-27T06:00:00Z").await;
    let task = first_task(&app, &shop, &order).await;
    let agent = app.token(task["assignee"].as_str().unwrap(), &["followup_agent"], &[&shop.store]);
    let records = format!("/v1/stores/{}/contact-records", shop.store);
    let attempt = json!({"customer_id": shop.customer, "task_id": task["id"], "channel": "phone", "outcome": "no_answer"});
    for at in ["2026-11-30T02:00:00Z", "2026-12-04T02:00:00Z", "2026-12-05T02:00:00Z"] {
        clock.set(at);
        assert_eq!(app.post(&records, &agent, attempt.clone()).await.status, StatusCode::CREATED);
    }
    let close = format!(
        "/v1/stores/{}/follow-up-tasks/{}/close-unreachable",
        shop.store,
        task["id"].as_str().unwrap()
    );
    let closed = app.post(&close, &agent, json!({"fallback_channel": "sms"})).await;
    assert_eq!(closed.body["status"], "unreachable", "{:?}", closed.body);

    let messages = settled(&app, &shop.store, &agent, &shop.customer).await;
    // The delivery's "car ready" went first, with the built-in text Tencent cannot take.
    let ready = messages.iter().find(|m| m["template"] == "car_ready").unwrap();
    assert_eq!(
        (ready["channel"].as_str(), ready["status"].as_str()),
        (Some("sms"), Some("failed")),
        "{ready:?}"
    );
    assert!(ready["last_error"].as_str().unwrap().contains("TemplateId"), "{ready:?}");
    let sms = messages.iter().find(|m| m["template"] == "follow_up_unreachable").unwrap();
    assert_eq!(sms["status"], "sent", "{sms:?}");
    assert_eq!(
        (sms["template"].as_str(), sms["template_version"].as_u64()),
        (Some("follow_up_unreachable"), Some(1))
    );
    assert_eq!(sms["source"], json!({"kind": "follow_up_task", "id": task["id"]}));
    assert_eq!(
        (sms["provider"].as_str(), sms["provider_message_id"].as_str()),
        (Some("tencent_sms"), Some("sid-1"))
    );
    assert_eq!(sms["attempts"], 1);
    assert_eq!(sms["text"], "张伟您好，SH001 4S店多次致电未能联系上您，方便时请回电。");
    {
        let sends = peer.sends.lock().unwrap();
        assert_eq!(sends.len(), 1);
        assert_eq!(sends[0]["PhoneNumberSet"], json!(["+8613812345678"]));
        assert_eq!(
            (sends[0]["TemplateId"].as_str(), sends[0]["SmsSdkAppId"].as_str()),
            (Some("1234567"), Some(APP_ID))
        );
        assert_eq!(sends[0]["TemplateParamSet"], json!(["张伟", "SH001 4S店"]), "in the text's order");
        assert_eq!(sends[0]["SignName"], "浦东4S店");
    }
    assert_eq!(peer.refused.load(Ordering::SeqCst), 0);
    // The peer does check: the same request signed with another key is refused.
    let forged = reqwest::Client::new()
        .post(&url)
        .header(
            "authorization",
            tc3_authorization(SECRET_ID, "wrong-key", "sms", &url[7..], 1_765_000_000, "{}"),
        )
        .header("content-type", "application/json; charset=utf-8")
        .header("x-tc-action", "SendSms")
        .header("x-tc-version", "2021-01-11")
        .header("x-tc-timestamp", "1765000000")
        .body("{}")
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(forged["Response"]["Error"]["Code"], "AuthFailure.SignatureFailure");

    let receipt = json!([{"user_receive_time": "2026-12-05 10:00:07", "nationcode": "86", "mobile": "13812345678",
        "report_status": "SUCCESS", "errmsg": "DELIVRD", "description": "用户短信送达成功", "sid": "sid-1"}]);
    let callback = "/v1/message-receipts/tencent-sms";
    let bad = app
        .send(reqwest::Method::POST, &format!("{callback}?token=guess"), None, Some(receipt.clone()), &[])
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    // A receipt of an id not on record may have overtaken the send's own record: asked again
    // while recent, dropped once old.
    let authorised = format!("{callback}?token={RECEIPT_TOKEN}");
    let unknown = |at: &str| json!([{"user_receive_time": at, "report_status": "SUCCESS", "errmsg": "DELIVRD", "sid": "sid-999"}]);
    let early =
        app.send(reqwest::Method::POST, &authorised, None, Some(unknown("2026-12-05 10:00:05")), &[]).await;
    assert_eq!(early.status, StatusCode::SERVICE_UNAVAILABLE, "{:?}", early.body);
    let stale =
        app.send(reqwest::Method::POST, &authorised, None, Some(unknown("2026-11-01 10:00:05")), &[]).await;
    assert_eq!(stale.status, StatusCode::OK, "{:?}", stale.body);
    for _ in 0..2 {
        let ok = app
            .send(
                reqwest::Method::POST,
                &format!("{callback}?token={RECEIPT_TOKEN}"),
                None,
                Some(receipt.clone()),
                &[],
            )
            .await;
        assert_eq!((ok.status, ok.body["result"].as_i64()), (StatusCode::OK, Some(0)), "{:?}", ok.body);
    }
    let id = sms["id"].as_str().unwrap();
    let delivered = app.get(&format!("/v1/stores/{}/messages/{id}", shop.store), &agent).await.body;
    assert_eq!(
        (delivered["status"].as_str(), delivered["delivered_at"].as_str()),
        (Some("delivered"), Some("2026-12-05T02:00:07Z"))
    );

    let mut grpc = MessageServiceClient::new(app.grpc_channel.clone());
    let listed = grpc
        .list_messages(authed(
            &agent,
            pb::ListMessagesRequest {
                store: shop.store.clone(),
                customer_id: shop.customer.clone(),
                channel: pb::MessageChannel::Sms as i32,
                status: pb::MessageStatus::Delivered as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.messages.len(), 1, "the filters hold on gRPC");
    let m = &listed.messages[0];
    assert_eq!((m.id.as_str(), m.status), (id, pb::MessageStatus::Delivered as i32));
    assert_eq!(
        (m.provider_message_id.as_str(), m.text.as_str()),
        ("sid-1", delivered["text"].as_str().unwrap())
    );
    assert_eq!(
        (m.source_type.as_str(), m.source_id.as_str()),
        ("follow_up_task", task["id"].as_str().unwrap())
    );

    let dms = app.token("dms-1", &["integration"], &[&shop.store]);
    let feed = crate::events::whole_feed(&app, &shop.store, &dms).await;
    let mine: Vec<&Value> = feed.iter().filter(|e| e["resource"]["id"] == id).collect();
    let kinds: Vec<(&str, &str)> = mine
        .iter()
        .map(|e| (e["type"].as_str().unwrap(), e["data"]["status"].as_str().unwrap_or("-")))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("message.queued", "-"),
            ("message.status_changed", "sent"),
            ("message.status_changed", "delivered")
        ]
    );
    for e in mine {
        let text = e.to_string();
        assert!(
            !text.contains("13812345678") && !text.contains("张伟"),
            "no personal data in events: {text}"
        );
    }
}

/// Counts of each message (its SessionContext) as it reached the provider.
type Arrivals = Arc<Mutex<std::collections::HashMap<String, u32>>>;

/// A slow Tencent peer: counts each message as it arrives and answers `delay` later.
async fn slow_tencent(delay: Duration) -> (Arrivals, String) {
    let arrivals: Arrivals = Arc::default();
    let seen = arrivals.clone();
    let peer = axum::Router::new().route(
        "/",
        axum::routing::post(move |body: Json<Value>| {
            let seen = seen.clone();
            async move {
                let id = body["SessionContext"].as_str().unwrap_or_default().to_string();
                let n = {
                    let mut seen = seen.lock().unwrap();
                    *seen.entry(id.clone()).or_default() += 1;
                    seen.values().sum::<u32>()
                };
                tokio::time::sleep(delay).await;
                Json(json!({"Response": {"SendStatusSet": [{"SerialNo": format!("sid-{n}"), "Code": "Ok",
                    "Message": "send success"}], "RequestId": "r"}}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, peer).await });
    (arrivals, url)
}

/// Store SH001 with call hours all day (the system clock is always inside them), a Tencent
/// template for notices, and `n` customers each sent one SMS notice; answers the supervisor's
/// token and the customers.
async fn letters_queued(app: &TestApp, n: usize) -> (String, Vec<String>) {
    let store = json!({"code": "SH001", "name": "浦东4S店",
        "call_hours": [{"start": "00:00", "end": "12:00"}, {"start": "12:00", "end": "23:59"}]});
    assert_eq!(app.post("/v1/stores", &app.admin(), store).await.status, StatusCode::CREATED);
    let sup = app.supervisor("SH001");
    let template = json!({"code": "letter_notice", "channel": "sms", "provider_template_id": "7654321",
        "text": "{name}您好：{subject}"});
    let made = app.post("/v1/stores/SH001/message-templates", &sup, template).await;
    assert_eq!(made.status, StatusCode::CREATED);
    let mut customers = Vec::new();
    for i in 0..n {
        let phone = format!("1370000{i:04}");
        let id =
            app.seed_customer("SH001", &format!("客户{i}"), &phone).await["id"].as_str().unwrap().to_string();
        let letter = json!({"customer_id": id, "kind": "notice", "subject": "召回通知", "channel": "sms"});
        assert_eq!(app.post("/v1/stores/SH001/letters", &sup, letter).await.status, StatusCode::CREATED);
        customers.push(id);
    }
    (sup, customers)
}

// Issue 13: a worker whose batch outlasts half its lease gives the rest back rather than send
// what another replica may have taken meanwhile: two workers on one database, a slow provider,
// and each message reaches the provider exactly once, on its first attempt.
#[tokio::test]
async fn two_workers_with_a_slow_provider_send_each_message_once() {
    let (arrivals, url) = slow_tencent(Duration::from_millis(800)).await;
    let app = TestApp::spawn_with(|c| {
        with_tencent(url.clone())(c);
        c.message_interval_ms = 3_600_000;
        c.message_timeout_ms = 1_000; // a 7 s lease: ten 0.8 s sends outlast it
    })
    .await;
    let (sup, customers) = letters_queued(&app, 10).await;
    let providers = aftersales_server::messages::Providers::from_config(&app.config).unwrap();
    let worker = || async {
        let deadline = std::time::Instant::now() + Duration::from_secs(40);
        loop {
            app.services().messages.process_due(&providers, 50).await.unwrap();
            let page = app.get("/v1/stores/SH001/messages?page_size=50&status=queued", &sup).await.body;
            if page["messages"].as_array().unwrap().is_empty() || std::time::Instant::now() > deadline {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::join!(worker(), worker());
    let page = app.get("/v1/stores/SH001/messages?page_size=50", &sup).await.body;
    let messages = page["messages"].as_array().unwrap();
    assert_eq!(messages.len(), customers.len());
    let seen = arrivals.lock().unwrap().clone();
    for m in messages {
        let id = m["id"].as_str().unwrap();
        assert_eq!(
            (m["status"].as_str(), m["attempts"].as_u64(), seen.get(id).copied()),
            (Some("sent"), Some(1), Some(1)),
            "{m:?}"
        );
    }
}

// Issue 13: a server process killed with SIGKILL in the middle of sending leaves its messages to
// another process once the leases run out; each message is sent, and no provider request is
// unaccounted for: arrivals never exceed the attempts recorded.
#[tokio::test]
async fn a_sender_killed_mid_send_leaves_each_message_sent_once_per_recorded_attempt() {
    let (arrivals, url) = slow_tencent(Duration::from_millis(600)).await;
    // This process's own worker stays idle: the child process takes the messages first.
    let app = TestApp::spawn_with(|c| {
        with_tencent(url.clone())(c);
        c.message_interval_ms = 3_600_000;
        c.message_timeout_ms = 1_000;
    })
    .await;
    let (sup, customers) = letters_queued(&app, 6).await;

    let mut child = crate::common::server_command(&app);
    for (key, value) in [
        ("AFTERSALES_LOG", "warn"),
        ("AFTERSALES_SMS_PROVIDER", "tencent"),
        ("AFTERSALES_SMS_ENDPOINT", url.as_str()),
        ("AFTERSALES_SMS_SECRET_ID", SECRET_ID),
        ("AFTERSALES_SMS_SECRET_KEY", SECRET_KEY),
        ("AFTERSALES_SMS_APP_ID", APP_ID),
        ("AFTERSALES_SMS_SIGN_NAME", "浦东4S店"),
        ("AFTERSALES_MESSAGE_INTERVAL_MS", "50"),
        ("AFTERSALES_MESSAGE_TIMEOUT_MS", "1000"),
        ("AFTERSALES_DATABASE_MAX_CONNECTIONS", "4"),
    ] {
        child.env(key, value);
    }
    let mut child = child
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while arrivals.lock().unwrap().is_empty() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!arrivals.lock().unwrap().is_empty(), "the child process started sending");
    child.kill().expect("SIGKILL"); // std's kill is SIGKILL on Unix
    child.wait().expect("the child exits");

    // This process takes over once the killed one's leases (2 x 1 s + 5 s) run out.
    let providers = aftersales_server::messages::Providers::from_config(&app.config).unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(40);
    let messages = loop {
        app.services().messages.process_due(&providers, 50).await.unwrap();
        let page = app.get("/v1/stores/SH001/messages?page_size=50", &sup).await.body;
        let messages = page["messages"].as_array().unwrap().clone();
        if messages.iter().all(|m| m["status"] == "sent") {
            break messages;
        }
        assert!(std::time::Instant::now() < deadline, "every message is sent after the crash: {messages:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(messages.len(), customers.len());
    let seen = arrivals.lock().unwrap().clone();
    for m in &messages {
        let id = m["id"].as_str().unwrap();
        let (got, attempts) = (seen.get(id).copied().unwrap_or(0), m["attempts"].as_u64().unwrap() as u32);
        assert!(got >= 1, "{id} never reached the provider");
        assert!(
            got <= attempts,
            "{id} reached the provider {got} times but {attempts} attempts are recorded"
        );
    }
    assert!(seen.values().any(|n| *n > 1), "the send cut by the kill was made again: {seen:?}");
}

const ALIYUN_KEY_ID: &str = "LTAItestkeyid0001";
const ALIYUN_SECRET: &str = "aliyun-secret-for-tests";

/// Alibaba Cloud SMS on loopback: checks each form POST's RPC signature (HMAC-SHA1 over the
/// sorted, encoded parameters, as Alibaba documents it), records the sends, answers a BizId.
async fn aliyun_send(
    State(sends): State<Sends>,
    axum::Form(params): axum::Form<std::collections::BTreeMap<String, String>>,
) -> (axum::http::StatusCode, Json<Value>) {
    let given = params.get("Signature").cloned().unwrap_or_default();
    let expected = aftersales_server::messages::aliyun::rpc_signature("POST", &params, ALIYUN_SECRET);
    let field = |k: &str| params.get(k).map(String::as_str).unwrap_or("");
    let well_formed = field("Action") == "SendSms"
        && field("AccessKeyId") == ALIYUN_KEY_ID
        && field("SignatureMethod") == "HMAC-SHA1"
        && field("SignatureVersion") == "1.0"
        && field("Version") == "2017-05-25"
        && !field("SignatureNonce").is_empty()
        && chrono::NaiveDateTime::parse_from_str(field("Timestamp"), "%Y-%m-%dT%H:%M:%SZ").is_ok();
    if given != expected || !well_formed {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({"Code": "SignatureDoesNotMatch",
            "Message": "Specified signature is not matched with our calculation.", "RequestId": "r-0"})),
        );
    }
    let n = {
        let mut sends = sends.lock().unwrap();
        sends.push(params);
        sends.len()
    };
    (
        axum::http::StatusCode::OK,
        Json(json!({"Code": "OK", "Message": "OK", "BizId": format!("biz-{n}"), "RequestId": "r-1"})),
    )
}

// WO-3, issue 13: the advisor's "car ready" goes out through Alibaba Cloud SMS to a peer that
// verifies the RPC signature, with the provider's parameter names; a receipt that says it did
// not arrive marks it failed with the operator's code.
#[tokio::test]
async fn the_car_ready_sms_goes_through_alibaba_and_a_failed_report_marks_it_failed() {
    let sends: Sends = Arc::default();
    let routes = axum::Router::new().route("/", axum::routing::post(aliyun_send)).with_state(sends.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, routes).await });
    let clock = TestClock::at("2026-12-07T02:00:00Z"); // 10:00 in Shanghai
    let app = TestApp::spawn_at_with(clock.clone(), |c| {
        c.sms_provider = aftersales_server::config::SmsProvider::Aliyun;
        c.sms_endpoint = Some(url);
        c.sms_secret_id = Some(ALIYUN_KEY_ID.into());
        c.sms_secret_key = Some(ALIYUN_SECRET.into());
        c.sms_sign_name = Some("阿里云短信测试".into());
        c.message_receipt_token = Some(RECEIPT_TOKEN.into());
        c.message_interval_ms = 20;
    })
    .await;
    let shop = shop(&app).await;
    let template = json!({"code": "car_ready", "channel": "sms", "provider_template_id": "SMS_71390007",
        "provider_parameters": ["customer", "plate_no"], "text": "{name}您好，{plate}已可取车"});
    let made =
        app.post(&format!("/v1/stores/{}/message-templates", shop.store), &shop.supervisor, template).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let approved = shop.approved(&app, 30_000).await;
    let worked = shop.worked(&app, &approved).await;
    shop.exit_inspection(&app, &worked, true).await;
    let told = shop.step(&app, &approved, "notify-customer", &shop.advisor, json!({})).await;
    assert_eq!(told.status, StatusCode::OK, "{:?}", told.body);

    let messages = settled(&app, &shop.store, &shop.advisor, &shop.customer).await;
    let ready = messages
        .iter()
        .find(|m| m["template"] == "car_ready")
        .cloned()
        .unwrap_or_else(|| panic!("{messages:?}"));
    assert_eq!(
        (ready["status"].as_str(), ready["provider"].as_str()),
        (Some("sent"), Some("aliyun_sms")),
        "{ready:?}"
    );
    assert_eq!(ready["source"], json!({"kind": "work_order", "id": approved["id"]}));
    assert_eq!(ready["parameters"]["number"], told.body["number"]);
    {
        let sends = sends.lock().unwrap();
        assert_eq!(sends.len(), 1);
        let sent = &sends[0];
        assert_eq!(
            (sent["PhoneNumbers"].as_str(), sent["TemplateCode"].as_str()),
            ("13812345678", "SMS_71390007")
        );
        assert_eq!(sent["SignName"], "阿里云短信测试");
        let param: Value = serde_json::from_str(&sent["TemplateParam"]).unwrap();
        assert_eq!(param, json!({"customer": "张伟", "plate_no": "沪A12345"}));
        assert_eq!(sent["OutId"], ready["id"].as_str().unwrap());
    }
    let report = json!([{"phone_number": "13812345678", "send_time": "2026-12-07 10:00:01",
        "report_time": "2026-12-07 10:00:09", "success": false, "err_code": "MK:0001", "err_msg": "用户关机",
        "sms_size": "1", "biz_id": ready["provider_message_id"], "out_id": ready["id"]}]);
    let path = format!("/v1/message-receipts/aliyun-sms?token={RECEIPT_TOKEN}");
    let ok = app.send(reqwest::Method::POST, &path, None, Some(report), &[]).await;
    assert_eq!((ok.status, ok.body["code"].as_i64()), (StatusCode::OK, Some(0)), "{:?}", ok.body);
    let id = ready["id"].as_str().unwrap();
    let failed = app.get(&format!("/v1/stores/{}/messages/{id}", shop.store), &shop.advisor).await.body;
    assert_eq!((failed["status"].as_str(), failed["last_error"].as_str()), (Some("failed"), Some("MK:0001")));
    assert_eq!(failed["delivered_at"], "2026-12-07T02:00:09Z");
    let unreadable = app.send(reqwest::Method::POST, &path, None, Some(json!({"not": "a list"})), &[]).await;
    assert_eq!(unreadable.status, StatusCode::BAD_REQUEST);
}

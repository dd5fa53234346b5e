//! Remote approval by link (WO-13) from outside, on both databases: the advisor issues a link,
//! the customer decides from the token alone, each way a link stops working answers 410 with its
//! own code, two racing decisions record one, the token opens no other route, and the token
//! routes are rate limited per address.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{TestApp, TestClock, VINS};
use crate::message_providers::{TencentPeer, with_tencent};
use crate::messages::out_of_queue;
use crate::work_orders::{Shop, shop};

/// An order with its entry inspection, quoted (estimate version 1) and waiting for the customer.
pub(crate) async fn quoted(app: &TestApp, shop: &Shop) -> Value {
    let order = shop.create(app, 30_000).await;
    let id = order["id"].as_str().unwrap();
    let entry = app
        .post(
            &format!("{}/{id}/inspections/entry", shop.orders()),
            &shop.advisor,
            json!({"methods": ["visual"], "findings": "前刹车片磨损"}),
        )
        .await;
    assert_eq!(entry.status, StatusCode::CREATED, "{:?}", entry.body);
    let quote = shop.step(app, &order, "submit-quote", &shop.advisor, json!({})).await;
    assert_eq!(quote.status, StatusCode::OK, "{:?}", quote.body);
    quote.body
}

fn links(shop: &Shop, order: &Value) -> String {
    format!("{}/{}/approval-links", shop.orders(), order["id"].as_str().unwrap())
}

async fn issue(app: &TestApp, shop: &Shop, order: &Value, body: Value) -> Value {
    let issued = app.post(&links(shop, order), &shop.advisor, body).await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
    issued.body
}

/// The customer's side: no Authorization header at all.
async fn open(app: &TestApp, path: &str) -> crate::common::Answer {
    app.send(Method::GET, path, None, None, &[]).await
}

async fn decide(app: &TestApp, path: &str, decisions: Value) -> crate::common::Answer {
    app.send(Method::POST, &format!("{path}/decisions"), None, Some(json!({"decisions": decisions})), &[])
        .await
}

// WO-13, WO-11: one line approved and one declined from the link alone; the order shows both,
// method signed_link with the link and the address; the link then answers 410 used.
#[tokio::test]
async fn wo_13_a_customer_approves_one_line_and_declines_another_from_the_link_alone() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let order = quoted(&app, &shop).await;
    let issued = issue(&app, &shop, &order, json!({})).await;
    let path = issued["path"].as_str().unwrap().to_string();
    assert_eq!(path, format!("/v1/approval/{}", issued["token"].as_str().unwrap()));
    assert_eq!(issued["estimate_version"], 1);
    let (created, expires) = (
        chrono::DateTime::parse_from_rfc3339(issued["created_at"].as_str().unwrap()).unwrap(),
        chrono::DateTime::parse_from_rfc3339(issued["expires_at"].as_str().unwrap()).unwrap(),
    );
    assert_eq!(expires - created, chrono::Duration::hours(24), "24 h by default");

    let view = open(&app, &path).await;
    assert_eq!(view.status, StatusCode::OK, "{:?}", view.body);
    assert_eq!(
        (view.body["store_name"].as_str(), view.body["plate"].as_str(), view.body["customer_name"].as_str()),
        (Some("SH001 4S店"), Some("沪A12345"), Some("张伟"))
    );
    let lines = view.body["lines"].as_array().unwrap().clone();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (view.body["labour_fen"].as_i64(), view.body["parts_fen"].as_i64()),
        (Some(18_000), Some(38_000))
    );
    // Nothing personal beyond the customer's own name and the plate.
    let shown = view.body.to_string();
    for private in ["13812345678", VINS[0], &shop.customer, "刹车时有异响"] {
        assert!(!shown.contains(private), "{private} must not be shown: {shown}");
    }

    let decisions = json!([
        {"line_id": lines[0]["line_id"], "approved": true},
        {"line_id": lines[1]["line_id"], "approved": false, "reason": "自带配件"},
    ]);
    let decided = decide(&app, &path, decisions.clone()).await;
    assert_eq!(decided.status, StatusCode::OK, "{:?}", decided.body);
    assert_eq!(
        (
            decided.body["approved"].as_u64(),
            decided.body["declined"].as_u64(),
            decided.body["approved_fen"].as_i64()
        ),
        (Some(1), Some(1), Some(18_000))
    );

    let now =
        app.get(&format!("{}/{}", shop.orders(), order["id"].as_str().unwrap()), &shop.advisor).await.body;
    assert_eq!(now["status"], "approved");
    let approval = &now["approvals"][0];
    assert_eq!(approval["method"], "signed_link");
    assert_eq!(approval["link_id"], issued["id"]);
    assert_eq!(approval["client_address"], "127.0.0.1");
    assert_eq!(approval["recorded_by"], format!("approval_link:{}", issued["id"].as_str().unwrap()));
    let statuses: Vec<&str> =
        now["lines"].as_array().unwrap().iter().map(|l| l["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, vec!["approved", "declined"]);
    assert_eq!(now["lines"][1]["decline_reason"], "自带配件");

    // Used once: reading or deciding again answers 410 used, and changes nothing.
    for again in [open(&app, &path).await, decide(&app, &path, decisions).await] {
        assert_eq!(
            (again.status, again.code()),
            (StatusCode::GONE, "approval_link.used"),
            "{:?}",
            again.body
        );
    }
    let after =
        app.get(&format!("{}/{}", shop.orders(), order["id"].as_str().unwrap()), &shop.advisor).await.body;
    assert_eq!(after["approvals"].as_array().map(Vec::len), Some(1));

    // The store sees the link used, without its token; the audit trail names the link.
    let listed = app.get(&links(&shop, &order), &shop.advisor).await.body;
    assert_eq!(listed["links"][0]["id"], issued["id"]);
    assert!(listed["links"][0]["used_at"].is_string());
    assert!(!listed.to_string().contains(issued["token"].as_str().unwrap()));
    let trail = app
        .get(
            &format!("/v1/stores/SH001/audit-events?resource_id={}", order["id"].as_str().unwrap()),
            &shop.supervisor,
        )
        .await
        .body;
    assert!(
        trail["audit_events"].as_array().unwrap().iter().any(|e| e["actor"] == approval["recorded_by"]),
        "{trail}"
    );
}

// WO-13: a new estimate version, revocation, expiry and a decision made another way each make the
// link answer 410 with its own code; unknown tokens are simply not found.
#[tokio::test]
async fn wo_13_each_way_a_link_stops_working_answers_410_with_its_reason() {
    let clock = TestClock::at(&chrono::Utc::now().to_rfc3339());
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await;
    let order = quoted(&app, &shop).await;

    let outdated = issue(&app, &shop, &order, json!({})).await;
    let line = order["lines"][0]["id"].clone();
    let labour = json!({"kind": "labour", "code": "BRK-01", "description": "检查并更换前刹车片", "hours": 2.0,
                        "rate_fen": 12000, "urgency": "red"});
    let revised = shop
        .step(
            &app,
            &order,
            "revise-estimate",
            &shop.advisor,
            json!({"change": [{"line_id": line, "line": labour}]}),
        )
        .await;
    assert_eq!(revised.status, StatusCode::OK, "{:?}", revised.body);
    let gone = open(&app, outdated["path"].as_str().unwrap()).await;
    assert_eq!((gone.status, gone.code()), (StatusCode::GONE, "approval_link.outdated"), "{:?}", gone.body);
    let requoted = shop.step(&app, &order, "submit-quote", &shop.advisor, json!({})).await.body;

    let revoked = issue(&app, &shop, &order, json!({})).await;
    let revoke = format!("{}/{}/revoke", links(&shop, &order), revoked["id"].as_str().unwrap());
    let done = app.post(&revoke, &shop.advisor, json!({})).await;
    assert_eq!(done.status, StatusCode::OK, "{:?}", done.body);
    assert!(done.body["revoked_at"].is_string());
    let twice = app.post(&revoke, &shop.advisor, json!({})).await;
    assert_eq!(twice.body, done.body, "revoking again changes nothing");
    let gone = open(&app, revoked["path"].as_str().unwrap()).await;
    assert_eq!((gone.status, gone.code()), (StatusCode::GONE, "approval_link.revoked"));

    let short = issue(&app, &shop, &order, json!({"ttl_hours": 1})).await;
    let view = open(&app, short["path"].as_str().unwrap()).await;
    assert_eq!(view.status, StatusCode::OK, "{:?}", view.body);
    assert_eq!(view.body["lines"][0]["urgency"], "red");
    clock.set(&(chrono::Utc::now() + chrono::Duration::minutes(61)).to_rfc3339());
    let gone = open(&app, short["path"].as_str().unwrap()).await;
    assert_eq!((gone.status, gone.code()), (StatusCode::GONE, "approval_link.expired"));

    // Decided at the counter: a link still out answers that nothing waits any more.
    let pending = issue(&app, &shop, &order, json!({})).await;
    let decisions: Vec<Value> = requoted["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| json!({"line_id": l["id"], "approved": true}))
        .collect();
    let signed = shop
        .step(
            &app,
            &order,
            "approve",
            &shop.advisor,
            json!({"estimate_version": requoted["estimate_version"], "method": "in_person", "decisions": decisions}),
        )
        .await;
    assert_eq!(signed.status, StatusCode::OK, "{:?}", signed.body);
    let gone =
        decide(&app, pending["path"].as_str().unwrap(), json!([{"line_id": line, "approved": true}])).await;
    assert_eq!((gone.status, gone.code()), (StatusCode::GONE, "approval_link.decided"));

    // Nothing waits: no link to issue. Bad lifetimes are named.
    let none = app.post(&links(&shop, &order), &shop.advisor, json!({})).await;
    assert_eq!((none.status, none.code()), (StatusCode::CONFLICT, "work_order.invalid_transition"));
    let fresh = quoted(&app, &shop).await;
    let long = app.post(&links(&shop, &fresh), &shop.advisor, json!({"ttl_hours": 1000})).await;
    assert_eq!(long.fields(), vec!["ttl_hours"]);
    let technician = app.post(&links(&shop, &fresh), &shop.technician, json!({})).await;
    assert_eq!(technician.status, StatusCode::FORBIDDEN);

    // Tokens never issued, well-formed or not, are not found.
    for token in ["A".repeat(43), "short".to_string(), "%2E%2E".to_string()] {
        let unknown = open(&app, &format!("/v1/approval/{token}")).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{token}: {:?}", unknown.body);
    }
}

// WO-13, GEN-2: two decisions racing on one link record one approval; the other answers 410.
#[tokio::test]
async fn wo_13_two_racing_decisions_on_one_link_record_one() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let order = quoted(&app, &shop).await;
    let issued = issue(&app, &shop, &order, json!({})).await;
    let path = issued["path"].as_str().unwrap();
    let decisions: Vec<Value> = order["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| json!({"line_id": l["id"], "approved": true}))
        .collect();
    let answers =
        futures_util::future::join_all((0..4).map(|_| decide(&app, path, json!(decisions.clone())))).await;
    let ok = answers.iter().filter(|a| a.status == StatusCode::OK).count();
    assert_eq!(ok, 1, "{:?}", answers.iter().map(|a| (a.status, a.code().to_string())).collect::<Vec<_>>());
    assert!(
        answers.iter().filter(|a| a.status != StatusCode::OK).all(|a| a.code() == "approval_link.used"),
        "{:?}",
        answers.iter().map(|a| a.body.clone()).collect::<Vec<_>>()
    );
    let now =
        app.get(&format!("{}/{}", shop.orders(), order["id"].as_str().unwrap()), &shop.advisor).await.body;
    assert_eq!(now["approvals"].as_array().map(Vec::len), Some(1));
}

// WO-13: the token reaches nothing else: as a bearer token every other route of the published
// document refuses it (401), and another store's staff cannot list or revoke the link.
#[tokio::test]
async fn wo_13_the_token_opens_no_other_route() {
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let order = quoted(&app, &shop).await;
    let issued = issue(&app, &shop, &order, json!({})).await;
    let token = issued["token"].as_str().unwrap();
    let doc = app.send(Method::GET, "/openapi.json", None, None, &[]).await.body;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if path.starts_with("/v1/approval/") || !path.starts_with("/v1/") {
            continue;
        }
        let concrete: String = path
            .split('/')
            .map(|seg| match seg {
                "{store}" => shop.store.clone(),
                "{work_order_id}" => order["id"].as_str().unwrap().to_string(),
                "{link_id}" => issued["id"].as_str().unwrap().to_string(),
                "{customer_id}" => shop.customer.clone(),
                "{vehicle_id}" => shop.vehicle.clone(),
                s if s.starts_with('{') => uuid::Uuid::now_v7().to_string(),
                s => s.to_string(),
            })
            .collect::<Vec<_>>()
            .join("/");
        for (verb, method) in
            [("get", Method::GET), ("post", Method::POST), ("put", Method::PUT), ("patch", Method::PATCH)]
        {
            if item.get(verb).is_none() {
                continue;
            }
            let body = (method != Method::GET).then(|| json!({}));
            let res = app.send(method.clone(), &concrete, Some(token), body, &[]).await;
            assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{method} {concrete}: {:?}", res.body);
            checked += 1;
        }
    }
    assert!(checked >= 80, "{checked} routes checked");
    let other = app.seed_store("BJ001").await;
    let stranger = app.token("nosy", &["advisor", "supervisor"], &[&other]);
    let listed = app.get(&links(&shop, &order), &stranger).await;
    assert_eq!(listed.status, StatusCode::NOT_FOUND);
    let revoke = format!("{}/{}/revoke", links(&shop, &order), issued["id"].as_str().unwrap());
    assert_eq!(app.post(&revoke, &stranger, json!({})).await.status, StatusCode::NOT_FOUND);
    assert_eq!(open(&app, issued["path"].as_str().unwrap()).await.status, StatusCode::OK, "still valid");
}

// WO-13: guessing is rate limited per address, whatever headers the guesser sends.
#[tokio::test]
async fn wo_13_token_guesses_are_rate_limited_per_address() {
    let app = TestApp::spawn_with(|c| {
        c.rate_limit_approval_per_minute = 6;
        c.rate_limit_approval_burst = 5;
    })
    .await;
    let mut statuses = Vec::new();
    for i in 0..8 {
        let guess = format!("/v1/approval/{i:0>43}");
        // A made-up Authorization header does not skip the budget.
        let res = app.send(Method::GET, &guess, Some("made-up"), None, &[]).await;
        statuses.push(res.status);
        if res.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(res.headers.contains_key("retry-after"), "{:?}", res.headers);
        }
    }
    assert_eq!(&statuses[..5], &[StatusCode::NOT_FOUND; 5], "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == StatusCode::TOO_MANY_REQUESTS), "{statuses:?}");
}

// WO-13 over gRPC: the store's side issues, lists and revokes as on REST; the approval recorded
// through the link reads the same on both fronts.
#[tokio::test]
async fn wo_13_the_stores_side_over_grpc_matches_rest() {
    use aftersales_grpc::{ApprovalLinkServiceClient, WorkOrderServiceClient, pb};

    use crate::common::authed;
    let app = TestApp::spawn().await;
    let shop = shop(&app).await;
    let order = quoted(&app, &shop).await;
    let id = order["id"].as_str().unwrap().to_string();
    let mut links_grpc = ApprovalLinkServiceClient::new(app.grpc_channel.clone());
    let issue = |ttl_hours| pb::IssueApprovalLinkRequest {
        store: shop.store.clone(),
        work_order_id: id.clone(),
        ttl_hours,
    };
    let denied = links_grpc.issue_approval_link(authed(&shop.technician, issue(None))).await.unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    let bad = links_grpc.issue_approval_link(authed(&shop.advisor, issue(Some(0)))).await.unwrap_err();
    assert_eq!(crate::common::status_details(&bad).1, vec!["ttl_hours"]);
    let issued =
        links_grpc.issue_approval_link(authed(&shop.advisor, issue(None))).await.unwrap().into_inner();
    let link = issued.link.clone().unwrap();
    assert_eq!(issued.path, format!("/v1/approval/{}", issued.token));

    let lines = open(&app, &issued.path).await.body["lines"].clone();
    let decisions = json!([
        {"line_id": lines[0]["line_id"], "approved": true},
        {"line_id": lines[1]["line_id"], "approved": false, "reason": "下次再换"},
    ]);
    assert_eq!(decide(&app, &issued.path, decisions).await.status, StatusCode::OK);
    let mut orders = WorkOrderServiceClient::new(app.grpc_channel.clone());
    let got = orders
        .get_work_order(authed(
            &shop.advisor,
            pb::GetWorkOrderRequest { store: shop.store.clone(), work_order_id: id.clone() },
        ))
        .await
        .unwrap()
        .into_inner();
    let approval = &got.approvals[0];
    assert_eq!(approval.method(), pb::ApprovalMethod::SignedLink);
    assert_eq!(
        (approval.link_id.as_deref(), approval.client_address.as_deref()),
        (Some(link.id.as_str()), Some("127.0.0.1"))
    );

    let listed = links_grpc
        .list_approval_links(authed(
            &shop.advisor,
            pb::ListApprovalLinksRequest {
                store: shop.store.clone(),
                work_order_id: id.clone(),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let rest = app.get(&links(&shop, &order), &shop.advisor).await.body;
    assert_eq!(listed.links.len(), 1);
    assert_eq!(rest["links"][0]["id"], listed.links[0].id);
    assert!(listed.links[0].used_at.is_some());

    // Revoking over gRPC: the next link stops working on REST.
    let second = quoted(&app, &shop).await;
    let second_id = second["id"].as_str().unwrap().to_string();
    let fresh = links_grpc
        .issue_approval_link(authed(
            &shop.advisor,
            pb::IssueApprovalLinkRequest {
                store: shop.store.clone(),
                work_order_id: second_id.clone(),
                ttl_hours: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let revoked = links_grpc
        .revoke_approval_link(authed(
            &shop.advisor,
            pb::RevokeApprovalLinkRequest {
                store: shop.store.clone(),
                work_order_id: second_id,
                link_id: fresh.link.unwrap().id,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(open(&app, &fresh.path).await.code(), "approval_link.revoked");
}

// WO-13, issue 13: the advisor sends the approval link by SMS; the link is made as the message
// goes out, so the token is in no stored record, not even the message; the customer opens it
// from the SMS alone. A message for an order no longer waiting is withdrawn, with no link made.
#[tokio::test]
async fn an_approval_link_goes_by_sms_and_its_token_is_stored_nowhere() {
    let (peer, url) = TencentPeer::start().await;
    let clock = TestClock::at("2026-12-07T02:00:00Z"); // 10:00 in Shanghai
    let app = TestApp::spawn_at_with(clock.clone(), |c| {
        with_tencent(url.clone())(c);
        c.approval_url = "https://app.example.cn/approve/{token}".into();
    })
    .await;
    let shop = shop(&app).await;
    let template = json!({"code": "approval_link", "channel": "sms", "provider_template_id": "3000001",
        "text": "{name}您好，请打开{link}确认报价，{hours}小时内有效"});
    let made =
        app.post(&format!("/v1/stores/{}/message-templates", shop.store), &shop.supervisor, template).await;
    assert_eq!(made.status, StatusCode::CREATED, "{:?}", made.body);
    let order = quoted(&app, &shop).await;
    let send = format!("{}/{}/approval-links/send", shop.orders(), order["id"].as_str().unwrap());
    let queued = app.post(&send, &shop.advisor, json!({"ttl_hours": 48})).await;
    assert_eq!(queued.status, StatusCode::ACCEPTED, "{:?}", queued.body);
    assert_eq!(queued.body["text"], "张伟您好，请打开（链接）确认报价，48小时内有效");
    let sent = out_of_queue(&app, &shop.store, &shop.advisor, queued.body["id"].as_str().unwrap()).await;
    assert_eq!(sent["status"], "sent", "{sent:?}");
    let params = peer.sends.lock().unwrap()[0]["TemplateParamSet"].clone();
    let link = params[1].as_str().unwrap().to_string();
    let token = link.strip_prefix("https://app.example.cn/approve/").unwrap().to_string();
    assert_eq!((params[0].as_str(), params[2].as_str(), token.len()), (Some("张伟"), Some("48"), 43));
    // The customer opens it from the SMS alone; nothing the service keeps holds the token.
    let view = app.send(reqwest::Method::GET, &format!("/v1/approval/{token}"), None, None, &[]).await;
    assert_eq!(view.status, StatusCode::OK, "{:?}", view.body);
    assert!(!sent.to_string().contains(&token), "the stored message keeps no token");
    let listed = app
        .get(&format!("{}/{}/approval-links", shop.orders(), order["id"].as_str().unwrap()), &shop.advisor)
        .await;
    let made_by = &listed.body["links"][0];
    assert_eq!(
        (made_by["created_by"].as_str(), listed.body.to_string().contains(&token)),
        (Some("system"), false)
    );

    // Sent at 22:00 it waits for 09:00; the customer decides meanwhile (through the first link),
    // so the second is withdrawn and no second link is made. Once decided, a send is refused.
    clock.set("2026-12-07T14:00:00Z");
    let again = app.post(&send, &shop.advisor, json!({})).await;
    assert_eq!(again.status, StatusCode::ACCEPTED, "{:?}", again.body);
    let decisions: Vec<Value> = view.body["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| json!({"line_id": l["line_id"], "approved": true}))
        .collect();
    let decided = app
        .send(
            reqwest::Method::POST,
            &format!("/v1/approval/{token}/decisions"),
            None,
            Some(json!({"decisions": decisions})),
            &[],
        )
        .await;
    assert_eq!(decided.status, StatusCode::OK, "{:?}", decided.body);
    assert_eq!(app.post(&send, &shop.advisor, json!({})).await.code(), "work_order.invalid_transition");
    clock.set("2026-12-08T01:00:00Z");
    let withdrawn = out_of_queue(&app, &shop.store, &shop.advisor, again.body["id"].as_str().unwrap()).await;
    assert_eq!(
        (withdrawn["status"].as_str(), withdrawn["suppressed_reason"].as_str()),
        (Some("suppressed"), Some("withdrawn")),
        "{withdrawn:?}"
    );
    let links_now = app
        .get(&format!("{}/{}/approval-links", shop.orders(), order["id"].as_str().unwrap()), &shop.advisor)
        .await;
    assert_eq!(links_now.body["links"].as_array().unwrap().len(), 1, "no link for a decided estimate");
    assert_eq!(peer.sends.lock().unwrap().len(), 1);
}

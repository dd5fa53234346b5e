//! Campaigns, letters and visits over REST (FU-1, FU-7, FU-8), on a set clock.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::{TestApp, TestClock};
use crate::work_orders::shop;

async fn tasks_of(app: &TestApp, store: &str, customer: &str, token: &str) -> Vec<Value> {
    let res = app.get(&format!("/v1/stores/{store}/follow-up-tasks?customer_id={customer}"), token).await;
    assert_eq!(res.status, StatusCode::OK, "{:?}", res.body);
    res.body["follow_up_tasks"].as_array().cloned().unwrap_or_default()
}

/// Records the customer's marketing consent (or its withdrawal), as an advisor would (CF-5).
pub async fn set_consent(app: &TestApp, store: &str, customer: &str, granted: bool) {
    let res = app
        .patch(
            &format!("/v1/stores/{store}/customers/{customer}"),
            &app.advisor(store),
            json!({"marketing_consent": granted, "consent_method": "phone"}),
        )
        .await;
    assert_eq!(res.status, StatusCode::OK, "{:?}", res.body);
}

async fn add_agent(app: &TestApp, store: &str, supervisor: &str, id: &str) {
    let res = app
        .post(
            &format!("/v1/stores/{store}/staff"),
            supervisor,
            json!({"id": id, "name": id, "roles": ["followup_agent"]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{:?}", res.body);
}

// FU-7: customers are phoned at least 14 days before the event, then written to within 2 days of the call.
#[tokio::test]
async fn a_campaign_is_phoned_two_weeks_ahead_and_each_call_is_followed_by_a_letter() {
    let clock = TestClock::at("2026-11-27T02:00:00Z"); // the 27th, 10:00 in Shanghai
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await;
    set_consent(&app, &shop.store, &shop.customer, true).await;
    add_agent(&app, &shop.store, &shop.supervisor, "fu-1").await;
    let campaigns = format!("/v1/stores/{}/campaigns", shop.store);
    let campaign = |event: &str| {
        json!({"name": "冬季免费检测", "kind": "free_service", "event_date": event,
               "customer_ids": [shop.customer], "letter_wanted": true})
    };

    let too_soon = app.post(&campaigns, &shop.supervisor, campaign("2026-12-10")).await;
    assert_eq!(
        too_soon.fields(),
        vec!["event_date"],
        "13 days ahead leaves no day to call: {:?}",
        too_soon.body
    );
    let agent = app.token("fu-1", &["followup_agent"], &[&shop.store]);
    assert_eq!(app.post(&campaigns, &agent, campaign("2026-12-31")).await.status, StatusCode::FORBIDDEN);
    let unknown = app
        .post(
            &campaigns,
            &shop.supervisor,
            json!({"name": "x", "kind": "discount", "event_date": "2026-12-31",
                   "customer_ids": [uuid::Uuid::new_v4()], "letter_wanted": false}),
        )
        .await;
    assert_eq!(unknown.fields(), vec!["customer_ids[0]"]);

    let created = app.post(&campaigns, &shop.supervisor, campaign("2026-12-11")).await;
    assert_eq!(created.status, StatusCode::CREATED, "14 days ahead: today is the last day to call");
    let calls = tasks_of(&app, &shop.store, &shop.customer, &shop.supervisor).await;
    let call = calls.iter().find(|t| t["kind"] == "campaign_call").expect("a call task");
    assert_eq!(
        (call["due_from"].as_str(), call["due_to"].as_str()),
        (Some("2026-11-27"), Some("2026-11-27"))
    );
    assert_eq!(call["assignee"], "fu-1");
    assert_eq!(call["campaign_id"], created.body["id"], "the call task names its campaign");

    let reached = app
        .post(
            &format!("/v1/stores/{}/contact-records", shop.store),
            &agent,
            json!({"customer_id": shop.customer, "task_id": call["id"], "channel": "phone",
                   "outcome": "reached", "topics": ["活动邀请"], "completes_task": true}),
        )
        .await;
    assert_eq!(reached.status, StatusCode::CREATED, "{:?}", reached.body);
    let after = tasks_of(&app, &shop.store, &shop.customer, &shop.supervisor).await;
    let letter_task = after.iter().find(|t| t["kind"] == "campaign_letter").expect("a letter task");
    assert_eq!(
        (letter_task["due_from"].as_str(), letter_task["due_to"].as_str()),
        (Some("2026-11-27"), Some("2026-11-29")),
        "within 2 days of the call"
    );
    assert_eq!(letter_task["status"], "open");

    // FU-8: the letter goes into the register and fulfils the task; a second cannot fulfil it again.
    let letters = format!("/v1/stores/{}/letters", shop.store);
    let letter = json!({"customer_id": shop.customer, "kind": "invitation", "subject": "冬季免费检测邀请函",
                        "channel": "post", "task_id": letter_task["id"]});
    let sent = app.post(&letters, &agent, letter.clone()).await;
    assert_eq!(sent.status, StatusCode::CREATED, "{:?}", sent.body);
    assert_eq!(sent.body["sent_by"], "fu-1");
    let done = tasks_of(&app, &shop.store, &shop.customer, &shop.supervisor).await;
    assert_eq!(done.iter().find(|t| t["id"] == letter_task["id"]).unwrap()["status"], "done");
    assert_eq!(app.post(&letters, &agent, letter).await.fields(), vec!["task_id"]);
    let register = app.get(&letters, &shop.supervisor).await;
    assert_eq!(register.body["letters"].as_array().map(Vec::len), Some(1), "{:?}", register.body);
    assert_eq!(register.body["letters"][0]["subject"], "冬季免费检测邀请函");

    // HQ-1: FU-7 compliance for headquarters.
    let hq = app.token("hq-1", &["hq_analyst"], &["*"]);
    let figures = app.get("/v1/analytics/follow-up?period=2026-11", &hq).await.body;
    let sh = &figures["stores"][0];
    assert_eq!(
        (sh["campaign_call_on_time_rate"].as_f64(), sh["campaign_letter_on_time_rate"].as_f64()),
        (Some(1.0), Some(1.0)),
        "{figures:?}"
    );
    assert_eq!(sh["figures"]["letters"], 1, "the registered letter counts (FU-8)");
}

// FU-1: a visit or consultation is followed up on days 3 to 7, by someone other than who received it.
#[tokio::test]
async fn a_visit_is_followed_up_by_someone_else_three_to_seven_days_later() {
    let clock = TestClock::at("2026-11-27T02:00:00Z");
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await;
    add_agent(&app, &shop.store, &shop.supervisor, "fu-1").await;
    add_agent(&app, &shop.store, &shop.supervisor, "fu-2").await;
    let receiver = app.token("fu-1", &["followup_agent"], &[&shop.store]);
    let visits = format!("/v1/stores/{}/visits", shop.store);
    for _ in 0..3 {
        let visit = app
            .post(
                &visits,
                &receiver,
                json!({"customer_id": shop.customer, "purpose": "咨询保养价格", "channel": "in_person"}),
            )
            .await;
        assert_eq!(visit.status, StatusCode::CREATED, "{:?}", visit.body);
        assert_eq!(visit.body["kind"], "first_follow_up");
        assert_eq!(
            (visit.body["due_from"].as_str(), visit.body["due_to"].as_str()),
            (Some("2026-11-30"), Some("2026-12-04"))
        );
        assert_eq!(visit.body["assignee"], "fu-2", "FU-3: not the one who received the visit");
    }
    let blank = app
        .post(&visits, &receiver, json!({"customer_id": shop.customer, "purpose": " ", "channel": "phone"}))
        .await;
    assert_eq!(blank.fields(), vec!["purpose"]);
    let technician = app.token("tech-1", &["technician"], &[&shop.store]);
    let denied = app
        .post(&visits, &technician, json!({"customer_id": shop.customer, "purpose": "x", "channel": "phone"}))
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
}

// FU-7, FU-8, FU-1 over gRPC: the same rules answer the same way.
#[tokio::test]
async fn campaigns_letters_and_visits_work_over_grpc() {
    use aftersales_grpc::FollowUpServiceClient;
    use aftersales_grpc::pb;

    use crate::common::authed;

    let clock = TestClock::at("2026-11-27T02:00:00Z");
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await;
    set_consent(&app, &shop.store, &shop.customer, true).await;
    add_agent(&app, &shop.store, &shop.supervisor, "fu-1").await;
    let mut client = FollowUpServiceClient::new(app.grpc_channel.clone());
    let campaign = |event: &str| pb::CreateCampaignRequest {
        store: shop.store.clone(),
        name: "春季团购".into(),
        kind: pb::CampaignKind::Discount.into(),
        event_date: event.into(),
        customer_ids: vec![shop.customer.clone()],
        letter_wanted: false,
        request_id: String::new(),
    };
    let too_soon =
        client.create_campaign(authed(&shop.supervisor, campaign("2026-12-10"))).await.unwrap_err();
    assert_eq!(too_soon.code(), tonic::Code::InvalidArgument);
    assert!(too_soon.message().contains("event_date"), "{}", too_soon.message());
    let created =
        client.create_campaign(authed(&shop.supervisor, campaign("2026-12-31"))).await.unwrap().into_inner();
    assert_eq!((created.event_date.as_str(), created.customer_ids.len()), ("2026-12-31", 1));
    let call = tasks_of(&app, &shop.store, &shop.customer, &shop.supervisor)
        .await
        .into_iter()
        .find(|t| t["kind"] == "campaign_call")
        .expect("a call task");
    assert_eq!(
        (call["due_from"].as_str(), call["due_to"].as_str()),
        (Some("2026-11-27"), Some("2026-12-17"))
    );
    assert_eq!(call["campaign_id"], created.id.as_str());
    let over_grpc = client
        .get_follow_up_task(authed(
            &shop.supervisor,
            pb::GetFollowUpTaskRequest {
                store: shop.store.clone(),
                task_id: call["id"].as_str().unwrap_or_default().into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(over_grpc.campaign_id.as_deref(), Some(created.id.as_str()), "both fronts name it");

    let agent = app.token("fu-1", &["followup_agent"], &[&shop.store]);
    let letter = client
        .send_letter(authed(
            &agent,
            pb::SendLetterRequest {
                store: shop.store.clone(),
                customer_id: shop.customer.clone(),
                kind: pb::LetterKind::Notice.into(),
                subject: "保养到期提醒".into(),
                channel: pb::LetterChannel::Wechat.into(),
                task_id: None,
                request_id: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let listed = client
        .list_letters(authed(
            &shop.supervisor,
            pb::ListLettersRequest {
                store: shop.store.clone(),
                page_size: 10,
                page_token: String::new(),
                updated_since: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let rest = app.get(&format!("/v1/stores/{}/letters", shop.store), &shop.supervisor).await.body;
    assert_eq!(listed.letters.iter().map(|l| l.id.clone()).collect::<Vec<_>>(), vec![letter.id.clone()]);
    assert_eq!(rest["letters"][0]["id"], letter.id.as_str());

    let visit = client
        .record_visit(authed(
            &agent,
            pb::RecordVisitRequest {
                store: shop.store.clone(),
                customer_id: shop.customer.clone(),
                purpose: "电话咨询".into(),
                channel: pb::FollowUpChannel::Phone.into(),
                request_id: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(visit.kind, i32::from(pb::TaskKind::FirstFollowUp));
    assert_eq!((visit.due_from.as_str(), visit.due_to.as_str()), ("2026-11-30", "2026-12-04"));
}

// CF-5: a campaign is marketing. Customers without consent are left out (the answer says who and
// why); withdrawing consent cancels the customer's open marketing tasks at once, recorded, and
// leaves service follow-ups alone; an invitation letter needs consent too.
#[tokio::test]
async fn cf5_campaigns_honour_marketing_consent_and_its_withdrawal() {
    let clock = TestClock::at("2026-11-27T02:00:00Z");
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await;
    add_agent(&app, &shop.store, &shop.supervisor, "fu-1").await;
    let mut customers = Vec::new();
    for (i, consent) in [true, false, true, false].into_iter().enumerate() {
        let id = app.seed_customer(&shop.store, &format!("客户{i}"), &format!("1391234000{i}")).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        if consent {
            set_consent(&app, &shop.store, &id, true).await;
        }
        customers.push(id);
    }
    let created = app
        .post(
            &format!("/v1/stores/{}/campaigns", shop.store),
            &shop.supervisor,
            json!({"name": "车主联谊会", "kind": "social_event", "event_date": "2026-12-31",
                   "customer_ids": customers, "letter_wanted": true}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["customer_ids"], json!([customers[0], customers[2]]));
    assert_eq!(
        created.body["left_out"],
        json!([{"customer_id": customers[1], "reason": "no_marketing_consent"},
               {"customer_id": customers[3], "reason": "no_marketing_consent"}])
    );
    for (i, id) in customers.iter().enumerate() {
        let calls: Vec<Value> = tasks_of(&app, &shop.store, id, &shop.supervisor)
            .await
            .into_iter()
            .filter(|t| t["kind"] == "campaign_call")
            .collect();
        assert_eq!(calls.len(), usize::from(i % 2 == 0), "customer {i}: {calls:?}");
    }

    // A visit gives customer 0 a service follow-up beside the campaign call.
    let receiver = app.token("rcv-1", &["followup_agent"], &[&shop.store]);
    let visit = app
        .post(
            &format!("/v1/stores/{}/visits", shop.store),
            &receiver,
            json!({"customer_id": customers[0], "purpose": "咨询", "channel": "phone"}),
        )
        .await;
    assert_eq!(visit.status, StatusCode::CREATED, "{:?}", visit.body);
    set_consent(&app, &shop.store, &customers[0], false).await;
    let after = tasks_of(&app, &shop.store, &customers[0], &shop.supervisor).await;
    let call = after.iter().find(|t| t["kind"] == "campaign_call").expect("the call task");
    assert_eq!(call["status"], "cancelled", "an opt-out is honoured at once");
    let service = after.iter().find(|t| t["kind"] == "first_follow_up").expect("the service follow-up");
    assert_eq!(service["status"], "open", "service contact is not marketing");
    let trail =
        format!("/v1/stores/{}/audit-events?resource_id={}", shop.store, call["id"].as_str().unwrap());
    let audit = app.get(&trail, &shop.supervisor).await;
    let recorded = audit.body["audit_events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "follow_up_task.cancel.consent_withdrawn");
    assert!(recorded, "the cancellation is on the audit trail: {:?}", audit.body);

    // Marketing letters need consent too; a service notice does not.
    let letters = format!("/v1/stores/{}/letters", shop.store);
    let agent = app.token("fu-1", &["followup_agent"], &[&shop.store]);
    let invitation = app
        .post(
            &letters,
            &agent,
            json!({"customer_id": customers[1], "kind": "invitation", "subject": "邀请函", "channel": "post"}),
        )
        .await;
    assert_eq!(
        (invitation.status, invitation.code()),
        (StatusCode::CONFLICT, "customer.no_marketing_consent")
    );
    let notice = app
        .post(
            &letters,
            &agent,
            json!({"customer_id": customers[1], "kind": "notice", "subject": "保养提醒", "channel": "post"}),
        )
        .await;
    assert_eq!(notice.status, StatusCode::CREATED, "{:?}", notice.body);
}

// CF-5 over gRPC: the same campaign answer names who was left out.
#[tokio::test]
async fn cf5_campaigns_leave_out_customers_without_consent_over_grpc() {
    use aftersales_grpc::FollowUpServiceClient;
    use aftersales_grpc::pb;

    use crate::common::authed;

    let clock = TestClock::at("2026-11-27T02:00:00Z");
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await;
    let mut client = FollowUpServiceClient::new(app.grpc_channel.clone());
    let created = client
        .create_campaign(authed(
            &shop.supervisor,
            pb::CreateCampaignRequest {
                store: shop.store.clone(),
                name: "春季团购".into(),
                kind: pb::CampaignKind::Discount.into(),
                event_date: "2026-12-31".into(),
                customer_ids: vec![shop.customer.clone()],
                letter_wanted: false,
                request_id: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(created.customer_ids.is_empty());
    assert_eq!(created.left_out.len(), 1);
    assert_eq!(created.left_out[0].customer_id, shop.customer);
    assert_eq!(created.left_out[0].reason, i32::from(pb::LeftOutReason::NoMarketingConsent));
}

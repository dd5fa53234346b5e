//! The follow-up story to the month's summary and headquarters' figures (FU-1, FU-2, FU-6, FU-9,
//! HQ-1), on a set clock.

use aftersales_grpc::AnalyticsServiceClient;
use aftersales_grpc::pb;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_stream::StreamExt;

use crate::common::{TestApp, TestClock, authed};
use crate::work_orders::shop;

async fn deliver(app: &TestApp, shop: &crate::work_orders::Shop) -> Value {
    shop.delivered(app).await
}

// FU-1, FU-2, FU-6, FU-9, HQ-1
#[tokio::test]
async fn a_month_of_follow_up_is_summarised_for_the_store_and_for_headquarters() {
    let clock = TestClock::at("2026-11-02T02:00:00Z");
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await;
    app.post(
        &format!("/v1/stores/{}/staff", shop.store),
        &shop.supervisor,
        json!({"id": "fu-1", "name": "陈回访", "roles": ["followup_agent"]}),
    )
    .await;
    let agent = app.token("fu-1", &["followup_agent"], &[&shop.store]);
    deliver(&app, &shop).await;
    let tasks = app.get(&format!("/v1/stores/{}/follow-up-tasks", shop.store), &agent).await.body;
    let first = tasks["follow_up_tasks"][0].clone();
    assert_eq!(first["due_to"], "2026-11-09");

    // The first call, on time, with a complaint raised in it.
    clock.set("2026-11-05T02:00:00Z");
    let records = format!("/v1/stores/{}/contact-records", shop.store);
    let call = app
        .post(
            &records,
            &agent,
            json!({"customer_id": shop.customer, "task_id": first["id"], "channel": "phone",
            "outcome": "reached", "topics": ["维修质量"], "satisfaction": 3, "completes_task": true}),
        )
        .await;
    assert_eq!(call.status, StatusCode::CREATED, "{:?}", call.body);
    let complaint = app
        .post(&format!("/v1/stores/{}/complaints", shop.store), &agent,
            json!({"customer_id": shop.customer, "contact_id": call.body["id"], "summary": "刹车仍有轻微异响"}))
        .await
        .body;
    let path = format!("/v1/stores/{}/complaints/{}", shop.store, complaint["id"].as_str().unwrap());
    clock.set("2026-11-08T02:00:00Z");
    assert_eq!(app.services().complaints.escalate_due().await.unwrap(), 1);
    clock.set("2026-11-08T06:00:00Z");
    app.post(&format!("{path}/resolve"), &shop.supervisor, json!({"solution": "更换刹车片"})).await;
    app.post(&format!("{path}/notify-customer"), &shop.supervisor, json!({})).await;
    let closed = app.post(&format!("{path}/close"), &shop.supervisor, json!({})).await;
    assert_eq!(closed.body["status"], "closed");
    // The second call (due 12 to 19 Nov) on the 14th, a satisfied customer.
    clock.set("2026-11-14T02:00:00Z");
    let all = app
        .get(&format!("/v1/stores/{}/follow-up-tasks?assignee=fu-1&status=open", shop.store), &agent)
        .await
        .body;
    let second = all["follow_up_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["kind"] == "second_follow_up")
        .unwrap()
        .clone();
    app.post(
        &records,
        &agent,
        json!({"customer_id": shop.customer, "task_id": second["id"], "channel": "wechat",
        "outcome": "reached", "topics": ["使用建议"], "satisfaction": 5, "completes_task": true}),
    )
    .await;

    let summary_path = format!("/v1/stores/{}/summaries", shop.store);
    let early = app
        .post(&summary_path, &shop.supervisor, json!({"period": "2026-11", "report": "本月回访情况良好"}))
        .await;
    assert_eq!(early.code(), "summary.period_not_over");
    clock.set("2026-11-30T16:00:00Z"); // 1 December has begun in Shanghai
    let live = app.get(&format!("{summary_path}/2026-11"), &shop.supervisor).await.body;
    let f = &live["figures"];
    assert_eq!(
        (f["first_follow_ups_due"].as_u64(), f["first_follow_ups_on_time"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (f["second_follow_ups_due"].as_u64(), f["second_follow_ups_on_time"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (
            f["complaints_opened"].as_u64(),
            f["complaints_escalated"].as_u64(),
            f["complaints_resolved"].as_u64()
        ),
        (Some(1), Some(1), Some(1))
    );
    assert_eq!(f["median_hours_to_resolution"], 76.0, "5 Nov 02:00 to 8 Nov 06:00");
    assert_eq!(
        (f["satisfaction_mean"].as_f64(), &f["satisfaction_distribution"]),
        (Some(4.0), &json!([0, 0, 1, 0, 1]))
    );
    let submitted = app
        .post(
            &summary_path,
            &shop.supervisor,
            json!({"period": "2026-11", "report": "本月回访情况良好，投诉一起已解决。"}),
        )
        .await;
    assert_eq!(submitted.status, StatusCode::CREATED, "{:?}", submitted.body);
    let again = app.post(&summary_path, &shop.supervisor, json!({"period": "2026-11", "report": "改"})).await;
    assert_eq!(again.code(), "summary.archived");
    let archived = app.get(&format!("{summary_path}/2026-11"), &shop.supervisor).await.body;
    assert_eq!(archived["submitted"]["report"], "本月回访情况良好，投诉一起已解决。");

    // Headquarters: the same figures, equal to a direct count, with no personal data anywhere.
    app.seed_store("BJ001").await;
    let hq = app.token("hq-1", &["hq_analyst"], &["*"]);
    let analytics = app.get("/v1/analytics/follow-up?period=2026-11", &hq).await;
    assert_eq!(analytics.status, StatusCode::OK, "{:?}", analytics.body);
    let sh =
        analytics.body["stores"].as_array().unwrap().iter().find(|s| s["store"] == "SH001").unwrap().clone();
    let direct_tasks = app
        .get(&format!("/v1/stores/{}/follow-up-tasks?page_size=500", shop.store), &shop.supervisor)
        .await
        .body;
    let due_in_november = direct_tasks["follow_up_tasks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["due_to"].as_str().unwrap().starts_with("2026-11"))
        .count();
    assert_eq!(sh["figures"]["tasks_due"].as_u64(), Some(due_in_november as u64));
    let direct_complaints =
        app.get(&format!("/v1/stores/{}/complaints", shop.store), &shop.supervisor).await.body;
    assert_eq!(
        sh["figures"]["complaints_opened"].as_u64(),
        Some(direct_complaints["complaints"].as_array().unwrap().len() as u64)
    );
    assert_eq!(
        (sh["first_follow_up_on_time_rate"].as_f64(), sh["complaints_within_limit_rate"].as_f64()),
        (Some(1.0), Some(0.0))
    );
    assert_eq!((sh["work_orders"].as_u64(), sh["comebacks"].as_u64()), (Some(1), Some(0)));
    let text = analytics.body.to_string();
    for personal in ["张伟", "13812345678", "138****5678", "LSVAU218XN2183294", "沪A12345"] {
        assert!(!text.contains(personal), "HQ figures leak {personal}");
    }
    assert_eq!(analytics.body["stores"].as_array().unwrap().len(), 2);
    let chosen = app.get("/v1/analytics/follow-up?period=2026&stores=BJ001", &hq).await.body;
    assert_eq!(chosen["stores"].as_array().unwrap().len(), 1);
    assert_eq!(
        app.get("/v1/analytics/follow-up?period=2026-11", &shop.supervisor).await.status,
        StatusCode::FORBIDDEN
    );
    let own_only = app.token("hq-2", &["hq_analyst"], &["BJ001"]);
    let hidden = app.get("/v1/analytics/follow-up?period=2026-11&stores=SH001", &own_only).await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND, "a store outside the token answers as missing");

    let mut client = AnalyticsServiceClient::new(app.grpc_channel.clone());
    let mut stream = client
        .export_follow_up_figures(authed(
            &hq,
            pb::ExportFollowUpFiguresRequest { period: "2026-11".into(), stores: vec![] },
        ))
        .await
        .unwrap()
        .into_inner();
    let mut streamed = Vec::new();
    while let Some(item) = stream.next().await {
        streamed.push(item.unwrap());
    }
    let grpc_sh = streamed.iter().find(|s| s.store == "SH001").unwrap();
    assert_eq!(grpc_sh.figures.as_ref().unwrap().complaints_escalated, 1);
    assert_eq!(grpc_sh.figures.as_ref().unwrap().satisfaction_distribution, vec![0, 0, 1, 0, 1]);

    // HQ-2: the counters rebuilt from the raw records on upgrade equal those kept along the way;
    // FU-6: so do the escalation instants the later migration fills in.
    use aftersales_migrations::MigratorTrait;
    use sea_orm::ConnectionTrait;
    let complaints = "/v1/stores/SH001/complaints";
    let supervisor = app.supervisor("SH001");
    let kept = app.get(complaints, &supervisor).await.body;
    assert!(kept["complaints"][0]["escalates_at"].is_string(), "{kept:?}");
    let db = aftersales_persistence::connect(&app.config.database_url, 2).await.unwrap();
    // Back past the counters' migration (the 8th) and every one after it, then up again.
    let after_counters = u32::try_from(aftersales_migrations::Migrator::migrations().len() - 7).unwrap();
    let found = |body: &Value| body["customers"].as_array().map(Vec::len);
    let search = "/v1/stores/SH001/customers?q=5678";
    let before = app.get(search, &supervisor).await.body;
    assert_eq!(found(&before), Some(1), "{before:?}");
    aftersales_migrations::Migrator::down(&db, Some(after_counters)).await.unwrap();
    // As a complaint saved before the instant was kept: no instant in its document.
    db.execute_unprepared(
        "UPDATE complaints SET document = REPLACE(document, '\"escalates_at\"', '\"was_escalates_at\"')",
    )
    .await
    .unwrap();
    aftersales_migrations::Migrator::up(&db, None).await.unwrap();
    let rebuilt = app.get("/v1/analytics/follow-up?period=2026-11", &hq).await;
    // Messages (issue 13, migration 21) went with the way down, their records with them: every
    // other figure is rebuilt from the records, and the messages counted before are gone.
    let without_messages = |body: &Value| {
        let mut body = body.clone();
        for store in body["stores"].as_array_mut().unwrap() {
            store["figures"].as_object_mut().unwrap().remove("messages");
        }
        body
    };
    let sh =
        |b: &Value| b["stores"].as_array().unwrap().iter().find(|s| s["store"] == "SH001").cloned().unwrap();
    // Whether the worker has sent them yet depends on timing: count them whatever their state.
    let service_messages = |b: &Value| -> u64 {
        let counted = &sh(b)["figures"]["messages"]["service"];
        ["queued", "sent", "failed", "suppressed"].iter().map(|k| counted[k].as_u64().unwrap()).sum()
    };
    assert_eq!(service_messages(&analytics.body), 2, "car ready and the complaint's answer");
    assert_eq!(service_messages(&rebuilt.body), 0);
    assert_eq!(without_messages(&rebuilt.body), without_messages(&analytics.body));
    let refilled = app.get(complaints, &supervisor).await.body;
    let instants = |b: &Value| -> Vec<Value> {
        b["complaints"].as_array().unwrap().iter().map(|c| c["escalates_at"].clone()).collect()
    };
    assert_eq!(instants(&refilled), instants(&kept));
    // CF-1: the search terms of the files already there are filled by the migration.
    assert_eq!(app.get(search, &supervisor).await.body, before);
}

// HQ-2: generated group volume reads the same from the counters as from a scan of the raw records.
#[tokio::test]
async fn seeded_volume_reads_the_same_from_the_counters_as_from_the_records() {
    use aftersales_server::seed::{SeedPlan, bench_hq, open, seed};

    let app = TestApp::spawn().await;
    let (services, repo) = open(&app.config).await.unwrap();
    let written = seed(
        &services,
        &repo,
        SeedPlan { stores: 3, tasks_per_store: 200, days: 60, customers_per_store: None, all_open: false },
    )
    .await
    .unwrap();
    assert!(written > 600, "customers, tasks and contacts: {written}");
    let period = chrono::Utc::now().format("%Y").to_string();
    let report = bench_hq(&services, &repo, &period, 1, 1).await.unwrap();
    assert_eq!(report.stores, 3);
    assert!(report.equal, "HQ figures differ from a direct count over the records");
    let hq = app.token("hq-1", &["hq_analyst"], &["*"]);
    let figures = app.get(&format!("/v1/analytics/follow-up?period={period}&stores=G0002"), &hq).await.body;
    assert!(figures["stores"][0]["figures"]["tasks_due"].as_u64().unwrap_or(0) > 0, "{figures:?}");
}

// FU-1, FU-2, FU-6, FU-9, HQ-1 over gRPC alone, after a delivery: the agent's, the supervisor's and
// the analyst's whole month.
#[tokio::test]
async fn the_follow_up_month_runs_over_grpc_alone() {
    use aftersales_grpc::FollowUpServiceClient;

    let clock = TestClock::at("2026-11-02T02:00:00Z");
    let app = TestApp::spawn_at(clock.clone()).await;
    let shop = shop(&app).await;
    let staff = app
        .post(
            &format!("/v1/stores/{}/staff", shop.store),
            &shop.supervisor,
            json!({"id": "fu-1", "name": "陈回访", "roles": ["followup_agent"]}),
        )
        .await;
    assert_eq!(staff.status, StatusCode::CREATED);
    deliver(&app, &shop).await;
    let agent = app.token("fu-1", &["followup_agent"], &[&shop.store]);
    let mut fu = FollowUpServiceClient::new(app.grpc_channel.clone());
    let store = shop.store.clone();
    let open_tasks = |token: &str| {
        authed(
            token,
            pb::ListFollowUpTasksRequest {
                store: store.clone(),
                assignee: "fu-1".into(),
                status: pb::TaskStatus::Open.into(),
                customer_id: String::new(),
                page_size: 50,
                page_token: String::new(),
                updated_since: None,
            },
        )
    };
    let tasks = fu.list_follow_up_tasks(open_tasks(&agent)).await.unwrap().into_inner().follow_up_tasks;
    let first = tasks.iter().find(|t| t.kind == i32::from(pb::TaskKind::FirstFollowUp)).unwrap().clone();
    assert_eq!((first.due_from.as_str(), first.due_to.as_str()), ("2026-11-05", "2026-11-09"));

    // The first call, on time, with a complaint in it.
    clock.set("2026-11-05T02:00:00Z");
    let contact = |task: &pb::FollowUpTask, score: u32, topic: &str| pb::RecordContactRequest {
        store: store.clone(),
        customer_id: shop.customer.clone(),
        task_id: Some(task.id.clone()),
        channel: pb::FollowUpChannel::Phone.into(),
        direction: pb::Direction::Outbound.into(),
        outcome: pb::ContactOutcome::Reached.into(),
        topics: vec![topic.into()],
        notes: None,
        satisfaction: Some(score),
        completes_task: true,
        request_id: String::new(),
    };
    let call = fu.record_contact(authed(&agent, contact(&first, 3, "维修质量"))).await.unwrap().into_inner();
    let complaint = fu
        .open_complaint(authed(
            &agent,
            pb::OpenComplaintRequest {
                store: store.clone(),
                customer_id: shop.customer.clone(),
                contact_id: Some(call.id.clone()),
                work_order_id: None,
                summary: "刹车仍有轻微异响".into(),
                solved_on_the_spot: None,
                request_id: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    // Two store days unresolved: escalated by the job, once.
    clock.set("2026-11-08T02:00:00Z");
    assert_eq!(app.services().complaints.escalate_due().await.unwrap(), 1);
    let target = |c: &pb::Complaint| (store.clone(), c.id.clone(), c.etag.clone());
    let escalated = fu
        .get_complaint(authed(&shop.supervisor, {
            let (store, complaint_id, etag) = target(&complaint);
            pb::GetComplaintRequest { store, complaint_id, etag }
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(escalated.status, i32::from(pb::ComplaintStatus::Escalated));
    clock.set("2026-11-08T06:00:00Z");
    let resolved = fu
        .resolve_complaint(authed(
            &shop.supervisor,
            pb::ResolveComplaintRequest {
                store: store.clone(),
                complaint_id: escalated.id.clone(),
                etag: escalated.etag.clone(),
                solution: "更换刹车片".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let told = fu
        .notify_complaint_customer(authed(&shop.supervisor, {
            let (store, complaint_id, etag) = target(&resolved);
            pb::NotifyComplaintCustomerRequest { store, complaint_id, etag }
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(!told.notice_breach, "told the same store day");
    let closed = fu
        .close_complaint(authed(&shop.supervisor, {
            let (store, complaint_id, etag) = target(&told);
            pb::CloseComplaintRequest { store, complaint_id, etag }
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(closed.return_visit_task.is_some(), "FU-6: closing creates the return visit");

    // The second call, inside day 7 to day 14 after the first.
    clock.set("2026-11-14T02:00:00Z");
    let tasks = fu.list_follow_up_tasks(open_tasks(&agent)).await.unwrap().into_inner().follow_up_tasks;
    let second = tasks.iter().find(|t| t.kind == i32::from(pb::TaskKind::SecondFollowUp)).unwrap().clone();
    assert_eq!(second.topics_covered, vec!["维修质量".to_string()]);
    fu.record_contact(authed(&agent, contact(&second, 5, "使用建议"))).await.unwrap();

    // The supervisor's monthly summary, then headquarters' figures.
    clock.set("2026-11-30T16:00:00Z");
    let submitted = fu
        .submit_summary(authed(
            &shop.supervisor,
            pb::SubmitSummaryRequest {
                store: store.clone(),
                period: "2026-11".into(),
                report: "本月良好".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let f = submitted.figures.unwrap();
    assert_eq!((f.first_follow_ups_due, f.first_follow_ups_on_time), (1, 1));
    assert_eq!((f.second_follow_ups_due, f.second_follow_ups_on_time), (1, 1));
    assert_eq!((f.complaints_opened, f.complaints_escalated, f.complaints_resolved), (1, 1, 1));
    assert_eq!(f.satisfaction_distribution, vec![0, 0, 1, 0, 1]);
    let hq = app.token("hq-1", &["hq_analyst"], &["*"]);
    let figures = AnalyticsServiceClient::new(app.grpc_channel.clone())
        .get_follow_up_figures(authed(
            &hq,
            pb::GetFollowUpFiguresRequest { period: "2026-11".into(), stores: vec![] },
        ))
        .await
        .unwrap()
        .into_inner();
    let sh = figures.stores.iter().find(|s| s.store == shop.store).unwrap();
    assert_eq!(sh.figures.as_ref(), Some(&f), "headquarters sees the same figures as the archived summary");
    assert_eq!(sh.first_follow_up_on_time_rate, Some(1.0));
}

//! The permission table, from outside: every route that takes a body checks the role before it
//! reads the body (a caller learns nothing of the shape of an action it may not take), and
//! supervisor lists answer the supervisor alone, on both fronts.

use aftersales_domain::app::{
    BookAppointment, CancelAppointment, CheckIn, ConfirmBooking, RescheduleAppointment,
};
use aftersales_domain::app::{CancelWorkOrder, CompleteLine, CompleteWork};
use aftersales_domain::app::{
    CloseUnreachable, CreateCampaign, CreateWorkOrder, DeliverWorkOrder, OpenComplaint, ProposeLines,
    ReassignTasks, RecordAccessories, RecordContact, RecordDecisions, RecordSignature, RecordVisit,
    ResolveComplaint, ReviseEstimate, SendLetter, StartWork, SubmitSummary,
};
use aftersales_domain::app::{CreateSubscription, IssueApprovalLink, ReplaySubscription, UpdateSubscription};
use aftersales_domain::auth::{Action, Command, Role};
use aftersales_domain::model::appointment::Capacity;
use aftersales_domain::model::customer::{
    AddVehicle, CreateCustomer, MergeCustomers, RecordOdometer, UpdateCustomer, UpdateVehicle,
};
use aftersales_domain::model::inspection::{SubmitEntryInspection, SubmitExitInspection};
use aftersales_domain::model::store::{CreateStaff, CreateStore, UpdateStaff, UpdateStore};
use aftersales_grpc::WorkOrderServiceClient;
use aftersales_grpc::pb;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::common::{TestApp, authed};

/// The action the body schema of a route needs, from the domain's own table.
fn action_of(schema: &str) -> Action {
    fn of<C: Command>() -> Action {
        C::ACTION
    }
    match schema {
        "CreateStore" => of::<CreateStore>(),
        "UpdateStore" => of::<UpdateStore>(),
        "CreateStaff" => of::<CreateStaff>(),
        "UpdateStaff" => of::<UpdateStaff>(),
        "CreateCustomer" => of::<CreateCustomer>(),
        "UpdateCustomer" => of::<UpdateCustomer>(),
        "MergeRequest" => of::<MergeCustomers>(),
        "AddVehicle" => of::<AddVehicle>(),
        "UpdateVehicle" => of::<UpdateVehicle>(),
        "RecordOdometer" => of::<RecordOdometer>(),
        "CreateWorkOrder" => of::<CreateWorkOrder>(),
        "RecordDecisions" => of::<RecordDecisions>(),
        "CancelWorkOrder" => of::<CancelWorkOrder>(),
        "ReviseEstimate" => of::<ReviseEstimate>(),
        "StartWork" => of::<StartWork>(),
        "ProposeLines" => of::<ProposeLines>(),
        "CompleteLine" => of::<CompleteLine>(),
        "CompleteWork" => of::<CompleteWork>(),
        "RecordAccessories" => of::<RecordAccessories>(),
        "RecordSignature" => of::<RecordSignature>(),
        "DeliverWorkOrder" => of::<DeliverWorkOrder>(),
        "SubmitEntryInspection" => of::<SubmitEntryInspection>(),
        "SubmitExitInspection" => of::<SubmitExitInspection>(),
        "RecordContact" => of::<RecordContact>(),
        "CloseUnreachable" => of::<CloseUnreachable>(),
        "ReassignTasks" => of::<ReassignTasks>(),
        "CreateCampaign" => of::<CreateCampaign>(),
        "RecordVisit" => of::<RecordVisit>(),
        "SendLetter" => of::<SendLetter>(),
        "OpenComplaint" => of::<OpenComplaint>(),
        "ResolveComplaint" => of::<ResolveComplaint>(),
        "SubmitSummary" => of::<SubmitSummary>(),
        "CreateSubscription" => of::<CreateSubscription>(),
        "UpdateSubscription" => of::<UpdateSubscription>(),
        "ReplaySubscription" => of::<ReplaySubscription>(),
        "Capacity" => of::<Capacity>(),
        "BookAppointment" => of::<BookAppointment>(),
        "ConfirmBooking" => of::<ConfirmBooking>(),
        "RescheduleAppointment" => of::<RescheduleAppointment>(),
        "CancelAppointment" => of::<CancelAppointment>(),
        "CheckIn" => of::<CheckIn>(),
        "IssueApprovalLink" => of::<IssueApprovalLink>(),
        "CreateTemplate" => of::<aftersales_domain::model::message::CreateTemplate>(),
        "GrantConsents" => of::<aftersales_domain::model::message::GrantConsents>(),
        "SendApprovalLink" => of::<aftersales_domain::app::SendApprovalLink>(),
        "TakePayment" => of::<aftersales_domain::model::work_order::TakePayment>(),
        "InsuranceClaimStep" => of::<aftersales_domain::model::work_order::InsuranceClaimStep>(),
        "WarrantyClaimStep" => of::<aftersales_domain::model::work_order::WarrantyClaimStep>(),
        "VoidSettlement" => of::<aftersales_domain::model::work_order::VoidSettlement>(),
        "DispatchLine" => of::<aftersales_domain::model::work_order::DispatchLine>(),
        "ClockLine" => of::<aftersales_domain::model::work_order::ClockLine>(),
        "DecideComeback" => of::<aftersales_domain::model::work_order::DecideComeback>(),
        other => panic!("route body {other} has no entry here: add it with its command"),
    }
}

const ROLES: [Role; 8] = [
    Role::Advisor,
    Role::Technician,
    Role::Inspector,
    Role::FollowupAgent,
    Role::Supervisor,
    Role::HqAnalyst,
    Role::Integration,
    Role::Admin,
];

/// Every route of the published document that takes a JSON body, with its schema name.
fn body_routes(doc: &Value) -> Vec<(Method, String, String)> {
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        // The approval link's routes take the link's token, not a JWT (WO-13; approval_links.rs).
        if path.starts_with("/v1/approval/") {
            continue;
        }
        for (verb, method) in [("post", Method::POST), ("put", Method::PUT), ("patch", Method::PATCH)] {
            let Some(op) = item.get(verb) else { continue };
            let Some(schema) = op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
            else {
                continue;
            };
            let name = schema.trim_start_matches("#/components/schemas/").to_string();
            let concrete = path
                .split('/')
                .map(|seg| match seg {
                    "{store}" => "SH001".to_string(),
                    "{staff_id}" => "nobody".to_string(),
                    s if s.starts_with('{') => uuid::Uuid::now_v7().to_string(),
                    s => s.to_string(),
                })
                .collect::<Vec<_>>()
                .join("/");
            routes.push((method.clone(), concrete, name));
        }
    }
    routes
}

// GEN-1 / API: the role is checked before the body; every body route, every role, over REST.
#[tokio::test]
async fn every_body_route_refuses_a_role_that_may_not_before_reading_the_body() {
    let app = TestApp::spawn().await;
    app.seed_store("SH001").await;
    let doc = app.send(Method::GET, "/openapi.json", None, None, &[]).await.body;
    let routes = body_routes(&doc);
    assert!(routes.len() >= 30, "{} body routes", routes.len());
    let mut checked = 0;
    for (method, path, schema) in &routes {
        let action = action_of(schema);
        for role in ROLES {
            let stores: &[&str] =
                if matches!(role, Role::Admin | Role::HqAnalyst) { &["*"] } else { &["SH001"] };
            let token = app.token("who-1", &[role.as_str()], stores);
            let res =
                app.send(method.clone(), path, Some(&token), Some(json!({"unexpected": true})), &[]).await;
            if action.allowed_roles().contains(&role) {
                assert_ne!(
                    res.status,
                    StatusCode::FORBIDDEN,
                    "{method} {path} as {}: {:?}",
                    role.as_str(),
                    res.body
                );
                assert_eq!(
                    res.status,
                    StatusCode::BAD_REQUEST,
                    "{method} {path} as {}: {:?}",
                    role.as_str(),
                    res.body
                );
            } else {
                assert_eq!(
                    (res.status, res.code()),
                    (StatusCode::FORBIDDEN, "permission_denied"),
                    "{method} {path} as {} must be refused before its body is read: {:?}",
                    role.as_str(),
                    res.body
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 240, "{checked} route x role answers checked");
}

// API: the same on gRPC: an empty request from a role that may not answers PERMISSION_DENIED.
#[tokio::test]
async fn grpc_steps_refuse_a_role_that_may_not_before_reading_the_request() {
    let app = TestApp::spawn().await;
    app.seed_store("SH001").await;
    let mut client = WorkOrderServiceClient::new(app.grpc_channel.clone());
    let technician = app.token("tech-1", &["technician"], &["SH001"]);
    let advisor = app.advisor("SH001");
    let id = uuid::Uuid::now_v7().to_string();
    let signature =
        pb::RecordSignatureRequest { store: "SH001".into(), work_order_id: id.clone(), ..Default::default() };
    let err = client.record_signature(authed(&technician, signature.clone())).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied, "{err:?}");
    let err = client.record_signature(authed(&advisor, signature)).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::InvalidArgument, "{err:?}");
    let lines =
        pb::ProposeLinesRequest { store: "SH001".into(), work_order_id: id.clone(), ..Default::default() };
    let err = client.propose_lines(authed(&advisor, lines)).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied, "{err:?}");
    let create = pb::CreateWorkOrderRequest { store: "SH001".into(), ..Default::default() };
    let err = client.create_work_order(authed(&technician, create)).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied, "{err:?}");
    let exit =
        pb::SubmitExitInspectionRequest { store: "SH001".into(), work_order_id: id, ..Default::default() };
    let mut inspections = aftersales_grpc::InspectionServiceClient::new(app.grpc_channel.clone());
    let err = inspections.submit_exit_inspection(authed(&advisor, exit)).await.unwrap_err();
    assert_eq!(err.code(), tonic::Code::PermissionDenied, "{err:?}");
}

// README role table: the supervisor lists (overdue, awaiting decision, incomplete files, another
// agent's worklist) answer the supervisor alone, on both fronts.
#[tokio::test]
async fn supervisor_lists_answer_only_the_supervisor() {
    let app = TestApp::spawn().await;
    app.seed_store("SH001").await;
    let lists = [
        "/v1/stores/SH001/work-orders?overdue=true",
        "/v1/stores/SH001/work-orders?awaiting_decision=true",
        "/v1/stores/SH001/work-orders?overdue=true&awaiting_decision=true",
        "/v1/stores/SH001/supervisor/incomplete-files",
        "/v1/stores/SH001/follow-up-tasks/worklist?agent=fu-9",
        "/v1/stores/SH001/claims",
        "/v1/stores/SH001/imports",
    ];
    for role in ["advisor", "technician", "inspector", "followup_agent", "integration"] {
        let token = app.token("who-1", &[role], &["SH001"]);
        for list in lists {
            let res = app.get(list, &token).await;
            assert!(
                matches!(res.status, StatusCode::FORBIDDEN),
                "{list} as {role}: {} {:?}",
                res.status,
                res.body
            );
        }
        let plain = app.get("/v1/stores/SH001/work-orders", &token).await;
        assert_eq!(plain.status, StatusCode::OK, "the plain list stays open to {role}");
    }
    let supervisor = app.supervisor("SH001");
    for list in lists {
        assert_eq!(app.get(list, &supervisor).await.status, StatusCode::OK, "{list}");
    }
    let mut client = WorkOrderServiceClient::new(app.grpc_channel.clone());
    for (overdue, awaiting) in [(true, false), (false, true)] {
        let req = pb::ListWorkOrdersRequest {
            store: "SH001".into(),
            overdue,
            awaiting_decision: awaiting,
            ..Default::default()
        };
        let err = client.list_work_orders(authed(&app.advisor("SH001"), req.clone())).await.unwrap_err();
        assert_eq!(err.code(), tonic::Code::PermissionDenied);
        assert!(client.list_work_orders(authed(&supervisor, req)).await.is_ok());
    }
}

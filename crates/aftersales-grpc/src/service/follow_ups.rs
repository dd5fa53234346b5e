//! `FollowUpService`.

use aftersales_domain::app::{
    CloseUnreachable, OpenComplaint, ReassignTasks, RecordContact, ResolveComplaint,
};
use aftersales_domain::app::{CreateCampaign, RecordVisit, SendLetter};
use aftersales_domain::model::follow_up::{
    Campaign, CampaignKind, LeftOutReason, Letter, LetterChannel, LetterKind,
};
use aftersales_domain::model::follow_up::{
    Complaint, ComplaintId, ComplaintStatus, ContactId, ContactOutcome, ContactRecord, Direction,
    FallbackChannel, FollowUpChannel, FollowUpTask, TaskId, TaskStatus,
};
use aftersales_domain::model::work_order::WorkOrderId;
use aftersales_domain::ports::{ContactFilter, TaskFilter};
use aftersales_domain::value::{CustomerId, Etag, StoreCode};
use tonic::{Request, Response, Status};

use super::{Adapter, Answer, answer, may};
use crate::convert::{EnumField, date, non_empty, page, request_id, store_code, ts};
use crate::pb;
use crate::status::{invalid, to_status};

fn optional_id<T>(
    field: &str,
    raw: &str,
    parse: fn(&str, &str) -> aftersales_domain::Result<T>,
) -> Result<Option<T>, Status> {
    if raw.is_empty() { Ok(None) } else { parse(field, raw).map(Some).map_err(to_status) }
}

impl From<Campaign> for pb::Campaign {
    fn from(c: Campaign) -> Self {
        let Campaign {
            id,
            store,
            name,
            kind,
            event_date,
            letter_wanted,
            customers,
            left_out,
            created_by: _,
            created_at,
        } = c;
        Self {
            id: id.0.to_string(),
            store: store.to_string(),
            name,
            kind: pb::CampaignKind::from(kind).into(),
            event_date: event_date.to_string(),
            letter_wanted,
            customer_ids: customers.iter().map(|id| id.0.to_string()).collect(),
            created_at: ts(created_at),
            left_out: left_out
                .into_iter()
                .map(|l| pb::LeftOut {
                    customer_id: l.customer_id.0.to_string(),
                    reason: match l.reason {
                        LeftOutReason::NoMarketingConsent => pb::LeftOutReason::NoMarketingConsent,
                    }
                    .into(),
                })
                .collect(),
        }
    }
}

impl From<Letter> for pb::Letter {
    fn from(l: Letter) -> Self {
        Self {
            id: l.id.0.to_string(),
            customer_id: l.customer_id.0.to_string(),
            kind: pb::LetterKind::from(l.kind).into(),
            subject: l.subject,
            channel: pb::LetterChannel::from(l.channel).into(),
            task_id: l.task_id.map(|t| t.0.to_string()),
            sent_by: l.sent_by,
            sent_at: ts(l.sent_at),
        }
    }
}

impl From<FollowUpTask> for pb::FollowUpTask {
    fn from(t: FollowUpTask) -> Self {
        Self {
            id: t.id.to_string(),
            store: t.store.to_string(),
            kind: pb::TaskKind::from(t.kind).into(),
            customer_id: t.customer_id.to_string(),
            work_order_id: t.work_order_id.map(|w| w.to_string()),
            previous_task: t.previous_task.map(|p| p.to_string()),
            assignee: t.assignee,
            due_from: t.due_from.to_string(),
            due_to: t.due_to.to_string(),
            status: pb::TaskStatus::from(t.status).into(),
            topics_covered: t.topics_covered,
            subjects: t.subjects,
            closed_at: t.closed_at.and_then(ts),
            etag: Etag::render(t.version),
            created_at: ts(t.created_at),
        }
    }
}

impl From<Complaint> for pb::Complaint {
    fn from(c: Complaint) -> Self {
        Self {
            id: c.id.to_string(),
            customer_id: c.customer_id.to_string(),
            contact_id: c.contact_id.map(|x| x.to_string()),
            work_order_id: c.work_order_id.map(|x| x.to_string()),
            summary: c.summary,
            status: pb::ComplaintStatus::from(c.status).into(),
            opened_at: ts(c.opened_at),
            escalated_at: c.escalated_at.and_then(ts),
            escalates_at: c.escalates_at.and_then(ts),
            solution: c.solution,
            resolved_at: c.resolved_at.and_then(ts),
            customer_notified_at: c.customer_notified_at.and_then(ts),
            notice_breach: c.notice_breach,
            return_visit_task: c.return_visit_task.map(|t| t.to_string()),
            history: c
                .history
                .into_iter()
                .map(|e| pb::ComplaintEvent { action: e.action, actor: e.actor, at: ts(e.at), note: e.note })
                .collect(),
            etag: Etag::render(c.version),
        }
    }
}

fn complaint_target(r: &pb::ComplaintRequest) -> Result<(StoreCode, ComplaintId, Option<Etag>), Status> {
    Ok((
        store_code(&r.store)?,
        ComplaintId::parse("complaint_id", &r.complaint_id).map_err(to_status)?,
        crate::convert::etag(&r.etag)?,
    ))
}

impl From<ContactRecord> for pb::ContactRecord {
    fn from(c: ContactRecord) -> Self {
        Self {
            id: c.id.to_string(),
            customer_id: c.customer_id.to_string(),
            task_id: c.task_id.map(|t| t.to_string()),
            channel: pb::FollowUpChannel::from(c.channel).into(),
            direction: pb::Direction::from(c.direction).into(),
            outcome: pb::ContactOutcome::from(c.outcome).into(),
            topics: c.topics,
            notes: c.notes,
            satisfaction: c.satisfaction.map(u32::from),
            agent: c.agent,
            contacted_at: ts(c.contacted_at),
        }
    }
}

#[tonic::async_trait]
impl pb::follow_up_service_server::FollowUpService for Adapter {
    async fn list_follow_up_tasks(
        &self,
        req: Request<pb::ListFollowUpTasksRequest>,
    ) -> Answer<pb::ListFollowUpTasksResponse> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        let filter = TaskFilter {
            assignee: non_empty(&r.assignee),
            status: TaskStatus::from_proto(r.status)?,
            due_by: None,
            customer_id: optional_id("customer_id", &r.customer_id, CustomerId::parse)?,
            due_within: None,
        };
        let result = self
            .services
            .follow_ups
            .list_tasks(&who, &store, &filter, &page(r.page_size, &r.page_token)?)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListFollowUpTasksResponse {
            follow_up_tasks: result.items.into_iter().map(Into::into).collect(),
            next_page_token: result.next_page_token.unwrap_or_default(),
        }))
    }

    async fn get_follow_up_task(&self, req: Request<pb::GetFollowUpTaskRequest>) -> Answer<pb::FollowUpTask> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let id = TaskId::parse("task_id", &r.task_id).map_err(to_status)?;
        answer(self.services.follow_ups.get_task(&who, &store_code(&r.store)?, id).await)
    }

    async fn get_worklist(&self, req: Request<pb::GetWorklistRequest>) -> Answer<pb::GetWorklistResponse> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        let agent = non_empty(&r.agent);
        let day = date("day", Some(&r.day))?;
        let plan = self
            .services
            .follow_ups
            .worklist(&who, &store, agent.as_deref(), day, &page(r.page_size, &r.page_token)?)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::GetWorklistResponse {
            next_page_token: plan.next_page_token.unwrap_or_default(),
            items: plan
                .items
                .into_iter()
                .map(|i| pb::WorklistItem {
                    task: Some(i.task.into()),
                    overdue: i.overdue,
                    next_call_at: i.next_call_at.and_then(ts),
                })
                .collect(),
        }))
    }

    async fn record_contact(&self, req: Request<pb::RecordContactRequest>) -> Answer<pb::ContactRecord> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        may::<RecordContact>(&who, Some(&store))?;
        let cmd = RecordContact {
            customer_id: CustomerId::parse("customer_id", &r.customer_id).map_err(to_status)?,
            task_id: optional_id("task_id", r.task_id.as_deref().unwrap_or(""), TaskId::parse)?,
            channel: FollowUpChannel::from_proto(r.channel)?
                .ok_or_else(|| invalid("channel", "is required"))?,
            direction: Direction::from_proto(r.direction)?,
            outcome: ContactOutcome::from_proto(r.outcome)?
                .ok_or_else(|| invalid("outcome", "is required"))?,
            topics: r.topics,
            notes: r.notes,
            satisfaction: match r.satisfaction {
                Some(s) => Some(u8::try_from(s).map_err(|_| invalid("satisfaction", "must be 1 to 5"))?),
                None => None,
            },
            completes_task: Some(r.completes_task),
        };
        answer(self.services.follow_ups.record_contact(&who, &store, cmd, request_id(&r.request_id)?).await)
    }

    async fn close_unreachable(&self, req: Request<pb::CloseUnreachableRequest>) -> Answer<pb::FollowUpTask> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        may::<CloseUnreachable>(&who, Some(&store))?;
        let id = TaskId::parse("task_id", &r.task_id).map_err(to_status)?;
        let cmd = CloseUnreachable {
            fallback_channel: match FollowUpChannel::from_proto(r.fallback_channel)? {
                Some(FollowUpChannel::Sms) => FallbackChannel::Sms,
                Some(FollowUpChannel::Letter) => FallbackChannel::Letter,
                Some(FollowUpChannel::Phone | FollowUpChannel::Wechat | FollowUpChannel::InPerson) => {
                    return Err(invalid("fallback_channel", "must be sms or letter (FU-5)"));
                }
                None => return Err(invalid("fallback_channel", "is required")),
            },
            notes: r.notes,
        };
        answer(
            self.services
                .follow_ups
                .close_unreachable(&who, &store, id, cmd, request_id(&r.request_id)?)
                .await,
        )
    }

    async fn reassign_tasks(
        &self,
        req: Request<pb::ReassignTasksRequest>,
    ) -> Answer<pb::ListFollowUpTasksResponse> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        may::<ReassignTasks>(&who, Some(&store))?;
        let cmd = ReassignTasks {
            from_agent: r.from_agent,
            absent_from: date("absent_from", Some(&r.absent_from))?
                .ok_or_else(|| invalid("absent_from", "is required"))?,
            absent_to: date("absent_to", Some(&r.absent_to))?
                .ok_or_else(|| invalid("absent_to", "is required"))?,
            to_agent: r.to_agent,
        };
        let moved = self.services.follow_ups.reassign(&who, &store, cmd).await.map_err(to_status)?.moved;
        Ok(Response::new(pb::ListFollowUpTasksResponse {
            follow_up_tasks: moved.into_iter().map(Into::into).collect(),
            next_page_token: String::new(),
        }))
    }

    async fn get_summary(&self, req: Request<pb::GetSummaryRequest>) -> Answer<pb::SummaryView> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        answer(self.services.summaries.get(&who, &store_code(&r.store)?, &r.period).await)
    }

    async fn submit_summary(&self, req: Request<pb::SubmitSummaryRequest>) -> Answer<pb::Summary> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        may::<aftersales_domain::app::SubmitSummary>(&who, Some(&store))?;
        let cmd = aftersales_domain::app::SubmitSummary { period: r.period, report: r.report };
        answer(self.services.summaries.submit(&who, &store, cmd).await)
    }

    async fn open_complaint(&self, req: Request<pb::OpenComplaintRequest>) -> Answer<pb::Complaint> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        may::<OpenComplaint>(&who, Some(&store))?;
        let cmd = OpenComplaint {
            customer_id: CustomerId::parse("customer_id", &r.customer_id).map_err(to_status)?,
            contact_id: optional_id("contact_id", r.contact_id.as_deref().unwrap_or(""), ContactId::parse)?,
            work_order_id: optional_id(
                "work_order_id",
                r.work_order_id.as_deref().unwrap_or(""),
                WorkOrderId::parse,
            )?,
            summary: r.summary,
            solved_on_the_spot: r.solved_on_the_spot,
        };
        answer(self.services.complaints.open(&who, &store, cmd, request_id(&r.request_id)?).await)
    }

    async fn get_complaint(&self, req: Request<pb::ComplaintRequest>) -> Answer<pb::Complaint> {
        let who = self.caller(&req)?;
        let (store, id, _) = complaint_target(req.get_ref())?;
        answer(self.services.complaints.get(&who, &store, id).await)
    }

    async fn list_complaints(
        &self,
        req: Request<pb::ListComplaintsRequest>,
    ) -> Answer<pb::ListComplaintsResponse> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        let status = ComplaintStatus::from_proto(r.status)?;
        let result = self
            .services
            .complaints
            .list(&who, &store, status, r.escalating, &page(r.page_size, &r.page_token)?)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListComplaintsResponse {
            complaints: result.items.into_iter().map(Into::into).collect(),
            next_page_token: result.next_page_token.unwrap_or_default(),
        }))
    }

    async fn resolve_complaint(&self, req: Request<pb::ResolveComplaintRequest>) -> Answer<pb::Complaint> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let target = pb::ComplaintRequest { store: r.store, complaint_id: r.complaint_id, etag: r.etag };
        let (store, id, tag) = complaint_target(&target)?;
        may::<ResolveComplaint>(&who, Some(&store))?;
        let cmd = ResolveComplaint { solution: r.solution };
        answer(self.services.complaints.resolve(&who, &store, id, cmd, tag).await)
    }

    async fn notify_complaint_customer(&self, req: Request<pb::ComplaintRequest>) -> Answer<pb::Complaint> {
        let who = self.caller(&req)?;
        let (store, id, tag) = complaint_target(req.get_ref())?;
        answer(self.services.complaints.notify_customer(&who, &store, id, tag).await)
    }

    async fn close_complaint(&self, req: Request<pb::ComplaintRequest>) -> Answer<pb::Complaint> {
        let who = self.caller(&req)?;
        let (store, id, tag) = complaint_target(req.get_ref())?;
        answer(self.services.complaints.close(&who, &store, id, tag).await)
    }

    async fn list_contact_records(
        &self,
        req: Request<pb::ListContactRecordsRequest>,
    ) -> Answer<pb::ListContactRecordsResponse> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        let filter = ContactFilter {
            customer_id: optional_id("customer_id", &r.customer_id, CustomerId::parse)?,
            task_id: optional_id("task_id", &r.task_id, TaskId::parse)?,
            agent: non_empty(&r.agent),
            contacted_within: None,
        };
        let result = self
            .services
            .follow_ups
            .list_contacts(&who, &store, &filter, &page(r.page_size, &r.page_token)?)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListContactRecordsResponse {
            contact_records: result.items.into_iter().map(Into::into).collect(),
            next_page_token: result.next_page_token.unwrap_or_default(),
        }))
    }
    async fn create_campaign(&self, req: Request<pb::CreateCampaignRequest>) -> Answer<pb::Campaign> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        may::<CreateCampaign>(&who, Some(&store))?;
        let customer_ids = r
            .customer_ids
            .iter()
            .enumerate()
            .map(|(i, raw)| CustomerId::parse(&format!("customer_ids[{i}]"), raw).map_err(to_status))
            .collect::<Result<Vec<_>, _>>()?;
        let cmd = CreateCampaign {
            name: r.name,
            kind: CampaignKind::from_proto(r.kind)?.ok_or_else(|| invalid("kind", "is required"))?,
            event_date: date("event_date", Some(&r.event_date))?
                .ok_or_else(|| invalid("event_date", "is required"))?,
            customer_ids,
            letter_wanted: r.letter_wanted,
        };
        answer(self.services.follow_ups.create_campaign(&who, &store, cmd, request_id(&r.request_id)?).await)
    }

    async fn record_visit(&self, req: Request<pb::RecordVisitRequest>) -> Answer<pb::FollowUpTask> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        may::<RecordVisit>(&who, Some(&store))?;
        let cmd = RecordVisit {
            customer_id: CustomerId::parse("customer_id", &r.customer_id).map_err(to_status)?,
            purpose: r.purpose,
            channel: FollowUpChannel::from_proto(r.channel)?
                .ok_or_else(|| invalid("channel", "is required"))?,
        };
        answer(self.services.follow_ups.record_visit(&who, &store, cmd, request_id(&r.request_id)?).await)
    }

    async fn send_letter(&self, req: Request<pb::SendLetterRequest>) -> Answer<pb::Letter> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        may::<SendLetter>(&who, Some(&store))?;
        let cmd = SendLetter {
            customer_id: CustomerId::parse("customer_id", &r.customer_id).map_err(to_status)?,
            kind: LetterKind::from_proto(r.kind)?.ok_or_else(|| invalid("kind", "is required"))?,
            subject: r.subject,
            channel: LetterChannel::from_proto(r.channel)?
                .ok_or_else(|| invalid("channel", "is required"))?,
            task_id: optional_id("task_id", r.task_id.as_deref().unwrap_or(""), TaskId::parse)?,
        };
        answer(self.services.follow_ups.send_letter(&who, &store, cmd, request_id(&r.request_id)?).await)
    }

    async fn list_letters(&self, req: Request<pb::ListLettersRequest>) -> Answer<pb::ListLettersResponse> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        let result = self
            .services
            .follow_ups
            .list_letters(&who, &store, &page(r.page_size, &r.page_token)?)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListLettersResponse {
            letters: result.items.into_iter().map(Into::into).collect(),
            next_page_token: result.next_page_token.unwrap_or_default(),
        }))
    }
}

//! `FollowUpService`.

use aftersales_domain::app::{
    CloseUnreachable, OpenComplaint, ReassignTasks, RecordContact, ResolveComplaint,
};
use aftersales_domain::app::{CreateCampaign, RecordVisit, SendLetter};
use aftersales_domain::model::follow_up::{CampaignKind, LetterChannel, LetterKind};
use aftersales_domain::model::follow_up::{
    ComplaintId, ComplaintStatus, ContactId, ContactOutcome, Direction, FallbackChannel, FollowUpChannel,
    TaskId, TaskStatus,
};
use aftersales_domain::model::work_order::WorkOrderId;
use aftersales_domain::ports::{ContactFilter, TaskFilter};
use aftersales_domain::value::{CustomerId, Etag, StoreCode};
use tonic::{Request, Response, Status};

use super::{Adapter, Answer, answer, may};
use crate::convert;
use crate::convert::{EnumField, ts};
use crate::pb;
use crate::status::{invalid, to_status};

fn optional_id<T>(
    field: &str,
    raw: &str,
    parse: fn(&str, &str) -> aftersales_domain::Result<T>,
) -> Result<Option<T>, Status> {
    if raw.is_empty() { Ok(None) } else { parse(field, raw).map(Some).map_err(to_status) }
}

/// The complaint a complaint RPC names, and the etag it was sent with.
fn complaint_target(
    store: &str,
    complaint_id: &str,
    etag: &str,
) -> Result<(StoreCode, ComplaintId, Option<Etag>), Status> {
    Ok((
        convert::store_code(store)?,
        ComplaintId::parse("complaint_id", complaint_id).map_err(to_status)?,
        crate::convert::etag(etag)?,
    ))
}

#[tonic::async_trait]
impl pb::follow_up_service_server::FollowUpService for Adapter {
    async fn list_follow_up_tasks(
        &self,
        req: Request<pb::ListFollowUpTasksRequest>,
    ) -> Answer<pb::ListFollowUpTasksResponse> {
        let who = self.caller(&req)?;
        let pb::ListFollowUpTasksRequest {
            store,
            assignee,
            status,
            customer_id,
            page_size,
            page_token,
            updated_since,
        } = req.into_inner();
        let store = convert::store_code(&store)?;
        let filter = TaskFilter {
            assignee: convert::non_empty(&assignee),
            status: TaskStatus::from_proto(status)?,
            due_by: None,
            customer_id: optional_id("customer_id", &customer_id, CustomerId::parse)?,
            due_within: None,
        };
        let result = self
            .services
            .follow_ups
            .list_tasks(&who, &store, &filter, &convert::page_since(page_size, &page_token, updated_since)?)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListFollowUpTasksResponse {
            follow_up_tasks: result.items.into_iter().map(Into::into).collect(),
            next_page_token: result.next_page_token.unwrap_or_default(),
        }))
    }

    async fn get_follow_up_task(&self, req: Request<pb::GetFollowUpTaskRequest>) -> Answer<pb::FollowUpTask> {
        let who = self.caller(&req)?;
        let pb::GetFollowUpTaskRequest { task_id, store } = req.into_inner();
        let id = TaskId::parse("task_id", &task_id).map_err(to_status)?;
        answer(self.services.follow_ups.get_task(&who, &convert::store_code(&store)?, id).await)
    }

    async fn get_worklist(&self, req: Request<pb::GetWorklistRequest>) -> Answer<pb::GetWorklistResponse> {
        let who = self.caller(&req)?;
        let pb::GetWorklistRequest { store, agent, day, page_size, page_token } = req.into_inner();
        let store = convert::store_code(&store)?;
        let agent = convert::non_empty(&agent);
        let day = convert::date("day", Some(&day))?;
        let plan = self
            .services
            .follow_ups
            .worklist(&who, &store, agent.as_deref(), day, &convert::page(page_size, &page_token)?)
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
        let pb::RecordContactRequest {
            store,
            customer_id,
            task_id,
            channel,
            direction,
            outcome,
            topics,
            notes,
            satisfaction,
            completes_task,
            request_id,
        } = req.into_inner();
        let store = convert::store_code(&store)?;
        may::<RecordContact>(&who, Some(&store))?;
        let cmd = RecordContact {
            customer_id: CustomerId::parse("customer_id", &customer_id).map_err(to_status)?,
            task_id: optional_id("task_id", task_id.as_deref().unwrap_or(""), TaskId::parse)?,
            channel: FollowUpChannel::from_proto(channel)?
                .ok_or_else(|| invalid("channel", "is required"))?,
            direction: Direction::from_proto(direction)?,
            outcome: ContactOutcome::from_proto(outcome)?.ok_or_else(|| invalid("outcome", "is required"))?,
            topics,
            notes,
            satisfaction: match satisfaction {
                Some(s) => Some(u8::try_from(s).map_err(|_| invalid("satisfaction", "must be 1 to 5"))?),
                None => None,
            },
            completes_task: Some(completes_task),
        };
        answer(
            self.services
                .follow_ups
                .record_contact(&who, &store, cmd, convert::request_id(&request_id)?)
                .await,
        )
    }

    async fn close_unreachable(&self, req: Request<pb::CloseUnreachableRequest>) -> Answer<pb::FollowUpTask> {
        let who = self.caller(&req)?;
        let pb::CloseUnreachableRequest { store, task_id, fallback_channel, notes, request_id } =
            req.into_inner();
        let store = convert::store_code(&store)?;
        may::<CloseUnreachable>(&who, Some(&store))?;
        let id = TaskId::parse("task_id", &task_id).map_err(to_status)?;
        let cmd = CloseUnreachable {
            fallback_channel: match FollowUpChannel::from_proto(fallback_channel)? {
                Some(FollowUpChannel::Sms) => FallbackChannel::Sms,
                Some(FollowUpChannel::Letter) => FallbackChannel::Letter,
                Some(FollowUpChannel::Phone | FollowUpChannel::Wechat | FollowUpChannel::InPerson) => {
                    return Err(invalid("fallback_channel", "must be sms or letter (FU-5)"));
                }
                None => return Err(invalid("fallback_channel", "is required")),
            },
            notes,
        };
        answer(
            self.services
                .follow_ups
                .close_unreachable(&who, &store, id, cmd, convert::request_id(&request_id)?)
                .await,
        )
    }

    async fn reassign_tasks(
        &self,
        req: Request<pb::ReassignTasksRequest>,
    ) -> Answer<pb::ListFollowUpTasksResponse> {
        let who = self.caller(&req)?;
        let pb::ReassignTasksRequest { store, from_agent, absent_from, absent_to, to_agent } =
            req.into_inner();
        let store = convert::store_code(&store)?;
        may::<ReassignTasks>(&who, Some(&store))?;
        let cmd = ReassignTasks {
            from_agent,
            absent_from: convert::date("absent_from", Some(&absent_from))?
                .ok_or_else(|| invalid("absent_from", "is required"))?,
            absent_to: convert::date("absent_to", Some(&absent_to))?
                .ok_or_else(|| invalid("absent_to", "is required"))?,
            to_agent,
        };
        let moved = self.services.follow_ups.reassign(&who, &store, cmd).await.map_err(to_status)?.moved;
        Ok(Response::new(pb::ListFollowUpTasksResponse {
            follow_up_tasks: moved.into_iter().map(Into::into).collect(),
            next_page_token: String::new(),
        }))
    }

    async fn get_summary(&self, req: Request<pb::GetSummaryRequest>) -> Answer<pb::SummaryView> {
        let who = self.caller(&req)?;
        let pb::GetSummaryRequest { store, period } = req.into_inner();
        answer(self.services.summaries.get(&who, &convert::store_code(&store)?, &period).await)
    }

    async fn submit_summary(&self, req: Request<pb::SubmitSummaryRequest>) -> Answer<pb::Summary> {
        let who = self.caller(&req)?;
        let pb::SubmitSummaryRequest { store, period, report } = req.into_inner();
        let store = convert::store_code(&store)?;
        may::<aftersales_domain::app::SubmitSummary>(&who, Some(&store))?;
        let cmd = aftersales_domain::app::SubmitSummary { period, report };
        answer(self.services.summaries.submit(&who, &store, cmd).await)
    }

    async fn open_complaint(&self, req: Request<pb::OpenComplaintRequest>) -> Answer<pb::Complaint> {
        let who = self.caller(&req)?;
        let pb::OpenComplaintRequest {
            store,
            customer_id,
            contact_id,
            work_order_id,
            summary,
            solved_on_the_spot,
            request_id,
        } = req.into_inner();
        let store = convert::store_code(&store)?;
        may::<OpenComplaint>(&who, Some(&store))?;
        let cmd = OpenComplaint {
            customer_id: CustomerId::parse("customer_id", &customer_id).map_err(to_status)?,
            contact_id: optional_id("contact_id", contact_id.as_deref().unwrap_or(""), ContactId::parse)?,
            work_order_id: optional_id(
                "work_order_id",
                work_order_id.as_deref().unwrap_or(""),
                WorkOrderId::parse,
            )?,
            summary,
            solved_on_the_spot,
        };
        answer(self.services.complaints.open(&who, &store, cmd, convert::request_id(&request_id)?).await)
    }

    async fn get_complaint(&self, req: Request<pb::GetComplaintRequest>) -> Answer<pb::Complaint> {
        let who = self.caller(&req)?;
        // A read takes no precondition; an etag sent with it is only checked for its form.
        let pb::GetComplaintRequest { store, complaint_id, etag } = req.into_inner();
        let (store, id, _) = complaint_target(&store, &complaint_id, &etag)?;
        answer(self.services.complaints.get(&who, &store, id).await)
    }

    async fn list_complaints(
        &self,
        req: Request<pb::ListComplaintsRequest>,
    ) -> Answer<pb::ListComplaintsResponse> {
        let who = self.caller(&req)?;
        let pb::ListComplaintsRequest { store, status, escalating, page_size, page_token, updated_since } =
            req.into_inner();
        let store = convert::store_code(&store)?;
        let status = ComplaintStatus::from_proto(status)?;
        let result = self
            .services
            .complaints
            .list(
                &who,
                &store,
                status,
                escalating,
                &convert::page_since(page_size, &page_token, updated_since)?,
            )
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListComplaintsResponse {
            complaints: result.items.into_iter().map(Into::into).collect(),
            next_page_token: result.next_page_token.unwrap_or_default(),
        }))
    }

    async fn resolve_complaint(&self, req: Request<pb::ResolveComplaintRequest>) -> Answer<pb::Complaint> {
        let who = self.caller(&req)?;
        let pb::ResolveComplaintRequest { store, complaint_id, etag, solution } = req.into_inner();
        let (store, id, tag) = complaint_target(&store, &complaint_id, &etag)?;
        may::<ResolveComplaint>(&who, Some(&store))?;
        let cmd = ResolveComplaint { solution };
        answer(self.services.complaints.resolve(&who, &store, id, cmd, tag).await)
    }

    async fn notify_complaint_customer(
        &self,
        req: Request<pb::NotifyComplaintCustomerRequest>,
    ) -> Answer<pb::Complaint> {
        let who = self.caller(&req)?;
        let pb::NotifyComplaintCustomerRequest { store, complaint_id, etag } = req.into_inner();
        let (store, id, tag) = complaint_target(&store, &complaint_id, &etag)?;
        answer(self.services.complaints.notify_customer(&who, &store, id, tag).await)
    }

    async fn close_complaint(&self, req: Request<pb::CloseComplaintRequest>) -> Answer<pb::Complaint> {
        let who = self.caller(&req)?;
        let pb::CloseComplaintRequest { store, complaint_id, etag } = req.into_inner();
        let (store, id, tag) = complaint_target(&store, &complaint_id, &etag)?;
        answer(self.services.complaints.close(&who, &store, id, tag).await)
    }

    async fn list_contact_records(
        &self,
        req: Request<pb::ListContactRecordsRequest>,
    ) -> Answer<pb::ListContactRecordsResponse> {
        let who = self.caller(&req)?;
        let pb::ListContactRecordsRequest {
            store,
            customer_id,
            task_id,
            agent,
            page_size,
            page_token,
            updated_since,
        } = req.into_inner();
        let store = convert::store_code(&store)?;
        let filter = ContactFilter {
            customer_id: optional_id("customer_id", &customer_id, CustomerId::parse)?,
            task_id: optional_id("task_id", &task_id, TaskId::parse)?,
            agent: convert::non_empty(&agent),
            contacted_within: None,
        };
        let result = self
            .services
            .follow_ups
            .list_contacts(
                &who,
                &store,
                &filter,
                &convert::page_since(page_size, &page_token, updated_since)?,
            )
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListContactRecordsResponse {
            contact_records: result.items.into_iter().map(Into::into).collect(),
            next_page_token: result.next_page_token.unwrap_or_default(),
        }))
    }
    async fn create_campaign(&self, req: Request<pb::CreateCampaignRequest>) -> Answer<pb::Campaign> {
        let who = self.caller(&req)?;
        let pb::CreateCampaignRequest {
            store,
            customer_ids,
            name,
            kind,
            event_date,
            letter_wanted,
            request_id,
        } = req.into_inner();
        let store = convert::store_code(&store)?;
        may::<CreateCampaign>(&who, Some(&store))?;
        let customer_ids = customer_ids
            .iter()
            .enumerate()
            .map(|(i, raw)| CustomerId::parse(&format!("customer_ids[{i}]"), raw).map_err(to_status))
            .collect::<Result<Vec<_>, _>>()?;
        let cmd = CreateCampaign {
            name,
            kind: CampaignKind::from_proto(kind)?.ok_or_else(|| invalid("kind", "is required"))?,
            event_date: convert::date("event_date", Some(&event_date))?
                .ok_or_else(|| invalid("event_date", "is required"))?,
            customer_ids,
            letter_wanted,
        };
        answer(
            self.services
                .follow_ups
                .create_campaign(&who, &store, cmd, convert::request_id(&request_id)?)
                .await,
        )
    }

    async fn record_visit(&self, req: Request<pb::RecordVisitRequest>) -> Answer<pb::FollowUpTask> {
        let who = self.caller(&req)?;
        let pb::RecordVisitRequest { store, customer_id, purpose, channel, request_id } = req.into_inner();
        let store = convert::store_code(&store)?;
        may::<RecordVisit>(&who, Some(&store))?;
        let cmd = RecordVisit {
            customer_id: CustomerId::parse("customer_id", &customer_id).map_err(to_status)?,
            purpose,
            channel: FollowUpChannel::from_proto(channel)?
                .ok_or_else(|| invalid("channel", "is required"))?,
        };
        answer(
            self.services.follow_ups.record_visit(&who, &store, cmd, convert::request_id(&request_id)?).await,
        )
    }

    async fn send_letter(&self, req: Request<pb::SendLetterRequest>) -> Answer<pb::Letter> {
        let who = self.caller(&req)?;
        let pb::SendLetterRequest { store, customer_id, kind, subject, channel, task_id, request_id } =
            req.into_inner();
        let store = convert::store_code(&store)?;
        may::<SendLetter>(&who, Some(&store))?;
        let cmd = SendLetter {
            customer_id: CustomerId::parse("customer_id", &customer_id).map_err(to_status)?,
            kind: LetterKind::from_proto(kind)?.ok_or_else(|| invalid("kind", "is required"))?,
            subject,
            channel: LetterChannel::from_proto(channel)?.ok_or_else(|| invalid("channel", "is required"))?,
            task_id: optional_id("task_id", task_id.as_deref().unwrap_or(""), TaskId::parse)?,
        };
        answer(
            self.services.follow_ups.send_letter(&who, &store, cmd, convert::request_id(&request_id)?).await,
        )
    }

    async fn list_letters(&self, req: Request<pb::ListLettersRequest>) -> Answer<pb::ListLettersResponse> {
        let who = self.caller(&req)?;
        let pb::ListLettersRequest { store, page_size, page_token, updated_since } = req.into_inner();
        let store = convert::store_code(&store)?;
        let result = self
            .services
            .follow_ups
            .list_letters(&who, &store, &convert::page_since(page_size, &page_token, updated_since)?)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListLettersResponse {
            letters: result.items.into_iter().map(Into::into).collect(),
            next_page_token: result.next_page_token.unwrap_or_default(),
        }))
    }
}

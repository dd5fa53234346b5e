//! Follow-up tasks, contacts, complaints, campaigns and letters as protobuf messages.

use aftersales_domain::model::follow_up::{
    Campaign, Complaint, ContactRecord, FollowUpTask, LeftOutReason, Letter,
};
use aftersales_domain::value::Etag;

use super::ts;
use crate::pb;

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
        let Letter { id, customer_id, kind, subject, channel, task_id, sent_by, sent_at, store: _ } = l;
        Self {
            id: id.0.to_string(),
            customer_id: customer_id.0.to_string(),
            kind: pb::LetterKind::from(kind).into(),
            subject,
            channel: pb::LetterChannel::from(channel).into(),
            task_id: task_id.map(|t| t.0.to_string()),
            sent_by,
            sent_at: ts(sent_at),
        }
    }
}

impl From<FollowUpTask> for pb::FollowUpTask {
    fn from(t: FollowUpTask) -> Self {
        let FollowUpTask {
            id,
            store,
            kind,
            customer_id,
            work_order_id,
            previous_task,
            assignee,
            due_from,
            due_to,
            status,
            topics_covered,
            subjects,
            closed_at,
            version,
            created_at,
            campaign_id,
            // Internal: whom the planner kept it from (FU-3).
            not_by: _,
            updated_at,
        } = t;
        Self {
            id: id.to_string(),
            store: store.to_string(),
            kind: pb::TaskKind::from(kind).into(),
            customer_id: customer_id.to_string(),
            work_order_id: work_order_id.map(|w| w.to_string()),
            campaign_id: campaign_id.map(|c| c.to_string()),
            previous_task: previous_task.map(|p| p.to_string()),
            assignee,
            due_from: due_from.to_string(),
            due_to: due_to.to_string(),
            status: pb::TaskStatus::from(status).into(),
            topics_covered,
            subjects,
            closed_at: closed_at.and_then(ts),
            etag: Etag::render(version),
            created_at: ts(created_at),
            updated_at: ts(updated_at),
        }
    }
}

impl From<Complaint> for pb::Complaint {
    fn from(c: Complaint) -> Self {
        let updated_at = ts(c.changed_at());
        let Complaint {
            id,
            customer_id,
            contact_id,
            work_order_id,
            summary,
            status,
            opened_at,
            escalated_at,
            escalates_at,
            solution,
            resolved_at,
            customer_notified_at,
            notice_breach,
            return_visit_task,
            history,
            version,
            store: _,
        } = c;
        Self {
            id: id.to_string(),
            customer_id: customer_id.to_string(),
            contact_id: contact_id.map(|x| x.to_string()),
            work_order_id: work_order_id.map(|x| x.to_string()),
            summary,
            status: pb::ComplaintStatus::from(status).into(),
            opened_at: ts(opened_at),
            escalated_at: escalated_at.and_then(ts),
            escalates_at: escalates_at.and_then(ts),
            solution,
            resolved_at: resolved_at.and_then(ts),
            customer_notified_at: customer_notified_at.and_then(ts),
            notice_breach,
            return_visit_task: return_visit_task.map(|t| t.to_string()),
            history: history
                .into_iter()
                .map(|e| pb::ComplaintEvent { action: e.action, actor: e.actor, at: ts(e.at), note: e.note })
                .collect(),
            etag: Etag::render(version),
            updated_at,
        }
    }
}

impl From<ContactRecord> for pb::ContactRecord {
    fn from(c: ContactRecord) -> Self {
        let ContactRecord {
            id,
            customer_id,
            task_id,
            channel,
            direction,
            outcome,
            topics,
            notes,
            satisfaction,
            agent,
            contacted_at,
            store: _,
        } = c;
        Self {
            id: id.to_string(),
            customer_id: customer_id.to_string(),
            task_id: task_id.map(|t| t.to_string()),
            channel: pb::FollowUpChannel::from(channel).into(),
            direction: pb::Direction::from(direction).into(),
            outcome: pb::ContactOutcome::from(outcome).into(),
            topics,
            notes,
            satisfaction: satisfaction.map(u32::from),
            agent,
            contacted_at: ts(contacted_at),
        }
    }
}

//! Follow-up tasks, contacts, complaints, campaigns, letters and summaries.

use std::collections::BTreeMap;

use crate::entities::{campaign, complaint, letter, summary};
use aftersales_domain::Result;
use aftersales_domain::model::follow_up::{
    Campaign, CampaignId, Complaint, ComplaintId, ComplaintStatus, ContactRecord, FollowUpTask, Letter,
    TaskId, TaskStatus,
};
use aftersales_domain::model::summary::Summary;
use aftersales_domain::paging::{Page, PageRequest};
use aftersales_domain::ports::{ComplaintFilter, ContactFilter, TaskFilter};
use aftersales_domain::value::StoreCode;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

use crate::entities::{contact, task};
use crate::mapping::*;
use crate::{SeaRepository, read_err, uuid_page};
use aftersales_domain::ports::FollowUpReads;

#[async_trait]
impl FollowUpReads for SeaRepository {
    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_task", otel.kind = "client", db.operation.name = "get_task", db.system.name = crate::backend_name(&self.db)))]
    async fn get_task(&self, store: &StoreCode, id: TaskId) -> Result<Option<FollowUpTask>> {
        task::Entity::find()
            .filter(task::Column::Store.eq(store.as_str()))
            .filter(task::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(task_from)
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "list_tasks", otel.kind = "client", db.operation.name = "list_tasks", db.system.name = crate::backend_name(&self.db)))]
    async fn list_tasks(
        &self,
        store: &StoreCode,
        filter: &TaskFilter,
        page: &PageRequest,
    ) -> Result<Page<FollowUpTask>> {
        let mut cond = Condition::all().add(task::Column::Store.eq(store.as_str()));
        if let Some(a) = &filter.assignee {
            cond = cond.add(task::Column::Assignee.eq(a.as_str()));
        }
        if let Some(s) = filter.status {
            cond = cond.add(task::Column::Status.eq(s.as_str()));
        }
        if let Some(day) = filter.due_by {
            cond = cond.add(task::Column::DueFrom.lte(day));
        }
        if let Some(c) = filter.customer_id {
            cond = cond.add(task::Column::CustomerId.eq(c.0));
        }
        if let Some((from, to)) = filter.due_within {
            cond = cond.add(task::Column::DueTo.gte(from)).add(task::Column::DueTo.lt(to));
        }
        let query = task::Entity::find().filter(cond);
        uuid_page(&self.db, query, (task::Column::Id, task::Column::UpdatedAt), page, task_from, |t| {
            t.id.to_string()
        })
        .await
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "worklist_tasks", otel.kind = "client", db.operation.name = "worklist_tasks", db.system.name = crate::backend_name(&self.db)))]
    async fn worklist_tasks(
        &self,
        store: &StoreCode,
        assignee: &str,
        day: chrono::NaiveDate,
        limit: u64,
    ) -> Result<Vec<FollowUpTask>> {
        task::Entity::find()
            .filter(task::Column::Store.eq(store.as_str()))
            .filter(task::Column::Assignee.eq(assignee))
            .filter(task::Column::Status.eq(TaskStatus::Open.as_str()))
            .filter(task::Column::DueFrom.lte(day))
            .order_by_asc(task::Column::DueTo)
            .order_by_asc(task::Column::Id)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(read_err)?
            .into_iter()
            .map(task_from)
            .collect()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "last_contacts", otel.kind = "client", db.operation.name = "last_contacts", db.system.name = crate::backend_name(&self.db)))]
    async fn last_contacts(
        &self,
        store: &StoreCode,
        tasks: &[TaskId],
    ) -> Result<Vec<(TaskId, DateTime<Utc>)>> {
        let mut latest: BTreeMap<Uuid, DateTime<Utc>> = BTreeMap::new();
        for chunk in tasks.chunks(500) {
            let rows: Vec<(Option<Uuid>, DateTime<Utc>)> = contact::Entity::find()
                .select_only()
                .column(contact::Column::TaskId)
                .column(contact::Column::ContactedAt)
                .filter(contact::Column::Store.eq(store.as_str()))
                .filter(contact::Column::TaskId.is_in(chunk.iter().map(|t| t.0)))
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(read_err)?;
            for (task, at) in rows {
                if let Some(task) = task {
                    let entry = latest.entry(task).or_insert(at);
                    *entry = Ord::max(*entry, at);
                }
            }
        }
        Ok(latest.into_iter().map(|(task, at)| (TaskId(task), at)).collect())
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "open_task_counts", otel.kind = "client", db.operation.name = "open_task_counts", db.system.name = crate::backend_name(&self.db)))]
    async fn open_task_counts(&self, store: &StoreCode) -> Result<Vec<(String, u64)>> {
        let rows: Vec<(Option<String>, i64)> = task::Entity::find()
            .select_only()
            .column(task::Column::Assignee)
            .column_as(task::Column::Id.count(), "open")
            .filter(task::Column::Store.eq(store.as_str()))
            .filter(task::Column::Status.eq(TaskStatus::Open.as_str()))
            .group_by(task::Column::Assignee)
            .into_tuple()
            .all(&self.db)
            .await
            .map_err(read_err)?;
        Ok(rows.into_iter().filter_map(|(a, n)| a.map(|a| (a, u64::try_from(n).unwrap_or(0)))).collect())
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "list_contacts", otel.kind = "client", db.operation.name = "list_contacts", db.system.name = crate::backend_name(&self.db)))]
    async fn list_contacts(
        &self,
        store: &StoreCode,
        filter: &ContactFilter,
        page: &PageRequest,
    ) -> Result<Page<ContactRecord>> {
        let mut cond = Condition::all().add(contact::Column::Store.eq(store.as_str()));
        if let Some(c) = filter.customer_id {
            cond = cond.add(contact::Column::CustomerId.eq(c.0));
        }
        if let Some(t) = filter.task_id {
            cond = cond.add(contact::Column::TaskId.eq(t.0));
        }
        if let Some(a) = &filter.agent {
            cond = cond.add(contact::Column::Agent.eq(a.as_str()));
        }
        if let Some((from, to)) = filter.contacted_within {
            cond = cond.add(contact::Column::ContactedAt.gte(from)).add(contact::Column::ContactedAt.lt(to));
        }
        let query = contact::Entity::find().filter(cond);
        uuid_page(
            &self.db,
            query,
            (contact::Column::Id, contact::Column::ContactedAt),
            page,
            contact_from,
            |c| c.id.to_string(),
        )
        .await
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_complaint", otel.kind = "client", db.operation.name = "get_complaint", db.system.name = crate::backend_name(&self.db)))]
    async fn get_complaint(&self, store: &StoreCode, id: ComplaintId) -> Result<Option<Complaint>> {
        complaint::Entity::find()
            .filter(complaint::Column::Store.eq(store.as_str()))
            .filter(complaint::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(complaint_from)
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "list_complaints", otel.kind = "client", db.operation.name = "list_complaints", db.system.name = crate::backend_name(&self.db)))]
    async fn list_complaints(
        &self,
        store: &StoreCode,
        filter: &ComplaintFilter,
        page: &PageRequest,
    ) -> Result<Page<Complaint>> {
        let mut query = complaint::Entity::find().filter(complaint::Column::Store.eq(store.as_str()));
        if let Some(s) = filter.status {
            query = query.filter(complaint::Column::Status.eq(s.as_str()));
        }
        if let Some(before) = filter.escalates_before {
            let unresolved = [ComplaintStatus::Open.as_str(), ComplaintStatus::Escalated.as_str()];
            query = query
                .filter(complaint::Column::Status.is_in(unresolved))
                .filter(complaint::Column::EscalatesAt.lt(before));
        }
        uuid_page(
            &self.db,
            query,
            (complaint::Column::Id, complaint::Column::UpdatedAt),
            page,
            complaint_from,
            |c| c.id.to_string(),
        )
        .await
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "open_complaints_escalating_by", otel.kind = "client", db.operation.name = "open_complaints_escalating_by", db.system.name = crate::backend_name(&self.db)))]
    async fn open_complaints_escalating_by(&self, now: DateTime<Utc>, limit: u64) -> Result<Vec<Complaint>> {
        complaint::Entity::find()
            .filter(complaint::Column::Status.eq(ComplaintStatus::Open.as_str()))
            .filter(complaint::Column::EscalatesAt.lte(now))
            .order_by_asc(complaint::Column::EscalatesAt)
            .limit(limit)
            .all(&self.db)
            .await
            .map_err(read_err)?
            .into_iter()
            .map(complaint_from)
            .collect()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_campaign", otel.kind = "client", db.operation.name = "get_campaign", db.system.name = crate::backend_name(&self.db)))]
    async fn get_campaign(&self, store: &StoreCode, id: CampaignId) -> Result<Option<Campaign>> {
        campaign::Entity::find()
            .filter(campaign::Column::Store.eq(store.as_str()))
            .filter(campaign::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(campaign_from)
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "list_letters", otel.kind = "client", db.operation.name = "list_letters", db.system.name = crate::backend_name(&self.db)))]
    async fn list_letters(&self, store: &StoreCode, page: &PageRequest) -> Result<Page<Letter>> {
        let query = letter::Entity::find().filter(letter::Column::Store.eq(store.as_str()));
        uuid_page(&self.db, query, (letter::Column::Id, letter::Column::SentAt), page, letter_from, |l| {
            l.id.to_string()
        })
        .await
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_summary", otel.kind = "client", db.operation.name = "get_summary", db.system.name = crate::backend_name(&self.db)))]
    async fn get_summary(&self, store: &StoreCode, period: &str) -> Result<Option<Summary>> {
        summary::Entity::find_by_id((store.to_string(), period.to_string()))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(summary_from)
            .transpose()
    }
}

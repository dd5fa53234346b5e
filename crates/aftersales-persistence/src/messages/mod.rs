//! Messages to customers (issue 13): a document per message with the columns the worker, the
//! lists, the caps and the receipts look up; template versions; the WeChat consent ledger.

pub(crate) mod entities;

use aftersales_domain::model::event::message_status_changed;
use aftersales_domain::model::message::{
    AlreadySent, ConsentGrant, CountWindows, MessageChannel, MessageFilter, MessageId, MessageStatus,
    OutboundMessage, Purpose, Receipt, ReceiptOutcome, Template,
};
use aftersales_domain::model::rollup::{message_buckets, tallies};
use aftersales_domain::paging::{Page, PageRequest};
use aftersales_domain::ports::{LeaseToken, MessageStore};
use aftersales_domain::value::{CustomerId, StoreCode};
use aftersales_domain::{DomainError, Result};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};
use uuid::Uuid;

use self::entities::{consent, message, template};
use crate::mapping::{from_json, to_json};
use crate::{SeaRepository, read_err, uuid_page};

fn row(m: &OutboundMessage) -> Result<message::Model> {
    Ok(message::Model {
        id: m.id.0,
        store: m.store.to_string(),
        customer_id: m.customer_id.0,
        purpose: m.purpose.as_str().to_string(),
        channel: m.channel.as_str().to_string(),
        status: m.status.as_str().to_string(),
        planned_at: m.planned_at,
        attempts: i32::try_from(m.attempts).unwrap_or(i32::MAX),
        provider: m.provider.clone(),
        provider_message_id: m.provider_message_id.clone(),
        sent_at: m.sent_at,
        lease_owner: None,
        lease_until: None,
        document: to_json(m)?,
        updated_at: m.updated_at,
    })
}

/// The message as stored; the attempts column is the truth, since a claim counts there.
fn from(row: message::Model) -> Result<OutboundMessage> {
    let mut m: OutboundMessage = from_json("message", &row.document)?;
    m.attempts = u32::try_from(row.attempts).unwrap_or(0);
    Ok(m)
}

fn template_from(row: template::Model) -> Result<Template> {
    from_json("message template", &row.document)
}

/// Queues a message.
pub(crate) async fn insert_message(txn: &DatabaseTransaction, m: &OutboundMessage) -> Result<()> {
    crate::writes::insert(txn, "message", row(m)?.into_active_model().reset_all()).await
}

/// Saves a template version; a version another writer took meanwhile is a clash the service
/// re-runs on the newer version.
pub(crate) async fn insert_template(txn: &DatabaseTransaction, t: &Template) -> Result<()> {
    let model = template::Model {
        id: Uuid::now_v7(),
        store: t.store.to_string(),
        code: t.code.clone(),
        channel: t.channel.as_str().to_string(),
        version: i32::try_from(t.version).unwrap_or(i32::MAX),
        document: to_json(t)?,
        created_at: t.created_at,
    };
    match crate::writes::insert(txn, "message_template", model.into_active_model().reset_all()).await {
        Err(DomainError::AlreadyExists { .. }) => {
            Err(DomainError::StaleEtag { resource: "message_template", current: String::new() })
        }
        other => other,
    }
}

/// Records each consent of a grant as its own ledger row.
pub(crate) async fn grant_consents(txn: &DatabaseTransaction, g: &ConsentGrant) -> Result<()> {
    let rows: Vec<consent::ActiveModel> = (0..g.count)
        .map(|_| {
            consent::Model {
                id: Uuid::now_v7(),
                store: g.store.to_string(),
                customer_id: g.customer_id.0,
                template_id: g.template_id.clone(),
                openid: g.openid.clone(),
                granted_at: g.granted_at,
                message_id: None,
                spent_at: None,
            }
            .into_active_model()
            .reset_all()
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    consent::Entity::insert_many(rows)
        .exec_without_returning(txn)
        .await
        .map_err(|e| crate::db_err("wechat_consent", e))?;
    Ok(())
}

fn due(now: DateTime<Utc>) -> Condition {
    use message::Column as C;
    Condition::all()
        .add(C::Status.eq(MessageStatus::Queued.as_str()))
        .add(C::PlannedAt.lte(now))
        .add(Condition::any().add(C::LeaseUntil.is_null()).add(C::LeaseUntil.lt(now)))
}

#[async_trait]
impl MessageStore for SeaRepository {
    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "get_message", otel.kind = "client", db.operation.name = "get_message", db.system.name = crate::backend_name(&self.db)))]
    async fn get_message(&self, store: &StoreCode, id: MessageId) -> Result<Option<OutboundMessage>> {
        message::Entity::find()
            .filter(message::Column::Store.eq(store.as_str()))
            .filter(message::Column::Id.eq(id.0))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(from)
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "list_messages", otel.kind = "client", db.operation.name = "list_messages", db.system.name = crate::backend_name(&self.db)))]
    async fn list_messages(
        &self,
        store: &StoreCode,
        filter: &MessageFilter,
        page: &PageRequest,
    ) -> Result<Page<OutboundMessage>> {
        use message::Column as C;
        let MessageFilter { customer_id, status, purpose, channel } = filter;
        let mut query = message::Entity::find().filter(C::Store.eq(store.as_str()));
        if let Some(c) = customer_id {
            query = query.filter(C::CustomerId.eq(c.0));
        }
        if let Some(s) = status {
            query = query.filter(C::Status.eq(s.as_str()));
        }
        if let Some(p) = purpose {
            query = query.filter(C::Purpose.eq(p.as_str()));
        }
        if let Some(ch) = channel {
            query = query.filter(C::Channel.eq(ch.as_str()));
        }
        uuid_page(&self.db, query, (C::Id, C::UpdatedAt), page, from, |m| m.id.to_string()).await
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "latest_template", otel.kind = "client", db.operation.name = "latest_template", db.system.name = crate::backend_name(&self.db)))]
    async fn latest_template(
        &self,
        store: &StoreCode,
        code: &str,
        channel: MessageChannel,
    ) -> Result<Option<Template>> {
        use template::Column as C;
        template::Entity::find()
            .filter(C::Store.eq(store.as_str()))
            .filter(C::Code.eq(code))
            .filter(C::Channel.eq(channel.as_str()))
            .order_by_desc(C::Version)
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(template_from)
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "template_version", otel.kind = "client", db.operation.name = "template_version", db.system.name = crate::backend_name(&self.db)))]
    async fn template_version(
        &self,
        store: &StoreCode,
        code: &str,
        channel: MessageChannel,
        version: u32,
    ) -> Result<Option<Template>> {
        use template::Column as C;
        template::Entity::find()
            .filter(C::Store.eq(store.as_str()))
            .filter(C::Code.eq(code))
            .filter(C::Channel.eq(channel.as_str()))
            .filter(C::Version.eq(i32::try_from(version).unwrap_or(i32::MAX)))
            .one(&self.db)
            .await
            .map_err(read_err)?
            .map(template_from)
            .transpose()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "list_templates", otel.kind = "client", db.operation.name = "list_templates", db.system.name = crate::backend_name(&self.db)))]
    async fn list_templates(&self, store: &StoreCode, page: &PageRequest) -> Result<Page<Template>> {
        use template::Column as C;
        let query = template::Entity::find().filter(C::Store.eq(store.as_str()));
        let keyed = |row: template::Model| Ok((row.id, template_from(row)?));
        let listed =
            uuid_page(&self.db, query, (C::Id, C::CreatedAt), page, keyed, |(id, _)| id.to_string()).await?;
        Ok(listed.map(|(_, t)| t))
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "claim_due_messages", otel.kind = "client", db.operation.name = "claim_due_messages", db.system.name = crate::backend_name(&self.db)))]
    async fn claim_due_messages(
        &self,
        now: DateTime<Utc>,
        lease: std::time::Duration,
        limit: u64,
    ) -> Result<Vec<(OutboundMessage, LeaseToken)>> {
        use message::Column as C;
        let owner = Uuid::now_v7();
        let until = now + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::minutes(1));
        let picked = Query::select()
            .column(C::Id)
            .from(message::Entity)
            .cond_where(due(now))
            .order_by(C::PlannedAt, sea_orm::Order::Asc)
            .limit(limit)
            .to_owned();
        // The due condition is repeated outside the subquery: PostgreSQL re-checks it on a row a
        // concurrent claim changed, so a second worker takes nothing. The attempt is counted as
        // the message is taken, before the send.
        message::Entity::update_many()
            .col_expr(C::LeaseUntil, Expr::value(until))
            .col_expr(C::LeaseOwner, Expr::value(owner))
            .col_expr(C::Attempts, Expr::col(C::Attempts).add(1))
            .filter(C::Id.in_subquery(picked))
            .filter(due(now))
            .exec(&self.db)
            .await
            .map_err(read_err)?;
        let rows =
            message::Entity::find().filter(C::LeaseOwner.eq(owner)).all(&self.db).await.map_err(read_err)?;
        rows.into_iter().map(|m| Ok((from(m)?, LeaseToken(owner)))).collect()
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "sent_count", otel.kind = "client", db.operation.name = "sent_count", db.system.name = crate::backend_name(&self.db)))]
    async fn sent_count(
        &self,
        store: &StoreCode,
        customer: CustomerId,
        purpose: Purpose,
        windows: CountWindows,
    ) -> Result<AlreadySent> {
        use message::Column as C;
        let count = |(from, to): (DateTime<Utc>, DateTime<Utc>)| {
            message::Entity::find()
                .filter(C::Store.eq(store.as_str()))
                .filter(C::CustomerId.eq(customer.0))
                .filter(C::Purpose.eq(purpose.as_str()))
                .filter(C::Status.is_in([MessageStatus::Sent.as_str(), MessageStatus::Delivered.as_str()]))
                .filter(C::SentAt.gte(from))
                .filter(C::SentAt.lt(to))
                .count(&self.db)
        };
        let that_day = count(windows.day).await.map_err(read_err)?;
        let that_month = count(windows.month).await.map_err(read_err)?;
        Ok(AlreadySent {
            that_day: u32::try_from(that_day).unwrap_or(u32::MAX),
            that_month: u32::try_from(that_month).unwrap_or(u32::MAX),
        })
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "take_consent", otel.kind = "client", db.operation.name = "take_consent", db.system.name = crate::backend_name(&self.db)))]
    async fn take_consent(
        &self,
        store: &StoreCode,
        customer: CustomerId,
        template_id: &str,
        message: MessageId,
        now: DateTime<Utc>,
    ) -> Result<Option<String>> {
        use consent::Column as C;
        let held = consent::Entity::find()
            .filter(C::MessageId.eq(message.0))
            .one(&self.db)
            .await
            .map_err(read_err)?;
        if let Some(held) = held {
            return Ok(Some(held.openid));
        }
        // A concurrent taker may win the oldest free consent first; then the next one is tried.
        for _ in 0..5 {
            let free = consent::Entity::find()
                .filter(C::Store.eq(store.as_str()))
                .filter(C::CustomerId.eq(customer.0))
                .filter(C::TemplateId.eq(template_id))
                .filter(C::MessageId.is_null())
                .order_by_asc(C::GrantedAt)
                .order_by_asc(C::Id)
                .one(&self.db)
                .await
                .map_err(read_err)?;
            let Some(free) = free else { return Ok(None) };
            let taken = consent::Entity::update_many()
                .col_expr(C::MessageId, Expr::value(message.0))
                .col_expr(C::SpentAt, Expr::value(now))
                .filter(C::Id.eq(free.id))
                .filter(C::MessageId.is_null())
                .exec(&self.db)
                .await
                .map_err(read_err)?;
            if taken.rows_affected == 1 {
                return Ok(Some(free.openid));
            }
        }
        Err(DomainError::Unavailable("consents are being taken by others right now; retry".into()))
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "available_consents", otel.kind = "client", db.operation.name = "available_consents", db.system.name = crate::backend_name(&self.db)))]
    async fn available_consents(
        &self,
        store: &StoreCode,
        customer: CustomerId,
        template_id: &str,
    ) -> Result<u32> {
        use consent::Column as C;
        let n = consent::Entity::find()
            .filter(C::Store.eq(store.as_str()))
            .filter(C::CustomerId.eq(customer.0))
            .filter(C::TemplateId.eq(template_id))
            .filter(C::MessageId.is_null())
            .count(&self.db)
            .await
            .map_err(read_err)?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "finish_message", otel.kind = "client", db.operation.name = "finish_message", db.system.name = crate::backend_name(&self.db)))]
    async fn finish_message(&self, m: &OutboundMessage, lease: &LeaseToken) -> Result<bool> {
        use message::Column as C;
        let txn = self.db.begin().await.map_err(read_err)?;
        let held = save(&txn, m, Condition::all().add(C::LeaseOwner.eq(lease.0))).await?;
        // A retry or a postponement keeps it queued: nothing to announce or count yet.
        if held && m.status != MessageStatus::Queued {
            // Counters before events, as every write takes them: two transactions that lock the
            // same counter row and the store's event sequence in opposite orders deadlock.
            count_move(&txn, m, MessageStatus::Queued).await?;
            crate::events::append(&txn, vec![message_status_changed(m, m.updated_at)]).await?;
        }
        txn.commit().await.map_err(read_err)?;
        self.committed.notify_waiters();
        Ok(held)
    }

    #[tracing::instrument(name = "db", level = "debug", skip_all, fields(otel.name = "apply_receipt", otel.kind = "client", db.operation.name = "apply_receipt", db.system.name = crate::backend_name(&self.db)))]
    async fn apply_receipt(&self, receipt: &Receipt) -> Result<ReceiptOutcome> {
        use message::Column as C;
        let mut rows = message::Entity::find()
            .filter(C::Provider.eq(receipt.provider.as_str()))
            .filter(C::ProviderMessageId.eq(receipt.provider_message_id.as_str()))
            .limit(2)
            .all(&self.db)
            .await
            .map_err(read_err)?;
        // An id the provider gave twice names no one message: the receipt is not applied.
        if rows.len() > 1 {
            return Ok(ReceiptOutcome::Unchanged);
        }
        let Some(found) = rows.pop() else { return Ok(ReceiptOutcome::Unknown) };
        let mut m = from(found)?;
        if !m.apply_receipt(receipt) {
            return Ok(ReceiptOutcome::Unchanged);
        }
        let txn = self.db.begin().await.map_err(read_err)?;
        // Only while it is still sent: a concurrent twin of the receipt changes nothing.
        let changed =
            save(&txn, &m, Condition::all().add(C::Status.eq(MessageStatus::Sent.as_str()))).await?;
        if changed {
            // Counters before events, as every write takes them (see `finish_message`).
            count_move(&txn, &m, MessageStatus::Sent).await?;
            crate::events::append(&txn, vec![message_status_changed(&m, m.updated_at)]).await?;
        }
        txn.commit().await.map_err(read_err)?;
        self.committed.notify_waiters();
        Ok(if changed { ReceiptOutcome::Applied } else { ReceiptOutcome::Unchanged })
    }
}

/// Moves the store's counters (HQ-2) for a message that left `was` for its state now.
async fn count_move(txn: &DatabaseTransaction, m: &OutboundMessage, was: MessageStatus) -> Result<()> {
    let tz = crate::counters::store_tz(txn, &m.store).await?;
    let before = OutboundMessage { status: was, ..m.clone() };
    let mut moves = crate::counters::Moves::default();
    moves.add(&m.store, tallies(&message_buckets(&before, tz), &message_buckets(m, tz)));
    moves.apply(txn).await
}

/// Writes a message's state over its row where `guard` still holds, freeing its lease.
async fn save(txn: &DatabaseTransaction, m: &OutboundMessage, guard: Condition) -> Result<bool> {
    use message::Column as C;
    let result = message::Entity::update_many()
        .col_expr(C::Status, Expr::value(m.status.as_str()))
        .col_expr(C::PlannedAt, Expr::value(m.planned_at))
        .col_expr(C::Attempts, Expr::value(i32::try_from(m.attempts).unwrap_or(i32::MAX)))
        .col_expr(C::Provider, Expr::value(m.provider.clone()))
        .col_expr(C::ProviderMessageId, Expr::value(m.provider_message_id.clone()))
        .col_expr(C::SentAt, Expr::value(m.sent_at))
        .col_expr(C::Document, Expr::value(to_json(m)?))
        .col_expr(C::UpdatedAt, Expr::value(m.updated_at))
        .col_expr(C::LeaseUntil, Expr::value(Option::<DateTime<Utc>>::None))
        .col_expr(C::LeaseOwner, Expr::value(Option::<Uuid>::None))
        .filter(C::Store.eq(m.store.as_str()))
        .filter(C::Id.eq(m.id.0))
        .filter(guard)
        .exec(txn)
        .await
        .map_err(read_err)?;
    Ok(result.rows_affected == 1)
}

//! Each complaint keeps the instant it escalates at (FU-6), filled for the complaints already
//! there with the domain's rule and their store's zone and limit; contact records are indexed by
//! task, which the worklist reads to plan the next attempt (FU-5).

use std::collections::BTreeMap;

use aftersales_domain::model::follow_up::escalation_instant;
use aftersales_domain::model::store::SlaSettings;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shape::create_index;
use sea_orm_migration::sea_orm::ConnectionTrait;
use uuid::Uuid;

migration! {
    up(m) {
        m.alter_table(
            Table::alter()
                .table("complaints")
                .add_column(timestamp_with_time_zone_null("escalates_at"))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let stores =
            db.query_all(Query::select().columns(["code", "timezone", "sla"]).from("stores")).await?;
        let mut limits: BTreeMap<String, (Tz, u32)> = BTreeMap::new();
        for row in stores {
            let code: String = row.try_get("", "code")?;
            let zone: String = row.try_get("", "timezone")?;
            let sla: String = row.try_get("", "sla")?;
            let days =
                serde_json::from_str::<SlaSettings>(&sla).map(|s| s.complaint_escalation_days).unwrap_or(2);
            limits.insert(code, (zone.parse().unwrap_or(chrono_tz::Asia::Shanghai), days));
        }
        let rows =
            db.query_all(Query::select().columns(["id", "store", "opened_at"]).from("complaints")).await?;
        for row in rows {
            let id: Uuid = row.try_get("", "id")?;
            let store: String = row.try_get("", "store")?;
            let opened_at: DateTime<Utc> = row.try_get("", "opened_at")?;
            let (tz, days) = limits.get(&store).copied().unwrap_or((chrono_tz::Asia::Shanghai, 2));
            let Some(at) = escalation_instant(opened_at, tz, days) else { continue };
            let mut update = Query::update();
            update.table("complaints").value("escalates_at", at).and_where(Expr::col("id").eq(id));
            m.exec_stmt(update).await?;
        }
        create_index(m, "ix_complaints_escalation", "complaints", &["status", "escalates_at"]).await?;
        create_index(m, "ix_contacts_task", "contact_records", &["store", "task_id"]).await
    }
    down(m) {
        m.drop_index(Index::drop().name("ix_contacts_task").table("contact_records").to_owned()).await?;
        m.drop_index(Index::drop().name("ix_complaints_escalation").table("complaints").to_owned()).await?;
        m.alter_table(Table::alter().table("complaints").drop_column("escalates_at").to_owned()).await
    }
}

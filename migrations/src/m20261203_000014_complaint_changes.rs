//! Complaints keep when they last changed, so their list answers `updated_since` (EV-2); the
//! complaints already there get it from their own history.

use aftersales_domain::model::follow_up::Complaint;
use chrono::{DateTime, Utc};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::shape::create_index;

migration! {
    up(m) {
        m.alter_table(
            Table::alter().table("complaints").add_column(timestamp_with_time_zone_null("updated_at")).to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let rows = db.query_all(Query::select().columns(["id", "opened_at", "document"]).from("complaints")).await?;
        for row in rows {
            let id: Uuid = row.try_get("", "id")?;
            let opened_at: DateTime<Utc> = row.try_get("", "opened_at")?;
            let document: String = row.try_get("", "document")?;
            let at = serde_json::from_str::<Complaint>(&document).map_or(opened_at, |c| c.changed_at());
            let mut update = Query::update();
            update.table("complaints").value("updated_at", at).and_where(Expr::col("id").eq(id));
            m.exec_stmt(update).await?;
        }
        create_index(m, "ix_complaints_changes", "complaints", &["store", "updated_at"]).await
    }
    down(m) {
        m.drop_index(Index::drop().name("ix_complaints_changes").table("complaints").to_owned()).await?;
        m.alter_table(Table::alter().table("complaints").drop_column("updated_at").to_owned()).await
    }
}

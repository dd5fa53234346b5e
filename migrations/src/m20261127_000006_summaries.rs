//! Submitted follow-up summaries (FU-9), archived and never changed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shape::{create_index, store_fk};

migration! {
    up(m) {
        m.create_table(
            Table::create()
                .table("summaries")
                .col(string_len("store", 16))
                .col(string_len("period", 7))
                .col(text("document"))
                .col(timestamp_with_time_zone("submitted_at"))
                .primary_key(Index::create().col("store").col("period"))
                .foreign_key(&mut store_fk("fk_summaries_store", "summaries"))
                .to_owned(),
        )
        .await?;
        create_index(m, "ix_tasks_due", "follow_up_tasks", &["store", "due_to"]).await?;
        create_index(m, "ix_contacts_time", "contact_records", &["store", "contacted_at"]).await?;
        create_index(m, "ix_complaints_opened", "complaints", &["store", "opened_at"]).await
    }
    down(m) {
        m.drop_table(Table::drop().table("summaries").to_owned()).await
    }
}

//! Submitted follow-up summaries (FU-9), archived and never changed.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("summaries")
                .col(string_len("store", 16))
                .col(string_len("period", 7))
                .col(text("document"))
                .col(timestamp_with_time_zone("submitted_at"))
                .primary_key(Index::create().col("store").col("period"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_summaries_store")
                        .from_tbl("summaries")
                        .from_col("store")
                        .to_tbl("stores")
                        .to_col("code"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_tasks_due")
                .table("follow_up_tasks")
                .col("store")
                .col("due_to")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_contacts_time")
                .table("contact_records")
                .col("store")
                .col("contacted_at")
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_complaints_opened")
                .table("complaints")
                .col("store")
                .col("opened_at")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("summaries").to_owned()).await
    }
}

//! Follow-up tasks and contact records (FU-1..FU-5).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("follow_up_tasks")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(string_len("kind", 32))
                .col(uuid("customer_id"))
                .col(uuid_null("work_order_id"))
                .col(string_len_null("assignee", 64))
                .col(string_len("status", 16))
                .col(date("due_from"))
                .col(date("due_to"))
                .col(text("document"))
                .col(big_integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_tasks_customer")
                        .from_tbl("follow_up_tasks")
                        .from_col("store")
                        .from_col("customer_id")
                        .to_tbl("customers")
                        .to_col("store")
                        .to_col("id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_tasks_worklist")
                .table("follow_up_tasks")
                .col("store")
                .col("assignee")
                .col("status")
                .col("due_from")
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("contact_records")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(uuid("customer_id"))
                .col(uuid_null("task_id"))
                .col(string_len("agent", 64))
                .col(timestamp_with_time_zone("contacted_at"))
                .col(text("document"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_contacts_customer")
                        .from_tbl("contact_records")
                        .from_col("store")
                        .from_col("customer_id")
                        .to_tbl("customers")
                        .to_col("store")
                        .to_col("id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_contacts_customer")
                .table("contact_records")
                .col("store")
                .col("customer_id")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("contact_records").to_owned()).await?;
        m.drop_table(Table::drop().table("follow_up_tasks").to_owned()).await
    }
}

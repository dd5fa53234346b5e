//! The e-health upload queue (WO-12): one row per delivered order, leased by workers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("ehealth_uploads")
                .col(uuid("work_order_id").primary_key())
                .col(string_len("store", 16))
                .col(string_len("province", 32))
                .col(text("record"))
                .col(string_len("status", 16))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(timestamp_with_time_zone_null("lease_until"))
                .col(uuid_null("lease_owner"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone_null("uploaded_at"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_ehealth_work_order")
                        .from_tbl("ehealth_uploads")
                        .from_col("store")
                        .from_col("work_order_id")
                        .to_tbl("work_orders")
                        .to_col("store")
                        .to_col("id"),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_ehealth_due")
                .table("ehealth_uploads")
                .col("status")
                .col("next_attempt_at")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("ehealth_uploads").to_owned()).await
    }
}

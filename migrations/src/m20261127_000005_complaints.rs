//! Complaints (FU-6), kept whole with their history.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("complaints")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(uuid("customer_id"))
                .col(string_len("status", 16))
                .col(timestamp_with_time_zone("opened_at"))
                .col(text("document"))
                .col(big_integer("version"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_complaints_customer")
                        .from_tbl("complaints")
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
                .name("ix_complaints_due")
                .table("complaints")
                .col("status")
                .col("opened_at")
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("complaints").to_owned()).await
    }
}

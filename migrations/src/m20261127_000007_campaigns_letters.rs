//! Campaigns (FU-7) and the letter register (FU-8).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for (table, time_col) in [("campaigns", "event_date"), ("letters", "sent_at")] {
            let mut t = Table::create();
            t.table(table).col(uuid("id").primary_key()).col(string_len("store", 16)).col(text("document"));
            if time_col == "event_date" {
                t.col(date(time_col));
            } else {
                t.col(timestamp_with_time_zone(time_col));
            }
            t.foreign_key(
                ForeignKey::create()
                    .name(format!("fk_{table}_store"))
                    .from_tbl(table)
                    .from_col("store")
                    .to_tbl("stores")
                    .to_col("code"),
            );
            m.create_table(t.to_owned()).await?;
            m.create_index(
                Index::create()
                    .name(format!("ix_{table}_store"))
                    .table(table)
                    .col("store")
                    .col(time_col)
                    .to_owned(),
            )
            .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table("letters").to_owned()).await?;
        m.drop_table(Table::drop().table("campaigns").to_owned()).await
    }
}

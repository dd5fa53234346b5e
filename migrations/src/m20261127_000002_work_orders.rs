//! Work orders, inspections and per-store sequences.
//!
//! A work order is stored as one JSON document (lines, approvals, status events) under a version
//! check, with the columns lists filter on kept beside it. Inspections are append-only rows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table("counters")
                .col(string_len("store", 16))
                .col(string_len("name", 64))
                .col(big_integer("value"))
                .primary_key(Index::create().col("store").col("name"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_counters_store")
                        .from_tbl("counters")
                        .from_col("store")
                        .to_tbl("stores")
                        .to_col("code"),
                )
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("work_orders")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(string_len("number", 40))
                .col(uuid("customer_id"))
                .col(uuid("vehicle_id"))
                .col(string_len_null("plate", 16))
                .col(string_len("vin", 17))
                .col(string_len("advisor", 64))
                .col(string_len("status", 24))
                .col(timestamp_with_time_zone("promised_at"))
                .col(integer("pending_lines"))
                .col(text("document"))
                .col(big_integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_work_orders_vehicle")
                        .from_tbl("work_orders")
                        .from_col("store")
                        .from_col("vehicle_id")
                        .to_tbl("vehicles")
                        .to_col("store")
                        .to_col("id"),
                )
                .to_owned(),
        )
        .await?;
        for (name, cols, unique) in [
            ("ux_work_orders_store_id", &["store", "id"][..], true),
            ("ux_work_orders_store_number", &["store", "number"][..], true),
            ("ix_work_orders_store_status", &["store", "status"][..], false),
            ("ix_work_orders_store_promised", &["store", "promised_at"][..], false),
            ("ix_work_orders_store_vin", &["store", "vin"][..], false),
        ] {
            let mut idx = Index::create();
            idx.name(name).table("work_orders");
            for c in cols {
                idx.col(*c);
            }
            if unique {
                idx.unique();
            }
            m.create_index(idx).await?;
        }

        m.create_table(
            Table::create()
                .table("inspections")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(uuid("work_order_id"))
                .col(string_len("kind", 16))
                .col(string_len("inspector", 64))
                .col(timestamp_with_time_zone("submitted_at"))
                .col(text("document"))
                .foreign_key(
                    ForeignKey::create()
                        .name("fk_inspections_work_order")
                        .from_tbl("inspections")
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
                .name("ix_inspections_work_order")
                .table("inspections")
                .col("store")
                .col("work_order_id")
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in ["inspections", "work_orders", "counters"] {
            m.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}

//! Work orders, inspections and per-store sequences.
//!
//! A work order is stored as one JSON document (lines, approvals, status events) under a version
//! check, with the columns lists filter on kept beside it. Inspections are append-only rows.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shape::{create_index, drop_tables, index, same_store_fk, store_fk};

migration! {
    up(m) {
        m.create_table(
            Table::create()
                .table("counters")
                .col(string_len("store", 16))
                .col(string_len("name", 64))
                .col(big_integer("value"))
                .primary_key(Index::create().col("store").col("name"))
                .foreign_key(&mut store_fk("fk_counters_store", "counters"))
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
                .foreign_key(&mut same_store_fk(
                    "fk_work_orders_vehicle",
                    "work_orders",
                    "vehicle_id",
                    "vehicles",
                ))
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
            m.create_index(index(name, "work_orders", cols, unique)).await?;
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
                .foreign_key(&mut same_store_fk(
                    "fk_inspections_work_order",
                    "inspections",
                    "work_order_id",
                    "work_orders",
                ))
                .to_owned(),
        )
        .await?;
        create_index(m, "ix_inspections_work_order", "inspections", &["store", "work_order_id"]).await?;
        Ok(())
    }
    down(m) {
        drop_tables(m, &["inspections", "work_orders", "counters"]).await
    }
}

//! Attachments (WO-14): one row per file on a work order's record; the bytes live in the object
//! store under their hash.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shape::{drop_tables, index, same_store_fk, store_fk};

migration! {
    up(m) {
        m.create_table(
            Table::create()
                .table("attachments")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(uuid("work_order_id"))
                // `entry_inspection`, `line:<id>`, `part:<id>`, `signature:<document>`.
                .col(string_len("attached_to", 64))
                .col(string_len("sha256", 64))
                .col(text("document"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut store_fk("fk_attachments_store", "attachments"))
                .foreign_key(&mut same_store_fk("fk_attachments_order", "attachments", "work_order_id", "work_orders"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_attachments_store_id", "attachments", &["store", "id"], true)).await?;
        m.create_index(index("ix_attachments_order", "attachments", &["store", "work_order_id", "attached_to", "id"], false))
            .await
    }
    down(m) {
        drop_tables(m, &["attachments"]).await
    }
}

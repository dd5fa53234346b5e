//! Remote approval links (WO-13): found by the token's hash alone (unique), listed per work order.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shape::{drop_tables, index, same_store_fk, store_fk};

migration! {
    up(m) {
        m.create_table(
            Table::create()
                .table("approval_links")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(uuid("work_order_id"))
                .col(string_len("token_hash", 64))
                .col(text("document"))
                .col(big_integer("version"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut store_fk("fk_approval_links_store", "approval_links"))
                .foreign_key(&mut same_store_fk("fk_approval_links_order", "approval_links", "work_order_id", "work_orders"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_approval_links_store_id", "approval_links", &["store", "id"], true)).await?;
        m.create_index(index("ux_approval_links_token", "approval_links", &["token_hash"], true)).await?;
        m.create_index(index("ix_approval_links_order", "approval_links", &["store", "work_order_id", "id"], false))
            .await
    }
    down(m) {
        drop_tables(m, &["approval_links"]).await
    }
}

//! The e-health upload queue (WO-12): one row per delivered order, leased by workers.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shape::{create_index, same_store_fk};

migration! {
    up(m) {
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
                .foreign_key(&mut same_store_fk(
                    "fk_ehealth_work_order",
                    "ehealth_uploads",
                    "work_order_id",
                    "work_orders",
                ))
                .to_owned(),
        )
        .await?;
        create_index(m, "ix_ehealth_due", "ehealth_uploads", &["status", "next_attempt_at"]).await
    }
    down(m) {
        m.drop_table(Table::drop().table("ehealth_uploads").to_owned()).await
    }
}

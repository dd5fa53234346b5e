//! Complaints (FU-6), kept whole with their history.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shape::{create_index, same_store_fk};

migration! {
    up(m) {
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
                .foreign_key(&mut same_store_fk(
                    "fk_complaints_customer",
                    "complaints",
                    "customer_id",
                    "customers",
                ))
                .to_owned(),
        )
        .await?;
        create_index(m, "ix_complaints_due", "complaints", &["status", "opened_at"]).await
    }
    down(m) {
        m.drop_table(Table::drop().table("complaints").to_owned()).await
    }
}

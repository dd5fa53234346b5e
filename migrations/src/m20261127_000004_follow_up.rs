//! Follow-up tasks and contact records (FU-1..FU-5).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shape::{create_index, drop_tables, same_store_fk};

migration! {
    up(m) {
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
                .foreign_key(&mut same_store_fk(
                    "fk_tasks_customer",
                    "follow_up_tasks",
                    "customer_id",
                    "customers",
                ))
                .to_owned(),
        )
        .await?;
        create_index(m, "ix_tasks_worklist", "follow_up_tasks", &["store", "assignee", "status", "due_from"])
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
                .foreign_key(&mut same_store_fk(
                    "fk_contacts_customer",
                    "contact_records",
                    "customer_id",
                    "customers",
                ))
                .to_owned(),
        )
        .await?;
        create_index(m, "ix_contacts_customer", "contact_records", &["store", "customer_id"]).await
    }
    down(m) {
        drop_tables(m, &["contact_records", "follow_up_tasks"]).await
    }
}

//! Appointments (AP-1..AP-4): one capacity document per store, whose row is also the store's
//! capacity lock, and the appointments with the columns availability reads.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shape::{drop_tables, index, store_fk};

migration! {
    up(m) {
        m.create_table(
            Table::create()
                .table("appointment_capacity")
                .col(string_len("store", 16).primary_key())
                .col(text("document"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut store_fk("fk_appointment_capacity_store", "appointment_capacity"))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table("appointments")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(string_len("status", 16))
                .col(timestamp_with_time_zone("start_at"))
                .col(timestamp_with_time_zone("end_at"))
                .col(text("document"))
                .col(big_integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut store_fk("fk_appointments_store", "appointments"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_appointments_store_id", "appointments", &["store", "id"], true)).await?;
        // Availability reads a store's bookings by time.
        m.create_index(index("ix_appointments_store_start", "appointments", &["store", "start_at"], false)).await
    }
    down(m) {
        drop_tables(m, &["appointments", "appointment_capacity"]).await
    }
}

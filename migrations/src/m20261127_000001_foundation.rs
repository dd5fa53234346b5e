//! Stores, staff, customer files, vehicles, odometer readings, consent history, the audit trail
//! and stored idempotent answers.
//!
//! Every store-owned table carries `store`, and references between store-owned rows include it,
//! so no row can point into another store.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shape::{self, drop_tables, index};

/// Foundation references refuse to delete a row still pointed at.
fn fk(
    name: &str,
    from: &'static str,
    cols: &[&'static str],
    to: &'static str,
    to_cols: &[&'static str],
) -> ForeignKeyCreateStatement {
    shape::fk(name, from, cols, to, to_cols).on_delete(ForeignKeyAction::Restrict).to_owned()
}

migration! {
    up(m) {
        m.create_table(
            Table::create()
                .table("stores")
                .col(string_len("code", 16).primary_key())
                .col(string_len("name", 100))
                .col(string_len("timezone", 64))
                .col(text("call_hours"))
                .col(text("sla"))
                .col(big_integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("staff")
                .col(string_len("store", 16))
                .col(string_len("id", 64))
                .col(string_len("name", 100))
                .col(text("roles"))
                .col(boolean("active"))
                .col(big_integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .primary_key(Index::create().col("store").col("id"))
                .foreign_key(&mut fk("fk_staff_store", "staff", &["store"], "stores", &["code"]))
                .to_owned(),
        )
        .await?;

        m.create_table(
            Table::create()
                .table("customers")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(string_len("name", 100))
                .col(string_len("phone", 20))
                .col(string_len_null("address", 200))
                .col(string_len_null("company", 100))
                .col(string_len_null("preferred_channel", 16))
                .col(string_len_null("preferred_contact_time", 100))
                .col(string_len_null("wanted_services", 500))
                .col(boolean("marketing_consent"))
                .col(timestamp_with_time_zone_null("marketing_consent_changed_at"))
                .col(uuid_null("merged_into"))
                .col(big_integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk("fk_customers_store", "customers", &["store"], "stores", &["code"]))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_customers_store_id", "customers", &["store", "id"], true)).await?;
        m.create_index(index("ix_customers_store_phone", "customers", &["store", "phone"], false)).await?;

        m.create_table(
            Table::create()
                .table("vehicles")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(uuid("customer_id"))
                .col(string_len("vin", 17))
                .col(string_len_null("plate", 16))
                .col(string_len("make", 50))
                .col(string_len("model", 50))
                .col(string_len_null("vehicle_type", 16))
                .col(string_len_null("color", 50))
                .col(date_null("registration_date"))
                .col(big_integer("mileage_km"))
                .col(big_integer("maintenance_cycle_km"))
                .col(integer("maintenance_cycle_months"))
                .col(date_null("last_service_date"))
                .col(big_integer_null("last_service_km"))
                .col(date("owner_since"))
                .col(big_integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut fk(
                    "fk_vehicles_customer",
                    "vehicles",
                    &["store", "customer_id"],
                    "customers",
                    &["store", "id"],
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_vehicles_store_id", "vehicles", &["store", "id"], true)).await?;
        m.create_index(index("ux_vehicles_store_vin", "vehicles", &["store", "vin"], true)).await?;
        m.create_index(index("ix_vehicles_store_plate", "vehicles", &["store", "plate"], false)).await?;
        m.create_index(index("ix_vehicles_store_customer", "vehicles", &["store", "customer_id"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("odometer_readings")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(uuid("vehicle_id"))
                .col(big_integer("mileage_km"))
                .col(string_len("source", 16))
                .col(boolean("correction"))
                .col(string_len_null("note", 500))
                .col(string_len("recorded_by", 64))
                .col(timestamp_with_time_zone("recorded_at"))
                .foreign_key(&mut fk(
                    "fk_odometer_vehicle",
                    "odometer_readings",
                    &["store", "vehicle_id"],
                    "vehicles",
                    &["store", "id"],
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_odometer_vehicle", "odometer_readings", &["store", "vehicle_id"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("consent_events")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(uuid("customer_id"))
                .col(boolean("granted"))
                .col(string_len("method", 16))
                .col(string_len("recorded_by", 64))
                .col(timestamp_with_time_zone("recorded_at"))
                .foreign_key(&mut fk(
                    "fk_consent_customer",
                    "consent_events",
                    &["store", "customer_id"],
                    "customers",
                    &["store", "id"],
                ))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_consent_customer", "consent_events", &["store", "customer_id"], false))
            .await?;

        m.create_table(
            Table::create()
                .table("audit_events")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(string_len("actor", 64))
                .col(string_len("action", 64))
                .col(string_len("resource_type", 32))
                .col(string_len("resource_id", 64))
                .col(text("changed_fields"))
                .col(timestamp_with_time_zone("occurred_at"))
                .foreign_key(&mut fk("fk_audit_store", "audit_events", &["store"], "stores", &["code"]))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_audit_store_id", "audit_events", &["store", "id"], false)).await?;

        m.create_table(
            Table::create()
                .table("idempotency_keys")
                .col(string_len("store", 16))
                .col(string_len("principal", 64))
                .col(string_len("key", 255))
                .col(string_len("fingerprint", 64))
                .col(text("response"))
                .col(timestamp_with_time_zone("created_at"))
                .primary_key(Index::create().col("store").col("principal").col("key"))
                .to_owned(),
        )
        .await?;
        Ok(())
    }
    down(m) {
        drop_tables(
            m,
            &[
                "idempotency_keys",
                "audit_events",
                "consent_events",
                "odometer_readings",
                "vehicles",
                "customers",
                "staff",
                "stores",
            ],
        )
        .await
    }
}

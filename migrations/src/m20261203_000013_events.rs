//! Events for integrations (EV-1..EV-3): the outbox every write appends to in its own
//! transaction, webhook subscriptions, their deliveries (leased, so replicas share them) and the
//! log of every attempt.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shape::{create_index, drop_tables, fk, index, store_fk};

/// A delivery's or attempt's subscription; they go with it when it is deleted.
fn subscription_fk(name: &str, from: &'static str) -> ForeignKeyCreateStatement {
    let mut fk = fk(name, from, &["subscription_id"], "webhook_subscriptions", &["id"]);
    fk.on_delete(ForeignKeyAction::Cascade);
    fk
}

migration! {
    up(m) {
        m.create_table(
            Table::create()
                .table("events")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(big_integer("sequence"))
                .col(string_len("event_type", 64))
                .col(string_len("resource_type", 32))
                .col(string_len("resource_id", 64))
                .col(string_len_null("resource_etag", 24))
                .col(timestamp_with_time_zone("occurred_at"))
                .col(string_len("actor", 64))
                .col(text("data"))
                .foreign_key(&mut store_fk("fk_events_store", "events"))
                .to_owned(),
        )
        .await?;
        // A feed page is one store's events after a sequence, in order.
        m.create_index(index("ux_events_store_sequence", "events", &["store", "sequence"], true)).await?;

        m.create_table(
            Table::create()
                .table("webhook_subscriptions")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(text("url"))
                .col(text("event_types"))
                .col(boolean("active"))
                .col(string_len("secret", 128))
                .col(string_len_null("previous_secret", 128))
                .col(timestamp_with_time_zone_null("previous_until"))
                .col(string_len_null("disabled_reason", 64))
                .col(timestamp_with_time_zone_null("failing_since"))
                // The store sequence up to which events were turned into deliveries.
                .col(big_integer("fanned_out"))
                .col(big_integer("version"))
                .col(timestamp_with_time_zone("created_at"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut store_fk("fk_webhook_subscriptions_store", "webhook_subscriptions"))
                .to_owned(),
        )
        .await?;
        create_index(m, "ix_webhook_subscriptions_store", "webhook_subscriptions", &["store", "id"]).await?;

        m.create_table(
            Table::create()
                .table("webhook_deliveries")
                .col(uuid("id").primary_key())
                .col(uuid("subscription_id"))
                .col(string_len("store", 16))
                .col(uuid("event_id"))
                .col(big_integer("sequence"))
                // `type:id` of the event's record: one record's deliveries go in order.
                .col(string_len("resource_key", 100))
                .col(string_len("status", 16))
                .col(integer("attempts"))
                .col(timestamp_with_time_zone("next_attempt_at"))
                .col(uuid_null("lease_owner"))
                .col(timestamp_with_time_zone_null("lease_until"))
                .col(integer_null("last_status_code"))
                .col(text_null("last_error"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut subscription_fk("fk_webhook_deliveries_subscription", "webhook_deliveries"))
                .to_owned(),
        )
        .await?;
        create_index(m, "ix_webhook_deliveries_due", "webhook_deliveries", &["status", "next_attempt_at"]).await?;
        create_index(
            m,
            "ix_webhook_deliveries_order",
            "webhook_deliveries",
            &["subscription_id", "resource_key", "sequence"],
        )
        .await?;

        m.create_table(
            Table::create()
                .table("webhook_attempts")
                .col(uuid("id").primary_key())
                .col(uuid("subscription_id"))
                .col(uuid("delivery_id"))
                .col(string_len("store", 16))
                .col(uuid("event_id"))
                .col(big_integer("sequence"))
                .col(string_len("event_type", 64))
                .col(integer("attempt"))
                .col(integer_null("status_code"))
                .col(big_integer("latency_ms"))
                .col(text_null("error"))
                .col(timestamp_with_time_zone("attempted_at"))
                .foreign_key(&mut subscription_fk("fk_webhook_attempts_subscription", "webhook_attempts"))
                .to_owned(),
        )
        .await?;
        create_index(m, "ix_webhook_attempts_subscription", "webhook_attempts", &["subscription_id", "id"]).await
    }
    down(m) {
        drop_tables(m, &["webhook_attempts", "webhook_deliveries", "webhook_subscriptions", "events"]).await
    }
}

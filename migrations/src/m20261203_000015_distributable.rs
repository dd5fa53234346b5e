//! The schema stays distributable by store (deploy/SCALING.md): every store-owned table gets a
//! unique key that includes the store, and the webhook tables reference their subscription with
//! the store, as every other reference between store-owned tables already does. The foreign keys
//! change on PostgreSQL only: Citus is a PostgreSQL extension, and SQLite cannot alter a foreign
//! key without rebuilding the table.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

use crate::shape::{fk, index};

/// Store-owned tables whose primary key is their id alone, and the id column.
pub const KEYED_BY_ID: &[(&str, &str)] = &[
    ("odometer_readings", "id"),
    ("consent_events", "id"),
    ("audit_events", "id"),
    ("inspections", "id"),
    ("ehealth_uploads", "work_order_id"),
    ("follow_up_tasks", "id"),
    ("contact_records", "id"),
    ("complaints", "id"),
    ("campaigns", "id"),
    ("letters", "id"),
    ("events", "id"),
    ("webhook_subscriptions", "id"),
    ("webhook_deliveries", "id"),
    ("webhook_attempts", "id"),
];

const WEBHOOK_CHILDREN: &[(&str, &str)] = &[
    ("webhook_deliveries", "fk_webhook_deliveries_subscription"),
    ("webhook_attempts", "fk_webhook_attempts_subscription"),
];

fn name(table: &str) -> String {
    format!("ux_{table}_store_id")
}

async fn reference(m: &SchemaManager<'_>, with_store: bool) -> Result<(), DbErr> {
    for (table, constraint) in WEBHOOK_CHILDREN {
        m.drop_foreign_key(ForeignKey::drop().name(*constraint).table(*table).to_owned()).await?;
        let (from, to): (&[&'static str], &[&'static str]) = if with_store {
            (&["store", "subscription_id"], &["store", "id"])
        } else {
            (&["subscription_id"], &["id"])
        };
        let mut key = fk(constraint, table, from, "webhook_subscriptions", to);
        key.on_delete(ForeignKeyAction::Cascade);
        m.create_foreign_key(key).await?;
    }
    Ok(())
}

migration! {
    up(m) {
        for (table, id) in KEYED_BY_ID {
            m.create_index(index(&name(table), table, &["store", id], true)).await?;
        }
        if m.get_database_backend() == DbBackend::Postgres {
            reference(m, true).await?;
        }
        Ok(())
    }
    down(m) {
        if m.get_database_backend() == DbBackend::Postgres {
            reference(m, false).await?;
        }
        for (table, _) in KEYED_BY_ID {
            m.drop_index(Index::drop().name(name(table)).table(*table).to_owned()).await?;
        }
        Ok(())
    }
}

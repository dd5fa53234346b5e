//! Messages to customers (issue 13): the queue the sending worker leases from, the store's
//! versioned templates, and the ledger of one-time WeChat subscription consents.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shape::{drop_tables, index, same_store_fk, store_fk};

migration! {
    up(m) {
        m.create_table(
            Table::create()
                .table("messages")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(uuid("customer_id"))
                .col(string_len("purpose", 16))
                .col(string_len("channel", 32))
                .col(string_len("status", 16))
                .col(timestamp_with_time_zone("planned_at"))
                .col(integer("attempts"))
                .col(string_len_null("provider", 32))
                .col(string_len_null("provider_message_id", 128))
                .col(timestamp_with_time_zone_null("sent_at"))
                .col(uuid_null("lease_owner"))
                .col(timestamp_with_time_zone_null("lease_until"))
                .col(text("document"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut store_fk("fk_messages_store", "messages"))
                .foreign_key(&mut same_store_fk("fk_messages_customer", "messages", "customer_id", "customers"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_messages_store_id", "messages", &["store", "id"], true)).await?;
        // The worker's due scan; the customer's list and caps; a receipt's look-up.
        m.create_index(index("ix_messages_due", "messages", &["status", "planned_at"], false)).await?;
        m.create_index(index("ix_messages_customer", "messages", &["store", "customer_id", "sent_at"], false)).await?;
        m.create_index(index("ix_messages_provider_id", "messages", &["provider", "provider_message_id"], false)).await?;
        m.create_table(
            Table::create()
                .table("message_templates")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(string_len("code", 64))
                .col(string_len("channel", 32))
                .col(integer("version"))
                .col(text("document"))
                .col(timestamp_with_time_zone("created_at"))
                .foreign_key(&mut store_fk("fk_message_templates_store", "message_templates"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_message_templates_store_id", "message_templates", &["store", "id"], true)).await?;
        m.create_index(index("ux_message_templates_version", "message_templates", &["store", "code", "channel", "version"], true))
            .await?;
        m.create_table(
            Table::create()
                .table("wechat_consents")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(uuid("customer_id"))
                .col(string_len("template_id", 64))
                .col(string_len("openid", 64))
                .col(timestamp_with_time_zone("granted_at"))
                .col(uuid_null("message_id"))
                .col(timestamp_with_time_zone_null("spent_at"))
                .foreign_key(&mut store_fk("fk_wechat_consents_store", "wechat_consents"))
                .foreign_key(&mut same_store_fk("fk_wechat_consents_customer", "wechat_consents", "customer_id", "customers"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_wechat_consents_store_id", "wechat_consents", &["store", "id"], true)).await?;
        m.create_index(index("ix_wechat_consents_customer", "wechat_consents", &["store", "customer_id", "template_id"], false))
            .await?;
        // One consent is spent on one message, whatever races.
        m.create_index(index("ux_wechat_consents_message", "wechat_consents", &["message_id"], true)).await
    }
    down(m) {
        drop_tables(m, &["wechat_consents", "message_templates", "messages"]).await
    }
}

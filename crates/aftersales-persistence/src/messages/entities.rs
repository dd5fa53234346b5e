//! The tables of messages, templates and WeChat consents (issue 13).

/// The message queue.
pub mod message {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "messages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub customer_id: Uuid,
        pub purpose: String,
        pub channel: String,
        pub status: String,
        pub planned_at: DateTimeUtc,
        pub attempts: i32,
        pub provider: Option<String>,
        pub provider_message_id: Option<String>,
        pub sent_at: Option<DateTimeUtc>,
        pub lease_owner: Option<Uuid>,
        pub lease_until: Option<DateTimeUtc>,
        pub document: String,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

/// Template versions.
pub mod template {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "message_templates")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub code: String,
        pub channel: String,
        pub version: i32,
        pub document: String,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

/// The one-time consent ledger.
pub mod consent {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "wechat_consents")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub customer_id: Uuid,
        pub template_id: String,
        pub openid: String,
        pub granted_at: DateTimeUtc,
        pub message_id: Option<Uuid>,
        pub spent_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

//! sea-orm entities, private to this crate; the domain never sees them.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}
        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod store {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "stores")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub code: String,
        pub name: String,
        pub timezone: String,
        pub call_hours: String,
        pub sla: String,
        pub workshop: String,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod staff {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "staff")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub store: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub name: String,
        pub roles: String,
        pub active: bool,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod customer {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "customers")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub name: String,
        pub phone: String,
        pub address: Option<String>,
        pub company: Option<String>,
        pub preferred_channel: Option<String>,
        pub preferred_contact_time: Option<String>,
        pub wanted_services: Option<String>,
        pub marketing_consent: bool,
        pub marketing_consent_changed_at: Option<DateTimeUtc>,
        pub merged_into: Option<Uuid>,
        pub credit_account: bool,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod vehicle {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "vehicles")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub customer_id: Uuid,
        pub vin: String,
        pub plate: Option<String>,
        pub make: String,
        pub model: String,
        pub vehicle_type: Option<String>,
        pub color: Option<String>,
        pub registration_date: Option<Date>,
        pub purchase_date: Option<Date>,
        pub mileage_km: i64,
        pub maintenance_cycle_km: i64,
        pub maintenance_cycle_months: i32,
        pub last_service_date: Option<Date>,
        pub last_service_km: Option<i64>,
        pub owner_since: Date,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod odometer {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "odometer_readings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub vehicle_id: Uuid,
        pub mileage_km: i64,
        pub source: String,
        pub correction: bool,
        pub note: Option<String>,
        pub recorded_by: String,
        pub recorded_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod consent {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "consent_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub customer_id: Uuid,
        pub granted: bool,
        pub method: String,
        pub recorded_by: String,
        pub recorded_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod audit {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "audit_events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub actor: String,
        pub action: String,
        pub resource_type: String,
        pub resource_id: String,
        pub changed_fields: String,
        pub occurred_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod idempotency {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "idempotency_keys")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub store: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub principal: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub key: String,
        pub fingerprint: String,
        pub response: String,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod counter {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "counters")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub store: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        pub value: i64,
    }
    no_relations!();
}

pub mod work_order {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "work_orders")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub number: String,
        pub customer_id: Uuid,
        pub vehicle_id: Uuid,
        pub plate: Option<String>,
        pub vin: String,
        pub advisor: String,
        pub status: String,
        pub promised_at: DateTimeUtc,
        pub pending_lines: i32,
        pub open_claims: bool,
        pub technicians: String,
        pub sanbao_rights: bool,
        pub document: String,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod inspection {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "inspections")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub work_order_id: Uuid,
        pub kind: String,
        pub inspector: String,
        pub submitted_at: DateTimeUtc,
        pub document: String,
    }
    no_relations!();
}

pub mod ehealth_upload {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "ehealth_uploads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub work_order_id: Uuid,
        pub store: String,
        pub province: String,
        pub record: String,
        pub status: String,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub lease_until: Option<DateTimeUtc>,
        pub lease_owner: Option<Uuid>,
        pub last_error: Option<String>,
        pub uploaded_at: Option<DateTimeUtc>,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod task {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "follow_up_tasks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub kind: String,
        pub customer_id: Uuid,
        pub work_order_id: Option<Uuid>,
        pub assignee: Option<String>,
        pub status: String,
        pub due_from: Date,
        pub due_to: Date,
        pub document: String,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod contact {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "contact_records")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub customer_id: Uuid,
        pub task_id: Option<Uuid>,
        pub agent: String,
        pub contacted_at: DateTimeUtc,
        pub document: String,
    }
    no_relations!();
}

pub mod complaint {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "complaints")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub customer_id: Uuid,
        pub status: String,
        pub opened_at: DateTimeUtc,
        pub escalates_at: Option<DateTimeUtc>,
        pub document: String,
        pub version: i64,
        pub updated_at: Option<DateTimeUtc>,
    }
    no_relations!();
}

pub mod summary {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "summaries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub store: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub period: String,
        pub document: String,
        pub submitted_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod campaign {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "campaigns")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub document: String,
        pub event_date: Date,
    }
    no_relations!();
}

pub mod letter {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "letters")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub document: String,
        pub sent_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod rollup {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "follow_up_counts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub store: String,
        /// The store-local month (`2026-11`) or year (`2026`) counted.
        #[sea_orm(primary_key, auto_increment = false)]
        pub period: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub metric: String,
        pub n: i64,
    }
    no_relations!();
}

pub mod search {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "customer_search")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub store: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub term: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub customer_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub source: Uuid,
    }
    no_relations!();
}

pub mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub sequence: i64,
        pub event_type: String,
        pub resource_type: String,
        pub resource_id: String,
        pub resource_etag: Option<String>,
        pub occurred_at: DateTimeUtc,
        pub actor: String,
        pub data: String,
    }
    no_relations!();
}

pub mod webhook_subscription {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_subscriptions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub url: String,
        pub event_types: String,
        pub active: bool,
        pub secret: String,
        pub previous_secret: Option<String>,
        pub previous_until: Option<DateTimeUtc>,
        pub disabled_reason: Option<String>,
        pub failing_since: Option<DateTimeUtc>,
        pub fanned_out: i64,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod webhook_delivery {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_deliveries")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub subscription_id: Uuid,
        pub store: String,
        pub event_id: Uuid,
        pub sequence: i64,
        pub resource_key: String,
        pub status: String,
        pub attempts: i32,
        pub next_attempt_at: DateTimeUtc,
        pub lease_owner: Option<Uuid>,
        pub lease_until: Option<DateTimeUtc>,
        pub last_status_code: Option<i32>,
        pub last_error: Option<String>,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod webhook_attempt {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "webhook_attempts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub subscription_id: Uuid,
        pub delivery_id: Uuid,
        pub store: String,
        pub event_id: Uuid,
        pub sequence: i64,
        pub event_type: String,
        pub attempt: i32,
        pub status_code: Option<i32>,
        pub latency_ms: i64,
        pub error: Option<String>,
        pub attempted_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod capacity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "appointment_capacity")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub store: String,
        pub document: String,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

pub mod appointment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "appointments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub status: String,
        pub start_at: DateTimeUtc,
        pub end_at: DateTimeUtc,
        pub document: String,
        pub version: i64,
        pub created_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub bay: Option<String>,
        pub advisor: Option<String>,
    }
    no_relations!();
}

/// Approval links (WO-13).
pub mod approval_link {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "approval_links")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub work_order_id: Uuid,
        pub token_hash: String,
        pub document: String,
        pub version: i64,
        pub updated_at: DateTimeUtc,
    }
    no_relations!();
}

/// Attachments (WO-14).
pub mod attachment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "attachments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub store: String,
        pub work_order_id: Uuid,
        pub attached_to: String,
        pub sha256: String,
        pub document: String,
        pub created_at: DateTimeUtc,
    }
    no_relations!();
}

//! Response bodies of the audit trail.

use aftersales_domain::model::audit::AuditEvent;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// One audit entry (GEN-1).
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEventDto {
    /// Id.
    pub id: Uuid,
    /// Store code.
    pub store: String,
    /// Who.
    pub actor: String,
    /// What, e.g. `customer.update`.
    pub action: String,
    /// Kind of record.
    pub resource_type: String,
    /// Its id.
    pub resource_id: String,
    /// Fields changed.
    pub changed_fields: Vec<String>,
    /// When.
    pub occurred_at: DateTime<Utc>,
}

impl From<AuditEvent> for AuditEventDto {
    fn from(a: AuditEvent) -> Self {
        let AuditEvent { id, store, actor, action, resource_type, resource_id, changed_fields, occurred_at } =
            a;
        Self {
            id: id.0,
            store: store.to_string(),
            actor,
            action,
            resource_type,
            resource_id,
            changed_fields,
            occurred_at,
        }
    }
}

list_dto!(
    /// A page of audit events.
    AuditEventList, audit_events, AuditEventDto
);

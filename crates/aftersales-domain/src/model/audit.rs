//! The audit trail (GEN-1): who did what, when, to which record, changing which fields.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::value::{RecordId, StoreCode};

/// One write, as the audit trail keeps it. Field names only: values may be personal data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// Id (time-ordered).
    pub id: RecordId,
    /// The store the record belongs to.
    pub store: StoreCode,
    /// Who (`sub`).
    pub actor: String,
    /// What, e.g. `customer.update`.
    pub action: String,
    /// The kind of record.
    pub resource_type: String,
    /// Its id.
    pub resource_id: String,
    /// Which fields changed.
    pub changed_fields: Vec<String>,
    /// When.
    pub occurred_at: DateTime<Utc>,
}

/// Filters for reading the audit trail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this kind of record.
    pub resource_type: Option<String>,
    /// Only this record.
    pub resource_id: Option<String>,
    /// Only this actor.
    pub actor: Option<String>,
}

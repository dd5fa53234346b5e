//! Response bodies of stores, their settings and staff.

use aftersales_domain::auth::Role;
use aftersales_domain::model::store::{SlaSettings, StaffMember, Store, WorkshopSettings};
use aftersales_domain::value::Etag;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A call window, store-local.
#[derive(Debug, Serialize, ToSchema)]
pub struct CallWindowDto {
    /// Start, `HH:MM`.
    pub start: String,
    /// End, `HH:MM`.
    pub end: String,
}

/// A store and its settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreDto {
    /// Code, e.g. `SH001`.
    pub code: String,
    /// Name.
    pub name: String,
    /// IANA time zone.
    pub timezone: String,
    /// Call windows (FU-5).
    pub call_hours: Vec<CallWindowDto>,
    /// Day limits.
    pub sla: SlaSettings,
    /// Insurers and 三包 periods (issue 14).
    pub workshop: WorkshopSettings,
    /// Version tag for `If-Match`.
    pub etag: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Store> for StoreDto {
    fn from(s: Store) -> Self {
        let Store { code, name, timezone, call_hours, sla, workshop, version, created_at, updated_at } = s;
        Self {
            code: code.to_string(),
            name,
            timezone: timezone.name().to_string(),
            call_hours: call_hours
                .iter()
                .map(|w| CallWindowDto {
                    start: w.start.format("%H:%M").to_string(),
                    end: w.end.format("%H:%M").to_string(),
                })
                .collect(),
            sla,
            workshop,
            etag: Etag::render(version),
            created_at,
            updated_at,
        }
    }
}

/// A staff member.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffDto {
    /// Store code.
    pub store: String,
    /// Staff id (token `sub`).
    pub id: String,
    /// Name.
    pub name: String,
    /// Store roles.
    pub roles: Vec<Role>,
    /// Currently working.
    pub active: bool,
    /// Version tag.
    pub etag: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<StaffMember> for StaffDto {
    fn from(s: StaffMember) -> Self {
        let StaffMember { store, id, name, roles, active, version, created_at, updated_at } = s;
        Self {
            store: store.to_string(),
            id,
            name,
            roles,
            active,
            etag: Etag::render(version),
            created_at,
            updated_at,
        }
    }
}

list_dto!(
    /// A page of stores.
    StoreList, stores, StoreDto
);

list_dto!(
    /// A page of staff.
    StaffList, staff, StaffDto
);

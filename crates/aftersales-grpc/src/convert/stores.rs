//! Stores and staff as protobuf messages.

use super::*;

impl From<Store> for pb::Store {
    fn from(s: Store) -> Self {
        let Store { code, name, timezone, call_hours, sla, workshop, version, created_at, updated_at } = s;
        let p = workshop.periods;
        Self {
            code: code.to_string(),
            name,
            timezone: timezone.name().to_string(),
            call_hours: call_hours
                .iter()
                .map(|w| pb::CallWindow {
                    start: w.start.format("%H:%M").to_string(),
                    end: w.end.format("%H:%M").to_string(),
                })
                .collect(),
            sla: Some(super::sla(&sla)),
            workshop: Some(pb::WorkshopSettings {
                insurers: workshop.insurers,
                periods: Some(pb::SanbaoPeriods {
                    warranty_years: p.warranty_years,
                    warranty_km: p.warranty_km,
                    sanbao_years: p.sanbao_years,
                    sanbao_km: p.sanbao_km,
                }),
            }),
            etag: Etag::render(version),
            created_at: ts(created_at),
            updated_at: ts(updated_at),
        }
    }
}

impl From<StaffMember> for pb::StaffMember {
    fn from(s: StaffMember) -> Self {
        let StaffMember { store, id, name, roles, active, version, created_at, updated_at } = s;
        Self {
            store: store.to_string(),
            id,
            name,
            roles: roles.into_iter().map(|r| pb::Role::from(r).into()).collect(),
            active,
            etag: Etag::render(version),
            created_at: ts(created_at),
            updated_at: ts(updated_at),
        }
    }
}

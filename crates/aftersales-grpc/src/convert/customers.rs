//! Customer files, cars, consent history and audit entries as protobuf messages.

use super::*;

impl From<CustomerView> for pb::Customer {
    fn from(view: CustomerView) -> Self {
        let CustomerView { customer, phone_masked } = view;
        let aftersales_domain::model::customer::Customer {
            id,
            store,
            name,
            phone,
            address,
            company,
            preferred_channel,
            preferred_contact_time,
            wanted_services,
            marketing_consent,
            marketing_consent_changed_at,
            merged_into,
            credit_account,
            version,
            created_at,
            updated_at,
        } = customer;
        Self {
            id: id.to_string(),
            store: store.to_string(),
            name,
            phone: phone.as_str().to_string(),
            phone_masked,
            address,
            company,
            preferred_channel: enum_num::<_, pb::ContactChannel>(preferred_channel),
            preferred_contact_time,
            wanted_services,
            marketing_consent,
            marketing_consent_changed_at: marketing_consent_changed_at.and_then(ts),
            merged_into: merged_into.map(|id| id.to_string()),
            credit_account,
            etag: Etag::render(version),
            created_at: ts(created_at),
            updated_at: ts(updated_at),
        }
    }
}

impl From<Vehicle> for pb::Vehicle {
    fn from(v: Vehicle) -> Self {
        let due = v.next_maintenance();
        let Vehicle {
            id,
            store,
            customer_id,
            vin,
            plate,
            make,
            model,
            vehicle_type,
            color,
            registration_date,
            purchase_date,
            mileage_km,
            maintenance_cycle_km,
            maintenance_cycle_months,
            last_service_date,
            last_service_km,
            owner_since,
            version,
            created_at,
            updated_at,
        } = v;
        Self {
            id: id.to_string(),
            store: store.to_string(),
            customer_id: customer_id.to_string(),
            vin: vin.to_string(),
            plate: plate.map(|p| p.to_string()),
            make,
            model,
            vehicle_type: enum_num::<_, pb::VehicleType>(vehicle_type),
            color,
            registration_date: registration_date.map(|d| d.to_string()),
            purchase_date: purchase_date.map(|d| d.to_string()),
            mileage_km,
            maintenance_cycle_km,
            maintenance_cycle_months,
            last_service_date: last_service_date.map(|d| d.to_string()),
            last_service_km,
            next_maintenance_due_date: due.date.map(|d| d.to_string()),
            next_maintenance_due_km: due.km,
            owner_since: owner_since.to_string(),
            etag: Etag::render(version),
            created_at: ts(created_at),
            updated_at: ts(updated_at),
        }
    }
}

impl From<ConsentEvent> for pb::ConsentEvent {
    fn from(e: ConsentEvent) -> Self {
        let ConsentEvent { id, granted, method, recorded_by, recorded_at, store: _, customer_id: _ } = e;
        Self {
            id: id.to_string(),
            granted,
            method: pb::ConsentMethod::from(method).into(),
            recorded_by,
            recorded_at: ts(recorded_at),
        }
    }
}

impl From<AuditEvent> for pb::AuditEvent {
    fn from(a: AuditEvent) -> Self {
        let AuditEvent { id, store, actor, action, resource_type, resource_id, changed_fields, occurred_at } =
            a;
        Self {
            id: id.to_string(),
            store: store.to_string(),
            actor,
            action,
            resource_type,
            resource_id,
            changed_fields,
            occurred_at: ts(occurred_at),
        }
    }
}

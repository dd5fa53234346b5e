//! Demo data for `make run`: a store with one person in each store role and bookable capacity,
//! created only when the database has no store yet.

use std::collections::BTreeSet;

use aftersales_domain::app::Services;
use aftersales_domain::auth::{Principal, Role, StoreAccess};
use aftersales_domain::model::appointment::{BayKind, Capacity, ServiceType};
use aftersales_domain::model::store::{CreateStaff, CreateStore};
use aftersales_domain::paging::PageRequest;
use aftersales_domain::value::StoreCode;
use aftersales_domain::{DomainError, Result};

/// The demo store's code.
pub const DEMO_STORE: &str = "SH001";

/// The demo staff: id, name, role.
pub const DEMO_STAFF: &[(&str, &str, Role)] = &[
    ("sup-001", "王主管", Role::Supervisor),
    ("adv-001", "李顾问", Role::Advisor),
    ("tech-001", "张师傅", Role::Technician),
    ("insp-001", "赵检验", Role::Inspector),
    ("fu-001", "陈回访", Role::FollowupAgent),
    ("fu-002", "刘回访", Role::FollowupAgent),
];

fn system() -> Principal {
    Principal {
        sub: "system".into(),
        name: "system".into(),
        roles: BTreeSet::from([Role::Admin]),
        stores: StoreAccess::All,
    }
}

/// Creates the demo store and staff if no store exists; returns whether it did.
pub async fn seed_if_empty(services: &Services) -> Result<bool> {
    let admin = system();
    let existing = services.stores.list(&admin, &PageRequest { size: 1, ..PageRequest::default() }).await?;
    if !existing.items.is_empty() {
        return Ok(false);
    }
    let store = services
        .stores
        .create(
            &admin,
            CreateStore {
                code: DEMO_STORE.into(),
                name: "上海浦东4S店".into(),
                timezone: None,
                call_hours: None,
                sla: None,
            },
            None,
        )
        .await?;
    let code = StoreCode::parse(store.code.as_str()).map_err(DomainError::Internal)?;
    for (id, name, role) in DEMO_STAFF {
        let cmd = CreateStaff { id: (*id).into(), name: (*name).into(), roles: vec![*role], active: None };
        services.stores.create_staff(&admin, &code, cmd, None).await?;
    }
    services.appointments.set_capacity(&admin, &code, demo_capacity()).await?;
    tracing::info!(store = DEMO_STORE, "created demo store, staff and capacity");
    Ok(true)
}

/// Two general bays and a body-paint bay, the demo advisor taking arrivals, three service types;
/// default hours (Monday to Saturday) and booking rules.
fn demo_capacity() -> Capacity {
    let service = |code: &str, name: &str, minutes, bay| ServiceType {
        code: code.into(),
        name: name.into(),
        minutes,
        bay,
    };
    Capacity {
        bays: [(BayKind::General, 2), (BayKind::BodyPaint, 1)].into(),
        advisors: vec!["adv-001".into()],
        services: vec![
            service("maintenance", "常规保养", 60, BayKind::General),
            service("diagnosis", "故障诊断", 45, BayKind::General),
            service("body_paint", "钣金喷漆", 180, BayKind::BodyPaint),
        ],
        ..Capacity::default()
    }
}

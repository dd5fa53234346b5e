//! Demo data for `make run`: a store with one person in each store role, created only when the
//! database has no store yet.

use std::collections::BTreeSet;

use aftersales_domain::app::Services;
use aftersales_domain::auth::{Principal, Role, StoreAccess};
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
    tracing::info!(store = DEMO_STORE, "created demo store and staff");
    Ok(true)
}

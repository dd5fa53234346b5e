//! Stores and their staff lists.

use std::sync::Arc;

use super::{Core, IdempotencyKey, check_etag, set_fields};
use crate::auth::{Action, Principal};
use crate::error::Validator;
use crate::model::store::{
    CreateStaff, CreateStore, DEFAULT_TIMEZONE, SlaSettings, StaffMember, Store, UpdateStaff, UpdateStore,
    WorkshopSettings, check_staff_id, check_staff_roles, default_call_hours, is_staff_id, parse_call_hours,
    parse_timezone,
};
use crate::paging::{Page, PageRequest};
use crate::ports::{ChangeSet, Op};
use crate::value::{Etag, StoreCode};
use crate::{DomainError, Result};

/// Use cases on stores and staff.
#[derive(Clone)]
pub struct StoreService {
    core: Arc<Core>,
}

impl StoreService {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// Reads a staff member; an id no staff member can have is simply not found.
    async fn load_staff(&self, store: &StoreCode, id: &str) -> Result<StaffMember> {
        const NOT_FOUND: DomainError = DomainError::NotFound { resource: "staff" };
        if !is_staff_id(id) {
            return Err(NOT_FOUND);
        }
        self.core.repo.get_staff(store, id).await?.ok_or(NOT_FOUND)
    }

    /// Creates a store with its settings (admin).
    pub async fn create(
        &self,
        who: &Principal,
        cmd: CreateStore,
        key: Option<IdempotencyKey>,
    ) -> Result<Store> {
        who.authorize_role(Action::CreateStore)?;
        let mut v = Validator::new();
        let code = v.check("code", StoreCode::parse(&cmd.code));
        let name = v.text("name", &cmd.name, crate::error::limits::NAME);
        let timezone =
            v.check("timezone", parse_timezone(cmd.timezone.as_deref().unwrap_or(DEFAULT_TIMEZONE)));
        let call_hours = match &cmd.call_hours {
            Some(input) => parse_call_hours(&mut v, "call_hours", input),
            None => Some(default_call_hours()),
        };
        let sla = SlaSettings::default().patched(&cmd.sla.clone().unwrap_or_default(), &mut v);
        v.finish()?;
        let (Some(code), Some(call_hours), Some(timezone)) = (code, call_hours, timezone) else {
            return Err(DomainError::Internal("validated store fields missing".into()));
        };
        let core = &self.core;
        core.write_once(who, &code, "store.create", key, &cmd, || async {
            let now = core.now();
            let store = Store {
                code: code.clone(),
                name: name.clone(),
                timezone,
                call_hours: call_hours.clone(),
                sla,
                workshop: Default::default(),
                version: 1,
                created_at: now,
                updated_at: now,
            };
            let audit = core.audit(who, &code, "store.create", "store", &code, vec![]);
            Ok((store.clone(), ChangeSet::of(Op::InsertStore(store), audit)))
        })
        .await
    }

    /// Reads a store the caller reaches.
    pub async fn get(&self, who: &Principal, code: &StoreCode) -> Result<Store> {
        who.authorize(Action::ReadStore, code, "store")?;
        self.core.store(who, code).await
    }

    /// Lists the stores the caller reaches.
    pub async fn list(&self, who: &Principal, page: &PageRequest) -> Result<Page<Store>> {
        who.authorize_role(Action::ReadStore)?;
        self.core.repo.list_stores(&who.stores, page).await
    }

    /// Changes a store's settings (admin).
    pub async fn update(
        &self,
        who: &Principal,
        code: &StoreCode,
        cmd: UpdateStore,
        if_match: Option<Etag>,
    ) -> Result<Store> {
        who.authorize(Action::UpdateStore, code, "store")?;
        let (cmd, if_match) = (&cmd, if_match.as_ref());
        let next = self
            .core
            .write_latest(if_match.is_some(), move || async move {
                let current = self.core.store(who, code).await?;
                let mut v = Validator::new();
                let mut next = current.clone();
                if let Some(name) = &cmd.name {
                    next.name = v.text("name", name, crate::error::limits::NAME);
                }
                if let Some(tz) =
                    cmd.timezone.as_deref().and_then(|tz| v.check("timezone", parse_timezone(tz)))
                {
                    next.timezone = tz;
                }
                if let Some(input) = &cmd.call_hours
                    && let Some(windows) = parse_call_hours(&mut v, "call_hours", input)
                {
                    next.call_hours = windows;
                }
                if let Some(patch) = &cmd.sla {
                    next.sla = current.sla.patched(patch, &mut v);
                }
                if let Some(names) = &cmd.insurers {
                    next.workshop.insurers = WorkshopSettings::check_insurers(&mut v, "insurers", names);
                }
                if let Some(periods) = cmd.periods {
                    periods.check_into(&mut v, "periods.");
                    next.workshop.periods = periods;
                }
                v.finish()?;
                // The input is checked before the state: a bad request is 400 whatever the etag.
                check_etag("store", current.version, if_match)?;
                next.version = current.version + 1;
                next.updated_at = self.core.now();
                let fields = set_fields(&cmd);
                let audit = self.core.audit(who, code, "store.update", "store", code, fields);
                let op = Op::UpdateStore { store: next.clone(), expected_version: current.version };
                Ok((next, ChangeSet::of(op, audit)))
            })
            .await?;
        Ok(next)
    }

    /// Adds a person to the staff list (supervisor, admin).
    pub async fn create_staff(
        &self,
        who: &Principal,
        store: &StoreCode,
        cmd: CreateStaff,
        key: Option<IdempotencyKey>,
    ) -> Result<StaffMember> {
        who.authorize(Action::ManageStaff, store, "store")?;
        self.core.store(who, store).await?;
        let mut v = Validator::new();
        check_staff_id(&mut v, &cmd.id);
        let name = v.text("name", &cmd.name, crate::error::limits::NAME);
        let roles = check_staff_roles(&mut v, &cmd.roles);
        v.finish()?;
        let core = &self.core;
        core.write_once(who, store, "staff.create", key, &cmd, || async {
            let now = core.now();
            let staff = StaffMember {
                store: store.clone(),
                id: cmd.id.trim().to_string(),
                name: name.clone(),
                roles: roles.clone(),
                active: cmd.active.unwrap_or(true),
                version: 1,
                created_at: now,
                updated_at: now,
            };
            let audit = core.audit(who, store, "staff.create", "staff", &staff.id, vec![]);
            Ok((staff.clone(), ChangeSet::of(Op::InsertStaff(staff), audit)))
        })
        .await
    }

    /// Reads a staff member.
    pub async fn get_staff(&self, who: &Principal, store: &StoreCode, id: &str) -> Result<StaffMember> {
        who.authorize(Action::ReadStaff, store, "staff")?;
        self.load_staff(store, id).await
    }

    /// Lists a store's staff.
    pub async fn list_staff(
        &self,
        who: &Principal,
        store: &StoreCode,
        page: &PageRequest,
    ) -> Result<Page<StaffMember>> {
        who.authorize(Action::ReadStaff, store, "store")?;
        self.core.store(who, store).await?;
        self.core.repo.list_staff(store, page).await
    }

    /// Changes a staff member (supervisor, admin).
    pub async fn update_staff(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: &str,
        cmd: UpdateStaff,
        if_match: Option<Etag>,
    ) -> Result<StaffMember> {
        who.authorize(Action::ManageStaff, store, "staff")?;
        let (cmd, if_match) = (&cmd, if_match.as_ref());
        let next = self
            .core
            .write_latest(if_match.is_some(), move || async move {
                let current = self.load_staff(store, id).await?;
                let mut v = Validator::new();
                let mut next = current.clone();
                if let Some(name) = &cmd.name {
                    next.name = v.text("name", name, crate::error::limits::NAME);
                }
                if let Some(roles) = &cmd.roles {
                    next.roles = check_staff_roles(&mut v, roles);
                }
                if let Some(active) = cmd.active {
                    next.active = active;
                }
                v.finish()?;
                // The input is checked before the state: a bad request is 400 whatever the etag.
                check_etag("staff", current.version, if_match)?;
                next.version = current.version + 1;
                next.updated_at = self.core.now();
                let fields = set_fields(&cmd);
                let audit = self.core.audit(who, store, "staff.update", "staff", id, fields);
                let op = Op::UpdateStaff { staff: next.clone(), expected_version: current.version };
                Ok((next, ChangeSet::of(op, audit)))
            })
            .await?;
        Ok(next)
    }
}

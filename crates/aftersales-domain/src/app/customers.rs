//! Customer files, vehicles, odometer readings, consent and merges (CF-1, CF-4..CF-6).

use std::sync::Arc;

use super::customer_checks::{
    CheckedVehicle, check_cycle, check_new_customer, check_new_vehicle, check_optional_lengths,
};
use super::{Core, IdempotencyKey, check_etag, set_fields};
use crate::auth::{Action, Principal};
use crate::error::Validator;
use crate::model::customer::{
    AddVehicle, ConsentEvent, ConsentMethod, CreateCustomer, Customer, CustomerFilter, CustomerView,
    DEFAULT_CYCLE_KM, DEFAULT_CYCLE_MONTHS, MergeCustomers, OdometerReading, OdometerSource, RecordOdometer,
    UpdateCustomer, UpdateVehicle, Vehicle, merged_consent,
};
use crate::paging::{Page, PageRequest};
use crate::ports::{ChangeSet, Op};
use crate::value::{CustomerId, Etag, Phone, Plate, RecordId, StoreCode, VehicleId, Vin, non_empty};
use crate::{DomainError, Result};

const NOT_FOUND: DomainError = DomainError::NotFound { resource: "customer" };
const VEHICLE_NOT_FOUND: DomainError = DomainError::NotFound { resource: "vehicle" };

/// Raw list filters as clients send them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerQuery {
    /// Free text over name, phone, plate and VIN.
    pub q: Option<String>,
    /// Plate.
    pub plate: Option<String>,
    /// VIN.
    pub vin: Option<String>,
}

/// Use cases on customer files.
#[derive(Clone)]
pub struct CustomerService {
    pub(super) core: Arc<Core>,
}

impl CustomerService {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    fn view(who: &Principal, customer: Customer) -> CustomerView {
        customer.for_viewer(who.can(Action::SeeFullPhone))
    }

    async fn load(&self, store: &StoreCode, id: CustomerId) -> Result<Customer> {
        self.core.repo.get_customer(store, id).await?.ok_or(NOT_FOUND)
    }

    async fn load_vehicle(&self, store: &StoreCode, customer: CustomerId, id: VehicleId) -> Result<Vehicle> {
        self.core
            .repo
            .get_vehicle(store, id)
            .await?
            .filter(|v| v.customer_id == customer)
            .ok_or(VEHICLE_NOT_FOUND)
    }

    /// Opens a customer file (CF-1).
    pub async fn create(
        &self,
        who: &Principal,
        store: &StoreCode,
        cmd: CreateCustomer,
        key: Option<IdempotencyKey>,
    ) -> Result<CustomerView> {
        who.authorize(Action::WriteCustomer, store, "store")?;
        self.core.store(who, store).await?;
        let checked = check_new_customer(&cmd)?;
        let core = &self.core;
        let customer = core
            .write_once(who, store, "customer.create", key, &cmd, || async {
                let (customer, ops) = self.new_customer(who, store, &cmd, checked.clone());
                let audit = core.audit(who, store, "customer.create", "customer", customer.id, vec![]);
                Ok((customer, ChangeSet { ops, audit: vec![audit], ..ChangeSet::default() }))
            })
            .await?;
        Ok(Self::view(who, customer))
    }

    /// The file `cmd` opens (CF-1) and the ops writing it: the file, and its consent record when
    /// it grants consent.
    pub(super) fn new_customer(
        &self,
        who: &Principal,
        store: &StoreCode,
        cmd: &CreateCustomer,
        (name, phone): (String, Phone),
    ) -> (Customer, Vec<Op>) {
        let now = self.core.now();
        let consent = cmd.marketing_consent.unwrap_or(false);
        let customer = Customer {
            id: CustomerId::generate(),
            store: store.clone(),
            name,
            phone,
            address: non_empty(cmd.address.clone()),
            company: non_empty(cmd.company.clone()),
            preferred_channel: cmd.preferred_channel,
            preferred_contact_time: non_empty(cmd.preferred_contact_time.clone()),
            wanted_services: non_empty(cmd.wanted_services.clone()),
            marketing_consent: consent,
            marketing_consent_changed_at: consent.then_some(now),
            merged_into: None,
            credit_account: false,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let mut ops = vec![Op::InsertCustomer(customer.clone())];
        if let (true, Some(method)) = (consent, cmd.consent_method) {
            ops.push(Op::InsertConsent(self.consent_event(who, &customer, true, method)));
        }
        (customer, ops)
    }

    fn consent_event(
        &self,
        who: &Principal,
        customer: &Customer,
        granted: bool,
        method: ConsentMethod,
    ) -> ConsentEvent {
        ConsentEvent {
            id: RecordId::generate(),
            store: customer.store.clone(),
            customer_id: customer.id,
            granted,
            method,
            recorded_by: who.sub.clone(),
            recorded_at: self.core.now(),
        }
    }

    /// The car `cmd` adds to a file and the ops writing it: the car, and its first odometer
    /// reading when it has covered any distance.
    pub(super) fn new_vehicle(
        &self,
        who: &Principal,
        store: &StoreCode,
        customer_id: CustomerId,
        CheckedVehicle { vin, plate, make, model }: CheckedVehicle,
        cmd: &AddVehicle,
    ) -> (Vehicle, Vec<Op>) {
        let now = self.core.now();
        let vehicle = Vehicle {
            id: VehicleId::generate(),
            store: store.clone(),
            customer_id,
            vin,
            plate,
            make,
            model,
            vehicle_type: cmd.vehicle_type,
            color: non_empty(cmd.color.clone()),
            registration_date: cmd.registration_date,
            purchase_date: cmd.purchase_date,
            mileage_km: cmd.mileage_km.unwrap_or(0),
            maintenance_cycle_km: cmd.maintenance_cycle_km.unwrap_or(DEFAULT_CYCLE_KM),
            maintenance_cycle_months: cmd.maintenance_cycle_months.unwrap_or(DEFAULT_CYCLE_MONTHS),
            last_service_date: cmd.last_service_date,
            last_service_km: cmd.last_service_km,
            owner_since: now.date_naive(),
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let mut ops = vec![Op::InsertVehicle(vehicle.clone())];
        if vehicle.mileage_km > 0 {
            ops.push(Op::InsertOdometer(OdometerReading {
                id: RecordId::generate(),
                store: store.clone(),
                vehicle_id: vehicle.id,
                mileage_km: vehicle.mileage_km,
                source: OdometerSource::Store,
                correction: false,
                note: None,
                recorded_by: who.sub.clone(),
                recorded_at: now,
            }));
        }
        (vehicle, ops)
    }

    /// Reads a customer file; a merged file still answers, pointing to its successor.
    pub async fn get(&self, who: &Principal, store: &StoreCode, id: CustomerId) -> Result<CustomerView> {
        who.authorize(Action::ReadCustomer, store, "customer")?;
        Ok(Self::view(who, self.load(store, id).await?))
    }

    /// Lists live customer files, filtered by free text, plate or VIN.
    pub async fn list(
        &self,
        who: &Principal,
        store: &StoreCode,
        query: &CustomerQuery,
        page: &PageRequest,
    ) -> Result<Page<CustomerView>> {
        who.authorize(Action::ReadCustomer, store, "store")?;
        let mut v = Validator::new();
        let filter = CustomerFilter {
            q: non_empty(query.q.clone()),
            plate: non_empty(query.plate.clone()).and_then(|p| v.check("plate", Plate::parse(&p))),
            vin: non_empty(query.vin.clone()).and_then(|p| v.check("vin", Vin::parse(&p))),
        };
        v.optional_text("q", filter.q.as_deref(), crate::error::limits::NAME);
        v.finish()?;
        self.core.store(who, store).await?;
        let page = self.core.repo.list_customers(store, &filter, page).await?;
        Ok(page.map(|c| Self::view(who, c)))
    }

    /// Changes a customer file; a consent change is added to the consent history (CF-5).
    pub async fn update(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: CustomerId,
        cmd: UpdateCustomer,
        if_match: Option<Etag>,
    ) -> Result<CustomerView> {
        who.authorize(Action::WriteCustomer, store, "customer")?;
        let (cmd, if_match) = (&cmd, if_match.as_ref());
        let next = self
            .core
            .write_latest(if_match.is_some(), move || async move {
                let current = self.load(store, id).await?;
                current.ensure_live()?;
                let mut v = Validator::new();
                let mut next = current.clone();
                if let Some(name) = &cmd.name {
                    next.name = v.text("name", name, crate::error::limits::NAME);
                }
                if let Some(phone) = cmd.phone.as_deref().and_then(|p| v.check("phone", Phone::parse(p))) {
                    next.phone = phone;
                }
                check_optional_lengths(
                    &mut v,
                    &cmd.address,
                    &cmd.company,
                    &cmd.preferred_contact_time,
                    &cmd.wanted_services,
                );
                if cmd.marketing_consent.is_some() && cmd.consent_method.is_none() {
                    v.push("consent_method", "is required when marketing_consent changes");
                }
                if let Some(credit) = cmd.credit_account {
                    if !who.roles.contains(&crate::auth::Role::Supervisor) {
                        return Err(DomainError::PermissionDenied {
                            action: "customer.credit_account",
                            allowed: "supervisor".into(),
                        });
                    }
                    let company = match &cmd.company {
                        Some(c) => non_empty(Some(c.clone())),
                        None => current.company.clone(),
                    };
                    if credit && company.is_none() {
                        v.push("credit_account", "credit is for a fleet account: the file names its company");
                    }
                    next.credit_account = credit;
                }
                v.finish()?;
                // The input is checked before the state: a bad request is 400 whatever the etag.
                check_etag("customer", current.version, if_match)?;
                let now = self.core.now();
                apply_text(&mut next.address, &cmd.address);
                apply_text(&mut next.company, &cmd.company);
                apply_text(&mut next.preferred_contact_time, &cmd.preferred_contact_time);
                apply_text(&mut next.wanted_services, &cmd.wanted_services);
                if cmd.preferred_channel.is_some() {
                    next.preferred_channel = cmd.preferred_channel;
                }
                let mut ops = Vec::new();
                if let (Some(granted), Some(method)) = (cmd.marketing_consent, cmd.consent_method)
                    && granted != current.marketing_consent
                {
                    next.marketing_consent = granted;
                    next.marketing_consent_changed_at = Some(now);
                    ops.push(Op::InsertConsent(self.consent_event(who, &current, granted, method)));
                }
                next.version = current.version + 1;
                next.updated_at = now;
                ops.insert(
                    0,
                    Op::UpdateCustomer { customer: next.clone(), before: Box::new(current.clone()) },
                );
                let consent_changed = next.marketing_consent != current.marketing_consent;
                let fields = set_fields(&cmd)
                    .into_iter()
                    .filter(|f| f != "consent_method" && (f != "marketing_consent" || consent_changed))
                    .collect();
                let audit = self.core.audit(who, store, "customer.update", "customer", id, fields);
                let mut changes =
                    ChangeSet { ops, audit: vec![audit], idempotency: None, number: None, store_zone: None };
                if consent_changed && !next.marketing_consent {
                    self.core.cancel_marketing_tasks(who, store, id, &mut changes).await?;
                }
                Ok((next, changes))
            })
            .await?;
        Ok(Self::view(who, next))
    }

    /// Returns a customer's consent history, oldest first (CF-5).
    pub async fn consent_history(
        &self,
        who: &Principal,
        store: &StoreCode,
        id: CustomerId,
    ) -> Result<Vec<ConsentEvent>> {
        who.authorize(Action::ReadCustomer, store, "customer")?;
        self.load(store, id).await?;
        self.core.repo.list_consent_events(store, id).await
    }

    /// Merges `source` into `target` with its whole history (CF-6); returns the surviving file.
    pub async fn merge(
        &self,
        who: &Principal,
        store: &StoreCode,
        cmd: MergeCustomers,
        key: Option<IdempotencyKey>,
    ) -> Result<CustomerView> {
        who.authorize(Action::MergeCustomers, store, "customer")?;
        if cmd.source_id == cmd.target_id {
            return Err(DomainError::invalid("source_id", "must differ from target_id"));
        }
        let core = &self.core;
        let merged = core
            .write_once(who, store, "customer.merge", key, &cmd, || async {
                let source = self.load(store, cmd.source_id).await?;
                let target = self.load(store, cmd.target_id).await?;
                source.ensure_live()?;
                target.ensure_live()?;
                let now = core.now();
                let mut gone = source.clone();
                gone.merged_into = Some(target.id);
                gone.version += 1;
                gone.updated_at = now;
                let mut kept = target.clone();
                kept.version += 1;
                kept.updated_at = now;
                let mut ops = vec![
                    Op::UpdateCustomer { customer: gone, before: Box::new(source.clone()) },
                    Op::MoveCustomerRecords { store: store.clone(), from: source.id, to: target.id },
                ];
                let consent = merged_consent(&target, &source);
                let mut fields = vec!["vehicles".to_string(), "consent_history".to_string()];
                if consent != target.marketing_consent {
                    // The opt-out on the merged-away file is honoured at once (CF-5).
                    kept.marketing_consent = consent;
                    kept.marketing_consent_changed_at = Some(now);
                    ops.push(Op::InsertConsent(self.consent_event(
                        who,
                        &target,
                        consent,
                        ConsentMethod::Written,
                    )));
                    fields.push("marketing_consent".into());
                }
                ops.insert(
                    1,
                    Op::UpdateCustomer { customer: kept.clone(), before: Box::new(target.clone()) },
                );
                let audit = vec![
                    core.audit(
                        who,
                        store,
                        "customer.merge",
                        "customer",
                        source.id,
                        vec!["merged_into".into()],
                    ),
                    core.audit(who, store, "customer.merge", "customer", target.id, fields),
                ];
                let mut changes = ChangeSet { ops, audit, idempotency: None, number: None, store_zone: None };
                if !consent {
                    // Neither file may be marketed to any more (CF-5).
                    for file in [source.id, target.id] {
                        core.cancel_marketing_tasks(who, store, file, &mut changes).await?;
                    }
                }
                Ok((kept, changes))
            })
            .await?;
        Ok(Self::view(who, merged))
    }

    /// Adds a vehicle to a customer file; a VIN is on one file per store (CF-4, CF-6).
    pub async fn add_vehicle(
        &self,
        who: &Principal,
        store: &StoreCode,
        customer_id: CustomerId,
        cmd: AddVehicle,
        key: Option<IdempotencyKey>,
    ) -> Result<Vehicle> {
        who.authorize(Action::WriteCustomer, store, "customer")?;
        let checked = check_new_vehicle(&cmd)?;
        let core = &self.core;
        // The target is part of what the key stands for: the same body for another file is another request.
        core.write_once(who, store, "vehicle.create", key, &(customer_id, &cmd), || async {
            let customer = self.load(store, customer_id).await?;
            customer.ensure_live()?;
            let vin = &checked.vin;
            if core.repo.find_vehicle_by_vin(store, vin).await?.is_some() {
                return Err(DomainError::AlreadyExists {
                    resource: "vehicle",
                    detail: format!("vin {vin} is already on a customer file of this store"),
                });
            }
            let (vehicle, ops) = self.new_vehicle(who, store, customer_id, checked.clone(), &cmd);
            let audit = core.audit(who, store, "vehicle.create", "vehicle", vehicle.id, vec![]);
            Ok((vehicle, ChangeSet { ops, audit: vec![audit], ..ChangeSet::default() }))
        })
        .await
    }

    /// Reads a vehicle of a customer.
    pub async fn get_vehicle(
        &self,
        who: &Principal,
        store: &StoreCode,
        customer_id: CustomerId,
        id: VehicleId,
    ) -> Result<Vehicle> {
        who.authorize(Action::ReadCustomer, store, "vehicle")?;
        self.load_vehicle(store, customer_id, id).await
    }

    /// Lists a customer's vehicles.
    pub async fn list_vehicles(
        &self,
        who: &Principal,
        store: &StoreCode,
        customer_id: CustomerId,
        page: &PageRequest,
    ) -> Result<Page<Vehicle>> {
        who.authorize(Action::ReadCustomer, store, "customer")?;
        self.load(store, customer_id).await?;
        self.core.repo.list_vehicles(store, customer_id, page).await
    }

    /// Changes a vehicle's description or maintenance plan.
    pub async fn update_vehicle(
        &self,
        who: &Principal,
        store: &StoreCode,
        customer_id: CustomerId,
        id: VehicleId,
        cmd: UpdateVehicle,
        if_match: Option<Etag>,
    ) -> Result<Vehicle> {
        who.authorize(Action::WriteCustomer, store, "vehicle")?;
        let (cmd, if_match) = (&cmd, if_match.as_ref());
        let next = self
            .core
            .write_latest(if_match.is_some(), move || async move {
                let current = self.load_vehicle(store, customer_id, id).await?;
                let mut v = Validator::new();
                v.km("last_service_km", cmd.last_service_km);
                let mut next = current.clone();
                v.optional_text("plate", cmd.plate.as_deref(), crate::error::limits::PLATE);
                match cmd.plate.as_deref().map(str::trim) {
                    Some("") => next.plate = None,
                    Some(raw) => {
                        if let Some(plate) = v.check("plate", Plate::parse(raw)) {
                            next.plate = Some(plate);
                        }
                    }
                    None => {}
                }
                if let Some(make) = &cmd.make {
                    next.make = v.text("make", make, crate::error::limits::LABEL);
                }
                if let Some(model) = &cmd.model {
                    next.model = v.text("model", model, crate::error::limits::LABEL);
                }
                check_cycle(&mut v, cmd.maintenance_cycle_km, cmd.maintenance_cycle_months);
                v.optional_text("color", cmd.color.as_deref(), crate::error::limits::LABEL);
                v.finish()?;
                // The input is checked before the state: a bad request is 400 whatever the etag.
                check_etag("vehicle", current.version, if_match)?;
                apply_text(&mut next.color, &cmd.color);
                next.vehicle_type = cmd.vehicle_type.or(next.vehicle_type);
                next.registration_date = cmd.registration_date.or(next.registration_date);
                next.purchase_date = cmd.purchase_date.or(next.purchase_date);
                next.maintenance_cycle_km = cmd.maintenance_cycle_km.unwrap_or(next.maintenance_cycle_km);
                next.maintenance_cycle_months =
                    cmd.maintenance_cycle_months.unwrap_or(next.maintenance_cycle_months);
                next.last_service_date = cmd.last_service_date.or(next.last_service_date);
                next.last_service_km = cmd.last_service_km.or(next.last_service_km);
                next.version = current.version + 1;
                next.updated_at = self.core.now();
                let fields = set_fields(&cmd);
                let audit = self.core.audit(who, store, "vehicle.update", "vehicle", id, fields);
                let op = Op::UpdateVehicle { vehicle: next.clone(), before: Box::new(current.clone()) };
                Ok((next, ChangeSet::of(op, audit)))
            })
            .await?;
        Ok(next)
    }

    /// Records an odometer reading; readings only go up unless flagged as a correction (CF-6).
    pub async fn record_odometer(
        &self,
        who: &Principal,
        store: &StoreCode,
        customer_id: CustomerId,
        id: VehicleId,
        cmd: RecordOdometer,
        key: Option<IdempotencyKey>,
    ) -> Result<Vehicle> {
        who.authorize(Action::RecordOdometer, store, "vehicle")?;
        let mut v = Validator::new();
        v.km("mileage_km", Some(cmd.mileage_km));
        v.optional_text("note", cmd.note.as_deref(), crate::error::limits::NOTE);
        v.finish()?;
        let core = &self.core;
        core.write_once(who, store, "vehicle.record_odometer", key, &(customer_id, id, &cmd), || async {
            let current = self.load_vehicle(store, customer_id, id).await?;
            let (next, reading) = current.read_odometer("mileage_km", &cmd, &who.sub, core.now())?;
            let audit =
                core.audit(who, store, "vehicle.record_odometer", "vehicle", id, vec!["mileage_km".into()]);
            let changes = ChangeSet {
                ops: vec![
                    Op::UpdateVehicle { vehicle: next.clone(), before: Box::new(current.clone()) },
                    Op::InsertOdometer(reading),
                ],
                audit: vec![audit],
                idempotency: None,
                number: None,
                store_zone: None,
            };
            Ok((next, changes))
        })
        .await
    }
}

/// Sets an optional text field from a patch: absent keeps it, empty clears it.
fn apply_text(target: &mut Option<String>, patch: &Option<String>) {
    if patch.is_some() {
        *target = non_empty(patch.clone());
    }
}

//! `CustomerService`.

use aftersales_domain::app::CustomerQuery;
use aftersales_domain::model::customer::{
    AddVehicle, ConsentMethod, ContactChannel, CreateCustomer, MergeCustomers, OdometerSource,
    RecordOdometer, UpdateCustomer, UpdateVehicle, VehicleType,
};
use tonic::{Request, Response};

use super::{Adapter, Answer, answer, may};
use crate::convert::{
    EnumField, Mask, customer_id, date, etag, non_empty, page, request_id, store_code, vehicle_id,
};
use crate::pb;
use crate::status::{invalid, to_status};

#[tonic::async_trait]
impl pb::customer_service_server::CustomerService for Adapter {
    async fn create_customer(&self, req: Request<pb::CreateCustomerRequest>) -> Answer<pb::Customer> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        may::<CreateCustomer>(&who, Some(&store))?;
        let cmd = CreateCustomer {
            name: r.name,
            phone: r.phone,
            address: r.address,
            company: r.company,
            preferred_channel: ContactChannel::from_proto(r.preferred_channel)?,
            preferred_contact_time: r.preferred_contact_time,
            wanted_services: r.wanted_services,
            marketing_consent: Some(r.marketing_consent),
            consent_method: ConsentMethod::from_proto(r.consent_method)?,
        };
        answer(self.services.customers.create(&who, &store, cmd, request_id(&r.request_id)?).await)
    }

    async fn get_customer(&self, req: Request<pb::GetCustomerRequest>) -> Answer<pb::Customer> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        answer(
            self.services
                .customers
                .get(&who, &store_code(&r.store)?, customer_id("customer_id", &r.customer_id)?)
                .await,
        )
    }

    async fn list_customers(
        &self,
        req: Request<pb::ListCustomersRequest>,
    ) -> Answer<pb::ListCustomersResponse> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        let query = CustomerQuery { q: non_empty(&r.q), plate: non_empty(&r.plate), vin: non_empty(&r.vin) };
        let result = self
            .services
            .customers
            .list(&who, &store, &query, &page(r.page_size, &r.page_token)?)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListCustomersResponse {
            customers: result.items.into_iter().map(Into::into).collect(),
            next_page_token: result.next_page_token.unwrap_or_default(),
        }))
    }

    async fn update_customer(&self, req: Request<pb::UpdateCustomerRequest>) -> Answer<pb::Customer> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        may::<UpdateCustomer>(&who, Some(&store))?;
        let c = r.customer.ok_or_else(|| invalid("customer", "is required"))?;
        let id = customer_id("customer.id", &c.id)?;
        let mask = Mask::new(
            r.update_mask,
            &[
                "name",
                "phone",
                "address",
                "company",
                "preferred_channel",
                "preferred_contact_time",
                "wanted_services",
                "marketing_consent",
            ],
        )?;
        let text = |path: &str, value: Option<String>| {
            let populated = value.is_some();
            mask.has(path, populated).then(|| value.unwrap_or_default())
        };
        let cmd = UpdateCustomer {
            name: mask.has("name", !c.name.is_empty()).then_some(c.name),
            phone: mask.has("phone", !c.phone.is_empty()).then_some(c.phone),
            address: text("address", c.address),
            company: text("company", c.company),
            preferred_channel: if mask.has("preferred_channel", c.preferred_channel != 0) {
                ContactChannel::from_proto(c.preferred_channel)?
            } else {
                None
            },
            preferred_contact_time: text("preferred_contact_time", c.preferred_contact_time),
            wanted_services: text("wanted_services", c.wanted_services),
            marketing_consent: mask
                .has("marketing_consent", r.consent_method != 0)
                .then_some(c.marketing_consent),
            consent_method: ConsentMethod::from_proto(r.consent_method)?,
        };
        answer(self.services.customers.update(&who, &store, id, cmd, etag(&r.etag)?).await)
    }

    async fn merge_customers(&self, req: Request<pb::MergeCustomersRequest>) -> Answer<pb::Customer> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        may::<MergeCustomers>(&who, Some(&store))?;
        let cmd = MergeCustomers {
            source_id: customer_id("source_id", &r.source_id)?,
            target_id: customer_id("target_id", &r.target_id)?,
        };
        answer(self.services.customers.merge(&who, &store, cmd, request_id(&r.request_id)?).await)
    }

    async fn list_consent_events(
        &self,
        req: Request<pb::ListConsentEventsRequest>,
    ) -> Answer<pb::ListConsentEventsResponse> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        let events = self
            .services
            .customers
            .consent_history(&who, &store, customer_id("customer_id", &r.customer_id)?)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListConsentEventsResponse {
            consent_events: events.into_iter().map(Into::into).collect(),
        }))
    }

    async fn add_vehicle(&self, req: Request<pb::AddVehicleRequest>) -> Answer<pb::Vehicle> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        may::<AddVehicle>(&who, Some(&store))?;
        let customer = customer_id("customer_id", &r.customer_id)?;
        let cmd = AddVehicle {
            vin: r.vin,
            plate: r.plate,
            make: r.make,
            model: r.model,
            vehicle_type: VehicleType::from_proto(r.vehicle_type)?,
            color: r.color,
            registration_date: date("registration_date", r.registration_date.as_deref())?,
            mileage_km: r.mileage_km,
            maintenance_cycle_km: r.maintenance_cycle_km,
            maintenance_cycle_months: r.maintenance_cycle_months,
            last_service_date: date("last_service_date", r.last_service_date.as_deref())?,
            last_service_km: r.last_service_km,
        };
        answer(
            self.services
                .customers
                .add_vehicle(&who, &store, customer, cmd, request_id(&r.request_id)?)
                .await,
        )
    }

    async fn get_vehicle(&self, req: Request<pb::GetVehicleRequest>) -> Answer<pb::Vehicle> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        let (customer, vehicle) = (customer_id("customer_id", &r.customer_id)?, vehicle_id(&r.vehicle_id)?);
        answer(self.services.customers.get_vehicle(&who, &store, customer, vehicle).await)
    }

    async fn update_vehicle(&self, req: Request<pb::UpdateVehicleRequest>) -> Answer<pb::Vehicle> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        may::<UpdateVehicle>(&who, Some(&store))?;
        let customer = customer_id("customer_id", &r.customer_id)?;
        let v = r.vehicle.ok_or_else(|| invalid("vehicle", "is required"))?;
        let id = aftersales_domain::value::VehicleId::parse("vehicle.id", &v.id).map_err(to_status)?;
        let mask = Mask::new(
            r.update_mask,
            &[
                "plate",
                "make",
                "model",
                "vehicle_type",
                "color",
                "registration_date",
                "maintenance_cycle_km",
                "maintenance_cycle_months",
                "last_service_date",
                "last_service_km",
            ],
        )?;
        let cmd = UpdateVehicle {
            plate: mask.has("plate", v.plate.is_some()).then(|| v.plate.clone().unwrap_or_default()),
            make: mask.has("make", !v.make.is_empty()).then_some(v.make),
            model: mask.has("model", !v.model.is_empty()).then_some(v.model),
            vehicle_type: if mask.has("vehicle_type", v.vehicle_type != 0) {
                VehicleType::from_proto(v.vehicle_type)?
            } else {
                None
            },
            color: mask.has("color", v.color.is_some()).then(|| v.color.clone().unwrap_or_default()),
            registration_date: if mask.has("registration_date", v.registration_date.is_some()) {
                date("vehicle.registration_date", v.registration_date.as_deref())?
            } else {
                None
            },
            maintenance_cycle_km: mask
                .has("maintenance_cycle_km", v.maintenance_cycle_km != 0)
                .then_some(v.maintenance_cycle_km),
            maintenance_cycle_months: mask
                .has("maintenance_cycle_months", v.maintenance_cycle_months != 0)
                .then_some(v.maintenance_cycle_months),
            last_service_date: if mask.has("last_service_date", v.last_service_date.is_some()) {
                date("vehicle.last_service_date", v.last_service_date.as_deref())?
            } else {
                None
            },
            last_service_km: mask
                .has("last_service_km", v.last_service_km.is_some())
                .then_some(v.last_service_km)
                .flatten(),
        };
        answer(self.services.customers.update_vehicle(&who, &store, customer, id, cmd, etag(&r.etag)?).await)
    }

    async fn list_vehicles(&self, req: Request<pb::ListVehiclesRequest>) -> Answer<pb::ListVehiclesResponse> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        let customer = customer_id("customer_id", &r.customer_id)?;
        let result = self
            .services
            .customers
            .list_vehicles(&who, &store, customer, &page(r.page_size, &r.page_token)?)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListVehiclesResponse {
            vehicles: result.items.into_iter().map(Into::into).collect(),
            next_page_token: result.next_page_token.unwrap_or_default(),
        }))
    }

    async fn record_odometer(&self, req: Request<pb::RecordOdometerRequest>) -> Answer<pb::Vehicle> {
        let who = self.caller(&req)?;
        let r = req.into_inner();
        let store = store_code(&r.store)?;
        may::<RecordOdometer>(&who, Some(&store))?;
        let (customer, vehicle) = (customer_id("customer_id", &r.customer_id)?, vehicle_id(&r.vehicle_id)?);
        let cmd = RecordOdometer {
            mileage_km: r.mileage_km,
            source: OdometerSource::from_proto(r.source)?,
            correction: Some(r.correction),
            note: r.note,
        };
        let key = request_id(&r.request_id)?;
        answer(self.services.customers.record_odometer(&who, &store, customer, vehicle, cmd, key).await)
    }
}

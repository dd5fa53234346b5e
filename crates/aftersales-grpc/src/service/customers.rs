//! `CustomerService`.

use aftersales_domain::app::CustomerQuery;
use aftersales_domain::model::customer::{
    AddVehicle, ConsentMethod, ContactChannel, CreateCustomer, MergeCustomers, OdometerSource,
    RecordOdometer, UpdateCustomer, UpdateVehicle, VehicleType,
};
use tonic::{Request, Response};

use super::{Adapter, Answer, answer, may};
use crate::convert;
use crate::convert::{EnumField, Mask};
use crate::pb;
use crate::status::{invalid, to_status};

#[tonic::async_trait]
impl pb::customer_service_server::CustomerService for Adapter {
    async fn create_customer(&self, req: Request<pb::CreateCustomerRequest>) -> Answer<pb::Customer> {
        let who = self.caller(&req)?;
        let pb::CreateCustomerRequest {
            store,
            name,
            phone,
            address,
            company,
            preferred_channel,
            preferred_contact_time,
            wanted_services,
            marketing_consent,
            consent_method,
            request_id,
        } = req.into_inner();
        let store = convert::store_code(&store)?;
        may::<CreateCustomer>(&who, Some(&store))?;
        let cmd = CreateCustomer {
            name,
            phone,
            address,
            company,
            preferred_channel: ContactChannel::from_proto(preferred_channel)?,
            preferred_contact_time,
            wanted_services,
            marketing_consent: Some(marketing_consent),
            consent_method: ConsentMethod::from_proto(consent_method)?,
        };
        answer(self.services.customers.create(&who, &store, cmd, convert::request_id(&request_id)?).await)
    }

    async fn get_customer(&self, req: Request<pb::GetCustomerRequest>) -> Answer<pb::Customer> {
        let who = self.caller(&req)?;
        let pb::GetCustomerRequest { store, customer_id } = req.into_inner();
        answer(
            self.services
                .customers
                .get(&who, &convert::store_code(&store)?, convert::customer_id("customer_id", &customer_id)?)
                .await,
        )
    }

    async fn list_customers(
        &self,
        req: Request<pb::ListCustomersRequest>,
    ) -> Answer<pb::ListCustomersResponse> {
        let who = self.caller(&req)?;
        let pb::ListCustomersRequest { store, q, plate, vin, page_size, page_token, updated_since } =
            req.into_inner();
        let store = convert::store_code(&store)?;
        let query = CustomerQuery {
            q: convert::non_empty(&q),
            plate: convert::non_empty(&plate),
            vin: convert::non_empty(&vin),
        };
        let result = self
            .services
            .customers
            .list(&who, &store, &query, &convert::page_since(page_size, &page_token, updated_since)?)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListCustomersResponse {
            customers: result.items.into_iter().map(Into::into).collect(),
            next_page_token: result.next_page_token.unwrap_or_default(),
        }))
    }

    async fn update_customer(&self, req: Request<pb::UpdateCustomerRequest>) -> Answer<pb::Customer> {
        let who = self.caller(&req)?;
        let pb::UpdateCustomerRequest { store, customer, update_mask, consent_method, etag } =
            req.into_inner();
        let store = convert::store_code(&store)?;
        may::<UpdateCustomer>(&who, Some(&store))?;
        let c = customer.ok_or_else(|| invalid("customer", "is required"))?;
        let id = convert::customer_id("customer.id", &c.id)?;
        let mask = Mask::new(
            update_mask,
            &[
                "name",
                "phone",
                "address",
                "company",
                "preferred_channel",
                "preferred_contact_time",
                "wanted_services",
                "marketing_consent",
                "credit_account",
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
                .has("marketing_consent", consent_method != 0)
                .then_some(c.marketing_consent),
            consent_method: ConsentMethod::from_proto(consent_method)?,
            // A bool has no "unset": only a mask naming it changes it.
            credit_account: mask.has("credit_account", false).then_some(c.credit_account),
        };
        answer(self.services.customers.update(&who, &store, id, cmd, convert::etag(&etag)?).await)
    }

    async fn merge_customers(&self, req: Request<pb::MergeCustomersRequest>) -> Answer<pb::Customer> {
        let who = self.caller(&req)?;
        let pb::MergeCustomersRequest { store, source_id, target_id, request_id } = req.into_inner();
        let store = convert::store_code(&store)?;
        may::<MergeCustomers>(&who, Some(&store))?;
        let cmd = MergeCustomers {
            source_id: convert::customer_id("source_id", &source_id)?,
            target_id: convert::customer_id("target_id", &target_id)?,
        };
        answer(self.services.customers.merge(&who, &store, cmd, convert::request_id(&request_id)?).await)
    }

    async fn list_consent_events(
        &self,
        req: Request<pb::ListConsentEventsRequest>,
    ) -> Answer<pb::ListConsentEventsResponse> {
        let who = self.caller(&req)?;
        let pb::ListConsentEventsRequest { store, customer_id } = req.into_inner();
        let store = convert::store_code(&store)?;
        let events = self
            .services
            .customers
            .consent_history(&who, &store, convert::customer_id("customer_id", &customer_id)?)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListConsentEventsResponse {
            consent_events: events.into_iter().map(Into::into).collect(),
        }))
    }

    async fn add_vehicle(&self, req: Request<pb::AddVehicleRequest>) -> Answer<pb::Vehicle> {
        let who = self.caller(&req)?;
        let pb::AddVehicleRequest {
            store,
            customer_id,
            vin,
            plate,
            make,
            model,
            vehicle_type,
            color,
            registration_date,
            mileage_km,
            maintenance_cycle_km,
            maintenance_cycle_months,
            last_service_date,
            last_service_km,
            request_id,
            purchase_date,
        } = req.into_inner();
        let store = convert::store_code(&store)?;
        may::<AddVehicle>(&who, Some(&store))?;
        let customer = convert::customer_id("customer_id", &customer_id)?;
        let cmd = AddVehicle {
            vin,
            plate,
            make,
            model,
            vehicle_type: VehicleType::from_proto(vehicle_type)?,
            color,
            registration_date: convert::date("registration_date", registration_date.as_deref())?,
            purchase_date: convert::date("purchase_date", purchase_date.as_deref())?,
            mileage_km,
            maintenance_cycle_km,
            maintenance_cycle_months,
            last_service_date: convert::date("last_service_date", last_service_date.as_deref())?,
            last_service_km,
        };
        answer(
            self.services
                .customers
                .add_vehicle(&who, &store, customer, cmd, convert::request_id(&request_id)?)
                .await,
        )
    }

    async fn get_vehicle(&self, req: Request<pb::GetVehicleRequest>) -> Answer<pb::Vehicle> {
        let who = self.caller(&req)?;
        let pb::GetVehicleRequest { store, customer_id, vehicle_id } = req.into_inner();
        let store = convert::store_code(&store)?;
        let (customer, vehicle) =
            (convert::customer_id("customer_id", &customer_id)?, convert::vehicle_id(&vehicle_id)?);
        answer(self.services.customers.get_vehicle(&who, &store, customer, vehicle).await)
    }

    async fn update_vehicle(&self, req: Request<pb::UpdateVehicleRequest>) -> Answer<pb::Vehicle> {
        let who = self.caller(&req)?;
        let pb::UpdateVehicleRequest { store, customer_id, vehicle, update_mask, etag } = req.into_inner();
        let store = convert::store_code(&store)?;
        may::<UpdateVehicle>(&who, Some(&store))?;
        let customer = convert::customer_id("customer_id", &customer_id)?;
        let v = vehicle.ok_or_else(|| invalid("vehicle", "is required"))?;
        let id = aftersales_domain::value::VehicleId::parse("vehicle.id", &v.id).map_err(to_status)?;
        let mask = Mask::new(
            update_mask,
            &[
                "plate",
                "make",
                "model",
                "vehicle_type",
                "color",
                "registration_date",
                "purchase_date",
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
                convert::date("vehicle.registration_date", v.registration_date.as_deref())?
            } else {
                None
            },
            purchase_date: if mask.has("purchase_date", v.purchase_date.is_some()) {
                convert::date("vehicle.purchase_date", v.purchase_date.as_deref())?
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
                convert::date("vehicle.last_service_date", v.last_service_date.as_deref())?
            } else {
                None
            },
            last_service_km: mask
                .has("last_service_km", v.last_service_km.is_some())
                .then_some(v.last_service_km)
                .flatten(),
        };
        answer(
            self.services
                .customers
                .update_vehicle(&who, &store, customer, id, cmd, convert::etag(&etag)?)
                .await,
        )
    }

    async fn list_vehicles(&self, req: Request<pb::ListVehiclesRequest>) -> Answer<pb::ListVehiclesResponse> {
        let who = self.caller(&req)?;
        let pb::ListVehiclesRequest { store, customer_id, page_size, page_token, updated_since } =
            req.into_inner();
        let store = convert::store_code(&store)?;
        let customer = convert::customer_id("customer_id", &customer_id)?;
        let result = self
            .services
            .customers
            .list_vehicles(
                &who,
                &store,
                customer,
                &convert::page_since(page_size, &page_token, updated_since)?,
            )
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListVehiclesResponse {
            vehicles: result.items.into_iter().map(Into::into).collect(),
            next_page_token: result.next_page_token.unwrap_or_default(),
        }))
    }

    async fn record_odometer(&self, req: Request<pb::RecordOdometerRequest>) -> Answer<pb::Vehicle> {
        let who = self.caller(&req)?;
        let pb::RecordOdometerRequest {
            store,
            customer_id,
            vehicle_id,
            mileage_km,
            source,
            correction,
            note,
            request_id,
        } = req.into_inner();
        let store = convert::store_code(&store)?;
        may::<RecordOdometer>(&who, Some(&store))?;
        let (customer, vehicle) =
            (convert::customer_id("customer_id", &customer_id)?, convert::vehicle_id(&vehicle_id)?);
        let cmd = RecordOdometer {
            mileage_km,
            source: OdometerSource::from_proto(source)?,
            correction: Some(correction),
            note,
        };
        let key = convert::request_id(&request_id)?;
        answer(self.services.customers.record_odometer(&who, &store, customer, vehicle, cmd, key).await)
    }
}

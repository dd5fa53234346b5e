//! `AppointmentService` (AP-1..AP-5).

use aftersales_domain::app::{
    AppointmentStep, BookAppointment, CancelAppointment, CheckIn, ConfirmBooking, DayQuery,
    RescheduleAppointment,
};
use aftersales_domain::model::appointment::{AppointmentId, CancelledBy, Capacity, Channel};
use aftersales_domain::model::work_order::{FuelLevel, RepairCategory};
use aftersales_domain::value::{StoreCode, VehicleId};
use tonic::{Request, Response, Status};

use super::{Adapter, Answer, answer, may};
use crate::convert::{self, EnumField};
use crate::pb;
use crate::status::{invalid, to_status};

/// Parses the fields every step carries.
fn target(store: &str, id: &str, tag: &str, key: &str) -> Result<(StoreCode, AppointmentStep), Status> {
    let step = AppointmentStep {
        id: AppointmentId::parse("appointment_id", id).map_err(to_status)?,
        if_match: convert::etag(tag)?,
        key: convert::request_id(key)?,
    };
    Ok((convert::store_code(store)?, step))
}

fn day(field: &str, raw: &str) -> Result<chrono::NaiveDate, Status> {
    convert::date(field, Some(raw))?.ok_or_else(|| invalid(field, "is required"))
}

#[tonic::async_trait]
impl pb::appointment_service_server::AppointmentService for Adapter {
    async fn get_capacity(&self, req: Request<pb::GetCapacityRequest>) -> Answer<pb::Capacity> {
        let who = self.caller(&req)?;
        let pb::GetCapacityRequest { store } = req.into_inner();
        answer(self.services.appointments.capacity(&who, &convert::store_code(&store)?).await)
    }

    async fn set_capacity(&self, req: Request<pb::SetCapacityRequest>) -> Answer<pb::Capacity> {
        let who = self.caller(&req)?;
        let pb::SetCapacityRequest { store, capacity } = req.into_inner();
        let store = convert::store_code(&store)?;
        may::<Capacity>(&who, Some(&store))?;
        let capacity = convert::capacity(capacity.ok_or_else(|| invalid("capacity", "is required"))?)?;
        answer(self.services.appointments.set_capacity(&who, &store, capacity).await)
    }

    async fn get_availability(
        &self,
        req: Request<pb::GetAvailabilityRequest>,
    ) -> Answer<pb::GetAvailabilityResponse> {
        let who = self.caller(&req)?;
        let pb::GetAvailabilityRequest { store, from, to, service_types } = req.into_inner();
        let store = convert::store_code(&store)?;
        let (from, to) = (day("from", &from)?, day("to", &to)?);
        let starts = self
            .services
            .appointments
            .availability(&who, &store, from, to, &service_types)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::GetAvailabilityResponse {
            starts: starts.into_iter().filter_map(convert::ts).collect(),
        }))
    }

    async fn book_appointment(&self, req: Request<pb::BookAppointmentRequest>) -> Answer<pb::Appointment> {
        let who = self.caller(&req)?;
        let pb::BookAppointmentRequest { store, service_types, start, channel, hold, visitor, request_id } =
            req.into_inner();
        let store = convert::store_code(&store)?;
        may::<BookAppointment>(&who, Some(&store))?;
        let cmd = BookAppointment {
            service_types,
            start: convert::instant("start", start)?,
            channel: Channel::from_proto(channel)?.ok_or_else(|| invalid("channel", "is required"))?,
            hold,
            visitor: visitor.map(convert::visitor).transpose()?,
        };
        answer(self.services.appointments.book(&who, &store, cmd, convert::request_id(&request_id)?).await)
    }

    async fn get_appointment(&self, req: Request<pb::GetAppointmentRequest>) -> Answer<pb::Appointment> {
        let who = self.caller(&req)?;
        let pb::GetAppointmentRequest { store, appointment_id } = req.into_inner();
        let (store, AppointmentStep { id, .. }) = target(&store, &appointment_id, "", "")?;
        answer(self.services.appointments.get(&who, &store, id).await)
    }

    async fn list_arrivals(&self, req: Request<pb::ListArrivalsRequest>) -> Answer<pb::ListArrivalsResponse> {
        let who = self.caller(&req)?;
        let pb::ListArrivalsRequest { store, date, advisor, page_size, page_token, updated_since } =
            req.into_inner();
        let store = convert::store_code(&store)?;
        let page = convert::page_since(page_size, &page_token, updated_since)?;
        let query = DayQuery { advisor: convert::non_empty(&advisor) };
        let list = self
            .services
            .appointments
            .day(&who, &store, day("date", &date)?, &query, &page)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListArrivalsResponse {
            appointments: list.items.into_iter().map(Into::into).collect(),
            next_page_token: list.next_page_token.unwrap_or_default(),
        }))
    }

    async fn confirm_appointment(
        &self,
        req: Request<pb::ConfirmAppointmentRequest>,
    ) -> Answer<pb::Appointment> {
        let who = self.caller(&req)?;
        let pb::ConfirmAppointmentRequest { store, appointment_id, etag, request_id, visitor } =
            req.into_inner();
        let (store, step) = target(&store, &appointment_id, &etag, &request_id)?;
        may::<ConfirmBooking>(&who, Some(&store))?;
        let cmd = ConfirmBooking { visitor: visitor.map(convert::visitor).transpose()? };
        answer(self.services.appointments.confirm(&who, &store, step, cmd).await)
    }

    async fn reschedule_appointment(
        &self,
        req: Request<pb::RescheduleAppointmentRequest>,
    ) -> Answer<pb::Appointment> {
        let who = self.caller(&req)?;
        let pb::RescheduleAppointmentRequest { store, appointment_id, etag, request_id, start } =
            req.into_inner();
        let (store, step) = target(&store, &appointment_id, &etag, &request_id)?;
        may::<RescheduleAppointment>(&who, Some(&store))?;
        let cmd = RescheduleAppointment { start: convert::instant("start", start)? };
        answer(self.services.appointments.reschedule(&who, &store, step, cmd).await)
    }

    async fn cancel_appointment(
        &self,
        req: Request<pb::CancelAppointmentRequest>,
    ) -> Answer<pb::Appointment> {
        let who = self.caller(&req)?;
        let pb::CancelAppointmentRequest { store, appointment_id, etag, request_id, by, reason } =
            req.into_inner();
        let (store, step) = target(&store, &appointment_id, &etag, &request_id)?;
        may::<CancelAppointment>(&who, Some(&store))?;
        let by = CancelledBy::from_proto(by)?.ok_or_else(|| invalid("by", "is required"))?;
        answer(self.services.appointments.cancel(&who, &store, step, CancelAppointment { by, reason }).await)
    }

    async fn check_in_appointment(
        &self,
        req: Request<pb::CheckInAppointmentRequest>,
    ) -> Answer<pb::Appointment> {
        let who = self.caller(&req)?;
        let pb::CheckInAppointmentRequest {
            store,
            appointment_id,
            etag,
            request_id,
            intake_mileage_km,
            fuel_level,
            repair_category,
            promised_at,
            customer_id,
            vehicle_id,
        } = req.into_inner();
        let (store, step) = target(&store, &appointment_id, &etag, &request_id)?;
        may::<CheckIn>(&who, Some(&store))?;
        let cmd = CheckIn {
            intake_mileage_km,
            fuel_level: FuelLevel::from_proto(fuel_level)?,
            repair_category: RepairCategory::from_proto(repair_category)?
                .ok_or_else(|| invalid("repair_category", "is required"))?,
            promised_at: convert::instant("promised_at", promised_at)?,
            customer_id: customer_id
                .as_deref()
                .map(|c| convert::customer_id("customer_id", c))
                .transpose()?,
            vehicle_id: vehicle_id
                .as_deref()
                .map(|id| VehicleId::parse("vehicle_id", id))
                .transpose()
                .map_err(to_status)?,
        };
        answer(self.services.appointments.check_in(&who, &store, step, cmd).await)
    }
}

//! `StoreService`.

use aftersales_domain::auth::Role;
use aftersales_domain::model::audit::AuditFilter;
use aftersales_domain::model::store::{CreateStaff, CreateStore, UpdateStaff, UpdateStore};
use tonic::{Request, Response};

use super::{Adapter, Answer, answer, may};
use crate::convert;
use crate::convert::{EnumField, Mask, call_windows, sla_patch};
use crate::pb;
use crate::status::{invalid, to_status};

fn roles(raw: &[i32]) -> Result<Vec<Role>, tonic::Status> {
    raw.iter()
        .map(|r| Role::from_proto(*r)?.ok_or_else(|| invalid("roles", "ROLE_UNSPECIFIED is not a role")))
        .collect()
}

#[tonic::async_trait]
impl pb::store_service_server::StoreService for Adapter {
    async fn create_store(&self, req: Request<pb::CreateStoreRequest>) -> Answer<pb::Store> {
        let who = self.caller(&req)?;
        may::<CreateStore>(&who, None)?;
        let pb::CreateStoreRequest { code, name, timezone, call_hours, sla, request_id } = req.into_inner();
        let cmd = CreateStore {
            code,
            name,
            timezone: convert::non_empty(&timezone),
            call_hours: (!call_hours.is_empty()).then(|| call_windows(&call_hours)),
            sla: sla.as_ref().map(|s| sla_patch(s, None)),
        };
        answer(self.services.stores.create(&who, cmd, convert::request_id(&request_id)?).await)
    }

    async fn get_store(&self, req: Request<pb::GetStoreRequest>) -> Answer<pb::Store> {
        let who = self.caller(&req)?;
        let store = convert::store_code(&req.get_ref().store)?;
        answer(self.services.stores.get(&who, &store).await)
    }

    async fn list_stores(&self, req: Request<pb::ListStoresRequest>) -> Answer<pb::ListStoresResponse> {
        let who = self.caller(&req)?;
        let pb::ListStoresRequest { page_size, page_token, updated_since } = req.into_inner();
        let result = self
            .services
            .stores
            .list(&who, &convert::page_since(page_size, &page_token, updated_since)?)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListStoresResponse {
            stores: result.items.into_iter().map(Into::into).collect(),
            next_page_token: result.next_page_token.unwrap_or_default(),
        }))
    }

    async fn update_store(&self, req: Request<pb::UpdateStoreRequest>) -> Answer<pb::Store> {
        let who = self.caller(&req)?;
        let pb::UpdateStoreRequest { store, update_mask, etag } = req.into_inner();
        let store = store.ok_or_else(|| invalid("store", "is required"))?;
        let code = convert::store_code(&store.code)?;
        may::<UpdateStore>(&who, Some(&code))?;
        let mask = Mask::new(update_mask, &["name", "timezone", "call_hours", "sla", "workshop"])?;
        let sla = store.sla.unwrap_or_default();
        let pb::WorkshopSettings { insurers, periods } = store.workshop.unwrap_or_default();
        let cmd = UpdateStore {
            name: mask.has("name", !store.name.is_empty()).then_some(store.name),
            timezone: mask.has("timezone", !store.timezone.is_empty()).then_some(store.timezone),
            call_hours: mask
                .has("call_hours", !store.call_hours.is_empty())
                .then(|| call_windows(&store.call_hours)),
            sla: mask.touches("sla", true).then(|| sla_patch(&sla, Some((&mask, "sla")))),
            insurers: mask.sub("workshop", "insurers", !insurers.is_empty()).then_some(insurers),
            periods: periods.filter(|_| mask.sub("workshop", "periods", true)).map(|p| {
                let pb::SanbaoPeriods { warranty_years, warranty_km, sanbao_years, sanbao_km } = p;
                aftersales_domain::model::sanbao::Periods {
                    warranty_years,
                    warranty_km,
                    sanbao_years,
                    sanbao_km,
                }
            }),
        };
        answer(self.services.stores.update(&who, &code, cmd, convert::etag(&etag)?).await)
    }

    async fn create_staff_member(
        &self,
        req: Request<pb::CreateStaffMemberRequest>,
    ) -> Answer<pb::StaffMember> {
        let who = self.caller(&req)?;
        let pb::CreateStaffMemberRequest { store, id, name, roles, active, request_id } = req.into_inner();
        let store = convert::store_code(&store)?;
        may::<CreateStaff>(&who, Some(&store))?;
        let cmd = CreateStaff { id, name, roles: self::roles(&roles)?, active };
        answer(self.services.stores.create_staff(&who, &store, cmd, convert::request_id(&request_id)?).await)
    }

    async fn get_staff_member(&self, req: Request<pb::GetStaffMemberRequest>) -> Answer<pb::StaffMember> {
        let who = self.caller(&req)?;
        let pb::GetStaffMemberRequest { store, id } = req.into_inner();
        answer(self.services.stores.get_staff(&who, &convert::store_code(&store)?, &id).await)
    }

    async fn list_staff(&self, req: Request<pb::ListStaffRequest>) -> Answer<pb::ListStaffResponse> {
        let who = self.caller(&req)?;
        let pb::ListStaffRequest { store, page_size, page_token, updated_since } = req.into_inner();
        let store = convert::store_code(&store)?;
        let result = self
            .services
            .stores
            .list_staff(&who, &store, &convert::page_since(page_size, &page_token, updated_since)?)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListStaffResponse {
            staff: result.items.into_iter().map(Into::into).collect(),
            next_page_token: result.next_page_token.unwrap_or_default(),
        }))
    }

    async fn update_staff_member(
        &self,
        req: Request<pb::UpdateStaffMemberRequest>,
    ) -> Answer<pb::StaffMember> {
        let who = self.caller(&req)?;
        let pb::UpdateStaffMemberRequest { staff_member, update_mask, etag } = req.into_inner();
        let staff = staff_member.ok_or_else(|| invalid("staff_member", "is required"))?;
        let store = convert::store_code(&staff.store)?;
        may::<UpdateStaff>(&who, Some(&store))?;
        let mask = Mask::new(update_mask, &["name", "roles", "active"])?;
        let cmd = UpdateStaff {
            name: mask.has("name", !staff.name.is_empty()).then_some(staff.name),
            roles: if mask.has("roles", !staff.roles.is_empty()) { Some(roles(&staff.roles)?) } else { None },
            active: mask.has("active", false).then_some(staff.active),
        };
        answer(self.services.stores.update_staff(&who, &store, &staff.id, cmd, convert::etag(&etag)?).await)
    }

    async fn list_audit_events(
        &self,
        req: Request<pb::ListAuditEventsRequest>,
    ) -> Answer<pb::ListAuditEventsResponse> {
        let who = self.caller(&req)?;
        let pb::ListAuditEventsRequest {
            store,
            resource_type,
            resource_id,
            actor,
            page_size,
            page_token,
            updated_since,
        } = req.into_inner();
        let store = convert::store_code(&store)?;
        let filter = AuditFilter {
            resource_type: convert::non_empty(&resource_type),
            resource_id: convert::non_empty(&resource_id),
            actor: convert::non_empty(&actor),
        };
        let result = self
            .services
            .audit
            .list(&who, &store, &filter, &convert::page_since(page_size, &page_token, updated_since)?)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListAuditEventsResponse {
            audit_events: result.items.into_iter().map(Into::into).collect(),
            next_page_token: result.next_page_token.unwrap_or_default(),
        }))
    }
}

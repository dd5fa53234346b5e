//! `ApprovalLinkService` (WO-13): the store's side of remote approval.

use aftersales_domain::app::{IssueApprovalLink, SendApprovalLink};
use aftersales_domain::model::approval_link::{ApprovalLink, ApprovalLinkId};
use aftersales_domain::model::work_order::WorkOrderId;
use aftersales_domain::value::StoreCode;
use tonic::{Request, Response, Status};

use super::{Adapter, Answer, answer, may};
use crate::convert::{self, ts};
use crate::pb;
use crate::status::to_status;

impl From<ApprovalLink> for pb::ApprovalLink {
    fn from(l: ApprovalLink) -> Self {
        let ApprovalLink {
            id,
            store: _,
            work_order_id,
            estimate_version,
            token_hash: _,
            created_by,
            created_at,
            expires_at,
            revoked_at,
            used_at,
            version: _,
        } = l;
        Self {
            id: id.to_string(),
            work_order_id: work_order_id.to_string(),
            estimate_version,
            created_by,
            created_at: ts(created_at),
            expires_at: ts(expires_at),
            revoked_at: revoked_at.and_then(ts),
            used_at: used_at.and_then(ts),
        }
    }
}

fn order(store: &str, id: &str) -> Result<(StoreCode, WorkOrderId), Status> {
    Ok((convert::store_code(store)?, WorkOrderId::parse("work_order_id", id).map_err(to_status)?))
}

#[tonic::async_trait]
impl pb::approval_link_service_server::ApprovalLinkService for Adapter {
    async fn issue_approval_link(
        &self,
        req: Request<pb::IssueApprovalLinkRequest>,
    ) -> Answer<pb::IssuedApprovalLink> {
        let who = self.caller(&req)?;
        let pb::IssueApprovalLinkRequest { store, work_order_id, ttl_hours } = req.into_inner();
        let (store, id) = order(&store, &work_order_id)?;
        may::<IssueApprovalLink>(&who, Some(&store))?;
        let issued = self
            .services
            .approval_links
            .issue(&who, &store, id, IssueApprovalLink { ttl_hours })
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::IssuedApprovalLink {
            link: Some(issued.link.into()),
            token: issued.token,
            path: issued.path,
        }))
    }

    async fn list_approval_links(
        &self,
        req: Request<pb::ListApprovalLinksRequest>,
    ) -> Answer<pb::ListApprovalLinksResponse> {
        let who = self.caller(&req)?;
        let pb::ListApprovalLinksRequest { store, work_order_id, page_size, page_token } = req.into_inner();
        let (store, id) = order(&store, &work_order_id)?;
        let page = convert::page(page_size, &page_token)?;
        let list = self.services.approval_links.list(&who, &store, id, &page).await.map_err(to_status)?;
        Ok(Response::new(pb::ListApprovalLinksResponse {
            links: list.items.into_iter().map(Into::into).collect(),
            next_page_token: list.next_page_token.unwrap_or_default(),
        }))
    }

    async fn revoke_approval_link(
        &self,
        req: Request<pb::RevokeApprovalLinkRequest>,
    ) -> Answer<pb::ApprovalLink> {
        let who = self.caller(&req)?;
        let pb::RevokeApprovalLinkRequest { store, work_order_id, link_id } = req.into_inner();
        let (store, id) = order(&store, &work_order_id)?;
        let link = ApprovalLinkId::parse("link_id", &link_id).map_err(to_status)?;
        answer(self.services.approval_links.revoke(&who, &store, id, link).await)
    }

    async fn send_approval_link(&self, req: Request<pb::SendApprovalLinkRequest>) -> Answer<pb::Message> {
        let who = self.caller(&req)?;
        let pb::SendApprovalLinkRequest { store, work_order_id, ttl_hours, request_id } = req.into_inner();
        let (store, id) = order(&store, &work_order_id)?;
        may::<SendApprovalLink>(&who, Some(&store))?;
        let key = convert::request_id(&request_id)?;
        answer(self.services.approval_links.send(&who, &store, id, SendApprovalLink { ttl_hours }, key).await)
    }
}

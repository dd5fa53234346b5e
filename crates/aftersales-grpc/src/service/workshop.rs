//! `WorkshopService` (issue 14): claims, the void (红冲), dispatch and clock-on.

use aftersales_domain::model::work_order::{
    ClockLine, ComebackDecision, DecideComeback, DispatchLine, InsuranceClaimStep, LineId, Payer,
    PayerChange, PaymentMethod, VoidSettlement, WarrantyClaimStep,
};
use tonic::{Request, Response, Status};

use super::work_orders::target;
use super::{Adapter, Answer, answer, may};
use crate::convert::{self, EnumField};
use crate::pb;
use crate::pb::insurance_claim_step_request::Step as InsuranceStep;
use crate::pb::warranty_claim_step_request::Step as WarrantyStep;
use crate::status::{invalid, to_status};

fn line_id(field: &str, raw: &str) -> Result<LineId, Status> {
    LineId::parse(field, raw).map_err(to_status)
}

fn day(field: &str, raw: &str) -> Result<chrono::NaiveDate, Status> {
    convert::date(field, Some(raw))?.ok_or_else(|| invalid(field, "is required"))
}

fn insurance_step(step: Option<InsuranceStep>) -> Result<InsuranceClaimStep, Status> {
    Ok(match step.ok_or_else(|| invalid("step", "is required"))? {
        InsuranceStep::Report(pb::ReportClaim { insurer, policy_number, claim_number }) => {
            InsuranceClaimStep::Report { insurer, policy_number, claim_number }
        }
        InsuranceStep::Assess(pb::AssessClaim { assessed_fen, assessed_on }) => {
            InsuranceClaimStep::Assess { assessed_fen, assessed_on: day("assessed_on", &assessed_on)? }
        }
        InsuranceStep::Supplement(pb::SupplementClaim { amount_fen, reason }) => {
            InsuranceClaimStep::Supplement { amount_fen, reason }
        }
        InsuranceStep::Approve(pb::ApproveClaim { approved_fen }) => {
            InsuranceClaimStep::Approve { approved_fen }
        }
        InsuranceStep::Pay(pb::PayInsuranceClaim { paid_fen, paid_on }) => {
            InsuranceClaimStep::Pay { paid_fen, paid_on: day("paid_on", &paid_on)? }
        }
        InsuranceStep::Reject(pb::RejectClaim { reason }) => InsuranceClaimStep::Reject { reason },
    })
}

fn warranty_step(step: Option<WarrantyStep>) -> Result<WarrantyClaimStep, Status> {
    Ok(match step.ok_or_else(|| invalid("step", "is required"))? {
        WarrantyStep::Submit(pb::SubmitWarrantyClaim { manufacturer_claim_number }) => {
            WarrantyClaimStep::Submit { manufacturer_claim_number }
        }
        WarrantyStep::Approve(pb::ApproveClaim { approved_fen }) => {
            WarrantyClaimStep::Approve { approved_fen }
        }
        WarrantyStep::Pay(pb::PayWarrantyClaim { paid_fen }) => WarrantyClaimStep::Pay { paid_fen },
        WarrantyStep::Reject(pb::RejectClaim { reason }) => WarrantyClaimStep::Reject { reason },
    })
}

#[tonic::async_trait]
impl pb::workshop_service_server::WorkshopService for Adapter {
    async fn insurance_claim_step(
        &self,
        req: Request<pb::InsuranceClaimStepRequest>,
    ) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::InsuranceClaimStepRequest { store, work_order_id, etag, request_id, step } = req.into_inner();
        let (store, step_of) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<InsuranceClaimStep>(&who, Some(&store))?;
        let cmd = insurance_step(step)?;
        answer(self.services.work_orders.insurance_claim(&who, &store, step_of, cmd).await)
    }

    async fn warranty_claim_step(&self, req: Request<pb::WarrantyClaimStepRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::WarrantyClaimStepRequest { store, work_order_id, etag, request_id, step } = req.into_inner();
        let (store, step_of) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<WarrantyClaimStep>(&who, Some(&store))?;
        let cmd = warranty_step(step)?;
        answer(self.services.work_orders.warranty_claim(&who, &store, step_of, cmd).await)
    }

    async fn void_settlement(&self, req: Request<pb::VoidSettlementRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::VoidSettlementRequest {
            store,
            work_order_id,
            etag,
            request_id,
            reason,
            discount_fen,
            payers,
            payment_method,
        } = req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<VoidSettlement>(&who, Some(&store))?;
        let payers = payers
            .into_iter()
            .enumerate()
            .map(|(i, pb::PayerChange { line_id: id, payer })| {
                let field = format!("payers[{i}]");
                let payer = Payer::from_proto(payer)?
                    .ok_or_else(|| invalid(&format!("{field}.payer"), "is required"))?;
                Ok(PayerChange { line_id: line_id(&format!("{field}.line_id"), &id)?, payer })
            })
            .collect::<Result<_, Status>>()?;
        let cmd = VoidSettlement {
            reason,
            discount_fen,
            payers,
            payment_method: PaymentMethod::from_proto(payment_method)?,
        };
        answer(self.services.work_orders.void_settlement(&who, &store, step, cmd).await)
    }

    async fn decide_comeback(&self, req: Request<pb::DecideComebackRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::DecideComebackRequest { store, work_order_id, etag, request_id, decision, reason } =
            req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<DecideComeback>(&who, Some(&store))?;
        let decision =
            ComebackDecision::from_proto(decision)?.ok_or_else(|| invalid("decision", "is required"))?;
        let cmd = DecideComeback { decision, reason };
        answer(self.services.work_orders.decide_comeback(&who, &store, step, cmd).await)
    }

    async fn dispatch_line(&self, req: Request<pb::DispatchLineRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::DispatchLineRequest { store, work_order_id, etag, request_id, line_id: id, technician, bay } =
            req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<DispatchLine>(&who, Some(&store))?;
        let cmd = DispatchLine { line_id: line_id("line_id", &id)?, technician, bay };
        answer(self.services.work_orders.dispatch(&who, &store, step, cmd).await)
    }

    async fn clock_on(&self, req: Request<pb::ClockRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::ClockRequest { store, work_order_id, etag, request_id, line_id: id } = req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<ClockLine>(&who, Some(&store))?;
        let cmd = ClockLine { line_id: line_id("line_id", &id)? };
        answer(self.services.work_orders.clock_on(&who, &store, step, cmd).await)
    }

    async fn clock_off(&self, req: Request<pb::ClockRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::ClockRequest { store, work_order_id, etag, request_id, line_id: id } = req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<ClockLine>(&who, Some(&store))?;
        let cmd = ClockLine { line_id: line_id("line_id", &id)? };
        answer(self.services.work_orders.clock_off(&who, &store, step, cmd).await)
    }

    async fn list_open_claims(
        &self,
        req: Request<pb::ListOpenClaimsRequest>,
    ) -> Answer<pb::ListOpenClaimsResponse> {
        let who = self.caller(&req)?;
        let pb::ListOpenClaimsRequest { store, page_size, page_token } = req.into_inner();
        let store = convert::store_code(&store)?;
        let page = convert::page(page_size, &page_token)?;
        let result = self.services.work_orders.open_claims(&who, &store, &page).await.map_err(to_status)?;
        Ok(Response::new(pb::ListOpenClaimsResponse {
            claims: result.items.into_iter().map(Into::into).collect(),
            next_page_token: result.next_page_token.unwrap_or_default(),
        }))
    }

    async fn get_technician_queue(
        &self,
        req: Request<pb::GetTechnicianQueueRequest>,
    ) -> Answer<pb::GetTechnicianQueueResponse> {
        let who = self.caller(&req)?;
        let pb::GetTechnicianQueueRequest { store, technician, page_size, page_token } = req.into_inner();
        let store = convert::store_code(&store)?;
        let page = convert::page(page_size, &page_token)?;
        let result = self
            .services
            .work_orders
            .technician_queue(&who, &store, &technician, &page)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::GetTechnicianQueueResponse {
            items: result.items.into_iter().map(Into::into).collect(),
            next_page_token: result.next_page_token.unwrap_or_default(),
        }))
    }
}

//! `WorkOrderService` and `InspectionService`.

use aftersales_domain::app::{
    CancelWorkOrder, CompleteLine, CompleteWork, CreateWorkOrder, DeliverWorkOrder, ProposeLines,
    RecordDecisions, StartWork, WorkOrderQuery,
};
use aftersales_domain::app::{
    DocumentKind, LineChange, RecordAccessories, RecordSignature, ReviseEstimate, Step,
};
use aftersales_domain::model::inspection::{
    InspectionId, InspectionMethod, LineResult, RoadTest, SubmitEntryInspection, SubmitExitInspection,
    VehicleCondition,
};
use aftersales_domain::model::work_order::{
    AccessoryInput, PaymentMethod, SignatureMethod, SignedDocument, TakePayment,
};
use aftersales_domain::model::work_order::{
    ApprovalMethod, FuelLevel, LineDecision, LineId, LineInput, LineKind, OldPartDisposition, RepairCategory,
    WorkOrderId, WorkOrderStatus,
};
use aftersales_domain::value::{CustomerId, StoreCode, VehicleId};
use tonic::{Request, Response, Status};

use super::{Adapter, Answer, answer, may};
use crate::convert;
use crate::convert::EnumField;
use crate::pb;
use crate::status::{invalid, to_status};

/// Parses the fields every step carries.
pub(super) fn target(store: &str, id: &str, tag: &str, key: &str) -> Result<(StoreCode, Step), Status> {
    let step = Step {
        id: WorkOrderId::parse("work_order_id", id).map_err(to_status)?,
        if_match: convert::etag(tag)?,
        key: convert::request_id(key)?,
    };
    Ok((convert::store_code(store)?, step))
}

fn line_inputs(lines: Vec<pb::LineInput>) -> Result<Vec<LineInput>, Status> {
    lines.into_iter().enumerate().map(|(i, l)| line_input(&format!("lines[{i}]"), l)).collect()
}

fn line_input(field: &str, l: pb::LineInput) -> Result<LineInput, Status> {
    let pb::LineInput {
        kind,
        code,
        description,
        hours,
        rate_fen,
        quantity,
        unit_price_fen,
        old_part,
        technician,
        urgency,
        payer,
        fault_code,
        sanbao,
    } = l;
    let kind = LineKind::from_proto(kind)?
        .ok_or_else(|| invalid(&format!("{field}.kind"), "must be labour or part"))?;
    Ok(LineInput {
        kind,
        code,
        description,
        hours,
        rate_fen,
        quantity,
        unit_price_fen,
        old_part: OldPartDisposition::from_proto(old_part)?,
        technician,
        urgency: aftersales_domain::model::work_order::Urgency::from_proto(urgency)?,
        payer: aftersales_domain::model::work_order::Payer::from_proto(payer)?,
        fault_code,
        sanbao: sanbao.map(|t| convert::line_sanbao(&format!("{field}.sanbao"), t)).transpose()?,
    })
}

/// The customer's decisions as both approval RPCs carry them.
fn decisions(
    estimate_version: u32,
    method: i32,
    lines: &[pb::LineDecision],
) -> Result<RecordDecisions, Status> {
    Ok(RecordDecisions {
        estimate_version,
        method: ApprovalMethod::from_proto(method)?.ok_or_else(|| invalid("method", "is required"))?,
        decisions: lines
            .iter()
            .enumerate()
            .map(|(i, d)| {
                Ok(LineDecision {
                    line_id: LineId::parse(&format!("decisions[{i}].line_id"), &d.line_id)
                        .map_err(to_status)?,
                    approved: d.approved,
                    reason: d.reason.clone(),
                })
            })
            .collect::<Result<_, Status>>()?,
    })
}

#[tonic::async_trait]
impl pb::work_order_service_server::WorkOrderService for Adapter {
    async fn create_work_order(&self, req: Request<pb::CreateWorkOrderRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::CreateWorkOrderRequest {
            store,
            customer_id,
            vehicle_id,
            fault_description,
            intake_mileage_km,
            fuel_level,
            repair_category,
            promised_at,
            lines,
            comeback_of,
            request_id,
        } = req.into_inner();
        let store = convert::store_code(&store)?;
        may::<CreateWorkOrder>(&who, Some(&store))?;
        let cmd = CreateWorkOrder {
            customer_id: CustomerId::parse("customer_id", &customer_id).map_err(to_status)?,
            vehicle_id: VehicleId::parse("vehicle_id", &vehicle_id).map_err(to_status)?,
            fault_description,
            intake_mileage_km,
            fuel_level: FuelLevel::from_proto(fuel_level)?,
            repair_category: RepairCategory::from_proto(repair_category)?
                .ok_or_else(|| invalid("repair_category", "is required"))?,
            promised_at: convert::instant("promised_at", promised_at)?,
            lines: line_inputs(lines)?,
            comeback_of: comeback_of
                .as_deref()
                .map(|id| WorkOrderId::parse("comeback_of", id))
                .transpose()
                .map_err(to_status)?,
        };
        answer(self.services.work_orders.create(&who, &store, cmd, convert::request_id(&request_id)?).await)
    }

    async fn get_work_order(&self, req: Request<pb::GetWorkOrderRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::GetWorkOrderRequest { store, work_order_id } = req.into_inner();
        let (store, Step { id, .. }) = target(&store, &work_order_id, "", "")?;
        answer(self.services.work_orders.get(&who, &store, id).await)
    }

    async fn list_work_orders(
        &self,
        req: Request<pb::ListWorkOrdersRequest>,
    ) -> Answer<pb::ListWorkOrdersResponse> {
        let who = self.caller(&req)?;
        let pb::ListWorkOrdersRequest {
            store,
            status,
            advisor,
            plate,
            vin,
            created_from,
            created_to,
            overdue,
            awaiting_decision,
            page_size,
            page_token,
            updated_since,
            sanbao_rights,
        } = req.into_inner();
        let store = convert::store_code(&store)?;
        let query = WorkOrderQuery {
            status: WorkOrderStatus::from_proto(status)?,
            advisor: convert::non_empty(&advisor),
            plate: convert::non_empty(&plate),
            vin: convert::non_empty(&vin),
            created_from: convert::date("created_from", Some(&created_from))?,
            created_to: convert::date("created_to", Some(&created_to))?,
            overdue,
            awaiting_decision,
            sanbao_rights,
        };
        let result = self
            .services
            .work_orders
            .list(&who, &store, &query, &convert::page_since(page_size, &page_token, updated_since)?)
            .await
            .map_err(to_status)?;
        Ok(Response::new(pb::ListWorkOrdersResponse {
            work_orders: result.items.into_iter().map(Into::into).collect(),
            next_page_token: result.next_page_token.unwrap_or_default(),
        }))
    }

    async fn submit_quote(&self, req: Request<pb::SubmitQuoteRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::SubmitQuoteRequest { store, work_order_id, etag, request_id } = req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        answer(self.services.work_orders.submit_quote(&who, &store, step).await)
    }

    async fn approve_work_order(&self, req: Request<pb::ApproveWorkOrderRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::ApproveWorkOrderRequest {
            store,
            work_order_id,
            etag,
            request_id,
            estimate_version,
            method,
            decisions: lines,
        } = req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<RecordDecisions>(&who, Some(&store))?;
        let cmd = decisions(estimate_version, method, &lines)?;
        answer(self.services.work_orders.approve(&who, &store, step, cmd).await)
    }

    async fn cancel_work_order(&self, req: Request<pb::CancelWorkOrderRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::CancelWorkOrderRequest { store, work_order_id, etag, request_id, reason } = req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<CancelWorkOrder>(&who, Some(&store))?;
        let cmd = CancelWorkOrder { reason };
        answer(self.services.work_orders.cancel(&who, &store, step, cmd).await)
    }

    async fn take_payment(&self, req: Request<pb::TakePaymentRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::TakePaymentRequest { store, work_order_id, etag, request_id, amount_fen, method, deposit } =
            req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<TakePayment>(&who, Some(&store))?;
        let method = PaymentMethod::from_proto(method)?.ok_or_else(|| invalid("method", "is required"))?;
        let cmd = TakePayment { amount_fen, method, deposit };
        answer(self.services.work_orders.take_payment(&who, &store, step, cmd).await)
    }

    async fn start_work(&self, req: Request<pb::StartWorkRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::StartWorkRequest { store, work_order_id, etag, request_id, plate } = req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<StartWork>(&who, Some(&store))?;
        answer(self.services.work_orders.start(&who, &store, step, StartWork { plate }).await)
    }

    async fn propose_lines(&self, req: Request<pb::ProposeLinesRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::ProposeLinesRequest { store, work_order_id, etag, request_id, finding, lines } =
            req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<ProposeLines>(&who, Some(&store))?;
        let cmd = ProposeLines { finding, lines: line_inputs(lines)? };
        answer(self.services.work_orders.propose_lines(&who, &store, step, cmd).await)
    }

    async fn revise_estimate(&self, req: Request<pb::ReviseEstimateRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::ReviseEstimateRequest { store, work_order_id, etag, request_id, add, change, remove } =
            req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<ReviseEstimate>(&who, Some(&store))?;
        let add = add
            .into_iter()
            .enumerate()
            .map(|(i, l)| line_input(&format!("add[{i}]"), l))
            .collect::<Result<Vec<_>, _>>()?;
        let change = change
            .into_iter()
            .enumerate()
            .map(|(i, c)| {
                let field = format!("change[{i}]");
                Ok(LineChange {
                    line_id: LineId::parse(&format!("{field}.line_id"), &c.line_id).map_err(to_status)?,
                    line: line_input(
                        &format!("{field}.line"),
                        c.line.ok_or_else(|| invalid(&format!("{field}.line"), "is required"))?,
                    )?,
                })
            })
            .collect::<Result<Vec<_>, Status>>()?;
        let remove = remove
            .iter()
            .enumerate()
            .map(|(i, raw)| LineId::parse(&format!("remove[{i}]"), raw).map_err(to_status))
            .collect::<Result<Vec<_>, _>>()?;
        let cmd = ReviseEstimate { add, change, remove };
        answer(self.services.work_orders.revise_estimate(&who, &store, step, cmd).await)
    }

    async fn record_approval(&self, req: Request<pb::RecordApprovalRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::RecordApprovalRequest {
            store,
            work_order_id,
            etag,
            request_id,
            estimate_version,
            method,
            decisions: lines,
        } = req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<RecordDecisions>(&who, Some(&store))?;
        let cmd = decisions(estimate_version, method, &lines)?;
        answer(self.services.work_orders.record_approval(&who, &store, step, cmd).await)
    }

    async fn complete_line(&self, req: Request<pb::CompleteLineRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::CompleteLineRequest { store, work_order_id, etag, request_id, line_id, part_serial } =
            req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<CompleteLine>(&who, Some(&store))?;
        let cmd =
            CompleteLine { line_id: LineId::parse("line_id", &line_id).map_err(to_status)?, part_serial };
        answer(self.services.work_orders.complete_line(&who, &store, step, cmd).await)
    }

    async fn complete_work(&self, req: Request<pb::CompleteWorkRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::CompleteWorkRequest { store, work_order_id, etag, request_id, self_check_notes } =
            req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<CompleteWork>(&who, Some(&store))?;
        let cmd = CompleteWork { self_check_notes };
        answer(self.services.work_orders.complete_work(&who, &store, step, cmd).await)
    }

    async fn notify_customer(&self, req: Request<pb::NotifyCustomerRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::NotifyCustomerRequest { store, work_order_id, etag, request_id } = req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        answer(self.services.work_orders.notify_customer(&who, &store, step).await)
    }

    async fn record_accessories(&self, req: Request<pb::RecordAccessoriesRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::RecordAccessoriesRequest { store, work_order_id, etag, request_id, items } = req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<RecordAccessories>(&who, Some(&store))?;
        let items = items
            .into_iter()
            .map(|i| AccessoryInput { name: i.name, quantity: i.quantity, stored_at: i.stored_at })
            .collect();
        answer(
            self.services
                .work_orders
                .record_accessories(&who, &store, step, RecordAccessories { items })
                .await,
        )
    }

    async fn record_signature(&self, req: Request<pb::RecordSignatureRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::RecordSignatureRequest { store, work_order_id, etag, request_id, document, signer, method } =
            req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<RecordSignature>(&who, Some(&store))?;
        let cmd = RecordSignature {
            document: SignedDocument::from_proto(document)?
                .ok_or_else(|| invalid("document", "is required"))?,
            signer,
            method: SignatureMethod::from_proto(method)?.ok_or_else(|| invalid("method", "is required"))?,
        };
        answer(self.services.work_orders.record_signature(&who, &store, step, cmd).await)
    }

    async fn list_incomplete_files(
        &self,
        req: Request<pb::ListIncompleteFilesRequest>,
    ) -> Answer<pb::ListIncompleteFilesResponse> {
        let who = self.caller(&req)?;
        let store = convert::store_code(&req.get_ref().store)?;
        let files = self.services.work_orders.incomplete_files(&who, &store).await.map_err(to_status)?;
        Ok(Response::new(pb::ListIncompleteFilesResponse {
            files: files
                .into_iter()
                .map(|f| pb::IncompleteFile {
                    customer_id: f.customer_id.to_string(),
                    customer_name: f.customer_name,
                    vehicle_id: f.vehicle_id.to_string(),
                    work_order_number: f.work_order_number,
                    first_intake_at: crate::convert::ts(f.first_intake_at),
                    due_on: f.due_on.to_string(),
                    missing: f.missing,
                })
                .collect(),
        }))
    }

    async fn get_document(&self, req: Request<pb::GetDocumentRequest>) -> Answer<pb::Document> {
        let who = self.caller(&req)?;
        let pb::GetDocumentRequest { store, work_order_id, kind } = req.into_inner();
        let (store, Step { id, .. }) = target(&store, &work_order_id, "", "")?;
        let kind = DocumentKind::from_proto(kind)?.ok_or_else(|| invalid("kind", "is required"))?;
        let data = self.services.work_orders.document(&who, &store, id, kind).await.map_err(to_status)?;
        let html = aftersales_documents::render(kind, &data, chrono::Utc::now())
            .map_err(|e| to_status(aftersales_domain::DomainError::Internal(e.to_string())))?;
        Ok(Response::new(pb::Document { content_type: "text/html; charset=utf-8".into(), content: html }))
    }

    async fn get_ehealth_record(
        &self,
        req: Request<pb::GetEhealthRecordRequest>,
    ) -> Answer<pb::EhealthUpload> {
        let who = self.caller(&req)?;
        let pb::GetEhealthRecordRequest { store, work_order_id } = req.into_inner();
        let (store, Step { id, .. }) = target(&store, &work_order_id, "", "")?;
        answer(self.services.ehealth.status(&who, &store, id).await)
    }

    async fn deliver_work_order(&self, req: Request<pb::DeliverWorkOrderRequest>) -> Answer<pb::WorkOrder> {
        let who = self.caller(&req)?;
        let pb::DeliverWorkOrderRequest {
            store,
            work_order_id,
            etag,
            request_id,
            walkaround_notes,
            discount_fen,
            amount_paid_fen,
            payment_method,
            accessories_returned,
        } = req.into_inner();
        let (store, step) = target(&store, &work_order_id, &etag, &request_id)?;
        may::<DeliverWorkOrder>(&who, Some(&store))?;
        let cmd = DeliverWorkOrder {
            walkaround_notes,
            discount_fen,
            amount_paid_fen,
            payment_method: PaymentMethod::from_proto(payment_method)?
                .ok_or_else(|| invalid("payment_method", "is required"))?,
            accessories_returned,
        };
        answer(self.services.work_orders.deliver(&who, &store, step, cmd).await)
    }
}

#[tonic::async_trait]
impl pb::inspection_service_server::InspectionService for Adapter {
    async fn submit_entry_inspection(
        &self,
        req: Request<pb::SubmitEntryInspectionRequest>,
    ) -> Answer<pb::Inspection> {
        let who = self.caller(&req)?;
        let pb::SubmitEntryInspectionRequest {
            store,
            work_order_id,
            request_id,
            methods,
            condition,
            findings,
            confirmed_category,
        } = req.into_inner();
        let (store, Step { id, key, .. }) = target(&store, &work_order_id, "", &request_id)?;
        may::<SubmitEntryInspection>(&who, Some(&store))?;
        let methods = methods
            .iter()
            .map(|m| {
                InspectionMethod::from_proto(*m)?
                    .ok_or_else(|| invalid("methods", "UNSPECIFIED is not a method"))
            })
            .collect::<Result<_, Status>>()?;
        let condition = match condition {
            Some(c) => Some(VehicleCondition {
                exterior_marks: c.exterior_marks,
                fuel_level: FuelLevel::from_proto(c.fuel_level)?,
                valuables: c.valuables,
            }),
            None => None,
        };
        let cmd = SubmitEntryInspection {
            methods,
            findings,
            condition,
            confirmed_category: RepairCategory::from_proto(confirmed_category)?,
        };
        answer(self.services.work_orders.submit_entry_inspection(&who, &store, id, cmd, key).await)
    }

    async fn submit_exit_inspection(
        &self,
        req: Request<pb::SubmitExitInspectionRequest>,
    ) -> Answer<pb::Inspection> {
        let who = self.caller(&req)?;
        let pb::SubmitExitInspectionRequest { store, work_order_id, request_id, results, road_test } =
            req.into_inner();
        let (store, Step { id, key, .. }) = target(&store, &work_order_id, "", &request_id)?;
        may::<SubmitExitInspection>(&who, Some(&store))?;
        let results = results
            .into_iter()
            .enumerate()
            .map(|(i, l)| {
                Ok(LineResult {
                    line_id: LineId::parse(&format!("results[{i}].line_id"), &l.line_id)
                        .map_err(to_status)?,
                    passed: l.passed,
                    notes: l.notes,
                })
            })
            .collect::<Result<_, Status>>()?;
        let cmd = SubmitExitInspection {
            results,
            road_test: road_test.map(|t| RoadTest { passed: t.passed, notes: t.notes }),
        };
        answer(self.services.work_orders.submit_exit_inspection(&who, &store, id, cmd, key).await)
    }

    async fn list_inspections(
        &self,
        req: Request<pb::ListInspectionsRequest>,
    ) -> Answer<pb::ListInspectionsResponse> {
        let who = self.caller(&req)?;
        let pb::ListInspectionsRequest { store, work_order_id, updated_since } = req.into_inner();
        let (store, Step { id, .. }) = target(&store, &work_order_id, "", "")?;
        let since = convert::optional_instant("updated_since", updated_since)?;
        let list = self.services.work_orders.inspections(&who, &store, id, since).await.map_err(to_status)?;
        let photos =
            self.services.attachments.of_entry_inspection(&who, &store, id).await.map_err(to_status)?;
        Ok(Response::new(pb::ListInspectionsResponse {
            inspections: list.into_iter().map(Into::into).collect(),
            entry_attachments: photos.into_iter().map(|a| super::attachments::message(a, true)).collect(),
        }))
    }

    async fn delete_inspection(&self, req: Request<pb::DeleteInspectionRequest>) -> Answer<()> {
        let who = self.caller(&req)?;
        let pb::DeleteInspectionRequest { store, work_order_id, inspection_id } = req.into_inner();
        let (store, Step { id, .. }) = target(&store, &work_order_id, "", "")?;
        let inspection = InspectionId::parse("inspection_id", &inspection_id).map_err(to_status)?;
        self.services.work_orders.delete_inspection(&who, &store, id, inspection).await.map_err(to_status)?;
        Ok(Response::new(()))
    }
}

//! Work orders, settlements, inspections and e-health uploads as protobuf messages.

use super::*;
use aftersales_domain::model::work_order::{PayerShare, PaymentRecord, Totals};

impl From<WorkOrderLine> for pb::WorkOrderLine {
    fn from(l: WorkOrderLine) -> Self {
        let actual = l.actual_hours_hundredths();
        let WorkOrderLine {
            kind,
            id,
            code,
            description,
            hours_hundredths,
            rate_fen,
            quantity_milli,
            unit_price_fen,
            old_part,
            amount_fen,
            origin,
            status,
            technician,
            finding,
            estimate_version,
            decline_reason,
            urgency,
            payer,
            fault_code,
            part_serial,
            bay,
            clock,
            sanbao,
        } = l;
        let labour = kind == LineKind::Labour;
        Self {
            id: id.to_string(),
            kind: pb::LineKind::from(kind).into(),
            code,
            description,
            hours: labour.then(|| f64::from(hours_hundredths) / 100.0),
            rate_fen: labour.then_some(rate_fen),
            quantity: (!labour).then(|| f64::from(quantity_milli) / 1000.0),
            unit_price_fen: (!labour).then_some(unit_price_fen),
            old_part: enum_num::<_, pb::OldPartDisposition>(old_part),
            amount_fen,
            origin: pb::LineOrigin::from(origin).into(),
            status: pb::LineStatus::from(status).into(),
            technician,
            finding,
            estimate_version,
            decline_reason,
            urgency: enum_num::<_, pb::Urgency>(urgency),
            payer: pb::Payer::from(payer).into(),
            fault_code,
            part_serial,
            bay,
            clock: clock.into_iter().map(Into::into).collect(),
            actual_hours: f64::from(actual) / 100.0,
            sanbao: sanbao.map(Into::into),
        }
    }
}

impl From<PaymentRecord> for pb::PaymentRecord {
    fn from(p: PaymentRecord) -> Self {
        let PaymentRecord { deposit, amount_fen, method, recorded_by, recorded_at } = p;
        Self {
            deposit,
            amount_fen,
            method: pb::PaymentMethod::from(method).into(),
            recorded_by,
            recorded_at: ts(recorded_at),
        }
    }
}

impl From<PayerShare> for pb::PayerShare {
    fn from(s: PayerShare) -> Self {
        let PayerShare { payer, labour_fen, parts_fen, total_fen } = s;
        Self { payer: pb::Payer::from(payer).into(), labour_fen, parts_fen, total_fen }
    }
}

impl From<Totals> for pb::Totals {
    fn from(t: Totals) -> Self {
        let Totals {
            labour_fen,
            parts_fen,
            total_fen,
            pending_fen,
            quoted_labour_fen,
            quoted_parts_fen,
            by_payer,
            quoted_by_payer,
        } = t;
        Self {
            labour_fen,
            parts_fen,
            total_fen,
            pending_fen,
            quoted_labour_fen,
            quoted_parts_fen,
            by_payer: by_payer.into_iter().map(Into::into).collect(),
            quoted_by_payer: quoted_by_payer.into_iter().map(Into::into).collect(),
        }
    }
}

impl From<Approval> for pb::Approval {
    fn from(a: Approval) -> Self {
        let Approval {
            estimate_version,
            method,
            decisions,
            recorded_by,
            recorded_at,
            link_id,
            client_address,
        } = a;
        Self {
            estimate_version,
            method: pb::ApprovalMethod::from(method).into(),
            decisions: decisions
                .into_iter()
                .map(|d| pb::LineDecision {
                    line_id: d.line_id.to_string(),
                    approved: d.approved,
                    reason: d.reason,
                })
                .collect(),
            recorded_by,
            recorded_at: ts(recorded_at),
            link_id: link_id.map(|l| l.to_string()),
            client_address,
        }
    }
}

impl From<WorkOrder> for pb::WorkOrder {
    fn from(o: WorkOrder) -> Self {
        let t = o.totals();
        let WorkOrder {
            id,
            store,
            number,
            customer_id,
            vehicle_id,
            plate,
            vin,
            advisor,
            status,
            fault_description,
            intake_mileage_km,
            fuel_level,
            repair_category,
            promised_at,
            lines,
            estimate_version,
            approvals,
            entry_inspected,
            rework_count,
            exit_passed,
            certificate_number,
            self_check_notes,
            cancel_reason,
            comeback_of,
            delivered_at,
            warranty,
            walkaround_notes,
            events,
            version,
            created_at,
            updated_at,
            settlement,
            accessories,
            signatures,
            appointment_id,
            payments,
            insurance_claim,
            warranty_claim,
            voided_settlements,
            sanbao,
            comeback_suggestion,
        } = o;
        let technician_hours = aftersales_domain::model::work_order::hours_by_technician(&lines);
        Self {
            id: id.to_string(),
            store: store.to_string(),
            number,
            customer_id: customer_id.to_string(),
            vehicle_id: vehicle_id.to_string(),
            plate: plate.map(|p| p.to_string()),
            vin: vin.to_string(),
            advisor,
            status: pb::WorkOrderStatus::from(status).into(),
            fault_description,
            intake_mileage_km,
            fuel_level: enum_num::<_, pb::FuelLevel>(fuel_level),
            repair_category: pb::RepairCategory::from(repair_category).into(),
            promised_at: ts(promised_at),
            lines: lines.into_iter().map(Into::into).collect(),
            totals: Some(t.into()),
            estimate_version,
            approvals: approvals.into_iter().map(Into::into).collect(),
            entry_inspected,
            rework_count,
            exit_passed,
            certificate_number,
            self_check_notes,
            cancel_reason,
            comeback_of: comeback_of.map(|id| id.to_string()),
            appointment_id: appointment_id.map(|id| id.to_string()),
            payments: payments.into_iter().map(Into::into).collect(),
            insurance_claim: insurance_claim.map(Into::into),
            warranty_claim: warranty_claim.map(Into::into),
            voided_settlements: voided_settlements.into_iter().map(Into::into).collect(),
            technician_hours: technician_hours.into_iter().map(Into::into).collect(),
            sanbao: sanbao.map(Into::into),
            comeback_suggestion: comeback_suggestion.map(Into::into),
            delivered_at: delivered_at.and_then(ts),
            warranty_until_date: warranty.map(|w| w.until_date.to_string()),
            warranty_until_km: warranty.map(|w| w.until_km),
            walkaround_notes,
            status_events: events
                .into_iter()
                .map(|e| pb::StatusEvent {
                    action: e.action,
                    from: pb::WorkOrderStatus::from(e.from).into(),
                    to: pb::WorkOrderStatus::from(e.to).into(),
                    actor: e.actor,
                    at: ts(e.at),
                    note: e.note,
                })
                .collect(),
            etag: Etag::render(version),
            created_at: ts(created_at),
            updated_at: ts(updated_at),
            settlement: settlement.map(Into::into),
            accessories: accessories
                .into_iter()
                .map(|a| pb::Accessory {
                    name: a.name,
                    quantity: a.quantity,
                    stored_at: a.stored_at,
                    returned_at: a.returned_at.and_then(ts),
                })
                .collect(),
            signatures: signatures
                .into_iter()
                .map(|g| pb::Signature {
                    document: pb::SignedDocument::from(g.document).into(),
                    signer: g.signer,
                    method: pb::SignatureMethod::from(g.method).into(),
                    signed_at: ts(g.signed_at),
                    recorded_by: g.recorded_by,
                })
                .collect(),
        }
    }
}

impl From<Settlement> for pb::Settlement {
    fn from(s: Settlement) -> Self {
        let Settlement {
            number,
            settled_at,
            store_code,
            store_name,
            customer_name,
            customer_phone,
            customer_company,
            plate,
            vin,
            vehicle_model,
            repair_category,
            intake_at,
            intake_mileage_km,
            certificate_number,
            labour,
            parts,
            labour_fen,
            parts_fen,
            total_fen,
            discount_fen,
            amount_due_fen,
            receivables,
            amount_paid_fen,
            on_account_fen,
            payment_method,
            warranty_until_date,
            warranty_until_km,
            payments,
        } = s;
        Self {
            number,
            settled_at: ts(settled_at),
            store_code,
            store_name,
            customer_name,
            customer_phone,
            customer_company,
            plate,
            vin,
            vehicle_model,
            repair_category: pb::RepairCategory::from(repair_category).into(),
            intake_at: ts(intake_at),
            intake_mileage_km,
            certificate_number,
            labour: labour
                .into_iter()
                .map(|l| pb::SettledLabour {
                    code: l.code,
                    description: l.description,
                    hours: f64::from(l.hours_hundredths) / 100.0,
                    rate_fen: l.rate_fen,
                    amount_fen: l.amount_fen,
                })
                .collect(),
            parts: parts
                .into_iter()
                .map(|p| pb::SettledPart {
                    code: p.code,
                    name: p.name,
                    quantity: f64::from(p.quantity_milli) / 1000.0,
                    unit_price_fen: p.unit_price_fen,
                    amount_fen: p.amount_fen,
                    old_part: enum_num::<_, pb::OldPartDisposition>(p.old_part),
                })
                .collect(),
            labour_fen,
            parts_fen,
            total_fen,
            discount_fen,
            amount_due_fen,
            receivables: receivables.into_iter().map(Into::into).collect(),
            payments: payments.into_iter().map(Into::into).collect(),
            amount_paid_fen,
            on_account_fen,
            payment_method: pb::PaymentMethod::from(payment_method).into(),
            warranty_until_date: warranty_until_date.to_string(),
            warranty_until_km,
        }
    }
}

impl From<Inspection> for pb::Inspection {
    fn from(i: Inspection) -> Self {
        let Inspection {
            id,
            work_order_id,
            kind,
            inspector,
            submitted_at,
            methods,
            findings,
            condition,
            confirmed_category,
            results,
            road_test,
            passed,
            certificate_number,
            warranty,
            store: _,
        } = i;
        Self {
            id: id.to_string(),
            work_order_id: work_order_id.to_string(),
            kind: pb::InspectionKind::from(kind).into(),
            inspector,
            submitted_at: ts(submitted_at),
            methods: methods.into_iter().map(|m| pb::InspectionMethod::from(m).into()).collect(),
            findings,
            condition: condition.map(|c| pb::VehicleCondition {
                exterior_marks: c.exterior_marks,
                fuel_level: enum_num::<_, pb::FuelLevel>(c.fuel_level),
                valuables: c.valuables,
            }),
            confirmed_category: enum_num::<_, pb::RepairCategory>(confirmed_category),
            results: results
                .into_iter()
                .map(|r| pb::LineResult { line_id: r.line_id.to_string(), passed: r.passed, notes: r.notes })
                .collect(),
            road_test: road_test.map(|t| pb::RoadTest { passed: t.passed, notes: t.notes }),
            passed,
            certificate_number,
            warranty_km: warranty.map(|w| w.km),
            warranty_days: warranty.map(|w| w.days),
        }
    }
}

impl From<EhealthUpload> for pb::EhealthUpload {
    fn from(u: EhealthUpload) -> Self {
        let EhealthUpload {
            record,
            work_order_id,
            province,
            status,
            attempts,
            next_attempt_at,
            last_error,
            uploaded_at,
            created_at,
            store: _,
        } = u;
        let r = record;
        Self {
            work_order_id: work_order_id.to_string(),
            province,
            status: match status {
                UploadStatus::Pending => pb::UploadStatus::Pending,
                UploadStatus::Uploaded => pb::UploadStatus::Uploaded,
                UploadStatus::Failed => pb::UploadStatus::Failed,
            }
            .into(),
            attempts,
            next_attempt_at: ts(next_attempt_at),
            last_error,
            uploaded_at: uploaded_at.and_then(ts),
            created_at: ts(created_at),
            record: Some(pb::EhealthRecord {
                company: r.company,
                vin: r.vin,
                plate: r.plate,
                intake_date: r.intake_date.to_string(),
                intake_mileage_km: r.intake_mileage_km,
                settlement_date: r.settlement_date.to_string(),
                settlement_number: r.settlement_number,
                fault_description: r.fault_description,
                repair_items: r.repair_items,
                labour_hours: f64::from(r.labour_hours_hundredths) / 100.0,
                part_names: r.part_names,
                part_codes: r.part_codes,
                part_quantities: r.part_quantities_milli.iter().map(|q| f64::from(*q) / 1000.0).collect(),
                corrects: r.corrects,
            }),
        }
    }
}

//! A past delivery moved in from an old DMS (issue 15): an order already delivered and settled
//! in full, kept as the car's service history (CF-1) with its warranty end (WO-9), but with none
//! of what a delivery here starts (no follow-up, reminder or e-health upload).

use super::*;
use crate::model::import_history::HistoryOrder;

/// What a past delivery takes.
#[derive(Debug, Clone)]
pub struct PastDelivery<'a> {
    /// The car, on file; its owner's file is the order's customer.
    pub vehicle: &'a Vehicle,
    /// The order as its rows gave it.
    pub order: HistoryOrder,
    /// Who the settlement names.
    pub parties: SettlementParties,
    /// The intake instant (a store-local day).
    pub intake_at: DateTime<Utc>,
    /// The delivery instant (a store-local day).
    pub delivered_at: DateTime<Utc>,
    /// Who moves it in.
    pub actor: &'a str,
    /// When.
    pub now: DateTime<Utc>,
}

impl WorkOrder {
    /// Builds a delivered, settled order from a past delivery: its lines done, paid in full (a
    /// fleet account's 挂账 left on account), the warranty fixed from the delivery day.
    pub fn from_history(past: PastDelivery<'_>) -> Result<WorkOrder> {
        let PastDelivery { vehicle, order, parties, intake_at, delivered_at, actor, now } = past;
        let HistoryOrder { lines, head, .. } = order;
        let mut o = WorkOrder::open(Opening {
            vehicle,
            advisor: head.advisor.as_deref().unwrap_or(actor),
            fault_description: head.fault_description,
            intake_mileage_km: head.mileage_km,
            fuel_level: None,
            repair_category: head.category,
            promised_at: delivered_at,
            lines,
            comeback_of: None,
            number: head.number.clone(),
            appointment_id: None,
            now: intake_at,
        });
        o.estimate_version = 1;
        o.exit_passed = true;
        o.certificate_number = Some(head.certificate_number.unwrap_or_default());
        o.delivered_at = Some(delivered_at);
        o.warranty = Some(WarrantyEnd::from_delivery(head.category, head.delivered_date, head.mileage_km));
        let note = Some("service history moved in from the store's earlier system".to_string());
        o.record("import", WorkOrderStatus::Delivered, actor, delivered_at, note);
        let due = o.totals().share_of(Payer::Customer) - head.discount_fen;
        let fallback = if due == 0 { PaymentMethod::Waived } else { PaymentMethod::Cash };
        let method = head.payment_method.unwrap_or(fallback);
        let credit = method == PaymentMethod::OnAccount;
        let payment = Payment {
            discount_fen: head.discount_fen,
            amount_paid_fen: if credit { 0 } else { due },
            method,
            credit,
        };
        o.settle(parties, head.settlement_number.unwrap_or(head.number), &payment)?;
        o.updated_at = now;
        Ok(o)
    }
}

//! Response bodies of the settlement frozen at delivery (WO-10).

use aftersales_domain::model::work_order::{OldPartDisposition, RepairCategory};
use aftersales_domain::model::work_order::{PaymentMethod, Settlement};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A labour line as settled.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettledLabourDto {
    /// Operation code.
    pub code: String,
    /// What was done.
    pub description: String,
    /// Hours.
    pub hours: f64,
    /// Rate per hour, fen.
    pub rate_fen: i64,
    /// Amount, fen.
    pub amount_fen: i64,
}

/// A part as settled.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettledPartDto {
    /// Part code.
    pub code: String,
    /// Part name.
    pub name: String,
    /// Quantity.
    pub quantity: f64,
    /// Unit price, fen.
    pub unit_price_fen: i64,
    /// Amount, fen.
    pub amount_fen: i64,
    /// Old-part disposition (WO-6).
    pub old_part: Option<OldPartDisposition>,
}

/// The settlement (结算清单, JT/T 1133), frozen at delivery (WO-10).
#[derive(Debug, Serialize, ToSchema)]
pub struct SettlementDto {
    /// Settlement number.
    pub number: String,
    /// Settled.
    pub settled_at: DateTime<Utc>,
    /// Store code.
    pub store_code: String,
    /// Store name.
    pub store_name: String,
    /// Customer name.
    pub customer_name: String,
    /// Customer phone, masked.
    pub customer_phone: String,
    /// Company.
    pub customer_company: Option<String>,
    /// Plate.
    pub plate: Option<String>,
    /// VIN.
    pub vin: String,
    /// Make and model.
    pub vehicle_model: String,
    /// Repair category.
    pub repair_category: RepairCategory,
    /// When the car came in.
    pub intake_at: DateTime<Utc>,
    /// Odometer at intake.
    pub intake_mileage_km: u32,
    /// Certificate number.
    pub certificate_number: String,
    /// Labour.
    pub labour: Vec<SettledLabourDto>,
    /// Parts.
    pub parts: Vec<SettledPartDto>,
    /// Labour total, fen.
    pub labour_fen: i64,
    /// Parts total, fen.
    pub parts_fen: i64,
    /// Total, fen.
    pub total_fen: i64,
    /// Discount, fen.
    pub discount_fen: i64,
    /// Amount due, fen.
    pub amount_due_fen: i64,
    /// What the insurer, the manufacturer or the store's own accounts owe for this order, by
    /// payer (issue 14).
    pub receivables: Vec<aftersales_domain::model::work_order::PayerShare>,
    /// Amount paid, fen.
    pub amount_paid_fen: i64,
    /// Left on a fleet account's credit (挂账): due and not paid, fen (issue 14).
    pub on_account_fen: i64,
    /// Payment method.
    pub payment_method: PaymentMethod,
    /// Warranty end date (WO-9).
    pub warranty_until_date: NaiveDate,
    /// Warranty end odometer (WO-9).
    pub warranty_until_km: u32,
    /// Every payment, deposits included, the one at delivery last (issue 14).
    pub payments: Vec<aftersales_domain::model::work_order::PaymentRecord>,
}

impl From<Settlement> for SettlementDto {
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
            payments,
            warranty_until_date,
            warranty_until_km,
        } = s;
        Self {
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
            labour: labour
                .into_iter()
                .map(|l| SettledLabourDto {
                    code: l.code,
                    description: l.description,
                    hours: f64::from(l.hours_hundredths) / 100.0,
                    rate_fen: l.rate_fen,
                    amount_fen: l.amount_fen,
                })
                .collect(),
            parts: parts
                .into_iter()
                .map(|p| SettledPartDto {
                    code: p.code,
                    name: p.name,
                    quantity: f64::from(p.quantity_milli) / 1000.0,
                    unit_price_fen: p.unit_price_fen,
                    amount_fen: p.amount_fen,
                    old_part: p.old_part,
                })
                .collect(),
            labour_fen,
            parts_fen,
            total_fen,
            discount_fen,
            amount_due_fen,
            receivables,
            amount_paid_fen,
            on_account_fen,
            payment_method,
            payments,
            warranty_until_date,
            warranty_until_km,
        }
    }
}

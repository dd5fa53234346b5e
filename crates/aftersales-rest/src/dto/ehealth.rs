//! Response bodies of the e-health upload (WO-12) and the supervisors' incomplete files (CF-2).

use aftersales_domain::app::IncompleteFile;
use aftersales_domain::model::ehealth::{EhealthUpload, UploadStatus};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// The 13 JT/T 1132 elements as uploaded (WO-12).
#[derive(Debug, Serialize, ToSchema)]
pub struct EhealthRecordDto {
    /// Repair company.
    pub company: String,
    /// VIN.
    pub vin: String,
    /// Plate.
    pub plate: String,
    /// Intake date.
    pub intake_date: NaiveDate,
    /// Intake mileage, km.
    pub intake_mileage_km: u32,
    /// Settlement date.
    pub settlement_date: NaiveDate,
    /// Settlement number.
    pub settlement_number: String,
    /// Fault description.
    pub fault_description: String,
    /// Repair items.
    pub repair_items: Vec<String>,
    /// Labour hours.
    pub labour_hours: f64,
    /// Part names.
    pub part_names: Vec<String>,
    /// Part codes.
    pub part_codes: Vec<String>,
    /// Part quantities.
    pub part_quantities: Vec<f64>,
}

/// An order's e-health upload and where it stands (WO-12).
#[derive(Debug, Serialize, ToSchema)]
pub struct EhealthUploadDto {
    /// The order.
    pub work_order_id: Uuid,
    /// Province platform.
    pub province: String,
    /// Pending, uploaded or failed.
    pub status: UploadStatus,
    /// Attempts so far.
    pub attempts: u32,
    /// Next attempt, while pending.
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the platform accepted it.
    pub uploaded_at: Option<DateTime<Utc>>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
    /// What is uploaded.
    pub record: EhealthRecordDto,
}

impl From<EhealthUpload> for EhealthUploadDto {
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
            work_order_id: work_order_id.0,
            province,
            status,
            attempts,
            next_attempt_at,
            last_error,
            uploaded_at,
            created_at,
            record: EhealthRecordDto {
                company: r.company,
                vin: r.vin,
                plate: r.plate,
                intake_date: r.intake_date,
                intake_mileage_km: r.intake_mileage_km,
                settlement_date: r.settlement_date,
                settlement_number: r.settlement_number,
                fault_description: r.fault_description,
                repair_items: r.repair_items,
                labour_hours: f64::from(r.labour_hours_hundredths) / 100.0,
                part_names: r.part_names,
                part_codes: r.part_codes,
                part_quantities: r.part_quantities_milli.iter().map(|q| f64::from(*q) / 1000.0).collect(),
            },
        }
    }
}

/// A customer file still incomplete after the days CF-2 allows.
#[derive(Debug, Serialize, ToSchema)]
pub struct IncompleteFileDto {
    /// Customer.
    pub customer_id: Uuid,
    /// Name.
    pub customer_name: String,
    /// The car of the first intake.
    pub vehicle_id: Uuid,
    /// The first intake's work order number.
    pub work_order_number: String,
    /// When the customer first came in.
    pub first_intake_at: DateTime<Utc>,
    /// The store-local day the file was due.
    pub due_on: NaiveDate,
    /// What the file still lacks (CF-1).
    pub missing: Vec<String>,
}

impl From<IncompleteFile> for IncompleteFileDto {
    fn from(f: IncompleteFile) -> Self {
        let IncompleteFile {
            customer_id,
            customer_name,
            vehicle_id,
            work_order_number,
            first_intake_at,
            due_on,
            missing,
        } = f;
        Self {
            customer_id: customer_id.0,
            customer_name,
            vehicle_id: vehicle_id.0,
            work_order_number,
            first_intake_at,
            due_on,
            missing,
        }
    }
}

/// Customer files overdue for completion (CF-2).
#[derive(Debug, Serialize, ToSchema)]
pub struct IncompleteFileList {
    /// Oldest intake first.
    pub files: Vec<IncompleteFileDto>,
}

//! The repair e-health record (汽车维修电子健康档案, JT/T 1132), queued at delivery and uploaded
//! to the province's platform with retries (WO-12).

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::model::work_order::{LineKind, LineStatus, WorkOrder, WorkOrderId};
use crate::value::StoreCode;

/// The 13 data elements of JT/T 1132 for one repair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EhealthRecord {
    /// 1. Repair company (the store's name).
    pub company: String,
    /// 2. VIN.
    pub vin: String,
    /// 3. Plate.
    pub plate: String,
    /// 4. Intake date.
    pub intake_date: NaiveDate,
    /// 5. Intake mileage, km.
    pub intake_mileage_km: u32,
    /// 6. Settlement date.
    pub settlement_date: NaiveDate,
    /// 7. Settlement number.
    pub settlement_number: String,
    /// 8. Fault description.
    pub fault_description: String,
    /// 9. Repair items.
    pub repair_items: Vec<String>,
    /// 10. Labour hours, in hundredths.
    pub labour_hours_hundredths: u32,
    /// 11. Part names.
    pub part_names: Vec<String>,
    /// 12. Part codes.
    pub part_codes: Vec<String>,
    /// 13. Part quantities, in thousandths.
    pub part_quantities_milli: Vec<u32>,
    /// The settlement number of the record this one corrects, after a void (红冲, issue 14).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects: Option<String>,
}

impl EhealthRecord {
    /// Builds the record of a settled order from store-local dates; `None` before settlement.
    pub fn of(
        order: &WorkOrder,
        company: &str,
        intake_date: NaiveDate,
        settlement_date: NaiveDate,
    ) -> Option<Self> {
        let settlement = order.settlement.as_ref()?;
        let worked: Vec<_> = order.lines.iter().filter(|l| l.status == LineStatus::Done).collect();
        let parts: Vec<_> = worked.iter().filter(|l| l.kind == LineKind::Part).collect();
        Some(Self {
            company: company.to_string(),
            vin: order.vin.to_string(),
            plate: order.plate.as_ref().map(ToString::to_string).unwrap_or_default(),
            intake_date,
            intake_mileage_km: order.intake_mileage_km,
            settlement_date,
            settlement_number: settlement.number.clone(),
            fault_description: order.fault_description.clone(),
            repair_items: worked
                .iter()
                .filter(|l| l.kind == LineKind::Labour)
                .map(|l| l.description.clone())
                .collect(),
            labour_hours_hundredths: worked
                .iter()
                .filter(|l| l.kind == LineKind::Labour)
                .map(|l| l.hours_hundredths)
                .sum(),
            part_names: parts.iter().map(|l| l.description.clone()).collect(),
            part_codes: parts.iter().map(|l| l.code.clone()).collect(),
            part_quantities_milli: parts.iter().map(|l| l.quantity_milli).collect(),
            corrects: None,
        })
    }
}

/// Where an upload stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UploadStatus {
    /// Waiting for its next attempt.
    Pending,
    /// Accepted by the platform.
    Uploaded,
    /// Refused, or out of attempts; needs a person.
    Failed,
}

impl UploadStatus {
    /// Returns the wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Uploaded => "uploaded",
            Self::Failed => "failed",
        }
    }
}

/// One queued upload of one order's record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EhealthUpload {
    /// The order (one upload per order).
    pub work_order_id: WorkOrderId,
    /// Store.
    pub store: StoreCode,
    /// The province platform it goes to.
    pub province: String,
    /// What is uploaded.
    pub record: EhealthRecord,
    /// Where it stands.
    pub status: UploadStatus,
    /// Attempts so far.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt_at: DateTime<Utc>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When the platform accepted it.
    pub uploaded_at: Option<DateTime<Utc>>,
    /// When it was queued.
    pub created_at: DateTime<Utc>,
}

/// Attempts before an upload is marked failed and left for a person.
pub const MAX_ATTEMPTS: u32 = 10;

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// Accepted.
    Accepted,
    /// Failed but worth retrying (network, 5xx, rate limit).
    Retry(String),
    /// Refused for good (the platform says the record is wrong).
    Refused(String),
}

impl EhealthUpload {
    /// Counts an attempt as it starts. A worker's lease counts it in the same statement that
    /// takes the record (`claim_due_uploads`), before anything is sent, so a platform never
    /// receives more uploads than the record counts, even from a worker that crashed mid-send.
    pub fn start_attempt(&mut self) {
        self.attempts += 1;
    }

    /// Gives back an attempt counted but never made (the worker let it go unsent).
    pub fn release_attempt(&mut self) {
        self.attempts = self.attempts.saturating_sub(1);
    }

    /// Records how the started attempt ended: accepted, retried after an exponential backoff, or
    /// failed (WO-12).
    pub fn record_attempt(&mut self, outcome: AttemptOutcome, now: DateTime<Utc>, base: Duration) {
        match outcome {
            AttemptOutcome::Accepted => {
                self.status = UploadStatus::Uploaded;
                self.uploaded_at = Some(now);
                self.last_error = None;
            }
            AttemptOutcome::Refused(why) => {
                self.status = UploadStatus::Failed;
                self.last_error = Some(why);
            }
            AttemptOutcome::Retry(why) if self.attempts >= MAX_ATTEMPTS => {
                self.status = UploadStatus::Failed;
                self.last_error = Some(format!("gave up after {} attempts: {why}", self.attempts));
            }
            AttemptOutcome::Retry(why) => {
                self.last_error = Some(why);
                self.next_attempt_at = now + backoff(self.attempts, base);
            }
        }
    }
}

/// Returns the wait after `attempts` failures: `base` doubled each time, at most an hour.
pub fn backoff(attempts: u32, base: Duration) -> chrono::Duration {
    let factor = 1u32 << attempts.saturating_sub(1).min(16);
    let wait = base.saturating_mul(factor).min(Duration::from_secs(3600));
    chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload() -> EhealthUpload {
        EhealthUpload {
            work_order_id: WorkOrderId(uuid::Uuid::now_v7()),
            store: StoreCode::parse("SH001").unwrap(),
            province: "shanghai".into(),
            record: EhealthRecord {
                company: "x".into(),
                vin: "v".into(),
                plate: "p".into(),
                intake_date: "2026-11-27".parse().unwrap(),
                intake_mileage_km: 1,
                settlement_date: "2026-11-27".parse().unwrap(),
                settlement_number: "n".into(),
                fault_description: "f".into(),
                repair_items: vec![],
                labour_hours_hundredths: 0,
                part_names: vec![],
                part_codes: vec![],
                part_quantities_milli: vec![],
                corrects: None,
            },
            status: UploadStatus::Pending,
            attempts: 0,
            next_attempt_at: "2026-11-27T00:00:00Z".parse().unwrap(),
            last_error: None,
            uploaded_at: None,
            created_at: "2026-11-27T00:00:00Z".parse().unwrap(),
        }
    }

    // WO-12
    #[test]
    fn an_upload_retries_until_accepted_or_out_of_attempts_and_a_refusal_is_final() {
        let now: DateTime<Utc> = "2026-11-27T01:00:00Z".parse().unwrap();
        let base = Duration::from_secs(30);
        let mut u = upload();
        u.start_attempt();
        u.record_attempt(AttemptOutcome::Retry("503".into()), now, base);
        assert_eq!(
            (u.status, u.attempts, u.next_attempt_at),
            (UploadStatus::Pending, 1, now + chrono::Duration::seconds(30))
        );
        u.start_attempt();
        u.record_attempt(AttemptOutcome::Accepted, now, base);
        assert_eq!(
            (u.status, u.uploaded_at, u.last_error.clone()),
            (UploadStatus::Uploaded, Some(now), None)
        );

        let mut refused = upload();
        refused.start_attempt();
        refused.record_attempt(AttemptOutcome::Refused("VIN unknown".into()), now, base);
        assert_eq!(refused.status, UploadStatus::Failed);

        let mut tired = upload();
        for _ in 0..MAX_ATTEMPTS {
            tired.start_attempt();
            tired.record_attempt(AttemptOutcome::Retry("timeout".into()), now, base);
        }
        assert_eq!(tired.status, UploadStatus::Failed);
        assert!(tired.last_error.unwrap().contains("gave up"));
    }

    // WO-12
    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        let base = Duration::from_secs(30);
        assert_eq!(backoff(1, base), chrono::Duration::seconds(30));
        assert_eq!(backoff(2, base), chrono::Duration::seconds(60));
        assert_eq!(backoff(5, base), chrono::Duration::seconds(480));
        assert_eq!(backoff(9, base), chrono::Duration::hours(1));
        assert_eq!(backoff(40, base), chrono::Duration::hours(1));
    }
}

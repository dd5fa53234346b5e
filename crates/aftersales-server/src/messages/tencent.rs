//! Tencent Cloud SMS (API 3.0, `SendSms` of version 2021-01-11), signed with TC3-HMAC-SHA256 as
//! Tencent documents it ("签名方法 v3"), and its delivery receipts (短信下发状态回调).
//!
//! A request: `POST /` with a JSON body, headers `X-TC-Action`, `X-TC-Version`, `X-TC-Timestamp`,
//! `X-TC-Region` and `Authorization: TC3-HMAC-SHA256 Credential={id}/{date}/sms/tc3_request,
//! SignedHeaders=content-type;host, Signature={hex}`. The answer is `{"Response": {...}}` with a
//! `SendStatusSet` (one entry per number, `Code` "Ok" when taken, `SerialNo` the id receipts
//! name) or an `Error`.

use aftersales_domain::model::message::{Outgoing, Receipt, Recipient, SendOutcome};
use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The provider's name on the messages it took.
pub const PROVIDER: &str = "tencent_sms";
const CONTENT_TYPE: &str = "application/json; charset=utf-8";
const VERSION: &str = "2021-01-11";

fn hmac(key: &[u8], data: &str) -> Vec<u8> {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else { return Vec::new() };
    mac.update(data.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

fn hex(bytes: &[u8]) -> String {
    aftersales_domain::value::hex(bytes)
}

/// The `Authorization` header of a TC3-HMAC-SHA256 request to `host` for `service`, signing the
/// content type and the host, as Tencent's documentation builds it step by step.
pub fn tc3_authorization(
    secret_id: &str,
    secret_key: &str,
    service: &str,
    host: &str,
    timestamp: i64,
    payload: &str,
) -> String {
    let date = Utc.timestamp_opt(timestamp, 0).single().unwrap_or_default().format("%Y-%m-%d").to_string();
    let canonical_request = format!(
        "POST\n/\n\ncontent-type:{CONTENT_TYPE}\nhost:{host}\n\ncontent-type;host\n{}",
        hex(&Sha256::digest(payload.as_bytes()))
    );
    let scope = format!("{date}/{service}/tc3_request");
    let string_to_sign = format!(
        "TC3-HMAC-SHA256\n{timestamp}\n{scope}\n{}",
        hex(&Sha256::digest(canonical_request.as_bytes()))
    );
    let secret_date = hmac(format!("TC3{secret_key}").as_bytes(), &date);
    let secret_service = hmac(&secret_date, service);
    let secret_signing = hmac(&secret_service, "tc3_request");
    let signature = hex(&hmac(&secret_signing, &string_to_sign));
    format!(
        "TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"
    )
}

/// The store group's Tencent Cloud SMS account.
pub struct TencentSms {
    client: reqwest::Client,
    url: String,
    host: String,
    secret_id: String,
    secret_key: SecretString,
    app_id: String,
    sign_name: String,
    region: String,
}

/// What building the adapter needs.
pub struct TencentSettings {
    /// Base URL, `https://sms.tencentcloudapi.com` in production.
    pub endpoint: String,
    /// SecretId.
    pub secret_id: String,
    /// SecretKey.
    pub secret_key: SecretString,
    /// SmsSdkAppId.
    pub app_id: String,
    /// The approved signature (短信签名), e.g. `某某4S店`.
    pub sign_name: String,
    /// Region, e.g. `ap-guangzhou`.
    pub region: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    response: AnswerBody,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AnswerBody {
    #[serde(default)]
    send_status_set: Vec<SendStatus>,
    error: Option<AnswerError>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendStatus {
    serial_no: String,
    code: String,
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AnswerError {
    code: String,
    #[serde(default)]
    message: String,
}

impl TencentSms {
    /// Builds the adapter.
    pub fn new(settings: TencentSettings, timeout: std::time::Duration) -> Result<Self, String> {
        let TencentSettings { endpoint, secret_id, secret_key, app_id, sign_name, region } = settings;
        let parsed = reqwest::Url::parse(&endpoint).map_err(|e| format!("AFTERSALES_SMS_ENDPOINT: {e}"))?;
        let host = match (parsed.host_str(), parsed.port()) {
            (Some(h), Some(p)) => format!("{h}:{p}"),
            (Some(h), None) => h.to_string(),
            (None, _) => return Err("AFTERSALES_SMS_ENDPOINT has no host".into()),
        };
        let client = reqwest::Client::builder().timeout(timeout).build().map_err(|e| e.to_string())?;
        Ok(Self { client, url: endpoint, host, secret_id, secret_key, app_id, sign_name, region })
    }

    /// Sends one SMS.
    #[tracing::instrument(name = "sms.send", skip_all, fields(
        otel.name = "POST SendSms", otel.kind = "client", provider = PROVIDER,
        http.response.status_code = tracing::field::Empty))]
    pub async fn send(&self, message: &Outgoing) -> SendOutcome {
        let Recipient::Phone(phone) = &message.to else {
            return SendOutcome::Refused("an SMS needs a mobile number".into());
        };
        let Some(template_id) = &message.provider_template_id else {
            return SendOutcome::Refused("the template has no Tencent template id (TemplateId)".into());
        };
        let body = json!({
            "PhoneNumberSet": [phone],
            "SmsSdkAppId": self.app_id,
            "SignName": self.sign_name,
            "TemplateId": template_id,
            "TemplateParamSet": message.parameters.iter().map(|(_, v)| v).collect::<Vec<_>>(),
            "SessionContext": message.message_id.to_string(),
        })
        .to_string();
        let timestamp = Utc::now().timestamp();
        let authorization = tc3_authorization(
            &self.secret_id,
            self.secret_key.expose_secret(),
            "sms",
            &self.host,
            timestamp,
            &body,
        );
        let sent = self
            .client
            .post(&self.url)
            .header("authorization", authorization)
            .header("content-type", CONTENT_TYPE)
            .header("host", &self.host)
            .header("x-tc-action", "SendSms")
            .header("x-tc-version", VERSION)
            .header("x-tc-timestamp", timestamp.to_string())
            .header("x-tc-region", &self.region)
            .body(body)
            .send()
            .await;
        let response = match super::readable(sent, "Tencent SMS") {
            Ok(r) => r,
            Err(passing) => return passing,
        };
        match response.json::<Answer>().await {
            Ok(Answer { response: AnswerBody { error: Some(e), .. } }) => {
                // Limits and internal errors pass; a bad request, signature or template does not.
                let passing =
                    e.code.starts_with("InternalError") || e.code.starts_with("RequestLimitExceeded");
                let why = format!("Tencent SMS {}: {}", e.code, e.message);
                if passing { SendOutcome::Retry(why) } else { SendOutcome::Refused(why) }
            }
            Ok(Answer { response: AnswerBody { send_status_set, .. } }) => {
                match send_status_set.into_iter().next() {
                    Some(s) if s.code == "Ok" => {
                        SendOutcome::Accepted { provider: PROVIDER.into(), provider_message_id: s.serial_no }
                    }
                    Some(s) if s.code.starts_with("LimitExceeded") => {
                        SendOutcome::Retry(format!("Tencent SMS {}: {}", s.code, s.message))
                    }
                    Some(s) => SendOutcome::Refused(format!("Tencent SMS {}: {}", s.code, s.message)),
                    None => SendOutcome::Retry("Tencent SMS answered no send status".into()),
                }
            }
            Err(e) => SendOutcome::Retry(format!("unreadable Tencent SMS answer: {e}")),
        }
    }
}

/// One entry of a status callback, as Tencent posts them (a JSON array).
#[derive(Debug, Deserialize)]
pub struct StatusReport {
    /// `SUCCESS` or `FAIL`.
    pub report_status: String,
    /// The operator's code, e.g. `DELIVRD`.
    #[serde(default)]
    pub errmsg: String,
    /// When the handset took it, Beijing time `YYYY-MM-DD HH:MM:SS`.
    #[serde(default)]
    pub user_receive_time: String,
    /// The `SerialNo` of the send.
    pub sid: String,
}

/// The receipts of a callback body; an unreadable body is an error for the caller to answer.
pub fn receipts(body: &[u8]) -> Result<Vec<Receipt>, String> {
    let reports: Vec<StatusReport> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(reports
        .into_iter()
        .map(|r| Receipt {
            provider: PROVIDER.into(),
            provider_message_id: r.sid,
            delivered: r.report_status == "SUCCESS",
            detail: r.errmsg,
            at: beijing_time(&r.user_receive_time).unwrap_or_else(Utc::now),
        })
        .collect())
}

/// A `YYYY-MM-DD HH:MM:SS` time in China Standard Time (UTC+8, no daylight saving).
pub fn beijing_time(raw: &str) -> Option<DateTime<Utc>> {
    let local = NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    Some(Utc.from_utc_datetime(&(local - chrono::Duration::hours(8))))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The example of Tencent Cloud's "签名方法 v3" page: CVM DescribeInstances with the example
    // keys at 1551113065 (2019-02-25), whose documented signature is 72e494ea….
    #[test]
    fn tc3_signs_the_documented_example_exactly() {
        let payload =
            r#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
        let auth = tc3_authorization(
            "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE",
            "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
            "cvm",
            "cvm.tencentcloudapi.com",
            1_551_113_065,
            payload,
        );
        assert_eq!(
            auth,
            "TC3-HMAC-SHA256 Credential=AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE/2019-02-25/cvm/tc3_request, \
             SignedHeaders=content-type;host, \
             Signature=72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
        );
    }

    #[test]
    fn a_status_callback_becomes_receipts() {
        let body = br#"[{"user_receive_time":"2026-12-07 09:00:05","nationcode":"86","mobile":"13812345678",
            "report_status":"SUCCESS","errmsg":"DELIVRD","description":"ok","sid":"sid-1"},
            {"user_receive_time":"","nationcode":"86","mobile":"13812345679","report_status":"FAIL","errmsg":"MK:0001","sid":"sid-2"}]"#;
        let got = receipts(body).unwrap_or_default();
        assert_eq!(got.len(), 2);
        assert!(got[0].delivered && !got[1].delivered);
        assert_eq!(got[0].at, Utc.with_ymd_and_hms(2026, 12, 7, 1, 0, 5).single().unwrap_or_default());
        assert!(receipts(b"{").is_err());
    }
}

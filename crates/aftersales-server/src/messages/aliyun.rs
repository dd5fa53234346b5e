//! Alibaba Cloud SMS (Dysmsapi `SendSms`, version 2017-05-25), signed with the RPC signature
//! Alibaba documents: the parameters sorted and percent-encoded (RFC 3986, `~` kept, space as
//! `%20`) into `POST&%2F&{encoded query}`, HMAC-SHA1 under `{AccessKeySecret}&`, Base64. The
//! answer is `{"Code": "OK", "BizId": ...}`; `BizId` is what the delivery reports (SmsReport)
//! name.

use std::collections::BTreeMap;

use aftersales_domain::model::message::{Outgoing, Receipt, Recipient, SendOutcome};
use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The provider's name on the messages it took.
pub const PROVIDER: &str = "aliyun_sms";

/// Percent-encodes as Alibaba's POP signature wants: unreserved characters kept, the rest
/// `%XX` in upper case.
pub fn percent_encode(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The canonical query: every parameter but `Signature`, sorted by name, encoded.
pub fn canonical_query(params: &BTreeMap<String, String>) -> String {
    params
        .iter()
        .filter(|(k, _)| k.as_str() != "Signature")
        .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The RPC signature of `params` sent with `method`.
pub fn rpc_signature(method: &str, params: &BTreeMap<String, String>, secret: &str) -> String {
    let string_to_sign =
        format!("{method}&{}&{}", percent_encode("/"), percent_encode(&canonical_query(params)));
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(format!("{secret}&").as_bytes()) else {
        return String::new();
    };
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The store group's Alibaba Cloud SMS account.
pub struct AliyunSms {
    client: reqwest::Client,
    url: String,
    access_key_id: String,
    access_key_secret: SecretString,
    sign_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    biz_id: String,
}

impl AliyunSms {
    /// Builds the adapter for `endpoint` (`https://dysmsapi.aliyuncs.com` in production).
    pub fn new(
        endpoint: String,
        access_key_id: String,
        access_key_secret: SecretString,
        sign_name: String,
        timeout: std::time::Duration,
    ) -> Result<Self, String> {
        let client = reqwest::Client::builder().timeout(timeout).build().map_err(|e| e.to_string())?;
        let url = format!("{}/", endpoint.trim_end_matches('/'));
        Ok(Self { client, url, access_key_id, access_key_secret, sign_name })
    }

    /// Sends one SMS as a signed form POST.
    #[tracing::instrument(name = "sms.send", skip_all, fields(
        otel.name = "POST SendSms", otel.kind = "client", provider = PROVIDER,
        http.response.status_code = tracing::field::Empty))]
    pub async fn send(&self, message: &Outgoing) -> SendOutcome {
        let Recipient::Phone(phone) = &message.to else {
            return SendOutcome::Refused("an SMS needs a mobile number".into());
        };
        let Some(template_code) = &message.provider_template_id else {
            return SendOutcome::Refused("the template has no Alibaba template code (TemplateCode)".into());
        };
        let template_param: serde_json::Map<String, serde_json::Value> = message
            .parameters
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        let mut params: BTreeMap<String, String> = [
            ("AccessKeyId", self.access_key_id.clone()),
            ("Action", "SendSms".into()),
            ("Format", "JSON".into()),
            ("OutId", message.message_id.to_string()),
            // Alibaba takes mainland numbers without the country code.
            ("PhoneNumbers", phone.trim_start_matches("+86").to_string()),
            ("RegionId", "cn-hangzhou".into()),
            ("SignName", self.sign_name.clone()),
            ("SignatureMethod", "HMAC-SHA1".into()),
            ("SignatureNonce", uuid::Uuid::new_v4().to_string()),
            ("SignatureVersion", "1.0".into()),
            ("TemplateCode", template_code.clone()),
            ("TemplateParam", serde_json::Value::Object(template_param).to_string()),
            ("Timestamp", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()),
            ("Version", "2017-05-25".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        let signature = rpc_signature("POST", &params, self.access_key_secret.expose_secret());
        params.insert("Signature".into(), signature);
        let body = params
            .iter()
            .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let sent = self
            .client
            .post(&self.url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await;
        let response = match super::readable(sent, "Alibaba SMS") {
            Ok(r) => r,
            Err(passing) => return passing,
        };
        match response.json::<Answer>().await {
            Ok(a) if a.code == "OK" => {
                SendOutcome::Accepted { provider: PROVIDER.into(), provider_message_id: a.biz_id }
            }
            // Flow control passes; the rest (signature, template, number) does not.
            Ok(a) if a.code.contains("LIMIT_CONTROL") || a.code.starts_with("Throttling") => {
                SendOutcome::Retry(format!("Alibaba SMS {}: {}", a.code, a.message))
            }
            Ok(a) => SendOutcome::Refused(format!("Alibaba SMS {}: {}", a.code, a.message)),
            Err(e) => SendOutcome::Retry(format!("unreadable Alibaba SMS answer: {e}")),
        }
    }
}

/// One delivery report (SmsReport) as Alibaba pushes them (a JSON array).
#[derive(Debug, Deserialize)]
pub struct SmsReport {
    /// Whether it arrived.
    pub success: bool,
    /// The operator's code, e.g. `DELIVERED`.
    #[serde(default)]
    pub err_code: String,
    /// When, Beijing time `YYYY-MM-DD HH:MM:SS`.
    #[serde(default)]
    pub report_time: String,
    /// The `BizId` of the send.
    pub biz_id: String,
}

/// The receipts of a report body.
pub fn receipts(body: &[u8]) -> Result<Vec<Receipt>, String> {
    let reports: Vec<SmsReport> = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    Ok(reports
        .into_iter()
        .map(|r| Receipt {
            provider: PROVIDER.into(),
            provider_message_id: r.biz_id,
            delivered: r.success,
            detail: r.err_code,
            at: super::tencent::beijing_time(&r.report_time).unwrap_or_else(chrono::Utc::now),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    // The two examples of Alibaba Cloud's documentation: the SMS one (GET, testId/testSecret,
    // a Chinese sign name) and the RPC one (DescribeRegions, testid/testsecret).
    #[test]
    fn the_rpc_signature_matches_the_documented_examples() {
        let sms = params(&[
            ("AccessKeyId", "testId"),
            ("Action", "SendSms"),
            ("Format", "XML"),
            ("OutId", "123"),
            ("PhoneNumbers", "15300000001"),
            ("RegionId", "cn-hangzhou"),
            ("SignName", "阿里云短信测试专用"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"),
            ("SignatureVersion", "1.0"),
            ("TemplateCode", "SMS_71390007"),
            ("TemplateParam", r#"{"customer":"test"}"#),
            ("Timestamp", "2017-07-12T02:42:19Z"),
            ("Version", "2017-05-25"),
        ]);
        assert_eq!(rpc_signature("GET", &sms, "testSecret"), "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
        let regions = params(&[
            ("Format", "XML"),
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Version", "2014-05-26"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
        ]);
        assert_eq!(rpc_signature("GET", &regions, "testsecret"), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
        assert_eq!(percent_encode("a b*~/"), "a%20b%2A~%2F");
    }
}

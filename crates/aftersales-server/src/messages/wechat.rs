//! WeChat one-time subscription messages (`subscribeMessage.send`): an access token fetched
//! with the mini-program's AppID and AppSecret (`GET /cgi-bin/token`), cached until shortly
//! before it expires and fetched again when WeChat says it is invalid; then `POST
//! /cgi-bin/message/subscribe/send?access_token=…` with `touser`, `template_id` and `data`.
//! WeChat reports the outcome (`subscribe_msg_sent_event`) to the server URL, signed with
//! `sha1(sort(token, timestamp, nonce))`.

use std::time::{Duration, Instant};

use aftersales_domain::model::message::{Outgoing, Receipt, Recipient, SendOutcome};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sha1::Digest;
use tokio::sync::Mutex;

/// The provider's name on the messages it took.
pub const PROVIDER: &str = "wechat";

/// The store group's mini-program.
pub struct WechatSubscribe {
    client: reqwest::Client,
    endpoint: String,
    app_id: String,
    app_secret: SecretString,
    token: Mutex<Option<(String, Instant)>>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
    expires_in: Option<u64>,
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
}

#[derive(Deserialize)]
struct SendAnswer {
    #[serde(default)]
    errcode: i64,
    #[serde(default)]
    errmsg: String,
    msgid: Option<Value>,
}

/// WeChat's codes for a token that is not (or no longer) valid.
const TOKEN_INVALID: [i64; 3] = [40001, 40014, 42001];

impl WechatSubscribe {
    /// Builds the adapter for `endpoint` (`https://api.weixin.qq.com` in production).
    pub fn new(
        endpoint: String,
        app_id: String,
        app_secret: SecretString,
        timeout: Duration,
    ) -> Result<Self, String> {
        let client = reqwest::Client::builder().timeout(timeout).build().map_err(|e| e.to_string())?;
        let endpoint = endpoint.trim_end_matches('/').to_string();
        Ok(Self { client, endpoint, app_id, app_secret, token: Mutex::new(None) })
    }

    /// The cached token, or a new one.
    async fn token(&self) -> Result<String, String> {
        let mut cached = self.token.lock().await;
        if let Some((token, until)) = cached.as_ref()
            && Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let url = reqwest::Url::parse_with_params(
            &format!("{}/cgi-bin/token", self.endpoint),
            [
                ("grant_type", "client_credential"),
                ("appid", self.app_id.as_str()),
                ("secret", self.app_secret.expose_secret()),
            ],
        )
        .map_err(|e| format!("WeChat endpoint: {e}"))?;
        let answer = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|e| format!("WeChat unreachable: {e}"))?
            .json::<TokenAnswer>()
            .await
            .map_err(|e| format!("unreadable WeChat token answer: {e}"))?;
        let Some(token) = answer.access_token else {
            return Err(format!("WeChat token {}: {}", answer.errcode, answer.errmsg));
        };
        // Renewed five minutes early, so a send never carries a token about to lapse.
        let life = answer.expires_in.unwrap_or(7200).saturating_sub(300).max(60);
        *cached = Some((token.clone(), Instant::now() + Duration::from_secs(life)));
        Ok(token)
    }

    /// Sends one subscription message; a token WeChat calls invalid is fetched again once.
    #[tracing::instrument(name = "wechat.send", skip_all, fields(
        otel.name = "POST subscribe/send", otel.kind = "client", provider = PROVIDER))]
    pub async fn send(&self, message: &Outgoing) -> SendOutcome {
        let Recipient::Openid(openid) = &message.to else {
            return SendOutcome::Refused("a WeChat message needs the customer's openid".into());
        };
        let Some(template_id) = &message.provider_template_id else {
            return SendOutcome::Refused("the template has no WeChat template id".into());
        };
        let data: Map<String, Value> =
            message.parameters.iter().map(|(k, v)| (k.clone(), json!({ "value": v }))).collect();
        let body = json!({ "touser": openid, "template_id": template_id, "data": data });
        for _ in 0..2 {
            let token = match self.token().await {
                Ok(t) => t,
                Err(why) => return SendOutcome::Retry(why),
            };
            let url = match reqwest::Url::parse_with_params(
                &format!("{}/cgi-bin/message/subscribe/send", self.endpoint),
                [("access_token", token.as_str())],
            ) {
                Ok(url) => url,
                Err(e) => return SendOutcome::Refused(format!("WeChat endpoint: {e}")),
            };
            let sent = self.client.post(url).json(&body).send().await;
            let answer = match sent {
                Ok(r) if r.status().is_server_error() => {
                    return SendOutcome::Retry(format!("WeChat answered {}", r.status()));
                }
                Ok(r) => r.json::<SendAnswer>().await,
                Err(e) => return SendOutcome::Retry(format!("WeChat unreachable: {e}")),
            };
            match answer {
                Ok(a) if a.errcode == 0 => {
                    let id = match a.msgid {
                        Some(Value::String(s)) => s,
                        Some(other) => other.to_string(),
                        None => String::new(),
                    };
                    return SendOutcome::Accepted { provider: PROVIDER.into(), provider_message_id: id };
                }
                Ok(a) if TOKEN_INVALID.contains(&a.errcode) => {
                    *self.token.lock().await = None;
                }
                // -1: WeChat is busy; 45009: over the day's call quota.
                Ok(a) if a.errcode == -1 || a.errcode == 45009 => {
                    return SendOutcome::Retry(format!("WeChat {}: {}", a.errcode, a.errmsg));
                }
                // 43101: the user has not subscribed (or refused); 40003: not an openid of ours.
                Ok(a) => return SendOutcome::Refused(format!("WeChat {}: {}", a.errcode, a.errmsg)),
                Err(e) => return SendOutcome::Retry(format!("unreadable WeChat answer: {e}")),
            }
        }
        SendOutcome::Retry("WeChat refused two fresh access tokens".into())
    }
}

/// WeChat's signature of a push: `sha1` of the token, timestamp and nonce sorted and joined, hex.
pub fn push_signature(token: &str, timestamp: &str, nonce: &str) -> String {
    let mut parts = [token, timestamp, nonce];
    parts.sort_unstable();
    aftersales_domain::value::hex(&sha1::Sha1::digest(parts.concat().as_bytes()))
}

/// Whether a push carries WeChat's signature.
pub fn signed(token: &str, timestamp: &str, nonce: &str, signature: &str) -> bool {
    let expected = push_signature(token, timestamp, nonce);
    !signature.is_empty() && super::same_secret(&expected, &signature.to_ascii_lowercase())
}

/// The receipts of a `subscribe_msg_sent_event` push (JSON), one per message in its `List`.
pub fn receipts(body: &[u8]) -> Result<Vec<Receipt>, String> {
    let push: Value = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if push["Event"] != "subscribe_msg_sent_event" {
        return Ok(Vec::new());
    }
    let list = match &push["List"] {
        Value::Array(items) => items.clone(),
        one @ Value::Object(_) => vec![one.clone()],
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            return Err("the push has no List".into());
        }
    };
    let at = push["CreateTime"]
        .as_i64()
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .unwrap_or_else(chrono::Utc::now);
    Ok(list
        .iter()
        .map(|item| {
            let text = |key: &str| match &item[key] {
                Value::String(s) => s.clone(),
                Value::Null => String::new(),
                other @ (Value::Bool(_) | Value::Number(_) | Value::Array(_) | Value::Object(_)) => {
                    other.to_string()
                }
            };
            Receipt {
                provider: PROVIDER.into(),
                provider_message_id: text("MsgID"),
                delivered: text("ErrorCode") == "0",
                detail: text("ErrorStatus"),
                at,
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_push_is_signed_with_the_sorted_token_timestamp_and_nonce() {
        // sha1("1372623149" + "1409659813" + "token"), computed independently with Python's hashlib.
        let expected = "74ec3ddbfdaa9e34666e94a046804051e80c7749";
        assert!(signed("token", "1409659813", "1372623149", expected));
        assert!(signed("token", "1409659813", "1372623149", &expected.to_ascii_uppercase()));
        assert!(!signed("other", "1409659813", "1372623149", expected));
        assert!(!signed("token", "1409659813", "1372623149", ""));
    }

    #[test]
    fn a_sent_event_becomes_receipts() {
        let body = br#"{"ToUserName":"gh_1","FromUserName":"o-openid","CreateTime":1765000000,"MsgType":"event",
            "Event":"subscribe_msg_sent_event","List":{"TemplateId":"tmpl","MsgID":"1700827132819554304","ErrorCode":"0","ErrorStatus":"success"}}"#;
        let got = receipts(body).unwrap_or_default();
        assert_eq!(got.len(), 1);
        assert!(got[0].delivered);
        assert_eq!(got[0].provider_message_id, "1700827132819554304");
        assert!(receipts(br#"{"Event":"subscribe_msg_popup_event"}"#).unwrap_or_default().is_empty());
    }
}

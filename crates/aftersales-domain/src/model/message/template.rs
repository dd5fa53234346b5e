//! A store's message templates (issue 13): Chinese text with named `{parameters}`, one set of
//! parameters per code fixed by the business step that sends it, versioned, with the provider's
//! own template id and parameter names where the provider wants pre-approved templates.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{MessageChannel, Purpose};
use crate::value::StoreCode;

/// A store's message template.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// Store.
    pub store: StoreCode,
    /// Code the business steps name, e.g. `car_ready`.
    pub code: String,
    /// Service or marketing: the code's, never the store's choice.
    pub purpose: Purpose,
    /// Channel.
    pub channel: MessageChannel,
    /// Each change is a new version from 1; messages keep the version they were made with. 0 is
    /// the built-in text, used while the store has none of its own.
    pub version: u32,
    /// The text, e.g. `您的爱车{plate}已完工，请到{store}取车`.
    pub text: String,
    /// The provider's template id.
    pub provider_template_id: Option<String>,
    /// The provider's names for the text's parameters, in the order the text uses them (WeChat's
    /// `thing1`, Alibaba's `${code}`); empty: the names are the same.
    pub provider_parameters: Vec<String>,
    /// Who made this version.
    pub created_by: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A code a business step sends, with the parameters it fills and its built-in text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KnownTemplate {
    /// The code.
    pub code: &'static str,
    /// Service or marketing.
    pub purpose: Purpose,
    /// The parameters the step fills; a store's text may use any of them.
    pub parameters: &'static [&'static str],
    /// The text used while the store has none of its own.
    pub default_text: &'static str,
    /// When it is sent.
    pub about: &'static str,
}

/// Every code a business step sends.
pub const KNOWN_TEMPLATES: [KnownTemplate; 10] = [
    KnownTemplate {
        code: "follow_up_unreachable",
        purpose: Purpose::Service,
        parameters: &["store", "name"],
        default_text: "{name}您好，{store}近日多次致电未能联系上您，想了解您的用车和服务体验。方便时请回电，感谢支持。",
        about: "FU-5: a follow-up closed unreachable, with the SMS fallback",
    },
    KnownTemplate {
        code: "letter_notice",
        purpose: Purpose::Service,
        parameters: &["store", "name", "subject"],
        default_text: "{name}您好，{store}通知：{subject}",
        about: "FU-8: a notice registered with the SMS or WeChat channel",
    },
    KnownTemplate {
        code: "letter_reply",
        purpose: Purpose::Service,
        parameters: &["store", "name", "subject"],
        default_text: "{name}您好，{store}就“{subject}”给您回复，详情请留意来电或到店咨询。",
        about: "FU-8: a reply registered with the SMS or WeChat channel",
    },
    KnownTemplate {
        code: "letter_invitation",
        purpose: Purpose::Marketing,
        parameters: &["store", "name", "subject"],
        default_text: "{name}您好，{store}诚邀您参加：{subject}。回复T退订",
        about: "FU-7, FU-8: a campaign invitation registered with the SMS or WeChat channel",
    },
    KnownTemplate {
        code: "appointment_reminder",
        purpose: Purpose::Service,
        parameters: &["store", "name", "date", "time"],
        default_text: "{name}您好，您已预约{date} {time}到{store}保养维修，请准时到店；如需改期请提前联系我们。",
        about: "AP-5: the day before a booked visit",
    },
    KnownTemplate {
        code: "car_ready",
        purpose: Purpose::Service,
        parameters: &["store", "name", "plate", "number"],
        default_text: "{name}您好，您的爱车{plate}（工单{number}）已完工并通过质检，请到{store}取车。",
        about: "WO-3: the advisor tells the customer the car is ready",
    },
    KnownTemplate {
        code: "complaint_answer",
        purpose: Purpose::Service,
        parameters: &["store", "name"],
        default_text: "{name}您好，{store}已就您反映的问题给出处理方案并与您沟通，如有疑问请随时致电我们。",
        about: "FU-6: the customer is told the solution of a complaint",
    },
    KnownTemplate {
        code: "maintenance_reminder",
        purpose: Purpose::Service,
        parameters: &["store", "name", "plate", "due"],
        default_text: "{name}您好，您的爱车{plate}将于{due}前到保养期，欢迎预约到{store}保养。",
        about: "FU-10: the first day of the next maintenance's reminder window, unless the car came back",
    },
    KnownTemplate {
        code: "declined_reminder",
        purpose: Purpose::Service,
        parameters: &["store", "name", "plate", "items"],
        default_text: "{name}您好，您的爱车{plate}上次到店时建议的{items}尚未处理，欢迎预约到{store}检修。",
        about: "FU-10, WO-11: the declined work is brought up again",
    },
    KnownTemplate {
        code: "approval_link",
        purpose: Purpose::Service,
        parameters: &["store", "name", "plate", "link", "hours"],
        default_text: "{name}您好，{store}已为您的爱车{plate}出具维修报价，请打开{link}逐项确认，{hours}小时内有效。",
        about: "WO-13: the advisor sends the customer a link to the current estimate; the link is made as it goes out",
    },
];

/// The code's entry.
pub fn known(code: &str) -> Option<&'static KnownTemplate> {
    KNOWN_TEMPLATES.iter().find(|k| k.code == code)
}

/// The built-in template of `code` for a store and channel (version 0).
pub fn known_template(code: &str, store: &StoreCode, channel: MessageChannel) -> Option<Template> {
    known(code).map(|k| Template {
        store: store.clone(),
        code: k.code.to_string(),
        purpose: k.purpose,
        channel,
        version: 0,
        text: k.default_text.to_string(),
        provider_template_id: None,
        provider_parameters: Vec::new(),
        created_by: "system".into(),
        created_at: DateTime::<Utc>::UNIX_EPOCH,
    })
}

/// A new version of a store's template for one code and channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateTemplate {
    /// One of the codes the business steps send (`follow_up_unreachable`, `letter_notice`,
    /// `letter_reply`, `letter_invitation`, `appointment_reminder`, `car_ready`,
    /// `complaint_answer`, `maintenance_reminder`, `declined_reminder`, `approval_link`).
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 64))]
    pub code: String,
    /// The channel this text is for.
    pub channel: MessageChannel,
    /// The text with `{parameters}` of the code.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 335))]
    pub text: String,
    /// The provider's pre-approved template id (Tencent and Alibaba SMS, WeChat).
    #[cfg_attr(feature = "openapi", schema(max_length = 64))]
    pub provider_template_id: Option<String>,
    /// The provider's names of the text's parameters, in the order the text uses them.
    #[cfg_attr(feature = "openapi", schema(max_items = 16))]
    pub provider_parameters: Option<Vec<String>>,
}

impl CreateTemplate {
    /// Checks the command against its code; answers the template at `version`.
    pub fn validate(
        &self,
        store: &StoreCode,
        version: u32,
        who: &str,
        now: DateTime<Utc>,
    ) -> crate::Result<Template> {
        let mut v = crate::error::Validator::new();
        let code = known(&self.code);
        if code.is_none() {
            let codes: Vec<_> = KNOWN_TEMPLATES.iter().map(|k| k.code).collect();
            v.push("code", format!("must be one of: {}", codes.join(", ")));
        }
        let names = match template_parameters(&self.text) {
            Ok(names) => names,
            Err(e) => {
                for f in e.field_errors() {
                    v.push(f.field.clone(), f.message.clone());
                }
                Vec::new()
            }
        };
        if let Some(code) = code {
            for name in &names {
                if !code.parameters.contains(&name.as_str()) {
                    v.push(
                        "text",
                        format!(
                            "`{{{name}}}` is not a parameter of {} ({})",
                            code.code,
                            code.parameters.join(", ")
                        ),
                    );
                }
            }
        }
        if self.provider_template_id.as_deref().is_some_and(|id| !super::is_provider_id(id)) {
            v.push("provider_template_id", "must be 1 to 64 letters, digits, _ or -");
        }
        let provider_parameters = self.provider_parameters.clone().unwrap_or_default();
        if !provider_parameters.is_empty() && provider_parameters.len() != names.len() {
            v.push(
                "provider_parameters",
                format!("must name each of the text's {} parameters, in order", names.len()),
            );
        }
        for (i, p) in provider_parameters.iter().enumerate() {
            let ok =
                !p.is_empty() && p.len() <= 32 && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !ok {
                v.push(format!("provider_parameters[{i}]"), "must be 1 to 32 letters, digits or _");
            }
        }
        v.finish()?;
        let code = code.ok_or_else(|| crate::DomainError::invalid("code", "unknown"))?;
        Ok(Template {
            store: store.clone(),
            code: code.code.to_string(),
            purpose: code.purpose,
            channel: self.channel,
            version,
            text: self.text.clone(),
            provider_template_id: self.provider_template_id.clone(),
            provider_parameters,
            created_by: who.to_string(),
            created_at: now,
        })
    }
}

/// The longest template text, characters (a long SMS is 5 parts of 67).
pub const MAX_TEMPLATE_CHARS: usize = 335;

/// The named parameters of `text`, in order of first use; an error names what is malformed.
pub fn template_parameters(text: &str) -> crate::Result<Vec<String>> {
    let bad = |why: &str| crate::DomainError::invalid("text", why.to_string());
    if text.trim().is_empty() || text.chars().count() > MAX_TEMPLATE_CHARS {
        return Err(bad(&format!("must be 1 to {MAX_TEMPLATE_CHARS} characters")));
    }
    let mut names: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err(bad("has a `}` without its `{`"));
        }
        let after = &rest[open + 1..];
        let close = after.find('}').ok_or_else(|| bad("has a `{` without its `}`"))?;
        let name = &after[..close];
        let ident = !name.is_empty()
            && name.len() <= 32
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ident {
            return Err(bad(&format!("parameter `{{{name}}}` must be lowercase letters, digits or _")));
        }
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
        rest = &after[close + 1..];
    }
    Ok(names)
}

impl Template {
    /// The text with `parameters` filled in: each the text names must be given; one it does not
    /// name is refused unless the code has it (a store's text may leave some of them out).
    pub fn render(&self, parameters: &BTreeMap<String, String>) -> crate::Result<String> {
        let names = template_parameters(&self.text)?;
        let code = known(&self.code);
        let mut v = crate::error::Validator::new();
        for name in &names {
            if parameters.get(name).is_none_or(|p| p.trim().is_empty()) {
                v.push(format!("parameters.{name}"), "is required by the template");
            }
        }
        for given in parameters.keys() {
            let of_code = code.is_some_and(|c| c.parameters.contains(&given.as_str()));
            if !names.contains(given) && !of_code {
                v.push(format!("parameters.{given}"), "is not a parameter of the template");
            }
        }
        v.finish()?;
        let mut out = self.text.clone();
        for name in &names {
            if let Some(value) = parameters.get(name) {
                out = out.replace(&format!("{{{name}}}"), value);
            }
        }
        Ok(out)
    }

    /// The parameters under the provider's names, in the order the text uses them.
    pub fn provider_values(&self, parameters: &BTreeMap<String, String>) -> Vec<(String, String)> {
        let names = template_parameters(&self.text).unwrap_or_default();
        names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let key = self.provider_parameters.get(i).cloned().unwrap_or_else(|| name.clone());
                (key, parameters.get(name).cloned().unwrap_or_default())
            })
            .collect()
    }
}

#[cfg(test)]
mod template_tests {
    use super::*;

    fn template(text: &str) -> Template {
        Template {
            store: StoreCode::parse("SH001").unwrap_or_else(|e| panic!("{e}")),
            code: "letter_notice".into(),
            purpose: Purpose::Service,
            channel: MessageChannel::Sms,
            version: 1,
            text: text.into(),
            provider_template_id: Some("1234567".into()),
            provider_parameters: Vec::new(),
            created_by: "sup-001".into(),
            created_at: Utc::now(),
        }
    }

    // Issue 13: templates name their parameters; unknown and missing ones are refused by name.
    #[test]
    fn a_template_fills_exactly_its_named_parameters() {
        let t = template("通知{subject}：请到{store}办理。{subject}");
        assert_eq!(template_parameters(&t.text).ok(), Some(vec!["subject".to_string(), "store".to_string()]));
        let params = |pairs: &[(&str, &str)]| {
            pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
        };
        assert_eq!(
            t.render(&params(&[("subject", "召回"), ("store", "浦东店"), ("name", "张先生")]))
                .ok()
                .as_deref(),
            Some("通知召回：请到浦东店办理。召回")
        );
        let refused = t.render(&params(&[("subject", "召回"), ("coupon", "8折")])).unwrap_err();
        let fields: Vec<_> = refused.field_errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["parameters.store", "parameters.coupon"]);
        for bad in ["", "未闭合{plate", "多余}", "{Plate}", "{}"] {
            assert_eq!(template_parameters(bad).unwrap_err().field_errors()[0].field, "text", "{bad}");
        }
    }
}

#[cfg(test)]
mod create_tests {
    use super::*;

    fn store() -> StoreCode {
        StoreCode::parse("SH001").unwrap_or_else(|e| panic!("{e}"))
    }

    // Issue 13: a store's template is checked at creation: a known code, only the code's
    // parameters, the provider's names one per parameter; the purpose is the code's.
    #[test]
    fn a_template_is_checked_against_its_code_at_creation() {
        let cmd = |code: &str, text: &str, provider: Option<Vec<&str>>| CreateTemplate {
            code: code.into(),
            channel: MessageChannel::WechatSubscribe,
            text: text.into(),
            provider_template_id: Some("tmpl-Ab_1".into()),
            provider_parameters: provider.map(|p| p.into_iter().map(String::from).collect()),
        };
        let now = Utc::now();
        let ok = cmd("letter_invitation", "{name}：{subject}", Some(vec!["thing1", "thing2"]))
            .validate(&store(), 3, "sup-001", now)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((ok.purpose, ok.version), (Purpose::Marketing, 3));
        let params: BTreeMap<String, String> =
            [("name", "张先生"), ("subject", "车主讲堂"), ("store", "浦东店")]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
        assert_eq!(
            ok.provider_values(&params),
            vec![
                ("thing1".to_string(), "张先生".to_string()),
                ("thing2".to_string(), "车主讲堂".to_string())
            ]
        );
        assert_eq!(ok.render(&params).ok().as_deref(), Some("张先生：车主讲堂"));
        let fields = |c: CreateTemplate| -> Vec<String> {
            c.validate(&store(), 1, "sup-001", now)
                .unwrap_err()
                .field_errors()
                .iter()
                .map(|e| e.field.clone())
                .collect()
        };
        assert_eq!(fields(cmd("coupon_blast", "{name}", None)), vec!["code"]);
        assert_eq!(fields(cmd("letter_notice", "{name}{coupon}", None)), vec!["text"]);
        assert_eq!(
            fields(cmd("letter_notice", "{name}{subject}", Some(vec!["thing1"]))),
            vec!["provider_parameters"]
        );
        assert_eq!(
            fields(cmd("letter_notice", "{name}", Some(vec!["bad key"]))),
            vec!["provider_parameters[0]"]
        );
        for k in KNOWN_TEMPLATES {
            let t =
                known_template(k.code, &store(), MessageChannel::Sms).unwrap_or_else(|| panic!("{}", k.code));
            let names = template_parameters(&t.text).unwrap_or_else(|e| panic!("{e}"));
            assert!(names.iter().all(|n| k.parameters.contains(&n.as_str())), "{}", k.code);
        }
    }
}

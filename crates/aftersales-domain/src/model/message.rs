//! Messages to customers (issue 13, first slice): one outbound message model for every channel,
//! and the rules checked before anything is sent: marketing needs current consent (CF-5),
//! nothing goes out in the customer's quiet hours (the store's call hours by default: a message
//! planned outside them waits for the next window), and a per-customer cap per day and month.
//! Providers, templates and the sending worker build on this.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::model::store::CallWindow;
use crate::value::{CustomerId, StoreCode, uuid_id};

uuid_id!(
    /// Identifies an outbound message.
    MessageId
);

/// Why a message is sent: service messages need no marketing consent, marketing ones do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// About the customer's own car and visit (reminders, "your car is ready", approval links).
    Service,
    /// Invitations and offers (FU-7).
    Marketing,
}

/// How it reaches the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageChannel {
    /// SMS through the store's provider.
    Sms,
    /// A WeChat one-time subscription message.
    WechatSubscribe,
    /// WeCom (企业微信) to the customer's contact.
    WechatWork,
    /// A posted letter.
    Letter,
}

/// Why a message was not sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Suppressed {
    /// Marketing without the customer's current consent (CF-5).
    NoMarketingConsent,
    /// The customer already had the day's allowance.
    DailyCapReached,
    /// The customer already had the month's allowance.
    MonthlyCapReached,
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum MessageStatus {
    /// Waiting for its time and the worker.
    Queued,
    /// Handed to the provider.
    Sent,
    /// The provider says it arrived.
    Delivered,
    /// The provider refused it, or every attempt failed.
    Failed,
    /// Not sent, and why.
    Suppressed {
        /// The reason.
        reason: Suppressed,
    },
}

/// How many messages one customer may get (WeCom's limits by default: 1 a day, 4 a month for
/// marketing; service messages are counted too, with room for a visit's few).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Caps {
    /// Per store-local day.
    pub per_day: u32,
    /// Per store-local month.
    pub per_month: u32,
}

impl Caps {
    /// The defaults for a purpose.
    pub fn default_for(purpose: Purpose) -> Self {
        match purpose {
            Purpose::Marketing => Self { per_day: 1, per_month: 4 },
            Purpose::Service => Self { per_day: 5, per_month: 30 },
        }
    }
}

/// One message to one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundMessage {
    /// Id.
    pub id: MessageId,
    /// Store.
    pub store: StoreCode,
    /// To whom.
    pub customer_id: CustomerId,
    /// Service or marketing.
    pub purpose: Purpose,
    /// Channel.
    pub channel: MessageChannel,
    /// The store's template code.
    pub template: String,
    /// The template's named parameters.
    pub parameters: std::collections::BTreeMap<String, String>,
    /// When it may go out at the earliest (moved out of quiet hours).
    pub planned_at: DateTime<Utc>,
    /// Where it stands.
    pub status: MessageStatus,
    /// The provider's id, once sent.
    pub provider_message_id: Option<String>,
    /// Sending attempts so far.
    pub attempts: u32,
}

/// What the customer has had already, counted on store-local days and months.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AlreadySent {
    /// On the day the message would go out.
    pub that_day: u32,
    /// In that month.
    pub that_month: u32,
}

/// The first instant at or after `at` inside one of the store's windows (store-local), looking a
/// week ahead; `at` itself when there are no windows (nothing is quiet then).
pub fn next_allowed(at: DateTime<Utc>, tz: Tz, windows: &[CallWindow]) -> DateTime<Utc> {
    if windows.is_empty() {
        return at;
    }
    let local = at.with_timezone(&tz);
    for offset in 0..8 {
        let Some(day) = local.date_naive().checked_add_signed(Duration::days(offset)) else { break };
        for w in windows {
            let (Some(start), Some(end)) = (instant(tz, day, w.start), instant(tz, day, w.end)) else {
                continue;
            };
            if at < end {
                return at.max(start);
            }
        }
    }
    at
}

fn instant(tz: Tz, day: NaiveDate, time: chrono::NaiveTime) -> Option<DateTime<Utc>> {
    tz.from_local_datetime(&day.and_time(time)).earliest().map(|t| t.with_timezone(&Utc))
}

/// The store-local day and month a send at `at` counts on.
pub fn counted_on(at: DateTime<Utc>, tz: Tz) -> (NaiveDate, (i32, u32)) {
    let day = at.with_timezone(&tz).date_naive();
    (day, (day.year(), day.month()))
}

/// Whether a message of `purpose` may go out: consent first, then the caps for what the customer
/// already had on that day and month.
pub fn rules(
    purpose: Purpose,
    marketing_consent: bool,
    sent: AlreadySent,
    caps: Caps,
) -> Result<(), Suppressed> {
    if purpose == Purpose::Marketing && !marketing_consent {
        Err(Suppressed::NoMarketingConsent)
    } else if sent.that_day >= caps.per_day {
        Err(Suppressed::DailyCapReached)
    } else if sent.that_month >= caps.per_month {
        Err(Suppressed::MonthlyCapReached)
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use chrono_tz::Asia::Shanghai;

    use super::*;
    use crate::model::store::default_call_hours;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or_default()
    }

    // Issue 13: planned at 22:00 local, a message goes out at the next call-hours start (09:00);
    // inside a window it goes at once; in the lunch gap at 14:00.
    #[test]
    fn a_message_planned_in_quiet_hours_waits_for_the_next_window() {
        let hours = default_call_hours();
        // 22:00 Shanghai on 2026-12-07 is 14:00 UTC.
        assert_eq!(next_allowed(utc("2026-12-07T14:00:00Z"), Shanghai, &hours), utc("2026-12-08T01:00:00Z"));
        assert_eq!(next_allowed(utc("2026-12-07T02:30:00Z"), Shanghai, &hours), utc("2026-12-07T02:30:00Z"));
        assert_eq!(next_allowed(utc("2026-12-07T04:30:00Z"), Shanghai, &hours), utc("2026-12-07T06:00:00Z"));
        // 07:00 local: the day's first window.
        assert_eq!(next_allowed(utc("2026-12-06T23:00:00Z"), Shanghai, &hours), utc("2026-12-07T01:00:00Z"));
        assert_eq!(next_allowed(utc("2026-12-07T14:00:00Z"), Shanghai, &[]), utc("2026-12-07T14:00:00Z"));
    }

    // CF-5, issue 13: marketing without consent is suppressed before any cap; caps count per day
    // and month; service messages need no consent.
    #[test]
    fn marketing_needs_consent_and_every_message_keeps_to_the_caps() {
        let none = AlreadySent::default();
        let marketing = Caps::default_for(Purpose::Marketing);
        assert_eq!(rules(Purpose::Marketing, false, none, marketing), Err(Suppressed::NoMarketingConsent));
        assert_eq!(rules(Purpose::Marketing, true, none, marketing), Ok(()));
        let one_today = AlreadySent { that_day: 1, that_month: 1 };
        assert_eq!(rules(Purpose::Marketing, true, one_today, marketing), Err(Suppressed::DailyCapReached));
        let four = AlreadySent { that_day: 0, that_month: 4 };
        assert_eq!(rules(Purpose::Marketing, true, four, marketing), Err(Suppressed::MonthlyCapReached));
        assert_eq!(rules(Purpose::Service, false, one_today, Caps::default_for(Purpose::Service)), Ok(()));
        assert_eq!(
            counted_on(utc("2026-11-30T16:30:00Z"), Shanghai),
            (utc("2026-12-01T00:00:00Z").date_naive(), (2026, 12))
        );
    }
}

/// A store's message template: Chinese text with named `{parameters}`, versioned; the
/// provider's own template id where the provider wants pre-approved templates (SMS, WeChat).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Template {
    /// Store.
    pub store: StoreCode,
    /// Code the business steps name, e.g. `car_ready`.
    pub code: String,
    /// Service or marketing.
    pub purpose: Purpose,
    /// Channel.
    pub channel: MessageChannel,
    /// Each change is a new version; messages keep the version they were made with.
    pub version: u32,
    /// The text, e.g. `您的爱车{plate}已完工，请到{store}取车`.
    pub text: String,
    /// The provider's template id.
    pub provider_template_id: Option<String>,
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
    /// The text with `parameters` filled in: each named once, none unknown, none missing.
    pub fn render(&self, parameters: &std::collections::BTreeMap<String, String>) -> crate::Result<String> {
        let names = template_parameters(&self.text)?;
        let mut v = crate::error::Validator::new();
        for name in &names {
            if parameters.get(name).is_none_or(|p| p.trim().is_empty()) {
                v.push(format!("parameters.{name}"), "is required by the template");
            }
        }
        for given in parameters.keys() {
            if !names.contains(given) {
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
}

#[cfg(test)]
mod template_tests {
    use super::*;

    fn template(text: &str) -> Template {
        Template {
            store: StoreCode::parse("SH001").unwrap_or_else(|e| panic!("{e}")),
            code: "car_ready".into(),
            purpose: Purpose::Service,
            channel: MessageChannel::Sms,
            version: 1,
            text: text.into(),
            provider_template_id: Some("1234567".into()),
        }
    }

    // Issue 13: templates name their parameters; unknown and missing ones are refused by name.
    #[test]
    fn a_template_fills_exactly_its_named_parameters() {
        let t = template("您的爱车{plate}已完工，请到{store}取车。{plate}");
        assert_eq!(template_parameters(&t.text).ok(), Some(vec!["plate".to_string(), "store".to_string()]));
        let params = |pairs: &[(&str, &str)]| {
            pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
        };
        assert_eq!(
            t.render(&params(&[("plate", "沪A12345"), ("store", "浦东店")])).ok().as_deref(),
            Some("您的爱车沪A12345已完工，请到浦东店取车。沪A12345")
        );
        let refused = t.render(&params(&[("plate", "沪A12345"), ("coupon", "8折")])).unwrap_err();
        let fields: Vec<_> = refused.field_errors().iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["parameters.store", "parameters.coupon"]);
        for bad in ["", "未闭合{plate", "多余}", "{Plate}", "{}"] {
            assert_eq!(template_parameters(bad).unwrap_err().field_errors()[0].field, "text", "{bad}");
        }
    }
}

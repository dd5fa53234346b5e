//! Stores (门店), their settings, and their staff lists.

use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::error::Validator;
use crate::value::StoreCode;

/// The default store time zone.
pub const DEFAULT_TIMEZONE: &str = "Asia/Shanghai";

/// One window of the day in which customers may be called (FU-5), in store-local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallWindow {
    /// Start, inclusive.
    pub start: NaiveTime,
    /// End, exclusive.
    pub end: NaiveTime,
}

/// A call window as a client writes it (`"09:00"`), before validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CallWindowInput {
    /// Start, `HH:MM`.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub start: String,
    /// End, `HH:MM`.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"))]
    pub end: String,
}

fn time_of_day(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap_or(NaiveTime::MIN)
}

/// Returns the default call hours: 09:00–12:00 and 14:00–20:00.
pub fn default_call_hours() -> Vec<CallWindow> {
    vec![
        CallWindow { start: time_of_day(9, 0), end: time_of_day(12, 0) },
        CallWindow { start: time_of_day(14, 0), end: time_of_day(20, 0) },
    ]
}

/// Parses and checks call windows: each non-empty, in order, not overlapping.
pub fn parse_call_hours(
    v: &mut Validator,
    field: &str,
    input: &[CallWindowInput],
) -> Option<Vec<CallWindow>> {
    let mut windows = Vec::with_capacity(input.len());
    let mut ok = true;
    for (i, w) in input.iter().enumerate() {
        let start = v.check(&format!("{field}[{i}].start"), parse_hhmm(&w.start));
        let end = v.check(&format!("{field}[{i}].end"), parse_hhmm(&w.end));
        match (start, end) {
            (Some(start), Some(end)) if start < end => windows.push(CallWindow { start, end }),
            (Some(_), Some(_)) => {
                v.push(format!("{field}[{i}]"), "start must be before end");
                ok = false;
            }
            _ => ok = false,
        }
    }
    if windows.windows(2).any(|pair| pair[0].end > pair[1].start) {
        v.push(field, "windows must be in order and must not overlap");
        ok = false;
    }
    if input.is_empty() {
        v.push(field, "needs at least one window");
        ok = false;
    }
    ok.then_some(windows)
}

fn parse_hhmm(raw: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(raw.trim(), "%H:%M").map_err(|_| "must be a time of day as HH:MM".to_string())
}

/// Parses an IANA time zone name.
pub fn parse_timezone(raw: &str) -> Result<Tz, String> {
    raw.trim().parse::<Tz>().map_err(|_| "must be an IANA time zone such as Asia/Shanghai".to_string())
}

/// The day limits of DOMAIN.md, per store; each counts calendar days in the store's zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
// Stores saved before a limit existed take its default.
#[serde(default)]
pub struct SlaSettings {
    /// CF-2: a file is opened within this many days of the first intake or visit.
    pub file_open_days: u32,
    /// FU-1: the first follow-up window opens on this day after delivery.
    pub first_follow_up_from_day: u32,
    /// FU-1: and closes on this day.
    pub first_follow_up_to_day: u32,
    /// FU-2: the second follow-up window opens this many days after the first was done.
    pub second_follow_up_from_day: u32,
    /// FU-2: and closes on this day.
    pub second_follow_up_to_day: u32,
    /// FU-5: attempts over this many days without reaching the customer close a task as unreachable.
    pub unreachable_after_days: u32,
    /// FU-6: an unresolved complaint escalates after this many days.
    pub complaint_escalation_days: u32,
    /// FU-7: customers are phoned at least this many days before an event.
    pub event_call_lead_days: u32,
    /// FU-7: a letter follows the call within this many days.
    pub event_letter_days: u32,
    /// FU-10: the maintenance reminder is due from this many days before the maintenance.
    pub maintenance_reminder_lead_days: u32,
    /// FU-10: a declined line is brought up again from this day after delivery.
    pub declined_reminder_from_day: u32,
    /// FU-10: and by this day.
    pub declined_reminder_to_day: u32,
    /// FU-10: a car not back this many days after its maintenance fell due is followed as lapsing.
    pub lapse_after_days: u32,
}

impl Default for SlaSettings {
    fn default() -> Self {
        Self {
            file_open_days: 2,
            first_follow_up_from_day: 3,
            first_follow_up_to_day: 7,
            second_follow_up_from_day: 7,
            second_follow_up_to_day: 14,
            unreachable_after_days: 5,
            complaint_escalation_days: 2,
            event_call_lead_days: 14,
            event_letter_days: 2,
            maintenance_reminder_lead_days: 7,
            declined_reminder_from_day: 30,
            declined_reminder_to_day: 37,
            lapse_after_days: 30,
        }
    }
}

/// Changes to some of the day limits; absent fields keep their value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SlaPatch {
    /// See [`SlaSettings::file_open_days`].
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 366))]
    pub file_open_days: Option<u32>,
    /// See [`SlaSettings::first_follow_up_from_day`].
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 366))]
    pub first_follow_up_from_day: Option<u32>,
    /// See [`SlaSettings::first_follow_up_to_day`].
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 366))]
    pub first_follow_up_to_day: Option<u32>,
    /// See [`SlaSettings::second_follow_up_from_day`].
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 366))]
    pub second_follow_up_from_day: Option<u32>,
    /// See [`SlaSettings::second_follow_up_to_day`].
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 366))]
    pub second_follow_up_to_day: Option<u32>,
    /// See [`SlaSettings::unreachable_after_days`].
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 366))]
    pub unreachable_after_days: Option<u32>,
    /// See [`SlaSettings::complaint_escalation_days`].
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 366))]
    pub complaint_escalation_days: Option<u32>,
    /// See [`SlaSettings::event_call_lead_days`].
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 366))]
    pub event_call_lead_days: Option<u32>,
    /// See [`SlaSettings::event_letter_days`].
    #[cfg_attr(feature = "openapi", schema(minimum = 1, maximum = 366))]
    pub event_letter_days: Option<u32>,
}

impl SlaSettings {
    /// Applies a patch and checks the result, recording errors under `sla.*`.
    pub fn patched(self, patch: &SlaPatch, v: &mut Validator) -> Self {
        let s = Self {
            file_open_days: patch.file_open_days.unwrap_or(self.file_open_days),
            first_follow_up_from_day: patch.first_follow_up_from_day.unwrap_or(self.first_follow_up_from_day),
            first_follow_up_to_day: patch.first_follow_up_to_day.unwrap_or(self.first_follow_up_to_day),
            second_follow_up_from_day: patch
                .second_follow_up_from_day
                .unwrap_or(self.second_follow_up_from_day),
            second_follow_up_to_day: patch.second_follow_up_to_day.unwrap_or(self.second_follow_up_to_day),
            unreachable_after_days: patch.unreachable_after_days.unwrap_or(self.unreachable_after_days),
            complaint_escalation_days: patch
                .complaint_escalation_days
                .unwrap_or(self.complaint_escalation_days),
            event_call_lead_days: patch.event_call_lead_days.unwrap_or(self.event_call_lead_days),
            event_letter_days: patch.event_letter_days.unwrap_or(self.event_letter_days),
            ..self
        };
        for (name, value) in [
            ("file_open_days", s.file_open_days),
            ("first_follow_up_from_day", s.first_follow_up_from_day),
            ("first_follow_up_to_day", s.first_follow_up_to_day),
            ("second_follow_up_from_day", s.second_follow_up_from_day),
            ("second_follow_up_to_day", s.second_follow_up_to_day),
            ("unreachable_after_days", s.unreachable_after_days),
            ("complaint_escalation_days", s.complaint_escalation_days),
            ("event_call_lead_days", s.event_call_lead_days),
            ("event_letter_days", s.event_letter_days),
        ] {
            if !(1..=366).contains(&value) {
                v.push(format!("sla.{name}"), "must be between 1 and 366 days");
            }
        }
        if s.first_follow_up_from_day > s.first_follow_up_to_day {
            v.push("sla.first_follow_up_to_day", "must not be before first_follow_up_from_day");
        }
        if s.second_follow_up_from_day > s.second_follow_up_to_day {
            v.push("sla.second_follow_up_to_day", "must not be before second_follow_up_from_day");
        }
        s
    }
}

/// How a store's workshop deals with others (issue 14): the insurers it claims from, and the
/// 包修期 and 三包有效期 it gives.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct WorkshopSettings {
    /// Insurers an insurance claim may name.
    pub insurers: Vec<String>,
    /// The warranty and 三包 periods; the regulation's least by default.
    pub periods: crate::model::sanbao::Periods,
}

impl WorkshopSettings {
    /// Checks an insurer list: each name 1 to 100 characters, none twice, at most 100.
    pub fn check_insurers(v: &mut Validator, field: &str, names: &[String]) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if names.len() > 100 {
            v.push(field, "must list at most 100 insurers");
        }
        for (i, raw) in names.iter().enumerate() {
            let name = v.text(&format!("{field}[{i}]"), raw, crate::error::limits::NAME);
            if out.contains(&name) {
                v.push(format!("{field}[{i}]"), "is listed twice");
            }
            out.push(name);
        }
        out
    }
}

/// A store and its settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Store {
    /// The store's code, its identity.
    pub code: StoreCode,
    /// Display name.
    pub name: String,
    /// IANA time zone, parsed where it enters; every day count uses it.
    pub timezone: Tz,
    /// Windows in which customers may be called.
    pub call_hours: Vec<CallWindow>,
    /// Day limits.
    pub sla: SlaSettings,
    /// Insurers and 三包 periods (issue 14).
    #[serde(default)]
    pub workshop: WorkshopSettings,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Creates a store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateStore {
    /// Code, e.g. `SH001`.
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9_-]{1,15}$"))]
    pub code: String,
    /// Display name.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// IANA time zone, default Asia/Shanghai.
    pub timezone: Option<String>,
    /// Call windows, default 09:00–12:00 and 14:00–20:00.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub call_hours: Option<Vec<CallWindowInput>>,
    /// Day limits that differ from the defaults.
    pub sla: Option<SlaPatch>,
}

/// Changes a store's settings; absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateStore {
    /// New name.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: Option<String>,
    /// New time zone.
    pub timezone: Option<String>,
    /// New call windows (replace the old ones).
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub call_hours: Option<Vec<CallWindowInput>>,
    /// Changed day limits.
    pub sla: Option<SlaPatch>,
    /// The insurers an insurance claim may name (replace the old list).
    #[cfg_attr(feature = "openapi", schema(max_items = 100))]
    pub insurers: Option<Vec<String>>,
    /// The warranty (包修期) and 三包 periods the store gives, at least the regulation's.
    pub periods: Option<crate::model::sanbao::Periods>,
}

/// A person on a store's staff list; later work is assigned to these people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    /// The store.
    pub store: StoreCode,
    /// Staff id, the `sub` of their tokens.
    pub id: String,
    /// Name.
    pub name: String,
    /// Store roles.
    pub roles: Vec<Role>,
    /// Whether they currently work (inactive people get no new work).
    pub active: bool,
    /// Optimistic-concurrency version.
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

/// Adds a person to a store's staff list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateStaff {
    /// Staff id (the `sub` of their tokens).
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[^\s/]{1,64}$"))]
    pub id: String,
    /// Name.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: String,
    /// Store roles.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub roles: Vec<Role>,
    /// Default true.
    pub active: Option<bool>,
}

/// Changes a staff member; absent fields stay.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct UpdateStaff {
    /// New name.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 100))]
    pub name: Option<String>,
    /// New roles.
    #[cfg_attr(feature = "openapi", schema(min_items = 1))]
    pub roles: Option<Vec<Role>>,
    /// Active or not.
    pub active: Option<bool>,
}

/// Checks a staff member's roles: at least one, store roles only.
pub fn check_staff_roles(v: &mut Validator, roles: &[Role]) -> Vec<Role> {
    if roles.is_empty() {
        v.push("roles", "needs at least one role");
    }
    for (i, r) in roles.iter().enumerate() {
        if !r.is_store_role() {
            v.push(format!("roles[{i}]"), format!("'{r}' is not a store role"));
        }
    }
    let mut sorted = roles.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted
}

/// Checks a staff id: 1–64 visible ASCII characters but '/' and '%'.
pub fn check_staff_id(v: &mut Validator, id: &str) {
    if !is_staff_id(id) {
        v.push("id", "must be 1 to 64 visible ASCII characters without '/' or '%'");
    }
}

/// A staff id as a regex for the OpenAPI document: what [`is_staff_id`] accepts.
pub const STAFF_ID_PATTERN: &str = "^[!-$&-.0-~]{1,64}$";

/// Whether `id` can be a staff id (the `sub` of a token): 1–64 visible ASCII characters, no '/'
/// and no '%' (ids appear in paths, where '%' begins an escape a client may not make: a literal
/// "%1A" sent as is arrives as a control character).
pub fn is_staff_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic() && b != b'/' && b != b'%')
}

/// Checks a filter naming a staff member; empty means no filter.
pub fn check_staff_filter(v: &mut Validator, field: &str, value: Option<&str>) {
    if let Some(id) = value.filter(|id| !id.is_empty())
        && !is_staff_id(id)
    {
        v.push(field, "is not a staff id (1 to 64 visible ASCII characters without '/' or '%')");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(start: &str, end: &str) -> CallWindowInput {
        CallWindowInput { start: start.into(), end: end.into() }
    }

    // FU-5
    #[test]
    fn call_hours_must_be_ordered_and_disjoint() {
        let mut v = Validator::new();
        assert!(
            parse_call_hours(&mut v, "call_hours", &[window("09:00", "12:00"), window("11:00", "13:00")])
                .is_none()
        );
        let err = v.finish().unwrap_err();
        assert_eq!(err.field_errors()[0].field, "call_hours");

        let mut v = Validator::new();
        assert!(parse_call_hours(&mut v, "call_hours", &[window("9am", "12:00")]).is_none());
        assert_eq!(v.finish().unwrap_err().field_errors()[0].field, "call_hours[0].start");

        let mut v = Validator::new();
        let ok =
            parse_call_hours(&mut v, "call_hours", &[window("09:00", "12:00"), window("14:00", "20:00")]);
        assert_eq!(ok, Some(default_call_hours()));
    }

    // CF-2, FU-1, FU-2, FU-5, FU-6, FU-7: the defaults are the regulation's numbers.
    #[test]
    fn default_day_limits_are_the_regulations() {
        let s = SlaSettings::default();
        assert_eq!((s.file_open_days, s.first_follow_up_from_day, s.first_follow_up_to_day), (2, 3, 7));
        assert_eq!((s.second_follow_up_from_day, s.second_follow_up_to_day), (7, 14));
        assert_eq!((s.unreachable_after_days, s.complaint_escalation_days), (5, 2));
        assert_eq!((s.event_call_lead_days, s.event_letter_days), (14, 2));
    }

    #[test]
    fn a_patch_that_inverts_a_window_is_refused() {
        let mut v = Validator::new();
        SlaSettings::default()
            .patched(&SlaPatch { first_follow_up_from_day: Some(9), ..SlaPatch::default() }, &mut v);
        assert_eq!(v.finish().unwrap_err().field_errors()[0].field, "sla.first_follow_up_to_day");
    }

    #[test]
    fn staff_may_hold_store_roles_only() {
        let mut v = Validator::new();
        check_staff_roles(&mut v, &[Role::Advisor, Role::Admin]);
        assert_eq!(v.finish().unwrap_err().field_errors()[0].field, "roles[1]");
    }

    #[test]
    fn text_with_control_characters_is_refused_but_line_breaks_are_kept() {
        let mut v = Validator::new();
        v.optional_text("address", Some("上海市\n浦东新区"), crate::error::limits::LINE);
        assert!(v.finish().is_ok());
        let mut v = Validator::new();
        v.text("name", "张\u{0}伟", crate::error::limits::NAME);
        assert_eq!(v.finish().unwrap_err().field_errors()[0].field, "name");
        assert!(!is_staff_id("adv\u{0}1"));
        assert!(!is_staff_id("adv%1A"), "'%' begins an escape in a path");
    }

    #[test]
    fn time_zones_are_iana_names() {
        assert!(parse_timezone("Asia/Shanghai").is_ok());
        assert!(parse_timezone("Europe/Berlin").is_ok());
        assert!(parse_timezone("GMT+8x").is_err());
    }

    proptest::proptest! {
        // The document's staff-id pattern and the server's rule are one: every id the pattern
        // allows is accepted, none holds the '%' a path would decode.
        #[test]
        fn every_id_the_document_allows_is_a_staff_id(
            id in proptest::string::string_regex(STAFF_ID_PATTERN.trim_start_matches('^').trim_end_matches('$'))
                .expect("a regex")
        ) {
            proptest::prop_assert!(is_staff_id(&id), "{}", id);
            proptest::prop_assert!(!id.contains('%') && !id.contains('/'));
        }

        // An id with '/' or '%' anywhere is refused.
        #[test]
        fn an_id_with_a_slash_or_a_percent_is_refused(head in "[!-~]{0,30}", bad in "[/%]", tail in "[!-~]{0,30}") {
            let id = format!("{head}{bad}{tail}");
            proptest::prop_assert!(!is_staff_id(&id), "{}", id);
        }
    }
}

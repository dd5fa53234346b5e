//! A past line's 三包 columns (issue 15 with issue 14's tracker): the fault code the counts go
//! by and the line's 三包 tag, so that repairs a store made before it moved in count toward a
//! car's standing as the ones it makes after. Each value is read by its Chinese name or its wire
//! name, as the export writes it.

use super::{HistoryColumn, listed, wire};
use crate::model::sanbao::{EarlyFailure, System};
use crate::model::work_order::{LineSanbao, Replacement};

const SYSTEMS: [(System, &str); 10] = [
    (System::Engine, "发动机"),
    (System::Transmission, "变速器"),
    (System::PowerBattery, "动力蓄电池"),
    (System::DriveMotor, "驱动电机"),
    (System::Steering, "转向系统"),
    (System::Brakes, "制动系统"),
    (System::Suspension, "悬架系统"),
    (System::Drivetrain, "传动系统"),
    (System::EmissionControl, "污染控制装置"),
    (System::Body, "车身"),
];

const REPLACEMENTS: [(Replacement, &str); 2] =
    [(Replacement::Assembly, "总成"), (Replacement::MainPart, "主要零部件")];

const EARLY_FAILURES: [(EarlyFailure, &str); 5] = [
    (EarlyFailure::SteeringFailure, "转向系统失效"),
    (EarlyFailure::BrakeFailure, "制动系统失效"),
    (EarlyFailure::BodyCrack, "车身开裂"),
    (EarlyFailure::FuelLeak, "燃油泄漏"),
    (EarlyFailure::BatteryFire, "动力蓄电池起火"),
];

/// The value named `raw` in `table`, by its Chinese name or wire name.
fn named<T: serde::Serialize + Copy>(table: &[(T, &str)], raw: &str) -> Option<T> {
    table.iter().find(|(value, zh)| *zh == raw || wire(value).eq_ignore_ascii_case(raw)).map(|(v, _)| *v)
}

/// Reads 是/否 as people write it in a sheet.
fn yes_no(raw: &str) -> Option<bool> {
    match raw.to_ascii_lowercase().as_str() {
        "是" | "y" | "yes" | "true" | "1" => Some(true),
        "否" | "n" | "no" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// The line's 三包 tag from its columns, when it names a system; a tag's other columns without
/// the system are refused, as is any value not in its list.
pub(super) fn line_tag(
    text: &dyn Fn(HistoryColumn) -> Option<String>,
    bad: &mut dyn FnMut(HistoryColumn, &str, &str),
) -> Option<LineSanbao> {
    use HistoryColumn as H;
    let system = listed(
        text,
        bad,
        (H::SanbaoSystem, "sanbao_system", &format!("must be one of {}", names(&SYSTEMS))),
        |raw| named(&SYSTEMS, raw),
    );
    let serious_safety = listed(text, bad, (H::SeriousSafety, "yes_no", "must be 是 or 否"), yes_no);
    let replacement = listed(
        text,
        bad,
        (H::Replacement, "replacement", "must be 总成 (assembly) or 主要零部件 (main_part)"),
        |raw| named(&REPLACEMENTS, raw),
    );
    let early_failure = listed(
        text,
        bad,
        (H::EarlyFailure, "early_failure", &format!("must be one of {}", names(&EARLY_FAILURES))),
        |raw| named(&EARLY_FAILURES, raw),
    );
    let Some(system) = system else {
        let tagged =
            [H::SeriousSafety, H::Replacement, H::EarlyFailure].into_iter().any(|c| text(c).is_some());
        if tagged && text(H::SanbaoSystem).is_none() {
            bad(H::SanbaoSystem, "required", "the 三包 system is required when the line has a 三包 tag");
        }
        return None;
    };
    Some(LineSanbao { system, serious_safety: serious_safety.unwrap_or(false), replacement, early_failure })
}

/// The Chinese names of a table, for a message.
fn names<T>(table: &[(T, &str)]) -> String {
    table.iter().map(|(_, zh)| *zh).collect::<Vec<_>>().join(", ")
}

/// The line's 三包 tag as the sheet's columns write it: system, serious safety, replacement and
/// early failure, by their wire names (empty cells without a tag).
pub(crate) fn tag_cells(tag: Option<&LineSanbao>) -> [String; 4] {
    match tag {
        None => Default::default(),
        Some(t) => [
            wire(&t.system),
            if t.serious_safety { "true" } else { "false" }.to_string(),
            t.replacement.as_ref().map(wire).unwrap_or_default(),
            t.early_failure.as_ref().map(wire).unwrap_or_default(),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Issue 15: every system, replacement and early failure reads by its Chinese name and by the
    // wire name the export writes.
    #[test]
    fn each_value_reads_by_its_chinese_and_its_wire_name() {
        for (value, zh) in SYSTEMS {
            assert_eq!(named(&SYSTEMS, zh), Some(value));
            assert_eq!(named(&SYSTEMS, &wire(&value)), Some(value));
        }
        for (value, zh) in REPLACEMENTS {
            assert_eq!(named(&REPLACEMENTS, zh), Some(value));
            assert_eq!(named(&REPLACEMENTS, &wire(&value)), Some(value));
        }
        for (value, zh) in EARLY_FAILURES {
            assert_eq!(named(&EARLY_FAILURES, zh), Some(value));
            assert_eq!(named(&EARLY_FAILURES, &wire(&value)), Some(value));
        }
        assert_eq!(named(&SYSTEMS, "雨刮"), None);
        assert_eq!((yes_no("是"), yes_no("FALSE"), yes_no("也许")), (Some(true), Some(false), None));
    }
}

//! The 三包 tracker (issue 14, item 6): what 《家用汽车产品修理更换退货责任规定》 gives the owner
//! of a family car, counted from the car's repairs. The figures are those of the 2021 revision
//! (国家市场监督管理总局令第43号, in force from 2022-01-01), which changed the 2013 ones
//! (国家质检总局令第150号): more than 30 repair days (was 35) or more than 4 repairs of the same
//! problem (was 5) now give the right to a replacement or a refund, and the power battery and the
//! drive motor count beside the engine and the transmission. Pure rules: the store's repairs are
//! read elsewhere and handed in.

use std::collections::BTreeMap;

use chrono::{DateTime, Months, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// The periods a store gives; the regulation sets the least it may give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Periods {
    /// 包修期, years (at least 3).
    #[cfg_attr(feature = "openapi", schema(minimum = 3, maximum = 30))]
    pub warranty_years: u32,
    /// 包修期, km (at least 60,000).
    #[cfg_attr(feature = "openapi", schema(minimum = 60000, maximum = 2000000))]
    pub warranty_km: u32,
    /// 三包有效期, years (at least 2).
    #[cfg_attr(feature = "openapi", schema(minimum = 2, maximum = 30))]
    pub sanbao_years: u32,
    /// 三包有效期, km (at least 50,000).
    #[cfg_attr(feature = "openapi", schema(minimum = 50000, maximum = 2000000))]
    pub sanbao_km: u32,
}

impl Default for Periods {
    fn default() -> Self {
        Self { warranty_years: 3, warranty_km: 60_000, sanbao_years: 2, sanbao_km: 50_000 }
    }
}

impl Periods {
    /// Refuses periods shorter than the regulation's least, naming the field.
    pub fn check(&self) -> crate::Result<()> {
        let mut v = crate::error::Validator::new();
        self.check_into(&mut v, "");
        v.finish()
    }

    /// [`Self::check`], recording errors under `prefix` (e.g. `periods.`).
    pub fn check_into(&self, v: &mut crate::error::Validator, prefix: &str) {
        let least = Periods::default();
        for (field, given, min) in [
            ("warranty_years", self.warranty_years, least.warranty_years),
            ("warranty_km", self.warranty_km, least.warranty_km),
            ("sanbao_years", self.sanbao_years, least.sanbao_years),
            ("sanbao_km", self.sanbao_km, least.sanbao_km),
        ] {
            // The most a store may give, as the document says: 30 years or 2,000,000 km.
            let most = if field.ends_with("_km") { 2_000_000 } else { 30 };
            if given < min {
                v.push(format!("{prefix}{field}"), format!("must be at least {min}, the regulation's least"));
            } else if given > most {
                v.push(format!("{prefix}{field}"), format!("must be at most {most}"));
            }
        }
    }
}

/// The car's main systems the regulation names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum System {
    /// 发动机.
    Engine,
    /// 变速器.
    Transmission,
    /// 动力蓄电池.
    PowerBattery,
    /// 行驶驱动电机.
    DriveMotor,
    /// 转向系统.
    Steering,
    /// 制动系统.
    Brakes,
    /// 悬架系统.
    Suspension,
    /// 传动系统.
    Drivetrain,
    /// 污染控制装置.
    EmissionControl,
    /// 车身.
    Body,
}

impl System {
    /// Whether the system is replaced whole as an assembly (总成) in the regulation's counts.
    pub fn is_assembly(self) -> bool {
        matches!(self, Self::Engine | Self::Transmission | Self::PowerBattery | Self::DriveMotor)
    }
}

/// The failures that, early in the 三包 period, give a replacement or a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EarlyFailure {
    /// 转向系统失效.
    SteeringFailure,
    /// 制动系统失效.
    BrakeFailure,
    /// 车身开裂.
    BodyCrack,
    /// 燃油泄漏.
    FuelLeak,
    /// 动力蓄电池起火.
    BatteryFire,
}

/// One repair of the car for a quality problem, as the tracker counts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Repair {
    /// When the owner and the store agreed the repair (修理时间 starts here).
    pub agreed_at: DateTime<Utc>,
    /// When it was finished; still open when absent.
    pub finished_at: Option<DateTime<Utc>>,
    /// Odometer at intake.
    pub mileage_km: u32,
    /// The quality problem, by its fault code: repairs of one code are repairs of the same problem.
    pub fault: String,
    /// A serious safety fault (严重安全性能故障).
    pub serious_safety: bool,
    /// A system replaced whole.
    pub replaced_assembly: Option<System>,
    /// A main part replaced, with the system it belongs to and the part's kind.
    pub replaced_part: Option<(System, String)>,
    /// The system the repair was on, when it names one.
    pub system: Option<System>,
    /// An early failure, when it was one.
    pub early_failure: Option<EarlyFailure>,
}

/// Why the owner may choose a replacement car or a refund (第二十四条, and the early clauses).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Ground {
    /// Within 7 days, an engine, transmission, power battery or drive motor (or a main part of
    /// one) had to be replaced.
    MajorReplacementWithin7Days,
    /// Within 60 days or 3,000 km, one of the early failures.
    EarlyFailure {
        /// Which.
        failure: EarlyFailure,
    },
    /// 第二十四条（一）: a serious safety fault repaired twice and back, or a new one.
    SeriousSafetyAfterTwoRepairs,
    /// 第二十四条（二）: the assembly replaced twice and still failing.
    AssemblyReplacedTwice {
        /// Which system.
        system: System,
    },
    /// 第二十四条（三）: the same main part replaced twice and still failing.
    PartReplacedTwice {
        /// Its system.
        system: System,
        /// The part.
        part: String,
    },
    /// 第二十四条（四）: more than 30 repair days in all.
    RepairDaysOver30,
    /// 第二十四条（四）: more than 4 repairs of the same problem.
    SameProblemOver4Repairs {
        /// The problem's fault code.
        fault: String,
    },
}

/// What the owner may ask for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "right", rename_all = "snake_case")]
pub enum Right {
    /// A repair in the 包修期 took more than 5 days: a substitute car or a reasonable transport
    /// allowance (备用车或交通费用补偿).
    SubstituteCar {
        /// The repair's agreed time.
        repair_agreed_at: DateTime<Utc>,
        /// Its repair days.
        days: u32,
    },
    /// A replacement car or a refund, at the owner's choice.
    ReplaceOrRefund(Ground),
}

/// Where a car stands under 三包 on a day: its counts and the rights they give.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Standing {
    /// Inside the 包修期.
    pub in_warranty: bool,
    /// Inside the 三包有效期.
    pub in_sanbao: bool,
    /// Repair days counted in the 三包有效期.
    pub repair_days: u32,
    /// Repairs per problem in the 三包有效期.
    pub repairs_by_fault: BTreeMap<String, u32>,
    /// Repairs of serious safety faults in the 三包有效期.
    pub serious_safety_repairs: u32,
    /// Assemblies replaced, per system.
    pub assembly_replacements: BTreeMap<System, u32>,
    /// What the owner may ask for now.
    pub rights: Vec<Right>,
}

/// A repair's days: from agreement to completion (or `now`), each started 24 hours one day, at
/// least one (修理时间…一次修理占用时间不足24小时的，以1日计).
pub fn repair_days(repair: &Repair, now: DateTime<Utc>) -> u32 {
    let end = repair.finished_at.unwrap_or(now).max(repair.agreed_at);
    let minutes = (end - repair.agreed_at).num_minutes().max(0);
    u32::try_from((minutes + 24 * 60 - 1) / (24 * 60)).unwrap_or(u32::MAX).max(1)
}

/// Whether `day` and `km` are inside a period of `years` and `limit_km` from `start` (whichever
/// comes first ends it).
fn inside(start: NaiveDate, years: u32, limit_km: u32, day: NaiveDate, km: u32) -> bool {
    let end = start.checked_add_months(Months::new(years.saturating_mul(12))).unwrap_or(NaiveDate::MAX);
    day < end && km <= limit_km
}

/// The car's standing: `start` is the day its periods run from (the invoice date, 购车发票日期),
/// `repairs` its repairs for quality problems in any order, `today` and `km` where it stands now.
pub fn standing(
    start: NaiveDate,
    periods: Periods,
    repairs: &[Repair],
    today: NaiveDate,
    now: DateTime<Utc>,
    km: u32,
) -> Standing {
    let mut s = Standing {
        in_warranty: inside(start, periods.warranty_years, periods.warranty_km, today, km),
        in_sanbao: inside(start, periods.sanbao_years, periods.sanbao_km, today, km),
        ..Standing::default()
    };
    let mut ordered: Vec<&Repair> = repairs.iter().collect();
    ordered.sort_by_key(|r| r.agreed_at);
    let mut parts: BTreeMap<(System, String), u32> = BTreeMap::new();
    let mut grounds: Vec<Ground> = Vec::new();
    let mut add = |g: Ground| {
        if !grounds.contains(&g) {
            grounds.push(g);
        }
    };
    // Repairs agreed at one instant are one visit for several problems: its days count once.
    let mut visits = std::collections::BTreeSet::new();
    for r in &ordered {
        let day = r.agreed_at.date_naive();
        let in_warranty = inside(start, periods.warranty_years, periods.warranty_km, day, r.mileage_km);
        let new_visit = visits.insert(r.agreed_at);
        let days = if new_visit { repair_days(r, now) } else { 0 };
        if in_warranty && days > 5 {
            s.rights.push(Right::SubstituteCar { repair_agreed_at: r.agreed_at, days });
        }
        if !inside(start, periods.sanbao_years, periods.sanbao_km, day, r.mileage_km) {
            continue;
        }
        let since = (day - start).num_days();
        let major = r.replaced_assembly.is_some_and(System::is_assembly)
            || r.replaced_part.as_ref().is_some_and(|(system, _)| system.is_assembly());
        if (0..7).contains(&since) && major {
            add(Ground::MajorReplacementWithin7Days);
        }
        if let Some(failure) = r.early_failure
            && (0..60).contains(&since)
            && r.mileage_km <= 3_000
        {
            add(Ground::EarlyFailure { failure });
        }
        // A repair after two that did not hold: the third counts as "still failing".
        if r.serious_safety {
            if s.serious_safety_repairs >= 2 {
                add(Ground::SeriousSafetyAfterTwoRepairs);
            }
            s.serious_safety_repairs += 1;
        }
        if let Some(system) = r.system.or(r.replaced_assembly)
            && s.assembly_replacements.get(&system).copied().unwrap_or(0) >= 2
        {
            add(Ground::AssemblyReplacedTwice { system });
        }
        if let Some((system, part)) = &r.replaced_part
            && parts.get(&(*system, part.clone())).copied().unwrap_or(0) >= 2
        {
            add(Ground::PartReplacedTwice { system: *system, part: part.clone() });
        }
        if let Some(system) = r.replaced_assembly.filter(|s| s.is_assembly()) {
            *s.assembly_replacements.entry(system).or_default() += 1;
        }
        if let Some((system, part)) = &r.replaced_part {
            *parts.entry((*system, part.clone())).or_default() += 1;
        }
        s.repair_days += days;
        let same = s.repairs_by_fault.entry(r.fault.clone()).or_default();
        *same += 1;
        if *same > 4 {
            add(Ground::SameProblemOver4Repairs { fault: r.fault.clone() });
        }
        if s.repair_days > 30 {
            add(Ground::RepairDaysOver30);
        }
    }
    s.rights.extend(grounds.into_iter().map(Right::ReplaceOrRefund));
    s
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, hour, 0, 0).single().unwrap_or_default()
            + chrono::Duration::days(i64::from(day))
    }

    fn repair(day: u32, hours: i64, fault: &str) -> Repair {
        Repair {
            agreed_at: at(day, 1),
            finished_at: Some(at(day, 1) + chrono::Duration::hours(hours)),
            mileage_km: 10_000,
            fault: fault.into(),
            serious_safety: false,
            replaced_assembly: None,
            replaced_part: None,
            system: None,
            early_failure: None,
        }
    }

    fn start() -> NaiveDate {
        at(0, 0).date_naive()
    }

    fn grounds(s: &Standing) -> Vec<Ground> {
        s.rights
            .iter()
            .filter_map(|r| match r {
                Right::ReplaceOrRefund(g) => Some(g.clone()),
                Right::SubstituteCar { .. } => None,
            })
            .collect()
    }

    fn stand(repairs: &[Repair]) -> Standing {
        standing(start(), Periods::default(), repairs, at(300, 0).date_naive(), at(300, 0), 20_000)
    }

    // 修理时间: each started 24 hours is a day, at least one.
    #[test]
    fn a_repair_counts_each_started_day() {
        assert_eq!(repair_days(&repair(10, 2, "F1"), at(0, 0)), 1);
        assert_eq!(repair_days(&repair(10, 24, "F1"), at(0, 0)), 1);
        assert_eq!(repair_days(&repair(10, 25, "F1"), at(0, 0)), 2);
        let mut open = repair(10, 0, "F1");
        open.finished_at = None;
        assert_eq!(repair_days(&open, at(13, 1)), 3, "still open: counted to now");
    }

    // Over 5 days in the 包修期: a substitute car; 5 days exactly: none.
    #[test]
    fn a_repair_over_five_days_gives_a_substitute_car() {
        let s = stand(&[repair(100, 24 * 5, "F1"), repair(120, 24 * 5 + 1, "F2")]);
        assert_eq!(s.rights.len(), 1, "{:?}", s.rights);
        assert!(matches!(s.rights[0], Right::SubstituteCar { days: 6, .. }));
    }

    // 第二十四条（四）, 2021 figures: more than 4 repairs of one problem (a 5th), not 5 (2013).
    #[test]
    fn a_fifth_repair_of_the_same_problem_gives_a_replacement_or_refund() {
        let four: Vec<Repair> = (0..4).map(|i| repair(30 + i * 10, 2, "ENG-OIL-LEAK")).collect();
        assert!(grounds(&stand(&four)).is_empty());
        assert_eq!(stand(&four).repairs_by_fault["ENG-OIL-LEAK"], 4);
        let mut five = four.clone();
        five.push(repair(90, 2, "ENG-OIL-LEAK"));
        assert_eq!(
            grounds(&stand(&five)),
            vec![Ground::SameProblemOver4Repairs { fault: "ENG-OIL-LEAK".into() }]
        );
        let mixed: Vec<Repair> =
            (0..5).map(|i| repair(30 + i * 10, 2, if i == 4 { "OTHER" } else { "A" })).collect();
        assert!(grounds(&stand(&mixed)).is_empty(), "different problems count apart");
    }

    // 第二十四条（四）, 2021 figures: more than 30 repair days in all (was 35).
    #[test]
    fn more_than_thirty_repair_days_give_a_replacement_or_refund() {
        let thirty = [repair(30, 24 * 15, "A"), repair(80, 24 * 15, "B")];
        assert_eq!(stand(&thirty).repair_days, 30);
        assert!(grounds(&stand(&thirty)).is_empty());
        let over = [repair(30, 24 * 15, "A"), repair(80, 24 * 15 + 1, "B")];
        assert_eq!(grounds(&stand(&over)), vec![Ground::RepairDaysOver30]);
    }

    // 第二十四条（一）: a serious safety fault after two repairs of one.
    #[test]
    fn a_third_serious_safety_repair_gives_a_replacement_or_refund() {
        let safety = |day| Repair { serious_safety: true, ..repair(day, 2, "BRAKE-PEDAL") };
        assert!(grounds(&stand(&[safety(30), safety(40)])).is_empty());
        assert_eq!(
            grounds(&stand(&[safety(30), safety(40), safety(50)])),
            vec![Ground::SeriousSafetyAfterTwoRepairs]
        );
    }

    // 第二十四条（二）（三）: an assembly, or the same main part, replaced twice and failing again;
    // the power battery counts since 2021.
    #[test]
    fn a_third_failure_after_two_replacements_gives_a_replacement_or_refund() {
        let battery = |day| Repair {
            replaced_assembly: Some(System::PowerBattery),
            ..repair(day, 2, &format!("BAT-{day}"))
        };
        let again = Repair { system: Some(System::PowerBattery), ..repair(60, 2, "BAT-AGAIN") };
        assert!(grounds(&stand(&[battery(30), again.clone()])).is_empty());
        assert_eq!(
            grounds(&stand(&[battery(30), battery(40), again])),
            vec![Ground::AssemblyReplacedTwice { system: System::PowerBattery }]
        );
        let pump = |day| Repair {
            replaced_part: Some((System::Steering, "助力泵".into())),
            ..repair(day, 2, &format!("S-{day}"))
        };
        assert_eq!(
            grounds(&stand(&[pump(30), pump(40), pump(50)])),
            vec![Ground::PartReplacedTwice { system: System::Steering, part: "助力泵".into() }]
        );
    }

    // The early clauses: 7 days for a major replacement, 60 days or 3,000 km for the failures.
    #[test]
    fn early_failures_give_a_replacement_or_refund_inside_their_windows() {
        let engine = |day| Repair { replaced_assembly: Some(System::Engine), ..repair(day, 2, "ENG") };
        assert_eq!(grounds(&stand(&[engine(6)])), vec![Ground::MajorReplacementWithin7Days]);
        assert!(grounds(&stand(&[engine(7)])).is_empty());
        let fire = |day, km| Repair {
            early_failure: Some(EarlyFailure::BatteryFire),
            mileage_km: km,
            ..repair(day, 2, "FIRE")
        };
        assert_eq!(
            grounds(&stand(&[fire(59, 2_999)])),
            vec![Ground::EarlyFailure { failure: EarlyFailure::BatteryFire }]
        );
        assert!(grounds(&stand(&[fire(60, 100)])).is_empty());
        assert!(grounds(&stand(&[fire(10, 3_001)])).is_empty());
    }

    // Outside the 三包有效期 (2 years or 50,000 km) nothing counts toward a replacement; the
    // 包修期 (3 years or 60,000 km) still gives the substitute car; a store may give more, not less.
    #[test]
    fn the_periods_end_at_whichever_comes_first() {
        let late: Vec<Repair> =
            (0..5).map(|i| Repair { mileage_km: 50_001, ..repair(30 + i * 10, 2, "A") }).collect();
        assert!(grounds(&stand(&late)).is_empty());
        let s = standing(start(), Periods::default(), &[], at(900, 0).date_naive(), at(900, 0), 10_000);
        assert_eq!((s.in_warranty, s.in_sanbao), (true, false));
        let long = Repair { mileage_km: 55_000, ..repair(200, 24 * 6, "A") };
        assert_eq!(stand(&[long]).rights.len(), 1, "a substitute car in the 包修期");
        let short = Periods { sanbao_km: 40_000, ..Periods::default() };
        assert_eq!(short.check().unwrap_err().field_errors()[0].field, "sanbao_km");
        assert!(Periods { warranty_years: 4, ..Periods::default() }.check().is_ok());
    }

    // Two problems fixed in one visit: its days count once, each problem once.
    #[test]
    fn one_visit_for_two_problems_counts_its_days_once() {
        let mut both = vec![repair(10, 3 * 24, "A"), repair(10, 3 * 24, "B")];
        assert_eq!(stand(&both).repair_days, 3);
        assert_eq!(stand(&both).repairs_by_fault.values().copied().collect::<Vec<_>>(), vec![1, 1]);
        both[1] = repair(20, 3 * 24, "B");
        assert_eq!(stand(&both).repair_days, 6, "two visits count both");
    }
}

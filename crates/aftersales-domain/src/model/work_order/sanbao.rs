//! The 三包 tracker on the order (issue 14, item 6): what a line tells the counts, the repairs an
//! order makes, and the car's standing as the order and the advisor's list show it. The rules
//! and their figures are in [`crate::model::sanbao`].

use std::collections::BTreeMap;

use super::*;
use crate::model::sanbao::{EarlyFailure, Ground, Periods, Repair, Right, Standing, System, standing};

/// What a line replaces, as the regulation counts replacements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Replacement {
    /// The whole assembly (总成): an engine, a transmission, a power battery, a drive motor.
    Assembly,
    /// A main part (主要零部件) of the line's system.
    MainPart,
}

/// How a line bears on the 三包 counts: the system it is on, whether its fault is a serious
/// safety one (严重安全性能故障), and what it replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LineSanbao {
    /// The system.
    pub system: System,
    /// A serious safety fault.
    #[serde(default)]
    pub serious_safety: bool,
    /// What a part line replaces.
    pub replacement: Option<Replacement>,
    /// The early failure it repairs (steering or brakes failing, the body cracking, fuel
    /// leaking, the power battery catching fire), which inside 60 days or 3,000 km gives a
    /// replacement or a refund.
    #[serde(default)]
    pub early_failure: Option<EarlyFailure>,
}

/// What the owner may ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RightKind {
    /// A substitute car or a transport allowance (备用车或交通费用补偿).
    SubstituteCar,
    /// A replacement car or a refund, at the owner's choice (更换或退货).
    ReplaceOrRefund,
}

/// Why a replacement or refund is due: the clause of 《家用汽车产品修理更换退货责任规定》 (2021).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RightReason {
    /// An engine, transmission, power battery or drive motor replaced within 7 days.
    MajorReplacementWithin7Days,
    /// An early failure within 60 days or 3,000 km.
    EarlyFailure,
    /// A serious safety fault after two repairs.
    SeriousSafetyAfterTwoRepairs,
    /// An assembly replaced twice.
    AssemblyReplacedTwice,
    /// A main part replaced twice.
    PartReplacedTwice,
    /// More than 30 repair days.
    RepairDaysOver30,
    /// More than 4 repairs of one problem.
    SameProblemOver4Repairs,
}

/// A right the car's repairs give its owner now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SanbaoRight {
    /// What.
    pub right: RightKind,
    /// Why, for a replacement or refund.
    pub reason: Option<RightReason>,
    /// The problem's fault code, where the reason names one.
    pub fault: Option<String>,
    /// The system, where the reason names one.
    pub system: Option<System>,
    /// The part, where the reason names one.
    pub part: Option<String>,
    /// The repair days, for a substitute car.
    pub days: Option<u32>,
}

impl From<Right> for SanbaoRight {
    fn from(r: Right) -> Self {
        let none =
            |right, reason| SanbaoRight { right, reason, fault: None, system: None, part: None, days: None };
        let refund = |reason| none(RightKind::ReplaceOrRefund, Some(reason));
        match r {
            Right::SubstituteCar { days, .. } => {
                SanbaoRight { days: Some(days), ..none(RightKind::SubstituteCar, None) }
            }
            Right::ReplaceOrRefund(g) => match g {
                Ground::MajorReplacementWithin7Days => refund(RightReason::MajorReplacementWithin7Days),
                Ground::EarlyFailure { .. } => refund(RightReason::EarlyFailure),
                Ground::SeriousSafetyAfterTwoRepairs => refund(RightReason::SeriousSafetyAfterTwoRepairs),
                Ground::AssemblyReplacedTwice { system } => {
                    SanbaoRight { system: Some(system), ..refund(RightReason::AssemblyReplacedTwice) }
                }
                Ground::PartReplacedTwice { system, part } => SanbaoRight {
                    system: Some(system),
                    part: Some(part),
                    ..refund(RightReason::PartReplacedTwice)
                },
                Ground::RepairDaysOver30 => refund(RightReason::RepairDaysOver30),
                Ground::SameProblemOver4Repairs { fault } => {
                    SanbaoRight { fault: Some(fault), ..refund(RightReason::SameProblemOver4Repairs) }
                }
            },
        }
    }
}

/// Repairs of one problem in the 三包 period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FaultRepairs {
    /// The fault code.
    pub fault: String,
    /// Repairs so far, this one included.
    pub repairs: u32,
}

/// The car's 三包 standing as this order sees it: counts and the owner's rights.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SanbaoStanding {
    /// The purchase invoice's date the periods run from.
    pub purchase_date: NaiveDate,
    /// Inside the 包修期.
    pub in_warranty: bool,
    /// Inside the 三包有效期.
    pub in_sanbao: bool,
    /// Repair days counted in the 三包有效期.
    pub repair_days: u32,
    /// Repairs per problem in the 三包有效期.
    pub repairs_by_fault: Vec<FaultRepairs>,
    /// Repairs of serious safety faults in the 三包有效期.
    pub serious_safety_repairs: u32,
    /// What the owner may ask for now.
    pub rights: Vec<SanbaoRight>,
    /// When it was counted.
    pub as_of: DateTime<Utc>,
}

impl SanbaoStanding {
    /// Whether the owner has a right now.
    pub fn has_rights(&self) -> bool {
        !self.rights.is_empty()
    }
}

impl WorkOrderLine {
    /// Whether the line repairs a quality problem the 三包 counts: a fault code, not paid by an
    /// insurer (an accident is no quality problem), not declined.
    pub fn counts_for_sanbao(&self) -> bool {
        self.fault_code.is_some() && self.payer != Payer::Insurance && self.status != LineStatus::Declined
    }
}

impl WorkOrder {
    /// The repairs of quality problems this order makes, one per fault code: from the customer's
    /// agreement (修理时间 starts there; the opening before that) to the handover.
    pub fn sanbao_repairs(&self) -> Vec<Repair> {
        if self.status == WorkOrderStatus::Cancelled {
            return vec![];
        }
        let agreed_at = self.approvals.first().map_or(self.created_at, |a| a.recorded_at);
        let mut by_fault: BTreeMap<&str, Vec<&WorkOrderLine>> = BTreeMap::new();
        for l in self.lines.iter().filter(|l| l.counts_for_sanbao()) {
            by_fault.entry(l.fault_code.as_deref().unwrap_or_default()).or_default().push(l);
        }
        by_fault
            .into_iter()
            .map(|(fault, lines)| {
                let tags: Vec<(&WorkOrderLine, LineSanbao)> =
                    lines.iter().filter_map(|l| l.sanbao.map(|t| (*l, t))).collect();
                let replaced = |kind: Replacement| {
                    tags.iter().find(|(l, t)| l.kind == LineKind::Part && t.replacement == Some(kind))
                };
                Repair {
                    agreed_at,
                    finished_at: self.delivered_at,
                    mileage_km: self.intake_mileage_km,
                    fault: fault.to_string(),
                    serious_safety: tags.iter().any(|(_, t)| t.serious_safety),
                    replaced_assembly: replaced(Replacement::Assembly).map(|(_, t)| t.system),
                    replaced_part: replaced(Replacement::MainPart).map(|(l, t)| (t.system, l.code.clone())),
                    system: tags.first().map(|(_, t)| t.system),
                    early_failure: tags.iter().find_map(|(_, t)| t.early_failure),
                }
            })
            .collect()
    }
}

/// The car's standing from its orders (`orders` holds every order of the car, this one as it is
/// now), on `today` at `km`.
pub fn sanbao_standing(
    purchase_date: NaiveDate,
    periods: Periods,
    orders: &[WorkOrder],
    (today, now, km): (NaiveDate, DateTime<Utc>, u32),
) -> SanbaoStanding {
    let repairs: Vec<Repair> = orders.iter().flat_map(WorkOrder::sanbao_repairs).collect();
    let Standing {
        in_warranty,
        in_sanbao,
        repair_days,
        repairs_by_fault,
        serious_safety_repairs,
        rights,
        ..
    } = standing(purchase_date, periods, &repairs, today, now, km);
    SanbaoStanding {
        purchase_date,
        in_warranty,
        in_sanbao,
        repair_days,
        repairs_by_fault: repairs_by_fault
            .into_iter()
            .map(|(fault, repairs)| FaultRepairs { fault, repairs })
            .collect(),
        serious_safety_repairs,
        rights: rights.into_iter().map(Into::into).collect(),
        as_of: now,
    }
}

//! Claims, voided settlements, clock-on periods and the workshop's lists as protobuf messages
//! (issue 14).

use super::*;
use aftersales_domain::app::{ClaimKind, OpenClaim, QueueItem};
use aftersales_domain::model::sanbao::{EarlyFailure, System};
use aftersales_domain::model::work_order::{
    ClockPeriod, InsuranceClaim, InsuranceClaimStatus, Supplement, TechnicianHours, VoidedSettlement,
    WarrantyClaim, WarrantyClaimItem, WarrantyClaimStatus,
};
use aftersales_domain::model::work_order::{ComebackDecision, ComebackSuggestion, SuggestionStatus};
use aftersales_domain::model::work_order::{
    FaultRepairs, LineSanbao, Replacement, RightKind, RightReason, SanbaoRight, SanbaoStanding,
};

enum_map!(
    InsuranceClaimStatus,
    InsuranceClaimStatus,
    "status",
    [Reported, Assessed, Approved, Paid, Rejected]
);
enum_map!(WarrantyClaimStatus, WarrantyClaimStatus, "status", [Open, Submitted, Approved, Paid, Rejected]);
enum_map!(ClaimKind, ClaimKind, "kind", [Insurance, Warranty]);

fn hours(hundredths: u32) -> f64 {
    f64::from(hundredths) / 100.0
}

impl From<ClockPeriod> for pb::ClockPeriod {
    fn from(p: ClockPeriod) -> Self {
        let ClockPeriod { technician, on_at, off_at } = p;
        Self { technician, on_at: ts(on_at), off_at: off_at.and_then(ts) }
    }
}

impl From<TechnicianHours> for pb::TechnicianHours {
    fn from(h: TechnicianHours) -> Self {
        let TechnicianHours { technician, quoted_hours_hundredths, actual_hours_hundredths } = h;
        Self {
            technician,
            quoted_hours: hours(quoted_hours_hundredths),
            actual_hours: hours(actual_hours_hundredths),
        }
    }
}

impl From<InsuranceClaim> for pb::InsuranceClaim {
    fn from(c: InsuranceClaim) -> Self {
        let InsuranceClaim {
            insurer,
            policy_number,
            claim_number,
            status,
            assessed_fen,
            assessed_on,
            supplements,
            approved_fen,
            paid_fen,
            paid_on,
            rejection_reason,
            reported_at,
            updated_at,
        } = c;
        Self {
            insurer,
            policy_number,
            claim_number,
            status: pb::InsuranceClaimStatus::from(status).into(),
            assessed_fen,
            assessed_on: assessed_on.map(|d| d.to_string()),
            supplements: supplements
                .into_iter()
                .map(|s| {
                    let Supplement { amount_fen, reason, recorded_by, recorded_at } = s;
                    pb::Supplement { amount_fen, reason, recorded_by, recorded_at: ts(recorded_at) }
                })
                .collect(),
            approved_fen,
            paid_fen,
            paid_on: paid_on.map(|d| d.to_string()),
            rejection_reason,
            reported_at: ts(reported_at),
            updated_at: ts(updated_at),
        }
    }
}

impl From<WarrantyClaimItem> for pb::WarrantyClaimItem {
    fn from(i: WarrantyClaimItem) -> Self {
        let WarrantyClaimItem {
            line_id,
            kind,
            code,
            fault_code,
            hours_hundredths,
            quantity_milli,
            part_serial,
            amount_fen,
        } = i;
        Self {
            line_id: line_id.to_string(),
            kind: pb::LineKind::from(kind).into(),
            code,
            fault_code,
            hours: hours(hours_hundredths),
            quantity: f64::from(quantity_milli) / 1000.0,
            part_serial,
            amount_fen,
        }
    }
}

impl From<WarrantyClaim> for pb::WarrantyClaim {
    fn from(c: WarrantyClaim) -> Self {
        let WarrantyClaim {
            status,
            manufacturer_claim_number,
            mileage_km,
            items,
            total_fen,
            approved_fen,
            paid_fen,
            rejection_reason,
            created_at,
            updated_at,
        } = c;
        Self {
            status: pb::WarrantyClaimStatus::from(status).into(),
            manufacturer_claim_number,
            mileage_km,
            items: items.into_iter().map(Into::into).collect(),
            total_fen,
            approved_fen,
            paid_fen,
            rejection_reason,
            created_at: ts(created_at),
            updated_at: ts(updated_at),
        }
    }
}

impl From<VoidedSettlement> for pb::VoidedSettlement {
    fn from(v: VoidedSettlement) -> Self {
        let VoidedSettlement { settlement, reversal_number, reason, voided_by, voided_at, replaced_by } = v;
        Self {
            settlement: Some(settlement.into()),
            reversal_number,
            reason,
            voided_by,
            voided_at: ts(voided_at),
            replaced_by,
        }
    }
}

impl From<OpenClaim> for pb::OpenClaim {
    fn from(c: OpenClaim) -> Self {
        let OpenClaim {
            work_order_id,
            work_order_number,
            kind,
            status,
            insurer,
            claim_number,
            claimed_fen,
            opened_at,
            age_days,
        } = c;
        Self {
            work_order_id: work_order_id.to_string(),
            work_order_number,
            kind: pb::ClaimKind::from(kind).into(),
            status,
            insurer,
            claim_number,
            claimed_fen,
            opened_at: ts(opened_at),
            age_days,
        }
    }
}

impl From<QueueItem> for pb::QueueItem {
    fn from(q: QueueItem) -> Self {
        let QueueItem {
            work_order_id,
            work_order_number,
            status,
            plate,
            promised_at,
            line_id,
            code,
            description,
            bay,
            quoted_hours_hundredths,
            actual_hours_hundredths,
            clocked_on,
        } = q;
        Self {
            work_order_id: work_order_id.to_string(),
            work_order_number,
            status: pb::WorkOrderStatus::from(status).into(),
            plate,
            promised_at: ts(promised_at),
            line_id: line_id.to_string(),
            code,
            description,
            bay,
            quoted_hours: hours(quoted_hours_hundredths),
            actual_hours: hours(actual_hours_hundredths),
            clocked_on,
        }
    }
}

enum_map!(
    System,
    SanbaoSystem,
    "system",
    [
        Engine,
        Transmission,
        PowerBattery,
        DriveMotor,
        Steering,
        Brakes,
        Suspension,
        Drivetrain,
        EmissionControl,
        Body
    ]
);
enum_map!(Replacement, Replacement, "replacement", [Assembly, MainPart]);
enum_map!(
    EarlyFailure,
    EarlyFailure,
    "early_failure",
    [SteeringFailure, BrakeFailure, BodyCrack, FuelLeak, BatteryFire]
);
enum_map!(RightKind, RightKind, "right", [SubstituteCar, ReplaceOrRefund]);
enum_map!(
    RightReason,
    RightReason,
    "reason",
    [
        MajorReplacementWithin7Days,
        EarlyFailure,
        SeriousSafetyAfterTwoRepairs,
        AssemblyReplacedTwice,
        PartReplacedTwice,
        RepairDaysOver30,
        SameProblemOver4Repairs
    ]
);

/// Reads a line's 三包 tag, naming `field` in errors.
pub fn line_sanbao(field: &str, t: pb::LineSanbao) -> Result<LineSanbao, Status> {
    let pb::LineSanbao { system, serious_safety, replacement, early_failure } = t;
    let system =
        System::from_proto(system)?.ok_or_else(|| invalid(&format!("{field}.system"), "is required"))?;
    Ok(LineSanbao {
        system,
        serious_safety,
        replacement: Replacement::from_proto(replacement)?,
        early_failure: EarlyFailure::from_proto(early_failure)?,
    })
}

impl From<LineSanbao> for pb::LineSanbao {
    fn from(t: LineSanbao) -> Self {
        let LineSanbao { system, serious_safety, replacement, early_failure } = t;
        Self {
            system: pb::SanbaoSystem::from(system).into(),
            serious_safety,
            replacement: enum_num::<_, pb::Replacement>(replacement),
            early_failure: enum_num::<_, pb::EarlyFailure>(early_failure),
        }
    }
}

impl From<SanbaoStanding> for pb::SanbaoStanding {
    fn from(s: SanbaoStanding) -> Self {
        let SanbaoStanding {
            purchase_date,
            in_warranty,
            in_sanbao,
            repair_days,
            repairs_by_fault,
            serious_safety_repairs,
            rights,
            as_of,
        } = s;
        Self {
            purchase_date: purchase_date.to_string(),
            in_warranty,
            in_sanbao,
            repair_days,
            repairs_by_fault: repairs_by_fault
                .into_iter()
                .map(|FaultRepairs { fault, repairs }| pb::FaultRepairs { fault, repairs })
                .collect(),
            serious_safety_repairs,
            rights: rights
                .into_iter()
                .map(|r| {
                    let SanbaoRight { right, reason, fault, system, part, days } = r;
                    pb::SanbaoRight {
                        right: pb::RightKind::from(right).into(),
                        reason: enum_num::<_, pb::RightReason>(reason),
                        fault,
                        system: enum_num::<_, pb::SanbaoSystem>(system),
                        part,
                        days,
                    }
                })
                .collect(),
            as_of: ts(as_of),
        }
    }
}

enum_map!(SuggestionStatus, SuggestionStatus, "status", [Suggested, Confirmed, Dismissed]);
enum_map!(ComebackDecision, ComebackDecision, "decision", [Confirm, Dismiss]);

impl From<ComebackSuggestion> for pb::ComebackSuggestion {
    fn from(c: ComebackSuggestion) -> Self {
        let ComebackSuggestion {
            of,
            number,
            warranty_until_date,
            warranty_until_km,
            status,
            decided_by,
            decided_at,
            reason,
        } = c;
        Self {
            of: of.to_string(),
            number,
            warranty_until_date: warranty_until_date.to_string(),
            warranty_until_km,
            status: pb::SuggestionStatus::from(status).into(),
            decided_by,
            decided_at: decided_at.and_then(ts),
            reason,
        }
    }
}

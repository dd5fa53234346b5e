//! Follow-up figures: the store's monthly and annual summaries (FU-9) and headquarters'
//! aggregated, personal-data-free view (HQ-1).

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

pub use crate::model::figures::{FollowUpFigures, Period, complaint_figures};
use crate::model::follow_up::{Complaint, ContactRecord, FollowUpTask, Letter};
use crate::model::rollup::{contact_buckets, figures_from_counts, letter_buckets, task_buckets};
use crate::value::StoreCode;
use crate::{DomainError, Result};

/// Computes the figures from the period's raw records, through the same counters headquarters
/// reads (FU-9, HQ-2): one rule, whichever way the records are reached.
pub fn figures(
    tasks: &[FollowUpTask],
    complaints: &[Complaint],
    contacts: &[ContactRecord],
    letters: &[Letter],
    tz: Tz,
) -> FollowUpFigures {
    let buckets = tasks
        .iter()
        .flat_map(|t| task_buckets(t, tz))
        .chain(contacts.iter().flat_map(|c| contact_buckets(c, tz)))
        .chain(letters.iter().flat_map(|l| letter_buckets(l, tz)));
    let mut counts: Vec<(String, i64)> = Vec::new();
    for (_, metric) in buckets {
        match counts.iter_mut().find(|(m, _)| *m == metric) {
            Some((_, n)) => *n += 1,
            None => counts.push((metric, 1)),
        }
    }
    figures_from_counts(&counts, complaints)
}

/// A submitted summary: figures frozen with the supervisor's written report (FU-9).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Store.
    pub store: StoreCode,
    /// The month or year.
    pub period: String,
    /// The figures as they were at submission.
    pub figures: FollowUpFigures,
    /// The supervisor's written report.
    pub report: String,
    /// Who submitted it.
    pub submitted_by: String,
    /// When.
    pub submitted_at: DateTime<Utc>,
}

/// A period is summarised only once it is over, in the store's days.
pub fn check_period_over(period: Period, today: NaiveDate) -> Result<()> {
    let (_, end) = period.days();
    if today < end {
        return Err(DomainError::FailedPrecondition {
            code: "summary.period_not_over",
            message: format!("{period} is not over yet; its summary can be submitted from {end}"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_span_store_days() {
        assert_eq!(
            Period::parse("2026-11").unwrap().days(),
            ("2026-11-01".parse().unwrap(), "2026-12-01".parse().unwrap())
        );
        assert_eq!(Period::parse("2026-12").unwrap().days().1, "2027-01-01".parse::<NaiveDate>().unwrap());
        assert_eq!(Period::parse("2026").unwrap().days().1, "2027-01-01".parse::<NaiveDate>().unwrap());
        for bad in ["2026-13", "26-01", "2026-1", "x"] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
        let (from, _) = Period::parse("2026-11").unwrap().instants(chrono_tz::Asia::Shanghai);
        assert_eq!(from.to_rfc3339(), "2026-10-31T16:00:00+00:00");
    }
}

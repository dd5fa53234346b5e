//! Summaries (FU-9) and headquarters' follow-up figures (HQ-1).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Core;
use crate::auth::{Action, Principal};
use crate::model::figures::share;
use crate::model::follow_up::Complaint;
use crate::model::rollup::{figures_from_counts, work_order_counts};
use crate::model::store::Store;
use crate::model::summary::{FollowUpFigures, Period, Summary, check_period_over};
use crate::paging::all_pages;
use crate::ports::{ChangeSet, Op};
use crate::value::StoreCode;
use crate::{DomainError, Result};

/// Submits a period's summary with the supervisor's written report (FU-9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SubmitSummary {
    /// `YYYY-MM` (monthly 小结) or `YYYY` (annual 总结).
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[0-9]{4}(-[0-9]{2})?$"))]
    pub period: String,
    /// The supervisor's written report.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 20000))]
    pub report: String,
}

/// A period's figures: live until submitted, frozen after.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryView {
    /// The period.
    pub period: String,
    /// The figures (as submitted, once submitted).
    pub figures: FollowUpFigures,
    /// The archived summary, once submitted.
    pub submitted: Option<Summary>,
}

/// One store's figures for headquarters; codes and counts only, no personal data (HQ-1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoreFigures {
    /// Store code.
    pub store: String,
    /// The period.
    pub period: String,
    /// The FU-9 figures.
    pub figures: FollowUpFigures,
    /// First follow-ups done on time, share of those due (FU-1).
    pub first_follow_up_on_time_rate: Option<f64>,
    /// Second follow-ups done on time, share of those due (FU-2).
    pub second_follow_up_on_time_rate: Option<f64>,
    /// Campaign calls made in time, share of those due (FU-7).
    pub campaign_call_on_time_rate: Option<f64>,
    /// Campaign letters sent within their 2 days, share of those due (FU-7).
    pub campaign_letter_on_time_rate: Option<f64>,
    /// Complaints handled without escalation, share of those raised (FU-6).
    pub complaints_within_limit_rate: Option<f64>,
    /// Work orders received in the period.
    pub work_orders: u64,
    /// Of those, comebacks inside a warranty (WO-9).
    pub comebacks: u64,
    /// Comebacks, share of work orders.
    pub comeback_rate: Option<f64>,
    /// Appointments of the period, by visit day (AP-6).
    pub appointments: crate::model::figures::AppointmentFigures,
}

/// One store's counters and complaints of a period.
#[derive(Default)]
struct Gathered {
    counts: Vec<(String, i64)>,
    complaints: Vec<Complaint>,
}

impl Gathered {
    /// The store's figures and its (work orders, comebacks).
    fn assemble(&self) -> (FollowUpFigures, (u64, u64)) {
        (figures_from_counts(&self.counts, &self.complaints), work_order_counts(&self.counts))
    }
}

/// Use cases on summaries and headquarters figures.
#[derive(Clone)]
pub struct SummaryService {
    core: Arc<Core>,
}

impl SummaryService {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// Each store's counters (HQ-2) and complaints of the period, read for all of them at once.
    async fn gather(&self, stores: &[&Store], period: Period) -> Result<BTreeMap<StoreCode, Gathered>> {
        let mut out: BTreeMap<StoreCode, Gathered> =
            stores.iter().map(|s| (s.code.clone(), Gathered::default())).collect();
        let codes: Vec<StoreCode> = stores.iter().map(|s| s.code.clone()).collect();
        // Bounded IN lists keep the statement small whatever the number of stores.
        for chunk in codes.chunks(200) {
            for (store, metric, n) in self.core.repo.rollup_counts(chunk, period).await? {
                if let Some(g) = out.get_mut(&store) {
                    g.counts.push((metric, n));
                }
            }
        }
        let windows: Vec<_> = stores
            .iter()
            .map(|s| {
                let (from, to) = period.instants(s.timezone);
                (s.code.clone(), from, to)
            })
            .collect();
        for complaint in self.core.repo.complaints_opened_within(&windows).await? {
            if let Some(g) = out.get_mut(&complaint.store) {
                g.complaints.push(complaint);
            }
        }
        Ok(out)
    }

    async fn compute(&self, store: &Store, period: Period) -> Result<(FollowUpFigures, (u64, u64))> {
        let gathered = self.gather(&[store], period).await?;
        Ok(gathered.get(&store.code).map(Gathered::assemble).unwrap_or_default())
    }

    /// Returns a period's figures: computed now, or as archived once submitted (FU-9).
    pub async fn get(&self, who: &Principal, store: &StoreCode, period: &str) -> Result<SummaryView> {
        who.authorize(Action::SupervisorLists, store, "store")?;
        let period = Period::parse(period)?;
        let shop = self.core.store(who, store).await?;
        if let Some(submitted) = self.core.repo.get_summary(store, &period.to_string()).await? {
            return Ok(SummaryView {
                period: period.to_string(),
                figures: submitted.figures.clone(),
                submitted: Some(submitted),
            });
        }
        Ok(SummaryView {
            period: period.to_string(),
            figures: self.compute(&shop, period).await?.0,
            submitted: None,
        })
    }

    /// Archives a finished period's figures with the written report; it never changes after (FU-9).
    pub async fn submit(&self, who: &Principal, store: &StoreCode, cmd: SubmitSummary) -> Result<Summary> {
        who.authorize(Action::SupervisorLists, store, "store")?;
        let period = Period::parse(&cmd.period)?;
        let mut v = crate::error::Validator::new();
        let report = v.text("report", &cmd.report, crate::error::limits::REPORT);
        v.finish()?;
        let shop = self.core.store(who, store).await?;
        let now = self.core.now();
        check_period_over(period, now.with_timezone(&shop.timezone).date_naive())?;
        let summary = Summary {
            store: store.clone(),
            period: period.to_string(),
            figures: self.compute(&shop, period).await?.0,
            report,
            submitted_by: who.sub.clone(),
            submitted_at: now,
        };
        let audit = self.core.audit(who, store, "summary.submit", "summary", &summary.period, vec![]);
        match self.core.repo.apply(ChangeSet::of(Op::InsertSummary(Box::new(summary.clone())), audit)).await {
            Err(DomainError::AlreadyExists { .. }) => Err(DomainError::FailedPrecondition {
                code: "summary.archived",
                message: format!(
                    "the summary of {period} was already submitted and archived; it does not change"
                ),
            }),
            other => other.map(|_| summary),
        }
    }

    /// Returns the follow-up figures of every store the token reaches, or of `stores`, for a
    /// period: FU-9 figures, SLA compliance for FU-1, FU-2 and FU-6, comebacks (HQ-1). Codes and
    /// counts only: no personal data leaves a store.
    pub async fn headquarters(
        &self,
        who: &Principal,
        stores: Option<&[StoreCode]>,
        period: &str,
    ) -> Result<Vec<StoreFigures>> {
        who.authorize_role(Action::ReadAnalytics)?;
        let period = Period::parse(period)?;
        let mut chosen = Vec::new();
        match stores {
            Some(codes) => {
                for code in codes {
                    let found = if who.reaches(code) { self.core.repo.get_store(code).await? } else { None };
                    chosen.push(found.ok_or(DomainError::NotFound { resource: "store" })?);
                }
            }
            None => {
                let access = &who.stores;
                chosen =
                    all_pages(|page| async move { self.core.repo.list_stores(access, &page).await }).await?;
            }
        }
        let refs: Vec<&Store> = chosen.iter().collect();
        let gathered = self.gather(&refs, period).await?;
        let mut out = Vec::with_capacity(chosen.len());
        for store in &chosen {
            let (f, (orders, comebacks)) =
                gathered.get(&store.code).map(Gathered::assemble).unwrap_or_default();
            let appointments = gathered
                .get(&store.code)
                .map(|g| crate::model::rollup::appointment_figures(&g.counts))
                .unwrap_or_default();
            out.push(StoreFigures {
                store: store.code.to_string(),
                period: period.to_string(),
                first_follow_up_on_time_rate: share(f.first_follow_ups_on_time, f.first_follow_ups_due),
                second_follow_up_on_time_rate: share(f.second_follow_ups_on_time, f.second_follow_ups_due),
                campaign_call_on_time_rate: share(f.campaign_calls_on_time, f.campaign_calls_due),
                campaign_letter_on_time_rate: share(f.campaign_letters_on_time, f.campaign_letters_due),
                complaints_within_limit_rate: share(
                    f.complaints_opened - f.complaints_escalated,
                    f.complaints_opened,
                ),
                work_orders: orders,
                comebacks,
                comeback_rate: share(comebacks, orders),
                appointments,
                figures: f,
            });
        }
        Ok(out)
    }
}

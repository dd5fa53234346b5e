//! Response bodies of summaries and headquarters figures.

use aftersales_domain::app::{StoreFigures, SummaryView};
use aftersales_domain::model::summary::{FollowUpFigures, Summary};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

/// A submitted summary (FU-9).
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryDto {
    /// Store code.
    pub store: String,
    /// The month or year.
    pub period: String,
    /// Figures as submitted.
    pub figures: FollowUpFigures,
    /// The supervisor's written report.
    pub report: String,
    /// Who submitted it.
    pub submitted_by: String,
    /// When.
    pub submitted_at: DateTime<Utc>,
}

impl From<Summary> for SummaryDto {
    fn from(s: Summary) -> Self {
        let Summary { store, period, figures, report, submitted_by, submitted_at } = s;
        Self { store: store.to_string(), period, figures, report, submitted_by, submitted_at }
    }
}

/// A period's figures: live until submitted, frozen after (FU-9).
#[derive(Debug, Serialize, ToSchema)]
pub struct SummaryViewDto {
    /// The period.
    pub period: String,
    /// The figures.
    pub figures: FollowUpFigures,
    /// The archived summary, once submitted.
    pub submitted: Option<SummaryDto>,
}

impl From<SummaryView> for SummaryViewDto {
    fn from(v: SummaryView) -> Self {
        let SummaryView { period, figures, submitted } = v;
        Self { period, figures, submitted: submitted.map(Into::into) }
    }
}

/// One store's follow-up figures for headquarters; no personal data (HQ-1).
#[derive(Debug, Serialize, ToSchema)]
pub struct StoreFiguresDto {
    /// Store code.
    pub store: String,
    /// The period.
    pub period: String,
    /// FU-9 figures.
    pub figures: FollowUpFigures,
    /// FU-1 on-time share.
    pub first_follow_up_on_time_rate: Option<f64>,
    /// FU-2 on-time share.
    pub second_follow_up_on_time_rate: Option<f64>,
    /// Campaign calls made in time, share of those due (FU-7).
    pub campaign_call_on_time_rate: Option<f64>,
    /// Campaign letters sent within their 2 days, share of those due (FU-7).
    pub campaign_letter_on_time_rate: Option<f64>,
    /// FU-6: complaints handled without escalation, share.
    pub complaints_within_limit_rate: Option<f64>,
    /// Work orders received.
    pub work_orders: u64,
    /// Comebacks (WO-9).
    pub comebacks: u64,
    /// Comeback share.
    pub comeback_rate: Option<f64>,
    /// Appointments by visit day (AP-6).
    pub appointments: aftersales_domain::model::figures::AppointmentFigures,
}

impl From<StoreFigures> for StoreFiguresDto {
    fn from(f: StoreFigures) -> Self {
        let StoreFigures {
            store,
            period,
            figures,
            first_follow_up_on_time_rate,
            second_follow_up_on_time_rate,
            campaign_call_on_time_rate,
            campaign_letter_on_time_rate,
            complaints_within_limit_rate,
            work_orders,
            comebacks,
            comeback_rate,
            appointments,
        } = f;
        Self {
            store,
            period,
            figures,
            first_follow_up_on_time_rate,
            second_follow_up_on_time_rate,
            campaign_call_on_time_rate,
            campaign_letter_on_time_rate,
            complaints_within_limit_rate,
            work_orders,
            comebacks,
            comeback_rate,
            appointments,
        }
    }
}

/// Headquarters' figures, one entry per store.
#[derive(Debug, Serialize, ToSchema)]
pub struct FollowUpAnalytics {
    /// The stores.
    pub stores: Vec<StoreFiguresDto>,
}

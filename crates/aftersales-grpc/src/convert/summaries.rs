//! Follow-up figures, summaries and headquarters figures as protobuf messages.

use super::*;

impl From<FollowUpFigures> for pb::FollowUpFigures {
    fn from(f: FollowUpFigures) -> Self {
        let FollowUpFigures {
            tasks_due,
            done_on_time,
            done_late,
            unreachable,
            still_open,
            first_follow_ups_due,
            first_follow_ups_on_time,
            second_follow_ups_due,
            second_follow_ups_on_time,
            complaints_opened,
            complaints_resolved,
            complaints_escalated,
            complaint_notice_breaches,
            median_hours_to_resolution,
            satisfaction_answers,
            satisfaction_mean,
            satisfaction_distribution,
            letters,
            campaign_calls_due,
            campaign_calls_on_time,
            campaign_letters_due,
            campaign_letters_on_time,
            messages,
        } = f;
        Self {
            tasks_due,
            done_on_time,
            done_late,
            unreachable,
            still_open,
            first_follow_ups_due,
            first_follow_ups_on_time,
            second_follow_ups_due,
            second_follow_ups_on_time,
            complaints_opened,
            complaints_resolved,
            complaints_escalated,
            complaint_notice_breaches,
            median_hours_to_resolution,
            satisfaction_answers,
            satisfaction_mean,
            satisfaction_distribution: satisfaction_distribution.to_vec(),
            letters,
            campaign_calls_due,
            campaign_calls_on_time,
            campaign_letters_due,
            campaign_letters_on_time,
            messages: Some(messages.into()),
        }
    }
}

impl From<aftersales_domain::model::figures::PurposeMessages> for pb::PurposeMessages {
    fn from(p: aftersales_domain::model::figures::PurposeMessages) -> Self {
        let aftersales_domain::model::figures::PurposeMessages {
            queued,
            sent,
            delivered,
            failed,
            suppressed,
        } = p;
        Self { queued, sent, delivered, failed, suppressed }
    }
}

impl From<aftersales_domain::model::figures::MessageFigures> for pb::MessageFigures {
    fn from(m: aftersales_domain::model::figures::MessageFigures) -> Self {
        let aftersales_domain::model::figures::MessageFigures { service, marketing } = m;
        Self { service: Some(service.into()), marketing: Some(marketing.into()) }
    }
}

impl From<Summary> for pb::Summary {
    fn from(s: Summary) -> Self {
        let Summary { store, period, figures, report, submitted_by, submitted_at } = s;
        Self {
            store: store.to_string(),
            period,
            figures: Some(figures.into()),
            report,
            submitted_by,
            submitted_at: ts(submitted_at),
        }
    }
}

impl From<SummaryView> for pb::SummaryView {
    fn from(v: SummaryView) -> Self {
        let SummaryView { period, figures, submitted } = v;
        Self { period, figures: Some(figures.into()), submitted: submitted.map(Into::into) }
    }
}

impl From<StoreFigures> for pb::StoreFigures {
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
            figures: Some(figures.into()),
            first_follow_up_on_time_rate,
            second_follow_up_on_time_rate,
            campaign_call_on_time_rate,
            campaign_letter_on_time_rate,
            complaints_within_limit_rate,
            work_orders,
            comebacks,
            comeback_rate,
            appointments: Some(appointments.into()),
        }
    }
}

impl From<aftersales_domain::model::figures::AppointmentFigures> for pb::AppointmentFigures {
    fn from(f: aftersales_domain::model::figures::AppointmentFigures) -> Self {
        let aftersales_domain::model::figures::AppointmentFigures {
            booked,
            kept,
            cancelled,
            no_show,
            no_show_rate,
            average_lead_hours,
            work_orders_from_booking,
            booking_share_of_work_orders,
        } = f;
        Self {
            booked,
            kept,
            cancelled,
            no_show,
            no_show_rate,
            average_lead_hours,
            work_orders_from_booking,
            booking_share_of_work_orders,
        }
    }
}

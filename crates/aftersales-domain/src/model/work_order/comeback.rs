//! Comebacks found, not only typed (issue 14, item 7): opening an order for a car whose earlier
//! order is still under warranty (WO-9) suggests the link; the advisor confirms or dismisses it,
//! and a dismissal is kept with its reason.

use super::*;

/// Where a suggested comeback link stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SuggestionStatus {
    /// Waiting for the advisor.
    Suggested,
    /// The advisor linked the orders: this one is a comeback.
    Confirmed,
    /// The advisor found the car back for something else.
    Dismissed,
}

/// An earlier order of the same car whose warranty covers this intake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComebackSuggestion {
    /// The earlier order.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub of: WorkOrderId,
    /// Its number.
    pub number: String,
    /// Its warranty's last day (WO-9).
    pub warranty_until_date: NaiveDate,
    /// Its warranty's last odometer reading.
    pub warranty_until_km: u32,
    /// Where the suggestion stands.
    pub status: SuggestionStatus,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When.
    pub decided_at: Option<DateTime<Utc>>,
    /// Why it was dismissed.
    pub reason: Option<String>,
}

/// The advisor's answer to a suggested comeback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ComebackDecision {
    /// Link the orders.
    Confirm,
    /// Not a comeback.
    Dismiss,
}

/// Confirms or dismisses the suggested comeback link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DecideComeback {
    /// Confirm or dismiss.
    pub decision: ComebackDecision,
    /// Why, required to dismiss.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 500))]
    pub reason: Option<String>,
}

impl WorkOrder {
    /// Suggests the latest delivered order of the same car whose warranty covers this intake on
    /// `day`; nothing when the advisor already named one.
    pub fn suggest_comeback(&mut self, earlier: &[WorkOrder], day: NaiveDate) {
        if self.comeback_of.is_some() {
            return;
        }
        let covering = earlier
            .iter()
            .filter(|o| {
                o.id != self.id && o.accepts_comeback(self.vehicle_id, day, self.intake_mileage_km).is_ok()
            })
            .max_by_key(|o| o.delivered_at);
        self.comeback_suggestion = covering.and_then(|o| {
            let w = o.warranty?;
            Some(ComebackSuggestion {
                of: o.id,
                number: o.number.clone(),
                warranty_until_date: w.until_date,
                warranty_until_km: w.until_km,
                status: SuggestionStatus::Suggested,
                decided_by: None,
                decided_at: None,
                reason: None,
            })
        });
    }

    /// Confirms the suggested link (the order becomes a comeback, WO-9) or dismisses it with a
    /// reason; either before the car is handed back.
    pub fn decide_comeback(&mut self, cmd: &DecideComeback, actor: &str, at: DateTime<Utc>) -> Result<()> {
        let mut v = Validator::new();
        let reason = crate::value::non_empty(cmd.reason.clone());
        match (cmd.decision, &reason) {
            (ComebackDecision::Dismiss, None) => {
                v.push("reason", "a dismissal says why the car is not a comeback")
            }
            (_, Some(r)) => {
                v.text("reason", r, crate::error::limits::LINE);
            }
            (ComebackDecision::Confirm, None) => {}
        }
        v.finish()?;
        if matches!(self.status, WorkOrderStatus::Delivered | WorkOrderStatus::Cancelled) {
            return Err(refuse("decide the comeback of", self.status, "it is closed"));
        }
        let suggestion =
            self.comeback_suggestion.as_mut().filter(|s| s.status == SuggestionStatus::Suggested);
        let Some(suggestion) = suggestion else {
            return Err(DomainError::FailedPrecondition {
                code: "work_order.no_comeback_suggested",
                message: "no comeback link waits for a decision on this order".into(),
            });
        };
        let (status, action) = match cmd.decision {
            ComebackDecision::Confirm => (SuggestionStatus::Confirmed, "comeback_confirmed"),
            ComebackDecision::Dismiss => (SuggestionStatus::Dismissed, "comeback_dismissed"),
        };
        suggestion.status = status;
        suggestion.decided_by = Some(actor.to_string());
        suggestion.decided_at = Some(at);
        suggestion.reason = reason.clone();
        if status == SuggestionStatus::Confirmed {
            self.comeback_of = Some(suggestion.of);
        }
        let now = self.status;
        self.record(action, now, actor, at, reason);
        Ok(())
    }
}

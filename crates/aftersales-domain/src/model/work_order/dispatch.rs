//! Dispatch and labour time (派工, issue 14): lines given to technicians and bays, clock-on
//! periods, and actual against quoted hours.

use super::*;

/// A technician's time on a line, from clock-on to clock-off (open while still on it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClockPeriod {
    /// The technician (staff id).
    pub technician: String,
    /// Clocked on.
    pub on_at: DateTime<Utc>,
    /// Clocked off; absent while on the line.
    pub off_at: Option<DateTime<Utc>>,
}

impl ClockPeriod {
    /// Whole minutes on the line; an open period counts nothing until it is closed.
    pub fn minutes(&self) -> i64 {
        self.off_at.map_or(0, |off| (off - self.on_at).num_minutes().max(0))
    }
}

/// Gives a line to a technician, and a bay (派工).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct DispatchLine {
    /// The line.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub line_id: LineId,
    /// The technician (staff id).
    #[cfg_attr(feature = "openapi", schema(pattern = r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"))]
    pub technician: String,
    /// The bay, e.g. `B3`.
    #[cfg_attr(feature = "openapi", schema(min_length = 1, max_length = 32))]
    pub bay: Option<String>,
}

/// Clocks the calling technician on or off a line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClockLine {
    /// The line.
    #[cfg_attr(feature = "openapi", schema(value_type = uuid::Uuid))]
    pub line_id: LineId,
}

/// One technician's hours on an order: quoted (lines dispatched to them) and clocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TechnicianHours {
    /// The technician.
    pub technician: String,
    /// Hours quoted on the labour lines dispatched to them, in hundredths.
    pub quoted_hours_hundredths: u32,
    /// Hours clocked on any line, in hundredths (closed periods).
    pub actual_hours_hundredths: u32,
}

/// Converts minutes to hours in hundredths, rounded half away from zero.
pub fn hundredths_of_minutes(minutes: i64) -> u32 {
    u32::try_from(div_round(i128::from(minutes) * 100, 60)).unwrap_or(u32::MAX)
}

impl WorkOrderLine {
    /// Hours clocked on the line by everyone, in hundredths (closed periods).
    pub fn actual_hours_hundredths(&self) -> u32 {
        hundredths_of_minutes(self.clock.iter().map(ClockPeriod::minutes).sum())
    }

    /// Who is clocked on now.
    pub fn clocked_on(&self) -> impl Iterator<Item = &str> {
        self.clock.iter().filter(|p| p.off_at.is_none()).map(|p| p.technician.as_str())
    }

    fn clock_off_all(&mut self, at: DateTime<Utc>) {
        for p in self.clock.iter_mut().filter(|p| p.off_at.is_none()) {
            p.off_at = Some(at.max(p.on_at));
        }
    }
}

/// Each technician's quoted and clocked hours on `lines`, by staff id.
pub fn hours_by_technician(lines: &[WorkOrderLine]) -> Vec<TechnicianHours> {
    let mut by: std::collections::BTreeMap<&str, (u32, i64)> = std::collections::BTreeMap::new();
    for l in lines.iter().filter(|l| l.status != LineStatus::Declined) {
        if let (Some(t), LineKind::Labour) = (&l.technician, l.kind) {
            by.entry(t).or_default().0 += l.hours_hundredths;
        }
        for p in &l.clock {
            by.entry(&p.technician).or_default().1 += p.minutes();
        }
    }
    by.into_iter()
        .map(|(t, (quoted, minutes))| TechnicianHours {
            technician: t.to_string(),
            quoted_hours_hundredths: quoted,
            actual_hours_hundredths: hundredths_of_minutes(minutes),
        })
        .collect()
}

impl WorkOrder {
    /// Gives a line to a technician and a bay, before or during work (派工).
    pub fn dispatch(&mut self, cmd: &DispatchLine, actor: &str, at: DateTime<Utc>) -> Result<()> {
        let mut v = Validator::new();
        crate::model::store::check_staff_id(&mut v, &cmd.technician);
        let bay = crate::value::non_empty(cmd.bay.clone());
        if bay.as_ref().is_some_and(|b| b.chars().count() > 32 || crate::value::has_control_chars(b)) {
            v.push("bay", "must be 1 to 32 characters");
        }
        v.finish()?;
        self.require(
            "dispatch",
            &[
                WorkOrderStatus::Open,
                WorkOrderStatus::AwaitingApproval,
                WorkOrderStatus::Approved,
                WorkOrderStatus::InProgress,
            ],
            "work is over",
        )?;
        let line = self.line_mut(cmd.line_id, "line_id")?;
        if matches!(line.status, LineStatus::Declined | LineStatus::Done) {
            return Err(DomainError::FailedPrecondition {
                code: "work_order.line_not_open",
                message: format!(
                    "line {} is declined or done; only work still to do is dispatched",
                    cmd.line_id
                ),
            });
        }
        line.technician = Some(cmd.technician.clone());
        line.bay = bay;
        let status = self.status;
        let note = format!("{} -> {}", cmd.line_id, cmd.technician);
        self.record("dispatch", status, actor, at, Some(note));
        Ok(())
    }

    /// Clocks `technician` on an approved line of an order in the workshop; several may be on
    /// one line, each once at a time.
    pub fn clock_on(&mut self, line: LineId, technician: &str, at: DateTime<Utc>) -> Result<()> {
        self.require("clock-on", &[WorkOrderStatus::InProgress], "time is clocked only in the workshop")?;
        let target = self.line_mut(line, "line_id")?;
        if target.status != LineStatus::Approved {
            return Err(DomainError::FailedPrecondition {
                code: "work_order.line_not_approved",
                message: format!("line {line} is not approved work still to do; nobody clocks on it"),
            });
        }
        if target.clocked_on().any(|t| t == technician) {
            return Err(DomainError::FailedPrecondition {
                code: "work_order.already_clocked_on",
                message: format!("{technician} is already clocked on line {line}"),
            });
        }
        target.clock.push(ClockPeriod { technician: technician.to_string(), on_at: at, off_at: None });
        let status = self.status;
        self.record("clock_on", status, technician, at, Some(line.to_string()));
        Ok(())
    }

    /// Clocks `technician` off a line (a pause or the end of their part of it).
    pub fn clock_off(&mut self, line: LineId, technician: &str, at: DateTime<Utc>) -> Result<()> {
        let target = self.line_mut(line, "line_id")?;
        let open = target.clock.iter_mut().find(|p| p.off_at.is_none() && p.technician == technician);
        let Some(open) = open else {
            return Err(DomainError::FailedPrecondition {
                code: "work_order.not_clocked_on",
                message: format!("{technician} is not clocked on line {line}"),
            });
        };
        open.off_at = Some(at.max(open.on_at));
        let status = self.status;
        self.record("clock_off", status, technician, at, Some(line.to_string()));
        Ok(())
    }

    /// Closes every open clock-on period of a line that is done.
    pub(super) fn clock_off_line(&mut self, line: LineId, at: DateTime<Utc>) {
        if let Some(l) = self.lines.iter_mut().find(|l| l.id == line) {
            l.clock_off_all(at);
        }
    }
}

//! Conversions of capacity and appointments (AP-1..AP-5).

use std::collections::BTreeMap;

use aftersales_domain::app::{NewCustomerInput, VisitorInput};
use aftersales_domain::model::appointment::{
    Appointment, BayKind, Capacity, Change, Hours, NewCustomer, ServiceType, Visitor,
};
use aftersales_domain::value::{Etag, VehicleId};
use chrono::NaiveTime;
use tonic::Status;

use super::{EnumField, customer_id, ts};
use crate::pb;
use crate::status::{invalid, to_status};

impl From<Capacity> for pb::Capacity {
    fn from(c: Capacity) -> Self {
        let Capacity {
            week,
            closed_dates,
            bays,
            advisors,
            services,
            granularity_minutes,
            lead_minutes,
            window_days,
            hold_minutes,
            cutoff_minutes,
            grace_minutes,
        } = c;
        let hhmm = |t: NaiveTime| t.format("%H:%M").to_string();
        Self {
            week: week
                .iter()
                .map(|day| match day {
                    Some(Hours { open, close }) => {
                        pb::DayHours { open: true, open_time: hhmm(*open), close_time: hhmm(*close) }
                    }
                    None => pb::DayHours::default(),
                })
                .collect(),
            closed_dates: closed_dates.iter().map(ToString::to_string).collect(),
            bays: bays
                .into_iter()
                .map(|(kind, count)| pb::BayCount { kind: pb::BayKind::from(kind).into(), count })
                .collect(),
            advisors,
            services: services
                .into_iter()
                .map(|ServiceType { code, name, minutes, bay }| pb::ServiceType {
                    code,
                    name,
                    minutes,
                    bay: pb::BayKind::from(bay).into(),
                })
                .collect(),
            granularity_minutes,
            lead_minutes,
            window_days,
            hold_minutes,
            cutoff_minutes,
            grace_minutes,
        }
    }
}

/// Parses a capacity message; each bad field is named.
pub fn capacity(c: pb::Capacity) -> Result<Capacity, Status> {
    let pb::Capacity {
        week,
        closed_dates,
        bays,
        advisors,
        services,
        granularity_minutes,
        lead_minutes,
        window_days,
        hold_minutes,
        cutoff_minutes,
        grace_minutes,
    } = c;
    if week.len() != 7 {
        return Err(invalid("capacity.week", "must have seven days, Monday first"));
    }
    let time = |field: String, raw: &str| {
        NaiveTime::parse_from_str(raw, "%H:%M").map_err(|_| invalid(&field, "must be a time as HH:MM"))
    };
    let mut days = [None; 7];
    for (i, day) in week.iter().enumerate() {
        if day.open {
            let open = time(format!("capacity.week[{i}].open_time"), &day.open_time)?;
            let close = time(format!("capacity.week[{i}].close_time"), &day.close_time)?;
            days[i] = Some(Hours { open, close });
        }
    }
    let listed: Vec<chrono::NaiveDate> = closed_dates
        .iter()
        .enumerate()
        .map(|(i, d)| {
            d.parse().map_err(|_| invalid(&format!("capacity.closed_dates[{i}]"), "must be YYYY-MM-DD"))
        })
        .collect::<Result<_, _>>()?;
    let closed = aftersales_domain::model::appointment::closed_date_set(&listed)
        .ok_or_else(|| invalid("closed_dates", aftersales_domain::model::appointment::CLOSED_DATE_TWICE))?;
    let mut counts = BTreeMap::new();
    for (i, b) in bays.iter().enumerate() {
        let kind = BayKind::from_proto(b.kind)?
            .ok_or_else(|| invalid(&format!("capacity.bays[{i}].kind"), "is required"))?;
        counts.insert(kind, b.count);
    }
    let services = services
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let pb::ServiceType { code, name, minutes, bay } = s;
            let bay = BayKind::from_proto(bay)?
                .ok_or_else(|| invalid(&format!("capacity.services[{i}].bay"), "is required"))?;
            Ok(ServiceType { code, name, minutes, bay })
        })
        .collect::<Result<_, Status>>()?;
    Ok(Capacity {
        week: days,
        closed_dates: closed,
        bays: counts,
        advisors,
        services,
        granularity_minutes,
        lead_minutes,
        window_days,
        hold_minutes,
        cutoff_minutes,
        grace_minutes,
    })
}

/// Parses a visitor message as the booking steps take it.
pub fn visitor(v: pb::Visitor) -> Result<VisitorInput, Status> {
    let pb::Visitor { customer_id: customer, new_customer, vehicle_id, plate, vin, fault_description } = v;
    Ok(VisitorInput {
        customer_id: customer.as_deref().map(|c| customer_id("visitor.customer_id", c)).transpose()?,
        new_customer: new_customer.map(|pb::NewCustomer { name, phone }| NewCustomerInput { name, phone }),
        vehicle_id: vehicle_id
            .as_deref()
            .map(|id| VehicleId::parse("visitor.vehicle_id", id))
            .transpose()
            .map_err(to_status)?,
        plate,
        vin,
        fault_description,
    })
}

impl From<Visitor> for pb::Visitor {
    fn from(v: Visitor) -> Self {
        let Visitor { customer_id, new_customer, vehicle_id, plate, vin, fault_description } = v;
        Self {
            customer_id: customer_id.map(|c| c.to_string()),
            new_customer: new_customer.map(|NewCustomer { name, phone }| pb::NewCustomer {
                name,
                phone: phone.as_str().to_string(),
            }),
            vehicle_id: vehicle_id.map(|id| id.to_string()),
            plate: plate.map(|p| p.to_string()),
            vin: vin.map(|v| v.to_string()),
            fault_description,
        }
    }
}

impl From<Appointment> for pb::Appointment {
    fn from(a: Appointment) -> Self {
        let end = a.end();
        let Appointment {
            id,
            status,
            start,
            bay,
            minutes,
            services,
            channel,
            hold_expires_at,
            cancelled_by,
            history,
            version,
            reminded_at,
            visitor,
            advisor,
            work_order_id,
        } = a;
        Self {
            id: id.to_string(),
            status: pb::AppointmentStatus::from(status).into(),
            start: ts(start),
            end: ts(end),
            bay: pb::BayKind::from(bay).into(),
            minutes,
            service_types: services,
            channel: pb::BookingChannel::from(channel).into(),
            hold_expires_at: hold_expires_at.and_then(ts),
            cancelled_by: cancelled_by.map_or(0, |c| pb::CancelledBy::from(c).into()),
            visitor: visitor.map(Into::into),
            advisor,
            work_order_id: work_order_id.map(|w| w.to_string()),
            reminded_at: reminded_at.and_then(ts),
            history: history
                .into_iter()
                .map(|Change { status, start, at, reason }| pb::AppointmentChange {
                    status: pb::AppointmentStatus::from(status).into(),
                    start: ts(start),
                    at: ts(at),
                    reason,
                })
                .collect(),
            etag: Etag::render(version),
        }
    }
}

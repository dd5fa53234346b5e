//! A store's whole data, out (issue 15; PIPL's portability article, DMS contracts): each
//! resource as a table, a page at a time, for the fronts to write as CSV in a ZIP or as XLSX.
//! The customer table is the import's own layout (a row per car, a file without a car on a row
//! of its own), so an export imports into an empty store as it was. Phones are shown only to
//! roles that may see them (CF-5); each export is audited (GEN-1).

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::Core;
use crate::auth::{Action, Principal};
use crate::model::customer::CustomerFilter;
use crate::model::import::{Column, SheetColumn};
use crate::model::import_history::{HistoryColumn, tag_cells, wire, yuan};
use crate::model::work_order::WorkOrderFilter;
use crate::model::work_order::{LineKind, LineStatus, WorkOrder, WorkOrderStatus};
use crate::paging::PageRequest;
use crate::ports::{ChangeSet, ComplaintFilter, TaskFilter};
use crate::value::StoreCode;
use crate::{DomainError, Result};

/// A resource an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExportResource {
    /// Customer files with their cars, in the import's layout.
    Customers,
    /// Work orders, each whole.
    WorkOrders,
    /// Delivered orders in the service-history import's layout, a row per line.
    ServiceHistory,
    /// Follow-up tasks.
    FollowUps,
    /// Complaints.
    Complaints,
}

impl ExportResource {
    /// Every resource, in the order an export writes them.
    pub const ALL: [ExportResource; 5] = [
        ExportResource::Customers,
        ExportResource::WorkOrders,
        ExportResource::ServiceHistory,
        ExportResource::FollowUps,
        ExportResource::Complaints,
    ];

    /// The wire name, also the file's stem.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportResource::Customers => "customers",
            ExportResource::WorkOrders => "work_orders",
            ExportResource::ServiceHistory => "service_history",
            ExportResource::FollowUps => "follow_ups",
            ExportResource::Complaints => "complaints",
        }
    }

    /// Reads a wire name.
    pub fn parse(raw: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw).ok_or_else(|| {
            DomainError::invalid(
                "resource",
                "must be customers, work_orders, service_history, follow_ups or complaints",
            )
        })
    }

    /// The table's header row.
    pub fn header(self) -> Vec<&'static str> {
        match self {
            ExportResource::Customers => Column::ALL.into_iter().map(Column::as_str).collect(),
            ExportResource::ServiceHistory => {
                HistoryColumn::ALL.into_iter().map(SheetColumn::as_str).collect()
            }
            ExportResource::WorkOrders => vec![
                "id",
                "number",
                "status",
                "customer_id",
                "vin",
                "plate",
                "advisor",
                "repair_category",
                "intake_mileage_km",
                "created_at",
                "delivered_at",
                "total_fen",
                "document",
            ],
            ExportResource::FollowUps => {
                vec![
                    "id",
                    "kind",
                    "customer_id",
                    "work_order_id",
                    "status",
                    "due_from",
                    "due_to",
                    "assignee",
                    "document",
                ]
            }
            ExportResource::Complaints => {
                vec!["id", "customer_id", "work_order_id", "status", "opened_at", "resolved_at", "document"]
            }
        }
    }
}

/// Records read per page.
const PAGE: i64 = 500;

/// One page of a table: its rows and the token of the next page (none at the end).
pub type ExportPage = (Vec<Vec<String>>, Option<String>);

/// Exports of a store's data.
#[derive(Clone)]
pub struct ExportService {
    core: Arc<Core>,
}

fn json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| DomainError::Internal(e.to_string()))
}

fn text<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

impl ExportService {
    pub(crate) fn new(core: Arc<Core>) -> Self {
        Self { core }
    }

    /// Starts an export of `resources` (supervisor): checked and audited before any row leaves.
    pub async fn start(
        &self,
        who: &Principal,
        store: &StoreCode,
        resources: &[ExportResource],
    ) -> Result<()> {
        who.authorize(Action::ExportData, store, "store")?;
        self.core.store(who, store).await?;
        let names = resources.iter().map(|r| r.as_str().to_string()).collect();
        let audit = self.core.audit(who, store, "data.export", "store", store, names);
        self.core.repo.apply(ChangeSet { audit: vec![audit], ..ChangeSet::default() }).await?;
        Ok(())
    }

    /// The page of a resource's table (supervisor, in id order, 500 records) after the page
    /// whose token is `after` (the first page without one).
    pub async fn page(
        &self,
        who: &Principal,
        store: &StoreCode,
        resource: ExportResource,
        after: Option<&str>,
    ) -> Result<ExportPage> {
        who.authorize(Action::ExportData, store, "store")?;
        let page = &PageRequest::parse(Some(PAGE), after)?;
        let repo = &self.core.repo;
        match resource {
            ExportResource::Customers => {
                let files = repo.list_customers(store, &CustomerFilter::default(), page).await?;
                let ids: Vec<_> = files.items.iter().map(|c| c.id).collect();
                let cars = repo.vehicles_of_customers(store, &ids).await?;
                let full = who.can(Action::SeeFullPhone);
                let mut rows = Vec::new();
                for file in files.items {
                    let id = file.id;
                    let view = file.for_viewer(full).customer;
                    let base = |car: Option<&crate::model::customer::Vehicle>| {
                        vec![
                            view.name.clone(),
                            view.phone.as_str().to_string(),
                            view.address.clone().unwrap_or_default(),
                            view.company.clone().unwrap_or_default(),
                            text(car.and_then(|c| c.plate.as_ref())),
                            text(car.map(|c| &c.vin)),
                            text(car.map(|c| &c.make)),
                            text(car.map(|c| &c.model)),
                            text(car.and_then(|c| c.registration_date)),
                            text(car.and_then(|c| c.purchase_date)),
                            text(car.map(|c| c.mileage_km)),
                        ]
                    };
                    let own: Vec<_> = cars.iter().filter(|c| c.customer_id == id).collect();
                    if own.is_empty() {
                        rows.push(base(None));
                    }
                    rows.extend(own.into_iter().map(|c| base(Some(c))));
                }
                Ok((rows, files.next_page_token))
            }
            ExportResource::WorkOrders => {
                let orders = repo.list_work_orders(store, &WorkOrderFilter::default(), page).await?;
                let mut rows = Vec::new();
                for o in &orders.items {
                    rows.push(vec![
                        o.id.to_string(),
                        o.number.clone(),
                        wire(&o.status),
                        o.customer_id.to_string(),
                        o.vin.to_string(),
                        text(o.plate.as_ref()),
                        o.advisor.clone(),
                        wire(&o.repair_category),
                        o.intake_mileage_km.to_string(),
                        o.created_at.to_rfc3339(),
                        text(o.delivered_at.map(|t| t.to_rfc3339())),
                        o.totals().total_fen.to_string(),
                        json(o)?,
                    ]);
                }
                Ok((rows, orders.next_page_token))
            }
            ExportResource::ServiceHistory => {
                let tz = self.core.store(who, store).await?.timezone;
                let filter = WorkOrderFilter {
                    status: Some(WorkOrderStatus::Delivered),
                    ..WorkOrderFilter::default()
                };
                let orders = repo.list_work_orders(store, &filter, page).await?;
                let rows = orders.items.iter().flat_map(|o| history_rows(o, tz)).collect();
                Ok((rows, orders.next_page_token))
            }
            ExportResource::FollowUps => {
                let tasks = repo.list_tasks(store, &TaskFilter::default(), page).await?;
                let mut rows = Vec::new();
                for t in &tasks.items {
                    rows.push(vec![
                        t.id.to_string(),
                        wire(&t.kind),
                        t.customer_id.to_string(),
                        text(t.work_order_id),
                        wire(&t.status),
                        t.due_from.to_string(),
                        t.due_to.to_string(),
                        text(t.assignee.as_ref()),
                        json(t)?,
                    ]);
                }
                Ok((rows, tasks.next_page_token))
            }
            ExportResource::Complaints => {
                let complaints = repo.list_complaints(store, &ComplaintFilter::default(), page).await?;
                let mut rows = Vec::new();
                for c in &complaints.items {
                    rows.push(vec![
                        c.id.to_string(),
                        c.customer_id.to_string(),
                        text(c.work_order_id),
                        wire(&c.status),
                        c.opened_at.to_rfc3339(),
                        text(c.resolved_at.map(|t| t.to_rfc3339())),
                        json(c)?,
                    ]);
                }
                Ok((rows, complaints.next_page_token))
            }
        }
    }
}

/// A decimal count of `1/scale` units, as the import reads it back.
fn decimal(units: u32, scale: u32) -> String {
    let places = scale.ilog10() as usize;
    format!("{}.{:0places$}", units / scale, units % scale)
}

/// A delivered order's rows in the service-history import's layout: a row per settled line (a
/// row of its own when it has none), the order's columns on each. Payers other than the
/// customer are not columns of the layout; the order whole is in `work_orders`. A line's fault
/// code and 三包 tag are, so that its repairs count toward the car's standing after an import.
fn history_rows(o: &WorkOrder, tz: chrono_tz::Tz) -> Vec<Vec<String>> {
    let day = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).date_naive().to_string();
    let settlement = o.settlement.as_ref();
    let discount = settlement.map_or(0, |s| s.discount_fen);
    let head = |line: Option<&crate::model::work_order::WorkOrderLine>| {
        let (kind, quantity, price) = match line.map(|l| (l.kind, l)) {
            Some((LineKind::Labour, l)) => ("labour", decimal(l.hours_hundredths, 100), yuan(l.rate_fen)),
            Some((LineKind::Part, l)) => ("part", decimal(l.quantity_milli, 1000), yuan(l.unit_price_fen)),
            None => ("", String::new(), String::new()),
        };
        let mut row = vec![
            o.number.clone(),
            o.vin.to_string(),
            day(o.created_at),
            text(o.delivered_at.map(day)),
            o.intake_mileage_km.to_string(),
            wire(&o.repair_category),
            o.fault_description.clone(),
            o.advisor.clone(),
            kind.to_string(),
            text(line.map(|l| &l.code)),
            text(line.map(|l| &l.description)),
            quantity,
            price,
            text(line.map(|l| yuan(l.amount_fen))),
            yuan(discount),
            yuan(o.totals().total_fen - discount),
            text(settlement.map(|s| wire(&s.payment_method))),
            text(o.certificate_number.as_ref().filter(|c| !c.is_empty())),
            text(settlement.map(|s| &s.number)),
            text(line.and_then(|l| l.fault_code.as_ref())),
        ];
        row.extend(tag_cells(line.and_then(|l| l.sanbao.as_ref())));
        row
    };
    let settled: Vec<_> =
        o.lines.iter().filter(|l| matches!(l.status, LineStatus::Done | LineStatus::Approved)).collect();
    if settled.is_empty() {
        return vec![head(None)];
    }
    settled.into_iter().map(|l| head(Some(l))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Issue 15: the customer table is the import's layout, so an export imports as it is.
    #[test]
    fn the_customer_table_uses_the_import_columns() {
        let header = ExportResource::Customers.header();
        let mapped = crate::model::import::map_header::<Column>(&header);
        assert!(mapped.is_ok());
        for r in ExportResource::ALL {
            assert_eq!(ExportResource::parse(r.as_str()).ok(), Some(r));
        }
        assert!(ExportResource::parse("stores").is_err());
    }
}

//! A car's earlier orders, read where an order needs them (issue 14): its 三包 standing, counted
//! at the opening, at every step of an order with quality repairs and at delivery; the comeback
//! suggested at the opening.

use super::*;
use crate::model::work_order::{SanbaoStanding, sanbao_standing};

/// Every order of the car with `vin` in the store, by the VIN index.
async fn car_orders(core: &Core, store: &StoreCode, vin: &Vin) -> Result<Vec<WorkOrder>> {
    orders_of_car(core, store, vin, None).await
}

/// The car's delivered orders, the only ones whose warranty a new visit may be a comeback under
/// (WO-9): a car with many orders still open is not read whole at every opening.
pub(crate) async fn delivered_orders(core: &Core, store: &StoreCode, vin: &Vin) -> Result<Vec<WorkOrder>> {
    orders_of_car(core, store, vin, Some(WorkOrderStatus::Delivered)).await
}

async fn orders_of_car(
    core: &Core,
    store: &StoreCode,
    vin: &Vin,
    status: Option<WorkOrderStatus>,
) -> Result<Vec<WorkOrder>> {
    let filter = WorkOrderFilter { vin: Some(vin.to_string()), status, ..WorkOrderFilter::default() };
    let filter = &filter;
    all_pages(|page| async move { core.repo.list_work_orders(store, filter, &page).await }).await
}

/// The car's standing among its `orders`, with `order` as it is now; none without a purchase
/// date on the car's file.
pub(crate) fn standing_among(
    shop: &Store,
    now: DateTime<Utc>,
    order: &WorkOrder,
    vehicle: &Vehicle,
    orders: &[WorkOrder],
) -> Option<SanbaoStanding> {
    let purchase = vehicle.purchase_date?;
    let at = (
        now.with_timezone(&shop.timezone).date_naive(),
        now,
        vehicle.mileage_km.max(order.intake_mileage_km),
    );
    let mut all: Vec<WorkOrder> = orders.iter().filter(|o| o.id != order.id).cloned().collect();
    all.push(order.clone());
    Some(sanbao_standing(purchase, shop.workshop.periods, &all, at))
}

/// [`standing_among`] as of `now`, reading the car's orders; a car without a purchase date or
/// past both periods is answered without reading them.
pub(crate) async fn standing_of(
    core: &Core,
    shop: &Store,
    order: &WorkOrder,
    vehicle: &Vehicle,
    now: DateTime<Utc>,
) -> Result<Option<SanbaoStanding>> {
    let alone = standing_among(shop, now, order, vehicle, &[]);
    if alone.as_ref().is_none_or(|s| !s.in_warranty && !s.in_sanbao) {
        return Ok(alone);
    }
    let orders = car_orders(core, &shop.code, &order.vin).await?;
    Ok(standing_among(shop, now, order, vehicle, &orders))
}

/// Whether a step changed what the 三包 counts of an order: its quality repairs, or the standing
/// it already shows.
pub(crate) fn sanbao_touched(before: &WorkOrder, after: &WorkOrder) -> bool {
    let repairs = |o: &WorkOrder| o.lines.iter().any(|l| l.counts_for_sanbao());
    repairs(after) || (repairs(before) && before.sanbao.is_some())
}

//! A car's earlier orders, read where an order needs them (issue 14): its 三包 standing, counted
//! at the opening, at every step of an order with quality repairs and at delivery; the comeback
//! suggested at the opening.

use super::*;
use crate::model::work_order::{SanbaoStanding, sanbao_standing};

/// The car's orders in the store by the VIN index: all of them, or those in `status`.
async fn car_orders(
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

/// Whether the car's orders count toward `alone` (its standing without them): only for a car with
/// a purchase date still inside a period.
fn counts_orders(alone: Option<&SanbaoStanding>) -> bool {
    alone.is_some_and(|s| s.in_warranty || s.in_sanbao)
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
    if !counts_orders(alone.as_ref()) {
        return Ok(alone);
    }
    let orders = car_orders(core, &shop.code, &order.vin, None).await?;
    Ok(standing_among(shop, now, order, vehicle, &orders))
}

/// What opening `order` needs of the car's earlier orders, read once: those a comeback may be
/// under (WO-9) and the car's 三包 standing. Every order of the car is read only when the standing
/// counts them; otherwise only the delivered ones, the only ones with a warranty, so a car with
/// many orders still open is not read whole at every opening.
pub(crate) async fn at_opening(
    core: &Core,
    shop: &Store,
    order: &WorkOrder,
    vehicle: &Vehicle,
    now: DateTime<Utc>,
) -> Result<(Vec<WorkOrder>, Option<SanbaoStanding>)> {
    let alone = standing_among(shop, now, order, vehicle, &[]);
    if !counts_orders(alone.as_ref()) {
        let delivered = car_orders(core, &shop.code, &order.vin, Some(WorkOrderStatus::Delivered)).await?;
        return Ok((delivered, alone));
    }
    let orders = car_orders(core, &shop.code, &order.vin, None).await?;
    let standing = standing_among(shop, now, order, vehicle, &orders);
    Ok((orders, standing))
}

/// Whether a step changed what the 三包 counts of an order: its quality repairs, or the standing
/// it already shows.
pub(crate) fn sanbao_touched(before: &WorkOrder, after: &WorkOrder) -> bool {
    let repairs = |o: &WorkOrder| o.lines.iter().any(|l| l.counts_for_sanbao());
    repairs(after) || (repairs(before) && before.sanbao.is_some())
}

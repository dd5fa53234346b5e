//! A car's orders by state: opening an order reads only the car's delivered ones (WO-9), which a car
//! with many orders still open would otherwise scan for; it takes over the plain VIN index, which
//! its leading columns cover.

use sea_orm_migration::prelude::*;

use crate::shape::index;

migration! {
    up(m) {
        m.create_index(index("ix_work_orders_vin_status", "work_orders", &["store", "vin", "status", "id"], false))
            .await?;
        m.drop_index(Index::drop().name("ix_work_orders_store_vin").table("work_orders").to_owned()).await
    }
    down(m) {
        m.create_index(index("ix_work_orders_store_vin", "work_orders", &["store", "vin"], false)).await?;
        m.drop_index(Index::drop().name("ix_work_orders_vin_status").table("work_orders").to_owned()).await
    }
}

//! The 三包 tracker (issue 14): a car's purchase invoice date, from which its periods run, and
//! whether an order's car has a right the advisor's list shows; a car's orders found by its VIN
//! (the tracker and the comeback suggested at the opening read them).

use sea_orm_migration::prelude::*;

use crate::shape::index;

migration! {
    up(m) {
        m.alter_table(
            Table::alter().table("vehicles").add_column(ColumnDef::new(Alias::new("purchase_date")).date().null()).to_owned(),
        )
        .await?;
        m.alter_table(
            Table::alter()
                .table("work_orders")
                .add_column(ColumnDef::new(Alias::new("sanbao_rights")).boolean().not_null().default(false))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ix_work_orders_vin", "work_orders", &["store", "vin", "id"], false)).await
    }
    down(m) {
        m.drop_index(Index::drop().name("ix_work_orders_vin").table("work_orders").to_owned()).await?;
        m.alter_table(Table::alter().table("work_orders").drop_column(Alias::new("sanbao_rights")).to_owned()).await?;
        m.alter_table(Table::alter().table("vehicles").drop_column(Alias::new("purchase_date")).to_owned()).await
    }
}

//! The workshop as stores run it (issue 14): an order's open claims and the technicians its lines
//! are dispatched to, as columns the supervisor's and the technician's lists filter on; a store's
//! insurers and 三包 periods.

use sea_orm_migration::prelude::*;

use crate::shape::index;

migration! {
    up(m) {
        let columns = [
            ("work_orders", ColumnDef::new(Alias::new("open_claims")).boolean().not_null().default(false).to_owned()),
            ("work_orders", ColumnDef::new(Alias::new("technicians")).string_len(2000).not_null().default("").to_owned()),
            ("stores", ColumnDef::new(Alias::new("workshop")).text().not_null().default("{}").to_owned()),
        ];
        for (table, mut column) in columns {
            m.alter_table(Table::alter().table(Alias::new(table)).add_column(&mut column).to_owned()).await?;
        }
        m.create_index(index("ix_work_orders_open_claims", "work_orders", &["store", "open_claims"], false)).await?;
        Ok(())
    }
    down(m) {
        m.drop_index(Index::drop().name("ix_work_orders_open_claims").table("work_orders").to_owned()).await?;
        for (table, column) in [("work_orders", "open_claims"), ("work_orders", "technicians"), ("stores", "workshop")] {
            m.alter_table(Table::alter().table(Alias::new(table)).drop_column(Alias::new(column)).to_owned()).await?;
        }
        Ok(())
    }
}

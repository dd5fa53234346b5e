//! Fleet accounts with credit (挂账, issue 14): their share may be left on account at handover.

use sea_orm_migration::prelude::*;

migration! {
    up(m) {
        m.alter_table(
            Table::alter()
                .table("customers")
                .add_column(ColumnDef::new(Alias::new("credit_account")).boolean().not_null().default(false))
                .to_owned(),
        )
        .await
    }
    down(m) {
        m.alter_table(Table::alter().table("customers").drop_column(Alias::new("credit_account")).to_owned()).await
    }
}

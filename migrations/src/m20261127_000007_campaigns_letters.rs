//! Campaigns (FU-7) and the letter register (FU-8).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shape::{create_index, drop_tables, store_fk};

migration! {
    up(m) {
        for (table, time_col) in [("campaigns", "event_date"), ("letters", "sent_at")] {
            let mut t = Table::create();
            t.table(table).col(uuid("id").primary_key()).col(string_len("store", 16)).col(text("document"));
            if time_col == "event_date" {
                t.col(date(time_col));
            } else {
                t.col(timestamp_with_time_zone(time_col));
            }
            t.foreign_key(&mut store_fk(&format!("fk_{table}_store"), table));
            m.create_table(t.to_owned()).await?;
            create_index(m, &format!("ix_{table}_store"), table, &["store", time_col]).await?;
        }
        Ok(())
    }
    down(m) {
        drop_tables(m, &["letters", "campaigns"]).await
    }
}

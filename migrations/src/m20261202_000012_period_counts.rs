//! Headquarters reads whole months and years only, so the counters are kept per store-local month
//! and per year instead of per day (HQ-2): a store's year is one row per metric, not 365. The day
//! counters are summed into their months and years, one store at a time, then dropped; rolling
//! back counts the days again from the records.

use std::collections::BTreeMap;

use aftersales_domain::model::rollup::periods_of;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shape::{insert_rows, store_fk};

migration! {
    up(m) {
        m.create_table(
            Table::create()
                .table("follow_up_counts")
                .col(string_len("store", 16))
                // `2026-11` or `2026`: a read is one store's period, by equality.
                .col(string_len("period", 7))
                .col(string_len("metric", 64))
                .col(big_integer("n"))
                .primary_key(Index::create().col("store").col("period").col("metric"))
                .foreign_key(&mut store_fk("fk_follow_up_counts_store", "follow_up_counts"))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        // One store at a time: memory stays bounded by one store's day rows.
        let stores =
            db.query_all(Query::select().column("code").from("stores").order_by("code", Order::Asc)).await?;
        for row in stores {
            let code: String = row.try_get("", "code")?;
            let days = db
                .query_all(
                    Query::select()
                        .columns(["day", "metric", "n"])
                        .from("follow_up_rollups")
                        .and_where(Expr::col("store").eq(code.as_str())),
                )
                .await?;
            let mut periods: BTreeMap<(String, String), i64> = BTreeMap::new();
            for row in days {
                let day: chrono::NaiveDate = row.try_get("", "day")?;
                let metric: String = row.try_get("", "metric")?;
                let n: i64 = row.try_get("", "n")?;
                for period in periods_of(day) {
                    *periods.entry((period.to_string(), metric.clone())).or_default() += n;
                }
            }
            let rows = periods
                .into_iter()
                .filter(|(_, n)| *n != 0)
                .map(|((period, metric), n)| [code.as_str().into(), period.into(), metric.into(), n.into()]);
            insert_rows(m, "follow_up_counts", ["store", "period", "metric", "n"], rows).await?;
        }
        m.drop_table(Table::drop().table("follow_up_rollups").to_owned()).await
    }
    down(m) {
        // The days a period's counts came from are not kept; the day counters are counted again
        // from the records, as migration 8 first did.
        m.drop_table(Table::drop().table("follow_up_counts").to_owned()).await?;
        crate::m20261127_000008_rollups::Migration.up(m).await
    }
}

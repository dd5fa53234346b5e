//! Per-store, per-day counters behind headquarters' figures (HQ-2), filled from the records
//! already there, in the same migration so it happens exactly once.

use std::collections::BTreeMap;

use aftersales_domain::model::follow_up::{ContactRecord, FollowUpTask, Letter};
use aftersales_domain::model::rollup::{
    Bucket, contact_buckets, letter_buckets, task_buckets, work_order_buckets,
};
use aftersales_domain::model::work_order::WorkOrder;
use chrono_tz::Tz;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shape::{insert_rows, store_fk};
use sea_orm_migration::sea_orm::ConnectionTrait;
use uuid::Uuid;

type Counts = BTreeMap<(String, chrono::NaiveDate, String), i64>;

/// Reads a table's documents in pages by id, counting each record's buckets.
async fn count_table(
    m: &SchemaManager<'_>,
    table: &'static str,
    zones: &BTreeMap<String, Tz>,
    buckets: fn(&str, Tz) -> Result<Vec<Bucket>, DbErr>,
    counts: &mut Counts,
) -> Result<(), DbErr> {
    let db = m.get_connection();
    let mut after: Option<Uuid> = None;
    loop {
        let mut q = Query::select();
        q.columns(["id", "store", "document"]).from(table).order_by("id", Order::Asc).limit(1000);
        if let Some(last) = after {
            q.and_where(Expr::col("id").gt(last));
        }
        let rows = db.query_all(&q).await?;
        if rows.is_empty() {
            return Ok(());
        }
        for row in &rows {
            after = Some(row.try_get::<Uuid>("", "id")?);
            let store: String = row.try_get("", "store")?;
            let document: String = row.try_get("", "document")?;
            let tz = zones.get(&store).copied().unwrap_or(chrono_tz::Asia::Shanghai);
            for (day, metric) in buckets(&document, tz)? {
                *counts.entry((store.clone(), day, metric)).or_default() += 1;
            }
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(document: &str) -> Result<T, DbErr> {
    serde_json::from_str(document).map_err(|e| DbErr::Custom(format!("stored document: {e}")))
}

migration! {
    up(m) {
        m.create_table(
            Table::create()
                .table("follow_up_rollups")
                .col(string_len("store", 16))
                .col(date("day"))
                .col(string_len("metric", 64))
                .col(big_integer("n"))
                // Store first: every read is one store (or a few) over a range of days.
                .primary_key(Index::create().col("store").col("day").col("metric"))
                .foreign_key(&mut store_fk("fk_follow_up_rollups_store", "follow_up_rollups"))
                .to_owned(),
        )
        .await?;
        let db = m.get_connection();
        let stores = db.query_all(Query::select().columns(["code", "timezone"]).from("stores")).await?;
        let mut zones = BTreeMap::new();
        for row in stores {
            let code: String = row.try_get("", "code")?;
            let zone: String = row.try_get("", "timezone")?;
            zones.insert(code, zone.parse().unwrap_or(chrono_tz::Asia::Shanghai));
        }
        let mut counts = Counts::new();
        count_table(
            m,
            "follow_up_tasks",
            &zones,
            |d, tz| Ok(task_buckets(&parse::<FollowUpTask>(d)?, tz)),
            &mut counts,
        )
        .await?;
        count_table(
            m,
            "contact_records",
            &zones,
            |d, tz| Ok(contact_buckets(&parse::<ContactRecord>(d)?, tz)),
            &mut counts,
        )
        .await?;
        count_table(m, "letters", &zones, |d, tz| Ok(letter_buckets(&parse::<Letter>(d)?, tz)), &mut counts)
            .await?;
        count_table(
            m,
            "work_orders",
            &zones,
            |d, tz| Ok(work_order_buckets(&parse::<WorkOrder>(d)?, tz)),
            &mut counts,
        )
        .await?;
        insert_rows(
            m,
            "follow_up_rollups",
            ["store", "day", "metric", "n"],
            counts
                .into_iter()
                .map(|((store, day, metric), n)| [store.into(), day.into(), metric.into(), n.into()]),
        )
        .await
    }
    down(m) {
        m.drop_table(Table::drop().table("follow_up_rollups").to_owned()).await
    }
}

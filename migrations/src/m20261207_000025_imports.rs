//! Moving a store in (issue 15): import jobs, each the checkpoint of its import, and their
//! row-level reports.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shape::{drop_tables, index, same_store_fk, store_fk};

migration! {
    up(m) {
        m.create_table(
            Table::create()
                .table("import_jobs")
                .col(uuid("id").primary_key())
                .col(string_len("store", 16))
                .col(string_len("status", 16))
                .col(big_integer("committed_row"))
                .col(boolean("uploaded"))
                .col(uuid_null("lease_owner"))
                .col(timestamp_with_time_zone_null("lease_until"))
                .col(text("document"))
                .col(timestamp_with_time_zone("updated_at"))
                .foreign_key(&mut store_fk("fk_import_jobs_store", "import_jobs"))
                .to_owned(),
        )
        .await?;
        m.create_index(index("ux_import_jobs_store_id", "import_jobs", &["store", "id"], true)).await?;
        // The worker's scan for open jobs.
        m.create_index(index("ix_import_jobs_status", "import_jobs", &["status", "lease_until"], false)).await?;
        m.create_table(
            Table::create()
                .table("import_problems")
                .col(string_len("store", 16))
                .col(uuid("import_id"))
                .col(big_integer("row_number"))
                .col(integer("position"))
                .col(text("document"))
                .primary_key(Index::create().col("store").col("import_id").col("row_number").col("position"))
                .foreign_key(&mut store_fk("fk_import_problems_store", "import_problems"))
                .foreign_key(&mut same_store_fk("fk_import_problems_job", "import_problems", "import_id", "import_jobs"))
                .to_owned(),
        )
        .await
    }
    down(m) {
        drop_tables(m, &["import_problems", "import_jobs"]).await
    }
}

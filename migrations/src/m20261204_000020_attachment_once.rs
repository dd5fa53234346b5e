//! The same bytes on the same record are one attachment even when two uploads race (WO-14).

use sea_orm_migration::prelude::*;

use crate::shape::index;

migration! {
    up(m) {
        m.create_index(index(
            "ux_attachments_record_content",
            "attachments",
            &["store", "work_order_id", "attached_to", "sha256"],
            true,
        ))
        .await
    }
    down(m) {
        m.drop_index(Index::drop().name("ux_attachments_record_content").table("attachments").to_owned()).await
    }
}

//! Availability (AP-2) reads what each booking occupies from columns, not from its whole
//! document: the bay kind and the advisor, filled in for the appointments already there.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

migration! {
    up(m) {
        for column in ["bay", "advisor"] {
            m.alter_table(
                Table::alter()
                    .table("appointments")
                    .add_column(ColumnDef::new(Alias::new(column)).string_len(64).null())
                    .to_owned(),
            )
            .await?;
        }
        let fill = if m.get_database_backend() == DbBackend::Postgres {
            "UPDATE appointments SET bay = document::jsonb->>'bay', advisor = document::jsonb->>'advisor'"
        } else {
            "UPDATE appointments SET bay = json_extract(document, '$.bay'), advisor = json_extract(document, '$.advisor')"
        };
        m.get_connection().execute_unprepared(fill).await?;
        Ok(())
    }
    down(m) {
        for column in ["bay", "advisor"] {
            m.alter_table(Table::alter().table("appointments").drop_column(Alias::new(column)).to_owned()).await?;
        }
        Ok(())
    }
}

//! Builders the migrations share: foreign keys, indexes, chunked inserts and table drops, so each
//! migration says only what its tables are.

use sea_orm_migration::prelude::*;

/// Declares a file's migration from its `up` and `down` bodies, each given the schema manager;
/// the migration is named after the file, as sea-orm-migration records it.
macro_rules! migration {
    (up($up_m:ident) $up:block down($down_m:ident) $down:block) => {
        #[derive(DeriveMigrationName)]
        pub struct Migration;

        #[async_trait::async_trait]
        impl MigrationTrait for Migration {
            async fn up(&self, $up_m: &SchemaManager) -> Result<(), DbErr> $up

            async fn down(&self, $down_m: &SchemaManager) -> Result<(), DbErr> $down
        }
    };
}

/// Rows per insert, well under SQLite's bound-parameter limit.
const CHUNK: usize = 200;

/// A foreign key from `cols` of `from` to `to_cols` of `to`.
pub(crate) fn fk(
    name: &str,
    from: &'static str,
    cols: &[&'static str],
    to: &'static str,
    to_cols: &[&'static str],
) -> ForeignKeyCreateStatement {
    let mut fk = ForeignKey::create();
    fk.name(name).from_tbl(from).to_tbl(to);
    for c in cols {
        fk.from_col(*c);
    }
    for c in to_cols {
        fk.to_col(*c);
    }
    fk
}

/// A store-owned row's reference to another row of the same store: `(store, col)` to
/// `parent(store, id)`, so no row can point into another store.
pub(crate) fn same_store_fk(
    name: &str,
    from: &'static str,
    col: &'static str,
    parent: &'static str,
) -> ForeignKeyCreateStatement {
    fk(name, from, &["store", col], parent, &["store", "id"])
}

/// A table's reference to its store.
pub(crate) fn store_fk(name: &str, from: &'static str) -> ForeignKeyCreateStatement {
    fk(name, from, &["store"], "stores", &["code"])
}

/// An index on `cols` of `table`.
pub(crate) fn index(
    name: &str,
    table: &'static str,
    cols: &[&'static str],
    unique: bool,
) -> IndexCreateStatement {
    let mut idx = Index::create();
    idx.name(name).table(table);
    for c in cols {
        idx.col(*c);
    }
    if unique {
        idx.unique();
    }
    idx
}

/// Creates a non-unique index on `cols` of `table`.
pub(crate) async fn create_index(
    m: &SchemaManager<'_>,
    name: &str,
    table: &'static str,
    cols: &[&'static str],
) -> Result<(), DbErr> {
    m.create_index(index(name, table, cols, false)).await
}

/// Drops the tables in the order given.
pub(crate) async fn drop_tables(m: &SchemaManager<'_>, tables: &[&'static str]) -> Result<(), DbErr> {
    for table in tables {
        m.drop_table(Table::drop().table(*table).to_owned()).await?;
    }
    Ok(())
}

/// Inserts rows into `table` in chunks.
pub(crate) async fn insert_rows<const N: usize>(
    m: &SchemaManager<'_>,
    table: &'static str,
    columns: [&'static str; N],
    rows: impl IntoIterator<Item = [SimpleExpr; N]>,
) -> Result<(), DbErr> {
    let rows: Vec<_> = rows.into_iter().collect();
    for chunk in rows.chunks(CHUNK) {
        let mut insert = Query::insert();
        insert.into_table(table).columns(columns);
        for row in chunk {
            insert.values(row.clone()).map_err(|e| DbErr::Custom(e.to_string()))?;
        }
        m.exec_stmt(insert).await?;
    }
    Ok(())
}

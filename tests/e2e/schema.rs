//! The schema stays distributable by store (issue 11, deploy/SCALING.md): every table is either a
//! reference table (stores, the migration log) or store-owned; a store-owned table has the store
//! column in its primary key or in a unique key, and every foreign key between store-owned tables
//! carries the store, so Citus can co-locate each store's rows and keep each join on one node.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

use crate::common::TestApp;

const REFERENCE: &[&str] = &["stores", "seaql_migrations"];

/// A table's columns, its keys (primary and unique) and its foreign keys (columns, target table).
#[derive(Debug, Default)]
struct Table {
    columns: BTreeSet<String>,
    keys: Vec<Vec<String>>,
    foreign: Vec<(Vec<String>, String)>,
}

async fn postgres_tables(db: &sea_orm::DatabaseConnection) -> BTreeMap<String, Table> {
    let mut tables: BTreeMap<String, Table> = BTreeMap::new();
    let q = |sql: &str| Statement::from_string(DbBackend::Postgres, sql.to_string());
    for row in db
        .query_all_raw(q(
            "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns \
                      WHERE table_schema = 'public'",
        ))
        .await
        .unwrap()
    {
        let (t, c): (String, String) = (row.try_get("", "t").unwrap(), row.try_get("", "c").unwrap());
        tables.entry(t).or_default().columns.insert(c);
    }
    // Keys: primary keys, unique constraints and unique indexes alike.
    for row in db
        .query_all_raw(q("SELECT i.indrelid::regclass::text AS t, \
                      array_to_string(ARRAY(SELECT a.attname FROM unnest(i.indkey) k \
                      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k), ',') AS cols \
                      FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid \
                      JOIN pg_namespace n ON n.oid = c.relnamespace \
                      WHERE n.nspname = 'public' AND (i.indisunique OR i.indisprimary)"))
        .await
        .unwrap()
    {
        let (t, cols): (String, String) = (row.try_get("", "t").unwrap(), row.try_get("", "cols").unwrap());
        tables.entry(t).or_default().keys.push(cols.split(',').map(str::to_string).collect());
    }
    for row in db
        .query_all_raw(q("SELECT c.conrelid::regclass::text AS t, c.confrelid::regclass::text AS target, \
                      array_to_string(ARRAY(SELECT a.attname FROM unnest(c.conkey) k \
                      JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k), ',') AS cols \
                      FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
                      WHERE n.nspname = 'public' AND c.contype = 'f'"))
        .await
        .unwrap()
    {
        let t: String = row.try_get("", "t").unwrap();
        let target: String = row.try_get("", "target").unwrap();
        let cols: String = row.try_get("", "cols").unwrap();
        tables.entry(t).or_default().foreign.push((cols.split(',').map(str::to_string).collect(), target));
    }
    tables
}

async fn sqlite_tables(db: &sea_orm::DatabaseConnection) -> BTreeMap<String, Table> {
    let q = |sql: String| Statement::from_string(DbBackend::Sqlite, sql);
    let mut tables = BTreeMap::new();
    let names = db
        .query_all_raw(q(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'".into()
        ))
        .await
        .unwrap();
    for row in names {
        let name: String = row.try_get("", "name").unwrap();
        let mut table = Table::default();
        let mut primary = Vec::new();
        for col in db.query_all_raw(q(format!("PRAGMA table_info('{name}')"))).await.unwrap() {
            let c: String = col.try_get("", "name").unwrap();
            if col.try_get::<i32>("", "pk").unwrap() > 0 {
                primary.push(c.clone());
            }
            table.columns.insert(c);
        }
        table.keys.push(primary);
        for idx in db.query_all_raw(q(format!("PRAGMA index_list('{name}')"))).await.unwrap() {
            if idx.try_get::<i32>("", "unique").unwrap() == 1 {
                let index: String = idx.try_get("", "name").unwrap();
                let cols = db.query_all_raw(q(format!("PRAGMA index_info('{index}')"))).await.unwrap();
                table.keys.push(cols.iter().map(|c| c.try_get::<String>("", "name").unwrap()).collect());
            }
        }
        let mut foreign: BTreeMap<i32, (Vec<String>, String)> = BTreeMap::new();
        for fk in db.query_all_raw(q(format!("PRAGMA foreign_key_list('{name}')"))).await.unwrap() {
            let entry = foreign.entry(fk.try_get("", "id").unwrap()).or_default();
            entry.0.push(fk.try_get("", "from").unwrap());
            entry.1 = fk.try_get("", "table").unwrap();
        }
        table.foreign = foreign.into_values().collect();
        tables.insert(name, table);
    }
    tables
}

#[tokio::test]
async fn every_store_owned_table_is_keyed_and_referenced_with_its_store() {
    let app = TestApp::spawn().await;
    let db = Database::connect(app.config.database_url.as_str()).await.unwrap();
    let postgres = db.get_database_backend() == DbBackend::Postgres;
    let tables = if postgres { postgres_tables(&db).await } else { sqlite_tables(&db).await };
    assert!(tables.len() > 20, "{:?}", tables.keys());
    let mut problems = Vec::new();
    for (name, table) in &tables {
        if REFERENCE.contains(&name.as_str()) {
            continue;
        }
        if !table.columns.contains("store") {
            problems.push(format!("{name}: neither a reference table nor store-owned (no store column)"));
            continue;
        }
        if !table.keys.iter().any(|k| k.iter().any(|c| c == "store")) {
            problems.push(format!("{name}: no primary or unique key includes the store"));
        }
        for (cols, target) in &table.foreign {
            let between_owned = !REFERENCE.contains(&target.as_str());
            // SQLite keeps the webhook tables' single-column references (the migration says why).
            let exempt = !postgres && target == "webhook_subscriptions";
            if between_owned && !exempt && !cols.iter().any(|c| c == "store") {
                problems.push(format!("{name}: foreign key {cols:?} to {target} leaves out the store"));
            }
        }
    }
    assert!(problems.is_empty(), "the schema is no longer distributable by store:\n{}", problems.join("\n"));
}

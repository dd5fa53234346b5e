//! Indexed customer search (CF-1): the terms each file and each car is found under, filled for
//! the files already there with the domain's rule. A search is an index lookup of one term, not a
//! scan of the store.

use aftersales_domain::model::search::{name_phone_terms, plate_vin_terms};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use crate::shape::{create_index, insert_rows};
use sea_orm_migration::sea_orm::ConnectionTrait;
use uuid::Uuid;

migration! {
    up(m) {
        m.create_table(
            Table::create()
                .table("customer_search")
                .col(string_len("store", 16))
                .col(string_len("term", 64))
                .col(uuid("customer_id"))
                // The customer file or the car the term comes from.
                .col(uuid("source"))
                .primary_key(Index::create().col("store").col("term").col("customer_id").col("source"))
                .to_owned(),
        )
        .await?;
        create_index(m, "ix_customer_search_source", "customer_search", &["store", "source"]).await?;
        let db = m.get_connection();
        let mut rows = Vec::new();
        for row in
            db.query_all(Query::select().columns(["id", "store", "name", "phone"]).from("customers")).await?
        {
            let (id, store): (Uuid, String) = (row.try_get("", "id")?, row.try_get("", "store")?);
            let (name, phone): (String, String) = (row.try_get("", "name")?, row.try_get("", "phone")?);
            rows.extend(name_phone_terms(&name, &phone).into_iter().map(|t| (store.clone(), t, id, id)));
        }
        let cars = Query::select()
            .columns(["id", "store", "customer_id", "plate", "vin"])
            .from("vehicles")
            .to_owned();
        for row in db.query_all(&cars).await? {
            let (id, store): (Uuid, String) = (row.try_get("", "id")?, row.try_get("", "store")?);
            let customer: Uuid = row.try_get("", "customer_id")?;
            let (plate, vin): (Option<String>, String) = (row.try_get("", "plate")?, row.try_get("", "vin")?);
            rows.extend(
                plate_vin_terms(plate.as_deref(), &vin).into_iter().map(|t| (store.clone(), t, customer, id)),
            );
        }
        insert_rows(
            m,
            "customer_search",
            ["store", "term", "customer_id", "source"],
            rows.into_iter().map(|(store, term, customer, source)| {
                [store.into(), term.into(), customer.into(), source.into()]
            }),
        )
        .await
    }
    down(m) {
        m.drop_table(Table::drop().table("customer_search").to_owned()).await
    }
}

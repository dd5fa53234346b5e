//! `aftersales-bench-floor CONNINFO WORK_ORDER_ID ADDR [CONNECTIONS]`: serves `GET /` with the
//! work order's stored document and nothing else: no auth, no parsing, no TLS to PostgreSQL, one
//! prepared statement pipelined on a few tokio-postgres connections. Whatever it reaches against
//! pgbench is the most any server doing one database read per request can reach on this machine.

use axum::{Router, extract::State, http::StatusCode, http::header, response::IntoResponse, routing::get};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio_postgres::{Client, NoTls, Statement};

/// The open connections, each with the read prepared, and the row to read.
struct Floor {
    connections: Vec<(Client, Statement)>,
    next: AtomicUsize,
    id: String,
}

/// Answers with the stored document of the one work order.
async fn read(State(floor): State<Arc<Floor>>) -> impl IntoResponse {
    let (client, statement) =
        &floor.connections[floor.next.fetch_add(1, Ordering::Relaxed) % floor.connections.len()];
    match client.query_one(statement, &[&floor.id]).await {
        Ok(row) => match row.try_get::<_, String>(0) {
            Ok(document) => ([(header::CONTENT_TYPE, "application/json")], document).into_response(),
            Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        },
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, conninfo, id, addr, rest @ ..] = args.as_slice() else {
        return Err("usage: aftersales-bench-floor CONNINFO WORK_ORDER_ID ADDR [CONNECTIONS]".into());
    };
    let count: usize = rest.first().map(|n| n.parse()).transpose()?.unwrap_or(4).max(1);
    let mut connections = Vec::with_capacity(count);
    for _ in 0..count {
        let (client, connection) = tokio_postgres::connect(conninfo, NoTls).await?;
        tokio::spawn(connection);
        let statement = client
            .prepare("SELECT document FROM work_orders WHERE store = 'G0001' AND id = $1::text::uuid")
            .await?;
        connections.push((client, statement));
    }
    let floor = Arc::new(Floor { connections, next: AtomicUsize::new(0), id: id.clone() });
    let listener = tokio::net::TcpListener::bind(addr.as_str()).await?;
    axum::serve(listener, Router::new().route("/", get(read)).with_state(floor)).await?;
    Ok(())
}

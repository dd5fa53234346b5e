//! Slow and greedy clients on both listeners: a connection that never finishes its headers (or
//! sends nothing) is closed after the header-read timeout, and one client address holds at most
//! its budget of connections. A database connection cut while idle is replaced, not answered
//! as an error.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::common::TestApp;

/// Reads until the server closes the connection; `None` if it is still open after `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    let read_all = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(within, read_all).await.ok().map(|()| seen)
}

fn base(app: &TestApp) -> (std::net::SocketAddr, std::net::SocketAddr) {
    (app.base.trim_start_matches("http://").parse().unwrap(), app.grpc_addr)
}

// API "Limits and abuse": headers that never end, or silence, do not hold a connection.
#[tokio::test]
async fn connections_that_never_finish_their_headers_are_closed_on_both_listeners() {
    let app = TestApp::spawn_with(|c| c.header_read_timeout_ms = 300).await;
    let (http, grpc) = base(&app);

    let mut unfinished = TcpStream::connect(http).await.unwrap();
    unfinished.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: ").await.unwrap();
    assert!(
        closed_within(&mut unfinished, Duration::from_secs(5)).await.is_some(),
        "unfinished headers closed"
    );
    for addr in [http, grpc] {
        let mut silent = TcpStream::connect(addr).await.unwrap();
        assert!(closed_within(&mut silent, Duration::from_secs(5)).await.is_some(), "{addr}: silence closed");
    }

    // A complete request on a fresh connection is answered as usual.
    let mut ok = TcpStream::connect(http).await.unwrap();
    ok.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
    let answer = closed_within(&mut ok, Duration::from_secs(5)).await.unwrap();
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

// API "Limits and abuse": one client address holds at most its budget of open connections.
#[tokio::test]
async fn one_client_holds_at_most_its_budget_of_connections() {
    let app = TestApp::spawn_with(|c| c.max_connections_per_client = 3).await;
    let (http, grpc) = base(&app);
    // The first bytes of a request each listener waits on the rest of.
    let h2_preface: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00";
    // The test's own gRPC channel already holds one connection from this address.
    for (addr, first, already) in [(http, &b"G"[..], 0), (grpc, h2_preface, 1)] {
        let mut held = Vec::new();
        for _ in already..3 {
            let mut conn = TcpStream::connect(addr).await.unwrap();
            // First bytes, so each is past the first-byte deadline and counted as open.
            conn.write_all(first).await.unwrap();
            held.push(conn);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut over = TcpStream::connect(addr).await.unwrap();
        let _ = over.write_all(first).await;
        assert!(
            closed_within(&mut over, Duration::from_secs(5)).await.is_some(),
            "{addr}: the 4th is refused"
        );
        drop(held.pop());
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut again = TcpStream::connect(addr).await.unwrap();
        again.write_all(first).await.unwrap();
        assert!(
            closed_within(&mut again, Duration::from_millis(500)).await.is_none(),
            "{addr}: a freed place is taken again"
        );
    }
}

// API "errors" (503 only when the database is really unreachable): the pool does not ping a connection on
// every checkout, only one idle long enough to have been cut; after PostgreSQL dropped every
// connection of the server (a restart, a failover, a proxy's idle cut), the next calls answer.
#[tokio::test]
async fn connections_the_database_cut_while_idle_are_replaced() {
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn().await;
    let store = app.seed_store("SH001").await;
    let path = format!("/v1/stores/{store}/customers");
    let token = app.advisor(&store);
    assert_eq!(app.get(&path, &token).await.status, reqwest::StatusCode::OK);
    if app.config.database_url.starts_with("postgres") {
        let admin = sea_orm::Database::connect(app.config.database_url.as_str()).await.unwrap();
        let cut = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                   WHERE datname = current_database() AND pid <> pg_backend_pid()";
        let killed = admin.query_all_raw(sea_orm::Statement::from_string(admin.get_database_backend(), cut));
        assert!(!killed.await.unwrap().is_empty(), "the server held connections to cut");
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    for _ in 0..20 {
        let answer = app.get(&path, &token).await;
        assert_eq!(answer.status, reqwest::StatusCode::OK, "{:?}", answer.body);
    }
}

//! Accepting connections for both listeners: `TCP_NODELAY` on every connection (no Nagle stall on
//! small answers), a budget of open connections per client address, and a deadline for a client's
//! first bytes, so connections that never send anything cannot pile up. The REST listener also
//! gets a header-read timeout from hyper for every request on a kept-alive connection.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};

/// What every accepted connection must keep to.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a client has for its first bytes, and (REST) for each request's headers.
    pub header_read_timeout: Duration,
    /// Connections one client address may hold open at once.
    pub per_client: usize,
}

/// Open connections per client address.
#[derive(Debug, Default)]
struct Budget(Mutex<HashMap<IpAddr, usize>>);

impl Budget {
    fn take(self: &Arc<Self>, ip: IpAddr, limit: usize) -> Option<Slot> {
        let mut open = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = open.entry(ip).or_default();
        if *n >= limit {
            return None;
        }
        *n += 1;
        Some(Slot { budget: self.clone(), ip })
    }
}

/// One connection's place in its client's budget, given back when the connection closes.
#[derive(Debug)]
struct Slot {
    budget: Arc<Budget>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.budget.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = open.get_mut(&self.ip) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// An accepted connection, counted against its client's budget while it is open.
#[derive(Debug)]
pub struct Conn {
    stream: TcpStream,
    peer: SocketAddr,
    _slot: Slot,
}

impl Conn {
    /// The client's address.
    pub fn peer(&self) -> SocketAddr {
        self.peer
    }
}

impl AsyncRead for Conn {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = tonic::transport::server::TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        tonic::transport::server::TcpConnectInfo {
            local_addr: self.stream.local_addr().ok(),
            remote_addr: Some(self.peer),
        }
    }
}

/// Waits for the stop signal (the guard `wait_for` returns must not live across an await).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Accepts on `listener` until `stop`, and hands over each connection that is within its
/// client's budget and sent its first bytes in time.
pub fn accept(
    listener: TcpListener,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) -> mpsc::Receiver<Conn> {
    let (tx, rx) = mpsc::channel(256);
    let budget = Arc::new(Budget::default());
    tokio::spawn(async move {
        loop {
            let (stream, peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(pair) => pair,
                    Err(error) => {
                        // Out of descriptors and the like: back off instead of spinning.
                        tracing::warn!(%error, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = stopped(&mut stop) => break,
            };
            let Some(slot) = budget.take(peer.ip(), limits.per_client) else {
                tracing::warn!(client = %peer.ip(), limit = limits.per_client, "connection refused: over the client's budget");
                continue;
            };
            if let Err(error) = stream.set_nodelay(true) {
                tracing::debug!(%error, "cannot set TCP_NODELAY");
            }
            let tx = tx.clone();
            tokio::spawn(async move {
                let mut first = [0u8; 1];
                match tokio::time::timeout(limits.header_read_timeout, stream.peek(&mut first)).await {
                    Ok(Ok(n)) if n > 0 => {
                        let _ = tx.send(Conn { stream, peer, _slot: slot }).await;
                    }
                    Ok(_) => {}
                    Err(_) => tracing::debug!(client = %peer.ip(), "connection closed: nothing sent in time"),
                }
            });
        }
    });
    rx
}

/// Serves the REST router on accepted connections (HTTP/1.1 and h2c) until `stop`, then lets the
/// connections in flight finish.
pub async fn serve_http(
    mut incoming: mpsc::Receiver<Conn>,
    app: axum::Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) -> io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use tower::ServiceExt;

    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_read_timeout);
    builder.http2().timer(TokioTimer::new()).keep_alive_interval(Some(Duration::from_secs(30)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        let conn = tokio::select! {
            conn = incoming.recv() => match conn {
                Some(conn) => conn,
                None => break,
            },
            () = stopped(&mut stop) => break,
        };
        let peer = conn.peer();
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |mut req: axum::http::Request<hyper::body::Incoming>| {
                // What `into_make_service_with_connect_info` would give the handlers and rate limits.
                req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                app.clone().oneshot(req.map(axum::body::Body::new))
            });
        let connection = builder.serve_connection_with_upgrades(TokioIo::new(conn), service).into_owned();
        let watched = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = watched.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    graceful.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // gRPC at wire speed: every accepted connection has TCP_NODELAY, so a small answer is never
    // held back by Nagle's algorithm waiting for the client's delayed ACK.
    #[tokio::test]
    async fn accepted_connections_have_nodelay_and_count_against_their_client() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (_stop, stopped) = watch::channel(false);
        let limits = Limits { header_read_timeout: Duration::from_secs(5), per_client: 1 };
        let mut incoming = accept(listener, limits, stopped);
        let mut client = TcpStream::connect(addr).await.unwrap();
        tokio::io::AsyncWriteExt::write_all(&mut client, b"G").await.unwrap();
        let conn = incoming.recv().await.unwrap();
        assert!(conn.stream.nodelay().unwrap());
        assert_eq!(conn.peer().ip(), addr.ip());
    }
}

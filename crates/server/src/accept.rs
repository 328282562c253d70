//! Accepting TCP connections: the server-wide and per-address connection
//! caps are enforced here, before any HTTP is read, and every connection
//! serves HTTP/1 with a deadline on reading request headers (so a client
//! that connects and sends nothing, or trickles a request, is dropped).

use super::addresses::{AddressGuard, acquire, address_key};
use super::connection::Accepted;
use super::rooms::Rooms;
use super::{Refusal, app, error_text};
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::io;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// Refused connections answered politely (a 503 with the error code) at
/// once; beyond that a refused connection is just closed, so refusing
/// cannot itself hold many descriptors.
const POLITE_REFUSALS: usize = 64;

/// One TCP connection counted against the server-wide cap.
struct ConnectionGuard(Arc<Rooms>);

impl ConnectionGuard {
    fn acquire(rooms: &Arc<Rooms>) -> Option<ConnectionGuard> {
        let max = rooms.limits().max_connections;
        rooms
            .connections
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < max).then_some(n + 1)
            })
            .ok()
            .map(|_| ConnectionGuard(rooms.clone()))
    }
}

impl Drop for ConnectionGuard {
    fn drop(&mut self) {
        self.0.connections.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A TCP stream that holds its counts for as long as it lives, through
/// the WebSocket upgrade (which hands this very stream to the member).
struct Counted {
    tcp: TcpStream,
    _connection: ConnectionGuard,
    _address: Option<AddressGuard>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.tcp).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.tcp).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.tcp.is_write_vectored()
    }
}

/// Answers a refused connection `503` with the error as JSON, then closes
/// it (reading what the client sent first, briefly, so that closing does
/// not reset the connection before the client reads the answer).
fn refuse(mut tcp: TcpStream, refusal: Refusal, permits: &Arc<Semaphore>) {
    tracing::debug!("refusing a connection: {}", refusal.code);
    let Ok(permit) = permits.clone().try_acquire_owned() else {
        return;
    };
    tokio::spawn(async move {
        let _permit = permit;
        let body = error_text(refusal.code, refusal.message);
        let response = format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
             content-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        let polite = async {
            tcp.write_all(response.as_bytes()).await?;
            tcp.shutdown().await?;
            let mut sink = [0u8; 1024];
            while tcp.read(&mut sink).await? > 0 {}
            io::Result::Ok(())
        };
        let _ = tokio::time::timeout(Duration::from_secs(1), polite).await;
    });
}

/// Serves the app (the signalling rooms in `rooms`, and the page in
/// `site`, if given) on `listener` until the process ends.
pub async fn serve(
    listener: TcpListener,
    rooms: Arc<Rooms>,
    site: Option<PathBuf>,
) -> io::Result<()> {
    serve_with(listener, rooms, site, None).await
}

/// [`serve`], with the relay at `/relay` if given.
pub async fn serve_with(
    listener: TcpListener,
    rooms: Arc<Rooms>,
    site: Option<PathBuf>,
    relay: Option<crate::relay::Relay>,
) -> io::Result<()> {
    serve_until(listener, rooms, site, relay, std::future::pending()).await
}

/// [`serve_with`] until `stop` resolves, then stops gracefully (see
/// [`crate::ops`]): no new connection is accepted, `/readyz` answers 503,
/// every WebSocket is told `SHUTTING_DOWN` after the message it is
/// handling (a relay batch is stored and announced first) and closed, and
/// this returns once they are all gone or [`crate::ops::DRAIN`] has passed.
pub async fn serve_until(
    listener: TcpListener,
    rooms: Arc<Rooms>,
    site: Option<PathBuf>,
    relay: Option<crate::relay::Relay>,
    stop: impl std::future::Future<Output = ()>,
) -> io::Result<()> {
    let router = app(rooms.clone(), site, relay.as_ref());
    let permits = Arc::new(Semaphore::new(POLITE_REFUSALS));
    tokio::pin!(stop);
    loop {
        let accepted = tokio::select! {
            () = &mut stop => break,
            accepted = listener.accept() => accepted,
        };
        let (tcp, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(e) => {
                // Out of descriptors (or a connection reset before it was
                // accepted): pause rather than spin on the error.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Some(connection) = ConnectionGuard::acquire(&rooms) else {
            rooms.hits.hit(Refusal::SERVER_FULL.code);
            refuse(tcp, Refusal::SERVER_FULL, &permits);
            continue;
        };
        let limits = rooms.limits();
        // Behind the trusted proxy every connection comes from the proxy:
        // the client's address is only known from the request headers, so
        // it is counted at the upgrade instead.
        let address = if limits.trusted_proxy == Some(peer.ip()) {
            None
        } else {
            match acquire(&rooms, address_key(peer.ip())) {
                Some(guard) => Some(guard),
                None => {
                    rooms.hits.hit(Refusal::TOO_MANY_FROM_ADDRESS.code);
                    refuse(tcp, Refusal::TOO_MANY_FROM_ADDRESS, &permits);
                    continue;
                }
            }
        };
        let _ = tcp.set_nodelay(true);
        let io = Counted {
            tcp,
            _connection: connection,
            _address: address,
        };
        let accepted = Accepted { peer };
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(accepted);
            router.clone().oneshot(request)
        });
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(limits.handshake_timeout);
        let connection = http
            .serve_connection(TokioIo::new(io), service)
            .with_upgrades();
        let stopping = rooms.stopping.stopped();
        tokio::spawn(async move {
            tokio::pin!(connection);
            let done = tokio::select! {
                done = connection.as_mut() => done,
                () = stopping => {
                    // A kept-alive HTTP connection is closed once its
                    // request in hand is answered; an upgraded WebSocket
                    // is not hyper's any more and ends by its own loop.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = done {
                tracing::debug!("connection from {peer}: {e}");
            }
        });
    }
    drop(listener);
    rooms.stopping.stop();
    if let Some(relay) = &relay {
        relay.stop();
    }
    let open = || rooms.connection_count();
    tracing::info!("stopping: {} connections to close", open());
    let deadline = tokio::time::Instant::now() + crate::ops::DRAIN;
    while open() > 0 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    // The relay's writes are done when its connections are: each stores a
    // batch before it looks at the stop.
    rooms.farewell().await;
    tracing::info!("stopped ({} connections left open)", open());
    Ok(())
}

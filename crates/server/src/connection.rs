//! One WebSocket member, from upgrade to close: the handshake and idle
//! deadlines, the per-connection and per-address message rates, and the
//! writer that drains its bounded [`Outbox`].

use super::addresses::{AddressGuard, acquire, address_key};
use super::limits::Bucket;
use super::outbox::{Out, Outbox};
use super::rooms::Rooms;
use super::{FromClient, Refusal, ToClient, error_text, say, valid_room};
use axum::Extension;
use axum::extract::State;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The WebSocket read buffer's initial size.
const READ_BUFFER: usize = 4 * 1024;

/// How long a closed client may take to acknowledge the close.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Where the TCP connection under a request comes from.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Accepted {
    pub(crate) peer: SocketAddr,
}

/// The client's address named by the trusted proxy: the last entry of the
/// last `X-Forwarded-For` header, the one the proxy itself appended (the
/// entries before it are whatever the client claimed).
fn forwarded(headers: &HeaderMap) -> Option<IpAddr> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()?
        .to_str()
        .ok()?
        .rsplit(',')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// An HTTP refusal carrying the error as JSON (before any upgrade).
pub(crate) fn refusal_response(refusal: Refusal) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "application/json")],
        error_text(refusal.code, refusal.message),
    )
        .into_response()
}

/// `/signal`: upgrades to the WebSocket protocol (see the module docs).
pub(crate) async fn upgrade(
    ws: WebSocketUpgrade,
    State(rooms): State<Arc<Rooms>>,
    Extension(accepted): Extension<Accepted>,
    headers: HeaderMap,
) -> Response {
    let limits = rooms.limits();
    let proxied = limits.trusted_proxy == Some(accepted.peer.ip());
    let client = match proxied {
        true => forwarded(&headers).unwrap_or(accepted.peer.ip()),
        false => accepted.peer.ip(),
    };
    let address = address_key(client);
    // Direct connections were counted when accepted; proxied ones only
    // now that the client's address is known.
    let guard = match proxied {
        true => match acquire(&rooms, address) {
            Some(guard) => Some(guard),
            None => {
                rooms.hits.hit(Refusal::TOO_MANY_FROM_ADDRESS.code);
                return refusal_response(Refusal::TOO_MANY_FROM_ADDRESS);
            }
        },
        false => None,
    };
    // The request's headers came within the handshake timeout (hyper's
    // deadline); the join must come within another from now.
    let upgraded = Instant::now();
    let max = limits.max_frame;
    ws.max_message_size(max)
        .max_frame_size(max)
        // tungstenite's defaults (128 KiB each way, allocated up front) are
        // most of what an idle member costs: 137 KiB each with them, which
        // is how 10,000 idle sockets took 1.3 GB. Signalling messages are
        // small; the buffers grow for the rare large one.
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .on_upgrade(move |socket| member(socket, rooms, address, upgraded, guard))
}

/// How a member's connection ends.
enum End {
    /// The client closed it (or the connection broke).
    Closed,
    /// A rule was broken: say this, then close.
    Said(Utf8Bytes),
    /// It does not read fast enough: drop it at once.
    Kicked,
}

/// Ends the connection saying `refusal`, counted among the limits hit.
fn refused(rooms: &Rooms, refusal: Refusal) -> End {
    rooms.hits.hit(refusal.code);
    End::Said(refusal.text())
}

/// One connection, from upgrade to close.
///
/// Longer than ~80 lines on purpose: one loop owns the connection's state
/// (its room, its rate bucket, its deadlines, its writer), and every branch
/// of the `select!` ends the connection through the same `End`; split, each
/// part would need all of it.
async fn member(
    socket: WebSocket,
    rooms: Arc<Rooms>,
    address: IpAddr,
    upgraded: Instant,
    _guard: Option<AddressGuard>,
) {
    let limits = rooms.limits().clone();
    let outbox = Arc::new(Outbox::new(limits.queue_bytes, limits.queue_messages));
    let (sink, mut stream) = socket.split();
    let mut writer = crate::outbox::spawn_writer(sink, outbox.clone());
    let mut bucket = Bucket::full(limits.connection_rate);
    let mut joined: Option<(String, u64)> = None;
    let mut heard = Instant::now();
    let every = limits.idle_timeout / 3;
    let mut ping = tokio::time::interval_at((Instant::now() + every).into(), every);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stopped = rooms.stopping.stopped();
    tokio::pin!(stopped);
    let end = loop {
        let deadline = match joined {
            None => upgraded + limits.handshake_timeout,
            Some(_) => heard + limits.idle_timeout,
        };
        let next = tokio::select! {
            () = outbox.kicked() => break End::Kicked,
            // The server stops: said between two messages, never halfway.
            () = &mut stopped => break End::Said(Refusal::SHUTTING_DOWN.text()),
            () = tokio::time::sleep_until(deadline.into()) => break refused(&rooms, match joined {
                None => Refusal::HANDSHAKE_TIMEOUT,
                Some(_) => Refusal::IDLE_TIMEOUT,
            }),
            _ = ping.tick(), if joined.is_some() => {
                outbox.push_control(Out::Ping);
                continue;
            }
            next = stream.next() => next,
        };
        let Some(Ok(message)) = next else {
            // Closed, or a protocol error (a frame over the size limit).
            break End::Closed;
        };
        heard = Instant::now();
        if !bucket.take(limits.connection_rate) {
            break refused(&rooms, Refusal::RATE_LIMITED);
        }
        if !rooms.take_address_message(address) {
            break refused(&rooms, Refusal::ADDRESS_RATE_LIMITED);
        }
        let text = match message {
            Message::Text(text) => text,
            Message::Binary(_) => break refused(&rooms, Refusal::BINARY),
            Message::Ping(_) | Message::Pong(_) => continue,
            Message::Close(_) => break End::Closed,
        };
        let message = match serde_json::from_str::<FromClient>(&text) {
            Ok(message) => message,
            Err(e) => {
                rooms.hits.hit("MALFORMED");
                break End::Said(error_text("MALFORMED", &e.to_string()).into());
            }
        };
        match message {
            FromClient::Join { room: name } => {
                if joined.is_some() {
                    break refused(&rooms, Refusal::ONE_ROOM);
                }
                if !valid_room(&name, &limits) {
                    break refused(&rooms, Refusal::BAD_ROOM);
                }
                match rooms.join(&name, &outbox, address) {
                    Ok(id) => joined = Some((name, id)),
                    Err(refusal) => break refused(&rooms, refusal),
                }
            }
            FromClient::Signal { to, data } => {
                let Some((name, id)) = &joined else {
                    break refused(&rooms, Refusal::NOT_IN_ROOM);
                };
                let relayed = say(&ToClient::Signal { from: *id, data });
                // Not the sender's fault alone: it hears why, and stays.
                if let Err(refusal) = rooms.relay(name, *id, to, relayed.into()) {
                    rooms.hits.hit(refusal.code);
                    outbox.push_advisory(refusal.text());
                }
            }
        }
    };
    if let Some((name, id)) = &joined {
        rooms.leave(name, *id);
    }
    let said = match end {
        End::Kicked => {
            rooms.hits.hit(Refusal::SLOW_READER.code);
            tracing::info!("dropping a member that does not read ({address})");
            // Dropping the writer and the stream closes the socket now.
            writer.abort();
            return;
        }
        End::Said(text) => {
            tracing::info!("closing a connection from {address}: {text}");
            outbox.push_control(Out::Text(text));
            true
        }
        End::Closed => false,
    };
    outbox.close();
    if tokio::time::timeout(CLOSE_GRACE, &mut writer)
        .await
        .is_err()
    {
        writer.abort();
    }
    if said {
        // Read (and drop) what the client still sends until it closes, for
        // a while: closing with unread data resets the connection, and the
        // client would lose the error before reading it.
        let drain = async { while let Some(Ok(_)) = stream.next().await {} };
        let _ = tokio::time::timeout(CLOSE_GRACE, drain).await;
    }
}

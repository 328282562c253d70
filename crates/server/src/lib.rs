//! The signalling server: WebSocket rooms named by network.
//!
//! It relays signalling messages (WebRTC offers, answers, ICE candidates)
//! between members of one room, and nothing else. Peers sign what they
//! send with their identity keys, over a nonce the recipient chose, and
//! check what they receive (see `trustfold::signal`), so the server can
//! neither impersonate anyone nor replay a description; it only learns
//! who is in a room. It also serves the built page, so one process is all
//! a deployment needs.
//!
//! Protocol (JSON text frames): a client's first message joins one room,
//! `{"type":"join","room":"…"}`, and is answered `{"type":"joined","id":n,
//! "peers":[…]}` before anything else; `peers` are the members the
//! newcomer is introduced to, in join order (newest last): all of a small
//! room, otherwise the newest and a random sample of the rest
//! ([`Limits::introductions`]). Those members hear `peer-joined`, and
//! `peer-left` when it goes. `{"type":"signal","to":n,"data":…}` reaches
//! member `n`, if the two were introduced, as `{"type":"signal","from":m,
//! "data":…}`.
//!
//! Every bound is a field of [`Limits`] and a flag of `trustfold-server`
//! ([`usage`]). A client that breaks one gets `{"type":"error","code":…,
//! "message":…}` and is closed, except `NO_SUCH_PEER`, `TARGET_BUSY` and
//! `SPAN_BUSY`, which only drop that signal; the others notice nothing. A connection
//! refused before the upgrade (`SERVER_FULL`, `TOO_MANY_FROM_ADDRESS`) is
//! answered HTTP 503 with the same JSON. A member that does not read its
//! messages fast enough is dropped without a word (it would not read it).
//! The codes are the constants of [`Refusal`] plus `MALFORMED`.
//!
//! Started with `--nats`, rooms span every instance on the same NATS
//! servers ([`span`]): a member is introduced to members of any instance,
//! and its signals reach them, under the same rules.

mod accept;
mod addresses;
mod config;
mod connection;
mod limits;
mod nats;
pub mod ops;
mod outbox;
pub mod relay;
mod rooms;
pub mod span;

pub use accept::{serve, serve_until, serve_with};
pub use addresses::address_key;
pub use config::{Command, Config, parse_args, usage};
pub use limits::{Limits, Rate};
pub use rooms::Rooms;

use axum::Router;
use axum::routing::get;
use serde_json::Value;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Why the server refused something: a stable `code` for programs and a
/// `message` for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// Stable, upper case (e.g. `ROOM_FULL`).
    pub code: &'static str,
    /// In words.
    pub message: &'static str,
}

macro_rules! refusals {
    ($($name:ident: $message:literal,)*) => {
        impl Refusal {
            $(
                #[doc = $message]
                pub const $name: Refusal = Refusal { code: stringify!($name), message: $message };
            )*
        }
    };
}

refusals! {
    SERVER_FULL: "the server has all the connections it allows",
    TOO_MANY_FROM_ADDRESS: "this address has all the connections it may have",
    HANDSHAKE_TIMEOUT: "no join in time after connecting",
    IDLE_TIMEOUT: "nothing heard from this connection for too long",
    RATE_LIMITED: "too many messages per second on this connection",
    ADDRESS_RATE_LIMITED: "too many messages per second from this address",
    TARGET_BUSY: "that member receives too many signals now; this one was dropped",
    TOO_MANY_JOINS: "too many joins from this address; try again shortly",
    ROOM_BUSY: "too many joins in this room now; try again shortly",
    ROOM_FULL: "this room is full",
    TOO_MANY_ROOMS: "the server has all the rooms it allows",
    BAD_ROOM: "room names are letters, digits, '-', '_' or '.' (64 bytes at most by default)",
    ONE_ROOM: "a connection joins one room",
    NOT_IN_ROOM: "join a room first",
    NO_SUCH_PEER: "no such member in this room, or not introduced to you",
    BINARY: "frames must be JSON text",
    SLOW_READER: "this member did not read its messages fast enough",
    SHUTTING_DOWN: "the server is stopping; connect again (to another instance, or shortly)",
    SPAN_BUSY: "the server cannot pass signals to other instances fast enough now; this one was dropped",
}

/// What the server says, as JSON text: one of the messages the core
/// defines ([`trustfold::signal::FromServer`]), which the browser reads.
pub(crate) fn say(message: &ToClient) -> String {
    // Serialising these plain structs to a String cannot fail.
    serde_json::to_string(message).expect("a FromServer message serialises")
}

/// `{"type":"error","code":…,"message":…}`.
pub(crate) fn error_text(code: &str, message: &str) -> String {
    say(&ToClient::Error {
        code: code.to_owned(),
        message: message.to_owned(),
    })
}

/// A message from a client; the payload stays JSON the server never reads
/// (a `Value`: serde cannot borrow raw JSON inside a tagged enum).
pub(crate) type FromClient = trustfold::signal::ToServer<Value>;

/// A message to a client.
pub(crate) type ToClient = trustfold::signal::FromServer<Value>;

pub(crate) fn valid_room(name: &str, limits: &Limits) -> bool {
    !name.is_empty()
        && name.len() <= limits.max_room_name
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// The app: `/signal` upgrades to the WebSocket protocol above; every other
/// path is a file of `site` (the built page), if given. Only [`serve`]
/// runs it (it supplies each connection's address and accept time).
fn app(rooms: Arc<Rooms>, site: Option<PathBuf>, relay: Option<&relay::Relay>) -> Router {
    let mut router = Router::new()
        .route("/signal", get(connection::upgrade))
        .with_state(rooms.clone())
        .merge(ops::routes(rooms, relay));
    router = match relay {
        Some(relay) => router.merge(relay.routes()),
        None => router.merge(relay::absent_routes()),
    };
    match site {
        Some(dir) => router.fallback_service(site_service(dir)),
        None => router,
    }
}

/// The built page's files: the brotli or gzip copy the build made
/// (`name.br`, `name.gz`; webpack.config.js) to a browser that accepts it,
/// else the file itself; every answer marked `no-cache` — kept by the
/// browser but checked (`If-Modified-Since`, answered 304 when unchanged)
/// before use, since the file names carry no version and the service worker
/// keeps the offline copy.
fn site_service(
    dir: PathBuf,
) -> tower_http::set_header::SetResponseHeader<
    tower_http::services::ServeDir,
    axum::http::HeaderValue,
> {
    let files = tower_http::services::ServeDir::new(dir)
        .precompressed_br()
        .precompressed_gzip();
    tower_http::set_header::SetResponseHeader::overriding(
        files,
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-cache"),
    )
}

/// Binds `addr` and serves in the background; returns the bound address
/// (for tests: pass port 0).
pub async fn spawn(
    addr: SocketAddr,
    limits: Limits,
    site: Option<PathBuf>,
) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let rooms = Rooms::new(limits);
    tokio::spawn(async move {
        if let Err(e) = serve(listener, rooms, site).await {
            tracing::error!("server stopped: {e}");
        }
    });
    Ok(bound)
}

//! The relay (issue #14): an always-on peer of every network it is asked
//! to serve, so payments reach people who are never online together.
//!
//! It speaks the pages' own sync protocol over a WebSocket at `/relay`,
//! stores every valid event in one SQLite file ([`store`]), and answers each
//! client's session from that store, so a network's history never lives in
//! its memory; a network nobody uses is released after
//! [`RelayConfig::idle`]. It validates every event as a page does, except
//! what needs a key (see [`trustfold::relay`]): it never signs anything,
//! applies no trust policy, and for a private network holds no key that
//! decrypts — it checks admission tags by the network's identity (its
//! room) and stores ciphertext.
//!
//! Protocol: the client's first message is TEXT JSON
//! `{"type":"join","room":"…","private":false}` (a private network's room
//! is its identity, 64 hex digits). The relay answers `{"type":"joined",
//! "limits":{…}}` (the document `GET /relay/limits` serves too: the core's
//! [`PublishedLimits`], which the browser reads back) or
//! `{"type":"error","code":…,"message":…}` and closes. Then every BINARY
//! message either way is one sync frame (`trustfold::sync`). Later TEXT
//! messages from the relay are notices (`{"type":"notice","code":
//! "network_full"|"author_quota"|"author_rate",…}`: valid events not stored, the client
//! stays) or a last error before it closes (`{"type":"error",…}`: an
//! invalid event or frame — its core code, `frame_too_large` too for a
//! message over the socket's own limit — `MALFORMED` for TEXT after the
//! join, `RATE_LIMITED`, `IDLE_TIMEOUT`). A server started `--no-relay`
//! answers every join `NO_RELAY` (`absent_routes`).

mod connection;
pub(crate) mod hub;
pub mod jetstream;
pub(crate) mod shared;
pub mod store;

pub use hub::AllCores;

use crate::limits::Rate;
use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use trustfold::relay::{Notice, PublishedLimits, RelayError, RelayLimits};

/// How long a closed client may take to acknowledge the close.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// The relay's settings: each a flag of `trustfold-server` (`--help`).
#[derive(Clone, Debug)]
pub struct RelayConfig {
    /// The database file (`--relay-db`, `trustfold-relay.sqlite`).
    pub path: PathBuf,
    /// What each network may hold, and its sessions' windows.
    pub limits: RelayLimits,
    /// Frames per second per client (`--relay-rate`, 500/s, bursts of 2,000:
    /// a catch-up of 100,000 events is about 500 frames).
    pub frame_rate: Rate,
    /// Bytes per second read from one client (`--relay-bytes-rate`, 2 MiB/s,
    /// bursts of 4 MiB). Over it
    /// the relay reads that client more slowly — its socket's own flow
    /// control holds it back — rather than dropping it: the work a client
    /// causes (decoding, looking up, verifying what it sends, with its
    /// network's lock held) is bounded by what it may send, whatever its
    /// frames carry.
    pub bytes_rate: Rate,
    /// Networks loaded at once (`--relay-networks`, 1,000). When all are
    /// loaded, the one nobody is connected to that was idle longest is
    /// released for a newly joined one; with clients in every one, a join
    /// of another is refused `RELAY_FULL`.
    pub max_networks: usize,
    /// A network nobody is connected to is released after this
    /// (`--relay-idle`, 60 s).
    pub idle: Duration,
    /// Longest room name (the signalling server's, 64).
    pub max_room_name: usize,
    /// From upgrade to join (the signalling server's handshake timeout).
    pub handshake_timeout: Duration,
    /// A client silent this long is closed (the signalling server's idle timeout).
    pub idle_timeout: Duration,
    /// Bytes queued for one client: a window (4 MiB) and its answers.
    pub queue_bytes: usize,
    /// Messages queued for one client.
    pub queue_messages: usize,
    /// Bytes queued for all clients together (`--relay-queue-total`,
    /// 256 MiB). Over it, a client with more than [`queue_floor`] queued
    /// is dropped at its next message (its socket closed; a page
    /// reconnects with backoff, as after any drop): clients that read
    /// what they are sent hold little and keep their link, and the queues
    /// hold at most this plus `queue_floor` per connection, not
    /// `queue_bytes` per connection (12 GiB for a thousand).
    ///
    /// [`queue_floor`]: RelayConfig::queue_floor
    pub queue_total: usize,
    /// What a client may always have queued, whatever the others hold
    /// (1 MiB).
    pub queue_floor: usize,
    /// NATS servers whose JetStream holds every network's events, shared
    /// by the relay instances that name them (`--nats URL[,URL…]`; none:
    /// this instance's database alone). The database is then this
    /// instance's copy of the streams it has loaded: see
    /// [`jetstream`].
    pub nats: Option<String>,
    /// Copies JetStream keeps of each network (`--nats-replicas`, 3).
    pub nats_replicas: usize,
}

impl Default for RelayConfig {
    fn default() -> Self {
        let server = crate::Limits::default();
        RelayConfig {
            path: PathBuf::from("trustfold-relay.sqlite"),
            limits: RelayLimits::default(),
            frame_rate: Rate {
                per_second: 500.0,
                burst: 2000.0,
            },
            bytes_rate: Rate {
                per_second: 2.0 * 1024.0 * 1024.0,
                burst: 4.0 * 1024.0 * 1024.0,
            },
            max_networks: 1000,
            idle: Duration::from_secs(60),
            max_room_name: server.max_room_name,
            handshake_timeout: server.handshake_timeout,
            idle_timeout: server.idle_timeout,
            queue_bytes: 12 * 1024 * 1024,
            queue_messages: 4096,
            queue_total: 256 * 1024 * 1024,
            queue_floor: 1024 * 1024,
            nats: None,
            nats_replicas: 3,
        }
    }
}

/// What the relay says as TEXT: errors, notices, the join's answer.
pub(crate) struct Said(String);

impl From<Said> for axum::extract::ws::Utf8Bytes {
    fn from(said: Said) -> Self {
        said.0.into()
    }
}

#[derive(Serialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum Text<'a> {
    Error { code: &'a str, message: &'a str },
    Notice { code: &'a str, message: &'a str },
    Joined { limits: PublishedLimits },
}

fn text(message: &Text<'_>) -> Said {
    // Plain structs of strings and numbers: serialising cannot fail.
    Said(serde_json::to_string(message).expect("a relay message serialises"))
}

impl Said {
    pub(crate) fn error(code: &str, message: &str) -> Said {
        text(&Text::Error { code, message })
    }
    pub(crate) fn notice(notice: &Notice) -> Said {
        text(&Text::Notice {
            code: notice.code(),
            message: &notice.to_string(),
        })
    }
    pub(crate) fn dropped(error: &RelayError) -> Said {
        text(&Text::Error {
            code: error.code(),
            message: &error.to_string(),
        })
    }
    pub(crate) fn joined(config: &RelayConfig) -> Said {
        text(&Text::Joined {
            limits: published_limits(config),
        })
    }
}

/// The limits document (`GET /relay/limits`, and in `joined`) of a relay
/// with `config`.
pub fn published_limits(config: &RelayConfig) -> PublishedLimits {
    PublishedLimits {
        max_events_per_network: config.limits.max_events,
        max_bytes_per_network: config.limits.max_bytes,
        author_share_percent: config.limits.author_share,
        frames_per_second: config.frame_rate.per_second,
        frames_burst: config.frame_rate.burst,
        bytes_per_second: config.bytes_rate.per_second,
        bytes_burst: config.bytes_rate.burst,
        author_events_per_minute: config.limits.author_rate.per_minute,
        author_events_burst: config.limits.author_rate.burst,
        max_frame_bytes: trustfold::sync::MAX_FRAME as u64,
        window_bytes: config.limits.session.window as u64,
        idle_release_seconds: config.idle.as_secs(),
        evicts_events: false,
    }
}

/// A running relay: its database and the networks loaded.
pub struct Relay {
    hub: Arc<hub::Hub>,
}

impl Relay {
    /// Opens the database at `config.path` and starts releasing idle
    /// networks (needs a Tokio runtime).
    pub fn open(config: RelayConfig) -> std::io::Result<Relay> {
        let db = store::RelayDb::open(&config.path).map_err(std::io::Error::other)?;
        let hub = Arc::new(hub::Hub::new(db, config, None)?);
        Ok(Relay::start(hub))
    }

    /// [`open`](Self::open), sharing every network's events with the other
    /// instances through the JetStream of `config.nats` (if set).
    pub async fn open_shared(config: RelayConfig) -> std::io::Result<Relay> {
        let shared = match &config.nats {
            Some(urls) => {
                let settings = jetstream::StreamSettings {
                    max_events: config.limits.max_events,
                    // Not reserved in JetStream (it would reserve the
                    // quota of every network ever written): the relay
                    // enforces the bytes quota.
                    max_bytes: None,
                    replicas: config.nats_replicas,
                    ..jetstream::StreamSettings::default()
                };
                let js = jetstream::JetStream::connect(urls, settings)
                    .await
                    .map_err(std::io::Error::other)?;
                Some(js)
            }
            None => None,
        };
        let db = store::RelayDb::open(&config.path).map_err(std::io::Error::other)?;
        let hub = Arc::new(hub::Hub::new(db, config, shared)?);
        Ok(Relay::start(hub))
    }

    fn start(hub: Arc<hub::Hub>) -> Relay {
        let weak = Arc::downgrade(&hub);
        tokio::spawn(async move {
            let every = Duration::from_secs(5);
            loop {
                tokio::time::sleep(every).await;
                let Some(hub) = weak.upgrade() else { return };
                hub.release_idle();
            }
        });
        Relay { hub }
    }

    /// Networks loaded in memory now.
    pub fn loaded(&self) -> usize {
        self.hub.loaded()
    }

    /// Tells every client the server stops, after the turn it is in
    /// ([`crate::serve_until`]).
    pub(crate) fn stop(&self) {
        self.hub.stopping.stop();
    }

    /// What `/metrics` and `/readyz` read.
    pub(crate) fn hub(&self) -> &Arc<hub::Hub> {
        &self.hub
    }

    /// The routes: `/relay` (the WebSocket) and `/relay/limits`.
    pub(crate) fn routes(&self) -> Router {
        Router::new()
            .route("/relay", get(connection::upgrade))
            .route("/relay/limits", get(limits))
            .with_state(self.hub.clone())
    }
}

async fn limits(State(hub): State<Arc<hub::Hub>>) -> Json<PublishedLimits> {
    Json(published_limits(hub.config()))
}

/// The routes of a server that runs no relay (`--no-relay`): `/relay`
/// upgrades only to say so — `{"type":"error","code":"NO_RELAY",…}`, then
/// a close — so a page tells "no relay here" from "relay unreachable";
/// `/relay/limits` is not found.
pub(crate) fn absent_routes() -> Router {
    Router::new().route("/relay", get(absent))
}

async fn absent(ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(|mut socket| async move {
        let said = Said::error("NO_RELAY", "this server runs no relay");
        let say = async {
            socket.send(Message::Text(said.into())).await?;
            socket.send(Message::Close(None)).await
        };
        let _ = tokio::time::timeout(CLOSE_GRACE, say).await;
    })
}

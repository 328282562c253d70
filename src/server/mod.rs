//! The signalling server: WebSocket rooms named by network.
//!
//! It relays signalling messages (WebRTC offers, answers, ICE candidates)
//! between members of one room, and nothing else. Peers sign what they
//! send with their identity keys and check what they receive, so the
//! server cannot impersonate anyone; it only learns who is in a room. It
//! also serves the built page, so one process is all a deployment needs.
//!
//! Protocol (JSON text frames): a client's first message joins one room,
//! `{"type":"join","room":"…"}`, and is answered `{"type":"joined","id":n,
//! "peers":[…]}`; members hear `peer-joined` and `peer-left`; `{"type":
//! "signal","to":n,"data":…}` reaches member `n` as `{"type":"signal",
//! "from":m,"data":…}`. Limits, each with a clear error: frame size,
//! members per room, rooms, messages per second per connection. A client
//! that breaks a rule gets `{"type":"error","code":…}` and is closed; the
//! others notice nothing.

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use tokio::net::TcpListener;
use tokio::sync::mpsc;

/// What one server allows.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest frame a client may send, in bytes.
    pub max_frame: usize,
    /// Members per room.
    pub max_members: usize,
    /// Rooms at once.
    pub max_rooms: usize,
    /// Sustained messages per second per connection…
    pub messages_per_second: f64,
    /// …and the burst allowed above it.
    pub burst: f64,
    /// Longest room name, in bytes.
    pub max_room_name: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_frame: 64 * 1024,
            max_members: 64,
            max_rooms: 10_000,
            messages_per_second: 50.0,
            burst: 200.0,
            max_room_name: 64,
        }
    }
}

/// Messages queued for one slow client before it is dropped.
const QUEUE: usize = 512;
/// How long a closed client may take to acknowledge the close.
const CLOSE_GRACE: std::time::Duration = std::time::Duration::from_secs(2);

type Members = HashMap<u64, mpsc::Sender<String>>;

/// The server's shared state: rooms and their members.
#[derive(Default)]
pub struct Rooms {
    rooms: Mutex<HashMap<String, Members>>,
    next_id: AtomicU64,
    limits: Limits,
}

impl Rooms {
    /// No rooms yet, under `limits`.
    pub fn new(limits: Limits) -> Arc<Rooms> {
        Arc::new(Rooms {
            limits,
            ..Rooms::default()
        })
    }

    /// How many rooms exist now.
    pub fn room_count(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Members>> {
        // A panic while holding the lock cannot leave the map half-updated
        // (each update is one insert or remove), so a poisoned lock is usable.
        self.rooms.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
enum FromClient {
    Join { room: String },
    Signal { to: u64, data: Value },
}

/// The app: `/signal` upgrades to the WebSocket protocol above; every other
/// path is a file of `site` (the built page), if given.
pub fn app(rooms: Arc<Rooms>, site: Option<PathBuf>) -> Router {
    let router = Router::new()
        .route("/signal", get(upgrade))
        .with_state(rooms);
    match site {
        Some(dir) => router.fallback_service(tower_http::services::ServeDir::new(dir)),
        None => router,
    }
}

/// Serves `app` on `listener` until the process ends.
pub async fn serve(listener: TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(listener, app).await
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
    let app = app(Rooms::new(limits), site);
    tokio::spawn(async move {
        if let Err(e) = serve(listener, app).await {
            tracing::error!("server stopped: {e}");
        }
    });
    Ok(bound)
}

async fn upgrade(ws: WebSocketUpgrade, State(rooms): State<Arc<Rooms>>) -> Response {
    let max = rooms.limits.max_frame;
    ws.max_message_size(max)
        .max_frame_size(max)
        .on_upgrade(move |socket| member(socket, rooms))
}

fn error(code: &str, message: &str) -> String {
    json!({ "type": "error", "code": code, "message": message }).to_string()
}

/// A token bucket: `rate` per second, up to `burst` at once.
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn take(&mut self, limits: &Limits) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.at).as_secs_f64() * limits.messages_per_second;
        self.tokens = (self.tokens + refill).min(limits.burst);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

fn valid_room(name: &str, limits: &Limits) -> bool {
    !name.is_empty()
        && name.len() <= limits.max_room_name
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// One connection, from upgrade to close.
async fn member(socket: WebSocket, rooms: Arc<Rooms>) {
    let id = rooms.next_id.fetch_add(1, Ordering::Relaxed);
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::channel::<String>(QUEUE);
    let writer = tokio::spawn(async move {
        while let Some(text) = rx.recv().await {
            if sink.send(Message::Text(text.into())).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let limits = rooms.limits.clone();
    let mut bucket = Bucket {
        tokens: limits.burst,
        at: Instant::now(),
    };
    let mut room: Option<String> = None;
    // Every rule broken ends the loop with the error to send.
    let failure = loop {
        let text = match stream.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Binary(_))) => {
                break Some(error("BINARY", "frames must be JSON text"));
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            // Closed, or a protocol error (a frame over the size limit).
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break None,
        };
        if !bucket.take(&limits) {
            break Some(error("RATE_LIMITED", "too many messages per second"));
        }
        let message = match serde_json::from_str::<FromClient>(&text) {
            Ok(message) => message,
            Err(e) => break Some(error("MALFORMED", &e.to_string())),
        };
        match message {
            FromClient::Join { room: name } => {
                if room.is_some() {
                    break Some(error("ONE_ROOM", "a connection joins one room"));
                }
                if !valid_room(&name, &limits) {
                    break Some(error(
                        "BAD_ROOM",
                        "room names are 1–64 letters, digits, '-', '_' or '.'",
                    ));
                }
                let peers = {
                    let mut all = rooms.lock();
                    if !all.contains_key(&name) && all.len() >= limits.max_rooms {
                        break Some(error("TOO_MANY_ROOMS", "the server is full"));
                    }
                    let members = all.entry(name.clone()).or_default();
                    if members.len() >= limits.max_members {
                        if members.is_empty() {
                            all.remove(&name);
                        }
                        break Some(error("ROOM_FULL", "this room is full"));
                    }
                    let peers: Vec<u64> = members.keys().copied().collect();
                    let joined = json!({ "type": "peer-joined", "id": id }).to_string();
                    for member in members.values() {
                        let _ = member.try_send(joined.clone());
                    }
                    members.insert(id, tx.clone());
                    peers
                };
                room = Some(name);
                let _ =
                    tx.try_send(json!({ "type": "joined", "id": id, "peers": peers }).to_string());
            }
            FromClient::Signal { to, data } => {
                let Some(name) = &room else {
                    break Some(error("NOT_IN_ROOM", "join a room first"));
                };
                let target = rooms.lock().get(name).and_then(|m| m.get(&to).cloned());
                match target {
                    Some(target) => {
                        let relayed = json!({ "type": "signal", "from": id, "data": data });
                        // A member too slow to take its messages misses them.
                        let _ = target.try_send(relayed.to_string());
                    }
                    None => {
                        let _ = tx.try_send(error("NO_SUCH_PEER", "no such member in this room"));
                    }
                }
            }
        }
    };
    if let Some(name) = room {
        let mut all = rooms.lock();
        if let Some(members) = all.get_mut(&name) {
            members.remove(&id);
            let left = json!({ "type": "peer-left", "id": id }).to_string();
            for member in members.values() {
                let _ = member.try_send(left.clone());
            }
            if members.is_empty() {
                all.remove(&name);
            }
        }
    }
    let failed = failure.is_some();
    if let Some(text) = failure {
        tracing::info!("closing connection {id}: {text}");
        let _ = tx.send(text).await;
    }
    drop(tx);
    let _ = writer.await;
    if failed {
        // Read (and drop) what the client still sends until it closes, for
        // a while: closing with unread data resets the connection, and the
        // client would lose the error before reading it.
        let drain = async { while let Some(Ok(_)) = stream.next().await {} };
        let _ = tokio::time::timeout(CLOSE_GRACE, drain).await;
    }
}

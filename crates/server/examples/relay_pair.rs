//! `relay_pair [--addr 127.0.0.1:0]`: a stand-in for the relay's `/relay`
//! WebSocket endpoint, **for tests only** — the browser tests of
//! `RelayLink` (`crates/web/tests/relay.rs`, started by
//! `scripts/test-wasm.sh`) until the real relay (issue #14) serves
//! `/relay`. An example, so no build of the server binary contains it.
//!
//! It speaks the page side of the contract (`docs/relay-protocol.md`): the
//! first message must be `{"type":"join","room":…,"private":…}`, a private
//! room must be 64 lowercase hex digits (else `BAD_ROOM`), and a client
//! hears `{"type":"joined","limits":{…}}` (the real relay's default
//! limits document). Instead of storing and serving
//! events it **pairs** the first two clients of a room (by room and
//! `private`): both hear `joined` once the second one has joined, every
//! binary message of one goes to the other, and when one's socket ends the
//! other's is closed. So two `RelayLink`s in one page are linked to each
//! other as two WebRTC peers are, and the transport conformance suite runs
//! over real WebSockets in Chromium. A third client of a room is refused
//! (`ROOM_FULL`). Rooms named for a test's purpose:
//!
//! * `refuse-…`: answered `{"type":"error","code":"NETWORK_FULL",…}`, then closed;
//! * `notice-…`: after `joined`, both hear a notice as the real relay
//!   sends it, `{"type":"notice","code":"author_quota",…}`, and stay linked.
//!
//! Prints `relay_pair at http://ADDR/` once listening.

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};
use trustfold_server::relay::{RelayConfig, published_limits};

/// What a client's writer does next.
enum Out {
    Send(Message),
    Close,
}

type Key = (String, bool);

struct Member {
    id: u64,
    out: UnboundedSender<Out>,
}

#[derive(Default)]
struct Rooms {
    next_id: u64,
    rooms: HashMap<Key, Vec<Member>>,
}

type Shared = Arc<Mutex<Rooms>>;

fn error(code: &str, message: &str) -> Message {
    let text = serde_json::json!({ "type": "error", "code": code, "message": message });
    Message::Text(text.to_string().into())
}

fn joined() -> Message {
    let limits = published_limits(&RelayConfig::default());
    let text = serde_json::json!({ "type": "joined", "limits": limits });
    Message::Text(text.to_string().into())
}

/// The room of a join message, checked as the contract says.
fn join(text: &str) -> Result<Key, Message> {
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|_| error("BAD_JOIN", "not JSON"))?;
    if value["type"] != "join" {
        return Err(error("BAD_JOIN", "the first message must be a join"));
    }
    let (Some(room), Some(private)) = (value["room"].as_str(), value["private"].as_bool()) else {
        return Err(error(
            "BAD_JOIN",
            "a join names a room and says if it is private",
        ));
    };
    let hex = room.len() == 64 && room.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if room.is_empty() || room.len() > 64 || (private && !hex) {
        return Err(error("BAD_ROOM", "not a room"));
    }
    Ok((room.to_owned(), private))
}

async fn upgrade(ws: WebSocketUpgrade, State(rooms): State<Shared>) -> Response {
    ws.on_upgrade(move |socket| client(socket, rooms))
}

async fn client(socket: WebSocket, rooms: Shared) {
    let (mut sink, mut stream) = socket.split();
    let (out, mut queue) = unbounded_channel::<Out>();
    let writer = tokio::spawn(async move {
        while let Some(next) = queue.recv().await {
            match next {
                Out::Send(message) => {
                    if sink.send(message).await.is_err() {
                        break;
                    }
                }
                Out::Close => break,
            }
        }
        let _ = sink.close().await;
    });
    let first = tokio::time::timeout(Duration::from_secs(10), stream.next()).await;
    let key = match first {
        Ok(Some(Ok(Message::Text(text)))) => join(&text),
        _ => Err(error("BAD_JOIN", "the first message must be a join")),
    };
    let key = match key {
        Ok((room, _)) if room.starts_with("refuse-") => {
            Err(error("NETWORK_FULL", "refused for a test"))
        }
        other => other,
    };
    let key = match key {
        Ok(key) => key,
        Err(refusal) => {
            let _ = out.send(Out::Send(refusal));
            let _ = out.send(Out::Close);
            let _ = writer.await;
            return;
        }
    };
    let id = {
        let mut shared = rooms.lock().unwrap();
        shared.next_id += 1;
        let id = shared.next_id;
        let members = shared.rooms.entry(key.clone()).or_default();
        if members.len() >= 2 {
            let _ = out.send(Out::Send(error("ROOM_FULL", "two clients a room")));
            let _ = out.send(Out::Close);
            None
        } else {
            members.push(Member {
                id,
                out: out.clone(),
            });
            if members.len() == 2 {
                for member in members.iter() {
                    let _ = member.out.send(Out::Send(joined()));
                    if key.0.starts_with("notice-") {
                        let notice = serde_json::json!({
                            "type": "notice",
                            "code": "author_quota",
                            "message": "a notice for a test",
                        });
                        let notice = Message::Text(notice.to_string().into());
                        let _ = member.out.send(Out::Send(notice));
                    }
                }
            }
            Some(id)
        }
    };
    let Some(id) = id else {
        let _ = writer.await;
        return;
    };
    while let Some(Ok(message)) = stream.next().await {
        match message {
            Message::Binary(bytes) => {
                let shared = rooms.lock().unwrap();
                let members = shared
                    .rooms
                    .get(&key)
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                if members.len() == 2 {
                    for member in members.iter().filter(|m| m.id != id) {
                        let _ = member.out.send(Out::Send(Message::Binary(bytes.clone())));
                    }
                }
            }
            Message::Close(_) => break,
            _ => {}
        }
    }
    // Gone: the other end's link goes down too.
    {
        let mut shared = rooms.lock().unwrap();
        if let Some(members) = shared.rooms.get_mut(&key) {
            members.retain(|m| m.id != id);
            for member in members.iter() {
                let _ = member.out.send(Out::Close);
            }
            members.clear();
            shared.rooms.remove(&key);
        }
    }
    let _ = out.send(Out::Close);
    let _ = writer.await;
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut addr = "127.0.0.1:0".to_owned();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--addr", Some(value)) => addr = value,
            _ => {
                eprintln!("usage: relay_pair [--addr 127.0.0.1:0]");
                std::process::exit(2);
            }
        }
    }
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("relay_pair at http://{}/", listener.local_addr()?);
    let app = Router::new()
        .route("/relay", get(upgrade))
        .with_state(Shared::default());
    axum::serve(listener, app).await
}

//! Honest clients of the relay, shared by its tests and benchmarks: a
//! real core node (`trustfold::Node`, in memory) syncing with the relay
//! over a WebSocket transport ([`Link`], what the page's web-sys transport
//! does), from a chosen loopback address if asked, and the helpers under
//! it (joining, reading in the background, waiting for convergence).
//! [`load`] runs many of them against the real server binary.
//! `tests/relay_byzantine.rs` and `tests/relay_load.rs` use it as `mod
//! relay_support`; `benches/relay_load.rs` includes it by path.
//!
//! Native only; every wait is bounded by [`PATIENCE`].
#![allow(dead_code)]

pub mod load;

use futures_util::stream::SplitStream;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::hash::{BuildHasher, Hasher};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{WebSocketStream, client_async};
use trustfold::Node;
use trustfold::event::{Event, EventId};
use trustfold::invite::Invite;
use trustfold::store::MemoryStore;
use trustfold::testing::{key, pay};
use trustfold::transport::{Transport, TransportError, TransportEvent};

/// How long anything the tests wait for may take.
pub const PATIENCE: Duration = Duration::from_secs(10);
/// The peer name of the relay in an honest node.
pub const RELAY: &str = "relay";

/// The relay's key of open network `room` (its row in the database).
pub fn open_key(room: &str) -> String {
    format!("open:{room}")
}

pub fn private_key(invite: &Invite) -> String {
    format!("private:{}", invite.keys().network().to_hex())
}

// ---------------------------------------------------------------------------
// Clients.

/// Fresh randomness for session salts and nonces.
pub fn random16() -> [u8; 16] {
    let mut out = [0u8; 16];
    for chunk in out.chunks_mut(8) {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(0);
        chunk.copy_from_slice(&hasher.finish().to_le_bytes());
    }
    out
}

/// A WebSocket to the relay from a socket with `recv_buffer` bytes of
/// receive buffer, if given.
pub async fn socket(addr: SocketAddr, recv_buffer: Option<u32>) -> WebSocketStream<TcpStream> {
    socket_from(addr, None, recv_buffer).await
}

/// [`socket`] from the loopback address `from` (e.g. 127.0.0.2), if given:
/// the server counts its per-address limits by it, as it would real
/// clients' addresses.
pub async fn socket_from(
    addr: SocketAddr,
    from: Option<Ipv4Addr>,
    recv_buffer: Option<u32>,
) -> WebSocketStream<TcpStream> {
    let tcp = TcpSocket::new_v4().unwrap();
    if let Some(ip) = from {
        tcp.bind((ip, 0).into()).unwrap();
    }
    if let Some(size) = recv_buffer {
        tcp.set_recv_buffer_size(size).unwrap();
    }
    let stream = tcp.connect(addr).await.unwrap();
    let request = format!("ws://{addr}/relay").into_client_request().unwrap();
    client_async(request, stream).await.unwrap().0
}

pub fn join_text(room: &str, private: bool) -> Ws {
    Ws::Text(
        json!({ "type": "join", "room": room, "private": private })
            .to_string()
            .into(),
    )
}

/// Reads until a TEXT message; `None` once closed (or after [`PATIENCE`]).
pub async fn next_text(stream: &mut SplitStream<WebSocketStream<TcpStream>>) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match tokio::time::timeout_at(deadline, stream.next()).await {
            Ok(Some(Ok(Ws::Text(text)))) => return Some(serde_json::from_str(&text).unwrap()),
            Ok(Some(Ok(Ws::Close(_)) | Err(_)) | None) | Err(_) => return None,
            Ok(Some(Ok(_))) => continue,
        }
    }
}

/// What a client heard from the relay, read in the background so it never
/// becomes a slow reader.
#[derive(Default)]
pub struct Heard {
    pub texts: Mutex<Vec<Value>>,
    pub binary: AtomicU64,
    pub closed: AtomicBool,
}

impl Heard {
    pub fn texts(&self) -> Vec<Value> {
        self.texts.lock().unwrap().clone()
    }

    pub fn codes(&self, kind: &str) -> Vec<String> {
        self.texts()
            .iter()
            .filter(|t| t["type"] == kind)
            .map(|t| t["code"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub fn closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }
}

/// Sees every binary message as it comes off the socket, before the node
/// does (the load benchmark times arrivals with it).
pub type Observer = Box<dyn FnMut(&[u8]) + Send>;

/// Reads `stream` until it closes, into `heard`; `frames` gets the binary
/// messages, if given.
pub fn read_into(
    stream: SplitStream<WebSocketStream<TcpStream>>,
    heard: Arc<Heard>,
    frames: Option<mpsc::UnboundedSender<TransportEvent>>,
) {
    read_observed(stream, heard, frames, None)
}

/// [`read_into`], showing each binary message to `observe` first.
pub fn read_observed(
    mut stream: SplitStream<WebSocketStream<TcpStream>>,
    heard: Arc<Heard>,
    frames: Option<mpsc::UnboundedSender<TransportEvent>>,
    mut observe: Option<Observer>,
) {
    tokio::spawn(async move {
        while let Some(Ok(message)) = stream.next().await {
            match message {
                Ws::Text(text) => heard
                    .texts
                    .lock()
                    .unwrap()
                    .push(serde_json::from_str(&text).unwrap()),
                Ws::Binary(bytes) => {
                    heard.binary.fetch_add(1, Ordering::Relaxed);
                    if let Some(observe) = &mut observe {
                        observe(&bytes);
                    }
                    if let Some(frames) = &frames {
                        let _ = frames.send(TransportEvent::Frame(RELAY.into(), bytes.to_vec()));
                    }
                }
                Ws::Close(_) => break,
                _ => {}
            }
        }
        heard.closed.store(true, Ordering::Release);
        if let Some(frames) = &frames {
            let _ = frames.send(TransportEvent::Down(RELAY.into()));
        }
    });
}

/// An honest node's link to the relay: a [`Transport`] over the relay's
/// WebSocket (what the page's web-sys transport does), with one peer,
/// [`RELAY`].
pub struct Link {
    pub events: tokio::sync::Mutex<mpsc::UnboundedReceiver<TransportEvent>>,
    pub out: mpsc::UnboundedSender<Option<Vec<u8>>>,
    pub heard: Arc<Heard>,
}

impl Link {
    /// A link to the relay at `addr`, joined to `room`.
    pub async fn open(addr: SocketAddr, room: &str, private: bool) -> Link {
        Link::open_from(addr, None, room, private).await
    }

    /// [`open`](Self::open) from the loopback address `from`, if given.
    pub async fn open_from(
        addr: SocketAddr,
        from: Option<Ipv4Addr>,
        room: &str,
        private: bool,
    ) -> Link {
        Link::open_observed(addr, from, room, private, None).await
    }

    /// [`open_from`](Self::open_from), `observe` seeing every binary
    /// message as it arrives.
    pub async fn open_observed(
        addr: SocketAddr,
        from: Option<Ipv4Addr>,
        room: &str,
        private: bool,
        observe: Option<Observer>,
    ) -> Link {
        let mut ws = socket_from(addr, from, None).await;
        ws.send(join_text(room, private)).await.unwrap();
        let (mut sink, mut stream) = ws.split();
        let joined = next_text(&mut stream).await;
        assert_eq!(
            joined.as_ref().map(|j| j["type"].clone()),
            Some(json!("joined")),
            "{joined:?}"
        );
        let (events, rx) = mpsc::unbounded_channel();
        events.send(TransportEvent::Up(RELAY.into())).unwrap();
        let heard = Arc::new(Heard::default());
        read_observed(stream, heard.clone(), Some(events), observe);
        let (out, mut frames) = mpsc::unbounded_channel::<Option<Vec<u8>>>();
        tokio::spawn(async move {
            while let Some(Some(frame)) = frames.recv().await {
                if sink.send(Ws::Binary(frame.into())).await.is_err() {
                    return;
                }
            }
            let _ = sink.close().await;
        });
        Link {
            events: tokio::sync::Mutex::new(rx),
            out,
            heard,
        }
    }
}

impl Transport for Link {
    async fn send(&self, peer: &str, frame: Vec<u8>) -> Result<(), TransportError> {
        if self.heard.closed() {
            return Err(TransportError::NotConnected(peer.into()));
        }
        self.out
            .send(Some(frame))
            .map_err(|_| TransportError::NotConnected(peer.into()))
    }

    async fn next(&self) -> Option<TransportEvent> {
        self.events.lock().await.recv().await
    }

    fn close(&self, _peer: &str) {
        let _ = self.out.send(None);
    }
}

/// An honest client: a real node (in memory) linked to the relay.
pub struct Honest {
    pub node: Node<MemoryStore>,
    pub link: Link,
    pub network: String,
    pub who: u8,
    pub next_amount: std::cell::Cell<u64>,
}

impl Honest {
    /// Identity `who` (secret `[who; 32]`) joins open network `room` of
    /// the relay at `addr`.
    pub async fn open(addr: SocketAddr, room: &str, who: u8) -> Honest {
        Honest::open_as(addr, None, room, [who; 32], who, None).await
    }

    /// The identity of `secret` joins open network `room` of the relay at
    /// `addr`, from the loopback address `from` if given; its payments go
    /// to `key(who + 100)`; `observe` sees every binary message as it
    /// arrives.
    pub async fn open_as(
        addr: SocketAddr,
        from: Option<Ipv4Addr>,
        room: &str,
        secret: [u8; 32],
        who: u8,
        observe: Option<Observer>,
    ) -> Honest {
        let (node, _) = Node::open_in(MemoryStore::new(), None, None, move || secret)
            .await
            .unwrap();
        Honest {
            node,
            link: Link::open_observed(addr, from, room, false, observe).await,
            network: open_key(room),
            who,
            next_amount: 1.into(),
        }
    }

    /// Identity `who` joins the private network of `invite`.
    pub async fn private(addr: SocketAddr, invite: &Invite, who: u8) -> Honest {
        let (node, _) = Node::open_in(MemoryStore::new(), Some(invite.clone()), None, move || {
            [who; 32]
        })
        .await
        .unwrap();
        let room = invite.keys().network().to_hex();
        Honest {
            node,
            link: Link::open(addr, &room, true).await,
            network: private_key(invite),
            who,
            next_amount: 1.into(),
        }
    }

    /// Publishes `n` payments and pushes them to the relay.
    pub async fn write(&self, n: usize) -> Vec<EventId> {
        let mut ids = Vec::new();
        for _ in 0..n {
            let amount = self.next_amount.get();
            self.next_amount.set(amount + 1);
            let to = key(self.who.wrapping_add(100));
            let event = self
                .node
                .publish(amount, pay(to, amount, "EUR"))
                .await
                .unwrap();
            ids.push(event.id());
            let frames = self.node.push_to_peers(std::slice::from_ref(&event));
            trustfold::send_all(&self.link, frames).await;
        }
        ids
    }

    pub fn len(&self) -> usize {
        self.node.replica().log().len()
    }

    /// This client's own events not in `known`.
    pub fn written_since(&self, known: &[EventId]) -> Vec<EventId> {
        let replica = self.node.replica();
        let me = self.node.identity().public_key();
        let log = replica.log();
        (0..log.len() as u32)
            .map(|ix| log.entry(ix).event())
            .filter(|e| e.author() == me && !known.contains(&e.id()))
            .map(Event::id)
            .collect()
    }

    pub fn holds(&self, ids: &[EventId]) -> bool {
        let replica = self.node.replica();
        ids.iter().all(|id| replica.log().contains(id))
    }

    /// Closes the link and waits (bounded) until the relay closed its end.
    pub async fn leave(self) {
        self.link.close(RELAY);
        let deadline = Instant::now() + PATIENCE;
        while !self.link.heard.closed() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(self.link.heard.closed());
    }

    /// Whether the relay dropped or refused this client (it is honest: it
    /// must never be).
    pub fn assert_unharmed(&self) {
        assert!(
            !self.link.heard.closed(),
            "the relay closed an honest client"
        );
        let errors = self.link.heard.codes("error");
        assert!(errors.is_empty(), "an honest client heard {errors:?}");
    }
}

/// Runs the honest clients' sync loops until `done` (checked every 20 ms)
/// or `within`; whether `done` held.
pub async fn settle(clients: &[&Honest], within: Duration, done: impl Fn() -> bool) -> bool {
    let syncs = futures_util::future::join_all(
        clients
            .iter()
            .map(|c| c.node.sync_over(&c.link, random16, |_| {})),
    );
    let deadline = Instant::now() + within;
    let check = async {
        loop {
            if done() {
                return true;
            }
            if Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    tokio::select! {
        _ = syncs => done(),
        done = check => done,
    }
}

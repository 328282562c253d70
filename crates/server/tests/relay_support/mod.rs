//! What the relay's tests against the running server share: honest
//! clients — real core nodes (`trustfold::Node`) syncing with the relay
//! over a WebSocket transport ([`Link`]) — what they heard, including every
//! event the relay announced to them ([`Announced`]), and checks of the
//! relay's SQLite file read back from scratch ([`check_store`]).
//!
//! Used by `relay_byzantine.rs` (the server in process),
//! `relay_crash.rs` (the server binary, killed and restarted) and
//! `relay_load.rs`; [`load`] runs many honest clients against the server
//! binary, for that test and for `benches/relay_load.rs`, which includes
//! this module by path.
#![allow(dead_code)]

pub mod load;
mod server;
#[allow(unused_imports)] // not every test runs the binary
pub use server::Server;

use futures_util::stream::SplitStream;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasher, Hasher};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message as Ws;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{WebSocketStream, client_async};
use trustfold::event::encoding::event_len;
use trustfold::event::validate::{
    decode_change, validate_chain, validate_doc_dependencies, validate_references,
};
use trustfold::event::{Event, EventId, PublicKey};
use trustfold::invite::Invite;
use trustfold::store::MemoryStore;
use trustfold::sync::{Dag, Framer, Message};
use trustfold::testing::{key, pay};
use trustfold::transport::{Transport, TransportError, TransportEvent};
use trustfold::{Admitted, Body, Node};
use trustfold_server::relay::store::RelayDb;

/// How long anything the tests wait for may take.
pub const PATIENCE: Duration = Duration::from_secs(10);
/// The peer name of the relay in an honest node.
pub const RELAY: &str = "relay";

/// Reads every network of the relay's file and checks every event in it
/// as a page would, knowing nothing the relay knows: its id is the hash of
/// its bytes, it verifies (signature and form), it is admitted (an open
/// network holds clear events; a private one sealed events tagged by its
/// identity), its parents are stored before it with the indexes recorded,
/// and it keeps every rule against them (the author's chain; references
/// and document dependencies for a clear event). Panics on anything else.
pub fn check_store(path: &Path) -> HashMap<String, Vec<EventId>> {
    let db = RelayDb::open(path).unwrap();
    let mut out = HashMap::new();
    for (room, counts) in db.networks().unwrap() {
        let store = db.existing_network(&room).unwrap().unwrap();
        let view = store.view().unwrap();
        let admission = match room.strip_prefix("private:") {
            Some(hex) => Some((PublicKey::from_hex(hex).unwrap(), Admitted::default())),
            None => {
                assert!(room.starts_with("open:"), "{room}");
                None
            }
        };
        let mut events: HashMap<EventId, Event> = HashMap::new();
        let mut ids = Vec::new();
        let mut bytes_total = 0u64;
        for ix in 0..view.event_count() as u32 {
            let bytes = view.bytes(ix);
            let id = view.id(ix);
            assert_eq!(EventId::of_bytes(&bytes), id, "{room} {ix}: id");
            let event = Event::from_bytes(&bytes)
                .unwrap_or_else(|e| panic!("{room} {ix}: stored an invalid event: {e}"));
            match &admission {
                None => assert!(!event.is_sealed(), "{room} {ix}: sealed in an open network"),
                Some((network, admitted)) => {
                    assert!(event.is_sealed(), "{room} {ix}: clear in a private network");
                    admitted
                        .check(network, &event)
                        .unwrap_or_else(|e| panic!("{room} {ix}: not admitted: {e}"));
                }
            }
            let parents = view.parents(ix);
            assert_eq!(parents.len(), event.parents().len(), "{room} {ix}: parents");
            for &p in parents.iter() {
                assert!(p < ix, "{room} {ix}: parent {p} after its child");
                assert!(event.parents().contains(&view.id(p)), "{room} {ix}");
            }
            let parent = |id: &EventId| events.get(id);
            validate_chain(&event, parent)
                .unwrap_or_else(|e| panic!("{room} {ix}: breaks its chain: {e}"));
            if !event.is_sealed() {
                validate_references(&event, parent)
                    .unwrap_or_else(|e| panic!("{room} {ix}: bad reference: {e}"));
                validate_doc_dependencies(&event, |id| match events.get(id)?.body() {
                    Body::Doc { doc, change } => Some((*doc, decode_change(change).ok()?.hash().0)),
                    _ => None,
                })
                .unwrap_or_else(|e| panic!("{room} {ix}: bad dependency: {e}"));
            }
            bytes_total += bytes.len() as u64;
            ids.push(id);
            events.insert(id, event);
        }
        assert_eq!(view.failed(), None, "{room}");
        assert_eq!(counts.total.events, ids.len() as u64, "{room}: counter");
        assert_eq!(counts.total.bytes, bytes_total, "{room}: counter");
        out.insert(room, ids);
    }
    out
}

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
    try_socket(addr, recv_buffer).await.unwrap()
}

/// [`socket`], or why it failed (the server is gone: `relay_crash.rs`
/// kills it at any moment).
pub async fn try_socket(
    addr: SocketAddr,
    recv_buffer: Option<u32>,
) -> Result<WebSocketStream<TcpStream>, String> {
    try_socket_from(addr, None, recv_buffer).await
}

/// [`try_socket`] from the loopback address `from` (e.g. 127.0.0.2), if
/// given: the server counts its per-address limits by it, as it would real
/// clients' addresses.
pub async fn try_socket_from(
    addr: SocketAddr,
    from: Option<Ipv4Addr>,
    recv_buffer: Option<u32>,
) -> Result<WebSocketStream<TcpStream>, String> {
    let tcp = TcpSocket::new_v4().map_err(|e| e.to_string())?;
    if let Some(ip) = from {
        tcp.bind((ip, 0).into()).map_err(|e| e.to_string())?;
    }
    if let Some(size) = recv_buffer {
        tcp.set_recv_buffer_size(size).map_err(|e| e.to_string())?;
    }
    let stream = tcp.connect(addr).await.map_err(|e| e.to_string())?;
    let request = format!("ws://{addr}/relay").into_client_request().unwrap();
    Ok(client_async(request, stream)
        .await
        .map_err(|e| e.to_string())?
        .0)
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

/// Every event the relay said it holds in the frames it sent one client
/// (over all its links): the heads of its `Hello`s, the tips its `Ack`s
/// name as held, and the events it sent. The relay may announce an event
/// only once it is durable, so after any crash each of these must still be
/// in its database (`relay_crash.rs`).
#[derive(Default)]
pub struct Announced {
    ids: Mutex<HashSet<EventId>>,
    /// Frames of the relay that did not decode (an honest relay sends none).
    undecodable: AtomicU64,
}

impl Announced {
    /// The ids announced so far.
    pub fn ids(&self) -> HashSet<EventId> {
        self.ids.lock().unwrap().clone()
    }

    /// Frames of the relay that did not decode.
    pub fn undecodable(&self) -> u64 {
        self.undecodable.load(Ordering::Relaxed)
    }

    /// Takes one frame the relay sent (`framer`: the link's, which
    /// reassembles messages sent in parts).
    fn take(&self, framer: &mut Framer, frame: &[u8]) {
        let message = match framer.decode(frame) {
            Ok(Some(message)) => message,
            Ok(None) => return,
            Err(_) => {
                self.undecodable.fetch_add(1, Ordering::Relaxed);
                return;
            }
        };
        let mut ids = self.ids.lock().unwrap();
        match message {
            Message::Hello { heads, .. } => ids.extend(heads),
            Message::Ack { held, .. } => ids.extend(held),
            Message::Events { events, .. } => {
                let mut rest = &events[..];
                while let Some(len) = event_len(rest).filter(|&len| len <= rest.len()) {
                    let (event, tail) = rest.split_at(len);
                    ids.insert(EventId::of_bytes(event));
                    rest = tail;
                }
                if !rest.is_empty() {
                    self.undecodable.fetch_add(1, Ordering::Relaxed);
                }
            }
            // A `Want` names what the relay lacks; `Answered` names nothing.
            Message::Want { .. }
            | Message::Answered { .. }
            | Message::Have { .. }
            | Message::Pull { .. }
            | Message::Prune => {}
        }
    }
}

/// Sees every binary message as it comes off the socket, before the node
/// does (the load benchmark times arrivals with it).
pub type Observer = Box<dyn FnMut(&[u8]) + Send>;

/// Reads `stream` until it closes, into `heard`; `frames` gets the binary
/// messages, if given, and `announced` what they announce.
pub fn read_into(
    stream: SplitStream<WebSocketStream<TcpStream>>,
    heard: Arc<Heard>,
    frames: Option<(mpsc::UnboundedSender<TransportEvent>, Arc<Announced>)>,
) {
    read_observed(stream, heard, frames, None)
}

/// [`read_into`], showing each binary message to `observe` first.
pub fn read_observed(
    mut stream: SplitStream<WebSocketStream<TcpStream>>,
    heard: Arc<Heard>,
    frames: Option<(mpsc::UnboundedSender<TransportEvent>, Arc<Announced>)>,
    mut observe: Option<Observer>,
) {
    tokio::spawn(async move {
        let mut framer = Framer::default();
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
                    if let Some((frames, announced)) = &frames {
                        announced.take(&mut framer, &bytes);
                        let _ = frames.send(TransportEvent::Frame(RELAY.into(), bytes.to_vec()));
                    }
                }
                Ws::Close(_) => break,
                _ => {}
            }
        }
        heard.closed.store(true, Ordering::Release);
        if let Some((frames, _)) = &frames {
            let _ = frames.send(TransportEvent::Down(RELAY.into()));
        }
    });
}

/// An honest node's link to the relay: a [`Transport`] over the relay's
/// WebSocket (what the page's web-sys transport does), with one peer,
/// [`RELAY`].
pub struct Link {
    events: tokio::sync::Mutex<mpsc::UnboundedReceiver<TransportEvent>>,
    out: mpsc::UnboundedSender<Option<Vec<u8>>>,
    pub heard: Arc<Heard>,
    /// What the relay announced on this link (and the client's others).
    pub announced: Arc<Announced>,
}

impl Link {
    /// Joins `room` at the relay of `addr`.
    pub async fn open(addr: SocketAddr, room: &str, private: bool) -> Link {
        Link::try_open(addr, room, private, Arc::default())
            .await
            .unwrap()
    }

    /// [`open`](Self::open), recording what the relay announces into
    /// `announced`; or why the join failed.
    pub async fn try_open(
        addr: SocketAddr,
        room: &str,
        private: bool,
        announced: Arc<Announced>,
    ) -> Result<Link, String> {
        Link::try_open_from(addr, None, room, private, announced, None).await
    }

    /// [`try_open`](Self::try_open) from the loopback address `from`, if
    /// given, `observe` seeing every binary message as it arrives.
    pub async fn try_open_from(
        addr: SocketAddr,
        from: Option<Ipv4Addr>,
        room: &str,
        private: bool,
        announced: Arc<Announced>,
        observe: Option<Observer>,
    ) -> Result<Link, String> {
        let mut ws = try_socket_from(addr, from, None).await?;
        ws.send(join_text(room, private))
            .await
            .map_err(|e| e.to_string())?;
        let (mut sink, mut stream) = ws.split();
        let joined = next_text(&mut stream).await;
        if joined.as_ref().map(|j| &j["type"]) != Some(&json!("joined")) {
            return Err(format!("not joined: {joined:?}"));
        }
        let (events, rx) = mpsc::unbounded_channel();
        events.send(TransportEvent::Up(RELAY.into())).unwrap();
        let heard = Arc::new(Heard::default());
        read_observed(
            stream,
            heard.clone(),
            Some((events, announced.clone())),
            observe,
        );
        let (out, mut frames) = mpsc::unbounded_channel::<Option<Vec<u8>>>();
        tokio::spawn(async move {
            while let Some(Some(frame)) = frames.recv().await {
                if sink.send(Ws::Binary(frame.into())).await.is_err() {
                    return;
                }
            }
            let _ = sink.close().await;
        });
        Ok(Link {
            events: tokio::sync::Mutex::new(rx),
            out,
            heard,
            announced,
        })
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
    /// The network's key in the relay's file (`open:…`, `private:…`).
    pub network: String,
    pub who: u8,
    pub next_amount: std::cell::Cell<u64>,
}

/// A node of identity `who` (in memory) in an open network, or in the
/// private network of `invite`.
pub async fn node(invite: Option<&Invite>, who: u8) -> Node<MemoryStore> {
    Node::open_in(MemoryStore::new(), invite.cloned(), None, move || [who; 32])
        .await
        .unwrap()
        .0
}

impl Honest {
    /// Identity `who` joins open network `room` at the relay of `addr`.
    pub async fn open(addr: SocketAddr, room: &str, who: u8) -> Honest {
        Honest {
            node: node(None, who).await,
            link: Link::open(addr, room, false).await,
            network: open_key(room),
            who,
            next_amount: 1.into(),
        }
    }

    /// The identity of `secret` joins open network `room` at the relay of
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
    ) -> Result<Honest, String> {
        let (node, _) = Node::open_in(MemoryStore::new(), None, None, move || secret)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Honest {
            node,
            link: Link::try_open_from(addr, from, room, false, Arc::default(), observe).await?,
            network: open_key(room),
            who,
            next_amount: 1.into(),
        })
    }

    /// Identity `who` joins the private network of `invite` at the relay
    /// of `addr`.
    pub async fn private(addr: SocketAddr, invite: &Invite, who: u8) -> Honest {
        let room = invite.keys().network().to_hex();
        Honest {
            node: node(Some(invite), who).await,
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

/// The ids stored in one network (no checks: [`check_store`] does them).
pub fn check_quick(path: &Path, key: &str) -> HashSet<EventId> {
    let db = RelayDb::open(path).unwrap();
    let Some(store) = db.existing_network(key).unwrap() else {
        return HashSet::new();
    };
    let view = store.view().unwrap();
    (0..view.event_count() as u32)
        .map(|ix| view.id(ix))
        .collect()
}

// ---------------------------------------------------------------------------
// Seeded randomness.

/// The seed of a seeded test: `TRUSTFOLD_SEED` if set (decimal or `0x…`
/// hex, as in the core's tests), else `default`.
pub fn seed(default: u64) -> u64 {
    let Ok(text) = std::env::var("TRUSTFOLD_SEED") else {
        return default;
    };
    let text = text.trim();
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    parsed.unwrap_or_else(|e| panic!("TRUSTFOLD_SEED={text:?} is not a u64: {e}"))
}

/// SplitMix64: reproducible randomness for a test (delays, choices).
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `low..=high`.
    pub fn between(&mut self, (low, high): (u64, u64)) -> u64 {
        low + self.next() % (high - low + 1)
    }
}

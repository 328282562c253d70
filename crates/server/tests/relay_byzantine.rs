//! A Byzantine client of the relay (issue #14), against the real server on
//! loopback: forged events, events not admitted, invalid-against-parent
//! chains, orphan floods, huge and garbage frames, frame floods, a fork
//! storm, quota floods and a reader that never reads. Each attack is
//! answered with its error (or notice), nothing invalid is stored or
//! served, and honest clients — real core nodes (`trustfold::Node`)
//! syncing with the relay over a WebSocket transport — of the same network
//! and of another keep working. After each test the relay's SQLite file is
//! read back and every event in it checked again from scratch.
//!
//! Native only; every loop is bounded in count and time.

mod relay_support;

use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message as Ws;
use trustfold::Body;
use trustfold::event::{Draft, Event, EventId, Identity, PublicKey};
use trustfold::invite::Invite;
use trustfold::relay::RelayLimits;
use trustfold::sync::{Framer, Message, OrphanLimits};
use trustfold::testing::{id, key, pay};
use trustfold_server::relay::store::RelayDb;
use trustfold_server::relay::{Relay, RelayConfig};
use trustfold_server::{Limits, Rate, Rooms, serve_with};

use relay_support::*;

// ---------------------------------------------------------------------------
// The server.

/// A directory of this test process's databases, emptied once per process.
fn fresh_path() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("relay-byzantine")
        .join(std::process::id().to_string());
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{}.sqlite", NEXT.fetch_add(1, Ordering::Relaxed)))
}

/// Small limits, so each is reached quickly.
fn small(path: PathBuf) -> RelayConfig {
    RelayConfig {
        path,
        limits: RelayLimits {
            max_events: 2_000,
            max_bytes: 8 << 20,
            author_share: 25,
            orphans: OrphanLimits {
                per_peer: 64,
                per_peer_bytes: 256 << 10,
                total: 256,
                total_bytes: 1 << 20,
                ..OrphanLimits::default()
            },
            ..RelayLimits::default()
        },
        frame_rate: Rate::new(400.0, 800.0),
        max_networks: 64,
        handshake_timeout: Duration::from_secs(3),
        idle_timeout: Duration::from_secs(30),
        ..RelayConfig::default()
    }
}

/// A running server with its relay.
struct Server {
    addr: SocketAddr,
    db: PathBuf,
}

impl Server {
    async fn start(tune: impl FnOnce(&mut RelayConfig)) -> Server {
        let db = fresh_path();
        let mut config = small(db.clone());
        tune(&mut config);
        let listener = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let rooms = Rooms::new(Limits {
            max_per_address: 1_000,
            max_connections: 2_000,
            address_joins: Rate::new(1_000.0, 1_000.0),
            ..Limits::default()
        });
        let relay = Relay::open(config).unwrap();
        tokio::spawn(async move {
            let _ = serve_with(listener, rooms, None, Some(relay)).await;
        });
        Server { addr, db }
    }

    /// Every event the relay stored, checked again from scratch (see
    /// [`check_store`]): network key → ids in index order.
    fn stored(&self) -> HashMap<String, Vec<EventId>> {
        check_store(&self.db)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // The server runs until the test's runtime ends; its file may go
        // now (an open file outlives its name).
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.db.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Honest clients of `key`'s network hold everything the relay stored
/// there, and the relay holds everything they wrote (`written`).
async fn converge(server: &Server, clients: &[&Honest], written: &[EventId]) {
    let key = &clients[0].network;
    let ok = settle(clients, PATIENCE, || {
        let stored = check_quick(&server.db, key);
        written.iter().all(|id| stored.contains(id))
            && clients.iter().all(|c| c.len() == stored.len())
    })
    .await;
    let stored = check_quick(&server.db, key);
    assert!(
        ok,
        "{key}: relay holds {} ({} of {} written), clients {:?}",
        stored.len(),
        written.iter().filter(|id| stored.contains(id)).count(),
        written.len(),
        clients.iter().map(|c| c.len()).collect::<Vec<_>>()
    );
    for c in clients {
        c.assert_unharmed();
    }
}

/// Whether the relay stores all of `ids` in open network `room` within
/// [`PATIENCE`] (polled).
async fn stored_within(server: &Server, room: &str, ids: &[EventId]) -> bool {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let stored = check_quick(&server.db, &open_key(room));
        if ids.iter().all(|id| stored.contains(id)) {
            return true;
        }
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Two honest clients of network `room` and one of `other`: after an
/// attack, each writes and every one of them gets everything (fresh
/// clients too, which sync everything the relay stored from scratch).
struct Bystanders {
    a: Honest,
    b: Honest,
    other: Honest,
    written: Vec<EventId>,
    other_written: Vec<EventId>,
}

impl Bystanders {
    async fn open(server: &Server, room: &str, other: &str) -> Bystanders {
        let b = Bystanders {
            a: Honest::open(server.addr, room, 1).await,
            b: Honest::open(server.addr, room, 2).await,
            other: Honest::open(server.addr, other, 3).await,
            written: Vec::new(),
            other_written: Vec::new(),
        };
        let mut b = b;
        b.written = b.a.write(3).await;
        b.other_written = b.other.write(2).await;
        converge(server, &[&b.a, &b.b], &b.written).await;
        converge(server, &[&b.other], &b.other_written).await;
        b
    }

    /// They keep working: each writes more, everyone converges, and a
    /// fresh client of each network gets everything stored there.
    async fn still_work(&mut self, server: &Server) {
        let room = self.a.network.strip_prefix("open:").unwrap().to_owned();
        let other = self.other.network.strip_prefix("open:").unwrap().to_owned();
        self.written.extend(self.a.write(2).await);
        self.written.extend(self.b.write(2).await);
        self.other_written.extend(self.other.write(2).await);
        converge(server, &[&self.a, &self.b], &self.written).await;
        converge(server, &[&self.other], &self.other_written).await;
        let fresh = Honest::open(server.addr, &room, 4).await;
        converge(server, &[&fresh], &self.written).await;
        let fresh_other = Honest::open(server.addr, &other, 5).await;
        converge(server, &[&fresh_other], &self.other_written).await;
        self.a.assert_unharmed();
        self.b.assert_unharmed();
        self.other.assert_unharmed();
    }
}

/// A Byzantine client: sends whatever it likes, reads in the background.
struct Raw {
    sink: SplitSink<WebSocketStream<TcpStream>, Ws>,
    heard: Arc<Heard>,
    framer: Framer,
    seq: u32,
}

impl Raw {
    async fn join(addr: SocketAddr, room: &str, private: bool) -> Raw {
        let mut ws = socket(addr, None).await;
        ws.send(join_text(room, private)).await.unwrap();
        let (sink, mut stream) = ws.split();
        let joined = next_text(&mut stream).await.unwrap();
        assert_eq!(joined["type"], "joined", "{joined}");
        let heard = Arc::new(Heard::default());
        read_into(stream, heard.clone(), None);
        Raw {
            sink,
            heard,
            framer: Framer::default(),
            seq: 0,
        }
    }

    async fn private(addr: SocketAddr, invite: &Invite) -> Raw {
        Raw::join(addr, &invite.keys().network().to_hex(), true).await
    }

    /// Sends one frame as is; false once the link is down.
    async fn frame(&mut self, frame: Vec<u8>) -> bool {
        self.sink.send(Ws::Binary(frame.into())).await.is_ok()
    }

    /// Sends `message` (in as many frames as it takes).
    async fn message(&mut self, message: &Message) -> bool {
        for frame in self.framer.encode(message) {
            if !self.frame(frame).await {
                return false;
            }
        }
        true
    }

    /// Sends events' bytes back to back in one numbered `Events` message.
    async fn events<'a>(&mut self, events: impl IntoIterator<Item = &'a [u8]>) -> bool {
        self.seq += 1;
        let bytes: Vec<u8> = events.into_iter().flatten().copied().collect();
        let seq = self.seq;
        self.message(&Message::Events { seq, events: bytes }).await
    }

    /// The error the relay closed this client with (`None`: closed without
    /// one, or not closed within [`PATIENCE`]).
    async fn dropped_with(&self) -> Option<String> {
        let deadline = Instant::now() + PATIENCE;
        while !self.heard.closed() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(self.heard.closed(), "not closed within {PATIENCE:?}");
        self.heard.codes("error").pop()
    }

    /// Closes the link, and waits (bounded) for the relay to have read
    /// everything sent before the close and closed its end.
    async fn close(mut self) {
        let _ = self.sink.close().await;
        let deadline = Instant::now() + Duration::from_secs(30);
        while !self.heard.closed() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Whether this client hears a `kind` message with `code` within
    /// [`PATIENCE`] (polled).
    async fn hears(&self, kind: &str, code: &str) -> bool {
        let deadline = Instant::now() + PATIENCE;
        while Instant::now() < deadline {
            if self.heard.codes(kind).iter().any(|c| c == code) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        false
    }

    /// Whether the relay still serves this client after `wait`.
    async fn still_up(&self, wait: Duration) -> bool {
        tokio::time::sleep(wait).await;
        !self.heard.closed() && self.heard.codes("error").is_empty()
    }

    async fn ws(&mut self, message: Ws) -> bool {
        self.sink.send(message).await.is_ok()
    }
}

/// A client that joined, to send raw WebSocket messages.
async fn joined(addr: SocketAddr, room: &str) -> Raw {
    Raw::join(addr, room, false).await
}

/// What a join of `room` is answered: `Ok` with the client, or the error
/// code.
async fn try_join(addr: SocketAddr, room: &str) -> Result<Raw, String> {
    let mut ws = socket(addr, None).await;
    ws.send(join_text(room, false)).await.unwrap();
    let (sink, mut stream) = ws.split();
    let said = next_text(&mut stream).await.expect("an answer to the join");
    if said["type"] != "joined" {
        return Err(said["code"].as_str().unwrap().to_owned());
    }
    let heard = Arc::new(Heard::default());
    read_into(stream, heard.clone(), None);
    Ok(Raw {
        sink,
        heard,
        framer: Framer::default(),
        seq: 0,
    })
}

// ---------------------------------------------------------------------------
// Events, and what the tests measure.

fn draft(seq: u64, parents: Vec<EventId>, time: u64, body: Body) -> Draft {
    Draft {
        seq,
        parents,
        time,
        body,
    }
}

/// A payment by `who`, `seq` after `parents`.
fn payment(who: &Identity, seq: u64, parents: Vec<EventId>, time: u64) -> Event {
    who.sign(draft(seq, parents, time, pay(key(99), time + 1, "EUR")))
}

/// A chain of `n` payments by `who`, from seq 1.
fn chain(who: &Identity, n: u64, time: u64) -> Vec<Event> {
    let mut out: Vec<Event> = Vec::new();
    for seq in 1..=n {
        let parents = out.last().map(|e| vec![e.id()]).unwrap_or_default();
        out.push(payment(who, seq, parents, time + seq));
    }
    out
}

/// A sealed payment by `who` in the network of `keys`, tagged `tag`.
fn sealed(who: &Identity, invite: &Invite, tag: &[u8; 64], seq: u64, time: u64) -> Event {
    let mut nonce = [0u8; 24];
    nonce[..16].copy_from_slice(&random16());
    who.seal(
        draft(seq, vec![], time, pay(key(99), 1, "EUR")),
        &invite.keys(),
        tag,
        &nonce,
    )
}

fn bytes_of(events: &[Event]) -> Vec<&[u8]> {
    events.iter().map(Event::bytes).collect()
}

/// `event`'s bytes with its author field replaced by `author` (the
/// signature left as it was).
fn by_author_swapped(event: &Event, author: &PublicKey) -> Vec<u8> {
    let mut bytes = event.bytes().to_vec();
    let at = bytes
        .windows(32)
        .position(|w| w == event.author().0)
        .expect("the author is in the bytes");
    bytes[at..at + 32].copy_from_slice(&author.0);
    bytes
}

/// A frame carrying one part of a message, made by hand.
fn part_frame(message: u32, index: u16, count: u16, bytes: &[u8]) -> Vec<u8> {
    fn varint(mut n: u64, out: &mut Vec<u8>) {
        while n >= 0x80 {
            out.push((n as u8) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
    }
    let mut out = vec![trustfold::sync::PROTOCOL, 1];
    varint(u64::from(message), &mut out);
    varint(u64::from(index), &mut out);
    varint(u64::from(count), &mut out);
    varint(bytes.len() as u64, &mut out);
    out.extend_from_slice(bytes);
    out
}

/// The bytes of an event whose header says it is larger than any event may
/// be (a document change of 3 MiB), signature and all.
fn oversized_event() -> Vec<u8> {
    let change = vec![0x42; 3 << 20];
    id(66)
        .sign(draft(
            1,
            vec![],
            0,
            Body::Doc {
                doc: trustfold::DocId([1; 16]),
                change,
            },
        ))
        .bytes()
        .to_vec()
}

/// A payment with the longest memo a payment may carry (≈ 420 bytes).
fn fat_payment(who: &Identity, seq: u64, parents: Vec<EventId>, time: u64) -> Event {
    let body = Body::Transfer(trustfold::Transfer {
        to: key(99),
        amount: time + 1,
        unit: "EUR".into(),
        memo: "m".repeat(trustfold::event::validate::MAX_MEMO_BYTES),
        reverses: None,
    });
    who.sign(draft(seq, parents, time, body))
}

/// Sends `events` through `raw` in messages of `per` events.
async fn send_in_messages(raw: &mut Raw, events: &[Event], per: usize) {
    for batch in events.chunks(per) {
        assert!(raw.events(bytes_of(batch)).await);
    }
}

fn wanted_ids(events: &[Event]) -> Vec<EventId> {
    events.iter().map(Event::id).collect()
}

/// How long until `to` holds an event `from` writes now.
async fn delivery(from: &Honest, to: &Honest, others: &[&Honest]) -> Duration {
    let start = Instant::now();
    let ids = from.write(1).await;
    let mut all = vec![from, to];
    all.extend_from_slice(others);
    assert!(
        settle(&all, Duration::from_secs(60), || to.holds(&ids)).await,
        "not delivered within 60 s"
    );
    start.elapsed()
}

/// This process's resident memory, in bytes (Linux).
fn resident() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn runtime_note(name: &str, started: Instant) {
    eprintln!("{name}: {:.1} s", started.elapsed().as_secs_f64());
}

// ---------------------------------------------------------------------------
// The attacks.

/// Forged signatures and events a network does not admit: the sender is
/// dropped with the event's code, and nothing of it is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_unadmitted_events_are_refused() {
    let started = Instant::now();
    let server = Server::start(|_| {}).await;
    let mut by = Bystanders::open(&server, "forge", "elsewhere").await;
    let invite = Invite::new([7; 32], "coop").unwrap();
    let members = [
        Honest::private(server.addr, &invite, 11).await,
        Honest::private(server.addr, &invite, 12).await,
    ];
    let mut refused: Vec<EventId> = Vec::new();

    // A forged signature (the last byte flipped), after a valid event in
    // the same message.
    let mallory = id(66);
    let good = chain(&mallory, 2, 1000);
    let mut forged = good[1].bytes().to_vec();
    *forged.last_mut().unwrap() ^= 1;
    refused.push(EventId::of_bytes(&forged));
    let mut raw = Raw::join(server.addr, "forge", false).await;
    raw.events([good[0].bytes(), &forged[..]]).await;
    assert_eq!(raw.dropped_with().await.as_deref(), Some("bad_signature"));

    // Another author's event re-signed as if by someone else: the author
    // field rewritten (the signature no longer matches).
    let mut stolen = by_author_swapped(&good[0], &key(67));
    let mut raw = Raw::join(server.addr, "forge", false).await;
    raw.events([&stolen[..]]).await;
    assert_eq!(raw.dropped_with().await.as_deref(), Some("bad_signature"));
    refused.push(EventId::of_bytes(&stolen));
    stolen.clear();

    // Bytes that do not decode as an event.
    let mut mangled = good[0].bytes().to_vec();
    mangled[1] ^= 0xff;
    let mut raw = Raw::join(server.addr, "forge", false).await;
    raw.events([&mangled[..]]).await;
    // (A flipped byte of the header decodes to another event, whose
    // signature then fails: either way the sender goes.)
    assert!(raw.dropped_with().await.is_some());

    // A sealed event in an open network.
    let member = id(11);
    let sealed_event = sealed(
        &member,
        &invite,
        &invite.keys().admit(&member.public_key()),
        1,
        5,
    );
    refused.push(sealed_event.id());
    let mut raw = Raw::join(server.addr, "forge", false).await;
    raw.events([sealed_event.bytes()]).await;
    assert_eq!(
        raw.dropped_with().await.as_deref(),
        Some("sealed_in_open_network")
    );

    // In the private network: another network's tag, a member's tag on a
    // stranger's event, and a clear event.
    let elsewhere = Invite::new([9; 32], "other").unwrap();
    let stranger = id(77);
    let attempts = [
        sealed(
            &stranger,
            &invite,
            &elsewhere.keys().admit(&stranger.public_key()),
            1,
            7,
        ),
        sealed(&stranger, &invite, &invite.keys().admit(&key(11)), 1, 8),
        payment(&stranger, 1, vec![], 9),
    ];
    for attempt in &attempts {
        refused.push(attempt.id());
        let mut raw = Raw::private(server.addr, &invite).await;
        raw.events([attempt.bytes()]).await;
        assert_eq!(raw.dropped_with().await.as_deref(), Some("not_admitted"));
    }

    // The honest keep working, in all three networks.
    by.still_work(&server).await;
    let mut written = members[0].write(2).await;
    written.extend(members[1].write(2).await);
    converge(&server, &[&members[0], &members[1]], &written).await;
    let stored = server.stored();
    for id in &refused {
        assert!(
            stored.values().all(|ids| !ids.contains(id)),
            "stored a refused event"
        );
    }
    assert_eq!(stored[&private_key(&invite)].len(), 4);
    runtime_note("forged", started);
}

/// Events that break a rule against their parents — a seq that jumps, a
/// missing previous event, a seq that does not increase, a reference that
/// is not a parent — drop their sender, with or without the valid events
/// before them in the same message, and nothing of them is stored. An
/// invalid event held as an orphan is judged when its parents arrive: the
/// client that sent it goes, not the one whose events released it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_against_parents_is_refused() {
    let started = Instant::now();
    let server = Server::start(|_| {}).await;
    let mut by = Bystanders::open(&server, "chain", "elsewhere").await;
    let mallory = id(66);
    let base = chain(&mallory, 2, 100);
    let mut refused: Vec<EventId> = Vec::new();

    let cases: Vec<(Vec<Event>, &str)> = vec![
        // seq 4 after seq 2: a jump.
        (
            vec![
                base[0].clone(),
                base[1].clone(),
                payment(&mallory, 4, vec![base[1].id()], 300),
            ],
            "missing_previous",
        ),
        // seq 2 naming no parent at all.
        (vec![payment(&mallory, 2, vec![], 301)], "missing_previous"),
        // seq 2 after seq 2.
        (
            vec![
                base[0].clone(),
                base[1].clone(),
                payment(&mallory, 2, vec![base[1].id()], 302),
            ],
            "seq_not_increasing",
        ),
        // A dispute of a payment that is not among its parents.
        (
            vec![
                base[0].clone(),
                mallory.sign(draft(
                    2,
                    vec![base[0].id()],
                    303,
                    Body::Dispute(trustfold::Statement {
                        target: by.written[0],
                        reason: "no".into(),
                    }),
                )),
            ],
            "reference_not_parent",
        ),
    ];
    for (events, code) in &cases {
        refused.push(events.last().unwrap().id());
        let mut raw = Raw::join(server.addr, "chain", false).await;
        raw.events(bytes_of(events)).await;
        assert_eq!(raw.dropped_with().await.as_deref(), Some(*code));
    }

    // An invalid child sent before its parents: held as an orphan, judged
    // when another client's (valid) events release it. Its sender goes;
    // the other client stays, and its events are stored.
    let oscar = id(68);
    let parents = chain(&oscar, 2, 400);
    let bad_child = payment(&oscar, 4, vec![parents[1].id()], 410);
    refused.push(bad_child.id());
    let mut planter = Raw::join(server.addr, "chain", false).await;
    planter.events([bad_child.bytes()]).await;
    assert!(planter.still_up(Duration::from_millis(200)).await);
    let mut releaser = Raw::join(server.addr, "chain", false).await;
    releaser.events(bytes_of(&parents)).await;
    assert_eq!(
        planter.dropped_with().await.as_deref(),
        Some("missing_previous")
    );
    assert!(releaser.still_up(Duration::from_millis(200)).await);

    by.still_work(&server).await;
    let stored = &server.stored()[&open_key("chain")];
    for id in &refused {
        assert!(!stored.contains(id), "stored an invalid event");
    }
    assert!(parents.iter().all(|p| stored.contains(&p.id())));
    runtime_note("against parents", started);
}

/// Orphans (valid events whose parents never come) flooded from several
/// clients: they are held within the bounds — a flooder evicts its own
/// first — none is stored, nobody is dropped for them, and an honest
/// chain, even one sent children first, gets through meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_orphan_flood_is_bounded_and_honest_chains_get_through() {
    let started = Instant::now();
    let server = Server::start(|_| {}).await;
    let mut by = Bystanders::open(&server, "orphans", "elsewhere").await;
    let mut flooders = Vec::new();
    for _ in 0..4 {
        flooders.push(Raw::join(server.addr, "orphans", false).await);
    }
    // Each flooder: 400 orphans (the relay holds 64 per client, 256 in all),
    // each waiting for 8 parents nobody has.
    let mut orphan_ids = HashSet::new();
    let zed = id(70);
    let honest_chain = chain(&zed, 6, 500);
    let mut courier = Raw::join(server.addr, "orphans", false).await;
    for round in 0..10u64 {
        for (n, flooder) in flooders.iter_mut().enumerate() {
            let author = id(80 + n as u8);
            let orphans: Vec<Event> = (0..40u64)
                .map(|i| {
                    let missing: Vec<EventId> = (0..8u64)
                        .map(|j| EventId::of_bytes(&[round, i, j, n as u64].map(|x| x as u8)))
                        .collect();
                    payment(&author, 5, missing, 1000 * round + i)
                })
                .collect();
            orphan_ids.extend(orphans.iter().map(Event::id));
            assert!(flooder.events(bytes_of(&orphans)).await);
        }
        // The honest chain, children first, one event a round.
        if let Some(event) = honest_chain.iter().rev().nth(round as usize) {
            assert!(courier.events([event.bytes()]).await);
        }
        if round == 5 {
            by.written.extend(by.a.write(3).await);
        }
    }
    converge(&server, &[&by.a, &by.b], &by.written).await;
    for flooder in &flooders {
        assert!(
            flooder.still_up(Duration::ZERO).await,
            "dropped for orphans"
        );
    }
    assert!(courier.still_up(Duration::ZERO).await);
    assert!(
        stored_within(&server, "orphans", &wanted_ids(&honest_chain)).await,
        "the honest chain sent children first was not stored whole"
    );
    let stored = &server.stored()[&open_key("orphans")];
    assert!(stored.iter().all(|id| !orphan_ids.contains(id)));
    drop(flooders);
    by.still_work(&server).await;
    runtime_note("orphans", started);
}

/// A client dropped for an invalid orphan that another client's events
/// released is gone for good: its socket is closed even if it never reads
/// (so never answers the close) and keeps sending, instead of staying
/// connected, its frames ignored, for as long as it keeps talking.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_dropped_for_an_orphan_is_disconnected() {
    let started = Instant::now();
    let server = Server::start(|_| {}).await;
    let mut by = Bystanders::open(&server, "zombie", "elsewhere").await;
    let oscar = id(68);
    let parents = chain(&oscar, 2, 400);
    let bad_child = payment(&oscar, 4, vec![parents[1].id()], 410);
    // The planter never reads.
    let mut planter = socket(server.addr, None).await;
    planter.send(join_text("zombie", false)).await.unwrap();
    let mut framer = Framer::default();
    for frame in framer.encode(&Message::Events {
        seq: 1,
        events: bad_child.bytes().to_vec(),
    }) {
        planter.send(Ws::Binary(frame.into())).await.unwrap();
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut releaser = joined(server.addr, "zombie").await;
    releaser.events(bytes_of(&parents)).await;
    assert!(releaser.still_up(Duration::from_millis(100)).await);
    let ack = framer.encode(&Message::Ack {
        through: 0,
        held: vec![],
        lost: false,
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut closed = false;
    while Instant::now() < deadline {
        let send = planter.send(Ws::Binary(ack[0].clone().into()));
        if !matches!(
            tokio::time::timeout(Duration::from_millis(200), send).await,
            Ok(Ok(()))
        ) {
            closed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(closed, "a dropped client stayed connected");
    by.still_work(&server).await;
    runtime_note("dropped for an orphan", started);
}

/// Frames over the protocol's size and the socket's, frames that do not
/// decode, parts no sender makes, messages over the protocol's bounds,
/// and joins that are not joins: each closes its sender with its code;
/// the honest, here and elsewhere, notice nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_and_garbage_frames_are_refused_with_their_codes() {
    use trustfold::sync::{Bloom, MAX_FRAME, PROTOCOL};
    let started = Instant::now();
    let server = Server::start(|c| c.handshake_timeout = Duration::from_millis(500)).await;
    let mut by = Bystanders::open(&server, "frames", "elsewhere").await;
    let ids = |n: usize| -> Vec<EventId> {
        (0..n)
            .map(|i| EventId::of_bytes(&i.to_le_bytes()))
            .collect()
    };
    let encode = |message: &Message| Framer::default().encode(message);
    let mut garbage = vec![PROTOCOL];
    garbage.extend((0..200u32).map(|i| (i * 7919 % 251) as u8));
    let cases: Vec<(&str, Vec<Vec<u8>>, &str)> = vec![
        (
            "a frame just over 64 KiB",
            vec![vec![PROTOCOL; MAX_FRAME + 1]],
            "frame_too_large",
        ),
        ("an empty frame", vec![vec![]], "unknown_protocol_version"),
        (
            "protocol 1",
            vec![vec![1, 0, 0]],
            "unknown_protocol_version",
        ),
        ("garbage", vec![garbage], "malformed_frame"),
        (
            "a part of a 4 GiB message",
            vec![part_frame(0, 0, u16::MAX, &[0; 16])],
            "bad_frame_part",
        ),
        (
            "a part past its count",
            vec![part_frame(0, 5, 3, &[0; 16])],
            "bad_frame_part",
        ),
        (
            "events numbered 0",
            encode(&Message::Events {
                seq: 0,
                events: chain(&id(66), 1, 0)[0].bytes().to_vec(),
            }),
            "unnumbered_events",
        ),
        (
            "no events",
            encode(&Message::Events {
                seq: 1,
                events: vec![],
            }),
            "unnumbered_events",
        ),
        (
            "events that are not events",
            encode(&Message::Events {
                seq: 1,
                events: vec![0xee; 300],
            }),
            "malformed_frame",
        ),
        (
            "an event over 2 MiB, in parts",
            encode(&Message::Events {
                seq: 1,
                events: oversized_event(),
            }),
            "malformed_frame",
        ),
        (
            "65 heads",
            encode(&Message::Hello {
                heads: ids(65),
                filter: Bloom::new(0, [0; 16]),
            }),
            "too_many_heads",
        ),
        (
            "4097 wanted",
            encode(&Message::Want { ids: ids(4097) }),
            "too_many_wanted",
        ),
        (
            "65 acknowledged",
            encode(&Message::Ack {
                through: 0,
                held: ids(65),
                lost: false,
            }),
            "too_many_acknowledged",
        ),
    ];
    for (what, frames, code) in cases {
        let mut raw = joined(server.addr, "frames").await;
        for frame in frames {
            if !raw.frame(frame).await {
                break;
            }
        }
        assert_eq!(raw.dropped_with().await.as_deref(), Some(code), "{what}");
    }

    // Over the socket's own limit (64 KiB + 1 KiB): closed before the
    // protocol sees it, with the protocol's code.
    let mut raw = joined(server.addr, "frames").await;
    raw.frame(vec![PROTOCOL; 1 << 20]).await;
    assert_eq!(
        raw.dropped_with().await.as_deref(),
        Some("frame_too_large"),
        "a 1 MiB frame"
    );
    // TEXT after the join: not a sync frame.
    let mut raw = joined(server.addr, "frames").await;
    raw.ws(Ws::Text("{\"type\":\"join\",\"room\":\"x\"}".into()))
        .await;
    assert_eq!(
        raw.dropped_with().await.as_deref(),
        Some("MALFORMED"),
        "TEXT after the join"
    );

    // Joins that are not joins.
    let joins: Vec<(Option<Ws>, &str)> = vec![
        (Some(Ws::Text("{not json".into())), "MALFORMED"),
        (Some(Ws::Binary(vec![PROTOCOL, 0].into())), "NOT_JOINED"),
        (Some(join_text("no spaces allowed", false)), "BAD_ROOM"),
        (Some(join_text(&"x".repeat(65), false)), "BAD_ROOM"),
        (Some(join_text("abcd", true)), "BAD_ROOM"),
        (
            Some(join_text(&key(1).to_hex().to_uppercase(), true)),
            "BAD_ROOM",
        ),
        (None, "HANDSHAKE_TIMEOUT"),
    ];
    for (first, code) in joins {
        let mut ws = socket(server.addr, None).await;
        if let Some(first) = first {
            ws.send(first).await.unwrap();
        }
        let (_sink, mut stream) = ws.split();
        let said = next_text(&mut stream).await;
        assert_eq!(said.as_ref().map(|s| s["code"].clone()), Some(json!(code)));
        assert!(
            next_text(&mut stream).await.is_none(),
            "closed after {code}"
        );
    }

    by.still_work(&server).await;
    runtime_note("frames", started);
}

/// Frames faster than the client's rate: closed with `RATE_LIMITED`;
/// the honest, here and elsewhere, keep working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_flood_is_cut_off() {
    let started = Instant::now();
    let server = Server::start(|c| c.frame_rate = Rate::new(100.0, 200.0)).await;
    let mut by = Bystanders::open(&server, "flood", "elsewhere").await;
    let mut raw = joined(server.addr, "flood").await;
    let ack = Framer::default().encode(&Message::Ack {
        through: 0,
        held: vec![],
        lost: false,
    });
    let mut sent = 0;
    for _ in 0..2_000 {
        if !raw.frame(ack[0].clone()).await || raw.heard.closed() {
            break;
        }
        sent += 1;
    }
    assert_eq!(raw.dropped_with().await.as_deref(), Some("RATE_LIMITED"));
    assert!(sent >= 200, "cut off within its burst, after {sent}");
    by.still_work(&server).await;
    runtime_note("frame flood", started);
}

/// Honest delivery times, in the flooded network and in another, before
/// and while `flooders` clients (one in the honest network, the others in
/// networks of their own) send the same valid events the relay refuses for
/// a quota, again and again, for `seconds`.
async fn replay_flood(flooders: usize, seconds: u64) -> [Duration; 4] {
    let server = Server::start(|c| {
        c.frame_rate = RelayConfig::default().frame_rate;
        // The default (2 MiB/s) is what a release build takes in its stride;
        // this debug build decodes and looks up about ten times slower, so
        // the bound is scaled with it.
        c.bytes_rate = Rate::new(256.0 * 1024.0, 512.0 * 1024.0);
        c.limits.max_events = 400;
    })
    .await;
    let by = Bystanders::open(&server, "replay", "elsewhere").await;
    let other2 = Honest::open(server.addr, "elsewhere", 6).await;
    converge(&server, &[&by.other, &other2], &by.other_written).await;
    // Mallory's share (100 events) filled, then 400 more of hers refused.
    let mallory = id(66);
    let events: Vec<Event> = (0..500u64)
        .map(|t| payment(&mallory, 1, vec![], t))
        .collect();
    let mut raws = Vec::new();
    for n in 0..flooders {
        let room = if n == 0 {
            "replay".to_owned()
        } else {
            format!("m{n}")
        };
        let mut raw = joined(server.addr, &room).await;
        raw.events(bytes_of(&events[..100])).await;
        raws.push(raw);
    }
    let refused = bytes_of(&events[100..]);
    let before = delivery(&by.a, &by.b, &[&by.other, &other2]).await;
    let before_other = delivery(&by.other, &other2, &[&by.a, &by.b]).await;
    let flood = futures_util::future::join_all(raws.iter_mut().map(|raw| {
        let refused = refused.clone();
        async move {
            let mut messages = 0;
            let deadline = Instant::now() + Duration::from_secs(seconds);
            while Instant::now() < deadline {
                if !raw.events(refused.iter().copied()).await {
                    break;
                }
                messages += 1;
            }
            messages
        }
    }));
    let (messages, (during, during_other)) = tokio::join!(flood, async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let same = delivery(&by.a, &by.b, &[&by.other, &other2]).await;
        let other = delivery(&by.other, &other2, &[&by.a, &by.b]).await;
        (same, other)
    });
    assert!(raws[0].hears("notice", "author_quota").await);
    for raw in raws {
        assert!(
            !raw.heard.closed(),
            "a valid event over a quota never drops"
        );
        raw.close().await;
    }
    eprintln!(
        "replay ×{flooders}: {messages:?} messages of 400 refused events; honest delivery here / elsewhere: {before:?} / {before_other:?} before, {during:?} / {during_other:?} during"
    );
    let stored = server.stored();
    let hers: HashSet<EventId> = events.iter().map(Event::id).collect();
    let stored_hers = stored[&open_key("replay")]
        .iter()
        .filter(|id| hers.contains(id))
        .count();
    assert_eq!(stored_hers, 100, "her share, and nothing more");
    [before, before_other, during, during_other]
}

/// Valid events the relay refuses for a quota, sent again and again by
/// one client: they are refused each time (by a decode: the author is
/// over its share, so the signature is not checked again), the client
/// stays, nothing more is stored, and the honest, here and elsewhere,
/// keep getting each other's events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_refused_events_do_not_stall_the_honest() {
    let started = Instant::now();
    let [_, _, during, during_other] = replay_flood(1, 3).await;
    assert!(
        during < Duration::from_secs(2) && during_other < Duration::from_secs(2),
        "honest delivery took {during:?} here, {during_other:?} elsewhere"
    );
    runtime_note("replay", started);
}

/// Frames per second alone (500, bursts of 2,000) do not bound what a
/// client costs: one 64 KiB frame carries ≈ 400 small events, each costing
/// the relay at least a
/// decode and a store lookup (a signature check too unless it is refused
/// for a quota or an orphan's room). Four clients replaying events refused
/// for a quota — free for them: nothing to sign — kept two cores busy
/// before the relay read each client at most `bytes_rate` (honest delivery
/// went from ≈ 30 ms to ≈ 2–3 s here and elsewhere, debug build, 2 cores).
/// Now a flooder is read more slowly, not dropped, and the honest keep
/// their pace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_flood_from_several_clients_does_not_stall_the_honest() {
    let [_, _, during, during_other] = replay_flood(4, 8).await;
    assert!(
        during < Duration::from_millis(500) && during_other < Duration::from_millis(500),
        "honest delivery took {during:?} here, {during_other:?} elsewhere"
    );
}

/// A client that never reads but keeps asking — a `Hello` with an empty
/// filter, `Want`s of everything, acknowledgements of whatever the relay
/// may have sent — is dropped when its outbox reaches its bound (12 MiB),
/// its socket closed within the close grace; the relay stays healthy and
/// the honest, here and elsewhere, keep working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_never_reads_is_dropped_at_its_outbox_bound() {
    let started = Instant::now();
    let server = Server::start(|c| {
        c.limits.max_events = 10_000;
        c.limits.author_share = 100;
    })
    .await;
    let [dropped_after] = never_read(&server, "slow", started).await;
    eprintln!("slow reader dropped after {dropped_after:?}");
    runtime_note("slow reader", started);
}

/// Clients that never read, each within its own outbox bound (raised out
/// of reach), together reach the relay's bound on all queues (`queue_total`, 6 MiB
/// here): each is dropped once it holds more than the floor (1 MiB) with
/// the total reached, while the honest — whose queues drain — keep their
/// links and get everything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_that_never_read_are_dropped_at_the_relays_total_bound() {
    let started = Instant::now();
    let server = Server::start(|c| {
        c.limits.max_events = 10_000;
        c.limits.author_share = 100;
        // Their own bound out of reach: only the total drops them.
        c.queue_bytes = 256 << 20;
        c.queue_total = 6 << 20;
    })
    .await;
    let dropped = never_read::<3>(&server, "slower", started).await;
    eprintln!("three slow readers dropped after {dropped:?}");
    runtime_note("slow readers, total bound", started);
}

/// Clients that fill the relay's bound on all queues (`queue_total`,
/// 3 MiB here) by asking once for a history and never reading, then going
/// quiet — so nothing is ever pushed to them again — cannot get the
/// honest dropped: a newcomer catching up that history, with far more
/// than the floor (64 KiB here) queued for it at once while the total is
/// spent, keeps its link, since it reads. (Dropping whoever was pushed to
/// next over the floor dropped it.) Whether the readers are dropped later
/// depends on where their bytes wait: the server's socket buffers take
/// much of them, and only what waits in their outboxes counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readers_holding_the_queue_budget_cannot_get_the_honest_dropped() {
    let started = Instant::now();
    let server = Server::start(|c| {
        c.limits.max_events = 10_000;
        c.limits.author_share = 100;
        c.queue_bytes = 256 << 20;
        c.queue_total = 3 << 20;
        c.queue_floor = 64 << 10;
    })
    .await;
    let history = fat_history();
    let mut writer = joined(server.addr, "held").await;
    send_in_messages(&mut writer, &history, 128).await;
    writer.close().await;
    let wanted: Vec<EventId> = history.iter().map(Event::id).collect();
    let asks = asking_for_everything(&wanted);
    let mut readers = Vec::new();
    for _ in 0..3 {
        let mut slow = socket(server.addr, Some(4096)).await;
        slow.send(join_text("held", false)).await.unwrap();
        for frame in &asks {
            slow.send(Ws::Binary(frame.clone().into())).await.unwrap();
        }
        readers.push(slow);
    }
    // Their outboxes fill (1.7 MB each, 5 MB in all) and stay full.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let newcomer = Honest::open(server.addr, "held", 9).await;
    converge(&server, &[&newcomer], &wanted).await;
    eprintln!("newcomer caught up {:?} in", started.elapsed());
    runtime_note("readers holding the budget", started);
    drop(readers);
}

/// The frames of a client that asks for `wanted` and holds nothing: a
/// `Hello` with an empty filter, then a `Want` of all of it.
fn asking_for_everything(wanted: &[EventId]) -> Vec<Vec<u8>> {
    use trustfold::sync::Bloom;
    let mut framer = Framer::default();
    let mut asks = framer.encode(&Message::Hello {
        heads: vec![],
        filter: Bloom::new(0, [1; 16]),
    });
    asks.extend(framer.encode(&Message::Want {
        ids: wanted.to_vec(),
    }));
    asks
}

/// 4,096 payments of ≈ 420 bytes by four authors (1.7 MB).
fn fat_history() -> Vec<Event> {
    let writers: Vec<Identity> = (0..4).map(|n| id(40 + n)).collect();
    let mut history = Vec::new();
    for (n, who) in writers.iter().enumerate() {
        let mut last: Option<EventId> = None;
        for seq in 1..=1024u64 {
            let event = fat_payment(
                who,
                seq,
                last.into_iter().collect(),
                seq + 10_000 * n as u64,
            );
            last = Some(event.id());
            history.push(event);
        }
    }
    history
}

/// Writes a history of 4,096 events (1.7 MB) into `room`, then has `N`
/// clients that never read ask for all of it again and again (a `Hello`
/// with an empty filter, `Want`s of everything, acknowledgements of
/// whatever the relay may have sent). Returns when each was dropped —
/// panics if one was not within 20 s — after checking that the honest
/// of the same network take in that history and the honest elsewhere
/// keep working.
async fn never_read<const N: usize>(
    server: &Server,
    room: &str,
    started: Instant,
) -> [Duration; N] {
    let mut by = Bystanders::open(server, room, "elsewhere").await;
    let history = fat_history();
    let mut writer = joined(server.addr, room).await;
    send_in_messages(&mut writer, &history, 128).await;
    writer.close().await;
    let wanted: Vec<EventId> = history.iter().map(Event::id).collect();

    let mut framer = Framer::default();
    let mut asks = asking_for_everything(&wanted);
    asks.extend(framer.encode(&Message::Ack {
        through: u32::MAX,
        held: vec![],
        lost: false,
    }));
    let readers = (0..N).map(|_| {
        let asks = asks.clone();
        async move {
            let mut slow = socket(server.addr, Some(4096)).await;
            slow.send(join_text(room, false)).await.unwrap();
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut rounds = 0;
            while Instant::now() < deadline {
                let mut sent = true;
                for frame in &asks {
                    let send = slow.send(Ws::Binary(frame.clone().into()));
                    match tokio::time::timeout(Duration::from_millis(500), send).await {
                        Ok(Ok(())) => {}
                        Ok(Err(_)) => sent = false,
                        // Our own send buffer is full: the relay stopped reading us.
                        Err(_) => {}
                    }
                }
                rounds += 1;
                if !sent {
                    return started.elapsed();
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            panic!("a client that never reads was not dropped ({rounds} rounds of asking)");
        }
    });
    let dropped = futures_util::future::join_all(readers).await;
    // The honest of the same network take in all of that history.
    by.written.extend(wanted_ids(&history));
    by.still_work(server).await;
    dropped.try_into().expect("one time per reader")
}

/// An author writing faster than the relay takes from one author
/// (`--relay-author-rate`, 60 a minute with bursts of 20 here) gets the
/// burst stored and hears `author_rate` for the rest, stays connected, and
/// the rest is not stored now; another author's events, in the same batch
/// of frames, are not held back, and the honest keep working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_author_over_their_rate_hears_so_and_stays() {
    let started = Instant::now();
    let server = Server::start(|c| {
        c.limits.author_rate = trustfold::relay::AuthorRate {
            per_minute: 60,
            burst: 20,
        };
    })
    .await;
    let mut by = Bystanders::open(&server, "rated", "elsewhere").await;
    let fast = chain(&id(71), 50, 0);
    let other = chain(&id(72), 10, 0);
    let mut raw = joined(server.addr, "rated").await;
    let mut both = fast.clone();
    both.extend(other.iter().cloned());
    send_in_messages(&mut raw, &both, 25).await;
    assert!(raw.hears("notice", "author_rate").await);
    assert!(raw.still_up(Duration::from_millis(100)).await);
    let stored: HashSet<EventId> = server.stored()[&open_key("rated")]
        .iter()
        .copied()
        .collect();
    let count = |events: &[Event]| events.iter().filter(|e| stored.contains(&e.id())).count();
    // The burst, and at most a token or two refilled meanwhile.
    let fast_stored = count(&fast);
    assert!((20..=22).contains(&fast_stored), "{fast_stored}");
    assert_eq!(count(&other), 10, "another author is not held back");
    by.still_work(&server).await;
    runtime_note("author rate", started);
}

/// A fork storm: one author's many events with the same seq (and children
/// of several of them). All are valid, so all are stored and served, and
/// the honest clients converge on them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fork_storm_is_stored_and_served_and_the_honest_converge() {
    let started = Instant::now();
    let server = Server::start(|c| c.limits.author_share = 100).await;
    let mut by = Bystanders::open(&server, "forks", "elsewhere").await;
    let forker = id(60);
    let mut storm: Vec<Event> = (0..500u64)
        .map(|t| payment(&forker, 1, vec![], t))
        .collect();
    let seconds: Vec<Event> = (0..100u64)
        .map(|t| {
            let parents = vec![storm[t as usize * 5].id(), storm[t as usize * 5 + 1].id()];
            payment(&forker, 2, parents, 1000 + t)
        })
        .collect();
    storm.extend(seconds);
    // And forks built on an honest event.
    let honest_tip = by.written[0];
    storm.extend((0..50u64).map(|t| {
        forker.sign(draft(
            1,
            vec![honest_tip],
            2000 + t,
            pay(key(98), t + 1, "EUR"),
        ))
    }));
    let mut raw = joined(server.addr, "forks").await;
    send_in_messages(&mut raw, &storm, 50).await;
    assert!(raw.still_up(Duration::from_millis(100)).await);
    by.written.extend(wanted_ids(&storm));
    by.still_work(&server).await;
    assert_eq!(
        server.stored()[&open_key("forks")].len(),
        by.written.len(),
        "every fork stored"
    );
    runtime_note("fork storm", started);
}

/// Quotas: an author filling the network with valid junk is refused at
/// its share (`author_quota`, by events and by bytes) and stays; sybils
/// fill the network to its quota (`network_full`); an honest author of
/// the same network wrote within the rest meanwhile; another network is
/// untouched. Nothing stored is ever removed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quota_flood_is_refused_with_notices() {
    let started = Instant::now();
    let server = Server::start(|c| {
        c.limits.max_events = 200;
        c.limits.max_bytes = 80_000;
        c.limits.author_share = 25;
    })
    .await;
    let mut by = Bystanders::open(&server, "quota", "elsewhere").await;
    let key_ = open_key("quota");
    let held = |server: &Server| server.stored()[&key_].clone();

    // 50 events is an author's share of events; 20,000 bytes of bytes.
    let thin = id(61);
    let thin_events: Vec<Event> = (0..80u64).map(|t| payment(&thin, 1, vec![], t)).collect();
    let mut raw = joined(server.addr, "quota").await;
    send_in_messages(&mut raw, &thin_events, 20).await;
    assert!(raw.hears("notice", "author_quota").await);
    assert!(raw.still_up(Duration::from_millis(100)).await);
    let stored = held(&server);
    let thin_stored = thin_events
        .iter()
        .filter(|e| stored.contains(&e.id()))
        .count();
    assert_eq!(thin_stored, 50, "an author's share of events");
    // Over its share, an author's events are refused before their
    // signature is checked (so sending them again and again costs a
    // decode): a forged one is refused the same way, and not stored.
    let mut forged = payment(&thin, 1, vec![], 999).bytes().to_vec();
    *forged.last_mut().unwrap() ^= 1;
    let mut raw3 = joined(server.addr, "quota").await;
    raw3.events([&forged[..]]).await;
    assert!(raw3.hears("notice", "author_quota").await);
    assert!(raw3.still_up(Duration::from_millis(100)).await);
    assert_eq!(raw3.heard.codes("notice"), ["author_quota"]);
    assert!(!held(&server).contains(&EventId::of_bytes(&forged)));

    let fat = id(62);
    let fat_events: Vec<Event> = (0..80u64)
        .map(|t| fat_payment(&fat, 1, vec![], t))
        .collect();
    let mut raw2 = joined(server.addr, "quota").await;
    send_in_messages(&mut raw2, &fat_events, 20).await;
    assert!(raw2.hears("notice", "author_quota").await);
    assert!(raw2.still_up(Duration::from_millis(100)).await);
    let stored = held(&server);
    let fat_bytes: usize = fat_events
        .iter()
        .filter(|e| stored.contains(&e.id()))
        .map(|e| e.bytes().len())
        .sum();
    assert!(
        fat_bytes <= 20_000 && fat_bytes > 20_000 - 500,
        "{fat_bytes}"
    );

    // The honest author writes within the rest.
    by.still_work(&server).await;

    // Sybils fill the network to its quota of events.
    let mut sybils = joined(server.addr, "quota").await;
    for n in 0..4u8 {
        let sybil = id(120 + n);
        let events: Vec<Event> = (0..50u64).map(|t| payment(&sybil, 1, vec![], t)).collect();
        send_in_messages(&mut sybils, &events, 25).await;
    }
    assert!(sybils.hears("notice", "network_full").await);
    assert!(sybils.still_up(Duration::from_millis(100)).await);
    let full = held(&server);
    assert_eq!(full.len(), 200, "the network's quota");

    // Now the honest author is refused too, with a notice, and stays.
    let extra = by.a.write(1).await;
    let noticed = settle(&[&by.a, &by.b], PATIENCE, || {
        by.a.link
            .heard
            .codes("notice")
            .contains(&"network_full".to_owned())
    })
    .await;
    assert!(noticed, "the honest author heard why");
    by.a.assert_unharmed();
    let after = held(&server);
    assert!(!after.contains(&extra[0]));
    assert_eq!(after[..], full[..], "nothing removed, nothing added");
    // The other network is untouched by all of it.
    let more = by.other.write(3).await;
    by.other_written.extend(more);
    converge(&server, &[&by.other], &by.other_written).await;
    runtime_note("quota", started);
}

/// The relay loads at most `max_networks` networks at once. A client that
/// joins one empty room after another, leaving each, must not fill that
/// budget for the next minute (the idle release): networks nobody is
/// connected to make room for the honest, who joins a network not loaded
/// yet. Clients that stay connected in as many networks as allowed do hit
/// the limit, answered `RELAY_FULL`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn room_hopping_does_not_lock_the_honest_out() {
    let started = Instant::now();
    let server = Server::start(|c| c.max_networks = 6).await;
    let mut by = Bystanders::open(&server, "busy", "elsewhere").await;
    for n in 0..20 {
        let hopper = try_join(server.addr, &format!("junk-{n}")).await;
        let hopper = hopper.unwrap_or_else(|code| panic!("junk-{n}: {code}"));
        hopper.close().await;
    }
    let newcomer = Honest::open(server.addr, "newcomer", 7).await;
    let written = newcomer.write(2).await;
    converge(&server, &[&newcomer], &written).await;
    newcomer.leave().await;

    // Held networks count: with four connected clients in four more
    // networks, all six are in use.
    let mut holders = Vec::new();
    for n in 0..4 {
        // (The newcomer's network is released once its connection has
        // wound down, a moment after it saw the close.)
        let mut holder = try_join(server.addr, &format!("held-{n}")).await;
        for _ in 0..50 {
            if holder.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
            holder = try_join(server.addr, &format!("held-{n}")).await;
        }
        holders.push(holder.unwrap());
    }
    let refused = try_join(server.addr, "one-too-many").await.err();
    assert_eq!(refused.as_deref(), Some("RELAY_FULL"));
    by.still_work(&server).await;
    drop(holders);
    runtime_note("room hopping", started);
}

/// Joins of ever new room names, as fast as a few clients can open
/// connections (the relay serves any room it is asked to): nothing of them
/// is written to the relay's file — a network's record comes with its
/// first event — and the honest keep working meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn joining_new_rooms_in_a_loop_writes_nothing() {
    let started = Instant::now();
    let server = Server::start(|c| c.max_networks = 16).await;
    let mut by = Bystanders::open(&server, "busy", "elsewhere").await;
    let joins = AtomicU64::new(0);
    let hop = |n: usize| {
        let joins = &joins;
        let addr = server.addr;
        async move {
            let deadline = Instant::now() + Duration::from_secs(2);
            let mut i = 0;
            while Instant::now() < deadline {
                let mut ws = socket(addr, None).await;
                ws.send(join_text(&format!("hop-{n}-{i}"), false))
                    .await
                    .unwrap();
                let (_sink, mut stream) = ws.split();
                let said = next_text(&mut stream).await.unwrap();
                assert_eq!(said["type"], "joined", "{said}");
                joins.fetch_add(1, Ordering::Relaxed);
                i += 1;
            }
        }
    };
    let (_, during) = tokio::join!(futures_util::future::join_all((0..4).map(hop)), async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        delivery(&by.a, &by.b, &[&by.other]).await
    });
    by.written.extend(by.a.written_since(&by.written));
    let mut records: Vec<String> = RelayDb::open(&server.db)
        .unwrap()
        .networks()
        .unwrap()
        .into_iter()
        .map(|(room, _)| room)
        .collect();
    let joins = joins.load(Ordering::Relaxed);
    eprintln!("room hopping: {joins} joins; honest delivery {during:?} meanwhile");
    assert!(joins > 100, "{joins}");
    records.sort();
    assert!(
        records == [open_key("busy"), open_key("elsewhere")],
        "{} network records after {joins} joins: {:?}…",
        records.len(),
        &records[..records.len().min(4)]
    );
    by.still_work(&server).await;
    runtime_note("joining new rooms", started);
}

/// A client's messages in progress (up to `MAX_PARTIAL`) hold at most
/// 4 MiB (`MAX_MESSAGE`) together in its session's `Framer`: a client that
/// sends all parts but the last of four 4 MiB messages — 252 frames,
/// within one burst — makes the relay hold at most one message's worth.
/// (With four of 4 MiB each, sixteen such clients took ≈ 260 MB here, and the
/// server-wide cap of 1,000 connections allowed ≈ 16 GB.) Ignored in the
/// suite because it measures the whole process's memory: run it alone,
/// `--ignored --test-threads 1`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "measures the whole process's memory: run alone (see the doc comment)"]
async fn partial_messages_do_not_pile_up_per_client() {
    let server = Server::start(|c| c.frame_rate = RelayConfig::default().frame_rate).await;
    let mut by = Bystanders::open(&server, "parts", "elsewhere").await;
    let before = resident();
    let clients = 16;
    let chunk = vec![0x5a; trustfold::sync::MAX_FRAME - 64];
    let mut raws = Vec::new();
    for _ in 0..clients {
        let mut raw = joined(server.addr, "parts").await;
        for message in 0..4u32 {
            for index in 0..64u16 {
                assert!(raw.frame(part_frame(message, index, 65, &chunk)).await);
            }
        }
        raws.push(raw);
    }
    // Everything sent has been read: the relay answers the honest after it.
    by.still_work(&server).await;
    let grown = resident().saturating_sub(before);
    eprintln!(
        "partial messages: {clients} clients, resident memory grew {} MiB",
        grown >> 20
    );
    for raw in &raws {
        assert!(!raw.heard.closed());
    }
    // One message of 4 MiB in progress per client, and room for the
    // allocator's slack: four per client took four times that.
    assert!(
        grown < clients * (6 << 20),
        "{} MiB held for {clients} clients' unfinished messages",
        grown >> 20
    );
}

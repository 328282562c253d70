//! Rooms of hundreds (issue #18): a seeded simulation of a partial mesh
//! running the real node and session code — `Node::from_peer`, lazy push
//! (`sync::Gossip`) and the link bounds (`sync::Membership`) — over a
//! simulated network of pages:
//!
//! - each link has its own one-way latency (10–60 ms) plus jitter, and
//!   stays ordered (a WebRTC data channel is reliable and ordered): 1 % of
//!   frames are lost and retransmitted, arriving three latencies late;
//! - churn: 10 % of the pages leave while events are written, as many new
//!   ones join and catch up; the signalling server introduces a newcomer
//!   to a random sample of members, never to all;
//! - Byzantine pages (one in fifty, at least four): some withhold every
//!   frame, some also flood ids they never serve (`Have`), some push a
//!   forged event, some equivocate (two events with one author and seq,
//!   each to half of their links).
//!
//! The same run is made twice with one seed: with lazy push, and with
//! flooding (every link eager), the anchor. What is asserted: every honest
//! event reaches every honest page online at the end; no page ever holds
//! more links than its limit; lazy push receives at most 0.6 of
//! flooding's full copies per page per event, and fewer bytes. The
//! issue's goals — hops to the last page ≤ 2·log2(N), copies ≤ 1.5, p99
//! time to reach every honest page ≤ 2× flooding's — are printed with the
//! figures; they are not all met yet (BENCHMARKS.md). Figures are over
//! the honest pages online from before the first event to the end.
//!
//! Longer than most tests: the simulated network, its pages and the
//! figures are one harness, used by one test.
//!
//! 100 pages in `make test`; `TRUSTFOLD_SCALE=full` runs 1,000 (`make
//! bench-mesh`, figures in BENCHMARKS.md). `TRUSTFOLD_SEED` reproduces a
//! seed; figures are printed. `TRUSTFOLD_WANT_AFTER` and
//! `TRUSTFOLD_PRUNE_AFTER` set lazy push's timing (`GossipLimits`), for
//! trying other settings against the same seed. `TRUSTFOLD_PER_EVENT=1`
//! also prints, per event in the order written, how many first and how
//! many repeated full copies the measured pages received (where the
//! copies go: the tree's forming, or its steady state), how long it took
//! to reach every measured page and its most hops. `TRUSTFOLD_SHAPE=1`
//! prints the shape of the eager links at the end of the lazy run: how
//! many links are eager on both sides or one, the eccentricities of the
//! link graph and of the eager graph, and any page with no eager link.
#![cfg(not(target_arch = "wasm32"))]

mod common;
#[path = "common/sim.rs"]
mod sim;

use common::{key, pay};
use sim::{Rng, scale, seeds};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};
use trustfold::store::MemoryStore;
use trustfold::sync::{Framer, GossipLimits, Membership, MeshLimits, Message};
use trustfold::{Draft, EventId, Identity, Node};

const DEFAULT_SEEDS: [u64; 1] = [18];
/// Link limit of every page (the default).
const LINKS: usize = 6;
/// How often a page runs its timers (lazy push's wants, dialling), ms.
const TICK_MS: u64 = 50;
/// A page with room offers one more link every half to one and a half
/// of this (as the browser does).
const FILL_EVERY_MS: u64 = 10_000;
/// Events are written, and pages come and go, in this window (ms).
const WRITE_FROM: u64 = 3_000;
const WRITE_UNTIL: u64 = 13_000;
/// The run ends by then at the latest (ms).
const END: u64 = 60_000;

/// Lazy push's limits (flooding if not `lazy`), with the timing from the
/// environment if set there.
fn gossip_limits(lazy: bool) -> GossipLimits {
    let defaults = GossipLimits::default();
    let from_env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<u64>().ok());
    GossipLimits {
        lazy,
        want_after: from_env("TRUSTFOLD_WANT_AFTER").unwrap_or(defaults.want_after),
        prune_after: from_env("TRUSTFOLD_PRUNE_AFTER")
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or(defaults.prune_after),
        ..defaults
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Honest,
    /// Takes links, sends nothing.
    Withholder,
    /// Sends nothing but `Have`s of ids that do not exist.
    IdFlooder,
    /// Honest, but pushes a forged event once.
    Forger,
    /// Honest, but sends two events with one author and seq, each to half
    /// of its links.
    Equivocator,
}

struct Page {
    node: Node<MemoryStore>,
    mesh: Membership<usize>,
    online: bool,
    kind: Kind,
    joined_at: u64,
    /// Events received in full and bytes received, over all its sessions.
    events_received: u64,
    bytes_received: u64,
    /// Bytes of frames from honest pages.
    honest_bytes: u64,
    /// When it next offers one more link if it has room.
    next_fill: u64,
}

struct Link {
    /// One-way latency, ms.
    latency: u64,
    /// The last arrival time per direction (low → high, high → low): a
    /// channel is ordered.
    last: [u64; 2],
    epoch: u64,
}

struct Frame {
    from: usize,
    to: usize,
    epoch: u64,
    bytes: Vec<u8>,
}

enum Due {
    Frame(Frame),
    /// An offer from `.0` reaches `.1` (signalling): the link comes up if
    /// both still want it. `.2`: `.0` holds no link (it asks alone).
    Offer(usize, usize, bool),
}

#[derive(Default)]
struct Figures {
    pages: usize,
    honest_online: usize,
    events: usize,
    mean_event: f64,
    copies_per_page_event: f64,
    bytes_per_page_event: f64,
    /// The same, of frames from honest pages only.
    honest_bytes_per_page_event: f64,
    hops_max: u32,
    latency_p50: u64,
    latency_p99: u64,
    max_links: usize,
    rooms_made: u64,
    pruned: u64,
    wanted: u64,
}

struct Sim {
    rng: Rng,
    now: u64,
    flood: bool,
    pages: Vec<Page>,
    links: HashMap<(usize, usize), Link>,
    queue: BinaryHeap<Reverse<(u64, u64)>>,
    due: HashMap<u64, Due>,
    next_due: u64,
    /// Honest events: id → (written at, size).
    written: BTreeMap<EventId, (u64, usize)>,
    /// (page, event) → (arrived at, hops).
    arrived: HashMap<(usize, EventId), (u64, u32)>,
    max_links: usize,
    /// Links dropped to make room for a page alone.
    rooms_made: u64,
    forged_seq: u32,
    /// With `TRUSTFOLD_PER_EVENT`: each honest event's id and bytes, in
    /// the order written, and its (first, repeated) full copies received
    /// by pages that joined before the writing.
    per_event: Option<PerEvent>,
}

/// Honest events in the order written (id, bytes), and per event number
/// its (first, repeated) full copies.
type PerEvent = (Vec<(EventId, Vec<u8>)>, BTreeMap<usize, (u64, u64)>);

fn pair(a: usize, b: usize) -> (usize, usize) {
    (a.min(b), a.max(b))
}

fn secret(n: usize) -> [u8; 32] {
    let mut s = [0x5a; 32];
    s[..8].copy_from_slice(&(n as u64 + 1).to_le_bytes());
    s
}

impl Sim {
    fn new(seed: u64, flood: bool) -> Sim {
        Sim {
            rng: Rng(seed),
            now: 0,
            flood,
            pages: Vec::new(),
            links: HashMap::new(),
            queue: BinaryHeap::new(),
            due: HashMap::new(),
            next_due: 0,
            written: BTreeMap::new(),
            arrived: HashMap::new(),
            max_links: 0,
            rooms_made: 0,
            forged_seq: 1 << 20,
            per_event: std::env::var("TRUSTFOLD_PER_EVENT")
                .is_ok()
                .then(|| (Vec::new(), BTreeMap::new())),
        }
    }

    fn at(&mut self, when: u64, what: Due) {
        self.next_due += 1;
        self.due.insert(self.next_due, what);
        self.queue.push(Reverse((when, self.next_due)));
    }

    /// A new page joins: the signalling server introduces it to a random
    /// sample of online members (twice its link limit).
    fn join(&mut self, kind: Kind) -> usize {
        let n = self.pages.len();
        let s = secret(n);
        let (node, _) = pollster::block_on(Node::open(MemoryStore::new(), || s)).unwrap();
        node.set_gossip_limits(gossip_limits(!self.flood));
        let online: Vec<usize> = (0..n).filter(|&p| self.pages[p].online).collect();
        let mut mesh = Membership::new(MeshLimits {
            links: LINKS,
            ..MeshLimits::default()
        });
        let sample = (0..(2 * LINKS).min(online.len()))
            .map(|_| online[self.rng.index(online.len())])
            .collect::<Vec<_>>();
        mesh.introduce(sample);
        self.pages.push(Page {
            node,
            mesh,
            online: true,
            kind,
            joined_at: self.now,
            events_received: 0,
            bytes_received: 0,
            honest_bytes: 0,
            next_fill: self.now + FILL_EVERY_MS / 2 + self.rng.below(FILL_EVERY_MS),
        });
        n
    }

    /// A page leaves for good: its links go down on both sides.
    fn leave(&mut self, n: usize) {
        self.pages[n].online = false;
        let peers: Vec<usize> = self.pages[n].mesh.active().copied().collect();
        for p in peers {
            self.cut(n, p);
            self.pages[p].mesh.gone(&n);
        }
    }

    fn cut(&mut self, a: usize, b: usize) {
        if let Some(link) = self.links.get_mut(&pair(a, b)) {
            link.epoch += 1;
        }
        for (me, peer) in [(a, b), (b, a)] {
            let page = &mut self.pages[me];
            if let Some(t) = page.node.traffic(&peer.to_string()) {
                page.events_received += t.events_received;
                page.bytes_received += t.bytes_received;
            }
            page.node.disconnect_peer(&peer.to_string());
            page.mesh.down(&peer);
        }
    }

    fn send(&mut self, from: usize, frames: Vec<(String, Vec<u8>)>) {
        if matches!(self.pages[from].kind, Kind::Withholder | Kind::IdFlooder) {
            return;
        }
        for (to, bytes) in frames {
            let to: usize = to.parse().unwrap();
            self.send_one(from, to, bytes);
        }
    }

    fn send_one(&mut self, from: usize, to: usize, bytes: Vec<u8>) {
        let Some(link) = self.links.get_mut(&pair(from, to)) else {
            return;
        };
        let dir = usize::from(from > to);
        let jitter = self.rng.below(10);
        let mut at = self.now + link.latency + jitter;
        if self.rng.below(100) == 0 {
            at += 3 * link.latency; // lost, retransmitted
        }
        at = at.max(link.last[dir]);
        link.last[dir] = at;
        let epoch = link.epoch;
        self.at(
            at,
            Due::Frame(Frame {
                from,
                to,
                epoch,
                bytes,
            }),
        );
    }

    fn deliver(&mut self, frame: Frame) {
        let Some(link) = self.links.get(&pair(frame.from, frame.to)) else {
            return;
        };
        if link.epoch != frame.epoch || !self.pages[frame.to].online {
            return;
        }
        let to = frame.to;
        self.count_copies(to, &frame.bytes);
        if self.pages[frame.from].kind == Kind::Honest {
            self.pages[to].honest_bytes += frame.bytes.len() as u64;
        }
        let result = pollster::block_on(
            self.pages[to]
                .node
                .from_peer(&frame.from.to_string(), &frame.bytes),
        );
        match result {
            Ok(out) => {
                let hops_from = |sim: &Sim, id: &EventId| {
                    sim.arrived.get(&(frame.from, *id)).map_or(0, |&(_, h)| h)
                };
                for event in &out.stored {
                    let hops = hops_from(self, &event.id()) + 1;
                    self.arrived
                        .entry((to, event.id()))
                        .or_insert((self.now, hops));
                }
                for (other, _) in &out.dropped {
                    let other: usize = other.parse().unwrap();
                    self.cut(to, other);
                }
                self.send(to, out.send);
            }
            Err(_) => {
                // Dropped for what it sent: the link closes.
                assert_ne!(
                    self.pages[frame.from].kind,
                    Kind::Honest,
                    "page {to} dropped honest page {}",
                    frame.from
                );
                self.cut(to, frame.from);
            }
        }
    }

    /// With `TRUSTFOLD_PER_EVENT`: the honest events a frame to `to`
    /// carries in full, each a first or a repeated copy.
    fn count_copies(&mut self, to: usize, frame: &[u8]) {
        let page = &self.pages[to];
        if page.kind != Kind::Honest || page.joined_at >= WRITE_FROM {
            return;
        }
        let Some((events, copies)) = &mut self.per_event else {
            return;
        };
        for (n, (id, bytes)) in events.iter().enumerate() {
            if frame.windows(bytes.len()).any(|w| w == &bytes[..]) {
                let (first, again) = copies.entry(n).or_default();
                if self.arrived.contains_key(&(to, *id)) {
                    *again += 1;
                } else {
                    *first += 1;
                }
            }
        }
    }

    fn offer(&mut self, from: usize, to: usize, alone: bool) {
        let wants = self.pages[from].online && self.pages[to].online;
        // A full page makes room for one that holds no link, within
        // `Membership::can_make_room_for`'s bounds.
        if wants
            && alone
            && !self.pages[to].mesh.accepts(&from)
            && let Some(victim) = self.pages[to].mesh.make_room(from, self.now)
        {
            self.rooms_made += 1;
            self.cut(to, victim);
        }
        if !wants || !self.pages[to].mesh.accepts(&from) {
            self.pages[from].mesh.down(&to);
            return;
        }
        if !self.pages[from].mesh.up(to) {
            return;
        }
        if !self.pages[to].mesh.up(from) {
            self.pages[from].mesh.down(&to);
            return;
        }
        let latency = 10 + self.rng.below(50);
        let link = self.links.entry(pair(from, to)).or_insert(Link {
            latency,
            last: [0, 0],
            epoch: 0,
        });
        link.epoch += 1;
        link.latency = latency;
        for (me, peer) in [(from, to), (to, from)] {
            let salt = self.rng.salt();
            let out = self.pages[me].node.connect_peer(&peer.to_string(), salt);
            self.send(me, out);
        }
        for page in [from, to] {
            self.max_links = self.max_links.max(self.pages[page].mesh.active_len());
        }
    }

    /// Every page's timers: lazy push asks for what did not arrive; pages
    /// short of links dial members they know.
    fn tick(&mut self) {
        for n in 0..self.pages.len() {
            if !self.pages[n].online {
                continue;
            }
            let out = self.pages[n].node.tick_peers(self.now);
            self.send(n, out);
            let rng = &mut self.rng;
            let alone = self.pages[n].mesh.alone();
            let mut dial = self.pages[n].mesh.to_dial(|len| rng.index(len));
            if self.now >= self.pages[n].next_fill {
                // A page with room offers one more link now and then.
                self.pages[n].next_fill =
                    self.now + FILL_EVERY_MS / 2 + self.rng.below(FILL_EVERY_MS);
                let rng = &mut self.rng;
                dial.extend(self.pages[n].mesh.to_fill(|len| rng.index(len)));
            }
            for peer in dial {
                // Signalling: an offer and its answer, ≈ 2 × 40 ms.
                let when = self.now + 80;
                self.at(when, Due::Offer(n, peer, alone));
            }
            if self.pages[n].kind == Kind::IdFlooder {
                let peers: Vec<usize> = self.pages[n].mesh.active().copied().collect();
                for peer in peers {
                    let ids = (0..64)
                        .map(|_| EventId(self.rng.salt().repeat(2).try_into().unwrap()))
                        .collect();
                    for frame in Framer::default().encode(&Message::Have { ids }) {
                        self.send_one(n, peer, frame);
                    }
                }
            }
        }
    }

    fn write(&mut self, n: usize) {
        let to = key(200);
        let event =
            pollster::block_on(self.pages[n].node.publish(self.now, pay(to, 1, "EUR"))).unwrap();
        self.written
            .insert(event.id(), (self.now, event.bytes().len()));
        self.arrived.insert((n, event.id()), (self.now, 0));
        if let Some((events, _)) = &mut self.per_event {
            events.push((event.id(), event.bytes().to_vec()));
        }
        let out = self.pages[n].node.push_to_peers(&[event]);
        self.send(n, out);
    }

    /// A Byzantine page's one act: a forged push, or an equivocation.
    fn misbehave(&mut self, n: usize) {
        let peers: Vec<usize> = self.pages[n].mesh.active().copied().collect();
        let liar = Identity::from_secret(secret(10_000 + n));
        let events = match self.pages[n].kind {
            Kind::Forger => {
                let mut forged = liar
                    .sign(Draft {
                        seq: 1,
                        parents: vec![],
                        time: self.now,
                        body: pay(key(201), 5, "EUR"),
                    })
                    .bytes()
                    .to_vec();
                let last = forged.len() - 1;
                forged[last] ^= 1;
                vec![forged]
            }
            Kind::Equivocator => (0..2)
                .map(|k| {
                    liar.sign(Draft {
                        seq: 1,
                        parents: vec![],
                        time: self.now,
                        body: pay(key(202 + k), 1, "EUR"),
                    })
                    .bytes()
                    .to_vec()
                })
                .collect(),
            _ => return,
        };
        for (i, peer) in peers.into_iter().enumerate() {
            self.forged_seq += 1;
            let message = Message::Events {
                seq: self.forged_seq,
                events: events[i % events.len()].clone(),
            };
            for frame in Framer::default().encode(&message) {
                self.send_one(n, peer, frame);
            }
        }
    }

    fn step_until(&mut self, until: u64) {
        while let Some(&Reverse((when, id))) = self.queue.peek() {
            if when > until {
                break;
            }
            self.queue.pop();
            // Timers run between frames, in time order.
            while (self.now / TICK_MS + 1) * TICK_MS <= when {
                self.now = (self.now / TICK_MS + 1) * TICK_MS;
                self.tick();
            }
            self.now = when;
            match self.due.remove(&id).unwrap() {
                Due::Frame(frame) => self.deliver(frame),
                Due::Offer(from, to, alone) => self.offer(from, to, alone),
            }
        }
        while self.now + TICK_MS <= until {
            self.now = (self.now / TICK_MS + 1) * TICK_MS;
            self.tick();
        }
        self.now = self.now.max(until);
    }

    fn honest_online(&self) -> Vec<usize> {
        (0..self.pages.len())
            .filter(|&n| self.pages[n].online && self.pages[n].kind == Kind::Honest)
            .collect()
    }

    fn all_delivered(&self) -> bool {
        self.honest_online().iter().all(|&n| {
            let log = self.pages[n].node.replica();
            self.written.keys().all(|id| log.log().contains(id))
        })
    }

    /// The pages figures are over: honest, online from before the first
    /// event to the end.
    fn measured(&self) -> Vec<usize> {
        self.honest_online()
            .into_iter()
            .filter(|&n| self.pages[n].joined_at < WRITE_FROM)
            .collect()
    }

    /// When the honest event `id` last first-arrived at one of `pages`
    /// (its writing time if none), and its most hops there.
    fn reach(&self, id: &EventId, pages: &[usize]) -> (u64, u32) {
        let mut reach = (self.written[id].0, 0);
        for &n in pages {
            if let Some(&(t, h)) = self.arrived.get(&(n, *id)) {
                reach = (reach.0.max(t), reach.1.max(h));
            }
        }
        reach
    }

    /// Figures over the honest pages online from before the first event
    /// to the end: a newcomer's catch-up is reconciliation, not
    /// dissemination (it is the same in both runs).
    fn figures(&mut self) -> Figures {
        let honest = self.measured();
        for &n in &honest {
            let peers: Vec<usize> = self.pages[n].mesh.active().copied().collect();
            for peer in peers {
                if let Some(t) = self.pages[n].node.traffic(&peer.to_string()) {
                    self.pages[n].events_received += t.events_received;
                    self.pages[n].bytes_received += t.bytes_received;
                }
            }
        }
        let events = self.written.len();
        let per = (honest.len() * events) as f64;
        let mut latencies = Vec::new();
        let mut hops_max = 0;
        for (id, &(at, _)) in &self.written {
            let (last, hops) = self.reach(id, &honest);
            hops_max = hops_max.max(hops);
            latencies.push(last - at);
        }
        latencies.sort_unstable();
        let pct = |p: f64| latencies[((latencies.len() - 1) as f64 * p).round() as usize];
        let stats: Vec<_> = honest
            .iter()
            .map(|&n| self.pages[n].node.gossip_stats())
            .collect();
        Figures {
            pages: self.pages.iter().filter(|p| p.online).count(),
            honest_online: honest.len(),
            events,
            mean_event: self.written.values().map(|&(_, s)| s as f64).sum::<f64>() / events as f64,
            copies_per_page_event: honest
                .iter()
                .map(|&n| self.pages[n].events_received as f64)
                .sum::<f64>()
                / per,
            bytes_per_page_event: honest
                .iter()
                .map(|&n| self.pages[n].bytes_received as f64)
                .sum::<f64>()
                / per,
            honest_bytes_per_page_event: honest
                .iter()
                .map(|&n| self.pages[n].honest_bytes as f64)
                .sum::<f64>()
                / per,
            hops_max,
            latency_p50: pct(0.5),
            latency_p99: pct(0.99),
            max_links: self.max_links,
            rooms_made: self.rooms_made,
            pruned: stats.iter().map(|s| s.pruned).sum(),
            wanted: stats.iter().map(|s| s.wanted).sum(),
        }
    }
}

impl Sim {
    /// The links among online pages, and which are eager on both sides,
    /// on one side: their counts and the graphs' eccentricities.
    fn print_shape(&self) {
        let online: Vec<usize> = (0..self.pages.len())
            .filter(|&n| self.pages[n].online)
            .collect();
        let mut all: HashMap<usize, Vec<usize>> = HashMap::new();
        let mut eager: HashMap<usize, Vec<usize>> = HashMap::new();
        let (mut links, mut both, mut one) = (0, 0, 0);
        for &a in &online {
            for &b in self.pages[a].mesh.active() {
                if b <= a || !self.pages[b].online {
                    continue;
                }
                links += 1;
                all.entry(a).or_default().push(b);
                all.entry(b).or_default().push(a);
                let ea = self.pages[a].node.is_eager(&b.to_string());
                let eb = self.pages[b].node.is_eager(&a.to_string());
                if ea && eb {
                    both += 1;
                } else if ea || eb {
                    one += 1;
                }
                if ea || eb {
                    eager.entry(a).or_default().push(b);
                    eager.entry(b).or_default().push(a);
                }
            }
        }
        let ecc = |g: &HashMap<usize, Vec<usize>>, from: usize| {
            let mut dist: HashMap<usize, u32> = HashMap::from([(from, 0)]);
            let mut q = std::collections::VecDeque::from([from]);
            while let Some(x) = q.pop_front() {
                for &y in g.get(&x).into_iter().flatten() {
                    if !dist.contains_key(&y) {
                        dist.insert(y, dist[&x] + 1);
                        q.push_back(y);
                    }
                }
            }
            (dist.values().copied().max().unwrap_or(0), dist.len())
        };
        let eccs = |g: &HashMap<usize, Vec<usize>>| {
            let mut e: Vec<(u32, usize)> = online.iter().map(|&n| ecc(g, n)).collect();
            e.sort_unstable();
            (e[0], e[e.len() / 2], e[e.len() - 1])
        };
        for &n in &online {
            if !eager.contains_key(&n) {
                println!(
                    "shape: page {n} ({:?}, joined at {} ms) has {} links, none eager",
                    self.pages[n].kind,
                    self.pages[n].joined_at,
                    self.pages[n].mesh.active_len()
                );
            }
        }
        println!(
            "shape: {} online, {links} links, {both} eager both sides, {one} one side; \
             ecc (min, median, max; reached) links {:?}, eager {:?}",
            online.len(),
            eccs(&all),
            eccs(&eager)
        );
    }
}

/// One run of `pages` pages: who is Byzantine, who leaves and who writes
/// are drawn from the seed, so the lazy and the flooding run match.
fn run(seed: u64, pages: usize, events: usize, flood: bool) -> Figures {
    let mut sim = Sim::new(seed, flood);
    let byzantine = (pages / 50).max(4);
    let kinds = [
        Kind::Withholder,
        Kind::IdFlooder,
        Kind::Forger,
        Kind::Equivocator,
    ];
    // Pages arrive over the first 2 s, each introduced to a sample of those
    // already there.
    for n in 0..pages {
        let kind = if n >= 1 && n <= byzantine {
            kinds[(n - 1) % kinds.len()]
        } else {
            Kind::Honest
        };
        sim.join(kind);
        let until = sim.now + 2_000 / pages as u64;
        sim.step_until(until);
    }
    sim.step_until(WRITE_FROM);
    // Leavers are honest pages that never write; writers never leave.
    let honest: Vec<usize> = (byzantine + 1..pages).collect();
    let leaving: BTreeSet<usize> = (0..pages / 10)
        .map(|_| honest[sim.rng.index(honest.len())])
        .collect();
    let writers: Vec<usize> = honest
        .iter()
        .copied()
        .filter(|n| !leaving.contains(n))
        .collect();
    let mut plan: Vec<(u64, u8, usize)> = Vec::new();
    let span = WRITE_UNTIL - WRITE_FROM;
    for _ in 0..events {
        plan.push((
            WRITE_FROM + sim.rng.below(span),
            0,
            writers[sim.rng.index(writers.len())],
        ));
    }
    for &n in &leaving {
        plan.push((WRITE_FROM + sim.rng.below(span), 1, n));
    }
    for _ in 0..leaving.len() {
        plan.push((WRITE_FROM + sim.rng.below(span), 2, 0));
    }
    for n in 1..=byzantine {
        plan.push((WRITE_FROM + sim.rng.below(span), 3, n));
    }
    plan.sort_unstable();
    for (when, what, n) in plan {
        sim.step_until(when);
        match what {
            0 => sim.write(n),
            1 => sim.leave(n),
            2 => {
                sim.join(Kind::Honest);
            }
            _ => sim.misbehave(n),
        }
    }
    while sim.now < END && !sim.all_delivered() {
        let next = sim.now + 500;
        sim.step_until(next);
    }
    // What is still in flight lands (acknowledgements), then the figures.
    let settle = sim.now + 2_000;
    sim.step_until(settle);
    assert!(
        sim.all_delivered(),
        "seed {seed}: not every honest event reached every honest page by {} ms",
        sim.now
    );
    for (n, page) in sim.pages.iter().enumerate() {
        assert!(
            page.mesh.active_len() <= LINKS,
            "page {n} holds {} links",
            page.mesh.active_len()
        );
    }
    if let Some((events, copies)) = &sim.per_event {
        for (n, (id, _)) in events.iter().enumerate() {
            let (first, again) = copies.get(&n).copied().unwrap_or_default();
            let written = sim.written[id].0;
            let (last, hops) = sim.reach(id, &sim.measured());
            println!(
                "event {n} written at {written} ms: {first} first copies, {again} repeated, \
                 reached all in {} ms, {hops} hops",
                last - written
            );
        }
    }
    if std::env::var("TRUSTFOLD_SHAPE").is_ok() {
        sim.print_shape();
    }
    sim.figures()
}

#[test]
fn events_reach_every_honest_page_of_a_partial_mesh_with_few_copies() {
    let pages = scale(100, 1_000);
    let events = scale(40, 100);
    for seed in seeds(&DEFAULT_SEEDS) {
        println!("seed {seed}: {pages} pages, {events} events");
        let lazy = run(seed, pages, events, false);
        let flood = run(seed, pages, events, true);
        for (name, f) in [("lazy push", &lazy), ("flooding", &flood)] {
            println!(
                "{name}: {} pages online ({} honest), {} events of {:.0} B: copies/page/event {:.2}, \
                 bytes/page/event {:.0} ({:.0} from honest pages), max hops {}, latency p50 {} ms \
                 p99 {} ms, max links {}, links dropped to make room {}, pruned {}, wanted {}",
                f.pages,
                f.honest_online,
                f.events,
                f.mean_event,
                f.copies_per_page_event,
                f.bytes_per_page_event,
                f.honest_bytes_per_page_event,
                f.hops_max,
                f.latency_p50,
                f.latency_p99,
                f.max_links,
                f.rooms_made,
                f.pruned,
                f.wanted
            );
        }
        // Held now: lazy push sends well under two thirds of flooding's
        // copies and fewer bytes, every honest page converging.
        assert!(lazy.max_links <= LINKS && flood.max_links <= LINKS);
        assert!(
            lazy.copies_per_page_event <= 0.6 * flood.copies_per_page_event,
            "seed {seed}: {:.2} copies per page per event against flooding's {:.2}",
            lazy.copies_per_page_event,
            flood.copies_per_page_event
        );
        assert!(lazy.bytes_per_page_event < flood.bytes_per_page_event);
        // The goals, reported (BENCHMARKS.md, "Rooms of hundreds"):
        // not all are met yet.
        let log2 = (pages as f64).log2();
        println!(
            "goals: copies ≤ 1.5: {}; hops ≤ 2·log2(N) = {:.1}: {}; p99 ≤ 2× flooding's: {}",
            lazy.copies_per_page_event <= 1.5,
            2.0 * log2,
            f64::from(lazy.hops_max) <= 2.0 * log2,
            lazy.latency_p99 <= 2 * flood.latency_p99
        );
    }
}

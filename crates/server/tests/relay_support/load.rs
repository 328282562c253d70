//! The relay under load: many honest clients ([`Honest`]: real nodes over
//! WebSocket links) in many networks against the real `trustfold-server`
//! binary, each writing one payment a second; for every event, the time
//! until each other client of its network has stored it, and what the
//! server and the clients cost.
//!
//! The server runs as its own process (the binary given, its relay
//! database in a fresh directory), so its memory and CPU are its own, read
//! from `/proc`. Clients connect from several loopback addresses
//! (127.0.0.2 onwards), so the server's per-address limits count them as
//! they would count real clients. Nodes are not `Send` (a page's node
//! lives on one thread), so the clients are spread over
//! [`Plan::threads`] threads, each a single-threaded runtime.
//!
//! Clients of network `n` are the clients `i` with `i % networks == n`;
//! client `i` writes at `T0 + i/clients s + k s` for `k` in
//! `0..seconds` (staggered over each second). A delivery is timed from
//! just before the writer hands the event's frames to its link to the
//! moment the receiving node's sync loop stored it (`Node::sync_over`'s
//! `stored` callback), on one clock (one process); and, to tell the
//! relay's part from the receiving node's, to the moment the frame
//! carrying it came off the receiver's socket (read by the link's reader
//! task, before the node verifies it).
//!
//! Every wait is bounded ([`Plan`]'s deadlines); a run that misses one
//! reports what it got rather than hanging.

use super::{Honest, Observer, random16};
use std::cell::RefCell;
use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};
use trustfold::event::encoding::event_len;
use trustfold::event::{Event, EventId};
use trustfold::sync::{Framer, Message};
use trustfold::testing::pay;

/// What to run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Clients in all.
    pub clients: usize,
    /// Networks they are spread over (client `i` in network `i % networks`).
    pub networks: usize,
    /// Seconds of writing: each client writes this many payments.
    pub seconds: u64,
    /// Loopback source addresses, 127.0.0.2 onwards (client `i` from the
    /// `i % addresses`-th).
    pub addresses: usize,
    /// Client threads.
    pub threads: usize,
    /// The `trustfold-server` binary.
    pub server: PathBuf,
    /// Flags added to `--addr`, `--relay-db` and `--site`.
    pub server_args: Vec<String>,
    /// A directory for the relay's database and the server's log (created;
    /// removed at the end).
    pub dir: PathBuf,
    /// How long all clients may take to join.
    pub join_within: Duration,
    /// How long deliveries may take after the last write.
    pub drain_within: Duration,
    /// Server instances (1: one server, as in production without NATS);
    /// the clients of each network are spread over them in turn.
    pub instances: usize,
    /// The NATS servers whose JetStream the instances share (`--nats`).
    pub nats: Option<String>,
}

/// What a run measured.
#[derive(Debug, Default)]
pub struct Report {
    /// Every delivery's latency in µs, sorted: until the receiving node
    /// stored the event.
    pub latencies: Vec<u32>,
    /// Until the frame carrying it came off the receiver's socket, µs,
    /// sorted.
    pub arrivals: Vec<u32>,
    /// Per 10-s window of writing (by when the event was written).
    pub windows: Vec<Window>,
    /// Per second of writing, the p99 until stored, µs.
    pub p99_by_second: Vec<u32>,
    /// Events written.
    pub written: u64,
    /// Deliveries owed (each event to every other client of its network).
    pub expected: u64,
    /// Deliveries made.
    pub delivered: u64,
    /// How late writers woke for their writes: p50, p99, max (µs).
    pub wake_late: (u32, u32, u32),
    /// From the first connect until every client had joined.
    pub join_time: Duration,
    /// From the last write's due time until the last delivery (or the
    /// drain deadline).
    pub drain_time: Duration,
    /// The server's resident memory at the end (clients still connected)
    /// and its peak, KiB (`VmRSS`, `VmHWM`).
    pub server_rss_kib: u64,
    /// The peak.
    pub server_hwm_kib: u64,
    /// The server's resident memory once every client joined, KiB.
    pub server_rss_joined_kib: u64,
    /// Each instance's resident memory at the end, KiB.
    pub instances_rss_kib: Vec<u64>,
    /// The most threads the server had during the writing (sampled every
    /// 100 ms), and at the end.
    pub server_threads_max: u64,
    /// At the end.
    pub server_threads_end: u64,
    /// Where bytes waited, at a third and two thirds of the writing
    /// (seconds after `T0`): see [`Queues`].
    pub queues: Vec<(f64, Queues)>,
    /// CPU seconds during the writing (from `T0` to the last write's due
    /// time + 1 s): the server's, this process's (the clients'), and the
    /// whole machine's busy time (every process, ours included).
    pub server_cpu: f64,
    /// This process's.
    pub clients_cpu: f64,
    /// The machine's.
    pub machine_cpu: f64,
    /// Wall seconds of that span.
    pub span: f64,
    /// The machine's cores.
    pub cores: usize,
    /// Clients the relay closed or told an error (honest: should be 0).
    pub dropped: usize,
    /// Notices heard (quotas; should be none).
    pub notices: usize,
    /// Lines of the server's log at warn or error level, and its "dropping"
    /// lines (first 10 of each kept).
    pub server_warnings: Vec<String>,
}

impl Report {
    /// The `q`-quantile of the latencies, in ms.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        quantile(&self.latencies, q) as f64 / 1000.0
    }

    /// One paragraph for people.
    pub fn summary(&self, plan: &Plan) -> String {
        let max = self.latencies.last().copied().unwrap_or(0);
        let mut out = format!(
            "{} clients in {} networks from {} addresses, {} s of one payment a client a second; \
             {} client threads\n\
             written {}, deliveries {} of {} owed; latency until stored p50 {:.1} ms, \
             p90 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms, max {:.1} ms\n\
             until read off its socket by the receiving client ({} arrivals): p50 {:.1} ms, \
             p90 {:.1} ms, p99 {:.1} ms, p99.9 {:.1} ms, max {:.1} ms\n\
             server RSS {} KiB at the end ({} KiB once all joined, peak {} KiB); threads {} at \
             most while writing, {} at the end\n\
             CPU over {:.1} s of writing: server {:.2} cores, clients (this process) {:.2} cores, \
             machine {:.2} of {} cores busy (others {:.2})\n\
             joins took {:.1} s; last delivery {:.2} s after the last write was due; writers woke \
             late by p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms\n\
             clients dropped {}, notices {}, server warnings {}",
            plan.clients,
            plan.networks,
            plan.addresses,
            plan.seconds,
            plan.threads,
            self.written,
            self.delivered,
            self.expected,
            self.quantile_ms(0.5),
            self.quantile_ms(0.9),
            self.quantile_ms(0.99),
            self.quantile_ms(0.999),
            max as f64 / 1000.0,
            self.arrivals.len(),
            quantile(&self.arrivals, 0.5) as f64 / 1000.0,
            quantile(&self.arrivals, 0.9) as f64 / 1000.0,
            quantile(&self.arrivals, 0.99) as f64 / 1000.0,
            quantile(&self.arrivals, 0.999) as f64 / 1000.0,
            self.arrivals.last().copied().unwrap_or(0) as f64 / 1000.0,
            self.server_rss_kib,
            self.server_rss_joined_kib,
            self.server_hwm_kib,
            self.server_threads_max,
            self.server_threads_end,
            self.span,
            self.server_cpu / self.span,
            self.clients_cpu / self.span,
            self.machine_cpu / self.span,
            self.cores,
            (self.machine_cpu - self.server_cpu - self.clients_cpu) / self.span,
            self.join_time.as_secs_f64(),
            self.drain_time.as_secs_f64(),
            self.wake_late.0 as f64 / 1000.0,
            self.wake_late.1 as f64 / 1000.0,
            self.wake_late.2 as f64 / 1000.0,
            self.dropped,
            self.notices,
            self.server_warnings.len(),
        );
        if plan.instances > 1 || plan.nats.is_some() {
            let per: Vec<String> = self
                .instances_rss_kib
                .iter()
                .map(|k| format!("{} KiB", k))
                .collect();
            out.push_str(&format!(
                "\n{} instance(s){}; RSS per instance {}; throughput {:.0} deliveries/s; server CPU \
                 above is all instances together",
                plan.instances,
                if plan.nats.is_some() { " on NATS JetStream" } else { "" },
                per.join(", "),
                self.delivered as f64 / self.span.max(1e-9),
            ));
        }
        for (i, w) in self.windows.iter().enumerate() {
            out.push_str(&format!(
                "\n  written in s {}–{}: stored p50 {:.1} ms, p99 {:.1} ms; read \
                 p50 {:.1} ms, p99 {:.1} ms ({} deliveries)",
                i * 10,
                i * 10 + 10,
                w.stored_p50 as f64 / 1000.0,
                w.stored_p99 as f64 / 1000.0,
                w.arrived_p50 as f64 / 1000.0,
                w.arrived_p99 as f64 / 1000.0,
                w.n,
            ));
        }
        out.push_str("\n  p99 until stored by second of writing (ms):");
        for p99 in &self.p99_by_second {
            out.push_str(&format!(" {:.0}", *p99 as f64 / 1000.0));
        }
        for (at, q) in &self.queues {
            out.push_str(&format!(
                "\n  at {at:.0} s of writing, bytes sent and not yet read: by the server {} \
                 (in {} sockets), by the clients {} (in {} sockets)",
                q.server_bytes, q.server_sockets, q.client_bytes, q.client_sockets
            ));
        }
        for line in self.server_warnings.iter().take(10) {
            out.push_str(&format!("\n  server: {line}"));
        }
        out
    }
}

/// The deliveries of events written in one 10-s window: p50 and p99 in
/// µs, stored and arrived, and how many.
#[derive(Debug, Default)]
pub struct Window {
    /// Until stored: p50.
    pub stored_p50: u32,
    /// Until stored: p99.
    pub stored_p99: u32,
    /// Until off the socket: p50.
    pub arrived_p50: u32,
    /// Until off the socket: p99.
    pub arrived_p99: u32,
    /// Deliveries (stored).
    pub n: usize,
}

fn quantile(sorted: &[u32], q: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let at = ((sorted.len() as f64 * q) as usize).min(sorted.len() - 1);
    sorted[at]
}

/// Bytes sent on the loopback connections to the server and not yet read
/// by their receiver (`rx_queue` of `/proc/net/tcp`): on the server's side
/// (from clients: events, acknowledgements), and on the clients' side
/// (from the relay), with how many sockets hold any. A queue that grows
/// says who is behind.
#[derive(Clone, Copy, Debug, Default)]
pub struct Queues {
    /// Unread by the server: bytes.
    pub server_bytes: u64,
    /// Unread by the server: sockets holding any.
    pub server_sockets: usize,
    /// Unread by the clients: bytes.
    pub client_bytes: u64,
    /// Unread by the clients: sockets holding any.
    pub client_sockets: usize,
}

/// [`Queues`] now, for the server listening on `port` (IPv4 loopback).
fn socket_queues(port: u16) -> Queues {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    let mut q = Queues::default();
    for line in table.lines().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        // sl, local, remote, state (01: established), tx_queue:rx_queue.
        let (Some(local), Some(remote), Some("01"), Some(queues)) =
            (f.get(1), f.get(2), f.get(3).copied(), f.get(4))
        else {
            continue;
        };
        let port_of = |a: &str| {
            a.split_once(':')
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok())
        };
        let rx = queues
            .split_once(':')
            .and_then(|(_, rx)| u64::from_str_radix(rx, 16).ok())
            .unwrap_or(0);
        if port_of(local) == Some(port) {
            q.server_bytes += rx;
            q.server_sockets += usize::from(rx > 0);
        } else if port_of(remote) == Some(port) {
            q.client_bytes += rx;
            q.client_sockets += usize::from(rx > 0);
        }
    }
    q
}

/// The server process, killed when dropped.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    /// Instance `k` of `plan`, with a database of its own.
    fn spawn(plan: &Plan, k: usize) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let log = plan.dir.join(format!("server-{k}.log"));
        let nats: Vec<&str> = match &plan.nats {
            Some(urls) => vec!["--nats", urls],
            None => Vec::new(),
        };
        let child = Command::new(&plan.server)
            .arg("--addr")
            .arg(addr.to_string())
            .arg("--relay-db")
            .arg(plan.dir.join(format!("relay-{k}.sqlite")))
            .arg("--site")
            .arg(&plan.dir)
            .args(&plan.server_args)
            .args(nats)
            .env("RUST_LOG", "info")
            .current_dir(&plan.dir)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", plan.server.display()));
        let started = Instant::now();
        while std::net::TcpStream::connect(addr).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the server did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Server { child, addr, log }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its log's warnings and errors, and the relay's "dropping" lines.
    fn warnings(&self) -> Vec<String> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .filter(|l| l.contains("WARN") || l.contains("ERROR") || l.contains("dropping"))
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `/proc/<pid>/status` field in KiB.
fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A benchmark's setting from the environment: `name`, or `default`.
pub fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?}: not a whole number")),
        Err(_) => default,
    }
}

/// Clock ticks per second of `/proc` CPU times.
pub fn ticks_per_second() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// CPU seconds a process has used (user + system, all its threads;
/// `pid` may be `self`).
pub fn process_cpu(pid: &str, tick: f64) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces), from field 3.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15: 12 and 13 after the name.
    (ticks(11) + ticks(12)) / tick
}

/// CPU seconds the whole machine has been busy (all but idle and iowait).
fn machine_cpu(tick: f64) -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let line = stat.lines().next().unwrap_or_default();
    let v: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    let total: f64 = v.iter().take(8).sum();
    let idle = v.get(3).copied().unwrap_or(0.0) + v.get(4).copied().unwrap_or(0.0);
    (total - idle) / tick
}

#[derive(Clone, Copy)]
struct Cpu {
    server: f64,
    clients: f64,
    machine: f64,
    at: Instant,
}

fn cpu_now(servers: &[u32], tick: f64) -> Cpu {
    Cpu {
        server: servers
            .iter()
            .map(|pid| process_cpu(&pid.to_string(), tick))
            .sum(),
        clients: process_cpu("self", tick),
        machine: machine_cpu(tick),
        at: Instant::now(),
    }
}

/// What the threads share.
struct Shared {
    plan: Plan,
    /// The instances' addresses.
    addrs: Vec<SocketAddr>,
    /// When each event was handed to its link.
    published: Mutex<HashMap<EventId, Instant>>,
    joined: AtomicUsize,
    /// The first write's time, once every client joined.
    t0: OnceLock<Instant>,
    written: AtomicU64,
    expected: AtomicU64,
    delivered: AtomicU64,
    writers_done: AtomicUsize,
    stop: tokio::sync::watch::Sender<bool>,
}

/// What one client thread measured.
#[derive(Default)]
struct Measured {
    /// (latency µs, second of writing it was written in): stored.
    deliveries: Vec<(u32, u32)>,
    /// Likewise, off the socket.
    arrivals: Vec<(u32, u32)>,
    wake_late: Vec<u32>,
    dropped: usize,
    notices: usize,
}

/// Times the events in frames as they come off a client's socket.
fn arrivals(shared: Arc<Shared>, into: Arc<Mutex<Vec<(u32, u32)>>>) -> Observer {
    let mut framer = Framer::default();
    Box::new(move |frame: &[u8]| {
        let now = Instant::now();
        let Ok(Some(Message::Events { events, .. })) = framer.decode(frame) else {
            return;
        };
        let Some(t0) = shared.t0.get().copied() else {
            return;
        };
        let mut ids = Vec::new();
        let mut rest = &events[..];
        while let Some(len) = event_len(rest).filter(|&n| n <= rest.len()) {
            ids.push(EventId::of_bytes(&rest[..len]));
            rest = &rest[len..];
        }
        let published = shared.published.lock().unwrap();
        let mut into = into.lock().unwrap();
        for id in ids {
            if let Some(at) = published.get(&id) {
                let latency = now.saturating_duration_since(*at).as_micros() as u32;
                let second = at.saturating_duration_since(t0).as_secs() as u32;
                into.push((latency, second));
            }
        }
    })
}

fn secret(i: usize) -> [u8; 32] {
    let mut secret = [0x1d; 32];
    secret[..8].copy_from_slice(&(i as u64).to_le_bytes());
    secret
}

fn room(plan: &Plan, i: usize) -> String {
    format!("load-{}", i % plan.networks)
}

fn network_size(plan: &Plan, n: usize) -> usize {
    (0..plan.clients).filter(|i| i % plan.networks == n).count()
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Waits (asynchronously, bounded by `within`) until `done`.
async fn until(within: Duration, done: impl Fn() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while !done() {
        if Instant::now() > deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    true
}

/// One client thread: joins its clients, runs their sync loops, and from
/// `T0` their writers, until told to stop.
async fn client_thread(shared: Arc<Shared>, thread: usize) -> Measured {
    let plan = &shared.plan;
    let measured = Rc::new(RefCell::new(Measured::default()));
    let arrived = Arc::new(Mutex::new(Vec::new()));
    let mut clients: Vec<Rc<Honest>> = Vec::new();
    let mut tasks = Vec::new();
    for i in (0..plan.clients).filter(|i| i % plan.threads == thread) {
        let from = Ipv4Addr::new(127, 0, 0, 2 + (i % plan.addresses) as u8);
        let client = Rc::new(
            Honest::open_as(
                // A network's clients on each instance in turn.
                shared.addrs[(i / plan.networks) % shared.addrs.len()],
                Some(from),
                &room(plan, i),
                secret(i),
                i as u8,
                Some(arrivals(shared.clone(), arrived.clone())),
            )
            .await
            .expect("a client joins"),
        );
        shared.joined.fetch_add(1, Ordering::AcqRel);
        let (c, s, m) = (client.clone(), shared.clone(), measured.clone());
        let mut stop = shared.stop.subscribe();
        tasks.push(tokio::task::spawn_local(async move {
            let stored = |events: &[Event]| {
                let now = Instant::now();
                let t0 = s.t0.get().copied();
                let published = s.published.lock().unwrap();
                let mut m = m.borrow_mut();
                for event in events {
                    if let (Some(at), Some(t0)) = (published.get(&event.id()), t0) {
                        let latency = now.saturating_duration_since(*at).as_micros() as u32;
                        let second = at.saturating_duration_since(t0).as_secs() as u32;
                        m.deliveries.push((latency, second));
                        s.delivered.fetch_add(1, Ordering::AcqRel);
                    }
                }
            };
            tokio::select! {
                () = c.node.sync_over(&c.link, random16, stored) => {}
                _ = stop.wait_for(|stop| *stop) => {}
            }
        }));
        clients.push(client);
    }
    // Every client joined (all threads), then the writing starts at T0.
    let t0 = loop {
        if let Some(t0) = shared.t0.get() {
            break *t0;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    for (n, client) in clients.iter().enumerate() {
        let i = thread + n * plan.threads;
        let (c, s, m) = (client.clone(), shared.clone(), measured.clone());
        let offset = Duration::from_micros((i as u64 * 1_000_000) / plan.clients as u64);
        let owed = (network_size(plan, i % plan.networks) - 1) as u64;
        let payee = trustfold::Identity::from_secret(secret(i + 1)).public_key();
        tasks.push(tokio::task::spawn_local(async move {
            for k in 0..s.plan.seconds {
                let due = t0 + offset + Duration::from_secs(k);
                tokio::time::sleep_until(due.into()).await;
                let late = Instant::now().saturating_duration_since(due);
                m.borrow_mut().wake_late.push(late.as_micros() as u32);
                let event = c
                    .node
                    .publish(now_ms(), pay(payee, k + 1, "EUR"))
                    .await
                    .expect("a payment is published");
                let frames = c.node.push_to_peers(std::slice::from_ref(&event));
                s.published
                    .lock()
                    .unwrap()
                    .insert(event.id(), Instant::now());
                s.expected.fetch_add(owed, Ordering::AcqRel);
                s.written.fetch_add(1, Ordering::AcqRel);
                trustfold::send_all(&c.link, frames).await;
            }
            s.writers_done.fetch_add(1, Ordering::AcqRel);
        }));
    }
    let mut stop = shared.stop.subscribe();
    let _ = stop.wait_for(|stop| *stop).await;
    for task in tasks {
        task.abort();
    }
    let mut m = std::mem::take(&mut *measured.borrow_mut());
    m.arrivals = std::mem::take(&mut *arrived.lock().unwrap());
    for c in &clients {
        if c.link.heard.closed() || !c.link.heard.codes("error").is_empty() {
            m.dropped += 1;
        }
        m.notices += c.link.heard.codes("notice").len();
    }
    m
}

/// Runs `plan`: starts the server, the clients, the writing; waits for
/// the deliveries (bounded); reports.
pub fn run(plan: Plan) -> Report {
    let _ = std::fs::remove_dir_all(&plan.dir);
    std::fs::create_dir_all(&plan.dir).unwrap();
    let tick = ticks_per_second();
    let servers: Vec<Server> = (0..plan.instances.max(1))
        .map(|k| Server::spawn(&plan, k))
        .collect();
    let server = &servers[0];
    let pids: Vec<u32> = servers.iter().map(Server::pid).collect();
    let (stop, _) = tokio::sync::watch::channel(false);
    let shared = Arc::new(Shared {
        plan: plan.clone(),
        addrs: servers.iter().map(|s| s.addr).collect(),
        published: Mutex::new(HashMap::with_capacity(plan.clients * plan.seconds as usize)),
        joined: AtomicUsize::new(0),
        t0: OnceLock::new(),
        written: AtomicU64::new(0),
        expected: AtomicU64::new(0),
        delivered: AtomicU64::new(0),
        writers_done: AtomicUsize::new(0),
        stop,
    });
    let started = Instant::now();
    let threads: Vec<_> = (0..plan.threads)
        .map(|t| {
            let shared = shared.clone();
            std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                let local = tokio::task::LocalSet::new();
                local.block_on(&runtime, client_thread(shared, t))
            })
        })
        .collect();
    let mut report = Report {
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        ..Report::default()
    };
    let wait = |within: Duration, done: &dyn Fn() -> bool| {
        let deadline = Instant::now() + within;
        while !done() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        done()
    };
    let all_joined = wait(plan.join_within, &|| {
        shared.joined.load(Ordering::Acquire) == plan.clients
    });
    report.join_time = started.elapsed();
    if all_joined {
        // Let the first sessions' rounds finish before the writing.
        std::thread::sleep(Duration::from_secs(2));
        report.server_rss_joined_kib = status_kib(server.pid(), "VmRSS:");
        let t0 = Instant::now() + Duration::from_millis(500);
        shared.t0.set(t0).unwrap();
        std::thread::sleep(t0.saturating_duration_since(Instant::now()));
        let before = cpu_now(&pids, tick);
        let last_due = t0 + Duration::from_secs(plan.seconds);
        // Sampled through the writing: the server's threads (the relay
        // runs its store calls in `block_in_place`, which hands the
        // worker's queue to a new thread while one blocks).
        let mut next_queues = t0 + Duration::from_secs(plan.seconds) / 3;
        while Instant::now() < last_due {
            let threads = status_kib(server.pid(), "Threads:");
            report.server_threads_max = report.server_threads_max.max(threads);
            if Instant::now() >= next_queues {
                let at = Instant::now().saturating_duration_since(t0).as_secs_f64();
                report.queues.push((at, socket_queues(server.addr.port())));
                next_queues += Duration::from_secs(plan.seconds) / 3;
            }
            std::thread::sleep(
                Duration::from_millis(100).min(last_due - Instant::now().min(last_due)),
            );
        }
        let after = cpu_now(&pids, tick);
        report.server_cpu = after.server - before.server;
        report.clients_cpu = after.clients - before.clients;
        report.machine_cpu = after.machine - before.machine;
        report.span = (after.at - before.at).as_secs_f64();
        wait(plan.drain_within, &|| {
            shared.writers_done.load(Ordering::Acquire) == plan.clients
                && shared.delivered.load(Ordering::Acquire)
                    >= shared.expected.load(Ordering::Acquire)
        });
        report.drain_time = Instant::now().saturating_duration_since(last_due);
    }
    report.server_rss_kib = status_kib(server.pid(), "VmRSS:");
    report.instances_rss_kib = pids.iter().map(|&pid| status_kib(pid, "VmRSS:")).collect();
    report.server_hwm_kib = status_kib(server.pid(), "VmHWM:");
    report.server_threads_end = status_kib(server.pid(), "Threads:");
    shared.stop.send_replace(true);
    let mut deliveries = Vec::new();
    let mut arrivals = Vec::new();
    let mut wake_late = Vec::new();
    for thread in threads {
        let m = thread.join().expect("a client thread finished");
        deliveries.extend(m.deliveries);
        arrivals.extend(m.arrivals);
        wake_late.extend(m.wake_late);
        report.dropped += m.dropped;
        report.notices += m.notices;
    }
    report.written = shared.written.load(Ordering::Acquire);
    report.expected = shared.expected.load(Ordering::Acquire);
    report.delivered = shared.delivered.load(Ordering::Acquire);
    report.server_warnings = servers.iter().flat_map(Server::warnings).collect();
    wake_late.sort_unstable();
    report.wake_late = (
        quantile(&wake_late, 0.5),
        quantile(&wake_late, 0.99),
        wake_late.last().copied().unwrap_or(0),
    );
    let windows = (plan.seconds as usize).div_ceil(10);
    let in_window = |all: &[(u32, u32)], w: usize| {
        let mut v: Vec<u32> = all
            .iter()
            .filter(|(_, s)| (*s as usize) / 10 == w)
            .map(|(l, _)| *l)
            .collect();
        v.sort_unstable();
        v
    };
    for w in 0..windows {
        let stored = in_window(&deliveries, w);
        let arrived = in_window(&arrivals, w);
        report.windows.push(Window {
            stored_p50: quantile(&stored, 0.5),
            stored_p99: quantile(&stored, 0.99),
            arrived_p50: quantile(&arrived, 0.5),
            arrived_p99: quantile(&arrived, 0.99),
            n: stored.len(),
        });
    }
    let mut by_second: Vec<Vec<u32>> = vec![Vec::new(); plan.seconds as usize + 1];
    for &(latency, second) in &deliveries {
        by_second[(second as usize).min(plan.seconds as usize)].push(latency);
    }
    for mut second in by_second.into_iter().take(plan.seconds as usize) {
        second.sort_unstable();
        report.p99_by_second.push(quantile(&second, 0.99));
    }
    report.latencies = deliveries.into_iter().map(|(l, _)| l).collect();
    report.latencies.sort_unstable();
    report.arrivals = arrivals.into_iter().map(|(l, _)| l).collect();
    report.arrivals.sort_unstable();
    drop(servers);
    remove_dir(&plan.dir);
    report
}

fn remove_dir(dir: &Path) {
    let _ = std::fs::remove_dir_all(dir);
}

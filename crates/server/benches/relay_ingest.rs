//! The relay's ingest benchmark (issue #14): what taking events in through
//! the relay's real path costs, against its two anchors measured in the
//! same run over the same events:
//!
//! * **verify** — `verify_strict` of every event's signature (key decoding
//!   included: `trustfold::event::validate::verify_signature`, what the
//!   relay does per event), on all cores (`std::thread::scope` over
//!   chunks): the ceiling of any path that checks every signature; also on
//!   one core, to attribute;
//! * **write** — the same events' bytes appended to a fresh database of the
//!   relay's layout by the relay's store (`NetworkStore::append` of events
//!   already checked), in the batches the relay path writes: the durable
//!   write alone (one SQLite transaction and fsync per batch);
//! * **relay** — the same events sent as sync frames, as a client sends
//!   them, into `trustfold::relay::RelayNetwork::receive` over a fresh
//!   `NetworkStore`, up to 64 frames a call as a connection takes them
//!   (`FRAMES_PER_TURN` in `src/relay/connection.rs`): decode, signature,
//!   admission, rules against parents, quotas, one durable write per call,
//!   and the session's answers.
//!
//! Two shapes of the same events: **catch-up** (a client pushing its
//! backlog: `Events` messages filled to the session's 63 KiB, 64 frames a
//! turn ≈ 21,000 events a write) and **live** (one event a message, as a
//! page pushes what it just wrote; 64 a turn, so 64 events a write). The
//! figure of the issue is relay / min(verify on all cores, write), per run;
//! goal ≥ 0.75.
//!
//! The events: `RELAY_BENCH_EVENTS` (50,000) payments by 100 authors, each
//! an author's chain (parent: the author's previous event) that also names
//! the latest event of another author, so most events have two parents,
//! signed before any timing. `RELAY_BENCH_RUNS` (3) runs; in each run the
//! measurements take turns in a rotating order, each database is fresh.
//! Databases live under the target directory (a real disk: fsync must
//! cost what it costs), removed as they go.
//!
//! ```sh
//! cargo bench -p trustfold-server --bench relay_ingest
//! ```
//!
//! See BENCHMARKS.md, "Relay (issue #14)".

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use trustfold::event::validate::verify_signature;
use trustfold::relay::{Admission, RelayLimits, RelayNetwork};
use trustfold::sync::{Framer, MAX_FRAME, Message};
use trustfold::{Body, Draft, Event, EventId, Identity, Transfer};
use trustfold_server::relay::store::{NewEvent, RelayDb};

/// Authors the events are spread over.
const AUTHORS: usize = 100;
/// Frames a connection takes in one turn (the relay's `FRAMES_PER_TURN`).
const FRAMES_PER_TURN: usize = 64;
/// Bytes of events per `Events` message in a catch-up (the session's
/// `EVENTS_PER_MESSAGE`).
const EVENTS_PER_MESSAGE: usize = MAX_FRAME - 1024;

fn env_usize(name: &str, default: usize) -> usize {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?}: not a whole number")),
        Err(_) => default,
    }
}

/// `n` signed payments by [`AUTHORS`] authors, in causal order.
fn payments(n: usize) -> Vec<Event> {
    let authors: Vec<Identity> = (0..AUTHORS)
        .map(|a| {
            let mut secret = [0x5e; 32];
            secret[..8].copy_from_slice(&(a as u64).to_le_bytes());
            Identity::from_secret(secret)
        })
        .collect();
    let mut last: Vec<Option<EventId>> = vec![None; AUTHORS];
    let mut out: Vec<Event> = Vec::with_capacity(n);
    for i in 0..n {
        let a = i % AUTHORS;
        let mut parents: Vec<EventId> = last[a].into_iter().collect();
        // The latest event by someone else: a DAG, not 100 lone chains.
        if let Some(other) = out.last()
            && other.author() != authors[a].public_key()
        {
            parents.push(other.id());
        }
        let to = authors[(a + 1) % AUTHORS].public_key();
        let event = authors[a].sign(Draft {
            seq: (i / AUTHORS + 1) as u64,
            parents,
            time: 1_700_000_000_000 + i as u64,
            body: Body::Transfer(Transfer {
                to,
                amount: 100 + i as u64,
                unit: "EUR".into(),
                memo: "invoice".into(),
                reverses: None,
            }),
        });
        last[a] = Some(event.id());
        out.push(event);
    }
    out
}

/// How a client sends the events.
#[derive(Clone, Copy)]
enum Shape {
    /// A backlog: full `Events` messages.
    CatchUp,
    /// One event a message.
    Live,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::CatchUp => "catch-up",
            Shape::Live => "live",
        }
    }
}

/// The frames a client sends, grouped in turns of [`FRAMES_PER_TURN`], and
/// the events each turn carries (the batches the relay writes).
struct Turns {
    frames: Vec<Vec<Vec<u8>>>,
    batches: Vec<std::ops::Range<usize>>,
}

fn turns(events: &[Event], shape: Shape) -> Turns {
    let mut framer = Framer::default();
    let mut messages: Vec<(Vec<u8>, std::ops::Range<usize>)> = Vec::new();
    let mut seq = 0u32;
    let mut start = 0;
    while start < events.len() {
        let mut end = start;
        let mut bytes = Vec::new();
        while end < events.len() {
            let next = events[end].bytes();
            let full = match shape {
                Shape::Live => end > start,
                Shape::CatchUp => {
                    !bytes.is_empty() && bytes.len() + next.len() > EVENTS_PER_MESSAGE
                }
            };
            if full {
                break;
            }
            bytes.extend_from_slice(next);
            end += 1;
        }
        seq += 1;
        let frames = framer.encode(&Message::Events { seq, events: bytes });
        assert_eq!(frames.len(), 1, "an Events message fits one frame");
        messages.push((frames.into_iter().next().unwrap(), start..end));
        start = end;
    }
    let mut out = Turns {
        frames: Vec::new(),
        batches: Vec::new(),
    };
    for chunk in messages.chunks(FRAMES_PER_TURN) {
        out.frames
            .push(chunk.iter().map(|(f, _)| f.clone()).collect());
        out.batches
            .push(chunk[0].1.start..chunk[chunk.len() - 1].1.end);
    }
    out
}

/// A fresh database path under the target directory.
fn fresh_db(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(format!("{name}.sqlite"));
    remove_db(&path);
    path
}

fn remove_db(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.to_path_buf().into_os_string();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

/// Verifies every event's signature on `threads` threads; the time.
fn verify(events: &[Event], threads: usize) -> Duration {
    let started = Instant::now();
    let chunk = events.len().div_ceil(threads);
    std::thread::scope(|scope| {
        for part in events.chunks(chunk) {
            scope.spawn(move || {
                for event in part {
                    verify_signature(std::hint::black_box(event)).expect("a valid signature");
                }
            });
        }
    });
    started.elapsed()
}

/// Appends the events to a fresh database in `batches`; the time.
fn write(events: &[Event], batches: &[std::ops::Range<usize>], path: &Path) -> Duration {
    let db = RelayDb::open(path).unwrap();
    let store = db.network("open:bench").unwrap();
    let new: Vec<NewEvent<'_>> = events.iter().map(NewEvent::of).collect();
    let started = Instant::now();
    for batch in batches {
        store.append(&new[batch.clone()]).unwrap();
    }
    let took = started.elapsed();
    assert_eq!(store.len().unwrap(), events.len() as u64);
    drop((store, db));
    remove_db(path);
    took
}

/// Sends the frames through the relay's core into a fresh database; the
/// time.
fn relay(n: usize, turns: &Turns, path: &Path) -> Duration {
    let db = RelayDb::open(path).unwrap();
    // As the relay's hub makes it: its record comes with its first write.
    let mut store = db.network_on_write("open:bench").unwrap();
    let mut network: RelayNetwork<u64> = RelayNetwork::new(Admission::Open, RelayLimits::default());
    network.connect(1, &store, [7; 16]).unwrap();
    let started = Instant::now();
    let mut stored = 0;
    for frames in &turns.frames {
        let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
        let out = network.receive(&1, &refs, &mut store);
        assert!(out.dropped.is_empty(), "dropped: {:?}", out.dropped);
        assert!(out.notices.is_empty(), "notices: {:?}", out.notices);
        assert_eq!(out.store_error, None);
        stored += out.stored;
    }
    let took = started.elapsed();
    assert_eq!(stored, n, "every event stored");
    assert_eq!(store.len().unwrap(), n as u64);
    drop((network, store, db));
    remove_db(path);
    took
}

fn rate(n: usize, took: Duration) -> f64 {
    n as f64 / took.as_secs_f64()
}

/// `12,345`.
fn thousands(x: f64) -> String {
    let s = format!("{:.0}", x);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn range(xs: &[f64], show: impl Fn(f64) -> String) -> String {
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    format!("{}–{}", show(min), show(max))
}

/// One run's figures for one shape, events/s.
#[derive(Default, Clone, Copy)]
struct Figures {
    verify_one: f64,
    verify_all: f64,
    write: f64,
    relay: f64,
}

impl Figures {
    fn ratio(&self) -> f64 {
        self.relay / self.verify_all.min(self.write)
    }
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let n = env_usize("RELAY_BENCH_EVENTS", 50_000);
    let runs = env_usize("RELAY_BENCH_RUNS", 3);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("relay-ingest")
        .join(std::process::id().to_string());
    std::fs::create_dir_all(&dir).unwrap();

    let started = Instant::now();
    let events = payments(n);
    let bytes: usize = events.iter().map(|e| e.bytes().len()).sum();
    let shapes = [Shape::CatchUp, Shape::Live];
    let all_turns: Vec<Turns> = shapes.iter().map(|&s| turns(&events, s)).collect();
    eprintln!(
        "relay_ingest: {n} payments by {AUTHORS} authors, {bytes} B ({:.1} B each), signed in {:.1} s; \
         {cores} cores; {runs} runs",
        bytes as f64 / n as f64,
        started.elapsed().as_secs_f64()
    );
    for (shape, t) in shapes.iter().zip(&all_turns) {
        eprintln!(
            "relay_ingest: {}: {} frames in {} turns, {:.0} events a write",
            shape.name(),
            t.frames.iter().map(Vec::len).sum::<usize>(),
            t.frames.len(),
            n as f64 / t.batches.len() as f64
        );
    }

    let mut results: Vec<Vec<Figures>> = vec![Vec::new(); shapes.len()];
    for run in 0..runs {
        for (s, (&shape, t)) in shapes.iter().zip(&all_turns).enumerate() {
            let mut f = Figures::default();
            // Rotate which goes first, so none always runs on a cold cache
            // or right after another's fsyncs.
            for step in 0..4 {
                match (step + run) % 4 {
                    0 => f.verify_one = rate(n, verify(&events, 1)),
                    1 => f.verify_all = rate(n, verify(&events, cores)),
                    2 => f.write = rate(n, write(&events, &t.batches, &fresh_db(&dir, "write"))),
                    _ => f.relay = rate(n, relay(n, t, &fresh_db(&dir, "relay"))),
                }
            }
            eprintln!(
                "relay_ingest run {}: {}: verify 1 core {} /s, verify {cores} cores {} /s, \
                 write {} /s, relay {} /s; relay / min(verify {cores}, write) = {:.3} \
                 (relay / verify {cores} {:.3}, relay / write {:.3}, relay / verify 1 {:.3})",
                run + 1,
                shape.name(),
                thousands(f.verify_one),
                thousands(f.verify_all),
                thousands(f.write),
                thousands(f.relay),
                f.ratio(),
                f.relay / f.verify_all,
                f.relay / f.write,
                f.relay / f.verify_one,
            );
            results[s].push(f);
        }
    }
    for (shape, rs) in shapes.iter().zip(&results) {
        let col = |get: fn(&Figures) -> f64| rs.iter().map(get).collect::<Vec<_>>();
        let per_s = |x: f64| thousands(x);
        let ratio = |x: f64| format!("{x:.3}");
        eprintln!(
            "relay_ingest summary {} ({} runs): verify 1 core {} /s; verify {cores} cores {} /s; \
             write {} /s; relay {} /s; relay / min(verify, write) {} (goal ≥ 0.75)",
            shape.name(),
            rs.len(),
            range(&col(|f| f.verify_one), per_s),
            range(&col(|f| f.verify_all), per_s),
            range(&col(|f| f.write), per_s),
            range(&col(|f| f.relay), per_s),
            range(&col(Figures::ratio), ratio),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

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
//!   `NetworkStore`, with the relay's verifier (`AllCores`: a batch's
//!   signatures on every core), in the turns a connection takes them (the
//!   frames waiting, up to 256 KiB: `BYTES_PER_TURN` in
//!   `src/relay/connection.rs`): decode, signature, admission, rules
//!   against parents, quotas and rates, one durable write per call, and the
//!   session's answers. Not included: the connection's pacing of one
//!   client (2 MiB/s of frames by default, `--relay-bytes-rate`), which
//!   bounds one client's catch-up, not the relay's ingest. Also measured:
//!   the same path checking signatures one after another (the core's
//!   default, `InTurn`: the relay before it checked on every core).
//!
//! Three shapes of the same events: **catch-up** (a client pushing its
//! backlog: `Events` messages filled to the session's 63 KiB, 256 KiB a
//! turn: 5 frames, ≈ 1,450 events a write), **live** (one event a
//! message, as a page pushes what it just wrote: ≈ 1,150 a turn and a
//! write when they wait) and
//! **single** (one event a message and a turn: a write per event, what
//! many clients each writing now and then make of the relay — the load
//! benchmark's pattern; a tenth of the events, since each write waits for
//! an fsync). The
//! figure of the issue is relay / min(verify on all cores, write), per run;
//! goal ≥ 0.75.
//!
//! The events: `RELAY_BENCH_EVENTS` (50,000) payments by 100 authors, each
//! an author's chain (parent: the author's previous event) that also names
//! the latest event of another author, so most events have two parents,
//! signed before any timing. `RELAY_BENCH_RUNS` (3) runs, each of
//! `RELAY_BENCH_REPETITIONS` (3) repetitions in which the measurements take
//! turns in a rotating order, each database fresh; a run reports the
//! medians of its repetitions, the ratio as the median of the
//! repetitions' ratios (each of one repetition's figures, measured
//! minutes apart at most). The machine is shared: each run also says how
//! many cores the verification on all cores actually got.
//! Databases live under the target directory (a real disk: fsync must
//! cost what it costs), removed as they go.
//!
//! ```sh
//! cargo bench -p trustfold-server --bench relay_ingest
//! ```
//!
//! See BENCHMARKS.md, "Relay (issue #14)".

#[path = "../tests/relay_support/mod.rs"]
mod relay_support;

use relay_support::load::{env_usize, process_cpu, ticks_per_second};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use trustfold::event::validate::verify_signature;
use trustfold::relay::{Admission, RelayLimits, RelayNetwork};
use trustfold::sync::{Framer, MAX_FRAME, Message};
use trustfold::{Body, Draft, Event, EventId, Identity, Transfer};
use trustfold_server::relay::AllCores;
use trustfold_server::relay::store::{NewEvent, RelayDb};

/// Authors the events are spread over.
const AUTHORS: usize = 100;
/// Bytes of frames a connection takes in one turn, if waiting (the
/// relay's `BYTES_PER_TURN`): it takes frames while it holds fewer.
const BYTES_PER_TURN: usize = 256 * 1024;
/// Bytes of events per `Events` message in a catch-up (the session's
/// `EVENTS_PER_MESSAGE`).
const EVENTS_PER_MESSAGE: usize = MAX_FRAME - 1024;

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
    /// One event a message, one message a turn: a write per event, what
    /// many clients each writing now and then make of the relay.
    Single,
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::CatchUp => "catch-up",
            Shape::Live => "live",
            Shape::Single => "single",
        }
    }

    /// Bytes of frames a turn takes at most (it takes one more frame
    /// while it holds fewer): what a connection finds waiting when it
    /// reads.
    fn bytes_per_turn(self) -> usize {
        match self {
            Shape::CatchUp | Shape::Live => BYTES_PER_TURN,
            Shape::Single => 1,
        }
    }

    /// How many of the `n` events it sends: a write per event takes long,
    /// so the single shape sends a tenth.
    fn events(self, n: usize) -> usize {
        match self {
            Shape::CatchUp | Shape::Live => n,
            Shape::Single => n / 10,
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
                Shape::Live | Shape::Single => end > start,
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
    let mut at = 0;
    while at < messages.len() {
        let mut end = at;
        let mut bytes = 0;
        while end < messages.len() && bytes < shape.bytes_per_turn() {
            bytes += messages[end].0.len();
            end += 1;
        }
        let turn = &messages[at..end];
        out.frames
            .push(turn.iter().map(|(f, _)| f.clone()).collect());
        out.batches
            .push(turn[0].1.start..turn[turn.len() - 1].1.end);
        at = end;
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
/// time. `all_cores`: with the server's verifier, as the relay runs;
/// else with the core's default (one signature after another), as it ran
/// before.
fn relay(n: usize, turns: &Turns, path: &Path, all_cores: bool) -> Duration {
    let db = RelayDb::open(path).unwrap();
    // As the relay's hub makes it: its record comes with its first write.
    let mut store = db.network_on_write("open:bench").unwrap();
    let mut network: RelayNetwork<u64> = RelayNetwork::new(Admission::Open, RelayLimits::default());
    if all_cores {
        network = network.verifying_with(Box::new(AllCores));
    }
    network.connect(1, &store, [7; 16]).unwrap();
    let started = Instant::now();
    let mut stored = 0;
    for frames in &turns.frames {
        let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
        let now_ms = started.elapsed().as_millis() as u64;
        let out = network.receive(&1, &refs, &mut store, now_ms);
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

/// Figures for one shape, events/s: of one repetition, or a run's
/// medians.
#[derive(Default, Clone, Copy)]
struct Figures {
    verify_one: f64,
    verify_all: f64,
    write: f64,
    relay: f64,
    /// The relay's path checking signatures one after another.
    relay_in_turn: f64,
    /// relay / min(verify_all, write), of the same repetition (a run's:
    /// the median of its repetitions').
    ratio: f64,
    /// Cores this process got while verifying on all of them (CPU time
    /// over wall time): on a shared machine, what the ceiling really had.
    verify_all_cores: f64,
}

impl Figures {
    fn median(reps: &[Figures]) -> Figures {
        let med = |get: fn(&Figures) -> f64| {
            let mut v: Vec<f64> = reps.iter().map(get).collect();
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        Figures {
            verify_one: med(|f| f.verify_one),
            verify_all: med(|f| f.verify_all),
            write: med(|f| f.write),
            relay: med(|f| f.relay),
            relay_in_turn: med(|f| f.relay_in_turn),
            ratio: med(|f| f.ratio),
            verify_all_cores: med(|f| f.verify_all_cores),
        }
    }
}

/// CPU seconds this process has used (all threads; /proc, Linux).
fn cpu_seconds() -> f64 {
    process_cpu("self", ticks_per_second())
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument is not supported.
    let n = env_usize("RELAY_BENCH_EVENTS", 50_000);
    let runs = env_usize("RELAY_BENCH_RUNS", 3);
    let repetitions = env_usize("RELAY_BENCH_REPETITIONS", 3);
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("relay-ingest")
        .join(std::process::id().to_string());
    std::fs::create_dir_all(&dir).unwrap();

    let started = Instant::now();
    let events = payments(n);
    let bytes: usize = events.iter().map(|e| e.bytes().len()).sum();
    let shapes = [Shape::CatchUp, Shape::Live, Shape::Single];
    let all_turns: Vec<Turns> = shapes
        .iter()
        .map(|&s| turns(&events[..s.events(n)], s))
        .collect();
    eprintln!(
        "relay_ingest: {n} payments by {AUTHORS} authors, {bytes} B ({:.1} B each), signed in {:.1} s; \
         {cores} cores; {runs} runs",
        bytes as f64 / n as f64,
        started.elapsed().as_secs_f64()
    );
    for (shape, t) in shapes.iter().zip(&all_turns) {
        eprintln!(
            "relay_ingest: {}: {} events, {} frames in {} turns, {:.0} events a write",
            shape.name(),
            shape.events(n),
            t.frames.iter().map(Vec::len).sum::<usize>(),
            t.frames.len(),
            shape.events(n) as f64 / t.batches.len() as f64
        );
    }

    let mut results: Vec<Vec<Figures>> = vec![Vec::new(); shapes.len()];
    for run in 0..runs {
        for (s, (&shape, t)) in shapes.iter().zip(&all_turns).enumerate() {
            let n = shape.events(n);
            let events = &events[..n];
            let mut reps = Vec::new();
            for r in 0..repetitions {
                let mut f = Figures::default();
                // Rotate which goes first, so none always runs on a cold
                // cache or right after another's fsyncs.
                for step in 0..5 {
                    match (step + run + r) % 5 {
                        0 => f.verify_one = rate(n, verify(events, 1)),
                        1 => {
                            let cpu = cpu_seconds();
                            let took = verify(events, cores);
                            f.verify_all_cores = (cpu_seconds() - cpu) / took.as_secs_f64();
                            f.verify_all = rate(n, took);
                        }
                        2 => f.write = rate(n, write(events, &t.batches, &fresh_db(&dir, "write"))),
                        3 => f.relay = rate(n, relay(n, t, &fresh_db(&dir, "relay"), true)),
                        _ => {
                            let path = fresh_db(&dir, "relay-in-turn");
                            f.relay_in_turn = rate(n, relay(n, t, &path, false))
                        }
                    }
                }
                f.ratio = f.relay / f.verify_all.min(f.write);
                reps.push(f);
            }
            let f = Figures::median(&reps);
            eprintln!(
                "relay_ingest run {}: {} (medians of {repetitions}): verify 1 core {} /s, \
                 verify {cores} cores {} /s (got {:.2} cores), write {} /s, relay {} /s \
                 (checking in turn {} /s); relay / min(verify {cores}, write) = {:.3} \
                 (relay / verify {cores} {:.3}, relay / write {:.3}, relay / verify 1 {:.3}; \
                 in turn / min {:.3})",
                run + 1,
                shape.name(),
                thousands(f.verify_one),
                thousands(f.verify_all),
                f.verify_all_cores,
                thousands(f.write),
                thousands(f.relay),
                thousands(f.relay_in_turn),
                f.ratio,
                f.relay / f.verify_all,
                f.relay / f.write,
                f.relay / f.verify_one,
                f.relay_in_turn / f.verify_all.min(f.write),
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
             write {} /s; relay {} /s (in turn {} /s); relay / min(verify, write) {} \
             (goal ≥ 0.75)",
            shape.name(),
            rs.len(),
            range(&col(|f| f.verify_one), per_s),
            range(&col(|f| f.verify_all), per_s),
            range(&col(|f| f.write), per_s),
            range(&col(|f| f.relay), per_s),
            range(&col(|f| f.relay_in_turn), per_s),
            range(&col(|f| f.ratio), ratio),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

//! The relay's store (`trustfold_server::relay::store`): the core's store
//! and node conformance suites on it, what `append` and a `DagView` promise,
//! and a crash test — a child process appending batches, killed with
//! SIGKILL at random moments, after which the database reopens
//! prefix-closed with every batch the child saw committed.
//!
//! The crash test runs 20 kills here (≈ 10–20 s in a debug build);
//! `RELAY_CRASH_SCALE=full` runs 100, each after up to 3 s of writes.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};
use trustfold::store::Store;
use trustfold::sync::{Dag, beyond_within};
use trustfold::testing::Backend;
use trustfold::{EventId, EventIx, PublicKey};
use trustfold_server::relay::store::{
    Appended, Counts, NetworkCounts, NetworkStore, NewEvent, RelayDb, RelayStoreError,
};

/// A directory of this test process's databases, emptied once per process.
fn scratch_dir(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(name)
        .join(std::process::id().to_string());
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fresh_path() -> PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let dir = DIR.get_or_init(|| scratch_dir("relay-store"));
    dir.join(format!("{}.sqlite", NEXT.fetch_add(1, Ordering::Relaxed)))
}

/// Each store its own database file.
struct OwnFile;

impl Backend for OwnFile {
    type Store = NetworkStore;
    async fn fresh(&self) -> NetworkStore {
        RelayDb::open(fresh_path())
            .unwrap()
            .network("test")
            .unwrap()
    }
    async fn shared(&self) -> (NetworkStore, NetworkStore) {
        let db = RelayDb::open(fresh_path()).unwrap();
        (db.network("test").unwrap(), db.network("test").unwrap())
    }
}

/// Every store a new network of one shared file: networks must not see
/// each other's events, metadata or snapshots.
struct SharedFile;

fn shared_db() -> &'static RelayDb {
    static DB: OnceLock<RelayDb> = OnceLock::new();
    DB.get_or_init(|| RelayDb::open(fresh_path()).unwrap())
}

fn fresh_room() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!("room-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

impl Backend for SharedFile {
    type Store = NetworkStore;
    async fn fresh(&self) -> NetworkStore {
        shared_db().network(&fresh_room()).unwrap()
    }
    async fn shared(&self) -> (NetworkStore, NetworkStore) {
        let room = fresh_room();
        (
            shared_db().network(&room).unwrap(),
            shared_db().network(&room).unwrap(),
        )
    }
}

trustfold::store_conformance_tests!(relay_own_file, OwnFile);
trustfold::store_conformance_tests!(relay_networks_in_one_file, SharedFile);
trustfold::node_conformance_tests!(node_on_relay_store, OwnFile);

/// An event for `append`: bytes `label`, the given parents, author `[a; 32]`.
struct Ev {
    id: EventId,
    bytes: Vec<u8>,
    parents: Vec<EventId>,
    author: PublicKey,
}

fn ev(label: &str, parents: &[&Ev], author: u8) -> Ev {
    let bytes = label.as_bytes().to_vec();
    Ev {
        id: EventId::of_bytes(&bytes),
        bytes,
        parents: parents.iter().map(|p| p.id).collect(),
        author: PublicKey([author; 32]),
    }
}

fn new(events: &[&Ev]) -> Vec<NewEvent<'static>> {
    // The tests keep their events alive for the whole test; leaking a few
    // hundred bytes keeps the call sites short.
    events
        .iter()
        .map(|e| {
            let e: &'static Ev = Box::leak(Box::new(Ev {
                id: e.id,
                bytes: e.bytes.clone(),
                parents: e.parents.clone(),
                author: e.author,
            }));
            NewEvent {
                id: e.id,
                bytes: &e.bytes,
                parents: &e.parents,
                author: e.author,
            }
        })
        .collect()
}

fn sorted(mut v: Vec<EventIx>) -> Vec<EventIx> {
    v.sort_unstable();
    v
}

fn added(ixs: &[EventIx]) -> Vec<Appended> {
    ixs.iter().map(|&ix| Appended { ix, new: true }).collect()
}

#[test]
fn append_numbers_events_in_order_and_keeps_the_heads() {
    let store = RelayDb::open(fresh_path()).unwrap().network("n").unwrap();
    let a = ev("a", &[], 1);
    let b = ev("b", &[&a], 1);
    let c = ev("c", &[&b], 2);
    let d = ev("d", &[&b], 3);
    assert_eq!(store.append(&new(&[&a, &b])).unwrap(), added(&[0, 1]));
    assert_eq!(store.view().unwrap().head_ixs(), vec![1]);
    assert_eq!(store.append(&new(&[&c, &d])).unwrap(), added(&[2, 3]));
    assert_eq!(sorted(store.view().unwrap().head_ixs()), vec![2, 3]);
    let e = ev("e", &[&c, &d], 1);
    assert_eq!(store.append(&new(&[&e])).unwrap(), added(&[4]));
    let view = store.view().unwrap();
    assert_eq!(view.head_ixs(), vec![4]);
    assert_eq!(view.event_count(), 5);
    assert_eq!(view.ix(&c.id), Some(2));
    assert!(view.contains(&e.id));
    assert!(!view.contains(&ev("z", &[], 1).id));
    assert_eq!(view.id(3), d.id);
    assert_eq!(sorted(view.parents(4).into_owned()), vec![2, 3]);
    assert_eq!(&*view.bytes(1), b"b");
    assert_eq!(view.len_of(4), 1);
    assert_eq!(view.get(&d.id), Some((3, b"d".to_vec())));
    assert_eq!(store.get(&e.id).unwrap(), Some((4, b"e".to_vec())));
    assert_eq!(store.get(&ev("z", &[], 1).id).unwrap(), None);
    assert!(store.contains(&e.id).unwrap());
    assert!(!store.contains(&ev("z", &[], 1).id).unwrap());
    // Beyond what knows `b`: c, d, e, oldest first.
    assert_eq!(beyond_within(&view, &[4], &[1], 100), Some(vec![2, 3, 4]));
    assert_eq!(view.failed(), None);
}

#[test]
fn an_event_held_already_keeps_its_index() {
    let store = RelayDb::open(fresh_path()).unwrap().network("n").unwrap();
    let a = ev("a", &[], 1);
    let b = ev("b", &[&a], 1);
    store.append(&new(&[&a])).unwrap();
    assert_eq!(
        store.append(&new(&[&a, &b, &b])).unwrap(),
        vec![
            Appended { ix: 0, new: false },
            Appended { ix: 1, new: true },
            Appended { ix: 1, new: false },
        ]
    );
    assert_eq!(store.len().unwrap(), 2);
    assert_eq!(
        store.counts().unwrap().total,
        Counts {
            events: 2,
            bytes: 2
        }
    );
}

#[test]
fn a_missing_parent_refuses_the_whole_batch() {
    let store = RelayDb::open(fresh_path()).unwrap().network("n").unwrap();
    let a = ev("a", &[], 1);
    let lost = ev("lost", &[], 1);
    let b = ev("b", &[&a], 1);
    let orphan = ev("orphan", &[&lost], 2);
    let error = store.append(&new(&[&a, &b, &orphan])).unwrap_err();
    assert_eq!(
        error,
        RelayStoreError::MissingParent {
            event: orphan.id,
            parent: lost.id
        }
    );
    assert_eq!(error.code(), "missing_parent");
    assert_eq!(store.len().unwrap(), 0);
    assert_eq!(store.get(&a.id).unwrap(), None);
    assert!(!store.contains(&a.id).unwrap());
    assert_eq!(store.view().unwrap().head_ixs(), Vec::<EventIx>::new());
    assert_eq!(store.counts().unwrap(), NetworkCounts::default());
    // A parent earlier in the same batch is enough.
    assert_eq!(store.append(&new(&[&a, &b])).unwrap(), added(&[0, 1]));
}

#[test]
fn counters_follow_networks_and_authors() {
    let db = RelayDb::open(fresh_path()).unwrap();
    let one = db.network("one").unwrap();
    let two = db.network("two").unwrap();
    assert_ne!(one.id(), two.id());
    let a = ev("aaaa", &[], 1);
    let b = ev("bb", &[&a], 2);
    let c = ev("cccccc", &[&b], 1);
    one.append(&new(&[&a, &b, &c])).unwrap();
    // The same event in another network is that network's own.
    assert_eq!(two.append(&new(&[&a])).unwrap(), added(&[0]));
    assert_eq!(
        one.counts().unwrap(),
        NetworkCounts {
            total: Counts {
                events: 3,
                bytes: 12
            },
            authors: 2
        }
    );
    assert_eq!(
        one.author_counts(&PublicKey([1; 32])).unwrap(),
        Counts {
            events: 2,
            bytes: 10
        }
    );
    assert_eq!(
        one.author_counts(&PublicKey([2; 32])).unwrap(),
        Counts {
            events: 1,
            bytes: 2
        }
    );
    assert_eq!(
        one.author_counts(&PublicKey([9; 32])).unwrap(),
        Counts::default()
    );
    assert_eq!(
        two.counts().unwrap(),
        NetworkCounts {
            total: Counts {
                events: 1,
                bytes: 4
            },
            authors: 1
        }
    );
    assert_eq!(two.view().unwrap().get(&b.id), None);
    let rooms: Vec<String> = db.networks().unwrap().into_iter().map(|n| n.0).collect();
    assert_eq!(rooms, vec!["one".to_string(), "two".to_string()]);
    assert_eq!(db.existing_network("three").unwrap().map(|n| n.id()), None);
    assert_eq!(db.network("one").unwrap().id(), one.id());
}

/// A network opened "on write" (as the relay opens every room a client
/// joins) takes nothing in the file until something is written to it: it
/// reads as empty, and its record comes with its first event — the same
/// record, and the same events, whichever handle then opens it.
#[test]
fn a_network_opened_on_write_has_no_record_until_written() {
    let db = RelayDb::open(fresh_path()).unwrap();
    let before = db.network("before").unwrap();
    let lazy = db.network_on_write("lazy").unwrap();
    assert_eq!(lazy.id(), 0);
    assert_eq!(lazy.len().unwrap(), 0);
    assert_eq!(lazy.view().unwrap().head_ixs(), Vec::<EventIx>::new());
    let a = ev("aaaa", &[], 1);
    assert!(lazy.get(&a.id).unwrap().is_none());
    assert_eq!(lazy.author_counts(&a.author).unwrap(), Counts::default());
    let rooms = |db: &RelayDb| -> Vec<String> {
        db.networks().unwrap().into_iter().map(|(r, _)| r).collect()
    };
    assert_eq!(rooms(&db), ["before"]);
    // Another network's events are not this one's.
    before.append(&new(&[&a])).unwrap();
    assert_eq!(lazy.len().unwrap(), 0);

    let b = ev("bb", &[&a], 2);
    let copy = lazy.clone();
    assert_eq!(lazy.append(&new(&[&a, &b])).unwrap(), added(&[0, 1]));
    assert_eq!(rooms(&db), ["before", "lazy"]);
    assert_ne!(lazy.id(), 0);
    assert_eq!(copy.id(), lazy.id(), "clones share the record");
    assert_eq!(db.network_on_write("lazy").unwrap().id(), lazy.id());
    assert_eq!(db.network("lazy").unwrap().len().unwrap(), 2);
    assert_eq!(before.len().unwrap(), 1);
}

#[test]
fn a_view_is_a_snapshot() {
    let store = RelayDb::open(fresh_path()).unwrap().network("n").unwrap();
    let a = ev("a", &[], 1);
    let b = ev("b", &[&a], 1);
    store.append(&new(&[&a])).unwrap();
    let before = store.view().unwrap();
    store.append(&new(&[&b])).unwrap();
    assert_eq!(before.event_count(), 1);
    assert_eq!(before.head_ixs(), vec![0]);
    assert_eq!(before.ix(&b.id), None);
    assert_eq!(before.bytes(1).len(), 0, "beyond the snapshot: empty");
    assert_eq!(before.failed(), None, "an unknown index is not a failure");
    let after = store.view().unwrap();
    assert_eq!(after.head_ixs(), vec![1]);
}

#[test]
fn everything_survives_closing_and_reopening() {
    let path = fresh_path();
    let a = ev("a", &[], 1);
    let b = ev("b", &[&a], 2);
    {
        let db = RelayDb::open(&path).unwrap();
        db.network("first").unwrap();
        let store = db.network("second").unwrap();
        store.append(&new(&[&a, &b])).unwrap();
        pollster::block_on(store.put_meta("k", b"v")).unwrap();
    }
    let db = RelayDb::open(&path).unwrap();
    let store = db.existing_network("second").unwrap().unwrap();
    assert_eq!(store.id(), 2);
    let view = store.view().unwrap();
    assert_eq!(view.head_ixs(), vec![1]);
    assert_eq!(view.get(&a.id), Some((0, b"a".to_vec())));
    assert_eq!(store.counts().unwrap().authors, 2);
    assert_eq!(
        pollster::block_on(store.get_meta("k")).unwrap(),
        Some(b"v".to_vec())
    );
}

#[test]
fn two_handles_on_one_file_share_it() {
    // As a second process would (SQLite locks the file): an inspector of a
    // live relay sees what it committed.
    let path = fresh_path();
    let first = RelayDb::open(&path).unwrap();
    let second = RelayDb::open(&path).unwrap();
    let a = ev("a", &[], 1);
    first.network("n").unwrap().append(&new(&[&a])).unwrap();
    let store = second.existing_network("n").unwrap().unwrap();
    assert_eq!(store.get(&a.id).unwrap(), Some((0, b"a".to_vec())));
    let b = ev("b", &[&a], 1);
    assert_eq!(store.append(&new(&[&b])).unwrap(), added(&[1]));
    assert_eq!(
        first.network("n").unwrap().view().unwrap().head_ixs(),
        vec![1]
    );
}

#[test]
fn handles_and_views_move_between_threads() {
    fn send<T: Send>() {}
    fn sync<T: Sync>() {}
    send::<RelayDb>();
    sync::<RelayDb>();
    send::<NetworkStore>();
    sync::<NetworkStore>();
    send::<trustfold_server::relay::store::DagView>();
    send::<RelayStoreError>();
}

#[test]
fn a_file_that_is_not_a_database_is_a_typed_error() {
    let path = fresh_path();
    std::fs::write(&path, vec![0x5a; 64 << 10]).unwrap();
    let error = RelayDb::open(&path).unwrap_err();
    assert!(matches!(error, RelayStoreError::Corrupt(_)), "{error:?}");
    assert_eq!(error.code(), "database_corrupt");
}

#[test]
fn events_written_through_the_store_trait_keep_their_parents() {
    use trustfold::testing::{id, key, pay};
    let store = RelayDb::open(fresh_path()).unwrap().network("n").unwrap();
    let author = id(4);
    let first = author.sign(trustfold::Draft {
        seq: 1,
        parents: vec![],
        time: 1,
        body: pay(key(2), 1, "EUR"),
    });
    let second = author.sign(trustfold::Draft {
        seq: 2,
        parents: vec![first.id()],
        time: 2,
        body: pay(key(2), 1, "EUR"),
    });
    pollster::block_on(
        store.put_events(&[(first.id(), first.bytes()), (second.id(), second.bytes())]),
    )
    .unwrap();
    let view = store.view().unwrap();
    assert_eq!(view.head_ixs(), vec![1]);
    assert_eq!(view.parents(1).into_owned(), vec![0]);
    assert_eq!(store.author_counts(&author.public_key()).unwrap().events, 2);
}

// ---- The crash test ----

/// The child's side: appends batches to the database `RELAY_CRASH_DB`
/// (networks "crash-0" and "crash-1" in turn) until it is killed, printing
/// `committed <ids>` after each append returns.
#[test]
#[ignore = "the child of a_relay_killed_mid_write_reopens_prefix_closed"]
fn crash_child() {
    let Ok(path) = std::env::var("RELAY_CRASH_DB") else {
        return;
    };
    let seed: u64 = std::env::var("RELAY_CRASH_SEED").unwrap().parse().unwrap();
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let db = RelayDb::open(&path).unwrap();
    let networks: Vec<NetworkStore> = (0..2)
        .map(|n| db.network(&format!("crash-{n}")).unwrap())
        .collect();
    // What each network holds, to draw parents from.
    let mut held: Vec<Vec<EventId>> = networks
        .iter()
        .map(|n| {
            let view = n.view().unwrap();
            (0..view.event_count() as u32)
                .map(|ix| view.id(ix))
                .collect()
        })
        .collect();
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").unwrap();
    out.flush().unwrap();
    let mut counter = 0u64;
    for round in 0.. {
        let n = round % 2;
        let size = 1 + rng.below(64) as usize;
        let mut batch: Vec<(EventId, Vec<u8>, Vec<EventId>)> = Vec::with_capacity(size);
        for _ in 0..size {
            counter += 1;
            let len = if rng.below(50) == 0 {
                60_000
            } else {
                100 + rng.below(400) as usize
            };
            let mut bytes = format!("{seed}/{counter}/").into_bytes();
            bytes.resize(len, 0);
            for b in bytes.iter_mut().skip(24) {
                *b = rng.next() as u8;
            }
            let id = EventId::of_bytes(&bytes);
            let pool = held[n].len() + batch.len();
            let mut parents = Vec::new();
            for _ in 0..rng.below(4).min(pool as u64) {
                // Mostly recent events, now and then an old one.
                let back = if rng.below(4) == 0 {
                    rng.below(pool as u64) as usize
                } else {
                    rng.below(8.min(pool as u64)) as usize
                };
                let at = pool - 1 - back;
                let parent = if at < held[n].len() {
                    held[n][at]
                } else {
                    batch[at - held[n].len()].0
                };
                if !parents.contains(&parent) {
                    parents.push(parent);
                }
            }
            batch.push((id, bytes, parents));
        }
        let events: Vec<NewEvent<'_>> = batch
            .iter()
            .map(|(id, bytes, parents)| NewEvent {
                id: *id,
                bytes,
                parents,
                author: PublicKey([(id.0[0] % 8) + 1; 32]),
            })
            .collect();
        networks[n].append(&events).unwrap();
        let mut line = format!("committed {n}");
        for (id, _, _) in &batch {
            line.push(' ');
            line.push_str(&hex(&id.0));
        }
        writeln!(out, "{line}").unwrap();
        out.flush().unwrap();
        held[n].extend(batch.iter().map(|e| e.0));
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Checks one network after a reopen: indexes 0..n all present, parents
/// present with smaller indexes, bytes hashing to ids, id → index, heads
/// exactly the events nobody names, counters the sums. Returns the ids.
fn check_network(store: &NetworkStore) -> HashSet<EventId> {
    let view = store.view().unwrap();
    let n = view.event_count() as u32;
    let mut ids = HashSet::new();
    let mut named = vec![false; n as usize];
    let mut bytes_total = 0u64;
    for ix in 0..n {
        let id = view.id(ix);
        let bytes = view.bytes(ix);
        assert_eq!(EventId::of_bytes(&bytes), id, "event {ix} intact");
        assert_eq!(view.len_of(ix), bytes.len());
        assert_eq!(view.ix(&id), Some(ix), "id → index of {ix}");
        for &p in view.parents(ix).iter() {
            assert!(p < ix, "event {ix}'s parent {p} comes before it");
            named[p as usize] = true;
        }
        bytes_total += bytes.len() as u64;
        assert!(ids.insert(id), "one index per id");
    }
    let heads: Vec<EventIx> = (0..n).filter(|&ix| !named[ix as usize]).collect();
    assert_eq!(
        sorted(view.head_ixs()),
        heads,
        "heads are the unnamed events"
    );
    let counts = store.counts().unwrap();
    assert_eq!(
        counts.total,
        Counts {
            events: n as u64,
            bytes: bytes_total
        }
    );
    let per_author: u64 = (1..=8u8)
        .map(|a| store.author_counts(&PublicKey([a; 32])).unwrap().events)
        .sum();
    assert_eq!(per_author, n as u64, "per-author counts add up");
    assert_eq!(view.failed(), None);
    ids
}

#[test]
fn a_relay_killed_mid_write_reopens_prefix_closed() {
    let full = std::env::var("RELAY_CRASH_SCALE").as_deref() == Ok("full");
    let (kills, max_run_ms) = if full { (100, 3_000) } else { (20, 400) };
    let dir = scratch_dir("relay-crash");
    let path = dir.join("relay.sqlite");
    let mut rng = Rng(0x5eed);
    let mut committed: [HashSet<EventId>; 2] = Default::default();
    let mut max_reopen = Duration::ZERO;
    let started = Instant::now();
    for kill in 0..kills {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["crash_child", "--exact", "--ignored", "--nocapture"])
            .env("RELAY_CRASH_DB", &path)
            .env("RELAY_CRASH_SEED", kill.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            let mut lines = Vec::new();
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            while reader.read_line(&mut line).unwrap_or(0) > 0 {
                // A line cut by the kill has no newline: not a report.
                if line.ends_with('\n') {
                    // With one test thread, libtest prints the test's
                    // name before it runs, on the same line.
                    if line.ends_with("ready\n") {
                        let _ = ready_tx.send(());
                    }
                    lines.push(std::mem::take(&mut line));
                } else {
                    line.clear();
                }
            }
            lines
        });
        ready_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the child opens the database");
        std::thread::sleep(Duration::from_millis(20 + rng.below(max_run_ms)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let lines = reader.join().unwrap();
        let mut batches = 0;
        for line in lines.iter().filter_map(|l| l.strip_prefix("committed ")) {
            let mut words = line.split_whitespace();
            let n: usize = words.next().unwrap().parse().unwrap();
            for word in words {
                let mut id = [0u8; 32];
                for (i, b) in id.iter_mut().enumerate() {
                    *b = u8::from_str_radix(&word[2 * i..2 * i + 2], 16).unwrap();
                }
                committed[n].insert(EventId(id));
            }
            batches += 1;
        }
        let t = Instant::now();
        let db = RelayDb::open(&path).expect("reopens after SIGKILL");
        max_reopen = max_reopen.max(t.elapsed());
        for (n, reported) in committed.iter().enumerate() {
            let Some(store) = db.existing_network(&format!("crash-{n}")).unwrap() else {
                assert!(reported.is_empty());
                continue;
            };
            let held = check_network(&store);
            let lost = reported.difference(&held).count();
            assert_eq!(
                lost, 0,
                "kill {kill}: {lost} committed events of crash-{n} lost"
            );
        }
        eprintln!(
            "kill {kill}: {batches} batches committed before it; held {} + {}",
            committed[0].len(),
            committed[1].len()
        );
    }
    eprintln!(
        "{kills} kills in {:.1} s; slowest reopen {:.1} ms; file {} kB",
        started.elapsed().as_secs_f64(),
        max_reopen.as_secs_f64() * 1e3,
        std::fs::metadata(&path).unwrap().len() / 1000
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        committed.iter().map(HashSet::len).sum::<usize>() > 0,
        "the child committed something"
    );
}

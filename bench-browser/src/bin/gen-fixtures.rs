//! Writes the browser benchmarks' fixtures (run natively, `--release`):
//!
//! * `ingest.bin`: 10,000 signed transfers by 100 authors (100 each, every
//!   author a hash-linked chain), in an order where parents come first;
//! * `open.bin`: 100,000 signed transfers by 1,000 authors (100 each) plus the
//!   `Doc` events of the automerge-paper editing trace replayed through
//!   `Replica::splice_text` with a commit every 100 edits (2,598 events);
//! * `ingest-sealed.bin` and `open-sealed.bin` (private networks, issue #13):
//!   the transfers of `ingest.bin` and `open.bin` (not its `Doc` events)
//!   sealed for the private network of `INVITE_SECRET` (as
//!   `Replica::publish` does in such a network): each with the same author,
//!   seq, time and body as its clear twin, the parents its twins';
//! * `manifest.json`: counts and the expected state (ledger digest, one
//!   balance, the document's length) for the browser to check its results.
//!
//! It also opens a `Node` over a `MemoryStore` holding `open.bin` (which, like
//! IndexedDB, returns the records sorted by id) and prints what the open
//! report says, the same path the browser's cold open takes.
//!
//! Usage: `gen-fixtures <out-dir>`.

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}

// The one loader of the trace, shared with trustfold's tests and benches.
#[cfg(not(target_arch = "wasm32"))]
#[path = "../../../tests/common/trace.rs"]
mod trace;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::trace;
    use bench_browser::fixture;
    use serde_json::json;
    use std::collections::HashMap;
    use std::path::{Path, PathBuf};
    use std::time::Instant;
    use trustfold::invite::Invite;
    use trustfold::store::{MemoryStore, Store};
    use trustfold::{
        Body, Draft, Event, EventId, Identity, Network, Node, Policy, PublicKey, Replica, Transfer,
    };

    /// The private network of the sealed fixtures: the pages open their
    /// nodes with this invite (its secret in hex) to read them.
    pub const INVITE_SECRET: [u8; 32] = [7; 32];
    pub const INVITE_NAME: &str = "bench";

    const INGEST_AUTHORS: usize = 100;
    const INGEST_PER_AUTHOR: usize = 100;
    const OPEN_AUTHORS: usize = 1_000;
    const OPEN_PER_AUTHOR: usize = 100;
    /// Keystrokes per commit, as in tests/trace.rs.
    const EDITS_PER_COMMIT: usize = 100;
    pub const COLLECTION: &str = "papers";
    pub const RECORD: &str = "p";
    pub const FIELD: &str = "body";

    fn identity(tag: u8, index: usize) -> Identity {
        let mut secret = [tag; 32];
        secret[..8].copy_from_slice(&(index as u64).to_le_bytes());
        Identity::from_secret(secret)
    }

    /// `per_author` transfers by each of `authors` identities, chained per
    /// author, interleaved round-robin by seq (parents first).
    fn transfers(tag: u8, authors: usize, per_author: usize) -> Vec<Event> {
        let ids: Vec<Identity> = (0..authors).map(|a| identity(tag, a)).collect();
        let keys: Vec<PublicKey> = ids.iter().map(Identity::public_key).collect();
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let mut chains: Vec<Vec<Event>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let (ids, keys) = (&ids, &keys);
                    scope.spawn(move || {
                        (t..authors)
                            .step_by(threads)
                            .map(|a| {
                                let mut chain: Vec<Event> = Vec::with_capacity(per_author);
                                for seq in 1..=per_author as u64 {
                                    let offset =
                                        1 + (seq as usize * 7_919 + a * 31) % (authors - 1);
                                    let to = keys[(a + offset) % authors];
                                    chain.push(ids[a].sign(Draft {
                                        seq,
                                        parents: chain.last().map(Event::id).into_iter().collect(),
                                        time: 1_700_000_000_000 + seq * 1_000,
                                        body: Body::Transfer(Transfer {
                                            to,
                                            amount: 1 + (a as u64 * 31 + seq * 17) % 500,
                                            unit:
                                                if seq % 10 == 0 { "HOURS" } else { "EUR" }.into(),
                                            memo: "invoice".into(),
                                            reverses: None,
                                        }),
                                    }));
                                }
                                (a, chain)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut chains: Vec<Vec<Event>> = (0..authors).map(|_| Vec::new()).collect();
            for w in workers {
                for (a, chain) in w.join().expect("signing thread") {
                    chains[a] = chain;
                }
            }
            chains
        });
        let mut out = Vec::with_capacity(authors * per_author);
        for i in 0..per_author {
            for chain in &mut chains {
                out.push(std::mem::replace(&mut chain[i], placeholder()));
            }
        }
        out
    }

    fn placeholder() -> Event {
        identity(255, 0).sign(Draft {
            seq: 1,
            parents: vec![],
            time: 0,
            body: Body::Retract {
                target: EventId([0; 32]),
            },
        })
    }

    /// The trace's `Doc` events and its final text.
    fn trace_events() -> (Vec<Event>, String) {
        let (patches, end_content) = trace::load();
        let author = identity(3, 0);
        let mut replica = Replica::new(Policy::new(author.public_key()));
        replica.create_record(COLLECTION, RECORD).unwrap();
        replica.set_text(COLLECTION, RECORD, FIELD, "").unwrap();
        for (i, patch) in patches.iter().enumerate() {
            replica
                .splice_text(
                    COLLECTION,
                    RECORD,
                    FIELD,
                    patch.pos,
                    patch.delete,
                    &patch.insert,
                )
                .unwrap();
            if i % EDITS_PER_COMMIT == EDITS_PER_COMMIT - 1 {
                replica
                    .commit(&author, 1_700_000_000_000 + i as u64)
                    .unwrap();
            }
        }
        replica
            .commit(&author, 1_700_000_000_000 + patches.len() as u64)
            .unwrap();
        let text = replica
            .record(COLLECTION, RECORD)
            .unwrap()
            .text(FIELD)
            .unwrap()
            .to_owned();
        assert!(text == end_content, "replayed text differs from endContent");
        (replica.log().topological().cloned().collect(), text)
    }

    /// The expected state of a replica holding `events`: ledger digest and
    /// the balance of the first author in EUR.
    fn expected(events: &[Event], probe: PublicKey) -> (String, i128) {
        let mut replica = Replica::new(Policy::new(identity(9, 0).public_key()));
        for e in events {
            let insertion = replica.insert(e.clone()).expect("fixture event is valid");
            assert_eq!(insertion.applied.len(), 1, "parents come first");
        }
        let digest = replica.view().state_digest(replica.log()).to_hex();
        let balance = replica.view().balance(replica.log(), &probe, "EUR");
        (digest, balance)
    }

    /// `events` (parents first, by the identities `tag` gives) sealed for
    /// the private network of [`INVITE_SECRET`]: the same drafts, parents
    /// mapped to their sealed twins.
    fn sealed(tag: u8, authors: usize, events: &[Event]) -> Vec<Event> {
        let network = Network::private(Invite::new(INVITE_SECRET, INVITE_NAME).unwrap(), [3; 32]);
        let ids: HashMap<PublicKey, Identity> = (0..authors)
            .map(|a| (identity(tag, a).public_key(), identity(tag, a)))
            .collect();
        let mut twin: HashMap<EventId, EventId> = HashMap::new();
        events
            .iter()
            .map(|e| {
                let c = e.content();
                let event = network.sign(
                    &ids[&c.author],
                    Draft {
                        seq: c.seq,
                        parents: c.parents.iter().map(|p| twin[p]).collect(),
                        time: c.time,
                        body: c.body.clone(),
                    },
                );
                twin.insert(e.id(), event.id());
                event
            })
            .collect()
    }

    /// The expected state of a private network's replica holding `events`.
    fn expected_sealed(events: &[Event]) -> String {
        let network = Network::private(Invite::new(INVITE_SECRET, INVITE_NAME).unwrap(), [4; 32]);
        let mut replica =
            Replica::new(Policy::new(identity(9, 0).public_key())).in_network(network);
        for e in events {
            let insertion = replica.ingest(e.bytes()).expect("fixture event is valid");
            assert_eq!(insertion.applied.len(), 1, "parents come first");
        }
        replica.view().state_digest(replica.log()).to_hex()
    }

    fn write(dir: &Path, name: &str, events: &[Event]) -> usize {
        let mut out = Vec::new();
        for e in events {
            fixture::push(&mut out, &e.id(), e.bytes());
        }
        std::fs::write(dir.join(name), &out).expect("write fixture");
        out.len()
    }

    pub fn main() {
        let mut args = std::env::args().skip(1);
        let dir = PathBuf::from(args.next().expect("usage: gen-fixtures <out-dir>"));
        std::fs::create_dir_all(&dir).expect("out dir");
        let started = Instant::now();

        let ingest = transfers(1, INGEST_AUTHORS, INGEST_PER_AUTHOR);
        let ingest_probe = identity(1, 0).public_key();
        let (ingest_digest, ingest_balance) = expected(&ingest, ingest_probe);
        let ingest_bytes = write(&dir, "ingest.bin", &ingest);
        eprintln!(
            "ingest.bin: {} events, {} bytes ({:.1?})",
            ingest.len(),
            ingest_bytes,
            started.elapsed()
        );

        let t = Instant::now();
        let ingest_sealed = sealed(1, INGEST_AUTHORS, &ingest);
        let ingest_sealed_digest = expected_sealed(&ingest_sealed);
        assert_eq!(
            ingest_sealed_digest, ingest_digest,
            "same bodies, same state"
        );
        let ingest_sealed_bytes = write(&dir, "ingest-sealed.bin", &ingest_sealed);
        eprintln!(
            "ingest-sealed.bin: {} events, {} bytes ({:.1?})",
            ingest_sealed.len(),
            ingest_sealed_bytes,
            t.elapsed()
        );

        let mut open = transfers(2, OPEN_AUTHORS, OPEN_PER_AUTHOR);
        let transfers_count = open.len();
        let t = Instant::now();
        let open_sealed = sealed(2, OPEN_AUTHORS, &open);
        let open_sealed_bytes = write(&dir, "open-sealed.bin", &open_sealed);
        eprintln!(
            "open-sealed.bin: {} events, {} bytes ({:.1?})",
            open_sealed.len(),
            open_sealed_bytes,
            t.elapsed()
        );
        let t = Instant::now();
        let (doc_events, text) = trace_events();
        eprintln!(
            "trace replayed: {} Doc events, {} chars ({:.1?})",
            doc_events.len(),
            text.chars().count(),
            t.elapsed()
        );
        let doc_count = doc_events.len();
        open.extend(doc_events);
        let open_probe = identity(2, 0).public_key();
        let (open_digest, open_balance) = expected(&open, open_probe);
        let open_bytes = write(&dir, "open.bin", &open);
        eprintln!(
            "open.bin: {} events, {} bytes ({:.1?})",
            open.len(),
            open_bytes,
            started.elapsed()
        );

        // The same open path as the browser's, natively: records come back sorted by id.
        let store = MemoryStore::new();
        let records: Vec<_> = open.iter().map(|e| (e.id(), e.bytes())).collect();
        pollster::block_on(store.put_events(&records)).unwrap();
        let t = Instant::now();
        let mut n = 0u8;
        let (node, report) = pollster::block_on(Node::open(store, || {
            n += 1;
            [n; 32]
        }))
        .unwrap();
        let native_open_ms = t.elapsed().as_secs_f64() * 1e3;
        let applied = node.replica().log().len();
        let pending = node.replica().log().pending_len();
        let digest_ok = node
            .replica()
            .view()
            .state_digest(node.replica().log())
            .to_hex()
            == open_digest;
        eprintln!(
            "native Node::open over a MemoryStore of open.bin: {native_open_ms:.0} ms, {} applied of {}, {} pending, {} skipped, digest {}",
            applied,
            open.len(),
            pending,
            report.skipped.len(),
            if digest_ok { "matches" } else { "DIFFERS" }
        );
        if let Some(first) = report.skipped.first() {
            eprintln!("  first skipped: {first}");
        }

        let manifest = json!({
            "ingest": {
                "file": "ingest.bin", "events": ingest.len(), "authors": INGEST_AUTHORS, "bytes": ingest_bytes,
                "digest": ingest_digest,
                "probe": { "account": ingest_probe.to_hex(), "unit": "EUR", "balance": ingest_balance.to_string() },
            },
            "ingest_sealed": {
                "file": "ingest-sealed.bin", "events": ingest_sealed.len(), "bytes": ingest_sealed_bytes,
                "digest": ingest_sealed_digest,
                "invite": { "invite": Invite::new(INVITE_SECRET, INVITE_NAME).unwrap().secret_hex(), "name": INVITE_NAME },
            },
            "open_sealed": {
                "file": "open-sealed.bin", "events": open_sealed.len(), "transfers": open_sealed.len(),
                "bytes": open_sealed_bytes,
                "invite": { "invite": Invite::new(INVITE_SECRET, INVITE_NAME).unwrap().secret_hex(), "name": INVITE_NAME },
            },
            "open": {
                "file": "open.bin", "events": open.len(), "transfers": transfers_count, "authors": OPEN_AUTHORS,
                "doc_events": doc_count, "bytes": open_bytes, "digest": open_digest,
                "probe": { "account": open_probe.to_hex(), "unit": "EUR", "balance": open_balance.to_string() },
                "doc": { "collection": COLLECTION, "record": RECORD, "field": FIELD, "chars": text.chars().count() },
                "native_memory_open": {
                    "ms": native_open_ms, "applied": applied, "pending": pending,
                    "skipped": report.skipped.len(), "digest_ok": digest_ok,
                },
            },
        });
        std::fs::write(
            dir.join("manifest.json"),
            serde_json::to_string_pretty(&manifest).unwrap(),
        )
        .expect("write manifest");
        eprintln!("fixtures in {} ({:.1?})", dir.display(), started.elapsed());
    }
}

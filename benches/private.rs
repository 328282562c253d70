//! Private networks (issue #13): what sealed events (format 3) cost against
//! clear ones, each measured *interleaved* with its clear anchor in the same
//! iteration (alternating which goes first), the per-round time ratios
//! printed to stderr (`private …` lines: median, quartiles, min–max; where a
//! round takes turns, also the turn-by-turn ratios).
//!
//! Every sealed event has the same draft (seq, time, body; parents the
//! author's previous event) as its clear twin, signed by the same author;
//! sealed ones are made with [`Network::sign`] under one invite, as
//! [`Replica::publish`] makes them.
//!
//! Groups (filter with `cargo bench --bench private -- <name>`):
//!
//! * `private_ingest_1024`: [`Replica::ingest`] of 1,024 events into an
//!   empty replica, clear vs sealed, taking turns every 64 events, for 1
//!   author (1,024 events), 32 authors (32 each) and 1,024 authors (one
//!   each): the admission tag is checked once per author (`Network`'s
//!   cache), so the last is the worst case;
//! * `private_parts_1024`: where a sealed event's extra time goes, timed one
//!   part at a time over the 1,024-author set: `Event::from_bytes` (decode,
//!   BLAKE3 id, key decompression, `verify_strict`) clear and sealed, the
//!   admission tag check, the XChaCha20-Poly1305 decryption alone, and
//!   `Event::opened` (decryption + canonical decode of time and body + body
//!   rules), each against the clear ingest of the same iteration;
//! * `private_node_receive_10k`: [`Node::receive_batch`] of 10,000 events
//!   (100 authors × 100) into a new node over a `MemoryStore`, in calls of
//!   1,000 taking turns;
//! * `private_catchup_10k`: a node holding those 10,000 events and a new
//!   node, both running [`Node::sync_over`] on the in-memory transport; timed
//!   from the link coming up until the new node holds every event.
//!
//! Before any timing it prints the size figures (`size …` lines): the bytes
//! of each event sealed against clear, for payments and for `Doc` events of
//! the editing trace.
//!
//! `PRIVATE_ONLY=<what>:<clear|sealed|none>` runs one benchmark's work once
//! instead of criterion, for counting instructions with
//! `valgrind --tool=cachegrind` (see [`native::only`]).
//!
//! See BENCHMARKS.md, "Private networks (issue #13)".

#[cfg(not(target_arch = "wasm32"))]
#[path = "../tests/common/trace.rs"]
mod trace;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::trace;
    use criterion::{Criterion, SamplingMode, criterion_group};
    use std::future::Future;
    use std::hint::black_box;
    use std::pin::Pin;
    use std::sync::OnceLock;
    use std::task::{Context, Poll};
    use std::time::{Duration, Instant};
    use trustfold::invite::{Invite, NONCE_LEN, admitted};
    use trustfold::store::MemoryStore;
    use trustfold::transport::MemoryNetwork;
    use trustfold::{
        Body, Draft, Event, Identity, Network, Node, Policy, PublicKey, Replica, Transfer,
    };

    /// Events in the replica-level ingest benchmarks.
    const INGEST_EVENTS: usize = 1_024;
    /// Authors × events each in the node-level benchmarks (the browser
    /// ingest fixture's shape).
    const NODE_AUTHORS: usize = 100;
    const NODE_PER_AUTHOR: usize = 100;

    fn invite() -> Invite {
        Invite::new([7; 32], "x").expect("a valid name")
    }

    fn network() -> Network {
        Network::private(invite(), [1; 32])
    }

    fn identity(tag: u8, index: usize) -> Identity {
        let mut secret = [tag; 32];
        secret[..8].copy_from_slice(&(index as u64).to_le_bytes());
        Identity::from_secret(secret)
    }

    /// Fresh bytes for `Node::open_in` (identity, session, nonce key):
    /// deterministic, different on every call.
    fn counter(start: u64) -> impl FnMut() -> [u8; 32] {
        let mut n = start;
        move || {
            n += 1;
            *blake3::hash(&n.to_le_bytes()).as_bytes()
        }
    }

    /// The same events, clear and sealed.
    struct Twins {
        clear: Vec<Event>,
        sealed: Vec<Event>,
    }

    impl Twins {
        fn clear_bytes(&self) -> Vec<&[u8]> {
            self.clear.iter().map(Event::bytes).collect()
        }
        fn sealed_bytes(&self) -> Vec<&[u8]> {
            self.sealed.iter().map(Event::bytes).collect()
        }
    }

    /// A payment as the core and browser benchmarks make them: to another
    /// author, EUR (HOURS every tenth), memo "invoice".
    fn payment(keys: &[PublicKey], a: usize, seq: u64) -> Body {
        let to = if keys.len() > 1 {
            keys[(a + 1 + (seq as usize * 7_919 + a * 31) % (keys.len() - 1)) % keys.len()]
        } else {
            identity(9, 0).public_key()
        };
        Body::Transfer(Transfer {
            to,
            amount: 1 + (a as u64 * 31 + seq * 17) % 500,
            unit: if seq.is_multiple_of(10) {
                "HOURS"
            } else {
                "EUR"
            }
            .into(),
            memo: "invoice".into(),
            reverses: None,
        })
    }

    /// `per_author` payments by each of `authors` authors, every author a
    /// hash-linked chain, round-robin by seq (parents first); clear and sealed.
    fn twins(tag: u8, authors: usize, per_author: usize) -> Twins {
        let ids: Vec<Identity> = (0..authors).map(|a| identity(tag, a)).collect();
        let keys: Vec<PublicKey> = ids.iter().map(Identity::public_key).collect();
        let net = network();
        let mut chains: Vec<(Vec<Event>, Vec<Event>)> = Vec::with_capacity(authors);
        for (a, author) in ids.iter().enumerate() {
            let (mut clear, mut sealed): (Vec<Event>, Vec<Event>) = (Vec::new(), Vec::new());
            for seq in 1..=per_author as u64 {
                let draft = |previous: Option<&Event>| Draft {
                    seq,
                    parents: previous.map(Event::id).into_iter().collect(),
                    time: 1_700_000_000_000 + seq * 1_000,
                    body: payment(&keys, a, seq),
                };
                clear.push(author.sign(draft(clear.last())));
                sealed.push(net.sign(author, draft(sealed.last())));
            }
            chains.push((clear, sealed));
        }
        let mut out = Twins {
            clear: Vec::new(),
            sealed: Vec::new(),
        };
        for i in 0..per_author {
            for (clear, sealed) in &chains {
                out.clear.push(clear[i].clone());
                out.sealed.push(sealed[i].clone());
            }
        }
        out
    }

    /// The ingest sets: (name, authors, events each).
    const SHAPES: [(&str, usize, usize); 3] = [
        ("one_author", 1, INGEST_EVENTS),
        ("32_authors", 32, INGEST_EVENTS / 32),
        ("1024_authors", INGEST_EVENTS, 1),
    ];

    fn ingest_sets() -> &'static Vec<Twins> {
        static SETS: OnceLock<Vec<Twins>> = OnceLock::new();
        SETS.get_or_init(|| {
            SHAPES
                .iter()
                .enumerate()
                .map(|(i, &(_, authors, each))| twins(10 + i as u8, authors, each))
                .collect()
        })
    }

    fn node_set() -> &'static Twins {
        static SET: OnceLock<Twins> = OnceLock::new();
        SET.get_or_init(|| twins(20, NODE_AUTHORS, NODE_PER_AUTHOR))
    }

    fn policy() -> Policy {
        Policy::new(identity(2, 0).public_key())
    }

    // ---- sizes ----

    /// Min, mean and max.
    fn spread(values: &[usize]) -> (usize, f64, usize) {
        let min = *values.iter().min().expect("some");
        let max = *values.iter().max().expect("some");
        (
            min,
            values.iter().sum::<usize>() as f64 / values.len() as f64,
            max,
        )
    }

    fn print_sizes(what: &str, pairs: &[(usize, usize)]) {
        let clear: Vec<usize> = pairs.iter().map(|p| p.0).collect();
        let sealed: Vec<usize> = pairs.iter().map(|p| p.1).collect();
        let extra: Vec<usize> = pairs.iter().map(|(c, s)| s - c).collect();
        let (cmin, cmean, cmax) = spread(&clear);
        let (smin, smean, smax) = spread(&sealed);
        let (emin, emean, emax) = spread(&extra);
        eprintln!(
            "size {what}: {} events; clear {cmin}–{cmax} B (mean {cmean:.1}); sealed {smin}–{smax} B (mean {smean:.1}); \
             sealed − clear {emin}–{emax} B (mean {emean:.2}) = +{:.1} % of the mean clear event",
            pairs.len(),
            100.0 * emean / cmean
        );
    }

    /// Sealed against clear bytes of the same drafts: payments, and `Doc`
    /// events of the editing trace (its first 20,000 keystrokes, a commit
    /// every 100, as tests/trace.rs), each resealed with its own content.
    fn sizes() {
        let set = node_set();
        let pairs: Vec<(usize, usize)> = set
            .clear
            .iter()
            .zip(&set.sealed)
            .map(|(c, s)| (c.bytes().len(), s.bytes().len()))
            .collect();
        print_sizes("payments (memo \"invoice\")", &pairs);

        let net = network();
        let reseal = |author: &Identity, event: &Event| -> Event {
            let content = event.content();
            net.sign(
                author,
                Draft {
                    seq: content.seq,
                    parents: content.parents.clone(),
                    time: content.time,
                    body: content.body.clone(),
                },
            )
        };
        // Bare payments: no memo (benches/sync.rs's).
        let author = identity(30, 0);
        let bare: Vec<(usize, usize)> = (1..=100u64)
            .map(|seq| {
                let clear = author.sign(Draft {
                    seq,
                    parents: vec![],
                    time: seq,
                    body: Body::Transfer(Transfer {
                        to: identity(9, 0).public_key(),
                        amount: 1 + seq % 100,
                        unit: "EUR".into(),
                        memo: String::new(),
                        reverses: None,
                    }),
                });
                let sealed = reseal(&author, &clear);
                (clear.bytes().len(), sealed.bytes().len())
            })
            .collect();
        print_sizes("payments (no memo, no parent)", &bare);

        let (patches, _) = trace::load();
        let author = identity(31, 0);
        let mut replica = Replica::new(Policy::new(author.public_key()));
        replica.create_record("papers", "p").expect("record");
        replica.set_text("papers", "p", "body", "").expect("text");
        let mut docs: Vec<Event> = Vec::new();
        for (i, p) in patches[..20_000].iter().enumerate() {
            replica
                .splice_text("papers", "p", "body", p.pos, p.delete, &p.insert)
                .expect("splice");
            if i % 100 == 99 {
                docs.extend(replica.commit(&author, i as u64).expect("commit"));
            }
        }
        let pairs: Vec<(usize, usize)> = docs
            .iter()
            .map(|c| (c.bytes().len(), reseal(&author, c).bytes().len()))
            .collect();
        print_sizes("Doc events (100 keystrokes of the trace each)", &pairs);
    }

    // ---- ratios ----

    /// The lower quartile, median and upper quartile, and the extremes.
    fn quantiles(mut values: Vec<f64>) -> [f64; 5] {
        values.sort_by(f64::total_cmp);
        let at = |q: f64| values[((values.len() - 1) as f64 * q).round() as usize];
        [at(0.0), at(0.25), at(0.5), at(0.75), at(1.0)]
    }

    /// Interleaved clear and sealed times of one benchmark.
    #[derive(Default)]
    struct Pairs {
        clear: Vec<Duration>,
        sealed: Vec<Duration>,
        /// Where a round takes turns (slices of events, calls): the ratio
        /// of each sealed turn to the clear turn beside it.
        turns: Vec<f64>,
    }

    impl Pairs {
        /// Runs both, alternating which goes first; returns the sealed time.
        fn run(
            &mut self,
            mut clear: impl FnMut() -> Duration,
            mut sealed: impl FnMut() -> Duration,
        ) -> Duration {
            let (c, s) = if self.clear.len().is_multiple_of(2) {
                let c = clear();
                (c, sealed())
            } else {
                let s = sealed();
                (clear(), s)
            };
            self.clear.push(c);
            self.sealed.push(s);
            s
        }

        /// Records one round measured in turns: its (clear, sealed) turns.
        fn push(&mut self, turns: Vec<(Duration, Duration)>) -> Duration {
            let clear = turns.iter().map(|t| t.0).sum();
            let sealed = turns.iter().map(|t| t.1).sum();
            self.turns
                .extend(turns.iter().map(|(c, s)| s.as_secs_f64() / c.as_secs_f64()));
            self.clear.push(clear);
            self.sealed.push(sealed);
            sealed
        }

        fn print(self, what: &str, events: usize) {
            let rounds = self.clear.len();
            let ratios: Vec<f64> = self
                .clear
                .iter()
                .zip(&self.sealed)
                .map(|(c, s)| s.as_secs_f64() / c.as_secs_f64())
                .collect();
            let ms =
                |d: Vec<Duration>| quantiles(d.iter().map(|d| d.as_secs_f64() * 1e3).collect())[2];
            let (clear, sealed) = (ms(self.clear), ms(self.sealed));
            let [min, p25, p50, p75, max] = quantiles(ratios);
            let turns = if self.turns.is_empty() {
                String::new()
            } else {
                let n = self.turns.len();
                let [_, p25, p50, p75, _] = quantiles(self.turns);
                format!("; turn by turn median {p50:.3} (quartiles {p25:.3}–{p75:.3}, {n} turns)")
            };
            eprintln!(
                "private {what}: clear {clear:.2} ms ({:.2} µs/event), sealed {sealed:.2} ms ({:.2} µs/event); \
                 sealed/clear time median {p50:.3} (quartiles {p25:.3}–{p75:.3}, min–max {min:.3}–{max:.3}, {rounds} interleaved rounds){turns}",
                clear * 1e3 / events as f64,
                sealed * 1e3 / events as f64,
            );
        }
    }

    fn group<'a>(
        c: &'a mut Criterion,
        name: &str,
        measure: Duration,
    ) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
        let mut group = c.benchmark_group(name);
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(measure);
        group
    }

    fn ingest_into(mut replica: Replica, events: &[&[u8]]) -> (Duration, Replica) {
        let start = Instant::now();
        for bytes in events {
            let insertion = replica.ingest(bytes).expect("valid");
            debug_assert_eq!(insertion.applied.len(), 1);
            black_box(insertion);
        }
        (start.elapsed(), replica)
    }

    /// Events per slice when clear and sealed ingest take turns.
    const SLICE: usize = 64;

    /// One round: a clear and a sealed replica (made untimed, with the
    /// network's keys) each ingest their 1,024 events, taking turns every
    /// [`SLICE`] events, the one going first alternating, so both see the
    /// same moments of a shared machine's load. Returns (clear, sealed) times.
    fn ingest_round(clear: &[&[u8]], sealed: &[&[u8]], round: usize) -> Vec<(Duration, Duration)> {
        let mut replicas = [
            Replica::new(policy()),
            Replica::new(policy()).in_network(network()),
        ];
        let mut turns = Vec::new();
        for (i, slices) in clear.chunks(SLICE).zip(sealed.chunks(SLICE)).enumerate() {
            let first = (i + round) % 2;
            let mut took = [Duration::ZERO; 2];
            for side in [first, 1 - first] {
                let slice = if side == 0 { slices.0 } else { slices.1 };
                let start = Instant::now();
                for bytes in slice {
                    black_box(replicas[side].ingest(bytes).expect("valid"));
                }
                took[side] = start.elapsed();
            }
            turns.push((took[0], took[1]));
        }
        turns
    }

    fn replica_ingest(c: &mut Criterion) {
        let sets = ingest_sets();
        let mut group = group(c, "private_ingest_1024", Duration::from_secs(5));
        for ((name, _, _), set) in SHAPES.iter().zip(sets) {
            let (clear, sealed) = (set.clear_bytes(), set.sealed_bytes());
            // Once, untimed: both hold the same state, and no sealed body is void.
            let (_, a) = ingest_into(Replica::new(policy()), &clear);
            let (_, b) = ingest_into(Replica::new(policy()).in_network(network()), &sealed);
            assert_eq!(
                a.view().state_digest(a.log()),
                b.view().state_digest(b.log())
            );
            assert!(b.log().entries().iter().all(|e| e.event().void().is_none()));
            let mut pairs = Pairs::default();
            group.bench_function(*name, |bench| {
                bench.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let round = pairs.clear.len();
                        total += pairs.push(ingest_round(&clear, &sealed, round));
                    }
                    total
                })
            });
            pairs.print(&format!("replica_ingest_1024/{name}"), INGEST_EVENTS);
        }
        group.finish();
    }

    /// A sealed event's header (the associated data), nonce and ciphertext,
    /// found from where its admission tag is (the header ends with the tag
    /// and the nonce; the ciphertext's length prefix follows).
    fn sealed_parts(event: &Event) -> (&[u8], [u8; NONCE_LEN], &[u8]) {
        let bytes = event.bytes();
        let tag = event.admission().expect("sealed");
        let tag_at = tag.as_ptr() as usize - bytes.as_ptr() as usize;
        let header_len = tag_at + tag.len() + NONCE_LEN;
        let nonce: [u8; NONCE_LEN] = bytes[header_len - NONCE_LEN..header_len]
            .try_into()
            .expect("24 bytes");
        let mut at = header_len;
        while bytes[at] & 0x80 != 0 {
            at += 1;
        }
        (
            &bytes[..header_len],
            nonce,
            &bytes[at + 1..bytes.len() - 64],
        )
    }

    fn parts(c: &mut Criterion) {
        let set = &ingest_sets()[2];
        let (clear, sealed) = (set.clear_bytes(), set.sealed_bytes());
        let keys = invite().keys();
        let network_key = keys.network();
        let verified: Vec<Event> = sealed
            .iter()
            .map(|b| Event::from_bytes(b).expect("valid"))
            .collect();
        for (event, bytes) in verified.iter().zip(&sealed) {
            let (header, nonce, ciphertext) = sealed_parts(event);
            assert!(keys.open(&nonce, header, ciphertext).is_ok());
            assert!(header.len() + ciphertext.len() + 64 < bytes.len());
        }
        let mut group = group(c, "private_parts_1024", Duration::from_secs(3));
        // Each part's time / the clear ingest time of the same iteration.
        let names = [
            "Event::from_bytes, clear",
            "Event::from_bytes, sealed",
            "admission tag check (uncached, every event)",
            "decryption alone (XChaCha20-Poly1305)",
            "Event::opened (decryption + decode + body rules)",
        ];
        let mut times: Vec<Vec<f64>> = vec![Vec::new(); names.len() + 1];
        group.bench_function("parts_vs_clear_ingest", |bench| {
            bench.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut took = Vec::new();
                    let ingest = ingest_into(Replica::new(policy()), &clear).0;
                    let start = Instant::now();
                    for bytes in &clear {
                        black_box(Event::from_bytes(bytes).expect("valid"));
                    }
                    took.push(start.elapsed());
                    let start = Instant::now();
                    for bytes in &sealed {
                        black_box(Event::from_bytes(bytes).expect("valid"));
                    }
                    took.push(start.elapsed());
                    let start = Instant::now();
                    for event in &verified {
                        let tag = event.admission().expect("sealed");
                        assert!(admitted(&network_key, &event.author(), tag));
                    }
                    took.push(start.elapsed());
                    let start = Instant::now();
                    for event in &verified {
                        let (header, nonce, ciphertext) = sealed_parts(event);
                        black_box(keys.open(&nonce, header, ciphertext).expect("opens"));
                    }
                    took.push(start.elapsed());
                    let events = verified.clone();
                    let start = Instant::now();
                    for event in events {
                        black_box(event.opened(&keys));
                    }
                    took.push(start.elapsed());
                    for (i, t) in took.iter().enumerate() {
                        times[i].push(t.as_secs_f64() / ingest.as_secs_f64());
                    }
                    times[names.len()].push(ingest.as_secs_f64());
                    total += took.iter().sum::<Duration>();
                }
                total
            })
        });
        let ingest_ms = quantiles(times[names.len()].clone())[2] * 1e3;
        eprintln!(
            "private parts (1,024 events by 1,024 authors), clear Replica::ingest median {ingest_ms:.2} ms = {:.2} µs/event:",
            ingest_ms * 1e3 / INGEST_EVENTS as f64
        );
        for (name, ratios) in names.iter().zip(times) {
            let [min, p25, p50, p75, max] = quantiles(ratios);
            eprintln!(
                "private part {name}: {:.2} µs/event = {p50:.4} of clear ingest (quartiles {p25:.4}–{p75:.4}, min–max {min:.4}–{max:.4})",
                p50 * ingest_ms * 1e3 / INGEST_EVENTS as f64
            );
        }
        group.finish();
    }

    /// Events per `receive_batch` call when clear and sealed nodes take turns.
    const CALL: usize = 1_000;

    /// One round: a new clear node and a new sealed node over `MemoryStore`s
    /// (opened untimed) take in their 10,000 events with `receive_batch`
    /// calls of [`CALL`] events (parents first: every call's parents are in
    /// the calls before), taking turns, the one going first alternating.
    fn receive_round(clear: &[&[u8]], sealed: &[&[u8]], round: usize) -> Vec<(Duration, Duration)> {
        pollster::block_on(async {
            let seed = 1_000 + round as u64 * 10;
            let (a, _) = Node::open_in(MemoryStore::new(), None, None, counter(seed))
                .await
                .expect("open");
            let (b, _) = Node::open_in(MemoryStore::new(), Some(invite()), None, counter(seed + 5))
                .await
                .expect("open");
            let nodes = [a, b];
            let mut turns = Vec::new();
            let mut applied = [0; 2];
            for (i, calls) in clear.chunks(CALL).zip(sealed.chunks(CALL)).enumerate() {
                let first = (i + round) % 2;
                let mut took = [Duration::ZERO; 2];
                for side in [first, 1 - first] {
                    let call = if side == 0 { calls.0 } else { calls.1 };
                    let start = Instant::now();
                    let received = nodes[side].receive_batch(call).await.expect("stored");
                    took[side] = start.elapsed();
                    assert!(received.refused.is_empty());
                    applied[side] += received.applied;
                }
                turns.push((took[0], took[1]));
            }
            assert_eq!(applied, [clear.len(), sealed.len()]);
            turns
        })
    }

    /// One `Node::receive_batch` of all of `batch` into a new node over a
    /// `MemoryStore` (opened untimed) of `invite`'s network, or an open one.
    fn receive(invite: Option<Invite>, batch: &[&[u8]]) -> Duration {
        pollster::block_on(async {
            let (node, _) = Node::open_in(MemoryStore::new(), invite, None, counter(500))
                .await
                .expect("open");
            let start = Instant::now();
            let received = node.receive_batch(batch).await.expect("stored");
            let took = start.elapsed();
            assert_eq!((received.applied, received.refused.len()), (batch.len(), 0));
            took
        })
    }

    fn node_receive(c: &mut Criterion) {
        let set = node_set();
        let (clear, sealed) = (set.clear_bytes(), set.sealed_bytes());
        let mut group = group(c, "private_node_receive_10k", Duration::from_secs(8));
        let mut pairs = Pairs::default();
        group.bench_function("receive_batch", |bench| {
            bench.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let round = pairs.clear.len();
                    total += pairs.push(receive_round(&clear, &sealed, round));
                }
                total
            })
        });
        pairs.print(
            "node_receive_batch_10k (100 authors × 100, calls of 1,000)",
            clear.len(),
        );
        group.finish();
    }

    /// Lets the other futures of a `join` run once.
    struct YieldNow(bool);

    impl Future for YieldNow {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    /// A new node (of `invite`'s network, or open) catches up from `a`
    /// over a new in-memory network: the time from the link coming up until
    /// it holds all of `a`'s events, and the bytes `a` sent.
    fn catch_up(a: &Node<MemoryStore>, invite: Option<Invite>, round: u64) -> (Duration, u64) {
        let n = a.replica().log().len();
        pollster::block_on(async {
            let (b, _) = Node::open_in(MemoryStore::new(), invite, None, counter(round * 1_000))
                .await
                .expect("open");
            let net = MemoryNetwork::new();
            let peer = format!("b{round}");
            let (ta, tb) = (net.endpoint("a"), net.endpoint(&peer));
            let salt = |n: u8| {
                let mut next = n;
                move || {
                    next = next.wrapping_add(3);
                    [next; 16]
                }
            };
            let drivers = futures_util::future::join(
                a.sync_over(&ta, salt(1), |_| {}),
                b.sync_over(&tb, salt(2), |_| {}),
            );
            let script = async {
                let start = Instant::now();
                net.link("a", &peer);
                while b.replica().log().len() < n {
                    YieldNow(false).await;
                }
                let took = start.elapsed();
                let sent = a.traffic(&peer).expect("a session").bytes_sent;
                net.shut_down();
                (took, sent)
            };
            let (_, (took, sent)) = futures_util::future::join(drivers, script).await;
            let digest = |node: &Node<MemoryStore>| {
                let replica = node.replica();
                replica.view().state_digest(replica.log())
            };
            assert_eq!(digest(a), digest(&b), "caught up");
            (took, sent)
        })
    }

    /// A node (over a `MemoryStore`) holding `batch`.
    fn holder(invite: Option<Invite>, batch: &[&[u8]], seed: u64) -> Node<MemoryStore> {
        pollster::block_on(async {
            let (node, _) = Node::open_in(MemoryStore::new(), invite, None, counter(seed))
                .await
                .expect("open");
            let received = node.receive_batch(batch).await.expect("stored");
            assert_eq!(received.applied, batch.len());
            node
        })
    }

    fn catchup(c: &mut Criterion) {
        let set = node_set();
        let n = set.clear.len();
        let a_clear = holder(None, &set.clear_bytes(), 7);
        let a_sealed = holder(Some(invite()), &set.sealed_bytes(), 8);
        let mut group = group(c, "private_catchup_10k", Duration::from_secs(8));
        let mut pairs = Pairs::default();
        let mut round = 0u64;
        let mut bytes = (0, 0);
        group.bench_function("sync_over_memory", |bench| {
            bench.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    round += 2;
                    total += pairs.run(
                        || {
                            let (took, sent) = catch_up(&a_clear, None, round);
                            bytes.0 = sent;
                            took
                        },
                        || {
                            let (took, sent) = catch_up(&a_sealed, Some(invite()), round + 1);
                            bytes.1 = sent;
                            took
                        },
                    );
                }
                total
            })
        });
        eprintln!(
            "private catch-up bytes a→b: clear {} B, sealed {} B ({:.3}×)",
            bytes.0,
            bytes.1,
            bytes.1 as f64 / bytes.0 as f64
        );
        pairs.print(
            "catchup_10k (100 authors × 100, sync_over, in-memory transport)",
            n,
        );
        group.finish();
    }

    fn size_figures(_: &mut Criterion) {
        sizes();
    }

    criterion_group!(
        benches,
        size_figures,
        replica_ingest,
        parts,
        node_receive,
        catchup
    );

    /// `PRIVATE_ONLY=<what>:<variant>`: builds what `<what>` needs, then
    /// runs `<variant>` (`clear`, `sealed`, or `none`: nothing) once, for
    /// counting instructions with `valgrind --tool=cachegrind`, which no
    /// other process can disturb: (sealed − none) / (clear − none).
    /// `<what>`: `ingest/<shape>` (a [`SHAPES`] name), `node` (the 10,000
    /// events, one `receive_batch`), `catchup` (the same, one catch-up).
    pub fn only(what: &str) {
        let (what, variant) = what.rsplit_once(':').expect("<what>:<variant>");
        let run = |clear: &mut dyn FnMut(), sealed: &mut dyn FnMut()| match variant {
            "clear" => clear(),
            "sealed" => sealed(),
            "none" => {}
            other => panic!("variant {other}: clear, sealed or none"),
        };
        match what {
            "node" => {
                let set = twins(20, NODE_AUTHORS, NODE_PER_AUTHOR);
                let (clear, sealed) = (set.clear_bytes(), set.sealed_bytes());
                run(
                    &mut || {
                        black_box(receive(None, &clear));
                    },
                    &mut || {
                        black_box(receive(Some(invite()), &sealed));
                    },
                );
            }
            "catchup" => {
                let set = twins(20, NODE_AUTHORS, NODE_PER_AUTHOR);
                let a_clear = holder(None, &set.clear_bytes(), 7);
                let a_sealed = holder(Some(invite()), &set.sealed_bytes(), 8);
                run(
                    &mut || {
                        black_box(catch_up(&a_clear, None, 2));
                    },
                    &mut || {
                        black_box(catch_up(&a_sealed, Some(invite()), 3));
                    },
                );
            }
            _ => {
                let shape = what.strip_prefix("ingest/").expect("ingest/<shape>");
                let (i, &(_, authors, each)) = SHAPES
                    .iter()
                    .enumerate()
                    .find(|(_, s)| s.0 == shape)
                    .expect("a shape");
                let set = twins(10 + i as u8, authors, each);
                let (clear, sealed) = (set.clear_bytes(), set.sealed_bytes());
                let (replica, sealed_replica) = (
                    Replica::new(policy()),
                    Replica::new(policy()).in_network(network()),
                );
                let (mut replica, mut sealed_replica) = (Some(replica), Some(sealed_replica));
                run(
                    &mut || {
                        black_box(ingest_into(replica.take().expect("once"), &clear));
                    },
                    &mut || {
                        black_box(ingest_into(sealed_replica.take().expect("once"), &sealed));
                    },
                );
            }
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    if let Ok(what) = std::env::var("PRIVATE_ONLY") {
        native::only(&what);
        return;
    }
    native::benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}

/// Criterion is a native-only dev-dependency; on wasm32 this bench is empty.
#[cfg(target_arch = "wasm32")]
fn main() {}

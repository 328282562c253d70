//! Native benchmarks of the trustfold core (criterion).
//!
//! One fixture serves every benchmark of a `cargo bench` process: 1,000,000
//! signed transfers by 1,000 authors (one of them, the *heavy* author, signs
//! 10,000; the others 990 or 991 each), every author a hash-linked chain, in
//! a [`Log`]. Signing it takes a while (tens of seconds on two cores), so it
//! is built once, lazily, and shared through a `OnceLock`.
//!
//! Groups (filter with `cargo bench --bench core -- <name>`):
//!
//! * `reduce_1m_transfers`: [`View::new`], the full reduction of the fixture;
//! * `anchor_hashmap_sum_1m`: the bare fold of the same transfers into a hash
//!   map, the same-run anchor the reduction is compared with;
//! * `append_one_event_to_1m_state`: [`Replica::insert`] of one more transfer;
//! * `toggle_one_exclusion_in_1m_state`: one trusted `Exclude`, one `Retract`;
//! * `ban_author_with_10k_events_in_1m_state`: [`Replica::set_policy`] banning
//!   and unbanning the heavy author;
//! * `signature_verification`: `verify_strict` one by one and
//!   `ed25519_dalek::verify_batch` over 1,024 events;
//! * `ingest_path`: [`Replica::ingest`] (decode, `verify_strict`, insert,
//!   reduce) over the same 1,024 events;
//! * `interleaved_ratios`: the reduction against its anchor, and ingest
//!   against verification, run back to back in every iteration; the
//!   per-iteration ratios are printed (median, quartiles) to stderr.
//!
//! Benchmarks that change state time single events with `iter_custom`: the
//! events are signed outside the timed section (cloning a 1M-event replica
//! per iteration would cost far more than what is measured). See
//! BENCHMARKS.md for the figures and how to read them.

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use criterion::{BatchSize, Criterion, SamplingMode, Throughput, criterion_group};
    use ed25519_dalek::{Signature, VerifyingKey};
    use rustc_hash::FxHashMap;
    use std::collections::HashMap;
    use std::hint::black_box;
    use std::sync::{Mutex, OnceLock};
    use std::time::{Duration, Instant};
    use trustfold::event::encoding::decode;
    use trustfold::event::validate::verify_signature;
    use trustfold::{
        Body, Draft, Event, EventId, EventIx, Identity, Log, Policy, PublicKey, Replica, Statement,
        Transfer, View,
    };

    /// Authors in the fixture.
    const AUTHORS: usize = 1_000;
    /// Transfers in the fixture.
    const TRANSFERS: usize = 1_000_000;
    /// Events of the heavy author (author 0), the one the ban benchmark bans.
    const HEAVY_EVENTS: usize = 10_000;
    /// Events in the signature and ingest benchmarks.
    const VERIFY_EVENTS: usize = 1_024;

    /// The shared 1M-transfer fixture.
    struct Fixture {
        authors: Vec<Identity>,
        /// The observer whose policy the views apply.
        viewer: Identity,
        /// A trusted author who excludes and retracts.
        arbiter: Identity,
        log: Log,
    }

    impl Fixture {
        fn policy(&self) -> Policy {
            Policy::new(self.viewer.public_key()).trusting(self.arbiter.public_key())
        }
        fn heavy(&self) -> PublicKey {
            self.authors[0].public_key()
        }
    }

    fn identity(tag: u8, index: usize) -> Identity {
        let mut secret = [tag; 32];
        secret[..8].copy_from_slice(&(index as u64).to_le_bytes());
        Identity::from_secret(secret)
    }

    /// How many transfers author `a` signs: the heavy author 10k, the rest
    /// share what is left as evenly as possible.
    fn events_of(a: usize) -> usize {
        if a == 0 {
            return HEAVY_EVENTS;
        }
        let others = AUTHORS - 1;
        let rest = TRANSFERS - HEAVY_EVENTS;
        rest / others + usize::from(a - 1 < rest % others)
    }

    /// A transfer that follows `previous` (the author's seq n−1 event).
    fn transfer(
        author: &Identity,
        seq: u64,
        previous: Option<EventId>,
        to: PublicKey,
        amount: u64,
    ) -> Event {
        author.sign(Draft {
            seq,
            parents: previous.into_iter().collect(),
            time: 1_700_000_000_000 + seq * 1_000,
            body: Body::Transfer(Transfer {
                to,
                amount,
                unit: if seq.is_multiple_of(10) {
                    "HOURS"
                } else {
                    "EUR"
                }
                .into(),
                memo: "invoice".into(),
                reverses: None,
            }),
        })
    }

    /// The payee of an author's `seq`-th transfer: never the author.
    fn payee(authors: &[PublicKey], a: usize, seq: u64) -> PublicKey {
        let offset = 1 + (seq as usize * 7_919 + a * 31) % (AUTHORS - 1);
        authors[(a + offset) % AUTHORS]
    }

    fn chain(author: &Identity, a: usize, keys: &[PublicKey], count: usize) -> Vec<Event> {
        let mut out: Vec<Event> = Vec::with_capacity(count);
        for seq in 1..=count as u64 {
            let previous = out.last().map(Event::id);
            let amount = 1 + (a as u64 * 31 + seq * 17) % 500;
            out.push(transfer(author, seq, previous, payee(keys, a, seq), amount));
        }
        out
    }

    fn build_fixture() -> Fixture {
        let started = Instant::now();
        let authors: Vec<Identity> = (0..AUTHORS).map(|a| identity(1, a)).collect();
        let keys: Vec<PublicKey> = authors.iter().map(Identity::public_key).collect();
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        // Chains are independent: sign them on every core.
        let mut chains: Vec<Vec<Event>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let (authors, keys) = (&authors, &keys);
                    scope.spawn(move || {
                        (t..AUTHORS)
                            .step_by(threads)
                            .map(|a| (a, chain(&authors[a], a, keys, events_of(a))))
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            let mut chains: Vec<Vec<Event>> = (0..AUTHORS).map(|_| Vec::new()).collect();
            for worker in workers {
                for (a, events) in worker.join().expect("signing thread") {
                    chains[a] = events;
                }
            }
            chains
        });
        let signed = started.elapsed();

        // Round-robin by seq: parents always arrive before children.
        let mut log = Log::new();
        let mut queues: Vec<_> = chains.iter_mut().map(|c| c.drain(..)).collect();
        loop {
            let mut any = false;
            for queue in &mut queues {
                if let Some(event) = queue.next() {
                    let insertion = log.insert(event).expect("fixture event is valid");
                    assert_eq!(insertion.applied.len(), 1, "fixture event applies at once");
                    any = true;
                }
            }
            if !any {
                break;
            }
        }
        drop(queues);
        assert_eq!(log.len(), TRANSFERS);
        assert_eq!(log.events_by(&keys[0]).len(), HEAVY_EVENTS);
        eprintln!(
            "fixture: {} transfers by {} authors signed in {:.1?} on {} threads, logged in {:.1?}",
            log.len(),
            AUTHORS,
            signed,
            threads,
            started.elapsed() - signed
        );
        Fixture {
            authors,
            viewer: identity(2, 0),
            arbiter: identity(3, 0),
            log,
        }
    }

    fn fixture() -> &'static Fixture {
        static FIXTURE: OnceLock<Fixture> = OnceLock::new();
        FIXTURE.get_or_init(build_fixture)
    }

    /// One replica over a copy of the fixture, shared (in turn) by the
    /// benchmarks that change state; what they add stays (the state grows
    /// by a few percent over a full run).
    fn replica() -> &'static Mutex<Replica> {
        static REPLICA: OnceLock<Mutex<Replica>> = OnceLock::new();
        REPLICA.get_or_init(|| {
            let fixture = fixture();
            let started = Instant::now();
            let replica = Replica::from_log(fixture.log.clone(), fixture.policy());
            eprintln!("replica: cloned and reduced in {:.1?}", started.elapsed());
            Mutex::new(replica)
        })
    }

    fn reduce(c: &mut Criterion) {
        let fixture = fixture();
        let mut group = c.benchmark_group("reduce_1m_transfers");
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .throughput(Throughput::Elements(TRANSFERS as u64));
        group.bench_function("view_new", |b| {
            b.iter_with_large_drop(|| View::new(&fixture.log, fixture.policy()))
        });
        group.finish();
    }

    /// The least a fold of these transfers can cost: read each entry once,
    /// add to two balances. `fx` uses the hasher the ledger uses, `std`
    /// the standard library's SipHash.
    fn anchor(c: &mut Criterion) {
        let fixture = fixture();
        let mut group = c.benchmark_group("anchor_hashmap_sum_1m");
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3))
            .throughput(Throughput::Elements(TRANSFERS as u64));
        group.bench_function("fx", |b| {
            b.iter_with_large_drop(|| {
                let mut sums: FxHashMap<(PublicKey, u32), i128> = FxHashMap::default();
                sum_into(&fixture.log, |key, delta| {
                    *sums.entry(key).or_insert(0) += delta;
                });
                sums
            })
        });
        group.bench_function("std", |b| {
            b.iter_with_large_drop(|| {
                let mut sums: HashMap<(PublicKey, u32), i128> = HashMap::new();
                sum_into(&fixture.log, |key, delta| {
                    *sums.entry(key).or_insert(0) += delta;
                });
                sums
            })
        });
        group.finish();
    }

    fn sum_into(log: &Log, mut add: impl FnMut((PublicKey, u32), i128)) {
        for entry in log.entries() {
            if let (Body::Transfer(t), Some(unit)) = (entry.event().body(), entry.unit()) {
                let amount = i128::from(t.amount);
                add((entry.event().author(), unit), -amount);
                add((t.to, unit), amount);
            }
        }
    }

    /// Settings for benchmarks that sign one or two events per timed
    /// iteration: signing costs more than what is timed, so keep the
    /// measured time short.
    fn signing_heavy(group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>) {
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(200))
            .measurement_time(Duration::from_millis(500));
    }

    /// Each author's next seq and previous event, for continuing the chains.
    fn chain_tips(log: &Log, authors: &[Identity]) -> Vec<(u64, EventId)> {
        authors
            .iter()
            .map(|a| {
                let last = log
                    .last_by(&a.public_key())
                    .expect("every author has events");
                (last.seq() + 1, last.id())
            })
            .collect()
    }

    fn append(c: &mut Criterion) {
        let fixture = fixture();
        let keys: Vec<PublicKey> = fixture.authors.iter().map(Identity::public_key).collect();
        let mut group = c.benchmark_group("append_one_event_to_1m_state");
        signing_heavy(&mut group);

        // Each new transfer continues its author's chain (one parent), round-robin.
        group.bench_function("chain", |b| {
            let mut replica = replica().lock().expect("replica");
            let mut tips = chain_tips(replica.log(), &fixture.authors);
            let mut next_author = 0;
            b.iter_custom(|iters| {
                let events: Vec<Event> = (0..iters)
                    .map(|_| {
                        let a = next_author;
                        next_author = (next_author + 1) % AUTHORS;
                        let (seq, previous) = tips[a];
                        let event = transfer(
                            &fixture.authors[a],
                            seq,
                            Some(previous),
                            payee(&keys, a, seq),
                            7,
                        );
                        tips[a] = (seq + 1, event.id());
                        event
                    })
                    .collect();
                let start = Instant::now();
                for event in events {
                    black_box(replica.insert(event).expect("valid append"));
                }
                start.elapsed()
            })
        });

        // As `Replica::publish` makes them: parents are the author's previous
        // event plus the current heads (at most 64). Timed one by one.
        group.bench_function("with_heads", |b| {
            let mut replica = replica().lock().expect("replica");
            let mut next_author = 0;
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let a = next_author;
                    next_author = (next_author + 1) % AUTHORS;
                    let body = Body::Transfer(Transfer {
                        to: payee(&keys, a, 0),
                        amount: 7,
                        unit: "EUR".into(),
                        memo: "invoice".into(),
                        reverses: None,
                    });
                    let author = &fixture.authors[a];
                    let draft = replica
                        .draft(&author.public_key(), 1_800_000_000_000, body)
                        .expect("draft");
                    let event = author.sign(draft);
                    let start = Instant::now();
                    black_box(replica.insert(event).expect("valid append"));
                    total += start.elapsed();
                }
                total
            })
        });
        group.finish();
    }

    /// Which exclusion or retraction a toggle iteration times.
    #[derive(Clone, Copy, PartialEq, Eq)]
    enum Timed {
        Exclude,
        Retract,
    }

    fn toggle(c: &mut Criterion) {
        let fixture = fixture();
        let arbiter = &fixture.arbiter;
        let mut group = c.benchmark_group("toggle_one_exclusion_in_1m_state");
        signing_heavy(&mut group);
        // The arbiter's chain and the next target, shared by both functions.
        let mut tip: Option<(u64, EventId)> = None;
        let mut k: u64 = 0;
        for (name, timed) in [("exclude", Timed::Exclude), ("retract", Timed::Retract)] {
            group.bench_function(name, |b| {
                let mut replica = replica().lock().expect("replica");
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        // A fixture transfer, spread over the log.
                        let target_ix = ((k * 7_919 + 13) % TRANSFERS as u64) as EventIx;
                        k += 1;
                        let target = replica.log().entry(target_ix).event().id();
                        let (seq, previous) = tip.unwrap_or((1, target));
                        let exclude = arbiter.sign(Draft {
                            seq,
                            parents: vec![previous, target],
                            time: seq,
                            body: Body::Exclude(Statement {
                                target,
                                reason: "never delivered".into(),
                            }),
                        });
                        let retract = arbiter.sign(Draft {
                            seq: seq + 1,
                            parents: vec![exclude.id()],
                            time: seq + 1,
                            body: Body::Retract {
                                target: exclude.id(),
                            },
                        });
                        tip = Some((seq + 2, retract.id()));
                        assert!(replica.view().is_included(target_ix));

                        let start = Instant::now();
                        black_box(replica.insert(exclude).expect("valid exclusion"));
                        if timed == Timed::Exclude {
                            total += start.elapsed();
                        }
                        assert!(!replica.view().is_included(target_ix), "excluded");

                        let start = Instant::now();
                        black_box(replica.insert(retract).expect("valid retraction"));
                        if timed == Timed::Retract {
                            total += start.elapsed();
                        }
                    }
                    total
                })
            });
        }
        group.finish();
    }

    fn ban(c: &mut Criterion) {
        let fixture = fixture();
        let heavy = fixture.heavy();
        let mut group = c.benchmark_group("ban_author_with_10k_events_in_1m_state");
        group
            .sample_size(10)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2));
        for (name, timed_ban) in [("ban", true), ("unban", false)] {
            group.bench_function(name, |b| {
                let mut replica = replica().lock().expect("replica");
                let first = replica.log().events_by(&heavy)[0];
                let balance_before = replica.view().balance(replica.log(), &heavy, "EUR");
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        let (banning, base) = (fixture.policy().banning(heavy), fixture.policy());
                        let start = Instant::now();
                        replica.set_policy(banning);
                        if timed_ban {
                            total += start.elapsed();
                        }
                        assert!(!replica.view().is_included(first), "banned");

                        let start = Instant::now();
                        replica.set_policy(base);
                        if !timed_ban {
                            total += start.elapsed();
                        }
                        assert!(replica.view().is_included(first), "unbanned");
                    }
                    total
                });
                let balance_after = replica.view().balance(replica.log(), &heavy, "EUR");
                assert_eq!(balance_before, balance_after, "ban then unban restores");
            });
        }
        group.finish();
    }

    /// The first 1,024 fixture events (in log order, so each one's parent
    /// comes before it): what the verification and ingest benchmarks use.
    fn verify_events() -> &'static [Event] {
        static EVENTS: OnceLock<Vec<Event>> = OnceLock::new();
        EVENTS.get_or_init(|| {
            fixture()
                .log
                .topological()
                .take(VERIFY_EVENTS)
                .cloned()
                .collect()
        })
    }

    fn decode_key(event: &Event) -> VerifyingKey {
        VerifyingKey::from_bytes(&event.author().0).expect("valid key")
    }

    /// The verification inputs of some events, keys already decompressed.
    struct Signed<'a> {
        messages: Vec<&'a [u8]>,
        sigs: Vec<Signature>,
        keys: Vec<VerifyingKey>,
    }

    impl<'a> Signed<'a> {
        fn of(events: &'a [Event]) -> Signed<'a> {
            Signed {
                messages: events.iter().map(Event::signed_bytes).collect(),
                sigs: events
                    .iter()
                    .map(|e| Signature::from_slice(e.signature()).expect("64 bytes"))
                    .collect(),
                keys: events.iter().map(decode_key).collect(),
            }
        }

        fn verify_strict(&self) {
            for ((key, message), sig) in self.keys.iter().zip(&self.messages).zip(&self.sigs) {
                key.verify_strict(message, sig).expect("valid");
            }
        }

        fn verify_batch(&self) {
            ed25519_dalek::verify_batch(&self.messages, &self.sigs, &self.keys).expect("valid");
        }
    }

    fn signatures(c: &mut Criterion) {
        let events = verify_events();
        let signed = Signed::of(events);
        let Signed { messages, sigs, .. } = &signed;

        let mut group = c.benchmark_group("signature_verification");
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .throughput(Throughput::Elements(VERIFY_EVENTS as u64));
        // Keys already decompressed: the signature check alone.
        group.bench_function("verify_strict", |b| b.iter(|| signed.verify_strict()));
        group.bench_function("verify_batch", |b| b.iter(|| signed.verify_batch()));
        // What trustfold does per event: decompress the author's key, then verify_strict.
        group.bench_function("verify_strict_with_key_decoding", |b| {
            b.iter(|| {
                for event in events {
                    verify_signature(event).expect("valid");
                }
            })
        });
        group.bench_function("verify_batch_with_key_decoding", |b| {
            b.iter(|| {
                let keys: Vec<VerifyingKey> = events.iter().map(decode_key).collect();
                ed25519_dalek::verify_batch(messages, sigs, &keys).expect("valid")
            })
        });
        group.bench_function("key_decoding_only", |b| {
            b.iter(|| events.iter().map(decode_key).collect::<Vec<_>>())
        });
        group.finish();
    }

    fn ingest(c: &mut Criterion) {
        let fixture = fixture();
        let events = verify_events();
        let mut group = c.benchmark_group("ingest_path");
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(2))
            .throughput(Throughput::Elements(VERIFY_EVENTS as u64));
        // Bytes → decode → verify_strict → Log::insert → View::update, into an empty replica.
        group.bench_function("replica_ingest", |b| {
            b.iter_batched(
                || Replica::new(fixture.policy()),
                |mut replica| {
                    for event in events {
                        black_box(replica.ingest(event.bytes()).expect("valid"));
                    }
                    replica
                },
                BatchSize::LargeInput,
            )
        });
        // Decode and every stateless check, signature included; no insert.
        group.bench_function("event_from_bytes", |b| {
            b.iter(|| {
                for event in events {
                    black_box(Event::from_bytes(event.bytes()).expect("valid"));
                }
            })
        });
        // The parts of ingest that are not the signature: canonical decoding
        // alone, and inserting already verified events into an empty replica.
        group.bench_function("decode_only", |b| {
            b.iter(|| {
                for event in events {
                    black_box(decode(event.bytes()).expect("canonical"));
                }
            })
        });
        group.bench_function("replica_insert_verified", |b| {
            b.iter_batched(
                || (Replica::new(fixture.policy()), events.to_vec()),
                |(mut replica, events)| {
                    for event in events {
                        black_box(replica.insert(event).expect("valid"));
                    }
                    replica
                },
                BatchSize::LargeInput,
            )
        });
        group.finish();
    }

    /// The lower quartile, median and upper quartile.
    fn quartiles(mut ratios: Vec<f64>) -> [f64; 3] {
        ratios.sort_by(f64::total_cmp);
        let at = |q: f64| ratios[((ratios.len() - 1) as f64 * q).round() as usize];
        [at(0.25), at(0.5), at(0.75)]
    }

    fn print_ratio(what: &str, rounds: usize, ratios: Vec<f64>) {
        // A filtered run (`cargo bench --bench core -- reduce_1m`) skips
        // the interleaved pairs: nothing to summarise, and no panic.
        if ratios.is_empty() {
            eprintln!("ratio {what}: not measured in this run (filtered out)");
            return;
        }
        let [p25, p50, p75] = quartiles(ratios);
        eprintln!(
            "ratio {what}: median {p50:.3} (quartiles {p25:.3}–{p75:.3}, {rounds} interleaved rounds)"
        );
    }

    /// Same-run anchors measured *interleaved* with what they anchor: each
    /// iteration runs the benchmark and its anchors back to back, and the
    /// per-iteration time ratios are printed (median and quartiles) after
    /// the benchmark. On a shared, noisy machine these ratios are much
    /// steadier than ratios of figures measured minutes apart. The time
    /// criterion reports is the first item of each pair.
    fn ratios(c: &mut Criterion) {
        let fixture = fixture();
        let mut group = c.benchmark_group("interleaved_ratios");
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(3));

        // View::new over the 1M fixture vs the bare hash-map fold.
        let mut reduce_over_anchor = Vec::new();
        group.bench_function("reduce_vs_anchor_fx", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    let view = View::new(&fixture.log, fixture.policy());
                    let reduce = start.elapsed();
                    drop(black_box(view));
                    let start = Instant::now();
                    let mut sums: FxHashMap<(PublicKey, u32), i128> = FxHashMap::default();
                    sum_into(&fixture.log, |key, delta| {
                        *sums.entry(key).or_insert(0) += delta;
                    });
                    let anchor = start.elapsed();
                    drop(black_box(sums));
                    reduce_over_anchor.push(reduce.as_secs_f64() / anchor.as_secs_f64());
                    total += reduce;
                }
                total
            })
        });
        print_ratio(
            "reduce_1m_transfers / anchor_hashmap_sum_1m(fx), time",
            reduce_over_anchor.len(),
            reduce_over_anchor,
        );

        // Replica::ingest of 1,024 events vs verifying their signatures.
        let events = verify_events();
        let signed = Signed::of(events);
        let [mut of_batch, mut of_strict, mut of_strict_keys] =
            [Vec::new(), Vec::new(), Vec::new()];
        group.throughput(Throughput::Elements(VERIFY_EVENTS as u64));
        group.bench_function("ingest_vs_verify", |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let start = Instant::now();
                    signed.verify_batch();
                    let batch = start.elapsed();
                    let start = Instant::now();
                    signed.verify_strict();
                    let strict = start.elapsed();
                    let start = Instant::now();
                    for event in events {
                        verify_signature(event).expect("valid");
                    }
                    let strict_keys = start.elapsed();
                    let mut replica = Replica::new(fixture.policy());
                    let start = Instant::now();
                    for event in events {
                        black_box(replica.ingest(event.bytes()).expect("valid"));
                    }
                    let ingest = start.elapsed();
                    drop(black_box(replica));
                    // Throughput fractions: ingest events/s over verification events/s.
                    of_batch.push(batch.as_secs_f64() / ingest.as_secs_f64());
                    of_strict.push(strict.as_secs_f64() / ingest.as_secs_f64());
                    of_strict_keys.push(strict_keys.as_secs_f64() / ingest.as_secs_f64());
                    total += ingest;
                }
                total
            })
        });
        let rounds = of_batch.len();
        print_ratio(
            "ingest_path throughput / verify_batch throughput",
            rounds,
            of_batch,
        );
        print_ratio(
            "ingest_path throughput / verify_strict throughput",
            rounds,
            of_strict,
        );
        print_ratio(
            "ingest_path throughput / verify_strict_with_key_decoding throughput",
            rounds,
            of_strict_keys,
        );
        group.finish();
    }

    criterion_group!(
        benches, reduce, anchor, append, toggle, ban, signatures, ingest, ratios
    );
}

#[cfg(not(target_arch = "wasm32"))]
criterion::criterion_main!(native::benches);

/// Criterion is a native-only dev-dependency; on wasm32 this bench is empty.
#[cfg(target_arch = "wasm32")]
fn main() {}

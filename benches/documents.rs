//! Native benchmarks of trustfold documents (criterion).
//!
//! Groups (filter with `cargo bench --bench documents -- <name>`):
//!
//! * `trace_replay`: the first 100,000 keystrokes of the automerge-paper
//!   editing trace (`tests/data`), typed into one text
//!   - `raw_automerge`: a bare [`AutoCommit`] (a map holding a text, every
//!     patch spliced, `commit()` every 100 patches), the same-run anchor;
//!   - `raw_automerge_no_commits`: the same without intermediate commits;
//!   - `trustfold_api`: [`Replica::splice_text`] per patch and
//!     [`Replica::commit`] every 100 patches (each commit signs one `Doc`
//!     event and inserts it into the log), the figure held to ≤ 1.5× raw.
//! * `masking`: a document of 10,000 changes by 4 authors who exchange events
//!   every 10 rounds (so changes interleave, depend on each other
//!   and are sometimes concurrent), read by a viewer replica whose op history
//!   is already loaded
//!   - `ban_author_10k_changes`: [`Replica::set_policy`] banning one author
//!     plus the masked [`Replica::collection`] read (goal ≤ 50 ms);
//!   - `masked_read_10k_changes` / `unmasked_read_10k_changes`: the read alone
//!     with and without the ban;
//!   - `unban_author_10k_changes`: lifting the ban plus the read;
//!   - `splice_in_masked_view`: one keystroke typed by the viewer while the
//!     ban masks part of the document (runs last: it adds changes).
//!
//! Criterion's times here are the benchmark thread's on-CPU time
//! (`clock_gettime(CLOCK_THREAD_CPUTIME_ID)`, crate `cpu-time`), not wall-clock time: the
//! machine is shared with compilers, and wall-clock times swing by ±40% or
//! more. (It read `/proc/thread-self/schedstat` until 2026-12-03, which
//! advances in scheduler ticks, 4 ms here: a sample of one short iteration
//! could read 0, and criterion then refused the benchmark.)
//!
//! The full trace takes seconds per replay, too long for criterion's ten
//! samples, so the full-trace figures come from a plain timing mode:
//! `DOCUMENTS_FULL_TRACE=3 cargo bench --bench documents` replays the whole
//! trace 3 times with each variant (alternating; plus `raw_automerge_with_lookups`,
//! raw automerge doing the per-keystroke lookups the API does) and prints the
//! medians (on-CPU and wall-clock) and ratios instead of running criterion.
//! `DOCUMENTS_ONLY=<variant>` replays the full trace once with one variant
//! (or `load`: only loads the trace), for counting instructions with
//! `valgrind --tool=cachegrind --cache-sim=no`, which no other process on the
//! machine can disturb.
//!
//! See the "Documents" section of BENCHMARKS.md for figures.

#[cfg(not(target_arch = "wasm32"))]
#[path = "../tests/common/trace.rs"]
mod trace;

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use super::trace::{self, Patch};
    use automerge::transaction::Transactable;
    use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc};
    use criterion::{Bencher, Criterion, SamplingMode};
    use std::cell::RefCell;
    use std::hint::black_box;
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};
    use trustfold::{Event, Identity, Policy, Replica, Scalar};

    /// This thread's on-CPU time (nanosecond resolution): unlike
    /// wall-clock time it does not count the time other processes on this
    /// shared machine hold the cores.
    fn cpu_time() -> Option<Duration> {
        cpu_time::ThreadTime::try_now()
            .ok()
            .map(|t| t.as_duration())
    }

    /// Runs `f`, returning its on-CPU time (wall-clock time where that is
    /// unavailable) and its wall-clock time.
    fn timed<T>(f: impl FnOnce() -> T) -> (Duration, Duration, T) {
        let (cpu, wall) = (cpu_time(), Instant::now());
        let out = f();
        let wall = wall.elapsed();
        let cpu = match (cpu, cpu_time()) {
            (Some(a), Some(b)) => b.saturating_sub(a),
            _ => wall,
        };
        (cpu, wall, out)
    }

    /// Criterion routine timing `f` by on-CPU time (see [`cpu_time`]).
    fn on_cpu<T>(b: &mut Bencher<'_>, mut f: impl FnMut() -> T) {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let (cpu, _, out) = timed(&mut f);
                    drop(black_box(out));
                    cpu
                })
                .sum()
        })
    }

    /// Keystrokes per commit (one signed event each), as in tests/trace.rs.
    const EDITS_PER_COMMIT: usize = 100;
    /// Keystrokes of the trace replayed under criterion.
    const PREFIX: usize = 100_000;

    /// The trace, decompressed and parsed once.
    fn patches() -> &'static (Vec<Patch>, String) {
        static TRACE: OnceLock<(Vec<Patch>, String)> = OnceLock::new();
        TRACE.get_or_init(trace::load)
    }

    fn writer() -> Identity {
        Identity::from_secret([1; 32])
    }

    /// Raw automerge: the same document shape trustfold makes (a record map
    /// holding a text, the author's public key as actor id).
    fn raw_automerge(patches: &[Patch], commits: bool) -> AutoCommit {
        let actor = ActorId::from(&writer().public_key().0[..]);
        let mut doc = AutoCommit::new().with_actor(actor);
        let record = doc.put_object(ROOT, "p", ObjType::Map).unwrap();
        let text = doc.put_object(&record, "body", ObjType::Text).unwrap();
        for (i, p) in patches.iter().enumerate() {
            doc.splice_text(&text, p.pos, p.delete as isize, &p.insert)
                .unwrap();
            if commits && i % EDITS_PER_COMMIT == EDITS_PER_COMMIT - 1 {
                doc.commit();
            }
        }
        doc.commit();
        doc
    }

    /// Raw automerge plus the lookups [`Replica::splice_text`] makes per
    /// keystroke before splicing (the record, the text, its length): a
    /// diagnostic for where the API's overhead goes (full-trace mode only).
    fn raw_automerge_with_lookups(patches: &[Patch]) -> AutoCommit {
        let actor = ActorId::from(&writer().public_key().0[..]);
        let mut doc = AutoCommit::new().with_actor(actor);
        let record = doc.put_object(ROOT, "p", ObjType::Map).unwrap();
        doc.put_object(&record, "body", ObjType::Text).unwrap();
        for (i, p) in patches.iter().enumerate() {
            let (_, record) = doc.get(ROOT, "p").unwrap().unwrap();
            let (_, text) = doc.get(&record, "body").unwrap().unwrap();
            assert!(p.pos + p.delete <= doc.length(&text));
            doc.splice_text(&text, p.pos, p.delete as isize, &p.insert)
                .unwrap();
            if i % EDITS_PER_COMMIT == EDITS_PER_COMMIT - 1 {
                doc.commit();
            }
        }
        doc.commit();
        doc
    }

    /// Through the API: splices, and a signed commit every 100 of them.
    fn trustfold_api(patches: &[Patch]) -> Replica {
        let author = writer();
        let mut node = Replica::new(Policy::new(author.public_key()));
        node.create_record("papers", "p").unwrap();
        node.set_text("papers", "p", "body", "").unwrap();
        for (i, p) in patches.iter().enumerate() {
            node.splice_text("papers", "p", "body", p.pos, p.delete, &p.insert)
                .unwrap();
            if i % EDITS_PER_COMMIT == EDITS_PER_COMMIT - 1 {
                node.commit(&author, i as u64).unwrap();
            }
        }
        node.commit(&author, patches.len() as u64).unwrap();
        node
    }

    fn trace_replay(c: &mut Criterion) {
        let patches = &patches().0[..PREFIX];
        let mut group = c.benchmark_group("trace_replay");
        group
            .sample_size(10)
            .sampling_mode(SamplingMode::Flat)
            .warm_up_time(Duration::from_millis(500))
            .measurement_time(Duration::from_secs(5));
        group.bench_function("raw_automerge", |b| {
            on_cpu(b, || raw_automerge(black_box(patches), true))
        });
        group.bench_function("raw_automerge_no_commits", |b| {
            on_cpu(b, || raw_automerge(black_box(patches), false))
        });
        group.bench_function("trustfold_api", |b| {
            on_cpu(b, || trustfold_api(black_box(patches)))
        });
        group.finish();
    }

    /// `DOCUMENTS_FULL_TRACE=<runs>`: whole-trace timings, medians, ratios.
    pub fn full_trace(runs: usize) {
        let (patches, end) = patches();
        const NAMES: [&str; 4] = [
            "raw_automerge",
            "raw_automerge_no_commits",
            "raw_automerge_with_lookups",
            "trustfold_api",
        ];
        // Per variant: (on-CPU, wall) seconds per run.
        let mut times: [Vec<(f64, f64)>; 4] = Default::default();
        let mut record = |v: usize, (cpu, wall): (Duration, Duration)| {
            times[v].push((cpu.as_secs_f64(), wall.as_secs_f64()))
        };
        for run in 0..runs {
            let (cpu, wall, doc) = timed(|| raw_automerge(patches, true));
            record(0, (cpu, wall));
            let (_, record_obj) = doc.get(ROOT, "p").unwrap().unwrap();
            let (_, text) = doc.get(&record_obj, "body").unwrap().unwrap();
            assert!(doc.text(&text).unwrap() == *end, "raw replay differs");
            drop(doc);

            let (cpu, wall, doc) = timed(|| raw_automerge(patches, false));
            record(1, (cpu, wall));
            drop(doc);

            let (cpu, wall, doc) = timed(|| raw_automerge_with_lookups(patches));
            record(2, (cpu, wall));
            drop(doc);

            let (cpu, wall, mut node) = timed(|| trustfold_api(patches));
            record(3, (cpu, wall));
            let body = node.record("papers", "p").unwrap();
            assert!(
                body.text("body") == Some(end.as_str()),
                "API replay differs"
            );
            assert_eq!(node.log().len(), patches.len().div_ceil(EDITS_PER_COMMIT));
            eprintln!("run {} done", run + 1);
        }
        let median = |xs: Vec<f64>| {
            let mut xs = xs;
            xs.sort_by(f64::total_cmp);
            xs[xs.len() / 2]
        };
        let cpu = |v: usize| median(times[v].iter().map(|t| t.0).collect());
        let wall = |v: usize| median(times[v].iter().map(|t| t.1).collect());
        println!(
            "full trace ({} patches), median of {runs} runs (on-CPU s, wall s; ratios to raw_automerge)",
            patches.len()
        );
        for (v, name) in NAMES.iter().enumerate() {
            let runs: Vec<String> = times[v]
                .iter()
                .map(|(c, w)| format!("{c:.2}/{w:.2}"))
                .collect();
            // Each run's ratio to the raw replay of the same run.
            let paired: Vec<f64> = times[v]
                .iter()
                .zip(&times[0])
                .map(|(t, raw)| t.0 / raw.0)
                .collect();
            let shown: Vec<String> = paired.iter().map(|r| format!("{r:.2}")).collect();
            println!(
                "  {name:<27} cpu {:.2} s ({:.2}x)  wall {:.2} s ({:.2}x)  \
                 per-run cpu ratio median {:.2}x [{}]  runs cpu/wall: {}",
                cpu(v),
                cpu(v) / cpu(0),
                wall(v),
                wall(v) / wall(0),
                median(paired.clone()),
                shown.join(", "),
                runs.join(", ")
            );
        }
    }

    /// `DOCUMENTS_ONLY=<variant>`: one full-trace replay of one variant and
    /// nothing else, for instruction counting under valgrind (the `load`
    /// variant only loads the trace, to subtract).
    fn one_variant(variant: &str) {
        let patches = &patches().0;
        match variant {
            "load" => {}
            "raw_automerge" => drop(black_box(raw_automerge(patches, true))),
            "raw_automerge_no_commits" => drop(black_box(raw_automerge(patches, false))),
            "raw_automerge_with_lookups" => drop(black_box(raw_automerge_with_lookups(patches))),
            "trustfold_api" => drop(black_box(trustfold_api(patches))),
            other => panic!("DOCUMENTS_ONLY: unknown variant {other:?}"),
        }
    }

    /// Authors of the masking fixture.
    const AUTHORS: usize = 4;
    /// Changes (signed `Doc` events) in the masking fixture.
    const CHANGES: usize = 10_000;
    /// Rounds (one change per author) between two exchanges of events.
    const SYNC_EVERY: usize = 10;
    /// Records in the collection.
    const RECORDS: usize = 8;
    /// The author the benchmarks ban (not author 0, whose first change
    /// creates the records: banning that would hide everything).
    const BANNED: usize = 1;
    const COLLECTION: &str = "notes";

    /// xorshift64*: a deterministic, dependency-free choice of edits.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
        }
    }

    /// The masking fixture: a viewer holding the 10,000-change document.
    struct Masking {
        viewer: Replica,
        plain: Policy,
        banning: Policy,
    }

    fn record(i: usize) -> String {
        format!("r{i}")
    }

    /// Text lengths per record as `node` sees them.
    fn lengths(node: &mut Replica) -> Vec<usize> {
        let collection = node.collection(COLLECTION);
        (0..RECORDS)
            .map(|r| {
                collection.records[&record(r)]
                    .text("body")
                    .map_or(0, |t| t.chars().count())
            })
            .collect()
    }

    fn build_masking() -> Masking {
        let started = Instant::now();
        let ids: Vec<Identity> = (0..AUTHORS)
            .map(|a| Identity::from_secret([10 + a as u8; 32]))
            .collect();
        let mut nodes: Vec<Replica> = ids
            .iter()
            .map(|id| Replica::new(Policy::new(id.public_key())))
            .collect();
        let mut events: Vec<Event> = Vec::with_capacity(CHANGES);
        // Author 0 creates the records: change 1.
        for r in 0..RECORDS {
            nodes[0].create_record(COLLECTION, &record(r)).unwrap();
            nodes[0]
                .set_text(COLLECTION, &record(r), "body", "")
                .unwrap();
            nodes[0]
                .set_field(COLLECTION, &record(r), "status", Scalar::Str("new".into()))
                .unwrap();
        }
        events.extend(nodes[0].commit(&ids[0], 0).unwrap());
        let mut seen = [0; AUTHORS];
        let mut lens = vec![vec![0; RECORDS]; AUTHORS];
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut round = 0;
        while events.len() < CHANGES {
            if round % SYNC_EVERY == 0 {
                for (a, node) in nodes.iter_mut().enumerate() {
                    for e in &events[seen[a]..] {
                        node.insert(e.clone()).unwrap();
                    }
                    seen[a] = events.len();
                    lens[a] = lengths(node);
                }
            }
            for a in 0..AUTHORS {
                if events.len() == CHANGES {
                    break;
                }
                let (node, len) = (&mut nodes[a], &mut lens[a]);
                let r = rng.below(RECORDS);
                let name = record(r);
                let insert = &"abcdefghij"[..1 + rng.below(4)];
                let pos = rng.below(len[r] + 1);
                node.splice_text(COLLECTION, &name, "body", pos, 0, insert)
                    .unwrap();
                len[r] += insert.len();
                if rng.below(3) == 0 {
                    let r = rng.below(RECORDS);
                    if len[r] > 0 {
                        let pos = rng.below(len[r]);
                        node.splice_text(COLLECTION, &record(r), "body", pos, 1, "")
                            .unwrap();
                        len[r] -= 1;
                    }
                }
                let status = Scalar::Str(format!("a{a} at {}", events.len()));
                node.set_field(COLLECTION, &name, "status", status).unwrap();
                let published = node.commit(&ids[a], events.len() as u64).unwrap();
                assert_eq!(published.len(), 1);
                events.extend(published);
            }
            round += 1;
        }
        let built = started.elapsed();

        let me = Identity::from_secret([99; 32]).public_key();
        let plain = Policy::new(me);
        let banning = Policy::new(me).banning(ids[BANNED].public_key());
        let mut viewer = Replica::new(plain.clone());
        let t = Instant::now();
        for e in &events {
            viewer.insert(e.clone()).unwrap();
        }
        let inserted = t.elapsed();
        let t = Instant::now();
        let unmasked = viewer.collection(COLLECTION);
        let first_read = t.elapsed();
        let t = Instant::now();
        let view = viewer.view_under(banning.clone());
        let masked = viewer.collection_under(COLLECTION, &view);
        let history = t.elapsed();
        assert_ne!(unmasked.digest(), masked.digest());
        let chars = |c: &trustfold::Collection| {
            c.records
                .values()
                .filter_map(|r| r.text("body"))
                .map(|t| t.chars().count())
                .sum::<usize>()
        };
        eprintln!(
            "masking fixture: {} events by {AUTHORS} authors in {round} rounds, built in {:.1} s; \
             viewer: insert all {:.0} ms, first (unmasked, batch apply) read {:.0} ms, \
             first masked read (decodes the op history) {:.0} ms; text {} chars, {} in the masked view",
            events.len(),
            built.as_secs_f64(),
            inserted.as_secs_f64() * 1e3,
            first_read.as_secs_f64() * 1e3,
            history.as_secs_f64() * 1e3,
            chars(&unmasked),
            chars(&masked),
        );
        Masking {
            viewer,
            plain,
            banning,
        }
    }

    fn masking(c: &mut Criterion) {
        // Built on first use, so filtering for another group skips it.
        let fixture: RefCell<Option<Masking>> = RefCell::new(None);
        let with = |f: &mut dyn FnMut(&mut Masking)| {
            f(fixture.borrow_mut().get_or_insert_with(build_masking))
        };
        let mut group = c.benchmark_group("masking");
        group
            .sample_size(20)
            .warm_up_time(Duration::from_secs(1))
            .measurement_time(Duration::from_secs(5));
        // Times switching from `from` to `to` and reading (`to` re-applied
        // untimed before each iteration).
        let switch = |b: &mut Bencher<'_>, ban: bool| {
            with(&mut |m| {
                let (from, to) = if ban {
                    (&m.plain, &m.banning)
                } else {
                    (&m.banning, &m.plain)
                };
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        m.viewer.set_policy(from.clone());
                        black_box(m.viewer.collection(COLLECTION));
                        let policy = to.clone();
                        let (cpu, _, read) = timed(|| {
                            m.viewer.set_policy(policy);
                            m.viewer.collection(COLLECTION)
                        });
                        black_box(read);
                        total += cpu;
                    }
                    total
                })
            })
        };
        group.bench_function("ban_author_10k_changes", |b| switch(b, true));
        group.bench_function("unban_author_10k_changes", |b| switch(b, false));
        let read = |b: &mut Bencher<'_>, ban: bool| {
            with(&mut |m| {
                let policy = if ban { &m.banning } else { &m.plain };
                m.viewer.set_policy(policy.clone());
                on_cpu(b, || m.viewer.collection(COLLECTION))
            })
        };
        group.bench_function("masked_read_10k_changes", |b| read(b, true));
        group.bench_function("unmasked_read_10k_changes", |b| read(b, false));
        group.bench_function("splice_in_masked_view", |b| {
            with(&mut |m| {
                m.viewer.set_policy(m.banning.clone());
                on_cpu(b, || {
                    m.viewer
                        .splice_text(COLLECTION, "r0", "body", 0, 0, "x")
                        .unwrap()
                })
            })
        });
        group.finish();
    }

    /// Runs the criterion groups (or the full-trace mode).
    pub fn main() {
        if let Some(variant) = std::env::var_os("DOCUMENTS_ONLY") {
            one_variant(variant.to_str().unwrap_or_default());
            return;
        }
        if let Some(runs) = std::env::var_os("DOCUMENTS_FULL_TRACE") {
            let runs = runs.to_str().and_then(|r| r.parse().ok()).unwrap_or(1);
            full_trace(runs);
            return;
        }
        let mut c = Criterion::default().configure_from_args();
        trace_replay(&mut c);
        masking(&mut c);
        c.final_summary();
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    native::main();
}

/// Criterion is a native-only dev-dependency; on wasm32 this bench is empty.
#[cfg(target_arch = "wasm32")]
fn main() {}

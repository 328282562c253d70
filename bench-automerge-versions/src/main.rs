//! Replays the automerge-paper editing trace (259,778 keystrokes) with
//! automerge 0.12.0 and 0.6.1 side by side, to choose trustfold's version
//! with data (see the "Documents" section of ../BENCHMARKS.md).
//!
//! Run: `cargo run --release -- [runs]` (default 3 runs; medians reported).
//! Runs alternate between the versions so background load hits both alike.
//!
//! Per version and run:
//!
//! * `splice`: a fresh `AutoCommit`, a map and a text in it, every patch
//!   spliced, one commit at the end;
//! * `splice+commit/100`: the same with a `commit()` every 100 patches (the
//!   batching trustfold uses: one change per commit);
//! * `save` / `save size`: `save()` of the commit-every-100 document;
//! * `load`: `AutoCommit::load` of those bytes;
//! * `get_changes`: all changes of that document;
//! * `decode`: `Change::decode` of every change (what trustfold's op history
//!   does once per change);
//! * `apply batch`: all changes into a fresh document in one `apply_changes`;
//! * `apply 1-by-1`: the same changes, one `apply_changes` call each;
//! * `text()`: reading the final text;
//! * `apply last change`: the last change applied to a document holding all
//!   the others (one remote change arriving at a big document);
//! * `get_changes since heads` / `get_change_by_hash`: the lookups trustfold
//!   makes per masked read and per commit (mean of 100 calls).
//!
//! The long figures are also given as on-CPU time of the benchmark thread
//! (`/proc/thread-self/schedstat`), which leaves out time lost to other
//! processes on a shared machine. Every replay is checked against the
//! trace's `endContent`.

use std::time::{Duration, Instant};

// The one loader of the trace, shared with trustfold's tests and benches.
#[path = "../../tests/common/trace.rs"]
mod trace;

use trace::Patch;

/// Keystrokes per commit, as in trustfold's trace test and bench.
const EDITS_PER_COMMIT: usize = 100;

/// One run's figures, in the order of [`NAMES`].
type Figures = Vec<f64>;

const NAMES: &[(&str, &str)] = &[
    ("splice (no commits)", "ms"),
    ("splice (no commits), on-CPU", "ms"),
    ("splice + commit/100", "ms"),
    ("splice + commit/100, on-CPU", "ms"),
    ("save", "ms"),
    ("save size", "B"),
    ("load", "ms"),
    ("get_changes", "ms"),
    ("decode every change", "ms"),
    ("apply batch", "ms"),
    ("apply 1-by-1", "ms"),
    ("apply 1-by-1, on-CPU", "ms"),
    ("text()", "ms"),
    ("apply last change (1 of 2,598)", "ms"),
    ("get_changes since heads (1 new)", "µs"),
    ("get_change_by_hash (last)", "µs"),
    ("changes", ""),
];

/// This thread's on-CPU time (Linux `/proc/thread-self/schedstat`, tick
/// resolution; zero elsewhere): unlike wall-clock time it leaves out the time
/// other processes on a shared machine hold the cores.
fn cpu_time() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// The same replay for each version; only the crate path differs.
macro_rules! suite {
    ($module:ident, $am:ident) => {
        mod $module {
            use super::*;
            use $am::transaction::Transactable;
            use $am::{AutoCommit, Change, ObjType, ROOT, ReadDoc, TextEncoding};

            fn fresh() -> (AutoCommit, $am::ObjId) {
                let mut doc = AutoCommit::new_with_encoding(TextEncoding::UnicodeCodePoint);
                let record = doc.put_object(ROOT, "p", ObjType::Map).unwrap();
                let text = doc.put_object(&record, "body", ObjType::Text).unwrap();
                (doc, text)
            }

            fn replay(patches: &[Patch], every: Option<usize>) -> (AutoCommit, $am::ObjId) {
                let (mut doc, text) = fresh();
                for (i, p) in patches.iter().enumerate() {
                    doc.splice_text(&text, p.pos, p.delete as isize, &p.insert)
                        .unwrap();
                    if every.is_some_and(|n| i % n == n - 1) {
                        doc.commit();
                    }
                }
                doc.commit();
                (doc, text)
            }

            fn text_of(doc: &AutoCommit) -> String {
                let (_, record) = doc.get(ROOT, "p").unwrap().unwrap();
                let (_, text) = doc.get(&record, "body").unwrap().unwrap();
                doc.text(&text).unwrap()
            }

            pub fn run(patches: &[Patch], end: &str) -> Figures {
                let (t, c) = (Instant::now(), cpu_time());
                let (doc, text) = replay(patches, None);
                let (splice, splice_cpu) = (t.elapsed(), cpu_time() - c);
                assert!(doc.text(&text).unwrap() == end, "splice replay differs");
                drop(doc);

                let (t, c) = (Instant::now(), cpu_time());
                let (mut doc, text) = replay(patches, Some(EDITS_PER_COMMIT));
                let (committed, committed_cpu) = (t.elapsed(), cpu_time() - c);
                assert!(doc.text(&text).unwrap() == end, "commit replay differs");

                let t = Instant::now();
                let bytes = doc.save();
                let save = t.elapsed();

                let t = Instant::now();
                let loaded = AutoCommit::load(&bytes).unwrap();
                let load = t.elapsed();
                assert!(text_of(&loaded) == end, "loaded text differs");
                drop(loaded);

                let t = Instant::now();
                #[allow(clippy::unnecessary_to_owned, clippy::redundant_clone)]
                let changes: Vec<Change> = doc
                    .get_changes(&[])
                    .into_iter()
                    .map(|c| c.to_owned())
                    .collect();
                let get_changes = t.elapsed();

                let t = Instant::now();
                let ops: usize = changes.iter().map(|c| c.decode().operations.len()).sum();
                let decode = t.elapsed();
                assert!(ops >= patches.len());

                let mut batch = AutoCommit::new_with_encoding(TextEncoding::UnicodeCodePoint);
                let input = changes.clone();
                let t = Instant::now();
                batch.apply_changes(input).unwrap();
                let apply_batch = t.elapsed();
                assert!(text_of(&batch) == end, "batch-applied text differs");
                drop(batch);

                let mut one = AutoCommit::new_with_encoding(TextEncoding::UnicodeCodePoint);
                let input = changes.clone();
                let (t, c) = (Instant::now(), cpu_time());
                for change in input {
                    one.apply_changes([change]).unwrap();
                }
                let (apply_one, apply_one_cpu) = (t.elapsed(), cpu_time() - c);

                let t = Instant::now();
                let final_text = text_of(&one);
                let read = t.elapsed();
                assert!(final_text == end, "one-by-one text differs");

                // One remote change arriving at a full document (the live
                // case), then the two lookups trustfold makes per commit /
                // masked read: the change just made, the changes since heads.
                let mut almost = AutoCommit::new_with_encoding(TextEncoding::UnicodeCodePoint);
                let (last, rest) = changes.split_last().unwrap();
                almost.apply_changes(rest.to_vec()).unwrap();
                let before = almost.get_heads();
                let t = Instant::now();
                almost.apply_changes([last.clone()]).unwrap();
                let apply_last = t.elapsed();
                let lookups = 100;
                let t = Instant::now();
                for _ in 0..lookups {
                    assert_eq!(almost.get_changes(&before).len(), 1);
                }
                let since = t.elapsed() / lookups;
                let head = almost.get_heads()[0];
                let t = Instant::now();
                for _ in 0..lookups {
                    assert!(almost.get_change_by_hash(&head).is_some());
                }
                let by_hash = t.elapsed() / lookups;

                vec![
                    ms(splice),
                    ms(splice_cpu),
                    ms(committed),
                    ms(committed_cpu),
                    ms(save),
                    bytes.len() as f64,
                    ms(load),
                    ms(get_changes),
                    ms(decode),
                    ms(apply_batch),
                    ms(apply_one),
                    ms(apply_one_cpu),
                    ms(read),
                    ms(apply_last),
                    since.as_secs_f64() * 1e6,
                    by_hash.as_secs_f64() * 1e6,
                    changes.len() as f64,
                ]
            }
        }
    };
}

suite!(v012, am012);
suite!(v061, am061);

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .map(|a| a.parse().expect("runs: a number"))
        .unwrap_or(3);
    let (patches, end) = trace::load();
    assert_eq!(patches.len(), 259_778);
    let mut results: [Vec<Figures>; 2] = [Vec::new(), Vec::new()];
    for run in 0..runs {
        for (v, (name, f)) in [
            ("0.12.0", v012::run as fn(&[Patch], &str) -> Figures),
            ("0.6.1", v061::run),
        ]
        .into_iter()
        .enumerate()
        {
            let figures = f(&patches, &end);
            eprintln!("run {} automerge {name}: {figures:.1?}", run + 1);
            results[v].push(figures);
        }
    }
    println!(
        "automerge-paper trace, {} patches, {runs} runs, median (all runs)\n",
        patches.len()
    );
    println!("| figure | 0.12.0 | 0.6.1 | 0.12.0 / 0.6.1 |");
    println!("|---|---:|---:|---:|");
    for (i, (name, unit)) in NAMES.iter().enumerate() {
        let column = |v: usize| results[v].iter().map(|f| f[i]).collect::<Vec<_>>();
        let (a, b) = (column(0), column(1));
        let show = |xs: &[f64]| {
            let digits = if median(xs.to_vec()) < 10.0 { 2 } else { 0 };
            let all: Vec<String> = xs.iter().map(|x| format!("{x:.digits$}")).collect();
            format!(
                "{:.digits$} {unit} ({})",
                median(xs.to_vec()),
                all.join(", ")
            )
        };
        println!(
            "| {name} | {} | {} | {:.2}× |",
            show(&a),
            show(&b),
            median(a.clone()) / median(b.clone())
        );
    }
}

//! A measurement (issue #17, "typing in linear time"), run by hand: what a
//! keystroke costs through `Replica::splice_text` at the end and near the
//! start of texts of 1,000, 100,000 and 400,000 characters (one in fifty
//! an emoji of two UTF-16 units), as the ratio to the 1,000-character
//! text's cost in the same run. Figures in BENCHMARKS.md, "Typing cost
//! by text length".
//!
//! ```sh
//! cargo test --release --test typing_cost -- --ignored --nocapture
//! ```

use std::time::{Duration, Instant};
use trustfold::testing::key;
use trustfold::{Policy, Replica};

const KEYSTROKES: usize = 2_000;

/// The time of `KEYSTROKES` single-character splices at the end and at
/// position 10 of a text of `len` characters.
fn keystrokes(len: usize) -> (Duration, Duration) {
    let mut replica = Replica::new(Policy::new(key(1)));
    replica.create_record("notes", "r").unwrap();
    let text: String = (0..len)
        .map(|i| if i % 50 == 0 { '😀' } else { 'a' })
        .collect();
    replica.set_text("notes", "r", "body", &text).unwrap();
    let end = text.encode_utf16().count();
    let started = Instant::now();
    for i in 0..KEYSTROKES {
        replica
            .splice_text("notes", "r", "body", end + i, 0, "x")
            .unwrap();
    }
    let at_end = started.elapsed();
    let started = Instant::now();
    for _ in 0..KEYSTROKES {
        replica
            .splice_text("notes", "r", "body", 10, 0, "y")
            .unwrap();
    }
    (at_end, started.elapsed())
}

#[test]
#[ignore = "a measurement; run by hand"]
fn a_keystroke_costs_the_same_in_a_short_and_a_long_text() {
    for run in 1..=3 {
        let (short_end, short_start) = keystrokes(1_000);
        for len in [100_000, 400_000] {
            let (end, start) = keystrokes(len);
            eprintln!(
                "run {run}: {len} characters: a keystroke at the end {:.1} µs ({:.2}× the 1,000-character text's), \
                 near the start {:.1} µs ({:.2}×)",
                end.as_secs_f64() * 1e6 / KEYSTROKES as f64,
                end.as_secs_f64() / short_end.as_secs_f64(),
                start.as_secs_f64() * 1e6 / KEYSTROKES as f64,
                start.as_secs_f64() / short_start.as_secs_f64(),
            );
        }
    }
}

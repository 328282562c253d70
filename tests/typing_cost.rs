//! A measurement (issue #17, "typing in linear time"), run by hand: what a
//! keystroke costs through `Replica::splice_text` at the end and near the
//! start of texts of 1,000, 100,000 and 400,000 characters (one in fifty
//! an emoji of two UTF-16 units), as the ratio to the 1,000-character
//! text's cost in the same run; and the same while a banned author's
//! edit of the text is masked, each keystroke then read back as a page
//! shows it, a commit every 50 keystrokes. Figures in BENCHMARKS.md,
//! "Typing cost by text length".
//!
//! ```sh
//! cargo test --release --test typing_cost -- --ignored --nocapture
//! ```

use std::time::{Duration, Instant};
use trustfold::testing::{id, key};
use trustfold::{Event, Policy, Replica};

const KEYSTROKES: usize = 2_000;

/// A replica of key 1 holding record "r" of "notes" whose "body" is a text
/// of `len` characters (one in fifty an emoji), and its length in UTF-16
/// code units.
fn typist_with_text(len: usize) -> (Replica, usize) {
    let mut replica = Replica::new(Policy::new(key(1)));
    replica.create_record("notes", "r").unwrap();
    let text: String = (0..len)
        .map(|i| if i % 50 == 0 { '😀' } else { 'a' })
        .collect();
    replica.set_text("notes", "r", "body", &text).unwrap();
    (replica, text.encode_utf16().count())
}

/// The time of `KEYSTROKES` single-character splices at the end and at
/// position 10 of a text of `len` characters.
fn keystrokes(len: usize) -> (Duration, Duration) {
    let (mut replica, end) = typist_with_text(len);
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

/// [`keystrokes`] while the text holds an edit of a banned author (3
/// characters typed near the start, 3 deleted), with a commit (signed,
/// published to the typist's own log) every 50 keystrokes; with `read`,
/// each keystroke is followed by a read of the record as seen (which
/// copies the whole text).
fn masked_keystrokes(len: usize, read: bool) -> (Duration, Duration) {
    let (mut typist, _) = typist_with_text(len);
    let base = typist.commit(&id(1), 1).unwrap();
    let mut banned = Replica::new(Policy::new(key(2)));
    for event in &base {
        banned.insert(event.clone()).unwrap();
    }
    banned
        .splice_text("notes", "r", "body", 5, 0, "zzz")
        .unwrap();
    banned.splice_text("notes", "r", "body", 20, 3, "").unwrap();
    let edits: Vec<Event> = banned.commit(&id(2), 2).unwrap();
    for event in edits {
        typist.insert(event).unwrap();
    }
    typist.set_policy(Policy::new(key(1)).banning(key(2)));
    let seen = |typist: &mut Replica| {
        let record = typist.record("notes", "r").unwrap();
        record.text("body").unwrap().encode_utf16().count()
    };
    // A page shows the text before anyone types: the first masked read
    // reduces the op history; the first masked keystroke then indexes the
    // text. Both once, printed, not in the keystrokes' time.
    let started = Instant::now();
    seen(&mut typist);
    let first_read = started.elapsed();
    let started = Instant::now();
    typist.splice_text("notes", "r", "body", 0, 0, "x").unwrap();
    if !read {
        eprintln!(
            "masked, {len} characters: the first read {:.1} ms, the first keystroke {:.1} ms",
            first_read.as_secs_f64() * 1e3,
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    let mut end = seen(&mut typist);
    let mut time = 3;
    let mut timed = |typist: &mut Replica, at_end: bool| {
        let started = Instant::now();
        for i in 0..KEYSTROKES {
            let pos = if at_end { end } else { 10 };
            typist
                .splice_text("notes", "r", "body", pos, 0, "x")
                .unwrap();
            end += 1;
            if read {
                end = seen(typist);
            }
            if i % 50 == 49 {
                typist.commit(&id(1), time).unwrap();
                time += 1;
            }
        }
        started.elapsed()
    };
    let at_end = timed(&mut typist, true);
    let near_start = timed(&mut typist, false);
    (at_end, near_start)
}

#[test]
#[ignore = "a measurement; run by hand"]
fn a_masked_keystroke_costs_the_same_in_a_short_and_a_long_text() {
    for run in 1..=3 {
        for read in [false, true] {
            let (short_end, short_start) = masked_keystrokes(1_000, read);
            for len in [100_000, 400_000] {
                let (end, start) = masked_keystrokes(len, read);
                let what = if read {
                    "a keystroke and a read"
                } else {
                    "a keystroke"
                };
                eprintln!(
                    "run {run}: masked, {len} characters: {what} at the end {:.1} µs \
                     ({:.2}× the 1,000-character text's), near the start {:.1} µs ({:.2}×)",
                    end.as_secs_f64() * 1e6 / KEYSTROKES as f64,
                    end.as_secs_f64() / short_end.as_secs_f64(),
                    start.as_secs_f64() * 1e6 / KEYSTROKES as f64,
                    start.as_secs_f64() / short_start.as_secs_f64(),
                );
            }
        }
    }
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

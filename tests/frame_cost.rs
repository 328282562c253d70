//! The cost of decoding sync frames natively (BENCHMARKS.md, "The page's
//! share of a catch-up"): 18 MB of `Events` messages, best of 5. A
//! measurement, not a check: run it by name,
//! `cargo test --release --test frame_cost -- --ignored --nocapture`.

use std::time::Instant;
use trustfold::sync::{Framer, Message};

#[test]
#[ignore = "a measurement: run by name"]
fn decoding_18_mb_of_frames() {
    let mut encoder = Framer::default();
    let mut frames = Vec::new();
    for seq in 0..300u32 {
        let events: Vec<u8> = (0..60_000u32).map(|i| (i * 7 + seq) as u8).collect();
        frames.extend(encoder.encode(&Message::Events { seq, events }));
    }
    let total: usize = frames.iter().map(Vec::len).sum();
    let mut best = f64::MAX;
    for _ in 0..5 {
        let mut decoder = Framer::default();
        let started = Instant::now();
        let mut bytes = 0;
        for frame in &frames {
            if let Some(Message::Events { events, .. }) = decoder.decode(frame).unwrap() {
                bytes += events.len();
            }
        }
        best = best.min(started.elapsed().as_secs_f64());
        assert_eq!(bytes, 300 * 60_000, "every message decoded");
    }
    println!(
        "decoding {total} bytes of frames: {:.1} ms (best of 5)",
        best * 1e3
    );
}

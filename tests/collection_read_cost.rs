//! What reading a big collection costs natively (BENCHMARKS.md, "A year
//! of history in the page"): 5,000 records of three fields, the whole
//! collection read first (one sample) and again, one record, and the
//! collection after one field is set (read again for that record only),
//! best of 5. A measurement, not a check: run
//! it by name, `cargo test --release --test collection_read_cost -- --ignored --nocapture`.

mod common;

use common::*;
use std::time::Instant;
use trustfold::{Policy, Replica, Scalar};

#[test]
#[ignore = "a measurement: run by name"]
fn reading_5000_records() {
    let mut replica = Replica::new(Policy::new(key(1)));
    for r in 0..5000u32 {
        let name = format!("item {r:05}");
        replica.create_record("inventory", &name).unwrap();
        replica
            .set_field(
                "inventory",
                &name,
                "name",
                Scalar::Str(format!("thing {r}")),
            )
            .unwrap();
        replica
            .set_field(
                "inventory",
                &name,
                "count",
                Scalar::Number(f64::from(r % 100)),
            )
            .unwrap();
        replica
            .set_field(
                "inventory",
                &name,
                "place",
                Scalar::Str(format!("shelf {}", r % 40)),
            )
            .unwrap();
        if r % 100 == 99 {
            replica.commit(&id(1), u64::from(r)).unwrap();
        }
    }
    let best = |f: &mut dyn FnMut()| {
        (0..5)
            .map(|_| {
                let started = Instant::now();
                f();
                started.elapsed().as_secs_f64() * 1000.0
            })
            .fold(f64::MAX, f64::min)
    };
    // The first read reads every record (one sample); the reading is kept.
    let started = Instant::now();
    assert_eq!(replica.collection("inventory").records.len(), 5000);
    let first = started.elapsed().as_secs_f64() * 1000.0;
    let again = best(&mut || assert_eq!(replica.collection("inventory").records.len(), 5000));
    let one = best(&mut || assert!(replica.record("inventory", "item 02500").is_some()));
    // The page's case: a field set (a keystroke), then the collection read.
    let mut n = 0.0;
    let after_edit = best(&mut || {
        n += 1.0;
        replica
            .set_field("inventory", "item 02500", "count", Scalar::Number(n))
            .unwrap();
        assert_eq!(replica.collection("inventory").records.len(), 5000);
    });
    println!(
        "collection of 5,000 records, first read: {first:.1} ms; again: {again:.1} ms; \
         one record: {one:.3} ms; the collection after one field set: {after_edit:.1} ms"
    );
}

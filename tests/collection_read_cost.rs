//! What reading a big collection costs natively (BENCHMARKS.md, "A year
//! of history in the page"): 5,000 records of three fields, the whole
//! collection and one record, best of 5. A measurement, not a check: run
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
    let whole = best(&mut || assert_eq!(replica.collection("inventory").records.len(), 5000));
    let one = best(&mut || assert!(replica.record("inventory", "item 02500").is_some()));
    println!("collection of 5,000 records: {whole:.1} ms; one record: {one:.3} ms");
}

//! What the Debts tab's read costs natively (BENCHMARKS.md, "Debts: the
//! summaries in one pass"): a year of a community's payments — 100,000
//! among 200 people, one in ten in HOURS — and every debt summed from its
//! full explanation (`debts`, what the tab read before), in one pass
//! (`debt_summaries`), beside the ledger's balances and the list of
//! transactions, 3 rounds. A measurement, not a check: run it by name,
//! `cargo test --release --test debt_summary_cost -- --ignored --nocapture`.
#![cfg(not(target_arch = "wasm32"))]

use std::time::Instant;
use trustfold::event::Draft;
use trustfold::testing::pay;
use trustfold::{EventId, Identity, Policy, Replica};

#[test]
#[ignore = "a measurement: run by name"]
fn summing_the_debts_of_100000_payments() {
    let people: Vec<Identity> = (0..200u32)
        .map(|i| {
            let mut secret = [3u8; 32];
            secret[..4].copy_from_slice(&i.to_le_bytes());
            Identity::from_secret(secret)
        })
        .collect();
    let mut replica = Replica::new(Policy::new(people[0].public_key()));
    let mut last: Vec<Option<EventId>> = vec![None; people.len()];
    let mut seqs = vec![0u64; people.len()];
    let mut x: u64 = 7;
    for _ in 0..100_000 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let from = (x % 200) as usize;
        let to = match ((x >> 20) % 200) as usize {
            to if to == from => (to + 1) % 200,
            to => to,
        };
        seqs[from] += 1;
        let unit = if x.is_multiple_of(10) { "HOURS" } else { "EUR" };
        let event = people[from].sign(Draft {
            seq: seqs[from],
            parents: last[from].into_iter().collect(),
            time: 0,
            body: pay(people[to].public_key(), 1 + (x >> 40) % 5000, unit),
        });
        last[from] = Some(event.id());
        replica.insert(event).unwrap();
    }
    let (view, log) = (replica.view(), replica.log());
    for round in 1..=3 {
        let timed = |f: &dyn Fn() -> usize| {
            let start = Instant::now();
            let n = f();
            (n, start.elapsed())
        };
        let (debts, explained) = timed(&|| {
            let summed: Vec<_> = view.debts(log).iter().map(|d| d.summary(3)).collect();
            summed.len()
        });
        let (summaries, one_pass) = timed(&|| view.debt_summaries(log, 3).len());
        let (balances, balanced) = timed(&|| view.ledger().balances(log).len());
        let (rows, listed) = timed(&|| view.transactions(log, None).len());
        assert_eq!(debts, summaries);
        eprintln!(
            "round {round}: {debts} debts summed from their explanations {explained:?}, \
             in one pass {one_pass:?}; {balances} balances {balanced:?}; {rows} transactions listed {listed:?}"
        );
    }
}

//! Reconciliation figures: two nodes that share 100,000 events and met
//! before, differing by 0, 10 and 1,000 events (half made on each side).
//! Prints one-way rounds, round trips, and bytes on the wire beyond the
//! missing events themselves; and the same for two nodes that never met
//! (no heads remembered: the filter covers the whole history, capped).
//! `cargo bench --bench sync`.

#[path = "../tests/common/lockstep.rs"]
mod lockstep;

use std::time::Instant;
use trustfold::sync::{Limits, Met, Session, Traffic};
use trustfold::{Body, EventId, Identity, Policy, Replica, Transfer};

fn pay(n: u64) -> Body {
    Body::Transfer(Transfer {
        to: Identity::from_secret([9; 32]).public_key(),
        amount: 1 + n % 100,
        unit: "EUR".into(),
        memo: String::new(),
        reverses: None,
    })
}

fn main() {
    let shared = 100_000u64;
    let authors: Vec<Identity> = (0..100u8)
        .map(|n| Identity::from_secret([n + 10; 32]))
        .collect();
    let mut base = Replica::new(Policy::new(authors[0].public_key()));
    for n in 0..shared {
        base.publish(&authors[(n % 100) as usize], n, pay(n))
            .unwrap();
    }
    let met: Vec<EventId> = base.log().heads();
    println!(
        "| differ (a + b) | one-way rounds | round trips | overhead a→b (B) | overhead b→a (B) | event bytes | time |"
    );
    println!("|---|---|---|---|---|---|---|");
    for (differ, met_before) in [(0u64, true), (10, true), (1000, true), (10, false)] {
        let met = if met_before { met.clone() } else { Vec::new() };
        let (a_id, b_id) = (
            Identity::from_secret([1; 32]),
            Identity::from_secret([2; 32]),
        );
        let mut a = Replica::from_log(base.log().clone(), Policy::new(a_id.public_key()));
        let mut b = Replica::from_log(base.log().clone(), Policy::new(b_id.public_key()));
        for n in 0..differ / 2 {
            a.publish(&a_id, n, pay(n)).unwrap();
            b.publish(&b_id, n, pay(n)).unwrap();
        }
        // Met before: each remembers what the other held and knew of it.
        let memory = Met {
            held: met.clone(),
            seen: met.clone(),
        };
        let (mut sa, mut sb) = (
            Session::with_limits(memory.clone(), Limits::default()),
            Session::with_limits(memory, Limits::default()),
        );
        let started = Instant::now();
        let rounds = lockstep::reconcile(&mut a, &mut sa, &mut b, &mut sb);
        let took = started.elapsed();
        assert_eq!(a.log().len(), b.log().len());
        assert_eq!(a.log().len() as u64, shared + differ);
        let overhead = |t: Traffic| t.bytes_sent - t.event_bytes_sent;
        println!(
            "| {differ}{} | {rounds} | {} | {} | {} | {} | {:.1} ms |",
            if met_before { "" } else { ", never met" },
            rounds as f64 / 2.0,
            overhead(sa.traffic()),
            overhead(sb.traffic()),
            sa.traffic().event_bytes_sent + sb.traffic().event_bytes_sent,
            took.as_secs_f64() * 1000.0
        );
    }
}

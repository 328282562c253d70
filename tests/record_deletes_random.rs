//! Random rounds of creates, deletes, restores, records made again, field
//! and text edits, commits and deliveries among four replicas, each
//! banning one other at random or no one: every operation that says it
//! worked does what it says in its author's view, and at the end every
//! replica holds the state a fresh one of its policy computes from the
//! same events, in either arrival order. Written as an attacker's review
//! of deletes that go by what the viewer sees (2026-12-05); it found five
//! ways for a delete or restore to return Ok and change nothing.
//!
//! Each step also reads each record alone (`Replica::record`, which reads
//! one record rather than the collection) against the collection's.
//!
//! `TRUSTFOLD_SEED=s` starts at seed `s` (1), `TRUSTFOLD_SEEDS=n` runs
//! `n` seeds (200; `--release` runs 10,000 in about a minute); a failure
//! names its seed and the round's operations.

mod common;
#[path = "common/sim.rs"]
mod sim;

use common::*;
use sim::Rng;
use std::collections::BTreeMap;
use trustfold::{Event, Policy, Replica, Scalar};

const RECORDS: [&str; 2] = ["r0", "r1"];
const N: usize = 4;

fn policy_of(me: u8, ban: Option<u8>) -> Policy {
    let p = Policy::new(key(me));
    match ban {
        Some(b) => p.banning(key(b)),
        None => p,
    }
}

fn all_events(nodes: &[Replica]) -> Vec<Event> {
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for n in nodes {
        for e in n.log().topological() {
            if seen.insert(e.id()) {
                out.push(e.clone());
            }
        }
    }
    out
}

/// One round of seed `seed`; what went wrong goes into `kinds` (by kind,
/// the first seed and its operations).
fn run(seed: u64, kinds: &mut BTreeMap<String, (u64, String)>) {
    let mut rng = Rng(seed);
    let bans: Vec<Option<u8>> = (0..N)
        .map(|i| {
            let r = rng.below(N as u64 + 2);
            if (r as usize) < N && r as usize != i {
                Some(r as u8 + 1)
            } else {
                None
            }
        })
        .collect();
    let mut nodes: Vec<Replica> = (0..N)
        .map(|i| Replica::new(policy_of(i as u8 + 1, bans[i])))
        .collect();
    let mut times = [1u64; N];
    let mut trace = format!("bans {bans:?}\n");
    let report = |kind: &str, trace: &str, kinds: &mut BTreeMap<String, (u64, String)>| {
        kinds
            .entry(kind.to_owned())
            .or_insert((seed, trace.to_owned()));
    };
    let steps = 20 + rng.below(40);
    for _ in 0..steps {
        let n = rng.below(N as u64) as usize;
        let rec_ix = rng.below(2) as usize;
        let r = RECORDS[rec_ix];
        let action = [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 9][rng.below(13) as usize];
        let who = n as u8 + 1;
        match action {
            0 => {
                let res = nodes[n].create_record("tasks", r);
                trace += &format!("{who} create {r} -> {:?}\n", res.is_ok());
                if res.is_ok() && nodes[n].record("tasks", r).is_none() {
                    report("create Ok but not shown", &trace, kinds);
                }
            }
            1 | 2 => {
                let before = nodes[n].record("tasks", r);
                let res = nodes[n].delete_record("tasks", r);
                trace += &format!("{who} delete {r} -> {:?}\n", res.is_ok());
                if res.is_ok() && nodes[n].record("tasks", r).is_some() {
                    report("delete Ok but still shown", &trace, kinds);
                }
                if res.is_err() && before.is_some() {
                    report("delete Err while shown", &trace, kinds);
                }
            }
            3 | 4 => {
                let listed = nodes[n].deleted_records("tasks").contains(&r.to_owned());
                let res = nodes[n].restore_record("tasks", r);
                trace += &format!("{who} restore {r} -> {:?}\n", res.is_ok());
                if res.is_ok() && nodes[n].record("tasks", r).is_none() {
                    report("restore Ok but not shown", &trace, kinds);
                }
                if res.is_err() && listed {
                    report("restore Err while listed deleted", &trace, kinds);
                }
            }
            5 => {
                let res = nodes[n].set_field("tasks", r, "f", Scalar::Number(who as f64));
                trace += &format!("{who} set {r} -> {:?}\n", res.is_ok());
            }
            7 => {
                let res = nodes[n].create_record_again("tasks", r);
                trace += &format!("{who} create again {r} -> {:?}\n", res.is_ok());
                if res.is_ok() && nodes[n].record("tasks", r).is_none() {
                    report("create again Ok but not shown", &trace, kinds);
                }
            }
            9 => {
                let words = ["", "Fix", "Fix the roof", "Paint 😀 it"][rng.below(4) as usize];
                let res = nodes[n].set_text("tasks", r, "t", words);
                trace += &format!("{who} set text {r} {words:?} -> {:?}\n", res.is_ok());
                let shown = nodes[n]
                    .record("tasks", r)
                    .and_then(|rec| rec.text("t").map(str::to_owned));
                if res.is_ok()
                    && nodes[n].record("tasks", r).is_some()
                    && shown.as_deref() != Some(words)
                {
                    report("set text Ok but another text shown", &trace, kinds);
                }
            }
            6 => {
                times[n] += 1;
                nodes[n].commit(&id(who), times[n]).unwrap();
                trace += &format!("{who} commit\n");
            }
            _ => {
                let from = rng.below(N as u64) as usize;
                if from != n {
                    times[from] += 1;
                    nodes[from]
                        .commit(&id(from as u8 + 1), times[from])
                        .unwrap();
                    let (src, dst) = if from < n {
                        let (l, rr) = nodes.split_at_mut(n);
                        (&l[from], &mut rr[0])
                    } else {
                        let (l, rr) = nodes.split_at_mut(from);
                        (&rr[0], &mut l[n])
                    };
                    deliver(src, dst);
                    trace += &format!("{} -> {who} deliver\n", from + 1);
                }
            }
        }
        for (i, node) in nodes.iter_mut().enumerate() {
            let deleted = node.deleted_records("tasks");
            // A record read alone is the collection's, masked or not.
            let collection = node.collection("tasks");
            for rec in RECORDS {
                if node.record("tasks", rec).as_ref() != collection.records.get(rec) {
                    report(
                        "a record read alone differs from its collection's",
                        &format!("{trace}(node {})\n", i + 1),
                        kinds,
                    );
                }
            }
            for rec in RECORDS {
                if deleted.contains(&rec.to_owned()) && node.record("tasks", rec).is_some() {
                    report(
                        "both listed deleted and shown",
                        &format!("{trace}(node {})\n", i + 1),
                        kinds,
                    );
                }
            }
        }
    }
    // Everyone commits, everything to everyone.
    for i in 0..N {
        times[i] += 1;
        nodes[i].commit(&id(i as u8 + 1), times[i]).unwrap();
    }
    let events = all_events(&nodes);
    for node in nodes.iter_mut() {
        for e in &events {
            node.insert(e.clone()).unwrap();
        }
    }
    for i in 0..N {
        let policy = policy_of(i as u8 + 1, bans[i]);
        let mut fwd = Replica::new(policy.clone());
        for e in &events {
            fwd.insert(e.clone()).unwrap();
        }
        let mut rev = Replica::new(policy.clone());
        for e in events.iter().rev() {
            rev.insert(e.clone()).unwrap();
        }
        let d0 = nodes[i].collection("tasks").digest();
        let d1 = fwd.collection("tasks").digest();
        let d2 = rev.collection("tasks").digest();
        if d1 != d2 {
            report("arrival order changes the state", &trace, kinds);
        }
        if d0 != d1 {
            report(
                "node differs from a fresh replica of its policy",
                &trace,
                kinds,
            );
        }
        if nodes[i].deleted_records("tasks") != fwd.deleted_records("tasks")
            || rev.deleted_records("tasks") != fwd.deleted_records("tasks")
        {
            report("deleted_records differ by arrival order", &trace, kinds);
        }
        // Nothing masked: the history's reading equals Automerge's.
        let plain = Policy::new(key(9));
        let mut direct = Replica::new(plain.clone());
        for e in &events {
            direct.insert(e.clone()).unwrap();
        }
        let view = direct.view_under(plain.clone());
        if direct.collection("tasks").digest() != direct.collection_under("tasks", &view).digest() {
            report("masked reading != Automerge unmasked", &trace, kinds);
        }
        if !direct.document_errors().is_empty() {
            report("refused change (invalid event stored)", &trace, kinds);
        }
        // History: any entry both deleted and restored.
        for rec in RECORDS {
            for e in fwd.record_history("tasks", rec) {
                if e.deleted && e.restored {
                    report("history both deleted and restored", &trace, kinds);
                }
            }
        }
    }
}

#[test]
fn every_operation_does_what_it_says_and_every_replica_converges() {
    let var = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let (start, count) = (seed().unwrap_or(1), var("TRUSTFOLD_SEEDS", 200));
    println!("seeds {start}..{}", start + count);
    let mut kinds = BTreeMap::new();
    for seed in start..start + count {
        run(seed, &mut kinds);
    }
    assert!(kinds.is_empty(), "{kinds:#?}");
}

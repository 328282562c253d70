//! Property test of documents: several authors edit records and text,
//! gossip partially, and viewers with the same policy — however the events
//! reach them — see byte-identical collections; masking then unmasking
//! is the identity.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;

use common::history::check;
use common::{exclude, id, key};
use proptest::prelude::*;
use trustfold::{Body, Event, Policy, Replica, Scalar};
use wasm_bindgen_test::wasm_bindgen_test;

const COLLECTION: &str = "tasks";
const EXCLUDER: u8 = 9;
const VIEWER: u8 = 10;

/// One raw step: (author, action, a, b, c).
type Step = (u8, u8, u8, u8, u8);

fn steps() -> impl Strategy<Value = (u8, Vec<Step>)> {
    (3u8..=5, prop::collection::vec(any::<Step>(), 1..60))
}

/// Runs the authors' editing session and returns every event made.
fn session(authors: u8, steps: &[Step]) -> Vec<Event> {
    let mut nodes: Vec<Replica> = (1..=authors)
        .map(|a| Replica::new(Policy::new(key(a))))
        .collect();
    for (t, &(who, action, a, b, c)) in steps.iter().enumerate() {
        let i = (who % authors) as usize;
        let record = format!("r{}", a % 3);
        let node = &mut nodes[i];
        // Edits may fail where the author does not see the record yet: skip them.
        let _ = match action % 10 {
            0 => node.create_record(COLLECTION, &record),
            1 => node.set_field(
                COLLECTION,
                &record,
                &format!("f{}", b % 2),
                Scalar::Number(f64::from(c)),
            ),
            2 => node.set_text(
                COLLECTION,
                &record,
                "text",
                &"hello world"[..(b % 12) as usize],
            ),
            3..=6 => {
                let len = node
                    .record(COLLECTION, &record)
                    .and_then(|r| r.text("text").map(|t| t.chars().count()))
                    .unwrap_or(0);
                let pos = b as usize % (len + 1);
                let delete = (c as usize % 3).min(len - pos);
                let insert = ["a", "bc", "", "dé"][c as usize % 4];
                node.splice_text(COLLECTION, &record, "text", pos, delete, insert)
            }
            7 => node.delete_field(COLLECTION, &record, "f0"),
            8 if c % 4 == 0 => node.delete_record(COLLECTION, &record),
            8 => node.create_record(COLLECTION, &record),
            _ => {
                // Commit, then gossip everything to one other author.
                node.commit(&id(i as u8 + 1), t as u64).map(drop).unwrap();
                let to = (i + 1 + b as usize % (authors as usize - 1)) % authors as usize;
                let events: Vec<Event> = nodes[i].log().topological().cloned().collect();
                for e in events {
                    nodes[to].insert(e).unwrap();
                }
                Ok(())
            }
        };
    }
    let mut all: Vec<Event> = Vec::new();
    for (i, node) in nodes.iter_mut().enumerate() {
        node.commit(&id(i as u8 + 1), 1_000).unwrap();
    }
    for node in &nodes {
        for e in node.log().topological() {
            if !all.iter().any(|x| x.id() == e.id()) {
                all.push(e.clone());
            }
        }
    }
    all
}

/// Delivers events in a seeded shuffled order with some duplicates.
fn replica_from(events: &[Event], policy: Policy, seed: u64) -> Replica {
    let mut order: Vec<&Event> = events.iter().chain(events.iter().take(3)).collect();
    let mut state = seed | 1;
    for i in (1..order.len()).rev() {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        order.swap(i, (state % (i as u64 + 1)) as usize);
    }
    let mut node = Replica::new(policy);
    for e in order {
        node.insert(e.clone()).expect("valid event");
    }
    assert_eq!(node.log().pending_len(), 0);
    node
}

#[wasm_bindgen_test(unsupported = test)]
fn viewers_with_one_policy_agree_on_every_document_and_unmasking_restores_it() {
    let strategy = (
        steps(),
        any::<u8>(),
        any::<u64>(),
        any::<u64>(),
        prop::collection::vec(any::<u8>(), 0..3),
    );
    check(
        strategy,
        |((authors, steps), bans, seed_a, seed_b, exclusions)| {
            let mut events = session(authors, &steps);
            // An excluder the viewers trust excludes some document changes.
            let mut excluder = Replica::new(Policy::new(key(EXCLUDER)));
            for e in &events {
                excluder.insert(e.clone()).unwrap();
            }
            let docs: Vec<Event> = events
                .iter()
                .filter(|e| matches!(e.body(), Body::Doc { .. }))
                .cloned()
                .collect();
            for (k, pick) in exclusions.iter().enumerate() {
                if !docs.is_empty() {
                    let target = docs[*pick as usize % docs.len()].id();
                    events.push(
                        excluder
                            .publish(&id(EXCLUDER), k as u64, exclude(target, ""))
                            .unwrap(),
                    );
                }
            }
            let mut policy = Policy::new(key(VIEWER)).trusting(key(EXCLUDER));
            for a in 1..=authors {
                if bans & (1 << a) != 0 {
                    policy = policy.banning(key(a));
                }
            }
            let mut first = replica_from(&events, policy.clone(), seed_a);
            let mut second = replica_from(&events, policy.clone(), seed_b);
            // Honest changes pass the document guard, whatever the order.
            prop_assert_eq!(first.document_errors(), vec![]);
            prop_assert_eq!(second.document_errors(), vec![]);
            let masked = first.collection(COLLECTION);
            prop_assert_eq!(masked.digest(), second.collection(COLLECTION).digest());
            prop_assert_eq!(&masked, &second.collection(COLLECTION));

            // Unmask, then mask again: the identity both ways.
            let open = Policy::new(key(VIEWER));
            let unmasked_fresh =
                replica_from(&events, open.clone(), seed_a ^ seed_b).collection(COLLECTION);
            first.set_policy(open);
            prop_assert_eq!(&first.collection(COLLECTION), &unmasked_fresh);
            first.set_policy(policy);
            prop_assert_eq!(first.collection(COLLECTION), masked);
            Ok(())
        },
    );
}

//! Property test of documents: several authors edit records and text,
//! gossip partially, and viewers with the same policy — however the events
//! reach them — see byte-identical collections; masking then unmasking
//! is the identity.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;

use common::history::{check, check_cases, shuffle};
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
    shuffle(&mut order, seed);
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

/// One step of typing into a masked view: (kind, position, count, text).
type TypingStep = (u8, u16, u8, u8);

/// Typing into a masked view, batched (the op history takes in the open
/// transaction), shows exactly what typing committed keystroke by
/// keystroke shows — at every step, with reads, remote edits and commits
/// in between — and leaves the same shared text; the batched typist signs
/// no more events.
#[wasm_bindgen_test(unsupported = test)]
fn masked_typing_batched_equals_masked_typing_committed_per_keystroke() {
    const H: u8 = 1; // the typist
    const M: u8 = 2; // banned by H
    const O: u8 = 3; // trusted, edits while H types
    let texts = ["a", "bc", "", "😀", "dé", "xyz"];
    let strategy = (
        prop::collection::vec((any::<u8>(), any::<u8>(), any::<u8>()), 1..6),
        prop::collection::vec((any::<u8>(), any::<u16>(), any::<u8>(), any::<u8>()), 1..40),
    );
    check_cases(
        64,
        12,
        strategy,
        |(banned_edits, steps): (Vec<(u8, u8, u8)>, Vec<TypingStep>)| {
            let splice = |node: &mut Replica, pos: usize, delete: usize, insert: &str| {
                let len = node
                    .record(COLLECTION, "r")
                    .and_then(|r| r.text("text").map(|t| t.encode_utf16().count()))
                    .unwrap_or(0);
                let pos = pos % (len + 1);
                let delete = delete.min(len - pos);
                node.splice_text(COLLECTION, "r", "text", pos, delete, insert)
            };
            let seen = |node: &mut Replica| {
                node.record(COLLECTION, "r")
                    .and_then(|r| r.text("text").map(str::to_owned))
            };
            // The text reduced from the whole op history, kept view or not.
            let reduced = |node: &mut Replica| {
                let view = node.view().clone();
                let mut collection = node.collection_under(COLLECTION, &view);
                collection
                    .records
                    .remove("r")
                    .and_then(|r| r.text("text").map(str::to_owned))
            };
            let mut h = Replica::new(Policy::new(key(H)));
            h.create_record(COLLECTION, "r").unwrap();
            h.set_text(COLLECTION, "r", "text", "hello world").unwrap();
            h.commit(&id(H), 0).unwrap();
            let base: Vec<Event> = h.log().topological().cloned().collect();
            let deliver = |to: &mut Replica, events: &[Event]| {
                for e in events {
                    to.insert(e.clone()).unwrap();
                }
            };
            // M's edits, all masked for H.
            let mut m = Replica::new(Policy::new(key(M)));
            deliver(&mut m, &base);
            for (i, &(pos, delete, insert)) in banned_edits.iter().enumerate() {
                let _ = splice(
                    &mut m,
                    pos.into(),
                    (delete % 4).into(),
                    texts[insert as usize % 6],
                );
                m.commit(&id(M), 1 + i as u64).unwrap();
            }
            let banned: Vec<Event> = m.log().topological().cloned().collect();
            // O edits from the base; O's events reach H one at a time.
            let mut o = Replica::new(Policy::new(key(O)));
            deliver(&mut o, &base);

            let typist = || {
                let mut node = Replica::new(Policy::new(key(H)).banning(key(M)));
                deliver(&mut node, &banned);
                node
            };
            let (mut batched, mut eager) = (typist(), typist());
            let mut batched_events = 0;
            let mut eager_events = 0;
            for (t, &(kind, pos, delete, insert)) in steps.iter().enumerate() {
                let time = 100 + t as u64;
                match kind % 10 {
                    0 => {
                        // O edits; the event reaches both typists.
                        let _ = splice(
                            &mut o,
                            pos.into(),
                            (delete % 3).into(),
                            texts[insert as usize % 6],
                        );
                        let events = o.commit(&id(O), time).unwrap();
                        deliver(&mut batched, &events);
                        deliver(&mut eager, &events);
                    }
                    1 => batched_events += batched.commit(&id(H), time).unwrap().len(),
                    2 => {
                        // Another edit joins the open transaction between masked
                        // keystrokes (the history must not take its ops as typed).
                        for node in [&mut batched, &mut eager] {
                            let value = Scalar::Number(f64::from(pos));
                            node.set_field(COLLECTION, "r", "n", value).unwrap();
                        }
                        eager_events += eager.commit(&id(H), time).unwrap().len();
                    }
                    3 => {
                        // The ban lifted or made again: the next keystroke takes
                        // the unmasked path, or the masked one again.
                        let policy = match delete % 2 {
                            0 => Policy::new(key(H)),
                            _ => Policy::new(key(H)).banning(key(M)),
                        };
                        batched.set_policy(policy.clone());
                        eager.set_policy(policy);
                    }
                    _ => {
                        let insert = texts[insert as usize % 6];
                        let a = splice(&mut batched, pos.into(), (delete % 4).into(), insert);
                        let b = splice(&mut eager, pos.into(), (delete % 4).into(), insert);
                        prop_assert_eq!(a.is_ok(), b.is_ok(), "{:?} {:?}", a, b);
                        eager_events += eager.commit(&id(H), time).unwrap().len();
                    }
                }
                prop_assert_eq!(seen(&mut batched), seen(&mut eager), "step {}", t);
                prop_assert_eq!(seen(&mut batched), reduced(&mut batched), "step {}", t);
                prop_assert_eq!(seen(&mut eager), reduced(&mut eager), "step {}", t);
            }
            // Back to the ban for the end (a step may have lifted it).
            batched.set_policy(Policy::new(key(H)).banning(key(M)));
            eager.set_policy(Policy::new(key(H)).banning(key(M)));
            batched_events += batched.commit(&id(H), 10_000).unwrap().len();
            prop_assert!(batched_events <= eager_events.max(1));
            prop_assert_eq!(seen(&mut batched), seen(&mut eager));
            prop_assert_eq!(batched.document_errors(), vec![]);
            // Unmasked, both left the same shared text.
            batched.set_policy(Policy::new(key(H)));
            eager.set_policy(Policy::new(key(H)));
            prop_assert_eq!(seen(&mut batched), seen(&mut eager));
            // And a third replica, given the batched typist's events, agrees.
            let mut viewer = Replica::new(Policy::new(key(VIEWER)).banning(key(M)));
            let all: Vec<Event> = batched.log().topological().cloned().collect();
            deliver(&mut viewer, &all);
            batched.set_policy(Policy::new(key(H)).banning(key(M)));
            prop_assert_eq!(seen(&mut viewer), seen(&mut batched));
            Ok(())
        },
    );
}

//! The log's own rules: idempotence, the bounded pending buffer (never
//! applied early, applied as soon as possible, dropped with an invalid
//! parent) and equivocation proofs.

use super::*;
use common::exclude;
use proptest::prelude::RngExt;
use proptest::test_runner::{RngAlgorithm, TestRng};
use trustfold::ForkProof;

/// A DAG with branches and merges by four authors, in a topological order.
fn branching_dag() -> Vec<Event> {
    let g = sign(1, 1, &[], pay(key(2), 100, "EUR"));
    let b1 = sign(2, 1, &[&g], pay(key(3), 40, "EUR"));
    let c1 = sign(3, 1, &[&g], trust(key(2), TrustLevel::Trusted));
    let a2 = sign(1, 2, &[&g, &b1], pay(key(3), 7, "EUR"));
    let m = sign(4, 1, &[&b1, &c1], pay(key(1), 1, "HOURS"));
    let c2 = sign(3, 2, &[&c1, &a2], pay(key(4), 3, "EUR"));
    let x = sign(2, 2, &[&b1, &m, &c2], pay(key(1), 5, "EUR"));
    let e = sign(4, 2, &[&m, &a2], exclude(a2.id(), "never arrived"));
    vec![g, b1, c1, a2, m, c2, x, e]
}

fn viewer() -> Policy {
    Policy::new(key(2)).trusting(key(4))
}

/// A chain of `len` transfers by alice, each the parent of the next.
fn chain(len: u64) -> Vec<Event> {
    let mut events: Vec<Event> = Vec::new();
    for seq in 1..=len {
        let parents: Vec<&Event> = events.last().into_iter().collect();
        let next = sign(1, seq, &parents, pay(key(2), seq, "EUR"));
        events.push(next);
    }
    events
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn inserting_an_event_twice_is_idempotent() {
    let mut replica = populated();
    let paid = replica
        .publish(&id(1), TIME, pay(key(3), 9, "EUR"))
        .expect("a valid transfer");
    let before = ReplicaState::of(&replica);
    let again = replica.ingest(paid.bytes());
    assert_eq!(
        again,
        Ok(Insertion {
            duplicate: true,
            ..Insertion::default()
        })
    );
    assert_eq!(ReplicaState::of(&replica), before);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn inserting_a_pending_event_twice_is_idempotent() {
    let events = chain(2);
    let mut log = Log::new();
    let waiting = log.insert(events[1].clone());
    assert!(matches!(waiting, Ok(Insertion { pending: true, .. })));
    let before = LogState::of(&log);
    assert_eq!(
        log.insert(events[1].clone()),
        Ok(Insertion {
            duplicate: true,
            ..Insertion::default()
        })
    );
    assert_eq!(LogState::of(&log), before);
    assert_eq!(apply(&mut log, &events[0]).applied, [0, 1]);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_chain_delivered_in_reverse_waits_then_applies_in_order_when_the_root_arrives() {
    let events = chain(10);
    let mut log = Log::new();
    for event in events[1..].iter().rev() {
        let insertion = log.insert(event.clone());
        assert_eq!(
            insertion,
            Ok(Insertion {
                pending: true,
                ..Insertion::default()
            })
        );
        assert_eq!(log.len(), 0, "nothing applies before its parents");
    }
    assert_eq!(log.pending_len(), 9);
    // The root is wanted. (So are the pending events, which are held
    // already: `missing` lists every id some pending event waits for.)
    let wanted: Vec<&EventId> = log.missing().collect();
    assert!(wanted.contains(&&events[0].id()));
    let ids: Vec<EventId> = events.iter().map(Event::id).collect();
    assert!(wanted.iter().all(|id| ids[..9].contains(id)));
    let released = apply(&mut log, &events[0]);
    assert_eq!(released.applied, (0..10).collect::<Vec<_>>());
    assert!(released.rejected.is_empty());
    let applied: Vec<EventId> = log.topological().map(Event::id).collect();
    assert_eq!(applied, events.iter().map(Event::id).collect::<Vec<_>>());
    assert_eq!(log.pending_len(), 0);
    assert_eq!(log.missing().count(), 0);
    assert_eq!(log.heads(), [events[9].id()]);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn pending_events_apply_when_their_parents_arrive_in_any_order() {
    let dag = branching_dag();
    let mut reference = Replica::new(viewer());
    for event in &dag {
        reference.insert(event.clone()).expect("the DAG is valid");
    }
    let expected = ReplicaState::of(&reference);
    assert_eq!(expected.log.len, dag.len());

    let mut orders: Vec<Vec<Event>> = vec![dag.iter().rev().cloned().collect()];
    let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]);
    for _ in 0..40 {
        let mut order = dag.clone();
        for i in (1..order.len()).rev() {
            order.swap(i, rng.random_range(0..=i));
        }
        orders.push(order);
    }
    for order in orders {
        let mut replica = Replica::new(viewer());
        for event in order {
            let absent = event.parents().iter().any(|p| !replica.log().contains(p));
            let insertion = match replica.insert(event.clone()) {
                Ok(insertion) => insertion,
                Err(error) => panic!("{:?} refused: {error}", event.id()),
            };
            assert_eq!(insertion.pending, absent, "waits iff a parent is absent");
            assert!(insertion.rejected.is_empty());
            for &ix in &insertion.applied {
                assert!(replica.log().entry(ix).parents().iter().all(|&p| p < ix));
            }
        }
        assert_eq!(ReplicaState::of(&replica), expected);
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_full_pending_buffer_refuses_events_that_must_wait() {
    let root = sign(1, 1, &[], pay(key(2), 1, "EUR"));
    let children: Vec<Event> = (2..=4)
        .map(|n| sign(n, 1, &[&root], pay(key(1), 1, "EUR")))
        .collect();
    let mut log = Log::with_pending_limits(2, usize::MAX);
    for child in &children[..2] {
        assert!(matches!(
            log.insert(child.clone()),
            Ok(Insertion { pending: true, .. })
        ));
    }
    let before = LogState::of(&log);
    assert_eq!(
        log.insert(children[2].clone()),
        Err(LogError::PendingFull { events: 2 })
    );
    assert_eq!(LogState::of(&log), before);
    assert_eq!(apply(&mut log, &root).applied, [0, 1, 2]);
    // Once its parent is present the refused event needs no buffer.
    apply(&mut log, &children[2]);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn the_pending_buffer_is_bounded_in_bytes_too() {
    let root = sign(1, 1, &[], pay(key(2), 1, "EUR"));
    let children: Vec<Event> = (2..=3)
        .map(|n| sign(n, 1, &[&root], pay(key(1), 1, "EUR")))
        .collect();
    let both = children[0].bytes().len() + children[1].bytes().len();
    for (limit, second_fits) in [(both, true), (both - 1, false)] {
        let mut log = Log::with_pending_limits(100, limit);
        assert!(matches!(
            log.insert(children[0].clone()),
            Ok(Insertion { pending: true, .. })
        ));
        let second = log.insert(children[1].clone());
        if second_fits {
            assert!(matches!(second, Ok(Insertion { pending: true, .. })));
        } else {
            assert_eq!(second, Err(LogError::PendingFull { events: 1 }));
        }
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_pending_event_whose_parent_turns_out_invalid_is_dropped() {
    let root = sign(1, 1, &[], pay(key(2), 10, "EUR"));
    // Carol's "second" event has no first: invalid once its parent is known.
    let invalid = sign(3, 2, &[&root], trust(key(1), TrustLevel::Trusted));
    let child = sign(4, 1, &[&invalid], pay(key(1), 1, "EUR"));
    let grandchild = sign(2, 1, &[&child], pay(key(1), 1, "EUR"));
    let mut log = Log::new();
    for waiting in [&child, &grandchild, &invalid] {
        assert!(matches!(
            log.insert(waiting.clone()),
            Ok(Insertion { pending: true, .. })
        ));
    }
    assert_eq!(log.pending_len(), 3);
    let released = apply(&mut log, &root);
    assert_eq!(released.applied, [0]);
    assert_eq!(
        released.rejected,
        [
            (
                invalid.id(),
                ContextError::MissingPrevious {
                    seq: 2,
                    expected: 1
                }
            ),
            (child.id(), ContextError::InvalidParent(invalid.id())),
            (grandchild.id(), ContextError::InvalidParent(child.id())),
        ]
    );
    assert_eq!(log.len(), 1);
    assert_eq!(log.pending_len(), 0);
    assert_eq!(log.missing().count(), 0);
    assert_eq!(log.heads(), [root.id()]);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn events_waiting_on_an_event_refused_on_arrival_are_dropped() {
    let invalid = sign(3, 2, &[], trust(key(1), TrustLevel::Trusted));
    let child = sign(4, 1, &[&invalid], pay(key(1), 1, "EUR"));
    let mut log = Log::new();
    assert!(matches!(
        log.insert(child.clone()),
        Ok(Insertion { pending: true, .. })
    ));
    assert_eq!(
        log.insert(invalid.clone()),
        Err(LogError::Invalid {
            id: invalid.id(),
            error: ContextError::MissingPrevious {
                seq: 2,
                expected: 1
            }
        })
    );
    assert_eq!(log.len(), 0);
    assert_eq!(log.pending_len(), 0);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn ids_wanted_only_by_dropped_events_are_no_longer_missing() {
    let invalid = sign(3, 2, &[], trust(key(1), TrustLevel::Trusted));
    let never_sent = EventId([9; 32]);
    let child = id(4).sign(Draft {
        seq: 1,
        parents: vec![invalid.id(), never_sent],
        time: TIME,
        body: pay(key(1), 1, "EUR"),
    });
    let mut log = Log::new();
    assert!(matches!(
        log.insert(child),
        Ok(Insertion { pending: true, .. })
    ));
    assert!(log.insert(invalid).is_err());
    assert_eq!(log.pending_len(), 0);
    assert_eq!(log.missing().collect::<Vec<_>>(), Vec::<&EventId>::new());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn two_events_by_one_author_with_one_seq_are_a_fork_and_both_apply() {
    let one = sign(1, 1, &[], pay(key(2), 5, "EUR"));
    let other = sign(1, 1, &[], pay(key(3), 5, "EUR"));
    for (first, second) in [(&one, &other), (&other, &one)] {
        let mut log = Log::new();
        assert!(apply(&mut log, first).forks.is_empty());
        assert!(!log.is_forked(&key(1)));
        // The same proof in either arrival order: smaller id first.
        let proof = ForkProof {
            author: key(1),
            seq: 1,
            first: one.id().min(other.id()),
            second: one.id().max(other.id()),
        };
        assert_eq!(apply(&mut log, second).forks, std::slice::from_ref(&proof));
        assert_eq!(log.forks(), [proof]);
        assert!(log.is_forked(&key(1)));
        assert!(!log.is_forked(&key(2)));
        assert!(log.contains(&one.id()) && log.contains(&other.id()));
        assert_eq!(log.head_count(), 2);
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_fork_released_from_the_pending_buffer_is_detected_and_can_be_merged() {
    let root = sign(1, 1, &[], pay(key(2), 5, "EUR"));
    let left = sign(1, 2, &[&root], pay(key(2), 6, "EUR"));
    let right = sign(1, 2, &[&root], pay(key(3), 6, "EUR"));
    let mut log = Log::new();
    for waiting in [&left, &right] {
        assert!(matches!(
            log.insert(waiting.clone()),
            Ok(Insertion { pending: true, .. })
        ));
    }
    let released = apply(&mut log, &root);
    assert_eq!(released.applied.len(), 3);
    assert_eq!(released.forks.len(), 1);
    let proof = &released.forks[0];
    assert_eq!((proof.author, proof.seq), (key(1), 2));
    let mut named = [proof.first, proof.second];
    named.sort_unstable();
    let mut expected = [left.id(), right.id()];
    expected.sort_unstable();
    assert_eq!(named, expected);
    assert_eq!(log.forks(), released.forks.as_slice());
    assert!(log.is_forked(&key(1)));
    // Both branches count: the author's next event may name both.
    apply(
        &mut log,
        &sign(1, 3, &[&left, &right], pay(key(2), 1, "EUR")),
    );
    assert_eq!(log.head_count(), 1);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn publishing_an_event_that_breaks_a_stateless_rule_is_refused_and_changes_nothing() {
    let bodies = [
        pay(key(1), 5, "EUR"),
        pay(key(2), 0, "EUR"),
        trust(key(1), TrustLevel::Banned),
        Body::Doc {
            doc: trustfold::DocId([1; 16]),
            change: vec![1, 2, 3],
        },
    ];
    for body in bodies {
        let kind = body.kind();
        let mut replica = populated();
        let before = ReplicaState::of(&replica);
        let published = replica.publish(&id(1), TIME, body);
        assert!(published.is_err(), "{kind}: {published:?}");
        assert_eq!(ReplicaState::of(&replica), before, "{kind}");
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn inserting_a_signed_event_with_seq_zero_is_refused_without_a_panic() {
    let zero = sign(1, 0, &[], pay(key(2), 5, "EUR"));
    let mut log = Log::new();
    let before = LogState::of(&log);
    assert!(log.insert(zero).is_err());
    assert_eq!(LogState::of(&log), before);
}

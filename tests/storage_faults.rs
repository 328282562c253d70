//! Storage that fails during sync, against the real node code: a write
//! failing mid-batch loses no reply and every event a node acknowledged is
//! stored; a full disk during a commit never forks the node's identity,
//! whether the node keeps running or is reopened; a failed write never
//! swallows the answer owed to a peer.
#![cfg(not(target_arch = "wasm32"))]

mod common;
#[path = "common/sim.rs"]
mod sim;

use common::{key, pay};
use sim::FaultyStore;
use std::collections::VecDeque;
use std::rc::Rc;
use trustfold::store::{MemoryStore, Store};
use trustfold::sync::{Framer, Message};
use trustfold::{Event, Node, NodeError, store::StoreError};

/// Delivers frames between `a` and `b` until both are quiet. Every `Ack`
/// `b` sends is checked at once: what it names must be in `b`'s store.
async fn settle<S: Store, T: Store>(
    a: &Node<S>,
    b: &Node<T>,
    queue: &mut VecDeque<(bool, Vec<u8>)>,
) -> (usize, Vec<NodeError>) {
    let mut acks = 0;
    let mut errors = Vec::new();
    while let Some((to_b, frame)) = queue.pop_front() {
        let out = if to_b {
            b.from_peer("a", &frame).await.unwrap()
        } else {
            a.from_peer("b", &frame).await.unwrap()
        };
        if to_b {
            errors.extend(out.store_error.clone());
            for (_, reply) in &out.send {
                if let Ok(Some(Message::Ack { held, .. })) = Framer::default().decode(reply) {
                    acks += 1;
                    for id in held {
                        assert!(
                            b.store().get_event(&id).await.unwrap().is_some(),
                            "b acknowledged an event it has not stored"
                        );
                    }
                }
            }
        }
        queue.extend(out.send.into_iter().map(|(_, f)| (!to_b, f)));
    }
    (acks, errors)
}

fn connect<S: Store, T: Store>(a: &Node<S>, b: &Node<T>) -> VecDeque<(bool, Vec<u8>)> {
    let mut queue = VecDeque::new();
    queue.extend(
        a.connect_peer("b", [1; 16])
            .into_iter()
            .map(|(_, f)| (true, f)),
    );
    queue.extend(
        b.connect_peer("a", [2; 16])
            .into_iter()
            .map(|(_, f)| (false, f)),
    );
    queue
}

#[pollster::test]
async fn a_write_failing_mid_catch_up_loses_no_reply_and_every_acknowledged_event_is_stored() {
    let (a, _) = Node::open(MemoryStore::new(), || [1; 32]).await.unwrap();
    for n in 0..3_000 {
        a.publish(n, pay(key(9), 1, "EUR")).await.unwrap();
    }
    let (b, _) = Node::open(FaultyStore::default(), || [2; 32])
        .await
        .unwrap();
    // The second write of the catch-up fails (a full disk for a moment).
    b.store().fail(1, 1);
    let mut queue = connect(&a, &b);
    let (acks, errors) = settle(&a, &b, &mut queue).await;
    assert_eq!(errors, [NodeError::Store(StoreError::QuotaExceeded)]);
    assert!(acks > 1);
    assert_eq!(b.replica().log().len(), 3_000, "what failed came again");
    assert_eq!(b.store().event_count().await.unwrap(), 3_000);
}

#[pollster::test]
async fn a_failed_write_never_swallows_the_answer_owed_to_the_peer() {
    let (a, _) = Node::open(MemoryStore::new(), || [1; 32]).await.unwrap();
    for n in 0..10 {
        a.publish(n, pay(key(9), 1, "EUR")).await.unwrap();
    }
    let (b, _) = Node::open(FaultyStore::default(), || [2; 32])
        .await
        .unwrap();
    b.publish(0, pay(key(8), 1, "EUR")).await.unwrap();
    let to_a = b.connect_peer("a", [2; 16]);
    let mut to_b = sim::hello(&a, "b", [1; 16]);
    for (_, frame) in to_a {
        to_b.extend(sim::answer(&a, "b", &frame).await);
    }
    // a's Hello and a's events arrive together; storing the events fails.
    b.store().fail(0, 1);
    let frames: Vec<&[u8]> = to_b.iter().map(Vec::as_slice).collect();
    let out = b.from_peer_frames("a", &frames).await.unwrap();
    assert!(out.store_error.is_some());
    let answered = out.send.iter().any(|(_, f)| {
        matches!(
            Framer::default().decode(f),
            Ok(Some(Message::Answered { .. }))
        )
    });
    assert!(answered, "b's answer to a's Hello still goes out");
    assert_eq!(
        b.replica().log().len(),
        1,
        "nothing of the failed write applied"
    );
}

/// `a` edits a record; its disk is full when the edit is committed.
async fn a_commit_on_a_full_disk(a: &Node<Rc<FaultyStore>>) -> usize {
    a.publish(1, pay(key(9), 1, "EUR")).await.unwrap();
    let before = a.replica().log().len();
    a.replica_mut().create_record("notes", "n").unwrap();
    a.replica_mut()
        .set_text("notes", "n", "body", "hello")
        .unwrap();
    a.store().fail(0, 1);
    let failed = a.commit(2).await;
    assert_eq!(
        failed.err(),
        Some(NodeError::Store(StoreError::QuotaExceeded))
    );
    assert_eq!(a.replica().log().len(), before, "not durable: not applied");
    before
}

fn forked(node: &Node<MemoryStore>, who: &trustfold::PublicKey) -> bool {
    node.replica().log().is_forked(who)
}

#[pollster::test]
async fn a_full_disk_during_a_commit_never_forks_the_identity_of_a_node_that_keeps_running() {
    let store = Rc::new(FaultyStore::default());
    let (a, _) = Node::open(store.clone(), || [1; 32]).await.unwrap();
    let (b, _) = Node::open(MemoryStore::new(), || [2; 32]).await.unwrap();
    let before = a_commit_on_a_full_disk(&a).await;
    let mut queue = connect(&a, &b);
    settle(&a, &b, &mut queue).await;
    assert_eq!(
        b.replica().log().len(),
        before,
        "the unwritten event was never served"
    );
    // The disk has room again: the next write takes the edit's event first.
    let paid = a.publish(3, pay(key(9), 2, "EUR")).await.unwrap();
    assert_eq!(paid.seq(), 3, "the edit's event took seq 2");
    queue.extend(a.push_to_peers(&[paid]).into_iter().map(|(_, f)| (true, f)));
    queue.extend(
        b.resync_peers(|| [5; 16])
            .into_iter()
            .map(|(_, f)| (false, f)),
    );
    settle(&a, &b, &mut queue).await;
    let me = a.identity().public_key();
    assert_eq!(b.replica().log().events_by(&me).len(), 3);
    assert!(!forked(&b, &me));
    let text = b.replica_mut().record("notes", "n").unwrap();
    assert!(format!("{text:?}").contains("hello"), "the edit arrived");
}

#[pollster::test]
async fn a_full_disk_during_a_commit_never_forks_the_identity_after_a_reopen() {
    let store = Rc::new(FaultyStore::default());
    let (a, _) = Node::open(store.clone(), || [1; 32]).await.unwrap();
    let (b, _) = Node::open(MemoryStore::new(), || [2; 32]).await.unwrap();
    a_commit_on_a_full_disk(&a).await;
    let mut queue = connect(&a, &b);
    settle(&a, &b, &mut queue).await;
    // The page is closed before the disk has room; the edit is lost with
    // it, but nobody ever saw its event.
    let me = a.identity().public_key();
    drop(a);
    let (a, _) = Node::open(store, || [1; 32]).await.unwrap();
    let paid: Event = a.publish(3, pay(key(9), 2, "EUR")).await.unwrap();
    assert_eq!(paid.seq(), 2);
    let mut queue = connect(&a, &b);
    settle(&a, &b, &mut queue).await;
    assert_eq!(b.replica().log().events_by(&me).len(), 2);
    assert!(!forked(&b, &me), "one event per seq");
}

#[pollster::test]
async fn what_was_stored_before_a_failed_write_is_still_forwarded_and_announced() {
    let (a, _) = Node::open(MemoryStore::new(), || [1; 32]).await.unwrap();
    for n in 0..2_000 {
        a.publish(n, pay(key(9), 1, "EUR")).await.unwrap();
    }
    let (b, _) = Node::open(FaultyStore::default(), || [2; 32])
        .await
        .unwrap();
    let mut answer = sim::hello(&a, "b", [1; 16]);
    for (_, frame) in b.connect_peer("a", [2; 16]) {
        answer.extend(sim::answer(&a, "b", &frame).await);
    }
    // The whole answer in one batch (several chunks); the second write fails.
    b.store().fail(1, 1);
    let frames: Vec<&[u8]> = answer.iter().map(Vec::as_slice).collect();
    let out = b.from_peer_frames("a", &frames).await.unwrap();
    assert!(out.store_error.is_some());
    assert!(
        !out.stored.is_empty(),
        "the chunk written before the failure is reported"
    );
    for event in &out.stored {
        assert!(b.store().get_event(&event.id()).await.unwrap().is_some());
        assert!(b.replica().log().contains(&event.id()));
    }
    assert_eq!(
        b.replica().log().len(),
        out.stored.len(),
        "nothing after it applied"
    );
}

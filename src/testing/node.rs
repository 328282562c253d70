//! The node conformance suite: what a person relies on of a [`Node`] over
//! any [`Store`] — state survives reopening, every new event is written
//! before the call returns, bad input and failed writes lose nothing.
//! [`node_conformance_tests!`](crate::node_conformance_tests) emits one
//! test per function for a [`Backend`].

use super::{Backend, id, key, pay};
use crate::store::Store;
use crate::{Node, NodeError, Policy, Scalar};

const SECRET: [u8; 32] = [7; 32];

/// Everything a person would notice after a reload: events, the view's
/// digests, a note's text.
pub fn state<S: Store>(node: &Node<S>) -> (usize, String, String, Option<String>) {
    let mut replica = node.replica_mut();
    let note = replica
        .record("notes", "n")
        .and_then(|r| r.text("body").map(str::to_owned));
    let log = replica.log();
    (
        log.len(),
        replica.view().included_digest(log).to_hex(),
        replica.view().state_digest(log).to_hex(),
        note,
    )
}

/// A reopened node has the same identity policy and state.
pub async fn a_reopened_node_has_the_same_identity_policy_and_state<B: Backend>(backend: &B) {
    let store = backend.fresh().await;
    let (node, report) = Node::open(store, || SECRET).await.unwrap();
    assert!(report.new_identity);
    let me = node.identity().public_key();
    node.publish(1, pay(key(2), 30, "EUR")).await.unwrap();
    node.set_policy(Policy::new(me).banning(key(3)))
        .await
        .unwrap();
    let payment_from_3 = id(3).sign(crate::Draft {
        seq: 1,
        parents: vec![],
        time: 2,
        body: pay(me, 5, "EUR"),
    });
    node.receive(payment_from_3.bytes()).await.unwrap();
    node.replica_mut().create_record("notes", "n").unwrap();
    node.replica_mut()
        .set_text("notes", "n", "body", "kept")
        .unwrap();
    node.replica_mut()
        .set_field("notes", "n", "done", Scalar::Bool(true))
        .unwrap();
    assert_eq!(node.commit(3).await.unwrap().len(), 1);
    let before = state(&node);
    assert_eq!(node.store().event_count().await.unwrap(), 3);

    let store = node.into_store();
    let (reopened, report) = Node::open(store, || [9; 32]).await.unwrap();
    assert!(!report.new_identity);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(reopened.identity().public_key(), me);
    assert!(reopened.replica().view().policy().banned.contains(&key(3)));
    assert_eq!(state(&reopened), before);
    assert_eq!(
        reopened
            .replica()
            .view()
            .balance(reopened.replica().log(), &me, "EUR"),
        -30,
        "3's payment is banned, as before"
    );
}

/// Bad input is refused with a typed error and stores nothing.
pub async fn bad_input_is_refused_with_a_typed_error_and_stores_nothing<B: Backend>(backend: &B) {
    let store = backend.fresh().await;
    let (node, _) = Node::open(store, || SECRET).await.unwrap();
    node.publish(1, pay(key(2), 30, "EUR")).await.unwrap();
    let before = state(&node);
    let good = id(4).sign(crate::Draft {
        seq: 1,
        parents: vec![],
        time: 0,
        body: pay(key(2), 1, "EUR"),
    });
    let mut forged = good.bytes().to_vec();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert!(matches!(
        node.receive(&forged).await,
        Err(NodeError::Core(_))
    ));
    assert!(matches!(
        node.receive(&forged[..10]).await,
        Err(NodeError::Core(_))
    ));
    // A locally made event that breaks a rule is neither stored nor applied.
    let me = node.identity().public_key();
    assert!(node.publish(2, pay(me, 1, "EUR")).await.is_err());
    assert_eq!(state(&node), before);
    assert_eq!(node.store().event_count().await.unwrap(), 1);
}

/// A damaged stored event is skipped and reported on open.
pub async fn a_damaged_stored_event_is_skipped_and_reported_on_open<B: Backend>(backend: &B) {
    let store = backend.fresh().await;
    let (node, _) = Node::open(store, || SECRET).await.unwrap();
    node.publish(1, pay(key(2), 30, "EUR")).await.unwrap();
    let store = node.into_store();
    let junk = b"not an event".to_vec();
    let id = crate::EventId::of_bytes(&junk);
    store.put_events(&[(id, &junk)]).await.unwrap();
    let (reopened, report) = Node::open(store, || SECRET).await.unwrap();
    assert_eq!(reopened.replica().log().len(), 1);
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert!(report.skipped[0].contains(&format!("{id:?}")));
}

/// Two nodes over one store (two tabs): one writes 100 events the other
/// never hears of (a tab asleep); the other's next write follows all of
/// them — found with one read of the store past the first few lookups —
/// and the chain does not fork.
pub async fn a_tab_that_missed_many_of_the_others_events_follows_them<B: Backend>(backend: &B) {
    let (first, second) = backend.shared().await;
    let (a, _) = Node::open(first, || SECRET).await.unwrap();
    let (b, _) = Node::open(second, || [8; 32]).await.unwrap();
    for time in 0..100u64 {
        a.publish(time, pay(key(2), 1, "EUR")).await.unwrap();
    }
    let event = b.publish(100, pay(key(3), 1, "EUR")).await.unwrap();
    assert_eq!(event.content().seq, 101, "after a's 100");
    assert_eq!(b.replica().log().len(), 101);
    assert!(b.replica().log().forks().is_empty());
    let replica = b.replica();
    assert_eq!(replica.view().balance(replica.log(), &key(2), "EUR"), 100);
}

/// Two nodes over one store (two tabs): each writes while the other has
/// not heard of its latest events. Neither forks the shared chain, and once
/// each loads what the other stored they agree, documents included.
pub async fn two_nodes_sharing_a_store_never_fork_and_agree<B: Backend>(backend: &B) {
    let (first, second) = backend.shared().await;
    let (a, _) = Node::open(first, || SECRET).await.unwrap();
    let (b, report) = Node::open(second, || [8; 32]).await.unwrap();
    assert!(!report.new_identity, "the second tab shares the identity");
    assert_eq!(a.identity().public_key(), b.identity().public_key());
    let mut published = Vec::new();
    for round in 0..5u64 {
        published.push(a.publish(round, pay(key(2), 1, "EUR")).await.unwrap());
        published.push(b.publish(round, pay(key(3), 1, "EUR")).await.unwrap());
    }
    // Both tabs edit one record's text without exchanging anything.
    a.replica_mut().create_record("notes", "n").unwrap();
    a.replica_mut()
        .set_text("notes", "n", "body", "from a")
        .unwrap();
    published.extend(a.commit(10).await.unwrap());
    b.replica_mut().create_record("notes", "m").unwrap();
    b.replica_mut()
        .set_text("notes", "m", "body", "from b")
        .unwrap();
    published.extend(b.commit(11).await.unwrap());

    let seqs: Vec<u64> = published.iter().map(|e| e.content().seq).collect();
    assert_eq!(seqs, (1..=12).collect::<Vec<_>>(), "one chain, no fork");
    for node in [&a, &b] {
        for event in &published {
            node.load_stored(event.bytes()).unwrap();
        }
        assert!(node.replica().log().forks().is_empty());
        assert!(node.replica_mut().document_errors().is_empty());
    }
    assert_eq!(state(&a).0, 12);
    assert_eq!(
        (state(&a).1, state(&a).2),
        (state(&b).1, state(&b).2),
        "same digests"
    );
    for node in [&a, &b] {
        let mut replica = node.replica_mut();
        let mut text = |r: &str| {
            replica
                .record("notes", r)
                .and_then(|r| r.text("body").map(str::to_owned))
        };
        assert_eq!(text("n").as_deref(), Some("from a"));
        assert_eq!(text("m").as_deref(), Some("from b"));
    }
    let me = a.identity().public_key();
    assert_eq!(
        a.replica().view().balance(a.replica().log(), &me, "EUR"),
        -10
    );
}

/// A backup restored on a new device opens as that identity; a store that
/// already holds another identity refuses it and keeps its own.
pub async fn a_restored_identity_opens_only_where_it_belongs<B: Backend>(backend: &B) {
    let (empty, taken) = (backend.fresh().await, backend.fresh().await);
    let restored = id(5);
    let (node, report) = Node::open_as(empty, id(5), || SECRET).await.unwrap();
    assert!(report.new_identity);
    assert_eq!(node.identity().public_key(), restored.public_key());
    let (again, _) = Node::open_as(node.into_store(), id(5), || SECRET)
        .await
        .unwrap();
    assert_eq!(again.identity().public_key(), restored.public_key());

    let (mine, _) = Node::open(taken, || SECRET).await.unwrap();
    let refused = Node::open_as(mine.into_store(), id(5), || SECRET).await;
    assert_eq!(refused.err(), Some(NodeError::OtherIdentity));
}

/// A batch from a peer: valid events are stored in one write and applied
/// whatever their order; a forged one is refused alone; repeats are ignored.
pub async fn a_received_batch_keeps_the_good_and_refuses_the_bad<B: Backend>(backend: &B) {
    let store = backend.fresh().await;
    let (node, _) = Node::open(store, || SECRET).await.unwrap();
    let first = id(4).sign(crate::Draft {
        seq: 1,
        parents: vec![],
        time: 1,
        body: pay(key(2), 10, "EUR"),
    });
    let second = id(4).sign(crate::Draft {
        seq: 2,
        parents: vec![first.id()],
        time: 2,
        body: pay(key(2), 5, "EUR"),
    });
    let mut forged = first.bytes().to_vec();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let batch = [second.bytes(), &forged, first.bytes(), first.bytes()];
    let received = node.receive_batch(&batch).await.unwrap();
    assert_eq!(received.applied, 2);
    assert_eq!(received.stored.len(), 2);
    assert_eq!(received.refused.len(), 1);
    assert_eq!(received.refused[0].0, 1);
    assert_eq!(node.store().event_count().await.unwrap(), 2);
    let again = node.receive_batch(&batch[..1]).await.unwrap();
    assert_eq!((again.applied, again.stored.len()), (0, 0));
    assert_eq!(
        node.replica()
            .view()
            .balance(node.replica().log(), &key(2), "EUR"),
        15
    );
}

/// The snapshots: the cached state reads back before opening exactly as
/// the live state showed it; a reopen starts documents from their saved
/// form and reaches the same state; edits after the snapshot are not lost.
pub async fn snapshots_give_the_same_state_sooner<B: Backend>(backend: &B) {
    let store = backend.fresh().await;
    let (node, report) = Node::open(store, || SECRET).await.unwrap();
    assert!(!report.cached_state_current, "nothing saved yet");
    let me = node.identity().public_key();
    node.publish(1, pay(key(2), 30, "EUR")).await.unwrap();
    node.replica_mut().create_record("notes", "n").unwrap();
    node.replica_mut()
        .set_text("notes", "n", "body", "saved")
        .unwrap();
    node.commit(2).await.unwrap();
    node.save_snapshots(3).await.unwrap();

    let cached = Node::cached_state(node.store()).await.unwrap().unwrap();
    assert_eq!(cached.events, 2);
    assert_eq!(cached.saved_at, 3);
    assert!(cached.balances.contains(&(me, "EUR".to_owned(), -30)));
    assert_eq!(
        cached.collection("notes"),
        node.replica_mut().collection("notes")
    );
    assert_eq!(cached.collection("other").records.len(), 0);

    // An edit after the snapshot: the saved document lacks it.
    node.replica_mut()
        .splice_text("notes", "n", "body", 5, 0, " and later")
        .unwrap();
    node.commit(4).await.unwrap();
    let before = state(&node);
    let (reopened, report) = Node::open(node.into_store(), || [3; 32]).await.unwrap();
    assert_eq!(report.saved_documents, 1);
    assert!(!report.cached_state_current, "3 events now, 2 when saved");
    assert_eq!(state(&reopened), before);
    assert_eq!(before.3.as_deref(), Some("saved and later"));
}

/// Typing into a document opened from its saved form, then a remote
/// change to it arriving: the typing becomes an event when committed.
/// (The first remote change after such an open asks Automerge which
/// changes the document lacks, with the typing still in its open
/// transaction: were that transaction closed there, outside `Doc::close`,
/// the typing would stay in the document and never be published.)
pub async fn typing_on_a_reopened_document_is_published_when_a_remote_change_arrives<B: Backend>(
    backend: &B,
) {
    let store = backend.fresh().await;
    let (node, _) = Node::open(store, || SECRET).await.unwrap();
    node.replica_mut().create_record("notes", "n").unwrap();
    node.replica_mut()
        .set_text("notes", "n", "body", "hello")
        .unwrap();
    let base = node.commit(1).await.unwrap();
    node.save_snapshots(2).await.unwrap();
    // Another author edits the same text.
    let mut other = crate::Replica::new(Policy::new(key(9)));
    for event in &base {
        other.insert(event.clone()).unwrap();
    }
    other
        .splice_text("notes", "n", "body", 0, 0, "O: ")
        .unwrap();
    let remote = other.commit(&id(9), 3).unwrap();

    let (node, report) = Node::open(node.into_store(), || SECRET).await.unwrap();
    assert_eq!(report.saved_documents, 1);
    node.replica_mut()
        .splice_text("notes", "n", "body", 5, 0, " world")
        .unwrap();
    for event in &remote {
        node.receive(event.bytes()).await.unwrap();
    }
    assert_eq!(state(&node).3.as_deref(), Some("O: hello world"));
    let published = node.commit(4).await.unwrap();
    assert_eq!(published.len(), 1, "the typing is one event");
    // Everyone given the log sees it.
    let mut fresh = crate::Replica::new(Policy::new(key(5)));
    for event in node.replica().log().topological() {
        fresh.insert(event.clone()).unwrap();
    }
    let text = fresh
        .record("notes", "n")
        .and_then(|r| r.text("body").map(str::to_owned));
    assert_eq!(text.as_deref(), Some("O: hello world"));
}

/// A saved document holding a change the log does not carry (a foreign or
/// damaged snapshot) is dropped and the document rebuilt from the log; a
/// snapshot that does not decode is ignored.
pub async fn a_snapshot_the_log_does_not_back_is_dropped<B: Backend>(backend: &B) {
    let (store, other) = (backend.fresh().await, backend.fresh().await);
    let (node, _) = Node::open(store, || SECRET).await.unwrap();
    node.replica_mut().create_record("notes", "n").unwrap();
    node.replica_mut()
        .set_text("notes", "n", "body", "first")
        .unwrap();
    let first = node.commit(1).await.unwrap();
    node.replica_mut()
        .splice_text("notes", "n", "body", 5, 0, ", second")
        .unwrap();
    node.commit(2).await.unwrap();
    node.save_snapshots(3).await.unwrap();
    let docs = node.store().get_snapshot("docs").await.unwrap().unwrap();

    // Another store of the same identity holds only the first commit, and
    // the snapshot of both.
    other.put_meta("identity", &id(7).secret()).await.unwrap();
    other
        .put_events(&[(first[0].id(), first[0].bytes())])
        .await
        .unwrap();
    other.put_snapshot("docs", &docs).await.unwrap();
    let (partial, report) = Node::open(other, || [4; 32]).await.unwrap();
    assert_eq!(report.saved_documents, 0, "dropped");
    let text = partial
        .replica_mut()
        .record("notes", "n")
        .and_then(|r| r.text("body").map(str::to_owned));
    assert_eq!(text.as_deref(), Some("first"), "only what the log carries");

    let store = partial.into_store();
    store.put_snapshot("docs", b"\x01junk").await.unwrap();
    store.put_snapshot("state", b"\x09junk").await.unwrap();
    assert_eq!(Node::cached_state(&store).await.unwrap(), None);
    let (reopened, report) = Node::open(store, || [4; 32]).await.unwrap();
    assert_eq!(report.saved_documents, 0);
    assert_eq!(reopened.replica().log().len(), 1);
}

/// A store returns events in key order, which is random: a long chain must
/// still load whole (more events than the pending buffer holds).
pub async fn a_long_history_loads_whole_whatever_the_stored_order<B: Backend>(backend: &B) {
    let store = backend.fresh().await;
    let author = id(6);
    let mut previous = None;
    let mut events = Vec::new();
    for seq in 1..=12_000u64 {
        let event = author.sign(crate::Draft {
            seq,
            parents: previous.into_iter().collect(),
            time: seq,
            body: pay(key(2), 1, "EUR"),
        });
        previous = Some(event.id());
        events.push(event);
    }
    let records: Vec<_> = events.iter().map(|e| (e.id(), e.bytes())).collect();
    store.put_events(&records).await.unwrap();
    let (node, report) = Node::open(store, || SECRET).await.unwrap();
    assert!(report.skipped.is_empty(), "{:?}", &report.skipped[..1]);
    assert_eq!(report.events, 12_000);
    assert_eq!(
        node.replica()
            .view()
            .balance(node.replica().log(), &key(2), "EUR"),
        12_000
    );
}

//! The node conformance suite, part three: edits kept as a page goes away
//! ([`Node::sign_for_unload`], [`Node::adopt_unsaved`]) are written by the
//! next open — once, after whatever another tab wrote meanwhile — and
//! nothing but own document edits is taken in.

use super::node::state;
use super::{Backend, id, key, pay};
use crate::{Adopted, Node, Policy, Replica};

const SECRET: [u8; 32] = [7; 32];

fn bytes_of(events: &[crate::Event]) -> Vec<Vec<u8>> {
    events.iter().map(|e| e.bytes().to_vec()).collect()
}

fn adopted(adopted: usize, written: usize) -> Adopted {
    Adopted {
        adopted,
        written,
        refused: Vec::new(),
    }
}

/// What someone typed in the second before closing the page is there when
/// the page opens again, written as it was signed; taking the kept bytes
/// in again adds nothing.
pub async fn edits_kept_as_a_page_goes_away_are_written_at_the_next_open<B: Backend>(backend: &B) {
    let store = backend.fresh().await;
    let (node, _) = Node::open(store, || SECRET).await.unwrap();
    node.replica_mut().create_record("notes", "n").unwrap();
    node.replica_mut()
        .set_text("notes", "n", "body", "hello")
        .unwrap();
    node.commit(1).await.unwrap();
    node.replica_mut()
        .splice_text("notes", "n", "body", 5, 0, " world")
        .unwrap();
    // The page is asked to leave (beforeunload), someone types on, then
    // it goes (pagehide): the second call keeps both, one chain.
    let first = node.sign_for_unload(2).unwrap();
    assert_eq!(first.len(), 1);
    node.replica_mut()
        .splice_text("notes", "n", "body", 11, 0, "!")
        .unwrap();
    let kept = node.sign_for_unload(3).unwrap();
    assert_eq!(kept.len(), 2);
    assert_eq!(kept[0].id(), first[0].id(), "kept once, not signed twice");
    assert_eq!(kept[1].seq(), kept[0].seq() + 1);
    assert_eq!(node.unsaved(), 2);

    // The page is gone before any write: the store does not have them.
    let (node, _) = Node::open(node.into_store(), || SECRET).await.unwrap();
    assert_eq!(state(&node).3.as_deref(), Some("hello"));
    assert_eq!(node.adopt_unsaved(&bytes_of(&kept)), adopted(2, 0));
    let written = node.commit(4).await.unwrap();
    let ids: Vec<_> = written.iter().map(|e| e.id()).collect();
    assert_eq!(
        ids,
        kept.iter().map(|e| e.id()).collect::<Vec<_>>(),
        "the chain did not move: written as signed"
    );
    assert_eq!(state(&node).3.as_deref(), Some("hello world!"));
    assert_eq!(node.unsaved(), 0);

    let (node, _) = Node::open(node.into_store(), || SECRET).await.unwrap();
    assert_eq!(state(&node).3.as_deref(), Some("hello world!"), "durable");
    assert_eq!(node.adopt_unsaved(&bytes_of(&kept)), adopted(0, 2));
    assert!(node.commit(5).await.unwrap().is_empty());
    assert_eq!(state(&node).0, 3);
}

/// A page that stays after all (the person cancelled leaving, or came back
/// to it) writes what it kept with its next commit, once.
pub async fn a_page_that_stays_writes_what_it_kept<B: Backend>(backend: &B) {
    let store = backend.fresh().await;
    let (node, _) = Node::open(store, || SECRET).await.unwrap();
    node.replica_mut().create_record("notes", "n").unwrap();
    node.replica_mut()
        .set_text("notes", "n", "body", "stay")
        .unwrap();
    let kept = node.sign_for_unload(1).unwrap();
    assert_eq!(kept.len(), 1);
    node.replica_mut()
        .splice_text("notes", "n", "body", 4, 0, "ed")
        .unwrap();
    let written = node.commit(2).await.unwrap();
    assert_eq!(written.len(), 2, "the kept event, then the new edit");
    assert_eq!(written[0].id(), kept[0].id());
    assert_eq!(node.unsaved(), 0);
    let (node, _) = Node::open(node.into_store(), || SECRET).await.unwrap();
    assert_eq!(state(&node).3.as_deref(), Some("stayed"));
    assert_eq!(state(&node).0, 2, "no change published twice");
}

/// Another tab wrote after the page kept its edits: the kept edits are
/// signed again after it (never a second event with the same seq), and a
/// tab that reads the same kept bytes later writes nothing twice.
pub async fn kept_edits_follow_what_another_tab_wrote_meanwhile<B: Backend>(backend: &B) {
    let (first, second) = backend.shared().await;
    let (a, _) = Node::open(first, || SECRET).await.unwrap();
    a.replica_mut().create_record("notes", "n").unwrap();
    a.replica_mut().set_text("notes", "n", "body", "a").unwrap();
    a.commit(1).await.unwrap();
    let (b, _) = Node::open(second, || [8; 32]).await.unwrap();
    // Two documents, then the first again: its second change depends on
    // a change whose event is not written either, and not just before it.
    a.replica_mut()
        .splice_text("notes", "n", "body", 1, 0, " kept")
        .unwrap();
    a.replica_mut().create_record("tasks", "t").unwrap();
    let first = a.sign_for_unload(2).unwrap();
    assert_eq!(first.len(), 2);
    a.replica_mut()
        .splice_text("notes", "n", "body", 6, 0, "!")
        .unwrap();
    let kept = a.sign_for_unload(2).unwrap();
    assert_eq!(kept.len(), 3);
    assert_eq!(kept[0].seq(), 2);
    drop(a);
    let paid = b.publish(3, pay(key(2), 1, "EUR")).await.unwrap();
    assert_eq!(paid.seq(), 2, "the other tab wrote seq 2");

    assert_eq!(b.adopt_unsaved(&bytes_of(&kept)), adopted(3, 0));
    let written = b.commit(4).await.unwrap();
    let seqs: Vec<u64> = written.iter().map(|e| e.seq()).collect();
    assert_eq!(seqs, [3, 4, 5], "signed again after the other tab's");
    assert_ne!(written[0].id(), kept[0].id());
    assert_eq!(state(&b).3.as_deref(), Some("a kept!"));
    assert!(b.replica_mut().record("tasks", "t").is_some());
    assert!(b.replica().log().forks().is_empty());

    assert_eq!(b.adopt_unsaved(&bytes_of(&kept)), adopted(0, 3));
    assert!(b.commit(5).await.unwrap().is_empty());
    let (c, _) = Node::open(b.into_store(), || [9; 32]).await.unwrap();
    assert_eq!(state(&c).0, 5, "a's edit, the payment, the kept edits once");
    assert_eq!(state(&c).3.as_deref(), Some("a kept!"));
}

/// Kept bytes that are damaged, another identity's, or not a document
/// edit are refused with why, and nothing of them is stored.
pub async fn kept_bytes_that_are_not_own_edits_are_refused<B: Backend>(backend: &B) {
    let store = backend.fresh().await;
    let (node, _) = Node::open(store, || SECRET).await.unwrap();
    node.replica_mut().create_record("notes", "n").unwrap();
    let kept = node.sign_for_unload(1).unwrap();
    let mut damaged = kept[0].bytes().to_vec();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    let mut other = Replica::new(Policy::new(key(9)));
    other.create_record("notes", "x").unwrap();
    let foreign = other.commit(&id(9), 1).unwrap();
    let mut own = Replica::new(Policy::new(key(7)));
    let payment = own.publish(&id(7), 1, pay(key(2), 1, "EUR")).unwrap();

    let (node, _) = Node::open(node.into_store(), || SECRET).await.unwrap();
    for (bytes, why) in [
        (damaged, "not a valid event"),
        (foreign[0].bytes().to_vec(), "another identity"),
        (payment.bytes().to_vec(), "not a document edit"),
    ] {
        let answer = node.adopt_unsaved(&[bytes, kept[0].bytes().to_vec()]);
        assert_eq!(answer.adopted, 0, "{why}: nothing after a refusal");
        assert!(answer.refused[0].contains(why), "{:?}", answer.refused);
        assert!(answer.refused[1].contains("1 events kept after it"));
    }
    assert!(node.commit(2).await.unwrap().is_empty());
    assert_eq!(state(&node).0, 0, "nothing stored");
}

/// Two tabs of one identity closing at once each keep an event with the
/// same seq: the next open writes both edits, one after the other — never
/// two events with one seq (an attacker's review found the fork).
pub async fn two_tabs_closing_at_once_keep_one_chain<B: Backend>(backend: &B) {
    let (first, second) = backend.shared().await;
    let (a, _) = Node::open(first, || SECRET).await.unwrap();
    a.replica_mut().create_record("notes", "n").unwrap();
    a.commit(1).await.unwrap();
    let (b, _) = Node::open(second, || [8; 32]).await.unwrap();
    a.replica_mut().create_record("notes", "from-a").unwrap();
    b.replica_mut().create_record("notes", "from-b").unwrap();
    let kept_a = a.sign_for_unload(2).unwrap();
    let kept_b = b.sign_for_unload(2).unwrap();
    assert_eq!((kept_a[0].seq(), kept_b[0].seq()), (2, 2));
    drop(b);
    let (c, _) = Node::open(a.into_store(), || [9; 32]).await.unwrap();
    assert_eq!(c.adopt_unsaved(&bytes_of(&kept_a)), adopted(1, 0));
    assert_eq!(c.adopt_unsaved(&bytes_of(&kept_b)), adopted(1, 0));
    let seqs: Vec<u64> = c.commit(3).await.unwrap().iter().map(|e| e.seq()).collect();
    assert_eq!(seqs, [2, 3]);
    let (d, _) = Node::open(c.into_store(), || [10; 32]).await.unwrap();
    assert!(d.replica().log().forks().is_empty(), "no fork stored");
    for record in ["from-a", "from-b"] {
        assert!(
            d.replica_mut().record("notes", record).is_some(),
            "{record}"
        );
    }
}

/// Kept records read in another order than they were kept (a later seq
/// first) are signed again after the chain, not written below it.
pub async fn kept_records_read_out_of_order_keep_one_chain<B: Backend>(backend: &B) {
    let (first, second) = backend.shared().await;
    let (y, _) = Node::open(first, || SECRET).await.unwrap();
    y.replica_mut().create_record("notes", "n").unwrap();
    y.commit(1).await.unwrap();
    let (x, _) = Node::open(second, || [8; 32]).await.unwrap();
    y.replica_mut().create_record("notes", "from-y").unwrap();
    let kept_y = y.sign_for_unload(2).unwrap();
    x.replica_mut().create_record("notes", "from-x").unwrap();
    assert_eq!(x.commit(2).await.unwrap()[0].seq(), 2);
    x.replica_mut().create_record("notes", "later-x").unwrap();
    let kept_x = x.sign_for_unload(3).unwrap();
    assert_eq!(kept_x.last().unwrap().seq(), 3);
    drop(x);
    let (c, _) = Node::open(y.into_store(), || [9; 32]).await.unwrap();
    c.adopt_unsaved(&bytes_of(&kept_x));
    c.adopt_unsaved(&bytes_of(&kept_y));
    let seqs: Vec<u64> = c.commit(3).await.unwrap().iter().map(|e| e.seq()).collect();
    assert_eq!(seqs, [3, 4]);
    assert!(c.replica().log().forks().is_empty());
    assert_eq!(state(&c).0, 4);
}

/// The same kept events under two keys (a page took a record in, then was
/// reloaded before writing it, keeping them again) are written once.
pub async fn the_same_kept_events_twice_are_written_once<B: Backend>(backend: &B) {
    let store = backend.fresh().await;
    let (a, _) = Node::open(store, || SECRET).await.unwrap();
    a.replica_mut().create_record("notes", "n").unwrap();
    a.replica_mut()
        .set_text("notes", "n", "body", "base")
        .unwrap();
    a.commit(1).await.unwrap();
    a.replica_mut()
        .splice_text("notes", "n", "body", 4, 0, "+kept")
        .unwrap();
    let first = a.sign_for_unload(2).unwrap();
    let (reloaded, _) = Node::open(a.into_store(), || [8; 32]).await.unwrap();
    assert_eq!(reloaded.adopt_unsaved(&bytes_of(&first)), adopted(1, 0));
    let again = reloaded.sign_for_unload(3).unwrap();
    assert_eq!(again.len(), 1, "kept again, not signed anew");
    // The next page: another tab wrote meanwhile, then both records are read.
    let (next, _) = Node::open(reloaded.into_store(), || [9; 32]).await.unwrap();
    next.publish(4, pay(key(2), 1, "EUR")).await.unwrap();
    assert_eq!(next.adopt_unsaved(&bytes_of(&first)), adopted(1, 0));
    assert_eq!(next.adopt_unsaved(&bytes_of(&again)), adopted(0, 1));
    let written = next.commit(5).await.unwrap();
    assert_eq!(written.len(), 1, "the change once");
    assert_eq!(state(&next).3.as_deref(), Some("base+kept"));
    assert_eq!(state(&next).0, 3);
}

//! Rules on `Doc` events' Automerge changes: the change decodes, is written
//! by the event's author, and every change it depends on is carried by a
//! parent for the same document.

use super::*;
use automerge::transaction::{CommitOptions, Transactable};
use automerge::{ActorId, AutoCommit, Change, ROOT};
use trustfold::DocId;

const NOTES: DocId = DocId([1; 16]);

fn doc_body(doc: DocId, change: Vec<u8>) -> Body {
    Body::Doc { doc, change }
}

/// Bob's change made on top of alice's ([`alices_change`]), and the hash of
/// alice's change it depends on.
fn bobs_change_after_alices() -> (Vec<u8>, [u8; 32]) {
    let alices = Change::try_from(alices_change().as_slice()).expect("a valid change");
    let mut doc = AutoCommit::new().with_actor(ActorId::from(&key(2).0[..]));
    doc.apply_changes([alices.clone()])
        .expect("applies to an empty document");
    doc.put(ROOT, "note", "bye").expect("a root put");
    doc.commit_with(CommitOptions::default().with_time(0));
    let mut change = doc.get_last_local_change().expect("just committed");
    assert_eq!(change.deps(), [alices.hash()]);
    (change.bytes().into_owned(), alices.hash().0)
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_document_change_that_is_not_an_automerge_change_is_rejected() {
    let valid = alices_change();
    let mut corrupted = valid.clone();
    let last = corrupted.len() - 1;
    corrupted[last] ^= 0x01;
    for change in [vec![1, 2, 3], valid[..valid.len() - 1].to_vec(), corrupted] {
        let event = sign(1, 1, &[], doc_body(NOTES, change));
        assert!(matches!(refused(event.bytes()), EventError::BadChange(_)));
    }
    accepted(sign(1, 1, &[], doc_body(NOTES, valid)).bytes());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_document_change_written_by_another_actor_is_rejected() {
    let forged = sign(2, 1, &[], doc_body(NOTES, alices_change()));
    assert_eq!(refused(forged.bytes()), EventError::ForgedActor);
}

/// A first change written by the actor `actor`.
fn change_by(actor: Vec<u8>) -> Vec<u8> {
    let mut doc = AutoCommit::new().with_actor(ActorId::from(actor));
    doc.put(ROOT, "note", "hi").expect("a root put");
    doc.commit_with(CommitOptions::default().with_time(0));
    let mut change = doc.get_last_local_change().expect("just committed");
    change.bytes().into_owned()
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_session_of_the_author_may_write_but_nobody_else_through_a_suffix() {
    let session = |author: u8, suffix: usize| {
        let mut actor = key(author).0.to_vec();
        actor.extend(std::iter::repeat_n(9, suffix));
        change_by(actor)
    };
    accepted(sign(1, 1, &[], doc_body(NOTES, session(1, 8))).bytes());
    accepted(sign(1, 1, &[], doc_body(NOTES, session(1, 16))).bytes());
    // Too long a suffix, another author's key, or only part of the key.
    for change in [
        session(1, 17),
        session(2, 8),
        change_by(key(1).0[..31].to_vec()),
    ] {
        assert_eq!(
            refused(sign(1, 1, &[], doc_body(NOTES, change)).bytes()),
            EventError::ForgedActor
        );
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_document_change_whose_dependency_no_parent_carries_is_rejected() {
    let (bobs, dependency) = bobs_change_after_alices();
    let missing = ContextError::MissingDependency(dependency);

    // Nobody carries the dependency.
    let mut empty = Log::new();
    let orphan = sign(2, 1, &[], doc_body(NOTES, bobs.clone()));
    assert_eq!(refused_by(&mut empty, orphan), missing);

    let mut log = Log::new();
    let alices = sign(1, 1, &[], doc_body(NOTES, alices_change()));
    apply(&mut log, &alices);
    let other = sign(3, 1, &[&alices], pay(key(1), 1, "EUR"));
    apply(&mut log, &other);
    // In the causal past is not enough: the carrier must be a direct parent…
    let indirect = sign(2, 1, &[&other], doc_body(NOTES, bobs.clone()));
    assert_eq!(refused_by(&mut log, indirect), missing);
    // …and carry the change for the same document.
    let elsewhere = sign(2, 1, &[&alices], doc_body(DocId([2; 16]), bobs.clone()));
    assert_eq!(refused_by(&mut log, elsewhere), missing);

    apply(&mut log, &sign(2, 1, &[&alices], doc_body(NOTES, bobs)));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]

fn a_dependency_carried_twice_gets_the_same_verdict_whatever_the_arrival_order() {
    // Alice's key signs the same change twice (a fork: two seq 1 events).
    let one = sign(1, 1, &[], doc_body(NOTES, alices_change()));
    let other = id(1).sign(Draft {
        seq: 1,
        parents: vec![],
        time: TIME + 99,
        body: doc_body(NOTES, alices_change()),
    });
    let (bobs, _) = bobs_change_after_alices();
    let dependent = sign(2, 1, &[&other], doc_body(NOTES, bobs));
    let verdicts: Vec<bool> = [[&one, &other], [&other, &one]]
        .into_iter()
        .map(|order| {
            let mut log = Log::new();
            for event in order {
                apply(&mut log, event);
            }
            log.insert(dependent.clone()).is_ok()
        })
        .collect();
    assert_eq!(verdicts[0], verdicts[1], "verdict depends on arrival order");
}

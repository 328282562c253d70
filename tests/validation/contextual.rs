//! `ContextError`: the rules that need the event's parents, checked by the log.
//!
//! People: 1 = alice, 2 = bob, 3 = carol, 4 = dora.

use super::*;
use common::{dispute, exclude, retract};
use trustfold::Transfer;

/// A log holding alice's payment of 100 EUR to bob (her first event), returned too.
fn alice_paid_bob() -> (Log, Event) {
    let mut log = Log::new();
    let paid = sign(1, 1, &[], pay(key(2), 100, "EUR"));
    apply(&mut log, &paid);
    (log, paid)
}

fn reversal(of: &Event, to: u8, amount: u64, unit: &str) -> Body {
    Body::Transfer(Transfer {
        to: key(to),
        amount,
        unit: unit.into(),
        memo: "paid back".into(),
        reverses: Some(of.id()),
    })
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_later_event_without_the_authors_previous_event_as_parent_is_rejected() {
    let (mut log, paid) = alice_paid_bob();
    let orphan = sign(1, 2, &[], pay(key(2), 1, "EUR"));
    assert_eq!(
        refused_by(&mut log, orphan),
        ContextError::MissingPrevious {
            seq: 2,
            expected: 1
        }
    );
    // In the causal past is not enough: it must be a direct parent.
    let bobs = sign(2, 1, &[&paid], pay(key(3), 1, "EUR"));
    apply(&mut log, &bobs);
    let indirect = sign(1, 2, &[&bobs], pay(key(2), 1, "EUR"));
    assert_eq!(
        refused_by(&mut log, indirect),
        ContextError::MissingPrevious {
            seq: 2,
            expected: 1
        }
    );
    apply(&mut log, &sign(1, 2, &[&paid], pay(key(2), 1, "EUR")));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_seq_that_skips_a_number_is_rejected() {
    let (mut log, paid) = alice_paid_bob();
    let skipping = sign(1, 3, &[&paid], pay(key(2), 1, "EUR"));
    assert_eq!(
        refused_by(&mut log, skipping),
        ContextError::MissingPrevious {
            seq: 3,
            expected: 2
        }
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_first_event_with_a_parent_by_its_own_author_is_rejected() {
    let (mut log, paid) = alice_paid_bob();
    let again = sign(1, 1, &[&paid], pay(key(2), 1, "EUR"));
    assert_eq!(
        refused_by(&mut log, again),
        ContextError::SeqNotIncreasing {
            seq: 1,
            parent_seq: 1
        }
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_seq_not_above_every_parent_by_the_same_author_is_rejected() {
    let (mut log, paid) = alice_paid_bob();
    let second = sign(1, 2, &[&paid], pay(key(2), 1, "EUR"));
    apply(&mut log, &second);
    // Names its predecessor (seq 1) but also an event with its own seq.
    let stale = sign(1, 2, &[&paid, &second], pay(key(2), 2, "EUR"));
    assert_eq!(
        refused_by(&mut log, stale),
        ContextError::SeqNotIncreasing {
            seq: 2,
            parent_seq: 2
        }
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_reference_that_is_not_a_direct_parent_is_rejected_for_every_referring_kind() {
    let (mut log, paid) = alice_paid_bob();
    let statement = sign(1, 2, &[&paid], exclude(paid.id(), "mistake"));
    apply(&mut log, &statement);
    let later = sign(1, 3, &[&statement], trust(key(4), TrustLevel::Trusted));
    apply(&mut log, &later);
    let bobs = sign(2, 1, &[&later], pay(key(3), 1, "EUR"));
    apply(&mut log, &bobs);
    // Each target is in the causal past of `bobs` (and of the author's
    // previous event), but not a parent.
    let cases = [
        (3, 1, exclude(paid.id(), "in the past, not a parent")),
        (1, 4, dispute(paid.id(), "in the past, not a parent")),
        (1, 4, retract(statement.id())),
        (2, 2, reversal(&paid, 1, 10, "EUR")),
    ];
    for (author, seq, body) in cases {
        let target = body.reference().expect("refers to an event");
        let previous = log.last_by(&key(author)).cloned();
        let parents: Vec<&Event> = [Some(&bobs), previous.as_ref()]
            .into_iter()
            .flatten()
            .collect();
        let event = sign(author, seq, &parents, body);
        assert_eq!(
            refused_by(&mut log, event),
            ContextError::ReferenceNotParent(target)
        );
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_reference_to_an_unknown_event_is_rejected_not_parked() {
    let (mut log, paid) = alice_paid_bob();
    let unknown = EventId([7; 32]);
    let blind = sign(3, 1, &[&paid], exclude(unknown, "no such event"));
    assert_eq!(
        refused_by(&mut log, blind),
        ContextError::ReferenceNotParent(unknown)
    );
    assert_eq!(log.pending_len(), 0);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn excluding_a_trust_statement_is_rejected() {
    let mut log = Log::new();
    let trusts = sign(4, 1, &[], trust(key(1), TrustLevel::Trusted));
    apply(&mut log, &trusts);
    let excludes = sign(3, 1, &[&trusts], exclude(trusts.id(), "no"));
    assert_eq!(refused_by(&mut log, excludes), ContextError::ExcludesTrust);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn excluding_any_other_kind_is_accepted() {
    let (mut log, paid) = alice_paid_bob();
    let excluded = sign(3, 1, &[&paid], exclude(paid.id(), "never done"));
    apply(&mut log, &excluded);
    apply(
        &mut log,
        &sign(4, 1, &[&excluded], exclude(excluded.id(), "it was done")),
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn disputing_something_other_than_a_transfer_is_rejected() {
    let (mut log, paid) = alice_paid_bob();
    let trusts = sign(1, 2, &[&paid], trust(key(4), TrustLevel::Trusted));
    apply(&mut log, &trusts);
    let excludes = sign(1, 3, &[&trusts], exclude(paid.id(), "hmm"));
    // `excludes` names paid only through trusts: not a direct parent.
    assert_eq!(
        refused_by(&mut log, excludes),
        ContextError::ReferenceNotParent(paid.id())
    );
    let excludes = sign(1, 3, &[&paid, &trusts], exclude(paid.id(), "hmm"));
    apply(&mut log, &excludes);
    let doc = sign(
        1,
        4,
        &[&excludes],
        Body::Doc {
            doc: trustfold::DocId([1; 16]),
            change: alices_change(),
        },
    );
    apply(&mut log, &doc);
    for (target, kind) in [(&trusts, "trust"), (&excludes, "exclude"), (&doc, "doc")] {
        let disputes = sign(1, 5, &[&doc, target], dispute(target.id(), "no"));
        assert_eq!(
            refused_by(&mut log, disputes),
            ContextError::DisputeOfNonTransfer(kind)
        );
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn disputing_a_transfer_one_did_not_pay_is_rejected() {
    let (mut log, paid) = alice_paid_bob();
    for someone in [2, 3] {
        let disputes = sign(someone, 1, &[&paid], dispute(paid.id(), "not mine"));
        assert_eq!(
            refused_by(&mut log, disputes),
            ContextError::DisputeByNonPayer
        );
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn the_payer_may_dispute_a_transfer() {
    let (mut log, paid) = alice_paid_bob();
    apply(
        &mut log,
        &sign(1, 2, &[&paid], dispute(paid.id(), "not delivered")),
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn retracting_something_other_than_an_exclusion_or_dispute_is_rejected() {
    let (mut log, paid) = alice_paid_bob();
    let trusts = sign(1, 2, &[&paid], trust(key(4), TrustLevel::Banned));
    apply(&mut log, &trusts);
    for (target, kind) in [(&paid, "transfer"), (&trusts, "trust")] {
        let retracts = sign(1, 3, &[&trusts, target], retract(target.id()));
        assert_eq!(
            refused_by(&mut log, retracts),
            ContextError::RetractOfNonStatement(kind)
        );
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn retracting_another_authors_statement_is_rejected() {
    let (mut log, paid) = alice_paid_bob();
    let excludes = sign(3, 1, &[&paid], exclude(paid.id(), "never done"));
    apply(&mut log, &excludes);
    let disputes = sign(1, 2, &[&paid], dispute(paid.id(), "not delivered"));
    apply(&mut log, &disputes);
    for statement in [&excludes, &disputes] {
        let retracts = sign(4, 1, &[statement], retract(statement.id()));
        assert_eq!(refused_by(&mut log, retracts), ContextError::RetractByOther);
    }
    // Their authors may.
    apply(&mut log, &sign(3, 2, &[&excludes], retract(excludes.id())));
    apply(&mut log, &sign(1, 3, &[&disputes], retract(disputes.id())));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_reversal_by_anyone_but_the_payee_is_rejected() {
    let (mut log, paid) = alice_paid_bob();
    let by_carol = sign(3, 1, &[&paid], reversal(&paid, 1, 50, "EUR"));
    assert_eq!(refused_by(&mut log, by_carol), ContextError::BadReversal);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_reversal_paid_to_anyone_but_the_payer_is_rejected() {
    let (mut log, paid) = alice_paid_bob();
    let to_carol = sign(2, 1, &[&paid], reversal(&paid, 3, 50, "EUR"));
    assert_eq!(refused_by(&mut log, to_carol), ContextError::BadReversal);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_reversal_in_another_unit_is_rejected() {
    let (mut log, paid) = alice_paid_bob();
    let in_dollars = sign(2, 1, &[&paid], reversal(&paid, 1, 50, "USD"));
    assert_eq!(refused_by(&mut log, in_dollars), ContextError::BadReversal);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_reversal_of_more_than_the_original_amount_is_rejected() {
    let (mut log, paid) = alice_paid_bob();
    let too_much = sign(2, 1, &[&paid], reversal(&paid, 1, 101, "EUR"));
    assert_eq!(refused_by(&mut log, too_much), ContextError::BadReversal);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_reversal_of_something_other_than_a_transfer_is_rejected() {
    let mut log = Log::new();
    let trusts = sign(1, 1, &[], trust(key(2), TrustLevel::Trusted));
    apply(&mut log, &trusts);
    let reverses = sign(2, 1, &[&trusts], reversal(&trusts, 1, 1, "EUR"));
    assert_eq!(refused_by(&mut log, reverses), ContextError::BadReversal);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_full_or_partial_reversal_by_the_payee_to_the_payer_is_accepted() {
    for amount in [100, 1] {
        let (mut log, paid) = alice_paid_bob();
        apply(
            &mut log,
            &sign(2, 1, &[&paid], reversal(&paid, 1, amount, "EUR")),
        );
    }
}

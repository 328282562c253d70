//! The dispute scenario from the ledger's design: one set of events, three
//! viewers with different policies, three different but explainable states.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;

use common::*;
use trustfold::explain::compare;
use trustfold::{Log, Policy, Replica, Status, Verdict, View};
use wasm_bindgen_test::wasm_bindgen_test;

const A: u8 = 1;
const B: u8 = 2;
const C: u8 = 3;
const D: u8 = 4;
const E: u8 = 5;
const V: u8 = 20;
const W: u8 = 21;
const X: u8 = 22;

fn balances(log: &Log, view: &View) -> [i128; 3] {
    [A, B, C].map(|who| view.balance(log, &key(who), "EUR"))
}

#[wasm_bindgen_test(unsupported = test)]
fn excluded_payment_becomes_an_explained_debt_only_for_viewers_who_trust_the_excluder() {
    // Events, all by their authors, held by one replica.
    let mut node = Replica::new(Policy::new(key(V)));
    let a_to_b = node.publish(&id(A), 1, pay(key(B), 100, "EUR")).unwrap();
    node.publish(&id(B), 2, pay(key(C), 60, "EUR")).unwrap();
    let dispute = node
        .publish(&id(A), 3, dispute(a_to_b.id(), "service never delivered"))
        .unwrap();
    let exclusion = node
        .publish(&id(D), 4, exclude(a_to_b.id(), "confirmed with both"))
        .unwrap();
    let log = node.log();
    let payment = log.ix(&a_to_b.id()).unwrap();

    let v = View::new(log, Policy::new(key(V)).trusting(key(D)));
    let w = View::new(log, Policy::new(key(W)));
    let x = View::new(
        log,
        Policy::new(key(X))
            .trusting(key(D))
            .trusting(key(E))
            .with_quorum(2),
    );

    // V follows D: A→B does not count, A is back at 0, B owes 60, C keeps 60.
    assert_eq!(balances(log, &v), [0, -60, 60]);
    assert_eq!(
        v.status(log, payment),
        Status::Excluded {
            by: vec![trustfold::explain::StatementRef {
                id: exclusion.id(),
                author: key(D),
                dispute: false,
                reason: "confirmed with both".into(),
            }]
        }
    );
    let debts = v.debts(log);
    assert_eq!(debts.len(), 1);
    let debt = &debts[0];
    assert_eq!(
        (debt.account, debt.unit.as_str(), debt.amount),
        (key(B), "EUR", 60)
    );
    let why = &debt.explanation;
    assert_eq!(why.not_counted.len(), 1, "exactly the excluded payment");
    let missing = &why.not_counted[0];
    assert_eq!(
        (missing.event, missing.counterparty, missing.delta),
        (a_to_b.id(), key(A), 100)
    );
    let verdicts: Vec<_> = missing
        .contests
        .iter()
        .map(|c| {
            (
                c.statement.id,
                c.statement.author,
                c.statement.dispute,
                c.verdict.clone(),
            )
        })
        .collect();
    assert!(verdicts.contains(&(exclusion.id(), key(D), false, Verdict::Counted)));
    assert!(verdicts.contains(&(dispute.id(), key(A), true, Verdict::Untrusted)));
    assert_eq!(why.counted.len(), 1, "B's own payment to C still counts");
    assert_eq!(why.counted[0].delta, -60);

    // W trusts nobody and X needs two backers: both see the original balances.
    assert_eq!(balances(log, &w), [-100, 40, 60]);
    assert_eq!(balances(log, &x), [-100, 40, 60]);
    assert!(w.debts(log).iter().all(|d| d.account == key(A)));
    assert!(x.is_included(payment));
    assert_eq!(x.backers_of(payment).collect::<Vec<_>>(), vec![&key(D)]);

    // V and W disagree, and the comparison says exactly where and why.
    assert_ne!(v.included_digest(log), w.included_digest(log));
    assert_ne!(v.state_digest(log), w.state_digest(log));
    let diff = compare(log, &v, &w);
    assert!(diff.only_first.is_empty());
    assert_eq!(diff.only_second.len(), 1);
    let d = &diff.only_second[0];
    assert_eq!((d.event, d.kind), (a_to_b.id(), "transfer"));
    assert!(
        matches!(&d.status, Status::Excluded { by } if by.len() == 1 && by[0].id == exclusion.id())
    );
    let mut contests: Vec<_> = d
        .contests
        .iter()
        .map(|(s, in_v, in_w)| (s.id, in_v.clone(), in_w.clone()))
        .collect();
    contests.sort_by_key(|c| c.0);
    let mut expected = vec![
        (exclusion.id(), Verdict::Counted, Verdict::Untrusted),
        (dispute.id(), Verdict::Untrusted, Verdict::Untrusted),
    ];
    expected.sort_by_key(|c| c.0);
    assert_eq!(contests, expected);

    // D retracts: V's state returns to W's, digest for digest.
    node.publish(&id(D), 5, retract(exclusion.id())).unwrap();
    let log = node.log();
    let v_after = View::new(log, Policy::new(key(V)).trusting(key(D)));
    let w_after = View::new(log, Policy::new(key(W)));
    assert_eq!(balances(log, &v_after), [-100, 40, 60]);
    assert_eq!(v_after.state_digest(log), w_after.state_digest(log));
    assert_eq!(v_after.included_digest(log), w_after.included_digest(log));
    assert!(compare(log, &v_after, &w_after).is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn the_owners_view_follows_the_same_scenario_incrementally() {
    // Same story, but V's own node updates its view event by event.
    let mut node = Replica::new(Policy::new(key(V)).trusting(key(D)));
    let a_to_b = node.publish(&id(A), 1, pay(key(B), 100, "EUR")).unwrap();
    node.publish(&id(B), 2, pay(key(C), 60, "EUR")).unwrap();
    node.publish(&id(A), 3, dispute(a_to_b.id(), "not delivered"))
        .unwrap();
    assert_eq!(
        balances(node.log(), node.view()),
        [-100, 40, 60],
        "A is not trusted"
    );
    let exclusion = node.publish(&id(D), 4, exclude(a_to_b.id(), "")).unwrap();
    assert_eq!(balances(node.log(), node.view()), [0, -60, 60]);
    let before = node.view().state_digest(node.log());
    node.publish(&id(D), 5, retract(exclusion.id())).unwrap();
    assert_eq!(balances(node.log(), node.view()), [-100, 40, 60]);
    assert_ne!(before, node.view().state_digest(node.log()));
    let full = View::new(node.log(), node.view().policy().clone());
    assert_eq!(
        full.state_digest(node.log()),
        node.view().state_digest(node.log())
    );
    assert_eq!(
        full.included_digest(node.log()),
        node.view().included_digest(node.log())
    );
}

/// A debt read as "paid Bob 6.00 net (18.50 paid, 12.50 received)": the
/// counted transfers summed per person, netting to nothing left out,
/// uncounted ones not summed, the person paid most first.
#[wasm_bindgen_test(unsupported = test)]
fn a_debt_sums_its_counted_transfers_per_person() {
    let mut node = Replica::new(Policy::new(key(A)));
    node.publish(&id(A), 1, pay(key(B), 1850, "EUR")).unwrap();
    node.publish(&id(B), 2, pay(key(A), 1250, "EUR")).unwrap();
    node.publish(&id(A), 3, pay(key(C), 300, "EUR")).unwrap();
    node.publish(&id(A), 4, pay(key(C), 200, "EUR")).unwrap();
    node.publish(&id(A), 5, pay(key(D), 40, "EUR")).unwrap();
    node.publish(&id(D), 6, pay(key(A), 40, "EUR")).unwrap();
    let disputed = node.publish(&id(A), 7, pay(key(E), 999, "EUR")).unwrap();
    node.publish(&id(A), 8, dispute(disputed.id(), "never delivered"))
        .unwrap();
    let debts = node.view().debts(node.log());
    let mine = debts.iter().find(|d| d.account == key(A)).unwrap();
    assert_eq!(mine.amount, 1850 - 1250 + 500);
    let sums: Vec<_> = mine
        .explanation
        .with_whom()
        .iter()
        .map(|w| (w.counterparty, w.paid, w.received, w.transfers, w.net()))
        .collect();
    assert_eq!(
        sums,
        vec![(key(B), 1850, 1250, 2, -600), (key(C), 500, 0, 2, -500),],
        "D nets to nothing; the disputed payment to E does not count"
    );
    // The debt's line: two people at most asked for, one named.
    let line = mine.summary(1);
    assert_eq!(line.transfers, 7);
    assert_eq!(line.with_whom.len(), 1);
    assert_eq!(line.with_whom[0].counterparty, key(B));
    assert_eq!(line.others, 1);
    assert_eq!(
        line.not_counted_in, 0,
        "the disputed payment was from A, not to A"
    );
    assert!(line.because.is_empty());
}

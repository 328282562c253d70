//! The total reversed of a payment is capped when the ledger is folded.
//!
//! Each reversal is valid on its own when it pays back at most its payment;
//! several reversals of one payment count together at most its amount, in
//! causal order with ties by event id, whatever the arrival order, the
//! inclusions and the policy. People: 1 = alice (payer), 2 = bob (payee).

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;

use common::*;
use trustfold::{Body, Draft, Event, EventIx, Policy, Replica, Transfer, View};
use wasm_bindgen_test::wasm_bindgen_test;

const ME: u8 = 50;

fn back(of: &Event, amount: u64) -> Body {
    let Body::Transfer(paid) = of.body() else {
        panic!("only a transfer can be paid back");
    };
    Body::Transfer(Transfer {
        to: of.author(),
        amount,
        unit: paid.unit.clone(),
        memo: "back".into(),
        reverses: Some(of.id()),
    })
}

fn ix(node: &Replica, event: &Event) -> EventIx {
    node.log().ix(&event.id()).expect("held")
}

/// (alice, bob) in EUR.
fn balances(node: &Replica) -> (i128, i128) {
    let log = node.log();
    (
        node.view().balance(log, &key(1), "EUR"),
        node.view().balance(log, &key(2), "EUR"),
    )
}

/// Alice pays bob 100 EUR; bob pays back 60, then 60 again.
fn reversed_twice() -> (Replica, Event, Event, Event) {
    let mut node = Replica::new(Policy::new(key(ME)));
    let paid = node.publish(&id(1), 0, pay(key(2), 100, "EUR")).unwrap();
    let first = node.publish(&id(2), 1, back(&paid, 60)).unwrap();
    let second = node.publish(&id(2), 2, back(&paid, 60)).unwrap();
    (node, paid, first, second)
}

#[wasm_bindgen_test(unsupported = test)]
fn a_payment_reversed_twice_is_paid_back_at_most_once_in_full() {
    let (node, paid, first, second) = reversed_twice();
    let log = node.log();
    let view = node.view();
    // Both reversals are valid and included; together they count 100, not 120.
    assert!(view.is_included(ix(&node, &first)) && view.is_included(ix(&node, &second)));
    assert_eq!(balances(&node), (0, 0));
    assert_eq!(view.reversed_amount(log, ix(&node, &paid)), 100);
    assert_eq!(
        view.reversal_shares(log, ix(&node, &paid)),
        [(ix(&node, &first), 60), (ix(&node, &second), 40)]
    );
    assert_eq!(view.counted_amount(log, ix(&node, &second)), 40);
    // The explanation says what the second one counts, and that it was capped.
    let why = view.explain(log, &key(2), "EUR");
    let deltas: Vec<(i128, Option<u64>)> = why
        .counted
        .iter()
        .map(|m| (m.delta, m.capped_from))
        .collect();
    assert_eq!(deltas, [(100, None), (-60, None), (-40, Some(60))]);
    assert_eq!(why.balance, 0);
    // A third reversal counts nothing, and its explanation says so.
    let mut node = node;
    let third = node.publish(&id(2), 3, back(&paid, 1)).unwrap();
    assert_eq!(balances(&node), (0, 0));
    assert_eq!(node.view().counted_amount(node.log(), ix(&node, &third)), 0);
    let why = node.view().explain(node.log(), &key(2), "EUR");
    assert_eq!(
        why.counted.last().map(|m| (m.delta, m.capped_from)),
        Some((0, Some(1)))
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn excluding_a_reversal_lets_the_next_one_count_and_retracting_restores_the_cap() {
    let (mut node, paid, first, second) = reversed_twice();
    let excluded = node
        .publish(&id(ME), 3, exclude(first.id(), "never paid"))
        .unwrap();
    assert_eq!(
        balances(&node),
        (-40, 40),
        "the second reversal counts its 60"
    );
    assert_eq!(
        node.view().reversal_shares(node.log(), ix(&node, &paid)),
        [(ix(&node, &second), 60)]
    );
    node.publish(&id(ME), 4, retract(excluded.id())).unwrap();
    assert_eq!(balances(&node), (0, 0));
    // Banning the payee uncounts every reversal with the payment itself.
    node.set_policy(Policy::new(key(ME)).banning(key(2)));
    assert_eq!(balances(&node), (-100, 100));
    assert_eq!(node.view().reversed_amount(node.log(), ix(&node, &paid)), 0);
    node.set_policy(Policy::new(key(ME)));
    assert_eq!(balances(&node), (0, 0));
    let full = View::new(node.log(), node.view().policy().clone());
    assert_eq!(full.ledger(), node.view().ledger());
}

#[wasm_bindgen_test(unsupported = test)]
fn the_payment_itself_excluded_leaves_its_reversals_capped_by_its_amount() {
    // A reversal is its payee's payment: it counts even when the payment
    // it reverses does not, and the cap is the payment's amount.
    let (mut node, paid, _, _) = reversed_twice();
    node.publish(&id(ME), 3, exclude(paid.id(), "disputed"))
        .unwrap();
    assert_eq!(balances(&node), (100, -100));
}

#[wasm_bindgen_test(unsupported = test)]
fn concurrent_reversals_of_a_forked_payee_share_the_cap_by_event_id_in_any_order() {
    // Bob signs two reversals with one seq (a fork): neither is causally
    // first, so the one with the smaller id counts first.
    let paid = id(1).sign(Draft {
        seq: 1,
        parents: vec![],
        time: 0,
        body: pay(key(2), 100, "EUR"),
    });
    let fork = |amount: u64| {
        id(2).sign(Draft {
            seq: 1,
            parents: vec![paid.id()],
            time: amount,
            body: back(&paid, amount),
        })
    };
    let (seventy, eighty) = (fork(70), fork(80));
    let (low, high) = if seventy.id() < eighty.id() {
        ((seventy.clone(), 70), (eighty.clone(), 80))
    } else {
        ((eighty.clone(), 80), (seventy.clone(), 70))
    };
    let mut seen = Vec::new();
    for order in [
        [&paid, &seventy, &eighty],
        [&paid, &eighty, &seventy],
        [&eighty, &seventy, &paid],
    ] {
        let mut node = Replica::new(Policy::new(key(ME)));
        for e in order {
            node.insert(e.clone()).unwrap();
        }
        assert_eq!(node.log().forks().len(), 1);
        assert_eq!(balances(&node), (0, 0));
        let shares: Vec<(trustfold::EventId, u64)> = node
            .view()
            .reversal_shares(node.log(), ix(&node, &paid))
            .into_iter()
            .map(|(r, counted)| (node.log().entry(r).event().id(), counted))
            .collect();
        assert_eq!(shares, [(low.0.id(), low.1), (high.0.id(), 100 - low.1)]);
        seen.push((shares, node.view().state_digest(node.log())));
    }
    assert!(seen.windows(2).all(|w| w[0] == w[1]));
}

#[wasm_bindgen_test(unsupported = test)]
fn a_reversal_of_a_reversal_is_capped_by_that_reversals_amount() {
    let (mut node, _, first, _) = reversed_twice();
    // Alice pays back bob's first reversal twice: together at most its 60.
    node.publish(&id(1), 3, back(&first, 50)).unwrap();
    node.publish(&id(1), 4, back(&first, 50)).unwrap();
    assert_eq!(balances(&node), (-60, 60));
}

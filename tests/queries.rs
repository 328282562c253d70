//! The questions the page asks, answered by the core as data: the list of
//! payments with their status, the trust lists each author has published,
//! and the reversal that pays a payment back. People: 1 = alice, 2 = bob,
//! 3 = carol, 4 = dora (whom the viewer trusts), 50 = the viewer.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;

use common::*;
use trustfold::explain::StatementRef;
use trustfold::{
    BanReason, Body, Contest, Draft, Event, EventId, Policy, PublicKey, PublishedPolicy, Replica,
    ReversalError, Status, Transaction, Transfer, TrustLevel, Verdict,
};
use wasm_bindgen_test::wasm_bindgen_test;

const ME: u8 = 50;

fn me() -> Policy {
    Policy::new(key(ME)).trusting(key(4))
}

fn ids(transactions: &[Transaction]) -> Vec<EventId> {
    transactions.iter().map(|t| t.event).collect()
}

/// Alice pays bob 100 EUR ("rent"), carol pays alice 7 HOUR, dora excludes
/// the rent, and bob pays carol 5 EUR: three transfers around one statement.
fn three_payments() -> (Replica, [Event; 4]) {
    let mut node = Replica::new(me());
    let rent = node
        .publish(
            &id(1),
            10,
            Body::Transfer(Transfer {
                to: key(2),
                amount: 100,
                unit: "EUR".into(),
                memo: "rent".into(),
                reverses: None,
            }),
        )
        .unwrap();
    let hours = node.publish(&id(3), 20, pay(key(1), 7, "HOUR")).unwrap();
    let excluded = node
        .publish(&id(4), 30, exclude(rent.id(), "never paid"))
        .unwrap();
    let change = node.publish(&id(2), 40, pay(key(3), 5, "EUR")).unwrap();
    (node, [rent, hours, excluded, change])
}

#[wasm_bindgen_test(unsupported = test)]
fn transactions_list_every_transfer_in_log_order_with_what_it_says() {
    let (node, [rent, hours, _, change]) = three_payments();
    let all = node.view().transactions(node.log(), None);
    assert_eq!(
        ids(&all),
        [rent.id(), hours.id(), change.id()],
        "no statement"
    );
    let hours_row = &all[1];
    assert_eq!(
        *hours_row,
        Transaction {
            event: hours.id(),
            from: key(3),
            to: key(1),
            amount: 7,
            unit: "HOUR".into(),
            memo: String::new(),
            time: 20,
            reverses: None,
            reversed: 0,
            status: Status::Included,
            contests: Vec::new(),
        }
    );
    assert_eq!(all[0].memo, "rent");
    assert_eq!(all[0].time, 10);
}

#[wasm_bindgen_test(unsupported = test)]
fn an_accounts_transactions_are_those_it_paid_or_received() {
    let (node, [rent, hours, _, change]) = three_payments();
    let log = node.log();
    let view = node.view();
    assert_eq!(
        ids(&view.transactions(log, Some(&key(1)))),
        [rent.id(), hours.id()]
    );
    assert_eq!(
        ids(&view.transactions(log, Some(&key(2)))),
        [rent.id(), change.id()]
    );
    assert!(view.transactions(log, Some(&key(99))).is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn a_transactions_status_and_contests_say_who_excludes_it_and_whether_that_counts() {
    let (node, [rent, _, excluded, _]) = three_payments();
    let statement = StatementRef {
        id: excluded.id(),
        author: key(4),
        dispute: false,
        reason: "never paid".into(),
    };
    let rows = node.view().transactions(node.log(), Some(&key(1)));
    assert_eq!(
        rows[0].status,
        Status::Excluded {
            by: vec![statement.clone()]
        }
    );
    assert_eq!(
        rows[0].contests,
        [Contest {
            statement: statement.clone(),
            verdict: Verdict::Counted
        }]
    );
    // A viewer who does not trust dora counts the rent; the contest is
    // still listed, with the verdict that it does not count.
    let open = node.view_under(Policy::new(key(ME)));
    let rows = open.transactions(node.log(), Some(&key(1)));
    assert_eq!(rows[0].event, rent.id());
    assert_eq!(rows[0].status, Status::Included);
    assert_eq!(
        rows[0].contests,
        [Contest {
            statement,
            verdict: Verdict::Untrusted
        }]
    );
}

/// The viewer trusts dora but counts the rent anyway: they exclude her
/// exclusion (DESIGN §2: exclusions can be excluded). The rent counts,
/// and her statement's verdict names the viewer's exclusion of it, which
/// the viewer can retract.
#[wasm_bindgen_test(unsupported = test)]
fn an_exclusion_the_viewer_excludes_names_who_counts_the_payment_anyway() {
    let (mut node, [rent, _, excluded, _]) = three_payments();
    let anyway = node
        .publish(&id(ME), 50, exclude(excluded.id(), "it was paid"))
        .unwrap();
    let rows = node.view().transactions(node.log(), Some(&key(1)));
    assert_eq!(rows[0].event, rent.id());
    assert_eq!(rows[0].status, Status::Included);
    assert_eq!(
        rows[0].contests[0].verdict,
        Verdict::Excluded {
            by: vec![StatementRef {
                id: anyway.id(),
                author: key(ME),
                dispute: false,
                reason: "it was paid".into(),
            }]
        }
    );
    // Retracted, dora's exclusion counts again.
    node.publish(
        &id(ME),
        60,
        Body::Retract {
            target: anyway.id(),
        },
    )
    .unwrap();
    let rows = node.view().transactions(node.log(), Some(&key(1)));
    assert!(matches!(rows[0].status, Status::Excluded { .. }));
    assert_eq!(rows[0].contests[0].verdict, Verdict::Counted);
    // Counted anyway again, then dora takes hers back: it reads as
    // retracted, not as counted anyway (a newcomer saw the old words stay).
    node.publish(&id(ME), 70, exclude(excluded.id(), "paid"))
        .unwrap();
    let back = node
        .publish(
            &id(4),
            80,
            Body::Retract {
                target: excluded.id(),
            },
        )
        .unwrap();
    let rows = node.view().transactions(node.log(), Some(&key(1)));
    assert_eq!(
        rows[0].contests[0].verdict,
        Verdict::Retracted { by: back.id() }
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_banned_authors_transactions_say_who_is_banned_and_why() {
    let (node, [_, hours, _, _]) = three_payments();
    let view = node.view_under(me().banning(key(3)));
    let rows = view.transactions(node.log(), Some(&key(3)));
    assert_eq!(
        ids(&rows),
        [hours.id(), node.log().last_by(&key(2)).unwrap().id()]
    );
    assert_eq!(
        rows[0].status,
        Status::AuthorBanned {
            author: key(3),
            reason: BanReason::Local
        }
    );
    // Bob's payment to carol is bob's event: carol's ban does not touch it.
    assert_eq!(rows[1].status, Status::Included);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_reversal_is_listed_with_the_payment_it_pays_back() {
    let (mut node, [rent, ..]) = three_payments();
    let mut back = node.reversal_of(&rent.id(), &key(2)).unwrap();
    back.memo = "sorry".into();
    let reversal = node.publish(&id(2), 50, Body::Transfer(back)).unwrap();
    let rows = node.view().transactions(node.log(), Some(&key(2)));
    let row = rows.last().unwrap();
    assert_eq!(row.event, reversal.id());
    assert_eq!((row.from, row.to), (key(2), key(1)));
    assert_eq!(row.reverses, Some(rent.id()));
    assert_eq!(row.memo, "sorry");
}

// ------------------------------------------------------------ published policy

#[wasm_bindgen_test(unsupported = test)]
fn a_published_policy_follows_causal_order_not_the_claimed_time() {
    let mut node = Replica::new(me());
    // Alice trusts carol with her clock at 2000, then — her next event, so
    // causally after — bans carol with her clock set back to 1000.
    let trusted = node
        .publish(&id(1), 2000, trust(key(3), TrustLevel::Trusted))
        .unwrap();
    let banned = node
        .publish(&id(1), 1000, trust(key(3), TrustLevel::Banned))
        .unwrap();
    assert!(
        trusted.time() > banned.time(),
        "the clocks disagree with causality"
    );
    assert_eq!(banned.seq(), trusted.seq() + 1);
    assert_eq!(
        node.log().published_policy(&key(1)),
        Some(PublishedPolicy {
            author: key(1),
            trusted: vec![],
            banned: vec![key(3)],
        })
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_published_policy_lists_trusted_and_banned_subjects_sorted_and_leaves_out_neutral_ones() {
    let mut node = Replica::new(me());
    let statements = [
        (3, TrustLevel::Trusted),
        (5, TrustLevel::Banned),
        (2, TrustLevel::Trusted),
        (6, TrustLevel::Banned),
        (7, TrustLevel::Trusted),
        (7, TrustLevel::Neutral),
    ];
    for (time, (subject, level)) in statements.into_iter().enumerate() {
        node.publish(&id(1), time as u64, trust(key(subject), level))
            .unwrap();
    }
    let sorted = |mut keys: Vec<PublicKey>| {
        keys.sort();
        keys
    };
    let published = node.log().published_policy(&key(1)).unwrap();
    assert_eq!(published.trusted, sorted(vec![key(2), key(3)]));
    assert_eq!(published.banned, sorted(vec![key(5), key(6)]));
    // As a policy: alice herself, trusting and banning the same people.
    let policy = published.policy();
    assert_eq!(policy.me, key(1));
    assert_eq!(
        policy.trusted.iter().copied().collect::<Vec<_>>(),
        published.trusted
    );
    assert_eq!(
        policy.banned.iter().copied().collect::<Vec<_>>(),
        published.banned
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn an_author_who_withdrew_every_statement_still_has_an_empty_published_policy() {
    let mut node = Replica::new(me());
    node.publish(&id(1), 0, pay(key(2), 1, "EUR")).unwrap();
    node.publish(&id(3), 1, trust(key(2), TrustLevel::Banned))
        .unwrap();
    node.publish(&id(3), 2, trust(key(2), TrustLevel::Neutral))
        .unwrap();
    let log = node.log();
    assert_eq!(log.published_policy(&key(1)), None, "alice only paid");
    assert_eq!(log.published_policy(&key(99)), None, "unknown author");
    let carol = log.published_policy(&key(3)).unwrap();
    assert!(carol.trusted.is_empty() && carol.banned.is_empty());
    assert_eq!(log.publishers(), [key(3)]);
}

#[wasm_bindgen_test(unsupported = test)]
fn publishers_are_the_authors_of_trust_statements_sorted() {
    let mut node = Replica::new(me());
    for author in [6, 1, 4] {
        node.publish(&id(author), 0, trust(key(2), TrustLevel::Trusted))
            .unwrap();
    }
    node.publish(&id(2), 0, pay(key(1), 1, "EUR")).unwrap();
    let mut expected = vec![key(1), key(4), key(6)];
    expected.sort();
    assert_eq!(node.log().publishers(), expected);
}

#[wasm_bindgen_test(unsupported = test)]
fn concurrent_statements_of_a_forked_author_publish_the_one_with_the_highest_id() {
    let mut node = Replica::new(me());
    node.publish(&id(2), 0, pay(key(1), 1, "EUR")).unwrap();
    let head: Vec<EventId> = node.log().heads();
    let statement = |level| {
        id(1).sign(Draft {
            seq: 1,
            parents: head.clone(),
            time: 0,
            body: trust(key(3), level),
        })
    };
    let (ban, trusts) = (
        statement(TrustLevel::Banned),
        statement(TrustLevel::Trusted),
    );
    node.insert(ban.clone()).unwrap();
    node.insert(trusts.clone()).unwrap();
    assert!(node.log().is_forked(&key(1)));
    let published = node.log().published_policy(&key(1)).unwrap();
    let expected = if ban.id() > trusts.id() {
        (vec![], vec![key(3)])
    } else {
        (vec![key(3)], vec![])
    };
    assert_eq!((published.trusted, published.banned), expected);
}

// ------------------------------------------------------------------- pay back

/// Alice pays bob 100 EUR.
fn paid() -> (Replica, Event) {
    let mut node = Replica::new(Policy::new(key(2)));
    let payment = node.publish(&id(1), 0, pay(key(2), 100, "EUR")).unwrap();
    (node, payment)
}

#[wasm_bindgen_test(unsupported = test)]
fn paying_back_a_payment_returns_all_of_it_to_the_payer_in_its_unit() {
    let (mut node, payment) = paid();
    let back = node.reversal_of(&payment.id(), &key(2)).unwrap();
    assert_eq!(
        back,
        Transfer {
            to: key(1),
            amount: 100,
            unit: "EUR".into(),
            memo: String::new(),
            reverses: Some(payment.id()),
        }
    );
    node.publish(&id(2), 1, Body::Transfer(back)).unwrap();
    let view = node.view();
    assert_eq!(view.balance(node.log(), &key(2), "EUR"), 0);
    assert_eq!(view.balance(node.log(), &key(1), "EUR"), 0);
}

#[wasm_bindgen_test(unsupported = test)]
fn paying_back_after_a_partial_reversal_returns_only_what_is_left() {
    let (mut node, payment) = paid();
    let mut part = node.reversal_of(&payment.id(), &key(2)).unwrap();
    part.amount = 30;
    node.publish(&id(2), 1, Body::Transfer(part)).unwrap();
    // The list says how much is paid back already (the page offers the rest).
    let listed = node.view().transactions(node.log(), None);
    assert_eq!((listed[0].amount, listed[0].reversed), (100, 30));
    let rest = node.reversal_of(&payment.id(), &key(2)).unwrap();
    assert_eq!(rest.amount, 70);
    node.publish(&id(2), 2, Body::Transfer(rest)).unwrap();
    let listed = node.view().transactions(node.log(), None);
    assert_eq!(listed[0].reversed, 100, "paid back in full");
    assert_eq!(node.view().balance(node.log(), &key(2), "EUR"), 0);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_payment_paid_back_in_full_cannot_be_paid_back_again() {
    let (mut node, payment) = paid();
    let back = node.reversal_of(&payment.id(), &key(2)).unwrap();
    node.publish(&id(2), 1, Body::Transfer(back)).unwrap();
    let error = node.reversal_of(&payment.id(), &key(2)).unwrap_err();
    assert_eq!(error, ReversalError::AlreadyPaidBack(payment.id()));
    assert_eq!(error.code(), "already_paid_back");
}

#[wasm_bindgen_test(unsupported = test)]
fn a_reversal_excluded_in_my_view_leaves_the_payment_to_pay_back() {
    let (mut node, payment) = paid();
    let back = node.reversal_of(&payment.id(), &key(2)).unwrap();
    let reversal = node.publish(&id(2), 1, Body::Transfer(back)).unwrap();
    node.publish(&id(2), 2, exclude(reversal.id(), "sent twice"))
        .unwrap();
    assert_eq!(
        node.reversal_of(&payment.id(), &key(2)).unwrap().amount,
        100
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn an_unknown_event_cannot_be_paid_back() {
    let (node, _) = paid();
    let nowhere = EventId([9; 32]);
    let error = node.reversal_of(&nowhere, &key(2)).unwrap_err();
    assert_eq!(error, ReversalError::UnknownPayment(nowhere));
    assert_eq!(error.code(), "unknown_payment");
}

#[wasm_bindgen_test(unsupported = test)]
fn only_the_payee_can_pay_a_payment_back() {
    let (mut node, payment) = paid();
    // Alice paid it; carol had nothing to do with it.
    for who in [1, 3] {
        let error = node.reversal_of(&payment.id(), &key(who)).unwrap_err();
        assert_eq!(error, ReversalError::NotAPaymentToYou(payment.id()));
        assert_eq!(error.code(), "not_a_payment_to_you");
    }
    // An event that is not a transfer is not a payment at all.
    let statement = node
        .publish(&id(2), 1, exclude(payment.id(), "mistake"))
        .unwrap();
    let error = node.reversal_of(&statement.id(), &key(2)).unwrap_err();
    assert_eq!(error, ReversalError::NotAPaymentToYou(statement.id()));
}

/// Listing every transfer reserves room for the transfers, not for every
/// event: a log of mostly other events (trust statements here; record
/// edits in a busy network) reserved `log.len()` rows at every read, a
/// high-water mark a wasm memory keeps (found in review).
#[wasm_bindgen_test(unsupported = test)]
fn listing_transfers_reserves_room_for_transfers_not_for_every_event() {
    let mut node = Replica::new(Policy::new(key(50)));
    node.publish(&id(1), 0, pay(key(2), 100, "EUR")).unwrap();
    let levels = [TrustLevel::Trusted, TrustLevel::Neutral];
    for n in 0..3000u32 {
        let body = trust(key(3 + (n % 40) as u8), levels[(n % 2) as usize]);
        node.publish(&id(2), u64::from(n), body).unwrap();
    }
    assert_eq!(node.log().len(), 3001);
    let refs = node.view().transaction_refs(node.log(), None);
    assert_eq!(refs.len(), 1);
    assert!(
        refs.capacity() <= 64,
        "one transfer listed in a vector of capacity {}",
        refs.capacity()
    );
    assert_eq!(
        refs[0].owned(),
        node.view().transactions(node.log(), None)[0]
    );
}

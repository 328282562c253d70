//! One test per policy rule: bans, trust, quorum, published statements,
//! exclusions of exclusions, retractions, transitive trust and forks.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;

use common::*;
use trustfold::{
    BanReason, Draft, Event, ForkHandling, Log, Policy, Replica, Status, TrustLevel, View, ViewKey,
};
use wasm_bindgen_test::wasm_bindgen_test;

const ME: u8 = 50;

fn me() -> Policy {
    Policy::new(key(ME))
}

fn balance(node: &Replica, view: &View, who: u8) -> i128 {
    view.balance(node.log(), &key(who), "EUR")
}

/// A node holding one payment 1 → 2 of 100 EUR.
fn one_payment() -> (Replica, Event) {
    let mut node = Replica::new(me());
    let payment = node.publish(&id(1), 0, pay(key(2), 100, "EUR")).unwrap();
    (node, payment)
}

#[wasm_bindgen_test(unsupported = test)]
fn a_local_ban_hides_the_authors_past_and_future_events() {
    let (mut node, _) = one_payment();
    node.set_policy(me().banning(key(1)));
    assert_eq!(balance(&node, node.view(), 2), 0, "past payment ignored");
    node.publish(&id(1), 1, pay(key(3), 5, "EUR")).unwrap();
    assert_eq!(balance(&node, node.view(), 3), 0, "future payment ignored");
    assert_eq!(node.log().len(), 2, "still stored and forwardable");
    let ix = node
        .log()
        .ix(&node.log().last_by(&key(1)).unwrap().id())
        .unwrap();
    assert_eq!(
        node.view().status(node.log(), ix),
        Status::AuthorBanned {
            author: key(1),
            reason: BanReason::Local
        }
    );
    node.set_policy(me());
    assert_eq!(balance(&node, node.view(), 2), 100);
    assert_eq!(balance(&node, node.view(), 3), 5);
}

#[wasm_bindgen_test(unsupported = test)]
fn my_own_exclusion_counts_without_trusting_anyone() {
    let (mut node, payment) = one_payment();
    node.publish(&id(ME), 1, exclude(payment.id(), "mine"))
        .unwrap();
    assert_eq!(balance(&node, node.view(), 2), 0);
}

#[wasm_bindgen_test(unsupported = test)]
fn an_untrusted_authors_exclusion_does_not_count() {
    let (mut node, payment) = one_payment();
    node.publish(&id(4), 1, exclude(payment.id(), "")).unwrap();
    assert_eq!(balance(&node, node.view(), 2), 100);
    let trusting = node.view_under(me().trusting(key(4)));
    assert_eq!(balance(&node, &trusting, 2), 0);
}

#[wasm_bindgen_test(unsupported = test)]
fn an_exclusion_needs_quorum_distinct_trusted_authors() {
    let (mut node, payment) = one_payment();
    let policy = me().trusting(key(4)).trusting(key(5)).with_quorum(2);
    node.set_policy(policy);
    node.publish(&id(4), 1, exclude(payment.id(), "")).unwrap();
    node.publish(&id(4), 2, exclude(payment.id(), "again"))
        .unwrap();
    assert_eq!(
        balance(&node, node.view(), 2),
        100,
        "one author twice is one backer"
    );
    node.publish(&id(5), 3, exclude(payment.id(), "")).unwrap();
    assert_eq!(balance(&node, node.view(), 2), 0, "two distinct backers");
    node.set_policy(me().trusting(key(4)).trusting(key(5)).with_quorum(3));
    assert_eq!(balance(&node, node.view(), 2), 100, "quorum 3 not reached");
}

#[wasm_bindgen_test(unsupported = test)]
fn excluding_an_exclusion_restores_its_target() {
    let (mut node, payment) = one_payment();
    node.set_policy(me().trusting(key(4)).trusting(key(5)));
    let exclusion = node.publish(&id(4), 1, exclude(payment.id(), "")).unwrap();
    assert_eq!(balance(&node, node.view(), 2), 0);
    let counter = node
        .publish(&id(5), 2, exclude(exclusion.id(), "wrong"))
        .unwrap();
    assert_eq!(balance(&node, node.view(), 2), 100);
    // ...and excluding that one in turn excludes the payment again.
    node.publish(&id(ME), 3, exclude(counter.id(), "")).unwrap();
    assert_eq!(balance(&node, node.view(), 2), 0);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_retraction_withdraws_an_exclusion_and_excluding_it_reinstates_it() {
    let (mut node, payment) = one_payment();
    node.set_policy(me().trusting(key(4)));
    let exclusion = node.publish(&id(4), 1, exclude(payment.id(), "")).unwrap();
    let retraction = node.publish(&id(4), 2, retract(exclusion.id())).unwrap();
    assert_eq!(balance(&node, node.view(), 2), 100);
    node.publish(&id(ME), 3, exclude(retraction.id(), ""))
        .unwrap();
    assert_eq!(balance(&node, node.view(), 2), 0);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_dispute_by_a_trusted_payer_excludes_the_payment() {
    let (mut node, payment) = one_payment();
    node.publish(&id(1), 1, dispute(payment.id(), "not delivered"))
        .unwrap();
    assert_eq!(balance(&node, node.view(), 2), 100);
    let trusting_payer = node.view_under(me().trusting(key(1)));
    assert_eq!(balance(&node, &trusting_payer, 2), 0);
    assert_eq!(balance(&node, &trusting_payer, 1), 0);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_published_ban_counts_only_from_trusted_authors_and_at_quorum() {
    let (mut node, payment) = one_payment();
    let ban = node
        .publish(&id(4), 1, trust(key(1), TrustLevel::Banned))
        .unwrap();
    assert_eq!(balance(&node, node.view(), 2), 100, "4 is not trusted");
    let view = node.view_under(me().trusting(key(4)));
    assert_eq!(balance(&node, &view, 2), 0);
    let ix = node.log().ix(&payment.id()).unwrap();
    assert_eq!(
        view.status(node.log(), ix),
        Status::AuthorBanned {
            author: key(1),
            reason: BanReason::Published {
                by: vec![(key(4), ban.id())]
            }
        }
    );
    let two = me().trusting(key(4)).trusting(key(5)).with_quorum(2);
    assert_eq!(balance(&node, &node.view_under(two.clone()), 2), 100);
    node.publish(&id(5), 2, trust(key(1), TrustLevel::Banned))
        .unwrap();
    assert_eq!(balance(&node, &node.view_under(two), 2), 0);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_viewer_may_not_follow_published_bans_and_still_follows_exclusions() {
    let (mut node, payment) = one_payment();
    node.publish(&id(4), 1, trust(key(1), TrustLevel::Banned))
        .unwrap();
    let following = me().trusting(key(4));
    assert_eq!(balance(&node, &node.view_under(following.clone()), 2), 0);
    let not_following = following.following_bans(false);
    assert_eq!(
        balance(&node, &node.view_under(not_following.clone()), 2),
        100
    );
    // A trusted author's exclusion still counts; my own ban list still bans.
    node.publish(&id(4), 2, exclude(payment.id(), "duplicate"))
        .unwrap();
    assert_eq!(
        balance(&node, &node.view_under(not_following.clone()), 2),
        0
    );
    let (node, _) = one_payment();
    let mine = not_following.banning(key(1));
    assert_eq!(balance(&node, &node.view_under(mine), 2), 0);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_policy_stored_before_follow_bans_existed_reads_back_following_them() {
    let policy = me().trusting(key(4)).with_quorum(2).with_depth(3);
    let old = postcard::to_allocvec(&(
        &policy.me,
        &policy.trusted,
        &policy.banned,
        policy.quorum,
        policy.depth,
        policy.forks,
    ))
    .unwrap();
    assert_eq!(Policy::from_stored(&old), Some(policy.clone()));
    let new = postcard::to_allocvec(&policy.clone().following_bans(false)).unwrap();
    assert_eq!(
        Policy::from_stored(&new),
        Some(policy.following_bans(false))
    );
    assert_eq!(Policy::from_stored(b"\x01\x02"), None);
}

#[wasm_bindgen_test(unsupported = test)]
fn the_latest_trust_statement_of_an_author_wins() {
    let (mut node, _) = one_payment();
    node.set_policy(me().trusting(key(4)));
    node.publish(&id(4), 1, trust(key(1), TrustLevel::Banned))
        .unwrap();
    assert_eq!(balance(&node, node.view(), 2), 0);
    node.publish(&id(4), 2, trust(key(1), TrustLevel::Neutral))
        .unwrap();
    assert_eq!(balance(&node, node.view(), 2), 100);
}

#[wasm_bindgen_test(unsupported = test)]
fn concurrent_statements_of_a_forked_author_are_broken_by_event_id_in_any_order() {
    let (node, _) = one_payment();
    let head: Vec<_> = node.log().heads();
    let statement = |level, time| {
        id(4).sign(Draft {
            seq: 1,
            parents: head.clone(),
            time,
            body: trust(key(1), level),
        })
    };
    let ban = statement(TrustLevel::Banned, 1);
    let neutral = statement(TrustLevel::Neutral, 2);
    let winner_bans = ban.id() > neutral.id();
    for order in [[&ban, &neutral], [&neutral, &ban]] {
        let mut log = node.log().clone();
        for e in order {
            log.insert((*e).clone()).unwrap();
        }
        assert!(log.is_forked(&key(4)));
        let view = View::new(&log, me().trusting(key(4)));
        let banned = view.authorities().banned.contains_key(&key(1));
        assert_eq!(banned, winner_bans);
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn published_bans_never_reach_authors_i_trust_or_me() {
    let (mut node, _) = one_payment();
    node.publish(&id(4), 1, trust(key(1), TrustLevel::Banned))
        .unwrap();
    node.publish(&id(4), 2, trust(key(ME), TrustLevel::Banned))
        .unwrap();
    node.publish(&id(ME), 3, pay(key(2), 1, "EUR")).unwrap();
    let view = node.view_under(me().trusting(key(4)).trusting(key(1)));
    assert_eq!(balance(&node, &view, 2), 101, "1 is trusted, I am me");
    // Even my own ban list cannot ban me; 4's ban of 1 still counts.
    let banning_me = node.view_under(me().trusting(key(4)).banning(key(ME)));
    assert!(!banning_me.authorities().banned.contains_key(&key(ME)));
    assert_eq!(balance(&node, &banning_me, 2), 1, "only my payment counts");
}

/// The preview of an unban that will be published: my own published ban
/// counts in my view, so lifting only my local ban shows nothing, while
/// publishing a neutral statement too brings the payment back. Reading my
/// statement as withdrawn gives that view before it is published.
#[wasm_bindgen_test(unsupported = test)]
fn my_published_ban_read_as_withdrawn_previews_its_withdrawal() {
    let (mut node, _) = one_payment();
    node.publish(&id(ME), 1, trust(key(1), TrustLevel::Banned))
        .unwrap();
    node.set_policy(me().banning(key(1)));
    assert_eq!(balance(&node, node.view(), 2), 0);
    let local_only = node.view_under(me());
    assert_eq!(balance(&node, &local_only, 2), 0, "my published ban counts");
    let preview = node.view_under(me().withdrawing(key(1)));
    assert_eq!(balance(&node, &preview, 2), 100);
    // Only my statements are read as withdrawn: a trusted author's ban stays.
    node.publish(&id(4), 2, trust(key(1), TrustLevel::Banned))
        .unwrap();
    let trusting = node.view_under(me().trusting(key(4)).withdrawing(key(1)));
    assert_eq!(balance(&node, &trusting, 2), 0);
    // And the preview is what publishing gives.
    node.publish(&id(ME), 3, trust(key(1), TrustLevel::Neutral))
        .unwrap();
    node.set_policy(me());
    assert_eq!(balance(&node, node.view(), 2), 100);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_locally_banned_trusted_author_loses_their_say() {
    let (mut node, payment) = one_payment();
    node.publish(&id(4), 1, exclude(payment.id(), "")).unwrap();
    let view = node.view_under(me().trusting(key(4)).banning(key(4)));
    assert_eq!(balance(&node, &view, 2), 100);
}

#[wasm_bindgen_test(unsupported = test)]
fn transitive_trust_follows_published_trust_to_the_chosen_depth() {
    let (mut node, payment) = one_payment();
    node.publish(&id(4), 1, trust(key(5), TrustLevel::Trusted))
        .unwrap();
    node.publish(&id(5), 2, exclude(payment.id(), "")).unwrap();
    let depth1 = node.view_under(me().trusting(key(4)));
    let depth2 = node.view_under(me().trusting(key(4)).with_depth(2));
    assert_eq!(balance(&node, &depth1, 2), 100);
    assert_eq!(balance(&node, &depth2, 2), 0);
    // Incrementally too: withdrawing the trust statement restores the payment.
    node.set_policy(me().trusting(key(4)).with_depth(2));
    assert_eq!(balance(&node, node.view(), 2), 0);
    node.publish(&id(4), 3, trust(key(5), TrustLevel::Neutral))
        .unwrap();
    assert_eq!(balance(&node, node.view(), 2), 100);
}

fn forked_log() -> (Log, Event, Event) {
    let mut log = Log::new();
    let first = id(1).sign(Draft {
        seq: 1,
        parents: vec![],
        time: 0,
        body: pay(key(2), 10, "EUR"),
    });
    let second = id(1).sign(Draft {
        seq: 1,
        parents: vec![],
        time: 1,
        body: pay(key(3), 20, "EUR"),
    });
    log.insert(first.clone()).unwrap();
    let insertion = log.insert(second.clone()).unwrap();
    assert_eq!(insertion.forks.len(), 1);
    (log, first, second)
}

#[wasm_bindgen_test(unsupported = test)]
fn both_branches_of_a_fork_count_by_default_and_the_fork_is_proven() {
    let (log, first, second) = forked_log();
    let proof = &log.forks()[0];
    assert_eq!((proof.author, proof.seq), (key(1), 1));
    // Canonical: the smaller id first, whichever arrived first.
    let ordered = (first.id().min(second.id()), first.id().max(second.id()));
    assert_eq!((proof.first, proof.second), ordered);
    let mut reversed = Log::new();
    for event in log.topological().rev() {
        let _ = reversed.insert(event.clone());
    }
    assert_eq!(reversed.forks(), log.forks(), "equal on every node");
    let view = View::new(&log, me());
    assert_eq!(view.balance(&log, &key(1), "EUR"), -30);
}

#[wasm_bindgen_test(unsupported = test)]
fn a_policy_may_ban_forked_authors() {
    let (log, _, _) = forked_log();
    let view = View::new(&log, me().with_forks(ForkHandling::Ban));
    assert_eq!(view.balance(&log, &key(1), "EUR"), 0);
    assert_eq!(
        view.authorities().banned.get(&key(1)),
        Some(&BanReason::Forked)
    );
    // The owner's incremental view reaches the same verdict when the fork arrives late.
    let mut node = Replica::new(me().with_forks(ForkHandling::Ban));
    for e in log.topological() {
        node.insert(e.clone()).unwrap();
    }
    assert_eq!(balance(&node, node.view(), 1), 0);
}

/// What keeps a view's readings (`ViewKey`): the same log under the same
/// policy has the same key; a longer log, another policy, or (its last
/// event a guard) another replica's log of the same length ending in
/// another event has another.
#[wasm_bindgen_test(unsupported = test)]
fn a_view_key_names_the_log_and_the_policy_a_view_was_folded_at() {
    let (mut node, _) = one_payment();
    let key_now = ViewKey::of(node.log(), &me());
    assert_eq!(key_now, ViewKey::of(node.log(), &me()));
    assert!(key_now.is_of(node.log(), &me()));
    assert!(
        !key_now.is_of(node.log(), &me().banning(key(1))),
        "another policy"
    );
    assert_ne!(key_now, ViewKey::of(node.log(), &me().banning(key(1))));
    let mut other = Replica::new(me());
    other.publish(&id(3), 0, pay(key(2), 100, "EUR")).unwrap();
    assert_eq!(other.log().len(), node.log().len());
    assert!(
        !key_now.is_of(other.log(), &me()),
        "another log of one length"
    );
    assert_ne!(key_now, ViewKey::of(other.log(), &me()));
    node.publish(&id(1), 1, pay(key(2), 1, "EUR")).unwrap();
    assert!(!key_now.is_of(node.log(), &me()), "the log grew");
    assert_eq!(key_now.policy(), &me());
    assert!(ViewKey::of(&Log::new(), &me()).is_of(&Log::new(), &me()));
}

/// A page previewing a policy asks several questions of the view under it
/// (`Replica::kept_view_under`, kept between them): the view kept must be
/// the one of the policy asked, over every event stored, never an earlier
/// policy's or a shorter log's.
#[wasm_bindgen_test(unsupported = test)]
fn a_view_under_another_policy_is_kept_only_while_the_log_and_the_policy_are_the_same() {
    let (mut node, payment) = one_payment();
    let banning = me().banning(key(1));
    let trusting = me().trusting(key(4));
    let under = |node: &mut Replica, policy: &Policy, who: u8| {
        let (log, view) = node.kept_view_under(policy.clone());
        view.balance(log, &key(who), "EUR")
    };
    assert_eq!(under(&mut node, &banning, 2), 0);
    // Someone else pays: the kept view is of the shorter log.
    node.publish(&id(3), 0, pay(key(2), 7, "EUR")).unwrap();
    assert_eq!(under(&mut node, &banning, 2), 7, "the new payment counts");
    assert_eq!(node.compare_with(banning.clone()).only_first.len(), 1);
    assert_eq!(under(&mut node, &me(), 2), 107, "another policy's view");
    // An exclusion by someone only the other policy trusts.
    node.publish(&id(4), 0, exclude(payment.id(), "")).unwrap();
    assert_eq!(under(&mut node, &trusting, 2), 7);
    let comparison = node.compare_with(trusting.clone());
    assert_eq!(
        comparison,
        trustfold::explain::compare(node.log(), node.view(), &node.view_under(trusting.clone()))
    );
    assert_eq!(comparison.only_first.len(), 1);
    assert_eq!(under(&mut node, &banning, 2), 7);
    assert_eq!(under(&mut node, &trusting, 2), 7);
}

//! Private networks (issue #13): sealed events, admission, void verdicts.
//!
//! Replica-level: what members, strangers and open networks make of a
//! private network's events, byte for byte.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;

use common::{id, key, pay};
use trustfold::event::{Draft, SEALED_VERSION};
use trustfold::invite::{Invite, NetworkKeys};
use trustfold::{Body, Error, EventError, Network, Policy, Replica, Transfer, Void};

fn invite(n: u8) -> Invite {
    Invite::new([n; 32], "our coop").unwrap()
}

fn member(me: u8, network: u8) -> Replica {
    Replica::new(Policy::new(key(me))).in_network(Network::private(invite(network), [me; 32]))
}

fn rent(memo: &str) -> Body {
    Body::Transfer(Transfer {
        to: key(2),
        amount: 100,
        unit: "EUR".into(),
        memo: memo.into(),
        reverses: None,
    })
}

/// A member's payment reaches another member as it was written; its bytes
/// hold none of the memo, and an open network's node or a stranger's
/// refuses it with a typed error, changing nothing.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn members_read_what_strangers_and_open_networks_refuse() {
    let mut alice = member(1, 7);
    let paid = alice.publish(&id(1), 5, rent("flat rent march")).unwrap();
    assert_eq!(paid.content().version, SEALED_VERSION);
    assert!(paid.is_sealed());
    let bytes = paid.bytes();
    assert!(!bytes.windows(9).any(|w| w == b"flat rent"), "memo sealed");
    assert!(!bytes.windows(3).any(|w| w == b"EUR"), "unit sealed");

    let mut bob = member(2, 7);
    bob.ingest(bytes).unwrap();
    assert_eq!(
        bob.log().get(&paid.id()).unwrap().body(),
        &rent("flat rent march")
    );
    assert_eq!(bob.log().get(&paid.id()).unwrap().time(), 5);
    assert_eq!(bob.view().balance(bob.log(), &key(2), "EUR"), 100);

    let mut stranger = member(3, 8);
    assert_eq!(
        stranger.ingest(bytes).unwrap_err(),
        Error::Event(EventError::NotAdmitted)
    );
    let mut open = Replica::new(Policy::new(key(3)));
    assert_eq!(
        open.ingest(bytes).unwrap_err(),
        Error::Event(EventError::SealedInOpenNetwork)
    );
    assert!(stranger.log().is_empty() && open.log().is_empty());

    // A clear event carries no admission: a private network refuses it.
    let clear = Replica::new(Policy::new(key(1)))
        .publish(&id(1), 0, pay(key(2), 1, "EUR"))
        .unwrap();
    assert_eq!(
        bob.ingest(clear.bytes()).unwrap_err(),
        Error::Event(EventError::NotAdmitted)
    );
}

/// Someone who is not a member, signing with their own key, cannot make an
/// admission tag: a tag from another network, or a member's tag reused,
/// is refused.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_forged_admission_tag_is_refused() {
    let keys = invite(7).keys();
    let mallory = id(6);
    let draft = Draft {
        seq: 1,
        parents: vec![],
        time: 0,
        body: pay(key(1), 1, "EUR"),
    };
    let other_network = invite(9).keys().admit(&mallory.public_key());
    let alices_tag = keys.admit(&key(1));
    let mut bob = member(2, 7);
    for tag in [other_network, alices_tag, [0; 64]] {
        let forged = mallory.seal(draft.clone(), &keys, &tag, &[1; 24]);
        assert_eq!(
            bob.ingest(forged.bytes()).unwrap_err(),
            Error::Event(EventError::NotAdmitted)
        );
    }
    assert!(bob.log().is_empty());
}

/// A member's event whose body is sealed under another key, or breaks a
/// body rule, is void on every member: kept, counting for nothing, its
/// children valid and counted.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_void_event_counts_for_nothing_and_its_children_count() {
    let keys: NetworkKeys = invite(7).keys();
    let alice = id(1);
    let tag = keys.admit(&alice.public_key());
    let wrong_key = invite(9).keys();
    let unreadable = alice.seal(
        Draft {
            seq: 1,
            parents: vec![],
            time: 0,
            body: rent("under another key"),
        },
        &wrong_key,
        &tag,
        &[2; 24],
    );
    let zero = alice.seal(
        Draft {
            seq: 2,
            parents: vec![unreadable.id()],
            time: 0,
            body: Body::Transfer(Transfer {
                to: key(2),
                amount: 0,
                unit: "EUR".into(),
                memo: String::new(),
                reverses: None,
            }),
        },
        &keys,
        &tag,
        &[3; 24],
    );
    let child = alice.seal(
        Draft {
            seq: 3,
            parents: vec![zero.id()],
            time: 0,
            body: rent("counts"),
        },
        &keys,
        &tag,
        &[4; 24],
    );
    let mut digests = Vec::new();
    for (me, order) in [(2, [0, 1, 2]), (3, [2, 1, 0]), (4, [1, 2, 0])] {
        let mut replica = member(me, 7);
        let events = [&unreadable, &zero, &child];
        for i in order {
            replica.ingest(events[i].bytes()).unwrap();
        }
        let log = replica.log();
        assert_eq!(log.len(), 3);
        assert_eq!(
            log.get(&unreadable.id()).unwrap().void(),
            Some(&Void::Unreadable)
        );
        assert_eq!(
            log.get(&zero.id()).unwrap().void(),
            Some(&Void::Broken("zero_amount".into()))
        );
        assert_eq!(log.voids().len(), 2);
        assert_eq!(replica.view().balance(log, &key(2), "EUR"), 100);
        digests.push(replica.view().state_digest(log));
    }
    assert!(digests.windows(2).all(|w| w[0] == w[1]));
}

/// A member never publishes what would be void: a body rule broken
/// against the parents is an error for its author.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_member_cannot_publish_a_void_event() {
    let mut alice = member(1, 7);
    let paid = alice.publish(&id(1), 0, pay(key(2), 5, "EUR")).unwrap();
    let bad_reversal = Body::Transfer(Transfer {
        to: key(2),
        amount: 5,
        unit: "EUR".into(),
        memo: String::new(),
        reverses: Some(paid.id()),
    });
    assert!(alice.publish(&id(1), 1, bad_reversal).is_err());
    assert!(alice.publish(&id(1), 1, pay(key(1), 5, "EUR")).is_err());
    assert_eq!(alice.log().len(), 1);
}

/// A tag is checked on every event, not once per author: a member signing
/// its next event with a tag the network never made (another network's,
/// or noise) is refused on a node that admitted its earlier events as on
/// one that never saw them, so the verdict does not depend on what a node
/// met first.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_bad_tag_is_refused_even_from_an_author_admitted_before() {
    let keys = invite(7).keys();
    let alice = id(1);
    let good = alice.seal(
        Draft {
            seq: 1,
            parents: vec![],
            time: 0,
            body: rent("first"),
        },
        &keys,
        &keys.admit(&alice.public_key()),
        &[1; 24],
    );
    let foreign = invite(9).keys().admit(&alice.public_key());
    for tag in [foreign, [0; 64]] {
        let bad = alice.seal(
            Draft {
                seq: 2,
                parents: vec![good.id()],
                time: 0,
                body: rent("second"),
            },
            &keys,
            &tag,
            &[2; 24],
        );
        let mut met_alice = member(2, 7);
        met_alice.ingest(good.bytes()).unwrap();
        let mut fresh = member(3, 7);
        for replica in [&mut met_alice, &mut fresh] {
            assert_eq!(
                replica.ingest(bad.bytes()).unwrap_err(),
                Error::Event(EventError::NotAdmitted)
            );
        }
        assert_eq!(met_alice.log().len(), 1);
        assert!(fresh.log().is_empty() && fresh.log().pending_len() == 0);
    }
}

/// What sealing costs in bytes, and what sizes tell: payments whose memos
/// fit the minimum padding are one size whatever their amount and memo;
/// longer ones are rounded up. Prints the figures BENCHMARKS.md quotes
/// (`cargo test --test private -- --nocapture sealed_sizes`).
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn sealed_sizes_of_payments() {
    let mut short = Vec::new();
    for (memo, amount) in [(0, 1250), (10, 1250), (60, 1250), (60, 9), (200, 1250)] {
        let body = Body::Transfer(Transfer {
            to: key(2),
            amount,
            unit: "EUR".into(),
            memo: "m".repeat(memo),
            reverses: None,
        });
        let time = 1_764_000_000_000;
        let clear = Replica::new(Policy::new(key(1)))
            .publish(&id(1), time, body.clone())
            .unwrap();
        let sealed = member(1, 7).publish(&id(1), time, body).unwrap();
        let (clear, sealed) = (clear.bytes().len(), sealed.bytes().len());
        println!(
            "sealed_sizes: memo {memo:3} B, amount {amount:4}: clear {clear} B, sealed {sealed} B (+{})",
            sealed - clear
        );
        if memo <= 60 {
            short.push(sealed);
        }
        assert!(sealed > clear);
    }
    assert!(short.windows(2).all(|w| w[0] == w[1]), "{short:?}");
}

/// A link's check catches a character changed in the secret or the name
/// (which would otherwise open another, empty network, or the same one
/// under a name its maker did not give); a link without one still opens.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_invite_links_check_refuses_a_changed_character() {
    let made = invite(7);
    let (secret, check) = (made.secret_hex(), made.check());
    assert_eq!(check.len(), 8);
    let opened = Invite::from_link(&secret, "our coop", Some(&check)).unwrap();
    assert_eq!(opened.keys().room(), made.keys().room());
    let typo = format!(
        "{}{}",
        if &secret[..1] == "0" { "1" } else { "0" },
        &secret[1..]
    );
    for (secret, name) in [
        (&typo[..], "our coop"),
        (&secret[..], "our coo"),
        (&secret[..], "Our coop"),
    ] {
        assert_eq!(
            Invite::from_link(secret, name, Some(&check)).unwrap_err(),
            trustfold::invite::InviteError::Damaged,
            "{name}"
        );
    }
    assert_eq!(
        Invite::from_link(&secret, "our coop", Some(&check.to_uppercase())).unwrap(),
        made
    );
    assert_eq!(Invite::from_link(&secret, "our coop", None).unwrap(), made);
    // A link pasted at the end of a sentence, or in brackets: the check
    // says which name it was.
    for pasted in ["our coop.", "our coop).", "our coop”"] {
        assert_eq!(
            Invite::from_link(&secret, pasted, Some(&check)).unwrap(),
            made,
            "{pasted}"
        );
    }
    let bracketed = Invite::new([7; 32], "coop (north)").unwrap();
    let kept = Invite::from_link(&secret, "coop (north)", Some(&bracketed.check())).unwrap();
    assert_eq!(kept.name(), "coop (north)", "a name's own bracket is kept");
    assert_eq!(
        Invite::from_link(&secret, "our coop....", Some(&check)).unwrap_err(),
        trustfold::invite::InviteError::Damaged,
        "more than three taken off"
    );
    assert_eq!(
        Invite::from_link("zz", "our coop", Some(&check)).unwrap_err(),
        trustfold::invite::InviteError::MalformedSecret
    );
    assert_eq!(
        trustfold::invite::InviteError::Damaged.code(),
        "damaged_invite"
    );
}

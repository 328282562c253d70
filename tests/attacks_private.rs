//! An attacker's review of private networks (issue #13): sealed events,
//! admission tags, void verdicts. Each test is one finding: its doc comment
//! describes the attack as found, its name what holds now. Every test
//! failed against the first version of the sealed-event code and passes
//! with its fix.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{id, key, pay};
use trustfold::event::Draft;
use trustfold::invite::{Invite, NetworkKeys};
use trustfold::store::{MemoryStore, Store};
use trustfold::{
    Body, Error, Event, EventError, EventId, Identity, Network, Node, Policy, Replica,
};

fn invite(n: u8) -> Invite {
    Invite::new([n; 32], "our coop").unwrap()
}

fn member(me: u8, network: u8) -> Replica {
    Replica::new(Policy::new(key(me))).in_network(Network::private(invite(network), [me; 32]))
}

/// `who`'s sealed payment of 1 EUR to `key(9)` with this seq, parents,
/// admission tag and nonce, under `keys`.
fn sealed(
    who: &Identity,
    keys: &NetworkKeys,
    tag: &[u8; 64],
    seq: u64,
    parents: Vec<EventId>,
    nonce: u8,
) -> Event {
    who.seal(
        Draft {
            seq,
            parents,
            time: 0,
            body: pay(key(9), 1, "EUR"),
        },
        keys,
        tag,
        &[nonce; 24],
    )
}

/// Finding 1 (admission cache keyed by author only). `Network::admit`
/// checked an event's admission tag only if its author was not cached yet,
/// so a member's event carrying a bad tag (her own signature covers it,
/// only she can make it) was admitted and counted by a member that had
/// seen one of her good events before, and refused (`not_admitted`, the
/// sender dropped) by one that had not — or by the same member after a
/// reopen, when the store hands events back in key order. Two members
/// disagreed on the same bytes, and the first, forwarding what it had
/// counted, was dropped by the second as a bad sender.
#[test]
fn a_bad_admission_tag_is_refused_whatever_the_cache_holds() {
    let keys = invite(7).keys();
    let alice = id(1);
    let good = keys.admit(&alice.public_key());
    let first = sealed(&alice, &keys, &good, 1, vec![], 1);
    let mut bad_tags = vec![[0u8; 64], keys.admit(&key(2))];
    let mut flipped = good;
    flipped[3] ^= 1;
    bad_tags.push(flipped);
    for (n, bad) in bad_tags.into_iter().enumerate() {
        let second = sealed(&alice, &keys, &bad, 2, vec![first.id()], 2 + n as u8);
        // Bob saw Alice's good event first: her author is cached.
        let mut bob = member(2, 7);
        bob.ingest(first.bytes()).unwrap();
        let at_bob = bob.ingest(second.bytes());
        // Carol sees the bad one first.
        let mut carol = member(3, 7);
        let at_carol = carol.ingest(second.bytes());
        assert_eq!(at_carol, Err(Error::Event(EventError::NotAdmitted)));
        assert_eq!(
            at_bob, at_carol,
            "one verdict on the same bytes, whatever was seen before"
        );
        assert_eq!(bob.log().len(), 1);
    }
}

/// Finding 2 (a member publishes a void event of her own). `validate_form`
/// lets a sealed event whose body is [`Body::Void`] through (a verdict was
/// reached when it was opened), but an event a member signs herself is
/// never opened: `publish` with a `Body::Void` body passed `Log::admits`,
/// was stored and counted as void with the reason its author chose
/// (`Broken("zero_amount")`), while every other member — and the author
/// herself after a reopen — opens it as `malformed_body`.
#[test]
fn a_member_cannot_publish_a_void_body() {
    use trustfold::Void;
    let claimed = Body::Void(Void::Broken("zero_amount".into()));
    let mut alice = member(1, 7);
    let refused = alice.publish(&id(1), 0, claimed.clone());
    assert_eq!(refused.map_err(|e| e.code()).err(), Some("void_body"));
    assert!(alice.log().is_empty());

    pollster::block_on(async {
        let store = MemoryStore::new();
        let (node, _) = Node::open_in(store, Some(invite(7)), Some(id(1)), || [5; 32])
            .await
            .unwrap();
        let refused = node.publish(0, claimed).await;
        assert_eq!(refused.map_err(|e| e.code()).err(), Some("void_body"));
        assert!(node.replica().log().is_empty());
        assert_eq!(node.store().event_count().await.unwrap(), 0);
    });
}

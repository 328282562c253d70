//! Private networks (issue #13) at the node level: the real `Node`, its
//! sync sessions and its peer handling (`from_peer`), between members of a
//! private network, a node of another private network and a node of an
//! open network.
//!
//! * A peer sending an event whose admission tag no member made is refused
//!   (`not_admitted`) and dropped; nothing of it is stored, and an honest
//!   member connected at the same time still syncs.
//! * A member passing on void events (a body sealed under another key, a
//!   zero amount, a reversal its author may not make) is never dropped,
//!   whatever the order and the batches, and every member reaches the same
//!   verdict and digest, the void events' children counted — reopened from
//!   its store too.
//! * A node of another network, or of an open network, syncing with the
//!   members receives nothing readable of what they wrote (every byte it
//!   got is scanned) and stores none of it.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
#[path = "common/attacker.rs"]
mod attacker;
mod common;
#[path = "common/sim.rs"]
mod sim;

use attacker::Attacker;
use common::{id, key, pay, permutations};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use trustfold::invite::{Invite, NetworkKeys};
use trustfold::store::{MemoryStore, Store};
use trustfold::sync::{Framer, Message};
use trustfold::{
    Body, Digest, Draft, Error, Event, EventError, EventId, Identity, Node, PeerError, Scalar,
    Transfer,
};
use wasm_bindgen_test::wasm_bindgen_test;

/// The members' network.
fn coop() -> Invite {
    Invite::new([7; 32], "Maple Street coop").expect("a valid name")
}

/// Another private network.
fn theirs() -> NetworkKeys {
    Invite::new([0x99; 32], "theirs")
        .expect("a valid name")
        .keys()
}

/// A member on a memory store, its randomness `[n; 32]`.
async fn member(n: u8) -> Node<MemoryStore> {
    sim::open_in(MemoryStore::new(), n, Some(&coop())).await
}

async fn stored_ids(node: &Node<MemoryStore>) -> BTreeSet<EventId> {
    let loaded = node.store().load_events().await.unwrap();
    loaded.events.into_iter().map(|(id, _)| id).collect()
}

fn draft(seq: u64, parents: Vec<EventId>, body: Body) -> Draft {
    Draft {
        seq,
        parents,
        time: seq,
        body,
    }
}

fn transfer(amount: u64, memo: &str, reverses: Option<EventId>) -> Body {
    Body::Transfer(Transfer {
        to: key(2),
        amount,
        unit: "EUR".into(),
        memo: memo.into(),
        reverses,
    })
}

/// Nodes exchanging frames through their real sync sessions, every frame
/// delivered in order. What each node received is kept. A node that drops
/// a peer closes the link, as an ordered transport would: the peer learns
/// of it after the frames already on their way to it, so a node that is
/// dropped has received all it was sent before.
struct Exchange<'a> {
    nodes: Vec<(&'a str, &'a Node<MemoryStore>)>,
    /// (from, to, the frame, or `None`: the link closed by `from`).
    queue: VecDeque<(usize, usize, Option<Vec<u8>>)>,
    received: Vec<Vec<Vec<u8>>>,
    /// (the node that dropped, the peer dropped, why).
    dropped: Vec<(&'a str, &'a str, Error)>,
}

impl<'a> Exchange<'a> {
    fn new(nodes: Vec<(&'a str, &'a Node<MemoryStore>)>) -> Exchange<'a> {
        let received = vec![Vec::new(); nodes.len()];
        Exchange {
            nodes,
            queue: VecDeque::new(),
            received,
            dropped: Vec::new(),
        }
    }

    fn link(&mut self, a: usize, b: usize) {
        for (me, peer) in [(a, b), (b, a)] {
            let out = self.nodes[me]
                .1
                .connect_peer(self.nodes[peer].0, [me as u8; 16]);
            self.queue
                .extend(out.into_iter().map(|(_, f)| (me, peer, Some(f))));
        }
    }

    /// Delivers frames until nothing is in flight.
    async fn settle(&mut self) {
        while let Some((from, to, frame)) = self.queue.pop_front() {
            let (me, node) = self.nodes[to];
            let peer = self.nodes[from].0;
            let Some(frame) = frame else {
                node.disconnect_peer(peer);
                continue;
            };
            self.received[to].push(frame.clone());
            match node.from_peer(peer, &frame).await {
                Ok(out) => {
                    assert!(out.dropped.is_empty() && out.store_error.is_none());
                    for (next, f) in out.send {
                        let next = self.nodes.iter().position(|(n, _)| *n == next).unwrap();
                        self.queue.push_back((to, next, Some(f)));
                    }
                }
                Err(PeerError::InvalidEvent(e)) => {
                    self.queue.push_back((to, from, None));
                    self.dropped.push((me, peer, e));
                }
                Err(e) => panic!("{me} dropped {peer} for a frame: {e}"),
            }
        }
    }
}

/// A peer that sends an event under a tag no member made for its author
/// is refused `not_admitted` and dropped, whether the tag is another
/// network's, a member's borrowed by a stranger, for an event still
/// missing its parent, or a member's own next event under a tag of
/// another network (after its good ones were admitted). Nothing of it is
/// stored or waits, and an honest member syncing at the same time gets
/// everything.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn a_forged_admission_tag_is_refused_not_admitted_and_drops_its_sender() {
    let keys = coop().keys();
    let (mallory, alice) = (id(66), id(3));
    let alices_tag = keys.admit(&alice.public_key());
    let mallorys_foreign_tag = theirs().admit(&mallory.public_key());
    let payment = |who: &Identity, seq: u64, parents: Vec<EventId>, tag: &[u8; 64], n: u8| {
        who.seal(
            draft(seq, parents, pay(key(2), 1, "EUR")),
            &keys,
            tag,
            &[n; 24],
        )
    };
    let alices_first = payment(&alice, 1, vec![], &alices_tag, 1);
    let alices_foreign_tag = theirs().admit(&alice.public_key());
    let unknown = EventId([5; 32]);
    // (the case, what the peer sends first, the forged event)
    let cases: [(&str, Vec<Event>, Event); 4] = [
        (
            "another network's tag",
            vec![],
            payment(&mallory, 1, vec![], &mallorys_foreign_tag, 2),
        ),
        (
            "a member's tag under a stranger's key",
            vec![],
            payment(&mallory, 1, vec![], &alices_tag, 3),
        ),
        (
            "an orphan under another network's tag",
            vec![],
            payment(&mallory, 2, vec![unknown], &mallorys_foreign_tag, 4),
        ),
        (
            "a member's next event under another network's tag",
            vec![alices_first.clone()],
            payment(&alice, 2, vec![alices_first.id()], &alices_foreign_tag, 5),
        ),
    ];
    for (case, before, forged) in cases {
        let h = member(1).await;
        let p = member(2).await;
        for n in 0..20 {
            p.publish(n, pay(key(9), 1, "EUR")).await.unwrap();
        }
        let mut honest = Exchange::new(vec![("h", &h), ("p", &p)]);
        honest.link(0, 1);
        let _ = h.connect_peer("x", [9; 16]);
        let mut x = Attacker::new();
        if !before.is_empty() {
            for frame in x.events(&before) {
                h.from_peer("x", &frame).await.expect("a member's event");
            }
        }
        let mut refused = Vec::new();
        for frame in x.events([&forged]) {
            match h.from_peer("x", &frame).await {
                Ok(_) => {}
                Err(PeerError::InvalidEvent(e)) => refused.push(e),
                Err(e) => panic!("{case}: {e}"),
            }
        }
        assert_eq!(refused, [Error::Event(EventError::NotAdmitted)], "{case}");
        assert_eq!(refused[0].code(), "not_admitted");
        assert!(
            !h.connected_peers().contains(&"x".to_owned()),
            "{case}: x dropped"
        );
        assert_eq!(h.orphans(), 0, "{case}: nothing of x waits");
        assert!(!h.replica().log().contains(&forged.id()), "{case}");
        honest.settle().await;
        assert!(honest.dropped.is_empty(), "{case}: {:?}", honest.dropped);
        let expected: BTreeSet<EventId> = (p.replica().log().topological())
            .chain(&before)
            .map(Event::id)
            .collect();
        assert_eq!(
            stored_ids(&h).await,
            expected,
            "{case}: nothing forged stored"
        );
        assert_eq!(h.replica().log().len(), expected.len(), "{case}");
    }
}

/// A member's chain: unreadable (sealed under another key), a zero amount,
/// a payment of 100 that counts, a reversal its author may not make (it
/// was not paid), a payment of 7 that counts — each a child of the one
/// before. With the void verdicts expected.
fn alices_chain() -> (Vec<Event>, BTreeMap<EventId, &'static str>) {
    let keys = coop().keys();
    let alice: Identity = id(3);
    let tag = keys.admit(&alice.public_key());
    let seal = |d: Draft, keys: &NetworkKeys, n: u8| alice.seal(d, keys, &tag, &[n; 24]);
    let unreadable = seal(draft(1, vec![], transfer(50, "lost", None)), &theirs(), 1);
    let zero = seal(
        draft(2, vec![unreadable.id()], transfer(0, "", None)),
        &keys,
        2,
    );
    let counts = seal(
        draft(3, vec![zero.id()], transfer(100, "rent", None)),
        &keys,
        3,
    );
    let reversal = transfer(50, "", Some(counts.id()));
    let bad_reversal = seal(draft(4, vec![counts.id()], reversal), &keys, 4);
    let after = seal(
        draft(5, vec![bad_reversal.id()], transfer(7, "", None)),
        &keys,
        5,
    );
    let voids = BTreeMap::from([
        (unreadable.id(), "undecryptable_body"),
        (zero.id(), "zero_amount"),
        (bad_reversal.id(), "bad_reversal"),
    ]);
    (vec![unreadable, zero, counts, bad_reversal, after], voids)
}

/// What a member made of the chain: its void verdicts, its state digest
/// and what it holds; and that the payments around the voids count.
fn verdict(node: &Node<MemoryStore>) -> (BTreeMap<EventId, String>, Digest, usize) {
    let replica = node.replica();
    let log = replica.log();
    let voids = (log.voids().iter())
        .map(|&ix| log.entry(ix).event())
        .map(|e| (e.id(), e.void().expect("a void event").code().to_owned()))
        .collect();
    assert_eq!(replica.view().balance(log, &key(2), "EUR"), 107);
    (voids, replica.view().state_digest(log), log.len())
}

/// Void events are not the fault of whoever passes them on: a peer
/// sending a member's chain with three void events in it, in any order,
/// one per frame or all in one, is never dropped, and every member ends
/// with the same verdicts and digest, the void events kept and their
/// children counted. Members passing the chain on through their sessions
/// (a – b – c) are not dropped either, and a member reopened from its
/// store reaches the same verdict.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn a_member_passing_on_void_events_is_not_dropped_and_every_member_reaches_one_verdict() {
    let (chain, expected_voids) = alices_chain();
    let expected_voids: BTreeMap<EventId, String> = (expected_voids.into_iter())
        .map(|(id, code)| (id, code.to_owned()))
        .collect();
    let all: BTreeSet<EventId> = chain.iter().map(Event::id).collect();
    let mut digests = BTreeSet::new();
    for order in permutations(chain.len()) {
        for one_per_frame in [true, false] {
            let a = member(11).await;
            let _ = a.connect_peer("x", [1; 16]);
            let mut x = Attacker::new();
            let ordered: Vec<&Event> = order.iter().map(|&i| &chain[i]).collect();
            let frames: Vec<Vec<u8>> = match one_per_frame {
                true => ordered.iter().flat_map(|e| x.events([*e])).collect(),
                false => x.events(ordered.iter().copied()),
            };
            for frame in frames {
                let out = a.from_peer("x", &frame).await;
                let out = out.unwrap_or_else(|e| panic!("order {order:?}: x dropped: {e}"));
                assert!(out.dropped.is_empty());
            }
            let (voids, digest, len) = verdict(&a);
            assert_eq!(voids, expected_voids, "order {order:?}");
            assert_eq!(len, chain.len());
            assert_eq!(stored_ids(&a).await, all, "void events are kept");
            digests.insert(digest);
        }
    }
    assert_eq!(digests.len(), 1, "one state whatever the order");

    let (a, b, c) = (member(11).await, member(12).await, member(13).await);
    let bytes: Vec<&[u8]> = chain.iter().map(Event::bytes).collect();
    a.receive_batch(&bytes).await.unwrap();
    let mut exchange = Exchange::new(vec![("a", &a), ("b", &b), ("c", &c)]);
    exchange.link(0, 1);
    exchange.link(1, 2);
    exchange.settle().await;
    assert!(exchange.dropped.is_empty(), "{:?}", exchange.dropped);
    drop(exchange);
    for node in [&a, &b, &c] {
        let (voids, digest, _) = verdict(node);
        assert_eq!(voids, expected_voids);
        assert!(digests.contains(&digest));
        assert_eq!(stored_ids(node).await, all);
    }
    let (reopened, _) = Node::open_in(c.into_store(), Some(coop()), None, || [13; 32])
        .await
        .unwrap();
    let (voids, digest, _) = verdict(&reopened);
    assert_eq!(voids, expected_voids);
    assert!(digests.contains(&digest), "the same verdict from the store");
}

/// What the members write that nobody else may read.
const SECRETS: [&str; 6] = [
    "rent for the blue room",
    "the spare key is under the mat",
    "Ada Lovelace",
    "tenants",
    "flat-3",
    "Maple Street coop",
];

/// Two members, a node of another private network and a node of an open
/// network, each linked to every other and each with events of its own.
/// The members sync with each other; the others are refused by the
/// members (`not_admitted`) and refuse them (`not_admitted`,
/// `sealed_in_open_network`). Every byte the outsiders received holds
/// none of the members' memo, record text, names or network name — though
/// the members' events reached them — and they store none of it.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn outsiders_in_the_same_exchange_read_nothing_and_store_nothing() {
    let a = member(21).await;
    let b = member(22).await;
    let other_network = Invite::new([0x99; 32], "theirs").unwrap();
    let stranger = sim::open_in(MemoryStore::new(), 23, Some(&other_network)).await;
    let open = sim::open_in(MemoryStore::new(), 24, None).await;
    let rent = a.publish(1, transfer(30, SECRETS[0], None)).await.unwrap();
    {
        let mut replica = a.replica_mut();
        replica.create_record("tenants", "flat-3").unwrap();
        replica
            .set_text("tenants", "flat-3", "note", SECRETS[1])
            .unwrap();
        let name = Scalar::Str(SECRETS[2].into());
        replica
            .set_field("tenants", "flat-3", "name", name)
            .unwrap();
    }
    let record = a.commit(2).await.unwrap();
    assert_eq!(record.len(), 1);
    b.publish(3, pay(key(5), 4, "EUR")).await.unwrap();
    stranger.publish(4, pay(key(5), 6, "EUR")).await.unwrap();
    open.publish(5, pay(key(5), 8, "EUR")).await.unwrap();
    let (strangers_own, opens_own) = (own(&stranger), own(&open));

    let nodes = vec![("a", &a), ("b", &b), ("s", &stranger), ("o", &open)];
    let mut exchange = Exchange::new(nodes);
    for (x, y) in [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)] {
        exchange.link(x, y);
    }
    exchange.settle().await;

    // Nothing readable reached the outsiders, though the members' events did.
    for (n, name, kept) in [(2, "s", &strangers_own), (3, "o", &opens_own)] {
        let received = &exchange.received[n];
        let bytes: Vec<u8> = received.concat();
        for secret in SECRETS {
            let found = bytes.windows(secret.len()).any(|w| w == secret.as_bytes());
            assert!(!found, "{name} received {secret:?}");
        }
        let mut framer = Framer::default();
        let carried: Vec<u8> = (received.iter())
            .filter_map(|f| match framer.decode(f) {
                Ok(Some(Message::Events { events, .. })) => Some(events),
                _ => None,
            })
            .flatten()
            .collect();
        let reached = |e: &Event| carried.windows(e.bytes().len()).any(|w| w == e.bytes());
        assert!(
            reached(&rent) && reached(&record[0]),
            "{name} got the members' events"
        );
        let node = exchange.nodes[n].1;
        assert_eq!(
            &stored_ids(node).await,
            kept,
            "{name} stored nothing of theirs"
        );
        assert_eq!(&own(node), kept);
    }
    // The members hold each other's events, and read them.
    assert_eq!(own(&a), own(&b));
    assert_eq!(own(&a).len(), 3);
    let replica = b.replica();
    let paid = replica.log().get(&rent.id()).unwrap();
    assert!(matches!(paid.body(), Body::Transfer(t) if t.memo == SECRETS[0]));
    drop(replica);
    // Every link with an outsider was dropped by both sides, with the typed
    // error: no member drops a member.
    let dropped: BTreeSet<(&str, &str, &str)> = (exchange.dropped.iter())
        .map(|(by, peer, e)| (*by, *peer, e.code()))
        .collect();
    let expected = BTreeSet::from([
        ("a", "s", "not_admitted"),
        ("b", "s", "not_admitted"),
        ("a", "o", "not_admitted"),
        ("b", "o", "not_admitted"),
        ("s", "a", "not_admitted"),
        ("s", "b", "not_admitted"),
        ("o", "a", "sealed_in_open_network"),
        ("o", "b", "sealed_in_open_network"),
        ("s", "o", "not_admitted"),
        ("o", "s", "sealed_in_open_network"),
    ]);
    assert_eq!(dropped, expected);
}

/// The events `node` holds.
fn own(node: &Node<MemoryStore>) -> BTreeSet<EventId> {
    node.replica().log().topological().map(Event::id).collect()
}

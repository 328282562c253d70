//! Hostile peers against the real node code (`Node::from_peer`, the
//! orphan buffer, batch validation, the session's bounds): a flood of
//! orphans, repeats of refused events, chains invalid against their
//! parents split across batches in every way, Hellos asking for
//! everything again and again, and 10,000 valid forks. The attacker is
//! dropped for what is invalid and held to its bounds for the rest; honest
//! peers connected at the same time sync completely; the store holds
//! exactly the valid closure of what arrived.
//!
//! The invalid chains and the valid closure also run in a private network
//! (sealed events): there a forged admission tag makes a chain invalid,
//! while an exclusion of a trust statement only makes its event void —
//! stored, counting for nothing, its child valid.
//!
//! `TRUSTFOLD_SCALE=full` runs the flood at 1,000,000 orphans
//! (`make test-heavy`; the figures are in BENCHMARKS.md).
#![cfg(not(target_arch = "wasm32"))]

#[path = "common/attacker.rs"]
mod attacker;
mod common;
#[path = "common/sim.rs"]
mod sim;

use attacker::{Attacker, open, payment_in, sign, sign_in};

use common::{exclude, id, key, pay, permutations, trust};
use sim::{Rng, scale, seeds};
use std::collections::{BTreeSet, VecDeque};
use std::time::Instant;
use trustfold::invite::{Invite, NetworkKeys};
use trustfold::store::{MemoryStore, Store};
use trustfold::sync::{Bloom, Framer, MAX_HELLO_HEADS, Message, OrphanLimits};
use trustfold::{
    Draft, Event, EventId, Identity, Network, Node, PeerError, Policy, Replica, TrustLevel,
};

/// Delivers frames between two honest nodes until both are quiet;
/// returns the frames delivered.
async fn settle(
    a: (&str, &Node<MemoryStore>),
    b: (&str, &Node<MemoryStore>),
    queue: &mut VecDeque<(bool, Vec<u8>)>,
) -> usize {
    let mut delivered = 0;
    while let Some((to_b, frame)) = queue.pop_front() {
        delivered += 1;
        let (from, to) = if to_b { (a, b) } else { (b, a) };
        let out = to.1.from_peer(from.0, &frame).await.unwrap();
        queue.extend(out.send.into_iter().map(|(_, f)| (!to_b, f)));
    }
    delivered
}

fn connect(
    a: (&str, &Node<MemoryStore>),
    b: (&str, &Node<MemoryStore>),
    salt: u8,
) -> VecDeque<(bool, Vec<u8>)> {
    let mut queue = VecDeque::new();
    queue.extend(
        a.1.connect_peer(b.0, [salt; 16])
            .into_iter()
            .map(|(_, f)| (true, f)),
    );
    queue.extend(
        b.1.connect_peer(a.0, [salt + 1; 16])
            .into_iter()
            .map(|(_, f)| (false, f)),
    );
    queue
}

async fn stored_ids<S: Store>(node: &Node<S>) -> BTreeSet<EventId> {
    node.store()
        .load_events()
        .await
        .unwrap()
        .events
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

#[pollster::test]
async fn an_orphan_flood_never_keeps_an_honest_peers_chain_out() {
    let orphans = scale(20_000, 1_000_000);
    let chain = 3_000;
    let h = open(1).await;
    let p = open(2).await;
    for n in 0..chain {
        p.publish(n, pay(key(9), 1, "EUR")).await.unwrap();
    }
    let _ = h.connect_peer("x", [9; 16]);
    let mut honest = connect(("h", &h), ("p", &p), 1);
    let flooder = Identity::from_secret([77; 32]);
    let mut x = Attacker::new();
    let mut rng = Rng(5);
    let per_frame = 300;
    let limits = OrphanLimits::default();
    let (mut sent_to_x, mut received_from_x) = (0usize, 0usize);
    // Only the node's work is timed, not the attacker's signing.
    let mut flood_took = std::time::Duration::ZERO;
    // The last 40 frames: the oldest of them were evicted recently.
    let mut recent: VecDeque<Vec<u8>> = VecDeque::new();
    for batch in 0..orphans.div_ceil(per_frame) {
        let events: Vec<Event> = (0..per_frame)
            .map(|i| {
                let fake = EventId(rng.salt().repeat(2).try_into().unwrap());
                sign(&flooder, 2, vec![fake], (batch * per_frame + i) as u64)
            })
            .collect();
        for frame in x.events(&events) {
            received_from_x += frame.len();
            let started = Instant::now();
            let out = h
                .from_peer("x", &frame)
                .await
                .expect("valid orphans never drop a peer");
            flood_took += started.elapsed();
            sent_to_x += out.send.iter().map(|(_, f)| f.len()).sum::<usize>();
            recent.push_back(frame);
            if recent.len() > 40 {
                recent.pop_front();
            }
        }
        assert!(
            h.orphans() <= limits.per_peer,
            "{} orphans held",
            h.orphans()
        );
        // The honest peer's traffic moves one step per flood frame.
        if let Some((to_b, frame)) = honest.pop_front() {
            let (from, to) = if to_b {
                (("h", &h), ("p", &p))
            } else {
                (("p", &p), ("h", &h))
            };
            let out = to.1.from_peer(from.0, &frame).await.unwrap();
            honest.extend(out.send.into_iter().map(|(_, f)| (!to_b, f)));
        }
    }
    // Repeats of what was refused (evicted) lately: a hash and a decode
    // each, no signature check.
    let repeated: Vec<Vec<u8>> = recent.into_iter().take(16).collect();
    let mut x2 = Attacker {
        seq: x.seq,
        framer: Framer::default(),
    };
    let mut repeats_took = std::time::Duration::ZERO;
    for frame in &repeated {
        let Ok(Some(Message::Events { events, .. })) = Framer::default().decode(frame) else {
            continue;
        };
        x2.seq += 1;
        for again in x2.framer.encode(&Message::Events {
            seq: x2.seq,
            events,
        }) {
            received_from_x += again.len();
            let started = Instant::now();
            let out = h
                .from_peer("x", &again)
                .await
                .expect("repeats never drop a peer");
            repeats_took += started.elapsed();
            sent_to_x += out.send.iter().map(|(_, f)| f.len()).sum::<usize>();
        }
    }
    settle(("h", &h), ("p", &p), &mut honest).await;
    assert_eq!(
        h.replica().log().len(),
        chain as usize,
        "every honest event arrived"
    );
    assert_eq!(
        stored_ids(&h).await.len(),
        chain as usize,
        "no orphan is stored"
    );
    assert!(h.orphans() <= limits.per_peer);
    assert!(
        sent_to_x <= received_from_x / 4,
        "{sent_to_x} B sent for {received_from_x} B"
    );
    println!(
        "{orphans} orphans ({received_from_x} B) in {flood_took:?} ({:.1} µs each); {} repeats in {repeats_took:?} ({:.1} µs each); {sent_to_x} B sent back; {} held",
        flood_took.as_secs_f64() * 1e6 / orphans as f64,
        repeated.len() * per_frame,
        repeats_took.as_secs_f64() * 1e6 / (repeated.len() * per_frame) as f64,
        h.orphans()
    );
}

/// A valid chain with an invalid event and its child, in two variants: a
/// seq jump, and an exclusion of a trust statement — in a private network
/// (`keys`) a tag forged by a member instead, since there the exclusion
/// only makes its event void (see [`void_chain`]).
fn invalid_chains(keys: Option<&NetworkKeys>) -> Vec<(Vec<Event>, usize)> {
    let x = id(40);
    let e1 = payment_in(keys, &x, 1, vec![], 1);
    let e2 = payment_in(keys, &x, 2, vec![e1.id()], 2);
    let jump = payment_in(keys, &x, 4, vec![e2.id()], 3);
    let child = payment_in(keys, &x, 5, vec![jump.id()], 4);
    let second = match keys {
        None => void_chain(None),
        Some(keys) => {
            let y = id(41);
            let good = payment_in(Some(keys), &y, 1, vec![], 1);
            let other_network = Invite::new([0x99; 32], "theirs").unwrap().keys();
            let forged = sign_in(
                Some(keys),
                &y,
                Draft {
                    seq: 2,
                    parents: vec![good.id()],
                    time: 2,
                    body: pay(key(9), 1, "EUR"),
                },
                Some(other_network.admit(&y.public_key())),
            );
            let forged_child = payment_in(Some(keys), &y, 3, vec![forged.id()], 3);
            vec![good, forged, forged_child]
        }
    };
    // (events, how many of the first are valid)
    vec![(vec![e1, e2, jump, child], 2), (second, 1)]
}

/// A trust statement, an exclusion of it (invalid when clear, void when
/// sealed: `keys`) and a payment after it.
fn void_chain(keys: Option<&NetworkKeys>) -> Vec<Event> {
    let x = id(40);
    let draft = |seq: u64, parents: Vec<EventId>, body| Draft {
        seq,
        parents,
        time: seq,
        body,
    };
    let t = sign_in(
        keys,
        &x,
        draft(1, vec![], trust(key(3), TrustLevel::Trusted)),
        None,
    );
    let bad = sign_in(
        keys,
        &x,
        draft(2, vec![t.id()], exclude(t.id(), "no")),
        None,
    );
    let child = payment_in(keys, &x, 3, vec![bad.id()], 3);
    vec![t, bad, child]
}

#[pollster::test]
async fn an_invalid_chain_split_across_batches_in_any_way_drops_its_sender_and_is_never_stored() {
    invalid_chain_split_across_batches_in_any_way(None).await;
}

#[pollster::test]
async fn a_private_networks_invalid_chain_split_in_any_way_drops_its_sender_and_is_never_stored() {
    invalid_chain_split_across_batches_in_any_way(Some(&sim::private_network())).await;
}

/// Every order and split of [`invalid_chains`] to a node of the network of `invite`.
async fn invalid_chain_split_across_batches_in_any_way(invite: Option<&Invite>) {
    let keys = invite.map(Invite::keys);
    let mut cases = 0;
    for (chain, valid) in invalid_chains(keys.as_ref()) {
        let valid_ids: BTreeSet<EventId> = chain[..valid].iter().map(Event::id).collect();
        for order in permutations(chain.len()) {
            // Every split into consecutive batches: a bit per gap.
            for cuts in 0..1u32 << (chain.len() - 1) {
                cases += 1;
                let h = sim::open_in(MemoryStore::new(), 1, invite).await;
                let _ = h.connect_peer("x", [1; 16]);
                let mut x = Attacker::new();
                let mut batch: Vec<&Event> = Vec::new();
                let mut dropped = false;
                for (i, &at) in order.iter().enumerate() {
                    batch.push(&chain[at]);
                    if i + 1 == order.len() || cuts & (1 << i) != 0 {
                        for frame in x.events(batch.drain(..)) {
                            match h.from_peer("x", &frame).await {
                                Ok(_) => {}
                                Err(PeerError::InvalidEvent(e)) => {
                                    let by_network =
                                        ["not_admitted", "missing_previous", "invalid_parent"];
                                    assert!(
                                        invite.is_none() || by_network.contains(&e.code()),
                                        "{}",
                                        e.code()
                                    );
                                    dropped = true
                                }
                                Err(e) => panic!("{e}"),
                            }
                        }
                        if dropped {
                            break;
                        }
                    }
                }
                let stored = stored_ids(&h).await;
                assert!(stored.is_subset(&valid_ids), "only valid events are stored");
                assert_eq!(h.orphans(), 0, "nothing of a dropped peer waits");
                assert!(
                    dropped,
                    "order {order:?}, cuts {cuts:b}: the sender is dropped"
                );
                assert!(h.connected_peers().is_empty());
            }
        }
    }
    assert_eq!(cases, 24 * 8 + 6 * 4);
}

#[pollster::test]
async fn the_store_holds_exactly_the_valid_closure_of_what_arrived_whatever_the_batches() {
    valid_closure(&seeds(&[1, 2, 3]), None).await;
}

#[pollster::test]
async fn a_private_networks_store_holds_exactly_the_valid_closure_with_its_voids() {
    valid_closure(&seeds(&[4]), Some(&sim::private_network())).await;
}

/// The store of a node of the network of `invite` after honest chains,
/// invalid chains, void events (in a private network) and orphans arrive
/// shuffled in random batches: what a member replica admits, nothing else.
async fn valid_closure(seeds: &[u64], invite: Option<&Invite>) {
    let keys = invite.map(Invite::keys);
    let keys = keys.as_ref();
    for &seed in seeds {
        let mut rng = Rng(seed);
        for case in 0..60 {
            let mut events: Vec<Event> = Vec::new();
            // Three honest chains that see each other.
            let authors = [id(50), id(51), id(52)];
            let mut last: [Option<Event>; 3] = [None, None, None];
            for n in 0..24 {
                let a = rng.below(3) as usize;
                let mut parents: Vec<EventId> = last[a].iter().map(Event::id).collect();
                if let Some(other) = &last[rng.below(3) as usize]
                    && !parents.contains(&other.id())
                {
                    parents.push(other.id());
                }
                parents.sort();
                let seq = last[a].as_ref().map_or(1, |e| e.seq() + 1);
                let event = payment_in(keys, &authors[a], seq, parents, n);
                last[a] = Some(event.clone());
                events.push(event);
            }
            // Invalid ones with children, void ones (sealed) with children,
            // and orphans whose parents never come.
            for (chain, _) in invalid_chains(keys) {
                events.extend(chain);
            }
            if keys.is_some() {
                events.extend(void_chain(keys));
            }
            for n in 0..4 {
                let fake = EventId(rng.salt().repeat(2).try_into().unwrap());
                events.push(payment_in(keys, &id(60), 2, vec![fake], n));
            }
            // What any node must end with: a member's verdict, parents first.
            let network = match invite {
                Some(invite) => Network::private(invite.clone(), [2; 32]),
                None => Network::Open,
            };
            let mut reference = Replica::new(Policy::new(key(1))).in_network(network);
            for event in trustfold::causal_order(events.clone()) {
                let _ = reference.ingest(event.bytes());
            }
            let reference = reference.log();
            let expected: BTreeSet<EventId> = reference.topological().map(Event::id).collect();
            assert_eq!(reference.voids().len(), usize::from(keys.is_some()));
            // Shuffled, split at random, some sent twice.
            for i in (1..events.len()).rev() {
                events.swap(i, rng.below(i as u64 + 1) as usize);
            }
            let h = sim::open_in(MemoryStore::new(), 1, invite).await;
            let mut at = 0;
            while at < events.len() {
                let size = 1 + rng.below(8) as usize;
                let batch: Vec<&[u8]> = events[at..(at + size).min(events.len())]
                    .iter()
                    .map(|e| e.bytes())
                    .collect();
                h.receive_batch(&batch).await.unwrap();
                if rng.chance(20) {
                    h.receive_batch(&batch).await.unwrap();
                }
                at += size;
            }
            assert_eq!(stored_ids(&h).await, expected, "seed {seed}, case {case}");
            let applied: BTreeSet<EventId> =
                h.replica().log().topological().map(Event::id).collect();
            assert_eq!(applied, expected);
            let voids = |log: &trustfold::Log| -> BTreeSet<EventId> {
                log.voids()
                    .iter()
                    .map(|&ix| log.entry(ix).event().id())
                    .collect()
            };
            assert_eq!(voids(h.replica().log()), voids(reference));
        }
    }
}

#[pollster::test]
async fn hellos_asking_for_everything_again_get_each_event_once() {
    let h = open(1).await;
    for n in 0..2_000 {
        h.publish(n, pay(key(9), 1, "EUR")).await.unwrap();
    }
    let log_bytes: usize = h
        .replica()
        .log()
        .topological()
        .map(|e| e.bytes().len())
        .sum();
    let _ = h.connect_peer("x", [1; 16]);
    let mut x = Attacker::new();
    let mut sent = 0usize;
    let mut received = 0usize;
    let mut through = 0u32;
    for _ in 0..50 {
        let hello = Message::Hello {
            heads: vec![],
            filter: Bloom::new(0, [0; 16]),
        };
        for frame in x.say(&hello).into_iter().chain(x.say(&Message::Ack {
            through,
            held: vec![],
            lost: false,
        })) {
            received += frame.len();
            let out = h.from_peer("x", &frame).await.unwrap();
            for (_, f) in out.send {
                sent += f.len();
                if let Ok(Some(Message::Events { seq, .. })) = Framer::default().decode(&f) {
                    through = through.max(seq);
                }
            }
        }
    }
    println!(
        "50 Hellos ({received} B) asking for everything: {sent} B sent, the log is {log_bytes} B"
    );
    assert!(
        sent <= log_bytes + 50 * 64 + 4096,
        "{sent} B for a {log_bytes} B log"
    );
}

#[pollster::test]
async fn ten_thousand_forks_by_one_author_converge_and_hellos_stay_small() {
    let forks = scale(10_000, 10_000);
    let forker = id(70);
    let events: Vec<Event> = (0..forks)
        .map(|n| sign(&forker, 1, vec![], n as u64))
        .collect();
    let a = open(1).await;
    let b = open(2).await;
    let c = open(3).await;
    let half: Vec<&[u8]> = events[..forks / 2].iter().map(|e| e.bytes()).collect();
    let rest: Vec<&[u8]> = events[forks / 2..].iter().map(|e| e.bytes()).collect();
    a.receive_batch(&half).await.unwrap();
    c.receive_batch(&rest).await.unwrap();
    assert_eq!(
        a.replica().log().forks().len(),
        1,
        "one proof per (author, seq)"
    );
    // a – b – c: every frame delivered, every Hello measured.
    let nodes = [("a", &a), ("b", &b), ("c", &c)];
    let mut queue: VecDeque<(usize, usize, Vec<u8>)> = VecDeque::new();
    for (x, y) in [(0, 1), (1, 2)] {
        queue.extend(
            nodes[x]
                .1
                .connect_peer(nodes[y].0, [x as u8; 16])
                .into_iter()
                .map(|(_, f)| (x, y, f)),
        );
        queue.extend(
            nodes[y]
                .1
                .connect_peer(nodes[x].0, [y as u8; 16])
                .into_iter()
                .map(|(_, f)| (y, x, f)),
        );
    }
    let mut largest_hello = 0;
    while let Some((from, to, frame)) = queue.pop_front() {
        if let Ok(Some(Message::Hello { heads, .. })) = Framer::default().decode(&frame) {
            assert!(heads.len() <= MAX_HELLO_HEADS);
            largest_hello = largest_hello.max(frame.len());
        }
        let out = nodes[to]
            .1
            .from_peer(nodes[from].0, &frame)
            .await
            .expect("nobody is dropped");
        for (peer, f) in out.send {
            let next = nodes.iter().position(|(n, _)| *n == peer).unwrap();
            queue.push_back((to, next, f));
        }
    }
    for node in [&a, &b, &c] {
        assert_eq!(node.replica().log().len(), forks);
        assert!(node.replica().log().is_forked(&forker.public_key()));
    }
    // Equal as structures, whatever each saw first.
    let proof = |n: &Node<MemoryStore>| n.replica().log().forks().to_vec();
    assert!(
        proof(&a) == proof(&b) && proof(&b) == proof(&c),
        "one proof everywhere"
    );
    // 64 heads and a filter of at most 32 KiB.
    println!("{forks} forks: largest Hello {largest_hello} B");
    assert!(largest_hello <= 36 * 1024, "a Hello of {largest_hello} B");
}

/// A peer dropped through `from_peer` (valid events, then a forged one,
/// in one batch) leaves its valid events stored and counted as sent to no
/// one: the `Err` carries no frames, so nothing may be forwarded. A first
/// version forwarded them and threw the frames away with the error: the
/// other peers' sessions counted them as sent (a round never sent them
/// again) and, with only an `Ack` freeing the window, a window of them
/// shut an honest link for good (an attacker's review).
#[pollster::test]
async fn a_peer_dropped_through_from_peer_leaves_nothing_counted_as_sent() {
    let (a, _) = Node::open(MemoryStore::new(), || [1; 32]).await.unwrap();
    let (c, _) = Node::open(MemoryStore::new(), || [3; 32]).await.unwrap();
    let mut queue = connect(("a", &a), ("c", &c), 1);
    settle(("a", &a), ("c", &c), &mut queue).await;
    let _ = a.connect_peer("m", [7; 16]);
    let (valid, frame) = common::valid_then_forged();
    assert!(a.from_peer("m", &frame).await.is_err(), "m dropped");
    assert!(
        a.replica().log().contains(&valid.id()),
        "the valid event kept"
    );
    assert_eq!(a.unsent("c"), Some(0), "counted as sent to c, never sent");
    // c's next round (its timer) brings it.
    let mut queue: VecDeque<(bool, Vec<u8>)> = c
        .resync_peers(|| [9; 16])
        .into_iter()
        .map(|(_, f)| (false, f))
        .collect();
    settle(("a", &a), ("c", &c), &mut queue).await;
    assert!(
        c.replica().log().contains(&valid.id()),
        "c's round did not bring it"
    );
}

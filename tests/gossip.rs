//! Lazy push against a hostile or flaky peer (issue #18), through the real
//! `Node` and its sessions: each test is an attack an adversarial review of
//! the change found, and failed before its fix.
#![cfg(not(target_arch = "wasm32"))]

mod common;

use common::{key, pay};
use trustfold::store::MemoryStore;
use trustfold::sync::{Bloom, Framer, Message, Outgoing};
use trustfold::{Draft, EventId, Identity, Node};

fn node(n: u8) -> Node<MemoryStore> {
    pollster::block_on(Node::open(MemoryStore::new(), || [n; 32]))
        .unwrap()
        .0
}

fn frames(m: &Message) -> Vec<Vec<u8>> {
    Framer::default().encode(m)
}

fn feed(node: &Node<MemoryStore>, peer: &str, m: &Message) -> Outgoing<String> {
    let mut out = Vec::new();
    for f in frames(m) {
        out.extend(
            pollster::block_on(node.from_peer(peer, &f))
                .expect("not dropped")
                .send,
        );
    }
    out
}

fn to(out: &Outgoing<String>, peer: &str) -> Vec<Message> {
    let mut framer = Framer::default();
    out.iter()
        .filter(|(p, _)| p == peer)
        .filter_map(|(_, f)| framer.decode(f).unwrap())
        .collect()
}

fn bytes_to(out: &Outgoing<String>, peer: &str) -> usize {
    out.iter()
        .filter(|(p, _)| p == peer)
        .map(|(_, f)| f.len())
        .sum()
}

fn size(m: &Message) -> usize {
    frames(m).iter().map(Vec::len).sum()
}

fn fake_id(n: u64) -> EventId {
    let mut bytes = [3; 32];
    bytes[..8].copy_from_slice(&n.to_le_bytes());
    EventId(bytes)
}

#[test]
fn the_relay_stays_eager_across_its_reconnections() {
    let page = node(1);
    page.connect_peer("relay", [1; 16]);
    page.pin_eager("relay");
    let mut events = Vec::new();
    for time in 0..3 {
        let e = pollster::block_on(page.publish(time, pay(key(200), 1, "EUR"))).unwrap();
        page.push_to_peers(std::slice::from_ref(&e));
        events.push(e);
    }
    // The relay's link drops and comes back; the relay floods back what
    // the page holds.
    page.disconnect_peer("relay");
    page.connect_peer("relay", [2; 16]);
    feed(&page, "relay", &Message::Answered { more: false });
    for (n, e) in events.iter().enumerate() {
        let m = Message::Events {
            seq: n as u32 + 1,
            events: e.bytes().to_vec(),
        };
        feed(&page, "relay", &m);
    }
    assert!(page.is_eager("relay"));
    let e = pollster::block_on(page.publish(9, pay(key(200), 1, "EUR"))).unwrap();
    let sent = to(&page.push_to_peers(&[e]), "relay");
    assert!(
        sent.iter().any(|m| matches!(m, Message::Events { .. })),
        "pushed in full, not announced: {sent:?}"
    );
}

#[test]
fn a_peer_that_announces_what_it_never_serves_is_not_heard_for_long_even_if_it_resends_an_orphan() {
    let page = node(1);
    page.connect_peer("m", [1; 16]);
    feed(&page, "m", &Message::Answered { more: false });
    let liar = Identity::from_secret([77; 32]);
    // Valid, signed, with a parent nobody has: held apart, not refused.
    let orphan = liar
        .sign(Draft {
            seq: 2,
            parents: vec![EventId([0xee; 32])],
            time: 5,
            body: pay(key(201), 1, "EUR"),
        })
        .bytes()
        .to_vec();
    let (mut now, mut seq, mut n) = (0, 0, 0);
    let (mut received, mut sent) = (0, 0);
    for _ in 0..40 {
        let have = Message::Have {
            ids: (0..2048)
                .map(|_| {
                    n += 1;
                    fake_id(n)
                })
                .collect(),
        };
        received += size(&have);
        feed(&page, "m", &have);
        for _ in 0..2 {
            now += 250;
            sent += bytes_to(&page.tick_peers(now), "m");
        }
        seq += 1;
        let again = Message::Events {
            seq,
            events: orphan.clone(),
        };
        received += size(&again);
        feed(&page, "m", &again);
    }
    assert!(page.gossip_stats().ignored > 0, "{:?}", page.gossip_stats());
    assert!(
        sent * 2 < received,
        "pulls sent {sent} B for {received} B of announcements"
    );
}

#[test]
fn pulls_do_not_make_a_node_send_the_same_events_again_and_again() {
    let page = node(1);
    page.connect_peer("m", [1; 16]);
    feed(&page, "m", &Message::Answered { more: false });
    let mut ids = Vec::new();
    for time in 0..300 {
        let e = pollster::block_on(page.publish(time, pay(key(200), 1, "EUR"))).unwrap();
        ids.push(e.id());
        page.push_to_peers(&[e]);
    }
    let head = *ids.last().unwrap();
    let (mut received, mut sent, mut through) = (0, 0, 0);
    for round in 0..10u8 {
        let mut out = Vec::new();
        for m in [
            Message::Hello {
                heads: vec![head],
                filter: Bloom::of(std::iter::empty(), [round; 16]),
            },
            Message::Pull { ids: ids.clone() },
        ] {
            received += size(&m);
            out.extend(feed(&page, "m", &m));
        }
        for m in to(&out, "m") {
            if let Message::Events { seq, .. } = m {
                through = through.max(seq);
            }
        }
        sent += bytes_to(&out, "m");
        let ack = Message::Ack {
            through,
            held: vec![],
            lost: false,
        };
        received += size(&ack);
        sent += bytes_to(&feed(&page, "m", &ack), "m");
    }
    assert!(
        sent <= 2 * received,
        "{sent} B sent for {received} B received"
    );
}

#[test]
fn announcers_that_never_serve_do_not_keep_an_honest_one_from_being_asked() {
    let page = node(1);
    let liars: Vec<String> = (0..8).map(|n| format!("m{n}")).collect();
    for p in liars.iter().map(String::as_str).chain(["h"]) {
        page.connect_peer(p, [1; 16]);
        feed(&page, p, &Message::Answered { more: false });
    }
    let mut now = 0;
    // Earlier announcements the liars never served.
    for (round, p) in liars.iter().enumerate() {
        feed(
            &page,
            p,
            &Message::Have {
                ids: vec![fake_id(1_000 + round as u64)],
            },
        );
    }
    for _ in 0..12 {
        now += 250;
        page.tick_peers(now);
    }
    let x = fake_id(1);
    for p in liars.iter().map(String::as_str).chain(["h"]) {
        feed(&page, p, &Message::Have { ids: vec![x] });
    }
    let mut asked_h = false;
    for _ in 0..12 {
        now += 250;
        let out = page.tick_peers(now);
        asked_h |= to(&out, "h")
            .iter()
            .any(|m| matches!(m, Message::Pull { ids } if ids.contains(&x)));
    }
    assert!(asked_h, "the honest announcer was never asked");
}

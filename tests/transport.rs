//! Transports: the conformance suite on the in-memory network and on
//! `Pair`s of them, nodes running the sync protocol over it
//! (`Node::sync_over`) while links come and go, and a `Pair`'s routing,
//! ending and forwarding between its sides.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;

use common::{key, pay};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use trustfold::store::MemoryStore;
use trustfold::transport::{MemoryNetwork, MemoryTransport, Pair, Transport, TransportEvent};
use trustfold::{Node, send_all};
use wasm_bindgen_test::wasm_bindgen_test;

/// Two in-memory transports linked to each other.
struct MemoryPair;

impl trustfold::testing::LinkedPair for MemoryPair {
    type Transport = MemoryTransport;
    async fn linked(&self) -> (MemoryTransport, MemoryTransport, String, String) {
        let net = MemoryNetwork::new();
        let (a, b) = (net.endpoint("a"), net.endpoint("b"));
        net.link("a", "b");
        (a, b, "b".to_owned(), "a".to_owned())
    }
}

trustfold::transport_conformance_tests!(memory, MemoryPair);

/// Two `Pair`s of memory transports (a "WebRTC" network and a "relay"
/// network), linked to each other through one side, while each also has
/// a link up on the other side to a third endpoint that stays silent.
struct PairOfPairs {
    through_second: bool,
}

type MemoryPairs = Pair<MemoryTransport, MemoryTransport>;

impl trustfold::testing::LinkedPair for PairOfPairs {
    type Transport = MemoryPairs;
    async fn linked(&self) -> (MemoryPairs, MemoryPairs, String, String) {
        let (webrtc, relay) = (MemoryNetwork::new(), MemoryNetwork::new());
        let a = Pair::new(webrtc.endpoint("1"), relay.endpoint("relay-a"));
        let b = Pair::new(webrtc.endpoint("2"), relay.endpoint("relay-b"));
        let _silent = (webrtc.endpoint("3"), relay.endpoint("relay-c"));
        if self.through_second {
            webrtc.link("1", "3");
            relay.link("relay-a", "relay-b");
            (a, b, "relay-b".into(), "relay-a".into())
        } else {
            relay.link("relay-a", "relay-c");
            webrtc.link("1", "2");
            (a, b, "2".into(), "1".into())
        }
    }
}

trustfold::transport_conformance_tests!(
    pair_linked_through_first,
    PairOfPairs {
        through_second: false
    }
);
trustfold::transport_conformance_tests!(
    pair_linked_through_second,
    PairOfPairs {
        through_second: true
    }
);

/// Every event queued now, in order (without waiting).
fn drain(t: &impl Transport) -> Vec<TransportEvent> {
    use futures_util::FutureExt;
    let mut events = Vec::new();
    while let Some(Some(event)) = t.next().now_or_never() {
        events.push(event);
    }
    events
}

fn up(peer: &str) -> TransportEvent {
    TransportEvent::Up(peer.into())
}

fn down(peer: &str) -> TransportEvent {
    TransportEvent::Down(peer.into())
}

fn frame(peer: &str, bytes: &[u8]) -> TransportEvent {
    TransportEvent::Frame(peer.into(), bytes.to_vec())
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn a_pair_routes_each_peer_to_its_side_and_refuses_an_id_live_on_the_other() {
    let (webrtc, relay) = (MemoryNetwork::new(), MemoryNetwork::new());
    let me = Pair::new(webrtc.endpoint("me"), relay.endpoint("me"));
    let (p_webrtc, p_relay, r) = (
        webrtc.endpoint("p"),
        relay.endpoint("p"),
        relay.endpoint("r"),
    );
    webrtc.set_key("p", key(1));
    relay.set_key("p", key(2));
    relay.set_key("r", key(3));
    webrtc.link("me", "p");
    assert_eq!(drain(&me), [up("p")]);
    relay.link("me", "r");
    assert_eq!(drain(&me), [up("r")]);
    assert_eq!(me.peer_key("p"), Some(key(1)));
    assert_eq!(me.peer_key("r"), Some(key(3)));

    // "p" comes up on the relay side too: refused there (closed on that
    // side, never reported), while the WebRTC "p" carries on.
    relay.link("me", "p");
    assert_eq!(drain(&me), [], "the colliding Up is not reported");
    assert_eq!(
        drain(&p_relay),
        [up("me"), down("me")],
        "closed on its side"
    );
    assert_eq!(me.peer_key("p"), Some(key(1)));
    me.send("p", b"to p".to_vec()).await.unwrap();
    me.send("r", b"to r".to_vec()).await.unwrap();
    assert_eq!(drain(&p_webrtc), [up("me"), frame("me", b"to p")]);
    assert_eq!(drain(&r), [up("me"), frame("me", b"to r")]);

    // Frames come back tagged with their peer; a peer up nowhere is not
    // connected; closing goes to the peer's side.
    p_webrtc.send("me", b"from p".to_vec()).await.unwrap();
    r.send("me", b"from r".to_vec()).await.unwrap();
    let mut frames = drain(&me);
    frames.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(frames, [frame("p", b"from p"), frame("r", b"from r")]);
    assert!(matches!(
        me.send("q", b"x".to_vec()).await,
        Err(trustfold::transport::TransportError::NotConnected(_))
    ));
    assert_eq!(me.peer_key("q"), None);
    me.close("r");
    assert_eq!(drain(&me), [down("r")]);
    assert_eq!(drain(&r), [down("me")]);
    assert_eq!(drain(&p_webrtc), [], "the other side's links stay up");

    // Once the WebRTC "p" is down, "p" may come up on the relay side.
    webrtc.cut("me", "p");
    assert_eq!(drain(&me), [down("p")]);
    relay.link("me", "p");
    assert_eq!(drain(&me), [up("p")]);
    assert_eq!(me.peer_key("p"), Some(key(2)));
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn a_pair_goes_on_when_one_side_shuts_down_and_ends_with_both() {
    let (webrtc, relay) = (MemoryNetwork::new(), MemoryNetwork::new());
    let me = Pair::new(webrtc.endpoint("me"), relay.endpoint("me"));
    let (p, q, r) = (
        webrtc.endpoint("p"),
        webrtc.endpoint("q"),
        relay.endpoint("relay"),
    );
    webrtc.link("me", "p");
    webrtc.link("me", "q");
    relay.link("me", "relay");
    let mut ups = drain(&me);
    ups.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(ups, [up("p"), up("q"), up("relay")]);

    // The WebRTC side shuts down (its peers hear nothing from it): the
    // pair reports its peers down and carries on with the relay.
    drop((p, q));
    webrtc.shut_down();
    r.send("me", b"still here".to_vec()).await.unwrap();
    let mut seen = vec![me.next().await.unwrap(), me.next().await.unwrap()];
    seen.push(me.next().await.unwrap());
    seen.sort_by_key(|e| format!("{e:?}"));
    assert_eq!(seen, [down("p"), down("q"), frame("relay", b"still here")]);
    assert!(me.send("p", b"x".to_vec()).await.is_err());
    me.send("relay", b"reply".to_vec()).await.unwrap();
    assert_eq!(drain(&r), [up("me"), frame("me", b"reply")]);

    relay.shut_down();
    assert_eq!(me.next().await, Some(down("relay")));
    assert_eq!(me.next().await, None);
    assert_eq!(me.next().await, None, "and stays ended");
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn a_pair_takes_turns_so_a_busy_side_never_starves_the_other() {
    let (webrtc, relay) = (MemoryNetwork::new(), MemoryNetwork::new());
    let me = Pair::new(webrtc.endpoint("me"), relay.endpoint("me"));
    let (p, r) = (webrtc.endpoint("p"), relay.endpoint("relay"));
    webrtc.link("me", "p");
    relay.link("me", "relay");
    assert_eq!(drain(&me).len(), 2);
    for n in 0..100u8 {
        p.send("me", vec![n]).await.unwrap();
    }
    r.send("me", b"relay".to_vec()).await.unwrap();
    let first: Vec<TransportEvent> = (0..2).map(|_| drain_one(&me)).collect();
    assert!(
        first.contains(&frame("relay", b"relay")),
        "the relay's frame waits behind 100 others: {first:?}"
    );
}

fn drain_one(t: &impl Transport) -> TransportEvent {
    use futures_util::FutureExt;
    t.next()
        .now_or_never()
        .flatten()
        .expect("an event is queued")
}

/// A node linked to browsers (WebRTC) and to a relay through a `Pair`
/// forwards between them: what a browser sends reaches the relay and what
/// the relay sends reaches the browser, through one `sync_over`.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn one_sync_over_a_pair_forwards_between_its_sides() {
    let (webrtc, relay) = (MemoryNetwork::new(), MemoryNetwork::new());
    let mut nodes = Vec::new();
    for n in 0..3u8 {
        nodes.push(
            Node::open(MemoryStore::new(), move || [n + 1; 32])
                .await
                .unwrap()
                .0,
        );
    }
    // 0: a browser reached over WebRTC only; 1: the relay; 2: the page in
    // the middle, on both.
    let browser = webrtc.endpoint("7");
    let server = relay.endpoint("relay");
    let middle = Pair::new(webrtc.endpoint("8"), relay.endpoint("page"));
    let salt = |n: u8| {
        let mut next = n;
        move || {
            next = next.wrapping_add(3);
            [next; 16]
        }
    };
    let drivers = futures_util::future::join3(
        nodes[0].sync_over(&browser, salt(1), |_| {}),
        nodes[1].sync_over(&server, salt(2), |_| {}),
        nodes[2].sync_over(&middle, salt(3), |_| {}),
    );
    let script = async {
        nodes[0].publish(1, pay(key(9), 10, "EUR")).await.unwrap();
        nodes[1].publish(1, pay(key(9), 20, "EUR")).await.unwrap();
        webrtc.link("7", "8");
        relay.link("page", "relay");
        settle().await;
        let converged = digest(&nodes[2]);
        assert_eq!(nodes[2].replica().log().len(), 2);
        assert_eq!(
            digest(&nodes[0]),
            converged,
            "the relay's event reached the browser"
        );
        assert_eq!(
            digest(&nodes[1]),
            converged,
            "the browser's event reached the relay"
        );

        // Made in the middle, pushed to both sides.
        let event = nodes[2].publish(2, pay(key(9), 5, "EUR")).await.unwrap();
        send_all(&middle, nodes[2].push_to_peers(&[event])).await;
        settle().await;
        for node in &nodes {
            assert_eq!(node.replica().log().len(), 3);
        }
        assert_eq!(
            nodes[2].unsent("relay"),
            Some(0),
            "the relay acknowledged all"
        );
        webrtc.shut_down();
        relay.shut_down();
    };
    futures_util::future::join(drivers, script).await;
}

/// Lets the other futures of a `join` run once.
struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

async fn settle() {
    for _ in 0..200 {
        YieldNow(false).await;
    }
}

fn digest(node: &Node<MemoryStore>) -> String {
    let replica = node.replica();
    replica.view().included_digest(replica.log()).to_hex()
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn nodes_sync_over_a_transport_as_links_come_and_go() {
    let net = MemoryNetwork::new();
    let names = ["a", "b", "c"];
    let transports: Vec<MemoryTransport> = names.iter().map(|n| net.endpoint(n)).collect();
    let mut nodes = Vec::new();
    for n in 0..3u8 {
        nodes.push(
            Node::open(MemoryStore::new(), move || [n + 1; 32])
                .await
                .unwrap()
                .0,
        );
    }
    let salt = |n: u8| {
        let mut next = n;
        move || {
            next = next.wrapping_add(3);
            [next; 16]
        }
    };
    let drivers = futures_util::future::join3(
        nodes[0].sync_over(&transports[0], salt(1), |_| {}),
        nodes[1].sync_over(&transports[1], salt(2), |_| {}),
        nodes[2].sync_over(&transports[2], salt(3), |_| {}),
    );
    let script = async {
        // a and c write before anyone is linked.
        nodes[0].publish(1, pay(key(9), 10, "EUR")).await.unwrap();
        nodes[2].publish(1, pay(key(9), 20, "EUR")).await.unwrap();
        net.link("a", "b");
        net.link("b", "c");
        settle().await;
        let converged = digest(&nodes[0]);
        assert_eq!(digest(&nodes[1]), converged);
        assert_eq!(digest(&nodes[2]), converged);
        assert_eq!(nodes[1].replica().log().len(), 2);

        // b goes offline; a writes and pushes; b catches up when back.
        net.cut("a", "b");
        net.cut("b", "c");
        let event = nodes[0].publish(2, pay(key(9), 5, "EUR")).await.unwrap();
        send_all(&transports[0], nodes[0].push_to_peers(&[event])).await;
        settle().await;
        assert_eq!(nodes[1].replica().log().len(), 2, "offline");
        net.link("b", "c");
        net.link("a", "b");
        settle().await;
        for node in &nodes {
            assert_eq!(node.replica().log().len(), 3);
            assert_eq!(
                node.replica()
                    .view()
                    .balance(node.replica().log(), &key(9), "EUR"),
                35
            );
        }
        net.shut_down();
    };
    futures_util::future::join(drivers, script).await;
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn after_a_reload_the_first_round_starts_from_the_heads_the_peer_announced() {
    use std::rc::Rc;
    let net = MemoryNetwork::new();
    let a_store = Rc::new(MemoryStore::new());
    let b_store = Rc::new(MemoryStore::new());
    let (a, _) = Node::open(a_store.clone(), || [1; 32]).await.unwrap();
    let (b, _) = Node::open(b_store.clone(), || [2; 32]).await.unwrap();
    net.set_key("a", a.identity().public_key());
    net.set_key("b", b.identity().public_key());
    for n in 0..300 {
        b.publish(n, pay(key(9), 1, "EUR")).await.unwrap();
    }
    let (ta, tb) = (net.endpoint("a"), net.endpoint("b"));

    // First meeting: b's hello carries a filter of all 300 events.
    let first_hello = {
        let drivers = futures_util::future::join(
            a.sync_over(&ta, || [3; 16], |_| {}),
            b.sync_over(&tb, || [4; 16], |_| {}),
        );
        let script = async {
            net.link("a", "b");
            settle().await;
            assert_eq!(a.replica().log().len(), 300);
            let sent = b.traffic("a").unwrap();
            net.cut("a", "b");
            settle().await;
            net.shut_down();
            sent.bytes_sent - sent.event_bytes_sent
        };
        futures_util::future::join(drivers, script).await.1
    };

    // b reloads: a new node on the same store, a new transport.
    drop(b);
    let (b, _) = Node::open(b_store.clone(), || [5; 32]).await.unwrap();
    b.publish(400, pay(key(9), 1, "EUR")).await.unwrap();
    let net = MemoryNetwork::new();
    net.set_key("a", a.identity().public_key());
    net.set_key("b", b.identity().public_key());
    let (ta, tb) = (net.endpoint("a"), net.endpoint("b"));
    let drivers = futures_util::future::join(
        a.sync_over(&ta, || [6; 16], |_| {}),
        b.sync_over(&tb, || [7; 16], |_| {}),
    );
    let script = async {
        net.link("a", "b");
        settle().await;
        assert_eq!(a.replica().log().len(), 301, "the new event arrived");
        let sent = b.traffic("a").unwrap();
        let hello = sent.bytes_sent - sent.event_bytes_sent;
        assert!(
            hello * 4 < first_hello,
            "after the reload b announced only what a lacks: {hello} bytes of protocol against {first_hello} at the first meeting"
        );
        net.shut_down();
    };
    futures_util::future::join(drivers, script).await;
}

/// `Node::unsent`: events sent to a peer and not acknowledged (or queued
/// for it) — how far behind the relay is. A peer that never answers
/// acknowledges nothing.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn unsent_counts_the_events_a_peer_has_not_acknowledged() {
    let net = MemoryNetwork::new();
    let (node, _) = Node::open(MemoryStore::new(), || [1; 32]).await.unwrap();
    let (page, silent) = (net.endpoint("page"), net.endpoint("relay"));
    assert_eq!(node.unsent("relay"), None, "no session");
    let driver = node.sync_over(&page, || [5; 16], |_| {});
    let script = async {
        net.link("page", "relay");
        settle().await;
        assert_eq!(node.unsent("relay"), Some(0));
        for n in 1..=2 {
            let event = node.publish(n, pay(key(9), n, "EUR")).await.unwrap();
            send_all(&page, node.push_to_peers(&[event])).await;
            assert_eq!(node.unsent("relay"), Some(n as usize));
        }
        net.cut("page", "relay");
        settle().await;
        assert_eq!(node.unsent("relay"), None, "the session went with the link");
        drop(silent);
        net.shut_down();
    };
    futures_util::future::join(driver, script).await;
}

/// A peer that sends a frame that is no message of the protocol is dropped,
/// and the node keeps why and the key it proved, for the app to tell its
/// user; so is a peer its transport drops for flooding. Before, both went
/// silently: the user saw only a link go down.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn a_peer_dropped_for_what_it_sent_is_recorded_with_why() {
    let net = MemoryNetwork::new();
    let (a, _) = Node::open(MemoryStore::new(), || [1; 32]).await.unwrap();
    let mallory = trustfold::Identity::from_secret([6; 32]).public_key();
    net.set_key("m", mallory);
    let tm = net.endpoint("m");
    let ta = Telling::new(net.endpoint("a"), None);
    let driver = a.sync_over(&ta, || [3; 16], |_| {});
    let script = async {
        net.link("a", "m");
        settle().await;
        assert_eq!(a.dropped_peers().total, 0, "an honest link is no drop");
        // Its link's key is gone by the time its frame is checked (the
        // link went meanwhile): it is still named by the key it proved.
        // Before, it was recorded with no key.
        ta.keys_known.set(false);
        tm.send("a", vec![0xff; 40]).await.unwrap();
        settle().await;
        let dropped = a.dropped_peers();
        assert_eq!(dropped.total, 1);
        let last = dropped.latest.back().unwrap();
        assert_eq!(last.peer, "m");
        assert_eq!(last.key, Some(mallory));
        assert_eq!(last.code, "unknown_protocol_version");
        assert!(tm.send("a", vec![0]).await.is_err(), "its link stayed up");
        net.shut_down();
    };
    futures_util::future::join(driver, script).await;

    // A transport's own drop (a flood it refused) is recorded alike.
    let net = MemoryNetwork::new();
    let told = Telling::new(
        net.endpoint("a"),
        Some(TransportEvent::Dropped {
            peer: "9".into(),
            key: Some(mallory),
            error: trustfold::transport::TransportError::LinkBacklog(16 << 20),
        }),
    );
    let driver = a.sync_over(&told, || [4; 16], |_| {});
    let script = async {
        settle().await;
        let last = a.dropped_peers().latest.back().cloned().unwrap();
        assert_eq!(last.peer, "9");
        assert_eq!(last.code, "link_backlog_exceeded");
        assert_eq!(a.dropped_peers().total, 2);
        net.shut_down();
    };
    futures_util::future::join(driver, script).await;
}

/// A peer that sends valid events and then an invalid one in one batch is
/// dropped, and the valid ones, stored, are announced to sibling tabs and
/// forwarded to the other peers at once, as for any batch. Before, they
/// were stored and told to no one: other tabs did not see them, and other
/// peers got them only at the next round of sync.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn the_valid_events_before_an_invalid_one_reach_tabs_and_peers() {
    let net = MemoryNetwork::new();
    let (a, _) = Node::open(MemoryStore::new(), || [1; 32]).await.unwrap();
    let (c, _) = Node::open(MemoryStore::new(), || [3; 32]).await.unwrap();
    let (ta, tc, tm) = (net.endpoint("a"), net.endpoint("c"), net.endpoint("m"));
    let (valid, frame) = common::valid_then_forged();
    let told = std::cell::RefCell::new(Vec::new());
    let drivers = futures_util::future::join(
        a.sync_over(
            &ta,
            || [4; 16],
            |stored| told.borrow_mut().extend(stored.iter().map(|e| e.id())),
        ),
        c.sync_over(&tc, || [5; 16], |_| {}),
    );
    let script = async {
        net.link("a", "c");
        net.link("a", "m");
        settle().await;
        tm.send("a", frame.clone()).await.unwrap();
        settle().await;
        assert_eq!(a.dropped_peers().total, 1, "the forger was not dropped");
        assert!(a.replica().log().contains(&valid.id()), "not stored");
        assert_eq!(*told.borrow(), vec![valid.id()], "not told to the tabs");
        assert!(c.replica().log().contains(&valid.id()), "not forwarded");
        net.shut_down();
    };
    futures_util::future::join(drivers, script).await;
}

/// A transport that tells one event of its own first (as a transport that
/// drops a flooding peer does), then is `inner`; it knows peers' keys only
/// while `keys_known` (a link gone no longer has one).
struct Telling {
    inner: MemoryTransport,
    first: std::cell::RefCell<Option<TransportEvent>>,
    keys_known: std::cell::Cell<bool>,
}

impl Telling {
    fn new(inner: MemoryTransport, first: Option<TransportEvent>) -> Telling {
        Telling {
            inner,
            first: std::cell::RefCell::new(first),
            keys_known: std::cell::Cell::new(true),
        }
    }
}

impl Transport for Telling {
    async fn send(
        &self,
        peer: &str,
        frame: Vec<u8>,
    ) -> Result<(), trustfold::transport::TransportError> {
        self.inner.send(peer, frame).await
    }
    async fn next(&self) -> Option<TransportEvent> {
        if let Some(event) = self.first.borrow_mut().take() {
            return Some(event);
        }
        self.inner.next().await
    }
    fn close(&self, peer: &str) {
        self.inner.close(peer)
    }
    fn peer_key(&self, peer: &str) -> Option<trustfold::event::PublicKey> {
        if !self.keys_known.get() {
            return None;
        }
        self.inner.peer_key(peer)
    }
}

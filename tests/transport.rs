//! Transports: the conformance suite on the in-memory network, and nodes
//! running the sync protocol over it (`Node::sync_over`) while links come
//! and go.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;

use common::{key, pay};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use trustfold::store::MemoryStore;
use trustfold::transport::{MemoryNetwork, MemoryTransport};
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

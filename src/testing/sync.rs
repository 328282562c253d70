//! The sync suite: nodes over any [`Store`] syncing through the sync
//! protocol over in-memory links — what arrives is verified, stored and
//! applied, forwarded along a line of peers; a peer that sends junk is
//! dropped and nothing of it is stored; nodes that meet again catch up in
//! one round. Part of [`node_conformance_tests!`](crate::node_conformance_tests).

use super::{Backend, id, key, pay};
use crate::event::EventId;
use crate::node::CONFIRMED;
use crate::store::Store;
use crate::sync::{Framer, Message};
use crate::{Node, PeerError};
use std::collections::VecDeque;

struct Net<'a, S: Store> {
    nodes: Vec<(&'static str, &'a Node<S>)>,
    queue: VecDeque<(&'static str, String, Vec<u8>)>,
    salt: u8,
}

impl<'a, S: Store> Net<'a, S> {
    fn new(nodes: Vec<(&'static str, &'a Node<S>)>) -> Self {
        Net {
            nodes,
            queue: VecDeque::new(),
            salt: 0,
        }
    }

    fn node(&self, name: &str) -> &'a Node<S> {
        self.nodes.iter().find(|(n, _)| *n == name).unwrap().1
    }

    fn name(&self, name: &str) -> &'static str {
        self.nodes.iter().find(|(n, _)| *n == name).unwrap().0
    }

    fn link(&mut self, a: &'static str, b: &'static str) {
        for (me, peer) in [(a, b), (b, a)] {
            self.salt += 1;
            let out = self.node(me).connect_peer(peer, [self.salt; 16]);
            self.queue
                .extend(out.into_iter().map(|(to, frame)| (me, to, frame)));
        }
    }

    fn unlink(&mut self, a: &'static str, b: &'static str) {
        self.node(a).disconnect_peer(b);
        self.node(b).disconnect_peer(a);
        self.queue
            .retain(|(from, to, _)| !(*from == a && to == b || *from == b && to == a));
    }

    fn push(&mut self, from: &'static str, events: &[crate::Event]) {
        let out = self.node(from).push_to_peers(events);
        self.queue
            .extend(out.into_iter().map(|(to, frame)| (from, to, frame)));
    }

    /// Delivers frames until none is left; returns how many were delivered.
    async fn settle(&mut self) -> usize {
        let mut delivered = 0;
        while let Some((from, to, frame)) = self.queue.pop_front() {
            delivered += 1;
            let to = self.name(&to);
            let out = self.node(to).from_peer(from, &frame).await.unwrap();
            self.queue
                .extend(out.send.into_iter().map(|(next, f)| (to, next, f)));
        }
        delivered
    }
}

fn digest<S: Store>(node: &Node<S>) -> String {
    let replica = node.replica();
    replica.view().included_digest(replica.log()).to_hex()
}

/// Events and edits reach every node along a line of peers.
pub async fn events_and_edits_reach_every_node_along_a_line<B: Backend>(backend: &B) {
    let stores = [
        backend.fresh().await,
        backend.fresh().await,
        backend.fresh().await,
    ];
    let [sa, sb, sc] = stores;
    let (a, _) = Node::open(sa, || [1; 32]).await.unwrap();
    let (b, _) = Node::open(sb, || [2; 32]).await.unwrap();
    let (c, _) = Node::open(sc, || [3; 32]).await.unwrap();
    let mut net = Net::new(vec![("a", &a), ("b", &b), ("c", &c)]);
    let paid = a.publish(1, pay(key(9), 40, "EUR")).await.unwrap();
    net.link("a", "b");
    net.link("b", "c");
    net.settle().await;
    assert!(c.replica().log().contains(&paid.id()), "a → b → c");

    // Live: an edit at c reaches a through b at once.
    c.replica_mut().create_record("notes", "n").unwrap();
    c.replica_mut()
        .set_text("notes", "n", "body", "from c")
        .unwrap();
    let committed = c.commit(2).await.unwrap();
    net.push("c", &committed);
    net.settle().await;
    assert_eq!(digest(&a), digest(&c));
    assert_eq!(digest(&b), digest(&c));
    let text = a
        .replica_mut()
        .record("notes", "n")
        .and_then(|r| r.text("body").map(str::to_owned));
    assert_eq!(text.as_deref(), Some("from c"));

    // What arrived was stored: a reopened c has it all.
    let before = digest(&c);
    drop(net);
    let (reopened, report) = Node::open(c.into_store(), || [3; 32]).await.unwrap();
    assert_eq!(report.events, 2);
    assert_eq!(digest(&reopened), before);
}

/// A peer sending junk is dropped and nothing of it is stored.
pub async fn a_peer_sending_junk_is_dropped_and_nothing_of_it_is_stored<B: Backend>(backend: &B) {
    let store = backend.fresh().await;
    let (node, _) = Node::open(store, || [1; 32]).await.unwrap();
    let _ = node.connect_peer("liar", [1; 16]);
    let forged = {
        let event = id(5).sign(crate::Draft {
            seq: 1,
            parents: vec![],
            time: 0,
            body: pay(key(1), 1_000_000, "EUR"),
        });
        let mut bytes = event.bytes().to_vec();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        bytes
    };
    let frame = Framer::default().encode(&Message::Events {
        seq: 1,
        events: forged,
    });
    let refused = node.from_peer("liar", &frame[0]).await;
    assert!(matches!(refused, Err(PeerError::InvalidEvent(_))));
    assert!(node.connected_peers().is_empty(), "dropped");
    assert_eq!(node.store().event_count().await.unwrap(), 0);

    let _ = node.connect_peer("noise", [2; 16]);
    let refused = node.from_peer("noise", b"\x01not a frame at all").await;
    assert!(matches!(refused, Err(PeerError::Frame(_))));
    assert!(node.connected_peers().is_empty());
}

/// Nodes that meet again catch up in one round.
pub async fn nodes_that_meet_again_catch_up_in_one_round<B: Backend>(backend: &B) {
    let stores = [backend.fresh().await, backend.fresh().await];
    let [sa, sb] = stores;
    let (a, _) = Node::open(sa, || [1; 32]).await.unwrap();
    let (b, _) = Node::open(sb, || [2; 32]).await.unwrap();
    let mut net = Net::new(vec![("a", &a), ("b", &b)]);
    for n in 0..50 {
        a.publish(n, pay(key(9), 1, "EUR")).await.unwrap();
    }
    net.link("a", "b");
    net.settle().await;
    assert_eq!(digest(&a), digest(&b));

    // Offline, both keep writing.
    net.unlink("a", "b");
    for n in 0..5 {
        a.publish(100 + n, pay(key(9), 1, "EUR")).await.unwrap();
        b.publish(100 + n, pay(key(8), 1, "EUR")).await.unwrap();
    }
    net.link("a", "b");
    // Hello both ways, the answers (events, Answered), and each side's
    // acknowledgement of what it took in: eight frames in all.
    let delivered = net.settle().await;
    assert_eq!(digest(&a), digest(&b));
    assert_eq!(a.replica().log().len(), 60);
    assert!(delivered <= 8, "{delivered} frames to catch up");
}

/// What a person working offline is told waits to be sent: own changes no
/// peer is known to hold, counted again right after a reload.
pub async fn changes_no_peer_holds_are_counted_until_one_does<B: Backend>(backend: &B) {
    let (sa, sa_again) = backend.shared().await;
    let (a, _) = Node::open(sa, || [1; 32]).await.unwrap();
    let (b, _) = Node::open(backend.fresh().await, || [2; 32]).await.unwrap();
    for n in 0..3 {
        a.publish(n, pay(key(9), 1, "EUR")).await.unwrap();
    }
    assert_eq!(a.unconfirmed(), 3, "made alone, nothing is sent");
    assert_eq!((a.made(), b.made()), (3, 0));
    assert_eq!(a.unconfirmed_ids(2).len(), 2, "at most the limit");
    let mut net = Net::new(vec![("a", &a), ("b", &b)]);
    net.link("a", "b");
    net.settle().await;
    assert_eq!((a.unconfirmed(), b.unconfirmed()), (0, 0));

    // Apart again, each writes; what the other wrote never counts.
    net.unlink("a", "b");
    for n in 0..2 {
        a.publish(10 + n, pay(key(9), 1, "EUR")).await.unwrap();
    }
    b.publish(10, pay(key(8), 1, "EUR")).await.unwrap();
    assert_eq!((a.unconfirmed(), b.unconfirmed()), (2, 1));
    let waiting = a.unconfirmed_ids(10);
    assert_eq!(waiting.len(), 2, "only the two made apart wait");
    let me = a.identity().public_key();
    let by_me = |id: &EventId| a.replica().log().get(id).is_some_and(|e| e.author() == me);
    assert!(waiting.iter().all(by_me));
    assert_eq!(
        (a.made(), b.made()),
        (5, 1),
        "made counts sent and unsent alike"
    );

    // Reopened with no link: what b confirmed is still known.
    drop(net);
    drop(a);
    let (a, _) = Node::open(sa_again, || [1; 32]).await.unwrap();
    assert_eq!(a.unconfirmed(), 2);
    let mut net = Net::new(vec![("a", &a), ("b", &b)]);
    net.link("a", "b");
    net.settle().await;
    assert_eq!((a.unconfirmed(), b.unconfirmed()), (0, 0));
}

/// A damaged record of what peers hold is said at open and not trusted:
/// the changes count as waiting until a peer names them, and the record is
/// written again then.
pub async fn a_damaged_record_of_sent_changes_is_reported_and_written_again<B: Backend>(
    backend: &B,
) {
    let (sa, sa_again) = backend.shared().await;
    let (a, _) = Node::open(sa, || [1; 32]).await.unwrap();
    let (b, _) = Node::open(backend.fresh().await, || [2; 32]).await.unwrap();
    for n in 0..2 {
        a.publish(n, pay(key(9), 1, "EUR")).await.unwrap();
    }
    let mut net = Net::new(vec![("a", &a), ("b", &b)]);
    net.link("a", "b");
    net.settle().await;
    assert_eq!(a.unconfirmed(), 0);
    drop(net);
    drop(a);

    // A length far beyond the bytes that follow: the record does not decode.
    sa_again.put_meta(CONFIRMED, &[0xff; 3]).await.unwrap();
    let (a, report) = Node::open(sa_again, || [1; 32]).await.unwrap();
    assert!(
        report.skipped.iter().any(|s| s.contains(CONFIRMED)),
        "the open says the record is damaged: {:?}",
        report.skipped
    );
    assert_eq!(a.unconfirmed(), 2, "a damaged record confirms nothing");
    let mut net = Net::new(vec![("a", &a), ("b", &b)]);
    net.link("a", "b");
    net.settle().await;
    net.unlink("a", "b");
    assert_eq!(a.unconfirmed(), 0);
    let kept = a.store().get_meta(CONFIRMED).await.unwrap().unwrap();
    let tops: Vec<crate::event::EventId> = postcard::from_bytes(&kept).unwrap();
    assert_eq!(tops.len(), 1, "the record is whole again");
}

/// What another tab kept as sent counts as sent here once that tab tells
/// it: a tab working offline whose change its sibling tab sent stops
/// saying that the change waits.
pub async fn another_tabs_kept_confirmations_count_here_once_told<B: Backend>(backend: &B) {
    let (s1, s2) = backend.shared().await;
    let (offline, _) = Node::open(s1, || [1; 32]).await.unwrap();
    let (online, _) = Node::open(s2, || [1; 32]).await.unwrap();
    let (c, _) = Node::open(backend.fresh().await, || [3; 32]).await.unwrap();
    let made = offline.publish(1, pay(key(9), 1, "EUR")).await.unwrap();
    online.load_stored(made.bytes()).unwrap();
    assert_eq!(offline.take_kept_confirmations(), None, "nothing kept yet");

    let mut net = Net::new(vec![("online", &online), ("c", &c)]);
    net.link("online", "c");
    net.settle().await;
    net.unlink("online", "c");
    assert_eq!(online.unconfirmed(), 0);
    let kept = online
        .take_kept_confirmations()
        .expect("kept once c held it");
    assert_eq!(kept, vec![made.id()]);
    assert_eq!(online.take_kept_confirmations(), None, "told once");

    assert_eq!(offline.unconfirmed(), 1, "not told yet");
    assert!(offline.hold_kept_elsewhere(&kept));
    assert_eq!(offline.unconfirmed(), 0);
    assert!(
        !offline.hold_kept_elsewhere(&kept),
        "told again: nothing new"
    );
    // Told ids this log does not hold change nothing.
    assert!(
        !offline.hold_kept_elsewhere(&[c.publish(2, pay(key(8), 1, "EUR")).await.unwrap().id()])
    );
}

/// A change another tab of the same store sent counts as sent here once a
/// peer shows it has it (here by sending an event made after it).
pub async fn another_tabs_change_counts_as_sent_once_a_peer_shows_it_has_it<B: Backend>(
    backend: &B,
) {
    let (s1, s2) = backend.shared().await;
    let (tab, _) = Node::open(s1, || [1; 32]).await.unwrap();
    let (other_tab, _) = Node::open(s2, || [1; 32]).await.unwrap();
    let (c, _) = Node::open(backend.fresh().await, || [3; 32]).await.unwrap();
    let mut net = Net::new(vec![("tab", &tab), ("other", &other_tab), ("c", &c)]);
    net.link("tab", "c");
    net.settle().await;
    // The other tab makes a change and sends it to c; this tab only hears
    // of it from its sibling (the shared store), not from c.
    let made = other_tab.publish(1, pay(key(9), 1, "EUR")).await.unwrap();
    tab.load_stored(made.bytes()).unwrap();
    assert_eq!(tab.unconfirmed(), 1);
    net.link("other", "c");
    net.settle().await;
    net.unlink("other", "c");
    assert_eq!(tab.unconfirmed(), 1, "nothing yet says c has it");
    // c writes after it and pushes that to this tab: c holds the change.
    let after = c.publish(2, pay(key(8), 1, "EUR")).await.unwrap();
    assert!(after.parents().contains(&made.id()));
    net.push("c", &[after]);
    net.settle().await;
    assert_eq!(tab.unconfirmed(), 0);
}

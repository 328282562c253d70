//! The relay's side of a network (issue #14), sans I/O, against the real
//! node and session code of pages: what it carries between people who are
//! never online together, what it refuses, and what it never stores.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;

use common::{key, pay};
use std::collections::VecDeque;
use trustfold::event::Draft;
use trustfold::invite::Invite;
use trustfold::relay::{Admission, MemoryRelayStorage, Notice, RelayLimits, RelayNetwork};
use trustfold::store::MemoryStore;
use trustfold::{Body, Node, Transfer};

const RELAY: &str = "relay";

/// Pages (real nodes) and one relay network, and the frames in flight
/// between them: page `n` is client `n` of the relay.
struct Net {
    pages: Vec<Option<Node<MemoryStore>>>,
    relay: RelayNetwork<usize>,
    storage: MemoryRelayStorage,
    /// (to the relay?, page, frame)
    wire: VecDeque<(bool, usize, Vec<u8>)>,
    dropped: Vec<(usize, String)>,
    notices: Vec<(usize, Notice)>,
    salt: u8,
    /// The relay's clock, in milliseconds.
    now_ms: u64,
    /// Frames delivered so far, both ways.
    frames: usize,
}

impl Net {
    fn new(admission: Admission, limits: RelayLimits) -> Net {
        Net {
            pages: Vec::new(),
            relay: RelayNetwork::new(admission, limits),
            storage: MemoryRelayStorage::default(),
            wire: VecDeque::new(),
            dropped: Vec::new(),
            notices: Vec::new(),
            salt: 0,
            now_ms: 0,
            frames: 0,
        }
    }

    fn salt(&mut self) -> [u8; 16] {
        self.salt += 1;
        [self.salt; 16]
    }

    /// A page opens (as identity `secret`, in `invite`'s network or an
    /// open one) and links to the relay.
    async fn open(&mut self, secret: u8, invite: Option<Invite>) -> usize {
        let (node, _) = Node::open_in(MemoryStore::new(), invite, None, move || [secret; 32])
            .await
            .unwrap();
        let n = self.pages.len();
        self.pages.push(Some(node));
        self.link(n);
        n
    }

    fn link(&mut self, n: usize) {
        let salt = self.salt();
        let frames = self.pages[n].as_ref().unwrap().connect_peer(RELAY, salt);
        self.wire
            .extend(frames.into_iter().map(|(_, f)| (true, n, f)));
        let salt = self.salt();
        let frames = self.relay.connect(n, &self.storage, salt).unwrap();
        self.wire
            .extend(frames.into_iter().map(|(to, f)| (false, to, f)));
    }

    /// Page `n` starts a new sync round with the relay (a page does every
    /// minute).
    fn resync(&mut self, n: usize) {
        let salt = self.salt();
        let frames = self.pages[n].as_ref().unwrap().resync_peers(|| salt);
        self.wire
            .extend(frames.into_iter().map(|(_, f)| (true, n, f)));
    }

    /// The page closes: its link ends on both sides.
    fn close(&mut self, n: usize) {
        self.pages[n] = None;
        self.relay.disconnect(&n);
        self.wire.retain(|(_, page, _)| *page != n);
    }

    async fn publish(&mut self, n: usize, body: Body) -> trustfold::Event {
        let node = self.pages[n].as_ref().unwrap();
        let event = node.publish(1, body).await.unwrap();
        let frames = node.push_to_peers(std::slice::from_ref(&event));
        self.wire
            .extend(frames.into_iter().map(|(_, f)| (true, n, f)));
        event
    }

    /// Delivers frames until none is in flight (bounded).
    async fn settle(&mut self) {
        self.settle_until(|_| false).await;
    }

    /// Delivers frames one at a time until `done` holds or none is in
    /// flight (bounded).
    async fn settle_until(&mut self, done: impl Fn(&Net) -> bool) {
        for _ in 0..100_000 {
            if done(self) {
                return;
            }
            let Some((to_relay, n, frame)) = self.wire.pop_front() else {
                return;
            };
            self.frames += 1;
            if to_relay {
                let out = self
                    .relay
                    .receive(&n, &[&frame], &mut self.storage, self.now_ms);
                assert_eq!(out.store_error, None);
                for (peer, error) in out.dropped {
                    self.dropped.push((peer, error.code().to_owned()));
                    self.wire.retain(|(_, page, _)| *page != peer);
                }
                self.notices.extend(out.notices);
                self.wire
                    .extend(out.send.into_iter().map(|(to, f)| (false, to, f)));
            } else if let Some(node) = self.pages[n].as_ref() {
                match node.from_peer(RELAY, &frame).await {
                    Ok(from) => self
                        .wire
                        .extend(from.send.into_iter().map(|(_, f)| (true, n, f))),
                    Err(e) => panic!("page {n} dropped the relay: {e}"),
                }
            }
        }
        panic!("the network did not settle");
    }

    /// The relay takes in, in one turn, every frame on the wire (all from
    /// page `from`), and returns what it did, delivering nothing.
    fn relay_turn(&mut self, from: usize) -> trustfold::relay::Relayed<usize> {
        let frames: Vec<Vec<u8>> = self.wire.drain(..).map(|(_, _, f)| f).collect();
        let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
        self.relay
            .receive(&from, &refs, &mut self.storage, self.now_ms)
    }

    fn balance(&self, n: usize, who: u8) -> i128 {
        let replica = self.pages[n].as_ref().unwrap().replica();
        replica.view().balance(replica.log(), &key(who), "EUR")
    }
}

/// Alice pays Bob and closes her page; Bob, who was never online with
/// her, opens his later and gets the payment from the relay alone.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = pollster::test)]
async fn a_payment_reaches_someone_never_online_with_its_payer() {
    let mut net = Net::new(Admission::Open, RelayLimits::default());
    let alice = net.open(1, None).await;
    net.settle().await;
    net.publish(alice, pay(key(2), 30, "EUR")).await;
    net.publish(alice, pay(key(2), 12, "EUR")).await;
    net.settle().await;
    net.close(alice);
    assert_eq!(net.storage.all().count(), 2, "the relay stored both");

    let bob = net.open(2, None).await;
    net.settle().await;
    assert_eq!(net.balance(bob, 2), 42);
    // And what Bob writes reaches Carol, who comes after him.
    net.publish(bob, pay(key(3), 5, "EUR")).await;
    net.settle().await;
    net.close(bob);
    let carol = net.open(3, None).await;
    net.settle().await;
    assert_eq!(net.balance(carol, 3), 5);
    assert_eq!(net.balance(carol, 2), 37);
    assert!(net.dropped.is_empty() && net.notices.is_empty());
}

/// Two pages online at once through the relay: what one writes is
/// forwarded to the other at once.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = pollster::test)]
async fn the_relay_forwards_between_clients_online_together() {
    let mut net = Net::new(Admission::Open, RelayLimits::default());
    let alice = net.open(1, None).await;
    let bob = net.open(2, None).await;
    net.settle().await;
    net.publish(alice, pay(key(2), 7, "EUR")).await;
    net.settle().await;
    assert_eq!(net.balance(bob, 2), 7);
    net.publish(bob, pay(key(1), 2, "EUR")).await;
    net.settle().await;
    assert_eq!(net.balance(alice, 1), -5);
}

/// In a private network the relay, holding no key, stores and serves
/// members' sealed events — none of their memos in what it holds — and a
/// stranger's forged events are refused, the stranger dropped, while the
/// members keep working.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = pollster::test)]
async fn a_private_networks_relay_holds_ciphertext_and_refuses_strangers() {
    let invite = Invite::new([7; 32], "coop").unwrap();
    let keys = invite.keys();
    let mut net = Net::new(Admission::private(keys.network()), RelayLimits::default());
    let alice = net.open(1, Some(invite.clone())).await;
    net.settle().await;
    let memo = "secret-memo-for-bob";
    net.publish(
        alice,
        Body::Transfer(Transfer {
            to: key(2),
            amount: 30,
            unit: "EUR".into(),
            memo: memo.into(),
            reverses: None,
        }),
    )
    .await;
    net.settle().await;
    assert_eq!(net.storage.all().count(), 1);
    for bytes in net.storage.all() {
        assert!(!bytes.windows(6).any(|w| w == &memo.as_bytes()[..6]));
    }

    // Mallory, in the room without the invite, sends an event with a tag
    // of another network's: dropped, nothing stored.
    let mallory = net.pages.len();
    net.pages.push(None);
    let salt = net.salt();
    let hello = net.relay.connect(mallory, &net.storage, salt).unwrap();
    assert!(!hello.is_empty());
    let forged = common::id(6).seal(
        Draft {
            seq: 1,
            parents: vec![],
            time: 0,
            body: pay(key(1), 1, "EUR"),
        },
        &keys,
        &Invite::new([9; 32], "x").unwrap().keys().admit(&key(6)),
        &[1; 24],
    );
    let frames = trustfold::sync::Framer::default().encode(&trustfold::sync::Message::Events {
        seq: 1,
        events: forged.bytes().to_vec(),
    });
    for frame in frames {
        let out = net
            .relay
            .receive(&mallory, &[&frame], &mut net.storage, net.now_ms);
        for (peer, error) in out.dropped {
            net.dropped.push((peer, error.code().to_owned()));
        }
    }
    assert_eq!(net.dropped, vec![(mallory, "not_admitted".to_owned())]);
    assert_eq!(net.storage.all().count(), 1);

    net.close(alice);
    let bob = net.open(2, Some(invite)).await;
    net.settle().await;
    assert_eq!(net.balance(bob, 2), 30);
}

/// A network at its quota refuses new events with a notice and stores
/// nothing more; one author cannot take more than their share, and the
/// others keep writing; nobody is dropped for it.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = pollster::test)]
async fn quotas_refuse_with_a_notice_and_leave_room_for_others() {
    let limits = RelayLimits {
        max_events: 8,
        author_share: 50,
        ..RelayLimits::default()
    };
    let mut net = Net::new(Admission::Open, limits);
    let junk = net.open(1, None).await;
    let honest = net.open(2, None).await;
    net.settle().await;
    for i in 0..6 {
        net.publish(junk, pay(key(3), i + 1, "EUR")).await;
    }
    net.settle().await;
    assert_eq!(
        net.storage.all().count(),
        4,
        "the author's share: half of 8"
    );
    assert!(
        net.notices
            .iter()
            .any(|(p, n)| *p == junk && n.code() == "author_quota")
    );
    for i in 0..4 {
        net.publish(honest, pay(key(3), i + 1, "EUR")).await;
    }
    net.settle().await;
    assert_eq!(net.storage.all().count(), 8, "the others' events fit");
    net.publish(honest, pay(key(3), 9, "EUR")).await;
    net.settle().await;
    assert_eq!(net.storage.all().count(), 8);
    assert!(
        net.notices
            .iter()
            .any(|(p, n)| *p == honest && n.code() == "network_full")
    );
    assert!(net.dropped.is_empty());
}

/// A relay whose storage is shared with other relays (JetStream) can find
/// it full before its own count says so: another relay filled it. The
/// writer hears `network_full`, as for the relay's own quota, and is not
/// told of a storage failure (which would have it send again and again);
/// nothing is stored and nobody is dropped.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = pollster::test)]
async fn a_storage_filled_by_another_relay_refuses_with_the_network_full_notice() {
    let mut net = Net::new(Admission::Open, RelayLimits::default());
    let alice = net.open(1, None).await;
    net.settle().await;
    net.publish(alice, pay(key(3), 1, "EUR")).await;
    net.settle().await;
    assert_eq!(net.storage.all().count(), 1);
    net.storage.full_elsewhere = true;
    net.publish(alice, pay(key(3), 2, "EUR")).await;
    // `settle` asserts that no storage failure is reported.
    net.settle().await;
    assert_eq!(net.storage.all().count(), 1, "nothing more stored");
    assert!(
        net.notices
            .iter()
            .any(|(p, n)| *p == alice && n.code() == "network_full"),
        "{:?}",
        net.notices
    );
    assert!(net.dropped.is_empty());
}

/// An author who writes faster than the relay takes from one author
/// ([`RelayLimits::author_rate`]) gets the burst stored and hears
/// `author_rate` for the rest, which the page does not count as delivered:
/// its next round, once the author's allowance has refilled, sends them,
/// and Bob gets everything without Alice ever being dropped. Another
/// author is not held back meanwhile.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = pollster::test)]
async fn an_author_over_their_rate_is_told_and_delivers_later() {
    let limits = RelayLimits {
        author_rate: trustfold::relay::AuthorRate {
            per_minute: 60,
            burst: 3,
        },
        ..RelayLimits::default()
    };
    let mut net = Net::new(Admission::Open, limits);
    let alice = net.open(1, None).await;
    let carol = net.open(3, None).await;
    net.settle().await;
    for i in 0..7 {
        net.publish(alice, pay(key(2), i + 1, "EUR")).await;
    }
    net.settle().await;
    assert_eq!(net.storage.all().count(), 3, "the burst, and no more now");
    // What was refused is not asked for again at once (it was, and Alice's
    // page sent it again and again: tens of thousands of frames).
    assert!(net.frames < 200, "{} frames", net.frames);
    assert!(
        net.notices
            .iter()
            .any(|(p, n)| *p == alice && n.code() == "author_rate")
    );
    net.publish(carol, pay(key(2), 100, "EUR")).await;
    net.settle().await;
    assert_eq!(net.storage.all().count(), 4, "Carol has her own allowance");
    // Two seconds on, Alice's next round (the page's periodic one) sends
    // what was refused, one token a second.
    net.now_ms += 2_000;
    net.resync(alice);
    net.settle().await;
    assert_eq!(net.storage.all().count(), 6, "as many as there were tokens");
    assert!(net.frames < 400, "{} frames", net.frames);
    assert!(net.dropped.is_empty());
    net.close(alice);
    let bob = net.open(2, None).await;
    net.settle().await;
    // The last two of Alice's seven come in a later round still.
    assert_eq!(net.balance(bob, 2), 1 + 2 + 3 + 4 + 5 + 100);
}

/// A client's orphans go with it (as a page's do with its peer): a client
/// that sends orphans and leaves, again and again, leaves nothing behind
/// — not its orphans, nor what the relay would have asked it for — so a
/// loaded network's memory does not grow with the clients that came and
/// went.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = pollster::test)]
async fn a_clients_orphans_go_when_it_leaves() {
    let mut net = Net::new(Admission::Open, RelayLimits::default());
    let author = common::id(66);
    for client in 0..3usize {
        let salt = net.salt();
        net.relay.connect(client, &net.storage, salt).unwrap();
        let events: Vec<u8> = (0..50u8)
            .flat_map(|i| {
                let missing = vec![trustfold::EventId([i.wrapping_add(client as u8 * 50); 32])];
                author
                    .sign(Draft {
                        seq: 2,
                        parents: missing,
                        time: u64::from(i),
                        body: pay(key(3), 1, "EUR"),
                    })
                    .bytes()
                    .to_vec()
            })
            .collect();
        let frames = trustfold::sync::Framer::default()
            .encode(&trustfold::sync::Message::Events { seq: 1, events });
        for frame in frames {
            let out = net
                .relay
                .receive(&client, &[&frame], &mut net.storage, net.now_ms);
            assert!(out.dropped.is_empty() && out.store_error.is_none());
        }
        assert_eq!(net.relay.orphans(), 50, "held while its sender is here");
        net.relay.disconnect(&client);
        assert_eq!(net.relay.orphans(), 0, "gone with their sender");
    }
    assert_eq!(net.storage.all().count(), 0);
}

/// An honest client's orphan is not lost to a Byzantine client's batch
/// that releases it and then turns out invalid: the orphan's parent came
/// in that batch, valid, so it and the orphan are stored (the Byzantine
/// client is dropped for the rest), rather than both vanishing — the
/// orphan out of the buffer, where nothing would ask for it again while
/// its sender stays connected.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = pollster::test)]
async fn an_invalid_batch_does_not_lose_an_honest_orphan() {
    let mut net = Net::new(Admission::Open, RelayLimits::default());
    let zed = common::id(70);
    let sign = |seq: u64, parents: Vec<trustfold::EventId>, time: u64| {
        zed.sign(Draft {
            seq,
            parents,
            time,
            body: pay(key(3), time + 1, "EUR"),
        })
    };
    let parent = sign(1, vec![], 1);
    let child = sign(2, vec![parent.id()], 2);
    let invalid = sign(5, vec![parent.id()], 3);
    let send = |net: &mut Net, client: usize, events: &[&trustfold::Event]| {
        let bytes: Vec<u8> = events.iter().flat_map(|e| e.bytes().to_vec()).collect();
        let frames = trustfold::sync::Framer::default().encode(&trustfold::sync::Message::Events {
            seq: 1,
            events: bytes,
        });
        let mut dropped = Vec::new();
        for frame in frames {
            let out = net
                .relay
                .receive(&client, &[&frame], &mut net.storage, net.now_ms);
            dropped.extend(out.dropped.into_iter().map(|(p, e)| (p, e.code())));
        }
        dropped
    };
    for client in 0..2usize {
        let salt = net.salt();
        net.relay.connect(client, &net.storage, salt).unwrap();
    }
    // The honest courier's child arrives first: an orphan.
    assert!(send(&mut net, 0, &[&child]).is_empty());
    assert_eq!(net.relay.orphans(), 1);
    // Mallory sends its parent, then an invalid event.
    assert_eq!(
        send(&mut net, 1, &[&parent, &invalid]),
        [(1, "missing_previous")]
    );
    let stored: Vec<trustfold::EventId> = net
        .storage
        .all()
        .map(trustfold::EventId::of_bytes)
        .collect();
    assert!(!stored.contains(&invalid.id()));
    assert_eq!(stored, [parent.id(), child.id()], "the honest orphan kept");
}

/// Two relay instances sharing a log (issue #16): what Alice's instance
/// stored reaches Bob through his, which checks it first — a forged event
/// and one whose parent the log lacks are skipped, not stored — and pushes
/// it to him.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = pollster::test)]
async fn an_instance_takes_what_another_stored_checks_it_and_pushes_it_to_its_clients() {
    let mut a = Net::new(Admission::Open, RelayLimits::default());
    let mut b = Net::new(Admission::Open, RelayLimits::default());
    let alice = a.open(1, None).await;
    let bob = b.open(2, None).await;
    a.settle().await;
    b.settle().await;
    a.publish(alice, pay(key(2), 30, "EUR")).await;
    a.publish(alice, pay(key(2), 12, "EUR")).await;
    a.settle().await;
    let log: Vec<Vec<u8>> = a.storage.all().map(<[u8]>::to_vec).collect();
    assert_eq!(log.len(), 2);

    // A forged copy (one byte of the signature changed) comes first.
    let mut forged = log[1].clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    let mut shared = vec![forged];
    shared.extend(log.iter().cloned());
    let (out, report) = b.relay.stored_elsewhere(&shared, &mut b.storage, 0);
    assert_eq!(out.store_error, None);
    assert_eq!((report.stored, report.skipped, report.held), (2, 1, 0));
    assert_eq!(b.storage.all().count(), 2, "the forged copy is not stored");
    b.wire
        .extend(out.send.into_iter().map(|(to, f)| (false, to, f)));
    b.settle().await;
    assert_eq!(b.balance(bob, 2), 42, "pushed to Bob on the other instance");

    // The same again: held, nothing sent.
    let (out, report) = b.relay.stored_elsewhere(&log, &mut b.storage, 0);
    assert_eq!((report.stored, report.held), (0, 2));
    assert!(out.send.is_empty());

    // A third instance given Alice's second payment alone (its parent is
    // not in what it holds): skipped, not held as an orphan.
    let mut c = Net::new(Admission::Open, RelayLimits::default());
    let (_, report) = c.relay.stored_elsewhere(&log[1..], &mut c.storage, 0);
    assert_eq!((report.stored, report.skipped), (0, 1));
    assert_eq!(c.storage.all().count(), 0);
    assert_eq!(c.relay.orphans(), 0);
}

/// An orphan a client sent to one instance, waiting for its parent, is
/// released when the parent arrives from another instance through the
/// shared log (it waited until it expired before: the parent came by a
/// path that did not look at orphans).
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = pollster::test)]
async fn an_orphan_is_released_by_its_parent_from_another_instance() {
    let mut b = Net::new(Admission::Open, RelayLimits::default());
    // Yolanda, linked to B, writes P and C, and C alone reaches B (P went
    // elsewhere, as to a page linked directly): B holds C as an orphan and
    // asks her for P.
    let yolanda = b.open(9, None).await;
    b.settle().await;
    let node = b.pages[yolanda].as_ref().unwrap();
    let p = node.publish(1, pay(key(2), 5, "EUR")).await.unwrap();
    let c = node.publish(2, pay(key(2), 6, "EUR")).await.unwrap();
    let frames = node.push_to_peers(std::slice::from_ref(&c));
    b.wire
        .extend(frames.into_iter().map(|(_, f)| (true, yolanda, f)));
    b.settle_until(|net| net.relay.orphans() == 1).await;
    assert_eq!(b.relay.orphans(), 1, "C waits for P at B");
    assert_eq!(b.storage.all().count(), 0);

    // P reaches B through the shared log first (another instance stored it).
    let log = vec![p.bytes().to_vec()];
    let (out, report) = b.relay.stored_elsewhere(&log, &mut b.storage, 0);
    assert_eq!(out.store_error, None);
    assert_eq!(report.stored, 1);
    assert_eq!(b.relay.orphans(), 0, "C released");
    assert_eq!(b.storage.all().count(), 2, "and stored");
    b.wire
        .extend(out.send.into_iter().map(|(to, f)| (false, to, f)));
    b.settle().await;
    assert!(b.dropped.is_empty());
    assert_eq!(b.storage.all().count(), 2);
}

/// A read of an event's bytes that fails after the write: the payment is
/// stored and acknowledged, and the push to Bob waits in his session for
/// its next turn. Before, the session counted the unread event as sent
/// with nothing sent (an event is never empty; the failed read gave its
/// bytes as empty), so Bob's next round did not bring it either.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = pollster::test)]
async fn an_event_whose_read_failed_is_sent_later_not_counted_as_sent() {
    let mut net = Net::new(Admission::Open, RelayLimits::default());
    let alice = net.open(1, None).await;
    let bob = net.open(2, None).await;
    net.settle().await;
    net.storage.fail_byte_reads_after_append = true;
    net.publish(alice, pay(key(2), 7, "EUR")).await;
    let out = net.relay_turn(alice);
    net.storage.fail_byte_reads_after_append = false;
    net.storage.fail_byte_reads = false;
    assert_eq!(out.stored, 1, "the payment is stored");
    assert!(
        out.send.iter().all(|(to, _)| *to == alice),
        "nothing went to Bob"
    );
    net.wire
        .extend(out.send.into_iter().map(|(to, f)| (false, to, f)));
    net.settle().await;
    let unsent = net.pages[alice].as_ref().unwrap().unsent(RELAY);
    assert_eq!(unsent, Some(0), "acknowledged to Alice");
    net.resync(bob);
    net.settle().await;
    assert_eq!(net.balance(bob, 2), 7, "Bob's next round brings it");
    assert!(net.dropped.is_empty());
}

/// A snapshot that cannot be taken after the write: the payment is
/// stored, but nothing acknowledges it, so the session ends and the server
/// closes the connection; the next one finds the payment held, and Alice
/// counts it as delivered at once. Before, the connection stayed with
/// nothing sent: Alice waited for an `Ack` until her next round.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = pollster::test)]
async fn a_write_that_cannot_be_acknowledged_ends_the_session() {
    let mut net = Net::new(Admission::Open, RelayLimits::default());
    let alice = net.open(1, None).await;
    net.settle().await;
    net.storage.fail_views_after_append = true;
    net.publish(alice, pay(key(3), 1, "EUR")).await;
    let out = net.relay_turn(alice);
    assert_eq!((out.stored, out.store_error.is_some()), (1, true));
    assert!(out.ends_session(), "nothing would acknowledge the payment");
    // The server closes the connection; the page links again.
    (net.storage.fail_views, net.storage.fail_views_after_append) = (false, false);
    net.pages[alice].as_ref().unwrap().disconnect_peer(RELAY);
    net.link(alice);
    net.settle().await;
    let unsent = net.pages[alice].as_ref().unwrap().unsent(RELAY);
    assert_eq!(unsent, Some(0), "counted as delivered");
    assert_eq!(net.storage.all().count(), 1, "stored once");
}

/// A turn whose reads of the relay's store failed acknowledges nothing:
/// its session ends with nothing sent, so the server closes the
/// connection, and the next one starts afresh. Before, the turn answered
/// the page's round and the connection stayed, with the payment taken in
/// by the session and never stored: here the network settled with the
/// relay holding nothing and the page waiting on it (the session's next
/// `Ack` would have told the page it had arrived).
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = pollster::test)]
async fn a_turn_whose_reads_failed_acknowledges_nothing() {
    let mut net = Net::new(Admission::Open, RelayLimits::default());
    let alice = net.open(1, None).await;
    net.settle().await;
    net.storage.fail_reads = true;
    // A round and a payment in one turn.
    net.resync(alice);
    net.publish(alice, pay(key(3), 1, "EUR")).await;
    let out = net.relay_turn(alice);
    net.storage.fail_reads = false;
    assert!(out.store_error.is_some());
    assert_eq!(out.stored, 0);
    // The server closes the connection when the turn ends the session.
    if out.ends_session() {
        net.relay.disconnect(&alice);
        net.pages[alice].as_ref().unwrap().disconnect_peer(RELAY);
        net.link(alice);
    } else {
        net.wire
            .extend(out.send.into_iter().map(|(to, f)| (false, to, f)));
    }
    net.settle().await;
    let unsent = net.pages[alice].as_ref().unwrap().unsent(RELAY);
    assert_eq!(
        (net.storage.all().count(), unsent),
        (1, Some(0)),
        "stored at the relay, and counted as sent by the page"
    );
}

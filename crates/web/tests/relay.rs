//! The relay link (`RelayLink`) in headless Chromium over real WebSockets.
//!
//! The relay itself (issue #14) is written elsewhere; until it serves
//! `/relay`, these tests run against `relay_pair`
//! (`crates/server/examples/relay_pair.rs`), a test-only stand-in that
//! speaks the join handshake of `docs/relay-protocol.md` and then pairs
//! the two clients of a room, passing binary messages between them: two
//! links in one page are then linked to each other, and the transport
//! conformance suite runs over them. `scripts/test-wasm.sh` starts it and
//! names it in `TRUSTFOLD_RELAY_PAIR_URL`. Browser only.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use futures_util::future::{Either, select};
use std::pin::pin;
use trustfold::transport::{Transport, TransportError, TransportEvent};
use trustfold_web::{MAX_QUEUED, RELAY, RelayLink, RelayState};
use wasm_bindgen_test::wasm_bindgen_test;

fn relay_url() -> &'static str {
    match option_env!("TRUSTFOLD_RELAY_PAIR_URL") {
        Some(url) => url,
        None => panic!(
            "TRUSTFOLD_RELAY_PAIR_URL is unset: run the browser tests with scripts/test-wasm.sh"
        ),
    }
}

fn fresh_room(prefix: &str) -> String {
    format!("{prefix}{}", (js_sys::Math::random() * 1e12) as u64)
}

/// A fresh private network's room: 64 lowercase hex digits.
fn private_room() -> String {
    (0..4)
        .map(|_| format!("{:016x}", (js_sys::Math::random() * 2f64.powi(53)) as u64))
        .collect()
}

/// Waits `ms` milliseconds.
async fn sleep(ms: f64) {
    trustfold_web::tabs::wait(ms).await;
}

/// The next event within `ms`, if any.
async fn next_within(t: &RelayLink, ms: f64) -> Option<TransportEvent> {
    match select(pin!(t.next()), pin!(sleep(ms))).await {
        Either::Left((event, _)) => event,
        Either::Right(_) => None,
    }
}

/// The next event that is not a frame (within 10 s).
async fn next_link_event(t: &RelayLink) -> TransportEvent {
    loop {
        match next_within(t, 10_000.0).await {
            Some(TransportEvent::Frame(..)) => continue,
            Some(event) => return event,
            None => panic!("no link event within 10 s"),
        }
    }
}

fn up() -> TransportEvent {
    TransportEvent::Up(RELAY.to_owned())
}

fn down() -> TransportEvent {
    TransportEvent::Down(RELAY.to_owned())
}

/// Two links in one room of the pairing relay, both up.
async fn linked_in(room: &str) -> (RelayLink, RelayLink) {
    let a = RelayLink::open(relay_url(), room, false).unwrap();
    let b = RelayLink::open(relay_url(), room, false).unwrap();
    let (at_a, at_b) = futures_util::future::join(next_link_event(&a), next_link_event(&b)).await;
    assert_eq!((at_a, at_b), (up(), up()));
    assert_eq!((a.state(), b.state()), (RelayState::Open, RelayState::Open));
    (a, b)
}

/// Two relay links paired through the stand-in relay.
struct RelayPair;

impl trustfold::testing::LinkedPair for RelayPair {
    type Transport = RelayLink;
    async fn linked(&self) -> (RelayLink, RelayLink, String, String) {
        let (a, b) = linked_in(&fresh_room("conformance-")).await;
        (a, b, RELAY.to_owned(), RELAY.to_owned())
    }
}

trustfold::transport_conformance_tests!(relay, RelayPair);

/// A socket lost as a network failure loses it is `Down` at both ends;
/// both links open a new socket after the first backoff (≤ 1 s), join
/// again, and carry frames, with no call from the application.
#[wasm_bindgen_test]
async fn a_lost_socket_comes_back_by_itself_and_carries_frames_again() {
    let (a, b) = linked_in(&fresh_room("sever-")).await;
    a.sever();
    let (at_a, at_b) = futures_util::future::join(next_link_event(&a), next_link_event(&b)).await;
    assert_eq!((at_a, at_b), (down(), down()));
    assert_eq!(a.state(), RelayState::Closed);
    assert!(matches!(
        a.send(RELAY, b"lost".to_vec()).await,
        Err(TransportError::NotConnected(_))
    ));
    let (at_a, at_b) = futures_util::future::join(next_link_event(&a), next_link_event(&b)).await;
    assert_eq!((at_a, at_b), (up(), up()));
    assert_eq!((a.reconnects(), b.reconnects()), (1, 1));
    a.send(RELAY, b"again".to_vec()).await.unwrap();
    assert_eq!(
        next_within(&b, 5000.0).await,
        Some(TransportEvent::Frame(RELAY.to_owned(), b"again".to_vec()))
    );
}

/// A link the node closes (the relay sent what no honest peer sends)
/// waits the longest backoff, 30 s, before trying again; its other end,
/// which only saw its socket close, tries again within a second.
#[wasm_bindgen_test]
async fn a_link_the_node_closes_waits_the_longest_backoff() {
    let (a, b) = linked_in(&fresh_room("close-")).await;
    a.close(RELAY);
    assert_eq!(next_link_event(&b).await, down());
    sleep(3000.0).await;
    assert_eq!(a.reconnects(), 0, "tried again before 15 s");
    assert_eq!(a.state(), RelayState::Closed);
    assert_eq!(b.reconnects(), 1);
    // b waits for a partner: connected, not joined.
    assert_eq!(b.state(), RelayState::Connecting);
}

/// A refusal (an error notice, then the socket closes) is kept as the
/// last error; the link is closed and tries again after the backoff.
#[wasm_bindgen_test]
async fn a_refusal_is_kept_as_the_last_error_and_tried_again() {
    let a = RelayLink::open(relay_url(), &fresh_room("refuse-"), false).unwrap();
    assert_eq!(a.state(), RelayState::Connecting);
    sleep(300.0).await;
    assert_eq!(a.last_error().map(|e| e.code), Some("NETWORK_FULL".into()));
    assert_eq!(a.notice().map(|n| n.code), Some("NETWORK_FULL".into()));
    assert_eq!(a.state(), RelayState::Closed);
    sleep(1500.0).await;
    assert!(a.reconnects() >= 1, "tried again after the first backoff");
    assert_eq!(next_within(&a, 0.0).await, None, "never up");
    // A private network's room is its identity, 64 hex digits: anything
    // else is refused by the relay.
    let b = RelayLink::open(relay_url(), "not-hex", true).unwrap();
    sleep(300.0).await;
    assert_eq!(b.last_error().map(|e| e.code), Some("BAD_ROOM".into()));
    b.stop();
    a.stop();
}

/// The limits published in `joined` are read as numbers; a notice after
/// it is kept (not as an error: the link stays up), and a new join clears
/// it.
#[wasm_bindgen_test]
async fn the_published_limits_and_a_notice_are_kept_and_the_link_stays_up() {
    let (a, b) = linked_in(&fresh_room("notice-")).await;
    let limits = a.limits().expect("the limits of joined");
    assert_eq!(limits.max_events_per_network, 1_000_000);
    assert_eq!(limits.author_share_percent, 25);
    assert!(!limits.evicts_events);
    sleep(200.0).await;
    let notice = a.notice().expect("the notice");
    assert_eq!(notice.code, "author_quota");
    assert!(notice.at > 0.0);
    assert_eq!(a.last_error(), None, "a notice is not an error");
    a.send(RELAY, b"still up".to_vec()).await.unwrap();
    assert_eq!(
        next_within(&b, 5000.0).await,
        Some(TransportEvent::Frame(
            RELAY.to_owned(),
            b"still up".to_vec()
        ))
    );
    a.sever();
    assert_eq!(next_link_event(&a).await, down());
    assert_eq!(a.notice().map(|n| n.code), Some("author_quota".into()));
    assert!(a.limits().is_some(), "kept while the link is down");
    assert_eq!(next_link_event(&a).await, up());
    // The stand-in says it again after each join: cleared, then heard anew.
    sleep(200.0).await;
    assert_eq!(a.notice().map(|n| n.code), Some("author_quota".into()));
    assert!(a.notice().unwrap().at > notice.at);
}

/// A raw WebSocket in `room` of the pairing relay: the other end of a
/// link, sending what a hostile relay could.
async fn raw_partner(room: &str, private: bool) -> web_sys::WebSocket {
    let ws = web_sys::WebSocket::new(relay_url()).unwrap();
    let opened = js_sys::Promise::new(&mut |open, _| ws.set_onopen(Some(&open)));
    wasm_bindgen_futures::JsFuture::from(opened).await.unwrap();
    ws.set_onopen(None);
    ws.send_with_str(&trustfold_web::join_message(room, private))
        .unwrap();
    ws
}

/// A frame over 64 KiB from the relay breaks the contract: the link drops.
#[wasm_bindgen_test]
async fn a_frame_over_64_kib_from_the_relay_drops_the_link() {
    let room = private_room();
    let a = RelayLink::open(relay_url(), &room, true).unwrap();
    let raw = raw_partner(&room, true).await;
    assert_eq!(
        next_link_event(&a).await,
        up(),
        "a private room of 64 hex joins"
    );
    raw.send_with_u8_array(&[7u8; 100]).unwrap();
    raw.send_with_u8_array(&vec![0u8; 64 * 1024 + 1]).unwrap();
    assert_eq!(
        next_within(&a, 5000.0).await,
        Some(TransportEvent::Frame(RELAY.to_owned(), vec![7u8; 100]))
    );
    assert_eq!(
        next_within(&a, 5000.0).await,
        Some(dropped(TransportError::TooLarge(64 * 1024 + 1)))
    );
    assert_eq!(next_within(&a, 5000.0).await, Some(down()));
    a.stop();
}

/// The relay dropped for what it sent, with why.
fn dropped(error: TransportError) -> TransportEvent {
    TransportEvent::Dropped {
        peer: RELAY.to_owned(),
        key: None,
        error,
    }
}

/// Frames the node does not take in are bounded: past the link's backlog
/// (`MAX_QUEUED` bytes by default, here set lower, as a page's
/// `setPeerBacklog` does) the link drops (what was queued before is still
/// delivered, then why, then `Down`).
#[wasm_bindgen_test]
async fn frames_not_taken_in_are_bounded() {
    let room = fresh_room("flood-");
    let a = RelayLink::open(relay_url(), &room, false).unwrap();
    let backlog = MAX_QUEUED / 2;
    a.set_backlog(backlog);
    let raw = raw_partner(&room, false).await;
    assert_eq!(next_link_event(&a).await, up());
    let frame = vec![1u8; 60 * 1024];
    let count = backlog / frame.len() + 20;
    for _ in 0..count {
        raw.send_with_u8_array(&frame).unwrap();
    }
    sleep(3000.0).await;
    let mut frames = 0;
    loop {
        match next_within(&a, 5000.0).await {
            Some(TransportEvent::Frame(..)) => frames += 1,
            Some(event) => {
                assert_eq!(event, dropped(TransportError::LinkBacklog(backlog)));
                assert_eq!(next_within(&a, 5000.0).await, Some(down()));
                break;
            }
            None => panic!("the link stayed up with {frames} frames queued"),
        }
    }
    assert!(frames * frame.len() <= backlog, "{frames} frames queued");
    assert!(frames > 0);
    a.stop();
}

/// Sending never waits, even while the socket buffers more than it sends
/// on (8 MiB): the frames wait in the socket's outbox and arrive in order.
/// Before, a send waited for the socket to drain, and with it the node's
/// one sync loop for all links.
#[wasm_bindgen_test]
async fn a_burst_past_the_socket_buffer_is_sent_at_once_and_arrives_in_order() {
    use futures_util::FutureExt;
    let (a, b) = linked_in(&fresh_room("burst-")).await;
    // 12 MiB without yielding: the socket cannot drain meanwhile.
    let frames = 192u32;
    for n in 0..frames {
        let mut frame = vec![0u8; 64 * 1024];
        frame[..4].copy_from_slice(&n.to_be_bytes());
        let sent = a.send(RELAY, frame).now_or_never();
        assert_eq!(sent, Some(Ok(())), "frame {n}: the send waited, or failed");
    }
    for n in 0..frames {
        match next_within(&b, 10_000.0).await {
            Some(TransportEvent::Frame(_, frame)) => {
                assert_eq!(frame[..4], n.to_be_bytes(), "out of order")
            }
            other => panic!("frame {n}: {other:?}"),
        }
    }
    a.stop();
    b.stop();
}

/// A relay that reads nothing of what it is sent (here, a burst with no
/// pause for the socket to drain) loses the socket once its outbox passes
/// its bound (8 MiB by default, here set lower, as a page's
/// `setSendBacklog` does), told as such: the page's memory stays bounded,
/// and it never waits.
#[wasm_bindgen_test]
async fn a_socket_whose_outbox_passes_its_bound_is_dropped() {
    let (a, b) = linked_in(&fresh_room("outbox-")).await;
    let bound = 2 << 20;
    a.set_send_backlog(bound);
    let frame = vec![7u8; 64 * 1024];
    let refused = common::send_until_refused(&a, RELAY, &frame, 400);
    assert_eq!(refused, Some(TransportError::SendBacklog(bound)));
    assert_eq!(
        next_link_event(&a).await,
        dropped(TransportError::SendBacklog(bound))
    );
    assert_eq!(next_link_event(&a).await, down());
    a.stop();
    b.stop();
}

/// A stopped link reports its peer down, ends, and opens nothing again.
#[wasm_bindgen_test]
async fn a_stopped_link_ends_and_opens_nothing_again() {
    let (a, b) = linked_in(&fresh_room("stop-")).await;
    a.stop();
    assert_eq!(a.next().await, Some(down()));
    assert_eq!(a.next().await, None);
    assert_eq!(next_link_event(&b).await, down());
    sleep(2500.0).await;
    assert_eq!((a.reconnects(), a.state()), (0, RelayState::Closed));
    b.stop();
}

/// A core node at the other end of the stand-in relay: what the page's
/// runtime syncs with when only the relay links it (no WebRTC peer).
async fn far_node(
    invite: Option<trustfold::invite::Invite>,
) -> trustfold::Node<trustfold::store::MemoryStore> {
    let mut n = 0u8;
    let fresh = move || {
        n += 1;
        let mut bytes = [n; 32];
        bytes[..8].copy_from_slice(&js_sys::Math::random().to_bits().to_le_bytes());
        bytes
    };
    trustfold::Node::open_in(trustfold::store::MemoryStore::new(), invite, None, fresh)
        .await
        .unwrap()
        .0
}

fn pay(amount: u64, memo: &str) -> trustfold::Body {
    trustfold::Body::Transfer(trustfold::Transfer {
        to: trustfold::Identity::from_secret([9; 32]).public_key(),
        amount,
        unit: "EUR".into(),
        memo: memo.into(),
        reverses: None,
    })
}

/// Waits (up to 10 s) until `done`.
async fn until(mut done: impl FnMut() -> bool, what: &str) {
    for _ in 0..200 {
        if done() {
            return;
        }
        sleep(50.0).await;
    }
    panic!("not within 10 s: {what}");
}

/// `BrowserNode::connect` runs one `sync_over` over WebRTC and the relay
/// together: with the signalling server unreachable, a page and a far
/// node linked only through the relay exchange events both ways, and the
/// relay's status says open and how far behind it is. A private network
/// joins the relay as its identity (`private: true`): the stand-in pairs
/// clients by room *and* `private`, so a page joining otherwise would
/// never meet the far node.
#[wasm_bindgen_test]
async fn a_page_syncs_through_the_relay_alone_and_says_how_far_behind_it_is() {
    use trustfold::invite::Invite;
    use trustfold_web::{BrowserNode, NetworkRef};
    for private in [false, true] {
        let (network, invite) = if private {
            let mut secret = [0u8; 32];
            secret[..8].copy_from_slice(&js_sys::Math::random().to_bits().to_le_bytes());
            let invite = Invite::new(secret, "coop").unwrap();
            (NetworkRef::Private(invite.clone()), Some(invite))
        } else {
            (NetworkRef::Open(fresh_room("relay-runtime-")), None)
        };
        let page = BrowserNode::open(&network, None).await.unwrap();
        assert_eq!(page.relay().state, "none");
        // No signalling server there: WebRTC finds nobody.
        page.connect_with("ws://127.0.0.1:9/signal", relay_url())
            .unwrap();
        assert_eq!(page.relay().state, "connecting");
        let far = far_node(invite.clone()).await;
        let far_link = RelayLink::open(relay_url(), &network.room(), private).unwrap();
        far.publish(1, pay(5, "from far")).await.unwrap();
        let (stop_far, stopped) = futures_channel::oneshot::channel::<()>();
        let driver = async {
            let sync = pin!(far.sync_over(&far_link, || [7; 16], |_| {}));
            let _ = select(sync, stopped).await;
        };
        let script = async {
            until(|| page.relay().state == "open", "the relay link is open").await;
            until(
                || page.node().replica().log().len() == 1,
                "the far event arrived",
            )
            .await;
            page.publish(pay(7, "from the page")).await.unwrap();
            until(
                || far.replica().log().len() == 2,
                "the page's event reached the far node",
            )
            .await;
            until(|| page.relay().unsent == 0, "the far end acknowledged").await;
            let status = page.sync_status();
            assert_eq!(status.peers, 0, "the relay is not counted among browsers");
            assert_eq!(status.relay.state, "open");
            assert!(page.peers().is_empty(), "nor listed among them");
            assert_eq!(page.signalling(), "closed");
            // The far end stops reading: what the page makes is owed.
            let _ = stop_far.send(());
        };
        futures_util::future::join(driver, script).await;
        page.publish(pay(8, "unread 1")).await.unwrap();
        page.publish(pay(9, "unread 2")).await.unwrap();
        sleep(200.0).await;
        assert_eq!(page.relay().unsent, 2, "two events not acknowledged");
        assert_eq!(page.relay().error, None);
        page.close();
        assert_eq!(page.relay().state, "none");
        far_link.stop();
        BrowserNode::forget(&network).await.unwrap();
    }
}

//! The WebRTC transport runs the transport conformance suite in headless
//! Chromium: two transports in one page, with two identities, join one room
//! of the real signalling server, which `scripts/test-wasm.sh` starts and
//! names in `TRUSTFOLD_SIGNAL_URL`. Browser only.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod common;

use trustfold::Identity;
use trustfold::transport::{Transport, TransportError, TransportEvent};
use trustfold_web::WebRtc;

fn signal_url() -> &'static str {
    match option_env!("TRUSTFOLD_SIGNAL_URL") {
        Some(url) => url,
        None => {
            panic!("TRUSTFOLD_SIGNAL_URL is unset: run the browser tests with scripts/test-wasm.sh")
        }
    }
}

/// Waits for a transport's first link to come up; returns the peer's id.
async fn first_up(t: &WebRtc) -> String {
    loop {
        match t.next().await {
            Some(TransportEvent::Up(peer)) => return peer,
            Some(_) => continue,
            None => panic!("transport shut down before a link came up"),
        }
    }
}

/// Two WebRTC transports linked through a fresh room of the real server.
struct WebRtcPair;

impl trustfold::testing::LinkedPair for WebRtcPair {
    type Transport = WebRtc;
    async fn linked(&self) -> (WebRtc, WebRtc, String, String) {
        webrtc_pair().await
    }
}

/// Two transports linked through a fresh room.
async fn webrtc_pair() -> (WebRtc, WebRtc, String, String) {
    let room = format!("conformance-{}", (js_sys::Math::random() * 1e12) as u64);
    let a = WebRtc::join(signal_url(), &room, Identity::from_secret([1; 32])).unwrap();
    // b joins once a is in the room, so b offers to a.
    let wait = js_sys::Promise::new(&mut |wake, _| {
        web_sys_timeout(&wake, 300.0);
    });
    wasm_bindgen_futures::JsFuture::from(wait).await.unwrap();
    let b = WebRtc::join(signal_url(), &room, Identity::from_secret([2; 32])).unwrap();
    let (b_at_a, a_at_b) = linked(&a, &b).await;
    (a, b, b_at_a, a_at_b)
}

/// Waits for `a` (identity 1) and `b` (identity 2) to link; each knows the
/// other by the key that signed its description. Returns (b at a, a at b).
async fn linked(a: &WebRtc, b: &WebRtc) -> (String, String) {
    let (b_at_a, a_at_b) = futures_util::future::join(first_up(a), first_up(b)).await;
    assert_eq!(
        a.key_of(&b_at_a),
        Some(Identity::from_secret([2; 32]).public_key())
    );
    assert_eq!(
        b.key_of(&a_at_b),
        Some(Identity::from_secret([1; 32]).public_key())
    );
    (b_at_a, a_at_b)
}

fn web_sys_timeout(callback: &js_sys::Function, ms: f64) {
    let set_timeout: js_sys::Function =
        js_sys::Reflect::get(&js_sys::global(), &"setTimeout".into())
            .unwrap()
            .into();
    set_timeout
        .call2(&wasm_bindgen::JsValue::NULL, callback, &ms.into())
        .unwrap();
}

trustfold::transport_conformance_tests!(webrtc, WebRtcPair);

/// The next event that is not a frame.
async fn next_link_event(t: &WebRtc) -> TransportEvent {
    loop {
        match t.next().await {
            Some(TransportEvent::Frame(..)) => continue,
            Some(event) => return event,
            None => panic!("transport shut down"),
        }
    }
}

#[wasm_bindgen_test::wasm_bindgen_test]
async fn a_link_that_fails_comes_back_by_itself_and_carries_frames_again() {
    for severed_by_offerer in [false, true] {
        let (a, b, b_at_a, a_at_b) = webrtc_pair().await;
        // b offered to a (see webrtc_pair).
        if severed_by_offerer {
            b.sever(&a_at_b);
        } else {
            a.sever(&b_at_a);
        }
        let (at_a, at_b) =
            futures_util::future::join(next_link_event(&a), next_link_event(&b)).await;
        assert_eq!(at_a, TransportEvent::Down(b_at_a.clone()));
        assert_eq!(at_b, TransportEvent::Down(a_at_b.clone()));
        // Back after the backoff (1 s), with no call from the application.
        let (at_a, at_b) =
            futures_util::future::join(next_link_event(&a), next_link_event(&b)).await;
        assert_eq!(at_a, TransportEvent::Up(b_at_a.clone()));
        assert_eq!(at_b, TransportEvent::Up(a_at_b.clone()));
        a.send(&b_at_a, b"again".to_vec()).await.unwrap();
        assert_eq!(
            b.next().await,
            Some(TransportEvent::Frame(a_at_b.clone(), b"again".to_vec()))
        );
        a.leave();
        b.leave();
    }
}

/// Waits `ms` milliseconds.
async fn sleep(ms: f64) {
    let promise = js_sys::Promise::new(&mut |wake, _| web_sys_timeout(&wake, ms));
    wasm_bindgen_futures::JsFuture::from(promise).await.unwrap();
}

/// The id of the next peer whose link comes up within `ms`, if any.
async fn up_within(t: &WebRtc, ms: f64) -> Option<String> {
    let up = std::pin::pin!(first_up(t));
    let waited = std::pin::pin!(sleep(ms));
    match futures_util::future::select(up, waited).await {
        futures_util::future::Either::Left((peer, _)) => Some(peer),
        futures_util::future::Either::Right(_) => None,
    }
}

/// The next link event (up or down) within `ms`, if any.
async fn link_event_within(t: &WebRtc, ms: f64) -> Option<TransportEvent> {
    let event = std::pin::pin!(next_link_event(t));
    let waited = std::pin::pin!(sleep(ms));
    match futures_util::future::select(event, waited).await {
        futures_util::future::Either::Left((event, _)) => Some(event),
        futures_util::future::Either::Right(_) => None,
    }
}

/// The next link event at `a` and at `b`, each within `ms`.
async fn link_events_within(
    a: &WebRtc,
    b: &WebRtc,
    ms: f64,
) -> (Option<TransportEvent>, Option<TransportEvent>) {
    futures_util::future::join(link_event_within(a, ms), link_event_within(b, ms)).await
}

/// A frame from `a` reaches `b` and one from `b` reaches `a`, each the
/// next thing its receiver takes in. `case` names the call in a failure
/// (one run saw a second `Up` at b here, and no one knew which round).
async fn frames_cross(a: &WebRtc, b: &WebRtc, b_at_a: &str, a_at_b: &str, case: &str) {
    use TransportEvent::Frame;
    a.send(b_at_a, b"there".to_vec()).await.unwrap();
    b.send(a_at_b, b"back".to_vec()).await.unwrap();
    assert_eq!(
        b.next().await,
        Some(Frame(a_at_b.to_owned(), b"there".to_vec())),
        "{case}: at b"
    );
    assert_eq!(
        a.next().await,
        Some(Frame(b_at_a.to_owned(), b"back".to_vec())),
        "{case}: at a"
    );
}

/// Both ends lose the link at once, or nearly, and both look for each
/// other again after the same backoff, so their asks and offers cross. One
/// link comes back within 10 s (not after an offer's 15 s timeout), carries
/// frames both ways and stays up. Each round puts a different gap between
/// the two cuts, so the messages cross at different points of the
/// negotiation. Four rounds: with the first link, within a member's six
/// offers an hour.
#[wasm_bindgen_test::wasm_bindgen_test]
async fn a_link_cut_at_both_ends_at_once_comes_back_once_and_stays_up() {
    use TransportEvent::{Down, Up};
    let (a, b, b_at_a, a_at_b) = webrtc_pair().await;
    // Which end is cut first (the higher connection id, b, or a), and
    // when the other is: when it sees its connection close, or after `gap`.
    let rounds = [
        (true, None),
        (false, None),
        (true, Some(0.0)),
        (false, Some(5.0)),
    ];
    for (b_first, gap) in rounds {
        let cuts = [(&b, &a_at_b), (&a, &b_at_a)];
        let [(first, at_first), (second, at_second)] =
            if b_first { cuts } else { [cuts[1], cuts[0]] };
        first.sever(at_first);
        if let Some(gap) = gap {
            sleep(gap).await;
            second.sever(at_second);
        }
        let (at_a, at_b) = link_events_within(&a, &b, 10_000.0).await;
        assert_eq!(
            at_a,
            Some(Down(b_at_a.clone())),
            "b first {b_first}, gap {gap:?} ms"
        );
        assert_eq!(
            at_b,
            Some(Down(a_at_b.clone())),
            "b first {b_first}, gap {gap:?} ms"
        );
        let (at_a, at_b) = link_events_within(&a, &b, 10_000.0).await;
        assert_eq!(
            at_a,
            Some(Up(b_at_a.clone())),
            "b first {b_first}, gap {gap:?} ms: not back at a"
        );
        assert_eq!(
            at_b,
            Some(Up(a_at_b.clone())),
            "b first {b_first}, gap {gap:?} ms: not back at b"
        );
        let case = format!("b first {b_first}, gap {gap:?} ms");
        frames_cross(&a, &b, &b_at_a, &a_at_b, &case).await;
        let (at_a, at_b) = link_events_within(&a, &b, 1_000.0).await;
        assert_eq!(
            (at_a, at_b),
            (None, None),
            "b first {b_first}, gap {gap:?} ms: the link went again"
        );
    }
    a.leave();
    b.leave();
}

/// One end gives a link up while the other still holds it open (its
/// network stalled past the restart timeout at one end only). The end that
/// gave up offers a new connection after the backoff; the other end takes
/// it, signed by the member over its nonce, as the member's word that its
/// end is gone: it closes its own and answers. Both are linked again
/// within 10 s (not after the other end's own timeouts), and frames cross.
/// Either end may be the one that gave up: b offered the link, a answered.
#[wasm_bindgen_test::wasm_bindgen_test]
async fn a_link_given_up_at_one_end_only_comes_back_at_once() {
    use TransportEvent::{Down, Frame, Up};
    for offerer_gives_up in [false, true] {
        let (a, b, b_at_a, a_at_b) = webrtc_pair().await;
        let (quits, stays, at_quits, at_stays) = if offerer_gives_up {
            (&b, &a, &a_at_b, &b_at_a)
        } else {
            (&a, &b, &b_at_a, &a_at_b)
        };
        let held = quits.give_up_quietly(at_quits).expect("a link to give up");
        let case = format!("offerer gives up: {offerer_gives_up}");
        assert_eq!(
            next_link_event(quits).await,
            Down(at_quits.clone()),
            "{case}"
        );
        let (at_q, at_s) = futures_util::future::join(link_event_within(quits, 10_000.0), async {
            let first = link_event_within(stays, 10_000.0).await;
            (first, link_event_within(stays, 10_000.0).await)
        })
        .await;
        assert_eq!(
            at_q,
            Some(Up(at_quits.clone())),
            "{case}: not back at the end that gave up"
        );
        assert_eq!(
            at_s,
            (Some(Down(at_stays.clone())), Some(Up(at_stays.clone()))),
            "{case}: the other end did not take the new connection"
        );
        quits.send(at_quits, b"anew".to_vec()).await.unwrap();
        loop {
            match stays.next().await {
                Some(Frame(from, frame)) if frame == b"anew" => {
                    assert_eq!(&from, at_stays);
                    break;
                }
                Some(Frame(..)) => continue,
                other => panic!("{case}: {other:?} instead of the frame"),
            }
        }
        drop(held);
        a.leave();
        b.leave();
    }
}

/// The server says a member left while its link is up, as a hostile
/// server may (or one instance of a scaled-out server about members on
/// another, while NATS is cut): the link stays, and frames cross it both
/// ways. Before, the server's word closed the link at once. The fault: the
/// member closes only its signalling socket (the page itself, on losing
/// it, leaves and closes its links).
#[wasm_bindgen_test::wasm_bindgen_test]
async fn a_member_the_server_says_left_keeps_its_link_while_the_link_holds() {
    let (a, b, b_at_a, a_at_b) = webrtc_pair().await;
    a.lose_signalling();
    // The server's peer-left reaches b within a moment; give it time.
    let (at_a, at_b) = link_events_within(&a, &b, 3_000.0).await;
    assert_eq!((at_a, at_b), (None, None), "the link went");
    assert_eq!(a.links().0, 1);
    assert_eq!(b.links().0, 1);
    frames_cross(&a, &b, &b_at_a, &a_at_b, "the server said a left").await;
    a.leave();
    b.leave();
}

/// A peer the application closes (it sent something invalid) frees its
/// place: the page may link to another member. Before, the place stayed
/// counted for good, so peers that each sent one invalid frame could fill
/// a page's links with places held by no one. And the peer's signals are
/// ignored from then on: before, it could offer again and be taken.
#[wasm_bindgen_test::wasm_bindgen_test]
async fn a_peer_closed_on_purpose_frees_its_place() {
    let (a, b, b_at_a, a_at_b) = webrtc_pair().await;
    assert_eq!(a.links().0, 1);
    a.close(&b_at_a);
    assert_eq!(a.links().0, 0, "the closed link still holds a place");
    assert_eq!(
        link_event_within(&b, 5_000.0).await,
        Some(TransportEvent::Down(a_at_b))
    );
    assert_eq!(
        link_event_within(&a, 1_000.0).await,
        Some(TransportEvent::Down(b_at_a))
    );
    // b, still in the room, offers again after its backoff (1 s): a
    // ignores it. Before, a took it, and b was back on a's links.
    assert_eq!(link_event_within(&a, 6_000.0).await, None, "b came back");
    assert_eq!(a.links().0, 0);
    a.leave();
    b.leave();
}

/// A peer that sends faster than the page takes frames in, past the bound
/// on what a link may hold (16 MiB; the sync protocol's window is 4 MiB),
/// is dropped: the page's memory does not grow with the flood. Before, the
/// frames queued without bound. The page is told why, and the key the
/// peer proved (before, nothing told it).
#[wasm_bindgen_test::wasm_bindgen_test]
async fn a_peer_that_floods_past_the_bound_on_held_frames_is_dropped() {
    let (a, b, b_at_a, a_at_b) = webrtc_pair().await;
    // a takes nothing in meanwhile; b, flooding, does not bound itself.
    b.set_send_backlog(64 << 20);
    let frame = vec![7u8; trustfold::sync::MAX_FRAME];
    let frames = trustfold_web::MAX_QUEUED / frame.len() + 8;
    let mut sent = 0;
    for _ in 0..frames {
        if b.send(&a_at_b, frame.clone()).await.is_err() {
            break;
        }
        sent += 1;
    }
    assert!(sent > 0);
    assert_eq!(
        link_event_within(&b, 10_000.0).await,
        Some(TransportEvent::Down(a_at_b)),
        "the flooding peer kept its link ({sent} frames sent)"
    );
    assert_eq!(a.links().0, 0);
    assert_eq!(
        link_event_within(&a, 1_000.0).await,
        Some(TransportEvent::Dropped {
            peer: b_at_a.clone(),
            key: Some(Identity::from_secret([2; 32]).public_key()),
            error: TransportError::LinkBacklog(trustfold_web::MAX_QUEUED),
        })
    );
    assert_eq!(
        link_event_within(&a, 1_000.0).await,
        Some(TransportEvent::Down(b_at_a))
    );
    a.leave();
    b.leave();
}

/// Peers that each stay within their link's bound but together go over
/// what the page holds from all links: the one whose frames would go over
/// is dropped, told as such, and linked again later; the other keeps its
/// link and what it sent.
#[wasm_bindgen_test::wasm_bindgen_test]
async fn peers_over_the_bound_of_all_links_lose_the_one_that_went_over() {
    let room = format!("backlog-{}", (js_sys::Math::random() * 1e12) as u64);
    let join = |n: u8| WebRtc::join(signal_url(), &room, Identity::from_secret([n; 32])).unwrap();
    let a = join(1);
    sleep(300.0).await;
    // b keeps one link, so c's only link is to a.
    let one_link = trustfold::sync::MeshLimits {
        links: 1,
        ..Default::default()
    };
    let b = WebRtc::join_mesh(
        signal_url(),
        &room,
        Identity::from_secret([2; 32]),
        None,
        one_link,
    )
    .unwrap();
    let (b_at_a, a_at_b) = linked(&a, &b).await;
    let c = join(3);
    let (c_at_a, a_at_c) = futures_util::future::join(first_up(&a), first_up(&c)).await;
    const MIB: usize = 1 << 20;
    a.set_backlog(2 * MIB, 3 * MIB);
    // a takes nothing in meanwhile: b's 1.75 MiB fit, and c's would not.
    let frame = vec![7u8; trustfold::sync::MAX_FRAME];
    for _ in 0..28 {
        b.send(&a_at_b, frame.clone()).await.unwrap();
    }
    // All of b's frames are held before c sends (else one of b's could be
    // the frame that goes over).
    for _ in 0..100 {
        if a.held_bytes() == 28 * frame.len() {
            break;
        }
        sleep(100.0).await;
    }
    assert_eq!(
        a.held_bytes(),
        28 * frame.len(),
        "b's frames did not arrive"
    );
    for _ in 0..28 {
        if c.send(&a_at_c, frame.clone()).await.is_err() {
            break;
        }
    }
    assert_eq!(
        link_event_within(&c, 10_000.0).await,
        Some(TransportEvent::Down(a_at_c)),
        "the peer that went over kept its link"
    );
    let mut from_b = 0;
    let told = loop {
        match a.next().await.unwrap() {
            TransportEvent::Frame(peer, _) if peer == b_at_a => from_b += 1,
            TransportEvent::Frame(..) => {}
            event => break event,
        }
    };
    assert_eq!(
        told,
        TransportEvent::Dropped {
            peer: c_at_a.clone(),
            key: Some(Identity::from_secret([3; 32]).public_key()),
            error: TransportError::AllLinksBacklog(3 * MIB),
        }
    );
    assert_eq!(from_b, 28, "b's frames were lost");
    assert_eq!(
        link_event_within(&a, 1_000.0).await,
        Some(TransportEvent::Down(c_at_a.clone()))
    );
    assert_eq!(a.links().0, 1, "b lost its link");
    frames_cross(
        &a,
        &b,
        &b_at_a,
        &a_at_b,
        "c went over the bound of all links",
    )
    .await;
    // Over the page's bound, not its own: c may have been honest, so it
    // is not banned, and its link comes back after the backoff. (The
    // first version banned it.)
    assert_eq!(up_within(&a, 10_000.0).await, Some(c_at_a));
    for t in [&a, &b, &c] {
        t.leave();
    }
}

/// Sending never waits, even on a link whose channel buffers more than it
/// sends on (8 MiB): the frames wait in the link's outbox and arrive in
/// order. Before, a send waited for the buffer to drain, and with it the
/// node's one sync loop for all links.
#[wasm_bindgen_test::wasm_bindgen_test]
async fn a_burst_past_the_channel_buffer_is_sent_at_once_and_arrives_in_order() {
    use futures_util::FutureExt;
    let (a, b, b_at_a, a_at_b) = webrtc_pair().await;
    // 12 MiB without yielding: the channel cannot drain meanwhile.
    let frames = 192u32;
    for n in 0..frames {
        let mut frame = vec![0u8; trustfold::sync::MAX_FRAME];
        frame[..4].copy_from_slice(&n.to_be_bytes());
        let sent = b.send(&a_at_b, frame).now_or_never();
        assert_eq!(sent, Some(Ok(())), "frame {n}: the send waited, or failed");
    }
    for n in 0..frames {
        match a.next().await {
            Some(TransportEvent::Frame(peer, frame)) => {
                assert_eq!(peer, b_at_a);
                assert_eq!(frame[..4], n.to_be_bytes(), "out of order");
            }
            other => panic!("frame {n}: {other:?}"),
        }
    }
    a.leave();
    b.leave();
}

/// A link whose outbox passes its bound (its peer reads nothing of what
/// it is sent; here, a burst with no pause for the channel to drain) is
/// given up, told as such, and linked again later: the sender's memory
/// stays bounded, and it never waits.
#[wasm_bindgen_test::wasm_bindgen_test]
async fn a_link_whose_outbox_passes_its_bound_is_given_up() {
    let (a, b, b_at_a, a_at_b) = webrtc_pair().await;
    const MIB: usize = 1 << 20;
    b.set_send_backlog(MIB);
    let frame = vec![7u8; trustfold::sync::MAX_FRAME];
    let refused = common::send_until_refused(&b, &a_at_b, &frame, 200);
    assert_eq!(refused, Some(TransportError::SendBacklog(MIB)));
    assert_eq!(
        link_event_within(&b, 1_000.0).await,
        Some(TransportEvent::Dropped {
            peer: a_at_b.clone(),
            key: Some(Identity::from_secret([1; 32]).public_key()),
            error: TransportError::SendBacklog(MIB),
        })
    );
    assert_eq!(
        link_event_within(&b, 1_000.0).await,
        Some(TransportEvent::Down(a_at_b))
    );
    assert_eq!(
        link_event_within(&a, 5_000.0).await,
        Some(TransportEvent::Down(b_at_a))
    );
    // Not banned: it may be honest on a very slow link.
    assert!(
        up_within(&b, 10_000.0).await.is_some(),
        "never linked again"
    );
    a.leave();
    b.leave();
}

/// A frame over the protocol's 64 KiB, which only a peer on another stack
/// sends (this package's `send` refuses it), drops that peer, told as such.
#[wasm_bindgen_test::wasm_bindgen_test]
async fn a_peer_that_sends_a_frame_over_the_limit_is_dropped() {
    let (a, b, b_at_a, a_at_b) = webrtc_pair().await;
    let big = trustfold::sync::MAX_FRAME + 1;
    b.send_unchecked(&a_at_b, &vec![1u8; big]).unwrap();
    assert_eq!(
        link_event_within(&a, 5_000.0).await,
        Some(TransportEvent::Dropped {
            peer: b_at_a.clone(),
            key: Some(Identity::from_secret([2; 32]).public_key()),
            error: TransportError::TooLarge(big),
        })
    );
    assert_eq!(
        link_event_within(&b, 5_000.0).await,
        Some(TransportEvent::Down(a_at_b))
    );
    assert_eq!(a.links().0, 0);
    a.leave();
    b.leave();
}

/// In a private network, two members holding the invite link; a stranger
/// in the same room — one holding another invite, one in an open network —
/// gets no link with them, and they none with it (issue #13).
#[wasm_bindgen_test::wasm_bindgen_test]
async fn in_a_private_network_only_holders_of_the_invite_get_a_link() {
    use std::rc::Rc;
    use trustfold::invite::Invite;
    let room = format!("private-{}", (js_sys::Math::random() * 1e12) as u64);
    let ours = Rc::new(Invite::new([3; 32], "our coop").unwrap().keys());
    let other = Rc::new(Invite::new([4; 32], "our coop").unwrap().keys());
    let join = |n: u8, keys: Option<Rc<trustfold::invite::NetworkKeys>>| {
        WebRtc::join_network(signal_url(), &room, Identity::from_secret([n; 32]), keys).unwrap()
    };
    let mallory = join(9, Some(other));
    let eve = join(8, None);
    sleep(300.0).await;
    let a = join(1, Some(ours.clone()));
    sleep(300.0).await;
    let b = join(2, Some(ours));
    linked(&a, &b).await;
    let (at_mallory, at_eve, at_a) = futures_util::future::join3(
        up_within(&mallory, 4000.0),
        up_within(&eve, 4000.0),
        up_within(&a, 4000.0),
    )
    .await;
    assert_eq!(at_mallory, None, "another invite's holder got a link");
    assert_eq!(at_eve, None, "an open network's node got a link");
    assert_eq!(at_a, None, "a member linked with a stranger");
    for t in [&a, &b, &mallory, &eve] {
        t.leave();
    }
}

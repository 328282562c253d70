//! The transport conformance suite: every [`Transport`] carries frames
//! whole and in order both ways, reports a closed link at both ends and
//! refuses oversized frames without dropping the link.
//! [`transport_conformance_tests!`](crate::transport_conformance_tests)
//! emits one test per function for a [`LinkedPair`].

use super::LinkedPair;
use crate::transport::{Transport, TransportError, TransportEvent};

/// The next event that is not a link coming up.
async fn next_frame(t: &impl Transport) -> Option<TransportEvent> {
    loop {
        match t.next().await? {
            TransportEvent::Up(_) => continue,
            other => return Some(other),
        }
    }
}

/// Frames arrive whole and in order both ways.
pub async fn frames_arrive_whole_and_in_order_both_ways<P: LinkedPair>(pair: &P) {
    let (a, b, b_at_a, a_at_b) = pair.linked().await;
    let big: Vec<u8> = (0..crate::sync::MAX_FRAME)
        .map(|i| (i % 251) as u8)
        .collect();
    for frame in [b"one".to_vec(), big.clone(), b"three".to_vec()] {
        a.send(&b_at_a, frame).await.unwrap();
    }
    b.send(&a_at_b, b"back".to_vec()).await.unwrap();
    assert_eq!(
        next_frame(&b).await,
        Some(TransportEvent::Frame(a_at_b.clone(), b"one".to_vec()))
    );
    assert_eq!(
        next_frame(&b).await,
        Some(TransportEvent::Frame(a_at_b.clone(), big))
    );
    assert_eq!(
        next_frame(&b).await,
        Some(TransportEvent::Frame(a_at_b.clone(), b"three".to_vec()))
    );
    assert_eq!(
        next_frame(&a).await,
        Some(TransportEvent::Frame(b_at_a.clone(), b"back".to_vec()))
    );
}

/// A closed link is down at both ends and refuses frames.
pub async fn a_closed_link_is_down_at_both_ends_and_refuses_frames<P: LinkedPair>(pair: &P) {
    let (a, b, b_at_a, a_at_b) = pair.linked().await;
    a.close(&b_at_a);
    assert_eq!(
        next_frame(&a).await,
        Some(TransportEvent::Down(b_at_a.clone()))
    );
    assert_eq!(
        next_frame(&b).await,
        Some(TransportEvent::Down(a_at_b.clone()))
    );
    assert!(matches!(
        a.send(&b_at_a, b"late".to_vec()).await,
        Err(TransportError::NotConnected(_))
    ));
}

/// An oversized frame is refused and the link stays up.
pub async fn an_oversized_frame_is_refused_and_the_link_stays_up<P: LinkedPair>(pair: &P) {
    let (a, b, b_at_a, a_at_b) = pair.linked().await;
    let huge = vec![0u8; crate::sync::MAX_FRAME + 1];
    assert!(matches!(
        a.send(&b_at_a, huge).await,
        Err(TransportError::TooLarge(_))
    ));
    a.send(&b_at_a, b"fine".to_vec()).await.unwrap();
    assert_eq!(
        next_frame(&b).await,
        Some(TransportEvent::Frame(a_at_b, b"fine".to_vec()))
    );
}

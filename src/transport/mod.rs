//! Transports: links that move frames between this node and its peers.
//!
//! A transport knows nothing of events or sessions: it reports links going
//! up and down and frames arriving, and sends frames on a link (waiting
//! while the link's buffer is full). [`Node::sync_over`](crate::Node::sync_over)
//! runs the sync protocol over any of them. Every implementation — in
//! memory, and WebRTC data channels in the browser — passes
//! [`transport_conformance_tests!`](crate::transport_conformance_tests).

mod memory;
#[cfg(target_arch = "wasm32")]
mod webrtc;

pub use memory::{MemoryNetwork, MemoryTransport};
#[cfg(target_arch = "wasm32")]
pub use webrtc::{MAX_LINKS, WebRtc};

use crate::event::PublicKey;

use thiserror::Error;

/// Something that happened on a transport.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TransportEvent {
    /// A link to this peer is up.
    Up(String),
    /// A frame from this peer.
    Frame(String, Vec<u8>),
    /// The link to this peer is down.
    Down(String),
}

/// Why a frame was not sent.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum TransportError {
    /// No link to that peer (never up, or down since).
    #[error("no link to peer {0}")]
    NotConnected(String),
    /// A frame over the transport's limit.
    #[error("frame of {0} bytes is over the limit")]
    TooLarge(usize),
    /// The link failed while sending.
    #[error("link failed: {0}")]
    Failed(String),
}

/// Moves frames between this node and its peers. See the [module docs](self).
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// Sends a frame to a peer whose link is up.
    async fn send(&self, peer: &str, frame: Vec<u8>) -> Result<(), TransportError>;
    /// The next event; `None` once the transport is shut down.
    async fn next(&self) -> Option<TransportEvent>;
    /// Closes the link to a peer (both ends then see it down).
    fn close(&self, peer: &str);
    /// The identity key a peer proved it holds, if the transport checks one.
    fn peer_key(&self, _peer: &str) -> Option<PublicKey> {
        None
    }
}

/// The conformance suite every [`Transport`] passes, natively (through
/// `pollster`) and in the browser.
///
/// `$pair` is an expression of type `impl Future<Output = (T, T, String,
/// String)>`: two transports linked to each other, with the id each one
/// has for the other (`a` knows `b` as the third item, `b` knows `a` as
/// the fourth). Their `Up` events may already be queued.
#[macro_export]
macro_rules! transport_conformance_tests {
    ($name:ident, $pair:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            use wasm_bindgen_test::wasm_bindgen_test;
            use $crate::transport::{Transport, TransportError, TransportEvent};

            /// The next event that is not a link coming up.
            async fn next_frame(t: &impl Transport) -> Option<TransportEvent> {
                loop {
                    match t.next().await? {
                        TransportEvent::Up(_) => continue,
                        other => return Some(other),
                    }
                }
            }

            #[wasm_bindgen_test(unsupported = pollster::test)]
            async fn frames_arrive_whole_and_in_order_both_ways() {
                let (a, b, b_at_a, a_at_b) = $pair.await;
                let big: Vec<u8> = (0..$crate::sync::MAX_FRAME)
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

            #[wasm_bindgen_test(unsupported = pollster::test)]
            async fn a_closed_link_is_down_at_both_ends_and_refuses_frames() {
                let (a, b, b_at_a, a_at_b) = $pair.await;
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

            #[wasm_bindgen_test(unsupported = pollster::test)]
            async fn an_oversized_frame_is_refused_and_the_link_stays_up() {
                let (a, b, b_at_a, a_at_b) = $pair.await;
                let huge = vec![0u8; $crate::sync::MAX_FRAME + 1];
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
        }
    };
}

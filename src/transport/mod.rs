//! Transports: links that move frames between this node and its peers.
//!
//! A transport knows nothing of events or sessions: it reports links going
//! up and down and frames arriving, and sends frames on a link (waiting
//! while the link's buffer is full). [`Node::sync_over`](crate::Node::sync_over)
//! runs the sync protocol over any of them. Every implementation — in
//! memory, and WebRTC data channels in the browser — passes
//! [`transport_conformance_tests!`](crate::transport_conformance_tests).

mod memory;

pub use memory::{MemoryNetwork, MemoryTransport};

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

//! Transports: links that move frames between this node and its peers.
//!
//! A transport knows nothing of events or sessions: it reports links going
//! up and down and frames arriving, and sends frames on a link (waiting
//! while the link's buffer is full). [`Node::sync_over`](crate::Node::sync_over)
//! runs the sync protocol over any of them. Every implementation — in
//! memory, WebRTC data channels and the relay's WebSocket in the browser,
//! and [`Pair`], two transports as one — passes
//! [`transport_conformance_tests!`](crate::transport_conformance_tests).

mod memory;
mod pair;

pub use memory::{MemoryNetwork, MemoryTransport};
pub use pair::Pair;

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
    /// The transport dropped this peer for what it sent (`error` says
    /// what): its link is closed, and a `Down` follows if it was up.
    /// `key` is the identity key it had proved, if any.
    Dropped {
        /// The peer's id.
        peer: String,
        /// The identity key it proved, if the transport checks one.
        key: Option<PublicKey>,
        /// What it did.
        error: TransportError,
    },
}

/// Why a frame was not sent, or why a peer was dropped.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportError {
    /// No link to that peer (never up, or down since).
    /// Code `not_connected`.
    #[error("no link to peer {0}")]
    NotConnected(String),
    /// A frame over the transport's limit.
    /// Code `frame_over_link_limit`.
    #[error("frame of {0} bytes is over the limit")]
    TooLarge(usize),
    /// The link failed while sending.
    /// Code `link_failed`.
    #[error("link failed: {0}")]
    Failed(String),
    /// The peer sent more than its link holds unread (this many bytes):
    /// an honest peer stays within the sync protocol's window.
    /// Code `link_backlog_exceeded`.
    #[error("the peer sent more than the {0} bytes its link holds unread")]
    LinkBacklog(usize),
    /// The peer's frame would take what all links hold unread past this
    /// many bytes.
    /// Code `links_backlog_exceeded`.
    #[error("the peer's frame would take what all links hold unread past {0} bytes")]
    AllLinksBacklog(usize),
    /// Frames waiting to go to the peer would pass this many bytes: it
    /// has not been reading what it was sent.
    /// Code `send_backlog_exceeded`.
    #[error("frames waiting to go to the peer would pass {0} bytes")]
    SendBacklog(usize),
}

impl TransportError {
    /// The stable code of this error: snake_case, unique among the crate's
    /// codes, named in each variant's doc (a wrapping variant gives the
    /// wrapped error's).
    pub fn code(&self) -> &'static str {
        match self {
            TransportError::NotConnected(..) => "not_connected",
            TransportError::TooLarge(..) => "frame_over_link_limit",
            TransportError::Failed(..) => "link_failed",
            TransportError::LinkBacklog(..) => "link_backlog_exceeded",
            TransportError::AllLinksBacklog(..) => "links_backlog_exceeded",
            TransportError::SendBacklog(..) => "send_backlog_exceeded",
        }
    }
}

/// Moves frames between this node and its peers. See the [module docs](self).
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// Sends a frame to a peer whose link is up.
    async fn send(&self, peer: &str, frame: Vec<u8>) -> Result<(), TransportError>;
    /// The next event; `None` once the transport is shut down.
    ///
    /// **Must be cancel-safe**: dropping the future before it completes
    /// loses no event (the event stays queued for the next call).
    /// [`Node::sync_over`](crate::Node::sync_over) polls it once with
    /// `now_or_never` to take what is already queued, and [`Pair`] races
    /// two transports' `next` and drops the loser's. A queue read through
    /// `futures_util::lock::Mutex` and a channel receiver's `next()` (what
    /// every transport here does) is.
    async fn next(&self) -> Option<TransportEvent>;
    /// Closes the link to a peer (both ends then see it down).
    fn close(&self, peer: &str);
    /// The identity key a peer proved it holds, if the transport checks one.
    fn peer_key(&self, _peer: &str) -> Option<PublicKey> {
        None
    }
}

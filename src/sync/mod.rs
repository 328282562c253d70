//! Sync: reconciliation of two logs over a byte channel, sans I/O.
//!
//! A [`Session`] per peer takes frames in and gives frames out; the caller
//! moves the bytes and ingests (validates, stores, applies) the events a
//! session hands over. [`Peers`] keeps the sessions of one node and
//! forwards what a node newly applied to its other peers, so a partial mesh
//! converges. [`Orphans`] holds events that arrived before their parents,
//! apart from the log, bounded per peer and in total.
//!
//! One round, as in Byzantine Eventual Consistency (Kleppmann & Howard):
//! each side sends [`Message::Hello`] — its heads and a salted Bloom filter
//! of its events beyond what the peer is known to hold, leaving out those
//! the peer sent it in this session (the peer marked them sent). The other
//! side sends every event of its own beyond those heads that it has not
//! sent in this session and the filter does
//! not hold, together with every descendant of such an event (the peer
//! cannot hold a child without its parent, so a false positive on a parent
//! is repaired by its children), then [`Message::Answered`]. When that is
//! not enough — a false positive with no descendant, a lost frame — the
//! receiver asks for what it still misses ([`Message::Want`]), by id, and
//! gets it with whatever of its past the asker is not known to hold.
//!
//! Delivery is counted only when the peer says it holds an event: the
//! receiver answers what it ingested with [`Message::Ack`], naming the tips
//! of what it now holds. Queued or sent is not delivered: a link that drops
//! loses what was in flight, and the next round sends it again.
//!
//! Bounds, all part of the protocol (see [`Limits`]):
//! - **receive window**: a sender keeps at most [`Limits::window`] bytes of
//!   events unacknowledged; `Ack` carries the highest `Events` sequence
//!   number taken in. A receiver that is sent more than twice the window
//!   beyond its last `Ack` drops the sender, so what a node holds in flight
//!   from any peer is bounded whatever the catch-up size;
//! - **amplification**: what a peer can make a node send (answers to
//!   `Hello` and `Want`) is bounded by twice the bytes it sent plus
//!   [`Limits::round`] per round; a longer answer stops early with
//!   `Answered { more: true }` and the peer starts another round. Within a
//!   session what the peer acknowledged is never sent again, so a peer that
//!   asks for everything again and again gets nothing twice;
//! - **forks**: a `Hello` names at most [`MAX_HELLO_HEADS`] heads (a
//!   subset of heads is still a true lower bound of what one holds), so
//!   heads announced stay small however many forks exist.
//!
//! Invalid input is the caller's to judge: a frame that does not decode or
//! breaks the protocol is a [`FrameError`] here, an event that does not
//! validate is refused by the caller. Either way the caller drops the peer.

mod allowance;
mod bloom;
mod budget;
mod dag;
mod frame;
mod gossip;
mod membership;
mod orphans;
mod peers;
mod session;

pub use allowance::{Allowance, Promises};
pub use bloom::Bloom;
pub use budget::ConnectionBudget;
pub use dag::{Dag, beyond_within};
pub use frame::{FrameError, Framer, MAX_FRAME, MAX_MESSAGE, PROTOCOL, Violation};
pub use gossip::{Gossip, GossipLimits, GossipStats};
pub use membership::{Membership, MeshLimits};
pub use orphans::{OrphanLimits, Orphans};
pub use peers::{Outgoing, Peers};
pub use session::{Carried, Incoming, Ingested, Session};
pub(crate) use session::{has_bit, set_bit};

use crate::event::EventId;
use serde::{Deserialize, Serialize};

/// Ids per [`Message::Want`].
pub const MAX_WANT: usize = 4096;
/// Heads a [`Message::Hello`] names at most.
pub const MAX_HELLO_HEADS: usize = 64;
/// Ids a [`Message::Ack`] names at most.
pub const MAX_ACK_IDS: usize = 64;

/// What peers say to each other.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    /// My heads (at most [`MAX_HELLO_HEADS`]), and a filter of my events
    /// beyond what you are known to hold.
    Hello {
        /// The sender's heads, or the latest of them.
        heads: Vec<EventId>,
        /// The sender's events beyond the receiver's last announced heads.
        filter: Bloom,
    },
    /// Events, parents before children: their exact bytes back to back
    /// (an event's encoding tells its length, so no prefix is needed).
    Events {
        /// Numbers the `Events` messages of a session from 1, for [`Message::Ack`].
        seq: u32,
        /// The events' bytes, concatenated.
        #[serde(with = "serde_bytes")]
        events: Vec<u8>,
    },
    /// The answer to the receiver's last `Hello` is complete: what it
    /// still misses after this, it should ask for.
    Answered {
        /// The answer stopped at the round's allowance: start another round.
        more: bool,
    },
    /// Send me these events (and what of their past I am not known to hold).
    Want {
        /// Their ids.
        ids: Vec<EventId>,
    },
    /// What the sender took in: every `Events` message up to `through` was
    /// ingested (or lost), and it now holds `held` and their ancestors.
    Ack {
        /// The highest `Events` sequence number taken in.
        through: u32,
        /// Tips of the events now held (at most [`MAX_ACK_IDS`]).
        held: Vec<EventId>,
        /// Some events taken in were not kept (a write failed): count
        /// nothing sent so far as delivered.
        lost: bool,
    },
    /// Ids of events the sender newly holds, announced instead of pushed
    /// (a lazy link, see [`Gossip`]): the receiver asks with `Want` for
    /// those it still lacks after a short wait. At most [`MAX_WANT`].
    Have {
        /// Their ids.
        ids: Vec<EventId>,
    },
    /// Send me exactly these events, announced by you with `Have` (their
    /// past I hold, or ask for as for any event whose parents are
    /// missing). Also: push new events to me in full again (a graft).
    /// At most [`MAX_WANT`].
    Pull {
        /// Their ids.
        ids: Vec<EventId>,
    },
    /// Stop pushing new events to me in full: announce them with `Have`.
    /// Sent when a push brought only events already held (another link
    /// was faster); a `Pull` undoes it.
    Prune,
}

/// What a node remembers of a peer between meetings (see [`Session::met`]).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Met {
    /// Events the peer holds, with their ancestors (a lower bound).
    pub held: Vec<EventId>,
    /// My events the peer knows I hold, with their ancestors.
    pub seen: Vec<EventId>,
}

/// A session's bounds. Both sides must agree on the window (it is part of
/// the protocol): the defaults are what every node uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of events sent and not yet acknowledged, at most.
    pub window: usize,
    /// Bytes of events one round's answers may send beyond twice what the
    /// peer sent.
    pub round: usize,
}

/// Default receive window: 4 MiB (a 2 MiB document change always fits).
pub const DEFAULT_WINDOW: usize = 4 * 1024 * 1024;
/// Default allowance per round: 8 MiB (≈ 40,000 payments).
pub const DEFAULT_ROUND: usize = 8 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            window: DEFAULT_WINDOW,
            round: DEFAULT_ROUND,
        }
    }
}

/// Counters of one peer's traffic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Frames sent.
    pub frames_sent: u64,
    /// Bytes sent, frames included.
    pub bytes_sent: u64,
    /// Bytes of events sent (their exact bytes).
    pub event_bytes_sent: u64,
    /// Events sent.
    pub events_sent: u64,
    /// Frames received.
    pub frames_received: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Events received.
    pub events_received: u64,
    /// The most bytes of events held unacknowledged from the peer at once.
    pub max_in_flight_received: u64,
}

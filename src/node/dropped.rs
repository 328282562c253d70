//! Peers this node dropped for what they sent, with why: an app tells its
//! user that a stranger broke the rules (and which key it proved), instead
//! of a link that silently went.
//!
//! A peer is dropped for an invalid frame or event (the codes of
//! [`PeerError`](super::PeerError)), or by its transport for flooding
//! (the codes of [`TransportError`](crate::transport::TransportError)).
//! The record is bounded: the latest [`DROPPED_KEPT`], and a count of all.

use crate::event::PublicKey;
use std::collections::VecDeque;

/// Drops kept, the latest first to go when full.
pub const DROPPED_KEPT: usize = 16;

/// A peer dropped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DroppedPeer {
    /// Its id on the transport.
    pub peer: String,
    /// The identity key it had proved, if its transport checks one.
    pub key: Option<PublicKey>,
    /// The stable code of what it did (an error's `code()`).
    pub code: &'static str,
}

/// Peers dropped since the node opened: see the [module docs](self).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DroppedPeers {
    /// Peers dropped in all.
    pub total: u32,
    /// The latest [`DROPPED_KEPT`], oldest first.
    pub latest: VecDeque<DroppedPeer>,
}

impl DroppedPeers {
    /// Records a drop, forgetting the oldest kept past the bound.
    pub(crate) fn record(&mut self, dropped: DroppedPeer) {
        self.total = self.total.saturating_add(1);
        if self.latest.len() >= DROPPED_KEPT {
            self.latest.pop_front();
        }
        self.latest.push_back(dropped);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// However many peers a flood of strangers gets dropped, the record
    /// holds the latest few and counts them all.
    #[test]
    fn the_record_keeps_the_latest_and_counts_all() {
        let mut dropped = DroppedPeers::default();
        for n in 0..DROPPED_KEPT + 5 {
            dropped.record(DroppedPeer {
                peer: n.to_string(),
                key: None,
                code: "link_backlog_exceeded",
            });
        }
        assert_eq!(dropped.total as usize, DROPPED_KEPT + 5);
        assert_eq!(dropped.latest.len(), DROPPED_KEPT);
        assert_eq!(dropped.latest.front().unwrap().peer, "5");
        assert_eq!(
            dropped.latest.back().unwrap().peer,
            (DROPPED_KEPT + 4).to_string()
        );
    }
}

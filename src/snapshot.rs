//! Snapshots: caches a node keeps beside its log so that opening is fast.
//!
//! * [`CachedState`] — what a person sees (balances, and every collection's
//!   records as the owner's policy showed them), readable before the log is
//!   loaded: a page shows it at once, then the state computed from the log.
//! * saved documents — each Automerge document in its compact saved form.
//!   Loading one and then applying the log's changes (those already in it
//!   cost next to nothing) is several times faster than applying the whole
//!   history. A saved document holding a change the log does not carry is
//!   stale or foreign and is dropped: the document is rebuilt from the log.
//!
//! Both carry a format version; one that does not decode is ignored, never
//! an error. The log is the truth.

use crate::PublicKey;
use crate::doc::{Collection, collection_id};
use crate::event::DocId;
use serde::{Deserialize, Serialize};

/// Snapshot format version: bump when the layout changes, or when what a
/// snapshot may hold does (old ones are then ignored, and the state and
/// documents rebuilt from the log). 2 (2026-12-06): names over
/// `MAX_NAME_BYTES` are refused by the document guard, which a loaded saved
/// document skips; one saved before could hold such a change, and its
/// owner's later changes, built on it, be refused by every other node.
/// 3 (2026-12-06, later): the guard refuses an op on a map key not naming
/// the value its own change put there before it (values planted side by
/// side, to push an honest write past `MAX_CHANGE_PREDS`), for the same
/// reason.
const FORMAT: u8 = 3;

/// The state as last saved. See the [module docs](self).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CachedState {
    /// Events in the log when it was saved.
    pub events: u64,
    /// When it was saved (the caller's clock, ms).
    pub saved_at: u64,
    /// Every non-zero balance: (account, unit, balance).
    pub balances: Vec<(PublicKey, String, i128)>,
    /// Every collection as the owner saw it, by document id.
    pub collections: Vec<(DocId, Collection)>,
}

impl CachedState {
    /// The records of the collection named `name`, as saved.
    pub fn collection(&self, name: &str) -> Collection {
        let id = collection_id(name);
        self.collections
            .iter()
            .find(|(d, _)| *d == id)
            .map(|(_, c)| c.clone())
            .unwrap_or_default()
    }
}

/// Automerge documents in their saved form (bytes decoded as one copy,
/// not byte by byte; the same encoding as a `Vec<u8>`).
pub(crate) type SavedDocs = Vec<(DocId, serde_bytes::ByteBuf)>;

pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut bytes = vec![FORMAT];
    bytes.extend(crate::encode::to_bytes(value));
    bytes
}

pub(crate) fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Option<T> {
    match bytes.split_first() {
        Some((&FORMAT, rest)) => postcard::from_bytes(rest).ok(),
        _ => None,
    }
}

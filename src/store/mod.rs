//! Storage: where a node keeps its log, metadata and snapshots.
//!
//! One small async trait, [`Store`], with an in-memory implementation
//! ([`MemoryStore`]) and, in the browser, an IndexedDB one ([`IdbStore`],
//! through rexie). Every implementation runs the same conformance suite
//! ([`store_conformance_tests!`](crate::store_conformance_tests)).
//!
//! * **events**: the exact verified bytes, keyed by id. On load a store
//!   re-hashes every record and *skips and reports* one whose bytes do not
//!   hash to its key (a corrupted record) instead of failing the load.
//! * **meta**: small named values (identity, policy, heads).
//! * **snapshots**: caches (reduced state, saved documents); the log is the truth.
//!
//! Writes of a batch of events happen in one transaction. A failed write
//! reaches the caller as a typed [`StoreError`] and leaves what was stored intact.

mod block;
mod memory;

pub use block::{BLOCK_FORMAT, BlockReader, encode_block, find_in_block};
pub use memory::MemoryStore;

use crate::event::EventId;
use thiserror::Error;

/// Why a store operation failed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The browser refused the write for lack of space.
    /// Code `quota_exceeded`.
    #[error("storage quota exceeded")]
    QuotaExceeded,
    /// The database could not be opened or upgraded (another tab holds an older version open).
    /// Code `storage_blocked`.
    #[error("database blocked: {0}")]
    Blocked(String),
    /// The database was closed.
    /// Code `storage_closed`.
    #[error("database is closed")]
    Closed,
    /// Any other failure of the storage backend, with its message.
    /// Code `storage_failed`.
    #[error("storage failed: {0}")]
    Backend(String),
}

impl StoreError {
    /// The stable code of this error: snake_case, unique among the crate's
    /// codes, named in each variant's doc (a wrapping variant gives the
    /// wrapped error's).
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::QuotaExceeded => "quota_exceeded",
            StoreError::Blocked(..) => "storage_blocked",
            StoreError::Closed => "storage_closed",
            StoreError::Backend(..) => "storage_failed",
        }
    }
}

/// Events read back from a store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadedEvents {
    /// Intact records: (id, exact bytes), each id the hash of its bytes
    /// (see [`Store::load_events`]).
    pub events: Vec<(EventId, Vec<u8>)>,
    /// Records skipped because they are damaged, each with what is wrong.
    pub corrupt: Vec<String>,
    /// Events found again after damage by their bytes hashing to their id
    /// (`store::block`): bytes a peer signed could hold such a record
    /// inside an event, so these are checked as a peer's are, signature
    /// included, before they are used.
    pub unverified: Vec<EventId>,
}

/// Where a node keeps its data. See the [module docs](self).
///
/// The futures are not `Send`: in the browser everything runs on one thread.
#[allow(async_fn_in_trait)]
pub trait Store {
    /// Stores events (id, exact bytes) and sets metadata values, all in one
    /// transaction: either everything is written or nothing is.
    async fn write(
        &self,
        events: &[(EventId, &[u8])],
        meta: &[(&str, &[u8])],
    ) -> Result<(), StoreError>;
    /// Stores events (id, exact bytes) in one transaction. An id stored
    /// again keeps its bytes (an id is the hash of its bytes).
    async fn put_events(&self, events: &[(EventId, &[u8])]) -> Result<(), StoreError> {
        self.write(events, &[]).await
    }
    /// One stored event's bytes, unchecked (the caller checks them).
    async fn get_event(&self, id: &EventId) -> Result<Option<Vec<u8>>, StoreError>;
    /// Every intact stored event; damaged records are skipped and reported.
    /// Each id given must be the hash of its bytes, checked as the record is
    /// read ([`check_record`]): a node opens its events under these ids
    /// without hashing them again.
    async fn load_events(&self) -> Result<LoadedEvents, StoreError>;
    /// How many event records are stored.
    async fn event_count(&self) -> Result<usize, StoreError>;
    /// A metadata value.
    async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Sets a metadata value.
    async fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// A snapshot (a cache: may be missing or stale).
    async fn get_snapshot(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Replaces a snapshot.
    async fn put_snapshot(&self, key: &str, value: &[u8]) -> Result<(), StoreError>;
    /// Called between slices of long work on what the store gave (opening
    /// 100,000 events takes seconds): a store on a thread that also runs a
    /// user interface lets it handle input and paint here. By default it
    /// returns at once.
    async fn pause(&self) {}
}

/// A store shared by several nodes (the tabs of a browser, in tests).
impl<S: Store> Store for std::rc::Rc<S> {
    async fn write(
        &self,
        events: &[(EventId, &[u8])],
        meta: &[(&str, &[u8])],
    ) -> Result<(), StoreError> {
        (**self).write(events, meta).await
    }
    async fn get_event(&self, id: &EventId) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get_event(id).await
    }
    async fn load_events(&self) -> Result<LoadedEvents, StoreError> {
        (**self).load_events().await
    }
    async fn event_count(&self) -> Result<usize, StoreError> {
        (**self).event_count().await
    }
    async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get_meta(key).await
    }
    async fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        (**self).put_meta(key, value).await
    }
    async fn get_snapshot(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get_snapshot(key).await
    }
    async fn put_snapshot(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        (**self).put_snapshot(key, value).await
    }
    async fn pause(&self) {
        (**self).pause().await
    }
}

/// Checks a stored record: its bytes must hash to its key (every
/// [`Store::load_events`] runs this on what it reads back).
pub fn check_record(key: &[u8], bytes: Vec<u8>) -> Result<(EventId, Vec<u8>), String> {
    let Ok(key) = <[u8; 32]>::try_from(key) else {
        return Err(format!("key of {} bytes", key.len()));
    };
    let id = EventId(key);
    if EventId::of_bytes(&bytes) != id {
        return Err(format!("record {id:?}: bytes do not hash to the key"));
    }
    Ok((id, bytes))
}

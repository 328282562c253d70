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

#[cfg(target_arch = "wasm32")]
mod idb;
mod memory;

#[cfg(target_arch = "wasm32")]
pub use idb::IdbStore;
pub use memory::MemoryStore;

use crate::event::EventId;
use thiserror::Error;

/// Why a store operation failed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The browser refused the write for lack of space.
    #[error("storage quota exceeded")]
    QuotaExceeded,
    /// The database could not be opened or upgraded (another tab holds an older version open).
    #[error("database blocked: {0}")]
    Blocked(String),
    /// The database was closed.
    #[error("database is closed")]
    Closed,
    /// Any other failure of the storage backend, with its message.
    #[error("storage failed: {0}")]
    Backend(String),
}

/// Events read back from a store.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LoadedEvents {
    /// Intact records: (id, exact bytes).
    pub events: Vec<(EventId, Vec<u8>)>,
    /// Records skipped because they are damaged, each with what is wrong.
    pub corrupt: Vec<String>,
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
}

/// Checks a stored record: its bytes must hash to its key.
pub(crate) fn check_record(key: &[u8], bytes: Vec<u8>) -> Result<(EventId, Vec<u8>), String> {
    let Ok(key) = <[u8; 32]>::try_from(key) else {
        return Err(format!("key of {} bytes", key.len()));
    };
    let id = EventId(key);
    if EventId::of_bytes(&bytes) != id {
        return Err(format!("record {id:?}: bytes do not hash to the key"));
    }
    Ok((id, bytes))
}

/// The conformance suite every [`Store`] passes, as test functions that run
/// natively (through `pollster`) and in the browser (`wasm_bindgen_test`).
///
/// `$name` names the generated module; `$open` is an expression of type
/// `impl Future<Output = impl Store>` giving a fresh, empty store each time.
#[macro_export]
macro_rules! store_conformance_tests {
    ($name:ident, $open:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            use wasm_bindgen_test::wasm_bindgen_test;
            use $crate::store::Store;
            use $crate::{EventId, store::LoadedEvents};

            fn record(n: u32) -> (EventId, Vec<u8>) {
                let bytes = format!("event number {n}").into_bytes();
                (EventId::of_bytes(&bytes), bytes)
            }

            fn as_refs(records: &[(EventId, Vec<u8>)]) -> Vec<(EventId, &[u8])> {
                records.iter().map(|(id, b)| (*id, b.as_slice())).collect()
            }

            #[wasm_bindgen_test(unsupported = pollster::test)]
            async fn stored_events_load_back_byte_for_byte() {
                let store = $open.await;
                let records: Vec<_> = (0..3).map(record).collect();
                store.put_events(&as_refs(&records)).await.unwrap();
                let mut loaded = store.load_events().await.unwrap();
                loaded.events.sort();
                let mut expected = records.clone();
                expected.sort();
                assert_eq!(
                    loaded,
                    LoadedEvents {
                        events: expected,
                        corrupt: vec![]
                    }
                );
                assert_eq!(store.event_count().await.unwrap(), 3);
            }

            #[wasm_bindgen_test(unsupported = pollster::test)]
            async fn storing_an_event_twice_keeps_one_copy() {
                let store = $open.await;
                let records: Vec<_> = (0..2).map(record).collect();
                store.put_events(&as_refs(&records)).await.unwrap();
                store.put_events(&as_refs(&records[..1])).await.unwrap();
                assert_eq!(store.event_count().await.unwrap(), 2);
            }

            #[wasm_bindgen_test(unsupported = pollster::test)]
            async fn a_batch_of_ten_thousand_events_is_stored_whole() {
                let store = $open.await;
                let records: Vec<_> = (0..10_000).map(record).collect();
                store.put_events(&as_refs(&records)).await.unwrap();
                assert_eq!(store.event_count().await.unwrap(), 10_000);
                assert_eq!(store.load_events().await.unwrap().events.len(), 10_000);
            }

            #[wasm_bindgen_test(unsupported = pollster::test)]
            async fn a_damaged_record_is_skipped_and_reported() {
                let store = $open.await;
                let good = record(1);
                let (damaged_id, _) = record(2);
                store
                    .put_events(&[
                        (good.0, good.1.as_slice()),
                        (damaged_id, b"not the bytes".as_slice()),
                    ])
                    .await
                    .unwrap();
                let loaded = store.load_events().await.unwrap();
                assert_eq!(loaded.events, vec![good]);
                assert_eq!(loaded.corrupt.len(), 1);
                assert!(loaded.corrupt[0].contains(&format!("{damaged_id:?}")));
            }

            #[wasm_bindgen_test(unsupported = pollster::test)]
            async fn events_and_metadata_written_together_read_back() {
                let store = $open.await;
                let records: Vec<_> = (0..3).map(record).collect();
                store
                    .write(&as_refs(&records), &[("head", &records[2].0.0[..])])
                    .await
                    .unwrap();
                assert_eq!(
                    store.get_meta("head").await.unwrap(),
                    Some(records[2].0.0.to_vec())
                );
                assert_eq!(
                    store.get_event(&records[1].0).await.unwrap(),
                    Some(records[1].1.clone())
                );
                assert_eq!(store.get_event(&record(9).0).await.unwrap(), None);
                assert_eq!(store.event_count().await.unwrap(), 3);
            }

            #[wasm_bindgen_test(unsupported = pollster::test)]
            async fn metadata_and_snapshots_are_kept_by_name() {
                let store = $open.await;
                assert_eq!(store.get_meta("identity").await.unwrap(), None);
                store.put_meta("identity", b"one").await.unwrap();
                store.put_meta("policy", b"two").await.unwrap();
                store.put_meta("identity", b"three").await.unwrap();
                assert_eq!(
                    store.get_meta("identity").await.unwrap(),
                    Some(b"three".to_vec())
                );
                assert_eq!(
                    store.get_meta("policy").await.unwrap(),
                    Some(b"two".to_vec())
                );
                assert_eq!(store.get_snapshot("ledger").await.unwrap(), None);
                store.put_snapshot("ledger", b"state").await.unwrap();
                assert_eq!(
                    store.get_snapshot("ledger").await.unwrap(),
                    Some(b"state".to_vec())
                );
                assert_eq!(
                    store.get_meta("ledger").await.unwrap(),
                    None,
                    "separate spaces"
                );
            }
        }
    };
}

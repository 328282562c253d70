//! A store in the browser's IndexedDB, through rexie.
//!
//! Four object stores with out-of-line keys: `blocks` (an increasing key →
//! one written batch of events, [`trustfold::store::encode_block`]),
//! `meta` and `snapshots` (name → bytes), and `events` (id → one event's
//! bytes: version 1's layout, moved into blocks by the first load).
//! rexie opens, upgrades and reads; writes go through a second
//! connection ([`Writer`]) that puts a whole batch in one read-write
//! transaction from JS (one call, no per-request await) and says why a
//! write failed.
//!
//! A block per batch makes a catch-up chunk one `put` and an open a few
//! hundred reads rather than 100,000 keys and values (BENCHMARKS "Events
//! in blocks"). Nothing is kept in memory between calls, so tabs sharing
//! the database always read what the others wrote: `get_event` reads
//! blocks newest first (it looks up the own chain's latest events, which
//! are in the newest), and a load merges runs of small blocks (typing
//! writes one event at a time) so the next opens stay a few reads.

use crate::idb_write::Writer;
use js_sys::Uint8Array;
use rexie::{ObjectStore, Rexie, Transaction, TransactionMode, TransactionResult};
use std::cell::RefCell;
use std::rc::Rc;
use trustfold::EventId;
use trustfold::store::{BlockReader, LoadedEvents, Store, StoreError, encode_block, find_in_block};
use wasm_bindgen::{JsCast, JsValue};

/// Version 1's store of one record per event; a load moves it into blocks.
const EVENTS: &str = "events";
const BLOCKS: &str = "blocks";
const META: &str = "meta";
const SNAPSHOTS: &str = "snapshots";
/// 1: `events`, `meta`, `snapshots`. 2: `blocks` added.
const VERSION: u32 = 2;
/// A block under this size is merged with its small neighbours on load.
const SMALL_BLOCK: usize = 64 * 1024;
/// Merging stops a block at about this size, and moving version 1's
/// records into blocks cuts them at it: `get_event` reads a whole block.
const BLOCK_TARGET: usize = 1024 * 1024;
/// A load merges a run of at least this many small blocks.
const MERGED_RUN: usize = 16;

/// A [`Store`] in IndexedDB. See the [module docs](self).
pub struct IdbStore {
    name: String,
    /// `None` once closed.
    db: RefCell<Option<Rc<Rexie>>>,
    /// The connection writes go through (see [`Writer`]); `None` once closed.
    writer: RefCell<Option<Rc<Writer>>>,
}

impl core::fmt::Debug for IdbStore {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "IdbStore({})", self.name)
    }
}

/// A store failure, classified by the `DOMException` name IndexedDB gave
/// (`QuotaExceededError`, `InvalidStateError` on a closed database,
/// `VersionError`), never by reading a message.
fn error(e: rexie::Error) -> StoreError {
    let name = match &e {
        rexie::Error::IdbError(e) => dom_exception_name(e),
        _ => None,
    };
    match name.as_deref() {
        Some("QuotaExceededError") => StoreError::QuotaExceeded,
        Some("InvalidStateError") => StoreError::Closed,
        // rexie's own message is only "idb error": the exception's name
        // says more.
        Some(name @ "VersionError") => StoreError::Blocked(name.to_owned()),
        Some(name) => StoreError::Backend(name.to_owned()),
        None => StoreError::Backend(e.to_string()),
    }
}

/// The `DOMException` an IndexedDB failure carries, by name.
fn dom_exception_name(e: &idb::Error) -> Option<String> {
    use idb::Error as E;
    let value = match e {
        E::DomException(exception) => return Some(exception.name()),
        E::AddFailed(v)
        | E::ClearFailed(v)
        | E::CountFailed(v)
        | E::DeleteFailed(v)
        | E::GetAllFailed(v)
        | E::GetAllKeysFailed(v)
        | E::GetFailed(v)
        | E::GetKeyFailed(v)
        | E::IndexedDbDeleteFailed(v)
        | E::IndexedDbOpenFailed(v)
        | E::ObjectStoreCreateFailed(v)
        | E::TransactionAbortError(v)
        | E::TransactionCommitError(v)
        | E::TransactionOpenFailed(v)
        | E::UpdateFailed(v) => v,
        _ => return None,
    };
    value
        .dyn_ref::<web_sys::DomException>()
        .map(web_sys::DomException::name)
}

/// Waits for a read to end: an aborted read is an error, never an answer
/// (writes go through [`Writer`], which says why a write failed).
async fn finish(tx: Transaction) -> Result<(), StoreError> {
    match tx.done().await.map_err(error)? {
        TransactionResult::Committed => Ok(()),
        TransactionResult::Aborted => {
            Err(StoreError::Backend("the browser aborted a read".to_owned()))
        }
    }
}

fn bytes(value: &JsValue) -> Vec<u8> {
    Uint8Array::new(value).to_vec()
}

/// A store dropped without `close` (a node that failed to open) closes its
/// database at once rather than when the garbage collector gets to it:
/// an open connection blocks deleting or upgrading the database.
impl Drop for IdbStore {
    fn drop(&mut self) {
        self.close();
    }
}

impl IdbStore {
    /// Opens (creating or upgrading) the database `name`.
    pub async fn open(name: &str) -> Result<IdbStore, StoreError> {
        // rexie deletes every store not listed: `events` stays listed.
        let db = Rexie::builder(name)
            .version(VERSION)
            .add_object_store(ObjectStore::new(EVENTS))
            .add_object_store(ObjectStore::new(BLOCKS).auto_increment(true))
            .add_object_store(ObjectStore::new(META))
            .add_object_store(ObjectStore::new(SNAPSHOTS))
            .build()
            .await
            .map_err(error)?;
        let writer = match Writer::open(name).await {
            Ok(writer) => writer,
            Err(e) => {
                db.close();
                return Err(e);
            }
        };
        Ok(IdbStore {
            name: name.to_owned(),
            db: RefCell::new(Some(Rc::new(db))),
            writer: RefCell::new(Some(Rc::new(writer))),
        })
    }

    /// Moves version 1's records (one per event, read by a load) into
    /// blocks of about [`BLOCK_TARGET`], each written with the deletion of
    /// its records in one write: a block's records move whole or not at
    /// all, and a failed write (a full disk) stops the move, which the next
    /// load takes up where it stopped. A block is written only if all of
    /// its records are still there, in the same transaction: two tabs
    /// moving at once wrote the same blocks twice before.
    async fn move_into_blocks(
        writer: &Writer,
        records: &[(JsValue, EventId, Vec<u8>)],
    ) -> Result<(), StoreError> {
        let mut start = 0;
        while start < records.len() {
            let mut end = start;
            let mut size = 0;
            while end < records.len() && (end == start || size < BLOCK_TARGET) {
                size += records[end].2.len();
                end += 1;
            }
            let moved = &records[start..end];
            let batch: Vec<_> = moved
                .iter()
                .map(|(_, id, value)| (*id, value.as_slice()))
                .collect();
            let block = Uint8Array::from(&encode_block(&batch)?[..]).into();
            let keys: Vec<JsValue> = moved.iter().map(|(key, _, _)| key.clone()).collect();
            writer.move_records(BLOCKS, EVENTS, &keys, &block).await?;
            start = end;
        }
        Ok(())
    }

    /// How many blocks the database holds (for tests of merging).
    pub async fn block_count(&self) -> Result<usize, StoreError> {
        let tx = self.transaction(&[BLOCKS], TransactionMode::ReadOnly)?;
        let count = tx.store(BLOCKS).map_err(error)?.count(None).await;
        finish(tx).await?;
        Ok(count.map_err(error)? as usize)
    }

    /// Closes the database; later calls fail with [`StoreError::Closed`].
    pub fn close(&self) {
        if let Some(writer) = self.writer.borrow_mut().take() {
            writer.close();
        }
        if let Some(db) = self.db.borrow_mut().take()
            && let Ok(db) = Rc::try_unwrap(db)
        {
            db.close();
        }
    }

    /// A transaction on `spaces` (the handle is cloned so no borrow is held across awaits).
    fn transaction(
        &self,
        spaces: &[&str],
        mode: TransactionMode,
    ) -> Result<Transaction, StoreError> {
        let db = self.db.borrow().clone().ok_or(StoreError::Closed)?;
        db.transaction(spaces, mode).map_err(error)
    }

    /// Deletes the database `name` (it must be closed everywhere).
    pub async fn delete(name: &str) -> Result<(), StoreError> {
        Rexie::delete(name).await.map_err(error)
    }

    async fn get(&self, space: &str, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.transaction(&[space], TransactionMode::ReadOnly)?;
        let store = tx.store(space).map_err(error)?;
        let value = store.get(JsValue::from_str(key)).await.map_err(error)?;
        finish(tx).await?;
        Ok(value.filter(|v| !v.is_undefined()).map(|v| bytes(&v)))
    }

    async fn put(&self, space: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let writer = self.writer()?;
        let value: JsValue = Uint8Array::from(value).into();
        writer
            .put_all(&[(space, JsValue::from_str(key), value)])
            .await
    }

    /// The writing connection (cloned so no borrow is held across awaits).
    fn writer(&self) -> Result<Rc<Writer>, StoreError> {
        self.writer.borrow().clone().ok_or(StoreError::Closed)
    }
}

impl Store for IdbStore {
    async fn write(
        &self,
        events: &[(EventId, &[u8])],
        meta: &[(&str, &[u8])],
    ) -> Result<(), StoreError> {
        if events.is_empty() && meta.is_empty() {
            return Ok(());
        }
        let writer = self.writer()?;
        // The batch is one block under the next key. An id written again
        // is read once (the first place it was written).
        let block = match events {
            [] => None,
            events => Some(encode_block(events)?),
        };
        let puts: Vec<(&str, JsValue, JsValue)> = block
            .iter()
            .map(|block| {
                (
                    BLOCKS,
                    JsValue::UNDEFINED,
                    Uint8Array::from(&block[..]).into(),
                )
            })
            .chain(meta.iter().map(|(key, value)| {
                (
                    META,
                    JsValue::from_str(key),
                    Uint8Array::from(*value).into(),
                )
            }))
            .collect();
        writer.put_all(&puts).await
    }

    async fn get_event(&self, id: &EventId) -> Result<Option<Vec<u8>>, StoreError> {
        // Version 1's records are found once a load moved them (a node
        // loads when it opens, before any lookup).
        let tx = self.transaction(&[BLOCKS], TransactionMode::ReadOnly)?;
        let blocks = tx.store(BLOCKS).map_err(error)?;
        let keys = blocks.get_all_keys(None, None).await.map_err(error)?;
        let mut found = None;
        for key in keys.iter().rev() {
            let block = blocks.get(key.clone()).await.map_err(error)?;
            found = block
                .filter(|b| b.is_instance_of::<Uint8Array>())
                .and_then(|b| find_in_block(&bytes(&b), id));
            if found.is_some() {
                break;
            }
        }
        finish(tx).await?;
        Ok(found)
    }

    /// Reads every block in the order written, and version 1's records
    /// (one per event), which it then moves into blocks; then merges runs
    /// of small blocks.
    async fn load_events(&self) -> Result<LoadedEvents, StoreError> {
        let tx = self.transaction(&[BLOCKS, EVENTS], TransactionMode::ReadOnly)?;
        let blocks = tx.store(BLOCKS).map_err(error)?;
        let keys = blocks.get_all_keys(None, None).await.map_err(error)?;
        let values = blocks.get_all(None, None).await.map_err(error)?;
        let legacy = tx.store(EVENTS).map_err(error)?;
        let legacy_keys = legacy.get_all_keys(None, None).await.map_err(error)?;
        let legacy_values = legacy.get_all(None, None).await.map_err(error)?;
        finish(tx).await?;
        let mut reader = BlockReader::new();
        let mut runs = SmallRuns::default();
        for (n, (key, value)) in keys.iter().zip(values.iter()).enumerate() {
            // About 15 ms of copying and hashing in a slice (blocks of
            // 512 events), then the page may run (64 blocks, ≈ 30 ms, made
            // a task over 50 ms in 1 cold open of 5).
            if n > 0 && n % 32 == 0 {
                self.pause().await;
            }
            let Some(key) = key.as_f64() else {
                reader.report("a block whose key is not a number".to_owned());
                continue;
            };
            // Keys from the key generator are whole numbers (and printing
            // an f64 would link float formatting into the package).
            let label = key as u64;
            if !value.is_instance_of::<Uint8Array>() {
                reader.report(format!("block {label}: not bytes"));
                runs.cut();
                continue;
            }
            let block = bytes(value);
            let intact = reader.read(&block, format_args!("block {label}"));
            runs.add(key, block.len(), intact);
        }
        // Version 1's records: those with an event's key (binary keys come
        // back as an ArrayBuffer) move into blocks; any other stays, and
        // is reported at every load.
        let mut moving = Vec::new();
        for (key, value) in legacy_keys.iter().zip(legacy_values.iter()) {
            if !value.is_instance_of::<Uint8Array>() || !key.is_instance_of::<js_sys::ArrayBuffer>()
            {
                reader.report("a record that is not an event's".to_owned());
                continue;
            }
            let (id, value) = (bytes(key), bytes(value));
            match <[u8; 32]>::try_from(id.as_slice()) {
                Ok(id) => moving.push((key.clone(), EventId(id), value)),
                Err(_) => reader.read_record(&id, value),
            }
        }
        // Moving and merging only save reads at the next load: one that
        // fails leaves everything as it was, to be tried again.
        let writer = self.writer()?;
        if !moving.is_empty() {
            let _ = Self::move_into_blocks(&writer, &moving).await;
        }
        for (_, id, value) in moving {
            reader.read_record(&id.0, value);
        }
        for run in runs.finish() {
            let _ = writer.merge(BLOCKS, run.first, run.last).await;
        }
        Ok(reader.finish())
    }

    async fn pause(&self) {
        Writer::pause().await;
    }

    /// Reads every block: for tests and diagnostics, not a hot path.
    async fn event_count(&self) -> Result<usize, StoreError> {
        Ok(self.load_events().await?.events.len())
    }

    async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(META, key).await
    }

    async fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.put(META, key, value).await
    }

    async fn get_snapshot(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(SNAPSHOTS, key).await
    }

    async fn put_snapshot(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.put(SNAPSHOTS, key, value).await
    }
}

/// Finds the runs of consecutive small, intact blocks worth merging.
#[derive(Default)]
struct SmallRuns {
    done: Vec<Run>,
    /// The run being read, its blocks and their bytes.
    current: Option<Run>,
    blocks: usize,
    size: usize,
}

/// The first and last key of a run of blocks.
struct Run {
    first: f64,
    last: f64,
}

impl SmallRuns {
    fn add(&mut self, key: f64, size: usize, intact: bool) {
        if !intact || size >= SMALL_BLOCK {
            self.cut();
            return;
        }
        if self.size + size > BLOCK_TARGET {
            self.cut();
        }
        self.current
            .get_or_insert(Run {
                first: key,
                last: key,
            })
            .last = key;
        self.blocks += 1;
        self.size += size;
    }

    fn cut(&mut self) {
        if let Some(run) = self.current.take()
            && self.blocks >= MERGED_RUN
        {
            self.done.push(run);
        }
        self.blocks = 0;
        self.size = 0;
    }

    fn finish(mut self) -> Vec<Run> {
        self.cut();
        self.done
    }
}

//! A store in the browser's IndexedDB, through rexie.
//!
//! Three object stores with out-of-line keys: `events` (binary id → exact
//! bytes), `meta` and `snapshots` (name → bytes). rexie opens, upgrades
//! and reads; writes go through a second connection ([`Writer`]) that puts
//! a whole batch in one read-write transaction from JS (one call, no
//! per-request await) and says why a write failed.

use crate::idb_write::Writer;
use js_sys::Uint8Array;
use rexie::{ObjectStore, Rexie, Transaction, TransactionMode, TransactionResult};
use std::cell::RefCell;
use std::rc::Rc;
use trustfold::EventId;
use trustfold::store::{LoadedEvents, Store, StoreError, check_record};
use wasm_bindgen::{JsCast, JsValue};

const EVENTS: &str = "events";
const META: &str = "meta";
const SNAPSHOTS: &str = "snapshots";
const VERSION: u32 = 1;

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

fn event_key(id: &EventId) -> JsValue {
    Uint8Array::from(&id.0[..]).into()
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
        let db = Rexie::builder(name)
            .version(VERSION)
            .add_object_store(ObjectStore::new(EVENTS))
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
        // An id is the hash of its bytes, so putting an id again writes the
        // same bytes (or repairs a damaged record).
        let puts: Vec<(&str, JsValue, JsValue)> = events
            .iter()
            .map(|(id, bytes)| (EVENTS, event_key(id), Uint8Array::from(*bytes).into()))
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
        let tx = self.transaction(&[EVENTS], TransactionMode::ReadOnly)?;
        let store = tx.store(EVENTS).map_err(error)?;
        let value = store.get(event_key(id)).await.map_err(error)?;
        finish(tx).await?;
        Ok(value.filter(|v| !v.is_undefined()).map(|v| bytes(&v)))
    }

    async fn load_events(&self) -> Result<LoadedEvents, StoreError> {
        let tx = self.transaction(&[EVENTS], TransactionMode::ReadOnly)?;
        let store = tx.store(EVENTS).map_err(error)?;
        let keys = store.get_all_keys(None, None).await.map_err(error)?;
        let values = store.get_all(None, None).await.map_err(error)?;
        finish(tx).await?;
        let mut out = LoadedEvents::default();
        for (key, value) in keys.iter().zip(values.iter()) {
            if !value.is_instance_of::<Uint8Array>() {
                out.corrupt.push("a record that is not bytes".to_owned());
                continue;
            }
            match check_record(&bytes(key), bytes(value)) {
                Ok(record) => out.events.push(record),
                Err(why) => out.corrupt.push(why),
            }
        }
        Ok(out)
    }

    async fn event_count(&self) -> Result<usize, StoreError> {
        let tx = self.transaction(&[EVENTS], TransactionMode::ReadOnly)?;
        let store = tx.store(EVENTS).map_err(error)?;
        let count = store.count(None).await.map_err(error)?;
        finish(tx).await?;
        Ok(count as usize)
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

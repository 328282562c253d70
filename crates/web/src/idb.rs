//! A store in the browser's IndexedDB, through rexie.
//!
//! Three object stores with out-of-line keys: `events` (binary id → exact
//! bytes), `meta` and `snapshots` (name → bytes). A batch of events is
//! written with one `put` per event in one read-write transaction, awaiting
//! only the last request (awaiting each costs ~5× as much).

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
        Some("VersionError") => StoreError::Blocked(e.to_string()),
        _ => StoreError::Backend(e.to_string()),
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

/// Waits for a transaction to end: committed, or a typed error. A write
/// of `size` bytes that the browser aborted without a request failing is,
/// in Chromium, a full quota (the `QuotaExceededError` arrives as the
/// transaction's abort, which rexie does not pass on): it is reported as
/// `QuotaExceeded` when the origin has less room left than the write
/// needed, else as a failed backend. Never `Ok` for a write that is not
/// stored.
async fn finish(tx: Transaction, size: usize) -> Result<(), StoreError> {
    match tx.done().await.map_err(error)? {
        TransactionResult::Committed => Ok(()),
        TransactionResult::Aborted => Err(match room_left().await {
            Some(room) if room < size as f64 => StoreError::QuotaExceeded,
            _ => StoreError::Backend("the browser aborted the transaction".into()),
        }),
    }
}

/// Bytes this origin may still store, as `navigator.storage.estimate()`
/// says (`None` where the browser does not say).
async fn room_left() -> Option<f64> {
    let global = js_sys::global();
    let navigator = js_sys::Reflect::get(&global, &"navigator".into()).ok()?;
    let storage = js_sys::Reflect::get(&navigator, &"storage".into()).ok()?;
    let estimate: js_sys::Function = js_sys::Reflect::get(&storage, &"estimate".into())
        .ok()?
        .dyn_into()
        .ok()?;
    let promise: js_sys::Promise = estimate.call0(&storage).ok()?.dyn_into().ok()?;
    let answer = wasm_bindgen_futures::JsFuture::from(promise).await.ok()?;
    let field = |name: &str| js_sys::Reflect::get(&answer, &name.into()).ok()?.as_f64();
    Some(field("quota")? - field("usage")?)
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
        Ok(IdbStore {
            name: name.to_owned(),
            db: RefCell::new(Some(Rc::new(db))),
        })
    }

    /// Closes the database; later calls fail with [`StoreError::Closed`].
    pub fn close(&self) {
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
        finish(tx, 0).await?;
        Ok(value.filter(|v| !v.is_undefined()).map(|v| bytes(&v)))
    }

    async fn put(&self, space: &str, key: &str, value: &[u8]) -> Result<(), StoreError> {
        let tx = self.transaction(&[space], TransactionMode::ReadWrite)?;
        let store = tx.store(space).map_err(error)?;
        store
            .put(
                &Uint8Array::from(value).into(),
                Some(&JsValue::from_str(key)),
            )
            .await
            .map_err(error)?;
        finish(tx, key.len() + value.len()).await
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
        let tx = self.transaction(&[EVENTS, META], TransactionMode::ReadWrite)?;
        if !events.is_empty() {
            let store = tx.store(EVENTS).map_err(error)?;
            // An id is the hash of its bytes, so putting an id again writes
            // the same bytes (or repairs a damaged record).
            let records = events
                .iter()
                .map(|(id, bytes)| (Uint8Array::from(*bytes).into(), Some(event_key(id))));
            store.put_all(records).await.map_err(error)?;
        }
        if !meta.is_empty() {
            let store = tx.store(META).map_err(error)?;
            let values = meta.iter().map(|(key, value)| {
                (
                    Uint8Array::from(*value).into(),
                    Some(JsValue::from_str(key)),
                )
            });
            store.put_all(values).await.map_err(error)?;
        }
        let size = events.iter().map(|(_, b)| 32 + b.len()).sum::<usize>()
            + meta.iter().map(|(k, v)| k.len() + v.len()).sum::<usize>();
        finish(tx, size).await
    }

    async fn get_event(&self, id: &EventId) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.transaction(&[EVENTS], TransactionMode::ReadOnly)?;
        let store = tx.store(EVENTS).map_err(error)?;
        let value = store.get(event_key(id)).await.map_err(error)?;
        finish(tx, 0).await?;
        Ok(value.filter(|v| !v.is_undefined()).map(|v| bytes(&v)))
    }

    async fn load_events(&self) -> Result<LoadedEvents, StoreError> {
        let tx = self.transaction(&[EVENTS], TransactionMode::ReadOnly)?;
        let store = tx.store(EVENTS).map_err(error)?;
        let keys = store.get_all_keys(None, None).await.map_err(error)?;
        let values = store.get_all(None, None).await.map_err(error)?;
        finish(tx, 0).await?;
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
        finish(tx, 0).await?;
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

//! Writes to IndexedDB through a connection of its own, so a failed write
//! says why.
//!
//! rexie (which opens, upgrades and reads the database) reports a
//! transaction the browser aborted as `Ok(Aborted)` and drops the
//! `DOMException` that says why — and Chromium reports a full quota exactly
//! that way, at commit. This connection writes each batch in one
//! transaction from a few lines of JS and rejects with the transaction's
//! own `DOMException`, which [`classify`] reads by `name`.

use trustfold::store::StoreError;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(inline_js = r#"
// Puts `block` into blocks and deletes `keys` from events in one
// transaction, only if every key is still there: another tab may have
// moved them meanwhile (what is left stays for the next load to move).
export function move_records(db, blocks, events, keys, block) {
  return readwrite(db, [blocks, events], (tx) => {
    const store = tx.objectStore(events);
    let present = 0;
    for (const key of keys)
      store.count(key).onsuccess = (e) => {
        if (e.target.result && ++present == keys.length) {
          tx.objectStore(blocks).put(block);
          for (const k of keys) store.delete(k);
        }
      };
  });
}
export function open_writer(name) {
  return new Promise((opened, failed) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => {
      const db = request.result;
      // Another tab deleting or upgrading the database must not wait on us.
      db.onversionchange = () => db.close();
      opened(db);
    };
    request.onerror = () => failed(request.error);
    request.onblocked = () => failed(new DOMException("blocked", "VersionError"));
  });
}
// Resolves in a later task, after the browser handled input and painted
// if it had to (scheduler.yield where there is one).
export function pause() {
  if (globalThis.scheduler?.yield) return scheduler.yield();
  return new Promise((ok) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => ok();
    channel.port2.postMessage(null);
  });
}
// Runs fill(tx) in a read-write transaction on spaces; resolves when it
// commits, rejects with the DOMException that aborted it.
function readwrite(db, spaces, fill) {
  return new Promise((done, failed) => {
    let tx;
    try {
      tx = db.transaction(spaces, "readwrite");
      fill(tx);
    } catch (error) {
      if (tx) tx.abort();
      failed(error);
      return;
    }
    tx.oncomplete = () => done();
    tx.onabort = () => failed(tx.error ?? new DOMException("the write was aborted", "AbortError"));
  });
}
export function write(db, spaces, puts) {
  return readwrite(db, spaces, (tx) => {
    for (let i = 0; i < puts.length; i += 3) {
      const store = tx.objectStore(puts[i]);
      if (puts[i + 2] === undefined) store.delete(puts[i + 1]);
      else if (puts[i + 1] === undefined) store.put(puts[i + 2]);
      else store.put(puts[i + 2], puts[i + 1]);
    }
  });
}
// Every block of keys first..=last, joined into one at key first, in one
// transaction that reads them: what another tab wrote or merged meanwhile is
// in what is read. A block is its format byte then its records (see
// trustfold's store/block.rs): only blocks of `format` are joined, into one
// format byte, then each block's records in key order.
export function merge(db, space, first, last, format) {
  return readwrite(db, [space], (tx) => {
    const store = tx.objectStore(space);
    const read = store.getAll(IDBKeyRange.bound(first, last));
    read.onsuccess = () => {
      const blocks = read.result;
      if (blocks.length < 2 || !blocks.every((b) => b instanceof Uint8Array && b[0] === format)) return;
      const joined = new Uint8Array(blocks.reduce((n, b) => n + b.length - 1, 1));
      joined[0] = format;
      let at = 1;
      for (const block of blocks) {
        joined.set(block.subarray(1), at);
        at += block.length - 1;
      }
      store.put(joined, first);
      store.delete(IDBKeyRange.bound(first, last, true, false));
    };
  });
}
"#)]
extern "C" {
    fn open_writer(name: &str) -> js_sys::Promise;
    fn write(db: &JsValue, spaces: &js_sys::Array, puts: &js_sys::Array) -> js_sys::Promise;
    fn merge(db: &JsValue, space: &str, first: f64, last: f64, format: u8) -> js_sys::Promise;
    fn move_records(
        db: &JsValue,
        blocks: &str,
        events: &str,
        keys: &js_sys::Array,
        block: &JsValue,
    ) -> js_sys::Promise;
    #[wasm_bindgen(js_name = pause)]
    fn next_task() -> js_sys::Promise;
}

/// A store failure, by the `DOMException` name the browser gave.
pub fn classify(error: &JsValue) -> StoreError {
    let name = crate::tabs::dom_error_name(error);
    match name.as_str() {
        "QuotaExceededError" => StoreError::QuotaExceeded,
        "InvalidStateError" => StoreError::Closed,
        "VersionError" => StoreError::Blocked(name),
        _ => StoreError::Backend(name),
    }
}

/// The writing connection to one database.
pub struct Writer {
    db: JsValue,
}

impl Writer {
    /// Opens a second connection to `name`, which exists already (rexie
    /// made or upgraded it).
    pub async fn open(name: &str) -> Result<Writer, StoreError> {
        let db = JsFuture::from(open_writer(name))
            .await
            .map_err(|e| classify(&e))?;
        Ok(Writer { db })
    }

    /// Puts every `(space, key, value)` in one transaction: all are
    /// stored, or none and a typed error. An undefined key is the store's
    /// next key (a store with a key generator); an undefined value deletes
    /// the key.
    pub async fn put_all(&self, puts: &[(&str, JsValue, JsValue)]) -> Result<(), StoreError> {
        let mut spaces: Vec<&str> = puts.iter().map(|(space, _, _)| *space).collect();
        spaces.sort_unstable();
        spaces.dedup();
        let spaces: js_sys::Array = spaces.into_iter().map(JsValue::from_str).collect();
        let flat = js_sys::Array::new();
        for (space, key, value) in puts {
            flat.push(&JsValue::from_str(space));
            flat.push(key);
            flat.push(value);
        }
        JsFuture::from(write(&self.db, &spaces, &flat))
            .await
            .map(|_| ())
            .map_err(|e| classify(&e))
    }

    /// Puts `block` into `blocks` and deletes `keys` from `events` in one
    /// transaction, if every key is still in `events` (see the JS).
    pub async fn move_records(
        &self,
        blocks: &str,
        events: &str,
        keys: &[JsValue],
        block: &JsValue,
    ) -> Result<(), StoreError> {
        let keys: js_sys::Array = keys.iter().collect();
        JsFuture::from(move_records(&self.db, blocks, events, &keys, block))
            .await
            .map(drop)
            .map_err(|e| classify(&e))
    }

    /// Joins the blocks of keys `first..=last` of `space` into one at
    /// `first`, in one transaction, if every one is of [`BLOCK_FORMAT`].
    ///
    /// [`BLOCK_FORMAT`]: trustfold::store::BLOCK_FORMAT
    pub async fn merge(&self, space: &str, first: f64, last: f64) -> Result<(), StoreError> {
        let format = trustfold::store::BLOCK_FORMAT;
        JsFuture::from(merge(&self.db, space, first, last, format))
            .await
            .map(|_| ())
            .map_err(|e| classify(&e))
    }

    /// Waits for a later task of the browser's (see [`Store::pause`]).
    ///
    /// [`Store::pause`]: trustfold::store::Store::pause
    pub async fn pause() {
        // It resolves, never rejects: nothing to report.
        let _ = JsFuture::from(next_task()).await;
    }

    /// Closes the connection.
    pub fn close(&self) {
        let close = js_sys::Reflect::get(&self.db, &"close".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(close) = close {
            // Closing a closed connection does nothing.
            let _ = close.call0(&self.db);
        }
    }
}

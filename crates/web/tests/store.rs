//! IndexedDB in headless Chromium: the storage conformance suite
//! (`trustfold::testing::store`), the node suite over it
//! (`trustfold::testing::node` and `sync`), and what only a real database
//! shows: closing and reopening it.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use std::sync::atomic::{AtomicU32, Ordering};
use trustfold::store::{Store, StoreError};
use trustfold::testing::node::state;
use trustfold::testing::{Backend, key, pay};
use trustfold::{EventId, Node, NodeError};
use trustfold_web::IdbStore;
use wasm_bindgen_test::wasm_bindgen_test;

/// A fresh database name per store.
fn fresh_name() -> String {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    format!(
        "trustfold-test-{}-{}",
        js_sys::Date::now(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// IndexedDB databases as a conformance backend.
struct Idb;

impl Backend for Idb {
    type Store = IdbStore;
    async fn fresh(&self) -> IdbStore {
        IdbStore::open(&fresh_name()).await.expect("opens")
    }
    async fn shared(&self) -> (IdbStore, IdbStore) {
        let name = fresh_name();
        let first = IdbStore::open(&name).await.expect("opens");
        (first, IdbStore::open(&name).await.expect("opens again"))
    }
}

trustfold::store_conformance_tests!(indexeddb, Idb);
trustfold::node_conformance_tests!(node_on_indexeddb, Idb);

#[wasm_bindgen_test]
async fn events_survive_closing_and_reopening_the_database() {
    let name = fresh_name();
    let store = IdbStore::open(&name).await.unwrap();
    let bytes = b"kept across reopen".to_vec();
    let id = EventId::of_bytes(&bytes);
    store.put_events(&[(id, &bytes)]).await.unwrap();
    store.put_meta("heads", b"h").await.unwrap();
    store.close();
    let store = IdbStore::open(&name).await.unwrap();
    assert_eq!(store.load_events().await.unwrap().events, vec![(id, bytes)]);
    assert_eq!(store.get_meta("heads").await.unwrap(), Some(b"h".to_vec()));
}

#[wasm_bindgen_test]
async fn a_write_to_a_closed_database_is_a_typed_error_and_loses_nothing() {
    let name = fresh_name();
    let store = IdbStore::open(&name).await.unwrap();
    let bytes = b"stored before".to_vec();
    let id = EventId::of_bytes(&bytes);
    store.put_events(&[(id, &bytes)]).await.unwrap();
    store.close();
    let more = b"after closing".to_vec();
    let failed = store.put_events(&[(EventId::of_bytes(&more), &more)]).await;
    assert_eq!(failed, Err(StoreError::Closed));
    assert_eq!(store.put_meta("x", b"y").await, Err(StoreError::Closed));
    let reopened = IdbStore::open(&name).await.unwrap();
    assert_eq!(
        reopened.load_events().await.unwrap().events,
        vec![(id, bytes)]
    );
    assert_eq!(reopened.get_meta("x").await.unwrap(), None);
}

#[wasm_bindgen_test]
async fn a_node_over_a_closed_database_refuses_writes_and_reopens_whole() {
    const SECRET: [u8; 32] = [7; 32];
    let name = fresh_name();
    let (node, _) = Node::open(IdbStore::open(&name).await.unwrap(), || SECRET)
        .await
        .unwrap();
    node.publish(1, pay(key(2), 30, "EUR")).await.unwrap();
    let before = state(&node);
    node.store().close();
    let failed = node.publish(2, pay(key(2), 1, "EUR")).await;
    assert_eq!(failed.err(), Some(NodeError::Store(StoreError::Closed)));
    assert_eq!(state(&node), before, "a failed write applies nothing");
    drop(node);
    let (reopened, report) = Node::open(IdbStore::open(&name).await.unwrap(), || [1; 32])
        .await
        .unwrap();
    assert!(!report.new_identity);
    assert_eq!(state(&reopened), before);
}

#[wasm_bindgen::prelude::wasm_bindgen(inline_js = r#"
export function write_version_1(name, keys, values, meta_keys, meta_values) {
  return new Promise((done, failed) => {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => {
      for (const store of ["events", "meta", "snapshots"]) request.result.createObjectStore(store);
    };
    request.onerror = () => failed(request.error);
    request.onsuccess = () => {
      const db = request.result;
      const tx = db.transaction(["events", "meta"], "readwrite");
      keys.forEach((key, i) => tx.objectStore("events").put(values[i], key));
      meta_keys.forEach((key, i) => tx.objectStore("meta").put(meta_values[i], key));
      tx.oncomplete = () => { db.close(); done(); };
      tx.onabort = () => failed(tx.error);
    };
  });
}
export function put_raw(name, space, value) {
  return new Promise((done, failed) => {
    const request = indexedDB.open(name);
    request.onerror = () => failed(request.error);
    request.onsuccess = () => {
      const db = request.result;
      const tx = db.transaction([space], "readwrite");
      tx.objectStore(space).put(value);
      tx.oncomplete = () => { db.close(); done(); };
      tx.onabort = () => failed(tx.error);
    };
  });
}
"#)]
extern "C" {
    fn write_version_1(
        name: &str,
        keys: js_sys::Array,
        values: js_sys::Array,
        meta_keys: js_sys::Array,
        meta_values: js_sys::Array,
    ) -> js_sys::Promise;
    fn put_raw(name: &str, space: &str, value: &wasm_bindgen::JsValue) -> js_sys::Promise;
}

/// `n` records (id, bytes), each its own.
fn records(n: u32) -> Vec<(EventId, Vec<u8>)> {
    (0..n)
        .map(|n| {
            let bytes = format!("event {n}").into_bytes();
            (EventId::of_bytes(&bytes), bytes)
        })
        .collect()
}

fn js_bytes(bytes: &[u8]) -> wasm_bindgen::JsValue {
    js_sys::Uint8Array::from(bytes).into()
}

/// A database written by version 1 (one record per event) opens with
/// every event and the same state; its events move into blocks once, and
/// a record that is not an event's stays and is reported at every load.
#[wasm_bindgen_test]
async fn a_database_of_one_record_per_event_opens_whole_and_moves_into_blocks() {
    use trustfold::store::MemoryStore;
    let (before, _) = Node::open(MemoryStore::new(), || [7; 32]).await.unwrap();
    for n in 1..=30 {
        before.publish(n, pay(key(2), n, "EUR")).await.unwrap();
    }
    let expected = state(&before);
    let store = before.into_store();
    let events = store.load_events().await.unwrap().events;
    let (keys, values): (js_sys::Array, js_sys::Array) = events
        .iter()
        .map(|(id, bytes)| (js_bytes(&id.0), js_bytes(bytes)))
        .unzip();
    keys.push(&js_bytes(b"a key of the wrong length"));
    values.push(&js_bytes(b"junk"));
    // A key that is no event's: a number (read as bytes, it would be 32
    // zero bytes: moved under an id that is not its bytes' hash).
    keys.push(&32.into());
    values.push(&js_bytes(b"more junk"));
    // And one that cannot be read as bytes at all.
    keys.push(&(-1).into());
    values.push(&js_bytes(b"still more junk"));
    let mut meta_keys = js_sys::Array::new();
    let mut meta_values = js_sys::Array::new();
    for name in ["identity", "head", "network"] {
        let value = store.get_meta(name).await.unwrap().expect("written");
        meta_keys.push(&name.into());
        meta_values.push(&js_bytes(&value));
    }
    let name = fresh_name();
    wasm_bindgen_futures::JsFuture::from(write_version_1(
        &name,
        keys,
        values,
        std::mem::take(&mut meta_keys),
        std::mem::take(&mut meta_values),
    ))
    .await
    .unwrap();

    let (node, report) = Node::open(IdbStore::open(&name).await.unwrap(), || [1; 32])
        .await
        .unwrap();
    assert_eq!(
        node.store().block_count().await.unwrap(),
        1,
        "moved, in one block"
    );
    assert!(!report.new_identity);
    assert_eq!(report.events, 30);
    assert_eq!(report.skipped.len(), 3, "{:?}", report.skipped);
    assert_eq!(state(&node), expected);
    node.publish(31, pay(key(2), 1, "EUR")).await.unwrap();
    let after = state(&node);
    node.store().close();
    drop(node);
    let (reopened, report) = Node::open(IdbStore::open(&name).await.unwrap(), || [1; 32])
        .await
        .unwrap();
    assert_eq!(report.events, 31);
    assert_eq!(
        report.skipped.len(),
        3,
        "the junk records are still reported"
    );
    assert_eq!(state(&reopened), after);
}

/// Two tabs loading a version-1 database at once move its records once:
/// a block is written only with the deletion of records still there.
#[wasm_bindgen_test]
async fn two_tabs_moving_a_version_1_database_at_once_write_its_blocks_once() {
    let records = records(40);
    let (keys, values): (js_sys::Array, js_sys::Array) = records
        .iter()
        .map(|(id, bytes)| (js_bytes(&id.0), js_bytes(bytes)))
        .unzip();
    let name = fresh_name();
    let none = || js_sys::Array::new();
    wasm_bindgen_futures::JsFuture::from(write_version_1(&name, keys, values, none(), none()))
        .await
        .unwrap();
    let (first, second) = (
        IdbStore::open(&name).await.unwrap(),
        IdbStore::open(&name).await.unwrap(),
    );
    let (a, b) = futures_util::future::join(first.load_events(), second.load_events()).await;
    for loaded in [a.unwrap(), b.unwrap()] {
        assert_eq!(loaded.events.len(), 40);
    }
    assert_eq!(first.block_count().await.unwrap(), 1, "moved once");
    let again = IdbStore::open(&name)
        .await
        .unwrap()
        .load_events()
        .await
        .unwrap();
    let mut loaded = again.events;
    loaded.sort();
    let mut expected = records;
    expected.sort();
    assert_eq!(loaded, expected, "each record once");
    assert!(again.corrupt.is_empty());
}

/// Events load back in the order they were written, whatever their ids;
/// a load merges a run of small blocks (typing writes one event at a
/// time) into one, keeping that order, and the merged events are still
/// found one by one.
#[wasm_bindgen_test]
async fn small_writes_load_in_order_and_are_merged_into_one_block() {
    let name = fresh_name();
    let store = IdbStore::open(&name).await.unwrap();
    let records = records(40);
    for (id, bytes) in &records {
        store.put_events(&[(*id, bytes.as_slice())]).await.unwrap();
    }
    assert_eq!(store.block_count().await.unwrap(), 40);
    let loaded = store.load_events().await.unwrap();
    assert_eq!(loaded.events, records, "in the order written");
    assert_eq!(store.block_count().await.unwrap(), 1, "merged on load");
    assert_eq!(store.load_events().await.unwrap().events, records);
    let more = b"written after the merge".to_vec();
    let more_id = EventId::of_bytes(&more);
    store.put_events(&[(more_id, &more)]).await.unwrap();
    assert_eq!(
        store.get_event(&records[0].0).await.unwrap(),
        Some(records[0].1.clone())
    );
    assert_eq!(store.get_event(&more_id).await.unwrap(), Some(more.clone()));
    let loaded = store.load_events().await.unwrap().events;
    assert_eq!(loaded.last(), Some(&(more_id, more)));
    assert_eq!(store.block_count().await.unwrap(), 2);
}

/// A block that is not one (damaged bytes, a value of another type) is
/// reported, the blocks around it still load, and it is never merged
/// with them.
#[wasm_bindgen_test]
async fn a_damaged_block_is_reported_and_its_neighbours_load() {
    let name = fresh_name();
    let store = IdbStore::open(&name).await.unwrap();
    let records = records(40);
    for (id, bytes) in &records[..20] {
        store.put_events(&[(*id, bytes.as_slice())]).await.unwrap();
    }
    let future = |value: wasm_bindgen::JsValue| {
        wasm_bindgen_futures::JsFuture::from(put_raw(&name, "blocks", &value))
    };
    future(js_bytes(&[1, 2, 3])).await.unwrap();
    future("not bytes".into()).await.unwrap();
    for (id, bytes) in &records[20..] {
        store.put_events(&[(*id, bytes.as_slice())]).await.unwrap();
    }
    let loaded = store.load_events().await.unwrap();
    assert_eq!(loaded.events, records);
    assert_eq!(loaded.corrupt.len(), 2, "{:?}", loaded.corrupt);
    assert_eq!(
        store.block_count().await.unwrap(),
        4,
        "two merged runs, two damaged"
    );
    let again = store.load_events().await.unwrap();
    assert_eq!(again.events, records);
    assert_eq!(again.corrupt.len(), 2);
}

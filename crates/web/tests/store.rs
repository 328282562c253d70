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

//! The storage conformance suite: the memory store natively and in the
//! browser, the IndexedDB store in headless Chromium.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use trustfold::store::MemoryStore;

trustfold::store_conformance_tests!(memory, async { MemoryStore::new() });

#[cfg(target_arch = "wasm32")]
mod browser {
    use std::sync::atomic::{AtomicU32, Ordering};
    use trustfold::store::{IdbStore, Store, StoreError};
    use wasm_bindgen_test::wasm_bindgen_test;

    /// A fresh database name per test.
    pub fn fresh_name() -> String {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        format!(
            "trustfold-test-{}-{}",
            js_sys::Date::now(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        )
    }

    pub async fn fresh() -> IdbStore {
        IdbStore::open(&fresh_name()).await.expect("opens")
    }

    trustfold::store_conformance_tests!(indexeddb, fresh());

    #[wasm_bindgen_test]
    async fn events_survive_closing_and_reopening_the_database() {
        let name = fresh_name();
        let store = IdbStore::open(&name).await.unwrap();
        let bytes = b"kept across reopen".to_vec();
        let id = trustfold::EventId::of_bytes(&bytes);
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
        let id = trustfold::EventId::of_bytes(&bytes);
        store.put_events(&[(id, &bytes)]).await.unwrap();
        store.close();
        let more = b"after closing".to_vec();
        let failed = store
            .put_events(&[(trustfold::EventId::of_bytes(&more), &more)])
            .await;
        assert_eq!(failed, Err(StoreError::Closed));
        assert_eq!(store.put_meta("x", b"y").await, Err(StoreError::Closed));
        let reopened = IdbStore::open(&name).await.unwrap();
        assert_eq!(
            reopened.load_events().await.unwrap().events,
            vec![(id, bytes)]
        );
        assert_eq!(reopened.get_meta("x").await.unwrap(), None);
    }
}

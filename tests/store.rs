//! The storage conformance suite (`trustfold::testing::store`) on the
//! memory store, natively and in the browser. IndexedDB runs the same suite
//! in `trustfold-web`'s tests.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

trustfold::store_conformance_tests!(memory, trustfold::testing::MemoryBackend);

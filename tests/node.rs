//! The node over a store: state survives reopening, every new event is
//! written before the call returns, bad input and failed writes lose nothing.
//! Runs on the memory store natively and in the browser, and on IndexedDB
//! in headless Chromium.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;

use common::{id, key, pay};
use trustfold::store::{MemoryStore, Store};
use trustfold::{Node, NodeError, Policy, Scalar};

const SECRET: [u8; 32] = [7; 32];

/// Everything a person would notice after a reload.
fn state<S: Store>(node: &mut Node<S>) -> (usize, String, String, Option<String>) {
    let replica = node.replica_mut();
    let note = replica
        .record("notes", "n")
        .and_then(|r| r.text("body").map(str::to_owned));
    let log = replica.log();
    (
        log.len(),
        replica.view().included_digest(log).to_hex(),
        replica.view().state_digest(log).to_hex(),
        note,
    )
}

async fn a_reopened_node_has_the_same_identity_policy_and_state<S: Store>(store: S) {
    let (mut node, report) = Node::open(store, || SECRET).await.unwrap();
    assert!(report.new_identity);
    let me = node.identity().public_key();
    node.publish(1, pay(key(2), 30, "EUR")).await.unwrap();
    node.set_policy(Policy::new(me).banning(key(3)))
        .await
        .unwrap();
    let payment_from_3 = id(3).sign(trustfold::Draft {
        seq: 1,
        parents: vec![],
        time: 2,
        body: pay(me, 5, "EUR"),
    });
    node.receive(payment_from_3.bytes()).await.unwrap();
    node.replica_mut().create_record("notes", "n").unwrap();
    node.replica_mut()
        .set_text("notes", "n", "body", "kept")
        .unwrap();
    node.replica_mut()
        .set_field("notes", "n", "done", Scalar::Bool(true))
        .unwrap();
    assert_eq!(node.commit(3).await.unwrap().len(), 1);
    let before = state(&mut node);
    assert_eq!(node.store().event_count().await.unwrap(), 3);

    let store = node.into_store();
    let (mut reopened, report) = Node::open(store, || [9; 32]).await.unwrap();
    assert!(!report.new_identity);
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    assert_eq!(reopened.identity().public_key(), me);
    assert!(reopened.replica().view().policy().banned.contains(&key(3)));
    assert_eq!(state(&mut reopened), before);
    assert_eq!(
        reopened
            .replica()
            .view()
            .balance(reopened.replica().log(), &me, "EUR"),
        -30,
        "3's payment is banned, as before"
    );
}

async fn bad_input_is_refused_with_a_typed_error_and_stores_nothing<S: Store>(store: S) {
    let (mut node, _) = Node::open(store, || SECRET).await.unwrap();
    node.publish(1, pay(key(2), 30, "EUR")).await.unwrap();
    let before = state(&mut node);
    let good = id(4).sign(trustfold::Draft {
        seq: 1,
        parents: vec![],
        time: 0,
        body: pay(key(2), 1, "EUR"),
    });
    let mut forged = good.bytes().to_vec();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert!(matches!(
        node.receive(&forged).await,
        Err(NodeError::Core(_))
    ));
    assert!(matches!(
        node.receive(&forged[..10]).await,
        Err(NodeError::Core(_))
    ));
    // A locally made event that breaks a rule is neither stored nor applied.
    let me = node.identity().public_key();
    assert!(node.publish(2, pay(me, 1, "EUR")).await.is_err());
    assert_eq!(state(&mut node), before);
    assert_eq!(node.store().event_count().await.unwrap(), 1);
}

async fn a_damaged_stored_event_is_skipped_and_reported_on_open<S: Store>(store: S) {
    let (mut node, _) = Node::open(store, || SECRET).await.unwrap();
    node.publish(1, pay(key(2), 30, "EUR")).await.unwrap();
    let store = node.into_store();
    let junk = b"not an event".to_vec();
    let id = trustfold::EventId::of_bytes(&junk);
    store.put_events(&[(id, &junk)]).await.unwrap();
    let (reopened, report) = Node::open(store, || SECRET).await.unwrap();
    assert_eq!(reopened.replica().log().len(), 1);
    assert_eq!(report.skipped.len(), 1, "{:?}", report.skipped);
    assert!(report.skipped[0].contains(&format!("{id:?}")));
}

mod memory {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = pollster::test)]
    async fn a_reopened_node_has_the_same_identity_policy_and_state() {
        super::a_reopened_node_has_the_same_identity_policy_and_state(MemoryStore::new()).await;
    }

    #[wasm_bindgen_test(unsupported = pollster::test)]
    async fn bad_input_is_refused_with_a_typed_error_and_stores_nothing() {
        super::bad_input_is_refused_with_a_typed_error_and_stores_nothing(MemoryStore::new()).await;
    }

    #[wasm_bindgen_test(unsupported = pollster::test)]
    async fn a_damaged_stored_event_is_skipped_and_reported_on_open() {
        super::a_damaged_stored_event_is_skipped_and_reported_on_open(MemoryStore::new()).await;
    }
}

#[cfg(target_arch = "wasm32")]
mod indexeddb {
    use super::*;
    use trustfold::store::{IdbStore, StoreError};
    use wasm_bindgen_test::wasm_bindgen_test;

    fn fresh_name() -> String {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        format!(
            "trustfold-node-{}-{}",
            js_sys::Date::now(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        )
    }

    async fn fresh() -> IdbStore {
        IdbStore::open(&fresh_name()).await.unwrap()
    }

    #[wasm_bindgen_test]
    async fn a_reopened_node_has_the_same_identity_policy_and_state() {
        super::a_reopened_node_has_the_same_identity_policy_and_state(fresh().await).await;
    }

    #[wasm_bindgen_test]
    async fn bad_input_is_refused_with_a_typed_error_and_stores_nothing() {
        super::bad_input_is_refused_with_a_typed_error_and_stores_nothing(fresh().await).await;
    }

    #[wasm_bindgen_test]
    async fn a_damaged_stored_event_is_skipped_and_reported_on_open() {
        super::a_damaged_stored_event_is_skipped_and_reported_on_open(fresh().await).await;
    }

    #[wasm_bindgen_test]
    async fn a_closed_database_and_a_real_reopen() {
        let name = fresh_name();
        let (mut node, _) = Node::open(IdbStore::open(&name).await.unwrap(), || SECRET)
            .await
            .unwrap();
        node.publish(1, pay(key(2), 30, "EUR")).await.unwrap();
        let before = state(&mut node);
        node.store().close();
        let failed = node.publish(2, pay(key(2), 1, "EUR")).await;
        assert_eq!(failed.err(), Some(NodeError::Store(StoreError::Closed)));
        assert_eq!(state(&mut node), before, "a failed write applies nothing");
        drop(node);
        let (mut reopened, report) = Node::open(IdbStore::open(&name).await.unwrap(), || [1; 32])
            .await
            .unwrap();
        assert!(!report.new_identity);
        assert_eq!(state(&mut reopened), before);
    }
}

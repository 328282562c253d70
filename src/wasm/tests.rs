//! The façade in headless Chromium: values cross as JS values, failures as
//! JS errors with a stable code.

use super::JsNode;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn code(error: JsValue) -> String {
    js_sys::Reflect::get(&error, &"code".into())
        .ok()
        .and_then(|c| c.as_string())
        .unwrap_or_default()
}

fn network() -> String {
    format!("facade-{}", js_sys::Math::random())
}

fn get(value: &JsValue, field: &str) -> JsValue {
    js_sys::Reflect::get(value, &field.into()).unwrap()
}

#[wasm_bindgen_test]
async fn payments_show_as_bigint_balances_and_survive_reopening() {
    let net = network();
    let mut node = JsNode::open(net.clone()).await.unwrap();
    let other = crate::Identity::from_secret([3; 32]).public_key().to_hex();
    let id = node
        .pay(other.clone(), 250, "EUR".into(), None)
        .await
        .unwrap();
    assert_eq!(id.len(), 64);
    let balance = node.balance(other.clone(), "EUR".into()).unwrap();
    assert_eq!(JsValue::from(balance), JsValue::bigint_from_str("250"));
    let balances: js_sys::Array = node.balances().unwrap().into();
    assert_eq!(balances.length(), 2);
    let me = node.public_key();
    let digest = get(&node.view_digest().unwrap(), "state")
        .as_string()
        .unwrap();
    drop(node);
    let reopened = JsNode::open(net).await.unwrap();
    assert_eq!(reopened.public_key(), me);
    assert_eq!(
        get(&reopened.view_digest().unwrap(), "state")
            .as_string()
            .unwrap(),
        digest
    );
}

#[wasm_bindgen_test]
async fn a_dispute_trusted_by_the_viewer_becomes_an_explained_debt() {
    let mut node = JsNode::open(network()).await.unwrap();
    let friend = crate::Identity::from_secret([4; 32]).public_key().to_hex();
    let payment = node
        .pay(friend.clone(), 100, "EUR".into(), Some("repairs".into()))
        .await
        .unwrap();
    node.dispute(payment.clone(), "never done".into())
        .await
        .unwrap();
    // I always trust myself: my dispute excludes the payment in my view.
    assert_eq!(
        JsValue::from(node.balance(friend.clone(), "EUR".into()).unwrap()),
        JsValue::bigint_from_str("0")
    );
    let explanation = node.explain(friend, "EUR".into()).unwrap();
    let not_counted: js_sys::Array = get(&explanation, "notCounted").into();
    assert_eq!(not_counted.length(), 1);
    let movement = not_counted.get(0);
    assert_eq!(get(&movement, "event").as_string().unwrap(), payment);
    let contests: js_sys::Array = get(&movement, "contests").into();
    assert_eq!(
        get(&contests.get(0), "verdict").as_string().unwrap(),
        "counted"
    );
}

#[wasm_bindgen_test]
async fn bad_arguments_and_refused_events_are_errors_with_codes() {
    let mut node = JsNode::open(network()).await.unwrap();
    let error = node
        .pay("not a key".into(), 1, "EUR".into(), None)
        .await
        .err()
        .unwrap();
    assert_eq!(code(error.clone()), "INVALID_ARGUMENT");
    assert!(error.is_instance_of::<js_sys::Error>());
    let me = node.public_key();
    assert_eq!(
        code(node.pay(me, 1, "EUR".into(), None).await.err().unwrap()),
        "INVALID_EVENT"
    );
    let other = crate::Identity::from_secret([5; 32]).public_key().to_hex();
    assert_eq!(
        code(node.pay(other, 0, "EUR".into(), None).await.err().unwrap()),
        "INVALID_EVENT"
    );
    let unknown = "ab".repeat(32);
    assert_eq!(
        code(node.exclude(unknown, "x".into()).await.err().unwrap()),
        "UNKNOWN_EVENT"
    );
    assert_eq!(
        code(node.set_quorum(0).await.err().unwrap()),
        "INVALID_ARGUMENT"
    );
    assert_eq!(
        code(
            node.publish_trust("ab".repeat(32), "maybe".into())
                .await
                .err()
                .unwrap()
        ),
        "INVALID_ARGUMENT"
    );
}

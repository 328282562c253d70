//! The façade in headless Chromium: values cross as JS values, failures as
//! JS errors with a stable code.
//!
//! Longer than most files here: one test file for the façade, whose tests
//! share the set-up helpers at its top.

use crate::facade::JsNode;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn code(error: JsValue) -> String {
    js_sys::Reflect::get(&error, &"code".into())
        .ok()
        .and_then(|c| c.as_string())
        .unwrap_or_default()
}

fn network() -> JsValue {
    format!("facade-{}", js_sys::Math::random()).into()
}

fn get(value: &JsValue, field: &str) -> JsValue {
    js_sys::Reflect::get(value, &field.into()).unwrap()
}

fn s(text: &str) -> JsValue {
    JsValue::from_str(text)
}

fn other(n: u8) -> JsValue {
    s(&trustfold::Identity::from_secret([n; 32])
        .public_key()
        .to_hex())
}

/// The text of a text field of a record, as JS reads it.
fn text_of(node: &JsNode, record: &str, field: &str) -> Option<String> {
    let record = node.record(s("notes"), s(record)).unwrap();
    if record.is_null() {
        return None;
    }
    get(&get(&get(&get(&record, "fields"), field), "value"), "text").as_string()
}

#[wasm_bindgen_test]
async fn payments_show_as_bigint_balances_and_survive_reopening() {
    let net = network();
    let node = JsNode::open(net.clone()).await.unwrap();
    let id = node
        .pay(
            other(3),
            JsValue::bigint_from_str("250"),
            s("EUR"),
            JsValue::UNDEFINED,
        )
        .await
        .unwrap();
    assert_eq!(id.len(), 64);
    // A safe-integer number is accepted as an amount too.
    node.pay(other(3), JsValue::from(50), s("EUR"), s("tip"))
        .await
        .unwrap();
    let balance = node.balance(other(3), s("EUR")).unwrap();
    assert_eq!(JsValue::from(balance), JsValue::bigint_from_str("300"));
    let balances: js_sys::Array = node.balances().unwrap().into();
    assert_eq!(balances.length(), 2);
    let transactions: js_sys::Array = node.transactions(other(3)).unwrap().into();
    assert_eq!(transactions.length(), 2);
    assert_eq!(get(&transactions.get(1), "memo"), s("tip"));
    assert_eq!(get(&transactions.get(0), "status"), s("included"));
    let me = node.public_key();
    let digest = get(&node.view_digest().unwrap(), "state");
    node.close();
    let reopened = JsNode::open(net).await.unwrap();
    assert_eq!(reopened.public_key(), me);
    assert_eq!(get(&reopened.view_digest().unwrap(), "state"), digest);
    assert_eq!(
        get(&reopened.open_report().unwrap(), "events"),
        JsValue::from(2)
    );
}

#[wasm_bindgen_test]
async fn a_dispute_trusted_by_the_viewer_becomes_an_explained_debt() {
    let node = JsNode::open(network()).await.unwrap();
    let payment = node
        .pay(other(4), JsValue::from(100), s("EUR"), s("repairs"))
        .await
        .unwrap();
    node.dispute(s(&payment), s("never done")).await.unwrap();
    // I always trust myself: my dispute excludes the payment in my view.
    assert_eq!(
        JsValue::from(node.balance(other(4), s("EUR")).unwrap()),
        JsValue::bigint_from_str("0")
    );
    let explanation = node.explain(other(4), s("EUR")).unwrap();
    let not_counted: js_sys::Array = get(&explanation, "notCounted").into();
    assert_eq!(not_counted.length(), 1);
    let movement = not_counted.get(0);
    assert_eq!(get(&movement, "event").as_string().unwrap(), payment);
    let contests: js_sys::Array = get(&movement, "contests").into();
    assert_eq!(get(&contests.get(0), "verdict"), s("counted"));
    let transactions: js_sys::Array = node.transactions(JsValue::UNDEFINED).unwrap().into();
    // Why it does not count, as data: the dispute, its author (me) and the
    // words I typed, verbatim.
    let why = get(&transactions.get(0), "why");
    assert_eq!(get(&why, "kind"), s("excluded"));
    let by: js_sys::Array = get(&why, "by").into();
    assert_eq!(get(&by.get(0), "author"), s(&node.public_key()));
    assert_eq!(get(&by.get(0), "dispute"), JsValue::TRUE);
    assert_eq!(get(&by.get(0), "reason"), s("never done"));
    assert!(
        get(&transactions.get(0), "reason").is_undefined(),
        "no sentence"
    );

    // Someone banning me leaves out my dispute, which my view counts.
    let banning_me = js_sys::Object::new();
    js_sys::Reflect::set(&banning_me, &"me".into(), &other(9)).unwrap();
    let banned = js_sys::Array::of1(&s(&node.public_key()));
    js_sys::Reflect::set(&banning_me, &"banned".into(), &banned).unwrap();
    let comparison = node.compare_views(banning_me.into()).unwrap();
    let only_mine: js_sys::Array = get(&comparison, "onlyMine").into();
    let only_theirs: js_sys::Array = get(&comparison, "onlyTheirs").into();
    assert!(only_mine.length() >= 1);
    assert!(
        only_mine
            .iter()
            .all(|d| get(&d, "status") == s("authorBanned"))
    );
    assert_eq!(only_theirs.length(), 0);
    assert_eq!(
        code(node.compare_views(JsValue::from(3)).err().unwrap()),
        "INVALID_ARGUMENT"
    );
    // A statement read as withdrawn must name a key, like every list.
    let bad_withdrawn = js_sys::Object::new();
    js_sys::Reflect::set(
        &bad_withdrawn,
        &"withdrawn".into(),
        &js_sys::Array::of1(&s("not a key")),
    )
    .unwrap();
    assert_eq!(
        code(node.compare_views(bad_withdrawn.into()).err().unwrap()),
        "INVALID_ARGUMENT"
    );
}

#[wasm_bindgen_test]
async fn records_and_text_are_edited_with_js_string_positions_and_kept() {
    let net = network();
    let node = JsNode::open(net.clone()).await.unwrap();
    node.create_record(s("notes"), s("n")).unwrap();
    node.set_text(s("notes"), s("n"), s("body"), s("a😀c"))
        .unwrap();
    node.set_field(s("notes"), s("n"), s("done"), JsValue::TRUE)
        .unwrap();
    // JS positions: the emoji is two UTF-16 units at index 1.
    node.splice_text(
        s("notes"),
        s("n"),
        s("body"),
        JsValue::from(3),
        JsValue::from(0),
        s("b"),
    )
    .unwrap();
    assert_eq!(text_of(&node, "n", "body").as_deref(), Some("a😀bc"));
    let inside_the_emoji = node
        .splice_text(
            s("notes"),
            s("n"),
            s("body"),
            JsValue::from(2),
            JsValue::from(0),
            s("x"),
        )
        .err()
        .unwrap();
    assert_eq!(code(inside_the_emoji), "INVALID_ARGUMENT");
    assert_eq!(node.commit().await.unwrap(), 1);
    assert_eq!(node.commit().await.unwrap(), 0, "nothing left to commit");
    node.close();
    let reopened = JsNode::open(net).await.unwrap();
    assert_eq!(text_of(&reopened, "n", "body").as_deref(), Some("a😀bc"));
    let records: js_sys::Array = reopened.records(s("notes")).unwrap().into();
    assert_eq!(records.length(), 1);
    let done = get(&get(&get(&records.get(0), "fields"), "done"), "value");
    assert_eq!(done, JsValue::TRUE);
}

#[wasm_bindgen_test]
async fn edits_named_by_a_comparison_are_found_with_their_records() {
    let node = JsNode::open(network()).await.unwrap();
    node.create_record(s("notes"), s("roof")).unwrap();
    node.set_field(s("notes"), s("roof"), s("done"), JsValue::TRUE)
        .unwrap();
    node.commit().await.unwrap();
    let history: js_sys::Array = node.record_history(s("notes"), s("roof")).unwrap().into();
    let event = get(&history.get(0), "event");
    let found: js_sys::Array = node
        .edits_among(s("notes"), js_sys::Array::of1(&event).into())
        .unwrap()
        .into();
    assert_eq!(found.length(), 1);
    assert_eq!(get(&found.get(0), "record"), s("roof"));
    assert_eq!(get(&found.get(0), "counted"), JsValue::TRUE);
    let elsewhere: js_sys::Array = node
        .edits_among(s("tasks"), js_sys::Array::of1(&event).into())
        .unwrap()
        .into();
    assert_eq!(elsewhere.length(), 0);
    // More ids than one call takes (10,000), each well formed: refused.
    let many = js_sys::Array::new();
    for _ in 0..10_001 {
        many.push(&event);
    }
    for bad in [
        s("not a list"),
        js_sys::Array::of1(&s("not an id")).into(),
        many.into(),
    ] {
        assert_eq!(
            code(node.edits_among(s("notes"), bad).err().unwrap()),
            "INVALID_ARGUMENT"
        );
    }
}

#[wasm_bindgen_test]
async fn deleted_records_are_listed_at_most_a_thousand_and_restored() {
    let node = JsNode::open(network()).await.unwrap();
    for i in 0..1_001 {
        node.create_record(s("notes"), s(&format!("r{i:04}")))
            .unwrap();
    }
    node.commit().await.unwrap();
    for i in 0..1_001 {
        node.delete_record(s("notes"), s(&format!("r{i:04}")))
            .unwrap();
    }
    node.commit().await.unwrap();
    let listed: js_sys::Array = node.deleted_records(s("notes")).unwrap().into();
    assert_eq!(listed.length(), 1_000, "at most a thousand listed");
    assert_eq!(listed.get(0), s("r0000"));
    node.restore_record(s("notes"), s("r0000")).unwrap();
    assert!(node.record(s("notes"), s("r0000")).unwrap().is_object());
    let listed: js_sys::Array = node.deleted_records(s("notes")).unwrap().into();
    assert_eq!(listed.get(0), s("r0001"));
    // Restoring one that is shown, or none: DOCUMENT_ERROR.
    for id in ["r0000", "nothing"] {
        assert_eq!(
            code(node.restore_record(s("notes"), s(id)).err().unwrap()),
            "DOCUMENT_ERROR"
        );
    }
    // Made again in place: shown, empty; likewise refused over one shown.
    node.set_text(s("notes"), s("r0000"), s("body"), s("old words"))
        .unwrap();
    node.delete_record(s("notes"), s("r0000")).unwrap();
    node.create_record_again(s("notes"), s("r0000")).unwrap();
    let again = node.record(s("notes"), s("r0000")).unwrap();
    assert_eq!(
        get(&get(&get(&get(&again, "fields"), "body"), "value"), "text"),
        s("")
    );
    for id in ["r0000", "nothing"] {
        assert_eq!(
            code(node.create_record_again(s("notes"), s(id)).err().unwrap()),
            "DOCUMENT_ERROR"
        );
    }
}

#[wasm_bindgen_test]
async fn subscribers_hear_each_change_until_they_unsubscribe() {
    let node = JsNode::open(network()).await.unwrap();
    let heard = js_sys::Array::new();
    let push = js_sys::Function::new_with_args("change", "this.push(change)").bind0(&heard);
    let unsubscribe: js_sys::Function = node.subscribe(push.into()).unwrap().into();
    node.pay(other(6), JsValue::from(1), s("EUR"), JsValue::UNDEFINED)
        .await
        .unwrap();
    node.trust(other(6)).await.unwrap();
    assert_eq!(heard.length(), 2);
    assert_eq!(get(&heard.get(0), "source"), s("local"));
    assert_eq!(get(&heard.get(0), "events"), JsValue::from(1));
    unsubscribe.call0(&JsValue::NULL).unwrap();
    node.pay(other(6), JsValue::from(1), s("EUR"), JsValue::UNDEFINED)
        .await
        .unwrap();
    assert_eq!(heard.length(), 2, "no call after unsubscribing");
    assert_eq!(
        code(node.subscribe(JsValue::from(3)).err().unwrap()),
        "INVALID_ARGUMENT"
    );
}

#[wasm_bindgen_test]
async fn a_backup_restores_the_identity_and_bad_backups_are_typed_errors() {
    let node = JsNode::open(network()).await.unwrap();
    let backup = node.export_backup(s("correct horse")).unwrap();
    let backup = JsValue::from(js_sys::Uint8Array::from(backup.as_slice()));
    let restored = JsNode::restore(network(), backup.clone(), s("correct horse"))
        .await
        .unwrap();
    assert_eq!(restored.public_key(), node.public_key());
    let wrong = JsNode::restore(network(), backup.clone(), s("wrong"))
        .await
        .err()
        .unwrap();
    assert_eq!(code(wrong), "WRONG_PASSPHRASE");
    let junk = JsValue::from(js_sys::Uint8Array::from(&[1u8, 2, 3][..]));
    let malformed = JsNode::restore(network(), junk, s("correct horse"))
        .await
        .err()
        .unwrap();
    assert_eq!(code(malformed), "MALFORMED_BACKUP");
    let not_bytes = JsNode::restore(network(), s("backup"), s("x"))
        .await
        .err()
        .unwrap();
    assert_eq!(code(not_bytes), "INVALID_ARGUMENT");
    // This browser already holds another identity for `net`.
    let net = network();
    let _theirs = JsNode::open(net.clone()).await.unwrap();
    let taken = JsNode::restore(net, backup, s("correct horse"))
        .await
        .err()
        .unwrap();
    assert_eq!(code(taken), "OTHER_IDENTITY");
}

#[wasm_bindgen_test]
async fn bad_arguments_and_refused_events_are_errors_with_codes() {
    let node = JsNode::open(network()).await.unwrap();
    let error = node
        .pay(
            s("not a key"),
            JsValue::from(1),
            s("EUR"),
            JsValue::UNDEFINED,
        )
        .await
        .err()
        .unwrap();
    assert_eq!(code(error.clone()), "INVALID_ARGUMENT");
    assert!(error.is_instance_of::<js_sys::Error>());
    // Wrong types: a number for a key, a string or a fraction for an amount, a number for a unit.
    for (to, amount, unit) in [
        (JsValue::from(7), JsValue::from(1), s("EUR")),
        (other(5), s("10"), s("EUR")),
        (other(5), JsValue::from(1.5), s("EUR")),
        (other(5), JsValue::from(-1), s("EUR")),
        (other(5), JsValue::from(1), JsValue::from(5)),
    ] {
        let error = node
            .pay(to, amount, unit, JsValue::UNDEFINED)
            .await
            .err()
            .unwrap();
        assert_eq!(code(error), "INVALID_ARGUMENT");
    }
    let me = s(&node.public_key());
    assert_eq!(
        code(
            node.pay(me, JsValue::from(1), s("EUR"), JsValue::UNDEFINED)
                .await
                .err()
                .unwrap()
        ),
        "INVALID_EVENT"
    );
    assert_eq!(
        code(
            node.pay(other(5), JsValue::from(0), s("EUR"), JsValue::UNDEFINED)
                .await
                .err()
                .unwrap()
        ),
        "INVALID_EVENT"
    );
    assert_eq!(
        code(
            node.exclude(s(&"ab".repeat(32)), s("x"))
                .await
                .err()
                .unwrap()
        ),
        "UNKNOWN_EVENT"
    );
    assert_eq!(
        code(node.set_quorum(JsValue::from(0)).await.err().unwrap()),
        "INVALID_ARGUMENT"
    );
    assert_eq!(
        code(
            node.publish_trust(s(&"ab".repeat(32)), s("maybe"))
                .await
                .err()
                .unwrap()
        ),
        "INVALID_ARGUMENT"
    );
    assert_eq!(
        code(
            node.set_field(s("notes"), s("n"), s("f"), js_sys::Object::new().into())
                .err()
                .unwrap()
        ),
        "INVALID_ARGUMENT"
    );
    assert_eq!(
        code(JsNode::open(JsValue::from(1)).await.err().unwrap()),
        "INVALID_ARGUMENT"
    );
}

#[wasm_bindgen_test]
async fn the_cached_state_reads_back_before_opening() {
    let net = network();
    assert!(JsNode::cached_state(net.clone()).await.unwrap().is_none());
    let node = JsNode::open(net.clone()).await.unwrap();
    node.pay(other(8), JsValue::from(12), s("EUR"), JsValue::UNDEFINED)
        .await
        .unwrap();
    node.create_record(s("notes"), s("n")).unwrap();
    node.set_text(s("notes"), s("n"), s("body"), s("cached"))
        .unwrap();
    node.commit().await.unwrap();
    node.save_snapshots().await.unwrap();
    let live_balances = node.balances().unwrap();
    node.close();

    let cached = JsNode::cached_state(net).await.unwrap().unwrap();
    assert_eq!(cached.events(), 2.0);
    let balances: js_sys::Array = cached.balances().unwrap().into();
    let live: js_sys::Array = live_balances.into();
    assert_eq!(balances.length(), live.length());
    assert_eq!(
        get(&balances.get(0), "balance"),
        get(&live.get(0), "balance")
    );
    let records: js_sys::Array = cached.records(s("notes")).unwrap().into();
    let body = get(&get(&get(&records.get(0), "fields"), "body"), "value");
    assert_eq!(get(&body, "text"), s("cached"));
}

#[wasm_bindgen_test]
async fn a_policy_change_and_someone_elses_view_are_seen_before_anything_changes() {
    let node = JsNode::open(network()).await.unwrap();
    let me = node.public_key();
    node.pay(other(4), JsValue::from(100), s("EUR"), s("rent"))
        .await
        .unwrap();
    node.publish_trust(other(5), s("trusted")).await.unwrap();
    node.publish_trust(other(6), s("banned")).await.unwrap();
    let statements: js_sys::Array = node.published_trust().unwrap().into();
    let said: Vec<(String, String, String)> = statements
        .iter()
        .map(|st| {
            let text = |f: &str| get(&st, f).as_string().unwrap();
            (text("author"), text("subject"), text("level"))
        })
        .collect();
    let text = |v: JsValue| v.as_string().unwrap();
    assert_eq!(
        said,
        vec![
            (me.clone(), text(other(5)), "trusted".to_owned()),
            (me.clone(), text(other(6)), "banned".to_owned()),
        ]
    );

    // A viewer who bans me: none of my payments count for them.
    let banning_me = js_sys::Object::new();
    js_sys::Reflect::set(&banning_me, &"me".into(), &other(9)).unwrap();
    js_sys::Reflect::set(&banning_me, &"banned".into(), &js_sys::Array::of1(&s(&me))).unwrap();
    let theirs: js_sys::Array = node
        .balances_under(banning_me.clone().into())
        .unwrap()
        .into();
    assert_eq!(theirs.length(), 0);
    let mine: js_sys::Array = node.balances().unwrap().into();
    assert_eq!(mine.length(), 2, "my own view is unchanged");
    let digest = get(&node.view_digest().unwrap(), "included");
    let same = get(
        &node
            .view_digest_under(js_sys::Object::new().into())
            .unwrap(),
        "included",
    );
    assert_eq!(same, digest, "my own policy gives my own digest");
    let other_digest = get(
        &node.view_digest_under(banning_me.into()).unwrap(),
        "included",
    );
    assert_ne!(other_digest, digest);
}

#[wasm_bindgen_test]
fn a_disguised_unit_is_labelled_with_its_invisible_characters() {
    assert_eq!(JsNode::unit_label(s("EUR")).unwrap(), "EUR");
    assert_eq!(JsNode::unit_label(s("EU\u{061C}R")).unwrap(), "EU⟨U+061C⟩R");
    assert_eq!(
        code(JsNode::unit_label(JsValue::from(3)).err().unwrap()),
        "INVALID_ARGUMENT"
    );
}

#[wasm_bindgen_test]
async fn a_payment_received_is_paid_back_with_a_reversal() {
    let node = JsNode::open(network()).await.unwrap();
    let me = trustfold::PublicKey::from_hex(&node.public_key()).unwrap();
    let payer = trustfold::Identity::from_secret([7; 32]);
    let mut elsewhere = trustfold::Replica::new(trustfold::Policy::new(payer.public_key()));
    let payment = elsewhere
        .publish(
            &payer,
            1,
            trustfold::Body::Transfer(trustfold::Transfer {
                to: me,
                amount: 40,
                unit: "EUR".into(),
                memo: "lunch".into(),
                reverses: None,
            }),
        )
        .unwrap();
    let bytes = js_sys::Uint8Array::from(payment.bytes());
    node.receive(js_sys::Array::of1(&bytes).into())
        .await
        .unwrap();
    assert_eq!(
        JsValue::from(node.balance(s(&me.to_hex()), s("EUR")).unwrap()),
        JsValue::bigint_from_str("40")
    );
    let back = node
        .pay_back(s(&payment.id().to_hex()), s("thanks, no"))
        .await
        .unwrap();
    assert_eq!(
        JsValue::from(node.balance(s(&me.to_hex()), s("EUR")).unwrap()),
        JsValue::bigint_from_str("0")
    );
    let transactions: js_sys::Array = node.transactions(JsValue::UNDEFINED).unwrap().into();
    let reversal = transactions
        .iter()
        .find(|t| get(t, "event").as_string().as_deref() == Some(back.as_str()))
        .unwrap();
    assert_eq!(get(&reversal, "reverses"), s(&payment.id().to_hex()));
    assert_eq!(get(&reversal, "to"), s(&payer.public_key().to_hex()));
    // Paid back in full: a second pay back is refused (it would count nothing).
    assert_eq!(
        code(
            node.pay_back(s(&payment.id().to_hex()), JsValue::UNDEFINED)
                .await
                .err()
                .unwrap()
        ),
        "INVALID_ARGUMENT"
    );
    // Only a payment made to me can be paid back.
    assert_eq!(
        code(
            node.pay_back(s(&back), JsValue::UNDEFINED)
                .await
                .err()
                .unwrap()
        ),
        "INVALID_ARGUMENT"
    );
}

/// Every field of a transfer's row as the core lists it, through the
/// columns it crosses as (`transaction_rows`): strings whose UTF-16 length
/// differs from their bytes, an empty memo, a second unit, a reversal's
/// reference, bigints, and the fields in the order the TS type gives.
#[wasm_bindgen_test]
async fn every_field_of_a_transaction_row_reads_as_the_core_lists_it() {
    let node = JsNode::open(network()).await.unwrap();
    let me = node.public_key();
    let payer = trustfold::Identity::from_secret([7; 32]);
    let mut elsewhere = trustfold::Replica::new(trustfold::Policy::new(payer.public_key()));
    let memo = "🎉 lunch — naïve";
    let payment = elsewhere
        .publish(
            &payer,
            1,
            trustfold::Body::Transfer(trustfold::Transfer {
                to: trustfold::PublicKey::from_hex(&me).unwrap(),
                amount: 40,
                unit: "EUR".into(),
                memo: memo.into(),
                reverses: None,
            }),
        )
        .unwrap();
    node.receive(js_sys::Array::of1(&js_sys::Uint8Array::from(payment.bytes())).into())
        .await
        .unwrap();
    let hours = node
        .pay(other(4), JsValue::from(250), s("HOUR"), JsValue::UNDEFINED)
        .await
        .unwrap();
    let back = node
        .pay_back(s(&payment.id().to_hex()), s("a\u{0}b 𝄞"))
        .await
        .unwrap();

    let rows: js_sys::Array = node.transactions(JsValue::UNDEFINED).unwrap().into();
    assert_eq!(rows.length(), 3);
    let fields: Vec<String> = js_sys::Object::keys(&rows.get(0).into())
        .iter()
        .map(|k| k.as_string().unwrap())
        .collect();
    assert_eq!(
        fields,
        [
            "event", "from", "to", "amount", "unit", "memo", "time", "reverses", "reversed",
            "status", "why", "contests"
        ]
    );
    let (received, paid, reversal) = (rows.get(0), rows.get(1), rows.get(2));
    assert_eq!(get(&received, "event"), s(&payment.id().to_hex()));
    assert_eq!(get(&received, "from"), s(&payer.public_key().to_hex()));
    assert_eq!(get(&received, "to"), s(&me));
    assert_eq!(get(&received, "amount"), JsValue::bigint_from_str("40"));
    assert_eq!(get(&received, "unit"), s("EUR"));
    assert_eq!(get(&received, "memo"), s(memo));
    assert_eq!(get(&received, "time"), JsValue::from(payment.time() as f64));
    assert!(get(&received, "reverses").is_null());
    assert_eq!(get(&received, "reversed"), JsValue::bigint_from_str("40"));
    assert_eq!(get(&received, "status"), s("included"));
    assert!(get(&received, "why").is_null());
    assert_eq!(js_sys::Array::from(&get(&received, "contests")).length(), 0);

    assert_eq!(get(&paid, "event"), s(&hours));
    assert_eq!((get(&paid, "from"), get(&paid, "to")), (s(&me), other(4)));
    assert_eq!(get(&paid, "amount"), JsValue::bigint_from_str("250"));
    assert_eq!(get(&paid, "unit"), s("HOUR"));
    assert_eq!(get(&paid, "memo"), s(""));
    assert_eq!(get(&paid, "reversed"), JsValue::bigint_from_str("0"));

    assert_eq!(get(&reversal, "event"), s(&back));
    assert_eq!(get(&reversal, "memo"), s("a\u{0}b 𝄞"));
    assert_eq!(get(&reversal, "reverses"), s(&payment.id().to_hex()));
    assert_eq!(get(&reversal, "to"), s(&payer.public_key().to_hex()));

    // One account's rows (made afresh each call) read the same.
    let of_payer: js_sys::Array = node
        .transactions(s(&payer.public_key().to_hex()))
        .unwrap()
        .into();
    assert_eq!(of_payer.length(), 2);
    for (row, same) in [(of_payer.get(0), &received), (of_payer.get(1), &reversal)] {
        for field in &fields[..11] {
            assert_eq!(get(&row, field), get(same, field), "{field}");
        }
    }

    // Banned, the payer's payment says so, and why.
    node.ban(s(&payer.public_key().to_hex())).await.unwrap();
    let rows: js_sys::Array = node.transactions(JsValue::UNDEFINED).unwrap().into();
    assert_eq!(get(&rows.get(0), "status"), s("authorBanned"));
    let why = get(&rows.get(0), "why");
    assert_eq!(get(&why, "kind"), s("authorBanned"));
    assert_eq!(get(&why, "author"), s(&payer.public_key().to_hex()));
    assert_eq!(get(&why, "ban"), s("local"));
    assert_eq!(get(&rows.get(1), "status"), s("included"));
}

#[wasm_bindgen_test]
async fn not_following_published_bans_is_kept_and_typed() {
    let net = network();
    let node = JsNode::open(net.clone()).await.unwrap();
    assert_eq!(get(&node.policy().unwrap(), "followBans"), JsValue::TRUE);
    node.follow_bans(JsValue::FALSE).await.unwrap();
    assert_eq!(get(&node.policy().unwrap(), "followBans"), JsValue::FALSE);
    assert_eq!(
        code(node.follow_bans(s("no")).await.err().unwrap()),
        "INVALID_ARGUMENT"
    );
    node.close();
    let reopened = JsNode::open(net).await.unwrap();
    assert_eq!(
        get(&reopened.policy().unwrap(), "followBans"),
        JsValue::FALSE
    );
}

#[wasm_bindgen_test]
async fn a_fresh_identity_gives_way_to_a_restored_one_after_forget() {
    let net = network();
    let old = JsNode::open(network()).await.unwrap();
    let backup = js_sys::Uint8Array::from(&old.export_backup(s("correct horse")).unwrap()[..]);
    let fresh = JsNode::open(net.clone()).await.unwrap();
    // The store holds the fresh identity: restoring over it is refused…
    fresh.close();
    assert_eq!(
        code(
            JsNode::restore(net.clone(), backup.clone().into(), s("correct horse"))
                .await
                .err()
                .unwrap()
        ),
        "OTHER_IDENTITY"
    );
    assert_eq!(
        JsNode::backup_key(backup.clone().into(), s("correct horse")).unwrap(),
        old.public_key()
    );
    assert_eq!(
        code(
            JsNode::backup_key(backup.clone().into(), s("wrong"))
                .err()
                .unwrap()
        ),
        "WRONG_PASSPHRASE"
    );
    // …until this browser forgets the network.
    JsNode::forget(net.clone()).await.unwrap();
    let restored = JsNode::restore(net, backup.into(), s("correct horse"))
        .await
        .unwrap();
    assert_eq!(restored.public_key(), old.public_key());
}

/// A private network made from an invite: its node reads and keeps its
/// payments across reopening, while IndexedDB holds only ciphertext, and
/// an open network of the same name neither shares its database nor takes
/// its events.
#[wasm_bindgen_test]
async fn a_private_network_keeps_only_ciphertext_and_refuses_strangers() {
    use crate::network::NetworkRef;
    use trustfold::store::Store;
    let name = format!("coop {}", js_sys::Math::random());
    let info = JsNode::create_invite(s(&name)).unwrap();
    assert_eq!(get(&info, "kind"), s("private"));
    let room = get(&info, "room").as_string().unwrap();
    assert!(!room.contains("coop"), "the room says nothing of the name");
    let spec = js_sys::Object::new();
    js_sys::Reflect::set(&spec, &"invite".into(), &get(&info, "invite")).unwrap();
    js_sys::Reflect::set(&spec, &"name".into(), &s(&name)).unwrap();
    let spec: JsValue = spec.into();

    let node = JsNode::open(spec.clone()).await.unwrap();
    assert_eq!(get(&node.network().unwrap(), "room"), s(&room));
    node.pay(
        other(3),
        JsValue::from(1250),
        s("EUR"),
        s("secret rent memo"),
    )
    .await
    .unwrap();
    node.close();

    let invite =
        trustfold::invite::Invite::from_hex(&get(&info, "invite").as_string().unwrap(), &name)
            .unwrap();
    let store = crate::IdbStore::open(&NetworkRef::Private(invite).database())
        .await
        .unwrap();
    let stored = store.load_events().await.unwrap().events;
    assert_eq!(stored.len(), 1);
    let bytes = &stored[0].1;
    assert!(!bytes.windows(6).any(|w| w == b"secret"), "memo sealed");
    store.close();

    let reopened = JsNode::open(spec).await.unwrap();
    assert_eq!(
        JsValue::from(reopened.balance(other(3), s("EUR")).unwrap()),
        JsValue::bigint_from_str("1250")
    );
    let memo = get(&reopened.transactions(other(3)).unwrap(), "0");
    assert_eq!(get(&memo, "memo"), s("secret rent memo"));
    reopened.close();

    let open = JsNode::open(s(&name)).await.unwrap();
    assert_eq!(get(&open.network().unwrap(), "kind"), s("open"));
    assert!(
        open.balances()
            .unwrap()
            .unchecked_into::<js_sys::Array>()
            .length()
            == 0
    );
    let batch = js_sys::Array::of1(&js_sys::Uint8Array::from(&bytes[..]));
    let report = open.receive(batch.into()).await.unwrap();
    let refused = get(&get(&report, "refused"), "0");
    assert_eq!(get(&refused, "code"), s("NOT_ADMITTED"));
    assert_eq!(get(&refused, "detail"), s("sealed_in_open_network"));
    open.close();

    for (invite, name, wanted) in [
        ("zz", "n", "MALFORMED_INVITE"),
        (&"ab".repeat(32)[..], "", "BAD_NETWORK_NAME"),
    ] {
        let spec = js_sys::Object::new();
        js_sys::Reflect::set(&spec, &"invite".into(), &s(invite)).unwrap();
        js_sys::Reflect::set(&spec, &"name".into(), &s(name)).unwrap();
        let error = JsNode::open(spec.into()).await.err().unwrap();
        assert_eq!(code(error), wanted);
    }
    // A check that does not match the secret and the name.
    let spec = js_sys::Object::new();
    js_sys::Reflect::set(&spec, &"invite".into(), &s(&"ab".repeat(32))).unwrap();
    js_sys::Reflect::set(&spec, &"name".into(), &s("n")).unwrap();
    js_sys::Reflect::set(&spec, &"check".into(), &s("00000000")).unwrap();
    let error = JsNode::open(spec.into()).await.err().unwrap();
    assert_eq!(get(&error, "detail"), s("damaged_invite"));
    assert_eq!(code(error), "MALFORMED_INVITE");
}

/// A database as the version before private networks wrote it — version-2
/// events and the identity and head records, no record of which network
/// it is for — opens as the open network of its name, with its identity
/// and payments, and is marked as that open network from then on.
#[wasm_bindgen_test]
async fn a_database_written_before_private_networks_still_opens() {
    use crate::network::NetworkRef;
    use trustfold::store::Store;
    use trustfold::{Body, Identity, Policy, Replica, Transfer};
    let name = format!("old-{}", js_sys::Math::random());
    let alice = Identity::from_secret([5; 32]);
    let mut replica = Replica::new(Policy::new(alice.public_key()));
    let mut events = Vec::new();
    for (time, amount) in [(1, 40), (2, 2)] {
        let body = Body::Transfer(Transfer {
            to: trustfold::Identity::from_secret([3; 32]).public_key(),
            amount,
            unit: "EUR".into(),
            memo: "before".into(),
            reverses: None,
        });
        events.push(replica.publish(&alice, time, body).unwrap());
    }
    assert!(events.iter().all(|e| e.content().version == 2));
    let store = crate::IdbStore::open(&NetworkRef::Open(name.clone()).database())
        .await
        .unwrap();
    let records: Vec<_> = events.iter().map(|e| (e.id(), e.bytes())).collect();
    let head = events[1].id().0;
    let secret = alice.secret();
    store
        .write(&records, &[("identity", &secret[..]), ("head", &head[..])])
        .await
        .unwrap();
    assert_eq!(store.get_meta("network").await.unwrap(), None);
    store.close();

    let node = JsNode::open(s(&name)).await.unwrap();
    assert_eq!(node.public_key(), alice.public_key().to_hex());
    assert_eq!(
        get(&node.open_report().unwrap(), "events"),
        JsValue::from(2)
    );
    assert_eq!(
        JsValue::from(node.balance(other(3), s("EUR")).unwrap()),
        JsValue::bigint_from_str("42")
    );
    node.pay(other(3), JsValue::from(1), s("EUR"), JsValue::UNDEFINED)
        .await
        .unwrap();
    node.close();
    let store = crate::IdbStore::open(&NetworkRef::Open(name).database())
        .await
        .unwrap();
    assert_eq!(
        store.get_meta("network").await.unwrap().as_deref(),
        Some(&b"open"[..])
    );
    store.close();
}

/// A private network's backup carries its invite: on a new device it
/// names the network to restore into (and the identity, as before); a
/// wrong passphrase tells nothing of it.
#[wasm_bindgen_test]
async fn a_private_networks_backup_carries_its_invite() {
    let info = JsNode::create_invite(s("backup coop")).unwrap();
    let spec = js_sys::Object::new();
    js_sys::Reflect::set(&spec, &"invite".into(), &get(&info, "invite")).unwrap();
    js_sys::Reflect::set(&spec, &"name".into(), &s("backup coop")).unwrap();
    let node = JsNode::open(spec.clone().into()).await.unwrap();
    let backup: JsValue =
        js_sys::Uint8Array::from(&node.export_backup(s("correct horse battery")).unwrap()[..])
            .into();
    let me = node.public_key();
    node.close();
    let networks: js_sys::Array =
        JsNode::backup_networks(backup.clone(), s("correct horse battery"))
            .unwrap()
            .into();
    assert_eq!(networks.length(), 1);
    let held = networks.get(0);
    assert_eq!(get(&held, "invite"), get(&info, "invite"));
    assert_eq!(get(&held, "name"), s("backup coop"));
    assert_eq!(get(&held, "room"), get(&info, "room"));
    let wrong = JsNode::backup_networks(backup.clone(), s("wrong"))
        .err()
        .unwrap();
    assert_eq!(code(wrong), "WRONG_PASSPHRASE");
    assert_eq!(
        JsNode::backup_key(backup, s("correct horse battery")).unwrap(),
        me
    );
}

/// `node.relay` and `syncStatus().relay`: "none" before `connect`; with
/// the real server (which runs its relay beside the signalling rooms) the
/// relay link opens by itself beside signalling, what the node writes is
/// acknowledged by the relay (`unsent` back to 0), a record edit is owed
/// from the moment it is made until then, and the relay is not
/// counted among the browsers linked.
#[wasm_bindgen_test]
async fn the_servers_relay_opens_beside_signalling_and_acknowledges_what_is_written() {
    let Some(url) = option_env!("TRUSTFOLD_SIGNAL_URL") else {
        panic!("TRUSTFOLD_SIGNAL_URL is unset: run the browser tests with scripts/test-wasm.sh")
    };
    let network = network();
    let node = JsNode::open(network.clone()).await.unwrap();
    let relay = node.relay().unwrap();
    assert_eq!(get(&relay, "state"), s("none"));
    assert!(get(&relay, "error").is_null());
    assert_eq!(get(&relay, "unsent").as_f64(), Some(0.0));
    node.connect(s(url)).unwrap();
    let mut waited = 0;
    while node.signalling() != "open" || get(&node.relay().unwrap(), "state") != s("open") {
        assert!(
            waited < 100,
            "signalling {}, relay {:?}",
            node.signalling(),
            get(&node.relay().unwrap(), "state")
        );
        crate::tabs::wait(100.0).await;
        waited += 1;
    }
    node.pay(other(3), JsValue::from(5), s("EUR"), JsValue::UNDEFINED)
        .await
        .unwrap();
    // Pushed to the relay as it was written; its acknowledgement is a
    // message still to come (a task, after this continuation).
    assert_eq!(
        get(&node.relay().unwrap(), "unsent").as_f64(),
        Some(1.0),
        "the payment went to the relay"
    );
    let mut waited = 0;
    while get(&node.relay().unwrap(), "unsent").as_f64() != Some(0.0) {
        assert!(waited < 100, "the relay never acknowledged");
        crate::tabs::wait(100.0).await;
        waited += 1;
    }
    // A record edit is owed from the moment it is made, before the
    // batching commits it into an event (the page would say "Saved on the
    // relay" too soon otherwise), until the relay acknowledges the event.
    node.create_record(s("notes"), s("garden")).unwrap();
    assert_eq!(
        get(&node.relay().unwrap(), "unsent").as_f64(),
        Some(1.0),
        "an uncommitted edit is owed to the relay"
    );
    let mut waited = 0;
    while get(&node.relay().unwrap(), "unsent").as_f64() != Some(0.0) {
        assert!(waited < 100, "the relay never acknowledged the record");
        crate::tabs::wait(100.0).await;
        waited += 1;
    }
    let status = node.sync_status().unwrap();
    assert_eq!(get(&get(&status, "relay"), "state"), s("open"));
    assert_eq!(
        get(&status, "peers").as_f64(),
        Some(0.0),
        "no browser linked"
    );
    assert!(get(&node.relay().unwrap(), "error").is_null());
    node.close();
    assert_eq!(get(&node.relay().unwrap(), "state"), s("none"));
    JsNode::forget(network).await.unwrap();
}

#[wasm_bindgen_test]
async fn all_transactions_read_again_reuse_unchanged_rows_and_show_changed_ones() {
    let node = JsNode::open(network()).await.unwrap();
    let rent = node
        .pay(other(4), JsValue::from(100), s("EUR"), s("rent"))
        .await
        .unwrap();
    node.pay(other(5), JsValue::from(50), s("EUR"), s("bread"))
        .await
        .unwrap();
    let first: js_sys::Array = node.transactions(JsValue::UNDEFINED).unwrap().into();
    assert_eq!(get(&first.get(0), "status"), s("included"));

    // A dispute of the rent changes its row, and only its row.
    node.dispute(s(&rent), s("never done")).await.unwrap();
    let second: js_sys::Array = node.transactions(JsValue::UNDEFINED).unwrap().into();
    assert!(
        !JsValue::from(first.clone()).eq(&JsValue::from(second.clone())),
        "a new array each read"
    );
    assert_eq!(second.length(), 2);
    assert_eq!(
        get(&second.get(0), "status"),
        s("excluded"),
        "the changed row is not the kept one"
    );
    assert_eq!(get(&get(&second.get(0), "why"), "kind"), s("excluded"));
    let contests: js_sys::Array = get(&second.get(0), "contests").into();
    assert_eq!(contests.length(), 1);
    assert!(
        second.get(1).eq(&first.get(1)),
        "an unchanged row keeps its object"
    );
    assert!(
        js_sys::Object::is_frozen(&second.get(1).into()),
        "and nobody can change it"
    );
    // The kept rows read as a fresh conversion does (of one account: not kept).
    let of_rent: js_sys::Array = node.transactions(other(4)).unwrap().into();
    assert_eq!(
        get(&of_rent.get(0), "status"),
        get(&second.get(0), "status")
    );

    // A new payment adds its row; the others stay as they were.
    node.pay(other(6), JsValue::from(7), s("EUR"), JsValue::UNDEFINED)
        .await
        .unwrap();
    let third: js_sys::Array = node.transactions(JsValue::UNDEFINED).unwrap().into();
    assert_eq!(third.length(), 3);
    assert!(third.get(0).eq(&second.get(0)));
    assert_eq!(get(&third.get(2), "to"), other(6));
    // Retracting the dispute makes the rent count again.
    let statement = get(&contests.get(0), "statement");
    node.retract(statement).await.unwrap();
    let fourth: js_sys::Array = node.transactions(JsValue::UNDEFINED).unwrap().into();
    assert_eq!(get(&fourth.get(0), "status"), s("included"));
}

/// The array `transactions()` returns is the app's: sorting or cutting it
/// changes nothing the next read returns (the node keeps its own copy).
#[wasm_bindgen_test]
async fn an_app_reordering_its_transactions_array_changes_no_later_read() {
    let node = JsNode::open(network()).await.unwrap();
    let mut paid = Vec::new();
    for to in [4, 5, 6] {
        let id = node
            .pay(other(to), JsValue::from(10), s("EUR"), JsValue::UNDEFINED)
            .await
            .unwrap();
        paid.push(id);
    }
    let first: js_sys::Array = node.transactions(JsValue::UNDEFINED).unwrap().into();
    first.reverse();
    first.set_length(1);
    let last = node
        .pay(other(7), JsValue::from(10), s("EUR"), JsValue::UNDEFINED)
        .await
        .unwrap();
    paid.push(last);
    let second: js_sys::Array = node.transactions(JsValue::UNDEFINED).unwrap().into();
    let events: Vec<JsValue> = second.iter().map(|t| get(&t, "event")).collect();
    assert_eq!(events, paid.iter().map(|id| s(id)).collect::<Vec<_>>());
}

#[wasm_bindgen_test]
async fn a_debt_summary_sums_per_person_without_listing_every_transfer() {
    let node = JsNode::open(network()).await.unwrap();
    for (to, amount) in [(4, 300), (4, 200), (5, 100), (6, 50)] {
        node.pay(
            other(to),
            JsValue::from(amount),
            s("EUR"),
            JsValue::UNDEFINED,
        )
        .await
        .unwrap();
    }
    let summaries: js_sys::Array = node.debt_summaries(JsValue::from(2)).unwrap().into();
    assert_eq!(summaries.length(), 1);
    let mine = summaries.get(0);
    assert_eq!(get(&mine, "account"), s(&node.public_key()));
    assert_eq!(get(&mine, "amount"), JsValue::bigint_from_str("650"));
    assert_eq!(get(&mine, "transfers"), JsValue::from(4));
    let with_whom: js_sys::Array = get(&mine, "withWhom").into();
    assert_eq!(with_whom.length(), 2, "at most 2 people");
    assert_eq!(
        get(&with_whom.get(0), "counterparty"),
        other(4),
        "paid most first"
    );
    assert_eq!(
        get(&with_whom.get(0), "paid"),
        JsValue::bigint_from_str("500")
    );
    assert_eq!(get(&with_whom.get(0), "transfers"), JsValue::from(2));
    assert_eq!(get(&mine, "others"), JsValue::from(1));
    assert!(
        get(&mine, "explanation").is_undefined(),
        "no list of transfers"
    );
    // 3 people by default; a bad count is refused.
    let summaries: js_sys::Array = node.debt_summaries(JsValue::UNDEFINED).unwrap().into();
    assert_eq!(
        js_sys::Array::from(&get(&summaries.get(0), "withWhom")).length(),
        3
    );
    assert_eq!(
        code(node.debt_summaries(JsValue::from(1.5)).unwrap_err()),
        "INVALID_ARGUMENT"
    );
    // One debt alone (a page of the Debts tab) reads the same; an account
    // not below zero has none; a bad key or count is refused.
    let me = s(&node.public_key());
    let one = node
        .debt_summary(me.clone(), s("EUR"), JsValue::from(2))
        .unwrap();
    assert_eq!(get(&one, "amount"), JsValue::bigint_from_str("650"));
    assert_eq!(get(&one, "others"), JsValue::from(1));
    assert_eq!(
        js_sys::Array::from(&get(&one, "withWhom")).length(),
        2,
        "at most 2 people"
    );
    assert!(
        node.debt_summary(other(4), s("EUR"), JsValue::UNDEFINED)
            .unwrap()
            .is_null(),
        "paid, not in debt"
    );
    assert!(
        node.debt_summary(me.clone(), s("GBP"), JsValue::UNDEFINED)
            .unwrap()
            .is_null()
    );
    assert_eq!(
        code(
            node.debt_summary(s("me"), s("EUR"), JsValue::UNDEFINED)
                .unwrap_err()
        ),
        "INVALID_ARGUMENT"
    );
    assert_eq!(
        code(
            node.debt_summary(me, s("EUR"), JsValue::from(-1))
                .unwrap_err()
        ),
        "INVALID_ARGUMENT"
    );
}

/// A field named `__proto__` is a field like any other in every answer
/// that holds records: an own key in its place, its value read by name,
/// `fields` a plain object (assigning the key had made its value the
/// prototype, missing from `Object.keys`). A name over 1 kB is refused
/// with its code, as the caller's argument.
#[wasm_bindgen_test]
async fn a_field_named_proto_is_a_field_and_long_names_are_refused() {
    let node = JsNode::open(network()).await.unwrap();
    let mine = node.public_key();
    for record in ["n", &mine] {
        node.create_record(s("notes"), s(record)).unwrap();
        for (field, n) in [("a", 1), ("__proto__", 2), ("A", 3)] {
            node.set_field(s("notes"), s(record), s(field), JsValue::from(n))
                .unwrap();
        }
    }
    let check = |record: JsValue, what: &str| {
        assert!(record.is_object(), "{what}: {record:?}");
        let fields = get(&record, "fields");
        let keys: Vec<String> = js_sys::Object::keys(&fields.clone().into())
            .iter()
            .map(|k| k.as_string().unwrap())
            .collect();
        assert_eq!(keys, ["A", "__proto__", "a"], "{what}");
        assert!(
            js_sys::Object::get_prototype_of(&fields)
                == js_sys::Object::get_prototype_of(&js_sys::Object::new().into()),
            "{what}: a plain object"
        );
        let proto =
            js_sys::Reflect::get_own_property_descriptor(&fields.into(), &"__proto__".into())
                .unwrap();
        assert!(proto.is_object(), "{what}: an own property");
        assert_eq!(get(&get(&proto, "value"), "value"), 2, "{what}");
    };
    let records: js_sys::Array = node.records(s("notes")).unwrap().into();
    assert_eq!(records.length(), 2);
    for record in records.iter() {
        assert!(js_sys::Object::is_frozen(&get(&record, "fields").into()));
        check(record, "records");
    }
    check(node.record(s("notes"), s("n")).unwrap(), "record");
    check(
        node.record_by(s("notes"), s("n"), s(&mine)).unwrap(),
        "recordBy",
    );
    let claims: js_sys::Array = node.self_claims(s("notes")).unwrap().into();
    assert_eq!(claims.length(), 1);
    check(get(&claims.get(0), "record"), "selfClaims");
    let long = s(&"x".repeat(trustfold::MAX_NAME_BYTES + 1));
    let refused = node.create_record(s("notes"), long.clone()).err().unwrap();
    assert_eq!(code(refused.clone()), "INVALID_ARGUMENT");
    assert_eq!(get(&refused, "detail"), "name_too_long");
    let refused = node
        .set_field(s("notes"), s("n"), long, JsValue::TRUE)
        .err()
        .unwrap();
    assert_eq!(get(&refused, "detail"), "name_too_long");
    let value = JsValue::from_str(&"x".repeat(trustfold::MAX_VALUE_BYTES + 1));
    let refused = node
        .set_field(s("notes"), s("n"), s("long"), value)
        .err()
        .unwrap();
    assert_eq!(code(refused.clone()), "INVALID_ARGUMENT");
    assert_eq!(get(&refused, "detail"), "value_too_long");
}

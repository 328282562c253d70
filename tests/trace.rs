//! The real 260k-keystroke editing trace, replayed through the record-text
//! API with batched commits, must end on exactly the trace's final text.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;
#[path = "common/trace.rs"]
mod trace;

use common::{id, key};
use trustfold::{Policy, Replica};
use wasm_bindgen_test::wasm_bindgen_test;

/// Keystrokes per commit (one signed event each).
const EDITS_PER_COMMIT: usize = 100;

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn replaying_the_editing_trace_through_records_ends_on_its_exact_text() {
    let (patches, end) = trace::load();
    assert_eq!(patches.len(), 259_778);
    let author = id(1);
    let mut node = Replica::new(Policy::new(key(1)));
    node.create_record("papers", "p").unwrap();
    node.set_text("papers", "p", "body", "").unwrap();
    let started = common::now_ms();
    for (i, p) in patches.iter().enumerate() {
        node.splice_text("papers", "p", "body", p.pos, p.delete, &p.insert)
            .unwrap_or_else(|e| panic!("edit {i} ({p:?}): {e}"));
        if i % EDITS_PER_COMMIT == EDITS_PER_COMMIT - 1 {
            node.commit(&author, i as u64).unwrap();
        }
        if i % 20_000 == 0 {
            common::breathe().await;
        }
    }
    node.commit(&author, patches.len() as u64).unwrap();
    let replayed = common::now_ms();
    let text = node
        .record("papers", "p")
        .unwrap()
        .text("body")
        .unwrap()
        .to_owned();
    assert_eq!(text.chars().count(), end.chars().count());
    assert!(text == end, "replayed text differs from endContent");
    let events = node.log().len();
    assert_eq!(events, patches.len().div_ceil(EDITS_PER_COMMIT));

    // A second replica fed the signed events reaches the same text.
    let mut other = Replica::new(Policy::new(key(2)));
    let inserting = common::now_ms();
    for e in node.log().topological() {
        other.insert(e.clone()).unwrap();
    }
    let inserted = common::now_ms();
    // The first read applies the queued changes, each through the document
    // guard; the anchor applies the same changes to a bare Automerge
    // document in one batch.
    let body = other.record("papers", "p").unwrap();
    let read = common::now_ms();
    let changes: Vec<automerge::Change> = node
        .log()
        .topological()
        .filter_map(|e| match e.body() {
            trustfold::Body::Doc { change, .. } => {
                automerge::Change::from_bytes(change.clone()).ok()
            }
            _ => None,
        })
        .collect();
    let anchor_start = common::now_ms();
    let mut bare = automerge::AutoCommit::new();
    bare.apply_changes(changes).unwrap();
    let anchor = common::now_ms() - anchor_start;
    // The figures of BENCHMARKS.md "Package size" and "Document guard"
    // (run with --nocapture).
    println!(
        "trace: {} splices + {} commits {:.0} ms; a second replica inserts the events {:.0} ms, \
         then applies their changes at the first read {:.0} ms (bare Automerge batch: {:.0} ms)",
        patches.len(),
        events,
        replayed - started,
        inserted - inserting,
        read - inserted,
        anchor
    );
    assert_eq!(body.text("body"), Some(end.as_str()));
    assert_eq!(
        other.document_errors(),
        vec![],
        "honest changes pass the guard"
    );
}

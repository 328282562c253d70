//! Deletes, restores and writes as a viewer who bans someone sees them:
//! an attacker's review (2026-12-05) of deletes that go by what the
//! viewer sees found each of these returning Ok while the viewer's view
//! did not change (or changing the record the viewer does not see).

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;

use common::roof::*;
use common::*;
use trustfold::{Policy, Replica, Scalar};
use wasm_bindgen_test::wasm_bindgen_test;

/// A viewer who sees a mark Automerge no longer holds (superseded by a
/// restore they mask, then deleted again by someone else) restores it.
#[wasm_bindgen_test(unsupported = test)]
fn a_mark_a_masked_restore_superseded_is_restored_by_the_viewer() {
    let (mut a, mut b) = shared();
    b.delete_record("tasks", "roof").unwrap(); // mark b1 = true
    b.commit(&id(B), 2).unwrap();
    let mut m = node(4);
    deliver(&b, &mut m);
    m.restore_record("tasks", "roof").unwrap(); // removes b1
    m.commit(&id(4), 1).unwrap();
    deliver(&m, &mut a);
    a.delete_record("tasks", "roof").unwrap(); // mark a2 = true
    a.commit(&id(A), 3).unwrap();
    // V bans M: sees b1 and a2, both true.
    let mut v = Replica::new(Policy::new(key(V)).banning(key(4)));
    deliver(&a, &mut v);
    assert_eq!(title(&mut v), None);
    assert_eq!(v.deleted_records("tasks"), ["roof"]);
    v.restore_record("tasks", "roof").unwrap();
    v.commit(&id(V), 1).unwrap();
    assert_eq!(
        title(&mut v).as_deref(),
        Some("Fix"),
        "restored, as promised"
    );
}

/// The same after someone deleted it again over a mark they masked: a
/// viewer banning the one who deleted it again restores it.
#[wasm_bindgen_test(unsupported = test)]
fn a_viewer_masking_a_delete_again_restores_the_record() {
    let (mut a, mut b) = shared();
    b.delete_record("tasks", "roof").unwrap();
    b.commit(&id(B), 2).unwrap();
    deliver(&b, &mut a);
    // M bans B: sees it shown, deletes it again in M's name.
    let mut m = Replica::new(Policy::new(key(4)).banning(key(B)));
    deliver(&a, &mut m);
    m.delete_record("tasks", "roof").unwrap();
    m.commit(&id(4), 1).unwrap();
    // V bans M only: sees B's delete (M's removal of it does not count).
    let mut v = Replica::new(Policy::new(key(V)).banning(key(4)));
    deliver(&m, &mut v);
    assert_eq!(title(&mut v), None);
    v.restore_record("tasks", "roof").unwrap();
    v.commit(&id(V), 1).unwrap();
    assert_eq!(
        title(&mut v).as_deref(),
        Some("Fix"),
        "restored, as promised"
    );
}

/// A restore over a delete made again (over a mark its author masked)
/// counts for a viewer who bans that author too: the earlier mark does
/// not come back (the delete again names it as its predecessor).
#[wasm_bindgen_test(unsupported = test)]
fn a_restore_over_a_delete_made_again_counts_for_those_who_mask_it() {
    let (mut a, mut b) = shared();
    b.delete_record("tasks", "roof").unwrap();
    b.commit(&id(B), 2).unwrap();
    deliver(&b, &mut a);
    let mut m = Replica::new(Policy::new(key(4)).banning(key(B)));
    deliver(&a, &mut m);
    m.delete_record("tasks", "roof").unwrap();
    m.commit(&id(4), 1).unwrap();
    deliver(&m, &mut a);
    a.restore_record("tasks", "roof").unwrap(); // Alice undoes both deletes
    a.commit(&id(A), 3).unwrap();
    assert_eq!(title(&mut a).as_deref(), Some("Fix"));
    let mut v = Replica::new(Policy::new(key(V)).banning(key(4)));
    deliver(&a, &mut v);
    // Compare: had M not deleted again, V would see Alice's restore.
    assert_eq!(
        title(&mut v).as_deref(),
        Some("Fix"),
        "Alice's restore counts for V"
    );
}

/// Two makers of one record at once; the viewer bans the one whose object
/// Automerge picks, and deletes the one they see.
#[wasm_bindgen_test(unsupported = test)]
fn a_delete_marks_the_object_the_viewer_sees() {
    let mut a = node(A);
    a.create_record("tasks", "roof").unwrap();
    a.set_field("tasks", "roof", "done", Scalar::Bool(false))
        .unwrap();
    a.commit(&id(A), 1).unwrap();
    let mut m = node(4);
    // M raises its op counter, then makes "roof" without having seen A's.
    m.create_record("tasks", "x1").unwrap();
    m.create_record("tasks", "x2").unwrap();
    m.create_record("tasks", "x3").unwrap();
    m.create_record("tasks", "roof").unwrap();
    m.commit(&id(4), 1).unwrap();
    let mut v = Replica::new(Policy::new(key(V)).banning(key(4)));
    deliver(&a, &mut v);
    deliver(&m, &mut v);
    assert!(v.record("tasks", "roof").is_some());
    v.delete_record("tasks", "roof").unwrap();
    v.commit(&id(V), 1).unwrap();
    assert!(v.record("tasks", "roof").is_none(), "deleted, as promised");
}

/// A deleted record made again by M; V bans M, sees the old one deleted,
/// and restores that one (not M's).
#[wasm_bindgen_test(unsupported = test)]
fn a_restore_acts_on_the_object_the_viewer_sees() {
    let (mut a, _) = shared();
    a.delete_record("tasks", "roof").unwrap();
    a.commit(&id(A), 2).unwrap();
    let mut m = node(4);
    deliver(&a, &mut m);
    m.create_record("tasks", "roof").unwrap();
    m.commit(&id(4), 1).unwrap();
    let mut v = Replica::new(Policy::new(key(V)).banning(key(4)));
    deliver(&m, &mut v);
    assert_eq!(v.deleted_records("tasks"), ["roof"]);
    v.restore_record("tasks", "roof").unwrap();
    v.commit(&id(V), 1).unwrap();
    assert_eq!(
        title(&mut v).as_deref(),
        Some("Fix"),
        "restored, as promised"
    );
}

/// Creating a record the viewer sees (they ban its deleter) does nothing,
/// as for any record shown; it used to replace it with an empty one.
#[wasm_bindgen_test(unsupported = test)]
fn creating_a_record_the_viewer_sees_keeps_it() {
    let (_a, mut b) = shared();
    b.delete_record("tasks", "roof").unwrap();
    b.commit(&id(B), 2).unwrap();
    let mut v = Replica::new(Policy::new(key(V)).banning(key(B)));
    deliver(&b, &mut v);
    assert_eq!(title(&mut v).as_deref(), Some("Fix"));
    v.create_record("tasks", "roof").unwrap();
    assert_eq!(title(&mut v).as_deref(), Some("Fix"), "no-op: it is shown");
}

/// Deleted and restored in one commit: the history says neither. Restored
/// and deleted again in one commit reads as a delete (its last act).
#[wasm_bindgen_test(unsupported = test)]
fn deleted_and_restored_in_one_commit_is_neither_in_the_history() {
    let (mut a, _) = shared();
    a.delete_record("tasks", "roof").unwrap();
    a.restore_record("tasks", "roof").unwrap();
    a.commit(&id(A), 2).unwrap();
    assert_eq!(title(&mut a).as_deref(), Some("Fix"));
    let last = a.record_history("tasks", "roof").pop().unwrap();
    assert!(!last.restored && !last.deleted, "{last:?}");
}

#[wasm_bindgen_test(unsupported = test)]
fn restored_and_deleted_in_one_commit_is_a_delete_in_the_history() {
    let (mut a, _) = shared();
    a.delete_record("tasks", "roof").unwrap();
    a.commit(&id(A), 2).unwrap();
    a.restore_record("tasks", "roof").unwrap();
    a.delete_record("tasks", "roof").unwrap();
    a.commit(&id(A), 3).unwrap();
    assert_eq!(title(&mut a), None);
    let last = a.record_history("tasks", "roof").pop().unwrap();
    assert!(!last.restored && last.deleted, "{last:?}");
}

/// M (banned by V) overwrites the record's key with a scalar (a crafted
/// change the guard lets through). V sees Alice's deleted record, and
/// restores it.
#[wasm_bindgen_test(unsupported = test)]
fn a_banned_scalar_over_the_key_does_not_block_the_viewers_restore() {
    let (mut a, _) = shared();
    a.delete_record("tasks", "roof").unwrap();
    a.commit(&id(A), 2).unwrap();
    let mut m = node(4);
    deliver(&a, &mut m);
    m.create_record("tasks", "roof").unwrap(); // a map over the deleted one
    let signed = m.commit(&id(4), 3).unwrap();
    let crafted = with_op_rewritten(&signed[0], 4, "roof", |action| {
        *action = automerge::legacy::OpType::Put(automerge::ScalarValue::Str("x".into()));
    });
    let mut v = Replica::new(Policy::new(key(V)).banning(key(4)));
    deliver(&a, &mut v);
    v.insert(crafted).unwrap();
    assert!(v.document_errors().is_empty(), "the guard took it");
    assert_eq!(
        v.deleted_records("tasks"),
        ["roof"],
        "V sees Alice's deleted record"
    );
    let r = v.restore_record("tasks", "roof");
    assert!(r.is_ok(), "{r:?}");
}

/// Typing under a mask, deleting and restoring before one commit: what
/// was typed is in the record, for the viewer and for others.
#[wasm_bindgen_test(unsupported = test)]
fn typing_deleting_and_restoring_under_a_mask_before_a_commit() {
    let (mut a, mut b) = shared();
    b.delete_record("tasks", "roof").unwrap();
    b.commit(&id(B), 2).unwrap();
    let mut v = Replica::new(Policy::new(key(V)).banning(key(B)));
    deliver(&a, &mut v);
    deliver(&b, &mut v);
    v.splice_text("tasks", "roof", "title", 3, 0, "!").unwrap();
    v.delete_record("tasks", "roof").unwrap();
    assert_eq!(title(&mut v), None);
    v.restore_record("tasks", "roof").unwrap();
    assert_eq!(title(&mut v).as_deref(), Some("Fix!"));
    v.splice_text("tasks", "roof", "title", 4, 0, "?").unwrap();
    v.delete_record("tasks", "roof").unwrap();
    v.commit(&id(V), 1).unwrap();
    assert_eq!(title(&mut v), None);
    let mut w = Replica::new(Policy::new(key(V)).banning(key(B)));
    deliver(&v, &mut w);
    assert_eq!(
        v.collection("tasks").digest(),
        w.collection("tasks").digest()
    );
    w.restore_record("tasks", "roof").unwrap();
    assert_eq!(title(&mut w).as_deref(), Some("Fix!?"));
    deliver(&v, &mut a);
    a.restore_record("tasks", "roof").unwrap();
    assert_eq!(title(&mut a).as_deref(), Some("Fix!?"));
}

/// A field set by a viewer goes into the object they see.
#[wasm_bindgen_test(unsupported = test)]
fn edits_go_into_the_object_the_viewer_sees() {
    let mut a = node(A);
    a.create_record("tasks", "roof").unwrap();
    a.commit(&id(A), 1).unwrap();
    let mut m = node(4);
    for x in ["x1", "x2", "x3", "roof"] {
        m.create_record("tasks", x).unwrap();
    }
    m.commit(&id(4), 1).unwrap();
    let mut v = Replica::new(Policy::new(key(V)).banning(key(4)));
    deliver(&a, &mut v);
    deliver(&m, &mut v);
    v.set_field("tasks", "roof", "done", Scalar::Bool(true))
        .unwrap();
    assert!(
        v.record("tasks", "roof")
            .unwrap()
            .fields
            .contains_key("done"),
        "my edit shows"
    );
}

/// A banned author deletes and makes the record again (plain API calls):
/// whoever bans him sees the original, and deletes it.
#[wasm_bindgen_test(unsupported = test)]
fn a_record_a_banned_author_made_again_stays_deletable_for_those_who_ban_him() {
    let (a, _) = shared();
    let mut m = node(4);
    deliver(&a, &mut m);
    m.delete_record("tasks", "roof").unwrap();
    m.create_record("tasks", "roof").unwrap();
    m.commit(&id(4), 1).unwrap();
    let mut v = Replica::new(Policy::new(key(V)).banning(key(4)));
    deliver(&m, &mut v);
    assert_eq!(
        title(&mut v).as_deref(),
        Some("Fix"),
        "V sees Alice's record"
    );
    v.delete_record("tasks", "roof").unwrap();
    v.commit(&id(V), 1).unwrap();
    assert_eq!(title(&mut v), None, "deleted, as promised");
}

/// M restores Alice's delete, then deletes again. V bans M, sees Alice's
/// mark, and restores.
#[wasm_bindgen_test(unsupported = test)]
fn a_viewer_banning_a_restorer_who_deleted_again_restores() {
    let (mut a, _) = shared();
    a.delete_record("tasks", "roof").unwrap();
    a.commit(&id(A), 2).unwrap();
    let mut m = node(4);
    deliver(&a, &mut m);
    m.restore_record("tasks", "roof").unwrap();
    m.commit(&id(4), 1).unwrap();
    m.delete_record("tasks", "roof").unwrap();
    m.commit(&id(4), 2).unwrap();
    let mut v = Replica::new(Policy::new(key(V)).banning(key(4)));
    deliver(&m, &mut v);
    assert_eq!(v.deleted_records("tasks"), ["roof"]);
    v.restore_record("tasks", "roof").unwrap();
    v.commit(&id(V), 1).unwrap();
    assert_eq!(
        title(&mut v).as_deref(),
        Some("Fix"),
        "restored, as promised"
    );
}

//! Deleting a record keeps it, marked deleted: edits made to it while (or
//! after) it is deleted are kept, and restoring it shows them — nobody's
//! typing is lost to someone else's delete.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;

use common::roof::*;
use common::*;
use trustfold::{DocError, Error, Policy, Replica, Scalar};
use wasm_bindgen_test::wasm_bindgen_test;

#[wasm_bindgen_test(unsupported = test)]
fn typing_while_someone_deletes_the_record_is_kept_and_restoring_shows_it() {
    let (mut a, mut b) = shared();
    // Alice deletes while Bob, who has not seen it, types.
    a.delete_record("tasks", "roof").unwrap();
    a.commit(&id(A), 2).unwrap();
    b.splice_text("tasks", "roof", "title", 3, 0, " the roof")
        .unwrap();
    b.commit(&id(B), 2).unwrap();
    // Bob's keystrokes as the delete arrives are taken too.
    deliver(&a, &mut b);
    assert_eq!(title(&mut b), None, "deleted for Bob too");
    b.splice_text("tasks", "roof", "title", 12, 0, "!").unwrap();
    b.commit(&id(B), 3).unwrap();
    deliver(&b, &mut a);
    assert_eq!(title(&mut a), None);
    assert!(a.collection("tasks").records.is_empty());

    // Alice undoes: the record comes back with all Bob typed, for both.
    a.restore_record("tasks", "roof").unwrap();
    a.commit(&id(A), 4).unwrap();
    deliver(&a, &mut b);
    assert_eq!(title(&mut a).as_deref(), Some("Fix the roof!"));
    assert_eq!(title(&mut b).as_deref(), Some("Fix the roof!"));
    assert_eq!(
        a.collection("tasks").digest(),
        b.collection("tasks").digest()
    );

    // What Bob typed offline before he saw the restore lands in it too.
    let mut offline = node(B);
    deliver(&b, &mut offline);
    offline
        .splice_text("tasks", "roof", "title", 0, 0, "Please: ")
        .unwrap();
    offline.commit(&id(B), 5).unwrap();
    deliver(&offline, &mut a);
    assert_eq!(title(&mut a).as_deref(), Some("Please: Fix the roof!"));
}

#[wasm_bindgen_test(unsupported = test)]
fn same_state_in_any_arrival_order_and_under_a_ban() {
    // Bob deletes Alice's record while she marks it done.
    let (mut a, mut b) = shared();
    b.delete_record("tasks", "roof").unwrap();
    b.commit(&id(B), 2).unwrap();
    a.set_field("tasks", "roof", "done", Scalar::Bool(true))
        .unwrap();
    a.commit(&id(A), 2).unwrap();
    let mut v = node(V);
    deliver(&a, &mut v);
    deliver(&b, &mut v);
    let mut w = node(V);
    let mut events: Vec<_> = a.log().topological().cloned().collect();
    events.extend(b.log().topological().cloned());
    for e in events.iter().rev() {
        w.insert(e.clone()).unwrap(); // newest first: everything waits for its parents
    }
    assert_eq!(
        v.collection("tasks").digest(),
        w.collection("tasks").digest()
    );
    assert!(v.record("tasks", "roof").is_none());
    // Banning the one who deleted shows the record, with Alice's edit;
    // banning the one who made it leaves nothing of it; the masked reading
    // agrees with the direct one once nothing is masked.
    v.set_policy(Policy::new(key(V)).banning(key(B)));
    let shown = v
        .record("tasks", "roof")
        .expect("his delete does not count");
    assert_eq!(
        shown.fields.keys().collect::<Vec<_>>(),
        ["done", "title"],
        "no mark among the fields"
    );
    v.set_policy(Policy::new(key(V)).banning(key(A)));
    assert!(v.record("tasks", "roof").is_none());
    v.set_policy(Policy::new(key(V)));
    assert_eq!(
        v.collection("tasks").digest(),
        w.collection("tasks").digest()
    );
    // Masking someone else's edit (the masked reading, not Automerge's)
    // still leaves the deleted record out.
    let mut m = node(4);
    deliver(&v, &mut m);
    m.create_record("tasks", "other").unwrap();
    m.commit(&id(4), 3).unwrap();
    deliver(&m, &mut v);
    v.set_policy(Policy::new(key(V)).banning(key(4)));
    assert!(v.collection("tasks").records.is_empty());
}

#[wasm_bindgen_test(unsupported = test)]
fn the_history_says_deleted_and_restored_and_the_mark_is_no_field() {
    let (mut a, _) = shared();
    a.delete_record("tasks", "roof").unwrap();
    a.commit(&id(A), 2).unwrap();
    a.restore_record("tasks", "roof").unwrap();
    a.commit(&id(A), 3).unwrap();
    let history: Vec<_> = a
        .record_history("tasks", "roof")
        .into_iter()
        .map(|e| (e.made, e.deleted, e.restored, e.fields))
        .collect();
    assert_eq!(
        history,
        [
            (true, false, false, vec!["title".to_owned()]),
            (false, true, false, vec![]),
            (false, false, true, vec![]),
        ]
    );
    let record = a.record("tasks", "roof").unwrap();
    assert_eq!(record.fields.keys().collect::<Vec<_>>(), ["title"]);
    // The mark's name is no field's.
    let reserved = trustfold::doc::DELETED_FIELD;
    for result in [
        a.set_field("tasks", "roof", reserved, Scalar::Bool(false)),
        a.delete_field("tasks", "roof", reserved),
        a.set_text("tasks", "roof", reserved, "x"),
    ] {
        assert!(matches!(
            result,
            Err(Error::Doc(DocError::ReservedField(_)))
        ));
    }
    // Restoring a record that is shown, or none, is refused.
    assert!(matches!(
        a.restore_record("tasks", "roof"),
        Err(Error::Doc(DocError::NotDeleted(_)))
    ));
    assert!(matches!(
        a.restore_record("tasks", "nothing"),
        Err(Error::Doc(DocError::NoRecord(_)))
    ));
}

#[wasm_bindgen_test(unsupported = test)]
fn making_a_deleted_record_again_makes_it_empty() {
    let (mut a, _) = shared();
    a.delete_record("tasks", "roof").unwrap();
    a.commit(&id(A), 2).unwrap();
    assert!(matches!(
        a.delete_record("tasks", "roof"),
        Err(Error::Doc(DocError::NoRecord(_)))
    ));
    // Bob makes it again: a new record of his own (what a name claim
    // relies on: his record read as his changes alone).
    let mut b = node(B);
    deliver(&a, &mut b);
    b.create_record("tasks", "roof").unwrap();
    b.set_field("tasks", "roof", "done", Scalar::Bool(false))
        .unwrap();
    b.commit(&id(B), 3).unwrap();
    let fields: Vec<String> = b
        .record("tasks", "roof")
        .unwrap()
        .fields
        .into_keys()
        .collect();
    assert_eq!(fields, ["done"], "empty of the deleted one's fields");
    assert!(b.record_by("tasks", "roof", &key(B)).is_some());
    assert!(matches!(
        b.restore_record("tasks", "roof"),
        Err(Error::Doc(DocError::NotDeleted(_)))
    ));
}

/// A name claim needs the claimant's own record object: someone who made a
/// record under my key first must not keep my name out of my hands (the
/// page deletes theirs and makes mine). An attacker's review found the
/// first version of deletes-as-marks reusing the squatter's object.
#[wasm_bindgen_test(unsupported = test)]
fn a_record_someone_made_under_my_key_is_replaced_by_my_own() {
    let me = key(A).to_hex();
    let mut m = node(4);
    m.create_record("people", &me).unwrap();
    m.set_field("people", &me, "name", Scalar::Str("Squatter".into()))
        .unwrap();
    m.commit(&id(4), 1).unwrap();
    let mut a = node(A);
    deliver(&m, &mut a);
    assert!(a.record_by("people", &me, &key(A)).is_none());
    a.delete_record("people", &me).unwrap();
    a.create_record("people", &me).unwrap();
    a.set_field("people", &me, "name", Scalar::Str("Alice".into()))
        .unwrap();
    a.commit(&id(A), 2).unwrap();
    let mut v = node(V);
    deliver(&a, &mut v);
    assert!(
        v.record_by("people", &me, &key(A)).is_some(),
        "Alice's name is hers"
    );
}

/// A change that writes anything but `true` over the mark (which the
/// page never does, but an author can) shows the record again, and the
/// history says so rather than naming nothing.
#[wasm_bindgen_test(unsupported = test)]
fn a_restore_written_another_way_is_named_in_the_history() {
    let (mut a, _) = shared();
    a.delete_record("tasks", "roof").unwrap();
    a.commit(&id(A), 2).unwrap();
    let mut c = node(V);
    deliver(&a, &mut c);
    c.restore_record("tasks", "roof").unwrap();
    let signed = c.commit(&id(V), 3).unwrap();
    let crafted = with_op_rewritten(&signed[0], V, trustfold::doc::DELETED_FIELD, |action| {
        *action = automerge::legacy::OpType::Put(automerge::ScalarValue::Str("no".into()));
    });
    a.insert(crafted).unwrap();
    assert!(a.record("tasks", "roof").is_some(), "shown again");
    let last = a.record_history("tasks", "roof").pop().unwrap();
    assert!(last.restored && last.fields.is_empty(), "{last:?}");
}

/// Everyone, not only the one who deleted it, can find a deleted record
/// and bring it back, after a reload too: the deleted records a viewer
/// does not see are listed.
#[wasm_bindgen_test(unsupported = test)]
fn deleted_records_are_listed_for_everyone_until_restored() {
    let (mut a, mut b) = shared();
    a.create_record("tasks", "door").unwrap();
    a.commit(&id(A), 2).unwrap();
    assert!(a.deleted_records("tasks").is_empty());
    a.delete_record("tasks", "roof").unwrap();
    a.delete_record("tasks", "door").unwrap();
    a.commit(&id(A), 3).unwrap();
    deliver(&a, &mut b);
    assert_eq!(b.deleted_records("tasks"), ["door", "roof"]);
    assert!(b.deleted_records("nowhere").is_empty());
    // A viewer who bans Alice sees her deletes as not made: nothing to restore.
    let mut v = Replica::new(Policy::new(key(V)).banning(key(A)));
    deliver(&a, &mut v);
    assert!(v.deleted_records("tasks").is_empty());
    // Masking someone else's edit (the masked reading) lists the same.
    let mut m = node(4);
    deliver(&a, &mut m);
    m.create_record("tasks", "other").unwrap();
    m.commit(&id(4), 3).unwrap();
    let mut w = Replica::new(Policy::new(key(V)).banning(key(4)));
    deliver(&m, &mut w);
    assert_eq!(w.deleted_records("tasks"), ["door", "roof"]);
    // Bob restores one; Alice sees it back.
    b.restore_record("tasks", "roof").unwrap();
    b.commit(&id(B), 4).unwrap();
    deliver(&b, &mut a);
    assert_eq!(a.deleted_records("tasks"), ["door"]);
    assert_eq!(title(&mut a).as_deref(), Some("Fix"));
}

/// Delete and restore go by what the person sees. Someone who bans the
/// one who deleted a record still sees it, and can delete it in their own
/// name; someone who bans the one who brought it back sees it deleted, and
/// can bring it back themselves. Before, both were refused: delete and
/// restore read Automerge's reading, in which the banned author's mark
/// counts.
#[wasm_bindgen_test(unsupported = test)]
fn delete_and_restore_go_by_what_the_viewer_sees() {
    let (mut a, mut b) = shared();
    b.delete_record("tasks", "roof").unwrap();
    b.commit(&id(B), 2).unwrap();
    let mut v = Replica::new(Policy::new(key(V)).banning(key(B)));
    deliver(&a, &mut v);
    deliver(&b, &mut v);
    assert_eq!(
        title(&mut v).as_deref(),
        Some("Fix"),
        "Bob's delete does not count"
    );
    assert!(matches!(
        v.restore_record("tasks", "roof"),
        Err(Error::Doc(DocError::NotDeleted(_)))
    ));
    v.delete_record("tasks", "roof").unwrap();
    v.commit(&id(V), 1).unwrap();
    assert_eq!(title(&mut v), None, "deleted in my own name");
    assert_eq!(v.deleted_records("tasks"), ["roof"]);
    let last = v.record_history("tasks", "roof").pop().unwrap();
    assert!(last.deleted && !last.restored, "{last:?}");
    // Alice, who bans nobody, has it deleted too; her restore undoes both.
    deliver(&b, &mut a);
    deliver(&v, &mut a);
    assert_eq!(title(&mut a), None);
    a.restore_record("tasks", "roof").unwrap();
    a.commit(&id(A), 3).unwrap();
    assert_eq!(title(&mut a).as_deref(), Some("Fix"));
    deliver(&a, &mut v);
    assert_eq!(title(&mut v).as_deref(), Some("Fix"));

    // Carol deletes it again and Rita brings it back: a viewer who bans
    // Rita sees it deleted, and can bring it back.
    let mut c = node(5);
    deliver(&a, &mut c);
    c.delete_record("tasks", "roof").unwrap();
    c.commit(&id(5), 1).unwrap();
    let mut r = node(6);
    deliver(&c, &mut r);
    r.restore_record("tasks", "roof").unwrap();
    r.commit(&id(6), 1).unwrap();
    let mut w = Replica::new(Policy::new(key(4)).banning(key(6)));
    deliver(&r, &mut w);
    assert_eq!(title(&mut w), None, "Rita's restore does not count");
    assert_eq!(w.deleted_records("tasks"), ["roof"]);
    assert!(matches!(
        w.delete_record("tasks", "roof"),
        Err(Error::Doc(DocError::NoRecord(_)))
    ));
    w.restore_record("tasks", "roof").unwrap();
    w.commit(&id(4), 1).unwrap();
    assert_eq!(title(&mut w).as_deref(), Some("Fix"), "back in my own name");
    assert!(w.deleted_records("tasks").is_empty());
    let last = w.record_history("tasks", "roof").pop().unwrap();
    assert!(last.restored && !last.deleted, "{last:?}");
    // Everyone else has it shown as well, in any order.
    let mut x = node(7);
    deliver(&w, &mut x);
    assert_eq!(title(&mut x).as_deref(), Some("Fix"));
}

/// When someone the viewer bans made a deleted record again, the viewer
/// still sees the first one (deleted): restoring and deleting act on that
/// one, not on the banned author's, which the viewer does not see.
#[wasm_bindgen_test(unsupported = test)]
fn delete_and_restore_act_on_the_record_the_viewer_sees() {
    let (mut a, mut b) = shared();
    b.delete_record("tasks", "roof").unwrap();
    b.commit(&id(B), 2).unwrap();
    let mut m = node(4);
    deliver(&b, &mut m);
    m.create_record("tasks", "roof").unwrap();
    m.set_text("tasks", "roof", "title", "Mine now").unwrap();
    m.commit(&id(4), 1).unwrap();
    let mut v = Replica::new(Policy::new(key(V)).banning(key(4)));
    deliver(&m, &mut v);
    assert_eq!(title(&mut v), None, "Bob's delete of Alice's record");
    assert_eq!(v.deleted_records("tasks"), ["roof"]);
    v.restore_record("tasks", "roof").unwrap();
    assert_eq!(
        title(&mut v).as_deref(),
        Some("Fix"),
        "Alice's record, back"
    );
    v.commit(&id(V), 1).unwrap();
    assert_eq!(title(&mut v).as_deref(), Some("Fix"));
    v.delete_record("tasks", "roof").unwrap();
    assert_eq!(title(&mut v), None);
    v.commit(&id(V), 2).unwrap();
    assert_eq!(v.deleted_records("tasks"), ["roof"]);
    // Banning Bob too, the viewer sees Alice's record shown, and edits it.
    v.set_policy(Policy::new(key(V)).banning(key(4)).banning(key(B)));
    v.restore_record("tasks", "roof").unwrap();
    v.set_field("tasks", "roof", "done", Scalar::Bool(true))
        .unwrap();
    v.set_text("tasks", "roof", "title", "Fixed").unwrap();
    v.commit(&id(V), 3).unwrap();
    let record = v.record("tasks", "roof").expect("shown");
    assert_eq!(record.fields.keys().collect::<Vec<_>>(), ["done", "title"]);
    assert_eq!(title(&mut v).as_deref(), Some("Fixed"));
    v.delete_field("tasks", "roof", "done").unwrap();
    assert_eq!(v.record("tasks", "roof").unwrap().fields.len(), 1);
    // For those who do not ban Mallory, her record stays as it was.
    deliver(&v, &mut a);
    deliver(&m, &mut a);
    assert_eq!(title(&mut a).as_deref(), Some("Mine now"));
}

/// Making a deleted record again, empty, in place: what Bob typed into it
/// offline, not having seen the delete nor the making again, lands in the
/// new one — where making it as a new object (`create_record`) loses it.
#[wasm_bindgen_test(unsupported = test)]
fn a_record_made_again_in_place_keeps_what_was_typed_into_it_unseen() {
    let (mut a, mut b) = shared();
    a.set_field("tasks", "roof", "done", Scalar::Bool(false))
        .unwrap();
    a.commit(&id(A), 2).unwrap();
    deliver(&a, &mut b);
    let mut lost = node(A);
    deliver(&a, &mut lost);
    a.delete_record("tasks", "roof").unwrap();
    a.commit(&id(A), 3).unwrap();
    // Bob, offline, types on and ticks it done.
    b.splice_text("tasks", "roof", "title", 3, 0, " the roof")
        .unwrap();
    b.set_field("tasks", "roof", "done", Scalar::Bool(true))
        .unwrap();
    b.commit(&id(B), 2).unwrap();
    // Alice makes "roof" again, empty.
    assert!(matches!(
        a.create_record_again("tasks", "nothing"),
        Err(Error::Doc(DocError::NoRecord(_)))
    ));
    a.create_record_again("tasks", "roof").unwrap();
    assert!(matches!(
        a.create_record_again("tasks", "roof"),
        Err(Error::Doc(DocError::NotDeleted(_)))
    ));
    a.commit(&id(A), 4).unwrap();
    assert_eq!(title(&mut a).as_deref(), Some(""), "empty");
    assert!(
        !a.record("tasks", "roof")
            .unwrap()
            .fields
            .contains_key("done")
    );
    a.splice_text("tasks", "roof", "title", 0, 0, "Paint")
        .unwrap();
    a.commit(&id(A), 5).unwrap();
    // Bob comes back: his words and his tick are in it, for both.
    deliver(&b, &mut a);
    deliver(&a, &mut b);
    assert_eq!(title(&mut a).as_deref(), Some("Paint the roof"));
    assert_eq!(
        a.record("tasks", "roof").unwrap().fields["done"].value,
        trustfold::doc::Value::Scalar(Scalar::Bool(true))
    );
    assert_eq!(
        a.collection("tasks").digest(),
        b.collection("tasks").digest()
    );
    // Made again as a new object, Bob's words are not in it.
    lost.delete_record("tasks", "roof").unwrap();
    lost.create_record("tasks", "roof").unwrap();
    lost.commit(&id(A), 3).unwrap();
    deliver(&b, &mut lost);
    assert_eq!(title(&mut lost), Some(String::new()), "no title at all");
    assert!(lost.record("tasks", "roof").unwrap().fields.is_empty());
}

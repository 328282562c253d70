//! The record the deletes tests share: Alice's "roof" in "tasks", titled
//! "Fix", held by Alice (1) and Bob (2).

use super::{deliver, id, node};
use trustfold::event::Draft;
use trustfold::{Body, Event, Replica};

/// Alice.
pub const A: u8 = 1;
/// Bob.
pub const B: u8 = 2;
/// A viewer.
pub const V: u8 = 3;

/// The title of "roof" as `node` sees it: `None` when it is not shown,
/// `Some("")` when it is shown without one.
pub fn title(node: &mut Replica) -> Option<String> {
    node.record("tasks", "roof")
        .map(|r| r.text("title").map(str::to_owned).unwrap_or_default())
}

/// Alice and Bob both hold "roof" with the title "Fix".
pub fn shared() -> (Replica, Replica) {
    let mut a = node(A);
    a.create_record("tasks", "roof").unwrap();
    a.set_text("tasks", "roof", "title", "Fix").unwrap();
    a.commit(&id(A), 1).unwrap();
    let mut b = node(B);
    deliver(&a, &mut b);
    (a, b)
}

/// `signed` (a `Doc` event by `id(who)`) signed again with its change's
/// op on `key` rewritten by `rewrite`: a change the page never makes but
/// an author can.
pub fn with_op_rewritten(
    signed: &Event,
    who: u8,
    key: &str,
    rewrite: impl FnOnce(&mut automerge::legacy::OpType),
) -> Event {
    let Body::Doc { doc, change } = signed.body() else {
        panic!("a document edit")
    };
    let mut expanded = automerge::Change::from_bytes(change.clone())
        .unwrap()
        .decode();
    let op = expanded
        .operations
        .iter_mut()
        .find(|op| matches!(&op.key, automerge::legacy::Key::Map(k) if k.as_str() == key))
        .expect("an op on that key");
    rewrite(&mut op.action);
    expanded.hash = None;
    id(who).sign(Draft {
        seq: signed.seq(),
        parents: signed.parents().to_vec(),
        time: signed.time(),
        body: Body::Doc {
            doc: *doc,
            change: automerge::Change::from(expanded).bytes().into_owned(),
        },
    })
}

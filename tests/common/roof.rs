//! The record the deletes tests share: Alice's "roof" in "tasks", titled
//! "Fix", held by Alice (1) and Bob (2).

use super::{deliver, id, node};
use trustfold::Replica;

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

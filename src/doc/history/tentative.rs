//! Typing into a masked view without closing Automerge's transaction.
//!
//! Reading the op history needs every op as a decoded change, and only a
//! committed change can be decoded: if each masked keystroke were committed
//! so the next one could be mapped, each would become its own change and,
//! at publication, its own signed event. Instead the history takes in the
//! ops a masked splice makes in the open transaction, written the way
//! Automerge writes them for a text splice — one delete op per character
//! deleted (its predecessors the character's visible ops), then one insert
//! op per character inserted, each after the one before, their counters
//! continuing from the highest op the history holds — under a placeholder
//! change nobody can mask (the owner's own edits). When the transaction is
//! committed, [`History::extend`] drops these ops and reads the real change.
//!
//! The document checks that Automerge made exactly as many ops as were
//! typed here and committed nothing meanwhile; otherwise it drops them and
//! commits (`Doc::sync_history`). The differential property test holds the
//! masked view typed ahead equal to one committed keystroke by keystroke.

use super::{Action, History, Key, Op, OpId, SplicePlan};
use automerge::{ActorId, ChangeHash, ScalarValue};

/// Where the ops typed ahead of a commit begin.
#[derive(Clone, Debug)]
pub(super) struct Mark {
    pub(super) changes: usize,
    pub(super) ops: usize,
    max_counter: u64,
    /// The object of each op typed ahead, in order (an op does not keep it).
    objs: Vec<OpId>,
}

/// The change the typed-ahead ops belong to: no event carries it, so no
/// policy masks it.
const TYPED_AHEAD: ChangeHash = ChangeHash([0; 32]);

impl History {
    /// Takes in the ops Automerge made in its open transaction for `plan`
    /// and `insert`, typed by `actor`: as many ops as
    /// [`SplicePlan::ops`] counts. Returns the id the first character
    /// inserted got (the others follow it, one counter apart).
    pub(crate) fn type_tentatively(
        &mut self,
        actor: &ActorId,
        plan: &SplicePlan,
        insert: &str,
    ) -> OpId {
        self.generation += 1;
        let mut mark = match self.tentative.take() {
            Some(mark) => mark,
            None => {
                let mark = Mark {
                    changes: self.changes.len(),
                    ops: self.ops.len(),
                    max_counter: self.max_counter,
                    objs: Vec::new(),
                };
                self.changes.push(TYPED_AHEAD);
                mark
            }
        };
        let change = mark.changes as u32;
        let actor = self.actor(actor);
        // Each op's counter is one above the highest held, as Automerge's.
        let next = |history: &History| OpId {
            counter: history.max_counter + 1,
            actor,
        };
        for (element, pred) in &plan.targets {
            let op = Op {
                id: next(self),
                key: Key::Elem(*element),
                pred: pred.clone(),
                action: Action::Delete,
                insert: false,
                change,
            };
            self.push_op(plan.obj, op);
            mark.objs.push(plan.obj);
        }
        let mut reference = plan.reference;
        let first = next(self);
        for character in insert.chars() {
            let id = next(self);
            let op = Op {
                id,
                key: Key::Elem(reference),
                pred: Vec::new(),
                action: Action::Put(ScalarValue::Str(character.to_string().into())),
                insert: true,
                change,
            };
            self.push_op(plan.obj, op);
            mark.objs.push(plan.obj);
            reference = id;
        }
        self.tentative = Some(mark);
        first
    }

    /// Forgets the ops typed ahead of a commit, newest first.
    pub(crate) fn drop_tentative(&mut self) {
        let Some(mut mark) = self.tentative.take() else {
            return;
        };
        self.generation += 1;
        while self.ops.len() > mark.ops {
            let (Some(op), Some(obj)) = (self.ops.pop(), mark.objs.pop()) else {
                break;
            };
            self.by_id.remove(&op.id);
            let Some(object) = self.objects.get_mut(&obj) else {
                continue;
            };
            object.ops.pop();
            if let (true, Key::Elem(reference)) = (op.insert, op.key)
                && let Some(siblings) = object.children.get_mut(&reference)
            {
                siblings.retain(|s| *s != op.id);
                if siblings.is_empty() {
                    object.children.remove(&reference);
                }
            }
        }
        self.changes.truncate(mark.changes);
        self.max_counter = mark.max_counter;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::{AutoCommit, ObjType, TextEncoding, transaction::Transactable};

    /// Everything the history holds, in an order that does not depend on
    /// hashing.
    fn shape(history: &History) -> String {
        let mut by_id: Vec<_> = history.by_id.iter().collect();
        by_id.sort_by_key(|(id, ix)| (id.counter, id.actor, **ix));
        let mut objects: Vec<String> = history
            .objects
            .iter()
            .map(|(id, object)| {
                let mut children: Vec<_> = object.children.iter().collect();
                children.sort_by_key(|(e, _)| (e.counter, e.actor));
                format!("{id:?} {:?} {:?} {children:?}", object.kind, object.ops)
            })
            .collect();
        objects.sort();
        // Change hashes left out: the typed-ahead ops have a placeholder.
        format!(
            "{}\n{:?}\n{by_id:?}\n{objects:?}\n{}",
            history.changes.len(),
            history.ops,
            history.max_counter
        )
    }

    /// The ops typed ahead are those Automerge commits, and dropping them
    /// restores the history as it was.
    #[test]
    fn typed_ahead_ops_are_the_committed_ones() {
        let mut doc = AutoCommit::new_with_encoding(TextEncoding::Utf16CodeUnit);
        let record = doc
            .put_object(automerge::ROOT, "r", ObjType::Map)
            .expect("record");
        let text = doc.put_object(&record, "t", ObjType::Text).expect("text");
        doc.splice_text(&text, 0, 0, "ab😀c").expect("splice");
        doc.commit();
        // (`get_heads` would close the transaction: taken before it opens.)
        let heads = doc.get_heads();
        let mut history = History::default();
        history.extend(&doc.get_changes(&[]));
        let before = shape(&history);
        let index = |history: &History| {
            let all = history.reduce(|_| false);
            history.text_index(&all, "r", "t").expect("text")
        };
        let seen = |history: &History| {
            let collection = history.collection(|_| false);
            match &collection.records["r"].fields["t"].value {
                crate::doc::Value::Text(text) => text.clone(),
                other => panic!("not a text: {other:?}"),
            }
        };
        // Delete the emoji, then type "XY" after "a": two splices.
        let plan = index(&history).plan(2, 2).expect("plan");
        assert_eq!((plan.at, plan.deletes.as_slice()), (2, &[(2, 4)][..]));
        doc.splice_text(&text, 2, 2, "").expect("delete");
        history.type_tentatively(doc.get_actor(), &plan, "");
        let plan = index(&history).plan(1, 0).expect("plan");
        assert_eq!((plan.at, plan.deletes.as_slice()), (1, &[][..]));
        doc.splice_text(&text, 1, 0, "XY").expect("insert");
        history.type_tentatively(doc.get_actor(), &plan, "XY");
        assert_eq!(doc.pending_ops(), 3);
        assert_eq!(seen(&history), "aXYbc");
        let typed_ahead = shape(&history);

        history.drop_tentative();
        assert_eq!(shape(&history), before);
        assert_eq!(seen(&history), "ab😀c");

        doc.commit();
        history.extend(&doc.get_changes(&heads));
        assert_eq!(typed_ahead, shape(&history));
    }
}

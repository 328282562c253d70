//! The op history of one document, and its reduction under a mask.
//!
//! This is how a viewer's policy reaches into a document (DESIGN.md §4).
//! Every change's ops are decoded once (`Change::decode`) into a table; a
//! view is a pure function of that table and the set of masked changes:
//!
//! * a masked op counts as absent;
//! * a value op (put or make) is visible when it is unmasked and no unmasked
//!   op supersedes it; superseding passes *through* masked ops, so an honest
//!   overwrite of a banned author's overwrite still wins, while an overwrite
//!   or deletion by a banned author alone is undone;
//! * sequence order comes from the insert tree (each insert hangs after its
//!   reference element; siblings by op id, highest first), walked
//!   iteratively, with masked elements still anchoring their children;
//! * a map key shows the visible value with the highest op id and keeps the
//!   others as conflicts;
//! * an object exists when the op that made it is visible: everything inside
//!   an object a masked change created goes with it (the accepted limit).
//!
//! With nothing masked the result equals automerge's own state; the tests
//! hold it to that.

use super::DELETED_FIELD;
use super::value::{Collection, Field, Record, Scalar, Value};
use automerge::legacy::{self as am, ElementId, Key as AmKey, ObjectId, OpType};
use automerge::{ActorId, Change, ChangeHash, ObjType, ScalarValue};
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

mod tentative;
mod text_index;
pub(crate) use text_index::{PlanError, SplicePlan, TextIndex};

/// An op id with the actor interned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct OpId {
    counter: u64,
    actor: u32,
}

/// The root object, and the head of every sequence.
const ROOT: OpId = OpId {
    counter: 0,
    actor: u32::MAX,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Key {
    /// A map key (interned).
    Prop(u32),
    /// A sequence element (or [`ROOT`] for the head).
    Elem(OpId),
}

#[derive(Clone, Debug, PartialEq)]
enum Action {
    Make(ObjType),
    Put(ScalarValue),
    Delete,
    /// Increments and marks: they neither hold nor replace a value.
    Inert,
}

#[derive(Clone, Debug, PartialEq)]
struct Op {
    id: OpId,
    /// Map key, or for a sequence: the element targeted (the reference
    /// element for an insert).
    key: Key,
    pred: Vec<OpId>,
    action: Action,
    insert: bool,
    change: u32,
}

/// What one change did to a record ([`History::record_edits`]).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct RecordTouch {
    /// It made the record.
    pub(crate) made: bool,
    /// It deleted the record.
    pub(crate) deleted: bool,
    /// It restored the record after a delete.
    pub(crate) restored: bool,
    /// The fields it set, deleted or typed into.
    pub(crate) fields: std::collections::BTreeSet<String>,
}

/// The decoded op history of one document. See the [module docs](self).
#[derive(Clone, Debug, Default)]
pub(crate) struct History {
    actors: Vec<ActorId>,
    actor_index: FxHashMap<ActorId, u32>,
    props: Vec<String>,
    prop_index: FxHashMap<String, u32>,
    changes: Vec<ChangeHash>,
    ops: Vec<Op>,
    by_id: FxHashMap<OpId, u32>,
    /// Per object: the ops on it, and for sequences the insert tree.
    objects: FxHashMap<OpId, Object>,
    /// The highest op counter held: the next change starts above it.
    max_counter: u64,
    /// Where the ops typed ahead of a commit begin ([`tentative`]).
    tentative: Option<tentative::Mark>,
    /// Changes whenever what the history holds changes (a cache key).
    generation: u64,
}

#[derive(Clone, Debug, Default)]
struct Object {
    kind: Option<ObjType>,
    ops: Vec<u32>,
    /// Sequence only: reference element → inserted elements, highest id first.
    children: FxHashMap<OpId, Vec<OpId>>,
}

impl History {
    /// automerge's textual id of an object (`counter@actorhex`).
    pub(crate) fn object_name(&self, obj: OpId) -> String {
        format!("{}@{}", obj.counter, self.actors[obj.actor as usize])
    }

    /// Adds changes (in any causal order the document accepted them). Ops
    /// typed ahead of a commit are dropped first: the change that commits
    /// them carries them.
    pub(crate) fn extend(&mut self, changes: &[Change]) {
        let typed_ahead = self.tentative.as_ref().map(|mark| {
            let ops = self.ops[mark.ops..].to_vec();
            (self.generation, mark.changes, mark.ops, ops)
        });
        self.drop_tentative();
        self.generation += 1;
        for change in changes {
            let expanded = change.decode();
            let change_ix = self.changes.len() as u32;
            self.changes.push(change.hash());
            let actor = self.actor(&expanded.actor_id);
            let start = expanded.start_op.get();
            for (i, op) in expanded.operations.iter().enumerate() {
                let id = OpId {
                    counter: start + i as u64,
                    actor,
                };
                self.push(id, op, change_ix);
            }
        }
        // The change committing what was typed ahead, and nothing else:
        // the history holds what it held (a cache of it stays good).
        if let Some((generation, changes, start, ops)) = typed_ahead
            && self.changes.len() == changes + 1
            && self.ops.len() == start + ops.len()
            && self.ops[start..] == ops[..]
        {
            self.generation = generation;
        }
    }

    /// Changes whenever what the history holds changes: ops typed ahead,
    /// dropped or committed as other ops than typed, changes taken in.
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    fn actor(&mut self, actor: &ActorId) -> u32 {
        if let Some(&ix) = self.actor_index.get(actor) {
            return ix;
        }
        let ix = self.actors.len() as u32;
        self.actors.push(actor.clone());
        self.actor_index.insert(actor.clone(), ix);
        ix
    }

    fn op_id(&mut self, id: &am::OpId) -> OpId {
        OpId {
            counter: id.counter(),
            actor: self.actor(id.actor()),
        }
    }

    fn push(&mut self, id: OpId, op: &am::Op, change: u32) {
        let obj = match &op.obj {
            ObjectId::Root => ROOT,
            ObjectId::Id(o) => self.op_id(o),
        };
        let key = match &op.key {
            AmKey::Map(prop) => {
                let next = self.props.len() as u32;
                let ix = *self.prop_index.entry(prop.to_string()).or_insert(next);
                if ix == next {
                    self.props.push(prop.to_string());
                }
                Key::Prop(ix)
            }
            AmKey::Seq(ElementId::Head) => Key::Elem(ROOT),
            AmKey::Seq(ElementId::Id(e)) => Key::Elem(self.op_id(e)),
        };
        let pred = op.pred.iter().map(|p| self.op_id(p)).collect();
        let action = match &op.action {
            OpType::Make(kind) => Action::Make(*kind),
            OpType::Put(value) => Action::Put(value.clone()),
            OpType::Delete => Action::Delete,
            OpType::Increment(_) | OpType::MarkBegin(_) | OpType::MarkEnd(_) => Action::Inert,
        };
        self.push_op(
            obj,
            Op {
                id,
                key,
                pred,
                action,
                insert: op.insert,
                change,
            },
        );
    }

    /// Adds one op on object `obj` (after every op already held).
    fn push_op(&mut self, obj: OpId, op: Op) {
        let Op {
            id, key, insert, ..
        } = op;
        if let Action::Make(kind) = op.action {
            self.objects.entry(id).or_default().kind = Some(kind);
        }
        let ix = self.ops.len() as u32;
        if let (true, Key::Elem(reference)) = (insert, key) {
            let siblings = self
                .objects
                .entry(obj)
                .or_default()
                .children
                .entry(reference)
                .or_default();
            let actors = &self.actors;
            let at = siblings
                .binary_search_by(|s| op_order(actors, s, &id))
                .unwrap_or_else(|at| at);
            siblings.insert(at, id);
        }
        self.objects.entry(obj).or_default().ops.push(ix);
        self.by_id.insert(id, ix);
        self.max_counter = self.max_counter.max(id.counter);
        self.ops.push(op);
    }

    /// The names of every record the document ever held (made, edited or
    /// deleted), sorted: the keys of its root map.
    pub(crate) fn record_names(&self) -> Vec<String> {
        let mut props: Vec<u32> = self
            .objects
            .get(&ROOT)
            .into_iter()
            .flat_map(|o| o.ops.iter())
            .filter_map(|&ix| match self.ops[ix as usize].key {
                Key::Prop(prop) => Some(prop),
                Key::Elem(_) => None,
            })
            .collect();
        props.sort_unstable();
        props.dedup();
        let mut names: Vec<String> = props
            .into_iter()
            .map(|p| self.props[p as usize].clone())
            .collect();
        names.sort();
        names
    }

    /// The changes that touched `record`, in the order the history took
    /// them in: whether each made the record, deleted it, and which fields
    /// it set, deleted or typed into (sorted).
    pub(crate) fn record_edits(&self, record: &str) -> Vec<(ChangeHash, RecordTouch)> {
        let mut touched: BTreeMap<u32, RecordTouch> = BTreeMap::new();
        let Some(&prop) = self.prop_index.get(record) else {
            return Vec::new();
        };
        let ops_of = |obj: OpId| {
            self.objects
                .get(&obj)
                .into_iter()
                .flat_map(|o| o.ops.iter().map(|&ix| &self.ops[ix as usize]))
        };
        let mut records = Vec::new();
        // Per change: whether its first and its last op on the mark put
        // `true`.
        let mut marks_of: BTreeMap<u32, (bool, bool)> = BTreeMap::new();
        for op in ops_of(ROOT).filter(|op| op.key == Key::Prop(prop)) {
            let touch = touched.entry(op.change).or_default();
            match op.action {
                Action::Make(ObjType::Map) => {
                    touch.made = true;
                    records.push(op.id);
                }
                Action::Delete => touch.deleted = true,
                _ => {}
            }
        }
        for obj in records {
            for op in ops_of(obj) {
                let Key::Prop(field) = op.key else { continue };
                let name = &self.props[field as usize];
                if name == DELETED_FIELD {
                    // Anything but `true` over the mark shows the record
                    // again (reads count only `true`): a restore, however
                    // it was written.
                    let marks = match op.action {
                        Action::Put(ScalarValue::Boolean(true)) => true,
                        Action::Inert => continue,
                        _ => false,
                    };
                    marks_of.entry(op.change).or_insert((marks, marks)).1 = marks;
                    continue;
                }
                touched
                    .entry(op.change)
                    .or_default()
                    .fields
                    .insert(name.clone());
                if let Action::Make(ObjType::Text) = op.action {
                    for edit in ops_of(op.id) {
                        touched
                            .entry(edit.change)
                            .or_default()
                            .fields
                            .insert(name.clone());
                    }
                }
            }
        }
        // A change's last op on the mark says what it did (a delete over a
        // mark the deleter masks puts `false`, then `true`), unless it
        // undoes the change's own first (deleted and restored in one
        // commit: nothing).
        for (change, (first, last)) in marks_of {
            let touch = touched.entry(change).or_default();
            if last {
                touch.deleted = true;
            } else if !first {
                touch.restored = true;
            }
        }
        touched
            .into_iter()
            .map(|(change, touch)| (self.changes[change as usize], touch))
            .collect()
    }

    /// The object `record` names under a reduction, deleted or not: the
    /// winning value of its key in the root map, if that is a map.
    pub(crate) fn record_object(&self, r: &Reduction, record: &str) -> Option<OpId> {
        let &prop = self.prop_index.get(record)?;
        let winner = self
            .objects
            .get(&ROOT)?
            .ops
            .iter()
            .filter(|&&ix| r.visible[ix as usize])
            .map(|&ix| &self.ops[ix as usize])
            .filter(|op| op.key == Key::Prop(prop))
            .min_by(|a, b| op_order(&self.actors, &a.id, &b.id))?;
        match winner.action {
            Action::Make(ObjType::Map) => Some(winner.id),
            _ => None,
        }
    }

    /// Decides visibility under a mask of changes (`masked(hash)`), then reads
    /// the root map as a collection of records.
    pub(crate) fn collection(&self, masked: impl Fn(&ChangeHash) -> bool) -> Collection {
        self.collection_reduced(&self.reduce(masked)).0
    }

    /// The root map as a collection of records under a reduction, and the
    /// names of the records marked deleted in it (left out of it, kept
    /// for their restoring): one pass over the records for both.
    pub(crate) fn collection_reduced(&self, reduction: &Reduction) -> (Collection, Vec<String>) {
        let mut collection = Collection::default();
        let mut deleted = Vec::new();
        for (record_id, field) in self.map_entries(reduction, ROOT) {
            if let Some(Visible::Object(obj, ObjType::Map)) = field.first() {
                let mut fields = self.map_entries(reduction, *obj);
                if marked(fields.remove(DELETED_FIELD)) {
                    deleted.push(record_id);
                    continue;
                }
                let mut record = Record::default();
                for (name, values) in fields {
                    let mut values = values.iter().map(|v| self.value(reduction, v));
                    if let Some(value) = values.next() {
                        record.fields.insert(
                            name,
                            Field {
                                value,
                                conflicts: values.collect(),
                            },
                        );
                    }
                }
                collection.records.insert(record_id, record);
            }
        }
        (collection, deleted)
    }

    /// Decides which ops are visible under a mask of changes.
    pub(crate) fn reduce(&self, masked: impl Fn(&ChangeHash) -> bool) -> Reduction {
        let masked_change: Vec<bool> = self.changes.iter().map(&masked).collect();
        let masked = |op: &Op| masked_change[op.change as usize];
        let mut superseded = vec![false; self.ops.len()];
        let mut stack = Vec::new();
        for op in &self.ops {
            if masked(op) || matches!(op.action, Action::Inert) {
                continue;
            }
            stack.extend(op.pred.iter().copied());
            while let Some(p) = stack.pop() {
                let Some(&pi) = self.by_id.get(&p) else {
                    continue;
                };
                if superseded[pi as usize] {
                    continue;
                }
                superseded[pi as usize] = true;
                // A masked op's own overwrites are superseded too: the honest
                // op replaced the whole chain.
                if masked(&self.ops[pi as usize]) {
                    stack.extend(self.ops[pi as usize].pred.iter().copied());
                }
            }
        }
        let visible = self
            .ops
            .iter()
            .enumerate()
            .map(|(i, op)| {
                !masked(op)
                    && !superseded[i]
                    && matches!(op.action, Action::Make(_) | Action::Put(_))
            })
            .collect();
        Reduction { visible }
    }

    /// Visible values per key of a map, each list highest op id first.
    fn map_entries(&self, r: &Reduction, obj: OpId) -> BTreeMap<String, Vec<Visible>> {
        let mut out: BTreeMap<String, Vec<(OpId, Visible)>> = BTreeMap::new();
        let Some(object) = self.objects.get(&obj) else {
            return BTreeMap::new();
        };
        for &ix in &object.ops {
            let op = &self.ops[ix as usize];
            if let (true, Key::Prop(prop)) = (r.visible[ix as usize], op.key) {
                out.entry(self.props[prop as usize].clone())
                    .or_default()
                    .push((op.id, self.visible(op)));
            }
        }
        out.into_iter()
            .map(|(k, mut vs)| {
                vs.sort_by(|a, b| op_order(&self.actors, &a.0, &b.0));
                (k, vs.into_iter().map(|(_, v)| v).collect())
            })
            .collect()
    }

    fn visible(&self, op: &Op) -> Visible {
        match &op.action {
            Action::Make(kind) => Visible::Object(op.id, *kind),
            Action::Put(value) => Visible::Scalar(value.clone()),
            _ => Visible::Scalar(ScalarValue::Null),
        }
    }

    fn value(&self, r: &Reduction, v: &Visible) -> Value {
        match v {
            Visible::Scalar(s) => scalar_value(s),
            Visible::Object(obj, ObjType::Text) => Value::Text(self.text(r, *obj)),
            Visible::Object(_, kind) => Value::Other(super::value::object_kind_name(*kind)),
        }
    }

    /// The visible value ops of each element of a sequence (the insert
    /// itself, or later puts), highest first.
    fn element_values(&self, r: &Reduction, obj: OpId) -> FxHashMap<OpId, Vec<u32>> {
        let mut values: FxHashMap<OpId, Vec<u32>> = FxHashMap::default();
        let Some(object) = self.objects.get(&obj) else {
            return values;
        };
        for &ix in &object.ops {
            let op = &self.ops[ix as usize];
            if !r.visible[ix as usize] {
                continue;
            }
            let element = if op.insert {
                op.id
            } else {
                match op.key {
                    Key::Elem(e) => e,
                    Key::Prop(_) => continue,
                }
            };
            values.entry(element).or_default().push(ix);
        }
        for ops in values.values_mut() {
            ops.sort_by(|a, b| {
                op_order(
                    &self.actors,
                    &self.ops[*a as usize].id,
                    &self.ops[*b as usize].id,
                )
            });
        }
        values
    }

    fn text(&self, r: &Reduction, obj: OpId) -> String {
        let mut values = self.element_values(r, obj);
        let mut text = String::new();
        for element in self.tree_order(obj) {
            if let Some(ops) = values.remove(&element)
                && let Action::Put(ScalarValue::Str(s)) = &self.ops[ops[0] as usize].action
            {
                text.push_str(s);
            }
        }
        text
    }
}

/// Visibility of every op under one mask.
#[derive(Debug)]
pub(crate) struct Reduction {
    visible: Vec<bool>,
}

enum Visible {
    Scalar(ScalarValue),
    Object(OpId, ObjType),
}

/// Orders op ids highest first: by counter, then actor bytes (automerge's Lamport order).
fn op_order(actors: &[ActorId], a: &OpId, b: &OpId) -> std::cmp::Ordering {
    let actor = |x: &OpId| actors.get(x.actor as usize);
    (b.counter, actor(b)).cmp(&(a.counter, actor(a)))
}

pub(crate) fn scalar_value(value: &ScalarValue) -> Value {
    Value::Scalar(match value {
        ScalarValue::Null => Scalar::Null,
        ScalarValue::Boolean(b) => Scalar::Bool(*b),
        ScalarValue::F64(n) => Scalar::Number(*n),
        ScalarValue::Int(n) => Scalar::Number(*n as f64),
        ScalarValue::Uint(n) => Scalar::Number(*n as f64),
        ScalarValue::Str(s) => Scalar::Str(s.to_string()),
        other => return Value::Other(format!("{other:?}").chars().take(16).collect()),
    })
}

/// Whether the values of a record's [`DELETED_FIELD`] mark it deleted
/// (the winning value is `true`, as Automerge's reading has it).
fn marked(marks: Option<Vec<Visible>>) -> bool {
    matches!(
        marks.as_deref().and_then(<[Visible]>::first),
        Some(Visible::Scalar(ScalarValue::Boolean(true)))
    )
}

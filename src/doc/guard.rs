//! Checks a remote change against its document before Automerge sees it.
//!
//! Automerge 0.12 applies changes without checking them against the
//! document and panics on what it did not expect (an attacker's review of
//! issue #13, finding 3): a change whose seq skips one of its actor's, ops
//! on an object that does not exist, op counters an actor used before, an
//! actor table naming an actor the document does not know. Every one of
//! these passes the event rules (the change decodes, its actor is its
//! author, its dependencies are its parents'), so any author could publish
//! a `Doc` event that panics every reader, again after each reload. In the
//! browser a panic aborts the wasm module.
//!
//! So every remote change passes this guard first, in the order Automerge
//! will apply it ([`apply_order`]), and is refused ([`GuardError`], kept in
//! the log, left out of the document, reported) unless it is one Automerge
//! is known to apply:
//!
//! * **the change**: its dependencies are in the document; its seq is its
//!   actor's last plus one, and that previous change is in its history;
//!   its start op is exactly one above the highest op of its history (its
//!   dependencies' highest: Lamport counters, as Automerge makes them) and
//!   its ops stay below 2³¹; its other actors are actors the document
//!   knows; it carries no author footer; it is encoded exactly as
//!   Automerge encodes its ops (else Automerge keeps it under another hash
//!   than the event's);
//! * **each op** is one of those the [`Documents`](super::Documents) API
//!   writes — make a map or a text, put a scalar (not a counter), delete,
//!   insert one character into a text — and names only what exists, came
//!   before it and lies in the change's history: its object (of the kind
//!   the op needs: a map key on a map, an element on a text); for an
//!   insert, the text's head or an element of the same text; for a
//!   deletion in a text, an element of that text with exactly that element
//!   as predecessor; for a map op, predecessors that are values (not
//!   deletions) at the same key of the same map, at least one for a
//!   deletion.
//!
//! The bytes were checked before ([`crate::event::validate::decode_change`]):
//! actor indices in range, at most `MAX_CHANGE_OPS` ops, a bounded
//! inflation.
//!
//! Changes that honest nodes write always pass (the tests replay the
//! editing trace and random concurrent edits through it). Every verdict
//! depends on the change and its history only (an object, element or
//! predecessor outside the history is refused, even if the document holds
//! it), so every node and every reopen agree, whatever the arrival order;
//! the one exception is a forked actor (two changes with one seq), as
//! ARCHITECTURE.md, "Forks and documents", says.
//!
//! It also knows which record each object lies in, so that the records a
//! remote change touches are one lookup per op
//! ([`Guard::take_touched`]; the document's kept reading,
//! [`direct_reading`](super::direct_reading), reads those again).
//!
//! Memory: one entry per op of the document (≈ 40 bytes), one per change,
//! two per object, and 4 bytes per change for each of at most 64 actors
//! whose changes are named (`ancestry`). The guard is built from the
//! document when first needed, so a document loaded from its saved form
//! and then only edited by its owner never builds it.

use super::ancestry::Ancestry;
use automerge::legacy::{ElementId, Key, ObjectId, OpId as AmOpId, OpType};
use automerge::{ActorId, Change, ChangeHash, ExpandedChange, ObjType, ScalarValue};
use rustc_hash::{FxHashMap, FxHashSet};
use std::sync::Arc;
use thiserror::Error;

/// Why a remote change was kept out of its document.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GuardError {
    /// A dependency is not in the document (never arrived, or refused).
    /// Code `change_dependency_missing`.
    #[error("a dependency of the change is not in the document")]
    DependencyMissing,
    /// The change's seq is not its actor's last plus one.
    /// Code `change_seq_out_of_order`.
    #[error("seq {got} where {expected} was due")]
    SeqOutOfOrder {
        /// The actor's next seq.
        expected: u64,
        /// The change's.
        got: u64,
    },
    /// The change reuses op counters its actor used before, or its
    /// counters do not fit in 32 bits.
    /// Code `change_op_counters_reused`.
    #[error("the change's op counters overlap its actor's earlier ones or overflow")]
    OpCountersReused,
    /// The change's actor table names an actor the document does not know.
    /// Code `change_unknown_actor`.
    #[error("the change names an actor the document does not know")]
    UnknownActor,
    /// The change carries an author footer, which this document never uses.
    /// Code `change_author_footer`.
    #[error("the change carries an author footer")]
    AuthorFooter,
    /// An op of a kind the document never writes (counters, marks, lists,
    /// tables, overwriting a character).
    /// Code `change_unsupported_op`.
    #[error("op {op}: an action this document never writes")]
    UnsupportedOp {
        /// The op's index in the change.
        op: usize,
    },
    /// The change does not build on its actor's previous change (it is
    /// not in the change's history).
    /// Code `change_outside_its_history`.
    #[error("the change does not build on its actor's previous change")]
    OutsideHistory,
    /// The change is not in the encoding Automerge writes for its ops
    /// (an actor listed but never used, say), so Automerge would keep it
    /// under another hash. Code `change_not_canonical`.
    #[error("the change is not encoded as Automerge encodes it")]
    NotCanonical,
    /// An op names an object, element or predecessor that does not exist,
    /// is of the wrong kind, does not come before it, or is not in the
    /// change's history.
    /// Code `change_bad_reference`.
    #[error("op {op}: names an object, element or predecessor it cannot")]
    BadReference {
        /// The op's index in the change.
        op: usize,
    },
    /// An op writes at a map key (a record's or a field's name) longer
    /// than [`MAX_NAME_BYTES`](super::MAX_NAME_BYTES), which no honest
    /// node writes. Code `change_name_too_long`.
    #[error("op {op}: a name longer than {max} bytes", max = super::MAX_NAME_BYTES)]
    NameTooLong {
        /// The op's index in the change.
        op: usize,
    },
}

impl GuardError {
    /// The stable code of this error (see each variant).
    pub fn code(&self) -> &'static str {
        match self {
            GuardError::DependencyMissing => "change_dependency_missing",
            GuardError::SeqOutOfOrder { .. } => "change_seq_out_of_order",
            GuardError::OpCountersReused => "change_op_counters_reused",
            GuardError::UnknownActor => "change_unknown_actor",
            GuardError::AuthorFooter => "change_author_footer",
            GuardError::OutsideHistory => "change_outside_its_history",
            GuardError::NotCanonical => "change_not_canonical",
            GuardError::UnsupportedOp { .. } => "change_unsupported_op",
            GuardError::BadReference { .. } => "change_bad_reference",
            GuardError::NameTooLong { .. } => "change_name_too_long",
        }
    }
}

/// The highest op counter a remote change may reach: half of what
/// Automerge can count to, so that local edits always have room (past
/// u32::MAX its next local edit panics).
const MAX_OP_COUNTER: u64 = 1 << 31;

/// An op id with the actor interned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct OpId {
    counter: u64,
    actor: u32,
}

/// The root map; also the head of a text (never an op).
const ROOT: OpId = OpId {
    counter: 0,
    actor: u32::MAX,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A value at a map key: a scalar, or a map or text it made.
    MapValue,
    /// A deletion at a map key.
    MapDelete,
    /// A character inserted into a text.
    Element,
    /// A deletion of a character.
    ElementDelete,
}

#[derive(Clone, Copy, Debug)]
struct OpMeta {
    /// The object the op is on.
    obj: OpId,
    /// Map ops: the interned key.
    prop: u32,
    kind: Kind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ObjKind {
    Map,
    Text,
}

/// What one document holds, as far as the checks need. See the
/// [module docs](self).
#[derive(Debug, Default)]
pub(crate) struct Guard {
    actors: FxHashMap<ActorId, u32>,
    props: FxHashMap<Arc<str>, u32>,
    /// The interned props by index (record and field names).
    prop_names: Vec<Arc<str>>,
    /// Change hash → its node in `ancestry`.
    changes: FxHashMap<ChangeHash, u32>,
    ancestry: Ancestry,
    objects: FxHashMap<OpId, ObjKind>,
    ops: FxHashMap<OpId, OpMeta>,
    /// Object → the record it lies in (the interned root key above it):
    /// which records a remote change touches, one lookup per op
    /// ([`take_touched`](Self::take_touched)).
    records: FxHashMap<OpId, u32>,
    /// The records the changes admitted since the last `take_touched`
    /// touched, and whether an op's could not be found.
    touched: FxHashSet<u32>,
    untraced: bool,
}

/// What checking one change adds, kept apart until the whole change passed.
#[derive(Default)]
struct Added {
    props: Vec<String>,
    objects: Vec<(OpId, ObjKind)>,
    ops: Vec<(OpId, OpMeta)>,
    /// Ops of other actors the change names (by the index of the op
    /// naming them): each must be in the change's history.
    names: Vec<(usize, OpId)>,
}

impl Guard {
    /// The guard of a document holding `changes` (in an order Automerge
    /// applied them), taken without checks: they are in the document.
    pub(crate) fn of(changes: &[Change]) -> Guard {
        let mut guard = Guard::default();
        for change in changes {
            guard.record(change);
        }
        guard
    }

    /// Whether the document holds this change.
    pub(crate) fn has(&self, hash: &ChangeHash) -> bool {
        self.changes.contains_key(hash)
    }

    /// Takes in a change the document holds (a local one, or one applied
    /// before the guard existed) without checking it.
    pub(crate) fn record(&mut self, change: &Change) {
        if self.changes.contains_key(&change.hash()) {
            return;
        }
        let added = self
            .ops_of(change, &change.decode(), false)
            .unwrap_or_default();
        self.commit(change, added, false);
    }

    /// The names of the records the changes admitted since the last call
    /// touched, or `None` if an op's object could not be traced to one.
    pub(crate) fn take_touched(&mut self) -> Option<Vec<Arc<str>>> {
        let touched = std::mem::take(&mut self.touched);
        if std::mem::take(&mut self.untraced) {
            return None;
        }
        Some(
            touched
                .into_iter()
                .map(|ix| self.prop_names[ix as usize].clone())
                .collect(),
        )
    }

    /// Checks a remote change and, when it passes, takes it in: what
    /// follows in the same batch may build on it.
    pub(crate) fn admit(&mut self, change: &Change) -> Result<(), GuardError> {
        let Some(deps) = change
            .deps()
            .iter()
            .map(|d| self.changes.get(d).copied())
            .collect::<Option<Vec<u32>>>()
        else {
            return Err(GuardError::DependencyMissing);
        };
        if change.author().is_some() {
            return Err(GuardError::AuthorFooter);
        }
        if change
            .other_actor_ids()
            .iter()
            .any(|a| !self.actors.contains_key(a))
        {
            return Err(GuardError::UnknownActor);
        }
        let chain: &[u32] = match self.actors.get(change.actor_id()) {
            Some(&ix) => self.ancestry.chain(ix),
            None => &[],
        };
        let expected = chain.len() as u64 + 1;
        if change.seq() != expected {
            return Err(GuardError::SeqOutOfOrder {
                expected,
                got: change.seq(),
            });
        }
        let previous = chain.last().copied();
        // Op counters are Lamport clocks, exactly as Automerge makes them: a
        // change starts right after the highest op of its history (its
        // dependencies' highest), so no counter is reused and none can jump
        // ahead; the history walk relies on it. And they stay far below
        // u32::MAX, where Automerge's next local edit would panic.
        let deps_max = deps
            .iter()
            .map(|&d| self.ancestry.node(d).max_op)
            .max()
            .unwrap_or(0);
        if change.start_op().get() != deps_max + 1 || change.max_op() > MAX_OP_COUNTER {
            return Err(GuardError::OpCountersReused);
        }
        let expanded = change.decode();
        let added = self.ops_of(change, &expanded, true)?;
        // The actor's previous change, and the change of every op of another
        // actor it names, must be in its history (so that every node, in any
        // order, reaches the same verdict; the actor's earlier changes are
        // then in it too, by the same rule applied to each of them).
        let mut wanted: Vec<(u32, Option<usize>)> =
            previous.map(|p| (p, None)).into_iter().collect();
        for &(op, name) in &added.names {
            if let Some(node) = self.ancestry.change_of(name.actor, name.counter) {
                wanted.push((node, Some(op)));
            }
        }
        if let Some(missing) = self.ancestry.missing(&deps, wanted) {
            return Err(match missing {
                Some(op) => GuardError::BadReference { op },
                None => GuardError::OutsideHistory,
            });
        }
        // Only the encoding Automerge itself writes: it keeps and serves a
        // change in that form, so any other encoding of the same ops would
        // be known by another hash than the event's (an attacker's review:
        // masks and record histories missed it, saved documents would not
        // reload).
        let mut canonical = expanded;
        canonical.hash = None;
        if Change::from(canonical).raw_bytes() != change.raw_bytes() {
            return Err(GuardError::NotCanonical);
        }
        self.commit(change, added, true);
        Ok(())
    }

    /// Takes in a change whose ops are `added`; with `track`, notes the
    /// records they touch.
    fn commit(&mut self, change: &Change, added: Added, track: bool) {
        let actor = match self.actors.get(change.actor_id()) {
            Some(&ix) => ix,
            None => {
                // `ops_of` numbered it `self.actors.len()`: the index added here.
                let ix = self.ancestry.add_actor();
                self.actors.insert(change.actor_id().clone(), ix);
                ix
            }
        };
        let deps = change
            .deps()
            .iter()
            .filter_map(|d| self.changes.get(d).copied())
            .collect();
        let node = self
            .ancestry
            .push(deps, change.start_op().get(), change.max_op(), actor);
        self.changes.insert(change.hash(), node);
        for prop in added.props {
            let ix = self.prop_names.len() as u32;
            let prop: Arc<str> = prop.into();
            self.props.insert(prop.clone(), ix);
            self.prop_names.push(prop);
        }
        let made: Vec<OpId> = added.objects.iter().map(|(id, _)| *id).collect();
        self.objects.extend(added.objects);
        let metas: Vec<OpMeta> = if track {
            added.ops.iter().map(|(_, meta)| *meta).collect()
        } else {
            Vec::new()
        };
        self.ops.extend(added.ops);
        for object in made {
            self.place(object);
        }
        for meta in metas {
            let record = match meta.obj {
                ROOT => Some(meta.prop),
                obj => self.records.get(&obj).copied(),
            };
            match record {
                Some(record) => _ = self.touched.insert(record),
                None => self.untraced = true,
            }
        }
    }

    /// Notes which record `object` lies in: up the ops that made it and
    /// its parents, to the first whose record is known or to the root's
    /// key. Every object on the way is noted too, so that each is walked
    /// over once however deep they nest.
    fn place(&mut self, object: OpId) {
        let mut path = Vec::new();
        let mut at = object;
        let record = loop {
            if let Some(&record) = self.records.get(&at) {
                break Some(record);
            }
            let Some(made_by) = self.ops.get(&at) else {
                break None;
            };
            path.push(at);
            if made_by.obj == ROOT {
                break Some(made_by.prop);
            }
            at = made_by.obj;
        };
        if let Some(record) = record {
            self.records.extend(path.into_iter().map(|o| (o, record)));
        }
    }

    /// The ops of a change, checked against the document and the change's
    /// earlier ops when `check` (else recorded as they are, skipping what
    /// cannot be interned).
    fn ops_of(
        &self,
        change: &Change,
        expanded: &ExpandedChange,
        check: bool,
    ) -> Result<Added, GuardError> {
        debug_assert_eq!(change.actor_id(), &expanded.actor_id);
        let mut added = Added::default();
        // A new actor gets the index `commit` will give it.
        let own = match self.actors.get(&expanded.actor_id) {
            Some(&ix) => ix,
            None => self.actors.len() as u32,
        };
        let mut local_ops: FxHashMap<OpId, OpMeta> = FxHashMap::default();
        let mut local_objects: FxHashMap<OpId, ObjKind> = FxHashMap::default();
        let mut local_props: FxHashMap<String, u32> = FxHashMap::default();
        // Per map key, the last op of this change on it, if a value.
        let mut last_value: FxHashMap<(OpId, u32), OpId> = FxHashMap::default();
        for (i, op) in expanded.operations.iter().enumerate() {
            let id = OpId {
                counter: expanded.start_op.get() + i as u64,
                actor: own,
            };
            let bad = GuardError::BadReference { op: i };
            let unsupported = GuardError::UnsupportedOp { op: i };
            let intern_id = |o: &AmOpId| -> Option<OpId> {
                let actor = if o.actor() == &expanded.actor_id {
                    own
                } else {
                    *self.actors.get(o.actor())?
                };
                Some(OpId {
                    counter: o.counter(),
                    actor,
                })
            };
            let lookup_op = |o: &OpId| self.ops.get(o).or_else(|| local_ops.get(o)).copied();
            let obj = match &op.obj {
                ObjectId::Root => ROOT,
                ObjectId::Id(o) => match intern_id(o) {
                    Some(o) => o,
                    None if check => return Err(bad),
                    None => continue,
                },
            };
            let obj_kind = if obj == ROOT {
                Some(ObjKind::Map)
            } else {
                self.objects
                    .get(&obj)
                    .or_else(|| local_objects.get(&obj))
                    .copied()
            };
            let Some(obj_kind) = obj_kind else {
                if check {
                    return Err(bad);
                }
                continue;
            };
            if check && obj != ROOT && obj.counter >= id.counter {
                return Err(bad);
            }
            let preds: Option<Vec<OpId>> = op.pred.iter().map(intern_id).collect();
            let Some(preds) = preds else {
                if check {
                    return Err(bad);
                }
                continue;
            };
            if check && preds.iter().any(|p| p.counter >= id.counter) {
                return Err(bad);
            }
            let others = std::iter::once(obj)
                .chain(preds.iter().copied())
                .filter(|o| *o != ROOT && o.actor != own);
            added.names.extend(others.map(|o| (i, o)));
            let meta = match (obj_kind, &op.key) {
                (ObjKind::Map, Key::Map(prop)) => {
                    if check && op.insert {
                        return Err(unsupported);
                    }
                    if check && prop.len() > super::MAX_NAME_BYTES {
                        return Err(GuardError::NameTooLong { op: i });
                    }
                    let kind = match &op.action {
                        OpType::Make(ObjType::Map) => {
                            local_objects.insert(id, ObjKind::Map);
                            Kind::MapValue
                        }
                        OpType::Make(ObjType::Text) => {
                            local_objects.insert(id, ObjKind::Text);
                            Kind::MapValue
                        }
                        OpType::Put(value) if !matches!(value, ScalarValue::Counter(_)) => {
                            Kind::MapValue
                        }
                        OpType::Delete => Kind::MapDelete,
                        _ if check => return Err(unsupported),
                        _ => continue,
                    };
                    let prop_ix = match self
                        .props
                        .get(prop.as_str())
                        .or_else(|| local_props.get(prop.as_str()))
                    {
                        Some(&ix) => ix,
                        None => {
                            let ix = (self.props.len() + added.props.len()) as u32;
                            added.props.push(prop.to_string());
                            local_props.insert(prop.to_string(), ix);
                            ix
                        }
                    };
                    if check {
                        let same_key = |p: &OpId| {
                            lookup_op(p).is_some_and(|m| {
                                m.kind == Kind::MapValue && m.obj == obj && m.prop == prop_ix
                            })
                        };
                        // An op names the value this change put on its key
                        // before it, as Automerge always does: else one
                        // 300-byte change plants 65,536 values on one key
                        // side by side, and the next honest write there,
                        // naming them all, is over MAX_CHANGE_PREDS.
                        let unchained = last_value
                            .get(&(obj, prop_ix))
                            .is_some_and(|last| !preds.contains(last));
                        if !preds.iter().all(same_key)
                            || (kind == Kind::MapDelete && preds.is_empty())
                            || unchained
                        {
                            return Err(bad);
                        }
                    }
                    match kind {
                        Kind::MapValue => last_value.insert((obj, prop_ix), id),
                        _ => last_value.remove(&(obj, prop_ix)),
                    };
                    OpMeta {
                        obj,
                        prop: prop_ix,
                        kind,
                    }
                }
                (ObjKind::Text, Key::Seq(elem)) => {
                    let elem = match elem {
                        ElementId::Head => None,
                        ElementId::Id(e) => match intern_id(e) {
                            Some(e) => Some(e),
                            None if check => return Err(bad),
                            None => continue,
                        },
                    };
                    if let Some(e) = elem.filter(|e| e.actor != own) {
                        added.names.push((i, e));
                    }
                    let element_of_this_text = |e: &OpId| {
                        e.counter < id.counter
                            && lookup_op(e).is_some_and(|m| m.kind == Kind::Element && m.obj == obj)
                    };
                    let kind = match (&op.action, op.insert) {
                        // One character per element, as Automerge writes
                        // text: positions count characters, and an element
                        // of "abc" or "" would misplace everyone's edits.
                        (OpType::Put(ScalarValue::Str(c)), true)
                            if !check || c.chars().count() == 1 =>
                        {
                            if check
                                && (!preds.is_empty()
                                    || elem.is_some_and(|e| !element_of_this_text(&e)))
                            {
                                return Err(bad);
                            }
                            Kind::Element
                        }
                        (OpType::Delete, false) => {
                            if check
                                && !(elem.is_some_and(|e| element_of_this_text(&e))
                                    && preds.len() == 1
                                    && Some(preds[0]) == elem)
                            {
                                return Err(bad);
                            }
                            Kind::ElementDelete
                        }
                        _ if check => return Err(unsupported),
                        _ => continue,
                    };
                    OpMeta { obj, prop: 0, kind }
                }
                _ if check => return Err(bad),
                _ => continue,
            };
            local_ops.insert(id, meta);
        }
        added.objects = local_objects.into_iter().collect();
        added.ops = local_ops.into_iter().collect();
        Ok(added)
    }
}

/// The order Automerge 0.12 applies a batch in (`ChangeQueue::
/// pop_topo_sorted_ready`: Kahn's algorithm, first in first out, over the
/// dependencies not yet in the document), as indices into `batch`.
/// Changes never ready (a dependency neither in the document nor in the
/// batch) are left out, as Automerge leaves them queued.
pub(crate) fn apply_order(batch: &[Change], in_doc: impl Fn(&ChangeHash) -> bool) -> Vec<usize> {
    let mut unsatisfied = vec![0u32; batch.len()];
    let mut waiting_on: FxHashMap<ChangeHash, Vec<usize>> = FxHashMap::default();
    for (i, change) in batch.iter().enumerate() {
        for dep in change.deps() {
            if !in_doc(dep) {
                unsatisfied[i] += 1;
                waiting_on.entry(*dep).or_default().push(i);
            }
        }
    }
    let mut ready: std::collections::VecDeque<usize> = unsatisfied
        .iter()
        .enumerate()
        .filter(|(_, n)| **n == 0)
        .map(|(i, _)| i)
        .collect();
    let mut order = Vec::with_capacity(batch.len());
    while let Some(i) = ready.pop_front() {
        order.push(i);
        if let Some(dependents) = waiting_on.remove(&batch[i].hash()) {
            for d in dependents {
                unsatisfied[d] -= 1;
                if unsatisfied[d] == 0 {
                    ready.push_back(d);
                }
            }
        }
    }
    order
}

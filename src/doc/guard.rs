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
//!   actor's last plus one; its start op is above every op counter its actor
//!   used; its other actors are actors the document knows; it carries no
//!   author footer; its op counters fit in 32 bits;
//! * **each op** is one of those the [`Documents`](super::Documents) API
//!   writes — make a map or a text, put a scalar (not a counter), delete,
//!   insert into a text — and names only what exists and came before it:
//!   its object exists (made by an earlier op, with a lower counter) and has
//!   the kind the op needs (a map key on a map, an element on a text); an
//!   insert follows the text's head or an element of the same text; a
//!   delete in a text names an element of that text with exactly that
//!   element as predecessor; a map op's predecessors are values (not
//!   deletions) at the same key of the same map, and a map deletion has at
//!   least one.
//!
//! Changes that honest nodes write always pass (the tests replay the
//! editing trace and random concurrent edits through it). The check is
//! against what the document holds when the change is applied, so a
//! crafted change naming an object its dependencies do not include may be
//! taken by a node that has that object and refused by one that has not
//! yet: as with a forked author's changes (ARCHITECTURE.md, "Forks and
//! documents"), only the crafted author's changes can differ.
//!
//! Memory: one entry per op of the document (≈ 40 bytes), one per change
//! and per object. The guard is built from the document when first needed,
//! so a document that only its owner edits never builds it.

use automerge::legacy::{ElementId, Key, ObjectId, OpId as AmOpId, OpType};
use automerge::{ActorId, Change, ChangeHash, ObjType, ScalarValue};
use rustc_hash::{FxHashMap, FxHashSet};
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
    /// An op names an object, element or predecessor that does not exist,
    /// is of the wrong kind, does not come before it, or is not in the
    /// change's history.
    /// Code `change_bad_reference`.
    #[error("op {op}: names an object, element or predecessor it cannot")]
    BadReference {
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
            GuardError::UnsupportedOp { .. } => "change_unsupported_op",
            GuardError::BadReference { .. } => "change_bad_reference",
        }
    }
}

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

/// One change of the document: its place in the change graph.
#[derive(Debug)]
struct Node {
    /// Its dependencies (indices into [`Guard::nodes`]).
    deps: Box<[u32]>,
    start_op: u64,
    max_op: u64,
}

/// What one document holds, as far as the checks need. See the
/// [module docs](self).
#[derive(Debug, Default)]
pub(crate) struct Guard {
    actors: FxHashMap<ActorId, u32>,
    /// Per actor, its changes in seq order (indices into `nodes`).
    chains: Vec<Vec<u32>>,
    props: FxHashMap<String, u32>,
    changes: FxHashMap<ChangeHash, u32>,
    nodes: Vec<Node>,
    objects: FxHashMap<OpId, ObjKind>,
    ops: FxHashMap<OpId, OpMeta>,
}

/// What checking one change adds, kept apart until the whole change passed.
#[derive(Default)]
struct Added {
    actor: Option<ActorId>,
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
        let added = self.ops_of(change, false).unwrap_or_default();
        self.commit(change, added);
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
            Some(&ix) => &self.chains[ix as usize],
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
        let start = change.start_op().get();
        let last_op = previous.map_or(0, |p| self.nodes[p as usize].max_op);
        // Op counters are Lamport clocks: above every op the actor used and
        // every op the change depends on. The history walk relies on it.
        let deps_max = deps.iter().map(|&d| self.nodes[d as usize].max_op).max();
        if start <= last_op
            || start <= deps_max.unwrap_or(0)
            || change.max_op() > u64::from(u32::MAX)
        {
            return Err(GuardError::OpCountersReused);
        }
        let added = self.ops_of(change, true)?;
        // The actor's previous change, and the change of every op of another
        // actor it names, must be in its history (so that every node, in any
        // order, reaches the same verdict; the actor's earlier changes are
        // then in it too, by the same rule applied to each of them).
        let mut wanted: Vec<(u32, Option<usize>)> =
            previous.map(|p| (p, None)).into_iter().collect();
        for &(op, name) in &added.names {
            if let Some(node) = self.change_of(name) {
                wanted.push((node, Some(op)));
            }
        }
        if let Some(missing) = self.outside_history(&deps, wanted) {
            return Err(match missing {
                Some(op) => GuardError::BadReference { op },
                None => GuardError::OutsideHistory,
            });
        }
        self.commit(change, added);
        Ok(())
    }

    /// The change holding an op the document has.
    fn change_of(&self, op: OpId) -> Option<u32> {
        let chain = self.chains.get(op.actor as usize)?;
        let after = chain.partition_point(|&n| self.nodes[n as usize].start_op <= op.counter);
        let node = *chain.get(after.checked_sub(1)?)?;
        (op.counter <= self.nodes[node as usize].max_op).then_some(node)
    }

    /// The first of `wanted` (a change, and what to report if it is
    /// missing) that is not in the history of `deps`, if any. Walks back
    /// from `deps`, never below the lowest start op wanted: a change's
    /// start op is at least its dependencies', so nothing below holds one.
    fn outside_history<T: Copy>(&self, deps: &[u32], mut wanted: Vec<(u32, T)>) -> Option<T> {
        wanted.retain(|(n, _)| !deps.contains(n));
        if wanted.is_empty() {
            return None;
        }
        let floor = wanted
            .iter()
            .map(|(n, _)| self.nodes[*n as usize].start_op)
            .min()?;
        let mut seen: FxHashSet<u32> = FxHashSet::default();
        let mut stack: Vec<u32> = deps.to_vec();
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            wanted.retain(|(w, _)| *w != n);
            if wanted.is_empty() {
                return None;
            }
            for &d in self.nodes[n as usize].deps.iter() {
                if self.nodes[d as usize].start_op >= floor && !seen.contains(&d) {
                    stack.push(d);
                }
            }
        }
        wanted.first().map(|(_, why)| *why)
    }

    fn commit(&mut self, change: &Change, added: Added) {
        let node = self.nodes.len() as u32;
        self.nodes.push(Node {
            deps: change
                .deps()
                .iter()
                .filter_map(|d| self.changes.get(d).copied())
                .collect(),
            start_op: change.start_op().get(),
            max_op: change.max_op(),
        });
        self.changes.insert(change.hash(), node);
        if let Some(actor) = added.actor {
            self.actors.insert(actor, self.chains.len() as u32);
            self.chains.push(Vec::new());
        }
        for prop in added.props {
            let ix = self.props.len() as u32;
            self.props.insert(prop, ix);
        }
        self.objects.extend(added.objects);
        self.ops.extend(added.ops);
        if let Some(&ix) = self.actors.get(change.actor_id()) {
            self.chains[ix as usize].push(node);
        }
    }

    /// The ops of a change, checked against the document and the change's
    /// earlier ops when `check` (else recorded as they are, skipping what
    /// cannot be interned).
    fn ops_of(&self, change: &Change, check: bool) -> Result<Added, GuardError> {
        let mut added = Added::default();
        let expanded = change.decode();
        let own = match self.actors.get(&expanded.actor_id) {
            Some(&ix) => ix,
            None => {
                added.actor = Some(expanded.actor_id.clone());
                self.chains.len() as u32
            }
        };
        let mut local_ops: FxHashMap<OpId, OpMeta> = FxHashMap::default();
        let mut local_objects: FxHashMap<OpId, ObjKind> = FxHashMap::default();
        let mut local_props: FxHashMap<String, u32> = FxHashMap::default();
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
                        if !preds.iter().all(same_key)
                            || (kind == Kind::MapDelete && preds.is_empty())
                        {
                            return Err(bad);
                        }
                    }
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
                        (OpType::Put(ScalarValue::Str(_)), true) => {
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

//! Changes a writer makes outside Automerge's transactions, to keep a
//! document writable whatever others did to it: merges of too many heads,
//! and deletions superseding versions planted side by side past what one
//! op may replace. Each is the writer's own next change (its actor, its
//! next seq), checked by the guard as a remote change is, and published as
//! its own event before the edit's.

use super::document::{Doc, MAX_LOCAL_DEPS};
use super::error::{DocError, am};
use automerge::{ActorId, Change, ChangeHash, ObjId, ReadDoc, legacy, transaction::Transactable};
use rustc_hash::FxHashMap;

/// The writer's own chain of changes as hand-built changes continue it:
/// the seq and hash of its last change in the document, and the last op of
/// every change a new one may depend on (the heads, the writer's last
/// change, and each change made here).
struct Chain {
    actor: ActorId,
    last: Option<(u64, ChangeHash)>,
    last_op: FxHashMap<ChangeHash, u64>,
    made: Vec<Change>,
}

impl Chain {
    /// The next change: `operations` depending on `deps` and on the
    /// writer's last change (its seq must follow it, so it is named among
    /// the dependencies when not in them already), its first op one above
    /// the highest of its dependencies' (Lamport: what the guard and every
    /// reader check; the highest of the whole document was wrong for a
    /// merge of some heads, the review of f47a73f).
    fn next(
        &mut self,
        mut deps: Vec<ChangeHash>,
        operations: Vec<legacy::Op>,
    ) -> Result<&Change, DocError> {
        let seq = match self.last {
            Some((seq, hash)) => {
                if !deps.contains(&hash) {
                    deps.push(hash);
                }
                seq + 1
            }
            None => 1,
        };
        let mut highest = 0;
        for dep in &deps {
            let last = self
                .last_op
                .get(dep)
                .ok_or_else(|| DocError::Automerge("a dependency without its last op".into()))?;
            highest = highest.max(*last);
        }
        let change = hand_built(self.actor.clone(), seq, highest, deps, operations)?;
        self.last = Some((seq, change.hash()));
        self.last_op.insert(change.hash(), change.max_op());
        self.made.push(change);
        Ok(self.made.last().expect("just pushed"))
    }
}

impl Doc {
    /// Merges the document's heads until at most `MAX_LOCAL_DEPS` are left,
    /// so that the next local change's event can carry every change it
    /// depends on: each merge is a change of no ops depending on the last
    /// merge (or the writer's last change) and on as many more heads as
    /// make `MAX_LOCAL_DEPS`, published as its own event before the
    /// edit's. Without it, a document with 64 or more changes side by side
    /// (64 people editing offline at once, or one author's 64 sessions)
    /// could be written by nobody again. The merges are the writer's own
    /// next changes, applied in one batch: each first made by an actor of
    /// its own, 65,536 heads made an edit take 74 s and 3.1 GB (a new
    /// actor costs Automerge a pass over the whole document; the review of
    /// b812617). Only with no transaction open.
    pub(super) fn merge_heads(&mut self) -> Result<(), DocError> {
        if self.doc.pending_ops() > 0 {
            return Ok(());
        }
        let heads = self.doc.get_heads();
        if heads.len() <= MAX_LOCAL_DEPS {
            return Ok(());
        }
        let mut chain = self.chain()?;
        let mut heads: std::collections::VecDeque<ChangeHash> = heads.into();
        // The writer's last change, if a head, is named by the first merge
        // as its seq needs: not counted twice.
        if let Some((_, last)) = chain.last {
            heads.retain(|h| *h != last);
        }
        while heads.len() + usize::from(chain.last.is_some()) > MAX_LOCAL_DEPS {
            // The writer's last change (or the last merge) and the heads
            // beside it: MAX_LOCAL_DEPS in all.
            let room = MAX_LOCAL_DEPS - usize::from(chain.last.is_some());
            let named: Vec<ChangeHash> = heads.drain(..room.min(heads.len())).collect();
            chain.next(named, Vec::new())?;
        }
        self.apply_own(chain.made)
    }

    /// The writer's chain as it stands, for changes built by hand: its last
    /// change (see [`writer_last`](Doc::writer_last)), and the last op of
    /// the heads and of that change.
    fn chain(&mut self) -> Result<Chain, DocError> {
        let actor = self.doc.get_actor().clone();
        let last = self.writer_last()?;
        let mut named = self.doc.get_heads();
        named.extend(last.map(|(_, hash)| hash));
        Ok(Chain {
            actor,
            last,
            last_op: self.last_ops(&named)?,
            made: Vec::new(),
        })
    }

    /// The writer's last change in the document, if any: kept since it was
    /// last read, else read from Automerge's change graph, every change's
    /// metadata (a count kept here from none went wrong for a replica whose
    /// actor had changes in the log before it opened, the review of
    /// b812617; reading it at every merge cost 70 ms an edit at 100,000
    /// changes, the review of f47a73f).
    fn writer_last(&mut self) -> Result<Option<(u64, ChangeHash)>, DocError> {
        if let Some(last) = self.writer_last {
            return Ok(Some(last));
        }
        let actor = self.doc.get_actor().clone();
        let last = self
            .doc
            .get_changes_meta(&[])
            .into_iter()
            .filter(|meta| *meta.actor == actor)
            .map(|meta| (meta.seq, meta.hash))
            .max_by_key(|(seq, _)| *seq);
        self.writer_last = last;
        Ok(last)
    }

    /// Checks changes built by hand as remote changes are, applies them in
    /// one batch and counts them unpublished. If that fails, the writer's
    /// last change is read again next time: one refused edit heals at the
    /// next, rather than every later one failing the same way.
    fn apply_own(&mut self, made: Vec<Change>) -> Result<(), DocError> {
        let applied = self.apply_own_checked(made);
        if applied.is_err() {
            self.writer_last = None;
        }
        applied
    }

    /// [`apply_own`](Self::apply_own)'s work.
    fn apply_own_checked(&mut self, made: Vec<Change>) -> Result<(), DocError> {
        let mut earlier = FxHashMap::default();
        for change in &made {
            self.admit_own(change, &earlier)?;
            earlier.insert(change.hash(), (change.seq(), change.max_op()));
        }
        let Some(last) = made.last() else {
            return Ok(());
        };
        let last = (last.seq(), last.hash());
        let hashes: Vec<ChangeHash> = made.iter().map(Change::hash).collect();
        self.doc.apply_changes(made).map_err(am)?;
        self.writer_last = Some(last);
        self.unpublished.extend(hashes);
        Ok(())
    }

    /// The last op of each of `heads`, from the change graph: reading the
    /// change itself (`get_change_by_hash`) walks every op in its counter
    /// range, which changes made side by side share (1,200 heads: 116 s,
    /// the review of 967e653).
    fn last_ops(&mut self, heads: &[ChangeHash]) -> Result<FxHashMap<ChangeHash, u64>, DocError> {
        let mut last_op = FxHashMap::default();
        for hash in heads {
            let meta = self
                .doc
                .get_change_meta_by_hash(hash)
                .ok_or_else(|| DocError::Automerge("a head without its change".into()))?;
            last_op.insert(*hash, meta.max_op);
        }
        Ok(last_op)
    }

    /// Checks a change made here outside Automerge's transactions as a
    /// remote change is, where a guard is built: a mistake in making it
    /// would show only on other nodes, which would then refuse every later
    /// change of this writer. `earlier`: the writer's changes made with it,
    /// not yet applied (hash → seq and last op).
    fn admit_own(
        &mut self,
        change: &Change,
        earlier: &FxHashMap<ChangeHash, (u64, u64)>,
    ) -> Result<(), DocError> {
        let Some(guard) = self.guard.as_mut() else {
            return self.check_own_unguarded(change, earlier);
        };
        if let Err(refused) = guard.admit(change) {
            // It may hold changes admitted before that never reach the
            // document: built again when next needed.
            self.guard = None;
            return Err(DocError::Refused(refused));
        }
        Ok(())
    }

    /// [`admit_own`](Self::admit_own) without a guard (a document opened
    /// from its saved form builds one only for a change it lacks: it
    /// decodes every op): the two rules a hand-built change could break by
    /// a mistake here are checked from the change graph — its first op
    /// follows its dependencies' highest, its seq the writer's last change.
    fn check_own_unguarded(
        &mut self,
        change: &Change,
        earlier: &FxHashMap<ChangeHash, (u64, u64)>,
    ) -> Result<(), DocError> {
        let (mut highest, mut previous) = (0, None);
        for dep in change.deps() {
            let (mine, seq, max_op) = match earlier.get(dep) {
                Some(&(seq, max_op)) => (true, seq, max_op),
                None => {
                    let missing = DocError::Refused(super::guard::GuardError::DependencyMissing);
                    let meta = self.doc.get_change_meta_by_hash(dep).ok_or(missing)?;
                    (*meta.actor == *change.actor_id(), meta.seq, meta.max_op)
                }
            };
            highest = highest.max(max_op);
            if mine {
                previous = previous.max(Some(seq));
            }
        }
        let seq_follows = change.seq() == previous.map_or(1, |seq| seq + 1);
        if change.start_op().get() != highest + 1 || !seq_follows {
            return Err(DocError::Automerge(
                "a change built here breaks its own rules".into(),
            ));
        }
        Ok(())
    }

    /// Deletes versions side by side on `key` of the map `obj` until at
    /// most `keep` are left (at most
    /// [`MAX_VERSIONS_REPLACED`](super::MAX_VERSIONS_REPLACED)), in changes
    /// of one deletion naming at most `MAX_VERSIONS_REPLACED` each, each its
    /// own event before the edit's. Anyone may plant values side by side on
    /// a key, one change each (each names no value before it); an op
    /// replacing them all at once would name more predecessors than a
    /// change may hold, and refusing the edit let one identity stop
    /// everyone from writing a field, creating a record of a name or
    /// deleting one (the review of 967e653). The deletions are the writer's
    /// own next changes, applied in one batch: one per key by an actor of
    /// its own made an edit over 1,000 planted keys take 79 s (the review
    /// of dcd35b1). Closes the open transaction.
    pub(super) fn supersede(
        &mut self,
        obj: &ObjId,
        key: &str,
        keep: usize,
    ) -> Result<(), DocError> {
        self.close();
        self.merge_heads()?;
        let versions: Vec<legacy::OpId> = self
            .doc
            .get_all(obj, key)
            .map_err(am)?
            .into_iter()
            .filter_map(|(_, id)| legacy_op_id(&id))
            .collect();
        let excess = versions.len().saturating_sub(keep);
        if excess == 0 {
            return Ok(());
        }
        let object = match legacy_op_id(obj) {
            Some(id) => legacy::ObjectId::Id(id),
            None => legacy::ObjectId::Root,
        };
        let mut chain = self.chain()?;
        let mut deps = self.doc.get_heads();
        for part in versions[..excess].chunks(super::MAX_VERSIONS_REPLACED) {
            let delete = legacy::Op {
                action: legacy::OpType::Delete,
                obj: object.clone(),
                key: legacy::Key::Map(key.into()),
                pred: part.to_vec().into(),
                insert: false,
            };
            deps = vec![chain.next(deps, vec![delete])?.hash()];
        }
        self.apply_own(chain.made)
    }
}

/// An op's id as a hand-built change names it; `None` for the root.
fn legacy_op_id(id: &ObjId) -> Option<legacy::OpId> {
    match id {
        ObjId::Root => None,
        ObjId::Id(counter, actor, _) => Some(legacy::OpId(*counter, actor.clone())),
    }
}

/// A change made outside Automerge's transactions: `operations` by `actor`
/// at `seq`, depending on `deps`, after the op `highest` (Lamport: one above
/// the highest op of its history, the highest of its dependencies' last).
fn hand_built(
    actor: ActorId,
    seq: u64,
    highest: u64,
    mut deps: Vec<ChangeHash>,
    operations: Vec<legacy::Op>,
) -> Result<Change, DocError> {
    let start_op = highest
        .checked_add(1)
        .and_then(std::num::NonZeroU64::new)
        .ok_or_else(|| DocError::Automerge("op counter overflow".into()))?;
    deps.sort();
    Ok(Change::from(automerge::ExpandedChange {
        operations,
        actor_id: actor,
        hash: None,
        seq,
        start_op,
        time: 0,
        message: None,
        deps,
        extra_bytes: Vec::new(),
        author: None,
    }))
}

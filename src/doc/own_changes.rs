//! Changes a writer makes outside Automerge's transactions, to keep a
//! document writable whatever others did to it: merges of too many heads,
//! and deletions superseding versions planted side by side past what one
//! op may replace. Each is checked by the guard as a remote change is, and
//! published as its own event before the edit's.

use super::document::{Doc, MAX_LOCAL_DEPS};
use super::error::{DocError, am};
use automerge::{ActorId, Change, ChangeHash, ObjId, ReadDoc, legacy, transaction::Transactable};
use rustc_hash::FxHashMap;

/// The bytes of an owner's key, with which each of their actors starts.
const KEY_BYTES: usize = 32;

/// The bytes of a merge actor's suffix (at most `MAX_ACTOR_SUFFIX`).
const MERGE_SUFFIX: usize = 16;
const _: () = assert!(MERGE_SUFFIX <= crate::event::validate::MAX_ACTOR_SUFFIX);

impl Doc {
    /// Merges the document's heads, `MAX_LOCAL_DEPS` at a time, until at
    /// most that many are left, so that the next local change's event can
    /// carry every change it depends on: each merge is a change of no ops
    /// depending on `MAX_LOCAL_DEPS` heads, published as its own event
    /// before the edit's. Without it, a document with 64 or more changes side
    /// by side (64 people editing offline at once, or one author's 64
    /// sessions) could be written by nobody again. Each merge is made by an
    /// actor of its own (the owner's key and a digest of what it merges):
    /// as its first change, it needs no earlier change of its actor in its
    /// history. Only with no transaction open.
    pub(super) fn merge_heads(&mut self) -> Result<(), DocError> {
        if self.doc.pending_ops() > 0 {
            return Ok(());
        }
        let mut heads = self.doc.get_heads();
        if heads.len() <= MAX_LOCAL_DEPS {
            return Ok(());
        }
        let mut last_op = self.last_ops(&heads)?;
        let mut merges = Vec::new();
        while heads.len() > MAX_LOCAL_DEPS {
            let merged: Vec<ChangeHash> = heads.drain(..MAX_LOCAL_DEPS).collect();
            // Lamport: one above the highest op of its history, which is
            // the highest of its dependencies' last ops.
            let highest = merged.iter().map(|h| last_op[h]).max().unwrap_or(0);
            let change = self.merge_change(merged, highest)?;
            last_op.insert(change.hash(), highest);
            heads.push(change.hash());
            merges.push(change);
        }
        // In one batch: Automerge takes in a new actor per merge, and one
        // by one that cost as much again (the review).
        let hashes: Vec<ChangeHash> = merges.iter().map(Change::hash).collect();
        self.doc.apply_changes(merges).map_err(am)?;
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

    /// A merge: a change of no ops depending on `deps`, whose highest op is
    /// `highest`, made by an actor of its own — the owner's key and a
    /// digest of the writer's actor and `deps` — so it is the first change
    /// of its actor and needs no earlier one in its history. Checked by the
    /// guard ([`admit_own`](Self::admit_own)).
    fn merge_change(
        &mut self,
        mut deps: Vec<ChangeHash>,
        highest: u64,
    ) -> Result<Change, DocError> {
        let writer = self.doc.get_actor().to_bytes();
        deps.sort();
        let mut digest = blake3::Hasher::new();
        digest.update(b"trustfold merge actor v1");
        digest.update(&(writer.len() as u64).to_le_bytes());
        digest.update(writer);
        for hash in &deps {
            digest.update(&hash.0);
        }
        let mut actor = writer
            .get(..KEY_BYTES)
            .ok_or_else(|| DocError::Automerge("a writer's actor without its key".into()))?
            .to_vec();
        actor.extend_from_slice(&digest.finalize().as_bytes()[..MERGE_SUFFIX]);
        let change = hand_built(ActorId::from(actor), 1, highest, deps, Vec::new())?;
        self.admit_own(&change)?;
        Ok(change)
    }

    /// Checks a change made here outside Automerge's transactions as a
    /// remote change is, where a guard is built: a mistake in making it
    /// would show only on other nodes, which would then refuse every later
    /// change of this writer.
    fn admit_own(&mut self, change: &Change) -> Result<(), DocError> {
        if let Some(guard) = self.guard.as_mut()
            && let Err(refused) = guard.admit(change)
        {
            // It may hold changes admitted before that never reach the
            // document: built again when next needed.
            self.guard = None;
            return Err(DocError::Refused(refused));
        }
        Ok(())
    }

    /// Deletes versions side by side on `key` of the map `obj` until at
    /// most [`MAX_VERSIONS_REPLACED`](super::MAX_VERSIONS_REPLACED) are
    /// left, in changes of one deletion naming at most that many each,
    /// each its own event before the edit's. Anyone may plant values side
    /// by side on a key, one change each (each names no value before it);
    /// an op replacing them all at once would name more predecessors than a
    /// change may hold, and refusing the edit let one identity stop everyone
    /// from writing a field, creating a record of a name or deleting one
    /// (the review of 967e653). The deletions are the writer's own next
    /// changes (its actor, its next seqs), applied in one batch: a new actor
    /// costs Automerge a pass over the whole document, and one per key made
    /// an edit over 1,000 planted keys take 79 s (the review of dcd35b1).
    /// Closes the open transaction.
    pub(super) fn supersede(&mut self, obj: &ObjId, key: &str) -> Result<(), DocError> {
        self.close();
        self.merge_heads()?;
        let versions: Vec<legacy::OpId> = self
            .doc
            .get_all(obj, key)
            .map_err(am)?
            .into_iter()
            .filter_map(|(_, id)| legacy_op_id(&id))
            .collect();
        let excess = versions.len().saturating_sub(super::MAX_VERSIONS_REPLACED);
        let object = match legacy_op_id(obj) {
            Some(id) => legacy::ObjectId::Id(id),
            None => legacy::ObjectId::Root,
        };
        let writer = self.doc.get_actor().clone();
        let mut deps = self.doc.get_heads();
        let mut highest = self.last_ops(&deps)?.into_values().max().unwrap_or(0);
        let mut seq = self.local_seq;
        let mut parts = Vec::new();
        for part in versions[..excess].chunks(super::MAX_VERSIONS_REPLACED) {
            let delete = legacy::Op {
                action: legacy::OpType::Delete,
                obj: object.clone(),
                key: legacy::Key::Map(key.into()),
                pred: part.to_vec().into(),
                insert: false,
            };
            seq += 1;
            let change = hand_built(writer.clone(), seq, highest, deps, vec![delete])?;
            self.admit_own(&change)?;
            (deps, highest) = (vec![change.hash()], change.max_op());
            parts.push(change);
        }
        let hashes: Vec<ChangeHash> = parts.iter().map(Change::hash).collect();
        self.doc.apply_changes(parts).map_err(am)?;
        self.local_seq = seq;
        self.unpublished.extend(hashes);
        Ok(())
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

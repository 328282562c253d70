//! One document's state: the Automerge document, its op history (for
//! masked reads), its guard (for remote changes), the changes queued for
//! it and those refused; how remote changes are applied and local edits
//! closed into changes.

use super::Viewer;
use super::direct_reading::DirectReading;
use super::error::{DocError, am};
use super::guard::{self, Guard, GuardError};
use super::history::History;
use super::masked_view::{Mask, MaskedView};
use crate::event::validate::{
    MAX_CHANGE_BYTES, MAX_CHANGE_NAME_BYTES, MAX_CHANGE_OPS, MAX_CHANGE_PREDS,
};
use crate::log::EventIx;
use automerge::{
    ActorId, AutoCommit, Change, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue, TextEncoding,
    legacy, transaction::Transactable,
};
use rustc_hash::{FxHashMap, FxHashSet};

/// The most ops a local change gathers before it is closed: half of
/// [`MAX_CHANGE_OPS`] (what a valid change may hold), so no honest change
/// comes near the limit.
const MAX_PENDING_OPS: usize = 1 << 15;
const _: () = assert!(2 * MAX_PENDING_OPS as u64 <= MAX_CHANGE_OPS);

/// The most bytes of map keys (record and field names) and string values
/// the ops of a local change gather before it is closed: half of
/// [`MAX_CHANGE_NAME_BYTES`], and of the most a change may take
/// ([`MAX_CHANGE_BYTES`]) with every string in it stored uncompressed. A
/// value may be as long as this alone
/// ([`MAX_VALUE_BYTES`](super::MAX_VALUE_BYTES)).
const MAX_PENDING_STRING_BYTES: usize = 1 << 20;
const _: () = assert!(2 * MAX_PENDING_STRING_BYTES as u64 <= MAX_CHANGE_NAME_BYTES);
const _: () = assert!(2 * MAX_PENDING_STRING_BYTES <= MAX_CHANGE_BYTES);
const _: () = assert!(super::MAX_VALUE_BYTES <= MAX_PENDING_STRING_BYTES);

/// The most predecessors the ops on map keys of a local change gather
/// before it is closed (each lists every value it replaces). A text op
/// lists at most one and a change has at most [`MAX_PENDING_OPS`] ops, so
/// a local change lists at most half of [`MAX_CHANGE_PREDS`].
const MAX_PENDING_KEYED_PREDS: usize = 1 << 15;
const _: () = assert!(2 * (MAX_PENDING_OPS + MAX_PENDING_KEYED_PREDS) as u64 <= MAX_CHANGE_PREDS);
const _: () = assert!(super::MAX_VERSIONS_REPLACED <= MAX_PENDING_KEYED_PREDS);

/// The most changes side by side a local change depends on: a change's
/// event carries each change it depends on as a direct parent, and an event
/// has at most 64 parents (`MAX_PARENTS`, with the author's previous event
/// and the heads of the log beside them). More heads are merged first
/// ([`Doc::merge_heads`]).
pub(super) const MAX_LOCAL_DEPS: usize = 32;

/// The bytes of an owner's key, with which each of their actors starts.
const KEY_BYTES: usize = 32;

/// The bytes of a merge actor's suffix (at most `MAX_ACTOR_SUFFIX`).
const MERGE_SUFFIX: usize = 16;
const _: () = assert!(MERGE_SUFFIX <= crate::event::validate::MAX_ACTOR_SUFFIX);

/// The most characters (or UTF-16 code units) one part of a long splice
/// inserts or deletes.
const EDIT_PART: usize = 1 << 13;

/// How Automerge counts text positions: in UTF-16 code units, as
/// JavaScript strings and a textarea do, so a page's positions go to
/// Automerge as they are and no text is read to convert them (Automerge
/// keeps each element's width in its index). The changes written are the
/// same in every encoding: one element per character.
pub(super) const TEXT_ENCODING: TextEncoding = TextEncoding::Utf16CodeUnit;

/// One document: Automerge, its op history, its guard, and the remote
/// changes waiting to be applied.
#[derive(Debug)]
pub(super) struct Doc {
    pub(super) doc: AutoCommit,
    pub(super) history: History,
    /// Change hash → the events carrying it (more than one only if an
    /// author signed one change twice). A change is masked when every
    /// carrier is left out of the view.
    pub(super) events: FxHashMap<ChangeHash, Vec<EventIx>>,
    /// How many carriers `events` holds (a cache key).
    pub(super) carriers: usize,
    /// Local changes not yet published, oldest first.
    pub(super) unpublished: Vec<ChangeHash>,
    /// The changes the owner's view masks ([`masked_view`](super::masked_view)).
    pub(super) mask: Option<Mask>,
    /// The document as the mask shows it, kept between reads.
    pub(super) masked_view: Option<MaskedView>,
    /// The collection as Automerge holds it, kept between reads
    /// ([`direct_reading`](super::direct_reading)); `None`: read it whole.
    pub(super) direct: Option<DirectReading>,
    /// Remote changes waiting to be applied in one batch: Automerge applies
    /// a batch of thousands of changes about as fast as one.
    pub(super) queued: Vec<Change>,
    /// Heads the op history covers.
    pub(super) history_heads: Vec<ChangeHash>,
    /// The open transaction the op history holds too, when it holds
    /// nothing but masked typing ([`masked_typing`](super::masked_typing)).
    pub(super) typed_ahead: Option<TypedAhead>,
    /// Changes refused, by the guard or by Automerge.
    pub(super) refused: Vec<(ChangeHash, DocError)>,
    /// What the document holds, for checking remote changes; built when
    /// first needed (see [`guard`]).
    pub(super) guard: Option<Guard>,
    /// What the ops on map keys in the open transaction hold, as far as
    /// the edits here count them (see [`room_for_key`](Self::room_for_key)).
    pending_keyed: PendingKeyed,
    /// How many changes the writer's actor made in this document: each
    /// session has an actor of its own, so every one was made here, by
    /// [`close`](Self::close) or [`supersede`](Self::supersede).
    local_seq: u64,
}

/// The names, string values and predecessors of the ops on map keys in a
/// document's open transaction.
#[derive(Debug, Default)]
struct PendingKeyed {
    /// Bytes of map keys and string values.
    strings: usize,
    /// Predecessors listed (each op names every value it replaces).
    preds: usize,
}

/// Which open transaction the op history holds: the one started from
/// `base` with `pending_ops` ops. A commit changes the heads, and any other
/// edit adds ops, so either tells that the history no longer holds it.
#[derive(Debug)]
pub(super) struct TypedAhead {
    pub(super) base: Vec<ChangeHash>,
    pub(super) pending_ops: usize,
}

impl TypedAhead {
    fn is_open_transaction(&self, doc: &AutoCommit) -> bool {
        doc.pending_ops() == self.pending_ops && doc.base_heads() == self.base
    }
}

impl Doc {
    pub(super) fn new(actor: ActorId) -> Doc {
        Doc {
            doc: AutoCommit::new_with_encoding(TEXT_ENCODING).with_actor(actor),
            history: History::default(),
            events: FxHashMap::default(),
            carriers: 0,
            unpublished: Vec::new(),
            mask: None,
            masked_view: None,
            direct: None,
            queued: Vec::new(),
            history_heads: Vec::new(),
            typed_ahead: None,
            refused: Vec::new(),
            guard: Some(Guard::default()),
            pending_keyed: PendingKeyed::default(),
            local_seq: 0,
        }
    }

    /// The guard, built from the document's changes if there is none yet
    /// (a document loaded from its saved form, or after Automerge refused
    /// a change the guard had let through).
    pub(super) fn guard(&mut self) -> &mut Guard {
        self.close();
        let doc = &mut self.doc;
        self.guard
            .get_or_insert_with(|| Guard::of(&doc.get_changes(&[])))
    }

    /// Applies the queued remote changes: each passes the [`guard`] in the
    /// order Automerge will apply them, and those that pass go to
    /// Automerge in one batch (one by one if leaving some out changed that
    /// order). What is refused is recorded.
    pub(super) fn flush(&mut self) {
        if self.queued.is_empty() {
            return;
        }
        let mut queued = std::mem::take(&mut self.queued);
        if self.guard.is_none() {
            // Opening from a saved document: the log's changes are mostly
            // in it already, and building the guard costs a decode of every
            // op, so build it only for a change the document lacks.
            //
            // Which changes the document lacks, from its change graph:
            // `get_change_by_hash` would rebuild each change from the
            // compacted ops (≈ 0.3 ms a change in Chromium, 0.85 s of a
            // 100,000-event open).
            let hashes: Vec<ChangeHash> = queued.iter().map(Change::hash).collect();
            let missing: FxHashSet<ChangeHash> =
                self.doc.get_missing_deps(&hashes).into_iter().collect();
            queued.retain(|c| missing.contains(&c.hash()));
            if queued.is_empty() {
                return;
            }
        }
        let guard = self.guard();
        let mut seen = FxHashSet::default();
        let batch: Vec<Change> = queued
            .into_iter()
            .filter(|c| !guard.has(&c.hash()) && seen.insert(c.hash()))
            .collect();
        let order = guard::apply_order(&batch, |h| guard.has(h));
        let mut refused = Vec::new();
        let mut accepted = Vec::with_capacity(order.len());
        let mut ready = vec![false; batch.len()];
        for i in order {
            ready[i] = true;
            match guard.admit(&batch[i]) {
                Ok(()) => accepted.push(batch[i].clone()),
                Err(e) => refused.push((batch[i].hash(), DocError::Refused(e))),
            }
        }
        let touched = guard.take_touched();
        for (change, ready) in batch.iter().zip(ready) {
            if !ready {
                let why = DocError::Refused(GuardError::DependencyMissing);
                refused.push((change.hash(), why));
            }
        }
        self.refused.extend(refused);
        let hashes: FxHashSet<ChangeHash> = accepted.iter().map(Change::hash).collect();
        let same_order = guard::apply_order(&accepted, |h| !hashes.contains(h))
            .into_iter()
            .eq(0..accepted.len());
        if same_order && self.doc.apply_changes(accepted.clone()).is_ok() {
            self.touched_records(touched);
            return;
        }
        // Automerge's order differs from the guard's (or it refused the
        // batch): one at a time in the guard's order.
        for change in &accepted {
            if self.doc.get_change_by_hash(&change.hash()).is_some() {
                continue;
            }
            let hash = change.hash();
            if let Err(e) = self.doc.apply_changes([change.clone()]) {
                self.refused.push((hash, am(e)));
                // The guard took in a change the document lacks.
                self.guard = None;
            }
        }
        // (A change Automerge refused may have applied in part: read the
        // collection whole.)
        self.direct = None;
    }

    /// Closes the open transaction if one more part of an edit
    /// ([`EDIT_PART`]) could take it past [`MAX_PENDING_OPS`]: a change
    /// with more ops than [`MAX_CHANGE_OPS`] is invalid, and a long paste or deletion becomes several changes (each
    /// its own event) instead.
    pub(super) fn make_room(&mut self) {
        if self.doc.pending_ops() + EDIT_PART > MAX_PENDING_OPS {
            self.close();
        }
    }

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
    fn supersede(&mut self, obj: &ObjId, key: &str) -> Result<(), DocError> {
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

    /// Closes the open transaction if one more op on `key` of the map `obj`,
    /// writing a string of `value_bytes`, could take its names and string
    /// values past [`MAX_PENDING_STRING_BYTES`] or its keyed predecessors
    /// past [`MAX_PENDING_KEYED_PREDS`]: a change over
    /// [`MAX_CHANGE_NAME_BYTES`], [`MAX_CHANGE_PREDS`] or
    /// [`MAX_CHANGE_BYTES`] is invalid. Versions past
    /// [`MAX_VERSIONS_REPLACED`](super::MAX_VERSIONS_REPLACED) are
    /// superseded first ([`supersede`](Self::supersede)).
    fn room_for_key(&mut self, obj: &ObjId, key: &str, value_bytes: usize) -> Result<(), DocError> {
        let mut preds = self.doc.get_all(obj, key).map_err(am)?.len();
        if preds > super::MAX_VERSIONS_REPLACED {
            self.supersede(obj, key)?;
            preds = self.doc.get_all(obj, key).map_err(am)?.len();
        }
        let strings = key.len() + value_bytes;
        let pending = &self.pending_keyed;
        if pending.strings + strings > MAX_PENDING_STRING_BYTES
            || pending.preds + preds > MAX_PENDING_KEYED_PREDS
        {
            self.close();
        }
        self.pending_keyed.strings += strings;
        self.pending_keyed.preds += preds;
        Ok(())
    }

    /// Puts a scalar on `key` of the map `obj`, in a change with room for it.
    pub(super) fn put_key(
        &mut self,
        obj: &ObjId,
        key: &str,
        value: ScalarValue,
    ) -> Result<(), DocError> {
        let value_bytes = match &value {
            ScalarValue::Str(s) => s.len(),
            ScalarValue::Bytes(b) => b.len(),
            _ => 0,
        };
        self.room_for_key(obj, key, value_bytes)?;
        self.doc.put(obj, key, value).map_err(am)
    }

    /// Makes a new object on `key` of the map `obj`, in a change with room
    /// for it.
    pub(super) fn put_object_key(
        &mut self,
        obj: &ObjId,
        key: &str,
        kind: ObjType,
    ) -> Result<ObjId, DocError> {
        self.room_for_key(obj, key, 0)?;
        self.doc.put_object(obj, key, kind).map_err(am)
    }

    /// Deletes `key` of the map `obj`, in a change with room for it.
    pub(super) fn delete_key(&mut self, obj: &ObjId, key: &str) -> Result<(), DocError> {
        self.room_for_key(obj, key, 0)?;
        self.doc.delete(obj, key).map_err(am)
    }

    /// Whether UTF-16 position `at` of `text` lies between two characters
    /// (not inside a surrogate pair). The end is.
    pub(super) fn between_characters(&self, text: &ObjId, at: usize) -> bool {
        if at == 0 || at >= self.doc.length(text) {
            return true;
        }
        // Units `at - 1` and `at` belong to one character only inside it.
        // Two lookups in Automerge's width index (finding a cursor's
        // position instead would search the op ids, slower in a text
        // edited all over by many people).
        match (
            self.doc.get_cursor(text, at - 1, None),
            self.doc.get_cursor(text, at, None),
        ) {
            (Ok(before), Ok(here)) => before != here,
            _ => false,
        }
    }

    /// Replaces `delete` UTF-16 code units at `pos` with `insert`, in parts
    /// of at most [`EDIT_PART`] characters (see
    /// [`make_room`](Self::make_room)); `pos` and `pos + delete` are
    /// between characters ([`between_characters`](Self::between_characters)).
    pub(super) fn splice_in_parts(
        &mut self,
        text: &ObjId,
        pos: usize,
        delete: usize,
        insert: &str,
    ) -> Result<(), DocError> {
        let mut left = delete;
        while left > 0 {
            let mut part = left.min(EDIT_PART);
            // A part ends between two characters.
            if part < left && !self.between_characters(text, pos + part) {
                part += 1;
            }
            self.doc
                .splice_text(text, pos, part as isize, "")
                .map_err(am)?;
            left -= part;
            self.make_room();
        }
        let mut at = pos;
        let mut rest = insert;
        while !rest.is_empty() {
            let end = rest
                .char_indices()
                .nth(EDIT_PART)
                .map_or(rest.len(), |(i, _)| i);
            let (part, after) = rest.split_at(end);
            self.doc.splice_text(text, at, 0, part).map_err(am)?;
            at += part.encode_utf16().count();
            rest = after;
            self.make_room();
        }
        Ok(())
    }

    /// Closes the open transaction, remembering the change it made.
    pub(super) fn close(&mut self) {
        self.pending_keyed = PendingKeyed::default();
        // An empty commit makes nothing, but Automerge opens a transaction
        // to find that out: ≈ 3 ms at 10,000 changes, at every masked read.
        if self.doc.pending_ops() == 0 {
            return;
        }
        if let Some(hash) = self.doc.commit() {
            self.local_seq += 1;
            self.unpublished.push(hash);
            if let (Some(guard), Some(change)) =
                (self.guard.as_mut(), self.doc.get_change_by_hash(&hash))
            {
                guard.record(&change);
            }
        }
    }

    /// Brings the op history up to date: it holds the open transaction
    /// already if that holds only masked typing the history took in;
    /// otherwise the transaction is closed and its change read.
    pub(super) fn sync_history(&mut self) {
        if self
            .typed_ahead
            .as_ref()
            .is_some_and(|typed| typed.is_open_transaction(&self.doc))
        {
            return;
        }
        self.typed_ahead = None;
        self.close();
        // (Asking Automerge for the changes since the heads walks its whole
        // change graph, ≈ 2 ms at 10,000 changes: not at every read.)
        let new = if self.doc.get_heads() == self.history_heads {
            Vec::new()
        } else {
            self.doc.get_changes(&self.history_heads)
        };
        if new.is_empty() {
            self.history.drop_tentative();
        } else {
            // (Ops typed ahead are dropped there, or kept if `new` is the
            // change that committed exactly them.)
            self.history.extend(&new);
            self.history_heads = self.doc.get_heads();
        }
    }

    pub(super) fn masked<'a>(
        &'a self,
        viewer: &'a Viewer<'a>,
    ) -> impl Fn(&ChangeHash) -> bool + 'a {
        move |hash| {
            self.events
                .get(hash)
                .is_some_and(|carriers| all_left_out(carriers, viewer))
        }
    }

    /// Whether `viewer` sees `record` shown (`Some(true)`), deleted
    /// (`Some(false)`) or not at all (`None`): the masked reading when the
    /// viewer masks a change of this document, Automerge's otherwise.
    pub(super) fn seen_by(&mut self, viewer: &Viewer<'_>, record: &str) -> Option<bool> {
        if self.any_masked(viewer) {
            self.sync_history();
            let view = self.masked_view(viewer);
            if view.collection.records.contains_key(record) {
                Some(true)
            } else {
                view.deleted.iter().any(|d| d == record).then_some(false)
            }
        } else {
            let obj = self.record_object(record).ok()?;
            Some(!self.is_deleted(&obj))
        }
    }

    /// The object of `record` as `viewer` sees it, deleted or not: the
    /// masked reading's when the viewer masks a change of this document
    /// (another than Automerge's when a change they mask made the record
    /// again), else Automerge's.
    pub(super) fn record_object_seen(
        &mut self,
        viewer: &Viewer<'_>,
        record: &str,
    ) -> Result<ObjId, DocError> {
        if !self.any_masked(viewer) {
            return self.record_object(record);
        }
        self.sync_history();
        let obj = self.under_mask(viewer, |history, seen| history.record_object(seen, record));
        let obj = obj.ok_or_else(|| DocError::NoRecord(record.to_owned()))?;
        let (id, _) = self
            .doc
            .import(&self.history.object_name(obj))
            .map_err(am)?;
        Ok(id)
    }

    /// A record shown: its object, unless it is deleted.
    pub(super) fn record(&self, record: &str) -> Result<ObjId, DocError> {
        let obj = self.record_object(record)?;
        if self.is_deleted(&obj) {
            return Err(DocError::NoRecord(record.to_owned()));
        }
        Ok(obj)
    }

    /// A record's object, deleted or not.
    pub(super) fn record_object(&self, record: &str) -> Result<ObjId, DocError> {
        match self.doc.get(automerge::ROOT, record).map_err(am)? {
            Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
            _ => Err(DocError::NoRecord(record.to_owned())),
        }
    }

    /// Whether a record's object is marked deleted ([`super::DELETED_FIELD`]).
    pub(super) fn is_deleted(&self, obj: &ObjId) -> bool {
        super::read::is_deleted(&self.doc, obj)
    }
}

/// Whether `viewer` leaves out every event carrying a change: the change
/// is then masked.
pub(super) fn all_left_out(carriers: &[EventIx], viewer: &Viewer<'_>) -> bool {
    carriers.iter().all(|&ix| !(viewer.included)(ix))
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

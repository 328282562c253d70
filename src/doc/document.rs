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
    transaction::Transactable,
};
use rustc_hash::{FxHashMap, FxHashSet};

/// The most ops a local change gathers before it is closed: half of
/// [`MAX_CHANGE_OPS`] (what a valid change may hold), so no honest change
/// comes near the limit.
const MAX_PENDING_OPS: usize = 1 << 15;
const _: () = assert!(2 * MAX_PENDING_OPS as u64 <= MAX_CHANGE_OPS);

/// The most bytes a local change gathers before it is closed, counting
/// its map keys (record and field names), values and text, and
/// [`NAMED_OP_BYTES`] for every op id its ops name (the object an op is on,
/// a replaced value, the character text follows, a deleted character):
/// each may bring its actor, up to 48 bytes, into the change's table of
/// actors. A change over [`MAX_CHANGE_BYTES`] is invalid, and one made here
/// would stay unpublished, failing every later commit of the writer: a
/// long value over 32,767 versions planted by as many actors made one of
/// 2.5 MB (the review of b812617), a number set in each of 24,577 records
/// made by as many actors one of 2 MB (the review of f47a73f). One op may
/// take a change past this alone, as a value of
/// [`MAX_VALUE_BYTES`](super::MAX_VALUE_BYTES) does; what the ops' columns
/// hold besides (an action, a flag, a value's type and length, a count of
/// predecessors: under 16 bytes an op, at most [`MAX_PENDING_OPS`]) comes
/// on top, so a change stays under 1.6 MB.
const MAX_PENDING_BYTES: usize = 768 << 10;
const _: () = assert!({
    // The most a change holds: what fits the budget, or one op alone (a
    // value with its key, its versions superseded), and the columns.
    let one_op = super::MAX_VALUE_BYTES + super::MAX_NAME_BYTES;
    let held = if one_op > MAX_PENDING_BYTES {
        one_op
    } else {
        MAX_PENDING_BYTES
    };
    held + 16 * MAX_PENDING_OPS <= MAX_CHANGE_BYTES
});
const _: () = assert!(2 * MAX_PENDING_BYTES as u64 <= MAX_CHANGE_NAME_BYTES);

/// What an op id named by an op costs a change at most: its actor (a key
/// and a suffix, 48 bytes at most) and its place in the columns.
pub(super) const NAMED_OP_BYTES: usize = 56;

/// The most op ids the ops of a local change name: [`MAX_PENDING_BYTES`]
/// at [`NAMED_OP_BYTES`] each, and an op replacing a value names one more.
const _: () =
    assert!(2 * (MAX_PENDING_OPS + MAX_PENDING_BYTES / NAMED_OP_BYTES) as u64 <= MAX_CHANGE_PREDS);
const _: () = assert!(super::MAX_VERSIONS_REPLACED * NAMED_OP_BYTES <= MAX_PENDING_BYTES);

/// The most changes side by side a local change depends on: a change's
/// event carries each change it depends on as a direct parent, and an event
/// has at most 64 parents (`MAX_PARENTS`, with the author's previous event
/// and the heads of the log beside them). More heads are merged first
/// ([`Doc::merge_heads`]).
pub(super) const MAX_LOCAL_DEPS: usize = 32;

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
    /// The bytes the open transaction holds, as the edits here count them
    /// (see [`MAX_PENDING_BYTES`]).
    pending_bytes: usize,
    /// The seq and hash of the writer's last change here, once known
    /// (`Doc::writer_last`): kept by [`close`](Self::close) and by the
    /// changes built by hand.
    pub(super) writer_last: Option<(u64, ChangeHash)>,
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
            pending_bytes: 0,
            writer_last: None,
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
        // A change by the writer's own actor made elsewhere (the same
        // identity on another machine, writing under its bare key): the
        // writer's last change kept here is then stale, and the next change
        // built by hand took a seq already used (the review of d6fe239).
        let writer = self.doc.get_actor();
        if accepted.iter().any(|c| c.actor_id() == writer) {
            self.writer_last = None;
        }
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

    /// Closes the open transaction if it holds anything and `bytes` more
    /// would take it past [`MAX_PENDING_BYTES`], and counts them.
    pub(super) fn room_for(&mut self, bytes: usize) {
        if self.pending_bytes > 0 && self.pending_bytes + bytes > MAX_PENDING_BYTES {
            self.close();
        }
        self.pending_bytes += bytes;
    }

    /// Makes room for one op on `key` of the map `obj` writing a string of
    /// `value_bytes`: it names every version it replaces, so versions past
    /// what fits in [`MAX_PENDING_BYTES`] beside the key and the value (and
    /// past [`MAX_VERSIONS_REPLACED`](super::MAX_VERSIONS_REPLACED)) are
    /// superseded first ([`supersede`](Self::supersede)); then the change
    /// is closed if the op would take it past that.
    fn room_for_key(&mut self, obj: &ObjId, key: &str, value_bytes: usize) -> Result<(), DocError> {
        // The object it is on names its maker too (the review of f47a73f:
        // 24,577 records made by as many actors, one number set in each,
        // made a change over 2 MiB).
        let own = key.len() + value_bytes + NAMED_OP_BYTES;
        let keep = (MAX_PENDING_BYTES.saturating_sub(own) / NAMED_OP_BYTES)
            .min(super::MAX_VERSIONS_REPLACED);
        let mut versions = self.doc.get_all(obj, key).map_err(am)?.len();
        if versions > keep {
            self.supersede(obj, key, keep)?;
            versions = self.doc.get_all(obj, key).map_err(am)?.len();
        }
        self.room_for(own + versions * NAMED_OP_BYTES);
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
            ScalarValue::Null | ScalarValue::Boolean(_) => 1,
            _ => 8,
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
            // Each deleted character names its insertion, and the text.
            self.room_for((part + 1) * NAMED_OP_BYTES);
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
            // Its characters, the one it follows, and the text.
            self.room_for(part.len() + 2 * NAMED_OP_BYTES);
            self.doc.splice_text(text, at, 0, part).map_err(am)?;
            at += part.encode_utf16().count();
            rest = after;
            self.make_room();
        }
        Ok(())
    }

    /// Closes the open transaction, remembering the change it made.
    pub(super) fn close(&mut self) {
        self.pending_bytes = 0;
        // An empty commit makes nothing, but Automerge opens a transaction
        // to find that out: ≈ 3 ms at 10,000 changes, at every masked read.
        if self.doc.pending_ops() == 0 {
            return;
        }
        if let Some(hash) = self.doc.commit() {
            self.unpublished.push(hash);
            // Its seq follows the writer's last, known or not.
            self.writer_last = self
                .doc
                .get_change_meta_by_hash(&hash)
                .map(|meta| (meta.seq, hash));
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

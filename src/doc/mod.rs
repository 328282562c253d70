//! Documents: records and collaborative text as signed Automerge changes.
//!
//! A **collection** is one Automerge document whose root map holds records by
//! id; a **record** is a map of fields; a field holds a scalar or Automerge
//! text. Each collection's [`DocId`] is derived from its name, so everyone
//! who writes to "tasks" writes to the same document.
//!
//! Local edits go into an open Automerge transaction under the owner's actor
//! id (their public key) and become one change — one `Doc` event, one
//! signature — when [`Replica::commit`](crate::Replica::commit) is called, so
//! a person typing costs one signature per commit, not per keystroke.
//!
//! Reading goes through the owner's policy: while nothing in a document is
//! masked it is read straight from Automerge; otherwise from the op history
//! reduced under the mask ([`history`]).

mod ancestry;
mod direct_reading;
mod document;
mod error;
mod guard;
mod history;
mod masked_typing;
mod masked_view;
mod own_changes;
mod read;
mod record_lifecycle;
mod value;

pub use error::DocError;
use error::am;
pub use guard::GuardError;

pub(crate) use history::RecordTouch;
pub use value::{Collection, Field, Record, Scalar, Value};

use crate::event::{DocId, PublicKey};
use crate::log::EventIx;
use automerge::{ActorId, AutoCommit, Change, ChangeHash, ObjId, ObjType, ReadDoc, ScalarValue};
use document::Doc;
use read::{field_values, read_direct_record};
use std::collections::BTreeMap;

/// The id of a collection's document.
pub fn collection_id(name: &str) -> DocId {
    let hash = blake3::derive_key("trustfold collection v1", name.as_bytes());
    let mut id = [0u8; 16];
    id.copy_from_slice(&hash[..16]);
    DocId(id)
}

/// The field that marks a record deleted (`true`): never a field of its
/// own (reads leave it out, edits refuse it). A record is deleted by
/// setting it and restored by removing it, so its object — and every edit
/// made to it, even concurrently with the delete — stays in the document.
pub const DELETED_FIELD: &str = "\u{0}deleted";

/// The smallest splice turning `before` into `after`: position and
/// length to delete in UTF-16 code units (the documents' text encoding),
/// and what to insert. The common start and end are kept whole
/// characters.
fn smallest_splice<'a>(before: &str, after: &'a str) -> (usize, usize, &'a str) {
    let start: usize = before
        .chars()
        .zip(after.chars())
        .take_while(|(a, b)| a == b)
        .map(|(c, _)| c.len_utf8())
        .sum();
    let (rest_before, rest_after) = (&before[start..], &after[start..]);
    let end: usize = rest_before
        .chars()
        .rev()
        .zip(rest_after.chars().rev())
        .take_while(|(a, b)| a == b)
        .map(|(c, _)| c.len_utf8())
        .sum();
    let deleted = &rest_before[..rest_before.len() - end];
    let utf16 = |s: &str| s.encode_utf16().count();
    (
        utf16(&before[..start]),
        utf16(deleted),
        &rest_after[..rest_after.len() - end],
    )
}

/// The longest name of a record or a field, in UTF-8 bytes. A name is
/// kept, copied and sent wherever its record is (the guard's index of
/// names, every reading, every JS answer): without a bound a 12 kB event
/// could carry a 1 MB name (it compresses), and a record of it cost
/// megabytes in every reader. Names are words people read; 1 kB is far
/// more than any needs. The guard refuses a remote change writing a longer
/// one ([`GuardError::NameTooLong`]), so edits refuse it first.
pub const MAX_NAME_BYTES: usize = 1024;

/// The most versions side by side of one field (or record) an edit's op
/// replaces: honest writers make a few (one per person writing at once);
/// more were planted, one change each, so that an op replacing them all
/// would name more predecessors than a change may
/// ([`MAX_CHANGE_PREDS`](crate::event::validate::MAX_CHANGE_PREDS)). The
/// edit first deletes the versions past this many, in changes of one
/// deletion naming at most this many each, each its own event: below it
/// Automerge's own op replaces them, in the writer's change as any edit.
/// Each version named brings its actor into the change (48 bytes at most),
/// so fewer are replaced by an op writing a long value: as many as leave
/// the change under its bounds.
pub const MAX_VERSIONS_REPLACED: usize = 1 << 13;

/// The longest string a field may hold, in UTF-8 bytes. A field's value is
/// written whole in one change, and a change longer than
/// [`MAX_CHANGE_BYTES`](crate::event::validate::MAX_CHANGE_BYTES), or
/// inflating past
/// [`MAX_INFLATED_BYTES`](crate::event::validate::MAX_INFLATED_BYTES), is
/// invalid: before this bound, a field set to 5 MB of text made a change no
/// commit could publish, and every later commit of the writer failed with
/// it. Long writing belongs in a text, which is written in parts.
pub const MAX_VALUE_BYTES: usize = 1 << 20;

/// Refuses a record's name longer than [`MAX_NAME_BYTES`].
fn name_fits(name: &str) -> Result<(), DocError> {
    if name.len() > MAX_NAME_BYTES {
        return Err(DocError::NameTooLong { len: name.len() });
    }
    Ok(())
}

/// Refuses the reserved [`DELETED_FIELD`] and names longer than
/// [`MAX_NAME_BYTES`] as a field's name.
fn reserved(field: &str) -> Result<(), DocError> {
    if field == DELETED_FIELD {
        return Err(DocError::ReservedField(field.to_owned()));
    }
    name_fits(field)
}

/// Which events a reader counts: a view's inclusion test and its generation.
pub struct Viewer<'a> {
    /// Is the event at this index included?
    pub included: &'a dyn Fn(EventIx) -> bool,
    /// The view's [`generation`](crate::View::generation), a cache key.
    pub generation: u64,
}

/// Replace `delete` UTF-16 code units at `pos` with `insert`: positions
/// count as JavaScript strings count them (an emoji outside the Basic
/// Multilingual Plane is two), and lie between characters.
#[derive(Clone, Copy, Debug)]
pub struct Splice<'a> {
    /// Where, in UTF-16 code units of the text as seen.
    pub pos: usize,
    /// How many UTF-16 code units to remove.
    pub delete: usize,
    /// What to put there.
    pub insert: &'a str,
}

/// All documents of one replica. See the [module docs](self).
#[derive(Debug)]
pub struct Documents {
    actor: ActorId,
    docs: BTreeMap<DocId, Doc>,
}

impl Documents {
    /// Documents edited by `owner`.
    pub fn new(owner: PublicKey) -> Documents {
        Documents::for_session(owner, &[])
    }

    /// Documents edited by one session of `owner` (a browser tab): its
    /// Automerge actor is the owner's key followed by `session` (at most
    /// [`MAX_ACTOR_SUFFIX`](crate::event::validate::MAX_ACTOR_SUFFIX) bytes),
    /// so sessions of one identity never make two changes with one seq.
    pub fn for_session(owner: PublicKey, session: &[u8]) -> Documents {
        let mut actor = owner.0.to_vec();
        actor.extend_from_slice(session);
        Documents {
            actor: ActorId::from(actor),
            docs: BTreeMap::new(),
        }
    }

    /// A document, with every queued change applied, ready for an edit of
    /// `record` (see [`Doc::make_room`]; the record will be read again,
    /// [`Doc::touch`]).
    fn doc_to_edit(&mut self, collection: &str, record: &str) -> Result<&mut Doc, DocError> {
        let actor = self.actor.clone();
        let doc = self
            .docs
            .entry(collection_id(collection))
            .or_insert_with(|| Doc::new(actor.clone()));
        doc.flush();
        doc.merge_heads()?;
        doc.make_room();
        doc.touch(record);
        Ok(doc)
    }

    /// Takes in a change carried by an applied `Doc` event. Remote changes
    /// are queued and applied in one batch when the document is next used.
    /// A change Automerge refuses (an author's key used in two places makes
    /// two changes with one seq) stays in the log but not in the document;
    /// see [`refused`](Self::refused).
    /// The change comes decoded, by the log as it applied the event (or by
    /// [`Replica::from_log`](crate::Replica::from_log) from an entry the log
    /// decoded), so it is not parsed again here.
    pub(crate) fn apply(&mut self, ix: EventIx, doc: DocId, change: Change) {
        let actor = self.actor.clone();
        let state = self.docs.entry(doc).or_insert_with(|| Doc::new(actor));
        let hash = change.hash();
        let carriers = state.events.entry(hash).or_default();
        carriers.push(ix);
        state.carriers += 1;
        if carriers.len() > 1 {
            return;
        }
        if let Some(at) = state.unpublished.iter().position(|h| *h == hash) {
            state.unpublished.remove(at); // our own change, now published
        } else {
            state.queued.push(change);
        }
    }

    /// Changes carried by valid events that Automerge refused, with why.
    pub fn refused(&mut self) -> Vec<(ChangeHash, DocError)> {
        let mut out = Vec::new();
        for state in self.docs.values_mut() {
            state.flush();
            out.extend(state.refused.iter().cloned());
        }
        out
    }

    /// Local changes not yet published, per document, oldest first. Each is
    /// forgotten once its event is applied ([`apply`](Self::apply)).
    pub(crate) fn unpublished(&mut self) -> Vec<(DocId, Change)> {
        let mut out = Vec::new();
        for (id, state) in &mut self.docs {
            state.flush();
            state.close();
            for hash in state.unpublished.clone() {
                if let Some(change) = state.doc.get_change_by_hash(&hash) {
                    out.push((*id, change));
                }
            }
        }
        out
    }

    /// Whether any document holds a local change not yet published, or
    /// edits not yet closed into one.
    pub(crate) fn has_unpublished(&self) -> bool {
        self.docs.values().any(|d| {
            !d.unpublished.is_empty()
                || automerge::transaction::Transactable::pending_ops(&d.doc) > 0
        })
    }

    /// Whether an applied event carries the change `hash` of `doc`.
    pub(crate) fn carries(&self, doc: DocId, hash: &automerge::ChangeHash) -> bool {
        self.docs
            .get(&doc)
            .is_some_and(|state| state.events.contains_key(hash))
    }

    /// The events whose changes a change depends on.
    pub(crate) fn dependency_events(&self, doc: DocId, change: &Change) -> Vec<EventIx> {
        let Some(state) = self.docs.get(&doc) else {
            return Vec::new();
        };
        change
            .deps()
            .iter()
            .filter_map(|d| state.events.get(d).and_then(|c| c.first().copied()))
            .collect()
    }

    /// Sets a scalar field.
    pub fn set_field(
        &mut self,
        collection: &str,
        record: &str,
        field: &str,
        value: Scalar,
        viewer: &Viewer<'_>,
    ) -> Result<(), DocError> {
        reserved(field)?;
        if let Scalar::Str(s) = &value
            && s.len() > MAX_VALUE_BYTES
        {
            return Err(DocError::ValueTooLong { len: s.len() });
        }
        let doc = self.doc_to_edit(collection, record)?;
        let obj = doc.record_object_seen(viewer, record)?;
        let value = match value {
            Scalar::Null => ScalarValue::Null,
            Scalar::Bool(b) => ScalarValue::Boolean(b),
            Scalar::Number(n) => ScalarValue::F64(n),
            Scalar::Str(s) => ScalarValue::Str(s.into()),
        };
        doc.put_key(&obj, field, value)
    }

    /// Deletes a field.
    pub fn delete_field(
        &mut self,
        collection: &str,
        record: &str,
        field: &str,
        viewer: &Viewer<'_>,
    ) -> Result<(), DocError> {
        reserved(field)?;
        let doc = self.doc_to_edit(collection, record)?;
        let obj = doc.record_object_seen(viewer, record)?;
        doc.delete_key(&obj, field)
    }

    /// Makes a field a text holding `text`, replacing what was there.
    ///
    /// A field holding one text (no concurrent versions) is edited in
    /// place, by the smallest splice from what it holds: what someone
    /// types into it without having seen this stays, merged, where a new
    /// text object would leave their typing in one nothing shows. Several
    /// versions, or a masked reading (whose text is not Automerge's), get
    /// a new text, which supersedes them all.
    pub fn set_text(
        &mut self,
        collection: &str,
        record: &str,
        field: &str,
        text: &str,
        viewer: &Viewer<'_>,
    ) -> Result<(), DocError> {
        reserved(field)?;
        let doc = self.doc_to_edit(collection, record)?;
        let obj = doc.record_object_seen(viewer, record)?;
        let masked = doc.any_masked(viewer);
        let held = match doc.doc.get_all(&obj, field).map_err(am)?.as_slice() {
            [(automerge::Value::Object(ObjType::Text), held)] if !masked => Some(held.clone()),
            _ => None,
        };
        if let Some(held) = held {
            let before = doc.doc.text(&held).map_err(am)?;
            let (pos, delete, insert) = smallest_splice(&before, text);
            return doc.splice_in_parts(&held, pos, delete, insert);
        }
        let text_obj = doc.put_object_key(&obj, field, ObjType::Text)?;
        doc.splice_in_parts(&text_obj, 0, 0, text)
    }

    /// Replaces `delete` UTF-16 code units at `pos` of a text field with
    /// `insert` ([`Splice`]). Positions are in the owner's view (`included`
    /// says which events count). Unmasked, nothing of the text is read: a
    /// keystroke costs the same at any position.
    pub fn splice_text(
        &mut self,
        collection: &str,
        record: &str,
        field: &str,
        Splice {
            pos,
            delete,
            insert,
        }: Splice<'_>,
        viewer: &Viewer<'_>,
    ) -> Result<(), DocError> {
        reserved(field)?;
        let doc = self.doc_to_edit(collection, record)?;
        if !doc.any_masked(viewer) {
            // A deleted record's text too: a keystroke made as the delete
            // arrives is kept for its restoring.
            let obj = doc.record_object(record)?;
            let text = match doc.doc.get(&obj, field).map_err(am)? {
                Some((automerge::Value::Object(ObjType::Text), id)) => id,
                _ => return Err(DocError::NotText(field.to_owned())),
            };
            let end = splice_end(pos, delete, doc.doc.length(&text))?;
            if !doc.between_characters(&text, pos) || !doc.between_characters(&text, end) {
                return Err(DocError::SplitsCharacter { pos, delete });
            }
            return doc.splice_in_parts(&text, pos, delete, insert);
        }
        doc.splice_masked(
            viewer,
            record,
            field,
            Splice {
                pos,
                delete,
                insert,
            },
        )
    }

    /// Every value a field holds in the shared document (the winner first,
    /// then the values written at once with it), each with its writer: the
    /// key in the actor of the op that wrote it (an actor is its author's
    /// key and a session suffix; validation holds every change to that).
    /// Unmasked: what the owner's view shows is matched against it.
    pub fn field_writers(
        &mut self,
        collection: &str,
        record: &str,
        field: &str,
    ) -> Vec<(Value, PublicKey)> {
        let Some(doc) = self.docs.get_mut(&collection_id(collection)) else {
            return Vec::new();
        };
        doc.flush();
        let Ok(obj) = doc.record(record) else {
            return Vec::new();
        };
        field_values(&doc.doc, &obj, field)
            .into_iter()
            .filter_map(|(value, id)| {
                let ObjId::Id(_, actor, _) = id else {
                    return None;
                };
                let key: [u8; 32] = actor.to_bytes().get(..32)?.try_into().ok()?;
                Some((value, PublicKey(key)))
            })
            .collect()
    }

    /// A collection as the owner's policy sees it.
    pub fn collection(&mut self, name: &str, viewer: &Viewer<'_>) -> Collection {
        self.collection_of(collection_id(name), viewer)
    }

    /// One record of a collection as `viewer` sees it, read alone: a
    /// collection can hold thousands, and the page reads the one typed in
    /// at every change.
    pub fn record(&mut self, name: &str, record: &str, viewer: &Viewer<'_>) -> Option<Record> {
        self.docs.get_mut(&collection_id(name))?.read_as(
            viewer,
            |doc| read_direct_record(&doc.doc, record),
            |view| view.collection.records.get(record).cloned(),
        )
    }

    /// Every collection (by document id) as `viewer` sees it.
    pub fn all_collections(&mut self, viewer: &Viewer<'_>) -> Vec<(DocId, Collection)> {
        let ids: Vec<DocId> = self.docs.keys().copied().collect();
        ids.into_iter()
            .map(|id| (id, self.collection_of(id, viewer)))
            .collect()
    }

    /// Every document in Automerge's saved form (pending edits are closed
    /// into changes first, so none is lost from the unpublished list).
    pub(crate) fn save_all(&mut self) -> Vec<(DocId, Vec<u8>)> {
        self.docs
            .iter_mut()
            .map(|(id, state)| {
                state.flush();
                state.close();
                (*id, state.doc.save())
            })
            .collect()
    }

    /// Starts a document from its saved form, before any event is applied.
    /// The log's changes are applied on top as usual (those already in it
    /// are skipped by Automerge).
    pub(crate) fn load_saved(&mut self, id: DocId, saved: &[u8]) -> Result<(), DocError> {
        let options = automerge::LoadOptions::new().text_encoding(document::TEXT_ENCODING);
        let doc = AutoCommit::load_with_options(saved, options)
            .map_err(am)?
            .with_actor(self.actor.clone());
        let mut state = Doc::new(self.actor.clone());
        state.doc = doc;
        state.guard = None;
        self.docs.insert(id, state);
        Ok(())
    }

    /// Whether every document holds only changes the log carries (checked
    /// at its heads: validation makes the log carry every dependency).
    pub(crate) fn only_carried_changes(&mut self) -> bool {
        self.docs.values_mut().all(|state| {
            state.flush();
            let heads = state.doc.get_heads();
            heads.iter().all(|h| state.events.contains_key(h))
        })
    }

    fn collection_of(&mut self, id: DocId, viewer: &Viewer<'_>) -> Collection {
        let Some(doc) = self.docs.get_mut(&id) else {
            return Collection::default();
        };
        doc.read_as(
            viewer,
            |doc| doc.direct_reading().collection.clone(),
            |view| view.collection.clone(),
        )
    }

    /// The events whose changes touched `record` of `collection`, in the
    /// order the document took them in, each with what it did. A change
    /// carried by several events is given with the first.
    pub(crate) fn record_edits(
        &mut self,
        collection: &str,
        record: &str,
    ) -> Vec<(EventIx, history::RecordTouch)> {
        let Some(doc) = self.docs.get_mut(&collection_id(collection)) else {
            return Vec::new();
        };
        doc.flush();
        doc.sync_history();
        doc.history
            .record_edits(record)
            .into_iter()
            .filter_map(|(hash, touch)| {
                let ix = *doc.events.get(&hash)?.first()?;
                Some((ix, touch))
            })
            .collect()
    }

    /// [`record_edits`](Self::record_edits) of every record `collection`
    /// ever held, by record name.
    pub(crate) fn collection_edits(
        &mut self,
        collection: &str,
    ) -> Vec<(String, EventIx, history::RecordTouch)> {
        let names = match self.docs.get_mut(&collection_id(collection)) {
            Some(doc) => {
                doc.flush();
                doc.sync_history();
                doc.history.record_names()
            }
            None => return Vec::new(),
        };
        names
            .into_iter()
            .flat_map(|record| {
                self.record_edits(collection, &record)
                    .into_iter()
                    .map(move |(ix, touch)| (record.clone(), ix, touch))
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// What reading collection `name` from its history depends on besides
    /// which events count: the history's generation once every change
    /// applied is in it, and the events carrying its changes, in index
    /// order. `None` when there is no such collection.
    pub(crate) fn history_key(&mut self, name: &str) -> Option<(u64, Vec<EventIx>)> {
        let doc = self.docs.get_mut(&collection_id(name))?;
        doc.flush();
        doc.sync_history();
        let mut carriers: Vec<EventIx> = doc.events.values().flatten().copied().collect();
        carriers.sort_unstable();
        Some((doc.history.generation(), carriers))
    }

    /// [`collection_from_history`](Self::collection_from_history) as only
    /// published changes make it: a change no event carries yet (this
    /// replica's owner's, not yet committed) is left out with those the
    /// viewer leaves out. What another author's changes alone make must
    /// hold nothing the owner is still typing.
    pub(crate) fn published_collection_from_history(
        &mut self,
        name: &str,
        viewer: &Viewer<'_>,
    ) -> Collection {
        self.read_history(name, |doc| {
            let events = &doc.events;
            doc.history.collection(|hash: &ChangeHash| {
                events
                    .get(hash)
                    .is_none_or(|carriers| document::all_left_out(carriers, viewer))
            })
        })
    }

    /// `read` of the collection `name`'s document with its history brought
    /// up to date (an empty collection if there is none).
    fn read_history(&mut self, name: &str, read: impl FnOnce(&Doc) -> Collection) -> Collection {
        let Some(doc) = self.docs.get_mut(&collection_id(name)) else {
            return Collection::default();
        };
        doc.flush();
        doc.sync_history();
        read(doc)
    }

    /// The collection computed from the op history even when nothing is
    /// masked (tests hold it equal to Automerge's own state).
    pub fn collection_from_history(&mut self, name: &str, viewer: &Viewer<'_>) -> Collection {
        self.read_history(name, |doc| doc.history.collection(doc.masked(viewer)))
    }
}

/// Where a splice of `delete` units at `pos` ends in a text of `len`
/// units. Checked: `delete` may be anything a caller passes (usize::MAX
/// would wrap to a small end and delete the rest of the text).
pub(super) fn splice_end(pos: usize, delete: usize, len: usize) -> Result<usize, DocError> {
    pos.checked_add(delete)
        .filter(|end| *end <= len)
        .ok_or(DocError::OutOfRange { pos, delete, len })
}

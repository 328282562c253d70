//! Editing records and text through a replica, and when to commit.
//!
//! Every edit is pending until [`Replica::commit`] turns each edited
//! document's pending edits into one signed `Doc` event. A UI either calls
//! `commit` itself or calls [`Replica::commit_if_due`] after edits and on a
//! timer; [`Batching`] says when that commits (after so many edits, or once
//! the edits have stopped for a while).
//!
//! (Over 600 lines: the replica's whole record-editing surface, one short
//! method per operation over [`crate::doc::Documents`], with the reads the
//! page asks beside them; split, one API would be read in several files.)

use super::Replica;
use crate::doc::{Collection, DocError, Record, Scalar, Splice, Value, Viewer};
use crate::error::Error;
use crate::event::{Body, Event, EventId, Identity, PublicKey};
use crate::log::EventIx;
use crate::view::View;

/// Own `Doc` events signed but not applied yet, by the change each carries.
#[derive(Default)]
pub(crate) struct Carriers(rustc_hash::FxHashMap<(crate::event::DocId, [u8; 32]), EventId>);

impl Carriers {
    /// Adds `event` as its change's carrier; false if another event
    /// carries that change already (kept as it is), or it is no `Doc`
    /// event.
    pub(crate) fn add(&mut self, event: &Event) -> Result<bool, Error> {
        if let Body::Doc { doc, change } = event.body() {
            let change = crate::event::validate::decode_change(change)?;
            let key = (*doc, change.hash().0);
            if self.0.contains_key(&key) {
                return Ok(false);
            }
            self.0.insert(key, event.id());
            return Ok(true);
        }
        Ok(false)
    }

    fn get(&self, doc: crate::event::DocId, hash: &[u8; 32]) -> Option<EventId> {
        self.0.get(&(doc, *hash)).copied()
    }
}

/// When [`Replica::commit_if_due`] commits pending edits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Batching {
    /// Commit once this many edits are pending.
    pub max_edits: usize,
    /// Commit once no edit happened for this long (ms, the caller's clock).
    pub idle_ms: u64,
    /// Commit once the first pending edit was seen this long ago, even
    /// while edits go on (so collaborators see a typist's text as it is
    /// typed, not only when they pause).
    pub max_delay_ms: u64,
}

impl Default for Batching {
    /// 500 edits, 1 s of quiet or 5 s of typing: a typist's sentence, not
    /// a keystroke.
    fn default() -> Self {
        Batching {
            max_edits: 500,
            idle_ms: 1_000,
            max_delay_ms: 5_000,
        }
    }
}

/// Edits since the last commit, and when that count last changed.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct BatchState {
    pending: usize,
    /// Edits made since the replica was made: only grows.
    made: u64,
    seen: usize,
    changed_at: u64,
    /// When a call first saw edits pending since the last commit.
    first_seen_at: Option<u64>,
    policy: Option<Batching>,
}

impl Replica {
    /// Runs `f` over the documents with the owner's view as the viewer.
    fn as_owner<T>(&mut self, f: impl FnOnce(&mut crate::doc::Documents, &Viewer<'_>) -> T) -> T {
        let view = &self.view;
        let viewer = Viewer {
            included: &|ix| view.is_included(ix),
            generation: view.generation(),
        };
        f(&mut self.docs, &viewer)
    }

    fn edited(&mut self, result: Result<(), DocError>) -> Result<(), Error> {
        // Counted even when it failed: an edit of several steps may have
        // changed the document before a later step failed, and a reader
        // keyed on this count must read again.
        self.batching.made += 1;
        // Pending too if it left anything to publish (merges made before
        // its own checks refused it, or its earlier steps): else nothing
        // would commit them, and every snapshot saved meanwhile would hold
        // changes the log lacks (the review of 967e653).
        if result.is_ok() || self.docs.has_unpublished() {
            self.batching.pending += 1;
        }
        result?;
        Ok(())
    }

    /// Sets when [`commit_if_due`](Self::commit_if_due) commits.
    pub fn set_batching(&mut self, batching: Batching) {
        self.batching.policy = Some(batching);
    }

    /// Edits made since the last commit.
    pub fn pending_edits(&self) -> usize {
        self.batching.pending
    }

    /// Edits made or tried since this replica was made (committed or not,
    /// failed ones too): it only grows, so with the log's length it tells
    /// a reader whether the documents may have changed since it last read
    /// them.
    pub fn edits_made(&self) -> u64 {
        self.batching.made
    }

    /// The [`Batching`] in force.
    pub fn batching(&self) -> Batching {
        self.batching.policy.unwrap_or_default()
    }

    /// Whether the [`Batching`] policy says to commit at time `now` (ms):
    /// when `max_edits` are pending, or when edits are pending and none was
    /// made for `idle_ms`, or the first was seen `max_delay_ms` ago (times
    /// are measured between calls: call it after each edit and on a timer).
    pub fn commit_due(&mut self, now: u64) -> bool {
        let state = &mut self.batching;
        let policy = state.policy.unwrap_or_default();
        if state.pending == 0 {
            state.first_seen_at = None;
            return false;
        }
        let first = *state.first_seen_at.get_or_insert(now);
        if state.pending != state.seen {
            state.seen = state.pending;
            state.changed_at = now;
        }
        let idle = now.saturating_sub(state.changed_at) >= policy.idle_ms;
        let waited = now.saturating_sub(first) >= policy.max_delay_ms;
        // A clock set back since the edits were seen would otherwise hold
        // them for as long as it jumped: commit now.
        let went_back = now < first || now < state.changed_at;
        state.pending >= policy.max_edits || idle || waited || went_back
    }

    /// Commits if [`commit_due`](Self::commit_due) says so. Returns the
    /// events published, if any.
    pub fn commit_if_due(&mut self, identity: &Identity, now: u64) -> Result<Vec<Event>, Error> {
        if self.commit_due(now) {
            return self.commit(identity, now);
        }
        Ok(Vec::new())
    }

    /// Publishes the owner's pending document edits: one `Doc` event (one
    /// change, one signature) per document edited since the last commit.
    /// `identity` must be the owner's.
    pub fn commit(&mut self, identity: &Identity, time: u64) -> Result<Vec<Event>, Error> {
        let events = self.sign_commit(identity, time)?;
        for event in &events {
            self.insert(event.clone())?;
        }
        Ok(events)
    }

    /// [`commit`](Self::commit) without applying: the signed events, each
    /// following the one before, for the caller to store first and then
    /// [`insert`](Self::insert). The changes are in their documents already.
    pub fn sign_commit(&mut self, identity: &Identity, time: u64) -> Result<Vec<Event>, Error> {
        self.sign_commit_after(identity, time, &[])
    }

    /// [`sign_commit`](Self::sign_commit) following `earlier`: own events
    /// signed before and not inserted yet (their write is under way, or
    /// failed), in chain order. The changes they carry are left out (a
    /// change stays pending in its document until an event carrying it is
    /// applied), and a change depending on one of them names its carrier.
    pub fn sign_commit_after(
        &mut self,
        identity: &Identity,
        time: u64,
        earlier: &[Event],
    ) -> Result<Vec<Event>, Error> {
        if identity.public_key() != self.view.policy().me {
            return Err(Error::NotOwner);
        }
        self.batching.pending = 0;
        self.batching.seen = 0;
        self.batching.first_seen_at = None;
        let mut carried = Carriers::default();
        for event in earlier {
            carried.add(event)?;
        }
        let mut signed: Vec<Event> = Vec::new();
        for (doc, mut change) in self.docs.unpublished() {
            if carried.get(doc, &change.hash().0).is_some() {
                continue;
            }
            let deps = self.dependency_carriers(doc, &change, &carried);
            let body = Body::Doc {
                doc,
                change: change.bytes().into_owned(),
            };
            let after = signed.last().or(earlier.last());
            let draft = self.draft_with(&identity.public_key(), time, body, &deps, after)?;
            let event = self.network.sign(identity, draft);
            carried.add(&event)?;
            signed.push(event);
        }
        Ok(signed)
    }

    /// Signs `events` (own, signed but never applied) again so that they
    /// follow the own chain as it is now; same bodies and times. An event
    /// whose change the log carries already (another tab wrote it, or it
    /// was written at last under another signature) is left out: its
    /// change must not be published twice.
    pub fn sign_again(&self, identity: &Identity, events: &[Event]) -> Result<Vec<Event>, Error> {
        let mut carried = Carriers::default();
        let mut signed: Vec<Event> = Vec::new();
        for event in events {
            let Body::Doc { doc, change } = event.body() else {
                continue;
            };
            let change = crate::event::validate::decode_change(change)?;
            if self.docs.carries(*doc, &change.hash())
                || carried.get(*doc, &change.hash().0).is_some()
            {
                continue;
            }
            let deps = self.dependency_carriers(*doc, &change, &carried);
            let draft = self.draft_with(
                &identity.public_key(),
                event.time(),
                event.body().clone(),
                &deps,
                signed.last(),
            )?;
            let event = self.network.sign(identity, draft);
            carried.add(&event)?;
            signed.push(event);
        }
        Ok(signed)
    }

    /// Whether every `Doc` event of `events` carries a change no applied
    /// event carries yet (none of them is written already).
    pub(crate) fn none_carried(&self, events: &[Event]) -> Result<bool, Error> {
        for event in events {
            if let Body::Doc { doc, change } = event.body() {
                let change = crate::event::validate::decode_change(change)?;
                if self.docs.carries(*doc, &change.hash()) {
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// The events carrying the changes `change` depends on: applied ones,
    /// else among `signed` (own events not applied yet).
    fn dependency_carriers(
        &self,
        doc: crate::event::DocId,
        change: &automerge::Change,
        signed: &Carriers,
    ) -> Vec<EventId> {
        let applied: Vec<EventIx> = self.docs.dependency_events(doc, change);
        let mut deps: Vec<EventId> = applied
            .into_iter()
            .map(|ix| self.log.entry(ix).event().id())
            .collect();
        for dep in change.deps() {
            if let Some(id) = signed.get(doc, &dep.0)
                && !deps.contains(&id)
            {
                deps.push(id);
            }
        }
        deps
    }

    /// Creates an empty record in a collection (a pending edit until [`commit`](Self::commit)).
    pub fn create_record(&mut self, collection: &str, record: &str) -> Result<(), Error> {
        let result = self.as_owner(|docs, viewer| docs.create_record(collection, record, viewer));
        self.edited(result)
    }

    /// Deletes a record (pending until commit). It is kept, marked
    /// deleted, with the edits others make to it meanwhile: see
    /// [`restore_record`](Self::restore_record).
    pub fn delete_record(&mut self, collection: &str, record: &str) -> Result<(), Error> {
        let result = self.as_owner(|docs, viewer| docs.delete_record(collection, record, viewer));
        self.edited(result)
    }

    /// The records of `collection` deleted as the owner sees it (a delete
    /// by someone the owner bans does not count; a record whose maker the
    /// owner bans is not there to restore), by name, sorted: what
    /// [`restore_record`](Self::restore_record) brings back.
    pub fn deleted_records(&mut self, collection: &str) -> Vec<String> {
        let mut deleted = self.as_owner(|docs, viewer| docs.deleted_records(collection, viewer));
        deleted.sort();
        deleted
    }

    /// Shows a deleted record again, with everything in it now — the
    /// edits made to it since it was deleted too (pending until commit).
    pub fn restore_record(&mut self, collection: &str, record: &str) -> Result<(), Error> {
        let result = self.as_owner(|docs, viewer| docs.restore_record(collection, record, viewer));
        self.edited(result)
    }

    /// Makes a deleted record shown and empty again, in place, so that
    /// what others typed into it without having seen this still lands in
    /// it (pending until commit; see
    /// [`Documents::create_record_again`](crate::doc::Documents::create_record_again)).
    /// `NoRecord` if there is none of that name, `NotDeleted` if it is shown.
    pub fn create_record_again(&mut self, collection: &str, record: &str) -> Result<(), Error> {
        let result =
            self.as_owner(|docs, viewer| docs.create_record_again(collection, record, viewer));
        self.edited(result)
    }

    /// Sets a scalar field (pending until commit).
    pub fn set_field(
        &mut self,
        collection: &str,
        record: &str,
        field: &str,
        value: Scalar,
    ) -> Result<(), Error> {
        let result =
            self.as_owner(|docs, viewer| docs.set_field(collection, record, field, value, viewer));
        self.edited(result)
    }

    /// Deletes a field (pending until commit).
    pub fn delete_field(
        &mut self,
        collection: &str,
        record: &str,
        field: &str,
    ) -> Result<(), Error> {
        let result =
            self.as_owner(|docs, viewer| docs.delete_field(collection, record, field, viewer));
        self.edited(result)
    }

    /// Makes a field a text holding `text` (pending until commit).
    pub fn set_text(
        &mut self,
        collection: &str,
        record: &str,
        field: &str,
        text: &str,
    ) -> Result<(), Error> {
        let result =
            self.as_owner(|docs, viewer| docs.set_text(collection, record, field, text, viewer));
        self.edited(result)
    }

    /// Replaces `delete` UTF-16 code units at `pos` of a text field with
    /// `insert`; positions count as JavaScript strings do (an emoji outside
    /// the Basic Multilingual Plane is two), in the text as the owner sees
    /// it, and must lie between characters
    /// ([`DocError::SplitsCharacter`](crate::doc::DocError::SplitsCharacter)).
    pub fn splice_text(
        &mut self,
        collection: &str,
        record: &str,
        field: &str,
        pos: usize,
        delete: usize,
        insert: &str,
    ) -> Result<(), Error> {
        let splice = Splice {
            pos,
            delete,
            insert,
        };
        let result = self
            .as_owner(|docs, viewer| docs.splice_text(collection, record, field, splice, viewer));
        self.edited(result)
    }

    /// A collection as the owner's policy sees it (pending edits included).
    pub fn collection(&mut self, name: &str) -> Collection {
        self.as_owner(|docs, viewer| docs.collection(name, viewer))
    }

    /// A collection as another policy sees it.
    pub fn collection_under(&mut self, name: &str, view: &View) -> Collection {
        let viewer = Viewer {
            included: &|ix| view.is_included(ix),
            generation: view.generation(),
        };
        self.docs.collection_from_history(name, &viewer)
    }

    /// One record as `author`'s own changes make it, among those the
    /// owner's view includes: what that author wrote, whatever others
    /// wrote over it. (Edits inside an object someone else created go with
    /// that object.) For data only its subject may say, such as a
    /// person's name kept in a record named by their key.
    pub fn record_by(
        &mut self,
        collection: &str,
        record: &str,
        author: &PublicKey,
    ) -> Option<Record> {
        let view = &self.view;
        author_record(
            &mut self.docs,
            &self.log,
            collection,
            record,
            author,
            view.policy().me == *author,
            |ix| view.is_included(ix),
        )
    }

    /// What `author` says about themselves in `record` (their name, kept in
    /// a record named by their key): [`record_by`](Self::record_by), but
    /// counting the author's changes even when the owner's policy bans the
    /// author. A ban stops someone's payments and edits from counting; it
    /// does not make the page forget what they are called, or nobody could
    /// see whom they banned, unban them by name or tell two banned people
    /// apart. A change an exclusion the owner follows leaves out (an
    /// offensive name, say) still does not count.
    pub fn self_claim(
        &mut self,
        collection: &str,
        record: &str,
        author: &PublicKey,
    ) -> Option<Record> {
        let view = &self.view;
        author_record(
            &mut self.docs,
            &self.log,
            collection,
            record,
            author,
            view.policy().me == *author,
            |ix| counts_unless_excluded(view, ix),
        )
    }

    /// Every [`self_claim`](Self::self_claim) in `collection`: for each
    /// record named by a key (64 hex digits), what that key's owner wrote
    /// in it, banned or not. Kept while the collection's history, the
    /// events carrying it and which of them count stay the same: a page
    /// names people in every frame after every change, and a payment
    /// changes none of these (reading 200 people's names again was
    /// ≈ 13 ms of each frame with a year of history).
    pub fn self_claims(&mut self, collection: &str) -> Vec<(PublicKey, Record)> {
        let key = self
            .docs
            .history_key(collection)
            .map(|(generation, carriers)| ClaimsKey {
                collection: collection.to_owned(),
                generation,
                counted: carriers
                    .into_iter()
                    .map(|ix| (ix, counts_unless_excluded(&self.view, ix)))
                    .collect(),
            });
        if let (Some(key), Some(kept)) = (&key, &self.claims)
            && kept.key == *key
        {
            return kept.claims.clone();
        }
        let claims = self.read_self_claims(collection);
        self.claims = key.map(|key| KeptClaims {
            key,
            claims: claims.clone(),
        });
        claims
    }

    fn read_self_claims(&mut self, collection: &str) -> Vec<(PublicKey, Record)> {
        let view = &self.view;
        let counted = |ix| counts_unless_excluded(view, ix);
        let viewer = Viewer {
            included: &counted,
            // Read from the op history, which takes no cache key.
            generation: u64::MAX,
        };
        let ids: Vec<String> = self
            .docs
            .collection_from_history(collection, &viewer)
            .records
            .into_keys()
            .collect();
        ids.into_iter()
            .filter_map(|id| {
                let author = PublicKey::from_hex(&id)?;
                (author.to_hex() == id).then_some(())?;
                Some((author, self.self_claim(collection, &id, &author)?))
            })
            .collect()
    }

    /// Who changed `record` of `collection`, when, and which fields: one
    /// entry per published edit, oldest first (the order the document took
    /// them in), whether or not it counts in the owner's view.
    pub fn record_history(&mut self, collection: &str, record: &str) -> Vec<RecordEdit> {
        let edits = self.docs.record_edits(collection, record);
        edits
            .into_iter()
            .map(|(ix, touch)| self.record_edit(ix, touch))
            .collect()
    }

    /// The edits of `collection` that do not count in the owner's view,
    /// each with its record and why (its status: excluded by whose
    /// statements, or its author banned): what a notice says when a record
    /// changes because of someone else's exclusion or ban. Ordered by
    /// record, then as the document took them in.
    pub fn uncounted_edits(&mut self, collection: &str) -> Vec<EditOfRecord> {
        self.collection_edits_where(collection, |replica, ix| !replica.view.is_included(ix))
    }

    /// The edits of `collection` that `events` made, each with its record
    /// (an event that touched several records gives one for each; one that
    /// is no edit of this collection, or unknown, gives none): how a page
    /// names the edits two views disagree on, which a comparison gives as
    /// events. Ordered as [`uncounted_edits`](Self::uncounted_edits).
    pub fn edits_among(&mut self, collection: &str, events: &[EventId]) -> Vec<EditOfRecord> {
        let wanted: std::collections::HashSet<EventIx> =
            events.iter().filter_map(|id| self.log.ix(id)).collect();
        if wanted.is_empty() {
            return Vec::new();
        }
        self.collection_edits_where(collection, |_, ix| wanted.contains(&ix))
    }

    /// The edits of `collection` whose event `keep` takes, with their records.
    fn collection_edits_where(
        &mut self,
        collection: &str,
        keep: impl Fn(&Replica, EventIx) -> bool,
    ) -> Vec<EditOfRecord> {
        let edits = self.docs.collection_edits(collection);
        edits
            .into_iter()
            .filter(|(_, ix, _)| keep(self, *ix))
            .map(|(record, ix, touch)| EditOfRecord {
                record,
                edit: self.record_edit(ix, touch),
            })
            .collect()
    }

    /// The edit the `Doc` event at `ix` made (`touch`), as the owner sees it.
    fn record_edit(&self, ix: EventIx, touch: crate::doc::RecordTouch) -> RecordEdit {
        let event = self.log.entry(ix).event();
        RecordEdit {
            event: event.id(),
            author: event.author(),
            time: event.time(),
            made: touch.made,
            deleted: touch.deleted,
            restored: touch.restored,
            fields: touch.fields.into_iter().collect(),
            status: self.view.status(&self.log, ix),
        }
    }

    /// One record as the owner sees it.
    pub fn record(&mut self, collection: &str, record: &str) -> Option<Record> {
        self.as_owner(|docs, viewer| docs.record(collection, record, viewer))
    }

    /// The concurrent values of a field that did not win, as the owner sees it.
    pub fn conflicts(&mut self, collection: &str, record: &str, field: &str) -> Vec<Value> {
        self.record(collection, record)
            .and_then(|mut r| r.fields.remove(field))
            .map(|f| f.conflicts)
            .unwrap_or_default()
    }

    /// Who wrote each value of a field: the values written at once are
    /// kept as conflicts, and a person choosing between them needs to know
    /// whose each is. Every value in the shared document, winner first,
    /// with its writer (see [`Documents::field_writers`](crate::doc::Documents::field_writers)).
    pub fn field_writers(
        &mut self,
        collection: &str,
        record: &str,
        field: &str,
    ) -> Vec<(Value, PublicKey)> {
        self.docs.field_writers(collection, record, field)
    }

    /// What a person sees now, to show before the log loads next time (see
    /// [`CachedState`](crate::snapshot::CachedState)).
    pub fn cached_state(&mut self, saved_at: u64) -> crate::snapshot::CachedState {
        let view = &self.view;
        let viewer = Viewer {
            included: &|ix| view.is_included(ix),
            generation: view.generation(),
        };
        let collections = self.docs.all_collections(&viewer);
        let balances = self
            .view
            .ledger()
            .balances(&self.log)
            .into_iter()
            .map(|(account, unit, balance)| (account, unit.to_owned(), balance))
            .collect();
        crate::snapshot::CachedState {
            events: self.log.len() as u64,
            saved_at,
            balances,
            collections,
        }
    }

    /// Every document in Automerge's saved form.
    pub(crate) fn saved_docs(&mut self) -> Vec<(crate::event::DocId, Vec<u8>)> {
        self.docs.save_all()
    }

    /// Starts from saved documents; call before any event is inserted.
    /// Returns how many loaded (one that does not load is left out).
    pub(crate) fn load_saved_docs<B: AsRef<[u8]>>(
        &mut self,
        saved: &[(crate::event::DocId, B)],
    ) -> usize {
        saved
            .iter()
            .filter(|(id, bytes)| self.docs.load_saved(*id, bytes.as_ref()).is_ok())
            .count()
    }

    /// Whether the documents hold only changes the log carries.
    pub(crate) fn documents_match_log(&mut self) -> bool {
        self.docs.only_carried_changes()
    }

    /// Document changes carried by valid events that Automerge refused.
    pub fn document_errors(&mut self) -> Vec<(EventId, DocError)> {
        let mut out = Vec::new();
        for (hash, error) in self.docs.refused() {
            if let Some(ix) = self.log.change_carrier(&hash.0) {
                out.push((self.log.entry(ix).event().id(), error));
            }
        }
        out
    }
}

/// Whether an event counts for a self-claim: included, or left out only
/// because its author is banned (no exclusion backs leaving it out).
fn counts_unless_excluded(view: &View, ix: EventIx) -> bool {
    view.is_included(ix) || view.backers_of(ix).next().is_none()
}

/// One record as `author`'s own changes make it, among the events `counts`
/// lets through ([`Replica::record_by`], [`Replica::self_claim`]).
fn author_record(
    docs: &mut crate::doc::Documents,
    log: &crate::Log,
    collection: &str,
    record: &str,
    author: &PublicKey,
    owner_is_author: bool,
    counts: impl Fn(EventIx) -> bool,
) -> Option<Record> {
    let included = |ix| log.entry(ix).event().author() == *author && counts(ix);
    let viewer = Viewer {
        included: &included,
        // Read from the op history, which takes no cache key; one apart
        // from any view's (small counters) all the same.
        generation: u64::MAX,
    };
    // The owner's changes not yet published are the owner's: they count in
    // the owner's own record (a name shows as it is typed), and in no one
    // else's (they showed as that person's name until committed).
    let mut read = if owner_is_author {
        docs.collection_from_history(collection, &viewer)
    } else {
        docs.published_collection_from_history(collection, &viewer)
    };
    read.records.remove(record)
}

/// One published edit of a record ([`Replica::record_history`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordEdit {
    /// The `Doc` event carrying it.
    pub event: crate::EventId,
    /// Who signed it.
    pub author: PublicKey,
    /// When its author says it was made (milliseconds since 1970).
    pub time: u64,
    /// It made the record.
    pub made: bool,
    /// It deleted the record.
    pub deleted: bool,
    /// It restored the record after a delete
    /// ([`Replica::restore_record`]).
    pub restored: bool,
    /// The fields it set, deleted or typed into, sorted.
    pub fields: Vec<String>,
    /// Whether it counts in the owner's view, and if not, why.
    pub status: crate::explain::Status,
}

impl RecordEdit {
    /// It counts in the owner's view.
    pub fn counts(&self) -> bool {
        self.status == crate::explain::Status::Included
    }
}

/// An edit of a collection, with the record it touched
/// ([`Replica::uncounted_edits`], [`Replica::edits_among`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EditOfRecord {
    /// The record it touched.
    pub record: String,
    /// What it did, and whether it counts in the owner's view (and if not, why).
    pub edit: RecordEdit,
}

/// What [`Replica::self_claims`] read a collection's claims from: its
/// name, its history's generation, and each event carrying it with
/// whether it counted.
#[derive(Debug, PartialEq, Eq)]
struct ClaimsKey {
    collection: String,
    generation: u64,
    counted: Vec<(EventIx, bool)>,
}

/// The claims last read, with what they were read from.
#[derive(Debug)]
pub(crate) struct KeptClaims {
    key: ClaimsKey,
    claims: Vec<(PublicKey, Record)>,
}

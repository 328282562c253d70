//! A replica: one log plus the view of its owner's policy, kept in step.
//!
//! This is the whole platform-free state of a node. It does no I/O: the
//! caller passes in bytes, the clock and the signing identity.

use crate::doc::{Collection, DocError, Documents, Record, Scalar, Splice, Value, Viewer};
use crate::error::Error;
use crate::event::validate::MAX_PARENTS;
use crate::event::{Body, Draft, Event, EventId, Identity, PublicKey};
use crate::explain::{Comparison, compare};
use crate::log::{Insertion, Log, LogError};
use crate::policy::Policy;
use crate::view::View;

/// A log and its owner's view. See the [module docs](self).
#[derive(Debug)]
pub struct Replica {
    log: Log,
    view: View,
    docs: Documents,
    doc_errors: Vec<(EventId, DocError)>,
}

impl Replica {
    /// An empty replica seen through `policy`.
    pub fn new(policy: Policy) -> Replica {
        Replica::from_log(Log::new(), policy)
    }

    /// A replica over an existing log (computes the view from scratch).
    pub fn from_log(log: Log, policy: Policy) -> Replica {
        let mut docs = Documents::new(policy.me);
        let mut doc_errors = Vec::new();
        for (ix, entry) in log.entries().iter().enumerate() {
            if let Body::Doc { doc, change } = entry.event().body()
                && let Err(e) = docs.apply(ix as u32, *doc, change)
            {
                doc_errors.push((entry.event().id(), e));
            }
        }
        let view = View::new(&log, policy);
        Replica {
            log,
            view,
            docs,
            doc_errors,
        }
    }

    /// Decodes, verifies, validates and applies an event received as bytes.
    pub fn ingest(&mut self, bytes: &[u8]) -> Result<Insertion, Error> {
        let event = Event::from_bytes(bytes)?;
        Ok(self.insert(event)?)
    }

    /// Applies a verified event (see [`Log::insert`]) and updates the view.
    pub fn insert(&mut self, event: Event) -> Result<Insertion, LogError> {
        let insertion = self.log.insert(event)?;
        if !insertion.applied.is_empty() {
            self.view.update(&self.log);
        }
        for &ix in &insertion.applied {
            let event = self.log.entry(ix).event();
            if let Body::Doc { doc, change } = event.body()
                && let Err(e) = self.docs.apply(ix, *doc, change)
            {
                self.doc_errors.push((event.id(), e));
            }
        }
        Ok(insertion)
    }

    /// The draft of `author`'s next event: the next seq, and as parents the
    /// current heads plus the two events validity needs as direct parents
    /// (the author's previous event and the referenced event).
    pub fn draft(&self, author: &PublicKey, time: u64, body: Body) -> Result<Draft, Error> {
        self.draft_with(author, time, body, &[])
    }

    fn draft_with(
        &self,
        author: &PublicKey,
        time: u64,
        body: Body,
        required: &[EventId],
    ) -> Result<Draft, Error> {
        let mut parents = Vec::with_capacity(MAX_PARENTS);
        let last = self.log.last_by(author);
        parents.extend(last.map(Event::id));
        parents.extend_from_slice(required);
        if let Some(reference) = body.reference() {
            if !self.log.contains(&reference) {
                return Err(Error::UnknownReference(reference));
            }
            parents.push(reference);
        }
        for head in self.log.heads() {
            if parents.len() >= MAX_PARENTS {
                break;
            }
            if !parents.contains(head) {
                parents.push(*head);
            }
        }
        Ok(Draft {
            seq: last.map_or(1, |e| e.seq() + 1),
            parents,
            time,
            body,
        })
    }

    /// Signs and applies a new local event. Nothing is stored if it is invalid.
    pub fn publish(&mut self, identity: &Identity, time: u64, body: Body) -> Result<Event, Error> {
        let draft = self.draft(&identity.public_key(), time, body)?;
        let event = identity.sign(draft);
        self.insert(event.clone())?;
        Ok(event)
    }

    /// Publishes the owner's pending document edits: one `Doc` event (one
    /// change, one signature) per document edited since the last commit.
    /// `identity` must be the owner's.
    pub fn commit(&mut self, identity: &Identity, time: u64) -> Result<Vec<Event>, Error> {
        if identity.public_key() != self.view.policy().me {
            return Err(Error::NotOwner);
        }
        let mut published = Vec::new();
        for (doc, mut change) in self.docs.unpublished() {
            let deps: Vec<EventId> = self
                .docs
                .dependency_events(doc, &change)
                .into_iter()
                .map(|ix| self.log.entry(ix).event().id())
                .collect();
            let body = Body::Doc {
                doc,
                change: change.bytes().into_owned(),
            };
            let draft = self.draft_with(&identity.public_key(), time, body, &deps)?;
            let event = identity.sign(draft);
            self.insert(event.clone())?;
            published.push(event);
        }
        Ok(published)
    }

    /// Creates an empty record in a collection (a pending edit until [`commit`](Self::commit)).
    pub fn create_record(&mut self, collection: &str, record: &str) -> Result<(), Error> {
        Ok(self.docs.create_record(collection, record)?)
    }

    /// Deletes a record (pending until commit).
    pub fn delete_record(&mut self, collection: &str, record: &str) -> Result<(), Error> {
        Ok(self.docs.delete_record(collection, record)?)
    }

    /// Sets a scalar field (pending until commit).
    pub fn set_field(
        &mut self,
        collection: &str,
        record: &str,
        field: &str,
        value: Scalar,
    ) -> Result<(), Error> {
        Ok(self.docs.set_field(collection, record, field, value)?)
    }

    /// Deletes a field (pending until commit).
    pub fn delete_field(
        &mut self,
        collection: &str,
        record: &str,
        field: &str,
    ) -> Result<(), Error> {
        Ok(self.docs.delete_field(collection, record, field)?)
    }

    /// Makes a field a text holding `text` (pending until commit).
    pub fn set_text(
        &mut self,
        collection: &str,
        record: &str,
        field: &str,
        text: &str,
    ) -> Result<(), Error> {
        Ok(self.docs.set_text(collection, record, field, text)?)
    }

    /// Replaces `delete` characters at `pos` of a text field with `insert`;
    /// positions count characters of the text as the owner sees it.
    pub fn splice_text(
        &mut self,
        collection: &str,
        record: &str,
        field: &str,
        pos: usize,
        delete: usize,
        insert: &str,
    ) -> Result<(), Error> {
        let view = &self.view;
        let viewer = Viewer {
            included: &|ix| view.is_included(ix),
            generation: view.generation(),
        };
        let splice = Splice {
            pos,
            delete,
            insert,
        };
        Ok(self
            .docs
            .splice_text(collection, record, field, splice, &viewer)?)
    }

    /// A collection as the owner's policy sees it (pending edits included).
    pub fn collection(&mut self, name: &str) -> Collection {
        let view = &self.view;
        let viewer = Viewer {
            included: &|ix| view.is_included(ix),
            generation: view.generation(),
        };
        self.docs.collection(name, &viewer)
    }

    /// A collection as another policy sees it.
    pub fn collection_under(&mut self, name: &str, view: &View) -> Collection {
        let viewer = Viewer {
            included: &|ix| view.is_included(ix),
            generation: view.generation(),
        };
        self.docs.collection_from_history(name, &viewer)
    }

    /// One record as the owner sees it.
    pub fn record(&mut self, collection: &str, record: &str) -> Option<Record> {
        self.collection(collection).records.remove(record)
    }

    /// The concurrent values of a field that did not win, as the owner sees it.
    pub fn conflicts(&mut self, collection: &str, record: &str, field: &str) -> Vec<Value> {
        self.record(collection, record)
            .and_then(|mut r| r.fields.remove(field))
            .map(|f| f.conflicts)
            .unwrap_or_default()
    }

    /// Document changes carried by valid events that Automerge refused.
    pub fn document_errors(&mut self) -> Vec<(EventId, DocError)> {
        let mut out = self.doc_errors.clone();
        for (hash, error) in self.docs.refused() {
            if let Some(ix) = self.log.change_carrier(&hash.0) {
                out.push((self.log.entry(ix).event().id(), error));
            }
        }
        out
    }

    /// The log.
    pub fn log(&self) -> &Log {
        &self.log
    }

    /// The owner's view.
    pub fn view(&self) -> &View {
        &self.view
    }

    /// Changes the owner's policy (incrementally where possible).
    pub fn set_policy(&mut self, policy: Policy) {
        self.view.set_policy(&self.log, policy);
    }

    /// The view another policy would give over the same events.
    pub fn view_under(&self, policy: Policy) -> View {
        View::new(&self.log, policy)
    }

    /// What changes between the owner's view and another policy's.
    pub fn compare_with(&self, policy: Policy) -> Comparison {
        compare(&self.log, &self.view, &self.view_under(policy))
    }
}

//! The log: an in-memory hash DAG of verified events.
//!
//! Events enter through [`Log::insert`], which is idempotent. An event whose
//! parents are not all present waits in a bounded pending buffer and is
//! applied (and validated against its parents) as soon as the last one
//! arrives, never earlier. Entries are numbered in insertion order
//! ([`EventIx`]); since parents always precede children, that order is a
//! topological order of the DAG.
//!
//! Longer than most files here on purpose: every index below is updated in
//! the one `append`, and the walks over the DAG (`beyond`, ancestry) read
//! them; apart they would be easy to let drift.
//!
//! The log also keeps the policy-independent indexes the view needs: each
//! author's events, the statements that target an event, the latest trust
//! statements, and equivocation proofs (two events by one author with one
//! `seq`).

use crate::event::validate::{
    ContextError, EventError, decode_change, doc_change, validate_chain, validate_doc_dependencies,
    validate_doc_dependencies_of, validate_form, validate_form_decoding, validate_references,
};
use crate::event::{Body, DocId, Event, EventId, PublicKey, TrustLevel};
use automerge::Change;
use rustc_hash::{FxHashMap, FxHashSet};
use thiserror::Error;

/// An applied `Doc` event's change as the log decoded it: the event, its
/// document, the change ([`Log::insert_with_changes`]).
pub(crate) type DocChange = (EventIx, DocId, Change);

/// Position of an event in its log (insertion order, a topological order).
pub type EventIx = u32;
/// Interned unit name.
pub type UnitIx = u32;
/// Interned account (a key that paid or was paid): what a view's ledger
/// is keyed by, since a fold hashes it twice per transfer and four bytes
/// hash in a step where a 32-byte key takes eight (the Agreement panel
/// folds the log once per person).
pub type AccountIx = u32;

/// The least room for new events an open reserves past the stored ones
/// ([`Log::reserve`]).
const ROOM_AFTER_OPEN: usize = 64;

/// Default bound of the pending buffer, in events.
pub const DEFAULT_PENDING_EVENTS: usize = 10_000;
/// Default bound of the pending buffer, in bytes.
pub const DEFAULT_PENDING_BYTES: usize = 64 * 1024 * 1024;

/// Why the log refused an event.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LogError {
    /// The event breaks a rule that needs nothing but the event (see
    /// [`validate_form`]); only events signed locally can get here, since
    /// [`Event::from_bytes`] already refuses them.
    /// Code: the wrapped error's.
    #[error("event {id:?} is malformed: {error}")]
    Malformed {
        /// The refused event.
        id: EventId,
        /// The broken rule.
        error: EventError,
    },
    /// The event breaks a rule that depends on its parents.
    /// Code: the wrapped error's.
    #[error("event {id:?} is invalid: {error}")]
    Invalid {
        /// The refused event.
        id: EventId,
        /// The broken rule.
        error: ContextError,
    },
    /// The pending buffer is full; the event was not kept.
    /// Code `pending_full`.
    #[error("pending buffer is full ({events} events)")]
    PendingFull {
        /// Events waiting.
        events: usize,
    },
}

impl LogError {
    /// The stable code of this error: snake_case, unique among the crate's
    /// codes, named in each variant's doc (a wrapping variant gives the
    /// wrapped error's).
    pub fn code(&self) -> &'static str {
        match self {
            LogError::Malformed { error, .. } => error.code(),
            LogError::Invalid { error, .. } => error.code(),
            LogError::PendingFull { .. } => "pending_full",
        }
    }
}

/// Two valid events by one author with one `seq`: the author's key was used
/// in two places at once. A log keeps one per (author, seq) — the two
/// smallest ids — so proofs are equal as structures on every node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForkProof {
    /// The forked author.
    pub author: PublicKey,
    /// The shared seq.
    pub seq: u64,
    /// The smaller of the two ids (canonical: every node states a fork
    /// the same way, whatever the arrival order).
    pub first: EventId,
    /// The larger id.
    pub second: EventId,
}

/// What an insertion did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Insertion {
    /// Events applied, in order: the event itself and any pending events it released.
    pub applied: Vec<EventIx>,
    /// Released pending events that turned out invalid (and their waiting descendants).
    pub rejected: Vec<(EventId, ContextError)>,
    /// Fork proofs this insertion created or changed.
    pub forks: Vec<ForkProof>,
    /// The event waits for missing parents.
    pub pending: bool,
    /// The event was already in the log or pending.
    pub duplicate: bool,
}

/// A transfer's interned unit, payer (its author) and payee.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parties {
    /// The unit.
    pub unit: UnitIx,
    /// Who paid: the transfer's author.
    pub from: AccountIx,
    /// Who was paid.
    pub to: AccountIx,
}

/// One stored event plus what the log knows about its neighbours.
#[derive(Clone, Debug)]
pub struct Entry {
    event: Event,
    parents: Box<[EventIx]>,
    reference: Option<EventIx>,
    /// For a transfer: its interned unit, payer and payee.
    transfer: Option<Parties>,
    /// For a `Doc` event, the hash of the Automerge change it carries.
    change: Option<[u8; 32]>,
    targeted_by: Vec<EventIx>,
}

impl Entry {
    /// The event.
    pub fn event(&self) -> &Event {
        &self.event
    }
    /// The event's parents.
    pub fn parents(&self) -> &[EventIx] {
        &self.parents
    }
    /// The event it refers to (statement or retraction target, reversed transfer).
    pub fn reference(&self) -> Option<EventIx> {
        self.reference
    }
    /// For a transfer, its interned unit.
    pub fn unit(&self) -> Option<UnitIx> {
        self.transfer.map(|t| t.unit)
    }
    /// For a transfer, its interned unit and accounts.
    pub fn parties(&self) -> Option<Parties> {
        self.transfer
    }
    /// For a `Doc` event, the hash of the Automerge change it carries.
    pub fn change_hash(&self) -> Option<[u8; 32]> {
        self.change
    }
    /// Exclusions, disputes and retractions that name this event.
    pub fn targeted_by(&self) -> &[EventIx] {
        &self.targeted_by
    }
}

#[derive(Clone, Debug, Default)]
struct AuthorLog {
    events: Vec<EventIx>,
    by_seq: FxHashMap<u64, EventIx>,
    last: Option<EventIx>,
    forked: bool,
}

#[derive(Clone, Debug)]
struct Pending {
    events: FxHashMap<EventId, (Event, usize)>,
    waiting: FxHashMap<EventId, Vec<EventId>>,
    bytes: usize,
    max_events: usize,
    max_bytes: usize,
}

/// An in-memory hash DAG of verified events. See the [module docs](self).
#[derive(Clone, Debug)]
pub struct Log {
    entries: Vec<Entry>,
    index: FxHashMap<EventId, EventIx>,
    /// Unordered: a set with as many heads as active authors (1,000 in the
    /// open benchmark) is updated at every append, and a B-tree's 32-byte
    /// comparisons cost ≈ 0.1 s per 100,000 appends in wasm; readers sort.
    heads: FxHashSet<EventId>,
    authors: FxHashMap<PublicKey, AuthorLog>,
    /// Every account paid or paying, by [`AccountIx`].
    account_keys: Vec<PublicKey>,
    account_index: FxHashMap<PublicKey, AccountIx>,
    /// By [`AccountIx`]: the transfers it paid or received.
    account_transfers: Vec<Vec<EventIx>>,
    units: Vec<String>,
    unit_index: FxHashMap<String, UnitIx>,
    /// author → subject → the causally latest statements (an antichain).
    trust: FxHashMap<PublicKey, FxHashMap<PublicKey, Vec<EventIx>>>,
    trust_statements: usize,
    /// Automerge change hash → the first `Doc` event carrying it.
    changes: FxHashMap<[u8; 32], EventIx>,
    forks: Vec<ForkProof>,
    /// Sealed events that count for nothing, in insertion order.
    voids: Vec<EventIx>,
    pending: Pending,
}

impl Default for Log {
    fn default() -> Self {
        Log::with_pending_limits(DEFAULT_PENDING_EVENTS, DEFAULT_PENDING_BYTES)
    }
}

/// Orders a batch of events so that each comes after its parents within the
/// batch (parents outside it impose nothing). Inserting a large batch in
/// this order never fills the pending buffer — a store returns events in key
/// order, which is random. Linear in the batch and its parent links.
pub fn causal_order(events: Vec<Event>) -> Vec<Event> {
    let position: FxHashMap<EventId, usize> = events
        .iter()
        .enumerate()
        .map(|(i, e)| (e.id(), i))
        .collect();
    let mut waiting_on = vec![0usize; events.len()];
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); events.len()];
    for (i, event) in events.iter().enumerate() {
        for parent in event.parents() {
            if let Some(&p) = position.get(parent) {
                waiting_on[i] += 1;
                children[p].push(i);
            }
        }
    }
    let mut ready: Vec<usize> = (0..events.len()).filter(|&i| waiting_on[i] == 0).collect();
    let mut order = Vec::with_capacity(events.len());
    while let Some(i) = ready.pop() {
        order.push(i);
        for &child in &children[i] {
            waiting_on[child] -= 1;
            if waiting_on[child] == 0 {
                ready.push(child);
            }
        }
    }
    // Ids are hashes of content naming the parents: no cycle, so every
    // event is ordered. Duplicates of one id keep their place after the first.
    let mut slots: Vec<Option<Event>> = events.into_iter().map(Some).collect();
    let mut out: Vec<Event> = order.into_iter().filter_map(|i| slots[i].take()).collect();
    out.extend(slots.into_iter().flatten());
    out
}

/// Whether every event of `events` comes after those of its parents that
/// are among them — what [`causal_order`] would make, checked in one pass
/// (one hash insert an event, no reordering).
pub fn in_causal_order(events: &[Event]) -> bool {
    let mut read: FxHashSet<EventId> = FxHashSet::default();
    // Parents named before they were read: the order is causal if none of
    // them is among the events at all.
    let mut named_early: Vec<EventId> = Vec::new();
    for event in events {
        let parents = event.parents().iter();
        named_early.extend(parents.filter(|p| !read.contains(*p)));
        read.insert(event.id());
    }
    !named_early.iter().any(|p| read.contains(p))
}

impl Log {
    /// An empty log with default pending limits.
    pub fn new() -> Log {
        Log::default()
    }

    /// An empty log whose pending buffer holds at most `events` events and `bytes` bytes.
    pub fn with_pending_limits(events: usize, bytes: usize) -> Log {
        Log {
            entries: Vec::new(),
            index: FxHashMap::default(),
            heads: FxHashSet::default(),
            authors: FxHashMap::default(),
            account_keys: Vec::new(),
            account_index: FxHashMap::default(),
            account_transfers: Vec::new(),
            units: Vec::new(),
            unit_index: FxHashMap::default(),
            trust: FxHashMap::default(),
            trust_statements: 0,
            changes: FxHashMap::default(),
            forks: Vec::new(),
            voids: Vec::new(),
            pending: Pending {
                events: FxHashMap::default(),
                waiting: FxHashMap::default(),
                bytes: 0,
                max_events: events,
                max_bytes: bytes,
            },
        }
    }

    /// Makes room for `additional` more events at once — an open about to
    /// insert a whole store: one allocation each for the entries and the
    /// index, where growing them one event at a time copies the entries
    /// (≈ 350 bytes each) and rehashes the index at every doubling, and
    /// holds both the old and the new at once.
    ///
    /// A sixteenth more entries (at least 64) are reserved for the events
    /// that come next: with room for exactly the stored ones, the first
    /// event made or received after an open moves every entry to a new
    /// array (≈ 13 MB for 100,000 events, ≈ 30 ms of a page's thread in
    /// the click that paid). A quarter more held 5.8 MB more of a year of
    /// history's wasm memory (110 MB after the open); a sixteenth is
    /// 6,250 events of room, more than a day's. The index, a hash table,
    /// has room to spare already (its buckets are a power of two) except
    /// at its exact capacity: one more is enough, where a quarter more
    /// doubled it for nothing at a year of history (≈ 5 MB; found in
    /// review).
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.entries
            .reserve(additional + (additional / 16).max(ROOM_AFTER_OPEN));
        self.index.reserve(additional + 1);
    }

    /// How many events the log holds room for without moving its entries.
    pub fn capacity(&self) -> usize {
        self.entries.capacity()
    }

    /// Adds a verified event. Idempotent: a known event is reported as a
    /// duplicate. An event with missing parents waits (bounded) and is applied
    /// when they arrive. An event that breaks a rule is refused and changes nothing.
    pub fn insert(&mut self, event: Event) -> Result<Insertion, LogError> {
        self.insert_with_changes(event)
            .map(|(insertion, _)| insertion)
    }

    /// [`insert`](Self::insert), also handing back the change of each
    /// applied `Doc` event as the log decoded it, so the documents take it
    /// in without decoding it again.
    pub(crate) fn insert_with_changes(
        &mut self,
        event: Event,
    ) -> Result<(Insertion, Vec<DocChange>), LogError> {
        let id = event.id();
        let mut changes = Vec::new();
        let mut out = Insertion::default();
        if self.index.contains_key(&id) || self.pending.events.contains_key(&id) {
            out.duplicate = true;
            return Ok((out, changes));
        }
        // A document change is decoded once, here: its rules, its
        // dependencies, its hash and the documents all take this decoding,
        // which is most of what inserting a change costs.
        let change =
            validate_form_decoding(&event).map_err(|error| LogError::Malformed { id, error })?;
        let missing: Vec<EventId> = event
            .parents()
            .iter()
            .filter(|p| !self.index.contains_key(p))
            .copied()
            .collect();
        if !missing.is_empty() {
            self.park(event, missing)?;
            out.pending = true;
            return Ok((out, changes));
        }
        let event = match self.check(event, change.as_ref()) {
            Ok(event) => event,
            Err(error) => {
                // Whatever waits on a refused event can never apply either.
                self.drop_descendants(id, &mut out);
                return Err(LogError::Invalid { id, error });
            }
        };
        self.append(event, change, &mut out, &mut changes);
        self.release(id, &mut out, &mut changes);
        Ok((out, changes))
    }

    /// Would [`insert`](Self::insert) accept this event now (apply it or
    /// keep it pending) *and count it*? Changes nothing; lets a caller
    /// persist an event of its own before applying it. Stricter than
    /// `insert` for sealed events: a body rule broken against the parents,
    /// which would make a received sealed event void, is an error here, so
    /// a node never publishes an event that counts for nothing.
    pub fn admits(&self, event: &Event) -> Result<(), LogError> {
        let id = event.id();
        if self.index.contains_key(&id) || self.pending.events.contains_key(&id) {
            return Ok(());
        }
        validate_form(event).map_err(|error| LogError::Malformed { id, error })?;
        // `validate_form` lets a sealed event's void verdict through; an
        // event of one's own was never opened, so a void body is what its
        // author *said* (others open it as `malformed_body`).
        if event.void().is_some() {
            return Err(LogError::Malformed {
                id,
                error: EventError::VoidBody,
            });
        }
        if event.parents().iter().all(|p| self.index.contains_key(p)) {
            self.check_strict(event)
                .map_err(|error| LogError::Invalid { id, error })?;
        } else if self.pending.events.len() >= self.pending.max_events
            || self.pending.bytes + event.bytes().len() > self.pending.max_bytes
        {
            return Err(LogError::PendingFull {
                events: self.pending.events.len(),
            });
        }
        Ok(())
    }

    /// Would `event` be valid applied after `earlier` — valid events not in
    /// the log yet (the events before it in a batch)? Every parent must be
    /// in the log or in `earlier`. Lets a caller validate a whole batch
    /// against parents before storing any of it. A sealed event that
    /// breaks only a body rule is valid (it will be void): only the chain
    /// rules can refuse it.
    pub fn check_after(
        &self,
        event: &Event,
        earlier: &FxHashMap<EventId, Event>,
    ) -> Result<(), LogError> {
        let id = event.id();
        validate_form(event).map_err(|error| LogError::Malformed { id, error })?;
        let parent = |p: &EventId| self.get(p).or_else(|| earlier.get(p));
        let invalid = |error| LogError::Invalid { id, error };
        validate_chain(event, parent).map_err(invalid)?;
        if event.is_sealed() {
            return Ok(());
        }
        validate_references(event, parent)
            .and_then(|()| {
                validate_doc_dependencies(event, |p| match parent(p)?.body() {
                    Body::Doc { doc, change } => match self.ix(p) {
                        Some(ix) => Some((*doc, self.entries[ix as usize].change?)),
                        None => Some((*doc, decode_change(change).ok()?.hash().0)),
                    },
                    _ => None,
                })
            })
            .map_err(invalid)
    }

    /// The event as it enters the log: refused if it breaks a rule
    /// against its parents, except that a sealed event breaking a body rule
    /// enters void (see [`crate::event::sealed`]).
    fn check(&self, event: Event, change: Option<&Change>) -> Result<Event, ContextError> {
        validate_chain(&event, |id| self.get(id))?;
        match self.check_body(&event, change) {
            Ok(()) => Ok(event),
            Err(error) if event.is_sealed() => Ok(event.into_void(error.code())),
            Err(error) => Err(error),
        }
    }

    /// Every rule against the parents, whatever the event's format.
    fn check_strict(&self, event: &Event) -> Result<(), ContextError> {
        validate_chain(event, |id| self.get(id))?;
        self.check_body(event, None)
    }

    /// The body rules against the parents (references, document
    /// dependencies); `change` is the event's change if decoded already.
    fn check_body(&self, event: &Event, change: Option<&Change>) -> Result<(), ContextError> {
        validate_references(event, |id| self.get(id))?;
        let parent_change = |id: &EventId| {
            let entry = &self.entries[*self.index.get(id)? as usize];
            match entry.event.body() {
                Body::Doc { doc, .. } => Some((*doc, entry.change?)),
                _ => None,
            }
        };
        match change {
            Some(change) => validate_doc_dependencies_of(event, change, parent_change),
            None => validate_doc_dependencies(event, parent_change),
        }
    }

    fn park(&mut self, event: Event, missing: Vec<EventId>) -> Result<(), LogError> {
        let pending = &mut self.pending;
        if pending.events.len() >= pending.max_events
            || pending.bytes + event.bytes().len() > pending.max_bytes
        {
            return Err(LogError::PendingFull {
                events: pending.events.len(),
            });
        }
        let id = event.id();
        for parent in &missing {
            pending.waiting.entry(*parent).or_default().push(id);
        }
        pending.bytes += event.bytes().len();
        pending.events.insert(id, (event, missing.len()));
        Ok(())
    }

    /// Applies pending events whose last missing parent was `arrived`, transitively.
    fn release(&mut self, arrived: EventId, out: &mut Insertion, changes: &mut Vec<DocChange>) {
        let mut work = vec![arrived];
        while let Some(parent) = work.pop() {
            for child in self.pending.waiting.remove(&parent).unwrap_or_default() {
                let Some(slot) = self.pending.events.get_mut(&child) else {
                    continue;
                };
                slot.1 -= 1;
                if slot.1 > 0 {
                    continue;
                }
                let (event, _) = self.pending.events.remove(&child).expect("present above");
                self.pending.bytes -= event.bytes().len();
                let change = doc_change(&event);
                match self.check(event, change.as_ref()) {
                    Ok(event) => {
                        self.append(event, change, out, changes);
                        work.push(child);
                    }
                    Err(error) => {
                        out.rejected.push((child, error));
                        self.drop_descendants(child, out);
                    }
                }
            }
        }
    }

    /// A pending event was invalid: whatever waits on it can never apply.
    fn drop_descendants(&mut self, invalid: EventId, out: &mut Insertion) {
        let mut work = vec![invalid];
        while let Some(parent) = work.pop() {
            for child in self.pending.waiting.remove(&parent).unwrap_or_default() {
                let Some((event, _)) = self.pending.events.remove(&child) else {
                    continue;
                };
                self.pending.bytes -= event.bytes().len();
                // Its other missing parents are no longer wanted on its behalf.
                for other in event.parents() {
                    if let Some(waiters) = self.pending.waiting.get_mut(other) {
                        waiters.retain(|w| *w != child);
                        if waiters.is_empty() {
                            self.pending.waiting.remove(other);
                        }
                    }
                }
                out.rejected
                    .push((child, ContextError::InvalidParent(parent)));
                work.push(child);
            }
        }
    }

    /// Adds a checked event to `out.applied`; `decoded` is its change,
    /// decoded by the caller, which goes to `changes` unless the event
    /// entered void (a sealed event breaking a body rule).
    fn append(
        &mut self,
        event: Event,
        decoded: Option<Change>,
        out: &mut Insertion,
        changes: &mut Vec<DocChange>,
    ) {
        let forks = &mut out.forks;
        let ix = self.entries.len() as EventIx;
        let id = event.id();
        let author = event.author();
        let parents: Box<[EventIx]> = event.parents().iter().map(|p| self.index[p]).collect();
        let reference = event.body().reference().map(|r| self.index[&r]);
        let decoded = match event.body() {
            Body::Doc { doc, .. } => decoded.map(|change| (*doc, change)),
            _ => None,
        };
        let change = decoded.as_ref().map(|(_, c)| c.hash().0);
        if let Some(hash) = change {
            self.changes.entry(hash).or_insert(ix);
        }
        let transfer = match event.body() {
            Body::Transfer(t) => {
                let from = self.intern_account(author);
                let to = self.intern_account(t.to);
                self.account_transfers[from as usize].push(ix);
                self.account_transfers[to as usize].push(ix);
                Some(Parties {
                    unit: self.intern_unit(&t.unit),
                    from,
                    to,
                })
            }
            _ => None,
        };
        if let (Some(target), Body::Exclude(_) | Body::Dispute(_) | Body::Retract { .. }) =
            (reference, event.body())
        {
            self.entries[target as usize].targeted_by.push(ix);
        }
        for p in event.parents() {
            self.heads.remove(p);
        }
        self.heads.insert(id);
        self.index.insert(id, ix);

        let seq = event.seq();
        let log = self.authors.entry(author).or_default();
        log.events.push(ix);
        let earlier = log.by_seq.get(&seq).copied();
        match earlier {
            Some(_) => log.forked = true,
            None => {
                log.by_seq.insert(seq, ix);
            }
        }
        let newer = match log.last {
            None => true,
            Some(last) => {
                let last = &self.entries[last as usize].event;
                (seq, id) > (last.seq(), last.id())
            }
        };
        if newer {
            log.last = Some(ix);
        }
        if let Some(earlier) = earlier {
            let earlier = self.entries[earlier as usize].event.id();
            forks.extend(self.record_fork(author, seq, earlier, id));
        }

        let subject = match event.body() {
            Body::Trust { subject, .. } => Some(*subject),
            Body::Void(_) => {
                self.voids.push(ix);
                None
            }
            _ => None,
        };
        self.entries.push(Entry {
            event,
            parents,
            reference,
            transfer,
            change,
            targeted_by: Vec::new(),
        });
        if let Some(subject) = subject {
            self.trust_statements += 1;
            self.record_trust(author, subject, ix);
        }
        out.applied.push(ix);
        changes.extend(decoded.map(|(doc, change)| (ix, doc, change)));
    }

    /// Keeps one proof per (author, seq): the two smallest ids, so every
    /// node states it the same way whatever it saw first, and 10,000 forks
    /// cost one proof, not 10,000. Returns the proof if it is new or changed.
    fn record_fork(
        &mut self,
        author: PublicKey,
        seq: u64,
        earlier: EventId,
        id: EventId,
    ) -> Option<ForkProof> {
        let at = self
            .forks
            .binary_search_by(|f| (f.author, f.seq).cmp(&(author, seq)));
        match at {
            Ok(i) => {
                let old = &mut self.forks[i];
                let mut ids = [old.first, old.second, id];
                ids.sort_unstable();
                (ids[..2] != [old.first, old.second]).then(|| {
                    (old.first, old.second) = (ids[0], ids[1]);
                    old.clone()
                })
            }
            Err(i) => {
                let proof = ForkProof {
                    author,
                    seq,
                    first: earlier.min(id),
                    second: earlier.max(id),
                };
                self.forks.insert(i, proof.clone());
                Some(proof)
            }
        }
    }

    fn intern_account(&mut self, account: PublicKey) -> AccountIx {
        if let Some(&ix) = self.account_index.get(&account) {
            return ix;
        }
        let ix = self.account_keys.len() as AccountIx;
        self.account_keys.push(account);
        self.account_transfers.push(Vec::new());
        self.account_index.insert(account, ix);
        ix
    }

    fn intern_unit(&mut self, unit: &str) -> UnitIx {
        if let Some(&ix) = self.unit_index.get(unit) {
            return ix;
        }
        let ix = self.units.len() as UnitIx;
        self.units.push(unit.to_owned());
        self.unit_index.insert(unit.to_owned(), ix);
        ix
    }

    /// Keeps, per (author, subject), the statements no other statement of
    /// theirs causally follows.
    fn record_trust(&mut self, author: PublicKey, subject: PublicKey, ix: EventIx) {
        let latest = self
            .trust
            .get(&author)
            .and_then(|s| s.get(&subject))
            .cloned()
            .unwrap_or_default();
        if latest.iter().any(|&y| self.precedes(ix, y)) {
            return;
        }
        let mut kept: Vec<EventIx> = latest
            .into_iter()
            .filter(|&y| !self.precedes(y, ix))
            .collect();
        kept.push(ix);
        self.trust.entry(author).or_default().insert(subject, kept);
    }

    /// For two events of one author: is `a` in the causal past of `b`?
    /// An author who never forked has a chain, where seq order is causal order.
    fn precedes(&self, a: EventIx, b: EventIx) -> bool {
        let author = self.entries[a as usize].event.author();
        if self.authors.get(&author).is_some_and(|l| l.forked) {
            self.is_ancestor(a, b)
        } else {
            self.entries[a as usize].event.seq() < self.entries[b as usize].event.seq()
        }
    }

    /// Is `a` a strict ancestor of `b`? Walks back from `b`, never below `a`
    /// (a descendant of `a` always has a larger index).
    pub fn is_ancestor(&self, a: EventIx, b: EventIx) -> bool {
        if a >= b {
            return false;
        }
        let mut seen = FxHashSet::default();
        let mut work = vec![b];
        while let Some(x) = work.pop() {
            for &p in self.entries[x as usize].parents.iter() {
                if p == a {
                    return true;
                }
                if p > a && seen.insert(p) {
                    work.push(p);
                }
            }
        }
        false
    }

    /// Number of applied events.
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    /// True when nothing has been applied.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// Is this event applied?
    pub fn contains(&self, id: &EventId) -> bool {
        self.index.contains_key(id)
    }
    /// Is this event waiting for parents?
    pub fn is_pending(&self, id: &EventId) -> bool {
        self.pending.events.contains_key(id)
    }
    /// The index of an applied event.
    pub fn ix(&self, id: &EventId) -> Option<EventIx> {
        self.index.get(id).copied()
    }
    /// An applied event by id.
    pub fn get(&self, id: &EventId) -> Option<&Event> {
        self.ix(id).map(|ix| &self.entries[ix as usize].event)
    }
    /// The entry at an index.
    pub fn entry(&self, ix: EventIx) -> &Entry {
        &self.entries[ix as usize]
    }
    /// All entries in topological (insertion) order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }
    /// Events in topological order: every event after its parents.
    pub fn topological(&self) -> impl DoubleEndedIterator<Item = &Event> + ExactSizeIterator {
        self.entries.iter().map(|e| &e.event)
    }
    /// Events no other event names as a parent, ascending.
    pub fn heads(&self) -> Vec<EventId> {
        let mut heads: Vec<EventId> = self.heads.iter().copied().collect();
        heads.sort_unstable();
        heads
    }
    /// The heads in no order (see [`heads`](Self::heads)).
    pub(crate) fn heads_unordered(&self) -> impl Iterator<Item = &EventId> {
        self.heads.iter()
    }
    /// How many heads there are.
    pub fn head_count(&self) -> usize {
        self.heads.len()
    }
    /// The name of an interned unit.
    pub fn unit_name(&self, unit: UnitIx) -> &str {
        &self.units[unit as usize]
    }
    /// The interned index of a unit name, if any transfer used it.
    pub fn unit_ix(&self, unit: &str) -> Option<UnitIx> {
        self.unit_index.get(unit).copied()
    }
    /// Every author with at least one applied event.
    pub fn authors(&self) -> impl Iterator<Item = &PublicKey> {
        self.authors.keys()
    }
    /// An author's events, in insertion order.
    pub fn events_by(&self, author: &PublicKey) -> &[EventIx] {
        self.authors.get(author).map_or(&[], |l| &l.events)
    }
    /// Transfers the account paid or received, in insertion order.
    pub fn transfers_of(&self, account: &PublicKey) -> &[EventIx] {
        self.account_ix(account)
            .map_or(&[], |ix| &self.account_transfers[ix as usize])
    }
    /// The interned index of an account, if a transfer paid or paid it.
    pub fn account_ix(&self, account: &PublicKey) -> Option<AccountIx> {
        self.account_index.get(account).copied()
    }
    /// The key of an interned account.
    pub fn account_key(&self, account: AccountIx) -> &PublicKey {
        &self.account_keys[account as usize]
    }
    /// The author's latest event (highest seq, ties by id): what their next event follows.
    pub fn last_by(&self, author: &PublicKey) -> Option<&Event> {
        let last = self.authors.get(author)?.last?;
        Some(&self.entries[last as usize].event)
    }
    /// Has this author signed two events with one seq?
    pub fn is_forked(&self, author: &PublicKey) -> bool {
        self.authors.get(author).is_some_and(|l| l.forked)
    }
    /// Every equivocation proof, one per (author, seq), in that order.
    pub fn forks(&self) -> &[ForkProof] {
        &self.forks
    }
    /// The void events (sealed events that count for nothing: unreadable,
    /// or breaking a body rule), in insertion order. Their authors are
    /// whom a page reports; which events are void is the same on every
    /// member of the network.
    pub fn voids(&self) -> &[EventIx] {
        &self.voids
    }
    /// The author's current statement about `subject`: the causally latest,
    /// concurrent ones broken by the highest event id.
    pub fn trust_statement(
        &self,
        author: &PublicKey,
        subject: &PublicKey,
    ) -> Option<(TrustLevel, EventIx)> {
        let latest = self.trust.get(author)?.get(subject)?;
        let ix = *latest
            .iter()
            .max_by_key(|&&ix| self.entries[ix as usize].event.id())?;
        match self.entries[ix as usize].event.body() {
            Body::Trust { level, .. } => Some((*level, ix)),
            _ => None,
        }
    }
    /// How many trust statements were applied (a cheap change counter).
    pub fn trust_statement_count(&self) -> usize {
        self.trust_statements
    }
    /// Subjects the author has made statements about.
    pub fn trust_subjects(&self, author: &PublicKey) -> impl Iterator<Item = &PublicKey> {
        self.trust.get(author).into_iter().flat_map(|s| s.keys())
    }
    /// The `Doc` event carrying an Automerge change, by change hash.
    pub fn change_carrier(&self, hash: &[u8; 32]) -> Option<EventIx> {
        self.changes.get(hash).copied()
    }
    /// Events waiting for parents.
    pub fn pending_len(&self) -> usize {
        self.pending.events.len()
    }
    /// Events that are `from` or their ancestors but neither `known` nor
    /// ancestors of `known`, oldest first: what a peer whose log holds
    /// `known` may lack. Walks back from both sides at once (an index is
    /// always above its parents' indexes) and stops as soon as every event
    /// still to visit is known, so the cost follows the difference, not the
    /// history.
    pub fn beyond(&self, from: &[EventIx], known: &[EventIx]) -> Vec<EventIx> {
        // Each event is visited at most once and a log holds fewer than
        // usize::MAX events, so an unbounded walk never gives up. (An empty
        // fallback here would have told a peer it lacks nothing.)
        self.beyond_within(from, known, usize::MAX)
            .expect("an unbounded walk never gives up")
    }

    /// [`beyond`](Self::beyond), giving up (`None`) after visiting
    /// `max_visits` events: what a walk may cost is bounded by the caller
    /// (sync charges it to the peer that asked).
    pub fn beyond_within(
        &self,
        from: &[EventIx],
        known: &[EventIx],
        max_visits: usize,
    ) -> Option<Vec<EventIx>> {
        crate::sync::beyond_within(self, from, known, max_visits)
    }

    /// Ids that pending events wait for and that are not pending themselves
    /// (what to ask peers for).
    pub fn missing(&self) -> impl Iterator<Item = &EventId> {
        self.pending
            .waiting
            .keys()
            .filter(|id| !self.pending.events.contains_key(id))
    }
}

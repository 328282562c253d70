//! The relay's side of one network (issue #14), sans I/O: a peer that
//! stores and serves every valid event of the network, applies no trust
//! policy, signs nothing, holds no key, and keeps in memory only its
//! sessions and a bounded orphan buffer — never the network's history,
//! which it reads from its storage ([`RelayStorage`], whose snapshots are
//! the [`Dag`] the sessions answer from).
//!
//! It validates every event fully, as a page does, except what only a key
//! could tell: the signature and form, admission into a private network
//! (the network's identity is its room: [`Admission::Private`]), and the
//! rules against parents — the author's chain for every event, and for a
//! clear event its references and document dependencies too. A sealed
//! event's body is not read: a page that opens it may find it void, which
//! the relay, like a forwarding page, is never at fault for.
//!
//! Quotas ([`RelayLimits`]) bound what a network and each author may store;
//! a valid event over them is refused with a [`Notice`] (never stored, the
//! sender not dropped), and nothing already stored is ever removed. Quotas
//! only fill, so an event whose author (or network) was over a quota when
//! its batch came is refused before its signature is checked — one sent
//! again and again costs a decode, not a signature check — and its sender
//! hears the notice whether or not that signature holds; either way
//! nothing of it is stored. Likewise a copy of an orphan evicted for room
//! whose parents are still missing is refused for room again, unchecked.
//! Each author's events per minute are rated too ([`AuthorRate`]): an
//! event over the rate is refused with a notice and reported lost, so its
//! sender sends it again in a later round. Signatures are checked a batch
//! at a time by a [`Verifier`] (in turn here; on every core in a server).
//! Memory per loaded network: its sessions (a bit per event for what each
//! sent, the window) and its orphans ([`RelayLimits::orphans`]).
//!
//! Longer than most files here: [`RelayNetwork`] is one state machine
//! (admission, quotas, orphans, sessions) whose checks must run in one
//! order for an event; split by theme, that order would span files.

use crate::event::validate::{
    ContextError, decode_change, validate_chain, validate_doc_dependencies, validate_form,
    validate_references,
};
use crate::event::{Body, Event, EventError, EventId, PublicKey};
use crate::log::{EventIx, causal_order};
use crate::network::Admitted;
use crate::sync::{
    Carried, Dag, FrameError, GossipLimits, Ingested, Limits, MAX_WANT, OrphanLimits, Orphans,
    Outgoing, Peers,
};
use rustc_hash::{FxHashMap, FxHashSet};
use std::hash::Hash;
use thiserror::Error;

#[cfg(any(test, feature = "testing"))]
mod memory;
mod published;
mod rate;
mod shared;
mod verify;
#[cfg(any(test, feature = "testing"))]
pub use memory::MemoryRelayStorage;
pub use published::PublishedLimits;
pub use rate::AuthorRate;
pub use shared::FromShared;
pub use verify::{InTurn, Verifier};

/// What the relay's storage gives one network. Implemented over a
/// database by the server, in memory by the tests.
pub trait RelayStorage {
    /// A consistent snapshot of the network's events.
    type View<'a>: RelayView
    where
        Self: 'a;
    /// Why a read or a write failed.
    type Error: std::fmt::Display;
    /// A snapshot to answer sessions from.
    fn view(&self) -> Result<Self::View<'_>, Self::Error>;
    /// The bytes of a held event.
    fn get(&self, id: &EventId) -> Result<Option<Vec<u8>>, Self::Error>;
    /// Whether an event is held (what most of a batch asks: an index
    /// lookup, not a read of its bytes).
    fn contains(&self, id: &EventId) -> Result<bool, Self::Error> {
        Ok(self.get(id)?.is_some())
    }
    /// Stores `events` (parents before children, each parent held or
    /// earlier in the slice) durably, in one transaction, and returns
    /// their insertion indexes. Nothing is stored if it fails.
    fn append(&mut self, events: &[&Event]) -> Result<Vec<EventIx>, Self::Error>;
    /// What the network holds.
    fn usage(&self) -> Result<Usage, Self::Error>;
    /// What `author`'s events in the network take.
    fn author_usage(&self, author: &PublicKey) -> Result<Usage, Self::Error>;
    /// Whether `error` is the storage's own quota refusing an append that
    /// this relay's count let through (a log shared with other relays,
    /// which filled it before this relay's copy learnt of it): the sender
    /// hears `network_full`, as for the relay's own quota, not a failure.
    fn is_full(error: &Self::Error) -> bool {
        let _ = error;
        false
    }
}

/// A snapshot of a network's events: a [`Dag`] that says whether a read
/// failed (it then answered as if the event were unknown).
pub trait RelayView: Dag {
    /// Whether a read failed since the snapshot was taken.
    fn failed(&self) -> bool;
}

/// Events and bytes held.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Events.
    pub events: u64,
    /// Bytes of their encodings.
    pub bytes: u64,
}

/// What a relay lets one network hold and keep waiting. Defaults are
/// those of `trustfold-server --help`.
#[derive(Clone, Debug)]
pub struct RelayLimits {
    /// Events a network may hold.
    pub max_events: u64,
    /// Bytes a network may hold.
    pub max_bytes: u64,
    /// The share of each of those any one author may take, in percent:
    /// one author filling an open network with valid junk leaves the rest
    /// to the others.
    pub author_share: u8,
    /// Events each author may store per minute, and at once.
    pub author_rate: AuthorRate,
    /// Events received before their parents, per network.
    pub orphans: OrphanLimits,
    /// Each session's window and allowance.
    pub session: Limits,
}

impl Default for RelayLimits {
    fn default() -> Self {
        RelayLimits {
            max_events: 1_000_000,
            max_bytes: 1 << 30,
            author_share: 25,
            author_rate: AuthorRate::default(),
            orphans: OrphanLimits {
                per_peer: 1024,
                per_peer_bytes: 2 * 1024 * 1024,
                total: 4096,
                total_bytes: 4 * 1024 * 1024,
                ..OrphanLimits::default()
            },
            session: Limits::default(),
        }
    }
}

/// Who may write in a network, as the relay checks it.
#[derive(Debug)]
pub enum Admission {
    /// An open network: clear events; a sealed one is refused.
    Open,
    /// A private network, known by its identity (its room): sealed events
    /// whose admission tag is the network's signature of their author.
    Private(PublicKey, Admitted),
}

impl Admission {
    /// A private network whose identity is `network`.
    pub fn private(network: PublicKey) -> Admission {
        Admission::Private(network, Admitted::default())
    }

    fn check(&self, event: &Event) -> Result<(), EventError> {
        match self {
            Admission::Open if event.is_sealed() => Err(EventError::SealedInOpenNetwork),
            Admission::Open => Ok(()),
            Admission::Private(network, admitted) => admitted.check(network, event),
        }
    }
}

/// A valid event the relay did not store, and why: told to its sender,
/// who is not at fault and stays.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Notice {
    /// The network holds its quota of events or bytes.
    /// Code `network_full`.
    #[error("this network holds {events} events, {bytes} bytes: the relay's quota")]
    NetworkFull {
        /// Events held.
        events: u64,
        /// Bytes held.
        bytes: u64,
    },
    /// The author holds their share of the network's quota.
    /// Code `author_quota`.
    #[error("this author holds their share of the network's quota")]
    AuthorQuota(PublicKey),
    /// The author stored as many events as the relay takes from one author
    /// per minute ([`AuthorRate`]): the rest are not stored now, and the
    /// sender is told it did not deliver them, so a later round (its own
    /// next one, or the next session's) sends them again.
    /// Code `author_rate`.
    #[error("this author sent more events than the relay takes per minute; the rest come later")]
    AuthorRate(PublicKey),
}

impl Notice {
    /// The stable code of this notice.
    pub fn code(&self) -> &'static str {
        match self {
            Notice::NetworkFull { .. } => "network_full",
            Notice::AuthorQuota(..) => "author_quota",
            Notice::AuthorRate(..) => "author_rate",
        }
    }
}

/// Why a client of the relay was dropped.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelayError {
    /// A frame that breaks the sync protocol. Code: the wrapped error's.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// An event that does not verify or is not admitted. Code: the wrapped error's.
    #[error(transparent)]
    Event(#[from] EventError),
    /// An event that breaks a rule against its parents. Code: the wrapped error's.
    #[error(transparent)]
    Context(#[from] ContextError),
}

impl RelayError {
    /// The stable code of this error (the wrapped error's).
    pub fn code(&self) -> &'static str {
        match self {
            RelayError::Frame(e) => e.code(),
            RelayError::Event(e) => e.code(),
            RelayError::Context(e) => e.code(),
        }
    }
}

/// What taking in frames did.
#[derive(Debug)]
pub struct Relayed<P> {
    /// Frames to send, to the sender and to the network's other clients.
    pub send: Outgoing<P>,
    /// Clients to drop, with why (the sender, or a client whose orphan
    /// turned out invalid): close their links.
    pub dropped: Vec<(P, RelayError)>,
    /// Valid events not stored for a quota: tell their sender.
    pub notices: Vec<(P, Notice)>,
    /// Events stored now.
    pub stored: usize,
    /// The storage failed: what came before is stored, nothing after.
    /// See [`ends_session`](Self::ends_session).
    pub store_error: Option<String>,
}

impl<P> Relayed<P> {
    /// For what [`RelayNetwork::receive`] returns: the storage failed and
    /// nothing is to be sent, so the sender's session has ended — a read
    /// that failed may have taken its events in unstored, or what was
    /// stored could not be acknowledged — and its connection closes; the
    /// next starts afresh from what each side holds. (What
    /// [`RelayNetwork::stored_elsewhere`] returns ends no session.)
    pub fn ends_session(&self) -> bool {
        self.store_error.is_some() && self.send.is_empty()
    }
}

impl<P> Default for Relayed<P> {
    fn default() -> Self {
        Relayed {
            send: Vec::new(),
            dropped: Vec::new(),
            notices: Vec::new(),
            stored: 0,
            store_error: None,
        }
    }
}

/// One network at the relay: its clients' sessions and its orphans. See
/// the [module docs](self).
pub struct RelayNetwork<P: Ord + Clone + Hash> {
    admission: Admission,
    limits: RelayLimits,
    peers: Peers<P>,
    orphans: Orphans<P>,
    rates: rate::AuthorRates,
    verifier: Box<dyn Verifier>,
}

impl<P: Ord + Clone + Hash> RelayNetwork<P> {
    /// A network admitting by `admission`, within `limits`.
    pub fn new(admission: Admission, limits: RelayLimits) -> RelayNetwork<P> {
        RelayNetwork {
            admission,
            // The relay pushes every event in full to every page: it is
            // the hub of pages never online together, and it runs no timer
            // to ask for what lazy links announce.
            peers: Peers::with_gossip(
                limits.session,
                GossipLimits {
                    lazy: false,
                    ..GossipLimits::default()
                },
            ),
            orphans: Orphans::new(limits.orphans),
            rates: rate::AuthorRates::default(),
            verifier: Box::new(InTurn),
            limits,
        }
    }

    /// The same network, checking signatures with `verifier` (a server's
    /// checks a batch on every core).
    pub fn verifying_with(mut self, verifier: Box<dyn Verifier>) -> RelayNetwork<P> {
        self.verifier = verifier;
        self
    }

    /// A client joined: its session starts (`salt`: fresh randomness).
    pub fn connect<S: RelayStorage>(
        &mut self,
        peer: P,
        storage: &S,
        salt: [u8; 16],
    ) -> Result<Outgoing<P>, S::Error> {
        let view = storage.view()?;
        Ok(self.peers.connect(peer, &view, salt))
    }

    /// A client left: its session ends, and its orphans go with it (those
    /// another client sent too pass to that one), as a page's do with its
    /// peer — else every client that came, sent orphans and went would
    /// leave its share of the buffer and what it was to be asked for.
    pub fn disconnect(&mut self, peer: &P) {
        self.peers.disconnect(peer);
        self.orphans.drop_peer(peer);
    }

    /// Clients connected.
    pub fn clients(&self) -> usize {
        self.peers.connected().count()
    }

    /// Orphans held (bounded by [`RelayLimits::orphans`]).
    pub fn orphans(&self) -> usize {
        self.orphans.len()
    }

    /// Events sent to `peer` and not acknowledged, and events waiting to
    /// go to it (how far behind it is).
    pub fn behind(&self, peer: &P) -> Option<(usize, usize)> {
        self.peers
            .session(peer)
            .map(|s| (s.in_flight(), s.queued()))
    }

    /// Takes in frames from `peer` that arrived together: answers them,
    /// stores the valid new events they carry (one durable write) and
    /// forwards those to the network's other clients. Nothing invalid is
    /// stored; a client that sends anything invalid is dropped. `now_ms`:
    /// the caller's clock, in milliseconds from any fixed point, for
    /// [`RelayLimits::author_rate`].
    pub fn receive<S: RelayStorage>(
        &mut self,
        peer: &P,
        frames: &[&[u8]],
        storage: &mut S,
        now_ms: u64,
    ) -> Relayed<P> {
        let mut out = Relayed::default();
        let events = {
            let view = match storage.view() {
                Ok(view) => view,
                Err(e) => {
                    self.end_session(peer, e.to_string(), &mut out);
                    return out;
                }
            };
            let mut events = Vec::new();
            for frame in frames {
                match self.peers.receive(peer, &view, frame) {
                    Ok((reply, carried)) => {
                        out.send.extend(reply);
                        events.extend(carried);
                    }
                    Err(e) => {
                        self.drop_peer(peer, e.into(), &mut out);
                        return out;
                    }
                }
            }
            if view.failed() {
                // The session took the events in as if they were stored,
                // and its next `Ack` would tell the client so: the client
                // would count them as delivered, and never send them again.
                // The session ends instead, with nothing sent.
                self.end_session(peer, "a read of the store failed".into(), &mut out);
                return out;
            }
            if events.is_empty() {
                // Nothing to store (most turns at a busy relay carry
                // acknowledgements only): answered from the same snapshot.
                self.answer(peer, &view, &[], Refused::default(), now_ms, &mut out);
                return out;
            }
            events
        };
        let mut refused = Refused::default();
        let mut applied = Vec::new();
        match self.ingest(peer, &events, storage, now_ms, &mut out) {
            Ok(Some((ixs, why))) => {
                applied = ixs;
                refused = why;
            }
            Ok(None) => return out,
            Err(e) if S::is_full(&e) => match storage.usage() {
                Ok(held) => notify(
                    &mut out,
                    peer,
                    Notice::NetworkFull {
                        events: held.events,
                        bytes: held.bytes,
                    },
                ),
                Err(e) => {
                    out.store_error = Some(e.to_string());
                    refused.room = true;
                }
            },
            Err(e) => {
                out.store_error = Some(e.to_string());
                refused.room = true;
            }
        }
        let view = match storage.view() {
            Ok(view) => view,
            Err(e) => {
                // Stored, but neither acknowledged nor pushed: the sender
                // would wait for an `Ack` until its next round. Its
                // session ends, and the next finds the events held.
                self.end_session(peer, e.to_string(), &mut out);
                return out;
            }
        };
        self.answer(peer, &view, &applied, refused, now_ms, &mut out);
        out
    }

    /// Ends `peer`'s session, the store having failed with `error`: nothing
    /// is sent to it ([`Relayed::ends_session`]), its connection closes, and
    /// the next one starts afresh from what each side holds.
    fn end_session(&mut self, peer: &P, error: String, out: &mut Relayed<P>) {
        out.store_error = Some(error);
        out.send.clear();
        self.disconnect(peer);
    }

    /// Acknowledges what `peer` sent (`applied` of it stored, `refused`
    /// saying why the rest was not) and asks it for what is missing, from
    /// `view`, a snapshot taken after any write.
    fn answer(
        &mut self,
        peer: &P,
        view: &impl Dag,
        applied: &[EventIx],
        refused: Refused,
        now_ms: u64,
        out: &mut Relayed<P>,
    ) {
        let asks = self.peers.session(peer).is_some_and(|s| s.asks_now());
        self.rates.forget_deferred(now_ms);
        let missing = if asks {
            self.orphans
                .missing_from(peer, |id| view.contains(id), MAX_WANT)
        } else {
            Vec::new()
        };
        let orphans = &self.orphans;
        let rates = &self.rates;
        out.send.extend(self.peers.after_ingest_with(
            Some(peer),
            view,
            &Ingested {
                applied,
                missing: &missing,
                // An event refused for its author's rate is not asked for
                // again until a token is due: asked for at once, its
                // sender would send it (and its ancestors) again and again.
                waiting: &|id| orphans.contains(id) || rates.deferred(id, now_ms),
                // Refused for room: asked for again in another round now.
                // Refused for the author's rate: not now, but not
                // delivered either — the sender's next round sends them.
                refused_room: refused.room,
                lost: refused.room || refused.rate,
            },
        ));
    }

    fn drop_peer(&mut self, peer: &P, error: RelayError, out: &mut Relayed<P>) {
        self.disconnect(peer);
        out.dropped.push((peer.clone(), error));
    }

    /// Verifies, admits and validates `events` from `peer`, holds orphans,
    /// and appends the valid ones. `Ok(None)`: the sender was dropped
    /// before anything was taken (an event that does not verify or is not
    /// admitted). `Ok(Some((indexes, refused)))` otherwise — the
    /// sender may have been dropped meanwhile, for an event invalid
    /// against its parents, after the valid ones before it.
    #[allow(clippy::type_complexity)]
    fn ingest<S: RelayStorage>(
        &mut self,
        peer: &P,
        events: &[Carried],
        storage: &mut S,
        now_ms: u64,
        out: &mut Relayed<P>,
    ) -> Result<Option<(Vec<EventIx>, Refused)>, S::Error> {
        self.orphans.tick();
        let rate = self.limits.author_rate;
        let mut refused = Refused::default();
        let mut candidates = Vec::new();
        let mut planned_by: FxHashMap<PublicKey, u32> = FxHashMap::default();
        let mut seen = FxHashSet::default();
        // What the network and its authors held when the batch began: an
        // event over a quota already is refused before its signature is
        // checked (quotas only fill), so valid events sent again and again
        // past a quota cost a hash and a decode each, not a signature check
        // with the network's clients waiting.
        let held = storage.usage()?;
        let mut held_by: FxHashMap<PublicKey, Usage> = FxHashMap::default();
        for carried in events {
            let (id, bytes) = (carried.id(), carried.bytes());
            if !seen.insert(id) || storage.contains(&id)? {
                continue;
            }
            if self.orphans.contains(&id) {
                self.orphans.also_from(&id, peer);
                continue;
            }
            // Decoded and its form checked: all but the signature, the
            // costly part.
            let event = match Event::from_loaded(id, bytes.to_vec())
                .and_then(|event| validate_form(&event).map(|()| event))
            {
                Ok(event) => event,
                Err(e) => {
                    self.drop_peer(peer, e.into(), out);
                    return Ok(None);
                }
            };
            // A copy of an orphan evicted for room whose parents are still
            // missing: refused for room again, unchecked (as a page does).
            if self.orphans.was_refused(&id) {
                let mut missing = false;
                for p in event.parents() {
                    if !seen.contains(p) && !storage.contains(p)? {
                        missing = true;
                        break;
                    }
                }
                if missing {
                    refused.room = true;
                    continue;
                }
            }
            let author = event.author();
            let mine = match held_by.entry(author) {
                std::collections::hash_map::Entry::Occupied(held) => *held.get(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    *slot.insert(storage.author_usage(&author)?)
                }
            };
            let size = bytes.len() as u64;
            if let Some(notice) = self.over_quota(held, Usage::default(), mine, size, author) {
                notify(out, peer, notice);
                continue;
            }
            // Only valid events take tokens: an author out of them now
            // spent them, and is refused without a signature check.
            // The batch's earlier events of the author will take tokens
            // too: only as many as there are tokens get a signature check.
            let planned = planned_by.entry(author).or_insert(0u32);
            if self.rates.tokens(rate, &author, now_ms) < f64::from(*planned) + 1.0 {
                notify(out, peer, Notice::AuthorRate(author));
                self.rates.defer(rate, id, now_ms);
                refused.rate = true;
                continue;
            }
            *planned += 1;
            candidates.push(event);
        }
        // The signatures, all at once (on every core, for a server's
        // verifier); the first that fails, in the order sent, drops the
        // sender before anything of the batch is taken.
        let verdicts = self.verifier.verify(&candidates);
        let mut verified = Vec::with_capacity(candidates.len());
        for (event, verdict) in candidates.into_iter().zip(verdicts) {
            match verdict.and_then(|()| self.admission.check(&event)) {
                Ok(()) => verified.push(event),
                Err(e) => {
                    self.drop_peer(peer, e.into(), out);
                    return Ok(None);
                }
            }
        }
        let mut admitted: FxHashMap<EventId, Event> = FxHashMap::default();
        let mut order: Vec<EventId> = Vec::new();
        let mut over_quota: FxHashSet<EventId> = FxHashSet::default();
        let mut pending = Usage::default();
        // Nothing is appended before the loop ends: what the network and
        // its authors held is what was read above (read again only for the
        // authors of others' orphans this batch releases).
        let mut by_author = held_by;
        let mut work: Vec<(Event, Option<P>)> = causal_order(verified)
            .into_iter()
            .rev()
            .map(|e| (e, None))
            .collect();
        let mut sender_dropped = false;
        while let Some((event, from)) = work.pop() {
            // The sender was dropped for an invalid event: nothing more of
            // its is taken (what its valid events released of others' is).
            if sender_dropped && from.as_ref().is_none_or(|from| from == peer) {
                continue;
            }
            let id = event.id();
            if admitted.contains_key(&id) || storage.contains(&id)? {
                continue;
            }
            // A child of an event over a quota waits for nothing: it is
            // refused with it (its sender hears why).
            if event.parents().iter().any(|p| over_quota.contains(p)) {
                over_quota.insert(id);
                continue;
            }
            let (parents, missing) = gather_parents(&event, &admitted, storage)?;
            let sender = from.clone().unwrap_or_else(|| peer.clone());
            if !missing.is_empty() {
                if !self.orphans.add(&sender, event, &missing) {
                    refused.room = true;
                }
                continue;
            }
            if let Err(e) = validate_against(&event, &parents) {
                if from.is_none() {
                    // The sender goes. Its valid events before this one are
                    // still stored, with the orphans of others they
                    // released: those are out of the buffer now, and
                    // nothing would ask their senders for them again.
                    self.drop_peer(peer, e.into(), out);
                    sender_dropped = true;
                    continue;
                }
                // An orphan sent earlier by another client: that one goes.
                self.drop_peer(&sender, e.into(), out);
                continue;
            }
            let size = event.bytes().len() as u64;
            let author = event.author();
            let mine = match by_author.entry(author) {
                std::collections::hash_map::Entry::Occupied(held) => held.into_mut(),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(storage.author_usage(&author)?)
                }
            };
            if let Some(notice) = self.over_quota(held, pending, *mine, size, author) {
                over_quota.insert(id);
                notify(out, &sender, notice);
                continue;
            }
            if !self.rates.take(rate, &author, now_ms) {
                // Its children wait with it, refused the same way.
                self.rates.defer(rate, id, now_ms);
                over_quota.insert(id);
                notify(out, &sender, Notice::AuthorRate(author));
                refused.rate = true;
                continue;
            }
            mine.events += 1;
            mine.bytes += size;
            pending.events += 1;
            pending.bytes += size;
            // A read that fails keeps an orphan waiting (it is asked for
            // again); it never releases one whose parent may be missing.
            let released = self.orphans.arrived(&id, |p| {
                admitted.contains_key(p) || storage.contains(p).unwrap_or(false)
            });
            for (child, from_peer) in released {
                work.push((child, Some(from_peer)));
            }
            order.push(id);
            admitted.insert(id, event);
        }
        if order.is_empty() {
            return Ok(Some((Vec::new(), refused)));
        }
        let events: Vec<&Event> = order.iter().map(|id| &admitted[id]).collect();
        let ixs = storage.append(&events)?;
        out.stored += ixs.len();
        Ok(Some((ixs, refused)))
    }

    /// The notice for an event of `size` bytes by `author` if it would take
    /// the network or its author past a quota (`pending`: admitted in this
    /// batch, not stored yet).
    fn over_quota(
        &self,
        held: Usage,
        pending: Usage,
        author: Usage,
        size: u64,
        who: PublicKey,
    ) -> Option<Notice> {
        let limits = &self.limits;
        let events = held.events + pending.events;
        let bytes = held.bytes + pending.bytes;
        if events + 1 > limits.max_events || bytes + size > limits.max_bytes {
            return Some(Notice::NetworkFull { events, bytes });
        }
        let share = u64::from(limits.author_share.min(100));
        if (author.events + 1) * 100 > limits.max_events * share
            || (author.bytes + size) * 100 > limits.max_bytes * share
        {
            return Some(Notice::AuthorQuota(who));
        }
        None
    }
}

/// Why valid events of a batch were not stored.
#[derive(Clone, Copy, Debug, Default)]
struct Refused {
    /// No room among the orphans: asked for again at once.
    room: bool,
    /// Their author's rate: not delivered, sent again in a later round.
    rate: bool,
}

/// Tells `peer` of `notice`, once per batch.
fn notify<P: PartialEq + Clone>(out: &mut Relayed<P>, peer: &P, notice: Notice) {
    if !out.notices.iter().any(|(p, n)| p == peer && n == &notice) {
        out.notices.push((peer.clone(), notice));
    }
}

/// The parents of `event`, from `admitted` (earlier in its batch) or
/// `storage`, and the ids of those found in neither (or unreadable there).
#[allow(clippy::type_complexity)]
fn gather_parents<S: RelayStorage>(
    event: &Event,
    admitted: &FxHashMap<EventId, Event>,
    storage: &S,
) -> Result<(FxHashMap<EventId, Event>, Vec<EventId>), S::Error> {
    let mut parents = FxHashMap::default();
    let mut missing = Vec::new();
    for p in event.parents() {
        if let Some(e) = admitted.get(p) {
            parents.insert(*p, e.clone());
        } else if let Some(bytes) = storage.get(p)? {
            match Event::from_own_store(&bytes) {
                Ok(e) => {
                    parents.insert(*p, e);
                }
                Err(_) => missing.push(*p),
            }
        } else {
            missing.push(*p);
        }
    }
    Ok((parents, missing))
}

/// Every rule of `event` against its `parents` (all present) that needs no
/// key: the author's chain always; references and document dependencies
/// for a clear event.
fn validate_against(
    event: &Event,
    parents: &FxHashMap<EventId, Event>,
) -> Result<(), ContextError> {
    validate_chain(event, |id| parents.get(id))?;
    if event.is_sealed() {
        return Ok(());
    }
    validate_references(event, |id| parents.get(id))?;
    validate_doc_dependencies(event, |id| match parents.get(id)?.body() {
        Body::Doc { doc, change } => Some((*doc, decode_change(change).ok()?.hash().0)),
        _ => None,
    })
}

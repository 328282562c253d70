//! The node: the one place that does I/O.
//!
//! A [`Node`] owns a [`Replica`] and a [`Store`]. Opening it loads (or
//! creates) the identity and the policy, and loads every stored event,
//! skipping and reporting damaged records. Every new event, local or
//! received, is written to the store before the call returns; a local event
//! is written *before* it is applied, so a failed write leaves both the
//! store and the state as they were.
//!
//! Several nodes may share one store and identity (the tabs of a browser).
//! Each writes its documents under its own Automerge actor (a random
//! session suffix on the key), and before signing anything it catches up
//! with the latest event of its own chain, which every write records in the
//! same transaction: so concurrent writers, taking turns through a lock the
//! platform provides, never fork the chain. Sibling nodes announce what they
//! stored; [`Node::load_stored`] takes it in without writing it again.
//!
//! Methods take `&self`: the replica sits in a `RefCell` borrowed only
//! between awaits, so reads stay possible while a write waits for the
//! store, and writes run one at a time behind an async mutex.
//!
//! Randomness comes from the caller (`random`), like everything else the
//! platform provides.
//!
//! Longer than most files here on purpose: opening (the network, the
//! identity, the policy, the log, the own chain's head) and writing own
//! events keep one invariant together — nothing applied before it is
//! written — so they stay side by side; taking in peers' events
//! (`ingest.rs`), sessions (`peers.rs`) and what waits to be sent
//! (`confirmed.rs`) have files of their own.

mod confirmed;
mod dropped;
mod ingest;
mod off_thread;
mod peers;
mod sibling_backlog;
mod unsaved;

pub use dropped::{DROPPED_KEPT, DroppedPeer, DroppedPeers};
pub use ingest::StoredTaken;
pub use off_thread::{OFF_THREAD_MIN, OffThread};
pub use peers::{FromPeer, PeerError, send_all};
pub use sibling_backlog::{
    DEFAULT_SIBLING_BACKLOG, MAX_SIBLING_BACKLOG, SiblingBacklog, SiblingNext,
};
pub use unsaved::Adopted;

use crate::error::Error;
use crate::event::{AuthorKeys, Body, DocId, Event, EventId, Identity, PublicKey};
use crate::invite::Invite;
use crate::log::{causal_order, in_causal_order};
use crate::network::Network;
use crate::policy::Policy;
use crate::replica::Replica;
use crate::snapshot::{self, CachedState, SavedDocs};
use crate::store::{LoadedEvents, Store, StoreError};
use crate::sync::{Orphans, Peers};
use confirmed::Confirmed;
use futures_util::lock::Mutex;
use rustc_hash::{FxHashMap, FxHashSet};
use std::cell::{Ref, RefCell, RefMut};
use std::rc::Rc;
use thiserror::Error;

/// Work between two [`Store::pause`]s when a node opens, in payments'
/// worth: ≈ 10–20 ms in Chromium on this project's benchmark machine
/// (BENCHMARKS.md "Events in blocks"). A sibling's announcement is taken
/// in by a quarter of it (`ingest::SIBLING_SLICE`).
const OPEN_SLICE: usize = 4096;
/// What one document change counts for in [`OPEN_SLICE`]: validating,
/// decoding and applying one took ≈ 25× a payment in Chromium (≈ 73 µs
/// against ≈ 3 µs, BENCHMARKS.md "A cold open's long tasks"); counted
/// alike, the slice holding the editing trace's 2,598 changes ran ≈ 200 ms
/// in one task.
const DOC_WEIGHT: usize = 32;

/// What `event` counts for in [`OPEN_SLICE`].
fn open_weight(event: &Event) -> usize {
    match event.body() {
        Body::Doc { .. } => DOC_WEIGHT,
        _ => 1,
    }
}

const IDENTITY: &str = "identity";
const POLICY: &str = "policy";
/// Which network the store is for: `open`, or a private network's identity.
const NETWORK: &str = "network";
/// The id of the latest event of this identity's own chain.
const HEAD: &str = "head";
/// The latest events peers are known to hold (`confirmed.rs`).
pub(crate) const CONFIRMED: &str = "confirmed";

/// Own events a write looks up one by one, when another tab's were not
/// announced here, before it reads the whole store instead.
const CHAIN_LOOKUPS: usize = 32;
/// Snapshot names (see [`crate::snapshot`]).
const STATE: &str = "state";
const DOCS: &str = "docs";
/// Bytes of randomness after the key in this session's Automerge actor.
const SESSION_BYTES: usize = 8;
/// Why a node operation failed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NodeError {
    /// The store failed; nothing was lost.
    /// Code: the wrapped error's.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The event or edit was refused.
    /// Code: the wrapped error's.
    #[error(transparent)]
    Core(#[from] Error),
    /// Stored metadata does not decode.
    /// Code `damaged_store`.
    #[error("stored {0} is damaged")]
    DamagedMeta(&'static str),
    /// Restoring an identity into a store that already holds another one.
    /// Code `other_identity`.
    #[error("this store already holds another identity")]
    OtherIdentity,
    /// Opening a store for another network than the one it was made for
    /// (an open network's store as a private one, or another invite's).
    /// Code `other_network`.
    #[error("this store belongs to another network")]
    OtherNetwork,
}

impl NodeError {
    /// The stable code of this error: snake_case, unique among the crate's
    /// codes, named in each variant's doc (a wrapping variant gives the
    /// wrapped error's).
    pub fn code(&self) -> &'static str {
        match self {
            NodeError::Store(e) => e.code(),
            NodeError::Core(e) => e.code(),
            NodeError::DamagedMeta(..) => "damaged_store",
            NodeError::OtherIdentity => "other_identity",
            NodeError::OtherNetwork => "other_network",
        }
    }
}

/// What opening a node found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OpenReport {
    /// Events loaded and applied.
    pub events: usize,
    /// Stored records skipped, each with what is wrong.
    pub skipped: Vec<String>,
    /// Whether the identity was created now.
    pub new_identity: bool,
    /// Documents started from their saved form (0 without a usable snapshot).
    pub saved_documents: usize,
    /// Whether the cached state matched the log (else it should be saved again).
    pub cached_state_current: bool,
}

/// What a batch of received events did.
#[derive(Debug, Default)]
pub struct Received {
    /// Events stored by this call (new to this node), parents first within
    /// each chunk of the batch.
    pub stored: Vec<Event>,
    /// Events applied to the state (stored ones, and pending ones they released).
    pub applied: usize,
    /// Events refused, by their index in the batch, with why. Nothing of
    /// them is stored.
    pub refused: Vec<(usize, Error)>,
    /// Events held apart until their parents arrive (not stored).
    pub orphaned: usize,
    /// Valid events were not kept for lack of room (orphans evicted): the
    /// sender should be asked again later.
    pub room_refused: bool,
    /// Orphans received earlier that turned out invalid once their parents
    /// arrived, with the peer that sent each (to be dropped).
    pub invalid_orphans: Vec<(String, Error)>,
    /// Events validated and stored that the log then refused to apply: a
    /// disagreement between `Log::check_after` and `Log::insert` (a bug
    /// here, never the sender's fault).
    pub unapplied: Vec<(EventId, Error)>,
    /// A write failed: the chunks before it are stored and applied (in
    /// `stored`), nothing after it is.
    pub store_error: Option<NodeError>,
}

/// A replica persisted in a store. See the [module docs](self).
pub struct Node<S: Store> {
    store: S,
    replica: RefCell<Replica>,
    identity: Identity,
    /// Held by a write from drafting to applying.
    writer: Mutex<()>,
    /// Own document events signed and not written yet — neither applied
    /// nor served — in chain order: a write under way, one that failed, or
    /// what a page going away signed ([`Node::sign_for_unload`]). Written
    /// (signed again if the chain moved) before anything else.
    unsaved: RefCell<Vec<Event>>,
    /// Sync sessions with peers (see [`crate::sync`]), by transport-given id.
    peers: RefCell<Peers<String>>,
    /// Events from peers waiting for their parents (never stored).
    orphans: RefCell<Orphans<String>>,
    /// Own events a write stored late (signed earlier, their first write
    /// failed) that no call returned yet: [`Node::take_recovered`].
    recovered: RefCell<Vec<Event>>,
    /// Authors' keys decompressed by the checks made here.
    author_keys: RefCell<AuthorKeys>,
    /// Where large batches are checked, if not here ([`Node::verify_off_thread`]).
    off_thread: RefCell<Option<Rc<dyn OffThread>>>,
    /// Peers dropped for what they sent, the latest few.
    dropped: RefCell<DroppedPeers>,
    /// Which own events some peer is known to hold.
    confirmed: RefCell<Confirmed>,
}

impl<S: Store> Node<S> {
    /// Opens the node kept in `store`. `random` gives fresh secret bytes:
    /// the identity, if the store has none, and this session's actor suffix.
    pub async fn open(
        store: S,
        random: impl FnMut() -> [u8; 32],
    ) -> Result<(Node<S>, OpenReport), NodeError> {
        Node::open_in(store, None, None, random).await
    }

    /// Opens the node kept in `store` as `identity` (restored from a
    /// backup): the store must hold no identity yet, or this one.
    pub async fn open_as(
        store: S,
        identity: Identity,
        random: impl FnMut() -> [u8; 32],
    ) -> Result<(Node<S>, OpenReport), NodeError> {
        Node::open_in(store, None, Some(identity), random).await
    }

    /// Opens the node kept in `store` for the private network of `invite`
    /// (`None`: an open network), as `given` if it is `Some` (see
    /// [`open_as`](Self::open_as)). A store is for one network: the first
    /// open records which, and opening it for another is refused
    /// ([`NodeError::OtherNetwork`]).
    pub async fn open_in(
        store: S,
        invite: Option<Invite>,
        given: Option<Identity>,
        mut random: impl FnMut() -> [u8; 32],
    ) -> Result<(Node<S>, OpenReport), NodeError> {
        let network = match invite {
            Some(invite) => Network::private(invite, random()),
            None => Network::Open,
        };
        let identity_of_network: &[u8] = match network.keys() {
            Some(keys) => &keys.network().0,
            None => b"open",
        };
        match store.get_meta(NETWORK).await? {
            Some(stored) if stored != identity_of_network => return Err(NodeError::OtherNetwork),
            Some(_) => {}
            // A store that names no network but holds an identity was
            // written before private networks: an open network's.
            None if network.keys().is_some() && store.get_meta(IDENTITY).await?.is_some() => {
                return Err(NodeError::OtherNetwork);
            }
            None => store.put_meta(NETWORK, identity_of_network).await?,
        }
        Node::open_inner(store, network, given, random).await
    }

    async fn open_inner(
        store: S,
        network: Network,
        given: Option<Identity>,
        mut random: impl FnMut() -> [u8; 32],
    ) -> Result<(Node<S>, OpenReport), NodeError> {
        let mut report = OpenReport::default();
        let policy = match store.get_meta(POLICY).await? {
            Some(bytes) => Some(Policy::from_stored(&bytes).ok_or(NodeError::DamagedMeta(POLICY))?),
            None => None,
        };
        // Whose store this is: its policy's viewer, and the author of the
        // own chain's latest event (a policy is stored only once changed).
        // Every stored event is read once, here: the own chain's head is
        // found among them rather than looked up on its own.
        let loaded = store.load_events().await?;
        let head_author = Self::head_author(&store, &loaded).await?;
        let owner = match (policy.as_ref().map(|p| p.me), head_author) {
            (Some(me), Some(author)) if me != author => {
                return Err(NodeError::DamagedMeta(POLICY));
            }
            (me, author) => me.or(author),
        };
        let identity =
            Self::stored_identity(&store, given, owner, &mut random, &mut report).await?;
        let policy = policy.unwrap_or_else(|| Policy::new(identity.public_key()));
        // The session id is published (in every Automerge change): derived
        // one-way from a fresh draw, so even a caller whose `random` repeats
        // the identity's secret never publishes any of it.
        let session = blake3::derive_key("trustfold automerge session", &random());
        let mut replica =
            Replica::for_session(policy, &session[..SESSION_BYTES]).in_network(network);
        let saved: Option<SavedDocs> = store
            .get_snapshot(DOCS)
            .await?
            .and_then(|bytes| snapshot::decode(&bytes));
        if let Some(saved) = &saved {
            report.saved_documents = replica.load_saved_docs(saved);
        }
        Self::load_events(&store, loaded, &mut replica, &mut report).await;
        if report.saved_documents > 0 && !replica.documents_match_log() {
            // A saved document holds changes the log does not carry: drop
            // the saved documents and rebuild them from the log.
            report.saved_documents = 0;
            let mut rebuilt =
                Replica::for_session(replica.view().policy().clone(), &session[..SESSION_BYTES])
                    .in_network(replica.take_network());
            for event in replica.log().topological() {
                // Each was accepted by this log, in an order where its
                // parents come first; a refusal still goes to the report.
                if let Err(e) = rebuilt.insert(event.clone()) {
                    report.skipped.push(format!("{:?}: {e}", event.id()));
                }
            }
            replica = rebuilt;
        }
        report.cached_state_current = match store.get_snapshot(STATE).await? {
            Some(bytes) => snapshot::decode::<CachedState>(&bytes)
                .is_some_and(|cached| cached.events == replica.log().len() as u64),
            None => false,
        };
        report.events = replica.log().len();
        let pending = replica.log().pending_len();
        if pending > 0 {
            report.skipped.push(format!(
                "{pending} stored events wait for parents that are not stored"
            ));
        }
        let tops = match confirmed::kept_tops(&store).await? {
            confirmed::Kept::Tops(tops) => tops,
            confirmed::Kept::Damaged(error) => {
                report.skipped.push(confirmed::damaged_report(&error));
                Vec::new()
            }
        };
        let confirmed = Confirmed::from_tops(replica.log(), identity.public_key(), &tops);
        let node = Node {
            store,
            replica: RefCell::new(replica),
            identity,
            writer: Mutex::new(()),
            unsaved: RefCell::new(Vec::new()),
            peers: RefCell::new(Peers::new()),
            orphans: RefCell::new(Orphans::default()),
            recovered: RefCell::new(Vec::new()),
            author_keys: RefCell::new(AuthorKeys::default()),
            off_thread: RefCell::new(None),
            dropped: RefCell::new(DroppedPeers::default()),
            confirmed: RefCell::new(confirmed),
        };
        Ok((node, report))
    }

    /// The identity the store holds, or `given` (a restore), or a new one;
    /// a stored identity other than `given` is refused. `owner` is whom the
    /// stored policy belongs to: a store whose identity record is lost (or
    /// names someone else) is damaged, never silently given a new identity
    /// that would write as a stranger under its owner's policy — restoring
    /// the owner's backup repairs it.
    async fn stored_identity(
        store: &S,
        given: Option<Identity>,
        owner: Option<PublicKey>,
        random: &mut impl FnMut() -> [u8; 32],
        report: &mut OpenReport,
    ) -> Result<Identity, NodeError> {
        let stored = match store.get_meta(IDENTITY).await? {
            Some(secret) => Some(Identity::from_secret(
                secret
                    .try_into()
                    .map_err(|_| NodeError::DamagedMeta(IDENTITY))?,
            )),
            None => None,
        };
        let identity = match (stored, given) {
            (Some(stored), Some(given)) if stored.public_key() != given.public_key() => {
                return Err(NodeError::OtherIdentity);
            }
            (Some(stored), _) => {
                if owner.is_some_and(|owner| owner != stored.public_key()) {
                    return Err(NodeError::DamagedMeta(POLICY));
                }
                return Ok(stored);
            }
            (None, Some(given)) => {
                if owner.is_some_and(|owner| owner != given.public_key()) {
                    return Err(NodeError::OtherIdentity);
                }
                given
            }
            (None, None) if owner.is_some() => return Err(NodeError::DamagedMeta(IDENTITY)),
            (None, None) => Identity::from_secret(random()),
        };
        store.put_meta(IDENTITY, &identity.secret()).await?;
        report.new_identity = true;
        Ok(identity)
    }

    /// The author of the own chain's latest stored event, if any.
    async fn head_author(store: &S, loaded: &LoadedEvents) -> Result<Option<PublicKey>, NodeError> {
        let Some(head) = store.get_meta(HEAD).await? else {
            return Ok(None);
        };
        let head = EventId(head.try_into().map_err(|_| NodeError::DamagedMeta(HEAD))?);
        // A damaged record of the head event is skipped and reported by the
        // load (`OpenReport::skipped`), and the rest of the store still
        // opens; the owner is then known from the policy alone. Stores
        // give events in the order written, or in key order: the head is
        // most likely among the last.
        let Some((_, bytes)) = loaded.events.iter().rev().find(|(id, _)| *id == head) else {
            return Ok(None);
        };
        Ok(Event::from_own_store(bytes)
            .ok()
            .map(|event| event.author()))
    }

    /// Inserts every stored event into `replica`, parents first; damaged or
    /// invalid records are skipped and reported.
    ///
    /// The work is cut in slices of [`OPEN_SLICE`] events with a
    /// [`Store::pause`] between them: in a browser, opening runs on the
    /// page's thread.
    async fn load_events(
        store: &S,
        loaded: LoadedEvents,
        replica: &mut Replica,
        report: &mut OpenReport,
    ) {
        report.skipped = loaded.corrupt;
        let unverified: FxHashSet<EventId> = loaded.unverified.into_iter().collect();
        let mut events = Vec::with_capacity(loaded.events.len());
        let mut slice = 0;
        for (id, bytes) in loaded.events {
            if slice >= OPEN_SLICE {
                store.pause().await;
                slice = 0;
            }
            slice += 1;
            match loaded_event(id, bytes, unverified.contains(&id))
                .and_then(|event| replica.admit(event))
            {
                Ok(event) => {
                    // Admitting a change decodes it: counted as it costs.
                    slice += open_weight(&event) - 1;
                    events.push(event);
                }
                Err(e) => report.skipped.push(format!("{id:?}: {e}")),
            }
        }
        store.pause().await;
        // Parents first, so none waits in the bounded pending buffer: a
        // store may give events in key order (random), and a batch written
        // before its parents' (a sibling tab's) comes first in write order.
        // Blocks of one tab come in write order, which is causal: the sort
        // (≈ 70 ms for 100,000 events in Chromium, in one task) is skipped.
        if !in_causal_order(&events) {
            events = causal_order(events);
            store.pause().await;
        }
        replica.reserve(events.len());
        let mut slice = 0;
        for event in events {
            if slice >= OPEN_SLICE {
                store.pause().await;
                slice = 0;
            }
            slice += open_weight(&event);
            let id = event.id();
            if let Err(e) = replica.insert(event) {
                report.skipped.push(format!("{id:?}: {e}"));
            }
        }
    }

    /// The replica (log, view, documents). Do not hold it across an await.
    pub fn replica(&self) -> Ref<'_, Replica> {
        self.replica.borrow()
    }

    /// The replica, for reads that need `&mut` (documents) and for local
    /// edits (committed with [`commit`](Self::commit)). Do not hold it
    /// across an await.
    pub fn replica_mut(&self) -> RefMut<'_, Replica> {
        self.replica.borrow_mut()
    }

    /// Checks batches of at least [`OFF_THREAD_MIN`] events from now on
    /// with `verifier` (a browser's Web Workers) instead of on this thread;
    /// `None` checks everything here again.
    pub fn verify_off_thread(&self, verifier: Option<Rc<dyn OffThread>>) {
        *self.off_thread.borrow_mut() = verifier;
    }

    /// The node's identity.
    pub fn identity(&self) -> &Identity {
        &self.identity
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Closes the node, giving back its store.
    pub fn into_store(self) -> S {
        self.store
    }

    /// Writes the own `events` and records the last as the latest event of
    /// the own chain, in one transaction.
    async fn save(&self, events: &[Event]) -> Result<(), StoreError> {
        let records: Vec<_> = events.iter().map(|e| (e.id(), e.bytes())).collect();
        let head = events.last().map(|e| e.id().0);
        let meta: Vec<(&str, &[u8])> = head.iter().map(|h| (HEAD, &h[..])).collect();
        self.store.write(&records, &meta).await
    }

    /// Takes in the own chain's latest events that a sibling node (another
    /// tab) stored and this one has not seen yet, so the next event signed
    /// here follows them. Returns how many events were applied.
    async fn catch_up_own_chain(&self) -> Result<usize, NodeError> {
        let Some(head) = self.store.get_meta(HEAD).await? else {
            return Ok(0);
        };
        let head = EventId(head.try_into().map_err(|_| NodeError::DamagedMeta(HEAD))?);
        let mut wanted = vec![head];
        let mut found: Vec<Event> = Vec::new();
        let mut seen: FxHashSet<EventId> = FxHashSet::default();
        // Once more than a few are missing, the whole store is read once:
        // a lookup may read every block (IndexedDB's newest first), so
        // looking up each of m events could read O(m²) blocks.
        // (Also when a lookup misses: a whole read finds records after
        // damage in a block, which a lookup does not.)
        let mut loaded: Option<FxHashMap<EventId, Vec<u8>>> = None;
        let mut suspects: FxHashSet<EventId> = FxHashSet::default();
        while let Some(id) = wanted.pop() {
            if self.replica.borrow().log().contains(&id) || !seen.insert(id) {
                continue;
            }
            let mut bytes = None;
            if loaded.is_none() && found.len() < CHAIN_LOOKUPS {
                // A lookup's bytes are unchecked: damaged ones (not hashing
                // to the id) would be taken in unverified, under another
                // id. They count as a miss: the whole read checks each
                // record and finds the intact one.
                bytes = self
                    .store
                    .get_event(&id)
                    .await?
                    .filter(|bytes| EventId::of_bytes(bytes) == id);
            }
            if bytes.is_none() && loaded.is_none() {
                let all = self.store.load_events().await?;
                suspects = all.unverified.into_iter().collect();
                loaded = Some(all.events.into_iter().collect());
            }
            if let Some(all) = loaded.as_mut() {
                bytes = bytes.or_else(|| all.remove(&id));
            }
            let unverified = suspects.contains(&id);
            let Some(bytes) = bytes else {
                return Err(NodeError::DamagedMeta(HEAD));
            };
            let event = loaded_event(id, bytes, unverified)
                .and_then(|event| self.replica.borrow().admit(event))
                .map_err(Error::from)?;
            wanted.extend(event.parents().iter().copied());
            found.push(event);
        }
        drop(loaded);
        let mut applied = 0;
        let mut replica = self.replica.borrow_mut();
        // Found newest first: insert oldest first.
        for event in found.into_iter().rev() {
            applied += replica.insert(event).map_err(Error::from)?.applied.len();
        }
        Ok(applied)
    }

    /// Signs a new event, stores it, then applies it.
    pub async fn publish(&self, time: u64, body: Body) -> Result<Event, NodeError> {
        let _writer = self.writer.lock().await;
        self.catch_up_own_chain().await?;
        // Stored now and applied: they must still be announced, whatever
        // happens to the new event.
        let late = self.write_unsaved().await?;
        self.recovered.borrow_mut().extend(late);
        let event = {
            let replica = self.replica.borrow();
            let draft = replica.draft(&self.identity.public_key(), time, body)?;
            let event = replica.network().sign(&self.identity, draft);
            replica.log().admits(&event).map_err(Error::from)?;
            event
        };
        self.save(std::slice::from_ref(&event)).await?;
        self.replica
            .borrow_mut()
            .insert(event.clone())
            .map_err(Error::from)?;
        Ok(event)
    }

    /// Own events that a [`publish`](Self::publish) stored on the way
    /// (edits signed earlier whose first write failed), which its answer
    /// does not include: stored and applied, still to be announced to
    /// other tabs and peers. Each is returned once.
    pub fn take_recovered(&self) -> Vec<Event> {
        std::mem::take(&mut self.recovered.borrow_mut())
    }

    /// Commits pending document edits if the replica's
    /// [`Batching`](crate::Batching) says they are due at `time`
    /// ([`Replica::commit_due`]); otherwise does nothing.
    pub async fn commit_if_due(&self, time: u64) -> Result<Vec<Event>, NodeError> {
        if !self.replica.borrow_mut().commit_due(time) {
            return Ok(Vec::new());
        }
        self.commit(time).await
    }

    /// Commits pending document edits: each resulting event is stored, then applied.
    pub async fn commit(&self, time: u64) -> Result<Vec<Event>, NodeError> {
        let _writer = self.writer.lock().await;
        self.catch_up_own_chain().await?;
        let mut events = self.write_unsaved().await?;
        {
            let mut unsaved = self.unsaved.borrow_mut();
            let signed =
                self.replica
                    .borrow_mut()
                    .sign_commit_after(&self.identity, time, &unsaved)?;
            if signed.is_empty() {
                return Ok(events);
            }
            // Written before applied: an event that is not durable is never
            // applied, served or announced, so a failed write cannot lead to
            // a second event with the same seq after a reload (a fork). The
            // changes stay in their documents; their events wait among the
            // unsaved — where a page going away finds them — until written
            // (signed again if the chain moved meanwhile), before anything
            // else.
            unsaved.extend(signed);
        }
        events.extend(self.write_unsaved().await?);
        Ok(events)
    }

    /// Changes and stores the policy.
    pub async fn set_policy(&self, policy: Policy) -> Result<(), NodeError> {
        let bytes = crate::encode::to_bytes(&policy);
        self.store.put_meta(POLICY, &bytes).await?;
        self.replica.borrow_mut().set_policy(policy);
        Ok(())
    }

    /// Saves the snapshots: the state as shown now and the documents in
    /// their saved form (caches that make the next open fast).
    pub async fn save_snapshots(&self, now: u64) -> Result<(), NodeError> {
        let (state, docs) = {
            let mut replica = self.replica.borrow_mut();
            (replica.cached_state(now), replica.saved_docs())
        };
        self.store
            .put_snapshot(STATE, &snapshot::encode(&state))
            .await?;
        let docs: Vec<(DocId, &serde_bytes::Bytes)> = docs
            .iter()
            .map(|(id, bytes)| (*id, serde_bytes::Bytes::new(bytes)))
            .collect();
        self.store
            .put_snapshot(DOCS, &snapshot::encode(&docs))
            .await?;
        Ok(())
    }

    /// The state as last saved in `store`, readable before (and without)
    /// opening the node; `None` if there is none or it does not decode.
    pub async fn cached_state(store: &S) -> Result<Option<CachedState>, NodeError> {
        Ok(store
            .get_snapshot(STATE)
            .await?
            .and_then(|bytes| snapshot::decode(&bytes)))
    }

    /// Reads the policy again from the store (a sibling node changed it).
    pub async fn reload_policy(&self) -> Result<(), NodeError> {
        if let Some(bytes) = self.store.get_meta(POLICY).await? {
            let policy: Policy =
                Policy::from_stored(&bytes).ok_or(NodeError::DamagedMeta(POLICY))?;
            if self.replica.borrow().view().policy() != &policy {
                self.replica.borrow_mut().set_policy(policy);
            }
        }
        Ok(())
    }
}

/// An event read back from the own store, under the id the store checked
/// (or the caller did: `hash(bytes) = id`), its bytes kept
/// ([`Event::from_loaded`]): decoded only, or checked as a peer's
/// (signature included) if the store could only find it again after
/// damage ([`LoadedEvents::unverified`]).
fn loaded_event(
    id: EventId,
    bytes: Vec<u8>,
    unverified: bool,
) -> Result<Event, crate::event::EventError> {
    if unverified {
        Event::from_bytes(&bytes)
    } else {
        Event::from_loaded(id, bytes)
    }
}

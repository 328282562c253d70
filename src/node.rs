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

use crate::error::Error;
use crate::event::{Body, Event, EventId, Identity, PublicKey};
use crate::log::{Insertion, causal_order};
use crate::policy::Policy;
use crate::replica::Replica;
use crate::snapshot::{self, CachedState, SavedDocs};
use crate::store::{Store, StoreError};
use crate::sync::{FrameError, Outgoing, Peers, Traffic};
use crate::transport::{Transport, TransportEvent};
use futures_util::FutureExt;
use futures_util::lock::Mutex;
use rustc_hash::FxHashSet;
use std::cell::{Ref, RefCell, RefMut};
use std::collections::BTreeMap;
use thiserror::Error;

const IDENTITY: &str = "identity";
const POLICY: &str = "policy";
/// The id of the latest event of this identity's own chain.
const HEAD: &str = "head";
/// Snapshot names (see [`crate::snapshot`]).
const STATE: &str = "state";
const DOCS: &str = "docs";
/// Bytes of randomness after the key in this session's Automerge actor.
const SESSION_BYTES: usize = 8;
/// Frames [`Node::sync_over`] takes in one turn at most (≈ 20,000 small
/// events): enough for verifying and writing to overlap, few enough that
/// other peers and local work are not kept waiting for long.
pub const FRAMES_PER_TURN: usize = 64;

/// The meta key under which the heads a peer announced are kept.
fn met_key(key: &PublicKey) -> String {
    format!("met:{}", key.to_hex())
}

/// Why a node operation failed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum NodeError {
    /// The store failed; nothing was lost.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The event or edit was refused.
    #[error(transparent)]
    Core(#[from] Error),
    /// Stored metadata does not decode.
    #[error("stored {0} is damaged")]
    DamagedMeta(&'static str),
    /// Restoring an identity into a store that already holds another one.
    #[error("this store already holds another identity")]
    OtherIdentity,
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
}

/// Sends frames; a frame a link refuses is dropped with it (the link is
/// down, and the next session's round repairs what was lost).
pub async fn send_all<T: Transport>(transport: &T, frames: Outgoing<String>) {
    for (peer, frame) in frames {
        let _ = transport.send(&peer, frame).await;
    }
}

/// A replica persisted in a store. See the [module docs](self).
pub struct Node<S: Store> {
    store: S,
    replica: RefCell<Replica>,
    identity: Identity,
    /// Held by a write from drafting to applying; keeps the events applied
    /// whose write failed, retried with the next write.
    writer: Mutex<Vec<Event>>,
    /// Sync sessions with peers (see [`crate::sync`]), by transport-given id.
    peers: RefCell<Peers<String>>,
}

/// Why a peer was dropped: it sent something no honest peer sends.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum PeerError {
    /// A frame that does not decode.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// An event that does not validate.
    #[error("peer sent an invalid event: {0}")]
    InvalidEvent(Error),
    /// Storing failed; the peer is not to blame and stays connected.
    #[error(transparent)]
    Node(NodeError),
}

/// What a frame from a peer led to.
#[derive(Debug, Default)]
pub struct FromPeer {
    /// Frames to send, by peer.
    pub send: Outgoing<String>,
    /// Events stored (new here), to announce to sibling tabs.
    pub stored: Vec<Event>,
}

impl<S: Store> Node<S> {
    /// Opens the node kept in `store`. `random` gives fresh secret bytes:
    /// the identity, if the store has none, and this session's actor suffix.
    pub async fn open(
        store: S,
        random: impl FnMut() -> [u8; 32],
    ) -> Result<(Node<S>, OpenReport), NodeError> {
        Node::open_inner(store, None, random).await
    }

    /// Opens the node kept in `store` as `identity` (restored from a
    /// backup): the store must hold no identity yet, or this one.
    pub async fn open_as(
        store: S,
        identity: Identity,
        random: impl FnMut() -> [u8; 32],
    ) -> Result<(Node<S>, OpenReport), NodeError> {
        Node::open_inner(store, Some(identity), random).await
    }

    async fn open_inner(
        store: S,
        given: Option<Identity>,
        mut random: impl FnMut() -> [u8; 32],
    ) -> Result<(Node<S>, OpenReport), NodeError> {
        let mut report = OpenReport::default();
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
            (Some(stored), _) => stored,
            (None, given) => {
                let identity = given.unwrap_or_else(|| Identity::from_secret(random()));
                store.put_meta(IDENTITY, &identity.secret()).await?;
                report.new_identity = true;
                identity
            }
        };
        let policy = match store.get_meta(POLICY).await? {
            Some(bytes) => Policy::from_stored(&bytes).ok_or(NodeError::DamagedMeta(POLICY))?,
            None => Policy::new(identity.public_key()),
        };
        let session = random();
        let mut replica = Replica::for_session(policy, &session[..SESSION_BYTES]);
        let saved: Option<SavedDocs> = store
            .get_snapshot(DOCS)
            .await?
            .and_then(|bytes| snapshot::decode(&bytes));
        if let Some(saved) = &saved {
            report.saved_documents = replica.load_saved_docs(saved);
        }
        let loaded = store.load_events().await?;
        report.skipped = loaded.corrupt;
        let mut events = Vec::with_capacity(loaded.events.len());
        for (id, bytes) in loaded.events {
            match Event::from_own_store(&bytes) {
                Ok(event) => events.push(event),
                Err(e) => report.skipped.push(format!("{id:?}: {e}")),
            }
        }
        // A store returns events in key order (random): parents first, so
        // none waits in the bounded pending buffer.
        for event in causal_order(events) {
            let id = event.id();
            if let Err(e) = replica.insert(event) {
                report.skipped.push(format!("{id:?}: {e}"));
            }
        }
        if report.saved_documents > 0 && !replica.documents_match_log() {
            // A saved document holds changes the log does not carry: drop
            // the saved documents and rebuild them from the log.
            report.saved_documents = 0;
            let mut rebuilt =
                Replica::for_session(replica.view().policy().clone(), &session[..SESSION_BYTES]);
            for event in replica.log().topological() {
                let _ = rebuilt.insert(event.clone());
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
        let node = Node {
            store,
            replica: RefCell::new(replica),
            identity,
            writer: Mutex::new(Vec::new()),
            peers: RefCell::new(Peers::new()),
        };
        Ok((node, report))
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

    /// Events applied but not yet written (a write failed).
    pub async fn unsaved(&self) -> usize {
        self.writer.lock().await.len()
    }

    /// Writes `events` together with any left unsaved by an earlier failure,
    /// and records `head` as the latest event of the own chain, in one transaction.
    async fn save(
        &self,
        unsaved: &mut Vec<Event>,
        events: &[Event],
        head: Option<EventId>,
    ) -> Result<(), StoreError> {
        let records: Vec<_> = unsaved
            .iter()
            .chain(events)
            .map(|e| (e.id(), e.bytes()))
            .collect();
        let head = head.map(|id| id.0);
        let meta: Vec<(&str, &[u8])> = head.iter().map(|h| (HEAD, &h[..])).collect();
        self.store.write(&records, &meta).await?;
        unsaved.clear();
        Ok(())
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
        let mut found = Vec::new();
        while let Some(id) = wanted.pop() {
            if self.replica.borrow().log().contains(&id)
                || found.iter().any(|e: &Event| e.id() == id)
            {
                continue;
            }
            let Some(bytes) = self.store.get_event(&id).await? else {
                return Err(NodeError::DamagedMeta(HEAD));
            };
            let event = Event::from_own_store(&bytes).map_err(Error::from)?;
            wanted.extend(event.parents().iter().copied());
            found.push(event);
        }
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
        let mut unsaved = self.writer.lock().await;
        self.catch_up_own_chain().await?;
        let event = {
            let replica = self.replica.borrow();
            let draft = replica.draft(&self.identity.public_key(), time, body)?;
            let event = self.identity.sign(draft);
            replica.log().admits(&event).map_err(Error::from)?;
            event
        };
        self.save(&mut unsaved, std::slice::from_ref(&event), Some(event.id()))
            .await?;
        self.replica
            .borrow_mut()
            .insert(event.clone())
            .map_err(Error::from)?;
        Ok(event)
    }

    /// Takes in an event received from a peer: verifies, stores, applies.
    pub async fn receive(&self, bytes: &[u8]) -> Result<Insertion, NodeError> {
        let event = Event::from_bytes(bytes).map_err(Error::from)?;
        self.replica
            .borrow()
            .log()
            .admits(&event)
            .map_err(Error::from)?;
        self.store
            .put_events(&[(event.id(), event.bytes())])
            .await?;
        Ok(self
            .replica
            .borrow_mut()
            .insert(event)
            .map_err(Error::from)?)
    }

    /// Takes in a batch of events received from peers: each is decoded and
    /// verified; the valid new ones are stored, then applied. An invalid
    /// event is refused alone (see [`Received::refused`]).
    ///
    /// The batch goes in chunks, and the signatures of one chunk are checked
    /// while the store writes the chunk before (IndexedDB works beside the
    /// page's thread), so the two costs overlap instead of adding up. A
    /// failed write returns the error: the chunks written before it are
    /// stored and applied, nothing after it is.
    pub async fn receive_batch(&self, batch: &[&[u8]]) -> Result<Received, NodeError> {
        /// Events per chunk: big enough that a write is worth its
        /// transaction, small enough that verifying and writing overlap.
        const CHUNK: usize = 512;
        let mut received = Received::default();
        let mut seen: FxHashSet<EventId> = FxHashSet::default();
        let mut chunks = batch.chunks(CHUNK).enumerate();
        let mut ready = match chunks.next() {
            Some((n, chunk)) => {
                self.check_chunk(n * CHUNK, chunk, &mut seen, &mut received.refused)
            }
            None => return Ok(received),
        };
        loop {
            let next = chunks.next();
            let records: Vec<_> = ready.iter().map(|e| (e.id(), e.bytes())).collect();
            let write = self.store.put_events(&records);
            let mut refused = Vec::new();
            let check = async {
                next.map(|(n, chunk)| self.check_chunk(n * CHUNK, chunk, &mut seen, &mut refused))
            };
            let (written, checked) = futures_util::future::join(write, check).await;
            written?;
            received.refused.append(&mut refused);
            let mut replica = self.replica.borrow_mut();
            for event in causal_order(ready) {
                // Checked against the log as it was; an event whose parent
                // came in the same batch is checked against it only now. If
                // refused, it stays stored and is refused (and reported)
                // again on open, like any other stored event that does not apply.
                if let Ok(insertion) = replica.insert(event.clone()) {
                    received.applied += insertion.applied.len();
                }
                received.stored.push(event);
            }
            drop(replica);
            match checked {
                Some(events) => ready = events,
                None => return Ok(received),
            }
        }
    }

    /// Decodes and verifies one chunk of a received batch: the events new
    /// here, in the chunk's order; refusals go to `refused` by batch index.
    fn check_chunk(
        &self,
        offset: usize,
        chunk: &[&[u8]],
        seen: &mut FxHashSet<EventId>,
        refused: &mut Vec<(usize, Error)>,
    ) -> Vec<Event> {
        let replica = self.replica.borrow();
        let log = replica.log();
        let mut out = Vec::new();
        for (i, bytes) in chunk.iter().enumerate() {
            // A copy of an event held already costs a hash, not a signature check.
            let id = EventId::of_bytes(bytes);
            if log.contains(&id) || log.is_pending(&id) || seen.contains(&id) {
                continue;
            }
            let checked = Event::from_bytes(bytes)
                .map_err(Error::from)
                .and_then(|e| log.admits(&e).map(|_| e).map_err(Error::from));
            match checked {
                Ok(event) => {
                    seen.insert(id);
                    out.push(event);
                }
                Err(e) => refused.push((offset + i, e)),
            }
        }
        out
    }

    /// Takes in an event that a sibling node sharing this store (another
    /// tab) has stored: applied without writing it again or re-checking its
    /// signature (see [`Event::from_own_store`]).
    pub fn load_stored(&self, bytes: &[u8]) -> Result<Insertion, NodeError> {
        let event = Event::from_own_store(bytes).map_err(Error::from)?;
        Ok(self
            .replica
            .borrow_mut()
            .insert(event)
            .map_err(Error::from)?)
    }

    /// Commits pending document edits: each resulting event is stored, then applied.
    pub async fn commit(&self, time: u64) -> Result<Vec<Event>, NodeError> {
        let mut unsaved = self.writer.lock().await;
        self.catch_up_own_chain().await?;
        let events = self.replica.borrow_mut().commit(&self.identity, time)?;
        if events.is_empty() {
            return Ok(events);
        }
        // Applied before stored here (a change enters its document when its
        // event is applied); if the write fails they are kept and written
        // with the next successful write.
        let head = events.last().map(Event::id);
        if let Err(e) = self.save(&mut unsaved, &events, head).await {
            unsaved.extend(events);
            return Err(e.into());
        }
        Ok(events)
    }

    /// Changes and stores the policy.
    pub async fn set_policy(&self, policy: Policy) -> Result<(), NodeError> {
        let bytes = postcard::to_allocvec(&policy).unwrap_or_default();
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

    /// A link to `peer` is up: starts a sync session; returns its first
    /// frames. `salt` must be fresh randomness.
    pub fn connect_peer(&self, peer: &str, salt: [u8; 16]) -> Outgoing<String> {
        let replica = self.replica.borrow();
        self.peers
            .borrow_mut()
            .connect(peer.to_owned(), replica.log(), salt)
    }

    /// The link to `peer` is down.
    pub fn disconnect_peer(&self, peer: &str) {
        self.peers.borrow_mut().disconnect(&peer.to_owned());
    }

    /// Starts a new sync round with every connected peer (after being
    /// offline, or now and then to repair what was lost).
    pub fn resync_peers(&self, mut salt: impl FnMut() -> [u8; 16]) -> Outgoing<String> {
        let replica = self.replica.borrow();
        let mut peers = self.peers.borrow_mut();
        let connected: Vec<String> = peers.connected().cloned().collect();
        connected
            .iter()
            .flat_map(|peer| peers.resync(peer, replica.log(), salt()))
            .collect()
    }

    /// What went over the wire with `peer` in its open session.
    pub fn traffic(&self, peer: &str) -> Option<Traffic> {
        self.peers
            .borrow()
            .session(&peer.to_owned())
            .map(|s| s.traffic())
    }

    /// The peers with an open session.
    pub fn connected_peers(&self) -> Vec<String> {
        self.peers.borrow().connected().cloned().collect()
    }

    /// Takes in a frame from `peer`: answers it, and stores and applies the
    /// valid new events it carries (forwarding them to the other peers).
    /// On a [`PeerError`] other than [`PeerError::Node`] the peer has been
    /// dropped: close its link. Nothing invalid is ever stored.
    pub async fn from_peer(&self, peer: &str, frame: &[u8]) -> Result<FromPeer, PeerError> {
        self.from_peer_frames(peer, &[frame]).await
    }

    /// [`from_peer`](Self::from_peer) for several frames from one peer that
    /// arrived together: their events are ingested as one batch, so
    /// verifying one chunk overlaps with writing the one before (see
    /// [`receive_batch`](Self::receive_batch)) across frames too.
    pub async fn from_peer_frames(
        &self,
        peer: &str,
        frames: &[&[u8]],
    ) -> Result<FromPeer, PeerError> {
        let peer = peer.to_owned();
        let mut send = Vec::new();
        let mut events = Vec::new();
        for frame in frames {
            let received = {
                let replica = self.replica.borrow();
                self.peers.borrow_mut().receive(&peer, replica.log(), frame)
            };
            match received {
                Ok((reply, carried)) => {
                    send.extend(reply);
                    events.extend(carried);
                }
                Err(e) => {
                    self.disconnect_peer(&peer);
                    return Err(e.into());
                }
            }
        }
        let mut out = FromPeer::default();
        if !events.is_empty() {
            let refs: Vec<&[u8]> = events.iter().map(Vec::as_slice).collect();
            let received = self.receive_batch(&refs).await.map_err(PeerError::Node)?;
            if let Some((_, e)) = received
                .refused
                .into_iter()
                .find(|(_, e)| !matches!(e, Error::Log(crate::log::LogError::PendingFull { .. })))
            {
                self.disconnect_peer(&peer);
                return Err(PeerError::InvalidEvent(e));
            }
            out.stored = received.stored;
        }
        let replica = self.replica.borrow();
        let log = replica.log();
        let applied: Vec<_> = out.stored.iter().filter_map(|e| log.ix(&e.id())).collect();
        send.extend(
            self.peers
                .borrow_mut()
                .after_ingest(Some(&peer), log, &applied),
        );
        out.send = send;
        Ok(out)
    }

    /// Runs the sync protocol over `transport` until it shuts down: starts
    /// a session when a link comes up, answers and ingests frames, drops a
    /// peer that misbehaves, ends the session when a link goes down.
    /// `stored` hears every batch of events stored from peers (to announce
    /// them to sibling tabs, or to redraw). Local events are pushed with
    /// [`push_to_peers`](Self::push_to_peers).
    ///
    /// Frames already waiting when one is taken are taken with it (up to
    /// [`FRAMES_PER_TURN`]) and ingested per peer as one batch: during a
    /// catch-up the peer sends faster than this node verifies and writes,
    /// and one batch lets the two overlap.
    ///
    /// When the transport knows a peer's identity key
    /// ([`Transport::peer_key`]), what that peer is known to hold
    /// ([`Session::held`](crate::sync::Session::held)) is kept in the store,
    /// so the first round after a reload starts from it instead of from
    /// nothing.
    pub async fn sync_over<T: Transport>(
        &self,
        transport: &T,
        mut salt: impl FnMut() -> [u8; 16],
        mut stored: impl FnMut(&[Event]),
    ) {
        let mut waiting: Option<TransportEvent> = None;
        loop {
            let event = match waiting.take() {
                Some(event) => event,
                None => match transport.next().await {
                    Some(event) => event,
                    None => return,
                },
            };
            let out = match event {
                TransportEvent::Up(peer) => {
                    let heads = match transport.peer_key(&peer) {
                        Some(key) => self.met_heads(&key).await,
                        None => Vec::new(),
                    };
                    let replica = self.replica.borrow();
                    self.peers
                        .borrow_mut()
                        .connect_from(peer, heads, replica.log(), salt())
                }
                TransportEvent::Down(peer) => {
                    self.disconnect_peer(&peer);
                    continue;
                }
                TransportEvent::Frame(peer, frame) => {
                    // Take what is already queued: frames by peer, in order.
                    let mut by_peer: BTreeMap<String, Vec<Vec<u8>>> = BTreeMap::new();
                    by_peer.entry(peer).or_default().push(frame);
                    for _ in 1..FRAMES_PER_TURN {
                        match transport.next().now_or_never() {
                            Some(Some(TransportEvent::Frame(peer, frame))) => {
                                by_peer.entry(peer).or_default().push(frame)
                            }
                            Some(Some(other)) => {
                                waiting = Some(other);
                                break;
                            }
                            // Shut down: what was taken is still handled.
                            Some(None) | None => break,
                        }
                    }
                    let mut out = Vec::new();
                    for (peer, frames) in by_peer {
                        let frames: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
                        match self.from_peer_frames(&peer, &frames).await {
                            Ok(from) => {
                                if !from.stored.is_empty() {
                                    stored(&from.stored);
                                }
                                out.extend(from.send);
                                self.remember_heads(transport, &peer).await;
                            }
                            // Storage failed: the peer is not to blame; what
                            // it sent comes again in a later round.
                            Err(PeerError::Node(_)) => {}
                            Err(_) => transport.close(&peer),
                        }
                    }
                    out
                }
            };
            send_all(transport, out).await;
        }
    }

    /// What the peer with this key held when last met (empty if never met,
    /// or unreadable: that only costs a bigger first round).
    async fn met_heads(&self, key: &PublicKey) -> Vec<EventId> {
        match self.store.get_meta(&met_key(key)).await {
            Ok(Some(bytes)) => postcard::from_bytes(&bytes).unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Keeps what `peer` is known to hold, if that changed since last kept.
    async fn remember_heads<T: Transport>(&self, transport: &T, peer: &str) {
        let Some(key) = transport.peer_key(peer) else {
            return;
        };
        let Some(heads) = self.peers.borrow_mut().held_if_changed(&peer.to_owned()) else {
            return;
        };
        if let Ok(bytes) = postcard::to_allocvec(&heads) {
            // Best effort: a failed write only costs a bigger first round.
            let _ = self.store.put_meta(&met_key(&key), &bytes).await;
        }
    }

    /// Frames pushing events made here (published or committed) to every
    /// connected peer.
    pub fn push_to_peers(&self, events: &[Event]) -> Outgoing<String> {
        let replica = self.replica.borrow();
        let log = replica.log();
        let applied: Vec<_> = events.iter().filter_map(|e| log.ix(&e.id())).collect();
        self.peers.borrow_mut().after_ingest(None, log, &applied)
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

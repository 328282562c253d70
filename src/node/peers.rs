//! The node's side of sync: sessions with peers over any [`Transport`],
//! what each peer is known to hold kept across reloads, and frames from
//! peers answered even when storing what they carried failed.

use super::{Node, NodeError};
use crate::error::Error;
use crate::event::{Event, PublicKey};
use crate::store::Store;
use crate::sync::{
    FrameError, GossipLimits, GossipStats, Ingested, MAX_WANT, Met, Outgoing, Traffic,
};
use crate::transport::{Transport, TransportEvent};
use futures_util::FutureExt;
use std::collections::BTreeMap;
use thiserror::Error;

/// Frames [`Node::sync_over`] takes in one turn at most (≈ 20,000 small
/// events): enough for verifying and writing to overlap, few enough that
/// other peers and local work are not kept waiting for long.
pub(crate) const FRAMES_PER_TURN: usize = 64;

/// Frames decoded between two [`Store::pause`](crate::store::Store::pause)s
/// in [`Node::from_peer_frames`].
const FRAMES_PER_PAUSE: usize = 4;

/// The meta key under which what a peer holds is kept.
fn met_key(key: &PublicKey) -> String {
    format!("met:{}", key.to_hex())
}

/// Sends frames; a frame a link refuses is dropped with it (the link is
/// down, and the next session's round repairs what was lost).
pub async fn send_all<T: Transport>(transport: &T, frames: Outgoing<String>) {
    for (peer, frame) in frames {
        let _ = transport.send(&peer, frame).await;
    }
}

/// Why a peer was dropped: it sent something no honest peer sends. A
/// valid event refused for lack of room, a fork, or a failed write never
/// drops a peer.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PeerError {
    /// A frame that does not decode, or breaks the protocol's bounds.
    /// Code: the wrapped error's.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// An event that does not validate.
    /// Code: the wrapped error's.
    #[error("peer sent an invalid event: {0}")]
    InvalidEvent(Error),
}

impl PeerError {
    /// The stable code of this error: snake_case, unique among the crate's
    /// codes, named in each variant's doc (a wrapping variant gives the
    /// wrapped error's).
    pub fn code(&self) -> &'static str {
        match self {
            PeerError::Frame(e) => e.code(),
            PeerError::InvalidEvent(e) => e.code(),
        }
    }
}

/// What frames from a peer led to.
#[derive(Debug, Default)]
pub struct FromPeer {
    /// Frames to send, by peer — sent even when storing failed.
    pub send: Outgoing<String>,
    /// Events stored (new here), to announce to sibling tabs.
    pub stored: Vec<Event>,
    /// Storing failed: nothing of the failed chunk was applied; the peer is
    /// not to blame and is asked again in a later round.
    pub store_error: Option<NodeError>,
    /// Other peers found to have sent invalid events earlier (orphans
    /// whose parents arrived now): they were dropped; close their links.
    pub dropped: Vec<(String, Error)>,
    /// The peer itself was dropped for what it sent (close its link):
    /// why. What it sent before an invalid event is still stored
    /// (`stored`) and forwarded (`send`); a frame that does not decode
    /// drops the events of the frames before it in the same call.
    pub peer_error: Option<PeerError>,
}

impl<S: Store> Node<S> {
    /// A link to `peer` is up: starts a sync session; returns its first
    /// frames. `salt` must be fresh randomness.
    pub fn connect_peer(&self, peer: &str, salt: [u8; 16]) -> Outgoing<String> {
        let replica = self.replica.borrow();
        self.peers
            .borrow_mut()
            .connect(peer.to_owned(), replica.log(), salt)
    }

    /// [`connect_peer`](Self::connect_peer) to a peer met before.
    pub fn connect_peer_from(&self, peer: &str, met: Met, salt: [u8; 16]) -> Outgoing<String> {
        let replica = self.replica.borrow();
        self.peers
            .borrow_mut()
            .connect_from(peer.to_owned(), met, replica.log(), salt)
    }

    /// Keeps `peer` eager: every new event goes to it in full whatever it
    /// sends (the relay, which stores for peers offline now).
    pub fn pin_eager(&self, peer: &str) {
        self.peers.borrow_mut().pin_eager(peer.to_owned());
    }

    /// Sets lazy push's timing and bounds (see [`GossipLimits`]).
    pub fn set_gossip_limits(&self, limits: GossipLimits) {
        self.peers.borrow_mut().set_gossip_limits(limits);
    }

    /// The time is `now` (milliseconds, or the unit of
    /// [`GossipLimits::want_after`]): frames asking for events announced
    /// by lazy links that have not arrived by another. Call it a few times
    /// per `want_after`.
    pub fn tick_peers(&self, now: u64) -> Outgoing<String> {
        let replica = self.replica.borrow();
        self.peers.borrow_mut().tick(now, replica.log())
    }

    /// Lazy push's counters ([`GossipStats`]).
    pub fn gossip_stats(&self) -> GossipStats {
        self.peers.borrow().gossip_stats()
    }

    /// Whether new events go to `peer` in full (else by id).
    pub fn is_eager(&self, peer: &str) -> bool {
        self.peers.borrow().gossip().is_eager(&peer.to_owned())
    }

    /// Peers dropped for what they sent: the latest few, with why, and
    /// how many in all (see [`DroppedPeers`](super::DroppedPeers)).
    pub fn dropped_peers(&self) -> super::DroppedPeers {
        self.dropped.borrow().clone()
    }

    fn record_dropped(&self, peer: String, key: Option<PublicKey>, code: &'static str) {
        self.dropped
            .borrow_mut()
            .record(super::DroppedPeer { peer, key, code });
    }

    /// The link to `peer` is down: its session and its orphans go.
    pub fn disconnect_peer(&self, peer: &str) {
        let peer = peer.to_owned();
        self.peers.borrow_mut().disconnect(&peer);
        self.orphans.borrow_mut().drop_peer(&peer);
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

    /// Bytes of events sent to `peer` and not acknowledged yet.
    pub fn in_flight(&self, peer: &str) -> Option<usize> {
        self.peers
            .borrow()
            .session(&peer.to_owned())
            .map(|s| s.in_flight())
    }

    /// Events this node owes `peer`: queued for it (waiting for room in
    /// the receive window) or sent and not acknowledged yet. How far
    /// behind a link is; `None` without a session with `peer`.
    pub fn unsent(&self, peer: &str) -> Option<usize> {
        self.peers
            .borrow()
            .session(&peer.to_owned())
            .map(|s| s.queued() + s.unacknowledged())
    }

    /// Heads `peer` announced that this node does not hold yet: more than
    /// zero while this node is behind that peer. `None` without a session.
    pub fn heads_missing(&self, peer: &str) -> Option<usize> {
        let replica = self.replica.borrow();
        let log = replica.log();
        self.peers
            .borrow()
            .session(&peer.to_owned())
            .map(|s| s.peer_heads().iter().filter(|h| !log.contains(h)).count())
    }

    /// Events held apart waiting for their parents, from all peers.
    pub fn orphans(&self) -> usize {
        self.orphans.borrow().len()
    }

    /// Parents that orphans wait for and that have not arrived (asked of
    /// the peers that sent the orphans).
    pub fn missing_parents(&self) -> usize {
        let replica = self.replica.borrow();
        let log = replica.log();
        self.orphans.borrow().missing(|id| log.contains(id)).count()
    }

    /// The peers with an open session.
    pub fn connected_peers(&self) -> Vec<String> {
        self.peers.borrow().connected().cloned().collect()
    }

    /// What is known of `peer`, if that changed since last asked (to keep
    /// for the next meeting, see [`connect_peer_from`](Self::connect_peer_from)).
    pub fn met_if_changed(&self, peer: &str) -> Option<Met> {
        self.peers.borrow_mut().met_if_changed(&peer.to_owned())
    }

    /// Takes in a frame from `peer`: answers it, and stores and applies the
    /// valid new events it carries (forwarding them to the other peers).
    /// On a [`PeerError`] the peer has been dropped: close its link. The
    /// valid events before an invalid one are stored, and reach the other
    /// peers only with their next round ([`take_in_frames`](Self::take_in_frames)
    /// forwards them at once). Nothing invalid is ever stored.
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
        // Only what the caller is told of may be sent or dropped: an `Err`
        // carries no frames, so nothing is forwarded (events forwarded and
        // never sent would count as sent, and fill the window for good).
        let mut from = self.take_in(peer, frames, false).await;
        match from.peer_error.take() {
            Some(e) => Err(e),
            None => Ok(from),
        }
    }

    /// [`from_peer_frames`](Self::from_peer_frames), keeping what a peer
    /// dropped for an invalid event sent before it
    /// ([`FromPeer::peer_error`]): stored, it is announced to sibling tabs
    /// and forwarded to the other peers like any batch. Every frame in
    /// `send` must be sent, and every peer in `dropped` closed.
    pub async fn take_in_frames(&self, peer: &str, frames: &[&[u8]]) -> FromPeer {
        self.take_in(peer, frames, true).await
    }

    /// With `forward_if_dropped` false, a peer dropped for an invalid event
    /// leaves what it sent before stored and told to no one: the returned
    /// `FromPeer` has only `stored` and `peer_error`.
    async fn take_in(&self, peer: &str, frames: &[&[u8]], forward_if_dropped: bool) -> FromPeer {
        let name = peer.to_owned();
        let mut send = Vec::new();
        let mut events = Vec::new();
        for (n, frame) in frames.iter().enumerate() {
            // Decoding a frame of events costs ≈ 1–2 ms in Chromium: a
            // turn of 64 held the page's thread for ≈ 0.1–0.2 s.
            if n > 0 && n % FRAMES_PER_PAUSE == 0 {
                self.store.pause().await;
            }
            let received = {
                let replica = self.replica.borrow();
                self.peers.borrow_mut().receive(&name, replica.log(), frame)
            };
            match received {
                Ok((reply, carried)) => {
                    send.extend(reply);
                    events.extend(carried);
                }
                Err(e) => {
                    // Nothing of this call was stored yet: the events of the
                    // frames before it go with the peer.
                    self.disconnect_peer(peer);
                    return FromPeer {
                        peer_error: Some(e.into()),
                        ..FromPeer::default()
                    };
                }
            }
        }
        let mut out = FromPeer::default();
        let mut room_refused = false;
        if !events.is_empty() {
            let refs: Vec<_> = events.iter().map(|c| (c.id(), c.bytes())).collect();
            let received = self.receive_identified(peer, &refs).await;
            let own_orphan = received.invalid_orphans.iter().find(|(p, _)| p == peer);
            if let Some(e) = received
                .refused
                .first()
                .map(|(_, e)| e)
                .or(own_orphan.map(|(_, e)| e))
            {
                self.disconnect_peer(peer);
                out.peer_error = Some(PeerError::InvalidEvent(e.clone()));
                if !forward_if_dropped {
                    out.stored = received.stored;
                    return out;
                }
            }
            for (other, e) in received.invalid_orphans {
                if other != peer {
                    self.disconnect_peer(&other);
                    out.dropped.push((other, e));
                }
            }
            // A failed write: the replies owed to the peer still go, what
            // was stored before it is forwarded, the rest is asked for
            // again in another round.
            room_refused = received.room_refused || received.store_error.is_some();
            out.store_error = received.store_error;
            out.stored = received.stored;
        }
        let out = self.answer_ingest(&name, out, send, room_refused);
        if out.peer_error.is_none() {
            self.confirm_held(peer, !out.stored.is_empty()).await;
        }
        out
    }

    /// The end of [`take_in`](Self::take_in): acknowledges what was stored,
    /// asks for what is missing and forwards what is new.
    fn answer_ingest(
        &self,
        name: &String,
        mut out: FromPeer,
        mut send: Vec<(String, Vec<u8>)>,
        room_refused: bool,
    ) -> FromPeer {
        let replica = self.replica.borrow();
        let log = replica.log();
        let applied: Vec<_> = out.stored.iter().filter_map(|e| log.ix(&e.id())).collect();
        // Taken only when the session asks now: taking them marks them asked.
        let asks = self
            .peers
            .borrow()
            .session(name)
            .is_some_and(|s| s.asks_now());
        let missing = if asks {
            self.orphans
                .borrow_mut()
                .missing_from(name, |id| log.contains(id), MAX_WANT)
        } else {
            Vec::new()
        };
        let orphans = self.orphans.borrow();
        if out.peer_error.is_some() {
            // Nothing more goes to a dropped peer, and a push of its does
            // not count as useful: what it sent is forwarded as if made here.
            send.clear();
        }
        let from = out.peer_error.is_none().then_some(name);
        send.extend(self.peers.borrow_mut().after_ingest_with(
            from,
            log,
            &Ingested {
                applied: &applied,
                missing: &missing,
                waiting: &|id| orphans.contains(id),
                refused_room: room_refused,
                // Evicted orphans count as lost: the sender marked them sent.
                lost: out.store_error.is_some() || room_refused,
            },
        ));
        out.send = send;
        out
    }

    /// Runs the sync protocol over `transport` until it shuts down: starts
    /// a session when a link comes up, answers and ingests frames, drops a
    /// peer that misbehaves, ends the session when a link goes down.
    /// `stored` hears every batch of events stored from peers (to announce
    /// them to sibling tabs, or to redraw). Local events are pushed with
    /// [`push_to_peers`](Self::push_to_peers).
    ///
    /// Frames already waiting when one is taken are taken with it (up to
    /// 64, `FRAMES_PER_TURN`) and ingested per peer as one batch: during a
    /// catch-up the peer sends faster than this node verifies and writes,
    /// and one batch lets the two overlap. The receive window (see
    /// [`crate::sync`]) bounds what waits.
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
        // The key each peer proved when its link came up, kept until it
        // goes down: a peer dropped for what it sent is named by it even
        // if its link went meanwhile (while its frames were checked).
        // (A list: links are few, and a map's code costs the package.)
        let mut keys: Vec<(String, PublicKey)> = Vec::new();
        let key_of = |keys: &[(String, PublicKey)], peer: &str| {
            keys.iter().find(|(p, _)| p == peer).map(|(_, key)| *key)
        };
        loop {
            let event = match waiting.take() {
                Some(event) => event,
                None => match transport.next().await {
                    Some(event) => event,
                    None => {
                        self.keep_confirmed().await;
                        return;
                    }
                },
            };
            let out = match event {
                TransportEvent::Up(peer) => {
                    let key = transport.peer_key(&peer);
                    let met = match key {
                        Some(key) => {
                            keys.retain(|(p, _)| *p != peer);
                            keys.push((peer.clone(), key));
                            self.met(&key).await
                        }
                        None => Met::default(),
                    };
                    self.connect_peer_from(&peer, met, salt())
                }
                TransportEvent::Down(peer) => {
                    keys.retain(|(p, _)| *p != peer);
                    self.disconnect_peer(&peer);
                    self.keep_confirmed().await;
                    continue;
                }
                TransportEvent::Dropped { peer, key, error } => {
                    let key = key.or_else(|| key_of(&keys, &peer));
                    self.record_dropped(peer.clone(), key, error.code());
                    self.disconnect_peer(&peer);
                    self.keep_confirmed().await;
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
                        let from = self.take_in_frames(&peer, &frames).await;
                        // A peer dropped for an invalid event: what it sent
                        // before it is stored, announced and forwarded too.
                        if !from.stored.is_empty() {
                            stored(&from.stored);
                        }
                        if let Some(e) = &from.peer_error {
                            let key = key_of(&keys, &peer);
                            self.record_dropped(peer.clone(), key, e.code());
                            transport.close(&peer);
                        }
                        for (other, e) in &from.dropped {
                            let key = key_of(&keys, other);
                            self.record_dropped(other.clone(), key, e.code());
                            transport.close(other);
                        }
                        out.extend(from.send);
                        if from.peer_error.is_none() {
                            self.remember_heads(transport, &peer).await;
                        }
                    }
                    out
                }
            };
            send_all(transport, out).await;
        }
    }

    /// What was known of the peer with this key when last met. Never met,
    /// unreadable, or kept by a version before protocol 2 (a bare list):
    /// nothing, which only costs a bigger first round.
    async fn met(&self, key: &PublicKey) -> Met {
        match self.store.get_meta(&met_key(key)).await {
            Ok(Some(bytes)) => postcard::from_bytes(&bytes).unwrap_or_default(),
            _ => Met::default(),
        }
    }

    /// Keeps what `peer` is known to hold, if that changed since last kept.
    async fn remember_heads<T: Transport>(&self, transport: &T, peer: &str) {
        let Some(key) = transport.peer_key(peer) else {
            return;
        };
        let Some(met) = self.met_if_changed(peer) else {
            return;
        };
        let bytes = crate::encode::to_bytes(&met);
        // Best effort: a failed write only costs a bigger first round.
        let _ = self.store.put_meta(&met_key(&key), &bytes).await;
    }

    /// Frames pushing events made here (published or committed) to every
    /// connected peer.
    pub fn push_to_peers(&self, events: &[Event]) -> Outgoing<String> {
        let replica = self.replica.borrow();
        let log = replica.log();
        let applied: Vec<_> = events.iter().filter_map(|e| log.ix(&e.id())).collect();
        self.peers.borrow_mut().after_ingest(None, log, &applied)
    }
}

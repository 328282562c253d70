//! Sync: reconciliation of two logs over a byte channel, sans I/O.
//!
//! A [`Session`] per peer takes frames in and gives frames out; the caller
//! moves the bytes and ingests (validates, stores, applies) the events a
//! session hands over. [`Peers`] keeps the sessions of one node and
//! forwards what a node newly applied to its other peers, so a partial mesh
//! converges.
//!
//! One round, as in Byzantine Eventual Consistency (Kleppmann & Howard):
//! each side sends [`Message::Hello`] — its heads and a salted Bloom filter
//! of its events beyond the heads the peer announced last time. The other
//! side sends every event of its own beyond those heads (and the heads just
//! announced) that the filter does not hold, together with every descendant
//! of such an event (the peer cannot hold a child without its parent, so a
//! false positive on a parent is repaired by its children). When that is
//! not enough — a false positive with no descendant, a lost frame — the
//! receiver asks for what it still misses ([`Message::Want`]), by id.
//! Either side may start a round again at any time ([`Session::hello`]).
//!
//! Invalid input is the caller's to judge: a frame that does not decode is
//! a [`FrameError`] here, an event that does not validate is refused by the
//! log. Either way the caller drops the peer.

mod bloom;
mod frame;

pub use bloom::Bloom;
pub use frame::{FrameError, Framer, MAX_FRAME, MAX_MESSAGE, PROTOCOL};

use crate::event::encoding::event_len;
use crate::event::{Event, EventId};
use crate::log::{EventIx, Log};
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Ids per [`Message::Want`], and per reply to one.
pub const MAX_WANT: usize = 4096;
/// Bytes of events packed into one message (so it travels as one frame).
const EVENTS_PER_MESSAGE: usize = MAX_FRAME - 1024;

/// What peers say to each other.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Message {
    /// My heads, and a filter of my events beyond what you announced last.
    Hello {
        /// The sender's heads.
        heads: Vec<EventId>,
        /// The sender's events beyond the receiver's last announced heads.
        filter: Bloom,
    },
    /// Events, parents before children: their exact bytes back to back
    /// (an event's encoding tells its length, so no prefix is needed).
    Events {
        /// The events' bytes, concatenated.
        events: Vec<u8>,
    },
    /// The answer to the receiver's last `Hello` is complete: what it
    /// still misses after this, it should ask for.
    Answered,
    /// Send me these events.
    Want {
        /// Their ids.
        ids: Vec<EventId>,
    },
}

/// Counters of one peer's traffic.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Traffic {
    /// Frames sent.
    pub frames_sent: u64,
    /// Bytes sent, frames included.
    pub bytes_sent: u64,
    /// Bytes of events sent (their exact bytes).
    pub event_bytes_sent: u64,
    /// Events sent.
    pub events_sent: u64,
    /// Frames received.
    pub frames_received: u64,
    /// Bytes received.
    pub bytes_received: u64,
    /// Events received.
    pub events_received: u64,
}

/// What a frame from the peer asks of the caller.
#[derive(Debug, Default)]
pub struct Incoming {
    /// Frames to send back.
    pub reply: Vec<Vec<u8>>,
    /// Events to ingest (not yet validated), parents first.
    pub events: Vec<Vec<u8>>,
}

/// One peer's sync state. See the [module docs](self).
#[derive(Debug, Default)]
pub struct Session {
    framer: Framer,
    /// The heads the peer announced last: it holds them and their ancestors.
    peer_heads: Vec<EventId>,
    /// Ids asked for and not received yet (asked once per round).
    wanted: FxHashSet<EventId>,
    /// A `Hello` was sent and its answer is not complete yet: what looks
    /// missing may still be on its way, so nothing is asked for.
    awaiting_answer: bool,
    /// The events sent to the peer that are not parents of other events
    /// sent: with their ancestors, what the link delivered to it.
    sent_tips: FxHashSet<EventId>,
    /// Whether [`held`](Self::held) changed since the caller last kept it.
    held_changed: bool,
    traffic: Traffic,
}

/// Ids [`Session::held`] gives at most (a shorter list is still a lower bound).
const MAX_HELD: usize = 256;

fn ixs(log: &Log, ids: &[EventId]) -> Vec<EventIx> {
    ids.iter().filter_map(|id| log.ix(id)).collect()
}

impl Session {
    /// A session with a peer that announced `peer_heads` when last met
    /// (empty for a peer never met).
    pub fn new(peer_heads: Vec<EventId>) -> Session {
        Session {
            peer_heads,
            ..Session::default()
        }
    }

    /// The heads the peer announced last.
    pub fn peer_heads(&self) -> &[EventId] {
        &self.peer_heads
    }

    /// Events the peer holds with their ancestors, as far as this session
    /// knows: the heads it announced and the tips of what was sent to it.
    /// Keep them for the next meeting ([`Session::new`]). They may overstate
    /// what a peer that lost its store holds; a round corrects for that
    /// (see [`Message::Hello`]'s answer).
    pub fn held(&self) -> Vec<EventId> {
        let mut held: Vec<EventId> = self
            .peer_heads
            .iter()
            .chain(&self.sent_tips)
            .copied()
            .collect();
        held.sort_unstable();
        held.dedup();
        held.truncate(MAX_HELD);
        held
    }

    /// This session's traffic so far.
    pub fn traffic(&self) -> Traffic {
        self.traffic
    }

    /// Starts a round: my heads and a filter of what the peer may lack.
    /// `salt` must be fresh randomness.
    pub fn hello(&mut self, log: &Log, salt: [u8; 16]) -> Vec<Vec<u8>> {
        let heads: Vec<EventId> = log.heads().copied().collect();
        let mine = log.beyond(&ixs(log, &heads), &ixs(log, &self.peer_heads));
        let ids: Vec<EventId> = mine.iter().map(|&ix| log.entry(ix).event().id()).collect();
        let filter = Bloom::of(ids.iter(), salt);
        self.wanted.clear();
        self.awaiting_answer = true;
        self.send(&Message::Hello { heads, filter })
    }

    /// Takes in a frame from the peer.
    pub fn receive(&mut self, log: &Log, frame: &[u8]) -> Result<Incoming, FrameError> {
        self.traffic.frames_received += 1;
        self.traffic.bytes_received += frame.len() as u64;
        let mut incoming = Incoming::default();
        match self.framer.decode(frame)? {
            None => {}
            Some(Message::Hello { heads, filter }) => {
                incoming.reply = self.answer_hello(log, &heads, &filter);
                self.peer_heads = heads;
                self.held_changed = true;
                incoming.reply.extend(self.send(&Message::Answered));
            }
            Some(Message::Events { events }) => {
                let mut rest = events.as_slice();
                while !rest.is_empty() {
                    let len = event_len(rest).ok_or(FrameError::Malformed)?;
                    let (event, tail) = rest.split_at(len);
                    self.wanted.remove(&EventId::of_bytes(event));
                    incoming.events.push(event.to_vec());
                    rest = tail;
                }
                self.traffic.events_received += incoming.events.len() as u64;
            }
            Some(Message::Answered) => self.awaiting_answer = false,
            Some(Message::Want { ids }) => {
                let mut found: Vec<EventIx> = ids
                    .iter()
                    .take(MAX_WANT)
                    .filter_map(|id| log.ix(id))
                    .collect();
                found.sort_unstable();
                found.dedup();
                incoming.reply = self.send_events(found.iter().map(|&ix| log.entry(ix).event()));
            }
        }
        Ok(incoming)
    }

    /// The events of mine the peer lacks, judged by its heads and filter.
    fn answer_hello(&mut self, log: &Log, heads: &[EventId], filter: &Bloom) -> Vec<Vec<u8>> {
        let mut known = ixs(log, heads);
        // When every announced head is here, they say exactly what the peer
        // holds. Only when some are not (the peer is ahead) do the heads it
        // announced last add a lower bound. Ignoring them otherwise keeps a
        // peer that lost its store (restored from a backup on a new device)
        // from being taken to still hold what it held.
        if known.len() < heads.len() {
            known.extend(ixs(log, &self.peer_heads));
        }
        let mine: Vec<EventIx> = log.heads().filter_map(|id| log.ix(id)).collect();
        let candidates = log.beyond(&mine, &known);
        let mut sending: FxHashSet<EventIx> = FxHashSet::default();
        for &ix in &candidates {
            let entry = log.entry(ix);
            if !filter.contains(&entry.event().id())
                || entry.parents().iter().any(|p| sending.contains(p))
            {
                sending.insert(ix);
            }
        }
        let events = candidates
            .iter()
            .filter(|ix| sending.contains(ix))
            .map(|&ix| log.entry(ix).event());
        self.send_events(events)
    }

    /// After the caller ingested what [`receive`](Self::receive) handed
    /// over: asks the peer for what is still missing — parents of pending
    /// events, and heads it announced that never arrived.
    pub fn after_ingest(&mut self, log: &Log) -> Vec<Vec<u8>> {
        if self.awaiting_answer {
            return Vec::new();
        }
        let mut ids: Vec<EventId> = log
            .missing()
            .chain(
                self.peer_heads
                    .iter()
                    .filter(|h| !log.contains(h) && !log.is_pending(h)),
            )
            .filter(|id| !self.wanted.contains(*id))
            .take(MAX_WANT)
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Vec::new();
        }
        self.wanted.extend(ids.iter().copied());
        self.send(&Message::Want { ids })
    }

    /// Pushes events to the peer (new ones, as they are made or arrive).
    pub fn push<'a>(&mut self, events: impl IntoIterator<Item = &'a Event>) -> Vec<Vec<u8>> {
        self.send_events(events)
    }

    fn send_events<'a>(&mut self, events: impl IntoIterator<Item = &'a Event>) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        let mut batch: Vec<u8> = Vec::new();
        for event in events {
            let bytes = event.bytes();
            if batch.len() + bytes.len() > EVENTS_PER_MESSAGE && !batch.is_empty() {
                frames.extend(self.send(&Message::Events {
                    events: std::mem::take(&mut batch),
                }));
            }
            self.traffic.events_sent += 1;
            self.traffic.event_bytes_sent += bytes.len() as u64;
            for parent in event.parents() {
                self.sent_tips.remove(parent);
            }
            self.sent_tips.insert(event.id());
            self.held_changed = true;
            batch.extend_from_slice(bytes);
        }
        if !batch.is_empty() {
            frames.extend(self.send(&Message::Events { events: batch }));
        }
        frames
    }

    fn send(&mut self, message: &Message) -> Vec<Vec<u8>> {
        let frames = self.framer.encode(message);
        self.traffic.frames_sent += frames.len() as u64;
        self.traffic.bytes_sent += frames.iter().map(|f| f.len() as u64).sum::<u64>();
        frames
    }
}

/// The sessions of one node, by peer. See the [module docs](self).
#[derive(Debug)]
pub struct Peers<P: Ord + Clone> {
    sessions: BTreeMap<P, Session>,
    /// Heads each peer announced when last met, kept across reconnections.
    met: BTreeMap<P, Vec<EventId>>,
}

impl<P: Ord + Clone> Default for Peers<P> {
    fn default() -> Self {
        Peers {
            sessions: BTreeMap::new(),
            met: BTreeMap::new(),
        }
    }
}

/// Frames for peers.
pub type Outgoing<P> = Vec<(P, Vec<u8>)>;

fn to<P: Clone>(peer: &P, frames: Vec<Vec<u8>>) -> Outgoing<P> {
    frames.into_iter().map(|f| (peer.clone(), f)).collect()
}

impl<P: Ord + Clone> Peers<P> {
    /// No peers.
    pub fn new() -> Peers<P> {
        Peers::default()
    }

    /// A link to `peer` is up: starts a session and a round.
    pub fn connect(&mut self, peer: P, log: &Log, salt: [u8; 16]) -> Outgoing<P> {
        let heads = self.met.get(&peer).cloned().unwrap_or_default();
        self.connect_from(peer, heads, log, salt)
    }

    /// [`connect`](Self::connect) to a peer that announced `heads` when last
    /// met (kept by the caller, e.g. across page loads, under the peer's
    /// identity key).
    pub fn connect_from(
        &mut self,
        peer: P,
        heads: Vec<EventId>,
        log: &Log,
        salt: [u8; 16],
    ) -> Outgoing<P> {
        let mut session = Session::new(heads);
        let frames = session.hello(log, salt);
        self.sessions.insert(peer.clone(), session);
        to(&peer, frames)
    }

    /// The link to `peer` is down (or the peer was dropped).
    pub fn disconnect(&mut self, peer: &P) {
        if let Some(session) = self.sessions.remove(peer) {
            self.met.insert(peer.clone(), session.held());
        }
    }

    /// Whether a session with `peer` is open.
    pub fn is_connected(&self, peer: &P) -> bool {
        self.sessions.contains_key(peer)
    }

    /// The peers with an open session.
    pub fn connected(&self) -> impl Iterator<Item = &P> {
        self.sessions.keys()
    }

    /// One peer's session.
    pub fn session(&self, peer: &P) -> Option<&Session> {
        self.sessions.get(peer)
    }

    /// Starts a new round with `peer`.
    pub fn resync(&mut self, peer: &P, log: &Log, salt: [u8; 16]) -> Outgoing<P> {
        match self.sessions.get_mut(peer) {
            Some(session) => to(peer, session.hello(log, salt)),
            None => Vec::new(),
        }
    }

    /// Takes in a frame from `peer`. An error means: drop the peer.
    pub fn receive(
        &mut self,
        peer: &P,
        log: &Log,
        frame: &[u8],
    ) -> Result<(Outgoing<P>, Vec<Vec<u8>>), FrameError> {
        let Some(session) = self.sessions.get_mut(peer) else {
            return Ok((Vec::new(), Vec::new()));
        };
        let incoming = session.receive(log, frame)?;
        Ok((to(peer, incoming.reply), incoming.events))
    }

    /// What `peer` is known to hold ([`Session::held`]), if that changed
    /// since last asked: for the caller to keep (see
    /// [`connect_from`](Self::connect_from)).
    pub fn held_if_changed(&mut self, peer: &P) -> Option<Vec<EventId>> {
        let session = self.sessions.get_mut(peer)?;
        std::mem::take(&mut session.held_changed).then(|| session.held())
    }

    /// After the caller ingested events from `from` (or made them, with
    /// `from` = `None`): asks `from` for what is missing and forwards what
    /// was newly applied to every other peer.
    pub fn after_ingest(
        &mut self,
        from: Option<&P>,
        log: &Log,
        applied: &[EventIx],
    ) -> Outgoing<P> {
        let mut out = Vec::new();
        if let Some(peer) = from
            && let Some(session) = self.sessions.get_mut(peer)
        {
            out.extend(to(peer, session.after_ingest(log)));
        }
        if applied.is_empty() {
            return out;
        }
        for (peer, session) in &mut self.sessions {
            if Some(peer) != from {
                let events = applied.iter().map(|&ix| log.entry(ix).event());
                out.extend(to(peer, session.push(events)));
            }
        }
        out
    }
}

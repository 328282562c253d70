//! The sessions of one node, by peer: starting and ending them, and
//! forwarding what the node newly applied to every other peer — in full
//! over eager links, by id over lazy ones ([`Gossip`]).

use super::Dag;
use super::{
    Carried, FrameError, Gossip, GossipLimits, GossipStats, Ingested, Limits, Met, Session,
};
use crate::event::EventId;
use crate::log::{EventIx, Log};
use std::collections::BTreeMap;

/// Peers remembered between sessions, at most.
const MAX_MET: usize = 256;

/// Frames for peers.
pub type Outgoing<P> = Vec<(P, Vec<u8>)>;

fn to<P: Clone>(peer: &P, frames: Vec<Vec<u8>>) -> Outgoing<P> {
    frames.into_iter().map(|f| (peer.clone(), f)).collect()
}

/// The sessions of one node, by peer. See the [module docs](super).
#[derive(Debug)]
pub struct Peers<P: Ord + Clone> {
    sessions: BTreeMap<P, Session>,
    /// What was known of each peer when last met, kept across reconnections.
    met: BTreeMap<P, Met>,
    limits: Limits,
    gossip: Gossip<P>,
    /// Grafts to send with the next tick (a link of the tree went down).
    grafts: Outgoing<P>,
}

impl<P: Ord + Clone> Default for Peers<P> {
    fn default() -> Self {
        Peers {
            sessions: BTreeMap::new(),
            met: BTreeMap::new(),
            limits: Limits::default(),
            gossip: Gossip::default(),
            grafts: Vec::new(),
        }
    }
}

impl<P: Ord + Clone> Peers<P> {
    /// No peers.
    pub fn new() -> Peers<P> {
        Peers::default()
    }

    /// No peers; sessions get `limits`.
    pub fn with_limits(limits: Limits) -> Peers<P> {
        Peers {
            limits,
            ..Peers::default()
        }
    }

    /// No peers; sessions get `limits`, lazy push `gossip`.
    pub fn with_gossip(limits: Limits, gossip: GossipLimits) -> Peers<P> {
        Peers {
            limits,
            gossip: Gossip::new(gossip),
            ..Peers::default()
        }
    }

    /// Sets lazy push's timing and bounds; which links are lazy and what
    /// is awaited stay.
    pub fn set_gossip_limits(&mut self, limits: GossipLimits) {
        self.gossip.set_limits(limits);
    }

    /// Lazy push's state: which links are eager, what is awaited.
    pub fn gossip(&self) -> &Gossip<P> {
        &self.gossip
    }

    /// Lazy push's counters.
    pub fn gossip_stats(&self) -> GossipStats {
        self.gossip.stats()
    }

    /// Keeps `peer` eager whatever it sends: the relay, which must get
    /// every event in full.
    pub fn pin_eager(&mut self, peer: P) {
        self.gossip.pin(peer);
    }

    /// The time is `now` (the unit of [`GossipLimits::want_after`]): asks
    /// for announced events that have not arrived by another link.
    pub fn tick(&mut self, now: u64, log: &impl Dag) -> Outgoing<P> {
        let mut out = std::mem::take(&mut self.grafts);
        out.retain(|(peer, _)| self.sessions.contains_key(peer));
        for (peer, ids) in self.gossip.tick(now) {
            let ids: Vec<_> = ids.into_iter().filter(|id| !log.contains(id)).collect();
            if let Some(session) = self.sessions.get_mut(&peer)
                && !ids.is_empty()
            {
                out.extend(to(&peer, session.ask(&ids)));
            }
        }
        out
    }

    /// A link to `peer` is up: starts a session and a round.
    pub fn connect(&mut self, peer: P, log: &impl Dag, salt: [u8; 16]) -> Outgoing<P> {
        let met = self.met.get(&peer).cloned().unwrap_or_default();
        self.connect_from(peer, met, log, salt)
    }

    /// [`connect`](Self::connect) to a peer met before (what was known of
    /// it kept by the caller, e.g. across page loads, under the peer's
    /// identity key).
    pub fn connect_from(
        &mut self,
        peer: P,
        met: Met,
        log: &impl Dag,
        salt: [u8; 16],
    ) -> Outgoing<P> {
        let mut session = Session::with_limits(met, self.limits);
        let frames = session.hello(log, salt);
        self.sessions.insert(peer.clone(), session);
        to(&peer, frames)
    }

    /// The link to `peer` is down (or the peer was dropped). If it was a
    /// branch of the eager tree, the lazy links are grafted: the frames go
    /// with the next [`tick`](Self::tick).
    pub fn disconnect(&mut self, peer: &P) {
        // A peer without a session was disconnected already (a peer
        // dropped for what it sent is disconnected, then its link reports
        // down): the gossip forgot it, and would take it for an eager
        // link, making every lazy link eager again for nothing.
        if !self.sessions.contains_key(peer) {
            return;
        }
        if self.gossip.on_down(peer) {
            for lazy in self.gossip.graft_all() {
                if let Some(session) = self.sessions.get_mut(&lazy) {
                    self.grafts.extend(to(&lazy, session.ask(&[])));
                }
            }
        }
        if let Some(session) = self.sessions.remove(peer) {
            // Bounded: a transport that names peers by connection makes a
            // new name per link; forgetting one costs a bigger first round.
            if self.met.len() >= MAX_MET && !self.met.contains_key(peer) {
                self.met.pop_first();
            }
            self.met.insert(peer.clone(), session.met());
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

    /// One peer's session, to take what changed in it
    /// ([`Session::take_held_news`]).
    pub fn session_mut(&mut self, peer: &P) -> Option<&mut Session> {
        self.sessions.get_mut(peer)
    }

    /// Starts a new round with `peer`.
    pub fn resync(&mut self, peer: &P, log: &impl Dag, salt: [u8; 16]) -> Outgoing<P> {
        match self.sessions.get_mut(peer) {
            Some(session) => to(peer, session.hello(log, salt)),
            None => Vec::new(),
        }
    }

    /// Takes in a frame from `peer`: frames to send back and events to
    /// ingest. An error means: drop the peer.
    pub fn receive(
        &mut self,
        peer: &P,
        log: &impl Dag,
        frame: &[u8],
    ) -> Result<(Outgoing<P>, Vec<Carried>), FrameError> {
        let Some(session) = self.sessions.get_mut(peer) else {
            return Ok((Vec::new(), Vec::new()));
        };
        let incoming = session.receive(log, frame)?;
        let mut reply = incoming.reply;
        if incoming.pruned {
            self.gossip.on_prune(peer);
        }
        if incoming.grafted {
            self.gossip.on_want(peer);
        }
        if !incoming.announced.is_empty() {
            self.gossip.on_have(peer, &incoming.announced);
        }
        // A push of nothing new: another link was faster.
        if incoming.duplicates > 0
            && incoming.duplicates == incoming.events.len()
            && !session.pulling(log)
            && self.gossip.on_duplicate_push(peer)
        {
            reply.extend(session.prune());
        }
        Ok((to(peer, reply), incoming.events))
    }

    /// What is known of `peer` ([`Session::met`]), if that changed since
    /// last asked: for the caller to keep (see
    /// [`connect_from`](Self::connect_from)).
    pub fn met_if_changed(&mut self, peer: &P) -> Option<Met> {
        let session = self.sessions.get_mut(peer)?;
        session.take_held_changed().then(|| session.met())
    }

    /// [`after_ingest_with`](Self::after_ingest_with) for a caller whose
    /// log keeps events with missing parents in its own pending buffer.
    pub fn after_ingest(
        &mut self,
        from: Option<&P>,
        log: &Log,
        applied: &[EventIx],
    ) -> Outgoing<P> {
        let missing: Vec<EventId> = log.missing().copied().collect();
        self.after_ingest_with(
            from,
            log,
            &Ingested {
                applied,
                missing: &missing,
                waiting: &|id| log.is_pending(id),
                refused_room: false,
                lost: false,
            },
        )
    }

    /// After the caller ingested events from `from` (or made them, with
    /// `from` = `None`): acknowledges them and asks `from` for what is
    /// missing (see [`Session::after_ingest_with`]), and forwards what was
    /// newly applied to every other peer.
    pub fn after_ingest_with(
        &mut self,
        from: Option<&P>,
        log: &impl Dag,
        ingested: &Ingested<'_>,
    ) -> Outgoing<P> {
        let mut out = Vec::new();
        if let Some(peer) = from
            && let Some(session) = self.sessions.get_mut(peer)
        {
            out.extend(to(peer, session.after_ingest_with(log, ingested)));
        }
        if ingested.applied.is_empty() {
            return out;
        }
        // Only what was valid and applied counts for the peer that sent it
        // (an orphan sent again and again is not "something new").
        if let Some(peer) = from {
            self.gossip.on_useful_push(peer);
        }
        self.gossip
            .on_held(ingested.applied.iter().map(|&ix| log.id(ix)));
        for (peer, session) in &mut self.sessions {
            if Some(peer) == from {
                continue;
            }
            let frames = if self.gossip.is_eager(peer) {
                session.push(log, ingested.applied)
            } else {
                session.announce(log, ingested.applied)
            };
            out.extend(to(peer, frames));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A lazy link dropped for what it sent is disconnected twice (by the
    /// node, then as its link goes down): the other lazy links stay lazy.
    /// Before, the second disconnect took it for an eager link and made
    /// every lazy link eager again.
    #[test]
    fn a_lazy_link_disconnected_twice_grafts_nothing() {
        let log = Log::default();
        let mut peers: Peers<u8> = Peers::new();
        for peer in [1, 2, 3] {
            peers.connect(peer, &log, [peer; 16]);
        }
        peers.gossip.on_prune(&2);
        peers.gossip.on_prune(&3);
        peers.disconnect(&2);
        peers.disconnect(&2);
        assert_eq!(peers.gossip_stats().grafted, 0);
        assert!(!peers.gossip().is_eager(&3), "a lazy link was grafted");
    }
}

//! Lazy push (Plumtree, Leitão et al. 2007): which links get new events in
//! full and which only their ids, and what to ask for when an announced
//! event does not arrive.
//!
//! Every link starts *eager*: new events are pushed to it in full. A push
//! that brings only events already held means another path was faster:
//! the receiver makes that link *lazy* on its side and asks the sender to
//! do the same ([`Message::Prune`](super::Message::Prune)). Lazy links
//! carry ids ([`Message::Have`](super::Message::Have)); an id still
//! missing after [`GossipLimits::want_after`] is asked for
//! ([`Message::Want`](super::Message::Want)) from the first peer that
//! announced it, and that link becomes eager again on both sides (a
//! `Want` grafts). The eager links so form a spanning tree that repairs
//! itself: a peer that withholds only delays what its lazy neighbours
//! announce.
//!
//! Time is the caller's: [`Gossip::tick`] takes the current time in any
//! unit, the same as `want_after`'s. Everything kept is bounded: ids
//! awaited ([`GossipLimits::max_awaited`]), announcers per id, and ids one
//! peer may have awaited at once.

use crate::event::EventId;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Announcers remembered per awaited id: one asked at a time, the next
/// after another wait.
const ANNOUNCERS_PER_ID: usize = 4;

/// The bounds and timing of lazy push.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GossipLimits {
    /// How long an announced event may take to arrive by another link
    /// before it is asked for, in the caller's time unit (milliseconds in
    /// a browser).
    pub want_after: u64,
    /// Ids awaited at once, at most; the oldest are forgotten first (a
    /// reconciliation round still finds them).
    pub max_awaited: usize,
    /// Ids one peer may have awaited at once: a peer announcing ids it
    /// never serves fills only its own share.
    pub max_awaited_per_peer: usize,
    /// False: no link is ever made lazy, every event is pushed over every
    /// link (flooding, the anchor the benchmarks measure lazy push against).
    pub lazy: bool,
}

impl Default for GossipLimits {
    fn default() -> Self {
        GossipLimits {
            want_after: 400,
            max_awaited: 8192,
            max_awaited_per_peer: 2048,
            lazy: true,
        }
    }
}

/// Counters of lazy push, for tests and status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GossipStats {
    /// Links made lazy because a push brought only duplicates.
    pub pruned: u64,
    /// Links made eager again by a `Want`, sent or received.
    pub grafted: u64,
    /// Ids asked for after an announcement.
    pub wanted: u64,
    /// Announced ids forgotten for lack of room.
    pub forgotten: u64,
}

/// An id announced and not held yet.
#[derive(Debug)]
struct Awaited<P> {
    /// When to ask (the next announcer) if it has not arrived.
    due: u64,
    /// Announcers not asked yet, first heard first.
    announcers: VecDeque<P>,
}

/// Which links are lazy, and the ids awaited. See the [module docs](self).
#[derive(Debug)]
pub struct Gossip<P: Ord + Clone> {
    limits: GossipLimits,
    now: u64,
    lazy: BTreeSet<P>,
    /// Links never made lazy (the relay: it must get everything in full).
    pinned: BTreeSet<P>,
    awaited: BTreeMap<EventId, Awaited<P>>,
    /// Ids in `awaited` in the order first announced, for forgetting the oldest.
    order: VecDeque<EventId>,
    /// Per peer: awaited ids it is an announcer of.
    share: BTreeMap<P, usize>,
    stats: GossipStats,
}

impl<P: Ord + Clone> Default for Gossip<P> {
    fn default() -> Self {
        Gossip::new(GossipLimits::default())
    }
}

impl<P: Ord + Clone> Gossip<P> {
    /// No links yet.
    pub fn new(limits: GossipLimits) -> Gossip<P> {
        Gossip {
            limits,
            now: 0,
            lazy: BTreeSet::new(),
            pinned: BTreeSet::new(),
            awaited: BTreeMap::new(),
            order: VecDeque::new(),
            share: BTreeMap::new(),
            stats: GossipStats::default(),
        }
    }

    /// Sets the bounds (for ids announced from now on).
    pub fn set_limits(&mut self, limits: GossipLimits) {
        self.limits = limits;
    }

    /// The bounds in use.
    pub fn limits(&self) -> GossipLimits {
        self.limits
    }

    /// Whether new events go to `peer` in full.
    pub fn is_eager(&self, peer: &P) -> bool {
        !self.lazy.contains(peer)
    }

    /// Keeps `peer` eager whatever it sends (the relay).
    pub fn pin(&mut self, peer: P) {
        self.lazy.remove(&peer);
        self.pinned.insert(peer);
    }

    /// A push from `peer` brought only events held already: whether to
    /// make it lazy and tell it so (false for a pinned or lazy link).
    pub fn on_duplicate_push(&mut self, peer: &P) -> bool {
        if !self.limits.lazy || self.pinned.contains(peer) || self.lazy.contains(peer) {
            return false;
        }
        self.lazy.insert(peer.clone());
        self.stats.pruned += 1;
        true
    }

    /// `peer` asked to be announced to instead of pushed to.
    pub fn on_prune(&mut self, peer: &P) {
        if !self.pinned.contains(peer) {
            self.lazy.insert(peer.clone());
        }
    }

    /// `peer` asked for events: it gets new ones in full again.
    pub fn on_want(&mut self, peer: &P) {
        if self.lazy.remove(peer) {
            self.stats.grafted += 1;
        }
    }

    /// `peer` announced `ids` this node does not hold.
    pub fn on_have(&mut self, peer: &P, ids: &[EventId]) {
        for id in ids {
            if let Some(awaited) = self.awaited.get_mut(id) {
                if awaited.announcers.len() < ANNOUNCERS_PER_ID
                    && !awaited.announcers.contains(peer)
                    && self.share.get(peer).copied().unwrap_or(0) < self.limits.max_awaited_per_peer
                {
                    awaited.announcers.push_back(peer.clone());
                    *self.share.entry(peer.clone()).or_default() += 1;
                }
                continue;
            }
            if self.share.get(peer).copied().unwrap_or(0) >= self.limits.max_awaited_per_peer {
                self.stats.forgotten += 1;
                continue;
            }
            while self.awaited.len() >= self.limits.max_awaited {
                let Some(oldest) = self.order.pop_front() else {
                    break;
                };
                if self.forget(&oldest) {
                    self.stats.forgotten += 1;
                }
            }
            self.awaited.insert(
                *id,
                Awaited {
                    due: self.now + self.limits.want_after,
                    announcers: VecDeque::from([peer.clone()]),
                },
            );
            self.order.push_back(*id);
            *self.share.entry(peer.clone()).or_default() += 1;
        }
    }

    /// Events arrived: no longer awaited.
    pub fn on_held(&mut self, ids: impl IntoIterator<Item = EventId>) {
        for id in ids {
            self.forget(&id);
        }
    }

    /// The link to `peer` is gone: it is neither lazy nor an announcer.
    pub fn on_down(&mut self, peer: &P) {
        self.lazy.remove(peer);
        self.pinned.remove(peer);
        self.share.remove(peer);
        for awaited in self.awaited.values_mut() {
            awaited.announcers.retain(|p| p != peer);
        }
    }

    /// The time is `now`: the ids due to be asked for, grouped by the peer
    /// to ask, each peer made eager (it is grafted: the `Want` tells it
    /// so). An id whose announcers are all asked is forgotten after its
    /// last wait: a reconciliation round repairs the rest.
    pub fn tick(&mut self, now: u64) -> BTreeMap<P, Vec<EventId>> {
        self.now = self.now.max(now);
        let mut asks: BTreeMap<P, Vec<EventId>> = BTreeMap::new();
        let mut done = Vec::new();
        for (id, awaited) in &mut self.awaited {
            if awaited.due > self.now {
                continue;
            }
            match awaited.announcers.pop_front() {
                Some(peer) => {
                    if let Some(n) = self.share.get_mut(&peer) {
                        *n = n.saturating_sub(1);
                    }
                    asks.entry(peer).or_default().push(*id);
                    awaited.due = self.now + self.limits.want_after;
                }
                None => done.push(*id),
            }
        }
        for id in done {
            self.forget(&id);
        }
        for (peer, ids) in &asks {
            self.stats.wanted += ids.len() as u64;
            self.on_want(peer);
        }
        asks
    }

    /// How many ids are awaited.
    pub fn awaited(&self) -> usize {
        self.awaited.len()
    }

    /// The counters so far.
    pub fn stats(&self) -> GossipStats {
        self.stats
    }

    fn forget(&mut self, id: &EventId) -> bool {
        let Some(awaited) = self.awaited.remove(id) else {
            return false;
        };
        for peer in awaited.announcers {
            if let Some(n) = self.share.get_mut(&peer) {
                *n = n.saturating_sub(1);
            }
        }
        // `order` keeps the id until it reaches the front: bounded by
        // max_awaited plus what was forgotten since.
        if self.order.len() > 2 * self.limits.max_awaited {
            let awaited = &self.awaited;
            self.order.retain(|id| awaited.contains_key(id));
        }
        true
    }
}

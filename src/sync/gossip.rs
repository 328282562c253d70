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
//! ([`Message::Pull`](super::Message::Pull)) from the first peer that
//! announced it, and that link becomes eager again on both sides (a
//! `Pull` grafts). The eager links so form a spanning tree that repairs
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
const ANNOUNCERS_PER_ID: usize = 8;
/// Pulls a peer left unanswered in a row (the id still missing at the
/// next wait) before its announcements are ignored: an honest peer
/// announces only what it holds and answers every `Pull`, so one that does
/// not is flooding ids it never serves. Any event it sends counts again.
const MAX_UNSERVED: u32 = 64;

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
    /// Pushes of only duplicates in a row, with no useful push between,
    /// before a link is made lazy. One is Plumtree's rule: with several
    /// writers it prunes links that carry first copies for other
    /// writers whenever events cross, and the tree breaks. In the
    /// simulation (100 pages, churn, Byzantine pages) 1 gave a p50 time to
    /// reach every page of 743 ms, 2 gave 515 ms, 3 gave 347 ms for
    /// 1.40 → 1.47 → 1.64 copies per page per event (flooding: 188 ms,
    /// 3.7 copies).
    pub prune_after: u32,
}

impl Default for GossipLimits {
    fn default() -> Self {
        GossipLimits {
            want_after: 250,
            max_awaited: 8192,
            max_awaited_per_peer: 2048,
            lazy: true,
            prune_after: 3,
        }
    }
}

/// Counters of lazy push, for tests and status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GossipStats {
    /// `Prune`s sent: a link's pushes brought only duplicates (a link
    /// whose sender pushes on is told again every `prune_after` pushes).
    pub pruned: u64,
    /// Links made eager again by a `Pull`, sent or received.
    pub grafted: u64,
    /// Ids asked for after an announcement.
    pub wanted: u64,
    /// Announced ids forgotten for lack of room.
    pub forgotten: u64,
    /// Announced ids ignored: their announcer left many pulls unanswered.
    pub ignored: u64,
}

/// An id announced and not held yet.
#[derive(Debug)]
struct Awaited<P> {
    /// When to ask (the next announcer) if it has not arrived.
    due: u64,
    /// Announcers not asked yet, first heard first.
    announcers: VecDeque<P>,
    /// The announcer asked last.
    asked: Option<P>,
    /// Its number in `Gossip::order`.
    entry: u64,
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
    /// Per eager peer: pushes of only duplicates since its last useful one.
    dups: BTreeMap<P, u32>,
    /// Per peer: pulls it left unanswered since it last sent an event.
    unserved: BTreeMap<P, u32>,
    /// Ids in `awaited` in the order first announced, with the number
    /// their entry was given, for forgetting the oldest (an id forgotten
    /// and announced again has a new entry, further back).
    order: VecDeque<(EventId, u64)>,
    /// The number the next entry of `awaited` gets.
    next_entry: u64,
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
            dups: BTreeMap::new(),
            unserved: BTreeMap::new(),
            order: VecDeque::new(),
            next_entry: 0,
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
    /// make it lazy and tell it so (false for a pinned link). A link lazy
    /// on this side still counts: roles are kept per side, so a peer that
    /// pruned this node may push to it all the same, and only a `Prune`
    /// stops that.
    pub fn on_duplicate_push(&mut self, peer: &P) -> bool {
        if !self.limits.lazy || self.pinned.contains(peer) {
            return false;
        }
        let dups = self.dups.entry(peer.clone()).or_default();
        *dups += 1;
        if *dups < self.limits.prune_after {
            return false;
        }
        self.dups.remove(peer);
        self.lazy.insert(peer.clone());
        self.stats.pruned += 1;
        true
    }

    /// A push from `peer` brought something new: it is a branch of the
    /// tree for some source, and its count of duplicates starts again.
    pub fn on_useful_push(&mut self, peer: &P) {
        self.dups.remove(peer);
        self.unserved.remove(peer);
    }

    /// `peer` asked to be announced to instead of pushed to.
    pub fn on_prune(&mut self, peer: &P) {
        // Flooding (the relay) pushes to everyone whatever they ask.
        if self.limits.lazy && !self.pinned.contains(peer) {
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
        // Flooding (the relay) runs no timer: it never pulls.
        if !self.limits.lazy {
            return;
        }
        if self.unserved.get(peer).copied().unwrap_or(0) >= MAX_UNSERVED {
            self.stats.ignored += ids.len() as u64;
            return;
        }
        for id in ids {
            if let Some(awaited) = self.awaited.get_mut(id) {
                if awaited.announcers.contains(peer)
                    || self.share.get(peer).copied().unwrap_or(0)
                        >= self.limits.max_awaited_per_peer
                {
                    continue;
                }
                if awaited.announcers.len() >= ANNOUNCERS_PER_ID {
                    // Full: an announcer that left pulls unanswered gives
                    // way, so peers that announce first and never serve
                    // cannot keep an honest announcer from being asked.
                    let unserved = &self.unserved;
                    let Some(at) = awaited
                        .announcers
                        .iter()
                        .position(|p| unserved.get(p).copied().unwrap_or(0) > 0)
                    else {
                        continue;
                    };
                    if let Some(gone) = awaited.announcers.remove(at)
                        && let Some(n) = self.share.get_mut(&gone)
                    {
                        *n = n.saturating_sub(1);
                    }
                }
                awaited.announcers.push_back(peer.clone());
                *self.share.entry(peer.clone()).or_default() += 1;
                continue;
            }
            if self.share.get(peer).copied().unwrap_or(0) >= self.limits.max_awaited_per_peer {
                self.stats.forgotten += 1;
                continue;
            }
            while self.awaited.len() >= self.limits.max_awaited {
                let Some((oldest, entry)) = self.order.pop_front() else {
                    break;
                };
                // A stale place of an id announced again is skipped.
                if self.awaited.get(&oldest).is_some_and(|a| a.entry == entry) {
                    self.forget(&oldest);
                    self.stats.forgotten += 1;
                }
            }
            self.awaited.insert(
                *id,
                Awaited {
                    due: self.now + self.limits.want_after,
                    announcers: VecDeque::from([peer.clone()]),
                    asked: None,
                    entry: self.next_entry,
                },
            );
            self.order.push_back((*id, self.next_entry));
            self.next_entry += 1;
            *self.share.entry(peer.clone()).or_default() += 1;
        }
    }

    /// Events arrived: no longer awaited.
    pub fn on_held(&mut self, ids: impl IntoIterator<Item = EventId>) {
        // A catch-up applies thousands of events: no lookups when nothing
        // is awaited, as is usual.
        if self.awaited.is_empty() {
            return;
        }
        for id in ids {
            self.forget(&id);
        }
    }

    /// The link to `peer` is gone: it is neither lazy nor an announcer.
    /// Answers whether it was eager: a branch of the tree is cut, and the
    /// caller grafts its lazy links ([`graft_all`](Self::graft_all)) rather
    /// than wait for each event to be announced and pulled.
    pub fn on_down(&mut self, peer: &P) -> bool {
        let was_eager = self.limits.lazy && !self.lazy.contains(peer);
        self.lazy.remove(peer);
        // `pinned` stays: the relay's link comes back under its name.
        self.dups.remove(peer);
        self.unserved.remove(peer);
        self.share.remove(peer);
        for awaited in self.awaited.values_mut() {
            awaited.announcers.retain(|p| p != peer);
            if awaited.asked.as_ref() == Some(peer) {
                awaited.asked = None;
            }
        }
        was_eager
    }

    /// Makes every lazy link eager again (each is sent an empty `Pull`):
    /// the links to graft. Duplicates then prune the tree back.
    pub fn graft_all(&mut self) -> Vec<P> {
        let lazy = std::mem::take(&mut self.lazy);
        self.stats.grafted += lazy.len() as u64;
        lazy.into_iter().collect()
    }

    /// The time is `now`: the ids due to be asked for, grouped by the peer
    /// to ask, each peer made eager (it is grafted: the `Pull` tells it
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
            if let Some(asked) = awaited.asked.take() {
                *self.unserved.entry(asked).or_default() += 1;
            }
            match awaited.announcers.pop_front() {
                Some(peer) => {
                    awaited.asked = Some(peer.clone());
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
            self.order
                .retain(|(id, entry)| awaited.get(id).is_some_and(|a| a.entry == *entry));
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> EventId {
        EventId([n; 32])
    }

    fn limits() -> GossipLimits {
        GossipLimits {
            want_after: 100,
            max_awaited: 4,
            max_awaited_per_peer: 3,
            ..GossipLimits::default()
        }
    }

    #[test]
    fn a_link_lazy_on_this_side_that_keeps_pushing_duplicates_is_pruned() {
        // 1 pruned this node: this node announces to it. 1 still pushes
        // here (its own side is eager), so every event arrives twice
        // unless this node prunes it too.
        let mut g: Gossip<u8> = Gossip::new(limits());
        g.on_prune(&1);
        assert!(!g.is_eager(&1));
        assert!(!g.on_duplicate_push(&1) && !g.on_duplicate_push(&1));
        assert!(g.on_duplicate_push(&1), "the third in a row prunes");
        // A peer that pushes on (frames in flight, or one that ignores
        // Prune) is told again every third push: one small frame per
        // three received, never more.
        assert!(!g.on_duplicate_push(&1) && !g.on_duplicate_push(&1));
        assert!(g.on_duplicate_push(&1));
        assert_eq!(g.stats().pruned, 2);
    }

    #[test]
    fn a_link_is_made_lazy_after_pushes_of_only_duplicates_in_a_row() {
        let mut g: Gossip<u8> = Gossip::new(limits());
        g.pin(9);
        for _ in 0..2 {
            assert!(!g.on_duplicate_push(&1));
        }
        g.on_useful_push(&1); // a branch for some writer: counted again
        assert!(!g.on_duplicate_push(&1) && !g.on_duplicate_push(&1));
        assert!(g.on_duplicate_push(&1), "the third in a row prunes");
        assert!(!g.is_eager(&1));
        assert!(!g.on_duplicate_push(&1), "told once");
        for _ in 0..5 {
            assert!(!g.on_duplicate_push(&9), "the relay stays eager");
        }
        g.on_want(&1);
        assert!(g.is_eager(&1), "a Pull grafts");
        let mut flooding: Gossip<u8> = Gossip::new(GossipLimits {
            lazy: false,
            ..limits()
        });
        for _ in 0..5 {
            assert!(!flooding.on_duplicate_push(&1));
        }
        flooding.on_prune(&1);
        assert!(flooding.is_eager(&1), "flooding ignores Prune");
    }

    #[test]
    fn an_announced_event_is_asked_of_each_announcer_in_turn_then_forgotten() {
        let mut g: Gossip<u8> = Gossip::new(limits());
        g.on_prune(&1);
        g.on_have(&1, &[id(1), id(2)]);
        g.on_have(&2, &[id(1)]);
        assert!(g.tick(99).is_empty(), "not yet");
        let asks = g.tick(100);
        assert_eq!(asks, BTreeMap::from([(1, vec![id(1), id(2)])]));
        assert!(g.is_eager(&1), "asking grafts");
        g.on_held([id(2)]);
        assert_eq!(g.tick(200), BTreeMap::from([(2, vec![id(1)])]));
        assert!(g.tick(300).is_empty());
        assert_eq!(g.awaited(), 0, "no announcer left: forgotten");
    }

    #[test]
    fn what_is_awaited_is_bounded_in_all_and_per_peer() {
        let mut g: Gossip<u8> = Gossip::new(limits());
        g.on_have(&1, &[id(1), id(2), id(3), id(4)]);
        assert_eq!(g.awaited(), 3, "one peer's share");
        g.on_have(&2, &[id(5), id(6)]);
        assert_eq!(g.awaited(), 4, "the oldest forgotten");
        assert_eq!(g.stats().forgotten, 2);
    }

    #[test]
    fn the_oldest_announcement_is_forgotten_first_even_after_an_id_is_announced_again() {
        let mut g: Gossip<u8> = Gossip::new(GossipLimits {
            max_awaited: 2,
            ..limits()
        });
        g.on_have(&1, &[id(1), id(2)]);
        g.on_held([id(1)]);
        g.on_have(&1, &[id(1)]); // announced again: now the newest
        g.on_have(&2, &[id(3)]); // full: the oldest, id 2, goes
        let asked: Vec<EventId> = g.tick(100).into_values().flatten().collect();
        assert!(asked.contains(&id(1)), "{asked:?}");
        assert!(!asked.contains(&id(2)), "{asked:?}");
    }

    #[test]
    fn a_peer_that_leaves_pulls_unanswered_is_no_longer_heard() {
        let mut g: Gossip<u8> = Gossip::new(GossipLimits {
            max_awaited: 1 << 16,
            max_awaited_per_peer: 1 << 16,
            ..limits()
        });
        let mut now = 0;
        for round in 0..MAX_UNSERVED as usize {
            let mut bytes = [7; 32];
            bytes[..8].copy_from_slice(&(round as u64).to_le_bytes());
            let ids = vec![EventId(bytes)];
            g.on_have(&1, &ids);
            now += 100;
            g.tick(now); // asked
            now += 100;
            g.tick(now); // unanswered
        }
        g.on_have(&1, &[id(200)]);
        assert_eq!(g.awaited(), 0);
        assert_eq!(g.stats().ignored, 1);
        g.on_useful_push(&1);
        g.on_have(&1, &[id(200)]);
        assert_eq!(g.awaited(), 1, "an event it sent counts again");
    }

    #[test]
    fn losing_an_eager_link_grafts_the_lazy_ones() {
        let mut g: Gossip<u8> = Gossip::new(limits());
        g.on_prune(&2);
        g.on_prune(&3);
        assert!(!g.on_down(&2), "a lazy link is no branch");
        assert!(g.on_down(&1));
        assert_eq!(g.graft_all(), vec![3]);
        assert!(g.is_eager(&3));
    }
}

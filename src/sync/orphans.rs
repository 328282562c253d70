//! Events that arrived before their parents, held apart from the log.
//!
//! A verified event whose parents are not all known cannot be validated
//! yet, so it is neither stored nor applied: it waits here, in memory,
//! until its parents arrive (then the caller validates, stores and applies
//! it like any other) or it is evicted. The buffer is bounded per peer and
//! in total, in events and in bytes — counting what an orphan costs here
//! (its bytes, and its parents in the index of what waits for what), not
//! only its encoding. When a peer's share is full its own oldest orphan
//! goes, and when the whole buffer is full the oldest orphan of the peer
//! holding the most goes — so a peer flooding orphans evicts its own, and
//! events whose parents are known never wait behind them. Orphans expire
//! after [`OrphanLimits::ttl`] ingests, and vanish with their peer's
//! session. Nothing here is reloaded on open: an evicted orphan is simply
//! asked for again later, when its parents are known.
//!
//! Missing parents are asked of every peer that sent a copy of the orphan
//! waiting for them, as they appear (the cost follows what arrives, not
//! what is held): a peer holding an orphan hostage by never sending its
//! parents does not keep them from being asked of honest peers.
//!
//! Evicted and expired ids are remembered (bounded), so a peer repeating
//! them costs a hash and a decode, not a signature check, while their
//! parents are still missing.

use crate::event::{Event, EventId};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::{BTreeMap, VecDeque};

/// Bounds of the orphan buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OrphanLimits {
    /// Orphans held per peer.
    pub per_peer: usize,
    /// Bytes of orphans held per peer (see [`Orphans::bytes`]).
    pub per_peer_bytes: usize,
    /// Orphans held in all.
    pub total: usize,
    /// Bytes of orphans held in all.
    pub total_bytes: usize,
    /// Ingests after which an orphan expires.
    pub ttl: u64,
    /// Evicted ids remembered.
    pub refused: usize,
}

impl Default for OrphanLimits {
    fn default() -> Self {
        OrphanLimits {
            per_peer: 4096,
            per_peer_bytes: 8 * 1024 * 1024,
            total: 16_384,
            total_bytes: 32 * 1024 * 1024,
            ttl: 1024,
            refused: 65_536,
        }
    }
}

/// What one parent costs in the index of what waits for what (an entry in
/// a hash set keyed by a 32-byte id, and the id in the event's own list).
const PER_PARENT: usize = 96;
/// Missing parents waiting to be asked of a peer, at most (older ones are
/// asked in a later round).
const MAX_FRESH: usize = 16_384;

#[derive(Debug)]
struct Orphan<P> {
    event: Event,
    /// The peer it is held for (counted against).
    peer: P,
    /// Other peers that sent a copy: it passes to them if `peer` goes.
    copies: Vec<P>,
    since: u64,
    cost: usize,
}

/// Peers remembered per orphan as having sent a copy.
const MAX_COPIES: usize = 4;

#[derive(Debug, Default)]
struct PeerOrphans {
    /// Its orphans evicted or expired so far.
    evicted: u64,
    /// Its orphans' ids in arrival order (may hold ids already gone,
    /// skipped when met).
    order: VecDeque<EventId>,
    count: usize,
    bytes: usize,
    /// Missing parents to ask this peer for, not asked yet.
    fresh: Vec<EventId>,
}

/// The orphan buffer. See the [module docs](self).
#[derive(Debug)]
pub struct Orphans<P: Ord + Clone> {
    limits: OrphanLimits,
    events: FxHashMap<EventId, Orphan<P>>,
    /// Missing parent → orphans waiting for it.
    waiting: FxHashMap<EventId, FxHashSet<EventId>>,
    by_peer: BTreeMap<P, PeerOrphans>,
    bytes: usize,
    clock: u64,
    evictions: u64,
    refused: FxHashSet<EventId>,
    refused_order: VecDeque<EventId>,
}

impl<P: Ord + Clone> Default for Orphans<P> {
    fn default() -> Self {
        Orphans::new(OrphanLimits::default())
    }
}

impl<P: Ord + Clone> Orphans<P> {
    /// An empty buffer with these bounds.
    pub fn new(limits: OrphanLimits) -> Orphans<P> {
        Orphans {
            limits,
            events: FxHashMap::default(),
            waiting: FxHashMap::default(),
            by_peer: BTreeMap::new(),
            bytes: 0,
            clock: 0,
            evictions: 0,
            refused: FxHashSet::default(),
            refused_order: VecDeque::new(),
        }
    }

    /// Orphans held.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// True when none is held.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// What the orphans held cost, in bytes: their encodings plus
    /// [`PER_PARENT`] per parent.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Orphans held from `peer`.
    pub fn held_from(&self, peer: &P) -> usize {
        self.by_peer.get(peer).map_or(0, |p| p.count)
    }

    /// Orphans evicted or expired so far (valid events refused for lack of
    /// room: their senders should be asked again later).
    pub fn evictions(&self) -> u64 {
        self.evictions
    }

    /// Orphans of `peer` evicted or expired so far.
    pub fn evictions_of(&self, peer: &P) -> u64 {
        self.by_peer.get(peer).map_or(0, |p| p.evicted)
    }

    /// Is this event held here?
    pub fn contains(&self, id: &EventId) -> bool {
        self.events.contains_key(id)
    }

    /// Was this event evicted or expired recently?
    pub fn was_refused(&self, id: &EventId) -> bool {
        self.refused.contains(id)
    }

    /// One more ingest: orphans older than the ttl expire.
    pub fn tick(&mut self) {
        self.clock += 1;
        let peers: Vec<P> = self.by_peer.keys().cloned().collect();
        for peer in peers {
            while let Some(id) = self.oldest_of(&peer) {
                if self.events[&id].since + self.limits.ttl > self.clock {
                    break;
                }
                self.evict(&id);
            }
        }
    }

    /// Holds `event` from `peer`, waiting for `missing` (its parents not
    /// known). Returns false if it was not kept (larger than a peer's
    /// share); evicts older orphans to make room.
    pub fn add(&mut self, peer: &P, event: Event, missing: &[EventId]) -> bool {
        let id = event.id();
        if self.events.contains_key(&id) {
            self.also_from(&id, peer);
            return true;
        }
        let cost = event.bytes().len() + PER_PARENT * event.parents().len();
        if self.limits.per_peer == 0
            || cost > self.limits.per_peer_bytes.min(self.limits.total_bytes)
        {
            self.remember_refused(id);
            return false;
        }
        while self.held_from(peer) >= self.limits.per_peer
            || self.by_peer.get(peer).map_or(0, |p| p.bytes) + cost > self.limits.per_peer_bytes
        {
            let Some(oldest) = self.oldest_of(peer) else {
                break;
            };
            self.evict(&oldest);
        }
        while self.events.len() >= self.limits.total || self.bytes + cost > self.limits.total_bytes
        {
            let Some(largest) = self
                .by_peer
                .iter()
                .filter(|(_, p)| p.count > 0)
                .max_by_key(|(_, p)| p.count)
                .map(|(p, _)| p.clone())
            else {
                break;
            };
            let Some(oldest) = self.oldest_of(&largest) else {
                break;
            };
            self.evict(&oldest);
        }
        for parent in missing {
            self.waiting.entry(*parent).or_default().insert(id);
        }
        let held = &self.events;
        let entry = self.by_peer.entry(peer.clone()).or_default();
        entry.order.push_back(id);
        entry.count += 1;
        entry.bytes += cost;
        if entry.fresh.len() < MAX_FRESH {
            entry
                .fresh
                .extend(missing.iter().filter(|p| !held.contains_key(*p)));
        }
        self.bytes += cost;
        self.events.insert(
            id,
            Orphan {
                event,
                peer: peer.clone(),
                copies: Vec::new(),
                since: self.clock,
                cost,
            },
        );
        true
    }

    /// `peer` sent a copy of orphan `id`: its missing parents are asked of
    /// `peer` too.
    pub fn also_from(&mut self, id: &EventId, peer: &P) {
        let Some(orphan) = self.events.get_mut(id) else {
            return;
        };
        if &orphan.peer == peer || orphan.copies.contains(peer) {
            return;
        }
        if orphan.copies.len() < MAX_COPIES {
            orphan.copies.push(peer.clone());
        }
        let orphan = &self.events[id];
        let missing: Vec<EventId> = orphan
            .event
            .parents()
            .iter()
            .filter(|p| self.waiting.get(*p).is_some_and(|w| w.contains(id)))
            .filter(|p| !self.events.contains_key(*p))
            .copied()
            .collect();
        let entry = self.by_peer.entry(peer.clone()).or_default();
        if entry.fresh.len() < MAX_FRESH {
            entry.fresh.extend(missing);
        }
    }

    /// `parent` is now known: takes out the orphans waiting for it whose
    /// parents are all known now (`known`), with the peer each came from.
    /// Those still missing another parent stay registered under this one
    /// too (its write may yet fail).
    pub fn arrived(
        &mut self,
        parent: &EventId,
        known: impl Fn(&EventId) -> bool,
    ) -> Vec<(Event, P)> {
        let Some(children) = self.waiting.remove(parent) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut still = FxHashSet::default();
        for child in children {
            let Some(orphan) = self.events.get(&child) else {
                continue;
            };
            if orphan
                .event
                .parents()
                .iter()
                .all(|p| p == parent || known(p))
            {
                if let Some(orphan) = self.remove(&child) {
                    out.push((orphan.event, orphan.peer));
                }
            } else {
                still.insert(child);
            }
        }
        if !still.is_empty() {
            self.waiting.insert(*parent, still);
        }
        out
    }

    /// Parents that `peer`'s orphans (or copies it sent) began to wait for
    /// since last asked, and that are neither known (`known`) nor held
    /// here: what to ask that peer for, at most `limit` (the rest next
    /// time). Call it only when the peer's session asks now.
    pub fn missing_from(
        &mut self,
        peer: &P,
        known: impl Fn(&EventId) -> bool,
        limit: usize,
    ) -> Vec<EventId> {
        let Some(entry) = self.by_peer.get_mut(peer) else {
            return Vec::new();
        };
        let take = entry.fresh.len().min(limit);
        let asked: Vec<EventId> = entry.fresh.drain(..take).collect();
        if entry.count == 0 && entry.fresh.is_empty() && entry.evicted == 0 {
            self.by_peer.remove(peer);
        }
        let mut seen = FxHashSet::default();
        asked
            .into_iter()
            .filter(|p| !known(p) && !self.events.contains_key(p) && seen.insert(*p))
            .collect()
    }

    /// Every parent some orphan waits for that is neither known (`known`)
    /// nor held here.
    pub fn missing<'a>(
        &'a self,
        known: impl Fn(&EventId) -> bool + 'a,
    ) -> impl Iterator<Item = &'a EventId> + 'a {
        self.waiting
            .keys()
            .filter(move |id| !known(id) && !self.events.contains_key(*id))
    }

    /// The peer is gone: its orphans go with it, except those another
    /// peer sent too, which pass to that peer (their missing parents are
    /// asked of it).
    pub fn drop_peer(&mut self, peer: &P) {
        while let Some(id) = self.oldest_of(peer) {
            let next = self.events.get_mut(&id).and_then(|o| {
                o.copies.retain(|c| c != peer);
                (!o.copies.is_empty()).then(|| o.copies.remove(0))
            });
            let Some(next) = next else {
                self.remove(&id);
                continue;
            };
            let orphan = self.events.get_mut(&id).expect("held above");
            orphan.peer = next.clone();
            let cost = orphan.cost;
            let missing: Vec<EventId> = orphan
                .event
                .parents()
                .iter()
                .filter(|p| self.waiting.get(*p).is_some_and(|w| w.contains(&id)))
                .copied()
                .collect();
            if let Some(old) = self.by_peer.get_mut(peer) {
                old.order.pop_front();
                old.count -= 1;
                old.bytes -= cost;
            }
            let entry = self.by_peer.entry(next).or_default();
            entry.order.push_back(id);
            entry.count += 1;
            entry.bytes += cost;
            if entry.fresh.len() < MAX_FRESH {
                entry.fresh.extend(missing);
            }
        }
        self.by_peer.remove(peer);
        for orphan in self.events.values_mut() {
            orphan.copies.retain(|c| c != peer);
        }
    }

    /// The oldest orphan still held from `peer` (dropping gone ids met on the way).
    fn oldest_of(&mut self, peer: &P) -> Option<EventId> {
        let entry = self.by_peer.get_mut(peer)?;
        while let Some(id) = entry.order.front() {
            if self.events.get(id).is_some_and(|o| &o.peer == peer) {
                return Some(*id);
            }
            entry.order.pop_front();
        }
        None
    }

    fn evict(&mut self, id: &EventId) {
        if let Some(orphan) = self.remove(id) {
            self.evictions += 1;
            self.by_peer.entry(orphan.peer).or_default().evicted += 1;
            self.remember_refused(*id);
        }
    }

    fn remember_refused(&mut self, id: EventId) {
        if self.limits.refused == 0 || !self.refused.insert(id) {
            return;
        }
        self.refused_order.push_back(id);
        while self.refused_order.len() > self.limits.refused {
            if let Some(old) = self.refused_order.pop_front() {
                self.refused.remove(&old);
            }
        }
    }

    fn remove(&mut self, id: &EventId) -> Option<Orphan<P>> {
        let orphan = self.events.remove(id)?;
        self.bytes -= orphan.cost;
        if let Some(entry) = self.by_peer.get_mut(&orphan.peer) {
            entry.count -= 1;
            entry.bytes -= orphan.cost;
            // Kept while it counts evictions (gone with the peer's session).
            if entry.count == 0 && entry.fresh.is_empty() && entry.evicted == 0 {
                self.by_peer.remove(&orphan.peer);
            } else if entry.order.len() > 2 * entry.count + 64 {
                let events = &self.events;
                entry.order.retain(|id| events.contains_key(id));
            }
        }
        for parent in orphan.event.parents() {
            if let Some(waiters) = self.waiting.get_mut(parent) {
                waiters.remove(id);
                if waiters.is_empty() {
                    self.waiting.remove(parent);
                }
            }
        }
        Some(orphan)
    }
}

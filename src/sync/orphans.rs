//! Events that arrived before their parents, held apart from the log.
//!
//! A verified event whose parents are not all known cannot be validated
//! yet, so it is neither stored nor applied: it waits here, in memory,
//! until its parents arrive (then the caller validates, stores and applies
//! it like any other) or it is evicted. The buffer is bounded per peer and
//! in total; when a peer's share is full its own oldest orphan goes, and
//! when the whole buffer is full the oldest orphan of the peer holding the
//! most goes — so a peer flooding orphans evicts its own, and events whose
//! parents are known never wait behind them. Orphans expire after
//! [`OrphanLimits::ttl`] ingests, and vanish with their peer's session.
//! Nothing here is reloaded on open: an evicted orphan is simply asked for
//! again later, when its parents are known.
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
            total: 16_384,
            total_bytes: 32 * 1024 * 1024,
            ttl: 1024,
            refused: 65_536,
        }
    }
}

#[derive(Debug)]
struct Orphan<P> {
    event: Event,
    peer: P,
    since: u64,
}

/// The orphan buffer. See the [module docs](self).
#[derive(Debug)]
pub struct Orphans<P: Ord + Clone> {
    limits: OrphanLimits,
    events: FxHashMap<EventId, Orphan<P>>,
    /// Missing parent → orphans waiting for it.
    waiting: FxHashMap<EventId, FxHashSet<EventId>>,
    /// Per peer, its orphans' ids in arrival order (may hold ids already
    /// gone, skipped when met) and how many are present.
    by_peer: BTreeMap<P, (VecDeque<EventId>, usize)>,
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

    /// Bytes of orphans held.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Orphans held from `peer`.
    pub fn held_from(&self, peer: &P) -> usize {
        self.by_peer.get(peer).map_or(0, |(_, n)| *n)
    }

    /// Orphans evicted or expired so far (valid events refused for lack of
    /// room: their senders should be asked again later).
    pub fn evictions(&self) -> u64 {
        self.evictions
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
    /// known). Returns false if it was not kept (bounds of zero); evicts
    /// older orphans to make room.
    pub fn add(&mut self, peer: &P, event: Event, missing: &[EventId]) -> bool {
        let id = event.id();
        if self.events.contains_key(&id) {
            return true;
        }
        let len = event.bytes().len();
        if self.limits.per_peer == 0 || len > self.limits.total_bytes {
            self.remember_refused(id);
            return false;
        }
        while self.held_from(peer) >= self.limits.per_peer {
            let Some(oldest) = self.oldest_of(peer) else {
                break;
            };
            self.evict(&oldest);
        }
        while self.events.len() >= self.limits.total || self.bytes + len > self.limits.total_bytes {
            let Some(largest) = self
                .by_peer
                .iter()
                .max_by_key(|(_, (_, n))| *n)
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
        let (order, count) = self.by_peer.entry(peer.clone()).or_default();
        order.push_back(id);
        *count += 1;
        self.bytes += len;
        self.events.insert(
            id,
            Orphan {
                event,
                peer: peer.clone(),
                since: self.clock,
            },
        );
        true
    }

    /// `parent` is now known: takes out the orphans waiting for it whose
    /// parents are all known now (`known`), with the peer each came from.
    pub fn arrived(
        &mut self,
        parent: &EventId,
        known: impl Fn(&EventId) -> bool,
    ) -> Vec<(Event, P)> {
        let Some(children) = self.waiting.remove(parent) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for child in children {
            let ready = self
                .events
                .get(&child)
                .is_some_and(|o| o.event.parents().iter().all(|p| p == parent || known(p)));
            if ready && let Some(orphan) = self.remove(&child) {
                out.push((orphan.event, orphan.peer));
            }
        }
        out
    }

    /// Parents that `peer`'s orphans wait for and that are neither known
    /// (`known`) nor held here: what to ask that peer for, at most `limit`.
    pub fn missing_from(
        &self,
        peer: &P,
        known: impl Fn(&EventId) -> bool,
        limit: usize,
    ) -> Vec<EventId> {
        let Some((order, _)) = self.by_peer.get(peer) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut seen = FxHashSet::default();
        for id in order {
            let Some(orphan) = self.events.get(id) else {
                continue;
            };
            if &orphan.peer != peer {
                continue;
            }
            for parent in orphan.event.parents() {
                if !known(parent) && !self.events.contains_key(parent) && seen.insert(*parent) {
                    out.push(*parent);
                    if out.len() == limit {
                        return out;
                    }
                }
            }
        }
        out
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

    /// The peer is gone: its orphans go with it.
    pub fn drop_peer(&mut self, peer: &P) {
        while let Some(id) = self.oldest_of(peer) {
            self.remove(&id);
        }
        self.by_peer.remove(peer);
    }

    /// The oldest orphan still held from `peer` (dropping gone ids met on the way).
    fn oldest_of(&mut self, peer: &P) -> Option<EventId> {
        let (order, _) = self.by_peer.get_mut(peer)?;
        while let Some(id) = order.front() {
            if self.events.get(id).is_some_and(|o| &o.peer == peer) {
                return Some(*id);
            }
            order.pop_front();
        }
        None
    }

    fn evict(&mut self, id: &EventId) {
        if self.remove(id).is_some() {
            self.evictions += 1;
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
        self.bytes -= orphan.event.bytes().len();
        if let Some((order, count)) = self.by_peer.get_mut(&orphan.peer) {
            *count -= 1;
            if *count == 0 {
                self.by_peer.remove(&orphan.peer);
            } else if order.len() > 2 * *count + 64 {
                let events = &self.events;
                order.retain(|id| events.contains_key(id));
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

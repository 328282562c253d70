//! Rooms and their members: joining (with bounded introductions), leaving,
//! and relaying signals between members who were introduced.

use super::addresses::Addresses;
use super::limits::{Bucket, Limits};
use super::outbox::Outbox;
use super::{Refusal, ToClient, error_text, say};
use axum::extract::ws::Utf8Bytes;
use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

struct Member {
    outbox: Arc<Outbox>,
    /// Signals relayed to this member, from everyone together.
    inbound: Bucket,
    /// Members it was introduced to or who were introduced to it: the
    /// only ones it may signal and the only ones told when it leaves.
    knows: BTreeSet<u64>,
}

struct Room {
    /// By id; ids are drawn at join time, so this is join order.
    members: BTreeMap<u64, Member>,
    joins: Bucket,
}

/// The server's shared state: rooms, members, per-address records and
/// the connection count.
pub struct Rooms {
    limits: Limits,
    rooms: Mutex<HashMap<String, Room>>,
    addresses: Mutex<Addresses>,
    pub(crate) connections: AtomicUsize,
    next_id: AtomicU64,
    /// Seeds the random part of each introduction.
    random: RandomState,
    draws: AtomicU64,
    /// The limits hit, by code (`/metrics`).
    pub(crate) hits: crate::ops::Hits,
    /// Set when the server stops: every member is told and closed.
    pub(crate) stopping: crate::ops::Stopping,
}

fn relock<T>(lock: &Mutex<T>) -> MutexGuard<'_, T> {
    // Each update under these locks is a few inserts and removes that
    // cannot panic halfway in a way that breaks an invariant the code
    // relies on, so a poisoned lock is usable.
    lock.lock().unwrap_or_else(|e| e.into_inner())
}

impl Rooms {
    /// No rooms yet, under `limits`.
    pub fn new(limits: Limits) -> Arc<Rooms> {
        Arc::new(Rooms {
            limits,
            rooms: Mutex::default(),
            addresses: Mutex::default(),
            connections: AtomicUsize::new(0),
            next_id: AtomicU64::new(0),
            random: RandomState::new(),
            draws: AtomicU64::new(0),
            hits: Default::default(),
            stopping: Default::default(),
        })
    }

    /// The limits it enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// How many rooms exist now.
    pub fn room_count(&self) -> usize {
        relock(&self.rooms).len()
    }

    /// How many TCP connections are open now.
    pub fn connection_count(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }

    pub(crate) fn addresses(&self) -> MutexGuard<'_, Addresses> {
        relock(&self.addresses)
    }

    /// Spends one of `address`'s messages.
    pub(crate) fn take_address_message(&self, address: IpAddr) -> bool {
        self.addresses().take_message(address, &self.limits)
    }

    /// A random number (not for secrets: it only spreads introductions).
    fn draw(&self) -> u64 {
        self.random
            .hash_one(self.draws.fetch_add(1, Ordering::Relaxed))
    }

    /// Whom a newcomer meets: everyone in a small room; otherwise the newest
    /// half of `introductions` and a random sample of the older members.
    /// Returned in join order (newest last).
    fn introduce(&self, members: &BTreeMap<u64, Member>) -> Vec<u64> {
        let k = self.limits.introductions;
        let ids: Vec<u64> = members.keys().copied().collect();
        if ids.len() <= k {
            return ids;
        }
        let newest = k.div_ceil(2);
        let (older, recent) = ids.split_at(ids.len() - newest);
        let mut older = older.to_vec();
        // A partial Fisher–Yates shuffle picks k - newest of the older ones.
        let picks = k - newest;
        for i in 0..picks {
            let j = i + (self.draw() % (older.len() - i) as u64) as usize;
            older.swap(i, j);
        }
        let mut chosen: Vec<u64> = older[..picks].to_vec();
        chosen.extend_from_slice(recent);
        chosen.sort_unstable();
        chosen
    }

    /// Joins `name` from `address`: acknowledges with `joined` (queued
    /// before any member event can be) and tells the members introduced.
    pub(crate) fn join(
        &self,
        name: &str,
        outbox: &Arc<Outbox>,
        address: IpAddr,
    ) -> Result<u64, Refusal> {
        if !self.addresses().take_join(address, &self.limits) {
            return Err(Refusal::TOO_MANY_JOINS);
        }
        let mut rooms = relock(&self.rooms);
        if !rooms.contains_key(name) && rooms.len() >= self.limits.max_rooms {
            return Err(Refusal::TOO_MANY_ROOMS);
        }
        let room_joins = self.limits.room_joins;
        let room = rooms.entry(name.to_owned()).or_insert_with(|| Room {
            members: BTreeMap::new(),
            joins: Bucket::full(room_joins),
        });
        let refusal = if room.members.len() >= self.limits.max_members {
            Some(Refusal::ROOM_FULL)
        } else if !room.joins.take(room_joins) {
            Some(Refusal::ROOM_BUSY)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            if room.members.is_empty() {
                rooms.remove(name);
            }
            return Err(refusal);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let peers = self.introduce(&room.members);
        // Queued under the rooms lock, before this member is visible to
        // anyone: `joined` is always the first thing it hears.
        outbox.push(
            say(&ToClient::Joined {
                id,
                peers: peers.clone(),
            })
            .into(),
        );
        let notice: Utf8Bytes = say(&ToClient::PeerJoined { id }).into();
        for peer in &peers {
            if let Some(member) = room.members.get_mut(peer) {
                member.knows.insert(id);
                member.outbox.push(notice.clone());
            }
        }
        room.members.insert(
            id,
            Member {
                outbox: outbox.clone(),
                inbound: Bucket::full(self.limits.target_rate),
                knows: peers.into_iter().collect(),
            },
        );
        Ok(id)
    }

    /// Member `id` leaves `name`: those who know it hear `peer-left`.
    pub(crate) fn leave(&self, name: &str, id: u64) {
        let mut rooms = relock(&self.rooms);
        let Some(room) = rooms.get_mut(name) else {
            return;
        };
        if let Some(gone) = room.members.remove(&id) {
            let notice: Utf8Bytes = say(&ToClient::PeerLeft { id }).into();
            for peer in gone.knows {
                if let Some(member) = room.members.get_mut(&peer) {
                    member.knows.remove(&id);
                    member.outbox.push(notice.clone());
                }
            }
        }
        if room.members.is_empty() {
            rooms.remove(name);
        }
    }

    /// Relays `text` from member `from` to member `to` of `name`.
    pub(crate) fn relay(
        &self,
        name: &str,
        from: u64,
        to: u64,
        text: Utf8Bytes,
    ) -> Result<(), Refusal> {
        let mut rooms = relock(&self.rooms);
        let room = rooms.get_mut(name).ok_or(Refusal::NO_SUCH_PEER)?;
        let knows = room
            .members
            .get(&from)
            .is_some_and(|m| m.knows.contains(&to));
        let target = room
            .members
            .get_mut(&to)
            .filter(|_| knows)
            .ok_or(Refusal::NO_SUCH_PEER)?;
        if !target.inbound.take(self.limits.target_rate) {
            return Err(Refusal::TARGET_BUSY);
        }
        target.outbox.push(text);
        Ok(())
    }
}

impl Refusal {
    /// The error message for this refusal.
    pub(crate) fn text(&self) -> Utf8Bytes {
        error_text(self.code, self.message).into()
    }
}

//! Rooms and their members: joining (with bounded introductions), leaving,
//! and relaying signals between members who were introduced.
//!
//! With `--nats` a room spans server instances ([`crate::span`]): each
//! instance holds its own members in full (their queues, rates and whom
//! they know) and the other instances' members by id, and tells the others
//! what happens to its own as notes. The rules are the same wherever the
//! members are: a newcomer is introduced to members of every instance, a
//! signal reaches only a member it was introduced to, a room's capacity
//! and join rate count every instance's members and joins, and a member's
//! inbound rate is enforced by the one instance that holds it.
//!
//! Long on purpose (≈ 680 lines): the room's state and every change to it
//! (local or heard from another instance) are kept together, under one
//! lock, so what an instance tells the others is in the order it happened;
//! the notes' transport is `span`.

use super::addresses::Addresses;
use super::limits::{Bucket, Limits};
use super::outbox::Outbox;
use super::span::{self, Link, Note};
use super::{Refusal, ToClient, error_text, say};
use axum::extract::ws::Utf8Bytes;
use std::collections::hash_map::RandomState;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::hash::BuildHasher;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

struct Member {
    outbox: Arc<Outbox>,
    /// Signals relayed to this member, from everyone together.
    inbound: Bucket,
    /// Members it was introduced to or who were introduced to it: the
    /// only ones it may signal and the only ones told when it leaves.
    knows: BTreeSet<u64>,
    /// When this instance learnt of it (its key in [`Room::order`]).
    arrival: u64,
}

/// A member of another instance, as this one holds it.
struct Remote {
    /// When this instance learnt of it (its key in [`Room::order`]).
    arrival: u64,
    /// Signals this instance's members sent it: the target rate is kept
    /// here too, so a flood is stopped before it crosses NATS.
    inbound: Bucket,
}

struct Room {
    /// This instance's members, by id.
    members: BTreeMap<u64, Member>,
    /// Other instances' members, by id.
    remote: HashMap<u64, Remote>,
    /// Every member, by arrival: join order as this instance learnt it.
    order: BTreeMap<u64, u64>,
    joins: Bucket,
}

impl Room {
    fn new(limits: &Limits) -> Room {
        Room {
            members: BTreeMap::new(),
            remote: HashMap::new(),
            order: BTreeMap::new(),
            joins: Bucket::full(limits.room_joins),
        }
    }

    fn len(&self) -> usize {
        self.order.len()
    }

    fn contains(&self, id: u64) -> bool {
        self.members.contains_key(&id) || self.remote.contains_key(&id)
    }

    /// Adds another instance's member `id`, if not there yet, as the next
    /// of `arrivals` (counted only when it is new: every beat names every
    /// member again).
    fn add_remote(&mut self, id: u64, arrivals: &mut u64, limits: &Limits) {
        if !self.contains(id) {
            *arrivals += 1;
            let arrival = *arrivals;
            let inbound = Bucket::full(limits.target_rate);
            self.remote.insert(id, Remote { arrival, inbound });
            self.order.insert(arrival, id);
        }
    }

    /// This instance's member `member` now knows `id`: it hears
    /// `peer-joined` unless it already knew it.
    fn acquaint(&mut self, member: u64, id: u64) {
        if let Some(member) = self.members.get_mut(&member)
            && member.knows.insert(id)
        {
            member.outbox.push(say(&ToClient::PeerJoined { id }).into());
        }
    }

    /// `id` is gone: it leaves the room, and this instance's members who
    /// knew it hear `peer-left`. Returns it if it was this instance's.
    fn forget(&mut self, id: u64) -> Option<Member> {
        let notice: Utf8Bytes = say(&ToClient::PeerLeft { id }).into();
        if let Some(gone) = self.members.remove(&id) {
            self.order.remove(&gone.arrival);
            for peer in &gone.knows {
                if let Some(member) = self.members.get_mut(peer) {
                    member.knows.remove(&id);
                    member.outbox.push(notice.clone());
                }
            }
            return Some(gone);
        }
        // Whom another instance's member knows is held there: every
        // member here is asked.
        let remote = self.remote.remove(&id)?;
        self.order.remove(&remote.arrival);
        for member in self.members.values_mut() {
            if member.knows.remove(&id) {
                member.outbox.push(notice.clone());
            }
        }
        None
    }
}

/// Everything under the rooms lock.
#[derive(Default)]
struct State {
    rooms: HashMap<String, Room>,
    /// Counts arrivals, for [`Room::order`].
    arrivals: u64,
    /// The other instances heard from, and when last.
    instances: HashMap<u32, Instant>,
    /// The parts of each instance's latest beat gathered so far.
    beats: HashMap<u32, Gathering>,
}

/// A beat being gathered: its number, the parts so far (in order), and
/// their rooms.
struct Gathering {
    beat: u64,
    parts: u32,
    rooms: Vec<span::RoomMembers>,
}

impl State {
    fn arrival(&mut self) -> u64 {
        self.arrivals += 1;
        self.arrivals
    }

    /// Drops `name` if nobody is in it.
    fn tidy(&mut self, name: &str) {
        if self.rooms.get(name).is_some_and(|room| room.len() == 0) {
            self.rooms.remove(name);
        }
    }

    /// Every member of `instance` leaves every room.
    fn forget_instance(&mut self, instance: u32) {
        self.instances.remove(&instance);
        self.beats.remove(&instance);
        for room in self.rooms.values_mut() {
            let theirs: Vec<u64> = room
                .remote
                .keys()
                .copied()
                .filter(|id| span::instance_of(*id) == instance)
                .collect();
            for id in theirs {
                room.forget(id);
            }
        }
        self.rooms.retain(|_, room| room.len() > 0);
    }

    /// `instance`'s members are exactly `rooms` (a whole beat): those no
    /// longer there leave, those not known yet are added (without
    /// introductions: they are there for the next newcomers).
    fn replace_instance(&mut self, instance: u32, rooms: Vec<span::RoomMembers>, limits: &Limits) {
        let mut now: HashMap<String, HashSet<u64>> = HashMap::new();
        for (name, ids) in rooms {
            let ids = ids
                .into_iter()
                .filter(|id| span::instance_of(*id) == instance);
            now.entry(name).or_default().extend(ids);
        }
        for (name, room) in self.rooms.iter_mut() {
            let kept = now.get(name);
            let gone: Vec<u64> = room
                .remote
                .keys()
                .copied()
                .filter(|id| span::instance_of(*id) == instance)
                .filter(|id| !kept.is_some_and(|kept| kept.contains(id)))
                .collect();
            for id in gone {
                room.forget(id);
            }
        }
        for (name, ids) in now {
            let room = self.rooms.entry(name).or_insert_with(|| Room::new(limits));
            for id in ids {
                room.add_remote(id, &mut self.arrivals, limits);
            }
        }
        self.rooms.retain(|_, room| room.len() > 0);
    }
}

/// The server's shared state: rooms, members, per-address records and
/// the connection count.
pub struct Rooms {
    limits: Limits,
    state: Mutex<State>,
    addresses: Mutex<Addresses>,
    pub(crate) connections: AtomicUsize,
    next_id: AtomicU64,
    /// Seeds the random part of each introduction.
    random: RandomState,
    draws: AtomicU64,
    /// The other instances, when rooms span them (`--nats`).
    link: Option<Link>,
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
    /// No rooms yet, under `limits`, on this instance alone.
    pub fn new(limits: Limits) -> Arc<Rooms> {
        Rooms::with_link(limits, None)
    }

    /// No rooms yet; spanning the instances `link` reaches, if given.
    pub(crate) fn with_link(limits: Limits, link: Option<Link>) -> Arc<Rooms> {
        // Ids carry their instance (`span::first_id`): 0, 1, 2… alone.
        let first = link
            .as_ref()
            .map_or(0, |link| span::first_id(link.instance));
        Arc::new(Rooms {
            limits,
            state: Mutex::default(),
            addresses: Mutex::default(),
            connections: AtomicUsize::new(0),
            next_id: AtomicU64::new(first),
            random: RandomState::new(),
            draws: AtomicU64::new(0),
            link,
            hits: Default::default(),
            stopping: Default::default(),
        })
    }

    /// The limits it enforces.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// How many rooms exist now (with a member on any instance).
    pub fn room_count(&self) -> usize {
        relock(&self.state).rooms.len()
    }

    /// How many other instances the rooms span now (0 alone).
    pub fn instance_count(&self) -> usize {
        relock(&self.state).instances.len()
    }

    /// How many TCP connections are open now.
    pub fn connection_count(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }

    pub(crate) fn link(&self) -> Option<&Link> {
        self.link.as_ref()
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

    /// Tells the other instances `note`, if the rooms span any. A full
    /// queue drops it (counted): the next beat repairs what it would have
    /// told, except a signal, which is lost like any dropped signal.
    fn tell(&self, note: Note) -> bool {
        match &self.link {
            Some(link) => {
                let sent = link.send(note);
                if !sent {
                    self.hits.hit(span::QUEUE_FULL);
                }
                sent
            }
            None => true,
        }
    }

    /// Whom a newcomer meets: everyone in a small room; otherwise the newest
    /// half of `introductions` and a random sample of the older members.
    /// Returned in join order (newest last).
    fn introduce(&self, room: &Room) -> Vec<u64> {
        let k = self.limits.introductions;
        let ids: Vec<u64> = room.order.values().copied().collect();
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
        let arrival_of = |id: &u64| {
            room.members
                .get(id)
                .map(|m| m.arrival)
                .or_else(|| room.remote.get(id).map(|r| r.arrival))
        };
        let mut chosen: Vec<u64> = older[..picks].to_vec();
        chosen.sort_unstable_by_key(arrival_of);
        chosen.extend_from_slice(recent);
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
        let mut state = relock(&self.state);
        // Rooms with members here: another instance's rooms take its room.
        let mine = |room: &Room| !room.members.is_empty();
        if !state.rooms.get(name).is_some_and(mine)
            && state.rooms.values().filter(|room| mine(room)).count() >= self.limits.max_rooms
        {
            return Err(Refusal::TOO_MANY_ROOMS);
        }
        let arrival = state.arrival();
        let room = state
            .rooms
            .entry(name.to_owned())
            .or_insert_with(|| Room::new(&self.limits));
        let refusal = if room.len() >= self.limits.max_members {
            Some(Refusal::ROOM_FULL)
        } else if !room.joins.take(self.limits.room_joins) {
            Some(Refusal::ROOM_BUSY)
        } else {
            None
        };
        if let Some(refusal) = refusal {
            state.tidy(name);
            return Err(refusal);
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let peers = self.introduce(room);
        // Queued under the rooms lock, before this member is visible to
        // anyone: `joined` is always the first thing it hears.
        outbox.push(
            say(&ToClient::Joined {
                id,
                peers: peers.clone(),
            })
            .into(),
        );
        for peer in &peers {
            room.acquaint(*peer, id);
        }
        room.order.insert(arrival, id);
        room.members.insert(
            id,
            Member {
                outbox: outbox.clone(),
                inbound: Bucket::full(self.limits.target_rate),
                knows: peers.iter().copied().collect(),
                arrival,
            },
        );
        if let Some(link) = &self.link {
            // The other instances introduce their members among `peers`.
            self.tell(Note::Joined {
                from: link.instance,
                room: name.to_owned(),
                id,
                introduced: peers,
            });
        }
        Ok(id)
    }

    /// Member `id` leaves `name`: those who know it hear `peer-left`.
    pub(crate) fn leave(&self, name: &str, id: u64) {
        let mut state = relock(&self.state);
        let Some(room) = state.rooms.get_mut(name) else {
            return;
        };
        if room.forget(id).is_some()
            && let Some(link) = &self.link
        {
            self.tell(Note::Left {
                from: link.instance,
                room: name.to_owned(),
                id,
            });
        }
        state.tidy(name);
    }

    /// Relays `text` from member `from` to member `to` of `name`.
    pub(crate) fn relay(
        &self,
        name: &str,
        from: u64,
        to: u64,
        text: Utf8Bytes,
    ) -> Result<(), Refusal> {
        let mut state = relock(&self.state);
        let room = state.rooms.get_mut(name).ok_or(Refusal::NO_SUCH_PEER)?;
        let knows = room
            .members
            .get(&from)
            .is_some_and(|m| m.knows.contains(&to));
        if !knows {
            return Err(Refusal::NO_SUCH_PEER);
        }
        if let Some(target) = room.members.get_mut(&to) {
            return deliver(target, text, &self.limits);
        }
        let remote = room.remote.get_mut(&to).ok_or(Refusal::NO_SUCH_PEER)?;
        // Kept here for this instance's senders, and by the instance that
        // holds `to` for all (it answers TARGET_BUSY or NO_SUCH_PEER back).
        if !remote.inbound.take(self.limits.target_rate) {
            return Err(Refusal::TARGET_BUSY);
        }
        let sent = self.tell(Note::Signal {
            room: name.to_owned(),
            from,
            to,
            text: text.as_str().to_owned(),
        });
        match sent {
            true => Ok(()),
            false => Err(Refusal::SPAN_BUSY),
        }
    }

    /// What another instance told (see [`crate::span`]).
    pub(crate) fn heard(&self, note: Note) {
        let Some(link) = &self.link else { return };
        let mut state = relock(&self.state);
        if let Some(from) = note.membership_sender()
            && from != link.instance
        {
            state.instances.insert(from, Instant::now());
        }
        match note {
            Note::Joined { from, .. } | Note::Left { from, .. } if from == link.instance => {}
            Note::Joined {
                room: name,
                id,
                introduced,
                ..
            } => {
                let State {
                    rooms, arrivals, ..
                } = &mut *state;
                let room = rooms.entry(name).or_insert_with(|| Room::new(&self.limits));
                // Joins anywhere spend the room's join rate here too.
                room.joins.take(self.limits.room_joins);
                // Maybe there already: its first signal came first.
                room.add_remote(id, arrivals, &self.limits);
                for peer in introduced {
                    room.acquaint(peer, id);
                }
            }
            Note::Left { room: name, id, .. } => {
                if let Some(room) = state.rooms.get_mut(&name)
                    && room.remote.contains_key(&id)
                {
                    room.forget(id);
                }
                state.tidy(&name);
            }
            Note::Hello { from } => {
                if from != link.instance {
                    self.beat(&mut state, link);
                }
            }
            Note::Beat {
                from,
                run,
                beat,
                part,
                parts,
                rooms,
            } => {
                if from == link.instance {
                    if run != link.run {
                        // 1 in a million per pair of instances: each draws
                        // its number at start.
                        tracing::error!(
                            "another instance uses this one's number {from}: restart one of them"
                        );
                        self.hits.hit(span::INSTANCE_TAKEN);
                    }
                    return;
                }
                if part == 0 {
                    state.beats.insert(
                        from,
                        Gathering {
                            beat,
                            parts: 0,
                            rooms: Vec::new(),
                        },
                    );
                }
                // Parts come in order: one missing (a full queue, a slow
                // consumer) makes the beat incomplete, and it is dropped
                // rather than read as members gone.
                let Some(gathering) = state.beats.get_mut(&from) else {
                    return;
                };
                if gathering.beat != beat || gathering.parts != part {
                    state.beats.remove(&from);
                    return;
                }
                gathering.parts += 1;
                gathering.rooms.extend(rooms);
                if part + 1 == parts
                    && let Some(gathering) = state.beats.remove(&from)
                {
                    state.replace_instance(from, gathering.rooms, &self.limits);
                }
            }
            Note::Gone { from } => {
                if from != link.instance {
                    state.forget_instance(from);
                }
            }
            Note::Signal {
                room: name,
                from,
                to,
                text,
            } => {
                let State {
                    rooms, arrivals, ..
                } = &mut *state;
                let refusal = match rooms.get_mut(&name) {
                    Some(room)
                        if room.members.contains_key(&to)
                            && span::instance_of(from) != link.instance =>
                    {
                        // The sender's instance checked that the sender
                        // knows `to`. If `to` does not know the sender yet
                        // (the join note is behind, or was lost), it meets
                        // it now, before its first signal, so it can
                        // answer and will hear when it leaves.
                        room.add_remote(from, arrivals, &self.limits);
                        room.acquaint(to, from);
                        let target = room.members.get_mut(&to);
                        target.and_then(|t| deliver(t, text.into(), &self.limits).err())
                    }
                    _ => Some(Refusal::NO_SUCH_PEER),
                };
                if let Some(refusal) = refusal {
                    self.hits.hit(refusal.code);
                    self.tell(Note::Refused {
                        room: name,
                        to: from,
                        code: refusal.code.to_owned(),
                    });
                }
            }
            Note::Refused {
                room: name,
                to,
                code,
            } => {
                let refusal = [Refusal::TARGET_BUSY, Refusal::NO_SUCH_PEER]
                    .into_iter()
                    .find(|r| r.code == code);
                let sender = state
                    .rooms
                    .get(&name)
                    .and_then(|room| room.members.get(&to));
                if let (Some(refusal), Some(sender)) = (refusal, sender) {
                    sender.outbox.push_advisory(refusal.text());
                }
            }
        }
    }

    /// Tells the others this instance's whole membership (a beat), and
    /// forgets the instances silent for [`span::SILENCE`].
    pub(crate) fn beat_and_sweep(&self) {
        let Some(link) = &self.link else { return };
        if link.stopped() {
            return;
        }
        let mut state = relock(&self.state);
        self.beat(&mut state, link);
        let now = Instant::now();
        let silent: Vec<u32> = state
            .instances
            .iter()
            .filter(|(_, heard)| now.duration_since(**heard) > span::SILENCE)
            .map(|(instance, _)| *instance)
            .collect();
        for instance in silent {
            tracing::warn!("instance {instance} went silent: its members leave");
            state.forget_instance(instance);
        }
    }

    /// Queues a beat: under the lock, so it is in order with the joins and
    /// leaves told before and after it.
    fn beat(&self, state: &mut State, link: &Link) {
        let rooms = state.rooms.iter().filter_map(|(name, room)| {
            let ids: Vec<u64> = room.members.keys().copied().collect();
            (!ids.is_empty()).then(|| (name.clone(), ids))
        });
        for note in link.beat(rooms) {
            self.tell(note);
        }
    }

    /// Tells the other instances this one is gone (a graceful stop), once
    /// its members' leaves are told.
    pub(crate) async fn farewell(&self) {
        if let Some(link) = &self.link {
            link.farewell().await;
        }
    }
}

/// Queues `text` for `target` if its inbound rate allows.
fn deliver(target: &mut Member, text: Utf8Bytes, limits: &Limits) -> Result<(), Refusal> {
    if !target.inbound.take(limits.target_rate) {
        return Err(Refusal::TARGET_BUSY);
    }
    target.outbox.push(text);
    Ok(())
}

impl Refusal {
    /// The error message for this refusal.
    pub(crate) fn text(&self) -> Utf8Bytes {
        error_text(self.code, self.message).into()
    }
}

//! Taking in events from peers. Each event is verified, then validated
//! against its parents — in the log or earlier in the same batch — before
//! anything is stored; the valid ones are written, then applied. An event
//! whose parents are not all known is held apart as an orphan
//! ([`crate::sync::Orphans`]): never stored, released into a later batch
//! when its parents arrive.

use super::off_thread::OFF_THREAD_MIN;
use super::{Node, NodeError, OPEN_SLICE, Received, loaded_event, open_weight};
use crate::error::Error;
use crate::event::{Event, EventId};
use crate::log::{Insertion, causal_order, in_causal_order};
use crate::store::Store;
use futures_util::future::LocalBoxFuture;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::VecDeque;

/// The peer name under which events given without one (the JS
/// `receive`, tests) wait as orphans.
pub(crate) const LOCAL: &str = "";

/// Events per chunk: big enough that a write is worth its transaction,
/// small enough that verifying one chunk and writing the one before overlap.
const CHUNK: usize = 512;

/// Events verified between two [`Store::pause`]s: ≈ 11 ms of
/// `verify_strict` in Chromium on this project's benchmark machine, well
/// under the 50 ms a task may take before a page feels stuck.
const VERIFY_SLICE: usize = 128;

/// A chunk's events new here, and their check under way.
struct Check<'b> {
    /// Each with its index in the batch and its id.
    new: Vec<(usize, EventId, &'b [u8])>,
    /// The off-thread verifier's answer, if it was asked.
    answer: Option<LocalBoxFuture<'static, Option<Vec<bool>>>>,
}

impl<S: Store> Node<S> {
    /// Takes in an event received from a peer: verifies, validates, stores,
    /// applies. An event whose parents are missing waits apart
    /// (`pending`); an invalid one is an error and nothing is stored.
    pub async fn receive(&self, bytes: &[u8]) -> Result<Insertion, NodeError> {
        let received = self.receive_batch(&[bytes]).await?;
        if let Some((_, e)) = received.refused.into_iter().next() {
            return Err(e.into());
        }
        let log_ixs = {
            let replica = self.replica.borrow();
            let log = replica.log();
            received
                .stored
                .iter()
                .filter_map(|e| log.ix(&e.id()))
                .collect()
        };
        Ok(Insertion {
            applied: log_ixs,
            pending: received.orphaned > 0,
            duplicate: received.stored.is_empty() && received.orphaned == 0,
            ..Insertion::default()
        })
    }

    /// Takes in a batch of events received from peers: each is decoded and
    /// verified; the valid new ones are stored, then applied. An invalid
    /// event is refused alone (see [`Received::refused`]).
    /// A failed write is an error (see [`receive_from`](Self::receive_from)
    /// for what was stored before it).
    pub async fn receive_batch(&self, batch: &[&[u8]]) -> Result<Received, NodeError> {
        let mut received = self.receive_from(LOCAL, batch).await;
        match received.store_error.take() {
            Some(e) => Err(e),
            None => Ok(received),
        }
    }

    /// [`receive_batch`](Self::receive_batch) from `peer` (orphans are held
    /// under its name, bounded per peer).
    ///
    /// The batch goes in chunks, and the signatures of one chunk are checked
    /// while the store writes the chunk before (IndexedDB works beside the
    /// page's thread), so the two costs overlap instead of adding up; with
    /// an [`OffThread`](super::OffThread) verifier, every chunk's check
    /// starts at once and runs beside all of this thread's work. A
    /// failed write ends the batch ([`Received::store_error`]): the chunks
    /// written before it are stored, applied and listed in
    /// [`Received::stored`] (to forward and announce), nothing after it is.
    pub async fn receive_from(&self, peer: &str, batch: &[&[u8]]) -> Received {
        let batch: Vec<_> = batch.iter().map(|b| (EventId::of_bytes(b), *b)).collect();
        self.receive_identified(peer, &batch).await
    }

    /// [`receive_from`](Self::receive_from) for events whose ids (the hashes
    /// of their bytes) were computed as they arrived ([`Carried`](crate::sync::Carried)):
    /// they are not computed again.
    pub(crate) async fn receive_identified(
        &self,
        peer: &str,
        batch: &[(EventId, &[u8])],
    ) -> Received {
        let mut received = Received::default();
        self.orphans.borrow_mut().tick();
        let mut seen: FxHashSet<EventId> = FxHashSet::default();
        // Every chunk's new events are picked now, and sent at once to the
        // off-thread verifier if there is one: its workers check the whole
        // batch while this thread decodes, writes and applies chunk after
        // chunk.
        let mut checks: VecDeque<Check<'_>> = batch
            .chunks(CHUNK)
            .enumerate()
            .map(|(n, chunk)| self.start_check(peer, n * CHUNK, chunk, &mut seen, &mut received))
            .collect();
        let mut verified = match checks.pop_front() {
            Some(check) => self.finish_check(check, &mut received).await,
            None => return received,
        };
        loop {
            let ready = self.admit(peer, verified, &mut received);
            let next = checks.pop_front();
            let records: Vec<_> = ready.iter().map(|e| (e.id(), e.bytes())).collect();
            let write = async {
                if records.is_empty() {
                    Ok(())
                } else {
                    self.store.put_events(&records).await
                }
            };
            let mut checked = Received::default();
            let check = async {
                match next {
                    Some(check) => Some(self.finish_check(check, &mut checked).await),
                    None => None,
                }
            };
            let (written, verified_next) = futures_util::future::join(write, check).await;
            if let Err(e) = written {
                received.store_error = Some(e.into());
                return received;
            }
            received.refused.append(&mut checked.refused);
            let mut replica = self.replica.borrow_mut();
            for event in ready {
                // Validated against parents present: it applies.
                match replica.insert(event.clone()) {
                    Ok(insertion) => received.applied += insertion.applied.len(),
                    Err(e) => received.unapplied.push((event.id(), e.into())),
                }
                received.stored.push(event);
            }
            drop(replica);
            match verified_next {
                Some(events) => verified = events,
                None => return received,
            }
        }
    }

    /// Picks the events of a chunk that are new here, each with its index
    /// in the batch, and starts checking them: at least [`OFF_THREAD_MIN`]
    /// go to the [`OffThread`](super::OffThread) verifier if the node has
    /// one, which starts at once. A copy of an event held already costs a
    /// hash; a recently evicted orphan whose parents are still missing
    /// costs a decode, not a signature check.
    fn start_check<'b>(
        &self,
        peer: &str,
        offset: usize,
        chunk: &[(EventId, &'b [u8])],
        seen: &mut FxHashSet<EventId>,
        received: &mut Received,
    ) -> Check<'b> {
        let replica = self.replica.borrow();
        let log = replica.log();
        let orphans = self.orphans.borrow();
        let mut new = Vec::new();
        let mut copies = Vec::new();
        for (i, &(id, bytes)) in chunk.iter().enumerate() {
            if orphans.contains(&id) {
                // Another copy of an orphan: its parents are asked of
                // this peer too.
                copies.push(id);
                continue;
            }
            if log.contains(&id) || !seen.insert(id) {
                continue;
            }
            if orphans.was_refused(&id)
                && let Ok(event) = Event::from_loaded(id, bytes.to_vec())
                && event
                    .parents()
                    .iter()
                    .any(|p| !log.contains(p) && !seen.contains(p))
            {
                received.room_refused = true;
                continue;
            }
            new.push((offset + i, id, bytes));
        }
        drop((orphans, replica));
        let mut orphans = self.orphans.borrow_mut();
        for id in copies {
            orphans.also_from(&id, &peer.to_owned());
        }
        drop(orphans);
        let verifier = self.off_thread.borrow().clone();
        let answer = verifier
            .filter(|_| new.len() >= OFF_THREAD_MIN)
            .map(|verifier| {
                let bytes: Vec<&[u8]> = new.iter().map(|(_, _, bytes)| *bytes).collect();
                verifier.verify(&bytes)
            });
        Check { new, answer }
    }

    /// Ends a [`Check`]: the chunk's valid events decoded, each with its
    /// index in the batch. Those the verifier did not accept (or all, if
    /// there is none or it failed) are checked here, in slices of
    /// [`VERIFY_SLICE`] with a [`Store::pause`] after each — in a browser
    /// this is the page's thread, and a whole chunk would hold it for
    /// ≈ 40–80 ms (a peer sending a batch of bad signatures costs the page
    /// as much again).
    async fn finish_check(&self, check: Check<'_>, received: &mut Received) -> Vec<(usize, Event)> {
        let answer = match check.answer {
            Some(answer) => answer.await,
            None => None,
        };
        let valid = answer
            .filter(|valid| valid.len() == check.new.len())
            .unwrap_or_else(|| vec![false; check.new.len()]);
        let mut out = Vec::new();
        let mut checked_here = false;
        for (slice, valid) in check
            .new
            .chunks(VERIFY_SLICE)
            .zip(valid.chunks(VERIFY_SLICE))
        {
            if checked_here {
                self.store.pause().await;
            }
            checked_here = valid.contains(&false);
            out.extend(self.decode_checked(slice, valid, received));
        }
        out
    }

    /// Decodes events and admits them to the network. Those `valid` says
    /// an [`OffThread`](super::OffThread) verifier accepted are decoded
    /// without their signature (it was checked there by the same code);
    /// the others are checked here, which also tells why a refused one is
    /// refused.
    fn decode_checked(
        &self,
        events: &[(usize, EventId, &[u8])],
        valid: &[bool],
        received: &mut Received,
    ) -> Vec<(usize, Event)> {
        let replica = self.replica.borrow();
        let mut keys = self.author_keys.borrow_mut();
        let mut out = Vec::new();
        for (&(at, id, bytes), &valid) in events.iter().zip(valid) {
            let event = if valid {
                Event::from_loaded(id, bytes.to_vec())
            } else {
                Event::identified_with(id, bytes, &mut keys)
            };
            match event.and_then(|event| replica.admit(event)) {
                Ok(event) => out.push((at, event)),
                Err(e) => received.refused.push((at, e.into())),
            }
        }
        out
    }

    /// Validates verified events against their parents, parents first:
    /// those whose parents are all known (in the log or admitted before
    /// them) are checked and returned in an order fit to store and apply;
    /// the others wait as orphans of `peer`. Orphans they complete join
    /// them. Refusals go to `received`.
    fn admit(
        &self,
        peer: &str,
        verified: Vec<(usize, Event)>,
        received: &mut Received,
    ) -> Vec<Event> {
        let index: FxHashMap<EventId, usize> = verified.iter().map(|(i, e)| (e.id(), *i)).collect();
        let events = causal_order(verified.into_iter().map(|(_, e)| e).collect());
        let replica = self.replica.borrow();
        let log = replica.log();
        let mut orphans = self.orphans.borrow_mut();
        let own = peer.to_owned();
        let evictions = orphans.evictions_of(&own);
        let mut admitted: FxHashMap<EventId, Event> = FxHashMap::default();
        let mut order: Vec<Event> = Vec::new();
        let mut invalid: FxHashSet<EventId> = FxHashSet::default();
        // (event, where it came from: its batch index, or the peer that
        // sent it as an orphan earlier)
        let mut work: Vec<(Event, Result<usize, String>)> = events
            .into_iter()
            .rev()
            .map(|e| {
                let at = index[&e.id()];
                (e, Ok(at))
            })
            .collect();
        while let Some((event, from)) = work.pop() {
            let id = event.id();
            if log.contains(&id) || admitted.contains_key(&id) {
                continue;
            }
            if let Some(bad) = event.parents().iter().find(|p| invalid.contains(*p)) {
                let error = Error::from(crate::log::LogError::Invalid {
                    id,
                    error: crate::event::validate::ContextError::InvalidParent(*bad),
                });
                invalid.insert(id);
                refuse(received, from, error);
                continue;
            }
            let missing: Vec<EventId> = event
                .parents()
                .iter()
                .filter(|p| !log.contains(p) && !admitted.contains_key(*p))
                .copied()
                .collect();
            if !missing.is_empty() {
                let from_peer = from.clone().err().unwrap_or_else(|| peer.to_owned());
                if orphans.add(&from_peer, event, &missing) {
                    received.orphaned += 1;
                } else {
                    received.room_refused = true;
                }
                continue;
            }
            match log.check_after(&event, &admitted) {
                Ok(()) => {
                    let released =
                        orphans.arrived(&id, |p| log.contains(p) || admitted.contains_key(p));
                    admitted.insert(id, event.clone());
                    order.push(event);
                    for (child, from_peer) in released {
                        work.push((child, Err(from_peer)));
                    }
                }
                Err(e) => {
                    invalid.insert(id);
                    refuse(received, from, e.into());
                }
            }
        }
        // Only its own orphans evicted make this peer's round incomplete.
        received.room_refused |= orphans.evictions_of(&own) != evictions;
        order
    }

    /// Takes in an event that a sibling node sharing this store (another
    /// tab) has stored: applied without writing it again or re-checking its
    /// signature (see [`Event::from_own_store`]).
    pub fn load_stored(&self, bytes: &[u8]) -> Result<Insertion, NodeError> {
        self.load_stored_event(bytes)
            .map(|(_, insertion)| insertion)
    }

    /// [`load_stored`](Self::load_stored), also giving the event taken in.
    fn load_stored_event(&self, bytes: &[u8]) -> Result<(Event, Insertion), NodeError> {
        let mut replica = self.replica.borrow_mut();
        let event = Event::from_own_store(bytes)
            .and_then(|event| replica.admit(event))
            .map_err(Error::from)?;
        let insertion = replica.insert(event.clone()).map_err(Error::from)?;
        Ok((event, insertion))
    }

    /// [`load_stored`](Self::load_stored) for a sibling's whole
    /// announcement (thousands of events during its catch-up), pausing
    /// ([`Store::pause`]) between slices as an open does: taken in one
    /// task, a batch of 4,096 held the other tab's page for as long as the
    /// batch cost. An event that does not load is counted and skipped (the
    /// sibling stored it; this tab reads it from the store when it next
    /// opens).
    pub async fn load_stored_all(&self, announced: &[Vec<u8>]) -> StoredTaken {
        let mut taken = StoredTaken::default();
        let mut slice = 0;
        for bytes in announced {
            if slice >= SIBLING_SLICE {
                self.store.pause().await;
                slice = 0;
            }
            let Ok((event, insertion)) = self.load_stored_event(bytes) else {
                taken.failed += 1;
                slice += 1;
                continue;
            };
            slice += open_weight(&event);
            if !insertion.applied.is_empty() {
                taken.applied += insertion.applied.len();
                taken.new.push(event);
            }
        }
        taken
    }

    /// Takes in every stored event not applied here yet: what sibling
    /// nodes sharing this store (other tabs) wrote while this node could
    /// not keep up with their announcements (a browser drops its queue of
    /// announcements past a bound and calls this instead). Read and
    /// inserted as an open does — parents first, pausing between slices —
    /// but only events this node lacks are decoded. A record that does not
    /// load is counted and skipped, as at open.
    pub async fn take_in_store(&self) -> Result<StoredTaken, NodeError> {
        let loaded = self.store.load_events().await?;
        let unverified: FxHashSet<EventId> = loaded.unverified.into_iter().collect();
        let mut taken = StoredTaken {
            failed: loaded.corrupt.len(),
            read_bytes: loaded.events.iter().map(|(_, b)| b.len()).sum(),
            ..StoredTaken::default()
        };
        let mut events = Vec::new();
        let mut slice = 0;
        for (id, bytes) in loaded.events {
            let known = {
                let replica = self.replica.borrow();
                replica.log().contains(&id) || replica.log().is_pending(&id)
            };
            if known {
                continue;
            }
            if slice >= SIBLING_SLICE {
                self.store.pause().await;
                slice = 0;
            }
            match loaded_event(id, bytes, unverified.contains(&id))
                .and_then(|event| self.replica.borrow().admit(event))
            {
                Ok(event) => {
                    slice += open_weight(&event);
                    events.push(event);
                }
                Err(_) => {
                    slice += 1;
                    taken.failed += 1;
                }
            }
        }
        if !in_causal_order(&events) {
            events = causal_order(events);
        }
        let mut slice = 0;
        for event in events {
            if slice >= SIBLING_SLICE {
                self.store.pause().await;
                slice = 0;
            }
            slice += open_weight(&event);
            match self.replica.borrow_mut().insert(event.clone()) {
                Ok(insertion) if !insertion.applied.is_empty() => {
                    taken.applied += insertion.applied.len();
                    taken.new.push(event);
                }
                Ok(_) => {}
                Err(_) => taken.failed += 1,
            }
        }
        Ok(taken)
    }
}

/// Work between two pauses of [`Node::load_stored_all`], in payments'
/// worth: a quarter of the open's slice, since one event here is decoded,
/// admitted and inserted at once (the open's two passes), and the tab
/// shares the cores with the tab catching up and its workers. With the
/// open's slice, a second tab's longest task during a 100,000-event
/// catch-up on this 2-core machine was 234–259 ms (BENCHMARKS.md, "A
/// second tab during a catch-up").
const SIBLING_SLICE: usize = OPEN_SLICE / 4;

/// What [`Node::load_stored_all`] took in of a sibling's announcement, or
/// [`Node::take_in_store`] of the store.
#[derive(Debug, Default)]
pub struct StoredTaken {
    /// Events applied: those announced, and pending ones they released.
    pub applied: usize,
    /// The announced events that were new here and applied, in order: for
    /// this tab's peers.
    pub new: Vec<Event>,
    /// Announced events that did not load (undecodable, not admitted, or
    /// refused by the log).
    pub failed: usize,
    /// Bytes of events read from the store ([`Node::take_in_store`]; 0
    /// for an announcement).
    pub read_bytes: usize,
}

/// Records a refusal: by batch index, or against the peer that sent the
/// event earlier as an orphan.
fn refuse(received: &mut Received, from: Result<usize, String>, error: Error) {
    match from {
        Ok(at) => received.refused.push((at, error)),
        Err(peer) => received.invalid_orphans.push((peer, error)),
    }
}

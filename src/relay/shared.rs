//! Events another relay instance stored (issue #16): when relays share a
//! log (the server's JetStream streams), each instance takes what the
//! others stored from it, checks it as it checks a client's events, keeps
//! it in its own storage and pushes it to its clients.
//!
//! The shared log is storage, not trust: an event from it is decoded, its
//! signature and admission checked and validated against its parents
//! (held, or earlier in the batch) like any other. One that fails is
//! skipped and counted — there is no sender to drop — and one whose parent
//! is missing is skipped too: every instance appends parents before
//! children, so in the log a parent always comes first, and a missing one
//! means a damaged log, not an early arrival. No quota or rate applies:
//! the instance that appended the event applied them, and the log's own
//! limits bound it.

use super::{RelayNetwork, RelayStorage, Relayed, gather_parents, validate_against};
use crate::event::validate::validate_form;
use crate::event::{Event, EventId};
use crate::log::causal_order;
use crate::sync::Ingested;
use rustc_hash::{FxHashMap, FxHashSet};
use std::hash::Hash;

/// What taking events from the shared log did, beyond what [`Relayed`] says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FromShared {
    /// New events stored here.
    pub stored: usize,
    /// Events held already (this instance appended them, or took them before).
    pub held: usize,
    /// Events that failed a check, or whose parent is missing: not stored.
    pub skipped: usize,
}

impl<P: Ord + Clone + Hash> RelayNetwork<P> {
    /// Takes `events` (encodings, in the shared log's order) that another
    /// instance stored: stores the valid new ones in `storage` (one
    /// write) and returns the frames that push them to this network's
    /// clients. See the [module docs](self).
    ///
    /// An orphan a client of this instance sent, waiting for a parent that
    /// arrives this way, is released and taken as from that client (`now_ms`:
    /// the caller's clock, for the author's rate), as if the parent had
    /// come from a client.
    pub fn stored_elsewhere<S: RelayStorage>(
        &mut self,
        events: &[Vec<u8>],
        storage: &mut S,
        now_ms: u64,
    ) -> (Relayed<P>, FromShared) {
        let mut out = Relayed::default();
        let mut report = FromShared::default();
        let taken = self.take_shared(events, storage, &mut report);
        if let Ok((_, released)) = &taken {
            // Each released orphan goes through its sender's path: checked,
            // stored, acknowledged to it and pushed to the others.
            for (child, from) in released.clone() {
                let batch = [crate::sync::Carried::of_event(&child)];
                match self.ingest(&from, &batch, storage, now_ms, &mut out) {
                    Ok(Some((ixs, refused))) => match storage.view() {
                        Ok(view) => self.answer(&from, &view, &ixs, refused, now_ms, &mut out),
                        Err(e) => out.store_error = Some(e.to_string()),
                    },
                    Ok(None) => {}
                    Err(e) => out.store_error = Some(e.to_string()),
                }
            }
        }
        match taken.map(|(applied, _)| applied) {
            Ok(applied) if applied.is_empty() => {}
            Ok(applied) => {
                out.stored = applied.len();
                match storage.view() {
                    Ok(view) => {
                        let orphans = &self.orphans;
                        out.send.extend(self.peers.after_ingest_with(
                            None,
                            &view,
                            &Ingested {
                                applied: &applied,
                                missing: &[],
                                waiting: &|id| orphans.contains(id),
                                refused_room: false,
                                lost: false,
                            },
                        ));
                    }
                    Err(e) => out.store_error = Some(e.to_string()),
                }
            }
            Err(e) => out.store_error = Some(e.to_string()),
        }
        (out, report)
    }

    /// Stores the valid new `events`; returns their indexes and the
    /// orphans (with their senders) they released.
    #[allow(clippy::type_complexity)]
    fn take_shared<S: RelayStorage>(
        &mut self,
        events: &[Vec<u8>],
        storage: &mut S,
        report: &mut FromShared,
    ) -> Result<(Vec<crate::log::EventIx>, Vec<(Event, P)>), S::Error> {
        let mut seen = FxHashSet::default();
        let mut candidates = Vec::new();
        for bytes in events {
            let id = EventId::of_bytes(bytes);
            if !seen.insert(id) || storage.contains(&id)? {
                report.held += 1;
                continue;
            }
            match Event::from_own_store(bytes).and_then(|e| validate_form(&e).map(|()| e)) {
                Ok(event) => candidates.push(event),
                Err(_) => report.skipped += 1,
            }
        }
        let verdicts = self.verifier.verify(&candidates);
        let verified: Vec<Event> = candidates
            .into_iter()
            .zip(verdicts)
            .filter_map(|(event, verdict)| {
                let ok = verdict.is_ok() && self.admission.check(&event).is_ok();
                if !ok {
                    report.skipped += 1;
                }
                ok.then_some(event)
            })
            .collect();
        let mut admitted: FxHashMap<EventId, Event> = FxHashMap::default();
        let mut order = Vec::new();
        for event in causal_order(verified) {
            let (parents, missing) = gather_parents(&event, &admitted, storage)?;
            if !missing.is_empty() || validate_against(&event, &parents).is_err() {
                report.skipped += 1;
                continue;
            }
            order.push(event.id());
            admitted.insert(event.id(), event);
        }
        if order.is_empty() {
            return Ok((Vec::new(), Vec::new()));
        }
        let events: Vec<&Event> = order.iter().map(|id| &admitted[id]).collect();
        let ixs = storage.append(&events)?;
        report.stored += ixs.len();
        let mut released = Vec::new();
        for id in &order {
            released.extend(
                self.orphans
                    .arrived(id, |p| storage.contains(p).unwrap_or(false)),
            );
        }
        Ok((ixs, released))
    }
}

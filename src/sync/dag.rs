//! What a sync session reads of the events a node holds: a [`Dag`].
//!
//! A page's node answers from its in-memory [`Log`]; a relay (issue #14)
//! answers from its store, holding nothing per network in memory. Both
//! number their events in insertion order ([`EventIx`]: parents before
//! children), which is what the session's walks and its "sent" bits rely
//! on.
//!
//! The methods cannot fail: an implementation over storage that can
//! (a disk) answers as if the event were unknown and reports the failure
//! on its own side, so a session never acts on a half-read event, and its
//! caller drops the link.

use crate::event::EventId;
use crate::log::{EventIx, Log};
use rustc_hash::FxHashMap;
use std::borrow::Cow;

/// The events a node holds, as a sync session reads them. See the
/// [module docs](self).
pub trait Dag {
    /// The index of the event `id`, if held.
    fn ix(&self, id: &EventId) -> Option<EventIx>;
    /// Whether the event `id` is held.
    fn contains(&self, id: &EventId) -> bool {
        self.ix(id).is_some()
    }
    /// The indexes of the heads (events no held event names as a parent).
    fn head_ixs(&self) -> Vec<EventIx>;
    /// The id of the event at `ix` (held).
    fn id(&self, ix: EventIx) -> EventId;
    /// The indexes of the parents of the event at `ix`.
    fn parents(&self, ix: EventIx) -> Cow<'_, [EventIx]>;
    /// The exact bytes of the event at `ix`. Empty only when reading
    /// them failed (no event is empty): a session then sends nothing of
    /// it and leaves it queued (`Session::flush`).
    fn bytes(&self, ix: EventIx) -> Cow<'_, [u8]>;
    /// The length of the event at `ix`, in bytes.
    fn len_of(&self, ix: EventIx) -> usize {
        self.bytes(ix).len()
    }
    /// Events that are `from` or their ancestors but neither `known` nor
    /// ancestors of `known`, oldest first, giving up (`None`) after
    /// visiting `max_visits` events. See [`beyond_within`].
    fn beyond_within(
        &self,
        from: &[EventIx],
        known: &[EventIx],
        max_visits: usize,
    ) -> Option<Vec<EventIx>> {
        beyond_within(self, from, known, max_visits)
    }
}

/// Events that are `from` or their ancestors but neither `known` nor
/// ancestors of `known`, oldest first: what a peer whose events include
/// `known` may lack. Walks back from both sides at once (an index is
/// always above its parents' indexes) and stops as soon as every event
/// still to visit is known, so the cost follows the difference, not the
/// history; gives up (`None`) after `max_visits` visits, so what a walk
/// may cost is bounded by the caller (sync charges it to the peer that
/// asked).
pub fn beyond_within<D: Dag + ?Sized>(
    dag: &D,
    from: &[EventIx],
    known: &[EventIx],
    max_visits: usize,
) -> Option<Vec<EventIx>> {
    use std::collections::BinaryHeap;
    // ix → is it known (an ancestor-or-self of `known`)?
    let mut seen: FxHashMap<EventIx, bool> = FxHashMap::default();
    let mut queue = BinaryHeap::new();
    let mut unknown_queued = 0usize;
    fn visit(
        ix: EventIx,
        known: bool,
        seen: &mut FxHashMap<EventIx, bool>,
        queue: &mut BinaryHeap<EventIx>,
        unknown_queued: &mut usize,
    ) {
        match seen.get_mut(&ix) {
            None => {
                seen.insert(ix, known);
                queue.push(ix);
                if !known {
                    *unknown_queued += 1;
                }
            }
            Some(flag) if known && !*flag => {
                *flag = true;
                *unknown_queued -= 1;
            }
            Some(_) => {}
        }
    }
    for &ix in known {
        visit(ix, true, &mut seen, &mut queue, &mut unknown_queued);
    }
    for &ix in from {
        visit(ix, false, &mut seen, &mut queue, &mut unknown_queued);
    }
    let mut out = Vec::new();
    let mut visits = 0usize;
    while unknown_queued > 0 {
        let Some(ix) = queue.pop() else { break };
        visits += 1;
        if visits > max_visits {
            return None;
        }
        let known = seen[&ix];
        if !known {
            unknown_queued -= 1;
            out.push(ix);
        }
        for &parent in dag.parents(ix).iter() {
            visit(parent, known, &mut seen, &mut queue, &mut unknown_queued);
        }
    }
    out.reverse();
    Some(out)
}

impl Dag for Log {
    fn ix(&self, id: &EventId) -> Option<EventIx> {
        Log::ix(self, id)
    }
    fn contains(&self, id: &EventId) -> bool {
        Log::contains(self, id)
    }
    fn head_ixs(&self) -> Vec<EventIx> {
        // Callers order them by position.
        self.heads_unordered()
            .filter_map(|id| Log::ix(self, id))
            .collect()
    }
    fn id(&self, ix: EventIx) -> EventId {
        self.entry(ix).event().id()
    }
    fn parents(&self, ix: EventIx) -> Cow<'_, [EventIx]> {
        Cow::Borrowed(self.entry(ix).parents())
    }
    fn bytes(&self, ix: EventIx) -> Cow<'_, [u8]> {
        Cow::Borrowed(self.entry(ix).event().bytes())
    }
    fn len_of(&self, ix: EventIx) -> usize {
        self.entry(ix).event().bytes().len()
    }
}

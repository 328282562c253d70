//! Which of this node's own events some peer is known to hold.
//!
//! A person working offline, or with nobody linked, wants to know how many
//! changes made here wait to be sent ([`Node::unconfirmed`]). An event is
//! confirmed once a peer or the relay is known to hold it or an event after
//! it ([`Session::held`]: the heads it announced, what it acknowledged,
//! what it held when last met). A node stores an event only after its
//! parents, so a peer that holds an event holds its ancestors: one walk
//! down from each newly held event marks everything it confirms, and stops
//! at what was marked before, so all the walks of a session cost one pass
//! over the log.
//!
//! The most recent held events (at most [`MAX_TOPS`]) are kept in the
//! store, so that after a reload without any link the count is still
//! right. A peer that lies about what it holds can make changes look sent;
//! nothing but this count relies on it.
//!
//! [`Node::unconfirmed`]: crate::node::Node::unconfirmed
//! [`Session::held`]: crate::sync::Session::held

use crate::event::{EventId, PublicKey};
use crate::log::{EventIx, Log};

/// Held events kept in the store, the most recent first; a store whose
/// peers hold many concurrent branches keeps the latest and counts some
/// older changes as waiting until a peer announces them again.
pub const MAX_TOPS: usize = 64;

/// Own events known to be held elsewhere, as marks on the log's indexes.
#[derive(Debug, Default)]
pub struct Confirmed {
    /// One bit per log index: held by some peer.
    held: Vec<u64>,
    /// Held events with no held event after them (at most [`MAX_TOPS`]).
    tops: Vec<EventIx>,
    /// Own events became confirmed since [`take_changed`](Self::take_changed).
    changed: bool,
}

impl Confirmed {
    /// Marks held what `tops` (as kept in the store) and their ancestors
    /// are; ids the log does not hold are left out.
    pub fn from_tops(log: &Log, tops: &[EventId]) -> Confirmed {
        let mut confirmed = Confirmed::default();
        confirmed.hold(log, tops, None);
        confirmed
    }

    fn is_held(&self, ix: EventIx) -> bool {
        let ix = ix as usize;
        self.held
            .get(ix / 64)
            .is_some_and(|word| word & (1 << (ix % 64)) != 0)
    }

    fn mark(&mut self, ix: EventIx) {
        let ix = ix as usize;
        if self.held.len() <= ix / 64 {
            self.held.resize(ix / 64 + 1, 0);
        }
        self.held[ix / 64] |= 1 << (ix % 64);
    }

    /// A peer holds `ids` and their ancestors. Ids the log does not hold
    /// (the peer is ahead) are left out: they count once they arrive and
    /// the peer's session names them again. Own events (by `me`) newly
    /// confirmed set [`take_changed`](Self::take_changed).
    pub fn hold(&mut self, log: &Log, ids: &[EventId], me: Option<&PublicKey>) {
        let mut below = Vec::new();
        for id in ids {
            let Some(ix) = log.ix(id) else { continue };
            if self.is_held(ix) {
                continue;
            }
            self.mark(ix);
            self.tops.push(ix);
            below.push(ix);
            while let Some(ix) = below.pop() {
                let entry = log.entry(ix);
                if me.is_some_and(|me| entry.event().author() == *me) {
                    self.changed = true;
                }
                for &parent in entry.parents() {
                    if self.is_held(parent) {
                        // Held already: a top before, not any more.
                        self.tops.retain(|&top| top != parent);
                    } else {
                        self.mark(parent);
                        below.push(parent);
                    }
                }
            }
        }
        if self.tops.len() > MAX_TOPS {
            // Indexes follow the log's order: the highest are the latest.
            self.tops.sort_unstable_by(|a, b| b.cmp(a));
            self.tops.truncate(MAX_TOPS);
        }
    }

    /// Events by `me` that no peer is known to hold.
    pub fn unconfirmed(&self, log: &Log, me: &PublicKey) -> usize {
        log.events_by(me)
            .iter()
            .filter(|&&ix| !self.is_held(ix))
            .count()
    }

    /// The held events to keep in the store, if own events became
    /// confirmed since last taken.
    pub fn take_changed(&mut self, log: &Log) -> Option<Vec<EventId>> {
        std::mem::take(&mut self.changed).then(|| {
            self.tops
                .iter()
                .map(|&ix| log.entry(ix).event().id())
                .collect()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Identity;
    use crate::policy::Policy;
    use crate::replica::Replica;
    use crate::testing::{id, key, pay};

    /// A log of `me` and `them` writing in turn, each event after the last.
    fn chain(me: &Identity, them: &Identity, n: usize) -> (Replica, Vec<EventId>) {
        let mut replica = Replica::new(Policy::new(me.public_key()));
        let mut ids = Vec::new();
        for i in 0..n {
            let who = if i % 2 == 0 { me } else { them };
            let draft = replica.draft(&who.public_key(), i as u64, pay(key(9), 1, "EUR"));
            let event = who.sign(draft.unwrap());
            ids.push(event.id());
            replica.insert(event).unwrap();
        }
        (replica, ids)
    }

    #[test]
    fn a_held_event_confirms_its_ancestors_and_nothing_after_it() {
        let (me, them) = (id(1), id(2));
        let (replica, ids) = chain(&me, &them, 6);
        let log = replica.log();
        let mut confirmed = Confirmed::default();
        assert_eq!(confirmed.unconfirmed(log, &me.public_key()), 3);
        // The fourth event (theirs) is held: mine before it (1st, 3rd) are.
        confirmed.hold(log, &ids[3..4], Some(&me.public_key()));
        assert_eq!(confirmed.unconfirmed(log, &me.public_key()), 1);
        assert!(confirmed.take_changed(log).is_some());
        // Nothing new: no change to keep.
        confirmed.hold(log, &ids[..2], Some(&me.public_key()));
        assert_eq!(confirmed.take_changed(log), None);
    }

    #[test]
    fn only_the_latest_held_events_are_kept_and_they_restore_the_count() {
        let (me, them) = (id(1), id(2));
        let (replica, ids) = chain(&me, &them, 8);
        let log = replica.log();
        let mut confirmed = Confirmed::default();
        confirmed.hold(log, &ids[2..3], Some(&me.public_key()));
        confirmed.hold(log, &ids[5..6], Some(&me.public_key()));
        // The later top replaced the earlier one under it.
        let kept = confirmed.take_changed(log).unwrap();
        assert_eq!(kept, vec![ids[5]]);
        let restored = Confirmed::from_tops(log, &kept);
        assert_eq!(restored.unconfirmed(log, &me.public_key()), 1);
        // Ids the log lacks (a peer ahead) are left out.
        let (_, other) = chain(&them, &me, 1);
        let unknown = other[0];
        let restored = Confirmed::from_tops(log, &[unknown]);
        assert_eq!(restored.unconfirmed(log, &me.public_key()), 4);
    }
}

//! Which of this node's own events some peer is known to hold, and the
//! node's side of it: the count, taking what a session learned, keeping
//! the latest in the store.
//!
//! A person working offline, or with nobody linked, wants to know how many
//! changes made here wait to be sent ([`Node::unconfirmed`]). An event is
//! confirmed once a peer or the relay is known to hold it or an event after
//! it ([`Session::held_all`]: the heads it announced, what it acknowledged,
//! what it held when last met). A node stores an event only after its
//! parents, so a peer that holds an event holds its ancestors: one walk
//! down from each newly held event marks everything it confirms, and stops
//! at what was marked before, so all the walks of a session cost one pass
//! over the log.
//!
//! What is kept in the store is the latest confirmed events of this
//! identity ([`own_tops`](Confirmed::own_tops)): its events follow one
//! another (each names the one before as a parent), so that is usually one
//! id, and marking its ancestors after a reload gives the count again. A
//! peer that lies about what it holds can make changes look sent; nothing
//! but this count relies on it.
//!
//! [`Node::unconfirmed`]: crate::node::Node::unconfirmed
//! [`Session::held_all`]: crate::sync::Session::held_all

use super::{CONFIRMED, Node};
use crate::event::{EventId, PublicKey};
use crate::log::{EventIx, Log};
use crate::store::{Store, StoreError};
use crate::sync::{has_bit, set_bit};

/// The record of the latest confirmed own events, as read from the store.
#[derive(Debug)]
pub(super) enum Kept {
    /// The kept ids (none if nothing is kept yet).
    Tops(Vec<EventId>),
    /// The record does not decode. It is not trusted (older changes count
    /// as waiting until a peer names them again) and is written over at
    /// the next keep; the open reports it.
    Damaged(postcard::Error),
}

impl Kept {
    /// The kept ids; none if the record is damaged.
    fn into_tops(self) -> Vec<EventId> {
        match self {
            Kept::Tops(tops) => tops,
            Kept::Damaged(_) => Vec::new(),
        }
    }
}

/// Reads the record of the latest confirmed own events.
pub(super) async fn kept_tops<S: Store>(store: &S) -> Result<Kept, StoreError> {
    Ok(match store.get_meta(CONFIRMED).await? {
        Some(bytes) => postcard::from_bytes(&bytes).map_or_else(Kept::Damaged, Kept::Tops),
        None => Kept::Tops(Vec::new()),
    })
}

/// What the open reports of a damaged record of confirmed events.
pub(super) fn damaged_report(error: &postcard::Error) -> String {
    format!(
        "the record of changes peers hold ({CONFIRMED}) is damaged ({error}): \
         older changes made here count as waiting until a peer names them"
    )
}

/// Confirmed own events kept in the store at most: more than one only if
/// the identity's events forked (two tabs writing at once).
pub const MAX_OWN_TOPS: usize = 8;

/// Events known to be held elsewhere, as marks on the log's indexes.
#[derive(Debug)]
pub struct Confirmed {
    /// Whose events count: this node's identity.
    me: PublicKey,
    /// One bit per log index: held by some peer.
    held: Vec<u64>,
    /// Of the marked events, how many are `me`'s.
    own_held: usize,
    /// Own events became confirmed since [`take_changed`](Self::take_changed).
    changed: bool,
    /// What was last kept in the store and not yet told to other tabs
    /// ([`Node::take_kept_confirmations`]).
    kept: Option<Vec<EventId>>,
}

impl Confirmed {
    /// Nothing of `me`'s confirmed yet.
    pub fn new(me: PublicKey) -> Confirmed {
        Confirmed {
            me,
            held: Vec::new(),
            own_held: 0,
            changed: false,
            kept: None,
        }
    }

    /// Marks held what `tops` (as kept in the store) and their ancestors
    /// are; ids the log does not hold are left out.
    pub fn from_tops(log: &Log, me: PublicKey, tops: &[EventId]) -> Confirmed {
        let mut confirmed = Confirmed::new(me);
        confirmed.hold(log, tops);
        confirmed.changed = false;
        confirmed
    }

    fn is_held(&self, ix: EventIx) -> bool {
        has_bit(&self.held, ix)
    }

    fn mark(&mut self, ix: EventIx) {
        set_bit(&mut self.held, ix);
    }

    /// A peer holds `ids` and their ancestors. Ids the log does not hold
    /// (the peer is ahead) are left out: they count once they arrive and
    /// are named again. Own events newly confirmed set
    /// [`take_changed`](Self::take_changed).
    pub fn hold<'a>(&mut self, log: &Log, ids: impl IntoIterator<Item = &'a EventId>) {
        let mut below = Vec::new();
        for id in ids {
            let Some(ix) = log.ix(id) else { continue };
            if self.is_held(ix) {
                continue;
            }
            self.mark(ix);
            below.push(ix);
            while let Some(ix) = below.pop() {
                let entry = log.entry(ix);
                if entry.event().author() == self.me {
                    self.own_held += 1;
                    self.changed = true;
                }
                for &parent in entry.parents() {
                    if !self.is_held(parent) {
                        self.mark(parent);
                        below.push(parent);
                    }
                }
            }
        }
    }

    /// Own events that no peer is known to hold.
    pub fn unconfirmed(&self, log: &Log) -> usize {
        log.events_by(&self.me).len() - self.own_held
    }

    /// Marks held what another tab of this store kept as confirmed
    /// (`tops` and their ancestors); says whether more own events count as
    /// sent now. That tab kept them already: this alone asks no keep here.
    pub fn hold_kept_elsewhere(&mut self, log: &Log, tops: &[EventId]) -> bool {
        let pending = self.take_changed();
        self.hold(log, tops);
        let newly = self.take_changed();
        self.changed = pending;
        newly
    }

    /// Own events no peer is known to hold, latest first, at most `limit`.
    pub fn unconfirmed_ids(&self, log: &Log, limit: usize) -> Vec<EventId> {
        let own = log.events_by(&self.me);
        own.iter()
            .rev()
            .filter(|&&ix| !self.is_held(ix))
            .take(limit)
            .map(|&ix| log.entry(ix).event().id())
            .collect()
    }

    /// Asks for the next [`take_changed`](Self::take_changed) to say yes:
    /// what was confirmed is still to be kept.
    pub fn mark_changed(&mut self) {
        self.changed = true;
    }

    /// Whether own events became confirmed since this was last called.
    pub fn take_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    /// The latest confirmed own events: those no confirmed own event names
    /// as a parent (at most [`MAX_OWN_TOPS`], latest first).
    pub fn own_tops(&self, log: &Log) -> Vec<EventId> {
        let me = self.me;
        let own = log.events_by(&me);
        let mut tops: Vec<EventIx> = Vec::new();
        let mut below: Vec<EventIx> = Vec::new();
        // Latest first: an own event is a top unless a later confirmed own
        // event names it (each names the one before it).
        for &ix in own.iter().rev().filter(|&&ix| self.is_held(ix)) {
            if !below.contains(&ix) {
                tops.push(ix);
                if tops.len() == MAX_OWN_TOPS {
                    break;
                }
            }
            below.retain(|b| *b != ix);
            let parents = log.entry(ix).parents().iter();
            below.extend(parents.filter(|&&p| log.entry(p).event().author() == me));
        }
        tops.iter().map(|&ix| log.entry(ix).event().id()).collect()
    }
}

impl<S: Store> Node<S> {
    /// Changes made with this node's identity (in this tab or another of
    /// the same store) that no peer or relay is known to hold yet: what
    /// waits to be sent while working offline or alone. A peer is known to
    /// hold what it announced or acknowledged, in this session or when last
    /// met; a lying peer can make changes look sent.
    pub fn unconfirmed(&self) -> usize {
        let replica = self.replica.borrow();
        self.confirmed.borrow().unconfirmed(replica.log())
    }

    /// The changes [`unconfirmed`](Self::unconfirmed) counts, latest
    /// first, at most `limit`: which of them a page marks as waiting.
    pub fn unconfirmed_ids(&self, limit: usize) -> Vec<EventId> {
        let replica = self.replica.borrow();
        self.confirmed
            .borrow()
            .unconfirmed_ids(replica.log(), limit)
    }

    /// Changes made with this identity that this node holds (in this tab
    /// or another, sent or not): what replacing the identity here would
    /// leave signed by a key this browser no longer holds.
    pub fn made(&self) -> usize {
        let replica = self.replica.borrow();
        replica.log().events_by(&self.identity.public_key()).len()
    }

    /// What this node last kept in the store as its latest confirmed own
    /// events, once: for a page to tell its other tabs
    /// ([`hold_kept_elsewhere`](Self::hold_kept_elsewhere) there), whose
    /// count would otherwise learn of it only at a reload.
    pub fn take_kept_confirmations(&self) -> Option<Vec<EventId>> {
        self.confirmed.borrow_mut().kept.take()
    }

    /// Counts as sent what another tab of this store kept as confirmed
    /// (its [`take_kept_confirmations`](Self::take_kept_confirmations)):
    /// `tops` and their ancestors, those this log holds. Says whether the
    /// count of [`unconfirmed`](Self::unconfirmed) changes. A tab that
    /// lies can only make changes look sent, as a lying peer can.
    pub fn hold_kept_elsewhere(&self, tops: &[EventId]) -> bool {
        let replica = self.replica.borrow();
        let tops = &tops[..tops.len().min(MAX_OWN_TOPS)];
        self.confirmed
            .borrow_mut()
            .hold_kept_elsewhere(replica.log(), tops)
    }

    /// Counts what `peer` is known to hold as confirmed, if that changed
    /// or events were just `stored` (a head it announced may have arrived).
    /// Once nothing waits, the latest confirmed own events are kept in the
    /// store; while some still wait, only when a link ends
    /// ([`keep_confirmed`](Self::keep_confirmed)): a write per
    /// acknowledgement would double a catch-up's transactions.
    pub(super) async fn confirm_held(&self, peer: &str, stored: bool) {
        let settled = {
            let mut peers = self.peers.borrow_mut();
            let Some(session) = peers.session_mut(&peer.to_owned()) else {
                return;
            };
            if !session.take_held_news() && !stored {
                return;
            }
            let replica = self.replica.borrow();
            let mut confirmed = self.confirmed.borrow_mut();
            confirmed.hold(replica.log(), session.held_all());
            confirmed.unconfirmed(replica.log()) == 0
        };
        if settled {
            self.keep_confirmed().await;
        }
    }

    /// Keeps the latest confirmed own events in the store, if more were
    /// confirmed since last kept, merged with what another tab kept.
    pub(super) async fn keep_confirmed(&self) {
        if !self.confirmed.borrow_mut().take_changed() {
            return;
        }
        let stored = match kept_tops(&self.store).await {
            Ok(kept) => kept.into_tops(),
            Err(_) => {
                // Unread, the record may hold another tab's confirmations:
                // writing this tab's alone would lose them. Kept later
                // (the next time own events are confirmed or a link ends).
                self.confirmed.borrow_mut().mark_changed();
                return;
            }
        };
        let tops = {
            let replica = self.replica.borrow();
            let mut confirmed = self.confirmed.borrow_mut();
            // Another tab's confirmations count here too from now on.
            confirmed.hold(replica.log(), &stored);
            confirmed.take_changed();
            let mut tops = confirmed.own_tops(replica.log());
            // What this tab has not loaded yet is kept as the other tab left it.
            let unknown = stored.iter().filter(|id| !replica.log().contains(id));
            tops.extend(unknown.take(MAX_OWN_TOPS.saturating_sub(tops.len())));
            tops
        };
        // Best effort: a failed write only makes those changes count as
        // waiting after a reload, until a peer names them again.
        let written = self
            .store
            .put_meta(CONFIRMED, &crate::encode::to_bytes(&tops))
            .await;
        if written.is_ok() {
            self.confirmed.borrow_mut().kept = Some(tops);
        }
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
        let mut confirmed = Confirmed::new(me.public_key());
        assert_eq!(confirmed.unconfirmed(log), 3);
        // The fourth event (theirs) is held: mine before it (1st, 3rd) are.
        confirmed.hold(log, &ids[3..4]);
        assert_eq!(confirmed.unconfirmed(log), 1);
        assert!(confirmed.take_changed());
        // Nothing new: no change to keep.
        confirmed.hold(log, &ids[..2]);
        assert!(!confirmed.take_changed());
    }

    #[test]
    fn the_latest_confirmed_own_event_is_kept_and_restores_the_count() {
        let (me, them) = (id(1), id(2));
        let (replica, ids) = chain(&me, &them, 8);
        let log = replica.log();
        let mut confirmed = Confirmed::new(me.public_key());
        confirmed.hold(log, &ids[2..3]);
        confirmed.hold(log, &ids[5..6]);
        // Mine are 0, 2, 4, 6: the latest confirmed is 4.
        let kept = confirmed.own_tops(log);
        assert_eq!(kept, vec![ids[4]]);
        let restored = Confirmed::from_tops(log, me.public_key(), &kept);
        assert_eq!(restored.unconfirmed(log), 1);
        // Ids the log lacks (a peer ahead) are left out.
        let (_, other) = chain(&them, &me, 1);
        let restored = Confirmed::from_tops(log, me.public_key(), &other);
        assert_eq!(restored.unconfirmed(log), 4);
    }

    #[test]
    fn every_own_event_of_a_wide_log_is_counted_and_the_latest_kept() {
        // Every event names all the heads (up to the draft's limit): each
        // held event is reached once, whatever the order it is held in.
        let authors: Vec<Identity> = (1..=20).map(id).collect();
        let mut replica = Replica::new(Policy::new(authors[0].public_key()));
        let mut ids = Vec::new();
        for round in 0..10u64 {
            for who in &authors {
                let draft = replica.draft(&who.public_key(), round, pay(key(99), 1, "EUR"));
                let event = who.sign(draft.unwrap());
                ids.push(event.id());
                replica.insert(event).unwrap();
            }
        }
        let log = replica.log();
        let me = authors[0].public_key();
        let mut confirmed = Confirmed::new(me);
        for id in &ids {
            confirmed.hold(log, [id]);
        }
        assert_eq!(confirmed.unconfirmed(log), 0);
        assert_eq!(confirmed.own_tops(log), vec![ids[180]]);
    }
}

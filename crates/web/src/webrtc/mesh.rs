//! Which links a page keeps and when it offers, answers and repairs them:
//! [`Membership`](trustfold::sync::Membership) for the link limit, the
//! connection budget (a browser allows a page only so many peer
//! connections), per-member limits on offers, answers and `busy`, and ICE
//! restarts of links whose network failed. See ARCHITECTURE.md, "Rooms of
//! hundreds".

use super::{Inner, Link, MAX_BACKOFF_MS, MAX_MEMBERS, wait};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;
use wasm_bindgen_futures::spawn_local;
use web_sys::{RtcIceConnectionState, WebSocket};

/// An offer not open after this long is given up (the member may have
/// left, or its network refuses): its place goes to another member.
pub const OFFER_TIMEOUT_MS: f64 = 15_000.0;
/// An ask not answered (`nonce` or `busy`) after this long counts as
/// `busy`: a full member says `busy` to one asker once a minute and is
/// silent after, and the asker should not wait for the offer's timeout.
pub(super) const ASK_TIMEOUT_MS: f64 = 3_000.0;
/// Members promised room (a nonce given, the offer not come yet), at most.
const MAX_PROMISED: usize = 16;
/// A page with room left offers one more link every 5 to 15 s
/// ([`Membership::to_fill`](trustfold::sync::Membership::to_fill)).
pub(super) const FILL_EVERY_MS: f64 = 10_000.0;
/// A link whose network stalled (ICE disconnected or failed) is restarted
/// after this long if it has not recovered by itself.
pub(super) const RESTART_AFTER_MS: f64 = 3_000.0;
/// A link not connected again this long after it stalled is given up.
pub(super) const RESTART_TIMEOUT_MS: f64 = 30_000.0;
/// ICE restarts of one link within an hour, at most.
pub const MAX_RESTARTS_PER_HOUR: usize = 6;
/// After a member answers `busy`, another is asked this much later.
pub(super) const BUSY_RETRY_MS: f64 = 1_000.0;
/// Peer connections a page creates at most by default: Chromium allows a
/// page 500 in its lifetime, and a flapping link that is offered again
/// every 30 s spends them in about 4 hours.
pub const DEFAULT_CONNECTION_BUDGET: u32 = 400;
/// Offers to one member within an hour, at most: a link that keeps
/// failing is not offered again and again (other members are). Also the
/// offers one member's may make this page answer with a new connection.
pub const MAX_OFFERS_PER_MEMBER_HOUR: usize = 6;
/// Asks of one member answered within an hour (with a nonce, or `busy`).
pub const MAX_ANSWERS_PER_MEMBER_HOUR: usize = 24;
/// `busy` is said to one member at most once in this long.
pub(super) const BUSY_SAID_MS: f64 = 60_000.0;
/// A page that could offer no link (its budget, or each member's hourly
/// offers, spent) looks again this much later.
pub(super) const DIAL_AGAIN_MS: f64 = 60_000.0;
const HOUR_MS: f64 = 3_600_000.0;

/// What [`Inner::after`] runs.
pub(super) type Later = Box<dyn FnOnce(&Rc<Inner>)>;

/// Counts an attempt on `peer` in `log` if fewer than `max` were made in
/// the last hour; forgets older ones.
pub(super) fn within_hour(log: &RefCell<BTreeMap<u64, Vec<f64>>>, peer: u64, max: usize) -> bool {
    let now = js_sys::Date::now();
    let mut log = log.borrow_mut();
    log.retain(|_, times| {
        times.retain(|t| now - t < HOUR_MS);
        !times.is_empty()
    });
    // Keyed by whoever signals: a hostile server could name endless
    // senders, so past as many as a room has members, new ones are refused.
    if log.len() >= MAX_MEMBERS && !log.contains_key(&peer) {
        return false;
    }
    let times = log.entry(peer).or_default();
    if times.len() >= max {
        return false;
    }
    times.push(now);
    true
}

/// Spends what is left of `peer`'s hourly allowance in `log` (see
/// [`within_hour`]): no more attempts on it until an hour has passed.
pub(super) fn spend_hour(log: &RefCell<BTreeMap<u64, Vec<f64>>>, peer: u64, max: usize) {
    if let Some(times) = log.borrow_mut().get_mut(&peer) {
        times.resize(max.max(times.len()), js_sys::Date::now());
    }
}

/// Whether the network under `pc` is up (ICE connected or completed).
pub(super) fn ice_connected(pc: &web_sys::RtcPeerConnection) -> bool {
    matches!(
        pc.ice_connection_state(),
        RtcIceConnectionState::Connected | RtcIceConnectionState::Completed
    )
}

impl Inner {
    /// Whether the link to `peer` is open.
    pub(super) fn is_open(&self, peer: u64) -> bool {
        self.links.borrow().get(&peer).is_some_and(|l| l.open.get())
    }

    /// Whether `link` is this page's link to `peer` (not one given up
    /// or replaced since).
    pub(super) fn holds(&self, peer: u64, link: &Rc<Link>) -> bool {
        self.links
            .borrow()
            .get(&peer)
            .is_some_and(|l| Rc::ptr_eq(l, link))
    }

    /// Whether this page offered `peer` a link that is not open yet.
    pub(super) fn offer_in_making(&self, peer: u64) -> bool {
        self.links
            .borrow()
            .get(&peer)
            .is_some_and(|l| l.offerer && !l.open.get())
    }

    /// Runs `then` after `ms`, if the transport is still there. One timer
    /// for the delays here: each `async` block is code of its own in the
    /// package.
    pub(super) fn after(self: &Rc<Self>, ms: f64, then: Later) {
        let weak = Rc::downgrade(self);
        spawn_local(async move {
            wait(ms).await;
            if let Some(inner) = weak.upgrade() {
                then(&inner);
            }
        });
    }

    /// Looks for members to offer links to after `ms`.
    fn dial_after(self: &Rc<Self>, ms: f64) {
        self.after(ms, Box::new(|inner| inner.dial()));
    }

    /// A link failed or closed: report it, free its place, and offer a link
    /// to a member known after a backoff.
    pub(super) fn lost(self: &Rc<Self>, peer: u64, link: &Rc<Link>) {
        if !self.holds(peer, link) {
            return;
        }
        self.drop_link(peer);
        if self.members.borrow().contains(&peer) {
            self.mesh.borrow_mut().down(&peer);
        } else {
            self.mesh.borrow_mut().gone(&peer);
        }
        let delay = {
            let mut backoff = self.backoff.borrow_mut();
            let delay = backoff.get(&peer).copied().unwrap_or(1000.0);
            backoff.insert(peer, (delay * 2.0).min(MAX_BACKOFF_MS));
            delay
        };
        self.dial_after(delay);
    }

    /// `peer` holds all the links it keeps: another member is offered a
    /// link after a second (at once, two busy members would be asked in
    /// a loop).
    pub(super) fn busy(self: &Rc<Self>, peer: u64) {
        self.mesh.borrow_mut().down(&peer);
        // A busy member is not a failed offer: it does not count.
        if let Some(times) = self.offered.borrow_mut().get_mut(&peer) {
            times.pop();
        }
        self.dial_after(BUSY_RETRY_MS);
    }

    /// Whether `busy` may be said to `peer` now (once a minute); if so,
    /// notes it.
    pub(super) fn may_say_busy(&self, peer: u64) -> bool {
        let now = js_sys::Date::now();
        let mut said = self.busy_said.borrow_mut();
        said.retain(|_, at| now - *at < BUSY_SAID_MS);
        if said.contains_key(&peer) || said.len() >= MAX_MEMBERS {
            return false;
        }
        said.insert(peer, now);
        true
    }

    /// Whether room may be made for `member`, which holds no link, now
    /// (see [`make_room`](Self::make_room)): within the answers' share of
    /// the budget, and [`Membership::can_make_room_for`]'s bounds.
    ///
    /// [`Membership::can_make_room_for`]: trustfold::sync::Membership::can_make_room_for
    pub(super) fn room_can_be_made(&self, member: u64) -> bool {
        self.answers_left() > 0
            && self
                .mesh
                .borrow_mut()
                .can_make_room_for(&member, js_sys::Date::now() as u64)
    }

    /// Notes that `member`, alone, was given a nonce with no room: room is
    /// made when its verified offer comes ([`take_promise`](Self::take_promise)).
    /// False if [`MAX_PROMISED`] members hold promises already.
    pub(super) fn promise_room(&self, member: u64) -> bool {
        let now = js_sys::Date::now();
        let mut promised = self.promised.borrow_mut();
        promised.retain(|_, at| now - *at < OFFER_TIMEOUT_MS);
        let room = promised.len() < MAX_PROMISED || promised.contains_key(&member);
        if room {
            promised.insert(member, now);
        }
        room
    }

    /// Whether `member` was promised room in the last [`OFFER_TIMEOUT_MS`]
    /// (the promise is used up).
    pub(super) fn take_promise(&self, member: u64) -> bool {
        let now = js_sys::Date::now();
        self.promised
            .borrow_mut()
            .remove(&member)
            .is_some_and(|at| now - at < OFFER_TIMEOUT_MS)
    }

    /// A member that holds no link sent a verified offer and this page is
    /// full: closes the newest link others offered it, so the member can
    /// link here ([`Membership::make_room`](trustfold::sync::Membership::make_room)).
    /// The other end sees its link close and looks for another. Only
    /// after the offer verified: an `ask` the server relays proves
    /// nothing, and must not cut a link.
    pub(super) fn make_room(&self, member: u64) {
        let victim = self
            .mesh
            .borrow_mut()
            .make_room(member, js_sys::Date::now() as u64);
        if let Some(victim) = victim {
            self.rooms_made.set(self.rooms_made.get() + 1);
            self.drop_link(victim);
        }
    }

    /// Peer connections this page may still create.
    pub(super) fn connections_left(&self) -> u32 {
        self.budget.get().left()
    }

    /// Peer connections others' offers may still create (their share of
    /// the budget: [`ConnectionBudget`](trustfold::sync::ConnectionBudget)).
    pub(super) fn answers_left(&self) -> u32 {
        self.budget.get().answers_left()
    }

    /// Whether an offer to `peer` may be made now (the budget, and at most
    /// [`MAX_OFFERS_PER_MEMBER_HOUR`] to one member); if so, counts it.
    pub(super) fn may_offer(&self, peer: u64) -> bool {
        self.connections_left() > 0 && within_hour(&self.offered, peer, MAX_OFFERS_PER_MEMBER_HOUR)
    }

    /// The network under the open link to `peer` stalled. If it has not
    /// recovered after [`RESTART_AFTER_MS`], the side that offered the link
    /// restarts its ICE on the same connection (at most
    /// [`MAX_RESTARTS_PER_HOUR`] times an hour); a link not connected again
    /// by [`RESTART_TIMEOUT_MS`] is given up.
    pub(super) fn stalled(self: &Rc<Self>, peer: u64, link: &Rc<Link>) {
        if link.restarting.get() {
            return;
        }
        link.restarting.set(true);
        let weak_link = Rc::downgrade(link);
        self.after(
            RESTART_AFTER_MS,
            Box::new(move |inner| {
                let Some(link) = weak_link.upgrade() else {
                    return;
                };
                if ice_connected(&link.pc) {
                    link.restarting.set(false);
                    return;
                }
                if link.offerer {
                    if !within_hour(&inner.restarted, peer, MAX_RESTARTS_PER_HOUR) {
                        inner.lost(peer, &link);
                        return;
                    }
                    inner.restarts.set(inner.restarts.get() + 1);
                    inner.offer(peer, false);
                }
                inner.after(
                    RESTART_TIMEOUT_MS - RESTART_AFTER_MS,
                    Box::new(move |inner| {
                        if let Some(link) = weak_link.upgrade()
                            && !ice_connected(&link.pc)
                        {
                            inner.lost(peer, &link);
                        }
                    }),
                );
            }),
        );
    }

    /// Offers a new link to `peer` (see [`offer`](Self::offer)): an ask
    /// not answered in [`ASK_TIMEOUT_MS`] counts as `busy`, and an offer
    /// not open in [`OFFER_TIMEOUT_MS`] is given up. Each timer acts only
    /// on its own attempt: `peer` may be asked again meanwhile.
    fn offer_new(self: &Rc<Self>, peer: u64, alone: bool) {
        let attempt = self.attempts.get() + 1;
        self.attempts.set(attempt);
        self.attempt_of.borrow_mut().insert(peer, attempt);
        self.offer(peer, alone);
        let current = move |inner: &Inner| {
            inner.attempt_of.borrow().get(&peer) == Some(&attempt) && !inner.is_open(peer)
        };
        self.after(
            ASK_TIMEOUT_MS,
            Box::new(move |inner| {
                if current(inner) && inner.asked.borrow_mut().remove(&peer) {
                    inner.busy(peer);
                }
            }),
        );
        self.after(
            OFFER_TIMEOUT_MS,
            Box::new(move |inner| {
                if current(inner) {
                    if inner.offer_in_making(peer) {
                        // It gave a nonce and let the offer's connection
                        // go unanswered: no more offers to it this hour
                        // (each would spend a connection of the budget).
                        spend_hour(&inner.offered, peer, MAX_OFFERS_PER_MEMBER_HOUR);
                    }
                    inner.attempt_of.borrow_mut().remove(&peer);
                    inner.asked.borrow_mut().remove(&peer);
                    inner.links.borrow_mut().remove(&peer);
                    inner.mesh.borrow_mut().down(&peer);
                    inner.dial();
                }
            }),
        );
    }

    /// While this page has room for more links, offers one to a member
    /// known every 5 to 15 s ([`Membership::to_fill`]), so groups of
    /// pages that each hold enough links still find each other. Started
    /// once, when the room is joined; ends when the socket closes.
    pub(super) fn keep_filling(self: &Rc<Self>) {
        if !self.filling.replace(true) {
            self.fill_later();
        }
    }

    fn fill_later(self: &Rc<Self>) {
        let ms = FILL_EVERY_MS * (0.5 + js_sys::Math::random());
        self.after(
            ms,
            Box::new(|inner| {
                if inner.socket.ready_state() != WebSocket::OPEN {
                    return;
                }
                let alone = inner.mesh.borrow().alone();
                let peer = inner
                    .mesh
                    .borrow_mut()
                    .to_fill(|n| (js_sys::Math::random() * n as f64) as usize);
                if let Some(peer) = peer {
                    if inner.budget.get().may_fill() && inner.may_offer(peer) {
                        inner.offer_new(peer, alone);
                    } else {
                        inner.mesh.borrow_mut().down(&peer);
                    }
                }
                inner.fill_later();
            }),
        );
    }

    /// Offers links to members known until half the limit is held (see
    /// [`Membership::to_dial`]); an offer not open in time is given up.
    /// A page that holds no link says so (`alone`): a full member makes
    /// room for it.
    pub(super) fn dial(self: &Rc<Self>) {
        if self.socket.ready_state() != WebSocket::OPEN {
            return;
        }
        let alone = self.mesh.borrow().alone();
        let peers = self
            .mesh
            .borrow_mut()
            .to_dial(|n| (js_sys::Math::random() * n as f64) as usize);
        let mut refused = false;
        for peer in peers {
            if !self.may_offer(peer) {
                // Kept for later: its place stays free for others' offers.
                self.mesh.borrow_mut().down(&peer);
                refused = true;
                continue;
            }
            self.offer_new(peer, alone);
        }
        if refused && !self.dial_again.replace(true) {
            // Nothing else may call `dial` again (no link lost, no member
            // leaving): look again once an hour's offers may have expired.
            // One such timer at a time.
            self.after(
                DIAL_AGAIN_MS,
                Box::new(|inner| {
                    inner.dial_again.set(false);
                    inner.dial();
                }),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_MEMBERS, spend_hour, within_hour};
    use std::cell::RefCell;
    use std::collections::BTreeMap;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// Offers, answers and asks are counted per member who signals. A
    /// hostile server naming endless senders fills the count only up to
    /// the room's member bound; members already counted keep their
    /// allowance, and spend it.
    #[wasm_bindgen_test]
    fn per_member_counts_stop_at_the_member_bound() {
        let log = RefCell::new(BTreeMap::new());
        for peer in 0..MAX_MEMBERS as u64 {
            assert!(within_hour(&log, peer, 2));
        }
        assert!(
            !within_hour(&log, u64::MAX, 2),
            "a new sender past the bound"
        );
        assert_eq!(log.borrow().len(), MAX_MEMBERS);
        assert!(within_hour(&log, 7, 2), "a known member's second attempt");
        assert!(!within_hour(&log, 7, 2), "its hour's allowance spent");
        // A member whose offer went unanswered: its hour is spent at once.
        spend_hour(&log, 8, 2);
        assert!(!within_hour(&log, 8, 2));
        spend_hour(&log, u64::MAX, 2);
        assert!(!log.borrow().contains_key(&u64::MAX), "no entry made");
    }
}

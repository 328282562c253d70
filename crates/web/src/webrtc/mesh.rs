//! Which links a page keeps and when it offers, answers and repairs them:
//! [`Membership`](trustfold::sync::Membership) for the link limit, the
//! connection budget (a browser allows a page only so many peer
//! connections), per-member limits on offers, answers and `busy`, and ICE
//! restarts of links whose network failed. See ARCHITECTURE.md, "Rooms of
//! hundreds".

use super::{Inner, Link, MAX_BACKOFF_MS, MAX_MEMBERS, wait};
use std::cell::RefCell;
use std::rc::Rc;
use trustfold::sync::Allowance;
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
pub(super) const MAX_PROMISED: usize = 16;
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
pub(super) const BUSY_SAID_MS: u64 = 60_000;
/// A page that could offer no link (its budget, or each member's hourly
/// offers, spent) looks again this much later.
pub(super) const DIAL_AGAIN_MS: f64 = 60_000.0;
pub(super) const HOUR_MS: u64 = 3_600_000;

/// What [`Inner::after`] runs.
pub(super) type Later = Box<dyn FnOnce(&Rc<Inner>)>;

/// Uses of something costly, `max` per member in `window_ms`, for as
/// many members as a room holds (a hostile server could name endless
/// senders).
pub(super) fn per_member(max: usize, window_ms: u64) -> RefCell<Allowance<u64>> {
    RefCell::new(Allowance::new(max, window_ms, MAX_MEMBERS))
}

/// The time now, in milliseconds, for the core's bookkeeping.
pub(super) fn now_ms() -> u64 {
    js_sys::Date::now() as u64
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
    pub(super) fn dial_after(self: &Rc<Self>, ms: f64) {
        self.after(ms, Box::new(|inner| inner.dial()));
    }

    /// A link failed or closed: report it, free its place, and offer a link
    /// to a member known after a backoff.
    pub(super) fn lost(self: &Rc<Self>, peer: u64, link: &Rc<Link>) {
        if !self.holds(peer, link) {
            return;
        }
        self.drop_link(peer);
        // A restart's ask still unanswered is moot: its nonce is not used.
        self.asked.borrow_mut().remove(&peer);
        self.free_place(peer);
        if !self.members.borrow().contains(&peer) {
            // Not offered again: no backoff to keep for it.
            self.dial_after(1000.0);
            return;
        }
        let delay = {
            let mut backoff = self.backoff.borrow_mut();
            let delay = backoff.get(&peer).copied().unwrap_or(1000.0);
            backoff.insert(peer, (delay * 2.0).min(MAX_BACKOFF_MS));
            delay
        };
        self.dial_after(delay);
    }

    /// `peer`'s place (a link, an offer, a place kept) is free: a member
    /// still in the room goes back to the passive list, to be offered
    /// again; one the server said left is forgotten (offering to it would
    /// spend an ask's wait on no one).
    pub(super) fn free_place(&self, peer: u64) {
        if self.members.borrow().contains(&peer) {
            self.mesh.borrow_mut().down(&peer);
        } else {
            self.mesh.borrow_mut().gone(&peer);
        }
    }

    /// `peer` holds all the links it keeps: another member is offered a
    /// link after a second (at once, two busy members would be asked in
    /// a loop).
    pub(super) fn busy(self: &Rc<Self>, peer: u64) {
        self.free_place(peer);
        self.dial_after(BUSY_RETRY_MS);
    }

    /// Whether `busy` may be said to `peer` now (once a minute); if so,
    /// notes it.
    pub(super) fn may_say_busy(&self, peer: u64) -> bool {
        self.busy_said.borrow_mut().take(&peer, now_ms())
    }

    /// Whether room may be made for `member`, which holds no link, now
    /// (see [`make_room`](Self::make_room)): within the answers' share of
    /// the budget, and [`Membership::can_make_room_for`]'s bounds.
    ///
    /// [`Membership::can_make_room_for`]: trustfold::sync::Membership::can_make_room_for
    pub(super) fn room_can_be_made(&self, member: u64) -> bool {
        self.answers_left() > 0 && self.mesh.borrow_mut().can_make_room_for(&member, now_ms())
    }

    /// Notes that `member`, alone, was given a nonce with no room: room is
    /// made when its verified offer comes ([`take_promise`](Self::take_promise)).
    /// False if [`MAX_PROMISED`] members hold promises already.
    pub(super) fn promise_room(&self, member: u64) -> bool {
        self.promised.borrow_mut().promise(&member, now_ms())
    }

    /// Whether `member` was promised room in the last [`OFFER_TIMEOUT_MS`]
    /// (the promise is used up).
    pub(super) fn take_promise(&self, member: u64) -> bool {
        self.promised.borrow_mut().take(&member, now_ms())
    }

    /// A member that holds no link sent a verified offer and this page is
    /// full: closes the newest link others offered it, so the member can
    /// link here ([`Membership::make_room`](trustfold::sync::Membership::make_room)).
    /// The other end sees its link close and looks for another. Only
    /// after the offer verified: an `ask` the server relays proves
    /// nothing, and must not cut a link.
    pub(super) fn make_room(&self, member: u64) {
        let victim = self.mesh.borrow_mut().make_room(member, now_ms());
        if let Some(victim) = victim {
            self.rooms_made.set(self.rooms_made.get() + 1);
            self.drop_link(victim);
            // `Membership::make_room` put it back on the passive list; a
            // member the server said left is forgotten instead.
            self.free_place(victim);
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
        self.connections_left() > 0 && self.offered.borrow_mut().take(&peer, now_ms())
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
                    if !inner.restarted.borrow_mut().take(&peer, now_ms()) {
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
                    // No connection was made for it: it does not count.
                    inner.offered.borrow_mut().give_back(&peer);
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
                        inner.offered.borrow_mut().spend_all(&peer, now_ms());
                    }
                    inner.attempt_of.borrow_mut().remove(&peer);
                    inner.asked.borrow_mut().remove(&peer);
                    inner.links.borrow_mut().remove(&peer);
                    inner.free_place(peer);
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
                        inner.free_place(peer);
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

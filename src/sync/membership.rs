//! Which peers a page keeps links to: a small *active* set, bounded, and a
//! *passive* list of other members it heard of (from the signalling
//! server's sample of the room, or from peers), to replace links that
//! fail. Partial views as in HyParView (Leitão et al. 2007), simplified:
//! a page dials until it holds [`MeshLimits::dial_until`] links and
//! accepts offers up to [`MeshLimits::links`], so a newcomer usually finds
//! members with room and no page ever holds more than its limit.
//!
//! A page that holds no link at all asks *alone* (HyParView's
//! high-priority neighbour request), and a full member makes room for it
//! by dropping the newest link it accepted from someone else
//! ([`make_room`](Membership::make_room)). Without that, the first pages
//! of a room fill their links among themselves, answer later ones
//! `busy`, and the later ones link among themselves: two groups that
//! never meet (seen in the browser test with a limit of 3; modelled in
//! `tests/mesh_joins.rs`). Links a page dialled itself are never dropped
//! for another, and of those it accepted only the newest: strangers
//! asking alone one after another displace each other, not the links a
//! page has held longest. And at most [`MAX_ROOMS_PER_HOUR`] times an
//! hour, [`ROOM_MADE_EVERY_MS`] apart, once an hour for one member, and
//! never by dropping a link room was made for in the last
//! [`ROOM_KEPT_MS`] ([`can_make_room_for`](Membership::can_make_room_for)).
//!
//! Two groups can still form when every page in them holds enough links.
//! So a page with room left offers one more link now and then
//! ([`to_fill`](Membership::to_fill), every 5 to 15 s in the browser):
//! groups meet through their members with room. In the model, with the
//! page's other timers (among them an ask unanswered for 3 s counting as
//! `busy`), a room of twelve pages of at most 3 links ended in more than
//! one group in 1,080 of 20,000 seeds before these rules and 69 after
//! (`TRUSTFOLD_SCALE=full cargo test --release --test mesh_joins`).
//!
//! Randomness is the caller's (`pick`), like time elsewhere in the core.

use std::collections::{BTreeSet, VecDeque};

/// Links dropped to make room for members alone, at most, in an hour.
pub const MAX_ROOMS_PER_HOUR: usize = 6;
/// Room is made at most once in this long (ms).
pub const ROOM_MADE_EVERY_MS: u64 = 10_000;
/// A link room was made for is not dropped to make room for another
/// within this long (ms): two pages alone would otherwise take one place
/// in turns, and the one left out each time could miss the page that had
/// room (seen in the browser test of a newcomer among full pages, about
/// 1 run in 8 under load).
pub const ROOM_KEPT_MS: u64 = 60_000;
const HOUR_MS: u64 = 3_600_000;

/// How many links a page keeps.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MeshLimits {
    /// Links held at most, dialled and accepted together.
    pub links: usize,
    /// Members remembered to dial later, at most (the oldest go first).
    pub passive: usize,
}

impl Default for MeshLimits {
    fn default() -> Self {
        MeshLimits {
            links: 6,
            passive: 64,
        }
    }
}

impl MeshLimits {
    /// Links a page dials by itself: half the limit, rounded up. The rest
    /// is room for others' offers.
    pub fn dial_until(&self) -> usize {
        self.links.div_ceil(2)
    }
}

/// A page's active links and passive members. See the [module docs](self).
#[derive(Debug)]
pub struct Membership<P: Ord + Clone> {
    limits: MeshLimits,
    /// Links up.
    active: BTreeSet<P>,
    /// Offers made and not answered yet: they count against the limit.
    dialing: BTreeSet<P>,
    /// Members room was made for, their link not up yet: their places
    /// are kept (they count against the limit, like offers open).
    welcomed: BTreeSet<P>,
    /// The active links others offered (this page did not dial them),
    /// oldest first: the only ones [`make_room`](Self::make_room) may
    /// drop, the newest first. At most `links` long.
    accepted: Vec<P>,
    /// Room made in the last hour: when (ms), for whom. At most
    /// [`MAX_ROOMS_PER_HOUR`] long.
    rooms_made: Vec<(u64, P)>,
    passive: VecDeque<P>,
}

impl<P: Ord + Clone> Membership<P> {
    /// No members known yet.
    pub fn new(limits: MeshLimits) -> Membership<P> {
        Membership {
            limits,
            active: BTreeSet::new(),
            dialing: BTreeSet::new(),
            welcomed: BTreeSet::new(),
            accepted: Vec::new(),
            rooms_made: Vec::new(),
            passive: VecDeque::new(),
        }
    }

    /// The limits in use.
    pub fn limits(&self) -> MeshLimits {
        self.limits
    }

    /// Members heard of (the signalling server's sample, a peer's list):
    /// kept to dial later, the oldest forgotten past the bound.
    pub fn introduce(&mut self, members: impl IntoIterator<Item = P>) {
        for member in members {
            if self.active.contains(&member)
                || self.dialing.contains(&member)
                || self.welcomed.contains(&member)
                || self.passive.contains(&member)
            {
                continue;
            }
            if self.passive.len() >= self.limits.passive {
                self.passive.pop_front();
            }
            self.passive.push_back(member);
        }
    }

    /// Links up, offers open and places kept: what counts against the
    /// limit.
    fn held(&self) -> usize {
        self.active.len() + self.dialing.len() + self.welcomed.len()
    }

    /// Whether an offer from `peer` is taken: only while below the limit,
    /// or if its place is kept (room was made for it, or this page is
    /// offering to it too: the browser lets only one of two crossing
    /// offers go on).
    pub fn accepts(&self, peer: &P) -> bool {
        self.active.contains(peer)
            || self.welcomed.contains(peer)
            || self.dialing.contains(peer)
            || self.held() < self.limits.links
    }

    /// Members to offer links to now, taken from the passive list
    /// (`pick(n)` chooses one of `n`, at random): enough to reach
    /// [`MeshLimits::dial_until`] with the offers still open.
    pub fn to_dial(&mut self, mut pick: impl FnMut(usize) -> usize) -> Vec<P> {
        let mut out = Vec::new();
        while self.held() < self.limits.dial_until() {
            let Some(peer) = self.dial_one(&mut pick) else {
                break;
            };
            out.push(peer);
        }
        out
    }

    /// Takes a member from the passive list (`pick(n)` chooses one of
    /// `n`) and counts it as dialled.
    fn dial_one(&mut self, pick: &mut impl FnMut(usize) -> usize) -> Option<P> {
        if self.passive.is_empty() {
            return None;
        }
        let at = pick(self.passive.len()) % self.passive.len();
        let peer = self.passive.remove(at)?;
        self.dialing.insert(peer.clone());
        Some(peer)
    }

    /// One member to offer a link to while this page holds fewer links
    /// than its limit (and has no offer open), if any is known: called
    /// now and then, so groups of pages that each hold enough links find
    /// each other through the members with room left.
    pub fn to_fill(&mut self, mut pick: impl FnMut(usize) -> usize) -> Option<P> {
        if self.held() >= self.limits.links || !self.dialing.is_empty() || !self.welcomed.is_empty()
        {
            return None;
        }
        self.dial_one(&mut pick)
    }

    /// A link to `peer` is up. False if it would exceed the limit: close it.
    pub fn up(&mut self, peer: P) -> bool {
        let dialled = self.dialing.remove(&peer);
        let welcomed = self.welcomed.remove(&peer);
        if self.active.contains(&peer) {
            return true;
        }
        if !dialled && !welcomed && self.held() >= self.limits.links {
            return false;
        }
        if self.active.len() >= self.limits.links {
            return false;
        }
        self.passive.retain(|p| p != &peer);
        if !dialled {
            self.accepted.push(peer.clone());
        }
        self.active.insert(peer);
        true
    }

    /// Whether this page holds no link and has no offer open: its asks
    /// then say so, and a full member makes room for it.
    pub fn alone(&self) -> bool {
        self.active.is_empty() && self.dialing.is_empty()
    }

    /// Whether [`make_room`](Self::make_room) would drop a link: this
    /// page's links up fill its limit (offers still open do not count:
    /// they may fail), and one of them it did not dial.
    pub fn can_make_room(&self) -> bool {
        self.active.len() >= self.limits.links && !self.accepted.is_empty()
    }

    /// Whether room may be made for `member` at `now` (ms): it
    /// [`can_make_room`](Self::can_make_room), and room was made fewer
    /// than [`MAX_ROOMS_PER_HOUR`] times in the last hour, none of them
    /// within [`ROOM_MADE_EVERY_MS`] or for `member`: strangers asking
    /// alone cannot churn a page's links.
    pub fn can_make_room_for(&mut self, member: &P, now: u64) -> bool {
        self.rooms_made
            .retain(|(at, _)| now.saturating_sub(*at) < HOUR_MS);
        self.rooms_made.len() < MAX_ROOMS_PER_HOUR
            && self
                .rooms_made
                .iter()
                .all(|(at, m)| now.saturating_sub(*at) >= ROOM_MADE_EVERY_MS && m != member)
            && self.active.len() >= self.limits.links
            && self.victim(now).is_some()
    }

    /// The link [`make_room`](Self::make_room) would drop at `now`: the
    /// newest accepted, of those room was not made for in the last
    /// [`ROOM_KEPT_MS`].
    fn victim(&self, now: u64) -> Option<&P> {
        self.accepted.iter().rev().find(|p| {
            !self
                .rooms_made
                .iter()
                .any(|(at, m)| m == *p && now.saturating_sub(*at) < ROOM_KEPT_MS)
        })
    }

    /// `member`, which holds no link, offers, and this page is full:
    /// drops the newest of the links others offered it and keeps the
    /// place for `member` (no one else takes it meanwhile; [`down`]
    /// gives it back if its link fails), noting it was made at `now`.
    /// Returns whom to close the link to; `None` unless
    /// [`can_make_room_for`](Self::can_make_room_for).
    ///
    /// [`down`]: Self::down
    pub fn make_room(&mut self, member: P, now: u64) -> Option<P> {
        if !self.can_make_room_for(&member, now) {
            return None;
        }
        let victim = self.victim(now)?.clone();
        self.down(&victim);
        self.passive.retain(|p| p != &member);
        self.rooms_made.push((now, member.clone()));
        self.welcomed.insert(member);
        Some(victim)
    }

    /// The link to `peer` went down, or an offer to it failed: it goes to
    /// the back of the passive list (it may come back), and its place is
    /// free for [`to_dial`](Self::to_dial).
    pub fn down(&mut self, peer: &P) {
        self.accepted.retain(|p| p != peer);
        let was = self.active.remove(peer) | self.dialing.remove(peer) | self.welcomed.remove(peer);
        if was {
            self.introduce([peer.clone()]);
        }
    }

    /// `peer` left the room for good: forgotten.
    pub fn gone(&mut self, peer: &P) {
        self.accepted.retain(|p| p != peer);
        self.active.remove(peer);
        self.dialing.remove(peer);
        self.welcomed.remove(peer);
        self.passive.retain(|p| p != peer);
    }

    /// The links up.
    pub fn active(&self) -> impl Iterator<Item = &P> {
        self.active.iter()
    }

    /// How many links are up.
    pub fn active_len(&self) -> usize {
        self.active.len()
    }

    /// How many members are remembered to dial.
    pub fn passive_len(&self) -> usize {
        self.passive.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(links: usize, passive: usize) -> MeshLimits {
        MeshLimits { links, passive }
    }

    /// A page of one link, linked to 100, that made room for 1 at time 0.
    fn made_room_for_one() -> Membership<u32> {
        let mut m = Membership::new(limits(1, 8));
        assert!(m.up(100));
        assert_eq!(m.make_room(1, 0), Some(100));
        assert!(m.up(1));
        m
    }

    #[test]
    fn a_page_never_holds_more_links_than_its_limit_and_dials_only_half() {
        let mut m = Membership::new(limits(4, 3));
        m.introduce(1..=5);
        assert_eq!(m.passive_len(), 3, "the oldest forgotten");
        let dialled = m.to_dial(|_| 0);
        assert_eq!(dialled, vec![3, 4]);
        assert!(m.up(3) && m.up(4));
        assert!(m.to_dial(|_| 0).is_empty(), "half the limit reached");
        assert!(m.accepts(&10) && m.up(10) && m.up(11));
        assert!(!m.accepts(&12) && !m.up(12), "full");
        assert_eq!(m.active_len(), 4);
        m.down(&3);
        assert!(m.up(12), "room again");
        m.gone(&4);
        assert_eq!(m.active_len(), 3);
    }

    #[test]
    fn a_full_page_makes_room_by_dropping_its_newest_accepted_link_never_one_it_dialled() {
        let mut m = Membership::new(limits(3, 8));
        assert!(m.alone());
        m.introduce([1, 2, 3]);
        assert_eq!(m.to_dial(|_| 0), vec![1, 2]);
        assert!(!m.alone(), "offers open");
        assert!(m.up(1) && m.up(7));
        assert!(!m.can_make_room(), "full only with an offer still open");
        assert_eq!(m.make_room(20, 0), None);
        assert!(m.up(2));
        assert!(m.can_make_room());
        assert_eq!(m.make_room(20, 0), Some(7), "the one link it accepted");
        assert_eq!(m.active().copied().collect::<Vec<_>>(), vec![1, 2]);
        assert!(!m.accepts(&9), "the place is kept for 20");
        assert_eq!(m.to_fill(|_| 0), None, "not filled meanwhile");
        assert!(m.accepts(&20) && m.up(20));
        assert!(m.can_make_room());
        assert_eq!(
            m.make_room(21, ROOM_KEPT_MS),
            Some(20),
            "20 is the newest accepted, its minute over"
        );
        m.down(&21);
        assert!(m.up(9), "21 never came: its place is free again");
        assert_eq!(m.make_room(22, 2 * ROOM_KEPT_MS), Some(9));
        m.down(&1);
        assert!(m.up(10), "a place kept for 22 and one free");
        assert!(!m.up(11), "full");
        assert!(m.up(2), "a link already up stays up");
        assert!(m.up(22));
        assert_eq!(
            m.make_room(23, 3 * ROOM_KEPT_MS),
            Some(22),
            "the newest accepted"
        );
        m.gone(&23);
        assert!(m.up(12));
        assert_eq!(m.active().copied().collect::<Vec<_>>(), vec![2, 10, 12]);
    }

    #[test]
    fn room_is_made_ten_seconds_apart_six_times_an_hour_once_for_a_member() {
        let mut m = made_room_for_one();
        assert!(!m.can_make_room_for(&2, 9_999), "10 s apart");
        assert!(
            !m.can_make_room_for(&1, 60_000),
            "once an hour for a member"
        );
        let mut now = 60_000;
        for member in 2..=6 {
            assert_eq!(m.make_room(member, now), Some(member - 1));
            assert!(m.up(member));
            now += 60_000;
        }
        assert!(!m.can_make_room_for(&7, now), "6 in the last hour");
        assert!(m.can_make_room_for(&7, 3_600_000), "the first an hour old");
        assert!(m.can_make_room_for(&1, 3_600_000), "and its member again");
    }

    /// Two pages alone take turns at one full page's place no more: the
    /// link room was made for is kept for a minute, so the page left out
    /// looks elsewhere (for a page with room) instead of taking it back
    /// 10 s later. Before, the second `make_room` dropped member 1.
    #[test]
    fn a_link_room_was_made_for_is_not_dropped_for_another_within_a_minute() {
        let mut m = made_room_for_one();
        assert!(!m.can_make_room_for(&100, 10_000));
        assert_eq!(m.make_room(100, 59_999), None, "kept for a minute");
        assert_eq!(m.active().collect::<Vec<_>>(), [&1]);
        assert_eq!(m.make_room(100, ROOM_KEPT_MS), Some(1));
        // The newest accepted link room was not made for goes instead.
        let mut m = Membership::new(limits(2, 8));
        assert!(m.up(100) && m.up(101));
        assert_eq!(m.make_room(2, 0), Some(101));
        assert!(m.up(2));
        assert_eq!(m.make_room(3, 10_000), Some(100), "2 is kept");
        assert!(m.up(3));
        assert!(!m.can_make_room_for(&4, 20_000), "both kept");
        assert_eq!(m.make_room(4, 20_000), None);
    }
}

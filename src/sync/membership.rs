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
//! page has held longest. (The browser also bounds how often: see
//! crates/web's mesh.)
//!
//! Two groups can still form when every page in them holds enough links.
//! So a page with room left offers one more link now and then
//! ([`to_fill`](Membership::to_fill), every 5 to 15 s in the browser):
//! groups meet through their members with room. In the model, with the
//! page's other timers (among them an ask unanswered for 3 s counting as
//! `busy`), a room of twelve pages of at most 3 links ended in more than
//! one group in 906 of 20,000 seeds before these rules and 71 after
//! (`TRUSTFOLD_SCALE=full cargo test --release --test mesh_joins`).
//!
//! Randomness is the caller's (`pick`), like time elsewhere in the core.

use std::collections::{BTreeSet, VecDeque};

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
    /// The active links others offered (this page did not dial them),
    /// oldest first: the only ones [`make_room`](Self::make_room) may
    /// drop, the newest first. At most `links` long.
    accepted: Vec<P>,
    passive: VecDeque<P>,
}

impl<P: Ord + Clone> Membership<P> {
    /// No members known yet.
    pub fn new(limits: MeshLimits) -> Membership<P> {
        Membership {
            limits,
            active: BTreeSet::new(),
            dialing: BTreeSet::new(),
            accepted: Vec::new(),
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

    /// Whether an offer from `peer` is taken: only while below the limit
    /// (or if this page is dialling `peer` itself: the place is kept).
    pub fn accepts(&self, peer: &P) -> bool {
        self.active.contains(peer)
            || self.dialing.contains(peer)
            || self.active.len() + self.dialing.len() < self.limits.links
    }

    /// Members to offer links to now, taken from the passive list
    /// (`pick(n)` chooses one of `n`, at random): enough to reach
    /// [`MeshLimits::dial_until`] with the offers still open.
    pub fn to_dial(&mut self, mut pick: impl FnMut(usize) -> usize) -> Vec<P> {
        let mut out = Vec::new();
        while self.active.len() + self.dialing.len() < self.limits.dial_until()
            && !self.passive.is_empty()
        {
            let at = pick(self.passive.len()) % self.passive.len();
            let Some(peer) = self.passive.remove(at) else {
                break;
            };
            self.dialing.insert(peer.clone());
            out.push(peer);
        }
        out
    }

    /// One member to offer a link to while this page holds fewer links
    /// than its limit (and has no offer open), if any is known: called
    /// now and then, so groups of pages that each hold enough links find
    /// each other through the members with room left.
    pub fn to_fill(&mut self, mut pick: impl FnMut(usize) -> usize) -> Option<P> {
        if self.active.len() >= self.limits.links
            || !self.dialing.is_empty()
            || self.passive.is_empty()
        {
            return None;
        }
        let at = pick(self.passive.len()) % self.passive.len();
        let peer = self.passive.remove(at)?;
        self.dialing.insert(peer.clone());
        Some(peer)
    }

    /// A link to `peer` is up. False if it would exceed the limit: close it.
    pub fn up(&mut self, peer: P) -> bool {
        let dialled = self.dialing.remove(&peer);
        if self.active.contains(&peer) {
            return true;
        }
        if !dialled && self.active.len() + self.dialing.len() >= self.limits.links {
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

    /// A member that holds no link asks, and this page is full: drops the
    /// newest of the links others offered it so the member can have its
    /// place, and returns whom to close the link to. `None` unless
    /// [`can_make_room`](Self::can_make_room).
    pub fn make_room(&mut self) -> Option<P> {
        if !self.can_make_room() {
            return None;
        }
        let victim = self.accepted.last()?.clone();
        self.down(&victim);
        Some(victim)
    }

    /// The link to `peer` went down, or an offer to it failed: it goes to
    /// the back of the passive list (it may come back), and its place is
    /// free for [`to_dial`](Self::to_dial).
    pub fn down(&mut self, peer: &P) {
        self.accepted.retain(|p| p != peer);
        let was = self.active.remove(peer) | self.dialing.remove(peer);
        if was {
            self.introduce([peer.clone()]);
        }
    }

    /// `peer` left the room for good: forgotten.
    pub fn gone(&mut self, peer: &P) {
        self.accepted.retain(|p| p != peer);
        self.active.remove(peer);
        self.dialing.remove(peer);
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

    #[test]
    fn a_page_never_holds_more_links_than_its_limit_and_dials_only_half() {
        let mut m = Membership::new(MeshLimits {
            links: 4,
            passive: 3,
        });
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
        let mut m = Membership::new(MeshLimits {
            links: 3,
            passive: 8,
        });
        assert!(m.alone());
        m.introduce([1, 2]);
        assert_eq!(m.to_dial(|_| 0), vec![1, 2]);
        assert!(!m.alone(), "offers open");
        assert!(m.accepts(&1), "a member it is dialling keeps its place");
        assert!(m.up(1) && m.up(7));
        assert!(!m.can_make_room(), "full only with an offer still open");
        assert_eq!(m.make_room(), None);
        assert!(m.up(2));
        assert!(m.can_make_room());
        assert_eq!(m.make_room(), Some(7), "the one link it accepted");
        assert_eq!(m.active().copied().collect::<Vec<_>>(), vec![1, 2]);
        assert!(m.accepts(&9) && m.up(9));
        assert_eq!(m.make_room(), Some(9));
        m.down(&1);
        assert!(m.up(10) && m.up(11));
        assert!(m.up(2), "a link already up stays up");
        assert_eq!(m.make_room(), Some(11), "the newest accepted");
        assert!(m.up(12));
        m.gone(&12);
        assert!(m.up(13));
        assert_eq!(m.make_room(), Some(13));
        assert_eq!(m.make_room(), None, "room left");
        assert_eq!(m.active().copied().collect::<Vec<_>>(), vec![2, 10]);
    }
}

//! Which peers a page keeps links to: a small *active* set, bounded, and a
//! *passive* list of other members it heard of (from the signalling
//! server's sample of the room, or from peers), to replace links that
//! fail. Partial views as in HyParView (Leitão et al. 2007), simplified:
//! a page dials until it holds [`MeshLimits::dial_until`] links and
//! accepts offers up to [`MeshLimits::links`], so a newcomer always finds
//! members with room and no page ever holds more than its limit.
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
    passive: VecDeque<P>,
}

impl<P: Ord + Clone> Membership<P> {
    /// No members known yet.
    pub fn new(limits: MeshLimits) -> Membership<P> {
        Membership {
            limits,
            active: BTreeSet::new(),
            dialing: BTreeSet::new(),
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

    /// Whether an offer from `peer` is taken: only while below the limit.
    pub fn accepts(&self, peer: &P) -> bool {
        self.active.contains(peer) || self.active.len() + self.dialing.len() < self.limits.links
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
        self.active.insert(peer);
        true
    }

    /// The link to `peer` went down, or an offer to it failed: it goes to
    /// the back of the passive list (it may come back), and its place is
    /// free for [`to_dial`](Self::to_dial).
    pub fn down(&mut self, peer: &P) {
        let was = self.active.remove(peer) | self.dialing.remove(peer);
        if was {
            self.introduce([peer.clone()]);
        }
    }

    /// `peer` left the room for good: forgotten.
    pub fn gone(&mut self, peer: &P) {
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
}

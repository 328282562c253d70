//! Per-member allowances: how often one member may make a page do
//! something that costs it (offer the member a link, answer its offer with
//! a new connection, answer its ask, restart its link, say `busy` to it),
//! within a sliding window; and the room promised to members that hold no
//! link ([`Promises`]). See ARCHITECTURE.md, "Rooms of hundreds".
//!
//! Both are keyed by whoever signals. A hostile signalling server could
//! name endless senders, so each holds at most `members` of them: past
//! that, a new one is refused, and the members already counted keep their
//! allowance. Time is the caller's, in milliseconds (the core reads no
//! clock); a clock that goes back counts as no time passed.

use std::collections::BTreeMap;

/// At most `max` uses per member in any window of `window_ms`.
#[derive(Debug, Clone)]
pub struct Allowance<P> {
    max: usize,
    window_ms: u64,
    members: usize,
    uses: BTreeMap<P, Vec<u64>>,
}

impl<P: Ord + Clone> Allowance<P> {
    /// `max` uses per member within `window_ms`, for at most `members`
    /// members at a time.
    pub fn new(max: usize, window_ms: u64, members: usize) -> Self {
        Allowance {
            max,
            window_ms,
            members,
            uses: BTreeMap::new(),
        }
    }

    /// Counts a use by `peer` at `now` if it made fewer than `max` within
    /// the window (and it is counted already, or fewer than `members`
    /// are); forgets uses older than the window.
    pub fn take(&mut self, peer: &P, now: u64) -> bool {
        let window = self.window_ms;
        self.uses.retain(|_, times| {
            times.retain(|t| now.saturating_sub(*t) < window);
            !times.is_empty()
        });
        if self.uses.len() >= self.members && !self.uses.contains_key(peer) {
            return false;
        }
        let times = self.uses.entry(peer.clone()).or_default();
        if times.len() >= self.max {
            return false;
        }
        times.push(now);
        true
    }

    /// Spends what is left of the allowance of `peer`, if it is counted:
    /// no more uses until the window has passed since `now`.
    pub fn spend_all(&mut self, peer: &P, now: u64) {
        if let Some(times) = self.uses.get_mut(peer) {
            // All at `now`: an older use ageing out frees nothing early.
            times.clear();
            times.resize(self.max, now);
        }
    }

    /// Gives back the last use of `peer` (an attempt that turned out not
    /// to cost anything).
    pub fn give_back(&mut self, peer: &P) {
        if let Some(times) = self.uses.get_mut(peer) {
            times.pop();
        }
    }

    /// Members counted now (each with a use within the window as of the
    /// last [`take`](Self::take)).
    pub fn members(&self) -> usize {
        self.uses.len()
    }
}

/// Room promised to members that hold no link: a member is given a nonce
/// though this page is full, and room is made when its verified offer
/// comes. At most `max` promises at a time, each good for `ttl_ms`.
#[derive(Debug, Clone)]
pub struct Promises<P> {
    max: usize,
    ttl_ms: u64,
    made: BTreeMap<P, u64>,
}

impl<P: Ord + Clone> Promises<P> {
    /// At most `max` promises held at a time, each lasting `ttl_ms`.
    pub fn new(max: usize, ttl_ms: u64) -> Self {
        Promises {
            max,
            ttl_ms,
            made: BTreeMap::new(),
        }
    }

    /// Promises `member` room at `now` (again, if it holds a promise);
    /// false if `max` other members hold promises still good.
    pub fn promise(&mut self, member: &P, now: u64) -> bool {
        let ttl = self.ttl_ms;
        self.made.retain(|_, at| now.saturating_sub(*at) < ttl);
        let room = self.made.len() < self.max || self.made.contains_key(member);
        if room {
            self.made.insert(member.clone(), now);
        }
        room
    }

    /// Whether `member` holds a promise still good at `now`; it is used
    /// up either way.
    pub fn take(&mut self, member: &P, now: u64) -> bool {
        self.made
            .remove(member)
            .is_some_and(|at| now.saturating_sub(at) < self.ttl_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::{Allowance, Promises};

    const HOUR: u64 = 3_600_000;

    /// A member gets `max` uses an hour, and more once the oldest is an
    /// hour old; another member's uses are its own.
    #[test]
    fn a_member_gets_its_uses_per_window_and_more_as_they_age() {
        let mut offers = Allowance::new(2, HOUR, 10);
        assert!(offers.take(&1, 0));
        assert!(offers.take(&1, 1_000));
        assert!(!offers.take(&1, 2_000), "a third within the hour");
        assert!(offers.take(&2, 2_000), "another member's");
        assert!(!offers.take(&1, HOUR - 1));
        assert!(offers.take(&1, HOUR), "the first use is an hour old");
        assert!(!offers.take(&1, HOUR + 999));
        assert!(offers.take(&1, HOUR + 1_000));
    }

    /// A hostile server naming endless senders fills the count only up to
    /// the member bound; members already counted keep their allowance and
    /// spend it; once the others' uses age out, new members are counted.
    #[test]
    fn new_senders_past_the_member_bound_are_refused() {
        let mut asks = Allowance::new(2, HOUR, 100);
        for peer in 0..100u64 {
            assert!(asks.take(&peer, 0));
        }
        assert!(!asks.take(&u64::MAX, 1), "a new sender past the bound");
        assert_eq!(asks.members(), 100);
        assert!(asks.take(&7, 1), "a known member's second use");
        assert!(!asks.take(&7, 2), "its allowance spent");
        assert!(asks.take(&u64::MAX, HOUR + 1), "the others' uses aged out");
        assert_eq!(asks.members(), 1);
    }

    /// A member whose offer went unanswered has its hour spent at once; one
    /// never counted gets no entry (that would take a member's place).
    #[test]
    fn spending_all_leaves_nothing_until_the_window_passes() {
        let mut offers = Allowance::new(6, HOUR, 10);
        assert!(offers.take(&8, 0));
        offers.spend_all(&8, 5_000);
        assert!(!offers.take(&8, 6_000));
        assert!(!offers.take(&8, HOUR + 4_999), "spent at 5 s");
        assert!(offers.take(&8, HOUR + 5_000));
        offers.spend_all(&9, 0);
        assert_eq!(offers.members(), 1, "no entry made for 9");
        assert!(offers.take(&9, 1));
    }

    /// A use given back (a member said `busy`: the offer cost nothing) is
    /// available again at once.
    #[test]
    fn a_use_given_back_is_available_again() {
        let mut offers = Allowance::new(1, HOUR, 10);
        assert!(offers.take(&3, 0));
        assert!(!offers.take(&3, 1));
        offers.give_back(&3);
        assert!(offers.take(&3, 2));
        offers.give_back(&4);
        assert_eq!(offers.members(), 1);
    }

    /// A clock that goes back counts as no time passed: nothing is freed
    /// early, and nothing panics.
    #[test]
    fn a_clock_going_back_frees_nothing() {
        let mut offers = Allowance::new(1, HOUR, 10);
        assert!(offers.take(&1, HOUR * 2));
        assert!(!offers.take(&1, 0));
        let mut promises = Promises::new(1, 15_000);
        assert!(promises.promise(&1, 50_000));
        assert!(!promises.promise(&2, 0), "the first still good");
        assert!(promises.take(&1, 0));
    }

    /// Room is promised to at most `max` members at a time; a promise is
    /// good for its time, used once, and a member promised again keeps
    /// one place.
    #[test]
    fn promises_are_bounded_used_once_and_expire() {
        let mut promises = Promises::new(2, 15_000);
        assert!(promises.promise(&1, 0));
        assert!(promises.promise(&2, 0));
        assert!(!promises.promise(&3, 1_000), "a third while two hold");
        assert!(promises.promise(&1, 1_000), "promised again, same place");
        assert!(promises.take(&1, 2_000));
        assert!(!promises.take(&1, 2_001), "used up");
        assert!(promises.promise(&3, 2_002), "its place is free");
        assert!(!promises.take(&2, 15_000), "expired at 15 s");
        assert!(promises.promise(&4, 15_000), "an expired place is free");
        assert!(!promises.take(&5, 15_000), "never promised");
    }
}

//! How many peer connections a page may still create, and for whom.
//!
//! A browser allows a page only so many connections in its lifetime
//! (Chromium: 500), so a page spends at most a budget of them. Members that
//! offer links spend it too, each within its own hourly limit — but many
//! identities, each within its limit, could spend all of it, and the page
//! could then link to no one again, not even to replace its own failed
//! links. So others' offers may spend at most three quarters of the
//! budget; the last quarter is the page's own offers'. A page that has
//! spent its answering share still offers links by itself (and says `busy`
//! to members that ask).
//!
//! This bounds what members that *offer* can spend. Members this page
//! offers to can make its offers fail (a nonce, then no answer): such a
//! member is offered nothing more for an hour (crates/web's mesh), so
//! each identity costs the page one connection an hour, not its hourly
//! allowance of 6 (before 2026-12-03, about 17 identities spent the
//! page's own quarter in an hour; now it takes 100). And the offers a
//! page makes only to fill its spare links ([`may_fill`]) stop once its
//! own offers spent a quarter of the budget, so the rest keeps its failed
//! links replaced (others' offers spending their share does not stop it).
//!
//! [`may_fill`]: ConnectionBudget::may_fill

/// What a page may still spend. See the [module docs](self).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConnectionBudget {
    total: u32,
    offered: u32,
    answered: u32,
}

impl ConnectionBudget {
    /// A budget of `total` connections, none spent.
    pub fn new(total: u32) -> ConnectionBudget {
        ConnectionBudget {
            total,
            offered: 0,
            answered: 0,
        }
    }

    /// Connections created so far, offered and answered.
    pub fn created(&self) -> u32 {
        self.offered + self.answered
    }

    /// Connections that may still be created, by either side.
    pub fn left(&self) -> u32 {
        self.total.saturating_sub(self.created())
    }

    /// The most connections others' offers may create: all but a quarter
    /// of the budget (all of a budget under 4).
    pub fn answering_share(&self) -> u32 {
        self.total - self.total / 4
    }

    /// Connections others' offers may still create.
    pub fn answers_left(&self) -> u32 {
        self.left()
            .min(self.answering_share().saturating_sub(self.answered))
    }

    /// Whether an offer made only to fill a spare link (not to replace
    /// one, or reach half the limit) may spend a connection: while this
    /// page's own offers have spent less than a quarter of the budget
    /// (what others' offers spent does not stop it).
    pub fn may_fill(&self) -> bool {
        self.offered < self.total / 4 && self.left() > 0
    }

    /// Counts a connection made for this page's own offer, if one is left.
    pub fn spend_offer(&mut self) -> bool {
        let room = self.left() > 0;
        self.offered += u32::from(room);
        room
    }

    /// Counts a connection made to answer a member's offer, if the
    /// answering share has one left.
    pub fn spend_answer(&mut self) -> bool {
        let room = self.answers_left() > 0;
        self.answered += u32::from(room);
        room
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_cannot_spend_the_quarter_kept_for_own_offers() {
        let mut budget = ConnectionBudget::new(400);
        let answered = (0..1_000).filter(|_| budget.spend_answer()).count();
        assert_eq!(answered, 300, "members' offers stop at three quarters");
        assert_eq!((budget.left(), budget.answers_left()), (100, 0));
        let offered = (0..1_000).filter(|_| budget.spend_offer()).count();
        assert_eq!(offered, 100, "the page still links by itself");
        assert_eq!((budget.created(), budget.left()), (400, 0));
    }

    #[test]
    fn own_offers_may_spend_the_whole_budget_and_then_nothing_is_answered() {
        let mut budget = ConnectionBudget::new(8);
        assert_eq!(budget.answering_share(), 6);
        assert_eq!((0..7).filter(|_| budget.spend_offer()).count(), 7);
        assert_eq!(budget.answers_left(), 1);
        assert!(budget.spend_answer());
        assert!(!budget.spend_answer());
        assert!(!budget.spend_offer());
        assert_eq!(budget.created(), 8);
    }

    #[test]
    fn filling_spare_links_stops_once_own_offers_spent_a_quarter() {
        let mut budget = ConnectionBudget::new(20);
        let answered = (0..10).filter(|_| budget.spend_answer()).count();
        assert_eq!(answered, 10);
        assert!(budget.may_fill(), "others' offers do not stop it");
        let mut filled = 0;
        while budget.may_fill() && budget.spend_offer() {
            filled += 1;
        }
        assert_eq!(filled, 5, "a quarter of the budget");
        assert!(budget.spend_offer(), "replacing links goes on");
        assert!(
            !ConnectionBudget::new(3).may_fill(),
            "a budget under 4 is not spent filling"
        );
    }

    #[test]
    fn a_budget_under_four_is_all_shared() {
        let mut budget = ConnectionBudget::new(1);
        assert_eq!(budget.answers_left(), 1);
        assert!(budget.spend_answer());
        assert!(!budget.spend_offer());
        assert_eq!(ConnectionBudget::new(0).left(), 0);
    }
}

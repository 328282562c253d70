//! A view: which events one policy includes, and the ledger they fold into.
//!
//! An event is **included** when its author is not banned and it is not
//! excluded. It is **excluded** when at least `quorum` distinct trusted
//! authors back it with an *active* exclusion or dispute. A statement is
//! active when it is itself included and none of its author's included
//! retractions names it. Every statement lies causally after its target, so
//! this is well founded: [`View::new`] decides every event in reverse
//! topological order, and the incremental path ([`View::update`],
//! [`View::set_policy`]) propagates each change backwards along targets with
//! a worklist — O(1) per transfer or toggled exclusion, O(events of an
//! author) per ban. Both reach the same state; property tests hold them to it.
//!
//! **Reversals are capped in the fold.** Each reversal is valid on its own
//! when it pays back at most the original's amount, but a payment may be
//! reversed several times. What the included reversals of one payment count
//! toward balances, together, is at most the payment's amount. They all run
//! from the payment's payee to its payer in its unit, so the balances only
//! depend on their total: the view keeps, per reversed payment, the sum of
//! its included reversals and counts `min(sum, amount)` — O(1) per toggled
//! reversal, the same whatever the order of arrival. Which reversal counts
//! how much ([`View::counted_amount`], for explanations) follows causal
//! order with ties by event id: the reversals of one payment are all its
//! payee's events, ordered by (seq, id).

use crate::digest::Digest;
use crate::event::{Body, EventId, PublicKey};
use crate::ledger::Ledger;
use crate::log::{EventIx, Log, Parties};
use crate::policy::{Authorities, Policy};
use rustc_hash::FxHashMap;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct EventState {
    included: bool,
    /// Statements only: included and not retracted.
    active: bool,
    /// Statements only: included retractions naming it.
    retracts: u32,
}

/// The state one policy sees over one [`Log`]. See the [module docs](self).
///
/// A view does not own its log: call [`View::update`] after inserting events
/// (the [`Replica`](crate::Replica) does this for you).
#[derive(Clone, Debug)]
pub struct View {
    policy: Policy,
    authorities: Authorities,
    states: Vec<EventState>,
    /// target → (trusted author, active statements) for targets with any.
    backers: FxHashMap<EventIx, Vec<(PublicKey, u32)>>,
    ledger: Ledger,
    /// Reversed payment → the sum of the amounts of its included reversals
    /// (present when non-zero). The ledger counts at most the payment's amount of it.
    reversed: FxHashMap<EventIx, u128>,
    trust_seen: usize,
    forks_seen: usize,
    /// Bumped whenever any event's inclusion changes (a cache key for readers).
    generation: u64,
}

impl View {
    /// Computes the view of `log` under `policy` from scratch.
    pub fn new(log: &Log, policy: Policy) -> View {
        let mut view = View {
            authorities: policy.authorities(log),
            policy,
            states: Vec::new(),
            backers: FxHashMap::default(),
            ledger: Ledger::default(),
            reversed: FxHashMap::default(),
            trust_seen: 0,
            forks_seen: 0,
            generation: 0,
        };
        view.rebuild(log);
        view
    }

    /// The full reduction: decide every event, latest first, then fold the ledger.
    fn rebuild(&mut self, log: &Log) {
        self.generation += 1;
        let n = log.len();
        self.states = vec![EventState::default(); n];
        self.backers.clear();
        self.ledger = Ledger::default();
        self.reversed.clear();
        let quorum = self.policy.quorum.get() as usize;
        for ix in (0..n as EventIx).rev() {
            let entry = log.entry(ix);
            let mut state = EventState::default();
            let mut backers: Vec<(PublicKey, u32)> = Vec::new();
            for &s in entry.targeted_by() {
                let later = self.states[s as usize];
                let author = log.entry(s).event().author();
                match log.entry(s).event().body() {
                    Body::Retract { .. } if later.included => state.retracts += 1,
                    Body::Exclude(_) | Body::Dispute(_)
                        if later.active && self.authorities.trusted.contains(&author) =>
                    {
                        add_backer(&mut backers, author, 1)
                    }
                    _ => {}
                }
            }
            let author = entry.event().author();
            state.included =
                !self.authorities.banned.contains_key(&author) && backers.len() < quorum;
            state.active = is_statement(log, ix) && state.included && state.retracts == 0;
            self.states[ix as usize] = state;
            if !backers.is_empty() {
                self.backers.insert(ix, backers);
            }
        }
        for ix in 0..n as EventIx {
            if self.states[ix as usize].included {
                self.count_transfer(log, ix, true);
            }
        }
        self.trust_seen = log.trust_statement_count();
        self.forks_seen = log.forks().len();
    }

    /// Brings the view up to date with events appended to `log` since the last call.
    pub fn update(&mut self, log: &Log) {
        let mut work = Vec::new();
        for ix in self.states.len() as EventIx..log.len() as EventIx {
            self.states.push(EventState::default());
            work.push(ix);
            self.settle(log, &mut work);
        }
        if log.trust_statement_count() != self.trust_seen || log.forks().len() != self.forks_seen {
            self.trust_seen = log.trust_statement_count();
            self.forks_seen = log.forks().len();
            let authorities = self.policy.authorities(log);
            self.reauthorize(log, authorities);
        }
    }

    /// Switches to another policy. A change of quorum touches every exclusion
    /// and recomputes; any other change costs the events of the authors whose
    /// standing changed.
    pub fn set_policy(&mut self, log: &Log, policy: Policy) {
        self.update(log);
        let quorum_changed = policy.quorum != self.policy.quorum;
        self.policy = policy;
        let authorities = self.policy.authorities(log);
        if quorum_changed {
            self.authorities = authorities;
            self.rebuild(log);
        } else {
            self.reauthorize(log, authorities);
        }
    }

    /// Applies a new set of authorities: moves the backing of authors whose
    /// trust changed, re-decides the events of authors whose ban changed.
    fn reauthorize(&mut self, log: &Log, new: Authorities) {
        let old = std::mem::replace(&mut self.authorities, new);
        let mut work = Vec::new();
        let trust_changed = old
            .trusted
            .symmetric_difference(&self.authorities.trusted)
            .copied()
            .collect::<Vec<_>>();
        for author in trust_changed {
            let delta = if self.authorities.trusted.contains(&author) {
                1
            } else {
                -1
            };
            for &s in log.events_by(&author) {
                if let (true, Some(target)) =
                    (self.states[s as usize].active, log.entry(s).reference())
                {
                    self.back(target, author, delta);
                    work.push(target);
                }
            }
        }
        let ban_changed: Vec<PublicKey> = old
            .banned
            .keys()
            .filter(|k| !self.authorities.banned.contains_key(k))
            .chain(
                self.authorities
                    .banned
                    .keys()
                    .filter(|k| !old.banned.contains_key(k)),
            )
            .copied()
            .collect();
        for author in ban_changed {
            work.extend_from_slice(log.events_by(&author));
        }
        self.settle(log, &mut work);
    }

    /// Re-decides events until nothing changes. A change only ever moves to
    /// an event's target, which is earlier, so this terminates.
    fn settle(&mut self, log: &Log, work: &mut Vec<EventIx>) {
        while let Some(ix) = work.pop() {
            let include = self.should_include(log, ix);
            if include == self.states[ix as usize].included {
                continue;
            }
            self.states[ix as usize].included = include;
            self.generation += 1;
            self.count_transfer(log, ix, include);
            let entry = log.entry(ix);
            match (entry.event().body(), entry.reference()) {
                (Body::Exclude(_) | Body::Dispute(_), _) => {
                    if let Some(target) = self.refresh_active(log, ix) {
                        work.push(target);
                    }
                }
                (Body::Retract { .. }, Some(statement)) => {
                    let retracts = &mut self.states[statement as usize].retracts;
                    *retracts = if include {
                        *retracts + 1
                    } else {
                        *retracts - 1
                    };
                    if let Some(target) = self.refresh_active(log, statement) {
                        work.push(target);
                    }
                }
                _ => {}
            }
        }
    }

    /// Recomputes whether a statement is active; returns its target when the
    /// target's backing changed.
    fn refresh_active(&mut self, log: &Log, statement: EventIx) -> Option<EventIx> {
        let state = &mut self.states[statement as usize];
        let active = state.included && state.retracts == 0;
        if active == state.active {
            return None;
        }
        state.active = active;
        let author = log.entry(statement).event().author();
        if !self.authorities.trusted.contains(&author) {
            return None;
        }
        let target = log.entry(statement).reference()?;
        self.back(target, author, if active { 1 } else { -1 });
        Some(target)
    }

    fn back(&mut self, target: EventIx, author: PublicKey, delta: i32) {
        let backers = self.backers.entry(target).or_default();
        add_backer(backers, author, delta);
        if backers.is_empty() {
            self.backers.remove(&target);
        }
    }

    fn should_include(&self, log: &Log, ix: EventIx) -> bool {
        let author = log.entry(ix).event().author();
        !self.authorities.banned.contains_key(&author)
            && self.backers.get(&ix).map_or(0, Vec::len) < self.policy.quorum.get() as usize
    }

    /// Counts (or uncounts) an included transfer. A reversal moves the
    /// reversed payment's counted total from `min(sum, cap)` to the same
    /// with its amount added (or removed).
    fn count_transfer(&mut self, log: &Log, ix: EventIx, count: bool) {
        let entry = log.entry(ix);
        let (Body::Transfer(t), Some(parties)) = (entry.event().body(), entry.parties()) else {
            return;
        };
        let Parties { unit, from, to } = parties;
        let Some(original) = entry.reference() else {
            self.ledger.apply(from, to, unit, t.amount, count);
            return;
        };
        let cap = u128::from(transfer_amount(log, original));
        let sum = self.reversed.entry(original).or_insert(0);
        let before = (*sum).min(cap);
        if count {
            *sum += u128::from(t.amount);
        } else {
            *sum -= u128::from(t.amount);
        }
        let after = (*sum).min(cap);
        if *sum == 0 {
            self.reversed.remove(&original);
        }
        // Both are at most `cap`, a u64.
        let (delta, count) = if after >= before {
            (after - before, true)
        } else {
            (before - after, false)
        };
        if delta > 0 {
            self.ledger.apply(from, to, unit, delta as u64, count);
        }
    }

    /// What the payment at `original` has been paid back in this view: the
    /// total its included reversals count, at most its amount.
    pub fn reversed_amount(&self, log: &Log, original: EventIx) -> u64 {
        let cap = transfer_amount(log, original);
        self.reversed
            .get(&original)
            .map_or(0, |&sum| sum.min(u128::from(cap)) as u64)
    }

    /// What the transfer at `ix` counts toward balances in this view: 0 when
    /// it is not included, its amount for a payment, and for a reversal its
    /// share (see [`reversal_shares`](Self::reversal_shares)). 0 for other
    /// events.
    pub fn counted_amount(&self, log: &Log, ix: EventIx) -> u64 {
        let entry = log.entry(ix);
        let Body::Transfer(t) = entry.event().body() else {
            return 0;
        };
        if !self.is_included(ix) {
            return 0;
        }
        match entry.reference() {
            None => t.amount,
            Some(original) => self
                .reversal_shares(log, original)
                .into_iter()
                .find(|&(r, _)| r == ix)
                .map_or(0, |(_, counted)| counted),
        }
    }

    /// The included reversals of the payment at `original`, each with what
    /// it counts: in causal order with ties by id, each counts its amount up
    /// to what the payment still had to pay back after the ones before it.
    ///
    /// The reversals of a payment are all events of its payee (validity
    /// requires it), whose events follow causal order by seq unless the payee
    /// forked, so they are ordered by (seq, id): the same on every node.
    /// Costs the payee's transfers.
    pub fn reversal_shares(&self, log: &Log, original: EventIx) -> Vec<(EventIx, u64)> {
        let Body::Transfer(paid) = log.entry(original).event().body() else {
            return Vec::new();
        };
        let mut reversals: Vec<(u64, EventId, EventIx, u64)> = log
            .transfers_of(&paid.to)
            .iter()
            .filter(|&&r| log.entry(r).reference() == Some(original) && self.is_included(r))
            .filter_map(|&r| {
                let event = log.entry(r).event();
                match event.body() {
                    Body::Transfer(t) => Some((event.seq(), event.id(), r, t.amount)),
                    _ => None,
                }
            })
            .collect();
        reversals.sort_unstable();
        let mut remaining = paid.amount;
        reversals
            .into_iter()
            .map(|(_, _, r, amount)| {
                let counted = amount.min(remaining);
                remaining -= counted;
                (r, counted)
            })
            .collect()
    }

    /// Changes whenever any event's inclusion changes: readers may cache
    /// what they derived from the view under this number.
    pub fn generation(&self) -> u64 {
        self.generation
    }
    /// The policy this view applies.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }
    /// Who is trusted and banned under it.
    pub fn authorities(&self) -> &Authorities {
        &self.authorities
    }
    /// The balances.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }
    /// An account's balance in a unit.
    pub fn balance(&self, log: &Log, account: &PublicKey, unit: &str) -> i128 {
        self.ledger.balance(log, account, unit)
    }
    /// Is the event at `ix` included?
    pub fn is_included(&self, ix: EventIx) -> bool {
        self.states.get(ix as usize).is_some_and(|s| s.included)
    }
    /// For a statement: does it currently back its target (included, not retracted)?
    pub fn is_active(&self, ix: EventIx) -> bool {
        self.states.get(ix as usize).is_some_and(|s| s.active)
    }
    /// Trusted authors currently backing the exclusion of `ix`.
    pub fn backers_of(&self, ix: EventIx) -> impl Iterator<Item = &PublicKey> {
        self.backers.get(&ix).into_iter().flatten().map(|(k, _)| k)
    }
    /// Indexes of the included events, ascending.
    pub fn included(&self) -> impl Iterator<Item = EventIx> + '_ {
        (0..self.states.len() as EventIx).filter(|&ix| self.states[ix as usize].included)
    }

    /// A digest of the set of included event ids, independent of arrival order.
    pub fn included_digest(&self, log: &Log) -> Digest {
        let mut ids: Vec<[u8; 32]> = self
            .included()
            .map(|ix| log.entry(ix).event().id().0)
            .collect();
        ids.sort_unstable();
        Digest::of("trustfold included events v1", ids.iter().map(|i| &i[..]))
    }

    /// A digest of the reduced state (the ledger).
    pub fn state_digest(&self, log: &Log) -> Digest {
        self.ledger.digest(log)
    }
}

/// What a view is a function of: the log and the policy (a view is the
/// fold of the log under it). Keys are compared for one replica's log,
/// which only grows: there its length says which log it is, and equal keys
/// are equal views. Readers that keep something derived from a view (the
/// replica's view under another policy, the façade's listing of
/// transfers) key it by this. The last event is a guard, not a proof:
/// it sets apart most other logs of the same length, but two logs can end
/// in the same event (one made with no parents, taken in last by both).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ViewKey {
    len: usize,
    last: Option<EventId>,
    policy: Policy,
}

impl ViewKey {
    /// The key of the view of `log` under `policy`.
    pub fn of(log: &Log, policy: &Policy) -> ViewKey {
        ViewKey {
            len: log.len(),
            last: last_event(log),
            policy: policy.clone(),
        }
    }

    /// Whether this is the key of the view of `log` under `policy` (what
    /// [`of`](Self::of) would make, without copying the policy).
    pub fn is_of(&self, log: &Log, policy: &Policy) -> bool {
        self.len == log.len() && self.last == last_event(log) && self.policy == *policy
    }

    /// The policy of the view.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }
}

/// The id of the event `log` took in last, if any.
fn last_event(log: &Log) -> Option<EventId> {
    let last = log.len().checked_sub(1)?;
    Some(log.entry(last as EventIx).event().id())
}

/// The amount of the transfer at `ix` (0 for other events; a reversed
/// event is always a transfer).
fn transfer_amount(log: &Log, ix: EventIx) -> u64 {
    match log.entry(ix).event().body() {
        Body::Transfer(t) => t.amount,
        _ => 0,
    }
}

fn is_statement(log: &Log, ix: EventIx) -> bool {
    matches!(
        log.entry(ix).event().body(),
        Body::Exclude(_) | Body::Dispute(_)
    )
}

fn add_backer(backers: &mut Vec<(PublicKey, u32)>, author: PublicKey, delta: i32) {
    match backers.iter().position(|(k, _)| *k == author) {
        Some(i) => {
            let count = backers[i].1 as i64 + delta as i64;
            if count <= 0 {
                backers.swap_remove(i);
            } else {
                backers[i].1 = count as u32;
            }
        }
        None if delta > 0 => backers.push((author, delta as u32)),
        None => {}
    }
}

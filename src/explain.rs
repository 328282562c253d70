//! Why a view counts what it counts: statuses, transactions, debts,
//! explanations and the comparison of two views.
//!
//! Everything here is read off a [`View`] and its [`Log`] on demand; nothing
//! is cached, so an explanation is always the current one.

use crate::event::{Body, EventId, PublicKey};
use crate::log::{EventIx, Log};
use crate::policy::BanReason;
use crate::view::View;
use rustc_hash::FxHashMap;

/// An exclusion or dispute, as shown in explanations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatementRef {
    /// The statement's event id.
    pub id: EventId,
    /// Who made it.
    pub author: PublicKey,
    /// `true` for a dispute by the payer, `false` for an exclusion.
    pub dispute: bool,
    /// The reason given.
    pub reason: String,
}

/// Whether one statement counts in a view, and if not, why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It backs its target's exclusion.
    Counted,
    /// Its author is not trusted in this view.
    Untrusted,
    /// Its author is banned in this view.
    AuthorBanned,
    /// Its author retracted it.
    Retracted {
        /// The retraction.
        by: EventId,
    },
    /// It is itself excluded: someone counts the event anyway.
    Excluded {
        /// The exclusions of this statement that count (each one's
        /// author can retract theirs).
        by: Vec<StatementRef>,
    },
}

/// A statement about an event, with its verdict in one view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contest {
    /// The exclusion or dispute.
    pub statement: StatementRef,
    /// Whether it counts.
    pub verdict: Verdict,
}

/// Whether an event counts in a view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// It counts.
    Included,
    /// At least `quorum` trusted authors exclude it.
    Excluded {
        /// The statements that count.
        by: Vec<StatementRef>,
    },
    /// Its author is banned.
    AuthorBanned {
        /// The banned author.
        author: PublicKey,
        /// Why they are banned.
        reason: BanReason,
    },
}

/// One transfer touching an account, and whether it counts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Movement {
    /// The transfer.
    pub event: EventId,
    /// The other side.
    pub counterparty: PublicKey,
    /// What it does to the account's balance (+ received, − paid): for a
    /// counted transfer what it counts, for one that does not count what it
    /// would do if it did (its amount).
    pub delta: i128,
    /// Set on a counted reversal that counts less than its amount because
    /// the payment it reverses was already paid back by earlier reversals
    /// (the total reversed of a payment never exceeds it): its amount.
    pub capped_from: Option<u64>,
    /// Whether it counts, and why not.
    pub status: Status,
    /// Every exclusion or dispute naming it, counted or not.
    pub contests: Vec<Contest>,
}

/// One transfer as a person reads it in a list of payments: what it says,
/// and whether it counts in a view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// The transfer's event id.
    pub event: EventId,
    /// Who paid (the event's author).
    pub from: PublicKey,
    /// Who was paid.
    pub to: PublicKey,
    /// How much, in minor units of `unit`, as signed (a capped reversal
    /// counts less: see [`Movement::capped_from`]).
    pub amount: u64,
    /// The unit, exactly as signed.
    pub unit: String,
    /// The payer's note.
    pub memo: String,
    /// The author's clock when signing, in ms, as the author claims it:
    /// nothing checks it, so it need not follow causal order.
    pub time: u64,
    /// The payment this one pays back, if it is a reversal.
    pub reverses: Option<EventId>,
    /// How much of it the reversals counted in this view pay back (at most
    /// `amount`): what is left, `amount - reversed`, can still be paid back.
    pub reversed: u64,
    /// Whether it counts in this view, and if not, why.
    pub status: Status,
    /// Every exclusion or dispute naming it, counted or not.
    pub contests: Vec<Contest>,
}

/// A [`Transaction`] whose unit and memo are borrowed from the log: what a
/// listing of every transfer is made of, since copying two strings per row
/// was most of the cost of listing a year of history (100,000 rows: 36 ms
/// natively with the copies, 5 ms without; a page lists them again after
/// every change, and converts only the rows that changed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransactionRef<'a> {
    /// The transfer's event id.
    pub event: EventId,
    /// Who paid (the event's author).
    pub from: PublicKey,
    /// Who was paid.
    pub to: PublicKey,
    /// How much, in minor units of `unit`, as signed.
    pub amount: u64,
    /// The unit, exactly as signed.
    pub unit: &'a str,
    /// The payer's note.
    pub memo: &'a str,
    /// The author's clock when signing, in ms, as the author claims it.
    pub time: u64,
    /// The payment this one pays back, if it is a reversal.
    pub reverses: Option<EventId>,
    /// How much of it the reversals counted in this view pay back.
    pub reversed: u64,
    /// Whether it counts in this view, and if not, why.
    pub status: Status,
    /// Every exclusion or dispute naming it, counted or not.
    pub contests: Vec<Contest>,
}

impl TransactionRef<'_> {
    /// The same transfer owning its strings.
    pub fn owned(&self) -> Transaction {
        Transaction {
            event: self.event,
            from: self.from,
            to: self.to,
            amount: self.amount,
            unit: self.unit.to_owned(),
            memo: self.memo.to_owned(),
            time: self.time,
            reverses: self.reverses,
            reversed: self.reversed,
            status: self.status.clone(),
            contests: self.contests.clone(),
        }
    }
}

/// Why an account has its balance in a unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The account.
    pub account: PublicKey,
    /// The unit.
    pub unit: String,
    /// The balance in this view: the sum of the counted deltas.
    pub balance: i128,
    /// Transfers that count.
    pub counted: Vec<Movement>,
    /// Transfers that do not count, each with its reason.
    pub not_counted: Vec<Movement>,
}

/// What the counted transfers of an [`Explanation`] come to with one other
/// person: a debt is read as "paid Bob 6.00 net (18.50 paid, 12.50
/// received)", and a year of history puts a thousand transfers under it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WithWhom {
    /// The other person.
    pub counterparty: PublicKey,
    /// What the account paid them, counted.
    pub paid: u128,
    /// What the account received from them, counted.
    pub received: u128,
    /// How many counted transfers.
    pub transfers: usize,
}

impl WithWhom {
    /// Received minus paid.
    pub fn net(&self) -> i128 {
        self.received as i128 - self.paid as i128
    }

    /// Nothing yet with `counterparty`.
    fn none(counterparty: PublicKey) -> WithWhom {
        WithWhom {
            counterparty,
            paid: 0,
            received: 0,
            transfers: 0,
        }
    }

    /// Counts one counted transfer of `delta` (+ received, − paid).
    fn add(&mut self, delta: i128) {
        if delta < 0 {
            self.paid += delta.unsigned_abs();
        } else {
            self.received += delta.unsigned_abs();
        }
        self.transfers += 1;
    }

    /// The sums that do not net to nothing, the one paid most first (then
    /// by key), at most `most` of them, and how many more there are.
    fn largest(by: FxHashMap<PublicKey, WithWhom>, most: usize) -> (Vec<WithWhom>, usize) {
        let mut list: Vec<WithWhom> = by.into_values().filter(|w| w.net() != 0).collect();
        list.sort_by_key(|w| (w.net(), w.counterparty));
        let others = list.len().saturating_sub(most);
        list.truncate(most);
        (list, others)
    }
}

/// One transfer as [`View::each_movement`] walks it.
struct MovementStep {
    ix: EventIx,
    counterparty: PublicKey,
    delta: i128,
    capped_from: Option<u64>,
    included: bool,
}

impl MovementStep {
    /// The transfer as an explanation lists it.
    fn movement(&self, view: &View, log: &Log) -> Movement {
        Movement {
            event: log.entry(self.ix).event().id(),
            counterparty: self.counterparty,
            delta: self.delta,
            capped_from: self.capped_from,
            status: view.status(log, self.ix),
            contests: view.contests(log, self.ix),
        }
    }
}

impl Explanation {
    /// The counted transfers summed per other person, those that net to
    /// nothing left out, the one paid most first (then by key).
    pub fn with_whom(&self) -> Vec<WithWhom> {
        let mut by: FxHashMap<PublicKey, WithWhom> = FxHashMap::default();
        for m in &self.counted {
            by.entry(m.counterparty)
                .or_insert_with(|| WithWhom::none(m.counterparty))
                .add(m.delta);
        }
        WithWhom::largest(by, usize::MAX).0
    }
}

/// A debt as its line says it, without its list of transfers
/// ([`Debt::summary`]): a year of history puts a thousand under a debt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DebtSummary {
    /// Who owes.
    pub account: PublicKey,
    /// In which unit.
    pub unit: String,
    /// How much.
    pub amount: u128,
    /// How many transfers explain it, counted or not.
    pub transfers: usize,
    /// How many transfers to the debtor do not count here.
    pub not_counted_in: usize,
    /// The first [`DebtSummary::BECAUSE`] of them.
    pub because: Vec<Movement>,
    /// The counted transfers summed per person ([`Explanation::with_whom`]),
    /// at most as many as asked for.
    pub with_whom: Vec<WithWhom>,
    /// People past those in `with_whom`.
    pub others: usize,
}

impl DebtSummary {
    /// How many uncounted transfers to a debtor a summary names.
    pub const BECAUSE: usize = 3;
}

impl Debt {
    /// This debt's summary, naming at most `most` people in its sums.
    pub fn summary(&self, most: usize) -> DebtSummary {
        let e = &self.explanation;
        let not_counted_in: Vec<&Movement> = e.not_counted.iter().filter(|m| m.delta > 0).collect();
        let mut with_whom = e.with_whom();
        let others = with_whom.len().saturating_sub(most);
        with_whom.truncate(most);
        DebtSummary {
            account: self.account,
            unit: self.unit.clone(),
            amount: self.amount,
            transfers: e.counted.len() + e.not_counted.len(),
            not_counted_in: not_counted_in.len(),
            because: not_counted_in
                .into_iter()
                .take(DebtSummary::BECAUSE)
                .cloned()
                .collect(),
            with_whom,
            others,
        }
    }
}

/// A negative balance and its explanation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Debt {
    /// Who owes.
    pub account: PublicKey,
    /// In which unit.
    pub unit: String,
    /// How much (the negated balance).
    pub amount: u128,
    /// Why.
    pub explanation: Explanation,
}

/// An event one view includes and the other does not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Difference {
    /// The event.
    pub event: EventId,
    /// Its kind (`"transfer"`, …).
    pub kind: &'static str,
    /// Why the view that leaves it out does so.
    pub status: Status,
    /// Each statement naming it: its verdict in the first and in the second view.
    pub contests: Vec<(StatementRef, Verdict, Verdict)>,
}

/// The events two views over one log disagree on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Comparison {
    /// Included by the first view only.
    pub only_first: Vec<Difference>,
    /// Included by the second view only.
    pub only_second: Vec<Difference>,
}

impl Comparison {
    /// True when the views include the same events.
    pub fn is_empty(&self) -> bool {
        self.only_first.is_empty() && self.only_second.is_empty()
    }
}

impl View {
    /// Whether the event at `ix` counts, and if not, the statements or the ban behind it.
    pub fn status(&self, log: &Log, ix: EventIx) -> Status {
        let author = log.entry(ix).event().author();
        if let Some(reason) = self.authorities().banned.get(&author) {
            return Status::AuthorBanned {
                author,
                reason: reason.clone(),
            };
        }
        if self.is_included(ix) {
            return Status::Included;
        }
        let by = log
            .entry(ix)
            .targeted_by()
            .iter()
            .filter(|&&s| self.verdict(log, s) == Some(Verdict::Counted))
            .filter_map(|&s| statement_ref(log, s))
            .collect();
        Status::Excluded { by }
    }

    /// Every exclusion or dispute naming the event at `ix`, with its verdict here.
    pub fn contests(&self, log: &Log, ix: EventIx) -> Vec<Contest> {
        log.entry(ix)
            .targeted_by()
            .iter()
            .filter_map(|&s| {
                Some(Contest {
                    statement: statement_ref(log, s)?,
                    verdict: self.verdict(log, s)?,
                })
            })
            .collect()
    }

    /// The verdict on a statement; `None` if `s` is not an exclusion or dispute.
    fn verdict(&self, log: &Log, s: EventIx) -> Option<Verdict> {
        let entry = log.entry(s);
        if !matches!(entry.event().body(), Body::Exclude(_) | Body::Dispute(_)) {
            return None;
        }
        let author = entry.event().author();
        // Retracted before excluded: a statement its author took back is
        // said to be so, whoever also left it out.
        let retraction = entry.targeted_by().iter().find(|&&r| {
            matches!(log.entry(r).event().body(), Body::Retract { .. }) && self.is_included(r)
        });
        Some(if self.authorities().banned.contains_key(&author) {
            Verdict::AuthorBanned
        } else if let Some(&r) = retraction {
            Verdict::Retracted {
                by: log.entry(r).event().id(),
            }
        } else if !self.is_included(s) {
            Verdict::Excluded {
                by: match self.status(log, s) {
                    Status::Excluded { by } => by,
                    _ => Vec::new(),
                },
            }
        } else if !self.authorities().trusted.contains(&author) {
            Verdict::Untrusted
        } else {
            Verdict::Counted
        })
    }

    /// The transfers `account` paid or received, or every transfer when
    /// `account` is `None`, in log order (parents before children), each
    /// with its status and contests in this view.
    pub fn transactions(&self, log: &Log, account: Option<&PublicKey>) -> Vec<Transaction> {
        self.transaction_refs(log, account)
            .iter()
            .map(TransactionRef::owned)
            .collect()
    }

    /// [`transactions`](Self::transactions), each borrowing its unit and
    /// memo from `log`.
    pub fn transaction_refs<'a>(
        &self,
        log: &'a Log,
        account: Option<&PublicKey>,
    ) -> Vec<TransactionRef<'a>> {
        match account {
            Some(account) => log
                .transfers_of(account)
                .iter()
                .filter_map(|&ix| self.transaction_ref(log, ix))
                .collect(),
            None => {
                // Room for the transfers at once, counted first: growing a
                // vector of 100,000 rows by doubling holds the old and the
                // new array at each step, and a wasm memory keeps its
                // largest size (room for every event would be that much
                // again in a log of mostly record edits).
                let transfers = (0..log.len() as EventIx)
                    .filter(|&ix| matches!(log.entry(ix).event().body(), Body::Transfer(_)))
                    .count();
                let mut rows = Vec::with_capacity(transfers);
                rows.extend(self.transaction_rows(log));
                rows
            }
        }
    }

    /// Every transfer's row, in log order, one at a time: what
    /// [`transaction_refs`](Self::transaction_refs) collects, for a reader
    /// that keeps only some of them (the page's kept listing compares
    /// each with the last read's and keeps the changed ones).
    pub fn transaction_rows<'v, 'a>(
        &'v self,
        log: &'a Log,
    ) -> impl Iterator<Item = TransactionRef<'a>> + use<'v, 'a> {
        (0..log.len() as EventIx).filter_map(move |ix| self.transaction_ref(log, ix))
    }

    /// The event at `ix` as a row of [`transaction_refs`](Self::transaction_refs),
    /// if it is a transfer.
    pub fn transaction_ref<'a>(&self, log: &'a Log, ix: EventIx) -> Option<TransactionRef<'a>> {
        let event = log.entry(ix).event();
        let Body::Transfer(t) = event.body() else {
            return None;
        };
        Some(TransactionRef {
            event: event.id(),
            from: event.author(),
            to: t.to,
            amount: t.amount,
            unit: &t.unit,
            memo: &t.memo,
            time: event.time(),
            reverses: t.reverses,
            reversed: self.reversed_amount(log, ix),
            status: self.status(log, ix),
            contests: self.contests(log, ix),
        })
    }

    /// Why `account` has its balance in `unit`: every transfer touching it,
    /// split into those that count and those that do not (with the reason).
    pub fn explain(&self, log: &Log, account: &PublicKey, unit: &str) -> Explanation {
        let mut out = Explanation {
            account: *account,
            unit: unit.to_owned(),
            balance: self.balance(log, account, unit),
            counted: Vec::new(),
            not_counted: Vec::new(),
        };
        self.each_movement(log, account, unit, |step| {
            let movement = step.movement(self, log);
            if step.included {
                out.counted.push(movement);
            } else {
                out.not_counted.push(movement);
            }
        });
        out
    }

    /// Each transfer touching `account` in `unit`, in the log's order, as
    /// what it does to the account: the walk under [`explain`](Self::explain)
    /// and [`debt_summaries`](Self::debt_summaries), which needs no
    /// [`Movement`] for most transfers (their statuses and contests are
    /// most of its cost).
    fn each_movement(
        &self,
        log: &Log,
        account: &PublicKey,
        unit: &str,
        mut visit: impl FnMut(MovementStep),
    ) {
        // Reversed payment → what each of its included reversals counts.
        let mut shares: FxHashMap<EventIx, Vec<(EventIx, u64)>> = FxHashMap::default();
        for &ix in log.transfers_of(account) {
            let event = log.entry(ix).event();
            let Body::Transfer(t) = event.body() else {
                continue;
            };
            if t.unit != unit {
                continue;
            }
            let included = self.is_included(ix);
            let counted = match log.entry(ix).reference() {
                Some(original) if included => {
                    let shares = shares
                        .entry(original)
                        .or_insert_with(|| self.reversal_shares(log, original));
                    shares
                        .iter()
                        .find(|(r, _)| *r == ix)
                        .map_or(0, |&(_, counted)| counted)
                }
                _ => t.amount,
            };
            let (counterparty, delta) = if t.to == *account {
                (event.author(), i128::from(counted))
            } else {
                (t.to, -i128::from(counted))
            };
            visit(MovementStep {
                ix,
                counterparty,
                delta,
                capped_from: (counted < t.amount).then_some(t.amount),
                included,
            });
        }
    }

    /// Every debt's summary ([`Debt::summary`]), naming at most `most`
    /// people in each, by account then unit: the same as summing each of
    /// [`debts`](Self::debts), without making a [`Movement`] of every
    /// transfer (a year of history has a hundred thousand; the Debts tab
    /// read them all to show their sums).
    pub fn debt_summaries(&self, log: &Log, most: usize) -> Vec<DebtSummary> {
        self.ledger()
            .balances(log)
            .into_iter()
            .filter(|(_, _, balance)| *balance < 0)
            .map(|(account, unit, balance)| self.summed(log, account, unit, balance, most))
            .collect()
    }

    /// One debt's summary, as [`debt_summaries`](Self::debt_summaries)
    /// gives it, or `None` when `account` is not below zero in `unit`: its
    /// cost is the account's transfers, not everyone's (the Debts tab
    /// shows a page of debts at a time).
    pub fn debt_summary(
        &self,
        log: &Log,
        account: &PublicKey,
        unit: &str,
        most: usize,
    ) -> Option<DebtSummary> {
        let balance = self.balance(log, account, unit);
        (balance < 0).then(|| self.summed(log, *account, unit, balance, most))
    }

    /// The summary of a debt of `balance` (below zero): one walk over the
    /// account's transfers in `unit`.
    fn summed(
        &self,
        log: &Log,
        account: PublicKey,
        unit: &str,
        balance: i128,
        most: usize,
    ) -> DebtSummary {
        let mut by: FxHashMap<PublicKey, WithWhom> = FxHashMap::default();
        let (mut transfers, mut not_counted_in) = (0, 0);
        let mut because = Vec::new();
        self.each_movement(log, &account, unit, |step| {
            transfers += 1;
            if step.included {
                by.entry(step.counterparty)
                    .or_insert_with(|| WithWhom::none(step.counterparty))
                    .add(step.delta);
            } else if step.delta > 0 {
                not_counted_in += 1;
                if because.len() < DebtSummary::BECAUSE {
                    because.push(step.movement(self, log));
                }
            }
        });
        let (with_whom, others) = WithWhom::largest(by, most);
        DebtSummary {
            account,
            unit: unit.to_owned(),
            amount: balance.unsigned_abs(),
            transfers,
            not_counted_in,
            because,
            with_whom,
            others,
        }
    }

    /// Every negative balance, with its explanation, by account then unit.
    pub fn debts(&self, log: &Log) -> Vec<Debt> {
        self.ledger()
            .balances(log)
            .into_iter()
            .filter(|(_, _, balance)| *balance < 0)
            .map(|(account, unit, balance)| Debt {
                account,
                unit: unit.to_owned(),
                amount: balance.unsigned_abs(),
                explanation: self.explain(log, &account, unit),
            })
            .collect()
    }
}

/// Compares two views of one log: the events each includes and the other
/// does not, with the statements (or bans) that make the difference.
pub fn compare(log: &Log, first: &View, second: &View) -> Comparison {
    let mut out = Comparison::default();
    for ix in 0..log.len() as EventIx {
        let (a, b) = (first.is_included(ix), second.is_included(ix));
        if a == b {
            continue;
        }
        let (excluding, list) = if a {
            (second, &mut out.only_first)
        } else {
            (first, &mut out.only_second)
        };
        let contests = log
            .entry(ix)
            .targeted_by()
            .iter()
            .filter_map(|&s| {
                Some((
                    statement_ref(log, s)?,
                    first.verdict(log, s)?,
                    second.verdict(log, s)?,
                ))
            })
            .collect();
        list.push(Difference {
            event: log.entry(ix).event().id(),
            kind: log.entry(ix).event().body().kind(),
            status: excluding.status(log, ix),
            contests,
        });
    }
    out
}

fn statement_ref(log: &Log, s: EventIx) -> Option<StatementRef> {
    let event = log.entry(s).event();
    let (statement, dispute) = match event.body() {
        Body::Exclude(st) => (st, false),
        Body::Dispute(st) => (st, true),
        _ => return None,
    };
    Some(StatementRef {
        id: event.id(),
        author: event.author(),
        dispute,
        reason: statement.reason.clone(),
    })
}

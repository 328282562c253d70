//! Mutual-credit balances: the reduced state of the included transfers.
//!
//! No minting: every account starts at 0 and an included transfer of `a`
//! from P to Q adds −a to P and +a to Q in its unit, so every unit sums to 0.
//! Balances may go negative (a debt), never a rejection. Only non-zero
//! balances are stored, so adding then removing a transfer restores the
//! exact earlier state.

use crate::digest::Digest;
use crate::event::PublicKey;
use crate::log::{AccountIx, Log, UnitIx};
use rustc_hash::FxHashMap;

/// Balances per (account, unit). Updated in O(1) per transfer by the [`View`](crate::View).
///
/// Keyed by the log's interned accounts and units ([`AccountIx`],
/// [`UnitIx`]): two ledgers are equal when they hold the same balances
/// over the same log (another log interns in its own order; compare
/// [`balances`](Self::balances) across logs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    balances: FxHashMap<(AccountIx, UnitIx), i128>,
}

impl Ledger {
    /// Counts (`count = true`) or uncounts a transfer.
    pub(crate) fn apply(
        &mut self,
        from: AccountIx,
        to: AccountIx,
        unit: UnitIx,
        amount: u64,
        count: bool,
    ) {
        let amount = if count {
            i128::from(amount)
        } else {
            -i128::from(amount)
        };
        self.add(from, unit, -amount);
        self.add(to, unit, amount);
    }

    fn add(&mut self, account: AccountIx, unit: UnitIx, delta: i128) {
        let entry = self.balances.entry((account, unit)).or_insert(0);
        *entry += delta;
        if *entry == 0 {
            self.balances.remove(&(account, unit));
        }
    }

    /// The balance of an interned account in an interned unit.
    pub fn balance_ix(&self, account: AccountIx, unit: UnitIx) -> i128 {
        self.balances.get(&(account, unit)).copied().unwrap_or(0)
    }

    /// The balance of an account in a unit (0 when never touched).
    pub fn balance(&self, log: &Log, account: &PublicKey, unit: &str) -> i128 {
        match (log.account_ix(account), log.unit_ix(unit)) {
            (Some(account), Some(unit)) => self.balance_ix(account, unit),
            _ => 0,
        }
    }

    /// Every non-zero balance, sorted by account then unit name.
    pub fn balances<'l>(&self, log: &'l Log) -> Vec<(PublicKey, &'l str, i128)> {
        let mut out: Vec<_> = self
            .balances
            .iter()
            .map(|(&(account, unit), &b)| (*log.account_key(account), log.unit_name(unit), b))
            .collect();
        out.sort_unstable();
        out
    }

    /// How many non-zero balances there are.
    pub fn len(&self) -> usize {
        self.balances.len()
    }

    /// True when every balance is 0.
    pub fn is_empty(&self) -> bool {
        self.balances.is_empty()
    }

    /// A digest of every non-zero balance, independent of arrival order.
    pub fn digest(&self, log: &Log) -> Digest {
        let rows: Vec<Vec<u8>> = self
            .balances(log)
            .into_iter()
            .map(|(account, unit, balance)| {
                let mut row = Vec::with_capacity(32 + 1 + unit.len() + 16);
                row.extend_from_slice(&account.0);
                row.push(unit.len() as u8);
                row.extend_from_slice(unit.as_bytes());
                row.extend_from_slice(&balance.to_be_bytes());
                row
            })
            .collect();
        Digest::of("trustfold ledger state v1", rows.iter().map(Vec::as_slice))
    }
}

//! Every transfer as a JS object, converted once and handed out again while
//! the core's answer for it is unchanged.
//!
//! A page reads all transfers whenever the log or its policy changes, and a
//! year of history is 100,000 of them: converting each to a JS object (five
//! strings, a bigint, arrays) took ≈ 0.6 s of the page's thread in
//! Chromium, most of the call (BENCHMARKS.md, "A year of history in the
//! page"). Most of a list is
//! the same as at the last read (a new payment changes one or two rows), so
//! each transfer's object is kept with what can change about it, and only
//! new or changed rows are converted. An event's id is the hash of what it
//! says, so a row's payer, payee, amount, unit, memo and time cannot change
//! under one id; its status, contests and what reversals paid back can.
//!
//! The rows cross as columns and are made into objects in JS
//! ([`crate::transaction_rows`]); the kept ones are placed by position in
//! the last array, in the same call.
//!
//! This is translation still: the objects are exactly what converting the
//! core's answer gives, and nothing is decided here.

use crate::errors::JsResult;
use crate::transaction_rows::transaction_rows;
use rustc_hash::FxHashMap;
use trustfold::explain::{Contest, Status};
use trustfold::{Body, EventId, EventIx, Log, TransactionRef, View, ViewKey};

/// What about a transfer can change from one read to the next.
#[derive(Clone, PartialEq, Eq)]
struct Changing {
    reversed: u64,
    status: Status,
    contests: Vec<Contest>,
}

impl Changing {
    fn of(t: &TransactionRef) -> Changing {
        Changing {
            reversed: t.reversed,
            status: t.status.clone(),
            contests: t.contests.clone(),
        }
    }

    fn is_of(&self, t: &TransactionRef) -> bool {
        self.reversed == t.reversed && self.status == t.status && self.contests == t.contests
    }
}

/// A copy of the array made at the last read of every transfer, and each
/// row's event and changing part, in its order.
#[derive(Default)]
pub(super) struct KeptTransactions {
    last: js_sys::Array,
    rows: Vec<(EventId, Changing)>,
    /// The log and policy every kept row was listed at (None when rows
    /// were listed at different ones).
    listed_at: Option<ViewKey>,
    /// The kept rows are every transfer of the log at `listed_at`: a read
    /// there hands out a copy of `last` without listing a row.
    whole: bool,
}

impl KeptTransactions {
    /// `all` as a new JS array, reusing the object of each transfer whose
    /// changing part is as it was at the last read. Forgets the rows no
    /// longer listed.
    ///
    /// The core lists transfers in log order, and the log only grows: so
    /// row `i` is looked for at position `i` of the last read first, which
    /// with 100,000 rows takes a fraction of hashing each id. Should a row
    /// ever be elsewhere, the last read's rows are looked up by event.
    /// Only new and changed rows are held while the rows are compared: a
    /// vector of every row was ≈ 20 MB written at each read of a year of
    /// history.
    pub(super) fn array<'a>(
        &mut self,
        all: impl IntoIterator<Item = TransactionRef<'a>>,
    ) -> JsResult<js_sys::Array> {
        // Where `all` was listed is the caller's to say (`read`).
        self.listed_at = None;
        self.whole = false;
        let mut by_event: Option<FxHashMap<EventId, usize>> = None;
        let mut from_last = Vec::with_capacity(self.rows.len());
        let mut fresh = Vec::new();
        for (i, t) in all.into_iter().enumerate() {
            let at = match self.rows.get(i) {
                Some((event, _)) if *event == t.event => Some(i),
                // Every earlier row was at its position, so each row of
                // the last read is accounted for: this one is new.
                None if by_event.is_none() => None,
                _ => by_event
                    .get_or_insert_with(|| {
                        self.rows
                            .iter()
                            .enumerate()
                            .map(|(at, (event, _))| (*event, at))
                            .collect()
                    })
                    .get(&t.event)
                    .copied(),
            };
            match at {
                Some(at) if self.rows[at].1.is_of(&t) => from_last.push(at as i32),
                _ => {
                    from_last.push(-1);
                    fresh.push((i, t));
                }
            }
        }
        // Handed out again by later reads, so frozen: an app writing to
        // one would change what those return.
        let made: Vec<&TransactionRef> = fresh.iter().map(|(_, t)| t).collect();
        let array = transaction_rows(&self.last, &from_last, &made, true)?;
        let mut kept = std::mem::take(&mut self.rows);
        self.rows = if by_event.is_none() {
            // Every row still at its position: only new and changed ones
            // are made again.
            kept.truncate(from_last.len());
            for (i, t) in &fresh {
                match kept.get_mut(*i) {
                    Some(row) => *row = (t.event, Changing::of(t)),
                    None => kept.push((t.event, Changing::of(t))),
                }
            }
            kept
        } else {
            // A row kept is as it was in the last read: its part is taken
            // from there.
            let mut fresh = fresh.iter().peekable();
            (0..from_last.len())
                .map(|i| match fresh.next_if(|(at, _)| *at == i) {
                    Some((_, t)) => (t.event, Changing::of(t)),
                    None => kept[from_last[i] as usize].clone(),
                })
                .collect()
        };
        // A copy: the array handed out is the caller's to sort or cut,
        // and the next read takes kept rows from `last` by position.
        self.last = array.slice(0, array.length());
        Ok(array)
    }
}

impl KeptTransactions {
    /// Whether the kept rows were all listed at `log` under `view`'s policy.
    fn listed_at_is(&self, log: &Log, view: &View) -> bool {
        self.listed_at
            .as_ref()
            .is_some_and(|at| at.is_of(log, view.policy()))
    }

    /// Every transfer of `log` as `view` lists them, as a new JS array
    /// ([`array`](Self::array)). While the log and the policy are those of
    /// the last read, or of the steps that made every row ahead
    /// ([`prepare`](Self::prepare)), the rows are not listed again: the
    /// first read after an open finds them all made, and listing 100,000
    /// only to find each unchanged held the page ≈ 20 ms.
    pub(super) fn read(&mut self, log: &Log, view: &View) -> JsResult<js_sys::Array> {
        if self.whole && self.listed_at_is(log, view) {
            return Ok(self.last.slice(0, self.last.length()));
        }
        let array = self.array(view.transaction_rows(log))?;
        self.listed_at = Some(ViewKey::of(log, view.policy()));
        self.whole = true;
        Ok(array)
    }

    /// Makes the objects of up to `count` transfers of `log` (as `view`
    /// lists them) past those kept, when the kept rows are the log's first
    /// transfers (otherwise forgets them and starts at the first), so that
    /// the next [`array`](Self::array) finds them: a page spreads the
    /// first read of a long history over several tasks. A step costs the
    /// rows it makes and a walk over the log's events (their bodies'
    /// kinds and ids), not a listing of every transfer. Returns how many
    /// transfers are left to make.
    pub(super) fn prepare(&mut self, log: &Log, view: &View, count: usize) -> JsResult<usize> {
        let transfers = (0..log.len() as EventIx)
            .filter(|&ix| matches!(log.entry(ix).event().body(), Body::Transfer(_)));
        // Where the kept rows end in the log, if they are its first transfers.
        let mut next = 0;
        let mut kept = 0;
        for ix in transfers.clone() {
            match self.rows.get(kept) {
                Some((event, _)) if *event == log.entry(ix).event().id() => kept += 1,
                _ => break,
            }
            next = ix + 1;
        }
        if kept < self.rows.len() {
            // A kept row that is not the log's next transfer: not this
            // log's first rows. Made again from the first.
            *self = KeptTransactions::default();
            next = 0;
        }
        // Not whole until this step has made its rows: a step that fails
        // (a string past the engine's limit) leaves no claim that the
        // rows kept are every transfer of this log.
        self.whole = false;
        // Rows made at another log or policy than the earlier ones may
        // disagree with them (a payment excluded between two steps): the
        // rows are then whole only once a read has listed them all.
        if self.rows.is_empty() {
            self.listed_at = Some(ViewKey::of(log, view.policy()));
        } else if !self.listed_at_is(log, view) {
            self.listed_at = None;
        }
        let rows: Vec<TransactionRef> = transfers
            .clone()
            .skip_while(|&ix| ix < next)
            .take(count)
            .filter_map(|ix| view.transaction_ref(log, ix))
            .collect();
        if !rows.is_empty() {
            let fresh: Vec<&TransactionRef> = rows.iter().collect();
            let made =
                transaction_rows(&js_sys::Array::new(), &vec![-1; fresh.len()], &fresh, true)?;
            self.last = self.last.concat(&made);
            self.rows
                .extend(rows.iter().map(|t| (t.event, Changing::of(t))));
        }
        let left = transfers.count() - self.rows.len();
        self.whole = left == 0;
        Ok(left)
    }
}

#[cfg(test)]
mod tests {
    use super::KeptTransactions;
    use trustfold::explain::Status;
    use trustfold::{EventId, Identity, TransactionRef};
    use wasm_bindgen::JsValue;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn row(n: u8) -> TransactionRef<'static> {
        TransactionRef {
            event: EventId([n; 32]),
            from: Identity::from_secret([1; 32]).public_key(),
            to: Identity::from_secret([2; 32]).public_key(),
            amount: u64::from(n),
            unit: "EUR",
            memo: ["row 1", "row 2", "row 3"][usize::from(n) - 1],
            time: 0,
            reverses: None,
            reversed: 0,
            status: Status::Included,
            contests: Vec::new(),
        }
    }

    fn same(a: &JsValue, b: &JsValue) -> bool {
        js_sys::Object::is(a, b)
    }

    /// The log only grows, so rows are looked for at their position; rows
    /// found elsewhere (never in the core's order today) are still reused,
    /// and a changed row is made again wherever it is.
    #[wasm_bindgen_test]
    fn rows_are_reused_at_their_position_or_found_by_event() {
        let mut kept = KeptTransactions::default();
        let first = kept.array([row(1), row(2)]).unwrap();
        let grown = kept.array([row(1), row(2), row(3)]).unwrap();
        assert!(same(&grown.get(0), &first.get(0)) && same(&grown.get(1), &first.get(1)));
        assert!(!same(&grown.get(2), &JsValue::UNDEFINED));

        let mut excluded = row(1);
        excluded.status = Status::Excluded { by: Vec::new() };
        let moved = kept.array([row(3), excluded, row(2)]).unwrap();
        assert!(same(&moved.get(0), &grown.get(2)), "found by its event");
        assert!(same(&moved.get(2), &grown.get(1)), "found by its event");
        assert!(!same(&moved.get(1), &grown.get(0)), "changed: made again");
        let status = js_sys::Reflect::get(&moved.get(1), &"status".into()).unwrap();
        assert_eq!(status, JsValue::from_str("excluded"));

        // After a reordering, positions are those of the last read.
        let again = kept.array([row(3), row(1), row(2)]).unwrap();
        assert!(same(&again.get(0), &moved.get(0)) && same(&again.get(2), &moved.get(2)));
        assert!(
            !same(&again.get(1), &moved.get(1)),
            "changed back: made again"
        );
        let shrunk = kept.array([row(3)]).unwrap();
        assert_eq!(shrunk.length(), 1);
        assert!(same(&shrunk.get(0), &again.get(0)));
    }

    /// The first read of a long history is made in steps: the rows made
    /// ahead are the ones the next read hands out, and a row that changed
    /// meanwhile is made again. Kept rows that are not the log's first
    /// transfers are forgotten.
    #[wasm_bindgen_test]
    fn rows_made_ahead_in_steps_are_the_ones_read() {
        use trustfold::testing::{id, key, pay};
        use trustfold::{Body, Policy, Replica, Statement, TrustLevel};
        let mut node = Replica::new(Policy::new(key(50)));
        let mut payments = Vec::new();
        for n in 1..=3 {
            payments.push(node.publish(&id(1), n, pay(key(2), n, "EUR")).unwrap());
            // Events that are not transfers between them.
            node.publish(&id(3), n, pay(key(4), 1, "HOURS")).unwrap();
            let level = [TrustLevel::Trusted, TrustLevel::Neutral][n as usize % 2];
            node.publish(
                &id(5),
                n,
                Body::Trust {
                    subject: key(9),
                    level,
                },
            )
            .unwrap();
        }
        let mut kept = KeptTransactions::default();
        let prepare = |kept: &mut KeptTransactions, node: &Replica, n| {
            kept.prepare(node.log(), node.view(), n).unwrap()
        };
        assert_eq!(prepare(&mut kept, &node, 2), 4);
        let made = kept.last.clone();
        assert_eq!(made.length(), 2);
        assert_eq!(prepare(&mut kept, &node, 0), 4, "nothing made");
        assert_eq!(prepare(&mut kept, &node, 10), 0);
        // The second payment excluded by me: made again; the others reused.
        node.publish(
            &id(50),
            9,
            Body::Exclude(Statement {
                target: payments[1].id(),
                reason: "no".into(),
            }),
        )
        .unwrap();
        let all = node.view().transaction_refs(node.log(), None);
        assert_eq!(all.len(), 6);
        let read = kept.array(all).unwrap();
        assert!(same(&read.get(0), &made.get(0)), "made ahead");
        assert!(same(&read.get(1), &made.get(1)), "made ahead");
        let status = js_sys::Reflect::get(&read.get(2), &"status".into()).unwrap();
        assert_eq!(status, JsValue::from_str("excluded"), "changed: made again");

        // Kept rows that are not this log's first transfers: made from the first.
        let mut other = Replica::new(Policy::new(key(50)));
        other.publish(&id(7), 1, pay(key(2), 5, "EUR")).unwrap();
        assert_eq!(prepare(&mut kept, &other, 1), 0);
        assert_eq!(kept.last.length(), 1);
        let alone = kept
            .array(other.view().transaction_refs(other.log(), None))
            .unwrap();
        assert!(same(&alone.get(0), &kept.last.get(0)));
    }

    /// A read at the log and policy the rows were all made at hands them
    /// out as made; a row made before a change between two steps, a new
    /// event, or another policy with the same log is listed again.
    #[wasm_bindgen_test]
    fn a_read_lists_the_rows_again_unless_they_were_all_made_at_this_log_and_policy() {
        use trustfold::testing::{id, key, pay};
        use trustfold::{Body, Policy, Replica, Statement};
        let status = |rows: &js_sys::Array, i| {
            js_sys::Reflect::get(&rows.get(i), &"status".into())
                .unwrap()
                .as_string()
                .unwrap()
        };
        let mut node = Replica::new(Policy::new(key(50)));
        let payments: Vec<_> = (1..=4)
            .map(|n| node.publish(&id(1), n, pay(key(2), n, "EUR")).unwrap())
            .collect();
        let mut kept = KeptTransactions::default();
        assert_eq!(kept.prepare(node.log(), node.view(), 2).unwrap(), 2);
        assert_eq!(kept.prepare(node.log(), node.view(), 2).unwrap(), 0);
        let read = kept.read(node.log(), node.view()).unwrap();
        assert_eq!(read.length(), 4);
        assert!(
            (0..4).all(|i| same(&read.get(i), &kept.last.get(i))),
            "made ahead"
        );
        assert!(!same(&read, &kept.last), "a copy: the caller's to sort");

        // An exclusion between two steps: the first step's row is stale.
        let mut kept = KeptTransactions::default();
        assert_eq!(kept.prepare(node.log(), node.view(), 2).unwrap(), 2);
        node.publish(
            &id(50),
            1,
            Body::Exclude(Statement {
                target: payments[0].id(),
                reason: "no".into(),
            }),
        )
        .unwrap();
        assert_eq!(kept.prepare(node.log(), node.view(), 2).unwrap(), 0);
        let read = kept.read(node.log(), node.view()).unwrap();
        assert_eq!(status(&read, 0), "excluded", "listed again");

        // Another policy over the same log: listed again.
        let again = kept.read(node.log(), node.view()).unwrap();
        assert!(
            same(&again.get(0), &read.get(0)),
            "same log and policy: kept"
        );
        let mut banning = node.view().policy().clone();
        banning.banned.insert(key(1));
        node.set_policy(banning);
        let banned = kept.read(node.log(), node.view()).unwrap();
        assert_eq!(status(&banned, 1), "authorBanned");

        // A new payment: listed again, the others kept.
        node.publish(&id(1), 5, pay(key(2), 5, "EUR")).unwrap();
        let grown = kept.read(node.log(), node.view()).unwrap();
        assert_eq!(grown.length(), 5);
        assert!(same(&grown.get(1), &banned.get(1)));
    }
}

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
//! This is translation still: the objects are exactly what converting the
//! core's answer gives, and nothing is decided here.

use crate::errors::JsResult;
use crate::types;
use rustc_hash::FxHashMap;
use trustfold::explain::{Contest, Status};
use trustfold::{EventId, Transaction};
use wasm_bindgen::{JsCast, JsValue};

/// What about a transfer can change from one read to the next.
#[derive(PartialEq, Eq)]
struct Changing {
    reversed: u64,
    status: Status,
    contests: Vec<Contest>,
}

impl Changing {
    fn of(t: &Transaction) -> Changing {
        Changing {
            reversed: t.reversed,
            status: t.status.clone(),
            contests: t.contests.clone(),
        }
    }
}

/// The objects made at the last read of every transfer, by event.
#[derive(Default)]
pub(super) struct KeptTransactions {
    by_event: FxHashMap<EventId, (Changing, JsValue)>,
}

impl KeptTransactions {
    /// `all` as a new JS array, reusing the object of each transfer whose
    /// changing part is as it was at the last read. Forgets the rows no
    /// longer listed.
    pub(super) fn array(&mut self, all: &[Transaction]) -> JsResult<js_sys::Array> {
        let mut next = FxHashMap::with_capacity_and_hasher(all.len(), Default::default());
        let mut values = Vec::with_capacity(all.len());
        let mut to_convert = Vec::new();
        for (i, t) in all.iter().enumerate() {
            let changing = Changing::of(t);
            match self.by_event.remove(&t.event) {
                Some((before, value)) if before == changing => {
                    values.push(value.clone());
                    next.insert(t.event, (changing, value));
                }
                _ => {
                    values.push(JsValue::UNDEFINED);
                    to_convert.push(i);
                }
            }
        }
        let rows: Vec<&Transaction> = to_convert.iter().map(|&i| &all[i]).collect();
        for (&i, value) in to_convert.iter().zip(types::transaction_objects(&rows)?) {
            // Handed out again by later reads: an app writing to one would
            // change what those return.
            js_sys::Object::freeze(value.unchecked_ref::<js_sys::Object>());
            next.insert(all[i].event, (Changing::of(&all[i]), value.clone()));
            values[i] = value;
        }
        self.by_event = next;
        let array = js_sys::Array::new_with_length(all.len() as u32);
        for (i, value) in values.into_iter().enumerate() {
            array.set(i as u32, value);
        }
        Ok(array)
    }
}

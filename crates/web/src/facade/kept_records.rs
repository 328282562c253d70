//! A collection's records as JS objects, converted once and handed out
//! again while each record reads as it did.
//!
//! The Records panel reads the open collection at every change, and a
//! collection can hold thousands of records of which a keystroke changes
//! one: converting all 5,000 of a big one took ≈ 30 ms of the page's
//! thread at every read, most of it (BENCHMARKS.md, "A year of history in
//! the page"). So each record's object is kept with the record it was made
//! from, and only new or changed records are converted; a JS snippet
//! (`js/records.js`) puts the array together in one call.
//!
//! This is translation still: the objects are exactly what converting the
//! core's answer gives, and nothing is decided here.

use crate::errors::{JsResult, invalid};
use trustfold::{Collection, Record};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/records.js")]
extern "C" {
    // `catch`: a throw in JS comes back as an error, not an unwinding past
    // the node's borrows.
    #[wasm_bindgen(catch, js_name = placeRecords)]
    fn place_records(
        previous: &js_sys::Array,
        from_previous: &js_sys::Int32Array,
        fresh: &JsValue,
    ) -> Result<js_sys::Array, JsValue>;
}

/// How many collections' records are kept: a page reads the open one and
/// the index of collection names at every change, and an app a few.
const KEPT_COLLECTIONS: usize = 4;

/// The records of the collections read last (the latest first).
#[derive(Default)]
pub(super) struct KeptRecords {
    collections: Vec<KeptCollection>,
}

/// One collection's records at its last read, in the core's order (by
/// name), and a copy of the array they were handed out in.
#[derive(Default)]
struct KeptCollection {
    name: String,
    last: js_sys::Array,
    records: Vec<(String, Record)>,
}

impl KeptRecords {
    /// The records of `collection` (read as `now`) as a new JS array,
    /// reusing the object of each record that reads as at the last read of
    /// that collection.
    pub(super) fn array(&mut self, collection: &str, now: &Collection) -> JsResult<js_sys::Array> {
        let mut kept = match self.collections.iter().position(|c| c.name == collection) {
            Some(at) => self.collections.remove(at),
            None => KeptCollection {
                name: collection.to_owned(),
                ..KeptCollection::default()
            },
        };
        let array = kept.array(now);
        if array.is_ok() {
            self.collections.insert(0, kept);
            self.collections.truncate(KEPT_COLLECTIONS);
        }
        array
    }
}

impl KeptCollection {
    fn array(&mut self, now: &Collection) -> JsResult<js_sys::Array> {
        // Both lists are in name order: one walk pairs them.
        let mut last = std::mem::take(&mut self.records)
            .into_iter()
            .enumerate()
            .peekable();
        let mut from_last = Vec::with_capacity(now.records.len());
        let mut fresh = Vec::new();
        let mut records = Vec::with_capacity(now.records.len());
        for (name, record) in &now.records {
            while last.next_if(|(_, (was, _))| was < name).is_some() {}
            match last.next_if(|(_, (was, r))| was == name && r == record) {
                Some((at, kept)) => {
                    from_last.push(i32::try_from(at).map_err(|_| invalid("too many records"))?);
                    records.push(kept);
                }
                None => {
                    from_last.push(-1);
                    fresh.push((&name[..], record));
                    records.push((name.clone(), record.clone()));
                }
            }
        }
        let fresh = crate::record_objects::records(&fresh)?;
        let array = place_records(
            &self.last,
            &js_sys::Int32Array::from(&from_last[..]),
            &fresh,
        )?;
        self.records = records;
        // A copy: the array handed out is the caller's to sort or cut, and
        // the next read takes kept records from `last` by position.
        self.last = array.slice(0, array.length());
        Ok(array)
    }
}

#[cfg(test)]
mod tests {
    use super::KeptRecords;
    use trustfold::{Collection, Field, Record, Scalar, Value};
    use wasm_bindgen::JsValue;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn record(n: f64) -> Record {
        let mut record = Record::default();
        record.fields.insert(
            "n".into(),
            Field {
                value: Value::Scalar(Scalar::Number(n)),
                conflicts: Vec::new(),
            },
        );
        record
    }

    fn collection(records: &[(&str, f64)]) -> Collection {
        Collection {
            records: records
                .iter()
                .map(|(name, n)| ((*name).to_owned(), record(*n)))
                .collect(),
        }
    }

    fn same(a: &JsValue, b: &JsValue) -> bool {
        js_sys::Object::is(a, b)
    }

    fn n_of(record: &JsValue) -> f64 {
        let fields = js_sys::Reflect::get(record, &"fields".into()).unwrap();
        let n = js_sys::Reflect::get(&fields, &"n".into()).unwrap();
        js_sys::Reflect::get(&n, &"value".into())
            .unwrap()
            .as_f64()
            .unwrap()
    }

    /// An unchanged record is the same object read after read; a new or
    /// changed one is made again, wherever it falls among the others; one
    /// gone is gone. The objects are frozen, and the array the caller gets
    /// is theirs: changing it changes no later read. Collections are kept
    /// apart.
    #[wasm_bindgen_test]
    fn records_are_reused_while_they_read_the_same() {
        let mut kept = KeptRecords::default();
        let first = kept
            .array("c", &collection(&[("b", 1.0), ("d", 2.0)]))
            .unwrap();
        let grown = kept
            .array(
                "c",
                &collection(&[("a", 0.0), ("b", 1.0), ("c", 5.0), ("d", 2.0)]),
            )
            .unwrap();
        assert_eq!(grown.length(), 4);
        assert!(same(&grown.get(1), &first.get(0)) && same(&grown.get(3), &first.get(1)));
        assert_eq!(n_of(&grown.get(0)), 0.0);
        assert_eq!(n_of(&grown.get(2)), 5.0);

        // The caller reverses and cuts its array: no later read changes.
        grown.reverse();
        grown.set_length(1);
        let changed = kept
            .array("c", &collection(&[("a", 0.0), ("b", 9.0), ("d", 2.0)]))
            .unwrap();
        assert_eq!(changed.length(), 3);
        assert_eq!(n_of(&changed.get(1)), 9.0, "changed: made again");
        assert_eq!(n_of(&changed.get(0)), 0.0);
        assert!(same(&changed.get(2), &first.get(1)));
        assert!(js_sys::Object::is_frozen(&changed.get(1).into()));
        let fields = js_sys::Reflect::get(&changed.get(1), &"fields".into()).unwrap();
        assert!(js_sys::Object::is_frozen(&fields.into()), "frozen through");

        // Another collection: nothing of this one is handed out there, and
        // reading it between two reads of this one keeps this one's.
        let other = kept.array("o", &collection(&[("d", 2.0)])).unwrap();
        assert!(!same(&other.get(0), &first.get(1)));
        assert_eq!(n_of(&other.get(0)), 2.0);
        let back = kept
            .array("c", &collection(&[("a", 0.0), ("b", 9.0), ("d", 2.0)]))
            .unwrap();
        assert!((0..3).all(|i| same(&back.get(i), &changed.get(i))));
    }
}

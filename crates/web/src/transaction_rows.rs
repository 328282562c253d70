//! Transfers as JS objects, crossing to JS as columns.
//!
//! With 100,000 payments, making each row's object from wasm cost a call
//! across the boundary for every field (and every string's decoding), ≈
//! 0.25 s of the page's thread (BENCHMARKS.md, "A year of history in the
//! page"). So the rows cross as columns, in one call: typed arrays for
//! numbers, one string each for the event ids, keys, memos and reversed
//! ids (each row's a slice), and objects only for the rare rows with
//! reasons or contests; `js/rows.js` makes the objects from them in a
//! loop. Their shape is the package's `Transaction` type (the TypeScript
//! section in `facade/mod.rs`).

use crate::errors::JsResult;
use crate::types::{self, JsContest, JsStatus, JsWhy};
use rustc_hash::FxHashMap;
use serde::Serialize;
use trustfold::explain::Status;
use trustfold::{PublicKey, TransactionRef};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/js/rows.js")]
extern "C" {
    // `catch`: a throw in JS (a string past the engine's length limit)
    // comes back as an error, not an unwinding past the node's borrows.
    #[wasm_bindgen(catch, js_name = transactionRows)]
    fn rows_from_columns(
        previous: &js_sys::Array,
        from_previous: &js_sys::Int32Array,
        columns: &js_sys::Object,
    ) -> Result<js_sys::Array, JsValue>;
}

/// Every status word, in the order of the `status` column's codes (the
/// words cross once, as `statuses`).
const STATUS_WORDS: [JsStatus; 3] = [
    JsStatus::Included,
    JsStatus::Excluded,
    JsStatus::AuthorBanned,
];

/// A status's code: its word's position in [`STATUS_WORDS`] (a test
/// checks the two agree; a new status is a compile error here).
fn status_code(s: &Status) -> u8 {
    match types::status(s) {
        JsStatus::Included => 0,
        JsStatus::Excluded => 1,
        JsStatus::AuthorBanned => 2,
    }
}

/// The reasons and contests of one new row (most rows have neither).
#[derive(Serialize)]
struct Extra {
    row: u32,
    why: Option<JsWhy>,
    contests: Vec<JsContest>,
}

/// The rows in order: where `from_previous[i]` is 0 or more, row `i` is
/// `previous`'s object at that position; the others are `fresh`, in
/// order, made into objects (frozen if `freeze`).
pub fn transaction_rows(
    previous: &js_sys::Array,
    from_previous: &[i32],
    fresh: &[&TransactionRef],
    freeze: bool,
) -> JsResult<js_sys::Array> {
    let n = fresh.len();
    let mut ids = String::with_capacity(n * 64);
    let mut keys = String::new();
    let mut key_ix: FxHashMap<PublicKey, u32> = FxHashMap::default();
    let mut key = |k: &PublicKey| {
        *key_ix.entry(*k).or_insert_with(|| {
            k.push_hex(&mut keys);
            (keys.len() / 64 - 1) as u32
        })
    };
    let (mut from, mut to) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut units: Vec<&str> = Vec::new();
    let mut unit_ix: FxHashMap<&str, u32> = FxHashMap::default();
    let mut unit = Vec::with_capacity(n);
    let mut memos = String::new();
    // Each memo's end in `memos`, in UTF-16 code units as JS counts.
    let mut memo_ends = Vec::with_capacity(n);
    let mut memo_end = 0u32;
    let (mut amounts, mut reversed) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut times = Vec::with_capacity(n);
    let mut reverses = String::new();
    let mut has_reverses = Vec::with_capacity(n);
    let mut status = Vec::with_capacity(n);
    let mut extras = Vec::new();
    for (r, t) in fresh.iter().enumerate() {
        t.event.push_hex(&mut ids);
        from.push(key(&t.from));
        to.push(key(&t.to));
        amounts.push(t.amount);
        let next = units.len() as u32;
        unit.push(*unit_ix.entry(t.unit).or_insert_with(|| {
            units.push(t.unit);
            next
        }));
        memos.push_str(t.memo);
        memo_end += t.memo.encode_utf16().count() as u32;
        memo_ends.push(memo_end);
        times.push(t.time as f64);
        has_reverses.push(u8::from(t.reverses.is_some()));
        if let Some(id) = t.reverses {
            id.push_hex(&mut reverses);
        }
        reversed.push(t.reversed);
        status.push(status_code(&t.status));
        let why = types::why(&t.status);
        if why.is_some() || !t.contests.is_empty() {
            extras.push(Extra {
                row: r as u32,
                why,
                contests: t.contests.iter().map(types::contest).collect(),
            });
        }
    }
    let columns = js_sys::Object::new();
    let set = |name: &str, value: &JsValue| {
        js_sys::Reflect::set(&columns, &JsValue::from_str(name), value).map(|_| ())
    };
    set("ids", &ids.into())?;
    set("keys", &keys.into())?;
    set("from", &js_sys::Uint32Array::from(&from[..]))?;
    set("to", &js_sys::Uint32Array::from(&to[..]))?;
    set("amounts", &js_sys::BigUint64Array::from(&amounts[..]))?;
    set("units", &types::to_js(&units)?)?;
    set("unit", &js_sys::Uint32Array::from(&unit[..]))?;
    set("memos", &memos.into())?;
    set("memoEnds", &js_sys::Uint32Array::from(&memo_ends[..]))?;
    set("times", &js_sys::Float64Array::from(&times[..]))?;
    set("reverses", &reverses.into())?;
    set("hasReverses", &js_sys::Uint8Array::from(&has_reverses[..]))?;
    set("reversed", &js_sys::BigUint64Array::from(&reversed[..]))?;
    set("status", &js_sys::Uint8Array::from(&status[..]))?;
    set("statuses", &types::to_js(&STATUS_WORDS)?)?;
    set("extras", &types::to_js(&extras)?)?;
    set("freeze", &freeze.into())?;
    rows_from_columns(previous, &js_sys::Int32Array::from(from_previous), &columns)
}

/// `list` as new objects, in order.
pub fn transaction_objects(list: &[&TransactionRef]) -> JsResult<js_sys::Array> {
    transaction_rows(&js_sys::Array::new(), &vec![-1; list.len()], list, false)
}

#[cfg(test)]
mod tests {
    use super::{STATUS_WORDS, status_code};
    use trustfold::BanReason;
    use trustfold::explain::Status;

    #[wasm_bindgen_test::wasm_bindgen_test]
    fn each_status_code_is_its_words_position() {
        let author = trustfold::Identity::from_secret([1; 32]).public_key();
        for status in [
            Status::Included,
            Status::Excluded { by: Vec::new() },
            Status::AuthorBanned {
                author,
                reason: BanReason::Local,
            },
        ] {
            let code = usize::from(status_code(&status));
            assert!(STATUS_WORDS[code] == crate::types::status(&status));
        }
    }
}

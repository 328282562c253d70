//! Records as JS objects: every answer that holds records converts them
//! here, so a field named `__proto__` is a field in each.
//!
//! serde-wasm-bindgen sets an object's keys by assignment, and assigning
//! `__proto__` sets the object's prototype instead: a record with a field
//! of that name crossed with the field missing from `Object.keys` and
//! every field list, and its value reachable only as the prototype (the
//! review of 942753d). The name is rare and legitimate (any app may use
//! any name, and a remote writer may), so it is made an own property
//! again, in its place among the fields.

use crate::errors::JsResult;
use crate::types;
use trustfold::Record;
use wasm_bindgen::prelude::*;

/// The field name that assignment does not set.
const PROTO: &str = "__proto__";

#[wasm_bindgen(module = "/js/records.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = ownProtoField)]
    fn own_proto_field(record: &JsValue, at: u32) -> Result<(), JsValue>;
}

/// One record as JS, or `null` for none.
pub fn record(id: &str, record: Option<&Record>) -> JsResult<JsValue> {
    let js = types::to_js(&record.map(|r| types::record(id, r)))?;
    if let Some(record) = record {
        mend(&js, record)?;
    }
    Ok(js)
}

/// Records (id, record) as a JS array of records, in order.
pub fn records<'a>(records: &[(&'a str, &'a Record)]) -> JsResult<JsValue> {
    let converted: Vec<_> = records.iter().map(|(id, r)| types::record(id, r)).collect();
    let array = types::to_js(&converted)?;
    for (i, (_, core)) in records.iter().enumerate() {
        if core.fields.contains_key(PROTO) {
            mend(&js_sys::Reflect::get_u32(&array, i as u32)?, core)?;
        }
    }
    Ok(array)
}

/// Makes the `__proto__` field of `record` (the converted `JsRecord` of
/// `core`, inside a larger answer) an own property of its `fields`, if
/// `core` has one.
pub fn mend(record: &JsValue, core: &Record) -> JsResult<()> {
    if let Some(at) = core.fields.keys().position(|name| name == PROTO) {
        own_proto_field(record, at as u32)?;
    }
    Ok(())
}

//! A field named `__proto__`, kept a field in the JS answers.
//!
//! serde-wasm-bindgen sets an object's keys by assignment, and assigning
//! `__proto__` sets the object's prototype instead: a record with a field
//! of that name crossed with the field missing from `Object.keys` and
//! every field list, and its value reachable only as the prototype (the
//! review of 942753d). The name is rare and legitimate (any app may use
//! any name, and a remote writer may), so it is made an own property
//! again, in its place among the fields, wherever a record crosses.

use crate::errors::JsResult;
use trustfold::Record;
use wasm_bindgen::prelude::*;

/// The field name that assignment does not set.
const PROTO: &str = "__proto__";

#[wasm_bindgen(module = "/js/records.js")]
extern "C" {
    #[wasm_bindgen(catch, js_name = ownProtoField)]
    fn own_proto_field(record: &JsValue, at: u32) -> Result<(), JsValue>;
}

/// Makes the `__proto__` field of `record` (the converted `JsRecord` of
/// `core`) an own property of its `fields`, if `core` has one.
pub fn mend(record: &JsValue, core: &Record) -> JsResult<()> {
    if let Some(at) = core.fields.keys().position(|name| name == PROTO) {
        own_proto_field(record, at as u32)?;
    }
    Ok(())
}

/// [`mend`] for each record of `array` (converted from `cores`, in order).
pub fn mend_each<'a>(array: &JsValue, cores: impl IntoIterator<Item = &'a Record>) -> JsResult<()> {
    for (i, core) in cores.into_iter().enumerate() {
        if core.fields.contains_key(PROTO) {
            mend(&js_sys::Reflect::get_u32(array, i as u32)?, core)?;
        }
    }
    Ok(())
}

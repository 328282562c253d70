//! What a person reads from a document: collections of records of fields.

use crate::digest::Digest;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A value written into a record field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Scalar {
    /// No value.
    Null,
    /// true or false.
    Bool(bool),
    /// A number (JavaScript's double).
    Number(f64),
    /// A short string that is replaced as a whole (use text for prose).
    Str(String),
}

/// A field's value as read from a document view.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// A scalar.
    Scalar(Scalar),
    /// Collaborative text: concurrent edits merge character by character.
    Text(String),
    /// Something this API does not write (a nested list or map, a counter,
    /// bytes…), written by another client; named by its kind.
    Other(String),
}

/// A field: the winning value and every concurrent version that lost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// What the field shows: the value with the highest operation id.
    pub value: Value,
    /// Values written concurrently that did not win, highest id first.
    pub conflicts: Vec<Value>,
}

/// A record: named fields.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Fields by name.
    pub fields: BTreeMap<String, Field>,
}

impl Record {
    /// The winning value of a field.
    pub fn get(&self, field: &str) -> Option<&Value> {
        self.fields.get(field).map(|f| &f.value)
    }

    /// The text of a text field.
    pub fn text(&self, field: &str) -> Option<&str> {
        match self.get(field)? {
            Value::Text(text) => Some(text),
            _ => None,
        }
    }
}

/// A collection: records by id.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Collection {
    /// Records by id.
    pub records: BTreeMap<String, Record>,
}

impl Collection {
    /// A digest of the whole view: equal views give equal digests on every node.
    pub fn digest(&self) -> Digest {
        let bytes = crate::encode::to_bytes(self);
        Digest::of("trustfold collection view v1", [bytes.as_slice()])
    }
}

/// The name a value of an object kind other than text shows as
/// (`Value::Other`): a fixed word per kind, without `Debug` and Unicode
/// case tables in the package.
pub(crate) fn object_kind_name(kind: automerge::ObjType) -> String {
    match kind {
        automerge::ObjType::Map => "map",
        automerge::ObjType::Table => "table",
        automerge::ObjType::List => "list",
        automerge::ObjType::Text => "text",
    }
    .to_owned()
}

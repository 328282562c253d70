//! Reading records straight from Automerge, when nothing in the document is
//! masked for the viewer (the op history's reduction is the other way; a
//! whole collection is kept read, [`direct_reading`](super::direct_reading)).

use super::value::{Field, Record, Value};
use super::{DELETED_FIELD, history};
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc, ScalarValueRef, ValueRef};

/// Reads one record straight from Automerge (nothing masked): `None` if
/// there is none of that name, or it is deleted.
pub(super) fn read_direct_record(doc: &AutoCommit, name: &str) -> Option<Record> {
    let Ok(Some((automerge::Value::Object(ObjType::Map), obj))) = doc.get(automerge::ROOT, name)
    else {
        return None;
    };
    match read_record_object(doc, &obj) {
        (_, true) => None,
        (record, false) => Some(record),
    }
}

/// A record's object read in one pass over its keys: its fields, and
/// whether it is marked deleted ([`is_deleted`]). A field written once
/// is read as the pass finds it; one written at once by several people
/// is looked up with every value ([`field_values`]).
pub(super) fn read_record_object(doc: &AutoCommit, obj: &ObjId) -> (Record, bool) {
    let mut record = Record::default();
    let mut deleted = false;
    for item in doc.map_range(obj, ..) {
        if item.key == DELETED_FIELD {
            deleted = matches!(item.value, ValueRef::Scalar(ScalarValueRef::Boolean(true)));
            continue;
        }
        let field = if item.conflict {
            let mut values = field_values(doc, obj, &item.key)
                .into_iter()
                .map(|(v, _)| v);
            let Some(value) = values.next() else {
                continue;
            };
            Field {
                value,
                conflicts: values.collect(),
            }
        } else {
            let id = item.id();
            Field {
                value: value_of(doc, automerge::Value::from(item.value), &id),
                conflicts: Vec::new(),
            }
        };
        record.fields.insert(item.key.into_owned(), field);
    }
    (record, deleted)
}

/// Whether a record's object is marked deleted: the winning value of
/// [`DELETED_FIELD`] is `true`.
pub(super) fn is_deleted(doc: &AutoCommit, obj: &ObjId) -> bool {
    matches!(
        doc.get(obj, DELETED_FIELD),
        Ok(Some((automerge::Value::Scalar(s), _))) if matches!(s.as_ref(), automerge::ScalarValue::Boolean(true))
    )
}

/// Every value a field holds (the winner first, then the values written
/// at once with it), each with the id of the op that wrote it.
pub(super) fn field_values(doc: &AutoCommit, obj: &ObjId, field: &str) -> Vec<(Value, ObjId)> {
    let Ok(mut values) = doc.get_all(obj, field) else {
        return Vec::new();
    };
    // Highest op id first: the winner, then the conflicts.
    values.sort_by_key(|v| std::cmp::Reverse(exid_order(&v.1)));
    values
        .into_iter()
        .map(|(v, id)| (value_of(doc, v, &id), id))
        .collect()
}

/// A value as read: a scalar, a text's characters, or another object's
/// kind. `id` is the op that wrote it (for an object, the object).
fn value_of(doc: &AutoCommit, value: automerge::Value<'_>, id: &ObjId) -> Value {
    match value {
        automerge::Value::Scalar(s) => history::scalar_value(&s),
        // `text` fails only for an object the document lacks or that is
        // not text; `id` is this document's text object, just read.
        automerge::Value::Object(ObjType::Text) => Value::Text(doc.text(id).unwrap_or_default()),
        automerge::Value::Object(kind) => Value::Other(super::value::object_kind_name(kind)),
    }
}

fn exid_order(id: &ObjId) -> (u64, Vec<u8>) {
    match id {
        ObjId::Root => (0, Vec::new()),
        ObjId::Id(counter, actor, _) => (*counter, actor.to_bytes().to_vec()),
    }
}

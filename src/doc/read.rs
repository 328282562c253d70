//! Reading a collection straight from Automerge, when nothing in it is
//! masked for the viewer (the op history's reduction is the other way).

use super::value::{Collection, Field, Record, Value};
use super::{DELETED_FIELD, history};
use automerge::{AutoCommit, ObjId, ObjType, ReadDoc};

/// Reads a collection straight from Automerge (nothing masked).
pub(super) fn read_direct(doc: &AutoCommit) -> Collection {
    let mut collection = Collection::default();
    for key in doc.keys(automerge::ROOT) {
        if let Some(record) = read_direct_record(doc, &key) {
            collection.records.insert(key, record);
        }
    }
    collection
}

/// Reads one record straight from Automerge (nothing masked): `None` if
/// there is none of that name, or it is deleted.
pub(super) fn read_direct_record(doc: &AutoCommit, name: &str) -> Option<Record> {
    let Ok(Some((automerge::Value::Object(ObjType::Map), obj))) = doc.get(automerge::ROOT, name)
    else {
        return None;
    };
    if is_deleted(doc, &obj) {
        return None;
    }
    let mut record = Record::default();
    for field in doc.keys(&obj).filter(|f| f != DELETED_FIELD) {
        let mut values = field_values(doc, &obj, &field).into_iter().map(|(v, _)| v);
        if let Some(value) = values.next() {
            record.fields.insert(
                field,
                Field {
                    value,
                    conflicts: values.collect(),
                },
            );
        }
    }
    Some(record)
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
        .map(|(v, id)| {
            let value = match v {
                automerge::Value::Scalar(s) => history::scalar_value(&s),
                // `text` fails only for an object the document lacks or
                // that is not text; `id` is this document's text object,
                // just read.
                automerge::Value::Object(ObjType::Text) => {
                    Value::Text(doc.text(&id).unwrap_or_default())
                }
                automerge::Value::Object(kind) => {
                    Value::Other(super::value::object_kind_name(kind))
                }
            };
            (value, id)
        })
        .collect()
}

fn exid_order(id: &ObjId) -> (u64, Vec<u8>) {
    match id {
        ObjId::Root => (0, Vec::new()),
        ObjId::Id(counter, actor, _) => (*counter, actor.to_bytes().to_vec()),
    }
}

//! A collection read straight from Automerge (nothing masked for the
//! viewer), kept between reads and read again only for the records changed
//! since.
//!
//! A collection can hold thousands of records: reading 5,000 of three
//! fields costs ≈ 110 ms natively and several times that in the browser,
//! while a person typing into one of them changes that one only. So every
//! local edit names the record it touches ([`Doc::touch`]), and the guard
//! that admits a remote change knows which record each of its ops is in
//! ([`Guard::take_touched`](super::guard::Guard::take_touched): one lookup
//! per op, whatever the nesting). Reading looks those records up again and
//! nothing else. Whatever cannot be traced drops the reading, and the next
//! read is a whole one: a record can be read more often than needed, never
//! less.

use super::document::Doc;
use super::read::read_record_object;
use super::value::{Collection, Record};
use automerge::{AutoCommit, ObjType, ReadDoc, ValueRef};
use rustc_hash::FxHashSet;
use std::collections::BTreeSet;
use std::sync::Arc;

/// The most records waiting to be read again; past it the next read is a
/// whole one (the set stays small, and looking thousands up one by one
/// costs more than reading them in order).
const MAX_STALE: usize = 4_096;

/// The records as Automerge holds them, and which of them changed since
/// they were read.
#[derive(Debug, Default)]
pub(super) struct DirectReading {
    /// The records shown (not deleted), by name.
    pub(super) collection: Collection,
    /// The records marked deleted, by name.
    pub(super) deleted: BTreeSet<String>,
    /// Records changed since they were read.
    stale: FxHashSet<String>,
}

impl DirectReading {
    /// Reads every record of `doc`, in one pass over the root's keys.
    fn read(doc: &AutoCommit) -> DirectReading {
        let mut reading = DirectReading::default();
        for item in doc.map_range(automerge::ROOT, ..) {
            if let ValueRef::Object(ObjType::Map) = item.value {
                let read = read_record_object(doc, &item.id());
                reading.place(item.key.into_owned(), read);
            }
        }
        reading
    }

    /// Reads one record again: shown, deleted, or gone (no map of that
    /// name).
    fn read_record(&mut self, doc: &AutoCommit, name: String) {
        match doc.get(automerge::ROOT, &name) {
            Ok(Some((automerge::Value::Object(ObjType::Map), obj))) => {
                self.place(name, read_record_object(doc, &obj));
            }
            _ => {
                self.collection.records.remove(&name);
                self.deleted.remove(&name);
            }
        }
    }

    /// Puts a record read among the shown or the deleted.
    fn place(&mut self, name: String, (record, deleted): (Record, bool)) {
        if deleted {
            self.collection.records.remove(&name);
            self.deleted.insert(name);
        } else {
            self.deleted.remove(&name);
            self.collection.records.insert(name, record);
        }
    }
}

impl Doc {
    /// The collection as Automerge holds it now (queued changes applied by
    /// the caller), reading again only what changed since the last read.
    pub(super) fn direct_reading(&mut self) -> &DirectReading {
        let reading = match self.direct.take() {
            Some(mut reading) => {
                for name in std::mem::take(&mut reading.stale) {
                    reading.read_record(&self.doc, name);
                }
                reading
            }
            None => DirectReading::read(&self.doc),
        };
        self.direct.insert(reading)
    }

    /// Notes that an edit is about to change `record`.
    pub(super) fn touch(&mut self, record: &str) {
        let Some(reading) = &mut self.direct else {
            return;
        };
        if reading.stale.len() >= MAX_STALE {
            self.direct = None;
        } else if !reading.stale.contains(record) {
            reading.stale.insert(record.to_owned());
        }
    }

    /// Notes the records remote changes just applied touched (`None`:
    /// not known, read them all; [`Guard::take_touched`](super::guard::Guard::take_touched)).
    pub(super) fn touched_records(&mut self, touched: Option<Vec<Arc<str>>>) {
        match touched {
            Some(records) => records.iter().for_each(|record| self.touch(record)),
            None => self.direct = None,
        }
    }
}

#[cfg(test)]
mod tests;

//! A collection read straight from Automerge (nothing masked for the
//! viewer), kept between reads and read again only for the records changed
//! since.
//!
//! A collection can hold thousands of records: reading 5,000 of three
//! fields costs ≈ 110 ms natively and several times that in the browser,
//! while a person typing into one of them changes that one only. So every
//! local edit names the record it touches ([`Doc::touch`]), and a remote
//! change's records are found from its ops ([`Doc::touched_by`]: the object
//! an op is on, up through its parents to the root key naming its record).
//! Reading looks those records up again and nothing else. Whatever cannot
//! be traced (an object Automerge does not know, a catch-up of thousands of
//! ops) drops the reading, and the next read is a whole one: a record can be
//! read more often than needed, never less.

use super::document::Doc;
use super::read::read_record_object;
use super::value::{Collection, Record};
use automerge::legacy::{Key, ObjectId, OpId};
use automerge::{AutoCommit, Change, ObjId, ObjType, Prop, ReadDoc, ValueRef};
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::BTreeSet;

/// The most ops of remote changes whose records are traced one object at a
/// time; past it (a catch-up, a long paste) the whole collection is read
/// again at the next read, which then costs less than the tracing.
const MAX_OPS_TRACED: usize = 4_096;

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

    /// Notes the records that `changes`, just applied, touched.
    pub(super) fn touched_by(&mut self, changes: &[Change]) {
        if self.direct.is_none() {
            return;
        }
        let ops: usize = changes.iter().map(Change::len).sum();
        let traced = if ops > MAX_OPS_TRACED {
            None
        } else {
            records_of(&self.doc, changes)
        };
        match traced {
            Some(records) => records.iter().for_each(|record| self.touch(record)),
            None => self.direct = None,
        }
    }
}

/// The names of the records `changes` touch, or `None` if an op's object
/// cannot be traced to one.
fn records_of(doc: &AutoCommit, changes: &[Change]) -> Option<FxHashSet<String>> {
    let mut records = FxHashSet::default();
    // Typing puts hundreds of ops on one text: each object is traced once.
    let mut objects: FxHashMap<OpId, String> = FxHashMap::default();
    for change in changes {
        for op in change.decode().operations {
            let record = match (&op.obj, &op.key) {
                (ObjectId::Root, Key::Map(name)) => name.to_string(),
                (ObjectId::Root, Key::Seq(_)) => return None,
                (ObjectId::Id(id), _) => match objects.get(id) {
                    Some(record) => record.clone(),
                    None => {
                        let record = record_holding(doc, id)?;
                        objects.insert(id.clone(), record.clone());
                        record
                    }
                },
            };
            records.insert(record);
        }
    }
    Some(records)
}

/// The record an object lies in: the root key at the top of its parents.
fn record_holding(doc: &AutoCommit, object: &OpId) -> Option<String> {
    // The actor's index in this document is not known here; Automerge looks
    // the actor up when the index given does not name it.
    let id = ObjId::Id(object.counter(), object.actor().clone(), usize::MAX);
    match doc.parents(&id).ok()?.last()?.prop {
        Prop::Map(record) => Some(record),
        Prop::Seq(_) => None,
    }
}

#[cfg(test)]
mod tests {
    //! Random edits, commits and exchanges among three editors of one
    //! collection, reading after each step: the kept reading always equals
    //! a whole one, and the op history's reading. (Steps between reads
    //! vary, so records change in twos and threes between reads too; a long
    //! paste takes the catch-up path.)

    use super::DirectReading;
    use crate::doc::{Documents, Scalar, Splice, Viewer, collection_id};
    use crate::event::PublicKey;

    const RECORDS: [&str; 4] = ["r0", "r1", "r2", "r3"];

    /// xorshift: the tests' own, seeded.
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    fn check(docs: &mut Documents, viewer: &Viewer<'_>, seed: u64, step: usize) {
        let kept = docs.collection("c", viewer);
        let deleted = docs.deleted_records("c", viewer);
        let Some(doc) = docs.docs.get_mut(&collection_id("c")) else {
            return;
        };
        let whole = DirectReading::read(&doc.doc);
        assert_eq!(kept, whole.collection, "seed {seed} step {step}");
        let whole_deleted: Vec<String> = whole.deleted.into_iter().collect();
        assert_eq!(deleted, whole_deleted, "seed {seed} step {step}");
        // And a reading made another way: the op history's, reduced with
        // nothing masked (this closes the open edits into a change).
        doc.sync_history();
        let (history, mut history_deleted) = doc
            .history
            .collection_reduced(&doc.history.reduce(|_| false));
        history_deleted.sort();
        assert_eq!(kept, history, "seed {seed} step {step}");
        assert_eq!(deleted, history_deleted, "seed {seed} step {step}");
    }

    fn run(seed: u64) {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let included = |_| true;
        let viewer = Viewer {
            included: &included,
            generation: 0,
        };
        let mut editors: Vec<Documents> = (1..=3u8)
            .map(|k| Documents::new(PublicKey([k; 32])))
            .collect();
        // Every change published, and which editor holds which.
        let mut published = Vec::new();
        let mut holds: Vec<Vec<bool>> = vec![Vec::new(); 3];
        for step in 0..120 {
            let e = rng.below(3) as usize;
            let record = RECORDS[rng.below(4) as usize];
            let docs = &mut editors[e];
            // An edit may be refused (no such record, not deleted…): what
            // counts is that the reading follows whatever was done.
            let _ = match rng.below(11) {
                0 | 1 => docs.create_record("c", record, &viewer),
                2 => docs.delete_record("c", record, &viewer),
                3 => docs.restore_record("c", record, &viewer),
                4 => docs.create_record_again("c", record, &viewer),
                5 => docs.set_field("c", record, "n", Scalar::Number(step as f64), &viewer),
                6 => docs.delete_field("c", record, "n", &viewer),
                7 => docs.set_text("c", record, "t", "a text", &viewer),
                8 => {
                    let splice = Splice {
                        pos: 0,
                        delete: 0,
                        insert: "x",
                    };
                    docs.splice_text("c", record, "t", splice, &viewer)
                }
                9 if rng.below(4) == 0 => {
                    // Past what a remote batch is traced for.
                    let long = "y".repeat(super::MAX_OPS_TRACED + 1);
                    docs.set_text("c", record, "t", &long, &viewer)
                }
                9 => docs.set_text("c", record, "t", "", &viewer),
                _ => {
                    // Everything `e` holds, to another editor, in the
                    // order it was published (its dependencies first).
                    for (doc, change) in editors[e].unpublished() {
                        editors[e].apply(published.len() as u32, doc, change.clone());
                        holds[e].push(true);
                        holds
                            .iter_mut()
                            .for_each(|h| h.resize(published.len() + 1, false));
                        published.push((doc, change));
                    }
                    let to = (e + 1 + rng.below(2) as usize) % 3;
                    for (at, (doc, change)) in published.iter().enumerate() {
                        if holds[e][at] && !holds[to][at] {
                            editors[to].apply(at as u32, *doc, change.clone());
                            holds[to][at] = true;
                        }
                    }
                    Ok(())
                }
            };
            if rng.below(3) == 0 {
                for docs in &mut editors {
                    check(docs, &viewer, seed, step);
                }
            }
        }
        for docs in &mut editors {
            check(docs, &viewer, seed, 120);
        }
    }

    #[test]
    fn the_kept_reading_equals_a_whole_one_after_any_edits_and_exchanges() {
        for seed in 0..30 {
            run(seed);
        }
    }
}

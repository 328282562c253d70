//! A relay's storage in memory: for the tests and the simulation (the
//! server keeps its networks in a database).

use super::{RelayStorage, RelayView, Usage};
use crate::event::{Event, EventId, PublicKey};
use crate::log::EventIx;
use crate::sync::Dag;
use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::collections::BTreeSet;

/// One network's events in memory, with what appending would fail on.
#[derive(Debug, Default)]
pub struct MemoryRelayStorage {
    events: Vec<(EventId, Vec<u8>, Vec<EventIx>)>,
    index: FxHashMap<EventId, EventIx>,
    heads: BTreeSet<EventIx>,
    usage: Usage,
    authors: FxHashMap<PublicKey, Usage>,
    /// Appends to refuse from now on (a full disk).
    pub fail_appends: bool,
    /// Snapshots' reads fail from now on (a disk read error): as the
    /// server's do, they answer as if no event were held — an event's
    /// bytes and parents empty — and say so ([`RelayView::failed`]).
    pub fail_reads: bool,
    /// Snapshots' reads of events' bytes fail from now on, the rest
    /// answers (a read that fails midway): the bytes are empty, and the
    /// snapshot says a read failed.
    pub fail_byte_reads: bool,
    /// [`fail_byte_reads`](Self::fail_byte_reads) from the next successful
    /// append on: the snapshot after a write.
    pub fail_byte_reads_after_append: bool,
    /// Snapshots cannot be taken from now on (`view` fails).
    pub fail_views: bool,
    /// [`fail_views`](Self::fail_views) from the next successful append
    /// on: the snapshot after a write.
    pub fail_views_after_append: bool,
    /// Appends to refuse from now on as the storage's own quota, reached
    /// before this relay's count said so (a shared log another relay
    /// filled).
    pub full_elsewhere: bool,
}

/// Why the in-memory storage failed (only when told to).
#[derive(Debug)]
pub enum MemoryFailure {
    /// [`MemoryRelayStorage::fail_appends`].
    Disk,
    /// [`MemoryRelayStorage::full_elsewhere`].
    Full,
}

impl std::fmt::Display for MemoryFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MemoryFailure::Disk => "the disk is full (simulated)",
            MemoryFailure::Full => "the shared log is full (simulated)",
        })
    }
}

impl MemoryRelayStorage {
    /// Every held event's bytes, in insertion order.
    pub fn all(&self) -> impl Iterator<Item = &[u8]> {
        self.events.iter().map(|(_, bytes, _)| bytes.as_slice())
    }
}

impl Dag for MemoryRelayStorage {
    fn ix(&self, id: &EventId) -> Option<EventIx> {
        self.index.get(id).copied()
    }
    fn head_ixs(&self) -> Vec<EventIx> {
        self.heads.iter().copied().collect()
    }
    fn id(&self, ix: EventIx) -> EventId {
        self.events[ix as usize].0
    }
    fn parents(&self, ix: EventIx) -> Cow<'_, [EventIx]> {
        Cow::Borrowed(&self.events[ix as usize].2)
    }
    fn bytes(&self, ix: EventIx) -> Cow<'_, [u8]> {
        Cow::Borrowed(&self.events[ix as usize].1)
    }
}

impl RelayView for &MemoryRelayStorage {
    fn failed(&self) -> bool {
        self.fail_reads || self.fail_byte_reads
    }
}

impl Dag for &MemoryRelayStorage {
    fn ix(&self, id: &EventId) -> Option<EventIx> {
        (**self).ix(id).filter(|_| !self.fail_reads)
    }
    fn head_ixs(&self) -> Vec<EventIx> {
        match self.fail_reads {
            true => Vec::new(),
            false => (**self).head_ixs(),
        }
    }
    fn id(&self, ix: EventIx) -> EventId {
        (**self).id(ix)
    }
    fn parents(&self, ix: EventIx) -> Cow<'_, [EventIx]> {
        match self.fail_reads {
            true => Cow::Borrowed(&[]),
            false => (**self).parents(ix),
        }
    }
    fn bytes(&self, ix: EventIx) -> Cow<'_, [u8]> {
        match self.fail_reads || self.fail_byte_reads {
            true => Cow::Borrowed(&[]),
            false => (**self).bytes(ix),
        }
    }
}

impl RelayStorage for MemoryRelayStorage {
    type View<'a> = &'a MemoryRelayStorage;
    type Error = MemoryFailure;

    fn is_full(error: &MemoryFailure) -> bool {
        matches!(error, MemoryFailure::Full)
    }

    fn view(&self) -> Result<&MemoryRelayStorage, MemoryFailure> {
        match self.fail_views {
            true => Err(MemoryFailure::Disk),
            false => Ok(self),
        }
    }

    fn get(&self, id: &EventId) -> Result<Option<Vec<u8>>, MemoryFailure> {
        Ok(self
            .index
            .get(id)
            .map(|&ix| self.events[ix as usize].1.clone()))
    }

    fn append(&mut self, events: &[&Event]) -> Result<Vec<EventIx>, MemoryFailure> {
        if self.fail_appends {
            return Err(MemoryFailure::Disk);
        }
        if self.full_elsewhere {
            return Err(MemoryFailure::Full);
        }
        let mut out = Vec::with_capacity(events.len());
        for event in events {
            let ix = self.events.len() as EventIx;
            let parents: Vec<EventIx> = event.parents().iter().map(|p| self.index[p]).collect();
            for p in &parents {
                self.heads.remove(p);
            }
            self.heads.insert(ix);
            self.index.insert(event.id(), ix);
            let size = event.bytes().len() as u64;
            self.usage.events += 1;
            self.usage.bytes += size;
            let author = self.authors.entry(event.author()).or_default();
            author.events += 1;
            author.bytes += size;
            self.events
                .push((event.id(), event.bytes().to_vec(), parents));
            out.push(ix);
        }
        self.fail_byte_reads |= self.fail_byte_reads_after_append;
        self.fail_views |= self.fail_views_after_append;
        Ok(out)
    }

    fn usage(&self) -> Result<Usage, MemoryFailure> {
        Ok(self.usage)
    }

    fn author_usage(&self, author: &PublicKey) -> Result<Usage, MemoryFailure> {
        // An author with no event here takes nothing.
        Ok(match self.authors.get(author) {
            Some(usage) => *usage,
            None => Usage::default(),
        })
    }
}

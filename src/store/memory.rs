//! A store in memory: for tests, simulations and nodes that keep nothing.

use super::{LoadedEvents, Store, StoreError, check_record};
use crate::event::EventId;
use std::cell::RefCell;
use std::collections::BTreeMap;

/// A [`Store`] in memory.
#[derive(Debug, Default)]
pub struct MemoryStore {
    events: RefCell<BTreeMap<EventId, Vec<u8>>>,
    meta: RefCell<BTreeMap<String, Vec<u8>>>,
    snapshots: RefCell<BTreeMap<String, Vec<u8>>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> MemoryStore {
        MemoryStore::default()
    }
}

impl Store for MemoryStore {
    async fn write(
        &self,
        events: &[(EventId, &[u8])],
        meta: &[(&str, &[u8])],
    ) -> Result<(), StoreError> {
        let mut stored = self.events.borrow_mut();
        for (id, bytes) in events {
            stored.insert(*id, bytes.to_vec());
        }
        let mut stored = self.meta.borrow_mut();
        for (key, value) in meta {
            stored.insert((*key).to_owned(), value.to_vec());
        }
        Ok(())
    }

    async fn get_event(&self, id: &EventId) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.events.borrow().get(id).cloned())
    }

    async fn load_events(&self) -> Result<LoadedEvents, StoreError> {
        let mut out = LoadedEvents::default();
        for (id, bytes) in self.events.borrow().iter() {
            match check_record(&id.0, bytes.clone()) {
                Ok(record) => out.events.push(record),
                Err(why) => out.corrupt.push(why),
            }
        }
        Ok(out)
    }

    async fn event_count(&self) -> Result<usize, StoreError> {
        Ok(self.events.borrow().len())
    }

    async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.meta.borrow().get(key).cloned())
    }

    async fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.meta
            .borrow_mut()
            .insert(key.to_owned(), value.to_vec());
        Ok(())
    }

    async fn get_snapshot(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.snapshots.borrow().get(key).cloned())
    }

    async fn put_snapshot(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.snapshots
            .borrow_mut()
            .insert(key.to_owned(), value.to_vec());
        Ok(())
    }
}

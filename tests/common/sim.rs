//! Shared by the seeded simulations: a small seedable generator, the
//! seeds to run (`TRUSTFOLD_SEED` reproduces one), a scale factor for the
//! heavy variants (`TRUSTFOLD_SCALE`), a store whose writes fail on
//! demand (and counts the node's pauses, lookups and whole reads), and
//! nodes of an open or a private network.
#![allow(dead_code)]

use std::cell::Cell;
use std::rc::Rc;
use trustfold::invite::Invite;
use trustfold::store::{LoadedEvents, MemoryStore, Store, StoreError};
use trustfold::{EventId, Node};

/// The private network the sealed variants of the simulations run in.
pub fn private_network() -> Invite {
    Invite::new([0x70; 32], "our coop").expect("a valid name")
}

/// A node on `store` whose randomness (identity, nonces) is `[n; 32]`, of
/// the private network of `invite`, or of an open network if `None`.
pub async fn open_in<S: Store>(store: S, n: u8, invite: Option<&Invite>) -> Node<S> {
    Node::open_in(store, invite.cloned(), None, || [n; 32])
        .await
        .expect("a new store opens")
        .0
}

/// splitmix64: small, seedable, good enough to drive a simulation.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// An index below `n` (at least 1).
    pub fn index(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn salt(&mut self) -> [u8; 16] {
        let mut salt = [0u8; 16];
        salt[..8].copy_from_slice(&self.next().to_le_bytes());
        salt[8..].copy_from_slice(&self.next().to_le_bytes());
        salt
    }
}

/// The seeds to run: `defaults`, or the one [`seed`](crate::common::seed)
/// reads from `TRUSTFOLD_SEED`.
pub fn seeds(defaults: &[u64]) -> Vec<u64> {
    crate::common::seed().map_or_else(|| defaults.to_vec(), |seed| vec![seed])
}

/// `small`, or `full` when `TRUSTFOLD_SCALE=full` (the heavy variants run by
/// `make test-heavy`).
pub fn scale(small: usize, full: usize) -> usize {
    #[cfg(not(target_arch = "wasm32"))]
    if std::env::var("TRUSTFOLD_SCALE").as_deref() == Ok("full") {
        return full;
    }
    let _ = full;
    small
}

/// A memory store whose writes fail while [`FaultyStore::fail`] says so
/// (a full disk, a closed database); reads always work. `inner` may be
/// shared with another node (another tab).
#[derive(Default)]
pub struct FaultyStore {
    pub inner: Rc<MemoryStore>,
    /// Writes to fail from now on (u32::MAX: all of them).
    pub failing: Cell<u32>,
    /// Writes to let through before failing starts.
    pub after: Cell<u32>,
    /// How many times the node paused (where a page would handle input).
    pub pauses: Cell<usize>,
    /// Events looked up one by one (`get_event`).
    pub lookups: Cell<usize>,
    /// Whole reads of the store (`load_events`).
    pub loads: Cell<usize>,
    /// Metadata records written (`put_meta`), by key.
    pub meta_writes: std::cell::RefCell<std::collections::BTreeMap<String, usize>>,
    /// Whole reads list every event as found again after damage
    /// (`LoadedEvents::unverified`).
    pub suspect: Cell<bool>,
    /// A lookup (`get_event`) of this id gives these bytes instead: a
    /// record damaged where a whole read, which checks each record's
    /// hash, skips it and finds the intact copy.
    pub damaged: std::cell::RefCell<Option<(EventId, Vec<u8>)>>,
}

impl FaultyStore {
    /// Fails `count` writes after letting `after` through.
    pub fn fail(&self, after: u32, count: u32) {
        self.after.set(after);
        self.failing.set(count);
    }

    fn check(&self) -> Result<(), StoreError> {
        if self.failing.get() == 0 {
            return Ok(());
        }
        if self.after.get() > 0 {
            self.after.set(self.after.get() - 1);
            return Ok(());
        }
        self.failing.set(self.failing.get().saturating_sub(1));
        Err(StoreError::QuotaExceeded)
    }
}

impl Store for FaultyStore {
    async fn write(
        &self,
        events: &[(EventId, &[u8])],
        meta: &[(&str, &[u8])],
    ) -> Result<(), StoreError> {
        self.check()?;
        self.inner.write(events, meta).await
    }
    async fn get_event(&self, id: &EventId) -> Result<Option<Vec<u8>>, StoreError> {
        self.lookups.set(self.lookups.get() + 1);
        if let Some((damaged, bytes)) = &*self.damaged.borrow()
            && damaged == id
        {
            return Ok(Some(bytes.clone()));
        }
        self.inner.get_event(id).await
    }
    async fn load_events(&self) -> Result<LoadedEvents, StoreError> {
        self.loads.set(self.loads.get() + 1);
        let mut loaded = self.inner.load_events().await?;
        if self.suspect.get() {
            loaded.unverified = loaded.events.iter().map(|(id, _)| *id).collect();
        }
        Ok(loaded)
    }
    async fn event_count(&self) -> Result<usize, StoreError> {
        self.inner.event_count().await
    }
    async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get_meta(key).await
    }
    async fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.check()?;
        *self.meta_writes.borrow_mut().entry(key.into()).or_default() += 1;
        self.inner.put_meta(key, value).await
    }
    async fn get_snapshot(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get_snapshot(key).await
    }
    async fn put_snapshot(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.check()?;
        self.inner.put_snapshot(key, value).await
    }
    async fn pause(&self) {
        self.pauses.set(self.pauses.get() + 1);
    }
}

/// The frames `node` opens a link to `peer` with.
pub fn hello<S: Store>(node: &Node<S>, peer: &str, salt: [u8; 16]) -> Vec<Vec<u8>> {
    node.connect_peer(peer, salt)
        .into_iter()
        .map(|(_, f)| f)
        .collect()
}

/// The frames `node` sends `peer` in answer to `frame` (which must be
/// taken: these tests feed honest frames).
pub async fn answer<S: Store>(node: &Node<S>, peer: &str, frame: &[u8]) -> Vec<Vec<u8>> {
    node.from_peer(peer, frame)
        .await
        .unwrap()
        .send
        .into_iter()
        .map(|(_, f)| f)
        .collect()
}

//! The networks a relay has loaded: for each, the core's
//! [`RelayNetwork`] (its clients' sessions and its orphans) over its
//! store, and each client's outbox. A network nobody is connected to is
//! released after [`RelayConfig::idle`]; loading one again costs a
//! database lookup, since nothing of its history lives in memory.

use super::jetstream::JetStream;
use super::shared::SharedNetwork;
use super::store::{DagView, NetworkStore, NewEvent, RelayDb, RelayStoreError};
use super::{RelayConfig, Said};
use crate::ops::{Hits, Stopping};
use crate::outbox::{Budget, Outbox};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use trustfold::event::{Event, EventError, EventId, PublicKey};
use trustfold::relay::{
    Admission, InTurn, RelayNetwork, RelayStorage, RelayView, Relayed, Usage, Verifier,
};
use trustfold::{EventIx, PublicKey as Key};

/// A client: its connection number in the relay.
pub(crate) type Client = u64;

/// One loaded network.
pub(crate) struct Loaded {
    pub(crate) network: RelayNetwork<Client>,
    pub(crate) store: NetworkStore,
    pub(crate) clients: HashMap<Client, Arc<Outbox>>,
    pub(crate) idle_since: Option<Instant>,
    /// When it was loaded: the clock of its authors' rates.
    pub(crate) started: Instant,
    /// The relay's count of limits hit (`/metrics`): its notices and drops.
    pub(crate) hits: Arc<Hits>,
    /// Its JetStream stream, when relays share their networks (`--nats`):
    /// appends go there first ([`Shared`]).
    pub(crate) shared: Option<SharedNetwork>,
}

/// Every loaded network, by room.
pub(crate) struct Hub {
    db: RelayDb,
    config: RelayConfig,
    networks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Loaded>>>>,
    next_client: AtomicU64,
    /// What every client's outbox holds together.
    pub(crate) queues: Arc<Budget>,
    /// Drawn once from the system's randomness: sessions' salts are keyed
    /// hashes of their client's number under it, so no client can predict
    /// or choose the salt of its filters.
    salt_key: [u8; 32],
    /// The limits hit, by code (`/metrics`).
    pub(crate) hits: Arc<Hits>,
    /// Set when the server stops: every client is told and closed.
    pub(crate) stopping: Stopping,
    /// Clients linked now, over every network (`/metrics`).
    pub(crate) linked: std::sync::atomic::AtomicUsize,
    /// The JetStream every network's events are kept in, if shared.
    shared: Option<JetStream>,
    /// The last sum of what the database holds, and when (`/metrics`).
    stored_cache: Mutex<Option<(Instant, (u64, u64))>>,
}

/// Why a client could not join.
#[derive(Debug)]
pub(crate) enum JoinError {
    /// As many networks are loaded as the relay allows.
    TooManyNetworks,
    /// The database failed.
    Store(RelayStoreError),
}

impl Hub {
    pub(crate) fn new(
        db: RelayDb,
        config: RelayConfig,
        shared: Option<JetStream>,
    ) -> std::io::Result<Hub> {
        let mut salt_key = [0u8; 32];
        getrandom::fill(&mut salt_key).map_err(std::io::Error::other)?;
        let queues = Arc::new(Budget::new(config.queue_total, config.queue_floor));
        Ok(Hub {
            db,
            config,
            networks: Mutex::new(HashMap::new()),
            next_client: AtomicU64::new(1),
            queues,
            salt_key,
            hits: Arc::default(),
            stopping: Stopping::default(),
            linked: Default::default(),
            shared,
            stored_cache: Mutex::new(None),
        })
    }

    /// The salt of `client`'s session.
    pub(crate) fn salt(&self, client: Client) -> [u8; 16] {
        let hash = blake3::keyed_hash(&self.salt_key, &client.to_le_bytes());
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&hash.as_bytes()[..16]);
        salt
    }

    pub(crate) fn config(&self) -> &RelayConfig {
        &self.config
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<tokio::sync::Mutex<Loaded>>>> {
        // Every update leaves the map consistent: a poisoned lock is usable.
        self.networks.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Networks loaded now.
    pub(crate) fn loaded(&self) -> usize {
        self.lock().len()
    }

    /// Whether the relay can take writes now (`/readyz`): its database
    /// answers a lookup, and NATS is connected if it shares networks.
    pub(crate) fn ready(&self) -> Result<(), &'static str> {
        if self.db.existing_network("open:readyz").is_err() {
            return Err("RELAY_FAILED");
        }
        if self.shared.as_ref().is_some_and(|js| !js.connected()) {
            return Err("NATS_UNREACHABLE");
        }
        Ok(())
    }

    /// [`stored`](Self::stored), read at most every 5 s (`/metrics` is
    /// public, and this sums the database's networks).
    pub(crate) fn stored_recently(&self) -> Result<(u64, u64), RelayStoreError> {
        let mut cache = self.stored_cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((at, stored)) = *cache
            && at.elapsed() < std::time::Duration::from_secs(5)
        {
            return Ok(stored);
        }
        let stored = self.stored()?;
        *cache = Some((Instant::now(), stored));
        Ok(stored)
    }

    /// Events and bytes the database holds, over every network.
    pub(crate) fn stored(&self) -> Result<(u64, u64), RelayStoreError> {
        let networks = self.db.networks()?;
        Ok(networks
            .iter()
            .fold((0, 0), |(events, bytes), (_, counts)| {
                (events + counts.total.events, bytes + counts.total.bytes)
            }))
    }

    /// A new client number.
    pub(crate) fn client(&self) -> Client {
        self.next_client.fetch_add(1, Ordering::Relaxed)
    }

    /// The network of `room`, loaded if it was not. A private network's
    /// room is its identity; open and private rooms are kept apart (a
    /// stranger who opens an open network named like a private one's
    /// identity gets a network of their own, and takes nothing from it).
    pub(crate) fn network(
        &self,
        room: &str,
        private: Option<PublicKey>,
    ) -> Result<Arc<tokio::sync::Mutex<Loaded>>, JoinError> {
        let key = match private {
            Some(_) => format!("private:{room}"),
            None => format!("open:{room}"),
        };
        if let Some(loaded) = self.lock().get(&key) {
            return Ok(loaded.clone());
        }
        // Its record is made with its first event: a join of a room
        // nobody writes to leaves nothing in the file.
        let store = self.db.network_on_write(&key).map_err(JoinError::Store)?;
        let shared = self
            .shared
            .as_ref()
            .map(|js| SharedNetwork::new(js.clone(), key.clone()));
        let admission = match private {
            Some(network) => Admission::private(network),
            None => Admission::Open,
        };
        let loaded = Loaded {
            network: RelayNetwork::new(admission, self.config.limits.clone())
                .verifying_with(Box::new(AllCores)),
            store,
            clients: HashMap::new(),
            idle_since: Some(Instant::now()),
            started: Instant::now(),
            hits: self.hits.clone(),
            shared,
        };
        let mut networks = self.lock();
        // Another client may have loaded it meanwhile: keep theirs.
        if let Some(theirs) = networks.get(&key) {
            return Ok(theirs.clone());
        }
        // Room is made and taken under one hold of the lock, so joins of
        // new networks at once never load more than the budget.
        if !self.make_room(&mut networks) {
            return Err(JoinError::TooManyNetworks);
        }
        let loaded = Arc::new(tokio::sync::Mutex::new(loaded));
        networks.insert(key.clone(), loaded.clone());
        if let Some(js) = &self.shared {
            tokio::spawn(super::shared::follow(
                key,
                Arc::downgrade(&loaded),
                js.clone(),
            ));
        }
        Ok(loaded)
    }

    /// Whether one more network may be loaded: there is room in the budget
    /// ([`RelayConfig::max_networks`]), or the network no connection holds
    /// that was idle the longest is released to make it — however recently
    /// its last client left, since it keeps nothing worth keeping (its
    /// history is on disk). Otherwise a client hopping through empty rooms
    /// would fill the budget for [`RelayConfig::idle`] and lock everyone
    /// else out of every network not loaded yet.
    fn make_room(&self, networks: &mut HashMap<String, Arc<tokio::sync::Mutex<Loaded>>>) -> bool {
        if networks.len() < self.config.max_networks {
            return true;
        }
        let idlest = networks
            .iter()
            .filter(|(_, loaded)| Arc::strong_count(loaded) == 1)
            .filter_map(|(key, loaded)| Some((loaded.try_lock().ok()?.idle_since?, key.clone())))
            .min();
        match idlest {
            Some((_, key)) => {
                networks.remove(&key);
                true
            }
            None => false,
        }
    }

    /// Releases the networks nobody has used for [`RelayConfig::idle`].
    pub(crate) fn release_idle(&self) {
        let idle = self.config.idle;
        self.lock().retain(|_, loaded| {
            // Held by a connection (joined, or joining): kept, so two
            // clients of one network never get two copies of it.
            if Arc::strong_count(loaded) > 1 {
                return true;
            }
            match loaded.try_lock() {
                Ok(loaded) => loaded.idle_since.is_none_or(|since| since.elapsed() < idle),
                Err(_) => true,
            }
        });
    }
}

impl Loaded {
    /// Sends what the core said to the clients it named, and words its
    /// notices and drops for them.
    pub(crate) fn deliver(&mut self, out: Relayed<Client>) -> Vec<Client> {
        for (client, frame) in out.send {
            if let Some(outbox) = self.clients.get(&client) {
                outbox.push_binary(frame.into());
            }
        }
        for (client, notice) in out.notices {
            self.hits.hit(notice.code());
            if let Some(outbox) = self.clients.get(&client) {
                outbox.push_advisory(Said::notice(&notice).into());
            }
        }
        let mut dropped = Vec::new();
        for (client, error) in out.dropped {
            self.hits.hit(error.code());
            if let Some(outbox) = self.clients.remove(&client) {
                tracing::info!("relay: dropping client {client}: {error}");
                outbox.push_control(crate::outbox::Out::Text(Said::dropped(&error).into()));
                outbox.close();
            }
            dropped.push(client);
        }
        if self.clients.is_empty() {
            self.idle_since = Some(Instant::now());
        }
        dropped
    }
}

/// Checks a batch's signatures on every core: a catch-up of thousands of
/// events is verified in a fraction of the time, with its network's lock
/// held that much less. Public for the relay's ingest benchmark
/// (`benches/relay_ingest.rs`), which runs the relay's path as it runs.
pub struct AllCores;

/// Below this, threads cost more than they save.
const IN_TURN_BELOW: usize = 64;

impl Verifier for AllCores {
    fn verify(&self, events: &[Event]) -> Vec<Result<(), EventError>> {
        // Read once: on Linux it reads the cgroup's files each time.
        static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
        let cores =
            *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, usize::from));
        if cores == 1 || events.len() < IN_TURN_BELOW {
            return InTurn.verify(events);
        }
        let chunk = events.len().div_ceil(cores);
        std::thread::scope(|scope| {
            let parts: Vec<_> = events
                .chunks(chunk)
                .map(|part| scope.spawn(move || InTurn.verify(part)))
                .collect();
            parts
                .into_iter()
                // A panic in a verifying thread is a panic here.
                .flat_map(|part| part.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
                .collect()
        })
    }
}

/// The core's view of a network's store.
impl RelayStorage for NetworkStore {
    type View<'a> = DagView;
    type Error = RelayStoreError;

    fn view(&self) -> Result<DagView, RelayStoreError> {
        NetworkStore::view(self)
    }

    fn get(&self, id: &EventId) -> Result<Option<Vec<u8>>, RelayStoreError> {
        Ok(NetworkStore::get(self, id)?.map(|(_, bytes)| bytes))
    }

    fn contains(&self, id: &EventId) -> Result<bool, RelayStoreError> {
        NetworkStore::contains(self, id)
    }

    fn append(&mut self, events: &[&Event]) -> Result<Vec<EventIx>, RelayStoreError> {
        let new: Vec<NewEvent<'_>> = events.iter().map(|e| NewEvent::of(e)).collect();
        Ok(NetworkStore::append(self, &new)?
            .into_iter()
            .map(|appended| appended.ix)
            .collect())
    }

    fn usage(&self) -> Result<Usage, RelayStoreError> {
        let counts = self.counts()?.total;
        Ok(Usage {
            events: counts.events,
            bytes: counts.bytes,
        })
    }

    fn author_usage(&self, author: &Key) -> Result<Usage, RelayStoreError> {
        let counts = self.author_counts(author)?;
        Ok(Usage {
            events: counts.events,
            bytes: counts.bytes,
        })
    }
}

impl RelayView for DagView {
    fn failed(&self) -> bool {
        DagView::failed(self).is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Joins of new networks at once never load more than the budget:
    /// room is made and taken under one hold of the map's lock (it was
    /// made in one and taken in another, with a database read between,
    /// so concurrent joins could each find room for one).
    #[test]
    fn concurrent_joins_of_new_networks_stay_within_the_budget() {
        let dir = std::env::temp_dir().join(format!("trustfold-hub-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = RelayDb::open(dir.join("hub.sqlite")).unwrap();
        let config = RelayConfig {
            max_networks: 3,
            ..RelayConfig::default()
        };
        let hub = Hub::new(db, config, None).unwrap();
        let threads = 8;
        let barrier = std::sync::Barrier::new(threads);
        let held: Vec<_> = std::thread::scope(|scope| {
            let joins: Vec<_> = (0..threads)
                .map(|t| {
                    let (hub, barrier) = (&hub, &barrier);
                    scope.spawn(move || {
                        barrier.wait();
                        // Each keeps what it loaded: a held network is
                        // never released to make room.
                        (0..20)
                            .filter_map(|n| {
                                // Embedded (no JetStream): it never waits.
                                hub.network(&format!("r{t}-{n}"), None).ok()
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            joins.into_iter().flat_map(|j| j.join().unwrap()).collect()
        });
        assert_eq!(held.len(), 3, "networks handed out");
        assert_eq!(hub.loaded(), 3);
        let _ = std::fs::remove_dir_all(dir);
    }
}

//! A relay's networks when instances share them through NATS JetStream
//! (`--nats`): the storage a network's core works on ([`Shared`]: the
//! stream first, then this instance's copy), the fill of a copy's events
//! into the stream, and the follower that takes what other instances
//! stored into the copy and to this instance's clients.

use super::hub::Loaded;
use super::jetstream::{JetStream, JetStreamError, NetworkStream};
use super::store::{DagView, NetworkStore, RelayStoreError};
use std::time::Instant;
use trustfold::event::{Event, EventId};
use trustfold::relay::{RelayStorage, Usage};
use trustfold::{EventIx, PublicKey as Key};

/// A network's place in JetStream: its stream once someone wrote to it
/// (a join makes nothing in NATS, or every join of a new room name would
/// make a replicated stream that is never deleted).
pub(crate) struct SharedNetwork {
    js: JetStream,
    key: String,
    stream: Option<NetworkStream>,
    /// Whether the stream is known to hold every event of this copy
    /// (checked before this load's first append: see [`fill_stream`]).
    filled: bool,
}

impl SharedNetwork {
    /// Network `key`, its stream not looked up yet.
    pub(crate) fn new(js: JetStream, key: String) -> SharedNetwork {
        SharedNetwork {
            js,
            key,
            stream: None,
            filled: false,
        }
    }
}

/// Events in a batch taken from the shared stream at most.
const FOLLOW_BATCH: usize = 512;

/// The copy's meta key for where it is complete up to in its stream.
const POSITION: &str = "shared_stream_position";

/// The position `bytes` keeps (the stream's creation, then its sequence),
/// if it was kept for the stream made at `created`.
fn position(bytes: &[u8], created: i128) -> Option<u64> {
    let (made, seq) = bytes.split_at_checked(16)?;
    let made = i128::from_le_bytes(made.try_into().ok()?);
    let seq = u64::from_le_bytes(seq.try_into().ok()?);
    (made == created).then_some(seq)
}

fn position_bytes(created: i128, seq: u64) -> Vec<u8> {
    let mut bytes = created.to_le_bytes().to_vec();
    bytes.extend_from_slice(&seq.to_le_bytes());
    bytes
}

/// How long a follower may hear nothing before it asks the stream whether
/// it missed something.
const STALL_CHECK: std::time::Duration = std::time::Duration::from_secs(5);

/// Takes what the other instances store in a network's stream into this
/// instance's copy and pushes it to its clients, for as long as the
/// network is loaded here (it holds no strong reference: a released
/// network ends it within a second). Starts where this copy was complete
/// up to at its last load (kept in its meta), else from the stream's
/// beginning: what this copy holds already is skipped by id.
pub(crate) async fn follow(
    key: String,
    loaded: std::sync::Weak<tokio::sync::Mutex<Loaded>>,
    js: JetStream,
) {
    // The stream exists once someone wrote to the network, through any
    // instance: until then this waits for the instance that makes it to
    // say so (`created`), and looks every 5 s besides (a message lost, or
    // sent before this listened). A network loaded for readers and never
    // written to costs a subscription and a request per 5 s.
    let mut told = match js.created(&key).await {
        Ok(told) => Some(Box::pin(told)),
        Err(e) => {
            tracing::warn!("relay: listening for {key}'s stream: {e}");
            None
        }
    };
    let stream = loop {
        if loaded.strong_count() == 0 {
            return;
        }
        match js.existing(&key).await {
            Ok(Some(stream)) => break stream,
            Ok(None) => {}
            Err(e) => tracing::warn!("relay: looking for {key}'s stream: {e}"),
        }
        let look_again = tokio::time::sleep(std::time::Duration::from_secs(5));
        match told.as_mut() {
            Some(said) => {
                tokio::select! {
                    () = said.as_mut() => told = None,
                    () = look_again => {}
                }
            }
            None => look_again.await,
        }
    };
    // Where this copy is complete up to, kept from an earlier load: a
    // network loaded again does not read its whole stream again.
    let created = stream.created_nanos();
    let Some(this) = loaded.upgrade() else { return };
    let saved = {
        let this = this.lock().await;
        tokio::task::block_in_place(|| this.store.meta(POSITION))
    };
    drop(this);
    let mut after = match saved {
        Ok(Some(bytes)) => position(&bytes, created).unwrap_or(0),
        Ok(None) => 0,
        Err(e) => {
            tracing::warn!("relay: {key}: reading where its copy is: {e}");
            0
        }
    };
    // A stream holding less than that is not the stream it was kept for.
    if after > 0 && !matches!(stream.last_seq().await, Ok(last) if last >= after) {
        after = 0;
    }
    tracing::info!("relay: following {key} from sequence {after}");
    let mut following = None;
    let mut checked = Instant::now();
    loop {
        if loaded.strong_count() == 0 {
            return;
        }
        let follow = match &mut following {
            Some(follow) => follow,
            None => match stream.follow(after).await {
                Ok(follow) => following.insert(follow),
                Err(e) => {
                    tracing::warn!("relay: following {key}: {e}");
                    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        let batch = match follow
            .next_batch(FOLLOW_BATCH, std::time::Duration::from_secs(1))
            .await
        {
            Ok(batch) => batch,
            Err(e) => {
                tracing::warn!("relay: following {key}: {e}");
                following = None;
                continue;
            }
        };
        if batch.is_empty() {
            // A consumer whose server died may stall without an error
            // (seen after a node's SIGKILL): when nothing came for a while,
            // the stream is asked whether it holds more, and if so the
            // consumer is made again from where this copy is.
            if checked.elapsed() >= STALL_CHECK {
                checked = Instant::now();
                match stream.last_seq().await {
                    Ok(last) if last > after => {
                        tracing::warn!(
                            "relay: following {key}: stalled at {after} of {last}; following again"
                        );
                        following = None;
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("relay: following {key}: {e}"),
                }
            }
            continue;
        }
        checked = Instant::now();
        let (Some(&(last, _)), Some(loaded)) = (batch.last(), loaded.upgrade()) else {
            continue;
        };
        after = last;
        let events: Vec<Vec<u8>> = batch.into_iter().map(|(_, bytes)| bytes).collect();
        let mut loaded = loaded.lock().await;
        let now_ms = u64::try_from(loaded.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let Loaded { network, store, .. } = &mut *loaded;
        let (out, report) =
            tokio::task::block_in_place(|| network.stored_elsewhere(&events, store, now_ms));
        if report.skipped > 0 {
            tracing::warn!(
                "relay: {key}: {} events of the shared stream failed a check",
                report.skipped
            );
            loaded.hits.hit("shared_event_skipped");
        }
        if let Some(error) = &out.store_error {
            // This copy missed them: following again from where it holds
            // everything would need a record of that; from the start is
            // always right (what is held is skipped by id).
            tracing::error!("relay: {key}: storing from the shared stream: {error}");
            after = 0;
            following = None;
        }
        let failed = out.store_error.is_some();
        if !failed {
            let kept = tokio::task::block_in_place(|| {
                loaded
                    .store
                    .set_meta(POSITION, &position_bytes(created, after))
            });
            if let Err(e) = kept {
                // Only costs a longer read at the next load.
                tracing::warn!("relay: {key}: keeping where its copy is: {e}");
            }
        }
        loaded.deliver(out);
        drop(loaded);
        if failed {
            // A copy that cannot be written (a full disk) is not hammered.
            tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        }
    }
}

/// A network's storage when relays share it: reads from this instance's
/// copy; an append goes to JetStream first — acknowledged there means
/// durable on a quorum of its replicas — and then to the copy, so nothing
/// is announced before JetStream holds it.
pub(crate) struct Shared<'a> {
    pub(crate) copy: &'a mut NetworkStore,
    pub(crate) shared: &'a mut SharedNetwork,
}

/// Why a shared append or read failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SharedError {
    #[error(transparent)]
    Copy(#[from] RelayStoreError),
    #[error(transparent)]
    Stream(#[from] JetStreamError),
}

impl RelayStorage for Shared<'_> {
    type View<'a>
        = DagView
    where
        Self: 'a;
    type Error = SharedError;

    fn is_full(error: &SharedError) -> bool {
        // The stream at its limit while this copy had not followed it there
        // (another instance filled it): `network_full`, not a failure.
        matches!(error, SharedError::Stream(JetStreamError::Full))
    }

    fn view(&self) -> Result<DagView, SharedError> {
        Ok(NetworkStore::view(self.copy)?)
    }

    fn get(&self, id: &EventId) -> Result<Option<Vec<u8>>, SharedError> {
        Ok(NetworkStore::get(self.copy, id)?.map(|(_, bytes)| bytes))
    }

    fn contains(&self, id: &EventId) -> Result<bool, SharedError> {
        Ok(NetworkStore::contains(self.copy, id)?)
    }

    fn append(&mut self, events: &[&Event]) -> Result<Vec<EventIx>, SharedError> {
        // Called from a blocking section of the runtime (the hub's
        // `block_in_place`), where waiting on the runtime is allowed.
        let shared = &mut *self.shared;
        let copy = &*self.copy;
        tokio::runtime::Handle::current().block_on(async {
            let stream = match &shared.stream {
                Some(stream) => stream,
                // The network's first event: its stream is made now.
                None => shared.stream.insert(shared.js.network(&shared.key).await?),
            };
            if !shared.filled {
                let sent = fill_stream(stream, copy).await?;
                if sent > 0 {
                    tracing::info!(
                        "relay: {}: {sent} events this copy held were put in the shared stream",
                        shared.key
                    );
                }
                shared.filled = true;
            }
            Ok::<_, SharedError>(stream.append(events).await?)
        })?;
        Ok(RelayStorage::append(self.copy, events)?)
    }

    fn usage(&self) -> Result<Usage, SharedError> {
        Ok(RelayStorage::usage(self.copy)?)
    }

    fn author_usage(&self, author: &Key) -> Result<Usage, SharedError> {
        Ok(RelayStorage::author_usage(self.copy, author)?)
    }
}

/// Puts every event of `copy` in `stream` that it lacks, in the copy's
/// order (parents first); how many were sent. An instance that kept a
/// network alone before it was started with `--nats` holds events the
/// stream never had, and a child appended over them would reach the other
/// instances without its parents (they skip it). The stream is closed
/// under parents (appends and this fill go parents first), so the copy's
/// heads held there means everything is, and nothing is sent — the usual
/// case, a lookup per head once per load.
async fn fill_stream(stream: &NetworkStream, copy: &NetworkStore) -> Result<u64, SharedError> {
    use trustfold::sync::Dag;
    let view = copy.view()?;
    let mut all_held = true;
    for head in view.head_ixs() {
        if stream.held(&view.id(head)).await?.is_none() {
            all_held = false;
            break;
        }
    }
    if let Some(error) = view.failed() {
        return Err(error.into());
    }
    if all_held {
        return Ok(0);
    }
    let mut sent = 0;
    for ix in 0..view.event_count() as EventIx {
        let bytes = view.bytes(ix);
        if let Some(error) = view.failed() {
            return Err(error.into());
        }
        // What the copy holds was checked when it was stored.
        let event = Event::from_own_store(&bytes)
            .map_err(|e| RelayStoreError::Corrupt(format!("event {ix} of the copy: {e}")))?;
        stream.append(&[&event]).await?;
        sent += 1;
    }
    Ok(sent)
}

//! A network's events in NATS JetStream (issue #16): the durable, replicated
//! log that relay instances share, so any instance can serve any network
//! and none holds the only copy.
//!
//! One stream per network, named from a hash of the network's key (stream
//! names may not hold the `:` and `.` of keys), on the subjects
//! `tf.<hash>.<event id>`:
//!
//! * **`max_messages` is the network's quota of events, with
//!   `discard: new`**: a full network refuses new events
//!   ([`JetStreamError::Full`]); JetStream's default would silently delete
//!   the oldest. The bytes quota is the relay's to enforce: JetStream
//!   reserves a stream's `max_bytes` from its storage whether used or not
//!   ([`StreamSettings::max_bytes`]).
//! * **An event is stored once, however old** — not only within
//!   JetStream's duplicate window: each event has a subject of its own,
//!   and `max_messages_per_subject: 1` with `discard_new_per_subject`
//!   (nats-server 2.9.2 and later) refuses a second message on it. An
//!   append of an event already held answers its sequence
//!   ([`Stored::new`] false).
//! * **Replicas**: as many as asked (3 where the cluster has them).
//! * **Acknowledged means durable**: [`NetworkStream::append`] returns once
//!   JetStream acknowledged every event (stored on a quorum of replicas);
//!   the relay announces nothing before.
//! * **Storage, not trust**: what is read back ([`NetworkStream::read`])
//!   is bytes, which the reader validates like anything from a peer.
//!
//! Only what the `nats-server` Debian ships (2.9) supports is used.

use async_nats::jetstream::{self, stream};
use futures_util::StreamExt;
use std::time::Duration;
use thiserror::Error;
use trustfold::event::{Event, EventId};

/// Why JetStream could not do what was asked. Stable codes: [`code`](Self::code).
#[derive(Debug, Error)]
pub enum JetStreamError {
    /// A server address that is not a NATS URL. Code `nats_bad_url`.
    #[error("not a NATS server address: {0}")]
    BadUrl(String),
    /// No NATS server answered. Code `nats_unreachable`.
    #[error("cannot reach NATS: {0}")]
    Unreachable(String),
    /// The network's stream holds its quota: nothing more is stored.
    /// Code `network_full`.
    #[error("the network holds all the events or bytes it may")]
    Full,
    /// The NATS servers take messages smaller than the largest valid
    /// event: such an event could never be stored. Code `nats_max_payload`.
    #[error(
        "the NATS servers take messages of {max_payload} bytes at most; events may be {needed}: set max_payload in their configuration"
    )]
    MaxPayload {
        /// What the servers take.
        max_payload: usize,
        /// What an event may need.
        needed: usize,
    },
    /// A network's stream exists with other settings than the relay's
    /// (an operator changed it, or an older deployment made it): it could
    /// drop or duplicate events. Code `nats_stream_settings`.
    #[error("the stream {0} has settings the relay cannot rely on")]
    StreamSettings(String),
    /// JetStream refused or failed otherwise (no quorum, a timeout).
    /// Code `nats_failed`.
    #[error("JetStream failed: {0}")]
    Failed(String),
}

impl JetStreamError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            JetStreamError::BadUrl(_) => "nats_bad_url",
            JetStreamError::Unreachable(_) => "nats_unreachable",
            JetStreamError::Full => "network_full",
            JetStreamError::MaxPayload { .. } => "nats_max_payload",
            JetStreamError::StreamSettings(_) => "nats_stream_settings",
            JetStreamError::Failed(_) => "nats_failed",
        }
    }
}

fn failed(e: impl std::fmt::Display) -> JetStreamError {
    JetStreamError::Failed(e.to_string())
}

/// What JetStream's file store counts for a message beside its payload:
/// its subject (~100 bytes), the `Nats-Msg-Id` header (~91) and ~35 of
/// record framing, rounded up.
pub const MESSAGE_OVERHEAD: u64 = 256;

/// What each network's stream may hold, and how it is kept.
#[derive(Clone, Copy, Debug)]
pub struct StreamSettings {
    /// Events a network may hold (its stream's `max_messages`).
    pub max_events: u64,
    /// Bytes a network's stream may hold (its `max_bytes`), or `None`:
    /// not limited by the stream. The relay leaves it `None` and enforces
    /// the bytes quota itself, since JetStream *reserves* every stream's
    /// `max_bytes` from its storage: with a 1 GiB quota a 27 GB node held
    /// about 20 networks (BENCHMARKS.md, issue #16).
    pub max_bytes: Option<u64>,
    /// Copies of each event (1–5; 3 on a cluster of three or more).
    pub replicas: usize,
    /// JetStream's own duplicate window (a publish retried within it is
    /// dropped by its id); events are kept unique beyond it by subject.
    pub duplicate_window: Duration,
}

impl Default for StreamSettings {
    fn default() -> Self {
        StreamSettings {
            max_events: 1_000_000,
            max_bytes: None,
            replicas: 3,
            duplicate_window: Duration::from_secs(120),
        }
    }
}

/// A connection to JetStream, making and opening networks' streams.
#[derive(Clone)]
pub struct JetStream {
    client: async_nats::Client,
    context: jetstream::Context,
    settings: StreamSettings,
}

impl JetStream {
    /// Connects to the NATS servers at `urls` (comma-separated, as
    /// `--nats` takes them).
    pub async fn connect(
        urls: &str,
        settings: StreamSettings,
    ) -> Result<JetStream, JetStreamError> {
        let client = crate::nats::connect(urls).await.map_err(|e| match e {
            crate::nats::Unreached::BadUrl(e) => JetStreamError::BadUrl(e),
            crate::nats::Unreached::Unreachable(e) => JetStreamError::Unreachable(e),
        })?;
        // An event and its subject and headers in one message.
        let needed = trustfold::event::encoding::MAX_EVENT_BYTES + 4096;
        let max_payload = client.server_info().max_payload;
        if max_payload < needed {
            return Err(JetStreamError::MaxPayload {
                max_payload,
                needed,
            });
        }
        Ok(JetStream {
            context: jetstream::new(client.clone()),
            client,
            settings,
        })
    }

    /// Whether the connection to NATS is up now (`/readyz`).
    pub fn connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Resolves when an instance says it made the stream of the network
    /// `key` ([`network`](Self::network) says so on core NATS), so that
    /// instances waiting for it follow it at once instead of at their
    /// next look. A subscription is made now; the future ends at the first
    /// message (or never, if the connection goes: the caller looks anyway).
    pub async fn created(
        &self,
        key: &str,
    ) -> Result<impl std::future::Future<Output = ()> + use<>, JetStreamError> {
        let (_, subject) = names(key);
        let mut told = self
            .client
            .subscribe(created_subject(&subject))
            .await
            .map_err(failed)?;
        Ok(async move {
            if told.next().await.is_none() {
                std::future::pending::<()>().await;
            }
        })
    }

    /// The stream of the network `key` if one exists (a network nobody
    /// wrote to has none: joining makes nothing in NATS).
    pub async fn existing(&self, key: &str) -> Result<Option<NetworkStream>, JetStreamError> {
        let (name, subject) = names(key);
        match self.context.get_stream(&name).await {
            Ok(stream) => {
                check_settings(&stream)?;
                Ok(Some(NetworkStream {
                    stream,
                    context: self.context.clone(),
                    subject,
                }))
            }
            Err(e) => match e.kind() {
                jetstream::context::GetStreamErrorKind::JetStream(js)
                    if js.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND =>
                {
                    Ok(None)
                }
                _ => Err(failed(e)),
            },
        }
    }

    /// The stream of the network `key` (as the relay names networks:
    /// `open:room` or `private:identity`), made if it does not exist.
    pub async fn network(&self, key: &str) -> Result<NetworkStream, JetStreamError> {
        let (name, subject) = names(key);
        let s = &self.settings;
        let config = stream::Config {
            name: name.clone(),
            subjects: vec![format!("{subject}.*")],
            max_messages: i64::try_from(s.max_events).unwrap_or(i64::MAX),
            max_bytes: s
                .max_bytes
                .map_or(-1, |b| i64::try_from(b).unwrap_or(i64::MAX)),
            max_messages_per_subject: 1,
            discard: stream::DiscardPolicy::New,
            discard_new_per_subject: true,
            num_replicas: s.replicas,
            duplicate_window: s.duplicate_window,
            storage: stream::StorageType::File,
            ..Default::default()
        };
        let stream = self
            .context
            .get_or_create_stream(config)
            .await
            .map_err(failed)?;
        check_settings(&stream)?;
        // A stream just made has no leader for a moment: a publish then
        // fails. Wait for one (bounded) before the first append.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let mut waiting = stream.clone();
        loop {
            let led = match waiting.info().await {
                Ok(info) => info.cluster.as_ref().is_none_or(|c| c.leader.is_some()),
                Err(_) => false,
            };
            if led {
                break;
            }
            if tokio::time::Instant::now() > deadline {
                return Err(JetStreamError::Failed(format!(
                    "the stream {name} has no leader"
                )));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        // Instances waiting for this network's stream follow it now
        // (`created`); a lost message only makes them look later.
        let _ = self
            .client
            .publish(created_subject(&subject), Vec::new().into())
            .await;
        Ok(NetworkStream {
            stream,
            context: self.context.clone(),
            subject,
        })
    }
}

/// A network's stream name (`TF_<hash>`) and subject prefix (`tf.<hash>`).
fn names(key: &str) -> (String, String) {
    let hash = blake3::hash(key.as_bytes()).to_hex();
    let hash = &hash.as_str()[..32];
    (format!("TF_{hash}"), format!("tf.{hash}"))
}

/// Where an instance says it made a network's stream: core NATS, outside
/// the stream's own subjects (`tf.<hash>.*`), which would store it.
fn created_subject(subject: &str) -> String {
    format!("{subject}-created")
}

/// Refuses a stream whose settings would let it drop or duplicate events
/// (`get_or_create_stream` takes an existing stream as it is).
fn check_settings(stream: &stream::Stream) -> Result<(), JetStreamError> {
    let c = &stream.cached_info().config;
    let ok = c.discard == stream::DiscardPolicy::New
        && c.max_messages_per_subject == 1
        && c.discard_new_per_subject
        && c.max_age.is_zero()
        && c.retention == stream::RetentionPolicy::Limits;
    if ok {
        Ok(())
    } else {
        Err(JetStreamError::StreamSettings(c.name.clone()))
    }
}

/// Where an appended event is in its network's stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stored {
    /// Its sequence in the stream (from 1).
    pub seq: u64,
    /// Stored by this append (false: it was held already).
    pub new: bool,
}

/// One network's stream.
#[derive(Clone)]
pub struct NetworkStream {
    stream: stream::Stream,
    context: jetstream::Context,
    /// `tf.<hash>`: each event's subject is this and its id.
    subject: String,
}

impl NetworkStream {
    /// The stream's name (`TF_<hash>`).
    pub fn name(&self) -> &str {
        &self.stream.cached_info().config.name
    }

    fn subject_of(&self, id: &EventId) -> String {
        format!("{}.{}", self.subject, id.to_hex())
    }

    /// Stores `events` in order — the caller validated them, parents first
    /// — each acknowledged by JetStream before the next is sent, so a
    /// refusal (the quota) never leaves a child stored without its parent.
    /// Returns where each is; nothing after the first failure is stored.
    pub async fn append(&self, events: &[&Event]) -> Result<Vec<Stored>, JetStreamError> {
        let context = &self.context;
        let mut stored = Vec::with_capacity(events.len());
        for event in events {
            let id = event.id();
            let subject = self.subject_of(&id);
            let publish = jetstream::message::PublishMessage::build()
                .message_id(id.to_hex())
                .payload(event.bytes().to_vec().into());
            let ack = context
                .send_publish(subject, publish)
                .await
                .map_err(failed)?
                .await;
            match ack {
                // Within the duplicate window JetStream acknowledges a
                // repeat as a duplicate of the first, with its sequence.
                Ok(ack) => stored.push(Stored {
                    seq: ack.sequence,
                    new: !ack.duplicate,
                }),
                Err(refused) => match self.held(&id).await? {
                    // Its subject has its one message: held from before.
                    Some(seq) => stored.push(Stored { seq, new: false }),
                    None if self.full(event.bytes().len()).await? => {
                        return Err(JetStreamError::Full);
                    }
                    None => return Err(failed(refused)),
                },
            }
        }
        Ok(stored)
    }

    /// The sequence of the event `id`, if the stream holds it.
    pub async fn held(&self, id: &EventId) -> Result<Option<u64>, JetStreamError> {
        use stream::LastRawMessageErrorKind as Kind;
        match self
            .stream
            .get_last_raw_message_by_subject(&self.subject_of(id))
            .await
        {
            // Its subject names its id: anything else there (someone with
            // publish rights on the subjects) is not the event.
            Ok(message) if EventId::of_bytes(&message.payload) == *id => Ok(Some(message.sequence)),
            Ok(_) => Err(JetStreamError::Failed(format!(
                "the subject of {id} holds another message"
            ))),
            Err(e) if e.kind() == Kind::NoMessageFound => Ok(None),
            Err(e) => Err(failed(e)),
        }
    }

    /// Whether the stream holds as many events or bytes as it may: the
    /// next event, of `size` bytes, would not fit.
    async fn full(&self, size: usize) -> Result<bool, JetStreamError> {
        let mut stream = self.stream.clone();
        let info = stream.info().await.map_err(failed)?;
        let (state, config) = (&info.state, &info.config);
        let max_messages = u64::try_from(config.max_messages).unwrap_or(u64::MAX);
        let max_bytes = u64::try_from(config.max_bytes).unwrap_or(u64::MAX);
        let next = size as u64 + MESSAGE_OVERHEAD;
        Ok(state.messages >= max_messages || state.bytes + next > max_bytes)
    }

    /// Copies of the stream that are up to date: its leader and every
    /// replica that is current (1 on a single server).
    pub async fn current_copies(&self) -> Result<usize, JetStreamError> {
        let mut stream = self.stream.clone();
        let info = stream.info().await.map_err(failed)?;
        Ok(match &info.cluster {
            Some(cluster) if cluster.leader.is_some() => {
                1 + cluster
                    .replicas
                    .iter()
                    .filter(|peer| peer.current && !peer.offline)
                    .count()
            }
            Some(_) => 0,
            None => 1,
        })
    }

    /// When the stream was made, in nanoseconds since 1970: tells a stream
    /// made again under the same name apart from the one a position was
    /// kept for.
    pub fn created_nanos(&self) -> i128 {
        self.stream.cached_info().created.unix_timestamp_nanos()
    }

    /// The last sequence stored (0 for an empty stream).
    pub async fn last_seq(&self) -> Result<u64, JetStreamError> {
        let mut stream = self.stream.clone();
        Ok(stream.info().await.map_err(failed)?.state.last_sequence)
    }

    /// Events and bytes held (JetStream's count of bytes, with subjects).
    pub async fn usage(&self) -> Result<(u64, u64), JetStreamError> {
        let mut stream = self.stream.clone();
        let state = &stream.info().await.map_err(failed)?.state;
        Ok((state.messages, state.bytes))
    }

    /// Follows the stream from after sequence `after`: every event stored
    /// since, then each as it is stored, by any instance ([`Follow`]).
    pub async fn follow(&self, after: u64) -> Result<Follow, JetStreamError> {
        let consumer = self
            .stream
            .create_consumer(jetstream::consumer::pull::OrderedConfig {
                deliver_policy: jetstream::consumer::DeliverPolicy::ByStartSequence {
                    start_sequence: after + 1,
                },
                ..Default::default()
            })
            .await
            .map_err(failed)?;
        Ok(Follow {
            messages: consumer.messages().await.map_err(failed)?,
        })
    }

    /// The events stored after sequence `after`, at most `max` of them, in
    /// order, each with its sequence — for checks and tests: one request
    /// per event, answered by the stream's leader (no consumer to place,
    /// so it works as soon as the stream has a leader, as after a node
    /// died). The relay follows a stream with [`follow`](Self::follow).
    /// Bytes only — the caller validates them.
    pub async fn read(
        &self,
        after: u64,
        max: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, JetStreamError> {
        let last = self.last_seq().await?;
        let end = last.min(after.saturating_add(max as u64));
        let mut read = Vec::new();
        for seq in after + 1..=end {
            let message = self.stream.get_raw_message(seq).await.map_err(failed)?;
            read.push((seq, message.payload.to_vec()));
        }
        Ok(read)
    }
}

/// The events of a stream as they are stored ([`NetworkStream::follow`]):
/// JetStream's ordered consumer, which starts again where it was by itself
/// if its server goes.
pub struct Follow {
    messages: jetstream::consumer::pull::Ordered,
}

impl Follow {
    /// The next events, each with its sequence: waits up to `wait` for the
    /// first, then takes at most `max` of those already arrived. Empty if
    /// none came in `wait`.
    pub async fn next_batch(
        &mut self,
        max: usize,
        wait: Duration,
    ) -> Result<Vec<(u64, Vec<u8>)>, JetStreamError> {
        use futures_util::FutureExt;
        let mut batch = Vec::new();
        let first = match tokio::time::timeout(wait, self.messages.next()).await {
            Err(_) => return Ok(batch),
            Ok(first) => first,
        };
        let mut next = first;
        loop {
            match next {
                Some(Ok(message)) => {
                    let seq = message.info().map_err(failed)?.stream_sequence;
                    batch.push((seq, message.payload.to_vec()));
                }
                Some(Err(e)) => return Err(failed(e)),
                None => return Err(JetStreamError::Failed("the stream's consumer ended".into())),
            }
            if batch.len() >= max {
                return Ok(batch);
            }
            match self.messages.next().now_or_never() {
                Some(more) => next = more,
                None => return Ok(batch),
            }
        }
    }
}

//! Rooms that span server instances (`--nats`): each instance keeps its
//! own members and learns every other instance's through core NATS, so a
//! load balancer may send any browser to any instance and two members on
//! different instances still meet and link directly ([`crate::Rooms`] has
//! the rules; this module carries the notes between instances).
//!
//! * `tf.sig.members` carries every instance's joins, leaves, beats and
//!   farewells, each instance's in the order it made them: one publisher
//!   task per instance, fed under the rooms lock, and NATS keeps the order
//!   of one connection's messages.
//! * `tf.sig.to.<instance>` carries the signals to that instance's members
//!   and the refusals to its senders (`TARGET_BUSY`, `NO_SUCH_PEER`).
//!
//! Member ids carry their instance, `instance << 32 | n` with the instance
//! drawn in 1..2^20 at start, so ids stay below 2^53 (exact in JavaScript)
//! and a signal is routed by its target's id alone.
//!
//! Every [`BEAT`] each instance publishes its whole membership, in parts of
//! at most about [`PART_BYTES`], and the others replace what they held of
//! it: a note lost while NATS reconnected, or dropped by a full queue, is
//! repaired within a beat. An instance silent for [`SILENCE`] (killed, or
//! cut off) is gone, and its members leave everywhere; one that stops
//! gracefully says so at once. A new instance says hello, and the others
//! beat at once, so it knows the rooms before its first member joins.
//!
//! Bounds: the queue of notes to publish holds [`QUEUE`] (a full queue
//! drops the note, counted as `SPAN_QUEUE_FULL`); what an instance holds
//! of the others is bounded by their own limits (connections, rooms).

use crate::limits::Limits;
use crate::rooms::Rooms;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

/// How often an instance tells its whole membership.
pub const BEAT: Duration = Duration::from_secs(2);

/// An instance not heard from for this long is gone.
pub const SILENCE: Duration = Duration::from_secs(7);

/// Notes waiting to be published, at most.
pub const QUEUE: usize = 4_096;

/// A beat is cut into parts of about this many bytes (a room is never
/// cut: one of 1,024 members is ≈ 20 kB).
pub const PART_BYTES: usize = 32 * 1024;

/// The code counted when a note is dropped because the queue is full.
pub(crate) const QUEUE_FULL: &str = "SPAN_QUEUE_FULL";

/// The code counted when another instance drew this one's number.
pub(crate) const INSTANCE_TAKEN: &str = "SPAN_INSTANCE_TAKEN";

/// The code counted when a note from NATS does not parse.
const MALFORMED: &str = "SPAN_MALFORMED";

const MEMBERS: &str = "tf.sig.members";

/// Member ids of `instance` start here.
pub(crate) fn first_id(instance: u32) -> u64 {
    u64::from(instance) << 32
}

/// The instance that holds member `id`.
pub(crate) fn instance_of(id: u64) -> u32 {
    (id >> 32) as u32
}

/// A room's name and the ids of one instance's members in it.
pub(crate) type RoomMembers = (String, Vec<u64>);

/// What one instance tells the others.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub(crate) enum Note {
    /// Member `id` of `from` joined `room` and was introduced to `introduced`.
    Joined {
        from: u32,
        room: String,
        id: u64,
        introduced: Vec<u64>,
    },
    /// Member `id` of `from` left `room`.
    Left { from: u32, room: String, id: u64 },
    /// `from` started: every instance beats at once.
    Hello { from: u32 },
    /// Part of `from`'s whole membership; `last` ends beat number `beat`.
    /// `run` tells two instances that drew the same number apart.
    Beat {
        from: u32,
        run: u64,
        beat: u64,
        last: bool,
        rooms: Vec<RoomMembers>,
    },
    /// `from` stopped: its members are gone.
    Gone { from: u32 },
    /// A signal to member `to`, already worded for it.
    Signal {
        room: String,
        from: u64,
        to: u64,
        text: String,
    },
    /// A signal from member `to` was refused with `code`.
    Refused { room: String, to: u64, code: String },
}

impl Note {
    /// The instance that sent it.
    pub(crate) fn sender(&self) -> Option<u32> {
        match self {
            Note::Joined { from, .. }
            | Note::Left { from, .. }
            | Note::Hello { from }
            | Note::Beat { from, .. }
            | Note::Gone { from } => Some(*from),
            Note::Signal { from, .. } => Some(instance_of(*from)),
            Note::Refused { .. } => None,
        }
    }

    fn subject(&self) -> String {
        match self {
            Note::Signal { to, .. } | Note::Refused { to, .. } => {
                format!("tf.sig.to.{}", instance_of(*to))
            }
            _ => MEMBERS.to_owned(),
        }
    }
}

/// Why rooms could not span instances.
#[derive(Debug, thiserror::Error)]
pub enum SpanError {
    /// `--nats` is not a list of NATS URLs.
    #[error("--nats: {0}")]
    BadUrl(String),
    /// No NATS server answered.
    #[error("NATS is unreachable: {0}")]
    Unreachable(String),
    /// NATS refused a subscription.
    #[error("NATS refused a subscription: {0}")]
    Subscribe(String),
}

/// This instance's link to the others: its number and its queue of notes.
pub(crate) struct Link {
    /// This instance's number, in 1..2^20.
    pub(crate) instance: u32,
    /// Drawn at start: tells a collision of numbers apart from an echo.
    pub(crate) run: u64,
    queue: mpsc::Sender<Note>,
    client: async_nats::Client,
    beats: std::sync::atomic::AtomicU64,
}

impl Link {
    /// Queues `note` for publishing; false if the queue is full.
    pub(crate) fn send(&self, note: Note) -> bool {
        self.queue.try_send(note).is_ok()
    }

    /// A beat of `rooms` (this instance's members), in parts.
    pub(crate) fn beat(&self, rooms: impl Iterator<Item = RoomMembers>) -> Vec<Note> {
        let beat = self
            .beats
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let part = |rooms| Note::Beat {
            from: self.instance,
            run: self.run,
            beat,
            last: false,
            rooms,
        };
        let mut parts = Vec::new();
        let mut current = Vec::new();
        let mut bytes = 0;
        for (name, ids) in rooms {
            bytes += name.len() + 24 * ids.len();
            current.push((name, ids));
            if bytes >= PART_BYTES {
                parts.push(part(std::mem::take(&mut current)));
                bytes = 0;
            }
        }
        parts.push(part(current));
        if let Some(Note::Beat { last, .. }) = parts.last_mut() {
            *last = true;
        }
        parts
    }

    /// Says this instance is gone, once the queue before it is published
    /// (bounded: a second at most).
    pub(crate) async fn farewell(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
        while self.queue.capacity() < self.queue.max_capacity()
            && tokio::time::Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let gone = Note::Gone {
            from: self.instance,
        };
        let _ = publish(&self.client, &gone).await;
        let _ = tokio::time::timeout(Duration::from_secs(1), self.client.flush()).await;
    }
}

impl Rooms {
    /// No rooms yet, under `limits`, spanning every instance started with
    /// the same NATS servers (`urls`, comma-separated as `--nats` takes
    /// them). Returns once subscribed.
    pub async fn spanning(limits: Limits, urls: &str) -> Result<Arc<Rooms>, SpanError> {
        let servers = urls
            .split(',')
            .map(|url| url.trim().parse::<async_nats::ServerAddr>())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SpanError::BadUrl(e.to_string()))?;
        let client = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(5))
            .connect(servers)
            .await
            .map_err(|e| SpanError::Unreachable(e.to_string()))?;
        let random = |bytes: &mut [u8]| {
            getrandom::fill(bytes).map_err(|e| SpanError::Unreachable(e.to_string()))
        };
        let mut drawn = [0u8; 12];
        random(&mut drawn)?;
        let [a, b, c, d, run @ ..] = drawn;
        let instance = 1 + u32::from_le_bytes([a, b, c, d]) % ((1 << 20) - 1);
        let run = u64::from_le_bytes(run);
        let subscribe = |subject: String| {
            let client = client.clone();
            async move {
                client
                    .subscribe(subject)
                    .await
                    .map_err(|e| SpanError::Subscribe(e.to_string()))
            }
        };
        let members = subscribe(MEMBERS.to_owned()).await?;
        let mine = subscribe(format!("tf.sig.to.{instance}")).await?;
        let (queue, notes) = mpsc::channel(QUEUE);
        let link = Link {
            instance,
            run,
            queue,
            client: client.clone(),
            beats: Default::default(),
        };
        let rooms = Rooms::with_link(limits, Some(link));
        tracing::info!("signalling rooms span the instances on NATS (this one is {instance})");
        tokio::spawn(publisher(client, notes, Arc::downgrade(&rooms)));
        tokio::spawn(listener(members, mine, Arc::downgrade(&rooms)));
        tokio::spawn(beater(Arc::downgrade(&rooms)));
        rooms
            .link()
            .map(|link| link.send(Note::Hello { from: instance }));
        Ok(rooms)
    }
}

async fn publish(client: &async_nats::Client, note: &Note) -> Result<(), String> {
    // Serialising these plain structs cannot fail.
    let bytes = serde_json::to_vec(note).expect("a note serialises");
    client
        .publish(note.subject(), bytes.into())
        .await
        .map_err(|e| e.to_string())
}

/// Publishes the queued notes, in order, until the rooms are gone.
async fn publisher(
    client: async_nats::Client,
    mut notes: mpsc::Receiver<Note>,
    rooms: Weak<Rooms>,
) {
    while let Some(note) = notes.recv().await {
        if let Err(e) = publish(&client, &note).await {
            tracing::warn!("a note to the other instances was lost: {e}");
            if let Some(rooms) = rooms.upgrade() {
                rooms.hits.hit(QUEUE_FULL);
            }
        }
    }
}

/// Hands what the other instances say to the rooms, until they are gone.
async fn listener(
    mut members: async_nats::Subscriber,
    mut mine: async_nats::Subscriber,
    rooms: Weak<Rooms>,
) {
    loop {
        let message = tokio::select! {
            Some(message) = members.next() => message,
            Some(message) = mine.next() => message,
            else => return,
        };
        let Some(rooms) = rooms.upgrade() else { return };
        match serde_json::from_slice::<Note>(&message.payload) {
            Ok(note) => rooms.heard(note),
            Err(e) => {
                tracing::warn!("a note on {} does not parse: {e}", message.subject);
                rooms.hits.hit(MALFORMED);
            }
        }
    }
}

/// Beats every [`BEAT`], until the rooms are gone.
async fn beater(rooms: Weak<Rooms>) {
    let mut every = tokio::time::interval(BEAT);
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let Some(rooms) = rooms.upgrade() else { return };
        rooms.beat_and_sweep();
    }
}

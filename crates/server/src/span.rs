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
//! Bounds: membership notes and signals wait in separate queues, so a
//! flood of signals never delays a join, a leave or a beat: [`QUEUE`]
//! membership notes, and signals up to [`SIGNAL_BYTES`] (a full queue
//! drops the note, counted as `SPAN_QUEUE_FULL`; a dropped signal's sender
//! hears `SPAN_BUSY`). Only membership notes count as an instance's signs
//! of life. What an instance holds of the others is bounded by their own
//! limits (connections, rooms). NATS is trusted: anyone who may publish
//! on `tf.sig.>` can speak for any instance, so a deployment gives only
//! its instances that permission (NATS accounts or credentials).
//!
//! An instance's number is claimed at start: it asks `tf.sig.claim.<n>`,
//! which the instance holding `n` answers, and draws again if answered.

use crate::limits::Limits;
use crate::rooms::Rooms;
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::sync::mpsc;

/// How often an instance tells its whole membership.
pub const BEAT: Duration = Duration::from_secs(2);

/// An instance not heard from for this long is gone.
pub const SILENCE: Duration = Duration::from_secs(7);

/// Membership notes waiting to be published, at most.
pub const QUEUE: usize = 4_096;

/// Bytes of signals waiting to be published, at most.
pub const SIGNAL_BYTES: usize = 1024 * 1024;

/// How long a new instance listens for the others' beats before it takes
/// members (they beat at once when it says hello).
pub const SETTLE: Duration = Duration::from_millis(500);

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
    /// Part `part` of `parts` of `from`'s whole membership at beat number
    /// `beat`. `run` tells two instances with the same number apart.
    Beat {
        from: u32,
        run: u64,
        beat: u64,
        part: u32,
        parts: u32,
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
    /// The instance that sent it, if it is a membership note: the signs
    /// of life that keep an instance's members in the rooms.
    pub(crate) fn membership_sender(&self) -> Option<u32> {
        match self {
            Note::Joined { from, .. }
            | Note::Left { from, .. }
            | Note::Hello { from }
            | Note::Beat { from, .. }
            | Note::Gone { from } => Some(*from),
            Note::Signal { .. } | Note::Refused { .. } => None,
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

/// This instance's link to the others: its number and its queues.
pub(crate) struct Link {
    /// This instance's number, in 1..2^20.
    pub(crate) instance: u32,
    /// Drawn at start: tells a collision of numbers apart from an echo.
    pub(crate) run: u64,
    members: mpsc::Sender<Note>,
    signals: mpsc::Sender<Note>,
    /// Bytes of the signals queued now.
    signal_bytes: Arc<AtomicUsize>,
    client: async_nats::Client,
    beats: AtomicU64,
    /// Set by [`farewell`](Self::farewell): nothing more is told.
    stopped: AtomicBool,
}

impl Link {
    /// Queues `note` for publishing; false if its queue is full or the
    /// instance is stopping.
    pub(crate) fn send(&self, note: Note) -> bool {
        if self.stopped.load(Ordering::Acquire) {
            return false;
        }
        match note {
            Note::Signal { .. } | Note::Refused { .. } => {
                let size = note_size(&note);
                let queued = self.signal_bytes.fetch_add(size, Ordering::AcqRel);
                if queued + size > SIGNAL_BYTES || self.signals.try_send(note).is_err() {
                    self.signal_bytes.fetch_sub(size, Ordering::AcqRel);
                    return false;
                }
                true
            }
            _ => self.members.try_send(note).is_ok(),
        }
    }

    /// Whether the connection to NATS is up now (`/readyz`).
    pub(crate) fn connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Whether the instance is stopping (no more beats).
    pub(crate) fn stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// A beat of `rooms` (this instance's members), in parts.
    pub(crate) fn beat(&self, rooms: impl Iterator<Item = RoomMembers>) -> Vec<Note> {
        let beat = self.beats.fetch_add(1, Ordering::Relaxed);
        let mut cuts: Vec<Vec<RoomMembers>> = Vec::new();
        let mut current = Vec::new();
        let mut bytes = 0;
        for (name, ids) in rooms {
            bytes += name.len() + 24 * ids.len();
            current.push((name, ids));
            if bytes >= PART_BYTES {
                cuts.push(std::mem::take(&mut current));
                bytes = 0;
            }
        }
        if !current.is_empty() || cuts.is_empty() {
            cuts.push(current);
        }
        let parts = cuts.len() as u32;
        cuts.into_iter()
            .enumerate()
            .map(|(part, rooms)| Note::Beat {
                from: self.instance,
                run: self.run,
                beat,
                part: part as u32,
                parts,
                rooms,
            })
            .collect()
    }

    /// Says this instance is gone: nothing more is told (no beat can
    /// follow the farewell and bring its members back), and the notes
    /// queued before (its members' leaves) are published first (bounded:
    /// a second at most).
    pub(crate) async fn farewell(&self) {
        self.stopped.store(true, Ordering::Release);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(1);
        while self.members.capacity() < self.members.max_capacity()
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

/// What a queued signal holds on to, roughly.
fn note_size(note: &Note) -> usize {
    match note {
        Note::Signal { room, text, .. } => 64 + room.len() + text.len(),
        Note::Refused { room, code, .. } => 64 + room.len() + code.len(),
        _ => 64,
    }
}

/// Draws instance numbers until one is not answered on
/// `tf.sig.claim.<n>` (bounded: ten draws).
async fn claim(client: &async_nats::Client) -> Result<(u32, u64), SpanError> {
    let random = |bytes: &mut [u8]| {
        getrandom::fill(bytes).map_err(|e| SpanError::Unreachable(e.to_string()))
    };
    let mut nonce = [0u8; 8];
    random(&mut nonce)?;
    for _ in 0..10 {
        let mut drawn = [0u8; 4];
        random(&mut drawn)?;
        let instance = 1 + u32::from_le_bytes(drawn) % ((1 << 20) - 1);
        let asked = client.request(format!("tf.sig.claim.{instance}"), "".into());
        match tokio::time::timeout(Duration::from_secs(2), asked).await {
            // Nobody holds it (NATS says so at once: no responders).
            Ok(Err(e)) if e.kind() == async_nats::RequestErrorKind::NoResponders => {
                return Ok((instance, u64::from_le_bytes(nonce)));
            }
            Ok(Ok(_)) => tracing::info!("instance number {instance} is taken: drawing again"),
            Ok(Err(e)) => return Err(SpanError::Unreachable(e.to_string())),
            Err(_) => return Err(SpanError::Unreachable("no answer to a claim".into())),
        }
    }
    Err(SpanError::Unreachable(
        "ten instance numbers drawn were all taken".into(),
    ))
}

impl Rooms {
    /// No rooms yet, under `limits`, spanning every instance started with
    /// the same NATS servers (`urls`, comma-separated as `--nats` takes
    /// them). Returns once subscribed.
    pub async fn spanning(limits: Limits, urls: &str) -> Result<Arc<Rooms>, SpanError> {
        let client = crate::nats::connect(urls).await.map_err(|e| match e {
            crate::nats::Unreached::BadUrl(e) => SpanError::BadUrl(e),
            crate::nats::Unreached::Unreachable(e) => SpanError::Unreachable(e),
        })?;
        let (instance, run) = claim(&client).await?;
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
        let claims = subscribe(format!("tf.sig.claim.{instance}")).await?;
        let (members_queue, member_notes) = mpsc::channel(QUEUE);
        // Bounded by bytes (`SIGNAL_BYTES`); the count only backs it up.
        let (signals_queue, signal_notes) = mpsc::channel(QUEUE);
        let signal_bytes = Arc::new(AtomicUsize::new(0));
        let link = Link {
            instance,
            run,
            members: members_queue,
            signals: signals_queue,
            signal_bytes: signal_bytes.clone(),
            client: client.clone(),
            beats: Default::default(),
            stopped: Default::default(),
        };
        let rooms = Rooms::with_link(limits, Some(link));
        tracing::info!("signalling rooms span the instances on NATS (this one is {instance})");
        let queues = Queues {
            members: member_notes,
            signals: signal_notes,
            signal_bytes,
        };
        tokio::spawn(publisher(client.clone(), queues, Arc::downgrade(&rooms)));
        tokio::spawn(listener(
            client,
            [members, mine, claims],
            Arc::downgrade(&rooms),
        ));
        tokio::spawn(beater(Arc::downgrade(&rooms)));
        rooms
            .link()
            .map(|link| link.send(Note::Hello { from: instance }));
        // The others beat at once on hello: their members are known
        // before the first of this instance's joins.
        tokio::time::sleep(SETTLE).await;
        Ok(rooms)
    }
}

/// The publisher's ends of the two queues.
struct Queues {
    members: mpsc::Receiver<Note>,
    signals: mpsc::Receiver<Note>,
    signal_bytes: Arc<AtomicUsize>,
}

async fn publish(client: &async_nats::Client, note: &Note) -> Result<(), String> {
    // Serialising these plain structs cannot fail.
    let bytes = serde_json::to_vec(note).expect("a note serialises");
    client
        .publish(note.subject(), bytes.into())
        .await
        .map_err(|e| e.to_string())
}

/// Publishes the queued notes, membership notes first, until the rooms
/// are gone.
async fn publisher(client: async_nats::Client, mut queues: Queues, rooms: Weak<Rooms>) {
    loop {
        let note = tokio::select! {
            biased;
            Some(note) = queues.members.recv() => note,
            Some(note) = queues.signals.recv() => {
                queues.signal_bytes.fetch_sub(note_size(&note), Ordering::AcqRel);
                note
            }
            else => return,
        };
        if let Err(e) = publish(&client, &note).await {
            tracing::warn!("a note to the other instances was lost: {e}");
            if let Some(rooms) = rooms.upgrade() {
                rooms.hits.hit(QUEUE_FULL);
            }
        }
    }
}

/// Hands what the other instances say to the rooms, and answers claims of
/// this instance's number, until the rooms are gone.
async fn listener(
    client: async_nats::Client,
    [mut members, mut mine, mut claims]: [async_nats::Subscriber; 3],
    rooms: Weak<Rooms>,
) {
    loop {
        // Membership first: a join note and a signal from the member who
        // joined may both be waiting (they travel on different subjects).
        let message = tokio::select! {
            biased;
            Some(message) = members.next() => message,
            Some(message) = mine.next() => message,
            Some(claim) = claims.next() => {
                if let Some(reply) = claim.reply {
                    let _ = client.publish(reply, "taken".into()).await;
                }
                continue;
            }
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

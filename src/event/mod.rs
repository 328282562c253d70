//! Events: the signed, content-addressed unit of change.
//!
//! An [`Event`] is immutable. Its bytes are the canonical encoding of its
//! [`Content`] followed by an ed25519 signature over that encoding; its
//! [`EventId`] is the BLAKE3 hash of those bytes. A node stores and forwards
//! exactly the bytes it verified ([`Event::bytes`]).
//!
//! * [`encoding`]: the canonical byte form and [`DecodeError`];
//! * [`validate`]: every objective validity rule, as documented free functions;
//! * [`Identity`]: a signing key that turns a [`Draft`] into an [`Event`].

mod body;
mod change_actors;
pub mod encoding;
mod identity;
mod ids;
pub mod sealed;
pub mod validate;
pub mod verdict;

pub use body::{Body, DocId, Statement, Transfer, TrustLevel, Void};
pub use encoding::DecodeError;
pub use identity::{Draft, Identity};
pub use ids::{EventId, PublicKey};
pub(crate) use ids::{hex, parse_hex_vec};
pub use sealed::SEALED_VERSION;
pub use validate::{ContextError, EventError};
pub use verdict::{AuthorKeys, verdicts};

use serde::{Deserialize, Serialize};

/// The event format version this crate writes in open networks.
///
/// * 1: the first format.
/// * 2: the same encoding; units are restricted to an explicit allowlist
///   ([`validate::unit_allowed`]). Version-1 events keep the version-1 unit
///   rule, so every event that was valid stays valid.
/// * 3 ([`SEALED_VERSION`]): private networks' events, the header in clear
///   and the body sealed (see [`sealed`]); the unit rule of version 2.
pub const VERSION: u8 = 2;

/// The oldest event format version this crate still reads and validates.
pub const OLDEST_VERSION: u8 = 1;

/// Whether this crate reads events of format `version`.
pub fn is_known_version(version: u8) -> bool {
    (OLDEST_VERSION..=SEALED_VERSION).contains(&version)
}

/// Everything an author signs: the event without its signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Content {
    /// Format version; the first byte of the encoding.
    pub version: u8,
    /// The author's public key.
    pub author: PublicKey,
    /// The author's own counter: 1, 2, 3…
    pub seq: u64,
    /// Ids of the events this one builds on, sorted and deduplicated.
    pub parents: Vec<EventId>,
    /// The author's wall clock in milliseconds: shown to people, never
    /// used to decide. Sealed in a version-3 event (0 until opened, and in
    /// a void event whose body could not be read).
    pub time: u64,
    /// What the event says. Sealed in a version-3 event: [`Body::Void`]
    /// until it is opened, or if it cannot be read or breaks a body rule.
    pub body: Body,
}

/// A verified event: its exact bytes, their id, and the decoded content.
///
/// The only ways to obtain one are [`Event::from_bytes`] (which runs every
/// stateless validity check) and [`Identity::sign`] (whose signature is good
/// by construction, but whose body the caller chose). Either way the bytes
/// are canonical and the signature verifies; the body rules are checked
/// again by the [`Log`](crate::Log) on insert.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    id: EventId,
    bytes: Box<[u8]>,
    content: Content,
    /// Where a sealed event's parts are (`None` for a clear event).
    sealed: Option<sealed::SealedAt>,
}

impl Event {
    /// Decodes and validates an event received from anywhere.
    ///
    /// Runs [`encoding::decode`] then [`validate::validate_event`]; see those
    /// for the list of rules. Rules that need the event's parents are checked
    /// when it enters a [`Log`](crate::Log).
    ///
    /// A sealed event (version 3) comes out with its header checked and its
    /// body not opened ([`Void::Sealed`]): see
    /// [`Network::admit`](crate::Network::admit).
    pub fn from_bytes(bytes: &[u8]) -> Result<Event, EventError> {
        let event = Event::from_own_store(bytes)?;
        validate::validate_event(&event)?;
        Ok(event)
    }

    /// Decodes bytes this node verified before it stored them, read back from
    /// its own store (whose records are checked against their hash ids).
    ///
    /// Decodes only: the [`Log`](crate::Log) checks every rule but the
    /// signature again when the event is inserted. The signature, the costly
    /// part, is not checked again: whoever can rewrite this origin's storage
    /// can also run code in it and read its secret key, so a second check
    /// would protect nothing. Bytes from anywhere else go through
    /// [`from_bytes`](Self::from_bytes).
    pub fn from_own_store(bytes: &[u8]) -> Result<Event, EventError> {
        Event::from_loaded(EventId::of_bytes(bytes), bytes.to_vec())
    }

    /// [`from_own_store`](Self::from_own_store) for a record a
    /// [`Store`](crate::store::Store) loaded ([`LoadedEvents`](crate::store::LoadedEvents)):
    /// `id` is the hash of `bytes`, which every store checks as it reads
    /// (`store::check_record`), so it is not computed again; and the bytes
    /// are kept, not copied: an open reads every stored event.
    pub(crate) fn from_loaded(id: EventId, bytes: Vec<u8>) -> Result<Event, EventError> {
        debug_assert!(
            EventId::of_bytes(&bytes) == id,
            "a store loaded a record under another id"
        );
        let (content, sealed) = encoding::decode_parts(&bytes)?;
        Ok(Event {
            id,
            bytes: bytes.into_boxed_slice(),
            content,
            sealed,
        })
    }

    /// Wraps bytes that were checked by this crate (signing, decoding).
    pub(crate) fn from_parts(
        bytes: Box<[u8]>,
        content: Content,
        sealed: Option<sealed::SealedAt>,
    ) -> Event {
        Event {
            id: EventId::of_bytes(&bytes),
            bytes,
            content,
            sealed,
        }
    }

    /// Whether the event is sealed (format version 3, a private network's).
    pub fn is_sealed(&self) -> bool {
        self.sealed.is_some()
    }

    /// A sealed event's admission tag (`None` for a clear event).
    pub fn admission(&self) -> Option<&[u8; sealed::ADMISSION_LEN]> {
        Some(self.sealed?.admission(&self.bytes))
    }

    /// Whether the event counts for nothing (see [`Void`]).
    pub fn void(&self) -> Option<&Void> {
        match &self.content.body {
            Body::Void(void) => Some(void),
            _ => None,
        }
    }

    /// The event with its sealed body opened under `keys`: its time and
    /// what it says, or a void verdict. A clear event, or one opened
    /// already, is returned as it is. Checks nothing but the body: the
    /// admission tag is [`Network::admit`](crate::Network::admit)'s.
    pub fn opened(mut self, keys: &crate::invite::NetworkKeys) -> Event {
        if let (Some(at), Body::Void(Void::Sealed)) = (self.sealed, &self.content.body) {
            let (time, body) = sealed::open(&self.bytes, at, &self.content.author, keys);
            self.content.time = time;
            self.content.body = body;
        }
        self
    }

    /// The same event, void because its body breaks a rule against its
    /// parents (`code`): for sealed events, whose body rules cannot be a
    /// reason to refuse them (see [`sealed`]).
    pub(crate) fn into_void(mut self, code: &str) -> Event {
        self.content.body = Body::Void(Void::Broken(code.to_owned()));
        self
    }

    /// The content-addressed id.
    pub fn id(&self) -> EventId {
        self.id
    }
    /// The exact signed bytes, as stored and forwarded.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// The decoded, signed content.
    pub fn content(&self) -> &Content {
        &self.content
    }
    /// The author's public key.
    pub fn author(&self) -> PublicKey {
        self.content.author
    }
    /// The author's counter.
    pub fn seq(&self) -> u64 {
        self.content.seq
    }
    /// The parent ids (sorted, deduplicated).
    pub fn parents(&self) -> &[EventId] {
        &self.content.parents
    }
    /// The author's clock, in ms.
    pub fn time(&self) -> u64 {
        self.content.time
    }
    /// What the event says.
    pub fn body(&self) -> &Body {
        &self.content.body
    }
    /// The signature (the last 64 bytes).
    pub fn signature(&self) -> &[u8] {
        &self.bytes[self.bytes.len() - encoding::SIGNATURE_LEN..]
    }
    /// The signed part of the bytes (everything but the signature).
    pub fn signed_bytes(&self) -> &[u8] {
        &self.bytes[..self.bytes.len() - encoding::SIGNATURE_LEN]
    }
}

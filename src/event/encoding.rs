//! The canonical byte form of an event.
//!
//! ```text
//! event = postcard(Content) ‖ signature (64 bytes)
//! ```
//!
//! `Content` starts with the version byte, so an unknown version is detected
//! before anything else is read. Versions 1 and 2 share this encoding (they
//! differ in a validity rule, see [`VERSION`](super::VERSION)); version 3
//! keeps the header in clear and seals the rest (see [`super::sealed`]).
//! The version byte is part of the signed content, so re-encoding
//! reproduces it. Integers are postcard varints, byte strings
//! and vectors are length-prefixed. The form is canonical because decoding
//! re-encodes and compares: any input that is not the exact encoding of what
//! it decodes to (overlong varints, trailing bytes…) is rejected, so one
//! content has one byte form and one id.

use super::sealed::{self, SEALED_VERSION, SealedAt};
use super::{Content, is_known_version};
use thiserror::Error;

/// Length of the ed25519 signature that ends every event.
pub const SIGNATURE_LEN: usize = 64;
/// The largest encoded event accepted (a document change plus headroom).
pub const MAX_EVENT_BYTES: usize = 2 * 1024 * 1024 + 16 * 1024;
/// The smallest conceivable event: version byte plus signature.
const MIN_EVENT_BYTES: usize = 1 + SIGNATURE_LEN;

/// Why bytes are not the canonical encoding of an event.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeError {
    /// More bytes than [`MAX_EVENT_BYTES`].
    /// Code `event_too_large`.
    #[error("event is {len} bytes, more than the limit of {max}")]
    TooLarge {
        /// Received length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Too short to hold a version and a signature.
    /// Code `event_too_short`.
    #[error("event is only {len} bytes")]
    TooShort {
        /// Received length.
        len: usize,
    },
    /// A version this crate does not know.
    /// Code `unknown_event_version`.
    #[error("unknown event format version {0}")]
    UnknownVersion(u8),
    /// The bytes do not decode (truncated, bad tag, bad UTF-8, oversized length prefix…).
    /// Code `malformed_event`.
    #[error("malformed event: {0}")]
    Malformed(postcard::Error),
    /// The content decoded but left bytes before the signature.
    /// Code `trailing_bytes`.
    #[error("{0} unexpected bytes after the event content")]
    TrailingBytes(usize),
    /// The bytes decode but are not the canonical encoding of what they decode to.
    /// Code `non_canonical_event`.
    #[error("event is not in canonical form")]
    NonCanonical,
}

impl DecodeError {
    /// The stable code of this error: snake_case, unique among the crate's
    /// codes, named in each variant's doc (a wrapping variant gives the
    /// wrapped error's).
    pub fn code(&self) -> &'static str {
        match self {
            DecodeError::TooLarge { .. } => "event_too_large",
            DecodeError::TooShort { .. } => "event_too_short",
            DecodeError::UnknownVersion(..) => "unknown_event_version",
            DecodeError::Malformed(..) => "malformed_event",
            DecodeError::TrailingBytes(..) => "trailing_bytes",
            DecodeError::NonCanonical => "non_canonical_event",
        }
    }
}

/// Encodes content canonically (without signature).
pub fn encode_content(content: &Content) -> Vec<u8> {
    // Cannot fail: `Content` is derived plain data (see `crate::encode`),
    // so what `Identity::sign` signs is always the content's encoding.
    crate::encode::to_bytes(content)
}

/// The length of the event at the start of `stream` (events sent back to
/// back, without length prefixes), or `None` if no event starts there. Says
/// nothing about validity: the event's own bytes are then decoded and
/// checked as usual.
pub fn event_len(stream: &[u8]) -> Option<usize> {
    if !stream.first().is_some_and(|&v| is_known_version(v)) {
        return None;
    }
    let rest = if stream[0] == SEALED_VERSION {
        sealed::skip(stream)?
    } else {
        postcard::take_from_bytes::<Content>(stream).ok()?.1
    };
    let len = stream.len() - rest.len() + SIGNATURE_LEN;
    (len <= stream.len() && len <= MAX_EVENT_BYTES).then_some(len)
}

/// Decodes an event's bytes into its content, enforcing size, version and
/// canonical form. Checks nothing about meaning or signature: see
/// [`validate_event`](super::validate::validate_event).
pub fn decode(bytes: &[u8]) -> Result<Content, DecodeError> {
    Ok(decode_parts(bytes)?.0)
}

/// [`decode`], and where a sealed event's parts are.
pub(crate) fn decode_parts(bytes: &[u8]) -> Result<(Content, Option<SealedAt>), DecodeError> {
    if bytes.len() > MAX_EVENT_BYTES {
        return Err(DecodeError::TooLarge {
            len: bytes.len(),
            max: MAX_EVENT_BYTES,
        });
    }
    if bytes.len() < MIN_EVENT_BYTES {
        return Err(DecodeError::TooShort { len: bytes.len() });
    }
    if !is_known_version(bytes[0]) {
        return Err(DecodeError::UnknownVersion(bytes[0]));
    }
    let signed = &bytes[..bytes.len() - SIGNATURE_LEN];
    if bytes[0] == SEALED_VERSION {
        let (content, at) = sealed::decode(signed)?;
        return Ok((content, Some(at)));
    }
    let (content, rest): (Content, _) =
        postcard::take_from_bytes(signed).map_err(DecodeError::Malformed)?;
    if !rest.is_empty() {
        return Err(DecodeError::TrailingBytes(rest.len()));
    }
    if encode_content(&content) != signed {
        return Err(DecodeError::NonCanonical);
    }
    Ok((content, None))
}

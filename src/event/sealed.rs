//! Sealed events (format version 3, private networks): the header in
//! clear, the body sealed under the network's key.
//!
//! ```text
//! event      = header ‖ ciphertext ‖ signature (64 bytes)
//! header     = postcard(version = 3, author, seq, parents, admission (64), nonce (24))
//! ciphertext = length ‖ XChaCha20-Poly1305(body key, nonce, aad = header,
//!                                          postcard(time, body) ‖ zeros)
//! ```
//!
//! The zeros pad the plaintext to [`padded_len`] of its encoding: at least
//! [`MIN_SEALED_PLAIN`] bytes, then Padmé buckets (at most ~12 % more), so
//! a sealed event's size says little of what it holds — not an amount's
//! order of magnitude, nor a short memo's length. The padding is part of
//! the canonical form: any other length or a non-zero byte is void.
//!
//! The signature covers header and ciphertext, so ids, forks and sync are
//! those of clear events. What sync and header validation need (version,
//! author, seq, parents, sizes) is readable by anyone, a relay included;
//! the author's clock and everything the event says are not. The
//! admission tag is the network's signature of the author's key (see
//! [`NetworkKeys::admit`]): anyone holding the network's identity checks
//! it, only members can make it. The header is the body's associated data,
//! so a body moved under another header does not open.
//!
//! Opening never refuses an event: a body that does not open, does not
//! decode canonically or breaks a body rule makes the event **void**
//! ([`Void`]) — it keeps its place in the DAG and counts for nothing — so
//! a peer that merely forwards it, or a relay that cannot read it, is never
//! at fault.

use super::encoding::{DecodeError, SIGNATURE_LEN};
use super::{Body, Content, EventId, PublicKey, Void, validate};
use crate::invite::{NONCE_LEN, NetworkKeys};
use serde::{Deserialize, Serialize};

/// The format version of sealed events.
pub const SEALED_VERSION: u8 = 3;

/// Bytes of an admission tag (an ed25519 signature).
pub const ADMISSION_LEN: usize = 64;

/// The smallest sealed plaintext: every payment with a memo of up to
/// about 70 bytes, and every statement with a short reason, has this
/// size, whatever its amount.
pub const MIN_SEALED_PLAIN: usize = 128;

/// Padding never takes a plaintext past this (the largest valid body, a
/// 2 MiB document change, with room to spare), so a padded event stays
/// within [`MAX_EVENT_BYTES`](super::encoding::MAX_EVENT_BYTES).
const MAX_PADDED_PLAIN: usize = validate::MAX_CHANGE_BYTES + 4096;

/// The length a sealed plaintext of `len` encoded bytes is padded to:
/// [`MIN_SEALED_PLAIN`] at least, then Padmé (Nikitin et al., 2019: keep
/// the top ⌊log₂ E⌋ + 1 bits of the length, E = ⌊log₂ len⌋), so at most
/// ~12 % is added and each size stands for many lengths. A function of
/// `len` alone: the padding is canonical.
pub fn padded_len(len: usize) -> usize {
    if len <= MIN_SEALED_PLAIN {
        return MIN_SEALED_PLAIN;
    }
    if len >= MAX_PADDED_PLAIN {
        return len;
    }
    let e = usize::BITS - 1 - len.leading_zeros();
    let s = u32::BITS - e.leading_zeros();
    let mask = (1usize << (e - s)) - 1;
    ((len + mask) & !mask).min(MAX_PADDED_PLAIN)
}

/// The clear part of a sealed event, in encoding order.
#[derive(Serialize, Deserialize)]
struct Header {
    version: u8,
    author: PublicKey,
    seq: u64,
    parents: Vec<EventId>,
    /// Serde writes arrays of up to 32 elements: two halves.
    admission: [[u8; 32]; 2],
    nonce: [u8; NONCE_LEN],
}

/// What the body key seals.
#[derive(Serialize, Deserialize)]
struct Inner {
    time: u64,
    body: Body,
}

/// Where the parts of a sealed event's bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SealedAt {
    /// Length of the header: the associated data, ending with the tag and the nonce.
    header_len: u32,
    /// Where the ciphertext starts (after its length prefix).
    body_at: u32,
}

impl SealedAt {
    /// The admission tag in `bytes` (the event's bytes).
    pub(crate) fn admission<'a>(&self, bytes: &'a [u8]) -> &'a [u8; ADMISSION_LEN] {
        let end = self.header_len as usize - NONCE_LEN;
        bytes[end - ADMISSION_LEN..end]
            .try_into()
            .expect("the header ends with the tag and the nonce")
    }

    fn nonce<'a>(&self, bytes: &'a [u8]) -> &'a [u8; NONCE_LEN] {
        let end = self.header_len as usize;
        bytes[end - NONCE_LEN..end]
            .try_into()
            .expect("the header ends with the nonce")
    }
}

/// Decodes the signed part of a sealed event: the content with `time` 0
/// and the body [`Void::Sealed`] until it is opened, and where its parts
/// are. Canonical like clear events: re-encoding must give `signed` back.
pub(crate) fn decode(signed: &[u8]) -> Result<(Content, SealedAt), DecodeError> {
    let (header, rest): (Header, _) =
        postcard::take_from_bytes(signed).map_err(DecodeError::Malformed)?;
    let header_len = signed.len() - rest.len();
    let (sealed, rest): (&[u8], _) =
        postcard::take_from_bytes(rest).map_err(DecodeError::Malformed)?;
    if !rest.is_empty() {
        return Err(DecodeError::TrailingBytes(rest.len()));
    }
    let body_at = signed.len() - sealed.len();
    let mut again = crate::encode::to_bytes(&header);
    again.extend(crate::encode::to_bytes(sealed));
    if again != signed {
        return Err(DecodeError::NonCanonical);
    }
    let content = Content {
        version: header.version,
        author: header.author,
        seq: header.seq,
        parents: header.parents,
        time: 0,
        body: Body::Void(Void::Sealed),
    };
    // Both fit: an event is at most `MAX_EVENT_BYTES`, far below 4 GiB.
    let at = SealedAt {
        header_len: header_len as u32,
        body_at: body_at as u32,
    };
    Ok((content, at))
}

/// What follows the signed part of the sealed event at the start of
/// `stream` (for [`event_len`](super::encoding::event_len)), if one decodes there.
pub(crate) fn skip(stream: &[u8]) -> Option<&[u8]> {
    let (_, rest): (Header, _) = postcard::take_from_bytes(stream).ok()?;
    let (_, rest): (&[u8], _) = postcard::take_from_bytes(rest).ok()?;
    Some(rest)
}

/// The signed part of a sealed event: `content`'s header in clear with
/// the admission tag and the nonce, its time and body sealed. Returns the
/// bytes and where their parts are.
pub(crate) fn encode(
    content: &Content,
    admission: &[u8; ADMISSION_LEN],
    nonce: &[u8; NONCE_LEN],
    keys: &NetworkKeys,
) -> (Vec<u8>, SealedAt) {
    let header = Header {
        version: SEALED_VERSION,
        author: content.author,
        seq: content.seq,
        parents: content.parents.clone(),
        admission: [
            admission[..32].try_into().expect("64 bytes"),
            admission[32..].try_into().expect("64 bytes"),
        ],
        nonce: *nonce,
    };
    let mut bytes = crate::encode::to_bytes(&header);
    let header_len = bytes.len();
    let inner = Inner {
        time: content.time,
        body: content.body.clone(),
    };
    let mut plain = crate::encode::to_bytes(&inner);
    plain.resize(padded_len(plain.len()), 0);
    let sealed = keys.seal(nonce, &bytes, &plain);
    bytes.extend(crate::encode::to_bytes(&sealed));
    let body_at = bytes.len() - sealed.len();
    let at = SealedAt {
        header_len: header_len as u32,
        body_at: body_at as u32,
    };
    (bytes, at)
}

/// Opens a sealed event's body: its time and what it says, or the void
/// verdict (never an error: see the [module docs](self)). `bytes` are the
/// event's bytes, `author` its author (for the body rules).
pub(crate) fn open(
    bytes: &[u8],
    at: SealedAt,
    author: &PublicKey,
    keys: &NetworkKeys,
) -> (u64, Body) {
    let header = &bytes[..at.header_len as usize];
    let sealed = &bytes[at.body_at as usize..bytes.len() - SIGNATURE_LEN];
    let Ok(plain) = keys.open(at.nonce(bytes), header, sealed) else {
        return (0, Body::Void(Void::Unreadable));
    };
    let inner = match postcard::take_from_bytes::<Inner>(&plain) {
        Ok((inner, padding))
            if padding.iter().all(|&b| b == 0)
                && plain.len() == padded_len(plain.len() - padding.len())
                && crate::encode::to_bytes(&inner) == plain[..plain.len() - padding.len()] =>
        {
            inner
        }
        _ => return (0, Body::Void(Void::Malformed)),
    };
    if matches!(inner.body, Body::Void(_)) {
        return (0, Body::Void(Void::Malformed));
    }
    match validate::validate_body(author, SEALED_VERSION, &inner.body) {
        Ok(()) => (inner.time, inner.body),
        Err(e) => (inner.time, Body::Void(Void::Broken(e.code().to_owned()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Padding never shrinks, grows at most ~12 % past the minimum, is
    /// the same for lengths in one bucket, and keeps the largest body
    /// within the event limit.
    #[test]
    fn padding_is_a_bounded_bucketing_of_the_length() {
        let mut last = 0;
        for len in (0..70_000).chain([MAX_PADDED_PLAIN - 1, MAX_PADDED_PLAIN, MAX_PADDED_PLAIN + 9])
        {
            let padded = padded_len(len);
            assert!(
                padded >= len && padded >= last.min(MAX_PADDED_PLAIN),
                "{len}"
            );
            if len > MIN_SEALED_PLAIN {
                assert!(
                    padded as f64 <= len as f64 * 1.125 + 1.0,
                    "{len} → {padded}"
                );
            }
            assert_eq!(
                padded_len(padded),
                padded,
                "a padded length is its own bucket"
            );
            last = padded;
        }
        assert_eq!(padded_len(1), padded_len(MIN_SEALED_PLAIN));
        assert_eq!(
            padded_len(validate::MAX_CHANGE_BYTES + 64),
            MAX_PADDED_PLAIN
        );
    }
}

//! Whether events from anywhere are valid on their own, the check a node
//! may hand to other threads (a browser's Web Workers): the same
//! [`Event::from_bytes`] everywhere, with each author's key decompressed
//! once per [`AuthorKeys`] instead of once per event.

use super::validate::{validate_form, verify_with_key};
use super::{Event, EventError, EventId, PublicKey};
use ed25519_dalek::VerifyingKey;

/// Authors whose decompressed keys an [`AuthorKeys`] holds: ≈ 56 kB. A
/// catch-up is a few hundred authors; past that, keys are replaced in turn,
/// and a flood of new authors only costs the decompression it would have
/// cost anyway.
pub const MAX_AUTHOR_KEYS: usize = 256;

/// Decompressed author keys, bounded by [`MAX_AUTHOR_KEYS`].
/// Decompressing a key is ≈ 9 % of checking an event (BENCHMARKS.md,
/// "Where the time goes"); the answer depends on the key's bytes alone, so
/// keeping it changes no verdict. A list, not a map: comparing 256 keys
/// costs well under a microsecond next to a signature check's ≈ 150, and
/// it adds less to the package than a map of its own.
#[derive(Default)]
pub struct AuthorKeys {
    keys: Vec<(PublicKey, VerifyingKey)>,
    /// Where the next key goes once the list is full.
    next: usize,
}

impl AuthorKeys {
    /// The decompressed key of `author`; a key that does not decompress is
    /// a bad signature, as in [`validate::verify_signature`](super::validate::verify_signature).
    fn key(&mut self, author: PublicKey) -> Result<VerifyingKey, EventError> {
        if let Some((_, key)) = self.keys.iter().find(|(a, _)| *a == author) {
            return Ok(*key);
        }
        let key = VerifyingKey::from_bytes(&author.0).map_err(|_| EventError::BadSignature)?;
        if self.keys.len() < MAX_AUTHOR_KEYS {
            self.keys.push((author, key));
        } else {
            self.keys[self.next] = (author, key);
            self.next = (self.next + 1) % MAX_AUTHOR_KEYS;
        }
        Ok(key)
    }

    /// How many keys are held.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

impl Event {
    /// [`from_bytes`](Self::from_bytes), with the author's key taken from
    /// (or added to) `keys`: the same verdict, the same error.
    pub fn from_bytes_with(bytes: &[u8], keys: &mut AuthorKeys) -> Result<Event, EventError> {
        Event::identified_with(EventId::of_bytes(bytes), bytes, keys)
    }

    /// [`from_bytes_with`](Self::from_bytes_with) for bytes whose `id` (their
    /// hash) was computed as they arrived, so it is not computed again.
    pub(crate) fn identified_with(
        id: EventId,
        bytes: &[u8],
        keys: &mut AuthorKeys,
    ) -> Result<Event, EventError> {
        let event = Event::from_loaded(id, bytes.to_vec())?;
        validate_form(&event)?;
        verify_with_key(&event, &keys.key(event.author())?)?;
        Ok(event)
    }
}

/// For each event, in order, whether [`Event::from_bytes`] accepts it: what
/// a verifying worker answers ([`crate::node::OffThread`]).
pub fn verdicts(events: &[&[u8]], keys: &mut AuthorKeys) -> Vec<bool> {
    events
        .iter()
        .map(|bytes| Event::from_bytes_with(bytes, keys).is_ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    fn author(n: u16) -> PublicKey {
        let mut secret = [7u8; 32];
        secret[..2].copy_from_slice(&n.to_le_bytes());
        PublicKey(SigningKey::from_bytes(&secret).verifying_key().to_bytes())
    }

    #[test]
    fn the_cache_holds_at_most_its_bound_and_still_gives_each_authors_key() {
        let mut keys = AuthorKeys::default();
        let authors: Vec<PublicKey> = (0..MAX_AUTHOR_KEYS as u16 + 100).map(author).collect();
        for &a in &authors {
            assert_eq!(keys.key(a).unwrap().to_bytes(), a.0);
        }
        assert_eq!(keys.len(), MAX_AUTHOR_KEYS);
        // Evicted or kept, every author's key is still right.
        for &a in authors.iter().rev() {
            assert_eq!(keys.key(a).unwrap().to_bytes(), a.0);
            assert!(keys.len() <= MAX_AUTHOR_KEYS);
        }
        // A key that does not decompress is a bad signature, and not kept.
        let bad = (0..=255u8)
            .map(|n| [n; 32])
            .find(|b| VerifyingKey::from_bytes(b).is_err())
            .expect("some 32 bytes are no point of the curve");
        let mut fresh = AuthorKeys::default();
        assert!(matches!(
            fresh.key(PublicKey(bad)),
            Err(EventError::BadSignature)
        ));
        assert!(fresh.is_empty());
    }
}

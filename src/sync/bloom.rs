//! A salted Bloom filter of event ids.
//!
//! Salted per message (the salt comes from the caller's randomness), so an
//! attacker cannot grind events that hide in everyone's filter: a false
//! positive in one round is a true negative in the next.

use crate::event::EventId;
use serde::{Deserialize, Serialize};

/// Bits per element: with 7 hashes, about 0.8 % false positives.
const BITS_PER_ITEM: usize = 10;
const HASHES: u8 = 7;
/// Largest filter sent (bytes); beyond it the false-positive rate rises,
/// which costs an extra want round, never correctness.
pub const MAX_FILTER_BYTES: usize = 32 * 1024;

/// A Bloom filter of event ids. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bloom {
    salt: [u8; 16],
    hashes: u8,
    #[serde(with = "serde_bytes")]
    bits: Vec<u8>,
}

impl Bloom {
    /// An empty filter sized for `items` ids.
    pub fn new(items: usize, salt: [u8; 16]) -> Bloom {
        let bytes = (items * BITS_PER_ITEM).div_ceil(8).min(MAX_FILTER_BYTES);
        Bloom {
            salt,
            hashes: HASHES,
            bits: vec![0; bytes],
        }
    }

    /// A filter holding `ids`.
    pub fn of<'a>(ids: impl ExactSizeIterator<Item = &'a EventId>, salt: [u8; 16]) -> Bloom {
        let mut bloom = Bloom::new(ids.len(), salt);
        for id in ids {
            bloom.insert(id);
        }
        bloom
    }

    fn positions(&self, id: &EventId) -> impl Iterator<Item = usize> + use<> {
        let mut key = [0u8; 32];
        key[..16].copy_from_slice(&self.salt);
        key[16..].copy_from_slice(&self.salt);
        let hash = blake3::keyed_hash(&key, &id.0);
        let word = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&hash.as_bytes()[i..i + 8]);
            u64::from_le_bytes(w)
        };
        let (h1, h2) = (word(0), word(8) | 1);
        let bits = (self.bits.len() * 8) as u64;
        (0..u64::from(self.hashes.min(16)))
            .map(move |i| (h1.wrapping_add(i.wrapping_mul(h2)) % bits.max(1)) as usize)
    }

    /// Adds an id.
    pub fn insert(&mut self, id: &EventId) {
        if self.bits.is_empty() {
            return;
        }
        for bit in self.positions(id) {
            self.bits[bit / 8] |= 1 << (bit % 8);
        }
    }

    /// Whether the filter may hold `id` (false: it certainly does not).
    pub fn contains(&self, id: &EventId) -> bool {
        !self.bits.is_empty()
            && self
                .positions(id)
                .all(|bit| self.bits[bit / 8] & (1 << (bit % 8)) != 0)
    }

    /// The filter's size on the wire (bits only).
    pub fn len_bytes(&self) -> usize {
        self.bits.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn id(n: u32) -> EventId {
        EventId::of_bytes(&n.to_le_bytes())
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn holds_what_was_added_and_rarely_anything_else() {
        let members: Vec<EventId> = (0..1000).map(id).collect();
        let bloom = Bloom::of(members.iter(), [3; 16]);
        assert!(members.iter().all(|m| bloom.contains(m)));
        let false_positives = (1000..11_000).filter(|&n| bloom.contains(&id(n))).count();
        assert!(false_positives < 200, "{false_positives} of 10,000");
        // Another salt, other false positives.
        let other = Bloom::of(members.iter(), [4; 16]);
        let both = (1000..11_000)
            .filter(|&n| bloom.contains(&id(n)) && other.contains(&id(n)))
            .count();
        assert!(both < 10, "{both}");
        assert!(!Bloom::new(0, [0; 16]).contains(&id(1)));
    }
}

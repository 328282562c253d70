//! Randomness in the browser: the only fallible source is
//! `crypto.getRandomValues`, drawn at a few known points (opening a node,
//! joining a room, exporting a backup), where a failure is the coded
//! [`WebError::NoRandomness`]; everything after draws from a [`KeyedStream`]
//! that cannot fail.

use crate::errors::WebError;

/// `N` bytes from the browser's `crypto.getRandomValues`.
pub fn random<const N: usize>() -> Result<[u8; N], WebError> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|_| WebError::NoRandomness)?;
    Ok(bytes)
}

/// Independent 32-byte values from one random seed: BLAKE3 keyed by the
/// seed over a counter (a PRF), so drawing more can never fail.
pub struct KeyedStream {
    key: [u8; 32],
    drawn: u64,
}

impl KeyedStream {
    /// A stream from a fresh random seed.
    pub fn fresh() -> Result<KeyedStream, WebError> {
        Ok(KeyedStream {
            key: random::<32>()?,
            drawn: 0,
        })
    }

    /// The next value.
    pub fn next_bytes(&mut self) -> [u8; 32] {
        self.drawn += 1;
        *blake3::keyed_hash(&self.key, &self.drawn.to_le_bytes()).as_bytes()
    }

    /// The next value's first `N` bytes (`N` ≤ 32).
    pub fn next_array<const N: usize>(&mut self) -> [u8; N] {
        let bytes = self.next_bytes();
        let mut out = [0u8; N];
        out.copy_from_slice(&bytes[..N]);
        out
    }
}

//! Fixed-size identifiers: public keys and event ids.

use core::fmt;
use serde::{Deserialize, Serialize};

/// An ed25519 public key (32 bytes): an author, an account, a trust subject.
///
/// Any 32 bytes make a `PublicKey`; whether they are a usable verifying key is
/// checked when a signature is verified.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PublicKey(pub [u8; 32]);

/// The id of an event: the BLAKE3 hash of its signed bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventId(pub [u8; 32]);

impl EventId {
    /// Hashes an event's exact bytes.
    pub fn of_bytes(bytes: &[u8]) -> EventId {
        EventId(*blake3::hash(bytes).as_bytes())
    }
}

macro_rules! hex_display {
    ($t:ty, $label:literal) => {
        impl $t {
            /// The bytes as lowercase hex.
            pub fn to_hex(&self) -> String {
                hex(&self.0)
            }
            /// Appends [`to_hex`](Self::to_hex) to `out`, making no string
            /// of its own (a page's list of 100,000 payments appends one id
            /// per row to one string).
            pub fn push_hex(&self, out: &mut String) {
                let mut digits = [0u8; 64];
                for (pair, b) in digits.chunks_exact_mut(2).zip(self.0) {
                    pair.copy_from_slice(&hex_pair(b));
                }
                out.push_str(core::str::from_utf8(&digits).expect("hex digits are ASCII"));
            }
            /// The first 8 hex digits, for people.
            pub fn short(&self) -> String {
                hex(&self.0[..4])
            }
            /// Parses 64 hex digits.
            pub fn from_hex(text: &str) -> Option<Self> {
                parse_hex(text).map(Self)
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($label, "({})"), self.short())
            }
        }
    };
}
hex_display!(PublicKey, "PublicKey");
hex_display!(EventId, "EventId");

pub(crate) fn hex(bytes: &[u8]) -> String {
    // Two digits of a table per byte into a byte buffer: pushing each digit
    // as a `char` encoded it as UTF-8 one at a time, a third of the time of
    // listing 100,000 payments for a page.
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.extend_from_slice(&hex_pair(b));
    }
    String::from_utf8(out).expect("hex digits are ASCII")
}

/// A byte's two lowercase hex digits.
fn hex_pair(b: u8) -> [u8; 2] {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    [DIGITS[(b >> 4) as usize], DIGITS[(b & 15) as usize]]
}

fn parse_hex(text: &str) -> Option<[u8; 32]> {
    parse_hex_vec(text)?.try_into().ok()
}

/// Parses hex digits (any even count) into bytes.
pub(crate) fn parse_hex_vec(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if !text.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16);
    text.chunks_exact(2)
        .map(|pair| Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_two_lowercase_digits_per_byte_and_reads_back() {
        assert_eq!(hex(&[0x00, 0x0f, 0xab, 0xff]), "000fabff");
        let id = EventId::of_bytes(b"an event");
        assert_eq!(id.to_hex().len(), 64);
        assert_eq!(EventId::from_hex(&id.to_hex()), Some(id));
        assert_eq!(id.short(), id.to_hex()[..8]);
        let mut out = String::from("x");
        id.push_hex(&mut out);
        PublicKey([7; 32]).push_hex(&mut out);
        assert_eq!(out, format!("x{}{}", id.to_hex(), "07".repeat(32)));
    }
}

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
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.extend_from_slice(&[DIGITS[(b >> 4) as usize], DIGITS[(b & 15) as usize]]);
    }
    String::from_utf8(out).expect("hex digits are ASCII")
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
    }
}

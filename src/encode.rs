//! Plain data to bytes: the one place the crate writes postcard, and why
//! writing cannot fail.
//!
//! Postcard writing into a growable `Vec` fails in two cases only: a
//! `Serialize` impl reports an error of its own, or a sequence or map of
//! unknown length is written (`#[serde(flatten)]`, a hand-written impl
//! over an iterator). Every type the crate encodes — event content, sync
//! messages and frames, policies, collections, snapshots, what a peer was
//! known to hold — derives `Serialize` without attributes over fields that
//! know their length, so neither case arises.
//!
//! Before this helper each call site fell back to an empty `Vec`, which
//! would then have been signed, hashed, sent or stored as if it were the
//! value. A broken invariant now stops at [`to_bytes`] instead.

use serde::Serialize;

/// `value` in postcard. Only for the crate's own derived plain data (see
/// the [module docs](self)): adding `#[serde(flatten)]` or a hand-written
/// `Serialize` to such a type breaks the invariant this relies on.
pub(crate) fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    postcard::to_allocvec(value).expect("postcard writes derived plain data into a Vec")
}

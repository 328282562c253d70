//! Checks on an Automerge change that Automerge's own decoder leaves out,
//! made on the bytes alone (so every node, the relay included, reaches the
//! same verdict), before anything decodes the change's ops:
//!
//! * **actor indices in range**: every actor index in the op columns names
//!   an actor of the change's actor table. `automerge::Change::try_from`
//!   does not check it, and `Change::decode` — the only public way to read
//!   a change's ops, which the document guard and the masked view need —
//!   unwraps the lookup: an op naming actor 5 of a change listing two
//!   panics the reader;
//! * **at most [`MAX_CHANGE_OPS`] ops**: run-length encoding lets a
//!   100-byte change carry ten million ops (an attacker's review measured
//!   5.6 GB and 40 s to take one in natively; a tab cannot);
//! * **a compressed chunk inflates to at most [`MAX_INFLATED_BYTES`]**:
//!   Automerge inflates it without a limit, so a 2 MB event could become
//!   gigabytes;
//! * **at most [`MAX_CHANGE_NAME_BYTES`] of names and [`MAX_CHANGE_PREDS`]
//!   predecessors**, summed over the ops: decoding copies a run-length
//!   encoded name once per op, and one op may list any number of
//!   predecessors, so a 3 kB change repeating a 1 kB name over 60,000 ops
//!   took 60 MB to decode (an attacker's review), and a few bytes can list
//!   a million predecessors.
//!
//! The format (automerge's storage documentation, "Change chunks" and
//! "Column encodings"): after the chunk header come the dependencies, the
//! actor, seq, start op, time, message and the other actors, then the
//! column metadata (a count, then per column its specification — the column
//! id above bit 4, the low three bits the type: 1 an actor column, 2 an
//! integer column — and its length) and the columns' data. Actor and
//! integer columns are run-length encoded: a signed count `n`, then one
//! value repeated `n` times (`n > 0`), `-n` literal values (`n < 0`), or a
//! null run whose length follows (`n = 0`). A change has as many ops as its
//! action column (id 4, integer) has values: Automerge reads ops until that
//! column ends. Automerge has already refused deflated columns in a change
//! chunk, and `raw_bytes` is the chunk uncompressed.

use std::io::Read;

/// The most ops one change may carry. Local edits are closed into changes
/// of at most half this (`doc::MAX_PENDING_OPS`), so no honest change
/// comes near it.
pub const MAX_CHANGE_OPS: u64 = 1 << 16;

/// The most bytes a compressed change chunk may inflate to.
pub const MAX_INFLATED_BYTES: u64 = 8 << 20;

/// The most bytes of names (map keys and mark names: every value of a
/// string column, each time it is repeated) one change may carry. Local
/// edits close a change at half this (`doc::MAX_PENDING_NAME_BYTES`).
pub const MAX_CHANGE_NAME_BYTES: u64 = 2 << 20;

/// The most predecessors the ops of one change may list together. Local
/// edits stay below half this: a text op lists at most one, and the ops on
/// a map key close a change at `doc::MAX_PENDING_KEYED_PREDS`.
pub const MAX_CHANGE_PREDS: u64 = 1 << 17;

/// The most other actors one change may name (each at least a key's 32
/// bytes: at most 2 MiB of them).
pub const MAX_OTHER_ACTORS: u64 = 1 << 16;

/// The bytes of an author's key, the first part of their actor.
const KEY_BYTES: u64 = 32;

/// The chunk type of a change.
const CHANGE_CHUNK: u8 = 1;
/// The chunk type of a compressed change.
const COMPRESSED_CHUNK: u8 = 2;

/// The id of the action column (its length is the change's op count).
const ACTION_COLUMN_ID: u32 = 4;
/// The id of the predecessor columns (the group column counts each op's).
const PRED_COLUMN_ID: u32 = 7;
/// The low bits of a group column's specification.
const GROUP_COLUMN: u32 = 0;
/// The low bits of an integer column's specification.
const INTEGER_COLUMN: u32 = 2;
/// The low bits of a delta-encoded integer column's specification.
const DELTA_COLUMN: u32 = 3;
/// The low bits of a boolean column's specification.
const BOOLEAN_COLUMN: u32 = 4;
/// The low bits of a string column's specification.
const STRING_COLUMN: u32 = 5;
/// The low bits of a value metadata column's specification.
const VALUE_METADATA_COLUMN: u32 = 6;
/// The low bits of a raw value column's specification.
const VALUE_COLUMN: u32 = 7;

/// The low bits of a column specification naming an actor column.
const ACTOR_COLUMN: u32 = 1;
/// The type bits of a column specification.
const TYPE_BITS: u32 = 0b111;

/// A cursor over the chunk's bytes; every read is checked.
struct Bytes<'a> {
    rest: &'a [u8],
}

impl<'a> Bytes<'a> {
    fn take(&mut self, n: u64) -> Option<&'a [u8]> {
        let n = usize::try_from(n).ok()?;
        if n > self.rest.len() {
            return None;
        }
        let (first, rest) = self.rest.split_at(n);
        self.rest = rest;
        Some(first)
    }

    fn unsigned(&mut self) -> Option<u64> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let (&byte, rest) = self.rest.split_first()?;
            self.rest = rest;
            value |= u64::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                return Some(value);
            }
        }
        None
    }

    fn signed(&mut self) -> Option<i64> {
        let mut value: i64 = 0;
        let mut shift = 0u32;
        loop {
            let (&byte, rest) = self.rest.split_first()?;
            self.rest = rest;
            if shift >= 64 {
                return None;
            }
            value |= i64::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                if shift < 64 && byte & 0x40 != 0 {
                    value |= -1i64 << shift;
                }
                return Some(value);
            }
        }
    }

    /// Skips a length-prefixed field.
    fn skip_prefixed(&mut self) -> Option<()> {
        let len = self.unsigned()?;
        self.take(len).map(|_| ())
    }
}

/// What is wrong with a change chunk, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnsFault {
    /// A compressed chunk inflating past [`MAX_INFLATED_BYTES`].
    InflatesTooMuch,
    /// Another actor of a length no author's actor has, or more than
    /// [`MAX_OTHER_ACTORS`] of them.
    BadActors,
    /// An actor index past the change's actor table.
    ActorOutOfRange,
    /// More than [`MAX_CHANGE_OPS`] ops.
    TooManyOps,
    /// More than [`MAX_CHANGE_NAME_BYTES`] of names.
    NamesTooLong,
    /// More than [`MAX_CHANGE_PREDS`] predecessors.
    TooManyPreds,
    /// Values longer, together, than the value column holds.
    ValuesPastColumn,
    /// The chunk does not parse.
    Unparsable,
}

/// How much a change may carry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// The most ops.
    pub ops: u64,
    /// The most bytes of names.
    pub name_bytes: u64,
    /// The most predecessors.
    pub preds: u64,
    /// The most bytes a compressed chunk inflates to.
    pub inflated: u64,
}

/// What a valid change may carry.
pub(crate) const LIMITS: Limits = Limits {
    ops: MAX_CHANGE_OPS,
    name_bytes: MAX_CHANGE_NAME_BYTES,
    preds: MAX_CHANGE_PREDS,
    inflated: MAX_INFLATED_BYTES,
};

/// Checks a change chunk (`bytes`, compressed or not, as a `Doc` event
/// carries it) on its bytes, before Automerge reads it: Automerge's own
/// parse decodes every op (an op count or a predecessor list of 2³⁰ in a
/// 94-byte chunk took seconds and gigabytes there, before any check after
/// it could refuse it — the review of 3537d43). Every column must parse
/// whole; the chunk's checksum, actions and the rest are Automerge's to
/// judge after this.
pub(crate) fn check_chunk(bytes: &[u8], limits: Limits) -> Result<(), ColumnsFault> {
    let mut header = Bytes { rest: bytes };
    let (Some(_magic), Some(_checksum), Some(kind), Some(len)) = (
        header.take(4),
        header.take(4),
        header.take(1),
        header.unsigned(),
    ) else {
        return Err(ColumnsFault::Unparsable);
    };
    let data = header.take(len).ok_or(ColumnsFault::Unparsable)?;
    match kind {
        [CHANGE_CHUNK] => body_columns(data, limits),
        [COMPRESSED_CHUNK] => {
            let mut inflated = Vec::new();
            let mut reader = flate2::bufread::DeflateDecoder::new(data).take(limits.inflated + 1);
            reader
                .read_to_end(&mut inflated)
                .map_err(|_| ColumnsFault::Unparsable)?;
            if inflated.len() as u64 > limits.inflated {
                return Err(ColumnsFault::InflatesTooMuch);
            }
            body_columns(&inflated, limits)
        }
        _ => Err(ColumnsFault::Unparsable),
    }
}

/// Whether `actor` has the length of an author's actor: a key, then a
/// session suffix of at most [`MAX_ACTOR_SUFFIX`](super::validate::MAX_ACTOR_SUFFIX)
/// bytes. (Automerge takes an empty actor as one more, and a million of
/// them inflate from 8 kB.)
fn actor_length_fits(len: u64) -> bool {
    (KEY_BYTES..=KEY_BYTES + super::validate::MAX_ACTOR_SUFFIX as u64).contains(&len)
}

/// The checks on a change chunk's body (after its length; inflated).
fn body_columns(body: &[u8], limits: Limits) -> Result<(), ColumnsFault> {
    columns(body, limits, None).unwrap_or(Err(ColumnsFault::Unparsable))
}

/// The checks on a body; `actors` (for tests) replaces the size of its
/// actor table. `None`: the body does not parse.
fn columns(body: &[u8], limits: Limits, actors: Option<u64>) -> Option<Result<(), ColumnsFault>> {
    let mut bytes = Bytes { rest: body };
    let deps = bytes.unsigned()?;
    bytes.take(deps.checked_mul(32)?)?;
    bytes.skip_prefixed()?; // actor: whose it may be is checked after decoding
    bytes.unsigned()?; // seq
    bytes.unsigned()?; // start op
    bytes.signed()?; // time
    bytes.skip_prefixed()?; // message
    let others = bytes.unsigned()?;
    if others > MAX_OTHER_ACTORS {
        return Some(Err(ColumnsFault::BadActors));
    }
    for _ in 0..others {
        let len = bytes.unsigned()?;
        bytes.take(len)?;
        if !actor_length_fits(len) {
            return Some(Err(ColumnsFault::BadActors));
        }
    }
    let actors = actors.unwrap_or(others + 1);
    let columns = bytes.unsigned()?;
    if columns > 1024 {
        return None;
    }
    let mut specs = Vec::new();
    for _ in 0..columns {
        let spec = u32::try_from(bytes.unsigned()?).ok()?;
        let len = bytes.unsigned()?;
        specs.push((spec, len));
    }
    let mut name_bytes: u64 = 0;
    let mut value_bytes: u64 = 0;
    let mut value_column: u64 = 0;
    for (spec, len) in specs {
        let data = bytes.take(len)?;
        let (id, kind) = (spec >> 4, spec & TYPE_BITS);
        match kind {
            ACTOR_COLUMN if !run_values_below(data, actors)? => {
                return Some(Err(ColumnsFault::ActorOutOfRange));
            }
            STRING_COLUMN => {
                name_bytes = name_bytes.saturating_add(string_bytes(data, limits.name_bytes)?);
                if name_bytes > limits.name_bytes {
                    return Some(Err(ColumnsFault::NamesTooLong));
                }
            }
            INTEGER_COLUMN if id == ACTION_COLUMN_ID => {
                if run_length(data, limits.ops)? > limits.ops {
                    return Some(Err(ColumnsFault::TooManyOps));
                }
            }
            GROUP_COLUMN if id == PRED_COLUMN_ID => {
                if run_sum(data, limits.preds, |v| v)? > limits.preds {
                    return Some(Err(ColumnsFault::TooManyPreds));
                }
            }
            VALUE_METADATA_COLUMN => {
                // A value's length is its metadata above the type bits.
                value_bytes = value_bytes.saturating_add(run_sum(data, u64::MAX, |v| v >> 4)?);
            }
            VALUE_COLUMN => value_column = value_column.saturating_add(len),
            DELTA_COLUMN => walk_runs(data, |b| b.signed().map(|_| 0))?,
            BOOLEAN_COLUMN => walk_booleans(data)?,
            _ => walk_runs(data, |b| b.unsigned())?,
        }
    }
    if value_bytes > value_column {
        // On wasm32 Automerge cuts a length to 32 bits and may read past
        // the column (a panic) where a 64-bit node refuses the change.
        return Some(Err(ColumnsFault::ValuesPastColumn));
    }
    Some(Ok(()))
}

/// Reads a run-length encoded column whose values `value` reads, each
/// weighing what it returns (a null run: its length when `nulls` weigh, else
/// nothing), and returns their total weight — stopping once it is past
/// `cap`. `None`: the column does not parse.
fn run_weight(
    data: &[u8],
    cap: u64,
    nulls: bool,
    value: impl Fn(&mut Bytes<'_>) -> Option<u64>,
) -> Option<u64> {
    let mut bytes = Bytes { rest: data };
    let mut total: u64 = 0;
    while !bytes.rest.is_empty() && total <= cap {
        let count = bytes.signed()?;
        if count > 0 {
            let weight = value(&mut bytes)?;
            total = total.saturating_add(count.unsigned_abs().saturating_mul(weight));
        } else if count < 0 {
            for _ in 0..count.unsigned_abs() {
                total = total.saturating_add(value(&mut bytes)?);
                if total > cap {
                    break;
                }
            }
        } else {
            let len = bytes.unsigned()?;
            if nulls {
                total = total.saturating_add(len);
            }
        }
    }
    Some(total)
}

/// Reads every run of a column whose values `value` reads: it parses whole.
fn walk_runs(data: &[u8], value: impl Fn(&mut Bytes<'_>) -> Option<u64>) -> Option<()> {
    run_weight(data, u64::MAX, false, |b| value(b).map(|_| 0)).map(|_| ())
}

/// Reads a boolean column: counts of alternating false and true.
fn walk_booleans(data: &[u8]) -> Option<()> {
    let mut bytes = Bytes { rest: data };
    while !bytes.rest.is_empty() {
        bytes.unsigned()?;
    }
    Some(())
}

/// How many values a run-length encoded column holds (nulls too),
/// counting no further than just past `cap`.
fn run_length(data: &[u8], cap: u64) -> Option<u64> {
    run_weight(data, cap, true, |b| b.unsigned().map(|_| 1))
}

/// The sum of `weight` of each value of a run-length encoded column of
/// unsigned values (a group column: how many entries each op has; value
/// metadata: each value's length), counting no further than just past
/// `cap`.
fn run_sum(data: &[u8], cap: u64, weight: fn(u64) -> u64) -> Option<u64> {
    run_weight(data, cap, false, |b| b.unsigned().map(weight))
}

/// The bytes a run-length encoded string column decodes to, each string
/// counted as often as it is repeated, counting no further than just past
/// `cap`.
fn string_bytes(data: &[u8], cap: u64) -> Option<u64> {
    run_weight(data, cap, false, |b| {
        let len = b.unsigned()?;
        b.take(len).map(|_| len)
    })
}

/// Whether every value of a run-length encoded column is below `bound`.
fn run_values_below(data: &[u8], bound: u64) -> Option<bool> {
    run_weight(data, 0, false, |b| {
        b.unsigned().map(|v| u64::from(v >= bound))
    })
    .map(|n| n == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use automerge::transaction::Transactable;
    use automerge::{ActorId, AutoCommit, Change, ObjType, ROOT};

    /// Whether every actor index in the op columns of `chunk` (a change
    /// chunk, uncompressed) is below `actors`; `None` when the chunk does
    /// not parse.
    fn actor_indices_in_range(chunk: &[u8], actors: u64) -> Option<bool> {
        let mut header = Bytes { rest: chunk };
        header.take(9)?;
        let len = header.unsigned()?;
        let unlimited = Limits {
            ops: u64::MAX,
            name_bytes: u64::MAX,
            preds: u64::MAX,
            inflated: u64::MAX,
        };
        match columns(header.take(len)?, unlimited, Some(actors))? {
            Ok(()) => Some(true),
            Err(ColumnsFault::ActorOutOfRange) => Some(false),
            Err(_) => None,
        }
    }

    fn actors(change: &Change) -> u64 {
        1 + change.other_actor_ids().len() as u64
    }

    #[test]
    fn honest_changes_of_one_and_of_several_actors_pass() {
        let mut alice = AutoCommit::new().with_actor(ActorId::from(&[1u8; 32][..]));
        let text = alice.put_object(ROOT, "t", ObjType::Text).unwrap();
        alice.splice_text(&text, 0, 0, "hello world").unwrap();
        alice.commit();
        let mut bob = alice.fork().with_actor(ActorId::from(&[2u8; 32][..]));
        bob.splice_text(&text, 3, 4, "p! ").unwrap();
        bob.put(ROOT, "n", 7).unwrap();
        bob.commit();
        for change in bob.get_changes(&[]) {
            assert_eq!(
                actor_indices_in_range(change.raw_bytes(), actors(&change)),
                Some(true)
            );
        }
        let last = bob.get_last_local_change().unwrap();
        assert_eq!(actors(&last), 2, "bob's change names alice's elements");
    }

    #[test]
    fn an_index_past_the_actor_table_is_caught() {
        let mut alice = AutoCommit::new().with_actor(ActorId::from(&[1u8; 32][..]));
        alice.put(ROOT, "n", 1).unwrap();
        alice.commit();
        let mut bob = alice.fork().with_actor(ActorId::from(&[2u8; 32][..]));
        bob.put(ROOT, "n", 2).unwrap(); // pred names alice's op: index 1
        bob.commit();
        let change = bob.get_last_local_change().unwrap();
        assert_eq!(actor_indices_in_range(change.raw_bytes(), 2), Some(true));
        assert_eq!(actor_indices_in_range(change.raw_bytes(), 1), Some(false));
    }

    #[test]
    fn truncated_chunks_do_not_parse() {
        let mut doc = AutoCommit::new();
        doc.put(ROOT, "n", 1).unwrap();
        doc.commit();
        let change = doc.get_last_local_change().unwrap();
        let bytes = change.raw_bytes();
        for cut in 0..bytes.len() - 1 {
            assert_ne!(actor_indices_in_range(&bytes[..cut], 1), Some(false));
        }
    }
}

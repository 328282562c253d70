//! Change chunks written by hand, byte by byte, that Automerge's own parse
//! would spend far more than their size on: each is refused on its bytes,
//! before Automerge reads it (the review of 3537d43, findings F1, F3, F5).

use super::*;
use common::varint::varint as uleb;
use sha2::{Digest, Sha256};
use std::io::Write;
use trustfold::DocId;

const NOTES: DocId = DocId([1; 16]);

/// Column specifications (id above bit 4, type in the low three bits).
const KEY_STR: u64 = 0x15;
const INSERT: u64 = 0x34;
const ACTION: u64 = 0x42;
const VAL_META: u64 = 0x56;
const VAL_RAW: u64 = 0x57;
const PRED_GROUP: u64 = 0x70;
const PRED_ACTOR: u64 = 0x71;
const PRED_CTR: u64 = 0x73;

/// A signed LEB128 value.
fn sleb(mut value: i64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        let done = (value == 0 && byte & 0x40 == 0) || (value == -1 && byte & 0x40 != 0);
        out.push(if done { byte } else { byte | 0x80 });
        if done {
            return out;
        }
    }
}

/// One run of `count` copies of an unsigned value.
fn run_u(count: u64, value: u64) -> Vec<u8> {
    [sleb(count as i64), uleb(value)].concat()
}

/// One run of `count` copies of a signed value.
fn run_s(count: u64, value: i64) -> Vec<u8> {
    [sleb(count as i64), sleb(value)].concat()
}

/// One run of `count` copies of a string.
fn run_str(count: u64, value: &str) -> Vec<u8> {
    [
        sleb(count as i64),
        uleb(value.len() as u64),
        value.as_bytes().to_vec(),
    ]
    .concat()
}

/// The body of a first change by author 1 (no dependencies, seq 1, start
/// op 1), with `others` other actors and these columns.
fn body(others: &[Vec<u8>], columns: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let actor = key(1).0.to_vec();
    let mut out = [
        uleb(0),
        uleb(actor.len() as u64),
        actor,
        uleb(1),
        uleb(1),
        sleb(0),
        uleb(0),
    ]
    .concat();
    out.extend(uleb(others.len() as u64));
    for other in others {
        out.extend(uleb(other.len() as u64));
        out.extend(other);
    }
    out.extend(uleb(columns.len() as u64));
    for (spec, data) in columns {
        out.extend(uleb(*spec));
        out.extend(uleb(data.len() as u64));
    }
    for (_, data) in columns {
        out.extend(data);
    }
    out
}

/// A change chunk of `kind` (1: plain, 2: compressed) holding `body`, with
/// its checksum (over the uncompressed chunk).
fn chunk(kind: u8, body: &[u8]) -> Vec<u8> {
    let header = [vec![1], uleb(body.len() as u64), body.to_vec()].concat();
    let checksum = Sha256::digest(&header);
    let data = if kind == 2 {
        let mut deflate =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
        deflate.write_all(body).unwrap();
        deflate.finish().unwrap()
    } else {
        body.to_vec()
    };
    [
        vec![0x85, 0x6f, 0x4a, 0x83],
        checksum[..4].to_vec(),
        vec![kind],
        uleb(data.len() as u64),
        data,
    ]
    .concat()
}

/// The event carrying `change`, refused with a `BadChange` (also by a
/// replica, which keeps all it had).
fn refused_change(change: Vec<u8>) {
    let event = sign(1, 1, &[], Body::Doc { doc: NOTES, change });
    assert!(matches!(refused(event.bytes()), EventError::BadChange(_)));
}

/// `ops` puts of null on the root key "k", one after the other.
fn puts(ops: u64, preds: u64) -> Vec<(u64, Vec<u8>)> {
    vec![
        (KEY_STR, run_str(ops, "k")),
        (INSERT, uleb(ops)),
        (ACTION, run_u(ops, 1)),
        (VAL_META, run_u(ops, 0)),
        (PRED_GROUP, run_u(ops, preds)),
        (PRED_ACTOR, run_u(ops * preds, 0)),
        (PRED_CTR, run_s(ops * preds, 1)),
    ]
}

/// The chunks are well formed: one put, as Automerge would write it, is
/// taken (so the refusals below are for what they carry).
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_hand_written_change_of_one_put_is_taken() {
    let change = chunk(1, &body(&[], &puts(1, 0)));
    accepted(sign(1, 1, &[], Body::Doc { doc: NOTES, change }).bytes());
}

/// F1: the op and predecessor bounds were checked after Automerge's parse,
/// which decodes every op: a run of 2⁴⁰ ops (≈ 90 bytes) took 130 ns an op
/// (40 hours), a list of 2³³ predecessors asked for 128 GB. Both are refused
/// on the bytes now.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn runs_of_ops_or_predecessors_past_the_bounds_are_refused_before_they_are_decoded() {
    refused_change(chunk(1, &body(&[], &puts(1 << 40, 0))));
    refused_change(chunk(1, &body(&[], &puts(1, 1 << 33))));
}

/// F3: an actor of no bytes costs Automerge an `ActorId` each, and a
/// compressed chunk inflating to 8 MiB held ≈ 8 million of them (8 kB on
/// the wire, ≈ 290 MB decoded), in a change of no ops that was valid.
/// Another actor is an author's key and a session suffix, and a change
/// names at most MAX_OTHER_ACTORS.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn other_actors_of_no_author_s_length_are_refused() {
    let empty = vec![Vec::new(); 1 << 20];
    let change = chunk(2, &body(&empty, &[]));
    assert!(change.len() < 4_000, "{} bytes", change.len());
    refused_change(change);
    refused_change(chunk(1, &body(&[vec![7; 12]], &[])));
}

/// F5: a value's length is in its metadata; lengths past the value column
/// were cut to 32 bits on wasm32 (a panic reading past the column, where a
/// 64-bit node refused the change). Their sum must fit the column.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn values_longer_than_their_column_are_refused() {
    // Two puts of a string: 1 byte, then 2³² + 3 bytes (type 6 = string).
    let meta = [
        sleb(-2),
        uleb(1 << 4 | 6),
        uleb(((1u64 << 32) + 3) << 4 | 6),
    ]
    .concat();
    let mut columns = puts(2, 0);
    columns[3] = (VAL_META, meta);
    columns.insert(4, (VAL_RAW, b"abcd".to_vec()));
    refused_change(chunk(1, &body(&[], &columns)));
}

//! Seeded mutation test: 10,000 corruptions of valid encoded events.
//!
//! Each mutated input goes through [`Replica::ingest`] holding the corpus.
//! Every input must be refused with a typed error, without a panic, and the
//! replica (log and view) must be exactly as before. The mutations know the
//! byte layout of an event (see `encoding.rs`), so besides blind bit flips,
//! truncations and splices they re-encode varints in overlong form, inflate
//! length prefixes, edit text in place and malleate the signature (`s + kℓ`,
//! changes to `R`).
//!
//! The seed is fixed; set `TRUSTFOLD_SEED` (decimal or `0x…` hex) to try
//! another. On wasm32 there is no environment: only a compile-time
//! `TRUSTFOLD_SEED` overrides it. The seed is printed with every failure.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;

use common::varint::{overlong, varint};
use common::{alices_change, dispute, exclude, id, key, pay, retract, trust};
use proptest::prelude::{Rng, RngExt};
use proptest::test_runner::{RngAlgorithm, TestRng};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Debug;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use trustfold::event::Content;
use trustfold::event::encoding::SIGNATURE_LEN;
use trustfold::{
    Body, DecodeError, Digest, DocId, Error, Event, EventError, EventId, Policy, Replica, Transfer,
    TrustLevel,
};

/// How many mutated inputs to try (not counting skipped ones).
const MUTATIONS: usize = 10_000;
/// The seed when `TRUSTFOLD_SEED` is not set.
const DEFAULT_SEED: u64 = 0x7472_7573_7466_6f6c;
/// The order ℓ of the ed25519 base point, little-endian.
const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

#[cfg(not(target_arch = "wasm32"))]
fn report(line: &str) {
    println!("{line}");
}

#[cfg(target_arch = "wasm32")]
fn report(line: &str) {
    wasm_bindgen_test::console_log!("{line}");
}

/// What a varint holds, which bounds its length.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Role {
    /// A `u64` field: at most 10 bytes.
    Integer,
    /// A `usize` length prefix: at most 10 bytes (5 on 32-bit targets).
    Length,
    /// An enum variant index (`u32`): at most 5 bytes.
    Tag,
}

impl Role {
    fn max_len(self) -> usize {
        match self {
            Role::Integer => 10,
            Role::Length if usize::BITS == 64 => 10,
            Role::Length | Role::Tag => 5,
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Varint {
    at: usize,
    len: usize,
    value: u64,
    role: Role,
}

/// Where the varints and the text of one content are in its encoding.
#[derive(Debug, Default)]
struct Layout {
    varints: Vec<Varint>,
    texts: Vec<Range<usize>>,
    end: usize,
}

impl Layout {
    fn of(content: &Content) -> Layout {
        let mut layout = Layout {
            end: 1 + 32, // version, author
            ..Layout::default()
        };
        layout.varint(content.seq, Role::Integer);
        layout.varint(content.parents.len() as u64, Role::Length);
        layout.end += 32 * content.parents.len();
        layout.varint(content.time, Role::Integer);
        match &content.body {
            Body::Transfer(t) => {
                layout.varint(0, Role::Tag);
                layout.end += 32;
                layout.varint(t.amount, Role::Integer);
                layout.text(&t.unit);
                layout.text(&t.memo);
                layout.end += if t.reverses.is_some() { 33 } else { 1 };
            }
            Body::Exclude(s) | Body::Dispute(s) => {
                let tag = if matches!(content.body, Body::Exclude(_)) {
                    1
                } else {
                    2
                };
                layout.varint(tag, Role::Tag);
                layout.end += 32;
                layout.text(&s.reason);
            }
            Body::Retract { .. } => {
                layout.varint(3, Role::Tag);
                layout.end += 32;
            }
            Body::Trust { level, .. } => {
                layout.varint(4, Role::Tag);
                layout.end += 32;
                layout.varint(*level as u64, Role::Tag);
            }
            Body::Doc { change, .. } => {
                layout.varint(5, Role::Tag);
                layout.end += 16;
                layout.varint(change.len() as u64, Role::Length);
                layout.end += change.len();
            }
            other => unreachable!("the clear corpus holds no {other:?}"),
        }
        layout
    }

    fn varint(&mut self, value: u64, role: Role) {
        let len = varint(value).len();
        self.varints.push(Varint {
            at: self.end,
            len,
            value,
            role,
        });
        self.end += len;
    }

    fn text(&mut self, text: &str) {
        self.varint(text.len() as u64, Role::Length);
        self.texts.push(self.end..self.end + text.len());
        self.end += text.len();
    }
}

/// A valid event of the corpus with its layout.
struct Sample {
    bytes: Vec<u8>,
    layout: Layout,
}

/// Valid events of every kind by five authors, all applied to the returned replica.
fn corpus() -> (Replica, Vec<Sample>) {
    let mut replica = Replica::new(Policy::new(key(1)).trusting(key(4)));
    let mut events: Vec<Event> = Vec::new();
    let mut publish = |replica: &mut Replica, author: u8, body: Body| {
        let time = 1_700_000_000_000 + 61_000 * events.len() as u64;
        match replica.publish(&id(author), time, body) {
            Ok(event) => {
                events.push(event.clone());
                event
            }
            Err(error) => panic!("corpus event refused: {error}"),
        }
    };
    let levels = [
        (key(1), TrustLevel::Trusted),
        (key(2), TrustLevel::Neutral),
        (key(5), TrustLevel::Banned),
    ];
    for round in 0..8u8 {
        let rent = Body::Transfer(Transfer {
            to: key(2),
            amount: u64::from(round) * 1_000 + 1,
            unit: "EUR".into(),
            memo: format!("rent, month {round}"),
            reverses: None,
        });
        let rent = publish(&mut replica, 1, rent);
        let mut garden = pay(key(3), 2, "HOURS");
        if let Body::Transfer(t) = &mut garden {
            t.memo = "garden 🌱 work".into();
        }
        let garden = publish(&mut replica, 2, garden);
        let doc = DocId([round; 16]);
        let change = alices_change();
        publish(&mut replica, 1, Body::Doc { doc, change });
        let (subject, level) = levels[usize::from(round) % levels.len()];
        publish(&mut replica, 4, trust(subject, level));
        if round % 2 == 1 {
            let back = Body::Transfer(Transfer {
                to: key(1),
                amount: 1,
                unit: "EUR".into(),
                memo: "partly back".into(),
                reverses: Some(rent.id()),
            });
            publish(&mut replica, 2, back);
        }
        let excluded = publish(&mut replica, 5, exclude(garden.id(), "never came"));
        if round % 3 == 0 {
            publish(&mut replica, 5, retract(excluded.id()));
        }
        if round % 4 == 0 {
            publish(&mut replica, 1, dispute(rent.id(), "flat not handed over"));
        }
    }
    let samples = events
        .iter()
        .map(|event| {
            let layout = Layout::of(event.content());
            let signed = event.signed_bytes();
            assert_eq!(layout.end, signed.len(), "layout of {:?}", event.body());
            for v in &layout.varints {
                assert_eq!(&signed[v.at..v.at + v.len], varint(v.value).as_slice());
            }
            Sample {
                bytes: event.bytes().to_vec(),
                layout,
            }
        })
        .collect();
    (replica, samples)
}

/// How an input is corrupted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Mutation {
    ContentBitFlip,
    SignatureBitFlip,
    Truncation,
    Splice,
    InflatedLength,
    OverlongVarint,
    ScalarPlusOrder,
    RChange,
    SignatureSwap,
    TextEdit,
    ByteInsertion,
    ByteDeletion,
}

const MUTATIONS_KINDS: [Mutation; 12] = [
    Mutation::ContentBitFlip,
    Mutation::SignatureBitFlip,
    Mutation::Truncation,
    Mutation::Splice,
    Mutation::InflatedLength,
    Mutation::OverlongVarint,
    Mutation::ScalarPlusOrder,
    Mutation::RChange,
    Mutation::SignatureSwap,
    Mutation::TextEdit,
    Mutation::ByteInsertion,
    Mutation::ByteDeletion,
];

fn flip_bits(bytes: &mut [u8], range: Range<usize>, rng: &mut TestRng) {
    for _ in 0..rng.random_range(1..=4) {
        let at = rng.random_range(range.clone());
        bytes[at] ^= 1 << rng.random_range(0..8);
    }
}

fn splice_varint(bytes: &[u8], v: &Varint, new: &[u8]) -> Vec<u8> {
    [&bytes[..v.at], new, &bytes[v.at + v.len..]].concat()
}

/// The mutated bytes, or `None` when the mutation does not apply to this sample.
fn mutate(
    mutation: Mutation,
    sample: &Sample,
    corpus: &[Sample],
    rng: &mut TestRng,
) -> Option<Vec<u8>> {
    let bytes = &sample.bytes;
    let signature_at = bytes.len() - SIGNATURE_LEN;
    let mut out = bytes.clone();
    match mutation {
        Mutation::ContentBitFlip => flip_bits(&mut out, 0..signature_at, rng),
        Mutation::SignatureBitFlip => flip_bits(&mut out, signature_at..bytes.len(), rng),
        Mutation::Truncation => out.truncate(rng.random_range(0..bytes.len())),
        Mutation::Splice => {
            let other = &corpus[rng.random_range(0..corpus.len())].bytes;
            let cut = rng.random_range(0..=bytes.len());
            let from = rng.random_range(0..=other.len());
            out = [&bytes[..cut], &other[from..]].concat();
        }
        Mutation::InflatedLength => {
            let lengths: Vec<&Varint> = (sample.layout.varints.iter())
                .filter(|v| v.role == Role::Length)
                .collect();
            let v = lengths[rng.random_range(0..lengths.len())];
            let delta = match rng.random_range(0..5) {
                0 => 1,
                1 => rng.random_range(1..=64),
                2 => rng.random_range(1..=1 << 20),
                3 => 1 << 32,
                _ => u64::MAX - v.value,
            };
            out = splice_varint(bytes, v, &varint(v.value + delta));
        }
        Mutation::OverlongVarint => {
            let varints = &sample.layout.varints;
            let v = &varints[rng.random_range(0..varints.len())];
            let len = rng.random_range(v.len + 1..=v.role.max_len() + 1);
            out = splice_varint(bytes, v, &overlong(v.value, len));
        }
        Mutation::ScalarPlusOrder => {
            // s < ℓ < 2^253, so s + kℓ fits in 32 bytes for k ≤ 14.
            for _ in 0..rng.random_range(1..=14) {
                let mut carry = 0u16;
                for (byte, order) in out[bytes.len() - 32..].iter_mut().zip(GROUP_ORDER) {
                    let sum = u16::from(*byte) + u16::from(order) + carry;
                    *byte = sum as u8;
                    carry = sum >> 8;
                }
                assert_eq!(carry, 0);
            }
        }
        Mutation::RChange => match rng.random_range(0..4) {
            0 => out[signature_at + 31] ^= 0x80, // the sign of R's x: −R
            1 => flip_bits(&mut out, signature_at..signature_at + 32, rng),
            2 => rng.fill_bytes(&mut out[signature_at..signature_at + 32]),
            _ => {
                let other = &corpus[rng.random_range(0..corpus.len())].bytes;
                let other_at = other.len() - SIGNATURE_LEN;
                out[signature_at..signature_at + 32]
                    .copy_from_slice(&other[other_at..other_at + 32]);
            }
        },
        Mutation::SignatureSwap => {
            let other = &corpus[rng.random_range(0..corpus.len())].bytes;
            out[signature_at..].copy_from_slice(&other[other.len() - SIGNATURE_LEN..]);
        }
        Mutation::TextEdit => {
            let ascii: Vec<usize> = (sample.layout.texts.iter())
                .flat_map(Clone::clone)
                .filter(|&at| bytes[at].is_ascii_graphic() || bytes[at] == b' ')
                .collect();
            if ascii.is_empty() {
                return None;
            }
            let at = ascii[rng.random_range(0..ascii.len())];
            out[at] = loop {
                let replacement = rng.random_range(b'!'..=b'~');
                if replacement != bytes[at] {
                    break replacement;
                }
            };
        }
        Mutation::ByteInsertion => {
            let at = rng.random_range(0..=bytes.len());
            out.insert(at, rng.random());
        }
        Mutation::ByteDeletion => {
            out.remove(rng.random_range(0..bytes.len()));
        }
    }
    Some(out)
}

/// The error a mutation must produce, where it is known.
fn expected(mutation: Mutation, error: &Error) -> bool {
    match mutation {
        Mutation::OverlongVarint => matches!(
            error,
            Error::Event(EventError::Decode(
                DecodeError::NonCanonical | DecodeError::Malformed(_)
            ))
        ),
        Mutation::Truncation => matches!(error, Error::Event(EventError::Decode(_))),
        Mutation::SignatureBitFlip
        | Mutation::ScalarPlusOrder
        | Mutation::RChange
        | Mutation::SignatureSwap => matches!(error, Error::Event(EventError::BadSignature)),
        // An edited unit may break the unit rule, which is checked before
        // the signature (cheap rules first).
        Mutation::TextEdit => matches!(
            error,
            Error::Event(
                EventError::BadSignature
                    | EventError::UnitNotAllowed
                    | EventError::UnitNotCapitals
                    | EventError::BadUnit
            )
        ),
        _ => true,
    }
}

/// The name of an enum value's variant.
fn variant(value: &impl Debug) -> String {
    let text = format!("{value:?}");
    text.split(['(', ' ', '{']).next().unwrap_or("").to_owned()
}

/// A short name for an error kind, for the summary.
fn kind(error: &Error) -> String {
    match error {
        Error::Event(EventError::Decode(DecodeError::Malformed(inner))) => {
            format!("Decode::Malformed({inner:?})")
        }
        Error::Event(EventError::Decode(decode)) => format!("Decode::{}", variant(decode)),
        Error::Event(event) => variant(event),
        Error::Log(log) => format!("Log::{}", variant(log)),
        other => variant(other),
    }
}

/// What refused input must not change.
#[derive(Debug, PartialEq)]
struct State {
    len: usize,
    pending: usize,
    heads: Vec<EventId>,
    included: Digest,
    state: Digest,
}

impl State {
    fn of(replica: &Replica) -> State {
        let log = replica.log();
        State {
            len: log.len(),
            pending: log.pending_len(),
            heads: log.heads().copied().collect(),
            included: replica.view().included_digest(log),
            state: replica.view().state_digest(log),
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn every_mutation_of_a_valid_event_is_refused_with_a_typed_error_and_changes_nothing() {
    let seed = common::seed().unwrap_or(DEFAULT_SEED);
    report(&format!(
        "mutation: seed {seed:#x} (set TRUSTFOLD_SEED to reproduce or vary)"
    ));
    let mut seed_bytes = [0; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);

    let (mut replica, corpus) = corpus();
    let originals: HashSet<&[u8]> = corpus.iter().map(|s| s.bytes.as_slice()).collect();
    let before = State::of(&replica);

    let mut by_error: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_mutation: BTreeMap<Mutation, usize> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    let (mut tried, mut reproduced, mut not_applicable) = (0, 0, 0);
    while tried < MUTATIONS {
        let mutation = MUTATIONS_KINDS[rng.random_range(0..MUTATIONS_KINDS.len())];
        let sample = &corpus[rng.random_range(0..corpus.len())];
        let Some(input) = mutate(mutation, sample, &corpus, &mut rng) else {
            not_applicable += 1;
            continue;
        };
        if originals.contains(input.as_slice()) {
            reproduced += 1;
            continue;
        }
        tried += 1;
        *by_mutation.entry(mutation).or_default() += 1;
        let outcome = catch_unwind(AssertUnwindSafe(|| replica.ingest(&input)));
        let failure = match outcome {
            Err(_) => Some("panicked".to_owned()),
            Ok(Ok(insertion)) => Some(format!("was accepted: {insertion:?}")),
            Ok(Err(error)) => {
                *by_error.entry(kind(&error)).or_default() += 1;
                (!expected(mutation, &error)).then(|| format!("gave unexpected {error:?}"))
            }
        };
        let log = replica.log();
        let changed = (log.len(), log.pending_len(), log.head_count())
            != (before.len, before.pending, before.heads.len());
        if let Some(failure) = failure.or(changed.then(|| "changed the log".to_owned())) {
            failures.push(format!("{mutation:?} #{tried} {failure}: {}", hex(&input)));
        }
        if tried % 1_000 == 0 {
            assert_eq!(State::of(&replica), before, "seed {seed:#x}, after {tried}");
        }
    }

    let rejected: usize = by_error.values().sum();
    report(&format!(
        "mutation: seed {seed:#x}: {tried} inputs from {} events ({reproduced} skipped as \
         reproducing a valid event, {not_applicable} not applicable), {} failures, \
         {rejected} typed rejections",
        corpus.len(),
        failures.len(),
    ));
    report(&format!("mutation: by error: {by_error:?}"));
    report(&format!("mutation: by mutation: {by_mutation:?}"));
    assert!(
        failures.is_empty(),
        "seed {seed:#x}: {} of {tried} mutations failed; first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
    assert_eq!(rejected, MUTATIONS, "seed {seed:#x}");
    assert_eq!(State::of(&replica), before, "seed {seed:#x}");
}

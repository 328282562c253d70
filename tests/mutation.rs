//! Seeded mutation test: 10,000 corruptions of valid encoded events, over
//! a corpus of clear events (an open network) and 10,000 over a corpus of
//! sealed ones (a private network, format version 3).
//!
//! Each mutated input goes through [`Replica::ingest`] of a replica that
//! received the corpus (in a private network it has admitted every author
//! by then). Every input must be refused with a typed error, without a panic, and the
//! replica (log and view) must be exactly as before, and the check a node
//! hands to its workers ([`verdicts`]) must give `from_bytes`'s verdict and
//! error on every input. The mutations know the
//! byte layout of an event (see `encoding.rs`, `sealed.rs`), so besides
//! blind bit flips, truncations and splices they re-encode varints in
//! overlong form, inflate length prefixes, edit text in place and malleate
//! the signature (`s + kℓ`, changes to `R`). A sealed event has no text in
//! clear; its admission tag, nonce and ciphertext are altered instead, in
//! place or signed again by the author or by a stranger (see
//! `mutation/sealed.rs`).
//!
//! The seed is fixed; set `TRUSTFOLD_SEED` (decimal or `0x…` hex) to try
//! another. On wasm32 there is no environment: only a compile-time
//! `TRUSTFOLD_SEED` overrides it. The seed is printed with every failure.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;
#[path = "mutation/layout.rs"]
mod layout;
#[path = "mutation/sealed.rs"]
mod sealed;

use common::varint::{overlong, varint};
use common::{alices_change, dispute, exclude, id, key, pay, retract, trust};
use layout::{Layout, Role, Varint};
use proptest::prelude::{Rng, RngExt};
use proptest::test_runner::{RngAlgorithm, TestRng};
use std::collections::{BTreeMap, HashSet};
use std::fmt::Debug;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use trustfold::event::encoding::SIGNATURE_LEN;
use trustfold::event::{AuthorKeys, verdicts};
use trustfold::invite::Invite;
use trustfold::{
    Body, DecodeError, Digest, DocId, Error, Event, EventError, EventId, Network, Policy, Replica,
    Transfer, TrustLevel,
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

/// A valid event of the corpus with its layout.
struct Sample {
    bytes: Vec<u8>,
    layout: Layout,
    /// The author's secret is `[author; 32]` (`common::id(author)`).
    author: u8,
}

/// The network of `invite`: open if `None`.
fn network(invite: &Option<Invite>) -> Network {
    match invite {
        Some(invite) => Network::private(invite.clone(), [1; 32]),
        None => Network::Open,
    }
}

/// Valid events of every kind by five authors, and a replica that received
/// them all, of the network of `invite`: clear events in an open network,
/// sealed ones in a private one.
fn corpus(invite: &Option<Invite>) -> (Replica, Vec<Sample>) {
    let policy = Policy::new(key(1)).trusting(key(4));
    let mut replica = Replica::new(policy.clone()).in_network(network(invite));
    let mut events: Vec<(Event, u8)> = Vec::new();
    let mut publish = |replica: &mut Replica, author: u8, body: Body| {
        let time = 1_700_000_000_000 + 61_000 * events.len() as u64;
        match replica.publish(&id(author), time, body) {
            Ok(event) => {
                events.push((event.clone(), author));
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
        .map(|(event, author)| {
            let signed = event.signed_bytes();
            let layout = match event.is_sealed() {
                true => Layout::sealed(event.content(), signed.len()),
                false => Layout::of(event.content()),
            };
            assert_eq!(layout.end, signed.len(), "layout of {:?}", event.body());
            for v in &layout.varints {
                assert_eq!(&signed[v.at..v.at + v.len], varint(v.value).as_slice());
            }
            if let Some(sealed) = &layout.sealed {
                let tag = event.admission().expect("a sealed event's tag");
                assert_eq!(&signed[sealed.admission.clone()], tag.as_slice());
            }
            Sample {
                bytes: event.bytes().to_vec(),
                layout,
                author: *author,
            }
        })
        .collect();
    // Received, as a member holds them: what it learnt from them (such as
    // whom the network admitted) is in place when the mutations come.
    let mut member = Replica::new(policy).in_network(network(invite));
    for (event, _) in &events {
        member.ingest(event.bytes()).expect("a corpus event");
    }
    (member, samples)
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
    // Sealed events only (see `mutation/sealed.rs`).
    AdmissionEdit,
    NonceEdit,
    CiphertextEdit,
    TagSignedAgain,
    HeaderTakenByStranger,
    RelabelledAndSignedAgain,
}

/// What applies to any event.
const ANY_EVENT: [Mutation; 11] = [
    Mutation::ContentBitFlip,
    Mutation::SignatureBitFlip,
    Mutation::Truncation,
    Mutation::Splice,
    Mutation::InflatedLength,
    Mutation::OverlongVarint,
    Mutation::ScalarPlusOrder,
    Mutation::RChange,
    Mutation::SignatureSwap,
    Mutation::ByteInsertion,
    Mutation::ByteDeletion,
];

/// What applies to clear events only: they have text in clear.
const CLEAR_ONLY: [Mutation; 1] = [Mutation::TextEdit];

/// What applies to sealed events only.
const SEALED_ONLY: [Mutation; 6] = [
    Mutation::AdmissionEdit,
    Mutation::NonceEdit,
    Mutation::CiphertextEdit,
    Mutation::TagSignedAgain,
    Mutation::HeaderTakenByStranger,
    Mutation::RelabelledAndSignedAgain,
];

pub(crate) fn flip_bits(bytes: &mut [u8], range: Range<usize>, rng: &mut TestRng) {
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
        sealed_only => out = sealed::mutate(sealed_only, sample, corpus, rng),
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
        | Mutation::SignatureSwap
        // The signature covers the tag, the nonce and the ciphertext.
        | Mutation::AdmissionEdit
        | Mutation::NonceEdit
        | Mutation::CiphertextEdit => matches!(error, Error::Event(EventError::BadSignature)),
        // Signed, but no member admitted this tag for this author.
        Mutation::TagSignedAgain | Mutation::HeaderTakenByStranger => {
            matches!(error, Error::Event(EventError::NotAdmitted))
        }
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
    voids: usize,
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
            voids: log.voids().len(),
            heads: log.heads(),
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
    run("clear", None, &[&ANY_EVENT[..], &CLEAR_ONLY].concat());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn every_mutation_of_a_sealed_event_is_refused_with_a_typed_error_and_changes_nothing() {
    let invite = Invite::new([7; 32], "our coop").expect("a valid name");
    run(
        "sealed",
        Some(invite),
        &[&ANY_EVENT[..], &SEALED_ONLY].concat(),
    );
}

/// [`MUTATIONS`] mutations of the kinds `kinds` over the corpus of the
/// network of `invite`.
fn run(name: &str, invite: Option<Invite>, kinds: &[Mutation]) {
    let seed = common::seed().unwrap_or(DEFAULT_SEED);
    let report = |line: String| report(&format!("mutation ({name}): {line}"));
    report(format!(
        "seed {seed:#x} (set TRUSTFOLD_SEED to reproduce or vary)"
    ));
    let mut seed_bytes = [0; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes);

    let (mut replica, corpus) = corpus(&invite);
    let originals: HashSet<&[u8]> = corpus.iter().map(|s| s.bytes.as_slice()).collect();
    let before = State::of(&replica);
    // The check a node hands to its workers (`verdicts`, with the authors'
    // keys kept across calls) must say of every input what `from_bytes`
    // says: filled with the corpus's authors first, so the mutants of
    // their events meet a key decompressed by a valid one.
    let mut keys = AuthorKeys::default();
    for sample in &corpus {
        assert_eq!(verdicts(&[&sample.bytes], &mut keys), [true]);
    }
    assert!(!keys.is_empty());

    let mut by_error: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_mutation: BTreeMap<Mutation, usize> = BTreeMap::new();
    let mut failures: Vec<String> = Vec::new();
    let (mut tried, mut reproduced, mut not_applicable) = (0, 0, 0);
    while tried < MUTATIONS {
        let mutation = kinds[rng.random_range(0..kinds.len())];
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
        let direct = Event::from_bytes(&input).map(|e| e.id());
        let with_keys = Event::from_bytes_with(&input, &mut keys).map(|e| e.id());
        if direct != with_keys || verdicts(&[&input], &mut keys) != [direct.is_ok()] {
            failures.push(format!(
                "{mutation:?} #{tried}: from_bytes says {direct:?}, the cached-key check {with_keys:?}"
            ));
        }
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
        let changed = (
            log.len(),
            log.pending_len(),
            log.voids().len(),
            log.head_count(),
        ) != (before.len, before.pending, before.voids, before.heads.len());
        if let Some(failure) = failure.or(changed.then(|| "changed the log".to_owned())) {
            failures.push(format!("{mutation:?} #{tried} {failure}: {}", hex(&input)));
        }
        if tried % 1_000 == 0 {
            assert_eq!(State::of(&replica), before, "seed {seed:#x}, after {tried}");
        }
    }

    let rejected: usize = by_error.values().sum();
    report(format!(
        "seed {seed:#x}: {tried} inputs from {} events ({reproduced} skipped as \
         reproducing a valid event, {not_applicable} not applicable), {} failures, \
         {rejected} typed rejections",
        corpus.len(),
        failures.len(),
    ));
    report(format!("by error: {by_error:?}"));
    report(format!("by mutation: {by_mutation:?}"));
    assert!(
        failures.is_empty(),
        "seed {seed:#x}: {} of {tried} mutations failed; first ones:\n{}",
        failures.len(),
        failures[..failures.len().min(10)].join("\n")
    );
    assert_eq!(rejected, MUTATIONS, "seed {seed:#x}");
    assert_eq!(State::of(&replica), before, "seed {seed:#x}");
    for kind in kinds {
        let count = by_mutation.get(kind).copied().unwrap_or(0);
        assert!(
            count >= MUTATIONS / kinds.len() / 2,
            "seed {seed:#x}: only {count} inputs of {kind:?}"
        );
    }
}

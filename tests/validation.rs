//! One test per objective validity rule (DESIGN.md §1).
//!
//! Every rule is exercised by an input that breaks that rule and no other
//! (events are signed properly unless the signature is the point), so each
//! test fails if its rule were removed. Refused input must leave the log and
//! the view exactly as they were.
//!
//! * `decoding`: [`DecodeError`](trustfold::DecodeError) and the canonical form;
//! * `stateless`: the other [`EventError`](trustfold::EventError) variants,
//!   signatures included;
//! * `contextual`: [`ContextError`](trustfold::ContextError), the rules that
//!   need the parents;
//! * `doc_changes`: the Automerge change a `Doc` event carries;
//! * `units`: the unit rule of each event version;
//! * `insertion`: idempotence, the pending buffer, equivocation.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;

#[path = "validation/contextual.rs"]
mod contextual;
#[path = "validation/crafted_chunks.rs"]
mod crafted_chunks;
#[path = "validation/decoding.rs"]
mod decoding;
#[path = "validation/doc_changes.rs"]
mod doc_changes;
#[path = "validation/insertion.rs"]
mod insertion;
#[path = "validation/stateless.rs"]
mod stateless;
#[path = "validation/units.rs"]
mod units;

use common::varint::{overlong, varint};
use common::{alices_change, id, key, pay, trust};
use ed25519_dalek::{Signer, SigningKey};
use trustfold::event::encoding::encode_content;
use trustfold::event::{Content, VERSION};
use trustfold::{
    Body, ContextError, Digest, Draft, Error, Event, EventError, EventId, Insertion, Log, LogError,
    Policy, Replica, TrustLevel,
};

/// A wall clock for fixtures.
const TIME: u64 = 1_700_000_000_000;

/// Unsigned content by `id(author)`, with any fields (unsorted parents, any version…).
fn content(author: u8, seq: u64, parents: Vec<EventId>, body: Body) -> Content {
    Content {
        version: VERSION,
        author: key(author),
        seq,
        parents,
        time: TIME,
        body,
    }
}

/// `signed` followed by `id(author)`'s signature over it: a correctly signed
/// byte string whatever it holds.
fn seal(author: u8, signed: Vec<u8>) -> Vec<u8> {
    let signature = SigningKey::from_bytes(&[author; 32]).sign(&signed);
    let mut bytes = signed;
    bytes.extend_from_slice(&signature.to_bytes());
    bytes
}

/// The canonical encoding of `content`, signed by `id(author)`.
fn signed(author: u8, content: &Content) -> Vec<u8> {
    seal(author, encode_content(content))
}

/// An event by `id(author)` with exactly these fields (no validation).
fn sign(author: u8, seq: u64, parents: &[&Event], body: Body) -> Event {
    id(author).sign(Draft {
        seq,
        parents: parents.iter().map(|e| e.id()).collect(),
        time: TIME + seq,
        body,
    })
}

/// Everything about a log that refused input must not change.
#[derive(Debug, PartialEq)]
struct LogState {
    len: usize,
    heads: Vec<EventId>,
    pending: usize,
    missing: Vec<EventId>,
    forks: usize,
}

impl LogState {
    fn of(log: &Log) -> LogState {
        let mut missing: Vec<EventId> = log.missing().copied().collect();
        missing.sort_unstable();
        LogState {
            len: log.len(),
            heads: log.heads(),
            pending: log.pending_len(),
            missing,
            forks: log.forks().len(),
        }
    }
}

/// The log state plus the view's digests.
#[derive(Debug, PartialEq)]
struct ReplicaState {
    log: LogState,
    included: Digest,
    state: Digest,
}

impl ReplicaState {
    fn of(replica: &Replica) -> ReplicaState {
        ReplicaState {
            log: LogState::of(replica.log()),
            included: replica.view().included_digest(replica.log()),
            state: replica.view().state_digest(replica.log()),
        }
    }
}

/// A replica holding a few valid events, one of them waiting for a parent.
fn populated() -> Replica {
    let mut replica = Replica::new(Policy::new(key(2)).trusting(key(4)));
    let paid = replica
        .publish(&id(1), TIME, pay(key(2), 100, "EUR"))
        .expect("fixture: a valid transfer");
    replica
        .publish(&id(2), TIME + 1, pay(key(3), 30, "EUR"))
        .expect("fixture: a valid transfer");
    replica
        .publish(&id(4), TIME + 2, trust(key(1), TrustLevel::Trusted))
        .expect("fixture: a valid trust statement");
    replica
        .publish(
            &id(3),
            TIME + 3,
            common::exclude(paid.id(), "never arrived"),
        )
        .expect("fixture: a valid exclusion");
    let unknown = sign(5, 1, &[], pay(key(1), 1, "EUR"));
    let waiting = sign(5, 2, &[&unknown], pay(key(1), 2, "EUR"));
    let insertion = replica
        .insert(waiting)
        .expect("fixture: an event waiting for its parent");
    assert!(insertion.pending);
    replica
}

/// Refuses `bytes` statelessly: returns the error of `Event::from_bytes`,
/// after checking that `Replica::ingest` reports the same one and changes
/// nothing.
fn refused(bytes: &[u8]) -> EventError {
    let error = match Event::from_bytes(bytes) {
        Ok(event) => panic!("{:?} was accepted", event.id()),
        Err(error) => error,
    };
    let mut replica = populated();
    let before = ReplicaState::of(&replica);
    match replica.ingest(bytes) {
        Err(Error::Event(ingested)) => assert_eq!(ingested, error),
        other => panic!("ingest: expected {error:?}, got {other:?}"),
    }
    assert_eq!(
        ReplicaState::of(&replica),
        before,
        "refused bytes changed the replica"
    );
    error
}

/// `bytes` decode and validate on their own.
fn accepted(bytes: &[u8]) -> Event {
    match Event::from_bytes(bytes) {
        Ok(event) => event,
        Err(error) => panic!("refused: {error}"),
    }
}

/// Applies an event that must apply at once.
fn apply(log: &mut Log, event: &Event) -> Insertion {
    match log.insert(event.clone()) {
        Ok(insertion) if log.contains(&event.id()) => insertion,
        other => panic!("{:?} did not apply: {other:?}", event.id()),
    }
}

/// Refuses a statelessly valid event against its parents: returns the broken
/// rule after checking that the log did not change.
fn refused_by(log: &mut Log, event: Event) -> ContextError {
    assert_eq!(
        Event::from_bytes(event.bytes()).as_ref(),
        Ok(&event),
        "the event must be valid on its own"
    );
    let before = LogState::of(log);
    let id = event.id();
    let error = match log.insert(event) {
        Err(LogError::Invalid { id: refused, error }) => {
            assert_eq!(refused, id);
            error
        }
        other => panic!("expected an invalid event, got {other:?}"),
    };
    assert_eq!(LogState::of(log), before, "a refused event changed the log");
    error
}

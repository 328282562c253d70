//! Objective validity: rules every honest node decides the same way.
//!
//! Validity depends only on an event and its causal past, never on who
//! received it when. The rules are split by what they need:
//!
//! * [`validate_event`]: the event alone (run by [`Event::from_bytes`]);
//! * [`validate_against_parents`]: the event plus its parents (run by the
//!   [`Log`](crate::Log) once every parent is present).
//!
//! Two rules are deliberately stricter than "somewhere in the causal past"
//! (see ARCHITECTURE.md): the author's previous event and any referenced event
//! must be *direct parents*. That keeps every check O(parents) instead of a
//! walk through history, and [`Replica::publish`](crate::Replica::publish)
//! always adds them.
//!
//! Longer than most files here: every rule of validity is in this one file
//! on purpose, so that what every node must decide the same way is read
//! (and audited) in one place.

use super::encoding::DecodeError;
use super::{Body, DocId, Event, EventId, OLDEST_VERSION, PublicKey};
use ed25519_dalek::{Signature, VerifyingKey};
use thiserror::Error;

/// Most parents an event may name.
pub const MAX_PARENTS: usize = 64;
/// Longest unit name, in bytes.
pub const MAX_UNIT_BYTES: usize = 16;
/// The characters a unit may hold from event version 2 on, besides the
/// capital letters `A`–`Z` and the digits `0`–`9`: euro, pound, yen, dollar,
/// rupee and bitcoin signs. An explicit list, so the rule never depends on
/// the Unicode tables a library ships (see [`unit_allowed`]).
pub const UNIT_SYMBOLS: [char; 6] = ['€', '£', '¥', '$', '₹', '₿'];
/// Longest transfer memo, in bytes.
pub const MAX_MEMO_BYTES: usize = 256;
/// Longest exclusion or dispute reason, in bytes.
pub const MAX_REASON_BYTES: usize = 1024;
/// Largest document change, in bytes.
pub const MAX_CHANGE_BYTES: usize = 2 * 1024 * 1024;
/// Longest suffix after the author's key in an Automerge actor id: each
/// session (a browser tab) writes under its own actor, so two tabs of one
/// identity never make two changes with one Automerge seq.
pub const MAX_ACTOR_SUFFIX: usize = 16;

/// Why an event is invalid on its own.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventError {
    /// The bytes are not a canonical event encoding.
    /// Code: the wrapped error's.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The signature does not verify (strictly) under the author's key.
    /// Code `bad_signature`.
    #[error("signature does not verify under the author's key")]
    BadSignature,
    /// `seq` starts at 1.
    /// Code `seq_zero`.
    #[error("seq must be at least 1")]
    SeqZero,
    /// Too many parents.
    /// Code `too_many_parents`.
    #[error("{count} parents, more than the limit of {max}")]
    TooManyParents {
        /// How many were named.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// Parents must be strictly ascending (sorted, no duplicates).
    /// Code `parents_not_sorted`.
    #[error("parents are not sorted and deduplicated")]
    ParentsNotSorted,
    /// A transfer of nothing.
    /// Code `zero_amount`.
    #[error("transfer amount must be greater than 0")]
    ZeroAmount,
    /// A transfer to its own author.
    /// Code `self_transfer`.
    #[error("transfer to oneself")]
    SelfTransfer,
    /// A version-1 unit that is empty, too long, padded with spaces, or
    /// holds control or invisible characters.
    /// Code `bad_unit`.
    #[error(
        "unit must be 1 to {MAX_UNIT_BYTES} bytes of visible characters, not padded with spaces"
    )]
    BadUnit,
    /// A unit (event version 2 on) that is empty, too long, or holds a
    /// character outside the allowlist (see [`unit_allowed`]).
    /// Code `unit_not_allowed`.
    #[error(
        "unit must be 1 to {MAX_UNIT_BYTES} bytes of capital letters A-Z, digits 0-9 and the signs € £ ¥ $ ₹ ₿"
    )]
    UnitNotAllowed,
    /// A unit (event version 2 on) that would be allowed in capitals: one
    /// currency has one spelling, so "eur" is refused rather than becoming a
    /// second unit beside "EUR".
    /// Code `unit_not_capitals`.
    #[error("unit must be written in capitals (\"EUR\", not \"eur\")")]
    UnitNotCapitals,
    /// A memo over [`MAX_MEMO_BYTES`].
    /// Code `memo_too_long`.
    #[error("memo is longer than {MAX_MEMO_BYTES} bytes")]
    MemoTooLong,
    /// A reason over [`MAX_REASON_BYTES`].
    /// Code `reason_too_long`.
    #[error("reason is longer than {MAX_REASON_BYTES} bytes")]
    ReasonTooLong,
    /// A trust statement about oneself.
    /// Code `self_trust`.
    #[error("trust statement about its own author")]
    SelfTrust,
    /// A document change over [`MAX_CHANGE_BYTES`], or empty.
    /// Code `bad_change_size`.
    #[error("document change must be 1 to {MAX_CHANGE_BYTES} bytes")]
    BadChangeSize,
    /// The document change does not decode as one Automerge change.
    /// Code `bad_change`.
    #[error("document change does not decode: {0}")]
    BadChange(String),
    /// The change's actor is not the event's author: nobody writes under another's name.
    /// Code `forged_actor`.
    #[error("document change is signed by the event author but written by another actor")]
    ForgedActor,
    /// A clear event whose body is [`Body::Void`]: a verdict on sealed
    /// events, never something an event may say.
    /// Code `void_body`.
    #[error("an event cannot say that it is void")]
    VoidBody,
    /// A private network's event without a valid admission tag: a clear
    /// event, or a sealed event whose tag is not the network's signature of
    /// its author (see [`Network::admit`](crate::Network::admit)).
    /// Code `not_admitted`.
    #[error("the event is not admitted into this private network")]
    NotAdmitted,
    /// A sealed event (a private network's) offered to a node of an open
    /// network. Code `sealed_in_open_network`.
    #[error("a sealed event does not belong to an open network")]
    SealedInOpenNetwork,
}

impl EventError {
    /// The stable code of this error: snake_case, unique among the crate's
    /// codes, named in each variant's doc (a wrapping variant gives the
    /// wrapped error's).
    pub fn code(&self) -> &'static str {
        match self {
            EventError::Decode(e) => e.code(),
            EventError::BadSignature => "bad_signature",
            EventError::SeqZero => "seq_zero",
            EventError::TooManyParents { .. } => "too_many_parents",
            EventError::ParentsNotSorted => "parents_not_sorted",
            EventError::ZeroAmount => "zero_amount",
            EventError::SelfTransfer => "self_transfer",
            EventError::BadUnit => "bad_unit",
            EventError::UnitNotAllowed => "unit_not_allowed",
            EventError::UnitNotCapitals => "unit_not_capitals",
            EventError::MemoTooLong => "memo_too_long",
            EventError::ReasonTooLong => "reason_too_long",
            EventError::SelfTrust => "self_trust",
            EventError::BadChangeSize => "bad_change_size",
            EventError::BadChange(..) => "bad_change",
            EventError::ForgedActor => "forged_actor",
            EventError::VoidBody => "void_body",
            EventError::NotAdmitted => "not_admitted",
            EventError::SealedInOpenNetwork => "sealed_in_open_network",
        }
    }
}

/// Why an event is invalid given its parents.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContextError {
    /// `seq` > 1 but no parent is the author's event with `seq - 1`.
    /// Code `missing_previous`.
    #[error("seq {seq}: the author's event {expected} is not a parent")]
    MissingPrevious {
        /// The event's seq.
        seq: u64,
        /// The seq that should have been a parent.
        expected: u64,
    },
    /// A parent by the same author has a seq not below this one.
    /// Code `seq_not_increasing`.
    #[error("seq {seq} does not follow the author's parent with seq {parent_seq}")]
    SeqNotIncreasing {
        /// The event's seq.
        seq: u64,
        /// The offending parent's seq.
        parent_seq: u64,
    },
    /// The referenced event is not among the parents.
    /// Code `reference_not_parent`.
    #[error("referenced event {0:?} is not a parent")]
    ReferenceNotParent(EventId),
    /// Trust statements cannot be excluded (their author's next statement replaces them).
    /// Code `excludes_trust`.
    #[error("a trust statement cannot be excluded")]
    ExcludesTrust,
    /// A dispute must name a transfer.
    /// Code `dispute_of_non_transfer`.
    #[error("a dispute must target a transfer, not a {0}")]
    DisputeOfNonTransfer(&'static str),
    /// Only the payer may dispute a transfer.
    /// Code `dispute_by_non_payer`.
    #[error("only the payer may dispute a transfer")]
    DisputeByNonPayer,
    /// A retraction must name an exclusion or dispute.
    /// Code `retract_of_non_statement`.
    #[error("a retraction must target an exclusion or dispute, not a {0}")]
    RetractOfNonStatement(&'static str),
    /// Only the author of a statement may retract it.
    /// Code `retract_by_other`.
    #[error("only its author may retract a statement")]
    RetractByOther,
    /// A reversal must pay back a transfer from its payee to its payer, in its unit, at most its amount.
    /// Code `bad_reversal`.
    #[error(
        "a reversal must pay back the original's payee to its payer, in its unit, at most its amount"
    )]
    BadReversal,
    /// A parent was itself refused, so this event can never apply.
    /// Code `invalid_parent`.
    #[error("parent {0:?} was refused")]
    InvalidParent(EventId),
    /// A document change depends on a change (its hash) that no parent
    /// carries.
    /// Code `missing_dependency`.
    #[error(
        "document change depends on change {} that no parent carries",
        super::hex(.0)
    )]
    MissingDependency([u8; 32]),
}

impl ContextError {
    /// The stable code of this error: snake_case, unique among the crate's
    /// codes, named in each variant's doc (a wrapping variant gives the
    /// wrapped error's).
    pub fn code(&self) -> &'static str {
        match self {
            ContextError::MissingPrevious { .. } => "missing_previous",
            ContextError::SeqNotIncreasing { .. } => "seq_not_increasing",
            ContextError::ReferenceNotParent(..) => "reference_not_parent",
            ContextError::ExcludesTrust => "excludes_trust",
            ContextError::DisputeOfNonTransfer(..) => "dispute_of_non_transfer",
            ContextError::DisputeByNonPayer => "dispute_by_non_payer",
            ContextError::RetractOfNonStatement(..) => "retract_of_non_statement",
            ContextError::RetractByOther => "retract_by_other",
            ContextError::BadReversal => "bad_reversal",
            ContextError::InvalidParent(..) => "invalid_parent",
            ContextError::MissingDependency(..) => "missing_dependency",
        }
    }
}

/// Checks every rule that needs nothing but the event:
///
/// 1. canonical encoding, size and version (already enforced by decoding);
/// 2. `seq ≥ 1`;
/// 3. at most [`MAX_PARENTS`] parents, strictly ascending;
/// 4. body rules: transfers move an amount > 0 to someone else, in a unit
///    the event's version allows ([`validate_unit`]: the allowlist
///    [`unit_allowed`] from version 2 except for reversals, whose unit is
///    their payment's; in version 1, 1–[`MAX_UNIT_BYTES`] bytes of visible
///    characters not padded with spaces), with a memo of
///    at most [`MAX_MEMO_BYTES`]; reasons at most [`MAX_REASON_BYTES`]; no
///    trust statement about oneself; document changes 1–[`MAX_CHANGE_BYTES`];
/// 5. the signature verifies with `verify_strict` under `author` over the
///    signed bytes (rejecting weak keys, small-order and non-canonical `R`,
///    and non-canonical `s`).
///
/// The cheap structural rules run before the signature so junk costs little.
pub fn validate_event(event: &Event) -> Result<(), EventError> {
    validate_form(event)?;
    verify_signature(event)
}

/// Rules 2–4 of [`validate_event`]: everything but the signature. The
/// [`Log`](crate::Log) runs these on every insert, so an event signed
/// locally with a bad body is refused here exactly as every peer refuses it.
pub fn validate_form(event: &Event) -> Result<(), EventError> {
    validate_form_decoding(event).map(drop)
}

/// [`validate_form`], handing back a `Doc` event's change, which the rules
/// decode: a caller that needs it (the [`Log`](crate::Log): its
/// dependencies, its hash) does not decode it again — decoding is most of
/// what a document change costs to insert.
pub(crate) fn validate_form_decoding(
    event: &Event,
) -> Result<Option<automerge::Change>, EventError> {
    let content = event.content();
    if content.seq == 0 {
        return Err(EventError::SeqZero);
    }
    if content.parents.len() > MAX_PARENTS {
        return Err(EventError::TooManyParents {
            count: content.parents.len(),
            max: MAX_PARENTS,
        });
    }
    if !content.parents.windows(2).all(|w| w[0] < w[1]) {
        return Err(EventError::ParentsNotSorted);
    }
    match event.body() {
        // A sealed event's verdict (not opened, unreadable, broken): its
        // body rules were applied when it was opened.
        Body::Void(_) if event.is_sealed() => Ok(None),
        body => validate_body_decoding(&event.author(), content.version, body),
    }
}

/// The body rules (rule 4 of [`validate_event`]) for an event of `author`
/// in format `version`. A sealed event's body is checked with these when it
/// is opened, and breaking one makes it void instead of invalid.
pub(crate) fn validate_body(
    author: &PublicKey,
    version: u8,
    body: &Body,
) -> Result<(), EventError> {
    validate_body_decoding(author, version, body).map(drop)
}

/// [`validate_body`], handing back a `Doc` event's decoded change.
fn validate_body_decoding(
    author: &PublicKey,
    version: u8,
    body: &Body,
) -> Result<Option<automerge::Change>, EventError> {
    match body {
        Body::Transfer(t) => {
            if t.amount == 0 {
                return Err(EventError::ZeroAmount);
            }
            if t.to == *author {
                return Err(EventError::SelfTransfer);
            }
            // A reversal pays back in its payment's unit (checked against
            // the parents), which may be a version-1 unit outside the
            // allowlist: old payments stay reversible, and no new unit can
            // appear this way.
            let version = match t.reverses {
                Some(_) => OLDEST_VERSION,
                None => version,
            };
            validate_unit(version, &t.unit)?;
            if t.memo.len() > MAX_MEMO_BYTES {
                return Err(EventError::MemoTooLong);
            }
        }
        Body::Exclude(s) | Body::Dispute(s) => {
            if s.reason.len() > MAX_REASON_BYTES {
                return Err(EventError::ReasonTooLong);
            }
        }
        Body::Retract { .. } => {}
        Body::Trust { subject, .. } => {
            if subject == author {
                return Err(EventError::SelfTrust);
            }
        }
        Body::Doc { change, .. } => {
            if change.is_empty() || change.len() > MAX_CHANGE_BYTES {
                return Err(EventError::BadChangeSize);
            }
            let change = decode_change(change)?;
            if !actor_of(change.actor_id().to_bytes(), author) {
                return Err(EventError::ForgedActor);
            }
            return Ok(Some(change));
        }
        Body::Void(_) => return Err(EventError::VoidBody),
    }
    Ok(None)
}

/// Whether an Automerge actor id belongs to `author`: the author's key,
/// optionally followed by a session suffix of at most [`MAX_ACTOR_SUFFIX`] bytes.
pub fn actor_of(actor: &[u8], author: &PublicKey) -> bool {
    actor.len() <= author.0.len() + MAX_ACTOR_SUFFIX && actor.starts_with(&author.0)
}

/// The unit rule of event format `version`.
///
/// * Version 1: 1–[`MAX_UNIT_BYTES`] bytes, not padded with spaces, without
///   control characters or the zero-width and bidirectional marks listed in
///   `visible`. Kept for version-1 events, so no stored history loses a
///   payment; it let through other invisible characters (U+061C, soft
///   hyphen, variation selectors, tags, fillers, combining marks).
/// * Version 2 on: [`unit_allowed`].
pub fn validate_unit(version: u8, unit: &str) -> Result<(), EventError> {
    if version < 2 {
        if unit.is_empty()
            || unit.len() > MAX_UNIT_BYTES
            || unit.trim() != unit
            || !unit.chars().all(visible)
        {
            return Err(EventError::BadUnit);
        }
        return Ok(());
    }
    if unit_allowed(unit) {
        Ok(())
    } else if unit_allowed(&unit.to_ascii_uppercase()) {
        Err(EventError::UnitNotCapitals)
    } else {
        Err(EventError::UnitNotAllowed)
    }
}

/// Whether `unit` is a unit from event version 2 on: 1–[`MAX_UNIT_BYTES`]
/// bytes, each character a capital ASCII letter, an ASCII digit or one of
/// [`UNIT_SYMBOLS`].
///
/// What looks the same is the same: every allowed character is visible and
/// stands for itself (no spaces, no invisible or combining marks, no second
/// case, no compatibility twins such as the full-width `ＥＵＲ`), so units
/// that look alike are the same bytes. The verdict is one fixed list on every
/// node and in every version: it never depends on a library's Unicode
/// tables. Left to display: the digits `0` and `1` against the letters `O`
/// and `I`, which only the font tells apart. Loosening the rule (another
/// symbol) needs a new event version, as older nodes would refuse such
/// events.
pub fn unit_allowed(unit: &str) -> bool {
    !unit.is_empty()
        && unit.len() <= MAX_UNIT_BYTES
        && unit
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || UNIT_SYMBOLS.contains(&c))
}

/// How to show a unit to people so that units that look alike are alike,
/// version-1 units included: characters other than ASCII letters, digits,
/// punctuation, the space and [`UNIT_SYMBOLS`] are written as `⟨U+061C⟩`.
/// A unit [`unit_allowed`] shows unchanged. Like the allowlist, this uses no
/// Unicode table, so every node and version shows a unit the same way.
pub fn unit_label(unit: &str) -> std::borrow::Cow<'_, str> {
    let plain = |c: char| c == ' ' || c.is_ascii_graphic() || UNIT_SYMBOLS.contains(&c);
    if unit.chars().all(plain) {
        return unit.into();
    }
    let mut out = String::with_capacity(unit.len() * 4);
    for c in unit.chars() {
        if plain(c) {
            out.push(c);
        } else {
            out.push_str(&format!("⟨U+{:04X}⟩", u32::from(c)));
        }
    }
    out.into()
}

/// A character that shows, for the version-1 unit rule: no control
/// character and no invisible formatting (zero-width and bidirectional marks)
/// that could disguise a unit.
fn visible(c: char) -> bool {
    !(c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'))
}

pub use super::change_actors::{
    MAX_CHANGE_NAME_BYTES, MAX_CHANGE_OPS, MAX_CHANGE_PREDS, MAX_INFLATED_BYTES,
};

/// Decodes a document change: Automerge's own checks (chunk, checksum,
/// columns, actions), and what its decoder leaves out
/// ([`super::change_actors`]): a compressed chunk inflating to at most
/// [`MAX_INFLATED_BYTES`](super::change_actors::MAX_INFLATED_BYTES), every
/// actor index of its ops inside its actor table, at most
/// [`MAX_CHANGE_OPS`](super::change_actors::MAX_CHANGE_OPS) ops, at most
/// [`MAX_CHANGE_NAME_BYTES`](super::change_actors::MAX_CHANGE_NAME_BYTES)
/// of names and
/// [`MAX_CHANGE_PREDS`](super::change_actors::MAX_CHANGE_PREDS)
/// predecessors.
pub fn decode_change(bytes: &[u8]) -> Result<automerge::Change, EventError> {
    use super::change_actors::{self as shape, ColumnsFault};
    let fault = match shape::check_chunk(bytes, shape::LIMITS) {
        Ok(()) => {
            return automerge::Change::try_from(bytes)
                .map_err(|e| EventError::BadChange(e.to_string()));
        }
        Err(fault) => fault,
    };
    Err(EventError::BadChange(match fault {
        ColumnsFault::InflatesTooMuch => "the compressed change inflates past the limit".into(),
        ColumnsFault::BadActors => format!(
            "another actor of another length than an author's, or more than {} of them",
            shape::MAX_OTHER_ACTORS
        ),
        ColumnsFault::ActorOutOfRange => {
            "an op names an actor outside the change's actor table".into()
        }
        ColumnsFault::TooManyOps => {
            format!("more than {} ops in one change", shape::MAX_CHANGE_OPS)
        }
        ColumnsFault::NamesTooLong => format!(
            "more than {} bytes of names in one change",
            shape::MAX_CHANGE_NAME_BYTES
        ),
        ColumnsFault::TooManyPreds => format!(
            "more than {} predecessors in one change",
            shape::MAX_CHANGE_PREDS
        ),
        ColumnsFault::ValuesPastColumn => "the values' lengths go past the value column".into(),
        ColumnsFault::Unparsable => "the change chunk does not parse".into(),
    }))
}

/// Checks that every dependency of a `Doc` event's change is carried by one
/// of its parents for the same document. `parent_change` gives a parent's
/// (document, change hash) when it is a `Doc` event. Like the other
/// references, dependencies must be direct parents (which
/// [`Replica::commit`](crate::Replica::commit) ensures), so the verdict
/// depends on the event and its parents only — not on which of several
/// events carrying one change arrived first.
pub fn validate_doc_dependencies(
    event: &Event,
    parent_change: impl Fn(&EventId) -> Option<(DocId, [u8; 32])>,
) -> Result<(), ContextError> {
    match doc_change(event) {
        Some(change) => validate_doc_dependencies_of(event, &change, parent_change),
        None => Ok(()),
    }
}

/// A `Doc` event's change, decoded; `None` for another body, or a change
/// that does not decode (no valid event carries one: the rules decode it).
pub(crate) fn doc_change(event: &Event) -> Option<automerge::Change> {
    match event.body() {
        Body::Doc { change, .. } => decode_change(change).ok(),
        _ => None,
    }
}

/// [`validate_doc_dependencies`] with the event's change decoded already.
pub(crate) fn validate_doc_dependencies_of(
    event: &Event,
    change: &automerge::Change,
    parent_change: impl Fn(&EventId) -> Option<(DocId, [u8; 32])>,
) -> Result<(), ContextError> {
    let Body::Doc { doc, .. } = event.body() else {
        return Ok(());
    };
    let carried: Vec<(DocId, [u8; 32])> =
        event.parents().iter().filter_map(parent_change).collect();
    for dep in change.deps() {
        if !carried.contains(&(*doc, dep.0)) {
            return Err(ContextError::MissingDependency(dep.0));
        }
    }
    Ok(())
}

/// `verify_strict` of the signature over the signed bytes.
pub fn verify_signature(event: &Event) -> Result<(), EventError> {
    let key = VerifyingKey::from_bytes(&event.author().0).map_err(|_| EventError::BadSignature)?;
    verify_with_key(event, &key)
}

/// [`verify_signature`] with the author's key decompressed already.
pub(crate) fn verify_with_key(event: &Event, key: &VerifyingKey) -> Result<(), EventError> {
    let mut signature = [0u8; 64];
    signature.copy_from_slice(event.signature());
    key.verify_strict(event.signed_bytes(), &Signature::from_bytes(&signature))
        .map_err(|_| EventError::BadSignature)
}

/// Checks every rule that needs the event's parents (`parent` looks one up;
/// all of them are present when this runs):
///
/// 1. `seq = 1` has no parent by its author; `seq = n > 1` has the author's
///    event `n − 1` among its parents, and no parent of its author has a seq
///    `≥ n`;
/// 2. a referenced event (exclusion, dispute or retraction target, reversed
///    transfer) is a parent;
/// 3. an `Exclude` does not target a `Trust` statement;
/// 4. a `Dispute` targets a `Transfer` paid by the disputer;
/// 5. a `Retract` targets an `Exclude` or `Dispute` by the same author;
/// 6. a reversal pays a transfer's payee back to its payer, in its unit, at
///    most its amount.
pub fn validate_against_parents<'a>(
    event: &Event,
    parent: impl Fn(&EventId) -> Option<&'a Event>,
) -> Result<(), ContextError> {
    validate_chain(event, &parent)?;
    validate_references(event, parent)
}

/// Rule 1 of [`validate_against_parents`]: the author's chain. Needs only
/// the clear header of the event and its parents, so a relay that cannot
/// read sealed bodies checks it too, and breaking it makes any event
/// invalid.
pub fn validate_chain<'a>(
    event: &Event,
    parent: impl Fn(&EventId) -> Option<&'a Event>,
) -> Result<(), ContextError> {
    let author = event.author();
    let seq = event.seq();
    let mut has_previous = seq <= 1;
    for id in event.parents() {
        let Some(p) = parent(id) else { continue };
        if p.author() != author {
            continue;
        }
        if p.seq() >= seq {
            return Err(ContextError::SeqNotIncreasing {
                seq,
                parent_seq: p.seq(),
            });
        }
        has_previous |= p.seq() + 1 == seq;
    }
    if !has_previous {
        return Err(ContextError::MissingPrevious {
            seq,
            expected: seq.saturating_sub(1),
        });
    }
    Ok(())
}

/// Rules 2–6 of [`validate_against_parents`]: what the body says about its
/// parents. A sealed event that breaks one is void, not invalid (its
/// forwarder may not be able to read it).
pub fn validate_references<'a>(
    event: &Event,
    parent: impl Fn(&EventId) -> Option<&'a Event>,
) -> Result<(), ContextError> {
    let author = event.author();
    let Some(reference) = event.body().reference() else {
        return Ok(());
    };
    let target = event
        .parents()
        .binary_search(&reference)
        .ok()
        .and_then(|_| parent(&reference))
        .ok_or(ContextError::ReferenceNotParent(reference))?;
    match event.body() {
        Body::Exclude(_) => {
            if matches!(target.body(), Body::Trust { .. }) {
                return Err(ContextError::ExcludesTrust);
            }
        }
        Body::Dispute(_) => {
            if !matches!(target.body(), Body::Transfer(_)) {
                return Err(ContextError::DisputeOfNonTransfer(target.body().kind()));
            }
            if target.author() != author {
                return Err(ContextError::DisputeByNonPayer);
            }
        }
        Body::Retract { .. } => {
            if !matches!(target.body(), Body::Exclude(_) | Body::Dispute(_)) {
                return Err(ContextError::RetractOfNonStatement(target.body().kind()));
            }
            if target.author() != author {
                return Err(ContextError::RetractByOther);
            }
        }
        Body::Transfer(reversal) => {
            let Body::Transfer(original) = target.body() else {
                return Err(ContextError::BadReversal);
            };
            if original.to != author
                || reversal.to != target.author()
                || original.unit != reversal.unit
                || reversal.amount > original.amount
            {
                return Err(ContextError::BadReversal);
            }
        }
        Body::Trust { .. } | Body::Doc { .. } | Body::Void(_) => {}
    }
    Ok(())
}

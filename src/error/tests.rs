//! Every error code: one per variant, snake_case, unique across the crate,
//! and passed through by every wrapping variant. The JS façade and README
//! rely on these strings, so a duplicate or a malformed one fails here.
//!
//! Each list below constructs one value of every variant of its enum. The
//! `match` beside it names every variant, so adding a variant stops the
//! build here until the list (and its code) is added.

use crate::Error;
use crate::amount::AmountError;
use crate::backup::BackupError;
use crate::doc::{DocError, GuardError};
use crate::event::{ContextError, DecodeError, EventError, EventId};
use crate::invite::InviteError;
use crate::log::LogError;
use crate::node::{NodeError, PeerError};
use crate::replica::ReversalError;
use crate::signal::SignalError;
use crate::store::StoreError;
use crate::sync::{FrameError, Violation};
use crate::transport::TransportError;
use std::collections::BTreeMap;
use wasm_bindgen_test::wasm_bindgen_test;

const ID: EventId = EventId([7; 32]);

fn decode_errors() -> Vec<DecodeError> {
    use DecodeError::*;
    let all = vec![
        TooLarge { len: 9, max: 8 },
        TooShort { len: 1 },
        UnknownVersion(9),
        Malformed(postcard::Error::DeserializeUnexpectedEnd),
        TrailingBytes(1),
        NonCanonical,
    ];
    for e in &all {
        match e {
            TooLarge { .. }
            | TooShort { .. }
            | UnknownVersion(_)
            | Malformed(_)
            | TrailingBytes(_)
            | NonCanonical => {}
        }
    }
    all
}

/// Every variant but `Decode`, which wraps a [`DecodeError`].
fn event_errors() -> Vec<EventError> {
    use EventError::*;
    let all = vec![
        BadSignature,
        SeqZero,
        TooManyParents { count: 65, max: 64 },
        ParentsNotSorted,
        ZeroAmount,
        SelfTransfer,
        BadUnit,
        UnitNotAllowed,
        UnitNotCapitals,
        MemoTooLong,
        ReasonTooLong,
        SelfTrust,
        BadChangeSize,
        BadChange("bad chunk".into()),
        ForgedActor,
        VoidBody,
        NotAdmitted,
        SealedInOpenNetwork,
    ];
    for e in &all {
        match e {
            Decode(_) => unreachable!("a wrapping variant, checked apart"),
            BadSignature
            | SeqZero
            | TooManyParents { .. }
            | ParentsNotSorted
            | ZeroAmount
            | SelfTransfer
            | BadUnit
            | UnitNotAllowed
            | UnitNotCapitals
            | MemoTooLong
            | ReasonTooLong
            | SelfTrust
            | BadChangeSize
            | BadChange(_)
            | ForgedActor
            | VoidBody
            | NotAdmitted
            | SealedInOpenNetwork => {}
        }
    }
    all
}

fn context_errors() -> Vec<ContextError> {
    use ContextError::*;
    let all = vec![
        MissingPrevious {
            seq: 3,
            expected: 2,
        },
        SeqNotIncreasing {
            seq: 3,
            parent_seq: 3,
        },
        ReferenceNotParent(ID),
        ExcludesTrust,
        DisputeOfNonTransfer("trust"),
        DisputeByNonPayer,
        RetractOfNonStatement("transfer"),
        RetractByOther,
        BadReversal,
        InvalidParent(ID),
        MissingDependency([1; 32]),
    ];
    for e in &all {
        match e {
            MissingPrevious { .. }
            | SeqNotIncreasing { .. }
            | ReferenceNotParent(_)
            | ExcludesTrust
            | DisputeOfNonTransfer(_)
            | DisputeByNonPayer
            | RetractOfNonStatement(_)
            | RetractByOther
            | BadReversal
            | InvalidParent(_)
            | MissingDependency(_) => {}
        }
    }
    all
}

fn doc_errors() -> Vec<DocError> {
    use DocError::*;
    let all = vec![
        NoRecord("r".into()),
        NotDeleted("r".into()),
        ReservedField("\u{0}deleted".into()),
        NameTooLong { len: 1025 },
        ValueTooLong { len: 2 << 20 },
        NotText("title".into()),
        OutOfRange {
            pos: 4,
            delete: 1,
            len: 3,
        },
        SplitsCharacter { pos: 2, delete: 0 },
        Automerge("refused".into()),
        Refused(GuardError::DependencyMissing),
        Refused(GuardError::SeqOutOfOrder {
            expected: 2,
            got: 3,
        }),
        Refused(GuardError::OpCountersReused),
        Refused(GuardError::UnknownActor),
        Refused(GuardError::AuthorFooter),
        Refused(GuardError::OutsideHistory),
        Refused(GuardError::NotCanonical),
        Refused(GuardError::UnsupportedOp { op: 0 }),
        Refused(GuardError::BadReference { op: 0 }),
        Refused(GuardError::NameTooLong { op: 0 }),
    ];
    for e in &all {
        match e {
            NoRecord(_)
            | NotDeleted(_)
            | ReservedField(_)
            | NameTooLong { .. }
            | ValueTooLong { .. }
            | NotText(_)
            | OutOfRange { .. }
            | SplitsCharacter { .. }
            | Automerge(_) => {}
            Refused(g) => match g {
                GuardError::DependencyMissing
                | GuardError::SeqOutOfOrder { .. }
                | GuardError::OpCountersReused
                | GuardError::UnknownActor
                | GuardError::AuthorFooter
                | GuardError::OutsideHistory
                | GuardError::NameTooLong { .. }
                | GuardError::NotCanonical
                | GuardError::UnsupportedOp { .. }
                | GuardError::BadReference { .. } => {}
            },
        }
    }
    all
}

fn amount_errors() -> Vec<AmountError> {
    use AmountError::*;
    let all = vec![
        Empty,
        NotANumber,
        TooPrecise {
            unit: "EUR".into(),
            decimals: 2,
        },
        Grouped {
            text: "1,000".into(),
        },
        Zero,
        TooLarge,
    ];
    for e in &all {
        match e {
            Empty | NotANumber | TooPrecise { .. } | Grouped { .. } | Zero | TooLarge => {}
        }
    }
    all
}

fn store_errors() -> Vec<StoreError> {
    use StoreError::*;
    let all = vec![
        QuotaExceeded,
        Blocked("older tab".into()),
        Closed,
        Backend("failed".into()),
    ];
    for e in &all {
        match e {
            QuotaExceeded | Blocked(_) | Closed | Backend(_) => {}
        }
    }
    all
}

fn transport_errors() -> Vec<TransportError> {
    use TransportError::*;
    let all = vec![
        NotConnected("p".into()),
        TooLarge(1),
        Failed("f".into()),
        LinkBacklog(1),
        AllLinksBacklog(1),
        SendBacklog(1),
    ];
    for e in &all {
        match e {
            NotConnected(_) | TooLarge(_) | Failed(_) | LinkBacklog(_) | AllLinksBacklog(_)
            | SendBacklog(_) => {}
        }
    }
    all
}

fn violations() -> Vec<Violation> {
    use Violation::*;
    let all = vec![
        TooManyHeads,
        UnnumberedEvents,
        WindowExceeded,
        TooManyWanted,
        TooManyAcknowledged,
    ];
    for e in &all {
        match e {
            TooManyHeads | UnnumberedEvents | WindowExceeded | TooManyWanted
            | TooManyAcknowledged => {}
        }
    }
    all
}

/// Every variant but `Violation`, which wraps a [`Violation`].
fn frame_errors() -> Vec<FrameError> {
    use FrameError::*;
    let all = vec![UnknownVersion(Some(1)), TooLarge(1), Malformed, BadPart];
    for e in &all {
        match e {
            Violation(_) => unreachable!("a wrapping variant, checked apart"),
            UnknownVersion(_) | TooLarge(_) | Malformed | BadPart => {}
        }
    }
    all
}

fn backup_errors() -> Vec<BackupError> {
    use BackupError::*;
    let all = vec![
        Malformed,
        UnknownVersion(3),
        UnreasonableParams,
        WrongPassphrase,
        PassphraseTooLong,
        OutOfMemory,
        TooManyInvites { count: 65, max: 64 },
        DuplicateInvite,
        MalformedContents,
    ];
    for e in &all {
        match e {
            Malformed
            | UnknownVersion(_)
            | UnreasonableParams
            | WrongPassphrase
            | PassphraseTooLong
            | OutOfMemory
            | TooManyInvites { .. }
            | DuplicateInvite
            | MalformedContents => {}
        }
    }
    all
}

fn signal_errors() -> Vec<SignalError> {
    use SignalError::*;
    let all = vec![Malformed, BadSignature, Replayed];
    for e in &all {
        match e {
            Malformed | BadSignature | Replayed => {}
        }
    }
    all
}

fn invite_errors() -> Vec<InviteError> {
    use InviteError::*;
    let all = vec![MalformedSecret, BadName, Damaged, Undecryptable];
    for e in &all {
        match e {
            MalformedSecret | BadName | Damaged | Undecryptable => {}
        }
    }
    all
}

fn reversal_errors() -> Vec<ReversalError> {
    use ReversalError::*;
    let all = vec![
        UnknownPayment(ID),
        NotAPaymentToYou(ID),
        AlreadyPaidBack(ID),
    ];
    for e in &all {
        match e {
            UnknownPayment(_) | NotAPaymentToYou(_) | AlreadyPaidBack(_) => {}
        }
    }
    all
}

/// The variants of the wrapping enums that carry a code of their own.
fn own_codes_of_wrappers() -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for e in [Error::UnknownReference(ID), Error::NotOwner] {
        match e {
            Error::UnknownReference(_) | Error::NotOwner => out.push(("Error", e.code())),
            Error::Event(_) | Error::Log(_) | Error::Doc(_) => unreachable!("wrapping"),
        }
    }
    let log = LogError::PendingFull { events: 1 };
    match log {
        LogError::PendingFull { .. } => out.push(("LogError", log.code())),
        LogError::Malformed { .. } | LogError::Invalid { .. } => unreachable!("wrapping"),
    }
    for e in [
        NodeError::DamagedMeta("policy"),
        NodeError::OtherIdentity,
        NodeError::OtherNetwork,
    ] {
        match e {
            NodeError::DamagedMeta(_) | NodeError::OtherIdentity | NodeError::OtherNetwork => {
                out.push(("NodeError", e.code()))
            }
            NodeError::Store(_) | NodeError::Core(_) => unreachable!("wrapping"),
        }
    }
    // `PeerError` only wraps.
    match PeerError::Frame(FrameError::BadPart) {
        PeerError::Frame(_) | PeerError::InvalidEvent(_) => {}
    }
    out
}

/// (enum, code) for every variant with a code of its own, in every enum.
fn every_code() -> Vec<(&'static str, &'static str)> {
    fn of<E>(
        name: &'static str,
        all: Vec<E>,
        code: fn(&E) -> &'static str,
    ) -> Vec<(&'static str, &'static str)> {
        all.iter().map(|e| (name, code(e))).collect()
    }
    let mut out = own_codes_of_wrappers();
    out.extend(of("DecodeError", decode_errors(), DecodeError::code));
    out.extend(of("EventError", event_errors(), EventError::code));
    out.extend(of("ContextError", context_errors(), ContextError::code));
    out.extend(of("DocError", doc_errors(), DocError::code));
    out.extend(of("AmountError", amount_errors(), AmountError::code));
    out.extend(of("StoreError", store_errors(), StoreError::code));
    out.extend(of(
        "TransportError",
        transport_errors(),
        TransportError::code,
    ));
    out.extend(of("Violation", violations(), Violation::code));
    out.extend(of("FrameError", frame_errors(), FrameError::code));
    out.extend(of("BackupError", backup_errors(), BackupError::code));
    out.extend(of("SignalError", signal_errors(), SignalError::code));
    out.extend(of("ReversalError", reversal_errors(), ReversalError::code));
    out.extend(of("InviteError", invite_errors(), InviteError::code));
    out
}

fn snake_case(code: &str) -> bool {
    let mut chars = code.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

#[wasm_bindgen_test(unsupported = test)]
fn every_code_is_snake_case_and_names_one_variant_in_the_whole_crate() {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (owner, code) in every_code() {
        assert!(
            snake_case(code),
            "{owner}: {code:?} is not ^[a-z][a-z0-9_]*$"
        );
        if let Some(first) = seen.insert(code, owner) {
            panic!("{code:?} names a variant of {first} and one of {owner}");
        }
    }
}

#[wasm_bindgen_test(unsupported = test)]
fn a_wrapping_variant_gives_the_wrapped_errors_code() {
    for decode in decode_errors() {
        let code = decode.code();
        assert_eq!(EventError::Decode(decode.clone()).code(), code);
        assert_eq!(Error::Event(EventError::Decode(decode)).code(), code);
    }
    for event in event_errors() {
        let code = event.code();
        assert_eq!(Error::Event(event.clone()).code(), code);
        let log = LogError::Malformed {
            id: ID,
            error: event,
        };
        assert_eq!(Error::Log(log.clone()).code(), code);
        assert_eq!(NodeError::Core(Error::Log(log.clone())).code(), code);
        assert_eq!(PeerError::InvalidEvent(Error::Log(log)).code(), code);
    }
    for context in context_errors() {
        let code = context.code();
        let log = LogError::Invalid {
            id: ID,
            error: context,
        };
        assert_eq!(Error::Log(log).code(), code);
    }
    for doc in doc_errors() {
        let code = doc.code();
        assert_eq!(NodeError::Core(Error::Doc(doc)).code(), code);
    }
    for store in store_errors() {
        let code = store.code();
        assert_eq!(NodeError::Store(store).code(), code);
    }
    for violation in violations() {
        let code = violation.code();
        assert_eq!(
            PeerError::Frame(FrameError::Violation(violation)).code(),
            code
        );
    }
    for frame in frame_errors() {
        let code = frame.code();
        assert_eq!(PeerError::Frame(frame).code(), code);
    }
}

//! Event bodies: what an event says.

use super::ids::{EventId, PublicKey};
use serde::{Deserialize, Serialize};

/// What an event says. The variant order is part of the encoding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Body {
    /// Moves value from the author to `to`.
    Transfer(Transfer),
    /// "This event should not count."
    Exclude(Statement),
    /// The payer of a transfer says it was not honoured: an exclusion with that meaning.
    Dispute(Statement),
    /// The author withdraws one of their own exclusions or disputes.
    Retract {
        /// The author's own `Exclude` or `Dispute`.
        target: EventId,
    },
    /// A published trust statement about `subject`.
    Trust {
        /// Whom the statement is about.
        subject: PublicKey,
        /// What the author says of them.
        level: TrustLevel,
    },
    /// One Automerge change to one document.
    Doc {
        /// Which document.
        doc: DocId,
        /// The encoded change.
        #[serde(with = "serde_bytes")]
        change: Vec<u8>,
    },
    /// What a private network's event says when it counts for nothing:
    /// its sealed body could not be read, or broke a body rule (see
    /// [`Void`]). Never valid as what an event says: a clear event or an
    /// opened body that *encodes* this variant is refused or void like any
    /// other broken body, so it only ever stands for a verdict.
    Void(Void),
}

/// Why a sealed event (format version 3) counts for nothing. Every member
/// of a network reaches the same verdict: it depends only on the event's
/// bytes, the network's key and the event's parents.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Void {
    /// Not opened: this node holds no key for the network (a relay, or a
    /// node of another network). Code `sealed_body`.
    Sealed,
    /// The body does not open under the network's key: sealed under
    /// another key, or altered by its author. Code `undecryptable_body`.
    Unreadable,
    /// The body opened but is not the canonical encoding of a time and a
    /// body. Code `malformed_body`.
    Malformed,
    /// The body opened and breaks a body rule; the rule's code
    /// (`zero_amount`, `bad_reversal`, `missing_dependency`…).
    Broken(String),
}

impl Void {
    /// The stable code of this verdict (see each variant).
    pub fn code(&self) -> &str {
        match self {
            Void::Sealed => "sealed_body",
            Void::Unreadable => "undecryptable_body",
            Void::Malformed => "malformed_body",
            Void::Broken(code) => code,
        }
    }
}

impl Body {
    /// A short name of the kind, for messages and explanations.
    pub fn kind(&self) -> &'static str {
        match self {
            Body::Transfer(_) => "transfer",
            Body::Exclude(_) => "exclude",
            Body::Dispute(_) => "dispute",
            Body::Retract { .. } => "retract",
            Body::Trust { .. } => "trust",
            Body::Doc { .. } => "doc",
            Body::Void(_) => "void",
        }
    }

    /// The event this body refers to, if any (targets and reversals).
    pub fn reference(&self) -> Option<EventId> {
        match self {
            Body::Transfer(t) => t.reverses,
            Body::Exclude(s) | Body::Dispute(s) => Some(s.target),
            Body::Retract { target } => Some(*target),
            Body::Trust { .. } | Body::Doc { .. } | Body::Void(_) => None,
        }
    }
}

/// A payment in one unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// The payee.
    pub to: PublicKey,
    /// Minor units; always > 0.
    pub amount: u64,
    /// Short name of the unit ("EUR", "HOURS"; see
    /// [`validate_unit`](super::validate::validate_unit)).
    pub unit: String,
    /// Free text for people.
    pub memo: String,
    /// The transfer this one pays back, if it is a reversal.
    pub reverses: Option<EventId>,
}

/// An exclusion or a dispute of one earlier event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// The event that should not count.
    pub target: EventId,
    /// Why, for people.
    pub reason: String,
}

/// What a `Trust` statement says about its subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TrustLevel {
    /// Follow the subject's exclusions, disputes and bans.
    Trusted,
    /// Neither: withdraws an earlier statement.
    Neutral,
    /// Ignore the subject's events.
    Banned,
}

/// The id of a document (16 bytes chosen by its creator).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DocId(pub [u8; 16]);

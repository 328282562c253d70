//! Shared test fixtures: named identities and body builders.
#![allow(dead_code)]

pub mod history;
pub mod varint;

use trustfold::{Body, EventId, Identity, PublicKey, Statement, Transfer, TrustLevel};

/// A deterministic identity from a one-byte name.
pub fn id(n: u8) -> Identity {
    Identity::from_secret([n; 32])
}

/// The public key of `id(n)`.
pub fn key(n: u8) -> PublicKey {
    id(n).public_key()
}

/// A transfer body.
pub fn pay(to: PublicKey, amount: u64, unit: &str) -> Body {
    Body::Transfer(Transfer {
        to,
        amount,
        unit: unit.into(),
        memo: String::new(),
        reverses: None,
    })
}

/// An exclusion body.
pub fn exclude(target: EventId, reason: &str) -> Body {
    Body::Exclude(Statement {
        target,
        reason: reason.into(),
    })
}

/// A dispute body.
pub fn dispute(target: EventId, reason: &str) -> Body {
    Body::Dispute(Statement {
        target,
        reason: reason.into(),
    })
}

/// A retraction body.
pub fn retract(target: EventId) -> Body {
    Body::Retract { target }
}

/// A trust statement body.
pub fn trust(subject: PublicKey, level: TrustLevel) -> Body {
    Body::Trust { subject, level }
}

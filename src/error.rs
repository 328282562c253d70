//! The crate error: one enum wrapping each module's error.

use crate::doc::DocError;
use crate::event::{EventError, EventId};
use crate::log::LogError;
use thiserror::Error;

/// Anything that can go wrong in the core.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The event is invalid on its own (encoding, body rules, signature).
    /// Code: the wrapped error's.
    #[error(transparent)]
    Event(#[from] EventError),
    /// The log refused the event (invalid given its parents, or pending full).
    /// Code: the wrapped error's.
    #[error(transparent)]
    Log(#[from] LogError),
    /// A new event refers to an event this replica does not have.
    /// Code `unknown_event`.
    #[error("referenced event {0:?} is unknown")]
    UnknownReference(EventId),
    /// A document edit failed.
    /// Code: the wrapped error's.
    #[error(transparent)]
    Doc(#[from] DocError),
    /// Only the replica's owner can commit its edits.
    /// Code `not_owner`.
    #[error("only the replica's owner can commit its edits")]
    NotOwner,
}

impl Error {
    /// The stable code of this error: snake_case, unique among the crate's
    /// codes, named in each variant's doc (a wrapping variant gives the
    /// wrapped error's).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Event(e) => e.code(),
            Error::Log(e) => e.code(),
            Error::UnknownReference(..) => "unknown_event",
            Error::Doc(e) => e.code(),
            Error::NotOwner => "not_owner",
        }
    }
}

#[cfg(test)]
mod tests;

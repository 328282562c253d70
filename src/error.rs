//! The crate error: one enum wrapping each module's error.

use crate::doc::DocError;
use crate::event::{EventError, EventId};
use crate::log::LogError;
use thiserror::Error;

/// Anything that can go wrong in the core.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    /// The event is invalid on its own (encoding, body rules, signature).
    #[error(transparent)]
    Event(#[from] EventError),
    /// The log refused the event (invalid given its parents, or pending full).
    #[error(transparent)]
    Log(#[from] LogError),
    /// A new event refers to an event this replica does not have.
    #[error("referenced event {0:?} is unknown")]
    UnknownReference(EventId),
    /// A document edit failed.
    #[error(transparent)]
    Doc(#[from] DocError),
    /// Only the replica's owner can commit its edits.
    #[error("only the replica's owner can commit its edits")]
    NotOwner,
}

//! Why a document operation failed.

use super::GuardError;
use thiserror::Error;

/// Why a document operation failed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DocError {
    /// No record with that id in the collection (as the owner sees it).
    /// Code `no_record`.
    #[error("no record {0:?}")]
    NoRecord(String),
    /// The record is not deleted (restoring it).
    /// Code `record_not_deleted`.
    #[error("record {0:?} is not deleted")]
    NotDeleted(String),
    /// The name is reserved ([`DELETED_FIELD`](super::DELETED_FIELD)), not a field's.
    /// Code `reserved_field`.
    #[error("field name {0:?} is reserved")]
    ReservedField(String),
    /// A record's or a field's name longer than
    /// [`MAX_NAME_BYTES`](super::MAX_NAME_BYTES) (UTF-8 bytes).
    /// Code `name_too_long`.
    #[error("a name of {len} bytes: {max} at most", max = super::MAX_NAME_BYTES)]
    NameTooLong {
        /// The name's length in bytes.
        len: usize,
    },
    /// A field's string value longer than
    /// [`MAX_VALUE_BYTES`](super::MAX_VALUE_BYTES) (UTF-8 bytes): long
    /// writing belongs in a text field.
    /// Code `value_too_long`.
    #[error("a value of {len} bytes: {max} at most", max = super::MAX_VALUE_BYTES)]
    ValueTooLong {
        /// The value's length in bytes.
        len: usize,
    },
    /// The field does not hold text.
    /// Code `not_text`.
    #[error("field {0:?} is not text")]
    NotText(String),
    /// A text position past the end.
    /// Code `text_out_of_range`.
    #[error("position {pos} + {delete} is past the end ({len})")]
    OutOfRange {
        /// Start.
        pos: usize,
        /// Code units to delete.
        delete: usize,
        /// Current length, in UTF-16 code units.
        len: usize,
    },
    /// A text position inside a character: between the two UTF-16 code
    /// units of a surrogate pair. Code `text_splits_character`.
    #[error("position {pos} + {delete} splits a character")]
    SplitsCharacter {
        /// Start.
        pos: usize,
        /// Code units to delete.
        delete: usize,
    },
    /// Automerge refused the operation or the change.
    /// Code `automerge_refused`.
    #[error("automerge: {0}")]
    Automerge(String),
    /// A remote change was kept out of the document before Automerge saw
    /// it ([`GuardError`] says why). Code: the guard error's.
    #[error("change refused: {0}")]
    Refused(GuardError),
}

impl DocError {
    /// The stable code of this error: snake_case, unique among the crate's
    /// codes, named in each variant's doc (a wrapping variant gives the
    /// wrapped error's).
    pub fn code(&self) -> &'static str {
        match self {
            DocError::NoRecord(..) => "no_record",
            DocError::NotDeleted(..) => "record_not_deleted",
            DocError::ReservedField(..) => "reserved_field",
            DocError::NameTooLong { .. } => "name_too_long",
            DocError::ValueTooLong { .. } => "value_too_long",
            DocError::NotText(..) => "not_text",
            DocError::OutOfRange { .. } => "text_out_of_range",
            DocError::SplitsCharacter { .. } => "text_splits_character",
            DocError::Automerge(..) => "automerge_refused",
            DocError::Refused(e) => e.code(),
        }
    }
}

pub(super) fn am<E: std::fmt::Display>(e: E) -> DocError {
    DocError::Automerge(e.to_string())
}

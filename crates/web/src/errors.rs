//! What can fail in the browser, each with a stable code; and the one
//! conversion to a JS `Error` carrying that code.
//!
//! Every error that reaches JS is a [`WebError`]: the core's errors keep
//! their meaning (see `code()`), and the browser's own failures — IndexedDB,
//! the Web Lock, the BroadcastChannel, randomness, signalling — have codes of
//! their own. README lists every code.

use thiserror::Error;
use trustfold::amount::AmountError;
use trustfold::backup::BackupError;
use trustfold::doc::DocError;
use trustfold::event::EventError;
use trustfold::invite::InviteError;
use trustfold::store::StoreError;
use trustfold::{Error, LogError, NodeError, ReversalError};
use wasm_bindgen::JsValue;

/// What façade methods return.
pub type JsResult<T> = Result<T, JsValue>;

/// Why a browser node's operation failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum WebError {
    /// A bad argument from JS (`INVALID_ARGUMENT`).
    #[error("{0}")]
    Invalid(String),
    /// The node refused or failed (codes of [`node_code`]).
    #[error(transparent)]
    Node(#[from] NodeError),
    /// A backup that cannot be opened (codes of [`backup_code`]).
    #[error(transparent)]
    Backup(#[from] BackupError),
    /// A payment that cannot be paid back: unknown, not one made to this
    /// node, or paid back in full already (`INVALID_ARGUMENT`, as any bad
    /// target of a call).
    #[error(transparent)]
    Reversal(#[from] ReversalError),
    /// The browser gave no secure randomness (`NO_RANDOMNESS`): no identity,
    /// backup or sync salt can be made without it.
    #[error("the browser's crypto.getRandomValues failed")]
    NoRandomness,
    /// The Web Lock that orders this origin's writers was refused
    /// (`LOCK_REFUSED`).
    #[error("the writer lock was refused: {0}")]
    LockRefused(String),
    /// The channel to this origin's other tabs could not be opened
    /// (`TABS_UNAVAILABLE`).
    #[error("the tab channel could not be opened: {0}")]
    TabsUnavailable(String),
    /// The signalling connection could not be opened (`CONNECT_FAILED`).
    #[error("could not connect: {0}")]
    ConnectFailed(String),
    /// `connect` while already connected (`ALREADY_CONNECTED`).
    #[error("already connected")]
    AlreadyConnected,
    /// An invite that cannot be read (`MALFORMED_INVITE`), or a network
    /// name that is empty, too long or holds control characters
    /// (`BAD_NETWORK_NAME`).
    #[error(transparent)]
    Invite(#[from] InviteError),
    /// An amount typed by a person that cannot be read
    /// (`INVALID_ARGUMENT`, with the core's code as `detail`).
    #[error(transparent)]
    Amount(#[from] AmountError),
}

impl WebError {
    /// The stable code JS sees as `error.code` (README lists them).
    pub fn code(&self) -> &'static str {
        match self {
            WebError::Invalid(_) | WebError::Reversal(_) | WebError::Amount(_) => {
                "INVALID_ARGUMENT"
            }
            WebError::Node(e) => node_code(e),
            WebError::Backup(e) => backup_code(e),
            WebError::NoRandomness => "NO_RANDOMNESS",
            WebError::LockRefused(_) => "LOCK_REFUSED",
            WebError::TabsUnavailable(_) => "TABS_UNAVAILABLE",
            WebError::ConnectFailed(_) => "CONNECT_FAILED",
            WebError::AlreadyConnected => "ALREADY_CONNECTED",
            WebError::Invite(e) => match e.code() {
                "bad_network_name" => "BAD_NETWORK_NAME",
                _ => "MALFORMED_INVITE",
            },
        }
    }

    /// The core's finer code (`error.detail`), where the core decided:
    /// which rule an event broke, why a backup or a payment was refused.
    pub fn detail(&self) -> Option<&'static str> {
        match self {
            WebError::Node(e) => Some(e.code()),
            WebError::Backup(e) => Some(e.code()),
            WebError::Reversal(e) => Some(e.code()),
            WebError::Invite(e) => Some(e.code()),
            WebError::Amount(e) => Some(e.code()),
            _ => None,
        }
    }
}

impl From<StoreError> for WebError {
    fn from(e: StoreError) -> Self {
        WebError::Node(NodeError::Store(e))
    }
}

impl From<Error> for WebError {
    fn from(e: Error) -> Self {
        WebError::Node(NodeError::Core(e))
    }
}

impl From<WebError> for JsValue {
    fn from(e: WebError) -> JsValue {
        let error = js_sys::Error::new(&e.to_string());
        // Setting properties on a fresh Error object cannot fail.
        let _ = js_sys::Reflect::set(&error, &"code".into(), &e.code().into());
        if let Some(detail) = e.detail() {
            let _ = js_sys::Reflect::set(&error, &"detail".into(), &detail.into());
        }
        error.into()
    }
}

/// A bad argument from JS.
pub fn invalid(message: &str) -> JsValue {
    WebError::Invalid(message.to_owned()).into()
}

/// The code of a store failure: the core's, in capitals.
pub fn store_code(e: &StoreError) -> &'static str {
    match e.code() {
        "quota_exceeded" => "QUOTA_EXCEEDED",
        "storage_blocked" => "STORAGE_BLOCKED",
        "storage_closed" => "STORAGE_CLOSED",
        // `storage_failed`, and any failure the store learns to tell apart
        // later, until README gives it a code of its own.
        _ => "STORAGE_FAILED",
    }
}

/// The code of a node failure.
pub fn node_code(e: &NodeError) -> &'static str {
    match e {
        NodeError::Store(e) => store_code(e),
        NodeError::Core(core) => code(core),
        _ => match e.code() {
            "damaged_store" => "DAMAGED_STORE",
            "other_identity" => "OTHER_IDENTITY",
            "other_network" => "OTHER_NETWORK",
            // A node failure added later: its store-level meaning.
            _ => "STORAGE_FAILED",
        },
    }
}

/// The code of a backup that cannot be made or opened.
pub fn backup_code(e: &BackupError) -> &'static str {
    match e.code() {
        "wrong_passphrase" => "WRONG_PASSPHRASE",
        "unsupported_backup_version" => "UNSUPPORTED_BACKUP_VERSION",
        "passphrase_too_long" | "too_many_backup_invites" | "duplicate_backup_invite" => {
            "INVALID_ARGUMENT"
        }
        "backup_out_of_memory" => "BACKUP_OUT_OF_MEMORY",
        // `malformed_backup`, `unreasonable_backup_params`: not a backup
        // this version can open.
        _ => "MALFORMED_BACKUP",
    }
}

/// The stable JS code of a refused event or edit: coarse (what a caller
/// handles), with the core's own code as `detail`.
pub fn code(e: &Error) -> &'static str {
    match e {
        Error::Event(EventError::Decode(_)) => "MALFORMED_EVENT",
        Error::Event(EventError::BadSignature) => "BAD_SIGNATURE",
        Error::Event(EventError::NotAdmitted | EventError::SealedInOpenNetwork) => "NOT_ADMITTED",
        Error::Event(_) => "INVALID_EVENT",
        Error::Log(LogError::PendingFull { .. }) => "PENDING_FULL",
        Error::Log(_) => "INVALID_EVENT",
        Error::UnknownReference(_) => "UNKNOWN_EVENT",
        // A text position past the end or inside a character, a reserved
        // or too long name, a too long value: the caller's arguments, as
        // the façade's own checks say.
        Error::Doc(
            DocError::OutOfRange { .. }
            | DocError::SplitsCharacter { .. }
            | DocError::ReservedField(_)
            | DocError::NameTooLong { .. }
            | DocError::ValueTooLong { .. },
        ) => "INVALID_ARGUMENT",
        // Any other: the document's state, not the caller's arguments.
        Error::Doc(_) => "DOCUMENT_ERROR",
        Error::NotOwner => "NOT_OWNER",
        // An event refused for a reason added later is still a refused event.
        _ => "INVALID_EVENT",
    }
}

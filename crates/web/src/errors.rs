//! What can fail in the browser, each with a stable code; and the one
//! conversion to a JS `Error` carrying that code.
//!
//! Every error that reaches JS is a [`WebError`]: the core's errors keep
//! their meaning (see `code()`), and the browser's own failures — IndexedDB,
//! the Web Lock, the BroadcastChannel, randomness, signalling — have codes of
//! their own. README lists every code.

use thiserror::Error;
use trustfold::backup::BackupError;
use trustfold::event::EventError;
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
}

impl WebError {
    /// The stable code JS sees as `error.code`.
    pub fn code(&self) -> &'static str {
        match self {
            WebError::Invalid(_) => "INVALID_ARGUMENT",
            WebError::Node(e) => node_code(e),
            WebError::Backup(e) => backup_code(e),
            WebError::Reversal(_) => "INVALID_ARGUMENT",
            WebError::NoRandomness => "NO_RANDOMNESS",
            WebError::LockRefused(_) => "LOCK_REFUSED",
            WebError::TabsUnavailable(_) => "TABS_UNAVAILABLE",
            WebError::ConnectFailed(_) => "CONNECT_FAILED",
            WebError::AlreadyConnected => "ALREADY_CONNECTED",
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
        js_error(e.code(), &e.to_string())
    }
}

/// A JS `Error` with `code`.
fn js_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}

/// A bad argument from JS.
pub fn invalid(message: &str) -> JsValue {
    WebError::Invalid(message.to_owned()).into()
}

/// The code of a store failure.
pub fn store_code(e: &StoreError) -> &'static str {
    match e {
        StoreError::QuotaExceeded => "QUOTA_EXCEEDED",
        StoreError::Blocked(_) => "STORAGE_BLOCKED",
        StoreError::Closed => "STORAGE_CLOSED",
        StoreError::Backend(_) => "STORAGE_FAILED",
    }
}

/// The code of a node failure.
pub fn node_code(e: &NodeError) -> &'static str {
    match e {
        NodeError::Store(e) => store_code(e),
        NodeError::DamagedMeta(_) => "DAMAGED_STORE",
        NodeError::OtherIdentity => "OTHER_IDENTITY",
        NodeError::Core(core) => code(core),
    }
}

/// The code of a backup that cannot be opened.
pub fn backup_code(e: &BackupError) -> &'static str {
    match e {
        BackupError::WrongPassphrase => "WRONG_PASSPHRASE",
        BackupError::Malformed | BackupError::UnreasonableParams => "MALFORMED_BACKUP",
        BackupError::UnknownVersion(_) => "UNSUPPORTED_BACKUP_VERSION",
    }
}

/// The stable code of a refused event or edit.
pub fn code(e: &Error) -> &'static str {
    match e {
        Error::Event(EventError::Decode(_)) => "MALFORMED_EVENT",
        Error::Event(EventError::BadSignature) => "BAD_SIGNATURE",
        Error::Event(_) => "INVALID_EVENT",
        Error::Log(LogError::Malformed { .. }) => "INVALID_EVENT",
        Error::Log(LogError::Invalid { .. }) => "INVALID_EVENT",
        Error::Log(LogError::PendingFull { .. }) => "PENDING_FULL",
        Error::UnknownReference(_) => "UNKNOWN_EVENT",
        Error::Doc(_) => "DOCUMENT_ERROR",
        Error::NotOwner => "NOT_OWNER",
    }
}

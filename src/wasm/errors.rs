//! Errors as JS `Error`s with a stable `code`.

use crate::backup::BackupError;
use crate::error::Error;
use crate::event::EventError;
use crate::log::LogError;
use crate::node::NodeError;
use crate::store::StoreError;
use wasm_bindgen::JsValue;

/// What façade methods return.
pub type JsResult<T> = Result<T, JsValue>;

/// A JS `Error` with `code`.
pub fn js_error(code: &str, message: &str) -> JsValue {
    let error = js_sys::Error::new(message);
    // Setting a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&error, &"code".into(), &code.into());
    error.into()
}

/// A bad argument from JS.
pub fn invalid(message: &str) -> JsValue {
    js_error("INVALID_ARGUMENT", message)
}

/// A store failure.
pub fn store(e: StoreError) -> JsValue {
    let code = match e {
        StoreError::QuotaExceeded => "QUOTA_EXCEEDED",
        StoreError::Blocked(_) => "STORAGE_BLOCKED",
        StoreError::Closed => "STORAGE_CLOSED",
        StoreError::Backend(_) => "STORAGE_FAILED",
    };
    js_error(code, &e.to_string())
}

/// A node failure.
pub fn node(e: NodeError) -> JsValue {
    match e {
        NodeError::Store(e) => store(e),
        NodeError::DamagedMeta(_) => js_error("DAMAGED_STORE", &e.to_string()),
        NodeError::OtherIdentity => js_error("OTHER_IDENTITY", &e.to_string()),
        NodeError::Core(core) => js_error(code(&core), &core.to_string()),
    }
}

/// A backup that cannot be opened.
pub fn backup(e: BackupError) -> JsValue {
    let code = match e {
        BackupError::WrongPassphrase => "WRONG_PASSPHRASE",
        BackupError::Malformed | BackupError::UnreasonableParams => "MALFORMED_BACKUP",
        BackupError::UnknownVersion(_) => "UNSUPPORTED_BACKUP_VERSION",
    };
    js_error(code, &e.to_string())
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

//! Passphrase-encrypted identity backups.
//!
//! The secret key is encrypted with XChaCha20-Poly1305 under a key derived
//! from the passphrase by Argon2id. The header (format, KDF parameters, salt,
//! nonce) is authenticated too, so nothing in a backup can be altered
//! without the import failing.
//!
//! ```text
//! "TFBK" | version (1) | m_kib u32 | t u32 | p u32 | salt (16) | nonce (24) | sealed secret (32 + 16)
//! ```
//!
//! The caller provides the randomness (salt and nonce) and chooses nothing
//! else: parameters follow the OWASP recommendation for Argon2id.

use crate::event::Identity;
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use thiserror::Error;

const MAGIC: &[u8; 4] = b"TFBK";
const VERSION: u8 = 1;
const HEADER: usize = 4 + 1 + 12 + 16 + 24;
const SEALED: usize = 32 + 16;
/// Length of a backup in bytes.
pub const BACKUP_LEN: usize = HEADER + SEALED;
/// Argon2id memory in KiB, passes and lanes (OWASP: 19 MiB, 2, 1).
const PARAMS: (u32, u32, u32) = (19 * 1024, 2, 1);
/// Refuse backups asking for more than this, so a crafted file cannot make
/// an import take the machine down.
const MAX_M_KIB: u32 = 1024 * 1024;
const MAX_T: u32 = 64;

/// Why a backup could not be made or imported. Each variant's doc names
/// its stable [`code`](BackupError::code).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BackupError {
    /// Not a backup of this format (wrong length or magic). Code
    /// `malformed_backup`.
    #[error("not a trustfold backup")]
    Malformed,
    /// A format version this build does not know. Code
    /// `unsupported_backup_version`.
    #[error("unknown backup version {0}")]
    UnknownVersion(u8),
    /// KDF parameters out of bounds. Code `unreasonable_backup_params`.
    #[error("backup asks for unreasonable key-derivation parameters")]
    UnreasonableParams,
    /// The passphrase is wrong (or the backup was altered). Code
    /// `wrong_passphrase`.
    #[error("wrong passphrase, or the backup was altered")]
    WrongPassphrase,
    /// The passphrase is longer than Argon2 accepts (2³² − 1 bytes). Code
    /// `passphrase_too_long`.
    #[error("passphrase is too long")]
    PassphraseTooLong,
    /// The memory key derivation needs (19 MiB to make a backup, what the
    /// backup asks for to open one) could not be allocated. Code
    /// `backup_out_of_memory`.
    #[error("not enough memory to derive the backup key")]
    OutOfMemory,
}

impl BackupError {
    /// The stable code of this error (snake_case; see each variant).
    pub fn code(&self) -> &'static str {
        match self {
            BackupError::Malformed => "malformed_backup",
            BackupError::UnknownVersion(_) => "unsupported_backup_version",
            BackupError::UnreasonableParams => "unreasonable_backup_params",
            BackupError::WrongPassphrase => "wrong_passphrase",
            BackupError::PassphraseTooLong => "passphrase_too_long",
            BackupError::OutOfMemory => "backup_out_of_memory",
        }
    }
}

/// What an Argon2 failure means for a backup. Parameters, salt and output
/// length are checked before (import) or constant (export), so only the
/// passphrase and the allocation can fail on a well-formed call; any other
/// refusal is the backup's parameters.
fn kdf_error(error: argon2::Error) -> BackupError {
    match error {
        argon2::Error::PwdTooLong => BackupError::PassphraseTooLong,
        argon2::Error::OutOfMemory => BackupError::OutOfMemory,
        _ => BackupError::UnreasonableParams,
    }
}

fn derive(
    passphrase: &str,
    salt: &[u8],
    (m, t, p): (u32, u32, u32),
) -> Result<[u8; 32], BackupError> {
    let params = Params::new(m, t, p, Some(32)).map_err(|_| BackupError::UnreasonableParams)?;
    let mut key = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), salt, &mut key)
        .map_err(kdf_error)?;
    Ok(key)
}

/// Encrypts `identity` under `passphrase`; `random` supplies the salt (16
/// bytes) and the nonce (24 bytes) and must come from a secure source.
///
/// Fails when the key cannot be derived: a passphrase over 4 GiB
/// ([`BackupError::PassphraseTooLong`]) or no memory for Argon2
/// ([`BackupError::OutOfMemory`], possible on a small phone). Nothing is
/// ever sealed under a key that was not derived.
pub fn export_backup(
    identity: &Identity,
    passphrase: &str,
    random: [u8; 40],
) -> Result<Vec<u8>, BackupError> {
    let salt: [u8; 16] = std::array::from_fn(|i| random[i]);
    let nonce: [u8; 24] = std::array::from_fn(|i| random[16 + i]);
    let mut out = Vec::with_capacity(BACKUP_LEN);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    for n in [PARAMS.0, PARAMS.1, PARAMS.2] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(&salt);
    out.extend_from_slice(&nonce);
    let key = derive(passphrase, &salt, PARAMS)?;
    let secret = identity.secret();
    let sealed = XChaCha20Poly1305::new(&key.into())
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: &secret,
                aad: &out,
            },
        )
        // XChaCha20-Poly1305 refuses only a message over 2³⁸ bytes; this
        // one is a 32-byte secret, so sealing cannot fail.
        .expect("sealing a 32-byte secret");
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Decrypts a backup made by [`export_backup`].
pub fn import_backup(backup: &[u8], passphrase: &str) -> Result<Identity, BackupError> {
    if backup.len() < 5 || &backup[..4] != MAGIC {
        return Err(BackupError::Malformed);
    }
    if backup[4] != VERSION {
        return Err(BackupError::UnknownVersion(backup[4]));
    }
    if backup.len() != BACKUP_LEN {
        return Err(BackupError::Malformed);
    }
    let (header, sealed) = backup.split_at(HEADER);
    let word =
        |i: usize| u32::from_le_bytes([header[i], header[i + 1], header[i + 2], header[i + 3]]);
    let params = (word(5), word(9), word(13));
    if params.0 > MAX_M_KIB || params.1 > MAX_T || params.2 > 16 {
        return Err(BackupError::UnreasonableParams);
    }
    let salt = &header[17..33];
    let nonce = XNonce::try_from(&header[33..57]).map_err(|_| BackupError::Malformed)?;
    let key = derive(passphrase, salt, params)?;
    let secret = XChaCha20Poly1305::new(&key.into())
        .decrypt(
            &nonce,
            Payload {
                msg: sealed,
                aad: header,
            },
        )
        .map_err(|_| BackupError::WrongPassphrase)?;
    let secret: [u8; 32] = secret.try_into().map_err(|_| BackupError::Malformed)?;
    Ok(Identity::from_secret(secret))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn a_kdf_failure_is_named_for_its_cause() {
        // Neither cause can be provoked in a test (a 4 GiB passphrase, a
        // failed allocation), so the mapping is checked on its own: before
        // it, an export under a failed derivation sealed with an all-zero
        // key, and an import out of memory blamed the backup's parameters.
        assert_eq!(
            kdf_error(argon2::Error::PwdTooLong),
            BackupError::PassphraseTooLong
        );
        assert_eq!(
            kdf_error(argon2::Error::OutOfMemory),
            BackupError::OutOfMemory
        );
        assert_eq!(
            kdf_error(argon2::Error::MemoryTooMuch),
            BackupError::UnreasonableParams
        );
    }
}

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

/// Why a backup could not be imported.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum BackupError {
    /// Not a backup of this format (wrong length or magic).
    #[error("not a trustfold backup")]
    Malformed,
    /// A format version this build does not know.
    #[error("unknown backup version {0}")]
    UnknownVersion(u8),
    /// KDF parameters out of bounds.
    #[error("backup asks for unreasonable key-derivation parameters")]
    UnreasonableParams,
    /// The passphrase is wrong (or the backup was altered).
    #[error("wrong passphrase, or the backup was altered")]
    WrongPassphrase,
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
        .map_err(|_| BackupError::UnreasonableParams)?;
    Ok(key)
}

/// Encrypts `identity` under `passphrase`; `random` supplies the salt (16
/// bytes) and the nonce (24 bytes) and must come from a secure source.
pub fn export_backup(identity: &Identity, passphrase: &str, random: [u8; 40]) -> Vec<u8> {
    let (salt, nonce) = random.split_at(16);
    let mut out = Vec::with_capacity(BACKUP_LEN);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    for n in [PARAMS.0, PARAMS.1, PARAMS.2] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(salt);
    out.extend_from_slice(nonce);
    // The constant parameters are valid, so derivation and sealing cannot fail.
    let key = derive(passphrase, salt, PARAMS).unwrap_or_default();
    let cipher = XChaCha20Poly1305::new(&key.into());
    let nonce = XNonce::try_from(nonce).unwrap_or_default();
    let secret = identity.secret();
    let sealed = cipher
        .encrypt(
            &nonce,
            Payload {
                msg: &secret,
                aad: &out,
            },
        )
        .unwrap_or_default();
    out.extend_from_slice(&sealed);
    out
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

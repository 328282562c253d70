//! Passphrase-encrypted backups of an identity and the invites it holds.
//!
//! The contents are encrypted with XChaCha20-Poly1305 under a key derived
//! from the passphrase by Argon2id. The header (format, KDF parameters,
//! salt, nonce) is authenticated too, so nothing in a backup can be
//! altered without the import failing.
//!
//! ```text
//! "TFBK" | version (1) | m_kib u32 | t u32 | p u32 | salt (16) | nonce (24) | sealed contents (+ 16)
//! ```
//!
//! Two versions share this header and differ in what is sealed:
//!
//! * **Version 1** ([`export_backup`]): the identity's 32-byte secret, so
//!   a backup is [`BACKUP_LEN`] bytes.
//! * **Version 2** ([`export_backup_with`]): the identity's secret and the
//!   invites the person holds (at most [`MAX_INVITES`], each its secret
//!   and name), in postcard, padded with zeros to the contents of
//!   [`MAX_INVITES`] invites with names of [`MAX_NAME`] bytes. Every
//!   version-2 backup is [`MAX_BACKUP_LEN`] bytes, so its length says
//!   nothing of how many networks a person is in or what they are called.
//!
//! Both versions open ([`import_backup`], [`import_backup_with`]); a
//! backup written by any earlier build opens in every later one.
//!
//! The caller provides the randomness (salt and nonce) and chooses nothing
//! else: parameters follow the OWASP recommendation for Argon2id.

use crate::event::Identity;
use crate::invite::{Invite, MAX_NAME, SECRET_LEN};
use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use serde::{Deserialize, Serialize};
use thiserror::Error;

const MAGIC: &[u8; 4] = b"TFBK";
/// The identity's secret alone.
const VERSION_IDENTITY: u8 = 1;
/// The identity's secret and the invites held, padded.
const VERSION_INVITES: u8 = 2;
const HEADER: usize = 4 + 1 + 12 + 16 + 24;
/// Poly1305's tag.
const TAG: usize = 16;
/// Length of a version-1 backup in bytes: what [`export_backup`] writes.
pub const BACKUP_LEN: usize = HEADER + 32 + TAG;
/// The most invites one backup holds.
pub const MAX_INVITES: usize = 64;
/// Version 2's sealed contents, padded: the identity's secret, the number
/// of invites, then each invite's secret, its name's length and its name,
/// at their largest. Both lengths are one-byte varints at these bounds.
const CONTENTS_INVITES: usize = 32 + 1 + MAX_INVITES * (SECRET_LEN + 1 + MAX_NAME);
const _: () = assert!(MAX_INVITES < 128 && MAX_NAME < 128);
/// Length of a version-2 backup in bytes, whatever invites it holds (6,314),
/// and the longest backup of any version: a reader can refuse a longer file
/// before reading it.
pub const MAX_BACKUP_LEN: usize = HEADER + CONTENTS_INVITES + TAG;
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
    /// More than [`MAX_INVITES`] invites: given to an export, or sealed in
    /// a backup. Code `too_many_backup_invites`.
    #[error("a backup holds at most {max} invites, not {count}")]
    TooManyInvites {
        /// How many there were.
        count: usize,
        /// [`MAX_INVITES`].
        max: usize,
    },
    /// The same network's invite (the same secret) given to an export
    /// twice. Code `duplicate_backup_invite`.
    #[error("the same invite is in the backup twice")]
    DuplicateInvite,
    /// The backup opened under the passphrase, but what it seals is not
    /// what its version says: undecodable, not in its one canonical form,
    /// padded with anything but zeros, an invalid invite, or one network
    /// twice. Only a broken or hostile writer that knew the passphrase
    /// makes one. Code `malformed_backup_contents`.
    #[error("the backup opens but its contents are malformed")]
    MalformedContents,
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
            BackupError::TooManyInvites { .. } => "too_many_backup_invites",
            BackupError::DuplicateInvite => "duplicate_backup_invite",
            BackupError::MalformedContents => "malformed_backup_contents",
        }
    }
}

/// What a backup restores: the identity, and the invites it holds (none
/// from a version-1 backup), in the order they were exported.
#[derive(Debug, Clone)]
pub struct Restored {
    /// The person's identity.
    pub identity: Identity,
    /// The invites to the private networks they are in.
    pub invites: Vec<Invite>,
}

/// Version 2's sealed contents (before padding). Derived plain data only,
/// so [`crate::encode::to_bytes`] cannot fail on it.
#[derive(Serialize, Deserialize)]
struct Contents {
    identity: [u8; 32],
    invites: Vec<SealedInvite>,
}

/// One invite in [`Contents`].
#[derive(Serialize, Deserialize)]
struct SealedInvite {
    secret: [u8; SECRET_LEN],
    name: String,
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

/// The header of `version`, then `contents` sealed under it.
fn seal(
    version: u8,
    contents: &[u8],
    passphrase: &str,
    random: [u8; 40],
) -> Result<Vec<u8>, BackupError> {
    let salt: [u8; 16] = std::array::from_fn(|i| random[i]);
    let nonce: [u8; 24] = std::array::from_fn(|i| random[16 + i]);
    let mut out = Vec::with_capacity(HEADER + contents.len() + TAG);
    out.extend_from_slice(MAGIC);
    out.push(version);
    for n in [PARAMS.0, PARAMS.1, PARAMS.2] {
        out.extend_from_slice(&n.to_le_bytes());
    }
    out.extend_from_slice(&salt);
    out.extend_from_slice(&nonce);
    let key = derive(passphrase, &salt, PARAMS)?;
    let sealed = XChaCha20Poly1305::new(&key.into())
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: contents,
                aad: &out,
            },
        )
        // XChaCha20-Poly1305 refuses only a message over 2³⁸ bytes; these
        // contents are at most a few KiB, so sealing cannot fail.
        .expect("sealing a backup's contents");
    out.extend_from_slice(&sealed);
    Ok(out)
}

/// Encrypts `identity` under `passphrase` as a version-1 backup (the
/// identity alone, [`BACKUP_LEN`] bytes, which every build opens); `random`
/// supplies the salt (16 bytes) and the nonce (24 bytes) and must come from
/// a secure source. [`export_backup_with`] also keeps invites.
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
    seal(VERSION_IDENTITY, &identity.secret(), passphrase, random)
}

/// Encrypts `identity` and the `invites` it holds under `passphrase` as a
/// version-2 backup of [`MAX_BACKUP_LEN`] bytes, whatever the invites;
/// `random` is as for [`export_backup`]. Invites are restored in this
/// order.
///
/// Refuses more than [`MAX_INVITES`] invites
/// ([`BackupError::TooManyInvites`]) or one network's invite twice
/// ([`BackupError::DuplicateInvite`]) before deriving anything, and fails
/// as [`export_backup`] does when the key cannot be derived.
pub fn export_backup_with(
    identity: &Identity,
    invites: &[Invite],
    passphrase: &str,
    random: [u8; 40],
) -> Result<Vec<u8>, BackupError> {
    if invites.len() > MAX_INVITES {
        return Err(BackupError::TooManyInvites {
            count: invites.len(),
            max: MAX_INVITES,
        });
    }
    if has_duplicates(invites) {
        return Err(BackupError::DuplicateInvite);
    }
    let contents = Contents {
        identity: identity.secret(),
        invites: invites
            .iter()
            .map(|invite| SealedInvite {
                secret: *invite.secret(),
                name: invite.name().to_owned(),
            })
            .collect(),
    };
    let mut contents = crate::encode::to_bytes(&contents);
    // At most MAX_INVITES invites (checked above), each name at most
    // MAX_NAME bytes (`Invite::new`): what CONTENTS_INVITES counts.
    assert!(
        contents.len() <= CONTENTS_INVITES,
        "a backup's contents fit their padded length"
    );
    contents.resize(CONTENTS_INVITES, 0);
    seal(VERSION_INVITES, &contents, passphrase, random)
}

/// Decrypts a backup of either version and returns its identity. The
/// invites of a version-2 backup are checked as [`import_backup_with`]
/// checks them, but not returned: use that to keep them.
pub fn import_backup(backup: &[u8], passphrase: &str) -> Result<Identity, BackupError> {
    import_backup_with(backup, passphrase).map(|restored| restored.identity)
}

/// Decrypts a backup of either version: the identity, and the invites it
/// holds (none in a version-1 backup).
///
/// Every failure is a typed error: not a backup or cut short
/// ([`BackupError::Malformed`]), a version this build does not know,
/// absurd KDF parameters (refused before deriving), a wrong passphrase or
/// any altered byte ([`BackupError::WrongPassphrase`]), and contents that
/// open but are not what their version says
/// ([`BackupError::TooManyInvites`], [`BackupError::MalformedContents`]).
pub fn import_backup_with(backup: &[u8], passphrase: &str) -> Result<Restored, BackupError> {
    if backup.len() < 5 || &backup[..4] != MAGIC {
        return Err(BackupError::Malformed);
    }
    let version = backup[4];
    let len = match version {
        VERSION_IDENTITY => BACKUP_LEN,
        VERSION_INVITES => MAX_BACKUP_LEN,
        _ => return Err(BackupError::UnknownVersion(version)),
    };
    if backup.len() != len {
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
    let contents = XChaCha20Poly1305::new(&key.into())
        .decrypt(
            &nonce,
            Payload {
                msg: sealed,
                aad: header,
            },
        )
        .map_err(|_| BackupError::WrongPassphrase)?;
    if version == VERSION_IDENTITY {
        let secret: [u8; 32] = contents.try_into().map_err(|_| BackupError::Malformed)?;
        return Ok(Restored {
            identity: Identity::from_secret(secret),
            invites: Vec::new(),
        });
    }
    read_contents(&contents)
}

/// Version 2's contents, which must be in their one form: the canonical
/// postcard of [`Contents`] followed by zeros, so one backup's contents
/// have one byte string.
fn read_contents(padded: &[u8]) -> Result<Restored, BackupError> {
    let (contents, _) = postcard::take_from_bytes::<Contents>(padded)
        .map_err(|_| BackupError::MalformedContents)?;
    if contents.invites.len() > MAX_INVITES {
        return Err(BackupError::TooManyInvites {
            count: contents.invites.len(),
            max: MAX_INVITES,
        });
    }
    let mut again = crate::encode::to_bytes(&contents);
    if again.len() > padded.len() {
        return Err(BackupError::MalformedContents);
    }
    again.resize(padded.len(), 0);
    if again != padded {
        return Err(BackupError::MalformedContents);
    }
    let invites = contents
        .invites
        .into_iter()
        .map(|invite| Invite::new(invite.secret, &invite.name))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| BackupError::MalformedContents)?;
    if has_duplicates(&invites) {
        return Err(BackupError::MalformedContents);
    }
    Ok(Restored {
        identity: Identity::from_secret(contents.identity),
        invites,
    })
}

/// Whether two invites are to the same network (the same secret; names
/// take no part in a network's identity).
fn has_duplicates(invites: &[Invite]) -> bool {
    invites
        .iter()
        .enumerate()
        .any(|(i, a)| invites[..i].iter().any(|b| a.secret() == b.secret()))
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

    /// The padded length is what the largest contents encode to: 64
    /// invites with names of 64 bytes fill it exactly.
    #[wasm_bindgen_test(unsupported = test)]
    fn the_largest_contents_fill_the_padding_exactly() {
        let name = "n".repeat(MAX_NAME);
        let largest = Contents {
            identity: [1; 32],
            invites: (0..MAX_INVITES)
                .map(|i| SealedInvite {
                    secret: [i as u8; SECRET_LEN],
                    name: name.clone(),
                })
                .collect(),
        };
        assert_eq!(crate::encode::to_bytes(&largest).len(), CONTENTS_INVITES);
        assert_eq!(MAX_BACKUP_LEN, 6314);
    }
}

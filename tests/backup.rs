//! Passphrase-encrypted identity backups: round trip, wrong passphrase,
//! tampering and malformed input, each a typed error.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;

use common::id;
use trustfold::backup::{BACKUP_LEN, BackupError, export_backup, import_backup};
use wasm_bindgen_test::wasm_bindgen_test;

const RANDOM: [u8; 40] = [0x5a; 40];

#[wasm_bindgen_test(unsupported = test)]
fn a_backup_restores_the_same_identity_with_the_right_passphrase() {
    let me = id(1);
    let backup = export_backup(&me, "correct horse battery staple", RANDOM).unwrap();
    assert_eq!(backup.len(), BACKUP_LEN);
    let restored = import_backup(&backup, "correct horse battery staple").unwrap();
    assert_eq!(restored.public_key(), me.public_key());
    assert_eq!(restored.secret(), me.secret());
    assert!(
        !backup.windows(32).any(|w| w == me.secret()),
        "the secret is not stored in clear"
    );
    let other = export_backup(&me, "correct horse battery staple", [7; 40]).unwrap();
    assert_ne!(
        backup, other,
        "salt and nonce come from the caller's randomness"
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn a_wrong_passphrase_is_a_typed_error() {
    let backup = export_backup(&id(1), "right", RANDOM).unwrap();
    assert_eq!(
        import_backup(&backup, "wrong").err(),
        Some(BackupError::WrongPassphrase)
    );
    assert_eq!(
        import_backup(&backup, "").err(),
        Some(BackupError::WrongPassphrase)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn any_altered_byte_makes_the_import_fail() {
    let backup = export_backup(&id(1), "pw", RANDOM).unwrap();
    // version, t (passes), salt, nonce, ciphertext, tag
    for at in [4, 9, 20, 40, 60, BACKUP_LEN - 1] {
        let mut altered = backup.clone();
        altered[at] ^= 1;
        let result = import_backup(&altered, "pw");
        assert!(result.is_err(), "byte {at}");
    }
    let mut bigger_memory = backup.clone();
    bigger_memory[5] ^= 1; // m_kib's low byte: still reasonable, different key
    assert_eq!(
        import_backup(&bigger_memory, "pw").err(),
        Some(BackupError::WrongPassphrase)
    );
}

#[wasm_bindgen_test(unsupported = test)]
fn malformed_backups_are_typed_errors() {
    let backup = export_backup(&id(1), "pw", RANDOM).unwrap();
    assert_eq!(import_backup(&[], "pw").err(), Some(BackupError::Malformed));
    assert_eq!(
        import_backup(b"TFBK", "pw").err(),
        Some(BackupError::Malformed)
    );
    assert_eq!(
        import_backup(&backup[..BACKUP_LEN - 1], "pw").err(),
        Some(BackupError::Malformed)
    );
    let mut wrong_magic = backup.clone();
    wrong_magic[0] = b'X';
    assert_eq!(
        import_backup(&wrong_magic, "pw").err(),
        Some(BackupError::Malformed)
    );
    let mut future = backup.clone();
    future[4] = 2;
    assert_eq!(
        import_backup(&future, "pw").err(),
        Some(BackupError::UnknownVersion(2))
    );
    let mut greedy = backup;
    greedy[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        import_backup(&greedy, "pw").err(),
        Some(BackupError::UnreasonableParams)
    );
}

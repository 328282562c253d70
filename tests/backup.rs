//! Passphrase-encrypted backups: round trip, wrong passphrase, tampering
//! and malformed input, each a typed error; version 1 (the identity alone)
//! as today's builds wrote it, and version 2 (the identity and the invites
//! a person holds).

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;

use argon2::{Algorithm, Argon2, Params, Version};
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use common::id;
use trustfold::backup::{
    BACKUP_LEN, BackupError, MAX_BACKUP_LEN, MAX_INVITES, export_backup, export_backup_with,
    import_backup, import_backup_with,
};
use trustfold::event::Identity;
use trustfold::invite::{Invite, MAX_NAME, SECRET_LEN};
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
    future[4] = 3;
    assert_eq!(
        import_backup(&future, "pw").err(),
        Some(BackupError::UnknownVersion(3))
    );
    let mut relabelled = backup.clone();
    relabelled[4] = 2;
    assert_eq!(
        import_backup(&relabelled, "pw").err(),
        Some(BackupError::Malformed),
        "a version-1 backup is not a version-2 one"
    );
    let mut greedy = backup;
    greedy[5..9].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        import_backup(&greedy, "pw").err(),
        Some(BackupError::UnreasonableParams)
    );
}

// --- A version-1 backup written before invites -----------------------------

/// Written by `export_backup` at db8c06c (before version 2 existed) from
/// [`V1_SECRET`], [`V1_PASSPHRASE`] and [`V1_RANDOM`].
const V1_BACKUP: &str = "5446424b01004c00000200000001000000101112131415161718191a1b1c1d1e1f\
                         202122232425262728292a2b2c2d2e2f3031323334353637959fe357727c06da\
                         1eef2e1c925f46210898c0c8deb3394204b422a81112cee146385197fce469ac\
                         98ecf6b703e39d80";
/// The public key of [`V1_SECRET`], as db8c06c printed it.
const V1_PUBLIC: &str = "755c4cb9256ca7cdc4acfdc6cfeeda849017e5b9f9514e99191bd67e0b0d4276";
const V1_PASSPHRASE: &str = "a version-1 backup";

fn v1_secret() -> [u8; 32] {
    std::array::from_fn(|i| (i as u8).wrapping_mul(7).wrapping_add(3))
}

fn v1_random() -> [u8; 40] {
    std::array::from_fn(|i| 0x10 + i as u8)
}

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A backup today's users hold opens after the change, as the same
/// identity, with no invites; and `export_backup` still writes exactly
/// those bytes, so an identity-only backup opens in older builds too.
#[wasm_bindgen_test(unsupported = test)]
fn a_version_1_backup_from_before_invites_still_opens() {
    let old = unhex(V1_BACKUP);
    assert_eq!((old.len(), old[4]), (BACKUP_LEN, 1));
    let identity = import_backup(&old, V1_PASSPHRASE).unwrap();
    assert_eq!(identity.secret(), v1_secret());
    assert_eq!(identity.public_key().to_hex(), V1_PUBLIC);
    let restored = import_backup_with(&old, V1_PASSPHRASE).unwrap();
    assert_eq!(restored.identity.secret(), v1_secret());
    assert!(restored.invites.is_empty());
    assert_eq!(
        import_backup_with(&old, "another passphrase").err(),
        Some(BackupError::WrongPassphrase)
    );
    let again = export_backup(
        &Identity::from_secret(v1_secret()),
        V1_PASSPHRASE,
        v1_random(),
    );
    assert_eq!(again.unwrap(), old, "export_backup still writes version 1");
}

// --- Version 2: the identity and its invites -------------------------------

/// An invite whose secret has no repeated pattern and whose name is
/// `name`.
fn invite(n: u8, name: &str) -> Invite {
    let secret = std::array::from_fn(|i| (n as usize * 37 + i * 11 + 1) as u8 ^ 0x5c);
    Invite::new(secret, name).unwrap()
}

fn invites(count: usize) -> Vec<Invite> {
    let names = ["our housing coop", "Wohngemeinschaft Süd", "the band 🎸"];
    (0..count)
        .map(|i| invite(i as u8, &format!("{} {i}", names[i % names.len()])))
        .collect()
}

/// None, one, several and the most invites come back equal (secret and
/// name) and in order, with the identity; every version-2 backup has the
/// same length; `import_backup` opens it too, as the identity.
#[wasm_bindgen_test(unsupported = test)]
fn a_backup_with_invites_restores_them_all_in_order() {
    let me = id(2);
    let longest = |i: usize| {
        let name = format!("{i:02}{}", "é".repeat((MAX_NAME - 2) / 2));
        assert_eq!(name.len(), MAX_NAME);
        invite(i as u8, &name)
    };
    let most: Vec<Invite> = (0..MAX_INVITES).map(longest).collect();
    for held in [invites(0), invites(1), invites(5), most] {
        let backup = export_backup_with(&me, &held, "pw", RANDOM).unwrap();
        assert_eq!((backup.len(), backup[4]), (MAX_BACKUP_LEN, 2));
        let restored = import_backup_with(&backup, "pw").unwrap();
        assert_eq!(restored.identity.secret(), me.secret());
        assert_eq!(restored.invites, held);
        for (back, sent) in restored.invites.iter().zip(&held) {
            assert_eq!(back.secret_hex(), sent.secret_hex());
            assert_eq!(back.name(), sent.name());
        }
        let identity = import_backup(&backup, "pw").unwrap();
        assert_eq!(identity.secret(), me.secret());
    }
}

/// No piece of an invite's secret (raw or hex), of its name or of the
/// identity's secret is in the backup, and the length is the same whatever
/// it holds.
#[wasm_bindgen_test(unsupported = test)]
fn nothing_of_an_invite_is_in_clear() {
    let me = id(3);
    let held = invites(3);
    let backup = export_backup_with(&me, &held, "pw", RANDOM).unwrap();
    let contains = |needle: &[u8]| needle.windows(8).any(|w| backup.windows(8).any(|b| b == w));
    assert!(!contains(&me.secret()), "identity secret");
    for invite in &held {
        assert!(
            !contains(&unhex(&invite.secret_hex())),
            "{invite:?}'s secret"
        );
        assert!(
            !contains(invite.secret_hex().as_bytes()),
            "{invite:?}'s hex"
        );
        assert!(!contains(invite.name().as_bytes()), "{invite:?}'s name");
    }
    let none = export_backup_with(&me, &[], "pw", RANDOM).unwrap();
    assert_eq!(none.len(), backup.len(), "the length says nothing");
}

#[wasm_bindgen_test(unsupported = test)]
fn a_wrong_passphrase_on_a_backup_with_invites_is_a_typed_error() {
    let backup = export_backup_with(&id(1), &invites(2), "right", RANDOM).unwrap();
    for wrong in ["wrong", "", "right "] {
        assert_eq!(
            import_backup_with(&backup, wrong).err(),
            Some(BackupError::WrongPassphrase)
        );
    }
}

/// Cut, lengthened, relabelled or altered anywhere: a typed error, never
/// a panic and never other invites.
#[wasm_bindgen_test(unsupported = test)]
fn a_backup_with_invites_cut_or_altered_is_a_typed_error() {
    let backup = export_backup_with(&id(1), &invites(2), "pw", RANDOM).unwrap();
    for len in [0, 3, 4, 5, 57, BACKUP_LEN, MAX_BACKUP_LEN - 1] {
        assert_eq!(
            import_backup_with(&backup[..len], "pw").err(),
            Some(BackupError::Malformed),
            "cut to {len}"
        );
    }
    let mut longer = backup.clone();
    longer.push(0);
    assert_eq!(
        import_backup_with(&longer, "pw").err(),
        Some(BackupError::Malformed)
    );
    let mut as_v1 = backup.clone();
    as_v1[4] = 1;
    assert_eq!(
        import_backup_with(&as_v1, "pw").err(),
        Some(BackupError::Malformed)
    );
    let mut future = backup.clone();
    future[4] = 3;
    assert_eq!(
        import_backup_with(&future, "pw").err(),
        Some(BackupError::UnknownVersion(3))
    );
    // m_kib, t, salt, nonce, the first sealed byte, the middle (padding),
    // the tag: all authenticated.
    for at in [5, 9, 20, 40, 57, 3000, MAX_BACKUP_LEN - 1] {
        let mut altered = backup.clone();
        altered[at] ^= 1;
        assert_eq!(
            import_backup_with(&altered, "pw").err(),
            Some(BackupError::WrongPassphrase),
            "byte {at}"
        );
    }
    let mut greedy = backup;
    greedy[9..13].copy_from_slice(&u32::MAX.to_le_bytes());
    assert_eq!(
        import_backup_with(&greedy, "pw").err(),
        Some(BackupError::UnreasonableParams)
    );
}

/// More than [`MAX_INVITES`], or one network twice (even under two names),
/// is refused before anything is sealed.
#[wasm_bindgen_test(unsupported = test)]
fn too_many_or_repeated_invites_are_refused_on_export() {
    let too_many = export_backup_with(&id(1), &invites(MAX_INVITES + 1), "pw", RANDOM);
    let error = too_many.unwrap_err();
    assert_eq!(
        error,
        BackupError::TooManyInvites {
            count: MAX_INVITES + 1,
            max: MAX_INVITES
        }
    );
    assert_eq!(error.code(), "too_many_backup_invites");
    let twice = [invite(1, "ours"), invite(2, "theirs"), invite(1, "renamed")];
    let error = export_backup_with(&id(1), &twice, "pw", RANDOM).unwrap_err();
    assert_eq!(error, BackupError::DuplicateInvite);
    assert_eq!(error.code(), "duplicate_backup_invite");
}

// --- The format, from its description --------------------------------------

const SALT: [u8; 16] = [0x11; 16];
const NONCE: [u8; 24] = [0x22; 24];
/// Version 2's sealed contents, padded: 32 + 1 + 64 × (32 + 1 + 64).
const CONTENTS: usize = 6241;

fn key(passphrase: &str) -> [u8; 32] {
    let params = Params::new(19 * 1024, 2, 1, Some(32)).unwrap();
    let mut key = [0; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), &SALT, &mut key)
        .unwrap();
    key
}

fn header(version: u8) -> Vec<u8> {
    let mut header = b"TFBK".to_vec();
    header.push(version);
    for n in [19 * 1024u32, 2, 1] {
        header.extend_from_slice(&n.to_le_bytes());
    }
    header.extend_from_slice(&SALT);
    header.extend_from_slice(&NONCE);
    header
}

/// A version-2 backup of `contents` (padded with zeros), sealed as the
/// format's description says, without the crate.
fn seal_by_hand(key: &[u8; 32], contents: &[u8]) -> Vec<u8> {
    let mut padded = contents.to_vec();
    padded.resize(CONTENTS, 0);
    let mut backup = header(2);
    let sealed = XChaCha20Poly1305::new(key.into())
        .encrypt(
            &XNonce::from(NONCE),
            Payload {
                msg: &padded,
                aad: &backup,
            },
        )
        .unwrap();
    backup.extend_from_slice(&sealed);
    backup
}

/// Contents as the description spells them: the identity's secret, the
/// number of invites, then each secret, name length and name.
fn contents_by_hand(identity: [u8; 32], invites: &[([u8; 32], &[u8])]) -> Vec<u8> {
    let mut out = identity.to_vec();
    out.push(invites.len() as u8);
    for (secret, name) in invites {
        out.extend_from_slice(secret);
        out.push(name.len() as u8);
        out.extend_from_slice(name);
    }
    out
}

/// What `export_backup_with` writes is what the description says, byte for
/// byte, and a backup written from the description opens.
#[wasm_bindgen_test(unsupported = test)]
fn the_format_is_as_described() {
    let me = id(4);
    let held = invites(2);
    let random: [u8; 40] = std::array::from_fn(|i| if i < 16 { SALT[0] } else { NONCE[0] });
    let backup = export_backup_with(&me, &held, "pw", random).unwrap();
    let by_hand = contents_by_hand(
        me.secret(),
        &[
            (secret(&held[0]), held[0].name().as_bytes()),
            (secret(&held[1]), held[1].name().as_bytes()),
        ],
    );
    assert_eq!(backup, seal_by_hand(&key("pw"), &by_hand));

    let (a, b) = (invite(7, "a"), invite(8, "bé"));
    let written = seal_by_hand(
        &key("pw"),
        &contents_by_hand(
            [9; 32],
            &[(secret(&a), b"a"), (secret(&b), "bé".as_bytes())],
        ),
    );
    let restored = import_backup_with(&written, "pw").unwrap();
    assert_eq!(restored.identity.secret(), [9; 32]);
    assert_eq!(restored.invites, vec![a, b]);
}

fn secret(invite: &Invite) -> [u8; SECRET_LEN] {
    unhex(&invite.secret_hex()).try_into().unwrap()
}

/// Contents that open under the passphrase but are not what version 2
/// says — only a broken or hostile writer that knew the passphrase makes
/// them — are typed errors, never a panic.
#[wasm_bindgen_test(unsupported = test)]
fn contents_that_open_but_break_the_format_are_typed_errors() {
    let key = key("pw");
    let open = |contents: &[u8]| import_backup_with(&seal_by_hand(&key, contents), "pw").err();
    let one = |name: &[u8]| contents_by_hand([9; 32], &[([1; 32], name)]);

    let many: Vec<([u8; 32], &[u8])> = (0..=MAX_INVITES)
        .map(|i| ([i as u8; 32], &b"n"[..]))
        .collect();
    assert_eq!(
        open(&contents_by_hand([9; 32], &many)),
        Some(BackupError::TooManyInvites {
            count: MAX_INVITES + 1,
            max: MAX_INVITES
        })
    );

    let mut not_zeros = one(b"ours");
    not_zeros.resize(CONTENTS, 0);
    not_zeros[CONTENTS - 1] = 1;
    let mut overlong = [9; 32].to_vec();
    overlong.extend_from_slice(&[0x80, 0x00]); // zero invites, in two bytes
    let twice = contents_by_hand([9; 32], &[([1; 32], b"ours"), ([1; 32], b"again")]);
    let mut past_the_end = [9; 32].to_vec();
    past_the_end.resize(CONTENTS, 0x7f); // 127 invites of 160 bytes
    let cases: [(&str, Vec<u8>); 8] = [
        ("padding that is not zeros", not_zeros),
        ("an overlong count", overlong),
        ("an empty name", one(b"")),
        ("a control character", one(b"tab\there")),
        ("a name over MAX_NAME", one(&[b'n'; MAX_NAME + 1])),
        ("a name that is not UTF-8", one(&[0xff, 0xfe])),
        ("one network twice", twice),
        ("more invites than the contents hold", past_the_end),
    ];
    for (what, contents) in cases {
        assert_eq!(
            open(&contents),
            Some(BackupError::MalformedContents),
            "{what}"
        );
    }
}

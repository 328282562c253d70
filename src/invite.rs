//! Invites to private networks (issue #13, first step): the keys an
//! invite's secret gives, and what each proves.
//!
//! A private network is a capability: whoever holds its invite's 32-byte
//! secret can read and join it, nobody else. Everything else derives from
//! the secret with HKDF-SHA256, each key under its own label, so no key
//! says anything about another:
//!
//! * the **body key** (XChaCha20-Poly1305) seals what events say; the clear
//!   header the caller passes is the associated data, so a sealed body
//!   opens only under the header it was sealed with;
//! * the **admission key pair** (ed25519): its public key is the network's
//!   identity and the room the signalling server and relays see (never the
//!   name); members sign an admission tag of an author's key with the
//!   private key, which every sealed event of that author carries and a
//!   relay checks with the public key, and cannot forge;
//! * the **link key** proves knowledge of the invite in a WebRTC offer or
//!   answer (a keyed BLAKE3 MAC over the signed description), so a stranger
//!   in the room gets no link.
//!
//! Nothing here draws randomness: the secret and every nonce come from the
//! caller. Sealed events are [`crate::event::sealed`]; a node's network is
//! [`crate::Network`].

use crate::event::{Identity, PublicKey};
use chacha20poly1305::aead::{Aead, Payload};
use chacha20poly1305::{KeyInit, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;
use thiserror::Error;

/// Bytes in an invite's secret.
pub const SECRET_LEN: usize = 32;
/// Bytes in a body's nonce (XChaCha20-Poly1305).
pub const NONCE_LEN: usize = 24;
/// The longest display name an invite carries, in bytes.
pub const MAX_NAME: usize = 64;

/// Characters a chat or a sentence adds after a pasted link, which
/// [`Invite::from_link`] takes off the name when the check says so.
const TRAILING: &str = ".,;:!?)]}>'\"»”’";
/// How many of them it takes off at most.
pub const MAX_TRAILING: usize = 3;

/// HKDF's salt: this scheme, version 1.
const SALT: &[u8] = b"trustfold private network v1";
/// The domain of admission tags (see [`Identity::sign_message`]).
const ADMISSION: &str = "trustfold admission v1";

/// Why an invite or a sealed body was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InviteError {
    /// A secret that is not 64 hex digits (code `malformed_invite`).
    #[error("an invite's secret is 64 hex digits")]
    MalformedSecret,
    /// A display name that is empty, longer than [`MAX_NAME`] bytes, or
    /// holds control characters (code `bad_network_name`).
    #[error("a network's name is 1 to {MAX_NAME} bytes without control characters")]
    BadName,
    /// An invite whose check does not match its secret and name: a link
    /// with a character changed (code `damaged_invite`), which would
    /// otherwise open another, empty network.
    #[error("the invite's check does not match its secret and name")]
    Damaged,
    /// A sealed body that does not open under this network's key and the
    /// header given: another network's, or altered (code `undecryptable_body`).
    #[error("the body does not open under this network's key")]
    Undecryptable,
}

impl InviteError {
    /// The stable code of this error (snake_case; see each variant).
    pub fn code(&self) -> &'static str {
        match self {
            InviteError::MalformedSecret => "malformed_invite",
            InviteError::BadName => "bad_network_name",
            InviteError::Damaged => "damaged_invite",
            InviteError::Undecryptable => "undecryptable_body",
        }
    }
}

/// An invite: the network's secret and the name people see.
#[derive(Clone, PartialEq, Eq)]
pub struct Invite {
    secret: [u8; SECRET_LEN],
    name: String,
}

/// Never prints the secret.
impl std::fmt::Debug for Invite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Invite({:?})", self.name)
    }
}

impl Invite {
    /// An invite to a new network: `secret` must be fresh random bytes.
    pub fn new(secret: [u8; SECRET_LEN], name: &str) -> Result<Invite, InviteError> {
        let bad = |c: char| c.is_control();
        if name.is_empty() || name.len() > MAX_NAME || name.chars().any(bad) {
            return Err(InviteError::BadName);
        }
        Ok(Invite {
            secret,
            name: name.to_owned(),
        })
    }

    /// An invite as a link carries it: the secret in hex, and the name.
    pub fn from_hex(secret: &str, name: &str) -> Result<Invite, InviteError> {
        let bytes = crate::event::parse_hex_vec(secret).ok_or(InviteError::MalformedSecret)?;
        let secret = bytes.try_into().map_err(|_| InviteError::MalformedSecret)?;
        Invite::new(secret, name)
    }

    /// An invite as a link carries it, with the link's check if it has one
    /// (links made before checks have none): a check that does not match
    /// the secret and the name is refused ([`InviteError::Damaged`]).
    ///
    /// A link pasted at the end of a sentence or in brackets often gains a
    /// character or two at its end, after the name: if the check matches
    /// the name without up to [`MAX_TRAILING`] such characters, that is the
    /// invite (the check says so; nothing is guessed).
    pub fn from_link(secret: &str, name: &str, check: Option<&str>) -> Result<Invite, InviteError> {
        let Some(check) = check else {
            return Invite::from_hex(secret, name);
        };
        let matches = |invite: &Invite| check.eq_ignore_ascii_case(&invite.check());
        let mut tried = name;
        for _ in 0..=MAX_TRAILING {
            if let Ok(invite) = Invite::from_hex(secret, tried)
                && matches(&invite)
            {
                return Ok(invite);
            }
            match tried.char_indices().next_back() {
                Some((at, c)) if TRAILING.contains(c) => tried = &tried[..at],
                _ => break,
            }
        }
        // The error the link itself gives first: a malformed secret or
        // name is said as such.
        Invite::from_hex(secret, name)?;
        Err(InviteError::Damaged)
    }

    /// A link's check of the secret and the name: 8 hex digits, so that a
    /// character changed in either (a typo, a link cut or re-typed) is
    /// refused rather than opening another network — or the same one
    /// under a name its maker did not give. Derived one-way: 32 bits of a
    /// hash say nothing useful about the 256-bit secret.
    pub fn check(&self) -> String {
        let mut hasher = blake3::Hasher::new_derive_key("trustfold invite check v1");
        hasher.update(&self.secret);
        hasher.update(self.name.as_bytes());
        crate::event::hex(&hasher.finalize().as_bytes()[..4])
    }

    /// The secret in hex, for a link's fragment (never sent to a server).
    pub fn secret_hex(&self) -> String {
        crate::event::hex(&self.secret)
    }

    /// The name people see.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The secret itself, for what seals it again (a backup).
    pub(crate) fn secret(&self) -> &[u8; SECRET_LEN] {
        &self.secret
    }

    /// The network's keys.
    pub fn keys(&self) -> NetworkKeys {
        let kdf = Hkdf::<Sha256>::new(Some(SALT), &self.secret);
        let key = |label: &[u8]| {
            let mut out = [0u8; 32];
            // HKDF-SHA256 gives up to 255 × 32 bytes: 32 cannot fail.
            kdf.expand(label, &mut out)
                .expect("32 bytes are within HKDF-SHA256's output");
            out
        };
        NetworkKeys {
            body: key(b"body key"),
            admission: Identity::from_secret(key(b"admission key")),
            link: key(b"link key"),
        }
    }
}

/// What an invite's secret gives. See the [module docs](self).
pub struct NetworkKeys {
    body: [u8; 32],
    admission: Identity,
    link: [u8; 32],
}

impl NetworkKeys {
    /// The network's identity: the admission public key.
    pub fn network(&self) -> PublicKey {
        self.admission.public_key()
    }

    /// The room the signalling server and relays see: the network's
    /// identity in hex, which says nothing of its name or secret.
    pub fn room(&self) -> String {
        self.network().to_hex()
    }

    /// The admission tag of `author`: the network's signature of the
    /// author's key, which every sealed event of theirs carries under their
    /// own signature. Anyone can check it with [`admitted`]; only members
    /// can make it. One tag per author rather than per event, so checking
    /// it costs one signature check per author (see ARCHITECTURE.md).
    pub fn admit(&self, author: &PublicKey) -> [u8; 64] {
        self.admission.sign_message(ADMISSION, &author.0)
    }

    /// `body` sealed under the body key with `nonce` (fresh random bytes
    /// from the caller), bound to the clear `header`.
    pub fn seal(&self, nonce: &[u8; NONCE_LEN], header: &[u8], body: &[u8]) -> Vec<u8> {
        XChaCha20Poly1305::new(&self.body.into())
            .encrypt(
                &XNonce::from(*nonce),
                Payload {
                    msg: body,
                    aad: header,
                },
            )
            // Encryption fails only past 256 GiB of plaintext.
            .expect("an event body is far below XChaCha20-Poly1305's limit")
    }

    /// What [`seal`](Self::seal) sealed, if `sealed` opens under this
    /// network's key with `nonce` and `header`.
    pub fn open(
        &self,
        nonce: &[u8; NONCE_LEN],
        header: &[u8],
        sealed: &[u8],
    ) -> Result<Vec<u8>, InviteError> {
        XChaCha20Poly1305::new(&self.body.into())
            .decrypt(
                &XNonce::from(*nonce),
                Payload {
                    msg: sealed,
                    aad: header,
                },
            )
            .map_err(|_| InviteError::Undecryptable)
    }

    /// The proof, for a WebRTC description's signed message, that its
    /// sender holds the invite.
    pub fn link_proof(&self, signed_message: &[u8]) -> [u8; 32] {
        *blake3::keyed_hash(&self.link, signed_message).as_bytes()
    }

    /// Whether `proof` is [`link_proof`](Self::link_proof) of
    /// `signed_message` (compared in constant time).
    pub fn proves_link(&self, signed_message: &[u8], proof: &[u8; 32]) -> bool {
        blake3::keyed_hash(&self.link, signed_message) == blake3::Hash::from_bytes(*proof)
    }
}

/// Whether `tag` admits `author`'s events into `network` (what members
/// and relays check).
pub fn admitted(network: &PublicKey, author: &PublicKey, tag: &[u8; 64]) -> bool {
    network.verifies(ADMISSION, &author.0, tag)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    fn invite(n: u8) -> Invite {
        Invite::new([n; SECRET_LEN], "our coop").unwrap()
    }

    /// One secret gives the same keys everywhere; another secret (or the
    /// same name with another secret) another network; the room says
    /// nothing of the name.
    #[wasm_bindgen_test(unsupported = test)]
    fn keys_follow_the_secret_not_the_name() {
        let (a, b) = (invite(1).keys(), invite(1).keys());
        assert_eq!(a.room(), b.room());
        let other = Invite::new([2; SECRET_LEN], "our coop").unwrap().keys();
        assert_ne!(a.room(), other.room());
        assert!(!a.room().contains("coop"));
        let renamed = Invite::new([1; SECRET_LEN], "another name").unwrap();
        assert_eq!(renamed.keys().room(), a.room());
    }

    /// A link carries the secret in hex; anything else is refused.
    #[wasm_bindgen_test(unsupported = test)]
    fn an_invite_reads_back_from_its_link_form() {
        let sent = invite(7);
        let read = Invite::from_hex(&sent.secret_hex(), sent.name()).unwrap();
        assert_eq!(read, sent);
        assert_eq!(
            Invite::from_hex("zz", "x").unwrap_err().code(),
            "malformed_invite"
        );
        assert_eq!(
            Invite::from_hex(&"ab".repeat(31), "x").unwrap_err(),
            InviteError::MalformedSecret
        );
        for name in ["", "tab\there", &"n".repeat(MAX_NAME + 1)] {
            assert_eq!(
                Invite::new([1; SECRET_LEN], name).unwrap_err(),
                InviteError::BadName
            );
        }
        assert!(
            !format!("{sent:?}").contains(&sent.secret_hex()),
            "Debug hides the secret"
        );
    }

    /// A body opens only under its network's key and its own header.
    #[wasm_bindgen_test(unsupported = test)]
    fn a_sealed_body_opens_only_with_the_key_and_the_header_it_was_sealed_with() {
        let keys = invite(1).keys();
        let nonce = [9; NONCE_LEN];
        let sealed = keys.seal(&nonce, b"header", b"rent, 100 EUR");
        assert!(!sealed.windows(4).any(|w| w == b"rent"), "no clear text");
        assert_eq!(
            keys.open(&nonce, b"header", &sealed).unwrap(),
            b"rent, 100 EUR"
        );
        let stranger = invite(2).keys();
        assert_eq!(
            stranger.open(&nonce, b"header", &sealed),
            Err(InviteError::Undecryptable)
        );
        assert!(keys.open(&nonce, b"another header", &sealed).is_err());
        let mut altered = sealed.clone();
        altered[0] ^= 1;
        assert!(keys.open(&nonce, b"header", &altered).is_err());
    }

    /// Members admit authors; a relay checks with the network's public
    /// key; a stranger's tag, or a tag moved to another author, fails.
    #[wasm_bindgen_test(unsupported = test)]
    fn only_members_can_admit_an_author() {
        let keys = invite(1).keys();
        let (alice, bob) = (PublicKey([1; 32]), PublicKey([2; 32]));
        let tag = keys.admit(&alice);
        assert!(admitted(&keys.network(), &alice, &tag));
        assert!(!admitted(&keys.network(), &bob, &tag));
        let forged = invite(2).keys().admit(&alice);
        assert!(!admitted(&keys.network(), &alice, &forged));
    }

    /// A link proof binds the invite to one signed description.
    #[wasm_bindgen_test(unsupported = test)]
    fn a_link_proof_needs_the_invite_and_the_description() {
        let keys = invite(1).keys();
        let proof = keys.link_proof(b"signed offer");
        assert!(keys.proves_link(b"signed offer", &proof));
        assert!(!keys.proves_link(b"another offer", &proof));
        assert!(!invite(2).keys().proves_link(b"signed offer", &proof));
    }
}

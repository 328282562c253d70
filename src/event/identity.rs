//! Signing: an author's key and the drafts it turns into events.

use super::encoding::encode_content;
use super::sealed::{self, SEALED_VERSION};
use super::{Body, Content, Event, EventId, PublicKey, VERSION};
use crate::invite::{NONCE_LEN, NetworkKeys};
use ed25519_dalek::{Signer, SigningKey};

/// An author's signing key.
///
/// The core takes no randomness of its own: the caller supplies the 32 secret
/// bytes (from the platform's secure random source, or a backup).
#[derive(Clone)]
pub struct Identity {
    key: SigningKey,
}

impl core::fmt::Debug for Identity {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Identity({:?})", self.public_key())
    }
}

/// An event before it is signed. [`Replica::publish`](crate::Replica::publish)
/// fills `seq` and `parents` from the log; tests may build any draft.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Draft {
    /// The author's counter for this event.
    pub seq: u64,
    /// Parent ids; [`Identity::sign`] sorts and deduplicates them.
    pub parents: Vec<EventId>,
    /// Wall clock in ms.
    pub time: u64,
    /// What the event says.
    pub body: Body,
}

impl Identity {
    /// An identity from 32 secret bytes.
    pub fn from_secret(secret: [u8; 32]) -> Identity {
        Identity {
            key: SigningKey::from_bytes(&secret),
        }
    }

    /// The 32 secret bytes (for backups).
    pub fn secret(&self) -> [u8; 32] {
        self.key.to_bytes()
    }

    /// The public key events are signed under.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.key.verifying_key().to_bytes())
    }

    /// Signs a message that is not an event (a signalling offer, say),
    /// under a domain tag so it can never pass for an event or for another
    /// kind of message. Check with [`PublicKey::verifies`].
    pub fn sign_message(&self, domain: &str, message: &[u8]) -> [u8; 64] {
        self.key.sign(&tagged(domain, message)).to_bytes()
    }

    /// Signs a draft. The result is well-formed, but may still break a
    /// validity rule (the caller chose the body and parents); a `Log` checks.
    pub fn sign(&self, draft: Draft) -> Event {
        let mut parents = draft.parents;
        parents.sort_unstable();
        parents.dedup();
        let content = Content {
            version: VERSION,
            author: self.public_key(),
            seq: draft.seq,
            parents,
            time: draft.time,
            body: draft.body,
        };
        let mut bytes = encode_content(&content);
        let signature = self.key.sign(&bytes);
        bytes.extend_from_slice(&signature.to_bytes());
        Event::from_parts(bytes.into_boxed_slice(), content, None)
    }

    /// Signs a draft as a sealed event (format version 3) of the private
    /// network `keys` open: the header in clear with `admission` (the
    /// network's tag of this identity, [`NetworkKeys::admit`]) and `nonce`
    /// (fresh random bytes), the time and body sealed. Like
    /// [`sign`](Self::sign), the body may still break a rule.
    pub fn seal(
        &self,
        draft: Draft,
        keys: &NetworkKeys,
        admission: &[u8; 64],
        nonce: &[u8; NONCE_LEN],
    ) -> Event {
        let mut parents = draft.parents;
        parents.sort_unstable();
        parents.dedup();
        let content = Content {
            version: SEALED_VERSION,
            author: self.public_key(),
            seq: draft.seq,
            parents,
            time: draft.time,
            body: draft.body,
        };
        let (mut bytes, at) = sealed::encode(&content, admission, nonce, keys);
        let signature = self.key.sign(&bytes);
        bytes.extend_from_slice(&signature.to_bytes());
        Event::from_parts(bytes.into_boxed_slice(), content, Some(at))
    }
}

/// `domain` and `message`, unambiguously concatenated (the domain's length first).
fn tagged(domain: &str, message: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + domain.len() + message.len());
    out.extend_from_slice(&(domain.len() as u64).to_le_bytes());
    out.extend_from_slice(domain.as_bytes());
    out.extend_from_slice(message);
    out
}

impl PublicKey {
    /// Whether `signature` is this key's signature of `message` under
    /// `domain` (made by [`Identity::sign_message`]; strict verification).
    pub fn verifies(&self, domain: &str, message: &[u8], signature: &[u8; 64]) -> bool {
        let Ok(key) = ed25519_dalek::VerifyingKey::from_bytes(&self.0) else {
            return false;
        };
        key.verify_strict(
            &tagged(domain, message),
            &ed25519_dalek::Signature::from_bytes(signature),
        )
        .is_ok()
    }
}

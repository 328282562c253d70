//! Signed signalling: what peers send each other through the signalling
//! server to open a WebRTC link (offers, answers, ICE candidates).
//!
//! Every offer and answer is signed by the sender's identity key over the
//! room, both connection ids and the session description, so the server
//! (or anyone relaying) can neither forge one nor replay it into another
//! room or towards another peer. The session description carries the
//! sender's DTLS fingerprint, so a link opened from a verified offer and
//! answer ends at the holder of that key. Candidates are not signed: a
//! forged candidate can only point at an address where the DTLS handshake
//! then fails.

use crate::event::{Identity, PublicKey};
use serde::{Deserialize, Serialize};
use thiserror::Error;

const DOMAIN: &str = "trustfold signal v1";

/// An offer or answer as sent: who sends it and the signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedDescription {
    /// `"offer"` or `"answer"`.
    pub kind: String,
    /// The session description (SDP).
    pub sdp: String,
    /// The sender's public key (hex).
    pub key: String,
    /// The signature (hex).
    pub signature: String,
}

/// Why a signed description was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SignalError {
    /// Not `"offer"` or `"answer"`, or a key or signature that is not hex.
    #[error("malformed signalling message")]
    Malformed,
    /// The signature does not match (forged, altered, or meant for another
    /// room or peer).
    #[error("signalling message with a bad signature")]
    BadSignature,
}

fn message(room: &str, from: u64, to: u64, kind: &str, sdp: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for part in [room.as_bytes(), kind.as_bytes(), sdp.as_bytes()] {
        out.extend_from_slice(&(part.len() as u64).to_le_bytes());
        out.extend_from_slice(part);
    }
    out.extend_from_slice(&from.to_le_bytes());
    out.extend_from_slice(&to.to_le_bytes());
    out
}

impl SignedDescription {
    /// Signs `sdp` of `kind` sent in `room` by connection `from` to `to`.
    pub fn sign(
        identity: &Identity,
        room: &str,
        from: u64,
        to: u64,
        kind: &str,
        sdp: &str,
    ) -> SignedDescription {
        let signature = identity.sign_message(DOMAIN, &message(room, from, to, kind, sdp));
        SignedDescription {
            kind: kind.to_owned(),
            sdp: sdp.to_owned(),
            key: identity.public_key().to_hex(),
            signature: crate::event::hex(&signature),
        }
    }

    /// Checks it was signed for `room`, from `from` to `to`; returns the
    /// sender's key.
    pub fn verify(&self, room: &str, from: u64, to: u64) -> Result<PublicKey, SignalError> {
        if self.kind != "offer" && self.kind != "answer" {
            return Err(SignalError::Malformed);
        }
        let key = PublicKey::from_hex(&self.key).ok_or(SignalError::Malformed)?;
        let signature: [u8; 64] = crate::event::parse_hex_vec(&self.signature)
            .and_then(|v| v.try_into().ok())
            .ok_or(SignalError::Malformed)?;
        let signed = message(room, from, to, &self.kind, &self.sdp);
        if key.verifies(DOMAIN, &signed, &signature) {
            Ok(key)
        } else {
            Err(SignalError::BadSignature)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn only_the_signed_room_peers_and_description_verify() {
        let alice = Identity::from_secret([1; 32]);
        let offer = SignedDescription::sign(&alice, "net", 1, 2, "offer", "v=0 sdp");
        assert_eq!(offer.verify("net", 1, 2), Ok(alice.public_key()));
        assert_eq!(offer.verify("other", 1, 2), Err(SignalError::BadSignature));
        assert_eq!(offer.verify("net", 1, 3), Err(SignalError::BadSignature));
        let mut altered = offer.clone();
        altered.sdp.push('x');
        assert_eq!(altered.verify("net", 1, 2), Err(SignalError::BadSignature));
        // The relay swaps in its own key: the signature no longer matches.
        let mut impostor = offer.clone();
        impostor.key = Identity::from_secret([9; 32]).public_key().to_hex();
        assert_eq!(impostor.verify("net", 1, 2), Err(SignalError::BadSignature));
        let mut junk = offer;
        junk.signature = "zz".into();
        assert_eq!(junk.verify("net", 1, 2), Err(SignalError::Malformed));
    }
}

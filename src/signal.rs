//! Signed signalling: what peers send each other through the signalling
//! server to open a WebRTC link (offers, answers, ICE candidates).
//!
//! Every offer and answer is signed by the sender's identity key over the
//! room, both connection ids, the kind, the session description **and a
//! nonce the recipient chose** ([`Nonces`]). Connection ids restart at 0
//! with every server process and a malicious server can hand out any id it
//! likes, so room and ids alone do not make a description fresh: a
//! captured offer would verify again after a restart. The nonce does. The
//! exchange is:
//!
//! 1. the offerer asks the member for a nonce (`ask`);
//! 2. the member draws a random nonce, remembers it as issued to that
//!    connection ([`Nonces::issue`]) and sends it back (`nonce`);
//! 3. the offerer signs its offer over that nonce and sends along a fresh
//!    nonce of its own (`reply`), issued likewise;
//! 4. the member accepts the offer only if it covers a nonce it issued to
//!    that sender and has not used yet ([`SignedDescription::verify_fresh`]
//!    consumes it), then signs its answer over the offerer's nonce, which
//!    the offerer accepts once in the same way.
//!
//! So a description verifies once, for its recipient, in its room,
//! whatever the server does. The session description carries the sender's
//! DTLS fingerprint, so a link opened from a verified offer and answer
//! ends at the holder of that key. Candidates and nonces travel unsigned:
//! a forged candidate can only point at an address where the DTLS
//! handshake then fails, and a forged nonce only makes the recipient
//! refuse the description signed over it.

use crate::event::{Identity, PublicKey};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use thiserror::Error;

/// What a client sends the signalling server, as JSON
/// (`{"type":"join","room":…}`, `{"type":"signal","to":n,"data":…}`): one
/// definition for the server and the browser. `D` is the peer-to-peer
/// payload, which the server relays without reading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ToServer<D> {
    /// Join a room (once per connection).
    Join {
        /// The room: the network's name.
        room: String,
    },
    /// Relay `data` to member `to` of the room.
    Signal {
        /// The recipient's connection id.
        to: u64,
        /// The payload.
        data: D,
    },
}

/// What the signalling server sends a client, as JSON.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum FromServer<D> {
    /// The client joined: its connection id and the members already there.
    Joined {
        /// This connection's id in the room.
        id: u64,
        /// The members already in the room, oldest first.
        peers: Vec<u64>,
    },
    /// A member joined the room.
    PeerJoined {
        /// Its connection id.
        id: u64,
    },
    /// A member left the room.
    PeerLeft {
        /// Its connection id.
        id: u64,
    },
    /// A payload from member `from`.
    Signal {
        /// The sender's connection id.
        from: u64,
        /// The payload.
        data: D,
    },
    /// The server refused something (and may close the connection).
    Error {
        /// A stable code (README lists them).
        code: String,
        /// Why, in words.
        message: String,
    },
}

/// What one browser sends another inside a `signal` message (the
/// server relays it unread): the steps of opening a link, as JSON tagged by
/// `kind`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PeerSignal {
    /// "I want to offer you a link: give me a nonce to sign over."
    Ask {
        /// The asker holds no link and has no offer open: a full member
        /// makes room for it (see [`crate::sync::Membership::make_room`]).
        /// Absent on the wire when false.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        alone: bool,
    },
    /// The answer to `ask` of a member that holds as many links as it
    /// keeps: "offer to someone else".
    Busy,
    /// The nonce the offer must be signed over (hex).
    Nonce {
        /// Hex of [`NONCE_LEN`] bytes.
        nonce: String,
    },
    /// A signed offer, with the nonce the answer must be signed over.
    Offer {
        /// The session description (SDP).
        sdp: String,
        /// The recipient's nonce it is signed over (hex).
        nonce: String,
        /// The sender's public key (hex).
        key: String,
        /// The signature (hex).
        signature: String,
        /// The nonce the answer must cover (hex).
        reply: String,
        /// In a private network, proof that the sender holds the invite
        /// (hex; [`crate::invite::NetworkKeys::link_proof`] of the signed message).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proof: Option<String>,
    },
    /// A signed answer.
    Answer {
        /// The session description (SDP).
        sdp: String,
        /// The recipient's nonce it is signed over (hex).
        nonce: String,
        /// The sender's public key (hex).
        key: String,
        /// The signature (hex).
        signature: String,
        /// In a private network, proof that the sender holds the invite.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        proof: Option<String>,
    },
    /// An ICE candidate (unsigned: see the module docs).
    Candidate {
        /// The candidate line.
        candidate: String,
        /// Its media stream id.
        #[serde(rename = "sdpMid", default)]
        sdp_mid: Option<String>,
        /// Its media line index.
        #[serde(rename = "sdpMLineIndex", default)]
        sdp_m_line_index: Option<u16>,
    },
}

impl PeerSignal {
    /// An offer carrying `signed`, and the nonce its answer must cover;
    /// `proof` in a private network.
    pub fn offer(signed: SignedDescription, reply: &Nonce, proof: Option<[u8; 32]>) -> PeerSignal {
        PeerSignal::Offer {
            sdp: signed.sdp,
            nonce: signed.nonce,
            key: signed.key,
            signature: signed.signature,
            reply: nonce_hex(reply),
            proof: proof.map(|p| crate::event::hex(&p)),
        }
    }

    /// An answer carrying `signed`; `proof` in a private network.
    pub fn answer(signed: SignedDescription, proof: Option<[u8; 32]>) -> PeerSignal {
        PeerSignal::Answer {
            sdp: signed.sdp,
            nonce: signed.nonce,
            key: signed.key,
            signature: signed.signature,
            proof: proof.map(|p| crate::event::hex(&p)),
        }
    }

    /// The invite proof an offer or answer carries, if any well-formed one.
    pub fn proof(&self) -> Option<[u8; 32]> {
        let proof = match self {
            PeerSignal::Offer { proof, .. } | PeerSignal::Answer { proof, .. } => proof.as_ref()?,
            _ => return None,
        };
        crate::event::parse_hex_vec(proof)?.try_into().ok()
    }

    /// The signed description of an offer or answer, to verify.
    pub fn signed(&self) -> Option<SignedDescription> {
        let (kind, sdp, nonce, key, signature) = match self {
            PeerSignal::Offer {
                sdp,
                nonce,
                key,
                signature,
                ..
            } => ("offer", sdp, nonce, key, signature),
            PeerSignal::Answer {
                sdp,
                nonce,
                key,
                signature,
                ..
            } => ("answer", sdp, nonce, key, signature),
            _ => return None,
        };
        Some(SignedDescription {
            kind: kind.to_owned(),
            sdp: sdp.clone(),
            nonce: nonce.clone(),
            key: key.clone(),
            signature: signature.clone(),
        })
    }
}

/// v2: the signed message gained the recipient's nonce.
const DOMAIN: &str = "trustfold signal v2";

/// Bytes in a nonce: enough that nobody guesses or repeats one.
pub const NONCE_LEN: usize = 16;

/// Nonces outstanding for one connection at most: one for its offer, one
/// for an answer to an offer of mine, with room for a retry.
pub const NONCES_PER_PEER: usize = 4;

/// A nonce: random bytes drawn by the recipient of a description.
pub type Nonce = [u8; NONCE_LEN];

/// An offer or answer as sent: who sends it and the signature.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedDescription {
    /// `"offer"` or `"answer"`.
    pub kind: String,
    /// The session description (SDP).
    pub sdp: String,
    /// The recipient's nonce this description is signed over (hex).
    pub nonce: String,
    /// The sender's public key (hex).
    pub key: String,
    /// The signature (hex).
    pub signature: String,
}

/// Why a signed description was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignalError {
    /// Not `"offer"` or `"answer"`, or a key, nonce or signature that is not
    /// hex of the right length.
    /// Code `malformed_signal`.
    #[error("malformed signalling message")]
    Malformed,
    /// The signature does not match (forged, altered, or meant for another
    /// room or peer).
    /// Code `bad_signal_signature`.
    #[error("signalling message with a bad signature")]
    BadSignature,
    /// Signed correctly, but over a nonce this recipient did not issue to
    /// the sender or has used already: a replay.
    /// Code `replayed_signal`.
    #[error("signalling message replayed (its nonce is unknown or used)")]
    Replayed,
}

impl SignalError {
    /// The stable code of this error: snake_case, unique among the crate's
    /// codes, named in each variant's doc (a wrapping variant gives the
    /// wrapped error's).
    pub fn code(&self) -> &'static str {
        match self {
            SignalError::Malformed => "malformed_signal",
            SignalError::BadSignature => "bad_signal_signature",
            SignalError::Replayed => "replayed_signal",
        }
    }
}

fn message(room: &str, from: u64, to: u64, kind: &str, sdp: &str, nonce: &Nonce) -> Vec<u8> {
    let mut out = Vec::new();
    for part in [room.as_bytes(), kind.as_bytes(), sdp.as_bytes()] {
        out.extend_from_slice(&(part.len() as u64).to_le_bytes());
        out.extend_from_slice(part);
    }
    out.extend_from_slice(&from.to_le_bytes());
    out.extend_from_slice(&to.to_le_bytes());
    out.extend_from_slice(nonce);
    out
}

/// Parses a nonce written as hex.
pub fn parse_nonce(text: &str) -> Option<Nonce> {
    crate::event::parse_hex_vec(text).and_then(|v| v.try_into().ok())
}

/// Writes a nonce as hex.
pub fn nonce_hex(nonce: &Nonce) -> String {
    crate::event::hex(nonce)
}

impl SignedDescription {
    /// Signs `sdp` of `kind` sent in `room` by connection `from` to `to`,
    /// over `nonce`, which the recipient issued.
    pub fn sign(
        identity: &Identity,
        room: &str,
        from: u64,
        to: u64,
        kind: &str,
        sdp: &str,
        nonce: &Nonce,
    ) -> SignedDescription {
        let signature = identity.sign_message(DOMAIN, &message(room, from, to, kind, sdp, nonce));
        SignedDescription {
            kind: kind.to_owned(),
            sdp: sdp.to_owned(),
            nonce: nonce_hex(nonce),
            key: identity.public_key().to_hex(),
            signature: crate::event::hex(&signature),
        }
    }

    /// Checks the signature only: signed for `room`, from `from` to `to`,
    /// over the nonce it carries. Returns the sender's key and that nonce.
    /// This alone does not make it fresh; see [`Self::verify_fresh`].
    pub fn verify(
        &self,
        room: &str,
        from: u64,
        to: u64,
    ) -> Result<(PublicKey, Nonce), SignalError> {
        if self.kind != "offer" && self.kind != "answer" {
            return Err(SignalError::Malformed);
        }
        let key = PublicKey::from_hex(&self.key).ok_or(SignalError::Malformed)?;
        let nonce = parse_nonce(&self.nonce).ok_or(SignalError::Malformed)?;
        let signature: [u8; 64] = crate::event::parse_hex_vec(&self.signature)
            .and_then(|v| v.try_into().ok())
            .ok_or(SignalError::Malformed)?;
        let signed = message(room, from, to, &self.kind, &self.sdp, &nonce);
        if key.verifies(DOMAIN, &signed, &signature) {
            Ok((key, nonce))
        } else {
            Err(SignalError::BadSignature)
        }
    }

    /// The message the signature covers, sent in `room` by `from` to `to`
    /// (what an invite proof is made over); `None` for a malformed nonce.
    pub fn signed_message(&self, room: &str, from: u64, to: u64) -> Option<Vec<u8>> {
        let nonce = parse_nonce(&self.nonce)?;
        Some(message(room, from, to, &self.kind, &self.sdp, &nonce))
    }

    /// Checks the signature (as [`Self::verify`]) and that it covers a
    /// nonce `issued` handed to `from` and not used since; consumes that
    /// nonce. The signature is checked first, so a forged description
    /// cannot use up someone's nonce.
    pub fn verify_fresh(
        &self,
        room: &str,
        from: u64,
        to: u64,
        issued: &mut Nonces,
    ) -> Result<PublicKey, SignalError> {
        let (key, nonce) = self.verify(room, from, to)?;
        if issued.consume(from, &nonce) {
            Ok(key)
        } else {
            Err(SignalError::Replayed)
        }
    }
}

/// The DTLS certificate fingerprint a session description names (its
/// first `a=fingerprint:` line), which tells one peer connection from
/// another: an ICE restart keeps it, a new connection has another.
pub fn sdp_fingerprint(sdp: &str) -> Option<&str> {
    sdp.lines()
        .find_map(|line| line.trim().strip_prefix("a=fingerprint:"))
        .map(str::trim)
}

/// The nonces one participant issued and has not seen used yet, each with
/// the connection it was issued to. Bounded: when full, issuing forgets
/// the oldest (a peer that waited that long asks again).
#[derive(Clone, Debug)]
pub struct Nonces {
    issued: VecDeque<(u64, Nonce)>,
    capacity: usize,
}

impl Default for Nonces {
    /// Room for 64 outstanding nonces: more than [`crate::transport`]
    /// ever has links in progress.
    fn default() -> Self {
        Nonces::with_capacity(64)
    }
}

impl Nonces {
    /// An empty set remembering at most `capacity` nonces.
    pub fn with_capacity(capacity: usize) -> Nonces {
        Nonces {
            issued: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    /// Remembers `nonce` (fresh random bytes) as issued to connection `to`.
    /// One connection holds at most [`NONCES_PER_PEER`] (its oldest goes
    /// first), so a member asking over and over forgets its own nonces,
    /// never those issued to others.
    pub fn issue(&mut self, to: u64, nonce: Nonce) {
        let held = self.issued.iter().filter(|(peer, _)| *peer == to).count();
        if held >= NONCES_PER_PEER
            && let Some(oldest) = self.issued.iter().position(|(peer, _)| *peer == to)
        {
            self.issued.remove(oldest);
        } else if self.issued.len() >= self.capacity {
            self.issued.pop_front();
        }
        self.issued.push_back((to, nonce));
    }

    /// Whether `nonce` was issued to `from` and is unused; forgets it if so.
    pub fn consume(&mut self, from: u64, nonce: &Nonce) -> bool {
        match self
            .issued
            .iter()
            .position(|(to, n)| *to == from && n == nonce)
        {
            Some(at) => {
                self.issued.remove(at);
                true
            }
            None => false,
        }
    }

    /// Forgets every nonce issued to `peer`: once a link with it is open,
    /// an offer or answer held back from an earlier attempt (a hostile
    /// server could keep one) can no longer be used.
    pub fn forget(&mut self, peer: u64) {
        self.issued.retain(|(to, _)| *to != peer);
    }

    /// How many nonces are outstanding.
    pub fn len(&self) -> usize {
        self.issued.len()
    }

    /// Whether none is outstanding.
    pub fn is_empty(&self) -> bool {
        self.issued.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ICE restart's offer names the connection's own certificate; a
    /// new connection's another; a description naming none has none.
    #[test]
    fn a_description_names_its_connection_by_fingerprint() {
        let first = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\na=ice-ufrag:ab\r\na=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\n";
        let restart =
            "v=0\r\no=- 1 3 IN IP4 127.0.0.1\r\na=ice-ufrag:cd\r\na=fingerprint:sha-256 AA:BB\r\n";
        let fresh = "v=0\r\na=fingerprint:sha-256 CC:DD\r\na=fingerprint:sha-256 EE:FF\r\n";
        assert_eq!(sdp_fingerprint(first), Some("sha-256 AA:BB"));
        assert_eq!(sdp_fingerprint(first), sdp_fingerprint(restart));
        assert_eq!(sdp_fingerprint(fresh), Some("sha-256 CC:DD"), "the first");
        assert_eq!(sdp_fingerprint("v=0\r\na=setup:actpass\r\n"), None);
        assert_eq!(sdp_fingerprint(""), None);
    }

    /// Once a link with a member is open, the nonces issued to it are
    /// forgotten (an offer held back from an earlier attempt no longer
    /// verifies); others' stay.
    #[test]
    fn nonces_of_a_linked_member_are_forgotten_and_no_others() {
        let mut nonces = Nonces::default();
        nonces.issue(1, [1; NONCE_LEN]);
        nonces.issue(1, [2; NONCE_LEN]);
        nonces.issue(2, [3; NONCE_LEN]);
        nonces.forget(1);
        assert!(!nonces.consume(1, &[1; NONCE_LEN]));
        assert!(!nonces.consume(1, &[2; NONCE_LEN]));
        assert!(nonces.consume(2, &[3; NONCE_LEN]));
        assert!(nonces.is_empty());
    }
    use wasm_bindgen_test::wasm_bindgen_test;

    const N1: Nonce = [7; NONCE_LEN];
    const N2: Nonce = [9; NONCE_LEN];

    #[wasm_bindgen_test(unsupported = test)]
    fn only_the_signed_room_peers_nonce_and_description_verify() {
        let alice = Identity::from_secret([1; 32]);
        let offer = SignedDescription::sign(&alice, "net", 1, 2, "offer", "v=0 sdp", &N1);
        assert_eq!(offer.verify("net", 1, 2), Ok((alice.public_key(), N1)));
        assert_eq!(offer.verify("other", 1, 2), Err(SignalError::BadSignature));
        assert_eq!(offer.verify("net", 1, 3), Err(SignalError::BadSignature));
        let mut altered = offer.clone();
        altered.sdp.push('x');
        assert_eq!(altered.verify("net", 1, 2), Err(SignalError::BadSignature));
        // The relay swaps the nonce for one the recipient issued: the
        // signature no longer matches.
        let mut renonced = offer.clone();
        renonced.nonce = nonce_hex(&[8; NONCE_LEN]);
        assert_eq!(renonced.verify("net", 1, 2), Err(SignalError::BadSignature));
        // The relay swaps in its own key: the signature no longer matches.
        let mut impostor = offer.clone();
        impostor.key = Identity::from_secret([9; 32]).public_key().to_hex();
        assert_eq!(impostor.verify("net", 1, 2), Err(SignalError::BadSignature));
        let mut short = offer.clone();
        short.nonce = "00".into();
        assert_eq!(short.verify("net", 1, 2), Err(SignalError::Malformed));
        let mut junk = offer;
        junk.signature = "zz".into();
        assert_eq!(junk.verify("net", 1, 2), Err(SignalError::Malformed));
    }

    /// A captured offer replayed to the same recipient, to another
    /// recipient, and after a server restart (ids start again at 0, so the
    /// same ids come back): refused each time.
    #[wasm_bindgen_test(unsupported = test)]
    fn a_captured_description_verifies_once_for_its_recipient() {
        let alice = Identity::from_secret([1; 32]);
        // Bob (connection 0) issued N1 to alice (connection 1).
        let mut bob = Nonces::default();
        bob.issue(1, N1);
        let offer = SignedDescription::sign(&alice, "net", 1, 0, "offer", "v=0 sdp", &N1);
        assert_eq!(
            offer.verify_fresh("net", 1, 0, &mut bob),
            Ok(alice.public_key())
        );
        // The same offer again, to bob: its nonce is used up.
        assert_eq!(
            offer.verify_fresh("net", 1, 0, &mut bob),
            Err(SignalError::Replayed)
        );
        // To carol (connection 2), who issued alice a nonce of her own: the
        // signature names bob, and carol never issued N1.
        let mut carol = Nonces::default();
        carol.issue(1, [3; NONCE_LEN]);
        assert_eq!(
            offer.verify_fresh("net", 1, 2, &mut carol),
            Err(SignalError::BadSignature)
        );
        // Carol holds N1 by chance, issued to alice: still signed for bob.
        carol.issue(1, N1);
        assert_eq!(
            offer.verify_fresh("net", 1, 2, &mut carol),
            Err(SignalError::BadSignature)
        );
        // After a restart, the server hands out the same ids again: the new
        // bob (connection 0) issues a fresh nonce to the new connection 1,
        // and the old offer does not cover it.
        let mut bob_again = Nonces::default();
        bob_again.issue(1, [4; NONCE_LEN]);
        assert_eq!(
            offer.verify_fresh("net", 1, 0, &mut bob_again),
            Err(SignalError::Replayed)
        );
        // A nonce issued to another connection does not count either.
        let mut bob_other = Nonces::default();
        bob_other.issue(5, N1);
        assert_eq!(
            offer.verify_fresh("net", 1, 0, &mut bob_other),
            Err(SignalError::Replayed)
        );
        assert_eq!(bob_other.len(), 1, "a refused description consumes nothing");
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn a_forged_description_does_not_use_up_a_nonce() {
        let alice = Identity::from_secret([1; 32]);
        let mallory = Identity::from_secret([6; 32]);
        let mut bob = Nonces::default();
        bob.issue(1, N1);
        let mut forged = SignedDescription::sign(&mallory, "net", 1, 0, "offer", "evil", &N1);
        forged.key = alice.public_key().to_hex();
        assert_eq!(
            forged.verify_fresh("net", 1, 0, &mut bob),
            Err(SignalError::BadSignature)
        );
        let real = SignedDescription::sign(&alice, "net", 1, 0, "offer", "sdp", &N1);
        assert_eq!(
            real.verify_fresh("net", 1, 0, &mut bob),
            Ok(alice.public_key())
        );
    }

    #[wasm_bindgen_test(unsupported = test)]
    fn issued_nonces_are_bounded_oldest_first() {
        let mut issued = Nonces::with_capacity(2);
        issued.issue(1, [1; NONCE_LEN]);
        issued.issue(1, [2; NONCE_LEN]);
        issued.issue(1, [3; NONCE_LEN]);
        assert_eq!(issued.len(), 2);
        assert!(!issued.consume(1, &[1; NONCE_LEN]), "forgotten");
        assert!(issued.consume(1, &[3; NONCE_LEN]));
        assert!(issued.consume(1, &[2; NONCE_LEN]));
        assert!(issued.is_empty());
    }

    /// The wire format both ends speak: what the server and older pages
    /// send must read back as these types, and an offer signed here must
    /// verify after a trip through JSON.
    #[wasm_bindgen_test(unsupported = test)]
    fn signalling_messages_keep_their_json_shape() {
        let joined: FromServer<PeerSignal> =
            serde_json::from_str(r#"{"type":"joined","id":4,"peers":[1,2]}"#).unwrap();
        assert_eq!(
            joined,
            FromServer::Joined {
                id: 4,
                peers: vec![1, 2]
            }
        );
        let candidate: FromServer<PeerSignal> = serde_json::from_str(
            r#"{"type":"signal","from":2,"data":{"kind":"candidate","candidate":"c","sdpMid":"0","sdpMLineIndex":0}}"#,
        )
        .unwrap();
        assert_eq!(
            candidate,
            FromServer::Signal {
                from: 2,
                data: PeerSignal::Candidate {
                    candidate: "c".into(),
                    sdp_mid: Some("0".into()),
                    sdp_m_line_index: Some(0)
                }
            }
        );
        let ask = serde_json::to_string(&ToServer::Signal {
            to: 7,
            data: PeerSignal::Ask { alone: false },
        })
        .unwrap();
        assert_eq!(ask, r#"{"type":"signal","to":7,"data":{"kind":"ask"}}"#);
        let alone = r#"{"type":"signal","to":7,"data":{"kind":"ask","alone":true}}"#;
        let parsed: ToServer<PeerSignal> = serde_json::from_str(alone).unwrap();
        assert_eq!(
            parsed,
            ToServer::Signal {
                to: 7,
                data: PeerSignal::Ask { alone: true }
            }
        );
        assert_eq!(serde_json::to_string(&parsed).unwrap(), alone);
        assert!(
            serde_json::from_str::<ToServer<PeerSignal>>(r#"{"type":"join","room":"r","x":1}"#)
                .is_err(),
            "unknown fields are refused"
        );

        let alice = Identity::from_secret([1; 32]);
        let signed = SignedDescription::sign(&alice, "net", 1, 0, "offer", "sdp", &N1);
        let sent = serde_json::to_string(&PeerSignal::offer(signed, &N2, None)).unwrap();
        let read: PeerSignal = serde_json::from_str(&sent).unwrap();
        let mut bob = Nonces::default();
        bob.issue(1, N1);
        assert_eq!(
            read.signed().unwrap().verify_fresh("net", 1, 0, &mut bob),
            Ok(alice.public_key())
        );
        assert!(matches!(read, PeerSignal::Offer { reply, .. } if reply == nonce_hex(&N2)));
    }

    /// A member asking for nonce after nonce cannot push out the nonces
    /// issued to others (their links would fail as replays).
    #[wasm_bindgen_test(unsupported = test)]
    fn one_member_cannot_evict_the_nonces_of_others() {
        let mut issued = Nonces::default();
        issued.issue(1, [1; NONCE_LEN]);
        for n in 0..1_000u32 {
            let mut nonce = [0; NONCE_LEN];
            nonce[..4].copy_from_slice(&n.to_le_bytes());
            issued.issue(2, nonce);
        }
        assert_eq!(issued.len(), 1 + NONCES_PER_PEER);
        assert!(issued.consume(1, &[1; NONCE_LEN]), "kept");
    }
}

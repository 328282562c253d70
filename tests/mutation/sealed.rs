//! Mutations only a sealed event (format version 3) has room for: its
//! admission tag, its nonce and its ciphertext, altered in place (the
//! signature no longer holds) or altered and signed again — by the author
//! (a member forging its own tag) or by a stranger borrowing a member's
//! header and tag. None of these may enter a member's log.

use crate::common::varint::varint;
use crate::layout::SealedParts;
use crate::{Mutation, Sample, flip_bits};
use ed25519_dalek::{Signer, SigningKey};
use proptest::prelude::RngExt;
use proptest::test_runner::TestRng;
use trustfold::event::encoding::SIGNATURE_LEN;
use trustfold::invite::Invite;

/// The stranger's secret: not one of the corpus's authors.
const STRANGER: u8 = 66;

/// Another private network, whose tags mean nothing in the corpus's.
fn other_network() -> Invite {
    Invite::new([9; 32], "another coop").expect("a valid name")
}

fn parts(sample: &Sample) -> &SealedParts {
    sample
        .layout
        .sealed
        .as_ref()
        .expect("sealed mutations apply to sealed samples")
}

/// Signs `out` again with the identity whose secret is `[secret; 32]`.
fn sign_again(out: &mut [u8], secret: u8) {
    let at = out.len() - SIGNATURE_LEN;
    let signature = SigningKey::from_bytes(&[secret; 32]).sign(&out[..at]);
    out[at..].copy_from_slice(&signature.to_bytes());
}

/// Another tag in place of the sample's: bits flipped, another author's,
/// another network's for the same author, or zeros.
fn edit_tag(out: &mut [u8], sample: &Sample, corpus: &[Sample], rng: &mut TestRng) {
    let tag = parts(sample).admission.clone();
    match rng.random_range(0..4) {
        0 => flip_bits(out, tag, rng),
        1 => {
            let others: Vec<&Sample> = corpus
                .iter()
                .filter(|s| s.author != sample.author)
                .collect();
            let other = others[rng.random_range(0..others.len())];
            out[tag].copy_from_slice(&other.bytes[parts(other).admission.clone()]);
        }
        2 => {
            let author = SigningKey::from_bytes(&[sample.author; 32]).verifying_key();
            let foreign = other_network()
                .keys()
                .admit(&trustfold::PublicKey(author.to_bytes()));
            out[tag].copy_from_slice(&foreign);
        }
        _ => out[tag].fill(0),
    }
}

/// The mutated bytes of a sealed sample (see the module docs).
pub fn mutate(
    mutation: Mutation,
    sample: &Sample,
    corpus: &[Sample],
    rng: &mut TestRng,
) -> Vec<u8> {
    let bytes = &sample.bytes;
    let parts = parts(sample);
    let mut out = bytes.clone();
    match mutation {
        Mutation::AdmissionEdit => edit_tag(&mut out, sample, corpus, rng),
        Mutation::NonceEdit => {
            if rng.random() {
                flip_bits(&mut out, parts.nonce.clone(), rng);
            } else {
                let other = &corpus[rng.random_range(0..corpus.len())];
                out[parts.nonce.clone()]
                    .copy_from_slice(&other.bytes[self::parts(other).nonce.clone()]);
            }
        }
        Mutation::CiphertextEdit => {
            let length = sample
                .layout
                .varints
                .last()
                .expect("the ciphertext's length");
            let ciphertext = &bytes[parts.ciphertext.clone()];
            let replacement = match rng.random_range(0..3) {
                0 => {
                    flip_bits(&mut out, parts.ciphertext.clone(), rng);
                    return out;
                }
                // Another event's sealed body, moved under this header.
                1 => {
                    let other = &corpus[rng.random_range(0..corpus.len())];
                    other.bytes[self::parts(other).ciphertext.clone()].to_vec()
                }
                // Cut short (the authentication tag first), the length fixed.
                _ => ciphertext[..rng.random_range(0..ciphertext.len())].to_vec(),
            };
            out = [
                &bytes[..length.at],
                &varint(replacement.len() as u64),
                &replacement,
                &bytes[parts.ciphertext.end..],
            ]
            .concat();
        }
        Mutation::TagSignedAgain => {
            edit_tag(&mut out, sample, corpus, rng);
            sign_again(&mut out, sample.author);
        }
        Mutation::HeaderTakenByStranger => {
            let stranger = SigningKey::from_bytes(&[STRANGER; 32]).verifying_key();
            out[1..33].copy_from_slice(stranger.as_bytes());
            if rng.random() {
                let foreign = other_network()
                    .keys()
                    .admit(&trustfold::PublicKey(stranger.to_bytes()));
                out[parts.admission.clone()].copy_from_slice(&foreign);
            }
            sign_again(&mut out, STRANGER);
        }
        Mutation::RelabelledAndSignedAgain => {
            out[0] = rng.random_range(1..=2);
            sign_again(&mut out, sample.author);
        }
        other => unreachable!("{other:?} is not a sealed mutation"),
    }
    out
}

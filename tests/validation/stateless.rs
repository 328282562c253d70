//! `EventError` rules other than decoding: signature, seq, parents, bodies.

use super::*;
use ed25519_dalek::{Signature, Verifier, VerifyingKey};
use trustfold::event::encoding::SIGNATURE_LEN;
use trustfold::event::validate::{
    MAX_CHANGE_BYTES, MAX_MEMO_BYTES, MAX_PARENTS, MAX_REASON_BYTES, MAX_UNIT_BYTES,
};
use trustfold::{DocId, PublicKey, Statement, Transfer};

/// The order ℓ of the ed25519 base point, little-endian.
const GROUP_ORDER: [u8; 32] = [
    0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

fn transfer(amount: u64, unit: &str, memo: &str) -> Body {
    Body::Transfer(Transfer {
        to: key(2),
        amount,
        unit: unit.into(),
        memo: memo.into(),
        reverses: None,
    })
}

/// A document change of filler bytes.
fn doc(change_len: usize) -> Body {
    Body::Doc {
        doc: DocId([5; 16]),
        change: vec![0xa5; change_len],
    }
}

/// A first event by `id(1)` with this body.
fn first(body: Body) -> Event {
    sign(1, 1, &[], body)
}

fn parents(count: u8) -> Vec<EventId> {
    (0..count).map(|n| EventId([n; 32])).collect()
}

fn valid_bytes() -> Vec<u8> {
    first(transfer(5, "EUR", "a valid memo")).bytes().to_vec()
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_valid_event_with_one_flipped_signature_bit_is_rejected() {
    let valid = valid_bytes();
    accepted(&valid);
    let signature_at = valid.len() - SIGNATURE_LEN;
    for bit in 0..SIGNATURE_LEN * 8 {
        let mut flipped = valid.clone();
        flipped[signature_at + bit / 8] ^= 1 << (bit % 8);
        assert_eq!(
            Event::from_bytes(&flipped),
            Err(EventError::BadSignature),
            "bit {bit}"
        );
    }
    let mut flipped = valid;
    flipped[signature_at] ^= 1;
    assert_eq!(refused(&flipped), EventError::BadSignature);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn content_changed_under_the_original_signature_is_rejected() {
    let valid = valid_bytes();
    let memo_at = valid
        .windows(5)
        .position(|w| w == b"valid")
        .expect("the memo is in the bytes");
    let mut edited = valid;
    edited[memo_at] = b'V';
    // Still a well-formed event, with a signature over other bytes.
    assert_eq!(refused(&edited), EventError::BadSignature);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_signature_by_another_key_than_the_author_is_rejected() {
    let claimed = content(1, 1, vec![], transfer(5, "EUR", ""));
    let forged = seal(3, encode_content(&claimed));
    assert_eq!(refused(&forged), EventError::BadSignature);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_signature_with_the_group_order_added_to_s_is_rejected() {
    let valid = valid_bytes();
    let s_at = valid.len() - 32;
    let mut malleated = valid.clone();
    let mut carry = 0u16;
    for (byte, order) in malleated[s_at..].iter_mut().zip(GROUP_ORDER) {
        let sum = u16::from(*byte) + u16::from(order) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "s + ℓ fits in 32 bytes");
    assert_ne!(malleated, valid);
    assert_eq!(refused(&malleated), EventError::BadSignature);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_signature_with_negated_r_is_rejected() {
    let mut negated = valid_bytes();
    let r_sign_at = negated.len() - SIGNATURE_LEN + 31;
    negated[r_sign_at] ^= 0x80;
    assert_eq!(refused(&negated), EventError::BadSignature);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_small_order_author_key_is_rejected_even_where_lax_verification_passes() {
    // The identity point as key, R = identity and s = 0 verify for every
    // message under cofactorless `verify`; only `verify_strict` refuses.
    let identity = {
        let mut point = [0; 32];
        point[0] = 1;
        point
    };
    let mut weak = content(1, 1, vec![], trust(key(2), TrustLevel::Trusted));
    weak.author = PublicKey(identity);
    let signed_bytes = encode_content(&weak);
    let signature = [identity, [0; 32]].concat();
    let lax = VerifyingKey::from_bytes(&identity).expect("the identity is a curve point");
    let parsed = Signature::from_slice(&signature).expect("64 bytes");
    assert!(lax.verify(&signed_bytes, &parsed).is_ok());
    let bytes = [signed_bytes, signature].concat();
    assert_eq!(refused(&bytes), EventError::BadSignature);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_author_key_that_is_not_a_curve_point_is_rejected() {
    let not_a_point = (2..=u8::MAX)
        .map(|y| {
            let mut bytes = [0; 32];
            bytes[0] = y;
            bytes
        })
        .find(|bytes| VerifyingKey::from_bytes(bytes).is_err())
        .expect("about half of all encodings are not points");
    let mut orphan = content(1, 1, vec![], trust(key(2), TrustLevel::Trusted));
    orphan.author = PublicKey(not_a_point);
    assert_eq!(refused(&signed(1, &orphan)), EventError::BadSignature);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn seq_zero_is_rejected() {
    let zero = sign(1, 0, &[], transfer(5, "EUR", ""));
    assert_eq!(refused(zero.bytes()), EventError::SeqZero);
    accepted(first(transfer(5, "EUR", "")).bytes());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn more_than_64_parents_are_rejected() {
    let crowded = id(1).sign(Draft {
        seq: 1,
        parents: parents(MAX_PARENTS as u8 + 1),
        time: TIME,
        body: transfer(5, "EUR", ""),
    });
    assert_eq!(
        refused(crowded.bytes()),
        EventError::TooManyParents {
            count: MAX_PARENTS + 1,
            max: MAX_PARENTS
        }
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn exactly_64_parents_are_accepted() {
    let full = id(1).sign(Draft {
        seq: 1,
        parents: parents(MAX_PARENTS as u8),
        time: TIME,
        body: transfer(5, "EUR", ""),
    });
    assert_eq!(accepted(full.bytes()).parents().len(), MAX_PARENTS);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn parents_out_of_ascending_order_are_rejected() {
    let descending: Vec<EventId> = parents(3).into_iter().rev().collect();
    let bytes = signed(1, &content(1, 1, descending, transfer(5, "EUR", "")));
    assert_eq!(refused(&bytes), EventError::ParentsNotSorted);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn duplicate_parents_are_rejected() {
    let twice = vec![EventId([1; 32]), EventId([1; 32]), EventId([2; 32])];
    let bytes = signed(1, &content(1, 1, twice, transfer(5, "EUR", "")));
    assert_eq!(refused(&bytes), EventError::ParentsNotSorted);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn transfer_of_zero_is_rejected() {
    let zero = first(transfer(0, "EUR", ""));
    assert_eq!(refused(zero.bytes()), EventError::ZeroAmount);
    accepted(first(transfer(1, "EUR", "")).bytes());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn transfer_to_oneself_is_rejected() {
    let to_self = first(pay(key(1), 5, "EUR"));
    assert_eq!(refused(to_self.bytes()), EventError::SelfTransfer);
}

/// The bytes of a version-1 first event by `id(1)` with this body.
fn first_v1(body: Body) -> Vec<u8> {
    let mut old = content(1, 1, vec![], body);
    old.version = 1;
    signed(1, &old)
}

/// Refuses `unit` in both versions: `BadUnit` under the version-1 rule,
/// `UnitNotAllowed` under the allowlist.
fn refused_in_both_versions(unit: &str) {
    assert_eq!(
        refused(&first_v1(transfer(5, unit, ""))),
        EventError::BadUnit,
        "version 1: {unit:?}"
    );
    assert_eq!(
        refused(first(transfer(5, unit, "")).bytes()),
        EventError::UnitNotAllowed,
        "version 2: {unit:?}"
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_empty_unit_is_rejected() {
    refused_in_both_versions("");
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_unit_over_16_bytes_is_rejected() {
    refused_in_both_versions(&"U".repeat(MAX_UNIT_BYTES + 1));
    // Bytes, not characters: six euro signs are 18 bytes.
    refused_in_both_versions(&"€".repeat(6));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_unit_of_exactly_16_bytes_is_accepted() {
    let longest = "U".repeat(MAX_UNIT_BYTES);
    accepted(first(transfer(5, &longest, "")).bytes());
    accepted(&first_v1(transfer(5, &longest, "")));
    let euros = format!("{}U", "€".repeat(5));
    accepted(first(transfer(5, &euros, "")).bytes());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_unit_with_a_control_character_is_rejected() {
    for unit in ["EU\nR", "\u{0}", "EUR\u{7f}", "\u{9b}"] {
        refused_in_both_versions(unit);
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_unit_that_is_blank_padded_or_holds_invisible_marks_is_rejected() {
    for unit in [
        " ",
        "EUR ",
        " EUR",
        "\u{200B}EUR",
        "EU\u{202E}R",
        "\u{FEFF}",
    ] {
        refused_in_both_versions(unit);
    }
    // Inner spaces: allowed in version 1 only.
    accepted(&first_v1(transfer(5, "work hours", "")));
    assert_eq!(
        refused(first(transfer(5, "WORK HOURS", "")).bytes()),
        EventError::UnitNotAllowed
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_memo_over_256_bytes_is_rejected() {
    let long = "m".repeat(MAX_MEMO_BYTES + 1);
    assert_eq!(
        refused(first(transfer(5, "EUR", &long)).bytes()),
        EventError::MemoTooLong
    );
    let accents = "é".repeat(MAX_MEMO_BYTES / 2 + 1);
    assert_eq!(
        refused(first(transfer(5, "EUR", &accents)).bytes()),
        EventError::MemoTooLong
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_memo_of_exactly_256_bytes_is_accepted() {
    let longest = "m".repeat(MAX_MEMO_BYTES);
    accepted(first(transfer(5, "EUR", &longest)).bytes());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_reason_over_1024_bytes_is_rejected_for_exclusions_and_disputes() {
    let reason = "r".repeat(MAX_REASON_BYTES + 1);
    let statement = Statement {
        target: EventId([1; 32]),
        reason,
    };
    for body in [
        Body::Exclude(statement.clone()),
        Body::Dispute(statement.clone()),
    ] {
        let kind = body.kind();
        assert_eq!(
            refused(first(body).bytes()),
            EventError::ReasonTooLong,
            "{kind}"
        );
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_reason_of_exactly_1024_bytes_is_accepted() {
    let statement = Statement {
        target: EventId([1; 32]),
        reason: "r".repeat(MAX_REASON_BYTES),
    };
    accepted(first(Body::Exclude(statement.clone())).bytes());
    accepted(first(Body::Dispute(statement)).bytes());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_trust_statement_about_oneself_is_rejected() {
    for level in [TrustLevel::Trusted, TrustLevel::Neutral, TrustLevel::Banned] {
        let about_self = first(trust(key(1), level));
        assert_eq!(refused(about_self.bytes()), EventError::SelfTrust);
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_empty_document_change_is_rejected() {
    assert_eq!(refused(first(doc(0)).bytes()), EventError::BadChangeSize);
    let body = Body::Doc {
        doc: DocId([5; 16]),
        change: alices_change(),
    };
    accepted(first(body).bytes());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_document_change_over_2_mib_is_rejected() {
    let oversized = first(doc(MAX_CHANGE_BYTES + 1));
    assert_eq!(refused(oversized.bytes()), EventError::BadChangeSize);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_document_change_of_exactly_2_mib_is_not_refused_for_its_size() {
    // The filler is no Automerge change; the size rule must let it through
    // to whatever checks the content.
    let largest = first(doc(MAX_CHANGE_BYTES));
    let verdict = Event::from_bytes(largest.bytes());
    assert!(
        !matches!(
            verdict,
            Err(EventError::BadChangeSize | EventError::Decode(_))
        ),
        "{verdict:?}"
    );
}

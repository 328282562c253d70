//! `DecodeError`: size, version, malformed bytes, trailing bytes, canonical form.
//!
//! Byte layout of the contents built here (see `encoding.rs`): version (1),
//! author (32), seq varint, parent count varint, parents (32 each), time
//! varint, body tag varint, body fields.

use super::*;
use ed25519_dalek::{Signature, VerifyingKey};
use trustfold::event::encoding::{self, MAX_EVENT_BYTES, SIGNATURE_LEN};
use trustfold::{DecodeError, DocId, Statement, Transfer};

/// Offset of `seq` in any content.
const SEQ_AT: usize = 1 + 32;
/// Offset of the body tag in a content with `seq = 1`, no parents and `time = TIME`.
const TAG_AT: usize = SEQ_AT + 1 + 1 + 6;

fn decode_error(bytes: &[u8]) -> DecodeError {
    match refused(bytes) {
        EventError::Decode(error) => error,
        other => panic!("expected a decoding error, got {other:?}"),
    }
}

/// `bytes` with `bytes[at..at + len]` replaced by `new`.
fn replace(bytes: &[u8], at: usize, len: usize, new: &[u8]) -> Vec<u8> {
    [&bytes[..at], new, &bytes[at + len..]].concat()
}

/// A transfer of 5 "EUR" from `id(1)` to `key(2)` with this memo and no reversal.
fn transfer(memo: &str) -> Content {
    content(
        1,
        1,
        vec![],
        Body::Transfer(Transfer {
            to: key(2),
            amount: 5,
            unit: "EUR".into(),
            memo: memo.into(),
            reverses: None,
        }),
    )
}

/// Offset of the memo length in `transfer(_)`: tag, payee, amount, unit length, "EUR".
const MEMO_LEN_AT: usize = TAG_AT + 1 + 32 + 1 + 1 + 3;

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn content_offsets_used_by_these_tests_match_the_encoding() {
    let bytes = encode_content(&transfer("hi"));
    assert_eq!(bytes[0], VERSION);
    assert_eq!(&bytes[1..SEQ_AT], &key(1).0);
    assert_eq!(bytes[SEQ_AT], 1, "seq");
    assert_eq!(bytes[SEQ_AT + 1], 0, "parent count");
    assert_eq!(&bytes[SEQ_AT + 2..TAG_AT], varint(TIME).as_slice());
    assert_eq!(bytes[TAG_AT], 0, "Transfer is the first body variant");
    assert_eq!(bytes[MEMO_LEN_AT], 2);
    assert_eq!(&bytes[MEMO_LEN_AT + 1..MEMO_LEN_AT + 3], b"hi");
    assert_eq!(bytes[MEMO_LEN_AT + 3], 0, "no reversal");
    assert_eq!(bytes.len(), MEMO_LEN_AT + 4);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn bytes_over_the_size_limit_are_rejected_as_too_large() {
    // Signed properly: without the size rule this would get as far as the
    // body rules.
    let change = vec![7; MAX_EVENT_BYTES];
    let body = Body::Doc {
        doc: DocId([1; 16]),
        change,
    };
    let bytes = signed(1, &content(1, 1, vec![], body));
    assert_eq!(
        decode_error(&bytes),
        DecodeError::TooLarge {
            len: bytes.len(),
            max: MAX_EVENT_BYTES
        }
    );
    let one_over = vec![VERSION; MAX_EVENT_BYTES + 1];
    assert_eq!(
        decode_error(&one_over),
        DecodeError::TooLarge {
            len: MAX_EVENT_BYTES + 1,
            max: MAX_EVENT_BYTES
        }
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_event_of_exactly_the_size_limit_is_not_too_large() {
    let doc = |len: usize| {
        let body = Body::Doc {
            doc: DocId([1; 16]),
            change: vec![7; len],
        };
        signed(1, &content(1, 1, vec![], body))
    };
    // Measured near the limit, where the change length takes as many varint bytes.
    let near = MAX_EVENT_BYTES - 1000;
    let overhead = doc(near).len() - near;
    let bytes = doc(MAX_EVENT_BYTES - overhead);
    assert_eq!(bytes.len(), MAX_EVENT_BYTES);
    // It gets past decoding; its change is over the change limit.
    assert_eq!(refused(&bytes), EventError::BadChangeSize);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn bytes_too_short_for_a_version_and_a_signature_are_rejected() {
    for len in [0, 1, SIGNATURE_LEN] {
        assert_eq!(
            decode_error(&vec![VERSION; len]),
            DecodeError::TooShort { len },
            "{len} bytes"
        );
    }
    // One byte more holds a version and a signature, and fails later.
    assert_eq!(
        decode_error(&[VERSION; SIGNATURE_LEN + 1]),
        DecodeError::Malformed(postcard::Error::DeserializeUnexpectedEnd)
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_unknown_format_version_is_rejected() {
    for version in [0, trustfold::event::SEALED_VERSION + 1, u8::MAX] {
        let mut unknown = transfer("");
        unknown.version = version;
        assert_eq!(
            decode_error(&signed(1, &unknown)),
            DecodeError::UnknownVersion(version)
        );
    }
    // Version 3 is the sealed form: a clear body labelled 3 does not decode
    // as one, so an author cannot pass a clear event for a sealed one.
    let mut relabelled = transfer("");
    relabelled.version = trustfold::event::SEALED_VERSION;
    assert!(matches!(
        decode_error(&signed(1, &relabelled)),
        DecodeError::Malformed(_) | DecodeError::NonCanonical | DecodeError::TrailingBytes(_)
    ));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn version_1_still_decodes_and_reencodes_to_its_exact_bytes() {
    let mut old = transfer("hi");
    old.version = 1;
    let (old, new) = (signed(1, &old), signed(1, &transfer("hi")));
    for bytes in [&old, &new] {
        let decoded = encoding::decode(bytes).expect("a known version");
        assert_eq!(decoded.version, bytes[0]);
        assert_eq!(&seal(1, encode_content(&decoded)), bytes);
        accepted(bytes);
    }
    // Back to back, as sync sends them.
    let stream = [old.as_slice(), new.as_slice()].concat();
    assert_eq!(encoding::event_len(&stream), Some(old.len()));
    assert_eq!(encoding::event_len(&stream[old.len()..]), Some(new.len()));
    let mut unknown = stream.clone();
    unknown[0] = VERSION + 1;
    assert_eq!(encoding::event_len(&unknown), None);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_content_cut_short_is_malformed() {
    let full = encode_content(&transfer("hi"));
    for cut in [1, 3, full.len() - SEQ_AT] {
        let short = seal(1, full[..full.len() - cut].to_vec());
        assert_eq!(
            decode_error(&short),
            DecodeError::Malformed(postcard::Error::DeserializeUnexpectedEnd),
            "{cut} bytes cut"
        );
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_unknown_body_kind_is_malformed() {
    let full = encode_content(&transfer(""));
    for tag in [6, 0x7f] {
        let unknown = seal(1, replace(&full, TAG_AT, 1, &[tag]));
        assert!(
            matches!(decode_error(&unknown), DecodeError::Malformed(_)),
            "tag {tag}"
        );
    }
    let trust = encode_content(&content(1, 1, vec![], trust(key(2), TrustLevel::Banned)));
    let level_at = trust.len() - 1;
    assert_eq!(trust[level_at], 2, "Banned is the third level");
    let unknown_level = seal(1, replace(&trust, level_at, 1, &[3]));
    assert!(matches!(
        decode_error(&unknown_level),
        DecodeError::Malformed(_)
    ));
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn text_that_is_not_utf8_is_malformed() {
    let full = encode_content(&transfer("hi"));
    let bad = seal(1, replace(&full, MEMO_LEN_AT + 1, 2, &[0xff, 0xfe]));
    assert_eq!(
        decode_error(&bad),
        DecodeError::Malformed(postcard::Error::DeserializeBadUtf8)
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_option_tag_other_than_zero_or_one_is_malformed() {
    let full = encode_content(&transfer(""));
    let option_at = full.len() - 1;
    let bad = seal(1, replace(&full, option_at, 1, &[2]));
    assert_eq!(
        decode_error(&bad),
        DecodeError::Malformed(postcard::Error::DeserializeBadOption)
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_inflated_length_prefix_is_malformed_without_allocating_it() {
    let full = encode_content(&transfer("hi"));
    // 2^40 parents, a memo one byte longer than the bytes that follow, a memo of 2^62 bytes.
    let inflated = [
        replace(&full, SEQ_AT + 1, 1, &varint(1 << 40)),
        replace(&full, MEMO_LEN_AT, 1, &varint(4)),
        replace(&full, MEMO_LEN_AT, 1, &varint(1 << 62)),
    ];
    for bytes in inflated {
        assert!(matches!(
            decode_error(&seal(1, bytes)),
            DecodeError::Malformed(_)
        ));
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn bytes_between_the_content_and_the_signature_are_rejected() {
    let full = encode_content(&transfer("hi"));
    for extra in [1, 3] {
        let padded = seal(1, [full.clone(), vec![0; extra]].concat());
        assert_eq!(decode_error(&padded), DecodeError::TrailingBytes(extra));
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn an_overlong_varint_is_rejected_as_non_canonical_even_when_signed() {
    let original = transfer("hi");
    let full = encode_content(&original);
    let time_len = varint(TIME).len();
    // Every varint of the content, re-encoded one or more bytes too long.
    let overlong_forms = [
        ("seq", replace(&full, SEQ_AT, 1, &overlong(1, 2))),
        ("seq", replace(&full, SEQ_AT, 1, &overlong(1, 10))),
        (
            "parent count",
            replace(&full, SEQ_AT + 1, 1, &overlong(0, 2)),
        ),
        (
            "time",
            replace(&full, SEQ_AT + 2, time_len, &overlong(TIME, time_len + 1)),
        ),
        ("body tag", replace(&full, TAG_AT, 1, &overlong(0, 2))),
        ("amount", replace(&full, TAG_AT + 33, 1, &overlong(5, 3))),
        (
            "memo length",
            replace(&full, MEMO_LEN_AT, 1, &overlong(2, 2)),
        ),
    ];
    for (field, signed_bytes) in overlong_forms {
        // The same content in another byte form, with a valid signature: only
        // the canonical-form rule stands between it and a second event id.
        assert_eq!(
            postcard::from_bytes::<Content>(&signed_bytes).as_ref(),
            Ok(&original),
            "{field}"
        );
        let bytes = seal(1, signed_bytes.clone());
        let (_, signature) = bytes.split_at(bytes.len() - SIGNATURE_LEN);
        let signature = Signature::from_slice(signature).expect("64 bytes");
        let author = VerifyingKey::from_bytes(&key(1).0).expect("a valid key");
        assert!(author.verify_strict(&signed_bytes, &signature).is_ok());
        assert_eq!(
            decode_error(&bytes),
            DecodeError::NonCanonical,
            "overlong {field}"
        );
    }
}

/// One event of every body kind, with extreme integers and every trust level.
fn every_body_kind() -> Vec<Event> {
    let target = EventId([9; 32]);
    let bodies = vec![
        pay(key(2), 1, "EUR"),
        Body::Transfer(Transfer {
            to: key(2),
            amount: u64::MAX,
            unit: "€ and hours".into(),
            memo: "repairs 🔧, paid back".into(),
            reverses: Some(target),
        }),
        Body::Exclude(Statement {
            target,
            reason: "never happened".into(),
        }),
        Body::Dispute(Statement {
            target,
            reason: String::new(),
        }),
        Body::Retract { target },
        trust(key(2), TrustLevel::Trusted),
        trust(key(2), TrustLevel::Neutral),
        trust(key(2), TrustLevel::Banned),
        Body::Doc {
            doc: DocId([3; 16]),
            change: alices_change(),
        },
    ];
    let parents: Vec<EventId> = (1..=3).map(|n| EventId([n; 32])).collect();
    bodies
        .into_iter()
        .enumerate()
        .map(|(n, body)| {
            let (seq, time) = if n % 2 == 0 {
                (1, 0)
            } else {
                (u64::MAX, u64::MAX)
            };
            id(1).sign(Draft {
                seq,
                parents: parents[..n % 4].to_vec(),
                time,
                body,
            })
        })
        .collect()
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn decode_then_encode_gives_identical_bytes_for_every_body_kind() {
    let events = every_body_kind();
    let mut kinds: Vec<&str> = events.iter().map(|e| e.body().kind()).collect();
    kinds.dedup();
    assert_eq!(
        kinds,
        ["transfer", "exclude", "dispute", "retract", "trust", "doc"]
    );
    for event in &events {
        let bytes = event.bytes();
        let decoded = match encoding::decode(bytes) {
            Ok(content) => content,
            Err(error) => panic!("{} refused: {error}", event.body().kind()),
        };
        assert_eq!(&decoded, event.content());
        let reencoded = [encode_content(&decoded).as_slice(), event.signature()].concat();
        assert_eq!(reencoded, bytes, "{}", event.body().kind());
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn from_bytes_accepts_what_identity_sign_produced() {
    for event in every_body_kind() {
        let received = accepted(event.bytes());
        assert_eq!(received, event);
        assert_eq!(received.id(), EventId::of_bytes(event.bytes()));
        // Identity::sign is ed25519 over the canonical content, nothing more.
        assert_eq!(seal(1, encode_content(event.content())), event.bytes());
    }
}

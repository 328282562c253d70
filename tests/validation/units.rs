//! The unit rule of event version 2 (an allowlist), and version-1 events
//! that stay valid under the rule they were made with.
//!
//! Version 2 allows 1–16 bytes of `A`–`Z`, `0`–`9` and `€ £ ¥ $ ₹ ₿`.
//! Version 1 allowed any visible characters but a few listed marks, so
//! units that look like "EUR" but are other byte strings got through.

use super::*;
use trustfold::event::encoding;
use trustfold::event::validate::{UNIT_SYMBOLS, unit_allowed, unit_label};
use trustfold::{Transfer, View};

/// A first transfer of 5 `unit` from `id(1)` to `key(2)`, at `version`.
fn payment(version: u8, unit: &str) -> Vec<u8> {
    let mut c = content(1, 1, vec![], pay(key(2), 5, unit));
    c.version = version;
    signed(1, &c)
}

/// Invisible characters, each named: bidirectional and zero-width marks,
/// the soft hyphen, variation selectors, tag characters, fillers,
/// combining marks. None shows, or each only changes a neighbour.
const INVISIBLE: [(&str, char); 20] = [
    ("Arabic letter mark", '\u{061C}'),
    ("left-to-right mark", '\u{200E}'),
    ("right-to-left mark", '\u{200F}'),
    ("left-to-right isolate", '\u{2066}'),
    ("zero-width space", '\u{200B}'),
    ("zero-width joiner", '\u{200D}'),
    ("word joiner", '\u{2060}'),
    ("Mongolian vowel separator", '\u{180E}'),
    ("soft hyphen", '\u{00AD}'),
    ("variation selector 16", '\u{FE0F}'),
    ("variation selector 1", '\u{FE00}'),
    ("variation selector 17", '\u{E0100}'),
    ("tag latin capital E", '\u{E0045}'),
    ("cancel tag", '\u{E007F}'),
    ("Hangul filler", '\u{3164}'),
    ("Hangul choseong filler", '\u{115F}'),
    ("halfwidth Hangul filler", '\u{FFA0}'),
    ("braille blank", '\u{2800}'),
    ("combining acute accent", '\u{0301}'),
    ("combining grapheme joiner", '\u{034F}'),
];

/// Units that look like "EUR" (or like nothing) and are other byte strings.
fn disguised() -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, c) in INVISIBLE {
        out.push((format!("{name} first"), format!("{c}EUR")));
        out.push((format!("{name} inside"), format!("EU{c}R")));
        out.push((format!("{name} last"), format!("EUR{c}")));
        out.push((format!("{name} alone"), c.to_string()));
        out.push((format!("{name} only, twice"), format!("{c}{c}")));
    }
    for (name, unit) in [
        ("Cyrillic Е", "\u{0415}UR"),
        ("Greek Ε", "\u{0395}UR"),
        ("Cyrillic С in USD", "USD\u{0421}"),
        ("full-width ＥＵＲ", "\u{FF25}\u{FF35}\u{FF32}"),
        ("mathematical bold 𝐄𝐔𝐑", "\u{1D404}\u{1D414}\u{1D411}"),
        ("no-break space", "EU\u{00A0}R"),
        ("space", "EU R"),
        ("euro-currency sign ₠", "\u{20A0}"),
        ("full-width yen ￥", "\u{FFE5}"),
        ("E and a combining ring", "E\u{030A}UR"),
    ] {
        out.push((name.to_owned(), unit.to_owned()));
    }
    out
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn version_2_units_are_capitals_digits_and_six_currency_signs() {
    let mut units: Vec<String> = ('A'..='Z').chain('0'..='9').map(String::from).collect();
    units.extend(UNIT_SYMBOLS.iter().map(|c| c.to_string()));
    units.extend(
        [
            "EUR",
            "HOURS",
            "KWH",
            "CO2",
            "₿",
            "US$",
            "Q".repeat(16).as_str(),
        ]
        .map(String::from),
    );
    for unit in &units {
        assert!(unit_allowed(unit), "{unit:?}");
        let event = accepted(&payment(VERSION, unit));
        assert_eq!(event.content().version, 2);
    }
    assert_eq!(VERSION, 2, "Identity::sign writes version 2");
    assert_eq!(
        id(1)
            .sign(Draft {
                seq: 1,
                parents: vec![],
                time: 0,
                body: pay(key(2), 1, "EUR")
            })
            .bytes()[0],
        2
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn invisible_and_look_alike_characters_are_refused_in_version_2_units() {
    for (name, unit) in disguised() {
        assert!(!unit_allowed(&unit), "{name}");
        assert_eq!(
            refused(&payment(2, &unit)),
            EventError::UnitNotAllowed,
            "{name}: {unit:?}"
        );
    }
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_unit_in_small_letters_is_refused_with_a_hint_to_write_capitals() {
    for unit in ["eur", "Eur", "hours", "kWh", "µ"] {
        let error = refused(&payment(2, unit));
        if unit == "µ" {
            // Not an ASCII letter: no capital form helps.
            assert_eq!(error, EventError::UnitNotAllowed);
        } else {
            assert_eq!(error, EventError::UnitNotCapitals, "{unit}");
            assert!(error.to_string().contains("capitals"));
        }
    }
    // Only ASCII letters have a capital form here: "ı" (dotless i) is no "I".
    assert_eq!(refused(&payment(2, "\u{0131}")), EventError::UnitNotAllowed);
}

/// The disguises the version-1 rule already refused (its listed marks).
const REFUSED_IN_VERSION_1: [&str; 6] = [
    "left-to-right mark",
    "right-to-left mark",
    "left-to-right isolate",
    "zero-width space",
    "zero-width joiner",
    "word joiner",
];

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn version_1_events_with_such_units_stay_valid_and_count_as_their_own_units() {
    let mut replica = Replica::new(Policy::new(key(9)));
    let mut kept = 0;
    for (name, unit) in disguised() {
        if REFUSED_IN_VERSION_1.iter().any(|r| name.starts_with(r)) {
            assert_eq!(refused(&payment(1, &unit)), EventError::BadUnit, "{name}");
            continue;
        }
        // Stored version-1 events decode, verify, validate and apply.
        let mut c = content(1, kept + 1, vec![], pay(key(2), 5, &unit));
        c.version = 1;
        c.parents = replica
            .log()
            .last_by(&key(1))
            .map(|e| e.id())
            .into_iter()
            .collect();
        let bytes = signed(1, &c);
        let event = accepted(&bytes);
        assert_eq!(event.content().version, 1, "{name}");
        // Canonical: decoding then encoding gives the same bytes.
        let decoded = encoding::decode(&bytes).expect("decodes");
        assert_eq!(
            [encode_content(&decoded), event.signature().to_vec()].concat(),
            bytes
        );
        assert_eq!(encoding::event_len(&bytes), Some(bytes.len()));
        match replica.ingest(&bytes) {
            Ok(insertion) => assert_eq!(insertion.applied.len(), 1, "{name}"),
            Err(error) => panic!("{name}: a version-1 event was refused: {error}"),
        }
        kept += 1;
        assert_eq!(
            replica.view().balance(replica.log(), &key(2), &unit),
            5,
            "{name}"
        );
    }
    assert_eq!(kept, 80, "every disguise but the marks version 1 listed");
    // Each is a unit of its own, as it always was; none is "EUR".
    assert_eq!(replica.view().balance(replica.log(), &key(2), "EUR"), 0);
    let full = View::new(replica.log(), replica.view().policy().clone());
    assert_eq!(full.ledger(), replica.view().ledger());
    // A version-2 event builds on them.
    let next = replica
        .publish(&id(1), TIME, pay(key(2), 7, "EUR"))
        .expect("a version-2 event on version-1 history");
    assert_eq!(next.content().version, 2);
    assert_eq!(replica.view().balance(replica.log(), &key(2), "EUR"), 7);
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn the_version_byte_is_signed_so_an_event_cannot_be_relabelled_version_1() {
    let current = payment(2, "EUR");
    let mut relabelled = current.clone();
    relabelled[0] = 1;
    assert_eq!(refused(&relabelled), EventError::BadSignature);
    // The same content at either version: two events, two ids.
    let (v1, v2) = (accepted(&payment(1, "EUR")), accepted(&current));
    assert_ne!(v1.id(), v2.id());
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn a_version_2_reversal_of_a_version_1_payment_keeps_its_unit() {
    // Old payments stay reversible: a reversal pays back in its payment's unit.
    let old_unit = "EU\u{061C}R";
    let mut log = Log::new();
    let mut c = content(1, 1, vec![], pay(key(2), 100, old_unit));
    c.version = 1;
    let paid = accepted(&signed(1, &c));
    apply(&mut log, &paid);
    let reversal = |unit: &str| {
        Body::Transfer(Transfer {
            to: key(1),
            amount: 40,
            unit: unit.into(),
            memo: String::new(),
            reverses: Some(paid.id()),
        })
    };
    let back = sign(2, 1, &[&paid], reversal(old_unit));
    assert_eq!(back.content().version, 2);
    accepted(back.bytes());
    apply(&mut log, &back);
    // A new plain payment in that unit is refused; so is a reversal in
    // another disguise (in its own unit it would not reverse this payment).
    assert_eq!(
        refused(sign(2, 2, &[&back], pay(key(1), 1, old_unit)).bytes()),
        EventError::UnitNotAllowed
    );
    let other = sign(2, 2, &[&back, &paid], reversal("EU\u{00AD}R"));
    assert_eq!(refused_by(&mut log, other), ContextError::BadReversal);
    // The version-1 rule still holds for reversals.
    assert_eq!(
        refused(sign(2, 2, &[&back, &paid], reversal("EUR\u{200F}")).bytes()),
        EventError::BadUnit
    );
}

#[wasm_bindgen_test::wasm_bindgen_test(unsupported = test)]
fn units_show_their_invisible_characters_so_disguises_look_different() {
    assert_eq!(unit_label("EUR"), "EUR");
    assert_eq!(unit_label("work hours"), "work hours");
    assert_eq!(unit_label("EU\u{061C}R"), "EU⟨U+061C⟩R");
    assert_eq!(unit_label("\u{0415}UR"), "⟨U+0415⟩UR");
    assert_eq!(unit_label("\u{E0045}"), "⟨U+E0045⟩");
    for (name, unit) in disguised() {
        assert_ne!(unit_label(&unit), "EUR", "{name}");
    }
}

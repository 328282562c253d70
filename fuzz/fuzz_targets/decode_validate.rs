//! Arbitrary bytes through `Event::from_bytes`; whatever it accepts must be
//! canonical (re-encoding gives the input back) and must go into a `Log`
//! without a panic, idempotently.

#![no_main]

use libfuzzer_sys::fuzz_target;
use trustfold::event::encoding::encode_content;
use trustfold::{Event, Log};

fuzz_target!(|data: &[u8]| {
    let Ok(event) = Event::from_bytes(data) else {
        return;
    };
    let mut reencoded = encode_content(event.content());
    reencoded.extend_from_slice(event.signature());
    assert_eq!(reencoded, data, "accepted bytes are not canonical");
    assert_eq!(event.bytes(), data);

    let mut log = Log::new();
    let first = log.insert(event.clone());
    let second = log.insert(event);
    match first {
        Ok(_) => assert!(
            matches!(second, Ok(ref again) if again.duplicate),
            "{second:?}"
        ),
        Err(error) => assert_eq!(second, Err(error)),
    }
});

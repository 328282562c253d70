//! The limits a relay publishes (after Nostr's NIP-11): what a client may
//! expect before it is refused. One definition for both ends: the server
//! writes it as JSON at `GET /relay/limits` and in its `joined` answer,
//! and the browser reads it from `joined` into the same type, so a page
//! gets numbers and words them itself.

use serde::{Deserialize, Serialize};

/// The relay's limits document. Fields are camelCase in JSON
/// (`maxEventsPerNetwork`, …); a client ignores fields it does not know.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublishedLimits {
    /// Events a network may hold.
    pub max_events_per_network: u64,
    /// Bytes a network may hold.
    pub max_bytes_per_network: u64,
    /// Percent of each of those one author may take.
    pub author_share_percent: u8,
    /// Frames a client may send per second.
    pub frames_per_second: f64,
    /// Frames a client may send in a burst.
    pub frames_burst: f64,
    /// Bytes a client may send per second before the relay reads it more
    /// slowly (it is not dropped for it).
    pub bytes_per_second: f64,
    /// Bytes a client may send in a burst.
    pub bytes_burst: f64,
    /// Events each author may store per minute (more wait for a later
    /// round: notice `author_rate`).
    pub author_events_per_minute: u32,
    /// Events an author may store at once.
    pub author_events_burst: u32,
    /// Largest frame, in bytes.
    pub max_frame_bytes: u64,
    /// Bytes of events a client may have in flight to the relay (the window).
    pub window_bytes: u64,
    /// Seconds after which a network nobody uses is released from memory
    /// (never deleted: the relay removes no event it stored).
    pub idle_release_seconds: u64,
    /// Whether the relay ever deletes stored events (it does not).
    pub evicts_events: bool,
}

#[cfg(test)]
mod tests {
    use super::PublishedLimits;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test(unsupported = test)]
    fn the_document_reads_back_as_written_and_ignores_fields_it_does_not_know() {
        let limits = PublishedLimits {
            max_events_per_network: 1_000_000,
            max_bytes_per_network: 1 << 30,
            author_share_percent: 25,
            frames_per_second: 500.0,
            frames_burst: 2000.0,
            bytes_per_second: 2.0 * 1024.0 * 1024.0,
            bytes_burst: 4.0 * 1024.0 * 1024.0,
            author_events_per_minute: 1200,
            author_events_burst: 10_000,
            max_frame_bytes: 65_536,
            window_bytes: 4 << 20,
            idle_release_seconds: 60,
            evicts_events: false,
        };
        let mut json = serde_json::to_value(&limits).unwrap();
        assert_eq!(json["maxEventsPerNetwork"], 1_000_000);
        assert_eq!(json["authorSharePercent"], 25);
        assert_eq!(json["authorEventsPerMinute"], 1200);
        json["aLaterField"] = 7.into();
        assert_eq!(
            serde_json::from_value::<PublishedLimits>(json).unwrap(),
            limits
        );
    }
}

//! The real editing trace `tests/data/automerge-paper.json.gz` (259,778
//! keystrokes of Martin Kleppmann's paper, CC BY 4.0: see
//! `tests/data/README.md`), embedded so the same test runs natively and in
//! the browser.
//!
//! The one loader of the trace: the benches and the standalone bench crates
//! include this file with `#[path]`, so its path to the data is relative to
//! this file, not to whichever crate includes it.

use flate2::read::GzDecoder;
use serde::Deserialize;
use std::io::Read;

const TRACE_GZ: &[u8] = include_bytes!("../data/automerge-paper.json.gz");

/// One edit: at `pos` delete `delete` characters and insert `insert`. The
/// trace counts code points; it holds no character outside the Basic
/// Multilingual Plane, so its positions are also the UTF-16 units
/// `Replica::splice_text` counts (a trace with emoji would need converting).
#[derive(Clone, Debug)]
pub struct Patch {
    /// Position in code points (= UTF-16 units for this trace).
    pub pos: usize,
    /// Characters deleted.
    pub delete: usize,
    /// Text inserted.
    pub insert: String,
}

#[derive(Deserialize)]
struct Raw {
    #[serde(rename = "endContent")]
    end_content: String,
    txns: Vec<Txn>,
}

#[derive(Deserialize)]
struct Txn {
    patches: Vec<(usize, usize, String)>,
}

/// The trace's patches in order, and the text they must produce.
pub fn load() -> (Vec<Patch>, String) {
    let mut json = String::new();
    GzDecoder::new(TRACE_GZ)
        .read_to_string(&mut json)
        .expect("trace decompresses");
    let raw: Raw = serde_json::from_str(&json).expect("trace parses");
    let patches = raw
        .txns
        .into_iter()
        .flat_map(|t| t.patches)
        .map(|(pos, delete, insert)| Patch {
            pos,
            delete,
            insert,
        })
        .collect();
    (patches, raw.end_content)
}

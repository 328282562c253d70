//! The fixture file format shared by the native generator and the wasm
//! benchmarks: a sequence of records `[u32 LE length][32-byte event id][length bytes of the event]`.

use trustfold::EventId;

/// Appends one record.
pub fn push(out: &mut Vec<u8>, id: &EventId, bytes: &[u8]) {
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(&id.0);
    out.extend_from_slice(bytes);
}

/// Splits a fixture file into (id, event bytes) records.
pub fn parse(data: &[u8]) -> Vec<(EventId, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < data.len() {
        let len = u32::from_le_bytes(data[at..at + 4].try_into().expect("length")) as usize;
        let id = EventId(data[at + 4..at + 36].try_into().expect("id"));
        out.push((id, data[at + 36..at + 36 + len].to_vec()));
        at += 36 + len;
    }
    out
}

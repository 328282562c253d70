//! Postcard varints, written by hand to build non-canonical encodings.

/// The canonical LEB128 varint postcard writes.
pub fn varint(mut value: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let group = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(group);
            return out;
        }
        out.push(group | 0x80);
    }
}

/// `value` as a varint of exactly `len` bytes (overlong when longer than canonical).
pub fn overlong(value: u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| {
            let group = value.checked_shr(7 * i as u32).unwrap_or(0) as u8 & 0x7f;
            if i + 1 < len { group | 0x80 } else { group }
        })
        .collect()
}

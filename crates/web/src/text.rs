//! JS strings count UTF-16 code units; the core counts characters (code
//! points). Positions are converted here, at the boundary.

/// The characters of `text` before UTF-16 offset `offset`, or `None` when
/// the offset is past the end or splits a surrogate pair.
pub fn chars_before(text: &str, offset: usize) -> Option<usize> {
    let mut units = 0;
    for (chars, c) in text.chars().enumerate() {
        if units == offset {
            return Some(chars);
        }
        units += c.len_utf16();
        if units > offset {
            return None;
        }
    }
    (units == offset).then(|| text.chars().count())
}

/// Converts a UTF-16 range (`start`, `len` units) of `text` to characters.
pub fn char_range(text: &str, start: usize, len: usize) -> Option<(usize, usize)> {
    let first = chars_before(text, start)?;
    let end = chars_before(text, start.checked_add(len)?)?;
    Some((first, end - first))
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn utf16_positions_become_character_positions() {
        // "a😀b": 'a' is 1 unit, the emoji 2, 'b' 1.
        let text = "a\u{1F600}b";
        assert_eq!(chars_before(text, 0), Some(0));
        assert_eq!(chars_before(text, 1), Some(1));
        assert_eq!(chars_before(text, 2), None, "inside the surrogate pair");
        assert_eq!(chars_before(text, 3), Some(2));
        assert_eq!(chars_before(text, 4), Some(3));
        assert_eq!(chars_before(text, 5), None, "past the end");
        assert_eq!(char_range(text, 1, 2), Some((1, 1)), "the emoji");
        assert_eq!(char_range(text, 1, 1), None);
        assert_eq!(char_range("", 0, 0), Some((0, 0)));
    }
}

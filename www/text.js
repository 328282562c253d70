// Live text in a <textarea>: what one keystroke changed, as a splice the
// node applies; and the caret carried through a change made elsewhere.

/** The smallest splice turning `before` into `after` (one edit, as typing makes). */
export function diff(before, after) {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  // Never split a surrogate pair (an emoji): the node counts characters.
  const high = (text, i) => i > 0 && /[\uD800-\uDBFF]/.test(text[i - 1]);
  if (high(before, start)) start--;
  let end = 0;
  while (
    end < before.length - start &&
    end < after.length - start &&
    before[before.length - 1 - end] === after[after.length - 1 - end]
  )
    end++;
  if (end > 0 && high(before, before.length - end)) end--;
  return { index: start, deleteCount: before.length - start - end, insert: after.slice(start, after.length - end) };
}

/** A position in `before` moved through the splice that made `after`. */
export function moved(position, { index, deleteCount, insert }) {
  if (position <= index) return position;
  if (position >= index + deleteCount) return position - deleteCount + insert.length;
  return index + insert.length;
}

/**
 * Shows `text` in `area`, keeping the caret and selection where they were
 * relative to the text around them. `area.dataset.shown` is the text the
 * node had when last shown: the next keystroke is diffed against it.
 */
export function showText(area, text) {
  if (area.value === text) {
    area.dataset.shown = text;
    return;
  }
  const change = diff(area.value, text);
  const [start, end] = [moved(area.selectionStart, change), moved(area.selectionEnd, change)];
  area.value = text;
  area.dataset.shown = text;
  area.setSelectionRange(start, end);
}

// Finding records by what they hold: the Records panel's search box.
// Without the DOM, so it is tested in Node (tests/browser/record-search.test.mjs).

/** A field's value as the page shows it in a cell. */
export const valueText = (v) =>
  v === null || v === undefined ? "" : typeof v === "object" ? ("text" in v ? v.text : `(${v.unsupported})`) : String(v);

/** Each record object's words, lowercased: objects are kept while their record reads the same. */
const recordWords = new WeakMap();

/**
 * Whether `record` holds every word of `words` (lowercased) in its name or
 * in a field's value — any of its versions: a value written at the same
 * time as another shows among the field's versions, and the person who
 * wrote it looks for it by what they wrote.
 */
export function matches(record, words) {
  let text = recordWords.get(record);
  if (text === undefined) {
    const values = Object.values(record.fields).flatMap((f) => [f.value, ...f.conflicts].map(valueText));
    text = [record.id, ...values].join("\n").toLowerCase();
    recordWords.set(record, text);
  }
  return words.every((w) => text.includes(w));
}

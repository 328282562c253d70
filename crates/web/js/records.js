// Records as JS objects, in order: each kept one taken from the last read's
// array, each new or changed one from `fresh` (the façade's conversion of
// just those, in one call). A collection can hold thousands of records and
// a keystroke changes one; converting all of them at every read was most of
// the read (≈ 30 ms for 5,000). Nothing is decided here.

/**
 * The records in order: record `i` is `previous[fromPrevious[i]]` where that
 * is 0 or more, else the next of `fresh`, frozen through and through (later
 * reads hand it out again: an app writing to it would change what they
 * return).
 */
export function placeRecords(previous, fromPrevious, fresh) {
  const records = new Array(fromPrevious.length);
  let next = 0;
  for (let i = 0; i < records.length; i++) {
    const j = fromPrevious[i];
    records[i] = j >= 0 ? previous[j] : frozen(fresh[next++]);
  }
  return records;
}

function frozen(value) {
  for (const inner of Object.values(value)) {
    if (inner !== null && typeof inner === "object") frozen(inner);
  }
  return Object.freeze(value);
}

/**
 * A record's field named "__proto__", which the conversion set as the
 * prototype of `fields` (it sets keys by assignment), made an own field
 * again at position `at` among them (`record_objects.rs`).
 */
export function ownProtoField(record, at) {
  const value = Object.getPrototypeOf(record.fields);
  const entries = Object.entries(record.fields);
  entries.splice(at, 0, ["__proto__", value]);
  const fields = {};
  for (const [name, field] of entries) {
    Object.defineProperty(fields, name, { value: field, enumerable: true, writable: true, configurable: true });
  }
  record.fields = fields;
}

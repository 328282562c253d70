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
  // A field named "__proto__" becomes the prototype of `fields` (the
  // conversion sets each key by assignment): frozen too.
  const proto = Object.getPrototypeOf(value);
  if (proto !== null && proto !== Object.prototype && proto !== Array.prototype) frozen(proto);
  return Object.freeze(value);
}

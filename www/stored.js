// What the page remembers in this browser's web storage. A browser may
// refuse it (site data blocked, some private modes, a full quota): reading
// then gives null and writing does nothing, so the page still works and
// only forgets what it would have remembered (a nickname, a last name, that
// a backup was saved — each read's caller takes the safe side).

/** The storage area ("local" or "session"), or null where even asking for it throws. */
export function area(kind = "local") {
  try {
    return (kind === "session" ? globalThis.sessionStorage : globalThis.localStorage) ?? null;
  } catch {
    return null;
  }
}

/** What `kind` storage ("local" or "session") holds under `key`, or null. */
export function readStored(key, kind = "local") {
  try {
    return area(kind)?.getItem(key) ?? null;
  } catch {
    return null;
  }
}

/** Keeps `value` under `key` (null removes it); false if storage refused. */
export function writeStored(key, value, kind = "local") {
  const storage = area(kind);
  if (!storage) return false;
  try {
    if (value === null) storage.removeItem(key);
    else storage.setItem(key, value);
    return true;
  } catch {
    return false;
  }
}

/** `JSON.parse` of what `key` holds, or `fallback` if nothing or unreadable. */
export function readStoredJson(key, fallback) {
  try {
    return JSON.parse(readStored(key) ?? "null") ?? fallback;
  } catch {
    return fallback;
  }
}

// Nicknames I give people (petnames): kept on this device only, never
// published, and shown instead of the name a person claims for themselves.
// Anyone may claim any name (two people may both say "Alice"); a nickname
// is mine, so it settles who is who on my page and lets me pay by it.

import { readStoredJson, writeStored } from "./stored.js";

/** The nicknames of identity `me` (a Map key → nickname), kept in localStorage. */
export function petnames(me) {
  const storageKey = `trustfold.petnames.${me}`;
  let cached = null;
  const read = () => {
    if (cached) return cached;
    const stored = readStoredJson(storageKey, {});
    // Unreadable storage: no nicknames, claimed names still show.
    cached = new Map(typeof stored === "object" ? Object.entries(stored) : []);
    return cached;
  };
  return {
    all: read,
    /** Sets (or, with an empty nickname, removes) my nickname for `key`. */
    set(key, nickname) {
      const all = new Map(read());
      const text = nickname.trim();
      if (text) all.set(key, text);
      else all.delete(key);
      writeStored(storageKey, JSON.stringify(Object.fromEntries(all)));
      cached = all;
    },
  };
}

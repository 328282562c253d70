// Nicknames I give people (petnames): kept on this device only, never
// published, and shown instead of the name a person claims for themselves.
// Anyone may claim any name (two people may both say "Alice"); a nickname
// is mine, so it settles who is who on my page and lets me pay by it.

/** The nicknames of identity `me` (a Map key → nickname), kept in localStorage. */
export function petnames(me) {
  const storageKey = `trustfold.petnames.${me}`;
  let cached = null;
  const read = () => {
    if (cached) return cached;
    try {
      cached = new Map(Object.entries(JSON.parse(localStorage.getItem(storageKey) ?? "{}")));
    } catch {
      cached = new Map(); // unreadable storage: no nicknames, claimed names still show
    }
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
      localStorage.setItem(storageKey, JSON.stringify(Object.fromEntries(all)));
      cached = all;
    },
  };
}

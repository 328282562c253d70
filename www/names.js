// People as the page names them. A key becomes "you", the name its owner
// gave themselves, or a short key; a typed name becomes a key. Names are
// applied to keys only, never to text: a sentence (a reason someone typed)
// is shown as it is, whatever it contains.

/** The collection of names people give themselves: one record per key, field `name`. */
export const PEOPLE = "people";

/** The first 8 hex digits of a key, marked as cut. */
export const short = (key) => `${key.slice(0, 8)}…`;

/** Is `text` a key (64 lowercase hex digits)? */
export const isKey = (text) => /^[0-9a-f]{64}$/.test(text);

/** A name others may see: not "you", not key-like, no control or direction marks. */
export function fairName(name) {
  const text = name.trim();
  return (
    text.length > 0 &&
    text.length <= 40 &&
    text.toLowerCase() !== "you" &&
    !/^[0-9a-f]{8,}/i.test(text) &&
    !/[\p{Cc}\p{Cf}]/u.test(text)
  );
}

/**
 * The names in the people collection: only what each key's owner wrote in
 * the record under their own key (anyone may write any record), and only
 * fair names. `claims` is `node.selfClaims(PEOPLE)`: a banned person keeps
 * their name (a ban stops what they do from counting, not what they are
 * called), so they can still be recognised, unbanned and paid by name.
 */
export function namesFrom(claims) {
  const names = new Map();
  for (const { author, record } of claims) {
    const name = record.fields.name?.value;
    if (typeof name === "string" && fairName(name)) names.set(author, name.trim());
  }
  return names;
}

/** A typed name or key that is not one person: the error says which, with a stable code. */
function personError(code, message) {
  return Object.assign(new Error(message), { code });
}

/**
 * `who(key)`: a person as the page names them — my nickname for them
 * (`petnames`, a Map key → nickname), else the name they claim, else a
 * short key; `keyFrom(text)`: the key a typed key, nickname or name stands
 * for (throws AMBIGUOUS_NAME or UNKNOWN_PERSON). A nickname wins over a
 * claimed name when both match what was typed. `claimed(key)`: the name a
 * key claims as others are shown it ("Bob (4eafe5)" when two claim Bob).
 */
export function naming(me, names, petnames = new Map()) {
  const counts = new Map();
  for (const name of names.values()) counts.set(name.toLowerCase(), (counts.get(name.toLowerCase()) ?? 0) + 1);
  // The name `key` claims as everyone is shown it (null if none): two
  // people with one name stay apart everywhere.
  const claimed = (key) => {
    const name = names.get(key);
    if (!name) return null;
    return counts.get(name.toLowerCase()) > 1 ? `${name} (${key.slice(0, 6)})` : name;
  };
  const who = (key) => {
    if (key === me) return "you";
    return petnames.get(key) || claimed(key) || short(key);
  };
  const keyFrom = (text) => {
    const value = text.trim();
    if (isKey(value)) return value;
    const lower = value.toLowerCase();
    if (lower === "you") return me;
    const mine = [...petnames].filter(([, nickname]) => nickname.toLowerCase() === lower).map(([key]) => key);
    if (mine.length === 1) return mine[0];
    // What `who` shows for a claimed name two people share: "Alice (4eafe5)".
    const shown = [...names.keys()].filter((key) => who(key).toLowerCase() === lower);
    if (shown.length === 1) return shown[0];
    const matches = [...names].filter(([, name]) => name.toLowerCase() === lower).map(([key]) => key);
    if (matches.length > 1) {
      // Names are chosen by people themselves: never guess between two.
      throw personError(
        "AMBIGUOUS_NAME",
        `Several people are called “${value}” (${matches.map(short).join(", ")}): paste the key.`,
      );
    }
    if (matches.length === 1) return matches[0];
    throw personError("UNKNOWN_PERSON", `“${value}” is neither a key (64 hex digits) nor a known name.`);
  };
  return { who, keyFrom, claimed };
}

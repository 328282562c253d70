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

/**
 * How the page tells two people of one name apart, "Carol (261d73)": a
 * name (or nickname) ending so would pass for another person's tag.
 */
const TAG = /\(\s*[0-9a-f]{4,}\s*\)\s*$/i;

/** Why `name` cannot be a name others see (null if it can), in words. */
export function unfairName(name) {
  const text = name.trim();
  if (text.length === 0) return "A name needs a letter.";
  if (text.length > 40) return `“${text}” is too long for a name: 40 characters at most.`;
  if (text.toLowerCase() === "you") return "“you” cannot be a name: it is how the page names you to yourself.";
  if (/^[0-9a-f]{8,}/i.test(text)) return `“${text}” cannot be a name: it looks like a key.`;
  if (/[\p{Cc}\p{Cf}]/u.test(text)) return "A name cannot hold invisible characters (zero-width or direction marks): type it again.";
  if (TAG.test(text)) {
    return `“${text}” cannot be a name: a key's start in brackets at its end is how the page tells two people of one name apart.`;
  }
  return null;
}

/** A name others may see: not "you", not key-like, no control or direction marks, no key tag. */
export function fairName(name) {
  return unfairName(name) === null;
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

// Letters of other scripts drawn like Latin ones: "Сarol" with a Cyrillic
// С must not pass for Carol. Capitals first (a Cyrillic В is drawn as B,
// its small letter is not), then small letters.
const LIKE_CAPITAL = {
  А: "A", В: "B", Е: "E", К: "K", М: "M", Н: "H", О: "O", Р: "P", С: "C", Т: "T", Х: "X", У: "Y", Ѕ: "S", І: "I", Ј: "J",
  Α: "A", Β: "B", Ε: "E", Ζ: "Z", Η: "H", Ι: "I", Κ: "K", Μ: "M", Ν: "N", Ο: "O", Ρ: "P", Τ: "T", Υ: "Y", Χ: "X",
};
const LIKE_SMALL = {
  а: "a", е: "e", о: "o", р: "p", с: "c", у: "y", х: "x", ѕ: "s", і: "i", ј: "j", ԁ: "d", һ: "h", ӏ: "l", ԛ: "q", ԝ: "w",
  ο: "o", ν: "v", α: "a", ι: "i", κ: "k", ρ: "p", τ: "t", υ: "u", χ: "x",
  // Drawn alike in many fonts: I and l, 1 and l, 0 and o.
  1: "l", "|": "l", 0: "o",
};

/**
 * How a name looks, for telling names apart: accents dropped, letters of
 * other scripts drawn like Latin ones as those, small letters, "i" as
 * "l". Two names that look alike this way are told apart by their keys,
 * as two names that are the same are.
 */
export function lookalike(name) {
  const plain = name.trim().normalize("NFKD").replace(/\p{M}/gu, "");
  const capitals = [...plain].map((c) => LIKE_CAPITAL[c] ?? c).join("").toLowerCase();
  return [...capitals].map((c) => LIKE_SMALL[c] ?? c).join("").replaceAll("i", "l");
}

/** How many letters to add, remove or change to turn `a` into `b` (Levenshtein). */
function editDistance(a, b) {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    row = next;
  }
  return row[b.length];
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
  for (const name of names.values()) counts.set(lookalike(name), (counts.get(lookalike(name)) ?? 0) + 1);
  // My nicknames, by look: a name someone claims that looks like my
  // nickname for someone else is told apart too.
  const nicknamed = new Map([...petnames].map(([key, nickname]) => [lookalike(nickname), key]));
  // The name `key` claims as everyone is shown it (null if none): two
  // people with one name, or names that look alike, stay apart everywhere.
  const claimed = (key) => {
    const name = names.get(key);
    if (!name) return null;
    return counts.get(lookalike(name)) > 1 ? `${name} (${key.slice(0, 6)})` : name;
  };
  // Each key's words, once per naming: a list of 100,000 payments asks
  // for the same 200 people again and again, and reading a name's look
  // (`lookalike`) is not free.
  const said = new Map();
  const who = (key) => {
    let words = said.get(key);
    if (words === undefined) said.set(key, (words = whoIs(key)));
    return words;
  };
  const whoIs = (key) => {
    if (key === me) return "you";
    const nickname = petnames.get(key);
    if (nickname) return nickname;
    const name = claimed(key);
    if (name && (nicknamed.get(lookalike(name)) ?? key) !== key) return `${name} (${key.slice(0, 6)})`;
    return name || short(key);
  };
  const keyFrom = (text) => {
    const value = text.trim();
    if (isKey(value)) return value;
    const lower = value.toLowerCase();
    if (lower === "you") return me;
    const mine = [...petnames].filter(([, nickname]) => nickname.toLowerCase() === lower).map(([key]) => key);
    if (mine.length === 1) {
      // Someone else took that name since: which one is meant is asked.
      const also = [...names].filter(([key, name]) => key !== mine[0] && lookalike(name) === lookalike(value));
      if (also.length === 0) return mine[0];
      throw personError(
        "AMBIGUOUS_NAME",
        `“${value}” is your nickname for ${short(mine[0])}, and ${also.map(([key]) => who(key)).join(", ")} now calls themselves that: type the key, or the name as shown (like “${who(also[0][0])}”).`,
      );
    }
    // What `who` shows for a claimed name two people share: "Alice (4eafe5)".
    const shown = [...names.keys()].filter((key) => who(key).toLowerCase() === lower);
    if (shown.length === 1) return shown[0];
    // That form, learned while two shared the name, still names its person
    // once they no longer do.
    const [, base, start] = /^(.*\S)\s*\(([0-9a-f]{6})\)$/.exec(lower) ?? [];
    if (base) {
      const named = [...names].filter(([key, name]) => key.startsWith(start) && lookalike(name) === lookalike(base));
      if (named.length === 1) return named[0][0];
    }
    const matches = [...names].filter(([, name]) => lookalike(name) === lookalike(value)).map(([key]) => key);
    if (matches.length > 1) {
      // Names are chosen by people themselves: never guess between two.
      throw personError(
        "AMBIGUOUS_NAME",
        `Several people are called “${value}”, or something that looks like it (${matches.map((key) => who(key)).join(", ")}): type one of those, or paste the key.`,
      );
    }
    if (matches.length === 1) return matches[0];
    if (/^[0-9a-f]{64}$/i.test(value)) return value.toLowerCase();
    // A name one or two letters off one in use: said, never paid.
    const near = [...new Set([...names.keys(), ...petnames.keys()].map((key) => who(key)))].filter(
      (shown) => editDistance(lookalike(shown), lookalike(value)) <= 2,
    );
    const guess = near.length ? ` Did you mean ${near.slice(0, 3).map((n) => `“${n}”`).join(" or ")}?` : "";
    throw personError(
      "UNKNOWN_PERSON",
      `Nobody here is called “${value}” (a name is the one a person gives themselves here, or yours for them).${guess} Or paste their key.`,
    );
  };
  /**
   * Why `nickname` cannot be mine for `key` (null if it can): it looks
   * like the name someone else claims, or my nickname for someone else —
   * two people would read as one on my page, and paying by it would pay
   * the one the nickname names.
   */
  const nicknameClash = (key, nickname) => {
    const look = lookalike(nickname);
    if (!look) return null;
    if (TAG.test(nickname.trim())) {
      return `“${nickname.trim()}” cannot be a nickname: a key's start in brackets is how the page tells two people of one name apart.`;
    }
    if (look === lookalike("you")) return "“you” is you on this page: choose another nickname.";
    const named = [...names].find(([other, name]) => other !== key && lookalike(name) === look);
    if (named) {
      return `“${nickname.trim()}” is what ${named[1]} (${short(named[0])}) calls themselves: choose a nickname that tells them apart, like “${nickname.trim()} 2”.`;
    }
    const mine = [...petnames].find(([other, name]) => other !== key && lookalike(name) === look);
    if (mine) return `“${nickname.trim()}” is already your nickname for ${short(mine[0])}: choose another.`;
    return null;
  };
  return { who, keyFrom, claimed, nicknameClash };
}

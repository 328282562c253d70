// The page's wording: sentences built from the node's structures (a
// transfer, why it does not count, a movement of a debt). The node answers
// in data, never in English; names come from `who`, which is applied to
// keys only, so text people typed (memos, reasons) is quoted as it is.
import { TrustfoldNode } from "trustfold";

/**
 * An amount (minor units) with its unit, as people write it ("12.50 EUR"):
 * the unit's decimals come from the library, the same on every page. A unit
 * disguised as another (invisible marks, look-alike letters: only old events
 * may hold one) shows its hidden characters.
 */
export function amountText(amount, unit) {
  return `${TrustfoldNode.formatAmount(amount, unit)} ${TrustfoldNode.unitLabel(unit)}`;
}

/**
 * `format(amount, unit)` asked once per amount and unit: a list of 100,000
 * payments repeats them, and each call asks the node. One per list made
 * (a search's words, an export), so it lives as long as the list.
 */
export function oncePerAmount(format) {
  const made = new Map();
  return (amount, unit) => {
    const at = `${amount} ${unit}`;
    let text = made.get(at);
    if (text === undefined) made.set(at, (text = format(amount, unit)));
    return text;
  };
}

/** How amounts of `unit` are typed, for the hint beside the Amount field. */
export function decimalsHint(unit) {
  if (!unit) return "";
  const places = TrustfoldNode.unitDecimals(unit);
  const example = TrustfoldNode.formatAmount(12n * 10n ** BigInt(places) + (places ? 5n * 10n ** BigInt(places - 1) : 0n), unit);
  return places === 0
    ? `${unit} is counted in whole numbers (like 12).`
    : `${unit} has ${places} decimal${places === 1 ? "" : "s"} (like ${example}).`;
}

/** Why a typed amount was not read, in words (the unit typed beside it). */
export function amountErrorWords(detail, unit) {
  switch (detail) {
    case "amount_empty":
      return "Type an amount.";
    case "amount_not_a_number":
      return "Type the amount as a number, like 12.50 (no spaces or thousands separators).";
    case "amount_too_precise": {
      const places = TrustfoldNode.unitDecimals(unit);
      return places === 0
        ? `${unit} is counted in whole numbers: no decimals.`
        : `${unit} has at most ${places} decimal${places === 1 ? "" : "s"}.`;
    }
    case "amount_grouped": {
      // "1,000": a thousand to some, one to others: not guessed.
      const places = TrustfoldNode.unitDecimals(unit);
      return places === 0
        ? `Is that a thousands separator? ${unit} is counted in whole numbers: type it without one, like 1000.`
        : `Is that a thousands separator? Type the amount without one, like 1000, or with at most ${places} decimal${places === 1 ? "" : "s"}, like 1.50.`;
    }
    case "amount_zero":
      return "The amount must be more than zero.";
    case "amount_too_large":
      return "That amount is too large.";
    default:
      return null;
  }
}

/** A time as the clock today ("14:05"), else the date. */
export function when(time) {
  const date = new Date(Number(time));
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : date.toLocaleDateString();
}

/** What the node's finer codes (`detail`) mean to a person. */
const DETAIL_WORDS = {
  self_transfer: "You cannot pay yourself.",
  zero_amount: "The amount must be more than zero.",
  unit_not_allowed: "That unit is not allowed: use capital letters and digits (EUR, HOUR) or one of € £ ¥ $ ₹ ₿.",
  unit_not_capitals: "Write the unit in capital letters (EUR, HOUR).",
  bad_unit: "That unit is not allowed: use capital letters and digits (EUR, HOUR) or one of € £ ¥ $ ₹ ₿.",
  memo_too_long: "The memo is too long: 256 bytes at most (an accented letter takes 2, an emoji 4).",
  reason_too_long: "The reason is too long.",
  self_trust: "You cannot publish a trust statement about yourself.",
  already_paid_back: "This payment is paid back in full already.",
  not_a_payment_to_you: "Only a payment made to you can be paid back.",
  unknown_payment: "This payment is not known here.",
  dispute_by_non_payer: "Only the person who paid can dispute a payment.",
  no_record: "That record does not exist (any more).",
  name_too_long: "That name is too long: 1,024 bytes at most (an accented letter takes 2, an emoji 4).",
  value_too_long: "That value is too long: a field holds 1 MB at most. Long writing belongs in a text field.",
};

/** What the node's codes mean to a person, where the message would not do. */
const CODE_WORDS = {
  QUOTA_EXCEEDED: "Your browser has no room left to save this. Nothing saved before is lost.",
  STORAGE_CLOSED: "This page's node is closed: reload the page.",
  STORAGE_FAILED: "Your browser could not save this. Try again; if it keeps failing, reload the page.",
  STORAGE_BLOCKED: "Another tab holds this network open in an older version: close it, then reload.",
  DAMAGED_STORE: "What this browser stored for this network is damaged: restore your backup.",
  OTHER_IDENTITY: "This browser already holds another identity for this network.",
  WRONG_PASSPHRASE: "That passphrase does not open this backup.",
  MALFORMED_BACKUP: "This file is not a trustfold backup, or it is damaged or cut short.",
  UNSUPPORTED_BACKUP_VERSION: "This backup was made by a newer version of trustfold.",
  BACKUP_OUT_OF_MEMORY: "Your device has not enough memory free to make a backup now.",
  NO_RANDOMNESS: "Your browser gives no secure randomness, so nothing can be signed here.",
  LOCK_REFUSED: "Another tab is writing: try again.",
  TABS_UNAVAILABLE: "This browser does not let tabs talk to each other here.",
  CONNECT_FAILED: "The signalling server could not be reached.",
  UNKNOWN_EVENT: "That payment or statement is not known here.",
  NOT_ADMITTED: "That change is not from a member of this network, so it was not let in.",
  MALFORMED_INVITE: "This invite link is damaged: ask the person who sent it for the whole link again.",
  BAD_NETWORK_NAME:
    "A network's name must not be empty, must be short (64 bytes at most: fewer letters if they are accented or emoji) and must not hold control characters.",
  OTHER_NETWORK: "What this browser stored here belongs to another network: it was left as it is.",
};

/**
 * An error as shown on the page: worded from its code (and the node's
 * finer `detail`), else its message — the page's own errors are worded
 * where they are made. Codes are never shown to people.
 */
export function errorText(e) {
  const words = DETAIL_WORDS[e?.detail] ?? CODE_WORDS[e?.code];
  if (words) return words;
  // The page's own errors (a name that is nobody's, a bad amount) are
  // worded where they are made; the library's messages are for developers
  // (they may hold codes and ids), so a code without words of its own gets
  // the words of its kind.
  if (!e?.code || PAGE_CODES.has(e.code)) return String(e?.message ?? e);
  return KIND_WORDS_OF_CODE[e.code] ?? "That could not be done. Try again; if it keeps failing, reload the page.";
}

/** Codes the page makes itself, with messages written for people. */
const PAGE_CODES = new Set(["AMBIGUOUS_NAME", "UNKNOWN_PERSON"]);

/** Words for a library code whose finer `detail` has none of its own. */
const KIND_WORDS_OF_CODE = {
  INVALID_EVENT: "That would break one of the network's rules, so it was not signed.",
  INVALID_ARGUMENT: "The page could not act on that: check what you typed.",
  DOCUMENT_ERROR: "That change to the record does not apply (the record or field may have changed meanwhile).",
  NOT_OPEN: "The page is still opening: try again in a moment.",
  PENDING_FULL: "Too much is waiting for earlier changes: try again once the page has caught up.",
};

/** Why someone not on my ban list is left out: "banned by Alice (you follow her bans)". */
export function followedBanWords(banned, who) {
  if (banned.reason === "forked") return "used one key on two devices at once (a fork), and you leave forks out";
  return `banned by ${listWords(banned.by.map(who))}, whose bans you follow`;
}

/** A transaction's status, as a word. */
export const STATUS = { included: "counts", excluded: "excluded", authorBanned: "author banned" };

/** A contest's verdict in my view, in words. */
export const VERDICT = {
  counted: "counts in your view",
  untrusted: "you do not follow its author",
  authorBanned: "its author is banned",
  retracted: "retracted",
  excluded: "itself excluded",
};

/**
 * The verdict of contest `c` (a statement with its `author`) in my view,
 * naming the statement's author where "its author" would read as the
 * payer's: "Bob is banned", "you do not follow Bob".
 */
export function verdictWords(c, who) {
  if (c.verdict === "authorBanned") return `${isWords(who(c.author))} banned`;
  if (c.verdict === "untrusted") return `you do not follow ${who(c.author)}`;
  return VERDICT[c.verdict] ?? c.verdict;
}

/** "disputed by Alice: “reason”" for one statement of an exclusion. */
export function statementWords(s, who, quote = (r) => `: “${r}”`) {
  return `${s.dispute ? "disputed" : "excluded"} by ${who(s.author)}${s.reason ? quote(s.reason) : ""}`;
}

/** Why an author is banned, from `why` of kind "authorBanned", in `viewer`'s view (a name; mine if none). */
function banWords(why, who, viewer) {
  if (why.ban === "local") return `${isWords(who(why.author))} on ${viewer ? `${viewer}'s` : "your"} ban list`;
  return authorBannedWords(why, who, viewer);
}

/** "Alice", "Alice and Bob", "Alice, Bob and Carol". */
export function listWords(names) {
  return names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/**
 * Why something does not count, in words ("" when it counts). `why` is the
 * node's structure: null, { kind: "excluded", by }, or { kind:
 * "authorBanned", author, ban, by }; `whose` names the ban list for a local
 * ban ("your" in my view, "Bob's" in Bob's).
 */
export function whyWords(why, who, viewer) {
  if (!why) return "";
  if (why.kind === "excluded") return why.by.map((s) => statementWords(s, who)).join("; ");
  return banWords(why, who, viewer);
}

/** What an event is, by its kind, when it is not a payment on the list. */
const KIND_WORDS = {
  transfer: "a payment",
  exclude: "an exclusion",
  dispute: "a dispute",
  retract: "a retraction",
  trust: "a trust statement",
  doc: "an edit of a record",
};

/**
 * What an event of a difference (`{ event, kind }`) is, in words: a
 * transfer as who paid whom, an edit by the records it touched when
 * `edits` (event → edits of records, `editsAmong`) has them, anything else
 * by its kind — never its id.
 */
export function eventWords(d, transactions, who, edits = new Map()) {
  const t = transactions.get(d.event);
  if (t) return paymentWords(t, who);
  const touched = edits.get(d.event);
  if (touched?.length) return touched.map((e) => editWords(e, who)).join(" and ");
  return KIND_WORDS[d.kind] ?? "a change";
}

/** One edit of a record (`{ author, made, deleted, restored, record, collection, fields }`) in words: whose, of which record, which fields. */
export function editWords(e, who) {
  const fields = e.fields.length ? ` (${e.fields.map((f) => `“${f}”`).join(", ")})` : "";
  const what = e.made ? "creation of" : e.deleted ? "deletion of" : e.restored ? "restoring of" : "edit of";
  return `${who(e.author)}’s ${what} “${e.record}” in “${e.collection}”${fields}`;
}

/** A payment on the list (`t`) in words: who paid whom, how much, its memo, and whether it pays one back. */
export function paymentWords(t, who) {
  const memo = quotedMemo(t.memo);
  return `${who(t.from)} → ${who(t.to)} ${amountText(t.amount, t.unit)}${t.reverses ? ` paying back${memo}` : memo}`;
}

/** A memo as a payment's words quote it, after a space; nothing if none. */
export function quotedMemo(memo) {
  return memo ? ` “${memo}”` : "";
}

/** A payment to me, from the payer's side: "Bob paid you 10.00 EUR “ticket”". */
export function receivedWords(t, who) {
  const memo = quotedMemo(t.memo);
  return `${who(t.from)} paid you${t.reverses ? " back" : ""} ${amountText(t.amount, t.unit)}${memo}`;
}

/**
 * A payment's memo on the list and in exports, marked when the payment
 * pays another back (`reverses`: the core's answer, never read from the memo).
 */
export function memoWords(t) {
  if (!t.reverses) return t.memo;
  return t.memo ? `Pays back: ${t.memo}` : "Pays back";
}

/**
 * One payment that makes up a debt, saying whether it counts and why not;
 * `because` joins the payment and the reason ("does not count:", or "was"
 * where the sentence says why a debt exists).
 */
export function movementWords(account, unit, m, who, because = "does not count:") {
  const [from, to] = m.delta < 0n ? [account, m.counterparty] : [m.counterparty, account];
  const amount = amountText(m.delta < 0n ? -m.delta : m.delta, unit);
  const what = `${who(from)} → ${who(to)} ${amount}`;
  if (m.counted) return `${what} counts`;
  if (m.why?.kind === "excluded") {
    const by = m.why.by.map((s) => statementWords(s, who, (r) => ` (“${r}”)`));
    return `${what} ${because} ${by.join(", ") || "excluded"}`;
  }
  // An author left out: "was left out: Bob is banned by Alice, whose bans you follow".
  const verb = because === "was" ? "was left out:" : because;
  return `${what} ${verb} ${authorBannedWords(m.why, who)}`;
}

/**
 * "Bob is banned by Alice, whose bans you follow" from `why` of kind
 * "authorBanned"; "… whose bans Carol follows" in `viewer`'s view.
 */
function authorBannedWords(why, who, viewer) {
  const author = why?.author ? who(why.author) : "its author";
  const by = (why?.by ?? []).map(who);
  const follows = viewer ? `${viewer} follows` : "you follow";
  if (why?.ban === "published" && by.length) return `${isWords(author)} banned by ${listWords(by)}, whose bans ${follows}`;
  if (why?.ban === "forked") return `${author} signed two histories (a fork)`;
  return `${isWords(author)} on your ban list`;
}

/** "Bob is", "you are": `who` names me "you". */
function isWords(name) {
  return name === "you" ? "you are" : `${name} is`;
}

/** A network's kind, in words: what it is and who can read it. */
export const NETWORK_KIND = {
  open: { label: "Open network", who: "anyone who knows this name can read it" },
  private: { label: "Private network", who: "only people with its invite can read it or join" },
};

/** What a void event's body did wrong, by the rule its body broke (its `reason`). */
const BROKEN_RULE = {
  zero_amount: "a payment of nothing",
  self_transfer: "a payment to its own author",
  bad_unit: "a unit that is not allowed",
  unit_not_allowed: "a unit that is not allowed",
  unit_not_capitals: "a unit that is not allowed",
  memo_too_long: "a note too long",
  reason_too_long: "a reason too long",
  self_trust: "a trust statement about its own author",
  bad_change: "a damaged edit of a record",
  bad_change_size: "a damaged edit of a record",
  forged_actor: "an edit of a record made in someone else's name",
  missing_dependency: "an edit of a record missing what it builds on",
  bad_reversal: "a payback that does not match its payment",
  dispute_by_non_payer: "a dispute by someone who did not pay",
  retract_by_other: "a retraction of someone else's statement",
};

/** What happened to a void event, from its `reason` code: it could not be read, or broke a rule. */
function voidWhat(reason) {
  if (["undecryptable_body", "malformed_body", "sealed_body"].includes(reason)) return "could not be read";
  const rule = BROKEN_RULE[reason];
  return rule ? `broke a rule of the network (${rule})` : "broke a rule of the network";
}

/**
 * The events of a private network that count for nothing (`voidEvents()`:
 * `{ event, author, reason }`), in sentences by author and what went
 * wrong: "2 events by Alice could not be read; they count for nothing."
 * Never by event id.
 */
export function voidWords(voids, who) {
  const groups = new Map(); // "author what" → { author, what, n }, in order of first appearance
  for (const v of voids) {
    const what = voidWhat(v.reason);
    const key = `${v.author} ${what}`;
    const group = groups.get(key) ?? { author: v.author, what, n: 0 };
    group.n++;
    groups.set(key, group);
  }
  return [...groups.values()].map(
    ({ author, what, n }) =>
      `${n} ${n === 1 ? "change" : "changes"} by ${who(author)} ${what}; ${n === 1 ? "it counts" : "they count"} for nothing.`,
  );
}

// ---------------------------------------------------------------- the relay

/** A whole number as people write it here ("1,000,000"). */
const number = (n) => Number(n).toLocaleString("en");

/** "1 change", "12 changes": what the relay stores (payments, edits, trust statements). */
export const changes = (n) => `${number(n)} ${n === 1 ? "change" : "changes"}`;

/** Bytes in decimal units ("5 MB", "1.1 GB"). */
export function bytesWords(n) {
  for (const [size, unit] of [[1e9, "GB"], [1e6, "MB"], [1e3, "kB"]]) {
    if (n >= size) return `${number(Math.round((n / size) * 10) / 10)} ${unit}`;
  }
  return `${number(n)} ${n === 1 ? "byte" : "bytes"}`;
}

/** A duration in seconds, in words ("45 seconds", "5 minutes", "2 hours"). */
export function durationWords(seconds) {
  const [n, unit] =
    seconds < 120
      ? [seconds, "second"]
      : seconds < 7200
        ? [Math.round(seconds / 60), "minute"]
        : [Math.round(seconds / 3600), "hour"];
  return `${number(n)} ${unit}${n === 1 ? "" : "s"}`;
}

/** A percentage as a share of something ("a quarter", "half", "30%"). */
export function shareWords(percent) {
  const named = { 100: "all", 50: "half", 25: "a quarter", 20: "a fifth", 10: "a tenth" };
  return named[percent] ?? `${number(percent)}%`;
}

/** What a person's changes do while the relay cannot take them. */
const KEPT = "your changes are kept here and go directly to people online";
/** What a person's new changes do while the relay refuses them for a quota. */
const ONLY_ONLINE = "your new changes reach people only while both of you are online";

/** The relay's codes (errors, after which it closed the link), in words; the link retries by itself. */
const RELAY_ERROR_WORDS = {
  RATE_LIMITED: `The relay closed the link: this page sent too much at once. Retrying — ${KEPT}.`,
  RELAY_FULL: `The relay is serving as many networks as it can. Retrying — ${KEPT}.`,
  SHUTTING_DOWN: `The relay is restarting. Reconnecting — ${KEPT}.`,
};

/** How long "the relay takes the rest later" stays said after the relay last said `author_rate`. */
const RATE_SAID_MS = 20000;

/**
 * The relay link in one calm line, from `node.relay` ({ state, unsent,
 * notice, limits }); `lost` says the page saw the link fail since it was
 * last up (so a new attempt is still "unreachable", not "connecting"),
 * `known` how many changes the page holds (none: nothing is saved yet), and
 * `now` is the tab's clock (the notice's `at` is on it). Returns { text,
 * tone }: tone "ok", "busy", "trouble" or "" (nothing to say: not
 * connected, as when working offline).
 */
export function relayWords(relay, lost, known, now = Date.now()) {
  const code = relay.notice?.code;
  if (relay.state === "none") return { text: "", tone: "" };
  if (code === "NO_RELAY" && relay.state !== "open") {
    return { text: `No relay on this server: ${KEPT}.`, tone: "" };
  }
  if (relay.state === "open") {
    if (code === "network_full") {
      return { text: `The relay is full for this network: ${ONLY_ONLINE}.`, tone: "trouble" };
    }
    if (code === "author_quota") {
      const limits = relay.limits;
      const share = limits ? ` (${shareWords(limits.authorSharePercent)} of what it keeps for this network)` : "";
      return { text: `You have used your share of the relay${share}: ${ONLY_ONLINE}.`, tone: "trouble" };
    }
    // Not stored yet for its author's rate: sent again in a later round, so said for a while.
    if (code === "author_rate" && now - relay.notice.at < RATE_SAID_MS) {
      const perMinute = relay.limits?.authorEventsPerMinute;
      const rate = perMinute ? `at most ${changes(perMinute)} a minute from one person` : "only so many";
      return { text: `The relay takes ${rate}: the rest of yours are sent again shortly.`, tone: "busy" };
    }
    if (relay.unsent > 0) return { text: `Sending ${changes(relay.unsent)} to the relay…`, tone: "busy" };
    // Linked, with nothing made yet: nothing is "saved" to speak of.
    if (known === 0) return { text: "Linked to the relay: what is made here is kept there too", tone: "ok" };
    return { text: "Saved on the relay", tone: "ok" };
  }
  if (relay.state === "connecting" && !lost) return { text: "Connecting to the relay…", tone: "busy" };
  return { text: RELAY_ERROR_WORDS[code] ?? `Relay unreachable — retrying; ${KEPT}.`, tone: "trouble" };
}

/**
 * The relay's published limits (`node.relay.limits`) in sentences: what it
 * keeps per network, each person's share, that it deletes nothing, and
 * when it unloads a network nobody uses.
 */
export function relayLimitsWords(l) {
  return [
    `This relay keeps up to ${changes(l.maxEventsPerNetwork)} (${bytesWords(l.maxBytesPerNetwork)}) per network; ` +
      `each person may use ${shareWords(l.authorSharePercent)} of that, ` +
      `and it takes up to ${changes(l.authorEventsPerMinute)} a minute from one person.`,
    l.evictsEvents ? "It may delete what it stored." : "It never deletes what it stored.",
    `After ${durationWords(l.idleReleaseSeconds)} with nobody here, the relay sets this network aside: ` +
      "whoever comes back first may wait a moment while it is brought back.",
  ];
}

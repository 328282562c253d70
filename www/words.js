// The page's wording: sentences built from the node's structures (a
// transfer, why it does not count, a movement of a debt). The node answers
// in data, never in English; names come from `who`, which is applied to
// keys only, so text people typed (memos, reasons) is quoted as it is.
import { TrustfoldNode } from "trustfold";

/** An amount with its unit, a disguised unit showing its hidden characters. */
export function amountText(amount, unit) {
  // A unit disguised as another (invisible marks, look-alike letters: only
  // old events may hold one) shows its hidden characters.
  return `${amount} ${TrustfoldNode.unitLabel(unit)}`;
}

/** A time as the clock today ("14:05"), else the date. */
export function when(time) {
  const date = new Date(Number(time));
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : date.toLocaleDateString();
}

/** An error as shown on the page: its code first when it has one. */
export const errorText = (e) => (e?.code ? `${e.code}: ${e.message}` : String(e?.message ?? e));

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

/** "disputed by Alice: “reason”" for one statement of an exclusion. */
export function statementWords(s, who, quote = (r) => `: “${r}”`) {
  return `${s.dispute ? "disputed" : "excluded"} by ${who(s.author)}${s.reason ? quote(s.reason) : ""}`;
}

/** Why an author is banned, from `why` of kind "authorBanned"; `whose` ban list ("my", "Bob's"). */
function banWords(why, who, whose) {
  const because = {
    local: `on ${whose} ban list`,
    forked: "signed two histories",
    published: `banned by ${why.by.length} trusted authors (${why.by.map(who).join(", ")})`,
  }[why.ban] ?? why.ban; // a kind this page does not know yet, by its name
  return `author ${who(why.author)} is banned: ${because}`;
}

/**
 * Why something does not count, in words ("" when it counts). `why` is the
 * node's structure: null, { kind: "excluded", by }, or { kind:
 * "authorBanned", author, ban, by }; `whose` names the ban list for a local
 * ban ("my" in my view, "Bob's" in Bob's).
 */
export function whyWords(why, who, whose = "my") {
  if (!why) return "";
  if (why.kind === "excluded") return why.by.map((s) => statementWords(s, who)).join("; ");
  return banWords(why, who, whose);
}

/** What an event is, for lists of differences: a transfer in words, or a short id. */
export function eventWords(id, transactions, who) {
  const t = transactions.get(id);
  return t
    ? `${who(t.from)} → ${who(t.to)} ${amountText(t.amount, t.unit)}${t.memo ? ` “${t.memo}”` : ""}`
    : `event ${id.slice(0, 8)}`;
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
  return `${what} ${because} its author is banned`;
}

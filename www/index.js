// The node page: open it to join. `#net=NAME` names the network (also
// `?network=NAME`); the first visit makes an identity and offers a backup,
// later visits resume it. It shows the state saved last time at once, then
// the state computed from the log, and keeps every panel current: this tab,
// other tabs, and other browsers in the network (WebRTC, found through the
// signalling server that serves this page).
import init, { TrustfoldNode } from "trustfold";
import { registerServiceWorker, keepConnected } from "./offline.js";
import { balanceSeries, balancePlot } from "./pictures/balance.js";
import { trustGraph } from "./pictures/trust.js";
import { picturesCss } from "./pictures/svg.js";

const network =
  new URLSearchParams(location.hash.slice(1)).get("net") ??
  new URLSearchParams(location.search).get("network") ??
  "main";
/** Names people give themselves: one record per key, field `name`. */
const PEOPLE = "people";

const $ = (selector) => document.querySelector(selector);
const el = (tag, props = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (name.includes("-")) node.setAttribute(name, value); // aria-*, data-*
    else node[name] = value;
  }
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
};
const short = (key) => `${key.slice(0, 8)}…`;
const isKey = (text) => /^[0-9a-f]{64}$/.test(text);
const errorText = (e) => (e?.code ? `${e.code}: ${e.message}` : String(e?.message ?? e));

let node;
let me;
let names = new Map();

/** A name others may see: not "you", not key-like, no control or direction marks. */
function fairName(name) {
  const text = name.trim();
  return (
    text.length > 0 &&
    text.length <= 40 &&
    text.toLowerCase() !== "you" &&
    !/^[0-9a-f]{8,}/i.test(text) &&
    !/[\p{Cc}\p{Cf}]/u.test(text)
  );
}

/** A person as the page names them: "you", their chosen name, or a short key. */
function who(key) {
  if (key === me) return "you";
  const name = names.get(key);
  if (!name) return short(key);
  // Two people with one name stay apart everywhere.
  const shared = [...names.values()].filter((n) => n.toLowerCase() === name.toLowerCase()).length > 1;
  return shared ? `${name} (${key.slice(0, 6)})` : name;
}

/** Replaces every key in a sentence from the core with the person's name. */
function words(text) {
  return text.replace(/[0-9a-f]{64}/g, who);
}

/** A key typed or picked in a form: a key, or a known person's name. */
function keyFrom(text) {
  const value = text.trim();
  if (isKey(value)) return value;
  const lower = value.toLowerCase();
  if (lower === "you") return me;
  const matches = [...names].filter(([, name]) => name.toLowerCase() === lower).map(([key]) => key);
  if (matches.length > 1) {
    // Names are chosen by people themselves: never guess between two.
    throw Object.assign(new Error(`several people are called “${value}” (${matches.map(short).join(", ")}): paste the key`), {
      code: "AMBIGUOUS_NAME",
    });
  }
  if (matches.length === 1) return matches[0];
  throw Object.assign(new Error(`“${value}” is neither a key (64 hex digits) nor a known name`), {
    code: "UNKNOWN_PERSON",
  });
}

function amountText(amount, unit) {
  // A unit disguised as another (invisible marks, look-alike letters: only
  // old events may hold one) shows its hidden characters.
  return `${amount} ${TrustfoldNode.unitLabel(unit)}`;
}

function when(time) {
  const date = new Date(Number(time));
  const today = new Date().toDateString() === date.toDateString();
  return today ? date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }) : date.toLocaleDateString();
}

// ---------------------------------------------------------------- panels

const tabs = [...document.querySelectorAll("[role=tab]")];
function selectTab(tab) {
  for (const t of tabs) {
    const selected = t === tab;
    t.setAttribute("aria-selected", String(selected));
    t.tabIndex = selected ? 0 : -1;
    $(`#${t.getAttribute("aria-controls")}`).hidden = !selected;
  }
  agreementFor = ""; // a panel opened shows what is current
  agreementAt = 0;
  render();
}
for (const tab of tabs) {
  tab.addEventListener("click", () => selectTab(tab));
  tab.addEventListener("keydown", (event) => {
    const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
    if (!step) return;
    const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
    next.focus();
    selectTab(next);
  });
}
const visible = (id) => !$(`#${id}`).hidden;

// ---------------------------------------------------------------- people

function loadNames() {
  names = new Map();
  for (const { id } of node.records(PEOPLE)) {
    if (!isKey(id)) continue;
    // Only what the key's owner wrote: anyone may write any record.
    const name = node.recordBy(PEOPLE, id, id)?.fields.name?.value;
    if (typeof name === "string" && fairName(name)) names.set(id, name.trim());
  }
}

/** Everyone the page knows of: named people, balance holders, trust subjects, linked peers. */
function knownKeys() {
  const keys = new Set(names.keys());
  for (const b of node.balances()) keys.add(b.account);
  for (const s of node.publishedTrust()) keys.add(s.author).add(s.subject);
  for (const p of node.peers()) if (p.key) keys.add(p.key);
  const policy = node.policy();
  for (const k of [...policy.trusted, ...policy.banned]) keys.add(k);
  keys.delete(me);
  return [...keys].sort((a, b) => who(a).localeCompare(who(b)));
}

function renderKnownKeys() {
  $("#known-keys").replaceChildren(
    ...knownKeys().map((key) => el("option", { value: names.get(key) ?? key, label: key })),
  );
}

// ---------------------------------------------------------------- ledger

function renderLedger() {
  const mine = node.balances().filter((b) => b.account === me);
  // A unit I paid or was paid in shows even when it nets to zero.
  for (const t of node.transactions(me)) {
    if (!mine.some((b) => b.unit === t.unit)) mine.push({ account: me, unit: t.unit, balance: 0n });
  }
  $("#my-balances").replaceChildren(
    ...(mine.length
      ? mine.map((b) =>
          el(
            "div",
            { className: "card" },
            el("div", { className: `amount ${b.balance < 0n ? "neg" : ""}`, textContent: amountText(b.balance, b.unit) }),
            el("div", { className: "muted", textContent: b.balance < 0n ? "you owe" : "balance" }),
          ),
        )
      : [el("p", { className: "muted", textContent: "No payments yet." })]),
  );
  $("#balances tbody").replaceChildren(
    ...node
      .balances()
      .map((b) =>
        el(
          "tr",
          {},
          el("td", { textContent: who(b.account), title: b.account }),
          el("td", { className: b.balance < 0n ? "neg" : "", textContent: amountText(b.balance, b.unit) }),
        ),
      ),
  );
  const all = node.transactions();
  paidBack = new Set(all.filter((t) => t.reverses && t.from === me).map((t) => t.reverses));
  // A reason being typed under a row is kept until it is sent or cancelled.
  const asking = document.activeElement?.closest?.("#transactions tr.ask");
  if (!asking) {
    $("#transactions tbody").replaceChildren(...all.reverse().slice(0, 200).map(transactionRow));
  }
}

let paidBack = new Set(); // payments to me I already paid back

/** Why a transaction does not count, in words, with names. */
function statusWords(t) {
  if (t.status === "included") return "";
  if (t.status === "excluded") {
    const counted = t.contests.filter((c) => c.verdict === "counted");
    return counted
      .map((c) => `${c.dispute ? "disputed" : "excluded"} by ${who(c.author)}${c.reason ? `: “${c.reason}”` : ""}`)
      .join("; ");
  }
  return words(t.reason);
}

const STATUS = { included: "counts", excluded: "excluded", authorBanned: "author banned" };
const VERDICT = {
  counted: "counts in your view",
  untrusted: "you do not follow its author",
  authorBanned: "its author is banned",
  retracted: "retracted",
  excluded: "itself excluded",
};

function transactionRow(t) {
  const row = el("tr", { className: t.status === "included" ? "" : "not-counted" });
  row.dataset.event = t.event;
  const actions = el("td");
  const act = (label, run) =>
    actions.append(
      el("button", {
        type: "button",
        textContent: label,
        onclick: () => run(row),
      }),
    );
  if (t.from === me) act("Dispute…", (r) => askReason(r, "dispute", (reason) => node.dispute(t.event, reason)));
  act("Exclude…", (r) => askReason(r, "exclude", (reason) => node.exclude(t.event, reason)));
  if (t.to === me && t.from !== me && t.status === "included" && !t.reverses && !paidBack.has(t.event)) {
    act("Pay back", () => guarded("#pay-error", () => node.payBack(t.event, `back: ${t.memo}`)));
  }
  const contests = t.contests.map((c) =>
    el(
      "span",
      { className: "reason" },
      `${c.dispute ? "Disputed" : "Excluded"} by ${who(c.author)}${c.reason ? `: “${c.reason}”` : ""} (${VERDICT[c.verdict] ?? c.verdict})`,
      c.author === me && c.verdict !== "retracted"
        ? el("button", {
            type: "button",
            textContent: "Retract",
            onclick: () => guarded("#pay-error", () => node.retract(c.statement)),
          })
        : null,
    ),
  );
  row.append(
    el("td", { textContent: when(t.time), className: "muted" }),
    el("td", { textContent: `${who(t.from)} → ${who(t.to)}` }),
    el("td", { textContent: amountText(t.amount, t.unit) }),
    el("td", { textContent: t.reverses ? `${t.memo} (pays back)` : t.memo }),
    el(
      "td",
      {},
      el("span", { className: `status ${t.status}`, textContent: STATUS[t.status] ?? t.status }),
      t.status === "included" ? null : el("span", { className: "reason why", textContent: statusWords(t) }),
      ...contests.filter((_, i) => t.status !== "excluded" || t.contests[i].verdict !== "counted" || t.contests[i].author === me),
    ),
    actions,
  );
  return row;
}

/** An inline form under a row asking why (for a dispute or an exclusion). */
function askReason(row, verb, publish) {
  const next = row.nextElementSibling;
  if (next?.classList.contains("ask")) return next.querySelector("input").focus();
  const input = el("input", { name: "reason", placeholder: `why you ${verb} it`, size: 30, required: true });
  const form = el(
    "form",
    {},
    el("label", {}, `Reason to ${verb}`, input),
    el("button", { textContent: verb === "dispute" ? "Publish dispute" : "Publish exclusion" }),
    el("button", { type: "button", className: "quiet", textContent: "Cancel", onclick: () => ask.remove() }),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (await guarded("#pay-error", () => publish(input.value.trim()))) ask.remove();
  });
  const ask = el("tr", { className: "ask" }, el("td", { colSpan: 6 }, form));
  row.after(ask);
  input.focus();
}

let busy = false; // an action in flight: a second click is not a second payment

/** Runs an action, showing its error (with its code) in `where`; true when it worked. */
async function guarded(where, action) {
  if (busy) return false;
  busy = true;
  $(where).textContent = "";
  try {
    await action();
    return true;
  } catch (e) {
    $(where).textContent = errorText(e);
    return false;
  } finally {
    busy = false;
  }
}

// Says which key a typed name stands for before anyone pays it.
$("#pay input[name=to]").addEventListener("input", (event) => {
  let text = "";
  try {
    const key = event.target.value.trim() ? keyFrom(event.target.value) : null;
    if (key) text = `→ ${who(key)} · ${key}`;
  } catch (e) {
    text = e.message;
  }
  $("#pay-to").textContent = text;
});
$("#pay").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const ok = await guarded("#pay-error", () =>
    node.pay(keyFrom(form.get("to")), BigInt(form.get("amount")), form.get("unit").trim().toUpperCase(), form.get("memo")),
  );
  if (ok) {
    event.target.elements.amount.value = "";
    event.target.elements.memo.value = "";
  }
});

// ---------------------------------------------------------------- debts

/** One sentence per payment that makes up a debt, saying why it does or does not count. */
function movementWords(account, unit, m) {
  const [from, to] = m.delta < 0n ? [account, m.counterparty] : [m.counterparty, account];
  const amount = amountText(m.delta < 0n ? -m.delta : m.delta, unit);
  const what = `${who(from)} → ${who(to)} ${amount}`;
  if (m.counted) return `${what} counts`;
  if (m.status === "excluded") {
    const by = m.contests
      .filter((c) => c.verdict === "counted")
      .map((c) => `${c.dispute ? "disputed" : "excluded"} by ${who(c.author)}${c.reason ? ` (“${c.reason}”)` : ""}`);
    return `${what} does not count: ${by.join(", ") || "excluded"}`;
  }
  return `${what} does not count: its author is banned`;
}

function renderDebts() {
  const debts = node.debts();
  $("#debt-list").replaceChildren(
    ...(debts.length
      ? debts.map((d) => {
          const notCounted = d.explanation.notCounted.filter((m) => m.delta > 0n);
          const because = notCounted.length
            ? ` because ${notCounted.map((m) => movementWords(d.account, d.unit, m).replace(" does not count:", " was")).join("; ")}`
            : "";
          return el(
            "li",
            { className: "debt" },
            el("strong", { textContent: `${who(d.account) === "you" ? "You owe" : `${who(d.account)} owes`} ${amountText(d.amount, d.unit)}` }),
            el("span", { className: "because", textContent: because }),
            el(
              "ul",
              {},
              ...[...d.explanation.counted, ...d.explanation.notCounted].map((m) =>
                el("li", { textContent: movementWords(d.account, d.unit, m) }),
              ),
            ),
          );
        })
      : [el("li", { className: "muted", textContent: "Nobody is below zero in your view." })]),
  );
}

// ---------------------------------------------------------------- trust

let pending = null; // the policy change waiting for "Apply"

function policyWith(change) {
  const policy = node.policy();
  const trusted = new Set(policy.trusted);
  const banned = new Set(policy.banned);
  const quorum = change.quorum ?? policy.quorum;
  const followBans = change.followBans ?? policy.followBans;
  if (change.trust) trusted.add(change.trust);
  if (change.untrust) trusted.delete(change.untrust);
  if (change.ban) banned.add(change.ban);
  if (change.unban) banned.delete(change.unban);
  return { me, trusted: [...trusted], banned: [...banned], quorum, followBans };
}

function describeChange(change) {
  if (change.trust) return `Trusting ${who(change.trust)}`;
  if (change.untrust) return `No longer trusting ${who(change.untrust)}`;
  if (change.ban) return `Banning ${who(change.ban)}`;
  if (change.unban) return `Lifting the ban on ${who(change.unban)}`;
  if (change.followBans !== undefined) {
    return change.followBans ? "Following bans published by people you trust" : "Ignoring bans published by others";
  }
  return `Needing ${change.quorum} trusted people`;
}

/** What an event is, in words, for the lists of differences. */
function eventWords(id, transactions) {
  const t = transactions.get(id);
  return t ? `${who(t.from)} → ${who(t.to)} ${amountText(t.amount, t.unit)}${t.memo ? ` “${t.memo}”` : ""}` : `event ${id.slice(0, 8)}`;
}

function preview(change) {
  pending = change;
  const policy = policyWith(change);
  const comparison = node.compareViews(policy);
  const after = new Map(node.balancesUnder(policy).map((b) => [`${b.account} ${b.unit}`, b.balance]));
  const before = new Map(node.balances().map((b) => [`${b.account} ${b.unit}`, b.balance]));
  const transactions = new Map(node.transactions().map((t) => [t.event, t]));
  const items = [
    ...comparison.onlyMine.map((d) => `${eventWords(d.event, transactions)} would stop counting (${words(d.reason) || d.status})`),
    ...comparison.onlyTheirs.map((d) => `${eventWords(d.event, transactions)} would count again`),
  ];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const [a, b] = [before.get(key) ?? 0n, after.get(key) ?? 0n];
    if (a !== b) {
      const [account, unit] = key.split(" ");
      items.push(`${who(account)}: ${amountText(a, unit)} → ${amountText(b, unit)}`);
    }
  }
  $("#preview-text").textContent = items.length
    ? `${describeChange(change)} would change your view:`
    : `${describeChange(change)} changes nothing in your view now.`;
  $("#preview-list").replaceChildren(...items.map((text) => el("li", { textContent: text })));
  $("#preview").hidden = false;
  $("#preview-apply").focus();
}

$("#trust-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const action = event.submitter?.value ?? "trust";
  $("#trust-error").textContent = "";
  try {
    preview({ [action]: keyFrom(event.target.elements.who.value) });
  } catch (e) {
    $("#trust-error").textContent = errorText(e);
  }
});
$("#preview-cancel").addEventListener("click", () => {
  pending = null;
  $("#preview").hidden = true;
});
$("#preview-apply").addEventListener("click", async () => {
  const change = pending;
  if (!change) return;
  const publish = $("#trust-form").elements.publish.checked;
  const ok = await guarded("#trust-error", async () => {
    if (change.trust) await node.trust(change.trust);
    if (change.untrust) await node.untrust(change.untrust);
    if (change.ban) await node.ban(change.ban);
    if (change.unban) await node.unban(change.unban);
    if (change.quorum) await node.setQuorum(change.quorum);
    if (change.followBans !== undefined) await node.followBans(change.followBans);
    const subject = change.trust ?? change.untrust ?? change.ban ?? change.unban;
    if (publish && subject) {
      await node.publishTrust(subject, change.trust ? "trusted" : change.ban ? "banned" : "neutral");
    }
  });
  if (ok) {
    pending = null;
    $("#preview").hidden = true;
    $("#trust-form").elements.who.value = "";
    render();
  }
});
$("#follow-bans").addEventListener("change", (event) => {
  const follow = event.target.checked;
  event.target.checked = !follow; // shown as it is until applied
  preview({ followBans: follow });
});
$("#quorum-form").addEventListener("submit", (event) => {
  event.preventDefault();
  preview({ quorum: Number(event.target.elements.quorum.value) });
});

function renderTrust() {
  const policy = node.policy();
  const item = (key, label, change) =>
    el(
      "li",
      {},
      el("span", { textContent: who(key), title: key }),
      " ",
      el("button", { type: "button", className: "quiet", textContent: label, onclick: () => preview(change(key)) }),
    );
  const none = (text) => [el("li", { className: "muted", textContent: text })];
  $("#trusted-list").replaceChildren(
    ...(policy.trusted.length ? policy.trusted.map((k) => item(k, "Untrust…", (key) => ({ untrust: key }))) : none("Nobody yet.")),
  );
  $("#banned-list").replaceChildren(
    ...(policy.banned.length ? policy.banned.map((k) => item(k, "Unban…", (key) => ({ unban: key }))) : none("Nobody.")),
  );
  $("#follow-bans").checked = policy.followBans;
  const quorum = $("#quorum-form").elements.quorum;
  if (document.activeElement !== quorum) quorum.value = policy.quorum;
}

// ---------------------------------------------------------------- agreement

/** Each author's latest published trust statements: author → subject → level. */
function publishedPolicies() {
  const latest = new Map();
  for (const s of node.publishedTrust()) {
    const mine = latest.get(s.author) ?? new Map();
    const seen = mine.get(s.subject);
    if (!seen || seen.time < s.time || (seen.time === s.time && seen.event < s.event)) mine.set(s.subject, s);
    latest.set(s.author, mine);
  }
  return latest;
}

let agreementAt = 0; // when the agreement panel was last computed
let agreementFor = ""; // the events and policy it was computed for
let agreementLater = null; // a redraw scheduled for when 3 s have passed

function renderAgreement() {
  // Each person's view is a full fold of the log: recompute at most every
  // 3 s while events stream in, and not at all when nothing changed.
  const state = `${node.syncStatus().known} ${JSON.stringify(node.policy())}`;
  if (state === agreementFor) return;
  if (Date.now() - agreementAt < 3000) {
    agreementLater ??= setTimeout(() => {
      agreementLater = null;
      render();
    }, 3000);
    return;
  }
  agreementAt = Date.now();
  agreementFor = state;
  const digest = node.viewDigest();
  $("#my-digest").textContent = digest.included.slice(0, 16);
  const transactions = new Map(node.transactions().map((t) => [t.event, t]));
  const people = new Set([...knownKeys()]);
  const published = publishedPolicies();
  const rows = [];
  for (const key of people) {
    const statements = [...(published.get(key)?.values() ?? [])];
    const trusted = statements.filter((s) => s.level === "trusted").map((s) => s.subject);
    const banned = statements.filter((s) => s.level === "banned").map((s) => s.subject);
    const policy = { me: key, trusted, banned };
    const theirs = node.viewDigestUnder(policy);
    const same = theirs.included === digest.included;
    const comparison = same ? { onlyMine: [], onlyTheirs: [] } : node.compareViews(policy);
    const name = who(key);
    const reasons = [
      ...comparison.onlyMine.map((d) => {
        // They leave it out: say why, in their view.
        return `${name} leaves out ${eventWords(d.event, transactions)}: ${words(d.reason) || d.status}; you count it`;
      }),
      ...comparison.onlyTheirs.map((d) => {
        const t = transactions.get(d.event);
        const mineWhy = (t?.contests ?? []).filter((c) => c.verdict === "counted");
        const notTrusted = mineWhy.filter((c) => c.author !== key && !trusted.includes(c.author)).map((c) => who(c.author));
        const whyMine = mineWhy.length
          ? mineWhy.map((c) => `${who(c.author)} ${c.dispute ? "disputes" : "excludes"} it`).join(" and ")
          : words(d.reason) || "it does not count for you";
        const theirSide = notTrusted.length ? `; ${name} does not trust ${notTrusted.join(" or ")}` : "";
        return `you exclude ${eventWords(d.event, transactions)} because ${whyMine}${theirSide}`;
      }),
    ];
    rows.push(
      el(
        "li",
        { className: same ? "agree" : "differ" },
        el("strong", { textContent: name }),
        ` — view ${theirs.included.slice(0, 16)} `,
        el("span", { className: same ? "status included" : "status excluded", textContent: same ? "same as yours" : "differs" }),
        statements.length ? null : el("span", { className: "reason", textContent: `${name} has published no trust list: this is the view of someone who trusts nobody.` }),
        reasons.length ? el("ul", {}, ...reasons.map((r) => el("li", { textContent: r }))) : null,
      ),
    );
  }
  $("#agreement-list").replaceChildren(...(rows.length ? rows : [el("li", { className: "muted", textContent: "Nobody else known yet." })]));
}

// ---------------------------------------------------------------- records

let collection = "notes";
/** Collection names seen on this device (the log keeps only their hashes). */
const COLLECTIONS = `trustfold-collections-${network}`;
const knownCollections = () => new Set(["notes", ...JSON.parse(localStorage.getItem(COLLECTIONS) ?? "[]")]);

/** The smallest splice turning `before` into `after` (one edit, as typing makes). */
function diff(before, after) {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  // Never split a surrogate pair (an emoji): the node counts characters.
  const high = (text, i) => i > 0 && /[\uD800-\uDBFF]/.test(text[i - 1]);
  if (high(before, start)) start--;
  let end = 0;
  while (
    end < before.length - start &&
    end < after.length - start &&
    before[before.length - 1 - end] === after[after.length - 1 - end]
  )
    end++;
  if (end > 0 && high(before, before.length - end)) end--;
  return { index: start, deleteCount: before.length - start - end, insert: after.slice(start, after.length - end) };
}

/** A position in `before` moved through the splice that made `after`. */
function moved(position, { index, deleteCount, insert }) {
  if (position <= index) return position;
  if (position >= index + deleteCount) return position - deleteCount + insert.length;
  return index + insert.length;
}

function valueText(v) {
  if (v === null || v === undefined) return "";
  if (typeof v === "object") return "text" in v ? v.text : `(${v.unsupported})`;
  return String(v);
}

function textArea(id, name, text) {
  const area = el("textarea", { value: text, "aria-label": `${id}: ${name}` });
  area.dataset.record = id;
  area.dataset.field = name;
  area.dataset.shown = text;
  area.addEventListener("input", () => {
    const change = diff(area.dataset.shown, area.value);
    try {
      node.spliceText(collection, id, name, change.index, change.deleteCount, change.insert);
      area.dataset.shown = area.value;
    } catch (e) {
      $("#records-error").textContent = errorText(e);
    }
  });
  return area;
}

/** The editor of one field of one record: live text, or a value set on change. */
function fieldCell(record, name, field) {
  if (!field) return el("td", { className: "muted", textContent: "—" });
  const value = field.value;
  let editor;
  if (value && typeof value === "object" && "text" in value) {
    editor = textArea(record.id, name, value.text);
  } else {
    editor = el("input", { value: valueText(value), "aria-label": `${record.id}: ${name}` });
    editor.dataset.record = record.id;
    editor.dataset.field = name;
    editor.addEventListener("change", () =>
      guarded("#records-error", () => node.setField(collection, record.id, name, editor.value)),
    );
  }
  // Values written at once by several people: all shown, one kept by a click.
  const versions = field.conflicts.length
    ? el(
        "div",
        { className: "conflict" },
        `${field.conflicts.length + 1} versions written at once: `,
        ...[value, ...field.conflicts].map((v) =>
          el("button", {
            type: "button",
            className: "quiet keep",
            textContent: `keep “${valueText(v).slice(0, 40)}”`,
            onclick: () =>
              guarded("#records-error", () =>
                v && typeof v === "object" && "text" in v
                  ? node.setText(collection, record.id, name, v.text)
                  : node.setField(collection, record.id, name, v),
              ),
          }),
        ),
      )
    : null;
  return el("td", {}, editor, versions);
}

/** Brings the text being typed in up to date with the node, around the caret. */
function syncFocusedText() {
  const focused = document.activeElement;
  if (focused?.tagName !== "TEXTAREA" || !$("#record-table").contains(focused)) return;
  const record = node.record(collection, focused.dataset.record);
  const text = record?.fields[focused.dataset.field]?.value?.text;
  if (typeof text === "string" && text !== focused.value) {
    const change = diff(focused.value, text);
    const [start, end] = [moved(focused.selectionStart, change), moved(focused.selectionEnd, change)];
    focused.value = text;
    focused.dataset.shown = text;
    focused.setSelectionRange(start, end);
  }
}

function renderRecords() {
  const records = node.records(collection);
  $("#collections").replaceChildren(...[...knownCollections()].map((c) => el("option", { value: c })));
  const select = $("#field-form").elements.id;
  const chosen = select.value;
  select.replaceChildren(...records.map((r) => el("option", { value: r.id, textContent: r.id })));
  if (records.some((r) => r.id === chosen)) select.value = chosen;
  const table = $("#record-table");
  const focused = document.activeElement;
  // Text being typed in stays in place (synced around the caret); the rest
  // of the table is redrawn when the field loses focus.
  if (focused?.tagName === "TEXTAREA" && table.contains(focused)) {
    syncFocusedText();
    return;
  }
  if (focused?.tagName === "INPUT" && table.contains(focused)) return; // a value being typed
  const fields = [...new Set(records.flatMap((r) => Object.keys(r.fields)))].sort();
  table.tHead.rows[0].replaceChildren(
    ...["Record", ...fields, ""].map((name) => el("th", { textContent: name })),
  );
  table.tBodies[0].replaceChildren(
    ...(records.length
      ? records.map((record) => {
          const row = el(
            "tr",
            {},
            el("th", { scope: "row", textContent: record.id }),
            ...fields.map((name) => fieldCell(record, name, Object.hasOwn(record.fields, name) ? record.fields[name] : null)),
            el(
              "td",
              {},
              el("button", {
                type: "button",
                className: "quiet",
                textContent: "Delete",
                "aria-label": `Delete ${record.id}`,
                onclick: () => guarded("#records-error", () => node.deleteRecord(collection, record.id)),
              }),
            ),
          );
          row.dataset.record = record.id;
          return row;
        })
      : [el("tr", {}, el("td", { className: "muted", textContent: `No records in “${collection}” yet.` }))]),
  );
}

$("#record-table").addEventListener("focusout", () => setTimeout(render));
$("#collection-form").addEventListener("submit", (event) => {
  event.preventDefault();
  collection = event.target.elements.collection.value.trim() || "notes";
  localStorage.setItem(COLLECTIONS, JSON.stringify([...knownCollections().add(collection)]));
  renderRecords();
});
$("#record-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const id = event.target.elements.id.value.trim();
  if (await guarded("#records-error", () => node.createRecord(collection, id))) event.target.reset();
  renderRecords();
  $("#field-form").elements.id.value = id;
});
$("#field-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const f = event.target.elements;
  const ok = await guarded("#records-error", () =>
    f.kind.value === "text"
      ? node.setText(collection, f.id.value, f.field.value.trim(), f.value.value)
      : node.setField(collection, f.id.value, f.field.value.trim(), f.value.value),
  );
  if (ok) {
    f.field.value = "";
    f.value.value = "";
  }
});

// ---------------------------------------------------------------- peers

function renderPeers() {
  const peers = node.peers();
  const status = node.syncStatus();
  $("#peer-summary").textContent =
    `${peers.length} ${peers.length === 1 ? "peer" : "peers"} linked; ${status.known} events here` +
    (status.waiting ? `, ${status.waiting} waiting for earlier ones` : "") +
    (status.missing ? `, ${status.missing} asked for` : "") +
    ".";
  $("#peer-table tbody").replaceChildren(
    ...peers.map((p) =>
      el(
        "tr",
        {},
        el("td", { textContent: p.key ? who(p.key) : `connection ${p.id}`, title: p.key ?? "" }),
        el("td", { textContent: status.missing || status.waiting ? "linked, catching up" : "linked" }),
        el("td", { textContent: `${p.eventsReceived} received, ${p.eventsSent} sent` }),
      ),
    ),
  );
  $("#people-list").replaceChildren(
    ...knownKeys().map((key) => el("li", {}, el("span", { textContent: who(key) }), " ", el("code", { textContent: short(key), title: key }))),
  );
}

// ---------------------------------------------------------------- pictures

function renderPictures() {
  const series = balanceSeries(node.transactions(), me);
  const select = $("#plot-unit");
  const units = [...series.keys()];
  const unit = units.includes(select.value) ? select.value : units[0];
  select.replaceChildren(...units.map((u) => el("option", { value: u, textContent: TrustfoldNode.unitLabel(u) })));
  if (unit) select.value = unit;
  balancePlot($("#balance-plot"), series.get(unit) ?? [], { unit: unit ? TrustfoldNode.unitLabel(unit) : "" });
  const edges = [];
  for (const [author, statements] of publishedPolicies()) {
    for (const s of statements.values()) {
      if (s.level !== "neutral") edges.push({ from: author, to: s.subject, kind: s.level === "trusted" ? "trusts" : "bans" });
    }
  }
  const policy = node.policy();
  for (const k of policy.trusted) if (!edges.some((e) => e.from === me && e.to === k)) edges.push({ from: me, to: k, kind: "trusts" });
  for (const k of policy.banned) if (!edges.some((e) => e.from === me && e.to === k)) edges.push({ from: me, to: k, kind: "bans" });
  const keys = new Set(edges.flatMap((e) => [e.from, e.to]));
  keys.add(me);
  trustGraph($("#trust-graph"), { me, nodes: [...keys].map((key) => ({ key, label: key === me ? "you" : who(key) })), edges });
}
$("#plot-unit").addEventListener("change", renderPictures);

// ---------------------------------------------------------------- status

function renderStatus() {
  const status = node.syncStatus();
  const peers = status.peers;
  $("#status").textContent =
    `${node.transactions().length} payments known, ${status.known} events; ` +
    `${peers} ${peers === 1 ? "peer" : "peers"} linked` +
    (status.waiting > 0 ? `, ${status.waiting} events waiting for earlier ones.` : ".");
  const behind = status.waiting + status.missing;
  $("#progress").hidden = behind === 0;
  $("#progress").value = status.known / Math.max(1, status.known + behind);
  const chosen = $("#work-offline").getAttribute("aria-pressed") === "true";
  const online = navigator.onLine && !chosen;
  $("#online").textContent = online ? (peers ? "online" : "online, alone") : chosen ? "working offline" : "offline";
  $("#online").className = `pill ${online ? "online" : "offline"}`;
}

let scheduled = false;
/** Redraws what is shown, once per frame however many changes arrive. */
function render() {
  if (!node || scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    loadNames();
    const nameInput = $("#my-name");
    if (document.activeElement !== nameInput) nameInput.value = names.get(me) ?? "";
    renderStatus();
    renderKnownKeys();
    if (visible("ledger")) renderLedger();
    if (visible("debts")) renderDebts();
    if (visible("trust")) renderTrust();
    if (visible("agreement")) renderAgreement();
    if (visible("records")) renderRecords();
    if (visible("peers")) renderPeers();
    if (visible("pictures")) renderPictures();
  });
}

$("#my-name").addEventListener("change", (event) =>
  guarded("#pay-error", () => {
    // My own record object, so that nobody else's object carries my name
    // (someone may have made one under my key first).
    if (!node.recordBy(PEOPLE, me, me)) {
      if (node.record(PEOPLE, me)) node.deleteRecord(PEOPLE, me);
      node.createRecord(PEOPLE, me);
    }
    node.setField(PEOPLE, me, "name", event.target.value.trim());
  }),
);

// ---------------------------------------------------------------- start

async function main() {
  document.head.append(el("style", { textContent: picturesCss }));
  $("#network").textContent = `network “${network}”`;
  const worker = registerServiceWorker();
  await init();
  const cached = await TrustfoldNode.cachedState(network);
  if (cached) {
    $("#status").textContent = `Loading ${cached.events} events… (showing the balances saved last time)`;
    $("#balances tbody").replaceChildren(
      ...cached.balances().map((b) =>
        el("tr", {}, el("td", { textContent: short(b.account) }), el("td", { textContent: amountText(b.balance, b.unit) })),
      ),
    );
    cached.free();
  }
  node = await TrustfoldNode.open(network);
  window.node = node; // for the console and for tests
  me = node.publicKey;
  $("#me").textContent = me;
  if (node.openReport.newIdentity) $("#welcome").hidden = false;
  node.subscribe(() => {
    syncFocusedText(); // now, before the next keystroke is diffed
    render();
  });
  render();
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const signal = `${scheme}//${location.host}/signal`;
  let stop = keepConnected(node, signal);
  $("#work-offline").addEventListener("click", (event) => {
    const offline = event.target.getAttribute("aria-pressed") !== "true";
    event.target.setAttribute("aria-pressed", String(offline));
    event.target.textContent = offline ? "Go online" : "Work offline";
    if (offline) stop();
    else stop = keepConnected(node, signal);
    render();
  });
  setInterval(renderStatus, 2000);
  addEventListener("online", render);
  addEventListener("offline", render);
  const registered = await worker;
  // A later change of worker is a new build taking over: offer the reload
  // rather than mixing an old page with new files.
  if (registered.controlled) {
    navigator.serviceWorker.addEventListener("controllerchange", () => ($("#update").hidden = false));
  }
}

$("#backup").addEventListener("submit", async (event) => {
  event.preventDefault();
  const ok = await guarded("#backup-error", () => {
    const bytes = node.exportBackup(event.target.elements.passphrase.value);
    const link = el("a", {
      href: URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" })),
      download: `trustfold-${network}-${me.slice(0, 8)}.backup`,
    });
    link.click();
    setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
  });
  if (ok) $("#welcome").hidden = true;
});
$("#restore").addEventListener("submit", async (event) => {
  event.preventDefault();
  const f = event.target.elements;
  await guarded("#backup-error", async () => {
    const bytes = new Uint8Array(await f.file.files[0].arrayBuffer());
    const key = TrustfoldNode.backupKey(bytes, f.passphrase.value); // checked before anything is replaced
    if (node.transactions().some((t) => t.from === me)) {
      throw new Error("this browser already made payments as a new identity: open the backup in another network or browser");
    }
    node.close();
    $("#status").textContent = "Restoring… (close this network's other tabs if it waits)";
    await TrustfoldNode.forget(network);
    (await TrustfoldNode.restore(network, bytes, f.passphrase.value)).close();
    $("#status").textContent = `Restored ${short(key)}; reopening…`;
    location.reload();
  });
});
$("#update button").addEventListener("click", () => location.reload());
$("#account").addEventListener("click", () => {
  $("#welcome").hidden = false;
  $("#backup input[name=passphrase]").focus();
});
$("#welcome-later").addEventListener("click", () => ($("#welcome").hidden = true));
addEventListener("hashchange", () => {
  const next = new URLSearchParams(location.hash.slice(1)).get("net");
  if (next && next !== network) location.reload();
});

main().catch((e) => {
  $("#status").textContent = `Could not open the node: ${errorText(e)}`;
  $("#status").className = "error";
});

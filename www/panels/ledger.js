// The Ledger panel: my balances, the pay form, the transactions (with their
// status, why, and the actions on each), and everyone's balances.
import { html, render, nothing } from "lit-html";
import { repeat } from "lit-html/directives/repeat.js";
import { TrustfoldNode } from "trustfold";
import { balancesCsv, download, transactionsCsvInSteps } from "../csv.js";
import { lookAlike, sameCurrency } from "../units.js";
import { secondPress } from "../second-press.js";
import { short } from "../names.js";
import { derived, keepDerived, grown } from "../derived.js";
import { choose } from "../tx-search.js";
import { inSteps } from "../steps.js";
import { mountPager, pagerButtons, say } from "../pager.js";
import {
  amountErrorWords,
  amountText,
  quotedMemo,
  errorText,
  decimalsHint,
  memoWords,
  oncePerAmount,
  when,
  STATUS,
  verdictWords,
  statementWords,
  whyWords,
} from "../words.js";

const $ = (selector) => document.querySelector(selector);

/** Wires the pay form (static in index.html) to `app`. */
export function mountLedger(app) {
  // Says which key a typed name stands for before anyone pays it.
  $("#pay input[name=to]").addEventListener("input", (event) => {
    let text = "";
    try {
      const key = event.target.value.trim() ? app.state().keyFrom(event.target.value) : null;
      if (key) text = `→ ${app.state().who(key)} · ${key}${seen(app.state(), key) ? "" : ` (${NEVER_SEEN})`}`;
    } catch (e) {
      text = e.message;
    }
    $("#pay-to").textContent = text;
  });
  // Search, filter and pages of the transactions (ui.tx), and the exports.
  app.ui.tx = { query: "", filter: "all", page: 0 };
  const tx = app.ui.tx;
  // What a search matches is made in steps after each read or new naming
  // (renderLedger), before the first key (with a year of history, ≈ 0.15 s
  // made at once).
  $("#tx-search").addEventListener("input", (event) => {
    Object.assign(tx, { query: event.target.value, page: 0 });
    app.refresh();
  });
  $("#tx-filter").addEventListener("change", (event) => {
    Object.assign(tx, { filter: event.target.value, page: 0 });
    app.refresh();
  });
  mountPager($("#tx-newer"), $("#tx-older"), (by) => {
    tx.page = Math.max(0, tx.page + by);
    app.refresh();
  });
  // Made in steps, the button saying how far (a year of history is
  // 100,000 rows); the rows are those chosen when it was pressed.
  $("#tx-csv").addEventListener("click", async (event) => {
    const button = event.currentTarget;
    const label = button.textContent;
    const shown = oncePerAmount((amount, unit) => TrustfoldNode.formatAmount(amount, unit));
    const s = app.state();
    const list = chosen(s, tx);
    button.disabled = true;
    $("#tx-tools-error").textContent = "";
    try {
      const text = await transactionsCsvInSteps(
        list,
        { who: s.who, shown, status: (st) => STATUS[st] ?? st, memo: memoWords },
        {
          progress: (done, total) => (button.textContent = `Preparing the CSV: ${Math.floor((100 * done) / total)} %`),
          part: (text) => new Blob([text]),
        },
      );
      download(`trustfold-transactions-${new Date().toISOString().slice(0, 10)}.csv`, text);
    } catch (e) {
      $("#tx-tools-error").textContent = errorText(e);
    } finally {
      Object.assign(button, { disabled: false, textContent: label });
    }
  });
  $("#balances-csv").addEventListener("click", () => {
    const s = app.state();
    const shown = (amount, unit) => TrustfoldNode.formatAmount(amount, unit);
    download(`trustfold-balances-${new Date().toISOString().slice(0, 10)}.csv`, balancesCsv(s.balances, { who: s.who, shown }));
  });
  // An error stays until the person changes what they typed.
  $("#pay").addEventListener("input", () => ($("#pay-error").textContent = ""));
  const unitInput = $("#pay input[name=unit]");
  // Drawn with the panel once the package is loaded (renderLedger), and as the unit is typed.
  unitInput.addEventListener("input", () => app.wasm && showUnitHint(app));
  // A payment that may not be the one meant asks first, every reason at
  // once, and is made on a second press of the same: a key nobody has
  // seen (one changed digit pays no one who will ever spend it), a unit
  // that is one in use written another way (it splits balances), an
  // amount far beyond any paid here in its unit (a key held down).
  const mayPay = secondPress();
  $("#pay").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const unit = form.get("unit").trim().toUpperCase();
    let paid = "";
    const ok = await app.guarded("#pay-error", () => {
      const s = app.state();
      const to = s.keyFrom(form.get("to"));
      const amount = readAmount(form.get("amount"), unit);
      const questions = [];
      if (!seen(s, to)) questions.push(`${short(to)}: ${NEVER_SEEN}. Check the key (one changed digit is someone else).`);
      const warning = unitWarning(s, unit, { strong: true });
      if (warning) {
        questions.push(warning);
        $("#pay-unit-hint").textContent = decimalsHint(unit); // said once, in the question
      }
      const largest = largestPayment(s, unit);
      if (largest !== null && amount >= largest * HUGE) {
        questions.push(
          `${amountText(amount, unit)} is ${HUGE} times or more the largest payment here in ${unit} (${amountText(largest, unit)}): check the amount.`,
        );
      }
      if (!mayPay(`${to} ${amount} ${unit}`, questions.length > 0)) {
        throw new Error(`${questions.join(" ")} Press Pay again to pay it anyway.`);
      }
      const memo = form.get("memo");
      paid = `Paid ${s.who(to)} ${amountText(amount, unit)}${quotedMemo(memo)}.`;
      return app.node.pay(to, amount, unit, memo);
    });
    if (ok) {
      event.target.elements.amount.value = "";
      event.target.elements.memo.value = "";
      // Said where the key the name stood for was (a newcomer's session:
      // nothing said the payment was made, and the hint stayed).
      $("#pay-to").textContent = paid;
    } else if ($("#pay-to").textContent === $("#pay-error").textContent) {
      $("#pay-to").textContent = ""; // said once, not on two lines
    }
  });
}

const NEVER_SEEN = "nobody with this key has made a change in this network yet";

/** An amount this many times the largest paid here in its unit is asked about. */
const HUGE = 100n;

/** The largest payment made here in `unit` (a bigint), or null if none. */
function largestPayment(s, unit) {
  const largest = grown(s.transactions, "largest", () => new Map(), (by, t) => {
    if (!(t.amount <= by.get(t.unit))) by.set(t.unit, t.amount);
  });
  return largest.get(unit) ?? null;
}

/**
 * Whether `key` has made a change here that the page knows of (named
 * themselves, paid, published whom they trust), is linked now, or was
 * paid from here before (asked then). A key only others paid is not: a
 * mistyped one is just that.
 */
function seen(s, key) {
  return (
    key === s.me ||
    s.names.has(key) ||
    s.published.has(key) ||
    s.peers.some((p) => p.key === key) ||
    payingKeys(s).has(key)
  );
}

/**
 * The keys that paid someone, and those I paid, once per read of the
 * transactions: the "To" hint asks on every keystroke.
 */
function payingKeys(s) {
  return grown(s.transactions, "paying", () => new Set(), (keys, t) => {
    keys.add(t.from);
    if (t.from === s.me) keys.add(t.to);
  });
}

/** The units I paid or was paid in, once per read of the transactions. */
function myUnits(s) {
  return grown(s.transactions, "my units", () => new Set(), (units, t) => {
    if (t.from === s.me || t.to === s.me) units.add(t.unit);
  });
}

/** Transactions per page. */
const PAGE = 25;

/**
 * The transactions the search and filter choose, oldest first: a search
 * matches names as shown, the memo, the amount as shown and the unit.
 */
function chosen(s, tx) {
  const query = tx.query.trim().toLowerCase();
  const list = s.transactions;
  const last = derived(list, "chosen", () => ({ at: null }), s.who);
  if (last.result && last.query === query && last.filter === tx.filter) return last.result;
  // What a search matches, once per read of the transactions and naming.
  const words = query ? derived(list, "words", (all) => all.map(searchWords(s)), s.who) : null;
  return Object.assign(last, choose(list, words, s.me, query, tx.filter, last)).result;
}

/**
 * Each payment's search words with the naming they were made with, kept
 * with its row: the node hands out the same object while a row is
 * unchanged, so a read after a new payment makes the new row's only.
 */
const rowWords = new WeakMap();

/** What a search matches in a payment: names as shown, the memo, the amount as shown. */
function searchWords(s) {
  const shown = oncePerAmount(amountText);
  return (t) => {
    let kept = rowWords.get(t);
    if (kept?.who !== s.who) {
      kept = { who: s.who, text: `${s.who(t.from)} ${s.who(t.to)} ${t.memo} ${shown(t.amount, t.unit)}`.toLowerCase() };
      rowWords.set(t, kept);
    }
    return kept.text;
  };
}

/** The pass making search words now (`prepareSearch`): a newer one stops it. */
let preparing = null;

/** Each read of the transactions → the naming its search words were last made (or are being made) with. */
const prepared = new WeakMap();

/**
 * Makes the search words of `s`'s payments in steps. What it has not made
 * when the first key comes is made by the search itself, which shows its
 * errors as any frame does: so a failure here is left to it.
 */
function prepareSearch(s) {
  const pass = (preparing = {});
  const words = searchWords(s);
  const list = s.transactions;
  // The list of every row's words too, as the first key would make it
  // (a walk of 100,000 rows, ≈ 25 ms in that key's task).
  const all = new Array(list.length);
  inSteps(
    list.length,
    (start, end) => {
      for (let i = start; i < end; i++) all[i] = words(list[i]);
    },
    { stopped: () => preparing !== pass },
  )
    .then((done) => done && keepDerived(list, "words", all, s.who))
    .catch(() => {});
}

/** The typed amount in minor units of `unit`; throws words a person reads. */
function readAmount(text, unit) {
  try {
    return TrustfoldNode.parseAmount(text, unit);
  } catch (e) {
    // A minus sign is a wish to be paid, which is the other person's payment to make.
    const words = /^\s*[-−]/.test(text)
      ? "A payment is always from you: to be paid, ask the other person to pay you."
      : amountErrorWords(e?.detail, unit);
    throw words ? new Error(words) : e;
  }
}

/** Units paid in on this network, most used first (counted once per read of the transactions). */
function unitsInUse(s) {
  if (!s) return [];
  // Counted from the rows new since the last read (a changed row was counted).
  const count = grown(s.transactions, "unit counts", () => new Map(), (count, t, fresh) => {
    if (fresh) count.set(t.unit, (count.get(t.unit) ?? 0) + 1);
  });
  return derived(s.transactions, "units", () => [...count.keys()].sort((a, b) => count.get(b) - count.get(a)));
}

/**
 * The hint under the pay form: how the unit is typed, and a warning when
 * nobody here has paid in it yet (a typo, or a look-alike of a unit in use).
 */
function showUnitHint(app) {
  const unit = $("#pay input[name=unit]").value.trim().toUpperCase();
  let s = null;
  try {
    s = app.state();
  } catch {
    // Not open yet: the hint says how the unit is typed, nothing more.
  }
  $("#pay-unit-hint").textContent = decimalsHint(unit) + (unitWarning(s, unit) ? ` ${unitWarning(s, unit)}` : "");
}

/**
 * Why a unit may not be the one meant (null if nothing to say): nobody
 * here pays in it, or it is one in use written another way ("€" and
 * "EUR", "HOURS" and "HOUR"), which splits balances. `strong`: it looks
 * like, or is, a unit in use — a payment in it asks first.
 */
function unitWarning(s, unit, { strong = false } = {}) {
  const used = unitsInUse(s);
  if (!unit || !s || !used.length || (strong && used.includes(unit))) return null;
  const same = used.find((u) => sameCurrency(u, unit));
  // Both in use: said of the less used one only, not at every payment.
  if (same && !(used.includes(unit) && used.indexOf(unit) < used.indexOf(same))) {
    return `${unit} and ${same} are one currency, but balances in each are kept apart: people here ${used.includes(unit) ? "pay in both" : `pay in ${same}`}, so check which one you mean.`;
  }
  if (used.includes(unit)) return null;
  const like = used.find((u) => lookAlike(u, unit));
  if (like) return `${unit} looks like ${like}, which people here pay in: check it is the unit you mean.`;
  if (strong) return null;
  return `Nobody here has paid in ${unit} yet (people here pay in ${used.slice(0, 3).join(", ")}): check it is the unit you mean.`;
}

/** The balances saved last time, shown while the node opens. */
export function renderCachedBalances(balances, short) {
  render(
    balances.map((b) => html`<tr><td>${short(b.account)}</td><td>${amountText(b.balance, b.unit)}</td></tr>`),
    $("#balances tbody"),
  );
}

/**
 * What the panel's first frame derives from every payment, made ahead one
 * value per step (a generator: the caller pauses between steps), for the
 * snapshot `s`: each is a walk over every row (≈ 5 ms with a year of
 * history), and the first frame after an open would make them all in its
 * one task.
 */
export function* prepareLedger(s, ui) {
  unitsInUse(s);
  yield;
  myUnits(s);
  yield;
  chosen(s, ui.tx ?? NO_SEARCH);
}

/** The list as it shows before any search or filter. */
const NO_SEARCH = { query: "", filter: "all", page: 0 };

/** Draws the panel from the snapshot `s`; `ui.asking` holds the reasons being typed (event → verb). */
export function renderLedger(s, ui, app) {
  const { me, who } = s;
  // Units in use here first, then common currencies.
  const suggested = [...new Set([...unitsInUse(s), "EUR", "USD", "GBP", "CHF", "JPY", "HOUR"])];
  render(
    suggested.map((u) => html`<option value=${u}></option>`),
    $("#known-units"),
  );
  const mine = s.balances.filter((b) => b.account === me);
  // A unit I paid or was paid in shows even when it nets to zero.
  for (const unit of myUnits(s)) {
    if (!mine.some((b) => b.unit === unit)) mine.push({ account: me, unit, balance: 0n });
  }
  render(
    mine.length
      ? mine.map(
          (b) => html`<div class="card">
            <div class="amount ${b.balance < 0n ? "neg" : ""}">${amountText(b.balance, b.unit)}</div>
            <div class="muted">${b.balance < 0n ? "you owe" : "balance"}</div>
          </div>`,
        )
      : html`<p class="muted">No payments yet.</p>`,
    $("#my-balances"),
  );
  // One row a person, their units side by side (the core lists them by
  // account, then unit): a row per unit read as the same person twice.
  const people = [];
  for (const b of s.balances) {
    if (people.at(-1)?.account === b.account) people.at(-1).units.push(b);
    else people.push({ account: b.account, units: [b] });
  }
  render(
    people.map(
      (p) => html`<tr>
        <td title=${p.account}>${who(p.account)}</td>
        <td>${p.units.map(
          (b, i) => html`${i ? ", " : ""}<span class=${b.balance < 0n ? "neg" : ""}>${amountText(b.balance, b.unit)}</span>`,
        )}</td>
      </tr>`,
    ),
    $("#balances tbody"),
  );
  // Latest first; a reason being typed sits under its row, kept (node,
  // text, caret) across frames because rows are keyed by event.
  const tx = ui.tx ?? { ...NO_SEARCH };
  const matching = chosen(s, tx);
  // A search typed as soon as the box is clicked finds its words made: the
  // first key made them at once (≈ 0.15 s with a year of history). A row
  // kept from the last read keeps its words, so a read after a payment
  // makes one row's. Begun after this frame: its first step would
  // lengthen the frame's task.
  if (app.reader && prepared.get(s.transactions) !== s.who) {
    prepared.set(s.transactions, s.who);
    setTimeout(() => prepareSearch(s), 0);
  }
  const pages = Math.max(1, Math.ceil(matching.length / PAGE));
  tx.page = Math.min(tx.page, pages - 1);
  const end = matching.length - tx.page * PAGE;
  const rows = matching
    .slice(Math.max(0, end - PAGE), end)
    .reverse()
    .flatMap((t) => (ui.asking.has(t.event) ? [t, { ask: ui.asking.get(t.event), t }] : [t]));
  pagerButtons($("#tx-newer"), $("#tx-older"), tx.page === 0, tx.page >= pages - 1);
  $("#tx-pages").hidden = pages === 1;
  say($("#tx-page"), `page ${tx.page + 1} of ${pages} (${matching.length} payments)`);
  render(
    repeat(
      rows,
      (r) => (r.ask ? `ask ${r.t.event}` : r.event),
      (r) => (r.ask ? askRow(r.t, r.ask, ui, app, s) : transactionRow(r, s, ui, app)),
    ),
    $("#transactions tbody"),
  );
  showUnitHint(app);
}

function transactionRow(t, s, ui, app) {
  const { me, who } = s;
  const ask = (verb) => () => {
    if (!ui.asking.has(t.event)) ui.asking.set(t.event, verb);
    // Drawn and focused at once, so no keystroke typed right after the
    // click falls outside the box.
    app.drawNow();
    $(`#transactions tr.ask[data-event="${t.event}"] :is(input, button)`)?.focus();
  };
  // What is left to pay back is the core's answer (`reversed`), not a guess from the list.
  const canPayBack = t.to === me && t.from !== me && t.status === "included" && !t.reverses && t.reversed < t.amount;
  // Counted exclusions are said once, in the status (`why`); mine keep a
  // Retract button there, without their words again.
  const counted = (c) => t.status === "excluded" && c.verdict === "counted";
  const contests = t.contests.filter((c) => !counted(c) || c.author === me);
  // One dispute or exclusion of mine at a time (retracted ones aside).
  const mineStanding = (dispute) =>
    t.contests.some((c) => c.author === me && c.dispute === dispute && c.verdict !== "retracted");
  return html`<tr class=${t.status === "included" ? "" : "not-counted"} data-event=${t.event}>
    <td class="muted">${when(t.time)}</td>
    <td>${who(t.from)} → ${who(t.to)}</td>
    <td>${amountText(t.amount, t.unit)}</td>
    <td>${memoWords(t)}</td>
    <td>
      <span class="status ${t.status}">${statusWord(t)}</span>
      ${paidBackWords(t) ? html`<span class="reason paid-back">${paidBackWords(t)}</span>` : nothing}
      ${s.unsent.has(t.event) ? html`<span class="reason waits">waits to be sent</span>` : nothing}
      ${t.status === "included" ? nothing : html`<span class="reason why">${whyWords(t.why, who)}</span>`}
      ${contests.map(
        (c) => html`<span class="reason">${counted(c) ? `Your ${c.dispute ? "dispute" : "exclusion"}` : contestWords(c, who)}${
          c.author === me && c.verdict !== "retracted"
            ? html` <button type="button" title=${HELP.retract}
                @click=${() => app.guarded("#pay-error", () => app.node.retract(c.statement))}>Retract</button>`
            : nothing}${(c.excludedBy ?? [])
            .filter((st) => st.author === me)
            .map(
              (st) => html` <button type="button" title=${HELP.retractOverrule}
                @click=${() => app.guarded("#pay-error", () => app.node.retract(st.statement))}>Retract</button>`,
            )}</span>`,
      )}
    </td>
    <td>
      ${t.from === me && !mineStanding(true)
        ? html`<button type="button" title=${HELP.dispute} @click=${ask("dispute")}>Dispute…</button>`
        : nothing}
      ${mineStanding(false) ? nothing : html`<button type="button" title=${HELP.exclude} @click=${ask("exclude")}>Exclude…</button>`}
      ${overruled(t, s).length
        ? html`<button type="button" title=${HELP.overrule} @click=${ask("overrule")}>Count it anyway…</button>`
        : nothing}
      ${canPayBack
        ? html`<button type="button" title=${HELP.payBack}
            @click=${ask("payBack")}>Pay back…</button>`
        : nothing}
    </td>
  </tr>`;
}

/** "paid back", "2.00 EUR of it paid back": a payment the payments back (`reversed`, the core's count) answer. */
function paidBackWords(t) {
  if (!(t.reversed > 0n)) return "";
  return t.reversed >= t.amount ? "paid back" : `${amountText(t.reversed, t.unit)} of it paid back`;
}

/** What each action on a payment does, shown on its button (a tooltip, and read by screen readers). */
const HELP = {
  dispute:
    "Say publicly that this payment of yours should not count (it was never received, say). It stops counting for everyone who trusts you; the payment itself stays on record.",
  exclude:
    "Leave this payment out of your view, with a reason others can read. It stops counting for you and for everyone who trusts you.",
  retract: "Take back your dispute or exclusion: the payment counts again wherever it counted before.",
  payBack: "Pay this back to whoever paid you: a new payment the other way, linked to this one.",
  overrule:
    "Leave out the exclusion that makes this payment not count, with a reason others can read: it counts again for you and for everyone who trusts you, and you go on trusting whoever excluded it.",
  retractOverrule: "Take back your counting it anyway: the exclusion counts again.",
};

/**
 * The statements of others that keep a payment out of my view: what
 * "Count it anyway" leaves out (exclusions can be excluded, DESIGN §2).
 * Before, the only way to count it again was to stop trusting them.
 */
function overruled(t, s) {
  // With a quorum above 1 my exclusion of theirs would not count alone in
  // my own view (it would in the views of those who trust me): not offered.
  if (s.policy.quorum > 1) return [];
  return t.status === "excluded" && t.why?.kind === "excluded" ? t.why.by.filter((st) => st.author !== s.me) : [];
}

/**
 * Said in the form before a dispute or exclusion is published: whose
 * balances it moves. A newcomer who disputed their own payment saw their
 * balance move and took it for money back, while the other side, who does
 * not trust them, still counted the payment.
 */
function scopeWords(t, s) {
  // The other side of a payment of mine, named: they may read it as paid.
  const other = t.from === s.me ? t.to : t.to === s.me ? t.from : null;
  const also = other && other !== s.me ? ` (${s.who(other)} too, unless ${s.who(other)} trusts you)` : "";
  // Paid back already, it would be taken from my balance twice: once by
  // the payment back, which stays, and once by leaving this one out.
  const twice =
    t.to === s.me && paidBackWords(t)
      ? ` You paid ${amountText(t.reversed, t.unit)} of it back already: that payment back stays, so leaving this one out as well takes it from your balance a second time.`
      : "";
  return `It stops counting for you and for whoever trusts you. Everyone else still counts it${also}, so your views can then differ.${twice}`;
}

/** A payment's status as a word: "disputed" when only its payer's disputes leave it out. */
function statusWord(t) {
  const disputed = t.status === "excluded" && t.why?.kind === "excluded" && t.why.by.length > 0;
  if (disputed && t.why.by.every((st) => st.dispute)) return "disputed";
  return STATUS[t.status] ?? t.status;
}

/** What each way of contesting a payment is, first in its form: the two read alike otherwise. */
const CONTEST_WORDS = {
  dispute: "A dispute says publicly that this payment of yours should not count (it never arrived, say); no money goes back. ",
  exclude: "An exclusion leaves this payment out of your view, with a reason others can read. ",
};

/** "Disputed by Alice: “reason” (counts in your view)"; "…(you count the payment anyway: “it arrived”)". */
function contestWords(c, who) {
  const words = statementWords(c, who);
  const anyway = (c.excludedBy ?? []).map(
    (st) => `${who(st.author)} ${who(st.author) === "you" ? "count" : "counts"} the payment anyway${st.reason ? `: “${st.reason}”` : ""}`,
  );
  const verdict = c.verdict === "excluded" && anyway.length ? anyway.join("; ") : verdictWords(c, who);
  return `${words[0].toUpperCase()}${words.slice(1)} (${verdict})`;
}

/**
 * The inline form under a row: asking why (a dispute or an exclusion), or
 * asking to confirm a payment back (it moves money, so not on one click).
 */
function askRow(t, verb, ui, app, s) {
  const close = () => {
    ui.asking.delete(t.event);
    app.refresh();
  };
  if (verb === "payBack") {
    const left = amountText(t.amount - t.reversed, t.unit);
    const pay = async (event) => {
      event.preventDefault();
      if (await app.guarded("#pay-error", () => app.node.payBack(t.event, t.memo))) close();
    };
    return html`<tr class="ask" data-event=${t.event}><td colspan="6">
      <form @submit=${pay}>
        <span>Pay ${left} back to ${s.who(t.from)}, as a new payment the other way?</span>
        <button>Pay back ${left}</button>
        <button type="button" class="quiet" @click=${close}>Cancel</button>
      </form>
    </td></tr>`;
  }
  if (verb === "overrule") {
    const statements = overruled(t, s);
    const count = async (event) => {
      event.preventDefault();
      const reason = event.target.elements.reason.value.trim();
      const leaveOut = async () => {
        for (const st of statements) await app.node.exclude(st.statement, reason);
      };
      if (await app.guarded("#pay-error", leaveOut)) close();
    };
    const whose = [...new Set(statements.map((st) => s.who(st.author)))].join(" and ");
    const what = statements.every((st) => st.dispute) ? "dispute" : "exclusion";
    return html`<tr class="ask" data-event=${t.event}><td colspan="6">
      <form @submit=${count}>
        <label>Reason to count it
          <input name="reason" placeholder="why it should count" size="30" required></label>
        <button>Count it anyway</button>
        <button type="button" class="quiet" @click=${close}>Cancel</button>
        <p class="muted scope">${whose}'s ${what} stops counting for you and for whoever trusts you, so the payment counts again there; you go on trusting ${whose} for everything else. Your reason is published, and Retract takes it back.</p>
      </form>
    </td></tr>`;
  }
  const submit = async (event) => {
    event.preventDefault();
    const reason = event.target.elements.reason.value.trim();
    const publish = verb === "dispute" ? () => app.node.dispute(t.event, reason) : () => app.node.exclude(t.event, reason);
    if (await app.guarded("#pay-error", publish)) close();
  };
  return html`<tr class="ask" data-event=${t.event}><td colspan="6">
    <form @submit=${submit}>
      <label>Reason to ${verb}
        <input name="reason" placeholder="why you ${verb} it" size="30" required></label>
      <button>${verb === "dispute" ? "Publish dispute" : "Publish exclusion"}</button>
      <button type="button" class="quiet" @click=${close}>Cancel</button>
      <p class="muted scope">${CONTEST_WORDS[verb]}${scopeWords(t, s)}</p>
    </form>
  </td></tr>`;
}

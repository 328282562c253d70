// The Ledger panel: my balances, the pay form, the transactions (with their
// status, why, and the actions on each), and everyone's balances.
import { html, render, nothing } from "lit-html";
import { repeat } from "lit-html/directives/repeat.js";
import { amountText, when, STATUS, VERDICT, statementWords, whyWords } from "../words.js";

const $ = (selector) => document.querySelector(selector);

/** Wires the pay form (static in index.html) to `app`. */
export function mountLedger(app) {
  // Says which key a typed name stands for before anyone pays it.
  $("#pay input[name=to]").addEventListener("input", (event) => {
    let text = "";
    try {
      const key = event.target.value.trim() ? app.state().keyFrom(event.target.value) : null;
      if (key) text = `→ ${app.state().who(key)} · ${key}`;
    } catch (e) {
      text = e.message;
    }
    $("#pay-to").textContent = text;
  });
  $("#pay").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const ok = await app.guarded("#pay-error", () =>
      app.node.pay(
        app.state().keyFrom(form.get("to")),
        BigInt(form.get("amount")),
        form.get("unit").trim().toUpperCase(),
        form.get("memo"),
      ),
    );
    if (ok) {
      event.target.elements.amount.value = "";
      event.target.elements.memo.value = "";
    }
  });
}

/** The balances saved last time, shown while the node opens. */
export function renderCachedBalances(balances, short) {
  render(
    balances.map((b) => html`<tr><td>${short(b.account)}</td><td>${amountText(b.balance, b.unit)}</td></tr>`),
    $("#balances tbody"),
  );
}

/** Draws the panel from the snapshot `s`; `ui.asking` holds the reasons being typed (event → verb). */
export function renderLedger(s, ui, app) {
  const { me, who } = s;
  const mine = s.balances.filter((b) => b.account === me);
  // A unit I paid or was paid in shows even when it nets to zero.
  for (const t of s.transactions) {
    if ((t.from === me || t.to === me) && !mine.some((b) => b.unit === t.unit)) {
      mine.push({ account: me, unit: t.unit, balance: 0n });
    }
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
  render(
    s.balances.map(
      (b) => html`<tr>
        <td title=${b.account}>${who(b.account)}</td>
        <td class=${b.balance < 0n ? "neg" : ""}>${amountText(b.balance, b.unit)}</td>
      </tr>`,
    ),
    $("#balances tbody"),
  );
  // Latest first; a reason being typed sits under its row, kept (node,
  // text, caret) across frames because rows are keyed by event.
  const rows = s.transactions
    .slice(-200)
    .reverse()
    .flatMap((t) => (ui.asking.has(t.event) ? [t, { ask: ui.asking.get(t.event), t }] : [t]));
  render(
    repeat(
      rows,
      (r) => (r.ask ? `ask ${r.t.event}` : r.event),
      (r) => (r.ask ? askRow(r.t, r.ask, ui, app) : transactionRow(r, s, ui, app)),
    ),
    $("#transactions tbody"),
  );
}

function transactionRow(t, s, ui, app) {
  const { me, who } = s;
  const ask = (verb) => () => {
    if (!ui.asking.has(t.event)) ui.asking.set(t.event, verb);
    // Drawn and focused at once, so no keystroke typed right after the
    // click falls outside the box.
    app.drawNow();
    $(`#transactions tr.ask[data-event="${t.event}"] input`)?.focus();
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
    <td>${t.reverses ? `${t.memo} (pays back)` : t.memo}</td>
    <td>
      <span class="status ${t.status}">${STATUS[t.status] ?? t.status}</span>
      ${t.status === "included" ? nothing : html`<span class="reason why">${whyWords(t.why, who)}</span>`}
      ${contests.map(
        (c) => html`<span class="reason">${counted(c) ? `Your ${c.dispute ? "dispute" : "exclusion"}` : contestWords(c, who)}${
          c.author === me && c.verdict !== "retracted"
            ? html` <button type="button" @click=${() => app.guarded("#pay-error", () => app.node.retract(c.statement))}>Retract</button>`
            : nothing}</span>`,
      )}
    </td>
    <td>
      ${t.from === me && !mineStanding(true) ? html`<button type="button" @click=${ask("dispute")}>Dispute…</button>` : nothing}
      ${mineStanding(false) ? nothing : html`<button type="button" @click=${ask("exclude")}>Exclude…</button>`}
      ${canPayBack
        ? html`<button type="button" @click=${() => app.guarded("#pay-error", () => app.node.payBack(t.event, `back: ${t.memo}`))}>Pay back</button>`
        : nothing}
    </td>
  </tr>`;
}

/** "Disputed by Alice: “reason” (counts in your view)". */
function contestWords(c, who) {
  const words = statementWords(c, who);
  return `${words[0].toUpperCase()}${words.slice(1)} (${VERDICT[c.verdict] ?? c.verdict})`;
}

/** The inline form under a row asking why (for a dispute or an exclusion). */
function askRow(t, verb, ui, app) {
  const close = () => {
    ui.asking.delete(t.event);
    app.refresh();
  };
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
    </form>
  </td></tr>`;
}

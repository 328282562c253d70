// The Debts panel: who is below zero in my view, and why — each payment
// that makes up the debt, whether it counts, and who excluded it.
import { html, nothing, render } from "lit-html";
import { openAtFirst } from "../debts-open.js";
import { debtsPage } from "../debts-order.js";
import { mountPager, pagerButtons, say } from "../pager.js";
import { amountText, movementWords } from "../words.js";

const $ = (selector) => document.querySelector(selector);

/** Wires the panel's buttons to earlier and later pages of debts (`debts.page` in `ui`). */
export function mountDebts(ui, redraw) {
  mountPager($("#debts-earlier"), $("#debts-later"), (by) => {
    ui.debts.page += by;
    redraw();
  });
}

/**
 * Draws the panel from the snapshot `s` (read with `debts`: who is below
 * zero in order, `debtSummary` for what a debt comes to, and `debtList`
 * for its payments), a page of debts at a time (`debts.page` in `ui`).
 * `debts.shown` remembers each debt's list of payments opened or closed
 * (a year of history puts a thousand payments under a debt, and drawing
 * them all for every debt froze the page for seconds); `redraw` draws
 * again.
 */
export function renderDebts(s, ui, redraw) {
  const { who } = s;
  const { shown } = ui.debts;
  const page = debtsPage(s.debts, ui.debts.page);
  ui.debts.page = page.page;
  const debts = page.shown.map((d) => s.debtSummary(d.account, d.unit)).filter(Boolean);
  openAtFirst(debts, shown);
  pagerButtons($("#debts-earlier"), $("#debts-later"), page.page === 0, page.page === page.pages - 1);
  $("#debt-pages").hidden = page.pages === 1;
  const count = (n) => n.toLocaleString("en");
  say($("#debt-page"), `debts ${count(page.first + 1)}–${count(page.first + page.shown.length)} of ${count(s.debts.length)}`);
  const debt = (d) => {
    // A few reasons are said in the sentence; more are counted, and listed below it.
    const to = d.account === s.me ? "you" : who(d.account);
    const because =
      d.notCountedIn > d.because.length
        ? ` because ${count(d.notCountedIn)} payments to ${to} do not count in your view (among “The ${count(d.transfers)} payments” below)`
        : d.because.length
          ? ` because ${d.because.map((m) => movementWords(d.account, d.unit, m, who, "was")).join("; ")}`
          : "";
    const owes = d.account === s.me ? "You owe" : `${who(d.account)} owes`;
    // With whom: what the counted payments sum to, per person (the core's
    // sums, the one paid most first). A sum of several payments is said to
    // be one ("in all"); payments both ways are said to be a net, with each
    // side ("paid Bob 6.00 EUR net: 18.50 EUR paid, 12.50 EUR received"),
    // not read as what was paid.
    const parts = d.withWhom.map((w) => {
      const net = w.received - w.paid;
      const inAll =
        w.paid > 0n && w.received > 0n
          ? ` net (${amountText(w.paid, d.unit)} paid, ${amountText(w.received, d.unit)} received)`
          : w.transfers > 1
            ? " in all"
            : "";
      return net < 0n
        ? `paid ${who(w.counterparty)} ${amountText(-net, d.unit)}${inAll}`
        : `received ${amountText(net, d.unit)} from ${who(w.counterparty)}${inAll}`;
    });
    if (d.others) parts.push(`and with ${d.others} ${d.others === 1 ? "other person" : "other people"}`);
    const id = `${d.account} ${d.unit}`;
    const open = shown.get(id);
    const toggled = (event) => {
      if (event.target.open === open) return; // drawn so, not a click
      shown.set(id, event.target.open);
      redraw();
    };
    // The payments themselves, read only for a debt whose list is open.
    const list = () => {
      const e = s.debtList(d.account, d.unit);
      return html`<ul>${[...e.counted, ...e.notCounted].map((m) => html`<li>${movementWords(d.account, d.unit, m, who)}</li>`)}</ul>`;
    };
    return html`<li class="debt">
      <strong>${owes} ${amountText(d.amount, d.unit)}</strong><span class="because">${because}</span>
      ${parts.length ? html`<p class="muted with-whom">Counted: ${parts.join("; ")}.</p>` : ""}
      <details class="movements" ?open=${open} @toggle=${toggled}>
        <summary>${d.transfers === 1 ? "The payment" : `The ${count(d.transfers)} payments`}</summary>
        ${open ? list() : nothing}
      </details>
    </li>`;
  };
  render(
    debts.length ? debts.map(debt) : html`<li class="muted">Nobody is below zero in your view.</li>`,
    $("#debt-list"),
  );
}

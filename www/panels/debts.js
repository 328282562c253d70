// The Debts panel: who is below zero in my view, and why — each payment
// that makes up the debt, whether it counts, and who excluded it.
import { html, nothing, render } from "lit-html";
import { amountText, movementWords } from "../words.js";

/** A debt made of at most this many payments lists them at once; a longer one when asked. */
const LISTED_AT_ONCE = 10;

/**
 * Draws the panel from the snapshot `s` (read with `debts`). `shown`
 * remembers each debt's list of payments opened or closed (a year of
 * history puts a thousand payments under a debt, and drawing them all for
 * every debt froze the page for seconds); `redraw` draws again.
 */
export function renderDebts(s, shown, redraw) {
  const { who } = s;
  const debt = (d) => {
    const notCounted = d.explanation.notCounted.filter((m) => m.delta > 0n);
    // A few reasons are said in the sentence; more are counted, and listed below it.
    const because =
      notCounted.length > 3
        ? ` because ${notCounted.length} payments to ${d.account === s.me ? "you" : who(d.account)} do not count in your view (listed below)`
        : notCounted.length
          ? ` because ${notCounted.map((m) => movementWords(d.account, d.unit, m, who, "was")).join("; ")}`
          : "";
    const owes = d.account === s.me ? "You owe" : `${who(d.account)} owes`;
    // With whom: what the counted payments sum to, per person (paid to, received from).
    const net = new Map();
    const movements = new Map();
    const paid = new Map();
    const received = new Map();
    for (const m of d.explanation.counted) {
      net.set(m.counterparty, (net.get(m.counterparty) ?? 0n) + m.delta);
      movements.set(m.counterparty, (movements.get(m.counterparty) ?? 0) + 1);
      const side = m.delta < 0n ? paid : received;
      side.set(m.counterparty, (side.get(m.counterparty) ?? 0n) + (m.delta < 0n ? -m.delta : m.delta));
    }
    // A sum of several payments is said to be one ("in all"); payments both
    // ways are said to be a net, with each side ("paid Bob 6.00 EUR net:
    // 18.50 EUR paid, 12.50 EUR received"), not read as what was paid.
    const inAll = (k) =>
      paid.has(k) && received.has(k)
        ? ` net (${amountText(paid.get(k), d.unit)} paid, ${amountText(received.get(k), d.unit)} received)`
        : movements.get(k) > 1
          ? " in all"
          : "";
    const parts = [...net]
      .filter(([, sum]) => sum !== 0n)
      .sort((a, b) => (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
      .map(([k, sum]) =>
        sum < 0n ? `paid ${who(k)} ${amountText(-sum, d.unit)}${inAll(k)}` : `received ${amountText(sum, d.unit)} from ${who(k)}${inAll(k)}`,
      );
    const movementsOf = [...d.explanation.counted, ...d.explanation.notCounted];
    const id = `${d.account} ${d.unit}`;
    const open = shown.get(id) ?? movementsOf.length <= LISTED_AT_ONCE;
    const toggled = (event) => {
      if (event.target.open === open) return; // drawn so, not a click
      shown.set(id, event.target.open);
      redraw();
    };
    return html`<li class="debt">
      <strong>${owes} ${amountText(d.amount, d.unit)}</strong><span class="because">${because}</span>
      ${parts.length ? html`<p class="muted with-whom">Counted: ${parts.join("; ")}.</p>` : ""}
      <details class="movements" ?open=${open} @toggle=${toggled}>
        <summary>${movementsOf.length === 1 ? "The payment" : `The ${movementsOf.length.toLocaleString("en")} payments`}</summary>
        ${open ? html`<ul>${movementsOf.map((m) => html`<li>${movementWords(d.account, d.unit, m, who)}</li>`)}</ul>` : nothing}
      </details>
    </li>`;
  };
  render(
    s.debts.length ? s.debts.map(debt) : html`<li class="muted">Nobody is below zero in your view.</li>`,
    document.querySelector("#debt-list"),
  );
}

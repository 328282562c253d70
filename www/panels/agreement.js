// The Agreement panel: my view next to each known person's, as the trust
// list they published gives it (the core's answer, `publishedPolicy`), and
// where they differ, why — in words built here from the node's structures.
import { html, render, nothing } from "lit-html";
import { eventWords, whyWords } from "../words.js";

/**
 * Draws the panel from the snapshot `s` and the comparison (index.js
 * `agreementNow`): `shown`, the last one the state reader finished
 * (`{ digest, rows, edits }`, or null before the first); `progress`
 * (`{ done, of }` people while one runs, or null); `digest`, my view's
 * now; `stale`, whether the rows are from before the latest changes. Each
 * row is a full fold of the log, so with a year of history a comparison
 * takes seconds, run in small tasks.
 */
export function renderAgreement(s, { shown: agreement, progress, digest, stale }) {
  const { who } = s;
  const comparing = progress
    ? `Comparing your view with each person's: ${progress.done} of ${progress.of}…`
    : stale
      ? "Comparing again in a moment…"
      : "";
  const old = stale ? "The rows below are from before the latest changes." : "";
  render([comparing, old].filter(Boolean).join(" "), document.querySelector("#agreement-progress"));
  // Read aloud in groups of four; each row says "same as yours" instead.
  render(digest.slice(0, 16).match(/.{4}/g).join(" "), document.querySelector("#my-digest"));
  if (!agreement) {
    render(nothing, document.querySelector("#agreement-list"));
    return;
  }
  const row = (r) => {
    const name = who(r.key);
    const trusted = r.list?.trusted ?? [];
    const reasons = [
      // They leave it out: say why, in their view.
      ...r.onlyMine.map(
        (d) =>
          `${name} leaves out ${eventWords(d, agreement.payments, who, agreement.edits)}: ${whyWords(d.why, who, name) || d.status}; you count it`,
      ),
      ...r.onlyTheirs.map((d) => {
        // I leave it out: my reasons, and whether they would count for them.
        // A payment's reasons as my list had them when compared; an edit's as the comparison gives them.
        const why = agreement.payments.get(d.event)?.why ?? d.why;
        const mine = why?.kind === "excluded" ? why.by : [];
        const notTrusted = mine.filter((c) => c.author !== r.key && !trusted.includes(c.author)).map((c) => who(c.author));
        const whyMine = mine.length
          ? mine.map((c) => `${who(c.author)} ${verb(c, who)} it`).join(" and ")
          : whyWords(why, who) || "it does not count for you";
        const theirSide = notTrusted.length ? `; ${name} does not trust ${notTrusted.join(" or ")}` : "";
        return `you exclude ${eventWords(d, agreement.payments, who, agreement.edits)} because ${whyMine}${theirSide}`;
      }),
    ];
    return html`<li class=${r.same ? "agree" : "differ"}>
      <strong>${name}</strong>
      <span class=${r.same ? "status included" : "status excluded"}>${r.same ? "same as yours" : "differs"}</span>
      ${r.list
        ? nothing
        : html`<span class="reason">${name} has published no trust list: this is the view of someone who trusts nobody.</span>`}
      ${reasons.length ? html`<ul>${reasons.map((text) => html`<li>${text}</li>`)}</ul>` : nothing}
    </li>`;
  };
  render(
    agreement.rows.length ? agreement.rows.map(row) : html`<li class="muted">Nobody else known yet.</li>`,
    document.querySelector("#agreement-list"),
  );
}

/** "disputes", or "dispute" after "you". */
function verb(c, who) {
  const you = who(c.author) === "you";
  if (c.dispute) return you ? "dispute" : "disputes";
  return you ? "exclude" : "excludes";
}

// The Pictures panel: my balance over time (one unit at a time) and who
// trusts and bans whom — each author's published trust list as the core
// computes it, and my own policy.
import { html, render } from "lit-html";
import { repeat } from "lit-html/directives/repeat.js";
import { TrustfoldNode } from "trustfold";
import { balanceSeries, balancePlot } from "../pictures/balance.js";
import { trustGraph } from "../pictures/trust.js";
import { derived } from "../derived.js";

const $ = (selector) => document.querySelector(selector);

/** Wires the unit picker to `ui.plotUnit`. */
export function mountPictures(app, ui) {
  $("#plot-unit").addEventListener("change", (event) => {
    ui.plotUnit = event.target.value;
    app.refresh();
  });
}

/** The trust graph's arrows: every published list, and my own policy. */
export function trustEdges(s) {
  const edges = [];
  for (const [author, list] of s.published) {
    for (const to of list.trusted) edges.push({ from: author, to, kind: "trusts" });
    for (const to of list.banned) edges.push({ from: author, to, kind: "bans" });
  }
  const mine = (to) => edges.some((e) => e.from === s.me && e.to === to);
  for (const to of s.policy.trusted) if (!mine(to)) edges.push({ from: s.me, to, kind: "trusts" });
  for (const to of s.policy.banned) if (!mine(to)) edges.push({ from: s.me, to, kind: "bans" });
  return edges;
}

/** Draws the panel from the snapshot `s` (read with `published`). */
export function renderPictures(s, ui) {
  const series = derived(s.transactions, "my balance series", (list) => balanceSeries(list, s.me));
  const units = [...series.keys()];
  const unit = units.includes(ui.plotUnit) ? ui.plotUnit : units[0];
  const select = $("#plot-unit");
  render(repeat(units, (u) => u, (u) => html`<option value=${u}>${TrustfoldNode.unitLabel(u)}</option>`), select);
  if (unit) select.value = unit;
  balancePlot($("#balance-plot"), series.get(unit) ?? [], { unit: unit ? TrustfoldNode.unitLabel(unit) : "" });
  const edges = trustEdges(s);
  const keys = new Set(edges.flatMap((e) => [e.from, e.to]));
  keys.add(s.me);
  const nodes = [...keys].map((key) => ({ key, label: key === s.me ? "you" : s.who(key) }));
  trustGraph($("#trust-graph"), { me: s.me, nodes, edges });
}

// Who trusts and bans whom, as a circle of people with arrows:
//
//   trustGraph(container, { me, nodes, edges }) → draws the graph
import { el, title, round, clamp, shortKey, nextId, pictureWidth, frame, emptyPicture } from "./svg.js";

/**
 * Draws who trusts and bans whom. `nodes`: [{ key, label }] (keys named in
 * edges but missing from nodes are added); `edges`: [{ from, to, kind }]
 * with kind "trusts" or "bans". `me` is drawn first, at the top. Options:
 * { width }.
 *
 * Long (≈190 lines) on purpose: one drawing read top to bottom (people,
 * sizes, positions, edges, nodes, legend); its parts share the layout.
 */
export function trustGraph(container, graph = {}, options = {}) {
  const redraw = () => trustGraph(container, graph, options);
  const width = pictureWidth(container, options, redraw);
  const { me } = graph;

  // People: given order, me first, then anyone only named in an edge.
  const people = new Map();
  for (const n of graph.nodes ?? []) {
    if (n && n.key && !people.has(n.key)) people.set(n.key, { key: n.key, label: n.label || shortKey(n.key) });
  }
  const edges = [];
  const seen = new Set();
  for (const e of graph.edges ?? []) {
    if (!e || !e.from || !e.to || e.from === e.to) continue;
    const kind = e.kind === "bans" ? "bans" : "trusts";
    const id = `${e.from} ${e.to} ${kind}`;
    if (seen.has(id)) continue;
    seen.add(id);
    edges.push({ from: e.from, to: e.to, kind });
    for (const key of [e.from, e.to]) if (!people.has(key)) people.set(key, { key, label: shortKey(key) });
  }
  let list = [...people.values()];
  const mine = list.findIndex((p) => p.key === me);
  if (mine > 0) list = [list[mine], ...list.slice(0, mine), ...list.slice(mine + 1)];
  const n = list.length;
  if (n === 0) return emptyPicture(container, "tf-trust", width, "No trust statements yet");

  const nameOf = (key) => people.get(key).label + (key === me ? " (you)" : "");
  const trusts = edges.filter((e) => e.kind === "trusts").length;
  const bans = edges.length - trusts;
  const label = `Trust graph: ${n} ${n === 1 ? "person" : "people"}, ${trusts} trust statement${trusts === 1 ? "" : "s"}, ` +
    `${bans} ban${bans === 1 ? "" : "s"}.` +
    (edges.length > 0 && edges.length <= 12 ? ` ${edges.map((e) => `${nameOf(e.from)} ${e.kind} ${nameOf(e.to)}`).join("; ")}.` : "");

  // Sizes shrink as the circle fills up (and on narrow screens); the
  // circle's radius R is what is left after the labels, and the height
  // follows from it.
  const radial = n > 12; // labels point outwards instead of lying flat
  const narrow = width < 480;
  const font = (n <= 8 ? 13 : n <= 16 ? 12 : n <= 28 ? 10.5 : 9.5) - (narrow ? 1 : 0);
  const charWidth = font * 0.6;
  const longest = Math.max(...list.map((p) => p.label.length));
  const legendHeight = 34;
  const maxHeight = 600;
  let nodeR = clamp(Math.round(Math.min(70 / Math.sqrt(n), width / 40)), 4, 12);
  let R;
  let maxChars;
  let height;
  if (radial) {
    maxChars = Math.min(longest, width < 480 ? 10 : width < 700 ? 13 : 16);
    const labelWidth = maxChars * charWidth;
    R = Math.min(width, maxHeight - legendHeight) / 2 - labelWidth * 1.1 - nodeR - 16;
    R = Math.max(R, 40);
    nodeR = clamp(Math.floor((Math.PI * R) / n * 0.75), 3, nodeR);
    height = Math.round(2 * (R + nodeR + 16 + labelWidth * 1.1)) + legendHeight;
  } else {
    const reserve = Math.min(longest, 9) * charWidth; // room beside side nodes
    R = Math.min(width / 2 - nodeR - 12 - reserve, (maxHeight - legendHeight) / 2 - font * 1.6 - nodeR - 10, 200);
    R = Math.max(R, 40);
    // Side labels may use whatever width is left.
    maxChars = Math.max(6, Math.floor((width / 2 - R - nodeR - 12) / charWidth));
    height = Math.round(2 * (R + nodeR + font * 1.6 + 10)) + legendHeight;
    if (n === 1) height = 110 + legendHeight;
  }
  const cut = (text, limit) => (text.length > limit ? `${text.slice(0, limit - 1)}…` : text);
  const cx = width / 2;
  const cy = (height - legendHeight) / 2;
  const angle = (i) => -Math.PI / 2 + (2 * Math.PI * i) / n;
  const pos = new Map(list.map((p, i) => {
    if (n === 1) return [p.key, { x: cx, y: cy - font / 2, a: -Math.PI / 2 }];
    const a = angle(i);
    return [p.key, { x: cx + R * Math.cos(a), y: cy + R * Math.sin(a), a }];
  }));
  const radiusOf = (key) => (key === me ? nodeR + 3 : nodeR);

  const svg = frame(container, "tf-trust", width, height, label);
  const arrowTrusts = nextId("arrow-trusts");
  const arrowBans = nextId("arrow-bans");
  const arrowSize = clamp(nodeR * 0.8, 6, 9);
  const marker = (id, kind) => el("marker", {
    id, class: `arrow ${kind}`, viewBox: "0 0 10 10", refX: 9, refY: 5,
    markerWidth: arrowSize, markerHeight: arrowSize, markerUnits: "userSpaceOnUse", orient: "auto",
  }, el("path", { d: "M0,0L10,5L0,10z" }));
  svg.append(el("defs", {}, marker(arrowTrusts, "trusts"), marker(arrowBans, "bans")));

  // Edges: straight, or curved when the pair has more than one statement
  // (mutual trust, or trust one way and a ban the other): each bends to its
  // own left, so opposite directions separate.
  const pairCount = new Map();
  const pairKey = (a, b) => (a < b ? `${a} ${b}` : `${b} ${a}`);
  for (const e of edges) pairCount.set(pairKey(e.from, e.to), (pairCount.get(pairKey(e.from, e.to)) ?? 0) + 1);
  const sameDirection = new Map();
  const edgeLayer = el("g", { class: "edges" });
  for (const e of edges) {
    const a = pos.get(e.from);
    const b = pos.get(e.to);
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const dist = Math.hypot(dx, dy) || 1;
    const ux = dx / dist;
    const uy = dy / dist;
    const ra = radiusOf(e.from) + 1;
    const rb = radiusOf(e.to) + 2;
    let path;
    if (pairCount.get(pairKey(e.from, e.to)) > 1) {
      const k = `${e.from} ${e.to}`;
      const index = sameDirection.get(k) ?? 0;
      sameDirection.set(k, index + 1);
      const bend = Math.min(dist * 0.15, 36) * (index + 1);
      // Left of the direction of travel (screen coordinates: y down).
      const mx = (a.x + b.x) / 2 + uy * bend;
      const my = (a.y + b.y) / 2 - ux * bend;
      const sx = a.x + ((mx - a.x) / Math.hypot(mx - a.x, my - a.y)) * ra;
      const sy = a.y + ((my - a.y) / Math.hypot(mx - a.x, my - a.y)) * ra;
      const ex = b.x + ((mx - b.x) / Math.hypot(mx - b.x, my - b.y)) * rb;
      const ey = b.y + ((my - b.y) / Math.hypot(mx - b.x, my - b.y)) * rb;
      path = `M${round(sx)},${round(sy)}Q${round(mx)},${round(my)} ${round(ex)},${round(ey)}`;
    } else {
      path = `M${round(a.x + ux * ra)},${round(a.y + uy * ra)}L${round(b.x - ux * rb)},${round(b.y - uy * rb)}`;
    }
    const mineClass = e.from === me || e.to === me ? " mine" : "";
    edgeLayer.append(el("g", { class: `edge ${e.kind}${mineClass}` },
      title(`${nameOf(e.from)} ${e.kind} ${nameOf(e.to)}`),
      el("path", { class: "hit", d: path }),
      el("path", { class: "line", d: path, "marker-end": `url(#${e.kind === "bans" ? arrowBans : arrowTrusts})` })));
  }
  svg.append(edgeLayer);

  // Nodes with their labels.
  const nodeLayer = el("g", { class: "nodes" });
  nodeLayer.style.fontSize = `${font}px`;
  for (const p of list) {
    const { x, y, a } = pos.get(p.key);
    const r = radiusOf(p.key);
    const out = edges.filter((e) => e.from === p.key);
    const inc = edges.filter((e) => e.to === p.key);
    const count = (list, kind) => list.filter((e) => e.kind === kind).length;
    const tip = `${nameOf(p.key)}\n${p.key}\ntrusts ${count(out, "trusts")}, bans ${count(out, "bans")}; ` +
      `trusted by ${count(inc, "trusts")}, banned by ${count(inc, "bans")}`;
    const text = cut(p.label, maxChars);
    let labelNode;
    const cos = Math.cos(a);
    const sin = Math.sin(a);
    if (n === 1) {
      labelNode = el("text", { x, y: y + r + font + 2, "text-anchor": "middle" }, cut(p.label, 24));
    } else if (radial) {
      const gap = r + 4;
      const lx = round(x + cos * gap);
      const ly = round(y + sin * gap);
      const flip = cos < -1e-9;
      const deg = (a * 180) / Math.PI + (flip ? 180 : 0);
      labelNode = el("text", {
        x: lx, y: ly, "text-anchor": flip ? "end" : "start", "dominant-baseline": "middle",
        transform: `rotate(${round(deg)} ${lx} ${ly})`,
      }, text);
    } else {
      const gap = r + 5;
      const anchor = cos > 0.35 ? "start" : cos < -0.35 ? "end" : "middle";
      const lx = x + cos * gap;
      let ly = y + sin * gap;
      if (anchor === "middle") ly += sin > 0 ? font * 0.8 : -2;
      // Above or below the circle a label has more room.
      const limit = anchor === "middle" ? clamp(Math.floor((R * 1.2) / charWidth), maxChars, 24) : maxChars;
      labelNode = el("text", {
        x: round(lx), y: round(ly), "text-anchor": anchor,
        "dominant-baseline": anchor === "middle" ? "auto" : "middle",
      }, cut(p.label, limit));
    }
    nodeLayer.append(el("g", { class: p.key === me ? "node me" : "node" },
      title(tip),
      el("circle", { cx: round(x), cy: round(y), r }),
      labelNode));
  }
  svg.append(nodeLayer);

  // Legend, along the bottom.
  const ly = height - legendHeight / 2;
  const legend = el("g", { class: "legend", "aria-hidden": "true" });
  let lx = 12;
  const item = (kind, text) => {
    const g = el("g", { class: `edge ${kind}` },
      el("path", { class: "line", d: `M${lx},${ly}H${lx + 34}`, "marker-end": `url(#${kind === "bans" ? arrowBans : arrowTrusts})` }));
    legend.append(g, el("text", { x: lx + 40, y: ly, "dominant-baseline": "middle" }, text));
    lx += 40 + text.length * 7 + 18;
  };
  item("trusts", "trusts");
  item("bans", "bans");
  if (me && pos.has(me)) {
    legend.append(el("g", { class: "node me" }, el("circle", { cx: lx + 7, cy: ly, r: 7 })),
      el("text", { x: lx + 20, y: ly, "dominant-baseline": "middle" }, "you"));
  }
  svg.append(legend);
  return svg;
}

// Pictures for the node page, drawn as inline SVG: no dependencies.
//
//   balanceSeries(transactions, me)            → Map<unit, [{ time, balance }]>
//   balancePlot(container, series, { unit })   → draws my balance over time
//   trustGraph(container, { me, nodes, edges }) → draws who trusts/bans whom
//   picturesCss                                → default styles, add once to the page
//
// Each drawing replaces the container's children with one <svg> (role="img",
// an aria-label, a <title>), width 100%, whose viewBox is as wide as the
// container in CSS pixels, so text stays at its CSS size. A ResizeObserver
// redraws when the container's width changes a lot (e.g. a hidden tab
// panel becomes visible); pass { width } to fix the viewBox width instead.
//
// CSS classes (all under the <svg>'s class "tf-picture", plus "tf-balance"
// or "tf-trust"); colours come only from picturesCss, text uses currentColor:
//   common       empty (the "nothing yet" text), axis, legend
//   balance plot grid (tick lines), tick (tick labels), zero (the zero line),
//                area credit / area debt (fill above / below zero),
//                line (the step line above zero), line debt (below zero),
//                dot / dot debt (one per payment, with a tooltip),
//                last / last debt (the label of the current balance)
//   trust graph  node (a <g> per person: circle + label), me (my node),
//                edge trusts / edge bans (a <g> per statement: path.line +
//                path.hit, a wide invisible stroke for hovering),
//                arrow trusts / arrow bans (the arrowhead markers)

const SVG = "http://www.w3.org/2000/svg";
let uid = 0;
const nextId = (prefix) => `tf-${prefix}-${++uid}`;

function el(name, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

const title = (text) => el("title", {}, text);
const round = (x) => Math.round(x * 10) / 10;
const shortKey = (key) => String(key ?? "").slice(0, 8);
const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));

// ---------------------------------------------------------------- sizing

const observers = new WeakMap();

// Width of the viewBox: the container's width in CSS pixels (320..900), or
// 600 while it is not laid out (hidden), redrawn once it is.
function pictureWidth(container, options, redraw) {
  observers.get(container)?.disconnect();
  observers.delete(container);
  if (options.width) return clamp(Number(options.width), 200, 2000);
  const measured = container.clientWidth;
  const width = measured > 0 ? clamp(measured, 320, 900) : 600;
  if (typeof ResizeObserver === "function") {
    const observer = new ResizeObserver(() => {
      const now = container.clientWidth;
      if (now <= 0) return;
      const wanted = clamp(now, 320, 900);
      if (Math.abs(wanted - width) >= 24) {
        observer.disconnect();
        redraw();
      }
    });
    observer.observe(container);
    observers.set(container, observer);
  }
  return width;
}

function frame(container, kind, width, height, label) {
  const svg = el("svg", {
    class: `tf-picture ${kind}`,
    viewBox: `0 0 ${width} ${height}`,
    width: "100%",
    role: "img",
    "aria-label": label,
    preserveAspectRatio: "xMidYMid meet",
  });
  svg.style.maxWidth = "100%";
  svg.style.height = "auto";
  svg.append(title(label));
  container.replaceChildren(svg);
  return svg;
}

function emptyPicture(container, kind, width, text) {
  const height = 120;
  const svg = frame(container, kind, width, height, text);
  svg.append(el("text", { class: "empty", x: width / 2, y: height / 2, "text-anchor": "middle", "dominant-baseline": "middle" }, text));
  return svg;
}

// ---------------------------------------------------------------- balances

/**
 * My balance over time, per unit, from node.transactions().
 * Counts only transactions with status "included" that involve `me`.
 * Each series starts with { time: firstTime - 1, balance: 0n }.
 * @returns {Map<string, Array<{ time: number, balance: bigint }>>}
 */
export function balanceSeries(transactions, me) {
  const mine = (transactions ?? []).filter(
    (t) => t && t.status === "included" && (t.from === me || t.to === me),
  );
  mine.sort((a, b) => {
    const dt = Number(a.time) - Number(b.time);
    if (dt !== 0 && !Number.isNaN(dt)) return dt;
    const ea = String(a.event ?? "");
    const eb = String(b.event ?? "");
    return ea < eb ? -1 : ea > eb ? 1 : 0;
  });
  const series = new Map();
  for (const t of mine) {
    const time = Number(t.time);
    let points = series.get(t.unit);
    if (!points) {
      points = [{ time: time - 1, balance: 0n }];
      series.set(t.unit, points);
    }
    const amount = BigInt(t.amount);
    let delta = 0n;
    if (t.from === me && t.to !== me) delta = -amount;
    else if (t.to === me && t.from !== me) delta = amount;
    points.push({ time, balance: points[points.length - 1].balance + delta });
  }
  return series;
}

const MINUTE = 60e3;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TIME_STEPS = [
  1e3, 5e3, 15e3, 30e3, MINUTE, 5 * MINUTE, 15 * MINUTE, 30 * MINUTE, HOUR, 3 * HOUR, 6 * HOUR, 12 * HOUR,
  DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 61 * DAY, 91 * DAY, 182 * DAY, 365 * DAY, 730 * DAY, 1826 * DAY,
];

const pad2 = (n) => String(n).padStart(2, "0");

function timeTicks(t0, t1, count) {
  const span = t1 - t0;
  const step = TIME_STEPS.find((s) => span / s <= count) ?? Math.ceil(span / count / (365 * DAY)) * 365 * DAY;
  const ticks = [];
  if (step >= 30 * DAY) {
    // Whole months (or years) in local time.
    const months = Math.max(1, Math.round(step / (30.44 * DAY)));
    const d = new Date(t0);
    let tick = new Date(d.getFullYear(), d.getMonth() + 1, 1);
    if (months >= 12) tick = new Date(d.getFullYear() + 1, 0, 1);
    while (tick.getTime() <= t1 && ticks.length < 50) {
      if (tick.getMonth() % months === 0 || months >= 12) ticks.push(tick.getTime());
      tick = new Date(tick.getFullYear(), tick.getMonth() + (months >= 12 ? 12 : 1), 1);
    }
  } else if (step >= DAY) {
    const d = new Date(t0);
    let tick = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1);
    const days = Math.round(step / DAY);
    while (tick.getTime() <= t1 && ticks.length < 50) {
      ticks.push(tick.getTime());
      tick = new Date(tick.getFullYear(), tick.getMonth(), tick.getDate() + days);
    }
  } else {
    const offset = new Date(t0).getTimezoneOffset() * MINUTE;
    for (let t = Math.ceil((t0 - offset) / step) * step + offset; t <= t1 && ticks.length < 50; t += step) {
      ticks.push(t);
    }
  }
  return { ticks, step };
}

function formatTime(t, span, step) {
  const d = new Date(t);
  if (span < DAY) {
    const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
    return step < MINUTE ? `${hm}:${pad2(d.getSeconds())}` : hm;
  }
  const options = step >= 300 * DAY ? { year: "numeric" }
    : step >= 28 * DAY ? { month: "short", year: "numeric" }
    : { day: "numeric", month: "short" };
  return d.toLocaleDateString(undefined, options);
}

function formatWhen(t) {
  const d = new Date(t);
  return `${d.toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" })} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

function niceStep(raw) {
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10) * power;
}

function formatValue(v) {
  if (Object.is(v, -0)) v = 0;
  if (Math.abs(v) >= 1e15) return v.toExponential(2).replace(/\.?0+e/, "e").replace("e+", "e");
  return String(Math.round(v));
}

const toNumber = (b) => clamp(Number(b), -1e300, 1e300);

/**
 * Draws one unit's balance series as a step line. `series` is the Map from
 * balanceSeries (then `unit` picks the series; default: its first unit) or
 * one series array. Options: { unit, width }.
 */
export function balancePlot(container, series, options = {}) {
  const redraw = () => balancePlot(container, series, options);
  const width = pictureWidth(container, options, redraw);
  let unit = options.unit;
  let points;
  if (Array.isArray(series)) points = series;
  else if (series instanceof Map) {
    if (unit === undefined || unit === null) unit = series.keys().next().value;
    points = series.get(unit) ?? [];
  } else points = [];
  const unitText = unit ? ` ${unit}` : "";
  if (points.length < 2) {
    return emptyPicture(container, "tf-balance", width, unit ? `No payments in ${unit} yet` : "No payments yet");
  }

  const font = 12;
  const height = Math.round(clamp(width * 0.5, 220, 340));
  const times = points.map((p) => Number(p.time));
  const values = points.map((p) => toNumber(p.balance));
  const last = points[points.length - 1].balance;
  let lowest = points[0].balance;
  let highest = points[0].balance;
  for (const p of points) {
    if (p.balance < lowest) lowest = p.balance;
    if (p.balance > highest) highest = p.balance;
  }

  // Value scale: nice ticks covering [min(0, lowest), max(0, highest)].
  let vmin = Math.min(0, ...values);
  let vmax = Math.max(0, ...values);
  if (vmax === vmin) vmax = vmin + 1;
  const plotHeight = height - font * 3.5 - 14;
  const vcount = clamp(Math.floor(plotHeight / 40), 2, 6);
  const vstep = Math.max(1, niceStep((vmax - vmin) / vcount));
  vmin = Math.floor(vmin / vstep) * vstep;
  vmax = Math.ceil(vmax / vstep) * vstep;
  const vticks = [];
  for (let v = vmin; v <= vmax + vstep / 2 && vticks.length < 20; v += vstep) vticks.push(v);

  // Layout.
  const tickLabels = vticks.map(formatValue);
  const left = Math.ceil(Math.max(...tickLabels.map((s) => s.length)) * font * 0.62) + 14;
  const right = 14;
  const top = font + 8;
  const bottom = font * 2 + 10;
  const x0 = left;
  const x1 = width - right;
  const y0 = top;
  const y1 = height - bottom;

  // Time scale: from the first point to the last plus a little room for the
  // last step to be seen.
  let t0 = times[0];
  let tLast = times[times.length - 1];
  let span = tLast - t0;
  if (!(span > 0)) span = MINUTE;
  const t1 = tLast + span * 0.06;
  const tspan = t1 - t0;
  const X = (t) => x0 + ((t - t0) / tspan) * (x1 - x0);
  const Y = (v) => y1 - ((v - vmin) / (vmax - vmin)) * (y1 - y0);
  const yZero = Y(0);

  const lowText = `${lowest}${unitText}`;
  const label = `Your${unitText} balance over time: ${points.length - 1} payment${points.length === 2 ? "" : "s"} ` +
    `from ${formatWhen(times[1])} to ${formatWhen(tLast)}; now ${last}${unitText}` +
    (lowest < 0n ? `, lowest ${lowText} (in debt)` : "") + ".";
  const svg = frame(container, "tf-balance", width, height, label);

  // Clips: above and below the zero line.
  const above = nextId("above");
  const below = nextId("below");
  svg.append(
    el("defs", {},
      el("clipPath", { id: above }, el("rect", { x: x0, y: y0 - 10, width: x1 - x0, height: Math.max(0, yZero - y0 + 10) })),
      el("clipPath", { id: below }, el("rect", { x: x0, y: yZero, width: x1 - x0, height: Math.max(0, y1 - yZero + 10) })),
    ),
  );

  // Grid and value ticks.
  const grid = el("g", { class: "grid", "aria-hidden": "true" });
  const ticks = el("g", { class: "tick", "aria-hidden": "true" });
  vticks.forEach((v, i) => {
    const y = round(Y(v));
    if (v !== 0) grid.append(el("line", { x1: x0, x2: x1, y1: y, y2: y }));
    ticks.append(el("text", { x: x0 - 6, y, "text-anchor": "end", "dominant-baseline": "middle" }, tickLabels[i]));
  });

  // Time ticks.
  const tcount = clamp(Math.floor((x1 - x0) / 80), 2, 8);
  const { ticks: tticks, step: tstep } = timeTicks(t0, tLast, tcount);
  const axis = el("g", { class: "axis", "aria-hidden": "true" },
    el("line", { x1: x0, x2: x1, y1: y1, y2: y1 }),
    el("line", { x1: x0, x2: x0, y1: y0, y2: y1 }));
  for (const t of tticks) {
    const x = round(X(t));
    axis.append(el("line", { x1: x, x2: x, y1: y1, y2: y1 + 4 }));
    grid.append(el("line", { x1: x, x2: x, y1: y0, y2: y1 }));
    const anchor = x > x1 - 24 ? "end" : "middle"; // keep the last label inside
    ticks.append(el("text", { x, y: y1 + font + 6, "text-anchor": anchor }, formatTime(t, tLast - t0, tstep)));
  }
  if (tLast - t0 < DAY) {
    // Say which day it is (under a day the ticks show only HH:MM).
    const d = new Date(t0 + 1);
    ticks.append(el("text", { x: x0, y: y1 + font * 2 + 10, "text-anchor": "start", class: "day" },
      d.toLocaleDateString(undefined, { weekday: "short", day: "numeric", month: "short", year: "numeric" })));
  }
  if (tLast - t0 < DAY) svg.setAttribute("viewBox", `0 0 ${width} ${height + font}`);
  svg.append(grid, ticks);

  // The step line and its areas.
  let d = `M${round(X(times[0]))},${round(Y(values[0]))}`;
  for (let i = 1; i < points.length; i++) {
    d += `H${round(X(times[i]))}V${round(Y(values[i]))}`;
  }
  d += `H${round(x1)}`;
  const area = `${d}V${round(yZero)}H${round(X(times[0]))}Z`;
  svg.append(
    el("path", { class: "area credit", d: area, "clip-path": `url(#${above})` }),
    el("path", { class: "area debt", d: area, "clip-path": `url(#${below})` }),
    el("line", { class: "zero", x1: x0, x2: x1, y1: round(yZero), y2: round(yZero) }),
    el("path", { class: "line", d, "clip-path": `url(#${above})` }),
    el("path", { class: "line debt", d, "clip-path": `url(#${below})` }),
    axis,
  );

  // One dot per payment, with a tooltip (not for very long series).
  if (points.length <= 300) {
    const dots = el("g", { class: "dots" });
    for (let i = 1; i < points.length; i++) {
      const negative = points[i].balance < 0n;
      const delta = points[i].balance - points[i - 1].balance;
      dots.append(el("circle", { class: negative ? "dot debt" : "dot", cx: round(X(times[i])), cy: round(Y(values[i])), r: 3 },
        title(`${formatWhen(times[i])}: ${delta >= 0n ? "+" : ""}${delta}${unitText}, balance ${points[i].balance}${unitText}`)));
    }
    svg.append(dots);
  }

  // The current balance, exact, at the end of the line.
  const yLast = Y(values[values.length - 1]);
  const labelY = yLast - y0 < font + 6 ? yLast + font + 4 : yLast - 6;
  svg.append(el("text", {
    class: last < 0n ? "last debt" : "last",
    x: x1 - 2,
    y: round(labelY),
    "text-anchor": "end",
  }, `${last}${unitText}`));
  return svg;
}

// ---------------------------------------------------------------- trust graph

/**
 * Draws who trusts and bans whom. `nodes`: [{ key, label }] (keys named in
 * edges but missing from nodes are added); `edges`: [{ from, to, kind }]
 * with kind "trusts" or "bans". `me` is drawn first, at the top. Options:
 * { width }.
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

// ---------------------------------------------------------------- styles

/** Default styles for the classes above; include once, e.g. in a <style>. */
export const picturesCss = `
.tf-picture { display: block; width: 100%; height: auto; overflow: visible; color: inherit;
  font: 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.tf-picture text { fill: currentColor; }
.tf-picture .empty { font-size: 14px; fill-opacity: 0.65; }
.tf-picture .axis line { stroke: currentColor; stroke-opacity: 0.55; stroke-width: 1; }
.tf-picture .grid line { stroke: currentColor; stroke-opacity: 0.1; stroke-width: 1; }
.tf-picture .tick text { fill-opacity: 0.75; font-variant-numeric: tabular-nums; }
.tf-picture .tick .day { fill-opacity: 0.6; }
.tf-picture .zero { stroke: currentColor; stroke-opacity: 0.7; stroke-width: 1.25; stroke-dasharray: 4 3; }
.tf-picture .area { stroke: none; }
.tf-picture .area.credit { fill: #2563eb; fill-opacity: 0.12; }
.tf-picture .area.debt { fill: #dc2626; fill-opacity: 0.18; }
.tf-picture .line { fill: none; stroke: #2563eb; stroke-width: 2; stroke-linejoin: round; }
.tf-picture .line.debt { stroke: #dc2626; }
.tf-picture .dot { fill: #fff; stroke: #2563eb; stroke-width: 1.5; }
.tf-picture .dot.debt { stroke: #dc2626; }
.tf-picture .dot:hover { stroke-width: 3; }
.tf-picture .last { font-weight: 600; fill: #1d4ed8; paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.tf-picture .last.debt { fill: #b91c1c; }
.tf-picture .node circle { fill: #fff; stroke: #475569; stroke-width: 1.5; }
.tf-picture .node text { paint-order: stroke; stroke: #fff; stroke-width: 3px; stroke-linejoin: round; }
.tf-picture .node.me circle { fill: #2563eb; stroke: #1e3a8a; stroke-width: 2; }
.tf-picture .node.me text { font-weight: 700; }
.tf-picture .node:hover circle { stroke-width: 3; }
.tf-picture .edge .line { fill: none; stroke-width: 1.5; }
.tf-picture .edge .hit { fill: none; stroke: transparent; stroke-width: 10; }
.tf-picture .edge.trusts .line { stroke: #15803d; }
.tf-picture .edge.bans .line { stroke: #dc2626; stroke-dasharray: 5 3; }
.tf-picture .edge:hover .line { stroke-width: 3; }
.tf-picture .arrow.trusts path { fill: #15803d; }
.tf-picture .arrow.bans path { fill: #dc2626; }
.tf-picture .legend text { fill-opacity: 0.85; }
`;

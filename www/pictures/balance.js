// My balance over time, per unit, as a step line:
//
//   balanceSeries(transactions, me)            → Map<unit, [{ time, balance }]>
//   balancePlot(container, series, { unit })   → draws one unit's series
import { TrustfoldNode } from "trustfold";
import { el, title, round, clamp, nextId, pictureWidth, frame, emptyPicture } from "./svg.js";

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
 *
 * Long (≈150 lines) on purpose: one drawing read top to bottom (scales,
 * layout, grid, line, dots, label); its parts share a dozen layout values.
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
  // Amounts as people write them ("12.50"), with the unit's decimals.
  const shown = (v) => (unit ? TrustfoldNode.formatAmount(v, unit) : String(v));
  if (points.length < 2) {
    return emptyPicture(container, "tf-balance", width, unit ? `No payments in ${unit} count in your view yet` : "No payments count in your view yet");
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
  // Ticks are in minor units; their labels in the unit ("2.5" for 250 cents).
  const scale = 10 ** (unit ? TrustfoldNode.unitDecimals(unit) : 0);
  const tickLabels = vticks.map((v) => (scale === 1 || Math.abs(v) >= 1e15 ? formatValue(v / scale) : String(Number((v / scale).toFixed(12)))));
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

  const lowText = `${shown(lowest)}${unitText}`;
  const label = `Your${unitText} balance over time: ${points.length - 1} payment${points.length === 2 ? "" : "s"} ` +
    `from ${formatWhen(times[1])} to ${formatWhen(tLast)}; now ${shown(last)}${unitText}` +
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
        title(`${formatWhen(times[i])}: ${delta >= 0n ? "+" : ""}${shown(delta)}${unitText}, balance ${shown(points[i].balance)}${unitText}`)));
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
  }, `${shown(last)}${unitText}`));
  return svg;
}

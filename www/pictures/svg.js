// What both pictures share, drawn as inline SVG with no dependencies: the
// element helper, the sizing that follows the container, the <svg> frame,
// the "nothing yet" picture, and the styles (picturesCss).
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
/** A fresh id for a <defs> entry (several pictures share one document). */
export const nextId = (prefix) => `tf-${prefix}-${++uid}`;

/** An SVG element with attributes (null/undefined ones left out) and children. */
export function el(name, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null) node.setAttribute(key, String(value));
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

/** A <title>: the tooltip and the accessible name. */
export const title = (text) => el("title", {}, text);
/** Coordinates to a tenth of a pixel: shorter paths, same picture. */
export const round = (x) => Math.round(x * 10) / 10;
/** A key as a label when no name was given. */
export const shortKey = (key) => String(key ?? "").slice(0, 8);
/** `x` kept within [lo, hi]. */
export const clamp = (x, lo, hi) => Math.min(hi, Math.max(lo, x));

// ---------------------------------------------------------------- sizing

const observers = new WeakMap();

/**
 * Width of the viewBox: the container's width in CSS pixels (320..900), or
 * 600 while it is not laid out (hidden), redrawn once it is.
 */
export function pictureWidth(container, options, redraw) {
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

/** Replaces the container's children with an empty, labelled <svg> of this size. */
export function frame(container, kind, width, height, label) {
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

/** The picture of nothing yet: a frame with one line of text. */
export function emptyPicture(container, kind, width, text) {
  const height = 120;
  const svg = frame(container, kind, width, height, text);
  svg.append(el("text", { class: "empty", x: width / 2, y: height / 2, "text-anchor": "middle", "dominant-baseline": "middle" }, text));
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

// A QR code of a link, as inline SVG drawn by lit-html: the modules come
// from the `qr` package (encoding only, pinned in package.json) as a
// matrix, and become one path of black runs on white, so the code reaches
// the DOM through attribute bindings, never as markup.
import { html } from "lit-html";
import encodeQR from "qr";

/** The path of the dark modules of `rows` (booleans), one rectangle per horizontal run. */
function modulesPath(rows) {
  let d = "";
  rows.forEach((row, y) => {
    for (let x = 0; x < row.length; ) {
      if (!row[x]) {
        x++;
        continue;
      }
      let run = 1;
      while (row[x + run]) run++;
      d += `M${x} ${y}h${run}v1h-${run}z`;
      x += run;
    }
  });
  return d;
}

let kept = { text: null, size: 0, path: "" };

/**
 * @license The QR encoder bundled with this page: qr 0.7.0, Copyright (c) 2023 Paul Miller (paulmillr.com)
 * SPDX-License-Identifier: MIT OR Apache-2.0
 */

/**
 * A QR code of `text` (medium error correction, the 4-module quiet zone
 * scanners expect), `label` its accessible name. Encoded once per text.
 */
export function qrCode(text, label) {
  if (kept.text !== text) {
    const rows = encodeQR(text, "raw", { ecc: "medium", border: 4 });
    kept = { text, size: rows.length, path: modulesPath(rows) };
  }
  const n = kept.size;
  return html`<svg class="qr" viewBox="0 0 ${n} ${n}" role="img" aria-label=${label} shape-rendering="crispEdges">
    <rect width=${n} height=${n} fill="#fff"></rect>
    <path d=${kept.path} fill="#000"></path>
  </svg>`;
}

// Removes the JSDoc blocks wasm-bindgen copies from every Rust doc comment
// into the JS glue (pkg/trustfold.js): a fifth of the glue, ≈ 5.4 kB
// gzipped of the package. The same docs stay in trustfold.d.ts, which is
// what editors and TypeScript read; the JS a browser downloads does not
// need them. Line-based: wasm-bindgen writes each block on lines of its
// own, opening with `/**` and closing with `*/`. The result is checked to
// parse (node --check) by the caller.
import fs from "node:fs";

const file = process.argv[2];
const lines = fs.readFileSync(file, "utf8").split("\n");
const kept = [];
let inside = false;
for (const line of lines) {
  const trimmed = line.trim();
  if (!inside && trimmed.startsWith("/**")) inside = true;
  if (!inside) kept.push(line);
  if (inside && trimmed.endsWith("*/")) inside = false;
}
if (inside) throw new Error(`${file}: a /** block that never closes`);
fs.writeFileSync(file, kept.join("\n"));
console.log(`strip-jsdoc: ${file} ${lines.length} → ${kept.length} lines`);

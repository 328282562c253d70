// The package in the bundlers JS apps use: builds tests/bundlers/app with
// webpack 5 and with Vite (their Node APIs, the configs in tests/bundlers/),
// serves each output on loopback, and runs it in headless chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { gzipSync } from "node:zlib";
import webpack from "webpack";
import { build as viteBuild } from "vite";
import { serve, launch, watch, root } from "./support.mjs";

const configs = path.join(root, "tests/bundlers");

function requirePkg() {
  // pkg/ is generated and gitignored; a clear failure beats a resolve error.
  assert.ok(
    fs.existsSync(path.join(root, "pkg/trustfold_bg.wasm")) && fs.existsSync(path.join(root, "pkg/trustfold.js")),
    "pkg/ is missing: run scripts/build-pkg.sh first",
  );
}

async function buildWebpack() {
  const { default: config } = await import(pathToFileURL(path.join(configs, "webpack.config.js")));
  const compiler = webpack(config);
  const stats = await new Promise((ok, fail) => compiler.run((err, s) => (err ? fail(err) : ok(s))));
  await new Promise((ok) => compiler.close(ok));
  assert.ok(!stats.hasErrors(), stats.toString({ all: false, errors: true }));
  return config.output.path;
}

async function buildVite() {
  const configFile = path.join(configs, "vite.config.js");
  await viteBuild({ configFile }); // throws on a build error
  const { default: config } = await import(pathToFileURL(configFile));
  return config.build.outDir;
}

/** Every emitted .js and .wasm file: raw and gzip -9 sizes. */
function sizes(dir) {
  return fs
    .readdirSync(dir, { recursive: true })
    .filter((f) => /\.(js|wasm)$/.test(f))
    .map((f) => {
      const bytes = fs.readFileSync(path.join(dir, f));
      return { file: f, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
    });
}

async function runApp(t, name, buildApp) {
  requirePkg();
  const started = performance.now();
  const out = await buildApp();
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  const files = sizes(out);
  t.diagnostic(`${name}: built in ${seconds} s into ${path.relative(root, out)}`);
  for (const f of files) t.diagnostic(`${name}: ${f.file} ${f.raw} B raw, ${f.gzip} B gzipped`);
  assert.ok(files.some((f) => f.file.endsWith(".wasm")), "the wasm is emitted as an asset");

  const server = await serve({ "/": out });
  const browser = await launch();
  t.after(async () => {
    await browser.close();
    await server.close();
  });
  const page = await browser.newPage();
  const errors = watch(page);
  const wasmFetched = [];
  page.on("response", (r) => {
    if (r.url().endsWith(".wasm")) wasmFetched.push(`${r.status()} ${r.headers()["content-type"]}`);
  });
  await page.goto(`${server.url}/`);
  await page.waitForFunction(() => window.result || window.error, null, { timeout: 30_000 });
  const { result, error } = await page.evaluate(() => ({ result: window.result, error: window.error }));

  assert.equal(error, undefined, `the app failed: ${JSON.stringify(error)}`);
  assert.match(result.publicKey, /^[0-9a-f]{64}$/);
  assert.equal(result.balance, "-42");
  assert.equal(result.other, "42");
  assert.equal(result.text, "hello from a bundle");
  assert.deepEqual(result.workers, { stored: 40, checked: 40, failed: null }, "a batch was checked in a worker");
  assert.equal(await page.textContent("#balance"), "-42");
  // Once by the page, and once by each worker whose bundle loads it with
  // the package's JS before it is given the page's compiled module.
  assert.ok(wasmFetched.length >= 1, "the emitted wasm is fetched");
  assert.ok(wasmFetched.every((w) => w === "200 application/wasm"), wasmFetched.join(", "));
  assert.deepEqual(errors.map(String), [], "no page error");
}

test("webpack 5 bundles and runs the package", (t) => runApp(t, "webpack", buildWebpack));
test("Vite bundles and runs the package", (t) => runApp(t, "vite", buildVite));

// Shared by the browser tests: a static file server on loopback and
// Debian's headless chromium driven by playwright-core.
import http from "node:http";
import fs from "node:fs/promises";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { spawn } from "node:child_process";
import net from "node:net";
import assert from "node:assert/strict";
import { chromium } from "playwright-core";

/** The repository root. */
export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".wasm": "application/wasm",
  ".json": "application/json",
  ".css": "text/css",
  ".ts": "text/plain",
};

/**
 * Serves `mounts` ({ "/prefix/": "/dir" }) on http://127.0.0.1:<free port>
 * (or `host`). 127.0.0.1 is a secure context, so Web Locks and crypto work
 * as on https; another host needs Chromium's
 * `--unsafely-treat-insecure-origin-as-secure`.
 */
export async function serve(mounts, host = "127.0.0.1") {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    let pathname = decodeURIComponent(url.pathname);
    if (pathname.endsWith("/")) pathname += "index.html";
    const prefix = Object.keys(mounts)
      .filter((p) => pathname.startsWith(p))
      .sort((a, b) => b.length - a.length)[0];
    if (prefix === undefined) {
      res.writeHead(404).end();
      return;
    }
    const base = mounts[prefix];
    const file = path.join(base, pathname.slice(prefix.length));
    if (!file.startsWith(base)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await fs.readFile(file);
      res.writeHead(200, {
        "content-type": types[path.extname(file)] ?? "application/octet-stream",
        "cache-control": "no-store",
      });
      res.end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise((ok) => server.listen(0, host, ok));
  const { port } = server.address();
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise((ok) => server.close(ok)),
  };
}

/**
 * The one list of Chromium flags: webdriver.json's, which
 * wasm-bindgen-test-runner reads for the wasm tests (Playwright adds
 * `--headless` itself). Runs as root, so without the sandbox; WebRTC stays
 * on loopback addresses.
 */
export const CHROMIUM_FLAGS = JSON.parse(
  readFileSync(path.join(root, "webdriver.json"), "utf8"),
)["goog:chromeOptions"].args.filter((flag) => flag !== "--headless");

/** The browser to run: Debian's chromium unless CHROMIUM names another. */
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";

/** Headless Debian chromium. */
export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

/** Fails the test with the page's errors instead of hanging on them. */
export function watch(page, errors = []) {
  page.on("pageerror", (e) => errors.push(e));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(new Error(m.text()));
  });
  return errors;
}

/**
 * Starts the real signalling server (target/debug/trustfold-server, built by
 * `cargo build`) on a free loopback port; `site` is served as the page.
 * `flags` are more of its flags (`["--relay-max-events", "3"]`).
 */
export async function signallingServer(site, { relay = true, relayDb, addr = "127.0.0.1:0", flags = [] } = {}) {
  const binary = path.join(root, "target/debug/trustfold-server");
  // Every page of every test comes from 127.0.0.1: lift the per-address
  // limits that would otherwise treat them as one client.
  const args = ["--addr", addr, "--max-per-address", "1000",
    "--address-joins", "100/1000", "--address-rate", "10000/10000"];
  if (site) args.push("--site", site);
  // The relay keeps its database in a fresh folder of its own (or in the
  // one given, to restart a relay on what it stored).
  relayDb ??= path.join(mkdtempSync(path.join(tmpdir(), "trustfold-relay-")), "relay.sqlite");
  if (relay) args.push("--relay-db", relayDb);
  else args.push("--no-relay");
  args.push(...flags);
  const child = spawn(binary, args, { env: { ...process.env, RUST_LOG: "info", NO_COLOR: "1" } });
  const url = await new Promise((resolve, reject) => {
    let output = "";
    const look = (chunk) => {
      output += chunk;
      const found = output.match(/trustfold at (http:\/\/[\d.]+:\d+)\//);
      if (found) resolve(found[1]);
    };
    child.stdout.on("data", look);
    child.stderr.on("data", look);
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`server exited (${code}): ${output}`)));
  });
  const exited = new Promise((resolve) => child.on("exit", resolve));
  return {
    url,
    relayDb,
    stop: () => child.kill(),
    /** Kills it with SIGKILL: a crash, nothing finished. */
    kill: () => child.kill("SIGKILL"),
    /** Stops the server and waits until it has exited (its files closed). */
    stopped: () => {
      child.kill();
      return exited;
    },
  };
}

/**
 * The package in the test page (tests/browser/page, which exposes it as
 * `window.trustfold`), served with pkg/, and a browser: `{ server, browser }`
 * for a test file's `before`, closed by `close()` in its `after`.
 */
export async function packageInPage() {
  if (!existsSync(path.join(root, "pkg/trustfold_bg.wasm"))) {
    throw new Error("pkg/ is missing: run scripts/build-pkg.sh first");
  }
  const server = await serve({
    "/pkg/": path.join(root, "pkg"),
    "/": path.join(root, "tests/browser/page"),
  });
  const browser = await launch();
  return {
    server,
    browser,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * The page as people get it: dist/, built by `make www` (the production
 * build: no `window.node`). For tests that act through the UI only; it is
 * built once, not per test file.
 */
export function builtSite() {
  const site = path.join(root, "dist");
  if (!existsSync(path.join(site, "index.html"))) throw new Error("dist/ is missing: run make www first");
  return site;
}

/**
 * Builds the test build of the page (`webpack --env test`: dist/ plus
 * `window.node`) into `folder` (under target/; the default is
 * target/dist-test/, which the build cleans, so each test file that runs
 * beside another takes its own) and returns its path.
 */
export async function testSite(folder) {
  if (!existsSync(path.join(root, "pkg/trustfold_bg.wasm"))) throw new Error("pkg/ is missing: run make pkg first");
  const { default: webpack } = await import("webpack");
  const { default: configFor } = await import(pathToFileURL(path.join(root, "webpack.config.js")));
  const config = configFor({ test: true });
  if (folder) config.output.path = path.join(root, "target", folder);
  const stats = await new Promise((ok, fail) => webpack(config, (e, s) => (e ? fail(e) : ok(s))));
  if (stats.hasErrors()) throw new Error(stats.toString("errors-only"));
  return config.output.path;
}

/** A free loopback port: a server restarted on it keeps its origin (the pages' storage is per origin). */
export function freePort() {
  return new Promise((ok, fail) => {
    const probe = net.createServer();
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => ok(port));
    });
    probe.on("error", fail);
  });
}

/** The 64-hex key made of the byte `n` repeated (a key nobody holds). */
export const repeatedKey = (n) => n.toString(16).padStart(2, "0").repeat(32);

/**
 * The events of IndexedDB blocks as trustfold keeps them (one block per
 * written batch: a format byte, then per event its 32-byte id, its length
 * as a little-endian u32 and its bytes), each event's bytes as a plain array.
 */
export function eventsInBlocks(blocks) {
  const events = [];
  for (const block of blocks.map((b) => Buffer.from(b))) {
    for (let at = 1; at < block.length; ) {
      const length = block.readUInt32LE(at + 32);
      events.push(Array.from(block.subarray(at + 36, at + 36 + length)));
      at += 36 + length;
    }
  }
  return events;
}

/**
 * The pixels at which two PNG screenshots of one size differ by more than
 * `shade` in a colour channel: `[x, y]` each. Antialiasing may move a
 * shade between two renderings of the same page; a clipped or missing
 * mark is a run of other colours. The browser of `page` decodes them.
 */
export async function pixelsApart(page, a, b, shade = 48) {
  const [sizes, apart] = await page.evaluate(
    async ([a, b, shade]) => {
      const pixels = async (base64) => {
        const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        const image = await createImageBitmap(new Blob([bytes], { type: "image/png" }), {
          colorSpaceConversion: "none",
          premultiplyAlpha: "none",
        });
        const canvas = new OffscreenCanvas(image.width, image.height);
        const context = canvas.getContext("2d");
        context.drawImage(image, 0, 0);
        return context.getImageData(0, 0, image.width, image.height);
      };
      const [pa, pb] = [await pixels(a), await pixels(b)];
      const apart = [];
      if (pa.width === pb.width && pa.height === pb.height) {
        for (let i = 0; i < pa.data.length; i += 4) {
          if ([0, 1, 2].some((c) => Math.abs(pa.data[i + c] - pb.data[i + c]) > shade)) {
            apart.push([(i / 4) % pa.width, Math.floor(i / 4 / pa.width)]);
          }
        }
      }
      return [[pa.width, pa.height, pb.width, pb.height], apart];
    },
    [a.toString("base64"), b.toString("base64"), shade],
  );
  assert.deepEqual(sizes.slice(0, 2), sizes.slice(2), "screenshots of one size");
  return apart;
}

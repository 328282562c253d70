// Vite build of the tiny app in app/ (used by tests/browser/bundlers.test.mjs).
// Vite turns the package's `new URL("trustfold_bg.wasm", import.meta.url)`
// into an emitted asset itself: no wasm plugin.
import path from "node:path";
import { defineConfig } from "vite";

const here = import.meta.dirname;
const root = path.resolve(here, "../..");

export default defineConfig({
  root: path.join(here, "app"),
  base: "./", // relative URLs: the test serves the output under any prefix
  logLevel: "warn",
  // pkg/ is generated, so it is not a dependency in package.json; an app
  // installing the published package would need no alias.
  resolve: { alias: { trustfold: path.join(root, "pkg") } },
  build: {
    outDir: path.join(root, "target/bundlers/vite"),
    emptyOutDir: true, // outside the app root, Vite only empties it when told
    chunkSizeWarningLimit: 4096, // the wasm is ~2 MB by design
  },
});

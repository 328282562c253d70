// webpack 5 build of the tiny app in app/ (used by tests/browser/bundlers.test.mjs).
// No loader or plugin package: webpack 5 turns the package's
// `new URL("trustfold_bg.wasm", import.meta.url)` into an emitted asset itself.
import fs from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "../..");
const app = path.join(import.meta.dirname, "app");

export default {
  mode: "production",
  context: app,
  entry: { main: "./main.js" },
  output: {
    path: path.join(root, "target/bundlers/webpack"),
    filename: "[name].js", // the name index.html asks for
    clean: true,
  },
  // pkg/ is generated, so it is not a dependency in package.json; an app
  // installing the published package would need no alias.
  resolve: { alias: { trustfold: path.join(root, "pkg") } },
  // The wasm is ~2 MB by design; the test reports the sizes instead.
  performance: { hints: false },
  plugins: [
    {
      // Copies index.html unchanged (no html-webpack-plugin installed);
      // `minimized` keeps webpack's built-in HTML minimizer off it.
      apply(compiler) {
        const { Compilation, sources } = compiler.webpack;
        compiler.hooks.thisCompilation.tap("CopyHtml", (compilation) => {
          const html = path.join(app, "index.html");
          compilation.fileDependencies.add(html);
          compilation.hooks.processAssets.tap(
            { name: "CopyHtml", stage: Compilation.PROCESS_ASSETS_STAGE_ADDITIONAL },
            () => compilation.emitAsset("index.html", new sources.RawSource(fs.readFileSync(html)), { minimized: true }),
          );
        });
      },
    },
  ],
};

// node export-backup.mjs <profile dir> <net> <out file>: opens the page
// (a new identity on first visit) and writes its backup (passphrase below).
import fs from "node:fs";
import { launch, openNet } from "./lib.mjs";
const [profile, net, out] = process.argv.slice(2);
const { context, page } = await launch(profile);
await openNet(page, net);
const b64 = await page.evaluate(() => {
  const bytes = window.node.exportBackup("perf audit passphrase 2026");
  return btoa(String.fromCharCode(...bytes));
});
fs.writeFileSync(out, Buffer.from(b64, "base64"));
console.log("me", await page.textContent("#me"), "events", JSON.stringify(await page.evaluate(() => window.node.syncStatus())));
await context.close();

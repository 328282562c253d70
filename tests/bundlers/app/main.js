// A tiny app using the npm package the way an app would: by its name.
// Each bundler config resolves `trustfold` to the generated pkg/.
import init, { TrustfoldNode } from "trustfold";

// A made-up counterparty: any 64 hex digits name an account.
const OTHER = "ab".repeat(32);

async function main() {
  await init(); // fetches the wasm the bundler emitted, via new URL(…, import.meta.url)
  const node = await TrustfoldNode.open(`bundlers-${Date.now()}-${Math.random()}`);
  await node.pay(OTHER, 42n, "EUR", "bundled");
  node.createRecord("notes", "n");
  node.setText("notes", "n", "body", "hello from a bundle");
  await node.commit();
  const result = {
    publicKey: node.publicKey,
    balance: node.balance(node.publicKey, "EUR").toString(),
    other: node.balance(OTHER, "EUR").toString(),
    text: node.record("notes", "n")?.fields.body?.value?.text ?? null,
  };
  result.workers = await checkedInWorkers();
  document.getElementById("key").textContent = result.publicKey;
  document.getElementById("balance").textContent = result.balance;
  document.getElementById("text").textContent = result.text;
  window.result = result;
}

// A second node takes in 40 events of a first one, as from a peer: a batch
// that large is checked in the package's Web Workers, which the bundler
// must have emitted and started. What the workers did, and how many of the
// events the second node stored.
async function checkedInWorkers() {
  const name = `bundlers-from-${Date.now()}-${Math.random()}`;
  const from = await TrustfoldNode.open(name);
  for (let i = 0; i < 40; i++) await from.pay(OTHER, 1n, "EUR", `payment ${i}`);
  from.close();
  const events = await storedEvents(`trustfold-${name}`);
  const node = await TrustfoldNode.open(`bundlers-to-${Date.now()}-${Math.random()}`);
  const { stored } = await node.receive(events);
  const workers = node.verifyWorkers;
  node.close();
  return { stored, checked: workers.checked, failed: workers.failed };
}

/** Every event stored in the IndexedDB database `name` (its blocks: a format byte, then id, u32 LE length, bytes). */
async function storedEvents(name) {
  const done = (r) => new Promise((ok, fail) => ((r.onsuccess = () => ok(r.result)), (r.onerror = () => fail(r.error))));
  const db = await done(indexedDB.open(name));
  const blocks = await done(db.transaction("blocks").objectStore("blocks").getAll());
  db.close();
  const events = [];
  for (const block of blocks.map((b) => new Uint8Array(b))) {
    const view = new DataView(block.buffer, block.byteOffset, block.byteLength);
    for (let at = 1; at < block.length; at += 36 + view.getUint32(at + 32, true)) {
      events.push(block.slice(at + 36, at + 36 + view.getUint32(at + 32, true)));
    }
  }
  return events;
}

main().catch((e) => {
  // Not id="error": an element with that id would itself be `window.error`.
  document.getElementById("failure").textContent = `${e?.code ?? ""} ${e?.message ?? e}`;
  window.error = { message: String(e?.message ?? e), code: e?.code ?? null };
});

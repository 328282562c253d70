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
  document.getElementById("key").textContent = result.publicKey;
  document.getElementById("balance").textContent = result.balance;
  document.getElementById("text").textContent = result.text;
  window.result = result;
}

main().catch((e) => {
  // Not id="error": an element with that id would itself be `window.error`.
  document.getElementById("failure").textContent = `${e?.code ?? ""} ${e?.message ?? e}`;
  window.error = { message: String(e?.message ?? e), code: e?.code ?? null };
});

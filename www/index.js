// The node page: open it to join. Shows the state saved last time at once,
// then the state computed from the log, and keeps it current: this tab,
// other tabs, and other browsers in the same network (WebRTC, found through
// the signalling server that serves this page).
import init, { TrustfoldNode } from "trustfold";

const network = new URLSearchParams(location.search).get("network") ?? "main";
const $ = (selector) => document.querySelector(selector);
const short = (key) => `${key.slice(0, 8)}…`;

function rows(table, items, render) {
  const body = $(`${table} tbody`);
  body.replaceChildren(
    ...items.map((item) => {
      const tr = document.createElement("tr");
      for (const [text, className] of render(item)) {
        const td = document.createElement("td");
        td.textContent = text;
        if (className) td.className = className;
        tr.append(td);
      }
      return tr;
    }),
  );
}

function showBalances(balances, me) {
  rows("#balances", balances, (b) => [
    [b.account === me ? "you" : short(b.account), "key"],
    [`${b.balance} ${b.unit}`, b.balance < 0n ? "neg" : ""],
  ]);
}

function show(node) {
  const me = node.publicKey;
  $("#me").textContent = me;
  showBalances(node.balances(), me);
  const transactions = node.transactions().reverse().slice(0, 50);
  rows("#transactions", transactions, (t) => [
    [`${t.from === me ? "you" : short(t.from)} → ${t.to === me ? "you" : short(t.to)}`, "key"],
    [`${t.amount} ${t.unit}`, t.status === "included" ? "" : "excluded"],
    [t.memo],
    [t.status === "included" ? "" : t.reason, "muted"],
  ]);
}

async function main() {
  await init();
  const cached = await TrustfoldNode.cachedState(network);
  if (cached) {
    $("#status").textContent = `Loading ${cached.events} events… (showing the state saved last time)`;
    showBalances(cached.balances(), null);
  }
  const node = await TrustfoldNode.open(network);
  window.node = node; // for the console and for tests
  const status = () => {
    const { peers, waiting } = node.syncStatus();
    $("#status").textContent =
      `Network “${network}”: ${node.transactions().length} payments known, ` +
      `${peers} ${peers === 1 ? "peer" : "peers"} linked` +
      (waiting > 0 ? `, ${waiting} events waiting for earlier ones.` : ".");
  };
  show(node);
  status();
  node.subscribe(() => {
    show(node);
    status();
  });
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  node.connect(`${scheme}//${location.host}/signal`);
  setInterval(status, 2000);

  $("#pay").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    $("#pay-error").textContent = "";
    try {
      await node.pay(form.get("to").trim(), BigInt(form.get("amount")), form.get("unit").trim(), form.get("memo"));
      event.target.reset();
    } catch (e) {
      $("#pay-error").textContent = e.code ? `${e.code}: ${e.message}` : String(e);
    }
  });
}

main().catch((e) => {
  $("#status").textContent = `Could not open the node: ${e.code ?? ""} ${e.message ?? e}`;
  $("#status").className = "error";
});

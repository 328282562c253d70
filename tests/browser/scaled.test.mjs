// Pages behind a load balancer in front of two server instances whose
// relays share their networks through a 3-node NATS JetStream cluster
// (issue #16), in real Chromium with the real servers, Debian's HAProxy
// and nats-server, through the UI only. Two pages each on its own
// instance, never online together, get each other's payments and edits
// through the relays and JetStream; two pages on different instances
// meet through the signalling rooms NATS spans and link over WebRTC; behind
// HAProxy, payments and edits reach everyone whichever instance each
// page's connections land on, one instance and one NATS node are killed
// with SIGKILL, the pages reconnect through HAProxy to the live instance,
// and nothing that was saved is lost; both come back, and a page on the
// restarted instance gets everything.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { root, launch, signallingServer } from "./support.mjs";
import { fresh, usersOf } from "./people.mjs";
import { natsCluster, loadBalancer } from "./scaled.mjs";

const site = path.join(root, "dist");
const dir = path.join(root, "target", "scaled-test");
const served = {};
let cluster;
let instances = [];
let balancer;

before(async () => {
  if (!fs.existsSync(path.join(site, "index.html"))) throw new Error("dist/ is missing: run npx webpack first");
  cluster = await natsCluster(path.join(dir, "nats"));
  const flags = ["--nats", cluster.urls, "--trusted-proxy", "127.0.0.1"];
  instances = [await signallingServer(site, { flags }), await signallingServer(site, { flags })];
  balancer = await loadBalancer(instances.map((i) => i.url), dir);
  served.url = balancer.url;
  served.browser = await launch();
});

after(async () => {
  await served.browser?.close();
  balancer?.stop();
  for (const i of instances) i.kill();
  cluster?.stop();
});

const { person, sees, tab, pay } = usersOf(served);

/** The page's console errors, less the ones a browser logs by itself while a server is gone. */
const pageErrors = (p) =>
  p.errors.filter((e) => !/WebSocket connection to .* failed|ERR_CONNECTION|Failed to fetch|502|503/.test(e.message));

test("two pages on two instances, never online together, get each other's payments and edits through JetStream", async () => {
  const network = fresh("two-instances");
  const at = (i) => usersOf({ browser: served.browser, url: instances[i].url });
  // Bob opens the page once on instance 1, then closes it.
  const bob = await at(1).person(network, "Bob");
  await bob.page.close();
  // Alice, on instance 0, pays him and adds a record while he is away.
  const alice = await at(0).person(network, "Alice");
  await pay(alice, bob.key, 12.5, "across-instances");
  await tab(alice, "records");
  await alice.page.fill("#record-form input[name=id]", "garden");
  await alice.page.click("#record-form button");
  await sees(alice, "#record-table", "garden");
  await sees(alice, "#relay-status", "Saved on the relay");
  assert.deepEqual(pageErrors(alice), [], "Alice: no console errors");
  await alice.context.close();
  // Bob comes back to instance 1: its relay has both from JetStream.
  bob.page = await bob.context.newPage();
  await bob.page.goto(`${instances[1].url}/#net=${network}`);
  await at(1).opened(bob);
  await sees(bob, "#transactions", "across-instances");
  await tab(bob, "records");
  await sees(bob, "#record-table", "garden");
  await bob.context.close();
});

test("two pages on two instances meet through NATS and link directly over WebRTC", async () => {
  const network = fresh("linked");
  const at = (i) => usersOf({ browser: served.browser, url: instances[i].url });
  const alice = await at(0).person(network, "Alice");
  const bob = await at(1).person(network, "Bob");
  // Signalling spans the instances: each page finds the other and links.
  for (const p of [alice, bob]) await sees(p, "#status", "1 peer linked");
  await pay(alice, bob.key, 4, "over-the-link");
  await sees(bob, "#transactions", "over-the-link");
  for (const p of [alice, bob]) assert.deepEqual(pageErrors(p), [], `${p.name}: no console errors`);
  await Promise.all([alice, bob].map((p) => p.context.close()));
});

test("behind a load balancer, payments and edits reach everyone and survive an instance and a NATS node killed and restarted", async () => {
  const network = fresh("scaled");
  const alice = await person(network, "Alice");
  const bob = await person(network, "Bob");
  await sees(alice, "#relay-status", "Saved on the relay");
  await sees(bob, "#relay-status", "Saved on the relay");

  // A payment and a record edit, each seen on the other page.
  await pay(alice, bob.key, 12.5, "before-the-kill");
  await sees(bob, "#transactions", "before-the-kill");
  await tab(bob, "records");
  await bob.page.fill("#record-form input[name=id]", "roof");
  await bob.page.click("#record-form button");
  await tab(alice, "records");
  await sees(alice, "#record-table", "roof");
  await sees(alice, "#relay-status", "Saved on the relay");

  // One instance and one NATS node die.
  instances[0].kill();
  cluster.kill(1);
  // Both pages come back through HAProxy to the live instance, and what
  // Bob pays now reaches Alice.
  await tab(bob, "ledger");
  await pay(bob, alice.key, 3, "after-the-kill");
  await tab(alice, "ledger");
  await sees(alice, "#transactions", "after-the-kill");
  await sees(bob, "#relay-status", "Saved on the relay");

  // Someone new, on whichever instance is alive, gets all of it from the relays.
  const carol = await person(network, "Carol");
  await sees(carol, "#transactions", "before-the-kill");
  await sees(carol, "#transactions", "after-the-kill");
  await tab(carol, "records");
  await sees(carol, "#record-table", "roof");

  // Both come back: the instance on its address and its database, the
  // NATS node on its store. A page on the restarted instance gets it all.
  cluster.restart(1);
  instances[0] = await signallingServer(site, {
    flags: ["--nats", cluster.urls, "--trusted-proxy", "127.0.0.1"],
    addr: new URL(instances[0].url).host,
    relayDb: instances[0].relayDb,
  });
  const dave = await usersOf({ browser: served.browser, url: instances[0].url }).person(network, "Dave");
  await sees(dave, "#transactions", "before-the-kill");
  await sees(dave, "#transactions", "after-the-kill");
  await tab(dave, "records");
  await sees(dave, "#record-table", "roof");
  for (const p of [alice, bob, carol, dave]) assert.deepEqual(pageErrors(p), [], `${p.name}: no console errors`);
  await Promise.all([alice, bob, carol, dave].map((p) => p.context.close()));
});

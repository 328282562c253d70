// The scaled-out setup for the browser tests (issue #16), on loopback: a
// 3-node JetStream cluster of Debian's nats-server and Debian's HAProxy in
// front of server instances. Every wait is bounded.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { freePort } from "./support.mjs";

/** Waits (≤ `ms`) until `done()` holds, polling every 50 ms. */
async function until(done, ms, what) {
  const deadline = Date.now() + ms;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts three nats-server nodes with JetStream, routed to each other, under `dir`: `{ urls, stop }`. */
export async function natsCluster(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const nodes = [];
  for (let n = 0; n < 3; n++) nodes.push({ client: await freePort(), cluster: await freePort(), log: "" });
  const routes = nodes.map((n) => `nats://127.0.0.1:${n.cluster}`).join(",");
  // The relay refuses servers that take messages smaller than an event may be.
  const config = path.join(dir, "nats.conf");
  fs.writeFileSync(config, "max_payload: 4194304\n");
  const start = (n) => {
    const node = nodes[n];
    node.child = spawn("nats-server", [
      "-c", config, "-a", "127.0.0.1", "-p", String(node.client), "-n", `n${n}`, "-js", "-sd", path.join(dir, `n${n}`),
      "--cluster_name", "trustfold-test", "--cluster", `nats://127.0.0.1:${node.cluster}`, "--routes", routes,
    ]);
    const add = (chunk) => (node.log += chunk);
    node.child.stdout.on("data", add);
    node.child.stderr.on("data", add);
  };
  for (const n of nodes.keys()) start(n);
  // Streams can be made once JetStream has elected its leader.
  await until(() => nodes.every((n) => n.log.includes("metadata leader")), 30000, "JetStream's leader");
  return {
    urls: nodes.map((n) => `nats://127.0.0.1:${n.client}`).join(","),
    /** Kills node `n` with SIGKILL. */
    kill: (n) => nodes[n].child.kill("SIGKILL"),
    /** Starts node `n` again on its ports and its store. */
    restart: (n) => start(n),
    stop: () => nodes.forEach((n) => n.child.kill("SIGKILL")),
  };
}

/**
 * HAProxy on a free port in front of the servers at `urls` (round robin,
 * each checked at /readyz every 300 ms): `{ url, stop }`.
 */
export async function loadBalancer(urls, dir) {
  const port = await freePort();
  const servers = urls
    .map((u, i) => `  server s${i} ${new URL(u).host} check inter 300ms fall 1 rise 1`)
    .join("\n");
  const config = path.join(dir, "haproxy.cfg");
  fs.writeFileSync(
    config,
    `defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout tunnel 1h
  option forwardfor
frontend trustfold
  bind 127.0.0.1:${port}
  default_backend instances
backend instances
  balance roundrobin
  option httpchk GET /readyz
${servers}
`,
  );
  const child = spawn("haproxy", ["-f", config]);
  let log = "";
  child.stderr.on("data", (c) => (log += c));
  const url = `http://127.0.0.1:${port}`;
  // Up once it answers through to a server.
  const deadline = Date.now() + 10000;
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`HAProxy did not start: ${log}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, stop: () => child.kill() };
}

// People using the node page in the browser tests: each in their own
// browser context (their own identity and storage), doing what a person
// does — clicks and typing — and waiting for what the page shows.
import assert from "node:assert/strict";
import { before, after } from "node:test";
import { builtSite, launch, signallingServer, watch } from "./support.mjs";

/** How long a person waits for something to show (sync over WebRTC included). */
export const WAIT = { timeout: 20000 };

/** A network name no other test uses. */
export const fresh = (prefix) => `${prefix}-${Math.random().toString(36).slice(2)}`;

/**
 * The helpers, for the page served at `site.url` in `site.browser` (both
 * filled in by the test file's `before`, hence read at each call).
 */
export function usersOf(site) {
  /** A person opening the page of the open network `network` in their own browser, named `name`. */
  const person = (network, name) => personAt(`net=${network}`, name);

  /**
   * A person opening the page at `#fragment` (`net=…`, `invite=…&name=…`)
   * in their own browser, named `name`; `options` are the browser
   * context's, `init` a script every page of it runs first.
   */
  async function personAt(fragment, name, { options = {}, init } = {}) {
    const context = await site.browser.newContext({ viewport: { width: 1100, height: 900 }, ...options });
    if (init) await context.addInitScript(init);
    const page = await context.newPage();
    const errors = watch(page);
    await page.goto(`${site.url}/#${fragment}`);
    const p = { context, page, errors, name };
    await opened(p, name);
    return p;
  }

  /** Waits until `p`'s page has opened its node (after a load or a change of network), then names them `name`. */
  async function opened(p, name) {
    await p.page.waitForFunction(() => /^[0-9a-f]{64}$/.test(document.querySelector("#me").textContent));
    if (name) {
      await p.page.click("#welcome-later");
      await p.page.fill("#my-name", name);
      await p.page.press("#my-name", "Tab");
    }
    p.key = await p.page.textContent("#me");
  }

  /**
   * People named `names` opening the open network `network`, in that
   * order: returned once each page is linked to all the others and knows
   * each of them by name.
   */
  async function linked(network, ...names) {
    const all = [];
    for (const name of names) all.push(await person(network, name));
    const others = all.length - 1;
    for (const p of all) await sees(p, "#status", `${others} ${others === 1 ? "peer" : "peers"} linked`);
    for (const p of all) await knows(p, ...all.filter((o) => o !== p));
    return all;
  }

  /** Waits until `p`'s page shows `text` in `selector`. */
  async function sees(p, selector, text) {
    try {
      await p.page.waitForFunction(
        ([s, t]) => document.querySelector(s)?.textContent.includes(t),
        [selector, text],
        WAIT,
      );
    } catch (e) {
      const shown = await p.page.evaluate(
        (s) => document.querySelector(s)?.textContent ?? `(none; ${document.body.innerText.slice(0, 300)})`,
        selector,
      );
      throw new Error(
        `${p.name ?? "page"}: “${text}” never showed in ${selector}, which shows: ${shown}; console errors: ${p.errors}`,
        { cause: e },
      );
    }
  }

  /** Waits until `p` knows everyone in `others` by name (their names synced). */
  async function knows(p, ...others) {
    await p.page.waitForFunction(
      (names) => names.every((n) => [...document.querySelectorAll("#known-keys option")].some((o) => o.value === n)),
      others.map((o) => o.name),
      WAIT,
    );
  }

  const tab = (p, name) => p.page.click(`#tab-${name}`);

  /**
   * `p` makes record `id` in `collection` with the text field `field`
   * holding `value`, through the Records panel's forms; returns the
   * selector of that field's text area, once shown.
   */
  async function makeRecord(p, collection, id, field, value) {
    await tab(p, "records");
    await p.page.fill("#collection-form input[name=collection]", collection);
    await p.page.click("#collection-form button");
    await p.page.fill("#record-form input[name=id]", id);
    await p.page.click("#record-form button");
    await p.page.fill("#field-form input[name=field]", field);
    await p.page.fill("#field-form input[name=value]", value);
    await p.page.click("#field-form button");
    const area = `textarea[data-record=${id}][data-field=${field}]`;
    await p.page.waitForSelector(area);
    return area;
  }

  async function pay(p, to, amount, memo) {
    await tab(p, "ledger");
    await p.page.fill("#pay input[name=to]", to);
    await p.page.fill("#pay input[name=amount]", String(amount));
    await p.page.fill("#pay input[name=memo]", memo);
    await p.page.click("#pay button");
    // A key nobody has made a change with is asked about first (a
    // mistyped key pays no one): pressing Pay again pays it.
    const asked = "nobody with this key has made a change";
    await p.page.waitForFunction(
      ([m, q]) => document.querySelector("#transactions")?.textContent.includes(m) || document.querySelector("#pay-error")?.textContent.includes(q),
      [memo, asked],
      WAIT,
    );
    if ((await p.page.textContent("#pay-error")).includes(asked)) await p.page.click("#pay button");
    await sees(p, "#transactions", memo);
  }

  /** Trusts or bans someone through the Trust panel: preview, then apply; returns the preview's text. */
  async function decide(p, action, whom) {
    await tab(p, "trust");
    await p.page.fill("#trust-form input[name=who]", whom);
    await p.page.click(`#trust-form button[value=${action}]`);
    await p.page.waitForSelector("#preview:not([hidden])");
    const preview = await p.page.textContent("#preview");
    await p.page.click("#preview-apply");
    await p.page.waitForSelector("#preview", { state: "hidden" });
    return preview;
  }

  /** Checks nobody's page logged an error, then closes their browsers. */
  async function closeAll(...people) {
    assert.deepEqual(people.flatMap((p) => p.errors), [], "no console errors");
    for (const p of people) await p.context.close();
  }

  return { person, personAt, linked, opened, sees, knows, tab, makeRecord, pay, decide, closeAll };
}

/**
 * For a test file whose people use the page as served (dist/, with the
 * real server and relay): starts both and a browser before its tests,
 * stops them after, and returns the helpers of `usersOf`.
 */
export function onBuiltPage() {
  const served = {};
  let server;
  before(async () => {
    server = await signallingServer(builtSite());
    served.browser = await launch();
    served.url = server.url;
  });
  after(async () => {
    await served.browser?.close();
    server?.stop();
  });
  return usersOf(served);
}

// The Trust panel: whom I trust and ban, the quorum, whether I follow
// published bans — each change previewed (what would stop or start
// counting, whose balance would move) before it applies — and who sent
// events that count for nothing in this private network.
import { html, render, nothing } from "lit-html";
import { live } from "lit-html/directives/live.js";
import { amountText, errorText, eventWords, followedBanWords, voidWords, whyWords } from "../words.js";
import { PEOPLE } from "../names.js";
import { viewKeyOf } from "../state.js";
import { madeInSteps } from "../steps.js";

const $ = (selector) => document.querySelector(selector);

/** Whom `change` is about, if it is about someone. */
const subjectOf = (change) => change.trust ?? change.untrust ?? change.ban ?? change.unban;

/**
 * My policy with `change` ({ trust | untrust | ban | unban: key, publish } or
 * { quorum } or { followBans }) made. My own published ban or trust counts
 * in my view like a trusted person's, so an unban or untrust that will be
 * published is previewed with my statement read as withdrawn (the core's
 * `withdrawn`): without it the preview said "changes nothing" and applying
 * it moved balances.
 */
function policyWith(s, change) {
  const trusted = new Set(s.policy.trusted);
  const banned = new Set(s.policy.banned);
  if (change.trust) trusted.add(change.trust);
  if (change.untrust) trusted.delete(change.untrust);
  if (change.ban) banned.add(change.ban);
  if (change.unban) banned.delete(change.unban);
  const quorum = change.quorum ?? s.policy.quorum;
  const followBans = change.followBans ?? s.policy.followBans;
  const withdrawn = change.publish && (change.unban || change.untrust) ? [change.unban ?? change.untrust] : [];
  return { me: s.me, trusted: [...trusted], banned: [...banned], quorum, followBans, withdrawn };
}

/**
 * Why an unpublished unban or untrust leaves my view as it is, if that is
 * my published statement: asked of the core (would publishing it change
 * my view?), not guessed from my lists — with a quorum above 1, or others
 * banning the same person, my statement alone may not be what holds.
 */
function stillPublished(change, s, node, who) {
  if (change.publish || !(change.unban || change.untrust)) return "";
  const published = node.compareViews(policyWith(s, { ...change, publish: true }));
  if (!published.onlyMine.length && !published.onlyTheirs.length) return "";
  return change.unban
    ? ` The ban on ${who(change.unban)} that you published still counts for you: tick “publish it” to lift it.`
    : ` The trust in ${who(change.untrust)} that you published still counts for you: tick “publish it” to withdraw it.`;
}

function describeChange(change, who) {
  if (change.trust) return `Trusting ${who(change.trust)}`;
  if (change.untrust) return `No longer trusting ${who(change.untrust)}`;
  if (change.ban) return `Banning ${who(change.ban)}`;
  if (change.unban) return `Lifting the ban on ${who(change.unban)}`;
  if (change.followBans !== undefined) {
    return change.followBans ? "Following bans published by people you trust" : "Ignoring bans published by others";
  }
  return change.quorum === 1
    ? "Needing one person you trust (you or another) to exclude or ban"
    : `Needing ${change.quorum} people you trust (you among them) to exclude or ban`;
}

/**
 * What `change` would do to my view, in words: computed once, when it is
 * asked for, in three steps (a generator: with a year of history a ban's
 * preview was one task of 57–74 ms — a fold of the log under the new
 * policy, then the words for every payment it changes, then the edits).
 * Each step reads the node as it is then: the caller makes it again if
 * the node changed between them.
 */
function* previewSteps(change, s, node, collections) {
  const { who } = s;
  const policy = policyWith(s, change);
  const comparison = node.compareViews(policy);
  const after = new Map(node.balancesUnder(policy).map((b) => [`${b.account} ${b.unit}`, b.balance]));
  const before = new Map(s.balances.map((b) => [`${b.account} ${b.unit}`, b.balance]));
  yield;
  const paymentsOf = (list) => s.paymentsAmong(list.filter((d) => d.kind === "transfer").map((d) => d.event));
  const payments = new Map([...paymentsOf(comparison.onlyMine), ...paymentsOf(comparison.onlyTheirs)]);
  // Edits of records are said by what they change in the records (below),
  // not one line per edit.
  const isEdit = (d) => d.kind === "doc";
  const edits = (list) => list.filter(isEdit).length;
  const items = [
    ...comparison.onlyMine
      .filter((d) => !isEdit(d))
      .map((d) => `${eventWords(d, payments, who)} would stop counting (${previewWhy(d.why, change, who) || d.status})`),
    ...comparison.onlyTheirs.filter((d) => !isEdit(d)).map((d) => `${eventWords(d, payments, who)} would count again`),
  ];
  yield;
  // A banned person keeps the name they gave themselves (a self-claim
  // counts unless excluded): their edits of names are not said to stop
  // counting, which sent people looking for a record that changed nowhere.
  const stopping = comparison.onlyMine.filter((d) => isEdit(d) && d.why?.kind === "authorBanned");
  const ids = stopping.map((d) => d.event).slice(0, 10000);
  const names = new Set(ids.length ? node.editsAmong(PEOPLE, ids).map((e) => e.event) : []);
  const stop = edits(comparison.onlyMine) - stopping.filter((d) => names.has(d.event)).length;
  const start = edits(comparison.onlyTheirs);
  const editsWords = (n) => (n === 1 ? "1 edit of a record" : `${n} edits of records`);
  if (stop) items.push(`${editsWords(stop)} would stop counting`);
  if (start) items.push(`${editsWords(start)} would count again`);
  if (stop || start) items.push(...recordChanges(node, policy, collections));
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    const [a, b] = [before.get(key) ?? 0n, after.get(key) ?? 0n];
    if (a !== b) {
      const [account, unit] = key.split(" ");
      items.push(`${who(account)}: ${amountText(a, unit)} → ${amountText(b, unit)}`);
    }
  }
  // A ban leaves out what the banned person did, not what was done to
  // them: payments to them still count, so a debtor banned can end up
  // owed. Said, since the balances alone read as a mistake.
  const banWords =
    change.ban && items.length
      ? ` A ban leaves out what ${who(change.ban)} did (their payments, edits and trust), not what others paid ${who(change.ban)}.`
      : "";
  const text = items.length
    ? `${describeChange(change, who)} would change your view:${banWords}`
    : `${describeChange(change, who)} changes nothing in your view now.${stillPublished(change, s, node, who)}`;
  return { change, text: text + unreachable(s.policy, policy), items };
}

/**
 * Why a payment would stop counting, as the preview says it: the ban
 * being previewed is not on my list yet ("Cleo is on your ban list" read
 * as if it were), so it is said as what I would do.
 */
function previewWhy(why, change, who) {
  if (change.ban && why?.kind === "authorBanned" && why.ban === "local" && why.author === change.ban) {
    return `you would ban ${who(change.ban)}`;
  }
  return whyWords(why, who);
}

/**
 * Said in the preview of a change after which fewer people can agree
 * (me and whom I trust: the core's `T`) than the quorum needs: then
 * nothing is left out, and nobody banned, through the people I trust —
 * the Trust panel said so only once the change was applied.
 */
function unreachable(now, then) {
  if (!quorumUnreachable(then) || quorumUnreachable(now)) return "";
  const n = canAgree(then);
  return ` With it, counting you, ${n} ${n === 1 ? "person" : "people"} can agree, fewer than the ${then.quorum} needed: nothing would be left out, and nobody banned, through the people you trust.`;
}

/** How many can agree under `policy`: me and whom I trust (the core's `T`). */
const canAgree = (policy) => policy.trusted.length + 1;

/** Whether `policy` needs more people than can agree: then nothing is left out, nobody banned, through others. */
const quorumUnreachable = (policy) => policy.quorum > canAgree(policy);

/** A value as a person reads it, cut short. */
function valueWords(field) {
  const v = field?.value;
  if (v === undefined) return "nothing";
  const text = typeof v === "object" && v !== null ? (v.text ?? v.unsupported ?? JSON.stringify(v)) : String(v);
  return `“${text.length > 40 ? `${text.slice(0, 40)}…` : text}”`;
}

/** What a view under `policy` would change in the records of the collections this page knows. */
function recordChanges(node, policy, collections) {
  const out = [];
  for (const name of collections) {
    const now = new Map(node.records(name).map((r) => [r.id, r]));
    const then = new Map(node.recordsUnder(name, policy).map((r) => [r.id, r]));
    for (const id of new Set([...now.keys(), ...then.keys()])) {
      const [a, b] = [now.get(id), then.get(id)];
      if (!b) {
        out.push(`Record “${id}” in ${name} would disappear`);
        continue;
      }
      if (!a) {
        out.push(`Record “${id}” in ${name} would appear`);
        continue;
      }
      for (const field of new Set([...Object.keys(a.fields), ...Object.keys(b.fields)])) {
        const [x, y] = [valueWords(a.fields[field]), valueWords(b.fields[field])];
        if (x !== y) out.push(`Record “${id}” in ${name}: ${field} would change from ${x} to ${y}`);
      }
    }
  }
  return out;
}

/** Wires the panel's forms (static in index.html) to `app`; the preview lives in `ui.preview`. */
export function mountTrust(app, ui) {
  const publishBox = () => $("#trust-form").elements.publish;
  let previewing = null; // the preview being made: a newer one replaces it
  // Apply is off while a preview is made.
  const making = (on) => {
    $("#preview-apply").disabled = on;
    $("#preview").setAttribute("aria-busy", String(on));
  };
  const preview = async (asked) => {
    // Whether it will be published is part of the change: the preview
    // depends on it, and Apply does what was previewed.
    const change = subjectOf(asked) ? { ...asked, publish: publishBox().checked } : asked;
    const pass = (previewing = {});
    // Nothing to apply while it is made: Apply does what is previewed. The
    // preview drawn before may stay drawn meanwhile (a tenth of a second
    // with a year of history, unless a frame hides it), with Apply off, so
    // a click then is seen to do nothing rather than silently lost; Apply
    // is on again once the new one is drawn.
    ui.preview = null;
    try {
      const collections = ui.collections?.all() ?? ["notes"];
      making(true);
      const made = await madeInSteps(
        () => previewSteps(change, app.state(), app.node, collections),
        () => viewKeyOf(app.node),
      );
      if (previewing !== pass) return;
      ui.preview = made;
    } catch (e) {
      if (previewing !== pass) return;
      making(false);
      $("#trust-error").textContent = errorText(e);
      app.refresh(); // the preview drawn before goes: it is not what was asked
      return;
    }
    try {
      await app.refresh();
    } finally {
      // A newer preview, or Cancel, since: Apply is theirs to set.
      if (previewing === pass) making(false);
    }
    if (previewing === pass) $("#preview-apply").focus();
  };
  ui.previewChange = preview;
  $("#trust-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const action = event.submitter?.value ?? "trust";
    $("#trust-error").textContent = "";
    try {
      preview({ [action]: app.state().keyFrom(event.target.elements.who.value) });
    } catch (e) {
      $("#trust-error").textContent = errorText(e);
    }
  });
  publishBox().addEventListener("change", () => {
    if (ui.preview && subjectOf(ui.preview.change)) preview(ui.preview.change);
  });
  $("#preview-cancel").addEventListener("click", () => {
    // A preview being made is cancelled too: it would show up after.
    previewing = null;
    making(false);
    ui.preview = null;
    app.refresh();
  });
  $("#preview-apply").addEventListener("click", async () => {
    const change = ui.preview?.change;
    if (!change) return;
    const node = app.node;
    const ok = await app.guarded("#trust-error", async () => {
      if (change.trust) await node.trust(change.trust);
      if (change.untrust) await node.untrust(change.untrust);
      if (change.ban) await node.ban(change.ban);
      if (change.unban) await node.unban(change.unban);
      if (change.quorum) await node.setQuorum(change.quorum);
      if (change.followBans !== undefined) await node.followBans(change.followBans);
      const subject = subjectOf(change);
      if (change.publish && subject) {
        await node.publishTrust(subject, change.trust ? "trusted" : change.ban ? "banned" : "neutral");
      }
    });
    if (ok) {
      ui.preview = null;
      $("#trust-form").elements.who.value = "";
      app.refresh();
    }
  });
  $("#quorum-form").addEventListener("submit", (event) => {
    event.preventDefault();
    preview({ quorum: Number(event.target.elements.quorum.value) });
  });
}

/** Draws the panel from the snapshot `s` and the preview waiting for "Apply" (`ui.preview`). */
export function renderTrust(s, ui) {
  const { who } = s;
  const item = (key, label, change) => html`<li>
    <span title=${key}>${who(key)}</span>
    <button type="button" class="quiet" @click=${() => ui.previewChange(change)}>${label}</button>
  </li>`;
  const none = (text) => html`<li class="muted">${text}</li>`;
  render(
    s.policy.trusted.length ? s.policy.trusted.map((k) => item(k, "Untrust…", { untrust: k })) : none("Nobody yet."),
    $("#trusted-list"),
  );
  render(
    s.policy.banned.length ? s.policy.banned.map((k) => item(k, "Unban…", { unban: k })) : none("Nobody."),
    $("#banned-list"),
  );
  // Left out though not on my list: banned by people I follow, or caught
  // forking. Said here, with who, so a balance that moved is explained.
  const others = s.bannedAuthors.filter((b) => b.reason !== "local");
  render(
    others.length
      ? others.map(
          (b) => html`<li><span title=${b.author}>${who(b.author)}</span>
            <span class="muted">${followedBanWords(b, who)}</span></li>`,
        )
      : none("Nobody."),
    $("#followed-bans"),
  );
  // The quorum as set: a number being typed stays, since lit sets the value
  // only when the policy's changes. The box shows the policy until a change
  // is applied (live: compared with what the box shows, not what was drawn).
  render(
    html`<input name="quorum" type="number" min="1" max="99" size="3" required .value=${String(s.policy.quorum)}>`,
    $("#quorum-label"),
  );
  // A quorum above those who can agree (me and whom I trust: the core's
  // `T`) leaves nothing out and bans nobody: said.
  const tooFew = quorumUnreachable(s.policy);
  $("#quorum-note").hidden = !tooFew;
  $("#quorum-note").textContent = tooFew
    ? `Counting you, ${canAgree(s.policy)} people can agree, fewer than the ${s.policy.quorum} needed: nothing is left out, ` +
      "and nobody banned, through the people you trust until you trust more or need fewer."
    : "";
  render(
    html`<input type="checkbox" id="follow-bans" .checked=${live(s.policy.followBans)} @change=${(event) =>
        ui.previewChange({ followBans: event.target.checked })}> Follow bans published by people I trust`,
    $("#follow-bans-label"),
  );
  // Events of this private network that count for nothing, by author: a
  // member whose device sends what nobody can read, or what breaks a rule.
  const voids = voidWords(s.voids, who);
  $("#void-notice").hidden = voids.length === 0;
  render(voids.map((text) => html`<p>${text}</p>`), $("#void-notice"));
  $("#preview").hidden = !ui.preview;
  render(ui.preview?.text ?? nothing, $("#preview-text"));
  render((ui.preview?.items ?? []).map((text) => html`<li>${text}</li>`), $("#preview-list"));
}

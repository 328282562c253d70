// Notices: what changed in my view because of someone else — a payment of
// mine that stopped counting (or counts again) because a person I follow
// banned its author or excluded it, with who and why and what it did to my
// balance; an edit of a record in my collections that someone I follow
// excluded (or that counts again), with the record and fields it touched;
// a person left out (or let back in) through bans I follow; someone who
// bans me (or no longer does), since nothing else tells me; payments to me
// as they arrive, in one notice that counts them. My own bans and
// exclusions are shown before they apply (the preview), so they make no
// notice.
import { html, render } from "lit-html";
import { amountText, editWords, followedBanWords, paymentWords, receivedWords, whyWords } from "../words.js";
import { grown } from "../derived.js";

/** The statuses, balances and bans seen at the last frame, and the notices shown. */
export function noticeState() {
  return { seen: null, seenList: null, balances: null, banned: null, bansOfMe: new Set(), edits: null, shown: [], next: 1 };
}

/** Who bans me in their published list. */
function bansOfMe(s) {
  return new Set([...(s.published ?? new Map())].filter(([, p]) => p?.banned?.includes(s.me)).map(([author]) => author));
}

/**
 * Adds a notice for each person who bans me since the last frame (at the
 * first frame too: a banned person was never told, and their typing
 * vanished for others without a word), and for each who no longer does.
 */
function updateBanOfMeNotices(s, state) {
  const now = bansOfMe(s);
  for (const author of now) {
    if (state.bansOfMe.has(author)) continue;
    state.shown.push({
      id: state.next++,
      text: `${s.who(author)} bans you: whoever follows ${s.who(author)}'s bans no longer counts your payments and edits of records. They stay in your own view.`,
      balance: "",
    });
  }
  for (const author of state.bansOfMe) {
    if (!now.has(author)) {
      state.shown.push({ id: state.next++, text: `${s.who(author)} no longer bans you.`, balance: "" });
    }
  }
  state.bansOfMe = now;
}

/** People left out through others (not on my own list): key → why. */
function leftOutThroughOthers(s) {
  return new Map(s.bannedAuthors.filter((b) => b.reason !== "local").map((b) => [b.author, b]));
}

/** Was this change of status my own doing (my ban list, my statement)? */
function mine(why, me) {
  if (!why) return false;
  if (why.kind === "authorBanned") return why.ban === "local";
  return why.by.length > 0 && why.by.every((st) => st.author === me);
}

/**
 * Edits of records in my collections that someone excluded (a ban makes
 * the one notice about the person instead): collection → (a key telling
 * edits apart → the edit).
 */
function excludedEdits(s) {
  const byCollection = new Map();
  for (const e of s.uncountedEdits ?? []) {
    if (e.why.kind !== "excluded") continue;
    if (!byCollection.has(e.collection)) byCollection.set(e.collection, new Map());
    byCollection.get(e.collection).set(e.event, e);
  }
  return byCollection;
}

/** Adds a notice for each edit of my records that stopped counting, or counts again, since the last frame. */
function updateEditNotices(s, state) {
  if (!s.mine) return;
  const edits = excludedEdits(s);
  const uncounted = new Set((s.uncountedEdits ?? []).map((e) => `${e.collection}\u0000${e.event}`));
  if (state.edits) {
    const { before, watched } = state.edits;
    for (const [collection, now] of edits) {
      // A collection first watched this frame: what it already had is not news.
      if (!watched.has(collection)) continue;
      const was = before.get(collection) ?? new Map();
      for (const [event, e] of now) {
        if (was.has(event) || mine(e.why, s.me)) continue;
        state.shown.push({
          id: state.next++,
          text: `${editWords(e, s.who)} no longer counts in your view: ${whyWords(e.why, s.who)}. The record shows what it held without it.`,
          balance: "",
        });
      }
    }
    for (const [collection, was] of before) {
      for (const [event, e] of was) {
        // Still left out (perhaps now with its author banned: that has its own notice).
        if (uncounted.has(`${collection}\u0000${event}`) || mine(e.why, s.me)) continue;
        state.shown.push({
          id: state.next++,
          text: `${editWords(e, s.who)} counts again in your view (it was left out: ${whyWords(e.why, s.who)}).`,
          balance: "",
        });
      }
    }
  }
  state.edits = { before: edits, watched: new Set(s.mine) };
}

/**
 * My payments by event, once per read of the transactions (a walk over
 * every row: the page makes it ahead of its first frame after an open).
 */
export function myPaymentsByEvent(s) {
  return grown(s.transactions, "mine by event", () => new Map(), (mineByEvent, t) => {
    if (t.from === s.me || t.to === s.me) mineByEvent.set(t.event, t);
  });
}

/**
 * Tells of payments to me that `arrived` since the last frame, counting,
 * in one notice: a catch-up after a day away may bring dozens, which must
 * not push out why my view changed. The notice grows until dismissed, and
 * its balance runs from before the first payment it counts.
 */
function noteArrived(arrived, s, state, balances) {
  let n = state.shown.find((shown) => shown.arrived);
  if (!n) {
    n = { id: state.next++, arrived: { count: 0, balancesBefore: new Map() } };
    state.shown.push(n);
  }
  for (const t of arrived) {
    if (!n.arrived.balancesBefore.has(t.unit)) n.arrived.balancesBefore.set(t.unit, state.balances.get(t.unit) ?? 0n);
  }
  n.arrived.count += arrived.length;
  const latest = receivedWords(arrived.at(-1), s.who);
  n.text = n.arrived.count === 1 ? `${latest}.` : `${n.arrived.count} payments to you arrived; the latest: ${latest}.`;
  n.balance = [...n.arrived.balancesBefore]
    .filter(([unit, was]) => was !== (balances.get(unit) ?? 0n))
    .map(([unit, was]) => `Your balance: ${amountText(was, unit)} → ${amountText(balances.get(unit) ?? 0n, unit)}.`)
    .join(" ");
}

/** Adds a notice for each of my payments whose status changed since the last frame, and one for those that arrived. */
export function updateNotices(s, state) {
  updateEditNotices(s, state);
  updateBanOfMeNotices(s, state);
  const statuses = myPaymentsByEvent(s);
  const balances = new Map(s.balances.filter((b) => b.account === s.me).map((b) => [b.unit, b.balance]));
  const banned = leftOutThroughOthers(s);
  if (state.banned) {
    // Someone left out (or let back in) through people I follow: everything
    // they signed — payments, edits of records — changes with it.
    for (const [key, b] of banned) {
      if (!state.banned.has(key)) {
        state.shown.push({
          id: state.next++,
          text: `${s.who(key)} is now left out of your view — ${followedBanWords(b, s.who)}: their payments and edits of records no longer count for you.`,
          balance: "",
        });
      }
    }
    for (const key of state.banned.keys()) {
      if (!banned.has(key)) {
        state.shown.push({
          id: state.next++,
          text: `${s.who(key)} counts again in your view: nobody you follow bans them now.`,
          balance: "",
        });
      }
    }
  }
  state.banned = banned;
  // My payments as the last frame saw them: a copy of their rows, since
  // the map `myPaymentsByEvent` gives is grown in place from read to read
  // (compared with itself, nothing would ever change). Walked once per
  // read of the transactions: my payments, not every one.
  if (state.seenList !== s.transactions) {
    const first = state.seen === null;
    state.seen ??= new Map();
    const changed = [];
    const arrived = [];
    for (const [event, t] of statuses) {
      const before = state.seen.get(event);
      if (before === t) continue; // the same row: unchanged
      state.seen.set(event, t);
      if (first) continue; // what the page opened with is not news
      // New since the last frame: news if someone else paid me, and it counts.
      if (!before && t.to === s.me && t.from !== s.me && t.status === "included") arrived.push(t);
      if (!before || before.status === t.status) continue;
      if (mine(before.why, s.me) || mine(t.why, s.me)) continue;
      changed.push({ t, before });
    }
    state.seenList = s.transactions;
    for (const { t, before } of changed) {
      const who = s.who;
      const what = paymentWords(t, who);
      const text =
        t.status === "included"
          ? `${what} counts again in your view (it was left out: ${whyWords(before.why, who)}).`
          : `${what} no longer counts in your view: ${whyWords(t.why, who)}.`;
      const was = state.balances.get(t.unit) ?? 0n;
      const now = balances.get(t.unit) ?? 0n;
      const balance = was === now ? "" : `Your balance: ${amountText(was, t.unit)} → ${amountText(now, t.unit)}.`;
      state.shown.push({ id: state.next++, text, balance });
    }
    if (arrived.length) noteArrived(arrived, s, state, balances);
    // A long absence must not bury the page: the latest few are kept.
    state.shown = state.shown.slice(-5);
  }
  state.balances = balances;
}

/** Draws the notices with a button to dismiss each. */
export function renderNotices(state, redraw) {
  const dismiss = (id) => () => {
    state.shown = state.shown.filter((n) => n.id !== id);
    redraw();
  };
  render(
    state.shown.map(
      (n) => html`<div class="notice view-change">
        <p>${n.text} ${n.balance}</p>
        <button type="button" class="quiet" @click=${dismiss(n.id)}>Dismiss</button>
      </div>`,
    ),
    document.querySelector("#notices"),
  );
}

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
import { amountText, editWords, followedBanWords, listWords, paymentWords, receivedWords, whyWords } from "../words.js";
import { changedSince } from "../derived.js";

/** The statuses, balances and bans seen at the last frame, and the notices shown. */
export function noticeState() {
  return { seenList: null, balances: null, banned: null, bansOfMe: new Set(), edits: null, shown: [], next: 1 };
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
 * My payments in `list` that are new or changed since `before` (an earlier
 * read), each `{ t, before }` (`before` undefined for a new one). Rows are
 * compared by position where `list` is `before` grown (`changedSince`: a
 * read hands on the rows it kept, so a walk of 100,000 rows is one
 * comparison of objects each); otherwise by event.
 */
function myChangedPayments(before, list, me) {
  const isMine = (t) => t.from === me || t.to === me;
  const changes = [];
  const diff = changedSince(before, list);
  if (diff) {
    for (const i of diff.changed) if (isMine(list[i])) changes.push({ t: list[i], before: before[i] });
    for (let i = before.length; i < list.length; i++) if (isMine(list[i])) changes.push({ t: list[i], before: undefined });
    return changes;
  }
  const was = new Map(before.filter(isMine).map((t) => [t.event, t]));
  for (const t of list) {
    if (isMine(t) && was.get(t.event) !== t) changes.push({ t, before: was.get(t.event) });
  }
  return changes;
}

/**
 * Tells of payments to me that `arrived` since the last frame in one
 * notice that counts them and sums them per unit: a catch-up after a day
 * away may bring dozens, which must not push out why my view changed. The
 * notice grows until dismissed, and moves to the end as it does (it is
 * news again, and the oldest notices go first).
 */
function noteArrived(arrived, s, state) {
  let n = state.shown.find((shown) => shown.arrived);
  if (n) state.shown.splice(state.shown.indexOf(n), 1);
  else n = { id: state.next++, arrived: { count: 0, sums: new Map(), from: new Set() }, balance: "" };
  state.shown.push(n);
  for (const t of arrived) {
    n.arrived.sums.set(t.unit, (n.arrived.sums.get(t.unit) ?? 0n) + t.amount);
    n.arrived.from.add(t.from);
  }
  n.arrived.count += arrived.length;
  if (n.arrived.count === 1) {
    n.text = `${receivedWords(arrived[0], s.who)}.`;
    return;
  }
  const sums = [...n.arrived.sums].map(([unit, sum]) => amountText(sum, unit));
  const payers = [...n.arrived.from].map(s.who);
  const from = payers.length <= 3 ? listWords(payers) : `${payers.slice(0, 2).join(", ")} and ${payers.length - 2} others`;
  n.text = `${n.arrived.count} payments to you arrived, ${listWords(sums)} in all, from ${from}.`;
}

/** Adds a notice for each of my payments whose status changed since the last frame, and one for those that arrived. */
export function updateNotices(s, state) {
  updateEditNotices(s, state);
  updateBanOfMeNotices(s, state);
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
  // My payments new or changed since the last frame's read. The first
  // frame's are what the page opened with: not news.
  if (state.seenList !== s.transactions) {
    const changes = state.seenList ? myChangedPayments(state.seenList, s.transactions, s.me) : [];
    state.seenList = s.transactions;
    const changed = [];
    const arrived = [];
    for (const { t, before } of changes) {
      // New: news if someone else paid me, and it counts for me.
      if (!before && t.to === s.me && t.from !== s.me && t.status === "included") arrived.push(t);
      if (!before || before.status === t.status) continue;
      if (mine(before.why, s.me) || mine(t.why, s.me)) continue;
      changed.push({ t, before });
    }
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
    if (arrived.length) noteArrived(arrived, s, state);
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

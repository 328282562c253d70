// What the page shows, read from the node once per frame into a plain
// object (the snapshot); the panels are functions of it and call the node
// only to act. Reading here, once, is what keeps a frame from asking the
// node the same question from several panels.
//
// The names (one record reduction per person), the trust lists people
// published and the void events change only with the log or my policy, so
// they are kept until one of those changes rather than recomputed every
// frame.
import { PEOPLE, namesFrom, naming } from "./names.js";
import { petnames as petnamesOf } from "./petnames.js";
import { debtsInOrder } from "./debts-order.js";

/**
 * The collection whose records name the network's collections: the log
 * keeps only a hash of each collection's name, so a collection someone
 * opens is also listed here, for the others to find.
 */
export const COLLECTION_INDEX = "trustfold-collections";

/**
 * What every view depends on, as a string to compare: the log (its length;
 * it only grows) and my policy. What is read from the node is kept until it
 * changes.
 */
export const viewKey = (status, policy) => `${status.known} ${JSON.stringify(policy)}`;

/** `viewKey` of `node` as it is now. */
export const viewKeyOf = (node) => viewKey(node.syncStatus(), node.policy());

/**
 * A value read from the node and kept until what it depends on changes:
 * `kept(at, read)` returns the value last read, calling `read()` again
 * only when `at` (a string saying what it depends on) differs from the
 * last one.
 */
function keptUntilChanged() {
  let last = null;
  return (at, read) => {
    if (last?.at !== at) last = { at, value: read() };
    return last.value;
  };
}

/**
 * A reader of snapshots of `node` for the identity `me`.
 * `read(want)` returns the snapshot; `want` says which panels are shown
 * ({ debts, records: collection name or null, historyOf: a record whose
 * history is open, mine: the collections whose edits that stop counting
 * make a notice, published, agreement }), so
 * that what no shown panel needs is not computed.
 */
export function stateReader(node, me) {
  const petnames = petnamesOf(me);
  // Each kept until its key changes (keptUntilChanged): what it depends on.
  const peopleKept = keptUntilChanged(); // the log and policy
  const editsKept = keptUntilChanged(); // the log, policy and collections
  const ledgerKept = keptUntilChanged(); // the log and policy
  const debtsKept = keptUntilChanged(); // the log and policy
  const recordsKept = keptUntilChanged(); // the log, policy, edits made and collection
  const historyKept = keptUntilChanged(); // the same, and the record whose history is open
  let namingFor = null; // the names and nicknames the kept naming functions were made from
  let named = null;

  /**
   * The edits of my collections that do not count in my view, and why:
   * read again only when the log, my policy or the collections changed.
   */
  function uncountedEdits(collections, status, policy) {
    return editsKept(`${viewKey(status, policy)} ${collections.join("\u0000")}`, () =>
      collections.flatMap((collection) => node.uncountedEdits(collection).map((e) => ({ collection, ...e }))),
    );
  }

  /** Names and published trust lists: read again only when the log or my policy changed. */
  function people(status, policy) {
    return peopleKept(viewKey(status, policy), () => ({
      names: namesFrom(node.selfClaims(PEOPLE)),
      // The core's lists (its causal latest-statement rule), never re-derived here.
      published: new Map(node.publishers().map((author) => [author, node.publishedPolicy(author)])),
      // A private network's events that count for nothing, with their authors (the core's verdicts).
      voids: node.voidEvents(),
      // Everyone my view leaves out, and why (my ban, a fork, the published bans of people I follow).
      bannedAuthors: node.bannedAuthors(),
    }));
  }

  /**
   * Every payment with its status: read again only when the log or my
   * policy changed (a year of history is 100,000 rows, and a frame is
   * drawn for every keystroke in a search).
   */
  function transactionsOf(status, policy) {
    return ledgerKept(viewKey(status, policy), () => node.transactions());
  }

  /**
   * Who is who: made again only when the names or my nicknames changed, so
   * what is derived from it keeps. The names are read again at every new
   * event, as a new Map, so they are compared by what they hold: a payment
   * made a new naming, and with it every payment's search words again
   * (≈ 0.15 s at the next key with a year of history).
   */
  function namingOf(names) {
    const nicknames = petnames.all();
    if (!namingFor || !sameNames(namingFor.names, names) || namingFor.nicknames !== nicknames) {
      named = naming(me, names, nicknames);
      namingFor = { names, nicknames };
    }
    return named;
  }

  /**
   * The open collection's records and what the Records panel shows with
   * them: read again only when the log, my policy or the documents (an
   * edit here shows before it is committed) changed, or another
   * collection is open (a record's history: also when another record's
   * is open). A collection can hold thousands of
   * records (reading 5,000 took ≈ 0.6 s), and a frame is drawn every 2 s.
   */
  function recordsOf(want, status, policy) {
    const at = `${viewKey(status, policy)} ${node.editsMade()} ${want.records}`;
    // A record's history, opened and closed at a click, is read apart: the
    // collection is not read again for it.
    const history = historyKept(`${at}\u0000${want.historyOf ?? ""}`, () =>
      want.historyOf ? node.recordHistory(want.records, want.historyOf) : undefined,
    );
    const kept = recordsKept(at, () => {
      const records = node.records(want.records);
      // For each field written at once by several people, whose each value is.
      const writers = new Map();
      for (const r of records) {
        for (const [name, field] of Object.entries(r.fields)) {
          if (field.conflicts.length) writers.set(`${r.id}\u0000${name}`, node.fieldWriters(want.records, r.id, name));
        }
      }
      return {
        records,
        deleted: node.deletedRecords(want.records), // names, to restore
        // The network's index of collection names (records.js).
        collectionNames: node.records(COLLECTION_INDEX).map((r) => r.id),
        writers,
      };
    });
    return { ...kept, history };
  }

  function read(want = {}) {
    const status = node.syncStatus();
    const policy = node.policy();
    const { names, published, voids, bannedAuthors } = people(status, policy);
    const { who, keyFrom, claimed, nicknameClash } = namingOf(names);
    const balances = node.balances();
    const transactions = transactionsOf(status, policy);
    const peers = node.peers();
    const s = {
      me, status, policy, names, who, keyFrom, claimed, nicknameClash, balances, transactions, peers, published, voids, bannedAuthors,
      // The payments of `events` (ids of payments, in the log's order, as
      // a comparison lists them), by event, for a panel naming a few
      // hundred: one walk along the list, which is in the same order,
      // comparing ids. A map or set of every payment's id hashes 100,000
      // ids first (20–35 ms in the click that asked, with a year of
      // history). Ids not met in that order are looked for by a set.
      paymentsAmong(events) {
        const found = new Map();
        let i = 0;
        let at = 0;
        for (; at < events.length; at++) {
          while (i < transactions.length && transactions[i].event !== events[at]) i++;
          if (i === transactions.length) break;
          found.set(events[at], transactions[i++]);
        }
        if (at < events.length) {
          const rest = new Set(events.slice(at));
          for (const t of transactions) if (rest.has(t.event)) found.set(t.event, t);
        }
        return found;
      },
      // My changes nobody is known to hold yet (the latest 1,000): marked as waiting.
      unsent: new Set(status.unconfirmed > 0 ? node.unsentChanges() : []),
    };
    s.knownKeys = knownKeys(s);
    if (want.mine) {
      s.mine = want.mine;
      s.uncountedEdits = uncountedEdits(want.mine, status, policy);
    }
    if (want.debts) {
      // Who is below zero, in the panel's order, from the balances; what
      // each debt comes to per person (3 at most) is summed when its page
      // is shown, not every debt's at each change (a year of history has
      // ≈ 190 debts of hundreds of payments), nor its every payment. A
      // debt's payments are read when its list is open. Both are kept
      // until the log or the policy changes.
      const { summaries, lists } = debtsKept(viewKey(status, policy), () => ({ summaries: new Map(), lists: new Map() }));
      s.debts = debtsInOrder(s.balances, me, who);
      s.debtSummary = (account, unit) => {
        const id = `${account} ${unit}`;
        if (!summaries.has(id)) summaries.set(id, node.debtSummary(account, unit, 3));
        return summaries.get(id);
      };
      s.debtList = (account, unit) => {
        const id = `${account} ${unit}`;
        if (!lists.has(id)) lists.set(id, node.explain(account, unit));
        return lists.get(id);
      };
    }
    if (want.records) Object.assign(s, recordsOf(want, status, policy));
    return s;
  }

  /**
   * Each known person's view next to mine, as their published trust list
   * gives it, one person per step: a generator yielding `{ done, of }`
   * after each person and returning `{ digest, rows, edits, payments }`.
   * Each person is a full fold of the log (≈ 25 ms with a year of
   * history), so the caller runs the steps in tasks of their own and
   * decides how often (the Agreement panel: at most every 3 s). `edits`
   * names the edits of records the views disagree on (event → its edits
   * of the `collections` this page knows), `payments` the payments (event
   * → its row), `digest` my view's at the end. Each person's view is
   * compared with mine as it is at that step: the log may change between
   * two tasks.
   */
  function* agreement(s, collections) {
    const rows = [];
    for (const key of s.knownKeys) {
      const list = s.published.get(key) ?? null;
      const policy = { me: key, trusted: list?.trusted ?? [], banned: list?.banned ?? [] };
      // The comparison itself says whether the views agree (nothing only
      // in one of them): a digest of their view would sort every included
      // id first (≈ 12 ms with a year of history) to say the same.
      const comparison = node.compareViews(policy);
      const same = comparison.onlyMine.length === 0 && comparison.onlyTheirs.length === 0;
      rows.push({ key, list, same, onlyMine: comparison.onlyMine, onlyTheirs: comparison.onlyTheirs });
      if (rows.length < s.knownKeys.length) yield { done: rows.length, of: s.knownKeys.length };
    }
    // editsAmong takes at most 10,000 ids (INVALID_ARGUMENT past it): the
    // edits past those are said by their kind, as before they were named.
    const docs = [
      ...new Set(rows.flatMap((r) => [...r.onlyMine, ...r.onlyTheirs]).filter((d) => d.kind === "doc").map((d) => d.event)),
    ].slice(0, 10000);
    const edits = new Map();
    for (const collection of docs.length ? collections : []) {
      for (const e of node.editsAmong(collection, docs)) {
        if (!edits.has(e.event)) edits.set(e.event, []);
        edits.get(e.event).push({ collection, ...e });
      }
    }
    // The payments the rows name, found along the list in slices between
    // steps: a map of every payment by event, made in the panel's first
    // frame, held it ≈ 35 ms with a year of history.
    const wanted = new Set(
      rows.flatMap((r) => [...r.onlyMine, ...r.onlyTheirs]).filter((d) => d.kind === "transfer").map((d) => d.event),
    );
    const payments = new Map();
    const list = s.transactions;
    for (let at = 0; at < list.length && payments.size < wanted.size; at += PAYMENTS_PER_STEP) {
      const end = Math.min(at + PAYMENTS_PER_STEP, list.length);
      for (let i = at; i < end; i++) if (wanted.has(list[i].event)) payments.set(list[i].event, list[i]);
      if (payments.size < wanted.size) yield { done: rows.length, of: s.knownKeys.length };
    }
    return { digest: node.viewDigest().included, rows, edits, payments };
  }

  /**
   * The reads every frame needs, each kept, one per step (a generator: the
   * caller pauses between steps), so that the first frame after an open
   * finds them read: the names (one record reduction per person) and
   * every payment's row, with a year of history ≈ 20 ms each, together
   * with the rest of a frame over the 50 ms a page may be held.
   */
  function* prepare() {
    namingOf(people(node.syncStatus(), node.policy()).names);
    yield;
    // Read again after the pause: kept under what they are read at.
    transactionsOf(node.syncStatus(), node.policy());
  }

  return { read, agreement, prepare, petnames };
}

/** Payments looked through per step for those the Agreement panel names. */
const PAYMENTS_PER_STEP = 20000;

/** Everyone the page knows of, but me: named people, balance holders, trust authors and subjects, linked peers. */
function knownKeys(s) {
  const keys = new Set(s.names.keys());
  for (const b of s.balances) keys.add(b.account);
  for (const [author, list] of s.published) {
    keys.add(author);
    for (const k of [...list.trusted, ...list.banned]) keys.add(k);
  }
  for (const p of s.peers) if (p.key) keys.add(p.key);
  for (const k of [...s.policy.trusted, ...s.policy.banned]) keys.add(k);
  keys.delete(s.me);
  return [...keys].sort((a, b) => s.who(a).localeCompare(s.who(b)));
}

/** Whether two maps of names (key → name) hold the same names. */
function sameNames(a, b) {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [key, name] of a) if (b.get(key) !== name) return false;
  return true;
}

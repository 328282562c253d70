// What the page shows, read from the node once per frame into a plain
// object (the snapshot); the panels are functions of it and call the node
// only to act. Reading here, once, is what keeps a frame from asking the
// node the same question from several panels.
//
// The names (one record reduction per person) and the trust lists people
// published change only with the log or my policy, so they are kept until
// one of those changes rather than recomputed every frame.
import { PEOPLE, namesFrom, naming } from "./names.js";
import { whyOf, differenceWhy, publishedPolicy } from "./legacy.js";

/**
 * A reader of snapshots of `node` for the identity `me`.
 * `read(want)` returns the snapshot; `want` says which panels are shown
 * ({ debts, records: collection name or null, published, agreement }), so
 * that what no shown panel needs is not computed.
 */
export function stateReader(node, me) {
  let keptFor = null; // the log and policy the kept names and lists were read for
  let kept = null;

  /** Names and published trust lists: read again only when the log or my policy changed. */
  function people(status, policy) {
    const at = `${status.known} ${JSON.stringify(policy)}`;
    if (at !== keptFor) {
      const statements = node.publishedTrust();
      const authors = [...new Set(statements.map((s) => s.author))];
      kept = {
        names: namesFrom(node.records(PEOPLE), (...a) => node.recordBy(...a)),
        statements,
        published: new Map(authors.map((a) => [a, publishedPolicy(node, a, statements)]).filter(([, p]) => p)),
      };
      keptFor = at;
    }
    return kept;
  }

  function read(want = {}) {
    const status = node.syncStatus();
    const policy = node.policy();
    const { names, statements, published } = people(status, policy);
    const { who, keyFrom } = naming(me, names);
    const balances = node.balances();
    const transactions = node.transactions().map((t) => ({ ...t, why: whyOf(t, t.from) }));
    const peers = node.peers();
    const s = {
      me, status, policy, names, who, keyFrom, balances, transactions, peers, published,
      byEvent: new Map(transactions.map((t) => [t.event, t])),
    };
    s.knownKeys = knownKeys(s, statements);
    if (want.debts) {
      s.debts = node.debts().map((d) => ({ ...d, explanation: explained(d.explanation) }));
    }
    if (want.records) s.records = node.records(want.records);
    return s;
  }

  /**
   * Each known person's view next to mine, as their published trust list
   * gives it: a full fold of the log per person, so the caller decides how
   * often (the Agreement panel: at most every 3 s).
   */
  function agreement(s) {
    const mine = node.viewDigest();
    const rows = s.knownKeys.map((key) => {
      const list = s.published.get(key) ?? null;
      const policy = { me: key, trusted: list?.trusted ?? [], banned: list?.banned ?? [] };
      const theirs = node.viewDigestUnder(policy);
      const same = theirs.included === mine.included;
      const comparison = same ? { onlyMine: [], onlyTheirs: [] } : node.compareViews(policy);
      const differences = (items) => items.map((d) => ({ ...d, why: differenceWhy(d) }));
      return {
        key, list, digest: theirs.included, same,
        onlyMine: differences(comparison.onlyMine),
        onlyTheirs: differences(comparison.onlyTheirs),
      };
    });
    return { digest: mine.included, rows };
  }

  return { read, agreement };
}

/** An explanation whose movements carry `why`. */
function explained(e) {
  const withWhy = (m) => ({ ...m, why: whyOf(m, null) });
  return { ...e, counted: e.counted.map(withWhy), notCounted: e.notCounted.map(withWhy) };
}

/** Everyone the page knows of, but me: named people, balance holders, trust authors and subjects, linked peers. */
function knownKeys(s, statements) {
  const keys = new Set(s.names.keys());
  for (const b of s.balances) keys.add(b.account);
  for (const t of statements) keys.add(t.author).add(t.subject);
  for (const p of s.peers) if (p.key) keys.add(p.key);
  for (const k of [...s.policy.trusted, ...s.policy.banned]) keys.add(k);
  keys.delete(s.me);
  return [...keys].sort((a, b) => s.who(a).localeCompare(s.who(b)));
}

// LEGACY — delete this file once the façade answers in structures (issue
// #12, "façade: structured why"): `why` on transactions, comparisons and
// explanations, and `publishedPolicy(author)`. Until then the page reads the
// old answers through these functions, which pass a new answer through
// untouched, so they are safe to leave in place until the façade lands.
// Nothing here parses a sentence: where the old façade has only English,
// `why` carries it as `text`, shown as it is.

/** `why` of a transaction or a movement: its own, or built from its status and contests. */
export function whyOf(item, author) {
  if ("why" in item) return item.why;
  if (item.status === "included") return null;
  if (item.status === "excluded") {
    const by = item.contests.filter((c) => c.verdict === "counted");
    return { kind: "excluded", by: by.map(({ statement, author, dispute, reason }) => ({ statement, author, dispute, reason })) };
  }
  return { kind: "authorBanned", author, ban: null, by: [] };
}

/** `why` of a difference between two views: its own, or the old sentence as text. */
export function differenceWhy(d) {
  if ("why" in d) return d.why;
  return d.status === "included" ? null : { kind: "legacy", text: d.reason };
}

/**
 * The trust list `author` published: the core's answer, or (old façade)
 * each subject's statement with the latest clock — the rule the core does
 * not use, kept only until `publishedPolicy` exists.
 */
export function publishedPolicy(node, author, statements) {
  if (typeof node.publishedPolicy === "function") return node.publishedPolicy(author);
  const latest = new Map();
  for (const s of statements) {
    if (s.author !== author) continue;
    const seen = latest.get(s.subject);
    if (!seen || seen.time < s.time || (seen.time === s.time && seen.event < s.event)) latest.set(s.subject, s);
  }
  if (latest.size === 0) return null;
  const level = (l) => [...latest.values()].filter((s) => s.level === l).map((s) => s.subject);
  return { author, trusted: level("trusted"), banned: level("banned") };
}

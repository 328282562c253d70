// Which network the page is for, read from its address, and the links to
// networks. A private network is its invite:
// `#invite=<64 hex>&check=<8 hex>&name=<name>` (a fragment, so the secret
// never reaches a server, not even this page's; the check, before the name
// so that a link cut in its name is caught, makes a changed character an
// error rather than another network; links made before it have none).
// An open network is its name: `#net=NAME` (or the older `?network=NAME`);
// with neither, the network this browser opened last, or the open network
// "main" for a first visit: a person coming back to the site's address
// expects their network, not an empty one. The page only reads the node's
// answer about a network (`describeNetwork`, `node.network`): it never
// checks an invite itself.

/**
 * The network `where` (a location) names, as `TrustfoldNode.open` takes it:
 * `{ invite, name, check }` for a private network, a name for an open one;
 * if it names none, the first of `known` (entries of the networks opened
 * here, latest first, `knownNetworks`), else "main".
 */
export function networkFromAddress(where = location, known = []) {
  const hash = new URLSearchParams(where.hash.slice(1));
  if (hash.has("invite")) return { invite: hash.get("invite"), name: hash.get("name") ?? "", check: hash.get("check") };
  const named = hash.get("net") ?? new URLSearchParams(where.search).get("network");
  if (named !== null) return named;
  const last = known[0];
  if (last?.kind === "private") return { invite: last.invite, name: last.name, check: last.check ?? null };
  return last?.kind === "open" ? last.name : "main";
}

/** Does `where` (a location) name a network itself? */
export const namesNetwork = (where = location) => {
  const hash = new URLSearchParams(where.hash.slice(1));
  return hash.has("invite") || hash.has("net") || new URLSearchParams(where.search).has("network");
};

/** Do two addresses name the same network (and the same name for it)? */
export const sameNetwork = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** The fragment that opens the private network of `info` (a NetworkInfo): `invite=…&check=…&name=…`. */
export const inviteFragment = (info) =>
  `invite=${info.invite}${info.check ? `&check=${info.check}` : ""}&name=${encodeURIComponent(info.name)}`;

/** The whole link that invites someone into the private network of `info`, on this page's site. */
export const inviteLink = (info, where = location) => `${where.origin}${where.pathname}#${inviteFragment(info)}`;

/**
 * A network's name as the page shows it: invisible format characters
 * (direction marks among them, which could make it read as another name)
 * shown as �. The name comes from a link someone sent: it is text, never
 * HTML.
 */
export const shownName = (name) => name.replace(/\p{Cf}/gu, "\uFFFD");

/** A network's name fit for a file name (the backup's). */
export const fileName = (name) => name.replace(/[^\p{L}\p{N}_-]+/gu, "-").slice(0, 40) || "network";

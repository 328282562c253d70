// The networks this browser has opened, latest first, so a person finds
// the way back to a private network without keeping its link. Kept in
// localStorage, like nicknames: a private network's entry holds its
// invite, as the browser's history does already (the link's fragment);
// on a shared computer an entry can be forgotten. Entries are the node's
// answers about a network (`NetworkInfo`), never read from text.
import { inviteFragment } from "./network.js";
import { area } from "./stored.js";

const KEY = "trustfold-networks";
/** Networks remembered at most: the one opened least recently goes first. */
export const MAX_KNOWN = 32;
/** Characters of a name remembered at most: a longer open network's name is not (it would fill the storage). */
const MAX_NAME = 256;

const text = (s) => typeof s === "string" && s.length <= MAX_NAME && s.isWellFormed();
/** An entry as `rememberNetwork` wrote it: anything else (another script's, a damaged one) is left out. */
const valid = (n) =>
  n !== null && typeof n === "object" && text(n.name) && text(n.room) &&
  (n.kind === "open" ||
    (n.kind === "private" && /^[0-9a-f]{64}$/.test(n.invite) && (n.check == null || /^[0-9a-f]{8}$/.test(n.check))));

/** The networks opened in this browser, latest first (none if the list is unreadable). */
export function knownNetworks(storage = area()) {
  try {
    const list = JSON.parse(storage?.getItem(KEY) ?? "[]");
    return Array.isArray(list) ? list.filter(valid) : [];
  } catch {
    return [];
  }
}

/** Are `a` and `b` (entries or NetworkInfos) the same network? */
export const isNetwork = (a, b) => Boolean(a && b) && a.kind === b.kind && a.room === b.room;

/** The remembered networks but `n`, then `first` ones ahead of them, kept. */
function keep(storage, n, first = []) {
  const others = knownNetworks(storage).filter((m) => !isNetwork(m, n));
  if (!storage) return;
  try {
    storage.setItem(KEY, JSON.stringify([...first, ...others].slice(0, MAX_KNOWN)));
  } catch {
    // Storage full or refused: only this list is not changed, and the link still works.
  }
}

/** Remembers that the network of `info` (a NetworkInfo) was opened here, now. */
export function rememberNetwork(info, storage = area()) {
  const entry = { kind: info.kind, name: info.name, room: info.room, invite: info.invite, check: info.check };
  if (valid(entry)) keep(storage, entry, [entry]);
}

/** Forgets the remembered network `n` (its data stays in this browser). */
export const forgetNetwork = (n, storage = area()) => keep(storage, n);

/** The address fragment that opens a remembered network. */
export const knownFragment = (n) => (n.kind === "private" ? inviteFragment(n) : `net=${encodeURIComponent(n.name)}`);

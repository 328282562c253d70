// How the page words its links to other browsers. Pure (no package), so it
// is tested without a browser.

/**
 * Peer connections this page may still open (`syncStatus().connectionsLeft`;
 * a browser allows a page only so many in its lifetime): a sentence once
 * few are left, or "" while there is room.
 */
export function connectionsWords(left) {
  if (left === 0) {
    return "This page has opened as many connections as the browser allows it: reload the page to link to people again.";
  }
  if (left <= 20) {
    return `This page can open only ${left} more ${left === 1 ? "connection" : "connections"} to other browsers: reload it soon to keep linking to people.`;
  }
  return "";
}

/** Codes of a peer dropped for sending more than the page holds for it (`syncStatus().dropped`). */
const FLOODING = new Set(["link_backlog_exceeded", "frame_over_link_limit"]);

/**
 * Peers this page dropped for what they sent (`syncStatus().dropped`), worded
 * with `who(key)` naming a person: a sentence, or "" when none was dropped.
 */
export function droppedWords(dropped, who) {
  const last = dropped.latest.at(-1);
  if (!dropped.total || !last) return "";
  const sender =
    last.peer === "relay" ? "the relay" : last.key ? who(last.key) : "a browser that gave no key";
  const count = dropped.total === 1 ? "This page cut a link" : `This page cut ${dropped.total} links`;
  // All links together sent more than the page holds: this one may be honest.
  if (last.code === "links_backlog_exceeded") {
    return `${count}; the latest, to ${sender}, because this page had more to take in than it can hold. It will link again later.`;
  }
  // It took in nothing of what this page sent: stuck, or very slow.
  if (last.code === "send_backlog_exceeded") {
    return `${count}; the latest, to ${sender}, because it stopped taking in what this page sent. It will link again later.`;
  }
  const what = FLOODING.has(last.code)
    ? "sent far more than it was asked for"
    : "sent data that failed the checks";
  return `${count} for breaking the rules; the latest, to ${sender}, ${what}. What broke the rules was not kept.`;
}

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

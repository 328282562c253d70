// The lines and buttons of a list shown a page at a time (the
// transactions, a collection's records).

/**
 * Sets a live line's text only when it changed: setting it, even to the
 * same words, makes a screen reader say it again, and a frame is drawn
 * every 2 s.
 */
export function say(line, text) {
  if (line.textContent !== text) line.textContent = text;
}

/**
 * Disables the buttons to earlier and later pages at the ends; a button
 * disabled while it has the focus hands it to the other, so a person
 * paging with the keyboard is not sent back to the top of the page.
 */
export function pagerButtons(earlier, later, atFirst, atLast) {
  const focused = document.activeElement;
  earlier.disabled = atFirst;
  later.disabled = atLast;
  if (focused === earlier && atFirst && !atLast) later.focus();
  if (focused === later && atLast && !atFirst) earlier.focus();
}

/** Wires the buttons to earlier and later pages: `turn(-1)` and `turn(1)`. */
export function mountPager(earlier, later, turn) {
  earlier.addEventListener("click", () => turn(-1));
  later.addEventListener("click", () => turn(1));
}

// An action that replaces what people made asks first, and goes ahead
// when the same action comes again straight after: the second press.

/**
 * A fresh question: `mayGo(what, needed)` is true when `needed` is false
 * (nothing to ask) or `what` (the action, as a key) was asked last; else
 * it remembers `what` and is false, and the caller says why.
 */
export function secondPress() {
  let asked = null;
  return (what, needed = true) => {
    if (!needed || asked === what) {
      asked = null;
      return true;
    }
    asked = what;
    return false;
  };
}

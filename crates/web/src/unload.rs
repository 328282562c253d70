//! Keeping what a page has not written when it goes away.
//!
//! A reload or a closed tab gives the page no more turns of the event loop,
//! and an IndexedDB write takes several: edits still waiting for the
//! batching, or for their write, were lost — the last words typed before a
//! reload. As the page goes (`beforeunload`, then `pagehide`) the node signs
//! them at once ([`Node::sign_for_unload`](trustfold::Node::sign_for_unload))
//! and keeps their bytes in `localStorage`, which writes synchronously; the
//! next node opened for the network takes them in and writes them
//! ([`Node::adopt_unsaved`](trustfold::Node::adopt_unsaved)), then removes
//! them. When they cannot be kept (more than [`MAX_KEPT_BYTES`], or storage
//! refused) `beforeunload` asks the browser to ask the person first.
//!
//! One key per tab (`trustfold-kept:<database>:<16 hex digits>`), so two
//! tabs closing at once do not overwrite each other; a tab that comes back
//! from the back-forward cache removes its key and writes its events itself.

use js_sys::{Array, Uint8Array};
use trustfold::Event;
use wasm_bindgen::prelude::*;

/// Bytes of signed events a page keeps as it goes, at most; beyond it the
/// browser asks before leaving. Edits wait a few seconds at most (the
/// batching), so only a large paste comes near it; `localStorage` holds
/// about 5 MB an origin, and base64 takes 4 characters for 3 bytes.
pub const MAX_KEPT_BYTES: usize = 512 * 1024;

#[wasm_bindgen(inline_js = r#"
function storage() {
  try { return globalThis.localStorage || null; } catch (e) { return null; }
}
export function keep_events(key, events) {
  const s = storage();
  if (!s) return false;
  try {
    if (events.length === 0) { s.removeItem(key); return true; }
    const encoded = events.map((bytes) => {
      let text = "";
      for (let i = 0; i < bytes.length; i += 0x8000) {
        text += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
      }
      return btoa(text);
    });
    s.setItem(key, JSON.stringify(encoded));
    return true;
  } catch (e) {
    return false;
  }
}
export function kept_events(prefix) {
  const s = storage();
  const found = [];
  if (!s) return found;
  try {
    for (let i = 0; i < s.length; i++) {
      const key = s.key(i);
      // Exactly this database's: another's name may start with this one's.
      if (!key || !key.startsWith(prefix) || !/^[0-9a-f]{16}$/.test(key.slice(prefix.length))) continue;
      let events = null;
      try {
        const list = JSON.parse(s.getItem(key));
        if (Array.isArray(list)) events = list.map((b) => Uint8Array.from(atob(b), (c) => c.charCodeAt(0)));
      } catch (e) {}
      found.push([key, events]);
    }
  } catch (e) {}
  return found;
}
export function forget_kept(key) {
  const s = storage();
  try { if (s) s.removeItem(key); } catch (e) {}
}
export function on_leaving(leaving, back, kept_elsewhere, hidden, prefix) {
  if (typeof window === "undefined" || typeof document === "undefined") return () => {};
  const beforeunload = (e) => { if (!leaving()) { e.preventDefault(); e.returnValue = ""; } };
  const pagehide = () => { leaving(); };
  const pageshow = (e) => { if (e.persisted) back(); };
  const visibility = () => { if (document.visibilityState === "hidden") hidden(); };
  // Another tab of this origin wrote a kept record of this database.
  const storage = (e) => { if (e.newValue !== null && typeof e.key === "string" && e.key.startsWith(prefix)) kept_elsewhere(); };
  window.addEventListener("storage", storage);
  window.addEventListener("beforeunload", beforeunload);
  window.addEventListener("pagehide", pagehide);
  window.addEventListener("pageshow", pageshow);
  document.addEventListener("visibilitychange", visibility);
  return () => {
    window.removeEventListener("beforeunload", beforeunload);
    window.removeEventListener("pagehide", pagehide);
    window.removeEventListener("pageshow", pageshow);
    document.removeEventListener("visibilitychange", visibility);
    window.removeEventListener("storage", storage);
  };
}
"#)]
extern "C" {
    fn keep_events(key: &str, events: &Array) -> bool;
    fn kept_events(prefix: &str) -> Array;
    fn forget_kept(key: &str);
    fn on_leaving(
        leaving: &Closure<dyn FnMut() -> bool>,
        back: &Closure<dyn FnMut()>,
        kept_elsewhere: &Closure<dyn FnMut()>,
        hidden: &Closure<dyn FnMut()>,
        prefix: &str,
    ) -> js_sys::Function;
}

/// This database's keys start so.
fn prefix(database: &str) -> String {
    format!("trustfold-kept:{database}:")
}

/// A key for this tab's kept events.
pub fn tab_key(database: &str) -> String {
    // A name, not a secret: Math.random is enough to tell tabs apart.
    let tab = (js_sys::Math::random() * 2f64.powi(53)) as u64;
    format!("{}{tab:016x}", prefix(database))
}

/// Keeps `events` under `key` (none: removes the key). False if they are
/// more than [`MAX_KEPT_BYTES`] or storage refused them.
pub fn keep(key: &str, events: &[Event]) -> bool {
    let size: usize = events.iter().map(|e| e.bytes().len()).sum();
    if size > MAX_KEPT_BYTES {
        return false;
    }
    let list = Array::new();
    for event in events {
        list.push(&Uint8Array::from(event.bytes()));
    }
    keep_events(key, &list)
}

/// What pages of this database kept: each key with its events' bytes, or
/// `None` if the record does not read as a list of events.
pub fn kept(database: &str) -> Vec<(String, Option<Vec<Vec<u8>>>)> {
    kept_events(&prefix(database))
        .iter()
        .filter_map(|entry| {
            let entry: Array = entry.dyn_into().ok()?;
            let key = entry.get(0).as_string()?;
            let events = entry.get(1).dyn_into::<Array>().ok().map(|list| {
                list.iter()
                    .filter_map(|bytes| bytes.dyn_into::<Uint8Array>().ok())
                    .map(|bytes| bytes.to_vec())
                    .collect()
            });
            Some((key, events))
        })
        .collect()
}

/// Removes a kept record.
pub fn forget(key: &str) {
    forget_kept(key);
}

/// The page's leaving listeners, removed when dropped.
pub struct Leaving {
    remove: js_sys::Function,
    _leaving: Closure<dyn FnMut() -> bool>,
    _back: Closure<dyn FnMut()>,
    _kept_elsewhere: Closure<dyn FnMut()>,
    _hidden: Closure<dyn FnMut()>,
}

impl Leaving {
    /// Calls `leaving` as the page goes (its answer: whether everything
    /// unwritten is kept; if not, `beforeunload` asks first), `back` when
    /// it returns from the back-forward cache, `kept_elsewhere` when
    /// another tab keeps a record of `database`, `hidden` when the page is
    /// hidden.
    pub fn listen(
        database: &str,
        leaving: impl FnMut() -> bool + 'static,
        back: impl FnMut() + 'static,
        kept_elsewhere: impl FnMut() + 'static,
        hidden: impl FnMut() + 'static,
    ) -> Leaving {
        let leaving = Closure::<dyn FnMut() -> bool>::new(leaving);
        let back = Closure::<dyn FnMut()>::new(back);
        let kept_elsewhere = Closure::<dyn FnMut()>::new(kept_elsewhere);
        let hidden = Closure::<dyn FnMut()>::new(hidden);
        Leaving {
            remove: on_leaving(&leaving, &back, &kept_elsewhere, &hidden, &prefix(database)),
            _leaving: leaving,
            _back: back,
            _kept_elsewhere: kept_elsewhere,
            _hidden: hidden,
        }
    }
}

impl Drop for Leaving {
    fn drop(&mut self) {
        let _ = self.remove.call0(&JsValue::NULL);
    }
}

//! Tabs of one origin: they share one IndexedDB store and one identity.
//!
//! A tab announces the events it stored on a `BroadcastChannel`, and the
//! other tabs take them in (without writing them again). One tab at a time
//! writes the shared chain: every write holds an exclusive Web Lock, and the
//! node catches up with the chain's stored head before signing (see
//! [`Node`](trustfold::Node)). The lock is granted in request order, so it also
//! orders the writes of one tab.

use crate::errors::WebError;
use js_sys::{Array, Object, Reflect, Uint8Array, Uint32Array};
use trustfold::{Event, EventId};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{BroadcastChannel, MessageEvent};

#[wasm_bindgen(inline_js = r#"
export function acquire_lock(name) {
  // Without the Web Locks API (an insecure context) a tab writes alone.
  if (!globalThis.navigator || !navigator.locks) return Promise.resolve(() => {});
  return new Promise((granted, refused) => {
    navigator.locks
      .request(name, { mode: "exclusive" }, () => new Promise((release) => granted(release)))
      .catch(refused);
  });
}
export function sleep(ms) {
  return new Promise((wake) => setTimeout(wake, ms));
}
"#)]
extern "C" {
    /// Resolves to a function that releases the lock once it is granted.
    fn acquire_lock(name: &str) -> js_sys::Promise;
    fn sleep(ms: f64) -> js_sys::Promise;
}

/// Waits `ms` milliseconds.
pub async fn wait(ms: f64) {
    let _ = JsFuture::from(sleep(ms)).await;
}

/// An exclusive Web Lock, released when dropped.
pub struct WriterLock(js_sys::Function);

impl Drop for WriterLock {
    fn drop(&mut self) {
        let _ = self.0.call0(&JsValue::NULL);
    }
}

/// Waits for the exclusive lock `name`.
pub async fn writer_lock(name: &str) -> Result<WriterLock, WebError> {
    let release = JsFuture::from(acquire_lock(name))
        .await
        .map_err(|e| WebError::LockRefused(dom_error_name(&e)))?;
    Ok(WriterLock(release.unchecked_into()))
}

/// The name of a `DOMException` (what kind of failure it is), or what
/// else was thrown.
pub fn dom_error_name(error: &JsValue) -> String {
    match error.dyn_ref::<web_sys::DomException>() {
        Some(e) => e.name(),
        None => error.as_string().unwrap_or_else(|| format!("{error:?}")),
    }
}

/// What another tab announced.
pub enum Announcement {
    /// Events it stored (their exact bytes).
    Events(Vec<Vec<u8>>),
    /// It changed the policy.
    Policy,
    /// It kept these as its latest own events some peer holds
    /// ([`Node::take_kept_confirmations`](trustfold::Node::take_kept_confirmations)).
    Confirmed(Vec<EventId>),
}

/// Confirmed ids one announcement carries at most (a node keeps 8 at
/// most); more is ignored whole.
const MAX_CONFIRMED_IDS: usize = 64;

/// A tab's end of the channel shared by the tabs of one network.
pub struct Tabs {
    channel: BroadcastChannel,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Tabs {
    /// Joins the channel `name`; `heard` gets every announcement of another tab.
    pub fn join(
        name: &str,
        mut heard: impl FnMut(Announcement) + 'static,
    ) -> Result<Tabs, WebError> {
        let channel = BroadcastChannel::new(name)
            .map_err(|e| WebError::TabsUnavailable(dom_error_name(&e)))?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
            // Only tabs of this origin can post here; anything unexpected is ignored.
            if let Some(announcement) = decode(&message.data()) {
                heard(announcement);
            }
        });
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Ok(Tabs {
            channel,
            _on_message: on_message,
        })
    }

    /// Tells the other tabs about events this tab stored.
    ///
    /// The events go as two typed arrays, their bytes back to back and
    /// where each ends: a catch-up announces thousands at once, and an
    /// array of one `Uint8Array` per event cost ≈ 25–30 ms to build and
    /// clone per 4,096 events on the page's thread (BENCHMARKS.md, "A
    /// catch-up's long tasks").
    pub fn announce_events(&self, events: &[Event]) {
        if events.is_empty() {
            return;
        }
        let mut bytes = Vec::with_capacity(events.iter().map(|e| e.bytes().len()).sum());
        let mut ends = Vec::with_capacity(events.len());
        for event in events {
            bytes.extend_from_slice(event.bytes());
            ends.push(bytes.len() as u32);
        }
        let message = Object::new();
        let _ = Reflect::set(&message, &"bytes".into(), &Uint8Array::from(&bytes[..]));
        let _ = Reflect::set(&message, &"ends".into(), &Uint32Array::from(&ends[..]));
        self.post("event-bytes", &message);
    }

    /// Tells the other tabs that the policy changed.
    pub fn announce_policy(&self) {
        self.post("policy", &JsValue::TRUE);
    }

    /// Tells the other tabs which own events this tab kept as held by
    /// some peer, so that their count of what waits to be sent follows.
    pub fn announce_confirmed(&self, tops: &[EventId]) {
        let bytes: Vec<u8> = tops.iter().flat_map(|id| id.0).collect();
        self.post("confirmed", &Uint8Array::from(&bytes[..]));
    }

    fn post(&self, kind: &str, value: &JsValue) {
        let message = Object::new();
        let _ = Reflect::set(&message, &"kind".into(), &kind.into());
        let _ = Reflect::set(&message, &"value".into(), value);
        // Posting fails only on a closed channel, i.e. while the node closes.
        let _ = self.channel.post_message(&message);
    }
}

impl Drop for Tabs {
    fn drop(&mut self) {
        self.channel.set_onmessage(None);
        self.channel.close();
    }
}

/// Cuts `bytes` where `ends` say (each end after the one before, the last
/// at the end); `None` if they do not fit.
fn split_at_ends(bytes: &[u8], ends: &[u32]) -> Option<Vec<Vec<u8>>> {
    let mut start = 0;
    let mut out = Vec::with_capacity(ends.len());
    for &end in ends {
        let end = end as usize;
        out.push(bytes.get(start..end)?.to_vec());
        start = end;
    }
    (start == bytes.len()).then_some(out)
}

/// Ids back to back, 32 bytes each; `None` if the bytes do not cut into
/// ids or hold more than [`MAX_CONFIRMED_IDS`].
fn confirmed_ids(bytes: &[u8]) -> Option<Vec<EventId>> {
    if !bytes.len().is_multiple_of(32) || bytes.len() / 32 > MAX_CONFIRMED_IDS {
        return None;
    }
    let ids = bytes.chunks_exact(32);
    Some(
        ids.map(|id| EventId(id.try_into().expect("32 bytes")))
            .collect(),
    )
}

fn decode(data: &JsValue) -> Option<Announcement> {
    let kind = Reflect::get(data, &"kind".into()).ok()?.as_string()?;
    let value = Reflect::get(data, &"value".into()).ok()?;
    match kind.as_str() {
        "event-bytes" => {
            let bytes: Uint8Array = Reflect::get(&value, &"bytes".into())
                .ok()?
                .dyn_into()
                .ok()?;
            let ends: Uint32Array = Reflect::get(&value, &"ends".into()).ok()?.dyn_into().ok()?;
            split_at_ends(&bytes.to_vec(), &ends.to_vec()).map(Announcement::Events)
        }
        // What a tab of the previous version posts (one array per event).
        "events" => {
            let list: Array = value.dyn_into().ok()?;
            let events = list
                .iter()
                .filter_map(|v| v.dyn_into::<Uint8Array>().ok())
                .map(|bytes| bytes.to_vec())
                .collect();
            Some(Announcement::Events(events))
        }
        "policy" => Some(Announcement::Policy),
        "confirmed" => {
            let bytes = value.dyn_into::<Uint8Array>().ok()?.to_vec();
            confirmed_ids(&bytes).map(Announcement::Confirmed)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_CONFIRMED_IDS, confirmed_ids, split_at_ends};
    use trustfold::EventId;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// Another tab's announcement is cut where it says, and one whose ends
    /// do not fit its bytes is ignored whole.
    #[wasm_bindgen_test]
    fn announced_bytes_are_cut_at_their_ends_or_ignored() {
        let bytes = b"abcdef";
        assert_eq!(
            split_at_ends(bytes, &[2, 2, 6]),
            Some(vec![b"ab".to_vec(), Vec::new(), b"cdef".to_vec()])
        );
        assert_eq!(split_at_ends(bytes, &[4, 2]), None, "going back");
        assert_eq!(split_at_ends(bytes, &[2, 7]), None, "past the end");
        assert_eq!(split_at_ends(bytes, &[2]), None, "bytes left over");
    }

    /// Another tab's confirmed ids are cut 32 bytes each; bytes that do
    /// not cut into ids, or too many ids, are ignored whole.
    #[wasm_bindgen_test]
    fn announced_confirmations_are_whole_ids_or_ignored() {
        let two: Vec<u8> = [[1u8; 32], [2u8; 32]].concat();
        assert_eq!(
            confirmed_ids(&two),
            Some(vec![EventId([1; 32]), EventId([2; 32])])
        );
        assert_eq!(confirmed_ids(&two[..40]), None, "a cut id");
        assert_eq!(confirmed_ids(&[]), Some(Vec::new()));
        let too_many = vec![0u8; 32 * (MAX_CONFIRMED_IDS + 1)];
        assert_eq!(confirmed_ids(&too_many), None);
    }
}

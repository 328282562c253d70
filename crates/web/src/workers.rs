//! Checking events in Web Workers: the core's [`OffThread`] over a pool of
//! module workers (`js/verify.js`) that run this same wasm module, so a
//! catch-up's signatures are checked off the page's thread, on every core.
//!
//! `js/verify.js` is both sides. On the page it is the pool: it starts its
//! workers at the first batch, each from the file's own URL with
//! `new Worker(new URL("./verify.js", import.meta.url), { type: "module" })`
//! — the form webpack and Vite recognise and bundle as a worker — and
//! splits each batch among them. In a worker it imports the package's JS
//! and instantiates the `WebAssembly.Module` the page sends (compiled once;
//! no `SharedArrayBuffer`, so no cross-origin isolation needed), then
//! answers batches with [`verify_in_worker`]: the core's
//! [`verdicts`], the check the page would run. A worker that cannot start,
//! load or answer (within 20 s and 2 ms per event: one that hangs must not
//! hold the node) stops the pool; its answers are `null`, and the node
//! checks on the page's thread (`OffThread` answers `None`), until the pool
//! starts again 5 minutes later, at most twice (a worker started while the
//! network was down could not fetch the package). A
//! part answered with the wrong count makes its batch's answer `null`. Workers start under the name
//! `trustfold-verify`, and the file acts as a worker only under it, so an
//! app's own worker importing the package is left alone.

use js_sys::{Promise, Uint8Array, Uint32Array};
use std::cell::RefCell;
use trustfold::OffThread;
use trustfold::event::{AuthorKeys, verdicts};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

#[wasm_bindgen(module = "/js/verify.js")]
extern "C" {
    type VerifyPool;
    #[wasm_bindgen(constructor)]
    fn new(module: JsValue, size: u32) -> VerifyPool;
    #[wasm_bindgen(method)]
    fn verify(this: &VerifyPool, bytes: Uint8Array, ends: Uint32Array) -> Promise;
    #[wasm_bindgen(method)]
    fn close(this: &VerifyPool);
    #[wasm_bindgen(method)]
    fn report(this: &VerifyPool) -> JsValue;
    #[wasm_bindgen(method)]
    fn start(this: &VerifyPool);
}

/// A pool of verifying workers, started at the first batch it is given
/// or when warmed.
pub struct Workers {
    pool: VerifyPool,
}

impl Workers {
    /// A pool of `size` workers, at most 16 (0: one per core, at most 8).
    pub fn new(size: u32) -> Workers {
        Workers {
            pool: VerifyPool::new(wasm_bindgen::module(), size),
        }
    }

    /// Starts the workers now rather than at the first batch (a link is
    /// opening: a catch-up may follow).
    pub fn warm(&self) {
        self.pool.start();
    }

    /// What the pool did so far, as JS reads it (`VerifyWorkers` in the
    /// TypeScript): its size, the workers running, the events they
    /// checked, and why it stopped if a worker failed.
    pub fn report(&self) -> JsValue {
        self.pool.report()
    }
}

impl Drop for Workers {
    fn drop(&mut self) {
        self.pool.close();
    }
}

impl OffThread for Workers {
    fn verify(
        &self,
        events: &[&[u8]],
    ) -> futures_util::future::LocalBoxFuture<'static, Option<Vec<bool>>> {
        let mut bytes = Vec::with_capacity(events.iter().map(|e| e.len()).sum());
        let mut ends = Vec::with_capacity(events.len());
        for event in events {
            bytes.extend_from_slice(event);
            ends.push(bytes.len() as u32);
        }
        let answer = self
            .pool
            .verify(Uint8Array::from(&bytes[..]), Uint32Array::from(&ends[..]));
        Box::pin(async move {
            let verdicts: Uint8Array = JsFuture::from(answer).await.ok()?.dyn_into().ok()?;
            Some(verdicts.to_vec().into_iter().map(|v| v == 1).collect())
        })
    }
}

thread_local! {
    /// A worker's decompressed author keys, kept from batch to batch.
    static KEYS: RefCell<AuthorKeys> = RefCell::default();
}

/// What a verifying worker runs (`js/verify.js`): events back to back in
/// `bytes`, event `i` ending at `ends[i]`; one byte per event, 1 if
/// `Event::from_bytes` accepts it. Not for apps.
#[doc(hidden)]
#[wasm_bindgen(js_name = verifyInWorker)]
pub fn verify_in_worker(bytes: &[u8], ends: &[u32]) -> Vec<u8> {
    let mut events = Vec::with_capacity(ends.len());
    let mut from = 0;
    for &end in ends {
        // The pool's own layout; an end out of place gives an empty event,
        // which no check accepts.
        let end = (end as usize).clamp(from, bytes.len());
        events.push(&bytes[from..end]);
        from = end;
    }
    KEYS.with(|keys| verdicts(&events, &mut keys.borrow_mut()))
        .into_iter()
        .map(u8::from)
        .collect()
}

//! Checking events on other threads: in a browser, Web Workers running the
//! same wasm, so the page's thread stays free while a catch-up is verified.

use futures_util::future::LocalBoxFuture;

/// Batches with fewer events to check than this are checked on the
/// caller's thread: a worker's round trip (copying the bytes there and the
/// answer back, ≈ 1 ms) costs more than a few signatures do, and typing
/// brings one event at a time.
pub const OFF_THREAD_MIN: usize = 32;

/// Checks events elsewhere. Every answer is [`crate::event::verdicts`]
/// run on the same bytes, so validity stays exactly what
/// [`Event::from_bytes`](crate::Event::from_bytes) says on every node: an
/// event it accepts is decoded again here without its signature
/// ([`Event::from_own_store`](crate::Event::from_own_store)); one it
/// refuses is checked again here to tell why.
pub trait OffThread {
    /// Starts checking `events` at once — before the future is first
    /// polled, so checks run while the caller writes or applies — and
    /// answers, in order, whether each is valid on its own. `None` when it
    /// cannot answer (its workers failed): the node then checks the events
    /// itself.
    fn verify(&self, events: &[&[u8]]) -> LocalBoxFuture<'static, Option<Vec<bool>>>;
}

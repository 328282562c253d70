//! What waits to be written to one member: bounded in messages and bytes.
//! A member that does not read fast enough to stay under the bounds is
//! dropped (kicked), so a client that never reads cannot make the server
//! hold an unbounded queue for it.

use axum::body::Bytes;
use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use futures_util::SinkExt;
use futures_util::stream::SplitSink;
use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// One thing to write.
pub(crate) enum Out {
    Text(Utf8Bytes),
    /// A relay's sync frame.
    Binary(Bytes),
    Ping,
}

impl Out {
    /// What it counts against the byte bound.
    fn len(&self) -> usize {
        match self {
            Out::Text(text) => text.len(),
            Out::Binary(bytes) => bytes.len(),
            Out::Ping => 0,
        }
    }
}

struct State {
    queue: VecDeque<Out>,
    bytes: usize,
    closed: bool,
    overflowed: bool,
    /// When its reader last took something, or its queue last filled from
    /// empty: how long it has been stuck, if it is.
    progress: Instant,
}

/// A reader that took nothing this long with something queued is stalled:
/// only stalled readers are dropped for the shared budget.
const STALLED_AFTER: Duration = Duration::from_secs(5);

/// Bytes queued in many outboxes together (the relay's: each of a
/// thousand clients may be owed a window of events). Over `max`, an outbox
/// holding more than `floor` whose reader has taken nothing for 5 s is
/// kicked, at its next push or its connection's next check
/// ([`Outbox::stalled_over_budget`]): readers that keep up are never the
/// ones dropped, however much they are being sent, and clients that hold
/// the budget by never reading go.
pub(crate) struct Budget {
    used: AtomicUsize,
    max: usize,
    floor: usize,
}

impl Budget {
    /// A budget of `max` bytes; outboxes under `floor` always get room.
    pub(crate) fn new(max: usize, floor: usize) -> Budget {
        Budget {
            used: AtomicUsize::new(0),
            max,
            floor,
        }
    }

    /// Bytes queued now, in every outbox of the budget.
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }
}

/// A member's queue. Pushing never waits: senders are other members'
/// tasks, which must not be slowed by this one.
pub(crate) struct Outbox {
    state: Mutex<State>,
    ready: Notify,
    kicked: Notify,
    max_bytes: usize,
    max_messages: usize,
    budget: Option<Arc<Budget>>,
}

impl Outbox {
    pub(crate) fn new(max_bytes: usize, max_messages: usize) -> Outbox {
        Outbox {
            state: Mutex::new(State {
                queue: VecDeque::new(),
                bytes: 0,
                closed: false,
                overflowed: false,
                progress: Instant::now(),
            }),
            ready: Notify::new(),
            kicked: Notify::new(),
            max_bytes,
            max_messages,
            budget: None,
        }
    }

    /// The same outbox, counted in `budget` too.
    pub(crate) fn within(mut self, budget: Arc<Budget>) -> Outbox {
        self.budget = Some(budget);
        self
    }

    fn count(&self, added: usize, removed: usize) {
        if let Some(budget) = &self.budget {
            budget.used.fetch_add(added, Ordering::Relaxed);
            budget.used.fetch_sub(removed, Ordering::Relaxed);
        }
    }

    /// Whether `len` more bytes would take this outbox, or its share of
    /// the budget, over a bound.
    fn over(&self, state: &State, len: usize) -> bool {
        let mine = state.bytes + len;
        let stalled = state.bytes > 0 && state.progress.elapsed() > STALLED_AFTER;
        let shared = self
            .budget
            .as_ref()
            .is_some_and(|b| b.used() + len > b.max && mine > b.floor && stalled);
        state.queue.len() >= self.max_messages || mine > self.max_bytes || shared
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // Every update below leaves the state consistent between
        // statements, so a poisoned lock is usable.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queues `text`. Over a bound the member is kicked instead (its task
    /// hears it through [`Outbox::kicked`]) and nothing more is queued.
    pub(crate) fn push(&self, text: Utf8Bytes) {
        self.push_bounded(Out::Text(text));
    }

    /// Queues a relay's sync frame, within the bounds as [`push`](Self::push).
    pub(crate) fn push_binary(&self, bytes: Bytes) {
        self.push_bounded(Out::Binary(bytes));
    }

    fn push_bounded(&self, out: Out) {
        let mut state = self.lock();
        if state.closed || state.overflowed {
            return;
        }
        if self.over(&state, out.len()) {
            self.overflow(state);
            return;
        }
        state.bytes += out.len();
        self.count(out.len(), 0);
        if state.queue.is_empty() {
            state.progress = Instant::now();
        }
        state.queue.push_back(out);
        drop(state);
        self.ready.notify_one();
    }

    /// Queues an advisory reply to this member's own request (`TARGET_BUSY`,
    /// `NO_SUCH_PEER`) if there is room, and otherwise drops it: a member
    /// sending faster than it reads the answers loses answers, not its
    /// connection.
    pub(crate) fn push_advisory(&self, text: Utf8Bytes) {
        let mut state = self.lock();
        if state.closed || state.overflowed || self.over(&state, text.len()) {
            return;
        }
        state.bytes += text.len();
        self.count(text.len(), 0);
        if state.queue.is_empty() {
            state.progress = Instant::now();
        }
        state.queue.push_back(Out::Text(text));
        drop(state);
        self.ready.notify_one();
    }

    /// Queues a ping or the last word (an error before closing): small,
    /// and not subject to the bounds.
    pub(crate) fn push_control(&self, out: Out) {
        let mut state = self.lock();
        if state.closed || state.overflowed {
            return;
        }
        state.bytes += out.len();
        self.count(out.len(), 0);
        if state.queue.is_empty() {
            state.progress = Instant::now();
        }
        state.queue.push_back(out);
        drop(state);
        self.ready.notify_one();
    }

    /// Whether the shared budget is spent and this outbox is one of those
    /// to go (over the floor, its reader stalled): its connection checks
    /// now and then, since nothing may be pushed to it again.
    pub(crate) fn stalled_over_budget(&self) -> bool {
        let state = self.lock();
        let stalled = state.bytes > 0 && state.progress.elapsed() > STALLED_AFTER;
        !state.closed
            && !state.overflowed
            && stalled
            && self
                .budget
                .as_ref()
                .is_some_and(|b| b.used() > b.max && state.bytes > b.floor)
    }

    /// Kicks this member: what was queued is dropped, its task hears it
    /// through [`Outbox::kicked`].
    pub(crate) fn kick(&self) {
        let state = self.lock();
        if state.closed || state.overflowed {
            return;
        }
        self.overflow(state);
    }

    /// Drops what was queued (its bytes leave the budget) and wakes the
    /// member's task to go.
    fn overflow(&self, mut state: std::sync::MutexGuard<'_, State>) {
        state.overflowed = true;
        state.queue.clear();
        self.count(0, std::mem::take(&mut state.bytes));
        drop(state);
        self.kicked.notify_one();
    }

    /// Nothing more will be queued; the writer ends once the queue is empty.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_one();
    }

    /// The next thing to write, or `None` once closed and empty.
    pub(crate) async fn pop(&self) -> Option<Out> {
        loop {
            {
                let mut state = self.lock();
                if let Some(out) = state.queue.pop_front() {
                    state.progress = Instant::now();
                    state.bytes -= out.len();
                    self.count(0, out.len());
                    return Some(out);
                }
                if state.closed || state.overflowed {
                    return None;
                }
            }
            // A push between the check and here left a permit: no wake-up
            // is lost.
            self.ready.notified().await;
        }
    }

    /// Completes when the member overflowed its queue.
    pub(crate) async fn kicked(&self) {
        self.kicked.notified().await
    }
}

impl Drop for Outbox {
    /// What was still queued leaves the budget with it.
    fn drop(&mut self) {
        let bytes = self.lock().bytes;
        self.count(0, bytes);
    }
}

/// The task that writes what `outbox` holds to `sink` until the outbox is
/// closed and empty (then closes the socket) or a write fails.
pub(crate) fn spawn_writer(
    mut sink: SplitSink<WebSocket, Message>,
    outbox: Arc<Outbox>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(out) = outbox.pop().await {
            let message = match out {
                Out::Text(text) => Message::Text(text),
                Out::Binary(bytes) => Message::Binary(bytes),
                Out::Ping => Message::Ping(Default::default()),
            };
            if sink.send(message).await.is_err() {
                return;
            }
        }
        let _ = sink.close().await;
    })
}

//! A link's outbox: frames sent while its channel (WebRTC) or socket (the
//! relay) buffers more than [`HIGH_WATER`], kept in order and sent on as
//! the buffer drains. Sending never waits: the node has one sync loop for
//! all links, and a send that waited on one link held up every other (at
//! 1 MiB buffered, a member or relay on a slow link did:
//! `tests/browser/slow-link.test.mjs`; any wait lets a peer that stops
//! reading hold them up for as long as it likes). An outbox that would
//! pass its bound ([`DEFAULT_SEND_BACKLOG`]) means the peer reads nothing
//! of what it is sent: the caller gives the link up.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use trustfold::transport::TransportError;

/// Bytes buffered by the browser above which frames wait in the outbox:
/// twice the sync protocol's window (4 MiB), which an honest peer's
/// acknowledgements keep a link within, however slow (only an `Ack` frees
/// the window, not a round's `Hello`: `tests/window.rs`). Chromium refuses a data channel send past 16 MiB buffered.
pub(crate) const HIGH_WATER: u32 = 8 * 1024 * 1024;

/// Bytes of frames an outbox holds at most, by default.
pub const DEFAULT_SEND_BACKLOG: usize = 8 * 1024 * 1024;

/// What [`Outbox::send_waiting`] left.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Drained {
    /// Nothing waits.
    Empty,
    /// Frames wait for the buffer to drain.
    Waiting,
    /// The channel or socket refused a frame: the outbox is emptied (the
    /// frames after it would arrive with a gap).
    Refused,
}

/// Frames waiting to go, in order, and their bytes.
#[derive(Default)]
pub(crate) struct Outbox {
    frames: RefCell<VecDeque<Vec<u8>>>,
    bytes: Cell<usize>,
}

impl Outbox {
    /// Whether a frame may go now, past the outbox: nothing waits, and
    /// the browser buffers at most [`HIGH_WATER`].
    pub(crate) fn may_send_now(&self, buffered: u32) -> bool {
        self.frames.borrow().is_empty() && buffered <= HIGH_WATER
    }

    /// Keeps `frame` to send on later; [`TransportError::SendBacklog`]
    /// if the outbox would pass `limit` bytes (the frame is not kept).
    pub(crate) fn push(&self, frame: Vec<u8>, limit: usize) -> Result<(), TransportError> {
        if self.bytes.get() + frame.len() > limit {
            return Err(TransportError::SendBacklog(limit));
        }
        self.bytes.set(self.bytes.get() + frame.len());
        self.frames.borrow_mut().push_back(frame);
        Ok(())
    }

    /// Sends on what waits, in order, with `send` (`false`: refused)
    /// while `buffered()` is at most [`HIGH_WATER`].
    pub(crate) fn send_waiting(
        &self,
        buffered: impl Fn() -> u32,
        mut send: impl FnMut(&[u8]) -> bool,
    ) -> Drained {
        let mut frames = self.frames.borrow_mut();
        while buffered() <= HIGH_WATER {
            let Some(frame) = frames.pop_front() else {
                return Drained::Empty;
            };
            self.bytes.set(self.bytes.get() - frame.len());
            if !send(&frame) {
                frames.clear();
                self.bytes.set(0);
                return Drained::Refused;
            }
        }
        if frames.is_empty() {
            Drained::Empty
        } else {
            Drained::Waiting
        }
    }
}

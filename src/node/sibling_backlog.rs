//! What sibling nodes sharing this node's store (other tabs) announced
//! they stored, not taken in yet.
//!
//! A tab takes in what its siblings announce one slice at a time, between
//! which the page handles input; taking in costs less than storing did,
//! so the queue usually drains as fast as the siblings fill it. But a tab
//! the browser throttles (in the background) or one busy with its own
//! catch-up can fall behind by a sibling's whole history. The queue is
//! therefore bounded in bytes: an announcement that would pass the bound
//! drops every queued one, and the tab reads the shared store once instead
//! ([`Node::take_in_store`]). Nothing is lost — the siblings
//! stored each event before announcing it — and the memory held is the
//! bound, not the siblings' lead.

#[cfg(doc)]
use super::Node;
use std::collections::VecDeque;

/// Bytes of queued announcements kept by default: four of a catch-up's
/// announcements of 4,096 events (≈ 1 MB each with ≈ 250 B an event).
pub const DEFAULT_SIBLING_BACKLOG: usize = 4 << 20;

/// The largest bound a runtime should accept from its user.
pub const MAX_SIBLING_BACKLOG: usize = 256 << 20;

/// What to take in next.
#[derive(Debug, PartialEq, Eq)]
pub enum SiblingNext {
    /// The events of one announcement, in the order announced.
    Events(Vec<Vec<u8>>),
    /// Every stored event not applied yet: announcements were dropped.
    Store,
}

/// The queue: see the [module docs](self).
#[derive(Debug)]
pub struct SiblingBacklog {
    queue: VecDeque<Vec<Vec<u8>>>,
    bytes: usize,
    limit: usize,
    store_due: bool,
    overflows: u32,
}

impl SiblingBacklog {
    /// An empty queue holding at most `limit` bytes.
    pub fn new(limit: usize) -> SiblingBacklog {
        SiblingBacklog {
            queue: VecDeque::new(),
            bytes: 0,
            limit,
            store_due: false,
            overflows: 0,
        }
    }

    /// Queues an announcement — or, past the bound, drops the queue and
    /// this announcement and asks for one read of the store.
    pub fn push(&mut self, events: Vec<Vec<u8>>) {
        let size: usize = events.iter().map(Vec::len).sum();
        if self.store_due {
            // The read to come finds these too (it starts after them).
            return;
        }
        if self.bytes + size > self.limit {
            self.queue.clear();
            self.bytes = 0;
            self.store_due = true;
            self.overflows += 1;
            return;
        }
        self.bytes += size;
        self.queue.push_back(events);
    }

    /// What to take in next: the read of the store as soon as it is due
    /// (the drop cleared every announcement before it), else the oldest
    /// announcement.
    pub fn pop(&mut self) -> Option<SiblingNext> {
        if std::mem::take(&mut self.store_due) {
            return Some(SiblingNext::Store);
        }
        let events = self.queue.pop_front()?;
        self.bytes -= events.iter().map(Vec::len).sum::<usize>();
        Some(SiblingNext::Events(events))
    }

    /// Drops everything (the node closed).
    pub fn clear(&mut self) {
        self.queue.clear();
        self.bytes = 0;
        self.store_due = false;
    }

    /// Sets the bound for announcements heard from now on.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// Bytes queued now.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The bound.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// How many times the bound was hit (each time the queue was dropped
    /// and the store read instead).
    pub fn overflows(&self) -> u32 {
        self.overflows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(n: usize, size: usize) -> Vec<Vec<u8>> {
        vec![vec![7; size]; n]
    }

    #[test]
    fn announcements_come_out_in_order_within_the_bound() {
        let mut backlog = SiblingBacklog::new(1_000);
        backlog.push(events(2, 100));
        backlog.push(events(3, 100));
        assert_eq!(backlog.bytes(), 500);
        assert_eq!(backlog.pop(), Some(SiblingNext::Events(events(2, 100))));
        assert_eq!(backlog.pop(), Some(SiblingNext::Events(events(3, 100))));
        assert_eq!(backlog.pop(), None);
        assert_eq!((backlog.bytes(), backlog.overflows()), (0, 0));
    }

    #[test]
    fn past_the_bound_the_queue_is_dropped_for_one_read_of_the_store() {
        let mut backlog = SiblingBacklog::new(1_000);
        backlog.push(events(6, 100));
        backlog.push(events(5, 100));
        assert_eq!((backlog.bytes(), backlog.overflows()), (0, 1));
        // Heard while the read is due: the read finds them.
        backlog.push(events(1, 100));
        assert_eq!(backlog.pop(), Some(SiblingNext::Store));
        assert_eq!(backlog.pop(), None);
        // Heard after the read began: queued again.
        backlog.push(events(1, 100));
        assert_eq!(backlog.pop(), Some(SiblingNext::Events(events(1, 100))));
        // One announcement larger than the bound is never held.
        backlog.push(events(11, 100));
        assert_eq!((backlog.bytes(), backlog.overflows()), (0, 2));
        assert_eq!(backlog.pop(), Some(SiblingNext::Store));
    }
}

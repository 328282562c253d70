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
//! stored each event before announcing it; a read that fails is asked for
//! again ([`SiblingBacklog::read_failed`]) — and the queue holds at most
//! the bound, not the siblings' lead. (The read itself holds the store
//! while it runs, as an open does.)
//!
//! A read costs the whole store, not what was missed, so after a read of
//! R bytes the bound is at least R / 4 until the next one
//! ([`SiblingBacklog::read_done`]): a store that keeps growing in bursts
//! over the bound is read O(1) times its size in all, not once per burst
//! (quadratic). That raises no peak: the read just held R.

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
    /// A quarter of the last read of the store (see the module docs).
    raised: usize,
    store_due: bool,
    /// Reads of the store that failed in a row, and whether the caller is
    /// waiting before the next.
    failed_reads: u32,
    waiting: bool,
    overflows: u32,
}

impl SiblingBacklog {
    /// An empty queue holding at most `limit` bytes.
    pub fn new(limit: usize) -> SiblingBacklog {
        SiblingBacklog {
            queue: VecDeque::new(),
            bytes: 0,
            limit,
            raised: 0,
            store_due: false,
            failed_reads: 0,
            waiting: false,
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
        if self.bytes + size > self.limit.max(self.raised) {
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
    /// (the drop cleared every announcement before it) and no wait after
    /// a failed one is running, else the oldest announcement.
    pub fn pop(&mut self) -> Option<SiblingNext> {
        if self.store_due {
            if self.waiting {
                // Nothing is queued while the read is due.
                return None;
            }
            self.store_due = false;
            return Some(SiblingNext::Store);
        }
        let events = self.queue.pop_front()?;
        self.bytes -= events.iter().map(Vec::len).sum::<usize>();
        Some(SiblingNext::Events(events))
    }

    /// The read of the store asked for by [`SiblingNext::Store`] failed:
    /// it is asked for again. Returns how many milliseconds the caller
    /// should wait before taking it (doubling from 1 s to 30 s while reads
    /// keep failing): a store that keeps failing is not read in a loop.
    pub fn read_failed(&mut self) -> u64 {
        self.store_due = true;
        self.waiting = true;
        self.failed_reads = self.failed_reads.saturating_add(1);
        (1_000u64 << (self.failed_reads - 1).min(5)).min(30_000)
    }

    /// The wait after a failed read is over: the read comes next.
    pub fn wait_over(&mut self) {
        self.waiting = false;
    }

    /// The read of the store is done and read `bytes`: the bound is at
    /// least a quarter of that until the next read.
    pub fn read_done(&mut self, bytes: usize) {
        self.raised = bytes / 4;
        self.failed_reads = 0;
    }

    /// Drops everything (the node closed).
    pub fn clear(&mut self) {
        self.queue.clear();
        self.bytes = 0;
        self.store_due = false;
        self.waiting = false;
    }

    /// Sets the bound for announcements heard from now on.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// Bytes queued now.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// The bound set (a read of the store may raise it for a while).
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

    #[test]
    fn a_failed_read_is_asked_for_again() {
        let mut backlog = SiblingBacklog::new(1_000);
        backlog.push(events(11, 100));
        let waits: Vec<u64> = (0..7)
            .map(|_| {
                assert_eq!(backlog.pop(), Some(SiblingNext::Store));
                let wait = backlog.read_failed();
                // Heard during the wait: nothing is read before it ends.
                backlog.push(events(1, 100));
                assert_eq!(backlog.pop(), None);
                backlog.wait_over();
                wait
            })
            .collect();
        assert_eq!(waits, [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000]);
        // Announcements heard meanwhile are in the store the read finds.
        backlog.push(events(1, 100));
        assert_eq!(backlog.pop(), Some(SiblingNext::Store));
        assert_eq!(backlog.pop(), None);
        backlog.read_done(0);
        backlog.push(events(11, 100));
        assert_eq!(backlog.pop(), Some(SiblingNext::Store));
        assert_eq!(backlog.read_failed(), 1_000, "the wait starts over");
        backlog.clear();
        assert_eq!(backlog.pop(), None);
    }

    /// A store growing in bursts over the bound: the reads in all cost a
    /// few times the store, not once per burst.
    #[test]
    fn reads_of_a_growing_store_cost_a_few_times_the_store() {
        let mut backlog = SiblingBacklog::new(1_000);
        let (mut stored, mut read) = (0, 0);
        for _ in 0..1_000 {
            // A burst of 2,000 bytes, announced in 100-byte pieces.
            for _ in 0..20 {
                stored += 100;
                backlog.push(events(1, 100));
            }
            while let Some(next) = backlog.pop() {
                if next == SiblingNext::Store {
                    read += stored;
                    backlog.read_done(stored);
                }
            }
        }
        assert!(
            read <= 6 * stored,
            "read {read} bytes of a {stored}-byte store"
        );
        assert!(backlog.overflows() < 30, "{} reads", backlog.overflows());
    }
}

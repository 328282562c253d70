//! The receive window: a catch-up bigger than the window, with a receiver
//! that takes one frame at a time while the sender answers each
//! acknowledgement at once. What is in flight towards the receiver — sent
//! and not yet taken in — never exceeds the window, and everything
//! arrives. `TRUSTFOLD_SCALE=full` runs 100,000 events (`make test-heavy`).
#![cfg(not(target_arch = "wasm32"))]

mod common;
#[path = "common/sim.rs"]
mod sim;

use common::{key, pay};
use std::collections::VecDeque;
use trustfold::Node;
use trustfold::store::MemoryStore;
use trustfold::sync::{DEFAULT_WINDOW, MAX_FRAME};

/// What a catch-up to a slow receiver showed.
struct CatchUp {
    events: usize,
    /// Bytes of the events caught up on.
    total: usize,
    /// The most bytes ever on the way to the receiver.
    most_in_flight: usize,
    /// The most bytes of events the receiver held unacknowledged.
    most_unacknowledged: u64,
}

/// A catch-up bigger than the window, to a receiver that takes one frame
/// at a time while the sender answers each acknowledgement at once; with
/// `round_every`, the receiver starts a round (as its timer would) after
/// every so many frames, while frames are still on the way.
async fn catch_up(round_every: Option<u32>) -> CatchUp {
    let events = sim::scale(30_000, 100_000);
    let (a, _) = Node::open(MemoryStore::new(), || [1; 32]).await.unwrap();
    for n in 0..events {
        a.publish(n as u64, pay(key(9), 1, "EUR")).await.unwrap();
    }
    let total: usize = a
        .replica()
        .log()
        .topological()
        .map(|e| e.bytes().len())
        .sum();
    assert!(
        total > DEFAULT_WINDOW,
        "the catch-up is bigger than the window"
    );
    let (b, _) = Node::open(MemoryStore::new(), || [2; 32]).await.unwrap();
    let mut to_b: VecDeque<Vec<u8>> = sim::hello(&a, "b", [1; 16]).into();
    let mut to_a: VecDeque<Vec<u8>> = sim::hello(&b, "a", [2; 16]).into();
    let mut most_in_flight = 0;
    let mut taken = 0u32;
    let mut rounds = 0u8;
    loop {
        // The sender takes everything the receiver said, at once.
        while let Some(frame) = to_a.pop_front() {
            to_b.extend(sim::answer(&a, "b", &frame).await);
        }
        let in_flight: usize = to_b.iter().map(Vec::len).sum();
        most_in_flight = most_in_flight.max(in_flight);
        // The receiver takes one frame.
        let Some(frame) = to_b.pop_front() else { break };
        to_a.extend(sim::answer(&b, "a", &frame).await);
        taken += 1;
        if round_every.is_some_and(|every| taken.is_multiple_of(every)) {
            rounds = rounds.wrapping_add(1);
            to_a.extend(b.resync_peers(|| [rounds; 16]).into_iter().map(|(_, f)| f));
        }
    }
    assert_eq!(b.replica().log().len(), events, "everything arrived");
    CatchUp {
        events,
        total,
        most_in_flight,
        most_unacknowledged: b.traffic("a").unwrap().max_in_flight_received,
    }
}

#[pollster::test]
async fn a_slow_receiver_never_has_more_than_the_window_in_flight() {
    let seen = catch_up(None).await;
    println!(
        "{} events ({} B) to a slow receiver: at most {} B in flight (window {DEFAULT_WINDOW} B); {} B unacknowledged at most",
        seen.events, seen.total, seen.most_in_flight, seen.most_unacknowledged
    );
    // Events and their framing: a window of events plus one frame's header room.
    assert!(
        seen.most_in_flight <= DEFAULT_WINDOW + MAX_FRAME,
        "{} B in flight",
        seen.most_in_flight
    );
    assert!(seen.most_unacknowledged <= DEFAULT_WINDOW as u64);
}

/// The receiver's rounds now and then (a page's every 60 s) while a
/// catch-up is in flight do not open the sender's window again: a `Hello`
/// says nothing of what arrived, so on a link slower than a window a
/// minute each round used to send another window on top of the last,
/// until the sender's outbox outgrew its bound and the link was given up.
#[pollster::test]
async fn rounds_during_a_slow_catch_up_do_not_open_the_window_again() {
    let seen = catch_up(Some(8)).await;
    assert!(
        seen.most_in_flight <= DEFAULT_WINDOW + MAX_FRAME,
        "{} B in flight with rounds on the way (window {DEFAULT_WINDOW} B)",
        seen.most_in_flight
    );
}

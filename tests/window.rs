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

#[pollster::test]
async fn a_slow_receiver_never_has_more_than_the_window_in_flight() {
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
    }
    assert_eq!(b.replica().log().len(), events, "everything arrived");
    let received = b.traffic("a").unwrap();
    println!(
        "{events} events ({total} B) to a slow receiver: at most {most_in_flight} B in flight (window {DEFAULT_WINDOW} B); {} B unacknowledged at most",
        received.max_in_flight_received
    );
    // Events and their framing: a window of events plus one frame's header room.
    assert!(
        most_in_flight <= DEFAULT_WINDOW + MAX_FRAME,
        "{most_in_flight} B in flight"
    );
    assert!(received.max_in_flight_received <= DEFAULT_WINDOW as u64);
}

/// The receiver's rounds now and then (a page's every 60 s) while a
/// catch-up is in flight do not open the sender's window again: a `Hello`
/// says nothing of what arrived, so on a link slower than a window a
/// minute each round used to send another window on top of the last,
/// until the sender's outbox outgrew its bound and the link was given up.
#[pollster::test]
async fn rounds_during_a_slow_catch_up_do_not_open_the_window_again() {
    let events = sim::scale(30_000, 100_000);
    let (a, _) = Node::open(MemoryStore::new(), || [1; 32]).await.unwrap();
    for n in 0..events {
        a.publish(n as u64, pay(key(9), 1, "EUR")).await.unwrap();
    }
    let (b, _) = Node::open(MemoryStore::new(), || [2; 32]).await.unwrap();
    let mut to_b: VecDeque<Vec<u8>> = sim::hello(&a, "b", [1; 16]).into();
    let mut to_a: VecDeque<Vec<u8>> = sim::hello(&b, "a", [2; 16]).into();
    let mut most_in_flight = 0;
    let mut taken = 0u32;
    let mut rounds = 0u8;
    loop {
        while let Some(frame) = to_a.pop_front() {
            to_b.extend(sim::answer(&a, "b", &frame).await);
        }
        let in_flight: usize = to_b.iter().map(Vec::len).sum();
        most_in_flight = most_in_flight.max(in_flight);
        let Some(frame) = to_b.pop_front() else { break };
        to_a.extend(sim::answer(&b, "a", &frame).await);
        taken += 1;
        if taken.is_multiple_of(8) {
            // The receiver's timer: a round while frames are still on the way.
            rounds = rounds.wrapping_add(1);
            to_a.extend(b.resync_peers(|| [rounds; 16]).into_iter().map(|(_, f)| f));
        }
    }
    assert_eq!(b.replica().log().len(), events, "everything arrived");
    assert!(
        most_in_flight <= DEFAULT_WINDOW + MAX_FRAME,
        "{most_in_flight} B in flight with rounds on the way (window {DEFAULT_WINDOW} B)"
    );
}

//! Batches checked off the node's thread ([`OffThread`], a browser's Web
//! Workers) are taken in exactly as batches checked on it: the same events
//! stored and applied, the same refusals with the same codes at the same
//! indices, the same state — and when the workers fail, the node checks
//! the batch itself.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;
#[path = "common/sim.rs"]
mod sim;

use common::{key, pay};
use futures_util::future::LocalBoxFuture;
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use trustfold::event::{AuthorKeys, verdicts};
use trustfold::store::MemoryStore;
use trustfold::testing::node::state;
use trustfold::{Event, Node, OFF_THREAD_MIN, OffThread, Received};
use wasm_bindgen_test::wasm_bindgen_test;

/// What the workers answer.
#[derive(Clone, Copy)]
enum Answer {
    /// Every event refused (as for a flood of bad signatures).
    Refuses,
    /// `verdicts`, as a browser's workers run it.
    Honest,
    /// Nothing: the workers failed.
    Fails,
    /// A list of the wrong length.
    Short,
}

/// Workers in this thread: the same check, counted.
struct Workers {
    keys: RefCell<AuthorKeys>,
    checked: Cell<usize>,
    answer: Answer,
    /// Batches asked for so far.
    asked: Rc<Cell<usize>>,
    /// For each answer, how many batches had been asked for when it was
    /// first awaited.
    asked_when_awaited: Rc<RefCell<Vec<usize>>>,
}

impl Workers {
    fn new(answer: Answer) -> Rc<Workers> {
        Rc::new(Workers {
            keys: RefCell::default(),
            checked: Cell::new(0),
            answer,
            asked: Rc::default(),
            asked_when_awaited: Rc::default(),
        })
    }
}

impl OffThread for Workers {
    fn verify(&self, events: &[&[u8]]) -> LocalBoxFuture<'static, Option<Vec<bool>>> {
        self.checked.set(self.checked.get() + events.len());
        self.asked.set(self.asked.get() + 1);
        let mut answer = verdicts(events, &mut self.keys.borrow_mut());
        let answer = match self.answer {
            Answer::Refuses => Some(vec![false; events.len()]),
            Answer::Honest => Some(answer),
            Answer::Fails => None,
            Answer::Short => {
                answer.pop();
                Some(answer)
            }
        };
        let (asked, seen) = (self.asked.clone(), self.asked_when_awaited.clone());
        Box::pin(async move {
            seen.borrow_mut().push(asked.get());
            answer
        })
    }
}

/// 700 payments of Alice's, then the batch a peer might send of them:
/// children before parents in part, a copy, and four bad events — a
/// flipped signature bit, a flipped body byte, a cut event, junk.
async fn batch() -> Vec<Vec<u8>> {
    let (alice, _) = Node::open(MemoryStore::new(), || [1; 32]).await.unwrap();
    let mut events = Vec::new();
    for time in 0..700 {
        let event = alice.publish(time, pay(key(2), 1, "EUR")).await.unwrap();
        events.push(event.bytes().to_vec());
    }
    events[100..300].reverse();
    events.push(events[5].clone());
    let mut signature = events[400].clone();
    *signature.last_mut().unwrap() ^= 1;
    let mut body = events[450].clone();
    body[40] ^= 0x10;
    let cut = events[500][..30].to_vec();
    events.insert(600, signature);
    events.insert(50, body);
    events.insert(20, cut);
    events.insert(10, b"junk".to_vec());
    events
}

/// What a receiver tells of a batch, comparable between receivers.
fn outcome(received: &Received) -> (Vec<String>, usize, Vec<(usize, &'static str)>, usize) {
    (
        received.stored.iter().map(|e| e.id().to_string()).collect(),
        received.applied,
        received
            .refused
            .iter()
            .map(|(i, e)| (*i, e.code()))
            .collect(),
        received.orphaned,
    )
}

/// Bob, an empty node whose large batches `workers` check.
async fn bob_with(workers: &Rc<Workers>) -> Node<MemoryStore> {
    let (bob, _) = Node::open(MemoryStore::new(), || [2; 32]).await.unwrap();
    bob.verify_off_thread(Some(workers.clone()));
    bob
}

/// Bob takes in the batch, checked here and by `workers` (in two
/// receives, so both paths see orphans released by a later batch).
async fn take_in(
    events: &[Vec<u8>],
    workers: Option<Rc<Workers>>,
) -> (Node<MemoryStore>, Vec<Received>) {
    let (bob, _) = Node::open(MemoryStore::new(), || [2; 32]).await.unwrap();
    bob.verify_off_thread(workers.map(|w| w as Rc<dyn OffThread>));
    let refs: Vec<&[u8]> = events.iter().map(Vec::as_slice).collect();
    let (first, second) = refs.split_at(refs.len() / 3);
    let mut out = Vec::new();
    for part in [second, first] {
        out.push(bob.receive_batch(part).await.unwrap());
    }
    (bob, out)
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn a_batch_checked_by_workers_is_taken_in_as_one_checked_here() {
    let events = batch().await;
    let (here, by_here) = take_in(&events, None).await;
    assert_eq!(
        here.replica().log().len(),
        700,
        "every valid event, in the end"
    );
    assert_eq!(by_here.iter().map(|r| r.refused.len()).sum::<usize>(), 4);
    for answer in [
        Answer::Honest,
        Answer::Refuses,
        Answer::Fails,
        Answer::Short,
    ] {
        let workers = Workers::new(answer);
        let (bob, by_workers) = take_in(&events, Some(workers.clone())).await;
        for (a, b) in by_here.iter().zip(&by_workers) {
            assert_eq!(outcome(a), outcome(b));
        }
        assert_eq!(state(&bob), state(&here));
        // Every event new to Bob went to the workers, once.
        assert!(workers.checked.get() >= 700, "{}", workers.checked.get());
        assert!(
            workers.checked.get() <= events.len(),
            "{}",
            workers.checked.get()
        );
    }
}

#[wasm_bindgen_test(unsupported = pollster::test)]
async fn a_small_batch_is_checked_here() {
    let events = batch().await;
    let workers = Workers::new(Answer::Honest);
    let bob = bob_with(&workers).await;
    let few: Vec<&[u8]> = events[..OFF_THREAD_MIN - 1]
        .iter()
        .map(Vec::as_slice)
        .collect();
    let received = bob.receive_batch(&few).await.unwrap();
    assert!(!received.stored.is_empty());
    assert_eq!(workers.checked.get(), 0);
    // A copy of what is stored costs no check anywhere.
    bob.receive_batch(&few).await.unwrap();
    assert_eq!(workers.checked.get(), 0);
}

/// All of a batch's chunks go to the workers before the node waits for the
/// first answer: they check the rest while the node writes and applies.
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn every_chunk_of_a_batch_is_sent_to_the_workers_before_the_first_answer_is_awaited() {
    let events = batch().await;
    let workers = Workers::new(Answer::Honest);
    let bob = bob_with(&workers).await;
    let refs: Vec<&[u8]> = events.iter().map(Vec::as_slice).collect();
    bob.receive_batch(&refs).await.unwrap();
    // 704 events: two chunks of 512.
    assert_eq!(*workers.asked_when_awaited.borrow(), [2, 2]);
    assert_eq!(bob.replica().log().len(), 700);
}

/// What the workers accept is decoded without a pause; what they refuse
/// is checked again here, in slices with a pause between them (a peer
/// flooding bad signatures must not hold the page's thread).
#[wasm_bindgen_test(unsupported = pollster::test)]
async fn events_the_workers_refuse_are_checked_here_in_slices_with_pauses() {
    let events = batch().await;
    let refs: Vec<&[u8]> = events
        .iter()
        .map(Vec::as_slice)
        .filter(|e| Event::from_bytes(e).is_ok())
        .take(512)
        .collect();
    for (answer, least, most) in [(Answer::Honest, 0, 0), (Answer::Refuses, 3, 4)] {
        let (bob, _) = Node::open(sim::FaultyStore::default(), || [2; 32])
            .await
            .unwrap();
        bob.verify_off_thread(Some(Workers::new(answer)));
        bob.store().pauses.set(0);
        let received = bob.receive_batch(&refs).await.unwrap();
        let pauses = bob.store().pauses.get();
        assert!((least..=most).contains(&pauses), "{pauses} pauses");
        assert_eq!(received.stored.len(), 512, "stored either way");
    }
}

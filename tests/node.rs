//! The node over a store: state survives reopening, every new event is
//! written before the call returns, bad input and failed writes lose nothing.
//! The suite itself is `trustfold::testing::node` (run here on the memory
//! store, natively and in the browser; on IndexedDB in `trustfold-web`);
//! this file adds what only a memory store can fake: a full disk.

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);
mod common;
#[path = "common/sim.rs"]
mod sim;

use common::{key, pay};
use sim::FaultyStore;
use std::rc::Rc;
use trustfold::store::{MemoryStore, Store};
use trustfold::testing::node::state;
use trustfold::{Node, NodeError};

const SECRET: [u8; 32] = [7; 32];

/// Two nodes of one identity on one store: two tabs of one person.
async fn two_tabs() -> (Node<FaultyStore>, Node<FaultyStore>) {
    let (writer, _) = Node::open(FaultyStore::default(), || SECRET).await.unwrap();
    let (sibling, _) = Node::open(
        FaultyStore {
            inner: writer.store().inner.clone(),
            ..FaultyStore::default()
        },
        || SECRET,
    )
    .await
    .unwrap();
    (writer, sibling)
}

trustfold::node_conformance_tests!(memory_suite, trustfold::testing::MemoryBackend);

/// A memory store whose disk fills up: writes fail with `QuotaExceeded`
/// once `room` runs out (the browser's IndexedDB error on a full disk).
struct FullDisk {
    inner: MemoryStore,
    room: std::cell::Cell<usize>,
}

impl Store for FullDisk {
    async fn write(
        &self,
        events: &[(trustfold::EventId, &[u8])],
        meta: &[(&str, &[u8])],
    ) -> Result<(), trustfold::store::StoreError> {
        if self.room.get() < events.len() {
            return Err(trustfold::store::StoreError::QuotaExceeded);
        }
        self.room.set(self.room.get() - events.len());
        self.inner.write(events, meta).await
    }
    async fn get_event(
        &self,
        id: &trustfold::EventId,
    ) -> Result<Option<Vec<u8>>, trustfold::store::StoreError> {
        self.inner.get_event(id).await
    }
    async fn load_events(
        &self,
    ) -> Result<trustfold::store::LoadedEvents, trustfold::store::StoreError> {
        self.inner.load_events().await
    }
    async fn event_count(&self) -> Result<usize, trustfold::store::StoreError> {
        self.inner.event_count().await
    }
    async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, trustfold::store::StoreError> {
        self.inner.get_meta(key).await
    }
    async fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), trustfold::store::StoreError> {
        self.inner.put_meta(key, value).await
    }
    async fn get_snapshot(
        &self,
        key: &str,
    ) -> Result<Option<Vec<u8>>, trustfold::store::StoreError> {
        self.inner.get_snapshot(key).await
    }
    async fn put_snapshot(
        &self,
        key: &str,
        value: &[u8],
    ) -> Result<(), trustfold::store::StoreError> {
        self.inner.put_snapshot(key, value).await
    }
}

mod memory {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test;

    /// What a store found again only after damage (by bytes hashing to an
    /// id) is checked with its signature on open: a record hidden inside a
    /// signed event would otherwise be applied unsigned.
    #[wasm_bindgen_test(unsupported = pollster::test)]
    async fn events_a_store_found_again_after_damage_are_checked_with_their_signature() {
        let (other, _) = Node::open(MemoryStore::new(), || [3; 32]).await.unwrap();
        let mut forged = other
            .publish(1, pay(key(2), 5, "EUR"))
            .await
            .unwrap()
            .bytes()
            .to_vec();
        *forged.last_mut().unwrap() ^= 1; // the signature's last byte
        let forged_id = trustfold::EventId::of_bytes(&forged);
        for suspect in [false, true] {
            let (node, _) = Node::open(FaultyStore::default(), || SECRET).await.unwrap();
            node.publish(1, pay(key(2), 1, "EUR")).await.unwrap();
            let store = node.into_store();
            store
                .inner
                .put_events(&[(forged_id, &forged)])
                .await
                .unwrap();
            store.suspect.set(suspect);
            let (reopened, report) = Node::open(store, || SECRET).await.unwrap();
            let has_forged = reopened.replica().log().contains(&forged_id);
            // Bytes of the own store are trusted as written; listed as
            // found after damage, they are checked and refused.
            assert_eq!(has_forged, !suspect);
            assert_eq!(
                report.skipped.len(),
                usize::from(suspect),
                "{:?}",
                report.skipped
            );
        }
    }

    /// A tab that missed another tab's 300 events reads the store once to
    /// follow them, instead of looking each one up (in IndexedDB a lookup
    /// reads blocks newest first: O(m²) blocks for m events).
    #[wasm_bindgen_test(unsupported = pollster::test)]
    async fn a_tab_that_missed_many_events_reads_the_store_once_not_each_event() {
        let shared = Rc::new(MemoryStore::new());
        let (a, _) = Node::open(Rc::clone(&shared), || SECRET).await.unwrap();
        let tab = FaultyStore {
            inner: shared,
            ..FaultyStore::default()
        };
        let (b, _) = Node::open(tab, || SECRET).await.unwrap();
        for time in 0..300 {
            a.publish(time, pay(key(2), 1, "EUR")).await.unwrap();
        }
        b.store().lookups.set(0);
        b.store().loads.set(0);
        let event = b.publish(300, pay(key(2), 1, "EUR")).await.unwrap();
        assert_eq!(event.content().seq, 301);
        assert_eq!(b.replica().log().len(), 301);
        let (lookups, loads) = (b.store().lookups.get(), b.store().loads.get());
        assert!(lookups <= 33, "{lookups} lookups");
        assert_eq!(loads, 1);
    }

    /// What waits to be sent is kept in the store once nothing waits, not
    /// at every acknowledgement of a long upload (a write each, in series
    /// with the frames the acknowledgement lets go); reopened, the count
    /// is still right.
    #[wasm_bindgen_test(unsupported = pollster::test)]
    async fn an_upload_keeps_what_was_confirmed_once_not_at_every_acknowledgement() {
        let (alice, _) = Node::open(FaultyStore::default(), || [1; 32])
            .await
            .unwrap();
        for time in 0..3_000 {
            alice.publish(time, pay(key(2), 1, "EUR")).await.unwrap();
        }
        let (bob, _) = Node::open(MemoryStore::new(), || [2; 32]).await.unwrap();
        let mut to_alice = sim::hello(&bob, "alice", [3; 16]);
        let mut to_bob = sim::hello(&alice, "bob", [4; 16]);
        let mut frames_to_alice = 0;
        while !to_alice.is_empty() || !to_bob.is_empty() {
            for frame in std::mem::take(&mut to_bob) {
                to_alice.extend(sim::answer(&bob, "alice", &frame).await);
            }
            for frame in std::mem::take(&mut to_alice) {
                frames_to_alice += 1;
                to_bob.extend(sim::answer(&alice, "bob", &frame).await);
            }
        }
        assert_eq!(bob.replica().log().len(), 3_000);
        assert_eq!(alice.unconfirmed(), 0);
        let writes = alice.store().meta_writes.borrow().get("confirmed").copied();
        assert!(
            frames_to_alice > 3,
            "{frames_to_alice} frames: not a long upload"
        );
        assert_eq!(writes, Some(1), "{frames_to_alice} frames from Bob");
        let store = FaultyStore {
            inner: alice.store().inner.clone(),
            ..FaultyStore::default()
        };
        drop(alice);
        let (alice, _) = Node::open(store, || [1; 32]).await.unwrap();
        assert_eq!(alice.unconfirmed(), 0);
        alice.publish(3_000, pay(key(2), 1, "EUR")).await.unwrap();
        assert_eq!(alice.unconfirmed(), 1);
    }

    /// A catch-up lets the platform run while it works: between frames
    /// as it decodes a turn of them, and between slices of signature
    /// checks — and still ends with every event.
    #[wasm_bindgen_test(unsupported = pollster::test)]
    async fn a_catch_up_pauses_between_frames_and_slices_of_checks() {
        let (alice, _) = Node::open(MemoryStore::new(), || [1; 32]).await.unwrap();
        for time in 0..3_000 {
            alice.publish(time, pay(key(2), 1, "EUR")).await.unwrap();
        }
        let (bob, _) = Node::open(FaultyStore::default(), || [2; 32])
            .await
            .unwrap();
        let mut to_alice = sim::hello(&bob, "alice", [3; 16]);
        let mut to_bob = sim::hello(&alice, "bob", [4; 16]);
        let mut most_at_once = 0;
        while !to_alice.is_empty() || !to_bob.is_empty() {
            for frame in std::mem::take(&mut to_alice) {
                to_bob.extend(sim::answer(&alice, "bob", &frame).await);
            }
            // Everything Alice sent arrives at once, as frames queue up on
            // a fast link.
            let frames = std::mem::take(&mut to_bob);
            most_at_once = most_at_once.max(frames.len());
            let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
            bob.store().pauses.set(0);
            let out = bob.from_peer_frames("alice", &refs).await.unwrap();
            let pauses = bob.store().pauses.get();
            if !out.stored.is_empty() {
                // Checks go in chunks of 512 events, each in slices of 128
                // with a pause between; decoding pauses every 4 frames.
                let events = out.stored.len();
                let slices: usize = (0..events.div_ceil(512))
                    .map(|c| (events - c * 512).min(512).div_ceil(128) - 1)
                    .sum();
                let at_least = slices + (frames.len() - 1) / 4;
                assert!(
                    pauses >= at_least,
                    "{pauses} pauses, {} frames",
                    frames.len()
                );
            }
            to_alice.extend(out.send.into_iter().map(|(_, f)| f));
        }
        assert!(most_at_once >= 8, "{most_at_once} frames at most at once");
        assert_eq!(bob.replica().log().len(), 3_000);
    }

    /// A sibling tab's announcement of a long catch-up is taken in with
    /// pauses between slices, as an open is (in one task it held the other
    /// tab's page for the whole batch); every event is applied and handed
    /// out for this tab's peers, and one that does not load is counted and
    /// skipped without stopping the rest.
    #[wasm_bindgen_test(unsupported = pollster::test)]
    async fn a_siblings_long_announcement_is_taken_in_between_pauses() {
        let (writer, _) = Node::open(MemoryStore::new(), || SECRET).await.unwrap();
        let mut announced = Vec::new();
        for time in 0..10_000 {
            let event = writer.publish(time, pay(key(2), 1, "EUR")).await.unwrap();
            announced.push(event.bytes().to_vec());
        }
        announced.insert(5_000, b"not an event".to_vec());
        let (sibling, _) = Node::open(FaultyStore::default(), || SECRET).await.unwrap();
        sibling.store().pauses.set(0);
        let taken = sibling.load_stored_all(&announced).await;
        assert_eq!(
            (taken.applied, taken.new.len(), taken.failed),
            (10_000, 10_000, 1)
        );
        assert_eq!(state(&sibling), state(&writer));
        // 10,001 payments' worth: a pause after each 1,024.
        assert_eq!(sibling.store().pauses.get(), 9);
        let again = sibling.load_stored_all(&announced[..100]).await;
        assert_eq!((again.applied, again.new.len(), again.failed), (0, 0, 0));
    }

    /// A tab signing its next event looks up its siblings' latest events
    /// of the one chain. The bytes a lookup returns are not checked by the
    /// store: damaged ones (here a flipped signature byte) are not taken in
    /// as the event asked for — the whole store is read instead, and the
    /// intact event applied. Before, the damaged bytes were applied, their
    /// signature never checked, under another id.
    #[wasm_bindgen_test(unsupported = pollster::test)]
    async fn a_damaged_lookup_of_the_own_chain_is_not_taken_in() {
        let (writer, sibling) = two_tabs().await;
        let latest = writer.publish(0, pay(key(2), 1, "EUR")).await.unwrap();
        let mut damaged = latest.bytes().to_vec();
        *damaged.last_mut().unwrap() ^= 1;
        *sibling.store().damaged.borrow_mut() = Some((latest.id(), damaged));
        let loads = sibling.store().loads.get();
        let own = sibling.publish(1, pay(key(3), 1, "EUR")).await.unwrap();
        assert_eq!(own.parents(), &[latest.id()], "it follows the intact event");
        assert_eq!(
            sibling.store().loads.get(),
            loads + 1,
            "found by a whole read"
        );
        assert_eq!(sibling.replica().log().len(), 2, "nothing else taken in");
        assert_eq!(writer.load_stored(own.bytes()).unwrap().applied.len(), 1);
        assert!(writer.replica().log().forks().is_empty());
    }

    /// A tab that dropped its siblings' announcements (too many queued)
    /// reads them from the shared store instead: it applies every event it
    /// lacks, hands them out for its peers, pauses between slices, and its
    /// next own event follows its siblings' on the one chain (no fork).
    #[wasm_bindgen_test(unsupported = pollster::test)]
    async fn a_tab_behind_its_siblings_takes_in_what_they_stored() {
        let (writer, sibling) = two_tabs().await;
        let heard = writer.publish(0, pay(key(2), 1, "EUR")).await.unwrap();
        assert_eq!(
            sibling
                .load_stored_all(&[heard.bytes().to_vec()])
                .await
                .applied,
            1
        );
        for time in 1..3_000 {
            writer.publish(time, pay(key(2), 1, "EUR")).await.unwrap();
        }
        sibling.store().pauses.set(0);
        let taken = sibling.take_in_store().await.unwrap();
        assert_eq!(
            (taken.applied, taken.new.len(), taken.failed),
            (2_999, 2_999, 0)
        );
        assert_eq!(state(&sibling), state(&writer));
        assert!(
            sibling.store().pauses.get() >= 2,
            "it paused between slices"
        );
        let again = sibling.take_in_store().await.unwrap();
        assert_eq!((again.applied, again.new.len()), (0, 0));
        let own = sibling.publish(3_000, pay(key(3), 1, "EUR")).await.unwrap();
        assert_eq!(writer.load_stored(own.bytes()).unwrap().applied.len(), 1);
        assert!(writer.replica().log().forks().is_empty());
        assert_eq!(state(&sibling), state(&writer));
    }

    /// Opening a long history lets the platform run between slices of
    /// the work (in a browser, the page's thread is the node's): at least
    /// one pause per slice of decoding and one per slice of inserting.
    #[wasm_bindgen_test(unsupported = pollster::test)]
    async fn opening_a_long_history_pauses_between_slices_of_work() {
        let (node, _) = Node::open(FaultyStore::default(), || SECRET).await.unwrap();
        for time in 0..10_000 {
            node.publish(time, pay(key(2), 1, "EUR")).await.unwrap();
        }
        let store = node.into_store();
        store.pauses.set(0);
        let (reopened, report) = Node::open(store, || SECRET).await.unwrap();
        assert_eq!(report.events, 10_000);
        // 10,000 events: three slices of decoding, three of inserting.
        let pauses = reopened.store().pauses.get();
        assert!(pauses >= 6, "{pauses} pauses");
        assert!(pauses <= 10, "{pauses} pauses: slices too small");
    }

    /// A document change costs ≈ 25× a payment to take in: the open
    /// counts it so, and pauses that much more often between changes (one
    /// slice of 4,096 held the editing trace's 2,598 changes, ≈ 200 ms).
    #[wasm_bindgen_test(unsupported = pollster::test)]
    async fn opening_document_changes_pauses_as_often_as_they_cost() {
        let (node, _) = Node::open(FaultyStore::default(), || SECRET).await.unwrap();
        node.replica_mut().create_record("notes", "n").unwrap();
        for time in 0..1_000u32 {
            node.replica_mut()
                .set_field(
                    "notes",
                    "n",
                    "count",
                    trustfold::Scalar::Number(f64::from(time)),
                )
                .unwrap();
            assert_eq!(node.commit(time.into()).await.unwrap().len(), 1);
        }
        let store = node.into_store();
        store.pauses.set(0);
        let (reopened, report) = Node::open(store, || SECRET).await.unwrap();
        assert_eq!(report.events, 1_000);
        // 1,000 changes counted as 32,000 payments: 7 pauses while
        // decoding, one after, 7 while inserting (as payments: 1).
        let pauses = reopened.store().pauses.get();
        assert!(pauses >= 15, "{pauses} pauses");
        assert!(pauses <= 17, "{pauses} pauses: slices too small");
    }

    #[wasm_bindgen_test(unsupported = pollster::test)]
    async fn a_full_disk_refuses_writes_with_a_typed_error_and_loses_nothing() {
        use trustfold::store::StoreError;
        let disk = FullDisk {
            inner: MemoryStore::new(),
            room: std::cell::Cell::new(3),
        };
        let (node, _) = Node::open(disk, || SECRET).await.unwrap();
        for time in 0..3 {
            node.publish(time, pay(key(2), 1, "EUR")).await.unwrap();
        }
        let before = state(&node);
        let full = node.publish(3, pay(key(2), 1, "EUR")).await;
        assert_eq!(
            full.err(),
            Some(NodeError::Store(StoreError::QuotaExceeded))
        );
        assert_eq!(state(&node), before, "the refused payment is not applied");

        // A document commit applies first; on a full disk it is kept and
        // written with the next write that fits.
        node.replica_mut().create_record("notes", "n").unwrap();
        node.replica_mut()
            .set_text("notes", "n", "body", "kept")
            .unwrap();
        let full = node.commit(4).await;
        assert_eq!(
            full.err(),
            Some(NodeError::Store(StoreError::QuotaExceeded))
        );
        assert_eq!(node.unsaved(), 1);
        node.store().room.set(10);
        let payment = node.publish(5, pay(key(2), 1, "EUR")).await.unwrap();
        assert_eq!(node.unsaved(), 0);
        // The commit stored on the way is handed out once, to be announced
        // (the payment's answer does not include it).
        let recovered = node.take_recovered();
        assert_eq!(recovered.len(), 1);
        assert_ne!(recovered[0].id(), payment.id());
        assert!(node.replica().log().contains(&recovered[0].id()));
        assert!(node.take_recovered().is_empty());

        let (reopened, report) = Node::open(node.into_store(), || SECRET).await.unwrap();
        assert_eq!(
            report.events, 5,
            "3 payments, the commit, the payment after"
        );
        assert!(report.skipped.is_empty(), "{:?}", report.skipped);
        let mut replica = reopened.replica_mut();
        assert_eq!(
            replica.record("notes", "n").unwrap().text("body"),
            Some("kept")
        );
        assert_eq!(replica.view().balance(replica.log(), &key(2), "EUR"), 4);
    }
}

/// A store whose identity record names someone other than the owner of its
/// policy (a record lost and remade, or written over) is refused as damaged:
/// never opened as a stranger writing under the owner's policy.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = pollster::test)]
async fn a_store_whose_identity_is_not_its_policys_owner_is_refused() {
    let (node, _) = Node::open(MemoryStore::new(), || SECRET).await.unwrap();
    let me = node.identity().public_key();
    node.set_policy(trustfold::Policy::new(me).banning(key(3)))
        .await
        .unwrap();
    node.publish(1, pay(key(2), 30, "EUR")).await.unwrap();
    let store = node.into_store();
    store.put_meta("identity", &[9; 32]).await.unwrap();
    let refused = Node::open(store, || [8; 32]).await;
    assert!(
        matches!(refused, Err(NodeError::DamagedMeta("policy"))),
        "{:?}",
        refused.err()
    );
}

/// With no policy stored yet, the own chain names the owner: a store whose
/// identity record names someone else is refused all the same.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = pollster::test)]
async fn a_store_whose_identity_is_not_its_chains_author_is_refused() {
    let (node, _) = Node::open(MemoryStore::new(), || SECRET).await.unwrap();
    node.publish(1, pay(key(2), 30, "EUR")).await.unwrap();
    let store = node.into_store();
    store.put_meta("identity", &[9; 32]).await.unwrap();
    let refused = Node::open(store, || [8; 32]).await;
    assert!(
        matches!(
            refused,
            Err(NodeError::OtherIdentity | NodeError::DamagedMeta(_))
        ),
        "{:?}",
        refused.err()
    );
}

/// A store is for one network: a private network's store reopens with its
/// invite (its payments read back), and opening it as an open network or
/// with another invite is refused, never read as something else.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = pollster::test)]
async fn a_store_opens_only_for_the_network_it_was_made_for() {
    use trustfold::invite::Invite;
    let invite = Invite::new([7; 32], "coop").unwrap();
    let (node, _) = Node::open_in(MemoryStore::new(), Some(invite.clone()), None, || SECRET)
        .await
        .unwrap();
    let paid = node.publish(1, pay(key(2), 30, "EUR")).await.unwrap();
    assert!(paid.is_sealed());
    let store = node.into_store();
    let other = Invite::new([8; 32], "coop").unwrap();
    let refused = Node::open_in(store, Some(other), None, || SECRET).await;
    assert!(matches!(refused, Err(NodeError::OtherNetwork)));
}

/// The refusal above leaves the store as it was: it opens again with its
/// own invite and reads its payment; as an open network it is refused.
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = pollster::test)]
async fn a_private_store_reopens_with_its_invite_only() {
    use trustfold::invite::Invite;
    let invite = Invite::new([7; 32], "coop").unwrap();
    let (node, _) = Node::open_in(MemoryStore::new(), Some(invite.clone()), None, || SECRET)
        .await
        .unwrap();
    node.publish(1, pay(key(2), 30, "EUR")).await.unwrap();
    let store = node.into_store();
    let (node, report) = Node::open_in(store, Some(invite), None, || SECRET)
        .await
        .unwrap();
    assert_eq!(report.events, 1);
    assert!(report.skipped.is_empty());
    {
        let replica = node.replica();
        assert_eq!(replica.view().balance(replica.log(), &key(2), "EUR"), 30);
    }
    let refused = Node::open(node.into_store(), || SECRET).await;
    assert!(matches!(refused, Err(NodeError::OtherNetwork)));
}

/// An opened node has room for more events than it read: the first event
/// made after an open does not move every entry of the log to a new array
/// (≈ 30 ms of a page's thread with a year of history, in the click that
/// paid; the log was reserved for exactly the stored events).
#[wasm_bindgen_test::wasm_bindgen_test(unsupported = pollster::test)]
async fn the_first_event_after_an_open_finds_room_in_the_log() {
    let (node, _) = Node::open(MemoryStore::new(), || SECRET).await.unwrap();
    for n in 1..=40 {
        node.publish(n, pay(key(2), n, "EUR")).await.unwrap();
    }
    let (reopened, _) = Node::open(node.into_store(), || SECRET).await.unwrap();
    let room = reopened.replica().log().capacity();
    assert!(room > 40, "room for more than the 40 events read: {room}");
    reopened.publish(41, pay(key(2), 41, "EUR")).await.unwrap();
    assert_eq!(reopened.replica().log().capacity(), room, "not moved");
}

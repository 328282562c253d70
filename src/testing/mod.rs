//! Conformance suites for the adapters (feature `testing`): what every
//! [`Store`], every [`Transport`] and a [`Node`](crate::Node) over any store
//! must do, as plain generic async functions.
//!
//! The bodies live here, once; each backend's test file calls a thin macro
//! ([`store_conformance_tests!`](crate::store_conformance_tests),
//! [`node_conformance_tests!`](crate::node_conformance_tests),
//! [`transport_conformance_tests!`](crate::transport_conformance_tests))
//! that only emits one `#[wasm_bindgen_test]` wrapper per body — run natively
//! through `pollster` and in the browser by `wasm-bindgen-test` — for a value
//! implementing [`Backend`] or [`LinkedPair`]. The memory adapters run them
//! in this crate's tests; IndexedDB and WebRTC in `trustfold-web`'s. (The
//! matrix-rust-sdk pattern: a new backend is one line per suite.)
//!
//! The test file needs `wasm-bindgen-test` and, natively, `pollster` (with
//! its `macro` feature) as dev-dependencies.

pub mod node;
pub mod store;
pub mod sync;
pub mod transport;
pub mod unload;

use crate::event::{Body, Identity, PublicKey, Transfer};
use crate::store::Store;
use crate::transport::Transport;

/// How a suite gets stores of one backend.
#[allow(async_fn_in_trait)]
pub trait Backend {
    /// The store type.
    type Store: Store;
    /// A fresh, empty store, independent of every other one.
    async fn fresh(&self) -> Self::Store;
    /// Two handles on one fresh store (two tabs of a browser).
    async fn shared(&self) -> (Self::Store, Self::Store);
}

/// How a suite gets two transports linked to each other.
#[allow(async_fn_in_trait)]
pub trait LinkedPair {
    /// The transport type.
    type Transport: Transport;
    /// `(a, b, b_at_a, a_at_b)`: two linked transports with the id each one
    /// has for the other (`a` knows `b` as `b_at_a`). Their `Up` events may
    /// already be queued.
    async fn linked(&self) -> (Self::Transport, Self::Transport, String, String);
}

/// The memory store as a [`Backend`].
pub struct MemoryBackend;

impl Backend for MemoryBackend {
    type Store = std::rc::Rc<crate::store::MemoryStore>;
    async fn fresh(&self) -> Self::Store {
        std::rc::Rc::new(crate::store::MemoryStore::new())
    }
    async fn shared(&self) -> (Self::Store, Self::Store) {
        let store = self.fresh().await;
        (store.clone(), store)
    }
}

/// The identity with secret `[n; 32]` (a deterministic test author).
pub fn id(n: u8) -> Identity {
    Identity::from_secret([n; 32])
}

/// The public key of [`id(n)`](id).
pub fn key(n: u8) -> PublicKey {
    id(n).public_key()
}

/// A transfer body without memo.
pub fn pay(to: PublicKey, amount: u64, unit: &str) -> Body {
    Body::Transfer(Transfer {
        to,
        amount,
        unit: unit.into(),
        memo: String::new(),
        reverses: None,
    })
}

/// Emits `mod $name` with one test per named body of `$suite`, each calling
/// the body with `&$backend`. The suites' own macros name their bodies.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_tests {
    ($name:ident, $backend:expr, $suite:ident, [$($test:ident),* $(,)?]) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            use wasm_bindgen_test::wasm_bindgen_test;
            $(
                #[wasm_bindgen_test(unsupported = pollster::test)]
                async fn $test() {
                    $crate::testing::$suite::$test(&$backend).await
                }
            )*
        }
    };
}

/// The store conformance suite ([`testing::store`](crate::testing::store))
/// for a [`Backend`](crate::testing::Backend) expression.
#[macro_export]
macro_rules! store_conformance_tests {
    ($name:ident, $backend:expr) => {
        $crate::__conformance_tests!(
            $name,
            $backend,
            store,
            [
                stored_events_load_back_byte_for_byte,
                storing_an_event_twice_keeps_one_copy,
                a_batch_of_ten_thousand_events_is_stored_whole,
                a_damaged_record_is_skipped_and_reported,
                events_and_metadata_written_together_read_back,
                what_one_handle_writes_the_other_reads,
                metadata_and_snapshots_are_kept_by_name,
            ]
        );
    };
}

/// The node conformance suite ([`testing::node`](crate::testing::node) and
/// [`testing::sync`](crate::testing::sync))
/// for a [`Backend`](crate::testing::Backend) expression.
#[macro_export]
macro_rules! node_conformance_tests {
    ($name:ident, $backend:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            $crate::__conformance_tests!(
                node,
                $backend,
                node,
                [
                    a_reopened_node_has_the_same_identity_policy_and_state,
                    bad_input_is_refused_with_a_typed_error_and_stores_nothing,
                    a_damaged_stored_event_is_skipped_and_reported_on_open,
                    two_nodes_sharing_a_store_never_fork_and_agree,
                    a_tab_that_missed_many_of_the_others_events_follows_them,
                    a_restored_identity_opens_only_where_it_belongs,
                    a_received_batch_keeps_the_good_and_refuses_the_bad,
                    snapshots_give_the_same_state_sooner,
                    a_snapshot_the_log_does_not_back_is_dropped,
                    a_long_history_loads_whole_whatever_the_stored_order,
                    typing_on_a_reopened_document_is_published_when_a_remote_change_arrives,
                ]
            );
            $crate::__conformance_tests!(
                sync,
                $backend,
                sync,
                [
                    events_and_edits_reach_every_node_along_a_line,
                    a_peer_sending_junk_is_dropped_and_nothing_of_it_is_stored,
                    nodes_that_meet_again_catch_up_in_one_round,
                    changes_no_peer_holds_are_counted_until_one_does,
                    a_damaged_record_of_sent_changes_is_reported_and_written_again,
                    another_tabs_change_counts_as_sent_once_a_peer_shows_it_has_it,
                    another_tabs_kept_confirmations_count_here_once_told,
                ]
            );
            $crate::__conformance_tests!(
                unload,
                $backend,
                unload,
                [
                    edits_kept_as_a_page_goes_away_are_written_at_the_next_open,
                    a_page_that_stays_writes_what_it_kept,
                    kept_edits_follow_what_another_tab_wrote_meanwhile,
                    kept_bytes_that_are_not_own_edits_are_refused,
                    two_tabs_closing_at_once_keep_one_chain,
                    kept_records_read_out_of_order_keep_one_chain,
                    the_same_kept_events_twice_are_written_once,
                ]
            );
        }
    };
}

/// The transport conformance suite
/// ([`testing::transport`](crate::testing::transport)) for a
/// [`LinkedPair`](crate::testing::LinkedPair) expression.
#[macro_export]
macro_rules! transport_conformance_tests {
    ($name:ident, $pair:expr) => {
        $crate::__conformance_tests!(
            $name,
            $pair,
            transport,
            [
                frames_arrive_whole_and_in_order_both_ways,
                a_closed_link_is_down_at_both_ends_and_refuses_frames,
                an_oversized_frame_is_refused_and_the_link_stays_up,
            ]
        );
    };
}

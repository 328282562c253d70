//! # trustfold
//!
//! A local-first data node without a blockchain. Every change is an
//! ed25519-signed, hash-linked [`Event`]; the state anyone sees is a fold over
//! the events they accept:
//!
//! ```text
//! state = reduce(all events − excluded events − events of banned authors)
//! ```
//!
//! Each observer has a [`Policy`] (whom they trust, whom they ban, how many
//! trusted authors must agree). Exclusions, disputes and bans published by
//! anyone change *my* [`View`] only if my policy trusts their authors. Views
//! with the same events and policy are identical, byte for byte, whatever
//! order the events arrived in.
//!
//! This crate's core is platform-free: no I/O, no clock, no randomness. The
//! caller passes bytes, time and keys in.
//!
//! ```
//! use trustfold::{Body, Identity, Policy, Replica, Statement, Transfer};
//!
//! let alice = Identity::from_secret([1; 32]);
//! let bob = Identity::from_secret([2; 32]);
//! let dora = Identity::from_secret([4; 32]);
//!
//! // Viewer: Bob's own node, trusting Dora.
//! let mut node = Replica::new(Policy::new(bob.public_key()).trusting(dora.public_key()));
//! let pay = node
//!     .publish(&alice, 0, Body::Transfer(Transfer {
//!         to: bob.public_key(), amount: 100, unit: "EUR".into(), memo: "repairs".into(), reverses: None,
//!     }))
//!     .unwrap();
//! assert_eq!(node.view().balance(node.log(), &bob.public_key(), "EUR"), 100);
//!
//! // Dora excludes the payment; Bob trusts Dora, so it no longer counts.
//! node.publish(&dora, 1, Body::Exclude(Statement { target: pay.id(), reason: "never done".into() }))
//!     .unwrap();
//! assert_eq!(node.view().balance(node.log(), &bob.public_key(), "EUR"), 0);
//! ```
//!
//! Modules: [`event`] (encoding, signing, validation), [`Log`] (the DAG),
//! [`Policy`], [`View`] (inclusion and the ledger), [`explain`] (debts,
//! explanations, comparisons), [`Replica`] (log + view).

pub mod amount;
pub mod backup;
mod digest;
pub mod doc;
mod encode;
mod error;
pub mod event;
pub mod explain;
pub mod invite;
mod ledger;
mod log;
mod network;
mod node;
mod policy;
pub mod relay;
mod replica;
pub mod signal;
pub mod snapshot;
pub mod store;
pub mod sync;
#[cfg(feature = "testing")]
pub mod testing;
pub mod transport;
mod view;

pub use digest::Digest;
pub use doc::{
    Collection, DocError, Field, MAX_NAME_BYTES, MAX_VALUE_BYTES, MAX_VERSIONS_REPLACED, Record,
    Scalar, Value, collection_id,
};
pub use error::Error;
pub use event::{
    Body, ContextError, DecodeError, DocId, Draft, Event, EventError, EventId, Identity, PublicKey,
    Statement, Transfer, TrustLevel, Void,
};
pub use explain::{
    Comparison, Contest, Debt, DebtSummary, Difference, Explanation, Movement, Status, Transaction,
    TransactionRef, Verdict, WithWhom,
};
pub use ledger::Ledger;
pub use log::{
    AccountIx, Entry, EventIx, ForkProof, Insertion, Log, LogError, Parties, UnitIx, causal_order,
    in_causal_order,
};
pub use network::{Admitted, Network, PrivateNetwork};
pub use node::{
    Adopted, DEFAULT_SIBLING_BACKLOG, DROPPED_KEPT, DroppedPeer, DroppedPeers, FromPeer,
    MAX_SIBLING_BACKLOG, Node, NodeError, OFF_THREAD_MIN, OffThread, OpenReport, PeerError,
    Received, SiblingBacklog, SiblingNext, StoredTaken, send_all,
};
pub use policy::{Authorities, BanReason, ForkHandling, Policy, PublishedPolicy};
pub use replica::{Batching, EditOfRecord, RecordEdit, Replica, ReversalError};
pub use view::{View, ViewKey};

//! Checking a batch's signatures: the costly part of ingesting it, and the
//! only part that needs no order, so a server checks a batch on every core
//! while the core (which starts no threads) checks it in turn.

use crate::event::validate::verify_signature;
use crate::event::{Event, EventError};

/// Checks the signatures of a batch of events.
pub trait Verifier: Send + Sync {
    /// Each event's verdict, in order: what
    /// [`verify_signature`] says of it.
    fn verify(&self, events: &[Event]) -> Vec<Result<(), EventError>>;
}

/// One event after another, on the calling thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct InTurn;

impl Verifier for InTurn {
    fn verify(&self, events: &[Event]) -> Vec<Result<(), EventError>> {
        events.iter().map(verify_signature).collect()
    }
}

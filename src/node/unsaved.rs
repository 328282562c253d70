//! Own document events signed and not written yet, and keeping them when
//! the page goes away.
//!
//! Edits wait in their documents until the batching commits them (up to a
//! second of quiet, five seconds of typing), and a write to the store takes
//! a few turns of the event loop. A page that is closed or reloaded meanwhile
//! gets no more turns: whatever was not written is gone, the last words
//! someone typed. So a page going away signs what is pending, at once and
//! without waiting for anything ([`Node::sign_for_unload`]), and keeps the
//! signed bytes where the platform writes synchronously (a browser's
//! `localStorage`); the next open hands them back ([`Node::adopt_unsaved`]),
//! and they are written like any unsaved event: as signed if the own chain
//! is where they left it, signed again after it if another tab wrote
//! meanwhile, left out if their changes are written already. Nothing is
//! stored before it passes the same checks as any event of the chain.

use super::{Node, NodeError};
use crate::error::Error;
use crate::event::{Body, Event, EventId};
use crate::replica::Carriers;
use crate::store::Store;
use rustc_hash::FxHashMap;

/// Which events [`Node::prepared`] checks against the log before they
/// are written.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Check {
    /// Every one: events from elsewhere (kept by a page as it went).
    All,
    /// Only those it signs again: the rest were signed by this node, or
    /// taken in and checked.
    SignedAgain,
}

/// What [`Node::adopt_unsaved`] did with events kept at a page's unload.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Adopted {
    /// Taken in, to be written by the next commit.
    pub adopted: usize,
    /// Left out: written already (the page's write finished after all, or
    /// another tab took them in first).
    pub written: usize,
    /// Refused, with why: bytes that are not a valid own document event
    /// (damaged, or another identity's), or that no longer fit the chain.
    pub refused: Vec<String>,
}

impl<S: Store> Node<S> {
    /// Own events signed and not written yet (a write under way or failed,
    /// or signed at an unload).
    pub fn unsaved(&self) -> usize {
        self.unsaved.borrow().len()
    }

    /// Signs the pending edits now, without waiting for the store or the
    /// writer's turn, and returns every own event not written yet, oldest
    /// first: for a page that is going away to keep synchronously, and for
    /// [`adopt_unsaved`](Self::adopt_unsaved) to hand back at the next
    /// open. If the page stays after all, the next commit writes them.
    pub fn sign_for_unload(&self, time: u64) -> Result<Vec<Event>, NodeError> {
        let mut unsaved = self.unsaved.borrow_mut();
        let signed = self
            .replica
            .borrow_mut()
            .sign_commit_after(&self.identity, time, &unsaved)?;
        unsaved.extend(signed);
        Ok(unsaved.clone())
    }

    /// Takes in events a page kept as it went away
    /// ([`sign_for_unload`](Self::sign_for_unload)), oldest first: each
    /// must be a valid document event of this identity and network. Those
    /// whose changes are written already are left out; the rest are
    /// written by the next [`commit`](Self::commit), before anything else.
    /// A refused event leaves out the events after it (they follow it).
    pub fn adopt_unsaved(&self, kept: &[Vec<u8>]) -> Adopted {
        let mut adopted = Adopted::default();
        let mut taken: Vec<Event> = Vec::new();
        // Changes waiting already (this node's own unsaved events, or an
        // earlier record holding the same events): taken in once. Each
        // was decoded when it was signed or taken in.
        let mut waiting = Carriers::default();
        for event in self.unsaved.borrow().iter() {
            if let Err(e) = waiting.add(event) {
                adopted
                    .refused
                    .push(format!("an event waiting here does not decode: {e}"));
                return adopted;
            }
        }
        for (i, bytes) in kept.iter().enumerate() {
            let event = self.adoptable(bytes).and_then(|event| match event {
                Some(event) => match waiting.add(&event) {
                    Ok(true) => Ok(Some(event)),
                    Ok(false) => Ok(None),
                    Err(e) => Err(e.to_string()),
                },
                None => Ok(None),
            });
            match event {
                Ok(Some(event)) => taken.push(event),
                Ok(None) => adopted.written += 1,
                Err(why) => {
                    adopted.refused.push(why);
                    if kept.len() > i + 1 {
                        adopted.refused.push(format!(
                            "{} events kept after it were left out",
                            kept.len() - i - 1
                        ));
                    }
                    break;
                }
            }
        }
        if taken.is_empty() {
            return adopted;
        }
        // Checked as they will be written: against the chain as it is now.
        let mut unsaved = self.unsaved.borrow_mut();
        let mut candidate = unsaved.clone();
        candidate.extend(taken.iter().cloned());
        match self.prepared(&candidate, Check::All) {
            Ok(_) => {
                adopted.adopted = taken.len();
                *unsaved = candidate;
            }
            Err(e) => adopted.refused.push(format!(
                "{} kept events do not fit the chain: {e}",
                taken.len()
            )),
        }
        adopted
    }

    /// A kept event if it is a valid own document event not written yet;
    /// `None` if its change is written already.
    fn adoptable(&self, bytes: &[u8]) -> Result<Option<Event>, String> {
        let replica = self.replica.borrow();
        let event = Event::from_bytes(bytes)
            .and_then(|event| replica.admit(event))
            .map_err(|e| format!("not a valid event: {e}"))?;
        if event.author() != self.identity.public_key() {
            return Err("signed by another identity".into());
        }
        if !matches!(event.body(), Body::Doc { .. }) {
            return Err("not a document edit".into());
        }
        if replica.log().contains(&event.id())
            || !replica
                .none_carried(std::slice::from_ref(&event))
                .map_err(|e| e.to_string())?
        {
            return Ok(None);
        }
        Ok(Some(event))
    }

    /// `unsaved` as it is to be written now: as signed if it follows the
    /// own chain and none of its changes is written, else signed again
    /// after the chain. Events signed again are checked against the log
    /// and the events before them, and so are all with [`Check::All`].
    fn prepared(&self, unsaved: &[Event], check: Check) -> Result<Vec<Event>, Error> {
        if unsaved.is_empty() {
            return Ok(Vec::new());
        }
        let replica = self.replica.borrow();
        let me = self.identity.public_key();
        let next = replica.log().last_by(&me).map_or(1, |e| e.seq() + 1);
        let current = unsaved[0].seq() == next
            && unsaved[0]
                .parents()
                .iter()
                .all(|p| replica.log().contains(p))
            && replica.none_carried(unsaved)?
            // One unbroken chain: records kept by two tabs, or read in
            // another order, are not (each would fork the chain).
            && unsaved
                .windows(2)
                .all(|w| w[1].seq() == w[0].seq() + 1 && w[1].parents().contains(&w[0].id()));
        let events = if current {
            unsaved.to_vec()
        } else {
            replica.sign_again(&self.identity, unsaved)?
        };
        if current && check == Check::SignedAgain {
            return Ok(events);
        }
        let mut earlier: FxHashMap<EventId, Event> = FxHashMap::default();
        for event in &events {
            replica.log().check_after(event, &earlier)?;
            earlier.insert(event.id(), event.clone());
        }
        Ok(events)
    }

    /// Writes and applies the own events not written yet (signed again
    /// first if the own chain moved meanwhile: another tab wrote). Returns
    /// them. The caller holds the writer.
    pub(super) async fn write_unsaved(&self) -> Result<Vec<Event>, NodeError> {
        let mut written = Vec::new();
        // A page going away may sign more while a write waits for the
        // store: written in turn.
        loop {
            let taken = self.unsaved.borrow().len();
            if taken == 0 {
                return Ok(written);
            }
            // Unsaved events were checked as they were signed here or
            // taken in, against a chain that only grew since: only those
            // signed again now are checked (a commit's path: typing).
            let events = self.prepared(&self.unsaved.borrow(), Check::SignedAgain)?;
            if !events.is_empty() {
                self.save(&events).await?;
            }
            self.unsaved.borrow_mut().drain(..taken);
            let mut replica = self.replica.borrow_mut();
            for event in &events {
                replica.insert(event.clone()).map_err(Error::from)?;
            }
            written.extend(events);
        }
    }
}

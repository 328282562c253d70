//! Shared by the hostile-peer tests: a peer that makes up its own frames
//! with real framing and its own numbering, and the events it signs.
#![allow(dead_code)]

use super::{key, pay};
use trustfold::store::MemoryStore;
use trustfold::sync::{Framer, Message};
use trustfold::{Draft, Event, EventId, Identity, Node};

/// A payment by `who` with this seq and these parents (sorted, as valid
/// events have them).
pub fn sign(who: &Identity, seq: u64, parents: Vec<EventId>, time: u64) -> Event {
    let mut parents = parents;
    parents.sort();
    parents.dedup();
    who.sign(Draft {
        seq,
        parents,
        time,
        body: pay(key(9), 1, "EUR"),
    })
}

/// A node on a memory store, its identity from one byte.
pub async fn open(n: u8) -> Node<MemoryStore> {
    Node::open(MemoryStore::new(), || [n; 32]).await.unwrap().0
}

/// An attacker's frames: real framing, its own numbering.
pub struct Attacker {
    pub framer: Framer,
    pub seq: u32,
}

impl Attacker {
    pub fn new() -> Attacker {
        Attacker {
            framer: Framer::default(),
            seq: 0,
        }
    }

    /// One `Events` message carrying `events`.
    pub fn events<'a>(&mut self, events: impl IntoIterator<Item = &'a Event>) -> Vec<Vec<u8>> {
        self.seq += 1;
        let bytes = events
            .into_iter()
            .flat_map(|e| e.bytes().to_vec())
            .collect();
        self.framer.encode(&Message::Events {
            seq: self.seq,
            events: bytes,
        })
    }

    /// Any message.
    pub fn say(&mut self, message: &Message) -> Vec<Vec<u8>> {
        self.framer.encode(message)
    }
}

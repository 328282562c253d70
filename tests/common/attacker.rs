//! Shared by the hostile-peer tests: a peer that makes up its own frames
//! with real framing and its own numbering, and the events it signs —
//! clear, or sealed for a private network.
#![allow(dead_code)]

use super::{key, pay};
use trustfold::invite::{NONCE_LEN, NetworkKeys};
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

/// `draft` signed by `who`: clear if `keys` is `None`, else sealed for the
/// network of `keys` under `tag` (the author's own tag if `None`). The
/// nonce is made of the seq, the time and the author, unique per event of
/// a test.
pub fn sign_in(
    keys: Option<&NetworkKeys>,
    who: &Identity,
    draft: Draft,
    tag: Option<[u8; 64]>,
) -> Event {
    let Some(keys) = keys else {
        return who.sign(draft);
    };
    let mut nonce = [0u8; NONCE_LEN];
    nonce[..8].copy_from_slice(&draft.seq.to_le_bytes());
    nonce[8..16].copy_from_slice(&draft.time.to_le_bytes());
    nonce[16..].copy_from_slice(&who.public_key().0[..8]);
    let tag = tag.unwrap_or_else(|| keys.admit(&who.public_key()));
    who.seal(draft, keys, &tag, &nonce)
}

/// [`sign`], sealed for the network of `keys` if it is `Some`.
pub fn payment_in(
    keys: Option<&NetworkKeys>,
    who: &Identity,
    seq: u64,
    mut parents: Vec<EventId>,
    time: u64,
) -> Event {
    parents.sort();
    parents.dedup();
    let draft = Draft {
        seq,
        parents,
        time,
        body: pay(key(9), 1, "EUR"),
    };
    sign_in(keys, who, draft, None)
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

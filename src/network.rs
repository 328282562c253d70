//! The network a node belongs to: open (bodies in clear, the room is the
//! name) or private (bodies sealed, admission checked, the room is the
//! network's identity). The one place that turns verified events into what
//! this network lets them say, and drafts into events of this network.

use crate::event::{Draft, Event, EventError, Identity, PublicKey};
use crate::invite::{Invite, NONCE_LEN, NetworkKeys, admitted};
use rustc_hash::FxHashMap;
use std::cell::{Cell, RefCell};

/// Authors whose admission tag was checked, with the tag, kept so that a
/// tag costs one signature check per author rather than per event. An
/// event is admitted from the cache only if it carries the very tag that
/// was checked: an admitted author's event with any other tag is checked
/// again, so the verdict never depends on what a node met first. Only good
/// tags are kept (a bad one is the sender's fault and drops it), so only
/// members can grow this; past the bound it starts again, which costs
/// time, not correctness.
const ADMITTED_CACHE: usize = 65_536;

/// See the [module docs](self).
pub enum Network {
    /// Anyone who knows the name reads everything: events are clear
    /// (format versions 1 and 2), sealed events are refused.
    Open,
    /// Only holders of the invite read or join: see [`PrivateNetwork`].
    Private(Box<PrivateNetwork>),
}

/// A private network's keys and what a node keeps for them.
pub struct PrivateNetwork {
    invite: Invite,
    keys: NetworkKeys,
    /// Authors with a checked admission tag, and the tag.
    admitted: RefCell<FxHashMap<PublicKey, [u8; 64]>>,
    /// The tag of this node's own identity, made once.
    own_tag: RefCell<Option<(PublicKey, [u8; 64])>>,
    /// Nonces: keyed BLAKE3 of a counter under a random key from the
    /// caller, so every sealed body gets fresh unpredictable bytes without
    /// the core drawing randomness.
    nonce_key: [u8; 32],
    nonce_count: Cell<u64>,
}

impl Network {
    /// The private network of `invite`; `nonce_key` must be fresh random
    /// bytes (every node instance draws its own).
    pub fn private(invite: Invite, nonce_key: [u8; 32]) -> Network {
        Network::Private(Box::new(PrivateNetwork {
            keys: invite.keys(),
            invite,
            admitted: RefCell::default(),
            own_tag: RefCell::default(),
            nonce_key,
            nonce_count: Cell::new(0),
        }))
    }

    /// The private network's invite, if this is one.
    pub fn invite(&self) -> Option<&Invite> {
        match self {
            Network::Open => None,
            Network::Private(private) => Some(&private.invite),
        }
    }

    /// The private network's keys, if this is one.
    pub fn keys(&self) -> Option<&NetworkKeys> {
        match self {
            Network::Open => None,
            Network::Private(private) => Some(&private.keys),
        }
    }

    /// A verified event (from [`Event::from_bytes`]) as this network reads
    /// it. In an open network a sealed event is refused
    /// ([`EventError::SealedInOpenNetwork`]). In a private one a clear
    /// event, or a sealed one whose admission tag is not the network's
    /// signature of its author, is refused ([`EventError::NotAdmitted`]);
    /// an admitted event is opened: it says what its body says, or it is
    /// void (never refused for its body, see [`crate::event::sealed`]).
    pub fn admit(&self, event: Event) -> Result<Event, EventError> {
        match self {
            Network::Open if event.is_sealed() => Err(EventError::SealedInOpenNetwork),
            Network::Open => Ok(event),
            Network::Private(private) => {
                let tag = event.admission().ok_or(EventError::NotAdmitted)?;
                let author = event.author();
                if private.admitted.borrow().get(&author) != Some(tag) {
                    if !admitted(&private.keys.network(), &author, tag) {
                        return Err(EventError::NotAdmitted);
                    }
                    let mut cache = private.admitted.borrow_mut();
                    if cache.len() >= ADMITTED_CACHE {
                        cache.clear();
                    }
                    cache.insert(author, *tag);
                }
                Ok(event.opened(&private.keys))
            }
        }
    }

    /// Signs `draft` as an event of this network: clear in an open
    /// network, sealed with a fresh nonce and `identity`'s admission tag in
    /// a private one.
    pub fn sign(&self, identity: &Identity, draft: Draft) -> Event {
        match self {
            Network::Open => identity.sign(draft),
            Network::Private(private) => {
                let me = identity.public_key();
                let tag = {
                    let mut own = private.own_tag.borrow_mut();
                    match *own {
                        Some((key, tag)) if key == me => tag,
                        _ => {
                            let tag = private.keys.admit(&me);
                            *own = Some((me, tag));
                            tag
                        }
                    }
                };
                let count = private.nonce_count.get();
                private.nonce_count.set(count + 1);
                let mut nonce = [0u8; NONCE_LEN];
                blake3::Hasher::new_keyed(&private.nonce_key)
                    .update(&count.to_le_bytes())
                    .finalize_xof()
                    .fill(&mut nonce);
                identity.seal(draft, &private.keys, &tag, &nonce)
            }
        }
    }
}

impl std::fmt::Debug for Network {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Network::Open => f.write_str("Network::Open"),
            Network::Private(private) => write!(f, "Network::Private({:?})", private.invite),
        }
    }
}

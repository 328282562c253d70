//! Links in memory: for tests and simulations.

use super::{Transport, TransportError, TransportEvent};
use crate::event::PublicKey;
use crate::sync::MAX_FRAME;
use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures_util::StreamExt;
use futures_util::lock::Mutex;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

#[derive(Default)]
struct Shared {
    inboxes: BTreeMap<String, UnboundedSender<TransportEvent>>,
    links: BTreeSet<(String, String)>,
    keys: BTreeMap<String, PublicKey>,
}

fn pair(a: &str, b: &str) -> (String, String) {
    if a < b {
        (a.to_owned(), b.to_owned())
    } else {
        (b.to_owned(), a.to_owned())
    }
}

impl Shared {
    fn tell(&self, who: &str, event: TransportEvent) {
        if let Some(inbox) = self.inboxes.get(who) {
            let _ = inbox.unbounded_send(event);
        }
    }
}

/// A network of named endpoints whose links the test brings up and down.
#[derive(Clone, Default)]
pub struct MemoryNetwork {
    shared: Rc<RefCell<Shared>>,
}

impl MemoryNetwork {
    /// An empty network.
    pub fn new() -> MemoryNetwork {
        MemoryNetwork::default()
    }

    /// The endpoint named `name` (its peers know it by that name).
    pub fn endpoint(&self, name: &str) -> MemoryTransport {
        let (tx, rx) = unbounded();
        self.shared.borrow_mut().inboxes.insert(name.to_owned(), tx);
        MemoryTransport {
            name: name.to_owned(),
            shared: self.shared.clone(),
            inbox: Mutex::new(rx),
        }
    }

    /// Says that the endpoint `name` holds `key` (its peers then see it
    /// through [`Transport::peer_key`], as a WebRTC peer's signed
    /// description proves it).
    pub fn set_key(&self, name: &str, key: PublicKey) {
        self.shared.borrow_mut().keys.insert(name.to_owned(), key);
    }

    /// Brings a link up: both ends hear `Up`.
    pub fn link(&self, a: &str, b: &str) {
        let mut shared = self.shared.borrow_mut();
        if shared.links.insert(pair(a, b)) {
            shared.tell(a, TransportEvent::Up(b.to_owned()));
            shared.tell(b, TransportEvent::Up(a.to_owned()));
        }
    }

    /// Takes a link down: both ends hear `Down`.
    pub fn cut(&self, a: &str, b: &str) {
        let mut shared = self.shared.borrow_mut();
        if shared.links.remove(&pair(a, b)) {
            shared.tell(a, TransportEvent::Down(b.to_owned()));
            shared.tell(b, TransportEvent::Down(a.to_owned()));
        }
    }

    /// Shuts the network down: every endpoint's `next` ends.
    pub fn shut_down(&self) {
        let mut shared = self.shared.borrow_mut();
        shared.inboxes.clear();
        shared.links.clear();
    }
}

/// One endpoint of a [`MemoryNetwork`].
pub struct MemoryTransport {
    name: String,
    shared: Rc<RefCell<Shared>>,
    inbox: Mutex<UnboundedReceiver<TransportEvent>>,
}

impl Transport for MemoryTransport {
    async fn send(&self, peer: &str, frame: Vec<u8>) -> Result<(), TransportError> {
        if frame.len() > MAX_FRAME {
            return Err(TransportError::TooLarge(frame.len()));
        }
        let shared = self.shared.borrow();
        if !shared.links.contains(&pair(&self.name, peer)) {
            return Err(TransportError::NotConnected(peer.to_owned()));
        }
        shared.tell(peer, TransportEvent::Frame(self.name.clone(), frame));
        Ok(())
    }

    async fn next(&self) -> Option<TransportEvent> {
        self.inbox.lock().await.next().await
    }

    fn peer_key(&self, peer: &str) -> Option<PublicKey> {
        self.shared.borrow().keys.get(peer).copied()
    }

    fn close(&self, peer: &str) {
        MemoryNetwork {
            shared: self.shared.clone(),
        }
        .cut(&self.name, peer);
    }
}

//! Two transports as one: a node drives the WebRTC links and the relay link
//! with one [`Node::sync_over`](crate::Node::sync_over), so the one `Peers`
//! forwards what arrives on either to every session on both.
//!
//! **Routing.** A peer id belongs to the side that reported it `Up`, until
//! that side reports it `Down`; `send`, `close` and `peer_key` go to that
//! side. An id whose `Up` the pair has not passed on yet (still queued)
//! is tried on the first side, then the second, so a link is usable as
//! soon as a side has it, as for any transport. **Ids must not collide
//! across the sides** (WebRTC names peers by decimal connection ids, the
//! relay link is `"relay"`): an `Up` for an id that is live on the other
//! side is refused — that link is closed on its own side and never
//! reported, and its frames and `Down` are dropped — so a peer never has
//! two sessions under one name.
//!
//! **Ending.** [`next`](Transport::next) waits on both sides at once and
//! takes turns when both have something, so neither starves the other.
//! When one side shuts down (its `next` gives `None`) the peers live on it
//! are reported `Down` and the pair carries on with the other; `next`
//! gives `None` once both have shut down. Racing the two sides drops the
//! loser's `next` future: each side's `next` must be cancel-safe, as the
//! [`Transport`] trait requires.

use super::{Transport, TransportError, TransportEvent};
use crate::event::PublicKey;
use futures_util::future::{Either, select};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, VecDeque};
use std::pin::pin;

/// Which of the two transports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Side {
    First,
    Second,
}

/// Two transports as one. See the [module docs](self).
pub struct Pair<A, B> {
    first: A,
    second: B,
    /// The side each live peer id is on.
    routes: RefCell<BTreeMap<String, Side>>,
    first_done: Cell<bool>,
    second_done: Cell<bool>,
    /// Whose event is taken first when both have one.
    second_first: Cell<bool>,
    /// `Down`s owed for the peers of a side that shut down.
    owed: RefCell<VecDeque<TransportEvent>>,
}

impl<A: Transport, B: Transport> Pair<A, B> {
    /// `first` and `second` as one transport (their peer ids must not collide).
    pub fn new(first: A, second: B) -> Pair<A, B> {
        Pair {
            first,
            second,
            routes: RefCell::new(BTreeMap::new()),
            first_done: Cell::new(false),
            second_done: Cell::new(false),
            second_first: Cell::new(false),
            owed: RefCell::new(VecDeque::new()),
        }
    }

    /// The first transport.
    pub fn first(&self) -> &A {
        &self.first
    }

    /// The second transport.
    pub fn second(&self) -> &B {
        &self.second
    }

    fn route(&self, peer: &str) -> Option<Side> {
        self.routes.borrow().get(peer).copied()
    }

    /// The next event of either side that is not still open, with its
    /// side; `None` when a side shut down (it is then marked done) or both
    /// had already.
    async fn next_of_either(&self) -> Option<(Side, Option<TransportEvent>)> {
        let tagged = |side: Side| move |event| (side, event);
        match (self.first_done.get(), self.second_done.get()) {
            (true, true) => None,
            (false, true) => Some(tagged(Side::First)(self.first.next().await)),
            (true, false) => Some(tagged(Side::Second)(self.second.next().await)),
            (false, false) => {
                let first = pin!(self.first.next());
                let second = pin!(self.second.next());
                // Take turns: a side that always has something queued
                // must not starve the other.
                let second_first = self.second_first.replace(!self.second_first.get());
                Some(if second_first {
                    match select(second, first).await {
                        Either::Left((event, _)) => (Side::Second, event),
                        Either::Right((event, _)) => (Side::First, event),
                    }
                } else {
                    match select(first, second).await {
                        Either::Left((event, _)) => (Side::First, event),
                        Either::Right((event, _)) => (Side::Second, event),
                    }
                })
            }
        }
    }

    /// A side shut down: it is done, and its live peers are owed a `Down`.
    fn ended(&self, side: Side) {
        match side {
            Side::First => self.first_done.set(true),
            Side::Second => self.second_done.set(true),
        }
        let mut routes = self.routes.borrow_mut();
        let gone: Vec<String> = routes
            .iter()
            .filter(|(_, s)| **s == side)
            .map(|(peer, _)| peer.clone())
            .collect();
        let mut owed = self.owed.borrow_mut();
        for peer in gone {
            routes.remove(&peer);
            owed.push_back(TransportEvent::Down(peer));
        }
    }

    fn close_on(&self, side: Side, peer: &str) {
        match side {
            Side::First => self.first.close(peer),
            Side::Second => self.second.close(peer),
        }
    }

    /// What `event` from `side` is for the node, if anything.
    fn admit(&self, side: Side, event: TransportEvent) -> Option<TransportEvent> {
        let route = match &event {
            TransportEvent::Up(peer)
            | TransportEvent::Down(peer)
            | TransportEvent::Frame(peer, _)
            | TransportEvent::Dropped { peer, .. } => self.route(peer),
        };
        match event {
            TransportEvent::Up(peer) => match route {
                Some(other) if other != side => {
                    // A colliding id: refused on its own side.
                    self.close_on(side, &peer);
                    None
                }
                _ => {
                    self.routes.borrow_mut().insert(peer.clone(), side);
                    Some(TransportEvent::Up(peer))
                }
            },
            TransportEvent::Down(peer) => (route == Some(side)).then(|| {
                self.routes.borrow_mut().remove(&peer);
                TransportEvent::Down(peer)
            }),
            frame @ TransportEvent::Frame(..) => (route == Some(side)).then_some(frame),
            // Told unless the id lives on the other side (a colliding id
            // refused there): the node records why it went.
            dropped @ TransportEvent::Dropped { .. } => {
                (route.is_none() || route == Some(side)).then_some(dropped)
            }
        }
    }
}

impl<A: Transport, B: Transport> Transport for Pair<A, B> {
    async fn send(&self, peer: &str, frame: Vec<u8>) -> Result<(), TransportError> {
        match self.route(peer) {
            Some(Side::First) => self.first.send(peer, frame).await,
            Some(Side::Second) => self.second.send(peer, frame).await,
            // Not passed on yet: whichever side has it (a frame refused
            // as not connected is not sent, so it can be tried again).
            None => match self.first.send(peer, frame.clone()).await {
                Err(TransportError::NotConnected(_)) => self.second.send(peer, frame).await,
                sent => sent,
            },
        }
    }

    async fn next(&self) -> Option<TransportEvent> {
        loop {
            // Cancel-safe: every state change below happens between the
            // sides' answers and the return, with no await in between.
            if let Some(down) = self.owed.borrow_mut().pop_front() {
                return Some(down);
            }
            let (side, event) = self.next_of_either().await?;
            match event {
                None => self.ended(side),
                Some(event) => {
                    if let Some(event) = self.admit(side, event) {
                        return Some(event);
                    }
                }
            }
        }
    }

    fn close(&self, peer: &str) {
        match self.route(peer) {
            Some(side) => self.close_on(side, peer),
            // Not passed on yet: closed wherever it is up (closing a peer
            // a side does not have does nothing).
            None => {
                self.first.close(peer);
                self.second.close(peer);
            }
        }
    }

    fn peer_key(&self, peer: &str) -> Option<PublicKey> {
        match self.route(peer) {
            Some(Side::First) => self.first.peer_key(peer),
            Some(Side::Second) => self.second.peer_key(peer),
            None => self
                .first
                .peer_key(peer)
                .or_else(|| self.second.peer_key(peer)),
        }
    }
}

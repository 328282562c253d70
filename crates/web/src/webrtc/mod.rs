//! The WebRTC transport: data channels to the other members of a room,
//! opened through the signalling server (the `trustfold-server` crate).
//!
//! Which members a page links to is [`Membership`]'s to say: the page
//! keeps at most its link limit ([`MeshLimits::links`], 6 by default),
//! offers links itself until it holds half of them, from the members the
//! server introduced (a sample of the room, never all of it), and answers
//! others' offers while below the limit. A link that fails frees a place
//! that is offered to another member known; so does a member the server
//! says left, once its connection stops answering (the server's word
//! alone cuts no link). Offers and answers are signed by the identity key
//! ([`SignedDescription`]) over a nonce the recipient drew: before offering,
//! the newcomer asks the member for a nonce (`ask` → `nonce`), and sends
//! one of its own with the offer (`reply`) for the answer. A link whose
//! description does not verify, or does not cover an unused nonce its
//! recipient issued ([`Nonces`]), is never opened, so the server can
//! neither stand in for anyone nor replay a description, not even after
//! a restart that hands out the same connection ids again. Each link is one
//! reliable, ordered data channel; sending never waits (`crate::outbox`):
//! a peer whose outbox passes [`DEFAULT_SEND_BACKLOG`] is given up. Frames
//! received from a peer and not yet taken by [`next`](Transport::next) are
//! at most [`MAX_QUEUED`](crate::MAX_QUEUED) bytes per link (an honest
//! peer stays within the sync protocol's 4 MiB window) and
//! [`all_links_backlog`] on all links ([`set_backlog`](WebRtc::set_backlog));
//! a peer that sends more, or a frame over [`MAX_FRAME`], is dropped (told
//! as [`TransportEvent::Dropped`], with why), and, unless only all links
//! together held too much, its signals are ignored from then on. When a link fails or closes, the page
//! offers a link to a member it knows (the same one, if it is still the
//! only one) after a backoff (1 s, doubling per member, at most 30 s); an
//! offer not open within [`OFFER_TIMEOUT_MS`] is given up and another
//! member is tried.
//!
//! Peers are named by their connection id in the room (a decimal string);
//! [`WebRtc::key_of`] gives the identity key that signed their description.
//!
//! Longer than most files here: the transport and the plumbing of each
//! link (the peer connection's and the channel's callbacks) share `Inner`
//! and `Link`. Which links to keep, offer, answer and restart is in
//! `mesh.rs`; the signed handshake in `negotiation.rs`.

use crate::errors::WebError;
use crate::outbox::{DEFAULT_SEND_BACKLOG, Drained, Outbox};
use crate::random::KeyedStream;
use crate::relay::MAX_QUEUED;
use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures_util::StreamExt;
use futures_util::lock::Mutex;
use js_sys::{Array, JSON, Reflect, Uint8Array};
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::{Rc, Weak};
use trustfold::event::{Identity, PublicKey};
use trustfold::invite::NetworkKeys;
use trustfold::signal::{FromServer, Nonce, Nonces, PeerSignal, ToServer};
use trustfold::sync::{
    Allowance, ConnectionBudget, DEFAULT_WINDOW, MAX_FRAME, Membership, MeshLimits, Promises,
};
use trustfold::transport::{Transport, TransportError, TransportEvent};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    MessageEvent, RtcConfiguration, RtcDataChannel, RtcDataChannelEvent, RtcDataChannelState,
    RtcDataChannelType, RtcIceConnectionState, RtcPeerConnection, RtcPeerConnectionIceEvent,
    WebSocket,
};

/// Bytes of frames received on all links and not yet taken in, at most,
/// for links that each hold at most `per_link`, and at most `links` of
/// them: 4 times one link's, and at least twice the sync window for every
/// link, so honest peers all catching up at once fit (six honest links
/// stay within 24 MiB). Past it, the link whose frame would go over is
/// dropped (not banned: it may be honest, when flooding links hold most).
pub fn all_links_backlog(per_link: usize, links: usize) -> usize {
    (4 * per_link).max(links * 2 * DEFAULT_WINDOW)
}
/// Peers closed for good (sent something invalid, or flooded) whose
/// signals are ignored: the latest this many.
const MAX_CLOSED: usize = 256;

/// The peers closed for good, the latest [`MAX_CLOSED`]: a connection id
/// is a new peer, so one who closes and comes back with another id is
/// bounded by the connection budget, not by this list.
#[derive(Default)]
struct ClosedPeers(VecDeque<u64>);

impl ClosedPeers {
    /// Remembers `id`, forgetting the oldest past [`MAX_CLOSED`].
    fn close(&mut self, id: u64) {
        if self.0.len() >= MAX_CLOSED {
            self.0.pop_front();
        }
        self.0.push_back(id);
    }

    /// Whether `id` was closed for good (among the latest).
    fn contains(&self, id: &u64) -> bool {
        self.0.contains(id)
    }
}
/// Bytes buffered in a channel below which its outbox is sent on (the
/// `bufferedamountlow` event's threshold; frames wait above `HIGH_WATER`).
const LOW_WATER: u32 = 4 * 1024 * 1024;
const MAX_BACKOFF_MS: f64 = 30_000.0;

mod mesh;
mod negotiation;

use mesh::{BUSY_SAID_MS, HOUR_MS, MAX_PROMISED, MAX_RESTARTS_PER_HOUR, per_member};

pub use mesh::{
    DEFAULT_CONNECTION_BUDGET, MAX_ANSWERS_PER_MEMBER_HOUR, MAX_OFFERS_PER_MEMBER_HOUR,
    OFFER_TIMEOUT_MS,
};

/// Waits `ms` milliseconds (the browser's `setTimeout`).
async fn wait(ms: f64) {
    let sleep = js_sys::Promise::new(&mut |wake, _| {
        let set_timeout = Reflect::get(&js_sys::global(), &"setTimeout".into())
            .ok()
            .and_then(|f| f.dyn_into::<js_sys::Function>().ok());
        if let Some(set_timeout) = set_timeout {
            let _ = set_timeout.call2(&JsValue::NULL, &wake, &JsValue::from(ms));
        }
    });
    let _ = JsFuture::from(sleep).await;
}

/// Members of a room this side keeps track of, at most (the server's
/// default is 1,024 a room); announcements beyond are ignored.
pub(super) const MAX_MEMBERS: usize = 4096;

/// The longest signalling message read: the server relays at most 64 KiB
/// (an offer's SDP is a few kB).
const MAX_SIGNAL_TEXT: usize = 64 * 1024;
/// The deepest nesting of a signalling message read (they nest 3 deep).
const MAX_SIGNAL_NESTING: usize = 8;

/// Whether JSON `text` nests arrays and objects at most `max` deep
/// (brackets inside strings do not count).
pub(crate) fn nesting_within(text: &str, max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for byte in text.bytes() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => {
                depth += 1;
                if depth > max {
                    return false;
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    true
}

fn get(value: &JsValue, field: &str) -> JsValue {
    Reflect::get(value, &field.into()).unwrap_or(JsValue::UNDEFINED)
}

/// A connection given up at one end and held open there, unused
/// ([`WebRtc::give_up_quietly`]); dropping it closes it.
pub struct HeldConnection {
    _link: Rc<Link>,
}

/// Callbacks the browser holds (kept alive as long as their owner).
type Callbacks = RefCell<Vec<Closure<dyn FnMut(JsValue)>>>;

struct Link {
    pc: RtcPeerConnection,
    channel: RefCell<Option<RtcDataChannel>>,
    /// The key that signed the peer's description, once verified.
    key: Cell<Option<PublicKey>>,
    /// The certificate fingerprint of the peer's description, once set:
    /// an offer or answer naming another is for another connection.
    remote_fingerprint: RefCell<Option<String>>,
    /// The nonce this page's latest offer on it carried: its answer must
    /// be signed over it.
    reply: Cell<Option<Nonce>>,
    /// This side offered the link: it is the side that restarts its ICE.
    offerer: bool,
    /// An ICE restart is under way (asked for a nonce, or offered).
    restarting: Cell<bool>,
    open: Cell<bool>,
    /// The server said the member left while this link was up: it is
    /// kept while its connection holds (the server's word alone must not
    /// cut a link), and given up, not restarted, the moment it does not.
    said_gone: Cell<bool>,
    /// The peer sent more than the page holds for it (its link's
    /// backlog, all links' backlog, or a frame over [`MAX_FRAME`]): what
    /// it sends is dropped, and so is the link.
    flooded: Cell<bool>,
    /// Bytes of frames received on it and not yet taken by `next`.
    queued: Rc<Cell<usize>>,
    /// Frames sent while the channel buffered too much: sent on as it drains.
    outbox: Outbox,
    _callbacks: Callbacks,
}

impl Link {
    /// Sends on what the outbox holds as the channel drains. `false` if
    /// the channel refused a frame: the link is to be given up (the frames
    /// after it would arrive with a gap).
    fn send_waiting(&self) -> bool {
        let Some(channel) = self.channel.borrow().clone() else {
            return true;
        };
        let drained = self.outbox.send_waiting(
            || channel.buffered_amount(),
            |frame| channel.send_with_u8_array(frame).is_ok(),
        );
        drained != Drained::Refused
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        if let Some(channel) = self.channel.borrow().as_ref() {
            channel.set_onopen(None);
            channel.set_onclose(None);
            channel.set_onmessage(None);
            channel.set_onbufferedamountlow(None);
            channel.close();
        }
        self.pc.set_onicecandidate(None);
        self.pc.set_ondatachannel(None);
        self.pc.set_oniceconnectionstatechange(None);
        self.pc.close();
    }
}

struct Inner {
    identity: Identity,
    room: String,
    /// A private network's keys: offers and answers carry, and must carry,
    /// proof of its invite (see `trustfold::invite`). `None`: an open network.
    network: Option<Rc<NetworkKeys>>,
    socket: WebSocket,
    me: Cell<Option<u64>>,
    /// Members of the room (other than me), as the server announced them.
    members: RefCell<BTreeSet<u64>>,
    links: RefCell<BTreeMap<u64, Rc<Link>>>,
    backoff: RefCell<BTreeMap<u64, f64>>,
    /// Nonces this side issued (to members that ask, and with its own
    /// offers for the answer); each covers one description, once.
    nonces: RefCell<Nonces>,
    /// Where this side's nonces come from (seeded at join).
    fresh_nonces: RefCell<KeyedStream>,
    /// Members asked for a nonce, to offer to once it comes; a `nonce`
    /// from anyone else is ignored.
    asked: RefCell<BTreeSet<u64>>,
    /// Which members to link to, within the link limit.
    mesh: RefCell<Membership<u64>>,
    /// Peer connections created since joining and how many more may be
    /// (the browser allows a page only so many in its lifetime): past it,
    /// no more are offered or answered; others' offers may spend only
    /// their share of it.
    budget: Cell<ConnectionBudget>,
    /// Per member: offers made to it in the last hour.
    offered: RefCell<Allowance<u64>>,
    /// Per member: its link's ICE restarts in the last hour.
    restarted: RefCell<Allowance<u64>>,
    /// Per member: offers answered with a new connection in the last hour.
    answered: RefCell<Allowance<u64>>,
    /// Per member: asks answered in the last hour.
    asks: RefCell<Allowance<u64>>,
    /// Per member: `busy` said to it in the last minute.
    busy_said: RefCell<Allowance<u64>>,
    /// A look again for members to offer to is due.
    dial_again: Cell<bool>,
    /// Offers to new links made since joining, and the latest to each
    /// member: an offer's timers act only on their own attempt.
    attempts: Cell<u64>,
    attempt_of: RefCell<BTreeMap<u64, u64>>,
    /// Room made for members that held no link since joining; members
    /// promised room.
    rooms_made: Cell<u32>,
    promised: RefCell<Promises<u64>>,
    /// The look for one more link while there is room is running.
    filling: Cell<bool>,
    /// ICE restarts since joining.
    restarts: Cell<u32>,
    events: UnboundedSender<TransportEvent>,
    incoming: Mutex<UnboundedReceiver<TransportEvent>>,
    /// Each frame in `incoming`, in order: its link's count and its length
    /// (taken off when `next` takes the frame, whatever became of the link).
    held: RefCell<VecDeque<(Rc<Cell<usize>>, usize)>>,
    /// Bytes of all frames in `incoming`.
    held_total: Cell<usize>,
    /// Bytes of frames held at most for one link, and for all links
    /// ([`WebRtc::set_backlog`]).
    link_backlog: Cell<usize>,
    all_links_backlog: Cell<usize>,
    /// Bytes a link's outbox holds at most ([`WebRtc::set_send_backlog`]).
    send_backlog: Cell<usize>,
    /// Peers closed for good, the latest [`MAX_CLOSED`].
    closed: RefCell<ClosedPeers>,
    _socket_callbacks: Callbacks,
}

/// The WebRTC transport. See the [module docs](self).
#[derive(Clone)]
pub struct WebRtc {
    inner: Rc<Inner>,
}

impl WebRtc {
    /// Joins `room` through the signalling server at `url` (a `ws://` or
    /// `wss://` URL ending in `/signal`) as `identity`.
    pub fn join(url: &str, room: &str, identity: Identity) -> Result<WebRtc, WebError> {
        WebRtc::join_network(url, room, identity, None)
    }

    /// Joins `room` as [`join`](Self::join) does; with `network`, links only
    /// with members who prove they hold its invite, and proves it to them.
    pub fn join_network(
        url: &str,
        room: &str,
        identity: Identity,
        network: Option<Rc<NetworkKeys>>,
    ) -> Result<WebRtc, WebError> {
        WebRtc::join_mesh(url, room, identity, network, MeshLimits::default())
    }

    /// [`join_network`](Self::join_network) keeping at most `limits.links`
    /// links (see [`Membership`]).
    pub fn join_mesh(
        url: &str,
        room: &str,
        identity: Identity,
        network: Option<Rc<NetworkKeys>>,
        limits: MeshLimits,
    ) -> Result<WebRtc, WebError> {
        WebRtc::join_within(
            url,
            room,
            identity,
            network,
            limits,
            DEFAULT_CONNECTION_BUDGET,
        )
    }

    /// [`join_mesh`](Self::join_mesh) creating at most `budget` peer
    /// connections ([`connections_left`](Self::connections_left)).
    pub fn join_within(
        url: &str,
        room: &str,
        identity: Identity,
        network: Option<Rc<NetworkKeys>>,
        limits: MeshLimits,
        budget: u32,
    ) -> Result<WebRtc, WebError> {
        let fresh_nonces = KeyedStream::fresh()?;
        let socket = WebSocket::new(url)
            .map_err(|e| WebError::ConnectFailed(crate::tabs::dom_error_name(&e)))?;
        let (events, incoming) = unbounded();
        let inner = Rc::new(Inner {
            identity,
            room: room.to_owned(),
            network,
            socket,
            me: Cell::new(None),
            members: RefCell::new(BTreeSet::new()),
            links: RefCell::new(BTreeMap::new()),
            backoff: RefCell::new(BTreeMap::new()),
            nonces: RefCell::new(Nonces::default()),
            fresh_nonces: RefCell::new(fresh_nonces),
            asked: RefCell::new(BTreeSet::new()),
            mesh: RefCell::new(Membership::new(limits)),
            budget: Cell::new(ConnectionBudget::new(budget)),
            offered: per_member(MAX_OFFERS_PER_MEMBER_HOUR, HOUR_MS),
            restarted: per_member(MAX_RESTARTS_PER_HOUR, HOUR_MS),
            answered: per_member(MAX_OFFERS_PER_MEMBER_HOUR, HOUR_MS),
            asks: per_member(MAX_ANSWERS_PER_MEMBER_HOUR, HOUR_MS),
            busy_said: per_member(1, BUSY_SAID_MS),
            dial_again: Cell::new(false),
            attempts: Cell::new(0),
            attempt_of: RefCell::new(BTreeMap::new()),
            rooms_made: Cell::new(0),
            promised: RefCell::new(Promises::new(MAX_PROMISED, OFFER_TIMEOUT_MS as u64)),
            filling: Cell::new(false),
            restarts: Cell::new(0),
            events,
            incoming: Mutex::new(incoming),
            held: RefCell::new(VecDeque::new()),
            held_total: Cell::new(0),
            link_backlog: Cell::new(MAX_QUEUED),
            all_links_backlog: Cell::new(all_links_backlog(MAX_QUEUED, limits.links)),
            send_backlog: Cell::new(DEFAULT_SEND_BACKLOG),
            closed: RefCell::new(ClosedPeers::default()),
            _socket_callbacks: RefCell::new(Vec::new()),
        });
        let weak = Rc::downgrade(&inner);
        let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            if let Some(inner) = weak.upgrade() {
                inner.send_to_server(&ToServer::Join {
                    room: inner.room.clone(),
                });
            }
        });
        let weak = Rc::downgrade(&inner);
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let Some(inner) = weak.upgrade() else { return };
            let Some(text) = event.unchecked_ref::<MessageEvent>().data().as_string() else {
                return;
            };
            // A message that is not one the server sends is ignored; one
            // too large or too deeply nested to be one is not even parsed
            // (the server may be hostile: parsing unbounded nesting would
            // overflow the stack inside wasm).
            if text.len() > MAX_SIGNAL_TEXT || !nesting_within(&text, MAX_SIGNAL_NESTING) {
                return;
            }
            let parsed = JSON::parse(&text).ok().and_then(|message| {
                serde_wasm_bindgen::from_value::<FromServer<PeerSignal>>(message).ok()
            });
            if let Some(message) = parsed {
                inner.from_server(message);
            }
        });
        inner
            .socket
            .set_onopen(Some(on_open.as_ref().unchecked_ref()));
        inner
            .socket
            .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        inner
            ._socket_callbacks
            .borrow_mut()
            .extend([on_open, on_message]);
        Ok(WebRtc { inner })
    }

    /// Bytes of frames received on all links and not taken in yet (at
    /// most the bound of [`set_backlog`](Self::set_backlog)).
    pub fn held_bytes(&self) -> usize {
        self.inner.held_total.get()
    }

    /// Holds at most `per_link` bytes of frames received on one link and
    /// not taken in yet, and `all_links` on all of them ([`MAX_QUEUED`]
    /// and [`all_links_backlog`] of it by default): a peer that sends
    /// more is dropped. Below the sync protocol's window (4 MiB), honest
    /// peers are dropped too; a bound below [`MAX_FRAME`] is raised to it.
    pub fn set_backlog(&self, per_link: usize, all_links: usize) {
        self.inner.link_backlog.set(per_link.max(MAX_FRAME));
        self.inner.all_links_backlog.set(all_links.max(MAX_FRAME));
    }

    /// Holds at most `bytes` of frames waiting to go on one link (while its
    /// channel buffers over 8 MiB; [`DEFAULT_SEND_BACKLOG`] by default):
    /// past it the peer is given up, as one that reads nothing.
    pub fn set_send_backlog(&self, bytes: usize) {
        self.inner.send_backlog.set(bytes.max(MAX_FRAME));
    }

    /// Sends `frame` to `peer` whatever its size: what a peer on another
    /// stack may send, for tests of the receiving end's bound.
    #[doc(hidden)]
    pub fn send_unchecked(&self, peer: &str, frame: &[u8]) -> Result<(), TransportError> {
        let not_connected = || TransportError::NotConnected(peer.to_owned());
        let id: u64 = peer.parse().map_err(|_| not_connected())?;
        let link = self.inner.links.borrow().get(&id).cloned();
        let channel = link
            .and_then(|link| link.channel.borrow().clone())
            .ok_or_else(not_connected)?;
        channel
            .send_with_u8_array(frame)
            .map_err(|e| TransportError::Failed(format!("{e:?}")))
    }

    /// The identity key that signed a linked peer's description.
    pub fn key_of(&self, peer: &str) -> Option<PublicKey> {
        let id: u64 = peer.parse().ok()?;
        self.inner.links.borrow().get(&id)?.key.get()
    }

    /// The signalling socket's state: `"connecting"`, `"open"` or
    /// `"closed"` (then the room must be joined again to find new peers;
    /// links already open keep working).
    pub fn signalling_state(&self) -> &'static str {
        match self.inner.socket.ready_state() {
            WebSocket::CONNECTING => "connecting",
            WebSocket::OPEN => "open",
            _ => "closed",
        }
    }

    /// Breaks the link to `peer` as a network failure would: its
    /// connection closes, both ends see the link down, and (the peer still
    /// being in the room) the side that offered offers again after the
    /// backoff. What a user sees when a connection drops.
    pub fn sever(&self, peer: &str) {
        let Ok(id) = peer.parse::<u64>() else {
            return;
        };
        let link = self.inner.links.borrow().get(&id).cloned();
        if let Some(link) = link {
            // Closing the connection tells the other end; this end's
            // channel closes without an event, so report it here.
            link.pc.close();
            self.inner.lost(id, &link);
        }
    }

    /// Gives the link to `peer` up at this end only, as a page does when
    /// its end of a link stalled past the restart timeout while the other
    /// end's did not: reports it down and looks for the member again after
    /// the backoff, but leaves the connection open, held by what this
    /// returns, so the other end sees nothing close. Dropping the returned
    /// value closes it. A fault to test against, like [`sever`](Self::sever).
    pub fn give_up_quietly(&self, peer: &str) -> Option<HeldConnection> {
        let id = peer.parse::<u64>().ok()?;
        let link = self.inner.links.borrow().get(&id).cloned()?;
        self.inner.lost(id, &link);
        Some(HeldConnection { _link: link })
    }

    /// Closes this page's socket to the signalling server and nothing
    /// else, as a blip in the page's network to the server does: the
    /// server tells the members this page left, while its links stay
    /// open. A fault to test against, like [`sever`](Self::sever).
    pub fn lose_signalling(&self) {
        self.inner.socket.set_onmessage(None);
        let _ = self.inner.socket.close();
    }

    /// How many links are open, and the limit.
    pub fn links(&self) -> (usize, usize) {
        let mesh = self.inner.mesh.borrow();
        (mesh.active_len(), mesh.limits().links)
    }

    /// Peer connections created since joining.
    pub fn connections_created(&self) -> u32 {
        self.inner.budget.get().created()
    }

    /// ICE restarts made since joining (links whose network failed,
    /// repaired on the same connection).
    pub fn ice_restarts(&self) -> u32 {
        self.inner.restarts.get()
    }

    /// Links this page closed to make room for a member that held none
    /// (see [`Membership::make_room`]).
    pub fn rooms_made(&self) -> u32 {
        self.inner.rooms_made.get()
    }

    /// Peer connections this page may still create; at 0 it offers and
    /// answers no more links.
    pub fn connections_left(&self) -> u32 {
        self.inner.connections_left()
    }

    /// Whether `other` is a handle on this same transport.
    pub fn same_as(&self, other: &WebRtc) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    /// Leaves the room and closes every link.
    pub fn leave(&self) {
        self.lose_signalling();
        let links = std::mem::take(&mut *self.inner.links.borrow_mut());
        for id in links.keys() {
            let _ = self
                .inner
                .events
                .unbounded_send(TransportEvent::Down(id.to_string()));
        }
        self.inner.events.close_channel();
    }
}

impl Inner {
    /// Sends one of the messages the server reads ([`ToServer`]).
    fn send_to_server(&self, message: &ToServer<PeerSignal>) {
        // A socket closing (the person went offline and back quickly) drops
        // it without a word: sending would make Chromium log "WebSocket is
        // already in CLOSING or CLOSED state" on the page's console.
        if self.socket.ready_state() != WebSocket::OPEN {
            return;
        }
        let Ok(value) = serde_wasm_bindgen::to_value(message) else {
            return;
        };
        if let Ok(text) = JSON::stringify(&value) {
            // A closed socket drops it; the page reconnects (see `signalling_state`).
            let _ = self.socket.send_with_str(&String::from(text));
        }
    }

    fn signal(&self, to: u64, data: PeerSignal) {
        self.send_to_server(&ToServer::Signal { to, data });
    }

    fn from_server(self: &Rc<Self>, message: FromServer<PeerSignal>) {
        match message {
            FromServer::Joined { id, peers } => {
                self.me.set(Some(id));
                *self.members.borrow_mut() = peers.iter().copied().take(MAX_MEMBERS).collect();
                // The server's sample of the room; the newest last, so
                // they are the last forgotten.
                self.mesh
                    .borrow_mut()
                    .introduce(peers.into_iter().take(MAX_MEMBERS));
                self.dial();
                self.keep_filling();
            }
            FromServer::PeerJoined { id } => {
                // A hostile server could announce members without end: the
                // set is bounded (a real room is: the server's own limit).
                let mut members = self.members.borrow_mut();
                if members.len() < MAX_MEMBERS && !self.closed.borrow().contains(&id) {
                    members.insert(id);
                    self.mesh.borrow_mut().introduce([id]);
                    // Back in the room (an honest server never reuses an
                    // id; a hostile one may): its link is restarted again
                    // if it stalls.
                    if let Some(link) = self.links.borrow().get(&id) {
                        link.said_gone.set(false);
                    }
                }
            }
            FromServer::PeerLeft { id } => {
                self.forget_member(id);
                // An open link whose connection holds is the member's own
                // word that it is there: a hostile server, or a member
                // that only lost its socket to the server, must not cut
                // it. A closed browser's connection stops answering ICE
                // within seconds; the link then goes (`on_state`).
                let kept = self
                    .links
                    .borrow()
                    .get(&id)
                    .filter(|link| link.open.get() && mesh::ice_connected(&link.pc))
                    .cloned();
                match kept {
                    Some(link) => link.said_gone.set(true),
                    None => {
                        self.mesh.borrow_mut().gone(&id);
                        self.drop_link(id);
                    }
                }
                self.dial();
            }
            FromServer::Signal { from, data } => self.from_peer(from, data),
            // The server's refusals close the socket or are advisory; the
            // state says so (`signalling_state`).
            FromServer::Error { .. } => {}
        }
    }

    fn drop_link(&self, peer: u64) {
        let link = self.links.borrow_mut().remove(&peer);
        if let Some(link) = link
            && link.open.get()
        {
            let _ = self
                .events
                .unbounded_send(TransportEvent::Down(peer.to_string()));
        }
    }

    /// `id` is no member of the room any more: not offered a link, its
    /// backoff, ask and offer attempt forgotten (its link, if any, is the
    /// caller's to keep or drop).
    fn forget_member(&self, id: u64) {
        self.members.borrow_mut().retain(|m| *m != id);
        self.backoff.borrow_mut().remove(&id);
        self.asked.borrow_mut().remove(&id);
        self.attempt_of.borrow_mut().remove(&id);
    }

    /// The oldest frame held was taken in.
    fn taken(&self) {
        if let Some((queued, len)) = self.held.borrow_mut().pop_front() {
            queued.set(queued.get().saturating_sub(len));
            self.held_total
                .set(self.held_total.get().saturating_sub(len));
        }
    }

    /// Drops `peer` for good: not re-offered (a peer closed on purpose, or
    /// one that floods, stays closed). Its place is free for another
    /// member (before, it stayed counted: peers that sent one invalid
    /// frame each could fill a page's links with places held by no one).
    fn close_peer(self: &Rc<Self>, id: u64) {
        {
            // Its asks and offers are ignored from now on (a new
            // connection id is a new peer: the budget bounds those).
            self.closed.borrow_mut().close(id);
        }
        self.nonces.borrow_mut().forget(id);
        self.promised.borrow_mut().take(&id, mesh::now_ms());
        self.forget_member(id);
        self.mesh.borrow_mut().gone(&id);
        self.drop_link(id);
        self.dial_after(1000.0);
    }

    /// A new peer connection to `peer`, with its candidate and state callbacks.
    fn new_link(self: &Rc<Self>, peer: u64, offerer: bool) -> Result<Rc<Link>, JsValue> {
        let config = RtcConfiguration::new();
        // No STUN or TURN: host candidates only (what tests on one machine
        // need; a deployment adds its servers here).
        config.set_ice_servers(&Array::new());
        let mut budget = self.budget.get();
        let room = if offerer {
            budget.spend_offer()
        } else {
            budget.spend_answer()
        };
        if !room {
            // Refused, like any signal not acted on (nothing reads why).
            return Err(JsValue::NULL);
        }
        let pc = RtcPeerConnection::new_with_configuration(&config)?;
        self.budget.set(budget);
        let link = Rc::new(Link {
            pc,
            channel: RefCell::new(None),
            key: Cell::new(None),
            remote_fingerprint: RefCell::new(None),
            reply: Cell::new(None),
            offerer,
            restarting: Cell::new(false),
            open: Cell::new(false),
            said_gone: Cell::new(false),
            flooded: Cell::new(false),
            queued: Rc::new(Cell::new(0)),
            outbox: Outbox::default(),
            _callbacks: RefCell::new(Vec::new()),
        });
        let weak = Rc::downgrade(self);
        let on_candidate = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            let Some(inner) = weak.upgrade() else { return };
            let event: RtcPeerConnectionIceEvent = event.unchecked_into();
            if let Some(candidate) = event.candidate() {
                let data = PeerSignal::Candidate {
                    candidate: candidate.candidate(),
                    sdp_mid: candidate.sdp_mid(),
                    sdp_m_line_index: candidate.sdp_m_line_index(),
                };
                inner.signal(peer, data);
            }
        });
        let weak = Rc::downgrade(self);
        let weak_link = Rc::downgrade(&link);
        let on_state = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            let (Some(inner), Some(link)) = (weak.upgrade(), weak_link.upgrade()) else {
                return;
            };
            match link.pc.ice_connection_state() {
                RtcIceConnectionState::Closed => inner.lost(peer, &link),
                // The server said the member left, and now its end does
                // not answer: it is gone (a restart would be signalled
                // through the server to no one).
                RtcIceConnectionState::Disconnected | RtcIceConnectionState::Failed
                    if link.said_gone.get() =>
                {
                    inner.lost(peer, &link)
                }
                // The network under an open link failed: its ICE is
                // restarted on the same connection (a new one would spend
                // the page's budget), by the side that offered it.
                RtcIceConnectionState::Disconnected | RtcIceConnectionState::Failed
                    if link.open.get() =>
                {
                    inner.stalled(peer, &link)
                }
                RtcIceConnectionState::Failed => inner.lost(peer, &link),
                RtcIceConnectionState::Connected | RtcIceConnectionState::Completed => {
                    link.restarting.set(false)
                }
                _ => {}
            }
        });
        link.pc
            .set_onicecandidate(Some(on_candidate.as_ref().unchecked_ref()));
        link.pc
            .set_oniceconnectionstatechange(Some(on_state.as_ref().unchecked_ref()));
        link._callbacks
            .borrow_mut()
            .extend([on_candidate, on_state]);
        if !offerer {
            let weak = Rc::downgrade(self);
            let weak_link = Rc::downgrade(&link);
            let on_channel = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
                let (Some(inner), Some(link)) = (weak.upgrade(), weak_link.upgrade()) else {
                    return;
                };
                let channel = event.unchecked_into::<RtcDataChannelEvent>().channel();
                inner.wire_channel(peer, &link, channel);
            });
            link.pc
                .set_ondatachannel(Some(on_channel.as_ref().unchecked_ref()));
            link._callbacks.borrow_mut().push(on_channel);
        }
        self.links.borrow_mut().insert(peer, link.clone());
        Ok(link)
    }

    fn wire_channel(self: &Rc<Self>, peer: u64, link: &Rc<Link>, channel: RtcDataChannel) {
        channel.set_binary_type(RtcDataChannelType::Arraybuffer);
        channel.set_buffered_amount_low_threshold(LOW_WATER);
        let weak_link: Weak<Link> = Rc::downgrade(link);
        let events = self.events.clone();
        let on_open = Closure::<dyn FnMut(JsValue)>::new({
            let weak_link = weak_link.clone();
            let weak = Rc::downgrade(self);
            move |_| {
                if let (Some(link), Some(inner)) = (weak_link.upgrade(), weak.upgrade()) {
                    if !inner.holds(peer, &link) {
                        // Given up or replaced meanwhile: it goes with
                        // the last task holding it.
                        return;
                    }
                    if !inner.mesh.borrow_mut().up(peer) {
                        // Over the limit (offers crossed): not kept.
                        inner.links.borrow_mut().remove(&peer);
                        return;
                    }
                    link.open.set(true);
                    // What was held back from earlier attempts (a hostile
                    // server could keep an offer) no longer verifies.
                    inner.nonces.borrow_mut().forget(peer);
                    inner.backoff.borrow_mut().remove(&peer);
                    // The offer's timers are done with: a later failure
                    // of this link is `lost`'s.
                    inner.attempt_of.borrow_mut().remove(&peer);
                    let _ = events.unbounded_send(TransportEvent::Up(peer.to_string()));
                }
            }
        });
        let on_message = Closure::<dyn FnMut(JsValue)>::new({
            let weak_link = weak_link.clone();
            let weak = Rc::downgrade(self);
            move |event: JsValue| {
                let (Some(link), Some(inner)) = (weak_link.upgrade(), weak.upgrade()) else {
                    return;
                };
                // A link given up or replaced: what it still carries is moot.
                if link.flooded.get() || !inner.holds(peer, &link) {
                    return;
                }
                let data = event.unchecked_into::<MessageEvent>().data();
                let frame = Uint8Array::new(&data);
                let len = frame.length() as usize;
                let queued = link.queued.get() + len;
                let over = crate::held::refused(len, link.queued.get(), inner.link_backlog.get())
                    .or_else(|| {
                        let all = inner.all_links_backlog.get();
                        (inner.held_total.get() + len > all)
                            .then_some(TransportError::AllLinksBacklog(all))
                    });
                if let Some(error) = over {
                    // An honest peer stays within the sync protocol's
                    // window (4 MiB); this one floods. Told after the
                    // frames it sent before; dropped after this callback
                    // (not inside it: the link holds it).
                    link.flooded.set(true);
                    let ban = !matches!(error, TransportError::AllLinksBacklog(_));
                    let _ = inner.events.unbounded_send(TransportEvent::Dropped {
                        peer: peer.to_string(),
                        key: link.key.get(),
                        error,
                    });
                    let weak_link = weak_link.clone();
                    inner.after(
                        0.0,
                        Box::new(move |inner| {
                            if let Some(link) = weak_link.upgrade()
                                && inner.holds(peer, &link)
                            {
                                if ban {
                                    inner.close_peer(peer);
                                } else {
                                    // Over the page's bound, not its own:
                                    // given up, and offered again later.
                                    inner.lost(peer, &link);
                                }
                            }
                        }),
                    );
                    return;
                }
                link.queued.set(queued);
                inner.held_total.set(inner.held_total.get() + len);
                inner
                    .held
                    .borrow_mut()
                    .push_back((link.queued.clone(), len));
                let _ = inner
                    .events
                    .unbounded_send(TransportEvent::Frame(peer.to_string(), frame.to_vec()));
            }
        });
        let on_close = Closure::<dyn FnMut(JsValue)>::new({
            let weak_link = weak_link.clone();
            let weak = Rc::downgrade(self);
            move |_| {
                if let (Some(link), Some(inner)) = (weak_link.upgrade(), weak.upgrade()) {
                    inner.lost(peer, &link);
                }
            }
        });
        let weak = Rc::downgrade(self);
        let on_low = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            if let (Some(link), Some(inner)) = (weak_link.upgrade(), weak.upgrade())
                && !link.send_waiting()
            {
                inner.lost(peer, &link);
            }
        });
        channel.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        channel.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        channel.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        channel.set_onbufferedamountlow(Some(on_low.as_ref().unchecked_ref()));
        link._callbacks
            .borrow_mut()
            .extend([on_open, on_message, on_close, on_low]);
        *link.channel.borrow_mut() = Some(channel);
    }
}

impl Transport for WebRtc {
    fn peer_key(&self, peer: &str) -> Option<PublicKey> {
        self.key_of(peer)
    }

    async fn send(&self, peer: &str, frame: Vec<u8>) -> Result<(), TransportError> {
        if frame.len() > MAX_FRAME {
            return Err(TransportError::TooLarge(frame.len()));
        }
        let not_connected = || TransportError::NotConnected(peer.to_owned());
        let id: u64 = peer.parse().map_err(|_| not_connected())?;
        let link = self
            .inner
            .links
            .borrow()
            .get(&id)
            .cloned()
            .ok_or_else(not_connected)?;
        let channel = link.channel.borrow().clone().ok_or_else(not_connected)?;
        if channel.ready_state() != RtcDataChannelState::Open {
            return Err(not_connected());
        }
        if link.outbox.may_send_now(channel.buffered_amount()) {
            return channel
                .send_with_u8_array(&frame)
                .map_err(|e| TransportError::Failed(format!("{e:?}")));
        }
        // Never waits (see `crate::outbox`): the frame waits in the
        // outbox, or the peer, reading nothing, is given up.
        if let Err(error) = link.outbox.push(frame, self.inner.send_backlog.get()) {
            let _ = self.inner.events.unbounded_send(TransportEvent::Dropped {
                peer: peer.to_owned(),
                key: link.key.get(),
                error: error.clone(),
            });
            // Not banned: a peer on a very slow link may be honest.
            self.inner.lost(id, &link);
            return Err(error);
        }
        if !link.send_waiting() {
            self.inner.lost(id, &link);
            return Err(TransportError::Failed("the channel refused a frame".into()));
        }
        Ok(())
    }

    async fn next(&self) -> Option<TransportEvent> {
        let event = self.inner.incoming.lock().await.next().await;
        if let Some(TransportEvent::Frame(..)) = &event {
            self.inner.taken();
        }
        event
    }

    fn close(&self, peer: &str) {
        if let Ok(id) = peer.parse::<u64>() {
            self.inner.close_peer(id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{ClosedPeers, MAX_CLOSED, MAX_SIGNAL_NESTING, nesting_within};
    use wasm_bindgen_test::wasm_bindgen_test;

    /// Peers closed for good are remembered, the latest 256: the list never
    /// grows past it, the oldest go first.
    #[wasm_bindgen_test]
    fn peers_closed_for_good_are_the_latest_few() {
        let mut closed = ClosedPeers::default();
        for id in 0..(MAX_CLOSED as u64 + 10) {
            closed.close(id);
        }
        assert!(
            !closed.contains(&0) && !closed.contains(&9),
            "the oldest forgotten"
        );
        assert!(closed.contains(&10) && closed.contains(&(MAX_CLOSED as u64 + 9)));
        assert_eq!(closed.0.len(), MAX_CLOSED);
    }

    /// What a server sends nests 3 deep; a hostile server's deeply nested
    /// message is refused before parsing, brackets inside strings aside.
    #[wasm_bindgen_test]
    fn signalling_text_nested_too_deep_is_not_parsed() {
        let signal = r#"{"type":"signal","from":1,"data":{"kind":"candidate","candidate":"[[[[[[[[[[","sdpMid":"0"}}"#;
        assert!(nesting_within(signal, MAX_SIGNAL_NESTING));
        let deep = format!("{}{}", "[".repeat(200_000), "]".repeat(200_000));
        assert!(!nesting_within(&deep, MAX_SIGNAL_NESTING));
        let escaped = r#"{"a":"\"[[[[[[[[[[[[\""}"#;
        assert!(nesting_within(escaped, MAX_SIGNAL_NESTING));
    }
}

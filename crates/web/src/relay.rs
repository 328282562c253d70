//! The relay link: a [`Transport`] with one peer, [`RELAY`] (`"relay"`),
//! over a WebSocket to the relay of the origin that served the page
//! (`ws://host/relay`; the contract is `docs/relay-protocol.md`).
//!
//! The link opens the socket, sends `{"type":"join","room":…,"private":…}`
//! and reports `Up("relay")` when the relay answers `joined`; from then on
//! every binary message is one sync frame each way, as on a WebRTC data
//! channel: the relay is one more peer. A closed socket, or one that
//! failed, is `Down("relay")`, and the link opens a new one after a
//! backoff — 1 s doubling to 30 s, each delay drawn between half and all
//! of it (jitter), back to 1 s once joined. What the relay says as text is
//! kept as data for the page to word: the limits it published in `joined`
//! ([`limits`](RelayLink::limits)); its notices
//! (`{"type":"notice","code":"network_full"|"author_quota"}`: a valid event
//! was not stored, the link stays) and errors (`{"type":"error","code":…}`,
//! followed by a close) as [`notice`](RelayLink::notice), the latest since
//! the link last joined, and errors also as
//! [`last_error`](RelayLink::last_error), kept through reconnections. A
//! server without a relay says `NO_RELAY`: the link then asks again only
//! after the longest backoff.
//!
//! Bounded: one socket and at most one pending retry at a time; frames
//! received and not yet taken by [`next`](Transport::next) at most
//! [`MAX_QUEUED`] bytes by default ([`set_backlog`](RelayLink::set_backlog);
//! beyond, the relay is sending faster than the node
//! takes in — an honest relay never does, the sync protocol's window is
//! 4 MiB — and the link is dropped and opened again later); sending never
//! waits (`crate::outbox`): frames sent while the socket buffers more than
//! 8 MiB wait in its outbox, at most 8 MiB by default
//! ([`set_send_backlog`](RelayLink::set_send_backlog); beyond, the relay
//! reads nothing of what it is sent, and the socket goes). A frame over 64 KiB from the
//! relay breaks the contract and drops the link. When the node closes
//! the link ([`Transport::close`]: the relay sent something no honest peer
//! sends) the next attempt waits the longest backoff, 30 s. A link that is
//! [stopped](RelayLink::stop) or dropped opens nothing again.

use crate::errors::WebError;
use crate::outbox::{DEFAULT_SEND_BACKLOG, Drained, Outbox};
use crate::tabs;
use crate::webrtc::nesting_within;
use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures_util::StreamExt;
use futures_util::lock::Mutex;
use js_sys::{JSON, Object, Reflect, Uint8Array};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use trustfold::relay::PublishedLimits;
use trustfold::sync::MAX_FRAME;
use trustfold::transport::{Transport, TransportError, TransportEvent};
use wasm_bindgen::prelude::*;
use web_sys::{BinaryType, MessageEvent, WebSocket};

/// The relay link's one peer id (never a WebRTC id, which are decimal).
pub const RELAY: &str = "relay";

/// Bytes of frames received and not yet taken in, at most.
pub const MAX_QUEUED: usize = 16 * 1024 * 1024;

/// How often a waiting send looks at the buffer again (a WebSocket has no
/// `bufferedamountlow` event).
const DRAIN_POLL_MS: f64 = 20.0;
const FIRST_BACKOFF_MS: f64 = 1000.0;
const MAX_BACKOFF_MS: f64 = 30_000.0;
/// The longest text message read from the relay (notices are short).
const MAX_TEXT: usize = 64 * 1024;
/// The longest error code and message kept.
const MAX_CODE: usize = 64;
const MAX_MESSAGE: usize = 1024;

/// The relay's URL for a signalling URL of the same server:
/// `ws://host/signal` → `ws://host/relay` (a path before `/signal` is
/// kept, for a server behind a proxy under a prefix); any other URL →
/// its origin's `/relay`.
pub fn relay_url(signal_url: &str) -> String {
    let url = signal_url.split(['?', '#']).next().unwrap_or_default();
    if let Some(base) = url.strip_suffix("/signal") {
        return format!("{base}/relay");
    }
    let origin_end = url
        .find("://")
        .map(|scheme| {
            let host = scheme + 3;
            url[host..].find('/').map_or(url.len(), |path| host + path)
        })
        .unwrap_or(url.len());
    format!("{}/relay", &url[..origin_end])
}

/// The link's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RelayState {
    /// A socket is opening, or open and waiting for `joined`.
    Connecting,
    /// Joined: frames flow.
    Open,
    /// No socket: waiting to try again, or stopped.
    Closed,
}

impl RelayState {
    /// `"connecting"`, `"open"` or `"closed"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RelayState::Connecting => "connecting",
            RelayState::Open => "open",
            RelayState::Closed => "closed",
        }
    }
}

/// An error the relay reported (`{"type":"error","code":…,"message":…}`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelayError {
    /// Its code (`NETWORK_FULL`, `AUTHOR_QUOTA`, `RATE_LIMITED`, …), at
    /// most 64 bytes.
    pub code: String,
    /// What it said, at most 1 KiB (the relay's words: show it as text).
    pub message: String,
}

/// What the relay said last since the link joined: a notice (`network_full`,
/// `author_quota`: the link stays) or an error (then the socket closed).
#[derive(Clone, Debug, PartialEq)]
pub struct RelayNotice {
    /// Its code, at most 64 bytes.
    pub code: String,
    /// When it came, in milliseconds since 1970 (the tab's clock).
    pub at: f64,
}

/// The code of a server that runs no relay.
pub const NO_RELAY: &str = "NO_RELAY";

/// Callbacks the browser holds (kept alive as long as their socket).
type Callbacks = RefCell<Vec<Closure<dyn FnMut(JsValue)>>>;

/// One socket, from opening to its end.
struct Socket {
    ws: WebSocket,
    joined: Cell<bool>,
    ended: Cell<bool>,
    /// Frames sent while the socket buffered too much (`crate::outbox`);
    /// a task sends them on while the outbox is not empty.
    outbox: Outbox,
    draining: Cell<bool>,
    _callbacks: Callbacks,
}

impl Socket {
    /// Sends on what the outbox holds as the socket drains; whether
    /// nothing waits now. A frame refused empties it: only a socket not
    /// open yet refuses (one closing takes and drops it), and its close,
    /// or the next, ends the link.
    fn send_waiting(&self) -> bool {
        let drained = self.outbox.send_waiting(
            || self.ws.buffered_amount(),
            |frame| self.ws.send_with_u8_array(frame).is_ok(),
        );
        drained != Drained::Waiting
    }

    /// Keeps sending on what the outbox holds as the socket drains (a
    /// WebSocket has no `bufferedamountlow` event: it is looked at every
    /// [`DRAIN_POLL_MS`]), until it is empty or the socket ended.
    fn drain(self: &Rc<Self>) {
        if self.draining.replace(true) {
            return;
        }
        let socket = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            while !socket.ended.get() && !socket.send_waiting() {
                tabs::wait(DRAIN_POLL_MS).await;
            }
            socket.draining.set(false);
        });
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onopen(None);
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

struct Inner {
    url: String,
    /// The join message, as sent.
    join: String,
    socket: RefCell<Option<Rc<Socket>>>,
    state: Cell<RelayState>,
    last_error: RefCell<Option<RelayError>>,
    notice: RefCell<Option<RelayNotice>>,
    limits: RefCell<Option<PublishedLimits>>,
    reconnects: Cell<u32>,
    /// The next retry's delay before jitter.
    backoff: Cell<f64>,
    retry_pending: Cell<bool>,
    stopped: Cell<bool>,
    /// Bytes of frames in `incoming`.
    queued: Cell<usize>,
    /// Bytes of frames `incoming` holds at most.
    backlog: Cell<usize>,
    /// Bytes of frames the socket's outbox holds at most.
    send_backlog: Cell<usize>,
    events: UnboundedSender<TransportEvent>,
    incoming: Mutex<UnboundedReceiver<TransportEvent>>,
}

/// The link to the relay. See the [module docs](self).
#[derive(Clone)]
pub struct RelayLink {
    inner: Rc<Inner>,
}

/// `{"type":"join","room":room,"private":private}`.
pub fn join_message(room: &str, private: bool) -> String {
    let message = Object::new();
    let _ = Reflect::set(&message, &"type".into(), &"join".into());
    let _ = Reflect::set(&message, &"room".into(), &room.into());
    let _ = Reflect::set(&message, &"private".into(), &private.into());
    JSON::stringify(&message)
        .map(String::from)
        .unwrap_or_default()
}

fn text_field(value: &JsValue, field: &str, max: usize) -> Option<String> {
    let mut text = Reflect::get(value, &field.into()).ok()?.as_string()?;
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
    }
    Some(text)
}

impl RelayLink {
    /// Opens a link to the relay at `url` (`ws://…/relay`) for `room` —
    /// an open network's name, or with `private` a private network's
    /// identity. Fails only for a URL the browser refuses outright.
    pub fn open(url: &str, room: &str, private: bool) -> Result<RelayLink, WebError> {
        let (events, incoming) = unbounded();
        let inner = Rc::new(Inner {
            url: url.to_owned(),
            join: join_message(room, private),
            socket: RefCell::new(None),
            state: Cell::new(RelayState::Connecting),
            last_error: RefCell::new(None),
            notice: RefCell::new(None),
            limits: RefCell::new(None),
            reconnects: Cell::new(0),
            backoff: Cell::new(FIRST_BACKOFF_MS),
            retry_pending: Cell::new(false),
            stopped: Cell::new(false),
            queued: Cell::new(0),
            backlog: Cell::new(MAX_QUEUED),
            send_backlog: Cell::new(DEFAULT_SEND_BACKLOG),
            events,
            incoming: Mutex::new(incoming),
        });
        let ws =
            WebSocket::new(url).map_err(|e| WebError::ConnectFailed(tabs::dom_error_name(&e)))?;
        inner.wire(ws);
        Ok(RelayLink { inner })
    }

    /// `"connecting"`, `"open"` (joined) or `"closed"`.
    pub fn state(&self) -> RelayState {
        self.inner.state.get()
    }

    /// The last error the relay reported, if any (kept until another
    /// replaces it, through reconnections).
    pub fn last_error(&self) -> Option<RelayError> {
        self.inner.last_error.borrow().clone()
    }

    /// What the relay said last since the link last joined (a notice, or
    /// the error that closed the socket since); cleared by the next join.
    pub fn notice(&self) -> Option<RelayNotice> {
        self.inner.notice.borrow().clone()
    }

    /// The limits the relay published when the link last joined (kept
    /// while it is down); `None` before a join, or if the relay published
    /// none that reads as [`PublishedLimits`].
    pub fn limits(&self) -> Option<PublishedLimits> {
        self.inner.limits.borrow().clone()
    }

    /// Sockets opened again after one was lost.
    pub fn reconnects(&self) -> u32 {
        self.inner.reconnects.get()
    }

    /// Holds at most `bytes` of frames received from the relay and not
    /// taken in yet ([`MAX_QUEUED`] by default): a relay that sends more
    /// loses its socket, and the next opens after the longest backoff.
    /// Below the sync protocol's window (4 MiB) an honest relay would too;
    /// a bound below [`MAX_FRAME`] is raised to it.
    pub fn set_backlog(&self, bytes: usize) {
        self.inner.backlog.set(bytes.max(MAX_FRAME));
    }

    /// Holds at most `bytes` of frames waiting to go to the relay (while
    /// the socket buffers over 8 MiB; [`DEFAULT_SEND_BACKLOG`] by
    /// default): past it the socket goes, as one the relay reads nothing
    /// of. A bound below [`MAX_FRAME`] is raised to it.
    pub fn set_send_backlog(&self, bytes: usize) {
        self.inner.send_backlog.set(bytes.max(MAX_FRAME));
    }

    /// Whether `other` is a handle on this same link.
    pub fn same_as(&self, other: &RelayLink) -> bool {
        Rc::ptr_eq(&self.inner, &other.inner)
    }

    /// Closes the link for good: `Down("relay")` if it was up, nothing is
    /// opened again, and [`next`](Transport::next) ends.
    pub fn stop(&self) {
        self.inner.stopped.set(true);
        let socket = self.inner.socket.borrow().clone();
        if let Some(socket) = socket {
            self.inner.end(&socket, None);
        }
        self.inner.state.set(RelayState::Closed);
        self.inner.events.close_channel();
    }

    /// Drops the socket as a network failure would (the relay sees it
    /// close); the link opens a new one after the backoff. For tests.
    pub fn sever(&self) {
        let socket = self.inner.socket.borrow().clone();
        if let Some(socket) = socket {
            self.inner.end(&socket, Some(self.inner.next_backoff()));
        }
    }
}

impl Inner {
    /// Takes `ws` as the link's socket.
    fn wire(self: &Rc<Self>, ws: WebSocket) {
        ws.set_binary_type(BinaryType::Arraybuffer);
        let socket = Rc::new(Socket {
            ws,
            joined: Cell::new(false),
            ended: Cell::new(false),
            outbox: Outbox::default(),
            draining: Cell::new(false),
            _callbacks: RefCell::new(Vec::new()),
        });
        let (inner, weak_socket) = (Rc::downgrade(self), Rc::downgrade(&socket));
        let on_open = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            if let (Some(inner), Some(socket)) = (inner.upgrade(), weak_socket.upgrade()) {
                let _ = socket.ws.send_with_str(&inner.join);
            }
        });
        let (inner, weak_socket) = (Rc::downgrade(self), Rc::downgrade(&socket));
        let on_message = Closure::<dyn FnMut(JsValue)>::new(move |event: JsValue| {
            if let (Some(inner), Some(socket)) = (inner.upgrade(), weak_socket.upgrade()) {
                inner.message(&socket, event.unchecked_into::<MessageEvent>().data());
            }
        });
        let (inner, weak_socket): (Weak<Inner>, _) = (Rc::downgrade(self), Rc::downgrade(&socket));
        // An error is always followed by a close: the close handles both.
        let on_close = Closure::<dyn FnMut(JsValue)>::new(move |_| {
            if let (Some(inner), Some(socket)) = (inner.upgrade(), weak_socket.upgrade()) {
                let delay = inner.next_backoff();
                inner.end(&socket, Some(delay));
            }
        });
        socket.ws.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket
            .ws
            .set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket
            .ws
            .set_onclose(Some(on_close.as_ref().unchecked_ref()));
        socket
            ._callbacks
            .borrow_mut()
            .extend([on_open, on_message, on_close]);
        self.state.set(RelayState::Connecting);
        *self.socket.borrow_mut() = Some(socket);
    }

    /// The current backoff, doubled for the time after (at most 30 s).
    fn next_backoff(&self) -> f64 {
        let delay = self.backoff.get();
        self.backoff.set((delay * 2.0).min(MAX_BACKOFF_MS));
        delay
    }

    fn message(self: &Rc<Self>, socket: &Rc<Socket>, data: JsValue) {
        if socket.ended.get() {
            return;
        }
        if let Some(text) = data.as_string() {
            return self.notice(socket, &text);
        }
        // Binary: a frame, once joined (before, nothing binary is sent).
        if !socket.joined.get() {
            return;
        }
        let frame = Uint8Array::new(&data);
        let len = frame.length() as usize;
        if let Some(error) = crate::held::refused(len, self.queued.get(), self.backlog.get()) {
            // Told after the frames it sent before; its socket goes, and
            // the next opens after the backoff.
            let _ = self.events.unbounded_send(TransportEvent::Dropped {
                peer: RELAY.to_owned(),
                key: None,
                error,
            });
            // The longest backoff, as when the node closes the link: a
            // relay that floods and rejoins at once would otherwise be
            // reported (and push honest drops out of the record) every
            // second.
            return self.end(socket, Some(MAX_BACKOFF_MS));
        }
        self.queued.set(self.queued.get() + len);
        let _ = self
            .events
            .unbounded_send(TransportEvent::Frame(RELAY.to_owned(), frame.to_vec()));
    }

    /// A text message: `joined`, a notice or an error; anything else is
    /// ignored, and text too long or too deeply nested is not even parsed.
    fn notice(self: &Rc<Self>, socket: &Rc<Socket>, text: &str) {
        if text.len() > MAX_TEXT || !nesting_within(text, 8) {
            return;
        }
        let Ok(message) = JSON::parse(text) else {
            return;
        };
        let code = || text_field(&message, "code", MAX_CODE).unwrap_or_default();
        match text_field(&message, "type", 16).as_deref() {
            Some("joined") if !socket.joined.replace(true) => {
                self.state.set(RelayState::Open);
                self.backoff.set(FIRST_BACKOFF_MS);
                self.notice.borrow_mut().take();
                // The core's own type, as the server wrote it (one definition).
                *self.limits.borrow_mut() = Reflect::get(&message, &"limits".into())
                    .ok()
                    .and_then(|limits| serde_wasm_bindgen::from_value(limits).ok());
                let _ = self
                    .events
                    .unbounded_send(TransportEvent::Up(RELAY.to_owned()));
            }
            Some("notice") if socket.joined.get() => self.said(code()),
            Some("error") => {
                let code = code();
                if code == NO_RELAY {
                    // Not there now; a restarted server may have one.
                    self.backoff.set(MAX_BACKOFF_MS);
                }
                self.said(code.clone());
                let message = text_field(&message, "message", MAX_MESSAGE).unwrap_or_default();
                *self.last_error.borrow_mut() = Some(RelayError { code, message });
            }
            _ => {}
        }
    }

    fn said(&self, code: String) {
        let at = js_sys::Date::now();
        *self.notice.borrow_mut() = Some(RelayNotice { code, at });
    }

    /// `socket` is done: it is closed, `Down` is reported if it was up,
    /// and after `retry` ms (if any) a new one is opened.
    fn end(self: &Rc<Self>, socket: &Rc<Socket>, retry: Option<f64>) {
        if socket.ended.replace(true) {
            return;
        }
        let current = self
            .socket
            .borrow()
            .as_ref()
            .is_some_and(|s| Rc::ptr_eq(s, socket));
        if !current {
            return;
        }
        // Dropping it closes it (the relay sees the link end).
        self.socket.borrow_mut().take();
        self.state.set(RelayState::Closed);
        if socket.joined.get() {
            let _ = self
                .events
                .unbounded_send(TransportEvent::Down(RELAY.to_owned()));
        }
        if let Some(delay) = retry {
            self.retry_after(delay);
        }
    }

    /// Opens a new socket after about `delay` ms, unless stopped or
    /// dropped by then.
    fn retry_after(self: &Rc<Self>, delay: f64) {
        if self.stopped.get() || self.retry_pending.replace(true) {
            return;
        }
        let jittered = delay * (0.5 + 0.5 * js_sys::Math::random());
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            tabs::wait(jittered).await;
            let Some(inner) = weak.upgrade() else { return };
            inner.retry_pending.set(false);
            if inner.stopped.get() || inner.socket.borrow().is_some() {
                return;
            }
            inner.reconnects.set(inner.reconnects.get() + 1);
            match WebSocket::new(&inner.url) {
                Ok(ws) => inner.wire(ws),
                Err(_) => {
                    let delay = inner.next_backoff();
                    inner.retry_after(delay);
                }
            }
        });
    }
}

impl Transport for RelayLink {
    async fn send(&self, peer: &str, frame: Vec<u8>) -> Result<(), TransportError> {
        if frame.len() > MAX_FRAME {
            return Err(TransportError::TooLarge(frame.len()));
        }
        let not_connected = || TransportError::NotConnected(peer.to_owned());
        if peer != RELAY {
            return Err(not_connected());
        }
        // The socket the link is up on now: a frame never goes to the next
        // one, whose session starts afresh.
        let socket = self
            .inner
            .socket
            .borrow()
            .clone()
            .filter(|s| s.joined.get())
            .ok_or_else(not_connected)?;
        if socket.ended.get() || socket.ws.ready_state() != WebSocket::OPEN {
            return Err(not_connected());
        }
        if socket.outbox.may_send_now(socket.ws.buffered_amount()) {
            return socket
                .ws
                .send_with_u8_array(&frame)
                .map_err(|e| TransportError::Failed(tabs::dom_error_name(&e)));
        }
        // Never waits (see `crate::outbox`): the frame waits in the outbox,
        // or the relay, reading nothing, loses the socket (the next opens
        // after the longest backoff).
        if let Err(error) = socket.outbox.push(frame, self.inner.send_backlog.get()) {
            let _ = self.inner.events.unbounded_send(TransportEvent::Dropped {
                peer: RELAY.to_owned(),
                key: None,
                error: error.clone(),
            });
            self.inner.end(&socket, Some(MAX_BACKOFF_MS));
            return Err(error);
        }
        socket.drain();
        Ok(())
    }

    async fn next(&self) -> Option<TransportEvent> {
        // Cancel-safe: the count changes with the event taken, in one poll.
        let event = self.inner.incoming.lock().await.next().await;
        if let Some(TransportEvent::Frame(_, frame)) = &event {
            self.inner
                .queued
                .set(self.inner.queued.get().saturating_sub(frame.len()));
        }
        event
    }

    /// Drops the link (the node found the relay at fault): the next
    /// socket opens after the longest backoff.
    fn close(&self, peer: &str) {
        if peer != RELAY {
            return;
        }
        let socket = self.inner.socket.borrow().clone();
        if let Some(socket) = socket {
            self.inner.end(&socket, Some(MAX_BACKOFF_MS));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{join_message, relay_url};
    use wasm_bindgen_test::wasm_bindgen_test;

    #[wasm_bindgen_test]
    fn the_relay_is_found_next_to_the_signalling_endpoint() {
        assert_eq!(
            relay_url("ws://127.0.0.1:8080/signal"),
            "ws://127.0.0.1:8080/relay"
        );
        assert_eq!(
            relay_url("wss://example.org/trustfold/signal"),
            "wss://example.org/trustfold/relay"
        );
        assert_eq!(relay_url("wss://example.org"), "wss://example.org/relay");
        assert_eq!(
            relay_url("wss://example.org/ws?x=1"),
            "wss://example.org/relay"
        );
        assert_eq!(relay_url("ws://h:1/signal#f"), "ws://h:1/relay");
    }

    #[wasm_bindgen_test]
    fn the_join_message_is_the_contracts() {
        assert_eq!(
            join_message("our \"coop\"", false),
            r#"{"type":"join","room":"our \"coop\"","private":false}"#
        );
        let room = "ab".repeat(32);
        assert_eq!(
            join_message(&room, true),
            format!(r#"{{"type":"join","room":"{room}","private":true}}"#)
        );
    }
}

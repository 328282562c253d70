//! [`BrowserNode`]: one core [`Node`] over IndexedDB, run in a browser tab.
//!
//! The core decides; this runtime supplies what a tab has and the core must
//! not: the clock, randomness, timers (edits commit when the core's
//! [`Batching`] says so; snapshots are saved after a burst of changes; a new
//! sync round starts with every peer now and then), the tabs of this origin
//! (a writer lock, announcements), the links — WebRTC to other browsers and
//! the relay of the same server, driven as one transport ([`Pair`]) by one
//! [`Node::sync_over`] — and the subscribers that hear of every change. The
//! JS façade only translates to and from it.
//!
//! Longer than most files here: one `Inner` holds what every timer, link
//! and subscriber of a tab shares, and splitting its methods by theme
//! would spread one state's invariants over several files.

use crate::errors::WebError;
use crate::idb::IdbStore;
use crate::network::NetworkRef;
use crate::random::{KeyedStream, random};
use crate::relay::{RELAY, RelayLink, RelayNotice, RelayState, relay_url};
use crate::tabs::{self, Announcement, Tabs};
use crate::unload::{self, Leaving};
use crate::webrtc::WebRtc;
use crate::workers::Workers;
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use trustfold::relay::PublishedLimits;
use trustfold::snapshot::CachedState;
use trustfold::store::{Store, StoreError};
use trustfold::sync::{MeshLimits, Traffic};
use trustfold::transport::Pair;
use trustfold::{
    Batching, Body, Error, Event, EventId, Identity, Node, NodeError, OffThread, OpenReport,
    Policy, PublicKey, Received, Replica, Transfer, backup,
};
use trustfold::{
    DEFAULT_SIBLING_BACKLOG, DroppedPeers, MAX_SIBLING_BACKLOG, SiblingBacklog, SiblingNext,
};

/// Snapshots (see [`trustfold::snapshot`]) are saved this long after a
/// change, so a burst of changes saves once.
const SNAPSHOT_AFTER_MS: f64 = 2000.0;

/// The longest wait between retries of a commit that failed.
const MAX_RETRY_MS: f64 = 30_000.0;

/// How often the tab starts a new sync round with every linked peer: a
/// Bloom filter's false positive, or a head beyond the 64 a `Hello` names,
/// is repaired by the next round's fresh salt.
const RESYNC_MS: f64 = 60_000.0;
/// The highest link limit a page may set: each link costs a connection.
pub const MAX_LINK_LIMIT: usize = 32;
/// The highest connection budget: Chromium's own limit per page.
pub const MAX_CONNECTION_BUDGET: u32 = 500;
/// The lowest backlog a page may set for one peer's link: twice the sync
/// protocol's window (4 MiB), which an honest peer stays within.
pub const MIN_PEER_BACKLOG: usize = 8 << 20;
/// The highest backlog a page may set for one peer's link (all links
/// together hold 4 times it), and for one link's outbox.
pub const MAX_PEER_BACKLOG: usize = 256 << 20;
/// The lowest bound a page may set on one link's outbox: frames wait in
/// it only while the browser buffers over twice the sync protocol's
/// window, which an honest peer keeps a link within.
pub const MIN_SEND_BACKLOG: usize = 1 << 20;
/// How often lazy push's timer runs: asks for events announced by lazy
/// links that did not arrive by an eager one (`GossipLimits::want_after`,
/// 400 ms, is the wait; this is its resolution).
const GOSSIP_TICK_MS: f64 = 100.0;

/// When a tab commits document edits: 300 ms after the first pending one
/// (collaborators see text as it is typed), or at 500 edits.
const BATCHING: Batching = Batching {
    max_edits: 500,
    idle_ms: 300,
    max_delay_ms: 300,
};

/// Where a change came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// This tab.
    Local,
    /// Another tab of this origin.
    Tab,
    /// Another browser, over a WebRTC link.
    Peer,
}

/// A change of state, as subscribers hear it.
#[derive(Clone, Copy, Debug)]
pub struct Change {
    /// Where it came from.
    pub source: Source,
    /// Events applied (0 for a policy change or an uncommitted edit).
    pub events: usize,
}

/// Sync progress.
#[derive(Clone, Debug)]
pub struct SyncStatus {
    /// Events applied here.
    pub known: usize,
    /// Changes made with this identity that no peer or relay is known to
    /// hold yet ([`Node::unconfirmed`](trustfold::Node::unconfirmed)): what
    /// waits to be sent.
    pub unconfirmed: usize,
    /// Changes made with this identity that this node holds
    /// ([`Node::made`](trustfold::Node::made)).
    pub made: usize,
    /// Events received but waiting for parents not received yet.
    pub waiting: usize,
    /// Parents asked for.
    pub missing: usize,
    /// Peers linked (the relay is one).
    pub peers: usize,
    /// Links to other browsers kept at most.
    pub link_limit: usize,
    /// Peer connections created since the last `connect`.
    pub connections: u32,
    /// Peer connections it may still create: at 0 it links to no one new.
    pub connections_left: u32,
    /// Links whose network failed, repaired by an ICE restart on the same
    /// connection.
    pub ice_restarts: u32,
    /// Links this page closed to make room for a member that held none.
    pub rooms_made: u32,
    /// Bytes a peer's link holds unread at most (`set_peer_backlog`; all
    /// links together, [`all_links_backlog`](crate::all_links_backlog) of
    /// it): a peer that sends more is dropped.
    pub peer_backlog: usize,
    /// Bytes one link's outbox holds at most (`set_send_backlog`): a link
    /// whose peer takes in nothing past it is given up.
    pub send_backlog: usize,
    /// Peers dropped for what they sent, with why.
    pub dropped: DroppedPeers,
    /// The relay link.
    pub relay: RelayStatus,
    /// Other tabs' announcements waiting to be taken in.
    pub tab_backlog: TabBacklogStatus,
}

/// Other tabs' announcements waiting to be taken in (see [`SiblingBacklog`]).
#[derive(Clone, Debug)]
pub struct TabBacklogStatus {
    /// Bytes of events queued.
    pub bytes: usize,
    /// The most bytes queued (`set_tab_backlog`).
    pub limit: usize,
    /// Times the bound was hit: the queue was dropped and the shared store
    /// read instead (nothing is lost; the other tabs stored every event).
    pub overflows: u32,
}

/// The link to the relay.
#[derive(Clone, Debug)]
pub struct RelayStatus {
    /// `"none"` (not connected), `"connecting"`, `"open"` or `"closed"`
    /// (lost or refused; the link tries again by itself).
    pub state: &'static str,
    /// The code of the last error the relay reported.
    pub error: Option<String>,
    /// Events queued for the relay or not acknowledged by it yet, and
    /// one more while document edits wait to be committed into an event
    /// (0 while the link is down: there is no session to owe them to).
    pub unsent: usize,
    /// Sockets opened again after one was lost.
    pub reconnects: u32,
    /// What the relay said last since the link joined: a notice
    /// (`network_full`, `author_quota`) or the error that closed it.
    pub notice: Option<RelayNotice>,
    /// The limits the relay published when the link joined.
    pub limits: Option<PublishedLimits>,
}

/// A linked peer.
#[derive(Clone, Debug)]
pub struct PeerLink {
    /// Its connection id in the signalling room.
    pub id: String,
    /// The identity key that signed its offer or answer.
    pub key: Option<PublicKey>,
    /// What this link carried so far.
    pub traffic: Traffic,
    /// Events this node owes the peer (queued or not acknowledged).
    pub unsent: usize,
    /// Heads the peer announced that this node does not hold yet.
    pub heads_missing: usize,
}

type Subscriber = Rc<dyn Fn(&Change)>;

/// A node's links: WebRTC peers and the relay, as one transport.
type Links = Pair<WebRtc, RelayLink>;

/// A trustfold node in this browser tab. See the [module docs](self).
#[derive(Clone)]
pub struct BrowserNode {
    inner: Rc<Inner>,
}

struct Inner {
    node: Node<IdbStore>,
    network: NetworkRef,
    report: OpenReport,
    tabs: RefCell<Option<Tabs>>,
    subscribers: RefCell<Vec<(u32, Subscriber)>>,
    next_subscriber: Cell<u32>,
    commit_timer: Cell<bool>,
    /// Set by `close`: timers stop.
    closed: Cell<bool>,
    snapshot_due: Cell<bool>,
    /// Other tabs' announcements of events they stored, not taken in yet
    /// (bounded: see [`SiblingBacklog`]), and whether a task is taking them in.
    heard_events: RefCell<SiblingBacklog>,
    taking_in: Cell<bool>,
    /// The links to other browsers and to the relay, once connected.
    links: RefCell<Option<Rc<Links>>>,
    /// Sync salts, drawn from a seed taken at open: a round started from a
    /// timer never needs randomness that could fail mid-sync.
    salts: RefCell<KeyedStream>,
    /// The Web Workers that check large batches (`None`: the page does).
    workers: RefCell<Option<Rc<Workers>>>,
    /// Links to other browsers kept at most, from the next `connect`.
    link_limit: Cell<usize>,
    /// Peer connections one `connect` may create, from the next `connect`.
    connection_budget: Cell<u32>,
    /// Bytes one peer's link holds unread at most (`set_peer_backlog`).
    peer_backlog: Cell<usize>,
    /// Bytes one link's outbox holds at most (`set_send_backlog`).
    send_backlog: Cell<usize>,
    /// Listens for the page going away (see [`unload`]).
    leaving: RefCell<Option<Leaving>>,
    /// Where this tab keeps what it has not written as the page goes.
    kept_key: String,
    /// Kept records this node took in or wrote, removed once nothing
    /// waits to be written.
    kept_keys: RefCell<Vec<String>>,
}

/// Takes in what pages of `database` kept as they went ([`unload`]),
/// but the record under `own` (this tab's): the keys read, and why
/// events were refused.
fn take_in_kept(
    node: &Node<IdbStore>,
    database: &str,
    own: Option<&str>,
) -> (Vec<String>, Vec<String>) {
    let (mut keys, mut refused) = (Vec::new(), Vec::new());
    for (key, events) in unload::kept(database) {
        if Some(key.as_str()) == own {
            continue;
        }
        match events {
            Some(events) => refused.extend(
                node.adopt_unsaved(&events)
                    .refused
                    .into_iter()
                    .map(|why| format!("edits kept as a page closed: {why}")),
            ),
            None => refused.push("edits kept as a page closed do not read as events".into()),
        }
        keys.push(key);
    }
    (keys, refused)
}

/// A setting's value if `range` holds it, else `INVALID_ARGUMENT` saying
/// what it may be (`what` names it, `unit` follows the numbers).
fn within<T: PartialOrd + std::fmt::Display>(
    what: &str,
    value: T,
    range: std::ops::RangeInclusive<T>,
    unit: &str,
) -> Result<(), WebError> {
    if range.contains(&value) {
        return Ok(());
    }
    let (low, high) = range.into_inner();
    Err(WebError::Invalid(format!(
        "{what} is {low} to {high}{unit}, not {value}"
    )))
}

/// Every `ms`, sends what `frames` makes — while `transport` is the node's
/// links (weak: a reconnect starts loops of its own and these end).
fn every_while_linked(
    inner: &Rc<Inner>,
    transport: &Rc<Links>,
    ms: f64,
    frames: impl Fn(&Inner) -> trustfold::sync::Outgoing<String> + 'static,
) {
    let every = Rc::downgrade(inner);
    let mine = Rc::downgrade(transport);
    wasm_bindgen_futures::spawn_local(async move {
        loop {
            tabs::wait(ms).await;
            let Some(inner) = every.upgrade() else { return };
            let current = inner.links.borrow().clone();
            match current {
                Some(transport) if Rc::as_ptr(&transport) == mine.as_ptr() => {
                    let out = frames(&inner);
                    trustfold::send_all(&*transport, out).await;
                }
                _ => return,
            }
        }
    });
}

/// The milliseconds since 1970 of the tab's clock.
fn now() -> u64 {
    js_sys::Date::now() as u64
}

impl BrowserNode {
    /// Opens (or creates) the node of `network` — as `identity` when
    /// restoring one — and joins its tab channel.
    pub async fn open(
        network: &NetworkRef,
        identity: Option<Identity>,
    ) -> Result<BrowserNode, WebError> {
        if network.name().is_empty() {
            return Err(WebError::Invalid("network must not be empty".into()));
        }
        // Node::open draws twice (a new identity's secret, the documents'
        // session id): each draw must be fresh — the session id is
        // published, so repeating the secret there would leak it.
        let mut draws = KeyedStream::fresh()?;
        let salts = KeyedStream::fresh()?;
        let store = IdbStore::open(&network.database()).await?;
        let fresh = move || draws.next_bytes();
        let (node, mut report) =
            Node::open_in(store, network.invite().cloned(), identity, fresh).await?;
        node.replica_mut().set_batching(BATCHING);
        // What pages of this network kept as they went: written by the
        // first commit, before anything else.
        let (kept_keys, refused) = take_in_kept(&node, &network.database(), None);
        report.skipped.extend(refused);
        let inner = Rc::new(Inner {
            node,
            network: network.clone(),
            report,
            tabs: RefCell::new(None),
            subscribers: RefCell::new(Vec::new()),
            next_subscriber: Cell::new(0),
            commit_timer: Cell::new(false),
            closed: Cell::new(false),
            snapshot_due: Cell::new(false),
            heard_events: RefCell::new(SiblingBacklog::new(DEFAULT_SIBLING_BACKLOG)),
            taking_in: Cell::new(false),
            links: RefCell::new(None),
            salts: RefCell::new(salts),
            workers: RefCell::new(None),
            link_limit: Cell::new(MeshLimits::default().links),
            connection_budget: Cell::new(crate::webrtc::DEFAULT_CONNECTION_BUDGET),
            peer_backlog: Cell::new(crate::MAX_QUEUED),
            send_backlog: Cell::new(crate::DEFAULT_SEND_BACKLOG),
            leaving: RefCell::new(None),
            kept_key: unload::tab_key(&network.database()),
            kept_keys: RefCell::new(kept_keys),
        });
        inner.listen_for_leaving();
        if inner.node.unsaved() > 0 {
            inner.keep_committing();
        } else {
            inner.forget_kept_if_written();
        }
        inner.set_workers(Some(Workers::new(0)));
        if !inner.report.cached_state_current {
            inner.schedule_snapshot();
        }
        let weak: Weak<Inner> = Rc::downgrade(&inner);
        let tabs = Tabs::join(&network.database(), move |heard| {
            if let Some(inner) = weak.upgrade() {
                inner.heard(heard);
            }
        })?;
        *inner.tabs.borrow_mut() = Some(tabs);
        Ok(BrowserNode { inner })
    }

    /// Deletes everything this browser holds for `network` (every node of
    /// it must be closed first, else this waits for them).
    pub async fn forget(network: &NetworkRef) -> Result<(), WebError> {
        Ok(IdbStore::delete(&network.database()).await?)
    }

    /// The state as last saved for `network`, read without opening the node.
    pub async fn cached_state(network: &NetworkRef) -> Result<Option<CachedState>, WebError> {
        let store = IdbStore::open(&network.database()).await?;
        let state = Node::cached_state(&store).await;
        store.close();
        Ok(state?)
    }

    /// The core node (its replica answers every question about the state).
    pub fn node(&self) -> &Node<IdbStore> {
        &self.inner.node
    }

    /// The network this node is for.
    pub fn network(&self) -> &NetworkRef {
        &self.inner.network
    }

    /// What opening found.
    pub fn report(&self) -> &OpenReport {
        &self.inner.report
    }

    /// Calls `callback` after every change of state; returns what stops
    /// calling it (it does not keep the node alive).
    pub fn subscribe(&self, callback: impl Fn(&Change) + 'static) -> impl FnOnce() + 'static {
        let id = self.inner.next_subscriber.get();
        self.inner.next_subscriber.set(id + 1);
        let callback: Subscriber = Rc::new(callback);
        self.inner.subscribers.borrow_mut().push((id, callback));
        let weak = Rc::downgrade(&self.inner);
        move || {
            if let Some(inner) = weak.upgrade() {
                inner.subscribers.borrow_mut().retain(|(s, _)| *s != id);
            }
        }
    }

    /// Signs, stores, applies and announces a new event.
    pub async fn publish(&self, body: Body) -> Result<Event, WebError> {
        self.inner.publish(body).await
    }

    /// Pays back what is left of a payment made to this node (a reversal to
    /// its payer, referencing it).
    pub async fn pay_back(&self, payment: &EventId, memo: String) -> Result<Event, WebError> {
        let me = self.inner.node.identity().public_key();
        let reversal = self.inner.node.replica().reversal_of(payment, &me)?;
        self.inner
            .publish(Body::Transfer(Transfer { memo, ..reversal }))
            .await
    }

    /// Edits documents through the replica; the edits are committed when the
    /// core's batching says so, or by [`commit`](Self::commit).
    pub fn edit(
        &self,
        edit: impl FnOnce(&mut Replica) -> Result<(), Error>,
    ) -> Result<(), WebError> {
        edit(&mut self.inner.node.replica_mut())?;
        self.inner.edited();
        Ok(())
    }

    /// Signs, stores and announces pending document edits now; the number
    /// of events written.
    pub async fn commit(&self) -> Result<usize, WebError> {
        self.inner.commit(None).await
    }

    /// Changes this node's policy, starting from the stored one (another
    /// tab may have changed it), and tells the other tabs.
    pub async fn change_policy(&self, change: impl FnOnce(&mut Policy)) -> Result<(), WebError> {
        self.inner.change_policy(change).await
    }

    /// Takes in events from elsewhere (exact bytes): verified, the valid new
    /// ones stored in one write, applied and announced to the other tabs.
    pub async fn receive(&self, batch: &[&[u8]]) -> Result<Received, WebError> {
        let received = self.inner.node.receive_batch(batch).await?;
        if let Some(tabs) = self.inner.tabs.borrow().as_ref() {
            tabs.announce_events(&received.stored);
        }
        if received.applied > 0 {
            self.inner.notify(Source::Local, received.applied);
        }
        Ok(received)
    }

    /// Saves the snapshots now.
    pub async fn save_snapshots(&self) -> Result<(), WebError> {
        Ok(self.inner.node.save_snapshots(now()).await?)
    }

    /// Joins this network's room at the signalling server `url`
    /// (`ws://host/signal`) and syncs with the browsers found there, and
    /// with the relay of the same server (`ws://host/relay`, see
    /// [`relay_url`]). A relay that is absent or refuses only stays
    /// closed (trying again with backoff); the browsers' links work alike.
    pub fn connect(&self, url: &str) -> Result<(), WebError> {
        self.connect_with(url, &relay_url(url))
    }

    /// [`connect`](Self::connect) with the relay at `relay` instead of the
    /// signalling server's own.
    pub fn connect_with(&self, url: &str, relay: &str) -> Result<(), WebError> {
        if self.inner.links.borrow().is_some() {
            return Err(WebError::AlreadyConnected);
        }
        let network = &self.inner.network;
        let webrtc = WebRtc::join_within(
            url,
            &network.room(),
            self.inner.node.identity().clone(),
            network.link_keys(),
            MeshLimits {
                links: self.inner.link_limit.get(),
                ..MeshLimits::default()
            },
            self.inner.connection_budget.get(),
        )?;
        let backlog = self.inner.peer_backlog.get();
        webrtc.set_backlog(
            backlog,
            crate::all_links_backlog(backlog, self.inner.link_limit.get()),
        );
        webrtc.set_send_backlog(self.inner.send_backlog.get());
        // A private network joins the relay by its identity, as the room.
        let relay = match RelayLink::open(relay, &network.room(), network.invite().is_some()) {
            Ok(relay) => relay,
            Err(e) => {
                webrtc.leave();
                return Err(e);
            }
        };
        relay.set_backlog(backlog);
        relay.set_send_backlog(self.inner.send_backlog.get());
        let transport = Rc::new(Pair::new(webrtc, relay));
        // The relay stores for peers offline now: it gets every event in
        // full, never only its id.
        self.inner.node.pin_eager(RELAY);
        *self.inner.links.borrow_mut() = Some(transport.clone());
        // A catch-up may follow: the verifying workers load meanwhile.
        if let Some(workers) = self.inner.workers.borrow().as_ref() {
            workers.warm();
        }
        // Rounds now and then repair what was lost; lazy push's timer asks
        // for what was announced and did not come.
        every_while_linked(&self.inner, &transport, RESYNC_MS, |inner| {
            inner.node.resync_peers(|| inner.salt())
        });
        every_while_linked(&self.inner, &transport, GOSSIP_TICK_MS, |inner| {
            // What peers hold, once kept, is told to the other tabs, whose
            // count of what waits to be sent follows (a tab working offline
            // included).
            if let (Some(tops), Some(tabs)) = (
                inner.node.take_kept_confirmations(),
                inner.tabs.borrow().as_ref(),
            ) {
                tabs.announce_confirmed(&tops);
            }
            inner.node.tick_peers(now())
        });
        let inner = self.inner.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let heard = inner.clone();
            inner
                .node
                .sync_over(
                    &*transport,
                    || inner.salt(),
                    move |stored| {
                        if let Some(tabs) = heard.tabs.borrow().as_ref() {
                            tabs.announce_events(stored);
                        }
                        heard.notify(Source::Peer, stored.len());
                    },
                )
                .await;
        });
        Ok(())
    }

    /// The signalling connection: `"none"`, `"connecting"`, `"open"` or `"closed"`.
    pub fn signalling(&self) -> &'static str {
        self.inner
            .links
            .borrow()
            .as_ref()
            .map_or("none", |t| t.first().signalling_state())
    }

    /// The relay link: its state, the last error the relay reported, and
    /// how far behind it is.
    pub fn relay(&self) -> RelayStatus {
        let links = self.inner.links.borrow();
        let Some(relay) = links.as_ref().map(|t| t.second()) else {
            return RelayStatus {
                state: "none",
                error: None,
                unsent: 0,
                reconnects: 0,
                notice: None,
                limits: None,
            };
        };
        RelayStatus {
            state: relay.state().as_str(),
            error: relay.last_error().map(|e| e.code),
            unsent: match relay.state() {
                RelayState::Open => {
                    // Edits not committed yet become an event shortly: owed
                    // too, or the page would say "saved" with an edit in hand.
                    let uncommitted = self.inner.node.replica().pending_edits() > 0;
                    self.inner.node.unsent(RELAY).unwrap_or(0) + usize::from(uncommitted)
                }
                _ => 0,
            },
            reconnects: relay.reconnects(),
            notice: relay.notice(),
            limits: relay.limits(),
        }
    }

    /// Leaves the signalling room, closes every peer link and the relay link.
    pub fn disconnect(&self) {
        if let Some(transport) = self.inner.links.borrow_mut().take() {
            transport.first().leave();
            transport.second().stop();
        }
    }

    /// The peers linked now (the relay is one, `"relay"`, without a key).
    pub fn peers(&self) -> Vec<PeerLink> {
        let transport = self.inner.links.borrow().clone();
        let node = &self.inner.node;
        // Every connected peer has counters (both come from one table,
        // read without an await between).
        self.browsers()
            .into_iter()
            .filter_map(|id| {
                Some(PeerLink {
                    key: transport.as_ref().and_then(|t| t.first().key_of(&id)),
                    traffic: node.traffic(&id)?,
                    unsent: node.unsent(&id)?,
                    heads_missing: node.heads_missing(&id)?,
                    id,
                })
            })
            .collect()
    }

    /// The browsers linked now: every connected peer but the relay, which
    /// is its own line ([`relay`](Self::relay)).
    fn browsers(&self) -> Vec<String> {
        let mut peers = self.inner.node.connected_peers();
        peers.retain(|id| id != crate::relay::RELAY);
        peers
    }

    /// Sync progress.
    pub fn sync_status(&self) -> SyncStatus {
        let node = &self.inner.node;
        let links = self.inner.links.borrow();
        let webrtc = links.as_ref().map(|t| t.first());
        SyncStatus {
            known: node.replica().log().len(),
            unconfirmed: node.unconfirmed(),
            made: node.made(),
            waiting: node.orphans(),
            missing: node.missing_parents(),
            peers: self.browsers().len(),
            link_limit: self.inner.link_limit.get(),
            connections: webrtc.map_or(0, |w| w.connections_created()),
            ice_restarts: webrtc.map_or(0, |w| w.ice_restarts()),
            rooms_made: webrtc.map_or(0, |w| w.rooms_made()),
            peer_backlog: self.inner.peer_backlog.get(),
            send_backlog: self.inner.send_backlog.get(),
            dropped: node.dropped_peers(),
            connections_left: webrtc
                .map_or(self.inner.connection_budget.get(), |w| w.connections_left()),
            relay: self.relay(),
            tab_backlog: {
                let backlog = self.inner.heard_events.borrow();
                TabBacklogStatus {
                    bytes: backlog.bytes(),
                    limit: backlog.limit(),
                    overflows: backlog.overflows(),
                }
            },
        }
    }

    /// Queues at most `bytes` of other tabs' announcements (1 to
    /// [`MAX_SIBLING_BACKLOG`]; [`DEFAULT_SIBLING_BACKLOG`] by default). Past it the
    /// queue is dropped and the shared store read instead.
    pub fn set_tab_backlog(&self, bytes: usize) -> Result<(), WebError> {
        within("a tab backlog", bytes, 1..=MAX_SIBLING_BACKLOG, " bytes")?;
        self.inner.heard_events.borrow_mut().set_limit(bytes);
        Ok(())
    }

    /// Lets one `connect` create at most `budget` peer connections (1 to
    /// [`MAX_CONNECTION_BUDGET`]), from the next `connect`.
    pub fn set_connection_budget(&self, budget: u32) -> Result<(), WebError> {
        within("a connection budget", budget, 1..=MAX_CONNECTION_BUDGET, "")?;
        self.inner.connection_budget.set(budget);
        Ok(())
    }

    /// Holds at most `bytes` ([`MIN_PEER_BACKLOG`] to [`MAX_PEER_BACKLOG`];
    /// [`MAX_QUEUED`](crate::MAX_QUEUED) by default) of what one browser,
    /// or the relay, sent and this page has not taken in yet, and
    /// [`all_links_backlog`](crate::all_links_backlog) of it from all
    /// browsers, from now on: a peer that sends more is dropped
    /// (`sync_status().dropped`).
    pub fn set_peer_backlog(&self, bytes: usize) -> Result<(), WebError> {
        within(
            "a peer backlog",
            bytes,
            MIN_PEER_BACKLOG..=MAX_PEER_BACKLOG,
            " bytes",
        )?;
        self.inner.peer_backlog.set(bytes);
        if let Some(links) = self.inner.links.borrow().as_ref() {
            let all = crate::all_links_backlog(bytes, links.first().links().1);
            links.first().set_backlog(bytes, all);
            links.second().set_backlog(bytes);
        }
        Ok(())
    }

    /// Holds at most `bytes` ([`MIN_SEND_BACKLOG`] to [`MAX_PEER_BACKLOG`];
    /// [`DEFAULT_SEND_BACKLOG`](crate::DEFAULT_SEND_BACKLOG) by default) of
    /// frames waiting to go on one link, to a browser or the relay, from
    /// now on: a link whose peer takes in nothing of what it is sent past
    /// that is given up (`sync_status().dropped`, `send_backlog_exceeded`)
    /// and linked again later. An honest peer keeps a link within the sync
    /// protocol's window (4 MiB): frames wait only once the browser
    /// buffers twice that.
    pub fn set_send_backlog(&self, bytes: usize) -> Result<(), WebError> {
        within(
            "a send backlog",
            bytes,
            MIN_SEND_BACKLOG..=MAX_PEER_BACKLOG,
            " bytes",
        )?;
        self.inner.send_backlog.set(bytes);
        if let Some(links) = self.inner.links.borrow().as_ref() {
            links.first().set_send_backlog(bytes);
            links.second().set_send_backlog(bytes);
        }
        Ok(())
    }

    /// Keeps at most `links` links to other browsers (1 to
    /// [`MAX_LINK_LIMIT`]), from the next `connect`: fewer links cost less
    /// work; each still gets every event (lazy push).
    pub fn set_link_limit(&self, links: u32) -> Result<(), WebError> {
        within("a link limit", links as usize, 1..=MAX_LINK_LIMIT, "")?;
        self.inner.link_limit.set(links as usize);
        Ok(())
    }

    /// Checks batches of at least `OFF_THREAD_MIN` events in `count` Web
    /// Workers from now on; 0 checks them on the page's thread. A node
    /// opens with one worker per core (at most 8), started at its first
    /// such batch.
    pub fn set_verify_workers(&self, count: u32) {
        self.inner
            .set_workers((count > 0).then(|| Workers::new(count)));
    }

    /// What the verifying workers did, if the node has them.
    pub fn verify_workers(&self) -> Option<wasm_bindgen::JsValue> {
        self.inner.workers.borrow().as_ref().map(|w| w.report())
    }

    /// Leaves the tab channel and the signalling room, closes peer links,
    /// the relay link, the database and the verifying workers.
    pub fn close(&self) {
        // What is not written yet is kept for the next open, as when the
        // page goes away.
        self.inner.keep_for_unload();
        self.inner.leaving.borrow_mut().take();
        self.inner.set_workers(None);
        self.inner.closed.set(true);
        self.disconnect();
        self.inner.tabs.borrow_mut().take();
        self.inner.node.store().close();
    }

    /// This node's identity, encrypted under `passphrase`.
    pub fn export_backup(&self, passphrase: &str) -> Result<Vec<u8>, WebError> {
        if passphrase.is_empty() {
            return Err(WebError::Invalid("passphrase must not be empty".into()));
        }
        let identity = self.inner.node.identity();
        // A private network's backup carries its invite: restoring it on a
        // new device is joining again. An open network's stays version 1,
        // which every deployed build opens.
        Ok(match self.inner.network.invite() {
            Some(invite) => backup::export_backup_with(
                identity,
                std::slice::from_ref(invite),
                passphrase,
                random::<40>()?,
            )?,
            None => backup::export_backup(identity, passphrase, random::<40>()?)?,
        })
    }
}

impl Inner {
    /// Replaces the verifying workers (the old ones stop).
    fn set_workers(&self, workers: Option<Workers>) {
        let workers = workers.map(Rc::new);
        let off_thread = workers.clone().map(|w| w as Rc<dyn OffThread>);
        self.node.verify_off_thread(off_thread);
        *self.workers.borrow_mut() = workers;
    }

    /// The next sync round's salt.
    fn salt(&self) -> [u8; 16] {
        self.salts.borrow_mut().next_array()
    }

    /// Saves the snapshots soon (once for a burst of changes).
    fn schedule_snapshot(self: &Rc<Self>) {
        if self.snapshot_due.replace(true) {
            return;
        }
        let inner = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            tabs::wait(SNAPSHOT_AFTER_MS).await;
            inner.snapshot_due.set(false);
            // A snapshot is a cache: failing to save one loses nothing.
            let _ = inner.node.save_snapshots(now()).await;
        });
    }

    fn notify(self: &Rc<Self>, source: Source, events: usize) {
        self.schedule_snapshot();
        let change = Change { source, events };
        let subscribers: Vec<Subscriber> = self
            .subscribers
            .borrow()
            .iter()
            .map(|(_, f)| f.clone())
            .collect();
        for callback in subscribers {
            callback(&change);
        }
    }

    /// Takes in what other tabs announced, unless a task is at it.
    fn take_in_heard(self: &Rc<Self>) {
        if self.taking_in.replace(true) {
            return;
        }
        // One task at a time, in the order heard, pausing between
        // slices: a batch of thousands taken in at once held this
        // page for as long as it cost.
        let inner = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                if inner.closed.get() {
                    inner.heard_events.borrow_mut().clear();
                    break;
                }
                let next = inner.heard_events.borrow_mut().pop();
                let taken = match next {
                    None => break,
                    Some(SiblingNext::Events(list)) => inner.node.load_stored_all(&list).await,
                    Some(SiblingNext::Store) => match inner.node.take_in_store().await {
                        Ok(taken) => {
                            inner.heard_events.borrow_mut().read_done(taken.read_bytes);
                            taken
                        }
                        // Asked for again after a wait, which this
                        // task does not hold: a write waits for the
                        // task (`caught_up_with_tabs`).
                        Err(_) => {
                            let ms = inner.heard_events.borrow_mut().read_failed();
                            let again = inner.clone();
                            wasm_bindgen_futures::spawn_local(async move {
                                tabs::wait(ms as f64).await;
                                again.heard_events.borrow_mut().wait_over();
                                again.take_in_heard();
                            });
                            break;
                        }
                    },
                };
                // Another tab's events reach this tab's peers too.
                inner.push_to_peers(&taken.new);
                if taken.applied > 0 {
                    inner.notify(Source::Tab, taken.applied);
                }
            }
            inner.taking_in.set(false);
        });
    }

    fn heard(self: &Rc<Self>, announcement: Announcement) {
        match announcement {
            Announcement::Events(list) => {
                self.heard_events.borrow_mut().push(list);
                self.take_in_heard();
            }
            Announcement::Confirmed(tops) => {
                if self.node.hold_kept_elsewhere(&tops) {
                    self.notify(Source::Tab, 0);
                }
            }
            Announcement::Policy => {
                let inner = self.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if inner.node.reload_policy().await.is_ok() {
                        inner.notify(Source::Tab, 0);
                    }
                });
            }
        }
    }

    fn announce(self: &Rc<Self>, events: &[Event]) {
        if let Some(tabs) = self.tabs.borrow().as_ref() {
            tabs.announce_events(events);
        }
        self.push_to_peers(events);
        self.notify(Source::Local, events.len());
    }

    /// Sends events made here to the connected peers.
    fn push_to_peers(&self, events: &[Event]) {
        let Some(transport) = self.links.borrow().clone() else {
            return;
        };
        let frames = self.node.push_to_peers(events);
        if !frames.is_empty() {
            wasm_bindgen_futures::spawn_local(async move {
                trustfold::send_all(&*transport, frames).await;
            });
        }
    }

    /// Waits until what other tabs announced so far is taken in. A write
    /// signs on top of this tab's view of its own chain: behind a queue
    /// that lags, it would read the whole store to catch up (one long
    /// task, the events then never reaching this tab's peers) and draft
    /// against a stale view.
    async fn caught_up_with_tabs(&self) {
        while self.taking_in.get() {
            self.node.store().pause().await;
        }
    }

    async fn publish(self: &Rc<Self>, body: Body) -> Result<Event, WebError> {
        self.caught_up_with_tabs().await;
        let published = {
            let _lock = tabs::writer_lock(&self.network.writer_lock()).await?;
            self.node.publish(now(), body).await
        };
        // Edits stored on the way are announced even when the new event
        // failed: they are stored and applied.
        let mut stored = self.node.take_recovered();
        let event = published.inspect(|event| stored.push(event.clone()));
        if !stored.is_empty() {
            self.announce(&stored);
        }
        Ok(event?)
    }

    /// Commits pending edits: all of them (`due: None`), or only if the
    /// core's batching says they are due at that time.
    async fn commit(self: &Rc<Self>, due: Option<u64>) -> Result<usize, WebError> {
        self.caught_up_with_tabs().await;
        let events = {
            let _lock = tabs::writer_lock(&self.network.writer_lock()).await?;
            match due {
                Some(time) => self.node.commit_if_due(time).await?,
                None => self.node.commit(now()).await?,
            }
        };
        if !events.is_empty() {
            self.announce(&events);
        }
        self.forget_kept_if_written();
        Ok(events.len())
    }

    /// Listens for the page going away: what is not written is kept
    /// ([`unload`]); a hidden page writes at once (it may not get another
    /// chance).
    fn listen_for_leaving(self: &Rc<Self>) {
        let (going, back, hidden) = (
            Rc::downgrade(self),
            Rc::downgrade(self),
            Rc::downgrade(self),
        );
        let elsewhere = Rc::downgrade(self);
        let leaving = Leaving::listen(
            &self.network.database(),
            move || going.upgrade().is_none_or(|inner| inner.keep_for_unload()),
            move || {
                if let Some(inner) = back.upgrade() {
                    // Back from the back-forward cache: this page writes
                    // what it kept itself.
                    unload::forget(&inner.kept_key);
                    inner
                        .kept_keys
                        .borrow_mut()
                        .retain(|k| *k != inner.kept_key);
                    inner.keep_committing();
                }
            },
            // Another tab of this browser kept what it had not written as
            // it went: this one writes it now, not at its next reload.
            move || {
                let Some(inner) = elsewhere.upgrade() else {
                    return;
                };
                if inner.closed.get() {
                    return;
                }
                let database = inner.network.database();
                let (keys, _) = take_in_kept(&inner.node, &database, Some(&inner.kept_key));
                let mut kept = inner.kept_keys.borrow_mut();
                for key in keys {
                    if !kept.contains(&key) {
                        kept.push(key);
                    }
                }
                drop(kept);
                if inner.node.unsaved() > 0 {
                    inner.keep_committing();
                }
            },
            move || {
                let Some(inner) = hidden.upgrade() else {
                    return;
                };
                if inner.closed.get()
                    || (inner.node.replica().pending_edits() == 0 && inner.node.unsaved() == 0)
                {
                    return;
                }
                wasm_bindgen_futures::spawn_local(async move {
                    // A failure leaves the edits to the commit loop.
                    let _ = inner.commit(None).await;
                });
            },
        );
        *self.leaving.borrow_mut() = Some(leaving);
    }

    /// Signs what is pending and keeps every own event not written yet
    /// under this tab's key; true if nothing unwritten is left unkept.
    fn keep_for_unload(self: &Rc<Self>) -> bool {
        if self.closed.get() {
            return true;
        }
        let events = match self.node.sign_for_unload(now()) {
            Ok(events) => events,
            Err(_) => return false,
        };
        if events.is_empty() {
            return true;
        }
        // If the page stays after all, they are written as usual.
        self.keep_committing();
        if !unload::keep(&self.kept_key, &events) {
            return false;
        }
        // This tab's record holds every event it took in from the others
        // (its unsaved events): theirs go, so a page reloaded again and
        // again while writes fail keeps each event once, not twice more
        // each time.
        let mut keys = self.kept_keys.borrow_mut();
        for key in keys.drain(..) {
            if key != self.kept_key {
                unload::forget(&key);
            }
        }
        keys.push(self.kept_key.clone());
        true
    }

    /// Removes the kept records once nothing waits to be written.
    fn forget_kept_if_written(&self) {
        if self.node.unsaved() > 0 {
            return;
        }
        for key in self.kept_keys.borrow_mut().drain(..) {
            unload::forget(&key);
        }
    }

    /// After a local edit: tell subscribers, and check again until the
    /// core's batching commits the pending edits and they are written.
    fn edited(self: &Rc<Self>) {
        self.notify(Source::Local, 0);
        // Starts the clock of the batching policy at this edit.
        self.node.replica_mut().commit_due(now());
        self.keep_committing();
    }

    /// Commits, on a timer, until no edit is pending and nothing waits to
    /// be written.
    fn keep_committing(self: &Rc<Self>) {
        if self.commit_timer.replace(true) {
            return;
        }
        // Weak: a closed or dropped node ends the loop, and the loop never
        // keeps a node alive.
        let weak = Rc::downgrade(self);
        wasm_bindgen_futures::spawn_local(async move {
            let mut wait = BATCHING.idle_ms.min(BATCHING.max_delay_ms) as f64;
            loop {
                tabs::wait(wait).await;
                let Some(inner) = weak.upgrade() else { return };
                let pending = inner.node.replica().pending_edits() > 0;
                // Signed but not written (a failed write): written before
                // anything else, on the next commit.
                let unsaved = inner.node.unsaved() > 0;
                if inner.closed.get() || (!pending && !unsaved) {
                    inner.commit_timer.set(false);
                    return;
                }
                let due = if unsaved { None } else { Some(now()) };
                match inner.commit(due).await {
                    Ok(_) => wait = BATCHING.idle_ms.min(BATCHING.max_delay_ms) as f64,
                    Err(WebError::Node(NodeError::Store(StoreError::Closed))) => {
                        inner.commit_timer.set(false);
                        return;
                    }
                    // The edits stay (in their documents, or signed and
                    // unsaved); try again later, less often, and let the
                    // page know its edits are not saved yet.
                    Err(_) => {
                        wait = (wait * 2.0).min(MAX_RETRY_MS);
                        inner.notify(Source::Local, 0);
                    }
                }
            }
        });
    }

    async fn change_policy(
        self: &Rc<Self>,
        change: impl FnOnce(&mut Policy),
    ) -> Result<(), WebError> {
        {
            let _lock = tabs::writer_lock(&self.network.writer_lock()).await?;
            // Another tab may have changed it: start from the stored policy.
            self.node.reload_policy().await?;
            let mut policy = self.node.replica().view().policy().clone();
            change(&mut policy);
            self.node.set_policy(policy).await?;
        }
        if let Some(tabs) = self.tabs.borrow().as_ref() {
            tabs.announce_policy();
        }
        self.notify(Source::Local, 0);
        Ok(())
    }
}

//! The JavaScript façade: translation only.
//!
//! Every method converts its arguments, calls the [`Node`](crate::Node) or
//! its [`Replica`](crate::Replica), and converts the result: keys and ids as
//! hex strings, amounts and balances as `bigint`, I/O as promises, errors as
//! JS `Error`s carrying a stable `code` ([`errors`]). Arguments arrive as
//! plain JS values and are checked here, so a call with a wrong type is an
//! `INVALID_ARGUMENT` error rather than a silent coercion. Plain data goes
//! out through `serde-wasm-bindgen` as the shapes in [`types`], which the
//! TypeScript definitions below describe. Tabs: see [`tabs`].

mod errors;
mod tabs;
#[cfg(test)]
mod tests;
mod text;
mod types;

use crate::backup;
use crate::event::{Body, Event, EventId, PublicKey, Statement, Transfer, TrustLevel};
use crate::node::{Node, OpenReport};
use crate::snapshot::CachedState;
use crate::store::IdbStore;
use crate::{Policy, Scalar};
use errors::{JsResult, invalid};
use js_sys::{Object, Reflect};
use std::cell::{Cell, RefCell};
use std::rc::{Rc, Weak};
use tabs::{Announcement, Tabs};
use wasm_bindgen::prelude::*;

/// Pending document edits are committed (signed, stored, announced) this
/// long after the first of them, unless `commit()` comes first.
const COMMIT_AFTER_MS: f64 = 300.0;
/// Snapshots (see [`crate::snapshot`]) are saved this long after a change,
/// so a burst of changes saves once.
const SNAPSHOT_AFTER_MS: f64 = 2000.0;

/// How often the page starts a new sync round with every linked peer.
const RESYNC_MS: f64 = 60_000.0;

/// Fresh randomness for a sync round's filter.
fn fresh_salt() -> [u8; 16] {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the browser's crypto.getRandomValues");
    salt
}
#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A balance of one account in one unit. */
export interface Balance { account: string; unit: string; balance: bigint }
/** Why a statement about an event counts or not in this view. */
export type Verdict = "counted" | "untrusted" | "authorBanned" | "retracted" | "excluded";
/** Whether an event counts here. */
export type Status = "included" | "excluded" | "authorBanned";
/** An exclusion or dispute naming an event, with its verdict here. */
export interface Contest { statement: string; author: string; dispute: boolean; reason: string; verdict: Verdict }
/** A transfer touching an account. */
export interface Movement { event: string; counterparty: string; delta: bigint; cappedFrom: bigint | null; counted: boolean; status: Status; contests: Contest[] }
/** Why an account has its balance. */
export interface Explanation { account: string; unit: string; balance: bigint; counted: Movement[]; notCounted: Movement[] }
/** A negative balance and why. */
export interface Debt { account: string; unit: string; amount: bigint; explanation: Explanation }
/** A transfer with its status in this view and, if it does not count, why. */
export interface Transaction {
  event: string; from: string; to: string; amount: bigint; unit: string; memo: string;
  /** Milliseconds since 1970 as the payer's clock said. */
  time: number;
  /** The transfer this one reverses, if any. */
  reverses: string | null;
  status: Status; reason: string; contests: Contest[];
}
/** Proof that an author signed two events with one sequence number. */
export interface Fork { author: string; seq: number; first: string; second: string }
/** Digests of the view, to compare with a peer's. */
export interface ViewDigest { included: string; state: string }
/** A published trust statement: `author` says `subject` is trusted, neutral or banned. */
export interface TrustStatement { event: string; author: string; subject: string; level: "trusted" | "neutral" | "banned"; time: number }
/** This node's policy. */
export interface PolicyView { me: string; trusted: string[]; banned: string[]; quorum: number; followBans: boolean }
/** Another policy, to compare views with: `me` is its viewer (default: this node). */
export interface PolicyInput { me?: string; trusted?: string[]; banned?: string[]; quorum?: number; followBans?: boolean }
/** An event one view counts and the other does not. */
export interface Difference { event: string; kind: string; status: Status; reason: string }
/** What my view counts that the other does not, and the reverse. */
export interface Comparison { onlyMine: Difference[]; onlyTheirs: Difference[] }
/** A value a field can be set to. */
export type Scalar = string | number | boolean | null;
/** A field's value: a scalar, collaborative text, or something this API does not write. */
export type FieldValue = Scalar | { text: string } | { unsupported: string };
/** A field: the value that wins and the concurrent values that lost. */
export interface Field { value: FieldValue; conflicts: FieldValue[] }
/** A record of a collection. */
export interface DocRecord { id: string; fields: { [name: string]: Field } }
/** What changed: "local" (this tab), "tab" (another tab), "peer" (another browser); `events` applied. */
export interface Change { source: "local" | "tab" | "peer"; events: number }
/** Sync progress: events applied here, received but waiting for parents, parents asked for, peers linked. */
export interface SyncStatus { known: number; waiting: number; missing: number; peers: number }
/** A linked peer: its connection id in the room, the key that signed its offer or answer, and this link's traffic so far. */
export interface Peer { id: string; key: string | null; eventsSent: number; eventsReceived: number; bytesSent: number; bytesReceived: number }
/** An event `receive` refused: its index in the batch, a stable code, why. */
export interface Refused { index: number; code: string; message: string }
/** What `receive` did: events new to this node stored, events applied, events refused. */
export interface ReceiveReport { stored: number; applied: number; refused: Refused[] }
/** What opening found: events loaded, damaged records skipped. */
export interface OpenReport { events: number; skipped: string[]; newIdentity: boolean }
/** Errors thrown by trustfold carry a stable code. */
export interface TrustfoldError extends Error { code: string }
"#;

/// A trustfold node in this browser tab. See the [module docs](self).
#[wasm_bindgen(js_name = TrustfoldNode)]
pub struct JsNode {
    inner: Rc<Inner>,
}

/// The state shared with the tab channel's message handler.
struct Inner {
    node: Node<IdbStore>,
    lock: String,
    tabs: RefCell<Option<Tabs>>,
    subscribers: RefCell<Vec<(u32, js_sys::Function)>>,
    next_subscriber: Cell<u32>,
    commit_due: Cell<bool>,
    snapshot_due: Cell<bool>,
    report: OpenReport,
    network: String,
    /// The WebRTC links to other browsers, once `connect` was called.
    webrtc: RefCell<Option<crate::transport::WebRtc>>,
}

fn now() -> u64 {
    js_sys::Date::now() as u64
}

fn fresh_secret() -> [u8; 32] {
    let mut secret = [0u8; 32];
    // Without secure randomness there is no safe identity: fail loudly.
    getrandom::fill(&mut secret).expect("the browser's crypto.getRandomValues");
    secret
}

fn string(value: &JsValue, what: &str) -> JsResult<String> {
    value
        .as_string()
        .ok_or_else(|| invalid(&format!("{what} must be a string")))
}

fn key(value: &JsValue, what: &str) -> JsResult<PublicKey> {
    PublicKey::from_hex(&string(value, what)?)
        .ok_or_else(|| invalid(&format!("{what} is not a 64-hex-digit key")))
}

fn event_id(value: &JsValue, what: &str) -> JsResult<EventId> {
    EventId::from_hex(&string(value, what)?)
        .ok_or_else(|| invalid(&format!("{what} is not a 64-hex-digit event id")))
}

/// A whole number ≥ 0 given as a `bigint` or a safe integer `number`.
fn count(value: &JsValue, what: &str) -> JsResult<u64> {
    if value.is_bigint() {
        return u64::try_from(js_sys::BigInt::unchecked_from_js_ref(value).clone())
            .map_err(|_| invalid(&format!("{what} must fit in 64 bits and not be negative")));
    }
    match value.as_f64() {
        Some(n) if n >= 0.0 && n.fract() == 0.0 && n <= 9_007_199_254_740_991.0 => Ok(n as u64),
        _ => Err(invalid(&format!(
            "{what} must be a whole number ≥ 0 (a bigint or a safe integer)"
        ))),
    }
}

fn optional_string(value: &JsValue, what: &str) -> JsResult<String> {
    if value.is_undefined() || value.is_null() {
        Ok(String::new())
    } else {
        string(value, what)
    }
}

fn scalar(value: &JsValue) -> JsResult<Scalar> {
    if value.is_null() || value.is_undefined() {
        Ok(Scalar::Null)
    } else if let Some(b) = value.as_bool() {
        Ok(Scalar::Bool(b))
    } else if let Some(n) = value.as_f64() {
        Ok(Scalar::Number(n))
    } else if let Some(s) = value.as_string() {
        Ok(Scalar::Str(s))
    } else {
        Err(invalid(
            "a field value must be a string, number, boolean or null",
        ))
    }
}

/// The identity a backup holds, opened with `passphrase`.
fn identity_in(backup: &JsValue, passphrase: &JsValue) -> JsResult<crate::Identity> {
    let Some(bytes) = backup.dyn_ref::<js_sys::Uint8Array>() else {
        return Err(invalid("backup must be a Uint8Array"));
    };
    let passphrase = string(passphrase, "passphrase")?;
    backup::import_backup(&bytes.to_vec(), &passphrase).map_err(errors::backup)
}

impl Inner {
    /// Opens the node of `network` (as `identity`, if restoring one) and joins its tab channel.
    async fn open(network: &JsValue, identity: Option<crate::Identity>) -> JsResult<Rc<Inner>> {
        let network = string(network, "network")?;
        if network.is_empty() {
            return Err(invalid("network must not be empty"));
        }
        let store = IdbStore::open(&format!("trustfold-{network}"))
            .await
            .map_err(errors::store)?;
        let opened = match identity {
            Some(identity) => Node::open_as(store, identity, fresh_secret).await,
            None => Node::open(store, fresh_secret).await,
        };
        let (node, report) = opened.map_err(errors::node)?;
        let inner = Rc::new(Inner {
            node,
            lock: format!("trustfold-{network}-writer"),
            tabs: RefCell::new(None),
            subscribers: RefCell::new(Vec::new()),
            next_subscriber: Cell::new(0),
            commit_due: Cell::new(false),
            snapshot_due: Cell::new(false),
            report,
            network: network.clone(),
            webrtc: RefCell::new(None),
        });
        if !inner.report.cached_state_current {
            inner.schedule_snapshot();
        }
        let weak: Weak<Inner> = Rc::downgrade(&inner);
        let tabs = Tabs::join(&format!("trustfold-{network}"), move |heard| {
            if let Some(inner) = weak.upgrade() {
                inner.heard(heard);
            }
        })?;
        *inner.tabs.borrow_mut() = Some(tabs);
        Ok(inner)
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

    fn notify(self: &Rc<Self>, source: &str, events: usize) {
        self.schedule_snapshot();
        let change = Object::new();
        let _ = Reflect::set(&change, &"source".into(), &source.into());
        let _ = Reflect::set(&change, &"events".into(), &(events as f64).into());
        let subscribers: Vec<_> = self
            .subscribers
            .borrow()
            .iter()
            .map(|(_, f)| f.clone())
            .collect();
        for callback in subscribers {
            // A subscriber that throws must not stop the others.
            let _ = callback.call1(&JsValue::NULL, &change);
        }
    }

    fn heard(self: &Rc<Self>, announcement: Announcement) {
        match announcement {
            Announcement::Events(list) => {
                let mut applied = 0;
                let mut new = Vec::new();
                for bytes in &list {
                    if let Ok(insertion) = self.node.load_stored(bytes) {
                        applied += insertion.applied.len();
                        if !insertion.applied.is_empty()
                            && let Ok(event) = Event::from_own_store(bytes)
                        {
                            new.push(event);
                        }
                    }
                }
                // Another tab's events reach this tab's peers too.
                self.push_to_peers(&new);
                if applied > 0 {
                    self.notify("tab", applied);
                }
            }
            Announcement::Policy => {
                let inner = self.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if inner.node.reload_policy().await.is_ok() {
                        inner.notify("tab", 0);
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
        self.notify("local", events.len());
    }

    /// Sends events made here to the connected peers.
    fn push_to_peers(&self, events: &[Event]) {
        let Some(transport) = self.webrtc.borrow().clone() else {
            return;
        };
        let frames = self.node.push_to_peers(events);
        if !frames.is_empty() {
            wasm_bindgen_futures::spawn_local(async move {
                crate::node::send_all(&transport, frames).await;
            });
        }
    }

    async fn publish(self: &Rc<Self>, body: Body) -> JsResult<String> {
        let event = {
            let _lock = tabs::writer_lock(&self.lock).await?;
            self.node.publish(now(), body).await.map_err(errors::node)?
        };
        self.announce(std::slice::from_ref(&event));
        Ok(event.id().to_hex())
    }

    async fn commit(self: &Rc<Self>) -> JsResult<usize> {
        self.commit_due.set(false);
        let events = {
            let _lock = tabs::writer_lock(&self.lock).await?;
            self.node.commit(now()).await.map_err(errors::node)?
        };
        if !events.is_empty() {
            self.announce(&events);
        }
        Ok(events.len())
    }

    /// After a local edit: tell subscribers, and commit soon.
    fn edited(self: &Rc<Self>) {
        self.notify("local", 0);
        if self.commit_due.replace(true) {
            return;
        }
        let inner = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            tabs::wait(COMMIT_AFTER_MS).await;
            if inner.commit_due.get() {
                // A failed automatic commit keeps the edits; the next commit retries.
                let _ = inner.commit().await;
            }
        });
    }

    async fn change_policy(self: &Rc<Self>, change: impl FnOnce(&mut Policy)) -> JsResult<()> {
        {
            let _lock = tabs::writer_lock(&self.lock).await?;
            // Another tab may have changed it: start from the stored policy.
            self.node.reload_policy().await.map_err(errors::node)?;
            let mut policy = self.node.replica().view().policy().clone();
            change(&mut policy);
            self.node.set_policy(policy).await.map_err(errors::node)?;
        }
        if let Some(tabs) = self.tabs.borrow().as_ref() {
            tabs.announce_policy();
        }
        self.notify("local", 0);
        Ok(())
    }
}

/// The state as last saved: see `TrustfoldNode.cachedState`.
#[wasm_bindgen(js_name = CachedState)]
pub struct JsCachedState {
    state: CachedState,
}

#[wasm_bindgen(js_class = CachedState)]
impl JsCachedState {
    /// Events in the log when it was saved.
    #[wasm_bindgen(getter)]
    pub fn events(&self) -> f64 {
        self.state.events as f64
    }

    /// When it was saved (ms since 1970).
    #[wasm_bindgen(getter, js_name = savedAt)]
    pub fn saved_at(&self) -> f64 {
        self.state.saved_at as f64
    }

    /// Every non-zero balance, as saved.
    #[wasm_bindgen(unchecked_return_type = "Balance[]")]
    pub fn balances(&self) -> JsResult<JsValue> {
        types::to_js(&types::cached_balances(&self.state))
    }

    /// The records of a collection, as saved.
    #[wasm_bindgen(unchecked_return_type = "DocRecord[]")]
    pub fn records(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
    ) -> JsResult<JsValue> {
        let collection = self.state.collection(&string(&collection, "collection")?);
        let records: Vec<_> = collection
            .records
            .iter()
            .map(|(id, r)| types::record(id, r))
            .collect();
        types::to_js(&records)
    }
}

#[wasm_bindgen(js_class = TrustfoldNode)]
impl JsNode {
    /// Opens (or creates) the node of `network`, kept in this origin's
    /// IndexedDB and shared with this origin's other tabs.
    pub async fn open(
        #[wasm_bindgen(unchecked_param_type = "string")] network: JsValue,
    ) -> JsResult<JsNode> {
        Ok(JsNode {
            inner: Inner::open(&network, None).await?,
        })
    }

    /// Opens the node of `network` as the identity in `backup` (made by
    /// `exportBackup`). Fails with `WRONG_PASSPHRASE`, `MALFORMED_BACKUP`,
    /// or `OTHER_IDENTITY` when this browser already holds another identity
    /// for `network`.
    pub async fn restore(
        #[wasm_bindgen(unchecked_param_type = "string")] network: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] backup: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] passphrase: JsValue,
    ) -> JsResult<JsNode> {
        let identity = identity_in(&backup, &passphrase)?;
        Ok(JsNode {
            inner: Inner::open(&network, Some(identity)).await?,
        })
    }

    /// The public key a backup holds, if `passphrase` opens it (to check a
    /// backup before replacing anything with it).
    #[wasm_bindgen(js_name = backupKey)]
    pub fn backup_key(
        #[wasm_bindgen(unchecked_param_type = "Uint8Array")] backup: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] passphrase: JsValue,
    ) -> JsResult<String> {
        let identity = identity_in(&backup, &passphrase)?;
        Ok(identity.public_key().to_hex())
    }

    /// Deletes everything this browser holds for `network`: identity,
    /// events, policy, snapshots. Every node of it must be closed first
    /// (other tabs too), else this waits for them. For a person who wants to
    /// start again, or to restore a backup in place of a fresh identity.
    pub async fn forget(
        #[wasm_bindgen(unchecked_param_type = "string")] network: JsValue,
    ) -> JsResult<()> {
        let network = string(&network, "network")?;
        IdbStore::delete(&format!("trustfold-{network}"))
            .await
            .map_err(errors::store)
    }

    /// The state as this browser last saved it for `network` — balances and
    /// records, readable in milliseconds, before (and without) opening the
    /// node; `null` if there is none. Show it while `open` loads the log.
    #[wasm_bindgen(js_name = cachedState)]
    pub async fn cached_state(
        #[wasm_bindgen(unchecked_param_type = "string")] network: JsValue,
    ) -> JsResult<Option<JsCachedState>> {
        let network = string(&network, "network")?;
        let store = IdbStore::open(&format!("trustfold-{network}"))
            .await
            .map_err(errors::store)?;
        let state = Node::cached_state(&store).await.map_err(errors::node);
        store.close();
        Ok(state?.map(|state| JsCachedState { state }))
    }

    /// Saves the snapshots now (they are also saved shortly after changes).
    #[wasm_bindgen(js_name = saveSnapshots)]
    pub async fn save_snapshots(&self) -> JsResult<()> {
        self.inner
            .node
            .save_snapshots(now())
            .await
            .map_err(errors::node)
    }

    /// Joins this network's room at the signalling server `url` (e.g.
    /// `ws://127.0.0.1:8080/signal`) and syncs with the browsers found
    /// there over WebRTC data channels. Events they send are verified,
    /// stored and applied (subscribers hear `{ source: "peer" }`); events
    /// made here reach them at once.
    pub fn connect(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] url: JsValue,
    ) -> JsResult<()> {
        let url = string(&url, "url")?;
        if self.inner.webrtc.borrow().is_some() {
            return Err(invalid("already connected"));
        }
        let transport = crate::transport::WebRtc::join(
            &url,
            &self.inner.network,
            self.inner.node.identity().clone(),
        )
        .map_err(|e| errors::js_error("CONNECT_FAILED", &format!("{e:?}")))?;
        *self.inner.webrtc.borrow_mut() = Some(transport.clone());
        // A new round with every peer now and then: a Bloom filter's false
        // positive, or a head beyond the 64 a Hello names, is repaired by
        // the next round's fresh salt (issue #11).
        let every = self.inner.clone();
        wasm_bindgen_futures::spawn_local(async move {
            loop {
                tabs::wait(RESYNC_MS).await;
                let Some(transport) = every.webrtc.borrow().clone() else {
                    return;
                };
                let frames = every.node.resync_peers(fresh_salt);
                crate::node::send_all(&transport, frames).await;
            }
        });
        let inner = self.inner.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let heard = inner.clone();
            inner
                .node
                .sync_over(&transport, fresh_salt, move |stored| {
                    if let Some(tabs) = heard.tabs.borrow().as_ref() {
                        tabs.announce_events(stored);
                    }
                    heard.notify("peer", stored.len());
                })
                .await;
        });
        Ok(())
    }

    /// Sync progress: events known here (applied), events received but
    /// waiting for parents not received yet, parents asked for, peers linked.
    #[wasm_bindgen(js_name = syncStatus, unchecked_return_type = "SyncStatus")]
    pub fn sync_status(&self) -> JsResult<JsValue> {
        let node = &self.inner.node;
        let status = Object::new();
        let set = |k: &str, v: usize| {
            let _ = Reflect::set(&status, &k.into(), &(v as f64).into());
        };
        set("known", node.replica().log().len());
        set("waiting", node.orphans());
        set("missing", node.missing_parents());
        set("peers", self.inner.node.connected_peers().len());
        Ok(status.into())
    }

    /// The signalling connection: `"none"` (not connected), `"connecting"`,
    /// `"open"`, or `"closed"` (lost: `disconnect()` and `connect()` again
    /// to find new peers; links already open keep working).
    #[wasm_bindgen(
        getter,
        unchecked_return_type = "\"none\" | \"connecting\" | \"open\" | \"closed\""
    )]
    pub fn signalling(&self) -> String {
        self.inner
            .webrtc
            .borrow()
            .as_ref()
            .map_or("none", |t| t.signalling_state())
            .to_owned()
    }

    /// Leaves the signalling room and closes every peer link.
    pub fn disconnect(&self) {
        if let Some(transport) = self.inner.webrtc.borrow_mut().take() {
            transport.leave();
        }
    }

    /// The peers linked now: their connection id, the identity key that
    /// signed their offer or answer, and what this link carried so far.
    #[wasm_bindgen(unchecked_return_type = "Peer[]")]
    pub fn peers(&self) -> JsResult<JsValue> {
        let transport = self.inner.webrtc.borrow().clone();
        let list: js_sys::Array = self
            .inner
            .node
            .connected_peers()
            .into_iter()
            .map(|id| {
                let peer = Object::new();
                let key = transport.as_ref().and_then(|t| t.key_of(&id));
                let _ = Reflect::set(&peer, &"id".into(), &id.as_str().into());
                let traffic = self.inner.node.traffic(&id).unwrap_or_default();
                for (field, value) in [
                    ("eventsSent", traffic.events_sent),
                    ("eventsReceived", traffic.events_received),
                    ("bytesSent", traffic.bytes_sent),
                    ("bytesReceived", traffic.bytes_received),
                ] {
                    let _ = Reflect::set(&peer, &field.into(), &(value as f64).into());
                }
                let _ = Reflect::set(
                    &peer,
                    &"key".into(),
                    &key.map(|k| JsValue::from(k.to_hex()))
                        .unwrap_or(JsValue::NULL),
                );
                JsValue::from(peer)
            })
            .collect();
        Ok(list.into())
    }

    /// Closes the node: leaves the tab channel and the signalling room,
    /// closes peer links and the database.
    pub fn close(&self) {
        self.disconnect();
        self.inner.tabs.borrow_mut().take();
        self.inner.node.store().close();
    }

    /// What opening found: events loaded, damaged records skipped.
    #[wasm_bindgen(getter, js_name = openReport, unchecked_return_type = "OpenReport")]
    pub fn open_report(&self) -> JsResult<JsValue> {
        let report = &self.inner.report;
        let out = Object::new();
        let _ = Reflect::set(&out, &"events".into(), &(report.events as f64).into());
        let skipped: js_sys::Array = report
            .skipped
            .iter()
            .map(|s| JsValue::from_str(s))
            .collect();
        let _ = Reflect::set(&out, &"skipped".into(), &skipped);
        let _ = Reflect::set(&out, &"newIdentity".into(), &report.new_identity.into());
        Ok(out.into())
    }

    /// This node's public key (hex).
    #[wasm_bindgen(getter, js_name = publicKey)]
    pub fn public_key(&self) -> String {
        self.inner.node.identity().public_key().to_hex()
    }

    /// Calls `callback` after every change of state, local or from another
    /// tab; returns the function that unsubscribes it.
    #[wasm_bindgen(unchecked_return_type = "() => void")]
    pub fn subscribe(
        &self,
        #[wasm_bindgen(unchecked_param_type = "(change: Change) => void")] callback: JsValue,
    ) -> JsResult<JsValue> {
        let callback: js_sys::Function = callback
            .dyn_into()
            .map_err(|_| invalid("callback must be a function"))?;
        let id = self.inner.next_subscriber.get();
        self.inner.next_subscriber.set(id + 1);
        self.inner.subscribers.borrow_mut().push((id, callback));
        let weak = Rc::downgrade(&self.inner);
        let unsubscribe = Closure::once_into_js(move || {
            if let Some(inner) = weak.upgrade() {
                inner.subscribers.borrow_mut().retain(|(s, _)| *s != id);
            }
        });
        Ok(unsubscribe)
    }

    /// How to show `unit` to people: unchanged for a unit allowed since
    /// event version 2, otherwise with every character outside ASCII and
    /// the six currency signs written as `⟨U+061C⟩`, so a unit disguised
    /// as "EUR" (allowed in version-1 events) never shows as "EUR".
    #[wasm_bindgen(js_name = unitLabel)]
    pub fn unit_label(
        #[wasm_bindgen(unchecked_param_type = "string")] unit: JsValue,
    ) -> JsResult<String> {
        Ok(crate::event::validate::unit_label(&string(&unit, "unit")?).into_owned())
    }

    /// Pays `amount` minor units of `unit` to `to`; resolves to the event id.
    pub async fn pay(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] to: JsValue,
        #[wasm_bindgen(unchecked_param_type = "bigint | number")] amount: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] unit: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] memo: JsValue,
    ) -> JsResult<String> {
        let body = Body::Transfer(Transfer {
            to: key(&to, "to")?,
            amount: count(&amount, "amount")?,
            unit: string(&unit, "unit")?,
            memo: optional_string(&memo, "memo")?,
            reverses: None,
        });
        self.inner.publish(body).await
    }

    /// Pays back a payment made to this node (a reversal: what is left of
    /// it after earlier reversals counted here, in its unit, to its payer,
    /// referencing it); resolves to the event id. A payment already paid
    /// back in full is refused.
    #[wasm_bindgen(js_name = payBack)]
    pub async fn pay_back(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] payment: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] memo: JsValue,
    ) -> JsResult<String> {
        let target = event_id(&payment, "payment")?;
        let memo = optional_string(&memo, "memo")?;
        let original = {
            let replica = self.inner.node.replica();
            let log = replica.log();
            log.ix(&target).and_then(|ix| {
                let e = log.entry(ix).event();
                match e.body() {
                    Body::Transfer(t) if t.to == self.inner.node.identity().public_key() => {
                        let left = t.amount - replica.view().reversed_amount(log, ix);
                        Some((e.author(), left, t.unit.clone()))
                    }
                    _ => None,
                }
            })
        };
        let (to, amount, unit) =
            original.ok_or_else(|| invalid("payment must be a payment made to this node"))?;
        if amount == 0 {
            return Err(invalid("payment was already paid back in full"));
        }
        let body = Body::Transfer(Transfer {
            to,
            amount,
            unit,
            memo,
            reverses: Some(target),
        });
        self.inner.publish(body).await
    }

    /// Disputes one of this node's own payments.
    pub async fn dispute(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] payment: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] reason: JsValue,
    ) -> JsResult<String> {
        let target = event_id(&payment, "payment")?;
        let reason = string(&reason, "reason")?;
        self.inner
            .publish(Body::Dispute(Statement { target, reason }))
            .await
    }

    /// Publishes an exclusion of any event.
    pub async fn exclude(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] event: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] reason: JsValue,
    ) -> JsResult<String> {
        let target = event_id(&event, "event")?;
        let reason = string(&reason, "reason")?;
        self.inner
            .publish(Body::Exclude(Statement { target, reason }))
            .await
    }

    /// Withdraws one of this node's exclusions or disputes.
    pub async fn retract(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] statement: JsValue,
    ) -> JsResult<String> {
        let target = event_id(&statement, "statement")?;
        self.inner.publish(Body::Retract { target }).await
    }

    /// Publishes a trust statement about `subject`.
    #[wasm_bindgen(js_name = publishTrust)]
    pub async fn publish_trust(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] subject: JsValue,
        #[wasm_bindgen(unchecked_param_type = "\"trusted\" | \"neutral\" | \"banned\"")]
        level: JsValue,
    ) -> JsResult<String> {
        let subject = key(&subject, "subject")?;
        let level = match string(&level, "level")?.as_str() {
            "trusted" => TrustLevel::Trusted,
            "neutral" => TrustLevel::Neutral,
            "banned" => TrustLevel::Banned,
            _ => return Err(invalid("level must be trusted, neutral or banned")),
        };
        self.inner.publish(Body::Trust { subject, level }).await
    }

    /// Whether bans published by people I trust ban in my view (local
    /// policy; my own ban list always does).
    #[wasm_bindgen(js_name = followBans)]
    pub async fn follow_bans(
        &self,
        #[wasm_bindgen(unchecked_param_type = "boolean")] follow: JsValue,
    ) -> JsResult<()> {
        let follow = follow
            .as_bool()
            .ok_or_else(|| invalid("follow must be a boolean"))?;
        self.inner.change_policy(|p| p.follow_bans = follow).await
    }

    /// Follows `who`'s exclusions, disputes and bans (local policy).
    pub async fn trust(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] who: JsValue,
    ) -> JsResult<()> {
        let who = key(&who, "who")?;
        self.inner
            .change_policy(|p| {
                p.trusted.insert(who);
            })
            .await
    }

    /// Stops following `who` (local policy).
    pub async fn untrust(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] who: JsValue,
    ) -> JsResult<()> {
        let who = key(&who, "who")?;
        self.inner
            .change_policy(|p| {
                p.trusted.remove(&who);
            })
            .await
    }

    /// Ignores `who`'s events, past and future (local policy).
    pub async fn ban(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] who: JsValue,
    ) -> JsResult<()> {
        let who = key(&who, "who")?;
        self.inner
            .change_policy(|p| {
                p.banned.insert(who);
            })
            .await
    }

    /// Lifts a local ban.
    pub async fn unban(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] who: JsValue,
    ) -> JsResult<()> {
        let who = key(&who, "who")?;
        self.inner
            .change_policy(|p| {
                p.banned.remove(&who);
            })
            .await
    }

    /// Sets how many trusted authors must back an exclusion or a ban (≥ 1).
    #[wasm_bindgen(js_name = setQuorum)]
    pub async fn set_quorum(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] quorum: JsValue,
    ) -> JsResult<()> {
        let quorum = count(&quorum, "quorum")?;
        let quorum = u32::try_from(quorum)
            .ok()
            .filter(|q| *q >= 1)
            .ok_or_else(|| invalid("quorum must be a whole number from 1"))?;
        self.inner
            .change_policy(|p| *p = p.clone().with_quorum(quorum))
            .await
    }

    /// This node's policy: who it trusts and bans, and the quorum.
    #[wasm_bindgen(unchecked_return_type = "PolicyView")]
    pub fn policy(&self) -> JsResult<JsValue> {
        types::to_js(&types::policy(self.inner.node.replica().view().policy()))
    }

    /// An account's balance in a unit.
    pub fn balance(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] account: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] unit: JsValue,
    ) -> JsResult<js_sys::BigInt> {
        let account = key(&account, "account")?;
        let unit = string(&unit, "unit")?;
        let replica = self.inner.node.replica();
        Ok(types::bigint(replica.view().balance(
            replica.log(),
            &account,
            &unit,
        )))
    }

    /// Every non-zero balance.
    #[wasm_bindgen(unchecked_return_type = "Balance[]")]
    pub fn balances(&self) -> JsResult<JsValue> {
        types::to_js(&types::balances(&self.inner.node.replica()))
    }

    /// Every negative balance with its explanation.
    #[wasm_bindgen(unchecked_return_type = "Debt[]")]
    pub fn debts(&self) -> JsResult<JsValue> {
        types::to_js(&types::debts(&self.inner.node.replica()))
    }

    /// Why an account has its balance in a unit.
    #[wasm_bindgen(unchecked_return_type = "Explanation")]
    pub fn explain(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] account: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] unit: JsValue,
    ) -> JsResult<JsValue> {
        let account = key(&account, "account")?;
        let unit = string(&unit, "unit")?;
        let replica = self.inner.node.replica();
        types::to_js(&types::explanation(&replica.view().explain(
            replica.log(),
            &account,
            &unit,
        )))
    }

    /// Transfers, of `account` or all, with their status here and why.
    #[wasm_bindgen(unchecked_return_type = "Transaction[]")]
    pub fn transactions(
        &self,
        #[wasm_bindgen(unchecked_optional_param_type = "string")] account: JsValue,
    ) -> JsResult<JsValue> {
        let account = if account.is_undefined() || account.is_null() {
            None
        } else {
            Some(key(&account, "account")?)
        };
        types::to_js(&types::transactions(
            &self.inner.node.replica(),
            account.as_ref(),
        ))
    }

    /// Authors caught signing two events with one sequence number (two
    /// histories), each with the proof: a sign of a stolen or misused key.
    #[wasm_bindgen(js_name = forkedAuthors, unchecked_return_type = "Fork[]")]
    pub fn forked_authors(&self) -> JsResult<JsValue> {
        let replica = self.inner.node.replica();
        let forks: Vec<types::JsFork> = replica.log().forks().iter().map(types::fork).collect();
        types::to_js(&forks)
    }

    /// Digests of the included events and of the state.
    #[wasm_bindgen(js_name = viewDigest, unchecked_return_type = "ViewDigest")]
    pub fn view_digest(&self) -> JsResult<JsValue> {
        let replica = self.inner.node.replica();
        let log = replica.log();
        types::to_js(&types::ViewDigest {
            included: replica.view().included_digest(log).to_hex(),
            state: replica.view().state_digest(log).to_hex(),
        })
    }

    /// The policy a [`types::PolicyInput`] describes (viewer: this node's
    /// owner unless `me` is given).
    fn policy_from(&self, other: JsValue) -> JsResult<Policy> {
        let input: types::PolicyInput =
            serde_wasm_bindgen::from_value(other).map_err(|e| invalid(&format!("policy: {e}")))?;
        let viewer = match &input.me {
            Some(me) => key(&JsValue::from_str(me), "me")?,
            None => self.inner.node.replica().view().policy().me,
        };
        let mut policy = Policy::new(viewer);
        for who in &input.trusted {
            policy
                .trusted
                .insert(key(&JsValue::from_str(who), "trusted")?);
        }
        for who in &input.banned {
            policy
                .banned
                .insert(key(&JsValue::from_str(who), "banned")?);
        }
        Ok(policy
            .with_quorum(input.quorum.unwrap_or(1))
            .following_bans(input.follow_bans.unwrap_or(true)))
    }

    /// What my view counts and a view under `other` does not, and the reverse.
    #[wasm_bindgen(js_name = compareViews, unchecked_return_type = "Comparison")]
    pub fn compare_views(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PolicyInput")] other: JsValue,
    ) -> JsResult<JsValue> {
        let policy = self.policy_from(other)?;
        let replica = self.inner.node.replica();
        types::to_js(&types::comparison(&replica.compare_with(policy)))
    }

    /// Every balance as a view under `other` would have it (to show what a
    /// policy change would do before making it).
    #[wasm_bindgen(js_name = balancesUnder, unchecked_return_type = "Balance[]")]
    pub fn balances_under(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PolicyInput")] other: JsValue,
    ) -> JsResult<JsValue> {
        let policy = self.policy_from(other)?;
        let replica = self.inner.node.replica();
        let view = replica.view_under(policy);
        types::to_js(&types::balances_of(&view, replica.log()))
    }

    /// The digests a view under `other` would have (someone else's view,
    /// from the trust list they published).
    #[wasm_bindgen(js_name = viewDigestUnder, unchecked_return_type = "ViewDigest")]
    pub fn view_digest_under(
        &self,
        #[wasm_bindgen(unchecked_param_type = "PolicyInput")] other: JsValue,
    ) -> JsResult<JsValue> {
        let policy = self.policy_from(other)?;
        let replica = self.inner.node.replica();
        let log = replica.log();
        let view = replica.view_under(policy);
        types::to_js(&types::ViewDigest {
            included: view.included_digest(log).to_hex(),
            state: view.state_digest(log).to_hex(),
        })
    }

    /// Every trust statement published, in log order: who said what about whom.
    #[wasm_bindgen(js_name = publishedTrust, unchecked_return_type = "TrustStatement[]")]
    pub fn published_trust(&self) -> JsResult<JsValue> {
        let replica = self.inner.node.replica();
        types::to_js(&types::trust_statements(replica.log()))
    }

    /// Every record of a collection, as this node's policy sees it.
    #[wasm_bindgen(unchecked_return_type = "DocRecord[]")]
    pub fn records(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
    ) -> JsResult<JsValue> {
        let collection = string(&collection, "collection")?;
        let view = self.inner.node.replica_mut().collection(&collection);
        let records: Vec<_> = view
            .records
            .iter()
            .map(|(id, r)| types::record(id, r))
            .collect();
        types::to_js(&records)
    }

    /// One record, or `null`.
    #[wasm_bindgen(unchecked_return_type = "DocRecord | null")]
    pub fn record(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> JsResult<JsValue> {
        let collection = string(&collection, "collection")?;
        let id = string(&id, "id")?;
        let record = self.inner.node.replica_mut().record(&collection, &id);
        types::to_js(&record.map(|r| types::record(&id, &r)))
    }

    /// One record as `author`'s own changes make it (among those this
    /// node's view includes), or `null`: what only its subject may say,
    /// such as a person's name in the record named by their key.
    #[wasm_bindgen(js_name = recordBy, unchecked_return_type = "DocRecord | null")]
    pub fn record_by(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] author: JsValue,
    ) -> JsResult<JsValue> {
        let (collection, id) = (string(&collection, "collection")?, string(&id, "id")?);
        let author = key(&author, "author")?;
        let record = self
            .inner
            .node
            .replica_mut()
            .record_by(&collection, &id, &author);
        types::to_js(&record.map(|r| types::record(&id, &r)))
    }

    fn edit(
        &self,
        edit: impl FnOnce(&mut crate::Replica) -> Result<(), crate::Error>,
    ) -> JsResult<()> {
        let result = edit(&mut self.inner.node.replica_mut());
        result.map_err(|e| errors::node(e.into()))?;
        self.inner.edited();
        Ok(())
    }

    /// Creates an empty record (committed shortly, or by `commit()`).
    #[wasm_bindgen(js_name = createRecord)]
    pub fn create_record(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> JsResult<()> {
        let (collection, id) = (string(&collection, "collection")?, string(&id, "id")?);
        self.edit(|r| r.create_record(&collection, &id))
    }

    /// Deletes a record.
    #[wasm_bindgen(js_name = deleteRecord)]
    pub fn delete_record(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
    ) -> JsResult<()> {
        let (collection, id) = (string(&collection, "collection")?, string(&id, "id")?);
        self.edit(|r| r.delete_record(&collection, &id))
    }

    /// Sets a field to a scalar value.
    #[wasm_bindgen(js_name = setField)]
    pub fn set_field(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] field: JsValue,
        #[wasm_bindgen(unchecked_param_type = "Scalar")] value: JsValue,
    ) -> JsResult<()> {
        let (collection, id) = (string(&collection, "collection")?, string(&id, "id")?);
        let field = string(&field, "field")?;
        let value = scalar(&value)?;
        self.edit(|r| r.set_field(&collection, &id, &field, value))
    }

    /// Deletes a field.
    #[wasm_bindgen(js_name = deleteField)]
    pub fn delete_field(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] field: JsValue,
    ) -> JsResult<()> {
        let (collection, id) = (string(&collection, "collection")?, string(&id, "id")?);
        let field = string(&field, "field")?;
        self.edit(|r| r.delete_field(&collection, &id, &field))
    }

    /// Makes a field collaborative text holding `text`.
    #[wasm_bindgen(js_name = setText)]
    pub fn set_text(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] field: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] text: JsValue,
    ) -> JsResult<()> {
        let (collection, id) = (string(&collection, "collection")?, string(&id, "id")?);
        let (field, text) = (string(&field, "field")?, string(&text, "text")?);
        self.edit(|r| r.set_text(&collection, &id, &field, &text))
    }

    /// Replaces `deleteCount` UTF-16 units at `index` of a text field with
    /// `insert` (the positions of a JS string, as a textarea reports them).
    #[wasm_bindgen(js_name = spliceText)]
    #[allow(clippy::too_many_arguments)]
    pub fn splice_text(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] collection: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] id: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] field: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] index: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number", js_name = "deleteCount")]
        delete_count: JsValue,
        #[wasm_bindgen(unchecked_param_type = "string")] insert: JsValue,
    ) -> JsResult<()> {
        let (collection, id) = (string(&collection, "collection")?, string(&id, "id")?);
        let field = string(&field, "field")?;
        let index = count(&index, "index")? as usize;
        let delete_count = count(&delete_count, "deleteCount")? as usize;
        let insert = string(&insert, "insert")?;
        let current = self
            .inner
            .node
            .replica_mut()
            .record(&collection, &id)
            .and_then(|r| r.text(&field).map(str::to_owned))
            .ok_or_else(|| invalid("no such text field"))?;
        let (pos, delete) = text::char_range(&current, index, delete_count).ok_or_else(|| {
            invalid("index and deleteCount must lie within the text, between characters")
        })?;
        self.edit(|r| r.splice_text(&collection, &id, &field, pos, delete, &insert))
    }

    /// Takes in events from elsewhere (their exact bytes, as a peer sends
    /// them): each is verified; the valid new ones are stored in one write,
    /// applied, and announced to the other tabs. Invalid ones are refused
    /// one by one in the report, never stored.
    #[wasm_bindgen(unchecked_return_type = "ReceiveReport")]
    pub async fn receive(
        &self,
        #[wasm_bindgen(unchecked_param_type = "Uint8Array[]")] events: JsValue,
    ) -> JsResult<JsValue> {
        let list: js_sys::Array = events
            .dyn_into()
            .map_err(|_| invalid("events must be an array of Uint8Array"))?;
        let mut batch = Vec::with_capacity(list.length() as usize);
        for item in list.iter() {
            let bytes: js_sys::Uint8Array = item
                .dyn_into()
                .map_err(|_| invalid("events must be an array of Uint8Array"))?;
            batch.push(bytes.to_vec());
        }
        let refs: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
        let received = self
            .inner
            .node
            .receive_batch(&refs)
            .await
            .map_err(errors::node)?;
        if let Some(tabs) = self.inner.tabs.borrow().as_ref() {
            tabs.announce_events(&received.stored);
        }
        if received.applied > 0 {
            self.inner.notify("local", received.applied);
        }
        let refused: Vec<types::JsRefused> = received
            .refused
            .iter()
            .map(|(index, e)| types::JsRefused {
                index: *index as u32,
                code: errors::code(e),
                message: e.to_string(),
            })
            .collect();
        types::to_js(&types::JsReceived {
            stored: received.stored.len() as u32,
            applied: received.applied as u32,
            refused,
        })
    }

    /// Signs, stores and announces pending document edits now; resolves to
    /// the number of events written.
    pub async fn commit(&self) -> JsResult<u32> {
        Ok(self.inner.commit().await? as u32)
    }

    /// This node's identity, encrypted under `passphrase` (Argon2id and
    /// XChaCha20-Poly1305); open it elsewhere with `TrustfoldNode.restore`.
    #[wasm_bindgen(js_name = exportBackup)]
    pub fn export_backup(
        &self,
        #[wasm_bindgen(unchecked_param_type = "string")] passphrase: JsValue,
    ) -> JsResult<Vec<u8>> {
        let passphrase = string(&passphrase, "passphrase")?;
        if passphrase.is_empty() {
            return Err(invalid("passphrase must not be empty"));
        }
        let mut random = [0u8; 40];
        getrandom::fill(&mut random).expect("the browser's crypto.getRandomValues");
        Ok(backup::export_backup(
            self.inner.node.identity(),
            &passphrase,
            random,
        ))
    }
}

//! The JavaScript façade (`TrustfoldNode`): translation only.
//!
//! Every method converts its arguments, calls the [`BrowserNode`] runtime
//! or the core's answers through it, and converts the result: keys and ids as
//! hex strings, amounts and balances as `bigint`, I/O as promises, errors as
//! JS `Error`s carrying a stable `code` ([`WebError`](crate::errors::WebError)). Arguments arrive as
//! plain JS values and are checked here, so a call with a wrong type is an
//! `INVALID_ARGUMENT` error rather than a silent coercion. Plain data goes
//! out through `serde-wasm-bindgen` as the shapes in [`types`], which the
//! TypeScript definitions below describe. One file per concept:
//! [`lifecycle`], [`network`], [`ledger`], [`policy`], [`records`], [`peers`].

mod kept_records;
mod kept_transactions;
mod ledger;
mod lifecycle;
mod network;
mod peers;
mod policy;
mod records;

use crate::errors::{JsResult, invalid};
use crate::runtime::BrowserNode;
use crate::types;
use trustfold::snapshot::CachedState;
use trustfold::{EventId, Identity, PublicKey, Scalar, backup};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** A balance of one account in one unit. */
export interface Balance { account: string; unit: string; balance: bigint }
/** Why a statement about an event counts or not in this view. */
export type Verdict = "counted" | "untrusted" | "authorBanned" | "retracted" | "excluded";
/** Whether an event counts here. */
export type Status = "included" | "excluded" | "authorBanned";
/** An exclusion or dispute naming an event, with its verdict here; `excludedBy`: with verdict "excluded", the exclusions of it that count (someone counts the event anyway), each retractable by its author. */
export interface Contest { statement: string; author: string; dispute: boolean; reason: string; verdict: Verdict; excludedBy: StatementRef[] }
/** A statement excluding or disputing an event: `reason` is what its author typed. */
export interface StatementRef { statement: string; author: string; dispute: boolean; reason: string }
/** Why an event does not count here (null when it counts), as data: the page words it. */
export type Why =
  | { kind: "excluded"; by: StatementRef[] }
  | { kind: "authorBanned"; author: string; ban: "local" | "forked" | "published"; by: string[] };
/** A transfer touching an account. */
export interface Movement { event: string; counterparty: string; delta: bigint; cappedFrom: bigint | null; counted: boolean; status: Status; why: Why | null; contests: Contest[] }
/** Why an account has its balance. */
export interface Explanation { account: string; unit: string; balance: bigint; counted: Movement[]; notCounted: Movement[] }
/** A negative balance and why. */
export interface Debt { account: string; unit: string; amount: bigint; explanation: Explanation }
/** A negative balance without its list of transfers: how many explain it, the first transfers to the debtor that do not count (`because`, of `notCountedIn`), and the counted ones summed per person (`withWhom`, the one paid most first; `others` more). */
export interface DebtSummary { account: string; unit: string; amount: bigint; transfers: number; notCountedIn: number; because: Movement[]; withWhom: WithWhom[]; others: number }
/** What the counted transfers of a debt come to with one person. */
export interface WithWhom { counterparty: string; paid: bigint; received: bigint; transfers: number }
/** A transfer with its status in this view and, if it does not count, why (`why`). */
export interface Transaction {
  event: string; from: string; to: string; amount: bigint; unit: string; memo: string;
  /** Milliseconds since 1970 as the payer's clock said. */
  time: number;
  /** The transfer this one reverses, if any. */
  reverses: string | null;
  /** How much of it reversals counted here pay back: `amount - reversed` can still be paid back. */
  reversed: bigint;
  status: Status; why: Why | null; contests: Contest[];
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
export interface PolicyInput { me?: string; trusted?: string[]; banned?: string[]; quorum?: number; followBans?: boolean; withdrawn?: string[] }
/** An event one view counts and the other does not. */
export interface Difference { event: string; kind: string; status: Status; why: Why | null }
/** The trust list an author published (by the core's latest-statement rule). */
export interface PublishedPolicy { author: string; trusted: string[]; banned: string[] }
/** What my view counts that the other does not, and the reverse. */
export interface Comparison { onlyMine: Difference[]; onlyTheirs: Difference[] }
/** A value a field can be set to. */
export type Scalar = string | number | boolean | null;
/** A field's value: a scalar, collaborative text, or something this API does not write. */
export type FieldValue = Scalar | { text: string } | { unsupported: string };
/** A field: the value that wins and the concurrent values that lost. */
export interface Field { value: FieldValue; conflicts: FieldValue[] }
/** A record of a collection. */
/** One edit of a record (`recordHistory`): `event` is a key to act on it (exclude it), never for people; `why` it does not count (null when it counts). */
export interface RecordEdit { event: string; author: string; time: number; made: boolean; deleted: boolean; restored: boolean; fields: string[]; counted: boolean; why: Why | null }
/** An edit of a collection with the record it touched (`editsAmong`). */
export interface EditOfRecord extends RecordEdit { record: string }
/** An edit of a record that does not count in my view (`uncountedEdits`), with its record. */
export interface UncountedEdit extends EditOfRecord { why: Why }
export interface BannedAuthor { author: string; reason: "local" | "forked" | "published"; by: string[] }
export interface DocRecord { id: string; fields: { [name: string]: Field } }
/** What changed: "local" (this tab), "tab" (another tab), "peer" (another browser); `events` applied. */
export interface Change { source: "local" | "tab" | "peer"; events: number }
/**
 * The Web Workers that check large batches of events (`node.verifyWorkers`): how many it runs when it has work, how
 * many run now, how many events they checked, and why they stopped (a worker that cannot start, load or answer in
 * time ends them; the page's thread checks until they start again, 5 minutes later, at most twice: `retries`), or
 * null.
 */
export interface VerifyWorkers { size: number; running: number; checked: number; failed: string | null; retries: number }
/**
 * Sync progress: events applied here, changes made with this identity (here or in another tab) that no peer or the
 * relay is known to hold yet (`unconfirmed`: what waits to be sent), changes made with this identity that this node
 * holds, sent or not (`made`), events received but waiting for parents,
 * parents asked for, browsers linked (the relay is apart: `relay`), the most browsers linked at once
 * (`setLinkLimit`), peer connections created since `connect` and how many more it may create
 * (`setConnectionBudget`; at 0 it links to no one new: a browser allows a page only so many), links whose network
 * failed that were repaired by an ICE restart on the same connection, the bytes one peer's link holds unread at
 * most (`setPeerBacklog`) and waiting to go at most (`setSendBacklog`), peers dropped for what they sent
 * (`dropped`), and other tabs' announcements waiting to be taken in (`tabBacklog`).
 */
export interface SyncStatus {
  known: number; unconfirmed: number; made: number; waiting: number; missing: number; peers: number; linkLimit: number;
  connections: number; connectionsLeft: number; iceRestarts: number; roomsMade: number; peerBacklog: number;
  sendBacklog: number;
  dropped: DroppedPeers; relay: RelayStatus; tabBacklog: TabBacklog;
}
/**
 * Peers dropped for what they sent since the node opened: how many in all, and the latest 16, oldest first, each
 * with its id (`"relay"` for the relay link), the identity key it had proved (hex; null if none) and the stable
 * code of what it did: an invalid event's or frame's code (`invalid_signature`, `unknown_protocol_version`, …),
 * `link_backlog_exceeded` (it sent more than its link holds unread: `setPeerBacklog`), `frame_over_link_limit`,
 * `links_backlog_exceeded` (all links together held more than the page holds: the link whose frame went over was
 * given up, not banned — it may have been honest), or `send_backlog_exceeded` (it took in nothing of what the page
 * sent, past `setSendBacklog` waiting: given up, and linked again later).
 */
export interface DroppedPeers { total: number; latest: { peer: string; key: string | null; code: string }[] }
/**
 * Events other tabs of this origin stored and announced, not taken in here yet: `bytes` queued, at most `limit`
 * (`setTabBacklog`); past it the queue is dropped and the shared store read instead (nothing is lost), counted in
 * `overflows`.
 */
export interface TabBacklog { bytes: number; limit: number; overflows: number }
/**
 * The link to the relay of the server `connect` was given (`ws://host/relay`), one more peer (id "relay"):
 * `state` "none" (not connected), "connecting", "open" (joined: events flow) or "closed" (lost or refused; it
 * tries again by itself, 1 s doubling to 30 s); `error` the code of the last error the relay reported
 * ("RATE_LIMITED", "IDLE_TIMEOUT", "NO_RELAY", …; kept until another replaces it) or null; `unsent` events
 * queued for the relay or sent and not acknowledged by it yet, plus one while edits wait to be committed — how far
 * behind it is (0 unless open);
 * `reconnects` sockets opened again after one was lost; `notice` what the relay said last since the link last
 * joined, or null; `limits` what the relay published when the link joined (kept while it is down), or null.
 */
export interface RelayStatus {
  state: "none" | "connecting" | "open" | "closed"; error: string | null; unsent: number; reconnects: number;
  notice: RelayNotice | null; limits: RelayLimits | null;
}
/**
 * What the relay said: a notice — "network_full" (the network holds the relay's quota) or "author_quota" (you
 * hold your share of it): a valid event of yours was not stored there; "author_rate" (more events of yours this
 * minute than the relay takes from one author): the rest are sent again in a later round; the link stays — or
 * an error code, after which the relay closed the link ("RATE_LIMITED", "IDLE_TIMEOUT", "RELAY_FULL",
 * "NO_RELAY": this server runs no relay, …). `at`: when it came, in milliseconds since 1970 (this tab's clock).
 * Codes are stable; words are yours.
 */
export interface RelayNotice { code: string; at: number }
/**
 * The relay's published limits (GET /relay/limits; the same document comes with the join): events and bytes a
 * network may hold, the percent of those one author may take, frames and bytes a client may send per second and
 * in a burst, an author's events per minute and at once, the largest frame and the bytes in flight, the seconds
 * after which a network nobody uses leaves the relay's memory (it is not deleted), and whether it ever deletes
 * stored events (false).
 */
export interface RelayLimits {
  maxEventsPerNetwork: number; maxBytesPerNetwork: number; authorSharePercent: number;
  framesPerSecond: number; framesBurst: number; bytesPerSecond: number; bytesBurst: number;
  authorEventsPerMinute: number; authorEventsBurst: number;
  maxFrameBytes: number; windowBytes: number; idleReleaseSeconds: number; evictsEvents: boolean;
}
/** A linked peer: its connection id in the room, the key that signed its offer or answer, and this link's traffic so far. */
export interface Peer { id: string; key: string | null; eventsSent: number; eventsReceived: number; bytesSent: number; bytesReceived: number; unsent: number; headsMissing: number }
/** An event `receive` refused: its index in the batch, a stable code, the core's finer code (which rule), why. */
export interface Refused { index: number; code: string; detail: string; message: string }
/** What `receive` did: events new to this node stored, events applied, events refused. */
export interface ReceiveReport { stored: number; applied: number; refused: Refused[] }
/** What opening found: events loaded, damaged records skipped. */
export interface OpenReport { events: number; skipped: string[]; newIdentity: boolean }
/** A network: an open network's name, or a private network's invite (the secret in hex, as a link carries it) and name. */
export type NetworkSpec = string | { invite: string; name: string; check?: string | null };
/** Which network: "open" (anyone who knows the name can read it; `room` is the name) or "private" (only holders of `invite`; `room` is the network's identity, all the server sees). */
export interface NetworkInfo { kind: "open" | "private"; name: string; room: string; invite: string | null; check: string | null }
/** A private network's event that counts for nothing, by `author`: `reason` is "undecryptable_body", "malformed_body" or the rule its body broke ("zero_amount", "bad_reversal"…). */
export interface VoidEvent { event: string; author: string; reason: string }
/** Errors thrown by trustfold carry a stable code (README lists them) and, where the core decided, its finer code. */
export interface TrustfoldError extends Error { code: string; detail?: string }
"#;

/// A trustfold node in this browser tab: the [`BrowserNode`] runtime as
/// JS sees it. See the [module docs](self).
#[wasm_bindgen(js_name = TrustfoldNode)]
pub struct JsNode {
    node: BrowserNode,
    /// Every transfer's JS object from the last read of them all.
    kept_transactions: std::cell::RefCell<kept_transactions::KeptTransactions>,
    /// The last collection read whole: each record's JS object.
    kept_records: std::cell::RefCell<kept_records::KeptRecords>,
}

impl JsNode {
    fn new(node: BrowserNode) -> JsNode {
        JsNode {
            node,
            kept_transactions: Default::default(),
            kept_records: Default::default(),
        }
    }
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

/// An array of event ids (hex strings), at most [`MAX_EVENT_IDS`].
fn event_ids(value: &JsValue, what: &str) -> JsResult<Vec<EventId>> {
    if !js_sys::Array::is_array(value) {
        return Err(invalid(&format!("{what} must be an array of event ids")));
    }
    let array = js_sys::Array::unchecked_from_js_ref(value);
    if array.length() as usize > MAX_EVENT_IDS {
        return Err(invalid(&format!(
            "{what}: at most {MAX_EVENT_IDS} event ids"
        )));
    }
    array.iter().map(|id| event_id(&id, what)).collect()
}

/// Event ids one call takes at most: a page asks about what it shows.
const MAX_EVENT_IDS: usize = 10_000;

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
fn identity_in(backup: &JsValue, passphrase: &JsValue) -> JsResult<Identity> {
    Ok(restored_from(backup, passphrase)?.identity)
}

/// What a backup holds (identity and invites), opened with `passphrase`.
fn restored_from(backup: &JsValue, passphrase: &JsValue) -> JsResult<backup::Restored> {
    let Some(bytes) = backup.dyn_ref::<js_sys::Uint8Array>() else {
        return Err(invalid("backup must be a Uint8Array"));
    };
    let passphrase = string(passphrase, "passphrase")?;
    Ok(backup::import_backup_with(&bytes.to_vec(), &passphrase)
        .map_err(crate::errors::WebError::from)?)
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
            .map(|(id, r)| (&id[..], r))
            .collect();
        crate::record_objects::records(&records)
    }
}

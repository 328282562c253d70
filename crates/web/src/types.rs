//! Plain data handed to JS: the shapes the TypeScript definitions describe.
//!
//! Longer than 600 lines on purpose: every shape the façade hands to JS
//! lives here, each beside its conversion, so that one serialiser
//! ([`to_js`]) and one naming rule (camelCase) cover them all. Split it by
//! façade module if it grows much further.

use crate::errors::JsResult;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use trustfold::EventIx;
use trustfold::Replica;
use trustfold::doc::{Record, Scalar, Value};
use trustfold::event::Body;
use trustfold::explain::{
    Comparison, Contest, Difference, Explanation, Movement, StatementRef, Status, Verdict,
};
use trustfold::{BanReason, Policy};
use wasm_bindgen::JsValue;

/// Serialises with `bigint` for 64- and 128-bit numbers, `null` for absent
/// values and plain objects for maps.
pub fn to_js<T: Serialize>(value: &T) -> JsResult<JsValue> {
    let serializer = serde_wasm_bindgen::Serializer::new()
        .serialize_large_number_types_as_bigints(true)
        .serialize_missing_as_null(true)
        .serialize_maps_as_objects(true);
    value
        .serialize(&serializer)
        .map_err(|e| crate::errors::invalid(&e.to_string()))
}

/// An i128 balance as a JS `bigint`.
pub fn bigint(value: i128) -> js_sys::BigInt {
    js_sys::BigInt::from(value)
}

#[derive(Serialize)]
pub struct Balance {
    account: String,
    unit: String,
    balance: i128,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsContest {
    statement: String,
    author: String,
    dispute: bool,
    reason: String,
    verdict: JsVerdict,
    /// With verdict `excluded`: the exclusions of this statement that
    /// count (someone counts the event anyway), each retractable by its
    /// author.
    excluded_by: Vec<JsStatement>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsMovement {
    event: String,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    counterparty: JsValue,
    delta: i128,
    capped_from: Option<u64>,
    counted: bool,
    status: JsStatus,
    why: Option<JsWhy>,
    contests: Vec<JsContest>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsExplanation {
    #[serde(with = "serde_wasm_bindgen::preserve")]
    account: JsValue,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    unit: JsValue,
    balance: i128,
    counted: Vec<JsMovement>,
    not_counted: Vec<JsMovement>,
}

#[derive(Serialize)]
pub struct Debt {
    #[serde(with = "serde_wasm_bindgen::preserve")]
    account: JsValue,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    unit: JsValue,
    amount: u128,
    explanation: JsExplanation,
}

#[derive(Serialize)]
pub struct ViewDigest {
    pub included: String,
    pub state: String,
}

pub fn balances(replica: &Replica) -> Vec<Balance> {
    balances_of(replica.view(), replica.log())
}

/// Every balance in `view`.
pub fn balances_of(view: &trustfold::View, log: &trustfold::Log) -> Vec<Balance> {
    view.ledger()
        .balances(log)
        .into_iter()
        .map(|(account, unit, balance)| Balance {
            account: account.to_hex(),
            unit: unit.to_owned(),
            balance,
        })
        .collect()
}

pub fn cached_balances(state: &trustfold::snapshot::CachedState) -> Vec<Balance> {
    state
        .balances
        .iter()
        .map(|(account, unit, balance)| Balance {
            account: account.to_hex(),
            unit: unit.clone(),
            balance: *balance,
        })
        .collect()
}

/// A verdict's word. A unit variant, not a `String`: serde-wasm-bindgen
/// makes a variant's name once and reuses it, where each `String` is
/// decoded again in JS (a list of 100,000 payments said "included"
/// 100,000 times).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
enum JsVerdict {
    Counted,
    Untrusted,
    AuthorBanned,
    Retracted,
    Excluded,
}

fn verdict(v: &Verdict) -> JsVerdict {
    match v {
        Verdict::Counted => JsVerdict::Counted,
        Verdict::Untrusted => JsVerdict::Untrusted,
        Verdict::AuthorBanned => JsVerdict::AuthorBanned,
        Verdict::Retracted { .. } => JsVerdict::Retracted,
        Verdict::Excluded { .. } => JsVerdict::Excluded,
    }
}

/// A status's word (a unit variant, as [`JsVerdict`]).
#[derive(Serialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum JsStatus {
    Included,
    Excluded,
    AuthorBanned,
}

pub(crate) fn status(s: &Status) -> JsStatus {
    match s {
        Status::Included => JsStatus::Included,
        Status::Excluded { .. } => JsStatus::Excluded,
        Status::AuthorBanned { .. } => JsStatus::AuthorBanned,
    }
}

/// The strings a long list names again and again (people's keys, units),
/// each made in JS once per conversion: every `String` crossing to JS is
/// decoded there, and 100,000 payments name the same 200 people.
#[derive(Default)]
pub struct SharedStrings {
    keys: rustc_hash::FxHashMap<trustfold::PublicKey, JsValue>,
    units: rustc_hash::FxHashMap<String, JsValue>,
}

impl SharedStrings {
    /// `key` in hex, as a JS string.
    pub fn key(&mut self, key: &trustfold::PublicKey) -> JsValue {
        self.keys
            .entry(*key)
            .or_insert_with(|| JsValue::from_str(&key.to_hex()))
            .clone()
    }

    /// `unit` as a JS string.
    pub fn unit(&mut self, unit: &str) -> JsValue {
        if let Some(made) = self.units.get(unit) {
            return made.clone();
        }
        let made = JsValue::from_str(unit);
        self.units.insert(unit.to_owned(), made.clone());
        made
    }
}

/// A statement that excludes or disputes an event, as JS sees it.
#[derive(Serialize)]
pub struct JsStatement {
    statement: String,
    author: String,
    dispute: bool,
    reason: String,
}

/// Why an event does not count, as data the page words itself (`null`
/// when it counts): never a sentence, so nothing a person typed is taken
/// for a key.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum JsWhy {
    /// Excluded by the statements that count.
    Excluded { by: Vec<JsStatement> },
    /// Its author is banned: on my list (`local`), for signing two
    /// histories (`forked`), or by trusted authors' statements (`published`, `by`).
    AuthorBanned {
        author: String,
        ban: &'static str,
        by: Vec<String>,
    },
}

pub(crate) fn why(s: &Status) -> Option<JsWhy> {
    match s {
        Status::Included => None,
        Status::Excluded { by } => Some(JsWhy::Excluded {
            by: by.iter().map(statement).collect(),
        }),
        Status::AuthorBanned { author, reason } => {
            let (ban, by) = match reason {
                BanReason::Local => ("local", Vec::new()),
                BanReason::Forked => ("forked", Vec::new()),
                BanReason::Published { by } => {
                    ("published", by.iter().map(|(k, _)| k.to_hex()).collect())
                }
            };
            Some(JsWhy::AuthorBanned {
                author: author.to_hex(),
                ban,
                by,
            })
        }
    }
}

fn statement(st: &StatementRef) -> JsStatement {
    JsStatement {
        statement: st.id.to_hex(),
        author: st.author.to_hex(),
        dispute: st.dispute,
        reason: st.reason.clone(),
    }
}

pub(crate) fn contest(c: &Contest) -> JsContest {
    JsContest {
        statement: c.statement.id.to_hex(),
        author: c.statement.author.to_hex(),
        dispute: c.statement.dispute,
        reason: c.statement.reason.clone(),
        verdict: verdict(&c.verdict),
        excluded_by: match &c.verdict {
            Verdict::Excluded { by } => by.iter().map(statement).collect(),
            _ => Vec::new(),
        },
    }
}

fn movement(m: &Movement, counted: bool, shared: &mut SharedStrings) -> JsMovement {
    JsMovement {
        event: m.event.to_hex(),
        counterparty: shared.key(&m.counterparty),
        delta: m.delta,
        capped_from: m.capped_from,
        counted,
        status: status(&m.status),
        why: why(&m.status),
        contests: m.contests.iter().map(contest).collect(),
    }
}

/// Why an account has its balance, as JS reads it; the people it names
/// and its unit from `shared`.
pub fn explanation(e: &Explanation, shared: &mut SharedStrings) -> JsExplanation {
    JsExplanation {
        account: shared.key(&e.account),
        unit: shared.unit(&e.unit),
        balance: e.balance,
        counted: e
            .counted
            .iter()
            .map(|m| movement(m, true, shared))
            .collect(),
        not_counted: e
            .not_counted
            .iter()
            .map(|m| movement(m, false, shared))
            .collect(),
    }
}

/// Every debt with why. A year of history puts 100,000 payments under
/// them, naming the same few hundred people: each person's key and each
/// unit cross to JS once ([`SharedStrings`]).
pub fn debts(replica: &Replica) -> Vec<Debt> {
    let mut shared = SharedStrings::default();
    replica
        .view()
        .debts(replica.log())
        .iter()
        .map(|d| Debt {
            account: shared.key(&d.account),
            unit: shared.unit(&d.unit),
            amount: d.amount,
            explanation: explanation(&d.explanation, &mut shared),
        })
        .collect()
}

/// A debt without its list of transfers: what the panel says of it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsDebtSummary {
    #[serde(with = "serde_wasm_bindgen::preserve")]
    account: JsValue,
    #[serde(with = "serde_wasm_bindgen::preserve")]
    unit: JsValue,
    amount: u128,
    /// How many transfers explain it (counted or not).
    transfers: u32,
    /// How many transfers to the account do not count here.
    not_counted_in: u32,
    /// The first of them ([`trustfold::DebtSummary::BECAUSE`]).
    because: Vec<JsMovement>,
    /// The counted transfers summed per person, the one paid most first.
    with_whom: Vec<JsWithWhom>,
    /// People past those in `with_whom`.
    others: u32,
}

/// The counted transfers with one person ([`trustfold::WithWhom`]).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsWithWhom {
    #[serde(with = "serde_wasm_bindgen::preserve")]
    counterparty: JsValue,
    paid: u128,
    received: u128,
    transfers: u32,
}

/// Every debt's summary ([`trustfold::Debt::summary`]), at most `most`
/// people in each one's sums.
pub fn debt_summaries(replica: &Replica, most: usize) -> Vec<JsDebtSummary> {
    let mut shared = SharedStrings::default();
    replica
        .view()
        .debt_summaries(replica.log(), most)
        .iter()
        .map(|d| debt_summary(d, &mut shared))
        .collect()
}

/// A debt's summary as JS reads it.
pub fn debt_summary(d: &trustfold::DebtSummary, shared: &mut SharedStrings) -> JsDebtSummary {
    JsDebtSummary {
        account: shared.key(&d.account),
        unit: shared.unit(&d.unit),
        amount: d.amount,
        transfers: d.transfers as u32,
        not_counted_in: d.not_counted_in as u32,
        because: d
            .because
            .iter()
            .map(|m| movement(m, false, shared))
            .collect(),
        with_whom: d
            .with_whom
            .iter()
            .map(|w| JsWithWhom {
                counterparty: shared.key(&w.counterparty),
                paid: w.paid,
                received: w.received,
                transfers: w.transfers as u32,
            })
            .collect(),
        others: d.others as u32,
    }
}

#[derive(Serialize)]
#[serde(untagged)]
pub enum FieldValue {
    Null(Option<()>),
    Bool(bool),
    Number(f64),
    Str(String),
    Text { text: String },
    Other { unsupported: String },
}

fn field_value(v: &Value) -> FieldValue {
    match v {
        Value::Scalar(Scalar::Null) => FieldValue::Null(None),
        Value::Scalar(Scalar::Bool(b)) => FieldValue::Bool(*b),
        Value::Scalar(Scalar::Number(n)) => FieldValue::Number(*n),
        Value::Scalar(Scalar::Str(s)) => FieldValue::Str(s.clone()),
        Value::Text(t) => FieldValue::Text { text: t.clone() },
        Value::Other(kind) => FieldValue::Other {
            unsupported: kind.clone(),
        },
    }
}

#[derive(Serialize)]
pub struct JsField {
    value: FieldValue,
    conflicts: Vec<FieldValue>,
}

#[derive(Serialize)]
pub struct JsRecord {
    id: String,
    fields: BTreeMap<String, JsField>,
}

/// One value of a field with who wrote it (`fieldWriters`).
#[derive(Serialize)]
pub struct FieldWriter {
    value: FieldValue,
    author: String,
}

pub fn field_writer(value: &Value, author: &trustfold::PublicKey) -> FieldWriter {
    FieldWriter {
        value: field_value(value),
        author: author.to_hex(),
    }
}

/// One edit of a record (`recordHistory`).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordEdit {
    event: String,
    author: String,
    time: u64,
    made: bool,
    deleted: bool,
    restored: bool,
    fields: Vec<String>,
    counted: bool,
    why: Option<JsWhy>,
}

pub fn record_edit(e: &trustfold::RecordEdit) -> RecordEdit {
    RecordEdit {
        event: e.event.to_hex(),
        author: e.author.to_hex(),
        time: e.time,
        made: e.made,
        deleted: e.deleted,
        restored: e.restored,
        fields: e.fields.clone(),
        counted: e.counts(),
        why: why(&e.status),
    }
}

/// An edit of a collection with its record (`uncountedEdits`, `editsAmong`).
#[derive(Serialize)]
pub struct EditOfRecord {
    record: String,
    #[serde(flatten)]
    edit: RecordEdit,
}

pub fn edit_of_record(u: &trustfold::EditOfRecord) -> EditOfRecord {
    EditOfRecord {
        record: u.record.clone(),
        edit: record_edit(&u.edit),
    }
}

/// An author the view leaves out, and why (`bannedAuthors`).
#[derive(Serialize)]
pub struct BannedAuthor {
    pub author: String,
    /// `local`, `forked` or `published`.
    reason: &'static str,
    /// For `published`: the people whose published bans count.
    by: Vec<String>,
}

pub fn banned_author(author: &trustfold::PublicKey, reason: &trustfold::BanReason) -> BannedAuthor {
    let (reason, by) = match reason {
        trustfold::BanReason::Local => ("local", Vec::new()),
        trustfold::BanReason::Forked => ("forked", Vec::new()),
        trustfold::BanReason::Published { by } => {
            ("published", by.iter().map(|(k, _)| k.to_hex()).collect())
        }
    };
    BannedAuthor {
        author: author.to_hex(),
        reason,
        by,
    }
}

/// What a key's owner says about themselves (`selfClaims`).
#[derive(Serialize)]
pub struct SelfClaim {
    pub author: String,
    pub record: JsRecord,
}

pub fn record(id: &str, r: &Record) -> JsRecord {
    JsRecord {
        id: id.to_owned(),
        fields: r
            .fields
            .iter()
            .map(|(name, f)| {
                let field = JsField {
                    value: field_value(&f.value),
                    conflicts: f.conflicts.iter().map(field_value).collect(),
                };
                (name.clone(), field)
            })
            .collect(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsPolicy {
    me: String,
    trusted: Vec<String>,
    banned: Vec<String>,
    quorum: u32,
    follow_bans: bool,
}

pub fn policy(p: &Policy) -> JsPolicy {
    JsPolicy {
        me: p.me.to_hex(),
        trusted: p.trusted.iter().map(|k| k.to_hex()).collect(),
        banned: p.banned.iter().map(|k| k.to_hex()).collect(),
        quorum: p.quorum.get(),
        follow_bans: p.follow_bans,
    }
}

/// Another policy to compare views with, as JS passes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PolicyInput {
    pub me: Option<String>,
    #[serde(default)]
    pub trusted: Vec<String>,
    #[serde(default)]
    pub banned: Vec<String>,
    pub quorum: Option<u32>,
    pub follow_bans: Option<bool>,
    /// Subjects whose statements published by the viewer are read as
    /// withdrawn (previewing a published unban or untrust).
    #[serde(default)]
    pub withdrawn: Vec<String>,
}

#[derive(Serialize)]
pub struct JsDifference {
    event: String,
    kind: &'static str,
    status: JsStatus,
    why: Option<JsWhy>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsComparison {
    only_mine: Vec<JsDifference>,
    only_theirs: Vec<JsDifference>,
}

fn difference(d: &Difference) -> JsDifference {
    JsDifference {
        event: d.event.to_hex(),
        kind: d.kind,
        status: status(&d.status),
        why: why(&d.status),
    }
}

pub fn comparison(c: &Comparison) -> JsComparison {
    JsComparison {
        only_mine: c.only_first.iter().map(difference).collect(),
        only_theirs: c.only_second.iter().map(difference).collect(),
    }
}

#[derive(Serialize)]
pub struct JsRefused {
    index: u32,
    code: &'static str,
    detail: &'static str,
    message: String,
}

#[derive(Serialize)]
pub struct JsReceived {
    stored: u32,
    applied: u32,
    refused: Vec<JsRefused>,
}

/// What `receive` did, with a stable code for each refused event.
pub fn received(received: &trustfold::Received) -> JsReceived {
    JsReceived {
        stored: received.stored.len() as u32,
        applied: received.applied as u32,
        refused: received
            .refused
            .iter()
            .map(|(index, e)| JsRefused {
                index: *index as u32,
                code: crate::errors::code(e),
                detail: e.code(),
                message: e.to_string(),
            })
            .collect(),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsSyncStatus {
    known: f64,
    unconfirmed: f64,
    made: f64,
    waiting: f64,
    missing: f64,
    peers: f64,
    link_limit: f64,
    connections: f64,
    connections_left: f64,
    ice_restarts: f64,
    rooms_made: f64,
    peer_backlog: f64,
    send_backlog: f64,
    dropped: JsDroppedPeers,
    relay: JsRelayStatus,
    tab_backlog: JsTabBacklog,
}

#[derive(Serialize)]
pub struct JsDroppedPeers {
    total: f64,
    latest: Vec<JsDroppedPeer>,
}

#[derive(Serialize)]
pub struct JsDroppedPeer {
    peer: String,
    key: Option<String>,
    code: &'static str,
}

#[derive(Serialize)]
pub struct JsTabBacklog {
    bytes: f64,
    limit: f64,
    overflows: f64,
}

pub fn sync_status(s: &crate::runtime::SyncStatus) -> JsSyncStatus {
    JsSyncStatus {
        known: s.known as f64,
        unconfirmed: s.unconfirmed as f64,
        made: s.made as f64,
        waiting: s.waiting as f64,
        missing: s.missing as f64,
        peers: s.peers as f64,
        link_limit: s.link_limit as f64,
        connections: f64::from(s.connections),
        connections_left: f64::from(s.connections_left),
        ice_restarts: f64::from(s.ice_restarts),
        rooms_made: f64::from(s.rooms_made),
        peer_backlog: s.peer_backlog as f64,
        send_backlog: s.send_backlog as f64,
        dropped: JsDroppedPeers {
            total: f64::from(s.dropped.total),
            latest: s
                .dropped
                .latest
                .iter()
                .map(|d| JsDroppedPeer {
                    peer: d.peer.clone(),
                    key: d.key.map(|k| k.to_hex()),
                    code: d.code,
                })
                .collect(),
        },
        relay: relay_status(&s.relay),
        tab_backlog: JsTabBacklog {
            bytes: s.tab_backlog.bytes as f64,
            limit: s.tab_backlog.limit as f64,
            overflows: f64::from(s.tab_backlog.overflows),
        },
    }
}

#[derive(Serialize)]
pub struct JsRelayStatus {
    state: &'static str,
    error: Option<String>,
    unsent: f64,
    reconnects: f64,
    notice: Option<JsRelayNotice>,
    limits: Option<JsRelayLimits>,
}

#[derive(Serialize)]
pub struct JsRelayNotice {
    code: String,
    at: f64,
}

/// The relay's limits document with plain numbers (not `bigint`s).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsRelayLimits {
    max_events_per_network: f64,
    max_bytes_per_network: f64,
    author_share_percent: f64,
    frames_per_second: f64,
    frames_burst: f64,
    bytes_per_second: f64,
    bytes_burst: f64,
    author_events_per_minute: f64,
    author_events_burst: f64,
    max_frame_bytes: f64,
    window_bytes: f64,
    idle_release_seconds: f64,
    evicts_events: bool,
}

pub fn relay_status(r: &crate::runtime::RelayStatus) -> JsRelayStatus {
    JsRelayStatus {
        state: r.state,
        error: r.error.clone(),
        unsent: r.unsent as f64,
        reconnects: r.reconnects as f64,
        notice: r.notice.as_ref().map(|n| JsRelayNotice {
            code: n.code.clone(),
            at: n.at,
        }),
        limits: r.limits.as_ref().map(|l| JsRelayLimits {
            max_events_per_network: l.max_events_per_network as f64,
            max_bytes_per_network: l.max_bytes_per_network as f64,
            author_share_percent: f64::from(l.author_share_percent),
            frames_per_second: l.frames_per_second,
            frames_burst: l.frames_burst,
            bytes_per_second: l.bytes_per_second,
            bytes_burst: l.bytes_burst,
            author_events_per_minute: f64::from(l.author_events_per_minute),
            author_events_burst: f64::from(l.author_events_burst),
            max_frame_bytes: l.max_frame_bytes as f64,
            window_bytes: l.window_bytes as f64,
            idle_release_seconds: l.idle_release_seconds as f64,
            evicts_events: l.evicts_events,
        }),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct JsPeer {
    id: String,
    key: Option<String>,
    events_sent: f64,
    events_received: f64,
    bytes_sent: f64,
    bytes_received: f64,
    /// Events this node owes the peer.
    unsent: f64,
    /// Heads the peer announced that this node lacks.
    heads_missing: f64,
}

pub fn peer(p: &crate::runtime::PeerLink) -> JsPeer {
    JsPeer {
        id: p.id.clone(),
        key: p.key.map(|k| k.to_hex()),
        events_sent: p.traffic.events_sent as f64,
        events_received: p.traffic.events_received as f64,
        bytes_sent: p.traffic.bytes_sent as f64,
        bytes_received: p.traffic.bytes_received as f64,
        unsent: p.unsent as f64,
        heads_missing: p.heads_missing as f64,
    }
}

#[derive(Serialize)]
pub struct JsFork {
    author: String,
    seq: f64,
    first: String,
    second: String,
}

pub fn fork(f: &trustfold::ForkProof) -> JsFork {
    JsFork {
        author: f.author.to_hex(),
        seq: f.seq as f64,
        first: f.first.to_hex(),
        second: f.second.to_hex(),
    }
}

#[derive(Serialize)]
pub struct JsTrustStatement {
    event: String,
    author: String,
    subject: String,
    level: &'static str,
    time: f64,
}

/// Every `Trust` event in `log`, in log order.
pub fn trust_statements(log: &trustfold::Log) -> Vec<JsTrustStatement> {
    (0..log.len() as EventIx)
        .filter_map(|ix| {
            let event = log.entry(ix).event();
            let Body::Trust { subject, level } = event.body() else {
                return None;
            };
            Some(JsTrustStatement {
                event: event.id().to_hex(),
                author: event.author().to_hex(),
                subject: subject.to_hex(),
                level: match level {
                    trustfold::TrustLevel::Trusted => "trusted",
                    trustfold::TrustLevel::Neutral => "neutral",
                    trustfold::TrustLevel::Banned => "banned",
                },
                time: event.time() as f64,
            })
        })
        .collect()
}

/// An author's published trust lists ([`trustfold::Log::published_policy`]).
#[derive(Serialize)]
pub struct JsPublishedPolicy {
    author: String,
    trusted: Vec<String>,
    banned: Vec<String>,
}

pub fn published_policy(p: &trustfold::PublishedPolicy) -> JsPublishedPolicy {
    let hex = |keys: &[trustfold::PublicKey]| keys.iter().map(|k| k.to_hex()).collect();
    JsPublishedPolicy {
        author: p.author.to_hex(),
        trusted: hex(&p.trusted),
        banned: hex(&p.banned),
    }
}

/// Which network a node is for (`NetworkInfo`).
#[derive(Serialize)]
pub struct JsNetworkInfo {
    kind: &'static str,
    name: String,
    room: String,
    invite: Option<String>,
    /// A link's check of the invite and the name (private).
    check: Option<String>,
}

/// A network as JS sees it: its kind, name, room and (private) invite.
pub fn network_info(network: &crate::network::NetworkRef) -> JsNetworkInfo {
    JsNetworkInfo {
        kind: match network.invite() {
            Some(_) => "private",
            None => "open",
        },
        name: network.name().to_owned(),
        room: network.room(),
        invite: network.invite().map(|invite| invite.secret_hex()),
        check: network.invite().map(|invite| invite.check()),
    }
}

/// An event that counts for nothing (`VoidEvent`).
#[derive(Serialize)]
pub struct JsVoidEvent {
    event: String,
    author: String,
    reason: String,
}

/// A void event as JS sees it: the verdict's code as `reason`.
pub fn void_event(event: &trustfold::Event) -> JsVoidEvent {
    JsVoidEvent {
        event: event.id().to_hex(),
        author: event.author().to_hex(),
        reason: event.void().map_or("", |void| void.code()).to_owned(),
    }
}

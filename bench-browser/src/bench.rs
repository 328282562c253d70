//! The wasm side of the browser benchmarks: async functions the bench page
//! calls, each returning a JSON string of timings (ms, `performance.now()`)
//! and the checks that make them trustworthy (counts, state digests).
//!
//! Fixtures are handed over once with [`load_fixture`] (not timed), so the
//! timed sections never include copying bytes from JS into wasm memory.

use crate::fixture;
use ed25519_dalek::{Signature, VerifyingKey};
use serde_json::{Value, json};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Debug;
use std::rc::Rc;
use trustfold::invite::{Invite, NONCE_LEN, admitted};
use trustfold::store::Store;
use trustfold::{Event, EventId, Network, Node, Policy, PublicKey, Replica, causal_order};
use trustfold_web::IdbStore;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `performance.now()`: ms since the page's time origin.
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn now() -> f64;
}

type Records = Rc<Vec<(EventId, Vec<u8>)>>;

thread_local! {
    static FIXTURES: RefCell<HashMap<String, Records>> = RefCell::new(HashMap::new());
}

fn records(name: &str) -> Result<Records, JsValue> {
    FIXTURES
        .with(|f| f.borrow().get(name).cloned())
        .ok_or_else(|| JsValue::from_str(&format!("fixture {name} not loaded")))
}

fn random() -> [u8; 32] {
    let mut bytes = [0; 32];
    getrandom::fill(&mut bytes).expect("crypto.getRandomValues");
    bytes
}

fn fail(e: impl Debug) -> JsValue {
    JsValue::from_str(&format!("{e:?}"))
}

fn out(value: Value) -> String {
    value.to_string()
}

/// Parses a fixture file (see [`fixture`]) and keeps it under `name`; returns its record count.
#[wasm_bindgen]
pub fn load_fixture(name: &str, data: &[u8]) -> usize {
    let parsed = fixture::parse(data);
    let n = parsed.len();
    FIXTURES.with(|f| f.borrow_mut().insert(name.to_owned(), Rc::new(parsed)));
    n
}

/// The private network of the sealed fixtures (`gen-fixtures`).
fn bench_invite() -> Invite {
    Invite::new([7; 32], "bench").expect("a valid name")
}

/// The benchmark itself: `Node::receive_batch` of every event of fixture
/// `name` into a node over a fresh IndexedDB database `db` (deleted after),
/// of the sealed fixtures' private network if `private`, else of an open one.
#[wasm_bindgen]
pub async fn ingest_trustfold(name: String, db: String, private: bool) -> Result<String, JsValue> {
    let records = records(&name)?;
    let batch: Vec<&[u8]> = records.iter().map(|(_, b)| b.as_slice()).collect();
    let t0 = now();
    let store = IdbStore::open(&db).await.map_err(fail)?;
    let t1 = now();
    let invite = private.then(bench_invite);
    let (node, _) = Node::open_in(store, invite, None, random)
        .await
        .map_err(fail)?;
    let t2 = now();
    let received = node.receive_batch(&batch).await.map_err(fail)?;
    let t3 = now();
    let digest = node
        .replica()
        .view()
        .state_digest(node.replica().log())
        .to_hex();
    let events = node.replica().log().len();
    let stored = node.store().event_count().await.map_err(fail)?;
    node.into_store().close();
    IdbStore::delete(&db).await.map_err(fail)?;
    Ok(out(json!({
        "idb_open_ms": t1 - t0,
        "node_open_ms": t2 - t1,
        "receive_batch_ms": t3 - t2,
        "stored": received.stored.len(),
        "applied": received.applied,
        "refused": received.refused.len(),
        "events_in_log": events,
        "events_in_store": stored,
        "digest": digest,
    })))
}

/// What trustfold's store alone costs for the same write: `IdbStore::put_events`
/// of every record of fixture `name` into a fresh database `db` (deleted after).
#[wasm_bindgen]
pub async fn ingest_idb_store(name: String, db: String) -> Result<String, JsValue> {
    let records = records(&name)?;
    let refs: Vec<(EventId, &[u8])> = records.iter().map(|(id, b)| (*id, b.as_slice())).collect();
    let store = IdbStore::open(&db).await.map_err(fail)?;
    let t0 = now();
    store.put_events(&refs).await.map_err(fail)?;
    let t1 = now();
    store.close();
    IdbStore::delete(&db).await.map_err(fail)?;
    Ok(out(json!({ "put_events_ms": t1 - t0 })))
}

/// The raw batch-verification anchor: `ed25519_dalek::verify_batch` over the
/// fixture's (signed bytes, signature, key), keys decompressed beforehand
/// (the ceiling), and with one key decompression per event.
#[wasm_bindgen]
pub fn anchor_verify_batch(name: String) -> Result<String, JsValue> {
    let records = records(&name)?;
    let events: Vec<Event> = records
        .iter()
        .map(|(_, b)| Event::from_own_store(b))
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    let messages: Vec<&[u8]> = events.iter().map(Event::signed_bytes).collect();
    let signatures: Vec<Signature> = events
        .iter()
        .map(|e| Signature::from_slice(e.signature()))
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    let authors: Vec<PublicKey> = events.iter().map(Event::author).collect();
    let keys: Vec<VerifyingKey> = authors
        .iter()
        .map(|a| VerifyingKey::from_bytes(&a.0))
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    let t0 = now();
    ed25519_dalek::verify_batch(&messages, &signatures, &keys).map_err(fail)?;
    let t1 = now();
    let decoded: Vec<VerifyingKey> = authors
        .iter()
        .map(|a| VerifyingKey::from_bytes(&a.0))
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    ed25519_dalek::verify_batch(&messages, &signatures, &decoded).map_err(fail)?;
    let t2 = now();
    Ok(out(json!({
        "verify_batch_ms": t1 - t0,
        "verify_batch_with_key_decoding_ms": t2 - t1,
        "events": events.len(),
    })))
}

/// Where ingest time goes: the parts of `receive_batch`, timed one by one
/// over the same fixture (decode, hash, signature, the IndexedDB write, the
/// log insert and reduction).
#[wasm_bindgen]
pub async fn ingest_phases(name: String, db: String) -> Result<String, JsValue> {
    let records = records(&name)?;
    let t0 = now();
    for (_, bytes) in records.iter() {
        trustfold::event::encoding::decode(bytes).map_err(fail)?;
    }
    let t1 = now();
    for (_, bytes) in records.iter() {
        std::hint::black_box(EventId::of_bytes(bytes));
    }
    let t2 = now();
    let events: Vec<Event> = records
        .iter()
        .map(|(_, b)| Event::from_bytes(b))
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    let t3 = now();
    for event in &events {
        let key = VerifyingKey::from_bytes(&event.author().0).map_err(fail)?;
        let signature = Signature::from_slice(event.signature()).map_err(fail)?;
        key.verify_strict(event.signed_bytes(), &signature)
            .map_err(fail)?;
    }
    let t4 = now();
    let store = IdbStore::open(&db).await.map_err(fail)?;
    let refs: Vec<(EventId, &[u8])> = records.iter().map(|(id, b)| (*id, b.as_slice())).collect();
    let t5 = now();
    store.put_events(&refs).await.map_err(fail)?;
    let t6 = now();
    store.close();
    IdbStore::delete(&db).await.map_err(fail)?;
    let mut replica = Replica::new(Policy::new(PublicKey(random())));
    let t7 = now();
    for event in events {
        replica.insert(event).map_err(fail)?;
    }
    let t8 = now();
    Ok(out(json!({
        "decode_ms": t1 - t0,
        "blake3_ids_ms": t2 - t1,
        "event_from_bytes_ms": t3 - t2,
        "key_decoding_and_verify_strict_ms": t4 - t3,
        "idb_put_events_ms": t6 - t5,
        "replica_insert_ms": t8 - t7,
        "events": records.len(),
    })))
}

/// A sealed event's header (the associated data), nonce and ciphertext,
/// found from where its admission tag is (the header ends with the tag and
/// the nonce; the ciphertext's length prefix follows).
fn sealed_parts(event: &Event) -> (&[u8], [u8; NONCE_LEN], &[u8]) {
    let bytes = event.bytes();
    let tag = event.admission().expect("sealed");
    let tag_at = tag.as_ptr() as usize - bytes.as_ptr() as usize;
    let header_len = tag_at + tag.len() + NONCE_LEN;
    let nonce: [u8; NONCE_LEN] = bytes[header_len - NONCE_LEN..header_len]
        .try_into()
        .expect("24 bytes");
    let mut at = header_len;
    while bytes[at] & 0x80 != 0 {
        at += 1;
    }
    (
        &bytes[..header_len],
        nonce,
        &bytes[at + 1..bytes.len() - 64],
    )
}

/// Where a sealed event's extra time goes (private networks, issue #13),
/// the parts timed one by one over fixtures `clear` and `sealed` (the same
/// transfers): `Event::from_bytes` of each (decode, BLAKE3 id, key
/// decompression, `verify_strict`), the admission tag check of every event
/// (uncached: per-check cost) and `Network::admit` of every verified sealed
/// event with a fresh network (the tag checked once per author, then the
/// body opened), the XChaCha20-Poly1305 decryption alone, and
/// `Event::opened` (decryption + canonical decode + body rules).
#[wasm_bindgen]
pub fn sealed_phases(clear: String, sealed: String) -> Result<String, JsValue> {
    let (clear, sealed) = (records(&clear)?, records(&sealed)?);
    let keys = bench_invite().keys();
    let network_key = keys.network();
    let t0 = now();
    for (_, bytes) in clear.iter() {
        std::hint::black_box(Event::from_bytes(bytes).map_err(fail)?);
    }
    let t1 = now();
    let events: Vec<Event> = sealed
        .iter()
        .map(|(_, b)| Event::from_bytes(b))
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    let t2 = now();
    for event in &events {
        let tag = event.admission().ok_or_else(|| fail("not sealed"))?;
        if !admitted(&network_key, &event.author(), tag) {
            return Err(fail("not admitted"));
        }
    }
    let t3 = now();
    for event in &events {
        let (header, nonce, ciphertext) = sealed_parts(event);
        std::hint::black_box(keys.open(&nonce, header, ciphertext).map_err(fail)?);
    }
    let t4 = now();
    let copies = events.clone();
    let t5 = now();
    for event in copies {
        let opened = event.opened(&keys);
        if opened.void().is_some() {
            return Err(fail("void"));
        }
        std::hint::black_box(opened);
    }
    let t6 = now();
    let network = Network::private(bench_invite(), random());
    let copies = events.clone();
    let t7 = now();
    for event in copies {
        std::hint::black_box(network.admit(event).map_err(fail)?);
    }
    let t8 = now();
    let authors: std::collections::HashSet<PublicKey> = events.iter().map(Event::author).collect();
    Ok(out(json!({
        "event_from_bytes_clear_ms": t1 - t0,
        "event_from_bytes_sealed_ms": t2 - t1,
        "admission_check_every_event_ms": t3 - t2,
        "decryption_ms": t4 - t3,
        "opened_ms": t6 - t5,
        "network_admit_ms": t8 - t7,
        "events": events.len(),
        "authors": authors.len(),
        "clear_bytes": clear.iter().map(|(_, b)| b.len()).sum::<usize>(),
        "sealed_bytes": sealed.iter().map(|(_, b)| b.len()).sum::<usize>(),
    })))
}

/// Fills database `db` with fixture `name` for the cold-open benchmark (not
/// the benchmark itself): opens a node (which creates the identity), puts
/// every record in batches of 512 (a block each, as a catch-up's chunks
/// are written), then opens the node again from its log
/// as a user's node would, reads the document and saves the snapshots (the
/// cached state and the saved Automerge document).
#[wasm_bindgen]
pub async fn setup_open(name: String, db: String, collection: String) -> Result<String, JsValue> {
    let records = records(&name)?;
    let t0 = now();
    let store = IdbStore::open(&db).await.map_err(fail)?;
    let (node, _) = Node::open(store, random).await.map_err(fail)?;
    let refs: Vec<(EventId, &[u8])> = records.iter().map(|(id, b)| (*id, b.as_slice())).collect();
    for chunk in refs.chunks(512) {
        node.store().put_events(chunk).await.map_err(fail)?;
    }
    let stored = node.store().event_count().await.map_err(fail)?;
    let store = node.into_store();
    let t1 = now();
    let (node, report) = Node::open(store, random).await.map_err(fail)?;
    let t2 = now();
    let records_in_collection = node.replica_mut().collection(&collection).records.len();
    let t3 = now();
    node.save_snapshots(js_sys::Date::now() as u64)
        .await
        .map_err(fail)?;
    let t4 = now();
    let state = node.store().get_snapshot("state").await.map_err(fail)?;
    let docs = node.store().get_snapshot("docs").await.map_err(fail)?;
    node.into_store().close();
    Ok(out(json!({
        "write_ms": t1 - t0,
        "stored": stored,
        "warm_open_without_snapshots_ms": t2 - t1,
        "warm_open_events": report.events,
        "warm_open_skipped": report.skipped.len(),
        "warm_doc_read_without_saved_doc_ms": t3 - t2,
        "records_in_collection": records_in_collection,
        "save_snapshots_ms": t4 - t3,
        "state_snapshot_bytes": state.map(|s| s.len()),
        "docs_snapshot_bytes": docs.map(|s| s.len()),
    })))
}

fn text_chars(replica: &mut Replica, collection: &str, record: &str, field: &str) -> Option<usize> {
    replica
        .record(collection, record)
        .and_then(|r| r.text(field).map(|t| t.chars().count()))
}

/// The cold-open benchmark, first thing in a freshly started browser:
/// `IdbStore::open` of database `db`, the cached state (`Node::cached_state`:
/// one balance and the document's text as last saved), then `Node::open`
/// and the same reads from the state computed from the log.
#[wasm_bindgen]
pub async fn open_trustfold(
    db: String,
    account: String,
    unit: String,
    collection: String,
    record: String,
    field: String,
) -> Result<String, JsValue> {
    let account = PublicKey::from_hex(&account).ok_or("bad account hex")?;
    let t0 = now();
    let store = IdbStore::open(&db).await.map_err(fail)?;
    let t1 = now();
    let cached = Node::cached_state(&store).await.map_err(fail)?;
    let (cached_balance, cached_chars) = match &cached {
        Some(state) => (
            state
                .balances
                .iter()
                .find(|(a, u, _)| *a == account && *u == unit)
                .map(|(_, _, b)| b.to_string()),
            state
                .collection(&collection)
                .records
                .get(&record)
                .and_then(|r| r.text(&field).map(|t| t.chars().count())),
        ),
        None => (None, None),
    };
    let t2 = now();
    let (node, report) = Node::open(store, random).await.map_err(fail)?;
    let t3 = now();
    let balance = {
        let replica = node.replica();
        replica.view().balance(replica.log(), &account, &unit)
    };
    let t4 = now();
    let chars = text_chars(&mut node.replica_mut(), &collection, &record, &field);
    let t5 = now();
    let digest = node
        .replica()
        .view()
        .state_digest(node.replica().log())
        .to_hex();
    let pending = node.replica().log().pending_len();
    node.into_store().close();
    Ok(out(json!({
        "start_ms": t0,
        "idb_open_ms": t1 - t0,
        "cached_state_ms": t2 - t1,
        "first_state_ms": t2 - t0,
        "first_state_at_ms": t2,
        "cached_found": cached.is_some(),
        "cached_events": cached.as_ref().map(|c| c.events),
        "cached_balance": cached_balance,
        "cached_doc_chars": cached_chars,
        "node_open_ms": t3 - t2,
        "balance_read_ms": t4 - t3,
        "log_state_ms": t4 - t0,
        "log_state_at_ms": t4,
        "doc_read_ms": t5 - t4,
        "doc_state_ms": t5 - t0,
        "doc_state_at_ms": t5,
        "events": report.events,
        "skipped": report.skipped.len(),
        "first_skipped": report.skipped.first(),
        "saved_documents": report.saved_documents,
        "cached_state_current": report.cached_state_current,
        "pending": pending,
        "balance": balance.to_string(),
        "doc_chars": chars,
        "digest": digest,
    })))
}

/// Where open time goes: `Node::open`'s steps done one by one on database
/// `db` (read the snapshots, load the records, re-hash, decode, order,
/// insert), and the document's first read *without* the saved document
/// (rebuilt from the log's changes), which is what the snapshot saves.
#[wasm_bindgen]
pub async fn open_phases(
    db: String,
    collection: String,
    record: String,
    field: String,
) -> Result<String, JsValue> {
    let t0 = now();
    let store = IdbStore::open(&db).await.map_err(fail)?;
    let t1 = now();
    let state = store.get_snapshot("state").await.map_err(fail)?;
    let t2 = now();
    let docs = store.get_snapshot("docs").await.map_err(fail)?;
    let t3 = now();
    let loaded = store.load_events().await.map_err(fail)?;
    let t4 = now();
    store.close();
    // Part of load_events: the store re-hashes every record against its id.
    for (_, bytes) in &loaded.events {
        std::hint::black_box(EventId::of_bytes(bytes));
    }
    let t5 = now();
    let events: Vec<Event> = loaded
        .events
        .iter()
        .map(|(_, b)| Event::from_own_store(b))
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    let t6 = now();
    let events = causal_order(events);
    let t7 = now();
    let session = random();
    let mut replica = Replica::for_session(Policy::new(PublicKey(random())), &session[..8]);
    for event in events {
        replica.insert(event).map_err(fail)?;
    }
    let t8 = now();
    let applied = replica.log().len();
    let digest = replica.view().state_digest(replica.log()).to_hex();
    let chars = text_chars(&mut replica, &collection, &record, &field);
    let t9 = now();

    // What opening does with the saved document: load it, then apply the
    // log's changes (all already in it) on top.
    let (mut saved_doc_load_ms, mut change_decode_ms, mut apply_on_saved_ms) = (None, None, None);
    if let Some(bytes) = &docs
        && let Some((_, rest)) = bytes.split_first()
        && let Ok(saved) = postcard::from_bytes::<Vec<(trustfold::DocId, Vec<u8>)>>(rest)
        && let Some((_, doc_bytes)) = saved.first()
    {
        let t = now();
        let mut doc = automerge::Automerge::load(doc_bytes).map_err(fail)?;
        let t_loaded = now();
        let changes: Vec<automerge::Change> = replica
            .log()
            .topological()
            .filter_map(|e| match e.body() {
                trustfold::Body::Doc { change, .. } => {
                    automerge::Change::from_bytes(change.clone()).ok()
                }
                _ => None,
            })
            .collect();
        let t_decoded = now();
        doc.apply_changes(changes).map_err(fail)?;
        let t_applied = now();
        saved_doc_load_ms = Some(t_loaded - t);
        change_decode_ms = Some(t_decoded - t_loaded);
        apply_on_saved_ms = Some(t_applied - t_decoded);
    }
    Ok(out(json!({
        "saved_doc_load_ms": saved_doc_load_ms,
        "doc_change_decode_ms": change_decode_ms,
        "apply_log_changes_on_saved_doc_ms": apply_on_saved_ms,
        "idb_open_ms": t1 - t0,
        "get_state_snapshot_ms": t2 - t1,
        "state_snapshot_bytes": state.map(|s| s.len()),
        "get_docs_snapshot_ms": t3 - t2,
        "docs_snapshot_bytes": docs.map(|s| s.len()),
        "load_events_ms": t4 - t3,
        "records": loaded.events.len(),
        "blake3_rehash_ms": t5 - t4,
        "decode_from_own_store_ms": t6 - t5,
        "causal_order_ms": t7 - t6,
        "insert_ms": t8 - t7,
        "applied": applied,
        "digest": digest,
        "doc_read_without_saved_doc_ms": t9 - t8,
        "doc_chars": chars,
    })))
}

/// Bytes of events per `Events` message, as `sync::Session` packs them
/// (`EVENTS_PER_MESSAGE` in `src/sync/mod.rs`, private there).
const EVENTS_PER_FRAME: usize = trustfold::sync::MAX_FRAME - 1024;

fn salt() -> [u8; 16] {
    let mut salt = [0; 16];
    salt.copy_from_slice(&random()[..16]);
    salt
}

/// The records of fixture `name` grouped as the sync protocol groups them
/// into `Events` frames (back to back, at most [`EVENTS_PER_FRAME`] bytes).
fn frame_groups(records: &[(EventId, Vec<u8>)]) -> Vec<Vec<(EventId, &[u8])>> {
    let mut groups: Vec<Vec<(EventId, &[u8])>> = Vec::new();
    let mut size = 0;
    for (id, bytes) in records {
        if groups.is_empty() || (size + bytes.len() > EVENTS_PER_FRAME && size > 0) {
            groups.push(Vec::new());
            size = 0;
        }
        size += bytes.len();
        groups
            .last_mut()
            .expect("a group")
            .push((*id, bytes.as_slice()));
    }
    groups
}

/// Catch-up without a network (`BENCHMARKS.md`, "Browser: catch-up over
/// WebRTC"): a replica A holding fixture `name` (built untimed, events
/// trusted as from its own store) answers the `Hello` of a new node B over
/// a fresh IndexedDB database `db`, through the real `sync::Session`; then
/// B takes A's frames one by one with `Node::from_peer`, exactly as
/// `Node::sync_over` does over WebRTC, minus the transport and the JS
/// façade (no tab announcements, no snapshot saves). Timed: A's answer,
/// and B's `from_peer` of every frame.
#[wasm_bindgen]
pub async fn catchup_local(name: String, db: String) -> Result<String, JsValue> {
    use trustfold::sync::Session;
    let records = records(&name)?;
    let mut a = Replica::new(Policy::new(PublicKey(random())));
    for (_, bytes) in records.iter() {
        a.insert(Event::from_own_store(bytes).map_err(fail)?)
            .map_err(fail)?;
    }
    let a_digest = a.view().included_digest(a.log()).to_hex();
    let store = IdbStore::open(&db).await.map_err(fail)?;
    let (node, _) = Node::open(store, random).await.map_err(fail)?;
    // Both sides say Hello at once, as when a link comes up.
    let b_hello = node.connect_peer("a", salt());
    let mut session = Session::new(Vec::new());
    let a_hello = session.hello(a.log(), salt());
    let t0 = now();
    let mut frames = Vec::new();
    for (_, frame) in &b_hello {
        frames.extend(session.receive(a.log(), frame).map_err(fail)?.reply);
    }
    let t1 = now();
    // B takes A's frames; A answers B's acknowledgements (the receive
    // window: A sends at most 4 MiB ahead of them), until both are quiet.
    let mut b_sent = 0;
    let mut to_b: Vec<Vec<u8>> = a_hello.iter().chain(&frames).cloned().collect();
    let mut all_frames = frames.len();
    while !to_b.is_empty() {
        let mut to_a = Vec::new();
        for frame in &to_b {
            let send = node.from_peer("a", frame).await.map_err(fail)?.send;
            b_sent += send.len();
            to_a.extend(send.into_iter().map(|(_, f)| f));
        }
        to_b = Vec::new();
        for frame in &to_a {
            to_b.extend(session.receive(a.log(), frame).map_err(fail)?.reply);
        }
        all_frames += to_b.len();
    }
    let frames = all_frames;
    let t2 = now();
    let b_digest = node
        .replica()
        .view()
        .included_digest(node.replica().log())
        .to_hex();
    let events = node.replica().log().len();
    let pending = node.replica().log().pending_len();
    let stored = node.store().event_count().await.map_err(fail)?;
    node.into_store().close();
    IdbStore::delete(&db).await.map_err(fail)?;
    let traffic = session.traffic();
    Ok(out(json!({
        "a_answer_ms": t1 - t0,
        "b_from_peer_ms": t2 - t1,
        "total_ms": t2 - t0,
        "frames": frames,
        "frame_bytes": traffic.bytes_sent,
        "a_hello_bytes": a_hello.iter().map(Vec::len).sum::<usize>(),
        "events_sent": traffic.events_sent,
        "event_bytes_sent": traffic.event_bytes_sent,
        "b_frames_back": b_sent,
        "b_events": events,
        "b_pending": pending,
        "b_stored": stored,
        "digest_equal": a_digest == b_digest,
        "digest": b_digest,
    })))
}

/// Where catch-up time goes, the parts of B's work timed one by one over
/// fixture `name`: `Event::from_bytes` of every event (decode, BLAKE3 id,
/// key decompression, `verify_strict`), `IdbStore::put_events` of the
/// events in the groups the frames carry (one write per frame, awaited one
/// after the other as `from_peer` does, into a fresh database `db`), and
/// `Replica::insert`.
#[wasm_bindgen]
pub async fn catchup_phases(name: String, db: String) -> Result<String, JsValue> {
    let records = records(&name)?;
    let t0 = now();
    let events: Vec<Event> = records
        .iter()
        .map(|(_, b)| Event::from_bytes(b))
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    let t1 = now();
    let groups = frame_groups(&records);
    let store = IdbStore::open(&db).await.map_err(fail)?;
    let t2 = now();
    for group in &groups {
        store.put_events(group).await.map_err(fail)?;
    }
    let t3 = now();
    store.close();
    IdbStore::delete(&db).await.map_err(fail)?;
    let mut replica = Replica::new(Policy::new(PublicKey(random())));
    let t4 = now();
    for event in events {
        replica.insert(event).map_err(fail)?;
    }
    let t5 = now();
    Ok(out(json!({
        "event_from_bytes_ms": t1 - t0,
        "idb_put_events_per_frame_ms": t3 - t2,
        "replica_insert_ms": t5 - t4,
        "groups": groups.len(),
        "events": records.len(),
        "event_bytes": records.iter().map(|(_, b)| b.len()).sum::<usize>(),
    })))
}

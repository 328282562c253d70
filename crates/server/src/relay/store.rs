//! The relay's storage: every network it serves in one SQLite file.
//!
//! SQLite was chosen over redb by measurement (BENCHMARKS.md, "Relay
//! storage (issue #14)"): batches of small events commit 2–3× faster, the
//! file is 1.26× the raw bytes instead of 2.08×, reads are as fast, and its
//! crash story needs nothing extra for hostile bytes (redb is faster only
//! for batches of large events).
//!
//! # What is stored
//!
//! A network is known by its room (what the signalling server and the
//! relay see: the name of an open network, the admission key of a private
//! one) and numbered in the file by a compact id, given on first use
//! ([`RelayDb::network`]) — by the relay, with the first thing written to
//! it ([`RelayDb::network_on_write`]), so rooms joined and never written
//! to leave nothing in the file. Per network:
//!
//! * **events by insertion index** ([`EventIx`], from 0, consecutive):
//!   id, length, parents' indexes and exact bytes, keyed by
//!   `network << 32 | index` (the table's rowid, so reading by index or a
//!   range of indexes is one B-tree seek);
//! * **id → index** (an index on (network, id));
//! * **the heads**: the indexes of the events no held event names as a
//!   parent;
//! * **counters** for quotas: events and bytes of the network, how many
//!   authors, and events and bytes per author ([`Counts`]);
//! * **metadata and snapshots** by name, for the [`Store`] trait.
//!
//! # Durability, and what a crash leaves
//!
//! The file is in WAL mode with `synchronous=FULL`: a commit appends its
//! pages to the write-ahead log and fsyncs it before it returns.
//! [`NetworkStore::append`] writes a batch — the events, the heads, the
//! counters — in **one write transaction**, so it is durable when it
//! returns. A reader sees only committed, hence durable, state: an event
//! is in the heads a [`DagView`] gives (what the relay announces) only once
//! it is on disk.
//!
//! After a crash (SIGKILL, power loss), opening the file replays the log
//! up to its last whole commit: every frame carries a checksum chained over
//! the frames before it and the log's salt, which changes each time the
//! log restarts, so a commit cut short anywhere fails the check and is
//! dropped whole — and the salt is random, not something a stranger's
//! event bytes can choose (redb's one-phase commit leaves that to a
//! non-cryptographic checksum of the data, so a relay on redb would need
//! its slower two-phase commit). Replaying takes milliseconds: the log is
//! checkpointed into the file every ~4 MB.
//!
//! A batch's parents are resolved by id inside the transaction, and an
//! event whose parent is neither held nor earlier in the batch refuses the
//! whole batch ([`RelayStoreError::MissingParent`]). So whatever the
//! caller does and wherever a crash falls, the stored DAG is
//! prefix-closed: every index below the count is present, and every
//! event's parents are present with smaller indexes.
//!
//! # Reading, and memory
//!
//! [`NetworkStore::view`] opens one read transaction: a snapshot that
//! implements [`Dag`] for a sync session and does not move while later
//! appends commit. Its methods cannot fail (the trait's contract); a read
//! error is answered as if the event were unknown or empty and recorded,
//! and [`DagView::failed`] tells the caller to drop the session.
//!
//! Nothing is cached per network: each connection has a bounded page cache
//! ([`WRITER_CACHE_KIB`], [`READER_CACHE_KIB`]) and the OS caches the file.
//! A view holds one reader connection (taken from a pool of idle ones and
//! given back when dropped); while it is open the log cannot be
//! checkpointed past its snapshot, so a session holds a view for a round,
//! not for its life.
//!
//! Calls block on disk (an append waits for an fsync): async callers run
//! them on a blocking thread. Appends to all networks go through one
//! writer connection, one at a time; reads never wait for the writer.
//! Another process may open the same file (SQLite locks it), for instance
//! to inspect a live relay.
//!
//! Longer than most files here: the schema, the writer's appends and the
//! readers' views are one format, and each statement's SQL must agree with
//! the tables made above it; split, a change to a table would span files.

use rusqlite::{
    Connection, OpenFlags, OptionalExtension, TransactionBehavior, ffi::ErrorCode, params,
};
use std::borrow::Cow;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;
use thiserror::Error;
use trustfold::EventIx;
use trustfold::event::{Event, EventId, PublicKey};
use trustfold::store::{LoadedEvents, Store, StoreError, check_record};
use trustfold::sync::Dag;

/// The schema's version, kept in SQLite's `user_version`.
const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE networks(
    net INTEGER PRIMARY KEY,
    room TEXT NOT NULL UNIQUE,
    events INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    authors INTEGER NOT NULL DEFAULT 0
);
-- k = net << 32 | ix; parents: their indexes, u32 little-endian each.
CREATE TABLE events(
    k INTEGER PRIMARY KEY,
    net INTEGER NOT NULL,
    id BLOB NOT NULL,
    len INTEGER NOT NULL,
    parents BLOB NOT NULL,
    bytes BLOB NOT NULL
);
CREATE UNIQUE INDEX events_id ON events(net, id);
CREATE TABLE heads(net INTEGER NOT NULL, ix INTEGER NOT NULL, PRIMARY KEY(net, ix)) WITHOUT ROWID;
CREATE TABLE authors(
    net INTEGER NOT NULL,
    author BLOB NOT NULL,
    events INTEGER NOT NULL,
    bytes INTEGER NOT NULL,
    PRIMARY KEY(net, author)
) WITHOUT ROWID;
CREATE TABLE meta(net INTEGER NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY(net, key));
CREATE TABLE snapshots(net INTEGER NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY(net, key));
";

/// The writer connection's page cache, in KiB.
pub const WRITER_CACHE_KIB: i64 = 16 << 10;
/// Each reader connection's page cache, in KiB.
pub const READER_CACHE_KIB: i64 = 2 << 10;
/// Idle reader connections kept for the next view; more are closed.
const IDLE_READERS: usize = 16;
/// How long a write waits for another process's write before it fails
/// ([`RelayStoreError::Busy`]).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a relay store operation failed. Each variant's doc names its stable
/// code ([`code`](Self::code)).
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RelayStoreError {
    /// Another connection (another process on the same file) held the
    /// database for longer than the busy timeout. Code `database_busy`.
    #[error("the relay database is busy: {0}")]
    Busy(String),
    /// The file's schema is newer than this build reads.
    /// Code `database_format`.
    #[error("the relay database has schema version {0}, which this build does not read")]
    Format(i64),
    /// The file is damaged, or is not a database.
    /// Code `database_corrupt`.
    #[error("the relay database is damaged: {0}")]
    Corrupt(String),
    /// The disk is full. Code `disk_full`.
    #[error("the disk holding the relay database is full")]
    DiskFull,
    /// Opening, reading or writing the file failed. Code `disk_failed`.
    #[error("relay database I/O failed: {0}")]
    Io(String),
    /// A record over SQLite's limit (1 GB; events are far smaller).
    /// Code `record_too_large`.
    #[error("a record is too large to store: {0}")]
    TooLarge(String),
    /// An appended event names a parent that is neither held nor earlier
    /// in the batch; nothing of the batch was written.
    /// Code `missing_parent`.
    #[error("event {event} names parent {parent}, which is not stored")]
    MissingParent {
        /// The event refused.
        event: EventId,
        /// Its parent that is not held.
        parent: EventId,
    },
    /// A network would hold more than 2³² − 1 events, or the file more
    /// than 2³¹ − 1 networks. Code `store_exhausted`.
    #[error("no index left: a network or the file holds all it can number")]
    Exhausted,
    /// Any other failure of the database, with its message.
    /// Code `database_failed`.
    #[error("the relay database failed: {0}")]
    Failed(String),
}

impl RelayStoreError {
    /// The stable code of this error: snake_case, named in each variant's doc.
    pub fn code(&self) -> &'static str {
        match self {
            RelayStoreError::Busy(..) => "database_busy",
            RelayStoreError::Format(..) => "database_format",
            RelayStoreError::Corrupt(..) => "database_corrupt",
            RelayStoreError::DiskFull => "disk_full",
            RelayStoreError::Io(..) => "disk_failed",
            RelayStoreError::TooLarge(..) => "record_too_large",
            RelayStoreError::MissingParent { .. } => "missing_parent",
            RelayStoreError::Exhausted => "store_exhausted",
            RelayStoreError::Failed(..) => "database_failed",
        }
    }
}

impl From<rusqlite::Error> for RelayStoreError {
    fn from(error: rusqlite::Error) -> Self {
        let rusqlite::Error::SqliteFailure(failure, _) = &error else {
            return RelayStoreError::Failed(error.to_string());
        };
        let message = error.to_string();
        match failure.code {
            ErrorCode::DiskFull => RelayStoreError::DiskFull,
            ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase => {
                RelayStoreError::Corrupt(message)
            }
            ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => RelayStoreError::Busy(message),
            ErrorCode::CannotOpen
            | ErrorCode::SystemIoFailure
            | ErrorCode::PermissionDenied
            | ErrorCode::ReadOnly
            | ErrorCode::NoLargeFileSupport
            | ErrorCode::FileLockingProtocolFailed => RelayStoreError::Io(message),
            ErrorCode::TooBig => RelayStoreError::TooLarge(message),
            _ => RelayStoreError::Failed(message),
        }
    }
}

impl From<RelayStoreError> for StoreError {
    fn from(error: RelayStoreError) -> Self {
        match error {
            RelayStoreError::DiskFull => StoreError::QuotaExceeded,
            RelayStoreError::Busy(..) => StoreError::Blocked(error.to_string()),
            other => StoreError::Backend(format!("{}: {other}", other.code())),
        }
    }
}

type Result<T, E = RelayStoreError> = std::result::Result<T, E>;

/// What a network or an author holds: the figures quotas are checked against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Events stored.
    pub events: u64,
    /// Their bytes, added up.
    pub bytes: u64,
}

/// A network's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetworkCounts {
    /// Events and bytes of the whole network.
    pub total: Counts,
    /// How many authors have at least one event in it.
    pub authors: u64,
}

/// One event for [`NetworkStore::append`]: checked by the caller (valid,
/// against its parents too), its parents held or earlier in the batch.
#[derive(Clone, Copy, Debug)]
pub struct NewEvent<'a> {
    /// Its id (the hash of `bytes`).
    pub id: EventId,
    /// Its exact bytes.
    pub bytes: &'a [u8],
    /// Its parents' ids, in the event's order.
    pub parents: &'a [EventId],
    /// Its author, whose counters it adds to.
    pub author: PublicKey,
}

impl<'a> NewEvent<'a> {
    /// The fields of a decoded event.
    pub fn of(event: &'a Event) -> NewEvent<'a> {
        NewEvent {
            id: event.id(),
            bytes: event.bytes(),
            parents: event.parents(),
            author: event.author(),
        }
    }
}

/// Where an appended event is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    /// Its index in the network.
    pub ix: EventIx,
    /// Whether this append stored it (`false`: it was held already, at `ix`).
    pub new: bool,
}

/// The relay's database: every network in one file. Cheap to clone (one
/// shared handle).
#[derive(Clone)]
pub struct RelayDb {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for RelayDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelayDb")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding a connection leaves no open transaction
    // (rusqlite rolls back on drop), so the connection is still usable.
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn connect(path: &Path, cache_kib: i64) -> Result<Connection> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // Per connection: fsync the log at every commit.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "cache_size", -cache_kib)?;
    Ok(conn)
}

impl RelayDb {
    /// Opens the database at `path`, creating it if absent. After a crash
    /// this replays the write-ahead log to its last whole commit (see the
    /// [module docs](self)).
    pub fn open(path: impl AsRef<Path>) -> Result<RelayDb> {
        let path = path.as_ref().to_path_buf();
        let mut writer = connect(&path, WRITER_CACHE_KIB)?;
        let mode: String = writer.pragma_query_value(None, "journal_mode", |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            let mode: String = writer.query_row("PRAGMA journal_mode=WAL", [], |row| row.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(RelayStoreError::Failed(format!(
                    "journal mode {mode}, not WAL"
                )));
            }
        }
        let tx = writer.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        match version {
            0 => {
                tx.execute_batch(SCHEMA)?;
                tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
            }
            SCHEMA_VERSION => {}
            newer => return Err(RelayStoreError::Format(newer)),
        }
        tx.commit()?;
        Ok(RelayDb {
            inner: Arc::new(Inner {
                path,
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
            }),
        })
    }

    /// The network of `room`, its record created (durably) on first use.
    pub fn network(&self, room: &str) -> Result<NetworkStore> {
        if let Some(store) = self.existing_network(room)? {
            return Ok(store);
        }
        let mut writer = lock(&self.inner.writer);
        let tx = writer.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let net = record(&tx, room)?;
        tx.commit()?;
        Ok(self.store(net, room))
    }

    /// The network of `room`, its record created with the first thing
    /// written to it: until then it reads as empty and takes nothing in the
    /// file, so joining a room nobody writes to costs a read, not a durable
    /// write (the relay serves any room a client names).
    pub fn network_on_write(&self, room: &str) -> Result<NetworkStore> {
        Ok(match self.existing_network(room)? {
            Some(store) => store,
            None => self.store(0, room),
        })
    }

    /// The network of `room` if it has a record, without creating one.
    pub fn existing_network(&self, room: &str) -> Result<Option<NetworkStore>> {
        let reader = self.reader()?;
        let net: Option<i64> = reader
            .prepare_cached("SELECT net FROM networks WHERE room = ?1")?
            .query_row([room], |r| r.get(0))
            .optional()?;
        Ok(net.map(|net| self.store(net, room)))
    }

    /// Every network with a record: its room and counters, in id order.
    pub fn networks(&self) -> Result<Vec<(String, NetworkCounts)>> {
        let reader = self.reader()?;
        let mut stmt =
            reader.prepare("SELECT room, events, bytes, authors FROM networks ORDER BY net")?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                NetworkCounts {
                    total: Counts {
                        events: r.get::<_, i64>(1)? as u64,
                        bytes: r.get::<_, i64>(2)? as u64,
                    },
                    authors: r.get::<_, i64>(3)? as u64,
                },
            ))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn store(&self, net: i64, room: &str) -> NetworkStore {
        NetworkStore {
            db: self.clone(),
            net: Arc::new(AtomicU32::new(net as u32)),
            room: room.into(),
        }
    }

    /// A reader connection from the pool (or a new one), given back on drop.
    fn reader(&self) -> Result<Reader> {
        let idle = lock(&self.inner.readers).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => connect(&self.inner.path, READER_CACHE_KIB)?,
        };
        Ok(Reader {
            conn: Some(conn),
            db: self.inner.clone(),
        })
    }
}

/// A pooled reader connection.
struct Reader {
    conn: Option<Connection>,
    db: Arc<Inner>,
}

impl std::ops::Deref for Reader {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("present until dropped")
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else { return };
        // Only a connection with no transaction open goes back.
        if conn.is_autocommit() {
            let mut idle = lock(&self.db.readers);
            if idle.len() < IDLE_READERS {
                idle.push(conn);
            }
        }
    }
}

/// One network of a [`RelayDb`]. Cheap to clone (clones share the record
/// once it is created).
#[derive(Clone)]
pub struct NetworkStore {
    db: RelayDb,
    /// Its number in the file; 0, which no network is given, until its
    /// record is created (see [`RelayDb::network_on_write`]): no row has
    /// it, so the network reads as empty.
    net: Arc<AtomicU32>,
    room: Arc<str>,
}

impl std::fmt::Debug for NetworkStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NetworkStore")
            .field("net", &self.net())
            .finish_non_exhaustive()
    }
}

/// The number of the network of `room`, its record created if it has
/// none, in the open write transaction of `conn`.
fn record(conn: &Connection, room: &str) -> Result<i64> {
    let existing: Option<i64> = conn
        .query_row("SELECT net FROM networks WHERE room = ?1", [room], |r| {
            r.get(0)
        })
        .optional()?;
    if let Some(net) = existing {
        return Ok(net);
    }
    let last: Option<i64> = conn.query_row("SELECT MAX(net) FROM networks", [], |r| r.get(0))?;
    let net = last.unwrap_or(0) + 1;
    if net > i64::from(i32::MAX) {
        return Err(RelayStoreError::Exhausted);
    }
    conn.execute(
        "INSERT INTO networks(net, room) VALUES (?1, ?2)",
        params![net, room],
    )?;
    Ok(net)
}

/// The key of the event `ix` of network `net`.
fn key(net: u32, ix: EventIx) -> i64 {
    (i64::from(net) << 32) | i64::from(ix)
}

fn parents_blob(parents: &[EventIx]) -> Vec<u8> {
    parents.iter().flat_map(|p| p.to_le_bytes()).collect()
}

fn parse_parents(blob: &[u8]) -> Option<Vec<EventIx>> {
    if !blob.len().is_multiple_of(4) {
        return None;
    }
    Some(
        blob.chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
    )
}

/// An event as the write path takes it: parents by id, author if known.
struct Incoming<'a> {
    id: EventId,
    bytes: &'a [u8],
    parents: Cow<'a, [EventId]>,
    author: Option<PublicKey>,
}

fn network_counts(conn: &Connection, net: u32) -> Result<NetworkCounts> {
    let counts = conn
        .prepare_cached("SELECT events, bytes, authors FROM networks WHERE net = ?1")?
        .query_row([net], |r| {
            Ok(NetworkCounts {
                total: Counts {
                    events: r.get::<_, i64>(0)? as u64,
                    bytes: r.get::<_, i64>(1)? as u64,
                },
                authors: r.get::<_, i64>(2)? as u64,
            })
        })
        .optional()?;
    Ok(counts.unwrap_or_default())
}

fn ix_of(conn: &Connection, net: u32, id: &EventId) -> Result<Option<EventIx>> {
    let k: Option<i64> = conn
        .prepare_cached("SELECT k FROM events WHERE net = ?1 AND id = ?2")?
        .query_row(params![net, &id.0[..]], |r| r.get(0))
        .optional()?;
    Ok(k.map(|k| k as u32))
}

impl NetworkStore {
    /// The network's compact id in the file (0 until its record is
    /// created, for a store from [`RelayDb::network_on_write`]).
    pub fn id(&self) -> u32 {
        self.net()
    }

    fn net(&self) -> u32 {
        self.net.load(Ordering::Acquire)
    }

    /// The network's number, its record created first if it has none, in
    /// the open write transaction of `conn`; keep it with
    /// [`created`](Self::created) once that commits.
    fn net_in(&self, conn: &Connection) -> Result<u32> {
        match self.net() {
            0 => Ok(record(conn, &self.room)? as u32),
            net => Ok(net),
        }
    }

    fn created(&self, net: u32) {
        self.net.store(net, Ordering::Release);
    }

    /// Stores a batch of checked events (parents before children) in one
    /// write transaction, durable when this returns: each new event gets
    /// the next index, the heads lose its parents and gain it, and the
    /// counters grow. An event held already keeps its index (`new:
    /// false`). An event whose parent is neither held nor earlier in the
    /// batch refuses the whole batch ([`RelayStoreError::MissingParent`]).
    /// The answer has one entry per event, in order.
    pub fn append(&self, events: &[NewEvent<'_>]) -> Result<Vec<Appended>> {
        let incoming: Vec<Incoming<'_>> = events
            .iter()
            .map(|e| Incoming {
                id: e.id,
                bytes: e.bytes,
                parents: Cow::Borrowed(e.parents),
                author: Some(e.author),
            })
            .collect();
        self.write_blocking(&incoming, &[])
    }

    /// Events and metadata in one write transaction (see [`append`](Self::append)).
    fn write_blocking(
        &self,
        events: &[Incoming<'_>],
        meta: &[(&str, &[u8])],
    ) -> Result<Vec<Appended>> {
        if events.is_empty() && meta.is_empty() {
            return Ok(Vec::new());
        }
        let mut writer = lock(&self.db.inner.writer);
        let tx = writer.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let net = self.net_in(&tx)?;
        let appended = self.insert(&tx, net, events)?;
        for (name, value) in meta {
            tx.prepare_cached(
                "INSERT INTO meta(net, key, value) VALUES (?1, ?2, ?3)
                 ON CONFLICT(net, key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![net, name, value])?;
        }
        tx.commit()?;
        self.created(net);
        Ok(appended)
    }

    /// Inserts events in the open transaction of `conn`.
    fn insert(
        &self,
        conn: &Connection,
        net: u32,
        events: &[Incoming<'_>],
    ) -> Result<Vec<Appended>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut totals = network_counts(conn, net)?;
        let mut insert = conn.prepare_cached(
            "INSERT INTO events(k, net, id, len, parents, bytes) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        let mut unhead = conn.prepare_cached("DELETE FROM heads WHERE net = ?1 AND ix = ?2")?;
        let mut head = conn.prepare_cached("INSERT INTO heads(net, ix) VALUES (?1, ?2)")?;
        let mut author = conn.prepare_cached(
            "INSERT INTO authors(net, author, events, bytes) VALUES (?1, ?2, 1, ?3)
             ON CONFLICT(net, author) DO UPDATE SET
                 events = events + 1, bytes = bytes + excluded.bytes
             RETURNING events",
        )?;
        let mut out = Vec::with_capacity(events.len());
        let mut parent_ixs = Vec::new();
        for event in events {
            if let Some(ix) = ix_of(conn, net, &event.id)? {
                out.push(Appended { ix, new: false });
                continue;
            }
            let ix = u32::try_from(totals.total.events)
                .ok()
                .filter(|&ix| ix < u32::MAX)
                .ok_or(RelayStoreError::Exhausted)?;
            parent_ixs.clear();
            for parent in event.parents.iter() {
                let Some(p) = ix_of(conn, net, parent)? else {
                    return Err(RelayStoreError::MissingParent {
                        event: event.id,
                        parent: *parent,
                    });
                };
                parent_ixs.push(p);
            }
            insert.execute(params![
                key(net, ix),
                net,
                &event.id.0[..],
                event.bytes.len() as i64,
                parents_blob(&parent_ixs),
                event.bytes,
            ])?;
            for &p in &parent_ixs {
                unhead.execute(params![net, p])?;
            }
            head.execute(params![net, ix])?;
            if let Some(key) = event.author {
                let n: i64 = author
                    .query_row(params![net, &key.0[..], event.bytes.len() as i64], |r| {
                        r.get(0)
                    })?;
                if n == 1 {
                    totals.authors += 1;
                }
            }
            totals.total.events += 1;
            totals.total.bytes += event.bytes.len() as u64;
            out.push(Appended { ix, new: true });
        }
        conn.prepare_cached(
            "UPDATE networks SET events = ?2, bytes = ?3, authors = ?4 WHERE net = ?1",
        )?
        .execute(params![
            net,
            totals.total.events as i64,
            totals.total.bytes as i64,
            totals.authors as i64
        ])?;
        Ok(out)
    }

    /// A read snapshot of the network, for a sync session: see [`DagView`].
    pub fn view(&self) -> Result<DagView> {
        let reader = self.db.reader()?;
        reader.execute_batch("BEGIN")?;
        // The snapshot starts at the first read.
        let len = match network_counts(&reader, self.net()) {
            Ok(counts) => counts.total.events,
            Err(error) => {
                let _ = reader.execute_batch("ROLLBACK");
                return Err(error);
            }
        };
        Ok(DagView {
            net: self.net(),
            len: u32::try_from(len).map_err(|_| RelayStoreError::Exhausted)?,
            reader,
            last: RefCell::new(None),
            failed: OnceLock::new(),
        })
    }

    /// The network's counters.
    pub fn counts(&self) -> Result<NetworkCounts> {
        network_counts(&*self.db.reader()?, self.net())
    }

    /// An author's counters in this network.
    pub fn author_counts(&self, author: &PublicKey) -> Result<Counts> {
        let reader = self.db.reader()?;
        let counts = reader
            .prepare_cached("SELECT events, bytes FROM authors WHERE net = ?1 AND author = ?2")?
            .query_row(params![self.net(), &author.0[..]], |r| {
                Ok(Counts {
                    events: r.get::<_, i64>(0)? as u64,
                    bytes: r.get::<_, i64>(1)? as u64,
                })
            })
            .optional()?;
        Ok(counts.unwrap_or_default())
    }

    /// How many events the network holds.
    pub fn len(&self) -> Result<u64> {
        Ok(self.counts()?.total.events)
    }

    /// Whether the network holds no event.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// The index and bytes of the event `id`, if held.
    pub fn get(&self, id: &EventId) -> Result<Option<(EventIx, Vec<u8>)>> {
        let reader = self.db.reader()?;
        let found = reader
            .prepare_cached("SELECT k, bytes FROM events WHERE net = ?1 AND id = ?2")?
            .query_row(params![self.net(), &id.0[..]], |r| {
                Ok((r.get::<_, i64>(0)? as u32, r.get::<_, Vec<u8>>(1)?))
            })
            .optional()?;
        Ok(found)
    }

    /// Whether the network holds `id` (the index alone is read).
    pub fn contains(&self, id: &EventId) -> Result<bool> {
        let reader = self.db.reader()?;
        let found = reader
            .prepare_cached("SELECT 1 FROM events WHERE net = ?1 AND id = ?2")?
            .query_row(params![self.net(), &id.0[..]], |_| Ok(()))
            .optional()?;
        Ok(found.is_some())
    }

    /// The value this network keeps under `key` (its meta table), if any.
    pub fn meta(&self, key: &str) -> Result<Option<Vec<u8>>> {
        self.named("meta", key)
    }

    /// Keeps `value` under `key` for this network, in a transaction of its own.
    pub fn set_meta(&self, key: &str, value: &[u8]) -> Result<()> {
        self.put_named("meta", key, value)
    }

    fn named(&self, table: &str, name: &str) -> Result<Option<Vec<u8>>> {
        let reader = self.db.reader()?;
        let value = reader
            .prepare_cached(&format!(
                "SELECT value FROM {table} WHERE net = ?1 AND key = ?2"
            ))?
            .query_row(params![self.net(), name], |r| r.get(0))
            .optional()?;
        Ok(value)
    }

    fn put_named(&self, table: &str, name: &str, value: &[u8]) -> Result<()> {
        let mut writer = lock(&self.db.inner.writer);
        let tx = writer.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let net = self.net_in(&tx)?;
        tx.prepare_cached(&format!(
            "INSERT INTO {table}(net, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT(net, key) DO UPDATE SET value = excluded.value"
        ))?
        .execute(params![net, name, value])?;
        tx.commit()?;
        self.created(net);
        Ok(())
    }

    fn load_blocking(&self) -> Result<LoadedEvents> {
        let reader = self.db.reader()?;
        let mut stmt = reader
            .prepare("SELECT k, id, bytes FROM events WHERE k >= ?1 AND k <= ?2 ORDER BY k")?;
        let mut rows = stmt.query(params![key(self.net(), 0), key(self.net(), u32::MAX)])?;
        let mut loaded = LoadedEvents::default();
        while let Some(row) = rows.next()? {
            let ix = row.get::<_, i64>(0)? as u32;
            let id: Vec<u8> = row.get(1)?;
            match check_record(&id, row.get(2)?) {
                Ok(event) => loaded.events.push(event),
                Err(why) => loaded.corrupt.push(format!("event {ix}: {why}")),
            }
        }
        Ok(loaded)
    }
}

impl Store for NetworkStore {
    /// Through the `Store` trait events come without parents or author: an
    /// event that decodes gives its own (its parents must be held or
    /// earlier in the batch, as for [`append`](NetworkStore::append));
    /// other bytes (a damaged record) are stored without parents and
    /// counted for no author.
    async fn write(
        &self,
        events: &[(EventId, &[u8])],
        meta: &[(&str, &[u8])],
    ) -> Result<(), StoreError> {
        let decoded: Vec<Option<Event>> = events
            .iter()
            .map(|(_, bytes)| Event::from_own_store(bytes).ok())
            .collect();
        let incoming: Vec<Incoming<'_>> = events
            .iter()
            .zip(&decoded)
            .map(|((id, bytes), event)| Incoming {
                id: *id,
                bytes,
                parents: event
                    .as_ref()
                    .map_or(Cow::Borrowed(&[][..]), |e| Cow::Owned(e.parents().to_vec())),
                author: event.as_ref().map(|e| e.author()),
            })
            .collect();
        self.write_blocking(&incoming, meta)?;
        Ok(())
    }
    async fn get_event(&self, id: &EventId) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.get(id)?.map(|(_, bytes)| bytes))
    }
    async fn load_events(&self) -> Result<LoadedEvents, StoreError> {
        Ok(self.load_blocking()?)
    }
    async fn event_count(&self) -> Result<usize, StoreError> {
        Ok(self.len()? as usize)
    }
    async fn get_meta(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.named("meta", key)?)
    }
    async fn put_meta(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        Ok(self.put_named("meta", key, value)?)
    }
    async fn get_snapshot(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.named("snapshots", key)?)
    }
    async fn put_snapshot(&self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        Ok(self.put_named("snapshots", key, value)?)
    }
}

/// One network as of one read transaction: a [`Dag`] for a sync session.
///
/// It sees what was committed when it was opened — durable events only —
/// and nothing later; open a new one for a new round. It never panics: a
/// read that fails answers as if the event were unknown (`ix`: `None`;
/// `id`: the zero id; `parents`, `bytes`: empty; `len_of`: 0), and the
/// first failure is kept for [`failed`](Self::failed), which the session's
/// caller checks to drop the link. It holds a reader connection (`Send`,
/// not `Sync`), given back to the pool when it is dropped.
pub struct DagView {
    net: u32,
    len: u32,
    reader: Reader,
    /// The last record read: `id`, `parents` and `len_of` of one event
    /// usually follow each other.
    last: RefCell<Option<(EventIx, Record)>>,
    failed: OnceLock<RelayStoreError>,
}

/// What a DAG walk reads of an event.
#[derive(Clone)]
struct Record {
    id: EventId,
    len: usize,
    parents: Vec<EventIx>,
}

impl std::fmt::Debug for DagView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DagView")
            .field("net", &self.net)
            .field("len", &self.len)
            .field("failed", &self.failed.get())
            .finish_non_exhaustive()
    }
}

impl Drop for DagView {
    fn drop(&mut self) {
        // Ends the snapshot; the connection then goes back to the pool.
        let _ = self.reader.execute_batch("ROLLBACK");
    }
}

impl DagView {
    /// The first read that failed, if any: the caller drops the session.
    pub fn failed(&self) -> Option<RelayStoreError> {
        self.failed.get().cloned()
    }

    /// How many events the network held when the view was opened.
    pub fn event_count(&self) -> u64 {
        u64::from(self.len)
    }

    /// The index and bytes of the event `id`, if held.
    pub fn get(&self, id: &EventId) -> Option<(EventIx, Vec<u8>)> {
        let ix = self.ix(id)?;
        let bytes = self.read_bytes(ix)?;
        Some((ix, bytes))
    }

    fn fail<T>(&self, error: impl Into<RelayStoreError>) -> Option<T> {
        let _ = self.failed.set(error.into());
        None
    }

    fn record(&self, ix: EventIx) -> Option<Record> {
        if ix >= self.len {
            return None;
        }
        if let Some((at, record)) = &*self.last.borrow()
            && *at == ix
        {
            return Some(record.clone());
        }
        let read = self
            .reader
            .prepare_cached("SELECT id, len, parents FROM events WHERE k = ?1")
            .and_then(|mut stmt| {
                stmt.query_row([key(self.net, ix)], |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                    ))
                })
                .optional()
            });
        let record = match read {
            Ok(Some((id, len, parents))) => {
                match (<[u8; 32]>::try_from(id), parse_parents(&parents)) {
                    (Ok(id), Some(parents)) => Record {
                        id: EventId(id),
                        len: len as usize,
                        parents,
                    },
                    _ => {
                        return self.fail(RelayStoreError::Corrupt(format!(
                            "network {}: event {ix}: damaged record",
                            self.net
                        )));
                    }
                }
            }
            Ok(None) => {
                return self.fail(RelayStoreError::Corrupt(format!(
                    "network {}: event {ix} missing",
                    self.net
                )));
            }
            Err(e) => return self.fail(e),
        };
        *self.last.borrow_mut() = Some((ix, record.clone()));
        Some(record)
    }

    fn read_bytes(&self, ix: EventIx) -> Option<Vec<u8>> {
        if ix >= self.len {
            return None;
        }
        let read = self
            .reader
            .prepare_cached("SELECT bytes FROM events WHERE k = ?1")
            .and_then(|mut stmt| {
                stmt.query_row([key(self.net, ix)], |r| r.get::<_, Vec<u8>>(0))
                    .optional()
            });
        match read {
            Ok(Some(bytes)) => Some(bytes),
            Ok(None) => self.fail(RelayStoreError::Corrupt(format!(
                "network {}: bytes of event {ix} missing",
                self.net
            ))),
            Err(e) => self.fail(e),
        }
    }
}

impl Dag for DagView {
    fn ix(&self, id: &EventId) -> Option<EventIx> {
        match ix_of(&self.reader, self.net, id) {
            Ok(found) => found.filter(|&ix| ix < self.len),
            Err(e) => self.fail(e),
        }
    }
    fn head_ixs(&self) -> Vec<EventIx> {
        let read = self
            .reader
            .prepare_cached("SELECT ix FROM heads WHERE net = ?1 ORDER BY ix")
            .and_then(|mut stmt| {
                stmt.query_map([self.net], |r| r.get::<_, i64>(0))?
                    .map(|ix| ix.map(|ix| ix as u32))
                    .collect::<Result<Vec<_>, _>>()
            });
        match read {
            Ok(heads) => heads,
            Err(e) => self.fail(e).unwrap_or_default(),
        }
    }
    fn id(&self, ix: EventIx) -> EventId {
        self.record(ix).map_or(EventId([0; 32]), |r| r.id)
    }
    fn parents(&self, ix: EventIx) -> Cow<'_, [EventIx]> {
        Cow::Owned(self.record(ix).map(|r| r.parents).unwrap_or_default())
    }
    fn bytes(&self, ix: EventIx) -> Cow<'_, [u8]> {
        Cow::Owned(self.read_bytes(ix).unwrap_or_default())
    }
    fn len_of(&self, ix: EventIx) -> usize {
        self.record(ix).map_or(0, |r| r.len)
    }
}

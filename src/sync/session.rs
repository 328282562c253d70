//! One peer's sync state: rounds, the receive window, acknowledgements
//! and the allowance of what the peer may make this node send. See the
//! [module docs](super).
//!
//! Longer than most files here on purpose: it is one state machine whose
//! halves share invariants (an `Ack` frees the sender's window and tells
//! what the peer holds; a `Hello` both answers and grants the allowance),
//! and splitting sending from receiving would put each rule in two files.

use super::Dag;
use super::{
    Bloom, FrameError, Framer, Limits, MAX_ACK_IDS, MAX_FRAME, MAX_HELLO_HEADS, MAX_WANT, Message,
    Met, Traffic, Violation,
};
use crate::event::EventId;
use crate::event::encoding::event_len;
use crate::log::{EventIx, Log};
use rustc_hash::FxHashSet;
use std::collections::{BTreeSet, VecDeque};

/// Bytes of events packed into one message (so it travels as one frame).
const EVENTS_PER_MESSAGE: usize = MAX_FRAME - 1024;
/// Ids [`Session::held`] gives at most (a shorter list is still a lower bound).
const MAX_HELD: usize = 256;
/// Acknowledged tips a session keeps (the oldest are forgotten first; fewer
/// is still a lower bound, it only costs resending).
const MAX_ACKED: usize = 1024;
/// Rounds a peer may start with the full allowance beyond those this node
/// asked for (`Answered { more }`), plus one per [`FRAMES_PER_ROUND`]
/// frames it sent: a round's answer walks the log, so rounds are not free.
const FREE_ROUNDS: u64 = 16;
const FRAMES_PER_ROUND: u64 = 64;
/// `Events` messages remembered as taken in beyond the first gap.
const MAX_REORDERED: usize = 4096;
/// Bytes of allowance one event visited by a walk of the log costs.
const VISIT_COST: usize = 16;

/// What the last complete answer to a `Hello` was computed from, and the
/// candidates its filter held back (the peer has them, or a false
/// positive hid them: a later filter, with another salt, tells).
#[derive(Debug, PartialEq, Eq)]
struct LastAnswer {
    mine: Vec<EventIx>,
    known: Vec<EventIx>,
    held_back: Vec<EventIx>,
}

/// What waits to be sent, in order.
#[derive(Clone, Copy, Debug)]
enum Out {
    Event(EventIx),
    Answered { more: bool },
}

/// What ingesting a peer's events did, for [`Session::after_ingest_with`].
#[derive(Clone, Copy)]
pub struct Ingested<'a> {
    /// Events applied, including events held apart before that they released.
    pub applied: &'a [EventIx],
    /// Parents of events held apart (see [`Orphans`](super::Orphans)) to
    /// ask this peer for.
    pub missing: &'a [EventId],
    /// Whether an id is held apart (not in the log, not to be asked for).
    pub waiting: &'a dyn Fn(&EventId) -> bool,
    /// Events from this peer were not kept for lack of room: they will be
    /// asked for again in another round.
    pub refused_room: bool,
    /// Some events taken in were not kept (a write failed): the peer must
    /// not count what it sent as delivered.
    pub lost: bool,
}

/// An event a frame carried, not yet validated: its bytes and their id
/// (their hash, computed once as the frame is taken in and passed on, so
/// the node and the relay do not hash them again). Only the session and a
/// decoded [`Event`](crate::Event) make one: the id is always the bytes'.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Carried {
    id: EventId,
    bytes: Vec<u8>,
}

impl Carried {
    fn of_bytes(bytes: &[u8]) -> Carried {
        Carried {
            id: EventId::of_bytes(bytes),
            bytes: bytes.to_vec(),
        }
    }

    /// An event's bytes, carried again (an orphan released later).
    pub(crate) fn of_event(event: &crate::Event) -> Carried {
        Carried {
            id: event.id(),
            bytes: event.bytes().to_vec(),
        }
    }

    /// The hash of [`bytes`](Self::bytes).
    pub fn id(&self) -> EventId {
        self.id
    }

    /// The event's bytes, as the frame carried them.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// What a frame from the peer asks of the caller.
#[derive(Debug, Default)]
pub struct Incoming {
    /// Frames to send back.
    pub reply: Vec<Vec<u8>>,
    /// Events to ingest (not yet validated), parents first.
    pub events: Vec<Carried>,
    /// Of those, how many this node held already when the frame came.
    pub duplicates: usize,
    /// Ids the peer announced with `Have`, not held here.
    pub announced: Vec<EventId>,
    /// The peer asked not to be pushed events in full (`Prune`).
    pub pruned: bool,
    /// The peer asked for events (`Want`): it wants them pushed.
    pub grafted: bool,
}

/// One peer's sync state. See the [module docs](super).
#[derive(Debug, Default)]
pub struct Session {
    framer: Framer,
    limits: Limits,
    /// The salt of the last round this side started; later rounds started
    /// by the session itself derive theirs from it.
    salt: [u8; 16],
    rounds: u64,
    /// Heads the peer announced in this session: it holds them and their ancestors.
    peer_heads: Vec<EventId>,
    /// What the peer held when last met, kept by the caller. It may
    /// overstate (a peer restored from a backup holds less), so it is used
    /// only while some head the peer announces is unknown here.
    remembered: Vec<EventId>,
    /// Tips the peer acknowledged holding, or sent, in this session, oldest first.
    acked: VecDeque<EventId>,
    /// My heads the peer surely knows I hold: those of my last `Hello` it
    /// answered (or, before that, what it knew when last met). The filter
    /// of my next `Hello` covers everything of mine beyond them, so the
    /// peer never sends what I hold because an acknowledgement was lost.
    seen_by_peer: Vec<EventId>,
    /// The heads of my last `Hello`.
    my_hello: Vec<EventId>,
    /// Ids asked for and not received yet (asked once per round).
    wanted: FxHashSet<EventId>,
    /// A `Hello` was sent and its answer is not complete yet: what looks
    /// missing may still be on its way, so nothing is asked for.
    awaiting_answer: bool,
    /// Start another round when this one is done: the peer's answer
    /// stopped at its allowance, or events were refused for lack of room.
    another_round: bool,
    /// Events arrived from the peer since my last `Hello` (a round the
    /// session starts by itself needs them: it must have a reason).
    received_this_round: bool,
    /// Rounds the peer started with the full allowance.
    rounds_granted: u64,
    /// My last answer stopped at the allowance: the peer's next `Hello`
    /// gets a full one.
    owe_round: bool,
    /// Events went to the peer since its last `Hello`: it is catching up,
    /// and its next `Hello` gets a full allowance.
    sent_since_hello: bool,
    /// Answers to my `Hello`s in a row that said `more` and carried nothing.
    empty_more: u8,
    /// Whether [`held`](Self::held) changed since the caller last kept it.
    held_changed: bool,
    /// Whether what the peer holds changed since
    /// [`take_held_news`](Self::take_held_news) (the node's count of what
    /// waits to be sent; apart from `held_changed`, which its store's copy takes).
    held_news: bool,
    // Sending.
    queue: VecDeque<Out>,
    queued: FxHashSet<EventIx>,
    /// An `Answered` is queued: a repeated `Hello` is not answered again.
    answer_queued: bool,
    /// The last complete answer: a `Hello` that changes neither side's
    /// knowledge is answered from it, without walking the log again.
    last_answer: Option<LastAnswer>,
    /// Events sent in this session (a bit per log index): an answer to a
    /// `Hello` or a push never sends one twice — the link is reliable and
    /// ordered, and a lost frame ends the session. Only a `Want` resends.
    sent: Vec<u64>,
    /// Events the peer sent me in this session since my last `Ack { lost }`
    /// (a bit per log index). It marked them sent, so its answers skip
    /// them whatever my filter says: my `Hello`'s filter leaves them out.
    /// (With them, a catch-up's later filters held up to 100,000 ids in
    /// 32 KiB, 30–60 % false positives: they hid much of what was still
    /// missing, and the catch-up stalled, `tests/catchup.rs`.) A copy
    /// that arrives after my `Ack { lost }` but was sent before the peer
    /// read it only costs sending it again.
    from_peer: Vec<u64>,
    next_seq: u32,
    /// `Events` messages sent and not acknowledged: (seq, bytes of
    /// events, events).
    flight: VecDeque<(u32, usize, usize)>,
    in_flight: usize,
    /// Events in `flight`.
    in_flight_events: usize,
    /// Bytes of events the peer may still make this node send.
    budget: usize,
    // Receiving.
    /// The highest `Events` seq this side acknowledged.
    through: u32,
    /// Every `Events` seq up to this one was taken in (or given up on).
    contiguous: u32,
    /// Seqs taken in above `contiguous` (messages a reordering network
    /// delivers early): a copy is known by its seq, and a message that
    /// arrives late is still taken.
    seen_above: BTreeSet<u32>,
    /// The highest seq taken in.
    highest: u32,
    /// Bytes of events taken in since the last `Ack`.
    unacked_bytes: usize,
    /// Ids handed over for ingestion since the last `Ack`.
    received: Vec<EventId>,
    traffic: Traffic,
}

/// Whether bit `ix` of a bitset by log index is set.
pub(crate) fn has_bit(set: &[u64], ix: EventIx) -> bool {
    set.get(ix as usize / 64)
        .is_some_and(|word| word & (1 << (ix % 64)) != 0)
}

/// Sets bit `ix` of a bitset by log index, growing it as needed.
pub(crate) fn set_bit(set: &mut Vec<u64>, ix: EventIx) {
    let word = ix as usize / 64;
    if set.len() <= word {
        set.resize(word + 1, 0);
    }
    set[word] |= 1 << (ix % 64);
}

fn ixs<'a>(log: &(impl Dag + ?Sized), ids: impl IntoIterator<Item = &'a EventId>) -> Vec<EventIx> {
    ids.into_iter().filter_map(|id| log.ix(id)).collect()
}

impl Session {
    /// A session with a peer that held `remembered` when last met (empty
    /// for a peer never met), with the default [`Limits`].
    pub fn new(remembered: Vec<EventId>) -> Session {
        Session::with_limits(
            Met {
                held: remembered,
                seen: Vec::new(),
            },
            Limits::default(),
        )
    }

    /// A session with a peer met before ([`Session::met`] then), with `limits`.
    pub fn with_limits(met: Met, limits: Limits) -> Session {
        Session {
            held_news: !met.held.is_empty(),
            remembered: met.held,
            seen_by_peer: met.seen,
            limits,
            ..Session::default()
        }
    }

    /// What to remember of this peer for the next meeting.
    pub fn met(&self) -> Met {
        let mut seen = self.seen_by_peer.clone();
        seen.truncate(MAX_HELD);
        Met {
            held: self.held(),
            seen,
        }
    }

    /// The heads the peer announced last in this session.
    pub fn peer_heads(&self) -> &[EventId] {
        &self.peer_heads
    }

    /// Events the peer holds with their ancestors, as far as this session
    /// knows: the heads it announced and the tips it acknowledged (or, if
    /// it said nothing yet, what it held when last met). Keep them for the
    /// next meeting ([`Session::new`]).
    pub fn held(&self) -> Vec<EventId> {
        let mut held: Vec<EventId> = self
            .acked
            .iter()
            .rev()
            .chain(&self.peer_heads)
            .chain(&self.remembered)
            .copied()
            .collect();
        let mut seen = FxHashSet::default();
        held.retain(|id| seen.insert(*id));
        held.truncate(MAX_HELD);
        held
    }

    /// Whether [`held`](Self::held) changed since this was last called.
    pub fn take_held_changed(&mut self) -> bool {
        std::mem::take(&mut self.held_changed)
    }

    /// Every event this session knows the peer holds with its ancestors
    /// (unlike [`held`](Self::held), not cut to what is kept): the heads
    /// it announced, the tips it acknowledged, what it held when last met.
    pub fn held_all(&self) -> impl Iterator<Item = &EventId> {
        self.peer_heads
            .iter()
            .chain(self.acked.iter().rev())
            .chain(&self.remembered)
    }

    /// Whether what the peer holds changed since this was last called (a
    /// new session counts as changed: it knows what the peer held when
    /// last met).
    pub fn take_held_news(&mut self) -> bool {
        std::mem::take(&mut self.held_news)
    }

    /// Whether the session asks for missing events now (not while an
    /// answer to its `Hello` is still coming).
    pub fn asks_now(&self) -> bool {
        !self.awaiting_answer
    }

    /// This session's traffic so far.
    pub fn traffic(&self) -> Traffic {
        self.traffic
    }

    /// Bytes of events sent to the peer and not acknowledged yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Events waiting for room in the window.
    pub fn queued(&self) -> usize {
        self.queued.len()
    }

    /// Events sent to the peer and not acknowledged yet.
    pub fn unacknowledged(&self) -> usize {
        self.in_flight_events
    }

    /// What the peer is known to hold: announced heads, acknowledged tips,
    /// and — only when it announces heads unknown here — what it held when
    /// last met.
    fn known(&self, log: &impl Dag, announced: Option<&[EventId]>) -> Vec<EventIx> {
        let use_remembered = match announced {
            // Answering a Hello: only while the peer is ahead of this node.
            Some(heads) => heads.iter().any(|h| !log.contains(h)),
            // Anything else: until the peer says what it holds.
            None => self.peer_heads.is_empty() && self.acked.is_empty(),
        };
        let mut known = ixs(log, announced.unwrap_or_default());
        known.extend(ixs(log, &self.peer_heads));
        known.extend(ixs(log, &self.acked));
        if use_remembered {
            known.extend(ixs(log, &self.remembered));
        }
        known
    }

    /// Starts a round: my heads and a filter of what the peer may lack.
    /// `salt` must be fresh randomness.
    pub fn hello(&mut self, log: &impl Dag, salt: [u8; 16]) -> Vec<Vec<u8>> {
        self.wanted.clear();
        self.start_round(log, salt)
    }

    /// A round: my heads and filter. Ids wanted stay wanted (a round the
    /// session starts by itself does not ask for them again).
    fn start_round(&mut self, log: &impl Dag, salt: [u8; 16]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        if self.through > 0 {
            // Repeats the last acknowledgement: if it was lost, the peer's
            // window would stay shut.
            out.extend(self.send(&Message::Ack {
                through: self.through,
                held: Vec::new(),
                lost: false,
            }));
        }
        let mut all: Vec<EventIx> = log.head_ixs();
        all.sort_unstable();
        let heads: Vec<EventId> = all
            .iter()
            .rev()
            .take(MAX_HELLO_HEADS)
            .map(|&ix| log.id(ix))
            .collect();
        let seen = ixs(log, &self.seen_by_peer);
        let mine = log
            .beyond_within(&all, &seen, usize::MAX)
            .expect("an unbounded walk never gives up");
        let ids: Vec<EventId> = mine
            .iter()
            .filter(|&&ix| !has_bit(&self.from_peer, ix))
            .map(|&ix| log.id(ix))
            .collect();
        let filter = Bloom::of(ids.iter(), salt);
        self.my_hello = heads.clone();
        self.salt = salt;
        self.rounds += 1;
        self.awaiting_answer = true;
        self.another_round = false;
        self.received_this_round = false;
        out.extend(self.send(&Message::Hello { heads, filter }));
        out
    }

    /// A salt for a round the session starts by itself, derived from the
    /// last fresh one.
    fn next_salt(&self) -> [u8; 16] {
        let mut hasher = blake3::Hasher::new();
        hasher.update(&self.salt);
        hasher.update(&self.rounds.to_le_bytes());
        let mut salt = [0u8; 16];
        salt.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
        salt
    }

    /// Takes in a frame from the peer.
    pub fn receive(&mut self, log: &impl Dag, frame: &[u8]) -> Result<Incoming, FrameError> {
        self.traffic.frames_received += 1;
        self.traffic.bytes_received += frame.len() as u64;
        // What the peer sends earns it twice as much in answers.
        self.budget = (self.budget + 2 * frame.len()).min(self.limits.round);
        let mut incoming = Incoming::default();
        match self.framer.decode(frame)? {
            None => {}
            Some(Message::Hello { heads, filter }) => self.on_hello(log, heads, &filter)?,
            Some(Message::Events { seq, events }) => {
                (incoming.events, incoming.duplicates) = self.on_events(log, seq, &events)?;
            }
            // Only the answer to my own `Hello` counts: an `Answered` nobody
            // asked for changes nothing (else it could start rounds).
            Some(Message::Answered { more }) if self.awaiting_answer => self.on_answered(more),
            Some(Message::Answered { .. }) => {}
            Some(Message::Want { ids }) => self.on_want(log, &ids)?,
            Some(Message::Have { ids }) => {
                if ids.len() > MAX_WANT {
                    return Err(FrameError::Violation(Violation::TooManyWanted));
                }
                incoming.announced = ids
                    .into_iter()
                    .filter(|id| !log.contains(id) && !self.wanted.contains(id))
                    .collect();
            }
            Some(Message::Pull { ids }) => {
                if ids.len() > MAX_WANT {
                    return Err(FrameError::Violation(Violation::TooManyWanted));
                }
                let mut found = ixs(log, &ids);
                found.sort_unstable();
                found.dedup();
                // What was sent in this session is not sent again: the link
                // is reliable and ordered (a lost write says `Ack { lost }`),
                // and resending on request would let a peer amplify.
                if !self.enqueue_within_budget(log, &found, false) {
                    self.owe_round = true;
                }
                incoming.grafted = true;
            }
            Some(Message::Prune) => incoming.pruned = true,
            Some(Message::Ack {
                through,
                held,
                lost,
            }) => self.on_ack(log, through, held, lost)?,
        }
        incoming.reply.extend(self.flush(log));
        Ok(incoming)
    }

    /// A `Hello`: a new round; answered within the allowance.
    fn on_hello(
        &mut self,
        log: &impl Dag,
        heads: Vec<EventId>,
        filter: &Bloom,
    ) -> Result<(), FrameError> {
        if heads.len() > MAX_HELLO_HEADS {
            return Err(FrameError::Violation(Violation::TooManyHeads));
        }
        // What is in flight stays in flight: a `Hello` says nothing of
        // what arrived (the peer may have sent it before our last frames
        // reached it), only an `Ack` frees the window. A lost `Ack` is
        // repeated before each of the peer's `Hello`s.
        if !self.answer_queued {
            let free = FREE_ROUNDS + self.traffic.frames_received / FRAMES_PER_ROUND;
            let catching_up = std::mem::take(&mut self.sent_since_hello);
            if std::mem::take(&mut self.owe_round) || catching_up || self.rounds_granted < free {
                self.rounds_granted += 1;
                self.budget = self.limits.round;
            }
            self.answer_hello(log, &heads, filter);
        }
        if self.peer_heads != heads {
            self.peer_heads = heads;
            self.held_changed = true;
            self.held_news = true;
        }
        Ok(())
    }

    /// Numbered `Events`: a copy is ignored; the events, split, for the node,
    /// and how many of them this node held already (hashed once, here).
    fn on_events(
        &mut self,
        log: &impl Dag,
        seq: u32,
        events: &[u8],
    ) -> Result<(Vec<Carried>, usize), FrameError> {
        let mut taken = Vec::new();
        let mut held = 0;
        if seq == 0 || events.is_empty() {
            return Err(FrameError::Violation(Violation::UnnumberedEvents));
        }
        if seq <= self.contiguous || !self.seen_above.insert(seq) {
            // A copy of a message taken in already.
            return Ok((taken, 0));
        }
        while self.seen_above.first() == Some(&(self.contiguous + 1)) {
            self.seen_above.pop_first();
            self.contiguous += 1;
        }
        if self.seen_above.len() > MAX_REORDERED {
            // Gaps that far behind are lost, not late.
            if let Some(first) = self.seen_above.pop_first() {
                self.contiguous = first;
            }
        }
        self.highest = self.highest.max(seq);
        self.unacked_bytes += events.len();
        self.traffic.max_in_flight_received = self
            .traffic
            .max_in_flight_received
            .max(self.unacked_bytes as u64);
        if self.unacked_bytes > 2 * self.limits.window {
            return Err(FrameError::Violation(Violation::WindowExceeded));
        }
        let mut rest = events;
        while !rest.is_empty() {
            let len = event_len(rest).ok_or(FrameError::Malformed)?;
            let (event, tail) = rest.split_at(len);
            let carried = Carried::of_bytes(event);
            let id = carried.id();
            held += usize::from(log.contains(&id));
            self.wanted.remove(&id);
            self.received.push(id);
            taken.push(carried);
            rest = tail;
        }
        self.traffic.events_received += taken.len() as u64;
        self.received_this_round = true;
        Ok((taken, held))
    }

    /// The peer's `Answered` to my own `Hello`.
    fn on_answered(&mut self, more: bool) {
        if self.seen_by_peer != self.my_hello {
            self.seen_by_peer = self.my_hello.clone();
            self.held_changed = true;
        }
        self.awaiting_answer = false;
        self.another_round |= more;
        // An answer that stopped before sending anything (my Hello
        // found its allowance spent) owes me a full one: one such
        // round may follow without events, not a chain of them.
        self.empty_more = match (more, self.received_this_round) {
            (true, false) => self.empty_more.saturating_add(1),
            _ => 0,
        };
    }

    /// A `Want`: the wanted events again, and of their past what was never sent.
    fn on_want(&mut self, log: &impl Dag, ids: &[EventId]) -> Result<(), FrameError> {
        if ids.len() > MAX_WANT {
            return Err(FrameError::Violation(Violation::TooManyWanted));
        }
        let mut found = ixs(log, ids);
        found.sort_unstable();
        found.dedup();
        let known = self.known(log, None);
        // The wanted events again (a write may have lost them);
        // of their past only what was never sent.
        let complete = match self.walk(log, &found, &known) {
            Some(past) => {
                let wanted: FxHashSet<EventIx> = found.iter().copied().collect();
                past.into_iter()
                    .all(|ix| self.enqueue_within_budget(log, &[ix], wanted.contains(&ix)))
            }
            None => false,
        };
        if !complete {
            self.owe_round = true;
            self.enqueue(Out::Answered { more: true });
        }
        Ok(())
    }

    /// An `Ack`: what arrived, and ids the peer holds.
    fn on_ack(
        &mut self,
        log: &impl Dag,
        through: u32,
        held: Vec<EventId>,
        lost: bool,
    ) -> Result<(), FrameError> {
        if held.len() > MAX_ACK_IDS {
            return Err(FrameError::Violation(Violation::TooManyAcknowledged));
        }
        if lost {
            // The peer failed to keep some of what it took in (a
            // write failed): what was sent counts for nothing.
            self.sent.clear();
            self.last_answer = None;
        }
        while let Some(&(seq, bytes, events)) = self.flight.front() {
            if seq > through {
                break;
            }
            self.flight.pop_front();
            self.in_flight -= bytes;
            self.in_flight_events -= events;
        }
        // Only ids of events held here mean anything.
        let known: Vec<EventId> = held.into_iter().filter(|id| log.contains(id)).collect();
        if !known.is_empty() {
            self.acked.extend(known);
            while self.acked.len() > MAX_ACKED {
                self.acked.pop_front();
            }
            self.held_changed = true;
            self.held_news = true;
        }
        Ok(())
    }

    /// Queues the events of mine the peer lacks, judged by its heads and
    /// filter, within the round's allowance, then `Answered`.
    fn answer_hello(&mut self, log: &impl Dag, heads: &[EventId], filter: &Bloom) {
        let mut known = self.known(log, Some(heads));
        known.sort_unstable();
        known.dedup();
        let mut mine: Vec<EventIx> = log.head_ixs();
        mine.sort_unstable();
        // A Hello that changes neither side's knowledge: only what the last
        // filter held back is looked at again (no walk of the log), so a
        // peer repeating Hellos costs little, and a false positive of the
        // last filter is still repaired by this one.
        let candidates = match self.last_answer.take() {
            Some(last) if last.mine == mine && last.known == known => last.held_back,
            _ => match self.walk(log, &mine, &known) {
                Some(candidates) => candidates,
                None => {
                    self.owe_round = true;
                    self.enqueue(Out::Answered { more: true });
                    return;
                }
            },
        };
        let mut sending: FxHashSet<EventIx> = FxHashSet::default();
        let mut held_back = Vec::new();
        for &ix in &candidates {
            if self.was_sent(ix) {
                // The peer has it (the link is reliable), whatever its
                // filter says (it leaves out what I sent it): neither sent
                // again nor a reason to send its descendants.
                continue;
            }
            if !filter.contains(&log.id(ix)) || log.parents(ix).iter().any(|p| sending.contains(p))
            {
                sending.insert(ix);
            } else {
                held_back.push(ix);
            }
        }
        let answer: Vec<EventIx> = candidates
            .into_iter()
            .filter(|ix| sending.contains(ix))
            .collect();
        let complete = self.enqueue_within_budget(log, &answer, false);
        self.owe_round |= !complete;
        if complete {
            self.last_answer = Some(LastAnswer {
                mine,
                known,
                held_back,
            });
        }
        self.enqueue(Out::Answered { more: !complete });
    }

    /// [`Log::beyond`], paid for from the allowance ([`VISIT_COST`] a
    /// visit); `None` if the allowance does not cover it.
    fn walk(
        &mut self,
        log: &impl Dag,
        from: &[EventIx],
        known: &[EventIx],
    ) -> Option<Vec<EventIx>> {
        let out = log.beyond_within(from, known, self.budget / VISIT_COST)?;
        // Visits are at least what was found.
        self.budget -= (out.len() * VISIT_COST).min(self.budget);
        Some(out)
    }

    fn was_sent(&self, ix: EventIx) -> bool {
        has_bit(&self.sent, ix)
    }

    fn mark_sent(&mut self, ix: EventIx) {
        set_bit(&mut self.sent, ix);
    }

    /// Queues `ixs` (oldest first) while the allowance lasts, skipping what
    /// was sent already unless `again`; false if the allowance ran out
    /// before the end.
    fn enqueue_within_budget(&mut self, log: &impl Dag, ixs: &[EventIx], again: bool) -> bool {
        for &ix in ixs {
            if self.queued.contains(&ix) || !again && self.was_sent(ix) {
                continue;
            }
            let len = log.len_of(ix);
            if len > self.budget {
                return false;
            }
            self.budget -= len;
            self.enqueue(Out::Event(ix));
        }
        true
    }

    fn enqueue(&mut self, out: Out) {
        match out {
            Out::Event(ix) => {
                if !self.queued.insert(ix) {
                    return;
                }
            }
            Out::Answered { .. } => self.answer_queued = true,
        }
        self.queue.push_back(out);
    }

    /// [`after_ingest_with`](Self::after_ingest_with) for a caller whose log
    /// keeps events with missing parents in its own pending buffer.
    pub fn after_ingest(&mut self, log: &Log) -> Vec<Vec<u8>> {
        let missing: Vec<EventId> = log.missing().copied().collect();
        self.after_ingest_with(
            log,
            &Ingested {
                applied: &[],
                missing: &missing,
                waiting: &|id| log.is_pending(id),
                refused_room: false,
                lost: false,
            },
        )
    }

    /// After the caller ingested what [`receive`](Self::receive) handed
    /// over ([`Ingested`] says what that did): acknowledges it, then asks
    /// the peer for what is still missing — parents of events held apart
    /// and heads it announced that never arrived — or starts another round
    /// when one is due.
    pub fn after_ingest_with(&mut self, log: &impl Dag, ingested: &Ingested<'_>) -> Vec<Vec<u8>> {
        let Ingested {
            applied,
            missing,
            waiting,
            refused_room,
            lost,
        } = *ingested;
        let mut out = Vec::new();
        if self.highest > self.through || !self.received.is_empty() {
            let highest = self.highest;
            // What the peer sent, it holds; with what that released, it is
            // what this node now holds from the round.
            let sent_by_peer: FxHashSet<EventIx> = ixs(log, &self.received).into_iter().collect();
            let mut got = sent_by_peer.clone();
            got.extend(applied.iter().copied());
            let mut parents: FxHashSet<EventIx> = FxHashSet::default();
            for &ix in &got {
                parents.extend(log.parents(ix).iter().copied());
            }
            let mut tips: Vec<EventIx> = got.difference(&parents).copied().collect();
            tips.sort_unstable();
            let held: Vec<EventId> = tips
                .iter()
                .rev()
                .take(MAX_ACK_IDS)
                .map(|&ix| log.id(ix))
                .collect();
            if lost {
                // The peer forgets what it sent when it reads this Ack.
                self.from_peer.clear();
            } else {
                for &ix in &sent_by_peer {
                    set_bit(&mut self.from_peer, ix);
                }
            }
            for &ix in tips
                .iter()
                .rev()
                .filter(|ix| sent_by_peer.contains(ix))
                .take(MAX_ACK_IDS)
            {
                self.acked.push_back(log.id(ix));
            }
            while self.acked.len() > MAX_ACKED {
                self.acked.pop_front();
            }
            self.through = highest;
            self.unacked_bytes = 0;
            self.received.clear();
            out.extend(self.send(&Message::Ack {
                through: highest,
                held,
                lost,
            }));
        }
        self.another_round |= refused_room;
        if self.awaiting_answer {
            return out;
        }
        let mut ids: Vec<EventId> = missing
            .iter()
            .chain(
                self.peer_heads
                    .iter()
                    .filter(|h| !log.contains(h) && !waiting(h)),
            )
            .filter(|id| !self.wanted.contains(*id))
            .take(MAX_WANT)
            .copied()
            .collect();
        ids.sort_unstable();
        ids.dedup();
        if !ids.is_empty() {
            if self.wanted.len() > 4 * MAX_WANT {
                // Ids asked for long ago (their orphans may be gone): ask
                // again if still missing, rather than remember without bound.
                self.wanted.clear();
            }
            self.wanted.extend(ids.iter().copied());
            out.extend(self.send(&Message::Want { ids }));
        } else if self.another_round && (self.received_this_round || self.empty_more == 1) {
            let salt = self.next_salt();
            out.extend(self.start_round(log, salt));
        }
        out
    }

    /// Pushes events to the peer (new ones, as they are made or arrive).
    /// Events sent already, or that the peer acknowledged or announced,
    /// are not sent.
    pub fn push(&mut self, log: &impl Dag, events: &[EventIx]) -> Vec<Vec<u8>> {
        for &ix in events {
            let id = log.id(ix);
            if !self.was_sent(ix) && !self.peer_heads.contains(&id) && !self.acked.contains(&id) {
                self.enqueue(Out::Event(ix));
            }
        }
        self.flush(log)
    }

    /// Announces `events` (newly applied here) by id instead of pushing
    /// them: a lazy link. Leaves out what the peer is known to hold.
    pub fn announce(&mut self, log: &impl Dag, events: &[EventIx]) -> Vec<Vec<u8>> {
        let ids: Vec<EventId> = events
            .iter()
            .filter(|&&ix| !self.was_sent(ix) && !has_bit(&self.from_peer, ix))
            .map(|&ix| log.id(ix))
            .filter(|id| !self.peer_heads.contains(id) && !self.acked.contains(id))
            .collect();
        ids.chunks(MAX_WANT)
            .flat_map(|chunk| {
                self.send(&Message::Have {
                    ids: chunk.to_vec(),
                })
            })
            .collect()
    }

    /// Asks the peer for `ids` (announced by it, still missing here),
    /// unless asked already in this round; with no ids, only asks it to
    /// push new events in full again (a graft).
    pub fn ask(&mut self, ids: &[EventId]) -> Vec<Vec<u8>> {
        if ids.is_empty() {
            // Only a graft.
            return self.send(&Message::Pull { ids: Vec::new() });
        }
        // Bounded as for the parents of orphans: past it, a round finds them.
        let room = (4 * MAX_WANT).saturating_sub(self.wanted.len());
        let ids: Vec<EventId> = ids
            .iter()
            .filter(|id| self.wanted.insert(**id))
            .take(room)
            .copied()
            .collect();
        if ids.is_empty() {
            return Vec::new();
        }
        ids.chunks(MAX_WANT)
            .flat_map(|chunk| {
                self.send(&Message::Pull {
                    ids: chunk.to_vec(),
                })
            })
            .collect()
    }

    /// Tells the peer to announce new events instead of pushing them.
    pub fn prune(&mut self) -> Vec<Vec<u8>> {
        self.send(&Message::Prune)
    }

    /// Whether events from the peer may be answers this session asked for
    /// (its `Hello`, or a `Want` of ids still missing, is being answered)
    /// rather than pushes.
    pub fn pulling(&self, log: &impl Dag) -> bool {
        // An id wanted and since held by another link no longer counts.
        self.awaiting_answer || self.wanted.iter().any(|id| !log.contains(id))
    }

    /// Sends what is queued, as far as the window allows.
    fn flush(&mut self, log: &impl Dag) -> Vec<Vec<u8>> {
        let mut frames = Vec::new();
        let mut batch: Vec<u8> = Vec::new();
        let mut count = 0;
        while let Some(&next) = self.queue.front() {
            match next {
                Out::Event(ix) => {
                    let bytes = log.bytes(ix);
                    if bytes.is_empty() {
                        // No event is empty: a read of the relay's store
                        // failed. The event stays queued for the next
                        // flush; counted as sent, it would never go.
                        break;
                    }
                    if !batch.is_empty() && batch.len() + bytes.len() > EVENTS_PER_MESSAGE {
                        let events = std::mem::take(&mut batch);
                        frames.extend(self.send_batch(events, std::mem::take(&mut count)));
                    }
                    let empty = self.in_flight == 0 && batch.is_empty();
                    if !empty && self.in_flight + batch.len() + bytes.len() > self.limits.window {
                        break;
                    }
                    self.queue.pop_front();
                    self.queued.remove(&ix);
                    self.mark_sent(ix);
                    self.traffic.events_sent += 1;
                    self.sent_since_hello = true;
                    self.traffic.event_bytes_sent += bytes.len() as u64;
                    batch.extend_from_slice(&bytes);
                    count += 1;
                }
                Out::Answered { more } => {
                    let events = std::mem::take(&mut batch);
                    frames.extend(self.send_batch(events, std::mem::take(&mut count)));
                    self.queue.pop_front();
                    self.answer_queued =
                        self.queue.iter().any(|o| matches!(o, Out::Answered { .. }));
                    frames.extend(self.send(&Message::Answered { more }));
                }
            }
        }
        frames.extend(self.send_batch(batch, count));
        frames
    }

    /// One `Events` message of `count` events back to back.
    fn send_batch(&mut self, events: Vec<u8>, count: usize) -> Vec<Vec<u8>> {
        if events.is_empty() {
            return Vec::new();
        }
        self.next_seq += 1;
        self.flight.push_back((self.next_seq, events.len(), count));
        self.in_flight += events.len();
        self.in_flight_events += count;
        let seq = self.next_seq;
        self.send(&Message::Events { seq, events })
    }

    fn send(&mut self, message: &Message) -> Vec<Vec<u8>> {
        let frames = self.framer.encode(message);
        self.traffic.frames_sent += frames.len() as u64;
        self.traffic.bytes_sent += frames.iter().map(|f| f.len() as u64).sum::<u64>();
        frames
    }
}

//! A replica: one log plus the view of its owner's policy, kept in step.
//!
//! This is the whole platform-free state of a node. It does no I/O: the
//! caller passes in bytes, the clock and the signing identity.

mod records;
mod reversal;

pub(crate) use records::Carriers;
pub use records::{Batching, EditOfRecord, RecordEdit};
pub use reversal::ReversalError;

use crate::digest::Digest;
use crate::doc::Documents;
use crate::error::Error;
use crate::event::validate::{MAX_PARENTS, doc_change};
use crate::event::{Body, Draft, Event, EventError, EventId, Identity, PublicKey};
use crate::explain::{Comparison, compare};
use crate::log::{Insertion, Log, LogError};
use crate::network::Network;
use crate::policy::Policy;
use crate::view::{View, ViewKey};

/// A log and its owner's view. See the [module docs](self).
#[derive(Debug)]
pub struct Replica {
    log: Log,
    view: View,
    docs: Documents,
    batching: records::BatchState,
    /// Which events this replica reads and how it signs: clear, or sealed
    /// for a private network.
    network: Network,
    /// The last view under another policy asked for, dropped when the log
    /// grows: see [`kept_view_under`](Self::kept_view_under).
    other: Option<OtherView>,
    /// The self-claims last read: see [`self_claims`](Self::self_claims).
    claims: Option<records::KeptClaims>,
    /// The owner's view's digests, with the view's generation and the
    /// log's length they were computed at: see [`view_digests`](Self::view_digests).
    digests: Option<((u64, usize), Digest, Digest)>,
}

/// A view under a policy not the owner's, and the key it was computed at.
#[derive(Debug)]
struct OtherView {
    key: ViewKey,
    view: View,
}

impl OtherView {
    /// The view under `policy` over `log`: the one in `slot` if its key is
    /// that of the log and policy, else computed and kept there.
    fn kept<'a>(slot: &'a mut Option<OtherView>, log: &Log, policy: Policy) -> &'a View {
        if !slot.as_ref().is_some_and(|o| o.key.is_of(log, &policy)) {
            *slot = None;
        }
        let other = slot.get_or_insert_with(|| OtherView {
            key: ViewKey::of(log, &policy),
            view: View::new(log, policy),
        });
        &other.view
    }
}

impl Replica {
    /// An empty replica seen through `policy`.
    pub fn new(policy: Policy) -> Replica {
        Replica::from_log(Log::new(), policy)
    }

    /// An empty replica whose local document edits are written by the
    /// session `session` of the owner (see [`Documents::for_session`]).
    pub fn for_session(policy: Policy, session: &[u8]) -> Replica {
        let mut replica = Replica::new(policy);
        replica.docs = Documents::for_session(replica.view.policy().me, session);
        replica
    }

    /// A replica over an existing log (computes the view from scratch).
    pub fn from_log(log: Log, policy: Policy) -> Replica {
        let mut docs = Documents::new(policy.me);
        for (ix, entry) in log.entries().iter().enumerate() {
            if let Body::Doc { doc, .. } = entry.event().body()
                && let Some(change) = doc_change(entry.event())
            {
                docs.apply(ix as u32, *doc, change);
            }
        }
        let view = View::new(&log, policy);
        Replica {
            log,
            view,
            docs,
            batching: records::BatchState::default(),
            network: Network::Open,
            other: None,
            claims: None,
            digests: None,
        }
    }

    /// The same (empty) replica in `network`: events it signs are sealed
    /// and events it takes in must be admitted if the network is private.
    /// Set it before any event enters: events already in the log were read
    /// under the network before.
    pub fn in_network(mut self, network: Network) -> Replica {
        self.network = network;
        self
    }

    /// Takes the network out (leaving an open one), to move it to a
    /// replica rebuilt from this one's events.
    pub(crate) fn take_network(&mut self) -> Network {
        std::mem::replace(&mut self.network, Network::Open)
    }

    /// The network this replica belongs to.
    pub fn network(&self) -> &Network {
        &self.network
    }

    /// A verified event as this replica's network reads it: refused if it
    /// is not admitted, opened if it is sealed (see [`Network::admit`]).
    pub fn admit(&self, event: Event) -> Result<Event, EventError> {
        self.network.admit(event)
    }

    /// Decodes, verifies, validates and applies an event received as bytes.
    pub fn ingest(&mut self, bytes: &[u8]) -> Result<Insertion, Error> {
        // A copy of an event held already costs a hash, not a signature check.
        let id = crate::event::EventId::of_bytes(bytes);
        if self.log.contains(&id) || self.log.is_pending(&id) {
            return Ok(Insertion {
                duplicate: true,
                ..Insertion::default()
            });
        }
        let event = self.network.admit(Event::from_bytes(bytes)?)?;
        Ok(self.insert(event)?)
    }

    /// Makes room for `additional` more events in the log (see [`Log::reserve`]).
    pub(crate) fn reserve(&mut self, additional: usize) {
        self.log.reserve(additional);
    }

    /// Applies a verified event (see [`Log::insert`]) and updates the view.
    pub fn insert(&mut self, event: Event) -> Result<Insertion, LogError> {
        let (insertion, changes) = self.log.insert_with_changes(event)?;
        if !insertion.applied.is_empty() {
            self.view.update(&self.log);
            // A view under another policy kept is of fewer events now: its
            // memory is not held until the next one is asked for.
            self.other = None;
        }
        // Each applied `Doc` event's change, as the log decoded it.
        for (ix, doc, change) in changes {
            self.docs.apply(ix, doc, change);
        }
        Ok(insertion)
    }

    /// The draft of `author`'s next event: the next seq, and as parents the
    /// current heads plus the two events validity needs as direct parents
    /// (the author's previous event and the referenced event).
    pub fn draft(&self, author: &PublicKey, time: u64, body: Body) -> Result<Draft, Error> {
        self.draft_with(author, time, body, &[], None)
    }

    /// A draft whose parents include `required`; it follows `after` (an
    /// event of the author's signed but not applied yet) if given, else
    /// the author's latest event in the log.
    fn draft_with(
        &self,
        author: &PublicKey,
        time: u64,
        body: Body,
        required: &[EventId],
        after: Option<&Event>,
    ) -> Result<Draft, Error> {
        let mut parents = Vec::with_capacity(MAX_PARENTS);
        let last = after.or_else(|| self.log.last_by(author));
        parents.extend(last.map(Event::id));
        parents.extend_from_slice(required);
        if let Some(reference) = body.reference() {
            if !self.log.contains(&reference) {
                return Err(Error::UnknownReference(reference));
            }
            parents.push(reference);
        }
        for head in self.log.heads() {
            if parents.len() >= MAX_PARENTS {
                break;
            }
            if !parents.contains(&head) {
                parents.push(head);
            }
        }
        Ok(Draft {
            seq: last.map_or(1, |e| e.seq() + 1),
            parents,
            time,
            body,
        })
    }

    /// Signs and applies a new local event. Nothing is stored if it is invalid.
    pub fn publish(&mut self, identity: &Identity, time: u64, body: Body) -> Result<Event, Error> {
        let draft = self.draft(&identity.public_key(), time, body)?;
        let event = self.network.sign(identity, draft);
        // Refused rather than void: nobody publishes what counts for nothing.
        self.log.admits(&event)?;
        self.insert(event.clone())?;
        Ok(event)
    }

    /// The log.
    pub fn log(&self) -> &Log {
        &self.log
    }

    /// The owner's view.
    pub fn view(&self) -> &View {
        &self.view
    }

    /// Changes the owner's policy (incrementally where possible).
    pub fn set_policy(&mut self, policy: Policy) {
        self.view.set_policy(&self.log, policy);
    }

    /// The view another policy would give over the same events.
    pub fn view_under(&self, policy: Policy) -> View {
        View::new(&self.log, policy)
    }

    /// The view another policy would give, with the log it reads: kept
    /// until the log grows or another policy is asked for, since a page
    /// asks several questions of one such view in a row (what a previewed
    /// change would stop counting, then its balances; whether someone's
    /// view differs, then how) and each is a fold of the whole log. One is
    /// kept at most.
    pub fn kept_view_under(&mut self, policy: Policy) -> (&Log, &View) {
        (
            &self.log,
            OtherView::kept(&mut self.other, &self.log, policy),
        )
    }

    /// The owner's view's digests (of the events it includes, and of its
    /// state: [`View::included_digest`], [`View::state_digest`]), kept
    /// while the view's generation and the log's length are the same: the
    /// Agreement panel reads them at each of its steps, and each reading
    /// sorts every included event's id (≈ 12 ms with a year of history).
    pub fn view_digests(&mut self) -> (Digest, Digest) {
        let at = (self.view.generation(), self.log.len());
        match self.digests {
            Some((kept_at, included, state)) if kept_at == at => (included, state),
            _ => {
                let included = self.view.included_digest(&self.log);
                let state = self.view.state_digest(&self.log);
                self.digests = Some((at, included, state));
                (included, state)
            }
        }
    }

    /// What changes between the owner's view and another policy's (whose
    /// view is kept: [`kept_view_under`](Self::kept_view_under)).
    pub fn compare_with(&mut self, policy: Policy) -> Comparison {
        let other = OtherView::kept(&mut self.other, &self.log, policy);
        compare(&self.log, &self.view, other)
    }
}

//! A viewer's policy, and the authorities it derives from published statements.
//!
//! The policy is local: my ban list, whom I trust, how many trusted authors
//! must back an exclusion or a ban (`quorum`), how far to follow published
//! trust (`depth`), and what to do with forked authors. From it and the
//! `Trust` statements in the log, [`Policy::authorities`] derives, in layers
//! so that no cycle can arise:
//!
//! 1. **trusted** `T`: me, plus my trusted list, minus my bans (and forked
//!    authors, if the policy bans them); with `depth > 1`, also the subjects
//!    that members of `T` currently call trusted, up to `depth − 1` hops.
//! 2. **banned** `B`: my bans, forked authors if the policy says so, and every
//!    author outside `T` whom at least `quorum` members of `T` currently ban.
//!
//! `T` and `B` are disjoint, so a banned author's statements never count, and
//! members of `T` cannot ban each other (to stop following someone, remove
//! them from the trusted list). I am never banned in my own view.

use crate::event::{EventId, PublicKey, TrustLevel};
use crate::log::Log;
use rustc_hash::{FxHashMap, FxHashSet};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::num::NonZeroU32;

/// What a policy does with authors caught equivocating.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ForkHandling {
    /// Both branches count (nothing in the ledger needs a per-author order).
    #[default]
    Count,
    /// Forked authors are banned.
    Ban,
}

/// One observer's policy. See the [module docs](self).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    /// The observer, always trusted and never banned in their own view.
    pub me: PublicKey,
    /// Authors whose exclusions, disputes and bans I follow.
    pub trusted: BTreeSet<PublicKey>,
    /// Authors whose events I ignore, past and future.
    pub banned: BTreeSet<PublicKey>,
    /// Distinct trusted authors needed to exclude an event or ban an author.
    pub quorum: NonZeroU32,
    /// How many hops of published `Trust(trusted)` to follow (1 = my list only).
    pub depth: NonZeroU32,
    /// What to do with forked authors.
    pub forks: ForkHandling,
    /// Whether bans published by trusted authors (backed by `quorum` of
    /// them) ban in my view; my own ban list always does.
    pub follow_bans: bool,
    /// Subjects whose statements published by me are read as withdrawn:
    /// my view once I publish a neutral statement about them. For
    /// previewing an unban or untrust that will be published (my own
    /// published ban counts in my view like a trusted author's, so the
    /// local change alone would show nothing). Never stored.
    #[serde(skip)]
    pub withdrawn: BTreeSet<PublicKey>,
}

/// A policy as stored before `follow_bans` existed (it followed them).
#[derive(Deserialize)]
struct PolicyV1 {
    me: PublicKey,
    trusted: BTreeSet<PublicKey>,
    banned: BTreeSet<PublicKey>,
    quorum: NonZeroU32,
    depth: NonZeroU32,
    forks: ForkHandling,
}

/// Why an author is banned in a view.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BanReason {
    /// On the viewer's own ban list.
    Local,
    /// Caught equivocating, and the policy bans forks.
    Forked,
    /// Banned by at least `quorum` trusted authors' statements.
    Published {
        /// The backing authors and their `Trust` events.
        by: Vec<(PublicKey, EventId)>,
    },
}

/// Who counts in a view: derived from a policy and the log's trust statements.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Authorities {
    /// Authors whose exclusions and disputes count.
    pub trusted: FxHashSet<PublicKey>,
    /// Authors whose events are ignored, with why.
    pub banned: FxHashMap<PublicKey, BanReason>,
}

impl Policy {
    /// The default policy of `me`: trust nobody else, ban nobody, quorum 1, depth 1,
    /// forked authors count.
    pub fn new(me: PublicKey) -> Policy {
        Policy {
            me,
            trusted: BTreeSet::new(),
            banned: BTreeSet::new(),
            quorum: NonZeroU32::MIN,
            depth: NonZeroU32::MIN,
            forks: ForkHandling::Count,
            follow_bans: true,
            withdrawn: BTreeSet::new(),
        }
    }

    /// Decodes a policy as [`Node`](crate::Node) stores it (postcard), in
    /// this version's form or an earlier one; `None` if it is neither.
    pub fn from_stored(bytes: &[u8]) -> Option<Policy> {
        if let Ok((policy, [])) = postcard::take_from_bytes::<Policy>(bytes) {
            return Some(policy);
        }
        let old: PolicyV1 = postcard::from_bytes(bytes).ok()?;
        Some(Policy {
            me: old.me,
            trusted: old.trusted,
            banned: old.banned,
            quorum: old.quorum,
            depth: old.depth,
            forks: old.forks,
            follow_bans: true,
            withdrawn: BTreeSet::new(),
        })
    }

    /// This policy following published bans or not.
    pub fn following_bans(mut self, follow: bool) -> Policy {
        self.follow_bans = follow;
        self
    }

    /// This policy, also trusting `who`.
    pub fn trusting(mut self, who: PublicKey) -> Policy {
        self.trusted.insert(who);
        self
    }

    /// This policy, also banning `who`.
    pub fn banning(mut self, who: PublicKey) -> Policy {
        self.banned.insert(who);
        self
    }

    /// This policy reading my published statements about `who` as
    /// withdrawn (see [`Policy::withdrawn`]).
    pub fn withdrawing(mut self, who: PublicKey) -> Policy {
        self.withdrawn.insert(who);
        self
    }

    /// This policy with another quorum (values below 1 mean 1).
    pub fn with_quorum(mut self, quorum: u32) -> Policy {
        self.quorum = NonZeroU32::new(quorum).unwrap_or(NonZeroU32::MIN);
        self
    }

    /// This policy following published trust `depth` hops (values below 1 mean 1).
    pub fn with_depth(mut self, depth: u32) -> Policy {
        self.depth = NonZeroU32::new(depth).unwrap_or(NonZeroU32::MIN);
        self
    }

    /// This policy with another fork handling.
    pub fn with_forks(mut self, forks: ForkHandling) -> Policy {
        self.forks = forks;
        self
    }

    /// Whether `author`'s statement about `subject` is read as withdrawn.
    fn withdrawn_by(&self, author: &PublicKey, subject: &PublicKey) -> bool {
        *author == self.me && self.withdrawn.contains(subject)
    }

    fn excluded_locally(&self, who: &PublicKey, log: &Log) -> bool {
        *who != self.me
            && (self.banned.contains(who)
                || (self.forks == ForkHandling::Ban && log.is_forked(who)))
    }

    /// Derives who is trusted and who is banned. See the [module docs](self).
    pub fn authorities(&self, log: &Log) -> Authorities {
        let mut trusted: FxHashSet<PublicKey> = std::iter::once(self.me)
            .chain(self.trusted.iter().copied())
            .filter(|k| !self.excluded_locally(k, log))
            .collect();
        let mut frontier: Vec<PublicKey> = trusted.iter().copied().collect();
        for _ in 1..self.depth.get() {
            let mut next = Vec::new();
            for author in &frontier {
                for subject in log.trust_subjects(author) {
                    if self.withdrawn_by(author, subject) {
                        continue;
                    }
                    let follows = matches!(
                        log.trust_statement(author, subject),
                        Some((TrustLevel::Trusted, _))
                    );
                    if follows && !self.excluded_locally(subject, log) && trusted.insert(*subject) {
                        next.push(*subject);
                    }
                }
            }
            frontier = next;
        }

        let mut banned: FxHashMap<PublicKey, BanReason> = FxHashMap::default();
        for who in self.banned.iter().filter(|k| **k != self.me) {
            banned.insert(*who, BanReason::Local);
        }
        if self.forks == ForkHandling::Ban {
            for proof in log.forks() {
                if proof.author != self.me {
                    banned.entry(proof.author).or_insert(BanReason::Forked);
                }
            }
        }
        let mut published: FxHashMap<PublicKey, Vec<(PublicKey, EventId)>> = FxHashMap::default();
        for author in trusted.iter().filter(|_| self.follow_bans) {
            for subject in log.trust_subjects(author) {
                if let Some((TrustLevel::Banned, ix)) = log.trust_statement(author, subject)
                    && !trusted.contains(subject)
                    && !self.withdrawn_by(author, subject)
                {
                    let id = log.entry(ix).event().id();
                    published.entry(*subject).or_default().push((*author, id));
                }
            }
        }
        for (subject, mut by) in published {
            if by.len() >= self.quorum.get() as usize {
                by.sort();
                banned.entry(subject).or_insert(BanReason::Published { by });
            }
        }
        Authorities { trusted, banned }
    }
}

/// The trust lists an author has published: their current `Trust`
/// statement about each subject, read with the log's own rule
/// ([`Log::trust_statement`]: the causally latest, concurrent ones broken by
/// the highest event id — never the claimed time).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublishedPolicy {
    /// Who published it.
    pub author: PublicKey,
    /// Subjects whose current statement is `Trusted`, sorted.
    pub trusted: Vec<PublicKey>,
    /// Subjects whose current statement is `Banned`, sorted.
    pub banned: Vec<PublicKey>,
}

impl PublishedPolicy {
    /// The policy these lists amount to for their author, every other
    /// setting at its default (see [`Policy::new`]): how the author's view
    /// looks as far as anyone else can know it.
    pub fn policy(&self) -> Policy {
        let policy = self
            .trusted
            .iter()
            .fold(Policy::new(self.author), |p, who| p.trusting(*who));
        self.banned.iter().fold(policy, |p, who| p.banning(*who))
    }
}

// Read off the log's per-(author, subject) index of latest statements; it
// lives here because it is a policy, not a fact about the DAG.
impl Log {
    /// The trust lists `author` has published; `None` if they never
    /// published a `Trust` statement. A subject whose current statement is
    /// `Neutral` is in neither list.
    pub fn published_policy(&self, author: &PublicKey) -> Option<PublishedPolicy> {
        let mut subjects = self.trust_subjects(author).peekable();
        subjects.peek()?;
        let mut out = PublishedPolicy {
            author: *author,
            trusted: Vec::new(),
            banned: Vec::new(),
        };
        for subject in subjects {
            match self.trust_statement(author, subject) {
                Some((TrustLevel::Trusted, _)) => out.trusted.push(*subject),
                Some((TrustLevel::Banned, _)) => out.banned.push(*subject),
                Some((TrustLevel::Neutral, _)) | None => {}
            }
        }
        out.trusted.sort_unstable();
        out.banned.sort_unstable();
        Some(out)
    }

    /// Every author who has published at least one `Trust` statement, sorted.
    pub fn publishers(&self) -> Vec<PublicKey> {
        let mut out: Vec<PublicKey> = self
            .authors()
            .filter(|author| self.trust_subjects(author).next().is_some())
            .copied()
            .collect();
        out.sort_unstable();
        out
    }
}
